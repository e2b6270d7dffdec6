/* Unit tests for core/targets: parsing, counting, iteration and exclusions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXSEQ 64

static struct target_set *new_set(int family)
{
    struct target_opts o = {.family = family};
    struct target_set *s = target_set_new(&o);
    assert_non_null(s);
    return s;
}

static void add_ok(struct target_set *s, const char *spec)
{
    char err[256] = "";
    if (target_set_add(s, spec, err, sizeof(err)) != 0)
        fail_msg("'%s' rejected: %s", spec, err);
}

static void exclude_ok(struct target_set *s, const char *list)
{
    char err[256] = "";
    if (target_set_exclude(s, list, err, sizeof(err)) != 0)
        fail_msg("exclude '%s' rejected: %s", list, err);
}

/* Yielded addresses joined by spaces, at most max of them. */
static char *seq(const struct target_set *s, int max)
{
    static char buf[MAXSEQ * IPADDR_STRLEN];
    struct target_iter it;
    struct target t;
    size_t used = 0;
    buf[0] = '\0';
    target_iter_init(&it, s);
    for (int i = 0; i < max && target_iter_next(&it, &t); i++) {
        char a[IPADDR_STRLEN];
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? " " : "",
                                 ipaddr_str(&t.addr, a, sizeof(a)));
    }
    return buf;
}

static uint64_t iter_count(const struct target_set *s, uint64_t max)
{
    struct target_iter it;
    struct target t;
    uint64_t n = 0;
    target_iter_init(&it, s);
    while (n < max && target_iter_next(&it, &t))
        n++;
    return n;
}

static void check_seq(int family, const char *spec, const char *excl, const char *want)
{
    struct target_set *s = new_set(family);
    add_ok(s, spec);
    if (excl)
        exclude_ok(s, excl);
    assert_string_equal(seq(s, MAXSEQ), want);
    target_set_free(s);
}

/* Checks count, first and last address of a spec. */
static void check_range(const char *spec, uint64_t count, const char *first, const char *last)
{
    struct target_set *s = new_set(0);
    add_ok(s, spec);
    assert_int_equal(target_set_nspecs(s), 1);
    assert_true(target_set_count(s) == count);
    struct target_iter it;
    struct target t;
    char a[IPADDR_STRLEN];
    target_iter_init(&it, s);
    assert_int_equal(target_iter_next(&it, &t), 1);
    assert_string_equal(ipaddr_str(&t.addr, a, sizeof(a)), first);
    target_set_free(s);
    if (!last)
        return;
    /* Walk to the end only when that is cheap. */
    if (count <= 70000) {
        s = new_set(0);
        add_ok(s, spec);
        target_iter_init(&it, s);
        uint64_t n = 0;
        struct target prev = {0};
        while (target_iter_next(&it, &t)) {
            prev = t;
            n++;
        }
        assert_true(n == count);
        assert_string_equal(ipaddr_str(&prev.addr, a, sizeof(a)), last);
        assert_int_equal(target_iter_next(&it, &t), 0);
        target_set_free(s);
    }
}

