# tests of RFC 9788 header protection (hp): library units, the signing
# side against five independent verifiers, tampering through the milter.
if HAVE_CHECK
check_PROGRAMS += test/unit/test_hp
TESTS += test/unit/test_hp
test_unit_test_hp_SOURCES = test/unit/test_hp.c
test_unit_test_hp_CFLAGS = $(CHECK_TEST_CFLAGS)
test_unit_test_hp_LDADD = $(CHECK_TEST_LIBS)
endif
TESTS += test/hp/compat.sh test/hp/tamper.sh
EXTRA_DIST += test/hp/compat.sh test/hp/tamper.sh test/hp/hp_check.py \
	test/data/hp/alternative.eml test/data/hp/group-comments.eml \
	test/data/hp/iso2022jp.eml test/data/hp/ja-utf8.eml \
	test/data/hp/long-fields.eml test/data/hp/no-mime.eml
clean-local: clean-hp
clean-hp:
	rm -rf test/hp/compat.dir
.PHONY: clean-hp
