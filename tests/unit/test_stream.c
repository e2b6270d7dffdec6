/*
 * Tests for the result stream (core/stream.h, core/result.h): deep copy and
 * free of a host record carrying every kind of finding, the begin record's
 * copy, and every output module rendering those findings (XML validated
 * against nmap.dtd, JSON parsed, normal and greppable compared as text).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/stream.h"
#include "output/output.h"

#include <fcntl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

#include "host_fixture.h"

static void test_copy_and_free(void **state)
{
    (void)state;
    struct host_result h, c;
    host_full(&h);
    h.interrupted = true;
    h.ports_unscanned = 997; /* a partial host stays partial in a copy */
    assert_int_equal(host_result_copy(&c, &h), 0);
    assert_true(c.interrupted);
    assert_int_equal(c.ports_unscanned, 997);

    /* Independent: every owned pointer differs, every value is equal. */
    assert_true(c.owns_names);
    assert_ptr_not_equal(c.hostname, h.hostname);
    assert_string_equal(c.hostname, "lab-target");
    assert_string_equal(c.other_addrs, "fd00::2");
    assert_ptr_not_equal(c.rdns, h.rdns);
    assert_int_equal(c.nports, 3);
    assert_ptr_not_equal(c.ports, h.ports);
    const struct port_detail *d = c.ports[1].detail;
    assert_non_null(d);
    assert_ptr_not_equal(d, h.ports[1].detail);
    assert_string_equal(d->service->product, "nginx");
    assert_true(d->service->tunnel_ssl);
    assert_int_equal(d->tls->nsan, 2);
    assert_string_equal(d->tls->san[1], "IP Address:198.18.0.2");
    assert_int_equal(d->tls->not_after, 1798761600);
    assert_string_equal(d->scripts[0].elems[1].children[1].value, "/index.html");
    assert_null(c.ports[2].detail);
    assert_int_equal(c.nos, 2);
    assert_string_equal(c.os[0].classes[0].cpe[0], "cpe:/o:linux:linux_kernel:5");
    assert_int_equal(c.os[0].line, 67812);
    assert_string_equal(c.scripts[0].id, "clock-skew");

    /* Freeing the original leaves the copy whole (ASan would see a
     * use-after-free otherwise). */
    host_result_free(&h);
    assert_string_equal(c.ports[0].detail->service->cpe[0], "cpe:/a:openbsd:openssh:9.2p1");
    struct host_result c2;
    assert_int_equal(host_result_copy(&c2, &c), 0);
    host_result_free(&c);
    host_result_free(&c); /* twice is harmless */
    assert_string_equal(c2.os_fingerprint, "OS:SCAN(V=7.93%E=4)");
    host_result_free(&c2);
}

