/* test_progress.c — the progress meter's task records (core/progress.h):
 * begin/progress/open-port/end in order, nmap's remaining-time estimate,
 * the --stats-every schedule against an injected clock, and the XML and
 * terminal renderings of the records (output modules' task callback). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/progress.h"
#include "output/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL

struct capture {
    struct task_event ev[16];
    char task[16][64];
    size_t n;
};

static void on_task(void *ctx, const struct task_event *ev)
{
    struct capture *c = ctx;
    if (c->n < 16) {
        c->ev[c->n] = *ev;
        snprintf(c->task[c->n], sizeof(c->task[0]), "%s", ev->task);
        c->n++;
    }
}

static void test_meter_events(void **state)
{
    (void)state;
    struct capture c = {0};
    struct result_sink sink = {.task = on_task, .ctx = &c};
    struct progress p;
    progress_init(&p, &sink, 1000, false, 1, 0);
    progress_task_begin(&p, progress_task_name("syn"), 1, 300, "198.18.0.2", 0);
    progress_tick(&p, SEC / 2, 0.1, 0, 1, 1); /* not due yet */
    progress_tick(&p, SEC, 0.25, 0, 1, 1);    /* due: 1 s in, a quarter done */
    progress_tick(&p, SEC + SEC / 2, 0.5, 0, 1, 1);
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("198.18.0.2", &a), 0);
    progress_open_port(&p, &a, 22, PROTO_TCP);
    progress_task_end(&p, 2 * SEC);
    progress_task_end(&p, 3 * SEC); /* closed already: nothing */
    progress_free(&p);

    assert_int_equal(c.n, 4);
    assert_int_equal(c.ev[0].kind, TASK_BEGIN);
    assert_string_equal(c.task[0], "SYN Stealth Scan");
    assert_string_equal(c.ev[0].target, "198.18.0.2");
    assert_int_equal(c.ev[0].nports, 300);
    assert_int_equal(c.ev[1].kind, TASK_PROGRESS);
    assert_true(c.ev[1].percent > 24.99 && c.ev[1].percent < 25.01);
    /* nmap's estimate: 1 s for a quarter, so 3 s left. */
    assert_true(c.ev[1].remaining_s > 2.99 && c.ev[1].remaining_s < 3.01);
    assert_int_equal(c.ev[2].kind, TASK_OPEN_PORT);
    assert_int_equal(c.ev[2].port, 22);
    assert_int_equal(c.ev[3].kind, TASK_END);
    assert_true(c.ev[3].elapsed_s > 1.99 && c.ev[3].elapsed_s < 2.01);
    assert_string_equal(progress_task_name("connect"), "Connect Scan");
    assert_string_equal(progress_task_name("udp"), "UDP Scan");
}

static void test_normal_lines(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct output o = {.fp = fp};
    struct task_event ev = {.kind = TASK_PROGRESS,
                            .task = "UDP Scan",
                            .elapsed_s = 61,
                            .percent = 12.5,
                            .remaining_s = 8,
                            .hosts_up = 1,
                            .hosts_active = 1};
    assert_int_equal(normal_task(&o, &ev), 0);
    struct ipaddr a;
    ipaddr_parse("198.18.0.2", &a);
    ev = (struct task_event){
        .kind = TASK_OPEN_PORT, .verbose = 1, .addr = &a, .port = 53, .proto = PROTO_UDP};
    assert_int_equal(normal_task(&o, &ev), 0);
    ev.verbose = 0; /* without -v: nothing */
    assert_int_equal(normal_task(&o, &ev), 0);
    fclose(fp);
    assert_non_null(strstr(buf, "Stats: 0:01:01 elapsed; 0 hosts completed (1 up), 1 undergoing "
                                "UDP Scan\nUDP Scan Timing: About 12.50% done; ETC: "));
    assert_non_null(strstr(buf, " (0:00:08 remaining)\nDiscovered open port 53/udp on "
                                "198.18.0.2\n"));
    assert_null(strstr(strstr(buf, "Discovered") + 1, "Discovered"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meter_events),
        cmocka_unit_test(test_normal_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
