# shellcheck shell=bash
# tests/lab/lib.sh — the reusable network-namespace lab for prtip's tests and benchmarks.
#
# Source this file (it defines functions only; it does not change shell options).
#
# Topology for lab id ID (default: the caller's PID):
#
#     netns prtip-scan-ID                         netns prtip-tgt-ID
#     lo up                                       lo up
#     veth "lab0"  LAB_SCAN_V4/24, LAB_SCAN_V6/64 <--> veth "lab0"  LAB_TGT_V4/24, LAB_TGT_V6/64
#
# No default route in either namespace: the only reachable addresses are the
# lab's own subnets (and each namespace's loopback). Addresses must lie inside
# 198.18.0.0/15 (RFC 2544 benchmarking) or fd00::/8 (ULA); lab_up refuses
# anything else, so a typo cannot aim a scan at a real network.
#
# Environment knobs (all optional), read by lab_up:
#   LAB_SCAN_V4=198.18.0.1  LAB_TGT_V4=198.18.0.2  LAB_V4_PLEN=24
#   LAB_SCAN_V6=fd00::1     LAB_TGT_V6=fd00::2     LAB_V6_PLEN=64
#   LAB_SWITCH=1            a switched segment instead of the veth pair (below)
#
# Switched segment (LAB_SWITCH=1), for tests that need several hosts on the
# scanner's link (host discovery, ARP/ND):
#
#     netns prtip-scan-ID   lab0 <--> p-scan ┐
#     netns prtip-tgt-ID    lab0 <--> p-tgt  ├ bridge br0 in netns prtip-sw-ID
#     netns prtip-h-NAME-ID lab0 <--> p-NAME ┘ (lab_add_host NAME V4 V6)
#
# Addresses and names are as in the pair topology, so tests written for it
# run unchanged on it. The bridge forwards at once (no STP, no forward delay).
#
# After lab_up these are set (and lab_print prints them in sourceable form):
#   LAB_ID LAB_SCAN LAB_TGT LAB_IF LAB_SCAN_V4 LAB_TGT_V4 LAB_V4_PLEN
#   LAB_SCAN_V6 LAB_TGT_V6 LAB_V6_PLEN
#
# Helpers for tests (all take the namespace name explicitly):
#   lab_require          exit 77 unless root with ip, nft and python3
#   lab_up [ID]          create the lab (idempotent failure: removes half-made state)
#   lab_down [ID]        remove the lab, killing what still runs inside it
#   lab_nft NS RULES     load an nftables ruleset (string) into NS
#   lab_listen NS OUT ARGS...   start tests/integration/helpers/listen.py in NS
#                        in the background, wait until it is ready; its output
#                        lines ("open ADDR PORT", "closed ADDR PORT") are in OUT;
#                        its PID is in LAB_LISTEN_PID (kill it yourself or let
#                        lab_down do it).
#   lab_add_host NAME V4 V6   (LAB_SWITCH=1 only) one more host on the segment:
#                        netns prtip-h-NAME-ID with lab0 = V4/LAB_V4_PLEN and
#                        V6/LAB_V6_PLEN (either may be "-" for none); prints
#                        nothing, sets LAB_HOST_NS to the namespace name.
#   lab_add_routed NAME RV4 RV6 NET4 NET6   (LAB_SWITCH=1 only) a router on the
#                        segment (netns prtip-h-NAMErt-ID, lab0 = RV4, RV6) and
#                        behind it a host on a subnet of its own (netns
#                        prtip-h-NAME-ID, lab0 = the second address of NET4 and
#                        NET6, e.g. 198.18.1.0/24 -> 198.18.1.2; the router
#                        has the first on its "lab1"). The scanner routes NET4
#                        and NET6 via RV4/RV6, the host routes the lab's subnets
#                        via the router; still no default route anywhere. Sets
#                        LAB_ROUTER_NS, LAB_HOST_NS, LAB_FAR_V4, LAB_FAR_V6.
#   lab_add_link NAME IF SV4 HV4 SV6 HV6   a second link of the scanner: veth
#                        IF in the scanner namespace (SV4/LAB_V4_PLEN,
#                        SV6/LAB_V6_PLEN) to lab0 of netns prtip-h-NAME-ID
#                        (HV4, HV6), for scans whose targets leave by several
#                        interfaces. Sets LAB_HOST_NS.
#   lab_confined         exit 1 unless every route of the scanner namespace
#                        stays in the lab (no default route, every prefix in
#                        198.18.0.0/15 or fd00::/8): for peer scanners run
#                        without -e (nmap scanning its own address).
#   lab_guard CMD...     exit 1 unless CMD (a peer scanner) stays in the lab (below)
#   lab_anyip NS PREFIX  route a whole prefix to NS's loopback (AnyIP), so every
#                        address in PREFIX answers inside NS; PREFIX must be in
#                        the lab ranges; the scanner side gets a route via the
#                        target's link address. Also allows non-local binds in
#                        NS, so listeners can bind single addresses of PREFIX.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_HELPERS="$(cd "$LAB_DIR/../integration/helpers" 2>/dev/null && pwd || true)"

