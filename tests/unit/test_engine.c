/*
 * Tests for engine/connect_engine.c against real sockets on loopback only:
 * listeners on random 127.0.0.1 ports are open, a port whose listener was
 * closed is closed, and every host is delivered once with exact results.
 * Also: reverse DNS through the rdns pool (127.0.0.1 only, answered from
 * /etc/hosts), and the congestion-control rules of ce_cc.c driven directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rdns.h"
#include "core/clock.h"
#include "cli/config.h"
#include "engine/connect/ce.h"
#include "engine/connect/connect_engine.h"
#include "scan/scan_module.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern const struct scan_module scan_connect;

#define MAX_HOSTS 16

/* What the sink saw: copies of the delivered hosts. */
struct seen {
    size_t n;
    struct host_result h[MAX_HOSTS];
    volatile sig_atomic_t *stop_after_first;
};

/* Hosts delivered with status st (the counts plan.c sums into the run's
 * summary from the same deliveries). */
static size_t seen_count(const struct seen *s, enum host_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->h[i].status == st;
    return n;
}

static void record_host(void *ctx, const struct host_result *h)
{
    struct seen *s = ctx;
    assert_true(s->n < MAX_HOSTS);
    struct host_result *c = &s->h[s->n++];
    *c = *h;
    c->rdns = h->rdns ? strdup(h->rdns) : NULL;
    c->ports = NULL;
    c->cap = 0;
    if (h->nports) {
        c->ports = malloc(h->nports * sizeof(*c->ports));
        assert_non_null(c->ports);
        memcpy(c->ports, h->ports, h->nports * sizeof(*c->ports));
        c->cap = h->nports;
    }
    if (s->stop_after_first)
        *s->stop_after_first = 1;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        host_result_free(&s->h[i]);
}

/* A listener on 127.0.0.1 (or ::1) at a kernel-chosen port. */
static int listener(int family, uint16_t *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*s4);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    assert_int_equal(listen(fd, 64), 0);
    len = sizeof(ss);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* The stop flag of the run being set up (run state is not configuration). */
static volatile sig_atomic_t *run_stop;

static void scan_setup(struct config *s, volatile sig_atomic_t *stop, const char *target,
                       const char *ports)
{
    char err[256] = "";
    config_init(s);
    run_stop = stop;
    struct target_opts o = {.family = 0};
    s->targets = target_set_new(&o);
    assert_non_null(s->targets);
    if (target_set_add(s->targets, target, err, sizeof(err)) < 0)
        fail_msg("target %s: %s", target, err);
    if (portset_parse(&s->ports, ports, PROTO_TCP, NULL, err, sizeof(err)) < 0)
        fail_msg("ports %s: %s", ports, err);
    s->types[0] = &scan_connect;
    s->ntypes = 1;
    s->dns = DNS_NEVER; /* no resolver in unit tests */
}

static int run(struct config *s, struct seen *seen)
{
    struct result_sink sink = {.host = record_host, .ctx = seen};
    char err[256] = "";
    /* The job the plan builds for a port scan (engine/plan.c). */
    struct connect_job job = {.targets = s->targets,
                              .module = s->types[0],
                              .ports = s->ports.ports[PROTO_TCP],
                              .nports = s->ports.count[PROTO_TCP],
                              .services = s->services,
                              .timing = s->timing,
                              .seed = s->seed,
                              .randomize_ports = s->randomize_ports,
                              .assume_up = s->skip_discovery,
                              .dns = s->dns,
                              .stop = run_stop};
    int rc = connect_engine_run(&job, &sink, err, sizeof(err));
    if (rc != 0)
        print_error("engine: %s\n", err);
    return rc;
}

static const struct port_result *find_port(const struct host_result *h, uint16_t port)
{
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].port == port)
            return &h->ports[i];
    return NULL;
}

/* Two open ports, one closed, scanned with and without discovery and in
 * both port orders: exact states and reasons, ascending delivery. */
