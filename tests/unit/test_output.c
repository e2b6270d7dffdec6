/*
 * Tests for src/output: the result sink and the normal, greppable, XML and
 * JSON formats. Scans and host records are built by hand; outputs go to
 * files in a private /tmp directory and stdout is captured, so the tests
 * see exactly what a user would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/plan/plan.h"
#include "output/output.h"
#include "scan/scan_module.h"

#include <fcntl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct scan_module test_connect = {
    .name = "connect",
    .option = "-sT",
    .xml_type = "connect",
    .proto = PROTO_TCP,
};

static char tmpdir[64];
static uint16_t ports_1_1000[1000];

/* -- fixtures --------------------------------------------------------- */

static void scan_setup(struct config *s, const char *args)
{
    memset(s, 0, sizeof(*s));
    s->types[0] = &test_connect;
    s->ntypes = 1;
    s->ports.ports[PROTO_TCP] = ports_1_1000;
    s->ports.count[PROTO_TCP] = 1000;
    s->args = (char *)args;
}

static void add_output(struct config *s, const char *option, const char *path)
{
    s->outputs[s->noutputs].module = output_module_find(option);
    assert_non_null(s->outputs[s->noutputs].module);
    s->outputs[s->noutputs].path = (char *)path;
    s->noutputs++;
}

static void add(struct host_result *h, uint16_t port, enum port_state st, enum reason r,
                const char *svc)
{
    struct port_result p = {.port = port,
                            .proto = PROTO_TCP,
                            .state = (uint8_t)st,
                            .reason = (uint8_t)r,
                            .service = svc};
    assert_int_equal(host_result_add_port(h, &p), 0);
}

/* localhost with 1-1000/tcp: 22 and 631 open, the rest closed, recorded in
 * a scrambled order as an engine would. */
static void host_setup(struct host_result *h)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse("127.0.0.1", &a), 0);
    host_result_init(h, &a);
    h->hostname = "localhost";
    h->rdns = strdup("localhost");
    h->status = HOST_UP;
    h->status_reason = REASON_LOCALHOST_RESPONSE;
    h->srtt_us = 120;
    h->rttvar_us = 50;
    h->timeout_us = 100000;
    h->start.tv_sec = h->end.tv_sec = 1795295520;
    for (unsigned i = 0; i < 1000; i++) {
        uint16_t port = (uint16_t)((i * 7) % 1000 + 1); /* 7 is coprime to 1000 */
        if (port == 22)
            add(h, port, PORT_OPEN, REASON_SYN_ACK, "ssh");
        else if (port == 631)
            add(h, port, PORT_OPEN, REASON_SYN_ACK, "ipp");
        else
            add(h, port, PORT_CLOSED, REASON_CONN_REFUSED, NULL);
    }
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].port == 22)
            h->ports[i].reason_ttl = 64;
}

static struct scan_summary summary(uint64_t total, uint64_t up)
{
    struct scan_summary s = {.hosts_total = total, .hosts_up = up, .hosts_down = total - up};
    s.start.tv_sec = 1795295520;
    s.end.tv_sec = 1795295520;
    s.elapsed_s = 0.05;
    return s;
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

static char *path_in_tmp(const char *name)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    return p;
}

/*
 * Run a whole scan's output: open, deliver hosts, close. stdout is captured
 * into *out_stdout (the terminal report, or a format written to "-").
 */
static int run(struct config *s, struct host_result *hosts, size_t n,
               const struct scan_summary *sum, char **out_stdout)
{
    char *cap = path_in_tmp("stdout");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);

    struct output_set set;
    char err[256];
    int rc = output_set_open(&set, s->outputs, s->noutputs, err, sizeof(err));
    if (rc == 0) {
        /* The begin record from the configuration, as main.c builds it. */
        struct scan_info info;
        assert_int_equal(plan_scan_info(s, &info, err, sizeof(err)), 0);
        info.start.tv_sec = 1795295520;
        rc = output_set_begin(&set, &info, err, sizeof(err));
        scan_info_free(&info);
    }
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            output_set_host(&set, &hosts[i]);
        rc = output_set_close(&set, sum);
    }
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    char *text = slurp(cap);
    if (out_stdout)
        *out_stdout = text;
    else
        free(text);
    return rc;
}

static bool have_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

static int xml_valid(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd %s", path);
    return system(cmd);
}

/* -- normal output ----------------------------------------------------- */

