/*
 * timing.h — scan timing knobs and nmap's -T0..-T5 templates (nmap book,
 * "Timing and Performance"; values as nmap.cc sets them).
 */
#ifndef PRTIP_CORE_TIMING_H
#define PRTIP_CORE_TIMING_H

#include <stddef.h>
#include <stdint.h>

/* All durations in milliseconds; 0 in an optional field means "not set". */
struct timing {
    int level;                  /* template 0..5, default 3 */
    uint64_t min_rtt_ms;        /* --min-rtt-timeout, default 100 */
    uint64_t max_rtt_ms;        /* --max-rtt-timeout, default 10000 */
    uint64_t initial_rtt_ms;    /* --initial-rtt-timeout, default 1000 */
    int max_retries;            /* --max-retries, default 10 */
    uint64_t host_timeout_ms;   /* --host-timeout, 0 = none */
    uint64_t scan_delay_ms;     /* --scan-delay: least time between probes to one host */
    uint64_t max_scan_delay_ms; /* --max-scan-delay, default 1000 */
    uint32_t min_parallelism;   /* --min-parallelism, 0 = auto */
    uint32_t max_parallelism;   /* --max-parallelism, 0 = auto (bounded by RLIMIT_NOFILE) */
    uint32_t min_hostgroup;     /* --min-hostgroup, 0 = auto */
    uint32_t max_hostgroup;     /* --max-hostgroup, 0 = auto */
    double min_rate, max_rate;  /* --min-rate/--max-rate in probes per second, 0 = none */
};

/* Set t to nmap's defaults (T3). */
void timing_defaults(struct timing *t);

/*
 * Apply template level 0..5 over t, as nmap: T0 scan-delay 5 min, serial;
 * T1 15 s, serial; T2 400 ms, serial; T3 defaults; T4 min-rtt 100,
 * max-rtt 1250, initial-rtt 500, max-retries 6, max-scan-delay 10;
 * T5 min-rtt 50, max-rtt 300, initial-rtt 250, max-retries 2,
 * host-timeout 15 min, max-scan-delay 5. Returns 0, or -1 for a bad level.
 * Explicit options are applied after the template by the CLI.
 */
int timing_apply_template(struct timing *t, int level);

/* Parse a template name or digit ("4", "aggressive"); returns 0..5 or -1. */
int timing_parse_level(const char *text);

/*
 * Parse an nmap time value: a number with optional unit ms, s, m, h
 * ("500ms", "1.5s", "30m"); a bare number means seconds. Stores ms in *out.
 * Returns 0, or -1 with a one-line err naming text and the accepted units.
 */
int timing_parse_time(const char *text, uint64_t *out, char *err, size_t errlen);

#endif
