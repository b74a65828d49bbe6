#!/bin/sh
# retitle.sh - 肩書変更 end to end: a candidate's certificate with OU
# 衆議院議員候補 is in use by a running smime-milter; smime-enroll retitle
# --ou 衆議院議員 sends a cr signed with the current certificate to the
# mock CA, installs the answer, reloads the daemon and only then revokes
# the old certificate with reason superseded (rr, signed with the new
# one).  The daemon's X-SMIME-Signer for the next signed message shows
# the new title.  A CA answer that keeps the old OU is refused in certConf
# and changes nothing.
#
# openssl 3.0's mock server answers an rr only for the certificate it
# would issue, so two mock servers run behind a small router: rr goes to
# the one that "issued" the old certificate, everything else to the one
# that issues the new.  The router also keeps the rr for asn1parse.
. "${top_srcdir:-.}/test/enroll/common.sh"

SMF=$top_builddir/milter/smime-milter
CLIENT=$top_builddir/test/client/milterclient
[ -x "$SMF" ] || fail "smime-milter not built"
[ -x "$CLIENT" ] || fail "milterclient not built"
make_cmp_server_cert
sock=$work/milter.sock
id=$store/taro@example.jp
cat > "$work/enroll.conf" <<CONF
socket = "unix:$sock";
mode = "sv";
pidfile = "$work/milter.pid";
authserv_id = "mx.example.jp";
sign = { store = "$store"; };
verify = { trust_anchors = "$pki/trust.pem"; };
enroll = {
	o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	cmp_trusted = "$pki/root-ca.crt";
	intermediates = "$pki/chain.pem";
};
CONF
E="$ENROLL -c $work/enroll.conf"
pem_der() { "$OPENSSL" x509 -in "$1" -outform DER | od -An -tx1; }
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; cleanup' EXIT INT TERM

# The candidate before the election, imported and allowed to send.
$E keygen taro@example.jp > /dev/null || fail "keygen"
$E csr taro@example.jp --cn 山田太郎 --ou 衆議院議員候補 --out "$work/taro.csr" || fail "csr"
issue v1 "$work/taro.csr" taro@example.jp 1095 0x7301
$E import taro@example.jp "$work/v1.crt" > /dev/null || fail "import"
$E senders taro@example.jp taro > /dev/null || fail "senders"

"$SMF" -c "$work/enroll.conf" -f 2> "$work/daemon.err" &
mpid=$!
pids="$pids $mpid"
i=0
while { [ ! -S "$sock" ] || [ ! -s "$work/milter.pid" ]; } && [ $i -lt 100 ] &&
    kill -0 "$mpid" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
[ -S "$sock" ] || fail "smime-milter did not start: $(cat "$work/daemon.err")"

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: retitle\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nbody\n' \
	> "$work/msg"
# title_of N: sign through the milter (submission), save the signer as
# $work/sN.pem, then let the same milter verify it (inbound) and print
# the decoded X-SMIME-Signer it adds.
title_of() {
	timeout 60 "$CLIENT" -s "unix:$sock" -A taro -C 192.0.2.1 -q "S$1" \
		"$work/msg" > "$work/m$1.out" || fail "milterclient sign $1"
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/m$1.out" \
		-signer "$work/s$1.pem" -out /dev/null 2> "$work/verify.err" ||
		fail "message $1 does not verify: $(cat "$work/verify.err")"
	timeout 60 "$CLIENT" -s "unix:$sock" -C 192.0.2.1 -q "V$1" \
		"$work/m$1.out" > "$work/v$1.out" || fail "milterclient verify $1"
	python3 - "$work/v$1.out" <<'PY' || fail "no X-SMIME-Signer in $1: $(head -20 "$work/v$1.out")"
import email, email.header, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
v = msg["X-SMIME-Signer"]
assert v is not None
print(str(email.header.make_header(email.header.decode_header(v))))
PY
}
t=$(title_of 1)
case $t in *"OU=衆議院議員候補"*) ;; *) fail "before: X-SMIME-Signer $t" ;; esac

