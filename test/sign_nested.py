#!/usr/bin/env python3
"""sign_nested.py - cases and checks for nested signed entities (issue 13).

  sign_nested.py make OPENSSL PKI GPGHOME|- OUTDIR
      Writes OUTDIR/NAME.eml (a message to sign) and OUTDIR/NAME.inner (the
      nested signed entity it carries, byte for byte, CRLF) for each case:
      a forwarded S/MIME message (message/rfc822) and an inline
      multipart/signed, both with a Content-Transfer-Encoding: 8bit UTF-8
      signed part; PGP/MIME multipart/signed with an 8-bit first part, at
      the top level and inside multipart/mixed (signed with gpg when
      GPGHOME is given); a PGP/MIME multipart/encrypted; a 7-bit forward.
      Inner S/MIME signatures are made with openssl cms -sign (hanako).

  sign_nested.py check ORIG SIGNED INNER OUTDIR
      Checks our signed output with Python's email package: multipart/
      signed; the nested entity INNER appears unchanged in the signed part
      (written to OUTDIR/inner.eml, for openssl/gpg to verify); every
      container around 8-bit bytes says 8bit or binary, the outer header
      included; no line over 998 octets; the leaves decode to the same
      content as ORIG's.  Writes OUTDIR/content.bin and OUTDIR/sig.der.
"""
import email
import email.policy
import os
import re
import subprocess
import sys


def crlf(b):
    return re.sub(rb"\r\n|\r|\n", b"\r\n", b)


UTF8_TEXT = "山田太郎です。投票日は日曜日です。\n転送します。\n".encode()


