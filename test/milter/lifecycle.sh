#!/bin/sh
# lifecycle.sh - start, serve through the real milter protocol (miltertest),
# reload on SIGHUP (good and bad configs), stop on SIGTERM.
. "${top_srcdir:-.}/test/milter/common.sh"

[ -n "$MILTERTEST" ] && [ -x "$MILTERTEST" ] || MILTERTEST=$(command -v miltertest)
[ -n "$MILTERTEST" ] || { echo "miltertest not installed"; exit 77; }

install_identity taro
write_conf() { # write_conf AUTHSERV_ID
	cat > "$work/smf.conf" <<CONF
socket = "unix:$work/sock";
pidfile = "$work/smf.pid";
authserv_id = "$1";
mode = "v";
verify = { trust_anchors = "trust.pem"; };
CONF
}

# run_lua EXPECTED-AUTHSERV-ID: one unsigned message; the milter must
# insert an Authentication-Results header naming that authserv-id.
run_lua() {
	cat > "$work/t.lua" <<LUA
conn = mt.connect("unix:$work/sock", 20, 0.2)
if conn == nil then error("cannot connect") end
mt.macro(conn, SMFIC_CONNECT, "{client_addr}", "192.0.2.7", "j", "mx.test")
if mt.conninfo(conn, "sender.example", "192.0.2.7") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect reply") end
mt.macro(conn, SMFIC_MAIL, "i", "LIFE1")
if mt.mailfrom(conn, "<voter@example.net>") ~= nil then error("mailfrom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("mail reply") end
if mt.header(conn, "From", "Voter <voter@example.net>") ~= nil then error("header") end
if mt.header(conn, "Authentication-Results", "$1; smime=pass (forged)") ~= nil then error("header") end
if mt.header(conn, "Subject", "hello") ~= nil then error("header") end
if mt.eoh(conn) ~= nil then error("eoh") end
if mt.bodystring(conn, "plain text\r\n") ~= nil then error("body") end
if mt.eom(conn) ~= nil then error("eom") end
if mt.getreply(conn) ~= SMFIR_ACCEPT then error("eom reply not accept") end
if not mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results") then error("no A-R inserted") end
if not mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") then error("forged A-R not deleted") end
ar = mt.getheader(conn, "Authentication-Results", 0)
if ar == nil then error("A-R value missing") end
if string.find(ar, "$1; ", 1, true) ~= 1 then error("A-R has wrong authserv-id: " .. ar) end
if string.find(ar, "smime=none", 1, true) == nil then error("A-R not smime=none: " .. ar) end
mt.disconnect(conn)
LUA
	"$MILTERTEST" -s "$work/t.lua" > "$work/mt.out" 2>&1 && return 0
	[ "$2" = try ] && return 1
	fail "miltertest ($1): $(cat "$work/mt.out")"
}

write_conf mx1.test.example
"$SMF" -c "$work/smf.conf" -n >/dev/null || fail "config check"
start_daemon "$work/smf.conf"
wait_for test -s "$work/smf.pid" || fail "no pid file"
[ "$(cat "$work/smf.pid")" = "$daemon_pid" ] || fail "pid file content"
run_lua mx1.test.example

# A good new configuration takes effect on SIGHUP.
write_conf mx2.test.example
kill -HUP "$daemon_pid"
wait_for grep -q "generation 2" "$work/daemon.log" || fail "reload not logged"
run_lua mx2.test.example

# A broken configuration is refused and the old one keeps serving.
echo 'this is not = = libconfig' > "$work/smf.conf"
kill -HUP "$daemon_pid"
wait_for grep -q "reload failed" "$work/daemon.log" || fail "bad reload not logged"
kill -0 "$daemon_pid" || fail "daemon died on a bad reload"
run_lua mx2.test.example

stop_daemon
[ -S "$work/sock" ] && fail "socket left behind after SIGTERM"
[ -f "$work/smf.pid" ] && fail "pid file left behind after SIGTERM"
[ "$daemon_status" -eq 0 ] || fail "daemon exit status $daemon_status"
grep -q "ERROR: AddressSanitizer\|runtime error:" "$work/daemon.log" && fail "sanitizer report"

# Detached (no -f) with a relative -c: the daemon changes to / when it
# detaches, so the path must have been made absolute at start-up or every
# SIGHUP reload fails and a revoked identity keeps signing.
write_conf mx3.test.example
(cd "$work" && exec "$SMF" -c smf.conf) || fail "detached start"
wait_for test -s "$work/smf.pid" || fail "detached: no pid file"
daemon_pid=$(cat "$work/smf.pid")
wait_for test -S "$work/sock" || fail "detached: no socket"
run_lua mx3.test.example
write_conf mx4.test.example
kill -HUP "$daemon_pid"
wait_for run_lua mx4.test.example try ||
	fail "detached daemon with relative -c did not reload on SIGHUP"
kill -TERM "$daemon_pid"
wait_for sh -c "! kill -0 $daemon_pid" || fail "detached daemon ignored SIGTERM"
daemon_pid=
wait_for sh -c "! test -e '$work/smf.pid'" || fail "detached: pid file left behind"
echo "lifecycle: ok"
