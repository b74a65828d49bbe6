#!/bin/sh
# verdict.sh - issue 10 cases 1-4 through the daemon over the milter
# protocol (test/client/milterclient, as Postfix feeds it) and through
# `smime-milter -t`, with verify.reject_fail on: the attack messages of
# attacks.sh never get smime=pass or X-SMIME-Signer, the message result is
# the one expected.txt names, attached SignedData in the detached slot is
# rejected (fail), and a genuine signed message still passes.  The daemon
# logs the inner results ("inner part 2.1: pass ...") for the admin.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
table=$top_srcdir/test/verify/expected.txt
sh "$top_srcdir/test/pki/shared.sh" corpus "$tmp/corpus" >/dev/null ||
	{ echo "FAIL: make-corpus.sh"; exit 1; }
cp=$tmp/corpus/pki
cat > "$conf" <<EOF
socket = "unix:$sock";
authserv_id = "mx.example.net";
mode = "v";
on_error = "tempfail";
log_level = "debug";
verify = {
	trust_anchors = "$cp/trust.pem";
	intermediates = "$cp/chain.pem";
	crl = [ "$cp/crl.pem", "$cp/root-crl.pem" ];
	signer_header = true;
	reject_fail = true;
};
EOF
start_milter
tab=$(printf '\t')
n=0

# unfolded_ar FILE: our Authentication-Results value, unfolded.
unfolded_ar() {
	tr -d '\r' < "$1" | awk '/^$/ { exit }
	    /^[ \t]/ { if (ar) { sub(/^[ \t]+/, " "); cur = cur $0 }; next }
	    { if (ar) exit; ar = tolower($0) ~ /^authentication-results: mx\.example\.net;/
	      if (ar) { cur = $0; sub(/^[^:]*: /, "", cur) } }
	    END { if (ar) print cur }'
}

# check NAME WANT-EXIT: one corpus message both ways.
check() {
	name=$1 want_rc=$2
	want=$(awk -F "$tab" -v n="$name" '$1 == n { print $2 }' "$table")
	[ -n "$want" ] || { bad "$name: not in expected.txt"; return; }
	msg=$tmp/corpus/$name.eml
	n=$((n + 1))
	mc -C 192.0.2.1 -q "V$n" "$msg" > "$tmp/$name.mc"; rc=$?
	"$milter" -c "$conf" -t "$msg" > "$tmp/$name.t" 2>/dev/null; trc=$?
	[ "$rc" = "$want_rc" ] || { bad "$name: milter exit $rc, want $want_rc"; return; }
	[ "$trc" = "$want_rc" ] || { bad "$name: -t exit $trc, want $want_rc"; return; }
	[ "$rc" = 0 ] || { echo "ok $name (rejected both ways)"; return; }
	for out in "$tmp/$name.mc" "$tmp/$name.t"; do
		got=$(unfolded_ar "$out")
		[ "$got" = "$want" ] || { bad "$name: $(basename "$out"):
  want: $want
  got:  $got"; return; }
		case $want in
		*smime=pass*) grep -q '^X-SMIME-Signer: ' "$out" ||
			{ bad "$name: no X-SMIME-Signer"; return; } ;;
		*) grep -qi '^X-SMIME-Signer:' "$out" &&
			{ bad "$name: X-SMIME-Signer without pass"; return; } ;;
		esac
	done
	echo "ok $name"
}

check good-rsa2048 0
check good-opaque 0
check padded-delimiters 0
check padded-delimiters-long 0
# 1: signatures below the top level.
for c in forwarded nested-mixed fwd-from-signer fwd-from-other rfc822-top \
    rfc822-top-opaque mixed-opaque; do
	check $c 0
done
# 2: partially signed.
for c in mixed-signed-first alternative-signed signed-third-part \
    signed-third-middle; do
	check $c 0
done
# 3: ambiguous structure.
for c in preamble-padded-delim preamble-padded-tabs preamble-lookalike \
    epilogue-part dup-boundary-2231 dup-boundary-2231-last dup-boundary-plain \
    dup-boundary-ext boundary-comment dup-content-type dup-content-type-sig \
    boundary-prefix cr-hidden-content-type cr-hidden-content-type-after \
    cr-hidden-from cr-in-folded-field; do
	check $c 0
done
# 4: attached SignedData in the detached slot fails, so reject_fail acts.
check attached-in-detached 69
check attached-same-content 69
check tampered-body 69
# The admin sees the inner signature in the log.
grep -q 'verified: smime=neutral inner part 2.1: pass signer taro@example.jp' \
    "$tmp/daemon.err" || bad "no log line naming the inner signature"
grep -q 'verified: smime=fail part 1: fail (detached signature has embedded content)' \
    "$tmp/daemon.err" || bad "no log line naming the embedded content"
kill -0 "$mpid" 2>/dev/null || bad "smime-milter died"
stop_milter
check_sanitizers
echo "$n cases"
exit $fail
