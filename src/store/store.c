/*
 * store.c — opening a database through its back end, the one-dialect
 * helpers above the back ends, and the tee that puts a store beside the
 * outputs on the result stream.
 */
#include "store/store.h"

#include "store/codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const struct store_backend store_sqlite;
extern const struct store_backend store_postgres;

/* One row per back end; SQLite last: it takes any path. */
const struct store_backend *const store_backends[] = {&store_postgres, &store_sqlite, NULL};

char *store_redact_target(const char *target)
{
    char *s = strdup(target);
    if (!s)
        return NULL;
    char *scheme = strstr(s, "://");
    if (!scheme)
        return s;
    char *auth = scheme + 3;
    char *at = strchr(auth, '@');
    char *colon = strchr(auth, ':');
    if (at && colon && colon < at)
        memmove(colon, at, strlen(at) + 1);
    return s;
}

int store_open(struct store *st, const char *target, char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    st->target = store_redact_target(target);
    if (!st->target) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; store_backends[i]; i++)
        if (store_backends[i]->accepts(target)) {
            st->be = store_backends[i];
            break;
        }
    char why[384] = "";
    if (!st->be || st->be->open(target, &st->conn, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "cannot open database %s: %s", st->target,
                 why[0] ? why : "no back end for it");
        free(st->target);
        st->target = NULL;
        return -1;
    }
    if (store_schema_prepare(st, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "cannot use database %s: %s", st->target, why);
        store_close(st);
        return -1;
    }
    return 0;
}

void store_close(struct store *st)
{
    if (st->be && st->conn)
        st->be->close(st->conn);
    st->conn = NULL;
    free(st->target);
    st->target = NULL;
}

/* Parameters with their text as stored (codec_text_encode): the caller's
 * array when no text needs a change, else a copy owning its new strings. */
struct encoded {
    struct store_val *v;
    char **owned;
    size_t nowned;
};

static const struct store_val *encode_params(const struct store_val *vals, size_t n,
                                             struct encoded *e, bool *oom)
{
    memset(e, 0, sizeof(*e));
    for (size_t i = 0; i < n && !*oom; i++) {
        if (vals[i].kind != SV_TEXT)
            continue;
        char *enc = codec_text_encode(vals[i].s, oom);
        if (!enc)
            continue;
        if (!e->v) {
            e->v = malloc(n * sizeof(*e->v));
            e->owned = malloc(n * sizeof(*e->owned));
            if (!e->v || !e->owned) {
                free(enc);
                *oom = true;
                break;
            }
            memcpy(e->v, vals, n * sizeof(*vals));
        }
        e->v[i].s = enc;
        e->owned[e->nowned++] = enc;
    }
    return e->v ? e->v : vals;
}

static void encoded_free(struct encoded *e)
{
    for (size_t i = 0; i < e->nowned; i++)
        free(e->owned[i]);
    free(e->owned);
    free(e->v);
}

/* A row callback that hands fn the stored text decoded back to its bytes. */
struct decoder {
    store_row_fn fn;
    void *ctx;
    bool oom;
};

static int decode_row(void *ctx, size_t n, const char *const *vals)
{
    struct decoder *d = ctx;
    const char *v[STORE_MAX_COLS];
    char *owned[STORE_MAX_COLS];
    size_t nowned = 0;
    if (n > STORE_MAX_COLS)
        n = STORE_MAX_COLS;
    for (size_t i = 0; i < n; i++) {
        char *dec = codec_text_decode(vals[i], &d->oom);
        v[i] = dec ? dec : vals[i];
        if (dec)
            owned[nowned++] = dec;
    }
    int rc = d->oom ? 1 : d->fn(d->ctx, n, v);
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    return rc;
}

int store_exec(struct store *st, const char *sql, const struct store_val *params, size_t n,
               store_row_fn fn, void *ctx, char *err, size_t errlen)
{
    char why[384] = "";
    bool oom = false;
    struct encoded e;
    const struct store_val *p = encode_params(params, n, &e, &oom);
    struct decoder d = {.fn = fn, .ctx = ctx};
    int rc = oom ? -1
                 : st->be->exec(st->conn, sql, p, n, fn ? decode_row : NULL, fn ? &d : NULL, why,
                                sizeof(why));
    encoded_free(&e);
    if (oom || d.oom)
        snprintf(why, sizeof(why), "out of memory");
    if (rc < 0 || d.oom) {
        snprintf(err, errlen, "%s: %s", st->target, why);
        return -1;
    }
    return 0;
}

const char *store_val_text(const struct store_val *v, char num[32])
{
    switch (v->kind) {
    case SV_INT:
        snprintf(num, 32, "%lld", (long long)v->i);
        return num;
    case SV_REAL:
        snprintf(num, 32, "%.17g", v->d);
        return num;
    case SV_TEXT:
        return v->s;
    case SV_NULL:
        break;
    }
    return NULL;
}

