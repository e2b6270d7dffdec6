#!/usr/bin/env bash
# A scan of a range that holds the scanner's own address (issue 10, point
# 1): probes to the scanner itself go through the loopback interface while
# the other hosts are reached on the link, so one route for the whole range
# (taken from its first address) lost every answer of one side. nmap
# reports the scanner's address up (localhost-response) with its ports
# answered over loopback, and every other host exactly. The lab is a
# switched segment: the scanner 198.18.0.1, the target 198.18.0.2 (port 80
# open) and one more host 198.18.0.3, scanned as 198.18.0.0/30 (the own
# address in the middle) and 198.18.0.1-3 (the own address first), with
# -sS, -sS -Pn, -sU, -sn and --disable-arp-ping, and IPv6 fd00::/126; then
# targets on two links of the scanner (a second veth, 198.18.2.0/24) with an
# own address on each and 127.0.0.1, which need a way out each, and a
# range (198.18.0-2.1-2) over both links and an unrouted subnet. nmap scans
# the same targets in the same lab, and the hosts (state, reason) and ports
# (state, reason) must be the same.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME compares prtip with nmap" >&2; exit 77; }
t_need nmap
export LAB_SWITCH=1
t_lab_up
lab_add_host h3 198.18.0.3 fd00::3 || t_fail "could not add the third host"
lab_add_link second lab1 198.18.2.1 198.18.2.2 fd00:2::1 fd00:2::2 ||
    t_fail "could not add the second link"
lab_listen "$LAB_TGT" "$T/listen.out" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports 80 ||
    t_fail "could not start the listener"

# nmap is run without -e here (with it nmap does not scan its own address
# through loopback): the scanner namespace must have no route out of the
# lab at all. Checked once: no step below adds a route.
lab_confined

# compare NAME ARGS...: prtip and nmap with the same arguments (-oX), the
# same hosts and ports, states and reasons.
compare() {
    local t0=$SECONDS
    local name="$1" what
    shift
    timeout -k 5 60 ip netns exec "$LAB_SCAN" nmap "$@" -oX "$T/$name.nmap.xml" \
        >"$T/$name.nmap.out" 2>&1 || t_fail "$name: nmap failed: $(cat "$T/$name.nmap.out")"
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" "$@" -oX "$T/$name.xml"
    t_xml_valid "$T/$name.xml"
    if grep -v 'no route to 198.18.1.1: skipping 2 addresses' "$T/$name.err" | grep -q warning; then
        t_fail "$name: prtip warned: $(cat "$T/$name.err")"
    fi
    for what in hostreasons reasons; do
        t_results xml "$T/$name.nmap.xml" --what "$what" >"$T/$name.$what.want"
        t_results xml "$T/$name.xml" --what "$what" >"$T/$name.$what.got"
        [ -s "$T/$name.$what.want" ] || [ "$what" = reasons ] ||
            t_fail "$name: nmap found nothing"
        t_same "$name $what ($*)" "$T/$name.$what.want" "$T/$name.$what.got"
    done
    t_log "$name: $((SECONDS - t0)) s"
}

compare syn -sS -n -p 22,80 198.18.0.0/30
grep -q '198.18.0.1 up localhost-response' "$T/syn.hostreasons.got" ||
    t_fail "syn: the scanner's own address is not up by localhost-response"
grep -q '198.18.0.2 tcp 80 open syn-ack' "$T/syn.reasons.got" || t_fail "syn: 198.18.0.2:80 not open"
compare syn_first -sS -n -p 22,80 198.18.0.1-3
compare syn_pn -sS -Pn --disable-arp-ping -n -p 22,80 --max-retries 1 198.18.0.0/30
compare udp -sU -n -p 53 198.18.0.0/30
compare ping -sn -n 198.18.0.0/30
compare ping_ip -sn -n --disable-arp-ping 198.18.0.0/30
compare syn6 -6 -sS -n -p 22,80 fd00::/126
compare ping6 -6 -sn -n fd00::/126
# Targets on two links, our own address on each, and 127.0.0.1: every
# group of targets leaves by its own route.
LINKS=(198.18.0.2 198.18.2.2 198.18.0.1 198.18.2.1 127.0.0.1)
compare links -sS -n -p 22,80 "${LINKS[@]}"
grep -q '198.18.2.2 tcp 80 closed reset' "$T/links.reasons.got" || t_fail "links: 198.18.2.2 not scanned"
compare links_udp -sU -n -p 53 "${LINKS[@]}"
compare links_ping -sn -n --disable-arp-ping "${LINKS[@]}"
compare links6 -6 -sS -n -p 22,80 fd00::2 fd00:2::2 fd00:2::1 ::1
# One range over both links and an unrouted part (198.18.1.0/24): its ends
# differ, so each address gets its own route; the unrouted ones are
# skipped as nmap skips them ("failed to determine route").
compare mixed -sS -Pn --disable-arp-ping -n -p 22,80 198.18.0-2.1-2
grep -q '198.18.2.2 tcp 22 closed reset' "$T/mixed.reasons.got" || t_fail "mixed: 198.18.2.2 not scanned"
# The link's broadcast address in a range: probed (filtered) as nmap does,
# not a send error that stopped the scan (EACCES without SO_BROADCAST).
compare bcast -sS -Pn --disable-arp-ping -n -p 22 --max-retries 1 198.18.0.253-255

echo "PASS: $T_NAME"
