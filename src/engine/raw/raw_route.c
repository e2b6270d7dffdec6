/*
 * raw_route.c — the raw engine's ways out (raw_internal.h, struct raw_fam):
 * the routes of the targets, looked up once before sending (per range, per
 * address where a range's ends differ, and for the scanner's own addresses
 * among the targets), grouped by interface and source address, each group
 * with its send method, next-hop MAC and templates, and the route maps that
 * send each target by its group.
 */
#include "core/log.h"
#include "engine/raw/raw_internal.h"

#include <inttypes.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_TIMEOUT_MS    1000
#define ROUTE_CHECK_SPECS 1024  /* specs whose route is checked one by one */
#define SPEC_ENUM_MAX     65536 /* a spec whose ends differ in route: looked up address by address */

/* Two routes are one way out when they leave by the same interface from
 * the same source address (the next hop may differ: see way_method). */
static bool same_way(const struct route_info *a, const struct route_info *b)
{
    return a->ifindex == b->ifindex && ipaddr_equal(&a->src, &b->src);
}

/* While routes are gathered: per slot, its targets and whether they all
 * share one next hop. */
struct way_stats {
    uint64_t reachable;
    bool one_hop;
};

static void way_init(struct raw_ctx *c, int slot, int family, const struct route_info *ri,
                     struct way_stats *ws)
{
    struct raw_fam *f = &c->fam[slot];
    f->used = true;
    f->family = family;
    f->slot = slot;
    f->ri = *ri;
    ws[slot] = (struct way_stats){0, true};
}

/*
 * The slot of family fi for route ri, which count targets from first on
 * take: the main route's if it is that way, an extra slot of the same way,
 * or a new one; when all RAW_MAX_ROUTES are taken, the main route (their
 * probes may then go unanswered: said once).
 */
static int way_slot(struct raw_ctx *c, int fi, const struct route_info *ri, uint64_t count,
                    const struct ipaddr *first, struct way_stats *ws)
{
    struct raw_fam *f = &c->fam[fi];
    if (!f->used) /* no main route yet (the first ranges' first addresses had none) */
        way_init(c, fi, f->family, ri, ws);
    int slot = same_way(&f->ri, ri) ? fi : -1;
    for (int s = 2; slot < 0 && s < c->nfam; s++)
        if (c->fam[s].family == f->family && same_way(&c->fam[s].ri, ri))
            slot = s;
    if (slot < 0 && c->nfam < RAW_MAX_ROUTES) {
        slot = c->nfam++;
        way_init(c, slot, f->family, ri, ws);
    }
    if (slot < 0) {
        char a[IPADDR_STRLEN];
        if (!c->ways_full)
            log_warn("raw",
                     "more than %d routes among the targets: those from %s on leave through %s",
                     RAW_MAX_ROUTES, ipaddr_str(first, a, sizeof(a)), f->ri.ifname);
        c->ways_full = true;
        slot = fi;
    }
    struct way_stats *w = &ws[slot];
    if (w->reachable && !ipaddr_equal(&ri->next_hop, &c->fam[slot].ri.next_hop))
        w->one_hop = false;
    w->reachable += count;
    return slot;
}

static int map_add(struct raw_route_map **m, size_t *n, uint64_t lo, uint64_t hi, int slot)
{
    if (*n && (*m)[*n - 1].hi == lo && (*m)[*n - 1].slot == slot) {
        (*m)[*n - 1].hi = hi; /* adjacent specs of one way: one entry */
        return 0;
    }
    struct raw_route_map *v = realloc(*m, (*n + 1) * sizeof(**m));
    if (!v)
        return -1;
    *m = v;
    v[(*n)++] = (struct raw_route_map){lo, hi, slot};
    return 0;
}

