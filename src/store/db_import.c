/*
 * db_import.c — prtip db import FILE.xml: nmap's XML (nmap.dtd), as nmap
 * or prtip wrote it, read with libxml2 into the stream's records and
 * stored through the same writer as a live scan (origin "import FILE").
 *
 * Ports folded into <extraports> are expanded back into single ports from
 * their <extrareasons ports="..."> lists (nmap >= 7.90 and prtip write
 * them), named from nmap-services, so that a stored import compares port by
 * port with a prtip scan. A file without those lists keeps only the ports
 * it lists.
 */
#include "core/datafile.h"
#include "core/services.h"
#include "store/codec.h"
#include "store/db_cmd.h"
#include "output/render.h"
#include "store/import.h"

#include <errno.h>
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct imp {
    struct codec_pool *pool;
    struct services *svc; /* nmap-services, NULL if not found */
};

static const char *prop(xmlNode *n, const char *name, char *buf, size_t len)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    snprintf(buf, len, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

static char *prop_dup(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *s = v ? strdup((const char *)v) : NULL;
    xmlFree(v);
    return s;
}

static long long prop_ll(xmlNode *n, const char *name, long long dflt)
{
    char buf[64];
    return prop(n, name, buf, sizeof(buf)) ? strtoll(buf, NULL, 10) : dflt;
}

static bool is(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static int ipproto(enum port_proto p)
{
    return p == PROTO_UDP ? IPPROTO_UDP : p == PROTO_SCTP ? IPPROTO_SCTP : IPPROTO_TCP;
}

static char **cpes(xmlNode *parent, size_t *n)
{
    *n = 0;
    char **v = NULL;
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (!is(c, "cpe"))
            continue;
        char **nv = realloc(v, (*n + 1) * sizeof(*nv));
        if (!nv)
            break;
        v = nv;
        xmlChar *t = xmlNodeGetContent(c);
        v[(*n)++] = strdup(t ? (const char *)t : "");
        xmlFree(t);
    }
    return v;
}

static int elems(xmlNode *parent, struct script_elem **out, size_t *n, int depth)
{
    *out = NULL;
    *n = 0;
    if (depth > 64)
        return 0;
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (!is(c, "elem") && !is(c, "table"))
            continue;
        struct script_elem *ne = realloc(*out, (*n + 1) * sizeof(*ne));
        if (!ne)
            return -1;
        *out = ne;
        struct script_elem *e = &ne[(*n)++];
        memset(e, 0, sizeof(*e));
        e->key = prop_dup(c, "key");
        if (is(c, "elem")) {
            xmlChar *t = xmlNodeGetContent(c);
            e->value = strdup(t ? (const char *)t : "");
            xmlFree(t);
        } else {
            elems(c, &e->children, &e->nchildren, depth + 1);
        }
    }
    return 0;
}

static void scripts(xmlNode *parent, struct script_output **out, size_t *n)
{
    for (xmlNode *c = parent->children; c; c = c->next) {
        if (!is(c, "script"))
            continue;
        struct script_output *ns = realloc(*out, (*n + 1) * sizeof(*ns));
        if (!ns)
            return;
        *out = ns;
        struct script_output *s = &ns[(*n)++];
        memset(s, 0, sizeof(*s));
        s->id = prop_dup(c, "id");
        s->output = prop_dup(c, "output");
        elems(c, &s->elems, &s->nelems, 0);
    }
}

