/*
 * test_cookie.c — probe cookies and reply validation (net/cookie.h):
 * replies per RFC 9293 reset rules for every scan type's probe flags,
 * forged/stale replies, ICMP quotes, and one end-to-end build/parse pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/cookie.h"
#include "net/packet.h"
#include "net/packet_icmp.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const uint8_t KEY1[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t KEY2[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16};

#define SYN    PKT_TCP_SYN
#define ACK    PKT_TCP_ACK
#define RST    PKT_TCP_RST
#define FIN    PKT_TCP_FIN
#define XMAS   (PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG)
#define MAIMON (PKT_TCP_FIN | PKT_TCP_ACK)
#define SYNACK (PKT_TCP_SYN | PKT_TCP_ACK)
#define RSTACK (PKT_TCP_RST | PKT_TCP_ACK)

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

/* The reply the target would send to our probe (us -> them:dport). */
static struct pkt_info
reply(const struct cookie_ctx *c, const char *us, const char *them, uint16_t dport, uint8_t flags,
      uint32_t seq, uint32_t ack)
{
    struct pkt_info r = {0};
    r.src = A(them);
    r.dst = A(us);
    r.family = r.src.family;
    r.proto = IPPROTO_TCP;
    r.sport = dport;
    r.dport = cookie_probe(c, &r.dst, &r.src, dport).sport;
    r.tcp_flags = flags;
    r.seq = seq;
    r.ack = ack;
    return r;
}

static void test_init_and_determinism(void **state)
{
    struct cookie_ctx c, c2;
    struct ipaddr s = A("192.0.2.1"), d = A("198.51.100.7");

    assert_int_equal(cookie_init(&c, KEY1, 1000, 0), -1);
    assert_int_equal(cookie_init(&c, KEY1, 65535, 2), -1);
    assert_int_equal(cookie_init(&c, KEY1, 65535, 1), 0);
    assert_int_equal(cookie_init(&c, KEY1, 0, 65536), 0);
    assert_int_equal(cookie_init(&c, KEY1, 40000, 1), 0);
    assert_int_equal(cookie_init(&c2, KEY2, 40000, 1), 0);

    uint64_t h = cookie_hash(&c, &s, &d, 80);
    assert_true(h == cookie_hash(&c, &s, &d, 80));
    assert_true(h != cookie_hash(&c2, &s, &d, 80));
    assert_true(h != cookie_hash(&c, &s, &d, 81));
    assert_true(h != cookie_hash(&c, &d, &s, 80));
    struct ipaddr d2 = A("198.51.100.8");
    assert_true(h != cookie_hash(&c, &s, &d2, 80));
    /* The fixed source port is part of the hash. */
    assert_int_equal(cookie_init(&c2, KEY1, 40001, 1), 0);
    assert_true(h != cookie_hash(&c2, &s, &d, 80));

    struct cookie_probe p = cookie_probe(&c, &s, &d, 80);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.seq, (uint32_t)h);
    assert_int_equal(p.ack, (uint32_t)(h >> 32));

    /* IPv4 and IPv6 of the "same" bytes differ (different input length). */
    struct ipaddr s6 = s, d6 = d;
    s6.family = d6.family = AF_INET6;
    assert_true(h != cookie_hash(&c, &s6, &d6, 80));
}

static void test_sport_range(void **state)
{
    struct cookie_ctx c;
    struct ipaddr s = A("10.0.0.1"), d = A("10.0.0.2");
    unsigned seen[16] = {0};

    assert_int_equal(cookie_init(&c, KEY1, 32768, 16), 0);
    for (uint32_t port = 0; port < 4096; port++) {
        struct cookie_probe p = cookie_probe(&c, &s, &d, (uint16_t)port);
        assert_true(p.sport >= 32768 && p.sport < 32768 + 16);
        seen[p.sport - 32768]++;
    }
    for (int i = 0; i < 16; i++)
        assert_true(seen[i] > 150 && seen[i] < 370); /* roughly uniform (256 expected) */

    /* Full range up to 65535 without overflow. */
    assert_int_equal(cookie_init(&c, KEY1, 65000, 536), 0);
    for (uint32_t port = 0; port < 1000; port++) {
        struct cookie_probe p = cookie_probe(&c, &s, &d, (uint16_t)port);
        assert_true(p.sport >= 65000);
    }
}

