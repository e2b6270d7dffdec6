/* Unit tests for core/ipset (merged address intervals) and for exclusions
 * built on it in core/targets: overlaps, adjacency, IPv6, the edges of the
 * address space, octet ranges expanded into intervals, and an octet
 * product too large to expand (kept as a spec), against brute force. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ipset.h"
#include "core/targets.h"
#include "core/targets_spec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void add4(struct ipset *s, const char *a, const char *b)
{
    uint8_t x[4], y[4];
    assert_int_equal(inet_pton(AF_INET, a, x), 1);
    assert_int_equal(inet_pton(AF_INET, b, y), 1);
    assert_int_equal(ipset_add(s, AF_INET, x, y), 0);
}

static bool in4(const struct ipset *s, const char *a, char *end)
{
    uint8_t x[4], e[4];
    assert_int_equal(inet_pton(AF_INET, a, x), 1);
    bool hit = ipset_find(s, AF_INET, x, e);
    if (hit && end)
        inet_ntop(AF_INET, e, end, INET_ADDRSTRLEN);
    return hit;
}

static void test_v4_merge(void **state)
{
    (void)state;
    struct ipset s;
    ipset_init(&s);
    add4(&s, "10.0.0.10", "10.0.0.20");
    add4(&s, "10.0.0.15", "10.0.0.30"); /* overlap */
    add4(&s, "10.0.0.31", "10.0.0.40"); /* adjacent */
    add4(&s, "10.0.0.42", "10.0.0.50"); /* gap of one: stays apart */
    add4(&s, "10.0.0.12", "10.0.0.13"); /* inside */
    add4(&s, "9.0.0.0", "9.0.0.0");
    char end[INET_ADDRSTRLEN];
    assert_int_equal(ipset_count(&s, AF_INET), 3);
    assert_false(in4(&s, "10.0.0.9", NULL));
    assert_true(in4(&s, "10.0.0.10", end));
    assert_string_equal(end, "10.0.0.40");
    assert_true(in4(&s, "10.0.0.40", NULL));
    assert_false(in4(&s, "10.0.0.41", NULL));
    assert_true(in4(&s, "10.0.0.42", end));
    assert_string_equal(end, "10.0.0.50");
    assert_false(in4(&s, "10.0.0.51", NULL));
    assert_true(in4(&s, "9.0.0.0", NULL));
    assert_false(in4(&s, "8.255.255.255", NULL));
    /* Adding after a lookup sorts again at the next one. */
    add4(&s, "10.0.0.41", "10.0.0.41");
    assert_true(in4(&s, "10.0.0.41", end));
    assert_string_equal(end, "10.0.0.50");
    assert_int_equal(ipset_count(&s, AF_INET), 2);
    ipset_free(&s);
}

static void test_v4_edges(void **state)
{
    (void)state;
    struct ipset s;
    ipset_init(&s);
    char end[INET_ADDRSTRLEN];
    assert_false(in4(&s, "0.0.0.0", NULL)); /* empty */
    add4(&s, "255.255.255.255", "255.255.255.255");
    add4(&s, "0.0.0.0", "0.0.0.0");
    add4(&s, "255.255.255.0", "255.255.255.254");
    add4(&s, "255.255.255.200", "255.255.255.255"); /* merging at the top must not wrap */
    add4(&s, "0.0.0.1", "0.0.0.1");
    assert_int_equal(ipset_count(&s, AF_INET), 2);
    assert_true(in4(&s, "0.0.0.0", end));
    assert_string_equal(end, "0.0.0.1");
    assert_false(in4(&s, "0.0.0.2", NULL));
    assert_true(in4(&s, "255.255.255.255", end));
    assert_string_equal(end, "255.255.255.255");
    assert_false(in4(&s, "255.255.254.255", NULL));
    ipset_free(&s);
    ipset_init(&s);
    add4(&s, "0.0.0.0", "255.255.255.255");
    add4(&s, "1.2.3.4", "1.2.3.4");
    assert_int_equal(ipset_count(&s, AF_INET), 1);
    assert_true(in4(&s, "128.0.0.0", end));
    assert_string_equal(end, "255.255.255.255");
    ipset_free(&s);
}

