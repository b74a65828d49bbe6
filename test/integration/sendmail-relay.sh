#!/bin/sh
# sendmail-relay.sh - prove the private Sendmail harness on its own, without
# smime-milter: the Debian sendmail-bin package fetched with apt-get
# download and unpacked with dpkg -x runs on loopback next to Postfix,
# authenticates with Cyrus sasldb on its MSA port, refuses unauthenticated
# submission there (530; 535 for a wrong password), and relays to
# smtp-sink from both ports: the harness cases of scenario.sh, as
# postfix-relay.sh runs them.
# Needs root, apt access (or SENDMAIL_DEBS) and m4, sasl2-bin, swaks,
# postfix (smtp-sink).  Exit: 0 pass, 77 skip (not root), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/test/integration/common.sh"
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
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

sm_setup
sm_add_user taro 'taro-Secret-1'
sm_start

MTA=Sendmail MTA_TAG=sm MTA_NOAUTH_CODE=530
MTA_SUBMIT_PORT=$SM_SUBMIT_PORT MTA_INBOUND_PORT=$SM_INBOUND_PORT
mta_wait_delivered() { sm_wait_delivered "$@"; }

sc_relay_auth
sc_relay_refused
sc_relay_inbound
exit 0