lab_log() { printf 'lab: %s\n' "$*" >&2; }

# Exit 77 (the CTest "skipped" code) when the lab cannot be built here.
lab_require() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: needs root for network namespaces" >&2
        exit 77
    fi
    local tool
    for tool in ip nft python3; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: '$tool' not installed (iproute2, nftables, python3)" >&2
            exit 77
        fi
    done
}

# lab_check_addr ADDR: succeed iff ADDR (or prefix) is inside the lab ranges.
lab_check_addr() {
    python3 - "$1" <<'EOF'
import ipaddress, sys
a = sys.argv[1]
net = ipaddress.ip_network(a, strict=False)
ok = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("fd00::/8")]
sys.exit(0 if any(net.version == o.version and net.subnet_of(o) for o in ok) else 1)
EOF
}

lab_set_names() {
    LAB_ID="${1:-$$}"
    LAB_SCAN="prtip-scan-$LAB_ID"
    LAB_TGT="prtip-tgt-$LAB_ID"
    LAB_SW="prtip-sw-$LAB_ID"
    LAB_IF="lab0"
    LAB_SCAN_V4="${LAB_SCAN_V4:-198.18.0.1}"
    LAB_TGT_V4="${LAB_TGT_V4:-198.18.0.2}"
    LAB_V4_PLEN="${LAB_V4_PLEN:-24}"
    LAB_SCAN_V6="${LAB_SCAN_V6:-fd00::1}"
    LAB_TGT_V6="${LAB_TGT_V6:-fd00::2}"
    LAB_V6_PLEN="${LAB_V6_PLEN:-64}"
}

lab_print() {
    local v
    for v in LAB_ID LAB_SCAN LAB_TGT LAB_SW LAB_IF LAB_SCAN_V4 LAB_TGT_V4 LAB_V4_PLEN \
        LAB_SCAN_V6 LAB_TGT_V6 LAB_V6_PLEN; do
        printf '%s=%q\n' "$v" "${!v}"
    done
}

# Per-namespace sysctls that make the lab deterministic.
lab_sysctls() {
    local ns="$1"
    # Answer every reject at once: no ICMP rate limiting (per-netns sysctls).
    ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
        net.ipv4.icmp_msgs_per_sec=100000 >/dev/null 2>&1 || true
    # Usable IPv6 immediately: no duplicate address detection.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1 || true
    # No router advertisements/solicitations: nothing may install a default route.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
        net.ipv6.conf.default.accept_ra=0 >/dev/null 2>&1 || true
}

# lab_wait_up NS IF: wait (≤5 s) until IF in NS has carrier.
lab_wait_up() {
    local ns="$1" dev="$2" _
    for _ in $(seq 1 50); do
        if ip -n "$ns" -o link show dev "$dev" 2>/dev/null | grep -q 'LOWER_UP'; then
            return 0
        fi
        sleep 0.1
    done
    lab_log "link $dev in $ns did not come up"
    return 1
}

