/* test_permute.c — the scan-order bijection: exactness for every small n,
 * the exact inverse, large-n sanity, shards partitioning the space, seeds,
 * the statistical spread the cheap round function must still give,
 * --shard parsing, and ns/op figures for permute_map and the batch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/permute.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint64_t seeds[] = {0, 42, UINT64_MAX};
#define NSEEDS (sizeof(seeds) / sizeof(seeds[0]))

/* Assert that p maps [0, n) onto [0, n) one to one (n small). */
static void check_bijection(const struct permute *p, uint64_t n, uint8_t *seen)
{
    memset(seen, 0, n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = permute_map(p, i);
        if (v >= n || seen[v])
            fail_msg("n=%llu index %llu -> %llu: %s", (unsigned long long)n, (unsigned long long)i,
                     (unsigned long long)v, v >= n ? "out of range" : "duplicate");
        seen[v] = 1;
    }
}

static void test_bijection_every_n_to_2000(void **state)
{
    uint8_t *seen = malloc(2000);
    assert_non_null(seen);
    for (uint64_t n = 1; n <= 2000; n++) {
        for (size_t s = 0; s < NSEEDS; s++) {
            struct permute p;
            assert_int_equal(permute_init(&p, n, seeds[s]), 0);
            check_bijection(&p, n, seen);
        }
    }
    free(seen);
}

static void test_bijection_squares_and_neighbours(void **state)
{
    /* a·b == n exactly (no walking), and just around it. */
    static const uint64_t ns[] = {4095, 4096, 4097, 65535, 65536, 65537, 256 * 257, 100003};
    uint8_t *seen = malloc(100003);
    assert_non_null(seen);
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        struct permute p;
        assert_int_equal(permute_init(&p, ns[i], 7), 0);
        check_bijection(&p, ns[i], seen);
    }
    free(seen);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Map the first, last and some scattered indices of a huge n: all < n and
 * pairwise distinct. */
static void check_large(uint64_t n, uint64_t seed)
{
    enum { EACH = 2000, TOTAL = 3 * EACH };
    uint64_t *v = malloc(TOTAL * sizeof(*v));
    struct permute p;
    assert_non_null(v);
    assert_int_equal(permute_init(&p, n, seed), 0);
    for (uint64_t i = 0; i < EACH; i++) {
        v[i] = permute_map(&p, i);
        v[EACH + i] = permute_map(&p, n - 1 - i);
        v[2 * EACH + i] = permute_map(&p, n / 3 + i * 0x9e3779b97ULL % (n / 3));
    }
    for (int i = 0; i < TOTAL; i++)
        assert_true(v[i] < n);
    qsort(v, TOTAL, sizeof(*v), cmp_u64);
    for (int i = 1; i < TOTAL; i++)
        if (v[i] == v[i - 1])
            fail_msg("n=%llu: value %llu twice", (unsigned long long)n, (unsigned long long)v[i]);
    free(v);
}

static void test_large_n(void **state)
{
    check_large(3ULL << 32, 1);
    check_large(1ULL << 32, 2);
    check_large((1ULL << 32) + 1, 3);
    check_large(UINT64_MAX, 4);
    check_large(UINT64_MAX - 1, 5);
    check_large(1ULL << 63, 6);
    check_large(65536ULL * 16777216, 7); /* a /8 × every port */
}

static void test_large_n_halves(void **state)
{
    struct permute p;
    assert_int_equal(permute_init(&p, UINT64_MAX, 0), 0);
    assert_int_equal(p.a, 1ULL << 32);
    assert_int_equal(p.b, 1ULL << 32);
    assert_int_equal(permute_init(&p, 1, 0), 0);
    assert_int_equal(permute_map(&p, 0), 0);
    assert_int_equal(permute_init(&p, 0, 0), -EINVAL);
}

