#!/bin/sh
# config-check.sh - `smime-milter -n` / `-T` / exit codes on good and bad
# configurations, keys included.
. "${top_srcdir:-.}/test/milter/common.sh"

install_identity taro
cat > "$work/good.conf" <<CONF
socket = "unix:$work/sock";
authserv_id = "mx.test.example";
mode = "sv";
sign = {
  identities = ( { address = "taro@example.jp"; cert = "taro.crt";
                   key = "taro.key"; chain = "chain.pem"; senders = [ "taro" ]; } );
};
verify = { trust_anchors = "trust.pem"; };
CONF

out=$("$SMF" -c "$work/good.conf" -n 2>&1) || fail "good config rejected: $out"
echo "$out" | grep -q "configuration OK (1 signing identities)" || fail "-n output: $out"

"$SMF" -c "$work/good.conf" -T > "$work/effective.conf" 2>&1 || fail "-T failed"
grep -q 'authserv_id = "mx.test.example"' "$work/effective.conf" || fail "-T lacks authserv_id"
# The printed configuration must itself be a valid configuration.
"$SMF" -c "$work/effective.conf" -n >/dev/null 2>&1 || fail "-T output does not load"

# expect_bad NAME EXPECTED-TEXT: config $work/NAME.conf must fail with 78
expect_bad() {
	out=$("$SMF" -c "$work/$1.conf" -n 2>&1)
	rc=$?
	[ $rc -eq 78 ] || fail "$1: exit $rc, want 78 ($out)"
	echo "$out" | grep -qF -- "$2" || fail "$1: message '$out' lacks '$2'"
}

sed 's/mode = "sv";/mode = "sv"; bogus_key = 1;/' "$work/good.conf" > "$work/unknown.conf"
expect_bad unknown "bogus_key"

cp "$work/taro.key" "$work/open.key"
chmod 644 "$work/open.key"
sed 's/key = "taro.key"/key = "open.key"/' "$work/good.conf" > "$work/openkey.conf"
expect_bad openkey "open.key"

sed 's/cert = "taro.crt"/cert = "hanako.crt"/' "$work/good.conf" > "$work/mismatch.conf"
cp "$pki/hanako.crt" "$work/hanako.crt"
expect_bad mismatch "does not match certificate"

# A missing key beside an existing certificate is an error ...
sed 's/key = "taro.key"/key = "missing.key"/' "$work/good.conf" > "$work/missing.conf"
expect_bad missing "missing.key: No such file or directory"
# ... a missing certificate is an identity not enrolled yet: loaded with a
# warning and skipped (smime-milter.conf(5)).
sed 's/cert = "taro.crt"/cert = "missing.crt"/' "$work/good.conf" > "$work/pending.conf"
out=$("$SMF" -c "$work/pending.conf" -n 2>&1) || fail "pending identity refused: $out"
echo "$out" | grep -q "missing.crt does not exist: taro@example.jp is not enrolled yet" ||
	fail "pending: no warning: $out"
echo "$out" | grep -q "configuration OK (0 signing identities)" || fail "pending: $out"

# An intermediates file without a certificate is refused at load time.
echo "not a certificate" > "$work/empty-chain.pem"
sed 's|trust_anchors = "trust.pem";|trust_anchors = "trust.pem"; intermediates = "empty-chain.pem";|' \
	"$work/good.conf" > "$work/badinter.conf"
expect_bad badinter "empty-chain.pem: no PEM certificate"

out=$("$SMF" -c "$work/nonexistent.conf" -n 2>&1)
[ $? -eq 78 ] || fail "missing config file must exit 78"

out=$("$SMF" -Z 2>&1)
[ $? -eq 64 ] || fail "bad option must exit 64"
"$SMF" -V | grep -q "^smime-milter " || fail "-V"
echo "config-check: ok"
