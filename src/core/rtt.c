/*
 * rtt.c — RFC 6298 section 2 retransmission timer in integer microseconds.
 *
 * The RFC's fractions (alpha = 1/8, beta = 1/4) are applied as integer
 * divisions rounded to nearest rather than truncated: truncation would bias
 * SRTT and RTTVAR downwards by up to a microsecond per update, and on a
 * loopback path where samples are a few microseconds that bias is most of
 * the value. What remains is the quantisation every integer EWMA has: a
 * sample within 4 us of SRTT moves it by less than half a unit, so SRTT
 * settles within 4 us of a steady RTT.
 */
#include "core/rtt.h"

/* a / d rounded half up, for a >= 0, d > 0. */
static int64_t div_round(int64_t a, int64_t d)
{
    return (a + d / 2) / d;
}

void rtt_init(struct rtt_est *e, int64_t min_us, int64_t max_us, int64_t initial_us)
{
    e->srtt_us = 0;
    e->rttvar_us = 0;
    e->min_us = min_us;
    e->max_us = max_us;
    e->initial_us = initial_us;
    e->have_sample = false;
}

void rtt_update(struct rtt_est *e, int64_t sample_us)
{
    if (sample_us < 0) /* a clock that went backwards gives no information */
        sample_us = 0;
    if (!e->have_sample) {
        /* 2.2: SRTT <- R, RTTVAR <- R/2 */
        e->srtt_us = sample_us;
        e->rttvar_us = div_round(sample_us, 2);
        e->have_sample = true;
        return;
    }
    /* 2.3: RTTVAR is updated first, with the SRTT from before this sample. */
    int64_t dev = e->srtt_us - sample_us;
    if (dev < 0)
        dev = -dev;
    e->rttvar_us = div_round(3 * e->rttvar_us + dev, 4);
    e->srtt_us = div_round(7 * e->srtt_us + sample_us, 8);
}

int64_t rtt_timeout_us(const struct rtt_est *e)
{
    int64_t t = e->have_sample ? e->srtt_us + 4 * e->rttvar_us : e->initial_us;
    if (t < e->min_us)
        t = e->min_us;
    if (t > e->max_us)
        t = e->max_us;
    return t;
}
