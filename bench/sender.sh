#!/usr/bin/env bash
# prtip's scan sender against the machine's raw packet ceiling, in the
# namespace lab (tests/lab): how close does a whole SYN scan (permutation,
# target lookup, cookie, patch, token bucket, tx_send) come to a bare
# sendmmsg loop of prebuilt frames on the same veth? SPEC: >= 90%.
#
#   sudo bash bench/sender.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# The target namespace drops every IP packet in prerouting (nftables, before
# routing or any socket), after counting the SYNs, so nothing answers and the
# scanner's receive side stays idle: the figure is the sender's alone.
#   prtip    -sS -Pn -n -p 1-PORTS --rate 100000000 --max-retries 0 RANGE
#            (RANGE routed to the target namespace as AnyIP; default a /21
#            x 1000 ports = 2.0M probes, ~1 s of sending; RANGE=198.18.128.0/17
#            for the 32.8M probes of the issue's command, ~15 s a run)
#   ceiling  bench/ceiling.c: prebuilt 58-byte SYNs to the target through
#            AF_PACKET + PACKET_QDISC_BYPASS + sendmmsg, for CEIL_SECS
#            (default: as long as prtip's median send took)
# THREADS (default 1): sender threads on both sides, like with like:
# prtip --sender-threads THREADS against THREADS ceiling loops at once.
# Rate: frames received by the target's veth (rx_packets, read every
# millisecond in the target namespace) during the flood, from the first to
# the last millisecond with 64 or more arrivals (a lone ARP request that
# prtip sends while it sets up is not its sending rate); SYNs: the nftables counter. CPU: user+system time of the whole
# process (/usr/bin/time) over the sending time, in % of one CPU, and per
# packet. Steal: the share of CPU time the hypervisor took from this VM
# during the run (/proc/stat), the main source of noise on a shared VM.
# RUNS (11) rounds, each one prtip run and one ceiling run back to back, in
# alternating order. The headline is the median of the rounds' own ratios
# (prtip pps / ceiling pps of the same round): the machine's speed drifts
# by tens of percent between minutes here, and a ratio taken within a round
# cancels most of it, where a ratio of two medians does not. Each run
# starts after SETTLE (3) idle seconds: this VM's CPU slows down under
# sustained load (a host-side quota, seen as the second run of a
# back-to-back pair taking up to 50% longer, whichever tool it was), and
# an idle pause gives every run the same start.
#
# The markdown is printed and, unless --no-write, replaces the text between
# <!-- sender:begin --> and <!-- sender:end --> (sender-threadsN with
# THREADS=N) in docs/BENCHMARKS.md.
#
# SAFETY: every packet stays in the lab's two namespaces (198.18.0.0/15, no
# default route), which are removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
bench_args "$@"
RUNS="${RUNS:-11}"
SETTLE="${SETTLE:-3}"
RANGE="${RANGE:-198.18.128.0/21}"
PORTS="${PORTS:-1000}"
CEIL_SECS="${CEIL_SECS:-}"
THREADS="${THREADS:-${CEIL_THREADS:-1}}" # CEIL_THREADS: its name before prtip had threads
export THREADS
DOC="$ROOT/docs/BENCHMARKS.md"