static void test_halves_power_of_two(void **state)
{
    /* The domain arithmetic permute.h promises: a = 2^k, b <= a, and
     * fewer than a out-of-range points for cycle walking to skip. */
    static const uint64_t big[] = {
        65535, 65536, 65537, 1ULL << 32, 3ULL << 32, 1ULL << 63, (1ULL << 63) + 1, UINT64_MAX};
    for (uint64_t i = 0; i < 5000 + sizeof(big) / sizeof(big[0]); i++) {
        uint64_t n = i < 5000 ? i + 1 : big[i - 5000];
        struct permute p;
        assert_int_equal(permute_init(&p, n, 1), 0);
        assert_int_equal(p.a, 1ULL << p.shift);
        assert_true(p.b >= 1 && p.b <= p.a);
        assert_true(p.b == n / p.a + (n % p.a != 0)); /* ceil(n / a) */
        assert_true((p.b - 1) * p.a < n);             /* a·b - n < a; (b-1)·a <= n: no wrap */
        if (p.shift > 0) /* a is the smallest power of two with a² >= n */
            assert_true((p.a / 2) * (p.a / 2) < n);
    }
}

static void test_unmap_inverse(void **state)
{
    /* Every n up to 300 exhaustively, then sampled large n where cycle
     * walking runs (n just past a power of 4) or not (n a power of 2). */
    for (uint64_t n = 1; n <= 300; n++)
        for (size_t s = 0; s < NSEEDS; s++) {
            struct permute p;
            assert_int_equal(permute_init(&p, n, seeds[s]), 0);
            for (uint64_t i = 0; i < n; i++) {
                assert_int_equal(permute_unmap(&p, permute_map(&p, i)), i);
                assert_int_equal(permute_map(&p, permute_unmap(&p, i)), i);
            }
        }
    static const uint64_t ns[] = {65537,      1ULL << 32,       (1ULL << 32) + 1,
                                  1ULL << 62, (1ULL << 62) + 1, UINT64_MAX};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        struct permute p;
        assert_int_equal(permute_init(&p, ns[k], 9 + k), 0);
        for (uint64_t i = 0; i < 3000; i++) {
            uint64_t idx = i < 1000   ? i
                           : i < 2000 ? ns[k] - 1 - i
                                      : i * 0x9e3779b97f4a7c15ULL % ns[k];
            uint64_t v = permute_map(&p, idx);
            assert_true(v < ns[k]);
            assert_true(permute_unmap(&p, v) == idx);
        }
    }
}

static void test_shards_partition(void **state)
{
    static const uint64_t ns[] = {1, 2, 3, 6, 7, 8, 100, 1000, 4099};
    uint8_t *seen = malloc(4099);
    assert_non_null(seen);
    for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
        uint64_t n = ns[ni];
        struct permute p;
        assert_int_equal(permute_init(&p, n, 99), 0);
        for (uint32_t k = 1; k <= 7; k++) {
            uint64_t total = 0;
            memset(seen, 0, n);
            for (uint32_t s = 0; s < k; s++) {
                struct permute_iter it;
                uint64_t v, got = 0;
                permute_iter_init(&it, &p, s, k);
                while (permute_iter_next(&it, &v)) {
                    assert_true(v < n);
                    if (seen[v]++)
                        fail_msg("n=%llu shard %u/%u: %llu twice", (unsigned long long)n, s + 1, k,
                                 (unsigned long long)v);
                    got++;
                }
                assert_int_equal(got, it.count);
                total += got;
            }
            assert_int_equal(total, n);
        }
    }
    free(seen);
}

static void test_thread_subshards_equal_shard(void **state)
{
    /* Thread t of T inside shard s of k takes shard s + t·k of k·T. */
    enum { N = 997, K = 3, T = 4 };
    uint8_t want[N] = {0}, got[N] = {0};
    struct permute p;
    struct permute_iter it;
    uint64_t v;
    assert_int_equal(permute_init(&p, N, 5), 0);
    permute_iter_init(&it, &p, 1, K);
    while (permute_iter_next(&it, &v))
        want[v]++;
    for (uint32_t t = 0; t < T; t++) {
        permute_iter_init(&it, &p, 1 + t * K, K * T);
        while (permute_iter_next(&it, &v))
            got[v]++;
    }
    assert_memory_equal(want, got, N);
}

