#!/bin/sh
# attime.sh - `smime-milter -t MSG -D TIME` judges certificates as of
# TIME, like `openssl cms -verify -attime` (checked against it).  A CA
# valid since 2015 issued a signer certificate valid 2017-2020: the
# message passes in 2019 (its signer's lifetime), is "expired" now and
# "not yet valid" in 2016.  Bad -D values and -D without -t are usage
# errors.
set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
smf=$(cd "$top_builddir" && pwd)/milter/smime-milter
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-attime.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work" >/dev/null || exit 99
# The backdated PKI: old-root (2015-2035) issues old-leaf (2017-2020).
cd "$work/pki" || exit 99
export CA_NAME=old-root LEAF_EMAIL=old@example.jp
: > old-root.index && echo 1000 > old-root.serial && echo 1000 > old-root.crlnumber &&
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out old-root.key 2>/dev/null &&
"$OPENSSL" req -new -config ca.cnf -key old-root.key -subj "/C=JP/O=Test PKI/CN=Old Root" -out old-root.csr &&
"$OPENSSL" ca -batch -config ca.cnf -selfsign -keyfile old-root.key -in old-root.csr \
    -out old-root.crt -extensions v3_ca -startdate 20150101000000Z -enddate 20350101000000Z -notext 2>/dev/null &&
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out old-leaf.key 2>/dev/null &&
"$OPENSSL" req -new -config ca.cnf -key old-leaf.key -subj "/C=JP/CN=Old Member" -out old-leaf.csr &&
"$OPENSSL" ca -batch -config ca.cnf -cert old-root.crt -keyfile old-root.key -in old-leaf.csr \
    -out old-leaf.crt -extensions v3_leaf -startdate 20170101000000Z -enddate 20200101000000Z -notext 2>/dev/null &&
{
	printf 'From: old@example.jp\nTo: voter@example.net\nSubject: 2019\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nsigned long ago\n' |
	"$OPENSSL" cms -sign -signer old-leaf.crt -inkey old-leaf.key
} > "$work/old.eml" && cat trust.pem old-root.crt > trust-old.pem &&
"$OPENSSL" ca -batch -config ca.cnf -cert old-root.crt -keyfile old-root.key -gencrl \
    -out old-root-crl.pem 2>/dev/null || exit 99
cd "$work" || exit 99
cat > "$work/v.conf" <<CONF
socket = "unix:$work/sock";
mode = "v";
authserv_id = "mx.example.net";
verify = {
	trust_anchors = "pki/trust-old.pem";
	intermediates = "pki/chain.pem";
	# Revocation is judged now, with CRLs issued now.
	crl = [ "pki/crl.pem", "pki/old-root-crl.pem" ];
};
CONF
fails=0
check() { # check NAME WANT-SUBSTRING OUTPUT
	if printf '%s\n' "$3" | awk '/^[ \t]/ { sub(/^[ \t]+/, " "); printf "%s", $0; next }
	    { printf "\n%s", $0 } END { print "" }' | grep -F -q -- "$2"; then
		echo "ok $1"
	else
		echo "FAIL $1: want '$2' in:"
		printf '%s\n' "$3" | head -5
		fails=$((fails + 1))
	fi
}
t() { "$smf" -c "$work/v.conf" -t "$@" 2>&1; }
exp=$work/old.eml
check now "smime=fail (expired) header.from=old@example.jp" "$(t "$exp")"
check date "smime=pass header.from=old@example.jp" "$(t "$exp" -D 2019-06-01)"
check datetime "smime=pass header.from=old@example.jp" "$(t "$exp" -D 2019-06-01T12:00:00Z)"
check seconds "smime=pass header.from=old@example.jp" "$(t "$exp" -D 1560000000)"
check before "smime=fail (not yet valid) header.from=old@example.jp" "$(t "$exp" -D 2016-01-01)"
check good-before "smime=fail (not yet valid) header.from=taro@example.jp" "$(t "$work/good-rsa2048.eml" -D 2016-01-01)"
check good-now "smime=pass header.from=taro@example.jp" "$(t "$work/good-rsa2048.eml")"

# openssl cms agrees at the same times.
ossl() { "$OPENSSL" cms -verify -in "$exp" -CAfile pki/trust-old.pem \
    -purpose smimesign -out /dev/null "$@" >/dev/null 2>&1; }
if ossl -attime 1560000000 && ! ossl && ! ossl -attime 1451606400; then
	echo "ok openssl-agrees"
else
	echo "FAIL openssl-agrees"; fails=$((fails + 1))
fi

"$smf" -c "$work/v.conf" -t "$exp" -D yesterday >/dev/null 2>&1
[ $? -eq 64 ] && echo "ok bad-time" || { echo "FAIL bad-time"; fails=$((fails + 1)); }
"$smf" -c "$work/v.conf" -D 2019-06-01 -n >/dev/null 2>&1
[ $? -eq 64 ] && echo "ok needs-t" || { echo "FAIL needs-t"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ]
