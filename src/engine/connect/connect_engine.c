/*
 * connect_engine.c — the connect scan, a client of the event loop
 * (evloop.h). The loop's phases map onto the scan's stages:
 *   timers   sweep: each host's timer expires probes past send +
 *            rtt_timeout (per-host FIFO, oldest first, so only heads are
 *            looked at), marks probes past the pipe timeout as lost, and
 *            ends the host at --host-timeout; the engine's wake timer
 *            covers pacing, backoff and reverse-DNS deadlines;
 *   task     pump, queued after anything that may let work go:
 *   deliver  hosts that finished and whose reverse-DNS name is back (the
 *            lookup runs on the rdns pool, its eventfd wakes the loop;
 *            at most its deadline later the host goes without a name),
 *            then admit targets into the free places of the host window
 *            (targets are pulled lazily; the window slides instead of
 *            waiting for a whole group);
 *   fill     plan a batch of probes round-robin over hosts with work,
 *            bounded by the congestion windows (ce_cc.c: per host and for
 *            the group), the in-flight cap, each host's scan delay,
 *            --max-rate and the batch size (so the loop comes back to
 *            Ctrl-C and timers);
 *            ce_launch.c performs it, on two threads when there are cores;
 *            the results are applied here, on the loop's thread only; a
 *            batch left "more" to do queues the pump again, so the loop
 *            visits timers, Ctrl-C and sockets every FILL_BATCH launches;
 *   wait     epoll until the next deadline, then finish the probes whose
 *            sockets reported, and take the resolver's eventfd.
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
#include "engine/connect/ce.h"
#include "core/clock.h"

#include "core/log.h"
#include "core/progress.h"
#include "core/rdns.h"
#include "net/capture.h"
#include "net/trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOCAL_BACKOFF 10000 /* longest pause after a local shortage (us) */

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* ---- outcomes ---------------------------------------------------------- */

static void local_shortage(struct ce *ce, int err, int64_t now)
{
    if (err == EMFILE || err == ENFILE) {
        /* Free slots keep refused sockets for reuse; when descriptors run
         * out those are what a new probe needs, or the slot at the head of
         * the free list never gets one while idle slots hold them all. */
        for (uint32_t s = ce->free_slot; s != CE_NIL; s = ce->slots[s].next) {
            ce_slot_close(&ce->slots[s]);
            ce_slot_sync(ce, &ce->slots[s]);
        }
    }
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
    ce_cancel_inflight(ce, h);
    ce_ring_remove(ce, hi);
    h->status = HOST_UP;
    h->status_reason = why;
    if (ce_host_phase(ce, h, CE_PORTS, ce->ports, ce->nports) < 0)
        return -1;
    if (h->ndone == h->nports) /* no port, or all kept from --resume */
        ce_done_push(ce, hi);
    else
        ce_ring_add(ce, hi);
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
            ce_done_push(ce, hi);
        }
        return 0;
    }
    if (st == PORT_OPEN) /* nmap's "Discovered open port", as it happens */
        progress_open_port(ce->job->progress, &h->tgt.addr, h->ports[idx], PROTO_TCP);
    if (h->ndone == h->nports)
        ce_done_push(ce, hi);
    return 0;
}

/* Only benched ports left, nothing in flight: after loss they get a last
 * call with every try --max-retries allows, else they are silent for good
 * (nmap's dismissBench). See ce_cc.c. */
static int settle(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    if (h->done || h->nbench == 0 || h->nbusy > 0 || ce_host_has_work(h))
        return 0;
    if (h->max_ok > 1 && !h->last_call) {
        h->last_call = true;
        ce_host_unbench(h);
        ce_ring_add(ce, hi);
        return 0;
    }
    int rc = 0;
    for (uint32_t i = 0; i < h->nports && h->nbench > 0; i++) {
        if (h->st[i] != CE_BENCHED)
            continue;
        h->st[i] = PORT_UNKNOWN;
        h->nbench--;
        if (decide(ce, hi, i, ce->mod->silence_state, ce->mod->silence_reason) < 0)
            rc = -1;
    }
    return rc;
}

