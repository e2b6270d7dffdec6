/* Unit tests for core/ports: nmap's -p syntax and port-set operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ports.h"
#include "core/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loaded once from tests/data/nmap-services-mini; see that file for which
 * ports it names. */
static struct services *svc;

static const char *testdata(const char *name)
{
    static char path[4096];
    const char *dir = getenv("PRTIP_TESTDATA");
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
    } else {
        const char *slash = strrchr(__FILE__, '/');
        int len = slash ? (int)(slash - __FILE__) : 1;
        snprintf(path, sizeof path, "%.*s/../data/%s", len, slash ? __FILE__ : ".", name);
    }
    return path;
}

static int group_setup(void **state)
{
    (void)state;
    char err[256];
    svc = services_load(testdata("nmap-services-mini"), err, sizeof err);
    if (!svc)
        fprintf(stderr, "%s\n", err);
    return svc ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    services_free(svc);
    return 0;
}

/* Ranges text of one protocol, e.g. "1-3,80", in a static buffer. */
static const char *fmt(const struct portset *set, enum port_proto p)
{
    static char buf[PROTO_COUNT][1024];
    char *r = ports_format_ranges(set->ports[p], set->count[p]);
    assert_non_null(r);
    snprintf(buf[p], sizeof buf[p], "%s", r);
    free(r);
    return buf[p];
}

