#!/usr/bin/env bash
# A target listed twice, or covered by overlapping ranges, is scanned and
# reported once per listing, as nmap does: "198.18.0.2 198.18.0.2
# 198.18.0.2-3" gives three reports of 198.18.0.2, each up with the same
# ports, in raw scans (-sS, -sU), host discovery (-sn with ARP and with IP
# probes) and -sT alike. (Before, the raw engine credited every reply to the
# first listing and reported the others down.) Runs against nmap too.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
t_lab_up
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --ports 22 || t_fail "no listener"

targets=("$LAB_TGT_V4" "$LAB_TGT_V4" "${LAB_TGT_V4}-3")
check() { # check NAME EXPECTED-PORTS ARGS...
    local name="$1" want="$2"
    shift 2
    ip netns exec "$LAB_SCAN" "$BIN" -n "$@" "${targets[@]}" -oG "$T/$name.gnmap" \
        >"$T/$name.out" 2>"$T/$name.err" || t_fail "$name: exit $?: $(head -c 400 "$T/$name.err")"
    local up
    up="$(grep -c "^Host: $LAB_TGT_V4 ()	Status: Up" "$T/$name.gnmap" || true)"
    [ "$up" -eq 3 ] || t_fail "$name: $LAB_TGT_V4 reported up $up times, expected 3: $(grep -v '^#' "$T/$name.gnmap")"
    if [ -n "$want" ]; then
        local n
        n="$(grep -c "^Host: $LAB_TGT_V4 ()	Ports: $want	*$" "$T/$name.gnmap" || true)"
        [ "$n" -eq 3 ] || t_fail "$name: ports of $LAB_TGT_V4 not '$want' in all 3 reports: $(grep -v '^#' "$T/$name.gnmap")"
    fi
    t_pass "$name: $LAB_TGT_V4 reported 3 times, up"
}
check syn "22/open/tcp//ssh///, 80/closed/tcp//http///" -sS -p 22,80
check syn-ip "22/open/tcp//ssh///, 80/closed/tcp//http///" -sS -p 22,80 --disable-arp-ping
check udp "53/closed/udp//domain///" -sU -p 53
check ping "" -sn
check ping-ip "" -sn --disable-arp-ping
check connect "22/open/tcp//ssh///, 80/closed/tcp//http///" -sT -p 22,80
echo "PASS: $T_NAME"
