/*
 * connect_engine.c — the connect scan on one epoll loop.
 *
 * Shape of the loop (connect_engine_run):
 *   sweep    expire probes past send + rtt_timeout (per-host FIFO, oldest
 *            first, so only heads are looked at) and hosts past
 *            --host-timeout;
 *   deliver  hosts that finished, then admit targets into the free places
 *            of the host window (targets are pulled lazily; the window
 *            slides instead of waiting for a whole group);
 *   fill     plan a batch of probes round-robin over hosts with work,
 *            bounded by the in-flight cap, --scan-delay, --max-rate and the
 *            batch size (so the loop comes back to Ctrl-C and timers);
 *            ce_launch.c performs it, on two threads when there are cores;
 *            the results are applied here, on the loop's thread only;
 *   wait     epoll_pwait2 until the next deadline, then finish the probes
 *            whose sockets reported.
 *
 * How a probe is resolved: a non-blocking connect() starts it; a second
 * connect() on the same socket reports its state without blocking (0 or
 * EISCONN: established; EALREADY: still pending; anything else: the error,
 * after which the kernel has reset the socket so it can be reused). On
 * loopback the answer is processed before the first connect() returns, so
 * the second call resolves it at once and epoll is never involved; remote
 * probes wait for an edge-triggered epoll event and are resolved the same
 * way. Reusing refused sockets saves a socket()/close() pair per closed
 * port, which with the second launch thread is what makes a 65,535-port
 * loopback scan fast.
 *
 * All state lives in struct ce (ce.h), one per run.
 */
#include "engine/ce.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#define FD_RESERVE     64   /* descriptors left for outputs, resolver, data files */
#define DEFAULT_CAP    4096 /* probes in flight when --max-parallelism is unset */
#define FILL_BATCH     256  /* launches between two visits to timers and Ctrl-C */
#define MAX_EVENTS     512
#define MAX_WAIT_US    100000 /* recheck the stop flag at least this often */
#define LOCAL_BACKOFF  10000  /* longest pause after a local shortage (us) */
#define MAX_TRIES_HARD 250    /* tries are counted in a byte */

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ---- host lists: send rotation and done list ---------------------------- */

static void ring_add(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    if (h->in_ring)
        return;
    h->in_ring = true;
    ce->ring_len++;
    if (ce->ring_cursor == CE_NIL) {
        h->ring_next = h->ring_prev = hi;
        ce->ring_cursor = hi;
        return;
    }
    /* Insert just before the cursor: the newcomer's turn comes last. */
    struct ce_host *c = &ce->hosts[ce->ring_cursor];
    h->ring_next = ce->ring_cursor;
    h->ring_prev = c->ring_prev;
    ce->hosts[c->ring_prev].ring_next = hi;
    c->ring_prev = hi;
}

static void ring_remove(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    if (!h->in_ring)
        return;
    h->in_ring = false;
    if (--ce->ring_len == 0) {
        ce->ring_cursor = CE_NIL;
        return;
    }
    ce->hosts[h->ring_prev].ring_next = h->ring_next;
    ce->hosts[h->ring_next].ring_prev = h->ring_prev;
    if (ce->ring_cursor == hi)
        ce->ring_cursor = h->ring_next;
}

static void done_push(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    ring_remove(ce, hi);
    h->done = true;
    h->done_next = CE_NIL;
    if (ce->done_tail == CE_NIL)
        ce->done_head = hi;
    else
        ce->hosts[ce->done_tail].done_next = hi;
    ce->done_tail = hi;
}

/* ---- probe slots ------------------------------------------------------- */

/* Reserve the free-list head for a probe of host hi (counted in flight
 * from here on, so that a planned batch respects the cap). */
static uint32_t slot_reserve(struct ce *ce, uint32_t hi)
{
    uint32_t s = ce->free_slot;
    struct ce_slot *p = &ce->slots[s];
    ce->free_slot = p->next;
    p->busy = true;
    p->host = hi;
    p->prev = p->next = CE_NIL;
    ce->inflight++;
    return s;
}

/* A reserved slot whose connect is pending joins its host's FIFO. */
static void slot_wait(struct ce *ce, uint32_t s, struct ce_host *h)
{
    struct ce_slot *p = &ce->slots[s];
    p->next = CE_NIL;
    p->prev = h->fifo_tail;
    if (h->fifo_tail == CE_NIL)
        h->fifo_head = s;
    else
        ce->slots[h->fifo_tail].next = s;
    h->fifo_tail = s;
    h->ninflight++;
}

