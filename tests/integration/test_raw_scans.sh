#!/usr/bin/env bash
# Raw TCP scans (-sS -sF -sN -sX -sA -sW -sM, --scanflags) in the namespace
# lab (tests/lab), over IPv4 (198.18.0.2) and IPv6 (fd00::2).
#
# The target namespace runs real listeners and an nftables ruleset; each port
# is one kind of answer:
#   open     22,80,443   listener                          (SYN -> SYN-ACK)
#   dropped  1000,1001,8080  nft drop (8080 also listens: the firewall wins)
#   reset    2000        nft "reject with tcp reset"       (RST, window 0)
#   closed   3000        nothing listens, no rule          (kernel RST, window 0)
#   adminx   4000        nft "reject with icmpx type admin-prohibited"
#   admin    4001        nft "reject with icmp type admin-prohibited" (v4),
#                        "reject with icmpv6 type admin-prohibited" (v6)
#
# Expected state / reason / reason_ttl per scan type are nmap 7.93's against
# a Linux target (nmap is the reference; this script passes with
# /usr/bin/nmap). Replies cross one veth from a namespace whose stack sends
# with TTL/hop limit 64, so reason_ttl is 64 for every answer and 0 for
# silence. Linux specifics: every RST has window 0 (so -sW says closed for
# open and closed ports alike), and Linux answers the Maimon probe (FIN|ACK)
# to a listening port with RST (the ACK is unacceptable), so -sM says closed
# for open ports; the silent ports of -sF/-sN/-sX/-sM are open|filtered.
# ICMP admin-prohibited (v4 type 3 code 13, v6 type 1 code 1) is filtered
# with reason admin-prohibited for every scan type.
#
# Every scan writes -oX (validated against nmap.dtd), and the exact set of
# "addr port state reason reason_ttl" lines, the <scaninfo> type (and
# scanflags) and the host's status are asserted; for prtip the -oJ ports must
# equal the XML ports.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

OPEN="22,80,443"
DROP="1000,1001,8080"
RESET="2000"
CLOSED="3000"
ADMINX="4000"
ADMIN="4001"
ALL="$OPEN,$DROP,$RESET,$CLOSED,$ADMINX,$ADMIN"

lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport { $DROP } drop
        tcp dport $RESET reject with tcp reset
        tcp dport $ADMINX reject with icmpx type admin-prohibited
        meta nfproto ipv4 tcp dport $ADMIN reject with icmp type admin-prohibited
        meta nfproto ipv6 tcp dport $ADMIN reject with icmpv6 type admin-prohibited
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports "$OPEN,8080" ||
    t_fail "could not start listeners in $LAB_TGT"

# Scan cases: name | options | scaninfo (type[,scanflags]) | answer for each port
# class as "state/reason/ttl": open dropped rst(reset+closed) admin(x).
ADM="filtered/admin-prohibited/64"
CASES=(
    "syn|-sS|syn|open/syn-ack/64|filtered/no-response/0|closed/reset/64|$ADM"
    "fin|-sF|fin|open:filtered/no-response/0|open:filtered/no-response/0|closed/reset/64|$ADM"
    "null|-sN|null|open:filtered/no-response/0|open:filtered/no-response/0|closed/reset/64|$ADM"
    "xmas|-sX|xmas|open:filtered/no-response/0|open:filtered/no-response/0|closed/reset/64|$ADM"
    "ack|-sA|ack|unfiltered/reset/64|filtered/no-response/0|unfiltered/reset/64|$ADM"
    "window|-sW|window|closed/reset/64|filtered/no-response/0|closed/reset/64|$ADM"
    "maimon|-sM|maimon|closed/reset/64|open:filtered/no-response/0|closed/reset/64|$ADM"
    # A FIN probe judged as an ACK scan: listeners ignore a bare FIN (silent,
    # hence filtered under ACK rules), closed ports still RST (unfiltered).
    "ackfin|-sA --scanflags FIN|ack,FIN|filtered/no-response/0|filtered/no-response/0|unfiltered/reset/64|$ADM"
)

