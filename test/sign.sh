#!/bin/sh
# sign.sh - sign the corpus in test/data/sign with test/unit/sign_tool and
# check every result with independent implementations: openssl cms
# -verify (and that the bytes it verified are the expected entity), gpgsm
# --verify, NSS cmsutil -D (Thunderbird's engine), BouncyCastle's bcmail
# (test/java/BcVerify.java, the engine of Java clients and gateways: one
# JVM run over every signed message at the end) and Python's email
# package (test/sign_check.py: structure, micalg, 7-bit, line lengths,
# decoded leaves equal the original's).  Every corpus message is signed
# with each key type: RSA-2048, RSASSA-PSS, P-256, P-384.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=gpgsm}"
. "$top_srcdir/test/java/bc.sh"
tool=$top_builddir/test/unit/sign_tool
data=$top_srcdir/test/data/sign
check=$top_srcdir/test/sign_check.py
work=$top_builddir/test/sign.dir
pki=$work/pki
fails=0

command -v python3 >/dev/null 2>&1 || { echo "python3 not found"; exit 99; }
[ -n "$GPGSM" ] && command -v "$GPGSM" >/dev/null 2>&1 || { echo "gpgsm not found"; exit 99; }
for c in cmsutil certutil; do
	command -v $c >/dev/null 2>&1 || { echo "$c not found (contrib/debian-packages)"; exit 99; }
done
rm -rf "$work"
mkdir -p "$work/gnupg" "$work/out" "$work/java"
bc_build "$work/java"
chmod 700 "$work/gnupg"
sh "$top_srcdir/test/pki/shared.sh" pki "$pki" || { echo "PKI generation failed"; exit 99; }

GNUPGHOME=$work/gnupg
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1' EXIT
"$GPGSM" --batch --import "$pki/trust.pem" "$pki/chain.pem" >/dev/null 2>&1
fpr=$("$OPENSSL" x509 -in "$pki/trust.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
echo "$fpr S" > "$GNUPGHOME/trustlist.txt"
echo disable-crl-checks > "$GNUPGHOME/gpgsm.conf"
nss=sql:$work/nss
mkdir -p "$work/nss"
certutil -N -d "$nss" --empty-password && certutil -A -d "$nss" -n root -t C,C,C -i "$pki/trust.pem" ||
	{ echo "NSS database setup failed"; exit 99; }
: > "$work/bc.list"

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# verify NAME ORIG OUT MICALG [GPGSM=yes]: queue all independent checks
# of one signed message; check_all runs them once everything is signed
# (one Python for the email package checks, then per message openssl,
# the golden entity, gpgsm and NSS on the bytes Python cut out).
: > "$work/verify.list"
: > "$work/email.list"
verify() {
	mkdir -p "$work/out/$1"
	printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$work/out/$1" >> "$work/email.list"
	printf '%s %s %s\n' "$1" "$3" "${5:-yes}" >> "$work/verify.list"
}

# crlf: LF line ends to CRLF (a last line without LF stays as it is).
crlf() {
	perl -pe 's/\n/\r\n/'
}

check_all() {
	python3 "$check" --batch "$work/email.list" | sed 's/^FAIL /FAIL: email package: /'
	while read -r name out gpg; do
		dir=$work/out/$name
		[ -f "$dir/email.ok" ] || { fail "$name: email package"; continue; }
		"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -certfile "$pki/chain.pem" \
			-in "$out" -out "$dir/verified" 2>"$dir/openssl.err" ||
			{ fail "$name: openssl cms -verify: $(cat "$dir/openssl.err")"; continue; }
		cmp -s "$dir/verified" "$dir/content.bin" || fail "$name: openssl verified other bytes"
		# Expected entity: NAME.entity, else BASE.entity except for CR-only
		# input (bare CRs force quoted-printable there).
		golden=$data/$name.entity
		case $name in *.cr) ;; *) [ -f "$golden" ] || golden=$data/${name%%.*}.entity ;; esac
		if [ -f "$golden" ]; then
			crlf < "$golden" > "$dir/expected"
			cmp -s "$dir/expected" "$dir/content.bin" || fail "$name: entity differs from $golden"
		fi
		if [ "$gpg" = yes ]; then
			"$GPGSM" --batch --disable-policy-checks --verify "$dir/sig.der" "$dir/content.bin" \
				>"$dir/gpgsm.out" 2>&1 || fail "$name: gpgsm: $(cat "$dir/gpgsm.out")"
		fi
		# NSS: signature, digest and path to the root, usage email signer.
		cmsutil -D -n -d "$nss" -u 4 -i "$dir/sig.der" -c "$dir/content.bin" \
			>"$dir/nss.out" 2>&1 || fail "$name: NSS cmsutil: $(cat "$dir/nss.out")"
		echo "$out" >> "$work/bc.list"
	done < "$work/verify.list"
}

