/* test_scan_modules.c — the raw TCP scan modules: reply tables for both
 * families, the registry, and --scanflags parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/packet.h"
#include "net/parse.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static const int families[] = {AF_INET, AF_INET6};

/* A TCP segment from the target. */
static struct pkt_info tcp_reply(int family, uint8_t flags, uint16_t window)
{
    struct pkt_info p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)family;
    p.proto = IPPROTO_TCP;
    p.ttl = 64;
    p.sport = 80;
    p.dport = 40000;
    p.tcp_flags = flags;
    p.window = window;
    return p;
}

/* An ICMP (AF_INET) or ICMPv6 (AF_INET6) error quoting a TCP probe. */
static struct pkt_info icmp_reply(int family, uint8_t type, uint8_t code)
{
    struct pkt_info p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)family;
    p.proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    p.ttl = 64;
    p.icmp_type = type;
    p.icmp_code = code;
    p.has_quote = true;
    p.quote.family = (uint8_t)family;
    p.quote.proto = IPPROTO_TCP;
    p.quote.sport = 40000;
    p.quote.dport = 80;
    return p;
}

static enum scan_verdict run(const struct scan_module *m, const struct pkt_info *p,
                             enum port_state *st, enum reason *rs)
{
    *st = PORT_STATE_COUNT;
    *rs = REASON_COUNT;
    return m->classify_reply(p, st, rs);
}

static void expect(const struct scan_module *m, const struct pkt_info *p, enum port_state want_st,
                   enum reason want_rs)
{
    enum port_state st;
    enum reason rs;
    assert_int_equal(run(m, p, &st, &rs), VERDICT_FINAL);
    assert_string_equal(port_state_name(st), port_state_name(want_st));
    assert_string_equal(reason_name(rs), reason_name(want_rs));
}

static void expect_ignore(const struct scan_module *m, const struct pkt_info *p)
{
    enum port_state st;
    enum reason rs;
    assert_int_equal(run(m, p, &st, &rs), VERDICT_IGNORE);
    assert_int_equal(st, PORT_UNKNOWN);
    assert_int_equal(rs, REASON_UNKNOWN);
}

static const struct scan_module *mod(const char *opt)
{
    const struct scan_module *m = scan_module_find(opt);
    assert_non_null(m);
    return m;
}

