#!/bin/sh
# testmode.sh - the verification corpus through the daemon's test mode
# (`smime-milter -t`, the same code the milter callbacks run): exact
# Authentication-Results of expected.txt on top of the rewritten message,
# forged fields gone, and the body written back byte for byte.
set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=}"
export OPENSSL GPGSM
smf=$top_builddir/milter/smime-milter
table=$top_srcdir/test/verify/expected.txt
[ -x "$smf" ] || { echo "smime-milter not built"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-vtm.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work" || exit 99
cat > "$work/v.conf" <<CONF
socket = "unix:$work/sock";
mode = "v";
authserv_id = "mx.example.net";
verify = {
	trust_anchors = "pki/trust.pem";
	intermediates = "pki/chain.pem";
	crl = [ "pki/crl.pem", "pki/root-crl.pem" ];
	signer_header = true;
};
CONF
"$smf" -c "$work/v.conf" -n >/dev/null || { echo "config rejected"; exit 1; }
tab=$(printf '\t')
fails=0 n=0

fail() {
	echo "FAIL $1: $2"
	fails=$((fails + 1))
}

# header FILE: the header of a message, one field a line (unfolded).
header() {
	tr -d '\r' < "$1" | awk '/^$/ { exit } /^[ \t]/ { sub(/^[ \t]+/, " "); cur = cur $0; next }
	    { if (started) print cur; cur = $0; started = 1 } END { if (started) print cur }'
}

# body FILE: everything after the first empty line.
body() {
	awk 'done { print; next } /^\r?$/ { done = 1 }' "$1"
}

while IFS=$tab read -r name want signer; do
	case $name in '#'* | '') continue ;; esac
	msg=$work/$name.eml
	[ -f "$msg" ] || continue	# corpus.sh reports missing cases
	n=$((n + 1))
	"$smf" -c "$work/v.conf" -t "$msg" > "$work/out" 2> "$work/err" || {
		fail "$name" "smime-milter -t: $(cat "$work/err")"
		continue
	}
	got=$(header "$work/out" | sed -n '1s/^Authentication-Results: //p')
	if [ "$got" != "$want" ]; then
		fail "$name" "
  want: $want
  got:  $got"
		continue
	fi
	if [ "$signer" = - ]; then
		header "$work/out" | grep -q '^X-SMIME-Signer:' &&
		    { fail "$name" "unexpected X-SMIME-Signer"; continue; }
	else
		header "$work/out" | sed -n 2p | grep -q '^X-SMIME-Signer: ' ||
		    { fail "$name" "no X-SMIME-Signer"; continue; }
	fi
	body "$msg" > "$work/in.body"
	body "$work/out" > "$work/out.body"
	cmp -s "$work/in.body" "$work/out.body" || { fail "$name" "body changed"; continue; }
	echo "ok $name"
done < "$table"

n=$((n + 1))
"$smf" -c "$work/v.conf" -t "$work/forged-ar.eml" > "$work/out" 2>/dev/null
h=$(header "$work/out")
if [ "$(printf '%s\n' "$h" | grep -c '^Authentication-Results: ')" -eq 3 ] &&
   [ "$(printf '%s\n' "$h" | grep -c '^X-SMIME-Signer: ')" -eq 1 ] &&
   printf '%s\n' "$h" | grep -q '^Authentication-Results: other.example; spf=pass' &&
   printf '%s\n' "$h" | grep -q '^Authentication-Results: mx.example.net.evil;' &&
   ! printf '%s\n' "$h" | grep -q 'X-SMIME-Signer: forged\|(forged)\|"mx.example.net"\|5YG9'; then
	echo "ok forged-ar"
else
	fail forged-ar "$h"
fi
echo "$n cases, $fails failed"
[ "$fails" -eq 0 ]