lab_up() {
    lab_set_names "${1:-}"
    local a
    for a in "$LAB_SCAN_V4/$LAB_V4_PLEN" "$LAB_TGT_V4/$LAB_V4_PLEN" \
        "$LAB_SCAN_V6/$LAB_V6_PLEN" "$LAB_TGT_V6/$LAB_V6_PLEN"; do
        if ! lab_check_addr "$a"; then
            lab_log "refusing $a: lab addresses must be inside 198.18.0.0/15 or fd00::/8"
            return 1
        fi
    done
    if ip netns list | grep -qE "^($LAB_SCAN|$LAB_TGT|$LAB_SW)( |\$)"; then
        lab_log "lab '$LAB_ID' already exists (run down.sh --id $LAB_ID)"
        return 1
    fi
    if ! lab_up_inner; then
        lab_log "setup of lab '$LAB_ID' failed; removing what was made"
        lab_down "$LAB_ID"
        return 1
    fi
}

# lab_switch_port NS PORT: a veth "lab0" in NS whose peer PORT is a port of
# the switch namespace's bridge (LAB_SWITCH=1 topology).
lab_switch_port() {
    local ns="$1" port="$2"
    ip link add name "$LAB_IF" netns "$ns" type veth peer name "$port" netns "$LAB_SW" || return 1
    ip -n "$LAB_SW" link set "$port" master br0 up || return 1
}

# The per-host part of setting up a namespace whose lab0 exists.
lab_ns_prepare() {
    local ns="$1"
    lab_sysctls "$ns"
    # The veth existed before "default" was set: no DAD for its link-local
    # address either (the kernel does DAD if "all" or the interface asks).
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$LAB_IF.accept_dad=0" \
        "net.ipv6.conf.$LAB_IF.accept_ra=0" >/dev/null 2>&1 || true
    ip -n "$ns" link set lo up || return 1
}

lab_up_inner() {
    ip netns add "$LAB_SCAN" || return 1
    ip netns add "$LAB_TGT" || return 1
    if [ "${LAB_SWITCH:-0}" = 1 ]; then
        ip netns add "$LAB_SW" || return 1
        lab_sysctls "$LAB_SW"
        ip -n "$LAB_SW" link set lo up || return 1
        ip -n "$LAB_SW" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
        ip -n "$LAB_SW" link set br0 up || return 1
        lab_switch_port "$LAB_SCAN" p-scan || return 1
        lab_switch_port "$LAB_TGT" p-tgt || return 1
    else
        # Create the veth pair directly inside the namespaces (the root
        # namespace never sees it, so concurrent labs cannot collide on
        # interface names).
        ip link add name "$LAB_IF" netns "$LAB_SCAN" type veth \
            peer name "$LAB_IF" netns "$LAB_TGT" || return 1
    fi
    local ns
    for ns in "$LAB_SCAN" "$LAB_TGT"; do
        lab_ns_prepare "$ns" || return 1
    done
    ip -n "$LAB_SCAN" addr add "$LAB_SCAN_V4/$LAB_V4_PLEN" dev "$LAB_IF" || return 1
    ip -n "$LAB_TGT" addr add "$LAB_TGT_V4/$LAB_V4_PLEN" dev "$LAB_IF" || return 1
    ip -n "$LAB_SCAN" addr add "$LAB_SCAN_V6/$LAB_V6_PLEN" dev "$LAB_IF" nodad || return 1
    ip -n "$LAB_TGT" addr add "$LAB_TGT_V6/$LAB_V6_PLEN" dev "$LAB_IF" nodad || return 1
    ip -n "$LAB_SCAN" link set "$LAB_IF" up || return 1
    ip -n "$LAB_TGT" link set "$LAB_IF" up || return 1
    lab_wait_up "$LAB_SCAN" "$LAB_IF" || return 1
    lab_wait_up "$LAB_TGT" "$LAB_IF" || return 1
    # Safety net: there must be no default route anywhere in the lab.
    for ns in "$LAB_SCAN" "$LAB_TGT"; do
        if ip -n "$ns" route show default | grep -q . ||
            ip -n "$ns" -6 route show default | grep -q .; then
            lab_log "unexpected default route in $ns"
            return 1
        fi
    done
    # Link-local v6 addresses still go through DAD on some kernels; wait for
    # every address to leave "tentative" (≤3 s).
    local _
    for _ in $(seq 1 30); do
        if ! ip -n "$LAB_SCAN" -6 addr show tentative | grep -q inet6 &&
            ! ip -n "$LAB_TGT" -6 addr show tentative | grep -q inet6; then
            break
        fi
        sleep 0.1
    done
}

