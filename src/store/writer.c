/*
 * writer.c — the store as a sink of the result stream (store.h): records
 * are copied into a queue on the stream's thread and written by the
 * writer's own thread in batches, one transaction per batch, so that the
 * scan does not wait for the database, up to a bounded queue (then the
 * stream waits: back-pressure, never a dropped host). The scan row goes in
 * at begin (state "running"), the end row (state, totals) only after every
 * host queued before it is committed.
 */
#include "core/clock.h"
#include "core/log.h"
#include "store/codec.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

/* Hosts per transaction at most: bounds the statement memory of one batch. */
#define BATCH_HOSTS 4096
/* Hosts come as they complete (raw_job.early): a transaction per arrival
 * would spend the scan in commits (PostgreSQL syncs each). The writer
 * gathers until BATCH_HOSTS are queued, BATCH_WAIT_NS after its last
 * commit, or the stream's end, whichever comes first. */
#define BATCH_WAIT_NS 100000000LL /* 100 ms */

/* Hosts the queue holds at most by default (store_writer_set_queue_limit):
 * with the batch being written, the writer's memory is bounded by about
 * three batches of hosts, however slow the database. */
#define QUEUE_HOSTS (2 * BATCH_HOSTS)
/* Ports the queue holds at most by default: hosts of -p- scans are large
 * (every scanned port is in the record), so the count of hosts alone
 * bounds nothing; 2^20 port records are some tens of MiB. A host larger
 * than this alone still goes in when the queue is empty. */
#define QUEUE_PORTS ((size_t)1 << 20)

struct qitem {
    struct qitem *next;
    int64_t seq;
    struct host_result h;
};

struct store_writer {
    struct store *st;
    struct store_job job;
    int64_t scan_id;
    int64_t next_seq;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct qitem *head, **tail;
    size_t queued;        /* hosts in head..tail */
    size_t queued_ports;  /* their ports */
    size_t limit;         /* host() waits while queued >= limit (back-pressure) */
    size_t port_limit;    /* ... or while queued_ports would pass port_limit */
    size_t peak;          /* the most hosts queued at once */
    size_t peak_ports;    /* the most ports queued at once */
    pthread_cond_t space; /* signalled when the writer takes hosts off */
    bool blocked;         /* host() waits for space: the writer stops gathering */
    int64_t last_commit;  /* CLOCK_MONOTONIC ns */
    bool closing;
    /* The scan's end (set with closing): the last batch records it in its
     * own transaction, saving the end a commit (a sync for PostgreSQL). */
    const struct scan_summary *end_sum;
    bool end_written; /* the writer thread recorded the end */
    bool failed;      /* a batch failed: later hosts are dropped, end reports it */
    char err[512];    /* the first failure */
    uint64_t rows;    /* rows written, for -d */
    uint64_t batches; /* transactions committed */
    int64_t write_ns; /* time spent in them (writer thread) */
    int64_t cpu_ns;   /* the writer thread's CPU time, all told */
    /* Up hosts and open ports among the committed rows: the end row
     * records them (scans.stored_up, stored_open) so that db list need not
     * count every scan's rows. */
    int64_t stored_up, stored_open;
};

/* Growable row-major values plus the strings they point to. */
struct rows {
    struct store_val *v;
    size_t n, cap;
    char **pool;
    size_t npool, poolcap;
};

static int push(struct rows *r, struct store_val v)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct store_val *nv = realloc(r->v, cap * sizeof(*nv));
        if (!nv)
            return -1;
        r->v = nv;
        r->cap = cap;
    }
    r->v[r->n++] = v;
    return 0;
}

/* Keep s (malloc'd, may be NULL) until the batch is done; push it. */
static int push_owned(struct rows *r, char *s)
{
    if (s) {
        if (r->npool == r->poolcap) {
            size_t cap = r->poolcap ? r->poolcap * 2 : 64;
            char **np = realloc(r->pool, cap * sizeof(*np));
            if (!np) {
                free(s);
                return -1;
            }
            r->pool = np;
            r->poolcap = cap;
        }
        r->pool[r->npool++] = s;
    }
    return push(r, sv_text(s));
}

static void rows_reset(struct rows *r)
{
    for (size_t i = 0; i < r->npool; i++)
        free(r->pool[i]);
    r->n = r->npool = 0;
}

static void rows_free(struct rows *r)
{
    rows_reset(r);
    free(r->v);
    free(r->pool);
}

