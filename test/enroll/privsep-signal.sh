#!/bin/sh
# privsep-signal.sh - case 3: smime-enroll signals only the real daemon: a pid file
# naming another root process, a symlinked or world-writable one gets no
# signal; the real daemon (root, then nobody) is reloaded and removes its
# pid file at exit; a pid directory the user cannot write is refused.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

rm -rf "$store"; import_taro
$E senders taro@example.jp taro > /dev/null || fail "senders"
# An unrelated root process that records any signal it gets.
# env --default-signal: a shell cannot trap a signal ignored when it
# started (nohup, some CI runners), and then "got nothing" proves nothing.
env --default-signal=HUP sh -c "trap 'echo hup >> \"$work/sigs\"' HUP; trap 'echo term >> \"$work/sigs\"; exit' TERM; : > \"$work/ready\"; i=0; while [ \$i -lt 1500 ]; do sleep 0.2; i=\$((i+1)); done" &
rootpid=$!
trap 'kill $rootpid 2>/dev/null; cleanup' EXIT INT TERM
i=0
while [ ! -f "$work/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# It does record a SIGHUP sent to it.
kill -HUP $rootpid 2>/dev/null
i=0
while ! grep -q hup "$work/sigs" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q hup "$work/sigs" 2>/dev/null || fail "the stand-in root process does not record SIGHUP"
rm -f "$work/sigs"
untouched() { # untouched LABEL: the root process got nothing
	sleep 0.3
	[ -s "$work/sigs" ] && fail "$1: smime-enroll signalled an unrelated root process"
	kill -0 $rootpid 2>/dev/null || fail "$1: the unrelated root process is gone"
}
mkdir -p "$work/run" && chown nobody: "$work/run"
as_nobody sh -c "echo $rootpid > '$work/run/milter.pid'"
$E senders taro@example.jp taro jiro > "$work/out" 2> "$work/err"
rc=$?
untouched 3
[ $rc -eq 7 ] || fail "3: forged pid file: exit $rc, want 7"
grep -q "not signalled" "$work/err" || fail "3: no clear message: $(cat "$work/err")"
ok "3 a pid file naming another root process: not signalled ($(cat "$work/err"))"
rm -f "$work/run/milter.pid"
echo $rootpid > "$work/pid.src"; chmod 666 "$work/pid.src"
as_nobody ln -s "$work/pid.src" "$work/run/milter.pid"
$E senders taro@example.jp taro > /dev/null 2> "$work/err" && fail "3b: symlinked pid file trusted"
untouched 3b
rm -f "$work/run/milter.pid"
echo $rootpid > "$work/run/milter.pid"; chmod 666 "$work/run/milter.pid"
$E senders taro@example.jp taro > /dev/null 2> "$work/err" && fail "3c: world-writable pid file trusted"
untouched 3c
rm -f "$work/run/milter.pid"
kill $rootpid; wait $rootpid 2>/dev/null
ok "3b symlinked or world-writable pid files are not trusted"
# The real daemon (root, then nobody): signalled, and its pid file is
# gone after SIGTERM although it runs as nobody by then.
"$SMF" -f -c "$work/enroll.conf" > "$work/daemon.log" 2>&1 &
dpid=$!
# The socket comes first, then the pid file: wait for both (load: 30 s).
i=0
while { [ ! -S "$work/run/sock" ] || [ ! -s "$work/run/milter.pid" ]; } &&
    [ $i -lt 300 ] && kill -0 $dpid 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
[ -s "$work/run/milter.pid" ] || fail "3d: no pid file: $(cat "$work/daemon.log")"
$E senders taro@example.jp taro hanako > "$work/out" 2> "$work/err" ||
	fail "3d: reload of the real daemon: $(cat "$work/err")"
grep -q "sent SIGHUP" "$work/out" || fail "3d: $(cat "$work/out")"
i=0; while ! grep -q "generation 2" "$work/daemon.log" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "generation 2" "$work/daemon.log" || fail "3d: daemon did not reload: $(cat "$work/daemon.log")"
kill -TERM $dpid; wait $dpid
[ -e "$work/run/milter.pid" ] && fail "3d: pid file left behind after SIGTERM (user = nobody)"
ok "3d the real daemon is signalled; its pid file is removed at exit as nobody"
sed "s|pidfile = .*|pidfile = \"$work/milter.pid\";|" "$work/enroll.conf" > "$work/rootpid.conf"
"$SMF" -f -c "$work/rootpid.conf" > "$work/daemon.log" 2>&1 &
dpid=$!
i=0; while kill -0 $dpid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill $dpid 2>/dev/null && fail "3e: started with a pid file nobody could remove"
grep -q "does not belong to user nobody" "$work/daemon.log" ||
	fail "3e: no clear message: $(cat "$work/daemon.log")"
ok "3e a pid file directory the user cannot write is refused at start"
exit 0
