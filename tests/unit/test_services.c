/* Unit tests for core/services: nmap-services parsing, names, top ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/services.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REAL_SERVICES "/usr/share/nmap/nmap-services"

/* tests/data/<name>: from $PRTIP_TESTDATA (set by CTest), else next to this
 * source file, so a hand-built test binary run from anywhere still works
 * when compiled with an absolute path (or run from the repo root). */
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

static int load_mini(void **state)
{
    char err[256];
    struct services *s = services_load(testdata("nmap-services-mini"), err, sizeof err);
    if (!s)
        fprintf(stderr, "%s\n", err);
    *state = s;
    return s ? 0 : -1;
}

static int free_mini(void **state)
{
    services_free(*state);
    return 0;
}

/* Write text to a fresh temporary file; caller unlinks. */
static void temp_file(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/prtip_test_services_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static void test_names(void **state)
{
    const struct services *s = *state;
    assert_string_equal(services_name(s, 22, IPPROTO_TCP), "ssh");
    assert_string_equal(services_name(s, 22, IPPROTO_UDP), "ssh");
    assert_string_equal(services_name(s, 22, IPPROTO_SCTP), "ssh");
    assert_string_equal(services_name(s, 53, IPPROTO_UDP), "domain");
    assert_string_equal(services_name(s, 1, IPPROTO_TCP), "tcpmux");
    assert_string_equal(services_name(s, 6001, IPPROTO_TCP), "X11:1");
    assert_string_equal(services_name(s, 106, IPPROTO_TCP), "3com-tsmux");
    /* nmap lists some ports as "unknown" and prints that name. */
    assert_string_equal(services_name(s, 4, IPPROTO_TCP), "unknown");
    /* Missing frequency still names the port. */
    assert_string_equal(services_name(s, 999, IPPROTO_TCP), "nofreq");
}

static void test_unlisted_and_bad_args(void **state)
{
    const struct services *s = *state;
    assert_null(services_name(s, 9, IPPROTO_TCP));
    assert_null(services_name(s, 0, IPPROTO_TCP));
    assert_null(services_name(s, 65535, IPPROTO_TCP));
    assert_null(services_name(s, 123, IPPROTO_TCP)); /* ntp is udp only here */
    assert_null(services_name(s, 22, IPPROTO_ICMP));
    assert_null(services_name(NULL, 22, IPPROTO_TCP));
}

static void test_malformed_lines_skipped(void **state)
{
    const struct services *s = *state;
    /* The first line for 80/tcp wins over the later "dup" line. */
    assert_string_equal(services_name(s, 80, IPPROTO_TCP), "http");
    /* badproto/noslash/badfreq all name port 5; none may be taken. */
    assert_null(services_name(s, 5, IPPROTO_TCP));
    assert_null(services_name(s, 5, IPPROTO_UDP));
    /* "badport 70000/tcp" must not wrap to 4464. */
    assert_null(services_name(s, (uint16_t)70000, IPPROTO_TCP));
}

static void test_top_tcp_order(void **state)
{
    const struct services *s = *state;
    /* Frequency descending; 21, 23 and 443 tie at 0.2 and 53, 8080 at
     * 0.04, so they come by port ascending. */
    static const uint16_t want[] = {80, 21, 23, 443,  22,  25,  53, 8080,
                                    7,  1,  4,  6001, 280, 106, 999};
    uint16_t out[64];
    size_t n = services_top(s, IPPROTO_TCP, 64, out, 64);
    assert_int_equal(n, sizeof want / sizeof want[0]);
    assert_memory_equal(out, want, sizeof want);
}

static void test_top_limits(void **state)
{
    const struct services *s = *state;
    uint16_t out[4] = {0};
    assert_int_equal(services_top(s, IPPROTO_TCP, 3, out, 4), 3);
    assert_int_equal(out[0], 80);
    assert_int_equal(out[2], 23);
    /* max bounds the write even when n is larger. */
    assert_int_equal(services_top(s, IPPROTO_TCP, 100, out, 2), 2);
    assert_int_equal(services_top(s, IPPROTO_TCP, 0, out, 4), 0);
    assert_int_equal(services_top(s, IPPROTO_ICMP, 10, out, 4), 0);
    assert_int_equal(services_top(NULL, IPPROTO_TCP, 10, out, 4), 0);
}

static void test_top_udp_sctp(void **state)
{
    const struct services *s = *state;
    uint16_t out[16];
    static const uint16_t udp[] = {161, 123, 53, 7, 22, 80};
    assert_int_equal(services_top(s, IPPROTO_UDP, 16, out, 16), 6);
    assert_memory_equal(out, udp, sizeof udp);
    static const uint16_t sctp[] = {9999, 80, 22, 7};
    assert_int_equal(services_top(s, IPPROTO_SCTP, 16, out, 16), 4);
    assert_memory_equal(out, sctp, sizeof sctp);
}

struct collected {
    uint16_t ports[32];
    size_t n;
};

static void collect(uint16_t port, void *arg)
{
    struct collected *c = arg;
    if (c->n < 32)
        c->ports[c->n++] = port;
}

static void test_match_glob(void **state)
{
    const struct services *s = *state;
    struct collected c = {{0}, 0};
    assert_int_equal(services_match(s, "http*", IPPROTO_TCP, collect, &c), 4);
    /* Ascending port order. */
    static const uint16_t want[] = {80, 280, 443, 8080};
    assert_int_equal(c.n, 4);
    assert_memory_equal(c.ports, want, sizeof want);

    c.n = 0;
    assert_int_equal(services_match(s, "http*", IPPROTO_UDP, collect, &c), 1);
    assert_int_equal(c.ports[0], 80);

    c.n = 0;
    assert_int_equal(services_match(s, "ssh", IPPROTO_SCTP, collect, &c), 1);
    assert_int_equal(c.ports[0], 22);
}

static void test_match_exact_case_and_count_only(void **state)
{
    const struct services *s = *state;
    struct collected c = {{0}, 0};
    /* nmap's "-p x11:1" finds "X11:1": matching ignores case. */
    assert_int_equal(services_match(s, "x11:1", IPPROTO_TCP, collect, &c), 1);
    assert_int_equal(c.ports[0], 6001);
    assert_int_equal(services_match(s, "SSH", IPPROTO_TCP, NULL, NULL), 1);
    assert_int_equal(services_match(s, "?cp*", IPPROTO_TCP, NULL, NULL), 1);
    assert_int_equal(services_match(s, "nosuch", IPPROTO_TCP, NULL, NULL), 0);
    assert_int_equal(services_match(s, "ntp", IPPROTO_TCP, NULL, NULL), 0);
    assert_int_equal(services_match(s, "*", IPPROTO_UDP, NULL, NULL), 6);
    assert_int_equal(services_match(s, "*", IPPROTO_ICMP, NULL, NULL), 0);
    assert_int_equal(services_match(NULL, "*", IPPROTO_TCP, NULL, NULL), 0);
}

static void test_missing_file_names_package(void **state)
{
    (void)state;
    char err[256];
    assert_null(services_load("/nonexistent/prtip/nmap-services", err, sizeof err));
    assert_string_equal(err, "cannot open /nonexistent/prtip/nmap-services: No such file or "
                             "directory (install Debian package nmap-common)");
}

static void test_datadir_env(void **state)
{
    (void)state;
    char err[256], saved[4096] = "";
    const char *old = getenv("PRTIP_DATADIR");
    if (old)
        snprintf(saved, sizeof saved, "%s", old);
    setenv("PRTIP_DATADIR", "/nonexistent/prtip", 1);
    assert_string_equal(services_datadir(), "/nonexistent/prtip");
    /* NULL path means <datadir>/nmap-services. */
    assert_null(services_load(NULL, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/prtip/nmap-services"));
    assert_non_null(strstr(err, "nmap-common"));

    setenv("PRTIP_DATADIR", "", 1);
    assert_string_equal(services_datadir(), "/usr/share/nmap");
    unsetenv("PRTIP_DATADIR");
    assert_string_equal(services_datadir(), "/usr/share/nmap");
    if (old)
        setenv("PRTIP_DATADIR", saved, 1);
}

static void test_no_entries_is_error(void **state)
{
    (void)state;
    char path[64], err[256];
    temp_file(path, sizeof path, "# only comments\n\nnot a services line\n");
    assert_null(services_load(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "no services"));
    unlink(path);
}

static void test_crlf_no_final_newline_and_spaces(void **state)
{
    (void)state;
    char path[64], err[256];
    /* CRLF endings, spaces instead of tabs and a last line without '\n'
     * are all accepted, as nmap's sscanf-based reader accepts them. */
    temp_file(path, sizeof path, "a\t1/tcp\t0.5\r\nb 2/tcp 0.7 # spaces\r\nc\t3/udp\t0.1");
    struct services *s = services_load(path, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(services_name(s, 1, IPPROTO_TCP), "a");
    assert_string_equal(services_name(s, 2, IPPROTO_TCP), "b");
    assert_string_equal(services_name(s, 3, IPPROTO_UDP), "c");
    uint16_t out[2];
    assert_int_equal(services_top(s, IPPROTO_TCP, 2, out, 2), 2);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 1);
    services_free(s);
    unlink(path);
}

/* services_parse reads the same text from memory (the fuzz harness's entry
 * point); a protocol the text does not list has an empty ranking, and
 * asking for it copies nothing (found by fuzz_services: memcpy from the
 * NULL ranking under UBSan). */
static void test_parse_buffer_and_unlisted_proto(void **state)
{
    (void)state;
    char err[256];
    static const char text[] = "c\t3/udp\t0.1\nd\t4/udp\t0.2 trailing";
    struct services *s = services_parse(text, sizeof text - 1, "mem", err, sizeof err);
    assert_non_null(s);
    assert_string_equal(services_name(s, 3, IPPROTO_UDP), "c");
    assert_string_equal(services_name(s, 4, IPPROTO_UDP), "d"); /* after freq: ignored */
    uint16_t out[4] = {0};
    assert_int_equal(services_top(s, IPPROTO_TCP, 4, out, 4), 0);
    assert_int_equal(services_top(s, IPPROTO_SCTP, 4, out, 4), 0);
    assert_int_equal(services_top(s, IPPROTO_UDP, 4, out, 4), 2);
    assert_int_equal(out[0], 4);
    services_free(s);

    /* Not NUL-terminated: only len bytes are read. */
    assert_non_null(s = services_parse("e\t5/tcp\t0.3XYZ", 11, "mem", err, sizeof err));
    assert_string_equal(services_name(s, 5, IPPROTO_TCP), "e");
    services_free(s);
    assert_null(services_parse("# nothing\n", 10, "mem", err, sizeof err));
    assert_non_null(strstr(err, "mem: no services"));
}

static void test_free_null(void **state)
{
    (void)state;
    services_free(NULL);
}

/* The real file from nmap-common: nmap 7.93's top 10 TCP ports. */
static void test_real_file(void **state)
{
    (void)state;
    if (access(REAL_SERVICES, R_OK) != 0)
        skip();
    char err[256];
    struct services *s = services_load(REAL_SERVICES, err, sizeof err);
    assert_non_null(s);
    assert_string_equal(services_name(s, 22, IPPROTO_TCP), "ssh");
    assert_string_equal(services_name(s, 53, IPPROTO_UDP), "domain");

    uint16_t top[10];
    assert_int_equal(services_top(s, IPPROTO_TCP, 10, top, 10), 10);
    /* nmap's order for these is frequency order; compare as a set. */
    static const uint16_t want[] = {21, 22, 23, 25, 80, 110, 139, 443, 445, 3389};
    for (size_t i = 0; i < 10; i++) {
        bool found = false;
        for (size_t j = 0; j < 10; j++)
            found = found || top[j] == want[i];
        assert_true(found);
    }
    assert_int_equal(top[0], 80); /* the most frequently open port */

    uint16_t many[1000];
    assert_int_equal(services_top(s, IPPROTO_TCP, 1000, many, 1000), 1000);
    assert_int_equal(services_top(s, IPPROTO_UDP, 1000, many, 1000), 1000);
    services_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_buffer_and_unlisted_proto),
        cmocka_unit_test_setup_teardown(test_names, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_unlisted_and_bad_args, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_malformed_lines_skipped, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_top_tcp_order, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_top_limits, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_top_udp_sctp, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_match_glob, load_mini, free_mini),
        cmocka_unit_test_setup_teardown(test_match_exact_case_and_count_only, load_mini, free_mini),
        cmocka_unit_test(test_missing_file_names_package),
        cmocka_unit_test(test_datadir_env),
        cmocka_unit_test(test_no_entries_is_error),
        cmocka_unit_test(test_crlf_no_final_newline_and_spaces),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_real_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
