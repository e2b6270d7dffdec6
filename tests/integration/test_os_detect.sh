#!/usr/bin/env bash
# OS detection (-O) against nmap 7.93 on the same Linux target, in the
# namespace lab (tests/lab): the target namespace runs one listener (22,
# open) and nothing on 23 (closed); both scanners run from the scanner
# namespace with the same options.
#
#   1. prtip -O and nmap -O -d --osscan-guess: the deterministic test lines
#      of the two fingerprints are equal (OPS, WIN, ECN, T1-T7, U1, IE; the
#      SEQ classes TI, CI, II, SS and the kind of TS), the first <osmatch>
#      (the top guess) is the same, prtip's XML validates against nmap.dtd.
#   2. The matcher: nmap's own printed fingerprint, scored by prtip's
#      matcher (helpers/os_match.c), gives nmap's "Aggressive OS guesses"
#      list exactly: the same names in the same order, the same printed
#      percentages (here and for the fingerprint of case 4).
#   3. No closed port (-p 22): both print nmap's warning, the guesses (the
#      fingerprint is not ideal) and "No exact OS matches for host (test
#      conditions non-ideal)." with the same top guess.
#   4. A target that drops everything but port 22: the same fingerprint
#      lines (no T5-T7, TG instead of T, U1 and IE unanswered), warning,
#      reason and top guess; the matcher reproduces nmap's list on nmap's
#      fingerprint (an unanswered U1/IE costs nothing against a reference
#      line that does not write R).
#
# TS (the timestamp clock rate) and SP/GCD/ISR vary from run to run on
# Linux (per-connection timestamp offsets, random ISNs), so only their kind
# is compared; nmap itself prints different values on every run.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME compares prtip with nmap" >&2; exit 77; }
t_need nmap python3 ip
LIB="$(dirname "$BIN")/libprtip_core.a"
[ -r "$LIB" ] || { echo "SKIP: $T_NAME: no $LIB next to the binary" >&2; exit 77; }
CC="${CC:-cc}"
DB="${PRTIP_DATADIR:-/usr/share/nmap}/nmap-os-db"
[ -r "$DB" ] || { echo "SKIP: $T_NAME needs $DB (Debian nmap-common)" >&2; exit 77; }

cflags=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$SRC/src")
if nm "$LIB" 2>/dev/null | grep '__asan_' >/dev/null; then
    cflags+=("-fsanitize=address,undefined" -fno-omit-frame-pointer)
fi
# shellcheck disable=SC2046
"$CC" "${cflags[@]}" "$SRC/tests/integration/helpers/os_match.c" "$LIB" \
    $(pkg-config --libs jansson libxml-2.0 libpcap 2>/dev/null || true) -lpthread -lm \
    -o "$T/os_match" 2>"$T/cc.err" || {
    cat "$T/cc.err" >&2
    t_fail "could not build helpers/os_match.c against $LIB"
}

# shellcheck source=../lab/lib.sh
. "$SRC/tests/lab/lib.sh"
lab_require
LABID="os$$"
t_cleanup lab_down "$LABID"
lab_up "$LABID" >/dev/null || t_fail "could not bring up the lab (tests/lab/lib.sh)"
lab_listen "$LAB_TGT" "$T/listen.txt" --addr "$LAB_TGT_V4" --ports 22 ||
    t_fail "could not start the listener in $LAB_TGT"
# The fresh veth can miss the first ARP exchange under load, and nmap then
# reports the host down: wait until the target answers a connection.
ip netns exec "$LAB_SCAN" python3 -c '
import socket, sys, time
for _ in range(50):
    try:
        socket.create_connection((sys.argv[1], 22), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' "$LAB_TGT_V4" || t_fail "the lab target does not answer on 22/tcp"

# run NAME SCANNER ARGS...: one scan from the scanner namespace.
run() {
    local name="$1" bin="$2"
    shift 2
    local t0 t1
    t0=$(date +%s.%N)
    timeout -k 5 120 ip netns exec "$LAB_SCAN" "$bin" "$@" >"$T/$name.out" 2>"$T/$name.err" ||
        t_fail "$name: $bin $* exited $?: $(head -c 1500 "$T/$name.err")"
    t1=$(date +%s.%N)
    t_log "$name: $(python3 -c "print('%.2f' % ($t1 - $t0))") s"
}

# The fingerprint block of a normal output, unwrapped, one test per line.
fp_lines() {
    python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r'TCP/IP fingerprint:\n((?:OS:.*\n|[A-Z0-9]+\(.*\)\n)+)', text)
if not m:
    sys.exit("no fingerprint in " + sys.argv[1])
flat = ''.join(l[3:] if l.startswith('OS:') else l for l in m.group(1).splitlines())
for t in re.findall(r'[A-Z0-9]+\([^)]*\)', flat):
    print(t)
EOF
}

