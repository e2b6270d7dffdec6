#!/usr/bin/env bash
# Raw-scan failures that are the machine's, not the command line's: prtip
# prints one line on stderr ("prtip: ...") that says what is wrong and names
# the input, and exits 2 (SPEC: runtime failure). Cases:
#
#   no CAP_NET_RAW   -sS 127.0.0.1 as user nobody (setpriv), and as root with
#                    cap_net_raw dropped from every set (capsh --drop): the
#                    line mentions root or CAP_NET_RAW and suggests -sT
#   no interface     -e nosuchif -sS 127.0.0.1: the line names "nosuchif"
#   no route         -sS 198.19.255.1 from the lab's scanner namespace, where
#                    198.18.0.0/15 has no route beyond 198.18.0.0/24: the line
#                    names 198.19.255.1 (likewise fd01::1 with -6)
#   partly routable  198.18.0.2 and 198.19.255.1 together: like nmap ("failed
#                    to determine route to 198.19.255.1", the rest is scanned),
#                    stderr names the unroutable address, the routable host is
#                    scanned (port 80 open in the XML) and the exit status is 0
#
# nmap behaves differently on purpose (it scans zero hosts and exits 0 when no
# target has a route, exits 1 with two lines for a bad -e, and runs anyway as
# an unprivileged user, falling back to a connect scan), so with nmap as the
# binary the test is skipped (exit 77).
#
# Every case runs in a namespace of its own (lo only, or the lab's scanner
# namespace, which has no default route): nothing can leave the machine.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
if [ "$IS_PRTIP" = 0 ]; then
    echo "SKIP: $T_NAME checks prtip's own error lines (nmap's differ by design)" >&2
    exit 77
fi
t_need setpriv capsh

# A private namespace with only lo up, for the local cases.
NS="prtip-rawerr-$$"
t_cleanup ip netns del "$NS"
ip netns add "$NS"
ip -n "$NS" link set lo up

# The unprivileged user must be able to reach the binary and the data files:
# run a copy from a world-readable directory.
PUB="$(mktemp -d /tmp/prtip-rawerr-bin.XXXXXX)"
t_cleanup rm -rf "$PUB"
chmod 755 "$PUB"
cp "$BIN" "$PUB/prtip"
chmod 755 "$PUB/prtip"

# expect_error NAME RC REGEX...: the scan NAME exited RC with exactly one
# non-empty stderr line, of the form "prtip: ...", matching every REGEX
# (extended, case-insensitive).
expect_error() {
    local name="$1" want_rc="$2" rc lines re
    shift 2
    rc="$(cat "$T/$name.rc")"
    lines="$(grep -c . "$T/$name.err" || true)"
    if [ "$rc" != "$want_rc" ] || [ "$lines" != 1 ]; then
        t_log "command: $(cat "$T/$name.cmd")"
        t_log "stderr:"
        head -n 10 "$T/$name.err" >&2
        t_fail "$name: exit $rc with $lines stderr line(s), expected exit $want_rc and one line"
    fi
    grep -q '^prtip: ' "$T/$name.err" || t_fail "$name: stderr line does not start with 'prtip: ': $(cat "$T/$name.err")"
    for re in "$@"; do
        grep -qiE -- "$re" "$T/$name.err" ||
            t_fail "$name: stderr does not match /$re/: $(cat "$T/$name.err")"
    done
    t_pass "$name: exit $rc, \"$(grep . "$T/$name.err")\""
}

SCAN=(-Pn -n -p 80)

# run_cmd NAME CMD...: like t_scan, for a command line that wraps the binary
# itself (setpriv, capsh).
run_cmd() {
    local name="$1" rc=0
    shift
    printf '%s\n' "$*" >"$T/$name.cmd"
    timeout -k 5 60 "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then t_fail "$name: timed out after 60 s: $*"; fi
}

# --- no CAP_NET_RAW -----------------------------------------------------------
run_cmd nobody ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
    --inh-caps=-all --bounding-set=-all -- "$PUB/prtip" -sS "${SCAN[@]}" 127.0.0.1
expect_error nobody 2 'root|CAP_NET_RAW' '-sT'

run_cmd nocap ip netns exec "$NS" capsh --drop=cap_net_raw -- -c \
    "exec \"\$0\" \"\$@\"" "$PUB/prtip" -sS "${SCAN[@]}" 127.0.0.1
expect_error nocap 2 'root|CAP_NET_RAW' '-sT'

# --- interface that does not exist --------------------------------------------
t_scan noif ip netns exec "$NS" -e nosuchif -sS "${SCAN[@]}" 127.0.0.1
expect_error noif 2 'nosuchif'

# --- no route, inside the lab's scanner namespace -----------------------------
t_lab_up
if ip -n "$LAB_SCAN" route show default | grep -q . || ip -n "$LAB_SCAN" -6 route show default | grep -q .; then
    t_fail "$LAB_SCAN has a default route: refusing to scan unrouted addresses"
fi
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --ports 80 ||
    t_fail "could not start a listener in $LAB_TGT"

t_scan noroute ip netns exec "$LAB_SCAN" -sS "${SCAN[@]}" 198.19.255.1
expect_error noroute 2 '198\.19\.255\.1' 'route'

t_scan noroute6 ip netns exec "$LAB_SCAN" -6 -sS "${SCAN[@]}" fd01::1
expect_error noroute6 2 'fd01::1' 'route'

# --- one routable, one unroutable target: scan what can be scanned ------------
t_scan partial ip netns exec "$LAB_SCAN" -sS "${SCAN[@]}" --max-retries 1 -oX "$T/partial.xml" \
    "$LAB_TGT_V4" 198.19.255.1
rc="$(cat "$T/partial.rc")"
[ "$rc" = 0 ] || t_fail "partial: exit $rc, expected 0 (nmap scans the routable targets): $(head -c 500 "$T/partial.err")"
grep -q '198\.19\.255\.1' "$T/partial.err" ||
    t_fail "partial: stderr does not name the unroutable 198.19.255.1: $(head -c 500 "$T/partial.err")"
t_xml_valid "$T/partial.xml"
t_results xml "$T/partial.xml" | grep -qx "$LAB_TGT_V4 tcp 80 open syn-ack" ||
    t_fail "partial: $LAB_TGT_V4:80 not open syn-ack: $(t_results xml "$T/partial.xml")"
t_pass "partial: $LAB_TGT_V4 scanned, 198.19.255.1 named on stderr, exit 0"

echo "PASS: $T_NAME"
