#!/bin/sh
# privsep-links.sh - case 2: keygen/senders/import as root write nothing through a
# symlinked identity directory, senders file or .prev file, and "senders
# ADDRESS" prints neither a planted symlink's nor a hard link's target.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

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
# csr --out into a directory the milter's user can write: a planted link
# there is not followed.
rm -rf "$store"; import_taro
$E csr taro@example.jp --cn 山田太郎 --out "$work/ok.csr" > /dev/null 2>&1 || fail "2e: csr"
mkdir -p "$work/run" && chown nobody: "$work/run"
as_nobody ln -s "$work/victim" "$work/run/taro.csr"
$E csr taro@example.jp --cn 山田太郎 --out "$work/run/taro.csr" > "$work/out" 2> "$work/err" &&
	fail "2e: csr --out wrote through a planted symlink"
victim_ok "2e csr --out"
grep -q "cannot write the CSR" "$work/err" || fail "2e: $(cat "$work/err")"
ok "2e csr --out does not follow a planted symlink"
exit 0
