/*
 * ce_setup.c — building and tearing down the connect engine's state: the
 * descriptor budget (RLIMIT_NOFILE), probe slots, the host window, the
 * congestion windows' bounds, the reverse-DNS pool and the launch helper.
 */
#include "engine/connect/ce.h"
#include "core/clock.h"

#include "core/log.h"
#include "core/rdns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#define FD_RESERVE   64   /* descriptors left for outputs, resolver, data files */
#define DEFAULT_CAP  4096 /* probes in flight when --max-parallelism is unset */
#define RDNS_THREADS 8
#define RDNS_FDS     3 /* descriptors a lookup may hold: /etc/hosts, a DNS socket, resolv.conf */

/* RLIMIT_NOFILE soft limit raised to the hard one; returns the soft limit. */
static uint64_t raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    return rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : (uint64_t)rl.rlim_cur;
}

/* Descriptors open now below limit (fcntl probes each number). */
static uint64_t open_fds(uint64_t limit)
{
    uint64_t n = 0;
    for (uint64_t fd = 0; fd < limit; fd++)
        if (fcntl((int)fd, F_GETFD) != -1)
            n++;
    return n;
}

/*
 * Probe slots for t, within RLIMIT_NOFILE: every slot may hold a socket, so
 * the slots are what the limit leaves after the descriptors already open
 * (standard streams, output files), the engine's own (event loop, and the
 * resolver's eventfd with dns), the reverse-DNS threads' (RDNS_FDS each:
 * /etc/hosts, a DNS socket; their number is lowered to fit, into *rdns_threads)
 * and a reserve for files opened later. Returns 0 with err set when not
 * even one probe fits: a scan cannot run there.
 */
static uint32_t parallelism(const struct timing *t, bool dns, uint32_t *rdns_threads, char *err,
                            size_t errlen)
{
    uint64_t nofile = raise_nofile();
    uint64_t cap = t->max_parallelism ? t->max_parallelism : DEFAULT_CAP;
    if (t->min_parallelism > cap)
        cap = t->min_parallelism;
    /* Counting costs one system call per number: only when it can matter. */
    uint64_t used = nofile <= cap + 4 * FD_RESERVE ? open_fds(nofile) : FD_RESERVE;
    uint64_t engine = dns ? 3 : 2, need = engine + CE_MIN_FDS + (dns ? RDNS_FDS : 0);
    uint64_t free_fds = nofile > used + engine ? nofile - used - engine : 0;
    if (free_fds + engine < need) {
        /* The limit bounds descriptor numbers: the least that works leaves
         * need numbers free below it, past any inherited descriptor. */
        uint64_t least = nofile, open_below = used;
        while (least - open_below < need && least < nofile + need + 4096)
            open_below += fcntl((int)least++, F_GETFD) != -1;
        snprintf(err, errlen,
                 "too few file descriptors: the limit is %llu, %llu are open and the connect "
                 "scan needs %llu more (hint: ulimit -n %llu%s)",
                 (unsigned long long)nofile, (unsigned long long)used, (unsigned long long)need,
                 (unsigned long long)least, dns ? ", or -n" : "");
        return 0;
    }
    /* One resolver thread per 8 descriptors left, up to RDNS_THREADS. */
    uint64_t threads = dns ? free_fds / (8 * RDNS_FDS) : 0;
    if (dns && threads < 1)
        threads = 1;
    if (threads > RDNS_THREADS)
        threads = RDNS_THREADS;
    *rdns_threads = (uint32_t)threads;
    uint64_t reserve = free_fds / 4 < FD_RESERVE ? free_fds / 4 : FD_RESERVE;
    if (reserve < threads * RDNS_FDS)
        reserve = threads * RDNS_FDS;
    uint64_t room = free_fds - reserve;
    if (cap > room)
        cap = room;
    if (cap > (1u << 20))
        cap = 1u << 20;
    return cap ? (uint32_t)cap : 1;
}

/* nmap's determineScanGroupSize for TCP scans, without its quick first
 * group: the window slides, so the first hosts report as soon as done. */
static uint32_t group_size(const struct timing *t, uint32_t nports)
{
    uint32_t g = 1024 / (nports ? nports : 1);
    if (g < 64)
        g = 64;
    if (t->min_hostgroup && g < t->min_hostgroup)
        g = t->min_hostgroup;
    if (t->max_hostgroup && g > t->max_hostgroup)
        g = t->max_hostgroup;
    return g ? g : 1;
}

