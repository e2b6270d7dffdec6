#!/usr/bin/env bash
# Progress reporting as nmap 7.93 prints it, for the connect engine (-sT)
# and the raw engine (-sS, -sU), against a slow lab target (nft drops all
# but 22/tcp and 80/tcp, so each scan lasts a few seconds):
#   - -v: "Initiating X Scan at HH:MM", "Scanning 198.18.0.2 [N ports]",
#     "Discovered open port 22/tcp on 198.18.0.2" as found, "Completed X
#     Scan at HH:MM, S.SSs elapsed (N total ports)" on stdout, none of them
#     in the -oN file (nmap writes them to stdout only);
#   - --stats-every 1s: nmap's pair "Stats: H:MM:SS elapsed; N hosts
#     completed (N up), N undergoing X Scan" / "X Scan Timing: About P% done;
#     ETC: HH:MM (H:MM:SS remaining)", and <taskbegin>, <taskprogress>,
#     <taskend> in -oX (valid against nmap.dtd);
#   - a key pressed on the terminal (through a pty) prints the Stats pair
#     without --stats-every; --noninteractive turns that off.
# Runs unchanged with /usr/bin/nmap as BIN (that is how the lines were taken).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up
NS="$LAB_SCAN"
lab_nft "$LAB_TGT" $'table inet f {\n chain in {\n type filter hook input priority 0;\n tcp dport != { 22, 80 } drop\n udp dport != 53 drop\n }\n}' ||
    t_fail "nft rules"
lab_listen "$LAB_TGT" "$T/listen.out" --addr "$LAB_TGT_V4" --ports 22,80 >/dev/null
TGT="$LAB_TGT_V4"

check() { # NAME TASK NPORTS OPEN...: the lines of one -v --stats-every scan
    local name="$1" task="$2" n="$3"
    shift 3
    local out="$T/$name.out"
    grep -Eq "^Initiating $task at [0-9]{2}:[0-9]{2}$" "$out" || t_fail "$name: no Initiating line"
    grep -qx "Scanning $TGT \[$n ports\]" "$out" || t_fail "$name: no Scanning line"
    grep -Eq "^Completed $task at [0-9]{2}:[0-9]{2}, [0-9]+\.[0-9]{2}s elapsed \($n total ports\)$" \
        "$out" || t_fail "$name: no Completed line"
    grep -Eq "^Stats: 0:00:0[0-9] elapsed; 0 hosts completed \(1 up\), 1 undergoing $task$" "$out" ||
        t_fail "$name: no Stats line"
    grep -Eq "^$task Timing: About [0-9]+\.[0-9]{2}% done; ETC: [0-9]{2}:[0-9]{2} \([0-9]:[0-9]{2}:[0-9]{2} remaining\)$" \
        "$out" || t_fail "$name: no Timing line"
    local p
    for p in "$@"; do
        grep -qx "Discovered open port $p on $TGT" "$out" || t_fail "$name: no Discovered $p"
    done
    # Initiating comes before the report, Completed before it too (nmap).
    local ln_c ln_r
    ln_c=$(grep -n "^Completed $task" "$out" | cut -d: -f1)
    ln_r=$(grep -n "scan report for" "$out" | head -1 | cut -d: -f1)
    [ "$ln_c" -lt "$ln_r" ] || t_fail "$name: Completed after the report"
    if grep -Eq "^(Initiating|Completed|Stats:|Discovered|Scanning)|Timing: About" "$T/$name.nmap"; then
        t_fail "$name: progress lines in the -oN file"
    fi
    t_xml_valid "$T/$name.xml"
    grep -q "<taskbegin task=\"$task\" time=\"[0-9]*\"/>" "$T/$name.xml" || t_fail "$name: no taskbegin"
    grep -Eq "<taskprogress task=\"$task\" time=\"[0-9]+\" percent=\"[0-9.]+\" remaining=\"[0-9]+\" etc=\"[0-9]+\"/>" \
        "$T/$name.xml" || t_fail "$name: no taskprogress"
    grep -q "<taskend task=\"$task\" time=\"[0-9]*\" extrainfo=\"$n total ports\"/>" "$T/$name.xml" ||
        t_fail "$name: no taskend"
    t_pass "$name: nmap's progress lines, task elements, nothing in -oN"
}

COMMON=(-n -Pn -v --stats-every 1s --max-retries 1 --max-rtt-timeout 200ms)
t_scan_ok st ip netns exec "$NS" -sT -p1-300 --scan-delay 10ms "${COMMON[@]}" -oX "$T/st.xml" -oN "$T/st.nmap" "$TGT"
check st "Connect Scan" 300 22/tcp 80/tcp
t_scan_ok ss ip netns exec "$NS" -sS -p1-300 --scan-delay 10ms "${COMMON[@]}" -oX "$T/ss.xml" -oN "$T/ss.nmap" "$TGT"
check ss "SYN Stealth Scan" 300 22/tcp 80/tcp
t_scan_ok su ip netns exec "$NS" -sU -p1-40 --scan-delay 50ms "${COMMON[@]}" -oX "$T/su.xml" -oN "$T/su.nmap" "$TGT"
check su "UDP Scan" 40

# A key press on the terminal, without --stats-every.
keyscan() { # NAME EXTRA-ARGS...: -sT scan on a pty, a space after 1 s
    local name="$1"
    shift
    timeout -k 5 60 python3 - "$T/$name.out" ip netns exec "$NS" "$BIN" -n -Pn -sT -p1-300 \
        --scan-delay 10ms --max-retries 1 "$@" "$TGT" <<'PY'
import os, pty, select, sys, time
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
data, t0, sent = b"", time.time(), False
while True:
    if not sent and time.time() - t0 > 1.0:
        os.write(fd, b" ")
        sent = True
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        data += d
os.waitpid(pid, 0)
open(out, "wb").write(data.replace(b"\r\n", b"\n"))
PY
}
keyscan key
grep -Eq "^Stats: 0:00:0[0-9] elapsed; 0 hosts completed \(1 up\), 1 undergoing Connect Scan$" "$T/key.out" ||
    { cat "$T/key.out" >&2; t_fail "a key press printed no Stats line"; }
grep -q "Connect Scan Timing: About" "$T/key.out" || t_fail "a key press printed no Timing line"
t_pass "a key press prints the Stats lines"
keyscan nokey --noninteractive
if grep -q "^Stats:" "$T/nokey.out"; then t_fail "--noninteractive still reads keys"; fi
grep -q "scan report for" "$T/nokey.out" || t_fail "--noninteractive scan printed no report"
t_pass "--noninteractive: a key press prints nothing"
