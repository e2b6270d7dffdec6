#!/usr/bin/env bash
# UDP scan benchmark in the namespace lab (tests/lab): prtip -sU vs nmap -sU
# (default timing and -T4) against real UDP services, with the target
# kernel's DEFAULT ICMP rate limit (a burst of 6 port unreachables per
# source, then one a second), as tests/integration/test_udp_scan.sh sets it up.
#
#   sudo bash bench/udp.sh [--no-write] [--only dozen|top] [PRTIP_BINARY]
#
# Target 198.18.0.2: dnsmasq on 53, chronyd on 123, snmpd on 161 (a python3
# echo stands in for a daemon that is not installed).
# (dozen) -p U:53,123,161,1000,1001,67,68,69,2000-2003: 3 open, 2 dropped by
#     nftables (open|filtered), 7 closed. Wall time: one hyperfine
#     invocation, RUNS runs each (default 3); states from one extra run each.
# (top) --top-ports 1000: nftables drops every UDP port except the 3
#     services and KEEP_CLOSED (37) closed ports of the top 1000, so the
#     floor is tens of seconds instead of ~1000 s. One run each; the two nmap
#     runs go in parallel from two scanner addresses (198.18.0.1 and
#     198.18.0.3 with -S), whose ICMP buckets in the target are separate
#     (Linux rate-limits per destination address), so neither slows the
#     other; prtip runs alone.
# Every run (hyperfine --prepare, and each measured run) starts after REFILL
# seconds of quiet, so that it meets a full ICMP bucket in the target.
# Floor: the target's ICMP rate limit, (closed ports - 6) x 1 s: no scanner
# can know every closed port sooner. Agreement: per-port states of each tool
# against the ground truth, and how many closed ports each called
# open|filtered.
#
# Network safety: every packet stays in the lab's two namespaces (no default
# route); nmap command lines are checked by lab_guard (tests/lab/lib.sh).
#
# Environment: RUNS (3), KEEP_CLOSED (37), REFILL (7 s), TOP_TIMEOUT (1800 s per run),
# NMAP (path), PRTIP_ARGS (extra prtip options).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-/usr/bin/nmap}"
RUNS="${RUNS:-3}"
KEEP_CLOSED="${KEEP_CLOSED:-37}"
# Every run starts with the target's ICMP bucket full (6 tokens at 1/s):
# without the pause, a run after another meets an empty bucket.
REFILL="${REFILL:-7}"
TOP_TIMEOUT="${TOP_TIMEOUT:-1800}"
PRTIP_ARGS="${PRTIP_ARGS:-}"
DOC="$ROOT/docs/BENCHMARKS.md"
SCAN2_V4=198.18.0.3 # second scanner address (parallel nmap runs, own ICMP bucket)

