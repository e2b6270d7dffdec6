/*
 * raw_setup.c — the raw engine's setup and teardown (raw_internal.h): the
 * probe list from the job's modules and ports, the index space and its
 * permutation, the dry run, each family's route, templates and send
 * method, the sockets and threads' shared state, and their release.
 * raw_engine.c runs the scan on what this builds.
 */
#include "core/clock.h"
#include "core/log.h"
#include "engine/raw/raw_internal.h"
#include "engine/raw/raw_pace.h"

#include <errno.h>
#include <net/if_arp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAC_TIMEOUT_MS    1000
#define ROUTE_CHECK_SPECS 1024  /* specs whose route is checked one by one */
#define SPEC_ENUM_MAX     65536 /* a spec whose ends differ in route: looked up address by address */

int raw_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The probe kind a module sends (scan/probe_kind.h): its group's place in
 * the probe list (TCP, UDP, then ICMP), its entries, its packets. */
static const struct probe_kind *kind_of(const struct scan_module *m)
{
    return probe_kind_or_tcp(m->probe);
}

/*
 * The probe list from job->types x job->ports: one group per raw module,
 * its ports from the module's protocol list (ICMP kinds: one entry, port 0),
 * groups in kind order and otherwise as requested. --scanflags replaces the
 * flags of the TCP port-scan modules.
 */
static int build_probes(struct raw_ctx *c, const struct raw_job *job, char *err, size_t errlen)
{
    const struct scan_module *mods[RAW_MAX_GROUPS];
    int n = 0, max_rank = 0;
    for (const struct probe_kind *const *k = probe_kinds; *k; k++)
        max_rank = (*k)->order > max_rank ? (*k)->order : max_rank;
    for (int rank = 0; rank <= max_rank; rank++)
        for (size_t i = 0; i < job->ntypes && n < RAW_MAX_GROUPS; i++) {
            const struct scan_module *m = job->types[i];
            if (m && m->engine == SCAN_ENGINE_RAW && m->classify_reply && kind_of(m)->order == rank)
                mods[n++] = m;
        }
    if (n == 0)
        return raw_fail(err, errlen, "no raw scan type requested");
    uint64_t total = 0;
    for (int g = 0; g < n; g++)
        total += kind_of(mods[g])->ported ? job->ports.count[mods[g]->proto] : 1;
    if (total > UINT32_MAX)
        return raw_fail(err, errlen, "too many probes per address");
    c->probes = calloc(total ? total : 1, sizeof(*c->probes));
    if (!c->probes)
        return raw_fail(err, errlen, "raw scan: out of memory");
    c->udp_first = c->udp_end = 0;
    uint32_t e = 0;
    for (int g = 0; g < n; g++) {
        const struct scan_module *m = mods[g];
        struct raw_group *gr = &c->groups[g];
        gr->mod = m;
        gr->kind = kind_of(m);
        gr->tcp_flags = gr->kind == &probe_tcp && job->io.scanflags >= 0
                            ? (uint8_t)job->io.scanflags
                            : m->tcp_flags;
        gr->first = e;
        bool ported = gr->kind->ported;
        size_t np = ported ? job->ports.count[m->proto] : 1;
        for (size_t i = 0; i < np; i++, e++) {
            c->probes[e].mod = m;
            c->probes[e].port = ported ? job->ports.ports[m->proto][i] : 0;
            c->probes[e].proto = (uint8_t)m->proto;
            c->probes[e].group = (uint8_t)g;
        }
        gr->count = e - gr->first;
        if (gr->kind->icmp_paced) {
            if (c->udp_first == c->udp_end)
                c->udp_first = gr->first;
            c->udp_end = e;
        }
    }
    c->ngroups = n;
    c->nentries = e;
    return 0;
}

void raw_store_rate(struct raw_ctx *c, double r)
{
    uint64_t bits;
    memcpy(&bits, &r, sizeof(bits));
    atomic_store_explicit(&c->rate_bits, bits, memory_order_relaxed);
}

/* ---- setup ------------------------------------------------------------ */

/* Index space and permutation; shared by the dry run. */
int raw_setup_space(struct raw_ctx *c, const struct raw_job *job, char *err, size_t errlen)
{
    c->job = job;
    c->sched.deadline_ns = INT64_MAX;
    if (build_probes(c, job, err, errlen) < 0)
        return -1;
    c->naddrs = job->targets ? target_set_count(job->targets) : 0;
    if (c->naddrs == UINT64_MAX || permute_space(c->naddrs, c->nentries, &c->nprobes) < 0)
        return raw_fail(err, errlen,
                        "target set too large for one scan: %s addresses x %u probes exceed 2^64 "
                        "probes; scan smaller ranges (less than an IPv6 /64) or fewer ports",
                        c->naddrs == UINT64_MAX ? ">= 2^64" : "that many", c->nentries);
    c->shard = job->io.shard;
    c->nshards = job->io.nshards ? job->io.nshards : 1;
    if (c->nprobes == 0)
        return 0;
    permute_init(&c->perm, c->nprobes, job->seed);
    struct permute_iter it;
    permute_iter_init(&it, &c->perm, c->shard, c->nshards);
    c->shard_count = it.count;
    return raw_sched_init(c, err, errlen);
}

