/*
 * test_neigh.c — ARP and Neighbor Discovery build/parse (net/neigh.h).
 * Expected frames are spelled out byte by byte from RFC 826 and RFC 4861,
 * not produced by the code under test; checksums are checked with
 * pkt_l4_checksum() (packet.h), which test_packet.c verifies independently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/neigh.h"
#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t MAC_US[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_THEM[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

/* ---- ARP ------------------------------------------------------------- */

static void
test_arp_request_fields(void **state)
{
    struct ipaddr src = A("198.18.0.1"), dst = A("198.18.0.2");
    uint8_t buf[64];
    static const uint8_t want[NEIGH_ARP_FRAME_LEN] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* Ethernet: broadcast */
        0x02, 0x11, 0x22, 0x33, 0x44, 0x55, /* from us */
        0x08, 0x06,                         /* EtherType ARP */
        0x00, 0x01,                         /* htype Ethernet */
        0x08, 0x00,                         /* ptype IPv4 */
        6,    4,                            /* hlen, plen */
        0x00, 0x01,                         /* op request */
        0x02, 0x11, 0x22, 0x33, 0x44, 0x55, /* sha */
        198,  18,   0,    1,                /* spa */
        0,    0,    0,    0,    0,    0,    /* tha: unknown */
        198,  18,   0,    2,                /* tpa */
    };

    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(neigh_arp_request(buf, sizeof(buf), MAC_US, &src, &dst), NEIGH_ARP_FRAME_LEN);
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(buf[NEIGH_ARP_FRAME_LEN], 0xa5); /* nothing written past the frame */
}

static void test_arp_build_rejects(void **state)
{
    struct ipaddr v4 = A("198.18.0.1"), v6 = A("fd00::1");
    uint8_t buf[64];

    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(neigh_arp_request(buf, NEIGH_ARP_FRAME_LEN - 1, MAC_US, &v4, &v4), -1);
    assert_int_equal(neigh_arp_request(buf, sizeof(buf), MAC_US, &v6, &v4), -1);
    assert_int_equal(neigh_arp_request(buf, sizeof(buf), MAC_US, &v4, &v6), -1);
    assert_int_equal(neigh_arp_request(NULL, sizeof(buf), MAC_US, &v4, &v4), -1);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xa5);
}

/* A reply as Linux sends it, padded by the sender to the 60-byte minimum. */
static const uint8_t ARP_REPLY[60] = {
    0x02, 0x11, 0x22, 0x33, 0x44, 0x55,                      /* to us */
    0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,                      /* from them */
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6,   4,  0x00, 0x02, /* reply */
    0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 198, 18, 0,    2,    /* sender: them */
    0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 198, 18, 0,    1,    /* target: us */
};

static void test_arp_parse_reply(void **state)
{
    struct neigh_arp r;
    struct ipaddr them = A("198.18.0.2"), us = A("198.18.0.1");

    assert_int_equal(neigh_arp_parse(ARP_REPLY, sizeof(ARP_REPLY), &r), PARSE_OK);
    assert_int_equal(r.op, NEIGH_ARP_REPLY);
    assert_memory_equal(r.sha, MAC_THEM, 6);
    assert_memory_equal(r.tha, MAC_US, 6);
    assert_memory_equal(r.eth_src, MAC_THEM, 6);
    assert_memory_equal(r.eth_dst, MAC_US, 6);
    assert_true(ipaddr_equal(&r.spa, &them));
    assert_true(ipaddr_equal(&r.tpa, &us));
    /* Without the padding too. */
    assert_int_equal(neigh_arp_parse(ARP_REPLY, NEIGH_ARP_FRAME_LEN, &r), PARSE_OK);
}

static void test_arp_parse_vlan(void **state)
{
    uint8_t f[64];
    struct neigh_arp r;
    struct ipaddr them = A("198.18.0.2");

    memcpy(f, ARP_REPLY, 12);
    memcpy(f + 12, "\x81\x00\x00\x07", 4); /* 802.1Q, VLAN 7 */
    memcpy(f + 16, ARP_REPLY + 12, NEIGH_ARP_FRAME_LEN - 12);
    assert_int_equal(neigh_arp_parse(f, NEIGH_ARP_FRAME_LEN + 4, &r), PARSE_OK);
    assert_true(ipaddr_equal(&r.spa, &them));
    assert_int_equal(neigh_arp_parse(f, NEIGH_ARP_FRAME_LEN + 3, &r), PARSE_ERR_TRUNCATED);
}