die() { echo "bench/udp.sh: $*" >&2; exit 1; }
say() { echo "bench/udp.sh: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in ip nft python3 hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed"
done
[ -x "$PRTIP" ] || die "prtip not found at $PRTIP"
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"

W="$(mktemp -d /tmp/prtip-bench-udp.XXXXXX)"
chmod 755 "$W"
LAB=""
cleanup() {
    [ -z "$LAB" ] || lab_down "$LAB" # kills the services inside
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAB="u$$"
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
ip -n "$LAB_SCAN" addr add "$SCAN2_V4/$LAB_V4_PLEN" dev "$LAB_IF" || die "second scanner address"
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.ip_forward=0 >/dev/null
# The kernel's defaults in the target (the lab turns rate limiting off).
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=1000 net.ipv6.icmp.ratelimit=1000 \
    net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50 ||
    die "cannot restore the default ICMP rate limits"
tgt() { ip netns exec "$LAB_TGT" "$@"; }

# ---- services (as tests/integration/test_udp_scan.sh) ----
cat >"$W/snmpd.conf" <<EOF
rocommunity public default
EOF
cat >"$W/chrony.conf" <<EOF
allow all
local stratum 10
cmdport 0
bindaddress $LAB_TGT_V4
pidfile $W/chronyd.pid
driftfile $W/chrony.drift
EOF
cat >"$W/udp_echo.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data or b"\0", peer)
EOF
SERVICES=()
start_service() { # PORT NAME DAEMON ARGS...
    local port="$1" name="$2" daemon="$3"
    shift 3
    if command -v "$daemon" >/dev/null 2>&1; then
        tgt "$daemon" "$@" >"$W/$name.log" 2>&1 &
        SERVICES+=("$port $name")
    else
        tgt python3 "$W/udp_echo.py" "$port" "$LAB_TGT_V4" >"$W/echo$port.log" 2>&1 &
        SERVICES+=("$port python-echo(no-$daemon)")
    fi
}
start_service 53 dnsmasq dnsmasq --keep-in-foreground --no-resolv --no-hosts \
    --conf-file=/dev/null --bind-interfaces --listen-address="$LAB_TGT_V4" --port=53 \
    --user=root --pid-file="$W/dnsmasq.pid"
start_service 123 chronyd chronyd -x -d -f "$W/chrony.conf"
start_service 161 snmpd snmpd -f -Lf "$W/snmpd.log" -C -c "$W/snmpd.conf" -p "$W/snmpd.pid" \
    "udp:$LAB_TGT_V4:161"
for port in 53 123 161; do
    n=0
    for _ in $(seq 1 100); do
        n="$(tgt ss -Huln "sport = :$port" | wc -l)"
        [ "$n" -ge 1 ] && break
        sleep 0.1
    done
    [ "$n" -ge 1 ] || die "no UDP service on $port after 10 s"
done
say "services: ${SERVICES[*]}"
OPEN="53,123,161"

# states FILE -> "port state reason" lines from nmap-format XML, the ports
# folded into <extraports> included (their <extrareasons ports="...">).
states() {
    python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for p in root.findall("host/ports/port"):
    st = p.find("state")
    print(p.get("portid"), st.get("state"), st.get("reason"))
for ex in root.findall("host/ports/extraports"):
    for er in ex.findall("extrareasons"):
        for part in (er.get("ports") or "").split(","):
            if part:
                a, _, b = part.partition("-")
                for port in range(int(a), int(b or a) + 1):
                    print(port, ex.get("state"), er.get("reason"))
EOF
}

# run_one SCEN NAME TIMEOUT CMD...: one run under /usr/bin/time -v, XML kept.
run_one() {
    local scen="$1" name="$2" to="$3"
    shift 3
    local rc=0
    sleep "$REFILL"
    ip netns exec "$LAB_SCAN" /usr/bin/time -v -o "$W/$scen-$name.time" timeout -k 5 "$to" "$@" \
        -oX "$W/$scen-$name.xml" >"$W/$scen-$name.out" 2>"$W/$scen-$name.err" || rc=$?
    echo "$rc" >"$W/$scen-$name.rc"
    if [ "$rc" -eq 0 ]; then
        states "$W/$scen-$name.xml" >"$W/$scen-$name.states"
    else
        say "$scen $name exited $rc (timeout $to s?)"
        : >"$W/$scen-$name.states"
    fi
}

P=("$PRTIP" -sU -Pn -n)
# shellcheck disable=SC2206
[ -z "$PRTIP_ARGS" ] || P+=($PRTIP_ARGS)
N3=("$NMAP" -sU -Pn -n -e "$LAB_IF")
N4=("$NMAP" -sU -Pn -n -e "$LAB_IF" -T4)

# ---- (dozen) ----
bench_dozen() {
    local drop="1000,1001" closed="67,68,69,2000-2003"
    local ports="U:$OPEN,$drop,$closed"
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport { $drop } drop
    }
}" || die "nft (dozen)"
    python3 - "$OPEN" "$drop" "$closed" >"$W/dozen.truth" <<'EOF'
import sys
def ex(s):
    for part in s.split(","):
        a, _, b = part.partition("-")
        yield from range(int(a), int(b or a) + 1)
o, d, c = (list(ex(x)) for x in sys.argv[1:4])
for p in o: print(p, "open")
for p in d: print(p, "open|filtered")
for p in c: print(p, "closed")
EOF
    local n
    for n in prtip nmap nmap-T4; do
        local cmd
        case "$n" in prtip) cmd=("${P[@]}") ;; nmap) cmd=("${N3[@]}") ;; *) cmd=("${N4[@]}") ;; esac
        [ "$n" = prtip ] || lab_guard "${cmd[@]}" "$LAB_TGT_V4"
        say "(dozen) measured run: $n"
        run_one dozen "$n" 600 "${cmd[@]}" -p "$ports" "$LAB_TGT_V4"
    done
    q() { printf '%q ' "$@"; }
    lab_guard "${N3[@]}" "$LAB_TGT_V4"
    lab_guard "${N4[@]}" "$LAB_TGT_V4"
    say "(dozen) hyperfine, $RUNS runs each"
    ip netns exec "$LAB_SCAN" hyperfine --style basic --runs "$RUNS" --prepare "sleep $REFILL" \
        --export-json "$W/dozen.hf.json" \
        -n prtip "$(q "${P[@]}" -p "$ports" -oN /dev/null "$LAB_TGT_V4")" \
        -n nmap "$(q "${N3[@]}" -p "$ports" -oN /dev/null "$LAB_TGT_V4")" \
        -n nmap-T4 "$(q "${N4[@]}" -p "$ports" -oN /dev/null "$LAB_TGT_V4")" >&2
}

