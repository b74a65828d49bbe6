# tests of verify
if HAVE_CHECK
check_PROGRAMS += test/unit/test_address test/unit/test_verify
TESTS += test/unit/test_address test/unit/test_verify
test_unit_test_address_SOURCES = test/unit/test_address.c
test_unit_test_address_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_address_LDADD = $(CHECK_TEST_LIBS)
test_unit_test_verify_SOURCES = test/unit/test_verify.c
test_unit_test_verify_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_verify_LDADD = $(CHECK_TEST_LIBS)
endif
# verify_tool: one message file through smime_verify_message(), as the
# daemon would; the corpus test drives it.
check_PROGRAMS += test/unit/verify_tool
test_unit_verify_tool_SOURCES = test/unit/verify_tool.c
test_unit_verify_tool_LDADD = smime/libsmime.a $(OPENSSL_LIBS)
TESTS += test/verify/corpus.sh test/verify/ocsp.sh test/verify/crl.sh \
	test/verify/roundtrip.sh test/verify/testmode.sh test/verify/miltertest.sh \
	test/verify/mutate.sh test/verify/bigmsg.sh test/verify/bigopaque.sh \
	test/verify/revocation.sh \
	test/verify/crlfetch.sh test/verify/algorithms.sh test/verify/attime.sh \
	test/verify/recognition.sh test/verify/trust-system.sh test/verify/aia.sh
EXTRA_DIST += test/verify/common.sh test/verify/corpus.sh test/verify/ocsp.sh test/verify/crl.sh \
	test/verify/roundtrip.sh test/verify/testmode.sh test/verify/miltertest.sh \
	test/verify/miltertest.lua test/verify/mutate.sh test/verify/bigmsg.sh \
	test/verify/bigopaque.sh \
	test/verify/make-corpus.sh test/verify/attacks.sh test/verify/revocation.sh \
	test/verify/crlfetch.sh test/verify/crlserver.py test/verify/algorithms.sh \
	test/verify/attime.sh test/verify/recognition.sh test/verify/recognition.py \
	test/verify/dsa-noparams.py test/verify/trust-system.sh test/verify/aia.sh \
	test/verify/expected.txt test/verify/archeck.py
TESTS += test/verify/pycrypto.sh test/verify/mimediff.sh test/verify/verdict.sh
EXTRA_DIST += test/verify/pycrypto.sh test/verify/mimediff.sh test/verify/mimediff.py \
	test/verify/verdict.sh
# gmime_parts: how GMime sees a message, for mimediff.sh.  Built without
# the sanitizers (GLib keeps its caches until exit).
if HAVE_GMIME
check_PROGRAMS += test/verify/gmime_parts
test_verify_gmime_parts_SOURCES = test/verify/gmime_parts.c
test_verify_gmime_parts_CFLAGS = -std=c11 $(WARN_CFLAGS) $(GMIME_CFLAGS)
test_verify_gmime_parts_LDFLAGS =
test_verify_gmime_parts_LDADD = $(GMIME_LIBS)
else
EXTRA_DIST += test/verify/gmime_parts.c
endif
# Hostile CMS SignedData: counts bounded before OpenSSL (issue 10 case 7).
TESTS += test/verify/cmslimits.sh test/verify/signerhdr.sh
EXTRA_DIST += test/verify/cmslimits.sh test/verify/hostile_cms.py \
	test/verify/signerhdr.sh