static void add_port(struct imp *im, struct host_result *h, xmlNode *pn)
{
    char buf[256];
    struct port_result p = {0};
    p.proto = (uint8_t)codec_proto(prop(pn, "protocol", buf, sizeof(buf)));
    p.port = (uint16_t)prop_ll(pn, "portid", 0);
    for (xmlNode *c = pn->children; c; c = c->next) {
        if (is(c, "state")) {
            p.state = (uint8_t)codec_state(prop(c, "state", buf, sizeof(buf)));
            p.reason = (uint8_t)codec_reason(prop(c, "reason", buf, sizeof(buf)));
            p.reason_ttl = (uint8_t)prop_ll(c, "reason_ttl", 0);
            /* The router or firewall whose ICMP error decided the state. */
            char rip[128];
            struct ipaddr ra;
            struct port_detail *d;
            if (prop(c, "reason_ip", rip, sizeof(rip)) && ipaddr_parse(rip, &ra) == 0 &&
                (d = port_result_detail(&p)) != NULL) {
                d->reason_ip = ra;
                d->have_reason_ip = true;
            }
        } else if (is(c, "service")) {
            char method[16] = "";
            prop(c, "method", method, sizeof(method));
            const char *name = prop(c, "name", buf, sizeof(buf));
            p.service = codec_intern(im->pool, name);
            if (strcmp(method, "probed") == 0 || xmlHasProp(c, BAD_CAST "product") ||
                xmlHasProp(c, BAD_CAST "version") || xmlHasProp(c, BAD_CAST "tunnel")) {
                struct port_detail *d = port_result_detail(&p);
                struct service_result *s = d ? calloc(1, sizeof(*s)) : NULL;
                if (s) {
                    s->name = prop_dup(c, "name");
                    s->product = prop_dup(c, "product");
                    s->version = prop_dup(c, "version");
                    s->extrainfo = prop_dup(c, "extrainfo");
                    s->hostname = prop_dup(c, "hostname");
                    s->ostype = prop_dup(c, "ostype");
                    s->devicetype = prop_dup(c, "devicetype");
                    s->method = strcmp(method, "probed") == 0 ? SERVICE_METHOD_PROBED
                                                              : SERVICE_METHOD_TABLE;
                    s->conf = (uint8_t)prop_ll(c, "conf", 3);
                    char tun[16];
                    s->tunnel_ssl = prop(c, "tunnel", tun, sizeof(tun)) && !strcmp(tun, "ssl");
                    s->cpe = cpes(c, &s->ncpe);
                    s->fingerprint = prop_dup(c, "servicefp"); /* nmap's SF-Port block */
                    d->service = s;
                    if (im->svc)
                        p.service = codec_intern(im->pool,
                                                 services_name(im->svc, p.port, ipproto(p.proto)));
                }
            }
        }
    }
    struct script_output *sc = NULL;
    size_t nsc = 0;
    scripts(pn, &sc, &nsc);
    if (nsc) {
        struct port_detail *d = port_result_detail(&p);
        if (d) {
            d->scripts = sc;
            d->nscripts = nsc;
        }
    }
    host_result_add_port(h, &p);
}

