#!/bin/sh
# certpolicy.sh - smime-enroll import and CMP enrollment (the certConf
# check) apply the one "may this certificate sign e-mail" rule
# (smime/certpolicy.h) that identity loading and signing apply too
# (test/unit/test_certpolicy.c runs the same table through those):
# EKU absent is any purpose, anyExtendedKeyUsage does not stand in for
# emailProtection, keyUsage must assert digitalSignature.
. "${top_srcdir:-.}/test/enroll/common.sh"

make_cmp_server_cert
write_conf "cmp_trusted = \"$pki/root-ca.crt\"; intermediates = \"$pki/chain.pem\";"
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
serial=$((0x7a00))

# row NAME WANT KU EKU: a certificate with these extensions ("-": none)
# for NAME@example.jp, imported and enrolled; WANT is ok or refused.
row() {
	name=$1 want=$2 ku=$3 eku=$4
	for how in import enroll; do
		addr=$name-$how@example.jp
		$E keygen "$addr" > /dev/null || fail "keygen $addr"
		$E csr "$addr" --cn "$name" --out "$work/$addr.csr" || fail "csr $addr"
		{
			echo "basicConstraints = critical, CA:false"
			[ "$ku" = - ] || echo "keyUsage = $ku"
			[ "$eku" = - ] || echo "extendedKeyUsage = $eku"
			echo "subjectAltName = email:$addr"
		} > "$work/row.ext"
		serial=$((serial + 1))
		"$OPENSSL" x509 -req -in "$work/$addr.csr" -CA "$pki/inter-ca.crt" \
			-CAkey "$pki/inter-ca.key" -days 30 -set_serial "$serial" \
			-extfile "$work/row.ext" -out "$work/$addr.crt" 2>/dev/null ||
			fail "issue $addr"
		if [ "$how" = import ]; then
			$E import "$addr" "$work/$addr.crt" > "$work/out" 2> "$work/err"
		else
			start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret \
				-rsp_cert "$work/$addr.crt" -rsp_extracerts "$pki/inter-ca.crt"
			$E enroll "$addr" --cn "$name" --server "$cmp_url" --ref kid1 \
				--secret env:CMP_SECRET > "$work/out" 2> "$work/err"
			stop_cmp
		fi
		if [ "$want" = ok ]; then
			[ -f "$store/$addr/cert.pem" ] ||
				fail "$how $name (KU $ku, EKU $eku) refused: $(cat "$work/err")"
		else
			[ -f "$store/$addr/cert.pem" ] &&
				fail "$how $name (KU $ku, EKU $eku) accepted"
			grep -q "certificate .*lacks" "$work/err" ||
				fail "$how $name: no reason: $(cat "$work/err")"
		fi
	done
}

row plain ok "critical, digitalSignature" emailProtection
row noext ok - -
row anyeku refused "critical, digitalSignature" anyExtendedKeyUsage
row nonrep refused "critical, nonRepudiation" emailProtection
exit 0
