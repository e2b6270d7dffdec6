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

static const char *pg_col(void *res, int row, int col, char num[32])
{
    (void)num;
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
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
        static const Oid oid[] = {[SV_NULL] = OID_TEXT,
                                  [SV_INT] = OID_INT8,
                                  [SV_REAL] = OID_FLOAT8,
                                  [SV_TEXT] = OID_TEXT};
        types[i] = oid[params[i].kind];
        vals[i] = store_val_text(&params[i], buf + i * 32);
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
        for (int row = 0, nr = PQntuples(r); row < nr; row++)
            if (store_emit_row(fn, ctx, PQnfields(r), pg_col, r, row) != 0)
                break;
    }
    PQclear(r);
    free(types);
    free(vals);
    free(buf);
    return rc;
}

/* A value in COPY's text format: \N for NULL, backslash escapes for the
 * delimiter, newlines and backslash (PostgreSQL "COPY", "Text Format"). */
static int copy_val(char **buf, size_t *len, size_t *cap, const struct store_val *v)
{
    char num[32];
    const char *s = store_val_text(v, num);
    if (!s)
        s = "\\N";
    size_t n = strlen(s);
    if (*len + 2 * n + 2 > *cap) {
        size_t ncap = (*cap + 2 * n + 2) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (v->kind == SV_TEXT && (c == '\\' || c == '\t' || c == '\n' || c == '\r')) {
            (*buf)[(*len)++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        (*buf)[(*len)++] = c;
    }
    return 0;
}

/* Rows through COPY ... FROM STDIN (text format), sent in ~1 MiB pieces. */
static int pg_insert_rows(void *conn, const char *table, const char *cols, size_t ncols,
                          const struct store_val *vals, size_t nrows, char *err, size_t errlen)
{
    PGconn *c = conn;
    char sql[1024];
    snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN", table, cols);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pg_msg(r ? PQresultErrorMessage(r) : PQerrorMessage(c), err, errlen);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (size_t row = 0; row < nrows && rc == 0; row++) {
        for (size_t col = 0; col < ncols && rc == 0; col++) {
            rc = copy_val(&buf, &len, &cap, &vals[row * ncols + col]);
            if (rc == 0)
                buf[len++] = col + 1 < ncols ? '\t' : '\n';
        }
        if (rc == 0 && (len > (1u << 20) || row + 1 == nrows)) {
            if (PQputCopyData(c, buf, (int)len) != 1)
                rc = -1;
            len = 0;
        }
    }
    free(buf);
    if (PQputCopyEnd(c, rc == 0 ? NULL : "prtip: out of memory") != 1)
        rc = -1;
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
            pg_msg(PQresultErrorMessage(r), err, errlen);
            rc = -1;
        }
        PQclear(r);
    }
    if (rc < 0 && !err[0])
        pg_msg(PQerrorMessage(c), err, errlen);
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
    .keyed_table_suffix = "",
    /* One creator at a time: an advisory lock held to the transaction's end. */
    .schema_begin = "BEGIN; SELECT pg_advisory_xact_lock(7157001)",
    .max_params = 60000,
    .insert_rows = pg_insert_rows,
};
