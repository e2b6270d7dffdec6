#!/usr/bin/env bash
# --os-passive's cost on the /17 range SYN scan (issue 12 point 6): the
# same scan as bench/syn.sh (b) at its "rate" configuration, with and
# without --os-passive, interleaved, medians.
#
#   sudo bash bench/os_passive.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# 198.18.128.0/17 is local to the target namespace (AnyIP), a wildcard
# listener on 22 (open everywhere), 80 and 443 closed: 32,768 SYN-ACKs of
# 98,304 probes, so every address gets a passive guess. Each run: prtip -sS
# -Pn -n -p 22,80,443 --rate RATE -oG FILE RANGE [--os-passive]; wall, user
# and system CPU and peak RSS from /usr/bin/time -v; hosts with an "OS:
# (passive)" field counted from -oG. RUNS (7) runs of each, alternating
# which goes first; IDLE (0.5 s) between runs. Other helpers may share the
# CPUs: compare the difference with the spread (min-max) printed beside it.
#
# Network safety: only prtip runs, from a namespace with no default route,
# at addresses inside the lab's 198.18.0.0/15.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
RUNS="${RUNS:-7}"
RATE="${RATE:-100000}"
IDLE="${IDLE:-0.5}"
RANGE="198.18.128.0/17"
DOC="$ROOT/docs/BENCHMARKS.md"
die() { echo "bench/os_passive.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
[ -x "$PRTIP" ] || die "no prtip binary at $PRTIP (make build)"

W="$(mktemp -d /tmp/prtip-bench-ospassive.XXXXXX)"
LAB="bop$$"
cleanup() {
    lab_down "$LAB" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "could not make $RANGE local"
lab_listen "$LAB_TGT" "$W/listen.txt" --addr 0.0.0.0 --ports 22 || die "no listener"

python3 - "$W" "$LAB_SCAN" "$PRTIP" "$RUNS" "$RATE" "$IDLE" "$RANGE" >"$W/section.md" <<'PY'
import collections, re, statistics, subprocess, sys, time
w, ns, prtip, runs, rate, idle, rng = sys.argv[1:8]
runs, idle = int(runs), float(idle)
res = collections.defaultdict(list)
for r in range(runs):
    order = ["plain", "passive"] if r % 2 == 0 else ["passive", "plain"]
    for cfg in order:
        time.sleep(idle)
        g = f"{w}/{cfg}.gnmap"
        cmd = ["ip", "netns", "exec", ns, "/usr/bin/time", "-v", prtip, "-sS", "-Pn", "-n",
               "-p", "22,80,443", "--rate", rate, "-oG", g, rng]
        if cfg == "passive":
            cmd.append("--os-passive")
        t0 = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit(f"{cfg}: prtip exited {p.returncode}: {p.stderr[-800:]}")
        def field(name):
            return float(re.search(re.escape(name) + r": ([\d.]+)", p.stderr).group(1))
        text = open(g).read()
        res[cfg].append({
            "wall": wall,
            "cpu": field("User time (seconds)") + field("System time (seconds)"),
            "rss": field("Maximum resident set size (kbytes)") / 1024,
            "open": text.count("22/open/"),
            "guessed": text.count("OS: (passive) "),
        })
def med(cfg, k):
    return statistics.median(x[k] for x in res[cfg])
def spread(cfg, k):
    v = [x[k] for x in res[cfg]]
    return f"{min(v):.2f}–{max(v):.2f}"
print("### `--os-passive` on the SYN scan of 198.18.128.0/17 × 3 ports (lab veth, AnyIP)\n")
print(f"198.18.128.0/17 local to the target namespace; a wildcard listener on 22, 80 and 443 closed: 32,768 SYN-ACKs of 98,304 probes. `prtip -sS -Pn -n -p 22,80,443 --rate {rate} -oG FILE 198.18.128.0/17`, without and with `--os-passive` (its SYNs carry nmap's SEQ1 options; the first SYN-ACK per host is kept and scored on O1/W1/T1). {runs} runs of each, interleaved; medians, (min–max).\n")
print("| config | wall (s) | CPU user+sys (s) | peak RSS (MiB) | open 22 found | hosts with a passive guess |")
print("|---|---:|---:|---:|---:|---:|")
for cfg in ("plain", "passive"):
    print(f"| {'-sS' if cfg == 'plain' else '-sS --os-passive'} | {med(cfg,'wall'):.2f} ({spread(cfg,'wall')}) | "
          f"{med(cfg,'cpu'):.2f} ({spread(cfg,'cpu')}) | {med(cfg,'rss'):.1f} | {int(med(cfg,'open')):,} | {int(med(cfg,'guessed')):,} |")
d = med("passive", "wall") - med("plain", "wall")
sp = max(x["wall"] for x in res["plain"]) - min(x["wall"] for x in res["plain"])
print(f"\n**Added wall time: {d:+.2f} s ({100 * d / med('plain', 'wall'):+.1f}%); added CPU: "
      f"{med('passive','cpu') - med('plain','cpu'):+.2f} s.** Run-to-run spread of the plain scan "
      f"(max − min wall): {sp:.2f} s; the added wall time is {'within' if d <= sp else 'above'} it.\n")
v = subprocess.run([prtip, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
c = subprocess.run(["git", "-C", sys.path[0] or ".", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
load = open("/proc/loadavg").read().split()[:3]
print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} CPUs shared with other sessions "
      f"(load average at the end: {' '.join(load)}). prtip `{v}`, commit {c}.  ")
print(f"Measured: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `bench/os_passive.sh`.")
PY
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" os-passive "$W/section.md"
fi
