/*
 * test_probe_kinds.c — every probe kind of the registry (scan/probe_kind.h),
 * over IPv4 and IPv6 where it exists: prepare a template, make a probe,
 * parse it back, then feed validate a synthetic valid reply (the target's
 * direct answer, and an ICMP error quoting the probe) and forged ones
 * (another scan's key, a wrong cookie field, another kind's reply), which
 * must be rejected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/parse.h"
#include "scan/probe_kind.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t KEY[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
static const uint8_t OTHER[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 7};

static struct ipaddr A(const char *s) {
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(s, &a), 0);
    return a;
}

/* The reply type for an ICMP request type (RFC 792, RFC 950, RFC 4443). */
static uint8_t
reply_type(uint8_t req)
{
    int t = pkt_icmp_reply_type(req);
    assert_true(t >= 0);
    return (uint8_t)t;
}

/* Build the probe of kind k from us to them:dport and parse it into *sent. */
static void make_probe(const struct probe_kind *k, const struct cookie_ctx *c,
                       const struct ipaddr *us, const struct ipaddr *them, uint16_t dport,
                       uint8_t tcp_flags, struct probe_tpl *t, struct pkt_info *sent)
{
    struct ip_settings ip = {.ttl = 64, .src = *us};
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct probe_setup su = {
        .family = us->family,
        .eth = true,
        .src_mac = mac,
        .dst_mac = mac,
        .ip = &ip,
        .tcp_flags = tcp_flags,
    };
    memset(t, 0, sizeof(*t));
    t->kind = k;
    assert_int_equal(k->prepare(t, &su), 0);
    assert_true(t->frame_len > 0);
    static const uint8_t dns[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
    struct udp_payload pl = {dns, sizeof(dns) - 1};
    struct probe_make m = {
        .cookie = c,
        .dst = them,
        .dport = dport,
        .hash = k->port_cookie ? cookie_hash(c, us, them, dport) : 0,
        .payload = k->payloads ? &pl : NULL,
    };
    static uint8_t buf[PKT_MAX_FRAME];
    memset(buf, 0xee, sizeof(buf));
    int len = k->make(t, &m, buf, sizeof(buf), false);
    assert_true(len >= (int)t->frame_len);
    assert_int_equal(pkt_parse_eth(buf, (size_t)len, sent), PARSE_OK);
    assert_true(ipaddr_equal(&sent->src, us));
    assert_true(ipaddr_equal(&sent->dst, them));
    /* A slot that already holds the template: the same bytes. */
    static uint8_t again[PKT_MAX_FRAME];
    memcpy(again, buf, (size_t)len);
    /* Spoil per-probe fields: the target address, ports or ICMP id/seq. */
    memset(again + PKT_ETH_LEN + (us->family == AF_INET ? 16 : 24), 0, 4);
    memset(again + sent->l4_off + (k->ported ? 0 : 4), 0, 4); /* ports; ICMP id, seq */
    assert_int_equal(k->make(t, &m, again, sizeof(again), true), len);
    assert_memory_equal(again, buf, (size_t)len);
    /* A target of the other family is refused. */
    struct ipaddr wrong = A(us->family == AF_INET ? "fd00::9" : "10.9.9.9");
    m.dst = &wrong;
    assert_int_equal(k->make(t, &m, buf, sizeof(buf), false), -1);
    /* Too small a buffer is refused. */
    m.dst = them;
    assert_int_equal(k->make(t, &m, buf, 10, false), -1);
}

/* The target's direct answer to sent, as its stack would send it. */
static struct pkt_info direct_reply(const struct probe_kind *k, const struct pkt_info *sent)
{
    struct pkt_info r = *sent;
    r.src = sent->dst;
    r.dst = sent->src;
    r.sport = sent->dport;
    r.dport = sent->sport;
    r.has_quote = false;
    if (k == &probe_tcp) {
        r.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK; /* SYN-ACK: an open port */
        r.ack = sent->seq + 1;
        r.seq = 0x55555555;
    } else if (!k->ported) {
        r.icmp_type = reply_type(sent->icmp_type);
    }
    return r;
}

/* An ICMP error from a router about sent: port unreachable, or time
 * exceeded for ICMP probes. */
static struct pkt_info error_reply(const struct pkt_info *sent, const struct ipaddr *router)
{
    struct pkt_info r;
    memset(&r, 0, sizeof(r));
    bool v6 = sent->family == AF_INET6;
    r.family = sent->family;
    r.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    r.src = *router;
    r.dst = sent->src;
    r.icmp_type = v6 ? PKT_ICMP6_UNREACH : PKT_ICMP_UNREACH;
    r.icmp_code = v6 ? 4 : 3;
    r.has_quote = true;
    struct pkt_quote *q = &r.quote;
    q->family = sent->family;
    q->proto = sent->proto;
    q->src = sent->src;
    q->dst = sent->dst;
    q->ip_id = sent->ip_id;
    q->sport = sent->sport;
    q->dport = sent->dport;
    q->seq = sent->seq;
    q->icmp_type = sent->icmp_type;
    q->icmp_id = sent->icmp_id;
    q->icmp_seq = sent->icmp_seq;
    return r;
}

static void expect_match(const struct probe_kind *k, const struct cookie_ctx *c, uint8_t flags,
                         const struct pkt_info *r, const struct ipaddr *them, uint16_t dport)
{
    struct probe_match m = {0};
    assert_true(k->validate(c, flags, r, &m));
    assert_non_null(m.target);
    assert_true(ipaddr_equal(m.target, them));
    assert_int_equal(m.port, dport);
}

static void expect_reject(const struct probe_kind *k, const struct cookie_ctx *c, uint8_t flags,
                          const struct pkt_info *r)
{
    struct probe_match m = {0};
    assert_false(k->validate(c, flags, r, &m));
}

static void check_kind(const struct probe_kind *k, int family)
{
    struct cookie_ctx c, other;
    assert_int_equal(cookie_init(&c, KEY, 40000, 21000), 0);
    assert_int_equal(cookie_init(&other, OTHER, 40000, 21000), 0);
    bool v6 = family == AF_INET6;
    struct ipaddr us = A(v6 ? "fd00::1" : "198.18.0.1");
    struct ipaddr them = A(v6 ? "fd00::2" : "198.18.0.2");
    struct ipaddr router = A(v6 ? "fd00::fe" : "198.18.0.254");
    uint16_t dport = k->ported ? 443 : 0;
    uint8_t flags = k == &probe_tcp ? PKT_TCP_SYN : 0;
    struct probe_tpl *t = malloc(sizeof(*t));
    struct pkt_info sent;
    make_probe(k, &c, &us, &them, dport, flags, t, &sent);

    /* The probe carries the cookie: our own outgoing probe is no reply. */
    expect_reject(k, &c, flags, &sent);

    /* The direct answer validates and maps back to (them, dport). */
    struct pkt_info r = direct_reply(k, &sent);
    expect_match(k, &c, flags, &r, &them, dport);
    expect_reject(k, &other, flags, &r); /* another scan's key */
    /* Every other kind refuses it. */
    for (const struct probe_kind *const *o = probe_kinds; *o; o++)
        if (*o != k)
            expect_reject(*o, &c, PKT_TCP_SYN, &r);
    /* A forged cookie field. */
    struct pkt_info f = r;
    if (k == &probe_tcp)
        f.ack += 1000;
    else if (k == &probe_udp)
        f.dport ^= 1; /* the probe's source port */
    else
        f.icmp_id ^= 1;
    expect_reject(k, &c, flags, &f);
    /* Another target (the cookie covers the address). */
    f = r;
    f.src.bytes[v6 ? 15 : 3] ^= 0x40;
    expect_reject(k, &c, flags, &f);

    /* An ICMP error quoting the probe validates too (UDP: port unreachable
     * is how a closed port answers). */
    r = error_reply(&sent, &router);
    expect_match(k, &c, flags, &r, &them, dport);
    expect_reject(k, &other, flags, &r);
    for (const struct probe_kind *const *o = probe_kinds; *o; o++)
        if (*o != k)
            expect_reject(*o, &c, PKT_TCP_SYN, &r);
    f = r;
    if (k == &probe_tcp)
        f.quote.seq ^= 1;
    else if (k == &probe_udp)
        f.quote.sport ^= 1;
    else
        f.quote.icmp_seq ^= 1;
    expect_reject(k, &c, flags, &f);
    f = r;
    f.dst = router; /* not addressed to the quoted source (us) */
    expect_reject(k, &c, flags, &f);
    free(t);
}

static void test_every_kind(void **state)
{
    (void)state;
    int n = 0;
    for (const struct probe_kind *const *k = probe_kinds; *k; k++, n++) {
        assert_non_null((*k)->name);
        assert_non_null((*k)->prepare);
        assert_non_null((*k)->make);
        assert_non_null((*k)->validate);
        assert_true((*k)->ported || (*k)->label);
        check_kind(*k, AF_INET);
        if (!(*k)->ipv4_only)
            check_kind(*k, AF_INET6);
    }
    assert_int_equal(n, 5);
}

/* The rows differ where they must: IPv4-only kinds and the request type. */
static void test_icmp_rows(void **state)
{
    (void)state;
    assert_false(probe_icmp_echo.ipv4_only);
    assert_true(probe_icmp_timestamp.ipv4_only);
    assert_true(probe_icmp_netmask.ipv4_only);
    const struct probe_kind *rows[] = {&probe_icmp_echo, &probe_icmp_timestamp,
                                       &probe_icmp_netmask};
    const uint8_t types[] = {PKT_ICMP_ECHO, PKT_ICMP_TSTAMP, PKT_ICMP_MASKREQ};
    struct cookie_ctx c;
    assert_int_equal(cookie_init(&c, KEY, 40000, 21000), 0);
    struct ipaddr us = A("10.0.0.1"), them = A("10.0.0.2");
    struct probe_tpl *t = malloc(sizeof(*t));
    for (int i = 0; i < 3; i++) {
        struct pkt_info sent;
        make_probe(rows[i], &c, &us, &them, 0, 0, t, &sent);
        assert_int_equal(sent.icmp_type, types[i]);
        assert_int_equal(t->icmp_type, types[i]);
    }
    free(t);
    /* TCP probes with ACK: the RST's seq echoes the cookie's ack. */
    t = malloc(sizeof(*t));
    struct pkt_info sent;
    make_probe(&probe_tcp, &c, &us, &them, 80, PKT_TCP_ACK, t, &sent);
    struct pkt_info r = direct_reply(&probe_tcp, &sent);
    r.tcp_flags = PKT_TCP_RST;
    r.seq = sent.ack;
    expect_match(&probe_tcp, &c, PKT_TCP_ACK, &r, &them, 80);
    r.seq ^= 1;
    expect_reject(&probe_tcp, &c, PKT_TCP_ACK, &r);
    free(t);
}

/* The one IP-layer struct reaches every kind's frame. */
static void test_ip_settings_threaded(void **state)
{
    (void)state;
    struct cookie_ctx c;
    assert_int_equal(cookie_init(&c, KEY, 40000, 1), 0);
    for (const struct probe_kind *const *k = probe_kinds; *k; k++) {
        struct ip_settings ip = {
            .ttl = 33, .tos = 0x10, .dont_fragment = true, .src = A("10.1.1.1")};
        struct probe_setup su = {.family = AF_INET, .ip = &ip, .tcp_flags = PKT_TCP_SYN};
        struct probe_tpl *t = malloc(sizeof(*t));
        memset(t, 0, sizeof(*t));
        assert_int_equal((*k)->prepare(t, &su), 0);
        struct ipaddr dst = A("10.1.1.2");
        struct probe_make m = {.cookie = &c, .dst = &dst, .dport = 7};
        uint8_t buf[PKT_MAX_FRAME];
        int len = (*k)->make(t, &m, buf, sizeof(buf), false);
        assert_true(len > 0);
        struct pkt_info pi;
        assert_int_equal(pkt_parse_ip(buf, (size_t)len, &pi), PARSE_OK);
        assert_int_equal(pi.ttl, 33);
        assert_int_equal(pi.tos, 0x10);
        assert_true(pi.df);
        assert_true(ipaddr_equal(&pi.src, &ip.src));
        if ((*k)->ported)
            assert_int_equal(pi.sport, 40000); /* one source port: -g */
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_icmp_rows),
        cmocka_unit_test(test_ip_settings_threaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
