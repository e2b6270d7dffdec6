/*
 * db_compare.c — prtip db compare A B: what changed from scan A to scan B,
 * with ndiff's semantics (nmap's ndiff.py, "ndiff(1)"): hosts are matched
 * by address; a host is present in a scan when it was up (nmap's XML
 * lists only those); a host present in one scan only appeared or
 * vanished; for a host in both, a port differs when its state or its
 * service (name, product, version, extrainfo) differs, a port missing on
 * one side having state "unknown". Unlike ndiff, which sees only the ports
 * a file lists, the store has every port's state, so a port that nmap
 * would fold into "Not shown: 997 closed ports" compares by its real
 * state (docs/STORAGE.md).
 *
 * Output: text as ndiff's (default), --xml or --json.
 */
#include "output/json_text.h"
#include "output/render.h"
#include "store/db_cmd.h"
#include "store/reader.h"

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct keyed {
    char key[33];
    const struct host_result *h;
};

static int cmp_keyed(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Up hosts of s sorted by address (a later record of one address wins). */
static struct keyed *index_hosts(const struct stored_scan *s, size_t *n)
{
    struct keyed *k = calloc(s->nhosts ? s->nhosts : 1, sizeof(*k));
    if (!k)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < s->nhosts; i++)
        if (s->hosts[i].status == HOST_UP) {
            codec_addr_key(&s->hosts[i].addr, k[m].key);
            k[m++].h = &s->hosts[i];
        }
    qsort(k, m, sizeof(*k), cmp_keyed);
    *n = m;
    return k;
}

static int cmp_port(const void *a, const void *b)
{
    const struct port_result *x = *(const struct port_result *const *)a;
    const struct port_result *y = *(const struct port_result *const *)b;
    if (x->proto != y->proto)
        return x->proto < y->proto ? -1 : 1;
    return x->port < y->port ? -1 : x->port > y->port;
}

static const struct port_result **sorted_ports(const struct host_result *h)
{
    const struct port_result **p = calloc(h->nports ? h->nports : 1, sizeof(*p));
    if (!p)
        return NULL;
    for (size_t i = 0; i < h->nports; i++)
        p[i] = &h->ports[i];
    qsort(p, h->nports, sizeof(*p), cmp_port);
    return p;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The service fields ndiff compares; NULL p gives all NULL. */
struct svc {
    const char *name, *product, *version, *extrainfo, *tunnel;
};

static struct svc svc_of(const struct port_result *p)
{
    struct svc s = {0};
    if (!p)
        return s;
    const struct service_result *r = p->detail ? p->detail->service : NULL;
    s.name = r && r->name ? r->name : p->service;
    if (r) {
        s.product = r->product;
        s.version = r->version;
        s.extrainfo = r->extrainfo;
        s.tunnel = r->tunnel_ssl ? "ssl" : NULL;
    }
    return s;
}

static bool port_same(const struct port_result *a, const struct port_result *b)
{
    if (!a || !b || a->state != b->state)
        return false;
    struct svc x = svc_of(a), y = svc_of(b);
    return str_eq(x.name, y.name) && str_eq(x.product, y.product) && str_eq(x.version, y.version) &&
           str_eq(x.extrainfo, y.extrainfo);
}

/* One difference: a port of a host in both scans (a or b NULL = absent). */
struct pdiff {
    const struct port_result *a, *b;
};

/* A host's diff: kind '+' appeared, '-' vanished, ' ' changed. */
struct hdiff {
    char kind;
    const struct host_result *h; /* b's record, or a's when vanished */
    const struct host_result *ha;
    struct pdiff *ports;
    size_t nports;
};

struct diff {
    struct hdiff *hosts;
    size_t n, cap;
};

static int add_host(struct diff *d, struct hdiff hd)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct hdiff *nh = realloc(d->hosts, cap * sizeof(*nh));
        if (!nh)
            return -1;
        d->hosts = nh;
        d->cap = cap;
    }
    d->hosts[d->n++] = hd;
    return 0;
}

static int diff_ports(const struct host_result *ha, const struct host_result *hb, struct hdiff *out)
{
    const struct port_result **pa = sorted_ports(ha), **pb = sorted_ports(hb);
    out->ports = calloc(ha->nports + hb->nports + 1, sizeof(*out->ports));
    if (!pa || !pb || !out->ports) {
        free(pa);
        free(pb);
        return -1;
    }
    size_t i = 0, j = 0;
    while (i < ha->nports || j < hb->nports) {
        int c = i == ha->nports ? 1 : j == hb->nports ? -1 : cmp_port(&pa[i], &pb[j]);
        const struct port_result *a = c <= 0 ? pa[i++] : NULL;
        const struct port_result *b = c >= 0 ? pb[j++] : NULL;
        if (!port_same(a, b))
            out->ports[out->nports++] = (struct pdiff){a, b};
    }
    free(pa);
    free(pb);
    return 0;
}

