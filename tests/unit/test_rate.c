/* test_rate.c — token bucket against an injected clock (no wall-clock
 * thresholds), batch sizing, and the AIMD controller's decisions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rate.h"
#include "core/status.h"

#include <string.h>

#define SEC 1000000000LL

/*
 * Drive a sender loop against a fake clock: take a batch, and when the
 * bucket says wait, advance the clock by the wait plus a fixed oversleep
 * (a real clock_nanosleep always oversleeps a little). Returns packets sent
 * in `seconds` of fake time; *wakeups counts the sleeps.
 */
static uint64_t simulate(double pps, double seconds, int64_t oversleep_ns, uint64_t *wakeups)
{
    struct rate_bucket b;
    int64_t now = 1000 * SEC;
    int64_t end = now + (int64_t)(seconds * SEC);
    rate_bucket_init(&b, pps, now);
    uint64_t sent = 0, sleeps = 0;
    while (now < end) {
        int64_t wait;
        uint32_t n = rate_bucket_take(&b, now, b.batch, &wait);
        sent += n;
        if (n == 0) {
            assert_true(wait > 0);
            now += wait + oversleep_ns;
            sleeps++;
        } else {
            now += 200; /* the cost of building and sending a batch */
        }
    }
    if (wakeups)
        *wakeups = sleeps;
    return sent;
}

static void test_bucket_accuracy(void **state)
{
    static const double rates[] = {10, 100, 1000, 9999, 50000, 1e6, 5e6};
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        double seconds = rates[i] < 1000 ? 100 : 2;
        double want = rates[i] * seconds;
        /* With a 60 us oversleep per wakeup: the bucket's credit makes up
         * for it, so the long-run count stays within a batch or two. */
        uint64_t got = simulate(rates[i], seconds, 60000, NULL);
        double slack = 2.0 * rate_batch_for(rates[i]) + 1;
        if ((double)got < want - slack || (double)got > want + slack)
            fail_msg("rate %.0f: sent %llu in %.0f s, want %.0f +- %.0f", rates[i],
                     (unsigned long long)got, seconds, want, slack);
    }
}

static void test_low_rate_sleeps_per_packet(void **state)
{
    /* Below 10 kpps every packet goes alone, with a sleep before the next:
     * no busy loop. */
    uint64_t sleeps;
    uint64_t sent = simulate(1000, 10, 0, &sleeps);
    assert_int_equal(rate_batch_for(1000), 1);
    assert_true(sleeps >= sent - 1);
}

static void test_batch_size_grows(void **state)
{
    assert_int_equal(rate_batch_for(0), 1);
    assert_int_equal(rate_batch_for(10), 1);
    assert_int_equal(rate_batch_for(20000), 2);
    assert_int_equal(rate_batch_for(1e6), 100);
    assert_int_equal(rate_batch_for(1e9), RATE_BATCH_MAX);
}

static void test_bucket_burst_bounded(void **state)
{
    struct rate_bucket b;
    rate_bucket_init(&b, 1e6, 0);
    /* After a long idle period no more than the burst goes at once. */
    uint32_t n = rate_bucket_take(&b, 10 * SEC, 100000, NULL);
    assert_true(n <= 2 * b.batch);
    assert_true(n >= b.batch);
}

static void test_bucket_rate_change(void **state)
{
    struct rate_bucket b;
    rate_bucket_init(&b, 100, 0);
    int64_t wait;
    assert_int_equal(rate_bucket_take(&b, 0, 1, &wait), 1); /* first goes at once */
    assert_int_equal(rate_bucket_take(&b, 0, 1, &wait), 0);
    assert_true(wait > 9000000 && wait <= 10000000); /* 1/100 s */
    rate_bucket_set(&b, 1000, 0);
    assert_int_equal(rate_bucket_take(&b, 0, 1, &wait), 0);
    assert_true(wait <= 1000000);
}

static void test_ctl_fixed(void **state)
{
    struct timing t;
    timing_defaults(&t);
    struct rate_ctl c;
    rate_ctl_init(&c, &t, 5000);
    assert_true(c.rate == 5000);
    assert_true(rate_ctl_tick(&c, true) == 5000);
    assert_true(rate_ctl_tick(&c, false) == 5000);
}

