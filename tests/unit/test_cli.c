/* test_cli.c — cli_parse: nmap's command line into a struct config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "core/log.h"
#include "cli/config.h"
#include "net/io.h"
#include "output/output.h"
#include "scan/scan_module.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Parse a NULL-terminated list of words after "prtip" into a fresh scan. The
 * words are copied, as getopt may write to argv. */
static enum cli_result parse_words(struct config *s, const char *first, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = strdup("prtip");
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w && argc < 63; w = va_arg(ap, const char *))
        argv[argc++] = strdup(w);
    va_end(ap);
    argv[argc] = NULL;
    config_init(s);
    enum cli_result r = cli_parse(argc, argv, s);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return r;
}

#define PARSE(s, ...) parse_words(s, __VA_ARGS__, (const char *)NULL)

/* Expect CLI_ERROR and release the partial scan. */
#define EXPECT_ERROR(...)                                                                          \
    do {                                                                                           \
        struct config s_;                                                                          \
        assert_int_equal(PARSE(&s_, __VA_ARGS__), CLI_ERROR);                                      \
        config_free(&s_);                                                                          \
    } while (0)

static size_t tcp_count(const struct config *s)
{
    return s->ports.count[PROTO_TCP];
}

static void test_basic_connect(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-sT", "-p", "22,80", "-T4", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.ntypes, 1);
    assert_ptr_equal(s.types[0], scan_module_find("-sT"));
    assert_int_equal(tcp_count(&s), 2);
    assert_int_equal(s.ports.ports[PROTO_TCP][0], 22);
    assert_int_equal(s.ports.ports[PROTO_TCP][1], 80);
    assert_int_equal(s.timing.level, 4);
    assert_int_equal(s.timing.min_rtt_ms, 100);
    assert_int_equal(s.timing.max_rtt_ms, 1250);
    assert_int_equal(s.timing.initial_rtt_ms, 500);
    assert_int_equal(s.timing.max_retries, 6);
    assert_int_equal(s.timing.max_scan_delay_ms, 10);
    assert_non_null(s.targets);
    assert_int_equal(target_set_nspecs(s.targets), 1);
    assert_int_equal(target_set_count(s.targets), 1);
    assert_string_equal(s.args, "prtip -sT -p 22,80 -T4 127.0.0.1");
    assert_true(s.randomize_ports);
    assert_int_equal(s.noutputs, 0);
    assert_non_null(s.services);
    config_free(&s);
}

static void test_defaults(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "127.0.0.1"), CLI_OK);
    assert_int_equal(s.ntypes, 1);
    /* nmap: SYN scan with raw-packet privileges, connect scan without. */
    assert_ptr_equal(s.types[0], scan_module_find(geteuid() == 0 ? "-sS" : "-sT"));
    assert_string_equal(s.types[0]->name, geteuid() == 0 ? "syn" : "connect");
    assert_int_equal(tcp_count(&s), 1000);
    assert_true(portset_contains(&s.ports, PROTO_TCP, 80));
    assert_true(portset_contains(&s.ports, PROTO_TCP, 22));
    assert_int_equal(s.timing.level, 3);
    assert_int_equal(s.timing.max_retries, 10);
    assert_int_equal(s.dns, DNS_UP_HOSTS);
    assert_false(s.skip_discovery);
    assert_int_equal(s.family, 0);
    config_free(&s);
}

static void test_oA_expands(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-oA", "base", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.noutputs, 4);
    const char *want[][2] = {
        {"-oN", "base.nmap"}, {"-oG", "base.gnmap"}, {"-oX", "base.xml"}, {"-oJ", "base.json"}};
    for (size_t i = 0; i < 4; i++) {
        assert_ptr_equal(s.outputs[i].module, output_module_find(want[i][0]));
        assert_string_equal(s.outputs[i].path, want[i][1]);
    }
    config_free(&s);
}

static void test_single_outputs(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-oX", "-", "-oG", "out.gnmap", "-oNn.txt", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.noutputs, 3);
    assert_ptr_equal(s.outputs[0].module, output_module_find("-oX"));
    assert_string_equal(s.outputs[0].path, "-");
    assert_ptr_equal(s.outputs[1].module, output_module_find("-oG"));
    assert_string_equal(s.outputs[1].path, "out.gnmap");
    assert_ptr_equal(s.outputs[2].module, output_module_find("-oN"));
    assert_string_equal(s.outputs[2].path, "n.txt");
    config_free(&s);
}

