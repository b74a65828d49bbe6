#!/usr/bin/env python3
"""sign_opaque.py ORIG SIGNED ENTITY OUTDIR - check an opaque signed
message (RFC 8551 3.5.2) with Python's email package, independently of
our C code:
 - every byte 7-bit, every line CRLF-terminated; lines we generated (not
   copied from ORIG) <= 78, base64 lines <= 76;
 - one MIME-Version: 1.0, Content-Type application/pkcs7-mime with
   smime-type=signed-data and name=smime.p7m, Content-Transfer-Encoding
   base64, Content-Disposition attachment; filename=smime.p7m, and no
   other Content-* field;
 - ORIG's other header fields (From, To, Subject, Date, ...) kept
   outside, unchanged and in order;
 - the SignedData holds ENTITY (the bytes the detached signature of the
   same message covers) as one contiguous OCTET STRING (DER, not
   constructed BER chunks).
Writes OUTDIR/sig.p7m (the DER), OUTDIR/tampered.p7m and
OUTDIR/tampered.eml (the DER and the message with one octet of the
encapsulated content changed).
Exit 0 ok, 1 with a message otherwise."""
import base64
import email
import email.policy
import re
import sys

orig_b = open(sys.argv[1], "rb").read()
signed_b = open(sys.argv[2], "rb").read()
entity = open(sys.argv[3], "rb").read()
outdir = sys.argv[4]


def fail(msg):
    print("FAIL %s: %s" % (sys.argv[2], msg))
    sys.exit(1)


if any(c >= 128 for c in signed_b):
    fail("8-bit byte in output")
if re.search(rb"\r(?!\n)|(?<!\r)\n", signed_b):
    fail("bare CR or LF in output")
orig_lines = set(re.split(rb"\r\n|\r|\n", orig_b))
for line in signed_b.split(b"\r\n"):
    if len(line) > 78 and line not in orig_lines:
        fail("generated line longer than 78: %r" % line[:90])

msg = email.message_from_bytes(signed_b, policy=email.policy.compat32)
if msg.defects:
    fail("defects %r" % msg.defects)
if msg.get_content_type() != "application/pkcs7-mime":
    fail("not application/pkcs7-mime: " + msg.get_content_type())
if msg.get_param("smime-type") != "signed-data":
    fail("smime-type %r" % msg.get_param("smime-type"))
if msg.get_param("name") != "smime.p7m":
    fail("name %r" % msg.get_param("name"))
if msg.get("Content-Transfer-Encoding", "").lower() != "base64":
    fail("Content-Transfer-Encoding %r" % msg.get("Content-Transfer-Encoding"))
if msg.get_content_disposition() != "attachment" or \
        msg.get_filename() != "smime.p7m":
    fail("Content-Disposition %r" % msg.get("Content-Disposition"))
if msg.get_all("MIME-Version") != ["1.0"]:
    fail("MIME-Version %r" % msg.get_all("MIME-Version"))
content = [k for k in msg.keys() if k.lower().startswith("content-")]
if sorted(k.lower() for k in content) != ["content-disposition",
                                          "content-transfer-encoding",
                                          "content-type"]:
    fail("Content-* fields %r" % content)


def outer(m):
    return [(k.lower(), re.sub(r"\s+", " ", v).strip()) for k, v in m.items()
            if not k.lower().startswith("content-") and
            k.lower() != "mime-version"]


om = email.message_from_bytes(orig_b.replace(b"\r\n", b"\n").replace(b"\r", b"\n"),
                              policy=email.policy.compat32)
if outer(msg) != outer(om):
    fail("outer fields changed: %r != %r" % (outer(msg), outer(om)))

body = signed_b[signed_b.index(b"\r\n\r\n") + 4:]
lines = body.split(b"\r\n")
if lines[-1] != b"":
    fail("body does not end with CRLF")
for line in lines[:-1]:
    if len(line) > 76 or not re.fullmatch(rb"[A-Za-z0-9+/]*=*", line):
        fail("not a base64 line of <= 76: %r" % line[:80])
der = base64.b64decode(b"".join(lines), validate=True)
open(outdir + "/sig.p7m", "wb").write(der)
at = der.find(entity)
if at < 0 or (len(entity) > 0 and der.find(entity, at + 1) >= 0):
    fail("the entity is not one contiguous OCTET STRING in the DER")
if len(entity) == 0:
    sys.exit(0)
bad = bytearray(der)
pos = at + len(entity) // 2
bad[pos] ^= 0x01 if bad[pos] not in (0x0c, 0x0d, 0x0a, 0x0b) else 0x20
open(outdir + "/tampered.p7m", "wb").write(bytes(bad))
b64 = base64.b64encode(bytes(bad))
head = signed_b[:signed_b.index(b"\r\n\r\n") + 4]
with open(outdir + "/tampered.eml", "wb") as f:
    f.write(head)
    for i in range(0, len(b64), 76):
        f.write(b64[i:i + 76] + b"\r\n")
