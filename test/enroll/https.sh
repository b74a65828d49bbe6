#!/bin/sh
# https.sh - CMP over HTTPS: openssl's CMP mock server behind a TLS proxy
# (socat) on loopback.  enroll succeeds when the proxy's certificate
# chains to enroll.cmp_tls_trusted and names the address we connect to;
# a certificate from another root, one for another name, and (without
# cmp_tls_trusted) one the system store does not know are refused before
# any CMP message reaches the server.  A proxy that demands a client
# certificate gets one from enroll.cmp_tls_cert/--tls-cert.
. "${top_srcdir:-.}/test/enroll/common.sh"

command -v socat > /dev/null || fail "socat missing (Debian package socat)"
write_conf "intermediates = \"$pki/chain.pem\";"
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
proxy_pid=
trap '[ -n "$proxy_pid" ] && kill $proxy_pid 2>/dev/null; cleanup' EXIT INT TERM

# tls_cert NAME CA SAN [EKU]: a TLS certificate NAME.{crt,key} from CA
tls_cert() {
	"$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$work/$1.key" -subj "/CN=$1" -out "$work/$1.csr" 2>/dev/null ||
		fail "tls key $1"
	printf 'basicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = %s\nsubjectAltName = %s\n' \
		"${4:-serverAuth}" "$3" > "$work/$1.ext"
	"$OPENSSL" x509 -req -in "$work/$1.csr" -CA "$pki/$2.crt" -CAkey "$pki/$2.key" \
		-days 30 -set_serial "0x$(od -An -N4 -tx1 /dev/urandom | tr -d ' ')" \
		-extfile "$work/$1.ext" -out "$work/$1.crt" 2>/dev/null || fail "tls cert $1"
	cat "$work/$1.crt" "$work/$1.key" > "$work/$1.pem"
}
tls_cert good root-ca "IP:127.0.0.1, DNS:localhost"
tls_cert foreign other-root "IP:127.0.0.1, DNS:localhost"
tls_cert wrongname root-ca "DNS:ca.example.net"
tls_cert client root-ca "email:office@example.jp" clientAuth

# proxy NAME [SOCAT-OPTIONS]: TLS on a free loopback port ($tls_port)
# in front of the mock CMP server.
proxy() {
	[ -n "$proxy_pid" ] && { kill $proxy_pid 2>/dev/null; wait $proxy_pid 2>/dev/null; }
	tls_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	socat "OPENSSL-LISTEN:$tls_port,bind=127.0.0.1,reuseaddr,fork,cert=$work/$1.pem,${2:-verify=0}" \
		"TCP:127.0.0.1:$cmp_port" 2> "$work/socat.log" &
	proxy_pid=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $tls_port), 1)" 2>/dev/null; do
		[ $i -lt 100 ] || fail "socat does not listen: $(cat "$work/socat.log")"
		sleep 0.1; i=$((i + 1))
	done
}
requests() { grep -c "Received request" "$work/cmp.log"; }

$E keygen taro@example.jp > /dev/null || fail "keygen"
$E csr taro@example.jp --cn 山田太郎 --out "$work/taro.csr" || fail "csr"
issue taro "$work/taro.csr" taro@example.jp 1095 0x7401
start_cmp -srv_ref kid1 -srv_secret pass:s3cret -rsp_cert "$work/taro.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
cmp_port=${cmp_url#http://127.0.0.1:}
cmp_port=${cmp_port%%/*}
enroll() { # enroll URL [OPTIONS]
	url=$1
	shift
	$E enroll taro@example.jp --cn 山田太郎 --server "$url" --ref kid1 \
		--secret env:CMP_SECRET "$@"
}

# Refused: a server certificate from a root we do not trust.
proxy foreign
expect_rc 5 "certificate verify failed" enroll "https://127.0.0.1:$tls_port/pkix/" \
	--tls-trusted "$pki/root-ca.crt"
# Refused: trusted root, but issued for another name.
proxy wrongname
expect_rc 5 "certificate verify failed" enroll "https://127.0.0.1:$tls_port/pkix/" \
	--tls-trusted "$pki/root-ca.crt"
# Refused: no cmp_tls_trusted means the system store, which knows no
# test root.
proxy good
expect_rc 5 "certificate verify failed" enroll "https://127.0.0.1:$tls_port/pkix/"
[ "$(requests)" -eq 0 ] || fail "a CMP message went through a refused TLS connection"
[ -e "$store/taro@example.jp/cert.pem" ] && fail "installed over an untrusted connection"

# Accepted: the trusted certificate for the address we connect to.
enroll "https://127.0.0.1:$tls_port/pkix/" --tls-trusted "$pki/root-ca.crt" > "$work/out" ||
	fail "enroll over https: $(cat "$work/err" "$work/out")"
grep -q "enrolled taro@example.jp: serial 7401" "$work/out" || fail "enroll over https: $(cat "$work/out")"
[ "$(requests)" -eq 2 ] || fail "ir + certConf expected, got $(requests)"
# The same through enroll.cmp_tls_trusted and a host name.
write_conf "intermediates = \"$pki/chain.pem\"; cmp_tls_trusted = \"$pki/root-ca.crt\";"
enroll "https://localhost:$tls_port/pkix/" > /dev/null 2> "$work/err" ||
	fail "enroll over https (localhost, conf): $(cat "$work/err")"
# https is always direct: a proxy in the environment is not used.
https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
	enroll "https://localhost:$tls_port/pkix/" > /dev/null 2> "$work/err" ||
	fail "https_proxy was used: $(cat "$work/err")"
# Plain http to the TLS port gets no CMP answer.
expect_rc 5 "" enroll "http://127.0.0.1:$tls_port/pkix/"

# A proxy that demands a client certificate.
proxy good "verify=1,cafile=$pki/root-ca.crt"
expect_rc 5 "" enroll "https://127.0.0.1:$tls_port/pkix/"
expect_rc 2 "--tls-key" enroll "https://127.0.0.1:$tls_port/pkix/" --tls-cert "$work/client.crt"
n=$(requests)
enroll "https://127.0.0.1:$tls_port/pkix/" --tls-cert "$work/client.crt" \
	--tls-key "$work/client.key" > /dev/null 2> "$work/err" ||
	fail "enroll with a TLS client certificate: $(cat "$work/err")"
[ "$(requests)" -eq $((n + 2)) ] || fail "client-certificate enroll did not reach the server"
echo "https: ok"
