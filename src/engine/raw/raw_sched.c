/*
 * raw_sched.c — nmap's per-host timing options in the stateless raw scan
 * (struct raw_sched in raw_internal.h says what each does): host groups,
 * the order of a group's probes (random, or rounds for -r and
 * --scan-delay), and the sender of a scheduled pass, which adds the scan
 * delay between rounds, the --max-parallelism window and the
 * --host-timeout deadline to the plain sender's rate.
 *
 * nmap's reference (nmap book, "Timing and Performance"): --min/
 * --max-hostgroup "dividing the target IP space into groups and then
 * scanning one group at a time"; --max-parallelism "the total number of
 * probes that may be outstanding"; --scan-delay "wait at least the given
 * amount of time between each probe it sends to a given host";
 * --host-timeout "give up on target after this long"; -r "scan ports
 * sequentially".
 */
#include "engine/raw/raw_internal.h"
#include "core/clock.h"
#include "engine/raw/raw_pace.h"

#include "core/log.h"
#include "core/rate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define SCHED_MAX_SLEEP_NS 20000000 /* recheck Ctrl-C and the deadline this often */
#define SCHED_POLL_NS      1000000  /* a full window looks for answers this often */

static uint64_t group_seed(uint64_t seed, uint64_t k)
{
    return seed ^ ((k + 1) * 0x9e3779b97f4a7c15ULL);
}

int raw_sched_init(struct raw_ctx *c, char *err, size_t errlen)
{
    struct raw_sched *s = &c->sched;
    const struct timing *t = &c->job->timing;
    memset(s, 0, sizeof(*s));
    s->deadline_ns = INT64_MAX;
    if (c->nprobes == 0)
        return 0;
    uint64_t nmine = c->naddrs > c->shard ? (c->naddrs - c->shard - 1) / c->nshards + 1 : 0;
    uint64_t g = nmine;
    if (t->max_hostgroup && t->max_hostgroup < g)
        g = t->max_hostgroup;
    s->ordered = c->job->ordered;
    s->delay_ns = (int64_t)t->scan_delay_ms * 1000000;
    s->window = t->max_parallelism;
    s->on = s->ordered || s->delay_ns > 0 || s->window > 0 || g < nmine || t->host_timeout_ms > 0;
    if (!s->on)
        return 0;
    s->rounds = s->ordered || s->delay_ns > 0;
    s->nmine = nmine;
    s->gsize = g ? g : 1;
    s->ngroups = nmine ? (nmine + s->gsize - 1) / s->gsize : 0;
    if (s->rounds && !s->ordered)
        permute_init(&s->eperm, c->nentries, group_seed(c->job->seed, UINT64_MAX - 1));
    atomic_store(&s->timeout_ns, (int64_t)t->initial_rtt_ms * 1000000);
    c->shard_count = nmine * c->nentries;
    (void)err;
    (void)errlen;
    log_debug("raw", "schedule: %" PRIu64 " group%s of up to %" PRIu64 " hosts, %s order%s%s%s",
              s->ngroups, s->ngroups == 1 ? "" : "s", s->gsize,
              s->ordered  ? "port"
              : s->rounds ? "round"
                          : "random",
              s->delay_ns ? ", a scan delay per host" : "",
              s->window ? ", a window of outstanding probes" : "",
              t->host_timeout_ms ? ", a host timeout" : "");
    return 0;
}

void raw_sched_group(struct raw_ctx *c, uint64_t k)
{
    struct raw_sched *s = &c->sched;
    s->group = k;
    s->jlo = k * s->gsize;
    s->n = s->nmine - s->jlo < s->gsize ? s->nmine - s->jlo : s->gsize;
    s->count = s->n * c->nentries;
    s->pos_base = s->jlo * c->nentries;
    permute_init(&s->gperm, s->rounds ? s->n : s->count, group_seed(c->job->seed, k));
    s->last_send_ns = 0;
    uint64_t ht = c->job->timing.host_timeout_ms;
    s->deadline_ns = ht ? clock_mono_ns() + (int64_t)ht * 1000000 : INT64_MAX;
    atomic_store(&s->expired, false);
}

