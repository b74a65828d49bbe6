# tests of conf
if HAVE_CHECK
check_PROGRAMS += test/unit/test_conf
TESTS += test/unit/test_conf
test_unit_test_conf_SOURCES = test/unit/test_conf.c
test_unit_test_conf_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_conf_LDADD = conf/libsmimeconf.a $(LIBCONFIG_LIBS) \
	$(CHECK_TEST_LIBS)
endif

if HAVE_CHECK
check_PROGRAMS += test/unit/test_identity
TESTS += test/unit/test_identity
test_unit_test_identity_SOURCES = test/unit/test_identity.c
test_unit_test_identity_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_identity_LDADD = conf/libsmimeconf.a $(LIBCONFIG_LIBS) \
	$(CHECK_TEST_LIBS)
endif
# the identity test generates its PKI here
clean-local: clean-identity-pki
clean-identity-pki:
	rm -rf test/unit/test_identity-pki
.PHONY: clean-identity-pki
