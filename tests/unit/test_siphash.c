/* test_siphash.c — SipHash-2-4 against the reference implementation's
 * vectors (Aumasson & Bernstein): key 00..0f, message 00..len-1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/siphash.h"

#include <string.h>

/* vectors_sip64 of the reference vectors.h, bytes read little-endian. */
static const uint64_t vectors[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

static void reference_key(struct siphash_key *key)
{
    uint8_t k[16];
    for (int i = 0; i < 16; i++)
        k[i] = (uint8_t)i;
    siphash_key_from_bytes(key, k);
}

static void test_key_bytes_are_little_endian(void **state)
{
    struct siphash_key key;
    reference_key(&key);
    assert_int_equal(key.k0, 0x0706050403020100ULL);
    assert_int_equal(key.k1, 0x0f0e0d0c0b0a0908ULL);
}

static void test_paper_vector(void **state)
{
    /* The worked example of the paper's appendix A: 15-byte message. */
    struct siphash_key key;
    uint8_t msg[15];
    reference_key(&key);
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    assert_int_equal(siphash24(&key, msg, sizeof(msg)), 0xa129ca6149be45e5ULL);
}

static void test_reference_vectors_len_0_to_63(void **state)
{
    struct siphash_key key;
    uint8_t msg[64];
    reference_key(&key);
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    assert_int_equal(siphash24(&key, NULL, 0), 0x726fdb47dd0e0e31ULL);
    assert_int_equal(siphash24(&key, msg, 1), 0x74f839c593dc67fdULL);
    for (size_t len = 0; len < 64; len++) {
        uint64_t got = siphash24(&key, msg, len);
        if (got != vectors[len])
            fail_msg("len %zu: got %016llx, want %016llx", len, (unsigned long long)got,
                     (unsigned long long)vectors[len]);
    }
}

static void test_unaligned_input(void **state)
{
    struct siphash_key key;
    uint8_t buf[64 + 1];
    reference_key(&key);
    for (int i = 0; i < 64; i++)
        buf[i + 1] = (uint8_t)i;
    for (size_t len = 0; len < 64; len++)
        assert_int_equal(siphash24(&key, buf + 1, len), vectors[len]);
}

static void test_u64_fast_path_matches_bytes(void **state)
{
    struct siphash_key key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    uint64_t m = 0x0706050403020100ULL;
    struct siphash_key ref;
    reference_key(&ref);
    /* Message 00..07 read little-endian is the len-8 reference vector. */
    assert_int_equal(siphash24_u64(&ref, m), vectors[8]);
    for (int i = 0; i < 1000; i++) {
        uint8_t b[8];
        for (int j = 0; j < 8; j++)
            b[j] = (uint8_t)(m >> (8 * j));
        assert_int_equal(siphash24_u64(&key, m), siphash24(&key, b, 8));
        m = m * 6364136223846793005ULL + 1442695040888963407ULL;
    }
}

static void test_key_changes_output(void **state)
{
    struct siphash_key k1 = {1, 2}, k2 = {1, 3};
    assert_true(siphash24_u64(&k1, 42) != siphash24_u64(&k2, 42));
    assert_true(siphash24_u64(&k1, 42) != siphash24_u64(&k1, 43));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_bytes_are_little_endian),
        cmocka_unit_test(test_paper_vector),
        cmocka_unit_test(test_reference_vectors_len_0_to_63),
        cmocka_unit_test(test_unaligned_input),
        cmocka_unit_test(test_u64_fast_path_matches_bytes),
        cmocka_unit_test(test_key_changes_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
