/* test_raw_loss.c — the retry policy under reply loss (raw_loss.h): a
 * lossless scan stops after the first retry pass that brought nothing; a
 * lossy one goes on while answers may still hide; SYN passes are spaced
 * past the target's duplicate-SYN rate limit and only passes far enough
 * apart count as tries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/raw/raw_loss.h"

#define MS 1000000LL

/* Run pass `pass` from t to t + 10 ms, with `answers` first answers in it
 * (open ones: SYN-ACKs when held), and return the decision. */
static enum raw_loss_next pass(struct raw_loss *l, int k, int64_t t, unsigned answers,
                               unsigned open)
{
    raw_loss_pass_start(l, k, t);
    raw_loss_pass_end(l, t + 10 * MS);
    for (unsigned i = 0; i < answers; i++)
        raw_loss_answer(l, l->held, i < open);
    return raw_loss_next(l, answers);
}

static void lossless_stops_as_before(void **state)
{
    (void)state;
    struct raw_loss l;
    raw_loss_init(&l, true);
    assert_int_equal(pass(&l, 0, 0, 2000, 5), RAW_LOSS_FAST); /* pass 0 always retried */
    assert_int_equal(pass(&l, 1, 100 * MS, 0, 0), RAW_LOSS_STOP);
    assert_true(raw_loss_rate(&l) == 0.0);
    /* A pass 0 lost whole (a neighbour entry resolving) and filtered
     * ports: pass 1 answers what pass 0 should have, pass 2 nothing. A
     * burst, not the path's loss: no spaced passes, stop after pass 2. */
    raw_loss_init(&l, true);
    assert_int_equal(pass(&l, 0, 0, 3, 0), RAW_LOSS_FAST);
    assert_int_equal(pass(&l, 1, 100 * MS, 500, 5), RAW_LOSS_FAST);
    assert_true(raw_loss_rate(&l) == 0.0);
    assert_int_equal(pass(&l, 2, 200 * MS, 0, 0), RAW_LOSS_STOP);
}

static void stateless_loss_goes_on_until_nothing_hides(void **state)
{
    (void)state;
    struct raw_loss l;
    raw_loss_init(&l, false); /* -sF: RSTs, no state at the target */
    unsigned left = 400;      /* 2,000 closed ports, 20 % lost */
    assert_int_equal(pass(&l, 0, 0, 1600, 0), RAW_LOSS_FAST);
    int k = 1;
    enum raw_loss_next n;
    do {
        unsigned got = left - left / 5;
        left /= 5;
        n = pass(&l, k, k * 100 * MS, got, 0);
        assert_int_not_equal(n, RAW_LOSS_SPACED);
        k++;
    } while (n != RAW_LOSS_STOP && k < 30);
    /* 2000 x 0.2^t < 1e-4: ten tries or more, never fewer than the old
     * rule's (it stopped at the first pass with nothing new). */
    assert_true(k - 1 >= 9);
    assert_true(raw_loss_rate(&l) > 0.15 && raw_loss_rate(&l) < 0.3);
}

static void syn_loss_spaces_passes(void **state)
{
    (void)state;
    struct raw_loss l;
    raw_loss_init(&l, true);
    assert_int_equal(pass(&l, 0, 0, 1600, 4), RAW_LOSS_FAST);
    assert_int_equal(l.held_tries, 1u);
    enum raw_loss_next n = pass(&l, 1, 100 * MS, 320, 0);
    assert_int_equal(n, RAW_LOSS_SPACED);
    assert_int_equal(l.held_tries, 2u);
    /* A pass too soon after the last counted one is no try. */
    raw_loss_pass_start(&l, 2, 200 * MS);
    assert_int_equal(l.held_tries, 2u);
    raw_loss_pass_end(&l, 210 * MS);
    assert_true(raw_loss_spaced_at(&l) == 110 * MS + RAW_LOSS_HELD_GAP_NS);
    int64_t t = raw_loss_spaced_at(&l);
    raw_loss_pass_start(&l, 3, t);
    assert_int_equal(l.held_tries, 3u);
    raw_loss_pass_end(&l, t + 10 * MS);
    /* An open answer in a spaced pass lost held_tries - 1 tries, not 3. */
    uint64_t late = l.late;
    raw_loss_answer(&l, true, true);
    assert_int_equal(l.late - late, 2);
    /* Spaced until (O + 1) p^t < 1e-4, then no more spacing. */
    int k = 4;
    t = raw_loss_spaced_at(&l);
    while (raw_loss_next(&l, 0) == RAW_LOSS_SPACED && k < 20) {
        raw_loss_pass_start(&l, k++, t);
        raw_loss_pass_end(&l, t + 10 * MS);
        t = raw_loss_spaced_at(&l);
    }
    assert_true(k < 20);
    assert_true(l.held_tries >= 6);
}

static void tries_for_confirmations(void **state)
{
    (void)state;
    assert_int_equal(raw_loss_tries(0.0, 1000, 2, 11), 2);
    assert_int_equal(raw_loss_tries(0.2, 40, 2, 11), 9);  /* 40 x 0.2^8 = 1.02e-4 */
    assert_int_equal(raw_loss_tries(0.9, 40, 2, 11), 11); /* capped */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lossless_stops_as_before),
        cmocka_unit_test(stateless_loss_goes_on_until_nothing_hides),
        cmocka_unit_test(syn_loss_spaces_passes),
        cmocka_unit_test(tries_for_confirmations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
