#!/bin/sh
# privsep-secrets.sh - case 6: a --pass/--secret in a wrong form, or a misspelt option
# carrying one, is never echoed.
# Exit: 0 pass, 77 skip (not root, no user nobody, no setpriv), 1 fail.
. "${top_srcdir:-.}/test/enroll/privsep-common.sh"

import_taro
for args in "--pass hunter2SECRET" "--pass=hunter2SECRET" "--pasx=hunter2SECRET" \
    "--pass hunter2SECRET --pass=hunter2SECRET"; do
	# shellcheck disable=SC2086
	$E import taro@example.jp "$work/taro.pem" $args > "$work/out" 2>&1
	grep -q hunter2SECRET "$work/out" && fail "6: secret echoed for $args: $(cat "$work/out")"
done
$E enroll taro@example.jp --cn 山田太郎 --server http://127.0.0.1:9/ --ref 1 \
	--secret hunter2SECRET > "$work/out" 2>&1
grep -q hunter2SECRET "$work/out" && fail "6: --secret echoed: $(cat "$work/out")"
ok "6 secrets in a wrong form are not echoed"
exit 0
exit 0
