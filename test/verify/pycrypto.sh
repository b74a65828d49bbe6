#!/bin/sh
# pycrypto.sh - a message signed by Python's cryptography package (an
# implementation independent of OpenSSL's S/MIME writer: its own MIME
# framing, x-pkcs7-signature, no chain in the CMS) verifies as pass through
# smime-milter -t, and fails once its content is altered.
. "${top_srcdir:-.}/test/milter/common.sh"

PY=/usr/bin/python3
"$PY" -c 'from cryptography.hazmat.primitives.serialization import pkcs7' 2>/dev/null ||
	fail "python3-cryptography with pkcs7 support is required (Debian: python3-cryptography)"

install_identity taro
cat > "$work/v.conf" <<CONF
socket = "unix:$work/sock";
authserv_id = "mx.voter.example";
mode = "v";
verify = { trust_anchors = "trust.pem"; intermediates = "chain.pem"; };
CONF

"$PY" - "$work/taro.crt" "$work/taro.key" "$work/py.eml" <<'PYEOF' || fail "python signing"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
content = ("Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           "5pS/562W44KS44GK6aGY44GE44GX44G+44GZ\r\n").encode()
smime = (pkcs7.PKCS7SignatureBuilder().set_data(content)
         .add_signer(cert, key, hashes.SHA256())
         .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature]))
with open(sys.argv[3], 'wb') as f:
    f.write(b"From: taro@example.jp\r\nTo: voter@example.net\r\nSubject: py\r\n" + smime)
PYEOF

"$SMF" -c "$work/v.conf" -t "$work/py.eml" -C 192.0.2.1 > "$work/out.eml" 2>/dev/null ||
	fail "verify: exit $?"
ar=$(sed -n '1,/^$/p' "$work/out.eml" | grep -A4 '^Authentication-Results:' | tr -d '\r\n\t')
case $ar in
*"mx.voter.example; smime=pass"*"body.smime-identifier=taro@example.jp"*) ;;
*) fail "python-signed message: $ar" ;;
esac

# One changed base64 character in the signed text: content altered.
sed 's/^5pS/5pT/' "$work/py.eml" > "$work/bad.eml"
"$SMF" -c "$work/v.conf" -t "$work/bad.eml" -C 192.0.2.1 > "$work/bad.out" 2>/dev/null ||
	fail "verify tampered: exit $?"
grep -q 'smime=fail (content altered)' "$work/bad.out" || fail "tampered python-signed message not failed"
echo "pycrypto: ok"
