#!/usr/bin/env bash
# --resume: interrupt a scan by PID at a random point, continue it (and
# interrupt the continued scan and continue again), and compare every
# output with an uninterrupted run of the same seed.
#
# Lab: 256 AnyIP addresses; 22 open (a listener), 80 closed, 443 dropped
# (filtered); UDP 53 closed, 161 dropped. The target counts, in nftables,
# every probe (a named counter) and every (address, port) probed (a set):
#   - each interrupted run exits 128+signal, writes BASE.resume beside the
#     -oA base and prints "prtip --resume BASE.resume";
#   - raw scans (-sS in host groups and without, -sU) resume from the
#     position in the file: no (address, port) answered before the stop
#     (a "host" or "part" line of the file) gets a probe afterwards, and
#     the probes of the interrupted runs plus the resumed one equal those
#     of the uninterrupted run exactly (also with --max-retries 2: the
#     pass reached is kept, and only unanswered probes get retries);
#   - connect scans (-sT, in groups of 8 hosts, and -sT -p- host by host)
#     keep complete hosts and the decided ports of partial ones: none of
#     them gets a probe, and only connects in flight at the stop are sent
#     twice;
#   - the final -oG has the same (host, port, state) set as the
#     uninterrupted run, every host once; the XML is valid against nmap.dtd
#     with one <host> per target and runstats total right; -oN says "N IP
#     addresses"; the JSON has N hosts and the NDJSON N host lines.
# A stop during -sV (after the port scan) keeps the whole port scan and
# the hosts -sV had finished with their answers: the resumed run sends
# -sV's connections to the other hosts only.
# Signals are SIGINT, SIGTERM and SIGHUP at a delay drawn at random within
# each scan's span (printed, with the seed to replay it: RESUME_SEED=n).
# nmap's own form: an -oG log of an interrupted nmap -sT scan is resumed
# the same way. Then the refusals: a resume file of format 1, from another
# version, with edited arguments, with a broken position line, --resume
# with other options.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip only"; exit 77; }
t_need_root
t_lab_up

RANDOM=${RESUME_SEED:-$$}
echo "random delays: RESUME_SEED=$RANDOM"
PREFIX="198.18.132.0/24"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local"
lab_nft "$LAB_TGT" "
table inet prtip_res {
    counter probes { }
    set seen {
        type ipv4_addr
        flags dynamic
        counter
        size 65536
    }
    set seenp {
        type ipv4_addr . inet_proto . inet_service
        flags dynamic
        size 1048576
    }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX tcp flags & (syn | ack) == syn counter name probes
        ip daddr $PREFIX meta l4proto udp counter name probes
        ip daddr $PREFIX tcp flags & (syn | ack) == syn add @seen { ip daddr }
        ip daddr $PREFIX meta l4proto udp add @seen { ip daddr }
        ip daddr $PREFIX tcp flags & (syn | ack) == syn add @seenp { ip daddr . meta l4proto . tcp dport }
        ip daddr $PREFIX meta l4proto udp add @seenp { ip daddr . meta l4proto . udp dport }
    }
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $PREFIX tcp dport 443 drop
        ip daddr $PREFIX udp dport 161 drop
    }
}" || t_fail "could not load the nftables ruleset"
lab_listen "$LAB_TGT" "$T/listen.out" --addr 0.0.0.0 --ports 22 --backlog 1024

