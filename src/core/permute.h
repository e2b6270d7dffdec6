/*
 * permute.h — the scan order: a keyed pseudo-random bijection on the probe
 * index space [0, n), n = addresses × ports, and shards of it.
 *
 * Design. A 4-round Feistel network on Z_a × Z_b (a·b >= n) with a cheap
 * keyed round function, plus cycle walking for the values in [n, a·b) —
 * masscan's BlackRock idea (crypto-blackrock.c), i.e. Black & Rogaway's
 * generalized Feistel "FE2" with cycle walking from "Ciphers with
 * Arbitrary Finite Domains" (CT-RSA 2002). Chosen over ZMap's cyclic
 * multiplicative group mod a prime ("ZMap: Fast Internet-wide Scanning",
 * USENIX Security 2013) because:
 *   - it works for every n in [1, 2^64-1] (IPv6 ranges × ports exceed 2^32)
 *     with no prime or primitive-root search per n;
 *   - sharding is exact and trivial: shard i of k maps the domain indices
 *     i, i+k, i+2k, ... through the same bijection, so the k shards of one
 *     seed partition [0, n) whatever n and k are, and a position inside a
 *     shard (for --resume) is one integer;
 *   - permute_map() is random access: index -> value with no state.
 * Cycle walking (Black & Rogaway) is what makes a cipher on
 * a·b points a bijection on [0, n): re-encrypt until the result is < n.
 * The cycle through an in-range start always returns to [0, n), so every
 * walk ends, and inverting it walks the inverse cipher the same way.
 *
 * Domain arithmetic. a = 2^k, the smallest power of two with a² >= n,
 * and b = ceil(n / a) <= a. The pair (L, R) encodes the value R·a + L, so
 * splitting an index and joining a result are a mask and a shift, and the
 * rounds modulo a are a mask: no division anywhere in map, unmap or the
 * iterator (a 64-bit DIV costs about as much as a whole round). The rounds
 * modulo b reduce the hash with one multiply-high (Lemire, "Fast random
 * integer generation in an interval", 2019) and add with a compare. The
 * price of a = 2^k over a = ceil(sqrt(n)) is a·b - n < a <= 2·sqrt(n)
 * out-of-range points instead of < sqrt(n): cycle walking still costs on
 * average under 2/sqrt(n) extra encryptions (none when n is a power of
 * two), at most a-1 in the worst case. The walk stays
 * in pair form and tests "R·a + L < n" as (R, L) < (n >> k, n & (a-1)), so
 * nothing overflows although a·b may exceed 2^64.
 *
 * Round function. F_i(x) = mix(x XOR K_i), mix being the splitmix64
 * finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): a bijection of 64-bit words with full
 * avalanche, two multiplies and three xor-shifts. The four round keys K_i
 * come from the seed once, through SipHash-2-4, in permute_init. The order
 * only has to spread probes — look random to the networks being scanned,
 * their rate limiters and IDSs — it is not a secret, so like BlackRock it
 * does not pay for a cryptographic PRF per round (SipHash-2-4 there made
 * each value ~9x as expensive). Luby-Rackoff's 4-round bound assumes a PRF
 * and does not carry over; the statistical tests in
 * tests/unit/test_permute.c (ascending runs, repeated hosts, uniform
 * coverage of early indices) check what the scan relies on instead.
 *
 * Decomposition. The scheduler turns a permuted value x into a probe with
 *     addr_idx = x % naddrs,  port_idx = x / naddrs     (permute_split)
 * i.e. the space is port-major: values 0..naddrs-1 are the first port on
 * every host. Permuted values are already scattered; this layout makes
 * any residual structure (and a sequential walk with the identity order)
 * hit a different host on each successive index instead of one host's
 * ports back to back, which is what rate limiters and IDSs notice.
 *
 * Shards. Machine i of k (1-based on the command line, --shard i/k as in
 * masscan) takes shard i-1 of k. To split one machine's shard s of k over
 * T sender threads, thread t takes shard s + t·k of k·T: the threads'
 * indices are exactly those of shard s of k.
 */
#ifndef PRTIP_CORE_PERMUTE_H
#define PRTIP_CORE_PERMUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERMUTE_ROUNDS 4
/* Values permute_iter_next_batch() computes side by side. */
#define PERMUTE_BATCH 8

/* A bijection on [0, n), fixed by (n, seed). Plain data: copy it freely,
 * share it read-only between threads. */
struct permute {
    uint64_t n;                    /* domain size, >= 1 */
    uint64_t a, b;                 /* Feistel halves: L in [0,a), R in [0,b), a·b >= n */
    uint64_t nq, nr;               /* n / a and n % a: the in-range test on pairs */
    unsigned shift;                /* k = log2(a), 0..32 */
    uint64_t rkey[PERMUTE_ROUNDS]; /* round keys, derived from the seed */
};

/*
 * Build the permutation of [0, n) for seed. The same (n, seed) gives the
 * same order on every machine and every run (shards and --resume rely on
 * it); different seeds give unrelated orders. Returns 0, or -EINVAL if
 * n is 0 (an empty scan has no order; the caller checks first).
 */
int permute_init(struct permute *p, uint64_t n, uint64_t seed);

/*
 * Given an index in [0, n), return the value at that place of the
 * shuffled order, also in [0, n); distinct indices give distinct values
 * (a bijection). index >= n is a caller bug: the result is then
 * unspecified but still < n. Cost: 4 rounds of 2-3 multiplies, no
 * division, no allocation: ~8 ns per call on a 2-vCPU Xeon VM at -O2 when
 * calls are independent (they overlap in the CPU; ~20 ns latency when each
 * index depends on the last value), ~6 ns per value through
 * permute_iter_next_batch; SipHash rounds cost ~65 and ~60 ns there
 * (tests/unit/test_permute.c prints the figures).
 */