# The comparable facts of a fingerprint: every deterministic test line, and
# the SEQ attributes that are classes.
fp_facts() {
    python3 - "$1" <<'EOF'
import re, sys
for line in open(sys.argv[1]):
    line = line.strip()
    name, body = line.split('(', 1)
    body = body[:-1]
    if name == 'SCAN':
        continue
    if name != 'SEQ':
        print(line)
        continue
    for kv in body.split('%'):
        k, _, v = kv.partition('=')
        if k in ('TI', 'CI', 'II', 'SS'):
            print('SEQ.%s=%s' % (k, v))
        elif k == 'TS':
            print('SEQ.TS kind=%s' % (v if v in ('U', '0') else 'rate'))
EOF
}

top_osmatch() {
    python3 -c '
import sys, xml.etree.ElementTree as E
m = E.parse(sys.argv[1]).getroot().find("host/os/osmatch")
print(m.get("name") if m is not None else "(none)")' "$1"
}

# The OS lines of a normal output that do not depend on SEQ's variance.
os_lines() {
    grep -E '^(Warning: OSScan|No exact OS|No OS matches|Too many fingerprints|OS details|Network Distance)' "$1" || true
}

guesses() {
    sed -n 's/^Aggressive OS guesses: //p' "$1" | python3 -c '
import re, sys
for line in sys.stdin:
    for name, acc in re.findall(r"(.+?) \((\d+)%\)(?:, |$)", line.strip()):
        print("%s\t%s" % (name, acc))'
}

# top_agrees NMAP_OUT NMAP_XML PRTIP_XML: the top guess. SP, ISR and TS
# vary from run to run (random ISNs and timestamp offsets), and near the top
# of the list prints lie within a point of each other, so nmap's own runs
# can swap two of them: prtip's top guess must be nmap's, or one that nmap
# printed within one point of its own top.
top_agrees() {
    local nt pt
    nt="$(top_osmatch "$2")"
    pt="$(top_osmatch "$3")"
    [ "$nt" = "$pt" ] && return 0
    guesses "$1" >"$T/top.guesses"
    python3 - "$T/top.guesses" "$pt" <<'EOF' || t_fail "top guess: nmap '$nt', prtip '$pt' (not within a point in nmap's list)"
import sys
rows = [l.rsplit('\t', 1) for l in open(sys.argv[1]).read().split('\n') if l]
acc = {n: int(a) for n, a in rows}
sys.exit(0 if sys.argv[2] in acc and acc[sys.argv[2]] >= int(rows[0][1]) - 1 else 1)
EOF
    t_log "top guess: nmap '$nt', prtip '$pt' (nmap scored it within a point)"
}

COMMON=(-n -Pn -sS -O --osscan-guess)

# --- 1. open + closed port: the fingerprints and the top guess ------------
run nmap nmap "${COMMON[@]}" -d -p 22,23 -oX "$T/nmap.xml" "$LAB_TGT_V4"
run prtip "$BIN" "${COMMON[@]}" -d -p 22,23 -oX "$T/prtip.xml" -oG "$T/prtip.gnmap" "$LAB_TGT_V4"
t_xml_valid "$T/prtip.xml"
fp_lines "$T/nmap.out" >"$T/nmap.fp"
fp_lines "$T/prtip.out" >"$T/prtip.fp"
fp_facts "$T/nmap.fp" | sort -u >"$T/nmap.facts"
fp_facts "$T/prtip.fp" | sort -u >"$T/prtip.facts"
if ! diff -u "$T/nmap.facts" "$T/prtip.facts" >"$T/facts.diff"; then
    cat "$T/facts.diff" >&2
    t_fail "fingerprint test lines differ from nmap's"