enum { T_HOSTS, T_PORTS, T_SERVICES, T_TLS, T_SCRIPTS, T_OS, T_COUNT };

static const struct {
    const char *table, *cols;
    size_t ncols;
} tables[T_COUNT] = {
    [T_HOSTS] = {"hosts",
                 "scan_id, seq, addr, addr_key, hostname, other_addrs, rdns, status, reason, "
                 "reason_ttl, mac, srtt_us, rttvar_us, timeout_us, start_ns, end_ns, timed_out, "
                 "interrupted, ports_unscanned, os_fingerprint, os_report",
                 21},
    [T_PORTS] = {"ports",
                 "scan_id, host_seq, idx, proto, port, state, reason, reason_ttl, service, "
                 "reason_ip",
                 10},
    [T_SERVICES] = {"services",
                    "scan_id, host_seq, port_idx, name, product, version, extrainfo, hostname, "
                    "ostype, devicetype, cpe, method, conf, tunnel_ssl, probe, line, soft, "
                    "differs, fingerprint",
                    19},
    [T_TLS] = {"tls",
               "scan_id, host_seq, port_idx, protocol, cipher, alpn, subject, issuer, san, "
               "not_before, not_after, sha256, key_type, key_bits, sni, days_left, serial, "
               "sig_alg, spki_sha256, sha1, md5, self_signed, chain_len, ja3s, pem",
               25},
    [T_SCRIPTS] = {"scripts", "scan_id, host_seq, port_idx, ord, script_id, output, elems", 7},
    [T_OS] = {"os_matches", "scan_id, host_seq, ord, name, accuracy, line, classes", 7},
};

static int add_scripts(struct rows *r, int64_t scan, int64_t seq, int64_t idx,
                       const struct script_output *s, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        rc |= push(r, sv_int(scan));
        rc |= push(r, sv_int(seq));
        rc |= push(r, sv_int(idx));
        rc |= push(r, sv_int((int64_t)i));
        rc |= push(r, sv_text(s[i].id ? s[i].id : ""));
        rc |= push(r, sv_text(s[i].output));
        rc |= push_owned(r, codec_elems_json(s[i].elems, s[i].nelems));
    }
    return rc;
}

