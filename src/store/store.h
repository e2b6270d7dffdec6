/*
 * store.h — scan storage (SPEC "storage"): every scan kept in a database,
 * an embedded SQLite file by default or PostgreSQL when many scanners write
 * at once. The store is a sink of the result stream (core/stream.h): the
 * scan's records are written, as they come, by a writer thread of the
 * store's own; the `prtip db` commands (db_cmd.h) read them back and
 * render them through the very output modules a live scan uses.
 *
 * Back ends are modules in the ZMap style: one const struct store_backend
 * per file (sqlite.c, postgres.c), one row in store_backends[]. Everything
 * above them speaks one SQL dialect: parameters are written $1, $2, ... in
 * order (a back end rewrites them to its own form), values are passed as
 * typed store_val and read back as text. SQL text is never built from
 * values: every value is a parameter.
 */
#ifndef PRTIP_STORE_STORE_H
#define PRTIP_STORE_STORE_H

#include "core/stream.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The schema this prtip writes and reads (schema.c). A database whose
 * prtip_schema version is higher is refused: a newer prtip wrote it. */
#define STORE_SCHEMA_VERSION 3

/* A parameter value. Text is borrowed for the call. */
enum store_kind { SV_NULL = 0, SV_INT, SV_REAL, SV_TEXT };
struct store_val {
    enum store_kind kind;
    int64_t i;
    double d;
    const char *s;
};

static inline struct store_val sv_int(int64_t i)
{
    return (struct store_val){.kind = SV_INT, .i = i};
}
static inline struct store_val sv_real(double d)
{
    return (struct store_val){.kind = SV_REAL, .d = d};
}
/* NULL s is SQL NULL (a text column's "absent"). */
static inline struct store_val sv_text(const char *s)
{
    return (struct store_val){.kind = s ? SV_TEXT : SV_NULL, .s = s};
}

/* One result row: ncols values as text, NULL for SQL NULL; borrowed for
 * the call. Return 0 to go on, non-zero to stop (the query returns 0). */
typedef int (*store_row_fn)(void *ctx, size_t ncols, const char *const *vals);

/*
 * A database back end. Every callback runs on the thread that owns the
 * connection (one at a time); err receives a one-line reason (the
 * library's message) on failure.
 */
struct store_backend {
    const char *name; /* "sqlite", "postgresql" */
    /* Whether target (as given to --db) names this back end. */
    bool (*accepts)(const char *target);
    /* Connect; *conn is the back end's state. Creates nothing in the
     * database yet. */
    int (*open)(const char *target, void **conn, char *err, size_t errlen);
    /* Run sql with params; rows (if any) go to fn (may be NULL). */
    int (*exec)(void *conn, const char *sql, const struct store_val *params, size_t nparams,
                store_row_fn fn, void *ctx, char *err, size_t errlen);
    void (*close)(void *conn);
    /* Column type of an automatically numbered primary key. */
    const char *id_ddl;
    /* Appended to CREATE TABLE of the tables keyed by (scan, host, ...)
     * (SQLite: " WITHOUT ROWID", rows clustered on that key: one b-tree
     * less per inserted row); "" for none. */
    const char *keyed_table_suffix;
    /* Starts the transaction that creates or migrates the schema, so that
     * two processes opening one new database do not both create it. */
    const char *schema_begin;
    /* Most parameters one statement may carry. */
    size_t max_params;
    /* Optional bulk insert of nrows rows (vals row-major, ncols each) into
     * table(cols): the back end's fastest way (SQLite: one prepared
     * statement stepped per row; PostgreSQL: COPY FROM STDIN). Values are
     * data, never SQL. NULL = multi-row INSERTs (store_insert_rows). */
    int (*insert_rows)(void *conn, const char *table, const char *cols, size_t ncols,
                       const struct store_val *vals, size_t nrows, char *err, size_t errlen);
};

/* The text form of v, for back ends that pass values as text (PostgreSQL's
 * parameters and COPY rows): integers in decimal, reals with 17
 * significant digits (the double back exactly), text as is (borrowed); NULL
 * for SQL NULL. num is scratch for the digits (at least 32 bytes). */
const char *store_val_text(const struct store_val *v, char num[32]);

/* Column col of row row of a back end's result res as text (NULL for SQL
 * NULL), borrowed until the next row; num is scratch (at least 32 bytes). */
typedef const char *(*store_col_fn)(void *res, int row, int col, char num[32]);
#define STORE_MAX_COLS 64
/* Hand one result row to fn as text: its ncols columns (the first
 * STORE_MAX_COLS) read through col. Returns what fn returns. The row loop
 * of every back end's exec. */
int store_emit_row(store_row_fn fn, void *ctx, int ncols, store_col_fn col, void *res, int row);

/* NULL-terminated; the first whose accepts() says yes serves a target. */
extern const struct store_backend *const store_backends[];

/* An open database with its schema checked (and created or migrated). */
struct store {
    const struct store_backend *be;
    void *conn;
    char *target; /* as given, for messages (owned; passwords cut out) */
};