int ce_setup(struct ce *ce, const struct connect_job *job, const struct result_sink *sink,
             evloop_io_fn on_rdns, char *err, size_t errlen)
{
    memset(ce, 0, sizeof(*ce));
    ce->job = job;
    ce->sink = sink;
    ce->mod = job->module ? job->module : scan_module_find("connect");
    if (!ce->mod || !ce->mod->classify_connect)
        return -EINVAL;
    ce->ports = job->ports;
    ce->nports = (uint32_t)job->nports;
    const struct timing *t = &job->timing;
    int retries = t->max_retries < 0 ? 0 : t->max_retries;
    ce->max_tries = retries + 1 > MAX_TRIES_HARD ? MAX_TRIES_HARD : retries + 1;
    /* Discovery gives each ping port one retransmission at most: a dead
     * host costs two timeouts, not eleven. */
    ce->ping_tries = retries > 0 ? 2 : 1;
    ce->scan_delay_us = (int64_t)t->scan_delay_ms * 1000;
    ce->host_timeout_us = (int64_t)t->host_timeout_ms * 1000;
    ce->rate = t->max_rate;
    ce->burst = ce->rate / 200 > 1.0 ? ce->rate / 200 : 1.0; /* 5 ms worth */
    ce->tokens = 1.0;
    ce->tokens_at = clock_mono_us();
    ce->seed = job->seed;
    if (!ce->seed && getrandom(&ce->seed, sizeof(ce->seed), 0) != sizeof(ce->seed))
        ce->seed = (uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32);

    uint32_t rdns_threads = 0;
    ce->nslots = parallelism(t, job->dns != DNS_NEVER, &rdns_threads, err, errlen);
    if (ce->nslots == 0)
        return -EMFILE;
    ce->cap_now = ce->nslots;
    ce->cap_floor = t->min_parallelism < ce->nslots ? t->min_parallelism : ce->nslots;
    ce->nhosts = group_size(t, ce->nports);
    ce->slots = calloc(ce->nslots, sizeof(*ce->slots));
    ce->hosts = calloc(ce->nhosts, sizeof(*ce->hosts));
    ce->batch = calloc(FILL_BATCH, sizeof(*ce->batch));
    ce->by_seq = calloc(ce->nhosts, sizeof(*ce->by_seq));
    if (!ce->slots || !ce->hosts || !ce->batch || !ce->by_seq)
        return -ENOMEM;
    for (uint32_t i = 0; i < ce->nslots; i++) {
        ce->slots[i].fd = -1;
        ce->slots[i].reg_fd = -1;
        ce->slots[i].host = CE_NIL;
        ce->slots[i].next = i + 1 < ce->nslots ? i + 1 : CE_NIL;
    }
    for (uint32_t i = 0; i < ce->nhosts; i++)
        ce->hosts[i].done_next = i + 1 < ce->nhosts ? i + 1 : CE_NIL;
    ce->free_slot = 0;
    ce->free_host = 0;
    ce->ring_cursor = CE_NIL;
    if (job->targets)
        target_iter_init(&ce->it, job->targets);
    else
        ce->targets_done = true;
    char lerr[128];
    ce->loop = evloop_new(ce, lerr, sizeof(lerr));
    if (!ce->loop) {
        snprintf(err, errlen, "connect scan setup failed: %s", lerr);
        return -ENOMEM;
    }
    evloop_set_stop_flag(ce->loop, job->stop);
    ce_cc_setup(ce);
    if (job->dns != DNS_NEVER) {
        /* At most one lookup per host of the window; without a pool (or
         * its eventfd in the loop) hosts simply go without names. */
        struct rdns_opts o = {.max_threads = rdns_threads, .max_pending = ce->nhosts};
        ce->rdns = rdns_new(&o);
        if (ce->rdns && evloop_add(ce->loop, rdns_fd(ce->rdns), EVLOOP_READ, on_rdns, ce, lerr,
                                   sizeof(lerr)) < 0) {
            rdns_free(ce->rdns);
            ce->rdns = NULL;
        }
        if (!ce->rdns)
            log_debug("connect", "no reverse-DNS pool; hosts go without names");
    }
    ce_pool_start(ce);
    log_debug("connect", "%u probes in flight at most, %u hosts at a time, %s", ce->nslots,
              ce->nhosts, ce->pool ? "two launch threads" : "one launch thread");
    return 0;
}

void ce_teardown(struct ce *ce)
{
    ce_pool_stop(ce);
    rdns_free(ce->rdns); /* never waits for a lookup still running */
    for (uint32_t i = 0; ce->slots && i < ce->nslots; i++)
        ce_slot_close(&ce->slots[i]);
    for (uint32_t i = 0; ce->hosts && i < ce->nhosts; i++)
        ce_host_release(&ce->hosts[i]);
    free(ce->slots);
    free(ce->hosts);
    free(ce->by_seq);
    free(ce->batch);
    evloop_free(ce->loop);
}
