#!/bin/sh
# health.sh - issue 19 item 3: "smime-milter --health", /healthz and the
# systemd notifications, against the real daemon.
#  (a) healthy daemon: --health exits 0, /healthz answers 200
#  (b) the last health_tempfail_limit messages temp-failed: 503 and exit
#      1 naming the streak; one good message makes it healthy again
#  (c) no usable identity (only an expired and a revoked one): 503 and
#      exit 1, from the daemon's view and from the files (no
#      metrics_listen); verification-only configs stay healthy
#  (d) not answering the milter protocol: daemon stopped (connection
#      refused) and a listener that accepts but never answers (timeout):
#      exit 1
#  (e) sd_notify over a fake NOTIFY_SOCKET (python): READY=1, WATCHDOG=1
#      repeatedly, RELOADING=1 + READY=1 on SIGHUP; no WATCHDOG=1 once
#      the milter socket stops answering; STOPPING=1 on SIGTERM
set -u
. "${top_srcdir:-.}/test/client/common.sh"
PYTHON=${PYTHON:-python3}
command -v curl > /dev/null || { echo "SKIP: curl not installed"; exit 77; }
port=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

# health [ARGS]: run --health, output in $tmp/health.out, sets $hrc
health() {
	timeout 60 "$milter" -c "$conf" "$@" --health > "$tmp/health.out" 2>&1
	hrc=$?
}
# expect_health RC PATTERN WHAT
expect_health() {
	if [ "$hrc" != "$1" ] || [ "$(wc -l < "$tmp/health.out")" != 1 ] ||
	    ! grep -q -- "$2" "$tmp/health.out"; then
		cat "$tmp/health.out"; bad "$3: --health exit $hrc, want $1 and /$2/"
	fi
}
# expect_healthz CODE PATTERN WHAT
expect_healthz() {
	code=$(curl -s -o "$tmp/healthz" -w '%{http_code}' "$url/healthz")
	if [ "$code" != "$1" ] || ! grep -q -- "$2" "$tmp/healthz"; then
		cat "$tmp/healthz"; bad "$3: /healthz $code, want $1 and /$2/"
	fi
}

# set_identities ADDR... : sign.identities become these test PKI
# identities (login = the local part; "revoked" is listed in sign.crl).
set_identities() {
	$PYTHON - "$conf" "$pki" "$@" <<'EOF'
import re, sys
conf, pki, addrs = sys.argv[1], sys.argv[2], sys.argv[3:]
ents = ',\n'.join(
    '\t\t{ address = "%s@example.jp"; cert = "%s/%s.crt";\n'
    '\t\t  key = "%s/%s.key"; chain = "%s/chain.pem";\n'
    '\t\t  senders = [ "%s" ]; }' % (a, pki, a, pki, a, pki, a) for a in addrs)
t = re.sub(r'\tcrl = "[^"]*";\n', '', open(conf).read())
t, n = re.subn(r'\tidentities = \(.*?\n\t\);',
               lambda m: '\tcrl = "%s/crl.pem";\n\tidentities = (\n%s\n\t);' % (pki, ents),
               t, flags=re.S)
assert n == 1
open(conf, 'w').write(t)
EOF
}
write_conf "metrics_listen = \"inet:$port@127.0.0.1\";
health_tempfail_limit = 3;"
set_identities taro hanako revoked
start_milter

# (a)
health
expect_health 0 'healthy: ok: 2 of 3 signing identities usable' "(a)"
expect_healthz 200 '^ok: ' "(a)"
[ $fail = 0 ] && echo "ok: (a) healthy: --health 0, /healthz 200"

# (b)
printf 'From: <revoked@example.jp>\nTo: v@example.net\nSubject: t\n\nx\n' > "$tmp/rev.msg"
printf 'From: <taro@example.jp>\nTo: v@example.net\nSubject: t\n\nx\n' > "$tmp/ok.msg"
for q in 1 2; do
	mc -A revoked -C 192.0.2.1 -q QT$q "$tmp/rev.msg" > /dev/null 2>&1