static void test_normal_layout(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    scan_setup(&s, "prtip -sT -p 1-1000 localhost");
    char *path = path_in_tmp("n.nmap");
    add_output(&s, "-oN", path);
    host_setup(&h);
    struct scan_summary sum = summary(1, 1);
    char *term = NULL;
    assert_int_equal(run(&s, &h, 1, &sum, &term), 0);
    char *file = slurp(path);

    const char *body = "prtip scan report for localhost (127.0.0.1)\n"
                       "Host is up (0.00012s latency).\n"
                       "Not shown: 998 closed tcp ports (conn-refused)\n"
                       "PORT    STATE SERVICE\n"
                       "22/tcp  open  ssh\n"
                       "631/tcp open  ipp\n"
                       "\n";
    assert_non_null(strstr(file, body));
    assert_non_null(strstr(term, body));
    assert_memory_equal(file, "# prtip 0.1.0 scan initiated ", 29);
    assert_non_null(strstr(file, " as: prtip -sT -p 1-1000 localhost\nprtip scan report"));
    assert_non_null(strstr(file, "\n# prtip done at "));
    assert_non_null(strstr(file, " -- 1 IP address (1 host up) scanned in 0.05 seconds\n"));
    /* The terminal flavour, as nmap prints it on stdout. */
    assert_memory_equal(term, "Starting prtip 0.1.0 at ", 24);
    assert_non_null(
        strstr(term, "\nprtip done: 1 IP address (1 host up) scanned in 0.05 seconds\n"));
    assert_null(strstr(term, "Host seems down"));
    free(file);
    free(term);
    host_result_free(&h);
}

static void test_normal_reason_and_names(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    scan_setup(&s, "prtip --reason");
    s.show_reason = true;
    host_setup(&h);
    h.hostname = "example";
    h.other_addrs = "::1";
    h.status_ttl = 64;
    struct scan_summary sum = summary(1, 1);
    char *term = NULL;
    assert_int_equal(run(&s, &h, 1, &sum, &term), 0);
    const char *body = "prtip scan report for example (127.0.0.1)\n"
                       "Host is up, received localhost-response ttl 64 (0.00012s latency).\n"
                       "Other addresses for example (not scanned): ::1\n"
                       "rDNS record for 127.0.0.1: localhost\n"
                       "Not shown: 998 closed tcp ports (conn-refused)\n"
                       "PORT    STATE SERVICE REASON\n"
                       "22/tcp  open  ssh     syn-ack ttl 64\n"
                       "631/tcp open  ipp     syn-ack\n\n";
    assert_non_null(strstr(term, body));
    free(term);
    host_result_free(&h);
}

static void test_normal_not_shown_states(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    struct ipaddr a;
    scan_setup(&s, "prtip");
    ipaddr_parse("127.0.0.1", &a);
    host_result_init(&h, &a);
    h.status = HOST_UP;
    for (uint16_t p = 1; p <= 1000; p++) {
        if (p == 80)
            add(&h, p, PORT_OPEN, REASON_SYN_ACK, "http");
        else if (p <= 900)
            add(&h, p, PORT_CLOSED, REASON_CONN_REFUSED, NULL);
        else if (p <= 990)
            add(&h, p, PORT_FILTERED, REASON_NO_RESPONSE, NULL);
        else
            add(&h, p, PORT_FILTERED, REASON_HOST_PROHIBITED, NULL);
    }
    struct scan_summary sum = summary(1, 1);
    char *term = NULL;
    assert_int_equal(run(&s, &h, 1, &sum, &term), 0);
    /* No name, no latency: just the address and "Host is up." */
    assert_non_null(strstr(term, "prtip scan report for 127.0.0.1\nHost is up.\n"
                                 "Not shown: 899 closed tcp ports (conn-refused), "
                                 "90 filtered tcp ports (no-response), "
                                 "10 filtered tcp ports (host-prohibited)\n"
                                 "PORT   STATE SERVICE\n"
                                 "80/tcp open  http\n\n"));
    free(term);

    /* --open with a single closed port: singular "port". */
    s.open_only = true;
    h.nports = 0;
    add(&h, 22, PORT_CLOSED, REASON_CONN_REFUSED, "ssh");
    add(&h, 23, PORT_OPEN, REASON_SYN_ACK, "telnet");
    assert_int_equal(run(&s, &h, 1, &sum, &term), 0);
    assert_non_null(strstr(term, "Not shown: 1 closed tcp port (conn-refused)\n"
                                 "PORT   STATE SERVICE\n23/tcp open  telnet\n"));
    free(term);

    /* --open drops a host with nothing that could be open. */
    h.nports = 0;
    add(&h, 22, PORT_CLOSED, REASON_CONN_REFUSED, "ssh");
    assert_int_equal(run(&s, &h, 1, &sum, &term), 0);
    assert_null(strstr(term, "scan report"));
    free(term);
    host_result_free(&h);
}

