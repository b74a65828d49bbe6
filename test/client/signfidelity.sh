#!/bin/sh
# signfidelity.sh - signing fidelity through the milter protocol (as
# Postfix feeds it, test/client/milterclient) and through -t, which must
# agree (issue 13, issue 21 item 2):
#  (a) header splitting: "From : ..." and "Subject :" (blank before the
#      colon) are fields, a name with 8-bit bytes starts the body, on both
#      paths (smime_header_split(), Postfix's is_header() rules);
#  (b) a body without MIME header fields in UTF-8 is signed as
#      charset=UTF-8 and reads as the same text in Python's email package;
#      Shift_JIS bytes get unknown-8bit, never us-ascii;
#  (c) a forwarded S/MIME message with an 8-bit signed part keeps its
#      bytes: the outer header gets Content-Transfer-Encoding: 8bit, the
#      log says why, and both signatures verify;
#  (d) mail that can never be signed (MIME too deep) gets
#      on_permanent_error's 550 5.3.4 with the reason on both paths;
#  (e) so (550 5.6.0, a media error) does a header field with a bare CR (in a value or a name): our
#      verifier, like any reader that splits it differently, could never
#      pass what we signed.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
write_conf
start_milter

# sign_both NAME FILE: sign FILE as taro through the milter and with -t.
sign_both() {
	mc -A taro -C 192.0.2.1 -q "Q$1" "$2" > "$tmp/$1.mc" 2> "$tmp/$1.mc.err"
	echo $? > "$tmp/$1.mc.rc"
	timeout 60 "$milter" -c "$conf" -t "$2" -C 10.99.0.1 > "$tmp/$1.t" 2> "$tmp/$1.t.err"
	echo $? > "$tmp/$1.t.rc"
}

# (a) header splitting
printf 'From : Taro <taro@example.jp>\nTo: voter@example.com\nSubject : blank before the colon\nMessage-ID: <split@example.jp>\nX-\303\234ber: eight-bit name\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nbody\n' > "$tmp/split.eml"
sign_both split "$tmp/split.eml"
for p in mc t; do
	f=$tmp/split.$p
	[ "$(cat "$f.rc")" = 0 ] || { bad "(a) $p: exit $(cat "$f.rc"): $(cat "$f.err")"; continue; }
	is_signed "$f" && verifies "$f" || { bad "(a) $p: 'From :' not signed"; continue; }
	grep -q '^Subject : blank before the colon' "$f" || bad "(a) $p: Subject field lost"
	# The 8-bit name line and what follows are body, inside the signature.
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$f" -out "$tmp/split.$p.content" 2>/dev/null
	grep -q 'X-=C3=9Cber: eight-bit name' "$tmp/split.$p.content" ||
		bad "(a) $p: 8-bit field name not taken as the first body line"
	grep -q '^MIME-Version: 1.0' "$tmp/split.$p.content" ||
		bad "(a) $p: the fields after the 8-bit line not taken as body"
done
[ $fail = 0 ] && echo "ok: (a) milter and -t split the header alike"

# (b) no MIME header fields, 8-bit body
printf 'From: taro@example.jp\nTo: voter@example.com\nSubject: cron\nMessage-ID: <cron@example.jp>\n\n山田太郎です。投票日は日曜日です。\n' > "$tmp/utf8.eml"
python3 -c 'import sys
sys.stdout.buffer.write(b"From: taro@example.jp\nTo: voter@example.com\nSubject: form\n\n" + "山田太郎です。\n".encode("shift_jis"))' > "$tmp/sjis.eml"
sign_both utf8 "$tmp/utf8.eml"
sign_both sjis "$tmp/sjis.eml"
for p in mc t; do
	verifies "$tmp/utf8.$p" || bad "(b) utf8 $p: does not verify"
	python3 - "$tmp/utf8.$p" <<'PY' || bad "(b) utf8 $p: email package reads other text"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
inner = m.get_payload()[0]
assert inner.get_content_charset() == "utf-8", inner["Content-Type"]
assert inner.get_content().replace("\r\n", "\n") == "山田太郎です。投票日は日曜日です。\n", inner.get_content()
PY
	verifies "$tmp/sjis.$p" || bad "(b) sjis $p: does not verify"
	python3 - "$tmp/sjis.$p" <<'PY' || bad "(b) sjis $p: not labelled unknown-8bit or bytes changed"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.compat32)
inner = m.get_payload()[0]
assert inner.get_content_charset() == "unknown-8bit", inner["Content-Type"]
assert inner.get_payload(decode=True).replace(b"\r\n", b"\n") == "山田太郎です。\n".encode("shift_jis")
PY
done
[ $fail = 0 ] && echo "ok: (b) UTF-8 and unknown-8bit labels"

