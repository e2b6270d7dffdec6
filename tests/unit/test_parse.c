/*
 * test_parse.c — decoding received frames (net/parse.h): hand-crafted
 * replies of every kind the raw scans see, round trips through the packet
 * builder, and truncation/malformation at every length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- a tiny frame writer, independent of packet.c ---- */

struct w {
    uint8_t d[1600];
    size_t n;
};

static void w8(struct w *w, uint8_t v)
{
    w->d[w->n++] = v;
}

static void w16(struct w *w, uint16_t v)
{
    w8(w, (uint8_t)(v >> 8));
    w8(w, (uint8_t)v);
}

static void w32(struct w *w, uint32_t v)
{
    w16(w, (uint16_t)(v >> 16));
    w16(w, (uint16_t)v);
}

static void wmem(struct w *w, const void *p, size_t n)
{
    memcpy(w->d + w->n, p, n);
    w->n += n;
}

static void set16(struct w *w, size_t at, uint16_t v)
{
    w->d[at] = (uint8_t)(v >> 8);
    w->d[at + 1] = (uint8_t)v;
}

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

static void
eth(struct w *w, uint16_t type)
{
    wmem(w, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    w16(w, type);
}

/* IPv4 header with opt_len bytes of options (multiple of 4); total length is
 * fixed up by ip4_end(). Returns the header's offset. */
static size_t ip4(struct w *w, uint8_t proto, const char *src, const char *dst, uint8_t ttl,
                  const uint8_t *opts, size_t opt_len)
{
    size_t at = w->n;
    struct ipaddr s = A(src), d = A(dst);
    w8(w, (uint8_t)(0x40 | (5 + opt_len / 4)));
    w8(w, 0);
    w16(w, 0); /* total length: ip4_end */
    w16(w, 0xbeef);
    w16(w, 0x4000);
    w8(w, ttl);
    w8(w, proto);
    w16(w, 0);
    wmem(w, s.bytes, 4);
    wmem(w, d.bytes, 4);
    if (opt_len)
        wmem(w, opts, opt_len);
    return at;
}

static void ip4_end(struct w *w, size_t at)
{
    set16(w, at + 2, (uint16_t)(w->n - at));
}

static size_t ip6(struct w *w, uint8_t nh, const char *src, const char *dst, uint8_t hops)
{
    size_t at = w->n;
    struct ipaddr s = A(src), d = A(dst);
    w32(w, 0x60000000);
    w16(w, 0); /* payload length: ip6_end */
    w8(w, nh);
    w8(w, hops);
    wmem(w, s.bytes, 16);
    wmem(w, d.bytes, 16);
    return at;
}

static void ip6_end(struct w *w, size_t at)
{
    set16(w, at + 4, (uint16_t)(w->n - at - 40));
}

static void tcp(struct w *w, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags,
                uint16_t win, const uint8_t *opts, size_t opt_len)
{
    w16(w, sp);
    w16(w, dp);
    w32(w, seq);
    w32(w, ack);
    w8(w, (uint8_t)((5 + opt_len / 4) << 4));
    w8(w, flags);
    w16(w, win);
    w16(w, 0x1234); /* checksum: not verified by the parser */
    w16(w, 0);
    if (opt_len)
        wmem(w, opts, opt_len);
}

static const uint8_t SYNACK_OPTS[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x01, 0x01};

/* Every strict prefix of a well-formed packet must fail; the whole must parse. */
static void all_prefixes_fail(const struct w *w, bool at_eth)
{
    struct pkt_info info;
    for (size_t len = 0; len < w->n; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        memcpy(copy, w->d, len);
        int rc = at_eth ? pkt_parse_eth(copy, len, &info) : pkt_parse_ip(copy, len, &info);
        if (rc >= 0)
            fail_msg("prefix of %zu/%zu bytes parsed", len, w->n);
        free(copy);
    }
    uint8_t *copy = malloc(w->n);
    memcpy(copy, w->d, w->n);
    int rc = at_eth ? pkt_parse_eth(copy, w->n, &info) : pkt_parse_ip(copy, w->n, &info);
    assert_int_equal(rc, PARSE_OK);
    free(copy);
}

static void assert_addr(const struct ipaddr *a, const char *s)
{
    struct ipaddr b = A(s);
    assert_true(ipaddr_equal(a, &b));
}

/* ---- replies to TCP probes ---- */

static struct w synack_v4(void)
{
    struct w w = {0};
    eth(&w, 0x0800);
    size_t ip = ip4(&w, IPPROTO_TCP, "198.51.100.7", "192.0.2.1", 63, NULL, 0);
    tcp(&w, 80, 40000, 0x11111111, 0xdeadbef0, PKT_TCP_SYN | PKT_TCP_ACK, 29200, SYNACK_OPTS,
        sizeof(SYNACK_OPTS));
    ip4_end(&w, ip);
    return w;
}

static void test_synack_v4_eth(void **state)
{
    struct w w = synack_v4();
    struct pkt_info r;

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.family, AF_INET);
    assert_addr(&r.src, "198.51.100.7");
    assert_addr(&r.dst, "192.0.2.1");
    assert_int_equal(r.ttl, 63);
    assert_int_equal(r.proto, IPPROTO_TCP);
    assert_int_equal(r.ip_id, 0xbeef);
    assert_true(r.df);
    assert_int_equal(r.vlan, 0);
    assert_int_equal(r.sport, 80);
    assert_int_equal(r.dport, 40000);
    assert_int_equal(r.seq, 0x11111111);
    assert_int_equal(r.ack, 0xdeadbef0);
    assert_int_equal(r.tcp_flags, PKT_TCP_SYN | PKT_TCP_ACK);
    assert_int_equal(r.window, 29200);
    assert_int_equal(r.l3_off, 14);
    assert_int_equal(r.l4_off, 34);
    assert_int_equal(r.tcp_opt_off, 54);
    assert_int_equal(r.tcp_opt_len, 8);
    assert_memory_equal(w.d + r.tcp_opt_off, SYNACK_OPTS, 8);
    assert_int_equal(r.payload_off, 62);
    assert_int_equal(r.payload_len, 0);
    assert_false(r.has_quote);
    all_prefixes_fail(&w, true);

    /* Ethernet minimum-size padding after the IP datagram is ignored. */
    memset(w.d + w.n, 0xee, 8);
    w.n += 8;
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.payload_len, 0);
}

