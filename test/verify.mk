# tests of verify
if HAVE_CHECK
check_PROGRAMS += test/unit/test_address
TESTS += test/unit/test_address
test_unit_test_address_SOURCES = test/unit/test_address.c
test_unit_test_address_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_address_LDADD = $(CHECK_TEST_LIBS)
endif
