#!/bin/sh
# make-corpus.sh OUTDIR - build the S/MIME verification corpus.
#
# Makes OUTDIR/pki (test/pki/make-test-pki.sh) and OUTDIR/NAME.eml for
# every case listed in test/verify/expected.txt, which holds the exact
# Authentication-Results we must produce for each.  Messages are signed
# by independent implementations (openssl cms, and gpgsm when $GPGSM is
# set and works) and then damaged in the ways real mail gets damaged.
# Files use LF line ends; the drivers hand them to us as CRLF like an MTA.
# Re-running on a finished OUTDIR is a no-op (stamp file).
set -eu

out=${1:?usage: make-corpus.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
OPENSSL=${OPENSSL:-openssl}
[ -f "$out/.complete" ] && exit 0
mkdir -p "$out"
out=$(cd "$out" && pwd)
sh "$here/../pki/make-test-pki.sh" "$out/pki"
pki=$out/pki
tmp=$out/tmp
rm -rf "$tmp"
mkdir -p "$tmp"

# hdrs NAME FROM: the outer header fields every message starts with.
hdrs() {
	printf 'From: %s\nTo: voter@example.net\nSubject: corpus %s\n' "$2" "$1"
	printf 'Date: Wed, 25 Nov 2026 10:00:00 +0900\nMessage-ID: <%s@corpus.example>\n' "$1"
}

# The signed content: a Japanese text part, base64 as RFC 8551 wants.
content() {
	printf 'Content-Type: text/plain; charset=UTF-8\n'
	printf 'Content-Transfer-Encoding: base64\n'
	printf 'Content-Description: campaign news\n\n'
	printf '投票日は日曜日です。\nよろしくお願いします。\n' | base64
}
content > "$tmp/content.txt"

# cmssign OUT SIGNER [openssl cms args...]: detached or opaque message
# body (MIME-Version + Content-Type + body) signed by openssl.
cmssign() {
	o=$1 s=$2
	shift 2
	"$OPENSSL" cms -sign -in "$tmp/content.txt" -signer "$pki/$s.crt" \
	    -inkey "$pki/$s.key" -certfile "$pki/chain.pem" "$@" -out "$o"
}

# msg NAME FROM BODYFILE: assemble OUTDIR/NAME.eml.
msg() {
	{ hdrs "$1" "$2"; cat "$3"; } > "$out/$1.eml"
}

taro='=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>'

# --- good signatures -------------------------------------------------
cmssign "$tmp/rsa2048" taro
msg good-rsa2048 "$taro" "$tmp/rsa2048"
cmssign "$tmp/rsa3072" saburo
msg good-rsa3072 'Saburo Tanaka <saburo@example.jp>' "$tmp/rsa3072"
cmssign "$tmp/p256" hanako
msg good-p256 'hanako@example.jp' "$tmp/p256"
cmssign "$tmp/p384" jiro384 -md sha384
msg good-p384 '"Suzuki, Jiro" <jiro@example.jp>' "$tmp/p384"
cmssign "$tmp/pss" taro -keyopt rsa_padding_mode:pss
msg good-pss "$taro" "$tmp/pss"
cmssign "$tmp/opaque" taro -nodetach
msg good-opaque "$taro" "$tmp/opaque"
sed -e 's#application/pkcs7-signature#application/x-pkcs7-signature#g' \
    "$tmp/rsa2048" > "$tmp/xdet"
msg good-x-detached "$taro" "$tmp/xdet"
sed -e 's#application/pkcs7-mime#application/x-pkcs7-mime#' "$tmp/opaque" \
    > "$tmp/xopq"
msg good-x-opaque "$taro" "$tmp/xopq"
# From in capitals and with a comment still names the signer.
msg good-from-case '(campaign) TARO@EXAMPLE.JP' "$tmp/rsa2048"
# No From, and a From with two mailboxes: no single address to match.
hdrs no-from x | grep -v '^From:' > "$out/no-from.eml"
cat "$tmp/p256" >> "$out/no-from.eml"
msg two-from 'a@example.jp, hanako@example.jp' "$tmp/p256"
# Forged results claiming our authserv-id, and forged X-SMIME-Signer.
{
	printf 'Authentication-Results: (forged) MX.Example.NET;\n smime=pass header.from=taro@example.jp\n'
	printf 'Authentication-Results: other.example; spf=pass smtp.mailfrom=example.jp\n'
	printf 'Authentication-Results: "mx.example.net"; smime=pass\n'
	printf 'Authentication-Results: mx.example.net.evil; smime=pass\n'
	printf 'X-SMIME-Signer: forged\n'
	hdrs forged-ar "$taro"
	printf 'X-SMIME-Signer: =?UTF-8?B?5YG9?=\n'
	cat "$tmp/rsa2048"
} > "$out/forged-ar.eml"

# --- certificate problems ---------------------------------------------
cmssign "$tmp/expired" expired
msg expired 'expired@example.jp' "$tmp/expired"
cmssign "$tmp/notyet" notyet
msg not-yet-valid 'notyet@example.jp' "$tmp/notyet"
cmssign "$tmp/revoked" revoked
msg revoked 'revoked@example.jp' "$tmp/revoked"
# The sender includes its (untrusted) root, so the path ends at a
# self-signed certificate we do not trust.
"$OPENSSL" cms -sign -in "$tmp/content.txt" -signer "$pki/untrusted.crt" \
    -inkey "$pki/untrusted.key" -certfile "$pki/other-root.crt" -out "$tmp/untrusted"
msg untrusted-root 'untrusted@example.jp' "$tmp/untrusted"
cmssign "$tmp/noeku" noeku
msg noeku 'noeku@example.jp' "$tmp/noeku"
msg from-mismatch 'Hanako <hanako@example.jp>' "$tmp/rsa2048"

# --- content damage ---------------------------------------------------
# Change one base64 character of the signed text.
awk 'BEGIN { done = 0 } !done && /^5o/ { sub(/^5o/, "5p"); done = 1 } { print }' \
    "$tmp/rsa2048" > "$tmp/tbody"
msg tampered-body "$taro" "$tmp/tbody"
sed -e 's/^Content-Description: campaign news/Content-Description: campaign newz/' \
    "$tmp/rsa2048" > "$tmp/thdr"
msg tampered-header "$taro" "$tmp/thdr"
# Opaque: change one base64 character of the third line of the DER,
# which lies inside the encapsulated content.
awk 'b && ++n == 3 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) }
	/^$/ { b = 1 } { print }' "$tmp/opaque" > "$tmp/topq"
msg tampered-opaque "$taro" "$tmp/topq"

# --- structure --------------------------------------------------------
bnd=$(sed -n 's/.*boundary="\([^"]*\)".*/\1/p' "$tmp/rsa2048")
tail -n +3 "$tmp/rsa2048" > "$tmp/rsa2048.body"
ctline=$(sed -n 2p "$tmp/rsa2048")
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n'
	printf -- '--outer\nContent-Type: text/plain\n\nPlease see below.\n\n'
	printf -- '--outer\n%s\n\n' "$ctline"
	cat "$tmp/rsa2048.body"
	printf '\n--outer--\n'
} > "$tmp/nested"
msg nested-mixed "$taro" "$tmp/nested"
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n\n'
	printf -- '--fwd\nContent-Type: text/plain\n\nForwarded message below.\n\n'
	printf -- '--fwd\nContent-Type: message/rfc822\n\n'
	hdrs inner "$taro"
	cat "$tmp/rsa2048"
	printf '\n--fwd--\n'
} > "$tmp/fwd"
msg forwarded 'Hanako <hanako@example.jp>' "$tmp/fwd"
"$OPENSSL" cms -sign -in "$tmp/content.txt" -signer "$pki/taro.crt" \
    -inkey "$pki/taro.key" -signer "$pki/saburo.crt" -inkey "$pki/saburo.key" \
    -certfile "$pki/chain.pem" -out "$tmp/two"
