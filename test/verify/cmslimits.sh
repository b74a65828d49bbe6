#!/bin/sh
# cmslimits.sh - hostile CMS SignedData (issue 10 case 7): counts and sizes
# are bounded before OpenSSL parses the signature.  A real detached
# signature is rewritten by hostile_cms.py (digestAlgorithms, SignerInfos,
# certificates, CRLs, signed/unsigned attributes and attribute values
# repeated, a 1.1 MB attribute, deep BER nesting) and each message must
# get smime=permerror with the limit named, costing under a second of CPU,
# through -t and through the daemon over the milter protocol; the daemon
# must stay up and still pass the genuine message (also in a BER
# indefinite-length re-encoding) afterwards.  The attached (opaque
# application/pkcs7-mime) form gets the same limits.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
PYTHON=${PYTHON:-python3}
hostile="$PYTHON $top_srcdir/test/verify/hostile_cms.py"

# python3 -c "$cpu" CMD...: run CMD, write its CPU seconds to fd 3.
cpu='import os, resource, subprocess, sys
r = subprocess.run(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
os.write(3, b"cpu %.3f\n" % (u.ru_utime + u.ru_stime))
sys.exit(r.returncode)'
# CPU seconds the daemon used so far.
daemon_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
	    "/proc/$mpid/stat"
}

# The signed content exactly as the message below carries it (the CRLF
# before the delimiter belongs to the delimiter).
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nvote on Sunday\r\n' |
    head -c -2 > "$tmp/content.txt"
"$OPENSSL" cms -sign -binary -in "$tmp/content.txt" -signer "$pki/taro.crt" \
    -inkey "$pki/taro.key" -certfile "$pki/chain.pem" -outform DER \
    -out "$tmp/sig.der" || { echo "FAIL: openssl cms -sign"; exit 1; }

# mkmsg DER OUT: a multipart/signed message from taro with DER as signature.
mkmsg() {
	{ printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\n'
	  printf 'Subject: limits\nMIME-Version: 1.0\n'
	  printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\n'
	  printf ' micalg=sha-256; boundary="sig-b"\n\n--sig-b\n'
	  printf 'Content-Type: text/plain; charset=us-ascii\n\nvote on Sunday\n'
	  printf -- '--sig-b\nContent-Type: application/pkcs7-signature; name=smime.p7s\n'
	  printf 'Content-Transfer-Encoding: base64\n\n'
	  base64 -w 76 "$1"
	  printf -- '--sig-b--\n'; } > "$2"
}

# The same signature attached (opaque application/pkcs7-mime), which takes
# the streaming path of smime/vopaque.c.
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nvote on Sunday\r\n' \
    > "$tmp/content-opaque.txt"
"$OPENSSL" cms -sign -binary -nodetach -in "$tmp/content-opaque.txt" \
    -signer "$pki/taro.crt" -inkey "$pki/taro.key" -certfile "$pki/chain.pem" \
    -outform DER -out "$tmp/opaque.der" || { echo "FAIL: openssl cms -sign -nodetach"; exit 1; }
mkopaque() {
	{ printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\n'
	  printf 'Subject: limits\nMIME-Version: 1.0\n'
	  printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\n'
	  printf 'Content-Transfer-Encoding: base64\n\n'
	  base64 -w 76 "$1"; } > "$2"
}
mkopaque "$tmp/opaque.der" "$tmp/opaque-good.eml"
opaque_cases="digestalgs:60000:too many digestAlgorithms
signers:200:too many SignerInfos
certs:500:too many certificates"
printf '%s\n' "$opaque_cases" | while IFS=: read -r kind n reason; do
	$hostile "$tmp/opaque.der" "$tmp/opaque-$kind.der" "$kind" "$n" &&
	    mkopaque "$tmp/opaque-$kind.der" "$tmp/opaque-$kind.eml" ||
	    echo "FAIL: hostile_cms.py opaque $kind $n"
done

# case NAME KIND N REASON: REASON is a fixed string of the A-R comment.
cases="digestalgs:60000:too many digestAlgorithms
digestalgs:9:too many digestAlgorithms
signers:200:too many SignerInfos
certs:500:too many certificates
crls:40:too many CRLs
sattrs:1000:too many signed attributes
uattrs:1000:too many unsigned attributes
attrvalues:500:too many values in one attribute
bigattr:1100000:signature too large
deep:200:signature nested too deeply"
mkmsg "$tmp/sig.der" "$tmp/good.eml"
$hostile "$tmp/sig.der" "$tmp/indef.der" indef 0 && mkmsg "$tmp/indef.der" "$tmp/indef.eml" ||
	bad "hostile_cms.py indef"
printf '%s\n' "$cases" | while IFS=: read -r kind n reason; do
	$hostile "$tmp/sig.der" "$tmp/$kind-$n.der" "$kind" "$n" &&
	    mkmsg "$tmp/$kind-$n.der" "$tmp/$kind-$n.eml" ||
	    echo "FAIL: hostile_cms.py $kind $n"
done

write_conf
start_milter