static void test_arp_parse_rejects(void **state)
{
    uint8_t f[60];
    struct neigh_arp r;

    /* Every truncation, into an exact-size heap copy so ASan sees overreads. */
    for (size_t n = 0; n < NEIGH_ARP_FRAME_LEN; n++) {
        uint8_t *c = malloc(n ? n : 1);
        assert_non_null(c);
        memcpy(c, ARP_REPLY, n);
        assert_int_equal(neigh_arp_parse(c, n, &r), PARSE_ERR_TRUNCATED);
        free(c);
    }
    assert_int_equal(neigh_arp_parse(NULL, 60, &r), PARSE_ERR_TRUNCATED);

    memcpy(f, ARP_REPLY, sizeof(f));
    f[12] = 0x08, f[13] = 0x00; /* IPv4, not ARP */
    assert_int_equal(neigh_arp_parse(f, sizeof(f), &r), PARSE_ERR_UNSUPPORTED);
    memcpy(f, ARP_REPLY, sizeof(f));
    f[15] = 6; /* htype IEEE 802 */
    assert_int_equal(neigh_arp_parse(f, sizeof(f), &r), PARSE_ERR_UNSUPPORTED);
    memcpy(f, ARP_REPLY, sizeof(f));
    f[16] = 0x86, f[17] = 0xdd; /* ptype IPv6 */
    assert_int_equal(neigh_arp_parse(f, sizeof(f), &r), PARSE_ERR_UNSUPPORTED);
    memcpy(f, ARP_REPLY, sizeof(f));
    f[18] = 8; /* hlen contradicts Ethernet */
    assert_int_equal(neigh_arp_parse(f, sizeof(f), &r), PARSE_ERR_MALFORMED);
    memcpy(f, ARP_REPLY, sizeof(f));
    f[19] = 16; /* plen contradicts IPv4 */
    assert_int_equal(neigh_arp_parse(f, sizeof(f), &r), PARSE_ERR_MALFORMED);
}

static void test_arp_roundtrip(void **state)
{
    struct ipaddr us = A("198.18.0.1"), them = A("198.18.255.254");
    uint8_t buf[NEIGH_ARP_FRAME_LEN];
    struct neigh_arp r;

    assert_int_equal(
        neigh_arp_build(buf, sizeof(buf), NEIGH_ARP_REPLY, MAC_THEM, MAC_US, &us, MAC_THEM, &them),
        NEIGH_ARP_FRAME_LEN);
    assert_int_equal(neigh_arp_parse(buf, sizeof(buf), &r), PARSE_OK);
    assert_int_equal(r.op, NEIGH_ARP_REPLY);
    assert_memory_equal(r.eth_dst, MAC_THEM, 6);
    assert_memory_equal(r.sha, MAC_US, 6);
    assert_memory_equal(r.tha, MAC_THEM, 6);
    assert_true(ipaddr_equal(&r.spa, &us));
    assert_true(ipaddr_equal(&r.tpa, &them));
}

/* ---- Neighbor Discovery ---------------------------------------------- */

static void test_solicited_node(void **state)
{
    struct ipaddr t = A("fd00::12:3456:789a"), want = A("ff02::1:ff56:789a"), got;
    uint8_t mac[6];
    static const uint8_t want_mac[6] = {0x33, 0x33, 0xff, 0x56, 0x78, 0x9a};

    neigh_solicited_node(&t, &got);
    assert_true(ipaddr_equal(&got, &want));
    neigh_ipv6_mcast_mac(&got, mac);
    assert_memory_equal(mac, want_mac, 6);
}

