#!/bin/sh
# stamp.sh - make-test-pki.sh reuses an existing PKI only while it is
# current: made by this version of the script and valid for 30 more days.
# A PKI whose stamp names another version, or whose leaf expires soon (as
# a committed or long-kept PKI would), is rebuilt with fresh dates.
# Exit: 0 pass, 1 fail.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OPENSSL:=openssl}"
export OPENSSL
mk=$top_srcdir/test/pki/make-test-pki.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/pki-stamp.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
fp() { "$OPENSSL" x509 -noout -fingerprint -sha256 -in "$1"; }

# A current PKI (the shared one, see shared.sh) is reused as it is.
top_builddir=${top_builddir:-$top_srcdir} sh "$top_srcdir/test/pki/shared.sh" \
    pki "$work/pki" || fail "copy of the shared PKI"
[ -f "$work/pki/.complete" ] || fail "no stamp"
[ "$(stat -c %a "$work/pki/taro.key")" = 600 ] || fail "copied key is not mode 0600"
a=$(fp "$work/pki/taro.crt")
sh "$mk" "$work/pki" >/dev/null 2>&1 || fail "second run"
[ "$(fp "$work/pki/taro.crt")" = "$a" ] || fail "current PKI was rebuilt"

# Another version of the script made it: rebuilt, valid from now on.
echo "0 0" > "$work/pki/.complete"
sh "$mk" "$work/pki" >/dev/null 2>&1 || fail "third run"
b=$(fp "$work/pki/taro.crt")
[ "$b" != "$a" ] || fail "PKI of another script version was reused"
[ "$(cat "$work/pki/.complete")" != "0 0" ] || fail "stamp not renewed"
# Validity starts now and lasts years (not a fixed date in the past).
"$OPENSSL" x509 -checkend $((2 * 365 * 86400)) -noout -in "$work/pki/taro.crt" \
    >/dev/null || fail "taro.crt not valid for 2 more years"
now=$(date -u +%s)
nb=$(date -u -d "$("$OPENSSL" x509 -noout -startdate -in "$work/pki/taro.crt" | cut -d= -f2)" +%s)
[ $((now - nb)) -lt 3600 ] && [ $((now - nb)) -ge -300 ] ||
    fail "taro.crt notBefore is not the generation time"

# Leaf about to expire (stamp current): rebuilt.
cd "$work/pki" || exit 1
"$OPENSSL" req -x509 -new -key taro.key -subj /CN=old -days 10 -out taro.crt \
    2>/dev/null || fail "making a short-lived leaf"
cd - >/dev/null || exit 1
sh "$mk" "$work/pki" >/dev/null 2>&1 || fail "fourth run"
"$OPENSSL" x509 -checkend $((365 * 86400)) -noout -in "$work/pki/taro.crt" \
    >/dev/null || fail "expiring PKI was reused"
[ -f "$work/pki/notyet.crt" ] && [ -f "$work/pki/crl.pem" ] || fail "rebuild incomplete"
echo "ok make-test-pki.sh rebuilds stale PKIs"