static void test_scan_info_copy(void **state)
{
    (void)state;
    struct scan_info a, b;
    assert_int_equal(scan_info_init(&a), 0);
    a.args = strdup("prtip -sS -sU -p T:22,U:53 198.18.0.2");
    a.ntypes = 2;
    a.types[0] = (struct scan_info_type){
        .type = "syn", .proto = PROTO_TCP, .nservices = 1, .services = strdup("22")};
    a.types[1] = (struct scan_info_type){
        .type = "udp", .proto = PROTO_UDP, .nservices = 1, .services = strdup("53")};
    assert_int_equal(scan_info_copy(&b, &a), 0);
    scan_info_free(&a);
    assert_string_equal(b.scanner, "prtip");
    assert_string_equal(b.args, "prtip -sS -sU -p T:22,U:53 198.18.0.2");
    assert_string_equal(scan_info_proto(&b, PROTO_UDP)->services, "53");
    assert_null(scan_info_proto(&b, PROTO_SCTP));
    scan_info_free(&b);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* Render h through -oN/-oG/-oX/-oJ files from a begin record built by hand
 * (no configuration anywhere), stdout's report sent to a file too. */
static void render_all(const struct host_result *h, char paths[4][128])
{
    static const char *const opts[4] = {"-oN", "-oG", "-oX", "-oJ"};
    struct output_request req[4] = {0};
    for (int i = 0; i < 4; i++) {
        snprintf(paths[i], 128, "%s/out%d", tmpdir, i);
        req[i].module = output_module_find(opts[i]);
        req[i].path = paths[i];
        assert_non_null(req[i].module);
    }
    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    info.args = strdup("prtip -sS -sV -O --script default -p 22,80,443 198.18.0.2");
    info.start.tv_sec = 1795295520;
    info.version_scan = true;
    info.ntypes = 1;
    info.types[0] = (struct scan_info_type){
        .type = "syn", .proto = PROTO_TCP, .nservices = 3, .services = strdup("22,80,443")};

    char cap[128];
    snprintf(cap, sizeof(cap), "%s/stdout", tmpdir);
    fflush(stdout);
    int saved = dup(1), fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    struct output_set set;
    char err[256];
    assert_int_equal(output_set_open(&set, req, 4, err, sizeof(err)), 0);
    struct result_sink sink = output_set_sink(&set);
    assert_int_equal(sink_begin(&sink, &info), 0);
    scan_info_free(&info);
    sink_host(&sink, h);
    struct scan_summary sum = {.hosts_total = 1, .hosts_up = 1, .elapsed_s = 0.5};
    sum.end.tv_sec = 1795295521;
    assert_int_equal(sink_end(&sink, &sum), 0);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
}

static void test_render_findings(void **state)
{
    (void)state;
    struct host_result h;
    host_full(&h);
    char paths[4][128];
    render_all(&h, paths);
    host_result_free(&h);

    char *normal = slurp(paths[0]);
    assert_non_null(strstr(normal, "PORT    STATE  SERVICE  VERSION\n"
                                   "22/tcp  open   ssh      OpenSSH 9.2p1 Debian 2+deb12u3 "
                                   "(protocol 2.0)\n"
                                   "80/tcp  closed http\n"
                                   "443/tcp open   ssl/http nginx 1.22.1\n"
                                   "| http-title: Welcome & <hello>\n"
                                   "|_second line\n"
                                   "| tls-info: TLSv1.3 TLS_AES_256_GCM_SHA384\n"
                                   "| ALPN: http/1.1\n"
                                   "| Certificate: ec, 0 days left, 0 in chain\n"));
    assert_non_null(strstr(normal, "|_SHA-256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11"
                                   "ef721d1542d8\n"));
    assert_non_null(strstr(normal, "Device type: general purpose\n"
                                   "Running: Linux 5.X\n"
                                   "OS CPE: cpe:/o:linux:linux_kernel:5\n"
                                   "OS details: Linux 5.0 - 5.14\n"
                                   "Service Info: OS: Linux; CPE: cpe:/o:linux:linux_kernel\n"
                                   "\nHost script results:\n|_clock-skew: 0s\n"));
    free(normal);

    char *grep = slurp(paths[1]);
    assert_non_null(strstr(grep, "Ports: 22/open/tcp//ssh//OpenSSH 9.2p1 Debian 2+deb12u3 "
                                 "(protocol 2.0)/, 80/closed/tcp//http///, "
                                 "443/open/tcp//ssl|http//nginx 1.22.1/\tOS: Linux 5.0 - 5.14\n"));
    free(grep);

    /* XML: valid against nmap's own DTD, with the findings in place. */
    xmlDocPtr doc = xmlReadFile(paths[2], NULL, 0);
    assert_non_null(doc);
    xmlDtdPtr dtd = xmlParseDTD(NULL, BAD_CAST "/usr/share/nmap/nmap.dtd");
    if (dtd) { /* nmap-common installed (make deps) */
        xmlValidCtxtPtr vctx = xmlNewValidCtxt();
        assert_int_equal(xmlValidateDtd(vctx, doc, dtd), 1);
        xmlFreeValidCtxt(vctx);
        xmlFreeDtd(dtd);
    }
    xmlFreeDoc(doc);
    char *xml = slurp(paths[2]);
    assert_non_null(strstr(xml, "<service name=\"ssh\" product=\"OpenSSH\" "
                                "version=\"9.2p1 Debian 2+deb12u3\" extrainfo=\"protocol 2.0\" "
                                "ostype=\"Linux\" method=\"probed\" conf=\"10\">"
                                "<cpe>cpe:/a:openbsd:openssh:9.2p1</cpe>"));
    assert_non_null(strstr(xml, "tunnel=\"ssl\" method=\"probed\" conf=\"10\">"));
    assert_non_null(strstr(xml, "<script id=\"http-title\" output=\"Welcome &amp; &lt;hello&gt;"
                                "&#10;second line\"><elem key=\"title\">Welcome</elem>"
                                "<table key=\"paths\"><elem>/</elem><elem>/index.html</elem>"
                                "</table></script>"));
    assert_non_null(strstr(xml, "<table key=\"san\"><elem>DNS:lab-target</elem>"));
    assert_non_null(strstr(xml, "<osmatch name=\"Linux 5.0 - 5.14\" accuracy=\"100\" "
                                "line=\"67812\">\n<osclass type=\"general purpose\" "
                                "vendor=\"Linux\" osfamily=\"Linux\" osgen=\"5.X\" "
                                "accuracy=\"100\"><cpe>cpe:/o:linux:linux_kernel:5</cpe>"
                                "</osclass>"));
    assert_non_null(strstr(xml, "<hostscript><script id=\"clock-skew\" output=\"0s\">"));
    free(xml);

    json_error_t jerr;
    json_t *root = json_load_file(paths[3], 0, &jerr);
    assert_non_null(root);
    json_t *host = json_array_get(json_object_get(root, "hosts"), 0);
    json_t *ports = json_object_get(host, "ports");
    assert_int_equal(json_array_size(ports), 3);
    json_t *p443 = json_array_get(ports, 2);
    json_t *svc = json_object_get(p443, "service_detail");
    assert_string_equal(json_string_value(json_object_get(svc, "product")), "nginx");
    assert_string_equal(json_string_value(json_object_get(svc, "tunnel")), "ssl");
    json_t *tls = json_object_get(p443, "tls");
    assert_int_equal(json_integer_value(json_object_get(tls, "key_bits")), 256);
    assert_string_equal(json_string_value(json_array_get(json_object_get(tls, "san"), 0)),
                        "DNS:lab-target");
    json_t *el = json_object_get(json_array_get(json_object_get(p443, "scripts"), 0), "elements");
    assert_string_equal(json_string_value(json_object_get(el, "title")), "Welcome");
    assert_int_equal(json_array_size(json_object_get(el, "paths")), 2);
    json_t *os0 = json_array_get(json_object_get(json_object_get(host, "os"), "matches"), 0);
    assert_int_equal(json_integer_value(json_object_get(os0, "accuracy")), 100);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(host, "hostscripts"), 0), "id")),
                        "clock-skew");
    json_decref(root);
}