probed() { # addresses that got a probe since the sets were flushed
    ip netns exec "$LAB_TGT" nft -j list set inet prtip_res seen | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []) or []:
        v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
        print(v)' | sort -u
}
probed_ports() { # "address proto port" that got a probe since the sets were flushed
    ip netns exec "$LAB_TGT" nft -j list set inet prtip_res seenp | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []) or []:
        v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
        a, pr, port = v["concat"]
        print(a, {6: "tcp", 17: "udp"}.get(pr, pr), port)' | sort -u
}
nprobes() { # probes since the last call (the counter is reset)
    ip netns exec "$LAB_TGT" nft -j reset counter inet prtip_res probes | python3 -c '
import json, sys
print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}
flush() {
    ip netns exec "$LAB_TGT" nft flush set inet prtip_res seen
    ip netns exec "$LAB_TGT" nft flush set inet prtip_res seenp
}
complete_hosts() { sed -n 's/^host {"a":"\([^"]*\)".*/\1/p' "$1" | sort -u; }
answered_ports() { # "address proto port" of every port answered in a resume file
    python3 - "$1" <<'PY' | sort -u
import json, sys
for line in open(sys.argv[1]):
    kind, _, rec = line.partition(" ")
    if kind not in ("host", "part"):
        continue
    h = json.loads(rec)
    for p in h["p"]:
        print(h["a"], "tcp" if p[1] == 0 else "udp", p[0])
PY
}
# ADDR PROTO PORT STATE - lines of an -oG file, sorted (helpers/results.py).
host_states() { python3 "$T_HELPERS/results.py" gnmap "$1" --what ports; }
# rand_delay LO HI R: a delay in seconds in [LO, HI] from R, a draw of
# $RANDOM made by the caller (a subshell would draw from a new seed).
rand_delay() { python3 -c "print(round($1 + ($2 - $1) * $3 / 32767, 2))"; }

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
    [ "$rc" = "$want" ] || t_fail "$name: exit $rc after SIG$sig at ${delay}s, expected $want: $(cat "$T/$name.err")"
}

check_outputs() { # NAME REFNAME NHOSTS: the final outputs of NAME against the reference
    local name="$1" ref="$2" n="$3"
    host_states "$T/$ref.gnmap" >"$T/$ref.states"
    host_states "$T/$name.gnmap" >"$T/$name.states"
    t_same "$name: ports of the resumed scan against an uninterrupted one" "$T/$ref.states" "$T/$name.states"
    [ "$(grep -c 'Ports:' "$T/$name.gnmap")" = "$n" ] || t_fail "$name: $(grep -c 'Ports:' "$T/$name.gnmap") Ports lines, expected $n"
    [ "$(grep 'Ports:' "$T/$name.gnmap" | awk '{print $2}' | sort | uniq -d | wc -l)" = 0 ] || t_fail "$name: a host twice in -oG"
    t_xml_valid "$T/$name.xml"
    [ "$(grep -c '<host ' "$T/$name.xml")" = "$n" ] || t_fail "$name: $(grep -c '<host ' "$T/$name.xml") <host> in XML"
    grep -q "total=\"$n\"" "$T/$name.xml" || t_fail "$name: XML runstats total is not $n"
    grep -qE "$n IP address(es)?" "$T/$name.nmap" || t_fail "$name: -oN does not say $n IP addresses"
    python3 - "$T/$name.json" "$T/$name.ndjson" "$n" <<'PY' || t_fail "$name: JSON/NDJSON host counts"
import json, sys
want = int(sys.argv[3])
j = json.load(open(sys.argv[1]))
hosts = j["hosts"] if "hosts" in j else j["scan"]["hosts"]
assert len(hosts) == want, len(hosts)
n = sum(1 for l in open(sys.argv[2]) if l.strip() and json.loads(l).get("rec_type") == "host")
assert n == want, n
PY
    t_pass "$name: -oG, -oX, -oN, -oJ and -oD hold the whole scan, each host once"
}

