/* test_resume_file.c — the resume file (output/resume.h), format 2: a
 * position and partial hosts written on an interruption read back as
 * written; a format-1 file and broken position lines are refused with
 * the reason; without an engine that takes partial hosts they are left
 * out. */
#include "output/resume.h"
#include "core/services.h"
#include "output/resume_internal.h"

#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[] = "/tmp/prtip-test-resume-XXXXXX";

static void host(struct host_result *h, const char *a, uint16_t port, uint8_t state)
{
    struct ipaddr addr;
    assert_int_equal(ipaddr_parse(a, &addr), 0);
    host_result_init(h, &addr);
    h->status = HOST_UP;
    h->status_reason = REASON_USER_SET;
    struct port_result p = {.port = port, .proto = PROTO_TCP, .state = state, .reason = 1};
    assert_int_equal(host_result_add_port(h, &p), 0);
}

/* Record a complete host and a partial one through the recorder sink. */
static void record(struct resume_rec *rec)
{
    struct result_sink s = resume_rec_sink(rec, (struct result_sink){0}, false, false, NULL, NULL);
    struct host_result whole, part;
    host(&whole, "198.18.0.1", 22, PORT_OPEN);
    host(&part, "198.18.0.2", 80, PORT_CLOSED);
    part.interrupted = true;
    part.ports_unscanned = 1;
    s.host(s.ctx, &whole);
    s.host(s.ctx, &part);
    host_result_free(&whole);
    host_result_free(&part);
}

static void write_file(const char *path, const struct scan_pos *pos, bool parts)
{
    struct resume_rec rec;
    record(&rec);
    char *args[] = {"-sS", "-Pn", "198.18.0.0/30"};
    char used[512], err[512];
    assert_int_equal(resume_write(path, NULL, 0, args, 3, 42, 0, 1, pos, parts, &rec, used,
                                  sizeof used, err, sizeof err),
                     0);
    resume_rec_free(&rec);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/a.resume", dir);
    struct scan_pos pos = {
        .valid = true, .pass = 1, .group = 3, .pending = 7, .nsenders = 2, .pos = {100, 99}};
    write_file(path, &pos, true);
    struct resume_state rs;
    char err[512];
    assert_int_equal(resume_load(path, &rs, err, sizeof err), 0);
    assert_true(rs.pos.valid);
    assert_int_equal(rs.pos.pass, 1);
    assert_int_equal(rs.pos.group, 3);
    assert_int_equal(rs.pos.pending, 7);
    assert_int_equal(rs.pos.nsenders, 2);
    assert_int_equal(rs.pos.pos[0], 100);
    assert_int_equal(rs.pos.pos[1], 99);
    assert_int_equal(rs.seed, 42);
    assert_int_equal(rs.nhosts, 1);
    assert_int_equal(rs.hosts[0].ports[0].port, 22);
    assert_int_equal(rs.npartial, 1);
    assert_int_equal(rs.partial[0].nports, 1);
    assert_int_equal(rs.partial[0].ports[0].port, 80);
    assert_int_equal(rs.partial[0].ports[0].state, PORT_CLOSED);
    resume_free(&rs);
}

static void test_no_position(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/b.resume", dir);
    write_file(path, NULL, false); /* no engine took partial hosts */
    struct resume_state rs;
    char err[512];
    assert_int_equal(resume_load(path, &rs, err, sizeof err), 0);
    assert_false(rs.pos.valid);
    assert_int_equal(rs.nhosts, 1);
    assert_int_equal(rs.npartial, 0); /* scanned again whole */
    resume_free(&rs);
}

/* Replace line `from` of path (its prefix) with `to`; returns the new path. */
static void edit(const char *path, const char *out, const char *from, const char *to)
{
    FILE *f = fopen(path, "r"), *g = fopen(out, "w");
    assert_non_null(f);
    assert_non_null(g);
    char line[4096];
    while (fgets(line, sizeof line, f))
        fputs(strncmp(line, from, strlen(from)) == 0 ? to : line, g);
    fclose(f);
    fclose(g);
}

