#!/usr/bin/env bash
# --resume overhead: a SYN scan of a /20 x 3 ports interrupted at about 50%,
# then `prtip --resume` (RUNS runs; the file is not changed by a finished
# run) against a fresh scan of exactly the hosts the resume still scans (the
# same options, those addresses as the target list). The difference of the
# medians is what loading the state, excluding the complete hosts and
# replaying their records costs.
#
#   sudo bash bench/resume.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Target: 198.18.144.0/20 made local (AnyIP), 22 open everywhere (a listener),
# 80 and 443 closed: every probe answered. --max-hostgroup 256 makes hosts
# complete group by group, so an interruption leaves whole hosts behind.
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
lab_require
W="$(mktemp -d /tmp/prtip-bench-resume.XXXXXX)"
ID="br$$"
cleanup() { lab_down "$ID" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
lab_up "$ID" >/dev/null
lab_anyip "$LAB_TGT" "$RANGE"
lab_listen "$LAB_TGT" "$W/listen.out" --addr 0.0.0.0 --ports 22 --backlog 4096
ARGS=(-sS -Pn -n --max-retries 0 --max-hostgroup 256 --rate 5000 --seed 5 -p 22,80,443)
ms() { date +%s%N; }

t0=$(ms)
ip netns exec "$LAB_SCAN" "$PRTIP" "${ARGS[@]}" -oA "$W/full" "$RANGE" >/dev/null 2>&1
full_ms=$((($(ms) - t0) / 1000000))
ip netns exec "$LAB_SCAN" "$PRTIP" "${ARGS[@]}" -oA "$W/cut" "$RANGE" >/dev/null 2>&1 &
pid=$!
sleep "$(python3 -c "print($full_ms / 2000)")"
kill -INT "$pid"
wait "$pid" || true
[ -s "$W/cut.resume" ] || { echo "no resume file" >&2; exit 1; }
done_hosts=$(grep -c '^host ' "$W/cut.resume")
sed -n 's/^host {"a":"\([^"]*\)".*/\1/p' "$W/cut.resume" | sort >"$W/done"
python3 - "$RANGE" >"$W/all" <<'PY'
import ipaddress, sys
for a in ipaddress.ip_network(sys.argv[1]):
    print(a)
PY
sort "$W/all" | comm -23 - "$W/done" >"$W/rest"
rest=$(wc -l <"$W/rest")

for ((i = 1; i <= RUNS; i++)); do
    t0=$(ms)
    ip netns exec "$LAB_SCAN" "$PRTIP" --resume "$W/cut.resume" >/dev/null 2>&1
    echo "resume $((($(ms) - t0) / 1000000))" >>"$W/rows"
    t0=$(ms)
    ip netns exec "$LAB_SCAN" "$PRTIP" "${ARGS[@]}" -oA "$W/rest" -iL "$W/rest" >/dev/null 2>&1
    echo "rest $((($(ms) - t0) / 1000000))" >>"$W/rows"
done
grep -c 'Ports:' "$W/cut.gnmap" >"$W/final_hosts"
size=$(stat -c %s "$W/cut.resume")

python3 - "$W/rows" "$full_ms" "$done_hosts" "$rest" "$size" "$(cat "$W/final_hosts")" >"$W/section.md" <<'PY'
import statistics, subprocess, sys
rows = [l.split() for l in open(sys.argv[1])]
full_ms, done, rest, size, final = map(int, sys.argv[2:7])
r = sorted(int(x[1]) for x in rows if x[0] == "resume")
f = sorted(int(x[1]) for x in rows if x[0] == "rest")
mr, mf = statistics.median(r), statistics.median(f)
date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
print(f"""### Resume overhead: /20 x 3 ports interrupted at ~50%

Command: `prtip -sS -Pn -n --max-retries 0 --max-hostgroup 256 --rate 5000 --seed 5 -p 22,80,443 -oA BASE 198.18.144.0/20`
(4,096 hosts, every probe answered), uninterrupted in {full_ms} ms; SIGINT at half that left
{done:,} complete hosts in the resume file ({size:,} bytes) and {rest:,} to scan. Then
`prtip --resume BASE.resume` against a fresh scan of exactly those {rest:,} hosts (`-iL`), {len(r)} runs each, interleaved.

| run | median (ms) | min … max (ms) |
|---|---:|---:|
| `--resume` (load, exclude {done:,} hosts, replay them, scan {rest:,}) | {mr:.0f} | {r[0]} … {r[-1]} |
| fresh scan of the same {rest:,} hosts | {mf:.0f} | {f[0]} … {f[-1]} |

Resume overhead (difference of medians): {mr - mf:+.0f} ms. The resumed run's -oG holds {final:,} hosts.

Measured: {date}.""")
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/BENCHMARKS.md" resume "$W/section.md"
fi
