#!/usr/bin/env bash
# Connect-scan benchmark: one host, all 65,535 TCP ports on loopback,
# prtip -sT vs nmap -sT, side by side in one hyperfine run.
#
#   bash bench/connect.sh [--no-write] [PRTIP_BINARY]     (default build/prtip)
#
# Environment: NMAP (default /usr/bin/nmap), RUNS (5), WARMUP (1), LISTENERS (20).
#
# As root, the scan runs in a private network namespace with only lo up and
# LISTENERS python listeners (tests/integration/helpers/listen.py), so the
# ground truth is exact and nothing else on the machine listens; without root
# it uses the host's loopback. Before timing, each tool scans once with -oG
# and the open-port lists must be equal (and contain every listener).
# Peak RSS comes from /usr/bin/time -v (one extra run each). The markdown
# result is printed and, unless --no-write, replaces the section between the
# markers in docs/BENCHMARKS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-/usr/bin/nmap}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
LISTENERS="${LISTENERS:-20}"
DOC="$ROOT/docs/BENCHMARKS.md"
BEGIN_MARK="<!-- bench/connect.sh: begin (generated; rerun to replace) -->"
END_MARK="<!-- bench/connect.sh: end -->"

die() { echo "bench/connect.sh: $*" >&2; exit 1; }
case "$PRTIP" in /*) ;; *) PRTIP="$PWD/$PRTIP" ;; esac
[ -x "$PRTIP" ] || die "prtip binary '$PRTIP' not found (make build)"
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
for tool in hyperfine python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed (hyperfine, python3, time)"
done

W="$(mktemp -d /tmp/prtip-bench.XXXXXX)"
NS=""
LPID=""
cleanup() {
    [ -z "$LPID" ] || kill "$LPID" 2>/dev/null || true
    [ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

IN=()
WHERE="host loopback"
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
    NS="prtip-bench-$$"
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    IN=(ip netns exec "$NS")
    WHERE="private network namespace (lo only)"
fi

# Ground truth: LISTENERS open ports on 127.0.0.1.
"${IN[@]}" python3 "$ROOT/tests/integration/helpers/listen.py" --addr 127.0.0.1 \
    --random "$LISTENERS" >"$W/listen.txt" &
LPID=$!
for _ in $(seq 1 100); do
    grep -qx ready "$W/listen.txt" && break
    kill -0 "$LPID" 2>/dev/null || die "listener helper died"
    sleep 0.1
done
grep -qx ready "$W/listen.txt" || die "listener helper not ready"
awk '$1 == "open" { print $3 }' "$W/listen.txt" | sort -n >"$W/truth"

ARGS="-sT -p- -n -Pn 127.0.0.1"
open_ports() { # gnmap file -> sorted open ports
    python3 "$ROOT/tests/integration/helpers/results.py" gnmap "$1" | awk '$4 == "open" { print $3 }' | sort -n
}

# 1. Correctness: same open ports from both tools, all listeners found.
for t in prtip nmap; do
    bin="$PRTIP"
    [ "$t" = nmap ] && bin="$NMAP"
    # shellcheck disable=SC2086
    "${IN[@]}" "$bin" $ARGS -oG "$W/$t.gnmap" >/dev/null 2>"$W/$t.err" ||
        die "$t failed: $(head -c 500 "$W/$t.err")"
    open_ports "$W/$t.gnmap" >"$W/$t.open"
done
if ! diff -u "$W/nmap.open" "$W/prtip.open" >"$W/diff"; then
    cat "$W/diff" >&2
    die "open ports differ between nmap (---) and prtip (+++)"
fi
missing="$(comm -23 "$W/truth" "$W/prtip.open" | paste -sd, -)"
[ -z "$missing" ] || die "both tools missed listeners: $missing"
NOPEN="$(wc -l <"$W/prtip.open")"
echo "open ports agree: $NOPEN ($(paste -sd, - <"$W/prtip.open"))" >&2

# 2. Time: both tools in one hyperfine invocation.
"${IN[@]}" hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$W/hyperfine.json" \
    -n prtip "$PRTIP $ARGS" -n nmap "$NMAP $ARGS" >&2

# 3. Peak RSS: one run each under /usr/bin/time -v.
for t in prtip nmap; do
    bin="$PRTIP"
    [ "$t" = nmap ] && bin="$NMAP"
    # shellcheck disable=SC2086
    "${IN[@]}" /usr/bin/time -v -o "$W/$t.time" "$bin" $ARGS >/dev/null 2>&1 ||
        die "$t failed under /usr/bin/time"
    awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/$t.time" >"$W/$t.rss"
done

# 4. Machine and versions.
PRTIP_VER="$("$PRTIP" --version 2>/dev/null | head -n 1 || true)"
NMAP_VER="$("$NMAP" --version | head -n 1)"
HF_VER="$(hyperfine --version | head -n 1)"
CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"

python3 - "$W" >"$W/section.md" <<EOF
import json, sys
w = sys.argv[1]
res = {r["command"]: r for r in json.load(open(f"{w}/hyperfine.json"))["results"]}
rss = {t: int(open(f"{w}/{t}.rss").read().split()[0]) for t in ("prtip", "nmap")}
p, n = res["prtip"], res["nmap"]
ratio = n["median"] / p["median"] if p["median"] > 0 else float("inf")
print("### Connect scan, one host, 65,535 ports, loopback")
print()
print("Command: \`-sT -p- -n -Pn 127.0.0.1\` in a $WHERE, $LISTENERS listeners, "
      "hyperfine --warmup $WARMUP --runs $RUNS.")
print()
print("| tool | median (s) | mean ± σ (s) | min … max (s) | peak RSS (MiB) | open ports found |")
print("|---|---:|---:|---:|---:|---:|")
for name, ver in (("prtip", """$PRTIP_VER"""), ("nmap", """$NMAP_VER""")):
    r = res[name]
    print(f"| {name} | {r['median']:.3f} | {r['mean']:.3f} ± {r['stddev'] or 0:.3f} "
          f"| {r['min']:.3f} … {r['max']:.3f} | {rss[name] / 1024:.1f} | $NOPEN |")
print()
word = "faster" if ratio >= 1 else "slower"
shown = ratio if ratio >= 1 else 1 / ratio
print(f"**Ratio (nmap median / prtip median): {ratio:.2f}** — prtip is {shown:.2f}× {word} than nmap.")
print()
print("Machine: $(nproc) CPUs ($CPU), kernel $(uname -r), $OS.  ")
print("Versions: prtip \`$PRTIP_VER\` (commit $COMMIT), \`$NMAP_VER\`, \`$HF_VER\`.  ")
print("Measured: $(date -u '+%Y-%m-%d %H:%M UTC').")
EOF

cat "$W/section.md"

if [ "$WRITE" = 1 ]; then
    python3 - "$DOC" "$W/section.md" "$BEGIN_MARK" "$END_MARK" <<'EOF'
import os, sys
doc, section, begin, end = sys.argv[1:5]
body = open(section).read().rstrip("\n")
block = f"{begin}\n{body}\n{end}\n"
text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n\n"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + block + (tail[1:] if tail.startswith("\n") else tail)
else:
    text = text.rstrip("\n") + "\n\n" + block
open(doc, "w").write(text)
EOF
    echo "wrote section to $DOC" >&2
fi
