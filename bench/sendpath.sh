#!/usr/bin/env bash
# Send/receive path benchmark in the namespace lab (tests/lab): the machine's
# raw packet ceiling on a veth, each prtip send method against it, and
# whether each receive method counts every frame at known rates.
#
#   sudo bash bench/sendpath.sh [--no-write] [BUILD_DIR]     (default build)
#
# Environment: RUNS (3), SECS (5, length of a ceiling run), BATCH (1024,
# frames per tx_send call), RX_RATES ("100000 500000 0"; 0 = as fast as the
# sender goes), RX_SECS (2, seconds of traffic per receive check).
#
# 1. ceiling (bench/ceiling.c: bare AF_PACKET + PACKET_QDISC_BYPASS +
#    sendmmsg of prebuilt 58-byte SYNs, nothing of prtip) sends for SECS
#    seconds from the scanner namespace to 198.18.0.2 with varying ports;
#    then bench/sendpath.c pushes the same number of SYNs built by
#    pkt_template/pkt_patch through tx_send with each method. Runs are
#    interleaved (ceiling, raw, packet, ring; RUNS times) so that load from
#    other processes hits all of them alike; we report medians.
# 2. For each receive method, the target namespace sends SYN-ACKs at each
#    rate to the scanner namespace, where bench/sendpath.c counts what
#    rx_poll delivers (distinct, duplicates) and the kernel's drop counter.
# The markdown is printed and, unless --no-write, replaces the section
# between <!-- sendpath:begin --> and <!-- sendpath:end --> in
# docs/BENCHMARKS.md (appended if the markers are missing).
#
# SAFETY: every packet stays inside the lab's two namespaces (198.18.0.0/15),
# which are removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WRITE=1
BUILD=""
while [ $# -gt 0 ]; do
    case "$1" in
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) BUILD="$1"; shift ;;
    esac
done
BUILD="${BUILD:-$ROOT/build}"
RUNS="${RUNS:-3}"
SECS="${SECS:-5}"
BATCH="${BATCH:-1024}"
RX_RATES="${RX_RATES:-100000 500000 0}"
RX_SECS="${RX_SECS:-2}"
DOC="$ROOT/docs/BENCHMARKS.md"

