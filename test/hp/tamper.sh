#!/bin/sh
# tamper.sh - RFC 9788 header protection through the real milter path
# (smime-milter in the foreground, fed by test/client/milterclient as
# Postfix feeds it):
#  (1) a message signed by the daemon (AUTH taro) verifies inbound as pass
#      with X-SMIME-Protected listing the protected fields;
#  (2) each protected field changed in turn in the outer header (and
#      Subject removed) -> smime=policy with "(FIELD differs from the
#      signed FIELD)" in Authentication-Results and in the log line;
#  (3) the same text written differently (Subject re-encoded as Q in
#      ISO-2022-JP and refolded, Date in another zone, From re-quoted,
#      domain case) still passes;
#  (4) hand-made RFC 9788 examples signed by openssl (one part, multipart
#      root, hp present but Subject not protected) and the same message
#      without hp= (verified exactly as before: the Subject change passes);
#  (5) a forged X-SMIME-Protected on incoming mail is removed.
set -u
. "${top_srcdir:-.}/test/client/common.sh"
write_conf
start_milter

# edit IN OUT FIELD [VALUE]: replace the first outer FIELD (all its
# continuation lines) with VALUE, or delete it when VALUE is absent.
edit() {
	perl -e '
	my ($src, $dst, $name, $value) = @ARGV;
	open(my $in, "<:raw", $src) or die "$src: $!\n";
	my $d = do { local $/; <$in> };
	my $nl = index($d, "\r\n") >= 0 ? "\r\n" : "\n";
	my $end = index($d, $nl . $nl);
	die "no end of header\n" if $end < 0;
	my ($head, $body) = (substr($d, 0, $end), substr($d, $end + 2 * length $nl));
	my (@out, $done);
	for my $f (split /\Q$nl\E(?![ \t])/, $head) {
		if (!$done && lc(substr($f, 0, length($name) + 1)) eq lc("$name:")) {
			$done = 1;
			if (defined $value) {
				(my $v = $value) =~ s/\n/$nl/g;
				push @out, "$name: $v";
			}
			next;
		}
		push @out, $f;
	}
	die "no field $name\n" unless $done;
	open(my $out, ">:raw", $dst) or die "$dst: $!\n";
	print $out join($nl, @out), $nl, $nl, $body;
	' "$@"
}

# ar_comment FILE: the unfolded Authentication-Results field.
ar_field() {
	awk 'BEGIN { hdr = 1 } /^\r?$/ { exit }
	     /^[^ \t]/ { ar = tolower($0) ~ /^authentication-results:/ }
	     ar { sub(/\r$/, ""); printf "%s ", $0 } END { print "" }' "$1"
}

# expect NAME FILE RESULT [REASON]: inbound verdict of FILE.
n=0
expect() {
	n=$((n + 1))
	mc -C 192.0.2.1 -q "T$n" "$2" > "$tmp/in.$n" 2>> "$tmp/mc.err" ||
		{ bad "$1: milterclient exit $?"; return; }
	r=$(smime_result "$tmp/in.$n")
	[ "$r" = "$3" ] || { bad "$1: smime=$r, want $3 ($(ar_field "$tmp/in.$n"))"; return; }
	if [ -n "${4:-}" ]; then
		ar_field "$tmp/in.$n" | grep -qF "($4" ||
			{ bad "$1: reason not in A-R: $(ar_field "$tmp/in.$n")"; return; }
		grep -F "T$n" "$tmp/daemon.err" | grep -qF "$4" ||
			{ bad "$1: reason not logged"; return; }
	fi
	echo "ok: $1 -> smime=$3${4:+ ($4)}"
}

# (1) signed by the daemon
printf 'From: 山田 太郎 <taro@example.jp>\nTo: "有権者 様" <voter@example.net>\nCc: office@example.jp\nReply-To: office@example.jp\nSubject: 演説会のお知らせ\nMessage-ID: <hp-t1@example.jp>\nIn-Reply-To: <q1@example.net>\nReferences: <q0@example.net> <q1@example.net>\nDate: Wed, 25 Nov 2026 10:00:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n12月1日に駅前で演説会を行います。\n' > "$tmp/msg"
mc -A taro -C 192.0.2.1 -q QS "$tmp/msg" > "$tmp/signed" || bad "signing: milterclient exit $?"
is_signed "$tmp/signed" && verifies "$tmp/signed" || bad "(1) not signed or not verifiable"
grep -q 'hp="clear"' "$tmp/signed" || bad "(1) no hp=\"clear\" in the signed part"
expect "(1) untouched" "$tmp/signed" pass
grep -q '^X-SMIME-Protected: from, to, cc, reply-to, subject, message-id,' "$tmp/in.$n" ||
	bad "(1) X-SMIME-Protected missing or wrong: $(grep -A1 '^X-SMIME-Protected' "$tmp/in.$n")"

