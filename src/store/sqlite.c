/*
 * sqlite.c — the SQLite back end: a file path given to --db (or the
 * default file). WAL journal so that readers (prtip db ...) never block the
 * writer, a busy timeout so that a second writer waits for the first
 * instead of failing at once.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How long a writer waits for another process's lock before it gives up
 * ("database is locked"). */
#define SQLITE_BUSY_MS 5000

static bool sq_accepts(const char *target)
{
    return strncmp(target, "postgresql://", 13) != 0 && strncmp(target, "postgres://", 11) != 0 &&
           strcmp(target, "pg:") != 0;
}

static int sq_fail(sqlite3 *db, int rc, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return -1;
}

static void bind_one(sqlite3_stmt *st, int i, const struct store_val *v)
{
    switch (v->kind) {
    case SV_INT:
        sqlite3_bind_int64(st, i, v->i);
        break;
    case SV_REAL:
        sqlite3_bind_double(st, i, v->d);
        break;
    case SV_TEXT:
        sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
        break;
    case SV_NULL:
        sqlite3_bind_null(st, i);
        break;
    }
}

/* SQLite's text of a REAL has 15 digits: not always the stored double (an
 * elapsed time read back would differ in the last digit from the live
 * -oJ). 17 digits are. (row: the statement's current row.) */
static const char *sq_col(void *res, int row, int col, char num[32])
{
    (void)row;
    sqlite3_stmt *st = res;
    if (sqlite3_column_type(st, col) == SQLITE_FLOAT) {
        snprintf(num, 32, "%.17g", sqlite3_column_double(st, col));
        return num;
    }
    return (const char *)sqlite3_column_text(st, col);
}

/* Bind v[0..n) to the statement's parameters 1..n. */
static void bind_all(sqlite3_stmt *st, const struct store_val *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bind_one(st, (int)i + 1, &v[i]);
}

static int sq_exec(void *conn, const char *sql, const struct store_val *params, size_t n,
                   store_row_fn fn, void *ctx, char *err, size_t errlen)
{
    sqlite3 *db = conn;
    /* Our dialect writes parameters $N; SQLite's numbered form is ?N. */
    size_t len = strlen(sql);
    char *text = malloc(len + 1);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Our dialect writes parameters $N; SQLite's numbered form is ?N. When
     * they come in order ($1, $2, ...), as all of ours do, plain "?" is the
     * same binding without SQLite's linear lookup per numbered parameter
     * (quadratic in a 9,000-parameter multi-row INSERT). */
    bool in_order = true;
    long next = 1;
    for (const char *c = sql; *c; c++)
        if (c[0] == '$' && c[1] >= '0' && c[1] <= '9') {
            char *end;
            if (strtol(c + 1, &end, 10) != next++)
                in_order = false;
            c = end - 1;
        }
    size_t o = 0;
    for (size_t i = 0; i <= len; i++) {
        bool param = sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9';
        text[o++] = param ? '?' : sql[i];
        if (param && in_order)
            while (sql[i + 1] >= '0' && sql[i + 1] <= '9')
                i++;
    }
    int rc = 0;
    const char *tail = text;
    while (*tail && rc == 0) {
        sqlite3_stmt *st = NULL;
        int prc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (prc != SQLITE_OK) {
            rc = sq_fail(db, prc, err, errlen);
            break;
        }
        if (!st) /* trailing blanks */
            break;
        size_t np = (size_t)sqlite3_bind_parameter_count(st);
        bind_all(st, params, np < n ? np : n);
        for (;;) {
            int src = sqlite3_step(st);
            if (src == SQLITE_DONE)
                break;
            if (src != SQLITE_ROW) {
                rc = sq_fail(db, src, err, errlen);
                break;
            }
            if (!fn)
                continue;
            if (store_emit_row(fn, ctx, sqlite3_column_count(st), sq_col, st, 0) != 0) {
                fn = NULL; /* stop reading rows, finish the statement */
                break;
            }
        }
        sqlite3_finalize(st);
    }
    free(text);
    return rc;
}

/* Rows per INSERT statement at most: each sqlite3_step has a fixed cost
 * (the statement's start and halt, cursors opened and closed) that one row
 * per step paid 131,072 times on a /17 x 3 ports; a VALUES list pays it
 * once per list (with OR FAIL below, the writer's instructions for that
 * scan: 2.67 G with a row a statement, 1.72 G with 64, 1.79 G with 256).
 * Fewer when the library's parameter limit (SQLITE_LIMIT_VARIABLE_NUMBER,
 * 999 before SQLite 3.32) says so. */
