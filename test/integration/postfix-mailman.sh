#!/bin/sh
# postfix-mailman.sh - signing after list expansion (issue 19 item 5),
# the way a campaign runs a list: a real GNU Mailman 3 (Debian's mailman3,
# private instance: its own var directory and SQLite, LMTP on loopback, no
# REST) behind a private Postfix (postfix-lib.sh) with smime-milter:
#   poster --(submission or port 25)--> Postfix+milter --LMTP--> Mailman
#   Mailman --(one personalized copy per member, SMTP AUTH "lists",
#   submission)--> Postfix+milter --> sink.
# The post to the list is not signed on its way in (sign.destinations
# skip for the list address): Mailman adds its footer, Subject prefix and
# List-* fields, then each copy is signed on its way out.  Checked on what
# reaches the sink:
#   1. From kept (no DMARC mitigation): every copy signed with the
#      candidate's identity (login "lists" is one of taro's senders),
#      verified by openssl against taro's certificate, the signed text
#      holds the post and Mailman's footer, List-Id / List-Unsubscribe /
#      [News] outside, RFC 9788 copies inside, our verifier (-t) passes;
#   2. DMARC mitigation munge_from (From: "... via News" <news@...>):
#      signed with the list's own identity news@example.jp;
#   3. a post from outside (port 25, no login) carrying X-SMIME-Sign: no
#      cannot make the copies unsigned: the field is removed on the way
#      in, every copy is signed and carries no X-SMIME-Sign.
# Skips (77) when not root, smime-milter is not built, or mailman3 is not
# installed (contrib/debian-packages lists it).
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v mailman >/dev/null 2>&1 || { echo "SKIP: mailman3 not installed"; exit 77; }
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_WORK=$(mktemp -d /tmp/smime-mailman.XXXXXX) || exit 1
. "$srcdir/test/integration/common.sh"
it_milter_bin || { rm -rf "$IT_WORK"; echo "SKIP: $IT_MILTER_BIN not built"; exit 77; }
. "$srcdir/test/integration/postfix-lib.sh"
MM=$IT_WORK/mailman
MM_CFG=$MM/mailman.cfg
MM_STARTED=
mm() { timeout 120 mailman --run-as-root -C "$MM_CFG" "$@"; }
# mm_stop - stop Mailman's master and wait (bounded) until it has gone.
mm_stop() {
	[ -n "$MM_STARTED" ] || return 0
	_ms_pid=$(cat "$MM/var/master.pid" 2>/dev/null)
	mm stop >/dev/null 2>&1
	_ms_n=0
	while [ -n "$_ms_pid" ] && kill -0 "$_ms_pid" 2>/dev/null && [ $_ms_n -lt 300 ]; do
		sleep 0.2
		_ms_n=$((_ms_n + 1))
	done
	[ -n "$_ms_pid" ] && kill -0 "$_ms_pid" 2>/dev/null && kill -KILL "$_ms_pid"
	MM_STARTED=
}
cleanup() {
	mm_stop
	pf_teardown
	it_milter_stop
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $IT_WORK" >&2
	else rm -rf "$IT_WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

AUTHSERV=mx.pf-test.example.jp
chmod 755 "$IT_WORK"
it_pki
# The list's own identity, issued by the test intermediate CA.
cat > "$IT_WORK/news.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = emailProtection
subjectAltName = email:news@example.jp
EOF
"$OPENSSL" req -new -newkey rsa:2048 -nodes -keyout "$IT_PKI/news.key" \
    -subj "/CN=News list/emailAddress=news@example.jp" -out "$IT_WORK/news.csr" \
    2>/dev/null &&
"$OPENSSL" x509 -req -in "$IT_WORK/news.csr" -CA "$IT_PKI/inter-ca.crt" \
    -CAkey "$IT_PKI/inter-ca.key" -set_serial 4242 -days 30 \
    -extfile "$IT_WORK/news.ext" -out "$IT_PKI/news.crt" 2>/dev/null ||
    it_die "cannot issue the list certificate"
chmod 600 "$IT_PKI/news.key"

it_milter_conf "$AUTHSERV"
# Only SMTP AUTH logins sign here (Mailman connects from 127.0.0.1).
cat > "$IT_WORK/milter.conf" <<EOF
socket = "$IT_MILTER_SOCKET";
authserv_id = "$AUTHSERV";
mode = "sv";
log_level = "debug";
sign = {
  destinations = { skip = [ "news@example.jp" ]; };
  identities = (
    { address = "taro@example.jp"; cert = "pki/taro.crt"; key = "pki/taro.key";
      chain = "pki/chain.pem"; senders = [ "taro", "lists" ]; },
    { address = "news@example.jp"; cert = "pki/news.crt"; key = "pki/news.key";
      chain = "pki/chain.pem"; senders = [ "lists" ]; }
  );
};
verify = { trust_anchors = "pki/trust.pem"; crl_fetch = false;
  revocation_unavailable = "neutral"; };
EOF
"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -n >"$IT_WORK/milter-n.log" 2>&1 ||
    { cat "$IT_WORK/milter-n.log" >&2; it_die "milter config"; }
it_milter_start
PF_MILTER="inet:127.0.0.1:$IT_MILTER_PORT"
pf_setup
pf_add_user taro 'taro-Secret-1'
pf_add_user lists 'lists-Secret-3'
# Mail for the list goes to Mailman's LMTP runner.
it_pick_port; MM_LMTP_PORT=$IT_PORT
echo 'lmtp      unix  -       -       n       -       -       lmtp' >> "$PF_CONF/master.cf"
postconf -c "$PF_CONF" -e \
    "transport_maps = inline:{ news@example.jp=lmtp:[127.0.0.1]:$MM_LMTP_PORT }" ||
    it_die "postconf transport_maps"
pf_start

# A private Mailman 3: everything under $MM, posts by LMTP from Postfix,
# outgoing mail to the Postfix submission port with SMTP AUTH.
mkdir -p "$MM" "$IT_WORK/py"
cat > "$MM_CFG" <<EOF
[mailman]
site_owner: postmaster@example.jp
layout: here
[paths.here]
var_dir: $MM/var
bin_dir: /usr/lib/mailman3/bin
[mta]
incoming: mailman.mta.null.NullMTA
outgoing: mailman.mta.deliver.deliver
smtp_host: 127.0.0.1
smtp_port: $PF_SUBMIT_PORT
smtp_user: lists
smtp_pass: lists-Secret-3
lmtp_host: 127.0.0.1
lmtp_port: $MM_LMTP_PORT
# Only the runners a post goes through (lmtp, in, pipeline, out): each
# is a Python process, and the suite's CPU time counts.
[runner.rest]
start: no
[runner.nntp]
start: no
[runner.archive]
start: no
[runner.bounces]
start: no
[runner.command]
start: no
[runner.digest]
start: no
[runner.retry]
start: no
[runner.task]
start: no
[runner.virgin]
start: no
[archiver.prototype]
enable: no
EOF
# List settings a campaign would choose (see smime-milter(8), LIST
# MANAGERS): the candidate may post, one personalized copy per member.
cat > "$IT_WORK/py/mmsetup.py" <<'EOF'
from mailman.config import config
from mailman.interfaces.action import Action
from mailman.interfaces.mailinglist import (
    DMARCMitigateAction, Personalization)


def setup(mlist, mode):
    mlist.default_nonmember_action = Action.accept
    mlist.personalize = Personalization.full
    if mode == 'munge':
        mlist.dmarc_mitigate_action = DMARCMitigateAction.munge_from
        mlist.dmarc_mitigate_unconditionally = True
    else:
        mlist.dmarc_mitigate_action = DMARCMitigateAction.no_mitigation
    config.db.commit()
EOF
export PYTHONPATH="$IT_WORK/py"
# The DMARC rule wants the public suffix list: Mailman's own copy, as a
# cache fresh for a day, instead of a download from publicsuffix.org.
mkdir -p "$MM/var"
psl=$(/usr/bin/python3 -c 'import os, mailman.rules.data as d
print(os.path.join(os.path.dirname(d.__file__), "public_suffix_list.dat"))') &&
    cp "$psl" "$MM/var/public_suffix_list.dat" || it_die "Mailman's public suffix list"
touch -d '+1 day' "$MM/var/public_suffix_list.dat"
mm create -q news@example.jp >"$IT_WORK/mm.log" 2>&1 || { cat "$IT_WORK/mm.log"; it_die "mailman create"; }
printf 'voter1@example.org\nvoter2@example.com\n' > "$IT_WORK/members"
mm addmembers -W "$IT_WORK/members" news@example.jp >>"$IT_WORK/mm.log" 2>&1 ||
    { cat "$IT_WORK/mm.log"; it_die "mailman addmembers"; }
mm shell -l news@example.jp -r mmsetup.setup keep >>"$IT_WORK/mm.log" 2>&1 ||
    { cat "$IT_WORK/mm.log"; it_die "mailman shell (list settings)"; }
IT_LOGS="$IT_LOGS $MM/var/logs/mailman.log $MM/var/logs/smtp.log"
mm start -q >>"$IT_WORK/mm.log" 2>&1 || { cat "$IT_WORK/mm.log"; it_die "mailman start"; }
MM_STARTED=yes
it_wait_port "$MM_LMTP_PORT" 60 || it_die "Mailman's LMTP runner did not listen"
ndeliv=0

# post MARKER submission|inbound [EXTRA-HEADER] - a candidate's post to
# the list through Postfix: submission with taro's login, or port 25.
post() {
	it_campaign_msg "$IT_WORK/$1.eml" "$1" taro@example.jp
	sed -i -e 's/^To: .*/To: news@example.jp/' "$IT_WORK/$1.eml"
	[ -z "${3:-}" ] || sed -i -e "s/^MIME-Version: 1.0$/$3\nMIME-Version: 1.0/" "$IT_WORK/$1.eml"
	if [ "$2" = submission ]; then
		it_send "$PF_SUBMIT_PORT" --from taro@example.jp --to news@example.jp \
		    --auth PLAIN --auth-user taro --auth-password 'taro-Secret-1' \
		    --data @"$IT_WORK/$1.eml"
	else
		it_send "$PF_INBOUND_PORT" --from taro@example.jp --to news@example.jp \
		    --data @"$IT_WORK/$1.eml"
	fi || { cat "$IT_WORK/swaks.last" >&2; it_die "post $1"; }
}

# copies MARKER - the sink files of that post, one per member.
copies() {
	grep -l -F -- "marker $1" "$IT_SINKDIR"/msg.* 2>/dev/null
	# (signed copies carry the marker inside quoted-printable or clear
	# text; the Message-ID is outside in every case)
	grep -l -F -- "<$1@example.jp>" "$IT_SINKDIR"/msg.* 2>/dev/null
}

# check_copy FILE SIGNER - signed by SIGNER's certificate, footer and post
# inside, List-* outside, our verifier passes.
check_copy() {
	_f=$1 _who=$2 _c=$IT_WORK/chk/$(basename "$1")
	mkdir -p "$IT_WORK/chk"	# not in the sink: it counts files there
	grep -qi '^Content-Type: multipart/signed' "$_f" || it_die "$_f: not signed"
	grep -qi '^X-SMIME-Sign' "$_f" && it_die "$_f: X-SMIME-Sign left in"
	"$OPENSSL" cms -verify -in "$_f" -CAfile "$IT_PKI/trust.pem" -purpose smimesign \
	    -signer "$IT_WORK/signer.pem" -out "$_c.content" 2>"$IT_WORK/cms.err" ||
	    { cat "$IT_WORK/cms.err" >&2; it_die "$_f: openssl does not verify"; }
	[ "$("$OPENSSL" x509 -in "$IT_WORK/signer.pem" -noout -fingerprint)" = \
	  "$("$OPENSSL" x509 -in "$IT_PKI/$_who.crt" -noout -fingerprint)" ] ||
	    it_die "$_f: not signed by $_who"
	python3 - "$_c.content" <<'EOF' || it_die "$_f: post or footer not in the signed text"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
text = "".join(p.get_content() for p in m.walk() if p.get_content_type() == "text/plain")
assert "山田太郎です" in text, text
assert "news mailing list" in text.lower() and "news-leave@example.jp" in text, text
EOF
	tr -d '\r' < "$_f" | awk '/^$/ { exit } { print }' > "$_c.hdr"
	grep -qi '^List-Id: .*news.example.jp' "$_c.hdr" || it_die "$_f: no List-Id"
	grep -qi '^List-Unsubscribe:' "$_c.hdr" || it_die "$_f: no List-Unsubscribe"
	grep -qi '^Subject: \[News\]' "$_c.hdr" || it_die "$_f: no list Subject prefix"
	grep -qi 'hp="clear"' "$_c.content" || it_die "$_f: no header protection"
	it_strip_sink "$_f" > "$_c.msg"
	"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -t "$_c.msg" -C 192.0.2.1 \
	    > "$_c.t" 2>"$_c.t.err"
	it_ar_smime "$_c.t" "$AUTHSERV" | grep -q '; smime=pass ' ||
	    { cat "$_c.t.err" >&2; it_die "$_f: our verifier: $(grep -i -A3 '^Authentication-Results' "$_c.t")"; }
}

# 1. From kept: the candidate's identity signs each copy.
post mm-keep submission
ndeliv=$((ndeliv + 2))
pf_wait_delivered $ndeliv 120 || it_die "1: $(it_delivered_count) of $ndeliv delivered"
n=0
for f in $(copies mm-keep | sort -u); do
	check_copy "$f" taro
	n=$((n + 1))
done
[ $n = 2 ] || it_die "1: $n signed copies, want 2"
grep -c 'signed as taro@example.jp (login lists' "$IT_WORK/milter.log" | grep -q '^2$' ||
    it_die "1: milter log does not show two copies signed for login lists"
echo "ok 1 Mailman 3 copies (footer, List-*, [News] prefix) signed as the candidate; openssl and our verifier pass"

# 2. DMARC mitigation munge_from: the list's identity signs.
mm_stop
mm shell -l news@example.jp -r mmsetup.setup munge >>"$IT_WORK/mm.log" 2>&1 ||
    it_die "mailman shell (munge_from)"
mm start -q >>"$IT_WORK/mm.log" 2>&1 || it_die "mailman restart"
MM_STARTED=yes
it_wait_port "$MM_LMTP_PORT" 60 || it_die "Mailman's LMTP runner did not listen again"
post mm-munge submission
ndeliv=$((ndeliv + 2))
pf_wait_delivered $ndeliv 120 || it_die "2: $(it_delivered_count) of $ndeliv delivered"
n=0
for f in $(copies mm-munge | sort -u); do
	grep -qi '^From:.*news@example.jp' "$f" || it_die "2: From not munged"
	check_copy "$f" news
	n=$((n + 1))
done
[ $n = 2 ] || it_die "2: $n signed copies, want 2"
echo "ok 2 DMARC munge_from: copies signed with the list's own identity"

# 3. X-SMIME-Sign: no in a post from outside never reaches the list.
post mm-nosign inbound 'X-SMIME-Sign: no'
ndeliv=$((ndeliv + 2))
pf_wait_delivered $ndeliv 120 || it_die "3: $(it_delivered_count) of $ndeliv delivered"
n=0
for f in $(copies mm-nosign | sort -u); do
	check_copy "$f" news
	n=$((n + 1))
done
[ $n = 2 ] || it_die "3: $n copies, want 2"
echo "ok 3 X-SMIME-Sign: no from outside removed before the list: every copy signed"
exit 0