static void test_rst_v4_ip(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    size_t ip = ip4(&w, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 64, NULL, 0);
    tcp(&w, 443, 50000, 0, 0x01020305, PKT_TCP_RST | PKT_TCP_ACK, 0, NULL, 0);
    ip4_end(&w, ip);

    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.l3_off, 0);
    assert_int_equal(r.l4_off, 20);
    assert_int_equal(r.tcp_flags, PKT_TCP_RST | PKT_TCP_ACK);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.ack, 0x01020305);
    assert_int_equal(r.sport, 443);
    assert_int_equal(r.dport, 50000);
    all_prefixes_fail(&w, false);
}

static void test_ipv4_options(void **state)
{
    /* IHL 8: NOP, NOP, then a 10-byte record-route option, padded. */
    static const uint8_t opts[12] = {1, 1, 7, 7, 4, 10, 0, 0, 1, 0, 0, 0};
    struct w w = {0};
    struct pkt_info r;
    eth(&w, 0x0800);
    size_t ip = ip4(&w, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 60, opts, sizeof(opts));
    tcp(&w, 22, 33333, 7, 8, PKT_TCP_SYN | PKT_TCP_ACK, 100, NULL, 0);
    wmem(&w, "data", 4);
    ip4_end(&w, ip);

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.l4_off, 14 + 32);
    assert_int_equal(r.sport, 22);
    assert_int_equal(r.dport, 33333);
    assert_int_equal(r.seq, 7);
    assert_int_equal(r.ack, 8);
    assert_int_equal(r.payload_off, 14 + 32 + 20);
    assert_int_equal(r.payload_len, 4);
    all_prefixes_fail(&w, true);

    /* Maximum IHL (15 words, 40 bytes of options). */
    uint8_t opts40[40];
    memset(opts40, 1, sizeof(opts40));
    w.n = 0;
    ip = ip4(&w, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 60, opts40, 40);
    tcp(&w, 22, 33333, 7, 8, PKT_TCP_RST, 0, NULL, 0);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.l4_off, 60);
    assert_int_equal(r.tcp_flags, PKT_TCP_RST);
    all_prefixes_fail(&w, false);
}

