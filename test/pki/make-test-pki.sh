#!/bin/sh
# make-test-pki.sh OUTDIR - build a throw-away PKI for the test suite.
#
# Layout (all PEM):
#   root-ca.{key,crt}  trusted root          inter-ca.{key,crt}  intermediate
#   trust.pem          = root-ca.crt         chain.pem           = inter-ca.crt
#   crl.pem            intermediate's CRL (revokes "revoked")
#   root-crl.pem       root's CRL (empty), for CRL checks of the whole chain
#   other-root.{key,crt}  a root nobody trusts, issuer of "untrusted"
#   NAME.{key,crt} for each leaf below; every leaf key is mode 0600.
#
#   taro      RSA-2048 taro@example.jp, Japanese UTF-8 DN, 3 years
#   hanako    EC P-256 hanako@example.jp
#   jiro384   EC P-384 jiro@example.jp
#   saburo    RSA-3072 saburo@example.jp
#   expired   RSA-2048 expired@example.jp, validity ended in 2020
#   notyet    RSA-2048 notyet@example.jp, valid from 2099
#   revoked   RSA-2048 revoked@example.jp, listed in crl.pem
#   noeku     RSA-2048 noeku@example.jp, EKU serverAuth only
#   untrusted RSA-2048 untrusted@example.jp, issued by other-root
#
# The leaves are issued by the intermediate unless stated; every good
# certificate and CRL is valid from the moment this script runs (only
# "expired" and "notyet" have fixed dates).  Nothing generated here is
# committed: the PKI is made at test time in the build tree.
#
# Re-running on an existing OUTDIR is a no-op (stamp file), so tests may
# share it, as long as the stamp names this version of the script and the
# PKI is valid for at least 30 more days; otherwise OUTDIR is rebuilt, so a
# build tree kept for years never runs on an expired PKI.
set -eu

out=${1:?usage: make-test-pki.sh OUTDIR}
OPENSSL=${OPENSSL:-openssl}
here=$(cd "$(dirname "$0")" && pwd)
version=$(cksum < "$here/make-test-pki.sh")
if [ -f "$out/.complete" ] &&
    [ "$(cat "$out/.complete")" = "$version" ] &&
    "$OPENSSL" x509 -checkend 2592000 -noout -in "$out/taro.crt" >/dev/null 2>&1 &&
    "$OPENSSL" x509 -checkend 2592000 -noout -in "$out/inter-ca.crt" >/dev/null 2>&1; then
	exit 0
