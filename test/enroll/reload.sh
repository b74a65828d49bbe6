#!/bin/sh
# reload.sh - a running smime-milter switches to the renewed certificate:
# enroll an expiring identity over CMP, start the daemon with a pid file,
# sign through the milter protocol (milterclient), renew --all (kur, new
# key) so that smime-enroll sends SIGHUP via the pid file, and check that
# the same daemon process now signs with the new certificate.
. "${top_srcdir:-.}/test/enroll/common.sh"

SMF=$top_builddir/milter/smime-milter
CLIENT=$top_builddir/test/client/milterclient
[ -x "$SMF" ] || fail "smime-milter not built"
[ -x "$CLIENT" ] || fail "milterclient not built"
make_cmp_server_cert
sock=$work/milter.sock
# One configuration file for both programs, as in production: the daemon
# loads the identities smime-enroll maintains in sign.store.
cat > "$work/enroll.conf" <<CONF
socket = "unix:$sock";
mode = "s";
pidfile = "$work/milter.pid";
sign = { store = "$store"; };
enroll = {
	o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	renew_within = 30;
	cmp_trusted = "$pki/root-ca.crt";
	intermediates = "$pki/chain.pem";
};
CONF
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
pem_der() { "$OPENSSL" x509 -in "$1" -outform DER | od -An -tx1; }

$E keygen taro@example.jp > /dev/null || fail "keygen"
$E csr taro@example.jp --cn 山田太郎 --out "$work/taro.csr" || fail "csr"
issue v1 "$work/taro.csr" taro@example.jp 20 0x7101
start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret -rsp_cert "$work/v1.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
$E enroll taro@example.jp --cn 山田太郎 --server "$cmp_url" --ref kid1 \
	--secret env:CMP_SECRET > "$work/out" || fail "enroll"
grep -q "no running milter" "$work/out" || fail "reload attempted without a milter"
stop_cmp
$E senders taro@example.jp taro > /dev/null || fail "senders"

"$SMF" -c "$work/enroll.conf" -f 2> "$work/daemon.err" &
mpid=$!
trap 'kill $mpid 2>/dev/null; cleanup' EXIT INT TERM
i=0
while { [ ! -S "$sock" ] || [ ! -s "$work/milter.pid" ]; } && [ $i -lt 100 ] &&
    kill -0 "$mpid" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
[ -S "$sock" ] || fail "smime-milter did not start: $(cat "$work/daemon.err")"

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: reload\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nbody\n' \
	> "$work/msg"
# signer_of N: sign through the milter and save the signer as $work/sN.pem
signer_of() {
	timeout 60 "$CLIENT" -s "unix:$sock" -A taro -C 192.0.2.1 -q "Q$1" \
		"$work/msg" > "$work/m$1.out" || fail "milterclient $1"
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/m$1.out" \
		-signer "$work/s$1.pem" -out /dev/null 2> "$work/verify.err" ||
		fail "message $1 does not verify: $(cat "$work/verify.err")"
}
signer_of 1
[ "$(pem_der "$work/s1.pem")" = "$(pem_der "$work/v1.crt")" ] || fail "not signed with v1"

# Renewal with a new key; the mock server answers with v2.
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/new.key" 2>/dev/null
"$OPENSSL" pkey -in "$work/new.key" -pubout -out "$work/new.pub"
issue v2 "$work/taro.csr" taro@example.jp 1095 0x7101 "$work/new.pub"
start_cmp -max_msgs 2 -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/v2.crt"
$E renew --all --newkey "$work/new.key" --server "$cmp_url" > "$work/out" ||
	fail "renew: $(cat "$work/out")"
grep -q "sent SIGHUP to milter pid $mpid" "$work/out" || fail "no SIGHUP: $(cat "$work/out")"

# The same process picks up v2 (bounded wait for the reload worker).
n=2
while :; do
	signer_of $n
	[ "$(pem_der "$work/s$n.pem")" = "$(pem_der "$work/v2.crt")" ] && break
	[ $n -lt 30 ] || fail "still signing with the old certificate after reload"
	n=$((n + 1))
	sleep 0.2
done
kill -0 "$mpid" 2>/dev/null || fail "daemon died during reload"
kill -TERM "$mpid"
i=0
while kill -0 "$mpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -qE 'Sanitizer|runtime error:' "$work/daemon.err" &&
	fail "sanitizer report: $(grep -A20 -E 'Sanitizer|runtime error:' "$work/daemon.err")"
echo "reload: ok ($((n - 1)) message(s) until the switch)"