uint64_t raw_sched_x(const struct raw_ctx *c, uint64_t d)
{
    const struct raw_sched *s = &c->sched;
    uint64_t i, e, m = c->nentries;
    if (!s->rounds) {
        uint64_t v = permute_map(&s->gperm, d);
        i = v % s->n;
        e = v / s->n;
    } else {
        uint64_t r = d / s->n;
        i = permute_map(&s->gperm, d % s->n);
        e = s->ordered || m == 1 ? r : permute_map(&s->eperm, (r + i % m) % m);
    }
    return e * c->naddrs + raw_sched_addr(c, s->jlo + i);
}

bool raw_sched_d(const struct raw_ctx *c, uint64_t x, uint64_t *d)
{
    const struct raw_sched *s = &c->sched;
    uint64_t a = x % c->naddrs, e = x / c->naddrs, m = c->nentries;
    if (a % c->nshards != c->shard)
        return false;
    uint64_t j = a / c->nshards;
    if (j < s->jlo || j - s->jlo >= s->n)
        return false;
    uint64_t i = j - s->jlo;
    if (!s->rounds) {
        *d = permute_unmap(&s->gperm, e * s->n + i);
    } else {
        uint64_t r = s->ordered || m == 1 ? e : (permute_unmap(&s->eperm, e) + m - i % m) % m;
        *d = r * s->n + permute_unmap(&s->gperm, i);
    }
    return true;
}

bool raw_sched_in_group(const struct raw_ctx *c, uint64_t ai)
{
    const struct raw_sched *s = &c->sched;
    if (!s->on)
        return true;
    if (ai % c->nshards != c->shard)
        return false;
    uint64_t j = ai / c->nshards;
    return j >= s->jlo && j - s->jlo < s->n;
}

bool raw_pass0_pos(const struct raw_ctx *c, uint64_t x, uint64_t *pos)
{
    if (c->sched.on) {
        uint64_t d;
        if (!raw_sched_d(c, x, &d))
            return false;
        *pos = c->sched.pos_base + d;
        return true;
    }
    uint64_t i = permute_unmap(&c->perm, x);
    if (i % c->nshards != c->shard)
        return false;
    *pos = (i - c->shard) / c->nshards;
    return true;
}

bool raw_in_shard(const struct raw_ctx *c, uint64_t x)
{
    if (c->nshards <= 1)
        return true;
    if (c->sched.on)
        return x % c->naddrs % c->nshards == c->shard;
    return permute_unmap(&c->perm, x) % c->nshards == c->shard;
}

/* ---- the sender of a scheduled pass ------------------------------------ */

/* Frames waiting to go, per family. */
struct sbatch {
    struct raw_fam *fam;
    uint8_t *buf;
    uint8_t *frames[RATE_BATCH_MAX];
    uint16_t lens[RATE_BATCH_MAX];
    int8_t holds[RATE_BATCH_MAX];
    struct ipaddr dsts[RATE_BATCH_MAX];
    unsigned n;
};

/* The window: values and send times of the probes outstanding, oldest
 * first, in a ring of cap (--max-parallelism) slots. */
struct swin {
    uint64_t *x;
    int64_t *t; /* INT64_MAX: queued, not sent yet */
    uint32_t cap, head, n;
};

struct stx {
    struct raw_sender *s;
    struct raw_ctx *c;
    int pass;
    struct sbatch b[RAW_MAX_ROUTES]; /* a batch per way out (raw_ctx.fam) */
    struct swin w;
    uint64_t first_pos, last_pos; /* positions of the queued frames (pass 0 stamps) */
    unsigned queued;
    uint64_t sent;
};