static void test_ns_fields(void **state)
{
    struct ipaddr src = A("fd00::1"), target = A("fd00::abcd:2"), snm = A("ff02::1:ffcd:2");
    uint8_t buf[128];
    static const uint8_t eth[14] = {0x33, 0x33, 0xff, 0xcd, 0x00, 0x02, 0x02,
                                    0x11, 0x22, 0x33, 0x44, 0x55, 0x86, 0xdd};
    const uint8_t *ip = buf + 14, *icmp = buf + 54;

    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &src, &target), NEIGH_NS_FRAME_LEN);
    assert_int_equal(NEIGH_NS_FRAME_LEN, 86);
    assert_memory_equal(buf, eth, 14);
    /* IPv6 header (RFC 8200 §3). */
    assert_memory_equal(ip, "\x60\x00\x00\x00", 4); /* version 6, class 0, flow 0 */
    assert_int_equal(ip[4] << 8 | ip[5], 32);       /* payload length */
    assert_int_equal(ip[6], 58);                    /* ICMPv6 */
    assert_int_equal(ip[7], 255);                   /* hop limit (RFC 4861 §7.1.1) */
    assert_memory_equal(ip + 8, src.bytes, 16);
    assert_memory_equal(ip + 24, snm.bytes, 16);
    /* ICMPv6 NS (RFC 4861 §4.3). */
    assert_int_equal(icmp[0], 135);
    assert_int_equal(icmp[1], 0);
    assert_memory_equal(icmp + 4, "\0\0\0\0", 4); /* reserved */
    assert_memory_equal(icmp + 8, target.bytes, 16);
    assert_int_equal(icmp[24], 1); /* source link-layer address option */
    assert_int_equal(icmp[25], 1); /* one 8-byte unit */
    assert_memory_equal(icmp + 26, MAC_US, 6);
    assert_int_equal(buf[NEIGH_NS_FRAME_LEN], 0xa5);
    /* The checksum verifies over the pseudo-header (src, ff02::1:ffcd:2). */
    assert_int_not_equal(icmp[2] | icmp[3], 0);
    assert_int_equal(pkt_l4_checksum(&src, &snm, 58, icmp, 32), 0);
}

static void test_ns_build_rejects(void **state)
{
    struct ipaddr v6 = A("fd00::1"), v4 = A("198.18.0.1"), any = A("::"), mc = A("ff02::1");
    uint8_t buf[128];

    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(neigh_ns_build(buf, NEIGH_NS_FRAME_LEN - 1, MAC_US, &v6, &v6), -1);
    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &v4, &v6), -1);
    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &v6, &v4), -1);
    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &any, &v6), -1);
    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &v6, &mc), -1);
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xa5);
}

static void test_ns_roundtrip(void **state)
{
    struct ipaddr src = A("fd00::1"), target = A("fd00::2");
    uint8_t buf[NEIGH_NS_FRAME_LEN];
    struct neigh_nd r;

    assert_int_equal(neigh_ns_build(buf, sizeof(buf), MAC_US, &src, &target), NEIGH_NS_FRAME_LEN);
    assert_int_equal(neigh_nd_parse(buf, sizeof(buf), &r), PARSE_OK);
    assert_int_equal(r.type, NEIGH_ND_NS);
    assert_true(ipaddr_equal(&r.target, &target));
    assert_true(ipaddr_equal(&r.src, &src));
    assert_true(r.has_lladdr);
    assert_memory_equal(r.lladdr, MAC_US, 6);
}

/*
 * A solicited NA from fd00::2 to fd00::1 with flags S|O, a Nonce option
 * (type 14, RFC 3971, one unit: must be skipped) and then the target
 * link-layer address option. The checksum is filled in by na_frame().
 */
static const uint8_t NA[] = {
    0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x86, 0xdd,
    /* IPv6 */
    0x60, 0, 0, 0, 0, 40, 58, 255,                     /* payload 24 + 8 + 8 */
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, /* src fd00::2 */
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* dst fd00::1 */
    /* ICMPv6 NA */
    136, 0, 0, 0, 0x60, 0, 0, 0,                       /* S|O */
    0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, /* target */
    14, 1, 1, 2, 3, 4, 5, 6,                           /* Nonce */
    2, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,          /* target link-layer address */
};
#define NA_ICMP 54

/* Copy NA into f (room for len bytes), apply an edit, fix the checksum. */
static void na_frame(uint8_t *f, size_t len)
{
    struct ipaddr s, d;
    size_t plen = (size_t)(f[18] << 8 | f[19]);
    uint16_t c;

    assert_true(len >= NA_ICMP + plen);
    memset(&s, 0, sizeof(s));
    memset(&d, 0, sizeof(d));
    s.family = d.family = AF_INET6;
    memcpy(s.bytes, f + 22, 16);
    memcpy(d.bytes, f + 38, 16);
    f[NA_ICMP + 2] = f[NA_ICMP + 3] = 0;
    c = pkt_l4_checksum(&s, &d, 58, f + NA_ICMP, plen);
    f[NA_ICMP + 2] = (uint8_t)(c >> 8);
    f[NA_ICMP + 3] = (uint8_t)c;
}

