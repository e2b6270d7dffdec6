/*
 * raw_pace.c — paced UDP rounds against ICMP rate limiting (the algorithm
 * is in raw_pace.h).
 */
#include "engine/raw/raw_pace.h"
#include "engine/raw/raw_loss.h"
#include "core/clock.h"

#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACE_W0           4    /* first window: ports per round */
#define PACE_W_MAX        1024 /* largest window */
#define PACE_W_SEARCH_MAX 64   /* largest window while looking for a canary */
#define PACE_COPIES_MAX   2    /* copies of a port in one round (a higher need takes rounds) */
#define PACE_SLOTS        (PACE_W_MAX * PACE_COPIES_MAX + 1)
#define PACE_INT0_NS      100000000LL
#define PACE_INT_MAX_NS   2000000000LL
#define PACE_FAST_NS      1500000000LL /* keep INT0 this long after the last ICMP */
#define PACE_GIVE_UP_NS   6000000000LL /* a canary host silent this long went away */
#define PACE_SEARCH_NS    2500000000LL /* no ICMP error since pass 0: search this long */
#define PACE_MIN_WAIT_NS  50000000LL   /* reply wait floor, as the cooldowns */
#define PACE_CONF_MAX     255
#define PACE_NAP_MAX_NS   10000000LL /* drain and status at least this often */
#define PACE_PN_MAX       65536      /* -Pn: silent addresses paced, at most */
#define PACE_P0_GAP_NS    2000000LL  /* pass 0 read as a round: witness within this */
/* A round that took longer to leave than this and than PACE_SLOW_X times
 * its frames at the fastest per-frame time seen was interrupted (the
 * sender preempted mid-round on a busy machine): a token may have come in
 * between its probes, so it confirms nothing (raw_pace.h, Assumptions). */
#define PACE_ROUND_NS PACE_P0_GAP_NS
#define PACE_SLOW_X   4

struct pace_host {
    uint64_t addr_idx;
    struct ipaddr addr;
    int fi;          /* c->fam index */
    uint32_t canary; /* entry of a port that answered with an ICMP error */
    uint8_t *conf;   /* per UDP entry: confirmations of silence (NULL: none yet) */
    uint32_t *round; /* entries of the outstanding round, in send order; a
                        port's copies are adjacent */
    uint8_t *hit;    /* per round slot: drew an ICMP error in this round */
    int64_t sent_rx; /* the round began leaving, in rx_clock_ns()'s clock */
    uint32_t nround, round_cap, window, cursor;
    int64_t next_ns, sent_ns, prev_sent_ns, interval_ns;
    int64_t last_icmp_ns;   /* last round that drew an ICMP error (or pacing start) */
    double tok_sum, ns_sum; /* tokens and time between saturated rounds */
    unsigned rounds, icmp;  /* icmp: ICMP errors answering the outstanding round */
    bool slow;              /* the outstanding round left too slowly to confirm */
    unsigned stale_icmp;    /* late ICMP errors (earlier rounds') during this round */
    uint32_t stale_entry;   /* the last of them */
    bool has_canary, round_canary, outstanding, canary_seen, prev_saturated, done, gave_up;
};

struct raw_pace {
    struct raw_ctx *c;
    struct pace_host *hosts; /* sorted by addr_idx */
    size_t n, cap;
    size_t examined;    /* raw_results_unreach_host() indices looked at */
    uint8_t need;       /* confirmations that make a port silent */
    uint8_t need_max;   /* the most loss may raise it to: --max-retries + 1 */
    uint64_t lost;      /* confirmations later contradicted by an answer: losses */
    double loss_ext;    /* the passes' loss rate (raw_loss.h) */
    uint32_t w0;        /* first window: PACE_W0, or --min-parallelism */
    int64_t int_max_ns; /* longest interval: PACE_INT_MAX_NS, or --max-scan-delay */
    int64_t t0;         /* first selection: pass 0 and its cooldown are over */
    double frame_ns;    /* fastest send time per frame of a round so far */
    uint64_t slow;      /* rounds that confirmed nothing for leaving too slowly */
    uint8_t *buf;       /* one round's frames */
    size_t slot;
};

