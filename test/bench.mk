# test/bench: `make bench` (not part of make check) measures smime-milter
# against in-process OpenSSL (CMS_sign, CMS_verify) with as many workers as
# connections, `openssl dgst -sha256` on the same large files, and a naive
# openssl-per-message filter; it verifies samples of what it signed with
# `openssl cms -verify`.  Build without --enable-sanitizers for meaningful
# numbers.  Knobs:
#   make bench BENCH_SECONDS=2 BENCH_ROUNDS=3 BENCH_BIG_MB=100
# Results: table and ratios on stdout, JSON in bench-results.json.
# test/bench/smoke.sh (in make check) runs it once with tiny sizes.
check_PROGRAMS += test/bench/bench
test_bench_bench_SOURCES = test/bench/bench.c test/bench/brun.c \
	test/bench/bgen.c test/bench/bench.h test/client/mclient.c \
	test/client/mclient.h
test_bench_bench_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
test_bench_bench_LDADD = $(OPENSSL_LIBS) $(PTHREAD_LIBS)
TESTS += test/bench/smoke.sh
EXTRA_DIST += test/bench/smoke.sh
CLEANFILES += bench-results.json

BENCH_SECONDS = 2
BENCH_ROUNDS = 3
BENCH_BIG_MB = 100

.PHONY: bench
bench: milter/smime-milter test/bench/bench
	$(SHELL) $(top_srcdir)/test/pki/make-test-pki.sh \
		$(abs_top_builddir)/test/bench/pki
	$(abs_top_builddir)/test/bench/bench \
		-M $(abs_top_builddir)/milter/smime-milter \
		-P $(abs_top_builddir)/test/bench/pki -O $(OPENSSL_BIN) \
		-s $(BENCH_SECONDS) -r $(BENCH_ROUNDS) -b $(BENCH_BIG_MB) \
		-j $(abs_top_builddir)/bench-results.json
