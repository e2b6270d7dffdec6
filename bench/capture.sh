#!/usr/bin/env bash
# --packet-capture's cost: the /17 x 3-port SYN scan at prtip's top rate,
# with and without a PCAPNG capture, runs interleaved (with, without, with,
# ...) so that drift of the machine hits both alike.
#
#   sudo bash bench/capture.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Target: 198.18.128.0/17 made local in the target namespace (AnyIP), a
# wildcard listener on 22 (open everywhere), 80 and 443 closed: 98,304
# probes, each answered. Per run: wall time (/usr/bin/time), probe rate =
# SYNs the target's nftables counted / wall time, ports found (-oG), and
# for the capture runs the frames in the file (capinfos) against the SYNs
# counted plus the replies the target sent. RUNS (5) runs of each; medians,
# min..max. Replaces the capture section of docs/BENCHMARKS.md unless
# --no-write.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
WRITE=1
PRTIP=""
for a in "$@"; do
    case "$a" in
    --no-write) WRITE=0 ;;
    *) PRTIP="$a" ;;
    esac
done
PRTIP="${PRTIP:-$ROOT/build/prtip}"
RUNS="${RUNS:-5}"
RANGE="198.18.128.0/17"
lab_require
command -v capinfos >/dev/null || { echo "capinfos (wireshark-common) needed" >&2; exit 1; }
W="$(mktemp -d /tmp/prtip-bench-capture.XXXXXX)"
ID="bc$$"
cleanup() { lab_down "$ID" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
lab_up "$ID" >/dev/null
lab_anyip "$LAB_TGT" "$RANGE"
lab_nft "$LAB_TGT" "
table inet bench_cap {
    counter syns { }
    counter replies { }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $RANGE tcp flags & (syn | ack) == syn counter name \"syns\"
    }
    chain out {
        type filter hook output priority 0; policy accept;
        ip saddr $RANGE tcp sport { 22, 80, 443 } counter name \"replies\"
    }
}"
lab_listen "$LAB_TGT" "$W/listen.out" --addr 0.0.0.0 --ports 22 --backlog 4096
count() { ip netns exec "$LAB_TGT" nft list counter inet bench_cap "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

for ((i = 1; i <= RUNS; i++)); do
    for mode in with without; do
        ip netns exec "$LAB_TGT" nft reset counters >/dev/null
        cap=()
        [ "$mode" = with ] && cap=(--packet-capture "$W/scan.pcapng")
        /usr/bin/time -f '%e' -o "$W/time" ip netns exec "$LAB_SCAN" "$PRTIP" -sS -Pn -n \
            --rate 100000000 --max-retries 1 -p 22,80,443 "${cap[@]}" -oG "$W/out.gnmap" "$RANGE" \
            >/dev/null 2>"$W/err"
        wall=$(cat "$W/time")
        syns=$(count syns)
        replies=$(count replies)
        found=$(grep -o '[0-9]*/open/' "$W/out.gnmap" | wc -l)
        frames=-
        if [ "$mode" = with ]; then
            frames=$(capinfos -M -c "$W/scan.pcapng" | sed -n 's/^Number of packets: *//p')
        fi
        echo "$mode $wall $syns $replies $found $frames" | tee -a "$W/rows" >&2
    done
done

python3 - "$W/rows" >"$W/section.md" <<'PY'
import statistics, subprocess, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(xs): return statistics.median(xs)
out = ["### Packet capture cost: /17 x 3 ports, SYN scan at top rate", "",
       "Command: `prtip -sS -Pn -n --rate 100000000 --max-retries 1 -p 22,80,443 198.18.128.0/17` "
       "with and without `--packet-capture FILE`, runs interleaved; 98,304 probes, all answered "
       "(22 open everywhere).", "",
       "| mode | runs | median wall (s) | min … max (s) | median rate (SYN/s) | open found | frames in file (median) | SYNs + replies (median) |",
       "|---|---:|---:|---:|---:|---:|---:|---:|"]
meds = {}
for mode in ("without", "with"):
    r = [x for x in rows if x[0] == mode]
    walls = [float(x[1]) for x in r]
    rates = [int(x[2]) / float(x[1]) for x in r]
    frames = [int(x[5]) for x in r if x[5] != "-"]
    total = [int(x[2]) + int(x[3]) for x in r]
    meds[mode] = med(walls)
    out.append(f"| {mode} capture | {len(r)} | {med(walls):.3f} | {min(walls):.3f} … {max(walls):.3f} | "
               f"{med(rates):,.0f} | {med([int(x[4]) for x in r]):.0f} | "
               f"{(f'{med(frames):,.0f}' if frames else '–')} | {med(total):,.0f} |")
spread = max(float(x[1]) for x in rows if x[0] == "without") - min(float(x[1]) for x in rows if x[0] == "without")
out += ["", f"Median wall with / without: {meds['with'] / meds['without']:.3f} "
        f"(difference {meds['with'] - meds['without']:+.3f} s; run-to-run spread without capture "
        f"{spread:.3f} s)."]
uname = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
out += ["", f"Machine: {cpus} CPUs, kernel {uname}. Measured: {date}."]
print("\n".join(out))
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/BENCHMARKS.md" capture "$W/section.md"
fi
