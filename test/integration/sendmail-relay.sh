#!/bin/sh
# sendmail-relay.sh - prove the private Sendmail harness on its own, without
# smime-milter: the Debian sendmail-bin package fetched with apt-get
# download and unpacked with dpkg -x runs on loopback next to Postfix,
# authenticates with Cyrus sasldb on its MSA port, refuses unauthenticated
# submission there, and relays to smtp-sink from both ports.
# Needs root, apt access (or SENDMAIL_DEBS) and m4, sasl2-bin, swaks,
# postfix (smtp-sink).  Exit: 0 pass, 77 skip (not root), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/test/integration/common.sh"
. "$srcdir/test/integration/sendmail-lib.sh"
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

mk_msg() {	# mk_msg FILE MARKER
	cat > "$1" <<EOM
From: taro@example.jp
To: voter@example.org
Subject: harness $2
Message-ID: <$2@example.jp>
Date: $(date -R)

Body line for $2.
EOM
}
send() {	# send PORT SWAKS-ARGS...
	_p=$1; shift
	swaks --server 127.0.0.1 --port "$_p" --timeout 30 --helo client.example.net \
	    --local-interface 127.0.0.2 "$@" >"$IT_WORK/swaks.last" 2>&1
}

mk_msg "$IT_WORK/m1" sm-relay-auth
send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1" || { cat "$IT_WORK/swaks.last"; it_die "auth send"; }
sm_wait_delivered 1 60 || it_die "authenticated mail not delivered"
f=$(it_find_delivery '<sm-relay-auth@example.jp>')
[ -n "$f" ] || it_die "delivery missing"
grep -q '^Body line for sm-relay-auth\.' "$f" || it_die "body changed"
grep -q 'with ESMTPA' "$f" || it_die "no ESMTPA in Received: AUTH not used"
echo "ok 1 Sendmail MSA: SMTP AUTH (sasldb) and relay to smtp-sink"

mk_msg "$IT_WORK/m2" sm-relay-noauth
if send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --data @"$IT_WORK/m2"; then
	it_die "MSA accepted mail without AUTH"
fi
grep -q '<\*\* *530' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "expected 530 auth required"; }
if send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password wrong \
    --data @"$IT_WORK/m2"; then
	it_die "MSA accepted a wrong password"
fi
echo "ok 2 Sendmail MSA refuses missing and wrong AUTH"

mk_msg "$IT_WORK/m3" sm-relay-inbound
send "$SM_INBOUND_PORT" --from someone@example.net --to voter@example.org \
    --data @"$IT_WORK/m3" || { cat "$IT_WORK/swaks.last"; it_die "inbound"; }
sm_wait_delivered 2 60 || it_die "inbound mail not delivered"
[ -n "$(it_find_delivery '<sm-relay-inbound@example.jp>')" ] ||
    it_die "inbound delivery missing"
[ "$(it_delivered_count)" = 2 ] || it_die "unexpected deliveries"
echo "ok 3 Sendmail MTA port relays"
exit 0
