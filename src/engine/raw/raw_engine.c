/*
 * raw_engine.c — the stateless raw scan: the cookie key, the sequence of
 * passes with their cooldowns, host groups, and the aggregator loop on the
 * calling thread. Setup and teardown are raw_setup.c, the routes
 * raw_route.c, the sender raw_tx.c, the receivers raw_rx.c, the results
 * raw_results.c.
 *
 * Passes. Pass 0 sends every probe of the shard. After each pass the
 * engine waits a cooldown derived from the RTTs measured in this scan
 * (2 x (SRTT + 4 RTTVAR), at least 50 ms, at most --max-rtt-timeout;
 * --initial-rtt-timeout when nothing has answered yet), then pass k
 * resends only probes whose decided bit is clear, up to --max-retries
 * passes. Pass 0 always gets one retry pass (a silent pass 0 may be total
 * loss, e.g. while a neighbour entry resolved); after that raw_loss.h
 * decides: with no answer ever late (nothing lost) retrying stops at the
 * first pass that brought no new answer; under loss it goes on while an
 * answer may still hide, and SYN passes are spaced past the target's
 * duplicate-SYN rate limit. The last cooldown is --wait when given. Every
 * cooldown ends early once every probe sent is decided.
 *
 * UDP. After each cooldown, UDP targets that answer with port unreachables
 * and still have unanswered UDP probes are handed to the pacer
 * (raw_pace.h): the retry passes skip their UDP probes, and after the
 * passes the pacer retries them at the rate the target's ICMP errors
 * allow, so closed ports are not lost to ICMP rate limiting. After the
 * last pass, known-up targets that sent no ICMP error at all are handed
 * over too: their bucket may have been empty from the start.
 *
 * Resume. With job->resume (raw_resume.c, core/scan_pos.h) the answers
 * of the interrupted run are taken first, and the first group and pass
 * run start where it stopped (each sender seeks to its position); on a
 * stop the position reached is written back, after a short wait for the
 * replies still on their way.
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
#include "core/progress.h"
#include "engine/raw/raw_internal.h"
#include "engine/raw/raw_loss.h"
#include "engine/raw/raw_pace.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#define MIN_COOLDOWN_NS 50000000LL /* 50 ms */
#define AGG_SLEEP_NS    1000000    /* aggregator naps 1 ms when the rings are empty */
#define AGG_PUMP_NS     1000000    /* or hands hosts on for up to 1 ms (early delivery) */

/* ---- the aggregator loop ------------------------------------------------ */

struct raw_agg {
    struct raw_ctx *c;
    struct raw_results *res;
    struct rate_ctl ctl;
    int64_t next_tick;
    uint64_t last_drops, retry_answers_seen;
    uint64_t answers_base;     /* answers before the current host group */
    struct raw_loss loss;      /* how many passes, how far apart (raw_loss.h) */
    bool held[RAW_MAX_GROUPS]; /* per probe group: the target keeps state (SYN) */
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

double raw_agg_loss_rate(const struct raw_agg *g)
{
    return raw_loss_rate(&g->loss);
}

/* nmap's "Discovered open port": as soon as the first reply says open. */
static void report_open(struct raw_ctx *c, const struct raw_reply *rep)
{
    struct target t;
    if (!c->job->progress || rep->entry >= c->nentries ||
        target_set_at(c->job->targets, rep->addr_idx, &t) < 0)
        return;
    progress_open_port(c->job->progress, &t.addr, c->probes[rep->entry].port,
                       (enum port_proto)c->probes[rep->entry].proto);
}

/* Does the target keep state for probes of group gr (a SYN: raw_loss.h)? */
static bool group_held(const struct raw_group *gr)
{
    return strcmp(gr->kind->name, "tcp") == 0 && (gr->tcp_flags & PKT_TCP_SYN);
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
            if (r > 0 && rep.state == PORT_OPEN)
                report_open(g->c, &rep);
            if (r > 0 && !atomic_load(&g->c->pacing) && rep.entry < g->c->nentries) {
                /* An answer in a retry pass is a probe an earlier pass
                 * lost (open ones too). */
                if (rep.pass > 0)
                    g->retry_answers_seen++;
                raw_loss_answer(&g->loss, g->held[g->c->probes[rep.entry].group],
                                rep.state == PORT_OPEN);
            }
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
        raw_store_rate(c, r);
    }
    if (c->job->progress) {
        int pass = atomic_load(&c->pass);
        uint64_t pos = raw_tx_pos(c);
        /* The first pass is the bulk of the work; after it, retries and the
         * cooldown are the last percent. */
        double frac = pass > 0 || !sending || !c->shard_count
                          ? 0.99
                          : 0.99 * (double)pos / (double)c->shard_count;
        /* Hosts go out as they complete with early delivery (job->early),
         * else together at the end. */
        unsigned up = c->job->assume_up ? (unsigned)c->naddrs : (unsigned)raw_results_hosts(g->res);
        unsigned done = (unsigned)raw_results_delivered(g->res);
        progress_tick(c->job->progress, now, frac, done, up, up > done ? up - done : 0);
    }
}

