#!/bin/sh
# postfix.sh - smime-milter inside a real Postfix (private instance on
# loopback, SASL submission port, port-25 style inbound port, smtp-sink as
# next hop; see postfix-lib.sh).  The shared scenario of scenario.sh, with
# Postfix as the MTA (cases 1-6: signed submission with the queue id,
# unsigned external mail, wrong login, inbound pass/fail with a forged
# A-R field removed, a 2 MiB attachment, milter down -> 4xx), plus what
# only Postfix has, every result checked on the message as delivered:
#   1b. header fields as Postfix splits them ("From :", 8-bit names) are
#       signed alike by Postfix and by -t mode;
#   5b. local sendmail(1) submission (non_smtpd_milters, internal host)
#      is signed;
#   6b. milter down: sendmail(1) mail stays queued and nothing leaves
#      unsigned; milter back + queue flush: delivered signed;
#   7. with the default internal_hosts (none), a local sendmail(1)
#      submission claiming taro's From (127.0.0.1, no login) is NOT signed.
# Exit: 0 pass, 77 skip (not root, or smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_WORK=$(mktemp -d /tmp/smime-postfix.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
it_milter_bin || { rm -rf "$IT_WORK"; echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/postfix-lib.sh"
. "$srcdir/test/integration/scenario.sh"
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
MTA=Postfix MTA_TAG=pf MTA_HOST=$PF_HOSTNAME
MTA_SUBMIT_PORT=$PF_SUBMIT_PORT MTA_INBOUND_PORT=$PF_INBOUND_PORT
mta_wait_delivered() { pf_wait_delivered "$@"; }

sc_signed_auth

# 1b. header fields as Postfix splits them (the same rules as -t mode):
# "From :" and "Subject :" are fields; a name with 8-bit bytes is body.
# (From not first: swaks drops a first line that starts with "From ".)
it_campaign_msg "$IT_WORK/m1b" pf-split taro@example.jp
sed -e 's/^From: /From : /' -e 's/^Subject: /Subject : /' \
    -e 's/^MIME-Version: 1.0$/X-\xc3\x9cber: eight-bit name\nMIME-Version: 1.0/' \
    "$IT_WORK/m1b" | awk 'NR == 1 { first = $0; next } { print } NR == 2 { print first }' \
    > "$IT_WORK/m1b.in"
sc_submit "$IT_WORK/m1b.in" taro 'taro-Secret-1' ||
    { cat "$IT_WORK/swaks.last"; it_die "send 1b"; }
sc_delivered 1b
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

sc_unsigned_external
sc_unsigned_wrong_login
sc_inbound
sc_big

# 5b. local submission through sendmail(1): internal host 127.0.0.1
it_campaign_msg "$IT_WORK/m6" pf-local taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m6" ||
    it_die "sendmail(1)"
sc_delivered 5b
it_expect_signed pf-local
echo "ok 5b sendmail(1) submission signed via non_smtpd_milters"

# 6, 6b. milter down: SMTP gets 4xx, sendmail(1) mail stays queued and
# nothing is delivered; then milter back, queue flushed: delivered signed
sc_milter_down
it_campaign_msg "$IT_WORK/m7" pf-deferred taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m7" ||
    it_die "sendmail(1) with milter down"
pf_wait_queue 1 30 || it_die "6b: sendmail(1) message not queued"
sleep 3
[ "$(pf_queue_count)" = 1 ] || it_die "6b: queued message vanished"
[ "$(it_delivered_count)" = $SC_DELIVERED ] ||
    it_die "6b: something was delivered while the milter was down"
echo "ok 6b milter down: local mail stays queued, nothing delivered"
it_milter_start
pf_flush
sc_delivered 6c 90
it_expect_signed pf-deferred
[ -z "$(it_find_delivery '<pf-down@example.jp>')" ] ||
    it_die "6c: the refused SMTP message appeared"
echo "ok 6c after restart and flush the queued message is delivered signed"

# 7. the shipped default: no internal host, so any local account that runs
#    sendmail(1) must not get the candidate's signature
it_milter_stop
sed -i '/^internal_hosts/d' "$IT_WORK/milter.conf"
"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -T | grep -q '^internal_hosts = \[ *\];' ||
    it_die "7: default internal_hosts is not empty"
it_milter_start
it_campaign_msg "$IT_WORK/m9" pf-local-default taro@example.jp
pf_sendmail taro@example.jp voter@example.org "$IT_WORK/m9" ||
    it_die "sendmail(1) with default internal_hosts"
sc_delivered 7
it_expect_unsigned pf-local-default
echo "ok 7 default internal_hosts: a local sendmail(1) submission is not signed"
exit 0
