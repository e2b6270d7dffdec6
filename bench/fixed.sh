#!/usr/bin/env bash
# The fixed costs of a small SYN scan in the namespace lab (tests/lab): prtip
# against nmap on one host, top 1000 ports and all 65,535, in one run.
#
#   sudo bash bench/fixed.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Target 198.18.0.2 with listeners on 22, 80, 443 and LISTENERS random ports
# (the ground truth; the scanned part of it for the top-1000 rows, from
# prtip --dry-run). Commands, all as a user types them (no --min-rate):
#   prtip -sS -n TGT            default options: ARP ping, then the top 1000
#   prtip -sS -n -Pn TGT        the same without host discovery
#   prtip -sS -n -p- TGT        all ports, with discovery
#   nmap  -sS -n TGT / -p-      nmap's defaults (-T3)
#   nmap  -sS -n -T4 TGT / -p-  nmap's "aggressive" timing
# PRTIP_BASE (a second prtip binary, e.g. the commit before a change, built
# in its own directory) adds "prtip (base)" rows run in the same rounds.
#
# (1) Wall time. RUNS rounds; each round runs every command once, in an
#     order rotated by one each round and reversed every other round, with
#     an idle pause (IDLE s) before each run; wall = fork to exit of
#     "ip netns exec", measured in Python. Medians, min … max, and the
#     ratios nmap median / prtip median. Every run's -oG output is checked
#     against the ground truth.
# (2) Where prtip's time goes, in TL_RUNS separate runs each (so that the
#     samplers cannot slow the timed runs down): an nftables counter of TCP
#     SYNs arriving in the target namespace and the target veth's tx_packets
#     are read every millisecond (bench/sampler.py, CLOCK_MONOTONIC, the
#     clock of the runs' start and exit). Time to first probe = first SYN
#     counted − start; end wait = exit − the target's last reply. Both have
#     the sampler's resolution (~1 ms).
#
# Environment: NMAP (path), PRTIP_BASE, RUNS (9), TL_RUNS (5), IDLE (0.3),
# LISTENERS (5).
#
# Network safety: every packet stays in two namespaces made here (a veth
# pair, no default route, no forwarding); nmap and prtip route normally.
# The markdown is printed and, unless --no-write, replaces the text between
# the fixed:begin / fixed:end markers in docs/BENCHMARKS.md
# (bench/write_section.py).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
PRTIP_BASE="${PRTIP_BASE:-}"
[ -z "$PRTIP_BASE" ] || PRTIP_BASE="$(realpath "$PRTIP_BASE")"
NMAP="${NMAP:-$(command -v nmap || echo /usr/bin/nmap)}"
RUNS="${RUNS:-9}"
TL_RUNS="${TL_RUNS:-5}"
IDLE="${IDLE:-0.3}"
LISTENERS="${LISTENERS:-5}"
DOC="$ROOT/docs/BENCHMARKS.md"

die() { echo "bench/fixed.sh: $*" >&2; exit 1; }
say() { echo "bench/fixed.sh: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in ip nft python3; do
    command -v "$tool" >/dev/null || die "'$tool' not installed (iproute2 nftables python3)"
done
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
[ -x "$PRTIP" ] || die "no prtip binary at $PRTIP (make build)"
[ -z "$PRTIP_BASE" ] || [ -x "$PRTIP_BASE" ] || die "PRTIP_BASE=$PRTIP_BASE is not executable"

W="$(mktemp -d /tmp/prtip-bench-fixed.XXXXXX)"
LAB=""
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -z "$LAB" ] || lab_down "$LAB"
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAB="f$$"
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null
ip netns exec "$LAB_SCAN" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null
if ip -n "$LAB_SCAN" route show default | grep -q .; then die "scanner namespace has a default route"; fi
lab_listen "$LAB_TGT" "$W/listen.txt" --addr "$LAB_TGT_V4" --ports 22,80,443 --random "$LISTENERS" ||
    die "could not start the listeners"
PIDS+=("$LAB_LISTEN_PID")
awk '$1 == "open" { print $3 }' "$W/listen.txt" | sort -u >"$W/truth-all"
ip netns exec "$LAB_SCAN" "$PRTIP" -sS -n -Pn --dry-run "$LAB_TGT_V4" | awk '{ print $3 }' | sort -u >"$W/top"
comm -12 "$W/truth-all" "$W/top" >"$W/truth-top"
lab_nft "$LAB_TGT" "
table inet prtip_fixed {
    counter syns { }
    chain input {
        type filter hook input priority 0; policy accept;
        iifname \"$LAB_IF\" tcp flags & (syn | ack) == syn counter name syns
    }
}" || die "could not load the target's ruleset"

