#!/usr/bin/env bash
# -sV across many hosts (issue 11, "Measured", second bullet): a /24 of
# AnyIP addresses (198.19.1.0/24, local to the lab target's loopback) with
# nginx on 80 (HTTP) and 443 (HTTPS, self-signed) for every address: 512
# open ports. prtip -sV and nmap -sV, same options, same run.
#
#   sudo bash bench/version_many.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Environment: NMAP (path), RUNS (3), IDLE (1, seconds before each run).
#
# Each tool runs "-sT -sV -n -Pn -p 80,443 198.19.1.0/24 -oX FILE" from the
# scanner namespace, RUNS rounds, order alternating, under /usr/bin/time -v
# (peak RSS); wall = fork to exit, measured in Python. Agreement: in every
# round, per address and port, service name, product, version, extra info,
# tunnel, method, confidence and CPEs (tests/compat/dump_services.py --addr)
# of prtip equal nmap's of the same round. Reported: medians, min … max,
# ports/s (512 / median), peak RSS (largest of the runs), ratio.
#
# Network safety: every packet stays in the two namespaces made here (a veth
# pair, no default route; lab_guard checks both commands). The markdown is
# printed and, unless --no-write, replaces the text between the
# version-many:begin / version-many:end markers in docs/BENCHMARKS.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/lab/lib.sh"
. "$ROOT/tests/lab/services.sh"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-$(command -v nmap || echo /usr/bin/nmap)}"
RUNS="${RUNS:-3}"
IDLE="${IDLE:-1}"
RANGE=198.19.1.0/24
DOC="$ROOT/docs/BENCHMARKS.md"

