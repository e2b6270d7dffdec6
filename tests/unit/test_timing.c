/* Tests for core/timing.c: nmap's defaults and -T templates, time values
 * and template names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/timing.h"

#include <string.h>

static void test_defaults(void **state)
{
    (void)state;
    struct timing t;
    timing_defaults(&t);
    assert_int_equal(t.level, 3);
    assert_int_equal(t.min_rtt_ms, 100);
    assert_int_equal(t.max_rtt_ms, 10000);
    assert_int_equal(t.initial_rtt_ms, 1000);
    assert_int_equal(t.max_retries, 10);
    assert_int_equal(t.max_scan_delay_ms, 1000);
    assert_int_equal(t.scan_delay_ms, 0);
    assert_int_equal(t.host_timeout_ms, 0);
    assert_int_equal(t.max_parallelism, 0);
}

static struct timing templ(int level)
{
    struct timing t;
    timing_defaults(&t);
    assert_int_equal(timing_apply_template(&t, level), 0);
    assert_int_equal(t.level, level);
    return t;
}

static void test_templates(void **state)
{
    (void)state;
    struct timing t = templ(0);
    assert_int_equal(t.scan_delay_ms, 300000);
    assert_int_equal(t.initial_rtt_ms, 300000);
    assert_int_equal(t.max_rtt_ms, 300000); /* raised with the initial, as nmap */
    assert_int_equal(t.max_parallelism, 1);
    assert_true(t.max_scan_delay_ms >= t.scan_delay_ms);

    t = templ(1);
    assert_int_equal(t.scan_delay_ms, 15000);
    assert_int_equal(t.initial_rtt_ms, 15000);
    assert_int_equal(t.max_rtt_ms, 15000);
    assert_int_equal(t.max_parallelism, 1);

    t = templ(2);
    assert_int_equal(t.scan_delay_ms, 400);
    assert_int_equal(t.max_parallelism, 1);
    assert_int_equal(t.initial_rtt_ms, 1000);

    struct timing d;
    timing_defaults(&d);
    t = templ(3);
    assert_memory_equal(&t, &d, sizeof(t));

    t = templ(4);
    assert_int_equal(t.min_rtt_ms, 100);
    assert_int_equal(t.max_rtt_ms, 1250);
    assert_int_equal(t.initial_rtt_ms, 500);
    assert_int_equal(t.max_retries, 6);
    assert_int_equal(t.max_scan_delay_ms, 10);
    assert_int_equal(t.host_timeout_ms, 0);

    t = templ(5);
    assert_int_equal(t.min_rtt_ms, 50);
    assert_int_equal(t.max_rtt_ms, 300);
    assert_int_equal(t.initial_rtt_ms, 250);
    assert_int_equal(t.max_retries, 2);
    assert_int_equal(t.host_timeout_ms, 900000);
    assert_int_equal(t.max_scan_delay_ms, 5);

    timing_defaults(&t);
    assert_int_equal(timing_apply_template(&t, 6), -1);
    assert_int_equal(timing_apply_template(&t, -1), -1);
    assert_int_equal(t.level, 3);
}

static void test_parse_level(void **state)
{
    (void)state;
    static const char *const names[] = {"paranoid", "sneaky",     "polite",
                                        "normal",   "aggressive", "insane"};
    for (int i = 0; i < 6; i++) {
        char digit[2] = {(char)('0' + i), 0};
        assert_int_equal(timing_parse_level(digit), i);
        assert_int_equal(timing_parse_level(names[i]), i);
    }
    assert_int_equal(timing_parse_level("Aggressive"), 4);
    assert_int_equal(timing_parse_level("INSANE"), 5);
    assert_int_equal(timing_parse_level("6"), -1);
    assert_int_equal(timing_parse_level("44"), -1);
    assert_int_equal(timing_parse_level(""), -1);
    assert_int_equal(timing_parse_level("fast"), -1);
    assert_int_equal(timing_parse_level(NULL), -1);
}

static uint64_t ok(const char *text)
{
    uint64_t v = 12345;
    char err[128] = "";
    assert_int_equal(timing_parse_time(text, &v, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    return v;
}

static void bad(const char *text)
{
    uint64_t v = 777;
    char err[256] = "";
    assert_int_equal(timing_parse_time(text, &v, err, sizeof(err)), -1);
    assert_int_equal(v, 777);
    assert_non_null(strstr(err, text));
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, "ms, s, m or h"));
}

static void test_parse_time(void **state)
{
    (void)state;
    assert_int_equal(ok("500ms"), 500);
    assert_int_equal(ok("1.5s"), 1500);
    assert_int_equal(ok("30m"), 1800000);
    assert_int_equal(ok("2h"), 7200000);
    assert_int_equal(ok("10"), 10000); /* bare number: seconds */
    assert_int_equal(ok("0.25"), 250);
    assert_int_equal(ok("0"), 0);
    assert_int_equal(ok("0ms"), 0);
    assert_int_equal(ok(".5s"), 500);
    assert_int_equal(ok("1.5ms"), 2); /* nearest millisecond */
    assert_int_equal(ok("0.001s"), 1);
    assert_int_equal(ok("1.0001m"), 60006);

    bad("");
    bad("abc");
    bad("5x");
    bad("5 s");
    bad("-5");
    bad("1e3");
    bad("5msec");
    bad(".");
    bad("ms");
    bad("99999999999999999999999h");
    bad("1.5.2s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_parse_level),
        cmocka_unit_test(test_parse_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
