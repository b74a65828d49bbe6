# tests of mime
if HAVE_CHECK
check_PROGRAMS += test/unit/test_mime
TESTS += test/unit/test_mime
test_unit_test_mime_SOURCES = test/unit/test_mime.c
test_unit_test_mime_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_mime_LDADD = $(CHECK_TEST_LIBS)
endif
# the block scanners (MIME parser, CRLF filter, signed entity) at their
# buffer edges
if HAVE_CHECK
check_PROGRAMS += test/unit/test_blocks
TESTS += test/unit/test_blocks
test_unit_test_blocks_SOURCES = test/unit/test_blocks.c
test_unit_test_blocks_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_blocks_LDADD = $(CHECK_TEST_LIBS)
endif