static int compute(const struct stored_scan *a, const struct stored_scan *b, struct diff *d)
{
    size_t na, nb;
    struct keyed *ka = index_hosts(a, &na), *kb = index_hosts(b, &nb);
    int rc = ka && kb ? 0 : -1;
    size_t i = 0, j = 0;
    while (rc == 0 && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(ka[i].key, kb[j].key);
        struct hdiff hd = {0};
        if (c < 0) {
            hd = (struct hdiff){.kind = '-', .h = ka[i++].h};
        } else if (c > 0) {
            hd = (struct hdiff){.kind = '+', .h = kb[j++].h};
        } else {
            hd = (struct hdiff){.kind = ' ', .h = kb[j++].h, .ha = ka[i++].h};
            if (diff_ports(hd.ha, hd.h, &hd) < 0) {
                rc = -1;
                break;
            }
            if (hd.nports == 0) {
                free(hd.ports);
                continue;
            }
        }
        rc = add_host(d, hd);
    }
    free(ka);
    free(kb);
    return rc;
}

static void diff_free(struct diff *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->hosts[i].ports);
    free(d->hosts);
}

static const char *state_of(const struct port_result *p)
{
    return p ? port_state_name((enum port_state)p->state) : "unknown";
}

static void version_string(const struct svc *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s%s%s", s->product ? s->product : "",
             s->product && s->version ? " " : "", s->version ? s->version : "",
             (s->product || s->version) && s->extrainfo ? " " : "", s->extrainfo ? "(" : "",
             s->extrainfo ? s->extrainfo : "", s->extrainfo ? ")" : "");
}

static void text_port(char mark, const struct port_result *p, uint16_t port, uint8_t proto)
{
    struct svc s = svc_of(p);
    char spec[16], name[64], ver[256];
    snprintf(spec, sizeof(spec), "%u/%s", port, port_proto_name((enum port_proto)proto));
    snprintf(name, sizeof(name), "%s%s%s", s.tunnel ? s.tunnel : "", s.tunnel ? "/" : "",
             s.name ? s.name : "");
    version_string(&s, ver, sizeof(ver));
    char line[512];
    snprintf(line, sizeof(line), "%c%-9s %-6s %s%s%s", mark, spec, state_of(p), name,
             ver[0] ? " " : "", ver);
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        line[--n] = '\0';
    puts(line);
}

static void scan_line(char mark, const struct stored_scan *s)
{
    char when[64];
    time_t t = s->info.start.tv_sec;
    struct tm tm;
    strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y", localtime_r(&t, &tm));
    printf("%c%s %s scan initiated %s as: %s\n", mark, s->info.scanner ? s->info.scanner : "prtip",
           s->info.version ? s->info.version : "", when, s->info.args ? s->info.args : "");
}

static void host_name(const struct host_result *h, char *buf, size_t len)
{
    char addr[IPADDR_STRLEN];
    ipaddr_str(&h->addr, addr, sizeof(addr));
    const char *name = h->hostname ? h->hostname : h->rdns;
    if (name)
        snprintf(buf, len, "%s (%s)", name, addr);
    else
        snprintf(buf, len, "%s", addr);
}

static void print_text(const struct stored_scan *a, const struct stored_scan *b,
                       const struct diff *d)
{
    scan_line('-', a);
    scan_line('+', b);
    for (size_t i = 0; i < d->n; i++) {
        const struct hdiff *hd = &d->hosts[i];
        char name[512];
        host_name(hd->h, name, sizeof(name));
        printf("\n%c%s:\n", hd->kind, name);
        if (hd->kind != ' ')
            printf("%cHost is up.\n", hd->kind);
        printf("%cPORT      STATE  SERVICE VERSION\n", hd->kind);
        if (hd->kind != ' ') {
            const struct host_result *h = hd->h;
            unsigned hidden = result_hidden_states(h, 0, false);
            const struct port_result **ps = sorted_ports(h);
            for (size_t k = 0; ps && k < h->nports; k++)
                if (!(hidden & (1u << ps[k]->state)))
                    text_port(hd->kind, ps[k], ps[k]->port, ps[k]->proto);
            free(ps);
            continue;
        }
        for (size_t k = 0; k < hd->nports; k++) {
            const struct pdiff *p = &hd->ports[k];
            const struct port_result *any = p->a ? p->a : p->b;
            /* As ndiff: a side without the port prints nothing. */
            if (p->a)
                text_port('-', p->a, any->port, any->proto);
            if (p->b)
                text_port('+', p->b, any->port, any->proto);
        }
    }
}

