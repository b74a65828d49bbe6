# scenario.sh - the signing and verifying scenario every real MTA must pass
# (sourced by postfix.sh and sendmail.sh after common.sh and the MTA's
# library).  Each sc_* function is one numbered case, checked on the
# message as the next hop (smtp-sink) received it, with the openssl CLI
# where a signature is involved.  The MTA-specific parts live in an
# adapter the caller sets before the first case:
#   MTA               name in the "ok" lines (Postfix, Sendmail)
#   MTA_TAG           Message-ID prefix of this MTA's messages (pf, sm)
#   MTA_HOST          the MTA's host name in its Received fields
#   MTA_SUBMIT_PORT   submission port (SMTP AUTH; the signing side)
#   MTA_INBOUND_PORT  port-25 style port (no AUTH; the verifying side)
#   AUTHSERV          the milter's authserv_id (it_milter_conf)
#   mta_wait_delivered N SECONDS   true once N messages reached the sink
# The milter runs with it_milter_conf's identities (taro, senders taro);
# the MTA has the SASL users taro (taro-Secret-1) and jiro (jiro-Secret-2).
# SC_DELIVERED counts the messages the sink must have received so far.

SC_DELIVERED=0

# sc_submit MSGFILE LOGIN PASSWORD - send MSGFILE from taro@example.jp on
# the submission port after SMTP AUTH; false when the MTA refused it.
sc_submit() {
	it_send "$MTA_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
	    --auth PLAIN --auth-user "$2" --auth-password "$3" --data @"$1"
}

# sc_delivered CASE [SECONDS] - one more message must reach the sink.
sc_delivered() {
	SC_DELIVERED=$((SC_DELIVERED + 1))
	mta_wait_delivered $SC_DELIVERED "${2:-60}" || it_die "$1: not delivered"
}

# 1. authenticated, authorized: signed by taro, openssl verifies, the
#    Japanese text is intact, and the MTA passed its queue id (macro i).
sc_signed_auth() {
	_m=$MTA_TAG-auth
	it_campaign_msg "$IT_WORK/$_m.msg" "$_m" taro@example.jp
	sc_submit "$IT_WORK/$_m.msg" taro 'taro-Secret-1' ||
	    { cat "$IT_WORK/swaks.last"; it_die "1: send"; }
	sc_delivered 1
	it_expect_signed "$_m"
	it_expect_queue_id "$_m" "$MTA_HOST"
	echo "ok 1 $MTA: authenticated campaign mail delivered signed; openssl verifies"
}

# 2. unauthenticated external client claiming the same From: unsigned,
#    with our smime=none result.
sc_unsigned_external() {
	_m=$MTA_TAG-external
	it_campaign_msg "$IT_WORK/$_m.msg" "$_m" taro@example.jp
	it_send "$MTA_INBOUND_PORT" --from taro@example.jp --to voter@example.org \
	    --data @"$IT_WORK/$_m.msg" || { cat "$IT_WORK/swaks.last"; it_die "2: send"; }
	sc_delivered 2
	it_expect_unsigned "$_m"
	it_ar_smime "$(it_find_delivery "<$_m@example.jp>")" "$AUTHSERV" |
	    grep -q 'smime=none' || it_die "2: no smime=none Authentication-Results"
	echo "ok 2 $MTA: unauthenticated external mail delivered unsigned (smime=none)"
}

# 3. logged in, but not one of taro's senders: unsigned; the login
#    ({auth_authen}) reached the milter.
sc_unsigned_wrong_login() {
	_m=$MTA_TAG-wronglogin
	it_campaign_msg "$IT_WORK/$_m.msg" "$_m" taro@example.jp
	sc_submit "$IT_WORK/$_m.msg" jiro 'jiro-Secret-2' ||
	    { cat "$IT_WORK/swaks.last"; it_die "3: send"; }
	sc_delivered 3
	it_expect_unsigned "$_m"
	grep -q 'login jiro' "$IT_WORK/milter.log" ||
	    it_die "3: the milter did not see {auth_authen}=jiro"
	echo "ok 3 $MTA: {auth_authen} reaches the milter; a login not among the senders gets no signature"
}

# 4. inbound: a message signed with the openssl CLI gets smime=pass; a
#    tampered copy carrying a forged "smime=pass" field of our authserv-id
#    gets only our smime=fail.
sc_inbound() {
	it_inbound_msgs "$MTA_TAG" "$IT_WORK/$MTA_TAG-good.msg" \
	    "$IT_WORK/$MTA_TAG-bad.msg" "$AUTHSERV"
	for _m in good bad; do
		it_send "$MTA_INBOUND_PORT" --from taro@example.jp \
		    --to voter@example.org --data @"$IT_WORK/$MTA_TAG-$_m.msg" ||
		    { cat "$IT_WORK/swaks.last"; it_die "4: send $_m"; }
	done
	SC_DELIVERED=$((SC_DELIVERED + 1))
	sc_delivered 4
	it_expect_ar "$MTA_TAG-inbound-signed" "$AUTHSERV" pass
	it_expect_ar "$MTA_TAG-inbound-tampered" "$AUTHSERV" fail
	echo "ok 4 $MTA: smime=pass for a good signature; altered: smime=fail, forged A-R removed"
}

