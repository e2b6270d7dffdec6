#!/usr/bin/env bash
# Connect scan (-sT) of a target behind a lossy link, in the namespace lab.
#
# The target drops 20% of the TCP packets it sends (SYN-ACKs and RSTs), with
# `tc netem loss 20%` on its side of the veth, or, where sch_netem is not in
# the kernel, an nftables rule `numgen random mod 100 < 20 drop` on its
# output. Listeners make a few ports of 1-2000 open. `-sT -Pn -n -p 1-2000`
# must find exactly those open (syn-ack) and every other port closed
# (conn-refused): a lost answer must be retransmitted, never reported as
# filtered. nmap 7.93 gets this right on the same setup (in about 30 s:
# its send delay climbs to 20 ms); prtip's congestion control
# (src/engine/ce_cc.c) must get it right in a few seconds.
#
# Then (prtip only) a target that rate-limits its RSTs: the scan delay must
# rise ("Increasing send delay" with -v, as nmap says it) and the results
# must still be exact.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up

OPEN="22,80,443,1234,1999"
PORTS="1-2000"

lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --addr "$LAB_TGT_V6" --ports "$OPEN" ||
    t_fail "could not start listeners in $LAB_TGT"

if ip netns exec "$LAB_TGT" tc qdisc add dev "$LAB_IF" root netem loss 20% 2>/dev/null; then
    t_log "loss: tc netem loss 20% on the target's $LAB_IF"
else
    t_log "loss: sch_netem unavailable; nftables numgen drop of 20% of the target's TCP output"
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain output {
        type filter hook output priority 0; policy accept;
        meta l4proto tcp numgen random mod 100 < 20 counter drop
    }
}" || t_fail "could not load the loss ruleset"
fi

# expected ADDR -> the open ports as "addr tcp port open syn-ack", ascending
expected() {
    tr ',' '\n' <<<"$OPEN" | sort -n | sed "s/^/$1 tcp /; s/\$/ open syn-ack/"
}

# check NAME ADDR: scan NAME reports exactly the expected ports: the open
# ones listed and the rest as one "closed" extraports group (so no port is
# filtered), in XML and (prtip) JSON.
check() {
    local name="$1" addr="$2" nopen
    t_xml_valid "$T/$name.xml"
    expected "$addr" >"$T/$name.xexpected"
    nopen=$(wc -l <"$T/$name.xexpected")
    echo "$addr closed $((2000 - nopen))" >>"$T/$name.xexpected"
    { t_results xml "$T/$name.xml"; t_results xml "$T/$name.xml" --what extraports; } >"$T/$name.xports"
    t_same "$name XML (open ports, then the extraports group)" "$T/$name.xexpected" "$T/$name.xports"
    if [ "$IS_PRTIP" = 1 ]; then
        { t_results json "$T/$name.json"; t_results json "$T/$name.json" --what extraports; } \
            >"$T/$name.jports"
        t_same "$name JSON" "$T/$name.xexpected" "$T/$name.jports"
    fi
}

scan() {
    local name="$1" addr="$2"
    shift 2
    local t0 t1
    t0=$(date +%s.%N)
    local out=(-oX "$T/$name.xml")
    [ "$IS_PRTIP" = 1 ] && out+=(-oJ "$T/$name.json")
    t_scan_ok "$name" ip netns exec "$LAB_SCAN" -sT -Pn -n -p "$PORTS" "$@" "${out[@]}" "$addr"
    t1=$(date +%s.%N)
    t_log "$name: $(python3 -c "print(f'{$t1 - $t0:.2f}')") s"
    check "$name" "$addr"
}

scan loss-v4 "$LAB_TGT_V4"
if [ "$IS_PRTIP" = 1 ]; then
    # nmap takes ~30 s per family here; the 60 s budget fits one.
    scan loss-v6 "$LAB_TGT_V6" -6
    # -T4 allows 7 tries (--max-retries 6): at 20% loss a port loses all of
    # them with p = 0.2^7, about one run in 40 over 2000 ports, and is then
    # rightly filtered (nmap would say the same). 10 retries keep this case
    # about -T4's windows and timeouts, with a false failure once in ~10^4 runs.
    scan loss-v4-T4 "$LAB_TGT_V4" -T4 --max-retries 10
fi

# --- a target that rate-limits its RSTs: the scan delay must rise ---------
if [ "$IS_PRTIP" = 1 ]; then
    ip netns exec "$LAB_TGT" tc qdisc del dev "$LAB_IF" root 2>/dev/null || true
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain output {
        type filter hook output priority 0; policy accept;
        tcp flags & rst == rst limit rate over 500/second burst 50 packets drop
    }
}" || t_fail "could not load the rate-limit ruleset"
    scan ratelimit "$LAB_TGT_V4" -v
    grep -q "Increasing send delay for $LAB_TGT_V4" "$T/ratelimit.err" "$T/ratelimit.out" ||
        t_fail "ratelimit: no scan-delay increase reported (-v): $(head -c 1500 "$T/ratelimit.err")"
    t_pass "ratelimit: send delay increased"
fi

echo "PASS: $T_NAME"
