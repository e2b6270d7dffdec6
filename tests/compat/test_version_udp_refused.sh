#!/usr/bin/env bash
# -sV on UDP ports that the port scan left open|filtered, then answered the
# version probes with ICMP port unreachable, against nmap 7.93 in the same
# test. A firewall in the lab target drops the port scan's empty datagrams
# only (UDP length 8), so the probes with payloads reach the kernel, which
# has no listener there:
#   9999  every version probe is refused;
#   9996  one probe is refused, the other dropped (it times out);
#   9998  everything is dropped (the probes time out).
# nmap 7.93 keeps the state open|filtered in all three (it never turns a
# port closed from its service scan) and names 9999 "tcpwrapped" (probed,
# conf 8), as it does when no probe applies at all (intensity 0, also on
# 9997, an open port that echoes every datagram); the other
# two keep their nmap-services name, printed without "?" since the port is
# not open. prtip must print the same rows and XML services.
set -euo pipefail
. "$(dirname "$0")/../integration/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: run with prtip (it runs nmap itself)" >&2; exit 77; }
t_need_root
t_need nmap nft
nmap --version | grep -q '^Nmap version 7\.93 ' ||
    { echo "SKIP: the answers compared are nmap 7.93's" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
t_lab_up
# nmap and prtip scan side by side from one address: without the kernel's
# ICMP rate limit (a burst of 6, then one a second) every probe that reaches
# the target is refused, whoever sends it first.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=0 || t_fail "sysctl"
lab_nft "$LAB_TGT" 'table inet prtip_lab {
    chain in {
        type filter hook input priority 0;
        udp dport { 9996, 9998, 9999 } udp length 8 drop
        udp dport 9998 drop
        udp dport 9996 udp length 38 drop
    }
}' || t_fail "nft rules"

# 9997: a service that answers every datagram (the port scan finds it open).
ip netns exec "$LAB_TGT" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9997))
while True:
    d, a = s.recvfrom(4096); s.sendto(b"zzzq", a)' "$LAB_TGT_V4" >/dev/null 2>&1 </dev/null &
for _ in $(seq 1 50); do
    [ -n "$(ip netns exec "$LAB_TGT" ss -Huln 'sport = :9997')" ] && break
    sleep 0.1
done

scan() { # WHO NAME ARGS...
    local who="$1" name="$2" bin="$BIN"
    shift 2
    [ "$who" = nmap ] && bin="$(command -v nmap)"
    lab_guard -e "$LAB_IF" "$@"
    timeout -k 5 60 ip netns exec "$LAB_SCAN" "$bin" -n -Pn -sU -sV -e "$LAB_IF" "$@" \
        -oN "$T/$name.$who.nmap" -oX "$T/$name.$who.xml" >"$T/$name.$who.out" 2>"$T/$name.$who.err"
}
# Intensity 1: RPCCheck (40-byte payload, UDP length 48) and
# DNSVersionBindReq (30 bytes, length 38), one after the other in nmap.
scan nmap mix --version-intensity 1 -p U:9996,9998,9999 "$LAB_TGT_V4" &
nmap_mix=$!
scan prtip mix --version-intensity 1 -p U:9996,9998,9999 "$LAB_TGT_V4" ||
    t_fail "prtip exited non-zero: $(head -c 300 "$T/mix.prtip.err")"
scan nmap none --version-intensity 0 -p U:9997,9999 "$LAB_TGT_V4" || t_fail "nmap (intensity 0)"
scan prtip none --version-intensity 0 -p U:9997,9999 "$LAB_TGT_V4" || t_fail "prtip (intensity 0)"
wait "$nmap_mix" || t_fail "nmap exited non-zero: $(head -c 300 "$T/mix.nmap.err")"

for run in mix none; do
    for who in nmap prtip; do
        python3 "$HERE/dump_services.py" "$T/$run.$who.xml" >"$T/$run.$who.svc"
        grep -E '^[0-9]+/udp ' "$T/$run.$who.nmap" >"$T/$run.$who.rows" || true
    done
    t_same "$run: per-port state and service (XML)" "$T/$run.nmap.svc" "$T/$run.prtip.svc"
    t_same "$run: normal output rows" "$T/$run.nmap.rows" "$T/$run.prtip.rows"
done
# The comparisons above pass only if the lab did what it is for.
grep -q '^9999/udp | open|filtered | name=tcpwrapped | .*method=probed | conf=8' "$T/mix.prtip.svc" ||
    t_fail "9999 (all refused) is not tcpwrapped: $(cat "$T/mix.prtip.svc")"
grep -q '^9996/udp | open|filtered | name=palace-5 | .*method=table' "$T/mix.prtip.svc" ||
    t_fail "9996 (refused and timed out): $(cat "$T/mix.prtip.svc")"
grep -q '^9997/udp | open | name=tcpwrapped ' "$T/none.prtip.svc" ||
    t_fail "9997 (open, no probe at intensity 0): $(cat "$T/none.prtip.svc")"
t_pass "UDP probes refused: nmap's tcpwrapped, state kept open|filtered"