static void check_syn_scan(uint32_t count)
{
    struct cookie_ctx c, other;
    const char *us = "192.0.2.1", *them = "198.51.100.7";
    struct ipaddr s = A(us), d = A(them);

    assert_int_equal(cookie_init(&c, KEY1, 40000, count), 0);
    assert_int_equal(cookie_init(&other, KEY2, 40000, count), 0);
    struct cookie_probe p = cookie_probe(&c, &s, &d, 443);
    struct pkt_info r;

    /* SYN-ACK acknowledging the SYN: open. */
    r = reply(&c, us, them, 443, SYNACK, 0x55555555, p.seq + 1);
    assert_true(cookie_tcp_valid(&c, SYN, 0, &r));
    /* RST+ACK acknowledging the SYN: closed. */
    r = reply(&c, us, them, 443, RSTACK, 0, p.seq + 1);
    assert_true(cookie_tcp_valid(&c, SYN, 0, &r));

    /* Wrong acknowledgment numbers. */
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 2);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, RSTACK, 0, p.seq + 2);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, RSTACK, 0, p.seq - 1);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    /* RST without the ACK bit carries no acknowledgment to check. */
    r = reply(&c, us, them, 443, RST, 0, p.seq + 1);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    /* SYN without ACK, pure ACK: not validated. */
    r = reply(&c, us, them, 443, SYN, 0, p.seq + 1);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, ACK, 0, p.seq + 1);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));

    /* Forged tuple: another target, another port, another of our ports. */
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.src = A("198.51.100.8");
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.sport = 444;
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.dport++;
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.dst = A("192.0.2.2");
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    /* Stale: a reply to a scan with another key. */
    r = reply(&other, us, them, 443, SYNACK, 0, cookie_probe(&other, &s, &d, 443).seq + 1);
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    assert_true(cookie_tcp_valid(&other, SYN, 0, &r));
    /* Not TCP, or mixed families. */
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.proto = IPPROTO_UDP;
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
    r = reply(&c, us, them, 443, SYNACK, 0, p.seq + 1);
    r.src.family = AF_INET6;
    assert_false(cookie_tcp_valid(&c, SYN, 0, &r));
}

static void test_syn_scan(void **state)
{
    check_syn_scan(1);
    check_syn_scan(1024);
}

/* FIN, NULL, Xmas: RST+ACK with ack = seq + SEG.LEN (FIN counts one). */
static void test_stealth_scans(void **state)
{
    struct cookie_ctx c;
    const char *us = "2001:db8::1", *them = "2001:db8::7";
    struct ipaddr s = A(us), d = A(them);
    struct pkt_info r;

    assert_int_equal(cookie_init(&c, KEY1, 50000, 100), 0);
    struct cookie_probe p = cookie_probe(&c, &s, &d, 22);

    /* FIN and Xmas: ack = seq + 1; seq + 0 tolerated; seq + 2 rejected. */
    const uint8_t fins[] = {FIN, XMAS};
    for (size_t i = 0; i < 2; i++) {
        r = reply(&c, us, them, 22, RSTACK, 0, p.seq + 1);
        assert_true(cookie_tcp_valid(&c, fins[i], 0, &r));
        r = reply(&c, us, them, 22, RSTACK, 0, p.seq);
        assert_true(cookie_tcp_valid(&c, fins[i], 0, &r));
        r = reply(&c, us, them, 22, RSTACK, 0, p.seq + 2);
        assert_false(cookie_tcp_valid(&c, fins[i], 0, &r));
        r = reply(&c, us, them, 22, RST, 0, p.seq + 1);
        assert_false(cookie_tcp_valid(&c, fins[i], 0, &r));
        /* A SYN-ACK is no answer to a FIN. */
        r = reply(&c, us, them, 22, SYNACK, 0, p.seq + 1);
        assert_false(cookie_tcp_valid(&c, fins[i], 0, &r));
    }
    /* NULL: no SYN/FIN, so ack = seq exactly. */
    r = reply(&c, us, them, 22, RSTACK, 0, p.seq);
    assert_true(cookie_tcp_valid(&c, 0, 0, &r));
    r = reply(&c, us, them, 22, RSTACK, 0, p.seq + 1);
    assert_false(cookie_tcp_valid(&c, 0, 0, &r));
    /* With --data-length 10 the RST acknowledges the data too. */
    r = reply(&c, us, them, 22, RSTACK, 0, p.seq + 11);
    assert_true(cookie_tcp_valid(&c, FIN, 10, &r));
    r = reply(&c, us, them, 22, RSTACK, 0, p.seq + 12);
    assert_false(cookie_tcp_valid(&c, FIN, 10, &r));
    /* And a SYN with data: SYN-ACK acknowledges SYN only, or SYN and data. */
    r = reply(&c, us, them, 22, SYNACK, 0, p.seq + 1);
    assert_true(cookie_tcp_valid(&c, SYN, 10, &r));
    r = reply(&c, us, them, 22, SYNACK, 0, p.seq + 11);
    assert_true(cookie_tcp_valid(&c, SYN, 10, &r));
    r = reply(&c, us, them, 22, SYNACK, 0, p.seq + 12);
    assert_false(cookie_tcp_valid(&c, SYN, 10, &r));
}