# start_mock NAME ARGS...: an openssl CMP mock server on a free port
# ($NAME_port), log in $work/NAME.log.
start_mock() {
	name=$1
	shift
	p=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$OPENSSL" cmp -port "$p" "$@" > "$work/$name.log" 2>&1 &
	pids="$pids $!"
	i=0
	until grep -q '^ACCEPT' "$work/$name.log" 2>/dev/null; do
		[ $i -lt 100 ] || fail "mock $name does not start: $(cat "$work/$name.log")"
		sleep 0.1; i=$((i + 1))
	done
	eval "${name}_port=$p"
}
srv="-srv_cert $work/srv.crt -srv_key $work/srv.key -srv_trusted $pki/root-ca.crt"

# --- a CA answer that keeps the old title is refused -------------------
issue_at same "$work/taro.csr" taro@example.jp $((1095 * 86400)) 0x7309
start_mock bad $srv -rsp_cert "$work/same.crt" -rsp_extracerts "$pki/inter-ca.crt"
cp "$id/cert.pem" "$work/before.pem"
expect_rc 5 "lacks the requested OU=衆議院議員" $E retitle taro@example.jp --ou 衆議院議員 \
	--reuse-key --server "127.0.0.1:$bad_port/pkix/"
cmp -s "$id/cert.pem" "$work/before.pem" || fail "installed a certificate with the old title"
grep -q "Received request" "$work/bad.log" || fail "bad CA not asked"
expect_rc 2 "needs the new --ou" $E retitle taro@example.jp --server "127.0.0.1:$bad_port/pkix/"

# --- the real flow: new key, new OU, then rr superseded ---------------
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/new.key" 2>/dev/null
"$OPENSSL" req -new -key "$work/new.key" -subj "/CN=x" -out "$work/new.csr" 2>/dev/null
# The CA's answer: the candidate's subject with the new OU, for new.key.
python3 - "$work/taro.csr" "$work/new.csr" "$work/v2.csr" "$work/new.key" <<'PY' || fail "v2 csr"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
old = x509.load_pem_x509_csr(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[4], "rb").read(), None)
req = x509.CertificateSigningRequestBuilder().subject_name(old.subject).sign(key, hashes.SHA256())
open(sys.argv[3], "wb").write(req.public_bytes(serialization.Encoding.PEM))
PY
issue_at v2 "$work/v2.csr" taro@example.jp $((1095 * 86400)) 0x7302 衆議院議員
start_mock issuer $srv -rsp_cert "$work/v2.crt" -rsp_extracerts "$pki/inter-ca.crt"
start_mock revoker $srv -rsp_cert "$work/v1.crt"
python3 - "$issuer_port" "$revoker_port" "$work/router" <<'PY' > "$work/router.log" 2>&1 &
import http.client, http.server, sys
issuer, revoker, state = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def body_tag(der):
    def hdr(i):
        n = der[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(der[i:i + k], "big")
            i += k
        return n, i
    _, i = hdr(0)            # into PKIMessage
    n, j = hdr(i)            # over PKIHeader
    return der[j + n]        # PKIBody CHOICE tag: 0xab is rr [11]
class Router(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        rr = body_tag(data) == 0xab
        if rr:
            open(state + ".rr.der", "wb").write(data)
        c = http.client.HTTPConnection("127.0.0.1", revoker if rr else issuer, timeout=30)
        # HTTP/1.0 as OpenSSL's client: the 3.0 mock server keeps an
        # HTTP/1.1 connection for the next message of the transaction.
        c._http_vsn, c._http_vsn_str = 10, "HTTP/1.0"
        c.request("POST", self.path, data, {"Content-Type": "application/pkixcmp"})
        r = c.getresponse()
        out = r.read()
        self.send_response(r.status)
        self.send_header("Content-Type", "application/pkixcmp")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        with open(state + ".seq", "a") as f:
            f.write("rr\n" if rr else "%02x\n" % body_tag(data))
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), Router)
open(state + ".port.tmp", "w").write(str(s.server_address[1]))
import os
os.rename(state + ".port.tmp", state + ".port")
s.serve_forever()
PY
pids="$pids $!"
i=0
until [ -s "$work/router.port" ]; do
	[ $i -lt 100 ] || fail "router does not start: $(cat "$work/router.log")"
	sleep 0.1; i=$((i + 1))
