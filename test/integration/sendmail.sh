#!/bin/sh
# sendmail.sh - smime-milter inside a real Sendmail 8.17 (Debian's
# sendmail-bin, fetched and unpacked next to Postfix; see sendmail-lib.sh),
# hooked up with INPUT_MAIL_FILTER and the macro lists of
# contrib/sendmail/smime-milter.mc.  Same assertions as postfix.sh for
# signing and verifying, on the messages smtp-sink received:
#   1. AUTH login taro on the MSA port: signed by taro, openssl verifies;
#   2. unauthenticated external client on the MTA port: unsigned;
#   3. AUTH login jiro (not among taro's senders): unsigned;
#   4. openssl-signed message on the MTA port: smime=pass; tampered copy
#      with a forged A-R field: only our smime=fail;
#   5. a message with a 2 MiB attachment arrives signed and intact;
#   6. milter stopped: F=T makes Sendmail answer 4xx, nothing delivered.
# Queue ids in the milter log match Sendmail's (macro i).
# (Sendmail runs milters only for SMTP, so there is no sendmail(1) case.)
# Exit: 0 pass, 77 skip (not root, or smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/test/integration/common.sh"
it_milter_bin || { echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/sendmail-lib.sh"
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
ndeliv=0

# 1. authenticated, authorized
it_campaign_msg "$IT_WORK/m1" sm-auth taro@example.jp
it_send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1" || { cat "$IT_WORK/swaks.last"; it_die "send 1"; }
ndeliv=$((ndeliv + 1))
sm_wait_delivered $ndeliv 60 || it_die "1: not delivered"
it_expect_signed sm-auth
it_expect_queue_id sm-auth "$SM_HOSTNAME"
echo "ok 1 Sendmail: authenticated campaign mail delivered signed; openssl verifies"

# 2. unauthenticated external client on the MTA port
it_campaign_msg "$IT_WORK/m2" sm-external taro@example.jp
it_send "$SM_INBOUND_PORT" --from taro@example.jp --to voter@example.org \
    --data @"$IT_WORK/m2" || { cat "$IT_WORK/swaks.last"; it_die "send 2"; }
ndeliv=$((ndeliv + 1))
sm_wait_delivered $ndeliv 60 || it_die "2: not delivered"
it_expect_unsigned sm-external
echo "ok 2 Sendmail: unauthenticated external mail delivered unsigned"

# 3. wrong login
it_campaign_msg "$IT_WORK/m3" sm-wronglogin taro@example.jp
it_send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user jiro --auth-password 'jiro-Secret-2' \
    --data @"$IT_WORK/m3" || { cat "$IT_WORK/swaks.last"; it_die "send 3"; }
ndeliv=$((ndeliv + 1))
sm_wait_delivered $ndeliv 60 || it_die "3: not delivered"
it_expect_unsigned sm-wronglogin
grep -q 'login jiro' "$IT_WORK/milter.log" ||
    it_die "3: the milter did not see {auth_authen}=jiro"
echo "ok 3 Sendmail: {auth_authen} reaches the milter; wrong login unsigned"

# 4. inbound verification
it_inbound_msgs sm "$IT_WORK/m4" "$IT_WORK/m5" "$AUTHSERV"
for m in m4 m5; do
	it_send "$SM_INBOUND_PORT" --from taro@example.jp \
	    --to voter@example.org --data @"$IT_WORK/$m" ||
	    { cat "$IT_WORK/swaks.last"; it_die "send $m"; }
done
ndeliv=$((ndeliv + 2))
sm_wait_delivered $ndeliv 60 || it_die "4: not delivered"
it_expect_ar sm-inbound-signed "$AUTHSERV" pass
it_expect_ar sm-inbound-tampered "$AUTHSERV" fail
echo "ok 4 Sendmail: smime=pass for a good signature; altered: smime=fail, forged A-R removed"

# 5. a 2 MiB attachment
it_big_msg "$IT_WORK/sm-big.src" sm-big 2048
it_send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/sm-big.src" || { tail -5 "$IT_WORK/swaks.last"; it_die "send 5"; }
ndeliv=$((ndeliv + 1))
sm_wait_delivered $ndeliv 120 || it_die "5: not delivered"
it_expect_big_signed sm-big
echo "ok 5 Sendmail: a 2 MiB attachment arrives signed and unchanged"

# 6. milter down: F=T, the client is told to retry
it_milter_stop
it_campaign_msg "$IT_WORK/m6" sm-down taro@example.jp
if it_send "$SM_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m6"; then
	it_die "6: Sendmail accepted mail while the milter is down"
fi
grep -q '<\*\* *4[0-9][0-9]' "$IT_WORK/swaks.last" ||
    { cat "$IT_WORK/swaks.last"; it_die "6: expected a 4xx"; }
sleep 2
[ "$(it_delivered_count)" = $ndeliv ] || it_die "6: delivered while milter down"
echo "ok 6 Sendmail: milter down -> 4xx (F=T), nothing delivered unsigned"
exit 0