static json_t *jport(const struct port_result *p)
{
    if (!p)
        return json_pack("{s:s}", "state", "unknown");
    struct svc s = svc_of(p);
    json_t *o = json_pack("{s:s}", "state", state_of(p));
    const char *keys[] = {"service", "product", "version", "extrainfo", "tunnel"};
    const char *vals[] = {s.name, s.product, s.version, s.extrainfo, s.tunnel};
    for (size_t i = 0; i < 5; i++)
        if (vals[i]) /* (a banner's bytes need not be UTF-8, which jansson requires) */
            json_object_set_new(o, keys[i], out_json_text(vals[i]));
    return o;
}

static json_t *jscan(const struct stored_scan *s)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < s->nids; i++)
        json_array_append_new(ids, json_integer(s->ids[i]));
    return json_pack("{s:o,s:s?,s:I,s:s}", "ids", ids, "job", s->job, "start",
                     (json_int_t)s->info.start.tv_sec, "args", s->info.args ? s->info.args : "");
}

static json_t *jhostports(const struct host_result *h)
{
    json_t *a = json_array();
    const struct port_result **ps = sorted_ports(h);
    for (size_t k = 0; ps && k < h->nports; k++) {
        json_t *o = jport(ps[k]);
        json_object_set_new(o, "port", json_integer(ps[k]->port));
        json_object_set_new(o, "protocol",
                            json_string(port_proto_name((enum port_proto)ps[k]->proto)));
        json_array_append_new(a, o);
    }
    free(ps);
    return a;
}

static int print_json(const struct stored_scan *a, const struct stored_scan *b,
                      const struct diff *d)
{
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    for (size_t i = 0; i < d->n; i++) {
        const struct hdiff *hd = &d->hosts[i];
        char addr[IPADDR_STRLEN];
        ipaddr_str(&hd->h->addr, addr, sizeof(addr));
        if (hd->kind != ' ') {
            json_array_append_new(hd->kind == '+' ? added : removed,
                                  json_pack("{s:s,s:o}", "addr", addr, "ports", jhostports(hd->h)));
            continue;
        }
        json_t *ports = json_array();
        for (size_t k = 0; k < hd->nports; k++) {
            const struct pdiff *p = &hd->ports[k];
            const struct port_result *any = p->a ? p->a : p->b;
            json_array_append_new(ports,
                                  json_pack("{s:i,s:s,s:o,s:o}", "port", any->port, "protocol",
                                            port_proto_name((enum port_proto)any->proto), "a",
                                            jport(p->a), "b", jport(p->b)));
        }
        json_array_append_new(changed, json_pack("{s:s,s:o}", "addr", addr, "ports", ports));
    }
    json_t *root = json_pack("{s:o,s:o,s:o,s:o,s:o}", "a", jscan(a), "b", jscan(b), "hosts_added",
                             added, "hosts_removed", removed, "hosts_changed", changed);
    int rc = root ? json_dumpf(root, stdout, JSON_INDENT(2)) : -1;
    fputc('\n', stdout);
    json_decref(root);
    return rc;
}

/* An attribute whose text may hold what XML cannot (a banner's bytes). */
static void xattr(xmlTextWriterPtr w, const char *name, const char *value)
{
    char *clean = xml_clean(value);
    xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST(clean ? clean : ""));
    free(clean);
}

static void xport(xmlTextWriterPtr w, const char *side, const struct port_result *p)
{
    struct svc s = svc_of(p);
    xmlTextWriterStartElement(w, BAD_CAST side);
    xmlTextWriterWriteAttribute(w, BAD_CAST "state", BAD_CAST state_of(p));
    const char *keys[] = {"service", "product", "version", "extrainfo", "tunnel"};
    const char *vals[] = {s.name, s.product, s.version, s.extrainfo, s.tunnel};
    for (size_t i = 0; i < 5; i++)
        if (vals[i])
            xattr(w, keys[i], vals[i]);
    xmlTextWriterEndElement(w);
}

