#!/usr/bin/env python3
"""Regenerate the signer's test corpus (LF line ends; the tests derive
CRLF and CR-only variants).  Run from this directory."""
import base64

H = b"From: taro@example.jp\nTo: voter@example.com\nSubject: test\nDate: Wed, 25 Nov 2026 10:00:00 +0900\nMessage-ID: <%s@example.jp>\n"

def w(name, hdr, body):
    with open(name, "wb") as f:
        f.write(H % name.encode() + hdr + b"\n" + body)

ja = "こんにちは、山田太郎です。\n本日は晴天なり。\n".encode("utf-8")
w("plain-ascii.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n",
  b"Hello voter,\n\nthis is plain ASCII.\n-- \nTaro\n")
w("utf8-ja-8bit.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n", ja)
w("iso2022jp.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n",
  "こんにちは、山田太郎です。\n選挙のお知らせ\n".encode("iso-2022-jp"))
w("sjis-8bit.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n",
  "表示と予定の確認です。\nソフトウェア\n".encode("shift_jis"))
w("from-dot-trailing.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n",
  "From the candidate: 日本\n.\n..\ntrailing space \ntrailing tab\t\na=b == c\n".encode("utf-8") +
  b"x" * 150 + b" \nFrom \n")
w("long-lines.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n",
  b"short line\n" + (b"0123456789" * 150) + b"\nend\n")
w("empty-body.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n", b"")
w("no-mime-version.eml", b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n", ja)
w("no-content-type.eml", b"", b"No MIME header fields at all.\n")
w("undeclared-8bit.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n", ja)
w("qp-with-8bit.eml", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
  b"soft =\nbreak, =E6=97=A5 and raw " + "本".encode("utf-8") + b" byte\n")

binary = bytes(range(256)) * 3 + b"\r\n\r\r\n\x00end"
png = b"\x89PNG\r\n\x1a\n" + bytes((i * 37) % 256 for i in range(600))
w("binary-attach.eml",
  b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n",
  b"--b1\nContent-Type: text/plain; charset=us-ascii\n\nSee attachment.\n"
  b"--b1\nContent-Type: application/octet-stream; name=\"data.bin\"\n"
  b"Content-Transfer-Encoding: binary\nContent-Disposition: attachment; filename=\"data.bin\"\n\n"
  + binary + b"\n--b1--\n")

inner = (b"From: hanako@example.jp\nSubject: forwarded\nMIME-Version: 1.0\n"
         b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
         + "転送されたメッセージ\n".encode("utf-8"))
w("nested.eml",
  b"MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary=\"=_outer_0001\"\n",
  b"This is a multi-part message in MIME format.\n\n"
  b"--=_outer_0001\nContent-Type: multipart/alternative; boundary=\"alt-2\"\n\n"
  b"alt preamble\n"
  b"--alt-2\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + ja +
  b"--alt-2\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
  b"<p>=E3=81=93=E3=82=93=E3=81=AB=E3=81=A1=E3=81=AF</p>\n"
  b"--alt-2--\n\n"
  b"--=_outer_0001\nContent-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n"
  b"Content-Disposition: attachment; filename=\"a.pdf\"\n\n"
  + base64.encodebytes(b"%PDF-1.4 fake " * 20) +
  b"--=_outer_0001\nContent-Type: image/png; name=\"i.png\"\nContent-Transfer-Encoding: 8bit\n\n"
  + png + b"\n"
  b"--=_outer_0001\nContent-Type: message/rfc822\n\n" + inner +
  b"\n--=_outer_0001\nContent-Type: text/plain; charset=us-ascii\n\n7bit tail\n"
  b"--=_outer_0001--\n\nepilogue text\n")

w("already-signed.eml",
  b"MIME-Version: 1.0\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\n micalg=sha-256; boundary=x\n",
  b"--x\n\nbody\n--x\nContent-Type: application/pkcs7-signature\n\nAAAA\n--x--\n")
w("already-enveloped.eml",
  b"MIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n"
  b"Content-Transfer-Encoding: base64\n", b"AAAA\n")

fname = "選挙公報_第二版_山田太郎_東京都第一区_詳細資料.pdf".encode("utf-8")
w("nested-8bit-headers.eml",
  b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"h8\"\n",
  b"--h8\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
  b"Content-Description: " + "本文 です".encode("utf-8") + b"\n\n" + ja +
  b"--h8\nContent-Type: application/pdf; name=\"" + fname + b"\"\n"
  b"Content-Disposition: attachment;\n filename=\"" + fname + b"\"; size=1234\n"
  b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"%PDF-1.4 fake") +
  b"--h8\nContent-Type: message/rfc822\n\n"
  b"From: " + "佐藤 花子".encode("utf-8") + b" <hanako@example.jp>\nSubject: " +
  "転送: 長い件名のテストです。これは非常に長い日本語の件名で、複数のエンコードワードに分割されるはずです".encode("utf-8") +
  b"\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + ja +
  b"--h8--\n")
