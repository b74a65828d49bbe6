# common.sh - helpers shared by the integration tests (POSIX sh, sourced).
#
# Set before sourcing:  IT_WORK  scratch directory the caller removes.
# Provides: logging/failing (it_log, it_die: dumps every file in IT_LOGS),
# loopback port picking and bounded waits, the test PKI, a smime-milter
# config + start/stop, and independent checks with the openssl CLI.

OPENSSL=${OPENSSL:-openssl}
IT_LOGS=${IT_LOGS:-}
IT_MILTER_PID=
IT_SINK_PID=
IT_SINKDIR=$IT_WORK/sink
PATH=$PATH:/usr/sbin:/sbin
export PATH

# it_log MSG... - progress line on stderr (ends up in the test's .log).
it_log() {
	echo "it: $*" >&2
}

# it_die MSG... - report, show the tail of every log in IT_LOGS, exit 1.
it_die() {
	echo "it: FAIL: $*" >&2
	for _d_log in $IT_LOGS; do
		[ -f "$_d_log" ] || continue
		echo "---- last lines of $_d_log" >&2
		tail -n 40 "$_d_log" >&2
	done
	exit 1
}

# it_port_free PORT - true when no TCP socket (listening or connected)
# uses PORT on this host.
it_port_free() {
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
	else
		# /dev/tcp is a bash feature; dash does not have it.
		! bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

# it_listening PORT - true when something listens on PORT.
it_listening() {
	if command -v ss >/dev/null 2>&1; then
		[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
	else
		bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

# it_pick_port - set IT_PORT to a free TCP port below the kernel's
# ephemeral range (outgoing connections take ports from that range, and a
# daemon could then fail to bind), never one handed out before in this
# shell (IT_USED_PORTS; so do not call it in a $(...) subshell).
it_pick_port() {
	_pp_lo=10000
	_pp_hi=$(awk '{ print $1 - 1 }' /proc/sys/net/ipv4/ip_local_port_range \
	    2>/dev/null)
	[ "${_pp_hi:-0}" -gt 12000 ] 2>/dev/null || _pp_hi=32767
	_pp_n=$((_pp_hi - _pp_lo))
	_pp_try=0
	while [ $_pp_try -lt 200 ]; do
		_pp_rand=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		_pp_port=$((_pp_lo + _pp_rand % _pp_n))
		case " ${IT_USED_PORTS:-} " in
		*" $_pp_port "*) ;;
		*)	if it_port_free "$_pp_port"; then
				IT_USED_PORTS="${IT_USED_PORTS:-} $_pp_port"
				IT_PORT=$_pp_port
				return 0
			fi ;;
		esac
		_pp_try=$((_pp_try + 1))
	done
	it_die "no free port found"
}

# it_wait_port PORT SECONDS - wait until something listens on the port.
it_wait_port() {
	_wp_end=$(( $(date +%s) + $2 ))
	while ! it_listening "$1"; do
		[ "$(date +%s)" -ge "$_wp_end" ] && return 1
		sleep 0.2
	done
	return 0
}

# it_wait_port_closed PORT SECONDS - wait until nothing listens any more.
it_wait_port_closed() {
	_wc_end=$(( $(date +%s) + $2 ))
	while it_listening "$1"; do
		[ "$(date +%s)" -ge "$_wc_end" ] && return 1
		sleep 0.2
	done
	return 0
}

# it_pki - a copy of the shared test PKI in $IT_WORK/pki (test/pki/shared.sh).
it_pki() {
	IT_PKI=$IT_WORK/pki
	OPENSSL=$OPENSSL sh "$srcdir/test/pki/shared.sh" pki "$IT_PKI" \
	    >"$IT_WORK/pki.log" 2>&1 || { cat "$IT_WORK/pki.log" >&2;
	    it_die "test PKI"; }
}

# it_milter_bin - set IT_MILTER_BIN to the built daemon; false when absent.
it_milter_bin() {
	IT_MILTER_BIN=${SMIME_MILTER:-${top_builddir:-.}/milter/smime-milter}
	[ -x "$IT_MILTER_BIN" ]
}

# it_milter_conf AUTHSERV_ID - write $IT_WORK/milter.conf: sign as
# taro@example.jp for SMTP AUTH login "taro", internal host 127.0.0.1 only
# (clients from 127.0.0.2 count as external), verify against the test PKI.
# Sets IT_MILTER_PORT and IT_MILTER_SOCKET (milter syntax).
it_milter_conf() {
	it_pick_port
	IT_MILTER_PORT=$IT_PORT
	IT_MILTER_SOCKET="inet:$IT_MILTER_PORT@127.0.0.1"
	cat > "$IT_WORK/milter.conf" <<EOF
# smime-milter configuration written by test/integration/common.sh
socket = "$IT_MILTER_SOCKET";
pidfile = "$IT_WORK/smime-milter.pid";
authserv_id = "$1";
mode = "sv";
on_error = "tempfail";
internal_hosts = [ "127.0.0.1/32" ];
log_level = "debug";
sign = {
  digest = "sha256";
  include_chain = true;
  identities = (
    { address = "taro@example.jp"; cert = "pki/taro.crt"; key = "pki/taro.key";
      chain = "pki/chain.pem"; senders = [ "taro" ]; }
  );
};
verify = {
  trust_anchors = "pki/trust.pem";
  crl = [ "pki/crl.pem", "pki/root-crl.pem" ];
};
EOF
	"$IT_MILTER_BIN" -c "$IT_WORK/milter.conf" -n \
	    >"$IT_WORK/milter-n.log" 2>&1 || { cat "$IT_WORK/milter-n.log" >&2;
	    it_die "smime-milter -n rejects the test config"; }
}

# it_milter_start - run the daemon in the foreground (-f) in the background,
# logging to $IT_WORK/milter.log; wait until its socket listens.
it_milter_start() {
	"$IT_MILTER_BIN" -f -c "$IT_WORK/milter.conf" \
	    >>"$IT_WORK/milter.log" 2>&1 &
	IT_MILTER_PID=$!
	case " $IT_LOGS " in *" $IT_WORK/milter.log "*) ;;
	*) IT_LOGS="$IT_LOGS $IT_WORK/milter.log" ;; esac
	if ! it_wait_port "$IT_MILTER_PORT" 20; then
		it_die "smime-milter did not listen on $IT_MILTER_PORT"
	fi
	kill -0 "$IT_MILTER_PID" 2>/dev/null || it_die "smime-milter exited"
}

