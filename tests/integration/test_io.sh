#!/usr/bin/env bash
# Packet I/O (src/net/io.h) in the namespace lab: every send method delivers
# every frame exactly once and every receive method sees each exactly once.
#
# For each receiver (ring, pcap) in the target namespace and each sender
# (raw, packet, ring, auto) in the scanner namespace: 10,000 distinct SYNs
# (sequence numbers S..S+9999) go from 198.18.0.1 to 198.18.0.2; the
# receiver must count exactly 10,000 distinct, no duplicates, nothing
# unexpected and zero kernel drops. The filter is plain "tcp", so the
# target's own RST answers (outgoing on its lab0) would show up as foreign
# frames if the receiver did not skip outgoing frames. Then the same over
# IPv6 (fd00::1 -> fd00::2) with one receiver, and on lo inside the target
# namespace (127.0.0.1), where the kernel loops back every frame as both
# outgoing and incoming.
#
# The driver is bench/sendpath.c, built here against the build's
# libprtip_core.a (next to the prtip binary), or from the sources when that
# library is missing.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_need gcc
t_lab_up

N=10000
DRV="$T/sendpath"
LIB="$(dirname "$BIN")/libprtip_core.a"
CFLAGS=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$SRC/src")
# shellcheck disable=SC2046
if ! { [ -f "$LIB" ] && gcc "${CFLAGS[@]}" -o "$DRV" "$SRC/bench/sendpath.c" "$LIB" \
    $(pkg-config --libs libpcap jansson libxml-2.0 2>/dev/null) -lpcap -lm 2>"$T/cc.err"; }; then
    t_log "linking against $LIB failed or it is missing; building from sources"
    gcc "${CFLAGS[@]}" -o "$DRV" "$SRC/bench/sendpath.c" "$SRC/src/net/tx.c" \
        "$SRC/src/net/rx.c" "$SRC/src/net/rx_sock.c" "$SRC/src/net/io_async.c" \
        "$SRC/src/net/packet.c" "$SRC/src/core/addr.c" "$SRC/src/net/capture.c" \
        "$SRC/src/net/trace.c" "$SRC/src/net/parse.c" -lpcap -lpthread 2>>"$T/cc.err" ||
        { cat "$T/cc.err" >&2; t_fail "cannot build bench/sendpath.c"; }
fi

mac() { ip -n "$1" -br link show dev "$2" | awk '{print $3}'; }
TGT_MAC="$(mac "$LAB_TGT" "$LAB_IF")"

# check NAME RX_NS RX_IF RX_METHOD TX_NS -- SEND-ARGS...: start the receiver,
# wait until it is ready, send, and check the receiver's verdict. FILTER is
# the receiver's BPF filter.
SEQ=100000
FILTER=tcp
check() {
    local name="$1" rns="$2" rif="$3" rm="$4" tns="$5"
    shift 6
    SEQ=$((SEQ + 2 * N))
    ip netns exec "$rns" "$DRV" recv --if "$rif" --method "$rm" --filter "$FILTER" --count "$N" \
        --seq-base "$SEQ" --idle-ms 1000 --max-secs 10 >"$T/$name.rx" 2>&1 &
    local rpid=$! _
    for _ in $(seq 1 50); do
        grep -qx ready "$T/$name.rx" 2>/dev/null && break
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.1
    done
    grep -qx ready "$T/$name.rx" || { cat "$T/$name.rx" >&2; t_fail "$name: receiver did not start"; }
    if ! ip netns exec "$tns" "$DRV" send --count "$N" --seq-base "$SEQ" "$@" >"$T/$name.tx" 2>&1; then
        kill "$rpid" 2>/dev/null || true
        cat "$T/$name.tx" >&2
        t_fail "$name: sender failed"
    fi
    wait "$rpid" || true
    local got
    got="$(tail -n 1 "$T/$name.rx")"
    case "$got" in
    *" received=$N distinct=$N dup=0 foreign=0 "*" drops=0") ;;
    *) t_log "sender: $(cat "$T/$name.tx")"; t_fail "$name: $got" ;;
    esac
    t_pass "$name: $N sent, $N received once each, 0 drops ($(awk '{print $4}' "$T/$name.tx"))"
}

# The raw-socket path resolves the neighbour itself; warm it up so that the
# first frames are not parked in the ARP/NDP queue (route.c resolves the next
# hop before a scan, too). One probe each, far from the checked sequences.
warm() {
    ip netns exec "$LAB_SCAN" "$DRV" send --if "$LAB_IF" --method raw --src "$1" --dst "$2" \
        --count 1 >/dev/null 2>&1 || t_fail "cannot send from $1 to $2"
}
warm "$LAB_SCAN_V4" "$LAB_TGT_V4"
warm "$LAB_SCAN_V6" "$LAB_TGT_V6"
sleep 0.2

for rm in ring pcap; do
    for sm in raw packet ring auto; do
        check "v4-$sm-to-$rm" "$LAB_TGT" "$LAB_IF" "$rm" "$LAB_SCAN" -- --if "$LAB_IF" \
            --method "$sm" --src "$LAB_SCAN_V4" --dst "$LAB_TGT_V4" --dmac "$TGT_MAC"
    done
done
for sm in raw packet ring; do
    check "v6-$sm-to-ring" "$LAB_TGT" "$LAB_IF" ring "$LAB_SCAN" -- --if "$LAB_IF" \
        --method "$sm" --src "$LAB_SCAN_V6" --dst "$LAB_TGT_V6" --dmac "$TGT_MAC"
done
# On lo the kernel's RSTs to the raw method's probes are real incoming frames:
# leave them out; the looped-back outgoing copies of our probes must be
# skipped by the receiver itself.
FILTER="tcp and tcp[tcpflags] & tcp-rst == 0"
for rm in ring pcap; do
    for sm in raw packet ring; do
        check "lo-$sm-to-$rm" "$LAB_TGT" lo "$rm" "$LAB_TGT" -- --if lo --method "$sm" \
            --src 127.0.0.1 --dst 127.0.0.1
    done
done