die() { echo "bench/sendpath.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in gcc ip python3; do
    command -v "$tool" >/dev/null || die "'$tool' not installed"
done

W="$(mktemp -d /tmp/prtip-sendpath.XXXXXX)"
. "$ROOT/tests/lab/lib.sh"
LAB_ID_BENCH="sp$$"
cleanup() {
    lab_down "$LAB_ID_BENCH" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build: ceiling alone; sendpath against the build's library when there is
# one (the code the binary runs), else straight from the sources.
CFLAGS=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$ROOT/src")
gcc "${CFLAGS[@]}" -o "$W/ceiling" "$ROOT/bench/ceiling.c" || die "cannot build bench/ceiling.c"
LINKED="sources"
# shellcheck disable=SC2046
if [ -f "$BUILD/libprtip_core.a" ] && gcc "${CFLAGS[@]}" -o "$W/sendpath" \
    "$ROOT/bench/sendpath.c" "$BUILD/libprtip_core.a" \
    $(pkg-config --libs libpcap jansson libxml-2.0 2>/dev/null) -lpcap -lm 2>"$W/cc.err"; then
    LINKED="$BUILD/libprtip_core.a"
else
    gcc "${CFLAGS[@]}" -o "$W/sendpath" "$ROOT/bench/sendpath.c" "$ROOT/src/net/tx.c" \
        "$ROOT/src/net/rx.c" "$ROOT/src/net/rx_sock.c" "$ROOT/src/net/io_async.c" \
        "$ROOT/src/net/packet.c" "$ROOT/src/core/addr.c" -lpcap -lpthread ||
        die "cannot build bench/sendpath.c"
fi

# The libpcap trap, for comparison: the same receiver with libpcap's defaults
# (snaplen 64 KiB, 2 MiB buffer). On a veth with GSO/GRO libpcap sizes every
# ring slot for the snaplen, so the buffer holds a few dozen frames.
# RX_SNAPLEN lives in rx_internal.h: a patched copy in $W/inc comes first on
# the include path.
mkdir -p "$W/inc/net"
sed -e 's/^#define RX_SNAPLEN 256$/#define RX_SNAPLEN 65535/' \
    "$ROOT/src/net/rx_internal.h" >"$W/inc/net/rx_internal.h"
sed -e 's/^#define RX_PCAP_BUFFER (64 << 20)$/#define RX_PCAP_BUFFER (2 << 20)/' \
    "$ROOT/src/net/rx.c" >"$W/rx_defaults.c"
grep -q '^#define RX_SNAPLEN 65535$' "$W/inc/net/rx_internal.h" &&
    grep -q '^#define RX_PCAP_BUFFER (2 << 20)$' "$W/rx_defaults.c" ||
    die "could not patch the receiver's snaplen and buffer"
gcc -I"$W/inc" "${CFLAGS[@]}" -o "$W/sendpath_defaults" "$ROOT/bench/sendpath.c" "$ROOT/src/net/tx.c" \
    "$W/rx_defaults.c" "$ROOT/src/net/rx_sock.c" "$ROOT/src/net/io_async.c" "$ROOT/src/net/packet.c" \
    "$ROOT/src/core/addr.c" -lpcap -lpthread ||
    die "cannot build the libpcap-defaults variant"

lab_require
lab_up "$LAB_ID_BENCH" >/dev/null || die "cannot bring up the lab"
mac() { ip -n "$1" -br link show dev "$LAB_IF" | awk '{print $3}'; }
SCAN_MAC="$(mac "$LAB_SCAN")"
TGT_MAC="$(mac "$LAB_TGT")"
INS=(ip netns exec "$LAB_SCAN")
INT=(ip netns exec "$LAB_TGT")
# Resolve the target's MAC in the scanner's neighbour table before the raw
# method runs (one probe through the raw socket triggers ARP).
"${INS[@]}" "$W/sendpath" send --if "$LAB_IF" --method raw --src "$LAB_SCAN_V4" \
    --dst "$LAB_TGT_V4" --count 1 >/dev/null || die "lab: cannot send"
sleep 0.2

kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

echo "== send path: $RUNS rounds of ceiling ${SECS}s + raw, packet, ring (batch $BATCH)" >&2
: >"$W/send.tsv"
for run in $(seq 1 "$RUNS"); do
    line="$("${INS[@]}" "$W/ceiling" --if "$LAB_IF" --smac "$SCAN_MAC" --dmac "$TGT_MAC" \
        --src "$LAB_SCAN_V4" --dst "$LAB_TGT_V4" --secs "$SECS")"
    echo "  run $run ceiling: $line" >&2
    count="$(kv "$line" sent)"
    printf 'ceiling\t%s\t%s\t%s\n' "$(kv "$line" pps)" "$(kv "$line" cpu)" "$count" >>"$W/send.tsv"
    for m in raw packet ring; do
        line="$("${INS[@]}" "$W/sendpath" send --if "$LAB_IF" --method "$m" --src "$LAB_SCAN_V4" \
            --dst "$LAB_TGT_V4" --dmac "$TGT_MAC" --count "$count" --batch "$BATCH")" ||
            die "sendpath $m failed: $line"
        echo "  run $run $m: $line" >&2
        printf '%s\t%s\t%s\t%s\n' "$m" "$(kv "$line" pps)" "$(kv "$line" cpu)" \
            "$(kv "$line" sent)" >>"$W/send.tsv"
    done
done

echo "== receive path: SYN-ACKs from the target at ${RX_RATES// /, } pps (0 = max)" >&2
: >"$W/recv.tsv"
FILTER="tcp and src host $LAB_TGT_V4 and dst host $LAB_SCAN_V4"
seq_base=1000
for rm in ring pcap pcap-defaults; do
    rates="$RX_RATES"
    drv="$W/sendpath"
    method="$rm"
    if [ "$rm" = pcap-defaults ]; then rates=0; drv="$W/sendpath_defaults"; method=pcap; fi
    for rate in $rates; do
        if [ "$rate" -eq 0 ]; then n=$((800000 * RX_SECS)); else n=$((rate * RX_SECS)); fi
        seq_base=$((seq_base + n + 1000))
        "${INS[@]}" "$drv" recv --if "$LAB_IF" --method "$method" --filter "$FILTER" \
            --count "$n" --seq-base "$seq_base" --idle-ms 1000 --max-secs 60 >"$W/rx.out" 2>&1 &
        rpid=$!
        for _ in $(seq 1 50); do grep -qx ready "$W/rx.out" 2>/dev/null && break; sleep 0.1; done
        tx="$("${INT[@]}" "$W/sendpath" send --if "$LAB_IF" --method packet --flags synack \
            --src "$LAB_TGT_V4" --dst "$LAB_SCAN_V4" --dmac "$SCAN_MAC" --count "$n" \
            --seq-base "$seq_base" --rate "$rate" --batch 64)" || true
        wait "$rpid" || true
        rx="$(tail -n 1 "$W/rx.out")"
        echo "  $rm @ $rate: $tx | $rx" >&2
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rm" "$rate" "$(kv "$tx" sent)" "$(kv "$tx" pps)" \
            "$(kv "$rx" distinct)" "$(kv "$rx" dup)" "$(kv "$rx" drops)" >>"$W/recv.tsv"
    done
done

CPUS="$(nproc)"
MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
OS="$(. /etc/os-release && echo "$PRETTY_NAME")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$W/send.tsv" "$W/recv.tsv" "$RUNS" "$SECS" "$BATCH" "$CPUS" "$MODEL" "$(uname -r)" \
    "$OS" "$LOAD" "$LINKED" >"$W/section.md" <<'EOF'
import statistics as st, sys, datetime
send, recv, runs, secs, batch, cpus, model, kernel, osname, load, linked = sys.argv[1:]
rows = {}
for line in open(send):
    m, pps, cpu, n = line.split("\t")
    rows.setdefault(m, []).append((float(pps), float(cpu), int(n)))
med = {m: (st.median(p for p, _, _ in v), st.median(c for _, c, _ in v),
           min(p for p, _, _ in v), max(p for p, _, _ in v)) for m, v in rows.items()}
ceil = med["ceiling"][0]
names = {"ceiling": "ceiling (bare sendmmsg, bench/ceiling.c)",
         "raw": "`raw`: IPPROTO_RAW socket + sendmmsg",
         "packet": "`packet`: AF_PACKET + sendmmsg + QDISC_BYPASS",
         "ring": "`ring`: AF_PACKET TX ring (TPACKET_V2) + QDISC_BYPASS"}
print("### Send path: raw packet ceiling vs prtip's send methods (veth, namespace lab)\n")
print(f"SYN probes (58-byte frames: Ethernet, IPv4, TCP with MSS) from the scanner namespace to "
      f"198.18.0.2 over the lab's veth. The ceiling sends for {secs} s; each method then sends "
      f"the same number of frames through `tx_send` in batches of {batch}, built per probe with "
      f"`pkt_patch`. {runs} interleaved rounds; medians. CPU is the sender's user+system time as "
      f"% of one CPU (on veth it includes the target's receive path, which runs in the "
      f"sender's softirq); pps/CPU divides it out, so it is steadier when other work "
      f"competes for the CPUs.\n")
print("| method | median pps | min … max pps | % of ceiling | CPU % | pps per CPU-second |")
print("|---|---:|---:|---:|---:|---:|")
for m in ("ceiling", "packet", "ring", "raw"):
    if m not in med:
        continue
    p, c, lo, hi = med[m]
    eff = p / (c / 100) if c else 0
    print(f"| {names[m]} | {p:,.0f} | {lo:,.0f} … {hi:,.0f} | {100 * p / ceil:.0f}% | "
          f"{c:.0f} | {eff:,.0f} |")
best = max((m for m in med if m != "ceiling"), key=lambda m: med[m][0])
print(f"\n**Fastest method: `{best}`, {100 * med[best][0] / ceil:.0f}% of the ceiling** "
      f"(SPEC target ≥ 90%). `SEND_AUTO` uses `packet` on Ethernet links and `raw` on "
      f"loopback, where the kernel drops AF_PACKET-injected frames with a local source "
      f"address as martians.\n")
print("### Receive path: every frame counted?\n")
print(f"The target namespace sends SYN-ACKs (AF_PACKET sender, paced) to the scanner "
      f"namespace, where `rx_poll` counts the frames matching a scan-style filter "
      f"(`tcp and src host 198.18.0.2 and dst host 198.18.0.1`) by sequence number; the "
      f"kernel drop counter comes from `rx_stats` (PACKET_STATISTICS / pcap_stats). "
      f"Rate 0 = as fast as the sender goes.\n")
print("The last row is what `RECV_PCAP` avoids: with libpcap's default snaplen on a veth "
      "with GSO/GRO, libpcap sizes every ring slot for 64 KiB, so the buffer holds a few "
      "dozen frames and a burst of replies overflows it; `RECV_PCAP` asks for 256-byte "
      "frames and a 64 MiB buffer.\n")
print("| receiver | offered rate (pps) | sent | achieved send pps | received (distinct) | "
      "duplicates | kernel drops | received / sent |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for line in open(recv):
    rm, rate, sent, pps, got, dup, drops = (line.rstrip("\n").split("\t") + [""] * 7)[:7]
    sent_i = int(sent or 0)
    got_i = int(got or 0)
    ratio = f"{100 * got_i / sent_i:.2f}%" if sent_i else "n/a"
    rate_s = "max" if rate == "0" else f"{int(rate):,}"
    label = f"`{rm}`"
    if rm == "pcap-defaults":
        label = "`pcap` with libpcap's defaults (snaplen 64 KiB, 2 MiB buffer: the trap)"
    print(f"| {label} | {rate_s} | {sent_i:,} | {float(pps or 0):,.0f} | {got_i:,} | "
          f"{dup or '?'} | {drops or '?'} | {ratio} |")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"\nMachine: {cpus} CPUs ({model}), kernel {kernel}, {osname}; load average at the end "
      f"{load} (other work ran on the machine).  ")
print(f"sendpath linked with: {linked}.  ")
print(f"Measured: {now}. Rerun: `sudo bash bench/sendpath.sh [BUILD_DIR]`.")
EOF

cat "$W/section.md"
if [ "$WRITE" -eq 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" sendpath "$W/section.md"
    echo "bench/sendpath.sh: wrote $DOC" >&2
fi