/* Back on the free list (the slot keeps its socket, if any). */
static void slot_release(struct ce *ce, uint32_t s)
{
    struct ce_slot *p = &ce->slots[s];
    ce->inflight--;
    p->busy = false;
    p->host = CE_NIL;
    p->next = ce->free_slot;
    ce->free_slot = s;
    /* Regrow after a local shortage lowered the cap: one per completion. */
    if (ce->cap_now < ce->nslots)
        ce->cap_now++;
}

/* Out of the host's FIFO and back on the free list. */
static void slot_drop(struct ce *ce, uint32_t s)
{
    struct ce_slot *p = &ce->slots[s];
    struct ce_host *h = &ce->hosts[p->host];
    if (p->prev == CE_NIL)
        h->fifo_head = p->next;
    else
        ce->slots[p->prev].next = p->next;
    if (p->next == CE_NIL)
        h->fifo_tail = p->prev;
    else
        ce->slots[p->next].prev = p->prev;
    h->ninflight--;
    slot_release(ce, s);
}

/* ---- outcomes ---------------------------------------------------------- */

static int tries_allowed(const struct ce *ce, const struct ce_host *h)
{
    return h->phase == CE_PING ? ce->ping_tries : ce->max_tries;
}

static void cancel_inflight(struct ce *ce, struct ce_host *h)
{
    while (h->fifo_head != CE_NIL) {
        uint32_t s = h->fifo_head;
        ce_slot_close(&ce->slots[s]);
        slot_drop(ce, s);
    }
}

static void local_shortage(struct ce *ce, int err, int64_t now)
{
    uint32_t floor = ce->cap_floor > ce->inflight ? ce->cap_floor : ce->inflight;
    ce->cap_now = floor ? floor : 1;
    /* Exponential pause, reset by the next probe that goes out: a passing
     * shortage costs microseconds, a lasting one does not spin. */
    ce->backoff_us = ce->backoff_us ? ce->backoff_us * 2 : 100;
    if (ce->backoff_us > LOCAL_BACKOFF)
        ce->backoff_us = LOCAL_BACKOFF;
    ce->backoff_until = now + ce->backoff_us;
    ce->n_local++;
    if (!ce->warned_local) {
        log_debug("connect", "local resource shortage (%s); lowering parallelism to %u",
                  strerror(err), ce->cap_now);
        ce->warned_local = true;
    }
}

/* Discovery answered: the host is up; drop the other ping and scan ports. */
static int ping_up(struct ce *ce, uint32_t hi, enum reason why)
{
    struct ce_host *h = &ce->hosts[hi];
    cancel_inflight(ce, h);
    ring_remove(ce, hi);
    h->status = HOST_UP;
    h->status_reason = why;
    if (ce_host_phase(ce, h, CE_PORTS, ce->ports, ce->nports) < 0)
        return -1;
    if (h->nports == 0)
        done_push(ce, hi);
    else
        ring_add(ce, hi);
    return 0;
}

/* Port idx of host hi is decided. */
static int decide(struct ce *ce, uint32_t hi, uint32_t idx, enum port_state st, enum reason rs)
{
    struct ce_host *h = &ce->hosts[hi];
    h->st[idx] = (uint8_t)st;
    h->rs[idx] = (uint8_t)rs;
    h->ndone++;
    if (h->phase == CE_PING) {
        /* nmap's unprivileged ping: a connection or a refusal proves the
         * host is there; unreachables and silence do not. */
        if (st == PORT_OPEN || st == PORT_CLOSED)
            return ping_up(ce, hi, st == PORT_OPEN ? REASON_SYN_ACK : REASON_CONN_REFUSED);
        if (h->ndone == h->nports) {
            h->status = HOST_DOWN;
            h->status_reason = REASON_NO_RESPONSE;
            done_push(ce, hi);
        }
        return 0;
    }
    if (h->ndone == h->nports)
        done_push(ce, hi);
    return 0;
}