# 5. a 2 MiB attachment: spooled, replaced in chunks, arrives signed and
#    decodes to the bytes sent.
sc_big() {
	_m=$MTA_TAG-big
	it_big_msg "$IT_WORK/$_m.src" "$_m" 2048
	sc_submit "$IT_WORK/$_m.src" taro 'taro-Secret-1' ||
	    { tail -5 "$IT_WORK/swaks.last"; it_die "5: send"; }
	sc_delivered 5 120
	it_expect_big_signed "$_m"
	echo "ok 5 $MTA: a 2 MiB attachment arrives signed, verifies and decodes unchanged"
}

# 6. milter stopped: the submission gets a 4xx (Postfix
#    milter_default_action = tempfail, Sendmail F=T) and nothing is
#    delivered unsigned.  The milter stays stopped for the caller.
sc_milter_down() {
	it_milter_stop
	_m=$MTA_TAG-down
	it_campaign_msg "$IT_WORK/$_m.msg" "$_m" taro@example.jp
	if sc_submit "$IT_WORK/$_m.msg" taro 'taro-Secret-1'; then
		it_die "6: $MTA accepted mail while the milter is down"
	fi
	grep -q '<\*\* *4[0-9][0-9]' "$IT_WORK/swaks.last" ||
	    { cat "$IT_WORK/swaks.last"; it_die "6: expected a 4xx"; }
	sleep 2
	[ "$(it_delivered_count)" = $SC_DELIVERED ] ||
	    it_die "6: something was delivered while the milter was down"
	[ -z "$(it_find_delivery "<$_m@example.jp>")" ] ||
	    it_die "6: the refused message appeared"
	echo "ok 6 $MTA: milter down -> SMTP 4xx, nothing delivered unsigned"
}

# The harness on its own, without smime-milter (postfix-relay.sh,
# sendmail-relay.sh), so that a harness problem is never mistaken for a
# milter bug.  The adapter also sets MTA_NOAUTH_CODE, the reply to a
# submission without AUTH (Postfix 554 relay denied, Sendmail 530).

# sc_plain_msg FILE MARKER - a short ASCII message, Message-ID <MARKER@...>.
sc_plain_msg() {
	cat > "$1" <<EOM
From: taro@example.jp
To: voter@example.org
Subject: harness $2
Message-ID: <$2@example.jp>
Date: $(date -R)
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Body line for $2.
EOM
}

# 1. authenticated submission relays to the sink, content and envelope
#    intact, the session marked authenticated (ESMTPA, RFC 3848).
sc_relay_auth() {
	_m=$MTA_TAG-relay-auth
	sc_plain_msg "$IT_WORK/$_m.msg" "$_m"
	sc_submit "$IT_WORK/$_m.msg" taro 'taro-Secret-1' ||
	    { cat "$IT_WORK/swaks.last"; it_die "1: auth send"; }
	sc_delivered 1
	_f=$(it_find_delivery "<$_m@example.jp>")
	[ -n "$_f" ] || it_die "1: delivered file for $_m missing"
	grep -q "^Body line for $_m\\." "$_f" || it_die "1: body changed in $_f"
	grep -q '^X-Rcpt-Args: <voter@example.org>' "$_f" ||
	    it_die "1: envelope recipient missing in $_f"
	grep -q 'with ESMTPA' "$_f" || it_die "1: no ESMTPA in Received: AUTH not used"
	it_strip_sink "$_f" | grep -q '^X-Client-Addr:' && it_die "1: it_strip_sink"
	echo "ok 1 $MTA: SMTP AUTH (sasldb) submission relayed to smtp-sink"
}

# 2. submission without AUTH, and with a wrong password: refused.
sc_relay_refused() {
	_m=$MTA_TAG-relay-noauth
	sc_plain_msg "$IT_WORK/$_m.msg" "$_m"
	if it_send "$MTA_SUBMIT_PORT" --from taro@example.jp --to voter@example.org \
	    --data @"$IT_WORK/$_m.msg"; then
		it_die "2: submission without AUTH was accepted"
	fi
	grep -q "<\\*\\* *$MTA_NOAUTH_CODE" "$IT_WORK/swaks.last" ||
	    { cat "$IT_WORK/swaks.last"; it_die "2: expected $MTA_NOAUTH_CODE"; }
	if sc_submit "$IT_WORK/$_m.msg" taro wrong; then
		it_die "2: wrong password accepted"
	fi
	grep -q '<\*\* *535' "$IT_WORK/swaks.last" ||
	    { cat "$IT_WORK/swaks.last"; it_die "2: expected 535 auth failed"; }
	echo "ok 2 $MTA: submission refuses missing AUTH and bad passwords"
}

# 3. the inbound port relays mail without AUTH from another host.
sc_relay_inbound() {
	_m=$MTA_TAG-relay-inbound
	sc_plain_msg "$IT_WORK/$_m.msg" "$_m"
	it_send "$MTA_INBOUND_PORT" --from someone@example.net --to voter@example.org \
	    --data @"$IT_WORK/$_m.msg" || { cat "$IT_WORK/swaks.last"; it_die "3: inbound"; }
	sc_delivered 3
	_f=$(it_find_delivery "<$_m@example.jp>")
	[ -n "$_f" ] || it_die "3: inbound delivery missing"
	grep -q '^X-Client-Addr: 127.0.0.1' "$_f" || it_die "3: sink client addr"
	[ "$(it_delivered_count)" = $SC_DELIVERED ] || it_die "3: unexpected deliveries"
	echo "ok 3 $MTA: inbound port relays"
}
