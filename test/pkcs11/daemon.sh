#!/bin/sh
# daemon.sh - identity keys on a PKCS#11 token (SoftHSM2), through the real
# milter protocol:
#  - taro's RSA key and hanako's EC key are on the token; the config names
#    them with RFC 7512 URIs (taro with module-path, hanako found through
#    p11-kit's module configuration); hanako's certificate is read from the
#    token as well; signed mail verifies with openssl and gpgsm, also with
#    8 messages in parallel (libmilter threads) and after a reload;
#  - wrong PIN: the message temp-fails with one log line naming
#    CKR_PIN_INCORRECT, the next one does not offer the refused PIN again,
#    and after the PIN file is fixed the daemon signs without a restart;
#    a PIN file others may read, or in a directory others may write, is
#    refused;
#  - token directory removed while the daemon runs (or absent at its
#    start): temp-fail with one log line, then signs again once it is
#    restored (no restart);
#  - the log holds no key material and no PIN.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
. "${top_srcdir:-.}/test/pkcs11/common.sh"

p11_import taro taro 01
p11_import hanako hanako 02
taro_uri="pkcs11:token=party;object=taro;type=private?pin-source=file:$pinfile&module-path=$softhsm"
hanako_uri="pkcs11:token=party;object=hanako;type=private?pin-source=file:$pinfile"
# hanako's certificate comes from the token too.
hanako_cert="pkcs11:token=party;object=hanako-cert;type=cert"
"$top_builddir/test/pkcs11/p11cert" "$hanako_cert?pin-source=file:$pinfile" \
    "$pki/hanako.crt" || { echo "FAIL: p11cert"; exit 1; }

p11_conf() {
	taro_key=$taro_uri hanako_key=$hanako_uri write_conf
}

msg() {
	printf 'From: <%s@example.jp>\nTo: v@example.net\nSubject: token %s\n\nsigned on a token (%s)\n' "$1" "$2" "$2" > "$tmp/$2.eml"
}

# sign_ok USER QID: signed, verifies with openssl (and gpgsm).
sign_ok() {
	msg "$1" "$2"
	mc -A "$1" -C 192.0.2.1 -q "$2" "$tmp/$2.eml" > "$tmp/$2.out"
	rc=$?
	if [ $rc -ne 0 ] || ! is_signed "$tmp/$2.out"; then
		bad "$2: $1 not signed (exit $rc)"; tail -n 5 "$tmp/daemon.err"; return 1
	fi
	verifies "$tmp/$2.out" || { bad "$2: openssl does not verify"; return 1; }
	if [ -n "$gpg" ]; then
		gpgsm_verifies "$tmp/$2.out" || { bad "$2: gpgsm does not verify"; return 1; }
	fi
	echo "ok: $2: $1 signed with the token key, verified${gpg:+ by openssl and gpgsm}"
}

# sign_tempfail USER QID PATTERN: exit 75 and one log line with PATTERN.
sign_tempfail() {
	msg "$1" "$2"
	mc -A "$1" -C 192.0.2.1 -q "$2" "$tmp/$2.eml" > "$tmp/$2.out"
	rc=$?
	n=$(grep "$2" "$tmp/daemon.err" | grep -c "$3")
	if [ $rc -ne 75 ]; then
		bad "$2: exit $rc, want 75 (tempfail)"
	elif [ "$n" -ne 1 ]; then
		bad "$2: want one log line with '$3', found $n"
		grep "$2" "$tmp/daemon.err"
	else
		echo "ok: $2: temp-failed: $(grep "$2" "$tmp/daemon.err" | grep "$3" | sed 's/.*failed: //')"
	fi
	kill -0 "$mpid" 2>/dev/null || { bad "$2: daemon died"; exit 1; }
}

gpg=
gpgsm_setup && gpg=yes || echo "note: gpgsm not found, openssl only"

# 1. signing with token keys
p11_conf
"$milter" -n -c "$conf" > "$tmp/n.out" 2>&1 || { bad "-n rejects the URIs"; cat "$tmp/n.out"; }
start_milter
sign_ok taro T1
sign_ok hanako T2 && echo "ok: hanako's certificate read from the token"
kill -HUP "$mpid"
sleep 1
sign_ok taro T3 && echo "ok: signs after a reload (new token handles)"
pids=
for i in 1 2 3 4 5 6 7 8; do
	u=taro; [ $((i % 2)) -eq 0 ] && u=hanako
	msg $u "P$i"
	mc -A $u -C 192.0.2.1 -q "P$i" "$tmp/P$i.eml" > "$tmp/P$i.out" &
	pids="$pids $!"
done
pfail=0
for p in $pids; do wait "$p" || pfail=1; done
for i in 1 2 3 4 5 6 7 8; do
	verifies "$tmp/P$i.out" || pfail=1
done
[ $pfail -eq 0 ] && echo "ok: 8 parallel messages signed on the token" ||
	bad "parallel messages not all signed and verified"

