TESTS += test/milter/config-check.sh test/milter/testmode.sh \
	test/milter/lifecycle.sh test/milter/address.sh
EXTRA_DIST += test/milter/common.sh test/milter/config-check.sh \
	test/milter/testmode.sh test/milter/lifecycle.sh test/milter/address.sh
if HAVE_CHECK
# The escapes of log records and metrics (milter/textbuf.c), issue 19.
check_PROGRAMS += test/unit/test_textbuf
TESTS += test/unit/test_textbuf
test_unit_test_textbuf_SOURCES = test/unit/test_textbuf.c milter/textbuf.c
test_unit_test_textbuf_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_textbuf_LDADD = test/unit/libunit.a smime/libsmime.a $(CHECK_LIBS)
endif
