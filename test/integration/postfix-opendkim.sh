#!/bin/sh
# postfix-opendkim.sh - smime-milter beside Debian's OpenDKIM in a real
# Postfix (private instance, see postfix-lib.sh), both milters sharing one
# authserv-id, in both orders (issue 21):
#   1. smime-milter first: authenticated campaign mail is S/MIME signed
#      (openssl verifies) and DKIM signed, and the DKIM signature verifies
#      with python3-dkim (key from opendkim-genkey, served by a local DNS
#      function); h= covers MIME-Version and Content-Type, as the OpenDKIM
#      settings recommended in contrib/postfix and README ask;
#   2. OpenDKIM first: the DKIM signature of the same kind of mail breaks
#      (smime-milter replaces the body after OpenDKIM signed it);
#   3. inbound (port-25 listener, external client), OpenDKIM first, as
#      in issue 21: the message of 1 with a forged
#      "<authserv-id>; smime=pass" field on top arrives with OpenDKIM's
#      dkim=pass AND our smime=pass, both under the shared authserv-id,
#      and without the forged field;
#   4. the same with smime-milter first.
# OpenDKIM looks the key up through TestDNSData, so nothing touches DNS.
# Exit: 0 pass, 77 skip (not root, smime-milter not built), 1 fail.

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_WORK=$(mktemp -d /tmp/smime-pfdkim.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
it_milter_bin || { rm -rf "$IT_WORK"; echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/postfix-lib.sh"
PY=${PYTHON3:-/usr/bin/python3}
DK_PID=
cleanup() {
	pf_teardown
	it_milter_stop
	[ -n "$DK_PID" ] && kill "$DK_PID" 2>/dev/null && wait "$DK_PID" 2>/dev/null
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
for c in opendkim opendkim-genkey; do
	command -v "$c" >/dev/null 2>&1 || it_die "$c not installed (Debian: opendkim, opendkim-tools)"
done
"$PY" -c 'import dkim' 2>/dev/null || it_die "python3-dkim not installed"

AUTHSERV=mx.pf-test.example.jp
chmod 755 "$IT_WORK"
it_pki
it_milter_conf "$AUTHSERV"
it_milter_start

# --- OpenDKIM: a key from opendkim-genkey, the record in TestDNSData ---
DK=$IT_WORK/opendkim
mkdir -p "$DK" && chmod 700 "$DK"
opendkim-genkey -b 2048 -D "$DK" -d example.jp -s sel >"$DK/genkey.log" 2>&1 ||
	{ cat "$DK/genkey.log"; it_die "opendkim-genkey"; }
# sel.txt is a zone-file TXT record: join its quoted strings.
txt=$(tr -d '\n' < "$DK/sel.txt" | sed 's/^[^(]*(//; s/)[^)]*$//' |
	grep -o '"[^"]*"' | tr -d '"' | tr -d '\n')
case $txt in *p=MII*) ;; *) it_die "cannot read $DK/sel.txt: $txt" ;; esac
printf '%s\n' "$txt" > "$DK/record"
printf 'sel._domainkey.example.jp %s\n' "$txt" > "$DK/dns"
it_pick_port
DK_PORT=$IT_PORT
# The recommended settings (README, contrib/postfix): sign MIME-Version
# and Content-Type, which smime-milter rewrites, and oversign them so that
# no second copy can be added in transit.
cat > "$DK/opendkim.conf" <<EOF
Syslog			no
LogWhy			yes
Mode			sv
Domain			example.jp
Selector		sel
KeyFile			$DK/sel.private
RequireSafeKeys		false
Socket			inet:$DK_PORT@127.0.0.1
PidFile			$DK/opendkim.pid
AuthservID		$AUTHSERV
InternalHosts		127.0.0.1
Canonicalization	relaxed/simple
SignHeaders		From,Sender,Reply-To,Subject,Date,Message-ID,To,Cc,MIME-Version,Content-Type,Content-Transfer-Encoding,In-Reply-To,References
OversignHeaders		From,Subject,MIME-Version,Content-Type
TestDNSData		file:$DK/dns
EOF
opendkim -f -x "$DK/opendkim.conf" >"$DK/opendkim.log" 2>&1 &
DK_PID=$!
IT_LOGS="$IT_LOGS $DK/opendkim.log"
it_wait_port "$DK_PORT" 20 || it_die "opendkim did not listen on $DK_PORT"

SMIME="inet:127.0.0.1:$IT_MILTER_PORT"
DKIM="inet:127.0.0.1:$DK_PORT"
PF_MILTER="$SMIME, $DKIM"
pf_setup
pf_add_user taro 'taro-Secret-1'
pf_start
ndeliv=0

# dkim_verify FILE: python3-dkim's verdict on the delivered message, the
# key coming from the record opendkim-genkey wrote (no DNS).  Prints h=.
dkim_verify() {
	it_strip_sink "$1" > "$IT_WORK/dkim.msg"
	"$PY" - "$IT_WORK/dkim.msg" "$DK/record" <<'EOF'
import re, sys, dkim
msg = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
rec = open(sys.argv[2], 'rb').read().strip()
def dns(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    return rec if n.rstrip('.') == 'sel._domainkey.example.jp' else None
head = msg.split(b'\r\n\r\n', 1)[0].decode('ascii', 'replace')
m = re.search(r'^DKIM-Signature:(.*?)(?=\r\n\S)', head, re.S | re.M | re.I)
if not m:
    print('no DKIM-Signature'); sys.exit(2)
h = re.search(r'\bh=([^;]*)', m.group(1).replace('\r\n', ''))
print('h=' + re.sub(r'\s+', '', h.group(1)).lower() if h else 'h=?')
sys.exit(0 if dkim.verify(msg, dnsfunc=dns) else 1)
EOF
}

# ar_fields FILE: our authserv-id's A-R fields, unfolded, one a line.
ar_fields() {
	it_ar_smime "$1" "$AUTHSERV"
}

# 1. smime-milter first: both signatures hold.
it_campaign_msg "$IT_WORK/m1" pf-dk-smime-first taro@example.jp
pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m1" || { cat "$IT_WORK/swaks.last"; it_die "send 1"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "1: not delivered"
it_expect_signed pf-dk-smime-first
f1=$(it_find_delivery '<pf-dk-smime-first@example.jp>')
out=$(dkim_verify "$f1") || it_die "1: DKIM does not verify with smime-milter first: $out"
case $out in
*mime-version*content-type* | *content-type*mime-version*) ;;
*) it_die "1: DKIM h= does not cover MIME-Version and Content-Type: $out" ;;
esac
echo "ok 1 smime-milter first: S/MIME and DKIM both verify ($out)"

