/*
 * discovery.c — the host discovery stage (discovery.h): targets sorted by
 * route, ARP/ND on local links, IP probes through the raw engine or the
 * connect() ping, and the MACs of up hosts on the local link.
 *
 * Targets are sorted per spec: the first and last address are looked up
 * and a spec whose ends agree is taken whole; a spec whose ends differ (it
 * straddles the local link) is looked up address by address when it is
 * small enough (ENUM_MAX), else treated as off-link.
 */
#include "engine/discovery/discovery.h"

#include "core/log.h"
#include "core/rtt.h"
#include "engine/discovery/arp_ping.h"
#include "engine/connect/connect_engine.h"
#include "engine/raw/raw_engine.h"
#include "net/route.h"
#include "scan/disc_modules.h"
#include "scan/scan_module.h"

#include <inttypes.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENUM_MAX       (1u << 20) /* addresses handled one by one, at most */
#define SPEC_ROUTE_MAX 65536      /* specs whose route is looked up */
#define MAX_GROUPS     8          /* (interface, family) pairs for ARP/ND */
#define MAC_TIMEOUT_MS 200        /* neighbour-table miss after IP discovery */

static int32_t us32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

struct arp_group {
    struct route_info ri;
    struct arp_target *t;
    size_t n, cap;
};

enum kind { K_NOROUTE, K_LOCAL, K_ARP, K_IP };

/* One run of the stage. */
struct disc {
    const struct disc_job *job;
    struct disc_result *res;
    struct arp_group grp[MAX_GROUPS];
    size_t ngrp;
    struct ipaddr *own; /* the scanner's own addresses (route_local_addrs) */
    size_t nown;
    struct disc_range *ip; /* index ranges for the IP probes */
    size_t nip, capip;
    uint64_t nip_addrs;
    bool oom;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (q)
        *cap = c;
    return q;
}

