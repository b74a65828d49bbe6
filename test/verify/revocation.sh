#!/bin/sh
# revocation.sh - revocation scope and precedence.
#
# Done when (issue 11): with only the issuing CA's CRL configured, good
# mail passes, a revoked signer fails (certificate revoked), an expired
# one fails (expired), a signer that is not the From is policy.
# Precedence: every definitive result (content altered, expired, not yet
# valid, revoked, untrusted root, missing intermediate, missing
# emailProtection, signer != From) wins over "revocation data
# unavailable", under each verify.revocation_unavailable setting.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
corpus=$(mktemp -d "${TMPDIR:-/tmp}/smime-rev.XXXXXX") || exit 99
trap 'rm -rf "$corpus"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$corpus" >/dev/null || exit 99
pki=$corpus/pki
cd "$pki" || exit 99
v() { "$tool" -t trust.pem "$@" 2>&1; }

# A message whose signer's CA certificate is nowhere: not in the
# message, not configured.
{
	printf 'From: taro@example.jp\nTo: voter@example.net\nSubject: no chain\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nno chain\n' |
	"$OPENSSL" cms -sign -signer taro.crt -inkey taro.key
} > "$corpus/nochain.eml" || exit 99

# --- Done when: only the issuing CA's CRL (crl.pem), default settings.
c="-i chain.pem -c crl.pem"
check done-good "smime=pass header.from=taro@example.jp" "$(v $c "$corpus/good-rsa2048.eml")"
check done-revoked "smime=fail (certificate revoked) header.from=revoked@example.jp" "$(v $c "$corpus/revoked.eml")"
check done-expired "smime=fail (expired) header.from=expired@example.jp" "$(v $c "$corpus/expired.eml")"
check done-from "smime=policy (signer does not match From) header.from=hanako@example.jp" "$(v $c "$corpus/from-mismatch.eml")"
# The intermediate is checked when its CRL is there: a revoked
# intermediate fails everything below it.
CA_NAME=root-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf \
    -cert root-ca.crt -keyfile root-ca.key -revoke inter-ca.crt 2>/dev/null &&
CA_NAME=root-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf \
    -cert root-ca.crt -keyfile root-ca.key -gencrl -out root-crl-revoked.pem 2>/dev/null || exit 99
check inter-revoked "smime=fail (certificate revoked) header.from=taro@example.jp" \
    "$(v $c -c root-crl-revoked.pem "$corpus/good-rsa2048.eml")"
# ... and with scope chain, good mail needs both CRLs.
check chain-both "smime=pass header.from=taro@example.jp" \
    "$(v -S chain $c -c root-crl.pem "$corpus/good-rsa2048.eml")"

# --- Revocation data unavailable: only the root's CRL is configured, so
# nothing vouches for the signer.
u="-i chain.pem -c root-crl.pem"
check unavail-temperror "smime=temperror (CRL unavailable) header.from=hanako@example.jp" \
    "$(v $u "$corpus/good-p256.eml")"
check unavail-neutral "smime=neutral (CRL unavailable) header.from=hanako@example.jp" \
    "$(v -U neutral $u "$corpus/good-p256.eml")"
check unavail-pass "smime=pass (CRL unavailable) header.from=hanako@example.jp" \
    "$(v -U pass $u "$corpus/good-p256.eml")"

# --- Each definitive result against unavailable data, each setting.
for mode in temperror neutral pass; do
	check "altered/$mode" "smime=fail (content altered) header.from=taro@example.jp" \
	    "$(v -U $mode $u "$corpus/tampered-body.eml")"
	check "expired/$mode" "smime=fail (expired) header.from=expired@example.jp" \
	    "$(v -U $mode $u "$corpus/expired.eml")"
	check "notyet/$mode" "smime=fail (not yet valid) header.from=notyet@example.jp" \
	    "$(v -U $mode $u "$corpus/not-yet-valid.eml")"
	check "untrusted/$mode" "smime=fail (untrusted root) header.from=untrusted@example.jp" \
	    "$(v -U $mode $u "$corpus/untrusted-root.eml")"
	check "nochain/$mode" "smime=fail (missing intermediate) header.from=taro@example.jp" \
	    "$(v -U $mode -c root-crl.pem "$corpus/nochain.eml")"
	check "noeku/$mode" "smime=policy (missing emailProtection) header.from=noeku@example.jp" \
	    "$(v -U $mode $u "$corpus/noeku.eml")"
	check "from/$mode" "smime=policy (signer does not match From) header.from=hanako@example.jp" \
	    "$(v -U $mode $u "$corpus/from-mismatch.eml")"
	# Revoked signer, unavailable intermediate (scope chain, no root CRL).
	check "revoked/$mode" "smime=fail (certificate revoked) header.from=revoked@example.jp" \
	    "$(v -U $mode -S chain -i chain.pem -c crl.pem "$corpus/revoked.eml")"
done

# Without any revocation source nothing is checked (as before).
check no-source "smime=pass header.from=revoked@example.jp" "$(v -i chain.pem "$corpus/revoked.eml")"
[ "$fails" -eq 0 ]