# it_milter_stop - SIGTERM the daemon and wait (bounded) for it to exit.
it_milter_stop() {
	[ -n "$IT_MILTER_PID" ] || return 0
	kill -TERM "$IT_MILTER_PID" 2>/dev/null
	_ms_n=0
	while kill -0 "$IT_MILTER_PID" 2>/dev/null && [ $_ms_n -lt 100 ]; do
		sleep 0.1
		_ms_n=$((_ms_n + 1))
	done
	if kill -0 "$IT_MILTER_PID" 2>/dev/null; then
		kill -KILL "$IT_MILTER_PID" 2>/dev/null
		wait "$IT_MILTER_PID" 2>/dev/null
		IT_MILTER_PID=
		it_die "smime-milter ignored SIGTERM for 10s"
	fi
	wait "$IT_MILTER_PID" 2>/dev/null
	IT_MILTER_PID=
	it_wait_port_closed "$IT_MILTER_PORT" 10 ||
	    it_die "milter port still open after stop"
}

# it_campaign_msg FILE MARKER FROM - a Japanese UTF-8 8bit campaign message
# (8-bit text, re-encoded in transit by relays without 8BITMIME) with Message-ID <MARKER@...>.
it_campaign_msg() {
	cat > "$1" <<EOF
From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <$3>
To: voter@example.org
Subject: =?UTF-8?B?5pS/562W44Gu44GK55+l44KJ44Gb?= $2
Message-ID: <$2@example.jp>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

有権者の皆様へ
山田太郎です。本日、東京都で政策説明会を開きます。
marker $2
EOF
}

# it_verify_signed FILE CONTENT_OUT - check FILE (an RFC 5322 message, extra
# leading trace headers allowed) is S/MIME signed by the test PKI's taro
# certificate and verifies with the openssl CLI against trust.pem; the
# signed content goes to CONTENT_OUT.  Returns openssl's status.
it_verify_signed() {
	grep -qi '^Content-Type: multipart/signed' "$1" || return 1
	"$OPENSSL" cms -verify -in "$1" -CAfile "$IT_PKI/trust.pem" \
	    -purpose smimesign -signer "$IT_WORK/signer.pem" \
	    -out "$2" 2>"$IT_WORK/cms-verify.err" || {
		cat "$IT_WORK/cms-verify.err" >&2
		return 1
	}
	# The signer must be taro's certificate, nobody else's.
	[ "$("$OPENSSL" x509 -in "$IT_WORK/signer.pem" -noout -fingerprint)" = \
	  "$("$OPENSSL" x509 -in "$IT_PKI/taro.crt" -noout -fingerprint)" ]
}