static void test_normal_all_ignored_and_latency(void **state)
{
    (void)state;
    struct config s;
    struct host_result h[3];
    scan_setup(&s, "prtip");
    for (int i = 0; i < 3; i++) {
        host_setup(&h[i]);
        for (size_t j = 0; j < h[i].nports; j++) {
            h[i].ports[j].state = PORT_CLOSED;
            h[i].ports[j].reason = REASON_CONN_REFUSED;
        }
    }
    h[1].srtt_us = 2000;
    h[2].srtt_us = 150000;
    struct scan_summary sum = summary(3, 3);
    char *term = NULL;
    assert_int_equal(run(&s, h, 3, &sum, &term), 0);
    assert_non_null(strstr(term, "Host is up (0.00012s latency).\n"
                                 "All 1000 scanned ports on localhost (127.0.0.1) are in ignored "
                                 "states.\nNot shown: 1000 closed tcp ports (conn-refused)\n\n"));
    assert_non_null(strstr(term, "Host is up (0.0020s latency).\n"));
    assert_non_null(strstr(term, "Host is up (0.15s latency).\n"));
    assert_null(strstr(term, "PORT"));
    assert_non_null(strstr(term, "prtip done: 3 IP addresses (3 hosts up) scanned in 0.05"));
    free(term);
    for (int i = 0; i < 3; i++)
        host_result_free(&h[i]);
}

static void test_normal_down_timeout_interrupt(void **state)
{
    (void)state;
    struct config s;
    struct host_result h[2];
    scan_setup(&s, "prtip");
    struct ipaddr a;
    ipaddr_parse("127.0.0.2", &a);
    host_result_init(&h[0], &a);
    h[0].status = HOST_DOWN;
    struct scan_summary sum = summary(1, 0);
    char *term = NULL;
    assert_int_equal(run(&s, h, 1, &sum, &term), 0);
    assert_null(strstr(term, "127.0.0.2"));
    assert_non_null(strstr(term, "Note: Host seems down. If it is really up, but blocking our "
                                 "ping probes, try -Pn\nprtip done: 1 IP address (0 hosts up)"));
    free(term);

    s.verbose = 1;
    host_setup(&h[1]);
    h[1].timed_out = true;
    sum = summary(2, 1);
    sum.interrupted = true;
    assert_int_equal(run(&s, h, 2, &sum, &term), 0);
    assert_non_null(strstr(term, "prtip scan report for 127.0.0.2 [host down]\n"));
    assert_non_null(strstr(term, "Skipping host localhost (127.0.0.1) due to host timeout\n"));
    assert_null(strstr(term, "Host seems down"));
    assert_non_null(strstr(term, "prtip interrupted: "));
    assert_non_null(strstr(term, "prtip done: 2 IP addresses (1 host up)"));
    free(term);
    host_result_free(&h[0]);
    host_result_free(&h[1]);
}

/* -- greppable --------------------------------------------------------- */

static void test_grepable(void **state)
{
    (void)state;
    struct config s;
    struct host_result h[2];
    scan_setup(&s, "prtip -oG x");
    char *path = path_in_tmp("g.gnmap");
    add_output(&s, "-oG", path);
    host_setup(&h[0]);
    struct ipaddr a;
    ipaddr_parse("127.0.0.2", &a);
    host_result_init(&h[1], &a);
    h[1].status = HOST_DOWN;
    struct scan_summary sum = summary(2, 1);
    assert_int_equal(run(&s, h, 2, &sum, NULL), 0);
    char *g = slurp(path);
    assert_memory_equal(g, "# prtip 0.1.0 scan initiated ", 29);
    assert_non_null(strstr(g,
                           " as: prtip -oG x\n"
                           "Host: 127.0.0.1 (localhost)\tStatus: Up\n"
                           "Host: 127.0.0.1 (localhost)\tPorts: 22/open/tcp//ssh///, "
                           "631/open/tcp//ipp///\tIgnored State: closed (998)\n# prtip done at "));
    assert_non_null(strstr(g, " -- 2 IP addresses (1 host up) scanned in 0.05 seconds\n"));
    assert_null(strstr(g, "127.0.0.2"));
    assert_null(strstr(g, "Ports scanned"));
    free(g);

    s.verbose = 1;
    assert_int_equal(run(&s, h, 2, &sum, NULL), 0);
    g = slurp(path);
    assert_non_null(
        strstr(g, "# Ports scanned: TCP(1000;1-1000) UDP(0;) SCTP(0;) PROTOCOLS(0;)\n"));
    assert_non_null(strstr(g, "Host: 127.0.0.2 ()\tStatus: Down\n"));
    free(g);
    host_result_free(&h[0]);
    host_result_free(&h[1]);
}

