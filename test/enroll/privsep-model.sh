#!/bin/sh
# privsep-model.sh - the ownership model: a new store is root:GROUP 0750, keys 0640,
# the daemon loads it; an old store owned by the milter's user is migrated
# with a message, once.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

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
# A descriptor the milter's user opened for writing before the migration
# must not reach the migrated file: migration writes fresh copies.
legacy
S="$store/taro@example.jp/senders"
as_nobody sh -c "exec 3>>'$S'; sleep 3; echo mallory >&3" &
held=$!
sleep 1
$E list > "$work/out" 2> "$work/err" || fail "list on an old store (held fd): $(cat "$work/err")"
wait $held
grep -q mallory "$S" && fail "a descriptor held by the milter's user wrote the migrated senders file"
[ "$(stat -c %U "$S")" = root ] || fail "senders not root's after migration"
ok "migration replaces files, so descriptors the milter's user held keep no write access"

# As the Debian package sets it up: no user (systemd starts the daemon as
# its user), the store directory made root:GROUP 0750 by the packaging;
# smime-enroll keeps that group and the daemon, run as nobody, loads it.
rm -rf "$store"
install -d -o root -g "$ngid" -m 0750 "$store"
sed '/^user = /d' "$work/enroll.conf" > "$work/nouser.conf"
$ENROLL -c "$work/nouser.conf" keygen hanako@example.jp > /dev/null || fail "keygen without user"
[ "$(stat -c %U:%g:%a "$store/hanako@example.jp")" = "root:$ngid:750" ] ||
	fail "no user: identity dir is $(stat -c %U:%g:%a "$store/hanako@example.jp")"
[ "$(stat -c %U:%g:%a "$store/hanako@example.jp/key.pem")" = "root:$ngid:640" ] ||
	fail "no user: key is $(stat -c %U:%g:%a "$store/hanako@example.jp/key.pem")"
import_taro
sed '/^user = /d; /^enroll = /,$d' "$work/enroll.conf" > "$work/daemon.conf"
chmod 644 "$work/daemon.conf"
as_nobody "$SMF" -c "$work/daemon.conf" -n > "$work/out" 2>&1 ||
	fail "the daemon as nobody cannot load a root:GROUP store: $(cat "$work/out")"
grep -q "1 signing identit" "$work/out" || fail "no user: $(cat "$work/out")"
ok "without user the store's group is kept; the daemon as its user loads the store"
exit 0