static void test_open_closed(void **state)
{
    (void)state;
    uint16_t p1, p2, pc;
    int l1 = listener(AF_INET, &p1), l2 = listener(AF_INET, &p2), lc = listener(AF_INET, &pc);
    assert_true(l1 >= 0 && l2 >= 0 && lc >= 0);
    close(lc); /* nothing listens on pc any more */
    char ports[64];
    snprintf(ports, sizeof(ports), "%u,%u,%u", p1, p2, pc);

    for (int variant = 0; variant < 4; variant++) {
        struct config s;
        struct seen seen = {0};
        scan_setup(&s, NULL, "127.0.0.1", ports);
        s.skip_discovery = variant & 1;
        s.randomize_ports = variant & 2;
        assert_int_equal(run(&s, &seen), 0);
        assert_int_equal(seen.n, 1);
        const struct host_result *h = &seen.h[0];
        assert_int_equal(h->status, HOST_UP);
        if (s.skip_discovery)
            assert_int_equal(h->status_reason, REASON_USER_SET);
        else /* 80/443 on loopback: refused, or accepted if a server runs */
            assert_true(h->status_reason == REASON_CONN_REFUSED ||
                        h->status_reason == REASON_SYN_ACK);
        assert_false(h->timed_out);
        assert_false(h->interrupted);
        assert_int_equal(h->nports, 3);
        for (size_t i = 1; i < h->nports; i++)
            assert_true(h->ports[i - 1].port < h->ports[i].port);
        const struct port_result *r1 = find_port(h, p1), *r2 = find_port(h, p2),
                                 *rc = find_port(h, pc);
        assert_non_null(r1);
        assert_non_null(r2);
        assert_non_null(rc);
        assert_int_equal(r1->state, PORT_OPEN);
        assert_int_equal(r1->reason, REASON_SYN_ACK);
        assert_int_equal(r2->state, PORT_OPEN);
        assert_int_equal(rc->state, PORT_CLOSED);
        assert_int_equal(rc->reason, REASON_CONN_REFUSED);
        assert_int_equal(r1->proto, PROTO_TCP);
        assert_true(h->srtt_us >= 0);
        assert_true(h->timeout_us >= 100000); /* --min-rtt-timeout floor */
        assert_int_equal(seen.n, 1);
        assert_int_equal(seen_count(&seen, HOST_UP), 1);
        assert_int_equal(seen_count(&seen, HOST_DOWN), 0);
        seen_free(&seen);
        config_free(&s);
    }
    close(l1);
    close(l2);
}

/* A wide range: exactly our listeners open among 2,000 ports around them,
 * everything else closed (a stray "open" would be a self-connect or a
 * misread socket). Serial and highly parallel runs agree. */
static void test_range(void **state)
{
    (void)state;
    uint16_t p1, p2;
    int l1 = listener(AF_INET, &p1), l2 = listener(AF_INET, &p2);
    uint16_t lo = p1 > 1000 ? (uint16_t)(p1 - 1000) : 1;
    uint16_t hi = p1 < 64535 ? (uint16_t)(p1 + 1000) : 65535;
    char ports[64];
    snprintf(ports, sizeof(ports), "%u-%u,%u", lo, hi, p2);
    for (int variant = 0; variant < 2; variant++) {
        struct config s;
        struct seen seen = {0};
        scan_setup(&s, NULL, "127.0.0.1", ports);
        s.skip_discovery = true;
        s.timing.max_parallelism = variant ? 0 : 1;
        assert_int_equal(run(&s, &seen), 0);
        assert_int_equal(seen.n, 1);
        const struct host_result *h = &seen.h[0];
        assert_int_equal(h->nports, s.ports.count[PROTO_TCP]);
        for (size_t i = 0; i < h->nports; i++) {
            const struct port_result *p = &h->ports[i];
            if (p->port == p1 || p->port == p2)
                assert_int_equal(p->state, PORT_OPEN);
            else if (p->state != PORT_CLOSED) /* some other process's listener? */
                assert_int_equal(p->state, PORT_OPEN);
        }
        seen_free(&seen);
        config_free(&s);
    }
    close(l1);
    close(l2);
}

