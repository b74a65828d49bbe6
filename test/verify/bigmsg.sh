#!/bin/sh
# bigmsg.sh - a 20 MiB detached-signed message verifies (and fails when
# one byte in its middle changes) with the body spool on disk, and the
# verifier's peak memory does not grow with the message: the signed part
# is streamed from the spool, never held whole.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
tool=$top_builddir/test/unit/verify_tool
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-big.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" pki "$work/pki" >/dev/null || exit 99
pki=$work/pki

# CRLF content signed in binary mode: exactly the bytes we will hash.
"$PYTHON" - "$work" <<'PY' || exit 99
import base64, random, sys
w = sys.argv[1]
rnd = random.Random(5)
data = bytes(rnd.getrandbits(8) for _ in range(256 * 1024)) * 60
b64 = base64.encodebytes(data).replace(b'\n', b'\r\n')
open(w + '/big.crlf', 'wb').write(
    b'Content-Type: application/octet-stream\r\n'
    b'Content-Transfer-Encoding: base64\r\n\r\n' + b64)
open(w + '/small.crlf', 'wb').write(
    b'Content-Type: text/plain\r\n\r\nsmall\r\n')
PY
for m in big small; do
	"$OPENSSL" cms -sign -binary -in "$work/$m.crlf" -signer "$pki/taro.crt" \
	    -inkey "$pki/taro.key" -certfile "$pki/chain.pem" -out "$work/$m.sig" || exit 99
	{ printf 'From: taro@example.jp\n'; cat "$work/$m.sig"; } > "$work/$m.eml"
done
"$PYTHON" - "$work/big.eml" "$work/bad.eml" <<'PY' || exit 99
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
mid = len(d) // 2
while d[mid] in b'\r\n-':
    mid += 1
d[mid] = ord('A') if d[mid] != ord('A') else ord('B')
open(sys.argv[2], 'wb').write(d)
PY

# run NAME: verify NAME.eml; print the unfolded result, then peak RSS (KiB).
run() {
	"$PYTHON" - "$tool" "$pki" "$work/$1.eml" <<'PY'
import resource, subprocess, sys
tool, pki, msg = sys.argv[1:4]
r = subprocess.run([tool, '-t', pki + '/trust.pem', '-i', pki + '/chain.pem',
                    '-m', '65536', msg], capture_output=True, text=True)
print(r.stdout.replace('\n\t', ' ').splitlines()[0] if r.stdout else r.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
fails=0
out=$(run small); small_rss=$(printf '%s\n' "$out" | tail -1)
out=$(run big); big_rss=$(printf '%s\n' "$out" | tail -1)
case $(printf '%s\n' "$out" | head -1) in
*"smime=pass header.from=taro@example.jp"*) echo "ok big: pass" ;;
*) echo "FAIL big: $out"; fails=$((fails + 1)) ;;
esac
out=$(run bad)
case $(printf '%s\n' "$out" | head -1) in
*"smime=fail (content altered)"*) echo "ok bad: fail (content altered)" ;;
*) echo "FAIL bad: $out"; fails=$((fails + 1)) ;;
esac
echo "peak RSS: small ${small_rss} KiB, 20 MiB message ${big_rss} KiB"
if [ $((big_rss - small_rss)) -gt 8192 ]; then
	echo "FAIL memory grows with the message"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
