#!/usr/bin/env bash
# SYN-scan benchmarks in the namespace lab (tests/lab): prtip vs nmap,
# masscan and zmap, side by side in one run, against real listeners whose
# addresses and ports are the ground truth.
#
#   sudo bash bench/syn.sh [--no-write] [--only a|b] [PRTIP_BINARY]   (default build/prtip)
#
# (a) one host, 65,535 ports: 198.18.0.2 with LISTENERS random listeners plus
#     22,80,443. prtip -sS -p- -Pn -n, nmap -sS -p- -Pn -n --min-rate 100000
#     -T4, masscan -p1-65535 --rate MASSCAN_RATE_A. Wall time from one
#     hyperfine invocation (RUNS runs each, WARMUP warm-ups); found ports,
#     packets sent, probe rate, CPU and peak RSS from one extra measured
#     run each. prtip runs at its default rate. (zmap scans one port per
#     run: not in (a).)
# (b) a /17 x 3 ports: 198.18.128.0/17 made local in the target (AnyIP), a
#     wildcard listener on 22 (open everywhere) and on 443 with an nftables
#     "reject with tcp reset" for addresses whose index is not a multiple of 4
#     (open on 8,192), 80 closed: 40,960 open of 98,304 probes. prtip, masscan
#     and zmap (2.1.1 has no multi-port option: one run per port, summed) at
#     RATE pps and at each tool's maximum (prtip PRTIP_MAX_ARGS, masscan
#     --rate MASSCAN_MAX, zmap -r 0 = no limit); RUNS_B measured runs each;
#     medians of wall time, probe rate, found/truth, CPU, peak RSS.
#
# Measured per run: wall, user and system CPU and peak RSS from
# /usr/bin/time -v; packets sent = the scanner veth's tx_packets delta minus
# the scanner kernel's own RSTs (answers to SYN-ACKs, counted by nftables);
# SYN probes = an nftables counter in the target namespace; probe rate = SYN
# probes / time from the first to the last probe's arrival (that counter read
# every millisecond through libnftables). Results are the tool's own output files
# (-oG, masscan -oL, zmap csv), compared with the ground truth.
#
# Environment: NMAP MASSCAN ZMAP (tool paths), RUNS (5), WARMUP (1), RUNS_B (3),
# LISTENERS (20), RATE (100000), MASSCAN_RATE_A (100000), MASSCAN_MAX
# (100000000), MASSCAN_WAIT (1 s), ZMAP_COOLDOWN (1 s), PRTIP_MAX_ARGS
# ("--rate 100000000"), PRTIP_ARGS (extra prtip options for every run).
#
# Network safety: every packet stays in two namespaces made here (a veth pair,
# no default route, no forwarding). masscan and zmap ignore routing tables and
# would send anywhere they are told, so each of their command lines is
# checked (lab_guard) before it runs: the scanner namespace must have no
# default route, the target must not forward, the adapter must be the lab
# veth and every target must lie in 198.18.0.0/15.
#
# Until prtip's raw engine works its rows say "n/a" (with the reason); the
# peers are measured anyway. The markdown is printed and, unless --no-write,
# replaces the text between the syn-one-host / syn-range markers in
# docs/BENCHMARKS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-/usr/bin/nmap}"
MASSCAN="${MASSCAN:-$(command -v masscan || echo /usr/bin/masscan)}"
ZMAP="${ZMAP:-$(command -v zmap || echo /usr/sbin/zmap)}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
RUNS_B="${RUNS_B:-3}"
LISTENERS="${LISTENERS:-20}"
RATE="${RATE:-100000}"
MASSCAN_RATE_A="${MASSCAN_RATE_A:-100000}"
MASSCAN_MAX="${MASSCAN_MAX:-100000000}"
MASSCAN_WAIT="${MASSCAN_WAIT:-1}"
ZMAP_COOLDOWN="${ZMAP_COOLDOWN:-1}"
PRTIP_MAX_ARGS="${PRTIP_MAX_ARGS:---rate 100000000}"
PRTIP_ARGS="${PRTIP_ARGS:-}"
DOC="$ROOT/docs/BENCHMARKS.md"
RANGE="198.18.128.0/17"

