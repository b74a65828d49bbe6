#!/bin/sh
# layout.sh - the source tree keeps its layers (test/layout/check.py):
# smime/ does no process control and needs no front end, and no two
# files depend on each other through their #include lines.
# Exit: 0 pass, 77 skip (no python3), 1 fail.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
exec python3 "$top_srcdir/test/layout/check.py" "$top_srcdir"
