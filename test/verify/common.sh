# common.sh - sourced by the test/verify shell tests that drive
# test/unit/verify_tool: sets $tool, $srcdir and $PYTHON, counts failures
# in $fails, and gives
#   check NAME WANT-SUBSTRING OUTPUT
#                     "ok NAME" when OUTPUT, its folded lines joined,
#                     holds WANT-SUBSTRING, else "FAIL ..." and fails+1;
#   verify_workdir NAME
#                     a temp dir $work holding a copy of the test PKI
#                     ($work/pki, made the working directory), removed at
#                     exit after the processes listed in $pids are killed;
#   start_crlserver DIR
#                     serve DIR on loopback (crlserver.py, request log in
#                     $work/log) for the rest of the test; sets $port and
#                     $base ("http://127.0.0.1:PORT").
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
tool=$(cd "$top_builddir" && pwd)/test/unit/verify_tool
srcdir=$(cd "$top_srcdir" && pwd)
PYTHON=${PYTHON:-python3}
fails=0

check() { # check NAME WANT-SUBSTRING OUTPUT
	if printf '%s\n' "$3" | awk '/^\t/ { sub(/^\t/, " "); printf "%s", $0; next }
	    { printf "\n%s", $0 } END { print "" }' | grep -F -q -- "$2"; then
		echo "ok $1"
	else
		echo "FAIL $1: want '$2' in:"
		printf '%s\n' "$3"
		fails=$((fails + 1))
	fi
}

verify_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/smime-$1.XXXXXX") || exit 99
	pids=
	trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$work"' \
	    EXIT INT TERM
	sh "$srcdir/test/pki/shared.sh" pki "$work/pki" || exit 99
	cd "$work/pki" || exit 99
}

start_crlserver() {
	"$PYTHON" "$srcdir/test/verify/crlserver.py" "$1" "$work/port" "$work/log" &
	pids="$pids $!"
	_i=0
	while [ ! -s "$work/port" ]; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { echo "server did not start"; exit 99; }
		sleep 0.1
	done
	port=$(cat "$work/port")
	base="http://127.0.0.1:$port"
}