# lab_add_host NAME V4 V6: one more namespace on the switched segment.
lab_add_host() {
    local name="$1" v4="$2" v6="$3"
    case "$name" in
    '' | *[!a-z0-9]*) lab_log "lab_add_host: host name '$name' must be [a-z0-9]+"; return 1 ;;
    esac
    if [ "${LAB_SWITCH:-0}" != 1 ] || ! ip netns list | grep -qE "^$LAB_SW( |\$)"; then
        lab_log "lab_add_host needs a lab made with LAB_SWITCH=1"
        return 1
    fi
    local a
    for a in "$v4" "$v6"; do
        if [ "$a" != - ] && ! lab_check_addr "$a"; then
            lab_log "refusing $a: lab addresses must be inside 198.18.0.0/15 or fd00::/8"
            return 1
        fi
    done
    LAB_HOST_NS="prtip-h-$name-$LAB_ID"
    ip netns add "$LAB_HOST_NS" || return 1
    lab_switch_port "$LAB_HOST_NS" "p-$name" || return 1
    lab_ns_prepare "$LAB_HOST_NS" || return 1
    [ "$v4" = - ] || ip -n "$LAB_HOST_NS" addr add "$v4/$LAB_V4_PLEN" dev "$LAB_IF" || return 1
    [ "$v6" = - ] || ip -n "$LAB_HOST_NS" addr add "$v6/$LAB_V6_PLEN" dev "$LAB_IF" nodad ||
        return 1
    ip -n "$LAB_HOST_NS" link set "$LAB_IF" up || return 1
    lab_wait_up "$LAB_HOST_NS" "$LAB_IF"
}

# lab_add_link NAME IF SV4 HV4 SV6 HV6: a second link of the scanner.
lab_add_link() {
    local name="$1" dev="$2" sv4="$3" hv4="$4" sv6="$5" hv6="$6" a
    for a in "$sv4" "$hv4" "$sv6" "$hv6"; do
        lab_check_addr "$a" || { lab_log "refusing $a: outside the lab ranges"; return 1; }
    done
    LAB_HOST_NS="prtip-h-$name-$LAB_ID"
    ip netns add "$LAB_HOST_NS" || return 1
    ip link add name "$dev" netns "$LAB_SCAN" type veth peer name "$LAB_IF" \
        netns "$LAB_HOST_NS" || return 1
    lab_ns_prepare "$LAB_HOST_NS" || return 1
    ip netns exec "$LAB_SCAN" sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" \
        "net.ipv6.conf.$dev.accept_ra=0" >/dev/null 2>&1 || true
    ip -n "$LAB_SCAN" addr add "$sv4/$LAB_V4_PLEN" dev "$dev" || return 1
    ip -n "$LAB_SCAN" addr add "$sv6/$LAB_V6_PLEN" dev "$dev" nodad || return 1
    ip -n "$LAB_HOST_NS" addr add "$hv4/$LAB_V4_PLEN" dev "$LAB_IF" || return 1
    ip -n "$LAB_HOST_NS" addr add "$hv6/$LAB_V6_PLEN" dev "$LAB_IF" nodad || return 1
    ip -n "$LAB_SCAN" link set "$dev" up || return 1
    ip -n "$LAB_HOST_NS" link set "$LAB_IF" up || return 1
    lab_wait_up "$LAB_SCAN" "$dev" && lab_wait_up "$LAB_HOST_NS" "$LAB_IF"
}

