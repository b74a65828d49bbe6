# test/: unit tests (Check), shell tests, fuzz and bench drivers.
# Each area keeps its own tests in test/<area>.mk.
CHECK_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
CHECK_TEST_LIBS = smime/libsmime.a $(OPENSSL_LIBS) $(CHECK_LIBS)
include $(top_srcdir)/test/core.mk
include $(top_srcdir)/test/conf.mk
include $(top_srcdir)/test/mime.mk
include $(top_srcdir)/test/sign.mk
include $(top_srcdir)/test/verify.mk
include $(top_srcdir)/test/milter.mk
include $(top_srcdir)/test/enroll.mk
include $(top_srcdir)/test/integration.mk
include $(top_srcdir)/test/client.mk
include $(top_srcdir)/test/bench.mk
include $(top_srcdir)/test/fuzz.mk
