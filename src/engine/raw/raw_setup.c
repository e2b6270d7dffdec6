/*
 * raw_setup.c — the raw engine's setup and teardown (raw_internal.h): the
 * probe list from the job's modules and ports, the index space and its
 * permutation, the dry run, the sockets and threads' shared state, and
 * their release (the routes: raw_route.c).
 * raw_engine.c runs the scan on what this builds.
 */
#include "core/clock.h"
#include "core/log.h"
#include "engine/raw/raw_internal.h"
#include "engine/raw/raw_pace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
static void alloc_synacks(struct raw_ctx *c)
{
    if (!c->job->os_passive || c->naddrs == 0 || c->naddrs > SIZE_MAX / sizeof(*c->synacks))
        return;
    size_t bytes = (size_t)c->naddrs * sizeof(*c->synacks);
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED) {
        log_warn("raw", "--os-passive: no room for %" PRIu64 " addresses; no passive guesses",
                 c->naddrs);
        return;
    }
    c->synacks = m; /* zero pages: every slot NULL */
    c->synacks_bytes = bytes;
}

void raw_alloc_bitmap(struct raw_ctx *c)
{
    alloc_synacks(c);
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
    if (c->synacks) {
        for (uint64_t i = 0; i < c->naddrs; i++)
            free(atomic_load_explicit(&c->synacks[i], memory_order_relaxed));
        munmap(c->synacks, c->synacks_bytes);
    }
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
