#!/usr/bin/env bash
# Route lookup and next-hop MAC resolution (src/net/route.c, neigh.c) in the
# namespace lab, through helpers/route_probe.c linked against the library
# that sits next to the binary under test (libprtip_core.a).
#
# Ground truth is what iproute2 says about the lab: the target veth's MAC
# (`ip link`), the scanner's addresses, routes we add ourselves. Covered:
#   - on-link IPv4/IPv6 with an empty neighbour table: our own ARP request /
#     Neighbor Solicitation finds the target's MAC, and the kernel's table
#     stays empty (so the answer did not come from it);
#   - table hits: a fake PERMANENT/STALE entry is returned as is (the wire
#     would give the real MAC); a FAILED entry is ignored;
#   - routes via a gateway (both families), forced -e on-link, -S spoofing;
#   - errors: no route, interface down, unknown interface, no reply.
# Every address is inside the lab (198.18.0.0/15, fd00::/8); the scanner
# namespace has no default route.
#
#   sudo bash tests/integration/test_route.sh build/prtip
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME tests prtip's library" >&2; exit 77; }
LIB="$(dirname "$BIN")/libprtip_core.a"
[ -r "$LIB" ] || { echo "SKIP: $T_NAME: no $LIB next to the binary" >&2; exit 77; }
CC="${CC:-cc}"
t_need "$CC" ip

# --- the helper, built like the library (sanitizers included) --------------
cflags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$SRC/src")
# (no grep -q: with pipefail, nm dying of SIGPIPE would read as "no")
if nm "$LIB" 2>/dev/null | grep '__asan_' >/dev/null; then
    cflags+=("-fsanitize=address,undefined" -fno-omit-frame-pointer)
fi
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" "$SRC/tests/integration/helpers/route_probe.c" "$LIB" \
    $(pkg-config --libs jansson libxml-2.0 libpcap 2>/dev/null || true) -lpthread -lm \
    -o "$T/route_probe" 2>"$T/cc.err" || {
    cat "$T/cc.err" >&2
    t_fail "could not build helpers/route_probe.c against $LIB"
}

# --- the lab -----------------------------------------------------------------
# shellcheck source=../lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_require
LABID="route$$"
t_cleanup lab_down "$LABID"
lab_up "$LABID" >/dev/null || t_fail "could not bring up the lab (tests/lab/lib.sh)"
SCAN="$LAB_SCAN" TGT="$LAB_TGT" IF="$LAB_IF"