static int cmp_up(const void *a, const void *b)
{
    const struct disc_up *x = a, *y = b;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by index and keep the first finding of each host. */
static void sort_up(struct disc_result *r)
{
    if (r->nup > 1)
        qsort(r->up, r->nup, sizeof(*r->up), cmp_up);
    size_t w = 0;
    for (size_t i = 0; i < r->nup; i++)
        if (w == 0 || r->up[w - 1].idx != r->up[i].idx)
            r->up[w++] = r->up[i];
    r->nup = w;
}

/* bsearch's: key is a uint64_t target index; one entry per index after
 * sort_up. */
static int cmp_idx(const void *key, const void *elem)
{
    uint64_t k = *(const uint64_t *)key, i = ((const struct disc_up *)elem)->idx;
    return k < i ? -1 : k > i;
}

const struct disc_up *disc_result_find(const struct disc_result *r, uint64_t idx)
{
    return r->nup ? bsearch(&idx, r->up, r->nup, sizeof(*r->up), cmp_idx) : NULL;
}

bool disc_result_skipped(const struct disc_result *r, uint64_t idx)
{
    for (size_t i = 0; i < r->nskip; i++)
        if (idx >= r->skip[i].lo && idx < r->skip[i].hi)
            return true;
    return false;
}

/* ---- recording what discovery found ------------------------------------ */

static struct disc_up *add_up(struct disc *p, uint64_t idx, enum reason why, uint8_t ttl)
{
    struct disc_result *r = p->res;
    struct disc_up *u = grow(r->up, &r->capup, r->nup + 1, sizeof(*u));
    if (!u) {
        p->oom = true;
        return NULL;
    }
    r->up = u;
    u = &r->up[r->nup];
    memset(u, 0, sizeof(*u));
    u->idx = idx;
    u->seq = (uint32_t)r->nup;
    u->reason = (uint8_t)why;
    u->ttl = ttl;
    u->srtt_us = u->rttvar_us = u->to_us = -1;
    r->nup++;
    return u;
}

/* An own address is up without a probe: localhost-response, or with -Pn
 * user-set, as nmap (which asks by ARP only on an Ethernet link, and an
 * own address is routed by the loopback). */
static enum reason own_reason(const struct disc *p)
{
    return p->job->assume_off_link_up ? REASON_USER_SET : REASON_LOCALHOST_RESPONSE;
}

static void add_range(struct disc *p, struct disc_range **v, size_t *n, size_t *cap, uint64_t lo,
                      uint64_t hi)
{
    if (*n && (*v)[*n - 1].hi == lo) { /* adjacent: extend */
        (*v)[*n - 1].hi = hi;
        return;
    }
    struct disc_range *r = grow(*v, cap, *n + 1, sizeof(**v));
    if (!r) {
        p->oom = true;
        return;
    }
    *v = r;
    r[(*n)++] = (struct disc_range){lo, hi};
}

static void add_ip(struct disc *p, uint64_t lo, uint64_t hi)
{
    if (p->job->assume_off_link_up && hi - lo <= ENUM_MAX) {
        /* -Pn: up without a probe, as nmap marks a host it does not ARP. */
        for (uint64_t i = lo; i < hi && !p->oom; i++) {
            struct target t;
            if (target_set_at(p->job->targets, i, &t) == 0 &&
                !target_set_is_excluded(p->job->targets, &t.addr))
                add_up(p, i, REASON_USER_SET, 0);
        }
        return;
    }
    add_range(p, &p->ip, &p->nip, &p->capip, lo, hi);
    p->nip_addrs += hi - lo;
}

static void add_arp(struct disc *p, const struct route_info *ri, const struct ipaddr *a,
                    uint64_t idx)
{
    struct arp_group *g = NULL;
    for (size_t i = 0; i < p->ngrp && !g; i++)
        if (p->grp[i].ri.ifindex == ri->ifindex && p->grp[i].ri.src.family == a->family)
            g = &p->grp[i];
    if (!g) {
        if (p->ngrp == MAX_GROUPS) /* pathological: ask by IP instead */
            return add_ip(p, idx, idx + 1);
        g = &p->grp[p->ngrp++];
        g->ri = *ri;
    }
    struct arp_target *t = grow(g->t, &g->cap, g->n + 1, sizeof(*t));
    if (!t) {
        p->oom = true;
        return;
    }
    g->t = t;
    memset(&t[g->n], 0, sizeof(*t));
    t[g->n].addr = *a;
    t[g->n].tag = idx;
    g->n++;
}

/* ---- sorting targets by route ------------------------------------------ */

static enum kind classify(const struct disc *p, const struct ipaddr *a, struct route_info *ri)
{
    const struct raw_opts *io = &p->job->io;
    const char *ifname = io->iface[0] ? io->iface : NULL;
    const struct ipaddr *src = io->have_src && io->src.family == a->family ? &io->src : NULL;
    char e[256];
    if (route_lookup(a, ifname, src, ri, e, sizeof(e)) < 0) {
        log_debug("plan", "%s", e);
        return K_NOROUTE;
    }
    if (ri->hwtype == ARPHRD_LOOPBACK)
        return K_LOCAL; /* one of our own addresses */
    if (p->job->disc->arp && !ri->via_gateway && ri->hwtype == ARPHRD_ETHER)
        return K_ARP;
    return K_IP;
}

/* Addresses [lo, hi) of one spec, all of kind k. LOCAL and ARP need one
 * record per address, so a range too large for that is probed by IP. */
static void put_range(struct disc *p, enum kind k, const struct route_info *ri, uint64_t lo,
                      uint64_t hi)
{
    const struct target_set *set = p->job->targets;
    if (k == K_NOROUTE) {
        add_range(p, &p->res->skip, &p->res->nskip, &p->res->capskip, lo, hi);
        return;
    }
    if (k == K_IP || hi - lo > ENUM_MAX) {
        add_ip(p, lo, hi);
        return;
    }
    for (uint64_t i = lo; i < hi && !p->oom; i++) {
        struct target t;
        if (target_set_at(set, i, &t) < 0 || target_set_is_excluded(set, &t.addr))
            continue;
        /* Our own address inside an on-link range does not answer our ARP:
         * it is up the way the route says an own address is. */
        if (k == K_LOCAL || (k == K_ARP && ipaddr_equal(&t.addr, &ri->src)))
            add_up(p, i, own_reason(p), 0);
        else
            add_arp(p, ri, &t.addr, i);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Spec number s, [base, base + count), whose ends are of kind k: our own
 * addresses inside it are up as an own address is (localhost-response),
 * whatever the route of the range around them; the rest is of kind k.
 */
static void put_spec(struct disc *p, size_t s, enum kind k, const struct route_info *ri,
                     uint64_t base, uint64_t count)
{
    uint64_t idx[16];
    size_t n = 0;
    for (size_t i = 0; i < p->nown && n < 16 && k != K_NOROUTE && k != K_LOCAL; i++) {
        size_t spec = s;
        uint64_t at;
        if (target_set_index_next(p->job->targets, &p->own[i], &spec, &at) == 0 && at >= base &&
            at - base < count)
            idx[n++] = at;
    }
    qsort(idx, n, sizeof(idx[0]), cmp_u64);
    uint64_t lo = base;
    for (size_t i = 0; i < n; i++) {
        struct target t;
        if (idx[i] > lo)
            put_range(p, k, ri, lo, idx[i]);
        if (target_set_at(p->job->targets, idx[i], &t) == 0 &&
            !target_set_is_excluded(p->job->targets, &t.addr))
            add_up(p, idx[i], own_reason(p), 0);
        lo = idx[i] + 1;
    }
    if (lo < base + count)
        put_range(p, k, ri, lo, base + count);
}

/* Our own addresses of both families into p->own; none if they cannot be
 * listed (then only a range's ends say which are ours). */
static void load_own(struct disc *p)
{
    struct ipaddr *v4, *v6;
    size_t n4, n6;
    if (route_local_addrs(AF_INET, &v4, &n4) < 0)
        return;
    if (route_local_addrs(AF_INET6, &v6, &n6) < 0) {
        free(v4);
        return;
    }
    p->own = realloc(v4, (n4 + n6 + 1) * sizeof(*v4));
    if (!p->own) {
        free(v4);
        free(v6);
        return;
    }
    if (n6)
        memcpy(p->own + n4, v6, n6 * sizeof(*v6));
    p->nown = n4 + n6;
    free(v6);
}

static void sort_targets(struct disc *p)
{
    const struct target_set *set = p->job->targets;
    size_t nspecs = target_set_nspecs(set);
    for (size_t s = 0; s < nspecs && !p->oom; s++) {
        struct ipaddr first;
        uint64_t base, count;
        struct target last;
        if (target_set_spec(set, s, &first, &base, &count) < 0 || count == 0)
            continue;
        if (count == UINT64_MAX || base + count < base) {
            add_ip(p, base, UINT64_MAX); /* an IPv6 /0: nothing to sort */
            continue;
        }
        if (s >= SPEC_ROUTE_MAX) { /* too many specs to look up one by one */
            add_ip(p, base, base + count);
            continue;
        }
        struct route_info r1, r2;
        enum kind k1 = classify(p, &first, &r1), k2 = k1;
        r2 = r1; /* a one-address spec: its ends are one */
        if (count > 1 && target_set_at(set, base + count - 1, &last) == 0)
            k2 = classify(p, &last.addr, &r2);
        if (k1 == k2 && (k1 != K_ARP || r1.ifindex == r2.ifindex)) {
            /* Under -Pn the plan says it (or the port scan does, when it
             * scans the targets as given): one line, not two. */
            if (k1 == K_NOROUTE && !p->job->assume_off_link_up) {
                char a[IPADDR_STRLEN];
                log_warn("plan", "no route to %s: skipping %" PRIu64 " address%s",
                         ipaddr_str(&first, a, sizeof(a)), count, count == 1 ? "" : "es");
            }
            put_spec(p, s, k1, &r1, base, count);
            continue;
        }
        if (count > ENUM_MAX) {
            add_ip(p, base, base + count);
            continue;
        }
        for (uint64_t i = base; i < base + count && !p->oom; i++) {
            struct target t;
            struct route_info ri;
            if (target_set_at(set, i, &t) < 0 || target_set_is_excluded(set, &t.addr))
                continue;
            put_range(p, classify(p, &t.addr, &ri), &ri, i, i + 1);
        }
    }
}

/* ---- ARP / ND ---------------------------------------------------------- */

static int run_arp(struct disc *p, char *err, size_t errlen)
{
    const struct disc_job *job = p->job;
    struct arp_job aj = {.timing = job->timing,
                         .rate = job->io.rate,
                         .recv = (enum recv_method)job->io.recv_method,
                         .dry_run = job->io.dry_run,
                         .stop = job->stop};
    for (size_t g = 0; g < p->ngrp && !job_stopping(job->stop); g++) {
        struct arp_group *grp = &p->grp[g];
        if (arp_ping_run(&aj, &grp->ri, grp->t, grp->n, err, errlen) < 0)
            return -1;
        bool v6 = grp->ri.src.family == AF_INET6;
        for (size_t i = 0; i < grp->n; i++) {
            const struct arp_target *t = &grp->t[i];
            if (!t->up)
                continue;
            struct disc_up *u = add_up(p, t->tag, v6 ? REASON_ND_RESPONSE : REASON_ARP_RESPONSE, 0);
            if (!u)
                return -1;
            u->have_mac = true;
            memcpy(u->mac, t->mac, 6);
            if (t->rtt_us >= 0) {
                const struct timing *tm = &job->timing;
                struct rtt_est e;
                rtt_init(&e, (int64_t)tm->min_rtt_ms * 1000, (int64_t)tm->max_rtt_ms * 1000,
                         (int64_t)tm->initial_rtt_ms * 1000);
                rtt_update(&e, t->rtt_us);
                u->srtt_us = us32(e.srtt_us);
                u->rttvar_us = us32(e.rttvar_us);
                u->to_us = us32(rtt_timeout_us(&e));
            }
        }
    }
    return 0;
}

/* ---- IP probes through the raw engine ----------------------------------- */

struct capture {
    struct disc *p;
    const struct target_set *orig;
};

/* Replies that prove a host is there (nmap's ping reasons). Unreachables
 * other than port/protocol come from routers as often as from the host. */
static bool proves_up(enum reason r)
{
    switch (r) {
    case REASON_SYN_ACK:
    case REASON_RESET:
    case REASON_ECHO_REPLY:
    case REASON_TIMESTAMP_REPLY:
    case REASON_MASK_REPLY:
    case REASON_UDP_RESPONSE:
    case REASON_PORT_UNREACH:
    case REASON_PROTO_UNREACH:
        return true;
    default:
        return false;
    }
}

/* When a host answered several probes, the reason reported is the answer
 * to the probe nmap sends first (echo, SYN, ACK, timestamp, netmask, UDP):
 * nmap reports the first reply it reads, which is usually that one. */
static int reason_rank(enum reason r)
{
    switch (r) {
    case REASON_ECHO_REPLY:
        return 0;
    case REASON_SYN_ACK:
    case REASON_RESET:
        return 1;
    case REASON_TIMESTAMP_REPLY:
        return 2;
    case REASON_MASK_REPLY:
        return 3;
    default:
        return 4;
    }
}

/* h is up: so is every listing of its address (a target named twice, or
 * inside overlapping ranges, is reported once per listing, as nmap does).
 * The engine may deliver each copy; sort_up keeps one finding per index. */
static void credit_all(struct capture *c, const struct host_result *h, enum reason why, uint8_t ttl)
{
    size_t spec = 0;
    uint64_t idx;
    while (target_set_index_next(c->orig, &h->addr, &spec, &idx) == 0) {
        struct disc_up *u = add_up(c->p, idx, why, ttl);
        if (u && h->srtt_us >= 0) {
            u->srtt_us = us32(h->srtt_us);
            u->rttvar_us = us32(h->rttvar_us);
            u->to_us = us32(h->timeout_us);
        }
    }
}

static void capture_host(void *ctx, const struct host_result *h)
{
    struct capture *c = ctx;
    const struct port_result *best = NULL;
    if (h->status != HOST_UP)
        return;
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *pr = &h->ports[i];
        /* An ICMP error from another address (a router's port or protocol
         * unreachable) proves nothing about the target: nmap 7.93 leaves
         * such a host down (-sn -PU/-PS through a rejecting router). */
        bool from_other = pr->detail && pr->detail->have_reason_ip;
        if (proves_up(pr->reason) && !from_other &&
            (!best || reason_rank(pr->reason) < reason_rank(best->reason)))
            best = pr;
    }
    if (best)
        credit_all(c, h, best->reason, best->reason_ttl);
}

/*
 * nmap names the MAC of every up host on the local Ethernet link, also
 * when IP probes found it (--disable-arp-ping): the kernel learnt it while
 * our probes went out, so the neighbour table has it (route_resolve_mac
 * asks only on a miss). Up to ENUM_MAX hosts; a failure only loses the
 * MAC line.
 */
static void fill_macs(struct disc *p)
{
    const struct raw_opts *io = &p->job->io;
    const char *ifname = io->iface[0] ? io->iface : NULL;
    for (size_t i = 0; i < p->res->nup && i < ENUM_MAX && !job_stopping(p->job->stop); i++) {
        struct disc_up *u = &p->res->up[i];
        struct target t;
        struct route_info ri;
        char e[256];
        if (u->have_mac || u->reason == REASON_LOCALHOST_RESPONSE || u->reason == REASON_USER_SET ||
            target_set_at(p->job->targets, u->idx, &t) < 0)
            continue;
        const struct ipaddr *src =
            io->have_src && io->src.family == t.addr.family ? &io->src : NULL;
        if (route_lookup(&t.addr, ifname, src, &ri, e, sizeof(e)) < 0 || ri.via_gateway ||
            ri.hwtype != ARPHRD_ETHER || route_resolve_mac(&ri, MAC_TIMEOUT_MS, e, sizeof(e)) < 0)
            continue;
        u->have_mac = true;
        memcpy(u->mac, ri.next_mac, 6);
    }
}

/* The set of addresses for the IP probes: the user's own when nothing was
 * sorted out, else the listed ranges. NULL with *own = true for the
 * former. */
static const struct target_set *ip_targets(struct disc *p, struct target_set **made, char *err,
                                           size_t errlen)
{
    *made = NULL;
    if ((p->res->nup == 0 && p->ngrp == 0 && p->res->nskip == 0) || p->nip_addrs > ENUM_MAX)
        return p->job->targets;
    struct target_set *set = target_set_new(&(struct target_opts){0});
    for (size_t r = 0; set && r < p->nip; r++)
        for (uint64_t i = p->ip[r].lo; i < p->ip[r].hi; i++) {
            struct target t;
            char a[IPADDR_STRLEN], e[256];
            if (target_set_at(p->job->targets, i, &t) < 0 ||
                target_set_is_excluded(p->job->targets, &t.addr))
                continue;
            if (target_set_add(set, ipaddr_str(&t.addr, a, sizeof(a)), e, sizeof(e)) < 0) {
                snprintf(err, errlen, "discovery: %s", e);
                target_set_free(set);
                return NULL;
            }
        }
    if (!set)
        snprintf(err, errlen, "discovery: out of memory");
    *made = set;
    return set;
}

#define DISC_MAX_RUNS 4

/* One run of the raw engine for discovery: its probe modules and the port
 * lists they share (borrowed from the disc_opts). */
struct disc_run {
    const struct scan_module *mods[RAW_JOB_MAX_TYPES];
    size_t nmods;
    struct portset ports;
};

static bool probe_on(const struct disc_opts *d, const struct disc_option *o)
{
    return o->default_ports ? d->ports[o->probe].count[o->ports_proto] > 0 : d->on[o->probe];
}

static bool same_list(const struct portset *a, const struct portset *b, enum port_proto p)
{
    return a->count[p] == b->count[p] &&
           (a->count[p] == 0 ||
            memcmp(a->ports[p], b->ports[p], a->count[p] * sizeof(uint16_t)) == 0);
}

/*
 * The discovery runs for job->disc, from the discovery table
 * (scan/disc_modules.h) in its order: one run carries every probe, as the
 * probe list holds several modules ({disc_icmp_echo, 0}, {disc_syn_ping,
 * 443}, ...), except that a run has one port list per protocol: probes of
 * one protocol to different ports (nmap's default: SYN to 443, ACK to 80)
 * take further runs. Returns the number of runs.
 */
static size_t plan_runs(const struct disc_opts *d, struct disc_run runs[DISC_MAX_RUNS])
{
    size_t n = 0;
    memset(runs, 0, DISC_MAX_RUNS * sizeof(*runs));
    for (const struct disc_option *o = disc_options; o->option; o++) {
        if (!o->module || !probe_on(d, o))
            continue;
        size_t r = 0;
        if (o->default_ports) { /* the first run free for (or already on) its list */
            const struct portset *want = &d->ports[o->probe];
            while (r < n && runs[r].ports.count[o->ports_proto] &&
                   !same_list(&runs[r].ports, want, o->ports_proto))
                r++;
        }
        if (r == DISC_MAX_RUNS || runs[r].nmods == RAW_JOB_MAX_TYPES)
            continue; /* more distinct lists than runs: cannot happen with today's table */
        if (r == n)
            n++;
        runs[r].mods[runs[r].nmods++] = o->module;
        if (o->default_ports) {
            runs[r].ports.ports[o->ports_proto] = d->ports[o->probe].ports[o->ports_proto];
            runs[r].ports.count[o->ports_proto] = d->ports[o->probe].count[o->ports_proto];
        }
    }
    return n;
}

static int run_ip_probes(struct disc *p, char *err, size_t errlen)
{
    const struct disc_job *job = p->job;
    const struct disc_opts *d = job->disc;
    if (p->nip == 0 || job->assume_off_link_up)
        return 0;
    struct disc_run runs[DISC_MAX_RUNS];
    size_t nruns = plan_runs(d, runs);
    if (nruns == 0)
        return 0; /* -PR alone: off-link targets get no probe, as nmap */
    struct target_set *made;
    const struct target_set *set = ip_targets(p, &made, err, errlen);
    if (!set)
        return -1;
    int rc = 0;
    for (size_t r = 0; r < nruns && rc == 0 && !job_stopping(job->stop); r++) {
        struct raw_job rj = {
            .targets = set,
            .ntypes = runs[r].nmods,
            .ports = runs[r].ports, /* borrowed lists */
            .timing = job->timing,
            .seed = job->seed,
            .assume_up = false, /* a host is up only if it answers */
            .dns = DNS_NEVER,
            .io = job->io,
            .stop = job->stop,
        };
        memcpy(rj.types, runs[r].mods, runs[r].nmods * sizeof(runs[r].mods[0]));
        rj.io.scanflags = -1; /* --scanflags is for the port scan */
        /* nmap: the host group sizes "do not have an effect during the host
         * discovery phase", and the host timeout is the port scan's. */
        rj.timing.min_hostgroup = rj.timing.max_hostgroup = 0;
        rj.timing.host_timeout_ms = 0;
        struct capture cap = {.p = p, .orig = job->targets};
        struct result_sink s = {.host = capture_host, .ctx = &cap};
        log_debug("plan", "discovery run %zu: %zu probe types to %" PRIu64 " addresses", r,
                  runs[r].nmods, target_set_count(set));
        rc = raw_engine_run(&rj, &s, err, errlen);
        if (p->oom && rc == 0) {
            snprintf(err, errlen, "discovery: out of memory");
            rc = -1;
        }
    }
    target_set_free(made);
    return rc;
}

/* ---- nmap's unprivileged ping with explicit ports ------------------------ */

/* A host back from the connect() ping run: up when some ping port
 * connected (syn-ack) or was refused (conn-refused), as nmap reports it. */
static void capture_connect(void *ctx, const struct host_result *h)
{
    struct capture *c = ctx;
    enum reason why = REASON_UNKNOWN;
    for (size_t i = 0; i < h->nports && why != REASON_SYN_ACK; i++)
        if (h->ports[i].state == PORT_OPEN)
            why = REASON_SYN_ACK;
        else if (h->ports[i].state == PORT_CLOSED)
            why = REASON_CONN_REFUSED;
    if (why != REASON_UNKNOWN)
        credit_all(c, h, why, 0);
}

/*
 * Discovery without raw sockets for explicit -P probes (disc.connect_ping,
 * set by the command line): a connect scan of disc.ports[DISC_SYN_PING] on every
 * target, read as a ping. The connect engine's own ping knows only 80 and
 * 443, so this is a run of its port scan with one retransmission at most,
 * as its ping gives a dead host.
 */
static int run_connect_ping(struct disc *p, char *err, size_t errlen)
{
    const struct disc_job *job = p->job;
    const struct disc_opts *d = job->disc;
    const struct scan_module *connect = scan_module_find("-sT");
    if (!connect) {
        snprintf(err, errlen, "connect ping: -sT is not available in this build");
        return -1;
    }
    struct connect_job cj = {
        .targets = job->targets,
        .module = connect,
        .ports = d->ports[DISC_SYN_PING].ports[PROTO_TCP],
        .nports = d->ports[DISC_SYN_PING].count[PROTO_TCP],
        .timing = job->timing,
        .seed = job->seed,
        .randomize_ports = job->randomize_ports,
        .assume_up = true, /* the ping ports are the ping */
        .dns = DNS_NEVER,
        .stop = job->stop,
    };
    if (cj.timing.max_retries > 1)
        cj.timing.max_retries = 1;
    struct capture cap = {.p = p, .orig = job->targets};
    struct result_sink s = {.host = capture_connect, .ctx = &cap};
    int rc = connect_engine_run(&cj, &s, err, errlen);
    if (p->oom && rc == 0) {
        snprintf(err, errlen, "discovery: out of memory");
        rc = -1;
    }
    return rc;
}

void disc_result_free(struct disc_result *r)
{
    free(r->up);
    free(r->skip);
    memset(r, 0, sizeof(*r));
}

int discovery_run(const struct disc_job *job, struct disc_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    struct disc p = {.job = job, .res = out};
    int rc = 0;
    if (errlen)
        err[0] = '\0';
    if (job->disc->connect_ping) {
        rc = run_connect_ping(&p, err, errlen);
    } else if (job->io.iface[0] && if_nametoindex(job->io.iface) == 0) {
        /* Said once, here, rather than as a "no route" per target range. */
        snprintf(err, errlen, "no interface named %s (see 'ip link')", job->io.iface);
        rc = -1;
    } else {
        load_own(&p);
        sort_targets(&p);
        if (p.oom) {
            snprintf(err, errlen, "discovery: out of memory");
            rc = -1;
        }
        for (size_t g = 0; g < p.ngrp; g++)
            out->narp += p.grp[g].n;
        if (rc == 0)
            rc = run_arp(&p, err, errlen);
        if (rc == 0)
            rc = run_ip_probes(&p, err, errlen);
    }
    sort_up(out);
    if (rc == 0 && !job->disc->connect_ping && !job->io.dry_run)
        fill_macs(&p);
    for (size_t g = 0; g < p.ngrp; g++)
        free(p.grp[g].t);
    free(p.ip);
    free(p.own);
    log_debug("plan", "discovery: %zu hosts up", out->nup);
    return rc;
}
