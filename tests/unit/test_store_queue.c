/*
 * The store writer's queue is bounded (store.h, store_writer_set_queue_limit):
 * a store much slower than the scan makes the producer wait instead of
 * growing memory, and no host is lost or reordered. The store here is a
 * back end of the test's own (struct store_backend) whose inserts sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NHOSTS 2000
#define LIMIT  16

/* What the slow back end saw, on the writer's thread. */
static int64_t seen_seq[NHOSTS + 1];
static char seen_addr[NHOSTS + 1][48];
static size_t nseen, ninserts;

static int slow_exec(void *conn, const char *sql, const struct store_val *params, size_t n,
                     store_row_fn fn, void *ctx, char *err, size_t errlen)
{
    (void)conn, (void)params, (void)n, (void)err, (void)errlen;
    if (fn && strstr(sql, "RETURNING id")) {
        const char *v[] = {"1"};
        fn(ctx, 1, v);
    }
    return 0;
}

static int slow_insert(void *conn, const char *table, const char *cols, size_t ncols,
                       const struct store_val *vals, size_t nrows, char *err, size_t errlen)
{
    (void)conn, (void)cols, (void)err, (void)errlen;
    if (strcmp(table, "hosts") != 0)
        return 0;
    ninserts++;
    nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL); /* 2 ms a batch */
    for (size_t r = 0; r < nrows && nseen <= NHOSTS; r++, nseen++) {
        seen_seq[nseen] = vals[r * ncols + 1].i; /* hosts: scan_id, seq, addr, ... */
        snprintf(seen_addr[nseen], sizeof(seen_addr[nseen]), "%s", vals[r * ncols + 2].s);
    }
    return 0;
}

static const struct store_backend slow = {
    .name = "slow",
    .exec = slow_exec,
    .insert_rows = slow_insert,
    .max_params = 1000,
};

/* NHOSTS hosts of nports ports each (every 100th of big ports instead)
 * through a writer whose queue holds hosts_limit hosts and ports_limit
 * ports, into the slow store. */
static void run(size_t hosts_limit, size_t ports_limit, uint16_t nports, uint16_t big)
{
    nseen = ninserts = 0;
    struct store st = {.be = &slow, .target = "slow"};
    struct store_job job = {.target = "slow"};
    char err[256];
    struct store_writer *w = store_writer_new(&st, &job, err, sizeof(err));
    assert_non_null(w);
    store_writer_set_queue_limit(w, hosts_limit, ports_limit);
    struct result_sink sink = store_writer_sink(w);
    struct scan_info info = {0};
    assert_int_equal(sink_begin(&sink, &info), 0);
    for (int i = 0; i < NHOSTS; i++) {
        struct ipaddr a;
        char text[32];
        snprintf(text, sizeof(text), "198.18.%d.%d", i / 256, i % 256);
        assert_int_equal(ipaddr_parse(text, &a), 0);
        struct host_result h;
        host_result_init(&h, &a);
        h.status = HOST_UP;
        for (uint16_t p = 1; p <= (i % 100 == 99 ? big : nports); p++) {
            struct port_result pr = {.port = p, .state = PORT_CLOSED, .reason = REASON_RESET};
            assert_int_equal(host_result_add_port(&h, &pr), 0);
        }
        sink_host(&sink, &h);
        host_result_free(&h);
        /* Never more queued than the limits, however far ahead the scan
         * is (a host over the port limit alone, into an empty queue). */
        size_t ports;
        assert_true(store_writer_queue_peak(w, &ports) <= hosts_limit);
        assert_true(ports <= (ports_limit > big ? ports_limit : big));
    }
    struct scan_summary sum = {0};
    assert_int_equal(sink_end(&sink, &sum), 0);
    /* The producer ran ahead (2,000 hosts in far less than the 2 ms a
     * batch the store takes) and was held at a limit ... */
    size_t ports, peak = store_writer_queue_peak(w, &ports);
    assert_true(peak == hosts_limit || ports + nports > ports_limit);
    store_writer_free(w);
    /* ... and every host reached the store once, in order. */
    assert_int_equal(nseen, NHOSTS);
    for (size_t i = 0; i < NHOSTS; i++) {
        char text[32];
        snprintf(text, sizeof(text), "198.18.%zu.%zu", i / 256, i % 256);
        assert_int_equal(seen_seq[i], (int64_t)i);
        assert_string_equal(seen_addr[i], text);
    }
    /* Batches were small: the writer never had more than the limit to take. */
    assert_true(ninserts >= NHOSTS / peak);
}

/* Bounded by hosts: 16 hosts of one port. */
static void test_slow_store_hosts_bounded(void **state)
{
    (void)state;
    run(LIMIT, (size_t)1 << 20, 1, 1);
}

/* Bounded by ports: hosts of 10 ports, 50 ports at most, every 100th host
 * of 120 ports (over the limit: it waits for an empty queue). */
static void test_slow_store_ports_bounded(void **state)
{
    (void)state;
    run(1000, 50, 10, 120);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_store_hosts_bounded),
        cmocka_unit_test(test_slow_store_ports_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
