#!/bin/sh
# algorithms.sh - algorithm policy: a SHA-1 signature and an RSA-1024
# signer are "policy" with a reason by default, even though they verify
# (checked with openssl cms -verify first); verify.allow_sha1 and
# verify.min_rsa_bits relax it.  A definitive fail still wins.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-alg.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" pki "$work/pki" || exit 99
cd "$work/pki" || exit 99
# signed NAME FROM CERT KEY [cms args]
signed() {
	n=$1 f=$2 c=$3 k=$4
	shift 4
	printf 'Content-Type: text/plain; charset=us-ascii\n\nalgorithm test\n' > "$n.txt"
	"$OPENSSL" cms -sign -in "$n.txt" -signer "$c" -inkey "$k" -certfile chain.pem "$@" > "$n.p7" || return 1
	# An independent verifier accepts the signature itself.
	"$OPENSSL" cms -verify -in "$n.p7" -noverify \
	    -out /dev/null 2>/dev/null || { echo "openssl rejects $n"; return 1; }
	{ printf 'From: %s\nTo: voter@example.net\nSubject: alg\n' "$f"; cat "$n.p7"; } > "$n.eml"
}
"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null &&
CA_NAME=inter-ca LEAF_EMAIL=short@example.jp "$OPENSSL" req -new -config ca.cnf -key rsa1024.key -subj "/C=JP/CN=Short Key" -out rsa1024.csr &&
CA_NAME=inter-ca LEAF_EMAIL=short@example.jp "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -in rsa1024.csr -out rsa1024.crt -extensions v3_leaf -notext 2>/dev/null || exit 99
signed sha1 taro@example.jp taro.crt taro.key -md sha1 &&
signed sha1ec hanako@example.jp hanako.crt hanako.key -md sha1 &&
signed short short@example.jp rsa1024.crt rsa1024.key &&
signed sha256 taro@example.jp taro.crt taro.key -md sha256 &&
signed sha1exp expired@example.jp expired.crt expired.key -md sha1 || exit 99

v() { "$tool" -t trust.pem -i chain.pem "$@" 2>&1; }
check sha1-rsa "smime=policy (SHA-1 signature) header.from=taro@example.jp" "$(v sha1.eml)"
check sha1-ec "smime=policy (SHA-1 signature) header.from=hanako@example.jp" "$(v sha1ec.eml)"
check sha1-allowed "smime=pass header.from=taro@example.jp" "$(v -1 sha1.eml)"
check rsa1024 "smime=policy (RSA key too short) header.from=short@example.jp" "$(v short.eml)"
check rsa1024-allowed "smime=pass header.from=short@example.jp" "$(v -R 1024 short.eml)"
check rsa2048-min3072 "smime=policy (RSA key too short) header.from=taro@example.jp" "$(v -R 3072 sha256.eml)"
check sha256 "smime=pass header.from=taro@example.jp" "$(v sha256.eml)"
check sha1-expired "smime=fail (expired) header.from=expired@example.jp" "$(v sha1exp.eml)"
[ "$fails" -eq 0 ]
