#!/usr/bin/env bash
# -sV benchmark (issue 11): the lab's real services on one host
# (tests/lab/services.sh: OpenSSH, nginx HTTP/HTTPS on standard and other
# ports, vsftpd, dnsmasq over TCP, redis, memcached; then dnsmasq, chronyd
# and snmpd over UDP), prtip -sV vs nmap -sV, side by side in one hyperfine
# run per protocol.
#
#   sudo bash bench/version.sh [--no-write] [PRTIP_BINARY]   (default build/prtip)
#
# Environment: NMAP (default /usr/bin/nmap), RUNS (3), WARMUP (0).
#
# Before timing, each tool scans once with -oX and every port's answer
# (service, product, version, extrainfo, tunnel, CPE; memcached's uptime
# and snmp-info's addition masked, as in tests/compat/test_version.sh) must
# be equal, else nothing is timed. Peak RSS from /usr/bin/time -v. The
# markdown result replaces the section between the markers in
# docs/BENCHMARKS.md unless --no-write.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
bench_args "$@"
NMAP="${NMAP:-/usr/bin/nmap}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-0}"
DOC="$ROOT/docs/BENCHMARKS.md"

die() { echo "bench/version.sh: $*" >&2; exit 1; }
case "$PRTIP" in /*) ;; *) PRTIP="$PWD/$PRTIP" ;; esac
[ -x "$PRTIP" ] || die "prtip binary '$PRTIP' not found (make build)"
[ -x "$NMAP" ] || die "nmap not found at $NMAP (apt-get install nmap)"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for tool in hyperfine python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "'$tool' not installed"
done

. "$ROOT/tests/lab/lib.sh"
. "$ROOT/tests/lab/services.sh"
W="$(mktemp -d /tmp/prtip-bench-version.XXXXXX)"
ID="bv$$"
cleanup() {
    lab_down "$ID" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
lab_up "$ID" >/dev/null || die "could not bring up the lab"
mkdir -p "$W/svc"
svc_up "$W/svc" "$LAB_TGT" "$LAB_TGT_V4" >/dev/null || die "could not start the services"
TCP="$(printf '%s' "$SVC_TCP_PORTS" | tr ',' '\n' | grep -vx '7000\|7001\|7002\|993' | paste -sd, -)"
NTCP="$(printf '%s' "$TCP" | tr ',' '\n' | grep -c .)"
UDP="$SVC_UDP_PORTS"
IN=(ip netns exec "$LAB_SCAN")

dump() {
    python3 "$ROOT/tests/compat/dump_services.py" "$1" |
        sed 's/product=SNMPv1 server; net-snmp SNMPv3 server/product=SNMPv1 server/'
}

bench_one() { # NAME ARGS...
    local name="$1" t bin
    shift
    lab_guard -e "$LAB_IF" "$@"
    for t in prtip nmap; do
        bin="$PRTIP"
        [ "$t" = nmap ] && bin="$NMAP"
        # TCP: connection attempts per port reaching the target (the -sT
        # port scan's one included), counted in the target namespace.
        [ "$name" = tcp ] && lab_syn_count_start "$LAB_TGT" "$TCP"
        "${IN[@]}" "$bin" "$@" -oX "$W/$name.$t.xml" >/dev/null 2>"$W/$name.$t.err" ||
            die "$t failed: $(head -c 500 "$W/$name.$t.err")"
        [ "$name" = tcp ] && lab_syn_counts "$LAB_TGT" >"$W/$name.$t.syns"
        dump "$W/$name.$t.xml" >"$W/$name.$t.svc"
    done
    if ! diff -u "$W/$name.nmap.svc" "$W/$name.prtip.svc" >&2; then
        die "$name: answers differ between nmap (---) and prtip (+++)"
    fi
    echo "$name: every answer equal ($(wc -l <"$W/$name.prtip.svc") ports)" >&2
    "${IN[@]}" hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$W/$name.json" -n prtip "$PRTIP $*" -n nmap "$NMAP $*" >&2
    # The services must still give the same answers after the timed runs.
    for t in prtip nmap; do
        bin="$PRTIP"
        [ "$t" = nmap ] && bin="$NMAP"
        "${IN[@]}" "$bin" "$@" -oX "$W/$name.$t.after.xml" >/dev/null 2>&1 || die "$t failed"
        dump "$W/$name.$t.after.xml" >"$W/$name.$t.after.svc"
        cp "$W/$name.$t.after.svc" "/tmp/hsv-after-$name-$t.svc"
        diff -u "$W/$name.$t.svc" "$W/$name.$t.after.svc" >&2 ||
            die "$name: $t's answers changed during the timed runs"
    done
    for t in prtip nmap; do
        bin="$PRTIP"
        [ "$t" = nmap ] && bin="$NMAP"
        "${IN[@]}" /usr/bin/time -v -o "$W/$name.$t.time" "$bin" "$@" >/dev/null 2>&1 ||
            die "$t failed under /usr/bin/time"
        awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/$name.$t.time" >"$W/$name.$t.rss"
    done
}

TCP_ARGS=(-sT -sV -n -Pn -p "$TCP" "$LAB_TGT_V4")
UDP_ARGS=(-sU -sV -n -Pn -e "$LAB_IF" -p "U:$UDP" "$LAB_TGT_V4")
bench_one tcp "${TCP_ARGS[@]}"
[ -n "$UDP" ] && bench_one udp "${UDP_ARGS[@]}"

PRTIP_VER="$("$PRTIP" --version 2>/dev/null | head -n 1 || true)"
NMAP_VER="$("$NMAP" --version | head -n 1)"
HF_VER="$(hyperfine --version | head -n 1)"
CPU="$(lscpu 2>/dev/null | awk -F': +' '/^Model name/ { print $2; exit }')"
OS="$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
COMMIT="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"

python3 - "$W" "${TCP_ARGS[*]}" "${UDP_ARGS[*]}" "$NTCP" >"$W/section.md" <<EOF
import json, os, sys
w, tcp_args, udp_args, ntcp = sys.argv[1:5]
print("### Service and version detection (-sV), the lab's services on one host")
print()
for name, args, what in (("tcp", tcp_args, f"{ntcp} TCP services (OpenSSH, nginx HTTP and HTTPS on "
                          "standard and other ports, vsftpd, Exim, dnsmasq, redis, memcached)"),
                         ("udp", udp_args, "3 UDP services (dnsmasq, chronyd, snmpd)")):
    if not os.path.exists(f"{w}/{name}.json"):
        continue
    res = {r["command"]: r for r in json.load(open(f"{w}/{name}.json"))["results"]}
    rss = {t: int(open(f"{w}/{name}.{t}.rss").read().split()[0]) for t in ("prtip", "nmap")}
    p, n = res["prtip"], res["nmap"]
    ratio = n["median"] / p["median"]
    print(f"#### {what}")
    print()
    print(f"Command: \`{args}\` from the lab's scanner namespace, hyperfine --warmup $WARMUP "
          f"--runs $RUNS. Every port's answer (service, product, version, extra info, tunnel, "
          f"CPE) was equal in a run of each before timing.")
    print()
    print("| tool | median (s) | mean ± σ (s) | min … max (s) | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for t in ("prtip", "nmap"):
        r = res[t]
        print(f"| {t} | {r['median']:.3f} | {r['mean']:.3f} ± {r['stddev'] or 0:.3f} "
              f"| {r['min']:.3f} … {r['max']:.3f} | {rss[t] / 1024:.1f} |")
    print()
    print(f"**Ratio (nmap median / prtip median): {ratio:.1f}×**")
    print()
    if os.path.exists(f"{w}/{name}.prtip.syns"):
        syns = {t: dict(l.split() for l in open(f"{w}/{name}.{t}.syns")) for t in ("prtip", "nmap")}
        svc = {}
        for l in open(f"{w}/{name}.nmap.svc"):
            f = l.split(" | ")
            svc[f[0].split("/")[0]] = " ".join(x.split("=", 1)[1] for x in f[2:4] if "=" in x)
        print("Connections per port (SYNs reaching the target in the run that checked the answers, "
              "the -sT port scan's one included; nmap's include its version-category NSE scripts, "
              "which -sV runs: on an HTTP port its service scan makes 2 and http-trane-info, "
              "vmware-version, hnap-info, https-redirect and http-server-header the rest):")
        print()
        print("| port | nmap's answer | nmap | prtip |")
        print("|---|---|---:|---:|")
        for port in sorted(syns["nmap"], key=int):
            print(f"| {port} | {svc.get(port, '')} | {syns['nmap'][port]} | {syns['prtip'].get(port, '?')} |")
        tot = {t: sum(int(v) for v in syns[t].values()) for t in syns}
        print(f"| all | | {tot['nmap']} | {tot['prtip']} |")
        print()
print("Machine: $(nproc) CPUs ($CPU), kernel $(uname -r), $OS.  ")
print("Versions: prtip \`$PRTIP_VER\` (commit $COMMIT), \`$NMAP_VER\`, \`$HF_VER\`.  ")
print("Measured: $(date -u '+%Y-%m-%d %H:%M UTC').")
EOF
cat "$W/section.md"
if [ "$WRITE" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$DOC" "bench/version.sh" "$W/section.md"
    echo "wrote section to $DOC" >&2
fi
