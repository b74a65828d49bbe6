#!/bin/sh
# compat.sh - RFC 9788 header protection, signing side: every message of
# test/data/hp is signed by smime-milter -t (the daemon's own code path,
# default configuration: sign.header_protection = true) and the result
# must
#  - pass test/hp/hp_check.py (Python's email package: hp="clear" on the
#    signed root part, protected fields read as the outer ones, outer
#    header unchanged, same text, 7-bit, line lengths);
#  - verify in openssl cms -verify (and over exactly the signed bytes),
#    openssl smime -verify, gpgsm --verify, NSS cmsutil -D and
#    BouncyCastle's SMIMESigned over javax.mail (test/java/BcVerify.java,
#    one JVM for all messages);
#  - verify as pass in our own verifier with X-SMIME-Protected listing the
#    fields.
# Negative controls: one changed body byte must fail in every stack (so a
# stack that verifies nothing cannot pass), and sign.header_protection =
# false must produce no hp parameter.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=gpgsm}"
milter=$top_builddir/milter/smime-milter
data=$top_srcdir/test/data/hp
check=$top_srcdir/test/hp/hp_check.py
work=$(cd "$top_builddir" && pwd)/test/hp/compat.dir
pki=$work/pki
fails=0
. "$top_srcdir/test/java/bc.sh"

[ -x "$milter" ] || { echo "SKIP: $milter not built"; exit 77; }
for t in python3 "$GPGSM" cmsutil certutil; do
	command -v "$t" >/dev/null 2>&1 || { echo "$t not found (see contrib/debian-packages)"; exit 99; }
done
rm -rf "$work"
mkdir -p "$work/gnupg" "$work/out" "$work/classes"
chmod 700 "$work/gnupg"
sh "$top_srcdir/test/pki/shared.sh" pki "$pki" > "$work/pki.log" 2>&1 ||
	{ cat "$work/pki.log"; echo "PKI generation failed"; exit 99; }

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