# lab_add_routed NAME RV4 RV6 NET4 NET6: a router and a host behind it.
lab_add_routed() {
    local name="$1" rv4="$2" rv6="$3" net4="$4" net6="$5" a
    for a in "$net4" "$net6"; do
        lab_check_addr "$a" || { lab_log "refusing $a: outside the lab ranges"; return 1; }
    done
    lab_add_host "${name}rt" "$rv4" "$rv6" || return 1
    LAB_ROUTER_NS="$LAB_HOST_NS"
    # net first/second address and prefix length, and the lab's own subnets
    local in4 far4 len4 in6 far6 len6 lab4 lab6
    read -r in4 far4 len4 in6 far6 len6 lab4 lab6 < <(python3 - "$net4" "$net6" \
        "$LAB_SCAN_V4/$LAB_V4_PLEN" "$LAB_SCAN_V6/$LAB_V6_PLEN" <<'PY'
import ipaddress, sys
n4 = ipaddress.ip_network(sys.argv[1], strict=False)
n6 = ipaddress.ip_network(sys.argv[2], strict=False)
l4 = ipaddress.ip_network(sys.argv[3], strict=False)
l6 = ipaddress.ip_network(sys.argv[4], strict=False)
print(n4[1], n4[2], n4.prefixlen, n6[1], n6[2], n6.prefixlen, l4, l6)
PY
    ) || return 1
    LAB_HOST_NS="prtip-h-$name-$LAB_ID"
    ip netns add "$LAB_HOST_NS" || return 1
    ip link add name lab1 netns "$LAB_ROUTER_NS" type veth peer name "$LAB_IF" \
        netns "$LAB_HOST_NS" || return 1
    lab_ns_prepare "$LAB_HOST_NS" || return 1
    ip netns exec "$LAB_ROUTER_NS" sysctl -qw net.ipv4.ip_forward=1 \
        net.ipv6.conf.all.forwarding=1 net.ipv6.conf.lab1.accept_dad=0 >/dev/null || return 1
    ip -n "$LAB_ROUTER_NS" addr add "$in4/$len4" dev lab1 || return 1
    ip -n "$LAB_ROUTER_NS" addr add "$in6/$len6" dev lab1 nodad || return 1
    ip -n "$LAB_HOST_NS" addr add "$far4/$len4" dev "$LAB_IF" || return 1
    ip -n "$LAB_HOST_NS" addr add "$far6/$len6" dev "$LAB_IF" nodad || return 1
    ip -n "$LAB_ROUTER_NS" link set lab1 up || return 1
    ip -n "$LAB_HOST_NS" link set "$LAB_IF" up || return 1
    lab_wait_up "$LAB_HOST_NS" "$LAB_IF" || return 1
    ip -n "$LAB_HOST_NS" route add "$lab4" via "$in4" || return 1
    ip -n "$LAB_HOST_NS" -6 route add "$lab6" via "$in6" || return 1
    ip -n "$LAB_SCAN" route add "$net4" via "$rv4" || return 1
    ip -n "$LAB_SCAN" -6 route add "$net6" via "$rv6" || return 1
    LAB_FAR_V4="$far4"
    LAB_FAR_V6="$far6"
}

