/*
 * ce_cc.c — congestion control of the connect engine, after nmap's
 * ultra_scan (scan_engine.cc, timing.cc; nmap book "Timing and
 * Performance") with TCP's rules underneath (RFC 5681).
 *
 * Two windows bound the probes in the network ("the pipe", RFC 6675): one
 * per host and one for the whole group. A pending connect leaves the pipe
 * once it is older than the host's RTO computed from SRTT/RTTVAR without
 * the --min-rtt-timeout clamp: by then it is lost or filtered, and only
 * waits (socket open) for a late answer until the clamped timeout. Without
 * this, every lost probe would hold a window place for the whole clamped
 * timeout (100 ms and up) and 20% loss on a sub-millisecond link would
 * throttle a scan 70-fold, while the link has nothing in flight. Both start at cw_init and grow by
 * one per answer (slow start, doubling per round trip) up to ssthresh, then by ca_incr per window's
 * worth of answers (congestion avoidance). ssthresh starts at the maximum, as RFC 5681 allows
 * ("arbitrarily high"): a clean path then reaches full parallelism in log2(max / init) round trips,
 * which on loopback, where answers come back inside connect(), is a few
 * batches. nmap starts at 75 because its raw scans can flood a link; a
 * connect scan's first loss stops slow start just as well.
 *
 * What counts as a loss: an answer to a retransmitted probe (the earlier
 * try was sent, went unanswered, and yet the port answers: nmap's
 * max_successful_tryno logic). A timeout alone is not a loss, since
 * filtered ports never answer; while a host has shown no loss its silences
 * count like answers for window growth, so a firewalled host is not held
 * at the initial window for the whole scan. One loss episode cuts each
 * window once: only a lost try sent after the window's last cut counts
 * again (NewReno's recovery point), otherwise a burst of losses found in
 * one batch would collapse the window to the floor. A cut halves the
 * window actually in use, min(cwnd, 2 * flight): growth while answers came
 * back inside connect() can leave cwnd far above what was ever in flight.
 * Halving rather than nmap's reset to the floor keeps random (not
 * congestive) loss from stalling the scan; AIMD still converges under real
 * congestion.
 *
 * Retries: a port gets max_ok + 1 tries (nmap's allowedTryno), so on a
 * clean path a silent port costs two probes, not --max-retries + 1; a port
 * that used them waits on the bench and gets more tries when max_ok grows.
 * When only benched ports are left and the host has shown loss, they get
 * a last call with the full --max-retries (nmap would report them filtered
 * at once; under random loss that is a wrong answer for roughly one port
 * in a few thousand).
 *
 * Scan delay: nmap raises it on two signals. Persistent loss, more than
 * 10 drops since the last change that make up over 30% (40% with -T4/5)
 * of the answers, is kept: that is what a rate-limiting target looks like.
 * nmap's other trigger, max_successful_tryno passing 3, is left out: it
 * fires on one unlucky port, so its odds grow with the port count (20%
 * random loss over 2,000 ports takes nmap to a 20 ms delay and 30 s, for
 * results that are just as correct at full speed).
 */
#include "engine/connect/ce.h"
#include "core/clock.h"

#include "core/log.h"

#include <arpa/inet.h>

#define INIT_T3      10 /* nmap's group/host initial cwnd */
#define INIT_T4      32 /* -T4/-T5 assume a fast, reliable network: start larger */
#define INIT_T5      64
#define BOOST_FIRST  5000    /* us: first scan delay on loss, as nmap's TCP value */
#define BOOST_CAP    1000000 /* us: doubling stops here unless already above */
#define DROPS_BEFORE 10      /* drops before the ratio is trusted (nmap) */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ce_cc_setup(struct ce *ce)
{
    const struct timing *t = &ce->job->timing;
    /* --min-parallelism is the floor of both windows, --max-parallelism
     * (or the descriptor budget) their ceiling: nslots already is that. */
    ce->cw_max = ce->nslots;
    ce->cw_low = t->min_parallelism ? clamp(t->min_parallelism, 1, ce->cw_max) : 1;
    double init = t->level >= 5 ? INIT_T5 : t->level == 4 ? INIT_T4 : INIT_T3;
    ce->cw_init = clamp(init, ce->cw_low, ce->cw_max);
    ce->ca_incr = t->level >= 4 ? 2 : 1; /* nmap's ca_incr */
    ce->drop_ratio = t->level >= 4 ? 0.40 : 0.30;
    ce->max_delay_us = (int64_t)t->max_scan_delay_ms * 1000;
    ce->gwin.cwnd = ce->cw_init;
    ce->gwin.ssthresh = ce->cw_max;
    ce->gwin.last_drop_us = 0;
}

void ce_cc_host_init(struct ce *ce, struct ce_host *h)
{
    h->win.cwnd = ce->cw_init;
    h->win.ssthresh = ce->cw_max;
    h->win.last_drop_us = 0;
    h->max_ok = 1;
    h->delay_us = ce->scan_delay_us;
}

