/* test_plan.c — plan_run's sequencing in the modes that send nothing to
 * the network: list scan, -sn -Pn, and -sn of the scanner's own addresses
 * (localhost-response: nmap needs no probe for those); and the
 * unprivileged connect() ping, on loopback only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/config.h"
#include "engine/plan/plan.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HOSTS 16

struct got {
    size_t n;
    struct ipaddr addr[MAX_HOSTS];
    enum host_status status[MAX_HOSTS];
    enum reason reason[MAX_HOSTS];
    size_t nports[MAX_HOSTS];
    bool named[MAX_HOSTS];
    struct scan_summary sum; /* what plan_run counted */
};

static void record_host(void *ctx, const struct host_result *h)
{
    struct got *g = ctx;
    if (g->n == MAX_HOSTS)
        return;
    g->addr[g->n] = h->addr;
    g->status[g->n] = h->status;
    g->reason[g->n] = h->status_reason;
    g->nports[g->n] = h->nports;
    g->named[g->n] = h->hostname != NULL;
    g->n++;
}

/* Set by a test before RUN: called between parsing and plan_run, to set
 * what the command line would only set for another user. */
static void (*adjust)(struct config *s);
static char last_err[256];

static int run(struct config *s, struct got *g, const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("prtip");
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w && argc < 31; w = va_arg(ap, const char *))
        argv[argc++] = strdup(w);
    va_end(ap);
    argv[argc] = NULL;
    config_init(s);
    enum cli_result r = cli_parse(argc, argv, s);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    assert_int_equal(r, CLI_OK);
    if (adjust)
        adjust(s);
    memset(g, 0, sizeof(*g));
    char err[256] = "";
    struct result_sink sink = {.host = record_host, .ctx = g};
    int rc = plan_run(s, NULL, &sink, &g->sum, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "plan_run: %s\n", err);
    snprintf(last_err, sizeof(last_err), "%s", err);
    return rc;
}

#define RUN(s, g, ...) run(s, g, __VA_ARGS__, (const char *)NULL)

static void expect_addr(const struct got *g, size_t i, const char *text)
{
    struct ipaddr want;
    assert_int_equal(ipaddr_parse(text, &want), 0);
    assert_true(ipaddr_equal(&g->addr[i], &want));
}

static void test_list_scan(void **state)
{
    struct config s;
    struct got g;
    assert_int_equal(RUN(&s, &g, "-sL", "-n", "198.18.0.0/30", "fd00::/127", "localhost"), 0);
    assert_int_equal(g.n, 7);
    const char *want[] = {"198.18.0.0", "198.18.0.1", "198.18.0.2",
                          "198.18.0.3", "fd00::",     "fd00::1"};
    for (size_t i = 0; i < 6; i++) {
        expect_addr(&g, i, want[i]);
        assert_int_equal(g.status[i], HOST_UNKNOWN);
        assert_int_equal(g.reason[i], REASON_USER_SET);
        assert_int_equal(g.nports[i], 0);
        assert_false(g.named[i]);
    }
    assert_true(g.named[6]); /* the typed name is kept */
    /* nmap: "7 IP addresses (0 hosts up)", all counted down. */
    assert_int_equal(g.sum.hosts_total, 7);
    assert_int_equal(g.sum.hosts_up, 0);
    assert_int_equal(g.sum.hosts_down, 7);
    config_free(&s);
}

static void test_ping_no_discovery(void **state)
{
    struct config s;
    struct got g;
    assert_int_equal(RUN(&s, &g, "-sn", "-Pn", "-n", "198.18.0.0/31"), 0);
    assert_int_equal(g.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(g.status[i], HOST_UP);
        assert_int_equal(g.reason[i], REASON_USER_SET);
        assert_int_equal(g.nports[i], 0);
    }
    assert_int_equal(g.sum.hosts_up, 2);
    assert_int_equal(g.sum.hosts_total, 2);
    config_free(&s);
}

