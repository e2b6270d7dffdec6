#!/usr/bin/env bash
# --resume: interrupt a scan by PID mid-way, continue it, and compare every
# output with an uninterrupted run of the same seed.
#
# Lab: 256 AnyIP addresses; 22 open (a listener), 80 closed, 443 dropped
# (filtered). Groups of 8 hosts, each waiting 150 ms for its dropped
# probes, spread the scan over ~5 s so the signal
# lands mid-way. For -sT (SIGINT, then the resumed run interrupted again
# with SIGTERM and resumed once more) and -sS (SIGTERM):
#   - the interrupted run exits 128+signal, writes BASE.resume beside the
#     -oA base and prints "prtip --resume BASE.resume";
#   - the target counts SYNs per address in an nftables set with counters,
#     reset after each interruption: no complete host of the resume file
#     gets a probe from the resumed run;
# -sU (53 closed, 161 dropped; SIGINT) and -sS without host groups
# (ports 22 and 80 at --rate 300, SIGHUP);
#   - the final -oG has the same (host, port, state) set as the
#     uninterrupted run, every host once; the XML is valid against nmap.dtd
#     with 256 <host> elements and runstats total=256; -oN says "256 IP
#     addresses"; the JSON has 256 hosts and the NDJSON 256 host lines.
# nmap's own form: an -oG log of an interrupted nmap -sT scan is resumed
# the same way. Then the refusals: a resume file from another version, one
# whose arguments were edited, --resume with other options.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip only"; exit 77; }
t_need_root
t_lab_up

