/*
 * test_packet.c — TCP probe templates and checksums (net/packet.h).
 * Checksums are verified with a naive routine written here from RFC 1071,
 * over an explicitly assembled pseudo-header, independent of packet.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/packet.h"
#include "net/packet_icmp.h"
#include "net/packet_udp.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t DST_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t SRC_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071, the obvious way: 32-bit sum of big-endian words, fold, invert. */
static uint16_t naive_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)(p[i] << 8) + (i + 1 < len ? p[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Checksum of a TCP segment over an assembled pseudo-header. */
static uint16_t naive_tcp_csum(int family, const uint8_t *src, const uint8_t *dst,
                               const uint8_t *seg, size_t len)
{
    uint8_t buf[2048];
    size_t n = 0;

    if (family == AF_INET) { /* RFC 9293 §3.1 */
        memcpy(buf, src, 4);
        memcpy(buf + 4, dst, 4);
        buf[8] = 0;
        buf[9] = IPPROTO_TCP;
        buf[10] = (uint8_t)(len >> 8);
        buf[11] = (uint8_t)len;
        n = 12;
    } else { /* RFC 8200 §8.1 */
        memcpy(buf, src, 16);
        memcpy(buf + 16, dst, 16);
        buf[32] = (uint8_t)(len >> 24);
        buf[33] = (uint8_t)(len >> 16);
        buf[34] = (uint8_t)(len >> 8);
        buf[35] = (uint8_t)len;
        buf[36] = buf[37] = buf[38] = 0;
        buf[39] = IPPROTO_TCP;
        n = 40;
    }
    memcpy(buf + n, seg, len);
    return naive_csum(buf, n + len);
}

static struct ipaddr addr(const char *s)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

static void test_csum_rfc1071_example(void **state)
{
    /* RFC 1071 §3 example: the sum of these words is ddf2. */
    static const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(pkt_csum_add(0, d, sizeof(d)), 0xddf2);
    assert_int_equal(pkt_csum_fold(0xddf2), 0x220d);
    /* Chained pieces sum the same as one. */
    assert_int_equal(pkt_csum_add(pkt_csum_add(0, d, 4), d + 4, 4), 0xddf2);
    /* A well-known IPv4 header with checksum b861. */
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(pkt_ipv4_checksum(h, sizeof(h)), 0);
    h[10] = h[11] = 0;
    assert_int_equal(pkt_ipv4_checksum(h, sizeof(h)), 0xb861);
}

static void test_csum_random_vs_naive(void **state)
{
    uint8_t d[1501];
    srand(1);
    for (int round = 0; round < 200; round++) {
        size_t len = (size_t)rand() % sizeof(d);
        for (size_t i = 0; i < len; i++)
            d[i] = (uint8_t)rand();
        if (round == 0)
            memset(d, 0xff, len);
        assert_int_equal(pkt_csum_fold(pkt_csum_add(0, d, len)), naive_csum(d, len));
    }
}

static void test_csum_update_rfc1624(void **state)
{
    uint8_t d[64], old[8];
    srand(2);
    for (int round = 0; round < 500; round++) {
        for (size_t i = 0; i < sizeof(d); i++)
            d[i] = (uint8_t)rand();
        uint16_t c = naive_csum(d, sizeof(d));
        size_t off = 2 * ((size_t)rand() % 28);
        memcpy(old, d + off, 8);
        for (size_t i = 0; i < 8; i++)
            d[off + i] = (uint8_t)rand();
        if (round == 1)
            memset(d + off, 0, 8);
        uint16_t inc = pkt_csum_update(c, old, d + off, 8);
        assert_int_equal(inc, naive_csum(d, sizeof(d)));
    }
}

static struct pkt_tcp_params syn_params(uint8_t family, bool eth)
{
    struct pkt_tcp_params p = {0};
    p.family = family;
    p.eth = eth;
    memcpy(p.dst_mac, DST_MAC, 6);
    memcpy(p.src_mac, SRC_MAC, 6);
    p.ip.ttl = 64;
    p.tcp_flags = PKT_TCP_SYN;
    p.window = 1024;
    p.tcp_options = (const uint8_t *)PKT_TCP_OPT_MSS1460;
    p.tcp_options_len = 4;
    return p;
}

static void test_v4_syn_every_field(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = syn_params(AF_INET, true);
    struct pkt_tcp_probe pr = {.src = addr("192.0.2.1"),
                               .dst = addr("198.51.100.7"),
                               .sport = 40000,
                               .dport = 80,
                               .seq = 0xdeadbeef,
                               .ack = 0,
                               .ip_id = 0x1234};
    uint8_t buf[128];

    prm.ip.dont_fragment = true;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(pkt_make(t, buf, sizeof(buf), &pr), 14 + 20 + 24);

    /* Ethernet */
    assert_memory_equal(buf, DST_MAC, 6);
    assert_memory_equal(buf + 6, SRC_MAC, 6);
    assert_int_equal(rd16(buf + 12), 0x0800);
    /* IPv4 */
    const uint8_t *ip = buf + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(ip[1], 0);
    assert_int_equal(rd16(ip + 2), 44);
    assert_int_equal(rd16(ip + 4), 0x1234);
    assert_int_equal(rd16(ip + 6), 0x4000);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], IPPROTO_TCP);
    assert_memory_equal(ip + 12, "\xc0\x00\x02\x01", 4);
    assert_memory_equal(ip + 16, "\xc6\x33\x64\x07", 4);
    assert_int_equal(naive_csum(ip, 20), 0);
    uint8_t hdr[20];
    memcpy(hdr, ip, 20);
    hdr[10] = hdr[11] = 0;
    assert_int_equal(rd16(ip + 10), naive_csum(hdr, 20));
    /* TCP */
    const uint8_t *tcp = ip + 20;
    assert_int_equal(rd16(tcp), 40000);
    assert_int_equal(rd16(tcp + 2), 80);
    assert_int_equal(rd32(tcp + 4), 0xdeadbeef);
    assert_int_equal(rd32(tcp + 8), 0);
    assert_int_equal(tcp[12], 6 << 4);
    assert_int_equal(tcp[13], PKT_TCP_SYN);
    assert_int_equal(rd16(tcp + 14), 1024);
    assert_int_equal(rd16(tcp + 18), 0);
    assert_memory_equal(tcp + 20, "\x02\x04\x05\xb4", 4);
    assert_int_equal(naive_tcp_csum(AF_INET, ip + 12, ip + 16, tcp, 24), 0);
    uint8_t seg[24];
    memcpy(seg, tcp, 24);
    seg[16] = seg[17] = 0;
    assert_int_equal(rd16(tcp + 16), naive_tcp_csum(AF_INET, ip + 12, ip + 16, seg, 24));
    /* The library's verifier agrees. */
    assert_int_equal(pkt_l4_checksum(&pr.src, &pr.dst, IPPROTO_TCP, tcp, 24), 0);
    free(t);
}

