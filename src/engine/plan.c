/*
 * plan.c — discovery first, then the port scan of the hosts found up (see
 * plan.h for the sequence).
 *
 * What discovery found is kept only for hosts that are up (struct up_rec,
 * sorted by target index at the end): down is the default, so memory
 * follows the number of live hosts, not the size of the range. Targets are
 * sorted into kinds by their route: per spec, the first and last address
 * are looked up and a spec whose ends agree is taken whole; a spec whose
 * ends differ (it straddles the local link) is looked up address by
 * address when it is small enough (ENUM_MAX), else treated as off-link.
 */
#include "core/rdns.h"
#include "engine/plan.h"

#include "core/log.h"
#include "core/rtt.h"
#include "engine/arp_ping.h"
#include "engine/raw_engine.h"
#include "net/route.h"
#include "scan/disc_modules.h"
#include "scan/scan_module.h"

#include <inttypes.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENUM_MAX       (1u << 20) /* addresses handled one by one, at most */
#define SPEC_ROUTE_MAX 65536      /* specs whose route is looked up */
#define MAX_GROUPS     8          /* (interface, family) pairs for ARP/ND */
#define MAC_TIMEOUT_MS 200        /* neighbour-table miss after IP discovery */

/* A host discovery found up, 32 bytes (a /16 of up hosts: 2 MiB). seq
 * keeps the first finding of a host (ARP before IP probes) first after
 * sorting. RTTs in us, up to 35 minutes; srtt_us < 0: none. */
struct up_rec {
    uint64_t idx;
    uint32_t seq;
    int32_t srtt_us, rttvar_us, to_us;
    uint8_t reason, ttl;
    bool have_mac;
    uint8_t mac[6];
};

static int32_t us32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

struct range {
    uint64_t lo, hi;
};

struct arp_group {
    struct route_info ri;
    struct arp_target *t;
    size_t n, cap;
};

enum kind { K_NOROUTE, K_LOCAL, K_ARP, K_IP };

