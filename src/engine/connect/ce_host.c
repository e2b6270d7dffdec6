/*
 * ce_host.c — per-host state of the connect engine: the port order of a
 * phase, the retry queue, and turning the finished host into the
 * host_result handed to the sink.
 *
 * Memory per host is proportional to its port count (11 bytes per port:
 * order, retry ring, state, reason, tries, time of the last lost try);
 * nothing is kept per target beyond the hosts in the current window.
 */
#include "engine/connect/ce.h"

#include "core/log.h"
#include "core/services.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64 (Steele, Lea, Flood 2014): a full-period generator that turns
 * any seed, even 0 or a counter, into well-mixed output. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Fisher-Yates. A bound of at most 65536 taken from the top 32 bits by
 * multiply-shift has a bias below 2^-16 per draw, far under anything a
 * port order can reveal. */
static void shuffle(uint16_t *a, uint32_t n, uint64_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        a[i] = (uint16_t)i;
    uint64_t s = seed;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(((splitmix64(&s) >> 32) * (uint64_t)(i + 1)) >> 32);
        uint16_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void ce_host_release(struct ce_host *h)
{
    free(h->mem);
    h->mem = NULL;
    h->order = h->rq = NULL;
    h->st = h->rs = h->tries = NULL;
    h->lost_ms = NULL;
    h->nports = 0;
    h->nbench = 0;
}

/* --resume: the record of the host at addr among the partial hosts, or NULL. */
static const struct host_result *partial_of(const struct ce *ce, const struct ipaddr *addr)
{
    const struct scan_resume *r = ce->job->resume;
    for (size_t i = 0; r && i < r->npartial; i++)
        if (ipaddr_equal(&r->partial[i].addr, addr))
            return &r->partial[i];
    return NULL;
}

/* Ports of rec (a partial host of --resume) keep their state; they go to
 * the front of h->order, before next, so they are never taken. */
static void preload(struct ce *ce, struct ce_host *h, const struct host_result *rec)
{
    for (size_t k = 0; k < rec->nports; k++) {
        const struct port_result *p = &rec->ports[k];
        if (p->proto != (uint8_t)ce->mod->proto || p->state == PORT_UNKNOWN)
            continue;
        uint32_t lo = 0, hi = h->nports; /* ports ascending */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (h->ports[mid] < p->port)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < h->nports && h->ports[lo] == p->port && h->st[lo] == PORT_UNKNOWN) {
            h->st[lo] = p->state;
            h->rs[lo] = p->reason;
            h->ndone++;
        }
    }
    uint32_t w = 0;
    for (uint32_t i = 0; i < h->nports; i++) /* stable: decided first */
        if (h->st[h->order[i]] != PORT_UNKNOWN)
            w++;
    uint16_t *tmp = malloc((size_t)h->nports * sizeof(*tmp));
    if (!tmp) { /* then they are probed again: correct, only slower */
        for (uint32_t i = 0; i < h->nports; i++)
            h->st[i] = PORT_UNKNOWN;
        h->ndone = 0;
        return;
    }
    uint32_t a = 0, b = w;
    for (uint32_t i = 0; i < h->nports; i++) {
        uint16_t idx = h->order[i];
        tmp[h->st[idx] != PORT_UNKNOWN ? a++ : b++] = idx;
    }
    memcpy(h->order, tmp, (size_t)h->nports * sizeof(*tmp));
    free(tmp);
    h->next = w;
}

int ce_host_phase(struct ce *ce, struct ce_host *h, enum ce_phase phase, const uint16_t *ports,
                  uint32_t n)
{
    ce_host_release(h);
    h->phase = phase;
    h->gen++;
    h->ports = ports;
    h->nports = n;
    h->next = h->ndone = 0;
    h->rq_head = h->rq_len = 0;
    h->nbench = 0;
    h->last_call = false;
    if (n == 0)
        return 0;
    /* Indices are stored in 16 bits: a port list has at most 65536 entries. */
    bool shuffled = phase == CE_PORTS && ce->job->randomize_ports && n > 1;
    const struct host_result *rec = phase == CE_PORTS ? partial_of(ce, &h->tgt.addr) : NULL;
    bool ordered = shuffled || rec; /* an order array: preload() reorders it */
    size_t words = (size_t)n * (ordered ? 2 : 1);
    size_t bytes = (size_t)n * sizeof(uint32_t) + words * sizeof(uint16_t) + 3 * (size_t)n;
    uint8_t *m = calloc(1, bytes);
    if (!m)
        return -1;
    h->mem = m;
    h->lost_ms = (uint32_t *)m; /* first: the widest alignment */
    m += (size_t)n * sizeof(uint32_t);
    h->rq = (uint16_t *)m;
    h->order = ordered ? h->rq + n : NULL;
    h->st = m + words * sizeof(uint16_t);
    h->rs = h->st + n;
    h->tries = h->rs + n;
    if (shuffled) {
        uint64_t s = ce->seed ^ (h->seq * 0xd1b54a32d192ed03ULL);
        shuffle(h->order, n, splitmix64(&s));
    } else if (rec) {
        for (uint32_t i = 0; i < n; i++)
            h->order[i] = (uint16_t)i;
    }
    if (rec)
        preload(ce, h, rec);
    return 0;
}

