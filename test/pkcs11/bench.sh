#!/bin/sh
# bench.sh - signing rate of smime-milter with the identity key on a
# PKCS#11 token (SoftHSM2) next to the same key in a file, through the
# milter protocol: CLIENTS parallel milterclients (default 4) each send
# COUNT messages (default 200) of 4 KB.  "make bench-pkcs11"; not part of
# make check.  Prints messages per second for both.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
. "${top_srcdir:-.}/test/pkcs11/common.sh"
COUNT=${COUNT:-200}
CLIENTS=${CLIENTS:-4}
p11_import taro taro 01
uri="pkcs11:token=party;object=taro;type=private?pin-source=file:$pinfile&module-path=$softhsm"
{
	printf 'From: <taro@example.jp>\nTo: v@example.net\nSubject: bench\n\n'
	i=0
	while [ $i -lt 64 ]; do
		echo "line $i: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		i=$((i + 1))
	done
} > "$tmp/b.eml"

run() { # run LABEL: CLIENTS x COUNT messages; prints the rate
	start=$(date +%s.%N)
	pids=
	c=0
	while [ $c -lt "$CLIENTS" ]; do
		mc -A taro -C 192.0.2.1 -n "$COUNT" -q "B$c" "$tmp/b.eml" > "$tmp/b$c.out" &
		pids="$pids $!"
		c=$((c + 1))
	done
	for p in $pids; do wait "$p" || bad "$1: a client failed"; done
	end=$(date +%s.%N)
	verifies "$tmp/b0.out" || bad "$1: last message does not verify"
	awk -v s="$start" -v e="$end" -v n=$((COUNT * CLIENTS)) -v l="$1" \
	    'BEGIN { printf "%-28s %6d messages in %6.2f s: %7.1f msg/s\n", l, n, e - s, n / (e - s) }'
}

log_level=notice
write_conf
start_milter
run "key file (RSA-2048)"
stop_milter
uri_sed=$(printf '%s' "$uri" | sed 's/[&|\\]/\\&/g')
sed -i "s|key = \"$pki/taro.key\"|key = \"$uri_sed\"|" "$conf"
grep -q "$uri" "$conf" || bad "config edit"
start_milter
run "SoftHSM2 token (RSA-2048)"
stop_milter
check_sanitizers
exit $fail
