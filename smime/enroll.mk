# enroll: file list owned by the enroll work
smime_libsmime_a_SOURCES += smime/profile.h smime/profile.c \
	smime/keygen.h smime/keygen.c smime/csr.h smime/csr.c \
	smime/import.h smime/import.c smime/cmp.h smime/cmp.c \
	smime/store.h smime/store.c smime/storelayout.h smime/storelayout.c
