# verify: file list owned by the verify work
smime_libsmime_a_SOURCES += smime/address.h smime/address.c \
	smime/verify.h smime/verifier.h smime/verify.c \
	smime/signerinfo.h smime/signerinfo.c \
	smime/revocation.h smime/revocation.c \
	smime/crlfetch.c smime/aiafetch.c smime/http.h smime/http.c \
	smime/result.h smime/result.c smime/ar.h smime/ar.c \
	smime/vopaque.h smime/vopaque.c \
	smime/cmslimit.h smime/cmslimit.c \
	smime/forged.h smime/forged.c \
	smime/b64dec.h smime/b64dec.c
