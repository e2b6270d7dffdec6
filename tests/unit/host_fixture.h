/*
 * host_fixture.h — a host record with every kind of finding filled (-sV
 * answers, TLS facts, port and host scripts with structured output, OS
 * matches), shared by the unit tests of the stream and of the store. Each
 * test program includes it once (after cmocka.h).
 */
#ifndef PRTIP_TEST_HOST_FIXTURE_H
#define PRTIP_TEST_HOST_FIXTURE_H

#include "core/result.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char **strv(size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    char **v = calloc(n, sizeof(*v));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = strdup(va_arg(ap, const char *));
    va_end(ap);
    return v;
}

static struct script_output script(const char *id, const char *text)
{
    struct script_output s = {.id = strdup(id), .output = strdup(text)};
    /* <elem key="title">Welcome</elem><table key="paths"><elem>/</elem></table> */
    s.nelems = 2;
    s.elems = calloc(2, sizeof(*s.elems));
    assert_non_null(s.elems);
    s.elems[0] = (struct script_elem){.key = strdup("title"), .value = strdup("Welcome")};
    s.elems[1].key = strdup("paths");
    s.elems[1].nchildren = 2;
    s.elems[1].children = calloc(2, sizeof(struct script_elem));
    assert_non_null(s.elems[1].children);
    s.elems[1].children[0].value = strdup("/");
    s.elems[1].children[1].value = strdup("/index.html");
    return s;
}

/* 198.18.0.2 with 22 (ssh, -sV match), 443 (https over TLS with a
 * certificate and a port script), 80 closed; one OS match and a host
 * script: every typed place of the stream filled. */
static void host_full(struct host_result *h)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("198.18.0.2", &a), 0);
    host_result_init(h, &a);
    h->hostname = "lab-target";
    h->other_addrs = "fd00::2";
    h->rdns = strdup("lab-target.example");
    h->status = HOST_UP;
    h->status_reason = REASON_SYN_ACK;
    h->status_ttl = 64;
    h->srtt_us = 200;
    h->rttvar_us = 50;
    h->timeout_us = 100000;
    h->start.tv_sec = h->end.tv_sec = 1795295520;

    struct port_result p22 = {.port = 22,
                              .proto = PROTO_TCP,
                              .state = PORT_OPEN,
                              .reason = REASON_SYN_ACK,
                              .reason_ttl = 64,
                              .service = "ssh"};
    struct port_detail *d = port_result_detail(&p22);
    assert_non_null(d);
    d->service = calloc(1, sizeof(*d->service));
    assert_non_null(d->service);
    *d->service = (struct service_result){
        .name = strdup("ssh"),
        .product = strdup("OpenSSH"),
        .version = strdup("9.2p1 Debian 2+deb12u3"),
        .extrainfo = strdup("protocol 2.0"),
        .ostype = strdup("Linux"),
        .cpe = strv(2, "cpe:/a:openbsd:openssh:9.2p1", "cpe:/o:linux:linux_kernel"),
        .ncpe = 2,
        .method = SERVICE_METHOD_PROBED,
        .conf = 10,
    };
    assert_int_equal(host_result_add_port(h, &p22), 0);

    struct port_result p443 = {.port = 443,
                               .proto = PROTO_TCP,
                               .state = PORT_OPEN,
                               .reason = REASON_SYN_ACK,
                               .reason_ttl = 64,
                               .service = "https"};
    d = port_result_detail(&p443);
    assert_non_null(d);
    d->service = calloc(1, sizeof(*d->service));
    d->tls = calloc(1, sizeof(*d->tls));
    assert_true(d->service && d->tls);
    *d->service = (struct service_result){.name = strdup("http"),
                                          .product = strdup("nginx"),
                                          .version = strdup("1.22.1"),
                                          .cpe = strv(1, "cpe:/a:igor_sysoev:nginx:1.22.1"),
                                          .ncpe = 1,
                                          .method = SERVICE_METHOD_PROBED,
                                          .conf = 10,
                                          .tunnel_ssl = true};
    *d->tls = (struct tls_info){
        .protocol = strdup("TLSv1.3"),
        .cipher = strdup("TLS_AES_256_GCM_SHA384"),
        .alpn = strdup("http/1.1"),
        .subject = strdup("CN=lab-target"),
        .issuer = strdup("CN=lab-ca"),
        .san = strv(2, "DNS:lab-target", "IP Address:198.18.0.2"),
        .nsan = 2,
        .not_before = 1767225600,
        .not_after = 1798761600,
        .sha256 = strdup("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"),
        .key_type = strdup("ec"),
        .key_bits = 256,
    };
    d->nscripts = 1;
    d->scripts = calloc(1, sizeof(*d->scripts));
    assert_non_null(d->scripts);
    d->scripts[0] = script("http-title", "Welcome & <hello>\nsecond line");
    assert_int_equal(host_result_add_port(h, &p443), 0);

    struct port_result p80 = {.port = 80,
                              .proto = PROTO_TCP,
                              .state = PORT_CLOSED,
                              .reason = REASON_RESET,
                              .service = "http"};
    assert_int_equal(host_result_add_port(h, &p80), 0);

    h->nos = 2;
    h->os = calloc(2, sizeof(*h->os));
    assert_non_null(h->os);
    h->os[0] = (struct os_match){
        .name = strdup("Linux 5.0 - 5.14"), .accuracy = 100, .line = 67812, .nclasses = 1};
    h->os[0].classes = calloc(1, sizeof(struct os_class));
    assert_non_null(h->os[0].classes);
    h->os[0].classes[0] = (struct os_class){.type = strdup("general purpose"),
                                            .vendor = strdup("Linux"),
                                            .osfamily = strdup("Linux"),
                                            .osgen = strdup("5.X"),
                                            .accuracy = 100,
                                            .cpe = strv(1, "cpe:/o:linux:linux_kernel:5"),
                                            .ncpe = 1};
    h->os[1] = (struct os_match){.name = strdup("Linux 4.15"), .accuracy = 95, .line = 67000};
    h->os_fingerprint = strdup("OS:SCAN(V=7.93%E=4)");
    h->nscripts = 1;
    h->scripts = calloc(1, sizeof(*h->scripts));
    assert_non_null(h->scripts);
    h->scripts[0] = script("clock-skew", "0s");
}

#endif