static void test_all_ports(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-p-", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 65535);
    assert_false(portset_contains(&s.ports, PROTO_TCP, 0));
    config_free(&s);

    assert_int_equal(PARSE(&s, "-p", "-", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 65535);
    config_free(&s);
}

static void test_fast_and_top(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-F", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 100);
    config_free(&s);

    assert_int_equal(PARSE(&s, "--top-ports", "10", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 10);
    assert_true(portset_contains(&s.ports, PROTO_TCP, 80));
    assert_true(portset_contains(&s.ports, PROTO_TCP, 443));
    config_free(&s);

    /* nmap: the top N among the -p range. */
    assert_int_equal(PARSE(&s, "--top-ports", "5", "-p", "1-100", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 5);
    for (size_t i = 0; i < 5; i++)
        assert_true(s.ports.ports[PROTO_TCP][i] <= 100);
    assert_true(portset_contains(&s.ports, PROTO_TCP, 80));
    assert_true(portset_contains(&s.ports, PROTO_TCP, 22));
    config_free(&s);

    EXPECT_ERROR("-F", "-p", "80", "127.0.0.1");
    EXPECT_ERROR("--top-ports", "0", "127.0.0.1");
    EXPECT_ERROR("--top-ports", "ten", "127.0.0.1");
}

static void test_exclude_ports(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-p", "22,80,443", "--exclude-ports", "80,443", "127.0.0.1"),
                     CLI_OK);
    assert_int_equal(tcp_count(&s), 1);
    assert_int_equal(s.ports.ports[PROTO_TCP][0], 22);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-F", "--exclude-ports", "80", "127.0.0.1"), CLI_OK);
    assert_int_equal(tcp_count(&s), 99);
    assert_false(portset_contains(&s.ports, PROTO_TCP, 80));
    config_free(&s);

    EXPECT_ERROR("-p", "80", "--exclude-ports", "1-1000", "127.0.0.1");
}

static void test_family_after_target(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-p", "22", "::1", "-6"), CLI_OK);
    assert_int_equal(s.family, 6);
    assert_int_equal(target_set_nspecs(s.targets), 1);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-p", "22", "-4", "127.0.0.1", "198.18.0.0/30"), CLI_OK);
    assert_int_equal(s.family, 4);
    config_free(&s);

    /* The family applies to every target, wherever -4/-6 stands. */
    EXPECT_ERROR("-p", "22", "127.0.0.1", "-6");
    EXPECT_ERROR("-p", "22", "::1", "-4");

    assert_int_equal(PARSE(&s, "-p", "22", "127.0.0.1", "::1", "198.18.0.0/30"), CLI_OK);
    assert_int_equal(target_set_nspecs(s.targets), 3);
    assert_int_equal(target_set_count(s.targets), 6);
    config_free(&s);
}

static void test_flags(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-Pn", "-n", "-r", "--open", "--reason", "--seed", "42", "-vv", "-d",
                           "127.0.0.1"),
                     CLI_OK);
    assert_true(s.skip_discovery);
    assert_int_equal(s.dns, DNS_NEVER);
    assert_false(s.randomize_ports);
    assert_true(s.open_only);
    assert_true(s.show_reason);
    assert_int_equal(s.seed, 42);
    assert_int_equal(s.verbose, 2);
    assert_int_equal(s.debug, 1);
    assert_int_equal(log_get_level(), LOG_DEBUG);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-R", "-v3", "-dd", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.dns, DNS_ALWAYS);
    assert_int_equal(s.verbose, 3);
    assert_int_equal(s.debug, 2);
    assert_int_equal(log_get_level(), LOG_TRACE);
    config_free(&s);

    assert_int_equal(PARSE(&s, "--seed", "0x10", "--", "127.0.0.1", "::1"), CLI_OK);
    assert_int_equal(s.seed, 16);
    assert_int_equal(target_set_nspecs(s.targets), 2);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-v", "-v", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.verbose, 2);
    assert_int_equal(log_get_level(), LOG_INFO);
    config_free(&s);

    assert_int_equal(PARSE(&s, "127.0.0.1"), CLI_OK);
    assert_int_equal(log_get_level(), LOG_WARN);
    config_free(&s);
}

