#!/usr/bin/env bash
# -sV honours the user's parallelism as nmap's service scan does (its
# ServiceGroup's ideal_parallelism: --max-parallelism is a ceiling, -T0..-T2
# make it serial). In a lab target, listeners on eight ports per run accept
# and close each connection 300 ms later without a word (nmap: tcpwrapped)
# and record the most connections open at once. The port scan is a SYN scan,
# so the listeners see only the version probes' connections.
#   --max-parallelism 2   nmap and prtip: at most 2 at once (and 2 reached)
#   -T2                   nmap and prtip: one at a time
#   (defaults)            prtip: more than 2 (the bound above is the knob's)
# Every run's answers must equal nmap's (all tcpwrapped).
set -euo pipefail
. "$(dirname "$0")/../integration/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: run with prtip (it runs nmap itself)" >&2; exit 77; }
t_need_root
t_need nmap
nmap --version | grep -q '^Nmap version 7\.93 ' ||
    { echo "SKIP: the answers compared are nmap 7.93's" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
t_lab_up

cat >"$T/listen.py" <<'PY'
import selectors, socket, sys, time
addr, base, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sel = selectors.DefaultSelector()
for p in range(base, base + count):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, p)); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
open(out + ".ready", "w").close()
conns, peak, total = [], 0, 0
while True:
    for key, _ in sel.select(timeout=0.02):
        c, _ = key.fileobj.accept()
        conns.append((time.monotonic() + 0.3, c))
        total += 1
        if len(conns) > peak:
            peak = len(conns)
        with open(out, "w") as f:
            f.write(f"{peak} {total}\n")
    now = time.monotonic()
    for due, c in [x for x in conns if x[0] <= now]:
        c.close()
    conns = [x for x in conns if x[0] > now]
PY

listen() { # NAME BASE
    ip netns exec "$LAB_TGT" python3 "$T/listen.py" "$LAB_TGT_V4" "$2" 8 "$T/$1.peak" \
        >/dev/null 2>&1 </dev/null &
    for _ in $(seq 1 50); do [ -e "$T/$1.peak.ready" ] && return 0; sleep 0.1; done
    t_fail "listener $1 did not start"
}
scan() { # WHO NAME BASE ARGS...
    local who="$1" name="$2" base="$3" bin="$BIN"
    shift 3
    [ "$who" = nmap ] && bin="$(command -v nmap)"
    lab_guard -e "$LAB_IF" "$@" "$LAB_TGT_V4"
    timeout -k 5 60 ip netns exec "$LAB_SCAN" "$bin" -n -Pn -sS -sV --version-intensity 0 \
        -e "$LAB_IF" -p "$base-$((base + 7))" "$@" "$LAB_TGT_V4" \
        -oX "$T/$name.xml" >"$T/$name.out" 2>"$T/$name.err" ||
        t_fail "$name exited non-zero: $(head -c 300 "$T/$name.err")"
}
runs=(nmap:nmap_max2:7100:--max-parallelism=2 prtip:prtip_max2:7200:--max-parallelism=2
    nmap:nmap_t2:7300:-T2 prtip:prtip_t2:7400:-T2 prtip:prtip_default:7500:)
pids=()
for r in "${runs[@]}"; do
    IFS=: read -r who name base opt <<<"$r"
    listen "$name" "$base"
    # shellcheck disable=SC2086 # opt is one word or none
    scan "$who" "$name" "$base" ${opt/=/ } &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || t_fail "a scan failed"; done

peak() { read -r p _ <"$T/$1.peak" && echo "$p"; }
total() { read -r _ n <"$T/$1.peak" && echo "$n"; }
for r in "${runs[@]}"; do
    IFS=: read -r who name _ _ <<<"$r"
    t_log "$name: at most $(peak "$name") connections at once, $(total "$name") in all"
done
for name in nmap_max2 prtip_max2; do
    [ "$(peak "$name")" -le 2 ] || t_fail "$name: $(peak "$name") connections at once (ceiling 2)"
done
[ "$(peak prtip_max2)" -eq 2 ] || t_fail "prtip --max-parallelism 2 never had 2 at once"
for name in nmap_t2 prtip_t2; do
    [ "$(peak "$name")" -eq 1 ] || t_fail "$name: $(peak "$name") connections at once (serial)"
done
[ "$(peak prtip_default)" -gt 2 ] || t_fail "prtip's default -sV is serial: $(peak prtip_default)"
t_pass "--max-parallelism and -T2 bound -sV's connections as nmap's"

for pair in nmap_max2:prtip_max2 nmap_t2:prtip_t2 nmap_max2:prtip_default; do
    IFS=: read -r a b <<<"$pair"
    python3 "$HERE/dump_services.py" "$T/$a.xml" | sed -E 's/^7[0-9]([0-9]{2})\//PORT\1\//' >"$T/$a.svc"
    python3 "$HERE/dump_services.py" "$T/$b.xml" | sed -E 's/^7[0-9]([0-9]{2})\//PORT\1\//' >"$T/$b.svc"
    t_same "$b: the answers nmap gives" "$T/$a.svc" "$T/$b.svc"
done
grep -q 'name=tcpwrapped' "$T/prtip_max2.svc" || t_fail "the listeners were not tcpwrapped"