# lab_down [ID]: kill every process still inside the lab's namespaces (by PID,
# as listed by the kernel for exactly these namespaces), then delete them.
lab_down() {
    local id="${1:-${LAB_ID:-}}"
    [ -n "$id" ] || { lab_log "lab_down: no lab id"; return 1; }
    local ns pids hosts
    # Hosts added with lab_add_host (prtip-h-NAME-ID, NAME without dashes).
    hosts="$(ip netns list | awk '{print $1}' | grep -E "^prtip-h-[a-z0-9]+-$id\$" || true)"
    for ns in "prtip-scan-$id" "prtip-tgt-$id" $hosts "prtip-sw-$id"; do
        if ip netns list | grep -qE "^$ns( |\$)"; then
            pids="$(ip netns pids "$ns" 2>/dev/null || true)"
            if [ -n "$pids" ]; then
                # shellcheck disable=SC2086
                kill $pids 2>/dev/null || true
                sleep 0.2
                pids="$(ip netns pids "$ns" 2>/dev/null || true)"
                # shellcheck disable=SC2086
                [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
            fi
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
}

# lab_nft NS RULESET: load RULESET (nft syntax) into NS, replacing table
# "prtip_lab" if it was loaded before.
lab_nft() {
    local ns="$1" rules="$2"
    ip netns exec "$ns" nft delete table inet prtip_lab 2>/dev/null || true
    printf '%s\n' "$rules" | ip netns exec "$ns" nft -f - || {
        lab_log "nft ruleset rejected in $ns"
        return 1
    }
}

# lab_listen NS OUT ARGS...: run helpers/listen.py ARGS in NS (or in the
# current namespace when NS is "-"), wait for it to be ready.
lab_listen() {
    local ns="$1" out="$2"
    shift 2
    local _
    if [ "$ns" = "-" ]; then
        python3 "$LAB_HELPERS/listen.py" "$@" >"$out" &
    else
        ip netns exec "$ns" python3 "$LAB_HELPERS/listen.py" "$@" >"$out" &
    fi
    LAB_LISTEN_PID=$!
    for _ in $(seq 1 100); do
        if grep -qx ready "$out" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$LAB_LISTEN_PID" 2>/dev/null; then
            lab_log "listener exited early: $*"
            return 1
        fi
        sleep 0.1
    done
    lab_log "listener not ready after 10 s: $*"
    return 1
}

# lab_anyip NS PREFIX: every address of PREFIX is local to NS (AnyIP on lo);
# the other lab namespace reaches PREFIX through the veth.
lab_anyip() {
    local ns="$1" prefix="$2" other via
    lab_check_addr "$prefix" || { lab_log "refusing AnyIP prefix $prefix"; return 1; }
    if [ "$ns" = "$LAB_TGT" ]; then other="$LAB_SCAN"; else other="$LAB_TGT"; fi
    # Listeners may bind single addresses of the prefix: IPv6 refuses to bind
    # an AnyIP address (EADDRNOTAVAIL) unless non-local binds are allowed.
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_nonlocal_bind=1 \
        net.ipv6.ip_nonlocal_bind=1 >/dev/null 2>&1 || true
    case "$prefix" in
    *:*)
        ip -n "$ns" -6 route add local "$prefix" dev lo || return 1
        if [ "$ns" = "$LAB_TGT" ]; then via="$LAB_TGT_V6"; else via="$LAB_SCAN_V6"; fi
        ip -n "$other" -6 route add "$prefix" via "$via" dev "$LAB_IF" || return 1
        ;;
    *)
        ip -n "$ns" route add local "$prefix" dev lo || return 1
        if [ "$ns" = "$LAB_TGT" ]; then via="$LAB_TGT_V4"; else via="$LAB_SCAN_V4"; fi
        ip -n "$other" route add "$prefix" via "$via" dev "$LAB_IF" || return 1
        ;;
    esac
}

# lab_confined: the scanner namespace cannot reach outside the lab.
lab_confined() {
    if ip -n "$LAB_SCAN" route show default | grep -q . ||
        ip -n "$LAB_SCAN" -6 route show default | grep -q .; then
        lab_log "SAFETY: $LAB_SCAN has a default route"
        exit 1
    fi
    # Every destination of every table (local, broadcast, ... name it second).
    { ip -n "$LAB_SCAN" -4 -o route show table all; ip -n "$LAB_SCAN" -6 -o route show table all; } |
        awk '{ print ($1 ~ /^(local|broadcast|multicast|anycast|unicast)$/) ? $2 : $1 }' |
        python3 -c '
import ipaddress, sys
ok = [ipaddress.ip_network(n) for n in ("198.18.0.0/15", "fd00::/8", "127.0.0.0/8", "::1/128",
                                          "fe80::/10", "ff00::/8")]
for r in sys.stdin.read().split():
    n = ipaddress.ip_network(r, strict=False)
    if not any(n.version == o.version and n.subnet_of(o) for o in ok):
        sys.exit(f"lab: SAFETY: the scanner namespace routes {r}")
' || exit 1
}

