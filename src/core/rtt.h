/*
 * rtt.h — per-host round-trip-time estimator and retransmission timeout,
 * RFC 6298 section 2 (SRTT/RTTVAR with alpha = 1/8, beta = 1/4, K = 4),
 * clamped to nmap's --min-rtt-timeout / --max-rtt-timeout.
 */
#ifndef PRTIP_CORE_RTT_H
#define PRTIP_CORE_RTT_H

#include <stdbool.h>
#include <stdint.h>

/* All times in microseconds. */
struct rtt_est {
    int64_t srtt_us, rttvar_us;
    int64_t min_us, max_us, initial_us;
    bool have_sample;
};

/* Bounds and the timeout used before the first sample (--initial-rtt-timeout).
 * min_us <= initial_us <= max_us is the caller's job (the CLI checks it). */
void rtt_init(struct rtt_est *e, int64_t min_us, int64_t max_us, int64_t initial_us);

/* Feed one measured RTT (us, >= 0). First sample: SRTT = R, RTTVAR = R/2
 * (RFC 6298 2.2); later ones: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,
 * SRTT = 7/8 SRTT + 1/8 R (2.3). Only samples from probes that were not
 * retransmitted may be fed (Karn's algorithm, RFC 6298 section 3). */
void rtt_update(struct rtt_est *e, int64_t sample_us);

/* Current timeout: initial_us before any sample, else SRTT + 4 * RTTVAR,
 * clamped to [min_us, max_us] (RFC 6298 2.3, bounds as nmap). */
int64_t rtt_timeout_us(const struct rtt_est *e);

#endif
