/* test_packet_icmp.c — ICMP/ICMPv6 query templates (net/packet_icmp.h):
 * echo, timestamp and address mask requests round-trip through the parser
 * with type, id and seq; checksums verify (ICMPv4 over the message,
 * ICMPv6 over the pseudo-header too, RFC 4443 §2.3); ICMPv6 has no
 * timestamp or mask request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/packet_icmp.h"
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
params(struct pkt_icmp_params *p, int family, bool eth, enum pkt_icmp_kind kind)
{
    memset(p, 0, sizeof(*p));
    p->family = (uint8_t)family;
    p->eth = eth;
    memcpy(p->dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    memcpy(p->src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    p->ip.ttl = 64;
    p->kind = kind;
}

static void round_trip(int family, bool eth, enum pkt_icmp_kind kind, uint8_t type, size_t body,
                       const uint8_t *payload, size_t plen)
{
    struct pkt_icmp_params prm;
    struct pkt_icmp_template t;
    params(&prm, family, eth, kind);
    prm.ip.payload = payload;
    prm.ip.payload_len = plen;
    assert_int_equal(pkt_icmp_template_init(&t, &prm), 0);
    assert_int_equal(t.type, type);
    struct pkt_icmp_probe p = {
        .src = A(family == AF_INET ? "198.18.0.1" : "fd00::1"),
        .dst = A(family == AF_INET ? "198.18.0.2" : "fd00::2"),
        .id = 0x1234,
        .seq = 0xfedc,
        .ip_id = 0x4242,
    };
    uint8_t buf[PKT_MAX_FRAME];
    int len = pkt_icmp_make(&t, buf, sizeof(buf), &p);
    size_t icmp_len = 8 + body;
    assert_int_equal(len, (eth ? 14 : 0) + (family == AF_INET ? 20 : 40) + (int)icmp_len);
    struct pkt_info pi;
    int rc = eth ? pkt_parse_eth(buf, (size_t)len, &pi) : pkt_parse_ip(buf, (size_t)len, &pi);
    assert_int_equal(rc, PARSE_OK);
    assert_int_equal(pi.proto, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    assert_true(ipaddr_equal(&pi.src, &p.src));
    assert_true(ipaddr_equal(&pi.dst, &p.dst));
    assert_int_equal(pi.icmp_type, type);
    assert_int_equal(pi.icmp_code, 0);
    assert_int_equal(pi.icmp_id, 0x1234);
    assert_int_equal(pi.icmp_seq, 0xfedc);
    assert_false(pi.has_quote);
    if (plen)
        assert_memory_equal(buf + pi.l4_off + 8, payload, plen);
    if (family == AF_INET) {
        assert_int_equal(pi.ip_id, 0x4242);
        assert_int_equal(pkt_ipv4_checksum(buf + pi.l3_off, 20), 0);
        assert_int_equal(pkt_csum_fold(pkt_csum_add(0, buf + pi.l4_off, icmp_len)), 0);
    } else {
        assert_int_equal(
            pkt_l4_checksum(&pi.src, &pi.dst, IPPROTO_ICMPV6, buf + pi.l4_off, icmp_len), 0);
    }
    /* Patching a copy for other values changes only those. */
    uint8_t copy[PKT_MAX_FRAME];
    memcpy(copy, t.frame, t.len);
    p.id = 1;
    p.seq = 2;
    assert_int_equal(pkt_icmp_patch(&t, copy, &p), len);
    assert_int_equal(pkt_parse_ip(copy + (eth ? 14 : 0), (size_t)len - (eth ? 14 : 0), &pi),
                     PARSE_OK);
    assert_int_equal(pi.icmp_id, 1);
    assert_int_equal(pi.icmp_seq, 2);
}

