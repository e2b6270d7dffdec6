/* Unit tests for core/addr: parsing, text form and sockaddr round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static void test_parse_v4(void **state)
{
    struct ipaddr a;
    char buf[IPADDR_STRLEN];
    assert_int_equal(ipaddr_parse("192.168.1.20", &a), 0);
    assert_int_equal(a.family, AF_INET);
    assert_int_equal(a.bytes[0], 192);
    assert_int_equal(a.bytes[3], 20);
    for (int i = 4; i < 16; i++)
        assert_int_equal(a.bytes[i], 0);
    assert_int_equal(ipaddr_v4(&a), 0xc0a80114);
    assert_string_equal(ipaddr_str(&a, buf, sizeof(buf)), "192.168.1.20");
    /* Every octet width, zeros inside (the hand-written IPv4 form), against
     * inet_pton's reading of the text back. */
    const char *forms[] = {"0.0.0.0", "255.255.255.255", "100.10.1.0", "1.20.105.9",
                           "10.200.99.250"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_int_equal(ipaddr_parse(forms[i], &a), 0);
        assert_string_equal(ipaddr_str(&a, buf, sizeof(buf)), forms[i]);
    }
    for (unsigned v = 0; v < 256; v++) {
        char want[16];
        a.bytes[0] = a.bytes[3] = (uint8_t)v;
        a.bytes[1] = a.bytes[2] = (uint8_t)(255 - v);
        snprintf(want, sizeof(want), "%u.%u.%u.%u", v, 255 - v, 255 - v, v);
        assert_string_equal(ipaddr_str(&a, buf, sizeof(buf)), want);
    }
}

static void test_parse_v6(void **state)
{
    struct ipaddr a;
    char buf[IPADDR_STRLEN];
    assert_int_equal(ipaddr_parse("FD00:0::1", &a), 0);
    assert_int_equal(a.family, AF_INET6);
    assert_int_equal(a.bytes[0], 0xfd);
    assert_int_equal(a.bytes[15], 1);
    assert_string_equal(ipaddr_str(&a, buf, sizeof(buf)), "fd00::1");
    assert_int_equal(ipaddr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0);
    assert_string_equal(ipaddr_str(&a, buf, sizeof(buf)),
                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_parse_bad(void **state)
{
    const char *bad[] = {"",          "1.2.3",      "1.2.3.256", "1.2.3.4/24",
                         "localhost", "fd00::1::2", "10.0.0.1 ", "::g"};
    struct ipaddr a;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ipaddr_parse(bad[i], &a), -1);
}

static void test_equal(void **state)
{
    struct ipaddr a, b, c;
    assert_int_equal(ipaddr_parse("10.0.0.1", &a), 0);
    ipaddr_set_v4(&b, 0x0a000001);
    assert_true(ipaddr_equal(&a, &b));
    assert_int_equal(ipaddr_parse("::a00:1", &c), 0); /* same bytes 12..15, other family */
    assert_false(ipaddr_equal(&a, &c));
    ipaddr_set_v4(&b, 0x0a000002);
    assert_false(ipaddr_equal(&a, &b));
}

static void test_sockaddr_roundtrip(void **state)
{
    const char *addrs[] = {"10.1.2.3", "fd00::abcd", "::", "255.255.255.255"};
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        struct ipaddr a, b;
        struct sockaddr_storage ss;
        uint16_t port = 0;
        assert_int_equal(ipaddr_parse(addrs[i], &a), 0);
        socklen_t len = ipaddr_to_sockaddr(&a, 8443, &ss);
        if (a.family == AF_INET) {
            assert_int_equal(len, sizeof(struct sockaddr_in));
            assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8443);
        } else {
            assert_int_equal(len, sizeof(struct sockaddr_in6));
        }
        assert_int_equal(ss.ss_family, a.family);
        assert_int_equal(ipaddr_from_sockaddr((struct sockaddr *)&ss, &b, &port), 0);
        assert_true(ipaddr_equal(&a, &b));
        assert_int_equal(port, 8443);
        assert_int_equal(ipaddr_from_sockaddr((struct sockaddr *)&ss, &b, NULL), 0);
    }
    struct sockaddr_storage ss;
    struct ipaddr a;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_UNIX;
    assert_int_equal(ipaddr_from_sockaddr((struct sockaddr *)&ss, &a, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_v4),           cmocka_unit_test(test_parse_v6),
        cmocka_unit_test(test_parse_bad),          cmocka_unit_test(test_equal),
        cmocka_unit_test(test_sockaddr_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
