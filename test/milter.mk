TESTS += test/milter/config-check.sh test/milter/testmode.sh \
	test/milter/lifecycle.sh
EXTRA_DIST += test/milter/common.sh test/milter/config-check.sh \
	test/milter/testmode.sh test/milter/lifecycle.sh
