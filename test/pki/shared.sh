#!/bin/sh
# shared.sh pki|corpus|java [DEST] - the test PKI (make-test-pki.sh), the
# verification corpus (test/verify/make-corpus.sh) and the BouncyCastle
# verifier (test/java/BcVerify.java) are built once per build tree, in
# $top_builddir/test/tmp-pki, test/tmp-corpus and test/tmp-java, and
# shared by every test of a `make check` (tests run in parallel: each
# build runs under a lock, and a stamp says when an existing one is still
# current).
#
#   shared.sh pki DEST     DEST gets its own copy of the PKI (keys 0600)
#   shared.sh corpus DEST  DEST gets its own copy of the corpus: DEST/*.eml
#                          and DEST/pki, as make-corpus.sh DEST would make
#   shared.sh pki|corpus|java  print the shared directory (read it, never
#                          write into it); java: BcVerify's class directory,
#                          compiled against $JAVA_CP (see test/java/bc.sh)
#
# A copy costs milliseconds; building costs seconds of CPU, so tests that
# change files (revoke a certificate, replace a CRL) work on their copy.
# The PKI is rebuilt when make-test-pki.sh says it is stale (another
# version of the script, or less than 30 days of validity left); the
# corpus when make-corpus.sh or attacks.sh changed, when GPGSM is set or
# unset, or when the PKI was rebuilt; the class when its source changed.
# Exit: 0 done, 1 build or copy failed (the build log goes to stderr).
set -eu

what=${1:?usage: shared.sh pki|corpus|java [DEST]}
dest=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
verify=$(cd "$here/../verify" && pwd)
build=$(cd "${top_builddir:-$here/../..}" && pwd)
OPENSSL=${OPENSSL:-openssl}
export OPENSSL
pki=$build/test/tmp-pki
corpus=$build/test/tmp-corpus
java=$build/test/tmp-java
case $what in
pki) shared=$pki ;;
corpus) shared=$corpus ;;
java) shared=$java ;;
*) echo "usage: shared.sh pki|corpus|java [DEST]" >&2; exit 1 ;;
esac
mkdir -p "$build/test"

# Everything below runs under this directory's lock (corpus, then pki:
# always in that order).
if [ "${SHARED_SH_LOCKED:-}" != "$what" ]; then
	SHARED_SH_LOCKED=$what exec flock "$shared.lock" sh "$0" "$@"
fi

case $what in
pki)
	if ! sh "$here/make-test-pki.sh" "$pki" > "$pki.log" 2>&1; then
		cat "$pki.log" >&2
		exit 1
	fi
	chmod 755 "$pki"
	;;
corpus)
	SHARED_SH_LOCKED= sh "$0" pki
	want="$(cat "$verify/make-corpus.sh" "$verify/attacks.sh" | cksum)"
	want="$want $(cksum < "$pki/taro.crt") gpgsm=${GPGSM:+yes}"
	if [ "$(cat "$corpus/.stamp" 2>/dev/null)" != "$want" ]; then
		rm -rf "$corpus"
		mkdir -p "$corpus/pki"
		cp -pR "$pki"/* "$pki/.complete" "$corpus/pki/"
		if ! sh "$verify/make-corpus.sh" "$corpus" > "$corpus.log" 2>&1; then
			cat "$corpus.log" >&2
			exit 1
		fi
		chmod 755 "$corpus"
		echo "$want" > "$corpus/.stamp"
	fi
	;;
java)
	: "${JAVA_CP:?JAVA_CP unset (test/java/bc.sh sets it)}"
	src=$here/../java/BcVerify.java
	want="$(cksum < "$src") $JAVA_CP"
	if [ "$(cat "$java/.stamp" 2>/dev/null)" != "$want" ]; then
		rm -rf "$java"
		mkdir -p "$java"
		if ! javac -cp "$JAVA_CP" -d "$java" "$src" > "$java.log" 2>&1; then
			cat "$java.log" >&2
			exit 1
		fi
		echo "$want" > "$java/.stamp"
	fi
	;;
esac

if [ -z "$dest" ]; then
	echo "$shared"
	exit 0
fi
mkdir -p "$dest"
cp -pR "$shared"/* "$dest/"
[ ! -f "$shared/.complete" ] || cp -p "$shared/.complete" "$dest/"
