/* Tests for scan/connect.c: the connect(2) outcome table and the module's
 * description. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/scan_module.h"

#include <errno.h>

extern const struct scan_module scan_connect;

static const struct {
    int err;
    enum scan_verdict verdict;
    enum port_state state;
    enum reason reason;
} table[] = {
    {0, VERDICT_FINAL, PORT_OPEN, REASON_SYN_ACK},
    {ECONNRESET, VERDICT_FINAL, PORT_OPEN, REASON_SYN_ACK},
    {ECONNREFUSED, VERDICT_FINAL, PORT_CLOSED, REASON_CONN_REFUSED},
    {EHOSTUNREACH, VERDICT_FINAL, PORT_FILTERED, REASON_HOST_UNREACH},
    {ENETUNREACH, VERDICT_FINAL, PORT_FILTERED, REASON_NET_UNREACH},
    {ENETDOWN, VERDICT_FINAL, PORT_FILTERED, REASON_NET_UNREACH},
    {ENOPROTOOPT, VERDICT_FINAL, PORT_FILTERED, REASON_PROTO_UNREACH},
    {EACCES, VERDICT_FINAL, PORT_FILTERED, REASON_ADMIN_PROHIBITED},
    {EPERM, VERDICT_FINAL, PORT_FILTERED, REASON_ADMIN_PROHIBITED},
    {ETIMEDOUT, VERDICT_FINAL, PORT_FILTERED, REASON_NO_RESPONSE},
    {EHOSTDOWN, VERDICT_FINAL, PORT_FILTERED, REASON_NO_RESPONSE},
    {EADDRNOTAVAIL, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {EAGAIN, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {ENOBUFS, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {ENOMEM, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {EMFILE, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {ENFILE, VERDICT_RETRY, PORT_UNKNOWN, REASON_UNKNOWN},
    {EINVAL, VERDICT_FINAL, PORT_FILTERED, REASON_UNKNOWN}, /* anything else */
};

static void test_classify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        enum port_state st = PORT_STATE_COUNT;
        enum reason rs = REASON_COUNT;
        assert_int_equal(scan_connect.classify_connect(table[i].err, &st, &rs), table[i].verdict);
        assert_int_equal(st, table[i].state);
        assert_int_equal(rs, table[i].reason);
    }
}

static void test_module(void **state)
{
    (void)state;
    assert_string_equal(scan_connect.name, "connect");
    assert_string_equal(scan_connect.option, "-sT");
    assert_string_equal(scan_connect.xml_type, "connect");
    assert_int_equal(scan_connect.proto, PROTO_TCP);
    assert_int_equal(scan_connect.engine, SCAN_ENGINE_CONNECT);
    assert_false(scan_connect.needs_root);
    assert_int_equal(scan_connect.silence_state, PORT_FILTERED);
    assert_int_equal(scan_connect.silence_reason, REASON_NO_RESPONSE);
    assert_ptr_equal(scan_module_find("-sT"), &scan_connect);
    assert_ptr_equal(scan_module_find("connect"), &scan_connect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_module),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
