# tests of integration: real MTAs (private Postfix and Sendmail instances on
# loopback) talking to smime-milter.  They need root; they exit 77 (skip)
# only when not run as root or when the daemon has not been built.
INTEGRATION_LIBS = \
	test/integration/common.sh \
	test/integration/postfix-lib.sh \
	test/integration/sendmail-lib.sh \
	test/integration/scenario.sh
INTEGRATION_TESTS = \
	test/integration/postfix-relay.sh \
	test/integration/sendmail-relay.sh \
	test/integration/postfix.sh \
	test/integration/sendmail.sh \
	test/integration/quickstart.sh \
	test/integration/systemd-units.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) $(INTEGRATION_LIBS)
# issue 7: kill -9 the milter in the middle of 1,000 messages through Postfix
TESTS += test/integration/postfix-kill.sh
EXTRA_DIST += test/integration/postfix-kill.sh test/integration/submit-batch.py
# issue 21: beside Debian's OpenDKIM, both milter orders, shared authserv-id
TESTS += test/integration/postfix-opendkim.sh
EXTRA_DIST += test/integration/postfix-opendkim.sh
# issue 19 item 5: list expansion by a real Mailman 3, each copy signed
TESTS += test/integration/postfix-mailman.sh
EXTRA_DIST += test/integration/postfix-mailman.sh
