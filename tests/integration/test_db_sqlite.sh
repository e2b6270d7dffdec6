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
assert c.execute("select max(version) from prtip_schema").fetchone()[0] == 3
assert c.execute("pragma journal_mode").fetchone()[0] == "wal"
# db list's counts, written with each scan's end, are those of its rows.
for sid, up, op, rup, rop in c.execute(
        "select id, stored_up, stored_open,"
        " (select count(*) from hosts h where h.scan_id = s.id and h.status = 'up'),"
        " (select count(*) from ports p where p.scan_id = s.id and p.state = 'open') from scans s"):
    assert (up, op) == (rup, rop), (sid, up, op, rup, rop)
PY
t_pass "schema version 3 recorded, WAL journal, stored counts = the rows'"

# With a store, the raw engine hands each host over as soon as every probe
# of it is answered (-Pn: no discovery pass), while 198.18.1.1 (dropped by
# the scenarios' ruleset) keeps the scan in its reply waits. The outputs
# still list hosts in target order, as a scan without --db does, and the
# database holds every host and port.
EARLY=(-sS -Pn -n --disable-arp-ping -p "$DB_PORTS" 198.18.1.0/29 "$LAB_TGT_V4")
t_scan_ok early0 ip netns exec "$LAB_SCAN" "${EARLY[@]}" -oG "$T/early0.gnmap" -oN "$T/early0.nmap"
t_scan_ok early1 ip netns exec "$LAB_SCAN" "${EARLY[@]}" -d --db "$T/early.db" \
    -oG "$T/early1.gnmap" -oN "$T/early1.nmap"
n=$(sed -n 's/.*\[raw\] \([0-9]*\) hosts delivered while the scan ran.*/\1/p' "$T/early1.err")
[ "${n:-0}" -ge 7 ] || t_fail "hosts handed over early: ${n:-none} (want the 7 that answer everything)"
for k in 0 1; do
    grep -v '^#' "$T/early$k.gnmap" >"$T/early$k.g"
    grep -E 'scan report for|^[0-9]+/tcp|^Host is|ports? ' "$T/early$k.nmap" |
        sed 's/ (.*latency)//' >"$T/early$k.n"
done
t_same "-oG with hosts handed over early (target order)" "$T/early0.g" "$T/early1.g"
t_same "-oN with hosts handed over early (target order)" "$T/early0.n" "$T/early1.n"
"$BIN" db --db "$T/early.db" query --scan 1 | awk 'NR > 1 { print $2, $3, $4 }' | sort >"$T/early.db.txt"
awk -F'\t' '/Ports:/ { split($1, a, " "); sub(/^Ports: /, "", $2); n = split($2, p, ", ");
    for (i = 1; i <= n; i++) { split(p[i], f, "/"); print a[2], f[1] "/" f[3], f[2] } }' \
    "$T/early1.gnmap" | sort >"$T/early.g.txt"
t_same "every port of the early scan in the database" "$T/early.g.txt" "$T/early.db.txt"
# Hosts of more than RAW_EARLY_MAX_ENTRIES (16) ports are not handed over
# early: they complete late, and the outputs would hold a copy of each.
t_scan_ok wide ip netns exec "$LAB_SCAN" -sS -Pn -n --disable-arp-ping -p 1-40 -d --db "$T/wide.db" \
    -oG "$T/wide.gnmap" 198.18.1.0/29 "$LAB_TGT_V4"
n=$(sed -n 's/.*\[raw\] \([0-9]*\) hosts delivered while the scan ran.*/\1/p' "$T/wide.err")
[ "${n:-0}" = 0 ] || t_fail "hosts of 40 ports handed over early: $n"
t_pass "hosts of 40 ports wait for the scan's end (no early copies)"

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
