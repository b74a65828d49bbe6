#!/bin/sh
# trust-system.sh - verify.trust_anchors = "system" and the command behind
# it, `smime-enroll trust-update`:
#   from NSS's built-in module (libnssckbi.so): the bundle holds the
#   public S/MIME roots a Japanese campaign CA chains to (GlobalSign
#   Secure Mail Root R45/E45) and no root NSS trusts for TLS only (each
#   checked by fingerprint against an independent certutil listing);
#   from an NSS database holding the test root (trusted for e-mail) and
#   the other root (TLS only): the bundle is exactly the test root, and
#   paths build from it (pass; the other root stays untrusted);
#   "system" without the bundle is a configuration error naming the fix.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
bld=$(cd "$top_builddir" && pwd)
tool=$bld/test/unit/verify_tool
enroll=$bld/enroll/smime-enroll
smf=$bld/milter/smime-milter
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-trust.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
command -v certutil >/dev/null && command -v modutil >/dev/null ||
	{ echo "certutil/modutil missing (libnss3-tools)"; exit 77; }
sh "$top_srcdir/test/pki/shared.sh" corpus "$work" >/dev/null || exit 99
cd "$work" || exit 99
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
# fingerprints FILE: SHA-256 fingerprints of every certificate in a PEM
# file; subjects FILE: their subjects (RFC 4514).  One python3 each.
fingerprints() {
	"$PYTHON" -c '
import sys, warnings
warnings.simplefilter("ignore")
from cryptography import x509
from cryptography.hazmat.primitives import hashes
data = open(sys.argv[1], "rb").read()
for c in x509.load_pem_x509_certificates(data) if b"BEGIN" in data else []:
    print(c.fingerprint(hashes.SHA256()).hex())
' "$1" | sort
}
subjects() {
	"$PYTHON" -c '
import sys, warnings
warnings.simplefilter("ignore")
from cryptography import x509
for c in x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read()):
    print(c.subject.rfc4514_string())
' "$1"
}

# --- The real source: NSS's built-in roots.
module=$(ls /usr/lib/*/libnssckbi.so /usr/lib/*/nss/libnssckbi.so 2>/dev/null | head -n 1)
if [ -n "$module" ]; then
	"$enroll" trust-update --out roots.pem > out.txt 2>&1 || { cat out.txt; bad trust-update; }
	n=$(grep -c 'BEGIN CERTIFICATE' roots.pem)
	# Replaced atomically (smime_fs_write_path): 0644, no temporary left.
	[ "$(stat -c %a roots.pem)" = 644 ] && [ -z "$(ls -A | grep 'roots\.pem.')" ] &&
		ok "written atomically" || bad "written atomically"
	subjects roots.pem > subjects.txt
	for cn in "GlobalSign Secure Mail Root R45" "GlobalSign Secure Mail Root E45"; do
		grep -q "^CN=$cn," subjects.txt && ok "has $cn" || bad "has $cn"
	done
	# An independent listing: which built-in roots are TLS-only?
	mkdir nss && certutil -N -d sql:nss --empty-password &&
	modutil -dbdir sql:nss -add builtins -libfile "$module" -force >/dev/null 2>&1 || exit 99
	certutil -L -d sql:nss -h all | sed 's/ *$//' |
	    awk '{ t = $NF; split(t, f, ","); if (NF > 1 && t ~ /,.*,/ && f[2] !~ /C/ && f[1] ~ /C/) { $NF = ""; sub(/ *$/, ""); print } }' > tlsonly.txt
	grep -q "GlobalSign Root R46" tlsonly.txt || bad "listing: GlobalSign Root R46 is TLS-only"
	: > tlsonly.pem
	while IFS= read -r nick; do
		certutil -L -d sql:nss -n "$nick" -a >> tlsonly.pem 2>/dev/null
	done < tlsonly.txt
	fingerprints roots.pem > roots.fp
	fingerprints tlsonly.pem > tlsonly.fp
	common=$(comm -12 roots.fp tlsonly.fp | wc -l)
	[ "$(wc -l < tlsonly.fp)" -gt 10 ] && [ "$common" -eq 0 ] &&
	    ok "no TLS-only root ($(wc -l < tlsonly.fp) TLS-only, $n for e-mail)" ||
	    bad "no TLS-only root: $common in common"
	grep -q "GlobalSign Root R46" subjects.txt && bad "R46 (TLS only) in the bundle" || ok "no R46"
	# Nor is it the TLS bundle of ca-certificates.
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		fingerprints /etc/ssl/certs/ca-certificates.crt > tls.fp
		cmp -s roots.fp tls.fp && bad "bundle equals ca-certificates" || ok "not ca-certificates"
	fi
else
	echo "# libnssckbi.so not found: built-in roots not checked"
fi

# --- A test root in an NSS database, as the built-in roots are.
mkdir db && certutil -N -d sql:db --empty-password &&
certutil -A -d sql:db -n "Test Root CA" -t ",C," -i pki/root-ca.crt &&
certutil -A -d sql:db -n "Untrusted Root CA" -t "C,," -i pki/other-root.crt || exit 99
"$enroll" trust-update --nssdb db --dry-run > dry.txt 2>&1 && [ ! -e test-roots.pem ] &&
    grep -q "^1 roots" dry.txt && ok dry-run || { cat dry.txt; bad dry-run; }
"$enroll" trust-update --nssdb db --out test-roots.pem >/dev/null 2>&1 || bad "trust-update --nssdb"
[ "$(fingerprints test-roots.pem)" = "$(fingerprints pki/root-ca.crt)" ] && ok "only the e-mail root" ||
	bad "only the e-mail root: $(subjects test-roots.pem)"
out=$("$tool" -t test-roots.pem -i pki/chain.pem good-rsa2048.eml 2>&1)
case $out in *"smime=pass header.from=taro@example.jp"*) ok path-from-bundle ;; *) echo "$out"; bad path-from-bundle ;; esac
out=$("$tool" -t test-roots.pem -i pki/chain.pem untrusted-root.eml 2>&1)
case $out in *"smime=fail (untrusted root)"*) ok tls-root-untrusted ;; *) echo "$out"; bad tls-root-untrusted ;; esac

# --- "system" in the configuration.
cat > s.conf <<CONF
socket = "unix:$work/sock";
mode = "v";
authserv_id = "mx.example.net";
verify = { trust_anchors = "system"; };
CONF
if "$smf" -c s.conf -T 2>/dev/null | grep -q 'trust_anchors = "/'; then
	ok system-path	# the bundle exists here: -T shows where it is
else
	"$smf" -c s.conf -n > n.txt 2>&1
	grep -q 'verify.trust_anchors: "system": .*email-roots.pem.*smime-enroll trust-update' n.txt &&
	    ok system-missing || { cat n.txt; bad system-missing; }
fi
[ "$fails" -eq 0 ]
