#!/bin/sh
# enroll.sh - smime-enroll with keys on a PKCS#11 token (SoftHSM2):
#  - keygen --pkcs11 URI generates the pair on the token and records
#    key.uri in the store (no key.pem, no key material anywhere on disk);
#  - csr is signed by the token key; the test CA issues the certificate,
#    import installs it, list shows where the key lives (URI, no PIN path);
#  - smime-milter signs with it through the milter protocol; openssl and
#    gpgsm verify;
#  - CMP: enroll (ir, PBM, POPO signed by the token) and renew (kur,
#    protected by the token key, which renewing keeps) against openssl's
#    mock CMP server;
#  - a token that is absent makes keygen fail cleanly, nothing written.
. "${top_srcdir:-.}/test/enroll/common.sh"
tmp=$work
. "${top_srcdir:-.}/test/pkcs11/common.sh"

make_cmp_server_cert
write_conf "cmp_trusted = \"$pki/root-ca.crt\"; intermediates = \"$pki/chain.pem\";"
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
taro="pkcs11:token=party;object=taro;type=private?pin-source=file:$pinfile&module-path=$softhsm"
hanako="pkcs11:token=party;object=hanako?pin-source=file:$pinfile"

# --- keygen on the token -------------------------------------------------
$E keygen taro@example.jp --type rsa:2048 --pkcs11 "$taro" > "$work/out" 2>&1 ||
	fail "keygen --pkcs11: $(cat "$work/out")"
grep -q "generated RSA-2048 key on the token: pkcs11:token=party;object=taro;type=private" "$work/out" ||
	fail "keygen output: $(cat "$work/out")"
[ -f "$store/taro@example.jp/key.uri" ] || fail "no key.uri"
[ -e "$store/taro@example.jp/key.pem" ] && fail "key.pem written for a token key"
[ "$(cat "$store/taro@example.jp/key.uri")" = "$taro" ] || fail "key.uri: $(cat "$store/taro@example.jp/key.uri")"
echo "ok: keygen --pkcs11 put the key on the token and key.uri in the store"
expect_rc 6 "key.uri exists" $E keygen taro@example.jp --pkcs11 "$taro"
# The same label again on the token (other address): refused by the token check.
expect_rc 4 "exists on the token already" $E keygen jiro@example.jp --pkcs11 "$taro"
[ -e "$store/jiro@example.jp/key.uri" ] && fail "key.uri written after a refused keygen"
expect_rc 2 "pin-value" $E keygen jiro@example.jp --pkcs11 "pkcs11:token=party;object=j?pin-value=1234"
expect_rc 1 "token not present" $E keygen jiro@example.jp --pkcs11 "pkcs11:token=nosuch;object=j?pin-source=file:$pinfile"
[ -e "$store/jiro@example.jp/key.uri" ] && fail "key.uri written for an absent token"
echo "ok: keygen refuses an existing key, pin-value and an absent token"
# Without pin-source the PIN comes from the environment, never argv.
expect_rc 1 "no PIN" $E keygen saburo@example.jp --pkcs11 "pkcs11:token=party;object=saburo"
SMIME_PKCS11_PIN=$userpin $E keygen saburo@example.jp --type ec:P-384 \
    --pkcs11 "pkcs11:token=party;object=saburo" > "$work/out" 2>&1 ||
	fail "keygen with SMIME_PKCS11_PIN: $(cat "$work/out")"
grep -q "generated EC P-384 key on the token" "$work/out" || fail "P-384 keygen: $(cat "$work/out")"
echo "ok: PIN from SMIME_PKCS11_PIN; no PIN at all is refused"

# --- csr signed on the token, certificate from the test CA ----------------
$E csr taro@example.jp --cn 山田太郎 --ou 衆議院議員候補 --out "$work/taro.csr" > "$work/out" 2>&1 ||
	fail "csr: $(cat "$work/out")"
"$OPENSSL" req -verify -noout -in "$work/taro.csr" 2>/dev/null || fail "CSR signature does not verify"
issue taro-v1 "$work/taro.csr" taro@example.jp 1095 0x7101
# The reload command (a shell, whatever the admin wrote) does not get the
# PIN in its environment: nothing it starts needs it, and its children
# and their logs would keep it.
write_conf "cmp_trusted = \"$pki/root-ca.crt\"; intermediates = \"$pki/chain.pem\"; reload_command = \"env > $work/reload.env\";"
SMIME_PKCS11_PIN=$userpin $E import taro@example.jp "$work/taro-v1.crt" > "$work/out" 2>&1 || fail "import: $(cat "$work/out")"
if [ ! -s "$work/reload.env" ]; then
	fail "reload command not run: $(cat "$work/out")"
elif grep -q "SMIME_PKCS11_PIN\|$userpin" "$work/reload.env"; then
	fail "the reload command got the PIN in its environment"
else
	echo "ok: the reload command runs without SMIME_PKCS11_PIN"
fi
write_conf "cmp_trusted = \"$pki/root-ca.crt\"; intermediates = \"$pki/chain.pem\";"
[ -e "$store/taro@example.jp/key.pem" ] && fail "import wrote key.pem"
$E list > "$work/list" || fail "list"
grep -q "^taro@example.jp .*pkcs11:token=party;object=taro;type=private .* ok\$" "$work/list" ||
	fail "list row: $(cat "$work/list")"