/* A probe finished with err (0 = connected). sample_us < 0: no RTT sample. */
static int outcome(struct ce *ce, uint32_t hi, uint32_t idx, int tries, int err, int64_t sample_us,
                   int64_t now)
{
    struct ce_host *h = &ce->hosts[hi];
    enum port_state st;
    enum reason rs;
    if (ce->mod->classify_connect(err, &st, &rs) == VERDICT_RETRY) {
        /* Not an answer from the target: send again without using a try. */
        h->tries[idx]--;
        ce_host_requeue(h, idx);
        ring_add(ce, hi);
        local_shortage(ce, err, now);
        return 0;
    }
    ce->backoff_us = 0;
    /* Karn: a retransmitted probe's answer may belong to any copy. */
    if (sample_us >= 0 && tries == 1)
        rtt_update(&h->rtt, sample_us);
    return decide(ce, hi, idx, st, rs);
}

static int probe_timeout(struct ce *ce, uint32_t s)
{
    struct ce_slot *p = &ce->slots[s];
    uint32_t hi = p->host, idx = p->idx;
    struct ce_host *h = &ce->hosts[hi];
    ce->n_timeouts++;
    /* An ICMP error that reached the socket while connect() held its lock
     * (always the case on loopback) is kept only as a soft error, which
     * SO_ERROR still reports: an answer, not silence. */
    int soft = 0;
    socklen_t len = sizeof(soft);
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soft, &len) < 0)
        soft = 0;
    ce_slot_close(p); /* still in SYN_SENT: not worth resetting for reuse */
    slot_drop(ce, s);
    if (soft != 0) {
        enum port_state st;
        enum reason rs;
        if (ce->mod->classify_connect(soft, &st, &rs) == VERDICT_FINAL)
            return decide(ce, hi, idx, st, rs);
    }
    if (h->tries[idx] < tries_allowed(ce, h)) {
        ce_host_requeue(h, idx);
        ring_add(ce, hi);
        return 0;
    }
    return decide(ce, hi, idx, ce->mod->silence_state, ce->mod->silence_reason);
}

/* Apply the result of a performed request (ce_launch_batch). */
static int apply(struct ce *ce, const struct ce_req *r)
{
    struct ce_slot *p = &ce->slots[r->slot];
    struct ce_host *h = &ce->hosts[r->host];
    if (r->gen != h->gen || h->done) {
        /* Planned in the same batch as an answer that moved the host on
         * (the second ping port after the first proved it up). */
        if (r->result == CE_PENDING)
            ce_slot_close(p);
        slot_release(ce, r->slot);
        return 0;
    }
    if (r->result == CE_PENDING) {
        ce->n_pending++;
        p->idx = r->idx;
        p->tries = r->tries;
        p->sent_us = r->sent_us;
        slot_wait(ce, r->slot, h);
        return 0;
    }
    ce->n_sync++;
    slot_release(ce, r->slot);
    return outcome(ce, r->host, r->idx, r->tries, r->result, r->done_us - r->sent_us, r->done_us);
}

/* A socket in flight reported something; read its real state. */
static int on_event(struct ce *ce, uint32_t s)
{
    if (s >= ce->nslots || !ce->slots[s].busy)
        return 0; /* late edge for a probe already resolved */
    struct ce_slot *p = &ce->slots[s];
    uint32_t hi = p->host, idx = p->idx;
    int tries = p->tries;
    struct ce_host *h = &ce->hosts[hi];
    uint16_t port = h->ports[idx];
    struct sockaddr_storage ss;
    socklen_t len = ce_target_sa(h, port, &ss);
    int err = ce_connect_status(p->fd, &ss, len);
    ce->n_events++;
    if (err == CE_PENDING)
        return 0; /* spurious: still connecting */
    int64_t now = ce_mono_us();
    int64_t sample = now - p->sent_us;
    if (err == 0)
        err = ce_established(p, h, port);
    else
        ce_keep_if_reset(p, err);
    slot_drop(ce, s);
    return outcome(ce, hi, idx, tries, err, sample, now);
}

/* ---- the loop's stages -------------------------------------------------- */

