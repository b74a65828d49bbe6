#!/usr/bin/env python3
"""recognition.py CORPUS OUT - variants of corpus messages for recognition.sh.

Writes OUT/NAME.eml for:
  octet-p7s          the signature part as application/octet-stream;
                     name="smime.p7s"
  octet-p7s-disp     the same, named only by Content-Disposition filename
  octet-other        the signature part as octet-stream named "data.bin"
  octet-p7m          opaque signed-data as application/octet-stream;
                     name="smime.p7m"
  octet-p7m-disp     the same, named only by Content-Disposition (.P7M)
  octet-other-opaque opaque signed-data as octet-stream named "data.bin"
  longline           the signature's base64 as one line (also OUT/longline.der)
  longline-opaque    opaque signed-data's base64 as one line
"""
import base64
import re
import sys

corpus, out = sys.argv[1:3]


def read(name):
    with open("%s/%s.eml" % (corpus, name), "rb") as f:
        return f.read()


def write(name, data):
    with open("%s/%s.eml" % (out, name), "wb") as f:
        f.write(data)


def sub1(pattern, repl, data):
    new, n = re.subn(pattern, repl, data, count=1)
    assert n == 1, pattern
    return new


det = read("good-rsa2048")
sig_ct = rb'Content-Type: application/pkcs7-signature; name="smime.p7s"'
write("octet-p7s", sub1(sig_ct, b'Content-Type: application/octet-stream; name="smime.p7s"', det))
d = sub1(sig_ct, b"Content-Type: application/octet-stream", det)
write("octet-p7s-disp", d)
d = sub1(sig_ct, b'Content-Type: application/octet-stream; name="data.bin"', det)
write("octet-other", sub1(rb'filename="smime.p7s"', b'filename="data.bin"', d))

opq = read("good-opaque")
opq_ct = rb'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"'
write("octet-p7m", sub1(opq_ct, b'Content-Type: application/octet-stream; name="smime.p7m"', opq))
d = sub1(opq_ct, b"Content-Type: application/octet-stream", opq)
write("octet-p7m-disp", sub1(rb'filename="smime.p7m"', b'filename="SMIME.P7M"', d))
d = sub1(opq_ct, b'Content-Type: application/octet-stream; name="data.bin"', opq)
write("octet-other-opaque", sub1(rb'filename="smime.p7m"', b'filename="data.bin"', d))


def one_line(data, after):
    """Join the base64 lines that follow the header block starting at after."""
    start = data.index(after)
    body = data.index(b"\n\n", start) + 2
    end = body
    lines = []
    while True:
        nl = data.index(b"\n", end)
        line = data[end:nl].strip()
        if not line or line.startswith(b"--"):
            break
        lines.append(line)
        end = nl + 1
    joined = b"".join(lines)
    return data[:body] + joined + b"\n" + data[end:], joined


d, b64 = one_line(det, sig_ct)
assert len(b64) > 2800, len(b64)
write("longline", d)
with open("%s/longline.der" % out, "wb") as f:
    f.write(base64.b64decode(b64))
d, b64 = one_line(opq, b"Content-Transfer-Encoding: base64")
assert len(b64) > 2800, len(b64)
write("longline-opaque", d)
