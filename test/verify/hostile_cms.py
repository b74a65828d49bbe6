#!/usr/bin/env python3
"""hostile_cms.py - turn a real DER SignedData into a hostile one.

usage: hostile_cms.py IN.der OUT.der KIND N

KIND (N is the repeat count or size):
  digestalgs  repeat the first digestAlgorithms entry N times
  signers     repeat the first SignerInfo N times
  certs       repeat the first certificate N times
  crls        add a [1] crls SET with N copies of the first certificate
  sattrs      repeat the first signed attribute N times
  uattrs      add N unsigned attributes (copies of the first signed one)
  attrvalues  repeat the first value of the first signed attribute N times
  bigattr     add one unsigned attribute holding an N-byte OCTET STRING
  deep        wrap the first signed attribute's value in N indefinite-length
              [0] constructed layers
  indef       re-encode the SignedData envelope with indefinite lengths
              (BER as some clients write it; N ignored)

Only definite-length DER input is read (what `openssl cms -outform DER`
writes).  Lengths are recomputed on output, so the result is well-formed
BER that any TLV walker can follow.
"""
import sys


def read_tlv(b, i):
    """Return (tag_bytes, constructed, content, next_index)."""
    start = i
    first = b[i]
    i += 1
    if first & 0x1F == 0x1F:
        while b[i] & 0x80:
            i += 1
        i += 1
    tag = b[start:i]
    ln = b[i]
    i += 1
    if ln & 0x80:
        n = ln & 0x7F
        if n == 0:
            raise ValueError("indefinite length in input")
        ln = int.from_bytes(b[i:i + n], "big")
        i += n
    return tag, bool(first & 0x20), b[i:i + ln], i + ln


def parse(b):
    """Parse DER into nested [tag, constructed, children-or-bytes]."""
    out = []
    i = 0
    while i < len(b):
        tag, cons, content, i = read_tlv(b, i)
        out.append([tag, cons, parse(content) if cons else content])
    return out


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    s = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(s)]) + s


def encode(node):
    tag, cons, val = node[:3]
    if cons:
        body = b"".join(encode(c) for c in val)
        if len(node) > 3 or tag == b"indef":
            t = tag if tag != b"indef" else b"\xa0"
            return t + b"\x80" + body + b"\x00\x00"
    else:
        body = val
    return tag + enc_len(len(body)) + body


def encode_all(nodes):
    return b"".join(encode(n) for n in nodes)


def main():
    src, dst, kind, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ci = parse(open(src, "rb").read())[0]
    sd = ci[2][1][2][0]                 # ContentInfo [0] -> SignedData
    fields = sd[2]
    dalgs = fields[1]
    certs = next((f for f in fields if f[0] == b"\xa0"), None)
    sinfos = fields[-1]
    si = sinfos[2][0]
    sattrs = next(f for f in si[2] if f[0] == b"\xa0")
    if kind == "digestalgs":
        dalgs[2] = [dalgs[2][0]] * n
    elif kind == "signers":
        sinfos[2] = [si] * n
    elif kind == "certs":
        certs[2] = [certs[2][0]] * n
    elif kind == "crls":
        crls = [b"\xa1", True, [certs[2][0]] * n]
        fields.insert(fields.index(certs) + 1, crls)
    elif kind == "sattrs":
        sattrs[2] = [sattrs[2][0]] * n
    elif kind == "uattrs":
        si[2].append([b"\xa1", True, [sattrs[2][0]] * n])
    elif kind == "attrvalues":
        a = sattrs[2][0]
        a[2][1][2] = [a[2][1][2][0]] * n
    elif kind == "bigattr":
        attr = [b"\x30", True, [[b"\x06", False, b"\x2a\x03\x04"],
                                [b"\x31", True, [[b"\x04", False, b"A" * n]]]]]
        si[2].append([b"\xa1", True, [attr]])
    elif kind == "deep":
        a = sattrs[2][0]
        v = a[2][1][2][0]
        for _ in range(n):
            v = [b"indef", True, [v]]
        a[2][1][2] = [v]
    elif kind == "indef":
        # The envelope only: certificates and signed attributes stay DER,
        # as their signatures are over DER.
        for node in [ci, ci[2][1], sd, dalgs, fields[2], certs, sinfos, si]:
            if node is not None:
                node.append("indef")
    else:
        sys.exit("unknown kind " + kind)
    open(dst, "wb").write(encode(ci))


if __name__ == "__main__":
    main()
