#!/bin/sh
# privsep-modes.sh - case 5: group/world-writable configuration, store or entry, and
# symlinks owned by others are refused with a clear message (StrictModes);
# strict_modes = false relaxes it.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

import_taro
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
# Files the configuration names: the milter's user may own them (it reads
# them anyway), anybody else may not.
mkdir -m 755 "$work/ids"
cp "$pki/taro.crt" "$pki/chain.pem" "$work/ids/" && cp "$pki/taro.key" "$work/ids/k.key"
chmod 600 "$work/ids/k.key"
sed -e '/^sign = /d' "$work/enroll.conf" > "$work/ids.conf"
cat >> "$work/ids.conf" <<CONF
sign = { identities = ( { address = "taro@example.jp"; cert = "ids/taro.crt";
	key = "ids/k.key"; chain = "ids/chain.pem"; senders = [ "taro" ]; } ); };
CONF
chown nobody "$work/ids/k.key"
"$SMF" -c "$work/ids.conf" -n > "$work/out" 2>&1 || fail "5e: key owned by the milter's user refused: $(cat "$work/out")"
chown 12345 "$work/ids/k.key"
"$SMF" -c "$work/ids.conf" -n > "$work/out" 2>&1 && fail "5e: key owned by another user loads"
grep -q "owned by uid 12345" "$work/out" || fail "5e: message: $(cat "$work/out")"
chown 0 "$work/ids/k.key"; chmod 666 "$work/ids/chain.pem"
"$SMF" -c "$work/ids.conf" -n > "$work/out" 2>&1 && fail "5e: world-writable chain loads"
ok "5e files the configuration names: the milter's user's are fine, others' and writable ones refused"
printf 'strict_modes = false;\n' >> "$work/ww.conf"
chmod 666 "$work/ww.conf"
"$SMF" -c "$work/ww.conf" -n > "$work/out" 2>&1 || fail "5d: strict_modes = false: $(cat "$work/out")"
ok "5d strict_modes = false relaxes the checks"
exit 0