static void test_vlan(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    wmem(&w, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    w16(&w, 0x8100);
    w16(&w, 0x2000 | 100); /* PCP 1, VID 100 */
    w16(&w, 0x86dd);
    size_t ip = ip6(&w, IPPROTO_TCP, "2001:db8::7", "2001:db8::1", 64);
    tcp(&w, 80, 40000, 1, 2, PKT_TCP_SYN | PKT_TCP_ACK, 64800, NULL, 0);
    ip6_end(&w, ip);
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.vlan, 100);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.l3_off, 18);
    assert_int_equal(r.l4_off, 58);
    assert_int_equal(r.window, 64800);
    all_prefixes_fail(&w, true);

    /* 802.1ad outer tag + 802.1Q inner tag: the inner VID is reported. */
    w.n = 0;
    wmem(&w, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    w16(&w, 0x88a8);
    w16(&w, 5);
    w16(&w, 0x8100);
    w16(&w, 0x0fff);
    w16(&w, 0x0800);
    ip = ip4(&w, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 64, NULL, 0);
    tcp(&w, 80, 40000, 1, 2, PKT_TCP_RST, 0, NULL, 0);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.vlan, 0xfff);
    assert_int_equal(r.l3_off, 22);
    all_prefixes_fail(&w, true);

    /* A third tag is not decoded. */
    w.n = 0;
    wmem(&w, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    for (int i = 0; i < 3; i++) {
        w16(&w, 0x8100);
        w16(&w, 1);
    }
    w16(&w, 0x0800);
    ip = ip4(&w, IPPROTO_TCP, "10.0.0.2", "10.0.0.1", 64, NULL, 0);
    tcp(&w, 80, 40000, 1, 2, PKT_TCP_RST, 0, NULL, 0);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_UNSUPPORTED);
}

static void test_ipv6_ext_headers(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    eth(&w, 0x86dd);
    size_t ip = ip6(&w, 0, "2001:db8::7", "2001:db8::1", 58);
    /* Hop-by-Hop: 8 bytes, PadN */
    w8(&w, 43);
    w8(&w, 0);
    wmem(&w, "\x01\x04\x00\x00\x00\x00", 6);
    /* Routing: type 0 with one address = 24 bytes (hdr ext len 2) */
    w8(&w, 44);
    w8(&w, 2);
    w8(&w, 0);
    w8(&w, 0);
    w32(&w, 0);
    wmem(&w, A("2001:db8::9").bytes, 16);
    /* Fragment: offset 0, M=1 (first fragment carries the TCP header) */
    w8(&w, 60);
    w8(&w, 0);
    w16(&w, 0x0001);
    w32(&w, 0xcafe);
    /* Destination Options: 16 bytes (hdr ext len 1) */
    w8(&w, IPPROTO_TCP);
    w8(&w, 1);
    wmem(&w, "\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14);
    tcp(&w, 8080, 45678, 0xfffffffe, 0x80000000, PKT_TCP_RST | PKT_TCP_ACK, 0, NULL, 0);
    ip6_end(&w, ip);

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.family, AF_INET6);
    assert_int_equal(r.proto, IPPROTO_TCP);
    assert_int_equal(r.ttl, 58);
    assert_addr(&r.src, "2001:db8::7");
    assert_addr(&r.dst, "2001:db8::1");
    assert_int_equal(r.l4_off, 14 + 40 + 8 + 24 + 8 + 16);
    assert_int_equal(r.sport, 8080);
    assert_int_equal(r.dport, 45678);
    assert_int_equal(r.seq, 0xfffffffe);
    assert_int_equal(r.ack, 0x80000000);
    all_prefixes_fail(&w, true);

    /* Non-first fragment: no transport header to read. */
    struct w f = w;
    f.d[14 + 40 + 8 + 24 + 2] = 0x01; /* offset 32 */
    assert_int_equal(pkt_parse_eth(f.d, f.n, &r), PARSE_ERR_UNSUPPORTED);
    /* Hop-by-Hop anywhere but first is malformed. */
    f = w;
    f.d[14 + 40 + 8] = 0; /* Routing's next header -> HBH */
    assert_int_equal(pkt_parse_eth(f.d, f.n, &r), PARSE_ERR_MALFORMED);
    /* An extension header whose length runs past the payload. */
    f = w;
    f.d[14 + 40 + 8 + 1] = 200;
    assert_int_equal(pkt_parse_eth(f.d, f.n, &r), PARSE_ERR_TRUNCATED);
    /* ESP: encrypted, not decodable. */
    f = w;
    f.d[14 + 40] = 50;
    assert_int_equal(pkt_parse_eth(f.d, f.n, &r), PARSE_ERR_UNSUPPORTED);
    /* No Next Header: parses, no transport. */
    f = w;
    f.d[14 + 40] = 59;
    assert_int_equal(pkt_parse_eth(f.d, f.n, &r), PARSE_OK);
    assert_int_equal(r.proto, 59);
    assert_int_equal(r.sport, 0);
}

