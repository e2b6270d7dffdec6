/*
 * ce.h — internals of the connect engine, shared by connect_engine.c (the
 * scan on the event loop: outcomes, timers, planning), ce_launch.c (the system calls),
 * ce_host.c (per-host state: port order, retry queue, bench, results,
 * delivery), ce_slots.c (host lists, probe slots, host timers) and ce_cc.c
 * (congestion control). Not a public contract.
 */
#ifndef PRTIP_ENGINE_CE_H
#define PRTIP_ENGINE_CE_H

#include "core/rtt.h"
#include "core/targets.h"
#include "engine/connect/connect_engine.h"
#include "engine/loop/evloop.h"
#include "scan/scan_module.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define CE_NIL     UINT32_MAX
#define CE_PENDING (-1) /* a connect still in progress */
/* st[] value of a port on the bench (not a port_state): it used the tries
 * the host currently allows and waits to see whether that number grows. */
#define CE_BENCHED       0xfe
#define CE_PIPE_FLOOR_US 2000
#define FILL_BATCH       256 /* launches between two visits to timers and Ctrl-C */
#define MAX_TRIES_HARD   250 /* tries are counted in a byte */
#define CE_MIN_FDS       1   /* descriptors for probes the scan cannot run without */

enum ce_phase {
    CE_PING,  /* discovery: connect to 80 and 443 */
    CE_PORTS, /* the port scan proper */
};

/*
 * A probe slot: one connect(2) in flight. Slots are a fixed array; a
 * pending socket is registered with the event loop with its slot as user
 * pointer. A slot keeps its socket across probes that ended in a
 * refusal or error (the kernel resets such a socket when connect() reports
 * the error, so it can connect again), which saves a socket()/close() pair
 * per closed port; sockets that connected or timed out are closed.
 */
struct ce_slot {
    int fd;         /* -1: none */
    uint8_t family; /* of fd */
    bool busy;
    bool lost;       /* presumed lost: older than the host's pipe timeout */
    uint8_t tries;   /* probes sent for this port, this one included */
    uint32_t host;   /* index in ce.hosts */
    uint32_t idx;    /* port index within the host's current phase */
    uint32_t prev;   /* host's in-flight FIFO (busy), unused when free */
    uint32_t next;   /* host's in-flight FIFO (busy) or the free list */
    int64_t sent_us; /* CLOCK_MONOTONIC */
    /* Registration with the loop (loop thread only, not launch threads):
     * the fd number registered, -1 none. reg_closed is set by whichever
     * thread closes that fd, and the loop thread then forgets it before the
     * number can be registered again (connect_engine.c: slot_sync). */
    int reg_fd;
    bool reg_closed;
};

/* A congestion window (nmap's ultra_timing_vals): probes in flight allowed,
 * the slow-start threshold, and when it was last cut (loss episodes). */
struct ce_win {
    double cwnd, ssthresh;
    int64_t last_drop_us;
};

struct ce_host {
    bool used;
    uint64_t seq; /* admission number: seeds the port shuffle */
    struct target tgt;
    struct sockaddr_storage sa; /* target address, port patched per probe */
    socklen_t salen;
    enum ce_phase phase;
    uint32_t gen; /* bumped per phase: requests of an older phase are stale */
    bool done;    /* on the done list, waiting for delivery */
    enum host_status status;
    enum reason status_reason;
    bool timed_out;

    /* Current phase: ports[nports] ascending, per-index state. */
    const uint16_t *ports;
    uint32_t nports;
    uint16_t *order;          /* shuffled indices; NULL = ascending */
    uint8_t *st, *rs, *tries; /* enum port_state or CE_BENCHED, enum reason, probes sent */
    uint16_t *rq;             /* retry ring of indices awaiting a resend */
    uint32_t *lost_ms;        /* send time of the last try that timed out, ms after t0_us */
    uint32_t rq_head, rq_len;
    uint32_t next;   /* next position in order never sent */
    uint32_t ndone;  /* indices with a final state */
    uint32_t nbench; /* indices on the bench */
    void *mem;       /* one block behind order/st/rs/tries/rq/lost_ms */
    uint16_t ping_ports[2];

    uint32_t fifo_head, fifo_tail; /* busy slots, oldest send first */
    uint32_t ninflight;            /* slots in the FIFO (connect pending) */
    uint32_t nbusy;                /* slots reserved for this host, pending or not */
    uint32_t mark;                 /* first FIFO slot not presumed lost, CE_NIL = none */
    uint32_t nlost;                /* FIFO slots presumed lost */
    struct rtt_est rtt;
    int64_t t0_us;        /* admission, CLOCK_MONOTONIC */
    int64_t next_send_us; /* scan delay */
    int64_t deadline_us;  /* --host-timeout, INT64_MAX = none */
    /* Due at the earliest of: the FIFO head's probe timeout, the next
     * probe past the pipe timeout, deadline_us (connect_engine.c). */
    struct evloop_timer timer;
    struct timespec start;

