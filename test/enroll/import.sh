#!/bin/sh
# import.sh - certificates as CAs deliver them: PEM, DER, PKCS#7 bundle,
# PKCS#12 (current and legacy RC2/3DES); chain completion; refusals for
# a mismatched key, a wrong address, an expired cert, no emailProtection,
# a wrong password; *.prev kept and rollback.
. "${top_srcdir:-.}/test/enroll/common.sh"

write_conf "intermediates = \"$pki/chain.pem\";"
E="$ENROLL -c $work/enroll.conf"

# put_key NAME ADDRESS: the PKI's key as if made by keygen
put_key() {
	mkdir -p "$store/$2" && chmod 700 "$store" "$store/$2"
	cp "$pki/$1.key" "$store/$2/key.pem" && chmod 600 "$store/$2/key.pem"
}

# same_cert FILE1 FILE2: same certificate whatever the encoding
same_cert() {
	[ "$("$OPENSSL" x509 -in "$1" -outform DER | od -An -tx1)" = \
	  "$("$OPENSSL" x509 -in "$2" -outform DER | od -An -tx1)" ]
}

# check_installed NAME ADDRESS: cert is NAME's, chain is the intermediate,
# and the result verifies up to the root with openssl.
check_installed() {
	same_cert "$store/$2/cert.pem" "$pki/$1.crt" || fail "$2: wrong cert.pem"
	same_cert "$store/$2/chain.pem" "$pki/inter-ca.crt" || fail "$2: wrong chain.pem"
	[ "$(grep -c BEGIN "$store/$2/chain.pem")" -eq 1 ] || fail "$2: root in chain.pem"
	"$OPENSSL" verify -CAfile "$pki/trust.pem" -untrusted "$store/$2/chain.pem" \
		-purpose smimesign "$store/$2/cert.pem" > /dev/null ||
		fail "$2: installed cert does not verify"
	"$OPENSSL" x509 -in "$store/$2/cert.pem" -noout -pubkey > "$work/a.pub"
	"$OPENSSL" pkey -in "$store/$2/key.pem" -pubout > "$work/b.pub"
	cmp -s "$work/a.pub" "$work/b.pub" || fail "$2: key and cert differ"
	[ "$(stat -c %a "$store/$2/key.pem")" = 600 ] || fail "$2: key mode"
}

# PEM (chain from enroll.intermediates).
put_key taro taro@example.jp
$E import taro@example.jp "$pki/taro.crt" > "$work/out" || fail "PEM import"
grep -q "imported taro@example.jp: serial" "$work/out" || fail "PEM: no report"
check_installed taro taro@example.jp

# DER, over the PEM one: the previous cert is kept.
"$OPENSSL" x509 -in "$pki/taro.crt" -outform DER -out "$work/taro.der"
$E import taro@example.jp "$work/taro.der" > /dev/null || fail "DER import"
check_installed taro taro@example.jp
same_cert "$store/taro@example.jp/cert.pem.prev" "$pki/taro.crt" || fail "no cert.pem.prev"

# PKCS#7 bundle (PEM and DER) carrying the intermediate; no intermediates
# configured, so the chain must come from the bundle.
write_conf
"$OPENSSL" crl2pkcs7 -nocrl -certfile "$pki/hanako.crt" -certfile "$pki/inter-ca.crt" \
	-out "$work/hanako.p7b" || fail "crl2pkcs7"
"$OPENSSL" crl2pkcs7 -nocrl -certfile "$pki/hanako.crt" -certfile "$pki/inter-ca.crt" \
	-outform DER -out "$work/hanako.p7c" || fail "crl2pkcs7 DER"
put_key hanako hanako@example.jp
$E import hanako@example.jp "$work/hanako.p7b" > /dev/null || fail "PKCS#7 PEM import"
check_installed hanako hanako@example.jp
rm -f "$store/hanako@example.jp/cert.pem" "$store/hanako@example.jp/chain.pem"
$E import hanako@example.jp "$work/hanako.p7c" > /dev/null || fail "PKCS#7 DER import"
check_installed hanako hanako@example.jp

# PKCS#12: the key comes with it (no keygen before), password from env,
# file and stdin.
"$OPENSSL" pkcs12 -export -inkey "$pki/saburo.key" -in "$pki/saburo.crt" \
	-certfile "$pki/chain.pem" -passout pass:p12pass -out "$work/saburo.p12" ||
	fail "pkcs12 -export"
P12PASS=p12pass; export P12PASS
$E import saburo@example.jp "$work/saburo.p12" --pass env:P12PASS > /dev/null ||
	fail "PKCS#12 import"
check_installed saburo saburo@example.jp
[ -f "$store/saburo@example.jp/key.pem.prev" ] && fail "key.pem.prev without an old key"
echo p12pass > "$work/passfile"
$E import saburo@example.jp "$work/saburo.p12" --pass "file:$work/passfile" > /dev/null ||
	fail "PKCS#12 --pass file:"
echo p12pass | $E import saburo@example.jp "$work/saburo.p12" --pass stdin > /dev/null ||
	fail "PKCS#12 --pass stdin"
expect_rc 4 "wrong PKCS#12 password" $E import saburo@example.jp "$work/saburo.p12" \
	--pass "file:$work/enroll.conf"
expect_rc 4 "needs a password" $E import saburo@example.jp "$work/saburo.p12"

# Legacy PKCS#12 as older Windows exports: RC2-40 certs, 3DES key; and one
# all 3DES.  The legacy provider must be loaded for RC2.
"$OPENSSL" pkcs12 -export -legacy -inkey "$pki/jiro384.key" -in "$pki/jiro384.crt" \
	-certfile "$pki/chain.pem" -passout pass:old -out "$work/jiro-rc2.p12" ||
	fail "pkcs12 -legacy"