grep -q "pin" "$work/list" && fail "list shows the PIN source: $(cat "$work/list")"
$E list --json | grep -q '"key": "pkcs11:token=party;object=taro;type=private"' || fail "list --json key"
echo "ok: csr signed by the token verifies; import and list (key on the token)"

# --- the daemon signs with the store's token key ----------------------------
milter=$top_builddir/milter/smime-milter
client=$top_builddir/test/client/milterclient
if [ -x "$milter" ] && [ -x "$client" ]; then
	cat > "$work/milter.conf" <<CONF
socket = "unix:$work/m.sock";
authserv_id = "mx.test";
mode = "s";
log_level = "debug";
sign = { store = "$store"; };
CONF
	cp "$pki/chain.pem" "$store/taro@example.jp/chain.pem"
	echo taro > "$store/taro@example.jp/senders"
	"$milter" -c "$work/milter.conf" -f -p "unix:$work/m.sock" 2> "$work/daemon.err" &
	mpid=$!
	i=0
	while [ ! -S "$work/m.sock" ] && [ $i -lt 200 ] && kill -0 $mpid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	printf 'From: <taro@example.jp>\nTo: v@example.net\nSubject: store\n\nfrom the store, key on the token\n' > "$work/m.eml"
	timeout 60 "$client" -s "unix:$work/m.sock" -A taro -C 192.0.2.1 -q ST1 "$work/m.eml" > "$work/m.out" ||
		{ cat "$work/daemon.err"; fail "store identity did not sign"; }
	kill -TERM $mpid; wait $mpid
	grep -E -q 'Sanitizer|runtime error:' "$work/daemon.err" && { cat "$work/daemon.err"; fail "sanitizer report"; }
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$work/m.out" -out /dev/null 2>/dev/null ||
		fail "openssl does not verify the store-token signature"
	if gpgsm_setup; then
		gpgsm_verifies "$work/m.out" || fail "gpgsm does not verify"
		echo "ok: smime-milter signed with the store's token key; openssl and gpgsm verify"
	else
		echo "ok: smime-milter signed with the store's token key; openssl verifies (no gpgsm)"
	fi
else
	echo "SKIP part: smime-milter or milterclient not built"
fi

# --- CMP enroll (ir) with a token key ----------------------------------------
$E keygen hanako@example.jp --type ec:P-256 --pkcs11 "$hanako" > /dev/null || fail "keygen hanako"
$E csr hanako@example.jp --cn 佐藤花子 --st 大阪府 --out "$work/hanako.csr" > /dev/null || fail "csr hanako"
issue hanako-v1 "$work/hanako.csr" hanako@example.jp 1095 0x7102
start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret \
	-rsp_cert "$work/hanako-v1.crt" -rsp_extracerts "$pki/inter-ca.crt"
$E enroll hanako@example.jp --cn 佐藤花子 --st 大阪府 --server "$cmp_url" \
	--ref kid1 --secret env:CMP_SECRET > "$work/out" 2>&1 || fail "enroll: $(cat "$work/out")"
finish_cmp
cmp -s "$store/hanako@example.jp/cert.pem" "$work/hanako-v1.crt" ||
	"$OPENSSL" x509 -in "$store/hanako@example.jp/cert.pem" -noout -serial | grep -qi 7102 ||
	fail "hanako: enrolled cert not installed"
[ -e "$store/hanako@example.jp/key.pem" ] && fail "enroll wrote key.pem for a token key"
echo "ok: CMP enroll (ir) with the token key"

# --- CMP renew (kur), protected by the token key, which it keeps -------------
issue taro-v2 "$work/taro.csr" taro@example.jp 1200 0x7101
start_cmp -srv_cert "$work/srv.crt" -srv_key "$work/srv.key" \
	-srv_trusted "$pki/root-ca.crt" -rsp_cert "$work/taro-v2.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
$E renew taro@example.jp --within 2000 --server "$cmp_url" > "$work/out" 2>&1 ||
	fail "renew: $(cat "$work/out")"
stop_cmp
grep -q "renewed taro@example.jp" "$work/out" || fail "renew output: $(cat "$work/out")"
"$OPENSSL" x509 -in "$store/taro@example.jp/cert.pem" -noout -enddate > "$work/end2"
"$OPENSSL" x509 -in "$work/taro-v2.crt" -noout -enddate | cmp -s - "$work/end2" || fail "renewed cert not installed"
[ "$(cat "$store/taro@example.jp/key.uri")" = "$taro" ] || fail "renew changed key.uri"
[ -e "$store/taro@example.jp/key.pem" ] && fail "renew wrote a key file"
echo "ok: CMP renew (kur) signed by the token key; the key stays on the token"

# --- nothing secret on disk -------------------------------------------------
grep -rl "PRIVATE KEY" "$store" && fail "key material in the store"
grep -rlF "$userpin" "$store" "$work/enroll.conf" && fail "the PIN in the store or config"
echo "ok: no key material or PIN in the store"
exit 0
