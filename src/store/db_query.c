/*
 * db_query.c — prtip db query: ports of stored scans that match every
 * filter given, as a table or through any output module. Each filter adds
 * a fixed SQL fragment and its values as parameters: the user's text never
 * becomes SQL (tests/integration/test_db_sqlite.sh tries).
 */
#include "store/db_cmd.h"
#include "store/reader.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARAMS 64

struct filter {
    char sql[4096];
    size_t len;
    struct store_val p[MAX_PARAMS];
    size_t n;
    char strs[MAX_PARAMS][300]; /* storage of derived text parameters */
};

/* Append " AND <frag>" where frag has one "$?" per value, renumbered. */
static int add(struct filter *f, const char *frag, const struct store_val *vals, size_t nvals)
{
    if (f->n + nvals > MAX_PARAMS)
        return db_fail(1, "too many filters"), -1;
    f->len += (size_t)snprintf(f->sql + f->len, sizeof(f->sql) - f->len, " AND ");
    size_t k = 0;
    for (const char *c = frag; *c && f->len + 8 < sizeof(f->sql); c++) {
        if (c[0] == '$' && c[1] == '?') {
            f->p[f->n] = vals[k++];
            f->len += (size_t)snprintf(f->sql + f->len, sizeof(f->sql) - f->len, "$%zu", ++f->n);
            c++;
        } else {
            f->sql[f->len++] = *c;
            f->sql[f->len] = '\0';
        }
    }
    return 0;
}

static const char *keep_str(struct filter *f, const char *s)
{
    char *slot = f->strs[f->n];
    snprintf(slot, sizeof(f->strs[0]), "%s", s);
    return slot;
}

/* ADDR or ADDR/PREFIX → the range of addr_key it covers. */
static int addr_range(struct filter *f, const char *text)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", text);
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        plen = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end)
            plen = -2;
    }
    struct ipaddr a;
    if (ipaddr_parse(buf, &a) < 0 || plen < -1 || plen > (a.family == AF_INET ? 32 : 128))
        return db_fail(1, "invalid --addr '%s': an IPv4/IPv6 address or CIDR (198.18.0.0/24)",
                       text),
               -1;
    int bits = plen < 0 ? (a.family == AF_INET ? 32 : 128) : (int)plen;
    int total = a.family == AF_INET ? 32 : 128;
    struct ipaddr lo = a, hi = a;
    for (int b = bits; b < total; b++) {
        lo.bytes[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
        hi.bytes[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    }
    char klo[33], khi[33];
    codec_addr_key(&lo, klo);
    codec_addr_key(&hi, khi);
    struct store_val v[2];
    v[0] = sv_text(keep_str(f, klo));
    f->n++; /* reserve the slot keep_str used */
    v[1] = sv_text(keep_str(f, khi));
    f->n--;
    /* hosts_addr is (scan_id, addr_key) (schema v3): one range per scan. */
    return add(f, "h.scan_id IN (SELECT id FROM scans) AND h.addr_key BETWEEN $? AND $?", v, 2);
}

/* A substring for LIKE: %, _ and \ are literal (ESCAPE '\'). */
static int like(struct filter *f, const char *col, const char *text)
{
    char pat[300];
    size_t n = 0;
    pat[n++] = '%';
    for (const char *c = text; *c && n + 4 < sizeof(pat); c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            pat[n++] = '\\';
        pat[n++] = *c;
    }
    pat[n++] = '%';
    pat[n] = '\0';
    char frag[128];
    snprintf(frag, sizeof(frag), "lower(%s) LIKE lower($?) ESCAPE '\\'", col);
    struct store_val v = sv_text(keep_str(f, pat));
    return add(f, frag, &v, 1);
}

/* "2026-12-01", "2026-12-01T10:00:00" (local time), or an age "7d". */
static int parse_when(const char *opt, const char *text, int64_t *ns)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(text, "%Y-%m-%d", &tm);
    }
    if (end && !*end) {
        tm.tm_isdst = -1;
        *ns = (int64_t)mktime(&tm) * 1000000000;
        return 0;
    }
    char *e;
    long long v = strtoll(text, &e, 10);
    int64_t mul = !strcmp(e, "s")   ? 1
                  : !strcmp(e, "m") ? 60
                  : !strcmp(e, "h") ? 3600
                  : !strcmp(e, "d") ? 86400
                  : !strcmp(e, "w") ? 604800
                                    : 0;
    if (e == text || v < 0 || !mul)
        return db_fail(1,
                       "invalid %s '%s': a date (2026-12-01, 2026-12-01T10:00:00) or an age "
                       "(7d, 12h)",
                       opt, text),
               -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    *ns = ((int64_t)now.tv_sec - v * mul) * 1000000000;
    return 0;
}