# no_reprobe RESUMEFILE WHAT: nothing of RESUMEFILE got a probe since the
# flush: WHAT=hosts (complete hosts) or ports (every answered port, and
# every port of a complete host).
no_reprobe() {
    local f="$1" what="$2" again
    complete_hosts "$f" >"$T/complete"
    probed >"$T/probed"
    again=$(comm -12 "$T/complete" "$T/probed" | wc -l)
    [ "$again" = 0 ] || t_fail "$again complete hosts of $f were probed again: $(comm -12 "$T/complete" "$T/probed" | head -3)"
    if [ "$what" = ports ]; then
        answered_ports "$f" >"$T/answered"
        probed_ports >"$T/probedp"
        again=$(comm -12 "$T/answered" "$T/probedp" | wc -l)
        [ "$again" = 0 ] || t_fail "$again answered ports of $f were probed again: $(comm -12 "$T/answered" "$T/probedp" | head -3)"
        t_pass "$(wc -l <"$T/answered") answered ports ($(wc -l <"$T/complete") complete hosts) not probed again; $(wc -l <"$T/probedp") others were"
    else
        t_pass "$(wc -l <"$T/complete") complete hosts not probed again ($(wc -l <"$T/probed") others were)"
    fi
}

# The resumed runs must run in the scanner namespace: t_scan's netns form.
t_scan() {
    local name="$1" rc=0
    shift
    if [ "$1" = ip ]; then shift 4; fi
    timeout -k 5 60 ip netns exec "$LAB_SCAN" "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
}

# run_type NAME SIG1 SIG2 SPAN NHOSTS CHECK -- ARGS...: an uninterrupted
# run, then the same interrupted by SIG1 at a random point of [0.3, SPAN]
# seconds (SPAN at most 3/4 of the uninterrupted run, 0.55 with SIG2), resumed and (SIG2 not "-") interrupted again by SIG2 and
# resumed once more. CHECK: hosts (per host resume: no complete host
# probed again), ports (no answered port probed again), approx (ports, and
# the runs together sent at least the uninterrupted run's probes: nothing
# undecided was skipped), exact (ports, and the probe counts add up to the
# uninterrupted run's exactly).
run_type() {
    local name="$1" sig1="$2" sig2="$3" span="$4" n="$5" check="$6"
    shift 7
    local args=("$@") d1 d2
    nprobes >/dev/null
    local t0 t1
    t0=$(date +%s%N)
    t_scan "ref$name" "${args[@]}" -oA "$T/ref$name" -oD "$T/ref$name.ndjson"
    t1=$(date +%s%N)
    # The signals land within the uninterrupted run's span: the first one
    # in its first 3/4 (a bit more than half when a second one follows),
    # the second within the first half of what the first left; none before
    # the signal handlers are in place (0.3 s, ASan builds included).
    local dur
    dur=$(python3 -c "print(($t1 - $t0) / 1e9)")
    span=$(python3 -c "print(max(0.35, min($span, $dur * (0.75 if '$sig2' == '-' else 0.55))))")
    [ "$(cat "$T/ref$name.rc")" = 0 ] || t_fail "$name: reference scan failed: $(cat "$T/ref$name.err")"
    local nref nint nint2=0 nfin
    nref=$(nprobes)
    flush
    local r1=$RANDOM r2=$RANDOM
    d1=$(rand_delay 0.3 "$span" "$r1")
    interrupt "int$name" "$sig1" "$d1" "$BIN" "${args[@]}" -oA "$T/res$name" -oD "$T/res$name.ndjson"
    nint=$(nprobes)
    [ -s "$T/res$name.resume" ] || t_fail "$name: no resume file beside the -oA base"
    grep -q "prtip --resume $T/res$name.resume" "$T/int$name.err" || t_fail "$name: no hint how to continue: $(cat "$T/int$name.err")"
    if [ "$check" = exact ]; then
        grep -q '^position pass ' "$T/res$name.resume" || t_fail "$name: the resume file has no position"
    fi
    cp "$T/res$name.resume" "$T/res$name.resume.1"
    local last="$T/res$name.resume.1"
    flush
    if [ "$sig2" != - ]; then
        # Interrupt the resumed scan too, then resume again.
        d2=$(rand_delay 0.25 "$(python3 -c "print(max(0.35, ($dur - $d1) * 0.45))")" "$r2")
        interrupt "int2$name" "$sig2" "$d2" "$BIN" --resume "$T/res$name.resume"
        nint2=$(nprobes)
        no_reprobe "$T/res$name.resume.1" "$( [ "$check" = hosts ] && echo hosts || echo ports)"
        [ "$(complete_hosts "$T/res$name.resume" | wc -l)" -ge "$(complete_hosts "$T/res$name.resume.1" | wc -l)" ] ||
            t_fail "$name: the second resume file lost complete hosts"
        cp "$T/res$name.resume" "$T/res$name.resume.2"
        last="$T/res$name.resume.2"
        flush
    fi
    t_scan "fin$name" --resume "$T/res$name.resume"
    [ "$(cat "$T/fin$name.rc")" = 0 ] || t_fail "$name: resumed scan failed: $(cat "$T/fin$name.err")"
    nfin=$(nprobes)
    no_reprobe "$last" "$( [ "$check" = hosts ] && echo hosts || echo ports)"
    echo "$name: SIG$sig1 at ${d1}s${d2:+, SIG$sig2 at ${d2}s}; probes: uninterrupted $nref, interrupted $nint + ${nint2} + resumed $nfin"
    local total=$((nint + nint2 + nfin))
    if [ "$check" = approx ]; then
        # Connects in flight at a stop were not decided: sent again.
        [ "$total" -ge "$nref" ] || t_fail "$name: $total probes across the runs, fewer than the $nref of an uninterrupted run"
        t_pass "$name: the runs together sent $total probes, the uninterrupted one $nref (+$((total - nref)) in flight at the stops)"
    fi
    if [ "$check" = exact ]; then
        [ $((nint + nint2 + nfin)) = "$nref" ] ||
            t_fail "$name: $nint + $nint2 + $nfin probes across the interrupted and resumed runs, $nref uninterrupted"
        t_pass "$name: the runs together sent exactly the $nref probes of an uninterrupted run"
    fi
    check_outputs "res$name" "ref$name" "$n"
}

