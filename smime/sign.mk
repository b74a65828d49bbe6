# sign: RFC 8551 signer (multipart/signed, detached CMS).
smime_libsmime_a_SOURCES += smime/sign.h smime/sign.c smime/signent.h \
	smime/signent.c smime/signhdr.h smime/signhdr.c \
	smime/b64enc.h smime/b64enc.c smime/sign_int.h smime/signopaque.c \
	smime/signpolicy.h smime/signpolicy.c
