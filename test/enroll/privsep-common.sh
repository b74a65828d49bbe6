# privsep-common.sh - set-up shared by the privsep-*.sh tests (sourced):
# smime-enroll and smime-milter as root against what the milter's user
# (nobody here) can plant (issue 12).  Provides $E (smime-enroll with
# user = "nobody", store $store, pid file in $work/run), $SMF, as_nobody,
# ok, victim_ok LABEL (a root-only file that must survive), import_taro,
# legacy (turn the store into one an old smime-enroll left: owned by
# nobody).  Skips (77) unless root with a user nobody and setpriv.
. "${top_srcdir:-.}/test/enroll/common.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
SMF=$top_builddir/milter/smime-milter
nuid=$(id -u nobody)
ngid=$(id -g nobody)
# as_nobody CMD...: run as the milter's user, no supplementary groups
as_nobody() { setpriv --reuid="$nuid" --regid="$ngid" --clear-groups -- "$@"; }
ok() { echo "ok $*"; }
chmod 755 "$work"

cat > "$work/enroll.conf" <<CONF
socket = "unix:$work/run/sock";
user = "nobody";
mode = "s";
pidfile = "$work/run/milter.pid";
sign = { store = "$store"; };
enroll = { o = "山田太郎"; st = "東京都"; c = "JP"; key_type = "ec:P-256";
	cmp_trusted = "$pki/root-ca.crt"; intermediates = "$pki/chain.pem"; };
CONF
E="$ENROLL -c $work/enroll.conf"

# A root-only file that must survive every attack unchanged.
printf 'root:TOPSECRET:0:0\n' > "$work/victim"
chmod 600 "$work/victim"
victim_ok() { # victim_ok LABEL
	[ "$(cat "$work/victim")" = "root:TOPSECRET:0:0" ] || fail "$1: victim overwritten"
	[ "$(stat -c %u:%a "$work/victim")" = "0:600" ] ||
		fail "$1: victim now $(stat -c %u:%a "$work/victim")"
}
mkdir -m 700 "$work/rootdir"

# import_taro: taro's key and a certificate from the test CA in the store
import_taro() {
	cat "$pki/taro.key" "$pki/taro.crt" > "$work/taro.pem"
	$E import taro@example.jp "$work/taro.pem" > "$work/out" 2>&1 ||
		fail "import: $(cat "$work/out")"
}
# legacy: the store as the old smime-enroll left it, owned by nobody
legacy() {
	chown -R nobody: "$store"
	find "$store" -type d -exec chmod 700 {} +
	find "$store" -type f -exec chmod 600 {} +
}

