/* siphash.c — SipHash-2-4 (Aumasson & Bernstein, 2012); see siphash.h.
 * The rounds and the one-word fast path are inline in the header. */
#include "core/siphash.h"

/* Little-endian load of n <= 8 bytes, independent of host byte order and
 * alignment. */
static uint64_t load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[16])
{
    key->k0 = load_le(bytes, 8);
    key->k1 = load_le(bytes + 8, 8);
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
    /* Initialisation constants: "somepseudorandomlygeneratedbytes". */
    uint64_t v[4] = {key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
                     key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL};
    const uint8_t *p = data;
    size_t left = len;

    /* Compression: two SipRounds per 8-byte little-endian block. */
    for (; left >= 8; p += 8, left -= 8) {
        uint64_t m = load_le(p, 8);
        v[3] ^= m;
        siphash_round(v);
        siphash_round(v);
        v[0] ^= m;
    }

    /* Last block: the 0..7 remaining bytes, with len mod 256 in the top byte. */
    uint64_t b = ((uint64_t)len << 56) | (left ? load_le(p, left) : 0);
    v[3] ^= b;
    siphash_round(v);
    siphash_round(v);
    v[0] ^= b;

    /* Finalisation: four SipRounds. */
    v[2] ^= 0xff;
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