    /* Congestion control (ce_cc.c), nmap's per-host ultra_scan state. */
    struct ce_win win;
    uint8_t max_ok;                   /* most tries any answered probe needed (nmap's
                                       * max_successful_tryno + 1); ports get one more */
    bool last_call;                   /* bench dismissed after loss: full --max-retries */
    int64_t delay_us;                 /* current scan delay: --scan-delay, raised on loss */
    int64_t boost_us;                 /* when delay_us last changed */
    uint32_t good_since, drops_since; /* answers since then, and drops among them */
    uint32_t drops;                   /* loss episodes seen */

    /* Reverse DNS while on the done list. */
    int64_t dns; /* rdns handle, -1 = none */
    bool dns_started;

    uint32_t ring_prev, ring_next; /* send rotation, when it has work */
    bool in_ring;
    uint32_t done_next; /* done list */
};

/* One planned probe, performed by ce_launch_batch. */
struct ce_req {
    uint32_t slot, host, idx, gen;
    uint16_t port;
    uint8_t tries;
    int result;  /* CE_PENDING, 0 (connected) or an errno */
    int started; /* what the connect() that sent the probe returned (0 or an
                  * errno: EINPROGRESS as a rule); -1 if none was made */
    int64_t sent_us, done_us;
};

struct ce_pool;
struct rdns;

struct ce {
    const struct connect_job *job;
    const struct result_sink *sink;
    const struct scan_module *mod;
    const uint16_t *ports; /* module's port list, ascending */
    uint32_t nports;
    struct evloop *loop;
    struct evloop_task pump;  /* deliver, admit, fill: queued after any change */
    struct evloop_timer wake; /* pacing, backoff and reverse-DNS deadlines */
    int rc;                   /* -1 once something failed (out of memory) */
    struct ce_pool *pool;     /* helper thread for launches, or NULL */
    struct ce_req *batch;     /* FILL_BATCH planned probes */

    struct ce_slot *slots;
    uint32_t nslots, free_slot, inflight;
    uint32_t nlost;   /* in flight but presumed lost (ce_cc.c: the pipe) */
    uint32_t cap_now; /* lowered on local resource shortage, regrows */
    uint32_t cap_floor;

    struct ce_host *hosts;
    uint32_t nhosts, nactive, free_host;
    uint32_t ring_cursor, ring_len;
    /* Hosts are reported in target order, as nmap's: host index of the
     * host admitted as number n at by_seq[n % nhosts] (unique, since at most
     * nhosts admitted hosts are undelivered), and the next number to report. */
    uint32_t *by_seq;
    uint64_t next_report;
    struct target_iter it;
    bool targets_done;
    uint64_t admitted;
    uint64_t seed;

    int64_t scan_delay_us, host_timeout_us;
    int max_tries, ping_tries;

    /* Congestion control (ce_cc.c): the group window and the bounds. */
    struct ce_win gwin;
    double cw_low, cw_max, cw_init, ca_incr, drop_ratio;
    int64_t max_delay_us;
    struct rdns *rdns; /* NULL with -n or without a pool */
    double rate, tokens, burst;
    int64_t tokens_at;
    int64_t backoff_until, backoff_us;
    bool warned_local;
    /* Counters for the -d summary line. */
    uint64_t n_launched, n_sync, n_pending, n_timeouts, n_events, n_local;
    uint64_t n_drops, n_gdrops, n_boosts, n_benched;
};

/* ce_setup.c: everything struct ce owns, from scan's options; returns 0
 * or -errno with err set (ce_teardown must still be called); -EMFILE when
 * RLIMIT_NOFILE leaves fewer than CE_MIN_FDS descriptors for probes. The
 * loop's callbacks are connect_engine.c's: on_rdns for the resolver's
 * eventfd. */
int ce_setup(struct ce *ce, const struct connect_job *job, const struct result_sink *sink,
             evloop_io_fn on_rdns, char *err, size_t errlen);
void ce_teardown(struct ce *ce);

/* ce_launch.c */
/* Close p's socket, on any thread that owns the slot; marks a registered
 * fd for the loop thread to forget. */
void ce_slot_close(struct ce_slot *p);
socklen_t ce_target_sa(const struct ce_host *h, uint16_t port, struct sockaddr_storage *ss);
/* Where a connect stands, asked with connect() itself: 0 established,
 * CE_PENDING, or the errno it failed with (the kernel has then reset the
 * socket, which may connect again). */