/* The rows of one host, appended to the per-table value lists. */
static int host_rows(struct rows *t, int64_t scan, int64_t seq, const struct host_result *h)
{
    char addr[IPADDR_STRLEN], key[33], mac[MAC_STRLEN];
    ipaddr_str(&h->addr, addr, sizeof(addr));
    codec_addr_key(&h->addr, key);
    if (h->have_mac)
        mac_str(h->mac, false, mac);
    struct rows *r = &t[T_HOSTS];
    int rc = 0;
    rc |= push(r, sv_int(scan));
    rc |= push(r, sv_int(seq));
    rc |= push_owned(r, strdup(addr));
    rc |= push_owned(r, strdup(key));
    rc |= push(r, sv_text(h->hostname));
    rc |= push(r, sv_text(h->other_addrs));
    rc |= push(r, sv_text(h->rdns));
    rc |= push(r, sv_text(codec_status_name(h->status)));
    rc |= push(r, sv_text(reason_name(h->status_reason)));
    rc |= push(r, sv_int(h->status_ttl));
    rc |= h->have_mac ? push_owned(r, strdup(mac)) : push(r, sv_text(NULL));
    rc |= push(r, sv_int(h->srtt_us));
    rc |= push(r, sv_int(h->rttvar_us));
    rc |= push(r, sv_int(h->timeout_us));
    rc |= push(r, sv_int(codec_ns(&h->start)));
    rc |= push(r, sv_int(codec_ns(&h->end)));
    rc |= push(r, sv_int(h->timed_out));
    rc |= push(r, sv_int(h->interrupted));
    rc |= push(r, sv_int(h->ports_unscanned));
    rc |= push(r, sv_text(h->os_fingerprint));
    rc |= h->os_report ? push_owned(r, codec_os_report_json(h->os_report)) : push(r, sv_text(NULL));

    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *p = &h->ports[i];
        r = &t[T_PORTS];
        rc |= push(r, sv_int(scan));
        rc |= push(r, sv_int(seq));
        rc |= push(r, sv_int((int64_t)i));
        rc |= push(r, sv_text(port_proto_name((enum port_proto)p->proto)));
        rc |= push(r, sv_int(p->port));
        rc |= push(r, sv_text(port_state_name((enum port_state)p->state)));
        rc |= push(r, sv_text(reason_name((enum reason)p->reason)));
        rc |= push(r, sv_int(p->reason_ttl));
        rc |= push(r, sv_text(p->service));
        const struct port_detail *d = p->detail;
        if (d && d->have_reason_ip) {
            char rip[IPADDR_STRLEN];
            ipaddr_str(&d->reason_ip, rip, sizeof(rip));
            rc |= push_owned(r, strdup(rip));
        } else {
            rc |= push(r, sv_text(NULL));
        }
        if (!d)
            continue;
        const struct service_result *s = d->service;
        if (s) {
            r = &t[T_SERVICES];
            rc |= push(r, sv_int(scan));
            rc |= push(r, sv_int(seq));
            rc |= push(r, sv_int((int64_t)i));
            rc |= push(r, sv_text(s->name ? s->name : ""));
            rc |= push(r, sv_text(s->product));
            rc |= push(r, sv_text(s->version));
            rc |= push(r, sv_text(s->extrainfo));
            rc |= push(r, sv_text(s->hostname));
            rc |= push(r, sv_text(s->ostype));
            rc |= push(r, sv_text(s->devicetype));
            rc |= push_owned(r, codec_strv_json(s->cpe, s->ncpe));
            rc |= push(r, sv_text(s->method == SERVICE_METHOD_PROBED ? "probed" : "table"));
            rc |= push(r, sv_int(s->conf));
            rc |= push(r, sv_int(s->tunnel_ssl));
            rc |= push(r, sv_text(s->probe));
            rc |= push(r, sv_int(s->line));
            rc |= push(r, sv_int(s->soft));
            rc |= push(r, sv_text(s->differs));
            rc |= push(r, sv_text(s->fingerprint));
        }
        const struct tls_info *x = d->tls;
        if (x) {
            r = &t[T_TLS];
            rc |= push(r, sv_int(scan));
            rc |= push(r, sv_int(seq));
            rc |= push(r, sv_int((int64_t)i));
            rc |= push(r, sv_text(x->protocol));
            rc |= push(r, sv_text(x->cipher));
            rc |= push(r, sv_text(x->alpn));
            rc |= push(r, sv_text(x->subject));
            rc |= push(r, sv_text(x->issuer));
            rc |= push_owned(r, codec_strv_json(x->san, x->nsan));
            rc |= push(r, sv_int(x->not_before));
            rc |= push(r, sv_int(x->not_after));
            rc |= push(r, sv_text(x->sha256));
            rc |= push(r, sv_text(x->key_type));
            rc |= push(r, sv_int(x->key_bits));
            rc |= push(r, sv_text(x->sni));
            rc |= push(r, sv_int(x->days_left));
            rc |= push(r, sv_text(x->serial));
            rc |= push(r, sv_text(x->sig_alg));
            rc |= push(r, sv_text(x->spki_sha256));
            rc |= push(r, sv_text(x->sha1));
            rc |= push(r, sv_text(x->md5));
            rc |= push(r, sv_int(x->self_signed));
            rc |= push(r, sv_int(x->chain_len));
            rc |= push(r, sv_text(x->ja3s));
            rc |= push(r, sv_text(x->pem));
        }
        rc |= add_scripts(&t[T_SCRIPTS], scan, seq, (int64_t)i, d->scripts, d->nscripts);
    }
    rc |= add_scripts(&t[T_SCRIPTS], scan, seq, -1, h->scripts, h->nscripts);
    for (size_t i = 0; i < h->nos; i++) {
        const struct os_match *m = &h->os[i];
        r = &t[T_OS];
        rc |= push(r, sv_int(scan));
        rc |= push(r, sv_int(seq));
        rc |= push(r, sv_int((int64_t)i));
        rc |= push(r, sv_text(m->name ? m->name : ""));
        rc |= push(r, sv_int(m->accuracy));
        rc |= push(r, sv_int(m->line));
        rc |= push_owned(r, codec_classes_json(m->classes, m->nclasses));
    }
    return rc ? -1 : 0;
}

/* The scans row's end: time, totals and state ("failed" after a failed
 * batch or a runtime error, "interrupted" after a stop, else "complete");
 * up/open: the up hosts and open ports of the batch it goes in with, not
 * yet in stored_up/stored_open. */
