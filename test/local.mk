# test/: unit tests (Check), shell tests, fuzz and bench drivers.
# Each area keeps its own tests in test/<area>.mk.
CHECK_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
CHECK_TEST_LIBS = test/unit/libunit.a smime/libsmime.a $(OPENSSL_LIBS) \
	$(CHECK_LIBS)
# libunit.a: the one main() of the unit tests (a test defines unit_suite())
# and their temp-dir helpers; see test/unit/unit.h.
if HAVE_CHECK
check_LIBRARIES = test/unit/libunit.a
test_unit_libunit_a_SOURCES = test/unit/unit.c test/unit/unit.h \
	test/unit/unitcert.c
test_unit_libunit_a_CFLAGS = $(CHECK_TEST_CFLAGS)
endif
# The test PKI and the verification corpus are generated at test time
# (never committed), once per build tree and shared by all tests
# (test/pki/shared.sh), with validity counted from the moment they are
# made; test/pki/stamp.sh checks that a stale PKI is rebuilt.
EXTRA_DIST += test/pki/make-test-pki.sh test/pki/stamp.sh test/readme.sh \
	test/pki/shared.sh \
	test/debian/package.sh test/version.sh
TESTS += test/pki/stamp.sh test/version.sh
# The documentation names the paths the code uses (issue 16 item 9).
TESTS += test/docs.sh
EXTRA_DIST += test/docs.sh
# The options, subcommands, settings and defaults the man pages quote are
# those of the usage and of smime-milter -T.
TESTS += test/docs-options.sh
EXTRA_DIST += test/docs-options.sh
# The layers of the source tree (issue 16): no process control in smime/,
# store file names in one header, no include cycle.
TESTS += test/layout/layout.sh
EXTRA_DIST += test/layout/layout.sh test/layout/check.py \
	test/layout/include_cycles.py
clean-local: clean-test-pki
clean-test-pki:
	rm -rf test/tmp-pki test/tmp-pki.lock test/tmp-pki.log \
	    test/tmp-corpus test/tmp-corpus.lock test/tmp-corpus.log \
	    test/tmp-java test/tmp-java.lock test/tmp-java.log
.PHONY: clean-test-pki
include $(top_srcdir)/test/core.mk
include $(top_srcdir)/test/conf.mk
include $(top_srcdir)/test/mime.mk
include $(top_srcdir)/test/sign.mk
include $(top_srcdir)/test/verify.mk
include $(top_srcdir)/test/hp.mk
include $(top_srcdir)/test/milter.mk
include $(top_srcdir)/test/enroll.mk
include $(top_srcdir)/test/integration.mk
include $(top_srcdir)/test/client.mk
include $(top_srcdir)/test/pkcs11.mk
include $(top_srcdir)/test/bench.mk
include $(top_srcdir)/test/fuzz.mk
