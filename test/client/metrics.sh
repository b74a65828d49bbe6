#!/bin/sh
# metrics.sh - issue 19 items 2 and 4 through the real milter protocol:
# smime-milter with metrics_listen, metrics_textfile and JSON logs on
# stdout, fed by milterclient, scraped with curl and read by a strict
# exposition-format parser (promparse.py).
#  (a) the page parses: HELP and TYPE before every sample, histograms
#      cumulative, +Inf = _count; 404 elsewhere, 405 for POST; the
#      listener given without an address is bound to 127.0.0.1 only
#  (b) counters move: signed, verified with smime=pass, temp-failed
#      (revoked identity) by reason, sign latency and body size
#  (c) reloads counted by outcome, last_reload_successful
#  (d) metrics_textfile written atomically, parses, no temporary left
#  (e) JSON log lines (python json): one summary record per message with
#      stable keys; a hostile login and From (quotes, backslash, control
#      characters, invalid UTF-8) stay inside their values
# The daemon must log no sanitizer report.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
PYTHON=${PYTHON:-python3}
command -v curl > /dev/null || { echo "SKIP: curl not installed"; exit 77; }
parse="$PYTHON $top_srcdir/test/client/promparse.py"
$parse --selftest > /dev/null || bad "promparse self-test"

port=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
textfile=$tmp/tf/smime-milter.prom
mkdir -p "$tmp/tf"
cfg() {
	write_conf "metrics_listen = \"inet:$port\";
metrics_textfile = \"$textfile\";
metrics_interval = 1;
log_format = \"json\";
log_target = \"stdout\";
$1"
	# A third identity whose certificate crl.pem revokes: signing as it
	# is a temporary failure (on_error = tempfail).
	sed -i 's|^	identities = (|	crl = "'"$pki"'/crl.pem";\n&\n		{ address = "revoked@example.jp"; cert = "'"$pki"'/revoked.crt";\n		  key = "'"$pki"'/revoked.key"; chain = "'"$pki"'/chain.pem";\n		  senders = [ "rev" ]; },|' "$conf"
}
cfg ""
start_milter > "$tmp/daemon.out"

# scrape NAME: page into $tmp/NAME.prom, parsed series into $tmp/NAME.s
scrape() {
	curl -sf "$url/metrics" > "$tmp/$1.prom" || { bad "scrape $1"; return; }
	$parse "$tmp/$1.prom" > "$tmp/$1.s" 2> "$tmp/$1.err" ||
		{ cat "$tmp/$1.err"; bad "$1: page does not parse"; }
}
# val NAME SERIES: value of a series (labels sorted), 0 when absent
val() {
	awk -v k="$2" '$1 == k { print $2 + 0; f = 1 } END { if (!f) print 0 }' "$tmp/$1.s"
}
# moved BEFORE AFTER SERIES DELTA
moved() {
	b=$(val "$1" "$3"); a=$(val "$2" "$3")
	awk -v a="$a" -v b="$b" -v d="$4" 'BEGIN { exit !(a - b == d) }' ||
		bad "$3 went from $b to $a, expected +$4"
}

# (a)
scrape s0
grep -q '^# TYPE smime_milter_sign_duration_seconds histogram$' "$tmp/s0.prom" ||
	bad "(a) no sign latency histogram"
for fam in smime_milter_messages_total smime_milter_verify_results_total \
    smime_milter_message_body_bytes smime_milter_identities_loaded \
    smime_milter_identities_usable smime_milter_identity_earliest_expiry_days \
    smime_milter_reloads_total smime_milter_tempfail_streak; do
	grep -q "^# HELP $fam " "$tmp/s0.prom" || bad "(a) no family $fam"
done
[ "$(val s0 'smime_milter_identities_loaded{}')" = 3 ] ||
	bad "(a) identities_loaded is not 3"
[ "$(val s0 'smime_milter_identities_usable{}')" = 2 ] ||
	bad "(a) identities_usable is not 2 (revoked one counted?)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")
[ "$code" = 404 ] || bad "(a) /nothing gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$url/metrics")
[ "$code" = 405 ] || bad "(a) POST gave $code"
curl -sI "$url/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' ||
	bad "(a) content type"
if command -v ss > /dev/null; then
	ss -ltn | awk '{ print $4 }' | grep -qx "127.0.0.1:$port" ||
		bad "(a) listener not bound to 127.0.0.1:$port"
	ss -ltn | awk '{ print $4 }' | grep -E -qx "(0\.0\.0\.0|\*|\[::\]):$port" &&
		bad "(a) listener bound to every address"
