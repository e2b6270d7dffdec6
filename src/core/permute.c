/* permute.c — keyed Feistel bijection on [0, n) with cycle walking, and
 * shards of it; see permute.h for the design and its sources. */
#include "core/permute.h"

#include "core/siphash.h"

#include <errno.h>
#include <stdio.h>

/* splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit
 * words in which every input bit flips each output bit with probability
 * close to 1/2. It spreads the seed into key words (seeds 1, 2, 3... give
 * unrelated keys) and is the round function's mixer. */
static inline uint64_t mix64(uint64_t z)
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

/* The two kinds of round, x + F_i(h) with x the half being updated and
 * h the other half, fed to the round function. Round "A" is modulo a = 2^k
 * (x < a, h < b): a mask, the low bits of mix64 being as well mixed as the
 * high ones. Round "B" is modulo b (x < b, h < a): reduce() takes the high
 * bits, then one conditional subtraction, as x, F < b <= 2^32 cannot wrap.
 * The *_inv forms return x from y = x + F_i(h). */
static inline uint64_t round_a(uint64_t x, uint64_t h, uint64_t key, uint64_t mask)
{
    return (x + mix64(h ^ key)) & mask;
}

static inline uint64_t round_a_inv(uint64_t y, uint64_t h, uint64_t key, uint64_t mask)
{
    return (y - mix64(h ^ key)) & mask;
}

static inline uint64_t round_b(uint64_t x, uint64_t h, uint64_t key, uint64_t b)
{
    uint64_t s = x + reduce(mix64(h ^ key), b);
    return s >= b ? s - b : s;
}

static inline uint64_t round_b_inv(uint64_t y, uint64_t h, uint64_t key, uint64_t b)
{
    uint64_t f = reduce(mix64(h ^ key), b);
    return y >= f ? y - f : y + (b - f);
}

int permute_init(struct permute *p, uint64_t n, uint64_t seed)
{
    if (n == 0)
        return -EINVAL;
    /* Smallest k with 4^k >= n; n < 2^64 keeps k <= 32 and b <= a. */
    unsigned k = 0;
    while (k < 32 && ((uint64_t)1 << (2 * k)) < n)
        k++;
    uint64_t mask = ((uint64_t)1 << k) - 1;
    p->n = n;
    p->shift = k;
    p->a = mask + 1;
    p->nq = n >> k;
    p->nr = n & mask;
    p->b = p->nq + (p->nr != 0);
    /* Round keys: a PRF of the seed, once per scan, so that the cheap
     * round function still sees unrelated keys for related seeds. */
    struct siphash_key key = {mix64(seed), mix64(seed ^ 0x9e3779b97f4a7c15ULL)};
    for (unsigned i = 0; i < PERMUTE_ROUNDS; i++)
        p->rkey[i] = siphash24_u64(&key, i);
    return 0;
}

_Static_assert(PERMUTE_ROUNDS % 2 == 0, "rounds go in (a, b) pairs, see encrypt1");

/* One encryption of the pair (l, r) = value r·a + l. Written without the
 * Feistel swap: with an even number of rounds, "l += F(r) mod a, then
 * r += F(l) mod b" is the same network, and each half stays in its own
 * domain, l < a and r < b. Scalar and on locals so that the compiler
 * keeps both halves in registers and inlines it whole. */
static inline void encrypt1(const struct permute *p, uint64_t *l, uint64_t *r)
{
    const uint64_t mask = p->a - 1, b = p->b;
    uint64_t x = *l, y = *r;
    for (unsigned i = 0; i < PERMUTE_ROUNDS; i += 2) {
        x = round_a(x, y, p->rkey[i], mask); /* x < a, y < b */
        y = round_b(y, x, p->rkey[i + 1], b);
    }
    *l = x;
    *r = y;
}

/* Keep the per-lane loops scalar: clang's loop vectorizer turns them into
 * SSE2 64-bit multiplies built from 32-bit ones (and the setup loop into
 * shuffles feeding them), which made the batch ~40% slower than one value
 * at a time; GCC at -O2 and -O3 leaves them alone. */
#ifdef __clang__
#define SCALAR_LANES _Pragma("clang loop vectorize(disable)")
#else
#define SCALAR_LANES
#endif

/* encrypt1() of k pairs, rounds outer and lanes inner so that the k
 * independent multiply chains overlap in the CPU instead of running back
 * to back; same result per lane. */
static inline void encrypt(const struct permute *p, uint64_t *l, uint64_t *r, size_t k)
{
    const uint64_t mask = p->a - 1, b = p->b;
    for (unsigned i = 0; i < PERMUTE_ROUNDS; i += 2) {
        SCALAR_LANES
        for (size_t j = 0; j < k; j++)
            l[j] = round_a(l[j], r[j], p->rkey[i], mask);
        SCALAR_LANES
        for (size_t j = 0; j < k; j++)
            r[j] = round_b(r[j], l[j], p->rkey[i + 1], b);
    }
}

/* encrypt1() backwards: each round x += F(y) is undone by x -= F(y),
 * rounds in reverse order. */
static inline void decrypt1(const struct permute *p, uint64_t *l, uint64_t *r)
{
    const uint64_t mask = p->a - 1, b = p->b;
    uint64_t x = *l, y = *r;
    for (int i = PERMUTE_ROUNDS - 2; i >= 0; i -= 2) {
        y = round_b_inv(y, x, p->rkey[i + 1], b);
        x = round_a_inv(x, y, p->rkey[i], mask);
    }
    *l = x;
    *r = y;
}

static inline bool in_range(const struct permute *p, uint64_t l, uint64_t r)
{
    return r < p->nq || (r == p->nq && l < p->nr);
}

uint64_t permute_map(const struct permute *p, uint64_t index)
{
    if (index >= p->n) /* caller bug; keep the promise "result < n" */
        index %= p->n;
    uint64_t l = index & (p->a - 1), r = index >> p->shift;
    /* Cycle walking: re-encrypt until the value lands in [0, n). */
    do
        encrypt1(p, &l, &r);
    while (!in_range(p, l, r));
    return r << p->shift | l;
}

uint64_t permute_unmap(const struct permute *p, uint64_t value)
{
    if (value >= p->n)
        value %= p->n;
    uint64_t l = value & (p->a - 1), r = value >> p->shift;
    /* The inverse of a cycle-walked cipher walks the inverse cipher. */
    do
        decrypt1(p, &l, &r);
    while (!in_range(p, l, r));
    return r << p->shift | l;
}

/* permute_map of k <= PERMUTE_BATCH indices, interleaved. */
static void map_batch(const struct permute *p, const uint64_t *in, uint64_t *out, size_t k)
{
    uint64_t l[PERMUTE_BATCH], r[PERMUTE_BATCH];
    SCALAR_LANES
    for (size_t j = 0; j < k; j++) {
        l[j] = in[j] & (p->a - 1);
        r[j] = in[j] >> p->shift;
    }
    encrypt(p, l, r, k);
    for (size_t j = 0; j < k; j++) {
        while (!in_range(p, l[j], r[j])) /* rare: fraction < 2/sqrt(n) */
            encrypt1(p, &l[j], &r[j]);
        out[j] = r[j] << p->shift | l[j];
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
