#!/usr/bin/env bash
# Programs that drive nmap drive prtip: python3-libnmap's NmapProcess (runs
# BIN -oX - -vvv --stats-every 1s, follows <taskbegin>/<taskprogress>/
# <taskend> line by line, then parses the report) and python3-nmap's
# PortScanner (checks `-V` for "Nmap version X.Y ( http...)", runs -oX -),
# both against a lab target whose ground truth is 22/tcp and 80/tcp open,
# every other port of 1-300 dropped (filtered), so the scan lasts seconds.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
/usr/bin/python3 -c 'import libnmap.process, nmap' 2>/dev/null ||
    { echo "SKIP: python3-libnmap / python3-nmap not installed (scripts/install-deps.sh)" >&2; exit 77; }
t_lab_up
lab_nft "$LAB_TGT" $'table inet f {\n chain in {\n type filter hook input priority 0;\n tcp dport != { 22, 80 } drop\n }\n}' ||
    t_fail "nft rules"
lab_listen "$LAB_TGT" "$T/listen.out" --addr "$LAB_TGT_V4" --ports 22,80 >/dev/null

# The clients run inside the scanner namespace (the only way to reach the lab).
mkdir -p "$T/bin"
ln -s "$(readlink -f "$BIN")" "$T/bin/nmap"
timeout -k 5 120 ip netns exec "$LAB_SCAN" /usr/bin/python3 - "$BIN" "$LAB_TGT_V4" "$T/bin/nmap" \
    >"$T/clients.out" 2>&1 <<'PY' || { cat "$T/clients.out" >&2; t_fail "a client failed"; }
import sys
from libnmap.process import NmapProcess
from libnmap.parser import NmapParser
import nmap

binary, tgt, link = sys.argv[1], sys.argv[2], sys.argv[3]
args = "-n -Pn -sT -p1-300 --scan-delay 10ms --max-retries 1"
seen = []
def cb(proc):
    task = proc.current_task
    if task:
        seen.append((task.name, task.status, str(task.progress)))
proc = NmapProcess(targets=tgt, options=args, event_callback=cb, fqp=binary)
rc = proc.run()
assert rc == 0, (rc, proc.stderr)
names = {s[0] for s in seen}
assert "Connect Scan" in names, seen
assert any(s[2] not in ("0", "None") for s in seen), "no taskprogress read: %r" % seen
assert any(s[1] == "ended" for s in seen), "no taskend read: %r" % seen
rep = NmapParser.parse(proc.stdout)
assert len(rep.hosts) == 1 and rep.hosts[0].is_up()
opened = sorted(p for p, proto in rep.hosts[0].get_open_ports())
assert opened == [22, 80], opened
print("libnmap: tasks %s, progress %s, open %s" % (sorted(names), [s[2] for s in seen if s[2] not in ("0",)][:3], opened))

ps = nmap.PortScanner(nmap_search_path=(link,))
ver = ps.nmap_version()
assert ver == (7, 93), ver
res = ps.scan(tgt, "1-300", arguments="-n -Pn -sT --scan-delay 5ms --max-retries 1")
assert tgt in ps.all_hosts(), res
tcp = ps[tgt]["tcp"]
got = sorted(p for p, v in tcp.items() if v["state"] == "open")
assert got == [22, 80], tcp
print("python-nmap: version %s, open %s" % (ver, got))
PY
cat "$T/clients.out"
t_pass "python3-libnmap NmapProcess: progress and report"
t_pass "python3-nmap PortScanner: -V accepted, open ports equal the ground truth"
