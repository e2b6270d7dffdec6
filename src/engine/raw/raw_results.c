/*
 * raw_results.c — the aggregator's view of a raw scan: a hash map from
 * address index to the hosts that answered (4 bytes per scanned port each),
 * so memory follows the responders, never the target count; and delivery
 * of every target as a complete host record: with early delivery on
 * (raw_results_early), a host as soon as every probe of it is answered,
 * the rest at the end.
 */
#include "engine/raw/raw_internal.h"
#include "core/clock.h"
#include "engine/raw/raw_pace.h"

#include "core/log.h"
#include "core/rdns.h"
#include "core/services.h"

#include <stdlib.h>
#include <string.h>

#define CELL_ANSWERED RAW_CELL_ANSWERED

/* One per answering host, 40 bytes: a /16 of responders is 2.5 MiB. The
 * cells live in the record when they fit (nentries <= CELLS_INLINE: ping
 * scans, a port or two), else in their own allocation. */
#define CELLS_INLINE 2
struct raw_host {
    uint64_t addr_idx;
    union {
        uint32_t *p; /* nentries > CELLS_INLINE */
        uint32_t in[CELLS_INLINE];
    } cells;
    uint32_t unreach1;          /* 1 + first entry answered with a port unreachable, 0 if none */
    int32_t srtt_us, rttvar_us; /* srtt_us < 0: no sample */
    uint32_t nanswered;         /* cells answered: all of them = complete */
    uint8_t status_reason, status_ttl;
    uint8_t flags; /* HOST_DELIVERED, HOST_FROM */
};

#define HOST_DELIVERED 1 /* handed to the sink early: not again at the end */
#define HOST_FROM      2 /* has a reason address (struct raw_from): delivered at the end */

static uint32_t *cells(const struct raw_results *r, struct raw_host *h);

/* A port decided by an ICMP error from another address than the target
 * (RAW_REPLY_FROM): that address, nmap's reason_ip. Kept apart from the
 * cells, which stay 4 bytes, since few ports have one: a scan behind a
 * rejecting firewall has one per rejected port, a scan of a LAN none. */
struct raw_from {
    uint64_t addr_idx;
    uint32_t entry;
    struct ipaddr from;
};

struct raw_results {
    uint32_t nentries;
    bool inline_cells;
    struct raw_host *hosts;
    size_t nhosts, cap;
    uint32_t *unreach; /* indices of hosts with unreach1 set, in that order */
    size_t nunreach, unreach_cap;
    struct raw_from *from; /* in arrival order; sorted by (host, entry) at delivery */
    size_t nfrom, from_cap;
    uint32_t *table; /* open addressing: host index + 1, 0 = empty */
    size_t tsize;    /* power of two */
    uint64_t answers, open;
    struct rtt_est rtt;
    struct pipeline *early; /* early delivery (raw_results_early), or NULL */
    uint64_t *ready;        /* complete hosts (address index) waiting for raw_results_pump */
    size_t ready_head, nready, ready_cap;
    uint64_t delivered; /* hosts handed to the sink so far */
};

struct pipeline;
static int early_offer(struct raw_results *r, struct raw_host *h);
static int pipe_finish(struct pipeline *p, int rc);

/* splitmix64's finaliser: consecutive indices spread over the table. */
static uint64_t hash64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* RTT bounds for the estimators: wide, since only the samples matter here. */
static void rtt_wide(struct rtt_est *e)
{
    rtt_init(e, 0, INT64_MAX / 4, 1000000);
}

static uint32_t *cells(const struct raw_results *r, struct raw_host *h)
{
    return r->inline_cells ? h->cells.in : h->cells.p;
}

static const uint32_t *ccells(const struct raw_results *r, const struct raw_host *h)
{
    return r->inline_cells ? h->cells.in : h->cells.p;
}

