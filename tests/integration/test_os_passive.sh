#!/usr/bin/env bash
# --os-passive (issue 12 point 6): an OS guess for every host of a range
# from the SYN scan's own SYN-ACKs. The target namespace makes
# 198.18.128.0/26 local (AnyIP) with a wildcard listener on 22; nothing
# listens on 23.
#
#   1. prtip -sS --os-passive -d on the range: every one of the 64 hosts
#      gets a "Passive OS guess" line (labelled, never "OS details"), and
#      the O1, W1 and T1 lines it prints equal nmap -O -d's O1, W1 and T1
#      for one address of the range (nmap run once, same test): the SYN
#      carries nmap's SEQ1 options and window. T1's TTL is TG on both
#      sides here (nmap's T needs U1's hop count; -p 22,23 without -sU and
#      with a closed UDP port drawn... nmap prints T when U1 came back, so
#      T/TG are compared as the initial TTL).
#   2. The passive top guess is one of nmap's own guesses scored on those
#      lines (the matcher is the same); prtip's XML validates against
#      nmap.dtd and JSON carries os_passive.
#   3. --os-passive is refused without a SYN scan (-sT) and with -O.
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
t_need_root
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: $T_NAME compares prtip with nmap" >&2; exit 77; }
t_need nmap python3 ip
DB="${PRTIP_DATADIR:-/usr/share/nmap}/nmap-os-db"
[ -r "$DB" ] || { echo "SKIP: $T_NAME needs $DB (Debian nmap-common)" >&2; exit 77; }
t_lab_up

PREFIX="198.18.128.0/26"
ONE="198.18.128.7"
lab_anyip "$LAB_TGT" "$PREFIX" || t_fail "could not make $PREFIX local in $LAB_TGT"
lab_listen "$LAB_TGT" "$T/listen.txt" --addr 0.0.0.0 --ports 22 ||
    t_fail "could not start the wildcard listener on port 22"

run() {
    local name="$1" bin="$2"
    shift 2
    timeout -k 5 120 ip netns exec "$LAB_SCAN" "$bin" "$@" >"$T/$name.out" 2>"$T/$name.err" ||
        t_fail "$name: $bin $* exited $?: $(head -c 1500 "$T/$name.err")"
}

# The O1, W1 and T1 facts of a fingerprint block (nmap's wrapped OS: lines
# or prtip's plain lines), T and TG both read as the initial TTL.
o1w1t1() {
    python3 - "$1" "$2" <<'EOF2'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(sys.argv[2] + r'\n((?:OS:.*\n|[A-Z0-9]+\(.*\)\n)+)', text)
if not m:
    sys.exit("no fingerprint in " + sys.argv[1])
flat = ''.join(l[3:] if l.startswith('OS:') else l for l in m.group(1).splitlines())
for name, body in re.findall(r'([A-Z0-9]+)\(([^)]*)\)', flat):
    for kv in body.split('%'):
        k, _, v = kv.partition('=')
        if (name, k) in (('OPS', 'O1'), ('WIN', 'W1')) or name == 'T1':
            if name == 'T1' and k in ('T', 'TG'):
                k = 'TTL'
                v = 'hex:%X' % int(v, 16) if '-' not in v else v
            print('%s.%s=%s' % (name, k, v))
EOF2
}

run prtip "$BIN" -sS --os-passive -n -Pn -d -p 22,23 -oX "$T/prtip.xml" -oJ "$T/prtip.json" \
    -oG "$T/prtip.gnmap" -oD "$T/prtip.ndjson" -oC "$T/prtip.csv" --db "$T/scans.db" "$PREFIX"
n="$(grep -c '^Passive OS guess (SYN-ACK only: O1/W1/T1): ' "$T/prtip.out" || true)"
[ "$n" = 64 ] || t_fail "expected 64 passive guesses, got $n"
! grep -q '^OS details' "$T/prtip.out" || t_fail "a passive guess printed as OS details"
t_pass "a labelled passive guess for each of the 64 hosts"

run nmap nmap -sS -O --osscan-guess -n -Pn -d -p 22,23 "$ONE"
o1w1t1 "$T/nmap.out" 'TCP/IP fingerprint:' | sort >"$T/nmap.facts"
awk -v a="$ONE" '/ scan report for /{on = ($NF == a)} on' "$T/prtip.out" >"$T/one.out"
o1w1t1 "$T/one.out" 'Passive TCP/IP fingerprint:' | sort >"$T/prtip.facts"
[ -s "$T/nmap.facts" ] || t_fail "no O1/W1/T1 in nmap's fingerprint"
diff -u "$T/nmap.facts" "$T/prtip.facts" || t_fail "O1/W1/T1 differ from nmap's"
t_pass "O1, W1 and T1 equal nmap -O's ($(tr '\n' ' ' <"$T/prtip.facts"))"
t_log "prtip: $(grep '^Passive OS guess' "$T/one.out" | cut -c1-300)"
t_log "nmap:  $(grep -E '^(OS details|Aggressive OS guesses)' "$T/nmap.out" | cut -c1-300)"
# The passive top guess must be nmap's own top guess for the host (scored on
# every test line): the three lines and the whole-print rule keep it. nmap
# lists ties in no fixed order, and its own ranking moves by a point between
# runs as the lines the passive guess cannot see (SEQ, IE, U1: timing) vary
# (a typical run: "Linux 5.3 - 5.4 (96%), Linux 3.2 (95%), Linux 3.1 (95%)";
# runs where the top sat at 95% have failed an exact comparison), so: a
# passive guess sharing prtip's best accuracy must be one of nmap's guesses
# within 1 point of nmap's best.
top_tied() { # FILE PREFIX-REGEX SLACK -> names within SLACK points of the best, one a line
    /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import re, sys
for line in open(sys.argv[1], errors="replace"):
    m = re.match(sys.argv[2], line)
    if not m:
        continue
    rest = line[m.end():].rstrip("\n")
    guesses = re.findall(r"(.+?) \((\d+)%\)(?:, |$)", rest)
    if guesses:
        best = max(int(a) for _, a in guesses)
        print("\n".join(n for n, a in guesses if int(a) >= best - int(sys.argv[3])))
    else:  # OS details: perfect matches, all equal
        print("\n".join(rest.split(", ")))
    break
PY
}
top_tied "$T/one.out" 'Passive OS guess \(SYN-ACK only: O1/W1/T1\): ' 0 | sort >"$T/top.prtip"
top_tied "$T/nmap.out" '(OS details|Aggressive OS guesses): ' 1 | sort >"$T/top.nmap"
top_p="$(comm -12 "$T/top.prtip" "$T/top.nmap" | head -1)"
[ -n "$top_p" ] || t_fail "passive top guess(es) '$(paste -sd '|' "$T/top.prtip")', nmap -O's '$(paste -sd '|' "$T/top.nmap")'"
t_pass "passive top guess is nmap -O's: $top_p"

