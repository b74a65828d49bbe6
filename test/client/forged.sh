#!/bin/sh
# forged.sh - fields that could pass for our results are removed on every
# path, through the daemon (milter protocol) and -t (issue 10 case 5,
# issue 21):
#  (a) submission: a message we sign, and one we do not sign (login not
#      allowed), carrying forged A-R "mx.test; smime=pass", X-SMIME-Signer
#      and X-SMIME-Protected: all removed;
#  (b) inbound with the forged fields after 1.1 MB of filler header (over
#      max_header_bytes): removed, our smime=none added;
#  (c) verify off (mode "s"), inbound: removed;
#  (d) which A-R fields go (RFC 8601 parse): ours with an smime result
#      (also after other methods, in any case, quoted, with comments) or
#      unparsable go; ours with only other methods (OpenDKIM's dkim=pass
#      with a shared authserv-id), "none", and other authserv-ids stay;
#      remove_ar_all = true removes every A-R of ours;
#  (e) 60,000 tiny X-SMIME-Signer fields, and 60,000 forged A-R: all
#      removed, at most 1 s of the daemon's CPU each (linear time).
set -u
. "${top_srcdir:-.}/test/client/common.sh"

# fields FILE NAME: the unfolded values of the fields called NAME.
fields() {
	tr -d '\r' < "$1" | awk -v want="$(printf '%s' "$2" | tr 'A-Z' 'a-z')" '
	    /^$/ { exit }
	    /^[ \t]/ { if (on) { sub(/^[ \t]+/, " "); v = v $0 }; next }
	    { if (on) print v; on = 0 }
	    { n = index($0, ":"); if (tolower(substr($0, 1, n - 1)) == want) { on = 1; v = substr($0, n + 1); sub(/^[ \t]+/, "", v) } }
	    END { if (on) print v }'
}
# count FILE NAME
count() { fields "$1" "$2" | wc -l | tr -d ' '; }
daemon_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' \
	    "/proc/$mpid/stat"
}

forged='Authentication-Results: mx.test; smime=pass header.from=taro@example.jp
X-SMIME-Signer: =?UTF-8?B?5bGx55Sw5aSq6YOO?=
X-SMIME-Protected: From, Subject
'
body='Content-Type: text/plain; charset=us-ascii

vote on Sunday
'
hdr='From: Taro <taro@example.jp>
To: voter@example.net
Subject: forged
MIME-Version: 1.0
'
printf '%s%s%s' "$hdr" "$forged" "$body" > "$tmp/small.eml"
{ printf '%s' "$hdr"
  awk 'BEGIN { for (i = 0; i < 20000; i++)
	printf "X-Filler-%05d: %s\n", i, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" }'
  printf '%s%s' "$forged" "$body"; } > "$tmp/big.eml"