/* -- stages compose ---------------------------------------------------- */

/* What reached the end of the chain, in order: 'b'egin, 'h'ost, 'e'nd. */
struct trace {
    char ev[16];
    size_t n;
    struct host_result hosts[4];
    size_t nhosts;
    bool version_scan;
};

static int trace_begin(void *ctx, const struct scan_info *info)
{
    struct trace *t = ctx;
    t->ev[t->n++] = 'b';
    t->version_scan = info->version_scan;
    return 0;
}

static void trace_host(void *ctx, const struct host_result *h)
{
    struct trace *t = ctx;
    t->ev[t->n++] = 'h';
    assert_int_equal(host_result_copy(&t->hosts[t->nhosts++], h), 0);
}

static int trace_end(void *ctx, const struct scan_summary *sum)
{
    (void)sum;
    struct trace *t = ctx;
    t->ev[t->n++] = 'e';
    return 0;
}

/* A stage as -sV will be: it holds every host until end (as a stage that
 * works on hosts in parallel would), names port 22's service, and says in
 * the begin record that versions were probed. */
struct holder {
    struct host_result held[4];
    size_t n;
};

static int holder_begin(void *st, const struct scan_info *info, const struct result_sink *next)
{
    (void)st;
    struct scan_info copy;
    assert_int_equal(scan_info_copy(&copy, info), 0);
    copy.version_scan = true;
    int rc = sink_begin(next, &copy);
    scan_info_free(&copy);
    return rc;
}

static void holder_host(void *st, const struct host_result *h, const struct result_sink *next)
{
    (void)next;
    struct holder *s = st;
    assert_int_equal(host_result_copy(&s->held[s->n], h), 0);
    for (size_t i = 0; i < s->held[s->n].nports; i++) {
        struct port_result *p = &s->held[s->n].ports[i];
        if (p->port != 22)
            continue;
        struct port_detail *d = port_result_detail(p);
        assert_non_null(d);
        service_result_free(d->service); /* replaced by the stage's finding */
        free(d->service);
        d->service = calloc(1, sizeof(*d->service));
        d->service->name = strdup("ssh");
        d->service->product = strdup("from the stage");
        d->service->method = SERVICE_METHOD_PROBED;
        d->service->conf = 10;
    }
    s->n++;
}

