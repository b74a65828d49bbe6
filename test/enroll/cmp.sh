#!/bin/sh
# cmp.sh - enroll (ir, PBM), renew (kur, signature) and revoke (rr)
# against openssl's CMP mock server on loopback, with certificates from
# the test's own CA; reload by SIGHUP; the enrolled identity then signs a
# message through smime-milter -t and openssl cms -verify accepts it.
. "${top_srcdir:-.}/test/enroll/common.sh"

make_cmp_server_cert
write_conf "cmp_trusted = \"$pki/root-ca.crt\"; intermediates = \"$pki/chain.pem\";"
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET

# A stand-in for the running milter: records each SIGHUP.  It is a shell
# called smime-milter: smime-enroll signals nothing else (enroll/enroll-proc.c).
# A shell cannot trap a signal that was ignored when it started (POSIX), and
# nohup, some CI runners and terminals-less sessions start the suite with
# SIGHUP ignored: env --default-signal gives the stand-in the default
# disposition, and it says when its trap is set.
cp "$(command -v sh)" "$work/smime-milter" || fail "copy sh"
env --default-signal=HUP "$work/smime-milter" -c "trap 'echo hup >> \"$work/hups\"' HUP; : > \"$work/ready\"; i=0; while [ \$i -lt 3000 ]; do sleep 0.2; i=\$((i+1)); done" &
fake_pid=$!
echo "$fake_pid" > "$work/milter.pid"
trap 'kill $fake_pid 2>/dev/null; cleanup' EXIT INT TERM
hups() { [ -f "$work/hups" ] && wc -l < "$work/hups" || echo 0; }
wait_hups() { # wait_hups N: up to 5 s for N signals
	i=0
	while [ "$(hups)" -lt "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(hups)" -ge "$1" ] || fail "milter not signalled ($(hups) SIGHUPs, want $1)"
}
i=0
while [ ! -f "$work/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# The stand-in really records a SIGHUP (else every check below is void).
kill -HUP "$fake_pid" 2>/dev/null
wait_hups 1
rm -f "$work/hups"

pem_der() { "$OPENSSL" x509 -in "$1" -outform DER | od -An -tx1; }

# --- enroll: ir with PBM -----------------------------------------------
$E keygen taro@example.jp > /dev/null || fail "keygen taro"
$E csr taro@example.jp --cn 山田太郎 --ou 衆議院議員候補 --out "$work/taro.csr" || fail "csr"
issue taro-v1 "$work/taro.csr" taro@example.jp 1095 0x7001

# Wrong shared secret: the server refuses, nothing is installed.
start_cmp -max_msgs 1 -srv_ref kid1 -srv_secret pass:other -rsp_cert "$work/taro-v1.crt"
expect_rc 5 "" $E enroll taro@example.jp --cn 山田太郎 --server "$cmp_url" \
	--ref kid1 --secret env:CMP_SECRET
[ -f "$store/taro@example.jp/cert.pem" ] && fail "installed after a refused ir"

# A certificate for another address: rejected in certConf.
issue wrong "$work/taro.csr" jiro@example.jp 1095 0x7009
start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret -rsp_cert "$work/wrong.crt"
expect_rc 5 "rejected the new certificate: certificate is not for taro@example.jp" \
	$E enroll taro@example.jp --cn 山田太郎 --server "$cmp_url" --ref kid1 --secret env:CMP_SECRET
[ -f "$store/taro@example.jp/cert.pem" ] && fail "installed a rejected cert"

start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret \
	-rsp_cert "$work/taro-v1.crt" -rsp_extracerts "$pki/inter-ca.crt"
$E --dry-run enroll taro@example.jp --cn 山田太郎 --server "$cmp_url" --ref kid1 \
	--secret env:CMP_SECRET > "$work/out" || fail "enroll --dry-run"
grep -q "would send a CMP ir" "$work/out" || fail "dry run output"
$E enroll taro@example.jp --cn 山田太郎 --ou 衆議院議員候補 --server "$cmp_url" \
	--ref kid1 --secret env:CMP_SECRET > "$work/out" || fail "enroll: $(cat "$work/out")"
grep -q "sent SIGHUP to milter pid $fake_pid" "$work/out" || fail "no SIGHUP reported"
wait_hups 1
[ "$(pem_der "$store/taro@example.jp/cert.pem")" = "$(pem_der "$work/taro-v1.crt")" ] ||
	fail "enrolled cert not installed"
[ "$(pem_der "$store/taro@example.jp/chain.pem")" = "$(pem_der "$pki/inter-ca.crt")" ] ||
	fail "chain from extraCerts not installed"
"$OPENSSL" verify -CAfile "$pki/trust.pem" -untrusted "$store/taro@example.jp/chain.pem" \
	-purpose smimesign "$store/taro@example.jp/cert.pem" > /dev/null || fail "enrolled cert"
finish_cmp
grep -c "Received request" "$work/cmp.log" | grep -qx 2 || fail "ir + certConf expected"

# --- renew --within: only the expiring identity changes -----------------
$E keygen hanako@example.jp > /dev/null || fail "keygen hanako"
$E csr hanako@example.jp --cn 佐藤花子 --st 大阪府 --out "$work/hanako.csr" || fail "csr hanako"
issue hanako-v1 "$work/hanako.csr" hanako@example.jp 10 0x7002
$E import hanako@example.jp "$work/hanako-v1.crt" > /dev/null || fail "import hanako"
wait_hups 2
$E list > "$work/list"
grep -q "^hanako@example.jp .* expiring\$" "$work/list" || fail "hanako not expiring: $(cat "$work/list")"
cp -p "$store/taro@example.jp/cert.pem" "$work/taro-before.pem"
cp "$store/hanako@example.jp/key.pem" "$work/hanako-old.key"
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/new.key" 2>/dev/null
"$OPENSSL" pkey -in "$work/new.key" -pubout -out "$work/new.pub"
# openssl 3.0's mock server answers a kur only for the cert it returns, so
# the renewed cert keeps issuer and serial; it differs in key and dates.
issue hanako-v2 "$work/hanako.csr" hanako@example.jp 1095 0x7002 "$work/new.pub"
start_cmp -max_msgs 2 -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/hanako-v2.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
sed -i "s|^enroll = {|enroll = {\n\tcmp_server = \"$cmp_url\";|" "$work/enroll.conf"
$E --dry-run renew --all --newkey "$work/new.key" > "$work/out" || fail "renew --dry-run"
grep -q "would renew hanako@example.jp" "$work/out" || fail "dry-run renew: $(cat "$work/out")"
grep -q "would renew taro" "$work/out" && fail "dry-run would renew taro"
$E renew --all --newkey "$work/new.key" > "$work/out" || fail "renew --all: $(cat "$work/out" "$work/err")"
grep -q "taro@example.jp: not due" "$work/out" || fail "taro not reported as not due"
grep -q "renewed hanako@example.jp" "$work/out" || fail "hanako not renewed"
wait_hups 3
cmp -s "$store/taro@example.jp/cert.pem" "$work/taro-before.pem" || fail "taro changed"
[ -e "$store/taro@example.jp/cert.pem.prev" ] && fail "taro got a .prev"
[ "$(pem_der "$store/hanako@example.jp/cert.pem")" = "$(pem_der "$work/hanako-v2.crt")" ] ||
	fail "hanako: renewed cert not installed"
cmp -s "$store/hanako@example.jp/key.pem" "$work/new.key" || fail "hanako: new key not installed"
cmp -s "$store/hanako@example.jp/key.pem.prev" "$work/hanako-old.key" || fail "hanako: old key not kept"
[ "$(pem_der "$store/hanako@example.jp/cert.pem.prev")" = "$(pem_der "$work/hanako-v1.crt")" ] ||
	fail "hanako: old cert not kept"
finish_cmp
# Nothing is due now: no server is running and none is needed.
$E renew --all > "$work/out" || fail "second renew --all must be a no-op"
sleep 0.5
[ "$(hups)" -eq 3 ] || fail "reload without a change"

# --reuse-key: kur for the same key; the CA's answer must match it.
issue taro-v2 "$work/taro.csr" taro@example.jp 1200 0x7001
start_cmp -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/taro-v2.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
cp "$store/taro@example.jp/key.pem" "$work/taro.key"
# The CA's signing cert must chain to --trusted: a foreign root fails.
expect_rc 5 "error validating protection" $E renew taro@example.jp --within 2000 --reuse-key --server "$cmp_url" \
	--trusted "$pki/other-root.crt"
cmp -s "$store/taro@example.jp/cert.pem" "$work/taro-before.pem" || fail "untrusted CA answer installed"
$E renew taro@example.jp --within 2000 --reuse-key --server "$cmp_url" > /dev/null ||
	fail "renew --reuse-key"
cmp -s "$store/taro@example.jp/key.pem" "$work/taro.key" || fail "--reuse-key changed the key"
[ -e "$store/taro@example.jp/key.pem.prev" ] && fail "--reuse-key made key.pem.prev"
[ "$(pem_der "$store/taro@example.jp/cert.pem")" = "$(pem_der "$work/taro-v2.crt")" ] ||
	fail "taro: renewed cert not installed"
stop_cmp

# --- enroll with signature protection (cr), signed by an existing cert --
$E keygen jiro@example.jp > /dev/null || fail "keygen jiro"
$E csr jiro@example.jp --cn 鈴木次郎 --st 北海道 --out "$work/jiro.csr" || fail "csr jiro"
issue jiro "$work/jiro.csr" jiro@example.jp 1095 0x7003
start_cmp -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/jiro.crt"
# The server checks the protection: a cert from a root it does not trust
# is refused, the party office's cert (saburo, test CA) is accepted.
expect_rc 5 "CA answered PKIStatus: rejection" $E enroll jiro@example.jp --cn 鈴木次郎 --st 北海道 --server "$cmp_url" \
	--cert "$pki/untrusted.crt" --key "$pki/untrusted.key"
[ -f "$store/jiro@example.jp/cert.pem" ] && fail "jiro: installed after refusal"
$E enroll jiro@example.jp --cn 鈴木次郎 --st 北海道 --server "$cmp_url" \
	--cert "$pki/saburo.crt" --key "$pki/saburo.key" > "$work/out" ||
	fail "enroll with --cert/--key: $(cat "$work/out")"
[ "$(pem_der "$store/jiro@example.jp/cert.pem")" = "$(pem_der "$work/jiro.crt")" ] ||
	fail "jiro: cr cert not installed"
stop_cmp

# --- revoke: rr signed with the identity's key, then the marker --------
expect_rc 2 "--reason must be" $E revoke hanako@example.jp --reason unspecified
start_cmp -max_msgs 1 -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/hanako-v2.crt"
$E revoke hanako@example.jp --reason keyCompromise --server "$cmp_url" > "$work/out" || fail "revoke"
grep -q "^reason=keyCompromise" "$store/hanako@example.jp/revoked" || fail "no revoked marker"
wait_hups 5
$E list --json > "$work/list.json" || fail "list --json"
python3 - "$work/list.json" <<'PY' || fail "list after revoke: $(cat "$work/list.json")"
import json, sys
rows = {r["address"]: r for r in json.load(open(sys.argv[1], encoding="utf-8"))}
assert rows["hanako@example.jp"]["status"] == "revoked"
assert rows["taro@example.jp"]["status"] == "ok"
assert rows["taro@example.jp"]["cn"] == "山田太郎"
PY
$E renew hanako@example.jp --within 5000 > "$work/out" || fail "renew of revoked"
grep -q "revoked, not renewed" "$work/out" || fail "revoked identity renewed"

# --- the enrolled identity signs through smime-milter -t ---------------
SMF=$top_builddir/milter/smime-milter
[ -x "$SMF" ] || fail "smime-milter not built"
s=$store/taro@example.jp
# The daemon reads the store with the same configuration file.
$E senders taro@example.jp taro > /dev/null || fail "senders"
printf 'From: 山田太郎 <taro@example.jp>\nTo: voter@example.net\nSubject: test\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\344\275\234\346\210\246\n' \
	> "$work/msg.eml"
"$SMF" -c "$work/enroll.conf" -t "$work/msg.eml" -A taro > "$work/signed.eml" 2> "$work/smf.err" ||
	fail "smime-milter -t: $(cat "$work/smf.err")"
grep -qi "^Content-Type: multipart/signed" "$work/signed.eml" || fail "message not signed"
"$OPENSSL" cms -verify -in "$work/signed.eml" -CAfile "$pki/trust.pem" -purpose smimesign \
	-signer "$work/signer.pem" -out /dev/null 2> "$work/verify.err" ||
	fail "openssl cms -verify: $(cat "$work/verify.err")"
[ "$(pem_der "$work/signer.pem")" = "$(pem_der "$s/cert.pem")" ] ||
	fail "signed with another certificate"
echo "cmp: ok"