static void nap(void)
{
    struct timespec ts = {0, AGG_SLEEP_NS};
    nanosleep(&ts, NULL);
}

/* The rings are empty: hand complete hosts on (early delivery) for up to
 * AGG_PUMP_NS, else nap. Hosts go out in such slices so that the sinks'
 * work (a store, a stage) overlaps the scan without holding replies back. */
static void idle(struct raw_agg *g)
{
    int r = raw_results_pump(g->res, clock_mono_ns() + AGG_PUMP_NS);
    if (r < 0)
        g->oom = 1;
    if (r <= 0)
        nap();
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
            idle(g);
        }
    }
}

/* After a stop with --resume's bookkeeping: the replies to the last probes
 * sent are on their way; collect them for a reply wait (at most
 * STOP_GRACE_NS) so that the resume file holds them and their probes are
 * not sent again. */
#define STOP_GRACE_NS 100000000LL
static void stop_grace(struct raw_agg *g)
{
    int64_t wait = raw_agg_wait_ns(g);
    int64_t end = clock_mono_ns() + (wait < STOP_GRACE_NS ? wait : STOP_GRACE_NS);
    while (clock_mono_ns() < end)
        if (drain(g) == 0)
            nap();
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
    int first = raw_resume_first_pass(c);
    if (first > max_pass) { /* --resume: this group's passes were over */
        c->rr.armed = false;
        return 0;
    }
    for (int pass = first;; pass++) {
        uint64_t before = raw_results_answers(g->res);
        atomic_store(&c->pass, pass);
        int64_t t_start = clock_mono_ns();
        raw_loss_pass_start(&g->loss, pass, t_start);
        uint64_t sent_before = atomic_load(&c->tx_sent);
        unsigned started = 0;
        atomic_store(&c->cpus_claimed, 0);
        for (; started < c->nsenders; started++) {
            struct raw_sender *snd = &c->snd[started];
            atomic_store(&snd->pos, raw_resume_start_pos(c, started));
            atomic_store(&snd->done, false);
            if (pthread_create(&snd->th, NULL, c->sched.on ? raw_sched_tx_main : raw_tx_main,
                               snd) != 0)
                break;
        }
        c->rr.armed = false;
        if (started < c->nsenders)
            atomic_store(&c->tx_abort, true); /* the ones started end at once */
        for (unsigned t = 0; t < started;) {
            if (!atomic_load_explicit(&c->snd[t].done, memory_order_acquire)) {
                raw_agg_tick(g, clock_mono_ns(), true);
                if (drain(g) == 0)
                    idle(g);
                continue;
            }
            pthread_join(c->snd[t].th, NULL);
            t++;
        }
        raw_loss_pass_end(&g->loss, clock_mono_ns());
        if (started < c->nsenders)
            return raw_fail(err, errlen, "cannot start the sender threads");
        double secs = (double)(clock_mono_ns() - t_start) / 1e9;
        uint64_t nsent = atomic_load(&c->tx_sent) - sent_before;
        log_debug("raw", "pass %d: sent %" PRIu64 " probes in %.3f s (%.0f pps)", pass, nsent, secs,
                  secs > 0 ? (double)nsent / secs : 0.0);
        uint64_t expected = c->rr.pending; /* --resume: sent by the interrupted run */
        for (unsigned t = 0; t < c->nsenders; t++) {
            if (c->snd[t].tx_errno)
                return raw_fail(err, errlen, "%s", c->snd[t].tx_err);
            expected += c->snd[t].sent_pass0;
        }
        c->rr.expected = expected;
        if (job_stopping(c->job->stop) || expired(c))
            return 0;
        bool last = pass >= max_pass;
        int64_t wait_ns = c->job->io.wait_s >= 0 ? (int64_t)(c->job->io.wait_s * 1e9) : -1;
        int64_t end = clock_mono_ns();
        cooldown(g, end, last ? wait_ns : -1, expected);
        log_debug("raw", "pass %d: cooldown %.3f s (reply wait %.3f s)", pass,
                  (double)(clock_mono_ns() - end) / 1e9, (double)raw_agg_wait_ns(g) / 1e9);
        /* UDP hosts that answered with port unreachables and still have
         * unanswered UDP probes are paced from now on (raw_pace.h); their
         * UDP probes leave the retry passes. */
        if (max_pass > 0 && pacing_allowed(c) && raw_pace_select(c, g->res, false) < 0)
            return raw_fail(err, errlen, "raw scan: out of memory for UDP pacing");
        uint64_t fresh = raw_results_answers(g->res) - before;
        uint64_t decided = raw_results_answers(g->res) - g->answers_base;
        log_debug("raw", "pass %d: %" PRIu64 " new answers, %" PRIu64 " of %" PRIu64 " decided",
                  pass, fresh, decided, expected);
        if (last || decided >= expected || job_stopping(c->job->stop) || expired(c))
            return 0;
        enum raw_loss_next next = raw_loss_next(&g->loss, fresh);
        if (pass > 0)
            log_debug("raw", "pass %d: loss rate %.3f over %" PRIu64 " answers: %s", pass,
                      raw_loss_rate(&g->loss), g->loss.answers,
                      next == RAW_LOSS_STOP     ? "no further pass"
                      : next == RAW_LOSS_SPACED ? "next pass spaced for held probes"
                                                : "next pass");
        if (next == RAW_LOSS_STOP) {
            /* Nothing was lost in the last pass, and the loss seen so far
             * hides nothing more (raw_loss.h): further passes would find
             * nothing either. Give the final cooldown its --wait. */
            if (wait_ns >= 0)
                cooldown(g, end, wait_ns, expected);
            return 0;
        }
        if (next == RAW_LOSS_SPACED) {
            /* A repeated SYN too soon after the last one is not answered
             * (raw_loss.h): wait, draining, until the gap has passed. */
            cooldown(g, end, raw_loss_spaced_at(&g->loss) - end, expected);
            if (raw_results_answers(g->res) - g->answers_base >= expected ||
                job_stopping(c->job->stop) || expired(c))
                return 0;
        }
    }
}

