# shellcheck shell=bash
# tests/integration/helpers/db_scenarios.sh — what the storage tests check
# against each back end (test_db_sqlite.sh, test_db_postgres.sh).
#
#   db_scenarios DB   DB is what --db takes (a file path or a postgresql:// URL)
#
# In the lab (t_lab_up first): 198.18.0.2 and the AnyIP addresses
# 198.18.1.1-2 in the target namespace, real listeners, scanned twice with
# -sS (default host discovery) over 9 ports:
#   scan 1: 198.18.0.2 listens on 22, 80; 198.18.1.1 on 22
#   scan 2: 198.18.0.2 listens on 22, 8080; 198.18.1.1 drops everything
#           (vanishes: down); 198.18.1.2 listens on 443 (appears)
# Checked: db list, show (= the scan's stdout), query combinations, a
# filter that tries SQL injection, export in every format (= the live
# files; the XML validates against nmap.dtd), compare (its facts = what
# ndiff reports for the two live XML files), import of nmap's XML of the
# same targets (compare with ndiff's facts again).
# Needs common.sh, lab lib, dbfacts.py, ndiff.

DB_PORTS=20-25,80,443,8080

db_scan() { # NAME TARGETS...
    local name="$1"
    shift
    t_scan "$name" ip netns exec "$LAB_SCAN" -sS -n -p "$DB_PORTS" --db "$DB" \
        -oX "$T/$name.xml" -oJ "$T/$name.json" -oG "$T/$name.gnmap" -oN "$T/$name.nmap" \
        -oD "$T/$name.ndjson" -oC "$T/$name.csv" "$@"
    [ "$(cat "$T/$name.rc")" = 0 ] || t_fail "$name: exit $(cat "$T/$name.rc"): $(head -c 600 "$T/$name.err")"
}

db() { "$BIN" db --db "$DB" "$@"; }

db_listen() { # OUT ADDR PORTS
    lab_listen "$LAB_TGT" "$T/$1.txt" --addr "$2" --ports "$3" || t_fail "no listener $2:$3"
    DB_LISTENERS+=("$LAB_LISTEN_PID")
    t_cleanup "kill $LAB_LISTEN_PID"
}