static void test_timing_overrides(void **state)
{
    struct config s;
    /* Explicit options win over the template wherever -T appears. */
    assert_int_equal(PARSE(&s, "--max-retries", "4", "-T5", "--host-timeout", "90s", "127.0.0.1"),
                     CLI_OK);
    assert_int_equal(s.timing.level, 5);
    assert_int_equal(s.timing.max_retries, 4);
    assert_int_equal(s.timing.host_timeout_ms, 90000);
    assert_int_equal(s.timing.max_rtt_ms, 300);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-T", "aggressive", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.timing.level, 4);
    config_free(&s);

    assert_int_equal(PARSE(&s, "--min-rtt-timeout", "200ms", "--initial-rtt-timeout", "50ms",
                           "--max-rtt-timeout", "2s", "127.0.0.1"),
                     CLI_OK);
    assert_int_equal(s.timing.min_rtt_ms, 200);
    assert_int_equal(s.timing.initial_rtt_ms, 200); /* raised to the minimum */
    assert_int_equal(s.timing.max_rtt_ms, 2000);
    config_free(&s);

    assert_int_equal(PARSE(&s, "--min-rate", "100.5", "--max-rate", "1000", "--min-parallelism",
                           "10", "--max-parallelism", "500", "--min-hostgroup", "4",
                           "--max-hostgroup", "64", "--scan-delay", "20ms", "--max-scan-delay",
                           "1s", "127.0.0.1"),
                     CLI_OK);
    assert_true(s.timing.min_rate == 100.5);
    assert_true(s.timing.max_rate == 1000.0);
    assert_int_equal(s.timing.min_parallelism, 10);
    assert_int_equal(s.timing.max_parallelism, 500);
    assert_int_equal(s.timing.min_hostgroup, 4);
    assert_int_equal(s.timing.max_hostgroup, 64);
    assert_int_equal(s.timing.scan_delay_ms, 20);
    assert_int_equal(s.timing.max_scan_delay_ms, 1000);
    config_free(&s);

    /* A scan delay above the template's maximum raises the maximum. */
    assert_int_equal(PARSE(&s, "-T4", "--scan-delay", "1s", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.timing.scan_delay_ms, 1000);
    assert_true(s.timing.max_scan_delay_ms >= 1000);
    config_free(&s);
}

static void test_input_list(void **state)
{
    char path[] = "/tmp/prtip-test-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs("# lab\n127.0.0.1\n198.18.0.0/30 ::1\n", fp);
    fclose(fp);

    struct config s;
    assert_int_equal(PARSE(&s, "-p", "80", "-iL", path, "--exclude", "198.18.0.1"), CLI_OK);
    assert_int_equal(target_set_nspecs(s.targets), 3);
    config_free(&s);

    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# nothing here\n", fp);
    fclose(fp);
    EXPECT_ERROR("-p", "80", "-iL", path);
    assert_int_equal(PARSE(&s, "-p", "80", "-iL", path, "127.0.0.1"), CLI_OK);
    config_free(&s);
    unlink(path);

    EXPECT_ERROR("-iL", "/nonexistent/prtip-targets");
    EXPECT_ERROR("-iL");
}

static void test_help_and_version(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-h"), CLI_EXIT);
    config_free(&s);
    assert_int_equal(PARSE(&s, "--help"), CLI_EXIT);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-V"), CLI_EXIT);
    config_free(&s);
    assert_int_equal(PARSE(&s, "--version"), CLI_EXIT);
    config_free(&s);
}

static void test_bad_inputs(void **state)
{
    EXPECT_ERROR("-p", "0-70000", "127.0.0.1");
    EXPECT_ERROR("-T9", "127.0.0.1");
    EXPECT_ERROR("-Tfast", "127.0.0.1");
    EXPECT_ERROR("--max-retries", "-1", "127.0.0.1");
    EXPECT_ERROR("--max-retries", "3x", "127.0.0.1");
    EXPECT_ERROR("--host-timeout", "5x", "127.0.0.1");
    EXPECT_ERROR("--min-rtt-timeout", "2s", "--max-rtt-timeout", "1s", "127.0.0.1");
    EXPECT_ERROR("--min-rate", "0", "127.0.0.1");
    EXPECT_ERROR("--min-rate", "500", "--max-rate", "100", "127.0.0.1");
    EXPECT_ERROR("--min-parallelism", "0", "127.0.0.1");
    EXPECT_ERROR("--min-parallelism", "50", "--max-parallelism", "10", "127.0.0.1");
    EXPECT_ERROR("--min-hostgroup", "64", "--max-hostgroup", "8", "127.0.0.1");
    EXPECT_ERROR("--seed", "-5", "127.0.0.1");
    EXPECT_ERROR("-p", "80");                  /* no targets */
    EXPECT_ERROR("--foo", "127.0.0.1");        /* unknown option */
    EXPECT_ERROR("--max-r", "3", "127.0.0.1"); /* ambiguous */
    EXPECT_ERROR("-sZ", "127.0.0.1");
    EXPECT_ERROR("-sQ", "127.0.0.1");
    EXPECT_ERROR("-PY", "127.0.0.1");
    EXPECT_ERROR("--osscan-guess", "127.0.0.1"); /* needs -O */
    EXPECT_ERROR("--max-os-tries", "2", "127.0.0.1");
    EXPECT_ERROR("-O", "--max-os-tries", "0", "127.0.0.1");
    EXPECT_ERROR("-O", "--os-db", "", "127.0.0.1");
    EXPECT_ERROR("--version-intensity", "3", "127.0.0.1"); /* needs -sV */
    EXPECT_ERROR("-sV", "--version-intensity", "10", "127.0.0.1");
    EXPECT_ERROR("-sV", "-sn", "127.0.0.1");
    EXPECT_ERROR("-sV", "--version-timeout", "0", "127.0.0.1");
    EXPECT_ERROR("--script", "default", "127.0.0.1");
    EXPECT_ERROR("-oQ", "x", "127.0.0.1");
    EXPECT_ERROR("-oA", "-", "127.0.0.1");
    EXPECT_ERROR("-o", "file", "127.0.0.1");
    EXPECT_ERROR("-v", "-vx", "127.0.0.1");
    EXPECT_ERROR("10.0.0.300");
    EXPECT_ERROR("127.0.0.1", "--top-ports"); /* missing argument */
}

/* Every refusal is one line on stderr, even when the value holds a newline
 * or an escape sequence (found by fuzz_options: --scanflags $'URG\n'). */
static void test_error_one_line(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--scanflags", "URG\nX", "127.0.0.1"},
        {"--host-timeout", "5\nx", "127.0.0.1"},
        {"-e", "a\nb\x1b[2J", "127.0.0.1"},
        {"-p", "80", "10.0.0.300\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fflush(stderr);
        FILE *tmp = tmpfile();
        assert_non_null(tmp);
        int saved = dup(2);
        assert_true(saved >= 0);
        assert_int_equal(dup2(fileno(tmp), 2), 2);
        struct config s;
        enum cli_result r = PARSE(&s, cases[i][0], cases[i][1], cases[i][2]);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        config_free(&s);
        assert_int_equal(r, CLI_ERROR);
        char buf[1024] = "";
        rewind(tmp);
        size_t n = fread(buf, 1, sizeof buf - 1, tmp);
        fclose(tmp);
        buf[n] = '\0';
        assert_true(n > 8);
        assert_int_equal(strncmp(buf, "prtip: ", 7), 0);
        assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
        assert_null(strchr(buf, '\x1b'));
    }
}

static void test_scan_types(void **state)
{
    static const char *const opts[][2] = {
        {"-sS", "syn"}, {"-sF", "fin"},    {"-sN", "null"},   {"-sX", "xmas"},
        {"-sA", "ack"}, {"-sW", "window"}, {"-sM", "maimon"}, {"-sT", "connect"},
    };
    struct config s;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        assert_int_equal(PARSE(&s, opts[i][0], "-p", "80", "127.0.0.1"), CLI_OK);
        assert_int_equal(s.ntypes, 1);
        assert_non_null(s.types[0]);
        assert_ptr_equal(s.types[0], scan_module_find(opts[i][0]));
        assert_string_equal(s.types[0]->name, opts[i][1]);
        assert_string_equal(s.types[0]->option, opts[i][0]);
        assert_int_equal(tcp_count(&s), 1);
        assert_int_equal(s.raw.scanflags, -1);
        config_free(&s);
    }
    /* The same type twice is one type. */
    assert_int_equal(PARSE(&s, "-sS", "-sS", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.ntypes, 1);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-sSS", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.ntypes, 1);
    config_free(&s);

    /* nmap: only one TCP scan type per run. */
    EXPECT_ERROR("-sS", "-sT", "127.0.0.1");
    EXPECT_ERROR("-sT", "-sS", "127.0.0.1");
    EXPECT_ERROR("-sF", "-sX", "127.0.0.1");
    EXPECT_ERROR("-sSA", "127.0.0.1");
    EXPECT_ERROR("-sA", "-sW", "127.0.0.1");
    EXPECT_ERROR("-s", "127.0.0.1");
}

static void test_discovery(void **state)
{
    struct config s;
    /* nmap's default probe set, ARP/ND on. */
    assert_int_equal(PARSE(&s, "-p", "80", "127.0.0.1"), CLI_OK);
    assert_false(s.disc.explicit_probes);
    assert_true(s.disc.on[DISC_ICMP_ECHO] && s.disc.on[DISC_ICMP_TIMESTAMP] &&
                !s.disc.on[DISC_ICMP_NETMASK]);
    assert_true(s.disc.arp);
    assert_int_equal(s.disc.ports[DISC_SYN_PING].count[PROTO_TCP], 1);
    assert_int_equal(s.disc.ports[DISC_SYN_PING].ports[PROTO_TCP][0], 443);
    assert_int_equal(s.disc.ports[DISC_ACK_PING].count[PROTO_TCP], 1);
    assert_int_equal(s.disc.ports[DISC_ACK_PING].ports[PROTO_TCP][0], 80);
    assert_int_equal(s.disc.ports[DISC_UDP_PING].count[PROTO_UDP], 0);
    config_free(&s);

    /* Explicit probes replace the defaults; bare -PS/-PA/-PU get nmap's
     * ports; ARP stays on unless --disable-arp-ping. */
    assert_int_equal(PARSE(&s, "-PE", "-PS", "-PA22,80", "-PU", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_true(s.disc.explicit_probes && s.disc.on[DISC_ICMP_ECHO] &&
                !s.disc.on[DISC_ICMP_TIMESTAMP]);
    assert_true(s.disc.arp);
    assert_int_equal(s.disc.ports[DISC_SYN_PING].ports[PROTO_TCP][0], 80);
    assert_int_equal(s.disc.ports[DISC_ACK_PING].count[PROTO_TCP], 2);
    assert_int_equal(s.disc.ports[DISC_ACK_PING].ports[PROTO_TCP][0], 22);
    assert_int_equal(s.disc.ports[DISC_ACK_PING].ports[PROTO_TCP][1], 80);
    assert_int_equal(s.disc.ports[DISC_UDP_PING].ports[PROTO_UDP][0], 40125);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-PP", "-PM", "--disable-arp-ping", "-p", "80", "127.0.0.1"),
                     CLI_OK);
    assert_true(s.disc.on[DISC_ICMP_TIMESTAMP] && s.disc.on[DISC_ICMP_NETMASK] &&
                !s.disc.on[DISC_ICMP_ECHO] && !s.disc.arp);
    assert_int_equal(s.disc.ports[DISC_SYN_PING].count[PROTO_TCP], 0);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-PR", "--disable-arp-ping", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_true(s.disc.arp && s.disc.explicit_probes);
    config_free(&s);

    /* -sn and -sL: no port list, no scan type. */
    assert_int_equal(PARSE(&s, "-sn", "198.18.0.0/30"), CLI_OK);
    assert_true(s.disc.ping_only && !s.disc.list_only);
    assert_int_equal(portset_total(&s.ports), 0);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-sL", "-sn", "-n", "198.18.0.0/30"), CLI_OK);
    assert_true(s.disc.list_only && !s.disc.ping_only);
    config_free(&s);
    EXPECT_ERROR("-sn", "-sS", "127.0.0.1");
    EXPECT_ERROR("-sL", "-sT", "127.0.0.1");
    EXPECT_ERROR("-sn", "-p", "80", "127.0.0.1");
    EXPECT_ERROR("-sL", "-F", "127.0.0.1");
    EXPECT_ERROR("-PEx", "127.0.0.1");
    EXPECT_ERROR("-PS70000", "127.0.0.1");
    EXPECT_ERROR("-PST:80,U:53", "127.0.0.1");
    EXPECT_ERROR("-PQ", "127.0.0.1");

    /* -sU: alone, or with one raw TCP type; ports without a prefix go to
     * both protocols, as nmap. */
    if (scan_module_find("-sU")) {
        assert_int_equal(PARSE(&s, "-sS", "-sU", "-p", "53,T:80", "127.0.0.1"), CLI_OK);
        assert_int_equal(s.ntypes, 2);
        assert_int_equal(s.ports.count[PROTO_TCP], 2);
        assert_int_equal(s.ports.count[PROTO_UDP], 1);
        assert_int_equal(s.ports.ports[PROTO_UDP][0], 53);
        config_free(&s);
        assert_int_equal(PARSE(&s, "-sU", "-p", "U:53", "127.0.0.1"), CLI_OK);
        assert_int_equal(s.ntypes, 1);
        assert_string_equal(s.types[0]->option, "-sU");
        config_free(&s);
        EXPECT_ERROR("-sT", "-sU", "127.0.0.1");
    }
}

static void test_scanflags(void **state)
{
    static const struct {
        const char *text;
        int flags;
    } good[] = {
        {"SYNFIN", 0x03},    {"URGPSHFIN", 0x29},
        {"finpshurg", 0x29}, {"URGACKPSHRSTSYNFIN", 0x3f},
        {"ACK", 0x10},       {"9", 9},
        {"0x12", 0x12},      {"0", 0},
        {"255", 255},        {"ALL", 255},
        {"NONE", 0},         {"SYN,ACK", 0x12},
        {"EceCwr", 0xc0},
    };
    struct config s;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(PARSE(&s, "-sS", "--scanflags", good[i].text, "-p", "80", "127.0.0.1"),
                         CLI_OK);
        assert_int_equal(s.raw.scanflags, good[i].flags);
        config_free(&s);
    }
    /* --scanflags alone: SYN scan classification as the base, as nmap. */
    assert_int_equal(PARSE(&s, "--scanflags", "FIN", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.ntypes, 1);
    assert_ptr_equal(s.types[0], scan_module_find("-sS"));
    assert_int_equal(s.raw.scanflags, 0x01);
    config_free(&s);
    /* With a base type: that type's classification. */
    assert_int_equal(PARSE(&s, "-sA", "--scanflags", "FIN", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_ptr_equal(s.types[0], scan_module_find("-sA"));
    assert_int_equal(s.raw.scanflags, 0x01);
    config_free(&s);

    EXPECT_ERROR("--scanflags", "SYNFOO", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "256", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "0x100", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "-1", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "12abc", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "0x", "127.0.0.1");
    EXPECT_ERROR("--scanflags", "SYN,", "127.0.0.1");
    EXPECT_ERROR("-sT", "--scanflags", "SYN", "127.0.0.1"); /* connect scan sends no flags */
}

static void test_raw_options(void **state)
{
    struct config s;
    assert_int_equal(PARSE(&s, "-sS", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_true(s.raw.rate == 0);
    assert_int_equal(s.raw.shard, 0);
    assert_int_equal(s.raw.nshards, 1);
    assert_false(s.raw.dry_run);
    assert_true(s.raw.wait_s < 0);
    assert_int_equal(s.raw.stats_every_ms, 0);
    assert_string_equal(s.raw.iface, "");
    assert_false(s.raw.have_src);
    assert_int_equal(s.raw.src_port, -1);
    assert_int_equal(s.raw.send_method, 0);
    assert_int_equal(s.raw.recv_method, 0);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-sS", "--rate", "1500.5", "--shard", "2/4", "--seed", "7",
                           "--dry-run", "--wait", "2500ms", "--stats-every", "10s", "-e", "veth0",
                           "-S", "198.18.0.1", "-g", "53", "--send-method", "ring", "--recv-method",
                           "pcap", "-p", "80", "198.18.0.2"),
                     CLI_OK);
    assert_true(s.raw.rate == 1500.5);
    assert_int_equal(s.raw.shard, 1); /* 1-based on the command line */
    assert_int_equal(s.raw.nshards, 4);
    assert_true(s.raw.dry_run);
    assert_true(s.raw.wait_s == 2.5);
    assert_int_equal(s.raw.stats_every_ms, 10000);
    assert_string_equal(s.raw.iface, "veth0");
    assert_true(s.raw.have_src);
    assert_int_equal(s.raw.src.family, AF_INET);
    assert_int_equal(s.raw.src.bytes[0], 198);
    assert_int_equal(s.raw.src.bytes[3], 1);
    assert_int_equal(s.raw.src_port, 53);
    assert_int_equal(s.raw.send_method, 3);
    assert_int_equal(s.raw.recv_method, 2);
    config_free(&s);

    /* One shard needs no common seed; a Slurm array's tasks share one. */
    assert_int_equal(PARSE(&s, "-sS", "--shard", "1/1", "-p", "80", "127.0.0.1"), CLI_OK);
    config_free(&s);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "0", 1);
    setenv("SLURM_ARRAY_TASK_MAX", "3", 1);
    setenv("SLURM_ARRAY_JOB_ID", "777", 1);
    assert_int_equal(PARSE(&s, "-sS", "--shard", "auto", "-p", "80", "127.0.0.1"), CLI_OK);
    uint64_t task3 = s.seed;
    assert_int_equal(s.raw.shard, 3);
    config_free(&s);
    setenv("SLURM_ARRAY_TASK_ID", "0", 1);
    assert_int_equal(PARSE(&s, "-sS", "--shard", "auto", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_true(s.seed == task3);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-sS", "--shard", "auto", "--seed", "9", "-p", "80", "127.0.0.1"),
                     CLI_OK);
    assert_true(s.seed == 9); /* --seed wins */
    config_free(&s);
    unsetenv("SLURM_ARRAY_JOB_ID");
    EXPECT_ERROR("-sS", "--shard", "auto", "-p", "80", "127.0.0.1");
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_MAX");

    assert_int_equal(PARSE(&s, "-sS", "--source-port", "0", "--wait", "0", "--send-method", "raw",
                           "--recv-method", "ring", "-S", "fd00::1", "-6", "-p", "80", "::1"),
                     CLI_OK);
    assert_int_equal(s.raw.src_port, 0);
    assert_true(s.raw.wait_s == 0);
    assert_int_equal(s.raw.send_method, 1);
    assert_int_equal(s.raw.recv_method, 1);
    assert_int_equal(s.raw.src.family, AF_INET6);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-sS", "--send-method", "packet", "--recv-method", "auto", "-p",
                           "80", "127.0.0.1"),
                     CLI_OK);
    assert_int_equal(s.raw.send_method, 2);
    assert_int_equal(s.raw.recv_method, 0);
    assert_int_equal(s.raw.sender_threads, 0); /* the default: one */
    config_free(&s);

    assert_int_equal(PARSE(&s, "--sender-threads", "4", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.raw.sender_threads, 4);
    assert_ptr_equal(s.types[0], scan_module_find("-sS"));
    config_free(&s);

    /* A raw-only option without a scan type picks the SYN scan. */
    assert_int_equal(PARSE(&s, "--rate", "100", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_ptr_equal(s.types[0], scan_module_find("-sS"));
    config_free(&s);

    /* So does any of them (the connect engine reads none). */
    assert_int_equal(PARSE(&s, "-e", "lo", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_ptr_equal(s.types[0], scan_module_find("-sS"));
    assert_string_equal(s.raw.iface, "lo");
    config_free(&s);

    EXPECT_ERROR("--rate", "0", "127.0.0.1");
    EXPECT_ERROR("--rate", "-5", "127.0.0.1");
    EXPECT_ERROR("--rate", "fast", "127.0.0.1");
    EXPECT_ERROR("-sT", "--rate", "100", "127.0.0.1"); /* raw engine only */
    EXPECT_ERROR("-sT", "--dry-run", "127.0.0.1");
    EXPECT_ERROR("-sT", "-e", "lo", "127.0.0.1");
    EXPECT_ERROR("-sT", "-S", "127.0.0.1", "127.0.0.1");
    EXPECT_ERROR("-sT", "-g", "53", "127.0.0.1");
    EXPECT_ERROR("--shard", "1/2", "-sT", "127.0.0.1");
    EXPECT_ERROR("--shard", "0/4", "127.0.0.1");
    EXPECT_ERROR("--shard", "5/4", "127.0.0.1");
    EXPECT_ERROR("--shard", "1/0", "127.0.0.1");
    EXPECT_ERROR("--shard", "x", "127.0.0.1");
    /* Shards without a common seed would overlap and miss pairs. */
    EXPECT_ERROR("-sS", "--shard", "1/2", "-p", "80", "127.0.0.1");
    setenv("JOB_COMPLETION_INDEX", "0", 1); /* Kubernetes gives no shared seed */
    EXPECT_ERROR("-sS", "--shard", "auto/2", "-p", "80", "127.0.0.1");
    unsetenv("JOB_COMPLETION_INDEX");
    EXPECT_ERROR("--wait", "soon", "127.0.0.1");
    EXPECT_ERROR("--stats-every", "0", "127.0.0.1");
    EXPECT_ERROR("--stats-every", "1x", "127.0.0.1");
    EXPECT_ERROR("-g", "70000", "127.0.0.1");
    EXPECT_ERROR("-g", "-1", "127.0.0.1");
    EXPECT_ERROR("--source-port", "http", "127.0.0.1");
    EXPECT_ERROR("-S", "garbage", "127.0.0.1");
    EXPECT_ERROR("-S", "198.18.0.0/24", "127.0.0.1");
    EXPECT_ERROR("-S", "198.18.0.1", "-6", "::1"); /* family conflicts with -6 */
    EXPECT_ERROR("-6", "-S", "198.18.0.1", "::1");
    EXPECT_ERROR("-S", "fd00::1", "-4", "127.0.0.1"); /* ... and with -4 */
    EXPECT_ERROR("-e", "an-interface-name-too-long", "127.0.0.1");
    EXPECT_ERROR("-e", "0123456789abcdef", "127.0.0.1"); /* 16 bytes: IFNAMSIZ with NUL */
    EXPECT_ERROR("-e", "", "127.0.0.1");
    EXPECT_ERROR("-e", "eth0/1", "127.0.0.1");
    EXPECT_ERROR("--send-method", "fast", "127.0.0.1");
    EXPECT_ERROR("--recv-method", "raw", "127.0.0.1");
    EXPECT_ERROR("--sender-threads", "0", "127.0.0.1");
    EXPECT_ERROR("--sender-threads", "17", "127.0.0.1");
    EXPECT_ERROR("--sender-threads", "two", "127.0.0.1");
    EXPECT_ERROR("-sT", "--sender-threads", "2", "127.0.0.1");

    /* 15 bytes is the longest name. */
    assert_int_equal(PARSE(&s, "-sS", "-e", "0123456789abcde", "-p", "80", "127.0.0.1"), CLI_OK);
    assert_string_equal(s.raw.iface, "0123456789abcde");
    config_free(&s);
}

/* nmap's options a newcomer types (issue 9, point 8). */
static void test_nmap_options(void **state)
{
    (void)state;
    struct config s;
    assert_int_equal(PARSE(&s, "--unprivileged", "-p", "22", "127.0.0.1"), CLI_OK);
    assert_false(s.privileged);
    assert_ptr_equal(s.types[0], scan_module_find("-sT"));
    config_free(&s);
    assert_int_equal(PARSE(&s, "--privileged", "-p", "22", "127.0.0.1"), CLI_OK);
    assert_true(s.privileged);
    assert_ptr_equal(s.types[0], scan_module_find("-sS"));
    config_free(&s);
    EXPECT_ERROR("--unprivileged", "-sS", "-p", "22", "127.0.0.1");

    assert_int_equal(PARSE(&s, "-sS", "--send-ip", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.raw.send_method, SEND_RAW);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-sS", "--send-eth", "127.0.0.1"), CLI_OK);
    assert_int_equal(s.raw.send_method, SEND_PACKET_MMSG);
    config_free(&s);
    EXPECT_ERROR("-sT", "--send-ip", "127.0.0.1");

    assert_int_equal(PARSE(&s, "-sT", "-oG", "/tmp/x.gnmap", "--append-output", "-oN",
                           "/tmp/x.nmap", "127.0.0.1"),
                     CLI_OK);
    assert_int_equal(s.noutputs, 2);
    assert_true(s.outputs[0].append && s.outputs[1].append);
    config_free(&s);
    assert_int_equal(PARSE(&s, "-sT", "-oG", "/tmp/x.gnmap", "127.0.0.1"), CLI_OK);
    assert_false(s.outputs[0].append);
    config_free(&s);

    assert_int_equal(PARSE(&s, "-sT", "--datadir", "/nonexistent/dir", "--noninteractive",
                           "--system-dns", "--timing", "4", "--verbose", "127.0.0.1"),
                     CLI_OK);
    assert_string_equal(s.datadir, "/nonexistent/dir");
    assert_ptr_equal(s.raw.datadir, s.datadir);
    assert_true(s.noninteractive);
    assert_int_equal(s.timing.level, 4);
    assert_int_equal(s.verbose, 1);
    assert_non_null(s.services); /* nmap-services from the default directory */
    config_free(&s);
    EXPECT_ERROR("-sT", "--datadir", "", "127.0.0.1");

    /* Every refused nmap option parses as itself and is refused. */
    for (const struct cli_missing *m = cli_missing_opts; m->name; m++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "--%s", m->name);
        assert_non_null(m->why);
        assert_ptr_equal(cli_missing_find(m->name), m);
        if (m->has_arg == required_argument)
            EXPECT_ERROR("-sT", opt, "x", "127.0.0.1");
        else
            EXPECT_ERROR("-sT", opt, "127.0.0.1");
    }
    assert_null(cli_missing_find("datadir"));

    /* No arguments at all: the usage (on stdout) and a usage error. */
    char *argv[] = {"prtip", NULL};
    config_init(&s);
    assert_int_equal(cli_parse(1, argv, &s), CLI_ERROR);
    config_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_connect), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_oA_expands),    cmocka_unit_test(test_single_outputs),
        cmocka_unit_test(test_all_ports),     cmocka_unit_test(test_fast_and_top),
        cmocka_unit_test(test_exclude_ports), cmocka_unit_test(test_family_after_target),
        cmocka_unit_test(test_flags),         cmocka_unit_test(test_timing_overrides),
        cmocka_unit_test(test_input_list),    cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_bad_inputs),    cmocka_unit_test(test_error_one_line),
        cmocka_unit_test(test_scan_types),    cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_scanflags),     cmocka_unit_test(test_raw_options),
        cmocka_unit_test(test_nmap_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