static int end_row(struct store_writer *w, const struct scan_summary *sum, int64_t up, int64_t open,
                   char *err, size_t errlen)
{
    const char *state = w->failed || sum->error ? "failed"
                        : sum->interrupted      ? "interrupted"
                                                : "complete";
    char why[600];
    snprintf(why, sizeof(why), "store: %s", w->err);
    const char *error = sum->error ? sum->error : w->failed ? why : NULL;
    struct store_val p[] = {
        sv_int(codec_ns(&sum->end)),
        sv_real(sum->elapsed_s),
        sv_text(state),
        sv_text(error),
        sv_int((int64_t)sum->hosts_total),
        sv_int((int64_t)sum->hosts_up),
        sv_int((int64_t)sum->hosts_down),
        sv_int(w->stored_up + up),
        sv_int(w->stored_open + open),
        sv_int(w->scan_id),
    };
    return store_exec(w->st,
                      "UPDATE scans SET end_ns = $1, elapsed_s = $2, state = $3, error = $4, "
                      "hosts_total = $5, hosts_up = $6, hosts_down = $7, stored_up = $8, "
                      "stored_open = $9 WHERE id = $10",
                      p, 10, NULL, NULL, err, errlen);
}

/* One transaction: the hosts of items (up to BATCH_HOSTS of them), and the
 * scan's end when end is not NULL (the last batch: the hosts are in before
 * the end is, atomically). */
static int write_batch(struct store_writer *w, struct qitem *items, struct rows *t,
                       const struct scan_summary *end)
{
    char *err = w->err;
    size_t errlen = sizeof(w->err);
    for (int i = 0; i < T_COUNT; i++)
        rows_reset(&t[i]);
    int64_t up = 0, open = 0;
    for (struct qitem *q = items; q; q = q->next) {
        if (host_rows(t, w->scan_id, q->seq, &q->h) < 0) {
            snprintf(err, errlen, "%s: out of memory", w->st->target);
            return -1;
        }
        up += q->h.status == HOST_UP;
        for (size_t i = 0; i < q->h.nports; i++)
            open += q->h.ports[i].state == PORT_OPEN;
    }
    if (store_exec(w->st, "BEGIN", NULL, 0, NULL, NULL, err, errlen) < 0)
        return -1;
    for (int i = 0; i < T_COUNT; i++) {
        size_t nrows = t[i].n / tables[i].ncols;
        if (nrows && store_insert_rows(w->st, tables[i].table, tables[i].cols, tables[i].ncols,
                                       t[i].v, nrows, err, errlen) < 0)
            goto fail;
        w->rows += nrows;
    }
    if (end && end_row(w, end, up, open, err, errlen) < 0)
        goto fail;
    if (store_exec(w->st, "COMMIT", NULL, 0, NULL, NULL, err, errlen) < 0)
        goto fail;
    if (end)
        w->end_written = true;
    w->stored_up += up;
    w->stored_open += open;
    return 0;
fail:;
    char ignore[64];
    store_exec(w->st, "ROLLBACK", NULL, 0, NULL, NULL, ignore, sizeof(ignore));
    return -1;
}

static void free_items(struct qitem *q)
{
    while (q) {
        struct qitem *next = q->next;
        host_result_free(&q->h);
        free(q);
        q = next;
    }
}