def smime_inner(openssl, pki, tmp):
    """An S/MIME multipart/signed entity over an 8-bit UTF-8 part."""
    part = (b"Content-Type: text/plain; charset=UTF-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf(UTF8_TEXT))
    open(tmp, "wb").write(part)
    out = subprocess.run([openssl, "cms", "-sign", "-binary", "-signer",
                          pki + "/hanako.crt", "-inkey", pki + "/hanako.key",
                          "-certfile", pki + "/chain.pem", "-in", tmp],
                         check=True, capture_output=True).stdout
    # openssl writes MIME-Version + Content-Type, then the body.
    return crlf(out)


def pgp_inner(gpghome, tmp):
    """A PGP/MIME multipart/signed entity over an 8-bit UTF-8 part."""
    part = (b"Content-Type: text/plain; charset=UTF-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf(UTF8_TEXT))
    if gpghome != "-":
        open(tmp, "wb").write(part)
        sig = subprocess.run(["gpg", "--homedir", gpghome, "--batch", "--yes",
                              "--armor", "--detach-sign", "--output", "-", tmp],
                             check=True, capture_output=True).stdout
    else:
        sig = b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n"
    return crlf(b'Content-Type: multipart/signed; micalg=pgp-sha256;\n'
                b' protocol="application/pgp-signature"; boundary="pgp-b"\n\n'
                b"--pgp-b\n") + part + crlf(
        b"\n--pgp-b\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n\n"
        + sig + b"--pgp-b--\n")


def make(openssl, pki, gpghome, outdir):
    top = crlf(b"From: taro@example.jp\nTo: voter@example.com\n"
               b"Date: Mon, 30 Nov 2026 10:00:00 +0900\n")
    smime = smime_inner(openssl, pki, outdir + "/tmp.part")
    pgp = pgp_inner(gpghome, outdir + "/tmp.part")
    note = crlf("転送します。\n".encode())
    cases = {}
    fwd_hdr = crlf(b"From: hanako@example.jp\nTo: taro@example.jp\n"
                   b"Subject: original\nMessage-ID: <inner@example.jp>\n")
    cases["fwd-rfc822-8bit"] = (top + crlf(
        b"Subject: fwd\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
        b"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n")
        + note + crlf(b"--out\nContent-Type: message/rfc822\n\n") + fwd_hdr + smime
        + crlf(b"\n--out--\n"), fwd_hdr + smime)
    # The same with the container labelled 7bit by a sloppy client.
    cases["fwd-rfc822-7bit-label"] = (top + crlf(
        b"Subject: fwd\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
        b"Content-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\n")
        + fwd_hdr + smime + crlf(b"\n--out--\n"), fwd_hdr + smime)
    cases["inline-smime-8bit"] = (top + crlf(
        b"Subject: inline\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
        b"Content-Type: text/plain; charset=us-ascii\n\nsee the signed part\n--out\n")
        + smime + crlf(b"\n--out--\n"), smime)
    hdr_end = pgp.index(b"\r\n\r\n") + 4
    pgp_body = pgp[hdr_end:]
    first = pgp_body[pgp_body.index(b"--pgp-b\r\n") + 9:pgp_body.index(b"\r\n--pgp-b\r\n")]
    cases["pgp-top-8bit"] = (top + crlf(b"Subject: pgp\nMIME-Version: 1.0\n")
                             + pgp, first)
    cases["pgp-mixed-8bit"] = (top + crlf(
        b"Subject: pgp in mixed\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n')
        + pgp + crlf(b"\n--out--\n"), pgp)
    enc = crlf(b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n'
               b' boundary="enc-b"\n\n--enc-b\nContent-Type: application/pgp-encrypted\n\n'
               b"Version: 1\n\n--enc-b\nContent-Type: application/octet-stream\n\n"
               b"-----BEGIN PGP MESSAGE-----\n\nhQEMA0\n-----END PGP MESSAGE-----\n\n--enc-b--\n")
    cases["pgp-encrypted"] = (top + crlf(
        b"Subject: enc\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\n'
        b"Content-Type: text/plain\n\nencrypted below\n--out\n")
        + enc + crlf(b"\n--out--\n"), enc)
    for name, (msg, inner) in cases.items():
        assert inner in msg, name
        open("%s/%s.eml" % (outdir, name), "wb").write(msg)
        open("%s/%s.inner" % (outdir, name), "wb").write(inner)
    os.unlink(outdir + "/tmp.part")
    print(" ".join(cases))


def fail(msg):
    print("FAIL %s: %s" % (sys.argv[3], msg))
    sys.exit(1)


def leaves(m):
    out = []
    for p in m.walk():
        if p.is_multipart() or p.get_content_type() == "message/rfc822":
            continue
        data = p.get_payload(decode=True) or b""
        out.append((p.get_content_type(), re.sub(rb"\r\n|\r", b"\n", data)))
    return out


def check(orig_path, signed_path, inner_path, outdir):
    orig, signed, inner = (open(p, "rb").read() for p in (orig_path, signed_path, inner_path))
    inner = crlf(inner)
    for line in signed.split(b"\r\n"):
        if len(line) > 998:
            fail("line longer than 998 octets")
    msg = email.message_from_bytes(signed, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/signed":
        fail("not multipart/signed")
    bnd = msg.get_param("boundary").encode()
    body = signed[signed.index(b"\r\n\r\n") + 4:]
    start = body.index(b"--" + bnd + b"\r\n") + len(bnd) + 4
    end = body.index(b"\r\n--" + bnd + b"\r\n", start)
    content = body[start:end]
    open(outdir + "/content.bin", "wb").write(content)
    open(outdir + "/sig.der", "wb").write(msg.get_payload()[1].get_payload(decode=True))
    pos = content.find(inner)
    if pos < 0:
        fail("nested signed entity altered")
    open(outdir + "/inner.eml", "wb").write(inner)
    if b"--pgp-b\r\n" in content:  # PGP/MIME: signed data and signature
        s = content.index(b"--pgp-b\r\n") + 9
        e = content.index(b"\r\n--pgp-b\r\n", s)
        open(outdir + "/inner.data", "wb").write(content[s:e])
        sig = content[e + 13:content.index(b"\r\n--pgp-b--", e)]
        open(outdir + "/inner.asc", "wb").write(sig[sig.index(b"\r\n\r\n") + 4:])
    eight = any(c >= 0x80 for c in content)
    cte = (msg.get("Content-Transfer-Encoding") or "7bit").lower()
    if eight and cte not in ("8bit", "binary"):
        fail("8-bit content under outer Content-Transfer-Encoding %s" % cte)
    # Every container of ours whose bytes hold 8-bit bytes says so (the
    # nested signed entities themselves are kept as they are).
    def labels(p, raw):
        if p.get_content_type() in ("multipart/signed", "multipart/encrypted"):
            return
        if not (p.is_multipart() or p.get_content_type() == "message/rfc822"):
            return
        if any(c >= 0x80 for c in raw) and \
                (p.get("Content-Transfer-Encoding") or "7bit").lower() not in ("8bit", "binary"):
            fail("%s holding 8-bit bytes labelled %s" % (p.get_content_type(),
                 p.get("Content-Transfer-Encoding") or "7bit"))
        for c in (p.get_payload() if p.is_multipart() else []):
            labels(c, c.as_bytes())
    labels(email.message_from_bytes(content, policy=email.policy.compat32), content)
    a = leaves(email.message_from_bytes(orig, policy=email.policy.compat32))
    b = leaves(msg.get_payload()[0])
    if a != b:
        fail("leaves differ:\n%r\n%r" % (a, b))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:6])
    else:
        check(*sys.argv[2:6])