die() { echo "bench/sender.sh: $*" >&2; exit 1; }
say() { echo "bench/sender.sh: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in gcc ip nft python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed"
done
[ -x "$PRTIP" ] || die "no prtip binary at $PRTIP (build first)"

. "$ROOT/tests/lab/lib.sh"
W="$(mktemp -d /tmp/prtip-sender.XXXXXX)"
LAB="snd$$"
cleanup() {
    lab_down "$LAB" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -pthread -o "$W/ceiling" "$ROOT/bench/ceiling.c" ||
    die "cannot build bench/ceiling.c"

lab_require
lab_check_addr "$RANGE" || die "RANGE $RANGE is outside the lab ranges"
lab_up "$LAB" >/dev/null || die "cannot bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "cannot route $RANGE to $LAB_TGT"
mac() { ip -n "$1" -o link show dev "$LAB_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
SCAN_MAC="$(mac "$LAB_SCAN")"
TGT_MAC="$(mac "$LAB_TGT")"
# Resolve the target's MAC in the scanner before nftables drops its ARP
# answers' IP siblings (ARP itself is not filtered), so every run starts alike.
ip netns exec "$LAB_SCAN" ping -c 1 -W 1 "$LAB_TGT_V4" >/dev/null 2>&1 || true
lab_nft "$LAB_TGT" "
table inet prtip_lab {
    counter syns {
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        tcp flags & (syn | ack) == syn counter name \"syns\" drop
        meta nfproto { ipv4, ipv6 } drop
    }
}" || die "cannot load the target's drop ruleset"

syns() {
    ip netns exec "$LAB_TGT" nft list counter inet prtip_lab syns |
        awk '{ for (i = 1; i <= NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# "steal total" jiffies of all CPUs so far (/proc/stat's cpu line).
cpu_ticks() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t; exit }' /proc/stat
}

# run ROUND NAME CMD...: one measured run in the scanner namespace; appends
# "name syns frames span_s cpu_s wall_s round steal_pct" to $W/runs.tsv.
run() {
    local round="$1" name="$2"
    shift 2
    local tag="$W/$name.$RANDOM" ticks0 ticks1
    # Idle first, before the sampler starts: a stray frame (IPv6 ND, MLD)
    # during the pause would otherwise count as the first arrival.
    sleep "$SETTLE"
    ip netns exec "$LAB_TGT" nft reset counter inet prtip_lab syns >/dev/null
    ip netns exec "$LAB_TGT" python3 "$ROOT/bench/sampler.py" sysfs \
        "/sys/class/net/$LAB_IF/statistics/rx_packets" \
        >"$tag.samples" &
    local spid=$! _
    for _ in $(seq 1 100); do grep -q ready "$tag.samples" 2>/dev/null && break; sleep 0.02; done
    ticks0="$(cpu_ticks)"
    ip netns exec "$LAB_SCAN" /usr/bin/time -f "%U %S %e" -o "$tag.time" timeout -k 5 600 "$@" \
        >"$tag.out" 2>"$tag.err" || die "$name failed: $* :: $(tail -n 3 "$tag.err")"
    ticks1="$(cpu_ticks)"
    sleep 0.05
    kill -TERM "$spid"
    wait "$spid" || true
    python3 - "$tag" "$name" "$(syns)" "$round" $ticks0 $ticks1 >>"$W/runs.tsv" <<'EOF'
import sys
tag, name, syns, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
st0, tt0, st1, tt1 = (int(x) for x in sys.argv[5:9])
steal = 100 * (st1 - st0) / (tt1 - tt0) if tt1 > tt0 else 0.0
s = [l.split() for l in open(tag + ".samples") if l[0].isdigit()]
s = [(float(t), int(v)) for t, v in s]
# The flood: the sampling intervals (~1 ms) in which at least FLOOD frames
# arrived. Its span runs from the sample before the first such interval to
# the end of the last one, and its frames are those counted in between. A
# lone frame before it (prtip resolving the target's MAC by ARP, ~75 ms
# before its first probe, while it sets up its rings) or after it (IPv6
# neighbour discovery) is the sender's setup or the lab's noise, not its
# sending rate; both sides are measured the same way.
FLOOD = 64
first = last = None
for i in range(1, len(s)):
    if s[i][1] - s[i - 1][1] >= FLOOD:
        if first is None:
            first = i - 1
        last = i
if first is None:
    start = end = 0.0
    frames = 0
else:
    start, end = s[first][0], s[last][0]
    frames = s[last][1] - s[first][1]
span = end - start
u, sy, wall = (float(x) for x in open(tag + ".time").read().split()[-3:])
print(f"{name}\t{syns}\t{frames}\t{span:.6f}\t{u + sy:.3f}\t{wall:.3f}\t{rnd}\t{steal:.1f}")
EOF
    say "  $(tail -n 1 "$W/runs.tsv")"
}

PRTIP_CMD=("$PRTIP" -sS -Pn -n -p "1-$PORTS" --rate 100000000 --max-retries 0 --wait 0
    -oG /dev/null "$RANGE")
[ "$THREADS" -gt 1 ] && PRTIP_CMD+=(--sender-threads "$THREADS")
: >"$W/runs.tsv"
run_prtip() {
    say "round $1/$RUNS: prtip ${PRTIP_CMD[*]:1}"
    run "$1" prtip "${PRTIP_CMD[@]}"
}
run_ceiling() {
    local secs="$CEIL_SECS"
    if [ -z "$secs" ]; then
        secs="$(awk -F'\t' '$1 == "prtip" { print $4 }' "$W/runs.tsv" | sort -n |
            awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
    fi
    say "round $1/$RUNS: ceiling for ${secs}s"
    run "$1" ceiling "$W/ceiling" --if "$LAB_IF" --smac "$SCAN_MAC" --dmac "$TGT_MAC" \
        --src "$LAB_SCAN_V4" --dst "$LAB_TGT_V4" --secs "$secs" --threads "$THREADS"
}
# The first round runs prtip first (the ceiling's duration follows prtip's
# send time); later rounds alternate, so neither side always goes first.
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then
        run_prtip "$r"
        run_ceiling "$r"
    else
        run_ceiling "$r"
        run_prtip "$r"
    fi
done

CPUS="$(nproc)"
MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
OS="$(. /etc/os-release && echo "$PRETTY_NAME")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
VER="$("$PRTIP" --version 2>/dev/null | head -n 1 || echo unknown)"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
python3 - "$W/runs.tsv" "$RUNS" "$RANGE" "$PORTS" "$CPUS" "$MODEL" "$(uname -r)" "$OS" "$LOAD" \
    "$VER" "$COMMIT" >"$W/section.md" <<'EOF'
import statistics as st, sys, datetime, ipaddress, os
runs, nruns, rng, ports, cpus, model, kernel, osname, load, ver, commit = sys.argv[1:]
rows, by_round = {}, {}
for line in open(runs):
    name, syns, frames, span, cpu, wall, rnd, steal = line.rstrip("\n").split("\t")
    r = dict(syns=int(syns), frames=int(frames), span=float(span), cpu=float(cpu),
             wall=float(wall), steal=float(steal))
    r["pps"] = r["frames"] / r["span"] if r["span"] else 0
    rows.setdefault(name, []).append(r)
    by_round.setdefault(rnd, {})[name] = r
def summary(rs):
    pps = [r["pps"] for r in rs]
    return dict(pps=st.median(pps), lo=min(pps), hi=max(pps),
                syns=st.median(r["syns"] for r in rs),
                cpu_pct=st.median(100 * r["cpu"] / r["span"] if r["span"] else 0 for r in rs),
                ns_pkt=st.median(1e9 * r["cpu"] / r["syns"] if r["syns"] else 0 for r in rs),
                span=st.median(r["span"] for r in rs),
                steal=st.median(r["steal"] for r in rs))
p, c = summary(rows["prtip"]), summary(rows["ceiling"])
ratios = sorted(100 * rr["prtip"]["pps"] / rr["ceiling"]["pps"] for rr in by_round.values()
                if rr.get("ceiling", {}).get("pps") and "prtip" in rr)
def quantile(xs, q):
    # Linear interpolation between closest ranks (as numpy's default).
    if not xs:
        return 0.0
    k = (len(xs) - 1) * q
    f = int(k)
    return xs[f] + (xs[min(f + 1, len(xs) - 1)] - xs[f]) * (k - f)
ratio_med, ratio_q1, ratio_q3 = (quantile(ratios, q) for q in (0.5, 0.25, 0.75))
above = sum(1 for x in ratios if x >= 90)
n = ipaddress.ip_network(rng).num_addresses * int(ports)
ct = int(os.environ.get("THREADS", "1"))
threads_opt = f" --sender-threads {ct}" if ct > 1 else ""
print("### Sender: a whole SYN scan vs the raw packet ceiling (veth, namespace lab"
      + (f", {ct} threads each" if ct > 1 else "") + ")\n")
print(f"prtip `-sS -Pn -n -p 1-{ports} --rate 100000000 --max-retries 0 --wait 0{threads_opt} {rng}` "
      f"({n:,} probes; the range is AnyIP in the target namespace) against `bench/ceiling.c` "
      "(prebuilt 58-byte SYNs, AF_PACKET + PACKET_QDISC_BYPASS + sendmmsg, nothing of prtip) "
      "for as long as prtip's median send took. The target namespace counts the SYNs and drops "
      "every IP packet in prerouting, so nothing answers. pps: frames received by the target's "
      "veth during the flood, from the first to the last millisecond with 64 or more arrivals "
      "(rx_packets read every ms; prtip's ARP request, sent ~75 ms before its first probe while "
      "it sets up, is not part of its sending rate); CPU: "
      "the process's user+system time over that time (on veth it includes the target's receive "
      f"path, which runs in the sender's softirq), and per packet; steal: CPU time the "
      f"hypervisor took from this VM during the run. {nruns} rounds of one run each, back to "
      "back in alternating order; medians.\n")
print("| sender | median pps | min … max pps | % of ceiling (medians) | SYNs at target | "
      "send time (s) | CPU % | CPU ns / packet | steal % |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
ceil_name = "ceiling (bench/ceiling.c)" if ct == 1 else f"ceiling (bench/ceiling.c, {ct} threads)"
prtip_name = "prtip scan" if ct == 1 else f"prtip scan, {ct} sender threads"
for name, s in ((ceil_name, c), (prtip_name, p)):
    print(f"| {name} | {s['pps']:,.0f} | {s['lo']:,.0f} … {s['hi']:,.0f} | "
          f"{100 * s['pps'] / c['pps']:.0f}% | {s['syns']:,.0f} | {s['span']:.2f} | "
          f"{s['cpu_pct']:.0f} | {s['ns_pkt']:,.0f} | {s['steal']:.1f} |")
print(f"\n**prtip's sender: {ratio_med:.0f}% of the ceiling** (SPEC target ≥ 90%): the median of "
      f"the {len(ratios)} rounds' own ratios (prtip pps / ceiling pps within a round), "
      f"interquartile range {ratio_q1:.0f}-{ratio_q3:.0f}%; {above} of {len(ratios)} rounds at or "
      "above 90%. Per round: " + ", ".join(f"{x:.0f}%" for x in ratios) + ".\n")
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"Machine: {cpus} CPUs ({model}), kernel {kernel}, {osname}; load average at the end "
      f"{load}.  ")
print(f"Versions: prtip `{ver}` (commit {commit}).  ")
print(f"Measured: {now}. Rerun: `sudo bash bench/sender.sh [PRTIP_BINARY]`.")
EOF

cat "$W/section.md"
SECTION=sender
[ "$THREADS" -gt 1 ] && SECTION="sender-threads$THREADS"
if [ "$WRITE" -eq 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" "$SECTION" "$W/section.md"
    say "wrote the sender section of $DOC"
fi
