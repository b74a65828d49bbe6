# test/pkcs11: identity keys on a PKCS#11 token (SoftHSM2; skipped with
# exit 77 only when softhsm2 is not installed).
if HAVE_CHECK
check_PROGRAMS += test/unit/test_pkcs11
TESTS += test/unit/test_pkcs11
test_unit_test_pkcs11_SOURCES = test/unit/test_pkcs11.c
test_unit_test_pkcs11_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_pkcs11_LDADD = $(CHECK_TEST_LIBS)
endif
check_PROGRAMS += test/pkcs11/p11cert
test_pkcs11_p11cert_SOURCES = test/pkcs11/p11cert.c
test_pkcs11_p11cert_LDADD = smime/libsmime.a $(OPENSSL_LIBS) $(PTHREAD_LIBS)
PKCS11_TESTS = test/pkcs11/daemon.sh test/pkcs11/enroll.sh
TESTS += $(PKCS11_TESTS)
EXTRA_DIST += test/pkcs11/common.sh $(PKCS11_TESTS)
# make bench-pkcs11: signing rate with the key on a SoftHSM2 token vs in a
# file (COUNT, CLIENTS); separate from test/bench (make bench).
EXTRA_DIST += test/pkcs11/bench.sh
bench-pkcs11: milter/smime-milter test/client/milterclient
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	OPENSSL='$(OPENSSL_BIN)' $(SHELL) $(top_srcdir)/test/pkcs11/bench.sh
.PHONY: bench-pkcs11