static void test_refusals(void **state)
{
    (void)state;
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/c.resume", dir);
    snprintf(bad, sizeof bad, "%s/bad.resume", dir);
    struct scan_pos pos = {.valid = true, .pass = 0, .nsenders = 1, .pos = {5}};
    write_file(path, &pos, true);
    struct resume_state rs;
    char err[512];
    edit(path, bad, "prtip-resume 2", "prtip-resume 1\n");
    assert_int_equal(resume_load(bad, &rs, err, sizeof err), -1);
    assert_non_null(strstr(err, "format 1"));
    static const char *const broken[] = {
        "position pass 0 group 0 pending 0 senders 2 5\n",   /* one index short */
        "position pass 0 group 0 pending 0 senders 1 5 6\n", /* one too many */
        "position pass 0 group 0 pending 0 senders 0\n",     /* no sender */
        "position pass 0 group 0 pending 0 senders 17 1\n",  /* too many senders */
        "position pass 999 group 0 pending 0 senders 1 5\n", /* no such pass */
        "position pass 0 group 0 pending 0 senders 1 -5\n",  /* negative */
        "position pass 0 group 0 pending 0 senders 1 5x\n",  /* trailing text */
        "position pass 0 group 0 pending 0 senders 1 99999999999999999999999\n", /* range */
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        edit(path, bad, "position ", broken[i]);
        assert_int_equal(resume_load(bad, &rs, err, sizeof err), -1);
        assert_non_null(strstr(err, "bad position line"));
    }
}

/* -sV/-O: a host out of them before the stop is complete, with their
 * answers; one that comes after the stop is partial (its ports only). */
