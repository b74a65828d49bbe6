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
exit 0
