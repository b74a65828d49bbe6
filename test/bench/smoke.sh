#!/bin/sh
# smoke.sh - `make bench` still works: the benchmark once with tiny sizes
# (1 MB as the large message, 0.05 s per scenario, one round) against the
# daemon of this build.  It must exit 0 (every milter result checked,
# every signed sample verified by openssl cms -verify) and print its ratio
# and memory sections.  Speed is never checked here.
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
milter=$top_builddir/milter/smime-milter
bench=$top_builddir/test/bench/bench
if [ ! -x "$milter" ] || [ ! -x "$bench" ]; then
	echo "SKIP: $milter or $bench not built"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/benchsmoke.XXXXXX") || exit 1
# A bench that crashed (a sanitizer abort) leaves its daemon behind.
cleanup() {
	for f in "$tmp"/smime-bench.*/daemon.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
sh "$top_srcdir/test/pki/make-test-pki.sh" "$tmp/pki" > "$tmp/pki.log" 2>&1 ||
	{ cat "$tmp/pki.log"; echo "FAIL: test PKI"; exit 1; }
fail=0
"$bench" -M "$milter" -P "$tmp/pki" -O "$OPENSSL" -d "$tmp" -s 0.05 -r 1 \
    -b 1 -q -j "$tmp/results.json" > "$tmp/out" 2> "$tmp/err" ||
	{ echo "FAIL: bench exited $?"; fail=1; }
for want in '^ratios' 'CPU: sign big / openssl dgst' 'CMS_sign 4KB P-256' \
    'verify 4KB opaque' '^peak RSS' 'samples of the signed output verified'; do
	grep -q "$want" "$tmp/out" || { echo "FAIL: no '$want' in the output"; fail=1; }
done
# Like for like: every 4 KB signing scenario at 1 and 2 connections has
# its in-process peer at 1 and 2 workers; every row has a throughput
# (peer rows once printed 0.0 MB/s).
python3 - "$tmp/results.json" <<'PY' || fail=1
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit("FAIL: no JSON results (%s)" % e)
rows = {(r["name"], r["concurrency"]): r for r in d["results"]}
bad = 0
for name in ("RSA-2048", "P-256"):
    for n in (1, 2):
        for what in ("sign 4KB " + name, "CMS_sign 4KB " + name):
            if (what, n) not in rows:
                print("FAIL: no %s row at concurrency %d" % (what, n))
                bad = 1
for r in d["results"]:
    if not r["mb_per_s"] > 0:
        print("FAIL: %s: %s MB/s" % (r["name"], r["mb_per_s"]))
        bad = 1
if "peak_rss_kib" not in d or "cpu_sign_big_over_dgst" not in d["ratios"]:
    print("FAIL: JSON without peak RSS or the dgst ratio")
    bad = 1
sys.exit(bad)
PY
if [ $fail -ne 0 ]; then
	cat "$tmp/out" "$tmp/err"
	exit 1
fi
echo "PASS: make bench runs (tiny sizes)"