/* ---- ICMP errors quoting our probes ---- */

static struct w icmp_unreach_v4(uint8_t code, const char *from, uint8_t quoted_proto,
                                const uint8_t *qopts, size_t qopt_len, size_t quote_l4)
{
    struct w w = {0};
    eth(&w, 0x0800);
    size_t ip = ip4(&w, IPPROTO_ICMP, from, "192.0.2.1", 250, NULL, 0);
    w8(&w, 3);
    w8(&w, code);
    w16(&w, 0);
    w32(&w, 0);
    size_t q = ip4(&w, quoted_proto, "192.0.2.1", "198.51.100.7", 37, qopts, qopt_len);
    set16(&w, q + 2, (uint16_t)(20 + qopt_len + 24)); /* the original's length */
    size_t l4 = w.n;
    tcp(&w, 40000, 80, 0xdeadbeef, 0, PKT_TCP_SYN, 1024, (const uint8_t *)PKT_TCP_OPT_MSS1460, 4);
    w.n = l4 + quote_l4; /* keep only quote_l4 bytes of it */
    ip4_end(&w, ip);
    return w;
}

static void test_icmp_port_unreachable(void **state)
{
    struct w w = icmp_unreach_v4(3, "198.51.100.7", IPPROTO_TCP, NULL, 0, 8);
    struct pkt_info r;

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.proto, IPPROTO_ICMP);
    assert_int_equal(r.icmp_type, 3);
    assert_int_equal(r.icmp_code, 3);
    assert_int_equal(r.ttl, 250);
    assert_true(r.has_quote);
    assert_int_equal(r.quote.family, AF_INET);
    assert_int_equal(r.quote.proto, IPPROTO_TCP);
    assert_addr(&r.quote.src, "192.0.2.1");
    assert_addr(&r.quote.dst, "198.51.100.7");
    assert_int_equal(r.quote.ttl, 37);
    assert_int_equal(r.quote.ip_id, 0xbeef);
    assert_int_equal(r.quote.sport, 40000);
    assert_int_equal(r.quote.dport, 80);
    assert_int_equal(r.quote.seq, 0xdeadbeef);
    assert_int_equal(r.payload_off, 14 + 20 + 8);
    assert_int_equal(r.payload_len, 28);
    all_prefixes_fail(&w, true);

    /* A quote with fewer than 8 transport bytes is truncated. */
    w = icmp_unreach_v4(3, "198.51.100.7", IPPROTO_TCP, NULL, 0, 7);
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_TRUNCATED);
    /* A quote that is not IPv4. */
    w = icmp_unreach_v4(3, "198.51.100.7", IPPROTO_TCP, NULL, 0, 8);
    w.d[14 + 28] = 0x65;
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    /* A quote of a non-first fragment carries no ports. */
    w = icmp_unreach_v4(3, "198.51.100.7", IPPROTO_TCP, NULL, 0, 8);
    w.d[14 + 28 + 7] = 0x10;
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_UNSUPPORTED);
}

static void test_icmp_host_unreachable_long_quote_with_options(void **state)
{
    /* RFC 1812 routers quote more than 8 bytes; the quoted header has options. */
    static const uint8_t qopts[4] = {1, 1, 1, 0};
    struct w w = icmp_unreach_v4(1, "203.0.113.1", IPPROTO_TCP, qopts, 4, 24);
    struct pkt_info r;

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.icmp_code, 1);
    assert_addr(&r.src, "203.0.113.1");
    assert_true(r.has_quote);
    assert_addr(&r.quote.dst, "198.51.100.7");
    assert_int_equal(r.quote.sport, 40000);
    assert_int_equal(r.quote.dport, 80);
    assert_int_equal(r.quote.seq, 0xdeadbeef);
    all_prefixes_fail(&w, true);
}