# ---- (top) ----
bench_top() {
    # The top 1000 UDP ports as prtip reads nmap-services (a dry run sends nothing).
    "$PRTIP" -sU -Pn -n --top-ports 1000 --dry-run "$LAB_TGT_V4" | awk '$1 == "probe" { print $3 }' |
        sort -n >"$W/top.ports"
    [ "$(wc -l <"$W/top.ports")" = 1000 ] || die "expected 1000 top UDP ports from the dry run"
    # Closed ports kept reachable: spread over the list, never a service port.
    python3 - "$W/top.ports" "$OPEN" "$KEEP_CLOSED" >"$W/top.truth" <<'EOF'
import sys
ports = [int(l) for l in open(sys.argv[1])]
opn = {int(p) for p in sys.argv[2].split(",")}
k = int(sys.argv[3])
cand = [p for p in ports if p not in opn]
step = len(cand) / k
closed = {cand[int(i * step)] for i in range(k)}
for p in ports:
    print(p, "open" if p in opn else "closed" if p in closed else "open|filtered")
EOF
    local keep
    keep="$(awk '$2 != "open|filtered" { print $1 }' "$W/top.truth" | paste -sd, -)"
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport != { $keep } drop
    }
}" || die "nft (top)"
    say "(top) prtip"
    run_one top prtip "$TOP_TIMEOUT" "${P[@]}" --top-ports 1000 "$LAB_TGT_V4"
    lab_guard "${N3[@]}" "$LAB_TGT_V4"
    # The -T4 run's source is the scanner's second lab address.
    LAB_SCAN_V4="$SCAN2_V4" lab_guard "${N4[@]}" -S "$SCAN2_V4" "$LAB_TGT_V4"
    say "(top) nmap and nmap -T4 in parallel (separate source addresses), up to $TOP_TIMEOUT s"
    run_one top nmap "$TOP_TIMEOUT" "${N3[@]}" --top-ports 1000 "$LAB_TGT_V4" &
    local p1=$!
    run_one top nmap-T4 "$TOP_TIMEOUT" "${N4[@]}" -S "$SCAN2_V4" --top-ports 1000 "$LAB_TGT_V4" &
    local p2=$!
    wait "$p1" "$p2"
}

[ "$ONLY" = top ] || bench_dozen
[ "$ONLY" = dozen ] || bench_top

CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
export RUNS KEEP_CLOSED TOP_TIMEOUT REFILL CPU OS ONLY
export SERVICES_TXT="${SERVICES[*]}"
export PRTIP_VER="$("$PRTIP" --version 2>/dev/null | head -n 1)" NMAP_VER="$("$NMAP" --version | head -n 1)"
export HF_VER="$(hyperfine --version | head -n 1)" COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
NPROC="$(nproc)" KERNEL="$(uname -r)" DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    python3 - "$W" >"$W/section.md" <<'EOF'
import json, os, sys
w = sys.argv[1]
E = os.environ
BURST, PER_S = 6, 1.0

def wall(path):
    for line in open(path):
        k, _, v = line.strip().rpartition(": ")
        if k.startswith("Elapsed (wall clock)"):
            s = 0.0
            for p in v.split(":"):
                s = s * 60 + float(p)
            return s
    return float("nan")

def rss(path):
    for line in open(path):
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024
    return float("nan")

def compare(scen, tool):
    truth = dict(l.split() for l in open(f"{w}/{scen}.truth"))
    got = {}
    for l in open(f"{w}/{scen}-{tool}.states"):
        p, st, _ = l.split()
        got[p] = st
    # nmap leaves ports in its "ignored states" summary out of the XML only
    # when they are many; -sU prints every port here (XML lists them all).
    same = sum(1 for p, s in truth.items() if got.get(p) == s)
    c2of = sum(1 for p, s in truth.items() if s == "closed" and got.get(p) == "open|filtered")
    diffs = sorted(((p, s, got.get(p, "missing")) for p, s in truth.items() if got.get(p) != s),
                   key=lambda x: int(x[0]))
    return same, len(truth), c2of, diffs

def floor(scen):
    closed = sum(1 for l in open(f"{w}/{scen}.truth") if l.split()[1] == "closed")
    return closed, max(0, closed - BURST) / PER_S

