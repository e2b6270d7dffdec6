#!/usr/bin/env bash
# Scan storage keeps text whose bytes are not UTF-8. A -sV banner (a real
# listener on the test's own loopback) puts bytes 0xff 0xfe 0xe9 into the
# matched version (nmap-service-probes: OpenSSH ... Debian-$3) and a binary
# reply into the fingerprint of an unrecognised service. PostgreSQL refuses
# text that is not UTF-8 (the whole batch was lost) and SQLite kept it
# as given, so the scan is stored in both: a SQLite file and a real
# PostgreSQL started here (helpers/pg.sh). Each must export, in every
# format, the very bytes the live scan wrote, and db show must equal its
# stdout.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip only (scan storage)" >&2; exit 77; }
t_need_root
. "$T_HELPERS/pg.sh"
pg_start "$T/pg"
t_private_lo

# Port A: an SSH banner with bytes that are not UTF-8 in its Debian suffix.
# Port B: a binary greeting no probe matches (an SF-Port fingerprint).
cat >"$T/banner.py" <<'PY'
import socket, sys, threading
banners = [b"SSH-2.0-OpenSSH_8.9 Debian-\xff\xfe\xe9t\xc3\xa9\r\n", b"\xff\xfe\x00\x81hello\xe9\r\n"]
socks = []
for b in banners:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    socks.append((s, b))
def serve(s, b):
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b)
            c.settimeout(2)
            c.recv(4096)
        except OSError:
            pass
        c.close()
for s, b in socks:
    threading.Thread(target=serve, args=(s, b), daemon=True).start()
print("ports", *(s.getsockname()[1] for s, _ in socks), flush=True)
threading.Event().wait()
PY
${IN+"${IN[@]}"} python3 "$T/banner.py" >"$T/ports.txt" &
t_cleanup "kill $!"
for _ in $(seq 1 50); do grep -q ports "$T/ports.txt" && break; sleep 0.1; done
read -r _ PA PB <"$T/ports.txt" || t_fail "banner listener did not start"

check_backend() { # NAME DB
    local name="$1"
    DB="$2"
    t_scan "$name" ${IN+"${IN[@]}"} -sT -sV -Pn -n -p "$PA,$PB" --db "$DB" \
        -oX "$T/$name.xml" -oJ "$T/$name.json" -oG "$T/$name.gnmap" -oN "$T/$name.nmap" \
        -oD "$T/$name.ndjson" -oC "$T/$name.csv" 127.0.0.1
    [ "$(cat "$T/$name.rc")" = 0 ] || t_fail "$name: exit $(cat "$T/$name.rc"): $(head -c 600 "$T/$name.err")"
    [ ! -s "$T/$name.err" ] || t_fail "$name: stderr: $(head -c 600 "$T/$name.err")"
    # The live outputs carry the raw bytes (-oN), else this test proves nothing.
    grep -aq $'Debian \xff\xfe\xe9t' "$T/$name.nmap" || t_fail "$name: the live -oN lacks the banner's bytes: $(cat "$T/$name.nmap")"
    grep -aq "SF-Port$PB" "$T/$name.nmap" || t_fail "$name: no fingerprint for port $PB"
    "$BIN" db --db "$DB" list >"$T/$name.list" || t_fail "$name: db list"
    grep -q " complete " "$T/$name.list" || t_fail "$name: scan not stored complete: $(cat "$T/$name.list")"
    "$BIN" db --db "$DB" show 1 >"$T/$name.show" || t_fail "$name: db show"
    cmp -s "$T/$name.out" "$T/$name.show" || { diff -a "$T/$name.out" "$T/$name.show" >&2 || true; t_fail "$name: db show differs from the live stdout"; }
    for f in "X xml" "J json" "G gnmap" "N nmap" "D ndjson" "C csv"; do
        set -- $f
        "$BIN" db --db "$DB" export 1 "-o$1" "$T/$name.e.$2" || t_fail "$name: db export -o$1"
        cmp -s "$T/$name.$2" "$T/$name.e.$2" || { diff -a "$T/$name.$2" "$T/$name.e.$2" >&2 || true; t_fail "$name: export -o$1 differs from the live file"; }
    done
    "$BIN" db --db "$DB" query --product OpenSSH >"$T/$name.q" || t_fail "$name: db query"
    grep -q "$PA" "$T/$name.q" || t_fail "$name: query --product OpenSSH misses port $PA: $(cat "$T/$name.q")"
    t_pass "$name: banner and fingerprint bytes that are not UTF-8 stored; show, export in 6 formats equal the live scan; query finds it"
}

check_backend sqlite "$T/scans.db"
check_backend postgresql "$PG_URL"
# In PostgreSQL the column holds valid UTF-8 (the server checked it) that
# still says what the banner said where it was text.
v=$(runuser -u nobody -- "$PG_BIN/psql" -h "$PG_DIR/sock" -U prtip -d postgres -qtA \
    -c "SELECT version FROM services WHERE name = 'ssh'") || t_fail "psql"
case "$v" in "8.9 Debian "*"t"*) ;; *) t_fail "stored version: '$v'" ;; esac
t_pass "PostgreSQL holds the version as valid UTF-8: $v"

# db compare's JSON and XML hold the stored version too (as -oJ and -oX
# write such bytes: '?'), where jansson and XML take only UTF-8: scan 2 has
# port B alone, so against scan 1 port A (the banner's) differs.
t_scan only_b ${IN+"${IN[@]}"} -sT -sV -Pn -n -p "$PB" --db "$T/scans.db" 127.0.0.1
[ "$(cat "$T/only_b.rc")" = 0 ] || t_fail "scan of port B: $(head -c 600 "$T/only_b.err")"
"$BIN" db --db "$T/scans.db" compare 2 1 --json >"$T/cmp.json" || t_fail "db compare --json"
python3 - "$T/cmp.json" "$PA" <<'PY' || t_fail "compare --json: $(head -c 800 "$T/cmp.json")"
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
assert "8.9 Debian ???t" in text, text
PY
"$BIN" db --db "$T/scans.db" compare 2 1 --xml >"$T/cmp.xml" || t_fail "db compare --xml"
python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/cmp.xml" ||
    t_fail "compare --xml is not well-formed: $(head -c 800 "$T/cmp.xml")"
grep -q 'version="8.9 Debian ???t' "$T/cmp.xml" || t_fail "compare --xml lacks the version: $(cat "$T/cmp.xml")"
t_pass "db compare --json and --xml carry the version, bytes that are not UTF-8 as '?'"
