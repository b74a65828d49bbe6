#!/bin/sh
# signpolicy.sh - signing policy by destination and X-SMIME-Sign (issue 19
# item 1), through the milter protocol (milterclient as Postfix would
# feed the daemon, envelope recipients by RCPT):
#  (a) table errors: -n refuses each bad sign.destinations /
#      destinations_file with FILE:LINE and the reason; -T shows the table;
#  (b) the recipient mix decides: sign-only -> multipart/signed;
#      skip + sign -> signed; all skip -> unsigned; opaque + sign + skip
#      -> opaque (application/pkcs7-mime, verified by openssl, strict DER,
#      and by our own verifier through -t); subdomain rules, exact domain
#      rules, address rules over domain rules, letter case, a trailing
#      dot, a Bcc recipient only in the envelope, an unparsable recipient
#      (sign); no recipient at all (sign);
#  (c) X-SMIME-Sign: honoured ("no", any case, blanks, folding) only from
#      an SMTP AUTH login allowed to sign; ignored from internal_hosts
#      without a login, for other values and for conflicting fields; never
#      a way round sign.unauthorized = "reject"; removed in every case
#      (signed, opaque, unsigned, inbound, over max_header_bytes), and
#      never inside what was signed.
set -u
. "${top_srcdir:-.}/test/client/common.sh"

# Own configuration: the common one plus the policy table.
table=$tmp/destinations
cat > "$table" <<'EOF'
# signing policy by destination
rewrites.example        opaque   # a list host that rewrites mail
.lists.example.org      opaque
example.net             skip
noreply@example.org     skip
board@example.net       sign     # address beats domain
.skip.example           skip
EOF
chmod 644 "$table"
pconf() {	# pconf FILE [EXTRA-SIGN-LINES] [EXTRA-TOP-LINES]
	cat > "$1" <<EOF
socket = "unix:$sock";
authserv_id = "mx.test";
mode = "sv";
on_error = "tempfail";
internal_hosts = [ "10.99.0.0/16" ];
log_level = "debug";
${3:-}
sign = {
	${2:-}
	identities = (
		{ address = "taro@example.jp"; cert = "$pki/taro.crt";
		  key = "$pki/taro.key"; chain = "$pki/chain.pem";
		  senders = [ "taro" ]; }
	);
};
verify = {
	trust_anchors = "$pki/trust.pem";
};
EOF
	chmod 600 "$1"
}
pconf "$conf" "destinations = { opaque = [ \"Opaque.Example\" ]; sign = [ \"keep.skip.example\" ]; };
	destinations_file = \"$table\";"

