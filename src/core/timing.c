/*
 * timing.c — nmap's timing defaults and -T templates (nmap.cc, the -T
 * option handler and NmapOps::setMin/Max/InitialRttTimeout), and nmap's
 * time-value syntax (tval2msecs).
 */
#include "core/timing.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void timing_defaults(struct timing *t)
{
    memset(t, 0, sizeof(*t));
    t->level = 3;
    t->min_rtt_ms = 100;
    t->max_rtt_ms = 10000;
    t->initial_rtt_ms = 1000;
    t->max_retries = 10;
    t->max_scan_delay_ms = 1000;
}

/* nmap's setters keep min <= initial <= max by dragging the other bounds
 * along; T0's 5-minute initial timeout raises the maximum, for example. */
static void set_min_rtt(struct timing *t, uint64_t ms)
{
    t->min_rtt_ms = ms;
    if (ms > t->max_rtt_ms)
        t->max_rtt_ms = ms;
    if (ms > t->initial_rtt_ms)
        t->initial_rtt_ms = ms;
}

static void set_max_rtt(struct timing *t, uint64_t ms)
{
    t->max_rtt_ms = ms;
    if (ms < t->min_rtt_ms)
        t->min_rtt_ms = ms;
    if (ms < t->initial_rtt_ms)
        t->initial_rtt_ms = ms;
}

static void set_initial_rtt(struct timing *t, uint64_t ms)
{
    t->initial_rtt_ms = ms;
    if (ms > t->max_rtt_ms)
        t->max_rtt_ms = ms;
    if (ms < t->min_rtt_ms)
        t->min_rtt_ms = ms;
}

/* nmap raises the scan-delay ceiling to any fixed delay above it. */
static void set_scan_delay(struct timing *t, uint64_t ms)
{
    t->scan_delay_ms = ms;
    if (ms > t->max_scan_delay_ms)
        t->max_scan_delay_ms = ms;
}

int timing_apply_template(struct timing *t, int level)
{
    switch (level) {
    case 0: /* paranoid */
        t->max_parallelism = 1;
        set_scan_delay(t, 300000);
        set_initial_rtt(t, 300000);
        break;
    case 1: /* sneaky */
        t->max_parallelism = 1;
        set_scan_delay(t, 15000);
        set_initial_rtt(t, 15000);
        break;
    case 2: /* polite */
        t->max_parallelism = 1;
        set_scan_delay(t, 400);
        break;
    case 3: /* normal: the defaults, as nmap's -T3 changes nothing */
        break;
    case 4: /* aggressive */
        set_min_rtt(t, 100);
        set_max_rtt(t, 1250);
        set_initial_rtt(t, 500);
        t->max_scan_delay_ms = 10;
        t->max_retries = 6;
        break;
    case 5: /* insane */
        set_min_rtt(t, 50);
        set_max_rtt(t, 300);
        set_initial_rtt(t, 250);
        t->host_timeout_ms = 900000;
        t->max_scan_delay_ms = 5;
        t->max_retries = 2;
        break;
    default:
        return -1;
    }
    t->level = level;
    return 0;
}

int timing_parse_level(const char *text)
{
    static const char *const names[] = {"paranoid", "sneaky",     "polite",
                                        "normal",   "aggressive", "insane"};
    if (!text)
        return -1;
    if (text[0] >= '0' && text[0] <= '5' && text[1] == '\0')
        return text[0] - '0';
    for (int i = 0; i < 6; i++)
        if (strcasecmp(text, names[i]) == 0)
            return i;
    return -1;
}

static int time_err(char *err, size_t errlen, const char *text, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "bad time value '%s': %s (use a number with ms, s, m or h)",
                 text ? text : "", why);
    return -1;
}

int timing_parse_time(const char *text, uint64_t *out, char *err, size_t errlen)
{
    if (!text || !*text)
        return time_err(err, errlen, text, "empty");

    /* Parse digits[.digits] by hand: strtod would also take "inf", hex,
     * exponents and a locale's decimal comma. The value is kept as an
     * integer count of 10^-9 units to stay exact. */
    const char *p = text;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    bool digits = false;
    while (isdigit((unsigned char)*p)) {
        if (whole > (UINT64_MAX - 9) / 10)
            return time_err(err, errlen, text, "too large");
        whole = whole * 10 + (uint64_t)(*p++ - '0');
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (frac_scale < 1000000000ULL) { /* extra digits are below 1 ns */
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            }
            p++;
            digits = true;
        }
    }
    if (!digits)
        return time_err(err, errlen, text, "not a number");

    uint64_t mult; /* milliseconds per unit */
    if (*p == '\0' || strcmp(p, "s") == 0)
        mult = 1000;
    else if (strcmp(p, "ms") == 0)
        mult = 1;
    else if (strcmp(p, "m") == 0)
        mult = 60000;
    else if (strcmp(p, "h") == 0)
        mult = 3600000;
    else
        return time_err(err, errlen, text, "unknown unit");

    if (whole > UINT64_MAX / mult / 2)
        return time_err(err, errlen, text, "too large");
    /* Fractions of a millisecond round to nearest ("1.5ms" -> 2). */
    *out = whole * mult + (frac * mult + frac_scale / 2) / frac_scale;
    return 0;
}
