#!/bin/sh
# aia.sh - missing intermediates and verify.aia_fetch: a signer whose CA
# certificate is neither in the message nor configured is "missing
# intermediate"; with fetching on, the CA certificate named by the
# caIssuers URL (served on loopback by crlserver.py, as DER and as
# PKCS #7, RFC 5280 4.2.2.1) completes the path (pass), once per URL
# (cache); a 404, a PEM answer (not DER) or a non-CA answer leaves it
# missing; a fetched CA under an untrusted root
# does not make it trusted.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
verify_workdir aia
mkdir -p "$work/www"
start_crlserver "$work/www"

# leaf NAME CA URL: a leaf of CA naming URL as caIssuers, and its message
# signed without any CA certificate.
leaf() {
	cat > "$1.ext" <<EXT
[ v3_aia ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$1@example.jp
authorityInfoAccess = caIssuers;URI:$3
EXT
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null &&
	CA_NAME=$2 LEAF_EMAIL=x "$OPENSSL" req -new -config ca.cnf -key "$1.key" -subj "/CN=$1" -out "$1.csr" &&
	CA_NAME=$2 LEAF_EMAIL=x "$OPENSSL" ca -batch -config ca.cnf -cert "$2.crt" -keyfile "$2.key" \
	    -in "$1.csr" -out "$1.crt" -extfile "$1.ext" -extensions v3_aia -notext 2>/dev/null &&
	{
		printf 'From: %s@example.jp\nTo: voter@example.net\nSubject: aia\n' "$1"
		printf 'Content-Type: text/plain\n\nAIA test\n' |
		"$OPENSSL" cms -sign -signer "$1.crt" -inkey "$1.key"
	} > "$1.eml"
}
# A second intermediate under the untrusted root.
: > rogue-ca.index && echo 1000 > rogue-ca.serial &&
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out rogue-ca.key 2>/dev/null &&
CA_NAME=other-root LEAF_EMAIL=x "$OPENSSL" req -new -config ca.cnf -key rogue-ca.key -subj "/CN=Rogue CA" -out rogue-ca.csr &&
CA_NAME=other-root LEAF_EMAIL=x "$OPENSSL" ca -batch -config ca.cnf -cert other-root.crt -keyfile other-root.key \
    -in rogue-ca.csr -out rogue-ca.crt -extensions v3_ca -notext 2>/dev/null || exit 99
leaf aiader inter-ca "$base/inter.cer" &&
leaf aiap7 inter-ca "$base/inter.p7c" &&
leaf aiapem inter-ca "$base/inter.pem" &&
leaf aia404 inter-ca "$base/missing.cer" &&
leaf aialeaf inter-ca "$base/leaf.cer" &&
leaf aiarogue rogue-ca "$base/rogue.cer" || exit 99
"$OPENSSL" x509 -in inter-ca.crt -outform DER -out "$work/www/inter.cer" &&
"$OPENSSL" crl2pkcs7 -nocrl -certfile inter-ca.crt -outform DER -out "$work/www/inter.p7c" &&
cp inter-ca.crt "$work/www/inter.pem" &&
"$OPENSSL" x509 -in taro.crt -outform DER -out "$work/www/leaf.cer" &&
"$OPENSSL" x509 -in rogue-ca.crt -outform DER -out "$work/www/rogue.cer" || exit 99

part() { printf '%s\n' "$2" | awk -v k="$1" 'BEGIN { n = 1 } /^--$/ { n++; next } n == k'; }
v() { "$tool" -t trust.pem -W 2 "$@" 2>&1; }

check off "smime=fail (missing intermediate) header.from=aiader@example.jp" "$(v aiader.eml)"
[ ! -s "$work/log" ] && echo "ok off-no-fetch" || { echo "FAIL off-no-fetch"; fails=$((fails + 1)); }
out=$(v -I aiader.eml aiader.eml)
check der "smime=pass header.from=aiader@example.jp" "$(part 1 "$out")"
check der-cached "smime=pass header.from=aiader@example.jp" "$(part 2 "$out")"
n=$(grep -c '^/inter.cer ' "$work/log")
[ "$n" -eq 1 ] && echo "ok fetched-once" || { echo "FAIL fetched-once: $n"; fails=$((fails + 1)); }
check p7 "smime=pass header.from=aiap7@example.jp" "$(v -I aiap7.eml)"
check pem "smime=fail (missing intermediate) header.from=aiapem@example.jp" "$(v -I aiapem.eml)"
check 404 "smime=fail (missing intermediate) header.from=aia404@example.jp" "$(v -I aia404.eml)"
check not-a-ca "smime=fail (missing intermediate) header.from=aialeaf@example.jp" "$(v -I aialeaf.eml)"
check rogue "smime=fail (untrusted root) header.from=aiarogue@example.jp" "$(v -I aiarogue.eml)"
# Configured intermediates need no fetch.
check configured "smime=pass header.from=aiader@example.jp" "$(v -i chain.pem aiader.eml)"
[ "$fails" -eq 0 ]