static void test_na_parse(void **state)
{
    uint8_t f[sizeof(NA) + 6];
    struct neigh_nd r;
    struct ipaddr them = A("fd00::2"), us = A("fd00::1");

    memcpy(f, NA, sizeof(NA));
    memset(f + sizeof(NA), 0, 6); /* Ethernet padding after the IPv6 length */
    na_frame(f, sizeof(NA));
    assert_int_equal(neigh_nd_parse(f, sizeof(f), &r), PARSE_OK);
    assert_int_equal(r.type, NEIGH_ND_NA);
    assert_int_equal(r.flags, NEIGH_NA_SOLICITED | NEIGH_NA_OVERRIDE);
    assert_true(ipaddr_equal(&r.target, &them));
    assert_true(ipaddr_equal(&r.src, &them));
    assert_true(ipaddr_equal(&r.dst, &us));
    assert_true(r.has_lladdr);
    assert_memory_equal(r.lladdr, MAC_THEM, 6);
    assert_memory_equal(r.eth_src, MAC_THEM, 6);
    assert_memory_equal(r.eth_dst, MAC_US, 6);

    /* Without any option: valid, no link-layer address. */
    f[19] = 24;
    na_frame(f, sizeof(NA));
    assert_int_equal(neigh_nd_parse(f, NA_ICMP + 24, &r), PARSE_OK);
    assert_false(r.has_lladdr);
}

static void expect_na(void (*edit)(uint8_t *f), bool fix_csum, int want)
{
    uint8_t f[sizeof(NA)];
    struct neigh_nd r;

    memcpy(f, NA, sizeof(NA));
    edit(f);
    if (fix_csum)
        na_frame(f, sizeof(NA));
    assert_int_equal(neigh_nd_parse(f, sizeof(f), &r), want);
}

static void e_hops(uint8_t *f)
{
    f[21] = 64; /* forwarded by a router: not on-link */
}
static void e_code(uint8_t *f)
{
    f[NA_ICMP + 1] = 1;
}
static void e_zero_opt(uint8_t *f)
{
    f[NA_ICMP + 25] = 0; /* Nonce with length 0 */
}
static void e_long_opt(uint8_t *f)
{
    f[NA_ICMP + 33] = 2; /* TLLA claims 16 bytes, 8 remain */
}
static void e_mcast_target(uint8_t *f)
{
    f[NA_ICMP + 8] = 0xff;
}
static void e_solicited_mcast(uint8_t *f)
{
    f[38] = 0xff, f[39] = 0x02; /* to ff02::1 with S set */
}
static void e_short_icmp(uint8_t *f)
{
    f[19] = 23; /* ICMPv6 length below 24 */
}
static void e_long_plen(uint8_t *f)
{
    f[19] = 41; /* one byte past the buffer */
}
static void e_hbh(uint8_t *f)
{
    f[20] = 0; /* Hop-by-Hop header: not walked */
}
static void e_echo(uint8_t *f)
{
    f[NA_ICMP] = 128;
}
static void e_version(uint8_t *f)
{
    f[14] = 0x40;
}
static void e_ipv4(uint8_t *f)
{
    f[12] = 0x08, f[13] = 0x00;
}
static void e_none(uint8_t *f)
{
    (void)f;
}

static void test_na_rejects(void **state)
{
    expect_na(e_none, false, PARSE_ERR_MALFORMED); /* checksum left at zero: wrong */
    expect_na(e_none, true, PARSE_OK);
    expect_na(e_hops, true, PARSE_ERR_MALFORMED);
    expect_na(e_code, true, PARSE_ERR_MALFORMED);
    expect_na(e_zero_opt, true, PARSE_ERR_MALFORMED);
    expect_na(e_long_opt, true, PARSE_ERR_TRUNCATED);
    expect_na(e_mcast_target, true, PARSE_ERR_MALFORMED);
    expect_na(e_solicited_mcast, true, PARSE_ERR_MALFORMED);
    expect_na(e_short_icmp, false, PARSE_ERR_TRUNCATED);
    expect_na(e_long_plen, false, PARSE_ERR_TRUNCATED);
    expect_na(e_hbh, false, PARSE_ERR_UNSUPPORTED);
    expect_na(e_echo, false, PARSE_ERR_UNSUPPORTED);
    expect_na(e_version, false, PARSE_ERR_MALFORMED);
    expect_na(e_ipv4, false, PARSE_ERR_UNSUPPORTED);
}

static void test_na_truncations(void **state)
{
    uint8_t f[sizeof(NA)];
    struct neigh_nd r;

    memcpy(f, NA, sizeof(NA));
    na_frame(f, sizeof(f));
    for (size_t n = 0; n < sizeof(f); n++) {
        uint8_t *c = malloc(n ? n : 1);
        assert_non_null(c);
        memcpy(c, f, n);
        assert_true(neigh_nd_parse(c, n, &r) < 0);
        free(c);
    }
    assert_int_equal(neigh_nd_parse(NULL, sizeof(f), &r), PARSE_ERR_TRUNCATED);
}