msg two-signers "$taro" "$tmp/two"
# Signed, then encrypted to hanako: nobody but hanako can look inside.
{ hdrs inner "$taro"; cat "$tmp/rsa2048"; } > "$tmp/inner.eml"
"$OPENSSL" cms -encrypt -in "$tmp/inner.eml" -aes256 -out "$tmp/enc" "$pki/hanako.crt"
msg signed-then-encrypted "$taro" "$tmp/enc"
{
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n'
	printf 'No signature here.\n'
} > "$tmp/plain"
msg unsigned "$taro" "$tmp/plain"

# --- hostile ------------------------------------------------------------
# Signature part replaced by base64 of garbage.
awk -v g="$(head -c 300 /dev/zero | tr '\0' 'Q' | base64 -w 64 | head -1)" '
	/^Content-Type: application\/pkcs7-signature/ { sig = 1 }
	sig && /^$/ && !done { print; print g; done = 1; skip = 1; next }
	skip && /^------/ { skip = 0 }
	!skip { print }' "$tmp/rsa2048" > "$tmp/badcms"
msg malformed-cms "$taro" "$tmp/badcms"
# Signature base64 cut in the middle (first 10 lines kept).
awk '
	/^Content-Type: application\/pkcs7-signature/ { sig = 1 }
	sig && /^$/ { inb = 1; print; next }
	inb && /^------/ { inb = 0 }
	inb { if (++n <= 10) print; next }
	{ print }' "$tmp/rsa2048" > "$tmp/trunc"