/* Random intervals over a 2,048-address universe, added in ascending,
 * descending and random order with lookups in between (which settle the
 * set): membership and run ends equal a bitmap's. The ascending adds take
 * the merge-as-you-go path, the others the sort. */
static void test_v4_random_orders(void **state)
{
    (void)state;
    enum { U = 2048, N = 300 };
    srand(12345);
    for (int round = 0; round < 30; round++) {
        uint32_t lo[N], hi[N];
        bool bit[U] = {false};
        for (int i = 0; i < N; i++) {
            lo[i] = (uint32_t)(rand() % U);
            hi[i] = lo[i] + (uint32_t)(rand() % 8);
            if (hi[i] >= U)
                hi[i] = U - 1;
        }
        int order = round % 3; /* 0 ascending, 1 descending, 2 as drawn */
        if (order < 2)
            for (int i = 0; i < N; i++)
                for (int j = i + 1; j < N; j++)
                    if (order == 0 ? lo[j] < lo[i] : lo[j] > lo[i]) {
                        uint32_t a = lo[i], b = hi[i];
                        lo[i] = lo[j], hi[i] = hi[j], lo[j] = a, hi[j] = b;
                    }
        struct ipset s;
        ipset_init(&s);
        for (int i = 0; i < N; i++) {
            uint8_t x[4] = {10, 0, (uint8_t)(lo[i] >> 8), (uint8_t)lo[i]};
            uint8_t y[4] = {10, 0, (uint8_t)(hi[i] >> 8), (uint8_t)hi[i]};
            assert_int_equal(ipset_add(&s, AF_INET, x, y), 0);
            for (uint32_t v = lo[i]; v <= hi[i]; v++)
                bit[v] = true;
            if (i % 97 != 96)
                continue;
            for (uint32_t v = 0; v < U; v++) {
                uint8_t a[4] = {10, 0, (uint8_t)(v >> 8), (uint8_t)v}, e[4];
                bool hit = ipset_find(&s, AF_INET, a, e);
                assert_int_equal(hit, bit[v]);
                if (!hit)
                    continue;
                uint32_t end = v;
                while (end + 1 < U && bit[end + 1])
                    end++;
                assert_int_equal(((uint32_t)e[2] << 8) | e[3], end);
            }
        }
        size_t runs = 0;
        for (uint32_t v = 0; v < U; v++)
            runs += bit[v] && (v == 0 || !bit[v - 1]);
        assert_int_equal(ipset_count(&s, AF_INET), runs);
        ipset_free(&s);
    }
}

static void add6(struct ipset *s, const char *a, const char *b)
{
    uint8_t x[16], y[16];
    assert_int_equal(inet_pton(AF_INET6, a, x), 1);
    assert_int_equal(inet_pton(AF_INET6, b, y), 1);
    assert_int_equal(ipset_add(s, AF_INET6, x, y), 0);
}

static bool in6(const struct ipset *s, const char *a, char *end)
{
    uint8_t x[16], e[16];
    assert_int_equal(inet_pton(AF_INET6, a, x), 1);
    bool hit = ipset_find(s, AF_INET6, x, e);
    if (hit && end)
        inet_ntop(AF_INET6, e, end, INET6_ADDRSTRLEN);
    return hit;
}