/* What every raw TCP module does with ICMP, on both families. */
static void check_icmp(const struct scan_module *m)
{
    static const struct {
        uint8_t code;
        enum reason reason;
    } v4[] =
        {
            {0, REASON_NET_UNREACH},       {1, REASON_HOST_UNREACH},   {2, REASON_PROTO_UNREACH},
            {3, REASON_PORT_UNREACH},      {9, REASON_NET_PROHIBITED}, {10, REASON_HOST_PROHIBITED},
            {13, REASON_ADMIN_PROHIBITED},
        },
      v6[] = {
          {0, REASON_NET_UNREACH},
          {1, REASON_ADMIN_PROHIBITED},
          {3, REASON_HOST_UNREACH},
          {4, REASON_PORT_UNREACH},
      };
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        struct pkt_info p = icmp_reply(AF_INET, PKT_ICMP_UNREACH, v4[i].code);
        expect(m, &p, PORT_FILTERED, v4[i].reason);
    }
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
        struct pkt_info p = icmp_reply(AF_INET6, PKT_ICMP6_UNREACH, v6[i].code);
        expect(m, &p, PORT_FILTERED, v6[i].reason);
    }

    /* Unreachable codes nmap does not read as filtered. */
    static const uint8_t v4_other[] = {4, 5, 6, 7, 8, 11, 12, 14, 15};
    for (size_t i = 0; i < sizeof(v4_other); i++) {
        struct pkt_info p = icmp_reply(AF_INET, PKT_ICMP_UNREACH, v4_other[i]);
        expect_ignore(m, &p);
    }
    static const uint8_t v6_other[] = {2, 5, 6, 7};
    for (size_t i = 0; i < sizeof(v6_other); i++) {
        struct pkt_info p = icmp_reply(AF_INET6, PKT_ICMP6_UNREACH, v6_other[i]);
        expect_ignore(m, &p);
    }
    /* Other ICMP messages decide nothing. */
    struct pkt_info p = icmp_reply(AF_INET, PKT_ICMP_TIMXCEED, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET, PKT_ICMP_SOURCEQUENCH, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET, PKT_ICMP_PARAMPROB, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET, PKT_ICMP_ECHOREPLY, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET6, PKT_ICMP6_TIMXCEED, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET6, PKT_ICMP6_PACKET_TOO_BIG, 0);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET6, PKT_ICMP6_PARAMPROB, 0);
    expect_ignore(m, &p);
    /* The type numbers are family-specific: ICMPv6 type 3 is time exceeded,
     * not destination unreachable, and ICMPv4 type 1 is unassigned. */
    p = icmp_reply(AF_INET6, PKT_ICMP_UNREACH, 1);
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET, PKT_ICMP6_UNREACH, 1);
    expect_ignore(m, &p);
    /* An ICMPv4 message in an IPv6 packet (or the reverse) is not an error
     * about our probe. */
    p = icmp_reply(AF_INET6, PKT_ICMP_UNREACH, 13);
    p.proto = IPPROTO_ICMP;
    expect_ignore(m, &p);
    p = icmp_reply(AF_INET, PKT_ICMP6_UNREACH, 1);
    p.proto = IPPROTO_ICMPV6;
    expect_ignore(m, &p);
    /* An error without a decoded quote cannot be matched to a probe. */
    p = icmp_reply(AF_INET, PKT_ICMP_UNREACH, 13);
    p.has_quote = false;
    expect_ignore(m, &p);
    /* UDP, or no family at all. */
    p = tcp_reply(AF_INET, PKT_TCP_RST, 0);
    p.proto = IPPROTO_UDP;
    expect_ignore(m, &p);
    p = tcp_reply(0, PKT_TCP_RST, 0);
    expect_ignore(m, &p);
}

/* Module fields common to every raw TCP module. */
static void check_fields(const struct scan_module *m, const char *name, const char *option,
                         uint8_t flags, enum port_state silence)
{
    assert_string_equal(m->name, name);
    assert_string_equal(m->option, option);
    assert_string_equal(m->xml_type, name);
    assert_int_equal(m->proto, PROTO_TCP);
    assert_int_equal(m->engine, SCAN_ENGINE_RAW);
    assert_true(m->needs_root);
    assert_int_equal(m->tcp_flags, flags);
    assert_int_equal(m->silence_state, silence);
    assert_int_equal(m->silence_reason, REASON_NO_RESPONSE);
    assert_non_null(m->classify_reply);
    assert_null(m->classify_connect);
}

static void test_syn(void **state)
{
    const struct scan_module *m = mod("-sS");
    check_fields(m, "syn", "-sS", PKT_TCP_SYN, PORT_FILTERED);
    for (size_t f = 0; f < 2; f++) {
        int fam = families[f];
        struct pkt_info p = tcp_reply(fam, PKT_TCP_SYN | PKT_TCP_ACK, 65160);
        expect(m, &p, PORT_OPEN, REASON_SYN_ACK);
        p = tcp_reply(fam, PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_ECE, 0);
        expect(m, &p, PORT_OPEN, REASON_SYN_ACK);
        p = tcp_reply(fam, PKT_TCP_SYN, 1024); /* simultaneous open */
        expect(m, &p, PORT_OPEN, REASON_SYN_ACK);
        p = tcp_reply(fam, PKT_TCP_RST | PKT_TCP_ACK, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 512); /* the window means nothing here */
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_ACK, 0);
        expect_ignore(m, &p);
        p = tcp_reply(fam, PKT_TCP_FIN | PKT_TCP_ACK, 0);
        expect_ignore(m, &p);
        p = tcp_reply(fam, 0, 0);
        expect_ignore(m, &p);
    }
    check_icmp(m);
}