/*
 * Open target: a SQLite file path, "postgresql://..." / "postgres://..."
 * (libpq URI) or "pg:" (libpq's PG* environment variables). Creates the
 * schema in a new database, migrates an older one, refuses a newer one.
 * Returns 0, or -1 with err naming the target ("cannot open database
 * scans.db: file is not a database"). Main thread.
 */
int store_open(struct store *st, const char *target, char *err, size_t errlen);
void store_close(struct store *st);

/* target with a URI's password (user:secret@host) cut out
 * ("user@host"), for messages and the stored command line; malloc'd, NULL
 * on allocation failure. Other text is copied unchanged. */
char *store_redact_target(const char *target);

/* Run one statement (see store_backend.exec). On failure err is
 * "<target>: <reason>". */
int store_exec(struct store *st, const char *sql, const struct store_val *params, size_t n,
               store_row_fn fn, void *ctx, char *err, size_t errlen);

/* The default SQLite file: $XDG_DATA_HOME/prtip/scans.db, else
 * ~/.local/share/prtip/scans.db. Creates the directory. Returns 0, or -1
 * with err set. */
int store_default_path(char *buf, size_t len, char *err, size_t errlen);

/* Schema (schema.c): create or migrate to STORE_SCHEMA_VERSION. */
int store_schema_prepare(struct store *st, char *err, size_t errlen);

/*
 * Insert nrows rows of ncols values (vals row-major) into table(cols...)
 * with as few multi-row INSERT statements as the back end's parameter
 * limit allows. cols is "scan_id, seq, ..." as SQL text (a constant of
 * the caller, never user input).
 */
int store_insert_rows(struct store *st, const char *table, const char *cols, size_t ncols,
                      const struct store_val *vals, size_t nrows, char *err, size_t errlen);

/* Whether a store is asked for, and where: the job a scan's store gets. */
struct store_job {
    const char *target; /* NULL = no store */
    const char *job;    /* --db-job: name grouping the shards of one scan, or NULL */
    const char *shard;  /* "i/n" when --shard was given, else NULL */
    const char *origin; /* "scan" (NULL) or "import FILE" */
};

/*
 * The writer: a result sink that copies each record into a queue that its
 * own thread writes in batches (one transaction per batch). begin inserts
 * the scan row (state "running"); each host is committed before end
 * records the scan's state (complete / interrupted / failed) and totals.
 * A write failure is reported once on stderr ("store: <target>: <reason>")
 * and makes end return -1; the other sinks of the scan are not affected.
 * The store must be open (store_open) and stays owned by the caller.
 */
struct store_writer;
struct store_writer *store_writer_new(struct store *st, const struct store_job *job, char *err,
                                      size_t errlen);
struct result_sink store_writer_sink(struct store_writer *w);
/* The most hosts and ports the writer's queue holds (before begin; 0 = the
 * defaults, 8192 hosts and 2^20 ports): a host arriving at a full queue
 * waits on the stream's thread until the writer takes a batch off
 * (back-pressure: a database slower than the scan slows the scan down
 * instead of growing memory without bound; no host is dropped, order is
 * kept). A host with more ports than the limit alone goes in when the
 * queue is empty. */
void store_writer_set_queue_limit(struct store_writer *w, size_t hosts, size_t ports);
/* The most hosts (and, in *ports unless NULL, ports) queued at once so far
 * (for -d and tests). Any thread. */
size_t store_writer_queue_peak(struct store_writer *w, size_t *ports);
/* The scan's id in the database (after begin), -1 if none. */
int64_t store_writer_scan_id(const struct store_writer *w);
/* Stop the thread (after end, or without end on setup failure) and free. */
void store_writer_free(struct store_writer *w);

/* A sink that feeds two sinks (outputs and a store): begin, host, task
 * and end go to a then b; begin/end return -1 if either did. */
struct sink_tee {
    struct result_sink a, b;
    int a_end, b_end; /* what each end returned */
};
struct result_sink sink_tee(struct sink_tee *t);

/*
 * A scan's store, as main runs it: open before the scan (a bad target
 * fails before any packet is sent), its sink teed beside the outputs,
 * closed after the stream's end. job->target NULL = no store: the sink is
 * the outputs' own.
 */
struct store_run {
    bool active;
    struct store st;
    struct store_writer *w;
    struct sink_tee tee;
};
/* Returns 0, or -1 with err set ("cannot open database x.db: ..."). */
int store_run_open(struct store_run *run, const struct store_job *job, char *err, size_t errlen);
/* The sink to feed: out alone, or out and the store. Borrowed pointers
 * must outlive run. */
struct result_sink store_run_sink(struct store_run *run, const struct result_sink *out);
void store_run_close(struct store_run *run);
/* After the stream's end returned end_rc: whether the outputs (not the
 * store, which reports its own failure) failed. */
bool store_run_outputs_failed(const struct store_run *run, int end_rc);

#endif
