# shellcheck shell=sh disable=SC2154 # variables come from make-corpus.sh
# attacks.sh - sourced by make-corpus.sh: messages built around a genuine
# signature (taro's $tmp/rsa2048, $tmp/opaque) that try to make the
# verifier vouch for content the signer never sent (issue 10).  Their
# expected results are in expected.txt; corpus.sh, testmode.sh and
# miltertest.sh run them through verify_tool, `smime-milter -t` and the
# daemon over the milter protocol; mimediff.py compares every pass with
# Python's email package.  Uses msg, hdrs, $taro, $bnd, $ctline, $pki,
# $tmp and $out from make-corpus.sh.

evil='Content-Type: text/plain; charset=us-ascii

Vote for the other candidate.  (unsigned text)'

# pad N CHARS: N characters cycling through CHARS (blanks).
pad() {
	awk -v n="$1" -v c="$2" 'BEGIN { s = ""; while (length(s) < n) s = s c; printf "%s", substr(s, 1, n) }'
}

# rfc822 FILE: a whole signed message of taro (header + signed body).
rfc822() {
	hdrs inner "$taro"
	cat "$1"
}

# --- 1: a signature below the top level never makes the message pass.
# Forwarded signed mail as an attachment, the outer From naming the signer.
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n\n'
	printf -- '--fwd\n%s\n\n' "$evil"
	printf -- '--fwd\nContent-Type: message/rfc822\n\n'
	rfc822 "$tmp/rsa2048"
	printf '\n--fwd--\n'
} > "$tmp/a1"
msg fwd-from-signer "$taro" "$tmp/a1"
# The same from somebody else.
msg fwd-from-other 'someone@elsewhere.example' "$tmp/a1"
# A top-level message/rfc822 body: the reader sees the inner message.
{ printf 'MIME-Version: 1.0\nContent-Type: message/rfc822\n\n'; rfc822 "$tmp/rsa2048"; } > "$tmp/a2"
msg rfc822-top "$taro" "$tmp/a2"
{ printf 'MIME-Version: 1.0\nContent-Type: message/rfc822\n\n'; rfc822 "$tmp/opaque"; } > "$tmp/a3"
msg rfc822-top-opaque "$taro" "$tmp/a3"
# Opaque signed-data as one part of a multipart/mixed.
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="opq"\n\n'
	printf -- '--opq\n%s\n\n--opq\n' "$evil"
	tail -n +2 "$tmp/opaque"
	printf '\n--opq--\n'
} > "$tmp/a4"
msg mixed-opaque "$taro" "$tmp/a4"

# --- 2: partially signed mail.
# multipart/mixed = { the signed part, unsigned text } (nested-mixed has
# the unsigned text first); multipart/alternative with a signed branch.
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="tail"\n\n'
	printf -- '--tail\n%s\n\n' "$ctline"
	cat "$tmp/rsa2048.body"
	printf '\n--tail\n%s\n--tail--\n' "$evil"
} > "$tmp/a5"
msg mixed-signed-first "$taro" "$tmp/a5"
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt"\n\n'
	printf -- '--alt\n%s\n\n' "$ctline"
	cat "$tmp/rsa2048.body"
	printf '\n--alt\n%s\n--alt--\n' "$evil"
} > "$tmp/a6"
msg alternative-signed "$taro" "$tmp/a6"
# multipart/signed with a third part after the signature, and between.
awk -v b="--$bnd" -v e="$evil" '$0 == b "--" { print b; print e; print ""; } { print }' \
    "$tmp/rsa2048" > "$tmp/a7"
msg signed-third-part "$taro" "$tmp/a7"
awk -v b="--$bnd" -v e="$evil" '$0 == b && ++n == 2 { print b; print e; print ""; } { print }' \
    "$tmp/rsa2048" > "$tmp/a8"
msg signed-third-middle "$taro" "$tmp/a8"

# --- 3: structures that readers may split differently.
# A delimiter in the preamble with more transport padding than any
# prefix buffer: readers take it, so there are three parts.
preamble() { # preamble OUT LINE: LINE + the evil part before the first delimiter
	awk -v l="$2" -v e="$evil" '/^This is an S\/MIME signed message$/ && !d {
		print; print l; print e; print ""; d = 1; next } { print }' "$tmp/rsa2048" > "$1"
}
preamble "$tmp/a9" "--$bnd$(pad 300 ' ')"
msg preamble-padded-delim "$taro" "$tmp/a9"
preamble "$tmp/a10" "--$bnd$(pad 20000 ' 	 ')"
msg preamble-padded-tabs "$taro" "$tmp/a10"
# The genuine delimiters padded (RFC 2046 5.1.1): still a pass up to the
# RFC 5322 line limit of 998 octets; past it readers end parts elsewhere.
awk -v b="--$bnd" -v p="$(pad 600 ' 	')" '$0 == b || $0 == b "--" { $0 = $0 p } { print }' \
    "$tmp/rsa2048" > "$tmp/a9b"
msg padded-delimiters "$taro" "$tmp/a9b"
awk -v b="--$bnd" -v p="$(pad 1000 ' ')" '$0 == b { $0 = $0 p } { print }' \
    "$tmp/rsa2048" > "$tmp/a9c"
