#!/bin/sh
# quickstart.sh - run contrib/quickstart (the README's first command) on the
# tree make check just built, without apt-get and without rebuilding, and
# check that it ends with a message signed by the demo candidate, verified
# by openssl and by smime-milter, and that it leaves nothing behind.
# Needs no root.  Exit: 0 pass, 77 skip (binaries not built), 1 fail.

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
for b in milter/smime-milter enroll/smime-enroll test/client/milterclient; do
	[ -x "$builddir/$b" ] || { echo "SKIP: $b not built"; exit 77; }
done
command -v bash >/dev/null 2>&1 || { echo "FAIL: bash missing"; exit 1; }

# The demo's TMPDIR is a directory of its own, to see that it cleans up.
work=$(mktemp -d /tmp/smime-qs-test.XXXXXX) || exit 1
out=$(mktemp /tmp/smime-qs-out.XXXXXX) || exit 1
trap 'rm -rf "$work" "$out"' EXIT
TMPDIR=$work SMIME_BUILDDIR=$builddir bash "$srcdir/contrib/quickstart" \
    --no-deps --no-build >"$out" 2>&1
rc=$?
cat "$out"
fail() {
	echo "FAIL: $*"
	exit 1
}
[ $rc = 0 ] || fail "quickstart exited $rc"
grep -q 'CMS Verification successful' "$out" || fail "no openssl verification"
grep -q 'signer subject=.*OU=衆議院議員候補,CN=山田太郎' "$out" ||
    fail "signer is not the Japanese demo candidate"
grep -q 'Authentication-Results: mx.quickstart.example.jp; smime=pass' "$out" ||
    fail "no smime=pass from the milter"
grep -q 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256' "$out" ||
    fail "signed header fields not shown"
[ -z "$(ls -A "$work")" ] || fail "quickstart left files in TMPDIR: $(ls -A "$work")"
echo "ok quickstart signs, verifies and cleans up"
exit 0