static void test_iter_seek_resumes(void **state)
{
    enum { N = 1000 };
    uint64_t all[N], v;
    size_t cnt = 0;
    struct permute p;
    struct permute_iter it;
    assert_int_equal(permute_init(&p, N, 11), 0);
    permute_iter_init(&it, &p, 2, 3);
    while (permute_iter_next(&it, &v))
        all[cnt++] = v;
    assert_int_equal(cnt, 333); /* indices 2, 5, ..., 998 */
    permute_iter_seek(&it, 100);
    for (size_t i = 100; i < cnt; i++) {
        assert_true(permute_iter_next(&it, &v));
        assert_int_equal(v, all[i]);
    }
    assert_false(permute_iter_next(&it, &v));
    permute_iter_seek(&it, 5000);
    assert_false(permute_iter_next(&it, &v));
    /* Guards: bad shard numbers and a shard past n give nothing. */
    permute_iter_init(&it, &p, 3, 3);
    assert_false(permute_iter_next(&it, &v));
    permute_iter_init(&it, &p, 0, 0);
    assert_false(permute_iter_next(&it, &v));
}

static void test_iter_near_uint64_max(void **state)
{
    /* The last indices of the largest domain: the step must not wrap. */
    struct permute p;
    struct permute_iter it;
    uint64_t v, got = 0;
    assert_int_equal(permute_init(&p, UINT64_MAX, 3), 0);
    permute_iter_init(&it, &p, 6, 7);
    assert_int_equal(it.count, (UINT64_MAX - 1 - 6) / 7 + 1);
    permute_iter_seek(&it, it.count - 3);
    while (permute_iter_next(&it, &v)) {
        assert_true(v < UINT64_MAX);
        got++;
    }
    assert_int_equal(got, 3);
    assert_int_equal(it.next, 6 + (it.count - 1) * 7);
}

static void test_batch_matches_single(void **state)
{
    /* Batches of every size give the same sequence as one at a time,
     * including lanes that need cycle walking (n just above a square). */
    static const uint64_t ns[] = {1, 5, 17, 1000, 4097, UINT64_MAX};
    for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
        struct permute p;
        assert_int_equal(permute_init(&p, ns[ni], 8), 0);
        for (size_t max = 1; max <= PERMUTE_BATCH + 2; max++) {
            struct permute_iter one, many;
            uint64_t buf[PERMUTE_BATCH + 2], v;
            size_t got, total = 0;
            permute_iter_init(&one, &p, 1, 2);
            permute_iter_init(&many, &p, 1, 2);
            while (total < 3000 && (got = permute_iter_next_batch(&many, buf, max)) > 0) {
                assert_true(got <= max && got <= PERMUTE_BATCH);
                for (size_t j = 0; j < got; j++) {
                    assert_true(permute_iter_next(&one, &v));
                    assert_int_equal(buf[j], v);
                }
                total += got;
            }
            if (total < 3000) {
                assert_false(permute_iter_next(&one, &v));
                assert_int_equal(total, one.count);
            }
        }
    }
}

static void test_seeds(void **state)
{
    enum { N = 1000 };
    struct permute p1, p2, p3;
    assert_int_equal(permute_init(&p1, N, 1), 0);
    assert_int_equal(permute_init(&p2, N, 2), 0);
    assert_int_equal(permute_init(&p3, N, 1), 0);
    int same12 = 0;
    for (uint64_t i = 0; i < N; i++) {
        same12 += permute_map(&p1, i) == permute_map(&p2, i);
        assert_int_equal(permute_map(&p1, i), permute_map(&p3, i));
    }
    assert_true(same12 < 20); /* ~1 expected for unrelated orders */

    /* Even a tiny space gets many different orders across seeds. */
    uint64_t firsts = 0;
    for (uint64_t s = 0; s < 64; s++) {
        struct permute p;
        assert_int_equal(permute_init(&p, 10, s), 0);
        firsts |= 1ULL << permute_map(&p, 0);
    }
    assert_true(__builtin_popcountll(firsts) >= 6);
}

