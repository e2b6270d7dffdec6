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
bad="$(runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d postgres -qtA -c \
    "SELECT id FROM scans s WHERE stored_up IS DISTINCT FROM (SELECT count(*) FROM hosts h WHERE
     h.scan_id = s.id AND h.status = 'up') OR stored_open IS DISTINCT FROM (SELECT count(*) FROM
     ports p WHERE p.scan_id = s.id AND p.state = 'open')")" || t_fail "psql"
[ -z "$bad" ] || t_fail "scans whose stored counts differ from their rows: $bad"
t_pass "db list's counts, written with each scan's end, are those of its rows"

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
# A version 1 database (the tables as prtip's schema 1 created them in
# PostgreSQL, frozen here, with one scan in them) is migrated when prtip
# opens it: the old scan reads as before, and a new scan is stored beside it.
runuser -u nobody -- "$PG_BIN/createdb" -h "$PG_DIR/sock" -U prtip v1 || t_fail "createdb v1"
DB="postgresql://prtip@/v1?host=$PG_DIR/sock"
v1sql() { runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d v1 -v ON_ERROR_STOP=1 -qtA "$@"; }
v1sql <<'SQL' || t_fail "v1 DDL"
CREATE TABLE prtip_schema (version INTEGER NOT NULL, applied_ns BIGINT NOT NULL);
INSERT INTO prtip_schema VALUES (1, 0);
CREATE TABLE scans (id BIGSERIAL PRIMARY KEY, job TEXT, shard TEXT, scanner TEXT NOT NULL,
 version TEXT NOT NULL, args TEXT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT,
 elapsed_s DOUBLE PRECISION, state TEXT NOT NULL, error TEXT, mode INTEGER NOT NULL,
 verbosity INTEGER NOT NULL, debugging INTEGER NOT NULL, open_only INTEGER NOT NULL,
 show_reason INTEGER NOT NULL, version_scan INTEGER NOT NULL, stylesheet TEXT,
 hosts_total BIGINT, hosts_up BIGINT, hosts_down BIGINT, origin TEXT NOT NULL);
CREATE INDEX scans_job ON scans (job);
CREATE TABLE scan_types (scan_id BIGINT NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL,
 scanflags TEXT NOT NULL, proto TEXT NOT NULL, nservices BIGINT NOT NULL, services TEXT,
 PRIMARY KEY (scan_id, idx));
CREATE TABLE hosts (scan_id BIGINT NOT NULL, seq BIGINT NOT NULL, addr TEXT NOT NULL,
 addr_key TEXT NOT NULL, hostname TEXT, other_addrs TEXT, rdns TEXT, status TEXT NOT NULL,
 reason TEXT NOT NULL, reason_ttl INTEGER NOT NULL, mac TEXT, srtt_us BIGINT NOT NULL,
 rttvar_us BIGINT NOT NULL, timeout_us BIGINT NOT NULL, start_ns BIGINT NOT NULL,
 end_ns BIGINT NOT NULL, timed_out INTEGER NOT NULL, interrupted INTEGER NOT NULL,
 ports_unscanned BIGINT NOT NULL, os_fingerprint TEXT, PRIMARY KEY (scan_id, seq));
CREATE INDEX hosts_addr ON hosts (addr_key);
CREATE TABLE ports (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, idx INTEGER NOT NULL,
 proto TEXT NOT NULL, port INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
 reason_ttl INTEGER NOT NULL, service TEXT, PRIMARY KEY (scan_id, host_seq, idx));
CREATE INDEX ports_port ON ports (port, proto);
CREATE TABLE services (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,
 port_idx INTEGER NOT NULL, name TEXT NOT NULL, product TEXT, version TEXT, extrainfo TEXT,
 hostname TEXT, ostype TEXT, devicetype TEXT, cpe TEXT, method TEXT NOT NULL,
 conf INTEGER NOT NULL, tunnel_ssl INTEGER NOT NULL, PRIMARY KEY (scan_id, host_seq, port_idx));
CREATE TABLE tls (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, port_idx INTEGER NOT NULL,
 protocol TEXT, cipher TEXT, alpn TEXT, subject TEXT, issuer TEXT, san TEXT,
 not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, sha256 TEXT, key_type TEXT,
 key_bits BIGINT NOT NULL, PRIMARY KEY (scan_id, host_seq, port_idx));
CREATE TABLE scripts (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL,
 port_idx INTEGER NOT NULL, ord INTEGER NOT NULL, script_id TEXT NOT NULL, output TEXT,
 elems TEXT, PRIMARY KEY (scan_id, host_seq, port_idx, ord));
CREATE TABLE os_matches (scan_id BIGINT NOT NULL, host_seq BIGINT NOT NULL, ord INTEGER NOT NULL,
 name TEXT NOT NULL, accuracy INTEGER NOT NULL, line BIGINT NOT NULL, classes TEXT,
 PRIMARY KEY (scan_id, host_seq, ord));