t_xml_valid "$T/prtip.xml"
python3 - "$T/prtip.json" "$ONE" <<'EOF2' || t_fail "JSON lacks os_passive for $ONE"
import json, sys
doc = json.load(open(sys.argv[1]))
hosts = doc["hosts"] if isinstance(doc, dict) else doc
h = [h for h in hosts if h["address"] == sys.argv[2]][0]
assert h["os_passive"]["matches"][0]["accuracy"] >= 85, h
EOF2
grep -q 'OS: (passive) ' "$T/prtip.gnmap" || t_fail "greppable output lacks the passive OS field"
python3 - "$T/prtip.ndjson" "$T/prtip.csv" "$ONE" <<'EOF2' || t_fail "NDJSON or CSV lack the passive guess"
import csv, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
host = [l for l in lines if l["rec_type"] == "host" and l["ip"] == sys.argv[3]][0]["data"]
assert "os" not in host and host["os_passive"]["passive"] is True, host
assert host["os_passive"]["matches"][0]["accuracy"] >= 85, host
rows = [r for r in csv.DictReader(open(sys.argv[2], newline="")) if r["address"] == sys.argv[3]]
assert rows and all(r["os"] == "" and r["os_passive"] == host["os_passive"]["matches"][0]["name"]
                    for r in rows), rows
EOF2
t_pass "XML valid against nmap.dtd; JSON, greppable, NDJSON (os_passive) and CSV (column os_passive) carry the passive guess"

# Stored, the guess stays passive: db show labels it as the live scan did,
# never as -O's "OS details", and every export equals the live file.
"$BIN" db --db "$T/scans.db" show 1 >"$T/show.txt" || t_fail "db show"
n="$(grep -c '^Passive OS guess (SYN-ACK only: O1/W1/T1): ' "$T/show.txt" || true)"
[ "$n" = 64 ] && ! grep -q '^OS details\|^Aggressive OS guesses' "$T/show.txt" ||
    t_fail "db show: $n passive guesses, or one shown as -O's: $(grep -m3 '^OS\|^Aggr' "$T/show.txt")"
for f in "X xml" "J json" "G gnmap" "D ndjson" "C csv"; do
    set -- $f
    "$BIN" db --db "$T/scans.db" export 1 "-o$1" "$T/export.$2" || t_fail "db export -o$1"
    # Hosts handed over early are stored in the order they came (the live
    # files are in target order, docs/STORAGE.md): compare with hosts sorted.
    for g in prtip export; do python3 "$T_HELPERS/host_order.py" "$2" "$T/$g.$2" >"$T/$g.$2.sorted"; done
    cmp -s "$T/prtip.$2.sorted" "$T/export.$2.sorted" || { diff "$T/prtip.$2.sorted" "$T/export.$2.sorted" | head -20 >&2; t_fail "db export -o$1 differs from the live file"; }
done
t_pass "stored passive guesses read back passive: db show labels 64, exports equal the live files"
# db import of the live XML keeps the label too (prtip's comment before <os>).
"$BIN" db --db "$T/imported.db" import "$T/prtip.xml" >"$T/import.out" 2>&1 || t_fail "db import: $(cat "$T/import.out")"
"$BIN" db --db "$T/imported.db" show 1 >"$T/ishow.txt" || t_fail "db show of the import"
n="$(grep -c '^Passive OS guess (SYN-ACK only: O1/W1/T1): ' "$T/ishow.txt" || true)"
[ "$n" = 64 ] && ! grep -q '^OS details\|^Aggressive OS guesses' "$T/ishow.txt" ||
    t_fail "imported: $n passive guesses, or one shown as -O's: $(grep -m3 '^OS\|^Aggr\|^Passive' "$T/ishow.txt")"
t_pass "db import of the XML: 64 guesses still labelled passive"

for args in "-sT --os-passive" "-sS -O --os-passive"; do
    # shellcheck disable=SC2086
    if ip netns exec "$LAB_SCAN" "$BIN" $args -n -Pn -p 22 "$ONE" >"$T/refuse.out" 2>&1; then
        t_fail "prtip $args was accepted"
    fi
    grep -q -- '--os-passive' "$T/refuse.out" || t_fail "prtip $args: no error naming --os-passive"
done
t_pass "refused without a SYN scan and with -O"
echo "PASS: $T_NAME"
