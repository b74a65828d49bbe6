#!/bin/sh
# reuse-csr.sh - csr keeps the request as STORE/ADDRESS/request.pem and
# enroll without --cn takes its subject (UTF-8 OU, L, emailAddress) when
# it is for the identity's key; single options still replace fields; a
# request for an older key is ignored.  The enrollment itself runs
# against the mock CMP server.
. "${top_srcdir:-.}/test/enroll/common.sh"

write_conf
E="$ENROLL -c $work/enroll.conf"
CMP_SECRET=s3cret; export CMP_SECRET
id=$store/taro@example.jp

$E keygen taro@example.jp > /dev/null || fail "keygen"
$E csr taro@example.jp --cn 山田太郎 --ou 衆議院議員候補 --l 港区 --dn-email \
	--out "$work/taro.csr" || fail "csr"
cmp -s "$work/taro.csr" "$id/request.pem" || fail "request.pem is not the CSR"

# The subject comes from the request (L 港区, not enroll.l 千代田区).
$E --dry-run enroll taro@example.jp --server 127.0.0.1:9/pkix/ --ref kid1 \
	--secret env:CMP_SECRET > "$work/out" 2> "$work/err" || fail "dry run: $(cat "$work/err")"
grep -q "using the subject of the pending request" "$work/out" || fail "request not used: $(cat "$work/out")"
want=$("$OPENSSL" req -in "$work/taro.csr" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
grep -qF "subject $want" "$work/out" || fail "subject: want $want: $(cat "$work/out")"
grep -q "OU=衆議院議員候補" "$work/out" && grep -q "L=港区" "$work/out" &&
	grep -q "emailAddress=taro@example.jp" "$work/out" || fail "fields: $(cat "$work/out")"
# An option replaces one field, the rest stays the request's.
$E --dry-run enroll taro@example.jp --ou 衆議院議員 --server 127.0.0.1:9/pkix/ --ref kid1 \
	--secret env:CMP_SECRET > "$work/out" || fail "dry run --ou"
grep -q "OU=衆議院議員," "$work/out" && grep -q "L=港区" "$work/out" ||
	fail "--ou override: $(cat "$work/out")"

# The real enrollment, no subject typed again.
issue taro "$work/taro.csr" taro@example.jp 1095 0x7501
start_cmp -max_msgs 2 -srv_ref kid1 -srv_secret pass:s3cret -rsp_cert "$work/taro.crt" \
	-rsp_extracerts "$pki/inter-ca.crt"
$E enroll taro@example.jp --server "$cmp_url" --ref kid1 --secret env:CMP_SECRET \
	> "$work/out" 2> "$work/err" || fail "enroll without --cn: $(cat "$work/err")"
grep -q "enrolled taro@example.jp: serial 7501" "$work/out" || fail "enroll: $(cat "$work/out")"
finish_cmp

# A request for the previous key is not used; without one --cn is needed.
$E keygen taro@example.jp --force > /dev/null 2>&1 || fail "keygen --force"
expect_rc 4 "CN: required" $E --dry-run enroll taro@example.jp --server 127.0.0.1:9/pkix/ \
	--ref kid1 --secret env:CMP_SECRET
grep -q "request.pem is for another key; ignored" "$work/err" || fail "no warning: $(cat "$work/err")"
expect_rc 4 "CN: required" $E --dry-run enroll hanako@example.jp --server 127.0.0.1:9/pkix/ \
	--ref kid1 --secret env:CMP_SECRET
echo "reuse-csr: ok"
