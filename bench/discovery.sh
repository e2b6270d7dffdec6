#!/usr/bin/env bash
# Host discovery benchmark in the namespace lab (tests/lab): -sn over a /16
# of AnyIP addresses, prtip vs nmap vs zmap's icmp_echoscan, in one run.
#
#   sudo bash bench/discovery.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Lab: the pair topology (scanner 198.18.0.1, target 198.18.0.2 on a veth);
# RANGE (198.19.0.0/16, outside the veth's /24) is local to the target
# (AnyIP: `ip route add local RANGE dev lo`) and routed there from the
# scanner, so every address answers ICMP echo, and TCP with a reset, from
# the target's kernel. nftables in the target drops everything sent to
# addresses whose last octet is a multiple of 4, and to all of
# 198.19.64.0/20: those hosts are down. Ground truth: the rest (46,080 of
# 65,536).
#
# Commands (all at RATE probes/s, default 50,000; all in the scanner
# namespace):
#   prtip -sn -n --rate RATE            nmap's default probes: echo, SYN 443,
#                                       ACK 80, timestamp (4 probes per host)
#   prtip -sn -n -PE --rate RATE        echo only
#   nmap  -sn -n -PE --min-rate RATE    echo only (nmap's default probes
#                                       would take 4x the packets)
#   zmap  -M icmp_echoscan -r RATE      echo only, -c ZMAP_COOLDOWN
# Wall time: one hyperfine invocation (RUNS runs each, default 3, no
# warm-up); hosts found, packets sent and peak RSS: one extra run each under
# /usr/bin/time -v, results from -oG (prtip, nmap) or zmap's csv.
#
# Network safety: the scanner namespace has no default route; zmap and
# nmap command lines are checked by lab_guard (tests/lab/lib.sh) before
# every run (no default route, no forwarding in the target, the lab veth,
# targets in 198.18.0.0/15). The namespaces are removed on exit.
#
# Environment: RUNS (3), RATE (50000), ZMAP_COOLDOWN (2), NMAP ZMAP (paths),
# PRTIP_ARGS (extra prtip options).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-/usr/bin/nmap}"
ZMAP="${ZMAP:-$(command -v zmap || echo /usr/sbin/zmap)}"
RUNS="${RUNS:-3}"
RATE="${RATE:-50000}"
ZMAP_COOLDOWN="${ZMAP_COOLDOWN:-2}"
PRTIP_ARGS="${PRTIP_ARGS:-}"
DOC="$ROOT/docs/BENCHMARKS.md"
RANGE="198.19.0.0/16"
DOWN_BLOCK="198.19.64.0/20"

die() { echo "bench/discovery.sh: $*" >&2; exit 1; }
say() { echo "bench/discovery.sh: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in ip nft python3 hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed"
done
[ -x "$PRTIP" ] || die "prtip not found at $PRTIP"
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
[ -x "$ZMAP" ] || die "zmap not found at $ZMAP (apt-get install zmap)"

W="$(mktemp -d /tmp/prtip-bench-disc.XXXXXX)"
LAB=""
cleanup() {
    [ -z "$LAB" ] || lab_down "$LAB"
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAB="d$$"
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "could not make $RANGE local in $LAB_TGT"
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.ip_forward=0 >/dev/null
# Every echo is answered (the lab lifts the ICMP rate limits).
lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $DOWN_BLOCK drop
        ip daddr $RANGE ip daddr & 0.0.0.3 == 0.0.0.0 drop
    }
}" || die "could not load the target's ruleset"
python3 - "$RANGE" "$DOWN_BLOCK" >"$W/truth" <<'EOF'
import ipaddress, sys
net, block = ipaddress.ip_network(sys.argv[1]), ipaddress.ip_network(sys.argv[2])
for a in net:
    if a not in block and int(a) % 4 != 0:
        print(a)
EOF
TRUTH="$(wc -l <"$W/truth")"
TGT_MAC="$(ip -n "$LAB_TGT" -o link show dev "$LAB_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
[ -n "$TGT_MAC" ] || die "could not read the target's MAC"
: >"$W/blocklist.conf" # zmap's default blocklist holds 198.18.0.0/15; ours is empty