GROUPS8=(-Pn -n --max-retries 0 --max-hostgroup 8 --initial-rtt-timeout 150ms --max-rtt-timeout 150ms)
# Raw scans wait at least 50 ms per group for the dropped ports: groups of
# 4 spread them over ~3 s.
GROUPS4=(-Pn -n --max-retries 0 --max-hostgroup 4 --initial-rtt-timeout 150ms --max-rtt-timeout 150ms)
# Connect scans: complete hosts are left out, partial hosts keep their
# decided ports (by address); in groups of 8: SIGINT, then SIGTERM.
run_type -sT INT TERM 3.5 256 approx -- -sT "${GROUPS8[@]}" --seed 99 -p 22,80,443 "$PREFIX"
# -sT -p- host by host: the host cut keeps the ports it had decided.
run_type -sTall TERM - 2.5 3 approx -- -sT -Pn -n --max-retries 0 --max-hostgroup 1 \
    --max-rtt-timeout 150ms --seed 96 -p- 198.18.132.1-3
# Raw, in host groups: the group reached and the position in it.
run_type -sS TERM INT 3.5 256 exact -- -sS "${GROUPS4[@]}" --seed 99 -p 22,80,443 "$PREFIX"
# -sU: 53 closed (ICMP port unreachable, the target's ICMP rate limit
# lifted), 161 dropped (open|filtered), in host groups; SIGINT.
ip netns exec "$LAB_TGT" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
    net.ipv4.icmp_msgs_burst=100000 >/dev/null 2>&1 || true
run_type -sU INT - 3.5 256 exact -- -sU "${GROUPS4[@]}" --seed 97 -p 53,161 "$PREFIX"
# Without host groups the raw engine walks the whole permutation: the
# position is each sender's index in it; silent ports (443) stay undecided.
run_type -sSflat HUP TERM 2.3 256 exact -- -sS -Pn -n --max-retries 0 --rate 300 --seed 98 -p 22,80,443 "$PREFIX"
# With retries: the pass reached, and the probes unanswered before the stop
# get their retries, as they would have (the engine collects the replies
# in flight for a reply wait after the signal, so none is lost).
run_type -sSretry INT - 1.5 256 exact -- -sS -Pn -n --max-retries 2 --rate 600 --seed 95 -p 22,80,443 "$PREFIX"