msg padded-delimiters-long "$taro" "$tmp/a9c"
# A line that only starts like the delimiter, with padding and junk.
preamble "$tmp/a11" "--$bnd$(pad 400 ' ')x"
msg preamble-lookalike "$taro" "$tmp/a11"
# A second body after the close delimiter (in the epilogue).
{ cat "$tmp/rsa2048"; printf -- '--%s  \n%s\n\n--%s--\n' "$bnd" "$evil" "$bnd"; } > "$tmp/a12"
msg epilogue-part "$taro" "$tmp/a12"
# The boundary given twice: plain and RFC 2231, plain twice, extended.
half=$(printf '%s' "$bnd" | cut -c1-10)
rest=$(printf '%s' "$bnd" | cut -c11-)
dupct() { # dupct OUT PARAMS: the genuine message with Content-Type params replaced
	awk -v p="$2" -v e="$evil" '
		/^Content-Type: multipart\/signed/ && !d { print "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;" p; d = 1; next }
		/^This is an S\/MIME signed message$/ && !q { print; print "--evil"; print e; print ""; print "--evil--"; q = 1; next }
		{ print }' "$tmp/rsa2048" > "$1"
}
dupct "$tmp/a13" " boundary=\"evil\"; boundary*0=\"$half\"; boundary*1=\"$rest\""
msg dup-boundary-2231 "$taro" "$tmp/a13"
dupct "$tmp/a14" " boundary*0=\"$half\"; boundary*1=\"$rest\"; boundary=\"evil\""
msg dup-boundary-2231-last "$taro" "$tmp/a14"
dupct "$tmp/a15" " boundary=\"evil\"; BOUNDARY=\"$bnd\""
msg dup-boundary-plain "$taro" "$tmp/a15"
dupct "$tmp/a16" " boundary*=us-ascii''$bnd; boundary=\"evil\""
msg dup-boundary-ext "$taro" "$tmp/a16"
dupct "$tmp/a17" " boundary=$bnd(evil)"
msg boundary-comment "$taro" "$tmp/a17"
# Two Content-Type fields: readers that take the last one see "evil".
dupct "$tmp/a18x" " boundary=\"$bnd\""
awk '{ print } /^Content-Type: multipart\/signed/ && !d { print "Content-Type: multipart/mixed; boundary=\"evil\""; d = 1 }' \
    "$tmp/a18x" > "$tmp/a18"
msg dup-content-type "$taro" "$tmp/a18"
# Two Content-Type fields in the signature part.
awk -v b="--$bnd" '$0 == b && ++n == 2 { print; print "Content-Type: text/plain"; next } { print }' \
    "$tmp/rsa2048" > "$tmp/a19"
msg dup-content-type-sig "$taro" "$tmp/a19"

# --- 4: attached SignedData (eContent present) in the detached slot.
# The embedded copy holds the genuine text; the first part says other.
embed() { # embed OUT CONTENTFILE
	"$OPENSSL" cms -sign -nodetach -outform DER -in "$tmp/content.txt" \
	    -signer "$pki/taro.crt" -inkey "$pki/taro.key" -certfile "$pki/chain.pem" \
	    -out "$tmp/embed.der"
	{
		printf 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="emb"\n\n'
		printf -- '--emb\n'
		cat "$2"
		printf -- '\n--emb\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n'
		base64 -w 64 "$tmp/embed.der"
		printf -- '\n--emb--\n'
	} > "$1"
}
printf '%s\n' "$evil" > "$tmp/evil.txt"
embed "$tmp/a20" "$tmp/evil.txt"
msg attached-in-detached "$taro" "$tmp/a20"
embed "$tmp/a21" "$tmp/content.txt"
msg attached-same-content "$taro" "$tmp/a21"

# --- 3b: a bare CR (no LF) inside a top-level header field.  Python's
# email package ends the field there and reads what follows as a field
# of its own, so a hidden second Content-Type or From would be what the
# reader sees.  Any bare CR in a header field is ambiguous.
cr=$(printf '\r')
awk -v cr="$cr" -v e="$evil" '
	/^Content-Type: multipart\/signed/ && !d { print "Subject: hi" cr "Content-Type: multipart/mixed; boundary=\"evil\""; d = 1 }
	/^This is an S\/MIME signed message$/ && !q { print; print "--evil"; print e; print ""; print "--evil--"; q = 1; next }
	{ print }' "$tmp/rsa2048" > "$tmp/a22"
msg cr-hidden-content-type "$taro" "$tmp/a22"
awk -v cr="$cr" -v e="$evil" '
	{ print }
	/^Content-Type: multipart\/signed/ && !d { print "X-Note: a" cr "Content-Type: multipart/mixed; boundary=\"evil\""; d = 1 }
	/^This is an S\/MIME signed message$/ && !q { print "--evil"; print e; print ""; print "--evil--"; q = 1 }' \
    "$tmp/rsa2048" > "$tmp/a23"
msg cr-hidden-content-type-after "$taro" "$tmp/a23"
{ printf 'X-Note: a\rFrom: evil@attacker.example\n'; cat "$tmp/rsa2048"; } > "$tmp/a24"
msg cr-hidden-from "$taro" "$tmp/a24"
{ printf 'X-Note: a\r\tb\n'; cat "$tmp/rsa2048"; } > "$tmp/a25"
msg cr-in-folded-field "$taro" "$tmp/a25"