static void test_icmp_udp_and_echo(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    size_t ip = ip4(&w, IPPROTO_ICMP, "10.0.0.9", "10.0.0.1", 64, NULL, 0);
    wmem(&w, "\x03\x03\x00\x00\x00\x00\x00\x00", 8);
    size_t q = ip4(&w, IPPROTO_UDP, "10.0.0.1", "10.0.0.9", 64, NULL, 0);
    set16(&w, q + 2, 40);
    w16(&w, 53000);
    w16(&w, 161);
    w16(&w, 20);
    w16(&w, 0);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.quote.proto, IPPROTO_UDP);
    assert_int_equal(r.quote.sport, 53000);
    assert_int_equal(r.quote.dport, 161);
    assert_int_equal(r.quote.seq, 0);
    all_prefixes_fail(&w, false);

    /* Echo reply: identifier and sequence, no quote. */
    w.n = 0;
    ip = ip4(&w, IPPROTO_ICMP, "10.0.0.9", "10.0.0.1", 64, NULL, 0);
    wmem(&w, "\x00\x00\x00\x00\x12\x34\x00\x07payload", 15);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.icmp_type, 0);
    assert_int_equal(r.icmp_id, 0x1234);
    assert_int_equal(r.icmp_seq, 7);
    assert_false(r.has_quote);
    assert_int_equal(r.payload_len, 7);
    all_prefixes_fail(&w, false);

    /* UDP reply (e.g. to a UDP probe) */
    w.n = 0;
    ip = ip4(&w, IPPROTO_UDP, "10.0.0.9", "10.0.0.1", 64, NULL, 0);
    w16(&w, 53);
    w16(&w, 40000);
    w16(&w, 8 + 3);
    w16(&w, 0);
    wmem(&w, "abc", 3);
    ip4_end(&w, ip);
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.proto, IPPROTO_UDP);
    assert_int_equal(r.sport, 53);
    assert_int_equal(r.dport, 40000);
    assert_int_equal(r.payload_len, 3);
    all_prefixes_fail(&w, false);
    w.d[25] = 7; /* UDP length < 8 */
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_ERR_MALFORMED);
}

static void test_icmp6_unreachable(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    eth(&w, 0x86dd);
    size_t ip = ip6(&w, IPPROTO_ICMPV6, "2001:db8::fe", "2001:db8::1", 61);
    w8(&w, 1); /* destination unreachable */
    w8(&w, 4); /* port unreachable */
    w16(&w, 0);
    w32(&w, 0);
    size_t q = ip6(&w, 60, "2001:db8::1", "2001:db8::7", 64);
    set16(&w, q + 4, 8 + 24);
    w8(&w, IPPROTO_TCP); /* quoted Destination Options, 8 bytes */
    w8(&w, 0);
    wmem(&w, "\x01\x04\x00\x00\x00\x00", 6);
    tcp(&w, 45000, 25, 0x0badf00d, 0, PKT_TCP_SYN, 1024, (const uint8_t *)PKT_TCP_OPT_MSS1460, 4);
    ip6_end(&w, ip);

    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.proto, IPPROTO_ICMPV6);
    assert_int_equal(r.icmp_type, 1);
    assert_int_equal(r.icmp_code, 4);
    assert_true(r.has_quote);
    assert_int_equal(r.quote.family, AF_INET6);
    assert_int_equal(r.quote.proto, IPPROTO_TCP);
    assert_addr(&r.quote.src, "2001:db8::1");
    assert_addr(&r.quote.dst, "2001:db8::7");
    assert_int_equal(r.quote.sport, 45000);
    assert_int_equal(r.quote.dport, 25);
    assert_int_equal(r.quote.seq, 0x0badf00d);
    all_prefixes_fail(&w, true);

    /* Quote cut to 7 transport bytes (outer length shrunk to match). */
    w.n -= 24 - 7;
    ip6_end(&w, 14);
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_TRUNCATED);

    /* Echo reply */
    w.n = 0;
    ip = ip6(&w, IPPROTO_ICMPV6, "2001:db8::7", "2001:db8::1", 64);
    wmem(&w, "\x81\x00\x00\x00\xab\xcd\x00\x02", 8);
    ip6_end(&w, ip);
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_OK);
    assert_int_equal(r.icmp_type, PKT_ICMP6_ECHOREPLY);
    assert_int_equal(r.icmp_id, 0xabcd);
    assert_int_equal(r.icmp_seq, 2);
    all_prefixes_fail(&w, false);
}

/* ---- frames cut by the capture's snaplen ---- */

/* Parse the first caplen bytes of w (an exact-size copy, so ASan sees any
 * overread) as a capture of a w->n-byte frame. */
static int parse_cut(const struct w *w, size_t caplen, size_t wirelen, bool at_eth,
                     struct pkt_info *r)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    memcpy(copy, w->d, caplen);
    int rc = at_eth ? pkt_parse_eth_cap(copy, caplen, wirelen, r)
                    : pkt_parse_ip_cap(copy, caplen, wirelen, r);
    if (rc == PARSE_OK && (r->payload_off > caplen || r->payload_len > caplen - r->payload_off))
        fail_msg("cut at %zu: payload [%u, +%u) outside the capture", caplen, r->payload_off,
                 r->payload_len);
    free(copy);
    return rc;
}