uint64_t permute_map(const struct permute *p, uint64_t index);

/*
 * The inverse of permute_map: the index whose value is value (both in
 * [0, n)), so permute_unmap(p, permute_map(p, i)) == i. Same cost as
 * permute_map (the Feistel rounds run backwards, cycle walking included).
 * The raw engine uses it to find where in the send order a reply's probe
 * was (for its send time) and whether a probe belongs to a shard.
 */
uint64_t permute_unmap(const struct permute *p, uint64_t value);

/*
 * n = naddrs × nports, the size of the probe space. Returns 0, or
 * -EOVERFLOW if the product does not fit in 64 bits (an IPv6 /64 with
 * more than one port): the scan must be narrowed.
 */
int permute_space(uint64_t naddrs, uint64_t nports, uint64_t *n);

/* Split a permuted value x in [0, naddrs·nports) into the index of its
 * address (x % naddrs) and of its port (x / naddrs); see the top comment. */
static inline void permute_split(uint64_t x, uint64_t naddrs, uint64_t *addr_idx,
                                 uint64_t *port_idx)
{
    *addr_idx = x % naddrs;
    *port_idx = x / naddrs;
}

/*
 * permute_split() without a division: Lemire, Kaser & Kurz, "Faster
 * Remainder by Direct Computation" (Software: Practice and Experience,
 * 2019). For a divisor d >= 2, M = ceil(2^128 / d) makes the quotient of
 * any 64-bit x the high 64 bits of the 192-bit product M * x — exact for
 * every x and d below 2^64 (their Theorem 1 with N = 64, F = 128) — and
 * the remainder is x - q * d. Two or three multiplies instead of a 64-bit
 * DIV (20-90 cycles, the most expensive instruction of the sender's
 * per-probe path). d = 1 (one address) would need M = 2^128 and is a
 * branch instead. Build once per scan with permute_divisor_init().
 */
__extension__ typedef unsigned __int128 permute_u128;

struct permute_divisor {
    uint64_t d;
    permute_u128 m; /* ceil(2^128 / d), 0 when d == 1 */
};

static inline void permute_divisor_init(struct permute_divisor *pd, uint64_t d)
{
    pd->d = d ? d : 1;
    pd->m = pd->d > 1 ? ~(permute_u128)0 / pd->d + 1 : 0;
}

/* Same results as permute_split(x, pd->d, ...). */
static inline void permute_split_fast(uint64_t x, const struct permute_divisor *pd,
                                      uint64_t *addr_idx, uint64_t *port_idx)
{
    if (pd->d == 1) {
        *addr_idx = 0;
        *port_idx = x;
        return;
    }
    /* High 64 bits of m * x, m split in halves so no product overflows. */
    permute_u128 lo = (permute_u128)(uint64_t)pd->m * x;
    permute_u128 hi = (permute_u128)(uint64_t)(pd->m >> 64) * x;
    uint64_t q = (uint64_t)((hi + (lo >> 64)) >> 64);
    *port_idx = q;
    *addr_idx = x - q * pd->d;
}

/*
 * Iterator over one shard: domain indices shard, shard + nshards, ...
 * (< n), each passed through permute_map(). The shards 0..nshards-1 of one
 * permutation yield every value of [0, n) exactly once between them. Holds
 * no allocation; the permute must outlive it. shard is 0-based; nshards 0
 * or shard >= nshards gives an empty iterator (permute_parse_shard
 * rejects those inputs, so this is only a guard).
 */
struct permute_iter {
    const struct permute *p;
    uint64_t shard, nshards;
    uint64_t pos;   /* values produced so far */
    uint64_t count; /* values this shard produces in total */
    uint64_t next;  /* domain index of value number pos: shard + pos·nshards */
};

void permute_iter_init(struct permute_iter *it, const struct permute *p, uint32_t shard,
                       uint32_t nshards);

/* Store the next value in *out and return true, or return false when the
 * shard is exhausted. */
bool permute_iter_next(struct permute_iter *it, uint64_t *out);

/* Store up to max (at most PERMUTE_BATCH) next values in out[] and return
 * how many, 0 when the shard is exhausted. Same values, same order as
 * repeated permute_iter_next(), but the Feistel chains of the batch run
 * interleaved, for a sender that fills a sendmmsg/TPACKET batch anyway. */
size_t permute_iter_next_batch(struct permute_iter *it, uint64_t *out, size_t max);

/* Jump to value number pos of the shard (0 = the start), for --resume
 * after `pos` values were sent; pos >= count ends the iterator. The
 * current position is it->pos and the shard's size it->count. */
void permute_iter_seek(struct permute_iter *it, uint64_t pos);

/*
 * Parse --shard "i/n": 1-based i with 1 <= i <= n, as masscan's --shard
 * (ZMap's --shard is 0-based; prtip follows masscan because its one flag
 * carries both numbers). Decimal digits only, n <= 2^32-1. On success
 * stores the 0-based shard index i-1 in *shard and n in *nshards, ready
 * for permute_iter_init, and returns 0. Otherwise returns -1 with a
 * one-line message in err naming the input and the rule it broke
 * ("bad --shard '5/4': shard 5 is past the last one, 4").
 */
int permute_parse_shard(const char *text, uint32_t *shard, uint32_t *nshards, char *err,
                        size_t errlen);

#endif