static void test_service(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/sv.resume", dir);
    volatile sig_atomic_t stop = 0;
    struct resume_rec rec;
    struct result_sink sk = resume_rec_sink(&rec, (struct result_sink){0}, true, true, &stop, NULL);
    struct host_result h;
    host(&h, "198.18.0.1", 22, PORT_OPEN);
    struct port_detail *d = port_result_detail(&h.ports[0]);
    assert_non_null(d);
    d->service = calloc(1, sizeof *d->service);
    assert_non_null(d->service);
    struct service_result *sv = d->service;
    sv->name = strdup("ssh");
    sv->product = strdup("OpenSSH");
    sv->version = strdup("9.2p1 Debian 2");
    sv->cpe = calloc(1, sizeof *sv->cpe);
    sv->cpe[0] = strdup("cpe:/a:openbsd:openssh:9.2p1");
    sv->ncpe = 1;
    sv->method = SERVICE_METHOD_PROBED;
    sv->conf = 10;
    sv->line = 1234;
    /* -O's findings too. */
    h.os = calloc(1, sizeof *h.os);
    assert_non_null(h.os);
    h.nos = 1;
    h.os[0].name = strdup("Linux 5.0 - 5.14");
    h.os[0].accuracy = 100;
    h.os[0].line = 4242;
    h.os[0].classes = calloc(1, sizeof *h.os[0].classes);
    h.os[0].nclasses = 1;
    h.os[0].classes[0].vendor = strdup("Linux");
    h.os[0].classes[0].osfamily = strdup("Linux");
    h.os[0].classes[0].type = strdup("general purpose");
    h.os[0].classes[0].accuracy = 100;
    h.os_fingerprint = strdup("OS:SCAN(V=7.93)");
    h.os_report = calloc(1, sizeof *h.os_report);
    h.os_report->verdict = OS_VERDICT_DETAILS;
    h.os_report->running = strdup("Linux 5.X");
    h.os_report->distance = 1;
    sk.host(sk.ctx, &h);
    stop = 2; /* the next host came after the stop */
    struct ipaddr a2;
    assert_int_equal(ipaddr_parse("198.18.0.2", &a2), 0);
    h.addr = a2;
    sk.host(sk.ctx, &h);
    host_result_free(&h);
    char *args[] = {"-sS", "-sV", "-Pn", "198.18.0.0/30"};
    struct scan_pos pos = {.valid = true, .pass = SCAN_POS_DONE, .nsenders = 1};
    char used[512], err[512];
    assert_int_equal(resume_write(path, NULL, 0, args, 4, 1, 0, 1, &pos, true, &rec, used,
                                  sizeof used, err, sizeof err),
                     0);
    resume_rec_free(&rec);
    struct resume_state rs;
    assert_int_equal(resume_load(path, &rs, err, sizeof err), 0);
    assert_int_equal(rs.pos.pass, SCAN_POS_DONE);
    assert_int_equal(rs.nhosts, 1);
    assert_int_equal(rs.npartial, 1);
    const struct service_result *r = rs.hosts[0].ports[0].detail->service;
    assert_non_null(r);
    assert_string_equal(r->name, "ssh");
    assert_string_equal(r->product, "OpenSSH");
    assert_string_equal(r->version, "9.2p1 Debian 2");
    assert_null(r->extrainfo);
    assert_int_equal(r->ncpe, 1);
    assert_string_equal(r->cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    assert_int_equal(r->method, SERVICE_METHOD_PROBED);
    assert_int_equal(r->conf, 10);
    assert_int_equal(r->line, 1234);
    const struct host_result *w = &rs.hosts[0];
    assert_int_equal(w->nos, 1);
    assert_string_equal(w->os[0].name, "Linux 5.0 - 5.14");
    assert_int_equal(w->os[0].accuracy, 100);
    assert_int_equal(w->os[0].line, 4242);
    assert_int_equal(w->os[0].nclasses, 1);
    assert_string_equal(w->os[0].classes[0].type, "general purpose");
    assert_string_equal(w->os_fingerprint, "OS:SCAN(V=7.93)");
    assert_non_null(w->os_report);
    assert_int_equal(w->os_report->verdict, OS_VERDICT_DETAILS);
    assert_string_equal(w->os_report->running, "Linux 5.X");
    assert_int_equal(w->os_report->distance, 1);
    resume_free(&rs);
}

/* Hosts whose ports carry only state, reason, TTL and their nmap-services
 * name are recorded as runs of ports: the file must hold exactly the line
 * the whole record makes, for every shape of run (split by state, by TTL,
 * by protocol, by a gap, by a detail on one port, 65,536 ports). */
static void test_runs(void **state)
{
    (void)state;
    char err[512];
    static const char svc_text[] = "ssh\t22/tcp\t0.18\nhttp\t80/tcp\t0.48\n"
                                   "domain\t53/udp\t0.21\n";
    struct services *svc = services_parse(svc_text, sizeof svc_text - 1, "test", err, sizeof err);
    assert_non_null(svc);
    struct resume_rec rec;
    struct result_sink sk = resume_rec_sink(&rec, (struct result_sink){0}, false, false, NULL, svc);
    enum { NHOSTS = 3 };
    struct host_result hs[NHOSTS];
    char *want[NHOSTS];
    for (int k = 0; k < NHOSTS; k++) {
        struct ipaddr a;
        char text[32];
        snprintf(text, sizeof text, "198.18.0.%d", k + 1);
        assert_int_equal(ipaddr_parse(text, &a), 0);
        host_result_init(&hs[k], &a);
        hs[k].status = HOST_UP;
        hs[k].status_reason = REASON_SYN_ACK;
        uint32_t last = k == 2 ? 65535 : 3000;
        for (uint32_t port = k == 2 ? 0 : 1; port <= last; port++) {
            struct port_result p = {.port = (uint16_t)port,
                                    .proto = PROTO_TCP,
                                    .state = PORT_CLOSED,
                                    .reason = REASON_RESET,
                                    .reason_ttl = 64};
            if (k < 2 && port == 22)
                p.state = PORT_OPEN, p.reason = REASON_SYN_ACK;
            if (k < 2 && port >= 400 && port < 410)
                p.reason_ttl = 63;
            if (k < 2 && port == 1000)
                continue; /* a gap */
            p.service = services_name(svc, p.port, IPPROTO_TCP);
            assert_int_equal(host_result_add_port(&hs[k], &p), 0);
        }
        if (k < 2) {
            struct port_result u = {.port = 53,
                                    .proto = PROTO_UDP,
                                    .state = PORT_OPEN_FILTERED,
                                    .reason = REASON_NO_RESPONSE,
                                    .service = services_name(svc, 53, IPPROTO_UDP)};
            assert_int_equal(host_result_add_port(&hs[k], &u), 0);
        }
        if (k == 1) /* a port with more than its state: a whole copy */
            assert_non_null(port_result_detail(&hs[k].ports[5]));
        want[k] = resume_host_to_json(&hs[k]);
        assert_non_null(want[k]);
        sk.host(sk.ctx, &hs[k]);
        host_result_free(&hs[k]);
    }
    assert_non_null(rec.lines[0].runs);
    assert_true(rec.lines[0].nruns <= 8);
    assert_null(rec.lines[1].runs);
    assert_non_null(rec.lines[2].runs);
    assert_int_equal(rec.lines[2].nruns, 2); /* 65,536 ports: a run holds 65,535 */
    char path[600];
    snprintf(path, sizeof path, "%s/runs.resume", dir);
    char *args[] = {"-sS", "-Pn", "-p-", "198.18.0.0/30"};
    char used[512];
    assert_int_equal(resume_write(path, NULL, 0, args, 4, 1, 0, 1, NULL, false, &rec, used,
                                  sizeof used, err, sizeof err),
                     0);
    resume_rec_free(&rec);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    int k = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, "host ", 5) != 0)
            continue;
        assert_true(k < NHOSTS);
        line[strcspn(line, "\n")] = '\0';
        assert_string_equal(line + 5, want[k]);
        free(want[k++]);
    }
    assert_int_equal(k, NHOSTS);
    free(line);
    fclose(f);
    services_free(svc);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_no_position),
        cmocka_unit_test(test_refusals),   cmocka_unit_test(test_service),
        cmocka_unit_test(test_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
