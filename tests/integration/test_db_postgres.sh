#!/usr/bin/env bash
# Scan storage in PostgreSQL (--db postgresql://...): a real server started
# here (initdb into the test's directory as nobody, Unix socket only,
# stopped at the end), the same scenarios as SQLite (helpers/db_scenarios.sh),
# then four shard processes of one scan (--shard i/4 --db-job) writing at
# once into a new database (they also race to create the schema; one
# --seed, so that the shards split one permutation): their
# union must equal one unsharded scan of the same range.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip only (scan storage)" >&2; exit 77; }
t_need_root
t_need ndiff xmllint nmap
. "$T_HELPERS/pg.sh"
pg_start "$T/pg"
t_lab_up
. "$T_HELPERS/db_scenarios.sh"

db_scenarios "$PG_URL"

# Shards: 198.18.2.0/24 x 3 ports, 9000 open everywhere (a wildcard listener).
runuser -u nobody -- "$PG_BIN/createdb" -h "$PG_DIR/sock" -U prtip shards || t_fail "createdb"
DB="postgresql://prtip@/shards?host=$PG_DIR/sock"
lab_anyip "$LAB_TGT" 198.18.2.0/24 || t_fail "anyip"
lab_listen "$LAB_TGT" "$T/l9000.txt" --addr 0.0.0.0 --ports 9000 || t_fail "no listener on 9000"
t_cleanup "kill $LAB_LISTEN_PID"
pids=()
for i in 1 2 3 4; do
    ip netns exec "$LAB_SCAN" timeout 60 "$BIN" -sS -Pn -n -p 22,9000,9001 --shard "$i/4" --seed 7157 \
        --db "$DB" --db-job nightly -oG "$T/shard$i.gnmap" 198.18.2.0/24 \
        >"$T/shard$i.out" 2>"$T/shard$i.err" &
    pids+=($!)
done
for i in 0 1 2 3; do
    wait "${pids[$i]}" || t_fail "shard $((i + 1)) failed: $(head -c 600 "$T/shard$((i + 1)).err")"
done
t_pass "four shards wrote to one new PostgreSQL database at once"
# (with a password in the URL: trust auth ignores it; it must not be stored)
t_scan full ip netns exec "$LAB_SCAN" -sS -Pn -n -p 22,9000,9001 \
    --db "postgresql://prtip:s3cret@/shards?host=$PG_DIR/sock" --db-job full -oX "$T/full.xml" 198.18.2.0/24
[ "$(cat "$T/full.rc")" = 0 ] || t_fail "unsharded scan: $(cat "$T/full.err")"
if grep -q s3cret "$T/full.xml" || db list | grep -q s3cret; then
    t_fail "the URL's password reached the outputs or the database"
fi
db list | grep -q -- "--db postgresql://prtip@/shards" || t_fail "stored arguments: $(db list)"
t_pass "the --db URL's password is cut from the stored and written command line"
db list >"$T/list.txt"
[ "$(grep -c ' nightly [1-4]/4 ' "$T/list.txt")" = 4 ] || t_fail "db list does not show 4 shards: $(cat "$T/list.txt")"
db query --scan nightly --state open | awk 'NR > 1 { print $2, $3, $4 }' | sort >"$T/shards.open"
db query --scan full --state open | awk 'NR > 1 { print $2, $3, $4 }' | sort >"$T/full.open"
[ "$(wc -l <"$T/full.open")" = 256 ] || t_fail "unsharded scan found $(wc -l <"$T/full.open") open, expected 256"
t_same "open ports of the 4 shards (job nightly) = the unsharded scan" "$T/full.open" "$T/shards.open"
db query --scan nightly | awk 'NR > 1 { print $2, $3, $4 }' | sort >"$T/shards.all"
db query --scan full | awk 'NR > 1 { print $2, $3, $4 }' | sort >"$T/full.all"
t_same "every port state of the shards = the unsharded scan" "$T/full.all" "$T/shards.all"
db compare nightly full --json >"$T/cmp.json" || t_fail "compare nightly full"
python3 "$T_HELPERS/dbfacts.py" prtip "$T/cmp.json" >"$T/facts"
[ ! -s "$T/facts" ] || t_fail "compare shards vs unsharded: $(head "$T/facts")"
t_pass "db compare nightly full: no differences"
db export nightly -oX "$T/nightly.xml" || t_fail "export nightly"
t_xml_valid "$T/nightly.xml"
[ "$(grep -c '<host ' "$T/nightly.xml")" = 256 ] || t_fail "export of the job has $(grep -c '<host ' "$T/nightly.xml") hosts"
t_pass "export of the job: one scan of 256 hosts, valid XML"
echo "PASS: $T_NAME"