# A stop during -sV, after the port scan: the position says the port scan
# was over, so the resumed run sends no port probe; hosts that came out of
# -sV before the stop are kept whole with their -sV answers (not probed
# again), the others run -sV again. 22 answers -sV at once (tcpwrapped);
# a listener on 2222 of .8-.15 accepts and stays silent, holding -sV's
# NULL probe there for its full wait, past the signal.
ip netns exec "$LAB_TGT" python3 -c '
import select, socket
ls = []
for i in range(8, 16):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.132.%d" % i, 2222))
    s.listen(64)
    ls.append(s)
keep = []
while True:
    for s in select.select(ls, [], [])[0]:
        keep.append(s.accept()[0])
' &
SILENT=$!
t_cleanup "kill $SILENT 2>/dev/null || true"
sleep 0.3
SVARGS=(-sS -sV -Pn -n --max-retries 0 --version-intensity 0 --seed 94 -p 22,2222 198.18.132.0/28)
nprobes >/dev/null
interrupt intsv INT 2.5 "$BIN" "${SVARGS[@]}" -oA "$T/ressv" -oD "$T/ressv.ndjson"
nprobes >/dev/null
flush
grep -q '^position pass 1001 ' "$T/ressv.resume" || t_fail "-sV: the resume file does not say the port scan was over: $(grep '^position' "$T/ressv.resume")"
grep -q 'after the port scan' "$T/intsv.err" || t_fail "-sV: $(cat "$T/intsv.err")"
complete_hosts "$T/ressv.resume" >"$T/svdone"
[ "$(cat "$T/svdone")" = "$(printf '198.18.132.%d\n' 0 1 2 3 4 5 6 7 | sort)" ] ||
    t_fail "-sV: complete hosts in the file: $(tr '\n' ' ' <"$T/svdone"); .0-.7 expected"
grep '^host ' "$T/ressv.resume" | grep -q '"n":"tcpwrapped"' || t_fail "-sV: no -sV answer in the complete hosts' records"
t_scan finsv --resume "$T/ressv.resume"
[ "$(cat "$T/finsv.rc")" = 0 ] || t_fail "-sV: resumed scan failed: $(cat "$T/finsv.err")"
nsv=$(nprobes)
probed >"$T/svprobed"
[ "$(comm -12 "$T/svdone" "$T/svprobed" | wc -l)" = 0 ] || t_fail "-sV: hosts done before the stop were probed again"
[ "$(comm -23 "$T/svprobed" <(printf '198.18.132.%d\n' 8 9 10 11 12 13 14 15 | sort) | wc -l)" = 0 ] ||
    t_fail "-sV: the resumed run probed $(tr '\n' ' ' <"$T/svprobed")"
host_states "$T/ressv.gnmap" >"$T/ressv.states"
[ "$(grep -c ' tcp 22 open -$' "$T/ressv.states")" = 16 ] && [ "$(grep -c ' tcp 2222 open -$' "$T/ressv.states")" = 8 ] ||
    t_fail "-sV: resumed ports: $(head -4 "$T/ressv.states")"
[ "$(grep -c '22/open/tcp//tcpwrapped' "$T/ressv.gnmap")" = 16 ] || t_fail "-sV: not every host has its -sV answer for 22 in -oG"
t_pass "-sV cut after the port scan: 8 hosts kept with their -sV answers, not probed again; the resumed run sent $nsv SYNs, all -sV's to the 8 others"

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
sed 's/^prtip-resume 2$/prtip-resume 1/' "$T/res-sS.resume.1" >"$T/format1.resume"
refuse format1 'resume file format 1 .*start the scan again' --resume "$T/format1.resume"
sed 's/^position pass \([0-9]*\) .*/position pass \1 group x/' "$T/res-sS.resume.1" >"$T/badpos.resume"
refuse badpos 'bad position line' --resume "$T/badpos.resume"