static int64_t sweep(struct ce *ce, int64_t now, int *rc)
{
    int64_t wake = INT64_MAX;
    for (uint32_t hi = 0; hi < ce->nhosts; hi++) {
        struct ce_host *h = &ce->hosts[hi];
        if (!h->used || h->done)
            continue;
        if (now >= h->deadline_us) {
            /* nmap: "Skipping host due to host timeout"; no ports shown. */
            cancel_inflight(ce, h);
            h->timed_out = true;
            if (h->status == HOST_UNKNOWN)
                h->status = HOST_DOWN, h->status_reason = REASON_NO_RESPONSE;
            done_push(ce, hi);
            continue;
        }
        wake = min64(wake, h->deadline_us);
        if (h->fifo_head == CE_NIL)
            continue;
        int64_t to = rtt_timeout_us(&h->rtt);
        while (h->fifo_head != CE_NIL && !h->done) {
            struct ce_slot *p = &ce->slots[h->fifo_head];
            if (p->sent_us + to > now) {
                wake = min64(wake, p->sent_us + to);
                break;
            }
            if (probe_timeout(ce, h->fifo_head) < 0)
                *rc = -1;
        }
    }
    return wake;
}

static void deliver_done(struct ce *ce)
{
    while (ce->done_head != CE_NIL) {
        uint32_t hi = ce->done_head;
        struct ce_host *h = &ce->hosts[hi];
        ce->done_head = h->done_next;
        if (ce->done_head == CE_NIL)
            ce->done_tail = CE_NIL;
        ce_host_deliver(ce, h, false);
        ce_host_release(h);
        h->used = false;
        h->done_next = ce->free_host; /* reuse the link for the free list */
        ce->free_host = hi;
        ce->nactive--;
    }
}

static int admit(struct ce *ce, int64_t now)
{
    while (!ce->targets_done && ce->free_host != CE_NIL && !scan_stopping(ce->scan)) {
        struct target t;
        if (!target_iter_next(&ce->it, &t)) {
            ce->targets_done = true;
            break;
        }
        uint32_t hi = ce->free_host;
        struct ce_host *h = &ce->hosts[hi];
        ce->free_host = h->done_next;
        memset(h, 0, sizeof(*h));
        h->used = true;
        h->seq = ce->admitted++;
        h->tgt = t;
        h->salen = ipaddr_to_sockaddr(&t.addr, 0, &h->sa);
        h->fifo_head = h->fifo_tail = CE_NIL;
        h->ring_next = h->ring_prev = h->done_next = CE_NIL;
        const struct timing *tm = &ce->scan->timing;
        rtt_init(&h->rtt, (int64_t)tm->min_rtt_ms * 1000, (int64_t)tm->max_rtt_ms * 1000,
                 (int64_t)tm->initial_rtt_ms * 1000);
        h->deadline_us = ce->host_timeout_us ? now + ce->host_timeout_us : INT64_MAX;
        clock_gettime(CLOCK_REALTIME, &h->start);
        ce->nactive++;
        int r;
        if (ce->scan->skip_discovery) {
            h->status = HOST_UP;
            h->status_reason = REASON_USER_SET;
            r = ce_host_phase(ce, h, CE_PORTS, ce->ports, ce->nports);
        } else {
            h->ping_ports[0] = 80;
            h->ping_ports[1] = 443;
            r = ce_host_phase(ce, h, CE_PING, h->ping_ports, 2);
        }
        if (r < 0)
            return -1;
        if (h->nports == 0)
            done_push(ce, hi);
        else
            ring_add(ce, hi);
    }
    return 0;
}

/* Rate limiter: may a probe go now? If not, *wake is when one may. */
static bool rate_ok(struct ce *ce, int64_t now, int64_t *wake)
{
    if (ce->rate <= 0)
        return true;
    ce->tokens += (double)(now - ce->tokens_at) * ce->rate / 1e6;
    ce->tokens_at = now;
    if (ce->tokens > ce->burst)
        ce->tokens = ce->burst;
    if (ce->tokens >= 1.0)
        return true;
    *wake = min64(*wake, now + (int64_t)((1.0 - ce->tokens) * 1e6 / ce->rate) + 1);
    return false;
}

/* Plan a batch of probes round-robin over the hosts with work, perform
 * it, apply the results. Returns the earliest time something blocked may
 * go, and sets *more when it stopped only because of the batch size. */