die() { echo "bench/version_many.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
[ -x "$PRTIP" ] || die "no prtip binary at $PRTIP (make build)"
[ -x /usr/sbin/nginx ] || die "nginx not installed (scripts/install-deps.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time not installed (apt-get install time)"

W="$(mktemp -d /tmp/prtip-bench-version-many.XXXXXX)"
LAB="bvm$$"
cleanup() {
    lab_down "$LAB" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
lab_up "$LAB" >/dev/null || die "could not bring up the lab"
lab_anyip "$LAB_TGT" "$RANGE" || die "could not make $RANGE local in $LAB_TGT"
mkdir -p "$W/svc"
# One nginx on 0.0.0.0 answers for every address of the prefix; enough
# connections for both tools' full parallelism.
SVC_TCP_PORTS="" SVC_NAMES="" SVC_NGINX_CONNS=4096 svc_nginx "$W/svc" "$LAB_TGT" 0.0.0.0 || die "could not start nginx"
svc_wait_port "$LAB_TGT" 198.19.1.255 443 || die "nginx does not answer on the prefix"
ARGS=(-sT -sV -n -Pn -p "80,443" "$RANGE")
lab_guard -e "$LAB_IF" "${ARGS[@]}"

python3 - "$W" "$LAB_SCAN" "$PRTIP" "$NMAP" "$RUNS" "$IDLE" "$ROOT/tests/compat/dump_services.py" \
    "$ROOT/tests/lab/lib.sh" "$LAB_TGT" "${ARGS[@]}" >"$W/section.md" <<'EOF'
import collections, os, re, statistics, subprocess, sys, time
w, ns, prtip, nmap, runs, idle, dump, lib, tgt = sys.argv[1:10]
args = sys.argv[10:]
syns = collections.defaultdict(list)  # tool -> [(SYNs to 80, SYNs to 443)] per run


def syn_count(what):
    """Start counting SYNs at the target (what="start") or read the counts."""
    sh = ". %s; lab_syn_count_start \"$0\" 80,443" if what == "start" else ". %s; lab_syn_counts \"$0\""
    out = subprocess.run(["bash", "-c", sh % lib, tgt], capture_output=True, text=True,
                         check=True).stdout
    return dict((int(a), int(b)) for a, b in (l.split() for l in out.splitlines()))

runs, idle = int(runs), float(idle)
tools = {"prtip": prtip, "nmap": nmap}
times, rss = collections.defaultdict(list), collections.defaultdict(list)
agree, nports, diffs = [], [], []
for r in range(runs):
    order = ["prtip", "nmap"] if r % 2 == 0 else ["nmap", "prtip"]
    svc = {}
    for name in order:
        time.sleep(idle)
        x, tv = os.path.join(w, "%s-%d.xml" % (name, r)), os.path.join(w, "%s-%d.time" % (name, r))
        cmd = ["ip", "netns", "exec", ns, "/usr/bin/time", "-v", "-o", tv, tools[name]] + args + \
              ["-oX", x]
        syn_count("start")
        t0 = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[name].append(time.monotonic() - t0)
        c = syn_count("read")
        syns[name].append((c.get(80, 0), c.get(443, 0)))
        rss[name].append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                                       open(tv).read()).group(1)))
        out = subprocess.run(["python3", dump, "--addr", x], capture_output=True, text=True,
                             check=True).stdout.splitlines()
        svc[name] = {" | ".join(l.split(" | ")[:2]): l for l in out}
        print("bench/version_many.sh: run %d %s %.2f s, %d ports, %d MiB" %
              (r, name, times[name][-1], len(out), rss[name][-1] // 1024), file=sys.stderr)
    keys = set(svc["nmap"]) | set(svc["prtip"])
    same = sum(1 for k in keys if svc["nmap"].get(k) == svc["prtip"].get(k))
    for k in sorted(keys):
        if svc["nmap"].get(k) != svc["prtip"].get(k) and len(diffs) < 10:
            diffs.append("run %d\n- nmap:  %s\n+ prtip: %s" % (r, svc["nmap"].get(k), svc["prtip"].get(k)))
    agree.append(same)
    nports.append(len(keys))
    print("bench/version_many.sh: run %d: %d/%d ports agree" % (r, same, len(keys)), file=sys.stderr)
for d in diffs:
    print(d, file=sys.stderr)
med = {k: statistics.median(v) for k, v in times.items()}
n = max(nports)
print("### Service and version detection (-sV) of a /24: 256 AnyIP hosts × nginx on 80 and 443\n")
print("198.19.1.0/24 is local to the target namespace's loopback (AnyIP); one nginx on 0.0.0.0 "
      "serves HTTP on 80 and HTTPS (self-signed) on 443 for every address: %d open ports. "
      "Command for both: `%s -oX FILE` from the scanner namespace, %d rounds, order "
      "alternating, %.0f s idle before each run, under `/usr/bin/time -v`. Wall = fork to exit. "
      "Agreement = ports whose service, product, version, extra info, tunnel, method, "
      "confidence and CPEs equal nmap's of the same round. Connections per port = SYNs reaching "
      "the target (median of the runs, the -sT port scan's one included) / 256.\n" % (n, " ".join(args), runs, idle))
print("| tool | median wall (s) | min … max (s) | ports/s | peak RSS (MiB) | connections per port 80 / 443 | ports equal to nmap's |")
print("|---|---:|---|---:|---:|---:|---:|")
hosts = n / 2
for k in ("prtip", "nmap"):
    v = times[k]
    eq = "%d/%d" % (sum(agree), sum(nports)) if k == "prtip" else "—"
    c80 = statistics.median(a for a, _ in syns[k]) / hosts
    c443 = statistics.median(b for _, b in syns[k]) / hosts
    print("| %s | %.2f | %.2f … %.2f | %.0f | %.1f | %.2f / %.2f | %s |" % (k, med[k], min(v), max(v),
          n / med[k], max(rss[k]) / 1024, c80, c443, eq))
print("\nRatio nmap / prtip (medians): **%.1f×**.\n" % (med["nmap"] / med["prtip"]))
print("Why: nmap takes the /24 in host groups and each port's probes one after another, waiting "
      "out its timers (the NULL probe's 6 s on every HTTP port). prtip starts every port's first "
      "probes at once (breadth first under its 2,048-connection cap), each port running the NULL "
      "probe and one more ahead (more only as probes end or stay silent unsettled, one SSL hello "
      "at a time), ends the NULL probe's wait once a later probe has hard-matched, and through "
      "TLS resumes each port's first session. "
      "What remains is CPU for TLS handshakes (nmap's SSL/TLS hello probes, the facts connection "
      "and the re-run's first handshake) on both ends of one 2-CPU machine: one nginx worker "
      "serves all 256 addresses, with a listen backlog of 4,096 (one listening socket serves the "
      "whole prefix; at nginx's default 511 the SYN queue overflowed and cost 1 s retransmits).\n")
EOF
{
    cat "$W/section.md"
    echo "Machine: $(nproc) CPUs, kernel $(uname -r); load average at the end $(cut -d' ' -f1-3 /proc/loadavg).  "
    echo "Versions: prtip \`$("$PRTIP" --version 2>/dev/null | head -n 1)\` (commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)), \`$("$NMAP" --version | head -n 1)\`.  "
    echo "Measured: $(date -u '+%Y-%m-%d %H:%M UTC'). Rerun: \`sudo bash bench/version_many.sh\`."
} >"$W/final.md"
cat "$W/final.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" version-many "$W/final.md"
fi
