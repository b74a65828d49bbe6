#!/bin/sh
# csr.sh - keygen modes and refusal to overwrite; CSR bytes checked with
# the openssl CLI: UTF-8 subject as UTF8String for every Japanese field
# (never T61String/BMPString), SAN email, EKU; bad profiles rejected.
. "${top_srcdir:-.}/test/enroll/common.sh"

write_conf
a=taro@example.jp

"$ENROLL" -c "$work/enroll.conf" keygen "$a" > "$work/out" || fail "keygen"
[ "$(stat -c %a "$store/$a/key.pem")" = 600 ] || fail "key mode"
[ "$(stat -c %a "$store/$a")" = 700 ] || fail "directory mode"
[ "$(stat -c %a "$store")" = 700 ] || fail "store mode"
"$OPENSSL" pkey -in "$store/$a/key.pem" -noout -text | grep -q "NIST CURVE: P-256" ||
	fail "enroll.key_type ec:P-256 not used"
cp "$store/$a/key.pem" "$work/first.key"
expect_rc 6 "use --force" "$ENROLL" -c "$work/enroll.conf" keygen "$a"
cmp -s "$store/$a/key.pem" "$work/first.key" || fail "key overwritten without --force"
"$ENROLL" -c "$work/enroll.conf" keygen "$a" --type rsa:3072 --force > /dev/null ||
	fail "keygen --force"
cmp -s "$store/$a/key.pem.prev" "$work/first.key" || fail "key.pem.prev is not the old key"
"$OPENSSL" pkey -in "$store/$a/key.pem" -noout -text | grep -q "3072 bit" ||
	fail "--type rsa:3072 not used"
expect_rc 2 "unknown key type" "$ENROLL" -c "$work/enroll.conf" keygen b@example.jp --type dsa:1024
expect_rc 0 "" "$ENROLL" -c "$work/enroll.conf" --dry-run keygen c@example.jp
[ -e "$store/c@example.jp" ] && fail "--dry-run wrote something"

# The CSR, with the profile from options and config defaults.
"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn 山田太郎 --ou 衆議院議員候補 \
	--dn-email --out "$work/taro.csr" || fail "csr"
"$OPENSSL" req -in "$work/taro.csr" -verify -noout 2>/dev/null || fail "CSR signature"
"$OPENSSL" req -in "$work/taro.csr" -noout -text -nameopt utf8,sep_multiline \
	> "$work/csr.txt" || fail "openssl req -text"
for want in "C=JP" "ST=東京都" "L=千代田区" "O=山田太郎" "OU=衆議院議員候補" \
    "CN=山田太郎" "emailAddress=taro@example.jp" "email:taro@example.jp" \
    "E-mail Protection" "Digital Signature, Non Repudiation, Key Encipherment"; do
	grep -qF "$want" "$work/csr.txt" || fail "CSR text lacks $want"
done
"$OPENSSL" asn1parse -in "$work/taro.csr" > "$work/csr.asn1" || fail "asn1parse"
for field in stateOrProvinceName localityName organizationName \
    organizationalUnitName commonName; do
	grep -A1 ":$field\$" "$work/csr.asn1" | grep -q "UTF8STRING" ||
		fail "$field is not a UTF8String"
done
grep -A1 ':countryName$' "$work/csr.asn1" | grep -q PRINTABLESTRING || fail "C type"
grep -A1 ':emailAddress$' "$work/csr.asn1" | grep -q IA5STRING || fail "emailAddress type"
grep -qE "T61STRING|BMPSTRING|UNIVERSALSTRING" "$work/csr.asn1" && fail "non-UTF-8 string type"
[ "$(grep -c UTF8STRING "$work/csr.asn1")" -eq 5 ] || fail "expected 5 UTF8Strings"

# Without --dn-email there is no emailAddress in the subject, only the SAN.
"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn 山田太郎 > "$work/plain.csr" || fail "csr to stdout"
"$OPENSSL" req -in "$work/plain.csr" -noout -subject -nameopt utf8 | grep -q emailAddress &&
	fail "emailAddress without --dn-email"

# A CSR for an address without a key generates one.
"$ENROLL" -c "$work/enroll.conf" csr hanako@example.jp --cn 佐藤花子 --st 大阪府 \
	--out "$work/hanako.csr" 2> "$work/err" || fail "csr without key"
grep -q "generated a new key" "$work/err" || fail "no note about the new key"
[ -f "$store/hanako@example.jp/key.pem" ] || fail "no key stored for hanako"

# Bad profiles: exit 4 and the message that names the field.
expect_rc 4 "CN: required" "$ENROLL" -c "$work/enroll.conf" csr "$a"
expect_rc 4 'C: must be two upper-case letters (ISO 3166), got "jp"' \
	"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn X --c jp
expect_rc 4 "OU: 65 characters, RFC 5280 allows at most 64" \
	"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn X \
	--ou "$(printf '%065d' 0)"
expect_rc 4 "CN: control character U+0009" \
	"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn "$(printf 'a\tb')"
expect_rc 4 "O: not valid UTF-8" \
	"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn X --o "$(printf '\377')"
expect_rc 2 "is not local@domain" "$ENROLL" -c "$work/enroll.conf" csr taro --cn X
# An unknown prefecture is a warning only.
expect_rc 0 'ST: "Tokio" is not one of the 47 prefectures' \
	"$ENROLL" -c "$work/enroll.conf" csr "$a" --cn X --st Tokio
expect_rc 0 "" "$ENROLL" -c "$work/enroll.conf" csr "$a" --cn X --st Kanagawa-ken
[ -s "$work/err" ] && fail "romaji prefecture warned: $(cat "$work/err")"
expect_rc 3 "" "$ENROLL" -c "$work/missing.conf" list

# senders: who may send as the address (read by the daemon's loader).
"$ENROLL" -c "$work/enroll.conf" senders "$a" taro taro-staff > /dev/null || fail "senders set"
[ "$("$ENROLL" -c "$work/enroll.conf" senders "$a" | tr '\n' ' ')" = "taro taro-staff " ] ||
	fail "senders show"
expect_rc 4 'login "a b"' "$ENROLL" -c "$work/enroll.conf" senders "$a" "a b"

# Run as root: files stay root's, readable through the milter's group
# (smime-enroll(8), ownership model); the milter's user writes nothing.
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
	sed -i '1i user = "nobody";' "$work/enroll.conf"
	"$ENROLL" -c "$work/enroll.conf" keygen own@example.jp > /dev/null || fail "keygen as root"
	g=$(id -gn nobody)
	[ "$(stat -c %U:%G:%a "$store/own@example.jp")" = "root:$g:750" ] ||
		fail "directory is $(stat -c %U:%G:%a "$store/own@example.jp")"
	[ "$(stat -c %U:%G:%a "$store/own@example.jp/key.pem")" = "root:$g:640" ] ||
		fail "key is $(stat -c %U:%G:%a "$store/own@example.jp/key.pem")"
	sed -i 's/^user = "nobody";/user = "no-such-user-x";/' "$work/enroll.conf"
	expect_rc 3 'user "no-such-user-x" does not exist' "$ENROLL" -c "$work/enroll.conf" list
fi
echo "csr: ok"
