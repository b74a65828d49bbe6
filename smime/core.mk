smime_libsmime_a_SOURCES += smime/status.c smime/err.h smime/err.c \
	smime/spool.h smime/spool.c smime/headers.h smime/headers.c \
	smime/edits.h smime/edits.c \
	smime/utf8.h smime/utf8.c
