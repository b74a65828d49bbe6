#!/bin/sh
# privsep-revoke.sh - case 1: revoke as root never follows a "revoked" symlink planted
# by the milter's user (to a root-only file, dangling); the marker is root's.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

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
exit 0
