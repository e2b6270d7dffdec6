#!/usr/bin/env bash
# Host discovery (-sn with each probe type, and the port scan of up hosts
# only) on a switched lab segment with four targets, IPv4 and IPv6:
#   A  198.18.0.2 fd00::2  the lab target: answers everything
#   B  198.18.0.3 fd00::3  drops ICMP both ways (not ND): answers TCP only
#   C  198.18.0.4 fd00::4  drops all IP (not ND): up for ARP/ND only
#   D  198.18.0.5 fd00::5  nobody
# plus a routed range (AnyIP in A behind 198.18.0.2) that ARP cannot reach.
# The expected up sets, reasons, TTLs and MAC presence are nmap 7.93's in
# this lab (run this script with /usr/bin/nmap to see them again): ARP/ND
# is used for on-link targets whatever -P probes are given, until
# --disable-arp-ping; Linux answers no address-mask request.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_need python3 nft xmllint
export LAB_SWITCH=1
t_lab_up
lab_add_host b 198.18.0.3 fd00::3 || t_fail "lab_add_host b"
NS_B="$LAB_HOST_NS"
lab_add_host c 198.18.0.4 fd00::4 || t_fail "lab_add_host c"
NS_C="$LAB_HOST_NS"
lab_nft "$NS_B" '
table inet prtip_lab {
    chain in {
        type filter hook input priority 0;
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
        meta l4proto { icmp, ipv6-icmp } drop
    }
    chain out {
        type filter hook output priority 0;
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
        meta l4proto { icmp, ipv6-icmp } drop
    }
}' || t_fail "nft in B"
lab_nft "$NS_C" '
table inet prtip_lab {
    chain in {
        type filter hook input priority 0;
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
        drop
    }
    chain out {
        type filter hook output priority 0;
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
        drop
    }
}' || t_fail "nft in C"
lab_anyip "$LAB_TGT" 198.19.0.0/30 || t_fail "AnyIP range in A"

V4=(198.18.0.2 198.18.0.3 198.18.0.4 198.18.0.5)
V6=(fd00::2 fd00::3 fd00::4 fd00::5)

# One line per host of an XML file: "ADDR STATE REASON TTL mac|-".
facts() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for h in root.findall("host"):
    st = h.find("status")
    ip = [a for a in h.findall("address") if a.get("addrtype") != "mac"][0].get("addr")
    mac = any(a.get("addrtype") == "mac" for a in h.findall("address"))
    ports = len(h.findall("ports/port"))
    print(ip, st.get("state"), st.get("reason"), st.get("reason_ttl"), "mac" if mac else "-",
          *(["ports=%d" % ports] if ports else []))
hs = root.find("runstats/hosts")
print("up=%s down=%s total=%s" % (hs.get("up"), hs.get("down"), hs.get("total")))
PY
}

# case NAME "OPTIONS" EXPECTED-LINES... : -sn -n -v OPTIONS over the targets.
N=0
case_sn() {
    local name="$1" opts="$2"
    shift 2
    local fam=("${V4[@]}")
    case " $opts " in *" -6 "*) fam=("${V6[@]}") ;; esac
    case " $opts " in *" routed "*) fam=(198.19.0.1 198.19.0.2) opts="${opts/routed/}" ;; esac
    # shellcheck disable=SC2086
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" -sn -n -v -T4 $opts -oX "$T/$name.xml" \
        -oG "$T/$name.gnmap" "${fam[@]}"
    t_xml_valid "$T/$name.xml"
    printf '%s\n' "$@" >"$T/$name.expected"
    facts "$T/$name.xml" >"$T/$name.got"
    t_same "$name: -sn $opts" "$T/$name.expected" "$T/$name.got"
    # Greppable agrees on the up set.
    grep -c $'\tStatus: Up$' "$T/$name.gnmap" >"$T/$name.gup" || true
    grep -c ' up ' "$T/$name.expected" >"$T/$name.eup" || true
    t_same "$name: greppable Status: Up count" "$T/$name.eup" "$T/$name.gup"
    N=$((N + 1))
}

A4=198.18.0.2 B4=198.18.0.3 C4=198.18.0.4 D4=198.18.0.5
ARP_ALL=("$A4 up arp-response 0 mac" "$B4 up arp-response 0 mac" "$C4 up arp-response 0 mac"
    "$D4 down no-response 0 -" "up=3 down=1 total=4")
case_sn v4-default "" "${ARP_ALL[@]}"
case_sn v4-PR "-PR" "${ARP_ALL[@]}"
case_sn v4-PE-arp "-PE" "${ARP_ALL[@]}"
case_sn v4-PE "-PE --disable-arp-ping" "$A4 up echo-reply 64 mac" "$B4 down no-response 0 -" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=1 down=3 total=4"
case_sn v4-PP "-PP --disable-arp-ping" "$A4 up timestamp-reply 64 mac" \
    "$B4 down no-response 0 -" "$C4 down no-response 0 -" "$D4 down no-response 0 -" \
    "up=1 down=3 total=4"