static void test_v6_syn_every_field(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = syn_params(AF_INET6, false);
    struct pkt_tcp_probe pr = {.src = addr("2001:db8::1"),
                               .dst = addr("2001:db8:ffff::8000:1"),
                               .sport = 61000,
                               .dport = 443,
                               .seq = 0x01020304,
                               .ack = 0xa0b0c0d0};
    uint8_t buf[128];

    prm.ip.ttl = 255;
    prm.ip.tos = 0xb8; /* DSCP EF: traffic class spans the first two bytes */
    prm.tcp_flags = PKT_TCP_SYN | PKT_TCP_ECE | PKT_TCP_CWR;
    prm.window = 65535;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(pkt_make(t, buf, sizeof(buf), &pr), 40 + 24);

    assert_int_equal(buf[0], 0x6b);
    assert_int_equal(buf[1], 0x80);
    assert_int_equal(buf[2], 0);
    assert_int_equal(buf[3], 0);
    assert_int_equal(rd16(buf + 4), 24);
    assert_int_equal(buf[6], IPPROTO_TCP);
    assert_int_equal(buf[7], 255);
    assert_memory_equal(buf + 8, pr.src.bytes, 16);
    assert_memory_equal(buf + 24, pr.dst.bytes, 16);
    const uint8_t *tcp = buf + 40;
    assert_int_equal(rd16(tcp), 61000);
    assert_int_equal(rd16(tcp + 2), 443);
    assert_int_equal(rd32(tcp + 4), 0x01020304);
    assert_int_equal(rd32(tcp + 8), 0xa0b0c0d0);
    assert_int_equal(tcp[12], 6 << 4);
    assert_int_equal(tcp[13], 0xc2);
    assert_int_equal(rd16(tcp + 14), 65535);
    assert_int_equal(naive_tcp_csum(AF_INET6, buf + 8, buf + 24, tcp, 24), 0);
    assert_int_equal(pkt_l4_checksum(&pr.src, &pr.dst, IPPROTO_TCP, tcp, 24), 0);
    free(t);
}

