/* Tests for core/rtt.c: RFC 6298 section 2 worked by hand, in microseconds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rtt.h"

static void test_initial(void **state)
{
    (void)state;
    struct rtt_est e;
    rtt_init(&e, 100000, 10000000, 1000000);
    assert_false(e.have_sample);
    /* 2.1: before a sample, the initial timeout. */
    assert_int_equal(rtt_timeout_us(&e), 1000000);
}

static void test_first_sample(void **state)
{
    (void)state;
    struct rtt_est e;
    rtt_init(&e, 0, 10000000, 1000000);
    rtt_update(&e, 200000);
    /* 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR */
    assert_true(e.have_sample);
    assert_int_equal(e.srtt_us, 200000);
    assert_int_equal(e.rttvar_us, 100000);
    assert_int_equal(rtt_timeout_us(&e), 600000);
}

static void test_updates(void **state)
{
    (void)state;
    struct rtt_est e;
    rtt_init(&e, 0, 100000000, 1000000);
    rtt_update(&e, 200000); /* srtt 200000, rttvar 100000 */
    rtt_update(&e, 120000);
    /* RTTVAR first, with the old SRTT: 3/4*100000 + 1/4*|200000-120000| = 95000
     * SRTT: 7/8*200000 + 1/8*120000 = 190000 */
    assert_int_equal(e.rttvar_us, 95000);
    assert_int_equal(e.srtt_us, 190000);
    assert_int_equal(rtt_timeout_us(&e), 190000 + 4 * 95000);
    rtt_update(&e, 390000);
    /* RTTVAR: (3*95000 + 200000)/4 = 121250; SRTT: (7*190000 + 390000)/8 = 215000 */
    assert_int_equal(e.rttvar_us, 121250);
    assert_int_equal(e.srtt_us, 215000);
}

static void test_rounding(void **state)
{
    (void)state;
    struct rtt_est e;
    rtt_init(&e, 0, 1000000, 1000);
    rtt_update(&e, 3); /* RTTVAR = 3/2 = 1.5 -> 2 (round half up) */
    assert_int_equal(e.srtt_us, 3);
    assert_int_equal(e.rttvar_us, 2);
    rtt_update(&e, 4);
    /* RTTVAR = (3*2 + 1)/4 = 1.75 -> 2; SRTT = (21 + 4)/8 = 3.125 -> 3 */
    assert_int_equal(e.rttvar_us, 2);
    assert_int_equal(e.srtt_us, 3);
    /* Integer EWMA has a dead zone: a difference under 4 us moves SRTT by
     * less than half a microsecond. Equal samples bring SRTT within it from
     * either side, and RTTVAR settles near that residual. */
    rtt_init(&e, 0, 1000000, 1000);
    rtt_update(&e, 1000);
    for (int i = 0; i < 300; i++)
        rtt_update(&e, 5);
    assert_in_range(e.srtt_us, 5, 9);
    assert_in_range(e.rttvar_us, 0, 8);
    rtt_init(&e, 0, 1000000, 1000);
    rtt_update(&e, 0);
    for (int i = 0; i < 300; i++)
        rtt_update(&e, 500);
    assert_in_range(e.srtt_us, 496, 500);
    rtt_update(&e, -7); /* nonsense sample counts as 0 */
    assert_true(e.srtt_us >= 0);
}

static void test_clamping(void **state)
{
    (void)state;
    struct rtt_est e;
    rtt_init(&e, 100000, 10000000, 1000000);
    rtt_update(&e, 10); /* 10 + 4*5 = 30 us, below the floor */
    assert_int_equal(rtt_timeout_us(&e), 100000);
    rtt_init(&e, 100000, 300000, 250000);
    rtt_update(&e, 5000000); /* 5 s + 4*2.5 s, above the ceiling */
    assert_int_equal(rtt_timeout_us(&e), 300000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial),  cmocka_unit_test(test_first_sample),
        cmocka_unit_test(test_updates),  cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_clamping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