case_sn v4-PM "-PM --disable-arp-ping" "$A4 down no-response 0 -" "$B4 down no-response 0 -" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=0 down=4 total=4"
case_sn v4-PS443 "-PS443 --disable-arp-ping" "$A4 up reset 64 mac" "$B4 up reset 64 mac" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=2 down=2 total=4"
case_sn v4-PA80 "-PA80 --disable-arp-ping" "$A4 up reset 64 mac" "$B4 up reset 64 mac" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=2 down=2 total=4"
case_sn v4-PU "-PU --disable-arp-ping" "$A4 up port-unreach 64 mac" "$B4 down no-response 0 -" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=1 down=3 total=4"
case_sn v4-noarp "--disable-arp-ping" "$A4 up echo-reply 64 mac" "$B4 up reset 64 mac" \
    "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=2 down=2 total=4"

ND_ALL=("fd00::2 up nd-response 0 mac" "fd00::3 up nd-response 0 mac"
    "fd00::4 up nd-response 0 mac" "fd00::5 down no-response 0 -" "up=3 down=1 total=4")
case_sn v6-default "-6" "${ND_ALL[@]}"
case_sn v6-PE "-6 -PE --disable-arp-ping" "fd00::2 up echo-reply 64 mac" \
    "fd00::3 down no-response 0 -" "fd00::4 down no-response 0 -" \
    "fd00::5 down no-response 0 -" "up=1 down=3 total=4"
case_sn v6-PS443 "-6 -PS443 --disable-arp-ping" "fd00::2 up reset 64 mac" \
    "fd00::3 up reset 64 mac" "fd00::4 down no-response 0 -" "fd00::5 down no-response 0 -" \
    "up=2 down=2 total=4"
case_sn v6-noarp "-6 --disable-arp-ping" "fd00::2 up echo-reply 64 mac" \
    "fd00::3 up reset 64 mac" "fd00::4 down no-response 0 -" "fd00::5 down no-response 0 -" \
    "up=2 down=2 total=4"
case_sn v6-PU "-6 -PU --disable-arp-ping" "fd00::2 up port-unreach 64 mac" \
    "fd00::3 down no-response 0 -" "fd00::4 down no-response 0 -" \
    "fd00::5 down no-response 0 -" "up=1 down=3 total=4"

# Behind a router (here: A's AnyIP range): no ARP, nmap's default IP probes.
case_sn routed "routed" "198.19.0.1 up echo-reply 64 -" "198.19.0.2 up echo-reply 64 -" \
    "up=2 down=0 total=2"

# Normal output of a ping scan, as nmap's: no blank line between hosts, the
# MAC after the status line, down hosts with -v only.
t_scan_ok normal ip netns exec "$LAB_SCAN" -sn -n "${V4[@]}"
grep -vE '^(Starting|Nmap done|prtip done)|Nmap scan report for|prtip scan report for' \
    "$T/normal.out" | sed -E 's/\([0-9.]+s latency\)/(LAT)/; s/MAC Address: .*/MAC/' \
    >"$T/normal.got"
printf '%s\n' "Host is up (LAT)." MAC "Host is up (LAT)." MAC "Host is up (LAT)." MAC \
    >"$T/normal.expected"
t_same "-sn normal output lines" "$T/normal.expected" "$T/normal.got"

# Port scan after discovery: only the up hosts are scanned; they keep the
# discovery's reason and MAC (C is up by ARP, its ports are filtered).
t_scan_ok ports ip netns exec "$LAB_SCAN" -sS -n -v -T4 --max-retries 1 -p 80,81 \
    -oX "$T/ports.xml" "${V4[@]}"
t_xml_valid "$T/ports.xml"
facts "$T/ports.xml" | sort >"$T/ports.got"
printf '%s\n' "$A4 up arp-response 0 mac ports=2" "$B4 up arp-response 0 mac ports=2" \
    "$C4 up arp-response 0 mac ports=2" "$D4 down no-response 0 -" "up=3 down=1 total=4" |
    sort >"$T/ports.expected"
t_same "port scan of the up hosts" "$T/ports.expected" "$T/ports.got"