bool ce_host_has_work(const struct ce_host *h)
{
    return h->rq_len > 0 || h->next < h->nports;
}

uint32_t ce_host_take(struct ce_host *h)
{
    if (h->rq_len > 0) {
        uint32_t idx = h->rq[h->rq_head];
        h->rq_head = h->rq_head + 1 == h->nports ? 0 : h->rq_head + 1;
        h->rq_len--;
        return idx;
    }
    uint32_t pos = h->next++;
    return h->order ? h->order[pos] : pos;
}

void ce_host_requeue(struct ce_host *h, uint32_t idx)
{
    /* Each index is in at most one place (fresh, in flight, queued, done),
     * so the ring never holds more than nports entries. */
    uint32_t tail = h->rq_head + h->rq_len;
    if (tail >= h->nports)
        tail -= h->nports;
    h->rq[tail] = (uint16_t)idx;
    h->rq_len++;
}

void ce_host_bench(struct ce_host *h, uint32_t idx)
{
    h->st[idx] = CE_BENCHED;
    h->nbench++;
}

uint32_t ce_host_unbench(struct ce_host *h)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < h->nports && n < h->nbench; i++) {
        if (h->st[i] != CE_BENCHED)
            continue;
        h->st[i] = PORT_UNKNOWN;
        ce_host_requeue(h, i);
        n++;
    }
    h->nbench = 0;
    return n;
}

void ce_host_deliver(struct ce *ce, struct ce_host *h, bool interrupted, char *rdns)
{
    const struct connect_job *job = ce->job;
    struct host_result r;
    host_result_init(&r, &h->tgt.addr);
    r.hostname = h->tgt.hostname;
    r.other_addrs = h->tgt.other_addrs;
    r.status = h->status;
    r.status_reason = h->status_reason;
    r.timed_out = h->timed_out;
    r.interrupted = interrupted;
    r.start = h->start;
    clock_gettime(CLOCK_REALTIME, &r.end);
    if (h->rtt.have_sample) {
        r.srtt_us = h->rtt.srtt_us;
        r.rttvar_us = h->rtt.rttvar_us;
        r.timeout_us = rtt_timeout_us(&h->rtt);
    }
    r.rdns = rdns; /* resolved by the loop (connect_engine.c), freed below */

    /* nmap prints no ports for a host that hit --host-timeout. */
    if (h->phase == CE_PORTS && !h->timed_out && h->nports > 0) {
        size_t n = h->ndone; /* all of them unless interrupted */
        r.ports = n ? malloc(n * sizeof(*r.ports)) : NULL;
        if (n && !r.ports) {
            log_error("connect", "out of memory for the results of a host");
        } else {
            r.cap = n;
            int ipproto = port_proto_ipproto(ce->mod->proto);
            for (uint32_t i = 0; i < h->nports && r.nports < n; i++) {
                if (h->st[i] == PORT_UNKNOWN || h->st[i] == CE_BENCHED)
                    continue; /* not decided (Ctrl-C) */
                struct port_result *p = &r.ports[r.nports++];
                memset(p, 0, sizeof(*p));
                p->port = h->ports[i];
                p->proto = (uint8_t)ce->mod->proto;
                p->state = h->st[i];
                p->reason = h->rs[i];
                p->service = job->services ? services_name(job->services, p->port, ipproto) : NULL;
            }
            /* Ports Ctrl-C left without a state: counted, never given one. */
            r.ports_unscanned = interrupted ? (uint32_t)(h->nports - r.nports) : 0;
        }
    }

    if (ce->sink && ce->sink->host)
        ce->sink->host(ce->sink->ctx, &r);
    host_result_free(&r);
}