# (c) forwarded S/MIME message with an 8-bit signed part
printf 'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n花子です。\r\n' > "$tmp/inner.part"
"$OPENSSL" cms -sign -binary -signer "$pki/hanako.crt" -inkey "$pki/hanako.key" \
	-certfile "$pki/chain.pem" -in "$tmp/inner.part" > "$tmp/inner.smime" || bad "(c) openssl cms -sign"
{ printf 'From: taro@example.jp\nTo: voter@example.com\nSubject: fwd\nMessage-ID: <fwd@example.jp>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: text/plain\n\nforwarded:\n--o\nContent-Type: message/rfc822\n\nFrom: hanako@example.jp\nSubject: inner\n'
  cat "$tmp/inner.smime"; printf '\n--o--\n'; } > "$tmp/fwd.eml"
sign_both fwd "$tmp/fwd.eml"
for p in mc t; do
	f=$tmp/fwd.$p
	verifies "$f" || { bad "(c) $p: outer does not verify"; continue; }
	grep -qi '^Content-Transfer-Encoding: 8bit' "$f" || bad "(c) $p: outer not labelled 8bit"
	python3 - "$f" "$tmp/inner.smime" "$tmp/fwd.$p.inner" <<'PY' || bad "(c) $p: forwarded message altered"
import re, sys
out, inner = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
inner = re.sub(rb"\r\n|\r|\n", b"\r\n", inner)
out = re.sub(rb"\r\n|\r|\n", b"\r\n", out)
assert inner in out
open(sys.argv[3], "wb").write(inner)
PY
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$tmp/fwd.$p.inner" -out /dev/null 2>/dev/null ||
		bad "(c) $p: inner signature broken"
done
grep -q 'Qfwd: .*kept 1 nested signed entity with 8-bit content' "$tmp/daemon.err" ||
	bad "(c) keeping 8-bit bytes not logged"
[ $fail = 0 ] && echo "ok: (c) nested signature kept, 8bit labelled and logged"

# (d) permanent: deeper than max_mime_depth (20)
{ printf 'From: taro@example.jp\nTo: voter@example.com\nSubject: deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b0"\n\n'
  i=0
  while [ $i -lt 25 ]; do
	printf -- '--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' $i $((i + 1)); i=$((i + 1))
  done
  printf -- '--b25\nContent-Type: text/plain\n\ndeep\n'; } > "$tmp/deep.eml"
sign_both deep "$tmp/deep.eml"
[ "$(cat "$tmp/deep.mc.rc")" = 69 ] || bad "(d) milter: exit $(cat "$tmp/deep.mc.rc"), want 69 (rejected)"
grep -q '550 5\.3\.4 S/MIME signing impossible: MIME nesting deeper than 20' "$tmp/deep.mc.err" ||
	bad "(d) milter reply: $(cat "$tmp/deep.mc.err")"
[ "$(cat "$tmp/deep.t.rc")" = 69 ] || bad "(d) -t: exit $(cat "$tmp/deep.t.rc"), want 69"
grep -q '5\.3\.4 S/MIME signing impossible: MIME nesting deeper than 20' "$tmp/deep.t.err" ||
	bad "(d) -t reply: $(cat "$tmp/deep.t.err")"
[ $fail = 0 ] && echo "ok: (d) permanent error: 550 5.3.4 with the reason"

# (e) permanent: bare CR in a header field, top-level and Content-*
printf 'From: taro@example.jp\nTo: voter@example.com\nSubject: hi\rFrom: kanzaki@example.jp\nMessage-ID: <cr@example.jp>\n\nbody\n' > "$tmp/cr1.eml"
printf 'From: taro@example.jp\nTo: voter@example.com\nSubject: hi\nMIME-Version: 1.0\nContent-Type: text/plain;\r charset=UTF-8\n\nbody\n' > "$tmp/cr2.eml"
for n in cr1 cr2; do
	sign_both $n "$tmp/$n.eml"
	[ "$(cat "$tmp/$n.mc.rc")" = 69 ] || bad "(e) $n milter: exit $(cat "$tmp/$n.mc.rc"), want 69 (rejected)"
	grep -q '550 5\.6\.0 S/MIME signing impossible: header field "[A-Za-z-]*" holds a bare CR' "$tmp/$n.mc.err" ||
		bad "(e) $n milter reply: $(cat "$tmp/$n.mc.err")"
	[ "$(cat "$tmp/$n.t.rc")" = 69 ] || bad "(e) $n -t: exit $(cat "$tmp/$n.t.rc"), want 69"
	grep -q '5\.6\.0 S/MIME signing impossible: header field' "$tmp/$n.t.err" ||
		bad "(e) $n -t reply: $(cat "$tmp/$n.t.err")"
done
[ $fail = 0 ] && echo "ok: (e) bare CR in a header field: 550 5.6.0 with the reason"

stop_milter
check_sanitizers
exit $fail