int ce_connect_status(int fd, const struct sockaddr_storage *ss, socklen_t len);
/* After ce_connect_status reported err: keep the socket for the next probe
 * only if it is known to be reset (a refusal), else close it. */
void ce_keep_if_reset(struct ce_slot *p, int err);
/* Connected: check for a self-connect (then ECONNREFUSED), close with RST;
 * returns the errno to classify (0 = open). */
int ce_established(struct ce_slot *p, const struct ce_host *h, uint16_t port);
/* Perform n requests, on two threads when a helper runs; returns when all
 * have a result. */
void ce_launch_batch(struct ce *ce, struct ce_req *reqs, uint32_t n);
void ce_pool_start(struct ce *ce);
void ce_pool_stop(struct ce *ce);

/* ce_slots.c — lists and slots, loop thread only. */
/* Something failed (out of memory): stop the loop; reported once at the end. */
void ce_fail(struct ce *ce);
/* Bring h's timer forward to its next deadline (a probe joined an empty
 * FIFO, the RTT estimate shrank); a timer left early for a deadline that
 * moved away just finds nothing due and re-arms. */
void ce_host_arm(struct ce *ce, struct ce_host *h);
/* Send rotation: a newcomer's turn comes last; removal moves the cursor. */
void ce_ring_add(struct ce *ce, uint32_t hi);
void ce_ring_remove(struct ce *ce, uint32_t hi);
/* Host hi is finished: out of the rotation, timer off, marked done for
 * delivery in target order (connect_engine.c deliver_done). */
void ce_done_push(struct ce *ce, uint32_t hi);
/* Reserve the free-list head for a probe of host hi (counted in flight from
 * here on, so that a planned batch respects the cap). */
uint32_t ce_slot_reserve(struct ce *ce, uint32_t hi);
/* A reserved slot whose connect is pending joins its host's FIFO. */
void ce_slot_wait(struct ce *ce, uint32_t s, struct ce_host *h);
/* Forget p's registration if its fd was closed (on any thread), before the
 * number can be registered again. */
void ce_slot_sync(struct ce *ce, struct ce_slot *p);
/* Back on the free list (the slot keeps its socket, if any). */
void ce_slot_release(struct ce *ce, uint32_t s);
/* Out of the host's FIFO and back on the free list. */
void ce_slot_drop(struct ce *ce, uint32_t s);
/* Close and drop every pending probe of h. */
void ce_cancel_inflight(struct ce *ce, struct ce_host *h);

/* ce_host.c */
int ce_host_phase(struct ce *ce, struct ce_host *h, enum ce_phase phase, const uint16_t *ports,
                  uint32_t n);
bool ce_host_has_work(const struct ce_host *h);
/* Next index to probe: retries first (as nmap retransmits before new
 * probes), then the shuffled order. */
uint32_t ce_host_take(struct ce_host *h);
void ce_host_requeue(struct ce_host *h, uint32_t idx);
/* Port idx used the tries allowed for now: park it (CE_BENCHED). */
void ce_host_bench(struct ce_host *h, uint32_t idx);
/* Every benched port back to the retry queue; returns how many. */
uint32_t ce_host_unbench(struct ce_host *h);
/* Deliver h to the sink; rdns (owned, may be NULL) is its PTR name. */
void ce_host_deliver(struct ce *ce, struct ce_host *h, bool interrupted, char *rdns);
void ce_host_release(struct ce_host *h);

/*
 * ce_cc.c — congestion control after nmap's ultra_scan (nmap book, "Timing
 * and Performance"; RFC 5681's slow start and congestion avoidance):
 * a window per host and one for the group bound the probes in flight
 * (h->nbusy, ce->inflight); every answer grows both, a loss halves them,
 * persistent loss raises the host's scan delay.
 */
void ce_cc_setup(struct ce *ce);
void ce_cc_host_init(struct ce *ce, struct ce_host *h);
bool ce_cc_host_ok(const struct ce_host *h);
/* How long a pending probe of h counts as in the network: the RTO from its
 * estimate without the --min-rtt-timeout clamp (floor CE_PIPE_FLOOR_US). */
int64_t ce_cc_pipe_us(const struct ce_host *h);
bool ce_cc_group_ok(const struct ce *ce);
/* Tries port probes of h may use now (nmap's allowedTryno). */
int ce_cc_tries_allowed(const struct ce *ce, const struct ce_host *h);
/* The target answered a probe that was try number tries. Returns true when
 * h->max_ok grew (benched ports then deserve another try). */
bool ce_cc_answer(struct ce *ce, struct ce_host *h, uint32_t idx, int tries);
/* A probe of h timed out without an answer. */
void ce_cc_silence(struct ce *ce, struct ce_host *h);

#endif