die() { echo "bench/syn.sh: $*" >&2; exit 1; }
say() { echo "bench/syn.sh: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in ip nft python3 hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed (iproute2 nftables python3 hyperfine time)"
done
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
[ -x "$MASSCAN" ] || die "masscan not found at $MASSCAN (apt-get install masscan)"
[ -x "$ZMAP" ] || die "zmap not found at $ZMAP (apt-get install zmap)"

W="$(mktemp -d /tmp/prtip-bench-syn.XXXXXX)"
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

LAB="b$$"
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "could not make $RANGE local in $LAB_TGT"
# SYN floods to the listeners are the point: answer them all (SYN cookies
# when the queue is full), and do not forward anything.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.ip_forward=0 \
    net.ipv6.conf.all.forwarding=0 >/dev/null
ip netns exec "$LAB_SCAN" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null
# libpcap (masscan, zmap) sizes every receive-ring slot for 64 KiB when the
# interface has segmentation offloads on (a veth has TSO/GSO on by default),
# so its default 2 MiB ring holds a few dozen frames and a burst of replies
# overflows it: the peers would lose answers to a lab artefact. Turn TSO,
# GSO and GRO off on the scanner's veth (ethtool -K, through SIOCETHTOOL:
# ethtool is not a dependency); the send and receive paths are otherwise
# unchanged.
ip netns exec "$LAB_SCAN" python3 - "$LAB_IF" <<'EOF' || die "could not turn off offloads on $LAB_IF"
import ctypes, fcntl, socket, struct, sys
SIOCETHTOOL = 0x8946
class Value(ctypes.Structure):
    _fields_ = [("cmd", ctypes.c_uint32), ("data", ctypes.c_uint32)]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def ethtool(cmd, data=0):
    v = Value(cmd, data)
    fcntl.ioctl(sock, SIOCETHTOOL, struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(v)) + bytes(16))
    return v.data
for name, get, set_ in (("tso", 0x1e, 0x1f), ("gso", 0x23, 0x24), ("gro", 0x2b, 0x2c)):
    ethtool(set_, 0)
    if ethtool(get):
        sys.exit(f"{name} is still on")
EOF
mac_of() { ip -n "$1" -o link show dev "$LAB_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
SCAN_MAC="$(mac_of "$LAB_SCAN")"
TGT_MAC="$(mac_of "$LAB_TGT")"
if [ -z "$SCAN_MAC" ] || [ -z "$TGT_MAC" ]; then die "could not read the lab's MAC addresses"; fi

# lab_guard (tests/lab/lib.sh) checks every peer command line before it runs.

# Counters in the scanner namespace: the kernel's RSTs (to SYN-ACKs it has no
# socket for) are not the tool's packets; the keep-alive datagrams below are
# dropped silently (no ICMP answer on the wire).
load_counters() {
    lab_nft "$LAB_SCAN" "
table inet prtip_lab {
    chain out {
        type filter hook output priority 0; policy accept;
        tcp flags & rst == rst counter
    }
    chain in {
        type filter hook input priority 0; policy accept;
        udp dport 9 drop
    }
}" || die "could not load the scanner's nftables counters"
}
# In the target namespace (a table of its own, beside the lab's ruleset): the
# SYN probes that arrived, whoever sent them.
load_target_counter() {
    ip netns exec "$LAB_TGT" nft delete table inet prtip_bench 2>/dev/null || true
    printf '%s\n' "table inet prtip_bench {
    counter syns {
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        tcp flags & (syn | ack) == syn counter name \"syns\"
    }
}" | ip netns exec "$LAB_TGT" nft -f - || die "could not load the target's probe counter"
}
counter_of() { # NS TABLE CHAIN -> packets of the chain's first counter
    ip netns exec "$1" nft list chain inet "$2" "$3" |
        awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}
kernel_rsts() { counter_of "$LAB_SCAN" prtip_lab out; }
tx_stat() { ip netns exec "$LAB_SCAN" cat "/sys/class/net/$LAB_IF/statistics/$1"; }

# masscan's receive thread (libpcap, TPACKET_V3) only wakes when a frame
# arrives: on a silent link it never notices that --wait has run out. A
# datagram every 20 ms from the target keeps it ticking (dropped on arrival).
ip netns exec "$LAB_TGT" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    s.sendto(b"tick", (sys.argv[1], 9))
    time.sleep(0.02)' "$LAB_SCAN_V4" &
PIDS+=($!)