# it_sign_with_openssl IN OUT - sign message IN as taro with the openssl CLI
# (an implementation independent of ours) into OUT, multipart/signed, with
# the outer headers carried over.  For the verifying direction.
it_sign_with_openssl() {
	# Split headers: Content-* go inside the signed entity, MIME-Version
	# is dropped (openssl writes its own), the rest stays outside.
	: > "$IT_WORK/sig.in"; : > "$IT_WORK/sig.out"; : > "$IT_WORK/sig.body"
	awk -v w="$IT_WORK" '
	    BEGIN { inhdr = 1 }
	    inhdr && /^$/ { inhdr = 0; next }
	    inhdr && /^[ \t]/ { if (cur != "") print > (w "/sig." cur); next }
	    inhdr { l = tolower($0)
		    cur = l ~ /^content-/ ? "in" : l ~ /^mime-version:/ ? "" : "out"
		    if (cur != "") print > (w "/sig." cur); next }
	    { print > (w "/sig.body") }' "$1"
	{ cat "$IT_WORK/sig.in"; echo; cat "$IT_WORK/sig.body"; } \
	    > "$IT_WORK/sig.entity"
	"$OPENSSL" cms -sign -in "$IT_WORK/sig.entity" -signer "$IT_PKI/taro.crt" \
	    -inkey "$IT_PKI/taro.key" -certfile "$IT_PKI/chain.pem" \
	    -md sha256 -out "$IT_WORK/sig.smime" 2>"$IT_WORK/cms-sign.err" ||
	    { cat "$IT_WORK/cms-sign.err" >&2; it_die "openssl cms -sign"; }
	# openssl writes MIME-Version + Content-Type; prepend the outer headers.
	{ cat "$IT_WORK/sig.out"; cat "$IT_WORK/sig.smime"; } > "$2"
	rm -f "$IT_WORK/sig.in" "$IT_WORK/sig.out" "$IT_WORK/sig.body" \
	    "$IT_WORK/sig.entity" "$IT_WORK/sig.smime"
}

# it_ar_smime FILE AUTHSERV_ID - print the value of our Authentication-
# Results field(s) in FILE (unfolded), one per line.
it_ar_smime() {
	awk -v id="$2" '
	    /^$/ { exit }
	    /^[ \t]/ { if (cur != "") cur = cur " " $0; next }
	    { if (cur != "") print cur; cur = "" }
	    tolower($0) ~ /^authentication-results:/ { cur = $0 }
	    END { if (cur != "") print cur }' "$1" |
	    grep -i "^Authentication-Results: *$2 *;" | tr -s ' \t' '  '
}

# it_sink_start PORT - run smtp-sink on 127.0.0.1:PORT as the next hop; it
# writes each received message (with X-Client-Addr/X-Helo-Args/X-Mail-Args/
# X-Rcpt-Args lines in front) to its own file $IT_SINKDIR/msg.*.
it_sink_start() {
	mkdir -p "$IT_SINKDIR" && chown postfix "$IT_SINKDIR" ||
	    it_die "sink directory"
	IT_LOGS="$IT_LOGS $IT_WORK/smtp-sink.log"
	smtp-sink -u postfix -d "$IT_SINKDIR/msg." "127.0.0.1:$1" 50 \
	    >"$IT_WORK/smtp-sink.log" 2>&1 &
	IT_SINK_PID=$!
	it_wait_port "$1" 10 || it_die "smtp-sink did not start"
}

# it_sink_stop - stop smtp-sink; safe to call twice.
it_sink_stop() {
	[ -n "$IT_SINK_PID" ] || return 0
	kill "$IT_SINK_PID" 2>/dev/null
	wait "$IT_SINK_PID" 2>/dev/null
	IT_SINK_PID=
}

# it_delivered_count - number of messages smtp-sink has written.
it_delivered_count() {
	find "$IT_SINKDIR" -type f -name 'msg.*' 2>/dev/null | wc -l
}

# it_find_delivery TEXT - print the sink file containing TEXT (a unique
# marker such as a Message-ID); empty when none.
it_find_delivery() {
	grep -l -F -- "$1" "$IT_SINKDIR"/msg.* 2>/dev/null | head -n 1
}