static void nap_ns(int64_t ns)
{
    if (ns > SCHED_MAX_SLEEP_NS)
        ns = SCHED_MAX_SLEEP_NS;
    if (ns <= 0)
        return;
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Stop now: Ctrl-C, another sender failed, or the group's deadline. */
static bool must_stop(struct stx *t)
{
    struct raw_ctx *c = t->c;
    if (job_stopping(c->job->stop) || atomic_load_explicit(&c->tx_abort, memory_order_relaxed))
        return true;
    if (clock_mono_ns() >= c->sched.deadline_ns) {
        atomic_store(&c->sched.expired, true);
        return true;
    }
    return false;
}

/* Send what is queued; stamps pass 0's batch as raw_tx.c does. */
static int flush(struct stx *t)
{
    if (t->queued == 0)
        return 0;
    struct raw_sender *s = t->s;
    struct raw_stamp *st = NULL;
    if (t->pass == 0) {
        uint64_t k = atomic_load_explicit(&s->nstamps, memory_order_relaxed);
        st = &s->stamps[k % RAW_STAMPS];
        atomic_store_explicit(&st->pos, UINT64_MAX, memory_order_relaxed);
        atomic_store_explicit(&st->end, t->last_pos + 1, memory_order_relaxed);
        atomic_store_explicit(&st->t1, 0, memory_order_relaxed);
        atomic_store_explicit(&st->t0, rx_clock_ns(), memory_order_release);
        atomic_store_explicit(&st->pos, t->first_pos, memory_order_release);
        atomic_store_explicit(&s->nstamps, k + 1, memory_order_release);
    }
    for (int f = 0; f < t->c->nfam; f++) {
        struct sbatch *b = &t->b[f];
        if (b->n && raw_tx_flush(s, b->fam, b->frames, b->lens, b->dsts, b->n) < 0)
            return -1;
        b->n = 0;
    }
    if (st)
        atomic_store_explicit(&st->t1, rx_clock_ns(), memory_order_release);
    int64_t now = clock_mono_ns();
    t->c->sched.last_send_ns = now;
    /* The queued probes are the newest of the window. */
    for (uint32_t i = 0, k = t->w.n; t->w.x && i < t->queued && k > 0; i++) {
        k--;
        t->w.t[(t->w.head + k) % t->w.cap] = now;
    }
    t->sent += t->queued;
    t->queued = 0;
    return 0;
}

/* Drop answered and timed-out probes from the window, keeping the order.
 * Returns when the oldest one left times out (INT64_MAX: none). */
static int64_t win_compact(struct stx *t, int64_t now)
{
    struct swin *w = &t->w;
    struct raw_ctx *c = t->c;
    int64_t to = atomic_load_explicit(&c->sched.timeout_ns, memory_order_relaxed);
    int64_t next = INT64_MAX;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        uint32_t from = (w->head + i) % w->cap;
        bool gone =
            raw_decided(c, w->x[from]) || (w->t[from] != INT64_MAX && w->t[from] + to <= now);
        if (gone)
            continue;
        uint32_t into = (w->head + kept) % w->cap;
        w->x[into] = w->x[from];
        w->t[into] = w->t[from];
        if (w->t[into] != INT64_MAX && w->t[into] + to < next)
            next = w->t[into] + to;
        kept++;
    }
    w->n = kept;
    return next;
}

/* Wait for room in the window; false when the pass must stop. */
static bool win_room(struct stx *t)
{
    struct swin *w = &t->w;
    while (w->n >= w->cap) {
        if (flush(t) < 0 || must_stop(t))
            return false;
        int64_t now = clock_mono_ns();
        int64_t next = win_compact(t, now);
        if (w->n < w->cap)
            break;
        int64_t nap = next - now;
        nap_ns(nap < SCHED_POLL_NS ? nap : SCHED_POLL_NS);
    }
    return true;
}

/* A new round with --scan-delay: no sooner than the delay after the last
 * probe sent. False when the pass must stop. */
static bool round_gap(struct stx *t)
{
    struct raw_sched *s = &t->c->sched;
    if (flush(t) < 0)
        return false;
    if (s->last_send_ns == 0)
        return !must_stop(t);
    for (;;) {
        if (must_stop(t))
            return false;
        int64_t left = s->last_send_ns + s->delay_ns - clock_mono_ns();
        if (left <= 0)
            return true;
        nap_ns(left);
    }
}

static double load_rate(const struct raw_ctx *c)
{
    uint64_t bits = atomic_load_explicit(&c->rate_bits, memory_order_relaxed);
    double r;
    memcpy(&r, &bits, sizeof(r));
    return r;
}

/* One token of the rate; false when the pass must stop. */
static bool take_token(struct stx *t, struct rate_bucket *rb, double *rate)
{
    for (;;) {
        int64_t now = clock_mono_ns(), wait;
        double r = load_rate(t->c);
        if (r != *rate) {
            rate_bucket_set(rb, r, now);
            *rate = r;
        }
        if (rate_bucket_take(rb, now, 1, &wait) == 1)
            return true;
        /* Nothing queued waits through a sleep: the window and the
         * delay count from when a probe really left. */
        if (flush(t) < 0 || must_stop(t))
            return false;
        nap_ns(wait);
    }
}

