/*
 * cli_timing.c — nmap's timing options (nmap(1) "Timing and Performance"):
 * -T<0-5> (--timing), --max-retries, --host-timeout, --min/max/initial
 * RTT timeouts, --scan-delay, --max-scan-delay, --min/max-parallelism,
 * --min/max-hostgroup, --min/max-rate. The getopt pass records each value
 * with its SET_* bit in struct pending; once the whole line is read the
 * -T template is applied and the explicit values over it, wherever -T
 * stood, as nmap does.
 */
#include "cli/cli_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The explicit timing options: each sets one field of struct timing and
 * its SET_* bit, applied over the -T template by cli_resolve_timing. */
enum timing_value {
    VALUE_TIME,          /* uint64_t ms */
    VALUE_POSITIVE_TIME, /* uint64_t ms > 0: a 0 RTT ceiling would time out every probe */
    VALUE_RETRIES,       /* int, 0 to 10000 */
    VALUE_COUNT,         /* uint32_t, 1 to 100000 */
    VALUE_RATE,          /* double, packets per second > 0 */
};

static const struct timing_option {
    const char *name; /* the long option, without dashes */
    unsigned bit;
    enum timing_value value;
    size_t offset; /* of the field in struct timing */
} timing_options[] = {
    {"max-retries", SET_MAX_RETRIES, VALUE_RETRIES, offsetof(struct timing, max_retries)},
    {"host-timeout", SET_HOST_TIMEOUT, VALUE_TIME, offsetof(struct timing, host_timeout_ms)},
    {"min-rtt-timeout", SET_MIN_RTT, VALUE_TIME, offsetof(struct timing, min_rtt_ms)},
    {"max-rtt-timeout", SET_MAX_RTT, VALUE_POSITIVE_TIME, offsetof(struct timing, max_rtt_ms)},
    {"initial-rtt-timeout", SET_INITIAL_RTT, VALUE_POSITIVE_TIME,
     offsetof(struct timing, initial_rtt_ms)},
    {"scan-delay", SET_SCAN_DELAY, VALUE_TIME, offsetof(struct timing, scan_delay_ms)},
    {"max-scan-delay", SET_MAX_SCAN_DELAY, VALUE_TIME, offsetof(struct timing, max_scan_delay_ms)},
    {"min-parallelism", SET_MIN_PARALLELISM, VALUE_COUNT, offsetof(struct timing, min_parallelism)},
    {"max-parallelism", SET_MAX_PARALLELISM, VALUE_COUNT, offsetof(struct timing, max_parallelism)},
    {"min-hostgroup", SET_MIN_HOSTGROUP, VALUE_COUNT, offsetof(struct timing, min_hostgroup)},
    {"max-hostgroup", SET_MAX_HOSTGROUP, VALUE_COUNT, offsetof(struct timing, max_hostgroup)},
    {"min-rate", SET_MIN_RATE, VALUE_RATE, offsetof(struct timing, min_rate)},
    {"max-rate", SET_MAX_RATE, VALUE_RATE, offsetof(struct timing, max_rate)},
};

int cli_timing_option(struct pending *pd, const char *name, const char *arg)
{
    if (strcmp(name, "T") == 0) {
        pd->level = timing_parse_level(arg);
        if (pd->level < 0) {
            cli_fail("invalid timing template '-T%s': use -T0 to -T5 or paranoid, sneaky, polite, "
                     "normal, aggressive, insane",
                     arg);
            return -1;
        }
        return 0;
    }
    const struct timing_option *o = NULL;
    for (size_t i = 0; i < sizeof(timing_options) / sizeof(timing_options[0]) && !o; i++)
        if (strcmp(name, timing_options[i].name) == 0)
            o = &timing_options[i];
    if (!o)
        return 0;
    char opt[32];
    snprintf(opt, sizeof(opt), "--%s", name);
    void *field = (char *)&pd->t + o->offset;
    long v;
    pd->set |= o->bit;
    switch (o->value) {
    case VALUE_TIME:
        return cli_parse_time(opt, arg, field);
    case VALUE_POSITIVE_TIME:
        return cli_parse_positive_time(opt, arg, field);
    case VALUE_RATE:
        return cli_parse_rate(opt, arg, field);
    case VALUE_RETRIES:
        if (cli_parse_long(opt, arg, 0, 10000, &v) < 0)
            return -1;
        *(int *)field = (int)v;
        return 0;
    case VALUE_COUNT:
        if (cli_parse_long(opt, arg, 1, 100000, &v) < 0)
            return -1;
        *(uint32_t *)field = (uint32_t)v;
        return 0;
    }
    return 0;
}