static void *writer_main(void *arg)
{
    struct store_writer *w = arg;
    prctl(PR_SET_NAME, "prtip-store", 0, 0, 0); /* for top -H and perf */
    struct rows t[T_COUNT];
    memset(t, 0, sizeof(t));
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->closing)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        int64_t due = w->last_commit + BATCH_WAIT_NS;
        while (!w->closing && !w->blocked && w->queued < BATCH_HOSTS && clock_mono_ns() < due) {
            struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        /* Take up to BATCH_HOSTS from the front. */
        struct qitem *batch = w->head, **cut = &w->head;
        for (size_t n = 0; *cut && n < BATCH_HOSTS; n++)
            cut = &(*cut)->next;
        w->head = *cut;
        *cut = NULL;
        if (!w->head)
            w->tail = &w->head;
        for (struct qitem *q = batch; q; q = q->next) {
            w->queued--;
            w->queued_ports -= q->h.nports;
        }
        pthread_cond_broadcast(&w->space);
        bool failed = w->failed;
        const struct scan_summary *end = w->closing && !w->head ? w->end_sum : NULL;
        pthread_mutex_unlock(&w->mu);
        int64_t t0 = clock_mono_ns();
        int wrc = failed ? 0 : write_batch(w, batch, t, end);
        int64_t t1 = clock_mono_ns();
        w->write_ns += t1 - t0;
        w->last_commit = t1;
        size_t nb = 0;
        for (struct qitem *q = batch; q; q = q->next)
            nb++;
        log_trace("store", "batch of %zu hosts written in %.3f s (monotonic %.3f)", nb,
                  (double)(t1 - t0) / 1e9, (double)t1 / 1e9);
        if (!failed && wrc == 0)
            w->batches++;
        if (!failed && wrc < 0) {
            pthread_mutex_lock(&w->mu);
            w->failed = true;
            pthread_mutex_unlock(&w->mu);
            /* Reported once, now, so the user learns of it during the scan. */
            fprintf(stderr,
                    "prtip: store: %s; the scan goes on, its other outputs are unaffected\n",
                    w->err);
        }
        free_items(batch);
    }
    for (int i = 0; i < T_COUNT; i++)
        rows_free(&t[i]);
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        w->cpu_ns = codec_ns(&cpu);
    return NULL;
}

struct store_writer *store_writer_new(struct store *st, const struct store_job *job, char *err,
                                      size_t errlen)
{
    struct store_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->st = st;
    w->job = *job;
    w->tail = &w->head;
    w->limit = QUEUE_HOSTS;
    w->port_limit = QUEUE_PORTS;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->space, NULL);
    /* Timed waits on the monotonic clock (BATCH_WAIT_NS). */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    return w;
}

static int get_id(void *ctx, size_t n, const char *const *v)
{
    if (n && v[0])
        *(int64_t *)ctx = codec_i64(v[0]);
    return 0;
}

/* The scan row and its types: one transaction on the stream's thread,
 * before the writer thread exists. */