static int32_t clamp32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* The host's RTT estimate, kept in 8 bytes (us, up to 35 minutes). */
static void host_rtt_update(struct raw_host *h, int64_t sample_us)
{
    struct rtt_est e;
    rtt_wide(&e);
    if (h->srtt_us >= 0) {
        e.srtt_us = h->srtt_us;
        e.rttvar_us = h->rttvar_us;
        e.have_sample = true;
    }
    rtt_update(&e, sample_us);
    h->srtt_us = clamp32(e.srtt_us);
    h->rttvar_us = clamp32(e.rttvar_us);
}

struct raw_results *raw_results_new(uint32_t nentries)
{
    struct raw_results *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->nentries = nentries;
    r->inline_cells = nentries <= CELLS_INLINE;
    r->tsize = 64;
    r->table = calloc(r->tsize, sizeof(*r->table));
    if (!r->table) {
        free(r);
        return NULL;
    }
    rtt_wide(&r->rtt);
    return r;
}

void raw_results_free(struct raw_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; !r->inline_cells && i < r->nhosts; i++)
        free(r->hosts[i].cells.p);
    free(r->hosts);
    free(r->table);
    free(r->unreach);
    free(r->from);
    if (r->early) {
        pipe_finish(r->early, -1);
        free(r->early);
    }
    free(r->ready);
    free(r);
}

uint64_t raw_results_answers(const struct raw_results *r)
{
    return r->answers;
}

uint64_t raw_results_open(const struct raw_results *r)
{
    return r->open;
}

uint64_t raw_results_hosts(const struct raw_results *r)
{
    return r->nhosts;
}

const struct rtt_est *raw_results_rtt(const struct raw_results *r)
{
    return &r->rtt;
}

static int grow_table(struct raw_results *r)
{
    size_t n = r->tsize * 2;
    uint32_t *t = calloc(n, sizeof(*t));
    if (!t)
        return -1;
    for (size_t i = 0; i < r->nhosts; i++) {
        size_t s = hash64(r->hosts[i].addr_idx) & (n - 1);
        while (t[s])
            s = (s + 1) & (n - 1);
        t[s] = (uint32_t)i + 1;
    }
    free(r->table);
    r->table = t;
    r->tsize = n;
    return 0;
}

static struct raw_host *find_or_add(struct raw_results *r, uint64_t addr_idx)
{
    size_t s = hash64(addr_idx) & (r->tsize - 1);
    for (; r->table[s]; s = (s + 1) & (r->tsize - 1))
        if (r->hosts[r->table[s] - 1].addr_idx == addr_idx)
            return &r->hosts[r->table[s] - 1];
    if (r->nhosts >= UINT32_MAX - 1)
        return NULL;
    if (r->nhosts == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct raw_host *h = realloc(r->hosts, cap * sizeof(*h));
        if (!h)
            return NULL;
        r->hosts = h;
        r->cap = cap;
    }
    struct raw_host *h = &r->hosts[r->nhosts];
    memset(h, 0, sizeof(*h));
    h->addr_idx = addr_idx;
    h->srtt_us = h->rttvar_us = -1;
    if (!r->inline_cells && !(h->cells.p = calloc(r->nentries, sizeof(uint32_t))))
        return NULL;
    r->table[s] = (uint32_t)++r->nhosts;
    /* Load at most 1/2: short probe sequences. */
    if (r->nhosts * 2 > r->tsize && grow_table(r) < 0)
        return NULL;
    return &r->hosts[r->nhosts - 1];
}

static struct raw_host *find(const struct raw_results *r, uint64_t addr_idx)
{
    for (size_t s = hash64(addr_idx) & (r->tsize - 1); r->table[s]; s = (s + 1) & (r->tsize - 1))
        if (r->hosts[r->table[s] - 1].addr_idx == addr_idx)
            return &r->hosts[r->table[s] - 1];
    return NULL;
}

uint32_t raw_results_cell(const struct raw_results *r, uint64_t addr_idx, uint32_t entry)
{
    const struct raw_host *h = entry < r->nentries ? find(r, addr_idx) : NULL;
    return h ? ccells(r, h)[entry] : 0;
}

