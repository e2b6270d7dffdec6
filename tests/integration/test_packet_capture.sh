#!/usr/bin/env bash
# --packet-capture FILE: PCAPNG of every frame the scan sent and received.
#
# A SYN scan of 1,024 AnyIP addresses x 3 ports in the namespace lab (-T5,
# --min-rate 20000): port 22 closed (reset), 80 dropped by nftables for one
# address in 8 (a silent probe is retried), 443 closed. The file is read by
# helpers/pcapng.py (strict: block lengths, IDB before EPB, if_tsresol = 9)
# and by tshark when installed; then:
#   - outbound SYNs in the file == the SYNs the target's nftables counted
#     == the frames prtip says it sent (-d "sent N frames");
#   - inbound frames in the file == the RSTs the target sent (an output
#     counter) == the frames prtip's receiver got (-d "rx lab0: N frames");
#   - every timestamp is in ns and within the scan's wall-clock window.
# A -sS scan without --packet-capture must find the same ports (the capture
# changes nothing); -sT (a packet socket tap), -sn's ARP ping and -O's
# probes are captured too; --packet-trace lines have nmap's shape; an
# unwritable capture path is refused up front.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" -eq 1 ] || { echo "SKIP: prtip only"; exit 77; }
t_need_root
t_lab_up

PREFIX="198.18.128.0/22"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local"
lab_nft "$LAB_TGT" "
table inet prtip_cap {
    counter syns { }
    counter rsts { }
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        ip daddr $PREFIX tcp flags & (syn | ack) == syn counter name \"syns\"
    }
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr $PREFIX tcp dport 80 ip daddr & 0.0.0.7 == 0.0.0.3 drop
    }
    chain out {
        type filter hook output priority 0; policy accept;
        ip saddr $PREFIX tcp flags & rst == rst counter name \"rsts\"
    }
}" || t_fail "could not load the nftables ruleset"

