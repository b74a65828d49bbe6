# mime: MIME tree parser, header value helpers, CRLF canonicalizer.
smime_libsmime_a_SOURCES += smime/mime.h smime/mime.c smime/mimehdr.h smime/mimehdr.c \
	smime/canon.h smime/canon.c