static int holder_end(void *st, const struct scan_summary *sum, const struct result_sink *next)
{
    struct holder *s = st;
    for (size_t i = 0; i < s->n; i++) { /* every held host before end */
        sink_host(next, &s->held[i]);
        host_result_free(&s->held[i]);
    }
    s->n = 0;
    return sink_end(next, sum);
}

static const struct stage_ops holder_ops = {
    .name = "holder", .begin = holder_begin, .host = holder_host, .end = holder_end};

static void test_stages_compose(void **state)
{
    (void)state;
    struct trace t = {0};
    struct result_sink out = {
        .begin = trace_begin, .host = trace_host, .end = trace_end, .ctx = &t};
    struct holder hs = {0};
    /* port scan -> pass-through stage -> holder -> outputs */
    struct stage holder = {.ops = &holder_ops, .state = &hs, .next = out};
    struct stage pass = {.ops = NULL, .next = stage_sink(&holder)};
    struct result_sink head = stage_sink(&pass);

    struct scan_info info;
    assert_int_equal(scan_info_init(&info), 0);
    assert_int_equal(sink_begin(&head, &info), 0);
    struct host_result a, b;
    host_full(&a);
    host_full(&b);
    sink_host(&head, &a);
    sink_host(&head, &b);
    host_result_free(&a);
    host_result_free(&b);
    /* Held: nothing has reached the outputs but begin. */
    assert_int_equal(t.n, 1);
    struct scan_summary sum = {.hosts_total = 2, .hosts_up = 2};
    assert_int_equal(sink_end(&head, &sum), 0);
    scan_info_free(&info);

    assert_memory_equal(t.ev, "bhhe", 4);
    assert_true(t.version_scan);
    assert_int_equal(t.nhosts, 2);
    assert_string_equal(t.hosts[0].ports[0].detail->service->product, "from the stage");
    assert_int_equal(t.hosts[0].ports[0].detail->service->conf, 10);
    for (size_t i = 0; i < t.nhosts; i++)
        host_result_free(&t.hosts[i]);
}

/* The order of hosts reaching a sink, by their order field. */
struct seen {
    uint64_t order[16];
    bool early[16];
    size_t n;
    bool ended;
};

static void seen_host(void *ctx, const struct host_result *h)
{
    struct seen *s = ctx;
    assert_false(s->ended);
    assert_true(s->n < 16);
    s->early[s->n] = h->early;
    s->order[s->n++] = h->order;
}

static int seen_end(void *ctx, const struct scan_summary *sum)
{
    (void)sum;
    ((struct seen *)ctx)->ended = true;
    return 0;
}

static void feed(const struct result_sink *s, uint64_t order, bool early)
{
    struct host_result h;
    host_result_init(&h, NULL);
    h.order = order;
    h.early = early;
    h.status = HOST_UP;
    struct port_result p = {.port = 22, .proto = PROTO_TCP, .state = PORT_OPEN};
    assert_int_equal(host_result_add_port(&h, &p), 0);
    sink_host(s, &h);
    host_result_free(&h); /* the order sink keeps its own copy */
}

/* Early hosts (completion order) are put back among the others, which
 * come in target order after them, as an engine delivering early does;
 * one early host coming late (a stage held it) still finds its place. */
static void test_order_sink(void **state)
{
    (void)state;
    struct seen s = {0};
    struct result_sink out = {.host = seen_host, .end = seen_end, .ctx = &s};
    struct order_sink o;
    struct result_sink head = order_sink(&o, &out);
    feed(&head, 7, true);
    feed(&head, 2, true);
    feed(&head, 5, true);
    assert_int_equal(s.n, 0); /* held */
    feed(&head, 0, false);
    assert_int_equal(s.n, 1);
    feed(&head, 3, false); /* 2 first */
    feed(&head, 6, true);  /* after the sort */
    feed(&head, 8, false); /* 5, 6, 7 first */
    feed(&head, 4, true);
    struct scan_summary sum = {0};
    assert_int_equal(sink_end(&head, &sum), 0);
    assert_true(s.ended);
    const uint64_t want[] = {0, 2, 3, 5, 6, 7, 8, 4};
    assert_int_equal(s.n, 8);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(s.order[i], want[i]);
    assert_true(s.early[1]);
    assert_false(s.early[2]);
    order_sink_free(&o);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/prtip_test_stream_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return getenv("KEEP") ? 0 : system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_and_free),   cmocka_unit_test(test_scan_info_copy),
        cmocka_unit_test(test_render_findings), cmocka_unit_test(test_stages_compose),
        cmocka_unit_test(test_order_sink),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
