/*
 * raw_pace.c — paced UDP rounds against ICMP rate limiting (the algorithm
 * is in raw_pace.h).
 */
#include "engine/raw_pace.h"

#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACE_W0          4    /* first window: ports per round */
#define PACE_W_MAX       1024 /* largest window */
#define PACE_INT0_NS     100000000LL
#define PACE_INT_MAX_NS  5000000000LL
#define PACE_MIN_WAIT_NS 50000000LL /* reply wait floor, as the cooldowns */
#define PACE_GIVE_UP     6          /* rounds in a row without any ICMP */
#define PACE_CONF_MAX    255
#define PACE_NAP_MAX_NS  10000000LL /* drain and status at least this often */

struct pace_host {
    uint64_t addr_idx;
    struct ipaddr addr;
    int fi;          /* c->fam index */
    uint32_t canary; /* entry of a port that answered with a port unreachable */
    uint8_t *conf;   /* per UDP entry: confirmations of silence */
    uint32_t *round; /* entries of the outstanding round, in send order */
    uint32_t nround, window;
    int64_t next_ns, sent_ns, prev_sent_ns, interval_ns;
    double tok_sum, ns_sum; /* tokens and time between saturated rounds */
    unsigned empty, rounds;
    bool outstanding, canary_seen, prev_saturated, done, gave_up;
};

struct raw_pace {
    struct raw_ctx *c;
    struct pace_host *hosts; /* sorted by addr_idx */
    size_t n, cap;
    size_t examined; /* raw_results_unreach_host() indices looked at */
    uint8_t need;    /* confirmations that make a port silent */
    uint8_t *buf;    /* one round's frames */
    size_t slot;
};

static int cmp_host(const void *a, const void *b)
{
    const struct pace_host *x = a, *y = b;
    return x->addr_idx < y->addr_idx ? -1 : x->addr_idx > y->addr_idx;
}

static struct pace_host *find(const struct raw_pace *p, uint64_t addr_idx)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->hosts[mid].addr_idx < addr_idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && p->hosts[lo].addr_idx == addr_idx ? &p->hosts[lo] : NULL;
}

bool raw_pace_has(const struct raw_pace *p, uint64_t addr_idx)
{
    return p && find(p, addr_idx) != NULL;
}

/* Is UDP entry e of host ai still to be resolved by rounds? */
static bool pending(const struct raw_pace *p, const struct pace_host *h, uint32_t e)
{
    const struct raw_ctx *c = p->c;
    if (h->conf[e - c->udp_first] >= p->need)
        return false;
    uint64_t x = (uint64_t)e * c->naddrs + h->addr_idx;
    if (raw_decided(c, x))
        return false;
    if (c->nshards > 1 && permute_unmap(&c->perm, x) % c->nshards != c->shard)
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

int raw_pace_select(struct raw_ctx *c, struct raw_results *res)
{
    if (!c->pace) {
        c->pace = calloc(1, sizeof(*c->pace));
        if (!c->pace)
            return -1;
        c->pace->c = c;
        c->pace->need = c->scan->timing.max_retries >= 2 ? 2 : 1;
    }
    struct raw_pace *p = c->pace;
    size_t total = raw_results_unreach_hosts(res), added = 0;
    uint32_t nudp = c->udp_end - c->udp_first;
    for (; p->examined < total; p->examined++) {
        uint64_t ai;
        uint32_t canary;
        raw_results_unreach_host(res, p->examined, &ai, &canary);
        struct target t;
        if (!raw_entry_is_udp(c, canary) || target_set_at(c->scan->targets, ai, &t) < 0)
            continue;
        int fi = t.addr.family == AF_INET6;
        if (!c->fam[fi].used)
            continue;
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
        h->window = PACE_W0;
        h->interval_ns = PACE_INT0_NS;
        h->conf = calloc(nudp ? nudp : 1, 1);
        h->round = malloc(PACE_W_MAX * sizeof(*h->round));
        if (!h->conf || !h->round) {
            free(h->conf);
            free(h->round);
            return -1;
        }
        if (!any_pending(p, h)) { /* every UDP port answered: nothing to pace */
            free(h->conf);
            free(h->round);
            continue;
        }
        p->n++;
        added++;
    }
    if (added) {
        qsort(p->hosts, p->n, sizeof(*p->hosts), cmp_host);
        log_debug("raw",
                  "UDP: %zu host%s send port unreachables and have unanswered ports: "
                  "pacing them against ICMP rate limits",
                  p->n, p->n == 1 ? "" : "s");
    }
    return (int)p->n;
}

void raw_pace_on_reply(struct raw_pace *p, const struct raw_reply *rep)
{
    if (!atomic_load_explicit(&p->c->pacing, memory_order_relaxed))
        return;
    struct pace_host *h = find(p, rep->addr_idx);
    if (h && h->outstanding && rep->entry == h->canary)
        h->canary_seen = true;
}

/* Send h's next round, or mark it done. Returns frames sent, -1 on error. */
static int send_round(struct raw_pace *p, struct pace_host *h, int64_t now)
{
    struct raw_ctx *c = p->c;
    struct raw_fam *f = &c->fam[h->fi];
    uint32_t n = 0;
    for (uint32_t e = c->udp_first; e < c->udp_end && n < h->window; e++)
        if (pending(p, h, e))
            h->round[n++] = e;
    if (n == 0) {
        h->done = true;
        return 0;
    }
    uint8_t *frames[PACE_W_MAX + 1];
    uint16_t lens[PACE_W_MAX + 1];
    struct ipaddr dsts[PACE_W_MAX + 1];
    unsigned k = 0;
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t e = i < n ? h->round[i] : h->canary;
        int8_t holds = -1;
        frames[k] = p->buf + (size_t)k * p->slot;
        int len = raw_probe_frame(c, f, e, &h->addr, frames[k], &holds);
        if (len < 0)
            continue;
        lens[k] = (uint16_t)len;
        dsts[k] = h->addr;
        k++;
    }
    if (raw_tx_flush(c, f, frames, lens, dsts, k) < 0)
        return -1;
    h->nround = n;
    h->sent_ns = now;
    h->outstanding = true;
    h->canary_seen = false;
    h->rounds++;
    return (int)k;
}

