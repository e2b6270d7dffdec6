#!/usr/bin/env bash
# Parsers read prtip's files as nmap's (issue 9, point 6): the same lab
# target is scanned by nmap 7.93 and by prtip, and what python3-libnmap and
# Nmap::Parser report for the two XML files must be equal (hosts, status,
# ports with state, reason, reason_ttl and service, extraports with their
# reasons). The fields docs/OUTPUT.md lists as intentionally different
# (scanner identity, timings, the MAC nmap ARP-resolves under -Pn) are not
# in the dumps. The layouts parsers and people read are compared byte for
# byte too: the "Not shown" line (-oN), the greppable "Ports"/"Ignored State"
# fields (-oG) and the <extraports>/<extrareasons> elements (-oX).
#
# Target: tcp and udp 1-40 dropped (filtered / open|filtered, no-response),
# 41-70 rejected with ICMP admin-prohibited (filtered, admin-prohibited),
# the rest closed; a listener on tcp 100. Scans: -sS, -sT, -sU over IPv4,
# -sS over IPv6.
set -euo pipefail
. "$(dirname "$0")/../integration/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: run with prtip (it runs nmap itself)" >&2; exit 77; }
t_need_root
t_need nmap perl xsltproc
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import libnmap.parser' 2>/dev/null ||
    { echo "SKIP: needs python3-libnmap (scripts/install-deps.sh)" >&2; exit 77; }
perl -MNmap::Parser -e 1 2>/dev/null ||
    { echo "SKIP: needs libnmap-parser-perl (scripts/install-deps.sh)" >&2; exit 77; }
nmap --version | grep -q '^Nmap version 7\.93 ' ||
    { echo "SKIP: the layouts compared are nmap 7.93's" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
t_lab_up

lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        meta l4proto { tcp, udp } th dport 1-40 drop
        meta l4proto { tcp, udp } th dport 41-70 reject with icmpx type admin-prohibited
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports 100 ||
    t_fail "could not start the listener in $LAB_TGT"

NMAP="$(command -v nmap)"
run_both() { # NAME ARGS... : nmap and prtip with the same arguments
    local name="$1" who bin
    shift
    for who in nmap prtip; do
        if [ "$who" = nmap ]; then bin="$NMAP"; else bin="$BIN"; fi
        # nmap follows no routing table: refuse anything outside the lab.
        # lab_guard checks IPv4 command lines; an IPv6 target is checked alone.
        case "${*: -1}" in
        *:*) lab_check_addr "${*: -1}" || t_fail "target ${*: -1} is outside fd00::/8" ;;
        *) lab_guard -e "$LAB_IF" "$@" ;;
        esac
        # prtip refuses -e for -sT (the kernel routes a connect scan); nmap
        # gets it always, so lab_guard sees the lab veth.
        local dev=(-e "$LAB_IF")
        [ "$who" = prtip ] && [ "$1" = -sT ] && dev=()
        timeout -k 5 120 ip netns exec "$LAB_SCAN" "$bin" -n -Pn "${dev[@]}" --max-retries 1 "$@" \
            -oN "$T/$name.$who.nmap" -oG "$T/$name.$who.gnmap" -oX "$T/$name.$who.xml" \
            >"$T/$name.$who.out" 2>"$T/$name.$who.err" ||
            t_fail "$name: $who exited $?: $(head -c 500 "$T/$name.$who.err")"
    done
    t_xml_valid "$T/$name.prtip.xml"
}

compare() { # NAME
    local name="$1" who
    for who in nmap prtip; do
        /usr/bin/python3 "$HERE/dump_libnmap.py" "$T/$name.$who.xml" >"$T/$name.$who.libnmap" ||
            t_fail "$name: libnmap cannot read $who's XML"
        perl "$HERE/dump_nmap_parser.pl" "$T/$name.$who.xml" >"$T/$name.$who.nparser" ||
            t_fail "$name: Nmap::Parser cannot read $who's XML"
        grep -E '^(Not shown|All [0-9]+ scanned)' "$T/$name.$who.nmap" >"$T/$name.$who.notshown" || true
        grep -o 'Ports: .*' "$T/$name.$who.gnmap" >"$T/$name.$who.gports" || true
        grep -E '^<(extraports|extrareasons|/extraports)' "$T/$name.$who.xml" >"$T/$name.$who.extra" || true
    done
    t_same "$name: python3-libnmap's report" "$T/$name.nmap.libnmap" "$T/$name.prtip.libnmap"
    t_same "$name: Nmap::Parser's report" "$T/$name.nmap.nparser" "$T/$name.prtip.nparser"
    t_same "$name: the Not shown line (-oN)" "$T/$name.nmap.notshown" "$T/$name.prtip.notshown"
    t_same "$name: Ports and Ignored State (-oG)" "$T/$name.nmap.gports" "$T/$name.prtip.gports"
    t_same "$name: <extraports> and <extrareasons> (-oX)" "$T/$name.nmap.extra" "$T/$name.prtip.extra"
    [ -s "$T/$name.prtip.notshown" ] || t_fail "$name: no Not shown line: the lab did not group ports"
}

# Several states and reasons at once (filtered 70, closed 29).
run_both syn4 -sS -p 1-100 "$LAB_TGT_V4"
compare syn4
# Ties: 30 no-response and 30 admin-prohibited; closed and filtered 29 each.
run_both tie4 -sS -p 11-100 "$LAB_TGT_V4"
compare tie4
run_both eq4 -sS -p 12-40,71-100 "$LAB_TGT_V4"
compare eq4
# One hidden state: greppable "Ignored State".
run_both one4 -sS -p 1-40,100 "$LAB_TGT_V4"
compare one4
grep -q 'Ignored State: filtered (40)' "$T/one4.prtip.gnmap" || t_fail "one4: no Ignored State field"
run_both con4 -sT -p 1-100 "$LAB_TGT_V4"
compare con4
run_both udp4 -sU -p 1-100 "$LAB_TGT_V4"
compare udp4
run_both syn6 -6 -sS -p 1-100 "$LAB_TGT_V6"
compare syn6

# The stylesheet line lets xsltproc render prtip's file as nmap's.
xsltproc -o "$T/syn4.html" "$T/syn4.prtip.xml" 2>"$T/xslt.err" || t_fail "xsltproc: $(cat "$T/xslt.err")"
grep -q "$LAB_TGT_V4" "$T/syn4.html" || t_fail "xsltproc's HTML does not name the host"
t_pass "xsltproc renders prtip's XML with nmap.xsl"
