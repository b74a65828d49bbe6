# pkcs11: token keys (RFC 7512 URIs through p11-kit), owned by the PKCS#11 work
smime_libsmime_a_SOURCES += smime/pkcs11.h smime/pkcs11-int.h \
	smime/pkcs11.c smime/pkcs11-evp.c
