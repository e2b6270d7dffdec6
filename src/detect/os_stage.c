/*
 * os_stage.c — the OS detection stage (issue 12): holds the up hosts the
 * port scan delivers, runs nmap's probes against all of them at once
 * (osprobe.h), scores every try against nmap-os-db (osdb.h) and passes the
 * hosts on with nmap's verdict (osreport.h).
 *
 * Tries, as nmap's (osscan2.cc): a host with no perfect match is tried
 * again, up to --max-os-tries times (5) when its fingerprint is fit for
 * submission and twice otherwise; every try is scored alone, the try with
 * the best top match gives the verdict and the printed fingerprint merges
 * all tries. nmap sleeps between tries and sends every probe each time.
 * Only the SEQ train's values change between tries of a host, so here a
 * later try is a new SEQ train with try 1's other answers (osprobe.h,
 * reuse), and the later tries of all hosts go out together (detect);
 * within try 1 an unanswered probe is resent after the host's timeout.
 */
#include "detect/os_stage.h"

#include "core/datafile.h"
#include "core/log.h"
#include "detect/osreport.h"
#include "net/route.h"
#include "scan/scan_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Tries held at once (hosts per batch x --max-os-tries): 2560 x ~27 KB of
 * replies and fingerprints, about 70 MB at most. 512 hosts at the default
 * five tries; fewer per batch when the user asks for more tries. */
#define OS_BATCH_TRIES 2560

struct os_stage {
    struct os_job job;
    struct os_db *db;
    volatile sig_atomic_t *stop;
    struct host_result *held;
    size_t nheld, cap;
    bool warned_v6;
    struct os_passive_cache *passive; /* --os-passive's match cache */
};

bool os_stage_wanted(const struct config *cfg)
{
    return cfg->os.enabled || cfg->os.passive;
}

