#!/usr/bin/env bash
# Ctrl-C leaves a host half scanned: it must never look complete.
#
# A slow SYN scan (--scan-delay 20ms, 1000 ports, all closed: RSTs) gets
# SIGINT after ~1.5 s, writing normal, greppable, XML, JSON and NDJSON. In
# every format the host must carry the count of ports not scanned, that count
# plus the ports reported must be the 1000 asked for, normal output must not
# print nmap's "Not shown:" line (its counts would cover only the ports
# scanned) and the closing sentence must not claim the hosts shown are
# complete. The XML stays valid against nmap.dtd.
# (nmap exits on SIGINT without writing the host: only prtip is checked.)
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || {
    echo "SKIP: nmap reports no host after SIGINT" >&2
    exit 77
}
t_lab_up

ip netns exec "$LAB_SCAN" python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$BIN" -sS -Pn -n --scan-delay 20ms --max-retries 0 \
    -p 1-1000 -oN "$T/p.nmap" -oG "$T/p.gnmap" -oX "$T/p.xml" -oJ "$T/p.json" -oD "$T/p.ndjson" -oC "$T/p.csv" \
    "$LAB_TGT_V4" >"$T/p.out" 2>"$T/p.err" &
SPID=$!
SCAN_DONE=""
t_cleanup '[ -n "$SCAN_DONE" ] || kill -9 "$SPID"'
sleep 1.5
kill -0 "$SPID" 2>/dev/null || t_fail "scan ended before SIGINT: $(head -c 500 "$T/p.err")"
kill -INT "$SPID"
rc=""
for _ in $(seq 1 100); do
    if ! kill -0 "$SPID" 2>/dev/null; then
        rc=0
        wait "$SPID" || rc=$?
        SCAN_DONE=1
        break
    fi
    sleep 0.1
done
[ -n "$rc" ] || t_fail "scanner still running 10 s after SIGINT"
[ "$rc" -eq 130 ] || t_fail "exit status $rc after SIGINT, expected 130"

t_xml_valid "$T/p.xml"
t_pass "XML valid against nmap.dtd"

# The XML's port count and its "not scanned" count add up to 1000.
python3 - "$T" <<'EOF' || t_fail "partial host not marked consistently (see above)"
import json, re, sys
import xml.etree.ElementTree as ET
T = sys.argv[1]
def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)
root = ET.parse(f"{T}/p.xml").getroot()
hosts = root.findall("host")
if len(hosts) != 1:
    fail(f"XML has {len(hosts)} hosts")
h = hosts[0]
m = re.fullmatch(r"Interrupted: (\d+) of 1000 ports not scanned", h.get("comment", ""))
if not m:
    fail(f"XML host comment is {h.get('comment')!r}")
todo = int(m.group(1))
listed = len(h.findall("ports/port")) + sum(int(e.get("count")) for e in h.findall("ports/extraports"))
if todo == 0 or todo + listed != 1000:
    fail(f"XML: {todo} not scanned + {listed} reported != 1000")
raw = open(f"{T}/p.xml").read()
if f"<!-- host interrupted: {todo} of 1000 ports not scanned" not in raw:
    fail("XML has no comment for the partial host")
fin = root.find("runstats/finished")
if fin.get("exit") != "error" or not fin.get("errormsg"):
    fail(f"runstats finished is {fin.attrib}")
j = json.load(open(f"{T}/p.json"))
jh = j["hosts"][0] if "hosts" in j else None
if jh is None or jh.get("interrupted") is not True or jh.get("ports_not_scanned") != todo:
    fail(f"JSON host: interrupted={jh and jh.get('interrupted')} ports_not_scanned={jh and jh.get('ports_not_scanned')}, XML says {todo}")
seen = False
for line in open(f"{T}/p.ndjson"):
    ev = json.loads(line)
    d = ev.get("data") or {}
    if d.get("ports_not_scanned") is not None:
        seen = True
        if d["ports_not_scanned"] != todo or d.get("interrupted") is not True:
            fail(f"NDJSON host event {ev}")
if not seen:
    fail("NDJSON has no host event with ports_not_scanned")
norm = open(f"{T}/p.nmap").read()
if f"Scan of this host interrupted: {todo} of 1000 ports not scanned" not in norm:
    fail("normal output does not mark the host as interrupted")
if re.search(r"^Not shown:", norm, re.M):
    fail("normal output prints nmap's Not shown line for a partial host")
if "complete for the hosts shown" in norm:
    fail("normal output claims the hosts shown are complete")
g = open(f"{T}/p.gnmap").read()
if f"\tInterrupted: {todo} of 1000 ports not scanned" not in g or f"\tNot scanned: {todo}" not in g:
    fail("greppable output does not mark the host as interrupted")
if "complete for the hosts shown" in g:
    fail("greppable output claims the hosts shown are complete")
import csv
rows = list(csv.DictReader(open(f"{T}/p.csv", newline="")))
if not rows or any(r["ports_not_scanned"] != str(todo) for r in rows):
    fail(f"CSV rows do not all carry ports_not_scanned={todo}: {rows[:2]}")
print(f"ok: {todo} ports not scanned, marked in every format")
EOF
echo "PASS: $T_NAME"
