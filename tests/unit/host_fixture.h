/*
 * host_fixture.h — a host record with every kind of finding filled (-sV
 * answers, TLS facts, port and host scripts with structured output, OS
 * matches; host_every_field: every field of the records), shared by the
 * unit tests of the stream and of the store. Each test program includes it
 * once (after cmocka.h).
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

/* host_full plus every field the records gained after the store's schema
 * version 1: the MAC, -sV evidence (probe, match line, softmatch,
 * differs-from-nmap, fingerprint), every TLS fact, an ICMP error's source
 * (8080 filtered by a router), a softmatch with its fingerprint (9999) and
 * the -O report. Kept apart from host_full, whose renderings other tests
 * spell out (inline: no unused-function warning where it is not used). */
static inline void host_every_field(struct host_result *h)
{
    host_full(h);
    h->have_mac = true;
    memcpy(h->mac, "\x02\x42\xc6\x12\x00\x02", 6);
    /* The -O report below is a "guesses" verdict: no match is perfect
     * then (nmap prints a 100% match as "OS details"). */
    h->os[0].accuracy = 98;
    h->os[0].classes[0].accuracy = 98;

    struct service_result *ssh = h->ports[0].detail->service;
    ssh->probe = strdup("NULL");
    ssh->line = 1411;

    struct port_detail *d = h->ports[1].detail;
    d->service->probe = strdup("GetRequest");
    d->service->line = 9876;
    d->service->differs = strdup("found through a TLS 1.3 handshake after nmap's hellos got EOF");
    struct tls_info *t = d->tls;
    t->sni = strdup("lab-target");
    t->days_left = 41;
    t->serial = strdup("1A2B3C4D5E6F");
    t->sig_alg = strdup("ecdsa-with-SHA256");
    t->spki_sha256 = strdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    t->sha1 = strdup("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
    t->md5 = strdup("098f6bcd4621d373cade4e832627b4f6");
    t->self_signed = true;
    t->chain_len = 2;
    t->ja3s = strdup("eb1d94daa7e0344597e756a1fb6e7054");
    t->pem = strdup("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUGis=\n"
                    "-----END CERTIFICATE-----\n");

    struct port_result p8080 = {.port = 8080,
                                .proto = PROTO_TCP,
                                .state = PORT_FILTERED,
                                .reason = REASON_ADMIN_PROHIBITED,
                                .reason_ttl = 63,
                                .service = "http-proxy"};
    d = port_result_detail(&p8080);
    assert_non_null(d);
    d->have_reason_ip = true;
    assert_int_equal(ipaddr_parse("198.18.0.254", &d->reason_ip), 0);
    assert_int_equal(host_result_add_port(h, &p8080), 0);

    struct port_result p9999 = {.port = 9999,
                                .proto = PROTO_TCP,
                                .state = PORT_OPEN,
                                .reason = REASON_SYN_ACK,
                                .reason_ttl = 64,
                                .service = "abyss"};
    d = port_result_detail(&p9999);
    assert_non_null(d);
    d->service = calloc(1, sizeof(*d->service));
    assert_non_null(d->service);
    *d->service = (struct service_result){
        .name = strdup("http"),
        .method = SERVICE_METHOD_PROBED,
        .conf = 10,
        .probe = strdup("GetRequest"),
        .line = 2210,
        .soft = true,
        .fingerprint = strdup("SF-Port9999-TCP:V=7.93%I=7%D=12/6%Time=6753A1B0%P=x86_64-pc-linux-"
                              "gnu%r(GetRequest,13,\"HTTP/1\\.0\\x20200\\x20OK\\r\\n\\r\\n\");"),
    };
    assert_int_equal(host_result_add_port(h, &p9999), 0);

    h->os_report = calloc(1, sizeof(*h->os_report));
    assert_non_null(h->os_report);
    *h->os_report = (struct os_report){
        .verdict = OS_VERDICT_GUESSES,
        .unreliable = true,
        .show_guesses = true,
        .not_ideal = strdup("Missing a closed TCP port so results incomplete"),
        .device_types = strdup("general purpose"),
        .running = strdup("Linux 5.X"),
        .os_cpe = strdup("cpe:/o:linux:linux_kernel:5"),
        .running_guess = true,
        .open_tcp = 22,
        .closed_tcp = 80,
        .closed_udp = -1,
        .distance = 1,
        .lastboot = 1795209120,
        .uptime_s = 86400,
        .seq_index = 262,
        .seq_values = strdup("2A1B3C4D,2A1B3C99,2A1B3D10"),
        .seq_difficulty = "Good luck!",
        .ipid_class = strdup("All zeros"),
        .ipid_values = strdup("0,0,0"),
        .ts_class = strdup("1000HZ"),
        .ts_values = strdup("5B2C1A,5B2C80,5B2CE4"),
        .note = strdup("a note for the OS section"),
    };
}

#endif