static int cmp_host(const void *a, const void *b)
{
    const struct pace_host *x = a, *y = b;
    return x->addr_idx < y->addr_idx ? -1 : x->addr_idx > y->addr_idx;
}

/* qsort's array must be valid even when empty (UBSan: nonnull), and the
 * host table is not allocated until the first paced host. */
static void sort_hosts(struct raw_pace *p)
{
    if (p->n > 1)
        qsort(p->hosts, p->n, sizeof(*p->hosts), cmp_host);
}

/* bsearch's: key is a uint64_t address index. */
static int cmp_key(const void *key, const void *elem)
{
    uint64_t k = *(const uint64_t *)key, a = ((const struct pace_host *)elem)->addr_idx;
    return k < a ? -1 : k > a;
}

static struct pace_host *find(const struct raw_pace *p, uint64_t addr_idx)
{
    return p->n ? bsearch(&addr_idx, p->hosts, p->n, sizeof(*p->hosts), cmp_key) : NULL;
}

bool raw_pace_has(const struct raw_pace *p, uint64_t addr_idx)
{
    return p && find(p, addr_idx) != NULL;
}

/* Is UDP entry e of host ai still to be resolved by rounds? */
static bool pending(const struct raw_pace *p, const struct pace_host *h, uint32_t e)
{
    const struct raw_ctx *c = p->c;
    if (h->conf && h->conf[e - c->udp_first] >= p->need)
        return false;
    uint64_t x = (uint64_t)e * c->naddrs + h->addr_idx;
    if (raw_decided(c, x))
        return false;
    if (!raw_in_shard(c, x))
        return false; /* another shard's probe */
    return true;
}

static bool any_pending(const struct raw_pace *p, const struct pace_host *h)
{
    for (uint32_t e = p->c->udp_first; e < p->c->udp_end; e++)
        if (pending(p, h, e))
            return true;
    return false;
}

/* p->hosts[0, n) sorted: is ai among them? */
static bool known(const struct raw_pace *p, size_t n, uint64_t ai)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->hosts[mid].addr_idx < ai)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && p->hosts[lo].addr_idx == ai;
}

/* Add host ai (canary: an entry that drew an ICMP error, or none) if it has
 * pending UDP probes. 1 added, 0 not, -1 out of memory. */
static int add_host(struct raw_pace *p, uint64_t ai, bool has_canary, uint32_t canary)
{
    struct raw_ctx *c = p->c;
    struct target t;
    if (!raw_sched_in_group(c, ai) || target_set_at(c->job->targets, ai, &t) < 0 ||
        target_set_is_excluded(c->job->targets, &t.addr) || raw_skipped(c->skip, c->nskip, ai))
        return 0;
    int fi = raw_slot_of(c, ai, &t.addr);
    if (!c->fam[fi].used)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct pace_host *hs = realloc(p->hosts, cap * sizeof(*hs));
        if (!hs)
            return -1;
        p->hosts = hs;
        p->cap = cap;
    }
    struct pace_host *h = &p->hosts[p->n];
    memset(h, 0, sizeof(*h));
    h->addr_idx = ai;
    h->addr = t.addr;
    h->fi = fi;
    h->canary = canary;
    h->has_canary = has_canary;
    h->window = p->w0;
    h->interval_ns = PACE_INT0_NS;
    h->cursor = c->udp_first;
    if (!any_pending(p, h))
        return 0; /* every UDP port answered: nothing to pace */
    /* conf only once the host has shown it sends ICMP errors: a silent
     * -Pn range costs its host records, not a byte per port each. */
    if (has_canary && !(h->conf = calloc(c->udp_end - c->udp_first, 1)))
        return -1;
    p->n++;
    return 1;
}

