#!/bin/sh
# address.sh - the one address comparison (smime/address.h) through the
# three places that ask it, in `smime-milter -t`: the From address finds
# its signing identity whatever the ASCII case, a Sender field equal to
# From but for case does not stop signing, and the verifier's
# signer-vs-From check passes the same message; a different address (or
# a look-alike that differs beyond ASCII case) does not.
. "${top_srcdir:-.}/test/milter/common.sh"

install_identity taro
cat > "$work/s.conf" <<CONF
socket = "unix:$work/sock";
authserv_id = "mx.test.example";
mode = "s";
sign = {
  identities = ( { address = "taro@example.jp"; cert = "taro.crt";
                   key = "taro.key"; chain = "chain.pem"; senders = [ "taro" ]; } );
};
CONF
cat > "$work/v.conf" <<CONF
socket = "unix:$work/sock";
authserv_id = "mx.test.example";
mode = "v";
verify = { trust_anchors = "trust.pem"; intermediates = "chain.pem"; };
CONF

# sign LABEL FROM [SENDER]: sign as login taro; the output is LABEL.out
sign() {
	{ printf 'From: Taro <%s>\n' "$2"
	  [ -z "${3:-}" ] || printf 'Sender: %s\n' "$3"
	  printf 'To: voter@example.net\nSubject: case\n\nbody\n'; } > "$work/$1.eml"
	"$SMF" -c "$work/s.conf" -t "$work/$1.eml" -A taro > "$work/$1.out" 2> "$work/$1.err" ||
		fail "$1: exit $?: $(cat "$work/$1.err")"
}
signed() { grep -q '^Content-Type: multipart/signed' "$work/$1.out"; }
# verdict LABEL: the smime= result the verifier gives LABEL.out
verdict() {
	"$SMF" -c "$work/v.conf" -t "$work/$1.out" > "$work/$1.v" 2> "$work/$1.verr" ||
		fail "$1: verify exit $?: $(cat "$work/$1.verr")"
	sed -n 's/.*smime=\([a-z]*\).*/\1/p' "$work/$1.v" | head -n 1
}

# Identity lookup: the case of From's local part or domain does not matter.
sign upper TARO@Example.JP
signed upper || fail "From TARO@Example.JP found no identity: $(cat "$work/upper.err")"
"$OPENSSL" cms -verify -CAfile "$work/trust.pem" -in "$work/upper.out" \
	-out /dev/null > /dev/null 2>&1 || fail "upper: openssl cms -verify"
# ... and our verifier's signer-vs-From check agrees: pass.
[ "$(verdict upper)" = pass ] || fail "upper: verdict $(verdict upper): $(cat "$work/upper.v")"

# Sender naming From in other case: signed, and it verifies.
sign sender taro@example.jp Taro@EXAMPLE.jp
signed sender || fail "Sender Taro@EXAMPLE.jp: not signed: $(cat "$work/sender.err")"

# Another local part is another mailbox: no identity, not signed.
sign other taro.x@example.jp
signed other && fail "taro.x@example.jp was signed with taro's identity"
# A Sender that is another mailbox stops signing.
sign sender2 taro@example.jp taro2@example.jp
signed sender2 && fail "signed although Sender names another mailbox"

# Signer-vs-From on a message whose outer From was changed after signing
# (the header protection copy inside stays): a case change still passes,
# another mailbox or a non-ASCII look-alike (KELVIN SIGN for K) does not.
# outer_from LABEL ADDRESS: sender.out with the outer From replaced
outer_from() {
	sed "1,/^\r*\$/s/^From: Taro <taro@example.jp>/From: Taro <$2>/" \
		"$work/sender.out" > "$work/$1.out"
	cmp -s "$work/sender.out" "$work/$1.out" && fail "$1: From not replaced"
	return 0
}
outer_from recased TaRo@EXAMPLE.jp
[ "$(verdict recased)" = pass ] || fail "recased From: $(verdict recased)"
outer_from hanako hanako@example.jp
[ "$(verdict hanako)" = policy ] || fail "From hanako: $(verdict hanako)"
outer_from kelvin "$(printf 'tar\342\204\252@example.jp')"
[ "$(verdict kelvin)" != pass ] || fail "a look-alike From passed"
exit 0