fi
[ "$(wc -l <"$T/prtip.facts")" -ge 14 ] || t_fail "prtip's fingerprint is incomplete"
t_pass "fingerprint lines equal nmap's ($(wc -l <"$T/prtip.facts") facts)"

top_agrees "$T/nmap.out" "$T/nmap.xml" "$T/prtip.xml"
pt="$(top_osmatch "$T/prtip.xml")"
t_pass "top guess agrees with nmap's: $pt"
grep -q 'Seq Index: ' "$T/prtip.gnmap" || t_fail "greppable output lacks Seq Index"
# -Pn learns no MAC in the port scan; for an on-link host both report it
# (from the neighbour table) and put its first half in the SCAN line (M=).
for f in nmap prtip; do
    grep '^MAC Address: ' "$T/$f.out" >"$T/$f.mac" || t_fail "$f: no MAC Address line"
    grep -o '%M=[0-9A-F]*%' "$T/$f.fp" >"$T/$f.m" || grep -o '%M=[0-9A-F]*%' "$T/$f.out" >"$T/$f.m" ||
        t_fail "$f: no M= in the SCAN line"
done
diff -u "$T/nmap.mac" "$T/prtip.mac" || t_fail "MAC Address line differs from nmap's"
diff -u "$T/nmap.m" "$T/prtip.m" || t_fail "SCAN line's M= differs from nmap's"
# nmap's progress lines for the tries (-d implies them): the first is equal,
# and both retried (no perfect match, good conditions: more tries).
for f in nmap prtip; do
    grep -E '^(Initiating|Retrying) OS detection \(try #' "$T/$f.out" >"$T/$f.tries" || true
done
[ "$(head -1 "$T/nmap.tries")" = "$(head -1 "$T/prtip.tries")" ] ||
    t_fail "first try line: nmap '$(head -1 "$T/nmap.tries")', prtip '$(head -1 "$T/prtip.tries")'"
grep -q '^Retrying OS detection (try #2) against ' "$T/prtip.tries" ||
    t_fail "prtip made no second try without a perfect match"
grep -q '<portused state="open" proto="tcp" portid="22"/>' "$T/prtip.xml" ||
    t_fail "XML lacks <portused> for the open port"

# --- 2. the matcher on nmap's own fingerprint ------------------------------
# matcher_agrees NAME: nmap's printed fingerprint in $T/NAME.out, scored by
# prtip's matcher, gives the very list nmap printed: the same names in the
# same order and the same printed (floored) percentages, i.e. prtip's
# accuracy lies in [nmap's, nmap's + 1) for every guess.
matcher_agrees() {
    guesses "$T/$1.out" >"$T/$1.guesses"
    [ -s "$T/$1.guesses" ] || t_fail "$1: nmap printed no guesses"
    fp_lines "$T/$1.out" >"$T/$1.fponly"
    "$T/os_match" "$DB" "$T/$1.fponly" >"$T/$1.blocks" || t_fail "os_match failed on $1"
    python3 - "$T/$1.guesses" "$T/$1.blocks" <<'EOF' || t_fail "$1: prtip's matcher does not reproduce nmap's guesses"
import sys
def parse(text):
    return [(l.rsplit('\t', 1)[0], int(l.rsplit('\t', 1)[1])) for l in text.strip().splitlines()]
want = parse(open(sys.argv[1]).read())
blocks = [parse(b) for b in open(sys.argv[2]).read().split('\n\n') if b.strip()]
if want not in blocks:
    print("nmap: %s\nprtip: %s" % (want, blocks), file=sys.stderr)
    sys.exit(1)
EOF
    t_pass "matcher: nmap's $1 fingerprint gives nmap's $(wc -l <"$T/$1.guesses") guesses, same order and accuracies"
}
matcher_agrees nmap

# --- 3. no closed port ------------------------------------------------------
run nmap3 nmap "${COMMON[@]}" -p 22 -oX "$T/nmap3.xml" "$LAB_TGT_V4"
run prtip3 "$BIN" "${COMMON[@]}" -p 22 -oX "$T/prtip3.xml" "$LAB_TGT_V4"
os_lines "$T/nmap3.out" >"$T/nmap3.os"
os_lines "$T/prtip3.out" >"$T/prtip3.os"
diff -u "$T/nmap3.os" "$T/prtip3.os" || t_fail "no closed port: OS lines differ from nmap's"
grep -q '^Warning: OSScan results may be unreliable' "$T/prtip3.out" || t_fail "no warning"
top_agrees "$T/nmap3.out" "$T/nmap3.xml" "$T/prtip3.xml"
t_pass "no closed port: nmap's OS lines and top guess"

