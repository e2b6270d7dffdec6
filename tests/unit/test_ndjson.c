/*
 * Tests for src/output/ndjson.c (-oD): exact rendering of hand-built host
 * records (with and without version detection, names needing JSON escapes,
 * names that are not UTF-8), and every line parsing with jansson.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "output_fixture.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct output_module *ndjson(void)
{
    const struct output_module *m = output_module_find("-oD");
    assert_non_null(m);
    assert_string_equal(m->name, "ndjson");
    assert_null(m->ext); /* not in -oA */
    return m;
}

/* Every line is one JSON object with ip, timestamp, rec_type and data;
 * returns the number of lines. */
static size_t check_lines(const char *out)
{
    size_t n = 0;
    const char *p = out;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends in \n */
        json_error_t err;
        json_t *v = json_loadb(p, (size_t)(nl - p), 0, &err);
        if (!v)
            fail_msg("line %zu does not parse: %s: %.*s", n + 1, err.text, (int)(nl - p), p);
        assert_true(json_is_object(v));
        assert_true(json_is_string(json_object_get(v, "ip")));
        assert_true(json_is_string(json_object_get(v, "timestamp")));
        assert_true(json_is_string(json_object_get(v, "rec_type")));
        assert_true(json_is_object(json_object_get(v, "data")));
        json_decref(v);
        p = nl + 1;
        n++;
    }
    return n;
}

static void test_host_and_ports(void **state)
{
    (void)state;
    struct host_result h[1];
    host(&h[0], "198.18.0.2", HOST_UP, REASON_SYN_ACK);
    h[0].status_ttl = 64;
    h[0].hostname = "www.example.org";
    port(&h[0], 22, PORT_OPEN, REASON_SYN_ACK, 64, "ssh");
    service(&h[0], "ssh", "OpenSSH", "9.2p1", NULL, "cpe:/a:openbsd:openssh:9.2p1", NULL);
    port(&h[0], 80, PORT_CLOSED, REASON_RESET, 63, "http");
    port(&h[0], 8081, PORT_FILTERED, REASON_NO_RESPONSE, 0, NULL);
    char *out = render(ndjson(), h, 1, 0);
    assert_string_equal(
        out,
        "{\"ip\":\"198.18.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"host\",\"data\":{"
        "\"status\":\"up\",\"reason\":\"syn-ack\",\"ttl\":64,\"hostname\":\"www.example.org\"}}\n"
        "{\"ip\":\"198.18.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"status\",\"port\":22,"
        "\"proto\":\"tcp\",\"data\":{\"status\":\"open\",\"reason\":\"syn-ack\",\"ttl\":64,"
        "\"service\":{\"name\":\"ssh\",\"product\":\"OpenSSH\",\"version\":\"9.2p1\",\"cpe\":["
        "\"cpe:/a:openbsd:openssh:9.2p1\"],\"method\":\"probed\",\"conf\":10}}}\n"
        "{\"ip\":\"198.18.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"status\",\"port\":80,"
        "\"proto\":\"tcp\",\"data\":{\"status\":\"closed\",\"reason\":\"reset\",\"ttl\":63,"
        "\"service\":{\"name\":\"http\",\"method\":\"table\"}}}\n"
        "{\"ip\":\"198.18.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"status\",\"port\":8081,"
        "\"proto\":\"tcp\",\"data\":{\"status\":\"filtered\",\"reason\":\"no-response\",\"ttl\":0}}"
        "\n");
    assert_int_equal(check_lines(out), 4);
    free(out);
    host_result_free(&h[0]);
}

/* Down hosts are written without -v (a stream reader should know the host
 * was looked at); names with quotes and control characters are escaped,
 * bytes that are not UTF-8 become '?'. */
static void test_down_and_odd_names(void **state)
{
    (void)state;
    struct host_result h[2];
    host(&h[0], "::1", HOST_UP, REASON_LOCALHOST_RESPONSE);
    h[0].hostname = "a\"b\\c\n";
    h[0].rdns = strdup("caf\xe9.example");
    h[0].have_mac = true;
    memcpy(h[0].mac, "\x00\x1a\x2b\x3c\x4d\x5e", 6);
    host(&h[1], "127.0.0.2", HOST_DOWN, REASON_NO_RESPONSE);
    h[1].interrupted = true;
    char *out = render(ndjson(), h, 2, 0);
    assert_string_equal(
        out, "{\"ip\":\"::1\",\"timestamp\":\"1717000000\",\"rec_type\":\"host\",\"data\":{"
             "\"status\":\"up\",\"reason\":\"localhost-response\",\"ttl\":0,"
             "\"hostname\":\"a\\\"b\\\\c\\n\",\"rdns\":\"caf?.example\","
             "\"mac\":\"00:1A:2B:3C:4D:5E\"}}\n"
             "{\"ip\":\"127.0.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"host\",\"data\":{"
             "\"status\":\"down\",\"reason\":\"no-response\",\"ttl\":0,\"interrupted\":true}}\n");
    assert_int_equal(check_lines(out), 2);
    free(out);
    for (int i = 0; i < 2; i++)
        host_result_free(&h[i]);
}

static void test_empty_scan(void **state)
{
    (void)state;
    char *out = render(ndjson(), NULL, 0, 0);
    assert_string_equal(out, ""); /* no header, no closing line */
    free(out);
}

/* -O's matches under "os", an --os-passive guess under "os_passive" (as
 * -oJ): no reader takes a guess from one SYN-ACK for -O's verdict. */
static void test_os_keys(void **state)
{
    (void)state;
    struct host_result h[2];
    host(&h[0], "198.18.0.2", HOST_UP, REASON_SYN_ACK);
    os_top(&h[0], "Linux 5.0 - 5.14", 100, false);
    host(&h[1], "198.18.0.3", HOST_UP, REASON_SYN_ACK);
    os_top(&h[1], "Linux 5.3 - 5.4", 94, true);
    char *out = render(ndjson(), h, 2, 0);
    assert_int_equal(check_lines(out), 2);
    assert_string_equal(
        out, "{\"ip\":\"198.18.0.2\",\"timestamp\":\"1717000000\",\"rec_type\":\"host\",\"data\":{"
             "\"status\":\"up\",\"reason\":\"syn-ack\",\"ttl\":0,\"os\":{\"passive\":false,"
             "\"matches\":[{\"name\":\"Linux 5.0 - 5.14\",\"accuracy\":100}]}}}\n"
             "{\"ip\":\"198.18.0.3\",\"timestamp\":\"1717000000\",\"rec_type\":\"host\",\"data\":{"
             "\"status\":\"up\",\"reason\":\"syn-ack\",\"ttl\":0,\"os_passive\":{\"passive\":true,"
             "\"matches\":[{\"name\":\"Linux 5.3 - 5.4\",\"accuracy\":94}]}}}\n");
    free(out);
    for (int i = 0; i < 2; i++)
        host_result_free(&h[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_and_ports),
        cmocka_unit_test(test_os_keys),
        cmocka_unit_test(test_down_and_odd_names),
        cmocka_unit_test(test_empty_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
