#!/usr/bin/env bash
# nmap's per-host timing options, proved on the wire for -sS, -sU and -sT:
# -r, --max-parallelism, --min-parallelism, --max-hostgroup,
# --min-hostgroup, --host-timeout, --scan-delay and --max-scan-delay.
#
# The target namespace answers for six addresses H1..H6 (AnyIP,
# 198.18.128.1-6) and captures what arrives and leaves on its veth
# (helpers/wire.py capture: AF_PACKET with kernel timestamps). A probe is a
# TCP SYN (-sS, -sT) or a UDP datagram (-sU); its reply is the RST, SYN-ACK
# or ICMP port unreachable that leaves for it. Ports:
#   1000-1999  dropped by nftables (silent: a probe stays outstanding)
#   3000-3999  half the SYNs dropped at random (loss)
#   others     closed (RST / port unreachable, at once: no ICMP rate limit)
# Each case runs the scan once with the capture on and asserts, with
# helpers/wire.py check:
#   -r                    the first probe of each port reaches each host in
#                         ascending port order (without -r: not)
#   --max-parallelism 1   never two probes outstanding (a probe is
#                         outstanding until its reply leaves, or for 40 ms
#                         when none does: every engine waits longer than
#                         that for a silent one); without it: more
#   --min-parallelism 40  at least 40 silent probes outstanding within the
#                         first half second (the connect engine otherwise
#                         starts with 10)
#   --max-hostgroup 2     over six hosts: at most two hosts between their
#                         first and last probe at any moment, and two at some
#   --min/--max-hostgroup 3   exactly three at once at most and at some time
#   --host-timeout 700ms  (one host per group, --scan-delay 20ms on 200 ports:
#                         4 s of work) each host's probes stop within 850 ms,
#                         the second starts after the first stopped, and the
#                         output says "Skipping host ... due to host timeout"
#   --scan-delay 50ms     two hosts probed in parallel (probes of the two
#                         less than 25 ms apart) while each host's own
#                         probes are at least 49 ms apart
#   --max-scan-delay      -sS, -sT: on the lossy ports, with --scan-delay
#                         5ms, the median gap between probes to the host
#                         stays at or under the 10 ms cap (the connect engine
#                         raises its delay on loss, the raw engine never);
#                         -sU: against the kernel's default ICMP rate limit
#                         (1/s), no gap between probes to the host exceeds
#                         250 ms with --max-scan-delay 100ms, and one does
#                         without it (the pacer's rounds back off to 500 ms)
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

PREFIX="198.18.128.0/29"
H() { echo "198.18.128.$1"; }
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local in $LAB_TGT"
lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $PREFIX tcp dport 1000-1999 drop
        ip daddr $PREFIX udp dport 1000-1999 drop
        ip daddr $PREFIX tcp dport 3000-3999 tcp flags & (syn | ack) == syn numgen random mod 100 < 50 drop
    }
}" || t_fail "could not load the nftables ruleset"

WIRE="$T_HELPERS/wire.py"

# wire NAME ARGS...: the scan NAME (prtip ARGS in the scanner namespace)
# with the capture running; the capture is in $T/NAME.wire.
wire() {
    local name="$1" pid
    shift
    rm -f "$T/$name.ready"
    ip netns exec "$LAB_TGT" python3 "$WIRE" capture "$LAB_IF" "$T/$name.wire" "$T/$name.ready" &
    pid=$!
    t_cleanup "kill $pid"
    for _ in $(seq 1 100); do
        [ -e "$T/$name.ready" ] && break
        sleep 0.05
    done
    [ -e "$T/$name.ready" ] || t_fail "$name: the capture did not start"
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" -Pn -n "$@"
    sleep 0.1
    kill "$pid"
    wait "$pid" || true
}

# holds NAME KIND TEST ARGS...: the property holds on NAME's capture.
holds() {
    local name="$1" kind="$2"
    shift 2
    if ! python3 "$WIRE" check "$T/$name.wire" "$kind" "$@" >"$T/$name.check" 2>&1; then
        cat "$T/$name.check" >&2
        t_log "command: $(cat "$T/$name.cmd")"
        t_fail "$name: '$*' does not hold on the wire"
    fi
    t_pass "$name: $* ($(tail -n 1 "$T/$name.check"))"
}

# fails NAME KIND TEST ARGS...: the property does not hold (a control).
fails() {
    local name="$1" kind="$2"
    shift 2
    if python3 "$WIRE" check "$T/$name.wire" "$kind" "$@" >"$T/$name.check" 2>&1; then
        cat "$T/$name.check" >&2
        t_fail "$name (control): '$*' holds without the option"
    fi
    t_pass "$name (control): not $* ($(tail -n 1 "$T/$name.check"))"
}

