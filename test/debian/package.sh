#!/bin/bash
# package.sh - the Debian package, as a mail admin would get it:
#   1. dpkg-buildpackage -us -uc -b on a copy of this tree (tracked files);
#   2. lintian: no errors (warnings are printed; the kept ones are listed
#      in debian/README.source);
#   3. apt-get install ./smime-milter_*.deb;
#   4. the smime-milter user and group, files, modes, conffile, units,
#      man pages; smime-milter -V, -n and -T with the installed (verify
#      only, no identity) configuration; then the admin's path: smime-enroll
#      as root puts a candidate into the installed store (ownership model:
#      root, group smime-milter, key 0640), mode = "sv", and the installed
#      daemon, as user smime-milter, signs for the SMTP AUTH login (openssl
#      cms -verify) and only verifies mail from outside;
#   5. contrib/quickstart with the installed smime-milter and smime-enroll
#      (demo CA, identity, sign, openssl cms -verify, verify -> smime=pass);
#   6. apt-get purge leaves no file behind but the store that still holds
#      the candidate's key (the admin's data; README.Debian) and the system
#      user (Debian practice: files may still belong to it).
# It installs and removes a system package: root only, not part of
# "make check" (CI runs it from .ci/run; "make check-deb" by hand).
# Exit: 0 pass, 77 skip (not root, or no dpkg-buildpackage), 1 fail.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (installs a package)"; exit 77; }
for t in dpkg-buildpackage lintian apt-get; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP: $t missing"; exit 77; }
done
[ -f "$srcdir/debian/control" ] || { echo "SKIP: no debian/ (a release tarball)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/debpkg-test.XXXXXX") || exit 1
milter_pid=
enrolled=
cleanup() {
	[ -n "$milter_pid" ] && kill "$milter_pid" 2>/dev/null
	if dpkg-query -W -f='${Status}' smime-milter 2>/dev/null | grep -q installed; then
		apt-get purge -y -qq smime-milter >/dev/null 2>&1
	fi
	if [ -n "$enrolled" ]; then
		rm -rf /etc/smime-milter/store/taro@example.jp
		rmdir /etc/smime-milter/store /etc/smime-milter 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "FAIL: $*"
	exit 1
}
if dpkg-query -W -f='${Status}' smime-milter 2>/dev/null | grep -q 'ok installed'; then
	fail "smime-milter is already installed here; remove it first"
fi

# 1. Build from the tracked files (a clean tree, as CI's clone).
mkdir "$work/src"
if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$srcdir" && git ls-files -z | tar --null -T - -cf -) |
	    tar -C "$work/src" -xf - || fail "copying the tree"
else
	(cd "$srcdir" && tar --exclude='./build*' -cf - .) |
	    tar -C "$work/src" -xf - || fail "copying the tree"
fi
echo "==> dpkg-buildpackage -us -uc -b"
(cd "$work/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$work"/smime-milter_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "no .deb built"
echo "built $(basename "$deb")"

# 2. lintian
echo "==> lintian"
lintian --pedantic --info "$work"/smime-milter_*.changes > "$work/lintian.log" 2>&1
sed 's/^/    /' "$work/lintian.log" | grep -E '^    [EWIP]:' || true
if grep -q '^E:' "$work/lintian.log"; then
	fail "lintian reports errors"
fi

# 3. install (what carries our names before it, to compare after purge)
ours() {
	# (/run and /var/tmp only for the package's own runtime directory:
	# test suites running beside this one leave their files there.)
	{ find /etc /lib /usr /var /srv /opt \( -name '*smime-milter*' -o \
	    -name '*smime-enroll*' \) 2>/dev/null |
	    grep -v '^/var/lib/dpkg/\|^/var/cache/\|^/var/tmp/'
	  ls -d /run/smime-milter 2>/dev/null; } | sort
}
ours > "$work/before"
echo "==> apt-get install $(basename "$deb")"
cp "$deb" "$work/pkg.deb"
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends ./pkg.deb) > "$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "apt-get install"; }