nft_count() {
    ip netns exec "$LAB_TGT" nft list counter inet prtip_cap "$1" |
        sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

t0=$(date +%s%N)
t_scan cap ip netns exec "$LAB_SCAN" -sS -Pn -n -T5 --min-rate 20000 --max-retries 1 \
    -p 22,80,443 -d --packet-capture "$T/scan.pcapng" -oG "$T/cap.gnmap" "$PREFIX"
t1=$(date +%s%N)
[ "$(cat "$T/cap.rc")" = 0 ] || t_fail "scan failed: $(cat "$T/cap.err")"

python3 "$T_HELPERS/pcapng.py" "$T/scan.pcapng" >"$T/frames" || t_fail "malformed PCAPNG"
sent_file=$(awk '$1 == "out" && $5 == "tcp" && $8 == "S"' "$T/frames" | wc -l)
in_file=$(awk '$1 == "in"' "$T/frames" | wc -l)
rst_file=$(awk '$1 == "in" && $5 == "tcp" && $8 ~ /R/' "$T/frames" | wc -l)
syns=$(nft_count syns)
rsts=$(nft_count rsts)
sent_log=$(sed -n 's/.*sent \([0-9]*\) frames.*/\1/p' "$T/cap.err" | tail -n 1)
rx_log=$(sed -n 's/.*rx lab0: \([0-9]*\) frames.*/\1/p' "$T/cap.err" | tail -n 1)
t_log "file: $sent_file SYNs out, $in_file frames in ($rst_file RSTs); target: $syns SYNs, $rsts RSTs; prtip: sent $sent_log, received $rx_log"
[ "$sent_file" -ge 3072 ] || t_fail "only $sent_file SYNs in the capture"
[ "$sent_file" = "$syns" ] || t_fail "capture has $sent_file SYNs, the target counted $syns"
[ "$sent_file" = "$sent_log" ] || t_fail "capture has $sent_file SYNs, prtip sent $sent_log"
[ "$rst_file" = "$rsts" ] || t_fail "capture has $rst_file RSTs in, the target sent $rsts"
[ "$in_file" = "$rx_log" ] || t_fail "capture has $in_file frames in, prtip received $rx_log"
t_pass "every frame sent ($sent_file) and received ($in_file) is in the capture"

# Timestamps: nanoseconds of the real-time clock, inside the run.
awk -v a="$t0" -v b="$t1" '$1 == "in" || $1 == "out" { if ($NF < a || $NF > b) bad++ }
    END { exit bad ? 1 : 0 }' "$T/frames" || t_fail "a timestamp lies outside the scan's run"
t_pass "timestamps are ns within the run"

if command -v tshark >/dev/null 2>&1; then
    n=$(tshark -r "$T/scan.pcapng" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 2>/dev/null | wc -l)
    [ "$n" = "$sent_file" ] || t_fail "tshark counts $n SYNs, expected $sent_file"
    res=$(capinfos -M "$T/scan.pcapng" 2>/dev/null | sed -n 's/^Number of packets: *//p')
    [ "$res" = "$(grep -c '^[io]' "$T/frames")" ] || t_fail "capinfos counts $res frames"
    t_pass "tshark reads the file: $n SYNs, capinfos $res frames"
fi

# The same scan without a capture finds the same ports.
t_scan plain ip netns exec "$LAB_SCAN" -sS -Pn -n -T5 --min-rate 20000 --max-retries 1 \
    -p 22,80,443 -oG "$T/plain.gnmap" "$PREFIX"
grep -o 'Ports: .*' "$T/cap.gnmap" | sort >"$T/a"
grep -o 'Ports: .*' "$T/plain.gnmap" | sort >"$T/b"
t_same "ports with and without --packet-capture" "$T/b" "$T/a"

# -sT: the kernel makes the packets; the tap on lab0 captures them. 256
# addresses x 2 closed ports: each connect(2) is one SYN and one RST back.
ip netns exec "$LAB_TGT" nft reset counters >/dev/null
t_scan conn ip netns exec "$LAB_SCAN" -sT -Pn -n -T5 --max-retries 0 --host-timeout 2s \
    -p 22,443 --packet-capture "$T/conn.pcapng" 198.18.128.0/24
[ "$(cat "$T/conn.rc")" = 0 ] || t_fail "-sT scan failed: $(cat "$T/conn.err")"
python3 "$T_HELPERS/pcapng.py" "$T/conn.pcapng" >"$T/cframes" || t_fail "malformed -sT PCAPNG"
csyn=$(awk '$1 == "out" && $5 == "tcp" && $8 == "S"' "$T/cframes" | wc -l)
crst=$(awk '$1 == "in" && $5 == "tcp" && $8 ~ /R/' "$T/cframes" | wc -l)
syns=$(nft_count syns)
rsts=$(nft_count rsts)
t_log "-sT file: $csyn SYNs out, $crst RSTs in; target: $syns SYNs, $rsts RSTs"
[ "$csyn" -ge 512 ] && [ "$csyn" = "$syns" ] || t_fail "-sT capture has $csyn SYNs, target counted $syns"
[ "$crst" = "$rsts" ] || t_fail "-sT capture has $crst RSTs, target sent $rsts"
t_pass "-sT: the tap captured every SYN ($csyn) and RST ($crst)"

# Host discovery and OS detection: the ARP ping (-sn on the lab's direct
# link) and the OS probes (-O, raw IP sockets) are in the capture too.
t_scan disc ip netns exec "$LAB_SCAN" -sn -n --packet-capture "$T/disc.pcapng" "$LAB_TGT_V4"
python3 "$T_HELPERS/pcapng.py" "$T/disc.pcapng" >"$T/dframes" || t_fail "malformed -sn PCAPNG"
grep -q '^out 1 eth0806 ' "$T/dframes" && grep -q '^in 1 eth0806 ' "$T/dframes" ||
    t_fail "-sn: no ARP request and reply in the capture: $(head -5 "$T/dframes")"
lab_listen "$LAB_TGT" "$T/listen.out" --addr "$LAB_TGT_V4" --ports 22
t_scan os ip netns exec "$LAB_SCAN" -O -Pn -n -p 22,81 --packet-capture "$T/os.pcapng" "$LAB_TGT_V4"
[ "$(cat "$T/os.rc")" = 0 ] || t_fail "-O scan failed: $(cat "$T/os.err")"
python3 "$T_HELPERS/pcapng.py" "$T/os.pcapng" >"$T/oframes" || t_fail "malformed -O PCAPNG"
osout=$(awk '$1 == "out" && $2 == 101' "$T/oframes" | wc -l)
osin=$(awk '$1 == "in" && $2 == 101' "$T/oframes" | wc -l)
# nmap's OS probes: 6 SEQ, 2 IE, ECN, T2-T7, U1 = 16 (some resent).
[ "$osout" -ge 16 ] && [ "$osin" -ge 1 ] || t_fail "-O: $osout OS probes out, $osin replies in the capture"
t_pass "discovery (ARP) and OS detection ($osout probes, $osin replies) are captured"

# --packet-trace: nmap's SENT/RCVD lines. The same probe of a closed port
# through nmap and prtip must give lines of the same shape (numbers that
# vary per run -- time, port, id, seq, ttl of a SYN -- are masked). ARP
# lines are compared below.
shape() {
    grep -E '^(SENT|RCVD) ' "$1" | grep -F "$LAB_TGT_V4" | grep -v ' ARP ' |
        sed -E 's/\([0-9.]+s\)/(T)/; s/:[0-9]+ >/:P >/; s/> ([0-9.]+):[0-9]+ /> \1:P /;
                s/ id=[0-9]+/ id=N/; s/seq=[0-9]+/seq=N/; s/ttl=[0-9]+ id=N iplen=44/ttl=N id=N iplen=44/' | sort -u
}
t_scan trace ip netns exec "$LAB_SCAN" -sS -Pn -n -p 22 --packet-trace "$LAB_TGT_V4"
shape "$T/trace.out" >"$T/trace.shape"
if command -v nmap >/dev/null 2>&1; then
    lab_confined "$LAB_SCAN"
    ip netns exec "$LAB_SCAN" timeout 60 nmap -sS -Pn -n -p 22 --packet-trace "$LAB_TGT_V4" \
        >"$T/ntrace.out" 2>&1 || t_fail "nmap failed: $(cat "$T/ntrace.out")"
    shape "$T/ntrace.out" >"$T/ntrace.shape"
    t_same "--packet-trace lines against nmap's" "$T/ntrace.shape" "$T/trace.shape"
fi
[ "$(grep -c '^SENT .* S ttl=' "$T/trace.out")" = 1 ] || t_fail "expected one SENT SYN line"
# Port 22 listens since the -O scan above: the answer is a SYN-ACK.
grep -qE '^RCVD \([0-9.]+s\) TCP [0-9.]+:22 > [0-9.]+:[0-9]+ SA ttl=64 id=[0-9]+ iplen=44  seq=[0-9]+ win=[0-9]+ <mss [0-9]+>$' "$T/trace.out" ||
    t_fail "no RCVD SYN-ACK line: $(cat "$T/trace.out")"

# The other lines of nmap's --packet-trace, against nmap on the same target:
# ARP (who-has / reply is-at), ICMP pings with nmap's per-type fields (echo
# id/seq, timestamp orig/recv/trans, mask; --send-ip sends no ARP, and with
# -PR alone nmap's four default probes, as nmap does), and IPv6's layout (hopl= flow=
# payloadlen=, "ICMPv6 (58) ... (type=/code=)", the ND ping's "neighbor
# advertisement ... is at"). Numbers that vary per run are masked; whether
# a probe's SENT line came before its answer's RCVD line and every line
# before the host's report is logged (best effort, see below). IPv6: nmap
# also traces the kernel's own neighbour traffic during its port scan, so
# prtip's lines must be a subset
# of nmap's, holding the four kinds named.
vshape() {
    grep -E '^(SENT|RCVD) ' "$1" |
        sed -E 's/\([0-9.]+s\)/(T)/; s/:[0-9]+ >/:P >/; s/> ([^ ]+):[0-9]+ /> \1:P /;
                s/ id=[0-9]+/ id=N/g; s/seq=[0-9]+/seq=N/; s/ttl=[0-9]+/ttl=N/; s/hopl=[0-9]+/hopl=N/;
                s/flow=[0-9a-f]+/flow=F/; s/(orig|recv|trans)=[0-9]+/\1=N/g' | sort -u
}
sent_first() { # FILE: each RCVD answer after a SENT probe, every line before the report
    /usr/bin/python3 - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
report = next((i for i, l in enumerate(lines) if l.startswith("prtip scan report")), len(lines))
trace = [i for i, l in enumerate(lines) if re.match(r"(SENT|RCVD) \(", l)]
if any(i > report for i in trace):
    sys.exit("a trace line after the report")
first = [lines[i][:4] for i in trace if " ARP " not in lines[i] and "neighbor" not in lines[i]
         and "type=13" not in lines[i] and "type=14" not in lines[i]]
if first and first[0] != "SENT":
    sys.exit("a RCVD line before any SENT line: " + lines[trace[0]])
PY
}
if command -v nmap >/dev/null 2>&1; then
    for v in "arp:-sn" "ping:-sn -PE -PP -PM --send-ip" "pr:-sn -PR --send-ip"; do
        name="${v%%:*}"
        # shellcheck disable=SC2086 # the options are words
        t_scan "v$name" ip netns exec "$LAB_SCAN" ${v#*:} -n --packet-trace "$LAB_TGT_V4"
        # shellcheck disable=SC2086
        ip netns exec "$LAB_SCAN" timeout 60 nmap ${v#*:} -n --packet-trace "$LAB_TGT_V4" \
            >"$T/nv$name.out" 2>&1 || t_fail "nmap ${v#*:} failed"
        vshape "$T/v$name.out" >"$T/v$name.shape"
        vshape "$T/nv$name.out" >"$T/nv$name.shape"
        # nmap stops reading once a host is up (its timestamp reply can go
        # unprinted): the SENT lines must be equal, nmap's RCVD lines a subset.
        grep '^SENT' "$T/nv$name.shape" >"$T/nv$name.sent" || true
        grep '^SENT' "$T/v$name.shape" >"$T/v$name.sent" || true
        t_same "--packet-trace ${v#*:}: SENT lines against nmap's" "$T/nv$name.sent" "$T/v$name.sent"
        missing="$(grep '^RCVD' "$T/nv$name.shape" | comm -23 - "$T/v$name.shape")"
        [ -z "$missing" ] || t_fail "${v#*:}: nmap's RCVD lines missing: $missing (prtip: $(cat "$T/v$name.shape"))"
        # Ordering is best effort (the capture's writer waits 5 ms for a
        # sender to append its probe): a sender preempted for longer (ASan
        # on a loaded machine) can let the answer print first. Logged.
        why="$(sent_first "$T/v$name.out" 2>&1)" || t_log "${v#*:}: order: $why"
    done
    grep -q "^SENT (T) ARP who-has $LAB_TGT_V4 tell $LAB_SCAN_V4\$" "$T/varp.shape" ||
        t_fail "no ARP who-has line"
    t_scan v6 ip netns exec "$LAB_SCAN" -6 -sS -Pn -n -p 22 --packet-trace "$LAB_TGT_V6"
    ip netns exec "$LAB_SCAN" timeout 60 nmap -6 -sS -Pn -n -p 22 --packet-trace "$LAB_TGT_V6" \
        >"$T/nv6.out" 2>&1 || t_fail "nmap -6 failed"
    vshape "$T/v6.out" >"$T/v6.shape"
    vshape "$T/nv6.out" >"$T/nv6.shape"
    extra="$(comm -23 "$T/v6.shape" "$T/nv6.shape")"
    [ -z "$extra" ] || t_fail "IPv6 trace lines nmap does not print: $extra (nmap: $(cat "$T/nv6.shape"))"
    for want in '^SENT \(T\) ICMPv6 \(58\) .*\(type=135/code=0\) hopl=N flow=F payloadlen=32$' \
        '^RCVD \(T\) neighbor advertisement ' '^SENT \(T\) TCP .* S hopl=N flow=F payloadlen=24 seq=N' \
        '^RCVD \(T\) TCP .* hopl=N flow=F payloadlen='; do
        grep -qE "$want" "$T/v6.shape" || t_fail "no IPv6 trace line like /$want/: $(cat "$T/v6.shape")"
    done
    t_pass "ARP, ICMP ping and IPv6 --packet-trace lines equal nmap's"
fi

# -sT --packet-trace: nmap prints a CONN line for each connect() and for its
# answer ("=> Operation now in progress", "=> Connected", "=> Connection
# refused"), not the kernel's segments. Port 22 listens, 81 is closed; the
# lines (time masked) must equal nmap's as sets, and no SENT/RCVD TCP line
# may appear.
cshape() {
    grep -E '^CONN ' "$1" | sed -E 's/\([0-9.]+s\)/(T)/' | sort
}
t_scan ctrace ip netns exec "$LAB_SCAN" -sT -Pn -n -p 22,81 --packet-trace "$LAB_TGT_V4"
cshape "$T/ctrace.out" >"$T/ctrace.shape"
grep -q "CONN (T) TCP localhost > $LAB_TGT_V4:22 => Connected" "$T/ctrace.shape" &&
    grep -q "CONN (T) TCP localhost > $LAB_TGT_V4:81 => Connection refused" "$T/ctrace.shape" ||
    t_fail "-sT --packet-trace: no CONN lines: $(cat "$T/ctrace.out")"
grep -qE '^(SENT|RCVD) .* TCP ' "$T/ctrace.out" && t_fail "-sT trace printed the kernel's segments"
if command -v nmap >/dev/null 2>&1; then
    ip netns exec "$LAB_SCAN" timeout 60 nmap -sT -Pn -n -p 22,81 --packet-trace "$LAB_TGT_V4" \
        >"$T/nctrace.out" 2>&1 || t_fail "nmap -sT failed: $(cat "$T/nctrace.out")"
    cshape "$T/nctrace.out" >"$T/nctrace.shape"
    t_same "-sT --packet-trace CONN lines against nmap's" "$T/nctrace.shape" "$T/ctrace.shape"
fi
t_pass "-sT --packet-trace prints nmap's CONN lines"

t_expect_error badpath 2 'packet-capture' -sS -p 22 --packet-capture /nonexistent/dir/x.pcapng 127.0.0.1
t_pass "an unwritable capture file is refused"