static void xscan(xmlTextWriterPtr w, const char *side, const struct stored_scan *s)
{
    xmlTextWriterStartElement(w, BAD_CAST "scan");
    xmlTextWriterWriteAttribute(w, BAD_CAST "side", BAD_CAST side);
    char ids[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < s->nids && used < sizeof(ids); i++)
        used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%lld", i ? "," : "",
                                 (long long)s->ids[i]);
    xmlTextWriterWriteAttribute(w, BAD_CAST "ids", BAD_CAST ids);
    xmlTextWriterWriteFormatAttribute(w, BAD_CAST "start", "%lld", (long long)s->info.start.tv_sec);
    xattr(w, "args", s->info.args);
    xmlTextWriterEndElement(w);
}

static int print_xml(const struct stored_scan *a, const struct stored_scan *b, const struct diff *d)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w) {
        xmlBufferFree(buf);
        return -1;
    }
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    xmlTextWriterStartElement(w, BAD_CAST "prtipdiff");
    xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "1");
    xscan(w, "a", a);
    xscan(w, "b", b);
    for (size_t i = 0; i < d->n; i++) {
        const struct hdiff *hd = &d->hosts[i];
        char addr[IPADDR_STRLEN];
        ipaddr_str(&hd->h->addr, addr, sizeof(addr));
        xmlTextWriterStartElement(w, BAD_CAST "host");
        xmlTextWriterWriteAttribute(w, BAD_CAST "addr", BAD_CAST addr);
        xmlTextWriterWriteAttribute(w, BAD_CAST "change",
                                    BAD_CAST(hd->kind == '+'   ? "added"
                                             : hd->kind == '-' ? "removed"
                                                               : "changed"));
        if (hd->kind == ' ') {
            for (size_t k = 0; k < hd->nports; k++) {
                const struct pdiff *p = &hd->ports[k];
                const struct port_result *any = p->a ? p->a : p->b;
                xmlTextWriterStartElement(w, BAD_CAST "port");
                xmlTextWriterWriteFormatAttribute(w, BAD_CAST "portid", "%u", any->port);
                xmlTextWriterWriteAttribute(w, BAD_CAST "protocol",
                                            BAD_CAST port_proto_name((enum port_proto)any->proto));
                xport(w, "a", p->a);
                xport(w, "b", p->b);
                xmlTextWriterEndElement(w);
            }
        }
        xmlTextWriterEndElement(w);
    }
    xmlTextWriterEndDocument(w);
    xmlFreeTextWriter(w);
    fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf), stdout);
    fputc('\n', stdout);
    xmlBufferFree(buf);
    return 0;
}

int db_cmd_compare(struct db_ctx *ctx, int argc, char **argv)
{
    const char *ref[2] = {NULL, NULL};
    int fmt = 0; /* 0 text, 1 xml, 2 json */
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--xml"))
            fmt = 1;
        else if (!strcmp(argv[i], "--json"))
            fmt = 2;
        else if (!ref[0])
            ref[0] = argv[i];
        else if (!ref[1])
            ref[1] = argv[i];
        else
            return db_fail(1, "usage: prtip db compare A B [--xml|--json]");
    }
    if (!ref[1])
        return db_fail(1, "usage: prtip db compare A B [--xml|--json] (ids, job names, latest, "
                          "previous)");
    if (db_ctx_store(ctx) < 0)
        return 2;
    struct stored_scan s[2];
    char err[1024];
    for (int k = 0; k < 2; k++) {
        int64_t ids[64];
        size_t n;
        if (stored_scan_resolve(&ctx->st, ref[k], ids, &n, 64, err, sizeof(err)) < 0 ||
            stored_scan_load(&ctx->st, ids, n, NULL, NULL, &s[k], err, sizeof(err)) < 0) {
            if (k)
                stored_scan_free(&s[0]);
            return db_fail(2, "%s", err);
        }
    }
    struct diff d = {0};
    int rc = compute(&s[0], &s[1], &d);
    if (rc == 0)
        rc = fmt == 1   ? print_xml(&s[0], &s[1], &d)
             : fmt == 2 ? print_json(&s[0], &s[1], &d)
                        : (print_text(&s[0], &s[1], &d), 0);
    diff_free(&d);
    stored_scan_free(&s[0]);
    stored_scan_free(&s[1]);
    if (fflush(stdout) != 0 || rc < 0)
        return db_fail(2, "compare: out of memory or cannot write");
    return 0;
}
