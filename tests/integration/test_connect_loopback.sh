#!/usr/bin/env bash
# Connect scan (-sT) of real listeners on 127.0.0.1 and ::1.
#
# Ground truth: helpers/listen.py binds random free ports on both addresses
# (open) and reports ports that are free (closed). Asserts the exact
# open/closed sets and reasons in XML (valid against nmap.dtd), the same
# states in greppable output and (prtip only) the same records in -oJ JSON,
# a normal-output report, and a full -p- scan that finds all our listeners and
# nothing that is not listening (catches e.g. TCP self-connects on ephemeral
# ports being reported as open).
#
# As root the test runs in a private network namespace (only lo, only our
# listeners); otherwise on the host's loopback, where other listeners are
# tolerated if `ss -ltnH` shows them.
#
#   bash tests/integration/test_connect_loopback.sh build/prtip
#   bash tests/integration/test_connect_loopback.sh /usr/bin/nmap
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need python3 ss

t_private_lo

# --- ground truth -----------------------------------------------------------
"${IN[@]}" python3 "$T_HELPERS/listen.py" --addr 127.0.0.1 --addr ::1 \
    --random 6 --closed 6 >"$T/listen.txt" &
LPID=$!
t_cleanup kill "$LPID"
for _ in $(seq 1 100); do
    grep -qx ready "$T/listen.txt" && break
    kill -0 "$LPID" 2>/dev/null || t_fail "listener helper died: $(cat "$T/listen.txt")"
    sleep 0.1
done
grep -qx ready "$T/listen.txt" || t_fail "listener helper not ready after 10 s"

ports_of() { awk -v k="$1" -v a="$2" '$1 == k && $2 == a { print $3 }' "$T/listen.txt" | sort -n; }
joined() { paste -sd, -; }

check_family() {
    local fam="$1" addr="$2"
    shift 2
    local open closed list
    open="$(ports_of open "$addr" | joined)"
    closed="$(ports_of closed "$addr" | joined)"
    list="$open,$closed"
    t_log "$addr: open {$open} closed {$closed}"

    {
        ports_of open "$addr" | awk -v a="$addr" '{ print a, "tcp", $1, "open", "syn-ack" }'
        ports_of closed "$addr" | awk -v a="$addr" '{ print a, "tcp", $1, "closed", "conn-refused" }'
    } | sort -k3,3n >"$T/$fam.expected"

    local out=(-oX "$T/$fam.xml" -oG "$T/$fam.gnmap")
    [ "$IS_PRTIP" = 1 ] && out+=(-oJ "$T/$fam.json")
    t_scan_ok "$fam" "${IN[@]}" -sT -Pn -n "$@" -p "$list" "${out[@]}" "$addr"

    t_xml_valid "$T/$fam.xml"
    t_pass "$fam XML validates against nmap.dtd"
    t_results xml "$T/$fam.xml" >"$T/$fam.xml.ports"
    t_same "$fam XML ports (addr proto port state reason)" "$T/$fam.expected" "$T/$fam.xml.ports"

    t_results xml "$T/$fam.xml" --what hosts >"$T/$fam.hosts"
    echo "$addr up" >"$T/$fam.hosts.expected"
    t_same "$fam XML host status" "$T/$fam.hosts.expected" "$T/$fam.hosts"

    awk '{ print $1, $2, $3, $4, "-" }' "$T/$fam.expected" >"$T/$fam.gexpected"
    t_results gnmap "$T/$fam.gnmap" >"$T/$fam.gnmap.ports"
    t_same "$fam greppable ports" "$T/$fam.gexpected" "$T/$fam.gnmap.ports"

    if [ "$IS_PRTIP" = 1 ]; then
        t_results json "$T/$fam.json" >"$T/$fam.json.ports"
        t_same "$fam JSON ports equal XML ports" "$T/$fam.xml.ports" "$T/$fam.json.ports"
        t_results json "$T/$fam.json" --what hosts >"$T/$fam.json.hosts"
        t_same "$fam JSON host status" "$T/$fam.hosts.expected" "$T/$fam.json.hosts"
    else
        t_log "nmap: skipping -oJ checks"
    fi

    # Normal output (stdout): the report header and one line per port.
    local n=0 p
    grep -Eq "^(Nmap|prtip) scan report for $addr\$" "$T/$fam.out" ||
        t_fail "$fam normal output: no '(Nmap|prtip) scan report for $addr' line in: $(cat "$T/$fam.out")"
    for p in $(ports_of open "$addr"); do
        grep -Eq "^$p/tcp +open " "$T/$fam.out" || t_fail "$fam normal output: no '$p/tcp open' line"
        n=$((n + 1))
    done
    for p in $(ports_of closed "$addr"); do
        grep -Eq "^$p/tcp +closed " "$T/$fam.out" || t_fail "$fam normal output: no '$p/tcp closed' line"
        n=$((n + 1))
    done
    t_pass "$fam normal output lists all $n ports"
}

check_family v4 127.0.0.1
check_family v6 ::1 -6

# --- full range: everything we listen on, nothing that is not listening ------
listening() { "${IN[@]}" ss -ltnH | awk '{ n = split($4, a, ":"); print a[n] }'; }
listening >"$T/ss.before"
fout=(-oX "$T/full.xml")
[ "$IS_PRTIP" = 1 ] && fout+=(-oJ "$T/full.json")
t_scan_ok full "${IN[@]}" -sT -Pn -n -p- "${fout[@]}" 127.0.0.1
listening >"$T/ss.after"
t_xml_valid "$T/full.xml"
t_results xml "$T/full.xml" | awk '$4 == "open" { print $3 }' | sort -n >"$T/full.open"
ports_of open 127.0.0.1 >"$T/full.ours"
sort -n -u "$T/ss.before" "$T/ss.after" "$T/full.ours" >"$T/full.allowed"

missing="$(comm -23 "$T/full.ours" "$T/full.open" | joined)"
[ -z "$missing" ] || t_fail "-p- scan missed our open ports: $missing (reported open: $(joined <"$T/full.open"))"
extra="$(comm -23 <(sort "$T/full.open") <(sort "$T/full.allowed") | sort -n | joined)"
[ -z "$extra" ] || t_fail "-p- scan reported open ports nothing listens on: $extra (self-connects?)"
count="$(wc -l <"$T/full.open")"
# Every port is accounted for: listed ports + extraports counts = 65535.
total="$(python3 - "$T/full.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
h = ET.parse(sys.argv[1]).getroot().find("host/ports")
print(len(h.findall("port")) + sum(int(e.get("count")) for e in h.findall("extraports")))
EOF
)"
[ "$total" = 65535 ] || t_fail "-p- scan accounts for $total ports (listed + extraports), expected 65535"
if [ "$IS_PRTIP" = 1 ]; then
    for w in ports extraports; do
        t_results xml "$T/full.xml" --what "$w" >"$T/full.xml.$w"
        t_results json "$T/full.json" --what "$w" >"$T/full.json.$w"
        t_same "-p- JSON $w equal XML $w" "$T/full.xml.$w" "$T/full.json.$w"
    done
fi
t_pass "-p- scan: all $(wc -l <"$T/full.ours") of ours found, $count open in total, none spurious, 65535 accounted"

echo "PASS: $T_NAME"