uint64_t raw_results_host_addr(const struct raw_results *r, size_t i)
{
    return r->hosts[i].addr_idx;
}

size_t raw_results_unreach_hosts(const struct raw_results *r)
{
    return r->nunreach;
}

void raw_results_unreach_host(const struct raw_results *r, size_t i, uint64_t *addr_idx,
                              uint32_t *entry)
{
    const struct raw_host *h = &r->hosts[r->unreach[i]];
    *addr_idx = h->addr_idx;
    *entry = h->unreach1 - 1;
}

/* Remember h as a host that sends port unreachables (entry e says so). */
static int note_unreach(struct raw_results *r, struct raw_host *h, uint32_t e)
{
    if (h->unreach1)
        return 0;
    if (r->nunreach == r->unreach_cap) {
        size_t cap = r->unreach_cap ? r->unreach_cap * 2 : 16;
        uint32_t *u = realloc(r->unreach, cap * sizeof(*u));
        if (!u)
            return -1;
        r->unreach = u;
        r->unreach_cap = cap;
    }
    h->unreach1 = e + 1;
    r->unreach[r->nunreach++] = (uint32_t)(h - r->hosts);
    return 0;
}

static int note_from(struct raw_results *r, const struct raw_reply *rep)
{
    if (r->nfrom == r->from_cap) {
        size_t cap = r->from_cap ? r->from_cap * 2 : 16;
        struct raw_from *f = realloc(r->from, cap * sizeof(*f));
        if (!f)
            return -1;
        r->from = f;
        r->from_cap = cap;
    }
    r->from[r->nfrom++] = (struct raw_from){rep->addr_idx, rep->entry, rep->from};
    return 0;
}

int raw_results_add(struct raw_results *r, const struct raw_reply *rep)
{
    if (rep->entry >= r->nentries)
        return 0;
    struct raw_host *h = find_or_add(r, rep->addr_idx);
    if (!h)
        return -1;
    uint32_t *cell = &cells(r, h)[rep->entry];
    if (*cell & CELL_ANSWERED)
        return 0; /* the first answer decides the port, as nmap's */
    if (rep->rtt_us >= 0) {
        host_rtt_update(h, rep->rtt_us);
        rtt_update(&r->rtt, rep->rtt_us);
    }
    if (h->status_reason == 0) { /* the host's first reply says why it is up */
        h->status_reason = rep->reason;
        h->status_ttl = rep->ttl;
    }
    *cell = rep->state | (uint32_t)rep->reason << 8 | (uint32_t)rep->ttl << 16 | CELL_ANSWERED;
    /* Only a UDP probe is closed by a port unreachable (TCP: filtered). */
    if (rep->state == PORT_CLOSED && rep->reason == REASON_PORT_UNREACH &&
        note_unreach(r, h, rep->entry) < 0)
        return -1;
    if (rep->flags & RAW_REPLY_FROM) {
        h->flags |= HOST_FROM;
        if (note_from(r, rep) < 0)
            return -1;
    }
    r->answers++;
    r->open += rep->state == PORT_OPEN;
    if (++h->nanswered == r->nentries && r->early && early_offer(r, h) < 0)
        return -1;
    return 1;
}

static int cmp_host(const void *a, const void *b)
{
    const struct raw_host *x = a, *y = b;
    return x->addr_idx < y->addr_idx ? -1 : x->addr_idx > y->addr_idx;
}

