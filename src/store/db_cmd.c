/*
 * db_cmd.c — the `prtip db` dispatcher and its small commands (list, show,
 * export, prune). Everything renders through src/output's modules.
 */
#include "store/db_cmd.h"
#include "output/output.h"
#include "store/reader.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int db_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("prtip db: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

int db_ctx_store(struct db_ctx *ctx)
{
    if (ctx->open)
        return 0;
    char err[1024];
    if (!ctx->target) {
        if (store_default_path(ctx->path, sizeof(ctx->path), err, sizeof(err)) < 0) {
            db_fail(2, "%s", err);
            return -1;
        }
        ctx->target = ctx->path;
    }
    if (store_open(&ctx->st, ctx->target, err, sizeof(err)) < 0) {
        db_fail(2, "%s", err);
        return -1;
    }
    ctx->open = true;
    return 0;
}

int db_parse_output(int argc, char **argv, int *i, struct output_request *reqs, size_t *nreq)
{
    const char *w = argv[*i];
    if (strncmp(w, "-o", 2) != 0 || !w[2])
        return 0;
    char opt[4] = {'-', 'o', w[2], '\0'};
    const struct output_module *m = output_module_find(opt);
    if (!m)
        return db_fail(1, "unknown output %s: use -oN, -oX, -oG, -oJ, -oD or -oC", opt), -1;
    const char *path = w[3] ? w + 3 : NULL;
    if (!path) {
        if (*i + 1 >= argc)
            return db_fail(1, "%s needs a file name (- for stdout)", opt), -1;
        path = argv[++*i];
    }
    if (*nreq >= OUTPUT_MAX)
        return db_fail(1, "too many outputs (at most %d)", OUTPUT_MAX), -1;
    reqs[*nreq].module = m;
    reqs[*nreq].path = (char *)path;
    reqs[*nreq].append = false;
    ++*nreq;
    return 1;
}

int db_render(const struct stored_scan *s, const struct output_request *reqs, size_t nreq)
{
    struct output_set set;
    char err[512];
    if (output_set_open_files(&set, reqs, nreq, nreq == 0, err, sizeof(err)) < 0)
        return db_fail(2, "%s", err);
    struct result_sink sink = output_set_sink(&set);
    if (stored_scan_feed(s, &sink) < 0)
        return db_fail(2, "writing the output failed%s%s", set.errmsg[0] ? ": " : "", set.errmsg);
    return 0;
}

/* "1/4"-style ids of a scan for messages. */
static int load_ref(struct db_ctx *ctx, const char *ref, struct stored_scan *s)
{
    char err[1024];
    int64_t ids[64];
    size_t n;
    if (db_ctx_store(ctx) < 0)
        return 2;
    if (stored_scan_resolve(&ctx->st, ref, ids, &n, 64, err, sizeof(err)) < 0 ||
        stored_scan_load(&ctx->st, ids, n, NULL, NULL, s, err, sizeof(err)) < 0)
        return db_fail(2, "%s", err);
    return 0;
}

static int cmd_show(struct db_ctx *ctx, int argc, char **argv)
{
    if (argc != 1)
        return db_fail(1, "usage: prtip db show ID");
    struct stored_scan s;
    int rc = load_ref(ctx, argv[0], &s);
    if (rc)
        return rc;
    rc = db_render(&s, NULL, 0);
    stored_scan_free(&s);
    return rc;
}

static int cmd_export(struct db_ctx *ctx, int argc, char **argv)
{
    struct output_request reqs[OUTPUT_MAX];
    size_t nreq = 0;
    const char *ref = NULL;
    for (int i = 0; i < argc; i++) {
        int r = db_parse_output(argc, argv, &i, reqs, &nreq);
        if (r < 0)
            return 1;
        if (r == 0) {
            if (ref)
                return db_fail(1, "export takes one scan (got %s and %s)", ref, argv[i]);
            ref = argv[i];
        }
    }
    if (!ref || !nreq)
        return db_fail(1, "usage: prtip db export ID -oX FILE [-oJ FILE ...]");
    struct stored_scan s;
    int rc = load_ref(ctx, ref, &s);
    if (rc)
        return rc;
    rc = db_render(&s, reqs, nreq);
    stored_scan_free(&s);
    return rc;
}

struct list_ctx {
    size_t n;
};

