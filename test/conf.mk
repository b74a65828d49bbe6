# tests of conf
if HAVE_CHECK
check_PROGRAMS += test/unit/test_conf
TESTS += test/unit/test_conf
test_unit_test_conf_SOURCES = test/unit/test_conf.c
test_unit_test_conf_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_conf_LDADD = conf/libsmimeconf.a $(LIBCONFIG_LIBS) \
	$(CHECK_TEST_LIBS)
endif
