#!/usr/bin/env python3
"""hp_check.py ORIG SIGNED OUTDIR [FIELD...] - check an RFC 9788 protected
signed message with Python's email package, independently of our C code:
 - body 7-bit, CRLF, every line <= 998 octets; the protected fields' lines
   <= 78 unless one word is longer;
 - multipart/signed whose signed root part has Content-Type parameter
   hp="clear" (exactly one hp parameter);
 - the outer header fields other than Content-*/MIME-Version are those
   of ORIG, byte for byte after unfolding;
 - each FIELD (default: the default protected list) present in ORIG is
   in the root part as often as in ORIG, and reads the same there
   (policy.default rendering, blanks collapsed) as in ORIG; the root part
   has no other non-Content-* fields;
 - the text leaves decode to the same text as ORIG's.
Writes OUTDIR/content.bin (the signed bytes) and OUTDIR/sig.der.
Exit 0 ok, 1 with a message otherwise."""
import email
import email.policy
import re
import sys

DEFAULT = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
           "In-Reply-To", "References", "Mail-Reply-To", "Mail-Followup-To"]
orig_b, signed_b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
outdir = sys.argv[3]
if b"\r\n" not in signed_b:   # smime-milter -t writes the local LF form
    signed_b = signed_b.replace(b"\n", b"\r\n")
fields = sys.argv[4:] or DEFAULT


def fail(msg):
    print("FAIL %s: %s" % (sys.argv[1], msg))
    sys.exit(1)


# The outer header is the author's (raw UTF-8 there is not ours to fix).
if any(c >= 128 for c in signed_b[signed_b.index(b"\r\n\r\n"):]):
    fail("8-bit byte in the body")
if re.search(rb"\r(?!\n)|(?<!\r)\n", signed_b):
    fail("bare CR or LF in output")
for line in signed_b[signed_b.index(b"\r\n\r\n"):].split(b"\r\n"):
    if len(line) > 998:
        fail("line longer than 998")

msg = email.message_from_bytes(signed_b, policy=email.policy.default)
if msg.get_content_type() != "multipart/signed" or msg.defects:
    fail("not a clean multipart/signed: %s %r" % (msg.get_content_type(), msg.defects))
inner, sig = msg.get_payload()
if inner.get_param("hp") != "clear":
    fail("root part hp=%r" % inner.get_param("hp"))
if [k for k, v in inner.get_params()].count("hp") != 1:
    fail("hp parameter given %d times" % [k for k, v in inner.get_params()].count("hp"))

bnd = msg.get_param("boundary").encode()
body = signed_b[signed_b.index(b"\r\n\r\n") + 4:]
start = body.index(b"--" + bnd + b"\r\n") + len(bnd) + 4
end = body.index(b"\r\n--" + bnd + b"\r\n", start)
content = body[start:end]
open(outdir + "/content.bin", "wb").write(content)
open(outdir + "/sig.der", "wb").write(sig.get_payload(decode=True))

# Lines of the root part's header: <= 78 unless a single long word.
for line in content[:content.index(b"\r\n\r\n")].split(b"\r\n"):
    if len(line) > 78 and b" " in line.strip()[1:] and \
            max(len(w) for w in line.split()) + 1 < 78:
        fail("root header line longer than 78 though it could fold: %r" % line[:90])

om = email.message_from_bytes(orig_b, policy=email.policy.default)
unfold = lambda v: re.sub(rb"\r?\n(?=[ \t])", b"", v)


def raw_fields(b):
    hdr = re.split(rb"\r?\n\r?\n", b, 1)[0]
    out = []
    for f in re.split(rb"\r?\n(?![ \t])", hdr):
        if b":" in f and not f.lower().startswith((b"content-", b"mime-version")):
            out.append(unfold(f).rstrip())
    return out


if raw_fields(orig_b) != raw_fields(signed_b):
    fail("outer header fields changed")


def visible(name, v):
    v = re.sub(r"\s+", " ", str(v)).strip()
    if name.lower() in ("message-id", "in-reply-to", "references"):
        v = re.sub(r">\s*<", "> <", v)
    return v


for f in fields:
    a = [visible(f, v) for v in om.get_all(f) or []]
    b = [visible(f, v) for v in inner.get_all(f) or []]
    if a != b:
        fail("%s reads %r inside, %r outside" % (f, b, a))
extra = [k for k in inner.keys() if not k.lower().startswith("content-")
         and k.lower() != "mime-version" and k.lower() not in [f.lower() for f in fields]]
if extra:
    fail("unexpected protected fields %r" % extra)


def texts(m):
    return [re.sub(r"\r\n|\r", "\n", p.get_content()) for p in m.walk()
            if not p.is_multipart() and p.get_content_maintype() == "text"]


if texts(om) != texts(inner):
    fail("text content differs: %r != %r" % (texts(inner)[:1], texts(om)[:1]))
sys.exit(0)