struct plan {
    struct scan *scan;
    const struct result_sink *out;
    struct up_rec *up;
    size_t nup, capup;
    struct range *skip; /* unroutable: not delivered */
    size_t nskip, capskip;
    struct arp_group grp[MAX_GROUPS];
    size_t ngrp;
    struct range *ip; /* index ranges for the IP probes */
    size_t nip, capip;
    uint64_t nip_addrs;
    bool oom;
    uint64_t total, nup_out, ndown;
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

/* ---- delivery ------------------------------------------------------- */

static void deliver(struct plan *p, const struct host_result *h)
{
    p->total++;
    if (h->status == HOST_UP)
        p->nup_out++;
    else
        p->ndown++;
    if (p->out && p->out->host)
        p->out->host(p->out->ctx, h);
}

static void counting_sink(void *ctx, const struct host_result *h)
{
    deliver(ctx, h);
}

static int cmp_up(const void *a, const void *b)
{
    const struct up_rec *x = a, *y = b;
    if (x->idx != y->idx)
        return x->idx < y->idx ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by index and keep the first finding of each host. */
static void sort_up(struct plan *p)
{
    if (p->nup > 1)
        qsort(p->up, p->nup, sizeof(*p->up), cmp_up);
    size_t w = 0;
    for (size_t i = 0; i < p->nup; i++)
        if (w == 0 || p->up[w - 1].idx != p->up[i].idx)
            p->up[w++] = p->up[i];
    p->nup = w;
}

static const struct up_rec *find_up(const struct plan *p, uint64_t idx)
{
    size_t lo = 0, hi = p->nup;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->up[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nup && p->up[lo].idx == idx ? &p->up[lo] : NULL;
}

static bool skipped(const struct plan *p, uint64_t idx)
{
    for (size_t i = 0; i < p->nskip; i++)
        if (idx >= p->skip[i].lo && idx < p->skip[i].hi)
            return true;
    return false;
}

static void apply_up(struct host_result *h, const struct up_rec *u)
{
    h->status = HOST_UP;
    h->status_reason = u->reason;
    h->status_ttl = u->ttl;
    h->have_mac = u->have_mac;
    memcpy(h->mac, u->mac, 6);
    if (h->srtt_us < 0 && u->srtt_us >= 0) {
        h->srtt_us = u->srtt_us;
        h->rttvar_us = u->rttvar_us;
        h->timeout_us = u->to_us;
    }
}

/* Every target in index order that is not skipped: up ones (want_up) or
 * down ones, as discovery left them, without ports. */
static void deliver_discovered(struct plan *p, bool want_up, bool want_down)
{
    struct scan *scan = p->scan;
    uint64_t n = target_set_count(scan->targets);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (uint64_t i = 0; i < n && !scan_stopping(scan); i++) {
        struct target t;
        if (target_set_at(scan->targets, i, &t) < 0)
            break;
        if (target_set_is_excluded(scan->targets, &t.addr) || skipped(p, i))
            continue;
        const struct up_rec *u = find_up(p, i);
        if ((u && !want_up) || (!u && !want_down))
            continue;
        struct host_result h;
        host_result_init(&h, &t.addr);
        h.hostname = t.hostname;
        h.other_addrs = t.other_addrs;
        h.start = h.end = now;
        if (u) {
            apply_up(&h, u);
        } else {
            h.status = HOST_DOWN;
            h.status_reason = REASON_NO_RESPONSE;
        }
        if (scan->dns == DNS_ALWAYS || (scan->dns == DNS_UP_HOSTS && u))
            h.rdns = rdns_getnameinfo(&t.addr, NULL);
        deliver(p, &h);
        host_result_free(&h);
    }
}

/* ---- recording what discovery found ------------------------------------ */

static struct up_rec *add_up(struct plan *p, uint64_t idx, enum reason why, uint8_t ttl)
{
    struct up_rec *u = grow(p->up, &p->capup, p->nup + 1, sizeof(*u));
    if (!u) {
        p->oom = true;
        return NULL;
    }
    p->up = u;
    u = &p->up[p->nup];
    memset(u, 0, sizeof(*u));
    u->idx = idx;
    u->seq = (uint32_t)p->nup;
    u->reason = (uint8_t)why;
    u->ttl = ttl;
    u->srtt_us = u->rttvar_us = u->to_us = -1;
    p->nup++;
    return u;
}

static void add_range(struct plan *p, struct range **v, size_t *n, size_t *cap, uint64_t lo,
                      uint64_t hi)
{
    if (*n && (*v)[*n - 1].hi == lo) { /* adjacent: extend */
        (*v)[*n - 1].hi = hi;
        return;
    }
    struct range *r = grow(*v, cap, *n + 1, sizeof(**v));
    if (!r) {
        p->oom = true;
        return;
    }
    *v = r;
    r[(*n)++] = (struct range){lo, hi};
}

static void add_ip(struct plan *p, uint64_t lo, uint64_t hi)
{
    add_range(p, &p->ip, &p->nip, &p->capip, lo, hi);
    p->nip_addrs += hi - lo;
}

static void add_arp(struct plan *p, const struct route_info *ri, const struct ipaddr *a,
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

static enum kind classify(const struct plan *p, const struct ipaddr *a, struct route_info *ri)
{
    const struct scan *scan = p->scan;
    const char *ifname = scan->raw.iface[0] ? scan->raw.iface : NULL;
    const struct ipaddr *src =
        scan->raw.have_src && scan->raw.src.family == a->family ? &scan->raw.src : NULL;
    char e[256];
    if (route_lookup(a, ifname, src, ri, e, sizeof(e)) < 0) {
        log_debug("plan", "%s", e);
        return K_NOROUTE;
    }
    if (ri->hwtype == ARPHRD_LOOPBACK)
        return K_LOCAL; /* one of our own addresses */
    if (scan->disc.arp && !ri->via_gateway && ri->hwtype == ARPHRD_ETHER)
        return K_ARP;
    return K_IP;
}

/* Addresses [lo, hi) of one spec, all of kind k. LOCAL and ARP need one
 * record per address, so a range too large for that is probed by IP. */
static void put_range(struct plan *p, enum kind k, const struct route_info *ri, uint64_t lo,
                      uint64_t hi)
{
    const struct target_set *set = p->scan->targets;
    if (k == K_NOROUTE) {
        add_range(p, &p->skip, &p->nskip, &p->capskip, lo, hi);
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
            add_up(p, i, REASON_LOCALHOST_RESPONSE, 0);
        else
            add_arp(p, ri, &t.addr, i);
    }
}

static void sort_targets(struct plan *p)
{
    const struct target_set *set = p->scan->targets;
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
        if (count > 1 && target_set_at(set, base + count - 1, &last) == 0)
            k2 = classify(p, &last.addr, &r2);
        if (k1 == k2 && (k1 != K_ARP || r1.ifindex == r2.ifindex)) {
            if (k1 == K_NOROUTE) {
                char a[IPADDR_STRLEN];
                log_warn("plan", "no route to %s: skipping %" PRIu64 " address%s",
                         ipaddr_str(&first, a, sizeof(a)), count, count == 1 ? "" : "es");
            }
            put_range(p, k1, &r1, base, base + count);
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

static int run_arp(struct plan *p, char *err, size_t errlen)
{
    for (size_t g = 0; g < p->ngrp && !scan_stopping(p->scan); g++) {
        struct arp_group *grp = &p->grp[g];
        if (arp_ping_run(p->scan, &grp->ri, grp->t, grp->n, err, errlen) < 0)
            return -1;
        bool v6 = grp->ri.src.family == AF_INET6;
        for (size_t i = 0; i < grp->n; i++) {
            const struct arp_target *t = &grp->t[i];
            if (!t->up)
                continue;
            struct up_rec *u = add_up(p, t->tag, v6 ? REASON_ND_RESPONSE : REASON_ARP_RESPONSE, 0);
            if (!u)
                return -1;
            u->have_mac = true;
            memcpy(u->mac, t->mac, 6);
            if (t->rtt_us >= 0) {
                const struct timing *tm = &p->scan->timing;
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
    struct plan *p;
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

static void capture_host(void *ctx, const struct host_result *h)
{
    struct capture *c = ctx;
    const struct port_result *best = NULL;
    uint64_t idx;
    if (h->status != HOST_UP)
        return;
    for (size_t i = 0; i < h->nports; i++) {
        const struct port_result *pr = &h->ports[i];
        if (proves_up(pr->reason) && (!best || reason_rank(pr->reason) < reason_rank(best->reason)))
            best = pr;
    }
    if (!best || target_set_index_of(c->orig, &h->addr, &idx) < 0)
        return;
    struct up_rec *u = add_up(c->p, idx, best->reason, best->reason_ttl);
    if (u && h->srtt_us >= 0) {
        u->srtt_us = us32(h->srtt_us);
        u->rttvar_us = us32(h->rttvar_us);
        u->to_us = us32(h->timeout_us);
    }
}

/*
 * nmap names the MAC of every up host on the local Ethernet link, also
 * when IP probes found it (--disable-arp-ping): the kernel learnt it while
 * our probes went out, so the neighbour table has it (route_resolve_mac
 * asks only on a miss). Up to ENUM_MAX hosts; a failure only loses the
 * MAC line.
 */
static void fill_macs(struct plan *p)
{
    const struct scan *scan = p->scan;
    const char *ifname = scan->raw.iface[0] ? scan->raw.iface : NULL;
    for (size_t i = 0; i < p->nup && i < ENUM_MAX && !scan_stopping(scan); i++) {
        struct up_rec *u = &p->up[i];
        struct target t;
        struct route_info ri;
        char e[256];
        if (u->have_mac || u->reason == REASON_LOCALHOST_RESPONSE ||
            target_set_at(scan->targets, u->idx, &t) < 0)
            continue;
        const struct ipaddr *src =
            scan->raw.have_src && scan->raw.src.family == t.addr.family ? &scan->raw.src : NULL;
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
static struct target_set *ip_targets(struct plan *p, bool *own, char *err, size_t errlen)
{
    *own = p->nup == 0 && p->ngrp == 0 && p->nskip == 0;
    if (*own || p->nip_addrs > ENUM_MAX) {
        *own = true;
        return p->scan->targets;
    }
    struct target_set *set = target_set_new(&(struct target_opts){0});
    for (size_t r = 0; set && r < p->nip; r++)
        for (uint64_t i = p->ip[r].lo; i < p->ip[r].hi; i++) {
            struct target t;
            char a[IPADDR_STRLEN], e[256];
            if (target_set_at(p->scan->targets, i, &t) < 0 ||
                target_set_is_excluded(p->scan->targets, &t.addr))
                continue;
            if (target_set_add(set, ipaddr_str(&t.addr, a, sizeof(a)), e, sizeof(e)) < 0) {
                snprintf(err, errlen, "discovery: %s", e);
                target_set_free(set);
                return NULL;
            }
        }
    if (!set)
        snprintf(err, errlen, "discovery: out of memory");
    return set;
}

/*
 * The discovery runs of the raw engine for scan->disc: one run with every
 * probe, as the probe list carries several modules ({disc_icmp_echo, 0},
 * {disc_syn_ping, 443}, ...), except that the TCP modules share one port
 * list per run: SYN and ACK pings to different ports (nmap's default: SYN
 * 443, ACK 80) take a second run for the ACK probes.
 */
static int plan_runs(const struct disc_opts *d, const struct scan_module *runs[2][SCAN_MAX_TYPES],
                     size_t nmods[2], const struct portset *tcp[2])
{
    size_t syn = d->syn_ports.count[PROTO_TCP], ack = d->ack_ports.count[PROTO_TCP];
    bool same = syn == ack &&
                (syn == 0 || memcmp(d->syn_ports.ports[PROTO_TCP], d->ack_ports.ports[PROTO_TCP],
                                    syn * sizeof(uint16_t)) == 0);
    nmods[0] = nmods[1] = 0;
    tcp[0] = syn ? &d->syn_ports : &d->ack_ports;
    tcp[1] = &d->ack_ports;
    if (d->icmp_echo)
        runs[0][nmods[0]++] = &disc_icmp_echo;
    if (d->icmp_ts)
        runs[0][nmods[0]++] = &disc_icmp_timestamp;
    if (d->icmp_mask)
        runs[0][nmods[0]++] = &disc_icmp_netmask;
    if (syn)
        runs[0][nmods[0]++] = &disc_syn_ping;
    if (d->udp_ports.count[PROTO_UDP])
        runs[0][nmods[0]++] = &disc_udp_ping;
    if (ack && (same || !syn))
        runs[0][nmods[0]++] = &disc_ack_ping;
    else if (ack)
        runs[1][nmods[1]++] = &disc_ack_ping;
    return nmods[1] ? 2 : 1;
}

static int run_ip_probes(struct plan *p, char *err, size_t errlen)
{
    struct scan *scan = p->scan;
    const struct disc_opts *d = &scan->disc;
    if (p->nip == 0)
        return 0;
    const struct scan_module *runs[2][SCAN_MAX_TYPES];
    size_t nmods[2];
    const struct portset *tcp[2];
    int nruns = plan_runs(d, runs, nmods, tcp);
    if (nmods[0] == 0)
        return 0; /* -PR alone: off-link targets get no probe, as nmap */
    bool own;
    struct target_set *set = ip_targets(p, &own, err, errlen);
    if (!set)
        return -1;
    int rc = 0;
    for (int r = 0; r < nruns && rc == 0 && !scan_stopping(scan); r++) {
        struct scan sub = *scan;
        memset(&sub.summary, 0, sizeof(sub.summary));
        sub.targets = set;
        memset(&sub.ports, 0, sizeof(sub.ports)); /* borrowed lists, never freed */
        sub.ports.ports[PROTO_TCP] = tcp[r]->ports[PROTO_TCP];
        sub.ports.count[PROTO_TCP] = tcp[r]->count[PROTO_TCP];
        sub.ports.ports[PROTO_UDP] = d->udp_ports.ports[PROTO_UDP];
        sub.ports.count[PROTO_UDP] = d->udp_ports.count[PROTO_UDP];
        memcpy(sub.types, runs[r], nmods[r] * sizeof(runs[r][0]));
        sub.ntypes = nmods[r];
        sub.skip_discovery = false;
        sub.dns = DNS_NEVER;
        sub.raw.scanflags = -1; /* --scanflags is for the port scan */
        struct capture cap = {.p = p, .orig = scan->targets};
        struct result_sink s = {.host = capture_host, .ctx = &cap};
        log_debug("plan", "discovery run %d: %zu probe types to %" PRIu64 " addresses", r, nmods[r],
                  target_set_count(set));
        rc = raw_engine_run(&sub, &s, err, errlen);
        scan->summary.interrupted |= sub.summary.interrupted;
        if (p->oom && rc == 0) {
            snprintf(err, errlen, "discovery: out of memory");
            rc = -1;
        }
    }
    if (!own)
        target_set_free(set);
    return rc;
}

/* ---- nmap's unprivileged ping with explicit ports ------------------------ */

/* A host back from the connect() ping run: up when some ping port
 * connected (syn-ack) or was refused (conn-refused), as nmap reports it. */
static void capture_connect(void *ctx, const struct host_result *h)
{
    struct capture *c = ctx;
    enum reason why = REASON_UNKNOWN;
    uint64_t idx;
    for (size_t i = 0; i < h->nports && why != REASON_SYN_ACK; i++)
        if (h->ports[i].state == PORT_OPEN)
            why = REASON_SYN_ACK;
        else if (h->ports[i].state == PORT_CLOSED)
            why = REASON_CONN_REFUSED;
    if (why == REASON_UNKNOWN || target_set_index_of(c->orig, &h->addr, &idx) < 0)
        return;
    struct up_rec *u = add_up(c->p, idx, why, 0);
    if (u && h->srtt_us >= 0) {
        u->srtt_us = us32(h->srtt_us);
        u->rttvar_us = us32(h->rttvar_us);
        u->to_us = us32(h->timeout_us);
    }
}

/*
 * Discovery without raw sockets for explicit -P probes (disc.connect_ping,
 * set by the command line): a connect scan of disc.syn_ports on every
 * target, read as a ping. The connect engine's own ping knows only 80 and
 * 443, so this is a run of its port scan with one retransmission at most,
 * as its ping gives a dead host.
 */
static int run_connect_ping(struct plan *p, char *err, size_t errlen)
{
    struct scan *scan = p->scan;
    const struct disc_opts *d = &scan->disc;
    const struct scan_module *connect = scan_module_find("-sT");
    if (!connect) {
        snprintf(err, errlen, "connect ping: -sT is not available in this build");
        return -1;
    }
    struct scan sub = *scan;
    memset(&sub.summary, 0, sizeof(sub.summary));
    memset(&sub.ports, 0, sizeof(sub.ports)); /* borrowed list, never freed */
    sub.ports.ports[PROTO_TCP] = d->syn_ports.ports[PROTO_TCP];
    sub.ports.count[PROTO_TCP] = d->syn_ports.count[PROTO_TCP];
    sub.types[0] = connect;
    sub.ntypes = 1;
    sub.skip_discovery = true;
    sub.disc.ping_only = false;
    sub.dns = DNS_NEVER;
    if (sub.timing.max_retries > 1)
        sub.timing.max_retries = 1;
    struct capture cap = {.p = p, .orig = scan->targets};
    struct result_sink s = {.host = capture_connect, .ctx = &cap};
    int rc = connect_engine_run(&sub, &s, err, errlen);
    scan->summary.interrupted |= sub.summary.interrupted;
    if (p->oom && rc == 0) {
        snprintf(err, errlen, "discovery: out of memory");
        rc = -1;
    }
    return rc;
}

/* ---- the port scan of the up hosts ------------------------------------- */

/* A host back from the port scan: put discovery's findings and the name
 * the user typed into it. */
static void merge_host(void *ctx, const struct host_result *h)
{
    struct plan *p = ctx;
    struct host_result r = *h;
    uint64_t idx;
    struct target t;
    if (target_set_index_of(p->scan->targets, &h->addr, &idx) == 0) {
        const struct up_rec *u = find_up(p, idx);
        if (u)
            apply_up(&r, u);
        if (target_set_at(p->scan->targets, idx, &t) == 0) {
            r.hostname = t.hostname;
            r.other_addrs = t.other_addrs;
        }
    }
    deliver(p, &r);
}

static int run_port_scan(struct plan *p, char *err, size_t errlen)
{
    struct scan *scan = p->scan;
    if (p->nup == 0 || scan_stopping(scan))
        return 0;
    struct target_set *set = target_set_new(&(struct target_opts){0});
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < p->nup; i++) {
        struct target t;
        char a[IPADDR_STRLEN], e[256];
        if (target_set_at(scan->targets, p->up[i].idx, &t) < 0)
            continue;
        if (target_set_add(set, ipaddr_str(&t.addr, a, sizeof(a)), e, sizeof(e)) < 0) {
            snprintf(err, errlen, "port scan of up hosts: %s", e);
            target_set_free(set);
            return -1;
        }
    }
    struct scan sub = *scan;
    memset(&sub.summary, 0, sizeof(sub.summary));
    sub.targets = set;
    sub.skip_discovery = true; /* discovery is done; its reasons are merged back */
    struct result_sink s = {.host = merge_host, .ctx = p};
    int rc = scan->types[0]->engine == SCAN_ENGINE_RAW ? raw_engine_run(&sub, &s, err, errlen)
                                                       : connect_engine_run(&sub, &s, err, errlen);
    scan->summary.interrupted |= sub.summary.interrupted;
    target_set_free(set);
    return rc;
}

/* -sn -Pn: nmap reports every target up ("Host is up."), sending nothing. */
static void deliver_all_up(struct plan *p)
{
    struct target_iter it;
    struct target t;
    target_iter_init(&it, p->scan->targets);
    while (!scan_stopping(p->scan) && target_iter_next(&it, &t)) {
        struct host_result h;
        host_result_init(&h, &t.addr);
        h.hostname = t.hostname;
        h.other_addrs = t.other_addrs;
        h.status = HOST_UP;
        h.status_reason = REASON_USER_SET;
        clock_gettime(CLOCK_REALTIME, &h.start);
        h.end = h.start;
        if (p->scan->dns != DNS_NEVER)
            h.rdns = rdns_getnameinfo(&t.addr, NULL);
        deliver(p, &h);
        host_result_free(&h);
    }
}

static void plan_free(struct plan *p)
{
    for (size_t g = 0; g < p->ngrp; g++)
        free(p->grp[g].t);
    free(p->up);
    free(p->skip);
    free(p->ip);
}

int plan_run(struct scan *scan, const struct result_sink *sink, char *err, size_t errlen)
{
    struct plan p = {.scan = scan, .out = sink};
    struct result_sink counted = {.host = counting_sink, .ctx = &p};
    bool raw = scan->types[0]->engine == SCAN_ENGINE_RAW;
    int rc = 0;
    if (errlen)
        err[0] = '\0';

    if (scan->disc.connect_ping && scan->disc.udp_ports.count[PROTO_UDP] && !scan->skip_discovery &&
        !scan->disc.list_only) {
        /* Refused before anything is sent or delivered: without raw
         * sockets a UDP ping's replies (ICMP errors) cannot be read. */
        snprintf(err, errlen,
                 "UDP ping (-PU) needs root or CAP_NET_RAW to read the replies: use "
                 "-PS/-PA ports or run as root");
        return -1;
    }
    if (scan->raw.dry_run && !(scan->disc.ping_only && !scan->skip_discovery)) {
        /* A port scan's probes, as if -Pn: which hosts discovery would find
         * up cannot be known without sending, so the discovery probes of a
         * port scan are not printed (those of -sn are, below). */
        return raw_engine_run(scan, sink, err, errlen);
    } else if (scan->raw.dry_run) {
        /* -sn --dry-run: the discovery probes, one line each in the raw
         * engine's format (ARP/ND lines from arp_ping.c). Own addresses get
         * none: they are up without a probe. */
        sort_targets(&p);
        if (p.oom) {
            snprintf(err, errlen, "discovery: out of memory");
            rc = -1;
        }
        if (rc == 0)
            rc = run_arp(&p, err, errlen);
        if (rc == 0)
            rc = run_ip_probes(&p, err, errlen);
        plan_free(&p);
        return rc;
    } else if (scan->disc.list_only) {
        rc = list_scan_run(scan, &counted);
    } else if (scan->skip_discovery && scan->disc.ping_only) {
        deliver_all_up(&p);
    } else if (scan->skip_discovery || (!raw && !scan->disc.explicit_probes)) {
        /* -Pn, or nmap's unprivileged discovery (connect to 80 and 443),
         * which the connect engine does per host group. */
        rc = raw ? raw_engine_run(scan, &counted, err, errlen)
                 : connect_engine_run(scan, &counted, err, errlen);
    } else {
        if (scan->disc.connect_ping) {
            rc = run_connect_ping(&p, err, errlen);
        } else {
            sort_targets(&p);
            if (p.oom) {
                snprintf(err, errlen, "discovery: out of memory");
                rc = -1;
            }
            if (rc == 0)
                rc = run_arp(&p, err, errlen);
            if (rc == 0)
                rc = run_ip_probes(&p, err, errlen);
        }
        sort_up(&p);
        if (rc == 0 && !scan->disc.connect_ping)
            fill_macs(&p);
        log_debug("plan", "discovery: %zu hosts up", p.nup);
        /* Hosts are delivered even after a failure: what was found stays. */
        if (scan->disc.ping_only || rc < 0) {
            deliver_discovered(&p, true, true);
        } else {
            deliver_discovered(&p, false, true);
            rc = run_port_scan(&p, err, errlen);
        }
    }
    scan->summary.hosts_total = p.total;
    scan->summary.hosts_up = p.nup_out;
    scan->summary.hosts_down = p.ndown;
    if (scan_stopping(scan))
        scan->summary.interrupted = true;
    plan_free(&p);
    return rc;
}
