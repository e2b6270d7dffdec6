/* test_packet_udp.c — UDP probe templates (net/packet_udp.h): every probe
 * round-trips through the parser with its fields, its IPv4 header checksum
 * and its UDP checksum (RFC 768 / RFC 8200 §8.1) verify, a zero checksum is
 * sent as 0xFFFF, and --badsum is wrong but never zero. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/packet_udp.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

static void
params(struct pkt_udp_params *p, int family, bool eth)
{
    memset(p, 0, sizeof(*p));
    p->family = (uint8_t)family;
    p->eth = eth;
    memcpy(p->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    memcpy(p->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    p->ip.ttl = 64;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Build, parse, check every field and both checksums. */
static void round_trip(int family, bool eth, const uint8_t *payload, size_t plen)
{
    struct pkt_udp_params prm;
    struct pkt_udp_template t;
    params(&prm, family, eth);
    assert_int_equal(pkt_udp_template_init(&t, &prm), 0);
    struct pkt_udp_probe p = {
        .src = A(family == AF_INET ? "198.18.0.1" : "fd00::1"),
        .dst = A(family == AF_INET ? "198.18.0.2" : "fd00::2"),
        .sport = 40123,
        .dport = 53,
        .ip_id = 0xbeef,
        .payload = payload,
        .payload_len = plen,
    };
    uint8_t buf[PKT_MAX_FRAME];
    int len = pkt_udp_make(&t, buf, sizeof(buf), &p);
    assert_int_equal(len, (eth ? 14 : 0) + (family == AF_INET ? 20 : 40) + 8 + (int)plen);
    struct pkt_info pi;
    int rc = eth ? pkt_parse_eth(buf, (size_t)len, &pi) : pkt_parse_ip(buf, (size_t)len, &pi);
    assert_int_equal(rc, PARSE_OK);
    assert_int_equal(pi.family, family);
    assert_int_equal(pi.proto, IPPROTO_UDP);
    assert_int_equal(pi.ttl, 64);
    assert_true(ipaddr_equal(&pi.src, &p.src));
    assert_true(ipaddr_equal(&pi.dst, &p.dst));
    assert_int_equal(pi.sport, 40123);
    assert_int_equal(pi.dport, 53);
    assert_int_equal(pi.payload_len, plen);
    if (plen)
        assert_memory_equal(buf + pi.payload_off, payload, plen);
    if (family == AF_INET) {
        assert_int_equal(pi.ip_id, 0xbeef);
        assert_int_equal(pkt_ipv4_checksum(buf + pi.l3_off, 20), 0);
    }
    /* The UDP checksum verifies over the pseudo-header (0 = valid). */
    assert_int_equal(pkt_l4_checksum(&pi.src, &pi.dst, IPPROTO_UDP, buf + pi.l4_off, 8 + plen), 0);
    assert_int_not_equal(get16(buf + pi.l4_off + 6), 0);

    /* The same probe through a slot that holds another probe's header. */
    uint8_t slot[PKT_MAX_FRAME];
    struct pkt_udp_probe q = p;
    q.sport = 1;
    q.dport = 2;
    q.ip_id = 3;
    q.payload_len = 0;
    assert_true(pkt_udp_make(&t, slot, sizeof(slot), &q) > 0);
    assert_int_equal(pkt_udp_patch(&t, slot, sizeof(slot), &p), len);
    assert_memory_equal(slot, buf, (size_t)len);
}