/* The target answered try number tries of port idx. */
static void answered(struct ce *ce, uint32_t hi, uint32_t idx, int tries)
{
    struct ce_host *h = &ce->hosts[hi];
    if (ce_cc_answer(ce, h, idx, tries) && h->nbench > 0) {
        ce_host_unbench(h);
        ce_ring_add(ce, hi);
    }
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
        ce_ring_add(ce, hi);
        local_shortage(ce, err, now);
        return 0;
    }
    ce->backoff_us = 0;
    /* Karn: a retransmitted probe's answer may belong to any copy. */
    if (sample_us >= 0 && tries == 1) {
        rtt_update(&h->rtt, sample_us);
        ce_host_arm(ce, h);
    }
    answered(ce, hi, idx, tries);
    int rc = decide(ce, hi, idx, st, rs);
    return settle(ce, hi) < 0 ? -1 : rc;
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
    int tries = p->tries;
    int64_t sent = p->sent_us;
    ce_slot_close(p); /* still in SYN_SENT: not worth resetting for reuse */
    ce_slot_drop(ce, s);
    if (soft != 0) {
        enum port_state st;
        enum reason rs;
        if (ce->mod->classify_connect(soft, &st, &rs) == VERDICT_FINAL) {
            answered(ce, hi, idx, tries);
            int rc = decide(ce, hi, idx, st, rs);
            return settle(ce, hi) < 0 ? -1 : rc;
        }
    }
    /* Remembered so that an answer to a later try can tell when the loss
     * happened (ce_cc.c: loss episodes). */
    int64_t ms = (sent - h->t0_us) / 1000;
    h->lost_ms[idx] = ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    ce_cc_silence(ce, h);
    int rc = 0;
    if (tries < ce_cc_tries_allowed(ce, h)) {
        ce_host_requeue(h, idx);
        ce_ring_add(ce, hi);
    } else if (h->phase == CE_PORTS && tries < ce->max_tries) {
        ce_host_bench(h, idx);
        ce->n_benched++;
    } else {
        rc = decide(ce, hi, idx, ce->mod->silence_state, ce->mod->silence_reason);
    }
    return settle(ce, hi) < 0 ? -1 : rc;
}

static void on_io(struct evloop *loop, int fd, uint32_t events, void *user);

/* --packet-trace: nmap's CONN lines for a probe's connect() and for its
 * answer; printed on the loop's thread, in the order probes resolve. */
static void trace_start(const struct ce_host *h, const struct ce_req *r)
{
    if (r->started < 0 || !capture_tracing())
        return;
    double t = capture_clock_s();
    trace_conn(stdout, t, &h->tgt.addr, r->port, r->started);
    if (r->started == EINPROGRESS && r->result != CE_PENDING)
        trace_conn(stdout, t, &h->tgt.addr, r->port, r->result);
}

/* Apply the result of a performed request (ce_launch_batch). */
static int apply(struct ce *ce, const struct ce_req *r)
{
    struct ce_slot *p = &ce->slots[r->slot];
    struct ce_host *h = &ce->hosts[r->host];
    trace_start(h, r);
    if (r->gen != h->gen || h->done) {
        /* Planned in the same batch as an answer that moved the host on
         * (the second ping port after the first proved it up). */
        if (r->result == CE_PENDING)
            ce_slot_close(p);
        ce_slot_release(ce, r->slot);
        return 0;
    }
    if (r->result == CE_PENDING) {
        /* Registered only now, on the loop's thread: most probes never
         * need it. Adding a socket that already changed state still
         * reports it, edge-triggered or not. */
        char err[128];
        if (p->reg_fd < 0) {
            if (evloop_add(ce->loop, p->fd, EVLOOP_WRITE | EVLOOP_EDGE, on_io, p, err,
                           sizeof(err)) < 0) {
                ce_slot_close(p);
                ce_slot_release(ce, r->slot);
                return outcome(ce, r->host, r->idx, r->tries, ENOMEM, -1, r->done_us);
            }
            p->reg_fd = p->fd;
        }
        ce->n_pending++;
        p->idx = r->idx;
        p->tries = r->tries;
        p->sent_us = r->sent_us;
        ce_slot_wait(ce, r->slot, h);
        ce_host_arm(ce, h);
        return 0;
    }
    ce->n_sync++;
    ce_slot_release(ce, r->slot);
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
    int64_t now = clock_mono_us();
    int64_t sample = now - p->sent_us;
    if (err == 0)
        err = ce_established(p, h, port);
    else
        ce_keep_if_reset(p, err);
    if (capture_tracing())
        trace_conn(stdout, capture_clock_s(), &h->tgt.addr, port, err);
    ce_slot_drop(ce, s);
    return outcome(ce, hi, idx, tries, err, sample, now);
}

