#!/bin/sh
# privsep.sh - smime-enroll and smime-milter as root against what the
# milter's user (nobody here) can plant (issue 12):
#   1. revoke: "revoked" as a symlink (to a root-only file, dangling) is
#      not followed: the target is neither truncated nor handed over;
#   2. keygen/senders/import through a symlinked identity directory or
#      senders file write nothing outside the store; "senders ADDRESS"
#      does not print what a planted symlink or hard link points to;
#   3. reload: a forged pid file (root process, symlink, world-writable)
#      gets no signal; the real daemon gets SIGHUP, and removes its pid
#      file at exit after dropping privileges;
#   5. StrictModes: group/world-writable config, store or entry, and
#      symlinks owned by someone else, are refused with a clear message;
#      strict_modes = false relaxes it;
#   6. secrets given on the command line in a wrong form are not echoed;
#   and the ownership model: new stores are root:GROUP 0750, keys 0640,
#   an old store owned by the milter's user is migrated with a message.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/common.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
SMF=$top_builddir/milter/smime-milter
nuid=$(id -u nobody)
ngid=$(id -g nobody)
# as_nobody CMD...: run as the milter's user, no supplementary groups
as_nobody() { setpriv --reuid="$nuid" --regid="$ngid" --clear-groups -- "$@"; }
ok() { echo "ok $*"; }
chmod 755 "$work"

cat > "$work/enroll.conf" <<CONF
socket = "unix:$work/run/sock";
user = "nobody";
mode = "s";
pidfile = "$work/run/milter.pid";
sign = { store = "$store"; };
enroll = { o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	cmp_trusted = "$pki/root-ca.crt"; intermediates = "$pki/chain.pem"; };
CONF
E="$ENROLL -c $work/enroll.conf"

# A root-only file that must survive every attack unchanged.
printf 'root:TOPSECRET:0:0\n' > "$work/victim"
chmod 600 "$work/victim"
victim_ok() { # victim_ok LABEL
	[ "$(cat "$work/victim")" = "root:TOPSECRET:0:0" ] || fail "$1: victim overwritten"
	[ "$(stat -c %u:%a "$work/victim")" = "0:600" ] ||
		fail "$1: victim now $(stat -c %u:%a "$work/victim")"
}
mkdir -m 700 "$work/rootdir"

# import_taro: taro's key and a certificate from the test CA in the store
import_taro() {
	cat "$pki/taro.key" "$pki/taro.crt" > "$work/taro.pem"
	$E import taro@example.jp "$work/taro.pem" > "$work/out" 2>&1 ||
		fail "import: $(cat "$work/out")"
}
# legacy: the store as the old smime-enroll left it, owned by nobody
legacy() {
	chown -R nobody: "$store"
	find "$store" -type d -exec chmod 700 {} +
	find "$store" -type f -exec chmod 600 {} +
}

# --- ownership model ----------------------------------------------------
import_taro
[ "$(stat -c %U:%G:%a "$store")" = "root:$(id -gn nobody):750" ] ||
	fail "store is $(stat -c %U:%G:%a "$store")"
[ "$(stat -c %U:%G:%a "$store/taro@example.jp")" = "root:$(id -gn nobody):750" ] ||
	fail "identity dir is $(stat -c %U:%G:%a "$store/taro@example.jp")"
[ "$(stat -c %U:%a "$store/taro@example.jp/key.pem")" = "root:640" ] ||
	fail "key is $(stat -c %U:%a "$store/taro@example.jp/key.pem")"