static void test_round_trips(void **state)
{
    static const uint8_t dns[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                 "\x07version\x04"
                                 "bind\x00\x00\x10\x00\x03";
    static const uint8_t odd[] = {0xff, 0x01, 0x80};
    for (int v6 = 0; v6 < 2; v6++)
        for (int eth = 0; eth < 2; eth++) {
            int fam = v6 ? AF_INET6 : AF_INET;
            round_trip(fam, eth, NULL, 0);
            round_trip(fam, eth, dns, sizeof(dns) - 1);
            round_trip(fam, eth, odd, sizeof(odd)); /* odd length: zero pad in the sum */
        }
}

/* A computed checksum of 0 goes out as 0xFFFF (RFC 768; required for IPv6). */
static void test_zero_checksum(void **state)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_udp_params prm;
        struct pkt_udp_template t;
        params(&prm, v6 ? AF_INET6 : AF_INET, false);
        assert_int_equal(pkt_udp_template_init(&t, &prm), 0);
        uint8_t pl[2] = {0, 0}, buf[128];
        struct pkt_udp_probe p = {
            .src = A(v6 ? "fd00::1" : "198.18.0.1"),
            .dst = A(v6 ? "fd00::2" : "198.18.0.2"),
            .sport = 40000,
            .dport = 161,
            .payload = pl,
            .payload_len = 2,
        };
        /* Find the payload word that makes the one's-complement sum 0xFFFF:
         * with the checksum field zeroed, the complement is then 0. */
        int len = pkt_udp_make(&t, buf, sizeof(buf), &p);
        size_t l4 = v6 ? 40 : 20;
        uint16_t c0 = get16(buf + l4 + 6);
        /* Adding c0 to the payload word turns the sum into 0xFFFF. */
        pl[0] = (uint8_t)(c0 >> 8);
        pl[1] = (uint8_t)c0;
        len = pkt_udp_make(&t, buf, sizeof(buf), &p);
        assert_true(len > 0);
        assert_int_equal(get16(buf + l4 + 6), 0xffff);
        assert_int_equal(pkt_l4_checksum(&p.src, &p.dst, IPPROTO_UDP, buf + l4, 10), 0);
    }
}

static void test_badsum(void **state)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_udp_params prm;
        struct pkt_udp_template t;
        params(&prm, v6 ? AF_INET6 : AF_INET, false);
        prm.badsum = true;
        assert_int_equal(pkt_udp_template_init(&t, &prm), 0);
        uint8_t buf[128];
        size_t l4 = v6 ? 40 : 20;
        for (uint32_t sport = 1; sport < 65536; sport += 7) {
            struct pkt_udp_probe p = {
                .src = A(v6 ? "fd00::1" : "198.18.0.1"),
                .dst = A(v6 ? "fd00::2" : "198.18.0.2"),
                .sport = (uint16_t)sport,
                .dport = 53,
            };
            assert_int_equal(pkt_udp_make(&t, buf, sizeof(buf), &p), (int)l4 + 8);
            assert_int_not_equal(get16(buf + l4 + 6), 0);
            assert_int_not_equal(pkt_l4_checksum(&p.src, &p.dst, IPPROTO_UDP, buf + l4, 8), 0);
        }
    }
}

static void test_errors(void **state)
{
    struct pkt_udp_params prm;
    struct pkt_udp_template t;
    params(&prm, AF_UNIX, false);
    assert_int_equal(pkt_udp_template_init(&t, &prm), -1);
    params(&prm, AF_INET, true);
    assert_int_equal(pkt_udp_template_init(&t, &prm), 0);
    static uint8_t big[PKT_MAX_FRAME];
    uint8_t buf[PKT_MAX_FRAME];
    struct pkt_udp_probe p = {
        .src = A("198.18.0.1"),
        .dst = A("198.18.0.2"),
        .payload = big,
        .payload_len = PKT_MAX_FRAME - 14 - 20 - 8,
    };
    assert_int_equal(pkt_udp_make(&t, buf, sizeof(buf), &p), PKT_MAX_FRAME);
    p.payload_len++; /* one byte past one Ethernet frame */
    assert_int_equal(pkt_udp_make(&t, buf, sizeof(buf), &p), -1);
    assert_int_equal(pkt_udp_frame_len(&t, p.payload_len), -1);
    p.payload_len = 100;
    assert_int_equal(pkt_udp_make(&t, buf, 100, &p), -1); /* buffer too small */
    p.dst = A("fd00::2");
    assert_int_equal(pkt_udp_make(&t, buf, sizeof(buf), &p), -1); /* family mismatch */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_zero_checksum),
        cmocka_unit_test(test_badsum),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
