# common.sh - shared by the test/client/*.sh tests that run smime-milter:
# a temp dir, the test PKI, a config, start/stop of the daemon in the
# foreground on a unix socket, and checks on its output.  Source it after
# setting nothing; it sets $tmp, $pki, $sock, $conf, $client, $milter.
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}"
client=$top_builddir/test/client/milterclient
milter=$top_builddir/milter/smime-milter
if [ ! -x "$milter" ]; then
	echo "SKIP: $milter not built"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mctest.XXXXXX")
chmod 755 "$tmp"
mpid=
fail=0
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" INT TERM
bad() { echo "FAIL: $*"; fail=1; }

pki=$tmp/pki
sh "$top_srcdir/test/pki/shared.sh" pki "$pki" > "$tmp/pki.log" 2>&1 ||
	{ cat "$tmp/pki.log"; echo "FAIL: test PKI"; exit 1; }
sock=$tmp/milter.sock
conf=$tmp/smime-milter.conf

# write_conf [EXTRA-TOP-LEVEL-LINES]: taro (RSA) and hanako (P-256);
# $taro_key, $hanako_key, $hanako_cert replace their files (e.g. by
# pkcs11: URIs), $sign_extra adds lines to the sign group.
write_conf() {
	cat > "$conf" <<EOF
socket = "unix:$sock";
authserv_id = "mx.test";
mode = "sv";
on_error = "tempfail";
internal_hosts = [ "10.99.0.0/16" ];
log_level = "${log_level:-debug}";
${1:-}
sign = {
	${sign_extra:-}
	identities = (
		{ address = "taro@example.jp"; cert = "$pki/taro.crt";
		  key = "${taro_key:-$pki/taro.key}"; chain = "$pki/chain.pem";
		  senders = [ "taro" ]; },
		{ address = "hanako@example.jp";
		  cert = "${hanako_cert:-$pki/hanako.crt}";
		  key = "${hanako_key:-$pki/hanako.key}"; chain = "$pki/chain.pem";
		  senders = [ "hanako" ]; }
	);
};
verify = {
	trust_anchors = "$pki/trust.pem";
};
EOF
}

# start_milter: run the daemon in the foreground, stderr to $tmp/daemon.err.
start_milter() {
	rm -f "$sock"
	"$milter" -c "$conf" -f -p "unix:$sock" 2>> "$tmp/daemon.err" &
	mpid=$!
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 200 ] && kill -0 "$mpid" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	if [ ! -S "$sock" ]; then
		cat "$tmp/daemon.err"; echo "FAIL: smime-milter did not start"
		exit 1
	fi
}

# stop_milter: SIGTERM, wait (bounded); LSan reports leaks at this exit.
stop_milter() {
	[ -n "$mpid" ] || return 0
	kill -TERM "$mpid" 2>/dev/null
	i=0
	while kill -0 "$mpid" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$mpid" 2>/dev/null; then
		bad "smime-milter ignored SIGTERM for 30 s"
		kill -KILL "$mpid"
	fi
	wait "$mpid" 2>/dev/null
	mpid=
}

# check_sanitizers: no ASan/LSan/UBSan report in the daemon's stderr.
check_sanitizers() {
	if grep -q -E 'Sanitizer|runtime error:' "$tmp/daemon.err"; then
		grep -E -A30 'Sanitizer|runtime error:' "$tmp/daemon.err" | head -60
		bad "sanitizer report from smime-milter"
	fi
}

mc() { timeout 120 "$client" -s "unix:$sock" "$@"; }

# no_key_material LOG KEYFILE...: no key armour and no 24-character piece
# of any key's base64 in LOG.
no_key_material() {
	log=$1
	shift
	grep -q 'PRIVATE KEY' "$log" && bad "key armour in $log"
	for k in "$@"; do
		grep -v -- '-----' "$k" | cut -c1-24 | while read -r piece; do
			grep -qF -- "$piece" "$log" && echo "$piece"
		done > "$tmp/leaked"
		[ -s "$tmp/leaked" ] && bad "key material of $k in $log"
	done
}

# is_signed FILE: top-level Content-Type is multipart/signed.
is_signed() {
	awk 'BEGIN { hdr = 1 } /^\r?$/ { exit }
	     tolower($0) ~ /^content-type:[ \t]*multipart\/signed/ { f = 1 }
	     END { exit !f }' "$1"
}

# smime_result FILE: the smime= result of the Authentication-Results field.
smime_result() {
	awk 'BEGIN { hdr = 1 } /^\r?$/ { exit }
	     /^[^ \t]/ { ar = tolower($0) ~ /^authentication-results:/ }
	     ar && match($0, /smime=[a-z]+/) { print substr($0, RSTART + 6, RLENGTH - 6); exit }' "$1"
}

# verifies FILE: openssl accepts the signature against the test root.
verifies() {
	"$OPENSSL" cms -verify -CAfile "$pki/trust.pem" -in "$1" -out /dev/null \
	    2> /dev/null
}