$E senders taro@example.jp taro > /dev/null || fail "senders"
[ "$(stat -c %U "$store/taro@example.jp/senders")" = root ] || fail "senders not root's"
as_nobody touch "$store/taro@example.jp/x" 2>/dev/null && fail "nobody may write the store"
as_nobody cat "$store/taro@example.jp/key.pem" > /dev/null || fail "the milter's group cannot read the key"
"$SMF" -c "$work/enroll.conf" -n > "$work/out" 2>&1 || fail "daemon cannot load: $(cat "$work/out")"
ok "new store: root:$(id -gn nobody) 0750, key 0640, the daemon loads it"
legacy
$E list > "$work/out" 2> "$work/err" || fail "list on an old store: $(cat "$work/err")"
grep -q "migrat" "$work/err" || fail "no migration message: $(cat "$work/err")"
[ "$(stat -c %U:%a "$store/taro@example.jp")" = "root:750" ] || fail "not migrated"
[ "$(stat -c %U:%a "$store/taro@example.jp/key.pem")" = "root:640" ] || fail "key not migrated"
$E list > "$work/out" 2> "$work/err" || fail "list after migration"
grep -q "migrat" "$work/err" && fail "migrated twice"
ok "an old store owned by the milter's user is migrated with a message"

# --- 1. revoke through a planted "revoked" symlink ---------------------
make_cmp_server_cert
revoke() { # revoke LABEL: CMP rr, then the marker
	start_cmp -max_msgs 1 -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
		-srv_trusted "$pki/root-ca.crt" -rsp_cert "$pki/taro.crt"
	$E revoke taro@example.jp --reason keyCompromise --server "$cmp_url" \
		> "$work/out" 2> "$work/err"
	rc=$?
	stop_cmp
	victim_ok "$1"
}
rm -rf "$store"; import_taro; legacy
as_nobody ln -s "$work/victim" "$store/taro@example.jp/revoked"
revoke "1 revoked -> root-only file"
[ $rc -ne 0 ] && grep -q "symbolic link" "$work/err" ||
	fail "1: planted symlink not refused with a clear message (rc $rc): $(cat "$work/err")"
ok "1 revoke does not follow a planted revoked symlink; refused: $(head -n 1 "$work/err")"
rm -rf "$store"; import_taro; legacy
as_nobody ln -s "$work/rootdir/created" "$store/taro@example.jp/revoked"
revoke "1b dangling"
[ -e "$work/rootdir/created" ] && fail "1b: created a file through a dangling symlink"
ok "1b dangling revoked symlink: nothing created"
rm -rf "$store"; import_taro
revoke "1c"
[ $rc -eq 0 ] || fail "1c: revoke failed: $(cat "$work/err")"
[ "$(stat -c %U "$store/taro@example.jp/revoked")" = root ] || fail "1c: marker not root's"
ok "1c revoke in a clean store: marker owned by root"

# --- 2. symlinked identity directory / senders file -------------------
rm -rf "$store"; import_taro; legacy
as_nobody ln -s "$work/rootdir" "$store/hanako@example.jp"
$E keygen hanako@example.jp > "$work/out" 2> "$work/err" && fail "2: keygen through a symlinked dir"
[ -z "$(ls -A "$work/rootdir")" ] || fail "2: keygen wrote into the symlink target"
$E senders hanako@example.jp mallory > "$work/out" 2> "$work/err" && fail "2: senders through a symlinked dir"
[ -z "$(ls -A "$work/rootdir")" ] || fail "2: senders wrote into the symlink target"
ok "2 keygen/senders refuse a symlinked identity directory: $(head -n 1 "$work/err")"
rm -f "$store/hanako@example.jp"
as_nobody ln -s "$work/victim" "$store/taro@example.jp/senders" 2>/dev/null ||
	{ rm -f "$store/taro@example.jp/senders"; as_nobody ln -s "$work/victim" "$store/taro@example.jp/senders"; }
