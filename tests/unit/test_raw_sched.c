/* test_raw_sched.c — the raw engine's schedule (raw_sched.c, struct
 * raw_sched in raw_internal.h): when it is on, host groups over this
 * shard's addresses, and the walk of a group: every probe of the group
 * exactly once, raw_sched_d() its inverse, -r ports ascending per host,
 * rounds of one probe per host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/raw/raw_internal.h"

#include <stdlib.h>
#include <string.h>

struct fixture {
    struct raw_job job;
    struct raw_ctx c;
};

static void setup(struct fixture *f, uint64_t naddrs, uint32_t nentries, uint32_t shard,
                  uint32_t nshards)
{
    memset(f, 0, sizeof(*f));
    timing_defaults(&f->job.timing);
    f->job.seed = 42;
    f->c.job = &f->job;
    f->c.naddrs = naddrs;
    f->c.nentries = nentries;
    f->c.nprobes = naddrs * nentries;
    f->c.shard = shard;
    f->c.nshards = nshards;
}

/* Walk every group: each probe of this shard once, d <-> x both ways,
 * and (with rounds) one probe per host per round, (-r) entry r. */
static void walk(struct fixture *f)
{
    struct raw_ctx *c = &f->c;
    char err[64];
    assert_int_equal(raw_sched_init(c, err, sizeof(err)), 0);
    assert_true(c->sched.on);
    uint8_t *seen = calloc(c->nprobes, 1);
    assert_non_null(seen);
    uint64_t total = 0;
    for (uint64_t k = 0; k < c->sched.ngroups; k++) {
        raw_sched_group(c, k);
        assert_true(c->sched.n >= 1 && c->sched.n <= c->sched.gsize);
        for (uint64_t d = 0; d < c->sched.count; d++) {
            uint64_t x = raw_sched_x(c, d), back;
            assert_true(x < c->nprobes);
            assert_int_equal(seen[x], 0);
            seen[x] = 1;
            uint64_t a = x % c->naddrs;
            assert_int_equal(a % c->nshards, c->shard);
            assert_true(raw_sched_in_group(c, a));
            assert_true(raw_sched_d(c, x, &back));
            assert_int_equal(back, d);
            if (c->sched.rounds) {
                /* Round d / n probes host ... once: its position in the
                 * round is the same every round. */
                uint64_t r = d / c->sched.n;
                uint64_t x0 = raw_sched_x(c, d % c->sched.n);
                assert_int_equal(x0 % c->naddrs, a);
                if (c->sched.ordered)
                    assert_int_equal(x / c->naddrs, r);
            }
            total++;
        }
    }
    assert_int_equal(total, c->shard_count);
    free(seen);
}

static void test_groups(void **state)
{
    (void)state;
    struct fixture f;
    setup(&f, 10, 7, 0, 1);
    f.job.timing.max_hostgroup = 3;
    walk(&f);
    assert_int_equal(f.c.sched.ngroups, 4);
    assert_false(f.c.sched.rounds);
    /* Group 1 holds addresses 3-5 only. */
    raw_sched_group(&f.c, 1);
    assert_false(raw_sched_in_group(&f.c, 2));
    assert_true(raw_sched_in_group(&f.c, 3));
    assert_true(raw_sched_in_group(&f.c, 5));
    assert_false(raw_sched_in_group(&f.c, 6));
}

static void test_ordered(void **state)
{
    (void)state;
    struct fixture f;
    setup(&f, 5, 9, 0, 1);
    f.job.ordered = true;
    walk(&f);
    assert_true(f.c.sched.ordered && f.c.sched.rounds);
    assert_int_equal(f.c.sched.ngroups, 1);
}

static void test_delay_rounds(void **state)
{
    (void)state;
    struct fixture f;
    setup(&f, 6, 11, 0, 1);
    f.job.timing.scan_delay_ms = 50;
    walk(&f);
    assert_true(f.c.sched.rounds && !f.c.sched.ordered);
    assert_int_equal(f.c.sched.delay_ns, 50000000);
}

static void test_shards(void **state)
{
    (void)state;
    struct fixture f;
    for (uint32_t s = 0; s < 3; s++) {
        setup(&f, 11, 4, s, 3);
        f.job.timing.max_hostgroup = 2;
        f.job.ordered = s == 1;
        walk(&f);
    }
}

static void test_off(void **state)
{
    (void)state;
    struct fixture f;
    char err[64];
    setup(&f, 10, 7, 0, 1);
    f.job.timing.min_hostgroup = 4; /* a floor only: all ten are one group */
    f.job.timing.min_parallelism = 8;
    assert_int_equal(raw_sched_init(&f.c, err, sizeof(err)), 0);
    assert_false(f.c.sched.on);
    f.job.timing.host_timeout_ms = 1000;
    assert_int_equal(raw_sched_init(&f.c, err, sizeof(err)), 0);
    assert_true(f.c.sched.on);
    assert_int_equal(f.c.sched.ngroups, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),       cmocka_unit_test(test_ordered),
        cmocka_unit_test(test_delay_rounds), cmocka_unit_test(test_shards),
        cmocka_unit_test(test_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
