#!/bin/sh
# postfix.sh - smime-milter inside a real Postfix (private instance on
# loopback, SASL submission port, port-25 style inbound port, smtp-sink as
# next hop; see postfix-lib.sh).  Every result is checked on the message
# as delivered, with the openssl CLI where a signature is involved:
#   1. authenticated campaign mail (UTF-8 8bit) arrives signed by taro's
#      certificate, verifies with openssl cms -verify, text intact;
#   2. unauthenticated external mail claiming the same From: unsigned;
#   3. a login that is not among taro's senders: unsigned;
#   4. a message signed with the openssl CLI, received on the inbound port,
#      gets Authentication-Results ...; smime=pass; a tampered copy that
#      carries a forged "smime=pass" field of our authserv-id gets only
#      our smime=fail;
#   5. local sendmail(1) submission (non_smtpd_milters, internal host)
#      is signed;
#   6. milter stopped: SMTP gets 4xx, sendmail(1) mail stays queued and
#      nothing leaves unsigned; milter back + queue flush: delivered signed;
#   7. a message with a 2 MiB attachment arrives signed and intact;
#   8. with the default internal_hosts (none), a local sendmail(1)
#      submission claiming taro's From (127.0.0.1, no login) is NOT signed.
# Queue ids in the milter log match Postfix's (macro i).
# Exit: 0 pass, 77 skip (not root, or smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_WORK=$(mktemp -d /tmp/smime-postfix.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
it_milter_bin || { rm -rf "$IT_WORK"; echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/postfix-lib.sh"
cleanup() {
	pf_teardown
	it_milter_stop
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

AUTHSERV=mx.pf-test.example.jp
chmod 755 "$IT_WORK"
it_pki
it_milter_conf "$AUTHSERV"
it_milter_start
PF_MILTER="inet:127.0.0.1:$IT_MILTER_PORT"
pf_setup
pf_add_user taro 'taro-Secret-1'
pf_add_user jiro 'jiro-Secret-2'
pf_start
ndeliv=0

# 1. authenticated, authorized
it_campaign_msg "$IT_WORK/m1" pf-auth taro@example.jp
it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1" || { cat "$IT_WORK/swaks.last"; it_die "send 1"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "1: not delivered"
it_expect_signed pf-auth
it_expect_queue_id pf-auth "$PF_HOSTNAME"
echo "ok 1 authenticated campaign mail delivered signed; openssl verifies"

# 1b. header fields as Postfix splits them (the same rules as -t mode):
# "From :" and "Subject :" are fields; a name with 8-bit bytes is body.
# (From not first: swaks drops a first line that starts with "From ".)
it_campaign_msg "$IT_WORK/m1b" pf-split taro@example.jp
sed -e 's/^From: /From : /' -e 's/^Subject: /Subject : /' \
    -e 's/^MIME-Version: 1.0$/X-\xc3\x9cber: eight-bit name\nMIME-Version: 1.0/' \
    "$IT_WORK/m1b" | awk 'NR == 1 { first = $0; next } { print } NR == 2 { print first }' \
    > "$IT_WORK/m1b.in"
it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1b.in" || { cat "$IT_WORK/swaks.last"; it_die "send 1b"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "1b: not delivered"
_f=$(it_find_delivery "<pf-split@example.jp>")
it_verify_signed "$_f" "$IT_WORK/pf-split.content" || it_die "1b: 'From :' not signed"
grep -q '^Subject *: .*pf-split' "$_f" || it_die "1b: Subject field lost"
grep -q '^X-=C3=9Cber: eight-bit name' "$IT_WORK/pf-split.content" ||
    it_die "1b: 8-bit field name not the first body line"
"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -t "$IT_WORK/m1b.in" -C 127.0.0.1 > "$IT_WORK/m1b.t" 2>/dev/null
it_verify_signed "$IT_WORK/m1b.t" "$IT_WORK/pf-split.t.content" || it_die "1b: -t did not sign"
grep -q '^X-=C3=9Cber: eight-bit name' "$IT_WORK/pf-split.t.content" ||
    it_die "1b: -t split the header otherwise"
echo "ok 1b Postfix and -t split 'From :', 'Subject :' and 8-bit names alike"

# 2. unauthenticated, external client, same From
it_campaign_msg "$IT_WORK/m2" pf-external taro@example.jp
it_send "$PF_INBOUND_PORT" --from taro@example.jp --to voter@example.org \
    --data @"$IT_WORK/m2" || { cat "$IT_WORK/swaks.last"; it_die "send 2"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "2: not delivered"
it_expect_unsigned pf-external
f=$(it_find_delivery '<pf-external@example.jp>')
it_ar_smime "$f" "$AUTHSERV" | grep -q 'smime=none' ||
    it_die "2: no smime=none Authentication-Results"
echo "ok 2 unauthenticated external mail delivered unsigned (smime=none)"

# 3. logged in, but not one of taro's senders
it_campaign_msg "$IT_WORK/m3" pf-wronglogin taro@example.jp
it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user jiro --auth-password 'jiro-Secret-2' \
    --data @"$IT_WORK/m3" || { cat "$IT_WORK/swaks.last"; it_die "send 3"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "3: not delivered"
it_expect_unsigned pf-wronglogin
echo "ok 3 a login not among the identity's senders gets no signature"

# 4. inbound verification of an openssl-signed message, and a tampered one
it_inbound_msgs pf "$IT_WORK/m4" "$IT_WORK/m5" "$AUTHSERV"
for m in m4 m5; do
	it_send "$PF_INBOUND_PORT" --from taro@example.jp \
	    --to voter@example.org --data @"$IT_WORK/$m" ||
	    { cat "$IT_WORK/swaks.last"; it_die "send $m"; }
done
ndeliv=$((ndeliv + 2))
pf_wait_delivered $ndeliv 60 || it_die "4: not delivered"
it_expect_ar pf-inbound-signed "$AUTHSERV" pass
it_expect_ar pf-inbound-tampered "$AUTHSERV" fail
echo "ok 4 inbound: smime=pass for a good signature; altered: smime=fail, forged A-R removed"

# 5. local submission through sendmail(1): internal host 127.0.0.1
it_campaign_msg "$IT_WORK/m6" pf-local taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m6" ||
    it_die "sendmail(1)"
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "5: not delivered"
it_expect_signed pf-local
echo "ok 5 sendmail(1) submission signed via non_smtpd_milters"

# 6. milter down: nothing lost, nothing unsigned; then delivered signed
it_milter_stop
it_campaign_msg "$IT_WORK/m7" pf-deferred taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m7" ||
    it_die "sendmail(1) with milter down"
it_campaign_msg "$IT_WORK/m8" pf-smtp-down taro@example.jp
if it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m8"; then
	it_die "6: SMTP accepted while the milter is down"
fi
grep -q '<\*\* *4[0-9][0-9]' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "6: expected 4xx"; }
pf_wait_queue 1 30 || it_die "6: sendmail(1) message not queued"
sleep 3
[ "$(pf_queue_count)" = 1 ] || it_die "6: queued message vanished"
[ "$(it_delivered_count)" = $ndeliv ] ||
    it_die "6: something was delivered while the milter was down"
echo "ok 6a milter down: SMTP 4xx, local mail stays queued, nothing delivered"
it_milter_start
pf_flush
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 90 || it_die "6: not delivered after flush"
it_expect_signed pf-deferred
[ -z "$(it_find_delivery '<pf-smtp-down@example.jp>')" ] ||
    it_die "6: the refused SMTP message appeared"
echo "ok 6b after restart and flush the queued message is delivered signed"

# 7. a 2 MiB attachment: spooled, replaced in chunks, still intact
it_big_msg "$IT_WORK/pf-big.src" pf-big 2048
it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/pf-big.src" || { tail -5 "$IT_WORK/swaks.last"; it_die "send 7"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 120 || it_die "7: not delivered"
it_expect_big_signed pf-big
echo "ok 7 a 2 MiB attachment arrives signed, verifies and decodes unchanged"

# 8. the shipped default: no internal host, so any local account that runs
#    sendmail(1) must not get the candidate's signature
it_milter_stop
sed -i '/^internal_hosts/d' "$IT_WORK/milter.conf"
"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -T | grep -q '^internal_hosts = \[ *\];' ||
    it_die "8: default internal_hosts is not empty"
it_milter_start
it_campaign_msg "$IT_WORK/m9" pf-local-default taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m9" ||
    it_die "sendmail(1) with default internal_hosts"
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "8: not delivered"
it_expect_unsigned pf-local-default
echo "ok 8 default internal_hosts: a local sendmail(1) submission is not signed"
exit 0