/* Open the run's progress task: nmap names a task per scan type; the raw
 * engine runs its types together, so the first names it. */
static void begin_task(struct raw_ctx *c, int64_t now)
{
    const struct raw_job *job = c->job;
    if (!job->progress)
        return;
    char addr[64] = "";
    struct target t;
    if (c->naddrs == 1 && target_set_at(job->targets, 0, &t) == 0)
        ipaddr_str(&t.addr, addr, sizeof(addr));
    progress_task_begin(job->progress,
                        progress_task_name(job->ntypes ? job->types[0]->xml_type : NULL),
                        (size_t)c->naddrs, c->nentries, addr, now);
}

/* The passes and the UDP pacing of the whole scan, or with the schedule
 * on, of the current host group. */
static int run_group(struct raw_ctx *c, struct raw_agg *g, char *err, size_t errlen)
{
    const struct raw_job *job = c->job;
    g->answers_base = raw_results_answers(g->res);
    c->rr.pacing = false;
    c->rr.expected = c->rr.pending;
    int rc = run_passes(c, g, err, errlen);
    c->rr.pacing = rc == 0 && !job_stopping(job->stop);
    c->rr.pending = 0;
    /* Known-up hosts that sent no ICMP error in the passes may have
     * met an empty bucket all along: they are searched (raw_pace.h, 1). */
    if (rc == 0 && pacing_allowed(c) && !job_stopping(job->stop) && !expired(c) &&
        raw_pace_select(c, g->res, true) < 0)
        rc = raw_fail(err, errlen, "raw scan: out of memory for UDP pacing");
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

/* Is every host of the current group excluded? (--resume excludes the
 * complete hosts: their groups must not cost a group's wait each.) */
static bool group_excluded(const struct raw_ctx *c)
{
    for (uint64_t j = c->sched.jlo; j < c->sched.jlo + c->sched.n; j++) {
        struct ipaddr a;
        if (target_set_addr_at(c->job->targets, raw_sched_addr(c, j), &a) != 1)
            return false;
    }
    return true;
}

/* Host group after host group (struct raw_sched): each its own passes,
 * cooldowns and pacing, over the same results and decided bits. */
static int run_groups(struct raw_ctx *c, struct raw_agg *g, char *err, size_t errlen)
{
    int rc = 0;
    for (uint64_t k = raw_resume_first_group(c);
         k < c->sched.ngroups && rc == 0 && !job_stopping(c->job->stop); k++) {
        raw_sched_group(c, k);
        /* The pacer's hosts are the group's. */
        raw_pace_free(c->pace);
        c->pace = NULL;
        if (c->sched.ngroups > 1)
            log_debug("raw", "host group %" PRIu64 " of %" PRIu64 ": %" PRIu64 " host%s", k + 1,
                      c->sched.ngroups, c->sched.n, c->sched.n == 1 ? "" : "s");
        if (group_excluded(c)) {
            c->rr.armed = false; /* --resume: its start was this group's */
            c->rr.pending = 0;
            continue;
        }
        rc = run_group(c, g, err, errlen);
        if (rc == 0 && expired(c)) {
            log_debug("raw", "host group %" PRIu64 ": --host-timeout reached", k + 1);
            if (note_timeout(c) < 0)
                rc = raw_fail(err, errlen, "raw scan: out of memory");
        }
    }
    return rc;
}

/* What delivery needs, as known when the scan starts. */
static struct raw_deliver deliver_of(const struct raw_ctx *c, const struct result_sink *sink,
                                     struct timespec start)
{
    return (struct raw_deliver){
        .job = c->job,
        .probes = c->probes,
        .nentries = c->nentries,
        .naddrs = c->naddrs,
        .perm = &c->perm,
        .shard = c->shard,
        .nshards = c->nshards,
        .sink = sink,
        .skip = c->skip,
        .nskip = c->nskip,
        .synacks = c->synacks,
        .shard_by_addr = c->sched.on,
        .start = start,
    };
}

int raw_engine_run(const struct raw_job *job, const struct result_sink *sink, char *err,
                   size_t errlen)
{
    struct raw_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return raw_fail(err, errlen, "raw scan: out of memory");
    if (errlen)
        err[0] = '\0';
    int rc = raw_setup_space(c, job, err, errlen);
    if (rc == 0 && job->io.dry_run) {
        rc = raw_dry_run(c);
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
        rc = raw_fail(err, errlen, "getrandom: %s", strerror(errno));
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
            rc = raw_fail(err, errlen, "%s", e2);
    }
    for (int fi = 0; rc == 0 && fi < 2 && c->nprobes; fi++)
        rc = raw_setup_family(c, fi, err, errlen);
    if (rc == 0 && c->nprobes)
        rc = raw_open_io(c, err, errlen);
    if (rc == 0 && c->nprobes) {
        bool ok = true;
        for (unsigned t = 0; t < c->nsenders; t++)
            ok = ok && (c->snd[t].stamps = calloc(RAW_STAMPS, sizeof(struct raw_stamp)));
        g.res = raw_results_new(c->nentries);
        if (!ok || !g.res)
            rc = raw_fail(err, errlen, "raw scan: out of memory");
        raw_alloc_bitmap(c);
        if (rc == 0)
            rc = raw_resume_preload(c, g.res, err, errlen);
    }
    if (rc == 0 && c->nprobes && job->early && c->nentries <= RAW_EARLY_MAX_ENTRIES) {
        struct raw_deliver d = deliver_of(c, sink, start);
        if (raw_results_early(g.res, &d) < 0)
            rc = raw_fail(err, errlen, "raw scan: out of memory");
    }
    for (int i = 0; rc == 0 && i < c->nrx; i++) {
        if (pthread_create(&c->rx[i].th, NULL, raw_rx_main, &c->rx[i]) != 0)
            rc = raw_fail(err, errlen, "cannot start the receiver thread");
        else
            c->rx[i].running = true;
    }
    if (rc == 0 && c->nprobes) {
        bool held = false;
        for (int gi = 0; gi < c->ngroups && gi < RAW_MAX_GROUPS; gi++)
            held |= g.held[gi] = group_held(&c->groups[gi]);
        raw_loss_init(&g.loss, held);
        rate_ctl_init(&g.ctl, &job->timing, job->io.rate);
        raw_store_rate(c, g.ctl.rate);
        int64_t now = clock_mono_ns();
        begin_task(c, now);
        log_debug("raw", "%" PRIu64 " probes in shard %u/%u, rate %.0f pps (%s)", c->shard_count,
                  c->shard + 1, c->nshards, g.ctl.rate, job->io.rate > 0 ? "fixed" : "adaptive");
        if (c->rr.done)
            rc = 0; /* --resume of a scan cut after its port scan: all known */
        else if (c->sched.on)
            rc = run_groups(c, &g, err, errlen);
        else
            rc = run_group(c, &g, err, errlen);
    }
    bool interrupted = job_stopping(job->stop);
    if (interrupted && job->resume && g.res && c->nrx)
        stop_grace(&g);
    raw_stop_receivers(c);
    if (g.res)
        drain(&g);
    if (interrupted && c->nprobes && g.res)
        raw_resume_note(c, raw_results_answers(g.res) - g.answers_base);
    else if (rc == 0 && c->nprobes && g.res)
        raw_resume_note_done(c);
    if (c->nprobes)
        progress_task_end(job->progress, clock_mono_ns());
    if (g.oom && rc == 0)
        rc = raw_fail(err, errlen, "raw scan: out of memory for results");
    /* Deliver what is known even after a runtime error ("results found so
     * far are always written"), unless nothing ran at all. */
    if (g.res && (rc == 0 || raw_results_hosts(g.res) > 0)) {
        if (job->early)
            log_debug("raw", "%" PRIu64 " hosts delivered while the scan ran",
                      raw_results_delivered(g.res));
        struct raw_deliver d = deliver_of(c, sink, start);
        d.tmo = c->sched.tmo;
        d.ntmo = c->sched.ntmo;
        d.interrupted = interrupted || rc < 0;
        d.done_j = c->sched.on ? c->sched.jlo : 0;
        if (raw_results_deliver(g.res, &d) < 0 && rc == 0)
            rc = raw_fail(err, errlen, "raw scan: out of memory delivering results");
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
    raw_teardown(c);
    free(c);
    return rc;
}