say "prtip $("$PRTIP" --version | head -n 1), $("$NMAP" --version | head -n 1); load: $(uptime | sed 's/.*load/load/')"
export PRTIP PRTIP_BASE NMAP RUNS TL_RUNS IDLE LAB_SCAN LAB_TGT LAB_IF LAB_TGT_V4 W ROOT
CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
BASE_COMMIT="${BASE_COMMIT:-}"
export CPU OS COMMIT BASE_COMMIT LISTENERS
NPROC="$(nproc)" KERNEL="$(uname -r)" DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    python3 - <<'EOF'
import os, re, signal, statistics, subprocess, sys, time
E = os.environ
w, tgt, scan = E["W"], E["LAB_TGT_V4"], E["LAB_SCAN"]
truth = {"top": set(open(f"{w}/truth-top").read().split()), "all": set(open(f"{w}/truth-all").read().split())}

def say(msg):
    print(f"bench/fixed.sh: {msg}", file=sys.stderr, flush=True)

tools = [("prtip", E["PRTIP"], [], "default"), ("prtip -Pn", E["PRTIP"], ["-Pn"], "default")]
if E["PRTIP_BASE"]:
    tools += [("prtip (base)", E["PRTIP_BASE"], [], "default"), ("prtip -Pn (base)", E["PRTIP_BASE"], ["-Pn"], "default")]
tools += [("nmap", E["NMAP"], [], "default"), ("nmap -T4", E["NMAP"], ["-T4"], "-T4")]
cases = [("top", []), ("all", ["-p-"])]

def command(tool, case, out):
    _, exe, extra, _ = tool
    return ["ip", "netns", "exec", scan, exe, "-sS", "-n"] + extra + dict(cases)[case] + ["-oG", out, tgt]

def found(path):
    ports = set()
    for line in open(path):
        if "Ports:" in line:
            ports |= set(re.findall(r"(\d+)/open/tcp", line))
    return ports

