#!/bin/sh
# run.sh SECONDS [TARGET...] - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) straight from the sources and run
# each for SECONDS (default 60).  Targets: mime verify header conf sign cms.
#
# Environment: CLANG (default clang), FUZZ_OUT (build and corpus
# directory, default $top_builddir/test/fuzz/out), OPENSSL.  The working
# corpus in $FUZZ_OUT/corpus/TARGET persists between runs; seeds are
# regenerated from the test data each time (test/fuzz/seeds, the verify
# corpus, the sample configuration).  A crash, leak, sanitizer report or
# broken invariant leaves the input in $FUZZ_OUT/artifacts/TARGET/ and
# makes this script exit 1 after all targets ran; reproduce with
#   FUZZ_PKI=$FUZZ_OUT/verify-corpus/pki $FUZZ_OUT/bin/fuzz_TARGET ARTIFACT
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-mime verify header conf sign cms}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
: "${top_builddir:=$top_srcdir}"
CLANG=${CLANG:-clang}
OPENSSL=${OPENSSL:-openssl}
out=${FUZZ_OUT:-$top_builddir/test/fuzz/out}
mkdir -p "$out/bin" "$out/obj" || exit 1
out=$(cd "$out" && pwd)

command -v "$CLANG" > /dev/null 2>&1 ||
	{ echo "run.sh: $CLANG not found (apt-get install clang libclang-rt-14-dev)"; exit 1; }
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer $san -I$top_srcdir -I$top_builddir"
if [ -f "$top_builddir/config.h" ]; then
	cflags="$cflags -include $top_builddir/config.h"
else
	cflags="$cflags -D_GNU_SOURCE"
fi
# The paths the Makefile passes (AM_CPPFLAGS); the fuzzers read no files there.
cflags="$cflags -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" -DRUNSTATEDIR=\"/run\""
cflags="$cflags $(pkg-config --cflags libcrypto libconfig p11-kit-1)"
libs="$(pkg-config --libs libcrypto libconfig p11-kit-1) -lpthread"