#define SQ_ROWS_PER_STMT 64

/* "INSERT OR FAIL INTO table (cols) VALUES (?,...),..." for k rows,
 * prepared into *st. Returns 0, or -1 with err set. OR FAIL: a statement
 * of many rows that may abort keeps a statement journal, every page it
 * changes written to a temporary file first (the writer's pwrite calls on
 * the /17: 10,882 -> 115,011); a failed row here fails its whole batch,
 * which the writer rolls back, so the statement's own undo is not needed. */
static int sq_prepare_insert(sqlite3 *db, const char *table, const char *cols, size_t ncols,
                             size_t k, sqlite3_stmt **st, char *err, size_t errlen)
{
    size_t cap = strlen(table) + strlen(cols) + 32 + k * (ncols * 2 + 3);
    char *sql = malloc(cap);
    if (!sql) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t off = (size_t)snprintf(sql, cap, "INSERT OR FAIL INTO %s (%s) VALUES ", table, cols);
    for (size_t r = 0; r < k; r++) {
        sql[off++] = r ? ',' : ' ';
        sql[off++] = '(';
        for (size_t c = 0; c < ncols; c++) {
            if (c)
                sql[off++] = ',';
            sql[off++] = '?';
        }
        sql[off++] = ')';
    }
    sql[off] = '\0';
    int rc = sqlite3_prepare_v2(db, sql, (int)off + 1, st, NULL);
    free(sql);
    return rc == SQLITE_OK ? 0 : sq_fail(db, rc, err, errlen);
}

/* Rows in statements of SQ_ROWS_PER_STMT rows (one prepared statement,
 * stepped once per list of rows) and one statement for the rest. */
static int sq_insert_rows(void *conn, const char *table, const char *cols, size_t ncols,
                          const struct store_val *vals, size_t nrows, char *err, size_t errlen)
{
    sqlite3 *db = conn;
    size_t per = (size_t)sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) / ncols;
    if (per > SQ_ROWS_PER_STMT)
        per = SQ_ROWS_PER_STMT;
    if (per == 0)
        per = 1;
    size_t done = 0;
    while (done < nrows) {
        size_t k = nrows - done >= per ? per : nrows - done;
        sqlite3_stmt *st = NULL;
        if (sq_prepare_insert(db, table, cols, ncols, k, &st, err, errlen) < 0)
            return -1;
        for (; nrows - done >= k; done += k) {
            bind_all(st, vals + done * ncols, k * ncols);
            int rc = sqlite3_step(st);
            if (rc != SQLITE_DONE) {
                sq_fail(db, rc, err, errlen);
                sqlite3_finalize(st);
                return -1;
            }
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
    }
    return 0;
}

static int sq_open(const char *target, void **conn, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "is a directory (give a file path, e.g. %s/scans.db)", target);
        return -1;
    }
    sqlite3 *db = NULL;
    /* NOMUTEX: a connection is only ever used by one thread at a time (the
     * store writer's thread while it runs, the caller's thread before and
     * after), so SQLite's per-call connection
     * mutex is pure cost: a lock and unlock per bound value. */
    int rc = sqlite3_open_v2(
        target, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(db, rc, err, errlen);
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
    /* Reading the schema first tells a corrupt or foreign file apart
     * before anything is written to it. */
    if (sq_exec(db, "SELECT count(*) FROM sqlite_master", NULL, 0, NULL, NULL, err, errlen) < 0 ||
        sq_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, 0, NULL, NULL, err,
                errlen) < 0 ||
        /* Take the write lock once (waiting out another writer for the busy
         * timeout): a database we cannot write fails now, before the scan,
         * not at its first batch. */
        sq_exec(db, "BEGIN IMMEDIATE; COMMIT", NULL, 0, NULL, NULL, err, errlen) < 0) {
        sqlite3_close(db);
        return -1;
    }
    *conn = db;
    return 0;
}

static void sq_close(void *conn)
{
    sqlite3_close(conn);
}

const struct store_backend store_sqlite = {
    .name = "sqlite",
    .accepts = sq_accepts,
    .open = sq_open,
    .exec = sq_exec,
    .close = sq_close,
    .id_ddl = "INTEGER PRIMARY KEY",
    .keyed_table_suffix = " WITHOUT ROWID",
    .schema_begin = "BEGIN IMMEDIATE",
    .max_params = 32000,
    .insert_rows = sq_insert_rows,
};
