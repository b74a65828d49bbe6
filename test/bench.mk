# test/bench: `make bench` (not part of make check) measures smime-milter
# against raw CMS signing and a naive openssl-per-message filter.  Build
# without --enable-sanitizers for meaningful numbers.  Knobs:
#   make bench BENCH_CONNECTIONS=8 BENCH_SECONDS=10 BENCH_BIG_MB=100
# Results: table on stdout, JSON in bench-results.json.
check_PROGRAMS += test/bench/bench
test_bench_bench_SOURCES = test/bench/bench.c test/client/mclient.c \
	test/client/mclient.h
test_bench_bench_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_bench_bench_LDADD = $(OPENSSL_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += test/bench/PERFORMANCE.md
CLEANFILES += bench-results.json

BENCH_CONNECTIONS = 8
BENCH_SECONDS = 10
BENCH_BIG_MB = 100

.PHONY: bench
bench: milter/smime-milter test/bench/bench
	$(SHELL) $(top_srcdir)/test/pki/make-test-pki.sh \
		$(abs_top_builddir)/test/bench/pki
	$(abs_top_builddir)/test/bench/bench \
		-M $(abs_top_builddir)/milter/smime-milter \
		-P $(abs_top_builddir)/test/bench/pki -O $(OPENSSL_BIN) \
		-c $(BENCH_CONNECTIONS) -s $(BENCH_SECONDS) -b $(BENCH_BIG_MB) \
		-j $(abs_top_builddir)/bench-results.json
