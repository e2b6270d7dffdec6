#!/usr/bin/env bash
# Bad storage targets (issue 13 point 5): a directory, an unreadable file,
# a file locked by another writer (after the busy timeout), a corrupt file,
# a database with a newer schema, a PostgreSQL URL that cannot connect —
# each one line on stderr naming the target, exit 2, nothing scanned. Plus
# the option errors (exit 1) and --db-default's file location.
# Scans only 127.0.0.1 (-sT, no root needed except for the unreadable case).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"
[ "$IS_PRTIP" = 1 ] || { echo "SKIP: prtip only (scan storage)" >&2; exit 77; }

scan() { # NAME DB [prefix command...]: a tiny loopback scan storing into DB
    local name="$1" db="$2"
    shift 2
    local rc=0
    "$@" "$BIN" -sT -Pn -n -p 1 --db "$db" -oX "$T/$name.xml" 127.0.0.1 >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    echo "$rc" >"$T/$name.rc"
}

expect_fail() { # NAME STATUS WHAT_IN_MESSAGE TARGET_IN_MESSAGE
    local name="$1" want="$2" what="$3" target="$4"
    [ "$(cat "$T/$name.rc")" = "$want" ] || t_fail "$name: exit $(cat "$T/$name.rc"), expected $want: $(cat "$T/$name.err")"
    [ "$(wc -l <"$T/$name.err")" = 1 ] || t_fail "$name: expected one line on stderr: $(cat "$T/$name.err")"
    grep -qF -- "$what" "$T/$name.err" || t_fail "$name: message lacks '$what': $(cat "$T/$name.err")"
    grep -qF -- "$target" "$T/$name.err" || t_fail "$name: message does not name $target: $(cat "$T/$name.err")"
    [ ! -s "$T/$name.out" ] || t_fail "$name: the scan ran: $(head -c 300 "$T/$name.out")"
    t_pass "$name: exit $want, $(cat "$T/$name.err")"
}

mkdir "$T/dir"
scan dir "$T/dir"
expect_fail dir 2 "is a directory" "$T/dir"

head -c 65536 /dev/urandom >"$T/corrupt.db"
scan corrupt "$T/corrupt.db"
expect_fail corrupt 2 "file is not a database" "$T/corrupt.db"

python3 - "$T/newer.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("create table prtip_schema (version integer not null, applied_ns bigint not null)")
c.execute("insert into prtip_schema values (99, 0)")
c.commit()
PY
scan newer "$T/newer.db"
expect_fail newer 2 "schema version 99 is newer than this prtip knows (3)" "$T/newer.db"

# Another writer holds the lock: prtip waits its busy timeout (5 s), then fails.
"$BIN" db --db "$T/locked.db" list >/dev/null || t_fail "could not create locked.db"
python3 - "$T/locked.db" "$T/locked.ready" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("begin exclusive")
open(sys.argv[2], "w").close()
time.sleep(20)
PY
LOCKER=$!
t_cleanup "kill $LOCKER"
for _ in $(seq 1 50); do [ -e "$T/locked.ready" ] && break; sleep 0.1; done
t0=$(date +%s)
scan locked "$T/locked.db"
waited=$(($(date +%s) - t0))
kill "$LOCKER"
expect_fail locked 2 "database is locked" "$T/locked.db"
[ "$waited" -ge 4 ] || t_fail "locked: gave up after ${waited}s, before the busy timeout"
t_pass "locked: waited ${waited}s (busy timeout) before failing"

if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    chmod 711 "$T"
    "$BIN" db --db "$T/unreadable.db" list >/dev/null
    chmod 000 "$T/unreadable.db"
    touch "$T/unreadable.out" "$T/unreadable.err" "$T/unreadable.xml"
    chmod 666 "$T/unreadable.out" "$T/unreadable.err" "$T/unreadable.xml"
    scan unreadable "$T/unreadable.db" runuser -u nobody --
    expect_fail unreadable 2 "unable to open database file" "$T/unreadable.db"
else
    t_log "not root: unreadable-file case skipped (root reads any file)"
fi

scan pgdown "postgresql://prtip:s3cret@/postgres?host=$T/nosock"
expect_fail pgdown 2 "cannot open database postgresql://prtip@/postgres?host=$T/nosock" "$T/nosock"
grep -q s3cret "$T/pgdown.err" && t_fail "the password is in the message: $(cat "$T/pgdown.err")"
t_pass "pgdown: the URL's password is not shown"

rc=0
"$BIN" db --db "$T/dir" list >"$T/dbdir.out" 2>"$T/dbdir.err" || rc=$?
[ "$rc" = 2 ] && grep -q "prtip db: cannot open database $T/dir: is a directory" "$T/dbdir.err" ||
    t_fail "db list on a directory: exit $rc: $(cat "$T/dbdir.err")"
t_pass "prtip db list on a directory: exit 2, one line"

# Option errors: exit 1 before anything runs.
for args in "-sT --db=" "-sT --db-job x" "-sT --db a.db --db-default" "--privileged -sS --db a.db --dry-run"; do
    rc=0
    # shellcheck disable=SC2086
    "$BIN" -p 1 $args 127.0.0.1 >/dev/null 2>"$T/opt.err" || rc=$?
    [ "$rc" = 1 ] && [ "$(wc -l <"$T/opt.err")" = 1 ] || t_fail "'$args': exit $rc: $(cat "$T/opt.err")"
    t_pass "'$args' refused: $(cat "$T/opt.err")"
done

# --db-default: $XDG_DATA_HOME/prtip/scans.db, else ~/.local/share/prtip/scans.db;
# prtip db reads the same file without --db.
XDG_DATA_HOME="$T/xdg" "$BIN" -sT -Pn -n -p 1 --db-default 127.0.0.1 >/dev/null ||
    t_fail "--db-default scan failed"
[ -s "$T/xdg/prtip/scans.db" ] || t_fail "--db-default did not write \$XDG_DATA_HOME/prtip/scans.db"
[ "$(XDG_DATA_HOME="$T/xdg" "$BIN" db list | awk 'NR == 2 { print $1, $4 }')" = "1 complete" ] ||
    t_fail "prtip db list without --db does not read the default file"
env -u XDG_DATA_HOME HOME="$T/home" "$BIN" -sT -Pn -n -p 1 --db-default 127.0.0.1 >/dev/null ||
    t_fail "--db-default (HOME) failed"
[ -s "$T/home/.local/share/prtip/scans.db" ] || t_fail "--db-default did not write ~/.local/share/prtip/scans.db"
t_pass "--db-default writes \$XDG_DATA_HOME/prtip/scans.db, else ~/.local/share/prtip/scans.db"
"$BIN" db --help | grep -q "compare A B" || t_fail "prtip db --help lacks compare"
t_pass "prtip db --help"
echo "PASS: $T_NAME"