/* <extraports state=S><extrareasons reason=R proto=P ports="1-21,23"/> */
static void add_extraports(struct imp *im, struct host_result *h, xmlNode *ep)
{
    char buf[64];
    enum port_state st = codec_state(prop(ep, "state", buf, sizeof(buf)));
    for (xmlNode *c = ep->children; c; c = c->next) {
        if (!is(c, "extrareasons"))
            continue;
        char *ports = prop_dup(c, "ports");
        if (!ports)
            continue;
        enum reason r = codec_reason(prop(c, "reason", buf, sizeof(buf)));
        enum port_proto pr = codec_proto(prop(c, "proto", buf, sizeof(buf)));
        for (char *save = NULL, *tok = strtok_r(ports, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            char *dash = strchr(tok, '-');
            long lo = strtol(tok, NULL, 10), hi = dash ? strtol(dash + 1, NULL, 10) : lo;
            if (lo < 0 || hi > 65535 || lo > hi)
                continue;
            for (long port = lo; port <= hi; port++) {
                struct port_result p = {.port = (uint16_t)port,
                                        .proto = (uint8_t)pr,
                                        .state = (uint8_t)st,
                                        .reason = (uint8_t)r};
                if (im->svc)
                    p.service = codec_intern(im->pool, services_name(im->svc, p.port, ipproto(pr)));
                host_result_add_port(h, &p);
            }
        }
        free(ports);
    }
}

static int cmp_port(const void *a, const void *b)
{
    const struct port_result *x = a, *y = b;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return x->port < y->port ? -1 : x->port > y->port;
}

/* The -O report of h, made when the host has any OS element: ports -1,
 * distance and sequence index -1 as nmap's "unknown". NULL when out of
 * memory. */
static struct os_report *report_of(struct host_result *h)
{
    if (!h->os_report && (h->os_report = calloc(1, sizeof(*h->os_report))) != NULL) {
        struct os_report *r = h->os_report;
        r->open_tcp = r->closed_tcp = r->closed_udp = -1;
        r->distance = r->seq_index = -1;
        r->verdict = OS_VERDICT_NONE;
    }
    return h->os_report;
}

/* <portused state= proto= portid=>: the ports -O's probes used. */
static void portused_of(xmlNode *c, struct os_report *r)
{
    char st[16], pr[16];
    int32_t port = (int32_t)prop_ll(c, "portid", -1);
    if (!prop(c, "state", st, sizeof(st)) || !prop(c, "proto", pr, sizeof(pr)))
        return;
    if (!strcmp(st, "open") && !strcmp(pr, "tcp"))
        r->open_tcp = port;
    else if (!strcmp(st, "closed") && !strcmp(pr, "tcp"))
        r->closed_tcp = port;
    else if (!strcmp(st, "closed") && !strcmp(pr, "udp"))
        r->closed_udp = port;
}

/* nmap's elements after <os> (<uptime>, <distance>, <tcpsequence>,
 * <ipidsequence>, <tcptssequence>) into h's report; 0 when c is none. */
static int os_extra_of(xmlNode *c, struct host_result *h)
{
    bool up = is(c, "uptime"), dist = is(c, "distance"), seq = is(c, "tcpsequence");
    bool ipid = is(c, "ipidsequence"), ts = is(c, "tcptssequence");
    if (!up && !dist && !seq && !ipid && !ts)
        return 0;
    struct os_report *r = report_of(h);
    if (!r)
        return 1;
    char buf[64];
    if (up) {
        r->uptime_s = prop_ll(c, "seconds", 0);
        /* lastboot is ctime(3) text in the writer's local time. */
        struct tm tm = {0};
        const char *lb = prop(c, "lastboot", buf, sizeof(buf));
        if (lb && strptime(lb, "%a %b %d %H:%M:%S %Y", &tm)) {
            tm.tm_isdst = -1;
            r->lastboot = (int64_t)mktime(&tm);
        }
    } else if (dist) {
        r->distance = (int32_t)prop_ll(c, "value", -1);
    } else if (seq) {
        r->seq_index = (int32_t)prop_ll(c, "index", -1);
        prop(c, "difficulty", r->seq_difficulty, sizeof(r->seq_difficulty));
        r->seq_values = prop_dup(c, "values");
    } else if (ipid) {
        r->ipid_class = prop_dup(c, "class");
        r->ipid_values = prop_dup(c, "values");
    } else {
        r->ts_class = prop_dup(c, "class");
        r->ts_values = prop_dup(c, "values");
    }
    return 1;
}

/* Whether the comment prtip writes before a passive guess's <os> precedes os. */
static bool passive_os(xmlNode *os)
{
    for (xmlNode *p = os->prev; p && p->type != XML_ELEMENT_NODE; p = p->prev)
        if (p->type == XML_COMMENT_NODE && p->content &&
            strstr((const char *)p->content, "prtip os-passive"))
            return true;
    return false;
}

static void os_of(xmlNode *os, struct host_result *h)
{
    /* A report when the file has more than matches (ports used, prtip's
     * passive label); else the matches alone, as before. */
    if (passive_os(os)) {
        struct os_report *r = report_of(h);
        if (r)
            r->passive = true;
    }
    for (xmlNode *m = os->children; m; m = m->next) {
        struct os_report *r;
        if (is(m, "portused") && (r = report_of(h)) != NULL)
            portused_of(m, r);
        if (is(m, "osfingerprint") && !h->os_fingerprint)
            h->os_fingerprint = prop_dup(m, "fingerprint");
        if (!is(m, "osmatch"))
            continue;
        struct os_match *nm = realloc(h->os, (h->nos + 1) * sizeof(*nm));
        if (!nm)
            return;
        h->os = nm;
        struct os_match *x = &nm[h->nos++];
        memset(x, 0, sizeof(*x));
        x->name = prop_dup(m, "name");
        x->accuracy = (uint8_t)prop_ll(m, "accuracy", 0);
        x->line = (uint32_t)prop_ll(m, "line", 0);
        for (xmlNode *c = m->children; c; c = c->next) {
            if (!is(c, "osclass"))
                continue;
            struct os_class *nc = realloc(x->classes, (x->nclasses + 1) * sizeof(*nc));
            if (!nc)
                return;
            x->classes = nc;
            struct os_class *k = &nc[x->nclasses++];
            memset(k, 0, sizeof(*k));
            k->type = prop_dup(c, "type");
            k->vendor = prop_dup(c, "vendor");
            k->osfamily = prop_dup(c, "osfamily");
            k->osgen = prop_dup(c, "osgen");
            k->accuracy = (uint8_t)prop_ll(c, "accuracy", 0);
            k->cpe = cpes(c, &k->ncpe);
        }
    }
}

/* What the file does not say of the report, from its matches: the verdict
 * (a 100% match: "OS details", else guesses) and the "Device type",
 * "Running" and "OS CPE" lists of their classes. */
static void finish_report(struct host_result *h)
{
    struct os_report *r = h->os_report;
    if (!r)
        return;
    if (h->nos) {
        bool perfect = h->os[0].accuracy == 100;
        r->verdict = perfect ? OS_VERDICT_DETAILS : OS_VERDICT_GUESSES;
        r->show_guesses = !perfect;
        r->running_guess = !perfect;
    }
    char types[256], running[512], cpe[1024];
    out_os_classes(h, types, sizeof(types), running, sizeof(running), cpe, sizeof(cpe));
    r->device_types = types[0] ? strdup(types) : NULL;
    r->running = running[0] ? strdup(running) : NULL;
    r->os_cpe = cpe[0] ? strdup(cpe) : NULL;
}

static void host_of(struct imp *im, xmlNode *hn, struct host_result *h)
{
    char buf[256];
    struct ipaddr none = {0};
    host_result_init(h, &none);
    h->owns_names = true;
    h->srtt_us = h->rttvar_us = h->timeout_us = -1;
    h->start.tv_sec = (time_t)prop_ll(hn, "starttime", 0);
    h->end.tv_sec = (time_t)prop_ll(hn, "endtime", 0);
    for (xmlNode *c = hn->children; c; c = c->next) {
        if (is(c, "status")) {
            h->status = codec_status(prop(c, "state", buf, sizeof(buf)));
            h->status_reason = codec_reason(prop(c, "reason", buf, sizeof(buf)));
            h->status_ttl = (uint8_t)prop_ll(c, "reason_ttl", 0);
        } else if (is(c, "address")) {
            const char *type = prop(c, "addrtype", buf, sizeof(buf));
            char addr[128];
            if (!prop(c, "addr", addr, sizeof(addr)))
                continue;
            if (type && !strcmp(type, "mac")) {
                unsigned m[6];
                if (sscanf(addr, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) ==
                    6) {
                    for (int i = 0; i < 6; i++)
                        h->mac[i] = (uint8_t)m[i];
                    h->have_mac = true;
                }
            } else {
                ipaddr_parse(addr, &h->addr);
            }
        } else if (is(c, "hostnames")) {
            for (xmlNode *n = c->children; n; n = n->next) {
                if (!is(n, "hostname"))
                    continue;
                const char *type = prop(n, "type", buf, sizeof(buf));
                char **field = type && !strcmp(type, "PTR") ? &h->rdns : (char **)&h->hostname;
                if (!*field)
                    *field = prop_dup(n, "name");
            }
        } else if (is(c, "ports")) {
            for (xmlNode *p = c->children; p; p = p->next) {
                if (is(p, "port"))
                    add_port(im, h, p);
                else if (is(p, "extraports"))
                    add_extraports(im, h, p);
            }
            qsort(h->ports, h->nports, sizeof(*h->ports), cmp_port);
        } else if (is(c, "os")) {
            os_of(c, h);
        } else if (os_extra_of(c, h)) {
            /* read into h->os_report */
        } else if (is(c, "hostscript")) {
            scripts(c, &h->scripts, &h->nscripts);
        } else if (is(c, "times")) {
            h->srtt_us = prop_ll(c, "srtt", -1);
            h->rttvar_us = prop_ll(c, "rttvar", -1);
            h->timeout_us = prop_ll(c, "to", -1);
        }
    }
    finish_report(h);
}

int store_import_xml(const char *buf, size_t len, const char *name, struct services *svc,
                     const struct result_sink *sink, size_t *nhosts, char *err, size_t errlen)
{
    *nhosts = 0;
    if (len > INT_MAX) {
        snprintf(err, errlen, "%s: too large", name);
        return -1;
    }
    struct imp im = {.pool = codec_pool_new(), .svc = svc};
    if (!im.pool) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    xmlResetLastError();
    xmlDoc *doc = xmlReadMemory(buf, (int)len, name, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char msg[256] = "parse error";
        if (e && e->message)
            snprintf(msg, sizeof(msg), "%.*s", (int)strcspn(e->message, "\n"), e->message);
        snprintf(err, errlen, "%s:%d: not an XML file: %s", name, e ? e->line : 0, msg);
        codec_pool_free(im.pool);
        return -1;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is(root, "nmaprun")) {
        xmlFreeDoc(doc);
        codec_pool_free(im.pool);
        snprintf(err, errlen, "%s: not nmap XML output (no <nmaprun> root; give a file from -oX)",
                 name);
        return -1;
    }
    struct scan_info info;
    memset(&info, 0, sizeof(info));
    info.scanner = prop_dup(root, "scanner");
    info.version = prop_dup(root, "version");
    info.args = prop_dup(root, "args");
    info.start.tv_sec = (time_t)prop_ll(root, "start", 0);
    info.mode = SCAN_MODE_PING;
    for (xmlNode *n = doc->children; n; n = n->next)
        if (n->type == XML_PI_NODE && !xmlStrcmp(n->name, BAD_CAST "xml-stylesheet") &&
            n->content && !info.stylesheet) {
            const char *h = strstr((const char *)n->content, "href=\"");
            if (h) {
                h += 6;
                info.stylesheet = strndup(h, strcspn(h, "\""));
            }
        }
    struct scan_summary sum = {.start = info.start, .end = info.start};
    char errormsg[512] = "";
    for (xmlNode *c = root->children; c; c = c->next) {
        char b[64];
        if (is(c, "scaninfo") && info.ntypes < SCAN_INFO_MAX_TYPES) {
            struct scan_info_type *t = &info.types[info.ntypes++];
            prop(c, "type", t->type, sizeof(t->type));
            prop(c, "scanflags", t->scanflags, sizeof(t->scanflags));
            t->proto = codec_proto(prop(c, "protocol", b, sizeof(b)));
            t->nservices = (size_t)prop_ll(c, "numservices", 0);
            t->services = prop_dup(c, "services");
            info.mode = SCAN_MODE_PORTS;
        } else if (is(c, "verbose")) {
            info.verbose = (int)prop_ll(c, "level", 0);
        } else if (is(c, "debugging")) {
            info.debug = (int)prop_ll(c, "level", 0);
        }
    }
    int brc = sink_begin(sink, &info);
    for (xmlNode *c = root->children; brc == 0 && c; c = c->next) {
        if (is(c, "host")) {
            struct host_result h;
            host_of(&im, c, &h);
            sink_host(sink, &h);
            host_result_free(&h);
            ++*nhosts;
        } else if (is(c, "runstats")) {
            for (xmlNode *r = c->children; r; r = r->next) {
                if (is(r, "finished")) {
                    sum.end.tv_sec = (time_t)prop_ll(r, "time", 0);
                    char el[64];
                    sum.elapsed_s = prop(r, "elapsed", el, sizeof(el)) ? strtod(el, NULL) : 0;
                    char ex[32];
                    if (prop(r, "exit", ex, sizeof(ex)) && !strcmp(ex, "error")) {
                        if (!prop(r, "errormsg", errormsg, sizeof(errormsg)))
                            snprintf(errormsg, sizeof(errormsg), "scan failed");
                        sum.error = errormsg;
                    }
                } else if (is(r, "hosts")) {
                    sum.hosts_up = (uint64_t)prop_ll(r, "up", 0);
                    sum.hosts_down = (uint64_t)prop_ll(r, "down", 0);
                    sum.hosts_total = (uint64_t)prop_ll(r, "total", 0);
                }
            }
        }
    }
    /* No <runstats>: nmap died (Ctrl-C) before it closed the file. */
    if (sum.end.tv_sec == 0 && !sum.error)
        sum.interrupted = true;
    int erc = sink_end(sink, &sum);
    xmlFreeDoc(doc);
    scan_info_free(&info);
    codec_pool_free(im.pool);
    if (brc < 0 || erc < 0) {
        snprintf(err, errlen, "%s: storing it failed", name);
        return -1;
    }
    return 0;
}

/* The whole of path, malloc'd; NULL with errno set. */
static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        char *nb = cap < (size_t)INT_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = EFBIG;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(fp)) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *len = n;
    return buf;
}

