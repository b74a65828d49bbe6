#!/bin/sh
# signerhdr.sh - X-SMIME-Signer cannot be made to display another name
# (issue 10 case 6).  Certificates of the test PKI whose subject is
#  - spoof:   CN = "=?UTF-8?B?<base64 of 山田太郎>?=" (ASCII that readers
#             would decode to a candidate's name),
#  - long:    twelve OUs of 60 characters with spaces (over 700 in all),
#  - word:    a CN of 64 characters without a space,
#  - ctl:     an O with a tab in it,
# sign mail that verifies (smime=pass), through -t and the daemon; the
# X-SMIME-Signer field must decode (Python's email.header) to the literal
# subject text, never to 山田太郎, keep every line within 78 columns and
# stay within SMIME_SIGNER_MAX (512) bytes plus " ...".
set -u
. "${top_srcdir:-.}/test/client/common.sh"
PYTHON=${PYTHON:-python3}

# leaf NAME EMAIL: a key and a certificate from the intermediate, subject
# read from $tmp/NAME.subj (openssl req config lines).
leaf() {
	{ printf '[ req ]\ndistinguished_name = dn\nprompt = no\nstring_mask = utf8only\nutf8 = yes\n[ dn ]\n'
	  cat "$tmp/$1.subj"
	  printf '[ ext ]\nbasicConstraints = critical, CA:false\n'
	  printf 'keyUsage = critical, digitalSignature\nextendedKeyUsage = emailProtection\n'
	  printf 'subjectAltName = email:%s\n' "$2"; } > "$tmp/$1.cnf"
	"$OPENSSL" req -new -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" \
	    -config "$tmp/$1.cnf" -out "$tmp/$1.csr" 2>> "$tmp/leaf.log" &&
	"$OPENSSL" x509 -req -in "$tmp/$1.csr" -CA "$pki/inter-ca.crt" \
	    -CAkey "$pki/inter-ca.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days 30 -extfile "$tmp/$1.cnf" -extensions ext -out "$tmp/$1.crt" \
	    2>> "$tmp/leaf.log" || { cat "$tmp/leaf.log"; bad "cannot issue $1"; }
}

spoof_cn='=?UTF-8?B?5bGx55Sw5aSq6YOO?='
word_cn=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "A" }')
printf 'CN = %s\nO = Attacker\n' "$spoof_cn" > "$tmp/spoof.subj"
long_ou=
{ printf 'CN = Long Name\nO = Example Party\n'
  for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	ou="Campaign office division $i of the prefectural branch xyz"
	printf '%s.OU = %s\n' "$i" "$ou"
	long_ou="$long_ou, OU=$ou"
  done; } > "$tmp/long.subj"
printf 'CN = %s\n' "$word_cn" > "$tmp/word.subj"
printf 'CN = Tab Name\nO = A\tB\n' > "$tmp/ctl.subj"
leaf spoof spoof@example.jp
leaf long long@example.jp
leaf word word@example.jp
leaf ctl ctl@example.jp

printf 'Content-Type: text/plain; charset=us-ascii\n\nvote on Sunday\n' > "$tmp/content.txt"
for n in spoof long word ctl; do
	{ printf 'From: %s@example.jp\nTo: voter@example.net\nSubject: signer %s\n' "$n" "$n"
	  "$OPENSSL" cms -sign -in "$tmp/content.txt" -signer "$tmp/$n.crt" \
	      -inkey "$tmp/$n.key" -certfile "$pki/chain.pem"; } > "$tmp/$n.eml" ||
	    bad "cannot sign $n"
done

# check WHERE FILE WANT-DECODED-TEXT
check() {
	"$PYTHON" - "$2" "$3" "$1" <<'EOF'
import sys
from email.header import decode_header, make_header
path, want, where = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(path, 'rb').read().decode('utf-8', 'replace').replace('\r\n', '\n')
head = raw.split('\n\n', 1)[0].split('\n')
fields, cur = [], None
for line in head:
    if line[:1] in (' ', '\t') and cur is not None:
        cur.append(line)
    else:
        cur = [line]
        fields.append(cur)
ar = [f for f in fields if f[0].lower().startswith('authentication-results:')]
sig = [f for f in fields if f[0].lower().startswith('x-smime-signer:')]
err = []
if not ar or 'smime=pass' not in ' '.join(ar[0]):
    err.append('no smime=pass: %r' % ar)
if len(sig) != 1:
    err.append('%d X-SMIME-Signer fields' % len(sig))
else:
    lines = sig[0]
    long_lines = [l for l in lines if len(l.expandtabs(1)) > 78]
    if long_lines:
        err.append('lines over 78 columns: %r' % long_lines)
    value = '\n'.join(lines).split(':', 1)[1]
    unfolded = value.replace('\n', '').strip()
    dec = str(make_header(decode_header(unfolded)))
    if want.endswith(' ...'):
        # capped: a prefix of the full text, " ..." appended
        ok = dec.endswith(' ...') and want[:-4].startswith(dec[:-4]) and \
            len(dec.encode()) <= 512 + 4 and len(dec) > 400
    else:
        ok = dec == want
    if not ok:
        err.append('decodes to %r, want %r' % (dec, want))
    if '山田太郎' in dec:
        err.append('displays the candidate name')
if err:
    print('FAIL: %s: %s' % (where, '; '.join(err)))
    sys.exit(1)
print('ok: %s' % where)
EOF
	[ $? -eq 0 ] || fail=1
}

write_conf
want_spoof="CN=$spoof_cn, O=Attacker"
want_long="CN=Long Name, O=Example Party$long_ou ..."
want_word="CN=$word_cn"
want_ctl="CN=Tab Name, O=A?B"
for n in spoof long word ctl; do
	eval "want=\$want_$n"
	"$milter" -c "$conf" -t "$tmp/$n.eml" > "$tmp/$n.t.out" 2> "$tmp/$n.t.err" ||
	    { bad "-t $n: exit $?"; cat "$tmp/$n.t.err"; continue; }
	check "-t $n" "$tmp/$n.t.out" "$want"
done
start_milter
for n in spoof long word ctl; do
	eval "want=\$want_$n"
	mc -C 192.0.2.1 -q "S$n" "$tmp/$n.eml" > "$tmp/$n.m.out" ||
	    { bad "milter $n: exit $?"; continue; }
	check "milter $n" "$tmp/$n.m.out" "$want"
done
stop_milter
check_sanitizers
exit $fail