# 4. what got installed
echo "==> user, files, permissions"
pw=$(getent passwd smime-milter) || fail "no smime-milter user"
getent group smime-milter >/dev/null || fail "no smime-milter group"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "smime-milter is not a system user (uid $uid)"
case $pw in
*:/usr/sbin/nologin) ;;
*) fail "smime-milter has a login shell: $pw" ;;
esac
[ "$(id -gn smime-milter)" = smime-milter ] || fail "primary group of smime-milter"
check_mode() { # check_mode PATH OWNER:GROUP MODE
	got=$(stat -c '%U:%G %a' "$1" 2>/dev/null) || fail "$1 missing"
	[ "$got" = "$2 $3" ] || fail "$1 is $got, want $2 $3"
}
check_mode /usr/sbin/smime-milter root:root 755
check_mode /usr/sbin/smime-enroll root:root 755
check_mode /etc/smime-milter.conf root:root 644
check_mode /etc/smime-milter root:smime-milter 750
check_mode /etc/smime-milter/store root:smime-milter 750
for f in /lib/systemd/system/smime-milter.service \
    /lib/systemd/system/smime-enroll-renew.service \
    /lib/systemd/system/smime-enroll-renew.timer \
    /usr/share/man/man8/smime-milter.8.gz /usr/share/man/man8/smime-enroll.8.gz \
    /usr/share/man/man5/smime-milter.conf.5.gz \
    /usr/share/doc/smime-milter/README.Debian \
    /usr/share/doc/smime-milter/NEWS.gz \
    /usr/share/doc/smime-milter/examples/smime-milter.conf; do
	[ -f "$f" ] || fail "$f not installed"
done
dpkg-query -W -f='${Conffiles}\n' smime-milter | grep -q '^ /etc/smime-milter.conf ' ||
	fail "/etc/smime-milter.conf is not a conffile"
# The man pages name the Debian paths (configured, not /usr/local).
zcat /usr/share/man/man8/smime-milter.8.gz | grep -q '^\.IR\? /etc/smime-milter.conf' ||
	fail "smime-milter(8) does not name /etc/smime-milter.conf"
! zcat /usr/share/man/man*/smime-*.gz | grep -q '/usr/local\|@[a-z]*@' ||
	fail "man pages carry /usr/local or unsubstituted paths"
grep -q '^ExecStart=/usr/sbin/smime-milter -f -c /etc/smime-milter.conf$' \
    /lib/systemd/system/smime-milter.service || fail "unit paths"
# dh_installsystemd enabled the daemon and the renewal timer.
for u in multi-user.target.wants/smime-milter.service \
    timers.target.wants/smime-enroll-renew.timer; do
	[ -L "/etc/systemd/system/$u" ] || fail "${u#*/} not enabled"
done
# verify.trust_anchors = "system": postinst wrote the roots NSS trusts for
# e-mail (GlobalSign's Secure Mail roots are among them, TLS-only roots
# are not: test/verify/trust-system.sh), and a new libnss3 root list
# writes them again through the dpkg file trigger.
roots=/var/lib/smime-milter/email-roots.pem
grep -q '^[[:space:]]*trust_anchors = "system";' /etc/smime-milter.conf ||
	fail "the installed configuration does not trust the e-mail roots"
check_mode "$roots" root:root 644
[ "$(grep -c 'BEGIN CERTIFICATE' "$roots")" -gt 20 ] ||
	fail "$roots holds $(grep -c 'BEGIN CERTIFICATE' "$roots") roots"
nssckbi=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libnssckbi.so
grep -qx "interest-noawait $nssckbi" /var/lib/dpkg/info/smime-milter.triggers ||
	fail "no dpkg trigger on $nssckbi"
rm -f "$roots"
{ dpkg-trigger --no-await "$nssckbi" && dpkg --triggers-only --pending; } \
    > "$work/trigger.log" 2>&1 || { cat "$work/trigger.log"; fail "dpkg trigger"; }