/*
 * Cutting w at every length: below hdr_end (where its last header ends) it
 * is truncated; from there on it parses, truncated exactly when bytes are
 * missing, with the payload that was captured. The whole frame given with
 * wirelen == caplen parses as by pkt_parse_eth/ip.
 */
static void every_cut(const struct w *w, size_t hdr_end, bool at_eth)
{
    struct pkt_info r;
    for (size_t cap = 0; cap <= w->n; cap++) {
        int rc = parse_cut(w, cap, w->n, at_eth, &r);
        if (cap < hdr_end) {
            if (rc != PARSE_ERR_TRUNCATED)
                fail_msg("cut at %zu (< %zu): got %d, want truncated", cap, hdr_end, rc);
            continue;
        }
        if (rc != PARSE_OK)
            fail_msg("cut at %zu/%zu: got %d, want ok", cap, w->n, rc);
        assert_int_equal(r.truncated, cap < w->n);
        assert_int_equal(r.payload_off + r.payload_len, cap);
    }
}

/* A DNS-sized UDP answer: 42 bytes of headers and a 400-byte payload. */
static void test_cut_udp_reply(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    eth(&w, 0x0800);
    size_t ip = ip4(&w, IPPROTO_UDP, "198.51.100.7", "192.0.2.1", 63, NULL, 0);
    w16(&w, 53);
    w16(&w, 40001);
    w16(&w, 8 + 400);
    w16(&w, 0);
    for (int i = 0; i < 400; i++)
        w8(&w, (uint8_t)i);
    ip4_end(&w, ip);

    /* Whole: as before, and not truncated. */
    assert_int_equal(pkt_parse_eth_cap(w.d, w.n, w.n, &r), PARSE_OK);
    assert_false(r.truncated);
    assert_int_equal(r.payload_len, 400);
    /* 256 bytes of it, as the receivers keep: the strict entry point refuses
     * it, the capture-aware one decodes the headers. */
    assert_int_equal(pkt_parse_eth(w.d, 256, &r), PARSE_ERR_TRUNCATED);
    assert_int_equal(parse_cut(&w, 256, w.n, true, &r), PARSE_OK);
    assert_true(r.truncated);
    assert_int_equal(r.proto, IPPROTO_UDP);
    assert_int_equal(r.sport, 53);
    assert_int_equal(r.dport, 40001);
    assert_addr(&r.src, "198.51.100.7");
    assert_int_equal(r.payload_off, 42);
    assert_int_equal(r.payload_len, 256 - 42);
    every_cut(&w, 42, true);

    /* A declared length past the wire length is a short packet, not a cut. */
    assert_int_equal(parse_cut(&w, 256, w.n - 1, true, &r), PARSE_ERR_TRUNCATED);
    set16(&w, 14 + 24, 8 + 401); /* UDP length past the IP length */
    assert_int_equal(parse_cut(&w, 256, w.n, true, &r), PARSE_ERR_TRUNCATED);
    set16(&w, 14 + 24, 8 + 100); /* UDP shorter than IP: payload captured whole */
    assert_int_equal(parse_cut(&w, 256, w.n, true, &r), PARSE_OK);
    assert_false(r.truncated);
    assert_int_equal(r.payload_len, 100);
}

/* An ICMP port unreachable quoting a large UDP probe (RFC 1812 routers and
 * Linux quote up to 576 bytes): the quote's headers fit in the snaplen. */
static void test_cut_icmp_quote(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    eth(&w, 0x0800);
    size_t ip = ip4(&w, IPPROTO_ICMP, "198.51.100.7", "192.0.2.1", 64, NULL, 0);
    wmem(&w, "\x03\x03\x00\x00\x00\x00\x00\x00", 8);
    size_t q = ip4(&w, IPPROTO_UDP, "192.0.2.1", "198.51.100.7", 64, NULL, 0);
    set16(&w, q + 2, 20 + 8 + 500);
    w16(&w, 40002);
    w16(&w, 137);
    w16(&w, 8 + 500);
    w16(&w, 0);
    for (int i = 0; i < 500; i++)
        w8(&w, 0x20);
    ip4_end(&w, ip);

    assert_int_equal(pkt_parse_eth(w.d, 256, &r), PARSE_ERR_TRUNCATED);
    assert_int_equal(parse_cut(&w, 256, w.n, true, &r), PARSE_OK);
    assert_true(r.truncated);
    assert_true(r.has_quote);
    assert_int_equal(r.quote.proto, IPPROTO_UDP);
    assert_int_equal(r.quote.sport, 40002);
    assert_int_equal(r.quote.dport, 137);
    assert_addr(&r.quote.dst, "198.51.100.7");
    /* Everything up to 8 bytes of the quoted UDP header must be there. */
    every_cut(&w, 14 + 20 + 8 + 20 + 8, true);
}