fi
if [ -d "$out" ]; then
	# Stale or partial: start again (only our own file names).
	rm -rf "$out/newcerts"
	rm -f "$out"/*.crt "$out"/*.key "$out"/*.pem "$out"/*.csr "$out"/*.index* \
	    "$out"/*.serial* "$out"/*.crlnumber* "$out/ca.cnf" "$out/.complete"
fi
mkdir -p "$out"
cd "$out"
umask 077

cat > ca.cnf <<'CNF'
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = $dir/$ENV::CA_NAME.index
new_certs_dir = $dir/newcerts
serial = $dir/$ENV::CA_NAME.serial
crlnumber = $dir/$ENV::CA_NAME.crlnumber
default_md = sha256
default_days = 1095
default_crl_days = 3650
policy = policy_any
copy_extensions = none
unique_subject = no
email_in_dn = yes
utf8 = yes
string_mask = utf8only
preserve = yes
[ policy_any ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
localityName = optional
stateOrProvinceName = optional
countryName = optional
emailAddress = optional
[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
prompt = no
[ req_dn ]
CN = placeholder
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage = emailProtection, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$ENV::LEAF_EMAIL
[ v3_noeku ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$ENV::LEAF_EMAIL
CNF
mkdir -p newcerts
export LEAF_EMAIL=none@example.invalid CA_NAME=root-ca

newkey() { # newkey FILE SPEC
	case $2 in
	rsa:*) "$OPENSSL" genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1" 2>/dev/null ;;
	ec:*) "$OPENSSL" genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2#ec:}" -out "$1" 2>/dev/null ;;
	esac
	chmod 600 "$1"
}

initca() { # initca NAME
	: > "$1.index"
	echo 1000 > "$1.serial"
	echo 1000 > "$1.crlnumber"
}

mkroot() { # mkroot NAME CN
	newkey "$1.key" rsa:2048
	initca "$1"
	"$OPENSSL" req -new -config ca.cnf -key "$1.key" -subj "/C=JP/O=Test PKI/CN=$2" -utf8 -out "$1.csr"
	CA_NAME=$1 "$OPENSSL" ca -batch -config ca.cnf -selfsign -keyfile "$1.key" \
		-in "$1.csr" -out "$1.crt" -extensions v3_ca -days 7300 -notext 2>/dev/null
}

# issue CA NAME SUBJECT EMAIL KEYSPEC EXT [extra ca args...]
issue() {
	ca=$1 name=$2 subj=$3 email=$4 spec=$5 ext=$6
	shift 6
	newkey "$name.key" "$spec"
	"$OPENSSL" req -new -config ca.cnf -key "$name.key" -subj "$subj" -utf8 -out "$name.csr"
	LEAF_EMAIL=$email CA_NAME=$ca "$OPENSSL" ca -batch -config ca.cnf -cert "$ca.crt" \
		-keyfile "$ca.key" -in "$name.csr" -out "$name.crt" -extensions "$ext" -notext "$@" 2>/dev/null
}

mkroot root-ca "Test Root CA"
newkey inter-ca.key rsa:2048
initca inter-ca
"$OPENSSL" req -new -config ca.cnf -key inter-ca.key -subj "/C=JP/O=Test PKI/CN=Test Politician CA" -utf8 -out inter-ca.csr
CA_NAME=root-ca "$OPENSSL" ca -batch -config ca.cnf -cert root-ca.crt -keyfile root-ca.key \
	-in inter-ca.csr -out inter-ca.crt -extensions v3_ca -days 3650 -notext 2>/dev/null
mkroot other-root "Untrusted Root CA"

jp="/C=JP/ST=東京都/L=千代田区/O=山田太郎/OU=衆議院議員候補/CN=山田太郎/emailAddress=taro@example.jp"
issue inter-ca taro "$jp" taro@example.jp rsa:2048 v3_leaf -days 1095
issue inter-ca hanako "/C=JP/ST=大阪府/O=佐藤花子/OU=参議院議員/CN=佐藤花子/emailAddress=hanako@example.jp" hanako@example.jp ec:P-256 v3_leaf
issue inter-ca jiro384 "/C=JP/ST=北海道/O=鈴木次郎/CN=鈴木次郎" jiro@example.jp ec:P-384 v3_leaf
issue inter-ca saburo "/C=JP/O=Example Party/CN=Saburo Tanaka" saburo@example.jp rsa:3072 v3_leaf
issue inter-ca expired "/C=JP/O=Example Party/CN=Expired Member" expired@example.jp rsa:2048 v3_leaf \
	-startdate 20170101000000Z -enddate 20200101000000Z
issue inter-ca notyet "/C=JP/O=Example Party/CN=Future Member" notyet@example.jp rsa:2048 v3_leaf \
	-startdate 20990101000000Z -enddate 21010101000000Z
issue inter-ca revoked "/C=JP/O=Example Party/CN=Revoked Member" revoked@example.jp rsa:2048 v3_leaf
issue inter-ca noeku "/C=JP/O=Example Party/CN=No EKU" noeku@example.jp rsa:2048 v3_noeku
issue other-root untrusted "/C=JP/O=Elsewhere/CN=Untrusted Sender" untrusted@example.jp rsa:2048 v3_leaf

CA_NAME=inter-ca "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt -keyfile inter-ca.key \
	-revoke revoked.crt -crl_reason keyCompromise 2>/dev/null
CA_NAME=inter-ca "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt -keyfile inter-ca.key \
	-gencrl -out crl.pem 2>/dev/null
CA_NAME=root-ca "$OPENSSL" ca -batch -config ca.cnf -cert root-ca.crt -keyfile root-ca.key \
	-gencrl -out root-crl.pem 2>/dev/null

cp root-ca.crt trust.pem
cp inter-ca.crt chain.pem
chmod 644 ./*.crt trust.pem chain.pem crl.pem root-crl.pem
rm -f ./*.csr
echo "$version" > .complete