static int cmp_p0(const void *a, const void *b)
{
    const struct raw_pace_p0 *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Is this cell an ICMP error (the host spent a token on it)? */
static bool icmp_cell(uint32_t cell)
{
    return (cell & RAW_CELL_ANSWERED) && ((cell >> 8) & 0xff) != REASON_UDP_RESPONSE;
}

size_t raw_pace_pass0(struct raw_pace_p0 *v, size_t n, int64_t gap_ns)
{
    if (n == 0)
        return 0; /* qsort wants a valid pointer even for none */
    qsort(v, n, sizeof(*v), cmp_p0);
    /* Backwards: the witness of a silent probe is the nearest later one
     * that drew an ICMP error, the one sent soonest after it (send times
     * ascend with the position). A farther one only leaves more time for
     * a refill. */
    bool have = false;
    int64_t w_hi = 0;
    size_t got = 0;
    for (size_t i = n; i-- > 0;) {
        struct raw_pace_p0 *q = &v[i];
        q->confirm = false;
        if (q->t_lo < 0) {
            have = false; /* send time unknown: no witness across it */
            continue;
        }
        if (icmp_cell(q->cell)) {
            have = true;
            w_hi = q->t_hi;
        } else if (!(q->cell & RAW_CELL_ANSWERED) && have && w_hi - q->t_lo <= gap_ns) {
            q->confirm = true;
            got++;
        }
    }
    return got;
}

/* When the pass-0 batch holding shard position p was handed to its
 * sender (*t_lo) and all sent (*t_hi), from raw_stamp_find() as raw_rx.c
 * does; false when not known (not sent, or its stamp overwritten). Called
 * while the senders are stopped. */
static bool pass0_sent(const struct raw_ctx *c, uint64_t p, int64_t *t_lo, int64_t *t_hi)
{
    uint64_t pos;
    const struct raw_sender *snd = raw_sender_of(c, p, &pos);
    int64_t lo = raw_stamp_find(snd, pos);
    if (lo < 0)
        return false;
    const struct raw_stamp *s = &snd->stamps[lo % RAW_STAMPS];
    uint64_t end = atomic_load_explicit(&s->end, memory_order_acquire);
    *t_lo = atomic_load_explicit(&s->t0, memory_order_acquire);
    *t_hi = atomic_load_explicit(&s->t1, memory_order_acquire);
    return pos < end && *t_hi >= *t_lo && *t_lo >= 0;
}

/*
 * Pass 0 as the first round of a host that drew ICMP errors in it
 * (raw_pace.h, 2): a silent port sent shortly before a probe that drew an
 * ICMP error met a bucket with a token, so it has one confirmation. Only at
 * the first selection (every cell then is an answer to pass 0) and with
 * need >= 2, so that a round, with its tighter timing, always adds the
 * confirmation that decides. Returns confirmations given, -1 out of memory.
 */
static long pass0_confirm(struct raw_pace *p, struct pace_host *h, const struct raw_results *res)
{
    const struct raw_ctx *c = p->c;
    uint32_t nudp = c->udp_end - c->udp_first;
    struct raw_pace_p0 *v = malloc((size_t)nudp * sizeof(*v));
    if (!v)
        return -1;
    size_t n = 0;
    for (uint32_t e = c->udp_first; e < c->udp_end; e++) {
        struct raw_pace_p0 *q = &v[n];
        if (!raw_pass0_pos(c, (uint64_t)e * c->naddrs + h->addr_idx, &q->pos))
            continue; /* another shard's probe: not sent here */
        if (!pass0_sent(c, q->pos, &q->t_lo, &q->t_hi))
            q->t_lo = q->t_hi = -1;
        q->cell = raw_results_cell(res, h->addr_idx, e);
        q->entry = e;
        n++;
    }
    raw_pace_pass0(v, n, PACE_P0_GAP_NS);
    long got = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].confirm && pending(p, h, v[i].entry)) {
            h->conf[v[i].entry - c->udp_first] = 1;
            got++;
        }
    free(v);
    return got;
}

