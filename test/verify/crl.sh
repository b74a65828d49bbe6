#!/bin/sh
# crl.sh - CRL handling of a running verifier: a CRL file replaced on disk
# is picked up without a restart (taro passes, is revoked, then fails), a
# broken replacement keeps the last good CRLs, a missing CRL for a chain
# member is a temperror, and trust anchors may be a hashed directory.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
corpus=$(mktemp -d "${TMPDIR:-/tmp}/smime-crl.XXXXXX") || exit 99
trap 'rm -rf "$corpus"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$corpus" >/dev/null || exit 99
pki=$corpus/pki
cd "$pki" || exit 99

cp crl.pem live-crl.pem
# The verifier looks at the files at most once a second: wait longer.
out=$( {
	echo "$corpus/good-rsa2048.eml"
	sleep 1.5
	CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf \
	    -cert inter-ca.crt -keyfile inter-ca.key -revoke taro.crt 2>/dev/null &&
	CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf \
	    -cert inter-ca.crt -keyfile inter-ca.key -gencrl -out new-crl.pem 2>/dev/null &&
	mv new-crl.pem live-crl.pem
	echo "$corpus/good-rsa2048.eml"
	sleep 1.5
	echo garbage > live-crl.pem
	echo "$corpus/good-rsa2048.eml"
	echo "$corpus/revoked.eml"
} | "$tool" -t trust.pem -i chain.pem -c live-crl.pem -c root-crl.pem - 2>&1)
part() { printf '%s\n' "$out" | awk -v k="$1" 'BEGIN { n = 1 } /^--$/ { n++; next } n == k'; }
check before "smime=pass header.from=taro@example.jp" "$(part 1)"
check reloaded "smime=fail (certificate revoked) header.from=taro@example.jp" "$(part 2)"
check kept-after-garbage "smime=fail (certificate revoked) header.from=taro@example.jp" "$(part 3)"
check kept-other "smime=fail (certificate revoked) header.from=revoked@example.jp" "$(part 4)"

# Scope "leaf" (default): the issuing CA's CRL alone is enough; the
# intermediate is checked only when its CRL is there.  Scope "chain":
# without the root's CRL the intermediate cannot be checked.
out=$("$tool" -t trust.pem -i chain.pem -c crl.pem "$corpus/good-p256.eml" 2>&1)
check no-root-crl-leaf "smime=pass header.from=hanako@example.jp" "$out"
out=$("$tool" -S chain -t trust.pem -i chain.pem -c crl.pem "$corpus/good-p256.eml" 2>&1)
check no-root-crl-chain "smime=temperror (CRL unavailable)" "$out"
# An expired CRL (nextUpdate passed) cannot vouch for anything.
CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf \
    -cert inter-ca.crt -keyfile inter-ca.key -gencrl \
    -crlsec 1 -out short-crl.pem 2>/dev/null || exit 99
sleep 2
out=$("$tool" -t trust.pem -i chain.pem -c short-crl.pem -c root-crl.pem "$corpus/good-p256.eml" 2>&1)
check expired-crl "smime=temperror (CRL unavailable)" "$out"
# A CRL file that cannot be read is a configuration error at start.
out=$("$tool" -t trust.pem -c /nonexistent/crl.pem "$corpus/good-p256.eml" 2>&1)
check bad-crl-file "verifier: " "$out"

# Trust anchors as a hashed directory.
mkdir anchors && cp root-ca.crt anchors/ && "$OPENSSL" rehash anchors 2>/dev/null ||
	{ echo "openssl rehash failed"; exit 99; }
out=$("$tool" -t anchors -i chain.pem "$corpus/good-p256.eml" 2>&1)
check hashed-dir "smime=pass header.from=hanako@example.jp" "$out"
out=$("$tool" -t other-root.crt -i chain.pem "$corpus/good-p256.eml" 2>&1)
check other-anchor "smime=fail (untrusted root) header.from=hanako@example.jp" "$out"
[ "$fails" -eq 0 ]