static int64_t fill(struct ce *ce, int64_t now, bool *more, int *rc)
{
    int64_t wake = INT64_MAX;
    uint32_t n = 0, skipped = 0;
    *more = false;
    if (scan_stopping(ce->scan))
        return wake;
    while (ce->ring_cursor != CE_NIL && ce->inflight < ce->cap_now) {
        if (n == FILL_BATCH) {
            *more = true;
            break;
        }
        if (now < ce->backoff_until) {
            wake = min64(wake, ce->backoff_until);
            break;
        }
        if (!rate_ok(ce, now, &wake))
            break;
        uint32_t hi = ce->ring_cursor;
        struct ce_host *h = &ce->hosts[hi];
        if (ce->scan_delay_us && now < h->next_send_us) {
            wake = min64(wake, h->next_send_us);
            if (++skipped >= ce->ring_len)
                break;
            ce->ring_cursor = h->ring_next;
            continue;
        }
        skipped = 0;
        uint32_t idx = ce_host_take(h);
        struct ce_req *r = &ce->batch[n++];
        r->slot = slot_reserve(ce, hi);
        r->host = hi;
        r->idx = idx;
        r->gen = h->gen;
        r->port = h->ports[idx];
        r->tries = ++h->tries[idx];
        h->next_send_us = now + ce->scan_delay_us;
        if (ce->rate > 0)
            ce->tokens -= 1.0;
        /* Next host's turn; a host without work leaves the rotation (and
         * moves the cursor on itself). */
        if (!ce_host_has_work(h))
            ring_remove(ce, hi);
        else
            ce->ring_cursor = h->ring_next;
    }
    if (n == 0)
        return wake;
    ce->n_launched += n;
    ce_launch_batch(ce, ce->batch, n);
    for (uint32_t i = 0; i < n; i++)
        if (apply(ce, &ce->batch[i]) < 0)
            *rc = -1;
    return wake;
}

/* Ctrl-C: deliver every started host with what it has. */
static void interrupt_all(struct ce *ce)
{
    deliver_done(ce);
    for (uint32_t hi = 0; hi < ce->nhosts; hi++) {
        struct ce_host *h = &ce->hosts[hi];
        if (!h->used)
            continue;
        cancel_inflight(ce, h);
        ring_remove(ce, hi);
        ce_host_deliver(ce, h, true);
        ce_host_release(h);
        h->used = false;
        ce->nactive--;
    }
    ce->scan->summary.interrupted = true;
}

/* ---- setup -------------------------------------------------------------- */

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

