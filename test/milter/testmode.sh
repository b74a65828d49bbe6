#!/bin/sh
# testmode.sh - `smime-milter -t`: round trip of a message nobody may
# sign, exit codes, and stdin input.
. "${top_srcdir:-.}/test/milter/common.sh"

install_identity taro
cat > "$work/smf.conf" <<CONF
socket = "unix:$work/sock";
authserv_id = "mx.test.example";
mode = "s";
internal_hosts = [ "10.1.0.0/16" ];
sign = {
  identities = ( { address = "taro@example.jp"; cert = "taro.crt";
                   key = "taro.key"; chain = "chain.pem"; senders = [ "taro" ]; } );
};
CONF

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: =?UTF-8?B?5oqV56Wo?=\n  folded\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\345\220\215\345\211\215\nline two   \nFrom here\n' > "$work/lf.eml"
printf 'From: Taro <taro@example.jp>\r\nSubject: crlf\r\n\r\nbody\r\n' > "$work/crlf.eml"

# An external, unauthenticated client must get the message back untouched.
for m in lf crlf; do
	"$SMF" -c "$work/smf.conf" -t "$work/$m.eml" -C 192.0.2.1 > "$work/$m.out" ||
		fail "$m: exit $?"
	cmp -s "$work/$m.eml" "$work/$m.out" || fail "$m: message changed"
done
"$SMF" -c "$work/smf.conf" -t - -C 192.0.2.1 < "$work/lf.eml" > "$work/stdin.out" ||
	fail "stdin: exit $?"
cmp -s "$work/lf.eml" "$work/stdin.out" || fail "stdin: message changed"

# A login that may not use taro's certificate: unchanged, or 69 with reject.
"$SMF" -c "$work/smf.conf" -t "$work/lf.eml" -A mallory > "$work/wrong.out" ||
	fail "wrong login: exit $?"
cmp -s "$work/lf.eml" "$work/wrong.out" || fail "wrong login got a changed message"
sed 's/^sign = {/sign = { unauthorized = "reject";/' "$work/smf.conf" > "$work/reject.conf"
"$SMF" -c "$work/reject.conf" -t "$work/lf.eml" -A mallory > /dev/null 2>&1
[ $? -eq 69 ] || fail "unauthorized with reject must exit 69"

# Authorization matrix: the authorized login and an internal host without
# a login get a signature that openssl accepts; the content that verifies
# is the original text.
verify_signed() { # verify_signed FILE LABEL
	grep -q '^Content-Type: multipart/signed' "$1" || fail "$2: not signed"
	"$OPENSSL" cms -verify -CAfile "$work/trust.pem" -in "$1" \
		-out "$work/content.out" >/dev/null 2>&1 || fail "$2: openssl cms -verify"
	grep -q '^=46rom here' "$work/content.out" || fail "$2: From line not protected"
	grep -q '^=E5=90=8D=E5=89=8D' "$work/content.out" || fail "$2: 8bit text not QP"
}
"$SMF" -c "$work/smf.conf" -t "$work/lf.eml" -A taro > "$work/auth.out" ||
	fail "authorized login: exit $?"
verify_signed "$work/auth.out" "authorized login"
"$SMF" -c "$work/smf.conf" -t "$work/lf.eml" -C 10.1.2.3 > "$work/internal.out" ||
	fail "internal host: exit $?"
verify_signed "$work/internal.out" "internal host"
# Default internal_hosts is empty: a loopback client without a login (what
# Postfix's non_smtpd_milters shows for sendmail(1)) gets nothing signed.
sed '/^internal_hosts/d' "$work/smf.conf" > "$work/default-hosts.conf"
for c in 127.0.0.1 ::1 10.1.2.3; do
	"$SMF" -c "$work/default-hosts.conf" -t "$work/lf.eml" -C "$c" \
		> "$work/default-hosts.out" || fail "default internal_hosts $c: exit $?"
	cmp -s "$work/lf.eml" "$work/default-hosts.out" ||
		fail "default internal_hosts: client $c without login got a signature"