/* Several loopback hosts: each delivered once; only 127.0.0.1 has our
 * listener (bound to that address alone). */
static void test_hosts(void **state)
{
    (void)state;
    uint16_t p1;
    int l1 = listener(AF_INET, &p1);
    char ports[16];
    snprintf(ports, sizeof(ports), "%u", p1);
    struct config s;
    struct seen seen = {0};
    scan_setup(&s, NULL, "127.0.0.1-5", ports);
    s.timing.max_hostgroup = 2; /* the window slides over the five */
    assert_int_equal(run(&s, &seen), 0);
    assert_int_equal(seen.n, 5);
    unsigned mask = 0;
    for (size_t i = 0; i < seen.n; i++) {
        const struct host_result *h = &seen.h[i];
        unsigned last = h->addr.bytes[3];
        assert_true(last >= 1 && last <= 5);
        mask |= 1u << last;
        assert_int_equal(h->status, HOST_UP);
        assert_int_equal(h->nports, 1);
        assert_int_equal(h->ports[0].state, last == 1 ? PORT_OPEN : PORT_CLOSED);
    }
    assert_int_equal(mask, 0x3e);
    assert_int_equal(seen.n, 5);
    assert_int_equal(seen_count(&seen, HOST_UP), 5);
    seen_free(&seen);
    config_free(&s);
    close(l1);
}

