#!/bin/sh
# postfix-relay.sh - prove the private Postfix harness on its own, without
# smime-milter, so that a harness problem is never mistaken for a milter bug:
#   1-3. the harness cases of scenario.sh (as sendmail-relay.sh): AUTH
#      submission relays to smtp-sink intact, submission without AUTH
#      (554) or with a wrong password (535) is refused, the inbound port
#      relays;
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
. "$srcdir/test/integration/scenario.sh"
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

MTA=Postfix MTA_TAG=pf MTA_NOAUTH_CODE=554
MTA_SUBMIT_PORT=$PF_SUBMIT_PORT MTA_INBOUND_PORT=$PF_INBOUND_PORT
mta_wait_delivered() { pf_wait_delivered "$@"; }

sc_relay_auth
sc_relay_refused
sc_relay_inbound

# 4. a milter that is down: tempfail, mail stays queued, then delivered
it_pick_port
dead=$IT_PORT
pf_set_milter "inet:127.0.0.1:$dead"
pf_reload
sleep 1
sc_plain_msg "$IT_WORK/m4" relay-deferred
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m4" ||
    it_die "sendmail(1) submission"
sc_plain_msg "$IT_WORK/m5" relay-smtp-tempfail
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
