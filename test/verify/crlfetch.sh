#!/bin/sh
# crlfetch.sh - CRLs fetched from the certificates' CRL distribution
# points, served by a loopback HTTP server (crlserver.py):
#   good mail passes and a revoked signer fails with no CRL configured;
#   one download serves many messages (memory) and later processes (disk
#   cache); an expired cached CRL is fetched again; a configured CRL file
#   wins (no download); 404, an oversize answer, a silent server and a
#   host name whose DNS never answers are "CRL unavailable" within the
#   timeout; a definitive result (expired) still wins; the Host header
#   names the CDP's host.  OCSP's name lookup is bounded the same way.
set -u
. "${top_srcdir:-.}/test/verify/common.sh"
verify_workdir crlfetch
mkdir -p "$work/www" "$work/cache"

start_crlserver "$work/www"

# leaf NAME EMAIL CDP-URL [ca args]: a leaf of the intermediate naming CDP-URL.
leaf() {
	n=$1 e=$2 u=$3
	shift 3
	cat > "$n.ext" <<EXT
[ v3_cdp ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$e
crlDistributionPoints = URI:$u
EXT
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$n.key" 2>/dev/null &&
	CA_NAME=inter-ca LEAF_EMAIL=$e "$OPENSSL" req -new -config ca.cnf -key "$n.key" -subj "/C=JP/O=Example Party/CN=$n" -out "$n.csr" &&
	CA_NAME=inter-ca LEAF_EMAIL=$e "$OPENSSL" ca -batch -config ca.cnf \
	    -cert inter-ca.crt -keyfile inter-ca.key -in "$n.csr" -out "$n.crt" \
	    -extfile "$n.ext" -extensions v3_cdp -notext "$@" 2>/dev/null &&
	{
		printf 'From: %s\nTo: voter@example.net\nSubject: cdp\n' "$e"
		printf 'Content-Type: text/plain; charset=us-ascii\n\nCDP test\n' |
		"$OPENSSL" cms -sign -signer "$n.crt" -inkey "$n.key" -certfile chain.pem
	} > "$n.eml"
}

leaf cdpgood good@example.jp "$base/inter.crl" &&
leaf cdprevoked bad@example.jp "$base/inter.crl" &&
leaf cdpcached cached@example.jp "$base/cached.crl" &&
leaf cdp404 missing@example.jp "$base/missing.crl" &&
leaf cdpbig big@example.jp "$base/big.crl" &&
leaf cdpslow slow@example.jp "$base/slow.crl" &&
leaf cdpexpired old@example.jp "$base/missing.crl" -startdate 20170101000000Z -enddate 20200101000000Z &&
leaf cdpnamed named@example.jp "http://crl.good.test:$port/inter.crl" &&
leaf cdpdns dns@example.jp "http://crl.slowdns.test:$port/inter.crl" || exit 99
CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -revoke cdprevoked.crt 2>/dev/null &&
CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -gencrl -out fetched-crl.pem 2>/dev/null &&
"$OPENSSL" crl -in fetched-crl.pem -outform DER -out "$work/www/inter.crl" &&
cp "$work/www/inter.crl" "$work/www/cached.crl" || exit 99

hits() { grep -c "^/$1 " "$work/log" 2>/dev/null || echo 0; }
part() { printf '%s\n' "$2" | awk -v k="$1" 'BEGIN { n = 1 } /^--$/ { n++; next } n == k'; }
expect_hits() { # expect_hits NAME FILE N
	if [ "$(hits "$2")" -eq "$3" ]; then echo "ok $1"; else
		echo "FAIL $1: /$2 fetched $(hits "$2") times, want $3"; fails=$((fails + 1)); fi
}
v() { "$tool" -t trust.pem -i chain.pem -F -W 2 "$@" 2>&1; }

# No CRL file at all: fetched from the CDP; one download for three
# messages in one verifier.
out=$(v cdpgood.eml cdprevoked.eml cdpgood.eml)
check fetched-good "smime=pass header.from=good@example.jp" "$(part 1 "$out")"
check fetched-revoked "smime=fail (certificate revoked) header.from=bad@example.jp" "$(part 2 "$out")"
check fetched-again "smime=pass header.from=good@example.jp" "$(part 3 "$out")"
expect_hits memory-cache inter.crl 1
# Without fetching (and no other source) nothing is checked.
check no-fetch "smime=pass header.from=bad@example.jp" "$("$tool" -t trust.pem -i chain.pem cdprevoked.eml 2>&1)"

# Disk cache: a second process reads the cached file, no download.
check disk-first "smime=pass header.from=cached@example.jp" "$(v -C "$work/cache" cdpcached.eml)"
check disk-second "smime=pass header.from=cached@example.jp" "$(v -C "$work/cache" cdpcached.eml)"
expect_hits disk-cache cached.crl 1
n=$(ls "$work/cache" | grep -c '\.crl$')
[ "$n" -eq 1 ] && echo "ok disk-file" || { echo "FAIL disk-file: $n files"; fails=$((fails + 1)); }
# Written atomically (smime_fs_write_path): no temporary file left behind,
# mode 0644.
left=$(ls -A "$work/cache" | grep -v '\.crl$')
mode=$(stat -c %a "$work/cache/"*.crl)
[ -z "$left" ] && [ "$mode" = 644 ] && echo "ok disk-atomic" ||
	{ echo "FAIL disk-atomic: left '$left', mode $mode"; fails=$((fails + 1)); }
# An expired CRL in the cache is fetched again (nextUpdate honoured).
CA_NAME=inter-ca LEAF_EMAIL=none "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt \
    -keyfile inter-ca.key -gencrl -crlsec 1 -out short-crl.pem 2>/dev/null || exit 99
sleep 2
f=$(printf '%s' "$base/cached.crl" | "$OPENSSL" dgst -sha256 -r | cut -c1-64)
[ -f "$work/cache/$f.crl" ] || { echo "FAIL cache-name: no $f.crl"; fails=$((fails + 1)); }
"$OPENSSL" crl -in short-crl.pem -outform DER -out "$work/cache/$f.crl" || exit 99
check expired-cache "smime=pass header.from=cached@example.jp" "$(v -C "$work/cache" cdpcached.eml)"
expect_hits expired-refetch cached.crl 2
# A configured CRL file wins: nothing is downloaded.
check configured-wins "smime=pass header.from=cached@example.jp" "$(v -c crl.pem cdpcached.eml)"
expect_hits configured-no-fetch cached.crl 2

# Failures are "CRL unavailable", bounded by the timeout.
check 404 "smime=temperror (CRL unavailable) header.from=missing@example.jp" "$(v cdp404.eml)"
check oversize "smime=temperror (CRL unavailable) header.from=big@example.jp" "$(v -Z 100000 cdpbig.eml)"
start=$(date +%s)
out=$(v cdpslow.eml)
took=$(($(date +%s) - start))
check slow "smime=temperror (CRL unavailable) header.from=slow@example.jp" "$out"
[ "$took" -le 6 ] && echo "ok slow-bounded (${took}s)" ||
	{ echo "FAIL slow-bounded: ${took}s with a 2s timeout"; fails=$((fails + 1)); }
check unavailable-neutral "smime=neutral (CRL unavailable) header.from=missing@example.jp" "$(v -U neutral cdp404.eml)"
# A definitive answer wins over the missing CRL.
check expired-wins "smime=fail (expired) header.from=old@example.jp" "$(v cdpexpired.eml)"

# Name lookup: in a private mount namespace, /etc/hosts maps
# crl.good.test to loopback and the only DNS server never answers.
dns_out=$(unshare -m true 2>&1) && can_unshare=yes || can_unshare=no
if [ "$can_unshare" = yes ]; then
	printf '127.0.0.1 localhost\n127.0.0.1 crl.good.test\n' > "$work/hosts"
	printf 'nameserver 127.0.0.153\noptions timeout:10 attempts:3\n' > "$work/resolv.conf"
	"$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.153", 53))
