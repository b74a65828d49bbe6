#!/bin/sh
# corpus.sh - verify every message of make-corpus.sh with verify_tool and
# require the exact Authentication-Results of expected.txt, the decoded
# X-SMIME-Signer, a parse by the independent authres module, and for
# every pass the agreement of `openssl cms -verify`.
set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=}"
export OPENSSL GPGSM
tool=$top_builddir/test/unit/verify_tool
table=$top_srcdir/test/verify/expected.txt
check=$top_srcdir/test/verify/archeck.py
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import authres' 2>/dev/null || PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import authres' 2>/dev/null; then
	echo "python3 authres module missing (Debian: python3-authres)" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-corpus.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work" || exit 99
pki=$work/pki
tab=$(printf '\t')
fails=0 n=0

# unfold: print one line per field, folds ("\n\t") turned into a space.
unfold() {
	awk '/^\t/ { sub(/^\t/, " "); cur = cur $0; next }
	     { if (started) print cur; cur = $0; started = 1 }
	     END { if (started) print cur }'
}

fail() {
	echo "FAIL $1: $2"
	fails=$((fails + 1))
}

while IFS=$tab read -r name want signer; do
	case $name in '#'* | '') continue ;; esac
	n=$((n + 1))
	msg=$work/$name.eml
	if [ ! -f "$msg" ]; then
		if [ "$name" = gpgsm-detached ] && [ -z "$GPGSM" ]; then
			echo "SKIP $name: no gpgsm"
			continue
		fi
		fail "$name" "not generated"
		continue
	fi
	out=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" -c "$pki/crl.pem" \
	    -c "$pki/root-crl.pem" -s "$msg" 2>&1) || {
		fail "$name" "verify_tool: $out"
		continue
	}
	got=$(printf '%s\n' "$out" | unfold | sed -n 's/^Authentication-Results: //p')
	if [ "$got" != "$want" ]; then
		fail "$name" "
  want: $want
  got:  $got"
		continue
	fi
	raw=$(printf '%s\n' "$out" | awk '/^Authentication-Results: / { p = 1; sub(/^[^:]*: /, ""); print; next }
		p && /^\t/ { print; next } { p = 0 }')
	"$PYTHON" "$check" ar "$want" "$raw" || { fail "$name" "authres"; continue; }
	sig=$(printf '%s\n' "$out" | awk '/^X-SMIME-Signer: / { p = 1; sub(/^[^:]*: /, ""); print; next }
		p && /^\t/ { print; next } { p = 0 }')
	if [ "$signer" = - ]; then
		[ -z "$sig" ] || { fail "$name" "unexpected X-SMIME-Signer $sig"; continue; }
	else
		"$PYTHON" "$check" signer "$signer" "$sig" || { fail "$name" "X-SMIME-Signer"; continue; }
	fi
	# An independent verifier must agree with every pass.
	case $want in
	*"smime=pass"*)
		"$OPENSSL" cms -verify -in "$msg" -CAfile "$pki/trust.pem" \
		    -certfile "$pki/chain.pem" -purpose smimesign -out /dev/null \
		    >/dev/null 2>&1 || case $name in
			boundary-padding) ;; # transport padding: openssl's parser refuses it
			*) fail "$name" "openssl cms -verify disagrees"; continue ;;
		esac ;;
	esac
	echo "ok $name"
done < "$table"

# The same answers when the body spool lives in a file, not memory.
for name in good-rsa2048 huge-header tampered-body; do
	a=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" "$work/$name.eml" 2>&1)
	b=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" -m 100 "$work/$name.eml" 2>&1)
	n=$((n + 1))
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		echo "ok $name (spool on disk)"
	else
		fail "$name" "spool on disk differs:
$a
$b"
	fi
done

# signingTime is reported (in the summary for the log) as openssl sees it.
n=$((n + 1))
st=$("$OPENSSL" cms -cmsout -print -in "$work/good-rsa2048.eml" 2>/dev/null |
    awk '/object: signingTime/ { f = 1 } f && /TIME:/ { sub(/^[^:]*:/, ""); print; exit }')
want=$("$PYTHON" -c 'import sys, time
print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(" ".join(sys.argv[1].split()), "%b %d %H:%M:%S %Y GMT")))' "$st")
got=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" "$work/good-rsa2048.eml" | sed -n 's/^detail: //p')
if [ -n "$st" ] && [ "$got" = "part 1: pass signer taro@example.jp serial 1000 signingTime $want" ]; then
	echo "ok signing-time"
else
	fail signing-time "openssl says '$st', we say '$got'"
fi

# Many signed parts, all below the top level: one neutral result naming
# the first four; the log line lists the inner results.
out=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" -s "$work/many-signed.eml" 2>&1)
got=$(printf '%s\n' "$out" | unfold | sed -n 's/^Authentication-Results: //p')
n=$((n + 1))
if [ "$got" = "mx.example.net; smime=neutral (only parts 1.1, 2.1, 3.1, 4.1, ... are signed) header.from=taro@example.jp" ] &&
   printf '%s\n' "$out" | grep -q '^detail: inner part 1.1: pass signer taro@example.jp' &&
   ! printf '%s\n' "$out" | grep -q '^X-SMIME-Signer'; then
	echo "ok many-signed"
else
	fail many-signed "$out"
fi

# Forged fields: our authserv-id (any case, after CFWS, or quoted) goes,
# other A-R fields stay, every X-SMIME-Signer goes.
out=$("$tool" -t "$pki/trust.pem" -i "$pki/chain.pem" -s "$work/forged-ar.eml" 2>&1)
want="delete: Authentication-Results 1
delete: Authentication-Results 3
delete: X-SMIME-Signer 1
delete: X-SMIME-Signer 2"
got=$(printf '%s\n' "$out" | grep '^delete:')
if [ "$got" = "$want" ]; then
	echo "ok forged-ar"
else
	fail forged-ar "
want: $want
got:  $got"
fi
n=$((n + 1))

echo "$n cases, $fails failed"
[ "$fails" -eq 0 ]
