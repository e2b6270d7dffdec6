#!/usr/bin/env bash
# The source of an ICMP error that decided a port (issue 9, point 5): when
# a router or firewall on the way answers instead of the target, nmap keeps
# its address and prints it ("admin-prohibited from 198.18.0.254 ttl 64",
# XML reason_ip). The lab: the scanner and a router on a switched segment,
# a host behind the router on its own subnet (198.18.1.2, fd00:1::2) with
# port 80 listening; the router's forward chain rejects tcp/22 with
# admin-prohibited and udp/53 with host-unreachable, so those errors come
# from the router (198.18.0.254, fd00::fe), while the host itself resets
# tcp/443 and sends port unreachable for udp/54 (no reason_ip there). nmap
# and prtip scan the same host; states, reasons and reason_ip (XML) must be
# the same, the REASON column of normal output too, and JSON and NDJSON
# carry reason_ip. -sT learns no address (nmap's connect scan has none
# either): no reason_ip there, as nmap.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME compares prtip with nmap" >&2; exit 77; }
t_need nmap
export LAB_SWITCH=1
t_lab_up
RV4=198.18.0.254 RV6=fd00::fe
lab_add_routed far "$RV4" "$RV6" 198.18.1.0/24 fd00:1::/64 || t_fail "could not add the router"
FAR4="$LAB_FAR_V4" FAR6="$LAB_FAR_V6"
lab_listen "$LAB_HOST_NS" "$T/listen.out" --addr "$FAR4" --addr "$FAR6" --ports 80 ||
    t_fail "could not start the listener"
ip netns exec "$LAB_ROUTER_NS" nft -f - <<'NFT' || t_fail "could not load the router's ruleset"
table inet prtip_lab {
    chain forward_filter {
        type filter hook forward priority 0; policy accept;
        tcp dport 22 reject with icmpx type admin-prohibited
        udp dport 53 reject with icmpx type host-unreachable
        udp dport 55 reject with icmpx type port-unreachable
    }
}
NFT

# nmap is run without -e (lab_guard wants -e and IPv4 targets only): the
# scanner namespace must have no route out of the lab at all. Checked once:
# no step below adds a route.
lab_confined

# compare NAME ARGS...: nmap and prtip, -oX and -oN; same reasons with
# reason_ip in XML, same port lines in normal output.
compare() {
    local name="$1"
    shift
    timeout -k 5 60 ip netns exec "$LAB_SCAN" nmap --reason "$@" -oX "$T/$name.nmap.xml" \
        -oN "$T/$name.nmap.txt" >"$T/$name.nmap.out" 2>&1 ||
        t_fail "$name: nmap failed: $(cat "$T/$name.nmap.out")"
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" --reason "$@" -oX "$T/$name.xml" \
        -oN "$T/$name.txt" -oJ "$T/$name.json" -oD "$T/$name.ndjson"
    t_xml_valid "$T/$name.xml"
    t_results xml "$T/$name.nmap.xml" --what reasons >"$T/$name.want"
    t_results xml "$T/$name.xml" --what reasons >"$T/$name.got"
    t_same "$name XML reasons ($*)" "$T/$name.want" "$T/$name.got"
    grep -E '^[0-9]+/(tcp|udp) ' "$T/$name.nmap.txt" >"$T/$name.lines.want"
    grep -E '^[0-9]+/(tcp|udp) ' "$T/$name.txt" >"$T/$name.lines.got"
    t_same "$name normal output port lines" "$T/$name.lines.want" "$T/$name.lines.got"
    # JSON and NDJSON: the same address where XML has one.
    t_results json "$T/$name.json" --what reasons >"$T/$name.json.got"
    t_same "$name JSON reasons" "$T/$name.want" "$T/$name.json.got"
    python3 - "$T/$name.ndjson" "$T/$name.want" <<'PY' || t_fail "$name: NDJSON reason_ip differs"
import json, sys
want = {}
for line in open(sys.argv[2]):
    addr, proto, port, state, reason, rip = line.split()
    want[(proto, int(port))] = None if rip == "-" else rip
got = {}
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if "port" in rec and isinstance(rec.get("data"), dict) and "status" in rec["data"]:
        got[(rec["proto"], rec["port"])] = rec["data"].get("reason_ip")
if got != want:
    sys.exit(f"NDJSON {got} != {want}")
PY
}

compare syn4 -sS -n -p 22,80,443 "$FAR4"
grep -qx "$FAR4 tcp 22 filtered admin-prohibited $RV4" "$T/syn4.got" ||
    t_fail "syn4: no admin-prohibited from $RV4 on 22/tcp"
grep -q "admin-prohibited from $RV4 ttl 64" "$T/syn4.txt" ||
    t_fail "syn4: normal output lacks 'admin-prohibited from $RV4 ttl 64'"
compare syn6 -6 -sS -n -p 22,80,443 "$FAR6"
grep -qx "$FAR6 tcp 22 filtered admin-prohibited $RV6" "$T/syn6.got" ||
    t_fail "syn6: no admin-prohibited from $RV6 on 22/tcp"
compare udp4 -sU -n -p 53,54 "$FAR4"
grep -qx "$FAR4 udp 53 filtered host-unreach $RV4" "$T/udp4.got" ||
    t_fail "udp4: no host-unreach from $RV4 on 53/udp"
compare udp6 -6 -sU -n -p 53,54 "$FAR6"
compare connect4 -sT -n -p 22,80,443 "$FAR4"
grep -qx "$FAR4 tcp 22 filtered host-unreach -" "$T/connect4.got" ||
    t_fail "connect4: 22/tcp is not host-unreach"
if grep -q " reason_ip=" "$T/connect4.xml"; then t_fail "connect4: -sT has no reason_ip in nmap"; fi

# Host discovery: a port unreachable from the router (udp/55) says nothing
# about the host behind it; nmap leaves the host down (no host line with a
# reason_ip). prtip too: same hosts and up/down counts.
for f in 4 6; do
    far="$FAR4" fam=
    [ "$f" = 6 ] && far="$FAR6" fam=-6
    # shellcheck disable=SC2086 # $fam is empty or one option
    timeout -k 5 60 ip netns exec "$LAB_SCAN" nmap $fam -n --reason -sn -PU55 "$far" \
        -oX "$T/ping$f.nmap.xml" >"$T/ping$f.nmap.out" 2>&1 || t_fail "ping$f: nmap failed"
    # shellcheck disable=SC2086
    t_scan_ok "ping$f" ip netns exec "$LAB_SCAN" $fam -n --reason -sn -PU55 "$far" -oX "$T/ping$f.xml"
    for w in hostreasons runstats; do
        t_results xml "$T/ping$f.nmap.xml" --what $w >"$T/ping$f.$w.want"
        t_results xml "$T/ping$f.xml" --what $w >"$T/ping$f.$w.got"
        t_same "ping$f -PU55 through a rejecting router: $w" "$T/ping$f.$w.want" "$T/ping$f.$w.got"
    done
    grep -qx "up=0 down=1 total=1" "$T/ping$f.runstats.got" || t_fail "ping$f: the host is not down"
done

echo "PASS: $T_NAME"