int store_emit_row(store_row_fn fn, void *ctx, int ncols, store_col_fn col, void *res, int row)
{
    const char *vals[STORE_MAX_COLS];
    char num[STORE_MAX_COLS][32];
    if (ncols > STORE_MAX_COLS)
        ncols = STORE_MAX_COLS;
    for (int c = 0; c < ncols; c++)
        vals[c] = col(res, row, c, num[c]);
    return fn(ctx, (size_t)ncols, vals);
}

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int store_default_path(char *buf, size_t len, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/prtip/scans.db", xdg);
    else if (home && home[0])
        n = snprintf(buf, len, "%s/.local/share/prtip/scans.db", home);
    else {
        snprintf(err, errlen,
                 "no default database: neither XDG_DATA_HOME nor HOME is set (give "
                 "--db PATH)");
        return -1;
    }
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "default database path too long");
        return -1;
    }
    if (mkdir_p(buf) < 0) {
        snprintf(err, errlen, "cannot create the directory of %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

int store_insert_rows(struct store *st, const char *table, const char *cols, size_t ncols,
                      const struct store_val *vals, size_t nrows, char *err, size_t errlen)
{
    if (st->be->insert_rows) {
        char why[384] = "";
        bool oom = false;
        struct encoded e;
        const struct store_val *p = encode_params(vals, ncols * nrows, &e, &oom);
        int rc =
            oom ? -1
                : st->be->insert_rows(st->conn, table, cols, ncols, p, nrows, why, sizeof(why));
        encoded_free(&e);
        if (rc < 0) {
            snprintf(err, errlen, "%s: %s", st->target, oom ? "out of memory" : why);
            return -1;
        }
        return 0;
    }
    size_t per = st->be->max_params / ncols;
    if (per > 1000)
        per = 1000;
    size_t cap = strlen(table) + strlen(cols) + 64 + per * (ncols * 8 + 4);
    char *sql = malloc(cap);
    if (!sql) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t done = 0; done < nrows && rc == 0;) {
        size_t k = nrows - done < per ? nrows - done : per;
        size_t off = (size_t)snprintf(sql, cap, "INSERT INTO %s (%s) VALUES ", table, cols);
        size_t p = 1;
        for (size_t r = 0; r < k; r++) {
            off += (size_t)snprintf(sql + off, cap - off, "%s(", r ? "," : "");
            for (size_t c = 0; c < ncols; c++)
                off += (size_t)snprintf(sql + off, cap - off, "%s$%zu", c ? "," : "", p++);
            off += (size_t)snprintf(sql + off, cap - off, ")");
        }
        rc = store_exec(st, sql, vals + done * ncols, k * ncols, NULL, NULL, err, errlen);
        done += k;
    }
    free(sql);
    return rc;
}

static int tee_begin(void *ctx, const struct scan_info *info)
{
    struct sink_tee *t = ctx;
    int a = sink_begin(&t->a, info);
    int b = sink_begin(&t->b, info);
    return a < 0 || b < 0 ? -1 : 0;
}

static void tee_host(void *ctx, const struct host_result *h)
{
    struct sink_tee *t = ctx;
    sink_host(&t->a, h);
    sink_host(&t->b, h);
}

static void tee_task(void *ctx, const struct task_event *ev)
{
    struct sink_tee *t = ctx;
    sink_task(&t->a, ev);
    sink_task(&t->b, ev);
}

static int tee_end(void *ctx, const struct scan_summary *sum)
{
    struct sink_tee *t = ctx;
    t->a_end = sink_end(&t->a, sum);
    t->b_end = sink_end(&t->b, sum);
    return t->a_end < 0 || t->b_end < 0 ? -1 : 0;
}

struct result_sink sink_tee(struct sink_tee *t)
{
    return (struct result_sink){
        .begin = tee_begin, .host = tee_host, .end = tee_end, .task = tee_task, .ctx = t};
}

int store_run_open(struct store_run *run, const struct store_job *job, char *err, size_t errlen)
{
    memset(run, 0, sizeof(*run));
    if (!job->target)
        return 0;
    if (store_open(&run->st, job->target, err, errlen) < 0)
        return -1;
    run->w = store_writer_new(&run->st, job, err, errlen);
    if (!run->w) {
        store_close(&run->st);
        return -1;
    }
    run->active = true;
    return 0;
}

struct result_sink store_run_sink(struct store_run *run, const struct result_sink *out)
{
    if (!run->active)
        return *out;
    run->tee.a = *out;
    run->tee.b = store_writer_sink(run->w);
    return sink_tee(&run->tee);
}

void store_run_close(struct store_run *run)
{
    if (!run->active)
        return;
    store_writer_free(run->w);
    store_close(&run->st);
    run->active = false;
}

bool store_run_outputs_failed(const struct store_run *run, int end_rc)
{
    return run->active ? run->tee.a_end < 0 : end_rc < 0;
}