struct match {
    int64_t scan, seq, idx;
};

struct qrows {
    size_t n, cap;
    struct match *m;
    bool table;
    bool oom;
};

static int qrow(void *ctx, size_t n, const char *const *v)
{
    struct qrows *q = ctx;
    if (n < 11)
        return 1;
    if (q->table) {
        if (q->n == 0)
            printf("%-6s %-39s %-11s %-14s %-15s %s\n", "SCAN", "ADDRESS", "PORT", "STATE",
                   "SERVICE", "VERSION");
        char port[16], ver[256];
        snprintf(port, sizeof(port), "%s/%s", v[4], v[5]);
        snprintf(ver, sizeof(ver), "%s%s%s", v[8] ? v[8] : "", v[8] && v[9] ? " " : "",
                 v[9] ? v[9] : "");
        printf("%-6s %-39s %-11s %-14s %-15s %s\n", v[0], v[3], port, v[6], v[7] ? v[7] : "", ver);
        q->n++;
        return 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        struct match *nm = realloc(q->m, cap * sizeof(*nm));
        if (!nm) {
            q->oom = true;
            return 1;
        }
        q->m = nm;
        q->cap = cap;
    }
    q->m[q->n++] = (struct match){codec_i64(v[0]), codec_i64(v[1]), codec_i64(v[2])};
    return 0;
}

