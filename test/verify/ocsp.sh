#!/bin/sh
# ocsp.sh - OCSP checking against a real responder on loopback
# (`openssl ocsp`), a silent one (accepts, never answers) and a closed
# port: good -> pass, revoked -> fail (certificate revoked), silent and
# closed -> temperror within the configured timeout.  Also checks that a
# good answer is cached (the responder serves exactly one request).
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
verify_workdir ocsp

freeport() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# leaf NAME EMAIL PORT: a leaf of the intermediate naming a responder.
leaf() {
	cat > "$1.ext" <<EXT
[ v3_ocsp ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$2
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$3/
EXT
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null &&
	CA_NAME=inter-ca LEAF_EMAIL=$2 "$OPENSSL" req -new -config ca.cnf -key "$1.key" -subj "/C=JP/O=Example Party/CN=$1" -out "$1.csr" &&
	CA_NAME=inter-ca LEAF_EMAIL=$2 "$OPENSSL" ca -batch -config ca.cnf \
	    -cert inter-ca.crt -keyfile inter-ca.key -in "$1.csr" -out "$1.crt" \
	    -extfile "$1.ext" -extensions v3_ocsp -notext 2>/dev/null
}

# signed NAME: a message from NAME's address signed by NAME.
signed() {
	{
		printf 'From: %s\nTo: voter@example.net\nSubject: ocsp\n' "$2"
		printf 'Content-Type: text/plain; charset=us-ascii\n\nOCSP test\n' |
		"$OPENSSL" cms -sign -signer "$1.crt" -inkey "$1.key" -certfile chain.pem
	} > "$1.eml"
}

port=$(freeport)
silent_port=$(freeport)
closed_port=$(freeport)
leaf ocspgood good@example.jp "$port" && leaf ocsprevoked bad@example.jp "$port" &&
leaf ocspsilent silent@example.jp "$silent_port" &&
leaf ocspclosed closed@example.jp "$closed_port" || exit 99
CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -revoke ocsprevoked.crt 2>/dev/null || exit 99
for n in ocspgood:good ocsprevoked:bad ocspsilent:silent ocspclosed:closed; do
	signed "${n%%:*}" "${n#*:}@example.jp" || exit 99
done

# The responder answers exactly three requests (the readiness probe,
# good and revoked) and then exits: a later good answer must come from
# our cache.
"$OPENSSL" ocsp -index inter-ca.index -port "$port" -CA inter-ca.crt \
    -rsigner inter-ca.crt -rkey inter-ca.key -ndays 1 -nrequest 3 \
    > ocsp.log 2>&1 &
ocsp_pid=$!
pids="$pids $!"
# The silent responder: listens, accepts, reads, never answers.
"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
conns = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try:
        c, _ = s.accept()
        conns.append(c)
    except socket.timeout:
        pass
' "$silent_port" &
pids="$pids $!"
# Wait (bounded) until the responder listens.
i=0
until "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$silent_port" 2>/dev/null &&
      "$OPENSSL" ocsp -issuer inter-ca.crt -cert ocspgood.crt -url "http://127.0.0.1:$port/" \
	-noverify -timeout 2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "responders did not start"; cat ocsp.log; exit 99; }
	sleep 0.2
done


out=$("$tool" -t trust.pem -i chain.pem -o -T 3 ocspgood.eml ocsprevoked.eml ocspgood.eml 2>&1)
good1=$(printf '%s\n' "$out" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } n == 1')
bad=$(printf '%s\n' "$out" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } n == 2')
good2=$(printf '%s\n' "$out" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } n == 3')
check good "smime=pass header.from=good@example.jp" "$good1"
check revoked "smime=fail (certificate revoked) header.from=bad@example.jp" "$bad"
# Third request: the responder has exited, so only the cache can answer.
check cached "smime=pass header.from=good@example.jp" "$good2"

# An answer without nextUpdate is not cached: a responder without -ndays
# answers the probe and one request, then exits; the repeat must fail.
kill "$ocsp_pid" 2>/dev/null   # normally gone already after 3 requests
wait "$ocsp_pid" 2>/dev/null
"$OPENSSL" ocsp -index inter-ca.index -port "$port" -CA inter-ca.crt \
    -rsigner inter-ca.crt -rkey inter-ca.key -nrequest 2 >> ocsp.log 2>&1 &
pids="$pids $!"
i=0
until "$OPENSSL" ocsp -issuer inter-ca.crt -cert ocspgood.crt -url "http://127.0.0.1:$port/" \
	-noverify -timeout 2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "second responder did not start"; exit 99; }
	sleep 0.2
done
out=$("$tool" -t trust.pem -i chain.pem -o -T 3 ocspgood.eml ocspgood.eml 2>&1)
first=$(printf '%s\n' "$out" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } n == 1')
second=$(printf '%s\n' "$out" | awk 'BEGIN { n = 1 } /^--$/ { n++; next } n == 2')
check no-nextupdate "smime=pass header.from=good@example.jp" "$first"
check not-cached "smime=temperror (OCSP responder unreachable)" "$second"

start=$(date +%s)
out=$("$tool" -t trust.pem -i chain.pem -o -T 2 ocspsilent.eml 2>&1)
took=$(($(date +%s) - start))
echo "silent responder: ${took}s"
check silent "smime=temperror (OCSP responder unreachable)" "$out"
if [ "$took" -gt 6 ]; then
	echo "FAIL silent: took ${took}s with a 2s timeout"
	fails=$((fails + 1))
fi
out=$("$tool" -t trust.pem -i chain.pem -o -T 2 ocspclosed.eml 2>&1)
check closed "smime=temperror (OCSP responder unreachable)" "$out"
# Without OCSP configured nobody is asked: the revoked leaf passes.
out=$("$tool" -t trust.pem -i chain.pem ocsprevoked.eml 2>&1)
check no-ocsp "smime=pass header.from=bad@example.jp" "$out"
[ "$fails" -eq 0 ]