end = time.time() + 300
while time.time() < end:
    s.settimeout(1)
    try:
        s.recvfrom(4096)
    except socket.timeout:
        pass
' &
	pids="$pids $!"
	sleep 0.5
	ns() { unshare -m sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' sh "$work/hosts" "$work/resolv.conf" "$@" 2>&1; }
	check named "smime=pass header.from=named@example.jp" "$(ns "$tool" -t trust.pem -i chain.pem -F -W 2 cdpnamed.eml)"
	if grep -Eq "^/inter.crl crl.good.test(:$port)?\$" "$work/log"; then echo "ok host-header"; else
		echo "FAIL host-header:"; cat "$work/log"; fails=$((fails + 1)); fi
	start=$(date +%s)
	out=$(ns "$tool" -t trust.pem -i chain.pem -F -W 2 cdpdns.eml)
	took=$(($(date +%s) - start))
	check dns-silent "smime=temperror (CRL unavailable) header.from=dns@example.jp" "$out"
	[ "$took" -le 6 ] && echo "ok dns-bounded (${took}s)" ||
		{ echo "FAIL dns-bounded: ${took}s with a 2s timeout"; fails=$((fails + 1)); }
	# OCSP: a responder whose name never resolves.
	cat > ocspdns.ext <<EXT
[ v3_o ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:ocspdns@example.jp
authorityInfoAccess = OCSP;URI:http://ocsp.slowdns.test:$port/
EXT
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ocspdns.key 2>/dev/null &&
	CA_NAME=inter-ca LEAF_EMAIL=x "$OPENSSL" req -new -config ca.cnf -key ocspdns.key -subj "/CN=ocspdns" -out ocspdns.csr &&
	CA_NAME=inter-ca LEAF_EMAIL=x "$OPENSSL" ca -batch -config ca.cnf -cert inter-ca.crt -keyfile inter-ca.key \
	    -in ocspdns.csr -out ocspdns.crt -extfile ocspdns.ext -extensions v3_o -notext 2>/dev/null &&
	{
		printf 'From: ocspdns@example.jp\nTo: voter@example.net\nSubject: o\n'
		printf 'Content-Type: text/plain\n\nx\n' |
		"$OPENSSL" cms -sign -signer ocspdns.crt -inkey ocspdns.key -certfile chain.pem
	} > ocspdns.eml || exit 99
	start=$(date +%s)
	out=$(ns "$tool" -t trust.pem -i chain.pem -o -T 2 ocspdns.eml)
	took=$(($(date +%s) - start))
	check ocsp-dns "smime=temperror (OCSP responder unreachable) header.from=ocspdns@example.jp" "$out"
	[ "$took" -le 6 ] && echo "ok ocsp-dns-bounded (${took}s)" ||
		{ echo "FAIL ocsp-dns-bounded: ${took}s with a 2s timeout"; fails=$((fails + 1)); }
else
	echo "# unshare -m not permitted: DNS cases skipped ($dns_out)"
fi
[ "$fails" -eq 0 ]