fi
[ $fail = 0 ] && echo "ok: (a) page parses, 404/405, loopback only"

# (b)
printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: metrics\nMessage-ID: <m1@example.jp>\n\nbody for the size histogram\n' > "$tmp/msg"
mc -A taro -C 192.0.2.1 -q QSIGN "$tmp/msg" > "$tmp/b1.out" || bad "(b) sign exit $?"
is_signed "$tmp/b1.out" || bad "(b) not signed"
printf 'Content-Type: text/plain\n\nsigned by openssl\n' > "$tmp/c.body"
{ printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: in\nMessage-ID: <c1@example.jp>\n'
  "$OPENSSL" cms -sign -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
      -certfile "$pki/chain.pem" -in "$tmp/c.body"; } > "$tmp/in.msg"
mc -C 192.0.2.1 -q QVERIFY "$tmp/in.msg" > "$tmp/b2.out" || bad "(b) verify exit $?"
[ "$(smime_result "$tmp/b2.out")" = pass ] || bad "(b) inbound not smime=pass"
sed 's/taro@example.jp/revoked@example.jp/' "$tmp/msg" > "$tmp/rev.msg"
mc -A rev -C 192.0.2.1 -q QREV "$tmp/rev.msg" > /dev/null 2>&1; rc=$?
[ $rc = 75 ] || bad "(b) revoked identity: exit $rc, want 75 (tempfail)"
scrape s1
moved s0 s1 'smime_milter_messages_total{outcome="signed",reason="none"}' 1
moved s0 s1 'smime_milter_messages_total{outcome="verified",reason="none"}' 1
moved s0 s1 'smime_milter_verify_results_total{result="pass"}' 1
moved s0 s1 'smime_milter_messages_total{outcome="tempfailed",reason="identity_revoked"}' 1
moved s0 s1 'smime_milter_sign_duration_seconds_count{}' 1
moved s0 s1 'smime_milter_verify_duration_seconds_count{}' 1
moved s0 s1 'smime_milter_message_body_bytes_count{}' 3
[ "$(val s1 'smime_milter_tempfail_streak{}')" = 1 ] || bad "(b) streak not 1"
[ $fail = 0 ] && echo "ok: (b) signed, verified (pass), tempfailed counters and histograms move"

# (c)
kill -HUP "$mpid"
i=0
while [ $i -lt 50 ] && ! grep -q 'generation 2' "$tmp/daemon.out"; do
	sleep 0.1; i=$((i + 1))
done
cp "$conf" "$tmp/good.conf"
echo 'bogus_setting = 1;' >> "$conf"
kill -HUP "$mpid"
i=0
while [ $i -lt 50 ] && ! grep -q 'reload failed' "$tmp/daemon.out"; do
	sleep 0.1; i=$((i + 1))
done
scrape s2
moved s1 s2 'smime_milter_reloads_total{result="success"}' 1
moved s1 s2 'smime_milter_reloads_total{result="failure"}' 1
[ "$(val s2 'smime_milter_last_reload_successful{}')" = 0 ] ||
	bad "(c) last_reload_successful not 0 after a failed reload"
[ "$(val s2 'smime_milter_config_generation{}')" = 2 ] || bad "(c) generation"
cp "$tmp/good.conf" "$conf"
[ $fail = 0 ] && echo "ok: (c) reloads counted by result"

# (d)
sleep 1.5
[ -f "$textfile" ] || bad "(d) no $textfile"
$parse "$textfile" > "$tmp/tf.s" || bad "(d) textfile does not parse"
grep -q '^smime_milter_messages_total{outcome="signed",reason="none"} 1' "$tmp/tf.s" ||
	bad "(d) textfile lacks the signed count"
ls "$tmp/tf" | grep -v '^smime-milter.prom$' && bad "(d) temporary files left"
[ $fail = 0 ] && echo "ok: (d) textfile for node_exporter"