# unfolded A-R value of our field in FILE
ar() {
	tr -d '\r' < "$1" | awk '/^$/ { exit } /^[ \t]/ { if (on) { sub(/^[ \t]+/, " "); v = v $0 }; next }
	    { if (on) { print v; on = 0 } }
	    /^Authentication-Results: mx\.test;/ { on = 1; v = $0 }
	    END { if (on) print v }'
}

# check_one WHERE FILE EXPECT-RESULT EXPECT-REASON
check_one() {
	got=$(ar "$2")
	case $got in
	*"smime=$3"*"$4"*) echo "ok: $1 -> smime=$3 ($4)" ;;
	*) bad "$1: got '$got', want smime=$3 ($4)" ;;
	esac
}

# -t: permerror, reason, well under a second of CPU each.
for m in good indef; do
	"$milter" -c "$conf" -t "$tmp/$m.eml" > "$tmp/$m.t.out" 2> "$tmp/$m.t.err"
	check_one "-t $m" "$tmp/$m.t.out" pass ""
done
printf '%s\n' "$cases" | {
	f=0
	while IFS=: read -r kind n reason; do
		timeout 60 "$PYTHON" -c "$cpu" "$milter" -c "$conf" -t \
		    "$tmp/$kind-$n.eml" > "$tmp/$kind-$n.t.out" \
		    2> "$tmp/$kind-$n.t.err" 3> "$tmp/$kind-$n.t.cpu" ||
		    { echo "FAIL: -t $kind $n: exit $?"; f=1; continue; }
		case $(ar "$tmp/$kind-$n.t.out") in
		*"smime=permerror ($reason)"*) ;;
		*) echo "FAIL: -t $kind $n: $(ar "$tmp/$kind-$n.t.out")"; f=1; continue ;;
		esac
		s=$(sed -n 's/^cpu //p' "$tmp/$kind-$n.t.cpu")
		# Startup (config, PKI) is part of it; the check itself is ~0.1 s.
		if awk -v s="$s" 'BEGIN { exit !(s < 1.0) }'; then
			echo "ok: -t $kind x$n -> permerror ($reason), $s s CPU"
		else
			echo "FAIL: -t $kind x$n took $s s CPU"; f=1
		fi
	done
	exit $f
} || fail=1

# Over the milter protocol: the same, and the daemon keeps serving.
printf '%s\n' "$cases" | {
	f=0
	while IFS=: read -r kind n reason; do
		before=$(daemon_cpu)
		mc -C 192.0.2.1 -q "C$kind" "$tmp/$kind-$n.eml" > "$tmp/$kind-$n.m.out" 2>&1 ||
		    { echo "FAIL: milter $kind $n: exit $?"; f=1; continue; }
		after=$(daemon_cpu)
		case $(ar "$tmp/$kind-$n.m.out") in
		*"smime=permerror ($reason)"*) ;;
		*) echo "FAIL: milter $kind $n: $(ar "$tmp/$kind-$n.m.out")"; f=1; continue ;;
		esac
		if awk -v a="$after" -v b="$before" 'BEGIN { exit !(a - b < 1.0) }'; then
			echo "ok: milter $kind x$n -> permerror ($reason)"
		else
			echo "FAIL: milter $kind x$n cost $before..$after s CPU"; f=1
		fi
	done
	exit $f
} || fail=1
# Opaque signed-data: the same limits on the streaming path.
"$milter" -c "$conf" -t "$tmp/opaque-good.eml" > "$tmp/opaque-good.t.out" 2>&1
check_one "-t opaque good" "$tmp/opaque-good.t.out" pass ""
printf '%s\n' "$opaque_cases" | {
	f=0
	while IFS=: read -r kind n reason; do
		timeout 60 "$milter" -c "$conf" -t "$tmp/opaque-$kind.eml" \
		    > "$tmp/opaque-$kind.t.out" 2>&1 ||
		    { echo "FAIL: -t opaque $kind: exit $?"; f=1; continue; }
		mc -C 192.0.2.1 -q "O$kind" "$tmp/opaque-$kind.eml" \
		    > "$tmp/opaque-$kind.m.out" 2>&1 ||
		    { echo "FAIL: milter opaque $kind: exit $?"; f=1; continue; }
		for w in t m; do
			case $(ar "$tmp/opaque-$kind.$w.out") in
			*"smime=permerror ($reason)"*)
				echo "ok: $w opaque $kind x$n -> permerror ($reason)" ;;
			*) echo "FAIL: $w opaque $kind: $(ar "$tmp/opaque-$kind.$w.out")"; f=1 ;;
			esac
		done
	done
	exit $f
} || fail=1
kill -0 "$mpid" 2>/dev/null || bad "daemon died"
for m in good indef; do
	mc -C 192.0.2.1 -q "G$m" "$tmp/$m.eml" > "$tmp/$m.m.out" 2>&1 ||
	    bad "milter $m: exit $?"
	check_one "milter $m after the hostile ones" "$tmp/$m.m.out" pass ""
done
stop_milter
check_sanitizers
exit $fail
