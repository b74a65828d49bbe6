#!/bin/sh
# check.sh - smime-enroll check: certificates at 100, 30 and 0 days left
# (and expired) in sign.store and in sign.identities; one line per due
# identity, exit 8, notification mail through a sendmail(1) stub that
# records its arguments and input (parsed with Python's email package);
# day counts agree between import, list, list --json and check (floor).
. "${top_srcdir:-.}/test/enroll/common.sh"

H=43200	# half a day: every count below is stable for 12 hours
D=86400
cat > "$work/sendmail" <<STUB
#!/bin/sh
printf '%s\n' "\$@" > "$work/mail.args"
cat > "$work/mail.eml"
exit \${STUB_RC:-0}
STUB
chmod +x "$work/sendmail"

# hand@: a hand-written sign.identities entry outside the store
"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$work/hand.key" 2>/dev/null || fail "hand key"
chmod 600 "$work/hand.key"
"$OPENSSL" req -new -key "$work/hand.key" -subj "/CN=Hand Written" \
	-out "$work/hand.csr" 2>/dev/null || fail "hand csr"
issue_at hand "$work/hand.csr" hand@example.jp $((10 * D + H)) 0x8101

conf() { # conf FILE STORE [ENROLL-LINES]
	cat > "$1" <<CONF
socket = "unix:$work/sock";
mode = "s";
sign = {
	store = "$2";
	identities = ( { address = "hand@example.jp"; cert = "$work/hand.crt";
		key = "$work/hand.key"; } );
};
enroll = {
	o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	renew_within = 30;
	intermediates = "$pki/chain.pem";
	sendmail = "${SENDMAIL:-$work/sendmail}";
	$3
};
CONF
}
conf "$work/enroll.conf" "$store" 'notify = "admin@example.jp";'
E="$ENROLL -c $work/enroll.conf"

# enrol NAME SECONDS SERIAL: key, CSR, certificate with SECONDS left,
# imported (expired ones are copied: import refuses them).
enrol() {
	$E keygen "$1@example.jp" > /dev/null || fail "keygen $1"
	$E csr "$1@example.jp" --cn "候補$1" --ou 衆議院議員候補 \
		--out "$work/$1.csr" || fail "csr $1"
	issue_at "$1" "$work/$1.csr" "$1@example.jp" "$2" "$3"
	if [ "$2" -gt 0 ]; then
		$E import "$1@example.jp" "$work/$1.crt" > "$work/import-$1" ||
			fail "import $1"
	else
		cp "$work/$1.crt" "$store/$1@example.jp/cert.pem"
	fi
}
enrol d100 $((100 * D + H)) 0x8001
enrol d30 $((30 * D + H)) 0x8002
enrol d0 $H 0x8003
enrol gone -3600 0x8004		# expired an hour ago: -1 days (floor)
enrol gone2 $((-D - H)) 0x8005	# a day and a half ago: -2 days
$E keygen pending@example.jp > /dev/null || fail "keygen pending"
enrol rev $((5 * D)) 0x8006
echo "reason=superseded" > "$store/rev@example.jp/revoked"

# --- one function counts days: import, list and check agree ----------
grep -q "(100 days)" "$work/import-d100" || fail "import: $(cat "$work/import-d100")"
grep -q "(30 days)" "$work/import-d30" || fail "import: $(cat "$work/import-d30")"
grep -q "(0 days)" "$work/import-d0" || fail "import: $(cat "$work/import-d0")"
$E list > "$work/list" || fail "list"
for row in "d100 100" "d30 30" "d0 0" "gone -1" "gone2 -2"; do
	set -- $row
	grep -Eq "^$1@example.jp .* $2 +(ok|expiring|expired)\$" "$work/list" ||
		fail "list: $1 should show $2 days: $(cat "$work/list")"
done
$E list --json > "$work/list.json" || fail "list --json"
python3 - "$work/list.json" <<'PY' || fail "list --json days: $(cat "$work/list.json")"
import json, sys
rows = {r["address"].split("@")[0]: r for r in json.load(open(sys.argv[1], encoding="utf-8"))}
want = {"d100": (100, "ok"), "d30": (30, "expiring"), "d0": (0, "expiring"),
        "gone": (-1, "expired"), "gone2": (-2, "expired")}
for name, (days, status) in want.items():
    assert rows[name]["days_left"] == days, (name, rows[name])
    assert rows[name]["status"] == status, (name, rows[name])
PY

