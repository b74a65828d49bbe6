#!/bin/sh
# mutate.sh - robustness: 1500 randomly damaged copies of the corpus
# (bytes changed, cut, duplicated; boundary-ish and quoting characters
# inserted; fixed seed, so every run sees the same messages) through one
# verifier.  Every message must get exactly one Authentication-Results
# and the tool must exit cleanly (the sanitizer build aborts on any
# memory error or undefined behaviour).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=}"
export OPENSSL GPGSM
tool=$top_builddir/test/unit/verify_tool
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-mut.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work/c" >/dev/null || exit 99
"$PYTHON" - "$work" <<'PY' || exit 99
import glob, random, sys
work = sys.argv[1]
random.seed(20261125)
srcs = sorted(glob.glob(work + '/c/*.eml'))
inserts = [b'\n--', b'\r', b'\n\n', b'"', b'(', b';', b'=?', b'--', b'\n\t',
           b'\x00', b'\n--=_outer_0001--\n', b'Content-Type: multipart/mixed\n']
names = []
for i in range(1500):
    d = bytearray(open(random.choice(srcs), 'rb').read())
    for _ in range(random.randint(1, 8)):
        if len(d) < 16:
            break
        op, p = random.random(), random.randrange(len(d))
        if op < 0.4:
            d[p] = random.randrange(256)
        elif op < 0.6:
            del d[p:p + random.randint(1, 200)]
        elif op < 0.8:
            q = random.randrange(len(d))
            d[p:p] = d[q:q + random.randint(1, 300)]
        else:
            d[p:p] = random.choice(inserts)
    name = '%s/m%04d.eml' % (work, i)
    open(name, 'wb').write(d)
    names.append(name)
open(work + '/list', 'w').write('\n'.join(names) + '\n')
PY
"$tool" -t "$work/c/pki/trust.pem" -i "$work/c/pki/chain.pem" \
    -c "$work/c/pki/crl.pem" -c "$work/c/pki/root-crl.pem" -s - \
    < "$work/list" > "$work/out" 2> "$work/err"
rc=$?
seps=$(grep -c '^--$' "$work/out")
ars=$(grep -c '^Authentication-Results: ' "$work/out")
echo "exit $rc, $seps messages, $ars results"
if grep -q 'Sanitizer\|runtime error' "$work/err"; then
	grep -A20 'Sanitizer\|runtime error' "$work/err" | head -40
	exit 1
fi
[ "$rc" -eq 0 ] && [ "$seps" -eq 1500 ] && [ "$ars" -eq 1500 ] || {
	head -20 "$work/err"
	exit 1
}
grep -o 'smime=[a-z]*' "$work/out" | sort | uniq -c
