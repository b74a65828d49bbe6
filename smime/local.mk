# smime/: the core library. No libmilter, no syslog, no libconfig here.
noinst_LIBRARIES += smime/libsmime.a
smime_libsmime_a_SOURCES = smime/smime.h smime/compat.c
include $(top_srcdir)/smime/core.mk
include $(top_srcdir)/smime/mime.mk
include $(top_srcdir)/smime/identity.mk
include $(top_srcdir)/smime/sign.mk
include $(top_srcdir)/smime/verify.mk
include $(top_srcdir)/smime/hp.mk
include $(top_srcdir)/smime/enroll.mk
include $(top_srcdir)/smime/pkcs11.mk