# The library (smime/, conf/) instrumented for coverage, as one archive
# so that each target links only what it uses.  The harness (fuzz_*.c)
# is built with the sanitizers but without coverage: its invariant checks
# loop over every output byte, and tracing those comparisons cost a
# quarter of fuzz_mime's time while giving the fuzzer no useful feedback.
echo "run.sh: building the library with $CLANG"
objs=
# A changed header (a struct layout) must rebuild every object, or old and
# new layouts get linked together.
newest_h=$(ls -t "$top_srcdir"/smime/*.h "$top_srcdir"/conf/*.h "$here"/*.h | head -n 1)
# build SRC OBJ FLAGS...: compile when OBJ is missing or out of date.
build() {
	src=$1 obj=$2
	shift 2
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ]; then
		$CLANG $cflags "$@" -c "$src" -o "$obj" ||
			{ echo "run.sh: cannot compile $src"; exit 1; }
	fi
}
for src in "$top_srcdir"/smime/*.c "$top_srcdir"/conf/*.c; do
	obj=$out/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o
	build "$src" "$obj" -fsanitize=fuzzer-no-link
	objs="$objs $obj"
done
for src in "$here/fuzz_msg.c" "$here/fuzz_verifier.c"; do
	obj=$out/obj/harness_$(basename "$src" .c).o
	build "$src" "$obj"
	objs="$objs $obj"
done
rm -f "$out/libfuzz.a"
ar rcs "$out/libfuzz.a" $objs || exit 1

for t in $targets; do
	build "$here/fuzz_$t.c" "$out/obj/harness_fuzz_$t.o"
	$CLANG $cflags -fsanitize=fuzzer "$out/obj/harness_fuzz_$t.o" \
	    "$out/libfuzz.a" $libs -o "$out/bin/fuzz_$t" ||
		{ echo "run.sh: cannot build fuzz_$t"; exit 1; }
done

# Seeds.
sh "$top_srcdir/test/pki/make-test-pki.sh" "$out/pki" > "$out/pki.log" 2>&1 ||
	{ cat "$out/pki.log"; exit 1; }
vcorpus=$out/verify-corpus
if [ -f "$top_srcdir/test/verify/make-corpus.sh" ]; then
	OPENSSL=$OPENSSL sh "$top_srcdir/test/verify/make-corpus.sh" "$vcorpus" \
	    > "$out/corpus.log" 2>&1 || echo "run.sh: verify corpus incomplete (see $out/corpus.log)"
fi
seeds=$out/seeds
rm -rf "$seeds"
for t in mime verify header conf sign cms; do
	mkdir -p "$seeds/$t" "$out/corpus/$t" "$out/artifacts/$t"
	[ -d "$here/seeds/$t" ] && cp "$here/seeds/$t"/* "$seeds/$t/" 2>/dev/null
done
cp "$here/seeds/mime"/* "$seeds/verify/" 2>/dev/null
cp "$here/seeds/mime"/* "$seeds/sign/" 2>/dev/null
if [ -d "$vcorpus" ]; then
	for f in "$vcorpus"/*.eml; do
		[ -f "$f" ] || continue
		cp "$f" "$seeds/verify/"
		cp "$f" "$seeds/mime/"
		cp "$f" "$seeds/sign/"
		# The header fields of real messages seed the header target.
		awk '/^$/ { exit } { print > (out "/" n "." NR) }' \
		    out="$seeds/header" n="$(basename "$f")" "$f" 2>/dev/null
	done
fi
[ -f "$top_srcdir/conf/smime-milter.conf" ] &&
	cp "$top_srcdir/conf/smime-milter.conf" "$seeds/conf/sample.conf"
pki=$out/pki
cat > "$seeds/conf/full.conf" <<EOF
socket = "unix:/tmp/fuzz.sock";
user = "nobody";
authserv_id = "mx.example.jp";
mode = "sv";
on_error = "tempfail";
internal_hosts = [ "127.0.0.0/8", "::1", "10.0.0.0/8", "2001:db8::/32" ];
log_level = "debug";
spool_memory = "64K";
max_header_bytes = "1M";
sign = {
	digest = "sha384"; include_chain = true; rsa_pss = true;
	unauthorized = "reject"; trace_header = true;
	identities = ( { address = "taro@example.jp"; cert = "$pki/taro.crt";
		key = "$pki/taro.key"; chain = "$pki/chain.pem";
		senders = [ "taro", "office" ]; } );
};
verify = { trust_anchors = "$pki/trust.pem"; crl = [ "$pki/crl.pem" ];
	ocsp = false; ocsp_timeout = 5; reject_fail = false; };
EOF

# The verify corpus brings its own PKI: trust that one so that its signed
# seeds verify (and mutations reach the deeper checks).
fuzz_pki=$out/pki
[ -f "$vcorpus/pki/trust.pem" ] && fuzz_pki=$vcorpus/pki
# fuzz_cms: detached signatures over its fixed content (FZ_CONTENT in
# fuzz_cms.c) by the PKI it trusts, in several shapes.
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nvote on Sunday' > "$out/cms-content"
cmsseed() {
	name=$1 signer=$2
	shift 2
	"$OPENSSL" cms -sign -binary -in "$out/cms-content" -outform DER \
	    -signer "$fuzz_pki/$signer.crt" -inkey "$fuzz_pki/$signer.key" \
	    "$@" -out "$seeds/cms/$name.der" 2>> "$out/cms-seeds.log"
}
cmsseed taro taro -certfile "$fuzz_pki/chain.pem"
cmsseed hanako hanako
cmsseed jiro384 jiro384 -md sha384 -certfile "$fuzz_pki/chain.pem"
cmsseed pss taro -keyopt rsa_padding_mode:pss
cmsseed nocerts taro -nocerts
cmsseed noattr taro -noattr
cmsseed attached taro -nodetach
cmsseed two taro -signer "$fuzz_pki/hanako.crt" -inkey "$fuzz_pki/hanako.key"
cmsseed expired expired
if command -v python3 > /dev/null 2>&1 && [ -f "$seeds/cms/taro.der" ]; then
	for k in "indef 0" "digestalgs 9" "signers 9" "uattrs 3" "crls 2"; do
		# shellcheck disable=SC2086
		python3 "$top_srcdir/test/verify/hostile_cms.py" "$seeds/cms/taro.der" \
		    "$seeds/cms/hostile-${k% *}.der" $k 2>> "$out/cms-seeds.log"
	done
fi

# Runtime settings.  Inputs stay small enough for thousands of runs a
# second (bugs in a MIME parser show at a few KB; the spill of a spool to
# its temporary file starts at FZ_SPOOL_DISK, 4 KB); fuzz_cms keeps room
# for DER with thousands of repeated elements.  ASan's quarantine of freed
# memory (256 MB by default) is most of a target's RSS: 64 MB still
# catches a use after free across several inputs.  An ASAN_OPTIONS from
# the caller comes last and so wins.
summary=$out/summary.txt
printf '%-8s %8s %9s %9s %7s  %s\n' target exec/s runs "peak RSS" corpus result > "$summary"
fail=0
for t in $targets; do
	echo "run.sh: fuzz_$t for $secs s"
	case $t in
	conf|header) maxlen=4096 ;;
	cms) maxlen=300000 ;;
	*) maxlen=65536 ;;
	esac
	FUZZ_PKI=$fuzz_pki TMPDIR=${TMPDIR:-/tmp} \
	ASAN_OPTIONS="quarantine_size_mb=64:${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
	LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$out/bin/fuzz_$t" -max_total_time="$secs" -timeout=25 \
	    -rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$t/" \
	    "$out/corpus/$t" "$seeds/$t" > "$out/fuzz_$t.log" 2>&1
	rc=$?
	# libFuzzer's final statistics (-print_final_stats=1).
	finalstat() { sed -n "s/^stat::$1: *//p" "$out/fuzz_$t.log" | tail -n 1; }
	execs=$(finalstat average_exec_per_sec)
	runs=$(finalstat number_of_executed_units)
	rss=$(finalstat peak_rss_mb)
	ncorp=$(find "$out/corpus/$t" -type f | wc -l)
	result=ok
	[ $rc -eq 0 ] || result="PROBLEM (exit $rc)"
	printf '%-8s %8s %9s %6s MB %7s  %s\n' "$t" "${execs:-?}" "${runs:-?}" \
	    "${rss:-?}" "$ncorp" "$result" >> "$summary"
	echo "  $t: ${execs:-?} exec/s, ${runs:-?} runs, peak RSS ${rss:-?} MB"
	if [ $rc -ne 0 ]; then
		fail=1
		echo "run.sh: fuzz_$t FOUND A PROBLEM (exit $rc); log $out/fuzz_$t.log"
		grep -E 'ERROR: |INVARIANT|SUMMARY|runtime error' "$out/fuzz_$t.log" | head -5
		ls "$out/artifacts/$t/" | head -5
	fi
done
echo "run.sh: fuzz summary ($secs s per target; exec/s as libFuzzer reports it, wall clock)"
cat "$summary"
exit $fail