/* FIN, NULL, Xmas and Maimon read replies the same way. */
static void check_stealth(const struct scan_module *m)
{
    for (size_t f = 0; f < 2; f++) {
        int fam = families[f];
        struct pkt_info p = tcp_reply(fam, PKT_TCP_RST | PKT_TCP_ACK, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 4096);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        /* Only a SYN scan reads SYN/ACK or SYN (nmap's get_pcap_result). */
        p = tcp_reply(fam, PKT_TCP_SYN | PKT_TCP_ACK, 65160);
        expect_ignore(m, &p);
        p = tcp_reply(fam, PKT_TCP_SYN, 0);
        expect_ignore(m, &p);
        p = tcp_reply(fam, PKT_TCP_ACK, 0);
        expect_ignore(m, &p);
    }
    check_icmp(m);
}

static void test_fin_null_xmas_maimon(void **state)
{
    const struct scan_module *fin = mod("-sF"), *null = mod("-sN"), *xmas = mod("-sX"),
                             *maimon = mod("-sM");
    check_fields(fin, "fin", "-sF", PKT_TCP_FIN, PORT_OPEN_FILTERED);
    check_fields(null, "null", "-sN", 0, PORT_OPEN_FILTERED);
    check_fields(xmas, "xmas", "-sX", PKT_TCP_FIN | PKT_TCP_PSH | PKT_TCP_URG, PORT_OPEN_FILTERED);
    check_fields(maimon, "maimon", "-sM", PKT_TCP_FIN | PKT_TCP_ACK, PORT_OPEN_FILTERED);
    check_stealth(fin);
    check_stealth(null);
    check_stealth(xmas);
    check_stealth(maimon);
}

static void test_ack(void **state)
{
    const struct scan_module *m = mod("-sA");
    check_fields(m, "ack", "-sA", PKT_TCP_ACK, PORT_FILTERED);
    for (size_t f = 0; f < 2; f++) {
        int fam = families[f];
        struct pkt_info p = tcp_reply(fam, PKT_TCP_RST, 0);
        expect(m, &p, PORT_UNFILTERED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 8192);
        expect(m, &p, PORT_UNFILTERED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST | PKT_TCP_ACK, 0);
        expect(m, &p, PORT_UNFILTERED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_ACK, 0);
        expect_ignore(m, &p);
        p = tcp_reply(fam, PKT_TCP_SYN | PKT_TCP_ACK, 0);
        expect_ignore(m, &p);
    }
    check_icmp(m);
}

static void test_window(void **state)
{
    const struct scan_module *m = mod("-sW");
    check_fields(m, "window", "-sW", PKT_TCP_ACK, PORT_FILTERED);
    for (size_t f = 0; f < 2; f++) {
        int fam = families[f];
        struct pkt_info p = tcp_reply(fam, PKT_TCP_RST, 1);
        expect(m, &p, PORT_OPEN, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 65535);
        expect(m, &p, PORT_OPEN, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_RST | PKT_TCP_ACK, 0);
        expect(m, &p, PORT_CLOSED, REASON_RESET);
        p = tcp_reply(fam, PKT_TCP_ACK, 5000);
        expect_ignore(m, &p);
        p = tcp_reply(fam, PKT_TCP_SYN | PKT_TCP_ACK, 5000);
        expect_ignore(m, &p);
    }
    check_icmp(m);
}