# measure BENCH TOOL CONFIG RUN PARSE OUTFILE CMD...: one run in the scanner
# namespace under /usr/bin/time -v with the tx sampler; appends a JSON record
# to $W/runs.jsonl. PARSE is gnmap|masscan|zmap, OUTFILE the tool's results.
measure() {
    local bench="$1" tool="$2" config="$3" run="$4" parse="$5" out="$6"
    shift 6
    local tag="$W/$bench-$tool-$config-$run"
    load_counters
    load_target_counter
    rm -f "$out"
    local tx0 drop0
    tx0="$(tx_stat tx_packets)"
    drop0="$(tx_stat tx_dropped)"
    ip netns exec "$LAB_TGT" python3 "$ROOT/bench/sampler.py" nft inet prtip_bench syns \
        >"$tag.samples" &
    local spid=$!
    local _
    for _ in $(seq 1 100); do grep -q ready "$tag.samples" 2>/dev/null && break; sleep 0.02; done
    local rc=0
    ip netns exec "$LAB_SCAN" /usr/bin/time -v -o "$tag.time" timeout -k 5 300 "$@" \
        >"$tag.out" 2>"$tag.err" || rc=$?
    sleep 0.05
    kill -TERM "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    [ "$rc" -eq 0 ] || die "$tool ($bench $config) exited $rc: $* :: $(tail -c 400 "$tag.err" | tr '\r' '\n' | tail -n 3)"
    local sent drops
    sent=$(($(tx_stat tx_packets) - tx0 - $(kernel_rsts)))
    drops=$(($(tx_stat tx_dropped) - drop0))
    python3 - "$tag" "$bench" "$tool" "$config" "$run" "$parse" "$out" "$sent" "$W/truth-$bench" \
        "$drops" <<'EOF' >>"$W/runs.jsonl"
import json, re, sys
tag, bench, tool, config, run, parse, out, sent, truthf, drops = sys.argv[1:11]
t = {}
for line in open(tag + ".time"):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
def secs(v):
    parts = [float(x) for x in v.split(":")]
    s = 0.0
    for p in parts:
        s = s * 60 + p
    return s
wall = secs(t["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
user, sys_ = float(t["User time (seconds)"]), float(t["System time (seconds)"])
rss = int(t["Maximum resident set size (kbytes)"])
# SYN counter samples: the sending time runs from the last sample before the
# first probe arrived to the first sample that shows the final count.
samples = [l.split() for l in open(tag + ".samples") if l[0].isdigit()]
samples = [(float(a), int(b)) for a, b in samples]
syns = samples[-1][1] if samples else 0
start = end = None
for i, (ts, v) in enumerate(samples):
    if start is None and v > 0:
        start = samples[i - 1][0] if i else ts
    if v == syns:
        end = ts
        break
span = (end - start) if start is not None and end is not None and end > start else 0.0
pps = syns / span if span > 0 else 0.0
sent = int(sent)
found = set()
if parse == "gnmap":
    for line in open(out):
        m = re.match(r"Host: (\S+) .*Ports: (.*)", line)
        if not m:
            continue
        for entry in m.group(2).split("\t")[0].split(", "):
            f = entry.split("/")
            if len(f) > 2 and f[1] == "open":
                found.add(f"{m.group(1)} {f[0].strip()}")
elif parse == "masscan":
    for line in open(out):
        f = line.split()
        if len(f) >= 4 and f[0] == "open":
            found.add(f"{f[3]} {f[2]}")
elif parse == "zmap":
    for line in open(out):
        f = line.strip().split(",")
        if len(f) >= 2 and f[1].isdigit():
            found.add(f"{f[0]} {f[1]}")
truth = set(l.strip() for l in open(truthf) if l.strip())
open(tag + ".found", "w").write("".join(sorted(x + "\n" for x in found)))
print(json.dumps(dict(bench=bench, tool=tool, config=config, run=int(run), wall=wall,
    user=user, sys=sys_, rss_kb=rss, sent=sent, syns=syns, drops=int(drops), send_s=span, pps=pps,
    found=len(found & truth), extra=len(found - truth), truth=len(truth),
    found_file=tag + ".found")))
EOF
}

# --- is prtip's raw engine there? --------------------------------------------
PRTIP_OK=0
PRTIP_WHY="binary $PRTIP not found"
PRTIP_VER="n/a"
if [ -x "$PRTIP" ]; then
    PRTIP_VER="$("$PRTIP" --version 2>/dev/null | head -n 1 || echo unknown)"
    lab_listen "$LAB_TGT" "$W/probe-listen.txt" --addr "$LAB_TGT_V4" --ports 22 >/dev/null ||
        die "could not start a listener"
    PIDS+=("$LAB_LISTEN_PID")
    rc=0
    # shellcheck disable=SC2086
    ip netns exec "$LAB_SCAN" timeout -k 5 60 "$PRTIP" -sS -Pn -n -p 22 $PRTIP_ARGS -oG "$W/probe.gnmap" \
        "$LAB_TGT_V4" >/dev/null 2>"$W/probe.err" || rc=$?
    if [ "$rc" -eq 0 ] && grep -q '22/open/tcp' "$W/probe.gnmap" 2>/dev/null; then
        PRTIP_OK=1
    else
        PRTIP_WHY="prtip -sS does not work yet (exit $rc: $(head -n 1 "$W/probe.err"))"
    fi
    kill "$LAB_LISTEN_PID" 2>/dev/null || true
    wait "$LAB_LISTEN_PID" 2>/dev/null || true
fi
[ "$PRTIP_OK" = 1 ] || say "prtip: n/a — $PRTIP_WHY"

NMAP_VER="$("$NMAP" --version | head -n 1)"
MASSCAN_VER="$({ "$MASSCAN" --version 2>/dev/null || true; } | grep -m1 -i 'masscan version' | sed 's/ *( .*//')"
ZMAP_VER="$("$ZMAP" --version 2>&1 | head -n 1)"
HF_VER="$(hyperfine --version | head -n 1)"
: >"$W/runs.jsonl"
MASSCAN_COMMON=(--adapter "$LAB_IF" --adapter-ip "$LAB_SCAN_V4" --adapter-mac "$SCAN_MAC" --router-mac "$TGT_MAC")
: >"$W/blocklist.conf"   # zmap's default blocklist holds 198.18.0.0/15; ours is empty
ZMAP_COMMON=(-i "$LAB_IF" -S "$LAB_SCAN_V4" -G "$TGT_MAC" -b "$W/blocklist.conf" -c "$ZMAP_COOLDOWN"
    -q --disable-syslog -O csv -f "saddr,sport" --output-filter "success = 1 && repeat = 0")

# --- (a) one host, 65,535 ports ------------------------------------------------
bench_a() {
    say "(a) one host, 65,535 ports"
    ip netns exec "$LAB_TGT" nft delete table inet prtip_lab 2>/dev/null || true
    lab_listen "$LAB_TGT" "$W/listen-a.txt" --addr "$LAB_TGT_V4" --ports 22,80,443 --random "$LISTENERS" ||
        die "could not start the listeners"
    local lpid="$LAB_LISTEN_PID"
    PIDS+=("$lpid")
    awk '$1 == "open" { print $2, $3 }' "$W/listen-a.txt" | sort -u >"$W/truth-a"
    local tgt="$LAB_TGT_V4"
    local p_cmd="$PRTIP -sS -p- -Pn -n $PRTIP_ARGS $tgt"
    local n_cmd="$NMAP -sS -p- -Pn -n --min-rate 100000 -T4 $tgt"
    local m_cmd="$MASSCAN ${MASSCAN_COMMON[*]} -p1-65535 --rate $MASSCAN_RATE_A --wait $MASSCAN_WAIT $tgt"
    # The command strings are split into words on purpose (hyperfine wants strings).
    # shellcheck disable=SC2086
    lab_guard $m_cmd
    # shellcheck disable=SC2086
    {
        if [ "$PRTIP_OK" = 1 ]; then
            measure a prtip default 1 gnmap "$W/a-prtip.gnmap" $p_cmd -oG "$W/a-prtip.gnmap"
        fi
        measure a nmap default 1 gnmap "$W/a-nmap.gnmap" $n_cmd -oG "$W/a-nmap.gnmap"
        lab_guard $m_cmd
        measure a masscan default 1 masscan "$W/a-masscan.txt" $m_cmd -oL "$W/a-masscan.txt"
    }
    local hf=(-n nmap "$n_cmd" -n masscan "$m_cmd")
    [ "$PRTIP_OK" = 1 ] && hf=(-n prtip "$p_cmd" "${hf[@]}")
    # shellcheck disable=SC2086
    lab_guard $m_cmd
    ip netns exec "$LAB_SCAN" hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$W/hyperfine-a.json" "${hf[@]}" >&2
    kill "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
}

# --- (b) a /17 x 3 ports ----------------------------------------------------------
bench_b() {
    say "(b) $RANGE x 22,80,443"
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $RANGE tcp dport 443 ip daddr & 0.0.0.3 != 0.0.0.0 reject with tcp reset
    }
}" || die "could not load the target's ruleset"
    lab_listen "$LAB_TGT" "$W/listen-b.txt" --addr 0.0.0.0 --ports 22,443 --backlog 4096 ||
        die "could not start the listeners"
    local lpid="$LAB_LISTEN_PID"
    PIDS+=("$lpid")
    python3 - "$RANGE" >"$W/truth-b" <<'EOF'
import ipaddress, sys
net = ipaddress.ip_network(sys.argv[1])
for i in range(net.num_addresses):
    a = net.network_address + i
    print(f"{a} 22")
    if i % 4 == 0:
        print(f"{a} 443")
EOF
    local run cfg
    for cfg in rate max; do
        local prate mrate zrate
        if [ "$cfg" = rate ]; then
            prate="--rate $RATE"; mrate="$RATE"; zrate="$RATE"
        else
            prate="$PRTIP_MAX_ARGS"; mrate="$MASSCAN_MAX"; zrate=0
        fi
        for run in $(seq 1 "$RUNS_B"); do
            say "(b) $cfg run $run/$RUNS_B"
            # shellcheck disable=SC2086
            if [ "$PRTIP_OK" = 1 ]; then
                measure b prtip "$cfg" "$run" gnmap "$W/b-prtip.gnmap" \
                    "$PRTIP" -sS -Pn -n -p 22,80,443 $prate $PRTIP_ARGS -oG "$W/b-prtip.gnmap" "$RANGE"
            fi
            local m=("$MASSCAN" "${MASSCAN_COMMON[@]}" "-p22,80,443" --rate "$mrate" --wait "$MASSCAN_WAIT" "$RANGE")
            lab_guard "${m[@]}"
            measure b masscan "$cfg" "$run" masscan "$W/b-masscan.txt" "${m[@]}" -oL "$W/b-masscan.txt"
            local port
            for port in 22 80 443; do
                local z=("$ZMAP" "${ZMAP_COMMON[@]}" -p "$port" -r "$zrate" "$RANGE")
                lab_guard "${z[@]}"
                measure b "zmap:$port" "$cfg" "$run" zmap "$W/b-zmap-$port.csv" "${z[@]}" -o "$W/b-zmap-$port.csv"
            done
        done
    done
    kill "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
}

