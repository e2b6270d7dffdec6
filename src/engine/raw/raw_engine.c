/*
 * raw_engine.c — the stateless raw scan: setup (probe list, index space,
 * permutation, cookie key, routes, sockets), the sequence of passes with
 * their cooldowns, and the aggregator loop on the calling thread. The sender is
 * raw_tx.c, the receivers raw_rx.c, the results raw_results.c.
 *
 * Passes. Pass 0 sends every probe of the shard. After each pass the
 * engine waits a cooldown derived from the RTTs measured in this scan
 * (2 x (SRTT + 4 RTTVAR), at least 50 ms, at most --max-rtt-timeout;
 * --initial-rtt-timeout when nothing has answered yet), then pass k
 * resends only probes whose decided bit is clear, up to --max-retries
 * passes. Pass 0 always gets one retry pass (a silent pass 0 may be total
 * loss, e.g. while a neighbour entry resolved); a later pass that brought
 * no new answer means nothing was being lost, so retrying stops there.
 * The last cooldown is --wait when given. Every cooldown ends early once
 * every probe sent is decided.
 *
 * UDP. After each cooldown, UDP targets that answer with port unreachables
 * and still have unanswered UDP probes are handed to the pacer
 * (raw_pace.h): the retry passes skip their UDP probes, and after the
 * passes the pacer retries them at the rate the target's ICMP errors
 * allow, so closed ports are not lost to ICMP rate limiting. After the
 * last pass, known-up targets that sent no ICMP error at all are handed
 * over too: their bucket may have been empty from the start.
 *
 * Rate. --rate pins it; otherwise rate_ctl (core/rate.h) adapts it each
 * 100 ms: slow start, then additive increase, halved when a receiver
 * reports kernel drops or when answers arrive during a retry pass (they
 * are probes that an earlier pass lost).
 */
#include "engine/raw/raw_engine.h"
#include "core/clock.h"
#include "core/datafile.h"

#include "core/log.h"
#include "core/rate.h"
#include "core/status.h"
#include "engine/raw/raw_internal.h"
#include "engine/raw/raw_pace.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#define MIN_COOLDOWN_NS   50000000LL /* 50 ms */
#define AGG_SLEEP_NS      1000000    /* aggregator naps 1 ms when the rings are empty */
#define MAC_TIMEOUT_MS    1000
#define ROUTE_CHECK_SPECS 1024 /* specs whose route is checked one by one */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
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
        return fail(err, errlen, "no raw scan type requested");
    uint64_t total = 0;
    for (int g = 0; g < n; g++)
        total += kind_of(mods[g])->ported ? job->ports.count[mods[g]->proto] : 1;
    if (total > UINT32_MAX)
        return fail(err, errlen, "too many probes per address");
    c->probes = calloc(total ? total : 1, sizeof(*c->probes));
    if (!c->probes)
        return fail(err, errlen, "raw scan: out of memory");
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

static void store_rate(struct raw_ctx *c, double r)
{
    uint64_t bits;
    memcpy(&bits, &r, sizeof(bits));
    atomic_store_explicit(&c->rate_bits, bits, memory_order_relaxed);
}

/* ---- setup ------------------------------------------------------------ */