done
url="127.0.0.1:$(cat "$work/router.port")/pkix/"

$E --dry-run retitle taro@example.jp --ou 衆議院議員 --newkey "$work/new.key" --server "$url" \
	> "$work/out" || fail "retitle --dry-run"
grep -q "would request OU \"衆議院議員\"" "$work/out" || fail "dry run: $(cat "$work/out")"
[ -e "$work/router.seq" ] && fail "--dry-run talked to the CA"
$E retitle taro@example.jp --ou 衆議院議員 --newkey "$work/new.key" --server "$url" \
	> "$work/out" 2> "$work/err" || fail "retitle: $(cat "$work/out" "$work/err")"
# Order: install, reload, then revoke.
grep -n "" "$work/out" > "$work/out.n"
l_inst=$(grep "retitled taro@example.jp: serial 7302" "$work/out.n" | cut -d: -f1)
l_hup=$(grep "sent SIGHUP to milter pid $mpid" "$work/out.n" | cut -d: -f1)
l_rev=$(grep "revoked the previous certificate of taro@example.jp (serial 7301) as superseded" "$work/out.n" | cut -d: -f1)
[ -n "$l_inst" ] && [ -n "$l_hup" ] && [ -n "$l_rev" ] &&
	[ "$l_inst" -lt "$l_hup" ] && [ "$l_hup" -lt "$l_rev" ] ||
	fail "retitle output order: $(cat "$work/out")"
# cr (a2), certConf (b8), then rr to the revoker with CRLReason 4.
[ "$(tr '\n' ' ' < "$work/router.seq")" = "a2 b8 rr " ] ||
	fail "CMP messages: $(cat "$work/router.seq")"
"$OPENSSL" asn1parse -inform DER -in "$work/router.rr.der" > "$work/rr.txt" || fail "asn1parse rr"
grep -A1 "X509v3 CRL Reason Code" "$work/rr.txt" | grep -q "0A0104" ||
	fail "rr reason is not superseded: $(cat "$work/rr.txt")"
grep -q "Received request" "$work/revoker.log" || fail "revoker not asked"
# Installed: new cert and key, old ones kept for rollback, not marked.
[ "$(pem_der "$id/cert.pem")" = "$(pem_der "$work/v2.crt")" ] || fail "v2 not installed"
cmp -s "$id/key.pem" "$work/new.key" || fail "new key not installed"
[ "$(pem_der "$id/cert.pem.prev")" = "$(pem_der "$work/v1.crt")" ] || fail "v1 not kept"
[ -e "$id/revoked" ] && fail "identity marked revoked (only the old certificate is)"

# The running daemon now signs as 衆議院議員.
n=2
while :; do
	t=$(title_of $n)
	[ "$(pem_der "$work/s$n.pem")" = "$(pem_der "$work/v2.crt")" ] && break
	[ $n -lt 30 ] || fail "still signing with the old certificate"
	n=$((n + 1))
	sleep 0.2
done
case $t in
*"OU=衆議院議員候補"*) fail "after: old title in X-SMIME-Signer: $t" ;;
*"OU=衆議院議員"*) ;;
*) fail "after: X-SMIME-Signer $t" ;;
esac

# revoke --previous retries the rr for cert.pem.prev without marking.
: > "$work/router.seq"
$E revoke taro@example.jp --previous --reason superseded --server "$url" > "$work/out" ||
	fail "revoke --previous: $(cat "$work/out")"
grep -q "revoked the previous certificate of taro@example.jp: serial 7301" "$work/out" ||
	fail "revoke --previous: $(cat "$work/out")"
[ "$(cat "$work/router.seq")" = "rr" ] || fail "revoke --previous sent $(cat "$work/router.seq")"
[ -e "$id/revoked" ] && fail "revoke --previous marked the identity"

kill -TERM "$mpid"
i=0
while kill -0 "$mpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -qE 'Sanitizer|runtime error:' "$work/daemon.err" &&
	fail "sanitizer report: $(grep -A20 -E 'Sanitizer|runtime error:' "$work/daemon.err")"
echo "retitle: ok"
