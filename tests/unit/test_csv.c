/*
 * Tests for src/output/csv.c (-oC): exact rendering of hand-built host
 * records, with and without version detection, RFC 4180 quoting and CRLF,
 * hosts without port rows, and names that are not UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "output_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER                                                                                     \
    "address,hostname,host_state,protocol,port,state,reason,reason_ttl,service,product,version,"   \
    "extrainfo,cpe,reason_ip,ports_not_scanned,os,os_passive\r\n"

static const struct output_module *csv(void)
{
    const struct output_module *m = output_module_find("-oC");
    assert_non_null(m);
    assert_string_equal(m->name, "csv");
    assert_null(m->ext); /* not in -oA */
    return m;
}

static void test_ports_and_service(void **state)
{
    (void)state;
    struct host_result h[1];
    host(&h[0], "198.18.0.2", HOST_UP, REASON_SYN_ACK);
    h[0].hostname = "www.example.org";
    port(&h[0], 22, PORT_OPEN, REASON_SYN_ACK, 64, "ssh");
    service(&h[0], "ssh", "OpenSSH", "9.2p1 Debian 2", "protocol 2.0",
            "cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel");
    port(&h[0], 80, PORT_CLOSED, REASON_RESET, 64, "http");
    port(&h[0], 8080, PORT_OPEN, REASON_SYN_ACK, 63, NULL);
    char *out = render(csv(), h, 1, 0);
    assert_string_equal(out, HEADER "198.18.0.2,www.example.org,up,tcp,22,open,syn-ack,64,ssh,"
                                    "OpenSSH,9.2p1 Debian 2,protocol 2.0,"
                                    "cpe:/a:openbsd:openssh:9.2p1 cpe:/o:linux:linux_kernel,,,,\r\n"
                                    "198.18.0.2,www.example.org,up,tcp,80,closed,reset,64,http,,,,"
                                    ",,,,\r\n"
                                    "198.18.0.2,www.example.org,up,tcp,8080,open,syn-ack,63,,,,,"
                                    ",,,,\r\n");
    free(out);
    host_result_free(&h[0]);
}

/* RFC 4180 section 2: fields with comma, quote, CR or LF are quoted and
 * their quotes doubled; others (spaces, semicolons, a lone quote-free
 * apostrophe) stay bare. */
static void test_rfc4180_quoting(void **state)
{
    (void)state;
    struct host_result h[1];
    host(&h[0], "127.0.0.1", HOST_UP, REASON_LOCALHOST_RESPONSE);
    h[0].hostname = "a,b";
    port(&h[0], 80, PORT_OPEN, REASON_SYN_ACK, 0, "http");
    service(&h[0], "http", "say \"hi\"", "1\r\n2", "x\ny", NULL, NULL);
    port(&h[0], 81, PORT_OPEN, REASON_SYN_ACK, 0, "x");
    service(&h[0], "x", "\"", "it's; fine", "", NULL, NULL);
    char *out = render(csv(), h, 1, 0);
    assert_string_equal(out, HEADER "127.0.0.1,\"a,b\",up,tcp,80,open,syn-ack,0,http,"
                                    "\"say \"\"hi\"\"\",\"1\r\n2\",\"x\ny\",,,,,\r\n"
                                    "127.0.0.1,\"a,b\",up,tcp,81,open,syn-ack,0,x,\"\"\"\","
                                    "it's; fine,,,,,,\r\n");
    free(out);
    host_result_free(&h[0]);
}

/* Hosts without port rows get one row with empty port columns; a down
 * host only with -v, as every format; names as bytes, not re-encoded. */