static int w_begin(void *ctx, const struct scan_info *info)
{
    struct store_writer *w = ctx;
    struct store_val p[] = {
        sv_text(w->job.job),
        sv_text(w->job.shard),
        sv_text(info->scanner ? info->scanner : "prtip"),
        sv_text(info->version ? info->version : ""),
        sv_text(info->args ? info->args : ""),
        sv_int(codec_ns(&info->start)),
        sv_int(info->mode),
        sv_int(info->verbose),
        sv_int(info->debug),
        sv_int(info->open_only),
        sv_int(info->show_reason),
        sv_int(info->version_scan),
        sv_text(info->stylesheet),
        sv_text(w->job.origin ? w->job.origin : "scan"),
    };
    w->scan_id = -1;
    if (store_exec(w->st, "BEGIN", NULL, 0, NULL, NULL, w->err, sizeof(w->err)) < 0)
        goto fail;
    if (store_exec(
            w->st,
            "INSERT INTO scans (job, shard, scanner, version, args, start_ns, state, mode, "
            "verbosity, debugging, open_only, show_reason, version_scan, stylesheet, origin) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9, $10, $11, $12, $13, "
            "$14) RETURNING id",
            p, sizeof(p) / sizeof(p[0]), get_id, &w->scan_id, w->err, sizeof(w->err)) < 0)
        goto fail;
    for (size_t i = 0; i < info->ntypes; i++) {
        const struct scan_info_type *ty = &info->types[i];
        struct store_val tp[] = {sv_int(w->scan_id),
                                 sv_int((int64_t)i),
                                 sv_text(ty->type),
                                 sv_text(ty->scanflags),
                                 sv_text(port_proto_name(ty->proto)),
                                 sv_int((int64_t)ty->nservices),
                                 sv_text(ty->services)};
        if (store_exec(w->st,
                       "INSERT INTO scan_types (scan_id, idx, type, scanflags, proto, nservices, "
                       "services) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                       tp, 7, NULL, NULL, w->err, sizeof(w->err)) < 0)
            goto fail;
    }
    if (store_exec(w->st, "COMMIT", NULL, 0, NULL, NULL, w->err, sizeof(w->err)) < 0)
        goto fail;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(w->err, sizeof(w->err), "%s: cannot start the writer thread", w->st->target);
        goto fail;
    }
    w->running = true;
    return 0;
fail:;
    char ignore[64];
    store_exec(w->st, "ROLLBACK", NULL, 0, NULL, NULL, ignore, sizeof(ignore));
    w->failed = true;
    fprintf(stderr, "prtip: store: %s; the scan goes on without it\n", w->err);
    return 0; /* the outputs still run: the failure shows at end */
}

static void w_host(void *ctx, const struct host_result *h)
{
    struct store_writer *w = ctx;
    if (!w->running)
        return;
    struct qitem *q = malloc(sizeof(*q));
    if (!q || host_result_copy(&q->h, h) < 0) {
        free(q);
        pthread_mutex_lock(&w->mu);
        if (!w->failed)
            snprintf(w->err, sizeof(w->err), "%s: out of memory", w->st->target);
        w->failed = true;
        pthread_mutex_unlock(&w->mu);
        return;
    }
    q->next = NULL;
    pthread_mutex_lock(&w->mu);
    /* Back-pressure: a database slower than the scan makes the stream wait
     * here rather than grow the queue without limit (no host is dropped).
     * The writer always drains: after a failure it frees hosts unwritten. */
    while (w->queued >= w->limit ||
           (w->queued > 0 && w->queued_ports + q->h.nports > w->port_limit)) {
        w->blocked = true; /* the writer must not sit out its gathering time */
        pthread_cond_signal(&w->cv);
        pthread_cond_wait(&w->space, &w->mu);
    }
    w->blocked = false;
    q->seq = w->next_seq++;
    *w->tail = q;
    w->tail = &q->next;
    if (++w->queued > w->peak)
        w->peak = w->queued;
    w->queued_ports += q->h.nports;
    if (w->queued_ports > w->peak_ports)
        w->peak_ports = w->queued_ports;
    /* The writer wakes itself when its gathering time is up. */
    if (w->queued == 1 || w->queued == BATCH_HOSTS)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void stop_thread(struct store_writer *w)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = false;
}

static int w_end(void *ctx, const struct scan_summary *sum)
{
    struct store_writer *w = ctx;
    /* What the scan's end waits for here (the hosts not yet written when
     * every output is done) is the store's share of the critical path. */
    pthread_mutex_lock(&w->mu);
    size_t left = w->queued;
    w->end_sum = sum; /* read by the writer with closing, under mu */
    pthread_mutex_unlock(&w->mu);
    int64_t t0 = clock_mono_ns();
    stop_thread(w);
    int64_t waited = clock_mono_ns() - t0;
    if (w->scan_id < 0)
        return -1;
    double secs = (double)w->write_ns / 1e9;
    log_debug("store",
              "scan %lld: %llu rows in %llu transactions, %.3f s writing (%.0f rows/s), "
              "%.3f s of CPU, at most %zu hosts (%zu ports) queued; the end waited %.3f s for "
              "the writer (%zu hosts still queued)",
              (long long)w->scan_id, (unsigned long long)w->rows, (unsigned long long)w->batches,
              secs, secs > 0 ? (double)w->rows / secs : 0.0, (double)w->cpu_ns / 1e9, w->peak,
              w->peak_ports, (double)waited / 1e9, left);
    if (w->end_written)
        return 0;
    /* The end row goes in even after a failed batch when the database
     * takes it (a full disk may have room again after the rollback): the
     * scan is then marked failed, not left "running". */
    char err[512];
    if (end_row(w, sum, 0, 0, err, sizeof(err)) < 0 && !w->failed) {
        fprintf(stderr, "prtip: store: %s\n", err);
        w->failed = true;
    }
    return w->failed ? -1 : 0;
}

struct result_sink store_writer_sink(struct store_writer *w)
{
    return (struct result_sink){.begin = w_begin, .host = w_host, .end = w_end, .ctx = w};
}

void store_writer_set_queue_limit(struct store_writer *w, size_t hosts, size_t ports)
{
    w->limit = hosts ? hosts : QUEUE_HOSTS;
    w->port_limit = ports ? ports : QUEUE_PORTS;
}

size_t store_writer_queue_peak(struct store_writer *w, size_t *ports)
{
    pthread_mutex_lock(&w->mu);
    size_t peak = w->peak;
    if (ports)
        *ports = w->peak_ports;
    pthread_mutex_unlock(&w->mu);
    return peak;
}

int64_t store_writer_scan_id(const struct store_writer *w)
{
    return w->scan_id;
}

void store_writer_free(struct store_writer *w)
{
    if (!w)
        return;
    stop_thread(w);
    free_items(w->head);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_cond_destroy(&w->space);
    free(w);
}
