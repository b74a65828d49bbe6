#!/bin/sh
# version.sh - one version everywhere: "smime-milter -V" prints the
# configured version (AC_INIT), NEWS has an entry for it at the top, and
# debian/changelog (when present: not in a release tarball) packages it.
# Exit: 0 pass, 77 skip (daemon not built), 1 fail.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
fail() { echo "FAIL: $*"; exit 1; }
smf=$top_builddir/milter/smime-milter
[ -x "$smf" ] || { echo "SKIP: $smf not built"; exit 77; }
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$version" ] || fail "no PACKAGE_VERSION in config.h"

out=$("$smf" -V) || fail "smime-milter -V exited $?"
echo "$out"
case $out in
"smime-milter $version ("*) ;;
*) fail "smime-milter -V does not report $version" ;;
esac

news=$(grep -m 1 -E '^[0-9]+\.[0-9]+(\.[0-9]+)? ' "$top_srcdir/NEWS" | cut -d' ' -f1)
[ "$news" = "$version" ] || fail "the top NEWS entry is $news, not $version"

if [ -f "$top_srcdir/debian/changelog" ]; then
	deb=$(sed -n '1s/^smime-milter (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
	[ "${deb%-*}" = "$version" ] || fail "debian/changelog packages $deb, not $version"
fi
echo "ok version $version in -V, NEWS and debian/changelog"
