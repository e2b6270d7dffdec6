#!/usr/bin/env bash
# --resume overhead: a SYN scan of a /20 x 3 ports interrupted at about 50%,
# then `prtip --resume` (RUNS runs; a finished run leaves the file as it
# is), interleaved with uninterrupted runs of the same scan. Measured:
#   - the load: time from exec to the raw engine's first debug line after
#     its setup ("N probes in shard"), which a resumed run reaches only
#     after reading the file, excluding the complete hosts, replaying them
#     to the outputs and taking the partial hosts' answers; the same point
#     of an uninterrupted run is the baseline (stderr lines are stamped as
#     they arrive);
#   - the skip: the probes the resumed run sends (the target's nftables
#     counter) against the probes left after the position in the file, and
#     its wall time against the uninterrupted run's minus the probes the
#     interrupted run had sent at the fixed rate.
#
#   sudo bash bench/resume.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Target: 198.18.144.0/20 made local (AnyIP), 22 open everywhere (a listener),
# 80 and 443 closed: every probe answered. No host groups: the position is
# the sender's index in the permutation of the 12,288 probes.
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
RUNS="${RUNS:-7}"
RANGE="198.18.144.0/20"
RATE=5000
lab_require
W="$(mktemp -d /tmp/prtip-bench-resume.XXXXXX)"
ID="br$$"
cleanup() { lab_down "$ID" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
lab_up "$ID" >/dev/null
lab_anyip "$LAB_TGT" "$RANGE"
lab_nft "$LAB_TGT" "
table inet bench_resume {
    counter probes { }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $RANGE tcp flags & (syn | ack) == syn counter name probes
    }
}"
lab_listen "$LAB_TGT" "$W/listen.out" --addr 0.0.0.0 --ports 22 --backlog 4096
ARGS=(-sS -Pn -n --max-retries 0 --rate "$RATE" --seed 5 -p 22,80,443)
nprobes() {
    ip netns exec "$LAB_TGT" nft -j reset counter inet bench_resume probes | python3 -c '
import json, sys
print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}
# stamped NAME CMD...: run CMD with -d in the scanner namespace; prints
# "wall_ms setup_ms" (setup: exec to the "probes in shard" line).
stamped() {
    local name="$1"
    shift
    ip netns exec "$LAB_SCAN" python3 - "$W/$name.err" "$@" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
setup = None
with open(sys.argv[1], "w") as log:
    for line in p.stderr:
        if setup is None and "probes in shard" in line:
            setup = time.monotonic() - t0
        log.write(line)
p.wait()
wall = time.monotonic() - t0
print(round(wall * 1000), round((setup or 0) * 1000))
PY
}

nprobes >/dev/null
read -r full_ms _ < <(stamped full0 "$PRTIP" -d "${ARGS[@]}" -oA "$W/full" "$RANGE")
total=$(nprobes)
ip netns exec "$LAB_SCAN" "$PRTIP" -d "${ARGS[@]}" -oA "$W/cut" "$RANGE" >/dev/null 2>"$W/cut.err" &
pid=$!
sleep "$(python3 -c "print($full_ms / 2000)")"
kill -INT "$pid"
wait "$pid" || true
cut_sent=$(nprobes)
[ -s "$W/cut.resume" ] || { echo "no resume file" >&2; exit 1; }
grep -q '^position pass 0 ' "$W/cut.resume" || { echo "no pass-0 position in the resume file" >&2; exit 1; }
pos=$(sed -n 's/^position pass 0 group 0 pending [0-9]* senders [0-9]* //p' "$W/cut.resume" |
    python3 -c 'import sys; print(sum(int(x) for x in sys.stdin.read().split()))')
done_hosts=$(grep -c '^host ' "$W/cut.resume" || true)
part_hosts=$(grep -c '^part ' "$W/cut.resume" || true)
size=$(stat -c %s "$W/cut.resume")

for ((i = 1; i <= RUNS; i++)); do
    echo "resume $(stamped "res$i" "$PRTIP" --resume "$W/cut.resume") $(nprobes)" >>"$W/rows"
    echo "full $(stamped "full$i" "$PRTIP" -d "${ARGS[@]}" -oA "$W/full" "$RANGE") $(nprobes)" >>"$W/rows"
done
final_hosts=$(grep -c 'Ports:' "$W/cut.gnmap")

python3 - "$W/rows" "$total" "$cut_sent" "$pos" "$done_hosts" "$part_hosts" "$size" "$final_hosts" "$RATE" >"$W/section.md" <<'PY'
import statistics, subprocess, sys
rows = [l.split() for l in open(sys.argv[1])]
total, cut_sent, pos, done, part, size, final, rate = map(int, sys.argv[2:10])
def col(kind, i):
    return sorted(int(r[i]) for r in rows if r[0] == kind)
rw, rs, rp = col("resume", 1), col("resume", 2), col("resume", 3)
fw, fs, fp = col("full", 1), col("full", 2), col("full", 3)
mrw, mrs, mfw, mfs = (statistics.median(x) for x in (rw, rs, fw, fs))
ideal = mfw - cut_sent * 1000 / rate
date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
print(f"""### Resume overhead: /20 x 3 ports interrupted at ~50%

Command: `prtip -sS -Pn -n --max-retries 0 --rate {rate} --seed 5 -p 22,80,443 -oA BASE 198.18.144.0/20`
({total:,} probes, every one answered). SIGINT at half the uninterrupted run's time: the interrupted run
had sent {cut_sent:,} probes (target's counter) and the resume file (format 2, {size:,} bytes) holds the
position {pos:,} in the permutation, {done:,} complete hosts and {part:,} hosts answered in part.
Then `prtip --resume BASE.resume` and the uninterrupted scan, interleaved, {len(rw)} runs each (both with `-d`,
whose stderr lines are stamped as they arrive). "Setup" is the time from exec to the raw engine's
"probes in shard" line: the resumed run reaches it after reading the file, excluding the complete hosts,
replaying them to the outputs and taking the partial hosts' answers.

| run | wall median (ms) | wall min … max | setup median (ms) | setup min … max | probes sent (median) |
|---|---:|---:|---:|---:|---:|
| `--resume` | {mrw:.0f} | {rw[0]} … {rw[-1]} | {mrs:.0f} | {rs[0]} … {rs[-1]} | {statistics.median(rp):,.0f} |
| uninterrupted | {mfw:.0f} | {fw[0]} … {fw[-1]} | {mfs:.0f} | {fs[0]} … {fs[-1]} | {statistics.median(fp):,.0f} |

Load overhead (setup medians): {mrs - mfs:+.0f} ms. Skip: the resumed run sends {statistics.median(rp):,.0f}
probes, the {total - pos:,} after the position ({cut_sent:,} + {statistics.median(rp):,.0f} = {cut_sent + statistics.median(rp):,.0f} of {total:,});
its wall time against the uninterrupted run's less the interrupted run's {cut_sent:,} probes at {rate} pps
({ideal:.0f} ms): {mrw - ideal:+.0f} ms. The resumed run's -oG holds {final:,} hosts.

Measured: {date}.""")
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/BENCHMARKS.md" resume "$W/section.md"
fi
