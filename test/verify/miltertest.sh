#!/bin/sh
# miltertest.sh - corpus cases through the running daemon over the milter
# protocol, driven by miltertest (Debian package miltertest) with
# test/verify/miltertest.lua: exact A-R inserted at the top, signer field
# on pass only, forged fields deleted, body untouched.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=}"
export OPENSSL GPGSM
MILTERTEST=${MILTERTEST:-miltertest}
command -v "$MILTERTEST" >/dev/null 2>&1 || { echo "miltertest missing (Debian: miltertest)"; exit 1; }
smf=$(cd "$top_builddir" && pwd)/milter/smime-milter
lua=$(cd "$top_srcdir" && pwd)/test/verify/miltertest.lua
table=$top_srcdir/test/verify/expected.txt
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-vmt.XXXXXX") || exit 99
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work" >/dev/null || exit 99
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
"$smf" -c "$work/v.conf" -f > "$work/daemon.log" 2>&1 &
pid=$!
i=0
until [ -S "$work/sock" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null || { echo "daemon did not start"; cat "$work/daemon.log"; exit 1; }
	sleep 0.1
done
tab=$(printf '\t')
fails=0 n=0
while IFS=$tab read -r name want signer; do
	case $name in '#'* | '') continue ;; esac
	case $name in
	good-rsa2048 | good-p256 | gpgsm-detached | tampered-body | from-mismatch | \
	nested-mixed | forwarded | unsigned | revoked | deep-nesting | huge-header) ;;
	# issue 10 (attacks.sh): every case
	fwd-* | rfc822-top* | mixed-* | alternative-signed | signed-third-* | \
	preamble-* | epilogue-part | dup-* | boundary-* | attached-* | padded-* | cr-*) ;;
	*) continue ;;
	esac
	[ -f "$work/$name.eml" ] || continue
	n=$((n + 1))
	s=no
	[ "$signer" = - ] || s=yes
	if SOCK="unix:$work/sock" MSG="$work/$name.eml" WANT="$want" SIGNER=$s DELETES= \
	    "$MILTERTEST" -s "$lua" > "$work/mt.out" 2>&1; then
		echo "ok $name"
	else
		echo "FAIL $name:"
		sed 's/^/  /' "$work/mt.out"
		fails=$((fails + 1))
	fi
done < "$table"
# Forged fields: the same pass as good-rsa2048, with deletions requested.
n=$((n + 1))
want=$(awk -F "$tab" '$1 == "good-rsa2048" { print $2 }' "$table")
if SOCK="unix:$work/sock" MSG="$work/forged-ar.eml" WANT="$want" SIGNER=yes \
    DELETES="Authentication-Results X-SMIME-Signer" \
    "$MILTERTEST" -s "$lua" > "$work/mt.out" 2>&1; then
	echo "ok forged-ar"
else
	echo "FAIL forged-ar:"
	sed 's/^/  /' "$work/mt.out"
	fails=$((fails + 1))
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
echo "$n cases, $fails failed"
[ "$fails" -eq 0 ]