static int list_row(void *ctx, size_t n, const char *const *v)
{
    struct list_ctx *l = ctx;
    if (n < 8)
        return 1;
    if (l->n++ == 0)
        printf("%-6s %-19s %-11s %8s %8s %-12s %s\n", "ID", "START", "STATE", "HOSTS UP", "OPEN",
               "JOB", "ARGUMENTS");
    time_t t = (time_t)(strtoll(v[1] ? v[1] : "0", NULL, 10) / 1000000000);
    struct tm tm;
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
    char job[64];
    snprintf(job, sizeof(job), "%s%s%s", v[5] ? v[5] : "-", v[6] ? " " : "", v[6] ? v[6] : "");
    printf("%-6s %-19s %-11s %8s %8s %-12s %s\n", v[0], when, v[2] ? v[2] : "", v[3] ? v[3] : "0",
           v[4] ? v[4] : "0", job, v[7] ? v[7] : "");
    return 0;
}

static int cmd_list(struct db_ctx *ctx, int argc, char **argv)
{
    (void)argv;
    if (argc != 0)
        return db_fail(1, "usage: prtip db list");
    if (db_ctx_store(ctx) < 0)
        return 2;
    struct list_ctx l = {0};
    char err[1024];
    if (store_exec(&ctx->st,
                   "SELECT s.id, s.start_ns, s.state, COALESCE(s.stored_up, (SELECT count(*) "
                   "FROM hosts h WHERE h.scan_id = s.id AND h.status = 'up')), "
                   "COALESCE(s.stored_open, (SELECT count(*) FROM ports p WHERE p.scan_id = s.id "
                   "AND p.state = 'open')), s.job, s.shard, s.args FROM scans s "
                   "ORDER BY s.start_ns, s.id",
                   NULL, 0, list_row, &l, err, sizeof(err)) < 0)
        return db_fail(2, "%s", err);
    if (!l.n)
        printf("No scans stored in %s.\n", ctx->st.target);
    return 0;
}

/* "90d", "12h", "30m", "45s", "2w" → seconds; -1 if malformed. */
static int64_t parse_age(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return -1;
    int64_t mul = 0;
    if (!strcmp(end, "s"))
        mul = 1;
    else if (!strcmp(end, "m"))
        mul = 60;
    else if (!strcmp(end, "h"))
        mul = 3600;
    else if (!strcmp(end, "d"))
        mul = 86400;
    else if (!strcmp(end, "w"))
        mul = 7 * 86400;
    return mul ? v * mul : -1;
}

static int count_row(void *ctx, size_t n, const char *const *v)
{
    if (n && v[0])
        *(long long *)ctx = strtoll(v[0], NULL, 10);
    return 0;
}

static int cmd_prune(struct db_ctx *ctx, int argc, char **argv)
{
    long long keep = -1;
    int64_t age = -1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
            char *end;
            keep = strtoll(argv[++i], &end, 10);
            if (*end || keep < 0)
                return db_fail(1, "invalid --keep '%s': a whole number of scans to keep", argv[i]);
        } else if (!strcmp(argv[i], "--older-than") && i + 1 < argc) {
            age = parse_age(argv[++i]);
            if (age < 0)
                return db_fail(1, "invalid --older-than '%s': e.g. 90d, 12h, 2w", argv[i]);
        } else {
            return db_fail(1, "usage: prtip db prune --keep N | --older-than AGE (90d, 12h)");
        }
    }
    if (keep < 0 && age < 0)
        return db_fail(1, "usage: prtip db prune --keep N | --older-than AGE (90d, 12h)");
    if (db_ctx_store(ctx) < 0)
        return 2;
    char err[1024];
    long long before = 0, after = 0;
    store_exec(&ctx->st, "SELECT count(*) FROM scans", NULL, 0, count_row, &before, err,
               sizeof(err));
    /* The scans to delete, as a condition on a table's scan_id column. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct store_val p[2];
    size_t np = 0;
    char cond[256] = "1 = 0";
    if (keep >= 0 && age >= 0) {
        p[np++] = sv_int(keep);
        p[np++] = sv_int(((int64_t)now.tv_sec - age) * 1000000000);
        snprintf(cond, sizeof(cond),
                 "(%%s NOT IN (SELECT id FROM scans ORDER BY start_ns DESC, id DESC LIMIT $1) OR "
                 "%%s IN (SELECT id FROM scans WHERE start_ns < $2))");
    } else if (keep >= 0) {
        p[np++] = sv_int(keep);
        snprintf(cond, sizeof(cond),
                 "%%s NOT IN (SELECT id FROM scans ORDER BY start_ns DESC, id DESC LIMIT $1)");
    } else {
        p[np++] = sv_int(((int64_t)now.tv_sec - age) * 1000000000);
        snprintf(cond, sizeof(cond), "%%s IN (SELECT id FROM scans WHERE start_ns < $1)");
    }
    /* Children first, the scans rows last: one transaction. */
    static const char *const tables[] = {"os_matches", "scripts", "tls",        "services",
                                         "ports",      "hosts",   "scan_types", "scans"};
    int rc = store_exec(&ctx->st, "BEGIN", NULL, 0, NULL, NULL, err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
        const char *col = strcmp(tables[i], "scans") == 0 ? "id" : "scan_id";
        char where[512], sql[640];
        snprintf(where, sizeof(where), cond, col, col);
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s", tables[i], where);
        rc = store_exec(&ctx->st, sql, p, np, NULL, NULL, err, sizeof(err));
    }
    if (rc == 0)
        rc = store_exec(&ctx->st, "COMMIT", NULL, 0, NULL, NULL, err, sizeof(err));
    if (rc < 0) {
        char ignore[64];
        store_exec(&ctx->st, "ROLLBACK", NULL, 0, NULL, NULL, ignore, sizeof(ignore));
        return db_fail(2, "%s", err);
    }
    store_exec(&ctx->st, "SELECT count(*) FROM scans", NULL, 0, count_row, &after, err,
               sizeof(err));
    printf("Pruned %lld scan%s; %lld left.\n", before - after, before - after == 1 ? "" : "s",
           after);
    return 0;
}