static int cmp_map(const void *a, const void *b)
{
    const struct raw_route_map *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * The scanner's own addresses among the targets (route_local_addrs): the
 * kernel routes them through loopback, whatever the range around them, so
 * each listing whose slot is not that way gets a c->rown entry to the
 * loopback way. 0, or -1 out of memory.
 */
static int map_own(struct raw_ctx *c, int fi, const char *ifname, const struct ipaddr *src,
                   struct way_stats *ws)
{
    const struct target_set *set = c->job->targets;
    struct ipaddr *own;
    size_t n;
    if (route_local_addrs(fi ? AF_INET6 : AF_INET, &own, &n) < 0)
        return 0; /* not listable: the ranges' routes stand */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t spec = 0;
        uint64_t idx;
        struct route_info lo;
        char e[256];
        if (target_set_is_excluded(set, &own[i]))
            continue;
        bool looked = false;
        while (rc == 0 && target_set_index_next(set, &own[i], &spec, &idx) == 0) {
            if (raw_skipped(c->skip, c->nskip, idx))
                continue;
            if (!looked && route_lookup(&own[i], ifname, src, &lo, e, sizeof(e)) < 0)
                break;
            looked = true;
            const struct raw_route_map *m = raw_route_find(c->rmap, c->nrmap, idx);
            int at = m && idx < m->hi ? m->slot : fi;
            if (same_way(&c->fam[at].ri, &lo))
                continue;
            int slot = way_slot(c, fi, &lo, 1, &own[i], ws);
            if (slot != at && map_add(&c->rown, &c->nrown, idx, idx + 1, slot) < 0)
                rc = -1;
        }
    }
    free(own);
    if (c->nrown > 1)
        qsort(c->rown, c->nrown, sizeof(*c->rown), cmp_map);
    return rc;
}

/*
 * Send method, next-hop MAC and templates of slot f. One next hop for all
 * its targets (one target, or everything behind one gateway) allows the
 * Ethernet senders; on-link targets each need their own MAC, so then the
 * kernel resolves neighbours (raw IP socket), as it does for a way shared
 * with the scanner's own addresses.
 */
static int way_method(struct raw_ctx *c, struct raw_fam *f, const struct way_stats *w, char *err,
                      size_t errlen)
{
    const struct raw_job *job = c->job;
    f->method = (enum send_method)job->io.send_method;
    if (!w->one_hop || (!f->ri.via_gateway && w->reachable > 1)) {
        if (f->method != SEND_AUTO && f->method != SEND_RAW)
            log_info("raw", "%s targets have several next hops: sending through raw IP sockets",
                     f->family == AF_INET6 ? "IPv6" : "IPv4");
        f->method = SEND_RAW;
    }
    if (tx_wants_ethernet(f->method, &f->ri)) {
        char e2[256];
        if (route_resolve_mac(&f->ri, MAC_TIMEOUT_MS, e2, sizeof(e2)) < 0) {
            if (f->ri.via_gateway)
                return raw_fail(err, errlen, "%s", e2);
            /* A single on-link target that does not answer ARP/NDP is down;
             * the raw socket path reports it so without a special case. */
            log_debug("raw", "%s; sending through a raw IP socket", e2);
            f->method = SEND_RAW;
        }
    }
    char a[IPADDR_STRLEN];
    log_debug("raw", "%s probes from %s leave through %s with send method %s (asked: %s)",
              f->family == AF_INET6 ? "IPv6" : "IPv4", ipaddr_str(&f->ri.src, a, sizeof(a)),
              f->ri.ifname, send_method_name(f->method),
              send_method_name((enum send_method)job->io.send_method));
    return raw_tx_template(c, f, err, errlen);
}

/*
 * The route of a spec (first address first, count addresses from index
 * base): that of its first address, or of its second when the first is
 * one of our own (198.18.0.1-254 scanned from 198.18.0.1). *mixed: its
 * ends leave by different ways (or the last has no route), so one route
 * does not serve it all (our own addresses aside: map_own sets those
 * apart). 0, or -1 with e set (no route for the first).
 */