/* ICMPv6 (no Ethernet, from the IP header) with a quoted extension header,
 * and a TCP segment with options and a payload, cut inside the payload. */
static void test_cut_ipv6_and_tcp(void **state)
{
    struct w w = {0};
    struct pkt_info r;
    size_t ip = ip6(&w, IPPROTO_ICMPV6, "2001:db8::7", "2001:db8::1", 64);
    wmem(&w, "\x01\x04\x00\x00\x00\x00\x00\x00", 8);
    size_t q = ip6(&w, 60, "2001:db8::1", "2001:db8::7", 64);
    set16(&w, q + 4, 8 + 8 + 600);
    w8(&w, IPPROTO_UDP); /* quoted Destination Options, 8 bytes */
    w8(&w, 0);
    wmem(&w, "\x01\x04\x00\x00\x00\x00", 6);
    w16(&w, 40003);
    w16(&w, 161);
    w16(&w, 8 + 600);
    w16(&w, 0);
    for (int i = 0; i < 600; i++)
        w8(&w, 0x30);
    ip6_end(&w, ip);
    assert_int_equal(parse_cut(&w, 256, w.n, false, &r), PARSE_OK);
    assert_true(r.truncated);
    assert_true(r.has_quote);
    assert_int_equal(r.quote.proto, IPPROTO_UDP);
    assert_int_equal(r.quote.dport, 161);
    every_cut(&w, 40 + 8 + 40 + 8 + 8, false);

    /* An outer extension header must be captured whole too. */
    w.n = 0;
    eth(&w, 0x86dd);
    ip = ip6(&w, 60, "2001:db8::7", "2001:db8::1", 64);
    w8(&w, IPPROTO_TCP);
    w8(&w, 1); /* 16 bytes */
    wmem(&w, "\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 14);
    tcp(&w, 443, 40004, 1, 2, PKT_TCP_ACK | PKT_TCP_PSH, 512, SYNACK_OPTS, sizeof(SYNACK_OPTS));
    for (int i = 0; i < 300; i++)
        w8(&w, 0x41);
    ip6_end(&w, ip);
    assert_int_equal(parse_cut(&w, 256, w.n, true, &r), PARSE_OK);
    assert_true(r.truncated);
    assert_int_equal(r.sport, 443);
    assert_int_equal(r.tcp_opt_len, sizeof(SYNACK_OPTS));
    every_cut(&w, 14 + 40 + 16 + 20 + sizeof(SYNACK_OPTS), true);
}

/* ---- malformed headers ---- */

static void test_malformed(void **state)
{
    struct w good = synack_v4(), w;
    struct pkt_info r;

    w = good;
    w.d[14] = 0x55; /* IP version 5 */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    assert_int_equal(pkt_parse_ip(w.d + 14, w.n - 14, &r), PARSE_ERR_MALFORMED);
    w = good;
    w.d[14] = 0x44; /* IHL 4 words */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    w = good;
    w.d[14] = 0x4f; /* IHL 60 > total length 48 */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    w = good;
    w.d[14 + 20 + 12] = 0x40; /* TCP data offset 4 words */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    w = good;
    w.d[14 + 20 + 12] = 0xf0; /* TCP data offset 60 > segment */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_TRUNCATED);
    w = good;
    set16(&w, 14 + 2, 0xffff); /* total length past the buffer */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_TRUNCATED);
    w = good;
    w.d[12] = 0x86; /* EtherType IPv6, IPv4 inside */
    w.d[13] = 0xdd;
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_MALFORMED);
    w = good;
    w.d[12] = 0x08; /* ARP */
    w.d[13] = 0x06;
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_UNSUPPORTED);
    w = good;
    set16(&w, 14 + 6, 0x2001); /* MF + offset 8: non-first fragment */
    assert_int_equal(pkt_parse_eth(w.d, w.n, &r), PARSE_ERR_UNSUPPORTED);
    assert_addr(&r.src, "198.51.100.7"); /* what was decoded is kept */
    assert_int_equal(pkt_parse_ip(NULL, 0, &r), PARSE_ERR_TRUNCATED);

    /* IPv6 jumbogram (payload length 0, Hop-by-Hop) */
    w.n = 0;
    size_t ip = ip6(&w, 0, "::1", "::1", 1);
    wmem(&w, "\x06\x00\xc2\x04\x00\x01\x00\x00", 8);
    (void)ip;
    assert_int_equal(pkt_parse_ip(w.d, w.n, &r), PARSE_ERR_UNSUPPORTED);

    assert_string_equal(pkt_parse_strerror(PARSE_ERR_TRUNCATED), "truncated");
    assert_string_equal(pkt_parse_strerror(PARSE_ERR_MALFORMED), "malformed");
    assert_string_equal(pkt_parse_strerror(PARSE_ERR_UNSUPPORTED), "unsupported");
    assert_string_equal(pkt_parse_strerror(PARSE_OK), "ok");
}