/* Options that are not a multiple of 4, an odd payload, no options. */
static void test_options_padding_and_payload(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = syn_params(AF_INET, false);
    static const uint8_t opts[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08}; /* 7 bytes */
    static const uint8_t payload[] = "hello";                                 /* 5 bytes + NUL */
    struct pkt_tcp_probe pr = {.src = addr("10.0.0.1"),
                               .dst = addr("10.0.0.2"),
                               .sport = 1,
                               .dport = 2,
                               .seq = 3,
                               .ack = 4,
                               .ip_id = 5};
    uint8_t buf[256];

    prm.tcp_options = opts;
    prm.tcp_options_len = sizeof(opts) - 1; /* 6 bytes, padded to 8 */
    prm.ip.payload = payload;
    prm.ip.payload_len = 5;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    int n = pkt_make(t, buf, sizeof(buf), &pr);
    assert_int_equal(n, 20 + 20 + 8 + 5);
    assert_int_equal(buf[20 + 12], 7 << 4);
    assert_memory_equal(buf + 40, opts, 6);
    assert_int_equal(buf[46], 0);
    assert_int_equal(buf[47], 0);
    assert_memory_equal(buf + 48, "hello", 5);
    assert_int_equal(naive_csum(buf, 20), 0);
    assert_int_equal(naive_tcp_csum(AF_INET, buf + 12, buf + 16, buf + 20, 33), 0);

    /* masscan-style: no options at all. */
    prm.tcp_options = NULL;
    prm.tcp_options_len = 0;
    prm.ip.payload = NULL;
    prm.ip.payload_len = 0;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(pkt_make(t, buf, sizeof(buf), &pr), 40);
    assert_int_equal(buf[32], 5 << 4);
    assert_int_equal(naive_tcp_csum(AF_INET, buf + 12, buf + 16, buf + 20, 20), 0);
    free(t);
}