static int spec_route(const struct raw_ctx *c, const struct ipaddr *first, uint64_t base,
                      uint64_t count, const char *ifname, const struct ipaddr *src,
                      struct route_info *ri, bool *mixed, char *e, size_t elen)
{
    *mixed = false;
    if (route_lookup(first, ifname, src, ri, e, elen) < 0)
        return -1;
    struct ipaddr a;
    struct route_info rl, r1;
    char e2[256];
    if (count < 2 || target_set_addr_at(c->job->targets, base + count - 1, &a) < 0)
        return 0;
    if (route_lookup(&a, ifname, src, &rl, e2, sizeof(e2)) < 0) {
        *mixed = true;
        return 0;
    }
    if (ri->hwtype == ARPHRD_LOOPBACK) {
        r1 = rl;
        if (count > 2 && (target_set_addr_at(c->job->targets, base + 1, &a) < 0 ||
                          route_lookup(&a, ifname, src, &r1, e2, sizeof(e2)) < 0))
            r1.hwtype = ARPHRD_LOOPBACK; /* unknown: taken as not a way for the range */
        if (r1.hwtype != ARPHRD_LOOPBACK)
            *ri = r1;
        else if (rl.hwtype != ARPHRD_LOOPBACK)
            *ri = rl;
    }
    *mixed = ri->hwtype != ARPHRD_LOOPBACK && rl.hwtype != ARPHRD_LOOPBACK && !same_way(ri, &rl);
    return 0;
}

/* Leave address indices [lo, hi) out (no route), joining a run. */
static int add_skip(struct raw_ctx *c, uint64_t lo, uint64_t hi, const struct ipaddr *first)
{
    if (c->nskip && c->skip[c->nskip - 1].hi == lo) {
        c->skip[c->nskip - 1].hi = hi;
        return 0;
    }
    struct raw_skip *s = realloc(c->skip, (c->nskip + 1) * sizeof(*s));
    if (!s)
        return -1;
    c->skip = s;
    c->skip[c->nskip++] = (struct raw_skip){lo, hi, *first};
    return 0;
}

/*
 * A spec whose ends leave by different ways (198.18.0.0/22 over two
 * links): every address's own route, runs of one way mapped together, the
 * addresses without a route left out. 0, or -1 out of memory.
 */
static int map_each(struct raw_ctx *c, int fi, uint64_t base, uint64_t count, const char *ifname,
                    const struct ipaddr *src, struct way_stats *ws)
{
    const struct target_set *set = c->job->targets;
    for (uint64_t j = base; j < base + count; j++) {
        struct ipaddr a;
        struct route_info ri;
        char e[256];
        if (target_set_addr_at(set, j, &a) != 0)
            continue; /* excluded (or gone): never probed */
        if (route_lookup(&a, ifname, src, &ri, e, sizeof(e)) < 0) {
            if (add_skip(c, j, j + 1, &a) < 0)
                return -1;
            continue;
        }
        int slot = way_slot(c, fi, &ri, 1, &a, ws);
        if (slot != fi && map_add(&c->rmap, &c->nrmap, j, j + 1, slot) < 0)
            return -1;
    }
    return 0;
}

/*
 * Routes of one family, grouped into ways out (struct raw_fam). The route
 * of each spec is looked up (the first ROUTE_CHECK_SPECS specs; later ones
 * are taken to share the main route): a spec without a route is skipped
 * with a warning, as nmap scans the targets it can reach. The main route
 * is the first that is not loopback (our own addresses), and specs on
 * other routes, and our own addresses inside ranges, are mapped to their
 * ways.
 */