tools = [("prtip", "prtip -sU"), ("nmap", "nmap -sU"), ("nmap-T4", "nmap -sU -T4")]
out = []
out.append("### UDP scan against real services, default ICMP rate limit (lab veth)")
out.append("")
out.append(f"Target 198.18.0.2 in the lab's target namespace with the kernel's default ICMP rate limit "
           f"(net.ipv4.icmp_ratelimit=1000: a burst of {BURST} port unreachables per source, then one a "
           f"second), services: {E['SERVICES_TXT']}. Commands: `prtip -sU -Pn -n`, `nmap -sU -Pn -n -e lab0` "
           "(default timing) and `nmap -sU -Pn -n -e lab0 -T4`. **Floor**: the target's ICMP budget, "
           f"(closed ports − {BURST}) × 1 s: no scanner can tell every closed port from a silent one sooner. "
           "Agreement: each tool's per-port states against the ground truth; closed→o|f counts closed "
           "ports the tool called open|filtered (its probes met an empty ICMP bucket).")
out.append("")
if E["ONLY"] != "top":
    hf = {r["command"]: r for r in json.load(open(f"{w}/dozen.hf.json"))["results"]}
    closed, fl = floor("dozen")
    out.append(f"**A dozen ports** (`-p U:53,123,161,1000,1001,67,68,69,2000-2003`: 3 open, 2 dropped by "
               f"nftables, {closed} closed; floor {fl:.0f} s). Wall time: one hyperfine invocation, "
               f"{E['RUNS']} runs each, each after {E['REFILL']} s of quiet (`--prepare`) so that it meets a full ICMP "
               "bucket; states from one extra run each.")
    out.append("")
    out.append("| tool | median (s) | min … max (s) | floor (s) | states = truth | closed→o\\|f | peak RSS (MiB) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for t, label in tools:
        h = hf[t]
        same, n, c2of, diffs = compare("dozen", t)
        out.append(f"| `{label}` | {h['median']:.2f} | {h['min']:.2f} … {h['max']:.2f} | {fl:.0f} | "
                   f"{same} / {n} | {c2of} | {rss(f'{w}/dozen-{t}.time'):.1f} |")
    out.append("")
    p = hf["prtip"]["median"]
    out.append(f"**nmap / prtip: {hf['nmap']['median'] / p:.2f}; nmap -T4 / prtip: "
               f"{hf['nmap-T4']['median'] / p:.2f}** (medians; > 1: prtip is faster).")
    out.append("")
if E["ONLY"] != "dozen":
    closed, fl = floor("top")
    out.append(f"**Top 1000 UDP ports** (`--top-ports 1000`): nftables in the target drops every UDP port "
               f"but the 3 services and {closed} closed ports spread over the list, so the floor is "
               f"{fl:.0f} s instead of ~1000 s; {1000 - 3 - closed} ports are open|filtered. One run each "
               "(`/usr/bin/time -v`); the two nmap runs ran in parallel from two scanner addresses "
               "(198.18.0.1, and 198.18.0.3 via `-S` for -T4), which the target rate-limits separately; "
               f"prtip ran alone. Runs are cut at {E['TOP_TIMEOUT']} s.")
    out.append("")
    out.append("| tool | wall (s) | floor (s) | wall / floor | states = truth | closed→o\\|f | peak RSS (MiB) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    walls = {}
    for t, label in tools:
        rc = int(open(f"{w}/top-{t}.rc").read())
        if rc != 0:
            out.append(f"| `{label}` | > {E['TOP_TIMEOUT']} (exit {rc}) | {fl:.0f} | | | | |")
            continue
        wl = wall(f"{w}/top-{t}.time")
        walls[t] = wl
        same, n, c2of, diffs = compare("top", t)
        out.append(f"| `{label}` | {wl:.1f} | {fl:.0f} | {wl / fl if fl else float('nan'):.2f} | "
                   f"{same} / {n} | {c2of} | {rss(f'{w}/top-{t}.time'):.1f} |")
    out.append("")
    if "prtip" in walls:
        r = [f"{label} / prtip: {walls[t] / walls['prtip']:.2f}" for t, label in tools[1:] if t in walls]
        if r:
            out.append("**" + "; ".join(r) + "** (> 1: prtip is faster).")
            out.append("")
    for t, label in tools:
        try:
            same, n, c2of, diffs = compare("top", t)
        except OSError:
            continue
        other = [d for d in diffs if not (d[1] == "closed" and d[2] == "open|filtered")]
        if other:
            out.append(f"{label}: other differences from the truth: " +
                       ", ".join(f"{p} {g} (truth {s})" for p, s, g in other[:10]) + ".  ")
    out.append("")
out.append(f"Machine: {E['NPROC']} CPUs ({E['CPU']}), kernel {E['KERNEL']}, {E['OS']}.  ")
out.append(f"Versions: prtip `{E['PRTIP_VER']}` (commit {E['COMMIT']}), `{E['NMAP_VER']}`, `{E['HF_VER']}`.  ")
out.append(f"Measured: {E['DATE']} with `bench/udp.sh`.")
print("\n".join(out))
EOF
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" udp "$W/section.md"
    say "wrote the udp section of $DOC"
fi
