/* permute.c — keyed Feistel bijection on [0, n) with cycle walking, and
 * shards of it; see permute.h for the design and its sources. */
#include "core/permute.h"

#include <errno.h>
#include <stdio.h>

/* splitmix64's finaliser (Steele, Lea & Flood 2014): spreads a 64-bit seed
 * into well-mixed key words, so seeds 1, 2, 3... give unrelated keys. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* High 64 bits of x·m: maps a uniform 64-bit x to [0, m) without a
 * division (Lemire, "Fast random integer generation in an interval"). */
static inline uint64_t reduce(uint64_t x, uint64_t m)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)(((u128)x * m) >> 64);
#else
    uint64_t xl = x & 0xffffffffu, xh = x >> 32, ml = m & 0xffffffffu, mh = m >> 32;
    uint64_t ll = xl * ml, lh = xl * mh, hl = xh * ml, hh = xh * mh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

/* (x + y) mod m for x, y < m, correct even when x + y wraps past 2^64. */
static inline uint64_t addmod(uint64_t x, uint64_t y, uint64_t m)
{
    uint64_t s = x + y;
    return (s < x || s >= m) ? s - m : s;
}

/* Round function: a PRF of (round, half) into [0, m). half < 2^32 always
 * (both a and b are at most 2^32), so the round number fits above it. */
static inline uint64_t round_fn(const struct permute *p, unsigned round, uint64_t half, uint64_t m)
{
    return reduce(siphash24_u64(&p->key, half | (uint64_t)round << 40), m);
}

