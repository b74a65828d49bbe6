if HAVE_CHECK
check_PROGRAMS += test/unit/test_core
TESTS += test/unit/test_core
test_unit_test_core_SOURCES = test/unit/test_core.c
test_unit_test_core_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_core_LDADD = $(CHECK_TEST_LIBS)
endif