/* One --dry-run line for probe x; false once stdout failed. */
static bool dry_line(const struct raw_ctx *c, uint64_t x)
{
    uint64_t ai, pi;
    struct target t;
    char a[IPADDR_STRLEN];
    permute_split(x, c->naddrs, &ai, &pi);
    if (target_set_at(c->job->targets, ai, &t) < 0 ||
        target_set_is_excluded(c->job->targets, &t.addr))
        return true;
    const struct raw_probe *pr = &c->probes[pi];
    const struct probe_kind *k = c->groups[pr->group].kind;
    printf("probe %s %u %s %s shard %u/%u\n", ipaddr_str(&t.addr, a, sizeof(a)), pr->port,
           k->ported ? port_proto_name((enum port_proto)pr->proto) : k->label, pr->mod->name,
           c->shard + 1, c->nshards);
    return !ferror(stdout);
}

int raw_dry_run(struct raw_ctx *c)
{
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof(buf));
    if (c->nprobes == 0)
        return 0;
    /* SIGPIPE is ignored (main.c), so a closed reader ("| head") shows up
     * only as a stream error: stop then, or a /0 would be walked to the end. */
    if (c->sched.on) {
        /* Pass 0 as the schedule sends it: group after group. */
        bool ok = true;
        for (uint64_t k = 0; ok && k < c->sched.ngroups; k++) {
            raw_sched_group(c, k);
            for (uint64_t d = 0; ok && d < c->sched.count && !job_stopping(c->job->stop); d++)
                ok = dry_line(c, raw_sched_x(c, d));
        }
    } else {
        struct permute_iter it;
        permute_iter_init(&it, &c->perm, c->shard, c->nshards);
        uint64_t vals[PERMUTE_BATCH];
        size_t n;
        bool ok = true;
        while (ok && (n = permute_iter_next_batch(&it, vals, PERMUTE_BATCH)) > 0 &&
               !job_stopping(c->job->stop))
            for (size_t i = 0; ok && i < n; i++)
                ok = dry_line(c, vals[i]);
    }
    /* A reader that stopped early (EPIPE) is how "| head" ends, not an error. */
    int rc = (fflush(stdout) == 0 && !ferror(stdout)) || errno == EPIPE ? 0 : -1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    return rc;
}

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

/*
 * How many sender threads: --sender-threads, but never more than the
 * shard has probes for (a sender with nothing to walk costs a socket and
 * a stamp ring), nor more than one below 100k pps, where one thread
 * paces with room to spare and a single token bucket keeps the spacing
 * even.
 */
static unsigned sender_count(const struct raw_ctx *c)
{
    const struct raw_job *s = c->job;
    unsigned n = s->io.sender_threads > 0 ? (unsigned)s->io.sender_threads : 1;
    if (c->sched.on)
        return 1; /* one walk, one clock for the delay and the window */
    if (n > RAW_MAX_SENDERS)
        n = RAW_MAX_SENDERS;
    double rate = s->io.rate > 0 ? s->io.rate : s->timing.max_rate;
    if (rate > 0 && rate < 100000)
        n = 1;
    if (c->shard_count < (uint64_t)n * 1024)
        n = c->shard_count > 1024 ? (unsigned)(c->shard_count / 1024) : 1;
    return n;
}