static int cmd_help(struct db_ctx *ctx, int argc, char **argv);

static const struct db_cmd db_cmds[] = {
    {"list", "list", "scans with id, start time, state, hosts up, open ports, job, arguments",
     cmd_list},
    {"show", "show ID", "one scan in normal output", cmd_show},
    {"export", "export ID -oX|-oJ|-oG|-oN|-oD|-oC FILE ...",
     "a stored scan through the scan's output modules", cmd_export},
    {"query", "query [filters] [-oX FILE ...]",
     "ports matching --addr ADDR|CIDR --port N --proto P --state S --service NAME "
     "--product TEXT --version TEXT --scan ID --since TIME --until TIME",
     db_cmd_query},
    {"compare", "compare A B [--xml|--json]",
     "what changed from scan A to B, as ndiff (ids, job names, latest, previous)", db_cmd_compare},
    {"prune", "prune --keep N | --older-than AGE", "delete old scans (AGE: 90d, 12h, 2w)",
     cmd_prune},
    {"import", "import FILE.xml ...", "nmap's or prtip's XML files as stored scans", db_cmd_import},
    {"help", "help", "this text", cmd_help},
    {NULL, NULL, NULL, NULL},
};

static int cmd_help(struct db_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    (void)argc;
    (void)argv;
    printf("Usage: prtip db [--db PATH|URL] COMMAND [ARGS]\n"
           "The scans stored with --db / --db-default. Without --db: the default file\n"
           "($XDG_DATA_HOME/prtip/scans.db, else ~/.local/share/prtip/scans.db).\n"
           "--db takes a SQLite file, postgresql://... / postgres://... or pg: (PG* variables).\n"
           "A scan ID is a number from db list, a job name (--db-job; its shards are one scan),\n"
           "latest, or previous (the scan before latest with the same targets and options).\n\n"
           "Commands:\n");
    for (const struct db_cmd *c = db_cmds; c->name; c++)
        printf("  %-44s %s\n", c->usage, c->summary);
    return 0;
}

int db_cmd_main(int argc, char **argv)
{
    struct db_ctx ctx = {0};
    /* --db anywhere; everything else goes to the command. */
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (!rest)
        return db_fail(2, "out of memory");
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db")) {
            if (i + 1 >= argc) {
                free(rest);
                return db_fail(1, "--db needs a SQLite path, postgresql:// URL or pg:");
            }
            ctx.target = argv[++i];
        } else if (!strncmp(argv[i], "--db=", 5)) {
            ctx.target = argv[i] + 5;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    int rc;
    if (nrest == 0 || !strcmp(rest[0], "--help") || !strcmp(rest[0], "-h")) {
        rc = nrest == 0 ? (cmd_help(&ctx, 0, NULL), 1) : cmd_help(&ctx, 0, NULL);
    } else {
        const struct db_cmd *c = db_cmds;
        while (c->name && strcmp(c->name, rest[0]) != 0)
            c++;
        if (!c->name)
            rc = db_fail(1, "unknown command '%s'. See prtip db --help", rest[0]);
        else
            rc = c->run(&ctx, nrest - 1, rest + 1);
    }
    if (ctx.open)
        store_close(&ctx.st);
    free(rest);
    return rc;
}