/* Parse spec (default TCP) and expect tcp/udp/sctp ranges text. */
static void expect(const char *spec, const char *tcp, const char *udp, const char *sctp)
{
    struct portset set = {{NULL}, {0}};
    char err[256] = "";
    int rc = portset_parse(&set, spec, PROTO_TCP, svc, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s' failed: %s", spec, err);
    assert_string_equal(fmt(&set, PROTO_TCP), tcp);
    assert_string_equal(fmt(&set, PROTO_UDP), udp);
    assert_string_equal(fmt(&set, PROTO_SCTP), sctp);
    portset_free(&set);
}

/* Parse spec and expect failure with an error containing want. */
static void expect_err(const char *spec, const char *want)
{
    struct portset set = {{NULL}, {0}};
    char err[256] = "";
    assert_int_equal(portset_parse(&set, spec, PROTO_TCP, svc, err, sizeof err), -1);
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' lacks '%s'", spec, err, want);
    /* One line, no trailing newline: the caller prints it. */
    assert_null(strchr(err, '\n'));
    assert_int_equal(portset_total(&set), 0);
    assert_null(set.ports[PROTO_TCP]);
}

static void test_single_and_lists(void **state)
{
    (void)state;
    expect("22", "22", "", "");
    expect("22,80,443", "22,80,443", "", "");
    expect("443,80,22,80,22", "22,80,443", "", ""); /* sorted, unique */
    expect("1-3,2,5-7,4", "1-7", "", "");
    expect("080", "80", "", ""); /* nmap reads it as 80 too */
    expect(" 22 , 80 ", "22,80", "", "");
    expect("65535", "65535", "", "");
    expect("80-80", "80", "", "");
}

static void test_open_ranges_and_port_zero(void **state)
{
    (void)state;
    expect("-1024", "1-1024", "", "");
    expect("60000-", "60000-65535", "", "");
    expect("-", "1-65535", "", "");
    expect("65535-", "65535", "", "");
    /* Port 0 only when written. */
    expect("0", "0", "", "");
    expect("0-10", "0-10", "", "");
    expect("0-", "0-65535", "", "");
    expect("0,-3", "0-3", "", "");
}

static void test_protocol_prefixes(void **state)
{
    (void)state;
    expect("T:80,443,U:53,161", "80,443", "53,161", "");
    expect("U:53,T:80", "80", "53", "");
    expect("S:7,9,T:22", "22", "", "7,9");
    expect("80,U:53,T:81", "80-81", "53", "");
    expect("T:80,T:81", "80-81", "", "");
    expect("U:-", "", "1-65535", "");
    expect("t:80,u:53", "80", "53", ""); /* lowercase accepted */

    /* Unprefixed ports go to default_proto. */
    struct portset set = {{NULL}, {0}};
    char err[256];
    assert_int_equal(portset_parse(&set, "53,T:80", PROTO_UDP, svc, err, sizeof err), 0);
    assert_string_equal(fmt(&set, PROTO_UDP), "53");
    assert_string_equal(fmt(&set, PROTO_TCP), "80");
    portset_free(&set);
}

static void test_service_names(void **state)
{
    (void)state;
    expect("ssh", "22", "", "");
    expect("ssh,ftp,telnet", "21-23", "", "");
    expect("http*", "80,280,443,8080", "", "");
    expect("U:http*", "", "80", "");
    expect("U:domain,T:domain", "53", "53", "");
    expect("S:ssh", "", "", "22");
    expect("SSH", "22", "", "");         /* case-insensitive, like nmap */
    expect("x11:1", "6001", "", "");     /* ':' inside a name is not a prefix */
    expect("3com-tsmux", "106", "", ""); /* names may start with a digit */
    expect("unknown", "4", "", "");
    expect("?cpmux,22", "1,22", "", "");
    expect("ssh,20-22", "20-22", "", "");
}

static void test_brackets(void **state)
{
    (void)state;
    /* Only ports named in nmap-services, within the range. */
    expect("[1-100]", "1,4,7,21-23,25,53,80", "", "");
    expect("[-]", "1,4,7,21-23,25,53,80,106,280,443,999,6001,8080", "", "");
    expect("[0-5]", "1,4", "", "");
    expect("U:[1-200]", "", "7,22,53,80,123,161", "");
    expect("[http*]", "80,280,443,8080", "", "");
    expect("[ssh,1-5],9", "1,4,9,22", "", "");
    expect("[1-30],U:[1-30]", "1,4,7,21-23,25", "7,22", "");
    /* A prefix inside brackets lasts until ']'. */
    expect("[U:1-30],40", "40", "7,22", "");
    expect("[100-110]", "106", "", "");
    expect("[9]", "", "", "");
}

static void test_error_bounds(void **state)
{
    (void)state;
    expect_err("0-70000", "port range 0-70000 out of bounds: ports are 0-65535");
    expect_err("70000", "port 70000 out of bounds: ports are 0-65535");
    expect_err("65536", "out of bounds");
    expect_err("1-65536", "out of bounds");
    expect_err("-70000", "out of bounds");
    expect_err("99999999999999999999999", "out of bounds");
    expect_err("100-1", "port range 100-1 is reversed");
    expect_err("100-1", "1-100");
    expect_err("-0", "'-0'");
    expect_err("22,U:-0", "write 0 for port 0");
}

static void test_error_syntax(void **state)
{
    (void)state;
    expect_err("", "empty port specification");
    expect_err("   ", "empty port specification");
    expect_err("80,,81", "empty item");
    expect_err("80,,81", "'80,,81'");
    expect_err(",80", "empty item");
    expect_err("80,", "ends with a comma");
    expect_err("80, ", "ends with a comma");
    expect_err("abc%", "invalid port specification 'abc%'");
    expect_err("22,abc%,80", "'abc%'");
    expect_err("80a", "invalid port specification '80a'");
    expect_err("1-2-3", "invalid port range '1-2-3'");
    expect_err("22 80", "separate items with ','");
    expect_err("%", "invalid port specification '%'");
    expect_err("2-1\n204", "'2-1?204'"); /* control characters stay off the line */
    expect_err("T:", "no ports after 'T:'");
    expect_err("T:,80", "no ports after 'T:'");
    expect_err("80,U:", "no ports after 'U:'");
    expect_err("T:U:80", "two protocol prefixes");
    expect_err("X:80", "unknown protocol prefix 'X:'");
    expect_err("P:6", "not supported");
}

static void test_error_names_and_brackets(void **state)
{
    (void)state;
    expect_err("foo", "no service named 'foo' in nmap-services");
    expect_err("22,foo", "'foo'");
    expect_err("ntp", "no service named 'ntp' in nmap-services for tcp");
    expect_err("zz*", "no service matches 'zz*'");
    expect_err("S:http-alt", "for sctp");
    expect_err("[1-5", "unclosed '['");
    expect_err("[", "unclosed '['");
    expect_err("1-5]", "unexpected ']'");
    expect_err("]", "unexpected ']'");
    expect_err("[]", "empty '[]'");
    expect_err("[[1-3]]", "cannot nest");
    expect_err("[1-3,]", "comma before ']'");
    expect_err("[1-3]x", "invalid port specification");

    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    expect_err(longname, "too long");
}

static void test_no_services(void **state)
{
    (void)state;
    struct portset set = {{NULL}, {0}};
    char err[256];
    assert_int_equal(portset_parse(&set, "22,U:53", PROTO_TCP, NULL, err, sizeof err), 0);
    assert_int_equal(portset_total(&set), 2);
    portset_free(&set);
    assert_int_equal(portset_parse(&set, "ssh", PROTO_TCP, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "'ssh'"));
    assert_non_null(strstr(err, "nmap-services"));
    assert_int_equal(portset_parse(&set, "[1-10]", PROTO_TCP, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "nmap-services"));
    assert_int_equal(portset_parse(&set, NULL, PROTO_TCP, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "empty"));
    /* A NULL or zero-length err buffer must be tolerated. */
    assert_int_equal(portset_parse(&set, "abc%", PROTO_TCP, NULL, NULL, 0), -1);
    assert_int_equal(portset_parse(&set, "1", (enum port_proto)7, NULL, err, sizeof err), -1);
    assert_int_equal(portset_total(&set), 0);
}

static void test_parse_merges(void **state)
{
    (void)state;
    struct portset set = {{NULL}, {0}};
    char err[256];
    assert_int_equal(portset_parse(&set, "80,U:53", PROTO_TCP, svc, err, sizeof err), 0);
    assert_int_equal(portset_parse(&set, "22,80-81", PROTO_TCP, svc, err, sizeof err), 0);
    assert_string_equal(fmt(&set, PROTO_TCP), "22,80-81");
    assert_string_equal(fmt(&set, PROTO_UDP), "53");
    /* A failed parse leaves the set as it was. */
    assert_int_equal(portset_parse(&set, "443,bogus!", PROTO_TCP, svc, err, sizeof err), -1);
    assert_string_equal(fmt(&set, PROTO_TCP), "22,80-81");
    assert_int_equal(portset_total(&set), 4);
    portset_free(&set);
}

static void test_add_top(void **state)
{
    (void)state;
    struct portset set = {{NULL}, {0}};
    char err[256];
    assert_int_equal(portset_add_top(&set, svc, PROTO_TCP, 4), 0);
    assert_string_equal(fmt(&set, PROTO_TCP), "21,23,80,443");
    /* Merges with what is there and with earlier -p ports. */
    assert_int_equal(portset_parse(&set, "1000", PROTO_TCP, svc, err, sizeof err), 0);
    assert_int_equal(portset_add_top(&set, svc, PROTO_TCP, 5), 0);
    assert_string_equal(fmt(&set, PROTO_TCP), "21-23,80,443,1000");
    assert_int_equal(portset_add_top(&set, svc, PROTO_UDP, 1000000), 0);
    assert_string_equal(fmt(&set, PROTO_UDP), "7,22,53,80,123,161");
    assert_int_equal(portset_add_top(&set, svc, PROTO_SCTP, 0), 0);
    assert_int_equal(set.count[PROTO_SCTP], 0);
    assert_int_equal(portset_add_top(&set, NULL, PROTO_TCP, 5), -1);
    assert_int_equal(portset_add_top(&set, svc, (enum port_proto)9, 5), -1);
    assert_int_equal(portset_total(&set), 6 + 6);
    portset_free(&set);
}

static void test_subtract(void **state)
{
    (void)state;
    struct portset set = {{NULL}, {0}}, ex = {{NULL}, {0}};
    char err[256];
    assert_int_equal(portset_parse(&set, "1-10,U:53,161", PROTO_TCP, svc, err, sizeof err), 0);
    assert_int_equal(portset_parse(&ex, "0,2,4-6,11,U:53,161,S:1", PROTO_TCP, svc, err, sizeof err),
                     0);
    portset_subtract(&set, &ex);
    assert_string_equal(fmt(&set, PROTO_TCP), "1,3,7-10");
    assert_string_equal(fmt(&set, PROTO_UDP), "");
    assert_int_equal(set.count[PROTO_UDP], 0);
    assert_false(portset_contains(&set, PROTO_TCP, 2));
    assert_true(portset_contains(&set, PROTO_TCP, 3));
    /* Subtracting an empty set changes nothing. */
    struct portset none = {{NULL}, {0}};
    portset_subtract(&set, &none);
    assert_int_equal(portset_total(&set), 6);
    portset_subtract(&set, NULL);
    portset_subtract(NULL, &ex);
    portset_free(&set);
    portset_free(&ex);
}

static void test_contains_and_total(void **state)
{
    (void)state;
    struct portset set = {{NULL}, {0}};
    char err[256];
    assert_false(portset_contains(&set, PROTO_TCP, 80));
    assert_int_equal(portset_parse(&set, "0-,U:1,3,65535,S:7", PROTO_TCP, svc, err, sizeof err), 0);
    assert_int_equal(portset_total(&set), 65536 + 3 + 1);
    for (uint32_t p = 0; p < 65536; p += 97)
        assert_true(portset_contains(&set, PROTO_TCP, (uint16_t)p));
    assert_true(portset_contains(&set, PROTO_TCP, 65535));
    assert_true(portset_contains(&set, PROTO_UDP, 1));
    assert_false(portset_contains(&set, PROTO_UDP, 2));
    assert_true(portset_contains(&set, PROTO_UDP, 3));
    assert_true(portset_contains(&set, PROTO_UDP, 65535));
    assert_false(portset_contains(&set, PROTO_UDP, 0));
    assert_false(portset_contains(&set, PROTO_UDP, 65534));
    assert_true(portset_contains(&set, PROTO_SCTP, 7));
    assert_false(portset_contains(&set, PROTO_SCTP, 6));
    assert_false(portset_contains(&set, (enum port_proto)5, 7));
    assert_false(portset_contains(NULL, PROTO_TCP, 7));
    assert_int_equal(portset_total(NULL), 0);
    portset_free(&set);
    assert_int_equal(portset_total(&set), 0);
    portset_free(&set); /* twice is harmless */
    portset_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_and_lists),
        cmocka_unit_test(test_open_ranges_and_port_zero),
        cmocka_unit_test(test_protocol_prefixes),
        cmocka_unit_test(test_service_names),
        cmocka_unit_test(test_brackets),
        cmocka_unit_test(test_error_bounds),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_names_and_brackets),
        cmocka_unit_test(test_no_services),
        cmocka_unit_test(test_parse_merges),
        cmocka_unit_test(test_add_top),
        cmocka_unit_test(test_subtract),
        cmocka_unit_test(test_contains_and_total),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