[ "$ONLY" = b ] || bench_a
[ "$ONLY" = a ] || bench_b

# --- report -------------------------------------------------------------------------
CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
export PRTIP_OK PRTIP_WHY PRTIP_VER NMAP_VER MASSCAN_VER ZMAP_VER HF_VER CPU OS COMMIT RUNS WARMUP \
    RUNS_B RATE MASSCAN_RATE_A MASSCAN_MAX MASSCAN_WAIT ZMAP_COOLDOWN PRTIP_MAX_ARGS PRTIP_ARGS \
    LISTENERS RANGE ONLY
NPROC="$(nproc)" KERNEL="$(uname -r)" DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    python3 - "$W" <<'EOF'
import json, os, statistics, sys
w = sys.argv[1]
E = os.environ
runs = [json.loads(l) for l in open(f"{w}/runs.jsonl") if l.strip()]
prtip_ok = E["PRTIP_OK"] == "1"
na = f"n/a ({E['PRTIP_WHY']})"

def med(xs):
    return statistics.median(xs) if xs else float("nan")

def drops(n):
    return f" ({n:,} dropped by veth)" if n else ""

def method(lines):
    lines.append("")
    lines.append("Packets sent: everything the tool put on the scanner's veth (tx_packets delta minus the "
                 "scanner kernel's own RSTs to SYN-ACKs); masscan also answers the target's RSTs with "
                 "RSTs of its own. SYNs at target: probes counted by nftables in the target namespace. "
                 "Probe pps: SYNs at target / sending time (first to last probe arriving, from that "
                 "counter sampled every millisecond). TSO, GSO and GRO are off on the scanner's "
                 "veth: with them on, libpcap (masscan, zmap) sizes its ring slots for 64 KiB and "
                 "drops bursts of replies (masscan then found 16 of 23 ports in (a) and about half "
                 "of (b) even at 100k pps).")

