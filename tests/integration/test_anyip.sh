#!/usr/bin/env bash
# SYN scan (-sS) of a whole range: 4,096 addresses x ports 22,80,443 per
# family, every address answering, with ground truth computed per address.
#
# The target namespace makes a whole prefix local (AnyIP: "ip route add local
# PREFIX dev lo") for 198.18.128.0/20 and fd00:1::/116; the scanner namespace
# routes both through the target (198.18.0.2 / fd00::2). With i = the low 12
# bits of an address (its index in the prefix), the target answers:
#
#   port 22   listener on 0.0.0.0 / ::       open
#             i & 15 == 5   nft drop          filtered (no-response)
#             i & 255 == 9  nft tcp reset     closed   (reset)
#   port 80   nothing listens                 closed   (reset)
#             i & 7 == 3    nft drop          filtered (no-response)
#   port 443  listeners on the 16 addresses i = 256*k + 77 only   open
#             others                          closed   (reset)
#             i & 31 == 17  nft reject with admin-prohibited  filtered
#
# The scan writes -oX (validated against nmap.dtd) and the exact set of
# (address, port, state) over all 12,288 probes per family must equal the
# ground truth (and the reason: syn-ack, reset, no-response,
# admin-prohibited); the per-port counts are printed and asserted too. Only the
# target's hosts are in the output (-Pn: every address is up).
#
# Options for both scanners: -sS -Pn -n -T4 --min-rate 5000 --max-retries 1
# (nmap 7.93 needs about 4 s per family here).
#
# The IPv4 range is scanned a second time with --sender-threads 3: the three
# senders split the shard between them (struct raw_sender), so the results
# must again equal the ground truth, and the target must see every probe
# once plus one retry of each silent one (an nftables counter of SYNs; a
# small slack for retries of replies lost on the way back). Then the sender
# pins itself to a CPU only when the scan may use more CPUs than it has
# senders, and lets go once most probes draw replies (taskset, -d log).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

V4_PREFIX="198.18.128.0/20"
V6_PREFIX="fd00:1::/116"
lab_anyip "$LAB_TGT" "$V4_PREFIX" || t_fail "could not make $V4_PREFIX local in $LAB_TGT"
lab_anyip "$LAB_TGT" "$V6_PREFIX" || t_fail "could not make $V6_PREFIX local in $LAB_TGT"
# Every admin-prohibited reject must be sent, even in bursts.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_msgs_burst=100000 >/dev/null 2>&1 || true

lab_nft "$LAB_TGT" "
table inet prtip_lab {
    counter syns {
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $V4_PREFIX tcp flags & (syn | ack) == syn counter name \"syns\"
    }
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $V4_PREFIX jump v4
        ip6 daddr $V6_PREFIX jump v6
    }
    chain v4 {
        tcp dport 22 ip daddr & 0.0.0.15 == 0.0.0.5 drop
        tcp dport 22 ip daddr & 0.0.0.255 == 0.0.0.9 reject with tcp reset
        tcp dport 80 ip daddr & 0.0.0.7 == 0.0.0.3 drop
        tcp dport 443 ip daddr & 0.0.0.31 == 0.0.0.17 reject with icmp type admin-prohibited
    }
    chain v6 {
        tcp dport 22 ip6 daddr & ::f == ::5 drop
        tcp dport 22 ip6 daddr & ::ff == ::9 reject with tcp reset
        tcp dport 80 ip6 daddr & ::7 == ::3 drop
        tcp dport 443 ip6 daddr & ::1f == ::11 reject with icmpv6 type admin-prohibited
    }
}" || t_fail "could not load the nftables ruleset"

# The 443 listeners: i = 256*k + 77 in each prefix.
addrs443() {
    python3 - "$1" <<'EOF'
import ipaddress, sys
net = ipaddress.ip_network(sys.argv[1])
for k in range(16):
    print(net.network_address + 256 * k + 77)
EOF
}
L443=()
for p in "$V4_PREFIX" "$V6_PREFIX"; do
    while read -r a; do L443+=(--addr "$a"); done < <(addrs443 "$p")
done
lab_listen "$LAB_TGT" "$T/listen22.txt" --addr 0.0.0.0 --addr :: --ports 22 ||
    t_fail "could not start the wildcard listener on port 22"
lab_listen "$LAB_TGT" "$T/listen443.txt" "${L443[@]}" --ports 443 ||
    t_fail "could not start the port-443 listeners"

# truth PREFIX N -> "addr port state reason" for the first N addresses of PREFIX
truth() {
    python3 - "$1" "$2" <<'EOF'
import ipaddress, sys
net = ipaddress.ip_network(sys.argv[1])
n = int(sys.argv[2])
for i in range(n):
    a = net.network_address + i
    OPEN, CLOSED, DROP = "open syn-ack", "closed reset", "filtered no-response"
    p22 = DROP if i & 15 == 5 else CLOSED if i & 255 == 9 else OPEN
    p80 = DROP if i & 7 == 3 else CLOSED
    p443 = ("filtered admin-prohibited" if i & 31 == 17
            else OPEN if i % 256 == 77 else CLOSED)
    for port, st in ((22, p22), (80, p80), (443, p443)):
        print(f"{a} {port} {st}")
EOF
}