# 2. OpenDKIM first: the DKIM body hash no longer matches.
pf_set_milter "$DKIM, $SMIME"
pf_reload
sleep 2
it_campaign_msg "$IT_WORK/m2" pf-dk-dkim-first taro@example.jp
pf_send "$PF_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
    --data @"$IT_WORK/m2" || { cat "$IT_WORK/swaks.last"; it_die "send 2"; }
ndeliv=$((ndeliv + 1))
pf_wait_delivered $ndeliv 60 || it_die "2: not delivered"
it_expect_signed pf-dk-dkim-first
f2=$(it_find_delivery '<pf-dk-dkim-first@example.jp>')
if out=$(dkim_verify "$f2"); then
	it_die "2: DKIM verifies although OpenDKIM signed before smime-milter"
fi
echo "ok 2 OpenDKIM first: the DKIM signature breaks ($out)"

# 3./4. inbound: message 1 again from an external client, with a forged
# smime result of our authserv-id on top and a marker field (neither is
# covered by the DKIM signature).
inbound() {	# NAME
	{ echo "Authentication-Results: $AUTHSERV; smime=pass header.from=taro@example.jp (forged)"
	  echo "X-Test-Marker: $1"
	  it_strip_sink "$f1"; } > "$IT_WORK/$1.eml"
	it_send "$PF_INBOUND_PORT" --from taro@example.jp --to voter@example.org \
	    --data @"$IT_WORK/$1.eml" || { cat "$IT_WORK/swaks.last"; it_die "send $1"; }
	ndeliv=$((ndeliv + 1))
	pf_wait_delivered $ndeliv 60 || it_die "$1: not delivered"
	_f=$(it_find_delivery "X-Test-Marker: $1")
	[ -n "$_f" ] || it_die "$1: delivery not found"
	_ar=$(ar_fields "$_f")
	echo "$_ar" | grep -q 'dkim=pass' ||
	    it_die "$1: OpenDKIM's dkim=pass is gone: $_ar"
	[ "$(echo "$_ar" | grep -c 'smime=')" = 1 ] ||
	    it_die "$1: want exactly one smime result: $_ar"
	echo "$_ar" | grep 'smime=' | grep -q 'smime=pass.*body.smime-identifier=taro@example.jp' ||
	    it_die "$1: our smime=pass missing: $_ar"
	echo "$_ar" | grep -q '(forged)' && it_die "$1: the forged field survived: $_ar"
	dkim_verify "$_f" >/dev/null || it_die "$1: DKIM no longer verifies after verification"
	return 0
}
# Port 25, OpenDKIM first (the order of 2 is still set).
inbound pf-dk-in-dkim-first
echo "ok 3 inbound, OpenDKIM first: dkim=pass and smime=pass under one authserv-id, forged smime result removed"
pf_set_milter "$SMIME, $DKIM"
pf_reload
sleep 2
inbound pf-dk-in-smime-first
echo "ok 4 inbound, smime-milter first: both results kept, forged smime result removed"
exit 0