static void expect_err(int family, const char *spec, const char *needle)
{
    struct target_set *s = new_set(family);
    char err[256] = "";
    assert_int_equal(target_set_add(s, spec, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("error for '%s' lacks '%s': %s", spec, needle, err);
    assert_null(strchr(err, '\n'));
    assert_int_equal(target_set_nspecs(s), 0);
    target_set_free(s);
}

static void test_literals(void **state)
{
    check_range("192.168.0.1", 1, "192.168.0.1", "192.168.0.1");
    check_range("::1", 1, "::1", "::1");
    check_range("fd00::abcd", 1, "fd00::abcd", "fd00::abcd");
    check_range("::ffff:10.0.0.1", 1, "::ffff:10.0.0.1", "::ffff:10.0.0.1");
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.1");
    struct target_iter it;
    struct target t;
    target_iter_init(&it, s);
    assert_int_equal(target_iter_next(&it, &t), 1);
    assert_int_equal(t.addr.family, AF_INET);
    assert_null(t.hostname);
    assert_null(t.other_addrs);
    target_set_free(s);
}

static void test_cidr(void **state)
{
    check_range("10.0.0.0/30", 4, "10.0.0.0", "10.0.0.3");
    check_range("10.0.0.5/30", 4, "10.0.0.4", "10.0.0.7");
    check_range("10.0.0.1/32", 1, "10.0.0.1", "10.0.0.1");
    check_range("192.168.0.0/16", 65536, "192.168.0.0", "192.168.255.255");
    check_range("10.0.0.0/8", 16777216, "10.0.0.0", NULL);
    check_range("0.0.0.0/0", 4294967296ULL, "0.0.0.0", NULL);
    check_range("fd00::/120", 256, "fd00::", "fd00::ff");
    check_range("fd00::1234/112", 65536, "fd00::", "fd00::ffff");
    check_range("fd00::1/128", 1, "fd00::1", "fd00::1");
    check_range("fd00::/64", UINT64_MAX, "fd00::", NULL);
    check_range("fd00::/65", 1ULL << 63, "fd00::", NULL);
    check_range("::/0", UINT64_MAX, "::", NULL);
}

/* The iterator must stop after the top address, not wrap to zero. */
static void test_end_of_space(void **state)
{
    check_seq(0, "255.255.255.254/31", NULL, "255.255.255.254 255.255.255.255");
    check_seq(0, "255.255.255.253-255", NULL, "255.255.255.253 255.255.255.254 255.255.255.255");
    check_seq(0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", NULL,
              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    check_seq(0, "fd00::ff:ffff:fffe/127", NULL, "fd00::ff:ffff:fffe fd00::ff:ffff:ffff");
    check_seq(0, "fd00::ffff:ffff:ffff:ffff/127", NULL,
              "fd00::ffff:ffff:ffff:fffe fd00::ffff:ffff:ffff:ffff");
}

static void test_carry(void **state)
{
    check_range("fd00::/119", 512, "fd00::", "fd00::1ff");
    check_range("fd00::ff:ff00/104", 16777216, "fd00::", NULL);
    struct target_set *s = new_set(0);
    add_ok(s, "fd00::1:fffe/111");
    assert_true(target_set_count(s) == 131072);
    target_set_free(s);
    s = new_set(0);
    add_ok(s, "10.0.0.254/31");
    add_ok(s, "10.0.1.0/31");
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.254 10.0.0.255 10.0.1.0 10.0.1.1");
    target_set_free(s);
}

static void test_octet_ranges(void **state)
{
    check_seq(0, "10.0.0-1.1-2", NULL, "10.0.0.1 10.0.0.2 10.0.1.1 10.0.1.2");
    check_seq(0, "10.0.0.1,3-4,7", NULL, "10.0.0.1 10.0.0.3 10.0.0.4 10.0.0.7");
    check_seq(0, "192.168.1,3.5", NULL, "192.168.1.5 192.168.3.5");
    check_seq(0, "10.0.0.250-", NULL,
              "10.0.0.250 10.0.0.251 10.0.0.252 10.0.0.253 10.0.0.254 10.0.0.255");
    check_seq(0, "10.0.0.-2", NULL, "10.0.0.0 10.0.0.1 10.0.0.2");
    check_seq(0, "10.0.0.7,1-2", NULL, "10.0.0.1 10.0.0.2 10.0.0.7");
    check_seq(0, "010.0.0.1", NULL, "10.0.0.1");
    check_range("10.0.0.*", 256, "10.0.0.0", "10.0.0.255");
    check_range("10.0.0.-", 256, "10.0.0.0", "10.0.0.255");
    check_range("192.168.1,3.*", 512, "192.168.1.0", "192.168.3.255");
    check_range("10.0-3.*.1-254", 4 * 256 * 254, "10.0.0.1", NULL);
    check_range("*.*.*.*", 4294967296ULL, "0.0.0.0", NULL);
}

static void test_multiple_specs(void **state)
{
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.2");
    add_ok(s, "::1");
    add_ok(s, "10.0.0.1");
    assert_int_equal(target_set_nspecs(s), 3);
    assert_true(target_set_count(s) == 3);
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.2 ::1 10.0.0.1");
    add_ok(s, "::/0");
    assert_true(target_set_count(s) == UINT64_MAX);
    target_set_free(s);
}

static void test_exclusions(void **state)
{
    check_seq(0, "10.0.0.0/29", "10.0.0.3",
              "10.0.0.0 10.0.0.1 10.0.0.2 10.0.0.4 10.0.0.5 "
              "10.0.0.6 10.0.0.7");
    check_seq(0, "10.0.0.0/29", "10.0.0.0/30", "10.0.0.4 10.0.0.5 10.0.0.6 10.0.0.7");
    check_seq(0, "10.0.0.0/29", "10.0.0.1-6", "10.0.0.0 10.0.0.7");
    check_seq(0, "10.0.0.0/29", "10.0.0.1,3",
              "10.0.0.0 10.0.0.2 10.0.0.4 10.0.0.5 10.0.0.6 "
              "10.0.0.7");
    check_seq(0, "10.0.0.0/29", "10.0.0.1,10.0.0.6",
              "10.0.0.0 10.0.0.2 10.0.0.3 10.0.0.4 "
              "10.0.0.5 10.0.0.7");
    check_seq(0, "10.0.0.0/29", "10.0.0.1,2, 10.0.0.4-5 ,fd00::1",
              "10.0.0.0 10.0.0.3 10.0.0.6 10.0.0.7");
    check_seq(0, "192.168.0-3.1", "192.168.1,3.*", "192.168.0.1 192.168.2.1");
    check_seq(0, "10.0.0-2.1-2", "10.0.0.0/24", "10.0.1.1 10.0.1.2 10.0.2.1 10.0.2.2");
}

static void test_exclusions_v6_and_runs(void **state)
{
    check_seq(0, "fd00::/126", "fd00::1,fd00::2", "fd00:: fd00::3");
    check_seq(0, "fd00::/125", "fd00::4/126", "fd00:: fd00::1 fd00::2 fd00::3");
    /* Excluding everything must terminate without visiting each address. */
    check_seq(0, "fd00::/64", "fd00::/48", "");
    check_seq(0, "fd00::/64", "::/0", "");
    check_seq(0, "10.0.0.0/8", "10.0.0.0/8", "");
    check_seq(0, "*.*.*.*", "*.*.*.*", "");
    check_seq(0, "0.0.0.0/0", "*.*.*.*", "");
    check_seq(0, "*.*.*.0-2", "*.*.*.0-2", "");
    check_seq(0, "*.*.1-254.1,3", "*.*.*.1-3", "");
    check_seq(0, "10.0-1.1-254.1,3", "*.*.0-253.1-5",
              "10.0.254.1 10.0.254.3 10.1.254.1 10.1.254.3");
    check_seq(0, "10.1-2.3-4.5-6", "10.1.3.5,10.2.3-4.6",
              "10.1.3.6 10.1.4.5 10.1.4.6 10.2.3.5 "
              "10.2.4.5");
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.0/16");
    exclude_ok(s, "10.0.*.0-254");
    assert_true(target_set_count(s) == 65536); /* before exclusions */
    assert_string_equal(seq(s, 3), "10.0.0.255 10.0.1.255 10.0.2.255");
    assert_true(iter_count(s, 100000) == 256);
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("10.0.7.3", &a), 0);
    assert_true(target_set_is_excluded(s, &a));
    assert_int_equal(ipaddr_parse("10.0.7.255", &a), 0);
    assert_false(target_set_is_excluded(s, &a));
    target_set_free(s);
    /* Family of the exclusion does not matter under -4. */
    check_seq(4, "10.0.0.0/31", "fd00::1,10.0.0.0", "10.0.0.1");
}

static void test_exclude_errors(void **state)
{
    const char *bad[] = {"", "10.0.0.1,,10.0.0.2", "10.0.0.300", "10.0.0.1,", "1.2.3", "@"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct target_set *s = new_set(0);
        char err[256] = "";
        assert_int_equal(target_set_exclude(s, bad[i], err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
        target_set_free(s);
    }
}

/* A /8 and a /64 must start at once and not allocate per address. */
static void test_lazy_large(void **state)
{
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.0/8");
    add_ok(s, "fd00::/64");
    assert_true(target_set_count(s) == UINT64_MAX);
    assert_string_equal(seq(s, 3), "10.0.0.0 10.0.0.1 10.0.0.2");
    target_set_free(s);
    s = new_set(0);
    add_ok(s, "fd00::/64");
    assert_string_equal(seq(s, 3), "fd00:: fd00::1 fd00::2");
    target_set_free(s);
}

static char *write_tmp(const char *content)
{
    static char path[64];
    strcpy(path, "/tmp/test_targets_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_true(write(fd, content, n) == (ssize_t)n);
    close(fd);
    return path;
}

/* The reader on a buffer: NUL and control bytes are errors naming the
 * line (a NUL used to hide the rest of its line), CRLF and a last line
 * without newline are fine, a buffer need not be NUL-terminated. */
static void test_load_text(void **state)
{
    (void)state;
    char err[256] = "";
    struct target_set *s = new_set(0);
    static const char crlf[] = "10.0.0.1\r\n10.0.0.2 # c\r\n\r\n10.0.0.3XXXX";
    assert_int_equal(target_set_load_text(s, crlf, sizeof(crlf) - 5, "t", false, err, sizeof(err)),
                     0);
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.1 10.0.0.2 10.0.0.3");
    static const char nul[] = "10.0.0.2\n10.0.0.1\0 10.0.0.3\n";
    assert_int_equal(target_set_load_text(s, nul, sizeof(nul) - 1, "ex", true, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "ex:2: byte 0x00"));
    static const char ctl[] = "10.0.0.5 \x1b[31m\n";
    assert_int_equal(target_set_load_text(s, ctl, sizeof(ctl) - 1, "in", false, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "in:1: byte 0x1b"));
    assert_int_equal(target_set_load_text(s, "", 0, "empty", false, err, sizeof(err)), 0);
    target_set_free(s);
}

static void test_files(void **state)
{
    char err[256] = "";
    struct target_set *s = new_set(0);
    char *p = write_tmp("# targets\n\n10.0.0.1 10.0.0.2\t# trailing comment\n  \n"
                        "10.0.0.4/31\n#10.9.9.9\n::1");
    assert_int_equal(target_set_add_file(s, p, err, sizeof(err)), 0);
    unlink(p);
    assert_int_equal(target_set_nspecs(s), 4);
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.1 10.0.0.2 10.0.0.4 10.0.0.5 ::1");

    p = write_tmp("10.0.0.2 # skip\n10.0.0.5\n");
    assert_int_equal(target_set_exclude_file(s, p, err, sizeof(err)), 0);
    unlink(p);
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.1 10.0.0.4 ::1");
    target_set_free(s);

    s = new_set(0);
    p = write_tmp("");
    assert_int_equal(target_set_add_file(s, p, err, sizeof(err)), 0);
    unlink(p);
    p = write_tmp("# only comments\n\n   \n");
    assert_int_equal(target_set_add_file(s, p, err, sizeof(err)), 0);
    unlink(p);
    assert_int_equal(target_set_nspecs(s), 0);
    assert_true(target_set_count(s) == 0);
    assert_string_equal(seq(s, MAXSEQ), "");

    p = write_tmp("10.0.0.1\n# fine\n10.0.0.2 10.0.0.300\n10.0.0.3\n");
    assert_int_equal(target_set_add_file(s, p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, ":3:"));
    assert_non_null(strstr(err, "10.0.0.300"));
    unlink(p);

    assert_int_equal(target_set_add_file(s, "/nonexistent/targets.txt", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/targets.txt"));
    assert_int_equal(target_set_exclude_file(s, "/nonexistent/x", err, sizeof(err)), -1);
    target_set_free(s);
}

static void test_family_filter(void **state)
{
    expect_err(4, "fd00::1", "-6");
    expect_err(4, "fd00::/64", "fd00::/64");
    expect_err(6, "10.0.0.1", "drop -6");
    expect_err(6, "10.0.0.0/24", "drop -6");
    expect_err(6, "10.0.0.1-5", "drop -6");
    check_seq(4, "10.0.0.1", NULL, "10.0.0.1");
    check_seq(6, "fd00::1", NULL, "fd00::1");
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.1");
    add_ok(s, "fd00::1");
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.1 fd00::1");
    target_set_free(s);
}

static void test_bad_inputs(void **state)
{
    expect_err(0, "10.0.0.300", "'300'");
    expect_err(0, "10.0.0.5-1", "'5-1'");
    expect_err(0, "10.0.0.0/33", "/0-/32");
    expect_err(0, "fd00::/129", "/0-/128");
    expect_err(0, "1.2.3", "'1.2.3'");
    expect_err(0, "1.2.3.4.5", "'1.2.3.4.5'");
    expect_err(0, "", "empty");
    expect_err(0, "/24", "'/24'");
    expect_err(0, "10.0.0.1/", "'10.0.0.1/'");
    expect_err(0, "10.0.0.0/-1", "'10.0.0.0/-1'");
    expect_err(0, "10.0.0.0/abc", "'10.0.0.0/abc'");
    expect_err(0, "10.0.0.0/8/8", "10.0.0.0/8/8");
    expect_err(0, "-", "'-'");
    expect_err(0, "*", "'*'");
    expect_err(0, "10..0.1", "10..0.1");
    expect_err(0, "10.0.0.1,", "10.0.0.1,");
    expect_err(0, "10.0.0.1-2-3", "1-2-3");
    expect_err(0, "10.0.0.1000", "1000");
    expect_err(0, "10.0.0.0-5/24", "octet ranges");
    expect_err(0, "fd00::1::2", "fd00::1::2");
    expect_err(0, "fe80::1%eth0", "fe80::1%eth0");
    expect_err(0, "host name", "host name");
    expect_err(0, "a!b", "a!b");
    expect_err(0, "no-such-host.invalid", "Failed to resolve \"no-such-host.invalid\"");
}

/* warn callback: keeps the last message and counts the calls. */
struct warned {
    char last[1200];
    int n;
};

static void collect_warning(void *arg, const char *msg)
{
    struct warned *w = arg;
    snprintf(w->last, sizeof(w->last), "%s", msg);
    w->n++;
}

/* With a warn callback, a target file's junk words are skipped with
 * FILE:LINE and the rest is added (issue 9, point 4). */
static void test_file_warnings(void **state)
{
    (void)state;
    char err[256] = "";
    struct warned w = {.n = 0};
    struct target_set *s =
        target_set_new(&(struct target_opts){.warn = collect_warning, .warn_arg = &w});
    assert_non_null(s);
    char *p = write_tmp("10.0.0.1\n# fine\n10.0.0.2 10.0.0.300\nfoo!bar 10.0.0.3\n");
    assert_int_equal(target_set_add_file(s, p, err, sizeof(err)), 0);
    assert_int_equal(w.n, 2);
    char where[80];
    snprintf(where, sizeof(where), "%s:4: ", p);
    assert_non_null(strstr(w.last, where));
    assert_non_null(strstr(w.last, "foo!bar"));
    assert_non_null(strstr(w.last, "skipped"));
    unlink(p);
    assert_int_equal(target_set_nskipped(s), 2);
    assert_string_equal(seq(s, MAXSEQ), "10.0.0.1 10.0.0.2 10.0.0.3");
    /* Syntax errors on the command line stay errors; an unreadable file too. */
    assert_int_equal(target_set_add(s, "10.0.0.300", err, sizeof(err)), -1);
    assert_int_equal(target_set_add_file(s, "/nonexistent/t", err, sizeof(err)), -1);
    assert_int_equal(w.n, 2);
    target_set_free(s);
}

static void test_hostnames(void **state)
{
    if (access("/etc/hosts", R_OK) != 0)
        skip();
    struct target_set *s = new_set(0);
    add_ok(s, "localhost");
    struct target_iter it;
    struct target t;
    char a[IPADDR_STRLEN];
    target_iter_init(&it, s);
    assert_int_equal(target_iter_next(&it, &t), 1);
    assert_string_equal(ipaddr_str(&t.addr, a, sizeof(a)), "127.0.0.1");
    assert_string_equal(t.hostname, "localhost");
    if (t.other_addrs)
        assert_null(strstr(t.other_addrs, "127.0.0.1"));
    assert_int_equal(target_iter_next(&it, &t), 0);
    target_set_free(s);

    s = new_set(4);
    add_ok(s, "localhost/30");
    assert_true(target_set_count(s) == 4);
    target_iter_init(&it, s);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(target_iter_next(&it, &t), 1);
        snprintf(a, sizeof(a), "127.0.0.%d", i);
        char b[IPADDR_STRLEN];
        assert_string_equal(ipaddr_str(&t.addr, b, sizeof(b)), a);
        if (i == 1)
            assert_string_equal(t.hostname, "localhost");
        else
            assert_null(t.hostname);
    }
    assert_int_equal(target_iter_next(&it, &t), 0);
    target_set_free(s);

    expect_err(0, "localhost/33", "/0-/32");
    s = new_set(0);
    add_ok(s, "127.0.0.0/30");
    exclude_ok(s, "localhost");
    assert_string_equal(seq(s, MAXSEQ), "127.0.0.0 127.0.0.2 127.0.0.3");
    target_set_free(s);
}

static void test_null_opts(void **state)
{
    struct target_set *s = target_set_new(NULL);
    assert_non_null(s);
    add_ok(s, "fd00::1");
    add_ok(s, "10.0.0.1");
    assert_true(target_set_count(s) == 2);
    target_set_free(s);
    target_set_free(NULL);
}

/* Every listing of an address, in index order: a duplicate literal, an
 * overlapping range and octet spec each give one more index. */
static void test_index_next(void **state)
{
    (void)state;
    struct target_set *s = new_set(0);
    add_ok(s, "10.0.0.2");
    add_ok(s, "10.0.0.7");
    add_ok(s, "10.0.0.2");
    add_ok(s, "10.0.0.0/30");
    add_ok(s, "10.0.0-1.1-2");
    struct ipaddr a = {.family = AF_INET, .bytes = {10, 0, 0, 2}};
    uint64_t got[8], idx;
    size_t n = 0, spec = 0;
    while (n < 8 && target_set_index_next(s, &a, &spec, &idx) == 0)
        got[n++] = idx;
    assert_int_equal(n, 4);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 2);
    assert_int_equal(got[2], 3 + 2); /* 10.0.0.0/30 starts at index 3 */
    assert_int_equal(got[3], 7 + 1); /* 10.0.0-1.1-2 at 7: .0.1, .0.2, ... */
    assert_int_equal(target_set_index_of(s, &a, &idx), 0);
    assert_int_equal(idx, 0);
    struct ipaddr none = {.family = AF_INET, .bytes = {10, 0, 0, 9}};
    spec = 0;
    assert_int_equal(target_set_index_next(s, &none, &spec, &idx), -1);
    target_set_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),       cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_end_of_space),   cmocka_unit_test(test_carry),
        cmocka_unit_test(test_octet_ranges),   cmocka_unit_test(test_multiple_specs),
        cmocka_unit_test(test_exclusions),     cmocka_unit_test(test_exclusions_v6_and_runs),
        cmocka_unit_test(test_exclude_errors), cmocka_unit_test(test_lazy_large),
        cmocka_unit_test(test_files),          cmocka_unit_test(test_family_filter),
        cmocka_unit_test(test_bad_inputs),     cmocka_unit_test(test_hostnames),
        cmocka_unit_test(test_null_opts),      cmocka_unit_test(test_file_warnings),
        cmocka_unit_test(test_index_next),     cmocka_unit_test(test_load_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