# ---- without privileges (nmap 7.93 as nobody, checked with setpriv) ----
# Explicit -PS/-PA become a connect() ping to those ports (a warning says
# so); -PE/-PP/-PM fall back to it too (port 80 unless -PS/-PA name ports);
# -PU is refused (needs raw sockets: exit 2, one line on stderr); -PR alone
# is nmap's default unprivileged ping (80 and 443). Up hosts answered the
# connect (syn-ack) or refused it (conn-refused); no MAC without raw sockets.
if command -v setpriv >/dev/null; then
    NP="$T/np"
    mkdir -m 777 "$NP"
    chmod 755 "$T"
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all)
    # np NAME OPTIONS...: unprivileged run in the scanner namespace.
    np() {
        local name="$1" rc=0
        shift
        timeout -k 5 60 ip netns exec "$LAB_SCAN" "${AS[@]}" "$BIN" "$@" >"$NP/$name.out" \
            2>"$NP/$name.err" || rc=$?
        echo "$rc" >"$NP/$name.rc"
    }
    # WARN is "PRTIP/NMAP": warning lines on stderr (nmap does not warn
    # about -PS/-PA becoming connect pings; prtip does, once).
    np_sn() { # NAME "OPTIONS" WARN EXPECTED-LINES...
        local name="$1" opts="$2" warn="${3%/*}"
        [ "$IS_PRTIP" = 1 ] || warn="${3#*/}"
        shift 3
        # shellcheck disable=SC2086
        np "$name" -sn -n -v -T4 $opts -oX "$NP/$name.xml" "${V4[@]}"
        [ "$(cat "$NP/$name.rc")" = 0 ] ||
            t_fail "$name: unprivileged -sn $opts exited $(cat "$NP/$name.rc"): $(head -n 3 "$NP/$name.err")"
        t_xml_valid "$NP/$name.xml"
        printf '%s\n' "$@" >"$NP/$name.expected"
        facts "$NP/$name.xml" >"$NP/$name.got"
        t_same "$name: unprivileged -sn $opts" "$NP/$name.expected" "$NP/$name.got"
        local nwarn
        nwarn="$(grep -ci 'warning' "$NP/$name.err" || true)"
        [ "$nwarn" = "$warn" ] || t_fail "$name: $nwarn warning lines, want $warn: $(cat "$NP/$name.err")"
    }
    NP_UP=("$A4 up conn-refused 0 -" "$B4 up conn-refused 0 -" "$C4 down no-response 0 -"
        "$D4 down no-response 0 -" "up=2 down=2 total=4")
    np_sn np-PS80 "-PS80" 1/0 "${NP_UP[@]}"
    np_sn np-PA80 "-PA80" 1/0 "${NP_UP[@]}"
    np_sn np-PE "-PE" 1/1 "${NP_UP[@]}"
    np_sn np-PP-PU "-PP -PU" 1/1 "${NP_UP[@]}"
    np_sn np-PR "-PR" 0/0 "${NP_UP[@]}"
    # A port that is closed nowhere reached: only the listed ports are pinged.
    np_sn np-PS9-PA81 "-PS9 -PA81" 1/0 "${NP_UP[@]}"
    # nmap quits with exit 1 and two lines; prtip exits 2, as for every
    # missing privilege, with one.
    for o in "-PU" "-PS80 -PU53"; do
        # shellcheck disable=SC2086
        np pu -sn -n $o "${V4[@]}"
        want=2 nlines=1
        [ "$IS_PRTIP" = 1 ] || want=1 nlines=2
        [ "$(cat "$NP/pu.rc")" = "$want" ] ||
            t_fail "unprivileged -sn $o: exit $(cat "$NP/pu.rc"), want $want"
        [ "$(wc -l <"$NP/pu.err")" = "$nlines" ] && grep -q -- '-PU.*root' "$NP/pu.err" ||
            t_fail "unprivileged -sn $o: want one line naming -PU and root, got: $(cat "$NP/pu.err")"
    done
    # Port scan after the connect ping: only up hosts, with the ping's reason.
    np np-ports -sT -n -v -T4 -PS80 -p 80,81 -oX "$NP/np-ports.xml" "${V4[@]}"
    [ "$(cat "$NP/np-ports.rc")" = 0 ] || t_fail "unprivileged -sT -PS80: $(head -n 3 "$NP/np-ports.err")"
    facts "$NP/np-ports.xml" | sort >"$NP/np-ports.got"
    printf '%s\n' "$A4 up conn-refused 0 - ports=2" "$B4 up conn-refused 0 - ports=2" \
        "$C4 down no-response 0 -" "$D4 down no-response 0 -" "up=2 down=2 total=4" |
        sort >"$NP/np-ports.expected"
    t_same "unprivileged port scan of the up hosts" "$NP/np-ports.expected" "$NP/np-ports.got"

    # --dry-run -sn prints discovery's probes (nothing is sent; unprivileged):
    # ARP for the on-link targets, the IP probes for the routed ones, one
    # line each in the raw engine's format.
    if [ "$IS_PRTIP" = 1 ]; then
        np dry -sn -n --dry-run -PE -PS22,443 -PA80 "$A4" "$D4" 198.19.0.1 198.19.0.2
        [ "$(cat "$NP/dry.rc")" = 0 ] || t_fail "-sn --dry-run: $(head -n 3 "$NP/dry.err")"
        grep '^probe ' "$NP/dry.out" | sort >"$NP/dry.got"
        {
            for a in "$A4" "$D4"; do echo "probe $a 0 arp arp shard 1/1"; done
            for a in 198.19.0.1 198.19.0.2; do
                echo "probe $a 0 icmp icmp_echo shard 1/1"
                echo "probe $a 22 tcp syn_ping shard 1/1"
                echo "probe $a 443 tcp syn_ping shard 1/1"
                echo "probe $a 80 tcp ack_ping shard 1/1"
            done
        } | sort >"$NP/dry.expected"
        t_same "-sn --dry-run discovery probes" "$NP/dry.expected" "$NP/dry.got"
    fi
else
    t_log "setpriv missing: unprivileged cases skipped"
fi

t_log "$N ping scans checked"
echo "PASS: $T_NAME"
