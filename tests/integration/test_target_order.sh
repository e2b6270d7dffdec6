#!/usr/bin/env bash
# Hosts are reported in target order, as nmap reports them, whatever order
# they finish in (issue 9, point 5). The lab target answers on two
# addresses: the first listed (198.18.0.2) drops its ports, so its scan
# waits out timeouts and retries; the second (198.18.0.3) resets every
# port and finishes at once. Both must come out first-listed first in
# every file format, for the connect engine (-sT) and the raw engine
# (-sS), up hosts and -v down hosts alike.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

SLOW="$LAB_TGT_V4"
FAST="${LAB_TGT_V4%.*}.3"
DEAD="${LAB_TGT_V4%.*}.4" # nobody: reported down with -v
ip -n "$LAB_TGT" addr add "$FAST/$LAB_V4_PLEN" dev lab0 || t_fail "cannot add $FAST to $LAB_TGT"
lab_nft "$LAB_TGT" "
table inet prtip_order {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $SLOW tcp dport 1-40 drop
    }
}" || t_fail "could not load the nftables ruleset"

# The addresses of FILE's hosts, in the order the file lists them.
order_xml() { grep -o '<address addr="[^"]*" addrtype="ipv4"' "$1" | cut -d'"' -f2 | tr '\n' ' '; }
order_gnmap() { grep -o '^Host: [0-9.]*' "$1" | cut -d' ' -f2 | uniq | tr '\n' ' '; }
order_normal() { grep -o 'scan report for [0-9.]*' "$1" | cut -d' ' -f4 | tr '\n' ' '; }

for scan in -sT -sS; do
    name="order${scan}"
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" "$scan" -n -p 1-40 --max-retries 1 \
        --max-rtt-timeout 300ms -v -oX "$T/$name.xml" -oG "$T/$name.gnmap" -oN "$T/$name.nmap" \
        "$SLOW" "$FAST" "$DEAD"
    want="$SLOW $FAST $DEAD "
    for fmt in xml gnmap normal; do
        case $fmt in
        xml) got=$(order_xml "$T/$name.xml") ;;
        gnmap) got=$(order_gnmap "$T/$name.gnmap") ;;
        normal) got=$(order_normal "$T/$name.nmap") ;;
        esac
        [ "$got" = "$want" ] || t_fail "$scan $fmt host order: got '$got', want '$want'"
    done
    # The slow host really finished last: its ports waited out their retries.
    grep -q "$SLOW.*filtered" "$T/$name.gnmap" || grep -q 'state="filtered"' "$T/$name.xml" ||
        t_fail "$scan: $SLOW's dropped ports were not filtered"
    t_pass "$scan: hosts in target order in XML, greppable and normal output"
done

echo "PASS: $T_NAME"