int raw_pace_select(struct raw_ctx *c, struct raw_results *res, bool final)
{
    bool first = !c->pace;
    if (!c->pace) {
        c->pace = calloc(1, sizeof(*c->pace));
        if (!c->pace)
            return -1;
        c->pace->c = c;
        c->pace->t0 = clock_mono_ns();
        c->pace->need = c->job->timing.max_retries >= 2 ? 2 : 1;
        int nm = c->job->timing.max_retries + 1;
        c->pace->need_max = nm > PACE_CONF_MAX ? PACE_CONF_MAX : nm < 1 ? 1 : (uint8_t)nm;
        /* nmap's --min-parallelism: at least that many probes of a host
         * in flight, so a round carries at least that many ports. */
        const struct timing *tm = &c->job->timing;
        uint32_t w0 = tm->min_parallelism > PACE_W0 ? tm->min_parallelism : PACE_W0;
        c->pace->w0 = w0 > PACE_W_MAX ? PACE_W_MAX : w0;
        /* nmap's --max-scan-delay caps its adaptive per-host delay; the
         * rounds' interval is ours (never below a reply wait, evaluate()). */
        int64_t cap = (int64_t)tm->max_scan_delay_ms * 1000000;
        c->pace->int_max_ns = cap > 0 && cap < PACE_INT_MAX_NS ? cap : PACE_INT_MAX_NS;
    }
    struct raw_pace *p = c->pace;
    size_t total = raw_results_unreach_hosts(res), n0 = p->n;
    for (; p->examined < total; p->examined++) {
        uint64_t ai;
        uint32_t canary;
        raw_results_unreach_host(res, p->examined, &ai, &canary);
        if (!raw_entry_is_udp(c, canary))
            continue;
        int added = add_host(p, ai, true, canary);
        if (added < 0)
            return -1;
        long got = added && first && !final && p->need >= 2
                       ? pass0_confirm(p, &p->hosts[p->n - 1], res)
                       : 0;
        if (got < 0)
            return -1;
        if (got > 0) {
            char a[IPADDR_STRLEN];
            log_debug("raw", "UDP pacing: %s: %ld silent port%s confirmed by pass 0",
                      ipaddr_str(&p->hosts[p->n - 1].addr, a, sizeof(a)), got, got == 1 ? "" : "s");
        }
    }
    if (final) {
        /* Known up but no ICMP error yet: their bucket may have been empty
         * all along (raw_pace.h, 1). Hosts that answered anything, and with
         * -Pn every target (up to PACE_PN_MAX addresses; beyond that only
         * the answering ones, so a huge -Pn range does not cost seconds of
         * searching per silent address). */
        sort_hosts(p);
        n0 = p->n;
        size_t nh = raw_results_hosts(res);
        for (size_t i = 0; i < nh; i++) {
            uint64_t ai = raw_results_host_addr(res, i);
            if (!known(p, n0, ai) && add_host(p, ai, false, 0) < 0)
                return -1;
        }
        if (c->job->assume_up && c->naddrs <= PACE_PN_MAX) {
            sort_hosts(p);
            n0 = p->n;
            for (uint64_t ai = 0; ai < c->naddrs; ai++)
                if (!known(p, n0, ai) && add_host(p, ai, false, 0) < 0)
                    return -1;
        }
        n0 = 0;
    }
    if (p->n != n0) {
        sort_hosts(p);
        log_debug("raw", "UDP: %zu host%s with unanswered UDP ports paced against ICMP rate limits",
                  p->n, p->n == 1 ? "" : "s");
    }
    return (int)p->n;
}

void raw_pace_on_reply(struct raw_pace *p, const struct raw_reply *rep)
{
    if (!atomic_load_explicit(&p->c->pacing, memory_order_relaxed))
        return;
    struct pace_host *h = find(p, rep->addr_idx);
    if (!h || !h->outstanding || !raw_entry_is_udp(p->c, rep->entry))
        return;
    if (rep->reason == REASON_UDP_RESPONSE)
        return; /* no token spent */
    /* Received before the round began leaving: an answer to an earlier
     * round (or pass) that came back after its reply wait. Read as this
     * round's it would confirm the silent ports ahead of its port. */
    if (rep->rx_ns > 0 && rep->rx_ns < h->sent_rx) {
        /* Still proof that the host sends ICMP errors (a canary for a
         * searching host, no give-up), not of this round's bucket. */
        h->stale_icmp++;
        h->stale_entry = rep->entry;
        return;
    }
    /* Every ICMP error is a token the host spent, repeats included (two
     * copies of a closed port can draw two): the first copy not yet hit
     * drew it (tokens go in send order). */
    h->icmp++;
    if (h->has_canary && rep->entry == h->canary)
        h->canary_seen = true;
    for (uint32_t i = 0; i < h->nround; i++)
        if (h->round[i] == rep->entry && !h->hit[i]) {
            h->hit[i] = 1;
            break;
        }
}

