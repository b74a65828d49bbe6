# common.sh - helpers for the smime-enroll tests (sourced).
# Provides: $ENROLL, $work (temp dir, removed on exit), $pki (a test PKI
# of its own, so that parallel tests do not race), $store, fail(),
# write_conf [EXTRA-ENROLL-SETTINGS], issue NAME CSR ADDRESS DAYS SERIAL
# [PUBKEY], issue_at NAME CSR ADDRESS SECONDS SERIAL [OU], start_cmp ARGS... (mock CMP server on a free loopback port,
# URL in $cmp_url), stop_cmp.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPENSSL:=openssl}"
ENROLL=$top_builddir/enroll/smime-enroll
work=$(mktemp -d "${TMPDIR:-/tmp}/enroll-test.XXXXXX")
pki=$work/pki
store=$work/store
cmp_pid=

cleanup() {
	[ -n "$cmp_pid" ] && kill "$cmp_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/cmp.log" ] && sed 's/^/  cmp server: /' "$work/cmp.log" >&2
	exit 1
}

sh "$top_srcdir/test/pki/shared.sh" pki "$pki" >/dev/null || fail "test PKI"

# write_conf [LINES]: $work/enroll.conf with a store and enroll defaults
write_conf() {
	cat > "$work/enroll.conf" <<CONF
socket = "unix:$work/sock";
mode = "s";
pidfile = "$work/milter.pid";
sign = { store = "$store"; };
enroll = {
	o = "山田太郎";
	l = "千代田区";
	st = "東京都";
	c = "JP";
	key_type = "ec:P-256";
	renew_within = 30;
	$1
};
CONF
}

# issue NAME CSR ADDRESS DAYS SERIAL [PUBKEY]: the test CA (intermediate)
# signs CSR into $work/NAME.crt, an S/MIME leaf for ADDRESS.
issue() {
	cat > "$work/leaf.ext" <<EXT
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$3
EXT
	"$OPENSSL" x509 -req -in "$2" -CA "$pki/inter-ca.crt" \
		-CAkey "$pki/inter-ca.key" -days "$4" -set_serial "$5" \
		-extfile "$work/leaf.ext" ${6:+-force_pubkey "$6"} \
		-out "$work/$1.crt" 2>/dev/null || fail "issue $1"
}

# issue_at NAME CSR ADDRESS SECONDS SERIAL [OU]: like issue, but notAfter
# is exactly now + SECONDS (negative: already expired) and notBefore two
# days ago, so that day counts are known to the second; OU replaces the
# CSR's organizationalUnitName when given.  Python's cryptography signs.
issue_at() {
	python3 - "$pki/inter-ca.crt" "$pki/inter-ca.key" "$2" "$3" "$4" "$5" \
		"$work/$1.crt" "${6:-}" <<'PY' || fail "issue_at $1"
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
ca_crt, ca_key, csr, addr, secs, serial, out, ou = sys.argv[1:9]
ca = x509.load_pem_x509_certificate(open(ca_crt, "rb").read())
key = serialization.load_pem_private_key(open(ca_key, "rb").read(), None)
req = x509.load_pem_x509_csr(open(csr, "rb").read())
subject = req.subject
if ou:
    new = x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou)
    attrs = [new if a.oid == NameOID.ORGANIZATIONAL_UNIT_NAME else a
             for a in subject]
    if new not in attrs:
        attrs.append(new)
    subject = x509.Name(attrs)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.subject)
     .public_key(req.public_key()).serial_number(int(serial, 0))
     .not_valid_before(now - datetime.timedelta(days=2))
     .not_valid_after(now + datetime.timedelta(seconds=int(secs)))
     .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
     .add_extension(x509.KeyUsage(True, True, False, False, False, False,
                    False, False, False), True)
     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
     .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(addr)]), False)
     .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), False))
cert = b.sign(key, hashes.SHA256())
open(out, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
PY
}

# The CMP server's own certificate, issued by the test root.
make_cmp_server_cert() {
	"$OPENSSL" req -new -newkey rsa:2048 -nodes -keyout "$work/srv.key" \
		-subj "/C=JP/O=Test PKI/CN=Test CMP Server" \
		-out "$work/srv.csr" 2>/dev/null || fail "server key"
	printf 'basicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\n' \
		> "$work/srv.ext"
	"$OPENSSL" x509 -req -in "$work/srv.csr" -CA "$pki/root-ca.crt" \
		-CAkey "$pki/root-ca.key" -days 30 -set_serial 0x6001 \
		-extfile "$work/srv.ext" -out "$work/srv.crt" 2>/dev/null ||
		fail "server cert"
}

# start_cmp ARGS...: openssl's CMP mock server on a free loopback port.
start_cmp() {
	stop_cmp
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		# A port the kernel reports free right now (not a time-seeded
		# guess: parallel tests starting in the same second collided).
		port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::", 0)); print(s.getsockname()[1])')
		"$OPENSSL" cmp -port "$port" "$@" > "$work/cmp.log" 2>&1 &
		cmp_pid=$!
		i=0
		while [ $i -lt 100 ]; do
			grep -q '^ACCEPT' "$work/cmp.log" 2>/dev/null && break
			kill -0 "$cmp_pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		if grep -q '^ACCEPT' "$work/cmp.log" 2>/dev/null; then
			cmp_url="http://127.0.0.1:$port/pkix/"
			return 0
		fi
		stop_cmp
		sleep 1
	done
	fail "mock CMP server does not start"
}

# stop_cmp: TERM, then KILL after 5 s; never an unbounded wait.
stop_cmp() {
	if [ -n "$cmp_pid" ]; then
		kill "$cmp_pid" 2>/dev/null
		i=0
		while kill -0 "$cmp_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$cmp_pid" 2>/dev/null
		wait "$cmp_pid" 2>/dev/null
		cmp_pid=
	fi
}

# finish_cmp: let a -max_msgs server exit by itself (10 s at most).
finish_cmp() {
	i=0
	while [ -n "$cmp_pid" ] && kill -0 "$cmp_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop_cmp
}

# expect_rc WANT MESSAGE-SUBSTRING COMMAND...: exit code and stderr text
expect_rc() {
	want=$1 msg=$2
	shift 2
	"$@" > "$work/out" 2> "$work/err"
	got=$?
	[ "$got" -eq "$want" ] ||
		fail "$* exited $got, want $want: $(cat "$work/err")"
	[ -z "$msg" ] || grep -qF -- "$msg" "$work/err" ||
		fail "$*: stderr lacks \"$msg\": $(cat "$work/err")"
}
