#!/usr/bin/env python3
"""sign_check.py ORIG SIGNED MICALG OUTDIR - check a signed message with
Python's email package, independently of our C code:
 - every byte 7-bit, every line CRLF-terminated and <= 998 octets; lines
   we generated (not copied from ORIG) <= 78;
 - multipart/signed, protocol application/pkcs7-signature, micalg MICALG,
   second part application/pkcs7-signature base64;
 - the leaves of the signed part decode to the same content as ORIG's
   leaves (text compared after line-end normalization), same types and
   parameters.
Writes OUTDIR/content.bin (the exact signed bytes) and OUTDIR/sig.der.
Exit 0 ok, 1 with a message otherwise.

sign_check.py --batch LIST - the same for every line "ORIG SIGNED MICALG
OUTDIR" (tab-separated) of LIST in one interpreter (starting Python costs
more than a check); OUTDIR/email.ok marks each message that passed.
Exit 0 when all passed, 1 otherwise (one FAIL line per message)."""
import email
import email.header
import email.policy
import email.utils
import re
import sys

class Fail(Exception):
    pass


def fail(msg):
    raise Fail(msg)


def check(orig_path, signed_path, micalg, outdir):
    """Run every check on one message; raise Fail on the first problem."""
    orig_b, signed_b = open(orig_path, "rb").read(), open(signed_path, "rb").read()
    if any(c >= 128 for c in signed_b):
        fail("8-bit byte in output")
    if re.search(rb"\r(?!\n)|(?<!\r)\n", signed_b):
        fail("bare CR or LF in output")
    orig_lines = set(l for l in re.split(rb"\r\n|\r|\n", orig_b))
    for line in signed_b.split(b"\r\n"):
        if len(line) > 998:
            fail("line longer than 998")
        if len(line) > 78 and line not in orig_lines:
            fail("generated line longer than 78: %r" % line[:90])

    msg = email.message_from_bytes(signed_b, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/signed":
        fail("not multipart/signed: " + msg.get_content_type())
    if msg.get_param("protocol") != "application/pkcs7-signature":
        fail("protocol " + str(msg.get_param("protocol")))
    if msg.get_param("micalg") != micalg:
        fail("micalg %s, want %s" % (msg.get_param("micalg"), micalg))
    if msg.defects:
        fail("defects %r" % msg.defects)
    inner, sig = msg.get_payload()
    if sig.get_content_type() != "application/pkcs7-signature" or \
            sig["Content-Transfer-Encoding"] != "base64":
        fail("signature part %s" % sig.get_content_type())
    if msg.get("MIME-Version") != "1.0" or len(msg.get_all("MIME-Version")) != 1:
        fail("MIME-Version")

    # The exact signed bytes, between "--B CRLF" and "CRLF --B".
    bnd = msg.get_param("boundary").encode()
    body = signed_b[signed_b.index(b"\r\n\r\n") + 4:]
    start = body.index(b"--" + bnd + b"\r\n") + len(bnd) + 4
    end = body.index(b"\r\n--" + bnd + b"\r\n", start)
    open(outdir + "/content.bin", "wb").write(body[start:end])
    open(outdir + "/sig.der", "wb").write(sig.get_payload(decode=True))
    if re.search(rb"\r\n--" + re.escape(bnd), body[start:end]):
        fail("boundary inside the signed part")
    # RFC 2046: boundaries of 1-70 characters; RFC 2045 6.4: no multipart or
    # message/rfc822 under base64 or quoted-printable.
    for p in inner.walk():
        if p.is_multipart() and p.get_content_maintype() == "multipart" and \
                not 1 <= len(p.get_boundary() or "") <= 70:
            fail("boundary of %d characters" % len(p.get_boundary() or ""))
        if p.get_content_maintype() in ("multipart", "message") and \
                (p.get("Content-Transfer-Encoding") or "7bit").lower() not in ("7bit", "8bit", "binary"):
            fail("%s under %s" % (p.get_content_type(), p["Content-Transfer-Encoding"]))


    def norm(b):
        return re.sub(rb"\r\n|\r", b"\n", b)


    def raw8(b, cs):
        """Raw 8-bit bytes as text: in the part's charset cs, else UTF-8,
        else CP932 (what smime-milter documents), else with U+FFFD."""
        for c in ("utf-8", cs, "cp932"):
            try:
                if c:
                    return b.decode(c)
            except (LookupError, UnicodeDecodeError):
                pass
        return b.decode("utf-8", "replace")


    def text(v, cs=None):
        """A header or parameter value as text: RFC 2231 tuples collapsed,
        RFC 2047 words decoded, raw 8-bit (surrogate-escaped) bytes decoded
        with raw8()."""
        if v is None:
            return None
        if isinstance(v, tuple):
            v = email.utils.collapse_rfc2231_value(v)
        if isinstance(v, email.header.Header):  # raw 8-bit bytes
            v = "".join(raw8(b, cs) if isinstance(b, bytes) else b
                        for b, _ in email.header.decode_header(v))
        v = raw8(str(v).encode("utf-8", "surrogateescape"), cs)
        if "=?" in v:
            v = str(email.header.make_header(email.header.decode_header(v)))
        return re.sub(r"\s+", " ", v).strip()


    def leaves(m, mtext=None):
        """(type, header texts or params, decoded data, filename) per part;
        headers are read from mtext, the same message parsed from UTF-8 text,
        because compat32 turns raw 8-bit header bytes into U+FFFD."""
        out = []
        for p, pt in zip(m.walk(), (mtext or m).walk()):
            if p is not m:  # the top level's From/Subject stay outside
                out.append(("header", [text(pt.get(h)) for h in
                                       ("From", "Subject", "Content-Description")], b"", None))
            if p.is_multipart():
                continue
            data = p.get_payload(decode=True) or b""
            if p.get_content_maintype() == "text" or \
                    (p.get("Content-Transfer-Encoding", "7bit").lower() in ("7bit", "quoted-printable")
                     and p.get_content_maintype() != "application"):
                data = norm(data)
                # The last line break before a delimiter belongs to it.
            cs = pt.get_param("charset")
            cs = cs if isinstance(cs, str) else None
            params = [(k.lower(), text(v, cs)) for k, v in pt.get_params() or
                      [("text/plain", "")]]
            params += [(k.lower(), text(v, cs)) for k, v in
                       pt.get_params(header="Content-Disposition") or []]
            out.append((p.get_content_type(), sorted(params), data, text(pt.get_filename(), cs)))
        return out


    def charsets(lv):
        """Charset names compared case-insensitively; a text leaf without a
        charset is US-ASCII when its bytes are, else it must come out
        labelled UTF-8 when they are valid UTF-8, unknown-8bit otherwise
        (never the default us-ascii over 8-bit bytes)."""
        out = []
        for t, params, data, fn in lv:
            if t.startswith("text/"):
                cs = dict(params).get("charset")
                if not cs:
                    if not any(c >= 0x80 for c in data):
                        cs = "us-ascii"
                    else:
                        try:
                            data.decode("utf-8")
                            cs = "utf-8"
                        except UnicodeDecodeError:
                            cs = "unknown-8bit"
                params = sorted([(k, v) for k, v in params if k != "charset"] +
                                [("charset", cs.lower())])
            out.append((t, params, data, fn))
        return out


    om = email.message_from_bytes(orig_b, policy=email.policy.compat32)
    try:
        orig_t = orig_b.decode("utf-8")
    except UnicodeDecodeError:  # raw Shift_JIS parameters: read them as such
        orig_t = orig_b.decode("cp932", "surrogateescape")
    omt = email.message_from_string(orig_t, policy=email.policy.compat32)
    a, b = charsets(leaves(om, omt)), charsets(leaves(inner))
    # Text labelled UTF-8 reads as the same text in the email package.
    for p in email.message_from_bytes(signed_b, policy=email.policy.default).walk():
        if p.get_content_maintype() == "text" and \
                (p.get_content_charset() or "").lower() == "utf-8":
            try:
                want = norm(p.get_payload(decode=True)).decode("utf-8")
            except UnicodeDecodeError:
                fail("text labelled UTF-8 is not UTF-8")
            if norm(p.get_content().encode()).decode() != want:
                fail("UTF-8 text reads differently: %r" % p.get_content()[:80])
    if len(a) != len(b):
        fail("%d leaves, want %d" % (len(b), len(a)))
    for (ta, pa, da, fa), (tb, pb, db, fb) in zip(a, b):
        if ta != tb or pa != pb or fa != fb:
            fail("leaf header %r %r != %r %r" % (tb, pb, ta, pa))
        if da != db:
            fail("leaf %s content differs:\n%r\n%r" % (ta, db[:200], da[:200]))
    # Outer header: everything but Content-*/MIME-Version kept in order.
    keep = lambda m: [(k, v) for k, v in m.items()
                      if not k.lower().startswith("content-") and k.lower() != "mime-version"]
    if keep(om) != keep(msg):
        fail("outer header fields changed")
    if [k for k in msg.keys() if k.lower().startswith("content-")] != ["Content-Type"]:
        fail("outer Content-* fields: %r" % msg.keys())


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        jobs = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
    elif len(sys.argv) == 5:
        jobs = [sys.argv[1:5]]
    else:
        sys.exit("usage: sign_check.py ORIG SIGNED MICALG OUTDIR | --batch LIST")
    bad = 0
    for orig_path, signed_path, micalg, outdir in jobs:
        try:
            check(orig_path, signed_path, micalg, outdir)
        except Fail as e:
            print("FAIL %s: %s" % (orig_path, e))
            bad += 1
            continue
        open(outdir + "/email.ok", "w").close()
    sys.exit(1 if bad else 0)


main()