static void test_ctl_aimd(void **state)
{
    struct timing t;
    timing_defaults(&t);
    struct rate_ctl c;
    rate_ctl_init(&c, &t, 0);
    assert_true(c.rate == RATE_DEFAULT_START);
    assert_true(c.max == 10 * RATE_DEFAULT_START);
    /* Slow start doubles... */
    assert_true(rate_ctl_tick(&c, false) == 200000);
    assert_true(rate_ctl_tick(&c, false) == 400000);
    /* ...a loss halves and ends it... */
    assert_true(rate_ctl_tick(&c, true) == 200000);
    assert_false(c.slow_start);
    /* ...then growth is additive (a tenth of the start per tick)... */
    assert_true(rate_ctl_tick(&c, false) == 210000);
    /* ...and losses within the hold period count once. */
    double r = rate_ctl_tick(&c, true);
    assert_true(r == 210000);
    for (unsigned i = 0; i < c.loss_hold; i++)
        rate_ctl_tick(&c, false);
    r = c.rate;
    assert_true(rate_ctl_tick(&c, true) == r / 2);
    assert_int_equal(c.losses, 2);
    /* Never below the floor, never above the ceiling. */
    for (int i = 0; i < 200; i++) {
        c.hold = 0;
        rate_ctl_tick(&c, true);
    }
    assert_true(c.rate == RATE_DEFAULT_FLOOR);
    for (int i = 0; i < 2000; i++)
        rate_ctl_tick(&c, false);
    assert_true(c.rate == c.max);
}

static void test_ctl_templates(void **state)
{
    struct timing t;
    struct rate_ctl c;
    timing_defaults(&t);
    timing_apply_template(&t, 5);
    rate_ctl_init(&c, &t, 0);
    assert_true(c.rate == 1e6);
    timing_defaults(&t);
    /* T2's 400 ms scan delay is per host (the raw engine's schedule), not a
     * global rate: the rate is T3's. */
    timing_apply_template(&t, 2);
    rate_ctl_init(&c, &t, 0);
    assert_true(c.rate == RATE_DEFAULT_START && c.max == 10 * RATE_DEFAULT_START);
    timing_defaults(&t);
    t.max_rate = 5000;
    t.min_rate = 1000;
    rate_ctl_init(&c, &t, 0);
    assert_true(c.rate == 5000 && c.min == 1000 && c.max == 5000);
}

static void test_status_format(void **state)
{
    char buf[160];
    status_format(buf, sizeof(buf), 98310, 0.4521, 12, 12);
    assert_string_equal(buf, "rate: 98.31-kpps, 45.21% done, 0:00:12 remaining, found=12");
    status_format(buf, sizeof(buf), 1.5e6, 1.0, 3725, 0);
    assert_string_equal(buf, "rate: 1.50-Mpps, 100.00% done, 1:02:05 remaining, found=0");
    status_format(buf, sizeof(buf), 10, 0, -1, 0);
    assert_string_equal(buf, "rate: 10.00-pps, 0.00% done, --:--:-- remaining, found=0");
}

static void test_status_schedule(void **state)
{
    struct status s;
    status_init(&s, stderr, 500, 0);
    assert_true(s.enabled); /* an explicit interval enables it off a tty */
    assert_false(status_due(&s, 499 * 1000000LL));
    assert_true(status_due(&s, 500 * 1000000LL));
    assert_false(status_due(&s, 600 * 1000000LL));
    assert_true(status_due(&s, 5 * SEC)); /* missed ones are skipped, not queued */
    assert_false(status_due(&s, 5 * SEC + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_accuracy),
        cmocka_unit_test(test_low_rate_sleeps_per_packet),
        cmocka_unit_test(test_batch_size_grows),
        cmocka_unit_test(test_bucket_burst_bounded),
        cmocka_unit_test(test_bucket_rate_change),
        cmocka_unit_test(test_ctl_fixed),
        cmocka_unit_test(test_ctl_aimd),
        cmocka_unit_test(test_ctl_templates),
        cmocka_unit_test(test_status_format),
        cmocka_unit_test(test_status_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
