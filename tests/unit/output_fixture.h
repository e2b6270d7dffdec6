/*
 * output_fixture.h — what the unit tests of single output modules share:
 * building host records by hand and rendering them through one module as
 * the output set would. Each test program includes it once.
 */
#ifndef PRTIP_TEST_OUTPUT_FIXTURE_H
#define PRTIP_TEST_OUTPUT_FIXTURE_H

#include "output/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Render hosts through module m as the output set would: open, then per
 * host host_begin, the ports not hidden (already in (proto, port) order),
 * host_end, then close. Returns the bytes written (malloc'd). */
static char *render(const struct output_module *m, const struct host_result *hosts, size_t n,
                    int verbose)
{
    struct scan_info info;
    memset(&info, 0, sizeof(info));
    info.verbose = verbose;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    struct output o = {.module = m, .info = &info, .fp = fp};
    assert_int_equal(m->open(&o), 0);
    for (size_t i = 0; i < n; i++) {
        const struct host_result *h = &hosts[i];
        unsigned hidden = result_hidden_states(h, verbose, false);
        assert_int_equal(m->host_begin(&o, h, hidden), 0);
        for (size_t j = 0; j < h->nports; j++)
            if (!(hidden & (1u << h->ports[j].state)))
                assert_int_equal(m->port(&o, h, &h->ports[j]), 0);
        assert_int_equal(m->host_end(&o, h, hidden), 0);
    }
    struct scan_summary sum = {.hosts_total = n};
    assert_int_equal(m->close(&o, &sum), 0);
    fclose(fp);
    return buf;
}

static void host(struct host_result *h, const char *addr, enum host_status st, enum reason r)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(addr, &a), 0);
    host_result_init(h, &a);
    h->status = st;
    h->status_reason = r;
    h->end.tv_sec = 1717000000;
}

static void port(struct host_result *h, uint16_t n, enum port_state st, enum reason r, uint8_t ttl,
                 const char *svc)
{
    struct port_result p = {.port = n,
                            .proto = PROTO_TCP,
                            .state = (uint8_t)st,
                            .reason = (uint8_t)r,
                            .reason_ttl = ttl,
                            .service = svc};
    assert_int_equal(host_result_add_port(h, &p), 0);
}

/* One OS match for h, as -O's verdict or as an --os-passive guess. */
static inline void os_top(struct host_result *h, const char *name, uint8_t acc, bool passive)
{
    h->os = calloc(1, sizeof(*h->os));
    h->os_report = calloc(1, sizeof(*h->os_report));
    assert_non_null(h->os);
    assert_non_null(h->os_report);
    h->os[0].name = strdup(name);
    h->os[0].accuracy = acc;
    h->nos = 1;
    h->os_report->verdict = passive ? OS_VERDICT_GUESSES : OS_VERDICT_DETAILS;
    h->os_report->passive = passive;
}

/* -sV's answer on the last port of h. */
static void service(struct host_result *h, const char *name, const char *product,
                    const char *version, const char *extrainfo, const char *cpe1, const char *cpe2)
{
    struct port_detail *d = port_result_detail(&h->ports[h->nports - 1]);
    assert_non_null(d);
    d->service = calloc(1, sizeof(*d->service));
    assert_non_null(d->service);
    struct service_result *s = d->service;
    s->name = strdup(name);
    s->product = product ? strdup(product) : NULL;
    s->version = version ? strdup(version) : NULL;
    s->extrainfo = extrainfo ? strdup(extrainfo) : NULL;
    s->method = SERVICE_METHOD_PROBED;
    s->conf = 10;
    s->cpe = calloc(2, sizeof(char *));
    if (cpe1)
        s->cpe[s->ncpe++] = strdup(cpe1);
    if (cpe2)
        s->cpe[s->ncpe++] = strdup(cpe2);
}

#endif