/* Read the outstanding round of h as a bucket observation (raw_pace.h, 2-3). */
static void evaluate(struct raw_pace *p, struct pace_host *h, const struct raw_results *res,
                     int64_t min_int)
{
    const struct raw_ctx *c = p->c;
    int64_t last = -1;
    unsigned tokens = 0;
    for (uint32_t i = 0; i < h->nround; i++) {
        uint32_t cell = raw_results_cell(res, h->addr_idx, h->round[i]);
        if ((cell & RAW_CELL_ANSWERED) && ((cell >> 8) & 0xff) != REASON_UDP_RESPONSE) {
            tokens++; /* an ICMP error: the host spent a token on it */
            last = i;
        }
    }
    if (h->canary_seen) {
        tokens++;
        last = h->nround;
    }
    for (int64_t i = 0; i < last; i++) {
        uint32_t e = h->round[i];
        uint8_t *cf = &h->conf[e - c->udp_first];
        if (!(raw_results_cell(res, h->addr_idx, e) & RAW_CELL_ANSWERED) && *cf < PACE_CONF_MAX)
            (*cf)++;
    }
    bool saturated = !h->canary_seen;
    if (saturated && h->prev_saturated) {
        h->tok_sum += tokens;
        h->ns_sum += (double)(h->sent_ns - h->prev_sent_ns);
    }
    h->prev_saturated = saturated;
    h->prev_sent_ns = h->sent_ns;
    h->empty = tokens ? 0 : h->empty + 1;
    /* Two rounds per token interval: a token then waits at most half an
     * interval to be used, so the last closed port is found soon after the
     * host can answer it; the extra rounds draw nothing and cost nothing
     * but W + 1 probes. */
    if (h->tok_sum >= 1)
        h->interval_ns = (int64_t)(h->ns_sum / h->tok_sum / 2);
    else if (tokens == 0)
        h->interval_ns *= 2;
    if (h->canary_seen) {
        if (h->window < PACE_W_MAX)
            h->window *= 2;
        if (h->tok_sum < 1)
            h->interval_ns /= 2;
    }
    if (h->interval_ns > PACE_INT_MAX_NS)
        h->interval_ns = PACE_INT_MAX_NS;
    if (h->interval_ns < min_int)
        h->interval_ns = min_int;
    h->next_ns = h->sent_ns + h->interval_ns;
    h->outstanding = false;
    if (!any_pending(p, h)) {
        h->done = true; /* the last port was answered: no more rounds */
        return;
    }
    if (h->empty >= PACE_GIVE_UP) {
        h->done = h->gave_up = true;
        char a[IPADDR_STRLEN];
        log_debug("raw",
                  "UDP pacing: %s stopped sending ICMP errors; its unanswered ports are "
                  "open|filtered",
                  ipaddr_str(&h->addr, a, sizeof(a)));
    }
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
    p->slot = c->fam[0].slot_len > c->fam[1].slot_len ? c->fam[0].slot_len : c->fam[1].slot_len;
    p->buf = malloc((size_t)(PACE_W_MAX + 1) * p->slot);
    if (!p->buf) {
        snprintf(err, errlen, "raw scan: out of memory for UDP pacing");
        return -1;
    }
    atomic_store(&c->pacing, true);
    int64_t start = raw_now_ns(), last_budget = start;
    double budget = 0;
    int rc = 0;
    for (uint64_t nrounds = 0;;) {
        int64_t now = raw_now_ns();
        if (scan_stopping(c->scan))
            break;
        raw_agg_tick(g, now, false);
        raw_agg_drain(g);
        int64_t wait = raw_agg_wait_ns(g);
        if (wait < PACE_MIN_WAIT_NS)
            wait = PACE_MIN_WAIT_NS;
        /* The scan's rate bounds the rounds too (a round goes out whole). */
        double rate = raw_agg_rate(g);
        budget += rate * (double)(now - last_budget) / 1e9;
        last_budget = now;
        if (budget > rate * 0.1 + PACE_W_MAX + 1)
            budget = rate * 0.1 + PACE_W_MAX + 1;
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
                evaluate(p, h, res, wait);
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
                snprintf(err, errlen, "%s", c->tx_err);
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
            log_debug("raw", "UDP pacing: %zu host%s, %" PRIu64 " rounds in %.3f s, %zu given up",
                      p->n, p->n == 1 ? "" : "s", nrounds, (double)(raw_now_ns() - start) / 1e9,
                      gave_up);
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
        nap_ns(next - raw_now_ns());
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
    }
    free(p->hosts);
    free(p->buf);
    free(p);
}