static uint32_t parallelism(const struct timing *t)
{
    uint64_t nofile = raise_nofile();
    uint64_t reserve = nofile / 4 < FD_RESERVE ? nofile / 4 : FD_RESERVE;
    uint64_t room = nofile > reserve + 1 ? nofile - reserve : 1;
    uint64_t cap = t->max_parallelism ? t->max_parallelism : DEFAULT_CAP;
    if (t->min_parallelism > cap)
        cap = t->min_parallelism;
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

static const struct scan_module *connect_module(const struct scan *scan)
{
    for (size_t i = 0; i < scan->ntypes; i++)
        if (scan->types[i] && scan->types[i]->engine == SCAN_ENGINE_CONNECT)
            return scan->types[i];
    return scan_module_find("connect");
}

static int setup(struct ce *ce, struct scan *scan, const struct result_sink *sink)
{
    memset(ce, 0, sizeof(*ce));
    ce->scan = scan;
    ce->sink = sink;
    ce->ep = -1;
    ce->mod = connect_module(scan);
    if (!ce->mod || !ce->mod->classify_connect)
        return -EINVAL;
    ce->ports = scan->ports.ports[ce->mod->proto];
    ce->nports = (uint32_t)scan->ports.count[ce->mod->proto];
    const struct timing *t = &scan->timing;
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
    ce->tokens_at = ce_mono_us();
    ce->seed = scan->seed;
    if (!ce->seed && getrandom(&ce->seed, sizeof(ce->seed), 0) != sizeof(ce->seed))
        ce->seed = (uint64_t)ce_mono_us() ^ ((uint64_t)getpid() << 32);

    ce->nslots = parallelism(t);
    ce->cap_now = ce->nslots;
    ce->cap_floor = t->min_parallelism < ce->nslots ? t->min_parallelism : ce->nslots;
    ce->nhosts = group_size(t, ce->nports);
    ce->slots = calloc(ce->nslots, sizeof(*ce->slots));
    ce->hosts = calloc(ce->nhosts, sizeof(*ce->hosts));
    ce->batch = calloc(FILL_BATCH, sizeof(*ce->batch));
    if (!ce->slots || !ce->hosts || !ce->batch)
        return -ENOMEM;
    for (uint32_t i = 0; i < ce->nslots; i++) {
        ce->slots[i].fd = -1;
        ce->slots[i].host = CE_NIL;
        ce->slots[i].next = i + 1 < ce->nslots ? i + 1 : CE_NIL;
    }
    for (uint32_t i = 0; i < ce->nhosts; i++)
        ce->hosts[i].done_next = i + 1 < ce->nhosts ? i + 1 : CE_NIL;
    ce->free_slot = 0;
    ce->free_host = 0;
    ce->ring_cursor = ce->done_head = ce->done_tail = CE_NIL;
    if (scan->targets)
        target_iter_init(&ce->it, scan->targets);
    else
        ce->targets_done = true;
    ce->ep = epoll_create1(EPOLL_CLOEXEC);
    if (ce->ep < 0)
        return -errno;
    ce_pool_start(ce);
    log_debug("connect", "%u probes in flight at most, %u hosts at a time, %s", ce->nslots,
              ce->nhosts, ce->pool ? "two launch threads" : "one launch thread");
    return 0;
}

static void teardown(struct ce *ce)
{
    ce_pool_stop(ce);
    for (uint32_t i = 0; ce->slots && i < ce->nslots; i++)
        ce_slot_close(&ce->slots[i]);
    for (uint32_t i = 0; ce->hosts && i < ce->nhosts; i++)
        ce_host_release(&ce->hosts[i]);
    free(ce->slots);
    free(ce->hosts);
    free(ce->batch);
    if (ce->ep >= 0)
        close(ce->ep);
}

static int wait_events(struct ce *ce, int64_t timeout_us, struct epoll_event *evs)
{
    struct timespec ts = {.tv_sec = timeout_us / 1000000,
                          .tv_nsec = (long)(timeout_us % 1000000) * 1000};
    int n = epoll_pwait2(ce->ep, evs, MAX_EVENTS, &ts, NULL);
    if (n < 0 && errno == ENOSYS) /* kernels before 5.11 */
        n = epoll_wait(ce->ep, evs, MAX_EVENTS, (int)((timeout_us + 999) / 1000));
    return n;
}

int connect_engine_run(struct scan *scan, const struct result_sink *sink, char *err, size_t errlen)
{
    struct ce ce;
    int e = setup(&ce, scan, sink);
    if (e < 0) {
        snprintf(err, errlen, "connect scan setup failed: %s", strerror(-e));
        teardown(&ce);
        return -1;
    }
    struct epoll_event evs[MAX_EVENTS];
    int rc = 0;
    if (errlen)
        err[0] = '\0';
    for (;;) {
        if (scan_stopping(scan)) {
            interrupt_all(&ce);
            break;
        }
        int64_t now = ce_mono_us();
        int64_t wake = sweep(&ce, now, &rc);
        deliver_done(&ce);
        if (rc == 0 && admit(&ce, now) < 0)
            rc = -1;
        bool more = false;
        if (rc == 0)
            wake = min64(wake, fill(&ce, now, &more, &rc));
        if (rc < 0)
            break;
        deliver_done(&ce); /* hosts that finished synchronously in fill */
        if (ce.nactive == 0 && ce.targets_done)
            break;
        if (ce.nactive == 0) /* the whole window was delivered: refill */
            continue;
        now = ce_mono_us();
        int64_t timeout = more ? 0 : wake == INT64_MAX ? MAX_WAIT_US : wake - now;
        if (timeout < 0)
            timeout = 0;
        if (timeout > MAX_WAIT_US)
            timeout = MAX_WAIT_US;
        if (more && ce.inflight == 0)
            continue; /* nothing can have reported: skip the syscall */
        ce.n_waits++;
        int n = wait_events(&ce, timeout, evs);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
            rc = -1;
            break;
        }
        for (int i = 0; i < n && rc == 0; i++)
            if (on_event(&ce, (uint32_t)evs[i].data.u64) < 0)
                rc = -1;
    }
    log_debug("connect",
              "%llu probes: %llu resolved at once, %llu waited (%llu events, %llu waits), "
              "%llu timed out, %llu local shortages",
              (unsigned long long)ce.n_launched, (unsigned long long)ce.n_sync,
              (unsigned long long)ce.n_pending, (unsigned long long)ce.n_events,
              (unsigned long long)ce.n_waits, (unsigned long long)ce.n_timeouts,
              (unsigned long long)ce.n_local);
    if (rc < 0 && !*err)
        snprintf(err, errlen, "connect scan: out of memory");
    teardown(&ce);
    return rc;
}
