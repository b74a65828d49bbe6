# tests of enroll
if HAVE_CHECK
check_PROGRAMS += test/unit/test_enroll
TESTS += test/unit/test_enroll
test_unit_test_enroll_SOURCES = test/unit/test_enroll.c
test_unit_test_enroll_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_enroll_LDADD = $(CHECK_TEST_LIBS)
endif
TESTS += test/enroll/csr.sh test/enroll/import.sh test/enroll/cmp.sh \
	test/enroll/reload.sh test/enroll/check.sh test/enroll/pending.sh \
	test/enroll/retitle.sh test/enroll/privsep-model.sh \
	test/enroll/privsep-revoke.sh test/enroll/privsep-links.sh \
	test/enroll/privsep-signal.sh test/enroll/privsep-modes.sh \
	test/enroll/privsep-secrets.sh \
	test/enroll/https.sh test/enroll/reuse-csr.sh test/enroll/credential.sh \
	test/enroll/certpolicy.sh
EXTRA_DIST += test/enroll/common.sh test/enroll/csr.sh test/enroll/import.sh \
	test/enroll/cmp.sh test/enroll/reload.sh test/enroll/check.sh \
	test/enroll/pending.sh test/enroll/retitle.sh test/enroll/privsep-common.sh \
	test/enroll/privsep-model.sh test/enroll/privsep-revoke.sh \
	test/enroll/privsep-links.sh test/enroll/privsep-signal.sh \
	test/enroll/privsep-modes.sh test/enroll/privsep-secrets.sh \
	test/enroll/https.sh test/enroll/reuse-csr.sh test/enroll/credential.sh \
	test/enroll/certpolicy.sh