[ "$(grep -c 'BEGIN CERTIFICATE' "$roots" 2>/dev/null)" -gt 20 ] ||
	fail "the libnss3 trigger did not write $roots again"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify /lib/systemd/system/smime-milter.service \
	    /lib/systemd/system/smime-enroll-renew.timer > "$work/analyze.log" 2>&1 ||
		{ cat "$work/analyze.log"; fail "systemd-analyze verify"; }
fi

echo "==> smime-milter -V, -n"
version=$(sed -n 's/^smime-milter (\([^-]*\)-.*/\1/p;q' "$srcdir/debian/changelog")
/usr/sbin/smime-milter -V | grep -q "^smime-milter $version " ||
	fail "smime-milter -V does not say $version: $(/usr/sbin/smime-milter -V)"
/usr/sbin/smime-milter -n > "$work/n.log" 2>&1 || { cat "$work/n.log"; fail "smime-milter -n"; }
grep -q '/etc/smime-milter.conf: configuration OK (0 signing identities)' "$work/n.log" ||
	fail "installed configuration: $(cat "$work/n.log")"
/usr/sbin/smime-milter -T | grep -q '^mode = "v";' ||
	fail "installed configuration does not verify only"
# As the unit runs it: user smime-milter, reading the store through its group.
runuser -u smime-milter -- /usr/sbin/smime-milter -n >/dev/null 2>&1 ||
	fail "smime-milter -n as user smime-milter"
runuser -u smime-milter -- /usr/sbin/smime-enroll list >/dev/null 2>&1 ||
	fail "smime-enroll list as user smime-milter"

# The admin's path (README.Debian): as root, smime-enroll puts a candidate
# into the installed store with the installed configuration; the store
# follows the ownership model (root, group smime-milter, keys 0640) and
# the daemon, as smime-milter, reads it.
echo "==> smime-enroll into /etc/smime-milter/store; smime-milter reads it as smime-milter"
mkdir "$work/ca"
enrolled=yes
cat > "$work/ca/ca.cnf" <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = Package Test CA
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:taro@example.jp
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
(
	cd "$work/ca" || exit 1
	openssl req -x509 -new -config ca.cnf -extensions ca_ext -newkey rsa:2048 \
	    -nodes -keyout ca.key -out ca.crt -days 30 2>/dev/null &&
	smime-enroll keygen taro@example.jp &&
	smime-enroll csr taro@example.jp --cn '山田太郎' --o 'デモ政党' --ou '衆議院議員候補' --st '東京都' --out taro.csr &&
	openssl x509 -req -in taro.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	    -days 30 -extfile ca.cnf -extensions leaf_ext -out taro.crt 2>/dev/null &&
	smime-enroll import taro@example.jp taro.crt &&
	smime-enroll senders taro@example.jp taro
) > "$work/enroll.log" 2>&1 || { cat "$work/enroll.log"; fail "smime-enroll with the installed configuration"; }
check_mode /etc/smime-milter/store root:smime-milter 750
check_mode /etc/smime-milter/store/taro@example.jp root:smime-milter 750
check_mode /etc/smime-milter/store/taro@example.jp/key.pem root:smime-milter 640
runuser -u smime-milter -- /usr/sbin/smime-milter -n > "$work/n2.log" 2>&1 ||
	{ cat "$work/n2.log"; fail "smime-milter -n as smime-milter with an identity"; }
grep -q 'configuration OK (1 signing identities)' "$work/n2.log" ||
	fail "the daemon does not see the enrolled identity: $(cat "$work/n2.log")"
# The admin switches signing on (the conffile is now modified; purge must
# still remove it).
sed -i 's/^mode = "v";/mode = "sv";/' /etc/smime-milter.conf

builddir=$work/src/debian/build
client=$builddir/test/client/milterclient
[ -x "$client" ] || make -C "$builddir" test/client/milterclient >/dev/null 2>&1 ||
	fail "building the milter client"

