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

"$SMF" -c "$work/smf.conf" -t "$work/none.eml" > /dev/null 2>&1
[ $? -eq 64 ] || fail "missing message file must exit 64"
echo "testmode: ok"
