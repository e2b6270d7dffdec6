#!/usr/bin/env bash
# docs/prtip.1 cannot drift from the module tables: its lists of discovery
# probes, scan types and output formats must be exactly what
# `prtip --help-man-lists` prints from disc_options[], scan_modules[] and
# output_modules[] (each block between its BEGIN/END comment lines), and
# -h must name every option of those tables. Nothing is scanned.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME is about prtip's own man page" >&2; exit 77; }

"$BIN" --help-man-lists >"$T/lists" || t_fail "--help-man-lists exited $?"
"$BIN" -h >"$T/help" || t_fail "-h exited $?"
/usr/bin/python3 - "$T/lists" "$SRC/docs/prtip.1" "$T/help" <<'PY' || t_fail "man page or -h out of date with the tables (see above)"
import re, sys
gen = open(sys.argv[1]).read()
page = open(sys.argv[2]).read()
helptext = open(sys.argv[3]).read()
pat = re.compile(r'(\.\\" BEGIN ([^:]+):.*?\n.*?\.\\" END \2\n)', re.S)
blocks = pat.findall(gen)
names = [w for _, w in blocks]
assert names == ["discovery probes", "scan types", "output formats"], names
bad = 0
for block, what in blocks:
    if block not in page:
        print(f"docs/prtip.1: the '{what}' list differs from the table; replace it with:\n{block}")
        bad += 1
in_page = [w for _, w in pat.findall(page)]
if sorted(in_page) != sorted(names):
    print(f"docs/prtip.1 has generated blocks {in_page}, expected {names}")
    bad += 1
for opt in re.findall(r'^\.B[I]? (\\-[a-zA-Z]{2})\b', gen, re.M):
    o = opt.replace('\\', '')
    if not re.search(r'^  ' + re.escape(o) + r'\b', helptext, re.M):
        print(f"-h does not list {o}")
        bad += 1
sys.exit(1 if bad else 0)
PY
t_pass "docs/prtip.1 and -h list exactly the table rows"
