#!/usr/bin/env bash
# --excludefile at 300,000 entries: load time and peak RSS (a list scan of one
# loopback address, which is all load), then the per-address lookup cost (a
# list scan of a /20, 4,096 lookups, every one a miss), for prtip, an older
# prtip build (PRTIP_BASE, e.g. one from before the interval set) and nmap
# (-sL -n, same file). No packet is sent: -sL only lists.
#
#   bash bench/exclude.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#   PRTIP_BASE=/path/to/old/prtip RUNS=5
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
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
W="$(mktemp -d /tmp/prtip-bench-exclude.XXXXXX)"
trap 'rm -rf "$W"' EXIT

# 300,000 entries spread over IPv4 (a third each CIDRs /24-/32, last-octet
# ranges, single addresses), none in 10.0.0.0/8 (the /20 listed below).
python3 - "$W/ex.txt" <<'PY'
import random, sys
random.seed(1)
n, out = 300000, []
step = (1 << 32) // n
def ip(v): return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)
for i in range(n):
    base = i * step
    if base >> 24 == 10:
        base += 1 << 24
    k = i % 3
    if k == 0:
        p = random.choice([24, 26, 28, 30, 32]); sz = 1 << (32 - p)
        out.append("%s/%d" % (ip(base & ~(sz - 1) & 0xffffffff), p) if sz <= step else ip(base))
    elif k == 1:
        out.append("%s-%d" % (ip(base), min(255, (base & 255) + random.randint(0, 10))))
    else:
        out.append(ip(base + random.randrange(step)))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

# run NAME BIN TARGET: wall seconds and peak RSS (KB) of BIN -sL -n, RUNS times
run() {
    local name="$1" bin="$2" target="$3" i
    for ((i = 0; i < RUNS; i++)); do
        python3 - "$bin" "$W/ex.txt" "$target" "$name" <<'PY' >>"$W/rows"
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run([sys.argv[1], "-sL", "-n", "--excludefile", sys.argv[2], sys.argv[3]],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(sys.argv[4], sys.argv[3], f"{time.monotonic() - t0:.3f}",
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
    done
}

TOOLS=("prtip $PRTIP")
[ -n "${PRTIP_BASE:-}" ] && TOOLS+=("prtip-base $PRTIP_BASE")
command -v nmap >/dev/null && TOOLS+=("nmap $(command -v nmap)")
for target in 127.0.0.1 10.0.0.0/20; do
    for t in "${TOOLS[@]}"; do
        # shellcheck disable=SC2086
        run $t "$target"
    done
done

python3 - "$W/rows" "$PRTIP" "${PRTIP_BASE:-}" >"$W/section.md" <<'PY'
import statistics, subprocess, sys
rows = [l.split() for l in open(sys.argv[1])]
def ver(b):
    try:
        return subprocess.run([b, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        return "?"
date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
print("""### Exclude file of 300,000 entries: load time, RSS, lookups

`prtip -sL -n --excludefile EX TARGET` (no packet sent) with a generated file of 300,000 IPv4
entries (CIDRs /24-/32, last-octet ranges, single addresses; `bench/exclude.sh`). TARGET
127.0.0.1: the run is the load (parse, build the interval set). TARGET 10.0.0.0/20: plus 4,096
lookups (all misses). Medians of %d runs; peak RSS from getrusage.

| tool | target | median (s) | min … max (s) | peak RSS (MB) |
|---|---|---:|---:|---:|""" % (len([r for r in rows if r[0] == rows[0][0] and r[1] == rows[0][1]])))
seen = []
for r in rows:
    if (r[0], r[1]) not in seen:
        seen.append((r[0], r[1]))
for tool, target in seen:
    s = sorted(float(r[2]) for r in rows if (r[0], r[1]) == (tool, target))
    m = statistics.median(int(r[3]) for r in rows if (r[0], r[1]) == (tool, target))
    print(f"| {tool} | {target} | {statistics.median(s):.2f} | {s[0]:.2f} … {s[-1]:.2f} | {m / 1024:.1f} |")
bare = subprocess.run(["python3", "-c", "import resource, subprocess, sys; "
    "subprocess.run([sys.argv[1], '-sL', '-n', '127.0.0.1'], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", sys.argv[2]],
    capture_output=True, text=True).stdout.strip()
print()
print(f"prtip without an exclude file: peak RSS {int(bare) / 1024:.1f} MB (the difference is what the")
print("300,000 exclusions cost, file text included while it is parsed).")
print("prtip-base is the build before exclusions became a sorted, merged interval set (each lookup")
print("then tested every exclusion in turn). Measured:", date + ".")
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/BENCHMARKS.md" exclude "$W/section.md"
fi