# it_strip_sink FILE - print FILE without the lines smtp-sink puts in front,
# i.e. the message as the next hop received it.
it_strip_sink() {
	awk 'BEGIN { hdr = 1 }
	     hdr && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args):/ { next }
	     { hdr = 0; print }' "$1"
}

# it_decoded_text ENTITY - print the decoded body of a single-part MIME
# entity (as written by openssl cms -verify -out): quoted-printable and
# base64 undone, so that the text can be compared with what was sent.
it_decoded_text() {
	perl -MMIME::QuotedPrint -MMIME::Base64 -e '
	    local $/; my $m = <STDIN>; $m =~ s/\r\n/\n/g;
	    my ($h, $b) = split /\n\n/, $m, 2;
	    $h =~ s/\n[ \t]+/ /g;
	    my ($cte) = $h =~ /^content-transfer-encoding:\s*(\S+)/im;
	    $cte = lc($cte // "7bit");
	    print $cte eq "quoted-printable" ? decode_qp($b) :
	        $cte eq "base64" ? decode_base64($b) : $b;' <"$1"
}

# it_send PORT SWAKS-ARGS... - one SMTP transaction with swaks from 127.0.0.2
# (an "external" client unless the test says otherwise with a second
# --local-interface); dialogue in $IT_WORK/swaks.last.
it_send() {
	_is_port=$1
	shift
	swaks --server 127.0.0.1 --port "$_is_port" --timeout 30 \
	    --helo client.example.net --local-interface 127.0.0.2 "$@" \
	    >"$IT_WORK/swaks.last" 2>&1
	_is_rc=$?
	cat "$IT_WORK/swaks.last" >>"$IT_WORK/swaks.log"
	return $_is_rc
}

# it_expect_signed MARKER - the delivery with Message-ID <MARKER@example.jp>
# (an it_campaign_msg) is signed by taro, verifies with openssl, has the
# RFC 8551 parameters, a 7-bit signed entity, and its decoded text is the
# Japanese text that was sent.
it_expect_signed() {
	_f=$(it_find_delivery "<$1@example.jp>")
	[ -n "$_f" ] || it_die "$1: not delivered"
	it_verify_signed "$_f" "$IT_WORK/$1.content" ||
	    it_die "$1: not signed or openssl cms -verify fails ($_f)"
	grep -qi 'micalg="*sha-256' "$_f" || it_die "$1: micalg"
	grep -qi 'protocol="application/pkcs7-signature"' "$_f" ||
	    it_die "$1: protocol parameter"
	it_decoded_text "$IT_WORK/$1.content" > "$IT_WORK/$1.text"
	grep -q '山田太郎です。本日、東京都で政策説明会を開きます。' \
	    "$IT_WORK/$1.text" || it_die "$1: signed text differs"
	grep -q "^marker $1\$" "$IT_WORK/$1.text" || it_die "$1: marker"
	# The transfer encoding must be 7-bit safe (RFC 8551 3.1.3).
	tr -d '\r' < "$IT_WORK/$1.content" | LC_ALL=C grep -q '[^ -~	]' &&
	    it_die "$1: signed entity is not 7-bit"
	return 0
}

# it_expect_unsigned MARKER - delivered, and not signed.
it_expect_unsigned() {
	_f=$(it_find_delivery "<$1@example.jp>")
	[ -n "$_f" ] || it_die "$1: not delivered"
	grep -qi '^Content-Type: multipart/signed' "$_f" &&
	    it_die "$1: was signed but must not be"
	grep -qi 'application/pkcs7-signature' "$_f" &&
	    it_die "$1: carries a signature part"
	return 0
}

# it_inbound_msgs PREFIX GOOD BAD AUTHSERV - write GOOD, a message signed as
# taro with the openssl CLI (Message-ID <PREFIX-inbound-signed@example.jp>),
# and BAD, the same with one body character changed after signing
# (<PREFIX-inbound-tampered@example.jp>) and a forged "AUTHSERV; smime=pass"
# Authentication-Results field on top, which the milter must remove.
it_inbound_msgs() {
	cat > "$IT_WORK/inbound.src" <<EOM
From: taro@example.jp
To: voter@example.org
Subject: signed by openssl
Message-ID: <$1-inbound-signed@example.jp>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Signed with the openssl CLI, verified by smime-milter.
EOM
	it_sign_with_openssl "$IT_WORK/inbound.src" "$2"
	{ echo "Authentication-Results: $4; smime=pass"
	  sed -e "s/Message-ID: <$1-inbound-signed@/Message-ID: <$1-inbound-tampered@/" \
	    -e 's/verified by smime-milter/verified by smime-milter!/' "$2"; } > "$3"
	cmp -s "$2" "$3" && it_die "tampering did not change the message"
	return 0
}

# it_expect_ar MARKER AUTHSERV RESULT - the delivery with Message-ID
# <MARKER@example.jp> carries exactly one Authentication-Results field of
# AUTHSERV, with smime=RESULT and the signer taro@example.jp.
it_expect_ar() {
	_f=$(it_find_delivery "<$1@example.jp>")
	[ -n "$_f" ] || it_die "$1: not delivered"
	_ar=$(it_ar_smime "$_f" "$2")
	[ "$(echo "$_ar" | grep -c .)" = 1 ] ||
	    it_die "$1: expected one A-R field of $2, got: $_ar"
	echo "$_ar" | grep -q "smime=$3[ ;(]" || echo "$_ar" | grep -q "smime=$3\$" ||
	    it_die "$1: expected smime=$3, got: $_ar"
	echo "$_ar" | grep -q "body.smime-identifier=taro@example.jp" ||
	    it_die "$1: body.smime-identifier missing: $_ar"
}

# it_expect_queue_id MARKER HOST - the MTA's queue id of the delivery with
# Message-ID <MARKER@example.jp> (from HOST's Received field) appears in the
# milter's log: the MTA passed the "i" macro.
it_expect_queue_id() {
	_f=$(it_find_delivery "<$1@example.jp>")
	_qid=$(awk -v h="$2" '
	    /^$/ { exit }
	    /^Received:/ { r = $0; next }
	    /^[ \t]/ && r != "" { r = r " " $0; next }
	    { if (r != "" && index(r, "by " h " ") && match(r, / id [0-9A-Za-z]+/))
		{ print substr(r, RSTART + 4, RLENGTH - 4); exit } r = "" }' "$_f")
	[ -n "$_qid" ] || it_die "$1: no queue id in $2's Received field"
	grep -q "^smime-milter: $_qid: " "$IT_WORK/milter.log" ||
	    it_die "$1: queue id $_qid (macro i) not in the milter log"
}

# it_big_msg FILE MARKER KBYTES - write FILE (name it $IT_WORK/MARKER.src
# for it_expect_big_signed): a multipart/mixed campaign message with a
# Japanese text part and a random binary attachment of KBYTES KiB, base64;
# the attachment's SHA-256 goes to FILE.sha256.
it_big_msg() {
	"$OPENSSL" rand -out "$1.bin" $(($3 * 1024)) || it_die "openssl rand"
	"$OPENSSL" dgst -sha256 -r "$1.bin" | cut -d' ' -f1 > "$1.sha256"
	cat > "$1" <<EOM
From: taro@example.jp
To: voter@example.org
Subject: big $2
Message-ID: <$2@example.jp>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_big_$2"

--=_big_$2
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

政策資料を添付します。 marker $2

--=_big_$2
Content-Type: application/pdf; name="manifesto.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="manifesto.pdf"

$("$OPENSSL" base64 -e -in "$1.bin")
--=_big_$2--
EOM
	rm -f "$1.bin"
}

# it_expect_big_signed MARKER - the delivery of an it_big_msg is signed by
# taro, verifies with openssl, and its attachment decodes to the bytes sent.
it_expect_big_signed() {
	_f=$(it_find_delivery "<$1@example.jp>")
	[ -n "$_f" ] || it_die "$1: not delivered"
	it_verify_signed "$_f" "$IT_WORK/$1.content" ||
	    it_die "$1: not signed or openssl cms -verify fails"
	# Pull the base64 attachment out of the verified content.
	tr -d '\r' < "$IT_WORK/$1.content" | awk '
	    /^--/ { if (inpart) exit; want = 0; next }
	    /filename="manifesto.pdf"/ { want = 1 }
	    want && !inpart && /^$/ { inpart = 1; next }
	    inpart { print }' > "$IT_WORK/$1.b64"
	_got=$("$OPENSSL" base64 -d -in "$IT_WORK/$1.b64" |
	    "$OPENSSL" dgst -sha256 -r | cut -d' ' -f1)
	[ "$_got" = "$(cat "$IT_WORK/$1.src.sha256")" ] ||
	    it_die "$1: attachment changed (sha256 $_got)"
}