# (a) table errors, each with where and why.
nerr() {	# nerr NAME WANT-REGEX SIGN-LINES [TABLE-TEXT]
	c=$tmp/bad-$1.conf
	if [ $# -ge 4 ]; then printf '%b' "$4" > "$tmp/bad-$1.tbl"; chmod 644 "$tmp/bad-$1.tbl"; fi
	pconf "$c" "$3"
	out=$("$milter" -c "$c" -n 2>&1); rc=$?
	[ $rc = 78 ] || bad "(a) $1: -n exit $rc: $out"
	printf '%s\n' "$out" | grep -Eq -- "$2" || bad "(a) $1: message '$out' lacks /$2/"
}
nerr quoted 'bad-quoted.conf:[0-9]+: sign.destinations: .*dot-atom' \
	'destinations = { skip = [ "\"a b\"@example.net" ]; };'
nerr literal 'not allowed in a domain' 'destinations = { skip = [ "a@[192.0.2.1]" ]; };'
nerr dot 'no trailing dot' 'destinations = { opaque = [ "example.net." ]; };'
nerr label "label starts or ends with '-'" 'destinations = { opaque = [ "-x.example" ]; };'
nerr empty 'empty label' 'destinations = { opaque = [ "a..example" ]; };'
nerr action 'unknown action "encrypt"' 'destinations = { encrypt = [ "example.net" ]; };'
nerr notlist 'expected a list of patterns' 'destinations = { skip = "example.net"; };'
nerr notstr 'expected a pattern' 'destinations = { skip = [ 1 ]; };'
nerr notgroup 'expected a group' 'destinations = [ "example.net" ];'
nerr twice 'listed twice' 'destinations = { skip = [ "Example.NET" ]; opaque = [ "@example.net" ]; };'
nerr ftwice "bad-ftwice.tbl:2: \"example.net\" is listed twice \\(first in the configuration" \
	"destinations = { skip = [ \"example.net\" ]; }; destinations_file = \"$tmp/bad-ftwice.tbl\";" \
	'# x\nexample.net opaque\n'
nerr fword 'bad-fword.tbl:3: unknown action "sig"' \
	"destinations_file = \"$tmp/bad-fword.tbl\";" 'a.example sign\n\nb.example sig\n'
nerr ffields 'bad-ffields.tbl:1: expected "PATTERN ACTION"' \
	"destinations_file = \"$tmp/bad-ffields.tbl\";" 'a.example sign extra\n'
nerr fone 'bad-fone.tbl:2: expected "PATTERN ACTION"' \
	"destinations_file = \"$tmp/bad-fone.tbl\";" 'a.example sign\nb.example\n'
nerr fpattern 'bad-fpattern.tbl:1: ""ab"@c": local part must be a dot-atom' \
	"destinations_file = \"$tmp/bad-fpattern.tbl\";" '"ab"@c skip\n'
nerr fbom 'bad-fbom.tbl:1: starts with a byte order mark' \
	"destinations_file = \"$tmp/bad-fbom.tbl\";" '\0357\0273\0277a.example sign\n'
nerr fmissing 'no-such-file.tbl: No such file' \
	"destinations_file = \"$tmp/no-such-file.tbl\";"
nerr flong 'bad-flong.tbl:1: line longer than' \
	"destinations_file = \"$tmp/bad-flong.tbl\";" "$(head -c 1100 /dev/zero | tr '\0' a).example skip\n"
nerr fnul 'bad-fnul.tbl:2: NUL byte' \
	"destinations_file = \"$tmp/bad-fnul.tbl\";" 'a.example sign\nb.example\0000 skip\n'
nerr hpfield 'X-SMIME-Sign.*cannot be protected' \
	'header_protection_fields = [ "From", "X-SMIME-Sign" ];'
chmod 666 "$table"
nerr fmode 'destinations_file' "destinations_file = \"$table\";"
chmod 644 "$table"
"$milter" -c "$conf" -n > "$tmp/n.out" 2>&1 || bad "(a) good table refused: $(cat "$tmp/n.out")"
"$milter" -c "$conf" -T > "$tmp/T.out" 2>&1
grep -q 'opaque = \[ "opaque.example" \]' "$tmp/T.out" &&
	grep -q '#   line 4: "example.net" skip' "$tmp/T.out" &&
	grep -q "destinations_file = \"$table\"" "$tmp/T.out" || bad "(a) -T: $(cat "$tmp/T.out")"
# -T output loads again and says the same.
cp "$tmp/T.out" "$tmp/T.conf"; chmod 600 "$tmp/T.conf"
"$milter" -c "$tmp/T.conf" -T 2>&1 | tail -n +2 > "$tmp/T2.tail"
tail -n +2 "$tmp/T.out" | cmp -s - "$tmp/T2.tail" ||
	bad "(a) -T output does not load to the same configuration"
[ $fail = 0 ] && echo "ok: (a) table errors refused with file, line and reason; -T shows the table"

start_milter

msg() {	# msg FILE [EXTRA-HEADER-LINES]
	printf 'From: Taro <taro@example.jp>\nTo: voter@example.com\nSubject: policy\nMessage-ID: <p@example.jp>\nDate: Wed, 25 Nov 2026 10:00:00 +0900\n%bMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n投票に行きましょう。\nbody marker 19\n' "${2:-}" > "$1"
}
msg "$tmp/m.eml"
is_opaque() {
	awk 'BEGIN { hdr = 1 } /^\r?$/ { exit }
	     /^[^ \t]/ { ct = tolower($0) ~ /^content-type:[ \t]*application\/pkcs7-mime/ }
	     ct && tolower($0) ~ /smime-type=signed-data/ { f = 1 }
	     END { exit !f }' "$1"
}
kind() {	# kind FILE: signed | opaque | unsigned
	if is_signed "$1"; then echo signed
	elif is_opaque "$1"; then echo opaque
	else echo unsigned; fi
}
no_signreq() {	# no_signreq FILE CASE: no X-SMIME-Sign outside or inside
	if tr -d '\r' < "$1" | awk '/^$/ { exit } { print }' | grep -qi '^x-smime-sign[ \t]*:'; then
		bad "$2: X-SMIME-Sign left in the header"
	fi
	if [ "$(kind "$1")" != unsigned ]; then
		"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$1" -out "$1.content" 2>/dev/null
		grep -qi 'x-smime-sign' "$1.content" && bad "$2: X-SMIME-Sign inside the signed content"
	fi
}
# expect CASE WANT [milterclient options...] (message last)
expect() {
	c=$1 want=$2
	shift 2
	mc -q "Q$c" "$@" > "$tmp/$c.out"; rc=$?
	[ $rc = 0 ] || { bad "($c) milterclient exit $rc"; return; }
	got=$(kind "$tmp/$c.out")
	[ "$got" = "$want" ] || { bad "($c) $got, want $want"; return; }
	if [ "$want" != unsigned ]; then
		verifies "$tmp/$c.out" || bad "($c) openssl does not verify the $want message"
	fi
	no_signreq "$tmp/$c.out" "($c)"
}

# (b) the recipient mix
expect b1 signed -A taro -R '<voter@example.com>' -R '<a@example.jp>' "$tmp/m.eml"
expect b2 signed -A taro -R '<a@example.net>' -R '<voter@example.com>' "$tmp/m.eml"
expect b3 unsigned -A taro -R '<a@example.net>' -R '<NoReply@Example.ORG>' -R '<x@y.skip.example>' "$tmp/m.eml"
expect b4 opaque -A taro -R '<a@example.net>' -R '<voter@example.com>' -R '<x@rewrites.example>' "$tmp/m.eml"
expect b5 opaque -A taro -R '<x@deep.a.lists.example.org>' "$tmp/m.eml"
expect b6 signed -A taro -R '<x@lists.example.org>' "$tmp/m.eml"	# ".d" is subdomains only
expect b7 signed -A taro -R '<x@notrewrites.example>' "$tmp/m.eml"
expect b8 opaque -A taro -R '<X@OPAQUE.EXAMPLE>' "$tmp/m.eml"	# case, config list
expect b9 opaque -A taro -R '<x@rewrites.example.>' "$tmp/m.eml"	# trailing dot
expect b10 signed -A taro -R '<board@example.net>' -R '<a@example.net>' "$tmp/m.eml"	# address over domain
expect b11 signed -A taro -R '<a@keep.skip.example>' -R '<a@x.skip.example>' "$tmp/m.eml"	# domain over parent
expect b12 signed -A taro -R '<postmaster>' -R '<a@example.net>' "$tmp/m.eml"	# unparsable: sign
expect b13 opaque -C 10.99.0.7 -R '<a@example.net>' -R '<hidden@rewrites.example>' "$tmp/m.eml"	# Bcc, internal host
expect b14 unsigned -A taro -R '<@relay.example:a@example.net>' "$tmp/m.eml"	# source route
# Routing in the local part: the MTA final for example.net relays
# voter%example.com@example.net to voter@example.com (percent hack, bang
# path): never skip; an internal host without a login must not get an
# unsigned message to a "sign" destination this way.
expect b15 signed -C 10.99.0.7 -R '<voter%example.com@example.net>' "$tmp/m.eml"
expect b16 signed -C 10.99.0.7 -R '<example.com!voter@example.net>' "$tmp/m.eml"
expect b17 signed -A taro -R '<"voter%example.com"@example.net>' -R '<a@example.net>' "$tmp/m.eml"
expect b18 opaque -A taro -R '<x%rewrites.example@example.net>' "$tmp/m.eml"
expect b19 signed -C 10.99.0.7 -R '<"voter@example.com"@example.net>' "$tmp/m.eml"
# The opaque one: content is the message, strict DER, our own verifier.
if [ -f "$tmp/b4.out" ] && is_opaque "$tmp/b4.out"; then
	grep -q 'body marker 19' "$tmp/b4.out.content" || bad "(b4) opaque content lost the body"
	python3 -c 'import base64,email,sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
assert m["Subject"] == "policy" and "taro@example.jp" in m["From"]
open(sys.argv[2], "wb").write(base64.b64decode(m.get_payload()))' "$tmp/b4.out" "$tmp/b4.der" ||
		bad "(b4) outer header or base64"
	"$OPENSSL" cms -inform DER -in "$tmp/b4.der" -cmsout -outform DER | cmp -s - "$tmp/b4.der" ||
		bad "(b4) not DER"
	timeout 60 "$milter" -c "$conf" -t "$tmp/b4.out" -C 192.0.2.1 > "$tmp/b4.t" 2>/dev/null
	[ "$(smime_result "$tmp/b4.t")" = pass ] || bad "(b4) our verifier: $(grep -A3 -i '^Authentication-Results' "$tmp/b4.t")"
	grep -qi '^X-SMIME-Protected:.*Subject' "$tmp/b4.t" || bad "(b4) no header protection on the opaque message"
fi
# No RCPT at all (-t without -R): sign.
timeout 60 "$milter" -c "$conf" -t "$tmp/m.eml" -A taro > "$tmp/b0.out" 2>/dev/null
[ "$(kind "$tmp/b0.out")" = signed ] || bad "(b0) -t without recipients: $(kind "$tmp/b0.out")"
# -t with several -R takes the same decision as the daemon.
timeout 60 "$milter" -c "$conf" -t "$tmp/m.eml" -A taro -R '<a@example.net>' -R '<x@rewrites.example>' \
	> "$tmp/bt.out" 2>/dev/null
[ "$(kind "$tmp/bt.out")" = opaque ] || bad "(bt) -t -R -R: $(kind "$tmp/bt.out")"
[ $fail = 0 ] && echo "ok: (b) recipient mixes: opaque > sign > skip, most specific rule, envelope only"

# (c) X-SMIME-Sign
msg "$tmp/no.eml" 'X-SMIME-Sign: no\n'
msg "$tmp/NO.eml" 'x-smime-sign:   NO  \n'
msg "$tmp/fold.eml" 'X-SMIME-Sign:\n No\n'
msg "$tmp/yes.eml" 'X-SMIME-Sign: yes\n'
msg "$tmp/false.eml" 'X-SMIME-Sign: false\n'
msg "$tmp/comment.eml" 'X-SMIME-Sign: no (newsletter)\n'
msg "$tmp/two.eml" 'X-SMIME-Sign: no\nX-SMIME-Sign: yes\n'
msg "$tmp/twono.eml" 'X-SMIME-Sign: no\nX-Other: 1\nX-SMIME-Sign: no\n'
expect c1 unsigned -A taro -R '<voter@example.com>' "$tmp/no.eml"
expect c2 unsigned -A taro -R '<voter@example.com>' "$tmp/NO.eml"
expect c3 unsigned -A taro -R '<voter@example.com>' "$tmp/fold.eml"
expect c4 unsigned -A taro -R '<x@rewrites.example>' "$tmp/no.eml"	# over opaque too
expect c5 unsigned -A taro -R '<voter@example.com>' "$tmp/twono.eml"
expect c6 signed -A taro -R '<voter@example.com>' "$tmp/yes.eml"
expect c7 signed -A taro -R '<voter@example.com>' "$tmp/false.eml"
expect c8 signed -A taro -R '<voter@example.com>' "$tmp/comment.eml"
expect c9 signed -A taro -R '<voter@example.com>' "$tmp/two.eml"
expect c10 signed -C 10.99.0.7 -R '<voter@example.com>' "$tmp/no.eml"	# no login: ignored
expect c11 opaque -C 10.99.0.7 -R '<x@rewrites.example>' "$tmp/no.eml"
expect c12 unsigned -A jiro -R '<voter@example.com>' "$tmp/yes.eml"	# not allowed: unsigned anyway
expect c13 unsigned -C 192.0.2.1 -R '<voter@example.com>' "$tmp/no.eml"	# inbound: removed too
grep -q 'not signed: login taro asked with X-SMIME-Sign: no' "$tmp/daemon.err" || bad "(c) no log line for the request"
grep -q 'X-SMIME-Sign ignored: no SMTP AUTH login' "$tmp/daemon.err" || bad "(c) no log line for the ignored request"
# The removal counts every field, also past max_header_bytes.
{ printf 'From: Taro <taro@example.jp>\nTo: voter@example.com\nSubject: big\n'
  awk 'BEGIN { for (i = 0; i < 2000; i++) printf "X-Filler-%05d: %s\n", i, "abcdefghijklmnopqrstuvwxyz0123456789" }'
  printf 'X-SMIME-Sign: no\nX-SMIME-Sign : no\n\nbody\n'; } > "$tmp/big.eml"
stop_milter
pconf "$conf" "destinations_file = \"$table\";" 'max_header_bytes = 4096;'
start_milter
mc -q Qc14 -C 192.0.2.1 -R '<voter@example.com>' "$tmp/big.eml" > "$tmp/c14.out" ||
	bad "(c14) milterclient exit $?"
no_signreq "$tmp/c14.out" "(c14) over max_header_bytes"
# sign.unauthorized = "reject" is not bypassed by the request.
stop_milter
pconf "$conf" 'unauthorized = "reject";'
start_milter
mc -q Qc15 -A jiro -R '<voter@example.com>' "$tmp/no.eml" > "$tmp/c15.out"; rc=$?
[ $rc = 69 ] || bad "(c15) unauthorized login with X-SMIME-Sign: no: exit $rc, want 69 (rejected)"
# Nor by labelling the message S/MIME ("already S/MIME; not signed" must
# not come before the authorization check), and a second Content-Type
# claiming S/MIME does not make a text/plain message pass unsigned.
printf 'From: Taro <taro@example.jp>\nTo: voter@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIIB\n' > "$tmp/p7m.eml"
printf 'From: Taro <taro@example.jp>\nTo: voter@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/plain\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\n\nvote for the other one\n' > "$tmp/twoct.eml"
mc -q Qc16 -A jiro -R '<voter@example.com>' "$tmp/p7m.eml" > "$tmp/c16.out"; rc=$?
[ $rc = 69 ] || bad "(c16) unauthorized login with an S/MIME Content-Type: exit $rc, want 69 (rejected)"
mc -q Qc17 -A jiro -R '<voter@example.com>' "$tmp/twoct.eml" > "$tmp/c17.out"; rc=$?
[ $rc = 69 ] || bad "(c17) unauthorized login, second Content-Type S/MIME: exit $rc, want 69 (rejected)"
mc -q Qc18 -C 10.99.0.7 -R '<voter@example.com>' "$tmp/twoct.eml" > "$tmp/c18.out"; rc=$?
if [ $rc = 0 ] && ! is_signed "$tmp/c18.out" && grep -q 'vote for the other one' "$tmp/c18.out"; then
	bad "(c18) text/plain with a second S/MIME Content-Type left unsigned"
fi
[ $fail = 0 ] && echo "ok: (c) X-SMIME-Sign: no honoured only from an authorized login, always removed"

kill -0 "$mpid" 2>/dev/null || bad "smime-milter died"
stop_milter
check_sanitizers
exit $fail