/* Edge-triggered report of a pending socket (user: its slot). Its state is
 * read back with connect(), never trusted from the event: an idle reset
 * socket polls as HUP forever. */
static void on_io(struct evloop *loop, int fd, uint32_t events, void *user)
{
    struct ce *ce = evloop_ctx(loop);
    (void)fd;
    (void)events;
    if (on_event(ce, (uint32_t)((struct ce_slot *)user - ce->slots)) < 0)
        ce_fail(ce);
    evloop_defer(loop, &ce->pump);
}

/* A reverse-DNS lookup finished; names are collected by deliver_done. */
static void on_rdns(struct evloop *loop, int fd, uint32_t events, void *user)
{
    struct ce *ce = user;
    (void)fd;
    (void)events;
    rdns_ack(ce->rdns);
    evloop_defer(loop, &ce->pump);
}

/* ---- the loop's stages -------------------------------------------------- */

/* Host h's timer: the sweep of one host. */
static void host_timer(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct ce *ce = evloop_ctx(loop);
    struct ce_host *h = user;
    uint32_t hi = (uint32_t)(h - ce->hosts);
    int64_t now = clock_mono_us();
    (void)t;
    evloop_defer(loop, &ce->pump);
    if (now >= h->deadline_us) {
        /* nmap: "Skipping host due to host timeout"; no ports shown. */
        ce_cancel_inflight(ce, h);
        h->timed_out = true;
        if (h->status == HOST_UNKNOWN)
            h->status = HOST_DOWN, h->status_reason = REASON_NO_RESPONSE;
        ce_done_push(ce, hi);
        return;
    }
    int64_t to = rtt_timeout_us(&h->rtt);
    while (h->fifo_head != CE_NIL && !h->done) {
        struct ce_slot *p = &ce->slots[h->fifo_head];
        if (p->sent_us + to > now)
            break;
        if (probe_timeout(ce, h->fifo_head) < 0)
            ce_fail(ce);
    }
    /* Probes past the pipe timeout leave the congestion windows. */
    int64_t pipe = ce_cc_pipe_us(h);
    while (h->mark != CE_NIL && !h->done) {
        struct ce_slot *p = &ce->slots[h->mark];
        if (p->sent_us + pipe > now)
            break;
        p->lost = true;
        h->nlost++;
        ce->nlost++;
        h->mark = p->next;
    }
    if (!h->done)
        ce_host_arm(ce, h);
}

/* May finished host h go out? Starts its reverse-DNS lookup the first time
 * (job->dns says which hosts get one); true with *name set (owned, may be
 * NULL) once the name is back or given up on, false with *wake lowered to
 * the lookup's deadline while it runs. final (Ctrl-C): do not wait. */
