#!/bin/sh
# mimediff.sh - differential test against two independent MIME parsers,
# Python's email package and GMime (test/verify/gmime_parts): every message
# our verifier passes must be seen the same way by both (same top-level
# type, two parts, the signature verifying with openssl over their first
# part).  Messages: the verification corpus (make-corpus.sh,
# including attacks.sh), mutations of its signed mail and of mail our own
# signer made from test/data/sign (mimediff.py), and the fuzz seed corpora.
set -u
LC_ALL=C
export LC_ALL
: "${top_srcdir:=.}" "${top_builddir:=.}" "${OPENSSL:=openssl}" "${GPGSM:=}"
export OPENSSL GPGSM
tool=$top_builddir/test/unit/verify_tool
sign=$top_builddir/test/unit/sign_tool
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/smime-mimediff.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
sh "$top_srcdir/test/pki/shared.sh" corpus "$work/corpus" >/dev/null || exit 99
pki=$work/corpus/pki
mkdir "$work/mut" "$work/signed"

# Mail our signer made: a multipart tree and plain text, as seeds.
for f in nested plain-ascii utf8-ja-8bit binary-attach; do
	"$sign" "$pki/taro.crt" "$pki/taro.key" "$pki/chain.pem" \
	    "$top_srcdir/test/data/sign/$f.eml" > "$work/signed/$f.eml" 2>/dev/null || {
		echo "FAIL: sign_tool $f"
		exit 1
	}
done
seeds="$work/corpus/good-rsa2048.eml $work/corpus/good-p384.eml \
    $work/corpus/good-opaque.eml $work/corpus/huge-header.eml $work/signed/*.eml"
[ -f "$work/corpus/gpgsm-detached.eml" ] && seeds="$seeds $work/corpus/gpgsm-detached.eml"
gmime=$top_builddir/test/verify/gmime_parts
[ -x "$gmime" ] || { echo "FAIL: $gmime not built (Debian: libgmime-3.0-dev)"; exit 1; }
# shellcheck disable=SC2086 # word splitting of the file lists is intended
"$PYTHON" "$top_srcdir/test/verify/mimediff.py" -g "$gmime" "$tool" "$pki" "$work/mut" $seeds -- \
    "$work"/corpus/*.eml $(find "$top_srcdir/test/fuzz/seeds" -type f | sort)