# --- check --days 30: 30, 0, expired, hand (10); not 100, pending, revoked
expect_rc 8 "" $E check --days 30
cp "$work/out" "$work/check30"
[ "$(wc -l < "$work/check30")" -eq 5 ] || fail "check --days 30: $(cat "$work/check30")"
grep -q "^d30@example.jp: expires in 30 days, not after .*, serial 8002, CN 候補d30, OU 衆議院議員候補, " \
	"$work/check30" || fail "d30 line: $(cat "$work/check30")"
grep -q "^d0@example.jp: expires in 0 days" "$work/check30" || fail "d0 line"
grep -q "^gone@example.jp: expired (-1 days), not after " "$work/check30" || fail "gone line"
grep -q "^gone2@example.jp: expired (-2 days)" "$work/check30" || fail "gone2 line"
grep -q "^hand@example.jp: expires in 10 days, .*CN Hand Written, $work/enroll.conf:" \
	"$work/check30" || fail "hand line: $(cat "$work/check30")"
grep -Eq "^(d100|pending|rev)@" "$work/check30" && fail "not due reported: $(cat "$work/check30")"
# The day count printed by check is the one list printed.
grep -q "^d30@.* 30 " "$work/list" || fail "list and check disagree"

# The mail: recipient as an argument, not a header sendmail -t would read.
[ "$(cat "$work/mail.args")" = "$(printf '%s\n' -oi admin@example.jp)" ] ||
	fail "sendmail arguments: $(cat "$work/mail.args")"
python3 - "$work/mail.eml" "$work/check30" <<'PY' || fail "notification mail: $(cat "$work/mail.eml")"
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
assert msg["To"] == "admin@example.jp", msg["To"]
assert "30 days" in msg["Subject"], msg["Subject"]
assert msg["Date"] is not None and msg["Auto-Submitted"] == "auto-generated"
body = msg.get_content()
for line in open(sys.argv[2], encoding="utf-8"):
    assert line.strip() in body, line
assert "d100@" not in body
PY

# --days 29 drops the 30-day one, --days 100 adds the 100-day one.
expect_rc 8 "" $E check --days 29
grep -q "^d30@" "$work/out" && fail "--days 29 reported 30 days left"
[ "$(wc -l < "$work/out")" -eq 4 ] || fail "check --days 29: $(cat "$work/out")"
expect_rc 8 "" $E check --days 100
grep -q "^d100@example.jp: expires in 100 days" "$work/out" || fail "--days 100: $(cat "$work/out")"
# enroll.check_days is the default.
conf "$work/enroll.conf" "$store" 'notify = "admin@example.jp"; check_days = 5;'
expect_rc 8 "" $E check
[ "$(wc -l < "$work/out")" -eq 3 ] || fail "check_days = 5: $(cat "$work/out")"

# --dry-run: the lines, no mail.
rm -f "$work/mail.eml"
expect_rc 8 "would mail 3 lines to admin@example.jp" $E --dry-run check
[ -e "$work/mail.eml" ] && fail "--dry-run sent mail"

# A failing sendmail: lines still printed, exit 1, the admin is told.
STUB_RC=75; export STUB_RC
expect_rc 1 "exited with status 75; admin@example.jp was not notified" $E check
[ "$(wc -l < "$work/out")" -eq 3 ] || fail "lines lost when sendmail fails"
unset STUB_RC
SENDMAIL=$work/nonexistent conf "$work/enroll.conf" "$store" 'notify = "admin@example.jp";'
expect_rc 1 "not notified" $E check

# Nothing due: exit 0, silent, no mail.  No notify: exit 8, no mail.
mkdir -p "$work/store2" && chmod 700 "$work/store2"
cp -rp "$store/d100@example.jp" "$work/store2/"
conf "$work/quiet.conf" "$work/store2" 'notify = "admin@example.jp";'
rm -f "$work/mail.eml"
"$ENROLL" -c "$work/quiet.conf" check --days 9 > "$work/out" 2> "$work/err" ||
	fail "nothing due: exit $?: $(cat "$work/out" "$work/err")"
[ -s "$work/out" ] && fail "nothing due printed: $(cat "$work/out")"
[ -e "$work/mail.eml" ] && fail "mail sent with nothing due"
conf "$work/quiet.conf" "$work/store2" ''
expect_rc 8 "" "$ENROLL" -c "$work/quiet.conf" check --days 200
[ -e "$work/mail.eml" ] && fail "mail sent without enroll.notify"

# A notify address that would be an option or a header is refused.
for bad in '-oQ/tmp/x@example.jp' 'a@example.jp, b@example.jp' 'a b@example.jp' 'nobody'; do
	conf "$work/bad.conf" "$store" "notify = \"$bad\";"
	expect_rc 3 "enroll.notify" "$ENROLL" -c "$work/bad.conf" check
done
expect_rc 2 "--days" $E check --days -1
echo "check: ok"
