#!/usr/bin/env bash
# UDP scan (-sU) against a target whose ICMP allowance is already spent when
# the scan starts: the same closed ports scanned twice back to back, with the
# target kernel's DEFAULT ICMP rate limit (a burst of 6 port unreachables per
# source, then one a second). The first scan meets a full bucket and needs
# pacing for the 2 closed ports past the burst; the second starts with the
# bucket empty, so its passes see no port unreachable at all and only the
# search rounds of engine/raw_pace.h (known-up host that sent no ICMP error)
# find the closed ports. Both must give exact states. A third scan, of ports
# nftables drops on a -Pn host, checks that a host with no ICMP errors to
# give still finishes in bounded time (raw_pace.h: the passes, then at most
# ~3 s of search plus one back-off interval).
#
# Ports: 53 a python3 UDP echo (open), 1000 nft drop (open|filtered),
# 2000-2007 closed (8: 6 for the burst, 2 paced), 3000-3003 nft drop.
# nmap (as the scanner) is held to the same states only on the first run;
# on the second it may call closed ports open|filtered (counted, logged).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

OPEN="53"
DROP="1000"
CLOSED="2000-2007"
SILENT="3000-3003"

ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=1000 \
    net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50 ||
    t_fail "cannot restore the default ICMP rate limits in $LAB_TGT"
lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport { $DROP, $SILENT } drop
    }
}" || t_fail "could not load the nftables ruleset"

cat >"$T/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data or b"\0", peer)
PY
ip netns exec "$LAB_TGT" python3 "$T/udp_echo.py" 53 "$LAB_TGT_V4" >"$T/echo.log" 2>&1 &
for _ in $(seq 1 100); do
    [ "$(ip netns exec "$LAB_TGT" ss -Huln 'sport = :53' | wc -l)" -ge 1 ] && break
    sleep 0.1
done

expand() { python3 -c 'import sys
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    for p in range(int(a), int(b or a) + 1): print(p)' "$1"; }
lines() { expand "$1" | while read -r p; do echo "$LAB_TGT_V4 $p udp $2"; done; }
xml_ports() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for host in ET.parse(sys.argv[1]).getroot().findall("host"):
    addr = next(a.get("addr") for a in host.findall("address") if a.get("addrtype") == "ipv4")
    for p in sorted(host.findall("ports/port"), key=lambda p: int(p.get("portid"))):
        st = p.find("state")
        print(addr, p.get("portid"), p.get("protocol"), st.get("state"), st.get("reason"))
PY
}
secs_since() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$1" "$EPOCHREALTIME"; }

{
    lines "$OPEN" "open udp-response"
    lines "$DROP" "open|filtered no-response"
    lines "$CLOSED" "closed port-unreach"
} | sort -k2,2n >"$T/expected"

START=$EPOCHREALTIME
for run in first second; do
    t0=$EPOCHREALTIME
    t_scan_ok "$run" ip netns exec "$LAB_SCAN" -sU -Pn -n -p "U:$OPEN,$DROP,$CLOSED" \
        -oX "$T/$run.xml" "$LAB_TGT_V4"
    secs="$(secs_since "$t0")"
    t_xml_valid "$T/$run.xml"
    xml_ports "$T/$run.xml" >"$T/$run.got"
    if [ "$IS_PRTIP" = 0 ] && [ "$run" = second ]; then
        n="$(grep -c 'open|filtered' "$T/$run.got" || true)"
        t_log "nmap, second run: $n port(s) open|filtered (1 expected)"
        continue
    fi
    t_same "$run scan (ICMP bucket $([ $run = first ] && echo full || echo empty) at start), $secs s" \
        "$T/expected" "$T/$run.got"
done

# A -Pn host that drops every probed port: no ICMP error ever comes. The
# passes plus the bounded search; 12 s leaves room for a slow machine.
lines "$SILENT" "open|filtered no-response" | sort -k2,2n >"$T/silent.expected"
t0=$EPOCHREALTIME
t_scan_ok silent ip netns exec "$LAB_SCAN" -sU -Pn -n -p "U:$SILENT" -oX "$T/silent.xml" "$LAB_TGT_V4"
secs="$(secs_since "$t0")"
xml_ports "$T/silent.xml" >"$T/silent.got"
t_same "silent host (UDP dropped), $secs s" "$T/silent.expected" "$T/silent.got"
python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 12)' "$secs" ||
    t_fail "a host with no ICMP errors took $secs s (bound 12 s)"

ELAPSED="$(secs_since "$START")"
t_log "all scans in $ELAPSED s"
python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 60)' "$ELAPSED" ||
    t_fail "the scans took $ELAPSED s (budget 60 s)"
echo "PASS: $T_NAME"