static int cmp_match(const void *a, const void *b)
{
    const struct match *x = a, *y = b;
    if (x->scan != y->scan)
        return x->scan < y->scan ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool keep_match(void *ctx, int64_t scan, int64_t seq, int64_t idx)
{
    struct qrows *q = ctx;
    struct match k = {scan, seq, idx};
    return bsearch(&k, q->m, q->n, sizeof(k), cmp_match) != NULL;
}

int db_cmd_query(struct db_ctx *ctx, int argc, char **argv)
{
    static struct filter f; /* large; one query per process */
    memset(&f, 0, sizeof(f));
    f.len = (size_t)snprintf(
        f.sql, sizeof(f.sql),
        "SELECT p.scan_id, p.host_seq, p.idx, h.addr, p.port, p.proto, p.state, "
        "COALESCE(sv.name, p.service), sv.product, sv.version, s.start_ns FROM ports p JOIN "
        "hosts h ON h.scan_id = p.scan_id AND h.seq = p.host_seq JOIN scans s ON s.id = "
        "p.scan_id LEFT JOIN services sv ON sv.scan_id = p.scan_id AND sv.host_seq = "
        "p.host_seq AND sv.port_idx = p.idx WHERE 1 = 1");
    struct output_request reqs[OUTPUT_MAX];
    size_t nreq = 0;
    const char *scan_ref = NULL;
    /* An address or a scan is nearly always the narrower filter: with
     * either, the port's equality must not pull SQLite (no statistics)
     * onto ports_open, which walks every stored scan's open rows of that port
     * ("+" keeps the index out: 0.65 s -> 0.02 s for a /24 and a port, 0.37
     * -> 0.08 s for one scan and a port, over 20 stored /17 scans). */
    bool narrow = false;
    for (int i = 0; i + 1 < argc; i++)
        narrow |= !strcmp(argv[i], "--addr") || !strcmp(argv[i], "--scan");
    for (int i = 0; i < argc; i++) {
        int r = db_parse_output(argc, argv, &i, reqs, &nreq);
        if (r < 0)
            return 1;
        if (r > 0)
            continue;
        const char *opt = argv[i];
        if (opt[0] != '-' || i + 1 >= argc)
            return db_fail(1, "query: '%s' is not a filter (see prtip db --help)", opt);
        const char *val = argv[++i];
        struct store_val v;
        int rc = 0;
        if (!strcmp(opt, "--addr")) {
            rc = addr_range(&f, val);
        } else if (!strcmp(opt, "--port")) {
            char *end;
            long port = strtol(val, &end, 10);
            if (!*val || *end || port < 0 || port > 65535)
                return db_fail(1, "invalid --port '%s': 0-65535", val);
            v = sv_int(port);
            rc = add(&f, narrow ? "+p.port = $?" : "p.port = $?", &v, 1);
        } else if (!strcmp(opt, "--proto")) {
            v = sv_text(val);
            rc = add(&f, "p.proto = $?", &v, 1);
        } else if (!strcmp(opt, "--state")) {
            v = sv_text(val);
            /* Written out for "open": the planners use the partial index
             * ports_open only when the query itself says state = 'open'. */
            rc = !strcmp(val, "open") ? add(&f, "p.state = 'open'", NULL, 0)
                                      : add(&f, "p.state = $?", &v, 1);
        } else if (!strcmp(opt, "--service")) {
            v = sv_text(val);
            rc = add(&f, "COALESCE(sv.name, p.service) = $?", &v, 1);
        } else if (!strcmp(opt, "--product")) {
            rc = like(&f, "sv.product", val);
        } else if (!strcmp(opt, "--version")) {
            rc = like(&f, "sv.version", val);
        } else if (!strcmp(opt, "--scan")) {
            scan_ref = val;
        } else if (!strcmp(opt, "--since") || !strcmp(opt, "--until")) {
            int64_t ns;
            if (parse_when(opt, val, &ns) < 0)
                return 1;
            v = sv_int(ns);
            rc = add(&f, opt[2] == 's' ? "s.start_ns >= $?" : "s.start_ns <= $?", &v, 1);
        } else {
            return db_fail(1, "query: unknown filter %s (see prtip db --help)", opt);
        }
        if (rc)
            return 1;
    }
    if (db_ctx_store(ctx) < 0)
        return 2;
    char err[1024];
    if (scan_ref) {
        int64_t ids[64];
        size_t n;
        if (stored_scan_resolve(&ctx->st, scan_ref, ids, &n, 64, err, sizeof(err)) < 0)
            return db_fail(2, "%s", err);
        f.len += (size_t)snprintf(f.sql + f.len, sizeof(f.sql) - f.len, " AND p.scan_id IN (");
        for (size_t k = 0; k < n && f.n < MAX_PARAMS; k++) {
            f.p[f.n] = sv_int(ids[k]);
            f.len += (size_t)snprintf(f.sql + f.len, sizeof(f.sql) - f.len, "%s$%zu", k ? ", " : "",
                                      f.n + 1);
            f.n++;
        }
        /* One id is written twice: PostgreSQL turns "IN (one)" into an
         * equality that its planner applies to every table of the join,
         * and a scan written since its last ANALYZE is estimated at one
         * row; it then scanned the scan's ports once per host (minutes
         * for a /17). "IN (id, id)" keeps the hosts looked up by key from
         * the ports (0.16 s). */
        if (n == 1)
            f.len += (size_t)snprintf(f.sql + f.len, sizeof(f.sql) - f.len, ", $%zu", f.n);
        f.len += (size_t)snprintf(f.sql + f.len, sizeof(f.sql) - f.len, ")");
    }
    snprintf(f.sql + f.len, sizeof(f.sql) - f.len,
             " ORDER BY p.scan_id, h.addr_key, p.proto, p.port");
    struct qrows q = {.table = nreq == 0};
    if (store_exec(&ctx->st, f.sql, f.p, f.n, qrow, &q, err, sizeof(err)) < 0)
        return db_fail(2, "%s", err);
    if (q.oom)
        return free(q.m), db_fail(2, "out of memory");
    if (q.table) {
        if (q.n == 0)
            printf("No stored port matches.\n");
        return 0;
    }
    /* Any output format: the matching ports as one scan, with the header
     * of the earliest scan they come from (docs/STORAGE.md). */
    qsort(q.m, q.n, sizeof(*q.m), cmp_match);
    int64_t ids[64];
    size_t nids = 0;
    for (size_t k = 0; k < q.n && nids < 64; k++)
        if (!nids || ids[nids - 1] != q.m[k].scan)
            ids[nids++] = q.m[k].scan;
    int rc = 0;
    if (nids == 0) {
        free(q.m);
        return db_fail(1, "no stored port matches: nothing to write");
    }
    struct stored_scan s;
    if (stored_scan_load(&ctx->st, ids, nids, keep_match, &q, &s, err, sizeof(err)) < 0)
        rc = db_fail(2, "%s", err);
    else {
        rc = db_render(&s, reqs, nreq);
        stored_scan_free(&s);
    }
    free(q.m);
    return rc;
}
