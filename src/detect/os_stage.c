/*
 * os_stage.c — the OS detection stage (issue 12): holds the up hosts the
 * port scan delivers, runs nmap's probes against all of them at once
 * (osprobe.h), scores every try against nmap-os-db (osdb.h) and passes the
 * hosts on with nmap's verdict (osreport.h).
 *
 * Tries: nmap's later tries (--max-os-tries, five by default) send again
 * only the probes that got no answer, a second apart, and keep every
 * answer already caught; its fingerprint is that of all the answers. Here
 * the same is one run in which an unanswered probe is sent again after the
 * host's timeout, up to --max-os-tries times, with no sleeps.
 */
#include "detect/os_stage.h"

#include "core/datafile.h"
#include "core/log.h"
#include "detect/osreport.h"
#include "scan/scan_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OS_BATCH 512 /* hosts per probe run */

struct os_stage {
    struct os_job job;
    struct os_db *db;
    volatile sig_atomic_t *stop;
    struct host_result *held;
    size_t nheld, cap;
    bool warned_v6;
};

bool os_stage_wanted(const struct config *cfg)
{
    return cfg->os.enabled;
}

void os_job_from_config(struct os_job *j, const struct config *cfg)
{
    memset(j, 0, sizeof *j);
    j->guess = cfg->os.guess;
    j->limit = cfg->os.limit;
    j->max_tries = cfg->os.max_tries;
    j->db_path = cfg->os.db;
    j->datadir = cfg->datadir;
    j->verbose = cfg->verbose;
    j->debug = cfg->debug;
    j->timing_level = cfg->timing.level;
    j->scan_delay_ms = cfg->timing.scan_delay_ms;
    for (size_t i = 0; i < cfg->ntypes; i++)
        if (cfg->types[i]->proto == PROTO_UDP)
            j->udp_scanned = true;
}

void *os_stage_create(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
                      size_t errlen)
{
    struct os_stage *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    os_job_from_config(&s->job, cfg);
    s->stop = stop;
    char path[4096];
    const char *p = s->job.db_path ? s->job.db_path
                                   : datafile_find(s->job.datadir, "nmap-os-db", path, sizeof path);
    if (os_db_load(p, &s->db, err, errlen) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

void os_stage_destroy(void *state)
{
    struct os_stage *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->nheld; i++)
        host_result_free(&s->held[i]);
    free(s->held);
    os_db_free(s->db);
    free(s);
}

/* The ports nmap's OS scan uses: the first open TCP port, the first closed
 * (else unfiltered) TCP port, the first closed UDP port, in port order. */
static void pick_ports(const struct host_result *h, int *open, int *closed, int *closed_udp)
{
    *open = *closed = *closed_udp = -1;
    int unfiltered = -1;
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *p = &h->ports[i];
        int port = p->port;
        if (p->proto == PROTO_TCP) {
            if (p->state == PORT_OPEN && (*open < 0 || port < *open))
                *open = port;
            if (p->state == PORT_CLOSED && (*closed < 0 || port < *closed))
                *closed = port;
            if (p->state == PORT_UNFILTERED && (unfiltered < 0 || port < unfiltered))
                unfiltered = port;
        } else if (p->proto == PROTO_UDP && p->state == PORT_CLOSED &&
                   (*closed_udp < 0 || port < *closed_udp)) {
            *closed_udp = port;
        }
    }
    if (*closed < 0)
        *closed = unfiltered;
}

static void report_opts(const struct os_stage *s, const struct host_result *h,
                        struct os_report_opts *o)
{
    int cu;
    memset(o, 0, sizeof *o);
    o->guess = s->job.guess;
    o->verbose = s->job.verbose;
    o->debug = s->job.debug;
    o->timing_level = s->job.timing_level;
    o->scan_delay_ms = s->job.scan_delay_ms;
    o->udp_scanned = s->job.udp_scanned;
    pick_ports(h, &o->open_tcp, &o->closed_tcp, &cu);
}

static void score(const struct os_stage *s, struct os_try *t)
{
    t->distance = os_distance(&t->tgt, &t->dist_method);
    os_fp_compute(&t->tgt, os_u1_distance(&t->tgt), &t->obs, &t->si);
    if (os_db_match(s->db, &t->obs, OS_GUESS_FLOOR, &t->m) < 0)
        memset(&t->m, 0, sizeof t->m);
}

