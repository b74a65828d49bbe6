#!/bin/sh
# sendmail.sh - smime-milter inside a real Sendmail 8.17 (Debian's
# sendmail-bin, fetched and unpacked next to Postfix; see sendmail-lib.sh),
# hooked up with INPUT_MAIL_FILTER and the macro lists of
# contrib/sendmail/smime-milter.mc, through the shared scenario of
# scenario.sh (as postfix.sh): 1. AUTH login taro on the MSA port: signed,
# openssl verifies; 2. unauthenticated external client on the MTA port:
# unsigned, smime=none; 3. AUTH login jiro (not among taro's senders):
# unsigned; 4. openssl-signed message on the MTA port: smime=pass, a
# tampered copy with a forged A-R field: only our smime=fail; 5. a 2 MiB
# attachment arrives signed and intact; 6. milter stopped: F=T makes
# Sendmail answer 4xx, nothing delivered.
# Queue ids in the milter log match Sendmail's (macro i).
# (Sendmail runs milters only for SMTP, so there is no sendmail(1) case.)
# Exit: 0 pass, 77 skip (not root, or smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/test/integration/common.sh"
it_milter_bin || { echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/sendmail-lib.sh"
. "$srcdir/test/integration/scenario.sh"
IT_WORK=$(sm_workdir) || exit 1
chmod 755 "$IT_WORK"
IT_SINKDIR=$IT_WORK/sink
SM_DIR=$IT_WORK/sendmail
SM_ROOT=$SM_DIR/root
IT_LOGS="$SM_DIR/sendmail.out $SM_DIR/traffic.log"
cleanup() {
	sm_teardown
	it_milter_stop
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

AUTHSERV=sm.sm-test.example.jp
it_pki
it_milter_conf "$AUTHSERV"
it_milter_start
SM_MILTER="inet:$IT_MILTER_PORT@127.0.0.1"
sm_setup
sm_add_user taro 'taro-Secret-1'
sm_add_user jiro 'jiro-Secret-2'
sm_start
MTA=Sendmail MTA_TAG=sm MTA_HOST=$SM_HOSTNAME
MTA_SUBMIT_PORT=$SM_SUBMIT_PORT MTA_INBOUND_PORT=$SM_INBOUND_PORT
mta_wait_delivered() { sm_wait_delivered "$@"; }

sc_signed_auth
sc_unsigned_external
sc_unsigned_wrong_login
sc_inbound
sc_big
sc_milter_down
exit 0
