/*
 * siphash.h — SipHash-2-4, a keyed 64-bit pseudo-random function.
 *
 * Source: J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast short-input
 * PRF" (INDOCRYPT 2012), and the reference implementation's test vectors
 * (key 00..0f, message 00..len-1). 128-bit key, 64-bit output, 2
 * compression rounds per 8-byte block and 4 finalisation rounds.
 *
 * prtip uses it where it needs a keyed hash that an outsider cannot predict
 * without the per-scan key: the Feistel rounds of the scan-order
 * permutation (core/permute.h) and the TCP sequence/source-port cookies of
 * the stateless scans. It is a PRF, not a collision-resistant digest.
 */
#ifndef PRTIP_CORE_SIPHASH_H
#define PRTIP_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 128-bit key as two 64-bit halves: k0 is key bytes 0..7 and k1 bytes
 * 8..15, each read little-endian (as the paper defines them). */
struct siphash_key {
    uint64_t k0, k1;
};

/* Build a key from its 16-byte wire form (little-endian halves, as above). */
void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[16]);

/* SipHash-2-4 of len bytes at data (data may be NULL when len is 0). The
 * result is the 64-bit value whose little-endian bytes are the reference
 * implementation's output. Never fails. */
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/* Internals shared by siphash.c and the inline fast path below. */
static inline uint64_t siphash_rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b)); /* b in 1..63 */
}

/* One SipRound (the paper's figure 2.1) on the state v[0..3]. */
static inline void siphash_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = siphash_rotl(v[1], 13) ^ v[0];
    v[0] = siphash_rotl(v[0], 32);
    v[2] += v[3];
    v[3] = siphash_rotl(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = siphash_rotl(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = siphash_rotl(v[1], 17) ^ v[2];
    v[2] = siphash_rotl(v[2], 32);
}

/*
 * SipHash-2-4 of one 64-bit word, equal to siphash24() of its 8
 * little-endian bytes, without the byte loop. Inline because it is on the
 * per-probe path (the permutation's rounds, cookies over packed fields):
 * callers that hash several independent words in a loop get their chains
 * interleaved by the compiler, which a call per word prevents.
 */
static inline uint64_t siphash24_u64(const struct siphash_key *key, uint64_t m)
{
    uint64_t v[4] = {key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
                     key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL};
    const uint64_t last = (uint64_t)8 << 56; /* empty final block, length 8 */

    v[3] ^= m;
    siphash_round(v);
    siphash_round(v);
    v[0] ^= m;
    v[3] ^= last;
    siphash_round(v);
    siphash_round(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

#endif