P_DEF=("$PRTIP" -sn -n --rate "$RATE")
P_PE=("$PRTIP" -sn -n -PE --rate "$RATE")
# shellcheck disable=SC2206
[ -z "$PRTIP_ARGS" ] || { P_DEF+=($PRTIP_ARGS); P_PE+=($PRTIP_ARGS); }
N_PE=("$NMAP" -sn -n -PE -e "$LAB_IF" --min-rate "$RATE")
Z_PE=("$ZMAP" -M icmp_echoscan -i "$LAB_IF" -S "$LAB_SCAN_V4" -G "$TGT_MAC" -b "$W/blocklist.conf"
    -r "$RATE" -c "$ZMAP_COOLDOWN" -q --disable-syslog -O csv -f saddr
    --output-filter "success = 1 && repeat = 0")
tx_packets() { ip netns exec "$LAB_SCAN" cat "/sys/class/net/$LAB_IF/statistics/tx_packets"; }

# measure NAME OUTFILE CMD...: one run under /usr/bin/time -v; a JSON record.
measure() {
    local name="$1" out="$2"
    shift 2
    say "measured run: $name"
    local tx0 rc=0
    tx0="$(tx_packets)"
    ip netns exec "$LAB_SCAN" /usr/bin/time -v -o "$W/$name.time" timeout -k 5 600 "$@" \
        >"$W/$name.out" 2>"$W/$name.err" || rc=$?
    [ "$rc" -eq 0 ] || die "$name exited $rc: $(tail -n 3 "$W/$name.err")"
    python3 - "$W/$name.time" "$out" "$W/truth" "$name" "$(($(tx_packets) - tx0))" <<'EOF' >>"$W/runs.jsonl"
import json, re, sys
tfile, out, truthf, name, sent = sys.argv[1:6]
t = {}
for line in open(tfile):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
wall = 0.0
for p in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
    wall = wall * 60 + float(p)
found = set()
for line in open(out):
    m = re.match(r"Host: (\S+) .*Status: Up", line)
    if m:
        found.add(m.group(1))
    elif re.match(r"^\d+\.\d+\.\d+\.\d+$", line.strip()):
        found.add(line.strip())
truth = set(l.strip() for l in open(truthf) if l.strip())
print(json.dumps(dict(name=name, wall=wall, rss_kb=int(t["Maximum resident set size (kbytes)"]),
    cpu=float(t["User time (seconds)"]) + float(t["System time (seconds)"]), sent=int(sent),
    found=len(found & truth), extra=len(found - truth), truth=len(truth))))
EOF
}

: >"$W/runs.jsonl"
measure prtip "$W/prtip.gnmap" "${P_DEF[@]}" -oG "$W/prtip.gnmap" "$RANGE"
measure prtip-PE "$W/prtip-PE.gnmap" "${P_PE[@]}" -oG "$W/prtip-PE.gnmap" "$RANGE"
lab_guard "${N_PE[@]}" "$RANGE"
measure nmap-PE "$W/nmap-PE.gnmap" "${N_PE[@]}" -oG "$W/nmap-PE.gnmap" "$RANGE"
lab_guard "${Z_PE[@]}" "$RANGE"
measure zmap "$W/zmap.csv" "${Z_PE[@]}" -o "$W/zmap.csv" "$RANGE"

q() { printf '%q ' "$@"; }
HF=(-n "prtip -sn" "$(q "${P_DEF[@]}" -oN /dev/null "$RANGE")"
    -n "prtip -sn -PE" "$(q "${P_PE[@]}" -oN /dev/null "$RANGE")"
    -n "nmap -sn -PE" "$(q "${N_PE[@]}" -oN /dev/null "$RANGE")"
    -n "zmap icmp_echoscan" "$(q "${Z_PE[@]}" -o /dev/null "$RANGE")")
lab_guard "${N_PE[@]}" "$RANGE"
lab_guard "${Z_PE[@]}" "$RANGE"
say "hyperfine, $RUNS runs each"
ip netns exec "$LAB_SCAN" hyperfine --style basic --runs "$RUNS" --export-json "$W/hf.json" \
    "${HF[@]}" >&2

CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
export RANGE DOWN_BLOCK RATE RUNS ZMAP_COOLDOWN TRUTH CPU OS
export PRTIP_VER="$("$PRTIP" --version 2>/dev/null | head -n 1)"
export NMAP_VER="$("$NMAP" --version | head -n 1)" ZMAP_VER="$("$ZMAP" --version 2>&1 | head -n 1)"
export HF_VER="$(hyperfine --version | head -n 1)" COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
NPROC="$(nproc)" KERNEL="$(uname -r)" DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    python3 - "$W" >"$W/section.md" <<'EOF'
import json, os, sys
w = sys.argv[1]
E = os.environ
hf = {r["command"]: r for r in json.load(open(f"{w}/hf.json"))["results"]}
one = {r["name"]: r for r in (json.loads(l) for l in open(f"{w}/runs.jsonl") if l.strip())}
rows = [("prtip -sn", "prtip", "echo + SYN 443 + ACK 80 + timestamp"),
        ("prtip -sn -PE", "prtip-PE", "echo"),
        ("nmap -sn -PE", "nmap-PE", "echo"),
        ("zmap icmp_echoscan", "zmap", "echo")]
print(f"### Host discovery, {E['RANGE']} (65,536 AnyIP addresses), `-sn`")
print()
print(f"{E['RANGE']} is local to the lab's target namespace (AnyIP) and routed there from the scanner; "
      f"nftables drops everything to addresses whose last octet is a multiple of 4 and to "
      f"{E['DOWN_BLOCK']}: **{int(E['TRUTH']):,} hosts up** (the ground truth). Every tool at "
      f"{int(E['RATE']):,} probes/s: `prtip -sn -n --rate R` (nmap's default probes), "
      f"`prtip -sn -n -PE --rate R`, `nmap -sn -n -PE -e lab0 --min-rate R`, `zmap -M icmp_echoscan "
      f"-r R -c {E['ZMAP_COOLDOWN']}` (`-i lab0 -S 198.18.0.1 -G <target MAC>`, empty blocklist). "
      f"Wall time: one hyperfine invocation, {E['RUNS']} runs each; hosts found, frames sent, CPU "
      "and peak RSS: one extra run each under `/usr/bin/time -v`.")
print()
print("| tool | probes | median (s) | min … max (s) | hosts found / truth | frames sent | CPU user+sys (s) | peak RSS (MiB) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for cmd, name, probes in rows:
    h, r = hf[cmd], one[name]
    extra = f" (+{r['extra']} wrong)" if r["extra"] else ""
    print(f"| `{cmd}` | {probes} | {h['median']:.2f} | {h['min']:.2f} … {h['max']:.2f} | "
          f"{r['found']:,} / {r['truth']:,}{extra} | {r['sent']:,} | {r['cpu']:.2f} | {r['rss_kb'] / 1024:.1f} |")
print()
p = hf["prtip -sn -PE"]["median"]
for cmd in ("nmap -sn -PE", "zmap icmp_echoscan"):
    print(f"**{cmd} median / prtip -sn -PE median: {hf[cmd]['median'] / p:.2f}** (> 1: prtip is faster).  ")
print(f"prtip -sn (4 probes per host) / prtip -sn -PE: {hf['prtip -sn']['median'] / p:.2f}.")
print()
print("zmap's time includes its fixed cooldown (`-c`); prtip waits by its measured RTT (2 × (SRTT + "
      "4 RTTVAR), at least 50 ms) and nmap by its own timeouts. Frames sent: the scanner veth's "
      "tx_packets delta (includes retransmissions and, for nmap, the kernel's RSTs to SYN/ACKs: none here).")
print()
print(f"Machine: {E['NPROC']} CPUs ({E['CPU']}), kernel {E['KERNEL']}, {E['OS']}.  ")
print(f"Versions: prtip `{E['PRTIP_VER']}` (commit {E['COMMIT']}), `{E['NMAP_VER']}`, `{E['ZMAP_VER']}`, `{E['HF_VER']}`.  ")
print(f"Measured: {E['DATE']} with `bench/discovery.sh`.")
EOF
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" discovery "$W/section.md"
    say "wrote the discovery section of $DOC"
fi