INSERT INTO scans (job, scanner, version, args, start_ns, end_ns, elapsed_s, state, mode,
 verbosity, debugging, open_only, show_reason, version_scan, hosts_total, hosts_up, hosts_down,
 origin) VALUES ('old', 'prtip', '0.1', 'prtip -sV 198.18.0.2', 1795295520000000000,
 1795295533000000000, 12.5, 'complete', 0, 0, 0, 0, 0, 1, 1, 1, 0, 'scan');
INSERT INTO scan_types VALUES (1, 0, 'syn', '', 'tcp', 1, '22');
INSERT INTO hosts VALUES (1, 0, '198.18.0.2', '00000000000000000000ffffc6120002', NULL, NULL,
 NULL, 'up', 'syn-ack', 64, NULL, 200, 50, 100000, 1795295520000000000, 1795295520000000000,
 0, 0, 0, NULL);
INSERT INTO ports VALUES (1, 0, 0, 'tcp', 22, 'open', 'syn-ack', 64, 'ssh');
INSERT INTO services VALUES (1, 0, 0, 'ssh', 'OpenSSH', '9.2p1', NULL, NULL, 'Linux', NULL,
 NULL, 'probed', 10, 0);
SQL
db export old -oN "$T/v1.nmap" || t_fail "export of the v1 scan after migration"
grep -Eq '^22/tcp +open +ssh +OpenSSH 9.2p1$' "$T/v1.nmap" || t_fail "v1 scan reads differently: $(cat "$T/v1.nmap")"
[ "$(v1sql -c 'SELECT max(version) FROM prtip_schema')" = 3 ] || t_fail "v1 database not migrated to 3"
v1sql -c "SELECT reason_ip, probe, pem, os_report FROM ports, services, tls, hosts LIMIT 0" >/dev/null ||
    t_fail "v2 columns missing after migration"
# v3: the address index leads with the scan, the key columns compare bytes.
v1sql -c "SELECT indexdef FROM pg_indexes WHERE indexname = 'hosts_addr'" | grep -q '(scan_id, addr_key)' ||
    t_fail "v3 hosts_addr: $(v1sql -c "SELECT indexdef FROM pg_indexes WHERE indexname = 'hosts_addr'")"
[ "$(v1sql -c "SELECT string_agg(collation_name, ',' ORDER BY column_name) FROM information_schema.columns
     WHERE (table_name, column_name) IN (('hosts', 'addr_key'), ('ports', 'proto'))")" = "C,C" ] ||
    t_fail "v3: addr_key and proto do not compare bytes"
[ "$(v1sql -c "SELECT string_agg(indexname, ',') FROM pg_indexes WHERE indexname LIKE 'ports_%' AND
     indexdef LIKE '%WHERE (state = ''open''::text)'")" = ports_open ] ||
    t_fail "v3: ports_open: $(v1sql -c "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ports'")"
[ "$(v1sql -c "SELECT stored_up || '/' || stored_open FROM scans WHERE job = 'old'")" = 1/1 ] ||
    t_fail "v3: the v1 scan's counts: $(v1sql -c "SELECT stored_up, stored_open FROM scans")"
t_scan v1scan ip netns exec "$LAB_SCAN" -sS -Pn -n -p 9000,9001 --db "$DB" -oX "$T/v1scan.xml" 198.18.2.7
[ "$(cat "$T/v1scan.rc")" = 0 ] || t_fail "scan into the migrated database: $(cat "$T/v1scan.err")"
db export latest -oX "$T/v1back.xml" || t_fail "export of the new scan"
t_same "a scan stored in the migrated database exports as written" "$T/v1scan.xml" "$T/v1back.xml"
t_pass "a version 1 PostgreSQL database is migrated on open; old and new scans read back"
# Rows go by binary COPY in the column types the server describes; a column
# whose type a DBA changed (here ports.port to NUMERIC, which the binary
# writer does not speak) sends the batch by text COPY, where the server
# converts: the scan is stored whole all the same.
runuser -u nobody -- "$PG_BIN/createdb" -h "$PG_DIR/sock" -U prtip textcopy || t_fail "createdb textcopy"
DB="postgresql://prtip@/textcopy?host=$PG_DIR/sock"
db list >/dev/null || t_fail "schema of the textcopy database"
runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d textcopy -qc \
    "ALTER TABLE ports ALTER COLUMN port TYPE NUMERIC" || t_fail "ALTER ports.port"
t_scan tc ip netns exec "$LAB_SCAN" -sS -Pn -n -p 9000,9001,22 --db "$DB" -oX "$T/tc.xml" 198.18.2.7
[ "$(cat "$T/tc.rc")" = 0 ] || t_fail "scan into the altered database: $(cat "$T/tc.err")"
db export latest -oX "$T/tcback.xml" || t_fail "export from the altered database"
t_same "a batch sent by text COPY exports as written" "$T/tc.xml" "$T/tcback.xml"
echo "PASS: $T_NAME"
