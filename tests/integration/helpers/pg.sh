# shellcheck shell=bash
# tests/integration/helpers/pg.sh — a throwaway PostgreSQL server for a test.
#
#   pg_start DIR    initdb into DIR/data as the unprivileged user nobody
#                   (trust auth, superuser "prtip"), listen only on a Unix
#                   socket in DIR/sock (no TCP), start it; sets PG_URL
#                   (postgresql://prtip@/postgres?host=DIR/sock) and PG_DIR,
#                   registers pg_stop as a cleanup. Exits 77 when Debian's
#                   PostgreSQL binaries are absent.
#   pg_stop         stop it (fast shutdown), idempotent
#   pg_kill         stop it at once (immediate: for "server gone" faults)
# Needs common.sh (t_cleanup, t_fail, T).

pg_bin() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

pg_start() {
    PG_DIR="$1"
    PG_BIN="$(pg_bin)" || true
    if [ -z "$PG_BIN" ]; then
        echo "SKIP: $T_NAME needs PostgreSQL (apt-get install postgresql)" >&2
        exit 77
    fi
    mkdir -p "$PG_DIR/sock"
    chmod 711 "$T"
    chown -R nobody "$PG_DIR"
    runuser -u nobody -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U prtip --no-sync \
        >"$PG_DIR/initdb.log" 2>&1 || t_fail "initdb failed: $(tail -n 5 "$PG_DIR/initdb.log")"
    t_cleanup pg_stop
    runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
        -o "-k $PG_DIR/sock -c listen_addresses= -c fsync=off" start >/dev/null 2>&1 ||
        t_fail "PostgreSQL did not start: $(tail -n 5 "$PG_DIR/server.log")"
    PG_URL="postgresql://prtip@/postgres?host=$PG_DIR/sock"
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_kill() {
    runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}