$E senders taro@example.jp > "$work/out" 2> "$work/err"
grep -q TOPSECRET "$work/out" "$work/err" && fail "2: senders printed a root-only file"
$E senders taro@example.jp taro > "$work/out" 2> "$work/err"
victim_ok "2 senders -> victim"
ok "2b senders ADDRESS neither prints nor overwrites a planted senders symlink"
rm -rf "$store"; import_taro
ln "$work/victim" "$store/taro@example.jp/senders"
$E senders taro@example.jp > "$work/out" 2> "$work/err"
grep -q TOPSECRET "$work/out" "$work/err" && fail "2c: senders printed a hard-linked file"
grep -q "link" "$work/err" || fail "2c: hard link not reported: $(cat "$work/err")"
rm -f "$store/taro@example.jp/senders"
ok "2c a hard link in the store is refused"
rm -rf "$store"; import_taro; legacy
as_nobody ln -s "$work/rootdir" "$store/taro@example.jp/key.pem.prev" 2>/dev/null
as_nobody ln -sf "$work/victim" "$store/taro@example.jp/cert.pem.prev"
$E import taro@example.jp "$work/taro.pem" > "$work/out" 2> "$work/err"
victim_ok "2d import over planted .prev symlinks"
[ -z "$(ls -A "$work/rootdir")" ] || fail "2d: import wrote into a symlink target"
ok "2d import with planted .prev symlinks touches nothing outside the store"

# --- 3. signalling the daemon ------------------------------------------
rm -rf "$store"; import_taro
$E senders taro@example.jp taro > /dev/null || fail "senders"
sleep 300 &
rootpid=$!
mkdir -p "$work/run" && chown nobody: "$work/run"
as_nobody sh -c "echo $rootpid > '$work/run/milter.pid'"
$E senders taro@example.jp taro jiro > "$work/out" 2> "$work/err"
rc=$?
kill -0 $rootpid 2>/dev/null || fail "3: smime-enroll killed an unrelated root process"
[ $rc -eq 7 ] || fail "3: forged pid file: exit $rc, want 7"
grep -q "not signalled" "$work/err" || fail "3: no clear message: $(cat "$work/err")"
ok "3 a pid file naming another root process: not signalled ($(cat "$work/err"))"
rm -f "$work/run/milter.pid"
echo $rootpid > "$work/pid.src"; chmod 666 "$work/pid.src"
as_nobody ln -s "$work/pid.src" "$work/run/milter.pid"
$E senders taro@example.jp taro > /dev/null 2> "$work/err" && fail "3b: symlinked pid file trusted"
kill -0 $rootpid 2>/dev/null || fail "3b: signalled through a symlinked pid file"
rm -f "$work/run/milter.pid"
echo $rootpid > "$work/run/milter.pid"; chmod 666 "$work/run/milter.pid"
$E senders taro@example.jp taro > /dev/null 2> "$work/err" && fail "3c: world-writable pid file trusted"
kill -0 $rootpid 2>/dev/null || fail "3c: signalled through a world-writable pid file"
rm -f "$work/run/milter.pid"
kill $rootpid; wait $rootpid 2>/dev/null
ok "3b symlinked or world-writable pid files are not trusted"
# The real daemon (root, then nobody): signalled, and its pid file is
# gone after SIGTERM although it runs as nobody by then.
"$SMF" -f -c "$work/enroll.conf" > "$work/daemon.log" 2>&1 &
dpid=$!
i=0; while [ ! -S "$work/run/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/run/milter.pid" ] || fail "3d: no pid file: $(cat "$work/daemon.log")"
$E senders taro@example.jp taro hanako > "$work/out" 2> "$work/err" ||
	fail "3d: reload of the real daemon: $(cat "$work/err")"
grep -q "sent SIGHUP" "$work/out" || fail "3d: $(cat "$work/out")"
i=0; while ! grep -q "generation 2" "$work/daemon.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "generation 2" "$work/daemon.log" || fail "3d: daemon did not reload: $(cat "$work/daemon.log")"
kill -TERM $dpid; wait $dpid
[ -e "$work/run/milter.pid" ] && fail "3d: pid file left behind after SIGTERM (user = nobody)"
ok "3d the real daemon is signalled; its pid file is removed at exit as nobody"
sed "s|pidfile = .*|pidfile = \"$work/milter.pid\";|" "$work/enroll.conf" > "$work/rootpid.conf"
"$SMF" -f -c "$work/rootpid.conf" > "$work/daemon.log" 2>&1 &
dpid=$!
i=0; while kill -0 $dpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $dpid 2>/dev/null && fail "3e: started with a pid file nobody could remove"
grep -q "does not belong to user nobody" "$work/daemon.log" ||
	fail "3e: no clear message: $(cat "$work/daemon.log")"