/* Send h's next round, or mark it done. Returns frames sent, -1 on error. */
static int send_round(struct raw_pace *p, struct pace_host *h, int64_t now)
{
    struct raw_ctx *c = p->c;
    struct raw_fam *f = &c->fam[h->fi];
    uint32_t nudp = c->udp_end - c->udp_first, ports = 0, n = 0;
    if (h->round_cap < PACE_SLOTS) {
        uint32_t cap = h->window * PACE_COPIES_MAX + 1;
        if (cap < h->round_cap * 2)
            cap = h->round_cap * 2;
        if (cap > PACE_SLOTS)
            cap = PACE_SLOTS;
        if (cap > h->round_cap) {
            uint32_t *r = realloc(h->round, cap * sizeof(*r));
            uint8_t *hit = r ? realloc(h->hit, cap) : NULL;
            if (r)
                h->round = r;
            if (hit)
                h->hit = hit;
            if (!r || !hit) {
                snprintf(c->snd[0].tx_err, sizeof(c->snd[0].tx_err),
                         "raw scan: out of memory for UDP pacing");
                return -1;
            }
            h->round_cap = cap;
        }
    }
    /* With a canary: the pending ports with the most confirmations first
     * (each level in port order), each sent need - conf times back to
     * back, so one token after them confirms them all at once. A port
     * already confirmed silent is most likely filtered and passes the
     * token on; a closed port placed before it would spend the token and
     * leave it for the next refill (raw_pace.h, 2). Without a canary: a
     * rotating window, once each (nothing confirms until the host shows it
     * sends ICMP errors at all). */
    uint32_t start = h->has_canary ? c->udp_first : h->cursor, last = start;
    unsigned levels = h->has_canary ? p->need : 1;
    bool full = false;
    for (unsigned lv = levels; lv-- > 0 && !full;) {
        for (uint32_t k = 0; k < nudp && ports < h->window; k++) {
            uint32_t e = start + k;
            if (e >= c->udp_end)
                e -= nudp;
            if (!pending(p, h, e))
                continue;
            unsigned copies = 1;
            if (h->has_canary) {
                if (h->conf[e - c->udp_first] != lv)
                    continue;
                copies = p->need - lv;
                if (copies > PACE_COPIES_MAX)
                    copies = PACE_COPIES_MAX;
            }
            if (n + copies + 1 > h->round_cap) {
                full = true;
                break;
            }
            for (unsigned j = 0; j < copies; j++)
                h->round[n++] = e;
            ports++;
            last = e;
        }
    }
    if (n == 0) {
        h->done = true;
        return 0;
    }
    if (!h->has_canary)
        h->cursor = last + 1 >= c->udp_end ? c->udp_first : last + 1;
    uint8_t *frames[PACE_SLOTS];
    uint16_t lens[PACE_SLOTS];
    struct ipaddr dsts[PACE_SLOTS];
    unsigned k = 0;
    uint32_t total = n + h->has_canary;
    for (uint32_t i = 0; i < total; i++) {
        uint32_t e = i < n ? h->round[i] : h->canary;
        int8_t holds = -1;
        frames[k] = p->buf + (size_t)k * p->slot;
        /* Every round (and each copy within one) moves to the port's next
         * payload, so a service that ignores one nmap-payloads probe still
         * gets the others, as nmap sends them all. */
        unsigned try =
            (unsigned)atomic_load_explicit(&c->pass, memory_order_relaxed) + 1 + h->rounds + i;
        int len = raw_probe_frame_try(c, f, e, &h->addr, frames[k], &holds, try);
        if (len < 0)
            continue;
        lens[k] = (uint16_t)len;
        dsts[k] = h->addr;
        k++;
    }
    h->sent_rx = rx_clock_ns();
    int64_t t = clock_mono_ns();
    if (raw_tx_flush(&c->snd[0], f, frames, lens, dsts, k) < 0)
        return -1;
    double took = (double)(clock_mono_ns() - t);
    if (k && (p->frame_ns <= 0 || took / k < p->frame_ns))
        p->frame_ns = took / k;
    h->slow = took > PACE_ROUND_NS && took > PACE_SLOW_X * p->frame_ns * k;
    p->slow += h->slow;
    h->nround = n;
    memset(h->hit, 0, n);
    h->sent_ns = now;
    h->outstanding = true;
    h->canary_seen = false;
    h->icmp = h->stale_icmp = 0;
    h->round_canary = h->has_canary;
    h->rounds++;
    return (int)k;
}