# expand "a,b-c,..." -> one port a line (plain lists and ranges).
expand() {
    local part IFS=,
    for part in $1; do
        if [[ "$part" == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
    done
}

# xml_facts XML PREFIX: one python run writes PREFIX.ports (sorted "addr port
# proto state reason reason_ttl"), PREFIX.si (scaninfo "type[,scanflags]
# proto") and PREFIX.hosts ("addr state reason").
xml_facts() {
    python3 - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
pre = sys.argv[2]
with open(pre + ".si", "w") as f:
    for si in root.findall("scaninfo"):
        t = si.get("type")
        if si.get("scanflags"):
            t += "," + si.get("scanflags")
        f.write(f"{t} {si.get('protocol')}\n")
ports, hosts = [], []
for host in root.findall("host"):
    addr = next((a.get("addr") for a in host.findall("address")
                 if a.get("addrtype") in ("ipv4", "ipv6")), None)
    st = host.find("status")
    hosts.append(f"{addr} {st.get('state')} {st.get('reason')}\n")
    for p in host.findall("ports/port"):
        st = p.find("state")
        ports.append((addr, int(p.get("portid")),
                      f"{p.get('protocol')} {st.get('state')} {st.get('reason')} {st.get('reason_ttl')}"))
with open(pre + ".hosts", "w") as f:
    f.write("".join(hosts))
with open(pre + ".ports", "w") as f:
    f.write("".join(f"{a} {p} {rest}\n" for a, p, rest in sorted(ports)))
EOF
}

# expected ADDR OPEN DROPPED RST ADMIN -> the expected port lines
expected() {
    local a="$1" s_open="$2" s_drop="$3" s_rst="$4" s_adm="$5"
    line() { # PORTS state/reason/ttl
        local st rs ttl
        IFS=/ read -r st rs ttl <<<"$2"
        st="${st//:/|}"
        expand "$1" | while read -r p; do echo "$a $p tcp $st $rs $ttl"; done
    }
    {
        line "$OPEN" "$s_open"
        line "$DROP" "$s_drop"
        line "$RESET,$CLOSED" "$s_rst"
        line "$ADMINX,$ADMIN" "$s_adm"
    } | sort -k2,2n
}

TIMING=(-T4 --max-rtt-timeout 100ms)
run_case() {
    local fam="$1" addr="$2" spec="$3"
    local name opts info s_open s_drop s_rst s_adm
    IFS='|' read -r name opts info s_open s_drop s_rst s_adm <<<"$spec"
    local id="$fam-$name" famopt=()
    [ "$fam" = v6 ] && famopt=(-6)
    local out=(-oX "$T/$id.xml")
    [ "$IS_PRTIP" = 1 ] && out+=(-oJ "$T/$id.json")
    local t0=$EPOCHREALTIME
    # shellcheck disable=SC2086
    t_scan_ok "$id" ip netns exec "$LAB_SCAN" $opts "${famopt[@]}" -Pn -n --max-retries 1 \
        "${TIMING[@]}" -p "$ALL" "${out[@]}" "$addr"
    local secs t1=$EPOCHREALTIME
    secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
    t_xml_valid "$T/$id.xml"
    expected "$addr" "$s_open" "$s_drop" "$s_rst" "$s_adm" >"$T/$id.expected"
    xml_facts "$T/$id.xml" "$T/$id" || t_fail "$id: cannot read $T/$id.xml"
    t_same "$id ($opts) XML ports (addr port proto state reason reason_ttl), $secs s" \
        "$T/$id.expected" "$T/$id.ports"
    echo "${info} tcp" >"$T/$id.si.expected"
    t_same "$id scaninfo" "$T/$id.si.expected" "$T/$id.si"
    # -Pn: the host is up without discovery. nmap still resolves the target's
    # MAC on the local link and says so (arp-response / nd-response); the
    # reason "user-set" (-Pn) is as good.
    local nd=arp-response
    [ "$fam" = v6 ] && nd="nd-response"
    grep -qxE "$addr up (user-set|$nd)" "$T/$id.hosts" ||
        t_fail "$id: host status is '$(cat "$T/$id.hosts")', expected '$addr up user-set' (or $nd)"
    if [ "$IS_PRTIP" = 1 ]; then
        t_results xml "$T/$id.xml" >"$T/$id.xml.ports"
        t_results json "$T/$id.json" >"$T/$id.json.ports"
        t_same "$id JSON ports equal XML ports" "$T/$id.xml.ports" "$T/$id.json.ports"
    fi
}

START="$(date +%s)"
for spec in "${CASES[@]}"; do
    run_case v4 "$LAB_TGT_V4" "$spec"
    run_case v6 "$LAB_TGT_V6" "$spec"
done
ELAPSED=$(($(date +%s) - START))
t_log "all ${#CASES[@]} scan types x 2 families in ${ELAPSED} s"
[ "$ELAPSED" -lt 60 ] || t_fail "the raw scans took ${ELAPSED} s (budget 60 s)"

echo "PASS: $T_NAME"