/* ACK, Window, Maimon: RST with seq = the probe's ack (RFC 9293 §3.10.7.1). */
static void test_ack_probes(void **state)
{
    struct cookie_ctx c, other;
    const char *us = "10.0.0.1", *them = "10.9.9.9";
    struct ipaddr s = A(us), d = A(them);
    struct pkt_info r;

    assert_int_equal(cookie_init(&c, KEY1, 60000, 1), 0);
    assert_int_equal(cookie_init(&other, KEY2, 60000, 1), 0);
    struct cookie_probe p = cookie_probe(&c, &s, &d, 139);

    const uint8_t probes[] = {ACK, MAIMON};
    for (size_t i = 0; i < 2; i++) {
        r = reply(&c, us, them, 139, RST, p.ack, 0);
        assert_true(cookie_tcp_valid(&c, probes[i], 0, &r));
        r = reply(&c, us, them, 139, RSTACK, p.ack, 12345); /* ack field ignored */
        assert_true(cookie_tcp_valid(&c, probes[i], 0, &r));
        r = reply(&c, us, them, 139, RST, p.ack + 1, 0);
        assert_false(cookie_tcp_valid(&c, probes[i], 0, &r));
        r = reply(&c, us, them, 139, RST, 0, p.seq + 1); /* the no-ACK rule does not apply */
        assert_false(cookie_tcp_valid(&c, probes[i], 0, &r));
        r = reply(&c, us, them, 139, RST, cookie_probe(&other, &s, &d, 139).ack, 0);
        assert_false(cookie_tcp_valid(&c, probes[i], 0, &r));
        r = reply(&c, us, them, 139, SYNACK, 0, p.seq + 1);
        assert_false(cookie_tcp_valid(&c, probes[i], 0, &r));
    }
}

static struct pkt_info icmp_reply(const struct cookie_ctx *c, const char *us, const char *them,
                                  uint16_t dport, uint8_t proto)
{
    struct pkt_info r = {0};
    r.src = A("203.0.113.1"); /* a router */
    r.dst = A(us);
    r.family = r.dst.family;
    if (r.family == AF_INET6)
        r.src = A("2001:db8:ffff::1");
    r.proto = r.family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    r.icmp_type = 3;
    r.icmp_code = 13;
    r.has_quote = true;
    r.quote.family = r.family;
    r.quote.proto = proto;
    r.quote.src = A(us);
    r.quote.dst = A(them);
    struct cookie_probe p = cookie_probe(c, &r.quote.src, &r.quote.dst, dport);
    r.quote.sport = p.sport;
    r.quote.dport = dport;
    r.quote.seq = proto == IPPROTO_TCP ? p.seq : 0;
    r.quote.ip_id = proto == IPPROTO_UDP && r.family == AF_INET ? cookie_udp_ip_id(&p) : 0;
    return r;
}

static void test_icmp_quotes(void **state)
{
    struct cookie_ctx c, other;
    struct pkt_info r;

    assert_int_equal(cookie_init(&c, KEY1, 40000, 512), 0);
    assert_int_equal(cookie_init(&other, KEY2, 40000, 512), 0);
    for (int v6 = 0; v6 < 2; v6++) {
        const char *us = v6 ? "2001:db8::1" : "192.0.2.1";
        const char *them = v6 ? "2001:db8::7" : "198.51.100.7";

        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        assert_true(cookie_icmp_valid(&c, &r));
        assert_false(cookie_icmp_valid(&other, &r));
        r.quote.seq++;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.quote.sport++;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.quote.dport++;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.quote.dst.bytes[3] ^= 1;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.dst.bytes[3] ^= 1; /* not sent to us */
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.has_quote = false;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 80, IPPROTO_TCP);
        r.quote.family = v6 ? AF_INET : AF_INET6;
        assert_false(cookie_icmp_valid(&c, &r));
        /* UDP: the source port, and over IPv4 the quoted IP ID. */
        r = icmp_reply(&c, us, them, 53, IPPROTO_UDP);
        assert_true(cookie_icmp_valid(&c, &r));
        assert_false(cookie_icmp_valid(&other, &r));
        r.quote.sport++;
        assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 53, IPPROTO_UDP);
        r.quote.ip_id ^= 0x100;
        if (v6)
            assert_true(cookie_icmp_valid(&c, &r)); /* no IP ID in IPv6 */
        else
            assert_false(cookie_icmp_valid(&c, &r));
        r = icmp_reply(&c, us, them, 53, IPPROTO_SCTP);
        assert_false(cookie_icmp_valid(&c, &r));
    }
}