int cli_resolve_timing(struct config *scan, const struct pending *pd)
{
    struct timing *t = &scan->timing;
    const struct timing *x = &pd->t;
    if (pd->level >= 0 && timing_apply_template(t, pd->level) < 0) {
        cli_fail("invalid -T%d: timing templates are 0-5", pd->level);
        return -1;
    }
    unsigned set = pd->set;
    if (set & SET_MAX_RETRIES)
        t->max_retries = x->max_retries;
    if (set & SET_HOST_TIMEOUT)
        t->host_timeout_ms = x->host_timeout_ms;
    if (set & SET_SCAN_DELAY)
        t->scan_delay_ms = x->scan_delay_ms;
    if (set & SET_MAX_SCAN_DELAY)
        t->max_scan_delay_ms = x->max_scan_delay_ms;
    if (set & SET_MIN_PARALLELISM)
        t->min_parallelism = x->min_parallelism;
    if (set & SET_MAX_PARALLELISM)
        t->max_parallelism = x->max_parallelism;
    if (set & SET_MIN_HOSTGROUP)
        t->min_hostgroup = x->min_hostgroup;
    if (set & SET_MAX_HOSTGROUP)
        t->max_hostgroup = x->max_hostgroup;
    if (set & SET_MIN_RATE)
        t->min_rate = x->min_rate;
    if (set & SET_MAX_RATE)
        t->max_rate = x->max_rate;

    /* RTT bounds: two explicit values that contradict each other are an
     * error; an explicit value moves the template's other bound (nmap's
     * setMinRttTimeout/setMaxRttTimeout). */
    if ((set & SET_MIN_RTT) && (set & SET_MAX_RTT) && x->min_rtt_ms > x->max_rtt_ms) {
        cli_fail("--min-rtt-timeout (%llu ms) is greater than --max-rtt-timeout (%llu ms)",
                 (unsigned long long)x->min_rtt_ms, (unsigned long long)x->max_rtt_ms);
        return -1;
    }
    if (set & SET_MIN_RTT) {
        t->min_rtt_ms = x->min_rtt_ms;
        if (t->max_rtt_ms < t->min_rtt_ms)
            t->max_rtt_ms = t->min_rtt_ms;
    }
    if (set & SET_MAX_RTT) {
        t->max_rtt_ms = x->max_rtt_ms;
        if (t->min_rtt_ms > t->max_rtt_ms)
            t->min_rtt_ms = t->max_rtt_ms;
    }
    if (set & SET_INITIAL_RTT) {
        t->initial_rtt_ms = x->initial_rtt_ms;
        if ((set & SET_MAX_RTT) && t->initial_rtt_ms > t->max_rtt_ms) {
            cli_fail("--initial-rtt-timeout (%llu ms) is greater than --max-rtt-timeout (%llu ms)",
                     (unsigned long long)t->initial_rtt_ms, (unsigned long long)t->max_rtt_ms);
            return -1;
        }
        if (t->initial_rtt_ms > t->max_rtt_ms)
            t->max_rtt_ms = t->initial_rtt_ms;
    }
    if (t->initial_rtt_ms < t->min_rtt_ms)
        t->initial_rtt_ms = t->min_rtt_ms;
    if (t->initial_rtt_ms > t->max_rtt_ms)
        t->initial_rtt_ms = t->max_rtt_ms;

    if (t->scan_delay_ms > t->max_scan_delay_ms) {
        if ((set & SET_MAX_SCAN_DELAY) && (set & SET_SCAN_DELAY)) {
            cli_fail("--scan-delay (%llu ms) is greater than --max-scan-delay (%llu ms)",
                     (unsigned long long)t->scan_delay_ms,
                     (unsigned long long)t->max_scan_delay_ms);
            return -1;
        }
        t->max_scan_delay_ms = t->scan_delay_ms;
    }
    if (t->min_parallelism && t->max_parallelism && t->min_parallelism > t->max_parallelism) {
        cli_fail("--min-parallelism (%u) is greater than --max-parallelism (%u)",
                 t->min_parallelism, t->max_parallelism);
        return -1;
    }
    if (t->min_hostgroup && t->max_hostgroup && t->min_hostgroup > t->max_hostgroup) {
        cli_fail("--min-hostgroup (%u) is greater than --max-hostgroup (%u)", t->min_hostgroup,
                 t->max_hostgroup);
        return -1;
    }
    if (t->min_rate > 0 && t->max_rate > 0 && t->min_rate > t->max_rate) {
        cli_fail("--min-rate (%g) is greater than --max-rate (%g)", t->min_rate, t->max_rate);
        return -1;
    }
    return 0;
}
