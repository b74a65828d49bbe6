# identity: file list owned by the identity work
smime_libsmime_a_SOURCES += smime/identity.h smime/identity.c smime/identity-int.h \
	smime/credential.h smime/credential.c \
	smime/certpolicy.h smime/certpolicy.c \
	smime/idstore_dir.c smime/idstore_crl.c \
	smime/safefs.h smime/safefs.c \
	smime/store_migrate.c