"$OPENSSL" pkcs12 -in "$work/jiro-rc2.p12" -info -noout -passin pass:old -legacy 2>&1 |
	grep -q "RC2" || fail "legacy file is not RC2"
PASSOLD=old; export PASSOLD
$E import jiro@example.jp "$work/jiro-rc2.p12" --pass env:PASSOLD > /dev/null ||
	fail "legacy RC2 PKCS#12 import"
check_installed jiro384 jiro@example.jp
rm -rf "${store:?}/jiro@example.jp"
"$OPENSSL" pkcs12 -export -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 \
	-inkey "$pki/jiro384.key" -in "$pki/jiro384.crt" -certfile "$pki/chain.pem" \
	-passout pass:old -out "$work/jiro-3des.p12" || fail "pkcs12 3DES"
$E import jiro@example.jp "$work/jiro-3des.p12" --pass env:PASSOLD > /dev/null ||
	fail "3DES PKCS#12 import"
check_installed jiro384 jiro@example.jp

# A PKCS#12 with a different key replaces the stored one, keeping it.
put_key taro taro@example.jp
"$OPENSSL" pkcs12 -export -inkey "$pki/hanako.key" -in "$pki/hanako.crt" \
	-passout pass:x -out "$work/hanako.p12" || fail "pkcs12 hanako"

put_key taro saburo@example.jp
$E import saburo@example.jp "$work/saburo.p12" --pass env:P12PASS > /dev/null ||
	fail "PKCS#12 import over another key"
check_installed saburo saburo@example.jp
cmp -s "$store/saburo@example.jp/key.pem.prev" "$pki/taro.key" || fail "replaced key not kept"

# Refusals, each leaving the store as it was.
cp "$store/taro@example.jp/cert.pem" "$work/before.pem"
expect_rc 4 "no certificate in the file matches the private key" \
	$E import taro@example.jp "$pki/hanako.crt"
echo x > "$work/xpass"
expect_rc 4 "is not for taro@example.jp (it names hanako@example.jp)" \
	$E import taro@example.jp "$work/hanako.p12" --pass "file:$work/xpass"
cmp -s "$store/taro@example.jp/cert.pem" "$work/before.pem" || fail "refusal changed cert.pem"
cmp -s "$store/taro@example.jp/key.pem" "$pki/taro.key" || fail "refusal changed key.pem"
put_key taro jiro@example.jp
expect_rc 4 "is not for jiro@example.jp" $E import jiro@example.jp "$pki/taro.crt"
put_key expired expired@example.jp
expect_rc 4 "certificate has expired" $E import expired@example.jp "$pki/expired.crt"
put_key notyet notyet@example.jp
expect_rc 4 "not valid yet" $E import notyet@example.jp "$pki/notyet.crt"
put_key noeku noeku@example.jp
expect_rc 4 "emailProtection" $E import noeku@example.jp "$pki/noeku.crt"
expect_rc 1 "No such file" $E import taro@example.jp "$work/nothere.pem"
head -c 300 /dev/urandom > "$work/junk"
expect_rc 4 "not a certificate, PKCS#7 or PKCS#12" $E import taro@example.jp "$work/junk"
[ -f "$store/expired@example.jp/cert.pem" ] && fail "expired cert installed"

# --dry-run checks but writes nothing.
put_key saburo dry@example.jp
expect_rc 4 "is not for dry@example.jp" $E --dry-run import dry@example.jp "$pki/saburo.crt"
[ -f "$store/dry@example.jp/cert.pem" ] && fail "--dry-run installed"

# Rollback to the previous cert.
$E rollback saburo@example.jp > /dev/null || fail "rollback"
same_cert "$store/saburo@example.jp/cert.pem" "$pki/saburo.crt" || fail "rollback cert"
expect_rc 4 "no previous files" $E rollback saburo@example.jp

# PEM bundle with an encrypted PKCS#8 key (no key stored before).
rm -rf "${store:?}/saburo@example.jp"
"$OPENSSL" pkey -in "$pki/saburo.key" -aes256 -passout pass:pempass -out "$work/enc.key"
cat "$pki/saburo.crt" "$pki/inter-ca.crt" "$work/enc.key" > "$work/saburo-enc.pem"
expect_rc 4 "encrypted keys need the right --pass" $E import saburo@example.jp "$work/saburo-enc.pem"
PEMPASS=pempass; export PEMPASS
$E import saburo@example.jp "$work/saburo-enc.pem" --pass env:PEMPASS > /dev/null ||
	fail "PEM with encrypted key"
check_installed saburo saburo@example.jp

# list shows them, UTF-8 intact, with statuses.
$E list > "$work/list" || fail "list"
grep -q "^taro@example.jp .*山田太郎 .*衆議院議員候補 .*Test Politician CA .* ok\$" "$work/list" ||
	fail "list row for taro: $(cat "$work/list")"
grep -q "^expired@example.jp .*pending\$" "$work/list" || fail "pending status"
$E list --json > "$work/list.json" || fail "list --json"
python3 - "$work/list.json" <<'PY' || fail "list --json content"
import json, sys
rows = {r["address"]: r for r in json.load(open(sys.argv[1], encoding="utf-8"))}
t = rows["taro@example.jp"]
assert t["cn"] == "山田太郎" and t["ou"] == "衆議院議員候補", t
assert t["status"] == "ok" and 1000 < t["days_left"] <= 1095, t
assert rows["expired@example.jp"]["status"] == "pending"
PY
echo "import: ok"
