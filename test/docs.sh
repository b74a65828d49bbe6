#!/bin/sh
# docs.sh - the documentation names the paths the code uses:
#   1. the default configuration file the binaries read (smime-milter -h,
#      smime-enroll's error when it is missing) is the one in FILES of smime-milter(8), smime-milter.conf(5) and
#      smime-enroll(8) as built (configure's sysconfdir);
#   2. the e-mail roots file of trust_anchors = "system" (what -n reports
#      when it is missing: configure's localstatedir) is in all three;
#   3. one example store path: the sample configuration, the Debian
#      configuration, the README example and the three man pages agree;
#   4. no comment or document points at a *.md file that is not in the
#      repository, and none cites PITFALLS (a document of the developers,
#      not shipped).
# Exit: 0 pass, 1 fail, 77 skip (binaries or man pages not built).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
smf=$top_builddir/milter/smime-milter
enr=$top_builddir/enroll/smime-enroll
mans="$top_builddir/milter/smime-milter.8 $top_builddir/milter/smime-milter.conf.5
    $top_builddir/enroll/smime-enroll.8"
for f in "$smf" "$enr" $mans; do
	[ -e "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/docs.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
# in_files_section MAN STRING: STRING is a path listed under .SH FILES.
in_files_section() {
	awk '/^\.SH / { f = ($2 == "FILES") } f' "$1" | grep -qF -- "$2"
}

# 1. the default configuration file
conf=$("$smf" -h 2>&1 | sed -n 's/.*configuration file (default \(.*\))$/\1/p')
[ -n "$conf" ] || fail "smime-milter -h names no default configuration file"
# smime-enroll reads the same file (its error names it when it is missing).
if [ ! -e "$conf" ]; then
	"$enr" list 2>&1 | grep -qF -- "$conf:" ||
		fail "smime-enroll does not read $conf by default"
fi
for m in $mans; do
	in_files_section "$m" "$conf" || fail "$(basename "$m"): FILES lacks $conf"
done

# 2. the e-mail roots of trust_anchors = "system"
printf 'socket = "unix:%s/sock";\nmode = "v";\nverify = { trust_anchors = "system"; };\n' \
    "$work" > "$work/sys.conf"
roots=$("$smf" -c "$work/sys.conf" -n 2>&1 |
	sed -n 's/.*"system": \([^:]*\): .*/\1/p')
case $roots in
/*email-roots.pem) ;;
*) fail "-n with trust_anchors = \"system\" names no roots file (got '$roots')" ;;
esac
for m in $mans; do
	grep -qF -- "$roots" "$m" || fail "$(basename "$m") does not name $roots"
done
in_files_section "$top_builddir/milter/smime-milter.8" "$roots" ||
	fail "smime-milter.8: FILES lacks $roots"

# 3. one example store path
store=$(sed -n 's/^[ \t]*store = "\([^"]*\)";.*/\1/p' "$top_srcdir/conf/smime-milter.conf")
[ -n "$store" ] || fail "conf/smime-milter.conf sets no sign.store"
for f in "$top_srcdir/debian/smime-milter.conf" "$top_srcdir/README.md"; do
	[ -f "$f" ] || continue		# not in the release tarball
	got=$(sed -n 's/^[ \t]*store = "\([^"]*\)";.*/\1/p' "$f")
	[ "$got" = "$store" ] || fail "$f: store = \"$got\", the sample says \"$store\""
done
for m in $mans; do
	in_files_section "$m" "$store" || fail "$(basename "$m"): FILES lacks $store"
done

# 4. references to documents
cd "$top_srcdir" || exit 1
if [ -n "$(git ls-files test/docs.sh 2>/dev/null)" ]; then
	git ls-files > "$work/files"
else
	find . -type f | sed 's|^\./||' > "$work/files"
fi
grep -E '\.(c|h|sh|py|mk|am|ac|in|lua|java|conf)$|(^|/)README|\.md$' "$work/files" |
    grep -v '^test/docs\.sh$' > "$work/sources"
while IFS= read -r f; do
	grep -HnoE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' "$f" 2>/dev/null
done < "$work/sources" > "$work/refs"
while IFS=: read -r f line ref; do
	base=$(basename "$ref")
	grep -q "\(^\|/\)$base\$" "$work/files" ||
		fail "$f:$line points at $ref, which is not in the repository"
done < "$work/refs"
while IFS= read -r f; do
	grep -Hn 'PITFALLS' "$f" 2>/dev/null
done < "$work/sources" > "$work/pitfalls"
[ ! -s "$work/pitfalls" ] || fail "cites PITFALLS: $(cat "$work/pitfalls")"

[ $fails -eq 0 ] || exit 1
echo "ok: $conf, $roots and $store named alike by code, man pages, sample, Debian and README"
