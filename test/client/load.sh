#!/bin/sh
# load.sh - 50 parallel milter connections with mixed work (sign RSA-2048,
# sign P-256, verify) for LOAD_SECONDS (default 20) against the daemon as
# built (CI: --enable-sanitizers).  Every result is checked (signatures
# with openssl cms -verify, verification results for smime=pass); after a
# clean SIGTERM the daemon's stderr must hold no ASan/LSan/UBSan report.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
workers=${LOAD_WORKERS:-50}
secs=${LOAD_SECONDS:-20}

log_level=info write_conf
start_milter

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: load\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n明日は投票日です。\nload test body\n' > "$tmp/taro.eml"
sed 's/Taro <taro@/Hanako <hanako@/' "$tmp/taro.eml" > "$tmp/hanako.eml"
printf 'Content-Type: text/plain\n\nsigned for the load test\n' > "$tmp/content"
{ printf 'From: <taro@example.jp>\nTo: voter@example.net\nSubject: signed\n'
  "$OPENSSL" cms -sign -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
      -certfile "$pki/chain.pem" -in "$tmp/content"; } > "$tmp/signed.eml"

deadline=$(( $(date +%s) + secs ))
# worker N: loop until the deadline; counts go to $tmp/wN.res.
worker() {
	w=$1 n=0 ok=0 ko=0 out=$tmp/w$1.out
	while [ "$(date +%s)" -lt "$deadline" ]; do
		n=$((n + 1))
		case $(( (w + n) % 3 )) in
		0)	mc -A taro -C 192.0.2.1 -q "W${w}N$n" "$tmp/taro.eml" > "$out" &&
			    is_signed "$out" && verifies "$out" ;;
		1)	mc -A hanako -C 192.0.2.1 -q "W${w}N$n" "$tmp/hanako.eml" > "$out" &&
			    is_signed "$out" && verifies "$out" ;;
		*)	mc -C 192.0.2.1 -q "W${w}N$n" "$tmp/signed.eml" > "$out" &&
			    [ "$(smime_result "$out")" = pass ] ;;
		esac
		if [ $? -eq 0 ]; then
			ok=$((ok + 1))
		else
			ko=$((ko + 1))
			cp "$out" "$tmp/failed-W${w}N$n" 2>/dev/null
		fi
	done
	echo "$ok $ko" > "$tmp/w$w.res"
}
w=0 pids=
while [ $w -lt "$workers" ]; do
	worker $w &
	pids="$pids $!"
	w=$((w + 1))
done
# Not a bare wait: that would wait for the daemon too.
for p in $pids; do
	wait "$p"
done
alive=yes
kill -0 "$mpid" 2>/dev/null || alive=no
stop_milter
ok=0 ko=0
for f in "$tmp"/w*.res; do
	[ -f "$f" ] || continue
	read -r a b < "$f"
	ok=$((ok + a)); ko=$((ko + b))
done
echo "load: $workers connections, $secs s: $ok correct, $ko wrong"
[ $alive = yes ] || bad "smime-milter died under load"
[ "$ko" -eq 0 ] || { bad "$ko wrong results"; ls "$tmp"/failed-* | head -3; }
[ "$ok" -ge "$workers" ] || bad "only $ok messages in $secs s"
check_sanitizers
[ $fail = 0 ] && echo "ok: load"
exit $fail
