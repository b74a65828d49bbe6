#!/bin/sh
# limits.sh - hostile and degenerate messages through the daemon: header
# section over 1 MB, 10,000 MIME parts, nesting depth 1,000, 0-byte body,
# header without body separator, body without final newline, NUL bytes
# (in the body, in a part body, in a part header field name).
# Each must get its defined outcome within 60 s, and the daemon must stay
# up, keep its peak RSS bounded and log no sanitizer report:
#  - signing over a limit (max_header_bytes, max_mime_parts,
#    max_mime_depth): on_permanent_error (default reject: 550 5.3.4 naming
#    the limit, not on_error's 4.7.0), the limit logged; with
#    on_permanent_error = "tempfail" 4.7.0;
#  - verifying over a MIME limit: accepted with smime=permerror; over the
#    header limit: verified with the fields kept (smime=none here);
#  - the degenerate but valid ones: signed (openssl verifies the result)
#    or, inbound, accepted with smime=none.
set -u
. "${top_srcdir:-.}/test/client/common.sh"

gen_limits() {
	d=$1
	hdr='From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: limits\nMIME-Version: 1.0\n'
	# header section over 1 MB: 20,000 fields of ~60 bytes
	{ printf "$hdr"
	  awk 'BEGIN { for (i = 0; i < 20000; i++)
		printf "X-Filler-%05d: %s\n", i, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" }'
	  printf 'Content-Type: text/plain\n\nbody after a huge header\n'; } > "$d/bighdr.eml"
	# 10,000 MIME parts
	{ printf "$hdr"'Content-Type: multipart/mixed; boundary="p"\n\n'
	  awk 'BEGIN { for (i = 0; i < 10000; i++)
		printf "--p\nContent-Type: text/plain\n\npart %d\n", i
	       print "--p--" }'; } > "$d/parts.eml"
	# nesting depth 1,000
	{ printf "$hdr"'Content-Type: multipart/mixed; boundary="b0"\n\n'
	  awk 'BEGIN { for (i = 1; i <= 1000; i++)
		printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i - 1, i
	       printf "--b1000\nContent-Type: text/plain\n\ndeep\n--b1000--\n"
	       for (i = 999; i >= 0; i--) printf "--b%d--\n", i }'; } > "$d/deep.eml"
	# 0-byte body, and a header with no body separator at all
	printf "$hdr"'Content-Type: text/plain\n\n' > "$d/empty.eml"
	printf "$hdr"'Content-Type: text/plain\n' > "$d/nosep.eml"
	# body without a final newline (sent raw with -r)
	printf "$hdr"'Content-Type: text/plain\n\nno newline at the end' > "$d/nonl.eml"
	# NUL bytes in the body
	printf "$hdr"'Content-Type: text/plain\n\nbefore\000after\n\000\000\n' > "$d/nul.eml"
	# NUL before the colon of a MIME part's header field (smime/mime.c
	# used to dereference NULL there, killing the daemon)
	printf "$hdr"'Content-Type: multipart/mixed; boundary="n"\n\n--n\nX-A\000b: c\n\nx\n--n--\n' > "$d/nulhdr.eml"
	# NUL bytes in a MIME part body
	printf "$hdr"'Content-Type: multipart/mixed; boundary="n"\n\n--n\nContent-Type: text/plain\n\na\000b\n--n--\n' > "$d/nulpart.eml"
}

write_conf
start_milter
gen_limits "$tmp"

# run NAME MODE WANT-EXIT WANT: WANT is signed, tempfail or an smime= result.
run() {
	name=$1 mode=$2 want_rc=$3 want=$4 raw= auth=
	[ "$name" = nonl ] && raw=-r
	[ "$mode" = sign ] && auth="-A taro"
	out=$tmp/$name.$mode.out
	# shellcheck disable=SC2086
	timeout 60 "$client" -s "unix:$sock" $raw $auth -C 192.0.2.1 \
	    -q "L$name$mode" "$tmp/$name.eml" > "$out" 2> "$out.err"
	rc=$?
	if [ $rc -ne "$want_rc" ]; then
		bad "$name/$mode: exit $rc, want $want_rc"; cat "$out.err"; return
	fi
	case $want in
	signed)	is_signed "$out" && verifies "$out" ||
		    { bad "$name/$mode: not signed or does not verify"; return; } ;;
	tempfail) grep -q ' 4\.7\.0 ' "$out.err" ||
		    { bad "$name/$mode: no 4.7.0 reply"; return; } ;;
	reject:*) grep -q " 550 5\.3\.4 S/MIME signing impossible: .*${want#reject:}" "$out.err" ||
		    { bad "$name/$mode: no 550 5.3.4 reply naming ${want#reject:}: $(cat "$out.err")"; return; } ;;
	*)	got=$(smime_result "$out")
		[ "$got" = "$want" ] ||
		    { bad "$name/$mode: smime=$got, want $want"; return; } ;;
	esac
	kill -0 "$mpid" 2>/dev/null || { bad "$name/$mode: daemon died"; return; }
	echo "ok: $name/$mode -> $want"
}

run bighdr sign 69 reject:max_header_bytes
grep -q 'Lbighdrsign: .*max_header_bytes.*on_permanent_error=reject' "$tmp/daemon.err" ||
	bad "bighdr/sign: limit not logged"
run bighdr verify 0 none
run parts sign 69 "reject:MIME parts"
grep -q 'Lpartssign: .*MIME parts' "$tmp/daemon.err" ||
	bad "parts/sign: limit not logged"
run parts verify 0 permerror
run deep sign 69 reject:nesting
grep -q 'Ldeepsign: .*nesting' "$tmp/daemon.err" ||
	bad "deep/sign: limit not logged"
run deep verify 0 permerror
for m in empty nosep nonl nul nulpart nulhdr; do
	run $m sign 0 signed
	run $m verify 0 none
done
# The signed NUL message still carries its NUL bytes, quoted-printable
# encoded (RFC 8551 wants 7-bit content).
"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$tmp/nul.sign.out" \
    -out "$tmp/nul.content" 2>/dev/null
grep -q 'before=00after' "$tmp/nul.content" && grep -q '^=00=00' "$tmp/nul.content" ||
	bad "nul/sign: NUL bytes lost"

hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$mpid/status")
echo "peak RSS of the daemon: $hwm KiB"
# Generous because of ASan's shadow memory; without it this is ~10 MiB.
[ "${hwm:-0}" -lt 524288 ] || bad "peak RSS $hwm KiB"
stop_milter

# on_permanent_error = "tempfail": the old answer, by choice.
write_conf 'on_permanent_error = "tempfail";'
start_milter
run deep sign 75 tempfail
stop_milter
check_sanitizers
exit $fail
