/* test_udp_scan.c — the -sU module (scan/udp.c): nmap's classification
 * table for UDP replies and ICMP/ICMPv6 errors, and the whole path of a
 * probe: build it with its cookie (net/packet_udp.h, net/cookie.h), answer
 * it as a target would (a UDP reply, an ICMP port unreachable quoting it),
 * parse, validate the cookie, classify. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/raw/raw_internal.h"
#include "net/cookie.h"
#include "net/packet_udp.h"
#include "net/parse.h"
#include "scan/scan_module.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t KEY[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

static const struct scan_module *
udp(void)
{
    const struct scan_module *m = scan_module_find("-sU");
    assert_non_null(m);
    return m;
}

static void test_module(void **state)
{
    const struct scan_module *m = udp();
    assert_ptr_equal(m, scan_module_find("udp"));
    assert_string_equal(m->xml_type, "udp");
    assert_int_equal(m->proto, PROTO_UDP);
    assert_int_equal(m->engine, SCAN_ENGINE_RAW);
    assert_ptr_equal(m->probe, &probe_udp);
    assert_true(m->needs_root);
    assert_int_equal(m->silence_state, PORT_OPEN_FILTERED);
    assert_int_equal(m->silence_reason, REASON_NO_RESPONSE);
}

static enum scan_verdict icmp(int v6, uint8_t type, uint8_t code, enum port_state *st,
                              enum reason *rs)
{
    struct pkt_info r = {0};
    r.family = v6 ? AF_INET6 : AF_INET;
    r.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    r.icmp_type = type;
    r.icmp_code = code;
    r.has_quote = true;
    r.quote.family = r.family;
    r.quote.proto = IPPROTO_UDP;
    return udp()->classify_reply(&r, st, rs);
}

static void test_classify(void **state)
{
    enum port_state st;
    enum reason rs;
    struct pkt_info r = {0};
    r.family = AF_INET;
    r.proto = IPPROTO_UDP;
    assert_int_equal(udp()->classify_reply(&r, &st, &rs), VERDICT_FINAL);
    assert_int_equal(st, PORT_OPEN);
    assert_int_equal(rs, REASON_UDP_RESPONSE);
    r.family = AF_INET6;
    assert_int_equal(udp()->classify_reply(&r, &st, &rs), VERDICT_FINAL);
    assert_int_equal(st, PORT_OPEN);

    static const struct {
        int v6;
        uint8_t type, code;
        enum scan_verdict v;
        enum port_state st;
        enum reason rs;
    } table[] = {
        {0, 3, 3, VERDICT_FINAL, PORT_CLOSED, REASON_PORT_UNREACH},
        {0, 3, 0, VERDICT_FINAL, PORT_FILTERED, REASON_NET_UNREACH},
        {0, 3, 1, VERDICT_FINAL, PORT_FILTERED, REASON_HOST_UNREACH},
        {0, 3, 2, VERDICT_FINAL, PORT_FILTERED, REASON_PROTO_UNREACH},
        {0, 3, 9, VERDICT_FINAL, PORT_FILTERED, REASON_NET_PROHIBITED},
        {0, 3, 10, VERDICT_FINAL, PORT_FILTERED, REASON_HOST_PROHIBITED},
        {0, 3, 13, VERDICT_FINAL, PORT_FILTERED, REASON_ADMIN_PROHIBITED},
        {0, 3, 4, VERDICT_IGNORE, PORT_UNKNOWN, REASON_UNKNOWN},  /* frag needed */
        {0, 11, 0, VERDICT_IGNORE, PORT_UNKNOWN, REASON_UNKNOWN}, /* time exceeded */
        {1, 1, 4, VERDICT_FINAL, PORT_CLOSED, REASON_PORT_UNREACH},
        {1, 1, 0, VERDICT_FINAL, PORT_FILTERED, REASON_NET_UNREACH},
        {1, 1, 1, VERDICT_FINAL, PORT_FILTERED, REASON_ADMIN_PROHIBITED},
        {1, 1, 3, VERDICT_FINAL, PORT_FILTERED, REASON_HOST_UNREACH},
        {1, 1, 5, VERDICT_IGNORE, PORT_UNKNOWN, REASON_UNKNOWN},
        {1, 3, 0, VERDICT_IGNORE, PORT_UNKNOWN, REASON_UNKNOWN},
        {1, 3, 3, VERDICT_IGNORE, PORT_UNKNOWN, REASON_UNKNOWN}, /* v4 numbers in v6 */
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        enum scan_verdict v = icmp(table[i].v6, table[i].type, table[i].code, &st, &rs);
        if (v != table[i].v || st != table[i].st || rs != table[i].rs)
            fail_msg("row %zu (v%d type %u code %u): verdict %d state %d reason %d", i,
                     table[i].v6 ? 6 : 4, table[i].type, table[i].code, v, st, rs);
    }
    /* A TCP segment decides nothing for a UDP probe. */
    r.proto = IPPROTO_TCP;
    assert_int_equal(udp()->classify_reply(&r, &st, &rs), VERDICT_IGNORE);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The ICMP port unreachable a target sends about the IP packet q (qlen
 * bytes), from them to us. Returns the packet length. */