mac_of() { ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
TGT_MAC="$(mac_of "$TGT" "$IF")"
SCAN_MAC="$(mac_of "$SCAN" "$IF")"
SCAN_MTU="$(ip -n "$SCAN" -o link show dev "$IF" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
if [ -z "$TGT_MAC" ] || [ -z "$SCAN_MAC" ]; then
    t_fail "cannot read the lab's MAC addresses"
fi
t_log "target $IF MAC $TGT_MAC, scanner $IF MAC $SCAN_MAC"
FAKE_MAC="02:00:5e:10:00:01"

# probe NAME ARGS...: run route_probe in the scanner namespace.
probe() {
    local name="$1"
    shift
    local rc=0
    timeout -k 5 30 ip netns exec "$SCAN" "$T/route_probe" "$@" >"$T/$name.out" \
        2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
}
field() { sed -n "s/^$2=//p" "$T/$1.out"; }
# expect NAME KEY=VALUE...: probe NAME succeeded and printed each pair.
expect() {
    local name="$1" kv got
    shift
    if [ "$(cat "$T/$name.rc")" -ne 0 ]; then
        t_fail "$name: route_probe exited $(cat "$T/$name.rc"): $(cat "$T/$name.err")"
    fi
    for kv in "$@"; do
        got="$(field "$name" "${kv%%=*}")"
        [ "$got" = "${kv#*=}" ] || {
            cat "$T/$name.out" >&2
            t_fail "$name: ${kv%%=*} is '$got', expected '${kv#*=}'"
        }
    done
    t_pass "$name: $*"
}
# expect_err NAME TEXT: probe NAME failed with TEXT in its one-line error.
expect_err() {
    local name="$1" text="$2"
    [ "$(cat "$T/$name.rc")" -eq 1 ] || t_fail "$name: exit $(cat "$T/$name.rc"), expected 1"
    [ "$(wc -l <"$T/$name.err")" -eq 1 ] || t_fail "$name: error is not one line: $(cat "$T/$name.err")"
    grep -qF -- "$text" "$T/$name.err" || t_fail "$name: error '$(cat "$T/$name.err")' lacks '$text'"
    t_pass "$name: $(cat "$T/$name.err")"
}
# no_table_entry ADDR: the scanner kernel holds no link address for ADDR.
no_table_entry() {
    if ip -n "$SCAN" neigh show "$1" dev "$IF" | grep -q lladdr; then
        t_fail "the kernel's neighbour table has an entry for $1, so the wire path was not tested"
    fi
}

# --- on-link, resolved by our own ARP / NS ------------------------------------
for fam in v4 v6; do
    if [ $fam = v4 ]; then dst="$LAB_TGT_V4" src="$LAB_SCAN_V4"; else dst="$LAB_TGT_V6" src="$LAB_SCAN_V6"; fi
    ip -n "$SCAN" neigh flush all
    probe "onlink_$fam" "$dst"
    expect "onlink_$fam" iface="$IF" hwtype=1 up=1 mtu="$SCAN_MTU" src="$src" via_gateway=0 \
        next_hop="$dst" src_mac="$SCAN_MAC" have_next_mac=1 next_mac="$TGT_MAC"
    no_table_entry "$dst"

    # Table hits: a fake address proves the table was read, not the wire.
    ip -n "$SCAN" neigh replace "$dst" lladdr "$FAKE_MAC" dev "$IF" nud permanent
    probe "table_perm_$fam" "$dst"
    expect "table_perm_$fam" next_mac="$FAKE_MAC"
    ip -n "$SCAN" neigh replace "$dst" lladdr "$FAKE_MAC" dev "$IF" nud stale
    probe "table_stale_$fam" "$dst"
    expect "table_stale_$fam" next_mac="$FAKE_MAC"
    if ip -n "$SCAN" neigh replace "$dst" lladdr "$FAKE_MAC" dev "$IF" nud failed 2>/dev/null; then
        probe "table_failed_$fam" "$dst"
        expect "table_failed_$fam" next_mac="$TGT_MAC"
    fi
    ip -n "$SCAN" neigh flush all

    # Nobody has this address: bounded wait, then a one-line error.
    if [ $fam = v4 ]; then miss=198.18.0.99 what="no ARP reply"; else miss=fd00::99 what="no Neighbor Advertisement"; fi
    start=$(date +%s%N)
    probe "miss_$fam" -t 300 "$miss"
    ms=$((($(date +%s%N) - start) / 1000000))
    expect_err "miss_$fam" "cannot resolve next hop $miss on $IF: $what"
    [ "$ms" -lt 3000 ] || t_fail "miss_$fam: took $ms ms with a 300 ms timeout"
done

# --- via a gateway ---------------------------------------------------------------
ip -n "$SCAN" route add 198.18.128.0/20 via "$LAB_TGT_V4" dev "$IF"
ip -n "$SCAN" -6 route add fd00:1::/64 via "$LAB_TGT_V6" dev "$IF"
ip -n "$SCAN" neigh flush all
probe gw_v4 198.18.128.5
expect gw_v4 iface="$IF" src="$LAB_SCAN_V4" via_gateway=1 next_hop="$LAB_TGT_V4" next_mac="$TGT_MAC"
probe gw_v6 fd00:1::5
expect gw_v6 iface="$IF" src="$LAB_SCAN_V6" via_gateway=1 next_hop="$LAB_TGT_V6" next_mac="$TGT_MAC"

# --- -S and -e ------------------------------------------------------------------------
probe spoof_v4 -S 198.18.0.77 -n "$LAB_TGT_V4"
expect spoof_v4 iface="$IF" src=198.18.0.77 next_hop="$LAB_TGT_V4"
probe spoof_v6 -S fd00::77 -n "$LAB_TGT_V6"
expect spoof_v6 iface="$IF" src=fd00::77 next_hop="$LAB_TGT_V6"
probe forced_if -e "$IF" -n 198.19.255.1 # no route, but -e: on-link there
expect forced_if iface="$IF" src="$LAB_SCAN_V4" via_gateway=0 next_hop=198.19.255.1
ip -n "$SCAN" link add probe0 type veth peer name probe1 # both stay down
probe if_down -e probe0 "$LAB_TGT_V4"
expect_err if_down "interface probe0 is down"
probe if_none -e nosuch0 "$LAB_TGT_V4"
expect_err if_none "no interface named nosuch0"

# --- addresses with a MAC by rule: subnet broadcast (from the routing table),
# IPv6 all-nodes multicast ----------------------------------------------------------
probe bcast 198.18.0.255
expect bcast iface="$IF" next_hop=198.18.0.255 have_next_mac=1 next_mac=ff:ff:ff:ff:ff:ff
probe mcast6 -e "$IF" ff02::1
expect mcast6 iface="$IF" next_hop=ff02::1 have_next_mac=1 next_mac=33:33:00:00:00:01

# --- no route; loopback -----------------------------------------------------------
probe noroute_v4 198.19.255.1
expect_err noroute_v4 "no route to 198.19.255.1"
probe noroute_v6 fd01::1
expect_err noroute_v6 "no route to fd01::1"
probe lo_v4 127.0.0.1
expect lo_v4 iface=lo hwtype=772 src=127.0.0.1 via_gateway=0 next_hop=127.0.0.1 \
    have_next_mac=1 next_mac=00:00:00:00:00:00
probe lo_v6 ::1
expect lo_v6 iface=lo hwtype=772 src=::1 next_hop=::1 have_next_mac=1