/* -- XML ----------------------------------------------------------------- */

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static void assert_prop(xmlNode *n, const char *name, const char *want)
{
    assert_non_null(n);
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    assert_non_null(v);
    assert_string_equal((const char *)v, want);
    xmlFree(v);
}

static void test_xml_valid_and_escaped(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    const char *args = "prtip --reason -p 1-1000 'a<b&c\"d>'";
    scan_setup(&s, args);
    char *path = path_in_tmp("x.xml");
    add_output(&s, "-oX", path);
    host_setup(&h);
    h.hostname = "a<b&c\"d>\x01";
    struct scan_summary sum = summary(1, 1);
    assert_int_equal(run(&s, &h, 1, &sum, NULL), 0);
    char *x = slurp(path);
    assert_non_null(strstr(x, "<nmaprun scanner=\"nmap\""));
    assert_non_null(strstr(x, "profile_name=\"prtip\""));
    assert_non_null(strstr(x, "version=\"0.1.0\""));
    assert_non_null(strstr(x, "<!-- prtip 0.1.0 scan initiated "));
    assert_non_null(strstr(x, "<extrareasons reason=\"conn-refused\" count=\"998\" proto=\"tcp\" "
                              "ports=\"1-21,23-630,632-1000\"/>"));
    assert_non_null(strstr(x, "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" "
                              "reason=\"syn-ack\" reason_ttl=\"64\"/><service name=\"ssh\" "
                              "method=\"table\" conf=\"3\"/></port>\n"));
    assert_non_null(strstr(x, "<times srtt=\"120\" rttvar=\"50\" to=\"100000\"/>"));
    assert_non_null(strstr(x, "exit=\"success\""));
    free(x);
    if (have_xmllint())
        assert_int_equal(xml_valid(path), 0);

    /* Parse it back: every attribute must read as written. */
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_prop(root, "args", args);
    xmlNode *host = child(root, "host");
    xmlNode *hn = child(child(host, "hostnames"), "hostname");
    assert_prop(hn, "name", "a<b&c\"d>?"); /* control character replaced */
    assert_prop(hn, "type", "user");
    assert_prop(child(root, "scaninfo"), "services", "1-1000");
    assert_prop(child(child(root, "runstats"), "hosts"), "up", "1");
    xmlFreeDoc(doc);
    host_result_free(&h);
}

/* Found by fuzz_output: an encoded UTF-16 surrogate passed xmlCheckUTF8
 * into the document, and --stylesheet went into the processing instruction
 * with its control characters; libxml2 could not read either back. */
static void test_xml_surrogate_and_stylesheet_cleaned(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    scan_setup(&s, "prtip x\xed\xa0\x80y");
    free(s.stylesheet);
    s.stylesheet = strdup("a\x01"
                          "b\xff.xsl");
    char *path = path_in_tmp("s.xml");
    add_output(&s, "-oX", path);
    host_setup(&h);
    h.hostname = "x\xed\xa0\x80y\xef\xbf\xbe";
    struct scan_summary sum = summary(1, 1);
    assert_int_equal(run(&s, &h, 1, &sum, NULL), 0);
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNode *root = xmlDocGetRootElement(doc);
    assert_prop(root, "args", "prtip x???y");
    xmlNode *hn = child(child(child(root, "host"), "hostnames"), "hostname");
    assert_prop(hn, "name", "x???y???"); /* U+FFFE is no XML character either */
    xmlFreeDoc(doc);
    char *x = slurp(path);
    assert_non_null(strstr(x, "<?xml-stylesheet href=\"a?b?.xsl\" type=\"text/xsl\"?>"));
    free(x);
    free(s.stylesheet);
    host_result_free(&h);
}