/* Patching a used buffer gives the same bytes as building afresh. */
static void test_patch_reuses_buffer(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    uint8_t slot[128], fresh[128];

    srand(3);
    for (int fam = 0; fam < 2; fam++) {
        struct pkt_tcp_params prm = syn_params(fam ? AF_INET6 : AF_INET, fam == 0);
        assert_int_equal(pkt_template_init(t, &prm), 0);
        memcpy(slot, t->frame, t->len);
        for (int i = 0; i < 300; i++) {
            struct pkt_tcp_probe pr = {0};
            pr.src.family = pr.dst.family = prm.family;
            for (int b = 0; b < (fam ? 16 : 4); b++) {
                pr.src.bytes[b] = (uint8_t)rand();
                pr.dst.bytes[b] = (uint8_t)rand();
            }
            pr.sport = (uint16_t)rand();
            pr.dport = (uint16_t)rand();
            pr.seq = (uint32_t)rand() << 1 ^ (uint32_t)rand();
            pr.ack = (uint32_t)rand() << 1 ^ (uint32_t)rand();
            pr.ip_id = (uint16_t)rand();
            if (i == 0)
                memset(pr.src.bytes, 0xff, 16); /* all-ones words */
            if (fam == 0)
                memset(pr.src.bytes + 4, 0, 12);
            if (fam == 0)
                memset(pr.dst.bytes + 4, 0, 12);
            assert_int_equal(pkt_patch(t, slot, &pr), t->len);
            assert_int_equal(pkt_make(t, fresh, sizeof(fresh), &pr), t->len);
            assert_memory_equal(slot, fresh, t->len);
            const uint8_t *ip = slot + t->l3_off, *tcp = slot + t->l4_off;
            size_t seglen = t->len - t->l4_off;
            if (fam == 0) {
                assert_int_equal(naive_csum(ip, 20), 0);
                assert_int_equal(naive_tcp_csum(AF_INET, ip + 12, ip + 16, tcp, seglen), 0);
            } else {
                assert_int_equal(naive_tcp_csum(AF_INET6, ip + 8, ip + 24, tcp, seglen), 0);
            }
        }
    }
    free(t);
}

static void test_badsum(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = syn_params(AF_INET, false);
    struct pkt_tcp_probe pr = {.src = addr("10.1.1.1"), .dst = addr("10.2.2.2"), .dport = 22};
    uint8_t good[64], bad[64];

    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(pkt_make(t, good, sizeof(good), &pr), 44);
    prm.badsum = true;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    srand(4);
    for (int i = 0; i < 1000; i++) {
        pr.seq = (uint32_t)rand();
        pr.sport = (uint16_t)rand();
        assert_int_equal(pkt_make(t, bad, sizeof(bad), &pr), 44);
        assert_int_equal(naive_csum(bad, 20), 0); /* IP header stays valid */
        assert_int_not_equal(naive_tcp_csum(AF_INET, bad + 12, bad + 16, bad + 20, 24), 0);
    }
    pr.seq = 0;
    pr.sport = 0;
    assert_int_equal(pkt_make(t, bad, sizeof(bad), &pr), 44);
    assert_int_equal(rd16(bad + 36), rd16(good + 36) ^ 1);
    free(t);
}

static void test_errors(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = syn_params(AF_INET, true);
    struct pkt_tcp_probe pr = {.src = addr("10.0.0.1"), .dst = addr("10.0.0.2")};
    uint8_t buf[PKT_MAX_FRAME + 1];
    static uint8_t big[PKT_MAX_FRAME];

    assert_int_equal(pkt_template_init(t, &prm), 0);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(pkt_make(t, buf, 57, &pr), -1); /* needs 58 */
    assert_int_equal(buf[0], 0xaa);                  /* untouched */
    assert_int_equal(pkt_make(t, buf, 58, &pr), 58);
    pr.dst = addr("::1"); /* family mismatch */
    assert_int_equal(pkt_make(t, buf, sizeof(buf), &pr), -1);
    assert_int_equal(pkt_patch(t, buf, &pr), -1);

    prm.family = AF_UNIX;
    assert_int_equal(pkt_template_init(t, &prm), -1);
    prm = syn_params(AF_INET, true);
    prm.tcp_options = big;
    prm.tcp_options_len = PKT_TCP_OPT_MAX + 1;
    assert_int_equal(pkt_template_init(t, &prm), -1);
    prm.tcp_options_len = PKT_TCP_OPT_MAX;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(t->frame[t->l4_off + 12], 15 << 4);
    prm.ip.payload = big;
    prm.ip.payload_len = PKT_MAX_FRAME - 14 - 20 - 60 + 1;
    assert_int_equal(pkt_template_init(t, &prm), -1);
    prm.ip.payload_len--;
    assert_int_equal(pkt_template_init(t, &prm), 0);
    assert_int_equal(t->len, PKT_MAX_FRAME);
    prm.ip.payload = NULL;
    assert_int_equal(pkt_template_init(t, &prm), -1);
    free(t);
}