static void test_hosts_without_ports(void **state)
{
    (void)state;
    struct host_result h[3];
    host(&h[0], "127.0.0.1", HOST_UP, REASON_LOCALHOST_RESPONSE);
    h[0].rdns = strdup("caf\xe9.example"); /* Latin-1, not UTF-8 */
    host(&h[1], "127.0.0.2", HOST_DOWN, REASON_NO_RESPONSE);
    host(&h[2], "::1", HOST_UP, REASON_SYN_ACK);
    for (uint16_t p = 1; p <= 60; p++) /* all collapsed into "Not shown" */
        port(&h[2], p, PORT_CLOSED, REASON_RESET, 64, NULL);
    char *out = render(csv(), h, 3, 0);
    assert_string_equal(out, HEADER "127.0.0.1,caf\xe9.example,up,,,,,,,,,,,,,,\r\n"
                                    "::1,,up,,,,,,,,,,,,,,\r\n");
    free(out);
    out = render(csv(), h, 3, 1);
    assert_string_equal(out, HEADER "127.0.0.1,caf\xe9.example,up,,,,,,,,,,,,,,\r\n"
                                    "127.0.0.2,,down,,,,,,,,,,,,,,\r\n"
                                    "::1,,up,,,,,,,,,,,,,,\r\n");
    free(out);
    for (int i = 0; i < 3; i++)
        host_result_free(&h[i]);
}

/* A host cut short by Ctrl-C carries its count of unprobed ports on every
 * row; an ICMP error from a router names the router (reason_ip). */
static void test_partial_host_and_reason_ip(void **state)
{
    (void)state;
    struct host_result h[2];
    host(&h[0], "198.18.0.2", HOST_UP, REASON_SYN_ACK);
    port(&h[0], 22, PORT_OPEN, REASON_SYN_ACK, 64, "ssh");
    port(&h[0], 23, PORT_FILTERED, REASON_ADMIN_PROHIBITED, 63, "telnet");
    struct port_detail *d = port_result_detail(&h[0].ports[1]);
    assert_non_null(d);
    d->have_reason_ip = true;
    assert_int_equal(ipaddr_parse("198.18.0.254", &d->reason_ip), 0);
    h[0].interrupted = true;
    h[0].ports_unscanned = 812;
    host(&h[1], "198.18.0.3", HOST_UP, REASON_ECHO_REPLY);
    h[1].interrupted = true;
    h[1].ports_unscanned = 1000;
    char *out = render(csv(), h, 2, 0);
    assert_string_equal(out, HEADER "198.18.0.2,,up,tcp,22,open,syn-ack,64,ssh,,,,,,812,,\r\n"
                                    "198.18.0.2,,up,tcp,23,filtered,admin-prohibited,63,telnet,,,,,"
                                    "198.18.0.254,812,,\r\n"
                                    "198.18.0.3,,up,,,,,,,,,,,,1000,,\r\n");
    free(out);
    for (int i = 0; i < 2; i++)
        host_result_free(&h[i]);
}

/* -O's top match and an --os-passive guess go to their own columns: a
 * guess from one SYN-ACK never reads as -O's. */
static void test_os_columns(void **state)
{
    (void)state;
    struct host_result h[2];
    host(&h[0], "198.18.0.2", HOST_UP, REASON_SYN_ACK);
    port(&h[0], 22, PORT_OPEN, REASON_SYN_ACK, 64, "ssh");
    os_top(&h[0], "Linux 5.0 - 5.14", 100, false);
    host(&h[1], "198.18.0.3", HOST_UP, REASON_SYN_ACK);
    port(&h[1], 22, PORT_OPEN, REASON_SYN_ACK, 64, "ssh");
    os_top(&h[1], "Linux 5.3 - 5.4", 94, true);
    char *out = render(csv(), h, 2, 0);
    assert_string_equal(out, HEADER "198.18.0.2,,up,tcp,22,open,syn-ack,64,ssh,,,,,,,"
                                    "Linux 5.0 - 5.14,\r\n"
                                    "198.18.0.3,,up,tcp,22,open,syn-ack,64,ssh,,,,,,,,"
                                    "Linux 5.3 - 5.4\r\n");
    free(out);
    for (int i = 0; i < 2; i++)
        host_result_free(&h[i]);
}

static void test_empty_scan(void **state)
{
    (void)state;
    char *out = render(csv(), NULL, 0, 0);
    assert_string_equal(out, HEADER);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports_and_service),
        cmocka_unit_test(test_os_columns),
        cmocka_unit_test(test_rfc4180_quoting),
        cmocka_unit_test(test_hosts_without_ports),
        cmocka_unit_test(test_partial_host_and_reason_ip),
        cmocka_unit_test(test_empty_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