static void test_spread(void **state)
{
    /* One host × 1000 ports: not ascending, about half the steps go up,
     * few fixed points. */
    enum { N = 1000 };
    struct permute p;
    int up = 0, fixed = 0;
    assert_int_equal(permute_init(&p, N, 12345), 0);
    uint64_t prev = permute_map(&p, 0);
    fixed += prev == 0;
    for (uint64_t i = 1; i < N; i++) {
        uint64_t v = permute_map(&p, i);
        up += v > prev;
        fixed += v == i;
        prev = v;
    }
    assert_true(up > 400 && up < 600);
    assert_true(fixed < 10);
}

/*
 * Statistical quality of the order, as the scan sees it. Each bound is
 * many standard deviations from what a random permutation gives, so none
 * can fail by bad luck (and the seeds are fixed, so none is flaky); a
 * structural weakness of the round function or of the domain split would
 * break them by far.
 */

/* Longest strictly ascending and descending runs of permute_map over
 * [0, n), and the number of ascents. */
static void runs(const struct permute *p, uint64_t n, int *up_run, int *down_run, uint64_t *ups,
                 double *mean_step)
{
    uint64_t prev = permute_map(p, 0);
    int up = 1, down = 1;
    double step = 0;
    *up_run = *down_run = 1;
    *ups = 0;
    for (uint64_t i = 1; i < n; i++) {
        uint64_t v = permute_map(p, i);
        if (v > prev) {
            ++*ups;
            down = 1;
            if (++up > *up_run)
                *up_run = up;
            step += (double)(v - prev);
        } else {
            up = 1;
            if (++down > *down_run)
                *down_run = down;
            step += (double)(prev - v);
        }
        prev = v;
    }
    *mean_step = step / (double)(n - 1);
}

static void test_quality_one_host_all_ports(void **state)
{
    /* 1 host × 65,535 ports: the ports must not come out in runs. For a
     * random order the longest monotone run is ~9 (run length L has
     * probability ~n·L/L! anywhere), ascents are 1/2 ± 0.002 and the mean
     * jump is n/3 ± 0.002·n. */
    enum { N = 65535 };
    for (size_t s = 0; s < NSEEDS; s++) {
        struct permute p;
        int up_run, down_run;
        uint64_t ups;
        double step;
        assert_int_equal(permute_init(&p, N, seeds[s]), 0);
        runs(&p, N, &up_run, &down_run, &ups, &step);
        if (up_run > 16 || down_run > 16)
            fail_msg("seed %llu: monotone run of %d", (unsigned long long)seeds[s],
                     up_run > down_run ? up_run : down_run);
        assert_true(ups > 0.47 * N && ups < 0.53 * N);
        assert_true(step > N / 4.0 && step < N * 5.0 / 12);
    }
}