/* ---- build -> parse ---- */

static void roundtrip(uint8_t family, bool with_eth, const char *src, const char *dst)
{
    struct pkt_template *t = malloc(sizeof(*t));
    struct pkt_tcp_params p = {0};
    struct pkt_tcp_probe pr = {0};
    struct pkt_info r;
    uint8_t buf[256];

    p.family = family;
    p.eth = with_eth;
    p.ip.ttl = 42;
    p.tcp_flags = PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG;
    p.window = 4096;
    p.tcp_options = (const uint8_t *)PKT_TCP_OPT_MSS1460;
    p.tcp_options_len = 4;
    p.ip.payload = (const uint8_t *)"xyz";
    p.ip.payload_len = 3;
    assert_int_equal(pkt_template_init(t, &p), 0);
    pr.src = A(src);
    pr.dst = A(dst);
    pr.sport = 54321;
    pr.dport = 9;
    pr.seq = 0x89abcdef;
    pr.ack = 0x01234567;
    pr.ip_id = 999;
    int n = pkt_make(t, buf, sizeof(buf), &pr);
    assert_true(n > 0);

    int rc = with_eth ? pkt_parse_eth(buf, (size_t)n, &r) : pkt_parse_ip(buf, (size_t)n, &r);
    assert_int_equal(rc, PARSE_OK);
    assert_int_equal(r.family, family);
    assert_true(ipaddr_equal(&r.src, &pr.src));
    assert_true(ipaddr_equal(&r.dst, &pr.dst));
    assert_int_equal(r.ttl, 42);
    assert_int_equal(r.proto, IPPROTO_TCP);
    assert_int_equal(r.ip_id, family == AF_INET ? 999 : 0);
    assert_int_equal(r.sport, 54321);
    assert_int_equal(r.dport, 9);
    assert_int_equal(r.seq, 0x89abcdef);
    assert_int_equal(r.ack, 0x01234567);
    assert_int_equal(r.tcp_flags, PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG);
    assert_int_equal(r.window, 4096);
    assert_int_equal(r.l4_off, t->l4_off);
    assert_int_equal(r.tcp_opt_len, 4);
    assert_int_equal(r.payload_len, 3);
    assert_memory_equal(buf + r.payload_off, "xyz", 3);
    /* The checksums verify through the offsets the parser reports. */
    if (family == AF_INET)
        assert_int_equal(pkt_ipv4_checksum(buf + r.l3_off, 20), 0);
    assert_int_equal(
        pkt_l4_checksum(&r.src, &r.dst, IPPROTO_TCP, buf + r.l4_off, (size_t)n - r.l4_off), 0);

    struct w w = {0};
    wmem(&w, buf, (size_t)n);
    all_prefixes_fail(&w, with_eth);
    free(t);
}

static void test_roundtrip(void **state)
{
    roundtrip(AF_INET, true, "192.0.2.1", "198.51.100.7");
    roundtrip(AF_INET, false, "10.255.255.254", "10.0.0.1");
    roundtrip(AF_INET6, true, "fe80::1", "ff02::1");
    roundtrip(AF_INET6, false, "2001:db8::1", "2001:db8::2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synack_v4_eth),
        cmocka_unit_test(test_rst_v4_ip),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_icmp_port_unreachable),
        cmocka_unit_test(test_icmp_host_unreachable_long_quote_with_options),
        cmocka_unit_test(test_icmp_udp_and_echo),
        cmocka_unit_test(test_icmp6_unreachable),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_cut_udp_reply),
        cmocka_unit_test(test_cut_icmp_quote),
        cmocka_unit_test(test_cut_ipv6_and_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