bool ce_cc_host_ok(const struct ce_host *h)
{
    return h->nbusy - h->nlost < (uint32_t)h->win.cwnd;
}

bool ce_cc_group_ok(const struct ce *ce)
{
    return ce->inflight - ce->nlost < (uint32_t)ce->gwin.cwnd;
}

int64_t ce_cc_pipe_us(const struct ce_host *h)
{
    int64_t clamped = rtt_timeout_us(&h->rtt);
    if (!h->rtt.have_sample)
        return clamped;
    int64_t v = h->rtt.srtt_us + 4 * h->rtt.rttvar_us;
    if (v < CE_PIPE_FLOOR_US)
        v = CE_PIPE_FLOOR_US; /* no timer spinning on sub-millisecond links */
    return v < clamped ? v : clamped;
}

int ce_cc_tries_allowed(const struct ce *ce, const struct ce_host *h)
{
    if (h->phase == CE_PING)
        return ce->ping_tries;
    if (h->last_call)
        return ce->max_tries;
    int n = h->max_ok + 1;
    return n < ce->max_tries ? n : ce->max_tries;
}

static void win_grow(struct ce *ce, struct ce_win *w)
{
    if (w->cwnd < w->ssthresh)
        w->cwnd = w->cwnd + 1 > w->ssthresh ? w->ssthresh : w->cwnd + 1;
    else
        w->cwnd += ce->ca_incr / w->cwnd;
    if (w->cwnd > ce->cw_max)
        w->cwnd = ce->cw_max;
}

/* A loss whose lost try went out at lost_us; flight = probes in flight. */
static bool win_cut(struct ce *ce, struct ce_win *w, uint32_t flight, int64_t lost_us, int64_t now)
{
    if (lost_us <= w->last_drop_us)
        return false; /* same episode as the last cut */
    double used = 2.0 * (flight + 1);
    if (used > w->cwnd)
        used = w->cwnd;
    w->cwnd = clamp(used / 2, ce->cw_low, ce->cw_max);
    w->ssthresh = w->cwnd < 2 ? 2 : w->cwnd;
    w->last_drop_us = now;
    return true;
}

static void boost_delay(struct ce *ce, struct ce_host *h, int64_t now)
{
    int64_t old = h->delay_us, d;
    if (old == 0)
        d = BOOST_FIRST;
    else
        d = old * 2 < BOOST_CAP ? old * 2 : (old > BOOST_CAP ? old : BOOST_CAP);
    if (d > ce->max_delay_us)
        d = ce->max_delay_us;
    uint32_t drops = h->drops_since, total = h->drops_since + h->good_since;
    h->good_since = h->drops_since = 0;
    h->boost_us = now;
    if (d <= old)
        return;
    h->delay_us = d;
    ce->n_boosts++;
    char a[IPADDR_STRLEN];
    log_info("connect",
             "Increasing send delay for %s from %lld to %lld due to %u out of %u dropped probes "
             "since last increase.",
             ipaddr_str(&h->tgt.addr, a, sizeof(a)), (long long)(old / 1000), (long long)(d / 1000),
             drops, total);
}

bool ce_cc_answer(struct ce *ce, struct ce_host *h, uint32_t idx, int tries)
{
    int64_t now = clock_mono_us();
    if (tries <= 1) {
        win_grow(ce, &h->win);
        win_grow(ce, &ce->gwin);
        h->good_since++;
        return false;
    }
    /* The try before this one was lost: cut each window once per episode;
     * an answer that cuts does not also grow it. */
    int64_t lost_us = h->t0_us + (int64_t)h->lost_ms[idx] * 1000;
    if (win_cut(ce, &h->win, h->nbusy - h->nlost, lost_us, now)) {
        h->drops++;
        ce->n_drops++;
    } else {
        win_grow(ce, &h->win);
    }
    if (win_cut(ce, &ce->gwin, ce->inflight - ce->nlost, lost_us, now))
        ce->n_gdrops++;
    else
        win_grow(ce, &ce->gwin);
    /* nmap counts a drop toward the delay only if the lost try went out
     * after the last change: older losses say nothing about the new delay. */
    if (lost_us > h->boost_us)
        h->drops_since++;
    else
        h->good_since++;
    uint32_t d = h->drops_since, total = d + h->good_since;
    if (d > DROPS_BEFORE && (double)d / total > ce->drop_ratio && h->delay_us < ce->max_delay_us)
        boost_delay(ce, h, now);
    if (tries <= h->max_ok)
        return false;
    h->max_ok = (uint8_t)tries;
    char a[IPADDR_STRLEN];
    log_debug("connect", "Increased max_successful_tryno for %s to %d (packet drop)",
              ipaddr_str(&h->tgt.addr, a, sizeof(a)), tries - 1);
    return true;
}

void ce_cc_silence(struct ce *ce, struct ce_host *h)
{
    if (h->drops > 0 || h->max_ok > 1)
        return; /* silence may be loss now: neither grow nor cut */
    win_grow(ce, &h->win);
    win_grow(ce, &ce->gwin);
}