# sign NAME IN [sign_tool options...]: sign with taro unless -C CERTNAME given.
sign() {
	name=$1 in=$2
	shift 2
	signer=taro
	if [ "${1:-}" = -C ]; then signer=$2; shift 2; fi
	"$tool" "$@" "$pki/$signer.crt" "$pki/$signer.key" "$pki/chain.pem" "$in" \
		>"$work/out/$name.eml" 2>"$work/out/$name.err"
}

# Line-end variants of a corpus file: lf (as stored), crlf, cr.
variant() {
	case $2 in
	lf) cat "$1" ;;
	crlf) crlf < "$1" ;;
	cr) tr '\n' '\r' < "$1" ;;
	esac
}

for f in "$data"/*.eml; do
	base=$(basename "$f" .eml)
	case $base in already-*) continue ;; esac
	case $base in
	nested|binary-attach) eols=lf ;;	# binary payloads: no rewriting
	qp-with-8bit) eols="lf crlf" ;;	# Python misdecodes CR-only QP
	*) eols="lf crlf cr" ;;
	esac
	for eol in $eols; do
		in=$work/out/$base.$eol.in
		variant "$f" "$eol" > "$in"
		if sign "$base.$eol" "$in"; then
			verify "$base.$eol" "$in" "$work/out/$base.$eol.eml" sha-256
		else
			fail "$base.$eol: sign_tool: $(cat "$work/out/$base.$eol.err")"
		fi
	done
done

# The corpus with the other key types: P-256, P-384, RSASSA-PSS (gpgsm
# 2.2 does not verify PSS; openssl, NSS and BouncyCastle do).
for f in "$data"/*.eml; do
	base=$(basename "$f" .eml)
	case $base in already-*) continue ;; esac
	for k in hanako:sha-256 jiro384:sha-384 pss:sha-256; do
		n=$base.${k%:*}
		case $k in
		pss:*) sign "$n" "$f" -P ;;
		*) sign "$n" "$f" -C ${k%:*} ;;
		esac || { fail "$n: sign_tool: $(cat "$work/out/$n.err")"; continue; }
		case $k in
		pss:*) verify "$n" "$f" "$work/out/$n.eml" ${k#*:} no ;;
		*) verify "$n" "$f" "$work/out/$n.eml" ${k#*:} ;;
		esac
	done
done

# Digests, key types, PSS, chain handling, spool on disk.
for d in sha384 sha512; do
	sign "nested.$d" "$data/nested.eml" -d $d &&
		verify "nested.$d" "$data/nested.eml" "$work/out/nested.$d.eml" "sha-${d#sha}" ||
		fail "sign -d $d"
done
# P-384 gets SHA-384 even when SHA-256 is configured (RFC 5753).
for who in hanako:256 jiro384:384 saburo:256; do
	sign "nested.${who%:*}" "$data/nested.eml" -C ${who%:*} &&
		verify "nested.${who%:*}" "$data/nested.eml" "$work/out/nested.${who%:*}.eml" sha-${who#*:} ||
		fail "sign with ${who%:*}"
done
sign nested.disk "$data/nested.eml" -m 512 &&
	verify nested.disk "$data/nested.eml" "$work/out/nested.disk.eml" sha-256 || fail "spool on disk"

# gpgsm 2.2 does not verify RSASSA-PSS; openssl does.
if sign nested.pss "$data/nested.eml" -P; then
	verify nested.pss "$data/nested.eml" "$work/out/nested.pss.eml" sha-256 no
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/out/nested.pss.eml" -cmsout -print \
		-out "$work/out/nested.pss.print" 2>/dev/null
	grep -q 'algorithm: rsassaPss' "$work/out/nested.pss.print" || fail "PSS: no rsassaPss"
	grep -q 'id-smime-aa-signingCertificateV2' "$work/out/nested.pss.print" || fail "no ESS signing-certificate-v2"
	grep -q 'signingTime' "$work/out/nested.pss.print" || fail "no signingTime"
	grep -q 'S/MIME Capabilities' "$work/out/nested.pss.print" || fail "no SMIMECapabilities"
else
	fail "sign -P"
fi
if sign plain.rsa "$data/plain-ascii.eml"; then
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/out/plain.rsa.eml" -cmsout -print \
		-out "$work/out/plain.rsa.print" 2>/dev/null
	grep -q 'rsassaPss' "$work/out/plain.rsa.print" && fail "PSS used by default"
	grep -q 'algorithm: rsaEncryption' "$work/out/plain.rsa.print" || fail "default not PKCS#1 v1.5"
fi

# Without the chain the intermediate must come from elsewhere.
if sign plain.nochain "$data/plain-ascii.eml" -N; then
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/out/plain.nochain.eml" \
		-out /dev/null 2>/dev/null && fail "-N: verified without the intermediate"
	cat "$pki/trust.pem" "$pki/chain.pem" > "$work/both.pem"
	"$OPENSSL" cms -verify -CAfile "$work/both.pem" \
		-in "$work/out/plain.nochain.eml" -out /dev/null 2>/dev/null || fail "-N with the intermediate"
else
	fail "sign -N"
fi

# Certificates we must refuse: status and no output.
for who in expired:certificate.expired notyet:certificate.expired noeku:policy; do
	cert=${who%%:*} want=${who#*:}
	if sign "refuse.$cert" "$data/plain-ascii.eml" -C "$cert"; then
		fail "signed with $cert"
	else
		grep -q "sign_tool: $want" "$work/out/refuse.$cert.err" ||
			fail "$cert: $(cat "$work/out/refuse.$cert.err")"
		grep -q "edits not empty" "$work/out/refuse.$cert.err" && fail "$cert: half-built edits"
		[ -s "$work/out/refuse.$cert.eml" ] && fail "$cert: output written"
	fi
done

# Already S/MIME: detected, never signed again.
for f in already-signed already-enveloped; do
	[ "$("$tool" -s x x x "$data/$f.eml")" = yes ] || fail "$f not detected"
	sign "$f" "$data/$f.eml" && fail "$f signed again"
done
[ "$("$tool" -s x x x "$data/nested.eml")" = no ] || fail "nested.eml taken for S/MIME"

# A large 8bit body streams through a small spool.
python3 -c 'import sys
sys.stdout.buffer.write(b"From: taro@example.jp\nSubject: big\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
line = "大きなメッセージの行です。".encode() * 4 + b" \n"
sys.stdout.buffer.write(line * 40000)' > "$work/out/big.in"
sign big "$work/out/big.in" -m 65536 && verify big "$work/out/big.in" "$work/out/big.eml" sha-256 ||
	fail "large message"

# Nested signed entities (forwarded S/MIME, inline multipart/signed,
# PGP/MIME signed and encrypted) with 8-bit signed parts: their bytes are
# kept, the containers labelled 8bit, and both signatures verify.
nest=$work/nested
mkdir -p "$nest/gpg"
chmod 700 "$nest/gpg"
gpghome=-
command -v gpg >/dev/null 2>&1 && gpg --homedir "$nest/gpg" --batch --passphrase '' \
	--quick-gen-key 'Taro <taro@example.jp>' ed25519 sign never >/dev/null 2>&1 && gpghome=$nest/gpg
cases=$(python3 "$top_srcdir/test/sign_nested.py" make "$OPENSSL" "$pki" "$gpghome" "$nest") ||
	fail "nested: cannot build the cases"
vtool=$top_builddir/test/unit/verify_tool
for n in $cases; do
	dir=$work/out/nested-$n
	mkdir -p "$dir"
	sign "nested-$n" "$nest/$n.eml" || { fail "nested $n: sign_tool: $(cat "$work/out/nested-$n.err")"; continue; }
	out=$work/out/nested-$n.eml
	python3 "$top_srcdir/test/sign_nested.py" check "$nest/$n.eml" "$out" "$nest/$n.inner" "$dir" ||
		{ fail "nested $n: email package"; continue; }
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$out" -out /dev/null 2>"$dir/openssl.err" ||
		fail "nested $n: outer: openssl: $(cat "$dir/openssl.err")"
	"$GPGSM" --batch --disable-policy-checks --verify "$dir/sig.der" "$dir/content.bin" \
		>"$dir/gpgsm.out" 2>&1 || fail "nested $n: outer: gpgsm: $(cat "$dir/gpgsm.out")"
	cmsutil -D -n -d "$nss" -u 4 -i "$dir/sig.der" -c "$dir/content.bin" \
		>"$dir/nss.out" 2>&1 || fail "nested $n: outer: NSS cmsutil: $(cat "$dir/nss.out")"
	echo "$out" >> "$work/bc.list"
	if [ -f "$dir/inner.asc" ]; then
		[ "$gpghome" = - ] || gpg --homedir "$gpghome" --batch --verify "$dir/inner.asc" "$dir/inner.data" \
			>"$dir/gpg.out" 2>&1 || fail "nested $n: inner PGP signature: $(cat "$dir/gpg.out")"
	elif grep -q pkcs7-signature "$dir/inner.eml"; then
		"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$dir/inner.eml" -out /dev/null \
			2>"$dir/inner.err" || fail "nested $n: inner S/MIME signature: $(cat "$dir/inner.err")"
	fi
	# Our own verifier: no signature in the message fails.
	"$vtool" -t "$pki/trust.pem" "$out" >"$dir/verify.out" 2>&1
	grep -qi 'smime=fail\|: fail' "$dir/verify.out" && fail "nested $n: verify_tool: $(cat "$dir/verify.out")"
	grep -q 'part 1: pass' "$dir/verify.out" || fail "nested $n: verify_tool: $(cat "$dir/verify.out")"
done

# A nested signed entity that SMTP cannot carry unchanged (a line over
# 998 octets) is refused, not re-encoded.
python3 -c 'import sys
sys.stdout.buffer.write(b"From: taro@example.jp\nSubject: long\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=o\n\n--o\n"
    b"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\n\n"
    b"--s\nContent-Type: text/plain\n\n" + b"x" * 1200 + b"\n--s\n"
    b"Content-Type: application/pgp-signature\n\nsig\n--s--\n--o--\n")' > "$nest/long.eml"
if sign nested-long "$nest/long.eml"; then
	fail "nested entity with a 1200-octet line signed"
else
	grep -q "998 octets" "$work/out/nested-long.err" || fail "nested long line: $(cat "$work/out/nested-long.err")"
fi

# A multipart whose boundary is over 998 octets cannot be split, and
# RFC 2045 forbids base64 on a multipart: refused, not base64-encoded.
python3 -c 'import sys
b = b"x" * 1100
sys.stdout.buffer.write(b"From: taro@example.jp\nSubject: huge boundary\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"\n\n--" + b +
    b"\nContent-Type: text/plain\n\nx\n--" + b + b"--\n")' > "$work/out/hugebnd.in"
if sign hugebnd "$work/out/hugebnd.in"; then
	fail "multipart with a 1100-octet boundary signed (under base64?)"
else
	grep -q "multipart without a usable boundary" "$work/out/hugebnd.err" ||
		fail "huge boundary: $(cat "$work/out/hugebnd.err")"
fi

# The queued checks of every verify above.
check_all

# Opaque signed-data (RFC 8551 3.5.2, sign_tool -O): the entity that the
# detached signature of the same message covers (its content.bin, cut out
# by check_all above),
# encapsulated as DER and base64.  Each is checked with Python's email
# package (test/sign_opaque.py: headers, base64, one contiguous OCTET
# STRING), openssl (content and strict DER: re-encoding gives the same
# bytes), gpgsm and NSS (content they output), our own verifier, and
# BouncyCastle below; a copy with one content octet changed must fail
# in openssl, NSS, our verifier and BouncyCastle.
: > "$work/bc.tampered"
verify_opaque() {
	name=$1 orig=$2 out=$3 entity=$4 dir=$work/out/$1
	mkdir -p "$dir"
	python3 "$top_srcdir/test/sign_opaque.py" "$orig" "$out" "$entity" "$dir" ||
		{ fail "$name: email package"; return; }
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$out" -out "$dir/verified" \
		2>"$dir/openssl.err" || { fail "$name: openssl cms -verify: $(cat "$dir/openssl.err")"; return; }
	cmp -s "$dir/verified" "$entity" || fail "$name: openssl verified other bytes"
	"$OPENSSL" cms -inform DER -in "$dir/sig.p7m" -cmsout -outform DER -out "$dir/re.der" &&
		cmp -s "$dir/re.der" "$dir/sig.p7m" || fail "$name: SignedData is not DER"
	if [ "${5:-yes}" = yes ]; then
		"$GPGSM" --batch --disable-policy-checks --output "$dir/gpgsm.content" \
			--verify "$dir/sig.p7m" >"$dir/gpgsm.out" 2>&1 &&
			cmp -s "$dir/gpgsm.content" "$entity" || fail "$name: gpgsm: $(cat "$dir/gpgsm.out")"
	fi
	cmsutil -D -d "$nss" -u 4 -i "$dir/sig.p7m" -o "$dir/nss.content" >"$dir/nss.out" 2>&1 &&
		cmp -s "$dir/nss.content" "$entity" || fail "$name: NSS cmsutil: $(cat "$dir/nss.out")"
	"$vtool" -t "$pki/trust.pem" "$out" >"$dir/verify.out" 2>&1
	# pass, or (another signer than the From address) policy: either
	# way the signature itself verified.
	grep -q '^worst: pass' "$dir/verify.out" ||
		grep -q '^detail: part 1: policy (signer does not match From)' "$dir/verify.out" ||
		fail "$name: verify_tool: $(cat "$dir/verify.out")"
	echo "$out" >> "$work/bc.list"
	[ -f "$dir/tampered.eml" ] || return
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$dir/tampered.eml" -out /dev/null \
		2>/dev/null && fail "$name: openssl accepts changed content"
	cmsutil -D -d "$nss" -u 4 -i "$dir/tampered.p7m" -o /dev/null >/dev/null 2>&1 &&
		fail "$name: NSS accepts changed content"
	"$vtool" -t "$pki/trust.pem" "$dir/tampered.eml" >"$dir/tampered.out" 2>&1
	grep -q '^worst: fail' "$dir/tampered.out" || fail "$name: verify_tool on changed content: $(cat "$dir/tampered.out")"
	echo "$dir/tampered.eml" >> "$work/bc.tampered"
}
for spec in nested:taro two-part:hanako utf8-ja-8bit:jiro384 plain-ascii:pss \
    binary-attach:taro empty-body:taro headerless-part:saburo; do
	base=${spec%%:*} who=${spec#*:}
	n=$base.opaque.$who
	case $who in
	pss) sign "$n" "$data/$base.eml" -O -P ;;
	*) sign "$n" "$data/$base.eml" -C "$who" -O ;;
	esac || { fail "$n: sign_tool: $(cat "$work/out/$n.err")"; continue; }
	verify_opaque "$n" "$data/$base.eml" "$work/out/$n.eml" "$work/out/$base.lf/content.bin" \
		"$([ "$who" = pss ] && echo no || echo yes)"
done
# Through a spool on disk, and the large 8bit message.
sign nested.opaque.disk "$data/nested.eml" -O -m 512 &&
	verify_opaque nested.opaque.disk "$data/nested.eml" "$work/out/nested.opaque.disk.eml" \
		"$work/out/nested.lf/content.bin" || fail "opaque: spool on disk"
sign big.opaque "$work/out/big.in" -O -m 65536 &&
	verify_opaque big.opaque "$work/out/big.in" "$work/out/big.opaque.eml" \
		"$work/out/big/content.bin" || fail "opaque: large message"

# BouncyCastle over everything verified above, in one JVM.
if [ -s "$work/bc.list" ]; then
	# shellcheck disable=SC2046
	bc_verify "$work/java" "$pki/trust.pem" $(cat "$work/bc.list") \
		>"$work/bc.out" 2>&1
	grep -v '^OK ' "$work/bc.out" | while IFS= read -r l; do echo "FAIL: BouncyCastle: $l"; done
	n=$(grep -c '^OK ' "$work/bc.out")
	[ "$n" -eq "$(wc -l < "$work/bc.list")" ] ||
		fail "BouncyCastle verified $n of $(wc -l < "$work/bc.list") messages"
fi
if [ -s "$work/bc.tampered" ]; then
	# shellcheck disable=SC2046
	bc_verify "$work/java" "$pki/trust.pem" $(cat "$work/bc.tampered") \
		>"$work/bc.tampered.out" 2>&1
	grep '^OK ' "$work/bc.tampered.out" | while IFS= read -r l; do
		echo "FAIL: BouncyCastle accepts changed content: $l"; done
	[ "$(grep -c '^FAIL ' "$work/bc.tampered.out")" -eq "$(wc -l < "$work/bc.tampered")" ] ||
		fail "BouncyCastle accepted changed opaque content"
fi

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all sign checks passed"
# Stop the agent while its home still exists, or gpgconf cannot reach it.
gpgconf --kill all >/dev/null 2>&1
rm -rf "$work"
exit 0