db_scenarios() {
    DB="$1"
    DB_LISTENERS=()
    lab_anyip "$LAB_TGT" 198.18.1.0/29 || t_fail "could not make 198.18.1.0/29 local"
    db_listen l1 "$LAB_TGT_V4" 22,80
    db_listen l2 198.18.1.1 22
    db_scan s1 "$LAB_TGT_V4" 198.18.1.1

    kill "${DB_LISTENERS[@]}"
    wait "${DB_LISTENERS[@]}" 2>/dev/null || true
    DB_LISTENERS=()
    db_listen l3 "$LAB_TGT_V4" 22,8080
    db_listen l4 198.18.1.2 443
    lab_nft "$LAB_TGT" "
table inet prtip_lab {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr 198.18.1.1 drop
    }
}" || t_fail "nft"
    db_scan s2 "$LAB_TGT_V4" 198.18.1.1 198.18.1.2

    # list: two complete scans, open ports 3 then 3.
    db list >"$T/list.txt" || t_fail "db list failed"
    awk 'NR > 1 { print $1, $4, $5, $6 }' "$T/list.txt" >"$T/list.got"
    printf '1 complete 2 3\n2 complete 2 3\n' >"$T/list.exp"
    t_same "db list: id, state, hosts up, open ports" "$T/list.exp" "$T/list.got"

    # show = what the scan printed.
    db show 1 >"$T/show1.txt" || t_fail "db show 1 failed"
    t_same "db show 1 equals the live scan's stdout" "$T/s1.out" "$T/show1.txt"

    # export in every format = the live files.
    for f in "X xml" "J json" "G gnmap" "N nmap" "D ndjson" "C csv"; do
        set -- $f
        db export 2 "-o$1" "$T/e2.$2" || t_fail "db export 2 -o$1 failed"
        t_same "export -o$1 equals the live -o$1" "$T/s2.$2" "$T/e2.$2"
    done
    t_xml_valid "$T/e2.xml"
    t_pass "exported XML validates against nmap.dtd"

    # query: filters combine.
    q() { db query "$@" | awk 'NR > 1 { print $1, $2, $3, $4 }'; }
    q --state open >"$T/q.got"
    printf '%s\n' "1 $LAB_TGT_V4 22/tcp open" "1 $LAB_TGT_V4 80/tcp open" "1 198.18.1.1 22/tcp open" \
        "2 $LAB_TGT_V4 22/tcp open" "2 $LAB_TGT_V4 8080/tcp open" "2 198.18.1.2 443/tcp open" >"$T/q.exp"
    t_same "query --state open" "$T/q.exp" "$T/q.got"
    q --state open --addr 198.18.1.0/24 >"$T/q.got"
    printf '%s\n' "1 198.18.1.1 22/tcp open" "2 198.18.1.2 443/tcp open" >"$T/q.exp"
    t_same "query --state open --addr 198.18.1.0/24" "$T/q.exp" "$T/q.got"
    q --port 80 --scan 2 --proto tcp >"$T/q.got"
    printf '%s\n' "2 $LAB_TGT_V4 80/tcp closed" "2 198.18.1.2 80/tcp closed" >"$T/q.exp"
    t_same "query --port 80 --scan 2 --proto tcp" "$T/q.exp" "$T/q.got"
    q --port 80 --addr "$LAB_TGT_V4" >"$T/q.got"
    printf '%s\n' "1 $LAB_TGT_V4 80/tcp open" "2 $LAB_TGT_V4 80/tcp closed" >"$T/q.exp"
    t_same "query --port 80 --addr $LAB_TGT_V4 (both scans)" "$T/q.exp" "$T/q.got"
    q --service http-proxy --state open --since 1h >"$T/q.got"
    printf '%s\n' "2 $LAB_TGT_V4 8080/tcp open" >"$T/q.exp"
    t_same "query --service http-proxy --state open --since 1h" "$T/q.exp" "$T/q.got"
    [ "$(db query --until 2000-01-01)" = "No stored port matches." ] || t_fail "query --until 2000-01-01 matched"
    [ "$(db query --proto udp)" = "No stored port matches." ] || t_fail "query --proto udp matched"
    db query --state open --addr "$LAB_TGT_V4" --scan 1 -oX "$T/q.xml" || t_fail "query -oX failed"
    t_xml_valid "$T/q.xml"
    [ "$(grep -c '<port ' "$T/q.xml")" = 2 ] || t_fail "query -oX has $(grep -c '<port ' "$T/q.xml") ports, expected 2"
    t_pass "query -oX: the 2 matching ports, valid XML"

    # Filters are parameters, never SQL.
    for evil in "x' OR '1'='1" "ssh' --" "'; DROP TABLE ports; --" '%' "_" '" OR 1=1 --'; do
        out="$(db query --service "$evil" && db query --product "$evil" && db query --state "$evil")"
        [ "$out" = "$(printf 'No stored port matches.\nNo stored port matches.\nNo stored port matches.')" ] ||
            t_fail "filter '$evil' matched something: $out"
    done
    [ "$(db query --state open | wc -l)" = 7 ] || t_fail "rows lost after the injection attempts"
    t_pass "injection attempts in --service/--product/--state match nothing and change nothing"

    # compare = ndiff's facts.
    ndiff "$T/s1.xml" "$T/s2.xml" >"$T/ndiff.txt" || true
    db compare 1 2 --json >"$T/cmp.json" || t_fail "db compare --json failed"
    python3 "$T_HELPERS/dbfacts.py" ndiff "$T/ndiff.txt" >"$T/facts.ndiff"
    python3 "$T_HELPERS/dbfacts.py" prtip "$T/cmp.json" >"$T/facts.prtip"
    grep -q "host 198.18.1.2 added" "$T/facts.ndiff" && grep -q "host 198.18.1.1 removed" "$T/facts.ndiff" &&
        grep -q "80/tcp open closed" "$T/facts.ndiff" || t_fail "ndiff did not see the changes: $(cat "$T/ndiff.txt")"
    t_same "db compare facts equal ndiff's" "$T/facts.ndiff" "$T/facts.prtip"
    db compare 1 2 >"$T/cmp.txt" || t_fail "db compare (text) failed"
    python3 "$T_HELPERS/dbfacts.py" ndiff "$T/cmp.txt" >"$T/facts.text"
    t_same "db compare text output reads as ndiff's" "$T/facts.ndiff" "$T/facts.text"
    db compare 1 2 --xml >"$T/cmp.xml" || t_fail "db compare --xml failed"
    xmllint --noout "$T/cmp.xml" || t_fail "compare --xml not well-formed"
    [ "$(grep -c 'change="added"' "$T/cmp.xml")" = 1 ] || t_fail "compare --xml: no added host"
    t_pass "db compare --xml well-formed"

    # import nmap's own XML of scan 2's targets, compare against scan 1.
    ip netns exec "$LAB_SCAN" nmap -sS -n -p "$DB_PORTS" -oX "$T/nmap2.xml" "$LAB_TGT_V4" 198.18.1.1 198.18.1.2 \
        >/dev/null 2>&1 || t_fail "nmap failed"
    db import "$T/nmap2.xml" >"$T/import.txt" || t_fail "db import failed: $(cat "$T/import.txt")"
    grep -q "as scan 3 (2 hosts)" "$T/import.txt" || t_fail "import: $(cat "$T/import.txt")"
    ndiff "$T/s1.xml" "$T/nmap2.xml" >"$T/ndiff3.txt" || true
    db compare 1 3 --json >"$T/cmp3.json" || t_fail "db compare 1 3 failed"
    python3 "$T_HELPERS/dbfacts.py" ndiff "$T/ndiff3.txt" >"$T/facts3.ndiff"
    python3 "$T_HELPERS/dbfacts.py" prtip "$T/cmp3.json" >"$T/facts3.prtip"
    t_same "compare prtip scan 1 with imported nmap scan: ndiff's facts" "$T/facts3.ndiff" "$T/facts3.prtip"
    db compare 2 3 --json >"$T/cmp23.json"
    python3 "$T_HELPERS/dbfacts.py" prtip "$T/cmp23.json" >"$T/facts23"
    [ ! -s "$T/facts23" ] || t_fail "prtip scan 2 and nmap's scan of the same state differ: $(cat "$T/facts23")"
    t_pass "prtip scan 2 equals the imported nmap scan (no differences)"
    db export 3 -oX "$T/e3.xml" && t_xml_valid "$T/e3.xml"
    t_pass "imported scan exports valid XML"
}
