#!/usr/bin/env bash
# Connect scan (-sT) under a low descriptor limit (issue 10, point 3).
#
# Every probe slot of the connect engine may hold a socket. With `ulimit -n`
# at 8, 12, 16 and 20 prtip used to size its slots from the limit alone
# (not from what was free) and keep refused sockets in idle slots, so the
# slot at the head of the free list never got a descriptor: a -p- scan of
# loopback crawled at one probe per 10 ms backoff, for ever in practice.
# Now each limit must give the same ports as a scan without a limit (the
# listeners open, nothing else that was not open before), quickly; and a
# limit below what the engine needs must be a one-line error at start,
# exit 2, with the XML output still a complete document.
#
# Runs on loopback, in a private namespace as root (t_private_lo), else on
# the host's (other listeners there are in the reference scan too).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need python3
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME: prtip-specific limits" >&2; exit 77; }

t_private_lo
t_listen "$T/listen.txt" --addr 127.0.0.1 --random 5
awk '$1 == "open" { print $3 }' "$T/listen.txt" | sort -n >"$T/listeners"

# limited N CMD...: CMD with `ulimit -n N` and only the standard streams
# (a test harness may pass other descriptors down: they would count).
limited() {
    local n="$1" fd
    shift
    (
        for fd in $(ls "/proc/$BASHPID/fd"); do
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done 2>/dev/null
        ulimit -n "$n" && exec timeout -k 2 30 "$@"
    )
}

open_ports() { t_results xml "$1" | awk '$4 == "open" { print $3 }' | sort -n; }

t_scan_ok ref "${IN[@]}" -sT -n -Pn -p- 127.0.0.1 -oX "$T/ref.xml"
open_ports "$T/ref.xml" >"$T/ref.open"
comm -23 "$T/listeners" "$T/ref.open" | grep -q . &&
    t_fail "reference scan misses listeners: $(comm -23 "$T/listeners" "$T/ref.open" | paste -sd,)"
t_pass "reference scan finds the $(wc -l <"$T/listeners") listeners"

for n in 8 12 16 20; do
    rc=0
    limited "$n" "${IN[@]}" "$BIN" -sT -n -Pn -p- 127.0.0.1 -oX "$T/l$n.xml" \
        >"$T/l$n.out" 2>"$T/l$n.err" || rc=$?
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || t_fail "ulimit -n $n: scan hung (killed after 30 s)"
    [ "$rc" -eq 0 ] || t_fail "ulimit -n $n: exit $rc: $(head -c 400 "$T/l$n.err")"
    t_xml_valid "$T/l$n.xml"
    open_ports "$T/l$n.xml" >"$T/l$n.open"
    t_same "open ports with ulimit -n $n" "$T/ref.open" "$T/l$n.open"
    # Every one of the 65535 ports has a state: the rest are closed.
    total="$(t_results xml "$T/l$n.xml" --what extraports | awk '{ s += $NF } END { print s + 0 }')"
    shown="$(t_results xml "$T/l$n.xml" | wc -l)"
    [ $((total + shown)) -eq 65535 ] || t_fail "ulimit -n $n: $((total + shown)) ports reported, not 65535"
done

# With reverse DNS, the resolver's threads need descriptors of their own:
# the name must come back as without a limit (localhost, from /etc/hosts).
# Only in the private namespace: no lookup may reach the machine's resolver.
if [ ${#IN[@]} -gt 0 ]; then
    plist="1-2000,$(paste -sd, "$T/listeners")"
    names() { grep -o '<hostname name="[^"]*"' "$1" || true; }
    t_scan_ok refdns "${IN[@]}" -sT -Pn -p "$plist" 127.0.0.1 -oX "$T/refdns.xml"
    names "$T/refdns.xml" >"$T/refdns.hosts"
    [ -s "$T/refdns.hosts" ] || t_log "no reverse-DNS names without a limit either: the names part checks nothing"
    # The least limit that works is what the error below it says.
    rc=0
    limited 8 "${IN[@]}" "$BIN" -sT -Pn -p "$plist" 127.0.0.1 -oX "$T/dns.xml" \
        >"$T/dns.out" 2>"$T/dns.err" || rc=$?
    least="$(sed -n 's/.*hint: ulimit -n \([0-9]*\).*/\1/p' "$T/dns.err")"
    [ "$rc" -eq 2 ] && [ -n "$least" ] || t_fail "ulimit -n 8 with reverse DNS: exit $rc, no hint: $(cat "$T/dns.err")"
    rc=0
    limited "$least" "${IN[@]}" "$BIN" -sT -Pn -p "$plist" 127.0.0.1 -oX "$T/dns.xml" \
        >"$T/dns.out" 2>"$T/dns.err" || rc=$?
    [ "$rc" -eq 0 ] || t_fail "ulimit -n $least with reverse DNS: exit $rc: $(head -c 400 "$T/dns.err")"
    names "$T/dns.xml" >"$T/dns.hosts"
    t_same "hosts and names with the least ulimit -n ($least) and reverse DNS" "$T/refdns.hosts" "$T/dns.hosts"
    t_results xml "$T/refdns.xml" >"$T/refdns.ports"
    t_results xml "$T/dns.xml" >"$T/dns.ports"
    t_same "ports with the least ulimit -n ($least) and reverse DNS" "$T/refdns.ports" "$T/dns.ports"
else
    t_log "not root: the reverse-DNS part is skipped (no private namespace)"
fi

# Below the minimum: 3 standard streams and the XML file leave 2 of 6, and
# the engine's event loop takes both.
rc=0
limited 6 "${IN[@]}" "$BIN" -sT -n -Pn -p 1-100 127.0.0.1 -oX "$T/low.xml" \
    >"$T/low.out" 2>"$T/low.err" || rc=$?
[ "$rc" -eq 2 ] || t_fail "ulimit -n 6: exit $rc, expected 2: $(head -c 400 "$T/low.err")"
grep -q "too few file descriptors.*ulimit -n" "$T/low.err" ||
    t_fail "ulimit -n 6: no clear error: $(cat "$T/low.err")"
[ "$(grep -c . "$T/low.err")" -eq 1 ] || t_fail "ulimit -n 6: more than one error line: $(cat "$T/low.err")"
t_xml_valid "$T/low.xml"
t_pass "ulimit -n 6: $(cat "$T/low.err")"
echo "PASS: $T_NAME"