static size_t port_unreach(uint8_t *out, const struct ipaddr *them, const struct ipaddr *us,
                           const uint8_t *q, size_t qlen)
{
    bool v6 = them->family == AF_INET6;
    size_t ip = v6 ? 40 : 20, n = ip + 8 + qlen;
    memset(out, 0, n);
    if (v6) {
        out[0] = 0x60;
        put16(out + 4, (uint16_t)(8 + qlen));
        out[6] = IPPROTO_ICMPV6;
        out[7] = 64;
        memcpy(out + 8, them->bytes, 16);
        memcpy(out + 24, us->bytes, 16);
        out[40] = 1;
        out[41] = 4;
    } else {
        out[0] = 0x45;
        put16(out + 2, (uint16_t)n);
        out[8] = 64;
        out[9] = IPPROTO_ICMP;
        memcpy(out + 12, them->bytes, 4);
        memcpy(out + 16, us->bytes, 4);
        out[20] = 3;
        out[21] = 3;
    }
    memcpy(out + ip + 8, q, qlen);
    return n;
}

static void test_end_to_end(void **state)
{
    struct cookie_ctx c, other;
    static const uint8_t OTHER[16] = {1};
    assert_int_equal(cookie_init(&c, KEY, 40000, 21000), 0);
    assert_int_equal(cookie_init(&other, OTHER, 40000, 21000), 0);
    for (int v6 = 0; v6 < 2; v6++) {
        struct ipaddr us = A(v6 ? "fd00::1" : "198.18.0.1");
        struct ipaddr them = A(v6 ? "fd00::2" : "198.18.0.2");
        struct pkt_udp_params prm = {.family = us.family, .ip.ttl = 64};
        struct pkt_udp_template t;
        assert_int_equal(pkt_udp_template_init(&t, &prm), 0);
        struct cookie_probe cp = cookie_probe(&c, &us, &them, 53);
        static const uint8_t q[] = "\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00";
        struct pkt_udp_probe p = {
            .src = us,
            .dst = them,
            .sport = cp.sport,
            .dport = 53,
            .ip_id = cookie_udp_ip_id(&cp),
            .payload = q,
            .payload_len = sizeof(q) - 1,
        };
        uint8_t probe[256], answer[512];
        int plen = pkt_udp_make(&t, probe, sizeof(probe), &p);
        assert_true(plen > 0);

        /* The service answers from port 53 to our source port. */
        struct pkt_udp_probe back = {.src = them, .dst = us, .sport = 53, .dport = cp.sport};
        int alen = pkt_udp_make(&t, answer, sizeof(answer), &back);
        struct pkt_info r;
        assert_int_equal(pkt_parse_ip(answer, (size_t)alen, &r), PARSE_OK);
        assert_true(cookie_udp_valid(&c, &r));
        assert_false(cookie_udp_valid(&other, &r));
        enum port_state st;
        enum reason rs;
        assert_int_equal(udp()->classify_reply(&r, &st, &rs), VERDICT_FINAL);
        assert_int_equal(st, PORT_OPEN);

        /* The port is closed: the kernel quotes our probe in a port
         * unreachable (Linux quotes all of it, within 576/1280 bytes). */
        size_t n = port_unreach(answer, &them, &us, probe, (size_t)plen);
        assert_int_equal(pkt_parse_ip(answer, n, &r), PARSE_OK);
        assert_true(r.has_quote);
        assert_true(cookie_icmp_valid(&c, &r));
        assert_false(cookie_icmp_valid(&other, &r));
        assert_int_equal(udp()->classify_reply(&r, &st, &rs), VERDICT_FINAL);
        assert_int_equal(st, PORT_CLOSED);
        assert_int_equal(rs, REASON_PORT_UNREACH);
        assert_int_equal(r.quote.dport, 53);
        /* Only 8 bytes of UDP quoted (RFC 792 minimum) still validate. */
        n = port_unreach(answer, &them, &us, probe, (v6 ? 40u : 20u) + 8);
        assert_int_equal(pkt_parse_ip(answer, n, &r), PARSE_OK);
        assert_true(cookie_icmp_valid(&c, &r));
        /* A quote of another scan's probe (other IP ID over IPv4, other
         * source port) is not ours. */
        if (!v6) {
            probe[5] ^= 0x01; /* IP ID low byte */
            n = port_unreach(answer, &them, &us, probe, (size_t)plen);
            assert_int_equal(pkt_parse_ip(answer, n, &r), PARSE_OK);
            assert_false(cookie_icmp_valid(&c, &r));
            probe[5] ^= 0x01;
        }
        size_t l4 = v6 ? 40 : 20;
        probe[l4 + 1] ^= 0x01; /* source port */
        n = port_unreach(answer, &them, &us, probe, (size_t)plen);
        assert_int_equal(pkt_parse_ip(answer, n, &r), PARSE_OK);
        assert_false(cookie_icmp_valid(&c, &r));
    }
}