static void test_xml_interrupted_and_down(void **state)
{
    (void)state;
    struct config s;
    struct host_result h[2];
    scan_setup(&s, "prtip -v");
    s.verbose = 1;
    char *path = path_in_tmp("xi.xml");
    add_output(&s, "-oX", "-"); /* XML on stdout: no terminal report */
    add_output(&s, "-oX", path);
    host_setup(&h[0]);
    h[0].interrupted = true;
    struct ipaddr a;
    ipaddr_parse("::1", &a);
    host_result_init(&h[1], &a);
    h[1].status = HOST_DOWN;
    h[1].status_reason = REASON_NO_RESPONSE;
    struct scan_summary sum = summary(2, 1);
    sum.interrupted = true;
    char *term = NULL;
    assert_int_equal(run(&s, h, 2, &sum, &term), 0);
    assert_memory_equal(term, "<?xml", 5);
    assert_null(strstr(term, "Starting prtip"));
    char *x = slurp(path);
    assert_string_equal(term, x);
    assert_non_null(strstr(x, "<status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/>\n"
                              "<address addr=\"::1\" addrtype=\"ipv6\"/>"));
    assert_non_null(strstr(x, "exit=\"error\" errormsg=\"interrupted\""));
    assert_non_null(strstr(x, "</runstats>\n</nmaprun>\n"));
    if (have_xmllint())
        assert_int_equal(xml_valid(path), 0);
    free(x);
    free(term);

    /* Ctrl-C before any host: still a complete, valid document. */
    s.noutputs = 1;
    s.outputs[0].path = path;
    assert_int_equal(run(&s, h, 0, &sum, NULL), 0);
    if (have_xmllint())
        assert_int_equal(xml_valid(path), 0);
    host_result_free(&h[0]);
    host_result_free(&h[1]);
}

/* -- JSON ---------------------------------------------------------------- */

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return root;
}

static void test_json_fields(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    const char *args = "prtip \"quoted\"\t\x01 \\ end";
    scan_setup(&s, args);
    char *path = path_in_tmp("j.json");
    add_output(&s, "-oJ", path);
    host_setup(&h);
    h.hostname = "q\"uote\n\x02";
    struct scan_summary sum = summary(1, 1);
    assert_int_equal(run(&s, &h, 1, &sum, NULL), 0);

    json_t *root = load_json(path);
    assert_string_equal(json_string_value(json_object_get(root, "scanner")), "prtip");
    assert_string_equal(json_string_value(json_object_get(root, "version")), "0.1.0");
    assert_string_equal(json_string_value(json_object_get(root, "args")), args);
    assert_int_equal(json_integer_value(json_object_get(root, "start")), 1795295520);
    json_t *si = json_array_get(json_object_get(root, "scaninfo"), 0);
    assert_string_equal(json_string_value(json_object_get(si, "type")), "connect");
    assert_string_equal(json_string_value(json_object_get(si, "services")), "1-1000");
    assert_int_equal(json_integer_value(json_object_get(si, "numservices")), 1000);

    json_t *host = json_array_get(json_object_get(root, "hosts"), 0);
    assert_non_null(host);
    assert_string_equal(json_string_value(json_object_get(host, "address")), "127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(host, "addrtype")), "ipv4");
    json_t *hn = json_array_get(json_object_get(host, "hostnames"), 0);
    assert_string_equal(json_string_value(json_object_get(hn, "name")), "q\"uote\n\x02");
    assert_string_equal(json_string_value(json_object_get(hn, "type")), "user");
    json_t *st = json_object_get(host, "status");
    assert_string_equal(json_string_value(json_object_get(st, "state")), "up");
    assert_string_equal(json_string_value(json_object_get(st, "reason")), "localhost-response");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(host, "times"), "srtt")),
                     120);
    json_t *ports = json_object_get(host, "ports");
    assert_int_equal(json_array_size(ports), 2);
    json_t *p0 = json_array_get(ports, 0);
    assert_int_equal(json_integer_value(json_object_get(p0, "port")), 22);
    assert_string_equal(json_string_value(json_object_get(p0, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(p0, "reason")), "syn-ack");
    assert_int_equal(json_integer_value(json_object_get(p0, "reason_ttl")), 64);
    assert_string_equal(json_string_value(json_object_get(p0, "service")), "ssh");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ports, 1), "port")), 631);
    json_t *ex = json_array_get(json_object_get(host, "extraports"), 0);
    assert_string_equal(json_string_value(json_object_get(ex, "state")), "closed");
    assert_int_equal(json_integer_value(json_object_get(ex, "count")), 998);
    json_t *re = json_array_get(json_object_get(ex, "reasons"), 0);
    assert_string_equal(json_string_value(json_object_get(re, "reason")), "conn-refused");
    assert_string_equal(json_string_value(json_object_get(re, "ports")), "1-21,23-630,632-1000");
    assert_true(json_is_false(json_object_get(host, "timed_out")));

    json_t *rs = json_object_get(root, "runstats");
    assert_string_equal(json_string_value(json_object_get(rs, "exit")), "success");
    assert_true(json_is_false(json_object_get(rs, "interrupted")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rs, "hosts"), "up")), 1);
    json_decref(root);
    host_result_free(&h);
}

