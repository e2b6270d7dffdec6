#!/usr/bin/env bash
# Scan storage in SQLite (--db FILE) end to end: see helpers/db_scenarios.sh
# (list, show, query, injection, export in every format = live files,
# compare = ndiff's facts, import of nmap's XML). Then prune.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip only (scan storage)" >&2; exit 77; }
t_need_root
t_need ndiff xmllint nmap
t_lab_up
. "$T_HELPERS/db_scenarios.sh"

db_scenarios "$T/scans.db"

# The database is one file with the schema version recorded.
python3 - "$T/scans.db" <<'PY' || t_fail "schema version not recorded"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("select max(version) from prtip_schema").fetchone()[0] == 2
assert c.execute("pragma journal_mode").fetchone()[0] == "wal"
PY
t_pass "schema version 2 recorded, WAL journal"

db prune --keep 2 >"$T/prune.txt" || t_fail "prune failed"
grep -q "Pruned 1 scan; 2 left." "$T/prune.txt" || t_fail "prune: $(cat "$T/prune.txt")"
[ "$(db list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" = "2 3 " ] || t_fail "prune kept $(db list)"
python3 - "$T/scans.db" <<'PY' || t_fail "prune left rows of scan 1"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in ("hosts", "ports", "scan_types"):
    assert c.execute(f"select count(*) from {t} where scan_id = 1").fetchone()[0] == 0, t
PY
db prune --older-than 0s >/dev/null && [ "$(db list)" = "No scans stored in $T/scans.db." ] ||
    t_fail "prune --older-than 0s: $(db list)"
t_pass "prune --keep 2, then --older-than 0s"
echo "PASS: $T_NAME"