msg truncated-base64 "$taro" "$tmp/trunc"
# Signature part removed entirely.
awk -v b="--$bnd" '
	$0 == b { n++ }
	n >= 2 && $0 != b "--" { next }
	{ print }' "$tmp/rsa2048" > "$tmp/nosig"
msg missing-signature "$taro" "$tmp/nosig"
# multipart/signed without a boundary parameter.
sed -e 's/; boundary="[^"]*"//' "$tmp/rsa2048" > "$tmp/nobnd"
msg no-boundary "$taro" "$tmp/nobnd"
# The boundary string inside a content line and transport padding after a
# delimiter are allowed (RFC 2046 5.1.1); a content line that merely
# starts with the delimiter is ambiguous (OpenSSL's own parser splits
# there) and must not be trusted.
trick() { # trick NAME LINE...
	n=$1
	shift
	{
		printf 'Content-Type: text/plain; charset=us-ascii\n\n'
		printf '%s\n' "$@"
	} > "$tmp/$n.txt"
	"$OPENSSL" cms -sign -in "$tmp/$n.txt" -signer "$pki/taro.crt" \
	    -inkey "$pki/taro.key" -certfile "$pki/chain.pem" -out "$tmp/$n.0"
	tb=$(sed -n 's/.*boundary="\([^"]*\)".*/\1/p' "$tmp/$n.0")
	sed -e "s/$tb/trick/g" -e 's/^--trick$/--trick \t /' "$tmp/$n.0" > "$tmp/$n"
	msg "$n" "$taro" "$tmp/$n"
}
trick boundary-padding 'The separator is --trick but not at line start.'
trick boundary-prefix 'Fine line.' '--trickster starts like the delimiter.'
# 20 signed parts in one message: only the first 16 are verified.
{
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="many"\n\n'
	i=0
	while [ $i -lt 20 ]; do
		printf -- '--many\n%s\n\n' "$ctline"
		cat "$tmp/rsa2048.body"
		printf '\n'
		i=$((i + 1))
	done
	printf -- '--many--\n'
} > "$out/many-signed.eml.tmp"
{ hdrs many-signed "$taro"; cat "$out/many-signed.eml.tmp"; } > "$out/many-signed.eml"
rm -f "$out/many-signed.eml.tmp"
# 25 nested multipart/mixed around a good signed message.
{
	printf 'MIME-Version: 1.0\n'
	i=0
	while [ $i -lt 25 ]; do
		printf 'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' $i $i
		i=$((i + 1))
	done
	printf '%s\n\n' "$ctline"
	cat "$tmp/rsa2048.body"
	i=24
	while [ $i -ge 0 ]; do
		printf '\n--n%d--\n' $i
		i=$((i - 1))
	done
} > "$tmp/deep"
msg deep-nesting "$taro" "$tmp/deep"
# A 64 KiB folded header inside the signed part.
{
	printf 'Content-Type: text/plain; charset=us-ascii\nX-Padding: x'
	i=0
	while [ $i -lt 1024 ]; do
		printf '\n %s' 'padpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpad'
		i=$((i + 1))
	done
	printf '\n\nBody after a huge header.\n'
} > "$tmp/huge.txt"
"$OPENSSL" cms -sign -in "$tmp/huge.txt" -signer "$pki/taro.crt" \
    -inkey "$pki/taro.key" -certfile "$pki/chain.pem" -out "$tmp/huge"
