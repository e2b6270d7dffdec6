#!/usr/bin/env bash
# -Pn on a local Ethernet link (issue 9, point 5). nmap(1), --disable-arp-ping:
# "Nmap normally does ARP or IPv6 ND discovery of locally connected ethernet
# hosts, even if other host discovery options such as -Pn or -PE are used."
# nmap 7.93 in this lab: a raw scan (-sS, -sU) with -Pn reports on-link hosts
# "arp-response" / "nd-response" with their MAC and leaves on-link hosts that
# do not answer ARP/ND down (counted, not listed); off-link targets stay
# "user-set" (no MAC); -sT -Pn, even as root, and --disable-arp-ping mark
# every target user-set (--disable-arp-ping -sS still names the MAC of an
# on-link host that answered, from its frames; h4 and .9 get none). The lab: a switched segment with the target (port
# 80 listening), h3 (nothing listening), h4 (drops all IP traffic but answers
# ARP/ND: arp-response, ports filtered), an absent address .9/::9, and a
# host behind a router (off-link). nmap and prtip scan the same list; host
# states and reasons, MACs, port states and the up/down counts must agree.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME compares prtip with nmap" >&2; exit 77; }
t_need nmap
export LAB_SWITCH=1
t_lab_up
lab_add_host h3 198.18.0.3 fd00::3 || t_fail "could not add h3"
lab_add_host h4 198.18.0.4 fd00::4 || t_fail "could not add h4"
lab_nft "$LAB_HOST_NS" 'table inet prtip_lab {
    chain input { type filter hook input priority 0; policy accept;
        meta l4proto { tcp, udp, icmp } drop
        meta l4proto ipv6-icmp icmpv6 type echo-request drop
    }
}' || t_fail "could not load h4's ruleset"
lab_add_routed far 198.18.0.254 fd00::fe 198.18.1.0/24 fd00:1::/64 || t_fail "could not add the router"
FAR4="$LAB_FAR_V4" FAR6="$LAB_FAR_V6"
lab_listen "$LAB_TGT" "$T/listen.out" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports 80 ||
    t_fail "could not start the listener"
# nmap runs without -e (IPv6 targets): the scanner namespace must have no
# route out of the lab. Checked once: no step below adds a route.
lab_confined

# facts FILE: one line per listed host (address, state, reason, MAC or "-"),
# then the port lines and the run's up/down/total counts.
facts() {
    python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = []
for h in root.findall("host"):
    ip = mac = "-"
    for a in h.findall("address"):
        if a.get("addrtype") == "mac":
            mac = a.get("addr")
        else:
            ip = a.get("addr")
    st = h.find("status")
    out.append(f"host {ip} {st.get('state')} {st.get('reason')} {mac}")
    for p in h.findall("ports/port"):
        s = p.find("state")
        out.append(f"port {ip} {p.get('protocol')}/{p.get('portid')} {s.get('state')} {s.get('reason')}")
hs = root.find("runstats/hosts")
out.sort()
out.append(f"hosts up={hs.get('up')} down={hs.get('down')} total={hs.get('total')}")
print("\n".join(out))
PY
}

# compare NAME ARGS...: nmap and prtip with the same arguments. NOPORTS (an
# address) leaves that host's port lines out of the comparison.
compare() {
    local name="$1"
    shift
    timeout -k 5 60 ip netns exec "$LAB_SCAN" nmap -n --reason "$@" -oX "$T/$name.nmap.xml" \
        >"$T/$name.nmap.out" 2>&1 || t_fail "$name: nmap failed: $(cat "$T/$name.nmap.out")"
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" -n --reason "$@" -oX "$T/$name.xml"
    t_xml_valid "$T/$name.xml"
    facts "$T/$name.nmap.xml" | grep -v "^port ${NOPORTS:-none} " >"$T/$name.want"
    facts "$T/$name.xml" | grep -v "^port ${NOPORTS:-none} " >"$T/$name.got"
    t_same "$name ($*)" "$T/$name.want" "$T/$name.got"
}

V4="$LAB_TGT_V4 198.18.0.3 198.18.0.4 198.18.0.9 $FAR4"
V6="$LAB_TGT_V6 fd00::3 fd00::4 fd00::9 $FAR6"
# shellcheck disable=SC2086 # the target lists are meant to split
{
    compare syn4 -sS -Pn -p 80,81 $V4
    compare syn6 -6 -sS -Pn -p 80,81 $V6
    compare udp4 -sU -Pn -p 81 $V4
    compare noarp4 -sS -Pn --disable-arp-ping -p 80,81 $V4
    # -sT to the absent address: the kernel's address resolution fails
    # after ~3 s with EHOSTUNREACH (host-unreach) or the connect times out
    # first (no-response), in nmap and prtip alike, whichever comes first
    # in that run: the port lines of that host are left out.
    NOPORTS=198.18.0.9 compare connect4 -sT -Pn -p 80,81 $V4
    NOPORTS=fd00::9 compare connect6 -6 -sT -Pn -p 80,81 $V6
}
# What the comparison rests on (so an nmap that changed would be noticed).
grep -qx "host $LAB_TGT_V4 up arp-response [0-9A-F:]*" "$T/syn4.got" ||
    t_fail "syn4: the target is not arp-response with a MAC"
grep -qx "host 198.18.0.4 up arp-response [0-9A-F:]*" "$T/syn4.got" ||
    t_fail "syn4: h4 (drops IP) is not arp-response"
grep -qx "host $FAR4 up user-set -" "$T/syn4.got" || t_fail "syn4: the off-link host is not user-set"
grep -q "198.18.0.9" "$T/syn4.got" && t_fail "syn4: the absent on-link address is listed"
grep -qx "hosts up=4 down=1 total=5" "$T/syn4.got" || t_fail "syn4: counts are not 4 up, 1 down"
grep -qx "host fd00::3 up nd-response [0-9A-F:]*" "$T/syn6.got" ||
    t_fail "syn6: h3 is not nd-response with a MAC"
grep -qx "host 198.18.0.3 up user-set [0-9A-F:]*" "$T/noarp4.got" ||
    t_fail "noarp4: --disable-arp-ping did not keep user-set (with the MAC of an answering host)"
grep -qx "host 198.18.0.4 up user-set -" "$T/noarp4.got" ||
    t_fail "noarp4: h4 never answered, yet has a MAC"
grep -qx "host 198.18.0.9 up user-set -" "$T/connect4.got" ||
    t_fail "connect4: -sT -Pn does not mark the absent host user-set"

echo "PASS: $T_NAME"
