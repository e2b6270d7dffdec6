#!/usr/bin/env bash
# Storage faults during a scan: Ctrl-C, a full disk, PostgreSQL stopped.
#
# 1. Ctrl-C: a slow connect scan (--scan-delay) of 3 hosts with --db
#    SQLite gets SIGINT after ~2 s: exit 130, the scan stored as
#    "interrupted", the database passes integrity_check, and the stored
#    scan exports the same hosts and ports as the live XML.
# 2. Full disk: the database on a 384 KiB tmpfs, a SYN scan of all 65,535
#    ports (more rows than fit): exactly one "store:" line on stderr, exit
#    2, the live XML complete and valid, the database still consistent.
# 3. PostgreSQL stopped mid-scan (immediate shutdown while hosts are still
#    being scanned): exactly one "store:" line, exit 2, XML complete; after
#    a restart the database reads back and the scan is not "complete".
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip only (scan storage)" >&2; exit 77; }
t_need_root
t_need xmllint
t_lab_up
lab_anyip "$LAB_TGT" 198.18.4.0/26 || t_fail "anyip"
lab_listen "$LAB_TGT" "$T/l.txt" --addr 0.0.0.0 --ports 22 || t_fail "no listener"
t_cleanup "kill $LAB_LISTEN_PID"

sqlite_check() { # DB: integrity_check ok; prints "state hosts ports"
    python3 - "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
assert c.execute("pragma foreign_key_check").fetchall() == []
st = c.execute("select state from scans order by id desc limit 1").fetchone()[0]
h = c.execute("select count(*) from hosts").fetchone()[0]
p = c.execute("select count(*) from ports").fetchone()[0]
print(st, h, p)
PY
}

# 1. Ctrl-C.
ip netns exec "$LAB_SCAN" python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$BIN" -sT -Pn -n --scan-delay 20ms --max-retries 0 \
    --max-hostgroup 1 -p 20-60 --db "$T/int.db" -oX "$T/int.xml" 198.18.4.1 198.18.4.2 198.18.4.3 198.18.4.4 \
    >"$T/int.out" 2>"$T/int.err" &
SPID=$!
t_cleanup "kill -9 $SPID"
sleep 2
kill -INT "$SPID"
rc=0
wait "$SPID" || rc=$?
[ "$rc" = 130 ] || t_fail "Ctrl-C: exit $rc, expected 130: $(cat "$T/int.err")"
t_xml_valid "$T/int.xml"
read -r state hosts ports < <(sqlite_check "$T/int.db") || t_fail "Ctrl-C: database inconsistent"
[ "$state" = interrupted ] || t_fail "Ctrl-C: scan stored as $state"
[ "$hosts" -ge 1 ] || t_fail "Ctrl-C: no host stored (by 2 s at least one of 4 hosts x 41 ports at 20 ms had finished)"
"$BIN" db --db "$T/int.db" export 1 -oX "$T/int.exp.xml" || t_fail "export after Ctrl-C"
t_results xml "$T/int.xml" >"$T/int.ports"
t_results xml "$T/int.exp.xml" >"$T/int.exp.ports"
t_same "Ctrl-C: stored ports = the live XML's" "$T/int.ports" "$T/int.exp.ports"
t_pass "Ctrl-C: exit 130, stored as interrupted with $hosts hosts / $ports ports, database consistent"

# 2. Full disk.
mkdir "$T/full"
mount -t tmpfs -o size=384k tmpfs "$T/full" || t_fail "cannot mount a tmpfs"
t_cleanup "umount -l $T/full"
t_scan full ip netns exec "$LAB_SCAN" -sS -Pn -n -p- --db "$T/full/scans.db" -oX "$T/full.xml" 198.18.4.5
[ "$(cat "$T/full.rc")" = 2 ] || t_fail "full disk: exit $(cat "$T/full.rc"), expected 2: $(cat "$T/full.err")"
[ "$(grep -c 'store:' "$T/full.err")" = 1 ] || t_fail "full disk: not reported exactly once: $(cat "$T/full.err")"
grep -q "full" "$T/full.err" || t_fail "full disk: message does not say so: $(cat "$T/full.err")"
t_xml_valid "$T/full.xml"
grep -q '<port protocol="tcp" portid="22"><state state="open"' "$T/full.xml" || t_fail "full disk: XML lacks 22/open"
grep -q '<runstats>' "$T/full.xml" || t_fail "full disk: XML not closed"
read -r state hosts ports < <(sqlite_check "$T/full/scans.db") || t_fail "full disk: database inconsistent"
[ "$hosts" = 0 ] || [ "$ports" = 65535 ] || t_fail "full disk: a partial host was stored ($hosts hosts, $ports ports)"
[ "$state" != complete ] || t_fail "full disk: scan stored as complete"
t_pass "full disk: reported once ($(cat "$T/full.err")), exit 2, XML complete, database consistent ($state)"

# 3. PostgreSQL stopped mid-scan.
. "$T_HELPERS/pg.sh"
pg_start "$T/pg"
ip netns exec "$LAB_SCAN" "$BIN" -sT -Pn -n --scan-delay 10ms --max-retries 0 --max-hostgroup 1 \
    -p 20-40 --db "$PG_URL" -oX "$T/pg.xml" 198.18.4.8/29 >"$T/pg.out" 2>"$T/pg.err" &
SPID=$!
t_cleanup "kill -9 $SPID"
sleep 1
pg_kill
rc=0
wait "$SPID" || rc=$?
[ "$rc" = 2 ] || t_fail "PostgreSQL stopped: exit $rc, expected 2: $(cat "$T/pg.err")"
[ "$(grep -c 'store:' "$T/pg.err")" = 1 ] || t_fail "PostgreSQL stopped: not reported exactly once: $(cat "$T/pg.err")"
t_xml_valid "$T/pg.xml"
[ "$(grep -c '<host ' "$T/pg.xml")" = 8 ] || t_fail "PostgreSQL stopped: XML has $(grep -c '<host ' "$T/pg.xml") hosts, expected 8"
runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-k $PG_DIR/sock -c listen_addresses=" start >/dev/null 2>&1 || t_fail "PostgreSQL did not restart"
"$BIN" db --db "$PG_URL" list >"$T/pg.list" || t_fail "db list after restart: $(cat "$T/pg.list")"
state="$(awk 'NR == 2 { print $4 }' "$T/pg.list")"
[ "$state" = running ] || [ "$state" = failed ] || t_fail "PostgreSQL stopped: scan stored as $state"
"$BIN" db --db "$PG_URL" export 1 -oX "$T/pg.exp.xml" && t_xml_valid "$T/pg.exp.xml"
t_pass "PostgreSQL stopped: reported once ($(cat "$T/pg.err")), exit 2, XML complete, stored scan readable ($state)"
echo "PASS: $T_NAME"