/* floor(sqrt(n)) by bisection on [0, 2^32): exact, no floating point. */
static uint64_t isqrt64(uint64_t n)
{
    uint64_t lo = 0, hi = 0xffffffffULL;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2; /* mid <= 2^32-1: mid² fits */
        if (mid * mid <= n)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

int permute_init(struct permute *p, uint64_t n, uint64_t seed)
{
    if (n == 0)
        return -EINVAL;
    uint64_t a = isqrt64(n);
    if (a * a < n) /* a <= 2^32-1 here, so a² does not wrap */
        a++;
    p->n = n;
    p->a = a;
    p->b = n / a + (n % a != 0);
    p->nq = n / a;
    p->nr = n % a;
    p->key.k0 = mix64(seed);
    p->key.k1 = mix64(seed ^ 0x9e3779b97f4a7c15ULL);
    return 0;
}

/* One encryption of k pairs (l[j], r[j]) = values r·a + l, rounds outer
 * and lanes inner so that the k independent SipHash chains overlap in the
 * CPU instead of running back to back. The rounds alternate moduli so the
 * halves swap domains twice and end where they started: l < a, r < b. */
static inline void encrypt(const struct permute *p, uint64_t *l, uint64_t *r, size_t k)
{
    const uint64_t a = p->a, b = p->b;
    for (unsigned i = 0; i < PERMUTE_ROUNDS; i += 2) {
        for (size_t j = 0; j < k; j++) {
            uint64_t t = addmod(l[j], round_fn(p, i, r[j], a), a); /* l < a, r < b */
            l[j] = r[j];
            r[j] = t;
        }
        for (size_t j = 0; j < k; j++) {
            uint64_t t = addmod(l[j], round_fn(p, i + 1, r[j], b), b); /* l < b, r < a */
            l[j] = r[j];
            r[j] = t;
        }
    }
}

static inline bool in_range(const struct permute *p, uint64_t l, uint64_t r)
{
    return r < p->nq || (r == p->nq && l < p->nr);
}

uint64_t permute_map(const struct permute *p, uint64_t index)
{
    if (index >= p->n) /* caller bug; keep the promise "result < n" */
        index %= p->n;
    uint64_t l = index % p->a, r = index / p->a;
    /* Cycle walking: re-encrypt until the value lands in [0, n). */
    do
        encrypt(p, &l, &r, 1);
    while (!in_range(p, l, r));
    return r * p->a + l;
}

/* (x - y) mod m for x, y < m. */
static inline uint64_t submod(uint64_t x, uint64_t y, uint64_t m)
{
    return x >= y ? x - y : x + (m - y);
}

/* encrypt() backwards: each round (l, r) -> (r, l + F(r)) is undone by
 * (L, R) -> (R - F(L), L), rounds and moduli in reverse order. */
static inline void decrypt(const struct permute *p, uint64_t *l, uint64_t *r)
{
    const uint64_t a = p->a, b = p->b;
    for (int i = PERMUTE_ROUNDS - 2; i >= 0; i -= 2) {
        uint64_t pl = submod(*r, round_fn(p, (unsigned)i + 1, *l, b), b); /* l < a, r < b */
        *r = *l;
        *l = pl;
        pl = submod(*r, round_fn(p, (unsigned)i, *l, a), a);
        *r = *l;
        *l = pl;
    }
}

uint64_t permute_unmap(const struct permute *p, uint64_t value)
{
    if (value >= p->n)
        value %= p->n;
    uint64_t l = value % p->a, r = value / p->a;
    /* The inverse of a cycle-walked cipher walks the inverse cipher. */
    do
        decrypt(p, &l, &r);
    while (!in_range(p, l, r));
    return r * p->a + l;
}

/* permute_map of k <= PERMUTE_BATCH indices, interleaved. */
static void map_batch(const struct permute *p, const uint64_t *in, uint64_t *out, size_t k)
{
    uint64_t l[PERMUTE_BATCH], r[PERMUTE_BATCH];
    for (size_t j = 0; j < k; j++) {
        l[j] = in[j] % p->a;
        r[j] = in[j] / p->a;
    }
    encrypt(p, l, r, k);
    for (size_t j = 0; j < k; j++) {
        while (!in_range(p, l[j], r[j])) /* rare: fraction < 1/sqrt(n) */
            encrypt(p, &l[j], &r[j], 1);
        out[j] = r[j] * p->a + l[j];
    }
}

int permute_space(uint64_t naddrs, uint64_t nports, uint64_t *n)
{
    if (nports != 0 && naddrs > UINT64_MAX / nports)
        return -EOVERFLOW;
    *n = naddrs * nports;
    return 0;
}

void permute_iter_init(struct permute_iter *it, const struct permute *p, uint32_t shard,
                       uint32_t nshards)
{
    it->p = p;
    it->shard = shard;
    it->nshards = nshards;
    it->pos = 0;
    it->next = shard;
    if (nshards == 0 || shard >= nshards || shard >= p->n)
        it->count = 0;
    else
        it->count = (p->n - 1 - shard) / nshards + 1;
}

bool permute_iter_next(struct permute_iter *it, uint64_t *out)
{
    if (it->pos >= it->count)
        return false;
    *out = permute_map(it->p, it->next);
    /* The last index of the shard is < n, so the step never wraps while
     * values remain; after the last one, next is not used again. */
    if (++it->pos < it->count)
        it->next += it->nshards;
    return true;
}

void permute_iter_seek(struct permute_iter *it, uint64_t pos)
{
    if (pos >= it->count) {
        it->pos = it->count;
        return;
    }
    it->pos = pos;
    it->next = it->shard + pos * it->nshards; /* < n: no wrap */
}

size_t permute_iter_next_batch(struct permute_iter *it, uint64_t *out, size_t max)
{
    uint64_t idx[PERMUTE_BATCH];
    size_t k = 0;
    while (k < max && k < PERMUTE_BATCH && it->pos < it->count) {
        idx[k++] = it->next;
        if (++it->pos < it->count)
            it->next += it->nshards;
    }
    if (k > 0)
        map_batch(it->p, idx, out, k);
    return k;
}

/* Parse a decimal uint32 of the whole [s, end) with no sign or blanks.
 * Returns 0, or -1 if empty, not all digits, or > UINT32_MAX. */
static int parse_u32(const char *s, const char *end, uint32_t *out)
{
    uint64_t v = 0;
    if (s == end)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int permute_parse_shard(const char *text, uint32_t *shard, uint32_t *nshards, char *err,
                        size_t errlen)
{
    const char *slash = text;
    while (*slash && *slash != '/')
        slash++;
    const char *end = slash;
    while (*end)
        end++;
    uint32_t i, n;
    if (*slash != '/' || parse_u32(text, slash, &i) < 0 || parse_u32(slash + 1, end, &n) < 0) {
        snprintf(err, errlen, "bad --shard '%s': expected i/n with 1 <= i <= n, such as 1/4", text);
        return -1;
    }
    if (n == 0) {
        snprintf(err, errlen, "bad --shard '%s': the number of shards must be at least 1", text);
        return -1;
    }
    if (i == 0) {
        snprintf(err, errlen, "bad --shard '%s': shards are numbered from 1 (1/%u .. %u/%u)", text,
                 n, n, n);
        return -1;
    }
    if (i > n) {
        snprintf(err, errlen, "bad --shard '%s': shard %u is past the last one, %u", text, i, n);
        return -1;
    }
    *shard = i - 1;
    *nshards = n;
    return 0;
}