def run(tool, case):
    out = f"{w}/out.gnmap"
    if os.path.exists(out):
        os.unlink(out)
    time.sleep(float(E["IDLE"]))
    t0 = time.monotonic()
    p = subprocess.run(command(tool, case, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.monotonic()
    if p.returncode != 0:
        sys.exit(f"bench/fixed.sh: {tool[0]} {case} failed: {p.stderr.decode()[-300:]}")
    f = found(out)
    return t0, t1, len(f & truth[case]), len(f - truth[case])

# ---- (1) wall time
walls = {}
for r in range(int(E["RUNS"])):
    order = [(t, c) for c, _ in cases for t in tools]
    k = r % len(order)
    order = order[k:] + order[:k]
    if r % 2:
        order.reverse()
    say(f"round {r + 1}/{E['RUNS']}")
    for t, c in order:
        t0, t1, ok, bad = run(t, c)
        walls.setdefault((t[0], c), []).append((t1 - t0, ok, bad))

# ---- (2) time to first probe and end wait, with the samplers on
def sampler(kind, *args):
    p = subprocess.Popen(["ip", "netns", "exec", E["LAB_TGT"], "python3", f"{E['ROOT']}/bench/sampler.py", kind, *args],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p

def samples(p):
    p.send_signal(signal.SIGTERM)
    return [(float(t), int(v)) for t, v in (l.split() for l in p.communicate()[0].splitlines())]

tl_tools = [t for t in tools if not t[0].startswith("nmap")] + [t for t in tools if t[0].startswith("nmap")]
spans = []
s1 = sampler("nft", "inet", "prtip_fixed", "syns")
s2 = sampler("sysfs", f"/sys/class/net/{E['LAB_IF']}/statistics/tx_packets")
for r in range(int(E["TL_RUNS"])):
    say(f"timeline round {r + 1}/{E['TL_RUNS']}")
    for t in tl_tools:
        for c, _ in cases:
            t0, t1, _, _ = run(t, c)
            spans.append((t[0], c, t0, t1))
syn, tx = samples(s1), samples(s2)

def first_rise(series, t0, t1):
    prev = None
    for t, v in series:
        if t < t0:
            prev = v
            continue
        if t > t1:
            return None
        if prev is not None and v > prev:
            return t
        prev = v
    return None

def last_rise(series, t0, t1):
    last, prev = None, None
    for t, v in series:
        if t > t1 + 0.002:
            break
        if t >= t0 and prev is not None and v > prev:
            last = t
        prev = v
    return last

tl = {}
for name, c, t0, t1 in spans:
    fs, lr = first_rise(syn, t0, t1), last_rise(tx, t0, t1)
    if fs is not None and lr is not None:
        tl.setdefault((name, c), []).append((fs - t0, t1 - lr))

# ---- report
def med(xs):
    return statistics.median(xs) if xs else float("nan")

L = ["### Fixed costs: one host, top 1000 ports and all ports (lab veth)", ""]
L.append(f"Target {tgt} in the lab's target namespace, {len(truth['all'])} listeners (22, 80, 443 and "
         f"{E['LISTENERS']} random ports), {len(truth['top'])} of them among the top 1000. Commands as a user "
         "types them: `prtip -sS -n [-Pn] [-p-]`, `nmap -sS -n [-T4] [-p-]` (nmap's defaults are -T3; "
         "`-oG` added to check results). Wall: fork to exit of `ip netns exec`, "
         f"{E['RUNS']} rounds, each running every command once in a rotated order (reversed every other "
         f"round) after a {E['IDLE']} s idle pause. First probe and end wait: {E['TL_RUNS']} separate runs "
         "each, with a SYN counter (nftables) and the target veth's tx_packets read every ms; first probe = "
         "first SYN at the target − start, end wait = exit − the target's last reply (±1 ms).")
L.append("")
L.append("| ports | tool | wall median (s) | min … max (s) | nmap / this | open found / truth | first probe (ms) | end wait (ms) |")
L.append("|---|---|---:|---:|---:|---:|---:|---:|")
for c, label in (("top", "top 1000"), ("all", "65,535")):
    nm = med([x[0] for x in walls[("nmap", c)]])
    for t in tools:
        v = walls[(t[0], c)]
        ws = [x[0] for x in v]
        oks = [x[1] for x in v]
        bad = max(x[2] for x in v)
        m = med(ws)
        tv = tl.get((t[0], c), [])
        fp = f"{med([x[0] for x in tv]) * 1e3:.0f}" if tv else "n/a"
        ew = f"{med([x[1] for x in tv]) * 1e3:.0f}" if tv else "n/a"
        ratio = f"{nm / m:.1f}" if not t[0].startswith("nmap") else ""
        extra = f" (+{bad} wrong)" if bad else ""
        L.append(f"| {label} | {t[0]} | {m:.3f} | {min(ws):.3f} … {max(ws):.3f} | {ratio} | "
                 f"{min(oks)} / {len(truth[c])}{extra} (min) | {fp} | {ew} |")
L.append("")
for c, label in (("top", "top 1000"), ("all", "all ports")):
    p = med([x[0] for x in walls[("prtip", c)]])
    n = med([x[0] for x in walls[("nmap", c)]])
    n4 = med([x[0] for x in walls[("nmap -T4", c)]])
    line = f"**{label}: nmap / prtip = {n / p:.1f}, nmap -T4 / prtip = {n4 / p:.1f}"
    if E["PRTIP_BASE"]:
        b = med([x[0] for x in walls[("prtip (base)", c)]])
        line += f"; prtip (base) / prtip = {b / p:.1f}"
    L.append(line + ".**  ")
L.append("")
L.append(f"Machine: {E['NPROC']} CPUs ({E['CPU']}), kernel {E['KERNEL']}, {E['OS']}.  ")
base = f", base `{E['PRTIP_BASE']}`" + (f" (commit {E['BASE_COMMIT']})" if E["BASE_COMMIT"] else "") if E["PRTIP_BASE"] else ""
nv = subprocess.run([E["NMAP"], "--version"], capture_output=True, text=True).stdout.splitlines()[0]
L.append(f"Versions: prtip commit {E['COMMIT']}{base}, `{nv}`.  ")
L.append(f"Measured: {E['DATE']} with `bench/fixed.sh`.")
open(f"{w}/section.md", "w").write("\n".join(L) + "\n")
EOF

cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" fixed "$W/section.md"
    say "wrote the fixed section of $DOC"
fi