/*
 * Loss (raw_pace.h, 4): raise need so that at the loss rate seen (the
 * pacer's contradicted confirmations, or the passes') fewer than
 * RAW_LOSS_EPS ports are misread; hosts that finished under the old need
 * and were not given up get rounds again.
 */
static void update_need(struct raw_pace *p, const struct raw_results *res)
{
    double a = (double)raw_results_answers(res);
    double lp = p->lost ? (double)(p->lost + 1) / ((double)p->lost + a + 1) : 0.0;
    if (lp < p->loss_ext)
        lp = p->loss_ext;
    unsigned t = raw_loss_tries(lp, a + 1, p->need, p->need_max);
    if (t <= p->need)
        return;
    log_debug("raw", "UDP pacing: loss rate %.3f: %u confirmations make a port silent", lp, t);
    p->need = (uint8_t)t;
    for (size_t i = 0; i < p->n; i++)
        if (!p->hosts[i].gave_up)
            p->hosts[i].done = false;
}

/* Read the outstanding round of h as a bucket observation (raw_pace.h, 2-3). */
static int evaluate(struct raw_pace *p, struct pace_host *h, const struct raw_results *res,
                    int64_t min_int)
{
    const struct raw_ctx *c = p->c;
    int64_t last = -1, first = -1;
    for (uint32_t i = 0; i < h->nround; i++)
        if (h->hit[i]) {
            last = i;
            if (first < 0)
                first = i;
        }
    if (h->canary_seen)
        last = h->nround;
    unsigned tokens = h->icmp; /* every hit counted one (raw_pace_on_reply) */
    if (!h->has_canary && (first >= 0 || h->stale_icmp)) {
        /* The host does send ICMP errors: that port is its canary now, and
         * the search turns into ordinary rounds (raw_pace.h, 1). */
        h->canary = first >= 0 ? h->round[first] : h->stale_entry;
        h->has_canary = true;
        h->window = p->w0;
        h->interval_ns = PACE_INT0_NS;
        h->conf = calloc(c->udp_end - c->udp_first, 1);
        if (!h->conf)
            return -1;
        char a[IPADDR_STRLEN];
        log_debug("raw", "UDP pacing: %s sent its first ICMP error after %u round%s",
                  ipaddr_str(&h->addr, a, sizeof(a)), h->rounds, h->rounds == 1 ? "" : "s");
    }
    /* A closed port confirmed silent that answers now was lost, not
     * silent: the token its confirmation saw proves the bucket was not
     * empty. (Not an open port: it may answer only this round's payload.) */
    for (uint32_t i = 0; h->conf && i < h->nround; i++) {
        uint32_t e = h->round[i];
        if ((i == 0 || h->round[i - 1] != e) && h->hit[i])
            p->lost += h->conf[e - c->udp_first];
    }
    for (int64_t i = 0; h->conf && !h->slow && i < last; i++) {
        uint32_t e = h->round[i];
        uint8_t *cf = &h->conf[e - c->udp_first];
        if (!(raw_results_cell(res, h->addr_idx, e) & RAW_CELL_ANSWERED) && *cf < PACE_CONF_MAX)
            (*cf)++;
    }
    if (tokens || h->stale_icmp)
        h->last_icmp_ns = h->sent_ns;
    /* Saturated: the canary, sent last, met an empty bucket. */
    bool saturated = h->round_canary && !h->canary_seen;
    /* Between two saturated rounds the host refilled exactly what the
     * second drew; rounds that drew nothing only lengthen that time. */
    if (saturated && h->prev_saturated && tokens) {
        h->tok_sum += tokens;
        h->ns_sum += (double)(h->sent_ns - h->prev_sent_ns);
    }
    if (saturated && tokens) {
        h->prev_saturated = true; /* a drained bucket: the next measurement starts here */
        h->prev_sent_ns = h->sent_ns;
    } else if (!saturated) {
        h->prev_saturated = false;
    }
    /* Two rounds per token interval once the rate is known: a token then
     * waits at most half an interval to be used, so the last closed port
     * is found soon after the host can answer it; the extra rounds draw
     * nothing and cost nothing but their probes. Before that, a round
     * every INT0 for PACE_FAST_NS after the last ICMP error (Linux's
     * default refill, 1 s, is then found within INT0), then exponential
     * back-off up to PACE_INT_MAX_NS. */
    if (h->tok_sum >= 1)
        h->interval_ns = (int64_t)(h->ns_sum / h->tok_sum / 2);
    else if (tokens == 0 && h->sent_ns - h->last_icmp_ns >= PACE_FAST_NS)
        h->interval_ns *= 2;
    if (h->canary_seen) {
        if (h->window < PACE_W_MAX)
            h->window = h->window * 2 > PACE_W_MAX ? PACE_W_MAX : h->window * 2;
        if (h->tok_sum < 1)
            h->interval_ns /= 2;
    } else if (!h->has_canary && h->window < PACE_W_SEARCH_MAX) {
        h->window *= 2;
    }
    if (h->interval_ns > p->int_max_ns)
        h->interval_ns = p->int_max_ns;
    if (h->interval_ns < min_int)
        h->interval_ns = min_int;
    h->next_ns = h->sent_ns + h->interval_ns;
    h->outstanding = false;
    update_need(p, res);
    if (!any_pending(p, h)) {
        h->done = true; /* the last port was answered: no more rounds */
        return 0;
    }
    /* Given up when the next round would start past the deadline, so the
     * bound is the deadline plus one reply wait, not plus an interval. */
    int64_t quiet = h->next_ns - h->last_icmp_ns;
    if (tokens == 0 && !h->stale_icmp &&
        quiet > (h->has_canary ? PACE_GIVE_UP_NS : PACE_SEARCH_NS)) {
        h->done = h->gave_up = true;
        char a[IPADDR_STRLEN];
        log_debug("raw", "UDP pacing: %s %s; its unanswered ports are open|filtered",
                  ipaddr_str(&h->addr, a, sizeof(a)),
                  h->has_canary ? "stopped sending ICMP errors" : "sends no ICMP errors");
    }
    return 0;
}