# --- 4. everything dropped but port 22 ---------------------------------------
lab_nft "$LAB_TGT" "
table inet prtip_os {
    chain input {
        type filter hook input priority 0; policy drop;
        ct state established,related accept
        tcp dport 22 accept
    }
}" || t_fail "could not load the nftables ruleset"
run nmap4 nmap "${COMMON[@]}" -d -p 22,23 -oX "$T/nmap4.xml" "$LAB_TGT_V4"
run prtip4 "$BIN" "${COMMON[@]}" -d -p 22,23 -oX "$T/prtip4.xml" "$LAB_TGT_V4"
fp_lines "$T/nmap4.out" >"$T/nmap4.fp"
fp_lines "$T/prtip4.out" >"$T/prtip4.fp"
fp_facts "$T/nmap4.fp" | sort -u >"$T/nmap4.facts"
fp_facts "$T/prtip4.fp" | sort -u >"$T/prtip4.facts"
diff -u "$T/nmap4.facts" "$T/prtip4.facts" || t_fail "one open port only: fingerprint lines differ"
grep -q '^U1(R=N)$' "$T/prtip4.facts" || t_fail "one open port only: U1 should be unanswered"
grep -q '^T5' "$T/prtip4.facts" && t_fail "one open port only: T5 sent without a closed port"
for f in nmap4 prtip4; do
    grep -E '^(Warning: OSScan|OS fingerprint not ideal|Network Distance)' "$T/$f.out" >"$T/$f.os" || true
done
diff -u "$T/nmap4.os" "$T/prtip4.os" || t_fail "one open port only: OS lines differ from nmap's"
t_xml_valid "$T/prtip4.xml"
t_pass "one open port only: nmap's fingerprint lines, warning and reason"
matcher_agrees nmap4
top_agrees "$T/nmap4.out" "$T/nmap4.xml" "$T/prtip4.xml"
t_pass "one open port only: top guess agrees with nmap's: $(top_osmatch "$T/prtip4.xml")"

# --- 5. --osscan-limit and IPv6 -------------------------------------------------
nft_flush() { ip netns exec "$LAB_TGT" nft flush ruleset; }
nft_flush
run limit "$BIN" -n -Pn -sS -O --osscan-limit -p 22 -oX "$T/limit.xml" "$LAB_TGT_V4"
grep -qE '^(OS details|Aggressive OS|No exact OS|No OS matches|Too many)' "$T/limit.out" &&
    t_fail "--osscan-limit: OS detection ran without a closed port"
run limitn nmap -n -Pn -sS -O --osscan-limit -p 22 "$LAB_TGT_V4"
grep -qE '^(OS details|Aggressive OS|No exact OS|No OS matches|Too many)' "$T/limitn.out" &&
    t_fail "nmap --osscan-limit ran OS detection here: the expectation is wrong"
t_pass "--osscan-limit skips a host without a closed port, as nmap"
run tries1 "$BIN" -n -Pn -sS -O -v --max-os-tries 1 -p 22,23 "$LAB_TGT_V4"
grep -q '^Initiating OS detection (try #1) against ' "$T/tries1.out" || t_fail "-v: no try line"
grep -q '^Retrying OS detection' "$T/tries1.out" && t_fail "--max-os-tries 1 made a second try"
t_pass "--max-os-tries 1: one try"
run v6 "$BIN" -6 -n -Pn -sS -O -p 22,23 -oX "$T/v6.xml" "$LAB_TGT_V6"
grep -q 'IPv6 OS detection is not supported' "$T/v6.err" || t_fail "IPv6: no warning: $(cat "$T/v6.err")"
grep -qE '^(OS details|Aggressive OS|No exact OS)' "$T/v6.out" && t_fail "IPv6: a guess was printed"
t_xml_valid "$T/v6.xml"
t_pass "IPv6: a warning and no guess"
