/*
 * raw_loss.c — the retry passes under reply loss (raw_loss.h says why and
 * how many).
 */
#include "engine/raw/raw_loss.h"

#include <math.h>
#include <string.h>

void raw_loss_init(struct raw_loss *l, bool held)
{
    memset(l, 0, sizeof(*l));
    l->held = held;
}

void raw_loss_pass_start(struct raw_loss *l, int pass, int64_t now_ns)
{
    l->pass = pass;
    if (pass == 0) { /* a new host group: its own passes */
        l->shift = 0;
        l->answers0 = 0;
    }
    /* Pass 0 makes the request, pass 1's repeat is answered at once; a
     * later pass counts when the target's rate limit let it through. */
    if (pass - l->shift <= 1)
        l->held_tries = (unsigned)(pass - l->shift) + 1;
    else if (l->held_end_ns != INT64_MAX && now_ns - l->held_end_ns >= RAW_LOSS_HELD_GAP_NS)
        l->held_tries++;
    else
        return;
    l->held_end_ns = INT64_MAX; /* until this pass has ended */
}

void raw_loss_pass_end(struct raw_loss *l, int64_t now_ns)
{
    if (l->held_end_ns == INT64_MAX)
        l->held_end_ns = now_ns;
}

void raw_loss_answer(struct raw_loss *l, bool held, bool open)
{
    l->answers++;
    if (l->pass == 0)
        l->answers0++;
    if (held && open) {
        l->held_open++;
        /* Passes the target's rate limit swallowed were no tries. */
        l->late += l->held_tries > 0 ? l->held_tries - 1 : 0;
    } else {
        l->late += (uint64_t)(l->pass - l->shift);
    }
}

double raw_loss_rate(const struct raw_loss *l)
{
    if (l->late == 0)
        return 0.0;
    return (double)(l->late + 1) / (double)(l->late + l->answers + 1);
}

enum raw_loss_next raw_loss_next(struct raw_loss *l, uint64_t fresh)
{
    if (l->pass == 0)
        return RAW_LOSS_FAST;
    if (l->pass == 1 && !l->shift && fresh >= RAW_LOSS_BURST_MIN && fresh > 2 * l->answers0) {
        /* Pass 0 was a burst loss, not a sample of the path: pass 1 was
         * the first try of every probe it answered (raw_loss.h). */
        l->shift = 1;
        l->late = l->late > fresh ? l->late - fresh : 0;
        l->held_tries = 1;
    }
    double p = raw_loss_rate(l);
    if (p > 0 && l->held &&
        (double)(l->held_open + 1) * pow(p, (double)l->held_tries) >= RAW_LOSS_EPS)
        return RAW_LOSS_SPACED;
    if (fresh > 0)
        return RAW_LOSS_FAST;
    if (p > 0 && (double)l->answers * pow(p, (double)(l->pass - l->shift) + 1) >= RAW_LOSS_EPS)
        return RAW_LOSS_FAST;
    return RAW_LOSS_STOP;
}

int64_t raw_loss_spaced_at(const struct raw_loss *l)
{
    return l->held_end_ns == INT64_MAX ? INT64_MAX : l->held_end_ns + RAW_LOSS_HELD_GAP_NS;
}

unsigned raw_loss_tries(double p, double n, unsigned lo, unsigned hi)
{
    unsigned t = lo;
    if (p <= 0)
        return lo;
    while (t < hi && n * pow(p, (double)t) >= RAW_LOSS_EPS)
        t++;
    return t;
}