ok "3e a pid file directory the user cannot write is refused at start"

# --- 5. StrictModes ----------------------------------------------------
cp "$work/enroll.conf" "$work/ww.conf"
chmod 666 "$work/ww.conf"
"$SMF" -c "$work/ww.conf" -n > "$work/out" 2>&1 && fail "5: world-writable config loads"
grep -q "writable" "$work/out" || fail "5: message: $(cat "$work/out")"
chmod 620 "$work/ww.conf"
"$SMF" -c "$work/ww.conf" -n > "$work/out" 2>&1 && fail "5: group-writable config loads"
$ENROLL -c "$work/ww.conf" list > "$work/out" 2>&1 && fail "5: smime-enroll uses a group-writable config"
ln -s "$work/enroll.conf" "$work/link.conf" && chown -h nobody "$work/link.conf"
"$SMF" -c "$work/link.conf" -n > "$work/out" 2>&1 && fail "5: config via nobody's symlink loads"
grep -q "symbolic link" "$work/out" || fail "5: symlink message: $(cat "$work/out")"
ln -s "$work/enroll.conf" "$work/rootlink.conf"
"$SMF" -c "$work/rootlink.conf" -n > "$work/out" 2>&1 || fail "5: root's own symlink refused: $(cat "$work/out")"
ok "5 group/world-writable config and others' symlinks refused"
chmod 777 "$store"
"$SMF" -c "$work/enroll.conf" -n > "$work/out" 2>&1 && fail "5b: world-writable store loads"
grep -q "writable" "$work/out" || fail "5b: message: $(cat "$work/out")"
$E list > "$work/out" 2>&1 && fail "5b: smime-enroll uses a world-writable store"
chmod 750 "$store"
chmod 777 "$store/taro@example.jp"
as_nobody sh -c "echo mallory > '$store/taro@example.jp/senders.new' && mv -f '$store/taro@example.jp/senders.new' '$store/taro@example.jp/senders'"
"$SMF" -c "$work/enroll.conf" -n > "$work/out" 2>&1 && fail "5c: world-writable identity dir loads"
grep -q "writable" "$work/out" || fail "5c: message: $(cat "$work/out")"
chmod 750 "$store/taro@example.jp"
"$SMF" -c "$work/enroll.conf" -n > "$work/out" 2>&1 && fail "5c: senders planted by nobody trusted"
grep -q "owned by\|owner" "$work/out" || fail "5c: owner message: $(cat "$work/out")"
ok "5b world-writable store or entry and files planted by others are refused"
printf 'strict_modes = false;\n' >> "$work/ww.conf"
chmod 666 "$work/ww.conf"
"$SMF" -c "$work/ww.conf" -n > "$work/out" 2>&1 || fail "5d: strict_modes = false: $(cat "$work/out")"
ok "5d strict_modes = false relaxes the checks"

# --- 6. secrets never echoed ------------------------------------------
for args in "--pass hunter2SECRET" "--pass=hunter2SECRET" "--pasx=hunter2SECRET" \
    "--pass hunter2SECRET --pass=hunter2SECRET"; do
	# shellcheck disable=SC2086
	$E import taro@example.jp "$work/taro.pem" $args > "$work/out" 2>&1
	grep -q hunter2SECRET "$work/out" && fail "6: secret echoed for $args: $(cat "$work/out")"
done
$E enroll taro@example.jp --cn 山田太郎 --server http://127.0.0.1:9/ --ref 1 \
	--secret hunter2SECRET > "$work/out" 2>&1
grep -q hunter2SECRET "$work/out" && fail "6: --secret echoed: $(cat "$work/out")"
ok "6 secrets in a wrong form are not echoed"
exit 0
