#!/bin/sh
# milterclient.sh - smime-milter in the foreground on a unix socket, fed by
# milterclient as Postfix would feed it; results checked with openssl.
#  (a) external client, no AUTH: message unchanged except an
#      Authentication-Results field with smime=none
#  (b) AUTH login "taro", From taro@example.jp: signed, openssl cms -verify
#      accepts it against the test root
#  (c) a message signed by openssl, from outside: smime=pass
#  (d) AUTH login not among the identity's senders: passed unsigned
#  (e) internal_hosts client without AUTH: signed
# The daemon must stay up throughout and log no sanitizer report.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
write_conf
start_milter

# strip_ar FILE: the message without Authentication-Results fields.
strip_ar() {
	awk 'BEGIN { hdr = 1 }
	     hdr && /^\r?$/ { hdr = 0 }
	     hdr && /^[ \t]/ { if (skip) next }
	     hdr && /^[^ \t]/ { skip = tolower($0) ~ /^authentication-results:/ }
	     !(hdr && skip) { print }' "$1"
}

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: =?UTF-8?B?5oqV56Wo?=\nMessage-ID: <m1@example.jp>\nDate: Wed, 25 Nov 2026 10:00:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n投票に行きましょう。\nbody marker 42\n' > "$tmp/msg"

# (a) external, unauthenticated
mc -C 192.0.2.1 -q QA "$tmp/msg" > "$tmp/a.out"; rc=$?
[ $rc = 0 ] || bad "(a) exit $rc"
strip_ar "$tmp/a.out" | cmp -s - "$tmp/msg" || bad "(a) message changed"
grep -qi '^Authentication-Results:.*smime=none' "$tmp/a.out" ||
	grep -A3 -i '^Authentication-Results:' "$tmp/a.out" | grep -qi 'smime=none' ||
	bad "(a) no smime=none Authentication-Results"
[ $fail = 0 ] && echo "ok: (a) external unauthenticated -> smime=none"

# (b) authenticated taro
mc -A taro -C 192.0.2.1 -q QB "$tmp/msg" > "$tmp/b.out"; rc=$?
[ $rc = 0 ] || bad "(b) exit $rc"
if is_signed "$tmp/b.out" && "$OPENSSL" cms -verify -CAfile \
    "$pki/trust.pem" -in "$tmp/b.out" -out "$tmp/b.content" 2> "$tmp/b.err"; then
	grep -q 'body marker 42' "$tmp/b.content" &&
		echo "ok: (b) taro -> signed, openssl cms -verify passes" ||
		bad "(b) signed content lost the body"
else
	cat "$tmp/b.err" 2>/dev/null; bad "(b) not signed or does not verify"
fi

# (e) internal host without AUTH
mc -C 10.99.0.5 -q QE "$tmp/msg" > "$tmp/e.out" && is_signed "$tmp/e.out" &&
    verifies "$tmp/e.out" && echo "ok: (e) internal host -> signed" ||
	bad "(e) internal host"

# (c) signed by openssl, arriving from outside
printf 'Content-Type: text/plain; charset=UTF-8\n\nsigned by openssl\n' > "$tmp/c.body"
{ printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: signed\nMessage-ID: <c1@example.jp>\n'
  "$OPENSSL" cms -sign -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
      -certfile "$pki/chain.pem" -in "$tmp/c.body"; } > "$tmp/c.msg" ||
	bad "(c) openssl cms -sign"
mc -C 192.0.2.1 -q QC "$tmp/c.msg" > "$tmp/c.out"; rc=$?
[ $rc = 0 ] || bad "(c) exit $rc"
got=$(smime_result "$tmp/c.out")
timeout 60 "$milter" -c "$conf" -t "$tmp/c.msg" \
    -C 192.0.2.1 > "$tmp/c.t" 2>/dev/null
tgot=$(smime_result "$tmp/c.t")
if [ "$got" = pass ]; then
	echo "ok: (c) signed message -> smime=pass"
elif [ "$got" != "$tgot" ]; then
	bad "(c) milter says smime=$got, -t mode smime=$tgot"
else
	grep -A3 -i '^Authentication-Results' "$tmp/c.out"
	bad "(c) signed message gave smime=$got"
fi

# (d) authenticated, but not a sender of taro@example.jp
mc -A jiro -C 192.0.2.1 -q QD "$tmp/msg" > "$tmp/d.out"; rc=$?
[ $rc = 0 ] || bad "(d) exit $rc"
is_signed "$tmp/d.out" && bad "(d) signed for a login not in senders"
strip_ar "$tmp/d.out" | cmp -s - "$tmp/msg" || bad "(d) message changed"
echo "ok: (d) wrong login -> unsigned"

kill -0 "$mpid" 2>/dev/null || bad "smime-milter died"
stop_milter
check_sanitizers
exit $fail