# The installed daemon with the installed configuration (on a free port).
port=$(( 20000 + $$ % 10000 ))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done 2>/dev/null
runuser -u smime-milter -- /usr/sbin/smime-milter -f -p "inet:$port@127.0.0.1" \
    > "$work/milter.log" 2>&1 &
milter_pid=$!
n=0
while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 100 ] && kill -0 "$milter_pid" 2>/dev/null ||
		{ cat "$work/milter.log"; fail "installed smime-milter did not start"; }
	sleep 0.1
done
printf 'From: taro@example.jp\r\nTo: voter@example.org\r\nSubject: hello\r\nDate: %s\r\nMessage-ID: <pkg@example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nunsigned\r\n' "$(date -R)" \
    > "$work/plain.eml"
"$client" -s "inet:$port@127.0.0.1" -A taro -C 192.0.2.10 -F taro@example.jp \
    -R voter@example.org -o "$work/out.eml" "$work/plain.eml" ||
	{ cat "$work/milter.log"; fail "installed daemon refused a message"; }
# Signed by the installed daemon (user smime-milter) with the key from the
# installed store, for the SMTP AUTH login taro; openssl verifies it.
grep -q '^Content-Type: multipart/signed' "$work/out.eml" ||
	{ cat "$work/milter.log"; fail "the installed daemon did not sign for taro"; }
openssl cms -verify -in "$work/out.eml" -CAfile "$work/ca/ca.crt" -purpose smimesign \
    -out /dev/null 2>"$work/cms.err" || { cat "$work/cms.err"; fail "openssl cms -verify"; }
# The same message from outside, with no login: verified, not signed again.
"$client" -s "inet:$port@127.0.0.1" -C 198.51.100.7 -F taro@example.jp \
    -R voter@example.org -o "$work/in.eml" "$work/plain.eml" ||
	{ cat "$work/milter.log"; fail "installed daemon refused an inbound message"; }
grep -q '^Authentication-Results: .*smime=none' "$work/in.eml" ||
	{ cat "$work/in.eml"; fail "installed daemon did not report smime=none"; }
grep -q '^Content-Type: multipart/signed' "$work/in.eml" &&
	fail "an unauthenticated client got a signature"
kill "$milter_pid"
wait "$milter_pid" 2>/dev/null
milter_pid=

# 5. sign and verify with the installed binaries, as the quickstart does.
echo "==> contrib/quickstart with /usr/sbin/smime-milter and /usr/sbin/smime-enroll"
SMIME_MILTER=/usr/sbin/smime-milter SMIME_ENROLL=/usr/sbin/smime-enroll \
    SMIME_BUILDDIR=$builddir bash "$srcdir/contrib/quickstart" --no-deps --no-build \
    > "$work/qs.log" 2>&1 || { cat "$work/qs.log"; fail "quickstart with the installed binaries"; }
grep -q 'CMS Verification successful' "$work/qs.log" || fail "openssl did not verify"
grep -q 'smime=pass' "$work/qs.log" || fail "installed smime-milter did not verify"

# 6. purge
echo "==> apt-get purge smime-milter"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq smime-milter > "$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log"; fail "apt-get purge"; }
st=$(dpkg-query -W -f='${db:Status-Status}' smime-milter 2>/dev/null) || st=not-installed
[ "$st" = not-installed ] || fail "after purge dpkg says $st"
ours > "$work/after"
# dpkg keeps the store while it holds identities (keys are the admin's);
# README.Debian says so.  Nothing else may remain.
[ -f /etc/smime-milter/store/taro@example.jp/key.pem ] ||
	fail "purge deleted a store holding a private key"
[ ! -e /etc/smime-milter.conf ] || fail "purge left the (modified) conffile"
left=$(comm -13 "$work/before" "$work/after" | grep -v '^/etc/smime-milter$\|^/etc/smime-milter/store')
[ -z "$left" ] || fail "purge left: $left"
rm -rf /etc/smime-milter
enrolled=
echo "ok Debian package builds, passes lintian, installs, signs, verifies, purges"
exit 0
