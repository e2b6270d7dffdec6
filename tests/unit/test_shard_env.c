/* Unit tests for --shard auto (core/shard_env.c): Kubernetes Indexed Job
 * and Slurm job array variables, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/shard_env.h"

static const char *const vars[] = {
    "JOB_COMPLETION_INDEX",   "PRTIP_SHARD_COUNT",    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",   "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_JOB_ID",   NULL};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    return 0;
}

static char err[256], src[128];
static uint32_t sh, n;

static int run(const char *text)
{
    err[0] = src[0] = '\0';
    sh = n = 9999;
    return shard_from_scheduler(text, &sh, &n, src, sizeof src, err, sizeof err);
}

static void slurm(const char *id, const char *min, const char *max, const char *step,
                  const char *count)
{
    setenv("SLURM_ARRAY_TASK_ID", id, 1);
    setenv("SLURM_ARRAY_TASK_MIN", min, 1);
    setenv("SLURM_ARRAY_TASK_MAX", max, 1);
    setenv("SLURM_ARRAY_TASK_STEP", step, 1);
    setenv("SLURM_ARRAY_TASK_COUNT", count, 1);
}

static void test_not_auto(void **state)
{
    (void)state;
    assert_int_equal(run("1/4"), 1);
    assert_int_equal(run("automatic"), 1);
}

static void test_kubernetes(void **state)
{
    (void)state;
    setenv("JOB_COMPLETION_INDEX", "3", 1);
    setenv("PRTIP_SHARD_COUNT", "8", 1);
    assert_int_equal(run("auto"), 0);
    assert_int_equal(sh, 3);
    assert_int_equal(n, 8);
    assert_non_null(strstr(src, "JOB_COMPLETION_INDEX=3"));
    /* auto/N overrides the variable */
    assert_int_equal(run("auto/4"), 0);
    assert_int_equal(n, 4);
    /* index past the count */
    assert_int_equal(run("auto/3"), -1);
    assert_non_null(strstr(err, "not below the shard count 3"));
    /* no count at all */
    unsetenv("PRTIP_SHARD_COUNT");
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "PRTIP_SHARD_COUNT"));
    setenv("JOB_COMPLETION_INDEX", "x1", 1);
    assert_int_equal(run("auto/4"), -1);
    assert_non_null(strstr(err, "not a whole number"));
}

static void test_slurm_from_one(void **state)
{
    (void)state;
    /* --array=1-4: tasks 1..4 are shards 0..3 */
    for (int id = 1; id <= 4; id++) {
        char b[8];
        snprintf(b, sizeof b, "%d", id);
        slurm(b, "1", "4", "1", "4");
        assert_int_equal(run("auto"), 0);
        assert_int_equal(sh, (uint32_t)(id - 1));
        assert_int_equal(n, 4);
    }
}

static void test_slurm_offset_step(void **state)
{
    (void)state;
    /* --array=5-11:2: tasks 5, 7, 9, 11 */
    slurm("9", "5", "11", "2", "4");
    assert_int_equal(run("auto"), 0);
    assert_int_equal(sh, 2);
    assert_int_equal(n, 4);
    assert_non_null(strstr(src, "5-11:2"));
    /* a task id off the step */
    slurm("8", "5", "11", "2", "4");
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "not a task of the array"));
    /* --array=1,4,9: three tasks, not one range */
    slurm("4", "1", "9", "1", "3");
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "evenly spaced"));
    /* a count that disagrees with the array */
    slurm("9", "5", "11", "2", "4");
    setenv("PRTIP_SHARD_COUNT", "5", 1);
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "differs"));
    /* MIN missing */
    unsetenv("PRTIP_SHARD_COUNT");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "SLURM_ARRAY_TASK_MIN"));
}

static void test_refusals(void **state)
{
    (void)state;
    assert_int_equal(run("auto"), -1);
    assert_non_null(strstr(err, "no scheduler variables"));
    setenv("JOB_COMPLETION_INDEX", "0", 1);
    slurm("1", "1", "2", "1", "2");
    assert_int_equal(run("auto/2"), -1);
    assert_non_null(strstr(err, "both"));
    clear_env(NULL);
    assert_int_equal(run("auto/0"), -1);
    assert_int_equal(run("auto/x"), -1);
    setenv("PRTIP_SHARD_COUNT", "0", 1);
    setenv("JOB_COMPLETION_INDEX", "0", 1);
    assert_int_equal(run("auto"), -1);
}

/* The seed a job's tasks share: from SLURM_ARRAY_JOB_ID only, the same for
 * every task of one array, different for another array. */
static void test_seed(void **state)
{
    (void)state;
    uint64_t a = 0, b = 0, c = 0;
    char from[192];
    assert_int_equal(shard_seed_from_scheduler(&a, from, sizeof from), 0);
    setenv("JOB_COMPLETION_INDEX", "1", 1); /* Kubernetes: nothing shared */
    assert_int_equal(shard_seed_from_scheduler(&a, from, sizeof from), 0);
    unsetenv("JOB_COMPLETION_INDEX");
    slurm("5", "5", "11", "2", "4");
    setenv("SLURM_ARRAY_JOB_ID", "4242", 1);
    assert_int_equal(shard_seed_from_scheduler(&a, from, sizeof from), 1);
    assert_string_equal(from, "SLURM_ARRAY_JOB_ID=4242");
    slurm("9", "5", "11", "2", "4"); /* another task of the same array */
    assert_int_equal(shard_seed_from_scheduler(&b, from, sizeof from), 1);
    assert_true(a == b);
    setenv("SLURM_ARRAY_JOB_ID", "4243", 1);
    assert_int_equal(shard_seed_from_scheduler(&c, from, sizeof from), 1);
    assert_true(a != c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_not_auto, clear_env),
        cmocka_unit_test_setup(test_kubernetes, clear_env),
        cmocka_unit_test_setup(test_slurm_from_one, clear_env),
        cmocka_unit_test_setup(test_slurm_offset_step, clear_env),
        cmocka_unit_test_setup(test_refusals, clear_env),
        cmocka_unit_test_setup(test_seed, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