for st in -sS -sU -sT; do
    kind=syn
    [ "$st" = -sU ] && kind=udp
    # A connect() whose SYN goes unanswered for 1 s is retransmitted by the
    # kernel on the same socket: one probe, however many SYNs (it raced
    # the next connect() of --max-parallelism 1 once in five runs).
    [ "$st" = -sT ] && kind=connect
    n="${st#-}"

    # -r: ports in order per host.
    wire "$n-r" "$st" -r -p 1-60 "$(H 1)" "$(H 2)" "$(H 3)"
    holds "$n-r" "$kind" ascending
    wire "$n-random" "$st" -p 1-60 "$(H 1)" "$(H 2)" "$(H 3)"
    fails "$n-random" "$kind" ascending

    # --max-parallelism 1: silent ports 1000-1004 keep probes outstanding.
    wire "$n-maxpar" "$st" --max-parallelism 1 --max-retries 1 -p 995-1004 "$(H 1)" "$(H 2)"
    holds "$n-maxpar" "$kind" maxout 1 40
    wire "$n-maxpar0" "$st" --max-retries 1 -p 995-1004 "$(H 1)" "$(H 2)"
    fails "$n-maxpar0" "$kind" maxout 1 40

    # --min-parallelism 40: at least 40 silent probes out at once, early.
    wire "$n-minpar" "$st" --min-parallelism 40 --max-retries 1 -p 1000-1059 "$(H 1)"
    holds "$n-minpar" "$kind" minout 40 90 500
    if [ "$st" = -sT ]; then
        wire "$n-minpar0" "$st" --max-retries 1 -p 1000-1059 "$(H 1)"
        fails "$n-minpar0" "$kind" minout 40 90 500
    fi

    # --max-hostgroup 2 over six hosts.
    wire "$n-maxhg" "$st" --max-hostgroup 2 -p 1-50 "$(H 1)-6"
    holds "$n-maxhg" "$kind" maxhosts 2
    holds "$n-maxhg" "$kind" minhosts 2
    wire "$n-maxhg0" "$st" -p 1-50 "$(H 1)-6"
    holds "$n-maxhg0" "$kind" minhosts 6

    # --min-hostgroup 3 (with --max-hostgroup 3): three at once, no more.
    wire "$n-minhg" "$st" --min-hostgroup 3 --max-hostgroup 3 -p 1-50 "$(H 1)-6"
    holds "$n-minhg" "$kind" minhosts 3
    holds "$n-minhg" "$kind" maxhosts 3

    # --host-timeout: each host's clock starts with its group.
    wire "$n-htmo" "$st" --scan-delay 20ms --host-timeout 700ms --max-hostgroup 1 -p 1-200 \
        "$(H 1)" "$(H 2)"
    holds "$n-htmo" "$kind" span "$(H 1)" 850
    holds "$n-htmo" "$kind" span "$(H 2)" 850
    holds "$n-htmo" "$kind" after "$(H 1)" "$(H 2)"
    for h in 1 2; do
        grep -qx "Skipping host $(H $h) due to host timeout" "$T/$n-htmo.out" ||
            t_fail "$n-htmo: no 'Skipping host $(H $h) due to host timeout' in: $(cat "$T/$n-htmo.out")"
    done
    t_pass "$n-htmo: both hosts reported skipped due to host timeout"

    # --scan-delay 50ms: per host, not global.
    wire "$n-delay" "$st" --scan-delay 50ms -p 1-12 "$(H 1)" "$(H 2)"
    holds "$n-delay" "$kind" gaps 49
    holds "$n-delay" "$kind" minhosts 2
    holds "$n-delay" "$kind" mingap 25

    # --max-scan-delay: the delay never grows past it.
    if [ "$st" != -sU ]; then
        wire "$n-maxdelay" "$st" -v --scan-delay 5ms --max-scan-delay 10ms -p 3000-3199 "$(H 1)"
        holds "$n-maxdelay" "$kind" gaps 4 15
    fi
done

# -sU --max-scan-delay: the UDP pacer's rounds (engine/raw/raw_pace.h) are
# the raw engine's adaptive per-host delay; against the kernel's ICMP rate
# limit they back off to twice a second unless capped. --initial-rtt-timeout
# keeps the reply wait (the floor of the interval) small even if no reply
# came in pass 0. Last: the rate limit stays on.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=1000 \
    net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50 ||
    t_fail "cannot restore the default ICMP rate limits in $LAB_TGT"
wire sU-maxdelay -sU --initial-rtt-timeout 100ms --max-scan-delay 100ms -p 2000-2011 "$(H 1)"
holds sU-maxdelay udp maxgap "$(H 1)" 250
[ "$(grep -c '^20[01][0-9]/udp *closed' "$T/sU-maxdelay.out")" -eq 12 ] ||
    t_fail "sU-maxdelay: the 12 closed ports are not all closed: $(cat "$T/sU-maxdelay.out")"
wire sU-maxdelay0 -sU --initial-rtt-timeout 100ms -p 2000-2011 "$(H 1)"
fails sU-maxdelay0 udp maxgap "$(H 1)" 250

echo "PASS: $T_NAME"
