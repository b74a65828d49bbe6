#!/bin/sh
# postfix-kill.sh - kill -9 smime-milter in the middle of a batch of 1,000
# campaign messages submitted through a real Postfix (private instance,
# SMTP AUTH as taro, milter_default_action = tempfail; see postfix-lib.sh).
#
# submit-batch.py sends the batch with four connections and retries what
# Postfix refused, as a real client must.  When 30% were accepted the milter
# gets SIGKILL; submissions go on during the outage; after at least 100
# refusals (or the end of the first pass) the milter is started again, the
# queue is flushed and the test waits (bounded) for an empty queue.  Then:
#   * every sequence number 1..N+L was delivered, none missing;
#   * every delivered message is multipart/signed, verifies with
#     openssl cms -verify against the test root, was signed with taro's
#     certificate, and its signed content carries its own sequence number:
#     nothing was delivered unsigned;
#   * a number delivered twice is accepted only when the client lost the
#     connection after sending that message (then the MTA may have kept
#     it); any other duplicate fails;
#   * L=20 local sendmail(1) submissions made during the outage stay
#     queued (non_smtpd_milters, tempfail) and are delivered signed after
#     the restart and a queue flush, like the SMTP ones (numbers N+1..N+L);
#     SMTP submissions never reach the queue unsigned: Postfix runs
#     smtpd_milters before it commits a queue file, so they get 4xx;
#   * the outage was really hit: Postfix refused at least one submission
#     with 4xx; nothing was refused with 5xx;
#   * the restarted daemon stops cleanly with no sanitizer report.
# Prints the counts (accepted at the first try, refused and retried,
# queued/deferred at restart, delivered signed) and the run time.
# KILL_TEST_COUNT overrides N (default 1000).
# Exit: 0 pass, 77 skip (not root, or smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_WORK=$(mktemp -d /tmp/smime-pfkill.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
it_milter_bin || { rm -rf "$IT_WORK"; echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/postfix-lib.sh"
CLIENT_PID=
cleanup() {
	if [ -n "$CLIENT_PID" ]; then
		kill "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
	fi
	pf_teardown
	it_milter_stop
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

N=${KILL_TEST_COUNT:-1000}
KILL_AT=$((N * 3 / 10))
L=20
RESULTS=$IT_WORK/results
T0=$(date +%s)
command -v python3 >/dev/null 2>&1 || it_die "python3 not installed"

# outcomes WHAT - how many attempts in RESULTS ended with WHAT (ok, temp,
# conn, perm; see submit-batch.py).
outcomes() {
	awk -v o="$1" '$3 == o { n++ } END { print n + 0 }' "$RESULTS"
}

# deferred_count - messages in the deferred queue of the private Postfix.
deferred_count() {
	postqueue -c "$PF_CONF" -j 2>/dev/null |
	    grep -c '"queue_name": *"deferred"'
}

# wait_for SECONDS COMMAND... - run COMMAND every 0.2 s until it succeeds
# or SECONDS have passed (then 1); also 1 when the client died.
wait_for() {
	_wf_end=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$_wf_end" ] && return 1
		sleep 0.2
	done
	return 0
}
client_running() { kill -0 "$CLIENT_PID" 2>/dev/null; }
reached_kill_point() {
	[ "$(outcomes ok)" -ge "$KILL_AT" ] || ! client_running
}
outage_seen() {
	[ $(( $(outcomes temp) + $(outcomes conn) )) -ge 100 ] ||
	    ! client_running
}
client_done() { ! client_running; }
local_queued() { [ "$(pf_queue_count)" -ge "$L" ]; }

chmod 755 "$IT_WORK"
it_pki
it_milter_conf mx.pf-test.example.jp
it_milter_start
PF_MILTER="inet:127.0.0.1:$IT_MILTER_PORT"
pf_setup
pf_add_user taro 'taro-Secret-1'
pf_start
# One template, "SEQ" becomes the sequence number in the Subject, the
# Message-ID <kill-NNNN@example.jp> and the "marker kill-NNNN" body line.
it_campaign_msg "$IT_WORK/template" kill-SEQ taro@example.jp
: > "$RESULTS"

python3 "$srcdir/test/integration/submit-batch.py" "$PF_SUBMIT_PORT" \
    taro 'taro-Secret-1' "$N" "$IT_WORK/template" "$RESULTS" 180 \
    2>"$IT_WORK/client.err" &
CLIENT_PID=$!
IT_LOGS="$IT_LOGS $IT_WORK/client.err"

wait_for 150 reached_kill_point || it_die "only $(outcomes ok) of $N accepted in 150 s"
client_running || it_die "client ended before the kill point"
kill -KILL "$IT_MILTER_PID" || it_die "kill -9 smime-milter"
wait "$IT_MILTER_PID" 2>/dev/null
IT_MILTER_PID=
it_wait_port_closed "$IT_MILTER_PORT" 10 || it_die "milter port still open"
ok_at_kill=$(outcomes ok)
it_log "smime-milter killed with SIGKILL after $ok_at_kill accepted"

# Local submissions during the outage take the queue path instead: pickup
# hands them to cleanup, the milter is down, tempfail keeps them queued.
i=1
while [ $i -le "$L" ]; do
	sed "s/SEQ/$(printf %04d $((N + i)))/g" "$IT_WORK/template" \
	    > "$IT_WORK/local.msg"
	pf_sendmail taro@example.jp voter@example.org "$IT_WORK/local.msg" ||
	    it_die "sendmail(1) during the outage"
	i=$((i + 1))
done
wait_for 60 outage_seen || it_die "no refusals during the outage"
wait_for 30 local_queued || it_die "sendmail(1) messages not queued"
i=1
while [ $i -le "$L" ]; do
	[ -z "$(it_find_delivery "<kill-$(printf %04d $((N + i)))@example.jp>")" ] ||
	    it_die "a sendmail(1) message left while the milter was down"
	i=$((i + 1))
done
queued_at_restart=$(pf_queue_count)
deferred_at_restart=$(deferred_count)
it_log "restarting after $(outcomes temp) 4xx, $(outcomes conn) dropped;" \
    "queued $queued_at_restart, deferred $deferred_at_restart"
it_milter_start

wait_for 200 client_done || it_die "client still running after 200 s"
wait "$CLIENT_PID"
client_rc=$?
CLIENT_PID=
[ "$client_rc" = 0 ] || it_die "client: not all messages accepted (exit $client_rc)"
pf_flush
ndistinct=$(awk '$3 == "ok" { s[$1] = 1 } END { print length(s) }' "$RESULTS")
nok=$(outcomes ok)
[ "$ndistinct" = "$N" ] || it_die "client: $ndistinct distinct accepted, want $N"
pf_wait_delivered "$nok" 120 ||
    it_die "$(it_delivered_count) of $nok delivered; queue $(pf_queue_count)"

# Verify every delivery with the openssl CLI: one openssl per message,
# two at a time, in batches of one shell each; then one awk reads every
# delivery for the rest.  One line per file: "NNNN signed" or
# "NNNN|- PROBLEM FILE".
"$OPENSSL" x509 -in "$IT_PKI/taro.crt" -out "$IT_WORK/taro.pem" ||
    it_die "openssl x509"
mkdir "$IT_WORK/v" || it_die "mkdir"
find "$IT_SINKDIR" -type f -name 'msg.*' > "$IT_WORK/delivered"
OPENSSL=$OPENSSL V=$IT_WORK/v PKI=$IT_PKI xargs -r -n 64 -P 2 sh -c '
	for f; do
		b=$V/${f##*/}
		"$OPENSSL" cms -verify -in "$f" -CAfile "$PKI/trust.pem" \
		    -purpose smimesign -signer "$b.signer" -out "$b.content" \
		    2>"$b.err" && echo "$f"
	done; exit 0' sh < "$IT_WORK/delivered" > "$IT_WORK/cms-ok" ||
    it_die "verification loop"
awk -v v="$IT_WORK/v" -v okf="$IT_WORK/cms-ok" -v taro="$IT_WORK/taro.pem" '
    function slurp(path,   l, s) {
	s = ""
	while ((getline l < path) > 0)
		s = s l "\n"
	close(path)
	return s
    }
    BEGIN { while ((getline l < okf) > 0) ok[l] = 1; want = slurp(taro) }
    {
	f = $0; b = f; sub(/.*\//, "", b); b = v "/" b
	id = ""; multi = 0
	while ((getline l < f) > 0) {
		if (!seen && l ~ /^Message-ID: <kill-[0-9]*@example\.jp>/) {
			id = l; sub(/^Message-ID: <kill-/, "", id); sub(/@.*/, "", id)
			seen = 1
		}
		if (tolower(l) ~ /^content-type: multipart\/signed/)
			multi = 1
	}
	close(f)
	seen = 0
	if (id == "") { print "- no-message-id " f; next }
	if (!multi) { print id " unsigned " f; next }
	if (!(f in ok)) { print id " verify-failed " f; next }
	if (slurp(b ".signer") != want) { print id " wrong-signer " f; next }
	marked = 0
	while ((getline l < (b ".content")) > 0)
		if (index(l, "marker kill-" id) == 1)
			marked = 1
	close(b ".content")
	if (!marked) { print id " content-of-another-message " f; next }
	print id " signed"
    }' "$IT_WORK/delivered" > "$IT_WORK/verified" ||
    it_die "verification loop"
grep -v ' signed$' "$IT_WORK/verified" | head -n 20 >&2
bad=$(grep -cv ' signed$' "$IT_WORK/verified")
[ "$bad" = 0 ] || it_die "$bad deliveries are not correctly signed (above)"

# Every number exactly once; a duplicate only where the client lost the
# connection after sending (then Postfix may have taken it).
ndeliv=$(it_delivered_count)
awk -v n=$((N + L)) -v r="$RESULTS" '
    BEGIN { while ((getline l < r) > 0) { split(l, a, " ")
		if (a[3] == "conn" && a[4] == "sent") lost[a[1] + 0] = 1 } }
    { got[$1 + 0]++ }
    END { for (i = 1; i <= n; i++) {
		if (!(i in got)) { print "missing " i; bad++ }
		else if (got[i] > 1 && !(i in lost)) {
			print "duplicate " i " (" got[i] " times)"; bad++ }
		else if (got[i] > 1) dup++ }
	  print "explained-duplicates " dup + 0
	  exit (bad > 0) }' "$IT_WORK/verified" > "$IT_WORK/tally" ||
    { cat "$IT_WORK/tally" >&2; it_die "messages missing or duplicated"; }
[ "$(outcomes perm)" = 0 ] || it_die "$(outcomes perm) submissions got 5xx"
[ $(( $(outcomes temp) + $(outcomes conn) )) -gt 0 ] ||
    it_die "the kill did not make Postfix refuse anything"
# The restarted daemon saw the whole second half: stop it and make sure
# the sanitizers found nothing (the killed one cannot report).
it_milter_stop
! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
    "$IT_WORK/milter.log" || it_die "sanitizer report in the milter log"
first_ok=$(awk '$2 == 1 && $3 == "ok"' "$RESULTS" | wc -l)
retried=$(awk '$2 > 1 && $3 == "ok"' "$RESULTS" | wc -l)
echo "ok 1 kill -9 after $ok_at_kill of $N accepted:" \
    "$first_ok accepted at the first try, $retried refused and accepted on retry" \
    "($(outcomes temp) 4xx, $(outcomes conn) dropped connections," \
    "$(awk '{ print $2 }' "$RESULTS" | sort -n | tail -n 1) attempts at most)"
echo "ok 2 queued at restart $queued_at_restart ($L sendmail(1) submissions" \
    "made during the outage; $deferred_at_restart deferred), all delivered after" \
    "the flush; queue empty"
echo "ok 3 $ndeliv deliveries, $(grep -c ' signed$' "$IT_WORK/verified") signed" \
    "and verified by openssl as taro, none unsigned, none missing," \
    "$(sed -n 's/^explained-duplicates //p' "$IT_WORK/tally") explained duplicates"
echo "run time $(( $(date +%s) - T0 )) s"
exit 0