static void test_json_interrupted(void **state)
{
    (void)state;
    struct config s;
    struct host_result h;
    scan_setup(&s, "prtip");
    char *path = path_in_tmp("ji.json");
    add_output(&s, "-oJ", path);
    host_setup(&h);
    h.hostname = "bad\xff utf8";
    h.interrupted = true;
    struct scan_summary sum = summary(5, 1);
    sum.interrupted = true;
    assert_int_equal(run(&s, &h, 1, &sum, NULL), 0);
    json_t *root = load_json(path);
    json_t *host = json_array_get(json_object_get(root, "hosts"), 0);
    assert_true(json_is_true(json_object_get(host, "interrupted")));
    json_t *hn = json_array_get(json_object_get(host, "hostnames"), 0);
    assert_string_equal(json_string_value(json_object_get(hn, "name")), "bad? utf8");
    json_t *rs = json_object_get(root, "runstats");
    assert_string_equal(json_string_value(json_object_get(rs, "exit")), "error");
    assert_string_equal(json_string_value(json_object_get(rs, "errormsg")), "interrupted");
    assert_true(json_is_true(json_object_get(rs, "interrupted")));
    json_decref(root);
    host_result_free(&h);
}

/* -- the sink ------------------------------------------------------------ */

static void test_registry_and_errors(void **state)
{
    (void)state;
    assert_ptr_equal(output_module_find("-oX"), output_module_find("xml"));
    assert_string_equal(output_module_find("-oN")->ext, "nmap");
    assert_string_equal(output_module_find("-oG")->ext, "gnmap");
    assert_string_equal(output_module_find("json")->option, "-oJ");
    assert_null(output_module_find("-oZ"));
    assert_null(output_module_find(NULL));

    struct config s;
    scan_setup(&s, "prtip");
    add_output(&s, "-oX", "/nonexistent-dir/scan.xml");
    struct output_set set;
    char err[256];
    fflush(stdout);
    assert_int_equal(output_set_open(&set, s.outputs, s.noutputs, err, sizeof(err)), -1);
    assert_string_equal(err, "cannot write /nonexistent-dir/scan.xml: No such file or directory");

    /* A write error (full disk) is reported by close. */
    if (access("/dev/full", W_OK) == 0) {
        scan_setup(&s, "prtip");
        add_output(&s, "-oG", "/dev/full");
        struct host_result h;
        host_setup(&h);
        struct scan_summary sum = summary(1, 1);
        assert_int_equal(run(&s, &h, 1, &sum, NULL), -1);
        host_result_free(&h);
    }
}

static int setup_dir(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++)
        ports_1_1000[i] = (uint16_t)(i + 1);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/prtip_test_output_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    /* Fixed zone: headers print local time with its abbreviation. */
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_layout),
        cmocka_unit_test(test_normal_reason_and_names),
        cmocka_unit_test(test_normal_not_shown_states),
        cmocka_unit_test(test_normal_all_ignored_and_latency),
        cmocka_unit_test(test_normal_down_timeout_interrupt),
        cmocka_unit_test(test_grepable),
        cmocka_unit_test(test_xml_valid_and_escaped),
        cmocka_unit_test(test_xml_surrogate_and_stylesheet_cleaned),
        cmocka_unit_test(test_xml_interrupted_and_down),
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_json_interrupted),
        cmocka_unit_test(test_registry_and_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
