#!/usr/bin/env python3
"""dsa-noparams.py CERT CAKEY CMS-DER OUT-DER - replace the DSA signer
certificate CERT inside the SignedData CMS-DER by a copy whose
subjectPublicKeyInfo carries no DSA parameters (RFC 3279 2.3.2: they are
"inherited" from the issuer, here an RSA CA that has none), re-signed by
CAKEY (RSA, sha256WithRSAEncryption).  A minimal DER walker; lengths are
re-encoded on the way back up.
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def tlv_at(buf, off):
    """(tag, header length, content length) of the TLV at off."""
    tag = buf[off]
    n = buf[off + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7F
    return tag, 2 + k, int.from_bytes(buf[off + 2:off + 2 + k], "big")


def children(content):
    out, off = [], 0
    while off < len(content):
        _, h, n = tlv_at(content, off)
        out.append(content[off:off + h + n])
        off += h + n
    return out


def content_of(tlv):
    _, h, n = tlv_at(tlv, 0)
    return tlv[h:h + n]


def enc(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + content


cert_pem, cakey_pem, cms_der, out = sys.argv[1:5]
cert = open(cert_pem, "rb").read()
if cert.startswith(b"-----"):
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(cert).public_bytes(serialization.Encoding.DER)
cakey = serialization.load_pem_private_key(open(cakey_pem, "rb").read(), None)

tbs, sigalg, _ = children(content_of(cert))
t = children(content_of(tbs))
spki_i = 6 if t[0][0] == 0xA0 else 5
algid, key = children(content_of(t[spki_i]))
oid = children(content_of(algid))[0]
t[spki_i] = enc(0x30, enc(0x30, oid) + key)
new_tbs = enc(0x30, b"".join(t))
sig = cakey.sign(new_tbs, padding.PKCS1v15(), hashes.SHA256())
new_cert = enc(0x30, new_tbs + sigalg + enc(0x03, b"\x00" + sig))

ci = open(cms_der, "rb").read()
ci_oid, ci_explicit = children(content_of(ci))
sd = content_of(ci_explicit)
parts = children(content_of(sd))
for i, p in enumerate(parts):
    if p[0] == 0xA0:
        certs = children(content_of(p))
        assert cert in certs, "signer certificate not in the SignedData"
        certs = [new_cert if c == cert else c for c in certs]
        parts[i] = enc(0xA0, b"".join(certs))
new_ci = enc(0x30, ci_oid + enc(0xA0, enc(0x30, b"".join(parts))))
open(out, "wb").write(new_ci)
