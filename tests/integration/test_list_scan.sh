#!/usr/bin/env bash
# List scan (-sL): every target is named, in order, with state "unknown"
# and reason "user-set" in XML (nmap's layout: no scaninfo, no host times,
# no <hostnames> for an address without a name), "Status: Unknown" in
# greppable output, "N IP addresses (0 hosts up)" at the end, and not one
# packet leaves: the scan runs in a fresh network namespace whose only
# interface (lo, up) must show no transmitted packet and whose IP stack
# must count no sent datagram. Needs no root where user namespaces work.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need python3 unshare ip

# ISOLATE: a private network namespace (as an unprivileged user if need be).
if unshare -rn true 2>/dev/null; then
    ISOLATE=(unshare -rn)
elif [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    ISOLATE=(unshare -n)
else
    echo "SKIP: $T_NAME needs a network namespace (unshare -n)" >&2
    exit 77
fi

# isolated NAME ARGS...: BIN ARGS in a fresh namespace; stdout/stderr in
# $T/NAME.{out,err}; the namespace's lo tx packets and IP OutRequests
# afterwards in $T/NAME.pkts ("lo_tx out_requests").
isolated() {
    local name="$1" rc=0
    shift
    # shellcheck disable=SC2016
    "${ISOLATE[@]}" sh -c '
        ip link set lo up || exit 3
        out="$1"; err="$2"; pkts="$3"; shift 3
        timeout -k 5 60 "$@" >"$out" 2>"$err"; rc=$?
        lo_tx=$(awk -F"[: ]+" "\$2 == \"lo\" { print \$11 }" /proc/net/dev)
        req=$(awk "/^Ip: [0-9]/ { print \$11 }" /proc/net/snmp)
        req6=$(awk "\$1 == \"Ip6OutRequests\" { print \$2 }" /proc/net/snmp6)
        echo "$lo_tx $req $req6" >"$pkts"
        exit $rc
    ' isolated "$T/$name.out" "$T/$name.err" "$T/$name.pkts" "$BIN" "$@" || rc=$?
    if [ "${rc:-0}" -ne 0 ]; then
        cat "$T/$name.err" >&2
        t_fail "$name: exit status $rc for: $*"
    fi
    [ "$(cat "$T/$name.pkts")" = "0 0 0" ] ||
        t_fail "$name: packets were sent (lo tx, IP, IPv6 out: $(cat "$T/$name.pkts"))"
    t_pass "$name: no packet sent"
}

# Facts of an XML list scan: one line per host, then the runstats.
xml_facts() {
    python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.find("scaninfo") is None, "a list scan has no scaninfo"
for h in root.findall("host"):
    assert h.get("starttime") is None, "a list-scan host has no times"
    st = h.find("status")
    addr = h.find("address")
    names = [n.get("name") + "/" + n.get("type") for n in h.findall("hostnames/hostname")]
    print(addr.get("addr"), addr.get("addrtype"), st.get("state"), st.get("reason"),
          st.get("reason_ttl"), ",".join(names) or "-")
hs = root.find("runstats/hosts")
print("hosts up=%s down=%s total=%s" % (hs.get("up"), hs.get("down"), hs.get("total")))
PY
}

# Families in separate runs, as nmap needs (-6); prtip also takes them mixed.
isolated list4 -sL -n -oX "$T/list4.xml" -oG "$T/list4.gnmap" 198.18.0.0/30 localhost
isolated list6 -6 -sL -n -oX "$T/list6.xml" -oG "$T/list6.gnmap" fd00::/126
t_xml_valid "$T/list4.xml"
t_xml_valid "$T/list6.xml"

cat >"$T/expected.xml" <<'EOF2'
198.18.0.0 ipv4 unknown user-set 0 -
198.18.0.1 ipv4 unknown user-set 0 -
198.18.0.2 ipv4 unknown user-set 0 -
198.18.0.3 ipv4 unknown user-set 0 -
127.0.0.1 ipv4 unknown user-set 0 localhost/user
hosts up=0 down=5 total=5
fd00:: ipv6 unknown user-set 0 -
fd00::1 ipv6 unknown user-set 0 -
fd00::2 ipv6 unknown user-set 0 -
fd00::3 ipv6 unknown user-set 0 -
hosts up=0 down=4 total=4
EOF2
{ xml_facts "$T/list4.xml"; xml_facts "$T/list6.xml"; } >"$T/got.xml"
t_same "XML hosts (in target order) and runstats" "$T/expected.xml" "$T/got.xml"

# Normal output: exactly one report line per target, in order, then the
# totals ("Nmap" in nmap's, "prtip" in ours).
cat "$T/list4.out" "$T/list6.out" | grep -E '^(Nmap|prtip) scan report for ' |
    sed -E 's/^(Nmap|prtip) scan report for //' >"$T/got.normal"
printf '%s\n' 198.18.0.{0..3} 'localhost (127.0.0.1)' fd00:: fd00::1 fd00::2 fd00::3 \
    >"$T/expected.normal"
t_same "normal output report lines" "$T/expected.normal" "$T/got.normal"
grep -qE '^(Nmap|prtip) done: 5 IP addresses \(0 hosts up\) scanned in ' "$T/list4.out" ||
    t_fail "normal output: no '5 IP addresses (0 hosts up)' line: $(tail -n 1 "$T/list4.out")"
if grep -q 'Host is up\|PORT' "$T/list4.out" "$T/list6.out"; then
    t_fail "normal output of -sL says more than names"
fi

# Greppable: "Host: ADDR ()<TAB>Status: Unknown" per target (no PTR: -n).
cat "$T/list4.gnmap" "$T/list6.gnmap" | grep '^Host: ' >"$T/got.gnmap"
printf 'Host: %s ()\tStatus: Unknown\n' 198.18.0.{0..3} 127.0.0.1 fd00:: fd00::1 fd00::2 \
    fd00::3 >"$T/expected.gnmap"
t_same "greppable Status lines" "$T/expected.gnmap" "$T/got.gnmap"

if [ "$IS_PRTIP" = 1 ]; then
    # Both families in one run, in command-line order.
    isolated mixed -sL -n -oX "$T/mixed.xml" fd00::/127 198.18.0.0/31
    t_xml_valid "$T/mixed.xml"
    (xml_facts "$T/mixed.xml" | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//'; echo) >"$T/got.mixed"
    echo 'fd00:: fd00::1 198.18.0.0 198.18.0.1 hosts' >"$T/expected.mixed"
    t_same "mixed families in order" "$T/expected.mixed" "$T/got.mixed"
fi

# -sL wins over -sn and discovery options (nmap), still nothing sent; -p is
# refused since no port is scanned.
isolated list2 -sL -sn -PE -n 198.18.0.1
grep -qE 'scan report for 198\.18\.0\.1$' "$T/list2.out" || t_fail "-sL -sn: no report line"
# Nothing was probed, so nothing is down: nmap prints no "Host seems down" note.
! grep -q "Host seems down" "$T/list2.out" || t_fail "-sL of one target says the host seems down"
if "${ISOLATE[@]}" "$BIN" -sL -p 80 -n 198.18.0.1 >"$T/p.out" 2>"$T/p.err"; then
    t_fail "-sL -p 80 was accepted"
fi
t_pass "-sL -p 80 refused: $(head -n 1 "$T/p.err")"

echo "PASS: $T_NAME"