static int import_file(struct db_ctx *ctx, struct services *svc, const char *path)
{
    char err[1024];
    size_t len;
    char *buf = read_all(path, &len);
    if (!buf)
        return db_fail(1, "cannot read %s: %s", path, strerror(errno));
    char origin[4200];
    snprintf(origin, sizeof(origin), "import %s", path);
    struct store_job job = {.target = ctx->target, .origin = origin};
    struct store_writer *w = store_writer_new(&ctx->st, &job, err, sizeof(err));
    if (!w) {
        free(buf);
        return db_fail(2, "%s", err);
    }
    struct result_sink sink = store_writer_sink(w);
    size_t nhosts;
    int rc = store_import_xml(buf, len, path, svc, &sink, &nhosts, err, sizeof(err));
    int64_t id = store_writer_scan_id(w);
    store_writer_free(w);
    free(buf);
    if (rc < 0)
        return db_fail(id > 0 ? 2 : 1, "%s", err);
    printf("Imported %s as scan %lld (%zu host%s).\n", path, (long long)id, nhosts,
           nhosts == 1 ? "" : "s");
    return 0;
}

int db_cmd_import(struct db_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return db_fail(1, "usage: prtip db import FILE.xml ...");
    if (db_ctx_store(ctx) < 0)
        return 2;
    char path[4096], err[512];
    struct services *svc = NULL;
    const char *svcpath = datafile_find(NULL, "nmap-services", path, sizeof(path));
    if (svcpath)
        svc = services_load(svcpath, err, sizeof(err));
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++)
        rc = import_file(ctx, svc, argv[i]);
    services_free(svc);
    return rc;
}