static void test_ipv6(void **state)
{
    (void)state;
    uint16_t p1, pc;
    int l1 = listener(AF_INET6, &p1);
    if (l1 < 0)
        skip(); /* no IPv6 loopback here */
    int lc = listener(AF_INET6, &pc);
    close(lc);
    char ports[32];
    snprintf(ports, sizeof(ports), "%u,%u", p1, pc);
    struct config s;
    struct seen seen = {0};
    scan_setup(&s, NULL, "::1", ports);
    assert_int_equal(run(&s, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.h[0].addr.family, AF_INET6);
    assert_int_equal(find_port(&seen.h[0], p1)->state, PORT_OPEN);
    assert_int_equal(find_port(&seen.h[0], pc)->state, PORT_CLOSED);
    seen_free(&seen);
    config_free(&s);
    close(l1);
}

/* --host-timeout shorter than the scan: the host is reported timed out,
 * with no ports, as nmap drops them. */
static void test_host_timeout(void **state)
{
    (void)state;
    struct config s;
    struct seen seen = {0};
    scan_setup(&s, NULL, "127.0.0.1", "1-65535");
    s.skip_discovery = true;
    s.timing.host_timeout_ms = 1;
    s.timing.max_parallelism = 1; /* slow enough to outlast a millisecond */
    assert_int_equal(run(&s, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_true(seen.h[0].timed_out);
    assert_int_equal(seen.h[0].nports, 0);
    seen_free(&seen);
    config_free(&s);
}

/* Ctrl-C after the first host: it returns 0, started hosts come back
 * marked interrupted, nothing new starts. */
static void test_interrupt(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 0;
    struct config s;
    struct seen seen = {.stop_after_first = &stop};
    scan_setup(&s, &stop, "127.0.0.1-20", "1-2000");
    s.skip_discovery = true;
    s.timing.max_hostgroup = 2;
    assert_int_equal(run(&s, &seen), 0);
    assert_true(seen.n >= 1 && seen.n <= 3);
    assert_true(job_stopping(&stop)); /* the engine returned because of it */
    assert_false(seen.h[0].interrupted);
    assert_int_equal(seen.h[0].nports, 2000);
    /* The other host of the window finished in the same pass or was cut. */
    for (size_t i = 1; i < seen.n; i++)
        assert_true(seen.h[i].interrupted ? seen.h[i].nports < 2000 : seen.h[i].nports == 2000);
    seen_free(&seen);
    config_free(&s);

    /* Stopped before it starts: nothing is scanned. */
    stop = 1;
    struct seen none = {0};
    scan_setup(&s, &stop, "127.0.0.1", "1-10");
    assert_int_equal(run(&s, &none), 0);
    assert_int_equal(none.n, 0);
    config_free(&s);
}

/* Reverse DNS on delivery: 127.0.0.1 gets its /etc/hosts name with the
 * default policy (up hosts) and -R; -n gives none. */
static void test_rdns(void **state)
{
    (void)state;
    struct ipaddr lo;
    ipaddr_parse("127.0.0.1", &lo);
    char *want = rdns_getnameinfo(&lo, NULL);
    if (!want)
        skip(); /* no /etc/hosts entry for 127.0.0.1 here */
    enum dns_mode modes[] = {DNS_UP_HOSTS, DNS_ALWAYS, DNS_NEVER};
    for (size_t m = 0; m < 3; m++) {
        struct config s;
        struct seen seen = {0};
        scan_setup(&s, NULL, "127.0.0.1", "1-200");
        s.skip_discovery = true;
        s.dns = modes[m];
        assert_int_equal(run(&s, &seen), 0);
        assert_int_equal(seen.n, 1);
        if (modes[m] == DNS_NEVER) {
            assert_null(seen.h[0].rdns);
        } else {
            assert_non_null(seen.h[0].rdns);
            assert_string_equal(seen.h[0].rdns, want);
        }
        assert_int_equal(seen.h[0].nports, 200);
        seen_free(&seen);
        config_free(&s);
    }
    free(want);
}

/* A struct ce / ce_host just complete enough for ce_cc.c. */
struct cc_fixture {
    struct connect_job job;
    struct ce ce;
    struct ce_host h;
    uint32_t lost_ms[8];
};

static void cc_setup(struct cc_fixture *f, int level, uint32_t nslots)
{
    memset(f, 0, sizeof(*f));
    timing_defaults(&f->job.timing);
    timing_apply_template(&f->job.timing, level);
    f->ce.job = &f->job;
    f->ce.nslots = nslots;
    f->ce.max_tries = f->job.timing.max_retries + 1;
    f->ce.ping_tries = 2;
    ce_cc_setup(&f->ce);
    ipaddr_parse("198.18.0.2", &f->h.tgt.addr);
    f->h.phase = CE_PORTS;
    f->h.t0_us = clock_mono_us() - 1000000; /* lost tries "sent" in the past second */
    f->h.lost_ms = f->lost_ms;
    ce_cc_host_init(&f->ce, &f->h);
}

/* Windows: nmap's initial 10 (larger with -T4/-T5), slow start +1 per
 * answer, silence grows them only while no loss has been seen,
 * --min/--max-parallelism bound them. */
static void test_cc_windows(void **state)
{
    (void)state;
    struct cc_fixture f;
    cc_setup(&f, 3, 4096);
    assert_true(f.h.win.cwnd == 10 && f.ce.gwin.cwnd == 10);
    for (int i = 0; i < 20; i++)
        assert_false(ce_cc_answer(&f.ce, &f.h, 0, 1));
    assert_true(f.h.win.cwnd == 30 && f.ce.gwin.cwnd == 30);
    ce_cc_silence(&f.ce, &f.h);
    assert_true(f.h.win.cwnd == 31);
    f.h.nbusy = 31;
    assert_false(ce_cc_host_ok(&f.h));
    f.h.nlost = 1; /* a presumed-lost probe leaves the pipe */
    assert_true(ce_cc_host_ok(&f.h));
    assert_int_equal(ce_cc_tries_allowed(&f.ce, &f.h), 2); /* nmap's allowedTryno */

    cc_setup(&f, 4, 4096);
    assert_true(f.h.win.cwnd > 10);
    cc_setup(&f, 3, 5); /* --max-parallelism 5 */
    assert_true(f.h.win.cwnd == 5);
    for (int i = 0; i < 10; i++)
        ce_cc_answer(&f.ce, &f.h, 0, 1);
    assert_true(f.h.win.cwnd == 5 && f.ce.gwin.cwnd == 5);
    f.job.timing.min_parallelism = 20;
    ce_cc_setup(&f.ce); /* floor above the ceiling: the ceiling wins */
    assert_true(f.ce.cw_low == 5);
}

/* Loss: an answer to a retransmission halves both windows once per
 * episode, raises the allowed tries, and silence stops growing them. */
static void test_cc_loss(void **state)
{
    (void)state;
    struct cc_fixture f;
    cc_setup(&f, 3, 4096);
    for (int i = 0; i < 90; i++)
        ce_cc_answer(&f.ce, &f.h, 0, 1);
    assert_true(f.h.win.cwnd == 100);
    f.h.nbusy = 100;
    f.ce.inflight = 100;
    f.lost_ms[1] = 500;                           /* try 1 of port 1 went out 0.5 s ago */
    assert_true(ce_cc_answer(&f.ce, &f.h, 1, 2)); /* max_ok grew */
    assert_true(f.h.win.cwnd == 50);
    assert_true(f.ce.gwin.cwnd == 50);
    assert_true(f.h.win.ssthresh == 50);
    assert_int_equal(ce_cc_tries_allowed(&f.ce, &f.h), 3);
    /* Another loss of the same episode (lost before the cut): no new cut. */
    f.lost_ms[2] = 600;
    assert_false(ce_cc_answer(&f.ce, &f.h, 2, 2));
    assert_true(f.h.win.cwnd < 51 && f.h.win.cwnd > 50); /* congestion avoidance */
    double w = f.h.win.cwnd;
    ce_cc_silence(&f.ce, &f.h);
    assert_true(f.h.win.cwnd == w);
    /* A lost try sent after the cut is a new episode: halved again (the
     * window in use, min(cwnd, 2 * flight), with 10 in flight: 11). */
    f.h.nbusy = 10;
    f.ce.inflight = 10;
    f.lost_ms[3] = (uint32_t)((clock_mono_us() + 1000 - f.h.t0_us) / 1000);
    ce_cc_answer(&f.ce, &f.h, 3, 2);
    assert_true(f.h.win.cwnd == 11);
    /* The floor: --min-parallelism. */
    assert_true(f.h.win.cwnd >= f.ce.cw_low);
    f.h.last_call = true;
    assert_int_equal(ce_cc_tries_allowed(&f.ce, &f.h), f.ce.max_tries);
}

/* Persistent loss (over 10 drops and 30% of the answers since the last
 * change) raises the scan delay: 0 -> 5 ms -> 10 ms ..., capped by
 * --max-scan-delay. Random loss below the ratio does not. */
static void test_cc_delay(void **state)
{
    (void)state;
    struct cc_fixture f;
    cc_setup(&f, 3, 4096);
    /* 20% loss: 12 drops among 60 answers: no change. */
    for (int i = 0; i < 60; i++) {
        f.lost_ms[0] = (uint32_t)((clock_mono_us() - f.h.t0_us) / 1000);
        ce_cc_answer(&f.ce, &f.h, 0, i % 5 == 0 ? 2 : 1);
    }
    assert_int_equal(f.h.delay_us, 0);
    /* Half of them lost: boosted. */
    f.h.good_since = f.h.drops_since = 0;
    for (int i = 0; i < 30; i++) {
        f.lost_ms[0] = (uint32_t)((clock_mono_us() + 1000 - f.h.t0_us) / 1000);
        ce_cc_answer(&f.ce, &f.h, 0, i % 2 ? 2 : 3);
    }
    assert_true(f.h.delay_us >= 5000);
    /* -T5: --max-scan-delay 5 ms caps it. */
    cc_setup(&f, 5, 4096);
    for (int i = 0; i < 200; i++) {
        f.lost_ms[0] = (uint32_t)((clock_mono_us() + 1000 - f.h.t0_us) / 1000);
        ce_cc_answer(&f.ce, &f.h, 0, 2);
    }
    assert_int_equal(f.h.delay_us, 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_closed),  cmocka_unit_test(test_range),
        cmocka_unit_test(test_hosts),        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_host_timeout), cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_rdns),         cmocka_unit_test(test_cc_windows),
        cmocka_unit_test(test_cc_loss),      cmocka_unit_test(test_cc_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