# (d) the RFC 8601 cases: KEEP or DROP, then the field value.
cat > "$tmp/ar-cases" <<'EOF'
DROP mx.test; smime=pass header.from=taro@example.jp
DROP MX.TEST; SMIME=pass
DROP "mx.test"; smime=fail (content altered)
DROP (comment; with a semicolon) mx.test (x) ; dkim=pass header.d=example.jp; smime=pass
DROP mx.test 1; dkim=pass (2048-bit key; unprotected) header.d=example.jp header.b=Ab/+cd12; smime/1=pass
DROP mx.test; smime
DROP mx.test smime=pass
DROP mx.test; dkim=pass (unclosed comment
DROP mx.test; dkim="pass"
DROP mx.test;
DROP mx.test
DROP (x)mx.test(y); spf=pass smtp.mailfrom=a@example.jp; smime = pass
DROP mx.test; spf=pass smtp.mailfrom="a;b"@example.jp; smime=pass
DROP "mx".test; dkim=pass
DROP mx. test; smime=pass
DROP mx.test;dkim=pass;;smime=pass
KEEP mx.test; dkim=pass (2048-bit key; unprotected) header.d=example.jp header.i=@example.jp header.a=rsa-sha256 header.s=sel header.b=Ab/+cd12
KEEP mx.test; dkim=pass header.d=example.jp; spf=pass smtp.mailfrom=a@example.jp; dmarc=pass (p=none dis=none) header.from=example.jp
KEEP mx.test (comment); arc=none
KEEP mx.test; none
KEEP mx.test; dkim=neutral reason="no key; test" header.d=example.jp
KEEP mx.test; dkim=pass header.d=smime.example.jp
KEEP other.example; smime=pass header.from=taro@example.jp
KEEP mx.test.evil; smime=pass
KEEP "mx.test.evil"; smime=pass
EOF
{ printf '%s' "$hdr"
  while read -r what value; do printf 'Authentication-Results: %s\n' "$value"; done < "$tmp/ar-cases"
  printf '%s' "$body"; } > "$tmp/ar.eml"
keep=$(awk '$1 == "KEEP" { sub(/^KEEP /, ""); print }' "$tmp/ar-cases")

# 60,000 tiny fields.
{ printf '%s' "$hdr"
  awk 'BEGIN { for (i = 0; i < 60000; i++) print "X-SMIME-Signer: x" }'
  printf '%s' "$body"; } > "$tmp/many-signer.eml"
{ printf '%s' "$hdr"
  awk 'BEGIN { for (i = 0; i < 60000; i++) print "Authentication-Results: mx.test; smime=pass" }'
  printf '%s' "$body"; } > "$tmp/many-ar.eml"

write_conf
cp "$conf" "$tmp/sv.conf"
sed 's/^mode = "sv";/mode = "s";/' "$conf" > "$tmp/s.conf"
sed 's/^mode = "sv";/mode = "sv";\nremove_ar_all = true;/' "$conf" > "$tmp/all.conf"

# check NAME OUTFILE [EXPECT-SIGNED]: no forged field left.
check_gone() {
	[ -s "$2" ] || { bad "$1: no output"; return 1; }
	n_ar=$(fields "$2" Authentication-Results | grep -c 'smime=pass')
	n_signer=$(count "$2" X-SMIME-Signer)
	n_prot=$(count "$2" X-SMIME-Protected)
	if [ "$n_ar" != 0 ] || [ "$n_signer" != 0 ] || [ "$n_prot" != 0 ]; then
		bad "$1: forged fields left ($n_ar A-R with smime=pass, $n_signer X-SMIME-Signer, $n_prot X-SMIME-Protected)"
		return 1
	fi
	if [ "${3:-}" = signed ] && ! is_signed "$2"; then
		bad "$1: not signed"
		return 1
	fi
	echo "ok: $1"
}

# check_ar NAME OUTFILE: exactly the KEEP fields stay (plus ours).
check_ar() {
	[ -s "$2" ] || { bad "$1: no output"; return 1; }
	got=$(fields "$2" Authentication-Results | grep -v '^mx\.test; smime=none$')
	if [ "$got" = "$keep" ]; then
		echo "ok: $1"
	else
		bad "$1: A-R kept:
$got
want:
$keep"
	fi
}

# --- -t ---
run_t() {	# CONF MSG OUT [-C addr] [-A user]
	rt_c=$1 rt_m=$2 rt_o=$3
	shift 3
	"$milter" -c "$rt_c" -t "$rt_m" "$@" > "$rt_o" 2> "$rt_o.err" ||
	    { bad "-t $rt_m: exit $?: $(cat "$rt_o.err")"; return 1; }
}
run_t "$tmp/sv.conf" "$tmp/small.eml" "$tmp/t-a1" -A taro -C 192.0.2.1 &&
	check_gone "-t (a) signed submission" "$tmp/t-a1" signed
run_t "$tmp/sv.conf" "$tmp/small.eml" "$tmp/t-a2" -A hanako -C 192.0.2.1 &&
	check_gone "-t (a) unsigned submission (login not allowed)" "$tmp/t-a2"
run_t "$tmp/sv.conf" "$tmp/big.eml" "$tmp/t-b" -C 192.0.2.1 &&
	check_gone "-t (b) after 1.1 MB of header" "$tmp/t-b" &&
	{ [ "$(fields "$tmp/t-b" Authentication-Results)" = "mx.test; smime=none" ] ||
	    bad "-t (b): our smime=none missing"; }
run_t "$tmp/s.conf" "$tmp/small.eml" "$tmp/t-c" -C 192.0.2.1 &&
	check_gone "-t (c) verify off" "$tmp/t-c"
run_t "$tmp/sv.conf" "$tmp/ar.eml" "$tmp/t-d" -C 192.0.2.1 &&
	check_ar "-t (d) RFC 8601 rule" "$tmp/t-d"
run_t "$tmp/all.conf" "$tmp/ar.eml" "$tmp/t-d2" -C 192.0.2.1 &&
	{ left=$(fields "$tmp/t-d2" Authentication-Results | grep -v '^mx\.test; smime=none$' |
	      grep -i -v '^"*mx\.test\.evil\|^other\.example')
	  [ -z "$left" ] && echo "ok: -t (d) remove_ar_all" ||
	      bad "-t (d) remove_ar_all left: $left"; }
for m in many-signer many-ar; do
	run_t "$tmp/sv.conf" "$tmp/$m.eml" "$tmp/t-$m" -C 192.0.2.1 &&
	    check_gone "-t (e) $m" "$tmp/t-$m"
done

# --- the daemon ---
cp "$tmp/sv.conf" "$conf"
start_milter
if mc -A taro -C 192.0.2.1 -q FA1 "$tmp/small.eml" > "$tmp/m-a1"; then
	check_gone "milter (a) signed submission" "$tmp/m-a1" signed
else
	bad "milter (a1) exit $?"
fi
if mc -A hanako -C 192.0.2.1 -q FA2 "$tmp/small.eml" > "$tmp/m-a2"; then
	check_gone "milter (a) unsigned submission" "$tmp/m-a2"
else
	bad "milter (a2) exit $?"
fi
if mc -C 192.0.2.1 -q FB "$tmp/big.eml" > "$tmp/m-b"; then
	check_gone "milter (b) after 1.1 MB of header" "$tmp/m-b"
else
	bad "milter (b) exit $?"
fi
[ "$(fields "$tmp/m-b" Authentication-Results)" = "mx.test; smime=none" ] ||
	bad "milter (b): our smime=none missing"
if mc -C 192.0.2.1 -q FD "$tmp/ar.eml" > "$tmp/m-d"; then
	check_ar "milter (d) RFC 8601 rule" "$tmp/m-d"
else
	bad "milter (d) exit $?"
fi
for m in many-signer many-ar; do
	before=$(daemon_cpu)
	mc -C 192.0.2.1 -q "F$m" "$tmp/$m.eml" > "$tmp/m-$m" ||
	    { bad "milter (e) $m: exit $?"; continue; }
	after=$(daemon_cpu)
	check_gone "milter (e) $m" "$tmp/m-$m"
	cost=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
	echo "daemon CPU for $m: $cost s"
	awk -v c="$cost" 'BEGIN { exit !(c <= 1.0) }' ||
	    bad "milter (e) $m: $cost s of CPU (want <= 1 s)"
done
stop_milter
cp "$tmp/s.conf" "$conf"
start_milter
if mc -C 192.0.2.1 -q FC "$tmp/small.eml" > "$tmp/m-c"; then
	check_gone "milter (c) verify off" "$tmp/m-c"
else
	bad "milter (c) exit $?"
fi
stop_milter
check_sanitizers
exit $fail