static int cmp_from(const void *a, const void *b)
{
    const struct raw_from *x = a, *y = b;
    if (x->addr_idx != y->addr_idx)
        return x->addr_idx < y->addr_idx ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* The first of host addr_idx's reason addresses in the sorted r->from,
 * or r->nfrom if it has none. */
static size_t from_first(const struct raw_results *r, uint64_t addr_idx)
{
    size_t lo = 0, hi = r->nfrom;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->from[mid].addr_idx < addr_idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is the probe (addr_idx, entry) in our shard? */
static bool in_shard(const struct raw_deliver *d, uint64_t addr_idx, uint32_t entry)
{
    if (d->nshards <= 1)
        return true;
    if (d->shard_by_addr)
        return addr_idx % d->nshards == d->shard;
    uint64_t i = permute_unmap(d->perm, (uint64_t)entry * d->naddrs + addr_idx);
    return i % d->nshards == d->shard;
}

/* Did the host's --host-timeout pass before all its probes were decided? */
static bool timed_out(const struct raw_results *res, const struct raw_deliver *d, uint64_t addr_idx,
                      const struct raw_host *h)
{
    if (!raw_skipped(d->tmo, d->ntmo, addr_idx))
        return false;
    for (uint32_t i = 0; i < d->nentries; i++)
        if (!(h && (ccells(res, h)[i] & CELL_ANSWERED)) && in_shard(d, addr_idx, i))
            return true;
    return false;
}

/* Is this host reported up (and so, by default, resolved)? */
static bool host_up(const struct raw_deliver *d, const struct raw_host *h)
{
    return h || d->job->assume_up;
}

/* Deliver one host; rdns (owned, may be NULL) is its reverse-DNS name.
 * early: it goes out while the scan runs (host_result.early). */
static int deliver_one(const struct raw_results *res, const struct raw_deliver *d,
                       const struct target *t, uint64_t addr_idx, const struct raw_host *h,
                       char *rdns, bool early)
{
    const struct raw_job *job = d->job;
    struct host_result r;
    host_result_init(&r, &t->addr);
    r.hostname = t->hostname;
    r.other_addrs = t->other_addrs;
    r.order = addr_idx;
    r.early = early;
    /* A host of a finished group is whole although the scan stopped. */
    bool cut = d->interrupted && !(d->shard_by_addr && addr_idx / d->nshards < d->done_j);
    r.interrupted = cut;
    r.start = d->start;
    clock_gettime(CLOCK_REALTIME, &r.end);
    bool with_ports = true;
    if (h) {
        r.status = HOST_UP;
        /* With -Pn nmap says "user-set" even for hosts that answered. */
        r.status_reason = job->assume_up ? REASON_USER_SET : h->status_reason;
        r.status_ttl = job->assume_up ? 0 : h->status_ttl;
        if (h->srtt_us >= 0) {
            r.srtt_us = h->srtt_us;
            r.rttvar_us = h->rttvar_us;
            /* nmap's <times to>: srtt + 4 rttvar held within --min-rtt-timeout
             * and --max-rtt-timeout (100000 on a LAN by default), as its
             * timing.cc bounds the timeout it reports. */
            int64_t to = (int64_t)h->srtt_us + 4 * (int64_t)h->rttvar_us;
            int64_t lo = (int64_t)job->timing.min_rtt_ms * 1000;
            int64_t hi = (int64_t)job->timing.max_rtt_ms * 1000;
            r.timeout_us = to < lo ? lo : hi > 0 && to > hi ? hi : to;
        }
    } else if (job->assume_up) {
        r.status = HOST_UP; /* -Pn: nmap reports it up, "user-set" */
        r.status_reason = REASON_USER_SET;
    } else {
        r.status = HOST_DOWN;
        r.status_reason = REASON_NO_RESPONSE;
        with_ports = false; /* nmap shows no ports for a down host */
    }
    r.rdns = rdns;
    if (d->synacks && r.status == HOST_UP) /* ownership moves into r */
        r.os_synack = atomic_exchange_explicit(&d->synacks[addr_idx], NULL, memory_order_relaxed);
    if (d->ntmo && timed_out(res, d, addr_idx, h)) {
        r.timed_out = true; /* nmap: "Skipping host ... due to host timeout", no ports */
        with_ports = false;
    }

    int rc = 0;
    size_t fi = with_ports && h ? from_first(res, addr_idx) : res->nfrom;
    for (uint32_t i = 0; with_ports && i < d->nentries; i++) {
        const struct raw_probe *pr = &d->probes[i];
        uint32_t cell = h ? ccells(res, h)[i] : 0;
        bool answered = cell & CELL_ANSWERED;
        /* Interrupted: what was found only, as the connect engine does. */
        if (!in_shard(d, addr_idx, i))
            continue;
        if (!answered && cut) {
            /* Maybe never sent, maybe still awaited: no state, counted. */
            r.ports_unscanned++;
            continue;
        }
        struct port_result p;
        memset(&p, 0, sizeof(p));
        p.port = pr->port;
        p.proto = pr->proto;
        p.state = answered ? (uint8_t)(cell & 0xff) : (uint8_t)pr->mod->silence_state;
        p.reason = answered ? (uint8_t)(cell >> 8) : (uint8_t)pr->mod->silence_reason;
        p.reason_ttl = answered ? (uint8_t)(cell >> 16) : 0;
        p.service = job->services ? services_name(job->services, p.port,
                                                  port_proto_ipproto((enum port_proto)pr->proto))
                                  : NULL;
        while (fi < res->nfrom && res->from[fi].addr_idx == addr_idx && res->from[fi].entry < i)
            fi++;
        if (answered && fi < res->nfrom && res->from[fi].addr_idx == addr_idx &&
            res->from[fi].entry == i) {
            struct port_detail *pd = port_result_detail(&p);
            if (!pd) {
                rc = -1;
                break;
            }
            pd->have_reason_ip = true;
            pd->reason_ip = res->from[fi].from;
        }
        if (host_result_add_port(&r, &p) < 0) {
            free(p.detail);
            rc = -1;
            break;
        }
    }
    /* Every port of it decided before the signal: the host is whole. */
    if (cut && with_ports && r.ports_unscanned == 0)
        r.interrupted = false;
    if (d->sink && d->sink->host)
        d->sink->host(d->sink->ctx, &r);
    host_result_free(&r);
    return rc;
}

/*
 * Reverse DNS ahead of delivery. Hosts are queued with their lookups
 * running on the rdns pool, up to RDNS_WINDOW of them, and the oldest is
 * delivered (waiting for its name, at most the pool's per-lookup deadline)
 * when the window is full or at the end. One slow name then costs its own
 * wait, overlapped with RDNS_WINDOW - 1 others, instead of serial lookups.
 * Early delivery (raw_results_early) never waits while the scan runs: it
 * delivers the oldest hosts whose names have come, and leaves a host for
 * the end when the window is full.
 */
#define RDNS_WINDOW            256
#define RDNS_INTERRUPT_TIMEOUT 500000 /* us: after Ctrl-C, names are a courtesy */

struct pending {
    struct target t;
    uint64_t addr_idx;
    const struct raw_host *h; /* NULL: early (looked up at delivery) or no answer */
    bool early;
    int64_t dns; /* rdns handle, -1 = no lookup */
};

struct pipeline {
    struct raw_results *res;
    const struct raw_deliver *d;
    struct raw_deliver own; /* early delivery: d points here */
    struct rdns *rdns;      /* NULL: no names (-n, or no pool) */
    struct pending q[RDNS_WINDOW];
    size_t head, len;
};

/* Deliver the oldest queued host, whose lookup is over (name: owned). */
static int pipe_deliver_head(struct pipeline *p, char *name)
{
    struct pending *e = &p->q[p->head];
    p->head = (p->head + 1) % RDNS_WINDOW;
    p->len--;
    /* An early host is found again by address: the array may have grown
     * since it was queued (the table is valid until the final sort). */
    const struct raw_host *h = e->early ? find(p->res, e->addr_idx) : e->h;
    p->res->delivered++;
    return deliver_one(p->res, p->d, &e->t, e->addr_idx, h, name, e->early);
}

static int pipe_pop(struct pipeline *p)
{
    struct pending *e = &p->q[p->head];
    char *name = NULL;
    if (e->dns >= 0)
        rdns_collect(p->rdns, e->dns, true, clock_mono_us(), &name, NULL);
    return pipe_deliver_head(p, name);
}

/* Deliver the oldest queued hosts whose names have come; never waits. */
static int pipe_poll(struct pipeline *p)
{
    int rc = 0;
    while (rc == 0 && p->len > 0) {
        struct pending *e = &p->q[p->head];
        char *name = NULL;
        if (e->dns >= 0 && rdns_collect(p->rdns, e->dns, false, clock_mono_us(), &name, NULL) == 0)
            break;
        rc = pipe_deliver_head(p, name);
    }
    return rc;
}

/* Queue a host (up: it is reported up); pops the oldest when full. */
static int pipe_push(struct pipeline *p, const struct target *t, uint64_t addr_idx,
                     const struct raw_host *h, bool early)
{
    int rc = p->len == RDNS_WINDOW ? pipe_pop(p) : 0;
    struct pending *e = &p->q[(p->head + p->len) % RDNS_WINDOW];
    p->len++;
    e->t = *t;
    e->addr_idx = addr_idx;
    e->h = early ? NULL : h;
    e->early = early;
    enum dns_mode m = p->d->job->dns;
    bool want = m == DNS_ALWAYS || (m == DNS_UP_HOSTS && (early || host_up(p->d, h)));
    e->dns = want && p->rdns ? rdns_submit(p->rdns, &t->addr) : -1;
    return rc;
}

static void pipe_init(struct pipeline *p, const struct raw_deliver *d)
{
    p->d = d;
    p->head = p->len = 0;
    p->rdns = NULL;
    if (d->job->dns == DNS_NEVER)
        return;
    struct rdns_opts o = {.max_threads = RDNS_DEFAULT_THREADS,
                          .max_pending = RDNS_WINDOW,
                          .timeout_us = d->interrupted ? RDNS_INTERRUPT_TIMEOUT : 0};
    p->rdns = rdns_new(&o);
    if (!p->rdns)
        log_debug("raw", "no reverse-DNS pool (out of resources); hosts go without names");
}

/* Deliver what is queued, then release the pool. */
static int pipe_finish(struct pipeline *p, int rc)
{
    while (p->len > 0) {
        if (rc == 0) {
            rc = pipe_pop(p);
        } else {
            if (p->q[p->head].dns >= 0)
                rdns_cancel(p->rdns, p->q[p->head].dns);
            p->head = (p->head + 1) % RDNS_WINDOW;
            p->len--;
        }
    }
    rdns_free(p->rdns);
    p->rdns = NULL;
    return rc;
}

int raw_results_early(struct raw_results *r, const struct raw_deliver *d)
{
    /* Sharded by probe, a host's probes are spread over the shards: which
     * of its cells are ours is not known from a count. */
    if (r->early || (d->nshards > 1 && !d->shard_by_addr))
        return 0;
    struct pipeline *p = malloc(sizeof(*p));
    if (!p)
        return -1;
    p->own = *d;
    p->own.interrupted = false; /* a complete host is whole either way */
    p->own.tmo = NULL;
    p->own.ntmo = 0;
    pipe_init(p, &p->own);
    p->res = r;
    r->early = p;
    return 0;
}

uint64_t raw_results_delivered(const struct raw_results *r)
{
    return r->delivered;
}

/* Every probe of h is answered (and no ICMP error came from a third
 * address: those are matched to ports at the end): it is ready to go, at
 * the aggregator's next idle moment (raw_results_pump). */
static int early_offer(struct raw_results *r, struct raw_host *h)
{
    if (h->flags & HOST_FROM)
        return 0;
    if (r->ready_head > 0 && r->ready_head == r->nready)
        r->ready_head = r->nready = 0;
    if (r->nready == r->ready_cap) {
        size_t cap = r->ready_cap ? r->ready_cap * 2 : 256;
        uint64_t *q = realloc(r->ready, cap * sizeof(*q));
        if (!q)
            return 0; /* it goes at the end instead */
        r->ready = q;
        r->ready_cap = cap;
    }
    h->flags |= HOST_DELIVERED;
    r->ready[r->nready++] = h->addr_idx;
    return 0;
}

/* Queue the next ready host into the pipeline; 0 when there was none or
 * the window is full (and !block). */
static int ready_push(struct raw_results *r, bool block, int *rc)
{
    struct pipeline *p = r->early;
    if (r->ready_head == r->nready || (!block && p->len == RDNS_WINDOW))
        return 0;
    uint64_t a = r->ready[r->ready_head++];
    struct target t;
    if (target_set_at(p->d->job->targets, a, &t) == 0) {
        int e = pipe_push(p, &t, a, NULL, true);
        if (e < 0)
            *rc = e;
    }
    return 1;
}

int raw_results_pump(struct raw_results *r, int64_t until_ns)
{
    if (!r->early)
        return 0;
    int rc = 0, n = 0;
    uint64_t before = r->delivered;
    while (rc == 0) {
        rc = pipe_poll(r->early);
        if (rc < 0 || !ready_push(r, false, &rc) ||
            ((++n & 15) == 0 && clock_mono_ns() >= until_ns))
            break;
    }
    if (rc == 0)
        rc = pipe_poll(r->early);
    return rc < 0 ? rc : r->delivered > before;
}

int raw_results_deliver(struct raw_results *r, const struct raw_deliver *d)
{
    int early_rc = 0;
    if (r->early) {
        /* The complete hosts not out yet, and those waiting for names. */
        while (early_rc == 0 && ready_push(r, true, &early_rc))
            ;
        early_rc = pipe_finish(r->early, early_rc);
        free(r->early);
        r->early = NULL;
    }
    if (r->nhosts > 1)
        qsort(r->hosts, r->nhosts, sizeof(*r->hosts), cmp_host);
    if (r->nfrom > 1)
        qsort(r->from, r->nfrom, sizeof(*r->from), cmp_from);
    /* (The table is stale from here on; delivery is the last use.) */
    const struct target_set *set = d->job->targets;
    int rc = 0;
    struct pipeline *p = malloc(sizeof(*p));
    if (!p)
        return -1;
    pipe_init(p, d);
    p->res = r;
    if (d->interrupted) {
        /* Only what is known: the hosts that answered. */
        for (size_t i = 0; i < r->nhosts && rc == 0; i++) {
            struct target t;
            if (!(r->hosts[i].flags & HOST_DELIVERED) &&
                target_set_at(set, r->hosts[i].addr_idx, &t) == 0)
                rc = pipe_push(p, &t, r->hosts[i].addr_idx, &r->hosts[i], false);
        }
        rc = pipe_finish(p, rc);
        free(p);
        return rc < 0 ? rc : early_rc;
    }
    /* Every target in index order, merged with the sorted responders. */
    size_t next = 0;
    for (uint64_t a = 0; a < d->naddrs && rc == 0; a++) {
        struct target t;
        if (target_set_at(set, a, &t) < 0)
            break;
        while (next < r->nhosts && r->hosts[next].addr_idx < a)
            next++;
        const struct raw_host *h =
            next < r->nhosts && r->hosts[next].addr_idx == a ? &r->hosts[next] : NULL;
        if (h && (h->flags & HOST_DELIVERED))
            continue;
        if (!h && (target_set_is_excluded(set, &t.addr) || raw_skipped(d->skip, d->nskip, a) ||
                   (d->shard_by_addr && a % d->nshards != d->shard)))
            continue;
        rc = pipe_push(p, &t, a, h, false);
    }
    rc = pipe_finish(p, rc);
    free(p);
    if (rc < 0 || early_rc < 0)
        log_error("raw", "out of memory for the results of a host");
    return rc < 0 ? rc : early_rc;
}
