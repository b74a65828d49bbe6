#!/bin/sh
# credential.sh - every private key smime-enroll reads (the store's
# key.pem, CMP's --key) goes through the one credential loader
# (smime/credential.c): it never asks a terminal for a pass phrase, not
# even under a pseudo-terminal, refuses a key file others may read, and
# names the file in its message.
. "${top_srcdir:-.}/test/enroll/common.sh"

write_conf
E="$ENROLL -c $work/enroll.conf"
id=$store/taro@example.jp

$E keygen taro@example.jp > /dev/null || fail "keygen"
cp "$id/key.pem" "$work/plain.key"
"$OPENSSL" pkey -in "$id/key.pem" -aes256 -passout pass:x -out "$work/enc.key" ||
	fail "encrypt key"
chmod 600 "$work/enc.key" "$work/plain.key"

# on_tty WHAT COMMAND...: run COMMAND under a pseudo-terminal (stdin
# closed, 20 s at most); it must fail, without a pass phrase prompt.
on_tty() {
	what=$1
	shift
	script -qec "timeout 20 $*" /dev/null < /dev/null > "$work/tty" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] || fail "$what: succeeded: $(cat "$work/tty")"
	[ "$rc" -ne 124 ] || fail "$what: hung (waiting for a pass phrase?)"
	grep -qi "pass phrase\|password:" "$work/tty" &&
		fail "$what: prompted on the terminal: $(cat "$work/tty")"
	return 0
}

# An encrypted key in the store: refused at once, with the file's name.
cp "$work/enc.key" "$id/key.pem"
on_tty "encrypted store key" "$E csr taro@example.jp --cn Taro --out $work/x.csr"
grep -qF "$id/key.pem: no usable private key (encrypted keys are not supported)" \
	"$work/tty" || fail "store key message: $(cat "$work/tty")"
cp "$work/plain.key" "$id/key.pem"

# CMP's --key: the same loader.
"$OPENSSL" req -new -key "$work/plain.key" -subj "/CN=Taro" \
	-out "$work/taro.csr" 2>/dev/null || fail "csr"
issue taro "$work/taro.csr" taro@example.jp 30 0x7601
on_tty "encrypted --key" "$E enroll taro@example.jp --cn Taro --server 127.0.0.1:9/pkix/ \
	--cert $work/taro.crt --key $work/enc.key"
grep -qF "$work/enc.key: no usable private key" "$work/tty" ||
	fail "--key message: $(cat "$work/tty")"

# A --key file others may read is refused before anything is sent.
chmod 644 "$work/plain.key"
expect_rc 4 "$work/plain.key has mode 0644 and may be read by others" \
	$E enroll taro@example.jp --cn Taro --server 127.0.0.1:9/pkix/ \
	--cert "$work/taro.crt" --key "$work/plain.key"
exit 0