static void test_registry(void **state)
{
    static const char *const pairs[][2] = {
        {"-sT", "connect"}, {"-sS", "syn"},    {"-sF", "fin"},    {"-sN", "null"}, {"-sX", "xmas"},
        {"-sA", "ack"},     {"-sW", "window"}, {"-sM", "maimon"}, {"-sU", "udp"},
    };
    size_t n = 0;
    while (scan_modules[n])
        n++;
    assert_int_equal(n, sizeof(pairs) / sizeof(pairs[0]));
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const struct scan_module *by_opt = scan_module_find(pairs[i][0]);
        const struct scan_module *by_name = scan_module_find(pairs[i][1]);
        assert_non_null(by_opt);
        assert_ptr_equal(by_opt, by_name);
        assert_string_equal(by_opt->option, pairs[i][0]);
        assert_string_equal(by_opt->name, pairs[i][1]);
        if (by_opt->engine == SCAN_ENGINE_RAW) {
            assert_non_null(by_opt->classify_reply);
            assert_true(by_opt->needs_root);
        }
    }
    assert_null(scan_module_find("-sY"));
    assert_null(scan_module_find("-ss"));
    assert_null(scan_module_find("SYN"));
    assert_null(scan_module_find(""));
    /* Every option and name is unique. */
    for (size_t i = 0; scan_modules[i]; i++)
        for (size_t j = i + 1; scan_modules[j]; j++) {
            assert_string_not_equal(scan_modules[i]->option, scan_modules[j]->option);
            assert_string_not_equal(scan_modules[i]->name, scan_modules[j]->name);
        }
}

static void test_scanflags_parse(void **state)
{
    static const struct {
        const char *text;
        uint8_t flags;
    } good[] = {
        {"SYN", PKT_TCP_SYN},
        {"SYNFIN", PKT_TCP_SYN | PKT_TCP_FIN},
        {"FINSYN", PKT_TCP_SYN | PKT_TCP_FIN},
        {"URGPSHFIN", PKT_TCP_URG | PKT_TCP_PSH | PKT_TCP_FIN},
        {"urgPshFIN", PKT_TCP_URG | PKT_TCP_PSH | PKT_TCP_FIN},
        {"URGACKPSHRSTSYNFIN", 0x3f},
        {"ECECWR", PKT_TCP_ECE | PKT_TCP_CWR},
        {"SYNSYN", PKT_TCP_SYN},
        {"SYN,ACK", PKT_TCP_SYN | PKT_TCP_ACK},
        {"SYN|ACK", PKT_TCP_SYN | PKT_TCP_ACK},
        {"SYN+RST", PKT_TCP_SYN | PKT_TCP_RST},
        {"ALL", 0xff},
        {"NONE", 0},
        {"0", 0},
        {"18", 0x12},
        {"255", 0xff},
        {"0x29", 0x29},
        {"0XfF", 0xff},
        {"007", 7},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint8_t f = 0xaa;
        char err[256] = "";
        assert_int_equal(tcp_scanflags_parse(good[i].text, &f, err, sizeof(err)), 0);
        assert_int_equal(f, good[i].flags);
    }
    static const char *const bad[] = {
        "",     "256", "0x100", "-1",   " 1",   "1 ",       "0x",      "0x-1", "12abc",
        "SYNX", "SY",  "S",     "SYN,", ",SYN", "SYN,,ACK", "SYN ACK", "0x1g", "1e2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t f = 0xaa;
        char err[256] = "";
        assert_int_equal(tcp_scanflags_parse(bad[i], &f, err, sizeof(err)), -1);
        assert_int_equal(f, 0xaa);
        assert_non_null(strstr(err, "--scanflags"));
        assert_non_null(strstr(err, bad[i]));
    }
}

static void test_icmp_helper(void **state)
{
    enum reason r = REASON_COUNT;
    struct pkt_info p = icmp_reply(AF_INET, PKT_ICMP_UNREACH, 10);
    assert_true(tcp_classify_icmp(&p, &r));
    assert_int_equal(r, REASON_HOST_PROHIBITED);
    r = REASON_COUNT;
    p = icmp_reply(AF_INET, PKT_ICMP_UNREACH, 4); /* fragmentation needed */
    assert_false(tcp_classify_icmp(&p, &r));
    assert_int_equal(r, REASON_COUNT);
    p = tcp_reply(AF_INET6, PKT_TCP_RST, 0);
    assert_false(tcp_classify_icmp(&p, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn),         cmocka_unit_test(test_fin_null_xmas_maimon),
        cmocka_unit_test(test_ack),         cmocka_unit_test(test_window),
        cmocka_unit_test(test_registry),    cmocka_unit_test(test_scanflags_parse),
        cmocka_unit_test(test_icmp_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