/* Own addresses are up without a probe; this needs the loopback routes
 * only (rtnetlink needs no privilege). Unprivileged, -PE becomes nmap's
 * connect() ping to port 80 (cli_disc.c), which loopback refuses or
 * accepts. */
static void test_ping_localhost(void **state)
{
    struct config s;
    struct got g;
    int rc = RUN(&s, &g, "-sn", "-n", "-PE", "--disable-arp-ping", "127.0.0.1/30");
    if (rc < 0 || g.n == 0) { /* no loopback routes in this sandbox */
        config_free(&s);
        skip();
    }
    assert_int_equal(g.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(g.status[i], HOST_UP);
        if (geteuid() == 0)
            assert_int_equal(g.reason[i], REASON_LOCALHOST_RESPONSE);
        else
            assert_true(g.reason[i] == REASON_CONN_REFUSED || g.reason[i] == REASON_SYN_ACK);
        assert_int_equal(g.nports[i], 0);
    }
    expect_addr(&g, 0, "127.0.0.0");
    expect_addr(&g, 3, "127.0.0.3");
    assert_int_equal(g.sum.hosts_up, 4);
    assert_int_equal(g.sum.hosts_down, 0);
    config_free(&s);
}

/* The command line sets connect_ping for non-root runs only; a root test
 * run sets it itself. */
static void as_unprivileged(struct config *s)
{
    s->disc.connect_ping = true;
}

/* A loopback TCP listener on an ephemeral port; its fd, port in *port. */
static int listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return -1;
    *port = ntohs(sa.sin_port);
    return fd;
}

/* Connect ping to the -PS/-PA ports: up by syn-ack where one listens, by
 * conn-refused where nothing does; -sn delivers no ports. */
static void test_connect_ping(void **state)
{
    struct config s;
    struct got g;
    uint16_t port = 0;
    int fd = listener(&port);
    if (fd < 0)
        skip();
    char open_ping[32], closed_ping[32];
    snprintf(open_ping, sizeof(open_ping), "-PS%u", port);
    snprintf(closed_ping, sizeof(closed_ping), "-PS%u", port == 65535 ? 65534 : port + 1);
    adjust = as_unprivileged;
    assert_int_equal(RUN(&s, &g, "-sn", "-n", open_ping, "127.0.0.1"), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.status[0], HOST_UP);
    assert_int_equal(g.reason[0], REASON_SYN_ACK);
    assert_int_equal(g.nports[0], 0);
    config_free(&s);
    assert_int_equal(RUN(&s, &g, "-sn", "-n", closed_ping, "127.0.0.1"), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.status[0], HOST_UP);
    assert_int_equal(g.reason[0], REASON_CONN_REFUSED);
    config_free(&s);
    /* Then the port scan of the up host, keeping the ping's reason. */
    char ports[16];
    snprintf(ports, sizeof(ports), "%u", port);
    assert_int_equal(RUN(&s, &g, "-sT", "-n", "-p", ports, open_ping, "127.0.0.1"), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.reason[0], REASON_SYN_ACK);
    assert_int_equal(g.nports[0], 1);
    config_free(&s);
    adjust = NULL;
    close(fd);
}

/* -PU cannot fall back: a runtime failure naming it, nothing delivered. */
static void test_connect_ping_udp_refused(void **state)
{
    struct config s;
    struct got g;
    adjust = as_unprivileged;
    assert_int_equal(RUN(&s, &g, "-sn", "-n", "-PU53", "127.0.0.1"), -1);
    adjust = NULL;
    assert_int_equal(g.n, 0);
    assert_non_null(strstr(last_err, "-PU"));
    config_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_scan),
        cmocka_unit_test(test_ping_no_discovery),
        cmocka_unit_test(test_ping_localhost),
        cmocka_unit_test(test_connect_ping),
        cmocka_unit_test(test_connect_ping_udp_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