done
"$SMF" -c "$work/default-hosts.conf" -t "$work/lf.eml" -A taro > "$work/auth2.out" ||
	fail "default internal_hosts, login: exit $?"
verify_signed "$work/auth2.out" "default internal_hosts, authorized login"

# Every Sender field must name the From address, not just the first one.
for senders in 'Sender: taro@example.jp\nSender: mallory@evil.example\n' \
    'Sender: mallory@evil.example\nSender: taro@example.jp\n' \
    'Sender: Taro <taro@example.jp>\nsender:mallory@evil.example\n'; do
	{ printf 'From: Taro <taro@example.jp>\n'; printf "$senders"
	  printf 'Subject: s\n\nbody\n'; } > "$work/sender.eml"
	"$SMF" -c "$work/smf.conf" -t "$work/sender.eml" -A taro > "$work/sender.out" ||
		fail "two Sender fields: exit $?"
	cmp -s "$work/sender.eml" "$work/sender.out" ||
		fail "signed with two Sender fields: $senders"
done
printf 'From: Taro <taro@example.jp>\nSender: taro@Example.JP\nSender: <taro@example.jp>\nSubject: s\n\nbody\n' > "$work/sender1.eml"
"$SMF" -c "$work/smf.conf" -t "$work/sender1.eml" -A taro > "$work/sender1.out" ||
	fail "one matching Sender: exit $?"
grep -q '^Content-Type: multipart/signed' "$work/sender1.out" ||
	fail "Sender fields all equal to From: not signed"

# Signing the signed result again must not happen.
"$SMF" -c "$work/smf.conf" -t "$work/auth.out" -A taro > "$work/twice.out" ||
	fail "already signed: exit $?"
cmp -s "$work/auth.out" "$work/twice.out" || fail "already-signed mail was changed"

# A forwarded signed message keeps its own signature intact inside ours,
# even where its signed content is a multipart with preamble and epilogue.
printf 'Content-Type: multipart/mixed; boundary="in"\r\n\r\npreamble\r\n--in\r\nContent-Type: text/plain\r\n\r\nhi\r\n--in--\r\nepilogue text\r\n' > "$work/inner.txt"
"$OPENSSL" cms -sign -binary -signer "$pki/hanako.crt" -inkey "$pki/hanako.key" \
	-certfile "$pki/chain.pem" -in "$work/inner.txt" -from hanako@example.jp \
	-subject inner -out "$work/inner.eml" || fail "openssl cms -sign"
{
	printf 'From: taro@example.jp\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n--outer\nContent-Type: text/plain\n\nsee below\n--outer\nContent-Type: message/rfc822\n\n'
	cat "$work/inner.eml"
	printf '\n--outer--\n'
} > "$work/fwd.eml"
"$SMF" -c "$work/smf.conf" -t "$work/fwd.eml" -A taro > "$work/fwd.out" ||
	fail "forward: exit $?"
"$OPENSSL" cms -verify -CAfile "$work/trust.pem" -in "$work/fwd.out" \
	-out /dev/null >/dev/null 2>&1 || fail "forward: outer signature"
python3 - "$work/fwd.out" "$work/inner.out" <<'PY' || fail "forward: no inner message"
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.compat32)
for part in msg.walk():
    if part.get_content_type() == 'message/rfc822':
        open(sys.argv[2], 'wb').write(part.get_payload(0).as_bytes())
        sys.exit(0)
sys.exit(1)
PY
"$OPENSSL" cms -verify -CAfile "$work/trust.pem" -in "$work/inner.out" \
	-out /dev/null >/dev/null 2>&1 || fail "forward: inner signature broken by signing"