done
expect_healthz 200 'ok: ' "(b) two temp-failures of three"
mc -A revoked -C 192.0.2.1 -q QT3 "$tmp/rev.msg" > /dev/null 2>&1; rc=$?
[ $rc = 75 ] || bad "(b) revoked identity: exit $rc, want 75"
expect_healthz 503 'last 3 messages were all temp-failed' "(b)"
health
expect_health 1 'unhealthy: the last 3 messages were all temp-failed' "(b)"
mc -A taro -C 192.0.2.1 -q QOK "$tmp/ok.msg" > /dev/null || bad "(b) good message"
expect_healthz 200 'ok: ' "(b) after a good message"
[ $fail = 0 ] && echo "ok: (b) a streak of temp-failures fails, a good message heals"
stop_milter

# (c) the only identities: expired and revoked
cp "$conf" "$tmp/base.conf"
set_identities expired revoked
start_milter
expect_healthz 503 'no usable signing identity (2 loaded' "(c)"
health
expect_health 1 'unhealthy: no usable signing identity' "(c) daemon's view"
sed '/^metrics_listen/d' "$conf" > "$tmp/nolisten.conf"
timeout 60 "$milter" -c "$tmp/nolisten.conf" --health > "$tmp/health.out" 2>&1
hrc=$?
expect_health 1 'no usable signing identity (2 loaded' "(c) from the files"
sed 's/^mode = "sv";/mode = "v";/' "$tmp/nolisten.conf" > "$tmp/v.conf"
timeout 60 "$milter" -c "$tmp/v.conf" --health > "$tmp/health.out" 2>&1
hrc=$?
expect_health 0 'signing not configured' "(c) verification only"
[ $fail = 0 ] && echo "ok: (c) no usable identity fails (daemon and files); verify-only passes"
stop_milter
cp "$tmp/base.conf" "$conf"

# (d) nobody listening, then a listener that never answers
health
expect_health 1 "unhealthy: milter socket unix:$sock not answering: connect" "(d) stopped"
$PYTHON -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(5)
open(sys.argv[2], "w").close()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)        # accept, say nothing
' "$tmp/silent.sock" "$tmp/silent.ready" &
spid=$!
i=0; while [ ! -f "$tmp/silent.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
health -p "unix:$tmp/silent.sock"
kill $spid 2>/dev/null; wait $spid 2>/dev/null
expect_health 1 'not answering: no answer within the time limit' "(d) silent"
[ $fail = 0 ] && echo "ok: (d) not answering the milter protocol fails"

# (e) a fake service manager
$PYTHON -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        for line in s.recv(4096).decode().split("\n"):
            if line:
                log.write(line + "\n"); log.flush()
' "$tmp/notify.sock" "$tmp/notify.log" &
npid=$!
i=0; while [ ! -S "$tmp/notify.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=600000 start_milter
count() { grep -c "^$1\$" "$tmp/notify.log"; }
i=0; while [ "$(count WATCHDOG=1)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(count READY=1)" -ge 1 ] || bad "(e) no READY=1"
[ "$(count WATCHDOG=1)" -ge 3 ] || bad "(e) fewer than 3 WATCHDOG=1 in 10 s"
kill -HUP "$mpid"
i=0; while [ "$(count READY=1)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '^RELOADING=1$' "$tmp/notify.log" || bad "(e) no RELOADING=1 on SIGHUP"
[ "$(count READY=1)" -ge 2 ] || bad "(e) no READY=1 after the reload"
# The milter socket disappears: the probe fails, the pings stop.
rm -f "$sock"
sleep 1
before=$(count WATCHDOG=1)
sleep 2
after=$(count WATCHDOG=1)
[ "$after" = "$before" ] || bad "(e) WATCHDOG=1 sent while the milter does not answer ($before -> $after)"
grep -q 'watchdog: milter socket' "$tmp/daemon.err" || bad "(e) watchdog failure not logged"
stop_milter
grep -q '^STOPPING=1$' "$tmp/notify.log" || bad "(e) no STOPPING=1"
grep -q 'smime-milter: stopped' "$tmp/daemon.err" || bad "(e) no clean stop after SIGTERM"
kill $npid 2>/dev/null; wait $npid 2>/dev/null
[ $fail = 0 ] && echo "ok: (e) READY, WATCHDOG while answering, RELOADING, STOPPING"
check_sanitizers
exit $fail
