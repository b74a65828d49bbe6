#!/bin/sh
# pending.sh - a configuration that names an identity before it exists:
# sign.identities points at files in sign.store that smime-enroll has yet
# to create.  smime-enroll and smime-milter -n load it with a warning; the
# daemon starts, skips the identity (mail from it goes out unsigned) and,
# once smime-enroll has enrolled it over CMP (mock CA) and sent SIGHUP,
# signs with it (senders from the configuration) without a restart.
. "${top_srcdir:-.}/test/enroll/common.sh"

SMF=$top_builddir/milter/smime-milter
CLIENT=$top_builddir/test/client/milterclient
[ -x "$SMF" ] || fail "smime-milter not built"
[ -x "$CLIENT" ] || fail "milterclient not built"
sock=$work/milter.sock
id=$store/taro@example.jp
cat > "$work/enroll.conf" <<CONF
socket = "unix:$sock";
mode = "s";
pidfile = "$work/milter.pid";
sign = {
	store = "$store";
	identities = (
		{
			address = "taro@example.jp";
			cert = "$id/cert.pem";
			key = "$id/key.pem";
			chain = "$id/chain.pem";
			senders = [ "taro" ];
		}
	);
};
enroll = {
	o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	intermediates = "$pki/chain.pem";
};
CONF
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
pem_der() { "$OPENSSL" x509 -in "$1" -outform DER | od -An -tx1; }

# smime-enroll runs on the config whose identity it is about to create.
expect_rc 0 "conf:9: sign.identities[0].cert: $id/cert.pem does not exist: taro@example.jp is not enrolled yet" \
	$E list
"$SMF" -c "$work/enroll.conf" -n > "$work/out" 2> "$work/err" ||
	fail "smime-milter -n refused a pending identity: $(cat "$work/err")"
grep -q "not enrolled yet" "$work/err" || fail "smime-milter -n: no warning: $(cat "$work/err")"
grep -q "(0 signing identities)" "$work/out" || fail "-n: $(cat "$work/out")"
"$SMF" -c "$work/enroll.conf" -T > "$work/effective" 2>/dev/null || fail "-T"
grep -q "# not enrolled yet" "$work/effective" || fail "-T: $(cat "$work/effective")"

"$SMF" -c "$work/enroll.conf" -f 2> "$work/daemon.err" &
mpid=$!
trap 'kill $mpid 2>/dev/null; cleanup' EXIT INT TERM
i=0
while { [ ! -S "$sock" ] || [ ! -s "$work/milter.pid" ]; } && [ $i -lt 100 ] &&
    kill -0 "$mpid" 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
[ -S "$sock" ] || fail "smime-milter did not start: $(cat "$work/daemon.err")"

printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: pending\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nbody\n' \
	> "$work/msg"
send() { # send N: through the milter, result in $work/mN.out
	timeout 60 "$CLIENT" -s "unix:$sock" -A taro -C 192.0.2.1 -q "Q$1" \
		"$work/msg" > "$work/m$1.out" || fail "milterclient $1"
}
send 1
grep -qi "multipart/signed" "$work/m1.out" && fail "signed before enrollment"

# Enroll: ir with PBM against the mock CA; smime-enroll sends SIGHUP.
$E keygen taro@example.jp > /dev/null 2>&1 || fail "keygen"
$E csr taro@example.jp --cn 山田太郎 --out "$work/taro.csr" 2>/dev/null || fail "csr"
issue v1 "$work/taro.csr" taro@example.jp 1095 0x7201
start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret -rsp_cert "$work/v1.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
$E enroll taro@example.jp --cn 山田太郎 --server "$cmp_url" --ref kid1 \
	--secret env:CMP_SECRET > "$work/out" 2> "$work/err" || fail "enroll: $(cat "$work/err")"
grep -q "sent SIGHUP to milter pid $mpid" "$work/out" || fail "no SIGHUP: $(cat "$work/out")"
finish_cmp
# After the reload smime-enroll no longer warns.
$E list > /dev/null 2> "$work/err" || fail "list after enroll"
grep -q "not enrolled yet" "$work/err" && fail "still pending after enroll"

# The same daemon now signs with the enrolled certificate (bounded wait
# for the reload); the login comes from the configured senders.
n=2
while :; do
	send $n
	grep -qi "multipart/signed" "$work/m$n.out" && break
	[ $n -lt 30 ] || fail "not signing after reload: $(tail -5 "$work/daemon.err")"
	n=$((n + 1))
	sleep 0.2
done
"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/m$n.out" \
	-signer "$work/signer.pem" -out /dev/null 2> "$work/verify.err" ||
	fail "does not verify: $(cat "$work/verify.err")"
[ "$(pem_der "$work/signer.pem")" = "$(pem_der "$work/v1.crt")" ] ||
	fail "signed with another certificate"
kill -0 "$mpid" 2>/dev/null || fail "daemon died during reload"
kill -TERM "$mpid"
i=0
while kill -0 "$mpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "1 signing identities" "$work/daemon.err" ||
	fail "reload did not load the identity: $(cat "$work/daemon.err")"
grep -qE 'Sanitizer|runtime error:' "$work/daemon.err" &&
	fail "sanitizer report: $(grep -A20 -E 'Sanitizer|runtime error:' "$work/daemon.err")"
echo "pending: ok"