static void test_v6(void **state)
{
    (void)state;
    struct ipset s;
    ipset_init(&s);
    char end[INET6_ADDRSTRLEN];
    add6(&s, "fd00::", "fd00::ffff:ffff:ffff:ffff");
    add6(&s, "fd00:0:0:1::", "fd00:0:0:1::10");  /* adjacent across the 64-bit halves */
    add6(&s, "fd00:0:0:1::5", "fd00:0:0:1::20"); /* overlap */
    add6(&s, "fd00:0:0:1::22", "fd00:0:0:1::22");
    add6(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    add6(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    add6(&s, "::", "::");
    assert_int_equal(ipset_count(&s, AF_INET6), 4);
    assert_int_equal(ipset_count(&s, AF_INET), 0);
    assert_true(in6(&s, "fd00::1234", end));
    assert_string_equal(end, "fd00:0:0:1::20");
    assert_false(in6(&s, "fd00:0:0:1::21", NULL));
    assert_true(in6(&s, "fd00:0:0:1::22", NULL));
    assert_false(in6(&s, "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL));
    assert_true(in6(&s, "::", NULL));
    assert_false(in6(&s, "::1", NULL));
    assert_true(in6(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", end));
    assert_string_equal(end, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    /* The families are apart: 0.0.0.0 is not :: */
    assert_false(in4(&s, "0.0.0.0", NULL));
    ipset_free(&s);
}

/* Exclusions through the target set agree with brute force: octet ranges
 * (expanded), CIDR, a dash range, and an octet product too large to
 * expand, over 198.18.0.0/16. */
/* 8,000 exclusions like 10.1.0-255.1-10 (256 intervals each, 2M in all:
 * an exclude file with a line per /16) all become intervals, because the
 * expansion budget grows with the text read; none is left to the
 * per-address spec list (with a fixed 64k budget they were, and a -sn of
 * a /16 against such a file crawled). A product past EXCLUDE_EXPAND_MAX
 * still stays a spec. */
static void test_many_octet_exclusions(void **state)
{
    (void)state;
    struct target_opts opts = {.family = 0};
    struct target_set *set = target_set_new(&opts);
    assert_non_null(set);
    char spec[64], err[256];
    for (unsigned i = 0; i < 8000; i++) {
        snprintf(spec, sizeof spec, "%u.%u.0-255.1-10", 10 + i / 256, i % 256);
        if (target_set_exclude(set, spec, err, sizeof err) != 0)
            fail_msg("%s: %s", spec, err);
    }
    assert_int_equal(set->exc.n, 0);
    assert_int_equal(target_set_exclude(set, "100.0-255.0-255.1,3", err, sizeof err), 0);
    assert_int_equal(set->exc.n, 1); /* 131,072 intervals: over EXCLUDE_EXPAND_MAX */
    struct ipaddr a = {.family = AF_INET, .bytes = {10, 1, 2, 3}};
    assert_true(target_set_is_excluded(set, &a));
    a.bytes[3] = 11;
    assert_false(target_set_is_excluded(set, &a));
    target_set_free(set);
}

static void test_targets_brute(void **state)
{
    (void)state;
    struct target_set *t = target_set_new(NULL);
    assert_non_null(t);
    char err[256];
    assert_int_equal(target_set_add(t, "198.18.0.0/16", err, sizeof err), 0);
    assert_int_equal(target_set_exclude(t, "198.18.0-255.1-10,198.18.7.0/24", err, sizeof err), 0);
    assert_int_equal(target_set_exclude(t, "198.18.9.100-200", err, sizeof err), 0);
    /* 1-255.18.even.odd: 255 x 128 prefixes x 128 runs, more than
     * EXCLUDE_EXPAND_MAX intervals: kept as a spec. */
    char big[2048] = "1-255.18";
    size_t n = strlen(big);
    for (int o = 2; o < 4; o++)
        for (int v = o == 3; v < 256; v += 2)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s%d", v < 2 ? "." : ",", v);
    if (target_set_exclude(t, big, err, sizeof err) != 0)
        fail_msg("%s", err);
    uint64_t yielded = 0;
    for (unsigned a = 0; a < 65536; a++) {
        unsigned c = a >> 8, d = a & 255;
        bool want = (d >= 1 && d <= 10) || c == 7 || (c == 9 && d >= 100 && d <= 200) ||
                    (c % 2 == 0 && d % 2 == 1); /* 198 is in 1-255, 18 is even */
        struct ipaddr ip = {.family = AF_INET, .bytes = {198, 18, (uint8_t)c, (uint8_t)d}};
        if (target_set_is_excluded(t, &ip) != want)
            fail_msg("198.18.%u.%u: excluded %d, want %d", c, d, !want, want);
        struct ipaddr got;
        assert_int_equal(target_set_addr_at(t, a, &got), want ? 1 : 0);
        yielded += !want;
    }
    struct target_iter it;
    struct target tg;
    uint64_t iterated = 0;
    target_iter_init(&it, t);
    while (target_iter_next(&it, &tg))
        assert_false(target_set_is_excluded(t, &tg.addr)), iterated++;
    assert_int_equal(iterated, yielded);
    target_set_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_merge),         cmocka_unit_test(test_v4_edges),
        cmocka_unit_test(test_v4_random_orders), cmocka_unit_test(test_v6),
        cmocka_unit_test(test_targets_brute),    cmocka_unit_test(test_many_octet_exclusions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