void os_job_from_config(struct os_job *j, const struct config *cfg)
{
    memset(j, 0, sizeof *j);
    j->guess = cfg->os.guess;
    j->passive = cfg->os.passive;
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
    if (s->job.passive)
        s->passive = os_passive_cache_new(); /* NULL: every host scored anew */
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
    os_passive_cache_free(s->passive);
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

/* nmap's number of tries for a host (osscan2.cc, expireUnmatchedHosts):
 * a host whose try matches a print perfectly is done; otherwise it is tried
 * again up to --max-os-tries times (5), but only twice when its fingerprint
 * is not fit for submission (os_not_ideal: no open or closed port, no U1
 * answer without -sU, -T5, far away, ...). */
static int tries_for(const struct os_stage *s, const struct os_try *t, const struct host_result *h)
{
    if (t->m.outcome == OS_SUCCESS && t->m.nperfect > 0)
        return 1;
    if (t->m.outcome == OS_TOOMANYMATCHES)
        return 1;
    struct os_report_opts o;
    char why[128];
    report_opts(s, h, &o);
    int max = s->job.max_tries < 1 ? 1 : s->job.max_tries;
    if (os_not_ideal(t, &o, why, sizeof why) && max > 2)
        max = 2;
    return max;
}

/* Whether several later tries (SEQ trains) of this host may run at the
 * same time: interleaved trains leave every test alike except the IP ID
 * differences of a host that counts IDs up globally (TI=I/BI, SS), whose
 * later tries go one after another. */
static bool tries_overlap(const struct os_try *t)
{
    switch (t->si.ipid_class) {
    case OS_IPID_ZERO:
    case OS_IPID_RD:
    case OS_IPID_RPI:
    case OS_IPID_CONSTANT:
        return true;
    default:
        return false;
    }
}

/* The try whose top match is best (nmap's findBestFPs: the first of the
 * highest top accuracy). */
static size_t best_try(const struct os_try *tr, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (tr[i].m.n && (!tr[b].m.n || tr[i].m.acc[0] > tr[b].m.acc[0]))
            b = i;
    return b;
}

/* The MAC address of an on-link Ethernet host the port scan did not learn
 * (-Pn: no ARP ping): nmap reports it for every on-link host, and puts its
 * first three bytes in the fingerprint's SCAN line (M=). The host has just
 * answered our probes, so the kernel's neighbour table holds it; a miss
 * costs one short ARP exchange (route_resolve_mac). */
static void mac_from_neigh(struct host_result *h)
{
    if (!h->have_mac && route_onlink_mac(&h->addr, 50, h->mac) == 0)
        h->have_mac = true;
}

/* nmap's -v line for a try: "Initiating OS detection (try #1) against
 * 198.18.0.2" (the address for one host, "N hosts" for several), then
 * "Retrying OS detection (try #2) against ..." for the later tries. */
static void note_try(const struct result_sink *next, const struct host_result *hosts,
                     const size_t *owner, size_t nb, int round)
{
    size_t nhosts = 0;
    for (size_t k = 0; k < nb; k++)
        nhosts += k == 0 || owner[k] != owner[k - 1];
    char who[64], line[160];
    if (nhosts == 1)
        ipaddr_str(&hosts[owner[0]].addr, who, sizeof who);
    else
        snprintf(who, sizeof who, "%zu hosts", nhosts);
    snprintf(line, sizeof line, "%s OS detection (try #%d) against %s",
             round == 0 ? "Initiating" : "Retrying", round + 1, who);
    struct task_event ev = {.kind = TASK_NOTE, .task = "OS detection", .text = line};
    clock_gettime(CLOCK_REALTIME, &ev.time);
    sink_task(next, &ev);
}

/* Detect the OS of hosts[0..n), all at once: try 1 of every host in one
 * probe run; then, as nmap, more tries for the hosts with no perfect match,
 * each scored alone, the best kept and all of them merged in the printed
 * fingerprint. The later tries (new SEQ trains) of all hosts go out
 * together in one more run; only those of a host with a global IP ID
 * counter are spread over runs (tries_overlap). */
static void detect(struct os_stage *s, struct host_result *hosts, size_t n,
                   const struct result_sink *next)
{
    int maxt = s->job.max_tries < 1 ? 1 : s->job.max_tries;
    struct os_try *tries = calloc(n * (size_t)maxt, sizeof *tries);
    size_t *ntries = calloc(n, sizeof *ntries), *want = calloc(n, sizeof *want);
    struct os_target *batch = calloc(n * (size_t)maxt, sizeof *batch);
    size_t *owner = calloc(n * (size_t)maxt, sizeof *owner);
    if (!tries || !ntries || !want || !batch || !owner) {
        log_error("os", "out of memory: OS detection skipped for %zu hosts", n);
        goto out;
    }
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
        want[i] = 1;
    }
    for (int round = 0;; round++) {
        size_t nb = 0;
        for (size_t i = 0; i < n; i++) {
            if (ntries[i] >= want[i])
                continue;
            /* Round 0: try 1 of every host; later rounds: every try still
             * wanted, or one at a time for hosts whose tries must not overlap. */
            size_t k =
                round == 0 || tries_overlap(&tries[i * (size_t)maxt]) ? want[i] - ntries[i] : 1;
            const struct host_result *h = &hosts[i];
            int open, closed, cu;
            pick_ports(h, &open, &closed, &cu);
            for (size_t c = 0; c < k; c++) {
                struct os_target *t = &batch[nb];
                memset(t, 0, sizeof *t);
                t->addr = h->addr;
                t->open_tcp = open > 0 ? (uint16_t)open : 0;
                t->closed_tcp = closed > 0 ? (uint16_t)closed : 0;
                t->closed_udp = cu > 0 ? (uint16_t)cu : 0;
                t->timeout_us = h->timeout_us > 0 ? h->timeout_us : 1000000;
                /* Try 1 resends an unanswered probe up to --max-os-tries
                 * times. A later try sends only a new SEQ train and takes
                 * the other answers from try 1: only SEQ (ISNs, IP IDs,
                 * timestamps) differs between nmap's tries of a host. */
                t->max_sends = round == 0 ? maxt : 1;
                if (round > 0)
                    t->reuse = &tries[i * (size_t)maxt].tgt;
                owner[nb++] = i;
            }
        }
        if (nb == 0 || (s->stop && *s->stop))
            break;
        if (s->job.verbose > 0 || s->job.debug > 0)
            note_try(next, hosts, owner, nb, round);
        char err[256];
        if (os_probe_run(batch, nb, s->stop, err, sizeof err) < 0) {
            log_error("os", "%s", err);
            break;
        }
        for (size_t k = 0; k < nb; k++) {
            size_t i = owner[k];
            struct os_try *t = &tries[i * (size_t)maxt + ntries[i]];
            t->tgt = batch[k];
            score(s, t);
            if (round == 0) {
                ntries[i]++;
                want[i] = (size_t)tries_for(s, t, &hosts[i]);
            } else if (t->si.responses < tries[i * (size_t)maxt].si.responses) {
                /* A train that lost answers try 1 got (trains sent together
                 * can overload one small listener: many addresses of one
                 * kernel) is dropped, not scored: with fewer SEQ values it
                 * compares fewer points and could rank above a full try.
                 * nmap's one-at-a-time tries do not lose them. */
                want[i]--;
            } else {
                ntries[i]++;
                if (tries_for(s, t, &hosts[i]) == 1)
                    want[i] = ntries[i]; /* a perfect match ends the host's tries */
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!ntries[i])
            continue;
        struct os_try *tr = &tries[i * (size_t)maxt];
        /* Only a host that answered: its entry is in the table, and a
         * -Pn host that is not there costs no ARP wait. */
        bool answered = false;
        for (int p = 0; p < OSP_COUNT; p++)
            answered |= tr[0].tgt.reply[p].got;
        if (answered)
            mac_from_neigh(&hosts[i]);
        struct os_report_opts o;
        report_opts(s, &hosts[i], &o);
        if (os_report_fill(&hosts[i], s->db, tr, ntries[i], best_try(tr, ntries[i]), &o) < 0)
            log_error("os", "out of memory filling the OS report");
    }
out:
    free(tries);
    free(ntries);
    free(want);
    free(batch);
    free(owner);
}

static void flush(struct os_stage *s, const struct result_sink *next)
{
    size_t per = OS_BATCH_TRIES / (size_t)(s->job.max_tries < 1 ? 1 : s->job.max_tries);
    for (size_t i = 0; i < s->nheld; i += per) {
        size_t k = s->nheld - i < per ? s->nheld - i : per;
        detect(s, &s->held[i], k, next);
        for (size_t j = i; j < i + k; j++)
            sink_host(next, &s->held[j]);
    }
    for (size_t i = 0; i < s->nheld; i++)
        host_result_free(&s->held[i]);
    s->nheld = 0;
}

/* --os-passive: the guess needs no probes, so a host passes on at once. */
static void passive_host(struct os_stage *s, const struct host_result *h,
                         const struct result_sink *next)
{
    if (!h->os_synack || h->os || h->os_fingerprint || h->os_report) {
        sink_host(next, h);
        return;
    }
    /* A shallow copy: only the OS fields the guess fills are c's own, the
     * rest stays borrowed from h (a deep copy of every host of a range
     * was most of the guess's cost). */
    struct host_result c = *h;
    if (os_passive_fill(&c, s->db, s->passive) < 0)
        log_warn("os", "--os-passive: out of memory; no guess for this host");
    /* The SYN-ACK has served: later copies of the host need not carry it. */
    c.os_synack = NULL;
    sink_host(next, &c);
    host_result_free_os(&c);
}

static void os_host(void *state, const struct host_result *h, const struct result_sink *next)
{
    struct os_stage *s = state;
    if (s->job.passive) {
        passive_host(s, h, next);
        return;
    }
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