/* UDP replies: only the destination port (our derived source port) is
 * checked, against the cookie of the reply's own swapped tuple. */
static void test_udp_replies(void **state)
{
    struct cookie_ctx c, other;
    assert_int_equal(cookie_init(&c, KEY1, 40000, 21000), 0);
    assert_int_equal(cookie_init(&other, KEY2, 40000, 21000), 0);
    for (int v6 = 0; v6 < 2; v6++) {
        struct pkt_info r = {0};
        r.src = A(v6 ? "2001:db8::7" : "198.51.100.7");
        r.dst = A(v6 ? "2001:db8::1" : "192.0.2.1");
        r.family = r.src.family;
        r.proto = IPPROTO_UDP;
        r.sport = 53;
        r.dport = cookie_probe(&c, &r.dst, &r.src, 53).sport;
        assert_true(cookie_udp_valid(&c, &r));
        assert_false(cookie_udp_valid(&other, &r));
        r.sport = 54; /* another port answering to the same source port */
        assert_false(cookie_udp_valid(&c, &r));
        r.sport = 53;
        r.dport++;
        assert_false(cookie_udp_valid(&c, &r));
        r.dport--;
        r.proto = IPPROTO_TCP;
        assert_false(cookie_udp_valid(&c, &r));
    }
}

/* ICMP queries: id/seq from the cookie, echoed by the reply; errors about
 * the query are matched by the quoted id/seq. */
static void test_icmp_queries(void **state)
{
    struct cookie_ctx c, other;
    assert_int_equal(cookie_init(&c, KEY1, 40000, 21000), 0);
    assert_int_equal(cookie_init(&other, KEY2, 40000, 21000), 0);
    static const struct {
        int v6;
        uint8_t req, rep;
    } kinds[] = {{0, 8, 0}, {0, 13, 14}, {0, 17, 18}, {1, 128, 129}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct ipaddr us = A(kinds[k].v6 ? "2001:db8::1" : "192.0.2.1");
        struct ipaddr them = A(kinds[k].v6 ? "2001:db8::7" : "198.51.100.7");
        struct cookie_icmp ci = cookie_icmp_probe(&c, &us, &them, kinds[k].req);
        struct cookie_icmp again = cookie_icmp_probe(&c, &us, &them, kinds[k].req);
        assert_int_equal(ci.id, again.id);
        assert_int_equal(ci.seq, again.seq);
        struct pkt_info r = {0};
        r.src = them;
        r.dst = us;
        r.family = us.family;
        r.proto = kinds[k].v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        r.icmp_type = kinds[k].rep;
        r.icmp_id = ci.id;
        r.icmp_seq = ci.seq;
        assert_true(cookie_icmp_reply_valid(&c, kinds[k].req, &r));
        assert_false(cookie_icmp_reply_valid(&other, kinds[k].req, &r));
        /* The reply of another request type, or a request, is not an answer. */
        for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
            if (j != k && kinds[j].v6 == kinds[k].v6)
                assert_false(cookie_icmp_reply_valid(&c, kinds[j].req, &r));
        r.icmp_type = kinds[k].req;
        assert_false(cookie_icmp_reply_valid(&c, kinds[k].req, &r));
        r.icmp_type = kinds[k].rep;
        r.icmp_seq ^= 1;
        assert_false(cookie_icmp_reply_valid(&c, kinds[k].req, &r));
        r.icmp_seq ^= 1;
        r.src.bytes[3] ^= 1; /* from another host */
        assert_false(cookie_icmp_reply_valid(&c, kinds[k].req, &r));

        /* A router's host unreachable about the query. */
        struct pkt_info e = {0};
        e.src = A(kinds[k].v6 ? "2001:db8:ffff::1" : "203.0.113.1");
        e.dst = us;
        e.family = us.family;
        e.proto = r.proto;
        e.icmp_type = kinds[k].v6 ? 1 : 3;
        e.has_quote = true;
        e.quote.family = us.family;
        e.quote.proto = r.proto;
        e.quote.src = us;
        e.quote.dst = them;
        e.quote.icmp_type = kinds[k].req;
        e.quote.icmp_id = ci.id;
        e.quote.icmp_seq = ci.seq;
        assert_true(cookie_icmp_valid(&c, &e));
        assert_false(cookie_icmp_valid(&other, &e));
        e.quote.icmp_id ^= 0x8000;
        assert_false(cookie_icmp_valid(&c, &e));
    }
}