static void mark_unsupported(struct os_stage *s, struct host_result *h)
{
    if (!s->warned_v6) {
        log_warn("os", "IPv6 OS detection is not supported: nmap's IPv6 engine uses a model "
                       "compiled into nmap; no OS guess is made for IPv6 hosts");
        s->warned_v6 = true;
    }
    struct os_report *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->verdict = OS_VERDICT_UNSUPPORTED;
    r->open_tcp = r->closed_tcp = r->closed_udp = r->distance = r->seq_index = -1;
    r->note = strdup("IPv6 OS detection is not supported by prtip (no guess made)");
    h->os_report = r;
}

/* Detect the OS of hosts[0..n), all at once: one probe run, one
 * fingerprint and one verdict per host. */
static void detect(struct os_stage *s, struct host_result *hosts, size_t n)
{
    struct os_try *tries = calloc(n, sizeof *tries);
    struct os_target *batch = calloc(n, sizeof *batch);
    size_t *owner = calloc(n, sizeof *owner);
    if (!tries || !batch || !owner) {
        log_error("os", "out of memory: OS detection skipped for %zu hosts", n);
        goto out;
    }
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        struct host_result *h = &hosts[i];
        int open, closed, cu;
        pick_ports(h, &open, &closed, &cu);
        if (h->addr.family != AF_INET) {
            mark_unsupported(s, h);
            continue;
        }
        if (s->job.limit && (open < 0 || closed < 0)) {
            char a[64];
            log_info("os",
                     "Skipping OS Scan against %s due to absence of open (or perhaps "
                     "closed) ports",
                     ipaddr_str(&h->addr, a, sizeof a));
            continue;
        }
        struct os_target *t = &batch[nb];
        t->addr = h->addr;
        t->open_tcp = open > 0 ? (uint16_t)open : 0;
        t->closed_tcp = closed > 0 ? (uint16_t)closed : 0;
        t->closed_udp = cu > 0 ? (uint16_t)cu : 0;
        t->timeout_us = h->timeout_us > 0 ? h->timeout_us : 1000000;
        t->max_sends = s->job.max_tries;
        owner[nb++] = i;
    }
    if (nb == 0)
        goto out;
    char err[256];
    if (os_probe_run(batch, nb, s->stop, err, sizeof err) < 0) {
        log_error("os", "%s", err);
        goto out;
    }
    for (size_t k = 0; k < nb; k++) {
        size_t i = owner[k];
        struct os_try *t = &tries[k];
        t->tgt = batch[k];
        score(s, t);
        struct os_report_opts o;
        report_opts(s, &hosts[i], &o);
        if (os_report_fill(&hosts[i], s->db, t, 1, 0, &o) < 0)
            log_error("os", "out of memory filling the OS report");
    }
out:
    free(tries);
    free(batch);
    free(owner);
}

static void flush(struct os_stage *s, const struct result_sink *next)
{
    for (size_t i = 0; i < s->nheld; i += OS_BATCH) {
        size_t k = s->nheld - i < OS_BATCH ? s->nheld - i : OS_BATCH;
        detect(s, &s->held[i], k);
        for (size_t j = i; j < i + k; j++)
            sink_host(next, &s->held[j]);
    }
    for (size_t i = 0; i < s->nheld; i++)
        host_result_free(&s->held[i]);
    s->nheld = 0;
}

static void os_host(void *state, const struct host_result *h, const struct result_sink *next)
{
    struct os_stage *s = state;
    if (h->status != HOST_UP || (s->stop && *s->stop)) {
        sink_host(next, h);
        return;
    }
    if (s->nheld == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct host_result *p = realloc(s->held, cap * sizeof *p);
        if (!p) {
            sink_host(next, h); /* never lose a result */
            return;
        }
        s->held = p;
        s->cap = cap;
    }
    if (host_result_copy(&s->held[s->nheld], h) < 0) {
        sink_host(next, h);
        return;
    }
    s->nheld++;
}

static int os_end(void *state, const struct scan_summary *sum, const struct result_sink *next)
{
    /* The scan ends when OS detection does: the summary's time counts it,
     * as nmap's "scanned in" does. */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    flush(state, next);
    clock_gettime(CLOCK_MONOTONIC, &b);
    struct scan_summary s2 = *sum;
    s2.elapsed_s += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    clock_gettime(CLOCK_REALTIME, &s2.end);
    return sink_end(next, &s2);
}

static const struct stage_ops os_ops = {
    .name = "os",
    .host = os_host,
    .end = os_end,
};

const struct stage_module os_stage_module = {
    .ops = &os_ops,
    .wanted = os_stage_wanted,
    .create = os_stage_create,
    .destroy = os_stage_destroy,
};
