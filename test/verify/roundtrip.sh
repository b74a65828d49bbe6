#!/bin/sh
# roundtrip.sh - what our signer makes, our verifier accepts, and any one
# flipped byte of the signed content turns into "fail (content altered)".
#
# Every message of the signer's corpus (test/data/sign, except those that
# are S/MIME already) is signed by test/unit/sign_tool as taro (RSA
# PKCS#1 v1.5 and RSASSA-PSS) and as hanako (P-256, From rewritten), then
# verified by test/unit/verify_tool.  For the flips, one verifier process
# reads all damaged copies from a list, so the whole run stays fast.
set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
sign=$top_builddir/test/unit/sign_tool
verify=$top_builddir/test/unit/verify_tool
data=$top_srcdir/test/data/sign
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-roundtrip.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" pki "$work/pki" || exit 99
pki=$work/pki
fails=0 n=0

fail() {
	echo "FAIL $1: $2"
	fails=$((fails + 1))
}

unfold() {
	awk '/^\t/ { sub(/^\t/, " "); cur = cur $0; next }
	     { if (started) print cur; cur = $0; started = 1 }
	     END { if (started) print cur }'
}

I='body.smime-issuer="C=JP,O=Test PKI,CN=Test Politician CA"'
for f in "$data"/*.eml; do
	name=$(basename "$f" .eml)
	case $name in already-*) continue ;; esac
	for who in taro taro-pss hanako; do
		n=$((n + 1))
		case $who in
		taro) key=taro opt= addr=taro@example.jp serial=1000 ;;
		taro-pss) key=taro opt=-P addr=taro@example.jp serial=1000 ;;
		hanako) key=hanako opt= addr=hanako@example.jp serial=1001 ;;
		esac
		in=$work/$name.$who.in
		sed "s/^From: taro@example.jp/From: $addr/" "$f" > "$in"
		out=$work/$name.$who.eml
		"$sign" $opt "$pki/$key.crt" "$pki/$key.key" "$pki/chain.pem" "$in" \
		    > "$out" 2> "$work/err" || {
			fail "$name/$who" "sign_tool: $(cat "$work/err")"
			continue
		}
		want="mx.example.net; smime=pass header.from=$addr body.smime-identifier=$addr body.smime-part=1 body.smime-serial=$serial $I"
		got=$("$verify" -t "$pki/trust.pem" -i "$pki/chain.pem" \
		    -c "$pki/crl.pem" -c "$pki/root-crl.pem" "$out" 2>&1 | unfold |
		    sed -n 's/^Authentication-Results: //p')
		if [ "$got" != "$want" ]; then
			fail "$name/$who" "
  want: $want
  got:  $got"
			continue
		fi
		echo "ok $name/$who"
	done
done

# Flip bytes of the signed first part (its header and body, never the
# delimiter lines) of a few signed messages: every copy must fail.
for msg in plain-ascii.taro utf8-ja-8bit.taro-pss nested.hanako; do
	[ -f "$work/$msg.eml" ] || continue
	"$PYTHON" - "$work/$msg.eml" "$work/flip.$msg" <<'EOF' > "$work/list.$msg"
import re, sys
data = open(sys.argv[1], 'rb').read()
m = re.search(rb'boundary="?([^";\r\n]+)"?', data)
delim = b'--' + m.group(1)
start = data.index(delim + b'\r\n', data.index(b'\r\n\r\n')) + len(delim) + 2
end = data.index(b'\r\n' + delim, start)
# Every byte for small parts; an even spread of 400 for larger ones.
step = max(1, (end - start) // 400)
for i, pos in enumerate(range(start, end, step)):
    name = '%s.%d' % (sys.argv[2], i)
    open(name, 'wb').write(data[:pos] + bytes([data[pos] ^ 0x01]) + data[pos + 1:])
    print(name)
EOF
	total=$(wc -l < "$work/list.$msg")
	"$verify" -t "$pki/trust.pem" -i "$pki/chain.pem" - < "$work/list.$msg" \
	    2>&1 | unfold > "$work/out.$msg"
	ars=$(grep -c '^Authentication-Results: ' "$work/out.$msg")
	failed=$(grep -c '^Authentication-Results: .*smime=fail (content altered)' "$work/out.$msg")
	n=$((n + 1))
	if [ "$total" -gt 50 ] && [ "$ars" -eq "$total" ] && [ "$failed" -eq "$total" ]; then
		echo "ok $msg: $total flipped copies all fail"
	else
		fail "$msg" "$failed of $total flipped copies failed ($ars results)"
		grep '^Authentication-Results: ' "$work/out.$msg" | grep -v 'content altered' | head -3
	fi
done
echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