static bool name_ready(struct ce *ce, struct ce_host *h, int64_t now, bool final, char **name,
                       int64_t *wake)
{
    *name = NULL;
    if (!ce->rdns)
        return true;
    if (!h->dns_started) {
        h->dns_started = true;
        enum dns_mode m = ce->job->dns;
        if (!final && (m == DNS_ALWAYS || (m == DNS_UP_HOSTS && h->status == HOST_UP)))
            h->dns = rdns_submit(ce->rdns, &h->tgt.addr);
    }
    if (h->dns < 0)
        return true;
    int64_t deadline = INT64_MAX;
    if (rdns_collect(ce->rdns, h->dns, false, now, name, &deadline) == 0) {
        if (!final) {
            *wake = min64(*wake, deadline);
            return false;
        }
        rdns_cancel(ce->rdns, h->dns);
    }
    h->dns = -1;
    return true;
}

static void host_free(struct ce *ce, uint32_t hi)
{
    struct ce_host *h = &ce->hosts[hi];
    ce_host_release(h);
    h->used = false;
    h->done_next = ce->free_host; /* reuse the link for the free list */
    ce->free_host = hi;
    ce->nactive--;
}

/* Deliver finished hosts in target (admission) order, as nmap reports
 * them: the next host in order as soon as it is done and its name is ready.
 * Returns when that host's pending lookup gives up. */
static int64_t deliver_done(struct ce *ce, bool final)
{
    int64_t wake = INT64_MAX, now = clock_mono_us();
    while (ce->next_report < ce->admitted) {
        uint32_t hi = ce->by_seq[ce->next_report % ce->nhosts];
        struct ce_host *h = &ce->hosts[hi];
        char *name;
        if (!h->done || !name_ready(ce, h, now, final, &name, &wake))
            break;
        ce_host_deliver(ce, h, false, name);
        host_free(ce, hi);
        ce->next_report++;
    }
    return wake;
}

