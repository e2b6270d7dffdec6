/*
 * Tests for core/rdns.c, the asynchronous reverse-DNS pool. Real lookups
 * only for loopback addresses answered from /etc/hosts (this machine may
 * have no network), plus one with no name inside a fresh, empty network
 * namespace where no query can leave; timeouts, the dead-resolver cut-off,
 * bounds and completion wake-ups use an injected slow lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rdns.h"
#include "core/clock.h"

#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct ipaddr addr(const char *text)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(text, &a), 0);
    return a;
}

/* Fake resolver: sleeps ctx milliseconds, names 127.0.0.N "hN", none for
 * N = 0. */
static char *slow_lookup(const struct ipaddr *a, void *ctx)
{
    long ms = (long)(intptr_t)ctx;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (a->bytes[3] == 0)
        return NULL;
    char buf[16];
    snprintf(buf, sizeof(buf), "h%u", a->bytes[3]);
    return strdup(buf);
}

static char *resolve(struct rdns *r, const char *text)
{
    struct ipaddr a = addr(text);
    int64_t h = rdns_submit(r, &a);
    assert_true(h >= 0);
    char *name = (char *)1;
    assert_int_equal(rdns_collect(r, h, true, clock_mono_us(), &name, NULL), 1);
    return name;
}

/* 127.0.0.1 is "localhost" in /etc/hosts: the default lookup finds it. */
static void test_localhost(void **state)
{
    (void)state;
    struct rdns_opts o = {.max_pending = 4};
    struct rdns *r = rdns_new(&o);
    assert_non_null(r);
    char *name = resolve(r, "127.0.0.1");
    assert_non_null(name);
    assert_string_equal(name, "localhost");
    free(name);
    rdns_free(r);
}

/* An address with no name: getnameinfo(NI_NAMEREQD) fails, collect says
 * NULL. Run in a child inside a new network namespace (no interface up,
 * no route), so the DNS query for a name missing from /etc/hosts fails at
 * once instead of reaching any server. Skipped without CAP_SYS_ADMIN. */
static void test_no_name(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) < 0)
            _exit(77);
        struct rdns_opts o = {.max_pending = 4, .timeout_us = 3000000};
        struct rdns *r = rdns_new(&o);
        if (!r)
            _exit(2);
        struct ipaddr a;
        ipaddr_parse("127.0.0.2", &a);
        int64_t h = rdns_submit(r, &a);
        char *name = (char *)1;
        int rc = h >= 0 ? rdns_collect(r, h, true, clock_mono_us(), &name, NULL) : -1;
        _exit(rc == 1 && name == NULL ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Many lookups run side by side and each handle gets its own answer,
 * collected in any order; the eventfd fires on completion. */
static void test_parallel(void **state)
{
    (void)state;
    struct rdns_opts o = {.max_threads = 8,
                          .max_pending = 32,
                          .lookup = slow_lookup,
                          .lookup_ctx = (void *)(intptr_t)50};
    struct rdns *r = rdns_new(&o);
    assert_non_null(r);
    int64_t h[32];
    int64_t t0 = clock_mono_us();
    for (int i = 0; i < 32; i++) {
        char text[32];
        snprintf(text, sizeof(text), "127.0.0.%d", i);
        struct ipaddr a = addr(text);
        h[i] = rdns_submit(r, &a);
        assert_true(h[i] >= 0);
    }
    /* Full: the bound holds. */
    struct ipaddr extra = addr("127.0.0.99");
    assert_int_equal(rdns_submit(r, &extra), -1);
    struct pollfd p = {.fd = rdns_fd(r), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    rdns_ack(r);
    for (int i = 31; i >= 0; i--) {
        char *name = (char *)1;
        assert_int_equal(rdns_collect(r, h[i], true, clock_mono_us(), &name, NULL), 1);
        if (i == 0) {
            assert_null(name);
        } else {
            char want[16];
            snprintf(want, sizeof(want), "h%d", i);
            assert_non_null(name);
            assert_string_equal(name, want);
        }
        free(name);
    }
    /* 32 lookups of 50 ms on 8 threads: about 200 ms, far from 1.6 s. */
    assert_true(clock_mono_us() - t0 < 1200000);
    /* A collected handle is stale: NULL at once. */
    char *name = (char *)1;
    assert_int_equal(rdns_collect(r, h[5], false, clock_mono_us(), &name, NULL), 1);
    assert_null(name);
    rdns_free(r);
}

/* A resolver that never answers in time: each collect gives up at the
 * deadline with NULL; after RDNS_DEAD_AFTER misses submissions fail at
 * once; rdns_free does not wait for the stuck threads. */
static void test_timeout_and_dead(void **state)
{
    (void)state;
    struct rdns_opts o = {.max_threads = 4,
                          .max_pending = 8,
                          .timeout_us = 100000,
                          .lookup = slow_lookup,
                          .lookup_ctx = (void *)(intptr_t)1500};
    struct rdns *r = rdns_new(&o);
    assert_non_null(r);
    struct ipaddr a = addr("127.0.0.7");
    int64_t h = rdns_submit(r, &a);
    assert_true(h >= 0);
    char *name = (char *)1;
    int64_t deadline = 0, now = clock_mono_us();
    assert_int_equal(rdns_collect(r, h, false, now, &name, &deadline), 0);
    assert_true(deadline > now && deadline <= now + 100000);
    for (unsigned i = 0; i < RDNS_DEAD_AFTER; i++) {
        if (i > 0) {
            h = rdns_submit(r, &a);
            assert_true(h >= 0);
        }
        int64_t t0 = clock_mono_us();
        assert_int_equal(rdns_collect(r, h, true, t0, &name, NULL), 1);
        assert_null(name);
        int64_t waited = clock_mono_us() - t0;
        assert_true(waited < 600000); /* the deadline, not the 1.5 s lookup */
    }
    assert_true(rdns_dead(r));
    assert_int_equal(rdns_submit(r, &a), -1);
    int64_t t0 = clock_mono_us();
    rdns_free(r);
    assert_true(clock_mono_us() - t0 < 100000);
}

/* Cancel frees the place at once; a collect before the deadline without
 * waiting says "pending". */
static void test_cancel(void **state)
{
    (void)state;
    struct rdns_opts o = {.max_threads = 1,
                          .max_pending = 1,
                          .timeout_us = 2000000,
                          .lookup = slow_lookup,
                          .lookup_ctx = (void *)(intptr_t)20};
    struct rdns *r = rdns_new(&o);
    assert_non_null(r);
    struct ipaddr a = addr("127.0.0.3");
    int64_t h = rdns_submit(r, &a);
    assert_true(h >= 0);
    assert_int_equal(rdns_submit(r, &a), -1); /* one place only */
    rdns_cancel(r, h);
    /* The running lookup keeps its place until it returns (20 ms). */
    int64_t h2 = -1;
    for (int i = 0; i < 100 && h2 < 0; i++) {
        usleep(5000);
        h2 = rdns_submit(r, &a);
    }
    assert_true(h2 >= 0);
    char *name = NULL;
    assert_int_equal(rdns_collect(r, h2, true, clock_mono_us(), &name, NULL), 1);
    assert_non_null(name);
    assert_string_equal(name, "h3");
    free(name);
    assert_false(rdns_dead(r));
    rdns_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_localhost), cmocka_unit_test(test_no_name),
        cmocka_unit_test(test_parallel),  cmocka_unit_test(test_timeout_and_dead),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
