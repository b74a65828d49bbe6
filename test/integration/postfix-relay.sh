#!/bin/sh
# postfix-relay.sh - prove the private Postfix harness on its own, without
# smime-milter, so that a harness problem is never mistaken for a milter bug:
#   1. authenticated submission relays to smtp-sink, content intact;
#   2. submission without AUTH, and with a wrong password, is refused;
#   3. unauthenticated mail on the inbound port relays;
#   4. with a milter configured that does not answer, milter_default_action
#      = tempfail keeps sendmail(1) mail queued and refuses SMTP with 4xx;
#      once the milter is removed and the queue flushed, the queued message
#      is delivered.  (postfix.sh repeats this with the real daemon.)
#   5. contrib/postfix/*.snippet parse with postconf, with the milter list
#      and SASL on submission as documented.
# Needs root (Postfix instance) and postfix, sasl2-bin, swaks.
# Exit: 0 pass, 77 skip (not root / tools absent), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
for t in postfix smtp-sink swaks saslpasswd2; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t absent"; exit 77; }
done
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

IT_WORK=$(mktemp -d /tmp/smime-pfrelay.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
. "$srcdir/test/integration/postfix-lib.sh"
cleanup() {
	pf_teardown
	if [ -n "${KEEP_WORK:-}" ]; then
		echo "kept $IT_WORK" >&2
	else
		rm -rf "$IT_WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pf_setup
pf_add_user taro 'taro-Secret-1'
pf_start

mk_msg() {	# mk_msg FILE MARKER
	cat > "$1" <<EOF
From: taro@example.jp
To: voter@example.org
Subject: harness $2
Message-ID: <$2@example.jp>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Body line for $2.
EOF
}

# 1. authenticated submission
mk_msg "$IT_WORK/m1" relay-auth
pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1" || { cat "$IT_WORK/swaks.last"; it_die "auth send"; }
pf_wait_delivered 1 60 || it_die "authenticated mail not delivered"
f=$(it_find_delivery '<relay-auth@example.jp>')
[ -n "$f" ] || it_die "delivered file for relay-auth missing"
grep -q '^Body line for relay-auth\.' "$f" || it_die "body changed in $f"
grep -q '^X-Rcpt-Args: <voter@example.org>' "$f" ||
    it_die "envelope recipient missing in $f"
it_strip_sink "$f" | grep -q '^X-Client-Addr:' && it_die "it_strip_sink"
echo "ok 1 authenticated submission relayed"

# 2. no AUTH / wrong password on submission: refused, nothing delivered
mk_msg "$IT_WORK/m2" relay-noauth
if pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --data @"$IT_WORK/m2"; then
	it_die "submission without AUTH was accepted"
fi
grep -q '<\*\* *554' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "expected 554 relay denied"; }
if pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password wrong --data @"$IT_WORK/m2"; then
	it_die "wrong password accepted"
fi
grep -q '<\*\* *535' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "expected 535 auth failed"; }
echo "ok 2 submission refuses unauthenticated relay and bad passwords"

# 3. inbound port, no AUTH, from another loopback address
mk_msg "$IT_WORK/m3" relay-inbound
pf_send "$PF_INBOUND_PORT" --local-interface 127.0.0.2 \
    --from someone@example.net --to voter@example.org \
    --data @"$IT_WORK/m3" || { cat "$IT_WORK/swaks.last"; it_die "inbound"; }
pf_wait_delivered 2 60 || it_die "inbound mail not delivered"
f=$(it_find_delivery '<relay-inbound@example.jp>')
[ -n "$f" ] || it_die "inbound delivery missing"
grep -q '^X-Client-Addr: 127.0.0.1' "$f" || it_die "sink client addr"
echo "ok 3 inbound port relays"

# 4. a milter that is down: tempfail, mail stays queued, then delivered
it_pick_port
dead=$IT_PORT
pf_set_milter "inet:127.0.0.1:$dead"
pf_reload
sleep 1
mk_msg "$IT_WORK/m4" relay-deferred
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m4" ||
    it_die "sendmail(1) submission"
mk_msg "$IT_WORK/m5" relay-smtp-tempfail
if pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m5"; then
	it_die "SMTP accepted although the milter is down"
fi
grep -q '<\*\* *4[0-9][0-9]' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "expected a 4xx with milter down"; }
# Give pickup/cleanup time to try the milter, then check nothing left.
pf_wait_queue 1 30 || it_die "sendmail(1) message not queued"
sleep 3
[ "$(pf_queue_count)" = 1 ] || it_die "queued message vanished"
[ "$(it_delivered_count)" = 2 ] || it_die "delivered while milter down"
grep -qi 'milter.*inet:127.0.0.1:'"$dead" "$PF_LOG" ||
    it_die "no milter error logged"
echo "ok 4a milter down: SMTP 4xx, sendmail(1) message stays queued"

pf_set_milter ""
pf_reload
sleep 1
pf_flush
pf_wait_delivered 3 90 || it_die "queued message not delivered after flush"
[ -n "$(it_find_delivery '<relay-deferred@example.jp>')" ] ||
    it_die "wrong message delivered"
[ -z "$(it_find_delivery '<relay-smtp-tempfail@example.jp>')" ] ||
    it_die "tempfailed SMTP message was delivered"
echo "ok 4b queued message delivered after flush"

# 5. the contrib snippets parse: main.cf without warnings, master.cf with
# the smime-milter (then OpenDKIM) list on port 25 and on submission.
mkdir "$IT_WORK/snippet" || it_die "mkdir"
{ echo "compatibility_level = 3.6"
  cat "$srcdir/contrib/postfix/main.cf.snippet"; } > "$IT_WORK/snippet/main.cf"
cp "$srcdir/contrib/postfix/master.cf.snippet" "$IT_WORK/snippet/master.cf"
postconf -c "$IT_WORK/snippet" -n >/dev/null 2>"$IT_WORK/snippet/err" ||
    it_die "postconf rejects main.cf.snippet"
[ ! -s "$IT_WORK/snippet/err" ] ||
    { cat "$IT_WORK/snippet/err"; it_die "postconf warns about main.cf.snippet"; }
[ "$(postconf -c "$IT_WORK/snippet" -h milter_default_action)" = tempfail ] ||
    it_die "main.cf.snippet: milter_default_action"
for svc in smtp/inet submission/inet; do
	v=$(postconf -c "$IT_WORK/snippet" -P "$svc/smtpd_milters" 2>&1)
	[ "$v" = "$svc/smtpd_milters = inet:127.0.0.1:8894,inet:127.0.0.1:8891" ] ||
	    it_die "master.cf.snippet $svc: $v"
done
[ "$(postconf -c "$IT_WORK/snippet" -P submission/inet/smtpd_sasl_auth_enable)" = \
  "submission/inet/smtpd_sasl_auth_enable = yes" ] ||
    it_die "master.cf.snippet: submission without SASL"
echo "ok 5 contrib/postfix snippets parse; smime-milter precedes OpenDKIM"
exit 0
