/*
 * postgres.c — the PostgreSQL back end through libpq: "postgresql://..."
 * and "postgres://..." URIs, or "pg:" for libpq's PG* environment
 * variables (PGHOST, PGDATABASE, PGUSER, ...). Parameters go as text with
 * their types (int8, float8, text) so that the server never guesses.
 */
#include "store/store.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_type OIDs of the parameter kinds (catalog/pg_type_d.h). */
#define OID_INT8   20
#define OID_TEXT   25
#define OID_FLOAT8 701

static bool pg_accepts(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0 ||
           strcmp(target, "pg:") == 0;
}

/* libpq messages end with a newline and may span lines: keep the first. */
static void pg_msg(const char *msg, char *err, size_t errlen)
{
    size_t n = strcspn(msg, "\n");
    snprintf(err, errlen, "%.*s", (int)n, msg);
}

/* Server notices ("terminating connection due to ...") would reach stderr
 * beside prtip's own one-line report of the same failure: dropped. */
static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int pg_open(const char *target, void **conn, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(strcmp(target, "pg:") == 0 ? "" : target);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        pg_msg(PQerrorMessage(c), err, errlen);
        PQfinish(c);
        return -1;
    }
    PQsetNoticeProcessor(c, pg_notice, NULL);
    /* Schema-creation notices ("relation exists, skipping") are noise. */
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    *conn = c;
    return 0;
}

static int pg_exec(void *conn, const char *sql, const struct store_val *params, size_t n,
                   store_row_fn fn, void *ctx, char *err, size_t errlen)
{
    PGconn *c = conn;
    Oid *types = NULL;
    const char **vals = NULL;
    char *buf = NULL;
    if (n) {
        types = calloc(n, sizeof(*types));
        vals = calloc(n, sizeof(*vals));
        buf = malloc(n * 32);
        if (!types || !vals || !buf) {
            free(types);
            free(vals);
            free(buf);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char *b = buf + i * 32;
        switch (params[i].kind) {
        case SV_INT:
            types[i] = OID_INT8;
            snprintf(b, 32, "%lld", (long long)params[i].i);
            vals[i] = b;
            break;
        case SV_REAL:
            types[i] = OID_FLOAT8;
            snprintf(b, 32, "%.17g", params[i].d);
            vals[i] = b;
            break;
        case SV_TEXT:
            types[i] = OID_TEXT;
            vals[i] = params[i].s;
            break;
        case SV_NULL:
            types[i] = OID_TEXT;
            vals[i] = NULL;
            break;
        }
    }
    int rc = 0;
    PGresult *r = n ? PQexecParams(c, sql, (int)n, types, vals, NULL, NULL, 0) : PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        pg_msg(r ? PQresultErrorMessage(r) : PQerrorMessage(c), err, errlen);
        if (!err[0])
            pg_msg(PQerrorMessage(c), err, errlen);
        rc = -1;
    } else if (fn && s == PGRES_TUPLES_OK) {
        int nc = PQnfields(r), nr = PQntuples(r);
        if (nc > 64)
            nc = 64;
        for (int row = 0; row < nr; row++) {
            const char *v[64];
            for (int col = 0; col < nc; col++)
                v[col] = PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
            if (fn(ctx, (size_t)nc, v) != 0)
                break;
        }
    }
    PQclear(r);
    free(types);
    free(vals);
    free(buf);
    return rc;
}

static void pg_close(void *conn)
{
    PQfinish(conn);
}

const struct store_backend store_postgres = {
    .name = "postgresql",
    .accepts = pg_accepts,
    .open = pg_open,
    .exec = pg_exec,
    .close = pg_close,
    .id_ddl = "BIGSERIAL PRIMARY KEY",
    /* One creator at a time: an advisory lock held to the transaction's end. */
    .schema_begin = "BEGIN; SELECT pg_advisory_xact_lock(7157001)",
    .max_params = 60000,
};
