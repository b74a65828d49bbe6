# test/client: milterclient, the MTA side of the milter protocol (for tests
# and the benchmark), and testfilter, a libmilter filter that checks it.
check_PROGRAMS += test/client/milterclient test/client/testfilter
test_client_milterclient_SOURCES = test/client/milterclient.c \
	test/client/mclient.c test/client/mclient.h
test_client_milterclient_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_client_testfilter_SOURCES = test/client/testfilter.c
test_client_testfilter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_client_testfilter_LDADD = $(MILTER_LIBS) $(PTHREAD_LIBS)
# Daemon tests (skipped while milter/smime-milter is not built): feature
# checks, load (LOAD_SECONDS, default 20), limits, secrets.
CLIENT_DAEMON_TESTS = test/client/milterclient.sh test/client/load.sh \
	test/client/signfidelity.sh \
	test/client/limits.sh test/client/secrets.sh test/client/forged.sh \
	test/client/metrics.sh test/client/health.sh test/client/signpolicy.sh
TESTS += test/client/protocol.sh $(CLIENT_DAEMON_TESTS)
EXTRA_DIST += test/client/protocol.sh test/client/common.sh \
	test/client/promparse.py $(CLIENT_DAEMON_TESTS)