# 2. token directory removed and restored while the daemon runs
mv "$tokdir" "$tmp/tokens.away"
mkdir "$tokdir"
sign_tempfail taro R1 'token not present'
rmdir "$tokdir"
mv "$tmp/tokens.away" "$tokdir"
sleep 1.1	# modules are re-initialised at most once a second
sign_ok taro R2 && echo "ok: recovered after the token came back, no restart"
# The token goes away and comes back while 8 clients send in parallel:
# each message is signed (and verifies) or temp-failed, never anything
# else; the daemon survives and signs afterwards.
pids=
for i in 1 2 3 4 5 6 7 8; do
	u=taro; [ $((i % 2)) -eq 0 ] && u=hanako
	msg $u "C$i"
	( mc -A $u -C 192.0.2.1 -n 10 -q "C$i" "$tmp/C$i.eml" > "$tmp/C$i.out"
	  echo $? > "$tmp/C$i.rc" ) &
	pids="$pids $!"
done
sleep 0.2
mv "$tokdir" "$tmp/tokens.away"
sleep 0.6
mv "$tmp/tokens.away" "$tokdir"
for p in $pids; do wait "$p"; done
cfail=0
for i in 1 2 3 4 5 6 7 8; do
	rc=$(cat "$tmp/C$i.rc")
	case $rc in
	0) verifies "$tmp/C$i.out" || { bad "C$i: signed but does not verify"; cfail=1; } ;;
	75) ;;
	*) bad "C$i: exit $rc (want 0 or 75)"; cfail=1 ;;
	esac
done
kill -0 "$mpid" 2>/dev/null || { bad "daemon died under token loss with parallel clients"; exit 1; }
sleep 1.1
ntf=$(grep -cE ' C[1-8][0-9]+: signing failed: temporary failure' "$tmp/daemon.err")
nok=$(grep -cE ' C[1-8][0-9]+: signed as' "$tmp/daemon.err")
[ $((nok + ntf)) -eq 80 ] || { bad "token loss: $nok signed + $ntf temp-failed of 80"; cfail=1; }
sign_ok taro C9 >/dev/null && sign_ok hanako C10 >/dev/null && [ $cfail -eq 0 ] &&
	echo "ok: token lost and back under 8 parallel clients ($nok signed, $ntf temp-failed), then signing again"
stop_milter
check_sanitizers

# 2b. token absent when the daemon starts: it starts, temp-fails, and
# signs once the token is there (a certificate on the token must be
# readable at start, so hanako's comes from its file here)
mv "$tokdir" "$tmp/tokens.away"
tokcert=$hanako_cert
hanako_cert=$pki/hanako.crt
p11_conf
hanako_cert=$tokcert
start_milter
sign_tempfail taro A1 'token not present'
mv "$tmp/tokens.away" "$tokdir"
sleep 1.1
sign_ok taro A2 && echo "ok: token absent at start, signs once it is there"
stop_milter
check_sanitizers
p11_conf

# 3. wrong PIN, then fixed without a restart
echo 0000-wrong > "$pinfile"
start_milter
sign_tempfail taro W1 'CKR_PIN_INCORRECT'
sign_tempfail taro W2 'not tried again'
echo "$userpin" > "$pinfile"
sign_ok taro W3 && echo "ok: signs once the PIN file is right, no restart"
# A PIN file others may read is refused.
chmod 644 "$pinfile"
sign_ok taro W4 >/dev/null	# logged in already: the session still works
stop_milter
check_sanitizers
start_milter
sign_tempfail taro W5 'mode 0600'
stop_milter
chmod 600 "$pinfile"
# So is one in a directory others may write: whoever can swap it there
# feeds the token a wrong PIN (and locks it) or another root file.
mkdir "$tmp/open" && chmod 777 "$tmp/open" && cp -p "$pinfile" "$tmp/open/pin"
saved_uri=$taro_uri
taro_uri="pkcs11:token=party;object=taro;type=private?pin-source=file:$tmp/open/pin&module-path=$softhsm"
p11_conf
start_milter
sign_tempfail taro W6 'strict_modes'
stop_milter
taro_uri=$saved_uri
p11_conf

# 4. RSASSA-PSS through the token's raw RSA mechanism (openssl verifies;
# gpgsm 2.2 does not know PSS)
sign_extra="rsa_pss = true;"
p11_conf
start_milter
msg taro PSS1
mc -A taro -C 192.0.2.1 -q PSS1 "$tmp/PSS1.eml" > "$tmp/PSS1.out" || bad "PSS1: not signed"
if verifies "$tmp/PSS1.out" &&
    "$OPENSSL" cms -cmsout -print -in "$tmp/PSS1.out" 2>/dev/null | grep -q rsassaPss; then
	echo "ok: PSS1: RSASSA-PSS signature made on the token verifies"
else
	bad "PSS1: no verifying RSASSA-PSS signature"
fi
stop_milter
sign_extra=

# 5. a PIN in the URI text is refused at configuration time
taro_uri="pkcs11:token=party;object=taro;type=private?pin-value=$userpin"
p11_conf
if "$milter" -n -c "$conf" > "$tmp/n2.out" 2>&1; then
	bad "-n accepts pin-value"
elif grep -q 'pin-value' "$tmp/n2.out"; then
	echo "ok: pin-value refused: $(grep pin-value "$tmp/n2.out" | head -n 1)"
else
	bad "pin-value: no reason given"; cat "$tmp/n2.out"
fi

# 6. nothing secret in the log
check_sanitizers
grep -qF "$userpin" "$tmp/daemon.err" && bad "the PIN is in the log"
no_key_material "$tmp/daemon.err" "$pki/taro.key" "$pki/hanako.key"
[ $fail -eq 0 ] && echo "ok: no PIN or key material in the log"
exit $fail