int raw_open_io(struct raw_ctx *c, char *err, size_t errlen)
{
    c->nsenders = sender_count(c);
    for (unsigned t = 0; t < c->nsenders; t++) {
        struct raw_sender *snd = &c->snd[t];
        snd->ctx = c;
        snd->id = t;
        for (int fi = 0; fi < c->nfam; fi++) {
            struct raw_fam *f = &c->fam[fi];
            if (!f->used)
                continue;
            errno = 0;
            snd->tx[fi] = tx_open(f->method, &f->ri, f->family, err, errlen);
            if (!snd->tx[fi])
                return errno == EPERM ? raw_fail(err, errlen,
                                                 "raw sockets need root or CAP_NET_RAW "
                                                 "(try -sT)")
                                      : -1;
        }
    }
    if (c->nsenders > 1)
        log_debug("raw", "%u sender threads", c->nsenders);
    char filter[1024];
    raw_rx_filter(c, filter, sizeof(filter));
    log_debug("raw", "receive filter: %s", filter);
    /* One receiver per interface that replies come back through: that of
     * each way out (loopback for our own addresses among the targets). */
    const char *ifs[RAW_MAX_RX];
    int nifs = 0;
    for (int fi = 0; fi < c->nfam; fi++) {
        const struct raw_fam *f = &c->fam[fi];
        bool dup = !f->used;
        for (int j = 0; j < nifs && !dup; j++)
            dup = strcmp(ifs[j], f->ri.ifname) == 0;
        if (!dup)
            ifs[nifs++] = f->ri.ifname;
    }
    for (int i = 0; i < nifs; i++) {
        struct raw_rxer *r = &c->rx[c->nrx];
        r->ctx = c;
        snprintf(r->ifname, sizeof(r->ifname), "%s", ifs[i]);
        errno = 0;
        /* The kernel ring holds half a second of replies at the rate asked
         * for (at most one per probe of the shard): a few MiB for a host, the
         * 64 MiB maximum for fast scans of large ranges (net/io.h). */
        const struct raw_job *s = c->job;
        double rate = s->io.rate > 0 ? s->io.rate : s->timing.max_rate;
        r->rx = rx_open((enum recv_method)s->io.recv_method, r->ifname, filter,
                        rx_ring_bytes(c->shard_count, rate, 500), err, errlen);
        if (!r->rx)
            return errno == EPERM ? raw_fail(err, errlen,
                                             "raw sockets need root or CAP_NET_RAW "
                                             "(try -sT)")
                                  : -1;
        r->linktype = rx_linktype(r->rx);
        /* The aggregator drains every millisecond; the kernel ring above
         * is the deep buffer. A quarter of RAW_RING_SIZE (16 ms at 1M
         * replies/s) costs 384 KiB instead of 1.5 MiB, and a scan with
         * fewer probes gets no more slots than it can fill. */
        uint64_t slots = 4096;
        while (slots < c->shard_count && slots < RAW_RING_SIZE / 4)
            slots *= 2;
        if (raw_ring_init(&r->ring, slots) < 0)
            return raw_fail(err, errlen, "out of memory for the receive ring");
        c->nrx++;
    }
    return 0;
}

/*
 * One bit per probe value. Anonymous mmap with MAP_NORESERVE: pages are
 * only backed once a receiver sets a bit in them, so a /0 x 1 port scan
 * (512 MiB of address space) costs memory in proportion to the answers.
 * If even the address space is not available (IPv6-sized spaces), the
 * scan runs without retries and the aggregator alone removes duplicates.
 */
void raw_alloc_bitmap(struct raw_ctx *c)
{
    uint64_t words = c->nprobes / 64 + 1;
    if (words > SIZE_MAX / 8)
        return;
    size_t bytes = (size_t)words * 8;
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return;
    c->decided = m;
    c->decided_bytes = bytes;
    if (bytes >= (64u << 20))
        log_info("raw", "retry bitmap: %zu MiB reserved, backed only where replies land",
                 bytes >> 20);
}

/* Tell the receivers to stop, wake them from their poll, wait for them. */
void raw_stop_receivers(struct raw_ctx *c)
{
    atomic_store(&c->rx_stop, true);
    for (int i = 0; i < c->nrx; i++)
        if (c->rx[i].running) {
            rx_wake(c->rx[i].rx);
            pthread_join(c->rx[i].th, NULL);
            c->rx[i].running = false;
        }
}

/* The sockets are closed in the background (io.h rx_close_async): each
 * close waits out a kernel grace period, and the results are already
 * delivered. */
void raw_teardown(struct raw_ctx *c)
{
    raw_stop_receivers(c);
    for (int i = 0; i < c->nrx; i++) {
        rx_close_async(c->rx[i].rx);
        raw_ring_free(&c->rx[i].ring);
    }
    for (unsigned t = 0; t < RAW_MAX_SENDERS; t++) {
        for (int fi = 0; fi < RAW_MAX_ROUTES; fi++)
            if (c->snd[t].tx[fi])
                tx_close_async(c->snd[t].tx[fi]);
        free(c->snd[t].stamps);
    }
    if (c->decided)
        munmap(c->decided, c->decided_bytes);
    free(c->skip);
    free(c->sched.tmo);
    raw_pace_free(c->pace);
    for (int fi = 0; fi < RAW_MAX_ROUTES; fi++)
        free(c->fam[fi].payload);
    free(c->rmap);
    free(c->rown);
    udp_payloads_free(c->payloads);
    free(c->probes);
}