static void test_quality_hosts_change(void **state)
{
    /* 256 hosts × 1 port: the next probe is always another host (the
     * order is a bijection), and the hosts themselves are not walked in
     * order (longest run ~7 for a random order of 256). */
    struct permute p;
    int up_run, down_run;
    uint64_t ups, a, port, prev_a = UINT64_MAX;
    double step;
    assert_int_equal(permute_init(&p, 256, 42), 0);
    for (uint64_t i = 0; i < 256; i++) {
        permute_split(permute_map(&p, i), 256, &a, &port);
        assert_true(a != prev_a && port == 0);
        prev_a = a;
    }
    runs(&p, 256, &up_run, &down_run, &ups, &step);
    assert_true(up_run <= 12 && down_run <= 12);

    /* 256 hosts × 256 ports (a /24, where the address is exactly the
     * Feistel network's low half): the next probe goes to the same host
     * with probability 1/256, i.e. ~256 of 65,535 steps (±16), and any
     * 256 consecutive probes reach ~162 distinct hosts (±6). */
    enum { HOSTS = 256, PORTS = 256, N = HOSTS * PORTS };
    for (size_t s = 0; s < NSEEDS; s++) {
        uint64_t same = 0, pa = UINT64_MAX;
        int min_distinct = HOSTS;
        uint8_t seen[HOSTS];
        assert_int_equal(permute_init(&p, N, seeds[s]), 0);
        for (uint64_t i = 0; i < N; i++) {
            if (i % HOSTS == 0) /* a new window of 256 probes */
                memset(seen, 0, sizeof(seen));
            permute_split(permute_map(&p, i), HOSTS, &a, &port);
            same += a == pa;
            pa = a;
            seen[a] = 1;
            if (i % HOSTS == HOSTS - 1) {
                int d = 0;
                for (int h = 0; h < HOSTS; h++)
                    d += seen[h];
                if (d < min_distinct)
                    min_distinct = d;
            }
        }
        if (same > N / 64 || min_distinct < 120)
            fail_msg("seed %llu: %llu repeats of the previous host, a window of %d hosts",
                     (unsigned long long)seeds[s], (unsigned long long)same, min_distinct);
    }
}

static void test_quality_coverage(void **state)
{
    /* The first sixteenth of the order (the start of a scan, or of an
     * interrupted one) lands evenly on the sixteen sixteenths of the
     * value space — for ports × hosts, on every block of ports: 4096
     * values, 256 ± 16 per block; allow ± 50%. Also at 2^20 (ports of a
     * /12 block, a·b exact) and 3·10^5 (cycle walking active). */
    static const uint64_t ns[] = {65535, 1 << 20, 300007};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
        for (size_t s = 0; s < NSEEDS; s++) {
            uint64_t n = ns[k], m = n / 16, cnt[16] = {0};
            struct permute p;
            assert_int_equal(permute_init(&p, n, seeds[s]), 0);
            for (uint64_t i = 0; i < m; i++)
                cnt[permute_map(&p, i) / (n / 16 + 1)]++;
            for (int b = 0; b < 16; b++)
                if (cnt[b] < m / 32 || cnt[b] > m * 3 / 32)
                    fail_msg("n=%llu seed %llu: %llu of the first %llu values in sixteenth %d",
                             (unsigned long long)n, (unsigned long long)seeds[s],
                             (unsigned long long)cnt[b], (unsigned long long)m, b);
        }
}

static void test_split_and_space(void **state)
{
    uint64_t a, port, n;
    permute_split(0, 5, &a, &port);
    assert_true(a == 0 && port == 0);
    permute_split(4, 5, &a, &port);
    assert_true(a == 4 && port == 0);
    permute_split(5, 5, &a, &port); /* next index: first host, next port */
    assert_true(a == 0 && port == 1);
    permute_split(14, 5, &a, &port);
    assert_true(a == 4 && port == 2);

    assert_int_equal(permute_space(32768, 3, &n), 0);
    assert_int_equal(n, 98304);
    assert_int_equal(permute_space(1ULL << 32, 1ULL << 32, &n), -EOVERFLOW);
    assert_int_equal(permute_space(UINT64_MAX, 1, &n), 0);
    assert_int_equal(n, UINT64_MAX);
    assert_int_equal(permute_space(0, 100, &n), 0);
    assert_int_equal(n, 0);
}

