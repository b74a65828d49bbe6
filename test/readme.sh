#!/bin/sh
# readme.sh [REPO] - the README's two commands, contrib/quickstart and
# contrib/run-tests, in a fresh clone of REPO (default: this tree's git
# repository, committed state), in both orders and twice each:
#   run-tests, quickstart, run-tests, quickstart
# then once more after configuring the source tree in place (as an older
# quickstart did).  Every run must succeed.  Not part of "make check" (four
# builds); "make check-readme" runs it, and CI runs the README order
# (quickstart, run-tests, quickstart) in its own fresh clone (.ci/run).
# run-tests runs only RUN_TESTS_TESTS (a few quick tests, no fuzzing) here.
# Dependencies are not installed (--no-deps/--no-install).
# Exit: 0 pass, 77 skip (no git or not a git checkout), 1 fail.
set -u
src=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
command -v git >/dev/null 2>&1 || { echo "SKIP: git missing"; exit 77; }
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "SKIP: $src is not a git checkout"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/readme-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
: "${RUN_TESTS_TESTS:=test/unit/test_core test/pki/stamp.sh test/integration/quickstart.sh}"

git clone -q "$src" "$work/clone" || fail "git clone $src"
cd "$work/clone" || exit 1

quickstart() {
	echo "==> quickstart ($1)"
	bash contrib/quickstart --no-deps > "$work/qs.log" 2>&1 ||
		{ tail -n 30 "$work/qs.log"; fail "quickstart ($1)"; }
	grep -q 'smime=pass' "$work/qs.log" || fail "quickstart ($1): no smime=pass"
}
runtests() {
	echo "==> run-tests ($1)"
	SKIP_FUZZ=1 TESTS=$RUN_TESTS_TESTS sh contrib/run-tests --no-install \
	    > "$work/rt.log" 2>&1 ||
		{ tail -n 30 "$work/rt.log"; fail "run-tests ($1)"; }
	grep -q ' passed, 0 failed' "$work/rt.log" || fail "run-tests ($1): no summary"
}

runtests "first, fresh clone"
quickstart "after run-tests"
runtests "again"
quickstart "again"
[ ! -f config.status ] || fail "the source tree was configured in place"
[ -z "$(git status --porcelain --ignored=no)" ] ||
	fail "the commands left untracked or changed files: $(git status --porcelain)"

# A clone where an older quickstart configured the source tree itself.
echo "==> in-tree configured source, then quickstart and run-tests"
./configure > "$work/conf.log" 2>&1 || fail "in-tree configure"
quickstart "after in-tree configure"
runtests "after in-tree configure"
echo "ok README commands work in either order, repeatedly, in one clone"