GNUPGHOME=$work/gnupg
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1' EXIT
"$GPGSM" --batch --import "$pki/trust.pem" "$pki/chain.pem" >/dev/null 2>&1
fpr=$("$OPENSSL" x509 -in "$pki/trust.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
echo "$fpr S" > "$GNUPGHOME/trustlist.txt"
echo disable-crl-checks > "$GNUPGHOME/gpgsm.conf"
nss=sql:$work/nss
mkdir -p "$work/nss"
certutil -N -d "$nss" --empty-password >/dev/null 2>&1 &&
certutil -A -d "$nss" -n root -t "C,C,C" -i "$pki/root-ca.crt" ||
	{ echo "NSS database setup failed"; exit 99; }
bc_build "$work/classes"

conf() {	# conf FILE HP(true|false)
	cat > "$1" <<EOF
socket = "unix:$work/unused.sock";
authserv_id = "mx.test";
internal_hosts = [ "10.99.0.0/16" ];
sign = {
	header_protection = $2;
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
}
conf "$work/hp.conf" true
conf "$work/nohp.conf" false
: > "$work/bc.list"

# stacks NAME SIGNED DIR: four independent verifiers (BouncyCastle, the
# fifth, runs once over every message below); prints failures.
stacks() {
	name=$1 out=$2 dir=$3
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -certfile "$pki/chain.pem" \
		-in "$out" -out "$dir/verified" 2>"$dir/cms.err" ||
		echo "$name: openssl cms -verify: $(head -c 300 "$dir/cms.err")"
	"$OPENSSL" smime -verify -CAfile "$pki/trust.pem" -certfile "$pki/chain.pem" \
		-in "$out" -out /dev/null 2>"$dir/smime.err" ||
		echo "$name: openssl smime -verify: $(head -c 300 "$dir/smime.err")"
	"$GPGSM" --batch --disable-policy-checks --verify "$dir/sig.der" "$dir/content.bin" \
		>"$dir/gpgsm.out" 2>&1 || echo "$name: gpgsm: $(tail -3 "$dir/gpgsm.out")"
	cmsutil -D -i "$dir/sig.der" -c "$dir/content.bin" -d "$nss" -u 5 \
		>"$dir/cmsutil.out" 2>&1 || echo "$name: cmsutil: $(tail -2 "$dir/cmsutil.out")"
}

n=0
for f in "$data"/*.eml; do
	name=$(basename "$f" .eml)
	dir=$work/out/$name
	mkdir -p "$dir"
	out=$dir/signed.eml
	"$milter" -c "$work/hp.conf" -t "$f" -A taro > "$out" 2> "$dir/sign.err" ||
		{ fail "$name: smime-milter -t: $(cat "$dir/sign.err")"; continue; }
	python3 "$check" "$f" "$out" "$dir" || { fail "$name: hp_check.py"; continue; }
	errs=$(stacks "$name" "$out" "$dir")
	[ -z "$errs" ] || fail "$errs"
	echo "$out" >> "$work/bc.list"
	cmp -s "$dir/verified" "$dir/content.bin" || fail "$name: openssl verified other bytes"
	"$milter" -c "$work/hp.conf" -t "$out" -C 192.0.2.1 > "$dir/inbound.eml" 2> "$dir/inbound.err"
	grep -q 'smime=pass' "$dir/inbound.eml" || fail "$name: own verifier: $(cat "$dir/inbound.err")"
	grep -q '^X-SMIME-Protected: from, to' "$dir/inbound.eml" ||
		fail "$name: no X-SMIME-Protected on pass"
	n=$((n + 1))
done
[ $n -ge 6 ] || fail "only $n messages checked"

# Negative control: a changed body byte fails in every stack.
dir=$work/out/tampered
mkdir -p "$dir"
sed 's/^Plain ASCII body\./Plain ASCII bodY./' "$work/out/no-mime/signed.eml" > "$dir/signed.eml"
python3 "$check" "$data/no-mime.eml" "$dir/signed.eml" "$dir" > /dev/null 2>&1
cmp -s "$dir/content.bin" "$work/out/no-mime/content.bin" &&
	fail "tampered: control message unchanged"
errs=$(stacks tampered "$dir/signed.eml" "$dir" | grep -c "^tampered: ")

# BouncyCastle, in one JVM: every signed message and the tampered one.
# shellcheck disable=SC2046
bc_verify "$work/classes" "$pki/trust.pem" $(cat "$work/bc.list") "$dir/signed.eml" \
    > "$work/bc.out" 2>&1
grep -q "^FAIL $dir/signed.eml: " "$work/bc.out" && errs=$((errs + 1))
[ "$errs" = 5 ] || fail "tampered body: only $errs of 5 stacks refused it"
while read -r out; do
	grep -q "^OK $out\$" "$work/bc.out" && continue
	name=$(basename "$(dirname "$out")")
	# Header protection must not be what BouncyCastle objects to: if the
	# unprotected signature of the same message fails there too, that is
	# the signer's entity (issue 13), not hp.
	"$milter" -c "$work/nohp.conf" -t "$data/$name.eml" -A taro \
	    > "$work/out/$name/nohp.eml" 2>/dev/null
	if bc_verify "$work/classes" "$pki/trust.pem" "$work/out/$name/nohp.eml" \
	    > "$work/out/$name/bc-nohp.out" 2>&1; then
		fail "$name: BouncyCastle: $(grep -F "$out" "$work/bc.out")"
	else
		echo "note: $name: BouncyCastle refuses the unprotected signature too: $(cat "$work/out/$name/bc-nohp.out")"
	fi
done < "$work/bc.list"

# sign.header_protection = false: no hp, fields not copied.
dir=$work/out/nohp
mkdir -p "$dir"
"$milter" -c "$work/nohp.conf" -t "$data/ja-utf8.eml" -A taro > "$dir/signed.eml" 2>/dev/null
python3 - "$dir/signed.eml" <<'EOF' || fail "header_protection = false still protects"
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
inner = m.get_payload(0)
sys.exit(0 if m.get_content_type() == "multipart/signed" and inner.get_param("hp") is None
         and inner["Subject"] is None else 1)
EOF

[ $fails = 0 ] && echo "ok: $n protected messages verify in openssl cms/smime, gpgsm, NSS, BouncyCastle and read the same in Python"
exit $((fails > 0))