# (2) each protected field changed in turn
for fv in "From|Taro <taro@example.jp>" "From|山田 太郎 <jiro@example.jp>" \
    "To|voter2@example.net" "Cc|office@example.jp, extra@example.net" \
    "Reply-To|attacker@example.net" "Subject|演説会は中止になりました" \
    "Subject|=?UTF-8?B?5ryU6Kqs5Lya44Gv5Lit5q2i44Gr44Gq44KK44G+44GX44Gf?=" \
    "Message-ID|<other@example.jp>" "In-Reply-To|<q9@example.net>" \
    "References|<q0@example.net>" "Date|Thu, 26 Nov 2026 10:00:00 +0900"; do
	f=${fv%%|*} v=${fv#*|}
	edit "$tmp/signed" "$tmp/t" "$f" "$v" || { bad "edit $f"; continue; }
	expect "(2) $f changed to '$v'" "$tmp/t" policy "$f differs from the signed $f"
done
# An encoded-word that decodes to a NUL must not end the comparison
# early: the text after it is what some readers show.
for fv in "Subject|演説会のお知らせ =?UTF-8?Q?=00=E4=B8=AD=E6=AD=A2?=" \
    "Subject|演説会のお知らせ =?UTF-8?B?AOS4reatog==?=" \
    "Subject|演説会のお知らせ=?ISO-8859-1?Q?=00x?=" \
    "From|山田 太郎 =?UTF-8?Q?=00=E9=99=A3=E5=96=B6?= <taro@example.jp>"; do
	f=${fv%%|*} v=${fv#*|}
	edit "$tmp/signed" "$tmp/t" "$f" "$v" || { bad "edit $f"; continue; }
	expect "(2) $f with an encoded NUL '$v'" "$tmp/t" policy \
	    "$f differs from the signed $f"
done
# Fields that redirect replies, added outside the signature.
for fv in "Mail-Reply-To|attacker@example.net" \
    "Mail-Followup-To|attacker@example.net"; do
	f=${fv%%|*} v=${fv#*|}
	{ printf '%s: %s\n' "$f" "$v"; cat "$tmp/signed"; } > "$tmp/t"
	expect "(2) $f added" "$tmp/t" policy "$f is not signed"
done
edit "$tmp/signed" "$tmp/t" Subject && expect "(2) Subject removed" "$tmp/t" policy \
	"Subject differs from the signed Subject"
edit "$tmp/signed" "$tmp/t" Date && expect "(2) Date removed" "$tmp/t" policy \
	"Date differs from the signed Date"

# (3) same text, written differently
jis=$(printf '演説会のお知らせ' | iconv -f UTF-8 -t ISO-2022-JP | base64 -w0)
edit "$tmp/signed" "$tmp/t" Subject "=?ISO-2022-JP?B?$jis?=" &&
	expect "(3) Subject re-encoded ISO-2022-JP" "$tmp/t" pass
edit "$tmp/signed" "$tmp/t" Subject "=?UTF-8?Q?=E6=BC=94=E8=AA=AC=E4=BC=9A?=
 =?UTF-8?Q?=E3=81=AE=E3=81=8A=E7=9F=A5=E3=82=89=E3=81=9B?=" &&
	expect "(3) Subject as folded Q words" "$tmp/t" pass
edit "$tmp/signed" "$tmp/t" Date "Wed, 25 Nov 2026 01:00:00 +0000 (UTC)" &&
	expect "(3) Date in UTC" "$tmp/t" pass
edit "$tmp/signed" "$tmp/t" From '"山田 太郎" <taro@EXAMPLE.JP>' &&
	expect "(3) From quoted, domain upper-case" "$tmp/t" pass

# (4) hand-made RFC 9788 examples (root part written by hand, openssl signs)
# handmade NAME ROOTPART OUTERFIELDS: multipart/signed with the outer fields.
handmade() {
	"$OPENSSL" cms -sign -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
	    -certfile "$pki/chain.pem" -in "$2" > "$tmp/$1.sig" 2> "$tmp/$1.err" ||
		{ bad "$1: openssl cms -sign: $(cat "$tmp/$1.err")"; return 1; }
	{ printf '%s\n' "$3"; tr -d '\r' < "$tmp/$1.sig"; } > "$tmp/$1.eml"
}
outer='Message-ID: <hp-9788@example.jp>
Subject: The FooCon memo
From: Taro <taro@example.jp>
To: Bob <bob@example.net>
Date: Sat, 20 Feb 2021 10:00:00 -0500'
printf 'Content-Type: text/plain; charset="us-ascii"; hp="clear"\nMessage-ID: <hp-9788@example.jp>\nSubject: The FooCon memo\nFrom: Taro <taro@example.jp>\nTo: Bob <bob@example.net>\nDate: Sat, 20 Feb 2021 10:00:00 -0500\nMIME-Version: 1.0\n\nBob, we need to cancel this contract.\n\nPlease start the necessary processes to make that happen today.\n' > "$tmp/one.part"
if handmade one "$tmp/one.part" "$outer"; then
	expect "(4) RFC 9788 one-part example" "$tmp/one.eml" pass
	edit "$tmp/one.eml" "$tmp/t" Subject "The FooCon memo (revised)" &&
		expect "(4) one-part, Subject changed" "$tmp/t" policy \
		"Subject differs from the signed Subject"
	edit "$tmp/one.eml" "$tmp/t" From "Taro <taro@example.jp>, Jiro <jiro@example.jp>" &&
		expect "(4) one-part, From changed" "$tmp/t" policy \
		"From differs from the signed From"
fi
printf 'Content-Type: multipart/mixed; boundary="c"; hp="clear"\nMessage-ID: <hp-9788@example.jp>\nSubject: The FooCon memo\nFrom: Taro <taro@example.jp>\nTo: Bob <bob@example.net>\nDate: Sat, 20 Feb 2021 10:00:00 -0500\nMIME-Version: 1.0\n\n--c\nContent-Type: text/plain; charset=us-ascii\n\nSee the attachment.\n--c\nContent-Type: text/plain; charset=us-ascii\nContent-Disposition: attachment; filename="memo.txt"\n\nmemo\n--c--\n' > "$tmp/multi.part"
if handmade multi "$tmp/multi.part" "$outer"; then
	expect "(4) multipart root with hp" "$tmp/multi.eml" pass
	edit "$tmp/multi.eml" "$tmp/t" Date "Sun, 21 Feb 2021 10:00:00 -0500" &&
		expect "(4) multipart root, Date changed" "$tmp/t" policy \
		"Date differs from the signed Date"
fi
printf 'Content-Type: text/plain; charset="us-ascii"; hp="clear"\nFrom: Taro <taro@example.jp>\nDate: Sat, 20 Feb 2021 10:00:00 -0500\nMIME-Version: 1.0\n\nSubject left out of the protected header.\n' > "$tmp/nosubj.part"
handmade nosubj "$tmp/nosubj.part" "$outer" &&
	expect "(4) hp without a protected Subject" "$tmp/nosubj.eml" policy "Subject is not signed"
printf 'Content-Type: text/plain; charset="us-ascii"\nMessage-ID: <hp-9788@example.jp>\nSubject: The FooCon memo\n\nno hp parameter: verified as before.\n' > "$tmp/nohp.part"
if handmade nohp "$tmp/nohp.part" "$outer"; then
	edit "$tmp/nohp.eml" "$tmp/t" Subject "Changed" &&
		expect "(4) no hp=, Subject changed (as before)" "$tmp/t" pass
	grep -q '^X-SMIME-Protected' "$tmp/in.$n" && bad "(4) X-SMIME-Protected without hp"
fi

# opaque signing (application/pkcs7-mime signed-data) with the same root part
if "$OPENSSL" cms -sign -nodetach -signer "$pki/taro.crt" -inkey "$pki/taro.key" \
    -certfile "$pki/chain.pem" -in "$tmp/one.part" > "$tmp/opaque.sig" 2> "$tmp/opaque.err"; then
	{ printf '%s\n' "$outer"; tr -d '\r' < "$tmp/opaque.sig"; } > "$tmp/opaque.eml"
	expect "(4) opaque signed-data with hp" "$tmp/opaque.eml" pass
	grep -q '^X-SMIME-Protected: message-id, subject, from, to, date' "$tmp/in.$n" ||
		bad "(4) opaque: X-SMIME-Protected missing"
	edit "$tmp/opaque.eml" "$tmp/t" Subject "Cancelled" &&
		expect "(4) opaque, Subject changed" "$tmp/t" policy \
		"Subject differs from the signed Subject"
else
	bad "(4) openssl cms -sign -nodetach: $(cat "$tmp/opaque.err")"
fi

# (6) an address that cannot be carried in 7 bits (RFC 6532): signed
# without header protection, with a notice in the log
printf 'From: taro@example.jp\nTo: 山田@example.jp\nSubject: eai\n\nbody\n' > "$tmp/eai"
mc -A taro -C 192.0.2.1 -q QEAI "$tmp/eai" > "$tmp/eai.out" || bad "(6) milterclient exit $?"
if is_signed "$tmp/eai.out" && ! grep -q 'hp=' "$tmp/eai.out" &&
    grep QEAI "$tmp/daemon.err" | grep -q 'header protection: To cannot be carried in 7 bits'; then
	echo "ok: (6) non-ASCII addr-spec -> signed without header protection, logged"
else
	bad "(6) non-ASCII addr-spec"
fi

# (5) a forged marker is removed
printf 'From: Taro <taro@example.jp>\nTo: voter@example.net\nSubject: forged\nX-SMIME-Protected: from, to, subject, date\n\nunsigned\n' > "$tmp/forged"
expect "(5) forged X-SMIME-Protected" "$tmp/forged" none
grep -qi '^X-SMIME-Protected' "$tmp/in.$n" && bad "(5) forged X-SMIME-Protected kept"

stop_milter
check_sanitizers
exit $fail