# (e) hostile values: quote, backslash, tab, ESC, newline, invalid UTF-8
login=$(printf 'ev"il\\\tlo\033gin\nx\377\300\200')
printf 'From: "a\\"b\\\\c\342\200\250\377" <taro@example.jp>\nTo: v@example.net\nSubject: x\n\nx\n' > "$tmp/h.msg"
mc -A "$login" -C 192.0.2.1 -q QHOSTILE "$tmp/h.msg" > /dev/null || bad "(e) hostile exit"
printf 'From: "q\\"uote" <"we\\"ird\\\\"@example.jp>\nTo: v@example.net\nSubject: x\n\nx\n' > "$tmp/h2.msg"
mc -A taro -C 192.0.2.1 -q QNOID "$tmp/h2.msg" > /dev/null || bad "(e) no-identity exit"
# (f) a reload switches to logfmt; the same hostile login again
sed -i 's/^log_format = "json";/log_format = "logfmt";/' "$conf"
kill -HUP "$mpid"
i=0
while [ $i -lt 50 ] && ! grep -q '^ts=.*generation 3' "$tmp/daemon.out"; do
	sleep 0.1; i=$((i + 1))
done
mc -A "$login" -C 192.0.2.1 -q QLOGFMT "$tmp/h.msg" > /dev/null || bad "(f) hostile exit"
stop_milter
grep '^{' "$tmp/daemon.out" > "$tmp/json.out"
grep -v '^{' "$tmp/daemon.out" > "$tmp/logfmt.out"
$PYTHON - "$tmp/logfmt.out" <<'EOF' || bad "(f) logfmt lines"
import json, re, sys
pair = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "=]+)(?: |$)')
recs = []
for raw in open(sys.argv[1], 'rb'):
    line = raw.decode('utf-8').rstrip('\n')
    pos, rec = 0, {}
    while pos < len(line):
        m = pair.match(line, pos)
        assert m, 'bad logfmt at %d: %r' % (pos, line)
        v = m.group(2)
        rec[m.group(1)] = json.loads(v) if v.startswith('"') else v
        pos = m.end()
    assert rec['ts'] and rec['level'], line
    recs.append(rec)
s = [r for r in recs if r.get('event') == 'message' and r['qid'] == 'QLOGFMT']
assert len(s) == 1, recs
want = 'ev"il\\\tlo\x1bgin\nx\ufffd\ufffd\ufffd'
assert s[0]['login'] == want, (s[0]['login'], want)
assert s[0]['reason'] == 'unauthorized' and s[0]['result'] == 'none', s[0]
assert s[0]['identity'] == 'taro@example.jp', s[0]
print('ok: (f) after a reload: %d logfmt records, hostile login escaped' % len(recs))
EOF
# SIGTERM reaches the signal loop, not a metrics or watchdog thread.
grep -q '^ts=.* msg=stopped' "$tmp/daemon.out" || bad "SIGTERM killed the daemon before it stopped cleanly"
[ -S "$sock" ] && bad "socket left behind after SIGTERM"
$PYTHON - "$tmp/json.out" <<'EOF' || bad "(e) JSON log lines"
import json, sys
recs = []
with open(sys.argv[1], 'rb') as f:
    for raw in f:
        line = raw.decode('utf-8')          # must be valid UTF-8
        rec = json.loads(line)              # must be one JSON object
        assert isinstance(rec, dict) and 'ts' in rec and 'level' in rec, line
        assert '\n' not in line.rstrip('\n')
        recs.append(rec)
summ = {r['qid']: r for r in recs if r.get('event') == 'message'}
keys = {'ts', 'level', 'event', 'qid', 'action', 'identity', 'login',
        'client', 'result', 'reason', 'detail', 'duration_ms', 'size'}
for qid, r in summ.items():
    assert set(r) == keys, (qid, sorted(r))
    assert isinstance(r['duration_ms'], float) and isinstance(r['size'], int)
s = summ['QSIGN']
assert (s['action'], s['identity'], s['login'], s['client'], s['reason']) == \
    ('signed', 'taro@example.jp', 'taro', '192.0.2.1', 'none'), s
assert summ['QVERIFY']['action'] == 'verified' and summ['QVERIFY']['result'] == 'pass'
assert summ['QREV']['action'] == 'tempfailed'
assert summ['QREV']['reason'] == 'identity_revoked', summ['QREV']
h = summ['QHOSTILE']
want = 'ev"il\\\tlo\x1bgin\nx\ufffd\ufffd\ufffd'
assert h['login'] == want, (h['login'], want)
assert h['reason'] == 'unauthorized' and want in h['detail'], h
n = summ['QNOID']
assert n['reason'] == 'no_identity', n
assert n['detail'] == '"we\\"ird\\\\"@example.jp', n['detail']
# The free-text line about the hostile login is one record too.
assert any(r.get('qid') == 'QHOSTILE' and 'is not allowed' in r.get('msg', '')
           for r in recs)
print('ok: (e) %d JSON records, summary keys stable, hostile values escaped' % len(recs))
EOF
check_sanitizers
exit $fail
