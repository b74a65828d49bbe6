# hp: RFC 9788 header protection (signing side and verifier comparison).
smime_libsmime_a_SOURCES += smime/hp.h smime/hp_int.h smime/hp.c \
	smime/hpnorm.c