/*
 * Every nmap-payloads payload of a port goes out, one per try (pass or
 * paced round): raw_tx_template() keeps them all and sizes the slot for
 * the largest that fits a frame, raw_probe_frame_try() sends payload
 * try % n, an oversized one empty, and every try carries the same cookie
 * (ports and IP ID), so a reply to any of them validates.
 */
static void test_all_payloads(void **state)
{
    (void)state;
    char big[1700], text[2048], err[256];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* 7777: three payloads, the last over a 1500-byte MTU; 8888: none. */
    int tl = snprintf(text, sizeof(text),
                      "udp 7777 \"a\"\nudp 7777 \"bbbbbbbb\"\nudp 7777 \"%s\"\n", big);
    static const struct raw_job job; /* defaults: no --os-passive */
    struct raw_ctx c;
    memset(&c, 0, sizeof(c));
    c.job = &job;
    c.payloads = udp_payloads_parse(text, (size_t)tl, "t", err, sizeof(err));
    assert_non_null(c.payloads);
    assert_int_equal(cookie_init(&c.cookie, KEY, 40000, 21000), 0);
    struct raw_probe probes[2] = {{udp(), 7777, PROTO_UDP, 0}, {udp(), 8888, PROTO_UDP, 0}};
    c.probes = probes;
    c.nentries = 2;
    c.ngroups = 1;
    c.groups[0] = (struct raw_group){.mod = udp(), .kind = &probe_udp, .first = 0, .count = 2};
    c.udp_first = 0;
    c.udp_end = 2;
    for (int v6 = 0; v6 < 2; v6++) {
        struct raw_fam f;
        memset(&f, 0, sizeof(f));
        f.used = true;
        f.family = v6 ? AF_INET6 : AF_INET;
        f.method = SEND_RAW; /* frames start at the IP header */
        f.ri.src = A(v6 ? "fd00::1" : "198.18.0.1");
        struct ipaddr dst = A(v6 ? "fd00::2" : "198.18.0.2");
        assert_int_equal(raw_tx_template(&c, &f, err, sizeof(err)), 0);
        size_t hdr = (v6 ? 40u : 20u) + 8;
        assert_int_equal(f.npayload[0], 3);
        assert_int_equal(f.npayload[1], 1);
        assert_int_equal(f.slot_len, hdr + 8); /* "bbbbbbbb": the largest that fits */

        static const size_t want_len[] = {1, 8, 0}; /* the oversized one goes out empty */
        uint16_t sport = 0, ip_id = 0;
        for (unsigned try = 0; try < 7; try++) {
            uint8_t buf[2048];
            int8_t holds = -1;
            int len = raw_probe_frame_try(&c, &f, 0, &dst, buf, &holds, try);
            assert_true(len > 0 && len <= f.slot_len);
            struct pkt_info r;
            assert_int_equal(pkt_parse_ip(buf, (size_t)len, &r), PARSE_OK);
            assert_int_equal(r.dport, 7777);
            assert_int_equal(r.payload_len, want_len[try % 3]);
            if (want_len[try % 3])
                assert_int_equal(buf[r.payload_off], try % 3 == 0 ? 'a' : 'b');
            if (try == 0) {
                sport = r.sport;
                ip_id = r.ip_id;
            }
            assert_int_equal(r.sport, sport);
            if (!v6)
                assert_int_equal(r.ip_id, ip_id);
            /* The answer to this payload validates like any other's. */
            struct pkt_info back = {0};
            back.proto = IPPROTO_UDP;
            back.family = dst.family;
            back.src = dst;
            back.dst = f.ri.src;
            back.sport = 7777;
            back.dport = r.sport;
            assert_true(cookie_udp_valid(&c.cookie, &back));

            /* No payload known: the bare datagram, every try. */
            len = raw_probe_frame_try(&c, &f, 1, &dst, buf, &holds, try);
            assert_int_equal(len, (int)hdr);
        }
        free(f.payload); /* npayload lives in the same block */
    }
    udp_payloads_free(c.payloads);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_all_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
