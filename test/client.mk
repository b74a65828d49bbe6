# test/client: milterclient, the MTA side of the milter protocol (for tests
# and the benchmark), and testfilter, a libmilter filter that checks it.
check_PROGRAMS += test/client/milterclient test/client/testfilter
test_client_milterclient_SOURCES = test/client/milterclient.c \
	test/client/mclient.c test/client/mclient.h
test_client_milterclient_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_client_testfilter_SOURCES = test/client/testfilter.c
test_client_testfilter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_client_testfilter_LDADD = $(MILTER_LIBS) -lpthread
TESTS += test/client/protocol.sh test/client/milterclient.sh
EXTRA_DIST += test/client/protocol.sh test/client/milterclient.sh