static int sbatch_init(struct sbatch *b, struct raw_fam *f)
{
    memset(b, 0, sizeof(*b));
    if (!f->used)
        return 0;
    b->fam = f;
    return raw_tx_slots(f, &b->buf, b->frames, b->holds);
}

void *raw_sched_tx_main(void *arg)
{
    struct raw_sender *s = arg;
    struct raw_ctx *c = s->ctx;
    struct raw_sched *sc = &c->sched;
    struct stx t = {.s = s, .c = c, .pass = atomic_load(&c->pass)};
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    prctl(PR_SET_NAME, "prtip-tx0", 0, 0, 0);
    for (int f = 0; f < c->nfam; f++)
        if (sbatch_init(&t.b[f], &c->fam[f]) < 0)
            goto oom;
    if (sc->window) {
        t.w.cap = sc->window;
        t.w.x = malloc((size_t)t.w.cap * sizeof(*t.w.x));
        t.w.t = malloc((size_t)t.w.cap * sizeof(*t.w.t));
        if (!t.w.x || !t.w.t)
            goto oom;
    }
    struct rate_bucket rb;
    double rate = load_rate(c);
    rate_bucket_init(&rb, rate, clock_mono_ns());
    const struct target_set *set = c->job->targets;
    uint64_t round = UINT64_MAX;
    /* --resume: the caller set where the interrupted run stood (else 0). */
    uint64_t d0 = atomic_load(&s->pos);
    d0 = d0 > sc->pos_base ? d0 - sc->pos_base : 0;
    for (uint64_t d = d0; d < sc->count; d++) {
        if ((d & 63) == 0 && must_stop(&t))
            break;
        uint64_t x = raw_sched_x(c, d);
        if (t.pass > 0 && raw_decided(c, x))
            continue;
        uint64_t ai = x % c->naddrs;
        uint32_t e = (uint32_t)(x / c->naddrs);
        if (c->nskip && raw_skipped(c->skip, c->nskip, ai))
            continue;
        if (t.pass > 0 && c->pace && raw_entry_is_udp(c, e) && raw_pace_has(c->pace, ai))
            continue;
        struct ipaddr dst;
        if (target_set_addr_at(set, ai, &dst) != 0)
            continue;
        struct sbatch *b = &t.b[raw_slot_of(c, ai, &dst)];
        if (!b->fam || !b->fam->tpl[c->probes[e].group].ok)
            continue;
        if (sc->delay_ns && d / sc->n != round) {
            round = d / sc->n;
            if (!round_gap(&t))
                break;
        }
        if (t.w.x && !win_room(&t))
            break;
        if (!take_token(&t, &rb, &rate))
            break;
        int len = raw_probe_frame(c, b->fam, e, &dst, b->frames[b->n], &b->holds[b->n]);
        if (len < 0)
            continue;
        b->lens[b->n] = (uint16_t)len;
        b->dsts[b->n] = dst;
        b->n++;
        uint64_t pos = sc->pos_base + d;
        if (t.queued == 0)
            t.first_pos = pos;
        t.last_pos = pos;
        t.queued++;
        if (t.w.x) {
            uint32_t slot = (t.w.head + t.w.n) % t.w.cap;
            t.w.x[slot] = x;
            t.w.t[slot] = INT64_MAX;
            t.w.n++;
        }
        atomic_store_explicit(&s->pos, pos + 1, memory_order_relaxed);
        /* A full batch, or a window or delay that wants every probe timed. */
        if ((b->n >= rb.batch || t.w.x || sc->delay_ns) && flush(&t) < 0)
            goto out;
    }
    if (flush(&t) < 0)
        goto out;
    if (t.pass == 0)
        s->sent_pass0 = t.sent;
    goto out;
oom:
    s->tx_errno = ENOMEM;
    snprintf(s->tx_err, sizeof(s->tx_err), "out of memory for send buffers");
out:
    for (int f = 0; f < RAW_MAX_ROUTES; f++)
        free(t.b[f].buf);
    free(t.w.x);
    free(t.w.t);
    atomic_store_explicit(&s->done, true, memory_order_release);
    return NULL;
}
