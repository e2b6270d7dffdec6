#!/usr/bin/env bash
# -oD is a stream: tailed during a slow connect scan of 127.0.0.1-8, it
# shows finished hosts while prtip is still running, and every line parses
# as JSON. -oC from a real scan of a real listener (python3 http.server on
# loopback, started and stopped here) reads back with python's csv module.
# Loopback only, always -n.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME: -oD/-oC are prtip's" >&2; exit 77; }
[ -x /usr/bin/python3 ] || { echo "SKIP: $T_NAME needs /usr/bin/python3" >&2; exit 77; }

# --- -oD while the scan runs -------------------------------------------------
# 8 hosts x 20 ports at 10 probes/s: about 16 s, hosts finishing one by one.
"$BIN" -sT -Pn -n -p 1-20 --max-rate 10 --max-hostgroup 1 -oD "$T/scan.ndjson" \
    127.0.0.1-8 >"$T/nd.out" 2>"$T/nd.err" &
PID=$!
t_cleanup kill "$PID"
seen=""
for _ in $(seq 1 300); do
    if grep -q '"rec_type":"host"' "$T/scan.ndjson" 2>/dev/null; then
        kill -0 "$PID" 2>/dev/null && seen=1
        break
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$seen" ] || t_fail "no host line in -oD while prtip was still running: $(head -c 300 "$T/nd.err")"
# The lines seen so far already parse: a reader never gets half a host.
cp "$T/scan.ndjson" "$T/partial.ndjson"
rc=0
wait "$PID" || rc=$?
[ "$rc" -eq 0 ] || t_fail "prtip exited $rc: $(head -c 300 "$T/nd.err")"
/usr/bin/python3 - "$T/partial.ndjson" "$T/scan.ndjson" <<'PY' || t_fail "-oD lines do not parse or are incomplete (see above)"
import json, sys
partial = open(sys.argv[1]).read()
assert partial.endswith("\n"), "partial file ends inside a line"
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    recs = [json.loads(l) for l in lines]  # raises on a bad line
    for r in recs:
        assert {"ip", "timestamp", "rec_type", "data"} <= r.keys(), r
full = [json.loads(l) for l in open(sys.argv[2])]
hosts = sorted(r["ip"] for r in full if r["rec_type"] == "host")
assert hosts == [f"127.0.0.{i}" for i in range(1, 9)], hosts
ports = [r for r in full if r["rec_type"] == "status"]
# 20 closed ports per host are collapsed ("Not shown"), as in every format;
# whatever is listed must be a port of the scan.
assert all(1 <= r["port"] <= 20 and r["proto"] == "tcp" for r in ports), ports
PY
t_pass "-oD shows hosts during the scan; every line parses"

# --- -oC from a real listener -------------------------------------------------
PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
/usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 >"$T/http.log" 2>&1 &
HPID=$!
t_cleanup kill "$HPID"
for _ in $(seq 1 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
    sleep 0.1
done
t_scan csv -sT -Pn -n -p "$PORT,1" -oC "$T/scan.csv" 127.0.0.1
[ "$(cat "$T/csv.rc")" -eq 0 ] || t_fail "prtip -oC exited $(cat "$T/csv.rc"): $(head -c 300 "$T/csv.err")"
kill "$HPID" 2>/dev/null || true
/usr/bin/python3 - "$T/scan.csv" "$PORT" <<'PY' || t_fail "-oC does not read back as expected (see above)"
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "records must end in CRLF"
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
byport = {r["port"]: r for r in rows}
assert set(byport) == {sys.argv[2], "1"}, rows
o = byport[sys.argv[2]]
assert (o["address"], o["host_state"], o["protocol"], o["state"], o["reason"]) == \
    ("127.0.0.1", "up", "tcp", "open", "syn-ack"), o
c = byport["1"]
assert (c["state"], c["reason"]) == ("closed", "conn-refused"), c
PY
t_pass "-oC of a real scan reads back with python's csv module"
