#!/bin/sh
# protocol.sh - milterclient against testfilter (a real libmilter filter):
# what the client sends (header values, folding, CRLF body, macros) and
# how it applies every end-of-message request, verdicts and exit codes,
# SMFIP_HDR_LEADSPC, SMFIR_SKIP, connection reuse, large bodies.
set -u
: "${top_builddir:=.}"
client=$top_builddir/test/client/milterclient
filter=$top_builddir/test/client/testfilter
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcproto.XXXXXX")
fpid=
fail=0
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# start_filter [OPTIONS]: (re)start testfilter on $tmp/f.sock.
start_filter() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
	rm -f "$tmp/f.sock"
	"$filter" -p "unix:$tmp/f.sock" "$@" 2>"$tmp/filter.err" &
	fpid=$!
	i=0
	while [ ! -S "$tmp/f.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -S "$tmp/f.sock" ] || { echo "testfilter did not start"; exit 1; }
}

# check NAME EXPECTED ACTUAL-FILE
check() {
	if printf '%s\n' "$2" | cmp -s - "$3"; then
		echo "ok: $1"
	else
		echo "FAIL: $1"; printf '%s\n' "$2" | diff - "$3"; fail=1
	fi
}

# expect_rc NAME WANT GOT
expect_rc() {
	if [ "$2" = "$3" ]; then echo "ok: $1 (exit $3)"; else
		echo "FAIL: $1: exit $3, want $2"; fail=1; fi
}

mc() { timeout 60 "$client" -s "unix:$tmp/f.sock" "$@"; }

printf 'Received: one\nX-Chg: first\nFrom: Taro <taro@example.jp>\nX-Del: gone\nSubject:  hello\n\tfolded world\nX-Chg: second\nTo: b@example.net\n\nline1\n\nline3 no newline' > "$tmp/m1"

start_filter
mc -A taro -C 192.0.2.1 -q Q1 "$tmp/m1" > "$tmp/out1"; rc=$?
expect_rc "LF message accepted" 0 $rc
check "header edits and body replacement (LF)" 'X-Ins: top
Received: one
X-Chg: first
From: Taro <taro@example.jp>
Subject:  hello
	folded world
X-Chg: changed
To: b@example.net
X-Add: folded
	value
X-Missing: appended

from=<taro@example.jp> auth=taro client=192.0.2.1 i=Q1
[Received]=[one]
[X-Chg]=[first]
[From]=[Taro <taro@example.jp>]
[X-Del]=[gone]
[Subject]=[hello\n	folded world]
[X-Chg]=[second]
[To]=[b@example.net]
body=27 chunks=1 crlf=yes
line1

line3 no newline' "$tmp/out1"

# Same message with CRLF line ends: identical content, CRLF output.
sed 's/$/\r/' "$tmp/m1" | head -c -1 > "$tmp/m1crlf"
mc -A taro -C 192.0.2.1 -q Q1 - < "$tmp/m1crlf" > "$tmp/out2"; rc=$?
expect_rc "CRLF message from stdin accepted" 0 $rc
tr -d '\r' < "$tmp/out2" > "$tmp/out2lf"
check "CRLF input gives the same message" "$(cat "$tmp/out1")" "$tmp/out2lf"
if [ "$(grep -c "$(printf '\r')\$" "$tmp/out2")" = "$(wc -l < "$tmp/out2")" ]; then
	echo "ok: CRLF output lines"
else
	echo "FAIL: CRLF input did not give CRLF output"; fail=1
fi

# -r: the body goes out unchanged (no final line end added).
mc -r -q Q3 "$tmp/m1" > "$tmp/out3"
grep -q '^body=23 chunks=1 crlf=no$' "$tmp/out3" && echo "ok: raw body" ||
	{ echo "FAIL: raw body"; grep '^body=' "$tmp/out3"; fail=1; }
grep -q '^from=<taro@example.jp> auth=- client=- i=Q3$' "$tmp/out3" &&
	echo "ok: no auth, unknown client" || { echo "FAIL: macros"; fail=1; }

# Verdicts.
sed 's/^Subject:  hello/Subject: please reject/' "$tmp/m1" > "$tmp/rej"
mc "$tmp/rej" > "$tmp/out4" 2> "$tmp/err4"; rc=$?
expect_rc "reject" 69 $rc
grep -q '550 5.7.1 rejected by test' "$tmp/err4" && echo "ok: reply text" ||
	{ echo "FAIL: reply text"; cat "$tmp/err4"; fail=1; }
[ ! -s "$tmp/out4" ] && echo "ok: nothing written on reject" ||
	{ echo "FAIL: output on reject"; fail=1; }
sed 's/^Subject:  hello/Subject: tempfail/' "$tmp/m1" > "$tmp/tf"
mc "$tmp/tf" > /dev/null 2>&1; rc=$?
expect_rc "tempfail" 75 $rc

# Several messages on one connection, then one per connection.
mc -n 3 -m 0 -q R "$tmp/m1" > "$tmp/out5"; rc=$?
expect_rc "3 messages on one connection" 0 $rc
grep -q 'i=R3$' "$tmp/out5" && echo "ok: last message written" ||
	{ echo "FAIL: -n"; fail=1; }
mc -n 4 -m 2 "$tmp/rej" > /dev/null 2>&1; rc=$?
expect_rc "reject then next message on same connection" 69 $rc

# 3 MB body: 65535-byte chunks, CRLF conversion across chunk borders.
{ printf 'From: a@example.jp\nSubject: big\n\n'
  i=0; while [ $i -lt 30000 ]; do
	printf '%099d\n' $i; i=$((i + 1)); done; } > "$tmp/big"
mc -q B "$tmp/big" > "$tmp/out6"; rc=$?
expect_rc "3 MB message" 0 $rc
grep -q '^body=3030000 chunks=47 crlf=yes$' "$tmp/out6" &&
	echo "ok: 3 MB body in 47 chunks" ||
	{ echo "FAIL: big body"; grep '^body=' "$tmp/out6"; fail=1; }
tail -n 30000 "$tmp/big" > "$tmp/bigbody"
tail -n 30000 "$tmp/out6" | cmp -s - "$tmp/bigbody" &&
	echo "ok: replaced body streamed back intact" ||
	{ echo "FAIL: replaced big body differs"; fail=1; }

# SMFIP_HDR_LEADSPC: values go out with the blank, edits come back without.
start_filter -l
mc -q L "$tmp/m1" > "$tmp/out7"
grep -q '^\[Subject\]=\[ hello' "$tmp/out7" && grep -q '^X-Add:folded$' "$tmp/out7" &&
	echo "ok: HDR_LEADSPC" || { echo "FAIL: HDR_LEADSPC"; fail=1; }

# SMFIR_SKIP after the first chunk: the rest of the body is not sent.
start_filter -k
mc -q K "$tmp/big" > "$tmp/out8"; rc=$?
expect_rc "skip" 0 $rc
grep -q '^body=65535 chunks=1 ' "$tmp/out8" && echo "ok: SMFIR_SKIP honoured" ||
	{ echo "FAIL: skip"; grep '^body=' "$tmp/out8"; fail=1; }

# No filter listening.
kill "$fpid"; wait "$fpid" 2>/dev/null; fpid=
mc "$tmp/m1" > /dev/null 2>&1; rc=$?
expect_rc "no filter" 76 $rc
exit $fail
