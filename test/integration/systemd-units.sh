#!/bin/sh
# systemd-units.sh - check contrib/systemd with systemd-analyze verify: the
# units generated from the .in files (paths pointing at this build) must
# load without unknown keys, bad values or missing executables, and the
# timer must start the renewal service daily.  Needs no root.
# Exit: 0 pass, 77 skip (binaries not built), 1 fail.

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
for b in milter/smime-milter enroll/smime-enroll; do
	[ -x "$builddir/$b" ] || { echo "SKIP: $b not built"; exit 77; }
done
command -v systemd-analyze >/dev/null 2>&1 ||
    { echo "FAIL: systemd-analyze missing (Debian package systemd)"; exit 1; }

work=$(mktemp -d /tmp/smime-units.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
for u in smime-milter.service smime-enroll-renew.service \
    smime-enroll-check.service; do
	# The daemon is built in milter/, smime-enroll in enroll/.
	case $u in smime-milter.*) bin=$builddir/milter ;; *) bin=$builddir/enroll ;; esac
	sed -e "s|@sbindir@|$bin|g" -e "s|@bindir@|$bin|g" \
	    -e "s|@sysconfdir@|$work/etc|g" -e "s|@localstatedir@|$work/var|g" \
	    -e "s|@runstatedir@|$work/run|g" \
	    "$srcdir/contrib/systemd/$u.in" > "$work/$u" || exit 1
	if grep -n '@[a-z]*@' "$work/$u"; then
		echo "FAIL: $u: unsubstituted placeholder"
		exit 1
	fi
done
cp "$srcdir/contrib/systemd/smime-enroll-renew.timer" "$work/"

(cd "$work" && systemd-analyze verify --man=no ./smime-milter.service \
    ./smime-enroll-renew.service ./smime-enroll-check.service \
    ./smime-enroll-renew.timer) \
    >"$work/verify.out" 2>&1
rc=$?
cat "$work/verify.out"
[ $rc = 0 ] || { echo "FAIL: systemd-analyze verify exited $rc"; exit 1; }
if grep -E -i 'unknown|invalid|failed to parse|not executable|bad.setting|fatal|ignoring' \
    "$work/verify.out" | grep -v 'container'; then
	echo "FAIL: systemd-analyze complains about the units"
	exit 1
fi
# The unit really runs the daemon in the foreground and renews daily.
grep -q "^ExecStart=$builddir/milter/smime-milter -f -c " "$work/smime-milter.service" ||
    { echo "FAIL: ExecStart"; exit 1; }
grep -q '^ExecStart=.*smime-enroll .* renew --all --within 60$' \
    "$work/smime-enroll-renew.service" || { echo "FAIL: renew command"; exit 1; }
# ... and the expiry check runs right after each renewal.
grep -q '^Wants=smime-enroll-check.service$' "$work/smime-enroll-renew.service" &&
    grep -q '^After=smime-enroll-renew.service$' "$work/smime-enroll-check.service" &&
    grep -q '^ExecStart=.*smime-enroll .* check$' "$work/smime-enroll-check.service" ||
    { echo "FAIL: check unit not chained to renewal"; exit 1; }
grep -q '^OnCalendar=daily$' "$work/smime-enroll-renew.timer" ||
    { echo "FAIL: timer"; exit 1; }

# Run the units' commands against a small configuration: the check of
# ExecStartPre/ExecReload, the daily renewal and check (nothing due: exit 0) must
# work with the options the binaries really take.
mkdir -p "$work/etc/smime-milter/store" || exit 1
${OPENSSL:-openssl} req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$work/ta.key" -out "$work/etc/trust.pem" -days 2 \
    -subj /CN=units-test >/dev/null 2>&1 || { echo "FAIL: openssl"; exit 1; }
cat > "$work/etc/smime-milter.conf" <<EOC
socket = "inet:8894@127.0.0.1";
sign = { store = "smime-milter/store"; };
verify = { trust_anchors = "trust.pem"; };
EOC
for line in "ExecStartPre" "ExecReload"; do
	cmd=$(sed -n "s/^$line=//p" "$work/smime-milter.service" | head -n 1)
	$cmd || { echo "FAIL: $line '$cmd' exited $?"; exit 1; }
done
for u in smime-enroll-renew smime-enroll-check; do
	cmd=$(sed -n 's/^ExecStart=//p' "$work/$u.service")
	$cmd || { echo "FAIL: $u ExecStart '$cmd' exited $?"; exit 1; }
done
echo "ok systemd units verify; their commands run"
exit 0