static void nap_ns(int64_t ns)
{
    if (ns > PACE_NAP_MAX_NS)
        ns = PACE_NAP_MAX_NS;
    if (ns < 100000)
        ns = 100000;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ns};
    nanosleep(&ts, NULL);
}

int raw_pace_run(struct raw_agg *g, char *err, size_t errlen)
{
    struct raw_ctx *c = raw_agg_ctx(g);
    struct raw_pace *p = c->pace;
    struct raw_results *res = raw_agg_results(g);
    if (!p || p->n == 0)
        return 0;
    p->slot = 0;
    for (int f = 0; f < c->nfam; f++)
        if (c->fam[f].slot_len > p->slot)
            p->slot = c->fam[f].slot_len;
    p->buf = malloc((size_t)PACE_SLOTS * p->slot);
    if (!p->buf) {
        snprintf(err, errlen, "raw scan: out of memory for UDP pacing");
        return -1;
    }
    atomic_store(&c->pacing, true);
    p->loss_ext = raw_agg_loss_rate(g);
    update_need(p, res);
    int64_t start = clock_mono_ns(), last_budget = start;
    /* The quiet time counts from here for hosts that sent ICMP errors; for
     * those that sent none, from the end of pass 0: the retry pass already
     * looked at their bucket once, a refill interval later. */
    for (size_t i = 0; i < p->n; i++)
        p->hosts[i].last_icmp_ns = p->hosts[i].has_canary ? start : p->t0;
    double budget = 0;
    int rc = 0;
    for (uint64_t nrounds = 0;;) {
        int64_t now = clock_mono_ns();
        if (job_stopping(c->job->stop))
            break;
        if (now >= c->sched.deadline_ns) {
            atomic_store(&c->sched.expired, true); /* --host-timeout */
            break;
        }
        raw_agg_tick(g, now, false);
        raw_agg_drain(g);
        int64_t wait = raw_agg_wait_ns(g);
        if (wait < PACE_MIN_WAIT_NS)
            wait = PACE_MIN_WAIT_NS;
        /* The scan's rate bounds the rounds too (a round goes out whole). */
        double rate = raw_agg_rate(g);
        budget += rate * (double)(now - last_budget) / 1e9;
        last_budget = now;
        if (budget > rate * 0.1 + PACE_SLOTS)
            budget = rate * 0.1 + PACE_SLOTS;
        int64_t next = now + PACE_NAP_MAX_NS;
        size_t active = 0;
        for (size_t i = 0; i < p->n; i++) {
            struct pace_host *h = &p->hosts[i];
            if (h->outstanding) {
                if (now < h->sent_ns + wait) {
                    active++;
                    if (h->sent_ns + wait < next)
                        next = h->sent_ns + wait;
                    continue;
                }
                if (evaluate(p, h, res, wait) < 0) {
                    snprintf(err, errlen, "raw scan: out of memory for UDP pacing");
                    rc = -1;
                    goto out;
                }
            }
            if (h->done)
                continue;
            active++;
            if (now < h->next_ns) {
                if (h->next_ns < next)
                    next = h->next_ns;
                continue;
            }
            if (budget < 0)
                continue; /* over the scan rate: next time round */
            int k = send_round(p, h, now);
            if (k < 0) {
                snprintf(err, errlen, "%s", c->snd[0].tx_err);
                rc = -1;
                goto out;
            }
            budget -= k;
            nrounds += k > 0;
            if (!h->done && now + wait < next)
                next = now + wait;
        }
        if (active == 0) {
            size_t gave_up = 0;
            for (size_t i = 0; i < p->n; i++)
                gave_up += p->hosts[i].gave_up;
            log_debug("raw",
                      "UDP pacing: %zu host%s, %" PRIu64 " rounds in %.3f s, %zu given up, %" PRIu64
                      " left too slowly to confirm",
                      p->n, p->n == 1 ? "" : "s", nrounds, (double)(clock_mono_ns() - start) / 1e9,
                      gave_up, p->slow);
            for (size_t i = 0; i < p->n && i < 8; i++) {
                const struct pace_host *h = &p->hosts[i];
                char a[IPADDR_STRLEN];
                log_debug("raw", "UDP pacing: %s: %u rounds, ICMP rate %.2f/s%s",
                          ipaddr_str(&h->addr, a, sizeof(a)), h->rounds,
                          h->ns_sum > 0 ? h->tok_sum * 1e9 / h->ns_sum : 0.0,
                          h->ns_sum > 0 ? "" : " (not measured: no saturated rounds)");
            }
            break;
        }
        nap_ns(next - clock_mono_ns());
    }
out:
    raw_agg_drain(g);
    atomic_store(&c->pacing, false);
    return rc;
}

void raw_pace_free(struct raw_pace *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->hosts[i].conf);
        free(p->hosts[i].round);
        free(p->hosts[i].hit);
    }
    free(p->hosts);
    free(p->buf);
    free(p);
}