static void test_parse_shard(void **state)
{
    uint32_t i = 99, n = 99;
    char err[128];
    assert_int_equal(permute_parse_shard("1/4", &i, &n, err, sizeof(err)), 0);
    assert_true(i == 0 && n == 4);
    assert_int_equal(permute_parse_shard("4/4", &i, &n, err, sizeof(err)), 0);
    assert_true(i == 3 && n == 4);
    assert_int_equal(permute_parse_shard("1/1", &i, &n, err, sizeof(err)), 0);
    assert_true(i == 0 && n == 1);
    assert_int_equal(permute_parse_shard("4294967295/4294967295", &i, &n, err, sizeof(err)), 0);
    assert_true(i == 4294967294u && n == 4294967295u);

    static const char *const bad[] = {
        "0/4",  "5/4",   "a/b",  "1/0",          "",
        "1",    "1/",    "/4",   "1/4x",         "-1/4",
        " 1/4", "1/4/2", "+1/4", "1/4294967296", "99999999999/1",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        err[0] = '\0';
        i = n = 77;
        if (permute_parse_shard(bad[k], &i, &n, err, sizeof(err)) != -1)
            fail_msg("'%s' accepted", bad[k]);
        assert_true(i == 77 && n == 77);
        assert_non_null(strstr(err, "--shard"));
    }
    permute_parse_shard("0/4", &i, &n, err, sizeof(err));
    assert_non_null(strstr(err, "numbered from 1"));
    permute_parse_shard("5/4", &i, &n, err, sizeof(err));
    assert_non_null(strstr(err, "shard 5 is past"));
    permute_parse_shard("1/0", &i, &n, err, sizeof(err));
    assert_non_null(strstr(err, "at least 1"));
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void test_benchmark(void **state)
{
    /* Informational only: no assertion on time (sanitizer builds are slow,
     * machines are shared). Best of several runs. */
    static const uint64_t ns[] = {65535, 98304, 1ULL << 32, UINT64_MAX};
#ifdef __OPTIMIZE__
    enum { OPS = 100000, RUNS = 3 };
#else
    enum { OPS = 10000, RUNS = 1 }; /* -O0 figures mean nothing; keep it short */
#endif
    volatile uint64_t sink = 0;
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
        struct permute p;
        double one = 1e300, inv = 1e300, batch = 1e300;
        assert_int_equal(permute_init(&p, ns[k], 1), 0);
        for (int run = 0; run < RUNS; run++) {
            double t0 = now_ns();
            for (uint64_t i = 0; i < OPS; i++)
                sink += permute_map(&p, i);
            double t1 = now_ns();
            one = (t1 - t0) / OPS < one ? (t1 - t0) / OPS : one;

            t0 = now_ns();
            for (uint64_t i = 0; i < OPS; i++)
                sink += permute_unmap(&p, i);
            t1 = now_ns();
            inv = (t1 - t0) / OPS < inv ? (t1 - t0) / OPS : inv;

            struct permute_iter it;
            uint64_t buf[PERMUTE_BATCH];
            size_t got, done = 0;
            permute_iter_init(&it, &p, 0, 1);
            t0 = now_ns();
            while (done < OPS && (got = permute_iter_next_batch(&it, buf, PERMUTE_BATCH)) > 0) {
                for (size_t j = 0; j < got; j++)
                    sink += buf[j];
                done += got;
            }
            t1 = now_ns();
            batch = (t1 - t0) / done < batch ? (t1 - t0) / done : batch;
        }
        printf("n=%llu: permute_map %.1f ns/op, permute_unmap %.1f ns/op, "
               "permute_iter_next_batch %.1f ns/value\n",
               (unsigned long long)ns[k], one, inv, batch);
    }
    (void)sink;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bijection_every_n_to_2000),
        cmocka_unit_test(test_bijection_squares_and_neighbours),
        cmocka_unit_test(test_large_n),
        cmocka_unit_test(test_large_n_halves),
        cmocka_unit_test(test_halves_power_of_two),
        cmocka_unit_test(test_unmap_inverse),
        cmocka_unit_test(test_shards_partition),
        cmocka_unit_test(test_thread_subshards_equal_shard),
        cmocka_unit_test(test_iter_seek_resumes),
        cmocka_unit_test(test_iter_near_uint64_max),
        cmocka_unit_test(test_batch_matches_single),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_quality_one_host_all_ports),
        cmocka_unit_test(test_quality_hosts_change),
        cmocka_unit_test(test_quality_coverage),
        cmocka_unit_test(test_split_and_space),
        cmocka_unit_test(test_parse_shard),
        cmocka_unit_test(test_benchmark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