# counts FILE -> "port state count" lines (from "addr port state reason" lines)
counts() { awk '{ n[$2 " " $3]++ } END { for (k in n) print k, n[k] }' "$1" | sort -k1,1n -k2,2; }

# scan_range NAME PREFIX [PRTIP OPTIONS...]
scan_range() {
    local fam="$1" prefix="$2"
    shift 2
    local target="$prefix" n=4096 famopt=()
    [[ "$prefix" == *:* ]] && famopt=(-6)
    local t0=$EPOCHREALTIME secs
    t_scan_ok "$fam" ip netns exec "$LAB_SCAN" -sS "${famopt[@]}" -Pn -n -T4 --min-rate 5000 \
        --max-retries 1 -p 22,80,443 "$@" -oX "$T/$fam.xml" "$target"
    secs="$(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$t0" "$EPOCHREALTIME")"
    t_log "$fam: $target x 3 ports in $secs s"
    t_xml_valid "$T/$fam.xml"
    truth "$prefix" "$n" | sort >"$T/$fam.truth"
    t_results xml "$T/$fam.xml" | awk '$2 == "tcp" { print $1, $3, $4, $5 }' | sort >"$T/$fam.got"
    counts "$T/$fam.truth" >"$T/$fam.truth.counts"
    counts "$T/$fam.got" >"$T/$fam.got.counts"
    t_log "$fam ground truth (port state count): $(paste -sd, "$T/$fam.truth.counts")"
    t_same "$fam $target per-port state counts (port state count)" "$T/$fam.truth.counts" "$T/$fam.got.counts"
    if ! diff "$T/$fam.truth" "$T/$fam.got" >"$T/$fam.diff"; then
        t_log "first differences (< truth, > scan):"
        head -n 20 "$T/$fam.diff" >&2
        t_fail "$fam: $(grep -c '^[<>]' "$T/$fam.diff") (address, port, state, reason) lines differ from the ground truth"
    fi
    t_pass "$fam: every one of $((n * 3)) (address, port) states and reasons equals the ground truth"
    # Every address of the range is reported up (-Pn), nothing else.
    local hosts
    hosts="$(t_results xml "$T/$fam.xml" --what hosts | awk '$2 == "up"' | wc -l)"
    [ "$hosts" -eq "$n" ] || t_fail "$fam: $hosts hosts up in the XML, expected $n"
    t_pass "$fam: $n hosts up"
}

syns() {
    ip netns exec "$LAB_TGT" nft list counter inet prtip_lab syns |
        awk '{ for (i = 1; i <= NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

START="$(date +%s)"
scan_range v4 "$V4_PREFIX"
scan_range v6 "$V6_PREFIX"
if [ "$IS_PRTIP" -eq 1 ]; then
    ip netns exec "$LAB_TGT" nft reset counter inet prtip_lab syns >/dev/null
    scan_range v4-3senders "$V4_PREFIX" --sender-threads 3
fi
ELAPSED=$(($(date +%s) - START))
t_log "the range scans took ${ELAPSED} s"
[ "$ELAPSED" -lt 90 ] || t_fail "the range scans took ${ELAPSED} s (budget 90 s)"
[ "$IS_PRTIP" -eq 1 ] || { echo "PASS: $T_NAME"; exit 0; }

# Probes: 12,288, plus one retry of each no-response one (the only kind left
# undecided by the first pass on a lossless link).
SILENT="$(grep -c 'no-response' "$T/v4.truth")"
WANT=$((4096 * 3 + SILENT))
GOT="$(syns)"
t_log "3 senders: $GOT SYNs at the target, expected $WANT (12,288 probes + $SILENT retries)"
[ "$GOT" -ge "$WANT" ] && [ "$GOT" -le $((WANT + 64)) ] ||
    t_fail "3 senders: the target saw $GOT SYNs, expected $WANT: probes sent twice or never"
t_pass "3 senders: every probe sent once, each silent one retried once"

# Pinning (raw_tx.c pin_sender): one sender with two CPUs allowed is pinned
# to one of them, and unpinned once most probes draw replies (here all of
# them do); with one CPU allowed (the receiver needs it too), never pinned.
pinlog() {
    ip netns exec "$LAB_SCAN" taskset -c "$1" "$BIN" -sS -Pn -n -p 1-8 -d -oG /dev/null \
        "$V4_PREFIX" 2>&1 | grep -E -o 'sender 0 (pinned to CPU [0-9]+|unpinned)' | sort -u || true
}
if [ "$(nproc)" -ge 2 ]; then
    P="$(pinlog 0,1 | paste -sd,)"
    [[ "$P" == "sender 0 pinned to CPU "[01]",sender 0 unpinned" ]] ||
        t_fail "two CPUs allowed, every probe answered: '$P', expected a pin to CPU 0 or 1, then an unpin"
    t_pass "two CPUs allowed: $P"
fi
P="$(pinlog 0)"
[ -z "$P" ] || t_fail "one CPU allowed: '$P', expected no pin"
t_pass "one CPU allowed: the sender is not pinned"

echo "PASS: $T_NAME"