msg huge-header "$taro" "$tmp/huge"

# --- issue 10: forwarded, partial, ambiguous, attached-in-detached ---
# shellcheck source=test/verify/attacks.sh
. "$here/attacks.sh"

# --- gpgsm ----------------------------------------------------------------
# gpgsm signs the bytes it is given, so hand it the CRLF form.
if [ -n "${GPGSM:-}" ]; then
	gh=$tmp/gnupg
	mkdir -m 700 "$gh"
	echo allow-loopback-pinentry > "$gh/gpg-agent.conf"
	"$OPENSSL" pkcs12 -export -inkey "$pki/taro.key" -in "$pki/taro.crt" \
	    -certfile "$pki/chain.pem" -passout pass:corpus -certpbe PBE-SHA1-3DES \
	    -keypbe PBE-SHA1-3DES -macalg sha1 -out "$gh/taro.p12"
	fpr=$("$OPENSSL" x509 -in "$pki/root-ca.crt" -noout -fingerprint -sha1 | sed 's/.*=//')
	echo "$fpr S relax" > "$gh/trustlist.txt"
	sed 's/$/\r/' "$tmp/content.txt" > "$tmp/content.crlf"
	# gpg-agent can take longer to come up than gpgsm waits on a loaded
	# machine: try the whole sequence a few times.
	ok=no
	for attempt in 1 2 3; do
		if echo corpus | GNUPGHOME=$gh timeout 60 "$GPGSM" --batch \
		    --pinentry-mode loopback --passphrase-fd 0 --import "$gh/taro.p12" \
		    >/dev/null 2>&1 &&
		   GNUPGHOME=$gh timeout 60 "$GPGSM" --batch --import "$pki/root-ca.crt" \
		    >/dev/null 2>&1 &&
		   echo corpus | GNUPGHOME=$gh timeout 60 "$GPGSM" --batch \
		    --disable-crl-checks --pinentry-mode loopback --passphrase-fd 0 \
		    -u taro@example.jp --include-certs -1 --detach-sign --base64 \
		    "$tmp/content.crlf" > "$tmp/gpgsm.sig" 2>"$tmp/gpgsm.err"; then
			ok=yes
			break
		fi
		echo "make-corpus: gpgsm attempt $attempt failed: $(tail -n 2 "$tmp/gpgsm.err" 2>/dev/null)" >&2
		GNUPGHOME=$gh gpgconf --kill all >/dev/null 2>&1 || :
		sleep 2
	done
	GNUPGHOME=$gh gpgconf --kill all >/dev/null 2>&1 || :
	if [ $ok = yes ]; then
		{
			printf 'MIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\n boundary="gpgsm-boundary"\n\n'
			printf -- '--gpgsm-boundary\n'
			cat "$tmp/content.txt"
			printf -- '\n--gpgsm-boundary\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n'
			cat "$tmp/gpgsm.sig"
			printf -- '--gpgsm-boundary--\n'
		} > "$tmp/gpgsm"
		msg gpgsm-detached "$taro" "$tmp/gpgsm"
	fi
fi

rm -rf "$tmp"
touch "$out/.complete"