static void test_match_reply(void **state)
{
    uint8_t na[sizeof(NA)], mac[6] = {0};
    struct ipaddr v4 = A("198.18.0.2"), other4 = A("198.18.0.3"), v6 = A("fd00::2"),
                  other6 = A("fd00::3");
    uint8_t req[NEIGH_ARP_FRAME_LEN], zero_sha[sizeof(ARP_REPLY)];

    assert_true(neigh_match_reply(ARP_REPLY, sizeof(ARP_REPLY), &v4, mac));
    assert_memory_equal(mac, MAC_THEM, 6);
    assert_false(neigh_match_reply(ARP_REPLY, sizeof(ARP_REPLY), &other4, mac));
    assert_false(neigh_match_reply(ARP_REPLY, sizeof(ARP_REPLY), &v6, mac));
    /* A request from the address is not an answer. */
    assert_int_equal(neigh_arp_request(req, sizeof(req), MAC_THEM, &v4, &other4),
                     NEIGH_ARP_FRAME_LEN);
    assert_false(neigh_match_reply(req, sizeof(req), &v4, mac));
    /* Nor a reply naming a multicast or zero MAC. */
    memcpy(zero_sha, ARP_REPLY, sizeof(zero_sha));
    memset(zero_sha + 22, 0, 6);
    assert_false(neigh_match_reply(zero_sha, sizeof(zero_sha), &v4, mac));
    zero_sha[22] = 0x01;
    assert_false(neigh_match_reply(zero_sha, sizeof(zero_sha), &v4, mac));

    memcpy(na, NA, sizeof(na));
    na_frame(na, sizeof(na));
    memset(mac, 0, 6);
    assert_true(neigh_match_reply(na, sizeof(na), &v6, mac));
    assert_memory_equal(mac, MAC_THEM, 6);
    assert_false(neigh_match_reply(na, sizeof(na), &other6, mac));
    assert_false(neigh_match_reply(na, sizeof(na) - 1, &v6, mac));
    /* No target link-layer option: the Ethernet source answers. */
    na[6] = 0x02, na[11] = 0x42;
    na[19] = 24;
    na_frame(na, sizeof(na));
    assert_true(neigh_match_reply(na, sizeof(na), &v6, mac));
    assert_memory_equal(mac, "\x02\xaa\xbb\xcc\xdd\x42", 6);
}

static void test_mac_rules(void **state)
{
    uint8_t mac[6];
    struct ipaddr mc4 = A("239.129.2.3"), bc = A("255.255.255.255"), mc6 = A("ff02::1:ff00:2"),
                  uni4 = A("198.18.0.2"), uni6 = A("fd00::2");

    assert_true(neigh_mac_by_rule(&mc4, mac));
    assert_memory_equal(mac, "\x01\x00\x5e\x01\x02\x03", 6); /* low 23 bits */
    assert_true(neigh_mac_by_rule(&bc, mac));
    assert_memory_equal(mac, "\xff\xff\xff\xff\xff\xff", 6);
    assert_true(neigh_mac_by_rule(&mc6, mac));
    assert_memory_equal(mac, "\x33\x33\xff\x00\x00\x02", 6);
    memset(mac, 0xa5, 6);
    assert_false(neigh_mac_by_rule(&uni4, mac));
    assert_false(neigh_mac_by_rule(&uni6, mac));
    assert_memory_equal(mac, "\xa5\xa5\xa5\xa5\xa5\xa5", 6);

    assert_true(neigh_mac_unicast(MAC_US));
    assert_false(neigh_mac_unicast((const uint8_t *)"\0\0\0\0\0\0"));
    assert_false(neigh_mac_unicast((const uint8_t *)"\x33\x33\0\0\0\1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arp_request_fields), cmocka_unit_test(test_arp_build_rejects),
        cmocka_unit_test(test_arp_parse_reply),    cmocka_unit_test(test_arp_parse_vlan),
        cmocka_unit_test(test_arp_parse_rejects),  cmocka_unit_test(test_arp_roundtrip),
        cmocka_unit_test(test_solicited_node),     cmocka_unit_test(test_ns_fields),
        cmocka_unit_test(test_ns_build_rejects),   cmocka_unit_test(test_ns_roundtrip),
        cmocka_unit_test(test_na_parse),           cmocka_unit_test(test_na_rejects),
        cmocka_unit_test(test_na_truncations),     cmocka_unit_test(test_match_reply),
        cmocka_unit_test(test_mac_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
