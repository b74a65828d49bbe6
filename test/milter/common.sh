# common.sh - helpers for the daemon tests (sourced).
# Provides: $SMF (daemon binary), $work (temp dir, removed on exit),
# $pki (shared test PKI), fail(), start_daemon CONF, stop_daemon.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${OPENSSL:=openssl}"
SMF=$top_builddir/milter/smime-milter
work=$(mktemp -d "${TMPDIR:-/tmp}/smf-test.XXXXXX")
daemon_pid=

cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/daemon.log" ] && sed 's/^/  daemon: /' "$work/daemon.log" >&2
	exit 1
}

# Tests run in parallel and share one PKI (read only; see shared.sh).
pki=$(top_builddir=$top_builddir sh "$top_srcdir/test/pki/shared.sh" pki) || fail "test PKI"

# install_identity NAME: copy a PKI leaf into $work with safe modes
install_identity() {
	cp "$pki/$1.crt" "$work/$1.crt"
	cp "$pki/$1.key" "$work/$1.key"
	chmod 600 "$work/$1.key"
	cp "$pki/chain.pem" "$work/chain.pem"
	cp "$pki/trust.pem" "$work/trust.pem"
}

# wait_for COND-COMMAND...: poll up to 10 s
wait_for() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# start_daemon CONF [extra args]: foreground daemon, log in $work/daemon.log
start_daemon() {
	conf=$1
	shift
	"$SMF" -c "$conf" -f "$@" >>"$work/daemon.log" 2>&1 &
	daemon_pid=$!
	wait_for test -S "$work/sock" || fail "daemon did not create its socket"
}

stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid"
	i=0
	while kill -0 "$daemon_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "daemon ignored SIGTERM"
		sleep 0.1
	done
	wait "$daemon_pid" 2>/dev/null
	daemon_status=$?
	daemon_pid=
}
