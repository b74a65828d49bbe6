# test/fuzz: libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# for the MIME parser, the verify path, header/address handling and the
# config loader, the signer checked by the verifier (sign), and DER
# SignedData with structure-aware mutations (cms).
# `make fuzz FUZZ_SECONDS=60` builds them straight from
# the sources with clang (independent of ./configure's compiler) and runs
# each for FUZZ_SECONDS; CI calls test/fuzz/run.sh directly.  run.sh ends
# with a summary per target (exec/s, runs, peak RSS from libFuzzer's final
# stats, corpus size, result).
FUZZ_SECONDS = 60
EXTRA_DIST += test/fuzz/run.sh test/fuzz/lsan.supp test/fuzz/fuzz_msg.h \
	test/fuzz/fuzz_msg.c test/fuzz/fuzz_verifier.c test/fuzz/fuzz_mime.c \
	test/fuzz/fuzz_verify.c \
	test/fuzz/fuzz_header.c test/fuzz/fuzz_conf.c test/fuzz/fuzz_sign.c \
	test/fuzz/fuzz_cms.c \
	test/fuzz/seeds

.PHONY: fuzz
fuzz:
	top_builddir=$(abs_top_builddir) OPENSSL=$(OPENSSL_BIN) \
		$(SHELL) $(top_srcdir)/test/fuzz/run.sh $(FUZZ_SECONDS)
