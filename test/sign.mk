# tests of sign
if HAVE_CHECK
check_PROGRAMS += test/unit/test_sign
TESTS += test/unit/test_sign
test_unit_test_sign_SOURCES = test/unit/test_sign.c
test_unit_test_sign_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_sign_LDADD = $(CHECK_TEST_LIBS)
# the one "may this certificate sign e-mail" rule through every path
check_PROGRAMS += test/unit/test_certpolicy
TESTS += test/unit/test_certpolicy
test_unit_test_certpolicy_SOURCES = test/unit/test_certpolicy.c
test_unit_test_certpolicy_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_certpolicy_LDADD = $(CHECK_TEST_LIBS)
# the signing policy by destination: table load, lookup, combination
check_PROGRAMS += test/unit/test_signpolicy
TESTS += test/unit/test_signpolicy
test_unit_test_signpolicy_SOURCES = test/unit/test_signpolicy.c
test_unit_test_signpolicy_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_signpolicy_LDADD = conf/libsmimeconf.a $(LIBCONFIG_LIBS) \
	$(CHECK_TEST_LIBS)
endif
check_PROGRAMS += test/unit/sign_tool
test_unit_sign_tool_SOURCES = test/unit/sign_tool.c
test_unit_sign_tool_LDADD = smime/libsmime.a $(OPENSSL_LIBS)
TESTS += test/sign.sh
EXTRA_DIST += test/sign.sh test/sign_check.py test/sign_opaque.py test/sign_nested.py test/java/BcVerify.java test/java/bc.sh test/data/sign/make-corpus.py \
	test/data/sign/already-enveloped.eml \
	test/data/sign/already-signed.eml \
	test/data/sign/binary-attach.eml \
	test/data/sign/empty-body.eml \
	test/data/sign/from-dot-trailing.eml \
	test/data/sign/iso2022jp.eml \
	test/data/sign/long-lines.eml \
	test/data/sign/nested.eml \
	test/data/sign/nested-8bit-headers.eml \
	test/data/sign/no-content-type.eml \
	test/data/sign/no-mime-version.eml \
	test/data/sign/plain-ascii.eml \
	test/data/sign/qp-with-8bit.eml \
	test/data/sign/sjis-8bit.eml \
	test/data/sign/undeclared-8bit.eml \
	test/data/sign/utf8-ja-8bit.eml test/data/sign/two-part.eml \
	test/data/sign/plain-ascii.entity test/data/sign/iso2022jp.entity \
	test/data/sign/nested.entity test/data/sign/utf8-ja-8bit.entity \
	test/data/sign/from-dot-trailing.entity test/data/sign/no-content-type.entity \
	test/data/sign/empty-body.entity test/data/sign/binary-attach.entity \
	test/data/sign/two-part.entity test/data/sign/fwd-mbox-from.eml \
	test/data/sign/fwd-mbox-from.entity test/data/sign/headerless-part.eml \
	test/data/sign/headerless-part.entity test/data/sign/no-mime-utf8.eml \
	test/data/sign/no-mime-sjis.eml test/data/sign/part-no-charset-8bit.eml \
	test/data/sign/long-ct.eml test/data/sign/long-boundary.eml \
	test/data/sign/sjis-param.eml test/data/sign/mixed-charset-param.eml