/* Build a probe with the cookie, answer it as the target would, parse, validate. */
static void test_end_to_end(void **state)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params prm = {0};
    struct cookie_ctx c;
    struct pkt_info sent, got;
    uint8_t probe[128], answer[128];

    assert_int_equal(cookie_init(&c, KEY1, 30000, 30000), 0);
    for (int v6 = 0; v6 < 2; v6++) {
        struct ipaddr us = A(v6 ? "fd00::1" : "172.16.0.1");
        struct ipaddr them = A(v6 ? "fd00::2" : "172.16.0.2");
        struct cookie_probe cp = cookie_probe(&c, &us, &them, 8443);

        /* our SYN */
        prm.family = us.family;
        prm.eth = true;
        prm.ip.ttl = 64;
        prm.tcp_flags = SYN;
        prm.window = 1024;
        assert_int_equal(pkt_template_init(t, &prm), 0);
        struct pkt_tcp_probe pr = {.src = us, .dst = them, .sport = cp.sport, .dport = 8443};
        pr.seq = cp.seq;
        int n = pkt_make(t, probe, sizeof(probe), &pr);
        assert_int_equal(pkt_parse_eth(probe, (size_t)n, &sent), PARSE_OK);

        /* the target's SYN-ACK, as its stack would build it from our probe */
        prm.tcp_flags = SYNACK;
        assert_int_equal(pkt_template_init(t, &prm), 0);
        struct pkt_tcp_probe ans = {.src = sent.dst, .dst = sent.src};
        ans.sport = sent.dport;
        ans.dport = sent.sport;
        ans.seq = 0x12345678;
        ans.ack = sent.seq + 1;
        n = pkt_make(t, answer, sizeof(answer), &ans);
        assert_int_equal(pkt_parse_eth(answer, (size_t)n, &got), PARSE_OK);
        assert_true(cookie_tcp_valid(&c, SYN, 0, &got));
        /* our own outgoing probe, seen by the receiver, is not a reply */
        assert_false(cookie_tcp_valid(&c, SYN, 0, &sent));
    }
    free(t);
}

/* The sender's precomputed-source path gives exactly cookie_probe()'s
 * values (the receiver validates with the latter), for both families, a
 * fixed (-g) and a spread source port, and many destinations and ports;
 * and cookie_hash() itself is SipHash-2-4 over the documented message. */
static void test_src_fast_path(void **state)
{
    (void)state;
    static const char *const srcs[] = {"198.18.0.1", "10.255.0.7", "fd00::1",
                                       "2001:db8:ffff::abcd"};
    static const struct {
        uint16_t base;
        uint32_t count;
    } ranges[] = {{40000, 21000}, {53, 1}, {1, 65535}};
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
        for (size_t si = 0; si < sizeof(srcs) / sizeof(srcs[0]); si++) {
            struct cookie_ctx c;
            assert_int_equal(cookie_init(&c, KEY1, ranges[r].base, ranges[r].count), 0);
            struct ipaddr src = A(srcs[si]);
            struct cookie_src cs;
            cookie_src_init(&cs, &c, &src);
            for (int i = 0; i < 2000; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
                struct ipaddr dst = {.family = src.family};
                size_t n = src.family == AF_INET6 ? 16 : 4;
                for (size_t b = 0; b < n; b++)
                    dst.bytes[b] = (uint8_t)(x >> (8 * (b % 8)) ^ b);
                uint16_t dport = (uint16_t)(x >> 40);
                struct cookie_probe want = cookie_probe(&c, &src, &dst, dport);
                struct cookie_probe got = cookie_probe_src(&c, &cs, &dst, dport);
                assert_int_equal(got.sport, want.sport);
                assert_int_equal(got.seq, want.seq);
                assert_int_equal(got.ack, want.ack);
                assert_true(cookie_hash_src(&cs, &dst, dport) ==
                            cookie_hash(&c, &src, &dst, dport));
            }
        }
    }
    /* The message, spelled out: src || dst || sport' || dport, big-endian
     * ports, sport' 0 when the port comes from the cookie. */
    struct cookie_ctx c;
    assert_int_equal(cookie_init(&c, KEY1, 40000, 21000), 0);
    struct ipaddr s4 = A("198.18.0.1"), d4 = A("198.18.128.9");
    const uint8_t m[12] = {198, 18, 0, 1, 198, 18, 128, 9, 0, 0, 0x01, 0xbb};
    assert_true(cookie_hash(&c, &s4, &d4, 443) == siphash24(&c.key, m, sizeof(m)));
}