# lab_guard CMD...: refuse (exit 1) to run a peer command line (zmap,
# masscan, nmap) that could leave the lab. Those tools ignore routing tables
# (or follow a default route) and would send anywhere they are told, so
# before each run: the scanner namespace must have no default route, the
# target must not forward, the command must name the lab veth (--adapter,
# -i or -e) and every IPv4 address or prefix in it must lie in
# 198.18.0.0/15 (-S / --adapter-ip must be the scanner's own address).
# Needs LAB_SCAN, LAB_TGT, LAB_IF and LAB_SCAN_V4 (lab_up sets them).
lab_guard() {
    lab_guard_fail() { lab_log "SAFETY: $1; refusing to run: ${*:2}"; exit 1; }
    if ip -n "$LAB_SCAN" route show default | grep -q . ||
        ip -n "$LAB_SCAN" -6 route show default | grep -q .; then
        lab_guard_fail "$LAB_SCAN has a default route" "$@"
    fi
    [ "$(ip netns exec "$LAB_TGT" sysctl -n net.ipv4.ip_forward)" = 0 ] ||
        lab_guard_fail "$LAB_TGT forwards packets" "$@"
    local a prev="" iface_ok=0 ntargets=0
    for a in "$@"; do
        case "$prev" in
        --adapter | -i | -e)
            [ "$a" = "$LAB_IF" ] || lab_guard_fail "adapter '$a' is not the lab veth" "$@"
            iface_ok=1
            ;;
        esac
        case "$a" in
        [0-9]*.[0-9]*.[0-9]*.[0-9]*)
            case "$prev" in
            --adapter-ip | -S)
                [ "$a" = "$LAB_SCAN_V4" ] || lab_guard_fail "source $a is not $LAB_SCAN_V4" "$@"
                ;;
            *)
                lab_check_addr "$a" || lab_guard_fail "target $a is outside 198.18.0.0/15" "$@"
                ntargets=$((ntargets + 1))
                ;;
            esac
            ;;
        esac
        prev="$a"
    done
    [ "$iface_ok" = 1 ] || lab_guard_fail "no --adapter/-i/-e $LAB_IF" "$@"
    [ "$ntargets" -ge 1 ] || lab_guard_fail "no explicit lab target" "$@"
}

# Count the TCP connection attempts (SYNs, retransmissions included) that
# reach namespace NS, per destination port: lab_syn_count_start NS P1,P2,...
# (re)starts the counts at zero; lab_syn_counts NS prints "PORT COUNT" lines.
# An nftables table of its own in NS (input hook, counters only: every packet
# is accepted), gone with the namespace.
lab_syn_count_start() { # NS PORTS
    local p rules=""
    ip netns exec "$1" nft delete table inet prtip_syns >/dev/null 2>&1 || true
    for p in ${2//,/ }; do
        rules+="        tcp dport $p tcp flags & (syn | ack) == syn counter"$'\n'
    done
    ip netns exec "$1" nft -f - <<NFT
table inet prtip_syns {
    chain in {
        type filter hook input priority -300; policy accept;
$rules    }
}
NFT
}
lab_syn_counts() { # NS
    ip netns exec "$1" nft list table inet prtip_syns |
        awk '/counter packets/ { for (i = 1; i < NF; i++) { if ($i == "dport") p = $(i + 1);
             if ($i == "packets") c = $(i + 1) } print p, c }'
}
