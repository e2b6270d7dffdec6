#!/usr/bin/env bash
# Connect scan (-sT) through a firewall, in the namespace lab (tests/lab).
#
# The target namespace runs listeners and an nftables ruleset:
#   open      listener, accepted                        -> open     syn-ack
#   dropped   DROP (listener or not)                    -> filtered no-response
#   reset     reject with tcp reset / no listener       -> closed   conn-refused
#   port-unr  reject with ICMP port unreachable         -> closed   conn-refused (ECONNREFUSED)
#   admin     reject with icmpx admin-prohibited        -> filtered host-unreach (v4: EHOSTUNREACH)
#                                                          filtered admin-prohibited (v6: EACCES)
#   hostunr   reject with icmpx host-unreachable        -> filtered host-unreach
#   noroute   reject with icmpx no-route                -> filtered net-unreach (ENETUNREACH)
# The reasons are nmap 7.93's for the errno the kernel reports; the scan runs
# over IPv4 (198.18.0.2) and IPv6 (fd00::2) with XML (validated), greppable and
# (prtip only) JSON, and asserts the exact sets. Then host discovery (no -Pn):
# a live target is up and an unused lab address (.99 / ::99) is down.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

OPEN="22,80,443"
DROP="1000-1002,8080"     # 8080 also has a listener: the firewall wins
RESET="2000,2001"
CLOSED="3000"             # nothing listens, no rule: the kernel's RST
PORTUNR="3500"
ADMIN="4000"
HOSTUNR="5000"
NOROUTE="6000"
ALL="$OPEN,$DROP,$RESET,$CLOSED,$PORTUNR,$ADMIN,$HOSTUNR,$NOROUTE"

lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport { $DROP } drop
        tcp dport { $RESET } reject with tcp reset
        tcp dport $PORTUNR reject with icmpx type port-unreachable
        tcp dport $ADMIN reject with icmpx type admin-prohibited
        tcp dport $HOSTUNR reject with icmpx type host-unreachable
        tcp dport $NOROUTE reject with icmpx type no-route
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports "$OPEN,8080" ||
    t_fail "could not start listeners in $LAB_TGT"

expand() { python3 -c 'import sys
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    for p in range(int(a), int(b or a) + 1): print(p)' "$1"; }

# expected ADDR V4|V6 -> sorted "addr tcp port state reason" lines
expected() {
    local a="$1" fam="$2" admin_reason
    if [ "$fam" = v4 ]; then admin_reason=host-unreach; else admin_reason=admin-prohibited; fi
    {
        expand "$OPEN" | sed "s/^/$a tcp /; s/\$/ open syn-ack/"
        expand "$DROP" | sed "s/^/$a tcp /; s/\$/ filtered no-response/"
        expand "$RESET,$CLOSED,$PORTUNR" | sed "s/^/$a tcp /; s/\$/ closed conn-refused/"
        expand "$ADMIN" | sed "s/^/$a tcp /; s/\$/ filtered $admin_reason/"
        expand "$HOSTUNR" | sed "s/^/$a tcp /; s/\$/ filtered host-unreach/"
        expand "$NOROUTE" | sed "s/^/$a tcp /; s/\$/ filtered net-unreach/"
    } | sort -k3,3n
}

scan_family() {
    local fam="$1" addr="$2"
    shift 2
    local out=(-oX "$T/$fam.xml" -oG "$T/$fam.gnmap")
    [ "$IS_PRTIP" = 1 ] && out+=(-oJ "$T/$fam.json")
    t_scan_ok "$fam" ip netns exec "$LAB_SCAN" -sT -Pn -n --max-retries 1 \
        "$@" -p "$ALL" "${out[@]}" "$addr"
    t_xml_valid "$T/$fam.xml"
    t_pass "$fam XML validates against nmap.dtd"
    expected "$addr" "$fam" >"$T/$fam.expected"
    t_results xml "$T/$fam.xml" >"$T/$fam.xml.ports"
    t_same "$fam XML ports (addr proto port state reason)" "$T/$fam.expected" "$T/$fam.xml.ports"
    awk '{ print $1, $2, $3, $4, "-" }' "$T/$fam.expected" >"$T/$fam.gexpected"
    t_results gnmap "$T/$fam.gnmap" >"$T/$fam.gnmap.ports"
    t_same "$fam greppable ports" "$T/$fam.gexpected" "$T/$fam.gnmap.ports"
    if [ "$IS_PRTIP" = 1 ]; then
        t_results json "$T/$fam.json" >"$T/$fam.json.ports"
        t_same "$fam JSON ports equal XML ports" "$T/$fam.xml.ports" "$T/$fam.json.ports"
    fi
}

scan_family v4 "$LAB_TGT_V4" --max-rtt-timeout 200ms
# IPv6 needs patience: over veth the SYN's ICMPv6 error is processed while
# connect() still holds the socket, and tcp_v6_err drops it (nstat
# TcpExtLockDroppedIcmps; the error only becomes "soft"). The kernel's own SYN
# retransmission after 1 s draws a second ICMPv6 error that does reach the
# socket, so the probe timeout must exceed 1 s for the ICMP reasons to show.
scan_family v6 "$LAB_TGT_V6" -6 --min-rtt-timeout 1200ms --max-rtt-timeout 1500ms

# --- host discovery: live target up, unused lab address down ----------------
discover() {
    local fam="$1" live="$2" dead="$3"
    shift 3
    local out=(-oX "$T/disc-$fam.xml")
    [ "$IS_PRTIP" = 1 ] && out+=(-oJ "$T/disc-$fam.json")
    t_scan_ok "disc-$fam" ip netns exec "$LAB_SCAN" -sT -n --max-retries 1 --max-rtt-timeout 200ms \
        "$@" -p 22 "${out[@]}" "$live" "$dead"
    t_xml_valid "$T/disc-$fam.xml"
    echo "up=1 down=1 total=2" >"$T/disc-$fam.rs.expected"
    t_results xml "$T/disc-$fam.xml" --what runstats >"$T/disc-$fam.rs"
    t_same "$fam discovery runstats" "$T/disc-$fam.rs.expected" "$T/disc-$fam.rs"
    if [ "$IS_PRTIP" = 1 ]; then
        t_results json "$T/disc-$fam.json" --what runstats >"$T/disc-$fam.jrs"
        t_same "$fam discovery JSON runstats" "$T/disc-$fam.rs.expected" "$T/disc-$fam.jrs"
    fi
    # The live host is listed as up with its open port; the dead one, if
    # listed at all (nmap lists down hosts only with -v), is down.
    t_results xml "$T/disc-$fam.xml" --what hosts >"$T/disc-$fam.hosts"
    grep -qx "$live up" "$T/disc-$fam.hosts" || t_fail "$fam discovery: $live not reported up: $(cat "$T/disc-$fam.hosts")"
    if grep -q "^$dead " "$T/disc-$fam.hosts"; then
        grep -qx "$dead down" "$T/disc-$fam.hosts" || t_fail "$fam discovery: $dead listed but not down"
    fi
    t_results xml "$T/disc-$fam.xml" | grep -qx "$live tcp 22 open syn-ack" ||
        t_fail "$fam discovery: port 22 of $live not open: $(t_results xml "$T/disc-$fam.xml")"
    t_pass "$fam discovery: $live up, $dead down"
}

discover v4 "$LAB_TGT_V4" "${LAB_TGT_V4%.*}.99"
discover v6 "$LAB_TGT_V6" "${LAB_TGT_V6%:*}:99" -6

echo "PASS: $T_NAME"
