#!/bin/sh
# recognition.sh - what counts as S/MIME and accurate reasons:
#   RFC 8551 3.2.2: application/octet-stream named smime.p7s / .p7m (by
#   Content-Type name or Content-Disposition filename) is recognised;
#   other octet-streams are not; a signature whose base64 is one line of
#   thousands of characters verifies (detached and opaque; openssl reads
#   the decoded DER); a signer key OpenSSL cannot load (DSA without its
#   parameters) is permerror (unsupported key), not fail, while the same
#   signature with the full key passes.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-recog.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$srcdir/test/pki/shared.sh" corpus "$work" >/dev/null || exit 99
mkdir "$work/v" && "$PYTHON" "$srcdir/test/verify/recognition.py" "$work" "$work/v" || exit 99
cd "$work/pki" || exit 99
v() { "$tool" -t trust.pem -i chain.pem "$@" 2>&1; }
pass="smime=pass header.from=taro@example.jp"
check octet-p7s "$pass body.smime-identifier=taro@example.jp body.smime-part=1 " "$(v "$work/v/octet-p7s.eml")"
check octet-p7s-disp "$pass" "$(v "$work/v/octet-p7s-disp.eml")"
check octet-p7m "$pass body.smime-identifier=taro@example.jp body.smime-part=1 " "$(v "$work/v/octet-p7m.eml")"
check octet-p7m-disp "$pass" "$(v "$work/v/octet-p7m-disp.eml")"
check octet-other "smime=neutral (malformed signature: no signature part)" "$(v "$work/v/octet-other.eml")"
check octet-other-opaque "mx.example.net; smime=none" "$(v "$work/v/octet-other-opaque.eml")"
check longline "$pass" "$(v "$work/v/longline.eml")"
check longline-opaque "$pass" "$(v "$work/v/longline-opaque.eml")"
if "$OPENSSL" cms -cmsout -inform DER -in "$work/v/longline.der" -noout 2>/dev/null; then
	echo "ok longline-der"
else
	echo "FAIL longline-der: openssl cannot read the decoded signature"; fails=$((fails + 1))
fi

# DSA signer; then the same SignedData with the certificate's DSA
# parameters removed (re-signed by the CA), so the key cannot be loaded.
"$OPENSSL" genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsap.pem 2>/dev/null &&
"$OPENSSL" genpkey -paramfile dsap.pem -out dsa.key &&
CA_NAME=inter-ca LEAF_EMAIL=dsa@example.jp "$OPENSSL" req -new -config ca.cnf -key dsa.key -subj "/CN=DSA Member" -out dsa.csr &&
CA_NAME=inter-ca LEAF_EMAIL=dsa@example.jp "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -in dsa.csr -out dsa.crt -extensions v3_leaf -notext 2>/dev/null &&
printf 'Content-Type: text/plain\n\nDSA test\n' |
"$OPENSSL" cms -sign -signer dsa.crt -inkey dsa.key -certfile chain.pem -nodetach -outform DER -out dsa.der &&
"$PYTHON" "$srcdir/test/verify/dsa-noparams.py" dsa.crt inter-ca.key dsa.der dsa-np.der || exit 99
for f in dsa dsa-np; do
	{
		printf 'From: dsa@example.jp\nTo: voter@example.net\nSubject: dsa\nMIME-Version: 1.0\n'
		printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		"$OPENSSL" base64 -in "$f.der"
	} > "$f.eml"
done
check dsa "smime=pass header.from=dsa@example.jp" "$(v dsa.eml)"
check dsa-noparams "smime=permerror (unsupported key) header.from=dsa@example.jp" "$(v dsa-np.eml)"
[ "$fails" -eq 0 ]