int raw_setup_family(struct raw_ctx *c, int fi, char *err, size_t errlen)
{
    struct raw_fam *f = &c->fam[fi];
    const struct raw_job *job = c->job;
    int family = fi ? AF_INET6 : AF_INET;
    f->family = family;
    f->slot = fi;
    if (c->nfam < 2)
        c->nfam = 2;
    const char *ifname = job->io.iface[0] ? job->io.iface : NULL;
    const struct ipaddr *src =
        job->io.have_src && job->io.src.family == family ? &job->io.src : NULL;
    size_t nspecs = target_set_nspecs(job->targets);
    struct route_info *ris = NULL; /* the checked specs' routes, [i] for spec i */
    bool *ok = NULL, *mixed = NULL, any = false, first_err = true;
    size_t ncheck = nspecs < ROUTE_CHECK_SPECS ? nspecs : ROUTE_CHECK_SPECS;
    ris = malloc((ncheck ? ncheck : 1) * sizeof(*ris));
    ok = calloc(ncheck ? ncheck : 1, sizeof(*ok));
    mixed = calloc(ncheck ? ncheck : 1, sizeof(*mixed));
    if (!ris || !ok || !mixed) {
        free(ris);
        free(ok);
        free(mixed);
        return raw_fail(err, errlen, "raw scan: out of memory");
    }
    int rc = 0;
    /* Each checked spec's route; the main route is the first that is not
     * loopback (or, if all are, the first). */
    int main_i = -1;
    for (size_t i = 0; i < ncheck && rc == 0; i++) {
        struct ipaddr first;
        uint64_t base, count;
        char e2[256];
        if (target_set_spec(job->targets, i, &first, &base, &count) < 0 || first.family != family)
            continue;
        any = true;
        int r = spec_route(c, &first, base, count, ifname, src, &ris[i], &mixed[i], e2, sizeof(e2));
        if (r < 0 && count > 1 && count <= SPEC_ENUM_MAX) {
            mixed[i] = true; /* its first has no route: maybe others have */
            ok[i] = true;
            if (first_err)
                snprintf(err, errlen, "%s", e2);
            first_err = false;
            continue;
        }
        if (r < 0) {
            if (first_err)
                snprintf(err, errlen, "%s", e2);
            first_err = false;
            if (add_skip(c, base, count > UINT64_MAX - base ? UINT64_MAX : base + count, &first) <
                0) {
                rc = raw_fail(err, errlen, "raw scan: out of memory");
                break;
            }
            continue;
        }
        ok[i] = true;
        if (mixed[i] && count > SPEC_ENUM_MAX) {
            char a[IPADDR_STRLEN];
            log_warn("raw",
                     "the addresses from %s on (%" PRIu64 ") do not all have one route: they "
                     "leave by that of %s; list them in parts to route each part",
                     ipaddr_str(&first, a, sizeof(a)), count, a);
            mixed[i] = false;
        }
        if (main_i < 0 ||
            (ris[main_i].hwtype == ARPHRD_LOOPBACK && ris[i].hwtype != ARPHRD_LOOPBACK))
            main_i = (int)i;
    }
    struct way_stats ws[RAW_MAX_ROUTES] = {{0}};
    if (rc == 0) {
        if (main_i >= 0)
            way_init(c, fi, family, &ris[main_i], ws);
        for (size_t i = 0; i < nspecs && rc == 0; i++) {
            struct ipaddr first;
            uint64_t base, count;
            if (target_set_spec(job->targets, i, &first, &base, &count) < 0 ||
                first.family != family || (i < ncheck && !ok[i]))
                continue;
            any = true;
            if (i >= ncheck) {
                ws[fi].reachable += count; /* unchecked: assumed like the others */
                ws[fi].one_hop = false;
                continue;
            }
            if (mixed[i]) {
                if (map_each(c, fi, base, count, ifname, src, ws) < 0)
                    rc = raw_fail(err, errlen, "raw scan: out of memory");
                continue;
            }
            int slot = way_slot(c, fi, &ris[i], count, &first, ws);
            uint64_t hi = count > UINT64_MAX - base ? UINT64_MAX : base + count;
            if (slot != fi && map_add(&c->rmap, &c->nrmap, base, hi, slot) < 0)
                rc = raw_fail(err, errlen, "raw scan: out of memory");
        }
        if (rc == 0 && map_own(c, fi, ifname, src, ws) < 0)
            rc = raw_fail(err, errlen, "raw scan: out of memory");
    }
    free(ris);
    free(ok);
    free(mixed);
    if (rc < 0 || !any)
        return rc;
    if (!f->used)
        return -1; /* err holds the first route error */
    for (size_t i = 0; i < c->nskip; i++) {
        char a[IPADDR_STRLEN];
        uint64_t n = c->skip[i].hi - c->skip[i].lo;
        if (c->skip[i].first.family == family)
            log_warn("raw", "no route to %s: skipping %" PRIu64 " address%s",
                     ipaddr_str(&c->skip[i].first, a, sizeof(a)), n, n == 1 ? "" : "es");
    }
    for (int s = 0; s < c->nfam; s++) {
        if (!c->fam[s].used || c->fam[s].family != family || (s < 2 && s != fi))
            continue;
        if (way_method(c, &c->fam[s], &ws[s], err, errlen) < 0)
            return -1;
    }
    return 0;
}