PREFIX="198.18.132.0/24"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local"
lab_nft "$LAB_TGT" "
table inet prtip_res {
    set seen {
        type ipv4_addr
        flags dynamic
        counter
        size 65536
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX tcp flags & (syn | ack) == syn add @seen { ip daddr }
        ip daddr $PREFIX meta l4proto udp add @seen { ip daddr }
    }
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $PREFIX tcp dport 443 drop
        ip daddr $PREFIX udp dport 161 drop
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.out" --addr 0.0.0.0 --ports 22 --backlog 1024

probed() { # addresses that got a SYN since the set was flushed
    ip netns exec "$LAB_TGT" nft -j list set inet prtip_res seen | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []) or []:
        v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
        print(v)' | sort -u
}
flush() { ip netns exec "$LAB_TGT" nft flush set inet prtip_res seen; }
complete_hosts() { sed -n 's/^host {"a":"\([^"]*\)".*/\1/p' "$1" | sort -u; }
host_states() { grep -h 'Ports:' "$1" | python3 -c '
import sys
for line in sys.stdin:
    host = line.split()[1]
    for p in line.split("Ports: ")[1].split("\t")[0].split(", "):
        f = p.split("/")
        print(host, f[0], f[1])' | sort; }

# interrupt NAME SIGNAL DELAY CMD...: run CMD in the scanner namespace,
# send SIGNAL after DELAY seconds, expect exit 128+signal.
interrupt() {
    local name="$1" sig="$2" delay="$3" rc=0
    shift 3
    ip netns exec "$LAB_SCAN" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    local pid=$!
    sleep "$delay"
    kill -"$sig" "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    local want=$((128 + $(kill -l "$sig")))
    [ "$rc" = "$want" ] || t_fail "$name: exit $rc after SIG$sig, expected $want: $(cat "$T/$name.err")"
}

check_outputs() { # NAME REFNAME: the final outputs of NAME against the reference
    local name="$1" ref="$2"
    host_states "$T/$ref.gnmap" >"$T/$ref.states"
    host_states "$T/$name.gnmap" >"$T/$name.states"
    t_same "$name: ports of the resumed scan against an uninterrupted one" "$T/$ref.states" "$T/$name.states"
    [ "$(grep -c 'Ports:' "$T/$name.gnmap")" = 256 ] || t_fail "$name: $(grep -c 'Ports:' "$T/$name.gnmap") Ports lines, expected 256"
    [ "$(grep 'Ports:' "$T/$name.gnmap" | awk '{print $2}' | sort | uniq -d | wc -l)" = 0 ] || t_fail "$name: a host twice in -oG"
    t_xml_valid "$T/$name.xml"
    [ "$(grep -c '<host ' "$T/$name.xml")" = 256 ] || t_fail "$name: $(grep -c '<host ' "$T/$name.xml") <host> in XML"
    grep -q 'total="256"' "$T/$name.xml" || t_fail "$name: XML runstats total is not 256"
    grep -q '256 IP addresses' "$T/$name.nmap" || t_fail "$name: -oN does not say 256 IP addresses"
    python3 - "$T/$name.json" "$T/$name.ndjson" <<'PY' || t_fail "$name: JSON/NDJSON host counts"
import json, sys
j = json.load(open(sys.argv[1]))
hosts = j["hosts"] if "hosts" in j else j["scan"]["hosts"]
assert len(hosts) == 256, len(hosts)
n = sum(1 for l in open(sys.argv[2]) if l.strip() and json.loads(l).get("rec_type") == "host")
assert n == 256, n
PY
    t_pass "$name: -oG, -oX, -oN, -oJ and -oD hold the whole scan, each host once"
}

# no_reprobe RESUMEFILE: complete hosts of RESUMEFILE got no SYN since the flush.
no_reprobe() {
    complete_hosts "$1" >"$T/complete"
    probed >"$T/probed"
    local again
    again=$(comm -12 "$T/complete" "$T/probed" | wc -l)
    [ "$(wc -l <"$T/complete")" -gt 0 ] || t_fail "no complete host in $1: the interruption came too early"
    [ "$again" = 0 ] || t_fail "$again complete hosts were probed again: $(comm -12 "$T/complete" "$T/probed" | head -3)"
    t_pass "$(wc -l <"$T/complete") complete hosts not probed again ($(wc -l <"$T/probed") others were)"
}

run_type() { # TYPE SIGNAL [ARGS...]: default args in host groups
    local ty="$1" sig="$2"
    shift 2
    local args=("$ty" -Pn -n --max-retries 0 --max-hostgroup 8 --initial-rtt-timeout 150ms --max-rtt-timeout 150ms --seed 99 -p 22,80,443)
    [ $# -eq 0 ] || args=("$@")
    t_scan "ref$ty" ip netns exec "$LAB_SCAN" "${args[@]}" -oA "$T/ref$ty" -oD "$T/ref$ty.ndjson" "$PREFIX"
    flush
    interrupt "int$ty" "$sig" 1.2 "$BIN" "${args[@]}" -oA "$T/res$ty" -oD "$T/res$ty.ndjson" "$PREFIX"
    [ -s "$T/res$ty.resume" ] || t_fail "$ty: no resume file beside the -oA base"
    grep -q "prtip --resume $T/res$ty.resume" "$T/int$ty.err" || t_fail "$ty: no hint how to continue: $(cat "$T/int$ty.err")"
    cp "$T/res$ty.resume" "$T/res$ty.resume.1"
    flush
    if [ "$ty" = -sT ]; then
        # Interrupt the resumed scan too, then resume again.
        interrupt "int2$ty" TERM 0.8 "$BIN" --resume "$T/res$ty.resume"
        no_reprobe "$T/res$ty.resume.1"
        [ "$(complete_hosts "$T/res$ty.resume" | wc -l)" -ge "$(complete_hosts "$T/res$ty.resume.1" | wc -l)" ] ||
            t_fail "$ty: the second resume file lost complete hosts"
        cp "$T/res$ty.resume" "$T/res$ty.resume.2"
        flush
        t_scan "fin$ty" --resume "$T/res$ty.resume"
        no_reprobe "$T/res$ty.resume.2"
    else
        t_scan "fin$ty" --resume "$T/res$ty.resume"
        no_reprobe "$T/res$ty.resume.1"
    fi
    [ "$(cat "$T/fin$ty.rc")" = 0 ] || t_fail "$ty: resumed scan failed: $(cat "$T/fin$ty.err")"
    check_outputs "res$ty" "ref$ty"
}
# The resumed runs must run in the scanner namespace: t_scan's netns form.
t_scan() {
    local name="$1" rc=0
    shift
    if [ "$1" = ip ]; then shift 4; fi
    timeout -k 5 60 ip netns exec "$LAB_SCAN" "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
}

run_type -sT INT
run_type -sS TERM
# -sU: 53 closed (ICMP port unreachable, the target's ICMP rate limit
# lifted), 161 dropped (open|filtered), in host groups; SIGINT.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
    net.ipv4.icmp_msgs_burst=100000 >/dev/null 2>&1 || true
run_type -sU INT -sU -Pn -n --max-retries 0 --max-hostgroup 8 --initial-rtt-timeout 150ms \
    --max-rtt-timeout 150ms --seed 97 -p 53,161
# Without host groups the raw engine walks the whole permutation: a host is
# complete when every probe of it was answered (22 and 80 always are).
rm -f "$T"/ref-sS.* "$T"/res-sS.*
run_type -sS HUP -sS -Pn -n --max-retries 0 --rate 300 --seed 98 -p 22,80

# nmap's --resume form: an -oG log of an interrupted nmap -sT scan. prtip
# takes the arguments from its "as:" line and the hosts with a Ports line
# as complete, and writes the whole scan to the log's path (nmap appends;
# prtip rewrites it whole, replaying the complete hosts).
if command -v nmap >/dev/null 2>&1; then
    lab_confined "$LAB_SCAN"
    flush
    interrupt nmapint INT 1.5 nmap -sT -Pn -n --max-retries 0 --max-hostgroup 8 \
        --initial-rtt-timeout 150ms --max-rtt-timeout 150ms -p 22,80,443 -oG "$T/nmap.gnmap" "$PREFIX"
    grep '^Host: .*Ports:' "$T/nmap.gnmap" | awk '{print $2}' | sort -u >"$T/nmapdone"
    [ -s "$T/nmapdone" ] || t_fail "nmap's log has no complete host yet"
    flush
    t_scan nmapres --resume "$T/nmap.gnmap"
    [ "$(cat "$T/nmapres.rc")" = 0 ] || t_fail "resuming nmap's log failed: $(cat "$T/nmapres.err")"
    probed >"$T/probed"
    [ "$(comm -12 "$T/nmapdone" "$T/probed" | wc -l)" = 0 ] || t_fail "hosts complete in nmap's log were probed again"
    host_states "$T/nmap.gnmap" >"$T/nmap.states"
    t_same "nmap -oG log resumed by prtip against prtip's uninterrupted -sT" "$T/ref-sT.states" "$T/nmap.states"
    t_pass "nmap's log: $(wc -l <"$T/nmapdone") complete hosts kept, not probed again"
fi

# Refusals, each one line and exit 1.
refuse() {
    local name="$1" pat="$2" rc=0
    shift 2
    "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    [ "$rc" = 1 ] && [ "$(wc -l <"$T/$name.err")" = 1 ] && grep -qE "$pat" "$T/$name.err" ||
        t_fail "$name: exit $rc, stderr: $(cat "$T/$name.err")"
    t_pass "$name refused: $(cat "$T/$name.err")"
}
sed 's/^version .*/version 0.0.1/' "$T/res-sT.resume.1" >"$T/oldver.resume"
refuse version 'written by prtip 0.0.1' --resume "$T/oldver.resume"
sed 's/^arg 22,80,443$/arg 22,80/' "$T/res-sT.resume.1" >"$T/edited.resume"
grep -q '^arg 22,80$' "$T/edited.resume" || t_fail "the resume file has no 'arg 22,80,443' line to edit"
refuse edited 'changed since' --resume "$T/edited.resume"
refuse extra 'only option' --resume "$T/res-sT.resume.1" -v
refuse notafile 'not a prtip resume file' --resume /etc/hostname
