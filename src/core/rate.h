/*
 * rate.h — packet pacing for the raw engine: a token bucket that paces
 * batches (accurate from 10 pps to millions), and an AIMD controller that
 * picks the rate when the user did not (--rate), after nmap's congestion
 * control (slow start, then additive increase, halving on loss; nmap book
 * "Timing and Performance", scan_engine.cc) and RFC 5681.
 *
 * Both are plain data driven by the caller's clock (nanoseconds of
 * CLOCK_MONOTONIC, or a fake one in tests): no syscalls, no threads.
 */
#ifndef PRTIP_CORE_RATE_H
#define PRTIP_CORE_RATE_H

#include "core/timing.h"

#include <stdbool.h>
#include <stdint.h>

/* Batch sizes: one sendmmsg per batch. */
#define RATE_BATCH_MIN 1
#define RATE_BATCH_MAX 1024

/*
 * Token bucket. Tokens accrue at rate per second up to burst; sending n
 * packets spends n. The burst is two batches: enough to make up for an
 * oversleep (the bucket keeps the long-run rate exact whatever the sleep
 * granularity), small enough that no burst exceeds two batches.
 */
struct rate_bucket {
    double rate;    /* packets per second, > 0 */
    double tokens;  /* may go fractional; never above burst */
    double burst;   /* = 2 * batch */
    uint32_t batch; /* packets per send at this rate */
    int64_t last_ns;
};

/*
 * Packets per batch at a rate: one batch per ~100 us, so that below
 * 10 kpps every packet goes alone with a sleep between (no busy loop), and
 * at 1 Mpps 100 packets share one syscall; capped at RATE_BATCH_MAX.
 */
uint32_t rate_batch_for(double pps);

/* Start with an empty bucket at now_ns (the first packet waits 1/rate,
 * except that a bucket starts with one packet's worth). */
void rate_bucket_init(struct rate_bucket *b, double pps, int64_t now_ns);

/* Change the rate, keeping the tokens (clamped to the new burst). */
void rate_bucket_set(struct rate_bucket *b, double pps, int64_t now_ns);

/*
 * How many of want packets may go at now_ns: min(want, whole tokens),
 * spent at once. When that is 0, *wait_ns (if not NULL) is how long until
 * one packet's token is there; otherwise *wait_ns = 0.
 */
uint32_t rate_bucket_take(struct rate_bucket *b, int64_t now_ns, uint32_t want, int64_t *wait_ns);

/*
 * AIMD rate controller, ticked by the engine about every
 * RATE_TICK_NS with a loss flag (receiver drops, or answers that arrived
 * only in a retry pass). Slow start: the rate doubles each lossless tick
 * until the first loss or the ceiling; afterwards it grows by step per
 * lossless tick. A loss halves it (at most once per loss_hold ticks, so one
 * burst of loss is one signal, as TCP halves once per window) and ends slow
 * start. Always within [min, max].
 */
#define RATE_TICK_NS 100000000LL /* 100 ms */

struct rate_ctl {
    double rate, min, max, step;
    bool slow_start;
    unsigned hold; /* ticks left during which a new loss is ignored */
    unsigned loss_hold;
    uint64_t losses; /* halvings so far, for -d */
};

/* Defaults. */
#define RATE_DEFAULT_START 100000.0 /* T3 */
#define RATE_DEFAULT_FLOOR 10.0

/*
 * Set up from the timing template and --min-rate/--max-rate: fixed_pps > 0
 * (--rate) pins the rate (min = max = rate); otherwise the start is
 * 100 kpps at T3 (and T0-T2, whose pace is their --scan-delay per host and
 * --max-parallelism, applied by the raw engine's schedule), 300 kpps at T4,
 * 1 Mpps at T5; the ceiling is --max-rate, else 10 x the start; the floor
 * --min-rate, else 10 pps.
 */
void rate_ctl_init(struct rate_ctl *c, const struct timing *t, double fixed_pps);

/* One tick; returns the new rate. */
double rate_ctl_tick(struct rate_ctl *c, bool loss);

#endif
