#!/bin/sh
# secrets.sh - key and privilege hygiene of the daemon:
#  - a key file readable by others, or by a group other than its
#    directory's: refuses to start, exit 78, and the message names the file;
#  - started as root with user = "nobody": after binding, every uid and
#    gid of the process is nobody's (/proc/PID/status), and it still signs;
#  - its log (stderr, log_level debug) never holds key material or body
#    text, whatever it signs, verifies or refuses.
set -u
. "${top_srcdir:-.}/test/client/common.sh"

# 1. unsafe key permissions: readable by others, or by a group that is
# not its directory's (the one key file rule, smime/credential.h: 0600,
# or 0640 with the group of its directory, as the store's root:milter).
othergid=$(getent group nogroup daemon 2>/dev/null | cut -d: -f3 | head -n 1)
[ -n "$othergid" ] && [ "$othergid" != "$(stat -c %g "$tmp")" ] || othergid=
for mode in 640 604; do
	cp "$pki/taro.key" "$tmp/unsafe.key"
	chmod $mode "$tmp/unsafe.key"
	if [ $mode = 640 ]; then
		if [ -z "$othergid" ] || ! chgrp "$othergid" "$tmp/unsafe.key" 2>/dev/null; then
			echo "SKIP: key mode 640 with a foreign group (cannot chgrp)"
			continue
		fi
	fi
	write_conf
	sed -i "s|key = \"$pki/taro.key\"|key = \"$tmp/unsafe.key\"|" "$conf"
	grep -q "$tmp/unsafe.key" "$conf" || bad "config edit"
	timeout 30 "$milter" -c "$conf" -f -p "unix:$sock" > "$tmp/unsafe.out" 2>&1
	rc=$?
	if [ $rc -ne 78 ]; then
		bad "key mode $mode: exit $rc, want 78"; cat "$tmp/unsafe.out"
	elif ! grep -q "$tmp/unsafe.key" "$tmp/unsafe.out"; then
		bad "key mode $mode: message does not name the file"; cat "$tmp/unsafe.out"
	else
		echo "ok: key mode $mode refused: $(head -n 1 "$tmp/unsafe.out")"
	fi
	[ -S "$sock" ] && bad "key mode $mode: socket left behind"
done

# 0640 with the group of its directory is the store's layout: accepted.
cp "$pki/taro.key" "$tmp/group.key"
chmod 640 "$tmp/group.key"
chgrp "$(stat -c %g "$tmp")" "$tmp/group.key"
write_conf
sed -i "s|key = \"$pki/taro.key\"|key = \"$tmp/group.key\"|" "$conf"
"$milter" -c "$conf" -n > "$tmp/group.out" 2>&1 &&
	echo "ok: key mode 640 with its directory's group accepted" ||
	{ bad "key mode 640, directory's group: refused"; cat "$tmp/group.out"; }

# 2. privilege drop
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: privilege drop needs root (running as uid $(id -u))"
elif ! uid=$(id -u nobody 2>/dev/null); then
	echo "SKIP: no user nobody"
else
	gid=$(id -g nobody)
	write_conf 'user = "nobody";'
	start_milter
	sleep 0.5
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$mpid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$mpid/status")
	groups=$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$mpid/status")
	if [ "$uids" = "$uid $uid $uid $uid" ] && [ "$gids" = "$gid $gid $gid $gid" ]; then
		echo "ok: running as nobody (Uid $uids, Gid $gids, Groups$groups)"
	else
		bad "not unprivileged after binding: Uid $uids Gid $gids"
	fi
	case " $groups " in *" 0 "*) bad "still in group 0: $groups" ;; esac
	printf 'From: <taro@example.jp>\nTo: v@example.net\nSubject: drop\n\nafter the drop\n' > "$tmp/drop.eml"
	mc -A taro -C 192.0.2.1 -q DROP "$tmp/drop.eml" > "$tmp/drop.out" &&
	    is_signed "$tmp/drop.out" && verifies "$tmp/drop.out" &&
		echo "ok: signs after dropping privileges" || bad "no signing as nobody"
	stop_milter
	check_sanitizers
fi

# 3. nothing secret in the log
: > "$tmp/daemon.err"
write_conf
start_milter
marker=BODYTEXT-7f3a9c-must-not-be-logged
printf 'From: Taro <taro@example.jp>\nTo: v@example.net\nSubject: s\n\n%s\n' "$marker" > "$tmp/s.eml"
mc -A taro -C 192.0.2.1 -q S1 "$tmp/s.eml" > "$tmp/s1.out" || bad "sign for log test"
mc -A jiro -C 192.0.2.1 -q S2 "$tmp/s.eml" > /dev/null || bad "unauthorized for log test"
mc -C 192.0.2.1 -q S3 "$tmp/s1.out" > /dev/null || bad "verify for log test"
sed "s/$marker/x$marker/" "$tmp/s1.out" > "$tmp/s4.eml"
mc -C 192.0.2.1 -q S4 "$tmp/s4.eml" > /dev/null || bad "verify (bad) for log test"
stop_milter
check_sanitizers
grep -q 'S1' "$tmp/daemon.err" || bad "log test: nothing logged (log_level debug)"
grep -q "$marker" "$tmp/daemon.err" && bad "body text in the log"
# Any 24-character piece of the keys' base64 would be key material.
no_key_material "$tmp/daemon.err" "$pki/taro.key" "$pki/hanako.key"
[ $fail = 0 ] && echo "ok: log holds no body text or key material ($(wc -l < "$tmp/daemon.err") lines)"
exit $fail
