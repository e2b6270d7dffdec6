/*
 * clock.h — the monotonic clock every stage times itself with (timeouts,
 * pacing, RTT bookkeeping): CLOCK_MONOTONIC, immune to wall-clock steps.
 * RTTs from kernel receive timestamps use the realtime clock instead
 * (net/io.h rx_clock_ns), since that is the clock the kernel stamps with.
 */
#ifndef PRTIP_CORE_CLOCK_H
#define PRTIP_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Now, in nanoseconds since an arbitrary start. Any thread. */
static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Now, in microseconds since the same start. Any thread. */
static inline int64_t clock_mono_us(void)
{
    return clock_mono_ns() / 1000;
}

#endif