def footer(lines):
    lines.append("")
    lines.append(f"Machine: {E['NPROC']} CPUs ({E['CPU']}), kernel {E['KERNEL']}, {E['OS']}.  ")
    lines.append(f"Versions: prtip `{E['PRTIP_VER']}` (commit {E['COMMIT']}), `{E['NMAP_VER']}`, "
                 f"`{E['MASSCAN_VER']}`, `{E['ZMAP_VER']}`, `{E['HF_VER']}`.  ")
    lines.append(f"Measured: {E['DATE']} with `bench/syn.sh`.")

# ---- (a)
if E["ONLY"] != "b":
    hf = {r["command"]: r for r in json.load(open(f"{w}/hyperfine-a.json"))["results"]}
    one = {r["tool"]: r for r in runs if r["bench"] == "a"}
    L = ["### SYN scan, one host, 65,535 ports (lab veth)", ""]
    L.append(f"Target 198.18.0.2 in the lab's target namespace with {int(E['LISTENERS']) + 3} listeners "
             "(22, 80, 443 and random ports; the ground truth). Commands (`-oG` added for the "
             "measured run): `prtip -sS -p- -Pn -n" + (" " + E["PRTIP_ARGS"] if E["PRTIP_ARGS"] else "") +
             "` (its default rate), `nmap -sS -p- -Pn -n --min-rate 100000 -T4`, `masscan -p1-65535 --rate "
             f"{E['MASSCAN_RATE_A']} --wait {E['MASSCAN_WAIT']}` (with `--adapter`, `--adapter-ip`, "
             "`--router-mac` for the namespace). Wall time: one hyperfine invocation, "
             f"--warmup {E['WARMUP']} --runs {E['RUNS']}; the other columns: one extra measured run each. "
             "zmap scans one port per run and is left out here.")
    L.append("")
    L.append("| tool | median (s) | mean ± σ (s) | min … max (s) | open found / truth | packets sent | SYNs at target | probe pps | CPU user+sys (s) | peak RSS (MiB) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tool in ("prtip", "nmap", "masscan"):
        if tool == "prtip" and not prtip_ok:
            L.append(f"| prtip | {na} | | | | | | | | |")
            continue
        h, r = hf[tool], one[tool]
        extra = f" (+{r['extra']} wrong)" if r["extra"] else ""
        L.append(f"| {tool} | {h['median']:.3f} | {h['mean']:.3f} ± {h['stddev'] or 0:.3f} | "
                 f"{h['min']:.3f} … {h['max']:.3f} | {r['found']} / {r['truth']}{extra} | {r['sent']:,} | "
                 f"{r['syns']:,}{drops(r['drops'])} | {r['pps']:,.0f} | {r['user'] + r['sys']:.2f} | {r['rss_kb'] / 1024:.1f} |")
    L.append("")
    n = hf["nmap"]
    if n["min"] > 0 and n["max"] / n["min"] > 5:
        L.append(f"nmap is bimodal here ({n['min']:.2f} … {n['max']:.2f} s): with `--min-rate 100000` a "
                 "run either keeps up with the veth or loses replies, retransmits for seconds and may "
                 "still miss open ports; its median moves between reruns.  ")
    if prtip_ok:
        p = hf["prtip"]["median"]
        for tool in ("nmap", "masscan"):
            ratio = hf[tool]["median"] / p if p > 0 else float("inf")
            L.append(f"**{tool} median / prtip median: {ratio:.2f}** (> 1: prtip is faster).  ")
    else:
        L.append("Ratios: n/a until prtip's raw engine works.")
    method(L)
    footer(L)
    open(f"{w}/section-a.md", "w").write("\n".join(L) + "\n")

# ---- (b)
if E["ONLY"] != "a":
    # zmap's three per-port runs form one scan.
    agg = {}
    for r in runs:
        if r["bench"] != "b":
            continue
        tool = "zmap" if r["tool"].startswith("zmap:") else r["tool"]
        k = (tool, r["config"], r["run"])
        a = agg.setdefault(k, dict(wall=0, user=0, sys=0, rss_kb=0, sent=0, syns=0, drops=0,
                                   send_s=0, found=set(), truth=r["truth"], parts=0))
        for f in ("wall", "user", "sys", "sent", "syns", "drops", "send_s"):
            a[f] += r[f]
        a["rss_kb"] = max(a["rss_kb"], r["rss_kb"])
        a["found"] |= set(open(r["found_file"]).read().split("\n")) - {""}
        a["parts"] += 1
    truth = set(l.strip() for l in open(f"{w}/truth-b") if l.strip())
    L = [f"### SYN scan, {E['RANGE']} (32,768 addresses) × 3 ports (lab veth, AnyIP)", ""]
    L.append(f"{E['RANGE']} is local to the target namespace (AnyIP); listeners on 22 (every address) and "
             "443 (every 4th address; the others reset by nftables), 80 closed: "
             f"{len(truth):,} open of 98,304 probes. `rate`: each tool asked for {int(E['RATE']):,} pps "
             f"(prtip `--rate`, masscan `--rate`, zmap `-r`); `max`: prtip `{E['PRTIP_MAX_ARGS']}`, "
             f"masscan `--rate {E['MASSCAN_MAX']}`, zmap `-r 0` (no limit). masscan `--wait "
             f"{E['MASSCAN_WAIT']}`, zmap `-c {E['ZMAP_COOLDOWN']}` (zmap 2.1.1 scans one port per "
             "run: three runs, summed). Medians of "
             f"{E['RUNS_B']} runs; CPU and peak RSS from `/usr/bin/time -v`.")
    L.append("")
    L.append("| config | tool | wall (s) | packets sent | SYNs at target | probe pps | open found / truth (min) | CPU user+sys (s) | peak RSS (MiB) |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for cfg in ("rate", "max"):
        for tool in ("prtip", "masscan", "zmap"):
            rs = [v for (t, c, _), v in agg.items() if t == tool and c == cfg]
            label = f"{int(E['RATE']):,} pps" if cfg == "rate" else "max"
            if tool == "prtip" and not prtip_ok:
                L.append(f"| {label} | prtip | {na} | | | | | | |")
                continue
            if not rs:
                continue
            pps = [r["syns"] / r["send_s"] if r["send_s"] > 0 else 0 for r in rs]
            found = [len(r["found"] & truth) for r in rs]
            extra = [len(r["found"] - truth) for r in rs]
            s = dict(wall=med([r["wall"] for r in rs]), sent=med([r["sent"] for r in rs]),
                     syns=med([r["syns"] for r in rs]), drops=max(r["drops"] for r in rs),
                     pps=med(pps), found=med(found), fmin=min(found),
                     cpu=med([r["user"] + r["sys"] for r in rs]), rss=med([r["rss_kb"] for r in rs]))
            summary[(tool, cfg)] = s
            ex = f" (+{max(extra)} wrong)" if max(extra) else ""
            L.append(f"| {label} | {tool} | {s['wall']:.2f} | {s['sent']:,.0f} | "
                     f"{s['syns']:,.0f}{drops(s['drops'])} | {s['pps']:,.0f} | "
                     f"{s['found']:,.0f} / {len(truth):,} ({s['fmin']:,}){ex} | {s['cpu']:.2f} | "
                     f"{s['rss'] / 1024:.1f} |")
    L.append("")
    if prtip_ok:
        for cfg in ("rate", "max"):
            p = summary.get(("prtip", cfg))
            for tool in ("masscan", "zmap"):
                o = summary.get((tool, cfg))
                if p and o and o["pps"] > 0 and p["wall"] > 0:
                    L.append(f"**{cfg}: prtip pps / {tool} pps = {p['pps'] / o['pps']:.2f}; "
                             f"{tool} wall / prtip wall = {o['wall'] / p['wall']:.2f}; found "
                             f"{p['found'] / len(truth):.1%} vs {o['found'] / len(truth):.1%}.**  ")
    else:
        L.append("Ratios: n/a until prtip's raw engine works.")
    method(L)
    footer(L)
    open(f"{w}/section-b.md", "w").write("\n".join(L) + "\n")
EOF

for s in a b; do
    [ -f "$W/section-$s.md" ] && cat "$W/section-$s.md" && echo
done

if [ "$WRITE" = 1 ]; then
    python3 - "$DOC" "$W" <<'EOF'
import os, sys
doc, w = sys.argv[1:3]
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n"
for s, name in (("a", "syn-one-host"), ("b", "syn-range")):
    path = f"{w}/section-{s}.md"
    if not os.path.exists(path):
        continue
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{open(path).read().rstrip()}\n{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + (tail[1:] if tail.startswith("\n") else tail)
    else:
        text = text.rstrip("\n") + "\n\n" + block
open(doc, "w").write(text)
EOF
    say "wrote the syn-one-host / syn-range sections of $DOC"
fi