# Policy says sign but we cannot: temp-fail (75), never pass unsigned.
mkdir -p "$work/store/revoked@example.jp"
touch "$work/store/revoked@example.jp/revoked"
cp "$pki/revoked.crt" "$work/store/revoked@example.jp/cert.pem"
cp "$pki/revoked.key" "$work/store/revoked@example.jp/key.pem"
chmod 600 "$work/store/revoked@example.jp/key.pem"
sed "s|^sign = {|sign = { store = \"$work/store\";|" "$work/smf.conf" > "$work/store.conf"
sed 's/taro@example.jp/revoked@example.jp/' "$work/lf.eml" > "$work/revoked.eml"
"$SMF" -c "$work/store.conf" -t "$work/revoked.eml" -C 10.1.2.3 > "$work/rev.out" 2>"$work/rev.err"
[ $? -eq 75 ] || fail "revoked identity must temp-fail (75)"
[ -s "$work/rev.out" ] && fail "temp-failed message was still written"
grep -q "revoked" "$work/rev.err" || fail "revoked: no reason logged"
sed 's/^on_error = .*//; s/^mode = "s";/mode = "s"; on_error = "accept";/' "$work/store.conf" > "$work/accept.conf"
"$SMF" -c "$work/accept.conf" -t "$work/revoked.eml" -C 10.1.2.3 > "$work/acc.out" 2>/dev/null ||
	fail "on_error=accept must accept"
cmp -s "$work/revoked.eml" "$work/acc.out" || fail "on_error=accept changed the message"

# expect_tempfail CONF MSG LABEL TEXT: exit 75, nothing written, TEXT logged
expect_tempfail() {
	"$SMF" -c "$1" -t "$2" -C 10.1.2.3 > "$work/tf.out" 2>"$work/tf.err"
	rc=$?
	[ $rc -eq 75 ] || fail "$3: exit $rc, want 75"
	[ -s "$work/tf.out" ] && fail "$3: temp-failed message was written"
	grep -q "$4" "$work/tf.err" || fail "$3: log lacks '$4': $(cat "$work/tf.err")"
}
# An expired certificate loads (with a warning) but never signs.
cp "$pki/expired.crt" "$pki/expired.key" "$work/"
chmod 600 "$work/expired.key"
sed 's/taro/expired/g' "$work/smf.conf" > "$work/expired.conf"
sed 's/taro@example.jp/expired@example.jp/' "$work/lf.eml" > "$work/expired.eml"
expect_tempfail "$work/expired.conf" "$work/expired.eml" "expired cert" "signing failed"
# A certificate listed in sign.crl is revoked: no signature.
cp "$pki/revoked.crt" "$pki/revoked.key" "$pki/crl.pem" "$work/"
chmod 600 "$work/revoked.key"
sed 's/taro/revoked/g; s/^sign = {/sign = { crl = "crl.pem";/' "$work/smf.conf" > "$work/crl.conf"
expect_tempfail "$work/crl.conf" "$work/revoked.eml" "revoked by CRL" "revoked"
# MIME beyond the nesting limit cannot be signed safely.
{
	printf 'From: taro@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b0"\n\n'
	i=0
	while [ $i -lt 30 ]; do
		printf -- '--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' $i $((i + 1))
		i=$((i + 1))
	done
	printf -- '--b30\nContent-Type: text/plain\n\ndeep\n'
} > "$work/deep.eml"
# Too deep can never be signed: on_permanent_error (reject, 5.3.4 with
# the reason), not on_error's tempfail.
"$SMF" -c "$work/smf.conf" -t "$work/deep.eml" -C 10.1.2.3 > "$work/tf.out" 2>"$work/tf.err"
rc=$?
[ $rc -eq 69 ] || fail "too deep: exit $rc, want 69"
[ -s "$work/tf.out" ] && fail "too deep: rejected message was written"
grep -q "5.3.4 S/MIME signing impossible: MIME nesting deeper than" "$work/tf.err" ||
	fail "too deep: reply lacks the reason: $(cat "$work/tf.err")"
sed 's/^mode = "s";/mode = "s"; on_permanent_error = "tempfail";/' "$work/smf.conf" > "$work/ptf.conf"
expect_tempfail "$work/ptf.conf" "$work/deep.eml" "too deep, on_permanent_error=tempfail" "signing failed"

"$SMF" -c "$work/smf.conf" -t "$work/none.eml" > /dev/null 2>&1
[ $? -eq 64 ] || fail "missing message file must exit 64"
echo "testmode: ok"