/*
 * struct ip_settings is one struct for every builder: a fixed IP ID goes
 * into every TCP, UDP and ICMP probe (checksum still right); IPv4 options,
 * a source of the other family and UDP extra data are refused by all.
 */
static void test_ip_settings(void **state)
{
    (void)state;
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_udp_template ut;
    struct pkt_icmp_template it;
    uint8_t buf[256];
    struct ipaddr s4 = addr("10.0.0.1"), d4 = addr("10.0.0.2");

    struct pkt_tcp_params tp = syn_params(AF_INET, false);
    struct pkt_udp_params up = {.family = AF_INET};
    struct pkt_icmp_params ip = {.family = AF_INET, .kind = PKT_ICMP_KIND_ECHO};
    struct ip_settings st = {.ttl = 9, .ip_id_fixed = true, .ip_id = 0xabcd, .src = s4};
    tp.ip = up.ip = ip.ip = st;
    assert_int_equal(pkt_template_init(t, &tp), 0);
    assert_int_equal(pkt_udp_template_init(&ut, &up), 0);
    assert_int_equal(pkt_icmp_template_init(&it, &ip), 0);
    struct pkt_tcp_probe tpr = {.src = s4, .dst = d4, .sport = 1, .dport = 2, .ip_id = 7};
    struct pkt_udp_probe upr = {.src = s4, .dst = d4, .sport = 1, .dport = 2, .ip_id = 7};
    struct pkt_icmp_probe ipr = {.src = s4, .dst = d4, .id = 1, .seq = 2, .ip_id = 7};
    int n[3];
    for (int k = 0; k < 3; k++) {
        if (k == 1)
            n[k] = pkt_udp_make(&ut, buf, sizeof(buf), &upr);
        else if (k == 2)
            n[k] = pkt_icmp_make(&it, buf, sizeof(buf), &ipr);
        else
            n[k] = pkt_make(t, buf, sizeof(buf), &tpr);
        assert_true(n[k] > 20);
        assert_int_equal(buf[4] << 8 | buf[5], 0xabcd); /* not the probe's 7 */
        assert_int_equal(buf[8], 9);
        assert_int_equal(pkt_ipv4_checksum(buf, 20), 0);
    }
    /* Not fixed: the probe's own. */
    tp.ip.ip_id_fixed = false;
    assert_int_equal(pkt_template_init(t, &tp), 0);
    assert_true(pkt_make(t, buf, sizeof(buf), &tpr) > 0);
    assert_int_equal(buf[4] << 8 | buf[5], 7);
    assert_int_equal(pkt_ipv4_checksum(buf, 20), 0);

    static const uint8_t nop[4] = {1, 1, 1, 0};
    for (int k = 0; k < 3; k++) {
        struct ip_settings bad = st;
        if (k == 0) {
            bad.ip_options = nop;
            bad.ip_options_len = 4;
        } else if (k == 1) {
            bad.src = addr("::1");
        } else {
            bad.payload_len = 3; /* no pointer */
        }
        tp.ip = up.ip = ip.ip = bad;
        assert_int_equal(pkt_template_init(t, &tp), -1);
        assert_int_equal(pkt_udp_template_init(&ut, &up), -1);
        assert_int_equal(pkt_icmp_template_init(&it, &ip), -1);
    }
    up.ip = st;
    up.ip.payload = nop;
    up.ip.payload_len = 4; /* UDP payloads are per probe */
    assert_int_equal(pkt_udp_template_init(&ut, &up), -1);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csum_rfc1071_example),
        cmocka_unit_test(test_csum_random_vs_naive),
        cmocka_unit_test(test_csum_update_rfc1624),
        cmocka_unit_test(test_v4_syn_every_field),
        cmocka_unit_test(test_v6_syn_every_field),
        cmocka_unit_test(test_options_padding_and_payload),
        cmocka_unit_test(test_patch_reuses_buffer),
        cmocka_unit_test(test_badsum),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_ip_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
