#!/usr/bin/env bash
# Every termination signal keeps the results (issue 10, point 4).
#
# SIGHUP used to kill prtip at once: exit 129, a cut XML file and an empty
# JSON file. Now SIGINT, SIGTERM, SIGHUP and SIGQUIT all stop the scan and
# write what was found to every output (-oX, -oJ, -oN, -oG and the report on
# stdout), each a complete document, and the exit status is 128 + the
# signal's number. A closed standard output (piped into head) must not cost
# the files: they are written in full and one line says what failed.
#
# A slow connect scan of loopback (-r: ports in order, the first one a
# listener; --scan-delay 20ms) gets each signal by PID after about a second;
# every port reported must match the ground truth (the listeners open, the
# other ports closed). Loopback, in a private namespace as root.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need python3
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME: nmap dies on these signals" >&2; exit 77; }

t_private_lo
t_listen "$T/listen.txt" --addr 127.0.0.1 --random 3
awk '$1 == "open" { print $3 }' "$T/listen.txt" | sort -n >"$T/listeners"
first="$(head -n 1 "$T/listeners")"
last=$((first + 1500))
[ "$last" -le 65535 ] || last=65535

# Ports reported in FMT's file must agree with the ground truth, and the
# first listener (scanned first, finished long before the signal) is there.
check_ports() {
    local fmt="$1" file="$2" what="$3"
    t_results "$fmt" "$file" >"$T/$what.$fmt.ports"
    awk '$4 == "open" { print $3 }' "$T/$what.$fmt.ports" | sort -n >"$T/$what.$fmt.open"
    comm -13 "$T/listeners" "$T/$what.$fmt.open" | grep -q . &&
        t_fail "$what: $fmt reports ports open that are not listening: $(comm -13 "$T/listeners" "$T/$what.$fmt.open" | paste -sd,)"
    grep -qx "$first" "$T/$what.$fmt.open" || t_fail "$what: $fmt lacks open port $first: $(head -c 300 "$T/$what.$fmt.ports")"
    local bad
    bad="$(awk '$4 != "open" && $4 != "closed"' "$T/$what.$fmt.ports")"
    [ -z "$bad" ] || t_fail "$what: $fmt reports impossible states: $bad"
}

declare -A NUM=([INT]=2 [TERM]=15 [HUP]=1 [QUIT]=3)
for sig in HUP INT TERM QUIT; do
    o="$T/$sig"
    "${IN[@]}" "$BIN" -sT -n -Pn -r --scan-delay 20ms --max-retries 0 -p "$first-$last" 127.0.0.1 \
        -oX "$o.xml" -oJ "$o.json" -oN "$o.nmap" -oG "$o.gnmap" >"$o.out" 2>"$o.err" &
    SPID=$!
    sleep 1
    kill -0 "$SPID" 2>/dev/null || t_fail "$sig: scan ended before the signal: $(head -c 300 "$o.err")"
    kill "-$sig" "$SPID"
    rc=""
    for _ in $(seq 1 100); do
        if ! kill -0 "$SPID" 2>/dev/null; then
            rc=0
            wait "$SPID" || rc=$?
            break
        fi
        sleep 0.1
    done
    [ -n "$rc" ] || { kill -9 "$SPID"; t_fail "$sig: still running 10 s after the signal"; }
    want=$((128 + NUM[$sig]))
    [ "$rc" -eq "$want" ] || t_fail "SIG$sig: exit $rc, expected $want; stderr: $(head -c 300 "$o.err")"
    t_xml_valid "$o.xml"
    check_ports xml "$o.xml" "$sig"
    check_ports json "$o.json" "$sig"
    t_same "SIG$sig: JSON ports equal XML ports" "$T/$sig.xml.ports" "$T/$sig.json.ports"
    for f in "$o.nmap" "$o.out"; do
        grep -q "^$first/tcp  *open" "$f" || t_fail "SIG$sig: $(basename "$f") lacks $first/tcp open"
        grep -q "^# prtip done\|^prtip done\|^prtip interrupted" "$f" ||
            t_fail "SIG$sig: $(basename "$f") has no closing summary: $(tail -n 3 "$f")"
    done
    grep -q "Ports: $first/open/tcp" "$o.gnmap" || t_fail "SIG$sig: greppable output lacks $first/open"
    grep -q "^# .* done at" "$o.gnmap" || t_fail "SIG$sig: greppable output has no closing line"
    t_pass "SIG$sig: exit $rc, every output complete with the ports found"
done

# Standard output closed early: the files are still complete.
rc=0
set +o pipefail
"${IN[@]}" "$BIN" -sT -n -Pn --scan-delay 5ms -p "$first-$((first + 300))" 127.0.0.1 \
    -oX "$T/pipe.xml" -oJ "$T/pipe.json" 2>"$T/pipe.err" | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" -eq 2 ] || t_fail "stdout closed: exit $rc, expected 2; stderr: $(cat "$T/pipe.err")"
[ "$(grep -c . "$T/pipe.err")" -eq 1 ] && grep -q "cannot write standard output: Broken pipe" "$T/pipe.err" ||
    t_fail "stdout closed: expected one line naming standard output: $(cat "$T/pipe.err")"
t_xml_valid "$T/pipe.xml"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/pipe.json" || t_fail "stdout closed: JSON does not parse"
check_ports xml "$T/pipe.xml" pipe
check_ports json "$T/pipe.json" pipe
extra="$(t_results xml "$T/pipe.xml" --what extraports | awk '{ s += $NF } END { print s + 0 }')"
n=$(($(wc -l <"$T/pipe.xml.ports") + extra))
[ "$n" -eq 301 ] || t_fail "stdout closed: XML has $n ports, not 301"
t_pass "stdout closed: $(cat "$T/pipe.err"); XML and JSON complete"
echo "PASS: $T_NAME"
