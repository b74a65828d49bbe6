# common.sh - SoftHSM2 token for the test/pkcs11/*.sh tests: sourced after
# test/client/common.sh ($tmp, $pki).  Sets $softhsm (the module), $tokdir,
# $pinfile (0600, the user PIN) and exports SOFTHSM2_CONF so that every
# program started afterwards (smime-milter, smime-enroll) sees the token.
# Skips (exit 77) only when SoftHSM2 is not installed at all.
softhsm=
for f in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so \
    /usr/local/lib/softhsm/libsofthsm2.so; do
	[ -f "$f" ] && { softhsm=$f; break; }
done
if [ -z "$softhsm" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "SKIP: SoftHSM2 (Debian package softhsm2) is not installed"
	exit 77
fi
tokdir=$tmp/tokens
mkdir -p "$tokdir"
chmod 700 "$tokdir"
cat > "$tmp/softhsm2.conf" <<EOC
directories.tokendir = $tokdir
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOC
SOFTHSM2_CONF=$tmp/softhsm2.conf
export SOFTHSM2_CONF
unset SMIME_PKCS11_PIN
userpin=4711-taro
pinfile=$tmp/pin
( umask 077; echo "$userpin" > "$pinfile" )
softhsm2-util --init-token --free --label party --pin "$userpin" \
    --so-pin 99887766 > "$tmp/softhsm.log" 2>&1 ||
	{ cat "$tmp/softhsm.log"; echo "FAIL: softhsm2-util --init-token"; exit 1; }

# p11_import NAME LABEL ID: put test key $pki/NAME.key on the token.
p11_import() {
	"$OPENSSL" pkcs8 -topk8 -nocrypt -in "$pki/$1.key" -out "$tmp/$1.p8" &&
	softhsm2-util --import "$tmp/$1.p8" --token party --label "$2" \
	    --id "$3" --pin "$userpin" >> "$tmp/softhsm.log" 2>&1 ||
		{ cat "$tmp/softhsm.log"; echo "FAIL: import $1"; exit 1; }
	rm -f "$tmp/$1.p8"
}

# gpgsm_setup: a GNUPGHOME trusting the test root ($GPGSM empty: skip).
gpgsm_setup() {
	[ -n "${GPGSM:-}" ] && command -v "$GPGSM" >/dev/null 2>&1 || return 1
	GNUPGHOME=$tmp/gnupg
	export GNUPGHOME
	mkdir -p "$GNUPGHOME"
	chmod 700 "$GNUPGHOME"
	"$GPGSM" --batch --import "$pki/trust.pem" "$pki/chain.pem" >/dev/null 2>&1
	fpr=$("$OPENSSL" x509 -in "$pki/trust.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
	echo "$fpr S" > "$GNUPGHOME/trustlist.txt"
	echo disable-crl-checks > "$GNUPGHOME/gpgsm.conf"
}

# gpgsm_verifies FILE: gpgsm accepts the multipart/signed message FILE.
gpgsm_verifies() {
	d=$tmp/gv.$$
	mkdir -p "$d"
	# The exact signed bytes (CRLF) and the signature, as RFC 1847 says.
	python3 - "$1" "$d" > "$d/out" 2>&1 <<'EOP' &&
import email, email.policy, re, sys
raw = open(sys.argv[1], "rb").read()
raw = re.sub(rb"\r?\n", b"\r\n", raw)
msg = email.message_from_bytes(raw, policy=email.policy.compat32)
bnd = msg.get_param("boundary").encode()
body = raw[raw.index(b"\r\n\r\n") + 4:]
start = body.index(b"--" + bnd + b"\r\n") + len(bnd) + 4
end = body.index(b"\r\n--" + bnd + b"\r\n", start)
open(sys.argv[2] + "/content", "wb").write(body[start:end])
open(sys.argv[2] + "/sig.der", "wb").write(msg.get_payload()[1].get_payload(decode=True))
EOP
	"$GPGSM" --batch --disable-policy-checks --verify "$d/sig.der" \
	    "$d/content" > "$d/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat "$d/out"
	rm -rf "$d"
	return $rc
}
