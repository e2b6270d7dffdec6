/* rate.c — token bucket and AIMD rate controller; see rate.h. */
#include "core/rate.h"

#include <math.h>

uint32_t rate_batch_for(double pps)
{
    double b = pps / 10000.0; /* one batch per 100 us */
    if (!(b >= RATE_BATCH_MIN))
        return RATE_BATCH_MIN;
    if (b >= RATE_BATCH_MAX)
        return RATE_BATCH_MAX;
    return (uint32_t)b;
}

static void refill(struct rate_bucket *b, int64_t now_ns)
{
    if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) * b->rate / 1e9;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    b->last_ns = now_ns;
}

void rate_bucket_set(struct rate_bucket *b, double pps, int64_t now_ns)
{
    refill(b, now_ns);
    b->rate = pps > 0 ? pps : 1e-6;
    b->batch = rate_batch_for(b->rate);
    b->burst = 2.0 * b->batch;
    if (b->tokens > b->burst)
        b->tokens = b->burst;
}

void rate_bucket_init(struct rate_bucket *b, double pps, int64_t now_ns)
{
    b->tokens = 1.0; /* the first probe goes at once */
    b->last_ns = now_ns;
    b->rate = 1.0;
    rate_bucket_set(b, pps, now_ns);
}

uint32_t rate_bucket_take(struct rate_bucket *b, int64_t now_ns, uint32_t want, int64_t *wait_ns)
{
    refill(b, now_ns);
    double whole = floor(b->tokens);
    uint32_t n = whole >= (double)want ? want : (uint32_t)whole;
    b->tokens -= n;
    if (wait_ns) {
        *wait_ns = 0;
        if (n == 0)
            *wait_ns = (int64_t)ceil((1.0 - b->tokens) * 1e9 / b->rate);
    }
    return n;
}

void rate_ctl_init(struct rate_ctl *c, const struct timing *t, double fixed_pps)
{
    c->slow_start = true;
    c->hold = 0;
    c->loss_hold = 5; /* 500 ms: longer than the RTTs that report a loss */
    c->losses = 0;
    if (fixed_pps > 0) {
        c->rate = c->min = c->max = fixed_pps;
        c->step = 0;
        c->slow_start = false;
        return;
    }
    double start = RATE_DEFAULT_START;
    if (t->level >= 5)
        start = 1000000.0;
    else if (t->level == 4)
        start = 300000.0;
    c->max = t->max_rate > 0 ? t->max_rate : 10.0 * start;
    c->min = t->min_rate > 0 ? t->min_rate : RATE_DEFAULT_FLOOR;
    if (c->min > c->max)
        c->min = c->max;
    if (start > c->max)
        start = c->max;
    if (start < c->min)
        start = c->min;
    c->rate = start;
    /* Additive step: a tenth of the start rate per tick, i.e. the start
     * rate again every second. */
    c->step = start / 10.0;
}

double rate_ctl_tick(struct rate_ctl *c, bool loss)
{
    if (c->min >= c->max)
        return c->rate;
    if (c->hold > 0)
        c->hold--;
    if (loss && c->hold == 0) {
        c->rate /= 2;
        c->slow_start = false;
        c->hold = c->loss_hold;
        c->losses++;
    } else if (!loss) {
        c->rate = c->slow_start ? c->rate * 2 : c->rate + c->step;
    }
    if (c->rate > c->max) {
        c->rate = c->max;
        c->slow_start = false;
    }
    if (c->rate < c->min)
        c->rate = c->min;
    return c->rate;
}