static void test_round_trips(void **state)
{
    static const uint8_t data[] = {1, 2, 3, 4, 5};
    for (int eth = 0; eth < 2; eth++) {
        round_trip(AF_INET, eth, PKT_ICMP_KIND_ECHO, PKT_ICMP_ECHO, 0, NULL, 0);
        round_trip(AF_INET, eth, PKT_ICMP_KIND_ECHO, PKT_ICMP_ECHO, 5, data, 5);
        round_trip(AF_INET, eth, PKT_ICMP_KIND_TIMESTAMP, PKT_ICMP_TSTAMP, 12, NULL, 0);
        round_trip(AF_INET, eth, PKT_ICMP_KIND_NETMASK, PKT_ICMP_MASKREQ, 4, NULL, 0);
        round_trip(AF_INET6, eth, PKT_ICMP_KIND_ECHO, PKT_ICMP6_ECHO, 0, NULL, 0);
        round_trip(AF_INET6, eth, PKT_ICMP_KIND_ECHO, PKT_ICMP6_ECHO, 5, data, 5);
    }
}

static void test_v6_kinds_and_errors(void **state)
{
    struct pkt_icmp_params prm;
    struct pkt_icmp_template t;
    params(&prm, AF_INET6, false, PKT_ICMP_KIND_TIMESTAMP);
    assert_int_equal(pkt_icmp_template_init(&t, &prm), -1);
    params(&prm, AF_INET6, false, PKT_ICMP_KIND_NETMASK);
    assert_int_equal(pkt_icmp_template_init(&t, &prm), -1);
    params(&prm, AF_UNIX, false, PKT_ICMP_KIND_ECHO);
    assert_int_equal(pkt_icmp_template_init(&t, &prm), -1);
    params(&prm, AF_INET, false, PKT_ICMP_KIND_ECHO);
    prm.ip.payload_len = 3; /* with no payload pointer */
    assert_int_equal(pkt_icmp_template_init(&t, &prm), -1);
    params(&prm, AF_INET, false, PKT_ICMP_KIND_ECHO);
    assert_int_equal(pkt_icmp_template_init(&t, &prm), 0);
    uint8_t buf[64];
    struct pkt_icmp_probe p = {.src = A("198.18.0.1"), .dst = A("fd00::2")};
    assert_int_equal(pkt_icmp_make(&t, buf, sizeof(buf), &p), -1);
    p.dst = A("198.18.0.2");
    assert_int_equal(pkt_icmp_make(&t, buf, 10, &p), -1);

    assert_int_equal(pkt_icmp_reply_type(PKT_ICMP_ECHO), PKT_ICMP_ECHOREPLY);
    assert_int_equal(pkt_icmp_reply_type(PKT_ICMP_TSTAMP), PKT_ICMP_TSTAMPREPLY);
    assert_int_equal(pkt_icmp_reply_type(PKT_ICMP_MASKREQ), PKT_ICMP_MASKREPLY);
    assert_int_equal(pkt_icmp_reply_type(PKT_ICMP6_ECHO), PKT_ICMP6_ECHOREPLY);
    assert_int_equal(pkt_icmp_reply_type(PKT_ICMP_ECHOREPLY), -1);
}

static void test_badsum(void **state)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_icmp_params prm;
        struct pkt_icmp_template t;
        params(&prm, v6 ? AF_INET6 : AF_INET, false, PKT_ICMP_KIND_ECHO);
        prm.badsum = true;
        assert_int_equal(pkt_icmp_template_init(&t, &prm), 0);
        struct pkt_icmp_probe p = {
            .src = A(v6 ? "fd00::1" : "198.18.0.1"),
            .dst = A(v6 ? "fd00::2" : "198.18.0.2"),
            .id = 7,
            .seq = 9,
        };
        uint8_t buf[128];
        int len = pkt_icmp_make(&t, buf, sizeof(buf), &p);
        size_t l4 = v6 ? 40 : 20;
        if (v6)
            assert_int_not_equal(
                pkt_l4_checksum(&p.src, &p.dst, IPPROTO_ICMPV6, buf + l4, (size_t)len - l4), 0);
        else
            assert_int_not_equal(pkt_csum_fold(pkt_csum_add(0, buf + l4, (size_t)len - l4)), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_v6_kinds_and_errors),
        cmocka_unit_test(test_badsum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