/* Index space and permutation; shared by the dry run. */
static int setup_space(struct raw_ctx *c, const struct raw_job *job, char *err, size_t errlen)
{
    c->job = job;
    c->sched.deadline_ns = INT64_MAX;
    if (build_probes(c, job, err, errlen) < 0)
        return -1;
    c->naddrs = job->targets ? target_set_count(job->targets) : 0;
    if (c->naddrs == UINT64_MAX || permute_space(c->naddrs, c->nentries, &c->nprobes) < 0)
        return fail(err, errlen,
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

static int dry_run(struct raw_ctx *c)
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

/*
 * Route and send method for one family (used = false if no target has it).
 * The route of each spec's first address is checked (the first
 * ROUTE_CHECK_SPECS specs): a spec without a route is skipped with a
 * warning, as nmap scans the targets it can reach; the family's route is
 * the first that works. One next hop for all (one target, or everything
 * behind one gateway) allows the Ethernet senders; on-link targets each
 * need their own MAC, so then the kernel resolves neighbours (raw IP
 * socket).
 */
static int setup_family(struct raw_ctx *c, int fi, char *err, size_t errlen)
{
    struct raw_fam *f = &c->fam[fi];
    const struct raw_job *job = c->job;
    f->family = fi ? AF_INET6 : AF_INET;
    const char *ifname = job->io.iface[0] ? job->io.iface : NULL;
    const struct ipaddr *src =
        job->io.have_src && job->io.src.family == f->family ? &job->io.src : NULL;
    size_t nspecs = target_set_nspecs(job->targets);
    uint64_t reachable = 0;
    bool any = false, one_hop = true, first_err = true;
    for (size_t i = 0; i < nspecs; i++) {
        struct ipaddr first;
        uint64_t base, count;
        if (target_set_spec(job->targets, i, &first, &base, &count) < 0 ||
            first.family != f->family)
            continue;
        any = true;
        if (f->used && i >= ROUTE_CHECK_SPECS) {
            reachable += count; /* unchecked: assumed like the others */
            one_hop = false;
            continue;
        }
        struct route_info ri;
        char e2[256];
        if (route_lookup(&first, ifname, src, &ri, e2, sizeof(e2)) < 0) {
            if (first_err)
                snprintf(err, errlen, "%s", e2);
            first_err = false;
            struct raw_skip *s = realloc(c->skip, (c->nskip + 1) * sizeof(*s));
            if (!s)
                return fail(err, errlen, "raw scan: out of memory");
            c->skip = s;
            c->skip[c->nskip].lo = base;
            c->skip[c->nskip].hi = count > UINT64_MAX - base ? UINT64_MAX : base + count;
            c->skip[c->nskip].first = first;
            c->nskip++;
            continue;
        }
        if (!f->used) {
            f->used = true;
            f->ri = ri;
        } else if (!ipaddr_equal(&ri.next_hop, &f->ri.next_hop)) {
            one_hop = false;
            if (strcmp(ri.ifname, f->ri.ifname) != 0)
                log_warn("raw",
                         "targets from %s on are routed through %s, not %s: their "
                         "probes leave through %s",
                         ipaddr_str(&first, e2, sizeof(e2)), ri.ifname, f->ri.ifname, f->ri.ifname);
        }
        reachable += count;
    }
    if (!any)
        return 0;
    if (!f->used)
        return -1; /* err holds the first route error */
    for (size_t i = 0; i < c->nskip; i++) {
        char a[IPADDR_STRLEN];
        uint64_t n = c->skip[i].hi - c->skip[i].lo;
        if (c->skip[i].first.family == f->family)
            log_warn("raw", "no route to %s: skipping %" PRIu64 " address%s",
                     ipaddr_str(&c->skip[i].first, a, sizeof(a)), n, n == 1 ? "" : "es");
    }
    f->method = (enum send_method)job->io.send_method;
    if (!one_hop || (!f->ri.via_gateway && reachable > 1)) {
        if (f->method != SEND_AUTO && f->method != SEND_RAW)
            log_info("raw", "%s targets have several next hops: sending through raw IP sockets",
                     f->family == AF_INET6 ? "IPv6" : "IPv4");
        f->method = SEND_RAW;
    }
    if (tx_wants_ethernet(f->method, &f->ri)) {
        char e2[256];
        if (route_resolve_mac(&f->ri, MAC_TIMEOUT_MS, e2, sizeof(e2)) < 0) {
            if (f->ri.via_gateway)
                return fail(err, errlen, "%s", e2);
            /* A single on-link target that does not answer ARP/NDP is down;
             * the raw socket path reports it so without a special case. */
            log_debug("raw", "%s; sending through a raw IP socket", e2);
            f->method = SEND_RAW;
        }
    }
    log_debug("raw", "%s probes leave through %s with send method %s (asked: %s)",
              f->family == AF_INET6 ? "IPv6" : "IPv4", f->ri.ifname, send_method_name(f->method),
              send_method_name((enum send_method)job->io.send_method));
    return raw_tx_template(c, f, err, errlen);
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

static int open_io(struct raw_ctx *c, char *err, size_t errlen)
{
    c->nsenders = sender_count(c);
    for (unsigned t = 0; t < c->nsenders; t++) {
        struct raw_sender *snd = &c->snd[t];
        snd->ctx = c;
        snd->id = t;
        for (int fi = 0; fi < 2; fi++) {
            struct raw_fam *f = &c->fam[fi];
            if (!f->used)
                continue;
            errno = 0;
            snd->tx[fi] = tx_open(f->method, &f->ri, f->family, err, errlen);
            if (!snd->tx[fi])
                return errno == EPERM ? fail(err, errlen,
                                             "raw sockets need root or CAP_NET_RAW "
                                             "(try -sT)")
                                      : -1;
        }
    }
    if (c->nsenders > 1)
        log_debug("raw", "%u sender threads", c->nsenders);
    char filter[512];
    raw_rx_filter(c, filter, sizeof(filter));
    log_debug("raw", "receive filter: %s", filter);
    for (int fi = 0; fi < 2; fi++) {
        struct raw_fam *f = &c->fam[fi];
        if (!f->used || (fi == 1 && c->nrx == 1 && strcmp(c->rx[0].ifname, f->ri.ifname) == 0))
            continue;
        struct raw_rxer *r = &c->rx[c->nrx];
        r->ctx = c;
        snprintf(r->ifname, sizeof(r->ifname), "%s", f->ri.ifname);
        errno = 0;
        /* The kernel ring holds half a second of replies at the rate asked
         * for (at most one per probe of the shard): a few MiB for a host, the
         * 64 MiB maximum for fast scans of large ranges (net/io.h). */
        const struct raw_job *s = c->job;
        double rate = s->io.rate > 0 ? s->io.rate : s->timing.max_rate;
        r->rx = rx_open((enum recv_method)s->io.recv_method, r->ifname, filter,
                        rx_ring_bytes(c->shard_count, rate, 500), err, errlen);
        if (!r->rx)
            return errno == EPERM ? fail(err, errlen,
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
            return fail(err, errlen, "out of memory for the receive ring");
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
static void alloc_bitmap(struct raw_ctx *c)
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
static void stop_receivers(struct raw_ctx *c)
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
static void teardown(struct raw_ctx *c)
{
    stop_receivers(c);
    for (int i = 0; i < c->nrx; i++) {
        rx_close_async(c->rx[i].rx);
        raw_ring_free(&c->rx[i].ring);
    }
    for (unsigned t = 0; t < RAW_MAX_SENDERS; t++) {
        for (int fi = 0; fi < 2; fi++)
            if (c->snd[t].tx[fi])
                tx_close_async(c->snd[t].tx[fi]);
        free(c->snd[t].stamps);
    }
    if (c->decided)
        munmap(c->decided, c->decided_bytes);
    free(c->skip);
    free(c->sched.tmo);
    raw_pace_free(c->pace);
    for (int fi = 0; fi < 2; fi++)
        free(c->fam[fi].payload);
    udp_payloads_free(c->payloads);
    free(c->probes);
}

/* ---- the aggregator loop ------------------------------------------------ */

struct raw_agg {
    struct raw_ctx *c;
    struct raw_results *res;
    struct rate_ctl ctl;
    struct status st;
    int64_t next_tick;
    uint64_t last_drops, last_sent, retry_answers_seen;
    uint64_t answers_base; /* answers before the current host group */
    int64_t last_rate_ns;
    int oom;
};

struct raw_ctx *raw_agg_ctx(struct raw_agg *g)
{
    return g->c;
}

struct raw_results *raw_agg_results(struct raw_agg *g)
{
    return g->res;
}

double raw_agg_rate(const struct raw_agg *g)
{
    return g->ctl.rate;
}

size_t raw_agg_drain(struct raw_agg *g)
{
    size_t n = 0;
    struct raw_reply rep;
    for (int i = 0; i < g->c->nrx; i++)
        while (raw_ring_pop(&g->c->rx[i].ring, &rep)) {
            int r = raw_results_add(g->res, &rep);
            if (r < 0)
                g->oom = 1;
            else if (r > 0 && rep.pass > 0 && !atomic_load(&g->c->pacing))
                g->retry_answers_seen++;
            if (g->c->pace)
                raw_pace_on_reply(g->c->pace, &rep);
            n++;
        }
    return n;
}

static size_t drain(struct raw_agg *g)
{
    return raw_agg_drain(g);
}

int64_t raw_agg_wait_ns(const struct raw_agg *g)
{
    const struct rtt_est *e = raw_results_rtt(g->res);
    const struct timing *t = &g->c->job->timing;
    if (!e->have_sample)
        return (int64_t)t->initial_rtt_ms * 1000000;
    int64_t w = 2 * (e->srtt_us + 4 * e->rttvar_us) * 1000;
    int64_t cap = (int64_t)t->max_rtt_ms * 1000000;
    if (cap > 0 && w > cap)
        w = cap;
    return w < MIN_COOLDOWN_NS ? MIN_COOLDOWN_NS : w;
}

/*
 * --min-parallelism N: nmap's floor on the probes outstanding. A probe is
 * outstanding for about a reply wait, so the rate never falls below N per
 * wait (the AIMD halvings stop there); --max-rate still caps it, as nmap's
 * does.
 */
static void min_parallelism_floor(struct raw_agg *g)
{
    uint32_t n = g->c->job->timing.min_parallelism;
    if (!n || g->ctl.min >= g->ctl.max)
        return;
    double floor = (double)n * 1e9 / (double)raw_agg_wait_ns(g);
    if (floor > g->ctl.max)
        floor = g->ctl.max;
    if (floor > g->ctl.min)
        g->ctl.min = floor;
}

/* Senders stop pinning (raw_tx.c unpin_sender) once this many frames are
 * out and at least a quarter of them drew a reply. */
#define UNPIN_MIN_SENT 4096

void raw_agg_tick(struct raw_agg *g, int64_t now, bool sending)
{
    struct raw_ctx *c = g->c;
    if (c->sched.window)
        atomic_store_explicit(&c->sched.timeout_ns, raw_agg_wait_ns(g), memory_order_relaxed);
    if (sending && !atomic_load_explicit(&c->unpin, memory_order_relaxed)) {
        uint64_t sent = atomic_load_explicit(&c->tx_sent, memory_order_relaxed);
        if (sent >= UNPIN_MIN_SENT && raw_results_answers(g->res) * 4 >= sent)
            atomic_store_explicit(&c->unpin, true, memory_order_relaxed);
    }
    if (now < g->next_tick)
        return;
    g->next_tick = now + RATE_TICK_NS;
    uint64_t drops = 0;
    for (int i = 0; i < c->nrx; i++)
        drops += atomic_load_explicit(&c->rx[i].kernel_drops, memory_order_relaxed);
    bool loss = drops > g->last_drops || g->retry_answers_seen > 0;
    g->last_drops = drops;
    g->retry_answers_seen = 0;
    if (sending) {
        min_parallelism_floor(g);
        double r = rate_ctl_tick(&g->ctl, loss);
        store_rate(c, r);
    }
    if (status_due(&g->st, now)) {
        /* Rate actually sent since the last report, not the target rate. */
        uint64_t sent = atomic_load_explicit(&c->tx_sent, memory_order_relaxed);
        double pps = now > g->last_rate_ns
                         ? (double)(sent - g->last_sent) * 1e9 / (double)(now - g->last_rate_ns)
                         : 0;
        g->last_sent = sent;
        g->last_rate_ns = now;
        int pass = atomic_load(&c->pass);
        uint64_t pos = raw_tx_pos(c);
        double frac =
            pass > 0 || !sending || !c->shard_count ? 1.0 : (double)pos / (double)c->shard_count;
        double speed = pps > 0 ? pps : g->ctl.rate;
        double left = (sending && pass == 0 ? (double)(c->shard_count - pos) / speed : 0) +
                      (double)raw_agg_wait_ns(g) / 1e9;
        status_print(&g->st, pps, frac, left, raw_results_open(g->res));
    }
}

static void nap(void)
{
    struct timespec ts = {0, AGG_SLEEP_NS};
    nanosleep(&ts, NULL);
}

/*
 * Drain for a cooldown that started at from: fixed_ns when >= 0 (--wait),
 * else cooldown_ns() re-evaluated as replies come in (the first samples
 * usually land after the pass ends, and shrink the initial-RTT guess).
 * Ends early on Ctrl-C or once every probe sent (expected) is decided.
 */
static void cooldown(struct raw_agg *g, int64_t from, int64_t fixed_ns, uint64_t expected)
{
    for (;;) {
        int64_t now = clock_mono_ns();
        int64_t wait = fixed_ns >= 0 ? fixed_ns : raw_agg_wait_ns(g);
        if (now >= from + wait || job_stopping(g->c->job->stop))
            return;
        if (now >= g->c->sched.deadline_ns) {
            atomic_store(&g->c->sched.expired, true); /* --host-timeout */
            return;
        }
        raw_agg_tick(g, now, false);
        if (drain(g) == 0) {
            if (expected && raw_results_answers(g->res) - g->answers_base >= expected)
                return;
            nap();
        }
    }
}

/* May the pacer (raw_pace.h) retry UDP ports? Not under --scan-delay or
 * --max-parallelism: its rounds go back to back and uncounted. Those
 * ports are then retried by the passes, probe by probe, as nmap does. */
static bool pacing_allowed(const struct raw_ctx *c)
{
    return c->udp_first < c->udp_end && c->decided && c->job->timing.max_retries > 0 &&
           !c->sched.delay_ns && !c->sched.window;
}

/* The current group's host timeout passed (struct raw_sched). */
static bool expired(const struct raw_ctx *c)
{
    return atomic_load(&c->sched.expired);
}

static int run_passes(struct raw_ctx *c, struct raw_agg *g, char *err, size_t errlen)
{
    int max_pass = c->job->timing.max_retries < 0 ? 0 : c->job->timing.max_retries;
    if (!c->decided)
        max_pass = 0;
    for (int pass = 0;; pass++) {
        uint64_t before = raw_results_answers(g->res);
        atomic_store(&c->pass, pass);
        int64_t t_start = clock_mono_ns();
        uint64_t sent_before = atomic_load(&c->tx_sent);
        unsigned started = 0;
        atomic_store(&c->cpus_claimed, 0);
        for (; started < c->nsenders; started++) {
            struct raw_sender *snd = &c->snd[started];
            atomic_store(&snd->pos, 0);
            atomic_store(&snd->done, false);
            if (pthread_create(&snd->th, NULL, c->sched.on ? raw_sched_tx_main : raw_tx_main,
                               snd) != 0)
                break;
        }
        if (started < c->nsenders)
            atomic_store(&c->tx_abort, true); /* the ones started end at once */
        for (unsigned t = 0; t < started;) {
            if (!atomic_load_explicit(&c->snd[t].done, memory_order_acquire)) {
                raw_agg_tick(g, clock_mono_ns(), true);
                if (drain(g) == 0)
                    nap();
                continue;
            }
            pthread_join(c->snd[t].th, NULL);
            t++;
        }
        if (started < c->nsenders)
            return fail(err, errlen, "cannot start the sender threads");
        double secs = (double)(clock_mono_ns() - t_start) / 1e9;
        uint64_t nsent = atomic_load(&c->tx_sent) - sent_before;
        log_debug("raw", "pass %d: sent %" PRIu64 " probes in %.3f s (%.0f pps)", pass, nsent, secs,
                  secs > 0 ? (double)nsent / secs : 0.0);
        uint64_t expected = 0;
        for (unsigned t = 0; t < c->nsenders; t++) {
            if (c->snd[t].tx_errno)
                return fail(err, errlen, "%s", c->snd[t].tx_err);
            expected += c->snd[t].sent_pass0;
        }
        if (job_stopping(c->job->stop) || expired(c))
            return 0;
        bool last = pass >= max_pass;
        int64_t wait_ns = c->job->io.wait_s >= 0 ? (int64_t)(c->job->io.wait_s * 1e9) : -1;
        int64_t end = clock_mono_ns();
        cooldown(g, end, last ? wait_ns : -1, expected);
        /* UDP hosts that answered with port unreachables and still have
         * unanswered UDP probes are paced from now on (raw_pace.h); their
         * UDP probes leave the retry passes. */
        if (max_pass > 0 && pacing_allowed(c) && raw_pace_select(c, g->res, false) < 0)
            return fail(err, errlen, "raw scan: out of memory for UDP pacing");
        uint64_t fresh = raw_results_answers(g->res) - before;
        uint64_t decided = raw_results_answers(g->res) - g->answers_base;
        log_debug("raw", "pass %d: %" PRIu64 " new answers, %" PRIu64 " of %" PRIu64 " decided",
                  pass, fresh, decided, expected);
        if (last || decided >= expected || job_stopping(c->job->stop) || expired(c))
            return 0;
        if (pass > 0 && fresh == 0) {
            /* Nothing was lost in the last pass: further passes would find
             * nothing either. Give the final cooldown its --wait. */
            if (wait_ns >= 0)
                cooldown(g, end, wait_ns, expected);
            return 0;
        }
    }
}

/* The passes and the UDP pacing of the whole scan, or with the schedule
 * on, of the current host group. */
static int run_group(struct raw_ctx *c, struct raw_agg *g, char *err, size_t errlen)
{
    const struct raw_job *job = c->job;
    g->answers_base = raw_results_answers(g->res);
    int rc = run_passes(c, g, err, errlen);
    /* Known-up hosts that sent no ICMP error in the passes may have
     * met an empty bucket all along: they are searched (raw_pace.h, 1). */
    if (rc == 0 && pacing_allowed(c) && !job_stopping(job->stop) && !expired(c) &&
        raw_pace_select(c, g->res, true) < 0)
        rc = fail(err, errlen, "raw scan: out of memory for UDP pacing");
    if (rc == 0 && c->pace && !job_stopping(job->stop) && !expired(c))
        rc = raw_pace_run(g, err, errlen);
    return rc;
}

/* Note the current group as timed out (its hosts with a probe undecided are
 * delivered so); -1 when out of memory. */
static int note_timeout(struct raw_ctx *c)
{
    struct raw_sched *s = &c->sched;
    struct raw_skip *t = realloc(s->tmo, (s->ntmo + 1) * sizeof(*t));
    if (!t)
        return -1;
    s->tmo = t;
    t[s->ntmo].lo = raw_sched_addr(c, s->jlo);
    t[s->ntmo].hi = raw_sched_addr(c, s->jlo + s->n - 1) + 1;
    s->ntmo++;
    return 0;
}

/* Host group after host group (struct raw_sched): each its own passes,
 * cooldowns and pacing, over the same results and decided bits. */
static int run_groups(struct raw_ctx *c, struct raw_agg *g, char *err, size_t errlen)
{
    int rc = 0;
    for (uint64_t k = 0; k < c->sched.ngroups && rc == 0 && !job_stopping(c->job->stop); k++) {
        raw_sched_group(c, k);
        /* The pacer's hosts are the group's. */
        raw_pace_free(c->pace);
        c->pace = NULL;
        if (c->sched.ngroups > 1)
            log_debug("raw", "host group %" PRIu64 " of %" PRIu64 ": %" PRIu64 " host%s", k + 1,
                      c->sched.ngroups, c->sched.n, c->sched.n == 1 ? "" : "s");
        rc = run_group(c, g, err, errlen);
        if (rc == 0 && expired(c)) {
            log_debug("raw", "host group %" PRIu64 ": --host-timeout reached", k + 1);
            if (note_timeout(c) < 0)
                rc = fail(err, errlen, "raw scan: out of memory");
        }
    }
    return rc;
}

int raw_engine_run(const struct raw_job *job, const struct result_sink *sink, char *err,
                   size_t errlen)
{
    struct raw_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return fail(err, errlen, "raw scan: out of memory");
    if (errlen)
        err[0] = '\0';
    int rc = setup_space(c, job, err, errlen);
    if (rc == 0 && job->io.dry_run) {
        rc = dry_run(c);
        if (rc < 0)
            snprintf(err, errlen, "writing --dry-run probes to stdout: %s", strerror(errno));
        free(c->probes);
        free(c);
        return rc;
    }
    struct raw_agg g;
    memset(&g, 0, sizeof(g));
    g.c = c;
    struct timespec start;
    clock_gettime(CLOCK_REALTIME, &start);
    uint8_t key[16];
    if (rc == 0 && getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
        rc = fail(err, errlen, "getrandom: %s", strerror(errno));
    if (rc == 0) {
        bool fixed = job->io.src_port >= 0;
        cookie_init(&c->cookie, key, fixed ? (uint16_t)job->io.src_port : RAW_SPORT_BASE,
                    fixed ? 1 : RAW_SPORT_COUNT);
    }
    if (rc == 0 && c->nprobes && c->udp_first < c->udp_end) {
        /* nmap-payloads from the data directory when present, else the
         * built-ins (udp_payloads.h). */
        char e2[256], path[4096];
        c->payloads = udp_payloads_load(
            datafile_find(job->io.datadir, "nmap-payloads", path, sizeof(path)), e2, sizeof(e2));
        if (!c->payloads)
            rc = fail(err, errlen, "%s", e2);
    }
    for (int fi = 0; rc == 0 && fi < 2 && c->nprobes; fi++)
        rc = setup_family(c, fi, err, errlen);
    if (rc == 0 && c->nprobes)
        rc = open_io(c, err, errlen);
    if (rc == 0 && c->nprobes) {
        bool ok = true;
        for (unsigned t = 0; t < c->nsenders; t++)
            ok = ok && (c->snd[t].stamps = calloc(RAW_STAMPS, sizeof(struct raw_stamp)));
        g.res = raw_results_new(c->nentries);
        if (!ok || !g.res)
            rc = fail(err, errlen, "raw scan: out of memory");
        alloc_bitmap(c);
    }
    for (int i = 0; rc == 0 && i < c->nrx; i++) {
        if (pthread_create(&c->rx[i].th, NULL, raw_rx_main, &c->rx[i]) != 0)
            rc = fail(err, errlen, "cannot start the receiver thread");
        else
            c->rx[i].running = true;
    }
    if (rc == 0 && c->nprobes) {
        rate_ctl_init(&g.ctl, &job->timing, job->io.rate);
        store_rate(c, g.ctl.rate);
        int64_t now = clock_mono_ns();
        status_init(&g.st, stderr, job->io.stats_every_ms, now);
        g.last_rate_ns = now;
        log_debug("raw", "%" PRIu64 " probes in shard %u/%u, rate %.0f pps (%s)", c->shard_count,
                  c->shard + 1, c->nshards, g.ctl.rate, job->io.rate > 0 ? "fixed" : "adaptive");
        if (c->sched.on)
            rc = run_groups(c, &g, err, errlen);
        else
            rc = run_group(c, &g, err, errlen);
    }
    bool interrupted = job_stopping(job->stop);
    stop_receivers(c);
    if (g.res)
        drain(&g);
    status_finish(&g.st);
    if (g.oom && rc == 0)
        rc = fail(err, errlen, "raw scan: out of memory for results");
    /* Deliver what is known even after a runtime error ("results found so
     * far are always written"), unless nothing ran at all. */
    if (g.res && (rc == 0 || raw_results_hosts(g.res) > 0)) {
        struct raw_deliver d = {
            .job = job,
            .probes = c->probes,
            .nentries = c->nentries,
            .naddrs = c->naddrs,
            .perm = &c->perm,
            .shard = c->shard,
            .nshards = c->nshards,
            .sink = sink,
            .skip = c->skip,
            .nskip = c->nskip,
            .shard_by_addr = c->sched.on,
            .tmo = c->sched.tmo,
            .ntmo = c->sched.ntmo,
            .interrupted = interrupted || rc < 0,
            .start = start,
        };
        if (raw_results_deliver(g.res, &d) < 0 && rc == 0)
            rc = fail(err, errlen, "raw scan: out of memory delivering results");
    }
    for (int i = 0; i < c->nrx; i++)
        log_debug("raw",
                  "rx %s: %" PRIu64 " frames, %" PRIu64 " valid, %" PRIu64 " duplicates, %" PRIu64
                  " unmapped, %" PRIu64 " kernel drops, %" PRIu64 " ring waits",
                  c->rx[i].ifname, c->rx[i].frames, c->rx[i].valid, c->rx[i].dupes,
                  c->rx[i].unmapped, atomic_load(&c->rx[i].kernel_drops), c->rx[i].ring_waits);
    log_debug("raw", "sent %" PRIu64 " frames, %" PRIu64 " rate halvings", atomic_load(&c->tx_sent),
              g.ctl.losses);
    raw_results_free(g.res);
    teardown(c);
    free(c);
    return rc;
}