static int admit(struct ce *ce, int64_t now)
{
    while (!ce->targets_done && ce->free_host != CE_NIL && !job_stopping(ce->job->stop)) {
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
        ce->by_seq[h->seq % ce->nhosts] = hi;
        h->tgt = t;
        h->salen = ipaddr_to_sockaddr(&t.addr, 0, &h->sa);
        h->fifo_head = h->fifo_tail = h->mark = CE_NIL;
        h->ring_next = h->ring_prev = h->done_next = CE_NIL;
        h->t0_us = now;
        h->dns = -1;
        ce_cc_host_init(ce, h);
        const struct timing *tm = &ce->job->timing;
        rtt_init(&h->rtt, (int64_t)tm->min_rtt_ms * 1000, (int64_t)tm->max_rtt_ms * 1000,
                 (int64_t)tm->initial_rtt_ms * 1000);
        h->deadline_us = ce->host_timeout_us ? now + ce->host_timeout_us : INT64_MAX;
        evloop_timer_init(&h->timer, host_timer, h);
        ce_host_arm(ce, h);
        clock_gettime(CLOCK_REALTIME, &h->start);
        ce->nactive++;
        int r;
        if (ce->job->assume_up) {
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
        if (h->ndone == h->nports) /* no port, or all kept from --resume */
            ce_done_push(ce, hi);
        else
            ce_ring_add(ce, hi);
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
 * go, and sets *more when a batch went out. */
static int64_t fill(struct ce *ce, int64_t now, bool *more)
{
    int64_t wake = INT64_MAX;
    uint32_t n = 0, skipped = 0;
    *more = false;
    if (job_stopping(ce->job->stop))
        return wake;
    while (ce->ring_cursor != CE_NIL && ce->inflight < ce->cap_now) {
        if (n == FILL_BATCH) {
            *more = true;
            break;
        }
        if (!ce_cc_group_ok(ce))
            break;
        if (now < ce->backoff_until) {
            wake = min64(wake, ce->backoff_until);
            break;
        }
        if (!rate_ok(ce, now, &wake))
            break;
        uint32_t hi = ce->ring_cursor;
        struct ce_host *h = &ce->hosts[hi];
        bool delayed = h->delay_us && now < h->next_send_us;
        if (delayed || !ce_cc_host_ok(h)) {
            if (delayed)
                wake = min64(wake, h->next_send_us);
            if (++skipped >= ce->ring_len)
                break;
            ce->ring_cursor = h->ring_next;
            continue;
        }
        skipped = 0;
        uint32_t idx = ce_host_take(h);
        struct ce_req *r = &ce->batch[n++];
        r->slot = ce_slot_reserve(ce, hi);
        r->host = hi;
        r->idx = idx;
        r->gen = h->gen;
        r->port = h->ports[idx];
        r->tries = ++h->tries[idx];
        h->next_send_us = now + h->delay_us;
        if (ce->rate > 0)
            ce->tokens -= 1.0;
        /* Next host's turn; a host without work leaves the rotation (and
         * moves the cursor on itself). */
        if (!ce_host_has_work(h))
            ce_ring_remove(ce, hi);
        else
            ce->ring_cursor = h->ring_next;
    }
    if (n == 0)
        return wake;
    /* Answers inside connect() (loopback, veth) open the windows, move a
     * host on from discovery or finish it, and no socket event will say
     * so: after a batch, always come straight back (a plan that finds
     * nothing to do ends the chain). */
    *more = true;
    ce->n_launched += n;
    ce_launch_batch(ce, ce->batch, n);
    /* Either thread may have closed a registered socket and the other
     * opened one with the same number: every stale record goes first. */
    for (uint32_t i = 0; i < n; i++)
        ce_slot_sync(ce, &ce->slots[ce->batch[i].slot]);
    for (uint32_t i = 0; i < n; i++)
        if (apply(ce, &ce->batch[i]) < 0)
            ce_fail(ce);
    return wake;
}

/* Ctrl-C: deliver every started host with what it has. */
static void interrupt_all(struct ce *ce)
{
    deliver_done(ce, true);                                     /* names already back only */
    for (; ce->next_report < ce->admitted; ce->next_report++) { /* in target order */
        uint32_t hi = ce->by_seq[ce->next_report % ce->nhosts];
        struct ce_host *h = &ce->hosts[hi];
        if (!h->used)
            continue;
        evloop_timer_cancel(ce->loop, &h->timer);
        ce_cancel_inflight(ce, h);
        ce_ring_remove(ce, hi);
        ce_host_deliver(ce, h, true, NULL);
        ce_host_release(h);
        h->used = false;
        ce->nactive--;
    }
}

/* The task queued after every change: deliver, admit, fill. */
static void pump(struct evloop *loop, void *user)
{
    struct ce *ce = user;
    int64_t now = clock_mono_us();
    int64_t wake = deliver_done(ce, false);
    if (admit(ce, now) < 0) {
        ce_fail(ce);
        return;
    }
    bool more = false;
    wake = min64(wake, fill(ce, now, &more));
    if (ce->rc < 0)
        return;
    /* hosts that finished synchronously in fill */
    wake = min64(wake, deliver_done(ce, false));
    if (ce->nactive == 0 && ce->targets_done) {
        evloop_stop(loop);
        return;
    }
    /* The whole window was delivered (refill), or the batch size alone
     * stopped fill: come back after one look at timers and sockets. */
    if (more || ce->nactive == 0)
        evloop_defer(loop, &ce->pump);
    if (wake == INT64_MAX)
        evloop_timer_cancel(loop, &ce->wake);
    else if (evloop_timer_at(loop, &ce->wake, wake) < 0)
        ce_fail(ce);
}

static void on_wake_timer(struct evloop *loop, struct evloop_timer *t, void *user)
{
    (void)t;
    evloop_defer(loop, user);
}

/* The progress meter's view of the run: hosts pass through this sink on
 * their way out, so it knows how many are complete. */
struct ce_meter {
    struct ce *ce;
    const struct result_sink *out;
    uint64_t total, delivered;
    struct evloop_timer tick;
};

#define METER_TICK_MS 100 /* key presses and --stats-every are checked this often */

static void meter_host(void *ctx, const struct host_result *h)
{
    struct ce_meter *m = ctx;
    /* nmap prints "Completed Connect Scan" before the last report. */
    if (++m->delivered >= m->total)
        progress_task_end(m->ce->job->progress, clock_mono_ns());
    sink_host(m->out, h);
}

static void meter_tick(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct ce_meter *m = user;
    struct ce *ce = m->ce;
    uint64_t ports = m->delivered * ce->nports;
    unsigned active = 0;
    for (uint32_t i = 0; i < ce->nhosts; i++) {
        const struct ce_host *h = &ce->hosts[i];
        if (h->used && !h->done) {
            active++;
            ports += h->phase == CE_PING ? 0 : h->ndone;
        }
    }
    double all = (double)m->total * ce->nports;
    progress_tick(ce->job->progress, clock_mono_ns(), all > 0 ? (double)ports / all : 0,
                  (unsigned)m->delivered, (unsigned)m->delivered + active, active);
    if (evloop_timer_in_ms(loop, t, METER_TICK_MS) < 0)
        ce_fail(ce);
}

int connect_engine_run(const struct connect_job *job, const struct result_sink *sink, char *err,
                       size_t errlen)
{
    struct ce ce;
    struct ce_meter m = {.ce = &ce, .out = sink};
    if (job->resume)
        job->resume->keeps_partial = true; /* ce_host.c takes them by address */
    struct result_sink metered = {.host = meter_host, .ctx = &m};
    if (job->progress) {
        m.total = job->targets ? target_set_count(job->targets) : 0;
        char addr[64] = "";
        struct target t;
        if (m.total == 1 && target_set_at(job->targets, 0, &t) == 0)
            ipaddr_str(&t.addr, addr, sizeof(addr));
        progress_task_begin(job->progress, progress_task_name(job->module->xml_type),
                            (size_t)m.total, job->nports, addr, clock_mono_ns());
        sink = &metered;
    }
    if (errlen)
        err[0] = '\0';
    int e = ce_setup(&ce, job, sink, on_rdns, err, errlen);
    if (e < 0) {
        if (errlen && !err[0])
            snprintf(err, errlen, "connect scan setup failed: %s", strerror(-e));
        progress_task_end(job->progress, clock_mono_ns());
        ce_teardown(&ce);
        return -1;
    }
    if (errlen)
        err[0] = '\0';
    evloop_task_init(&ce.pump, pump, &ce);
    evloop_timer_init(&ce.wake, on_wake_timer, &ce.pump);
    evloop_defer(ce.loop, &ce.pump);
    if (job->progress) {
        evloop_timer_init(&m.tick, meter_tick, &m);
        if (evloop_timer_in_ms(ce.loop, &m.tick, METER_TICK_MS) < 0)
            ce_fail(&ce);
    }
    int r = evloop_run(ce.loop, err, errlen);
    if (r == 1 && ce.rc == 0)
        interrupt_all(&ce);
    progress_task_end(job->progress, clock_mono_ns()); /* interrupted or no host */
    int rc = r < 0 || ce.rc < 0 ? -1 : 0;
    log_debug("connect",
              "%llu probes: %llu resolved at once, %llu waited (%llu events), "
              "%llu timed out, %llu local shortages",
              (unsigned long long)ce.n_launched, (unsigned long long)ce.n_sync,
              (unsigned long long)ce.n_pending, (unsigned long long)ce.n_events,
              (unsigned long long)ce.n_timeouts, (unsigned long long)ce.n_local);
    log_debug("connect",
              "congestion: %llu host and %llu group window cuts, %llu delay increases, %llu "
              "ports benched; group window %.1f (ssthresh %.1f)",
              (unsigned long long)ce.n_drops, (unsigned long long)ce.n_gdrops,
              (unsigned long long)ce.n_boosts, (unsigned long long)ce.n_benched, ce.gwin.cwnd,
              ce.gwin.ssthresh);
    if (rc < 0 && !*err)
        snprintf(err, errlen, "connect scan: out of memory");
    ce_teardown(&ce);
    return rc;
}
