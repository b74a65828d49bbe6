#!/bin/sh
# bigopaque.sh - opaque (application/pkcs7-mime; smime-type=signed-data)
# mail of 20 MiB verifies from the spool in flat memory (issue 12: 48 MB
# RSS for 28 MB before): DER as "openssl cms -sign -nodetach" writes it and
# BER with indefinite lengths and a chunked content ("-stream") both pass,
# one changed content byte fails, and the verifier's peak memory for the
# big message stays within 8 MiB of a small one.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
tool=$top_builddir/test/unit/verify_tool
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-bigopq.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" pki "$work/pki" >/dev/null || exit 99
pki=$work/pki

"$PYTHON" - "$work" <<'PY' || exit 99
import base64, random, sys
w = sys.argv[1]
rnd = random.Random(7)
data = bytes(rnd.getrandbits(8) for _ in range(256 * 1024)) * 60
b64 = base64.encodebytes(data).replace(b'\n', b'\r\n')
open(w + '/big.crlf', 'wb').write(
    b'Content-Type: application/octet-stream\r\n'
    b'Content-Transfer-Encoding: base64\r\n\r\n' + b64)
open(w + '/small.crlf', 'wb').write(
    b'Content-Type: text/plain\r\n\r\nsmall\r\n')
PY
# sign IN NAME [EXTRA]: opaque signed-data as NAME.eml
sign() {
	"$OPENSSL" cms -sign -nodetach -binary $3 -in "$work/$1.crlf" \
	    -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
	    -certfile "$pki/chain.pem" -out "$work/$2.p7m" || exit 99
	grep -q '^Content-Type: application/.*pkcs7-mime' "$work/$2.p7m" || exit 99
	{ printf 'From: taro@example.jp\n'; cat "$work/$2.p7m"; } > "$work/$2.eml"
}
sign small small ""
sign big big ""
sign big stream "-stream"
# The streamed one really is BER with indefinite lengths.
sed '1,/^$/d' "$work/stream.p7m" | base64 -d 2>/dev/null | head -c 4 | od -An -tx1 |
    grep -q '30 80' || { echo "FAIL -stream output is not indefinite-length BER"; exit 1; }
# bad: one byte of the encapsulated content changed (in the DER, decoded)
"$PYTHON" - "$work/big.eml" "$work/bad.eml" <<'PY' || exit 99
import base64, sys
raw = open(sys.argv[1], 'rb').read()
head, _, body = raw.partition(b'\n\n')
der = bytearray(base64.b64decode(body))
der[len(der) // 2] ^= 0x01
open(sys.argv[2], 'wb').write(head + b'\n\n' + base64.encodebytes(bytes(der)))
PY

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
case $(printf '%s\n' "$out" | head -1) in
*"smime=pass header.from=taro@example.jp"*) echo "ok small opaque: pass" ;;
*) echo "FAIL small: $out"; fails=$((fails + 1)) ;;
esac
for m in big stream; do
	out=$(run $m); rss=$(printf '%s\n' "$out" | tail -1)
	case $(printf '%s\n' "$out" | head -1) in
	*"smime=pass header.from=taro@example.jp"*) echo "ok $m opaque: pass" ;;
	*) echo "FAIL $m: $out"; fails=$((fails + 1)) ;;
	esac
	echo "peak RSS: small ${small_rss} KiB, 20 MiB opaque ($m) ${rss} KiB"
	if [ $((rss - small_rss)) -gt 8192 ]; then
		echo "FAIL $m: memory grows with the message"
		fails=$((fails + 1))
	fi
done
out=$(run bad)
case $(printf '%s\n' "$out" | head -1) in
*"smime=fail"*) echo "ok altered opaque content: fail" ;;
*) echo "FAIL bad: $out"; fails=$((fails + 1)) ;;
esac
[ "$fails" -eq 0 ]