/* The batch path equals cookie_hash() lane by lane, for every batch length
 * around the vector width (partial last vectors) and both families; and a
 * figure for each path, printed (never asserted: timing is measured in
 * bench/, not tested). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_src_batch(void **state)
{
    (void)state;
    static const char *const srcs[] = {"198.18.0.1", "fd00::1"};
    enum { MAXN = 40 };
    uint64_t x = 0x2545f4914f6cdd1dULL;
    for (size_t si = 0; si < 2; si++) {
        struct cookie_ctx c;
        assert_int_equal(cookie_init(&c, KEY1, 40000, 21000), 0);
        struct ipaddr src = A(srcs[si]);
        struct cookie_src cs;
        cookie_src_init(&cs, &c, &src);
        for (size_t n = 0; n <= MAXN; n++) {
            struct ipaddr dsts[MAXN];
            uint16_t ports[MAXN];
            uint64_t h[MAXN + 1];
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                dsts[i].family = src.family;
                for (size_t b = 0; b < 16; b++)
                    dsts[i].bytes[b] = (uint8_t)(x >> (8 * (b % 8)) ^ b);
                ports[i] = (uint16_t)(x >> 40);
            }
            h[n] = 0x5a5a5a5a5a5a5a5aULL; /* never written past n */
            cookie_hash_src_batch(&cs, dsts, ports, h, n);
            for (size_t i = 0; i < n; i++)
                assert_true(h[i] == cookie_hash(&c, &src, &dsts[i], ports[i]));
            assert_true(h[n] == 0x5a5a5a5a5a5a5a5aULL);
        }
    }

    enum { N = 1024, ROUNDS = 200 };
    static struct ipaddr d[N];
    static uint16_t p[N];
    static uint64_t h[N];
    struct cookie_ctx c;
    assert_int_equal(cookie_init(&c, KEY1, 40000, 21000), 0);
    struct ipaddr src = A("198.18.0.1");
    struct cookie_src cs;
    cookie_src_init(&cs, &c, &src);
    for (size_t i = 0; i < N; i++) {
        d[i] = A("198.18.128.0");
        d[i].bytes[2] = (uint8_t)(128 + i / 256);
        d[i].bytes[3] = (uint8_t)i;
        p[i] = (uint16_t)(i * 7 + 1);
    }
    uint64_t sink = 0;
    double t0 = now_s();
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < N; i++)
            sink += h[i] = cookie_hash_src(&cs, &d[i], p[i]);
    double t1 = now_s();
    for (int r = 0; r < ROUNDS; r++) {
        cookie_hash_src_batch(&cs, d, p, h, N);
        sink += h[r % N];
    }
    double t2 = now_s();
    printf("IPv4 cookie: cookie_hash_src %.1f ns/probe, cookie_hash_src_batch %.1f ns/probe "
           "(%llx)\n",
           (t1 - t0) * 1e9 / (N * ROUNDS), (t2 - t1) * 1e9 / (N * ROUNDS),
           (unsigned long long)(sink & 0xf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_determinism),
        cmocka_unit_test(test_sport_range),
        cmocka_unit_test(test_syn_scan),
        cmocka_unit_test(test_stealth_scans),
        cmocka_unit_test(test_ack_probes),
        cmocka_unit_test(test_icmp_quotes),
        cmocka_unit_test(test_udp_replies),
        cmocka_unit_test(test_icmp_queries),
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_src_fast_path),
        cmocka_unit_test(test_src_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
