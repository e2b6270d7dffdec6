/*
 * xml.c — nmap's XML output (-oX), written with libxml2's xmlTextWriter so
 * that escaping is the library's job. The document validates against
 * /usr/share/nmap/nmap.dtd: that DTD only allows scanner="nmap", so our
 * identity goes into version, args, profile_name and the leading comment
 * (docs/OUTPUT.md). Line breaks are placed where nmap puts them so that
 * line-oriented tools that grep nmap XML keep working.
 *
 * The document is flushed after every host and closed on Ctrl-C too, so a
 * file is a valid document whenever close has run.
 */
#include "output/output.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

#include <libxml/encoding.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xml_state {
    xmlTextWriterPtr w;
    bool failed;    /* a libxml2 call failed; reported by the next callback */
    bool skip_host; /* current host is not written (down without -v) */
    bool in_ports;  /* <ports> is open */
};

/*
 * XML 1.0 cannot carry control characters at all (not even as character
 * references) and libxml2 expects UTF-8. Names and arguments come from the
 * user or from DNS, so replace what XML cannot hold with '?'. Everything
 * else is escaped by libxml2. Caller frees.
 */
static char *xml_clean(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    bool utf8_ok = xmlCheckUTF8((const unsigned char *)s) != 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool bad = (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\0') || c == 0x7f ||
                   (!utf8_ok && c >= 0x80);
        out[i] = bad ? '?' : (char)c;
    }
    return out;
}

static void check(struct xml_state *st, int rc)
{
    if (rc < 0)
        st->failed = true;
}

static void nl(struct xml_state *st)
{
    check(st, xmlTextWriterWriteRaw(st->w, BAD_CAST "\n"));
}

static void start(struct xml_state *st, const char *name)
{
    check(st, xmlTextWriterStartElement(st->w, BAD_CAST name));
}

static void end(struct xml_state *st)
{
    check(st, xmlTextWriterEndElement(st->w));
}

static void attr(struct xml_state *st, const char *name, const char *value)
{
    char *clean = xml_clean(value);
    if (!clean) {
        st->failed = true;
        return;
    }
    check(st, xmlTextWriterWriteAttribute(st->w, BAD_CAST name, BAD_CAST clean));
    free(clean);
}

static void attrf(struct xml_state *st, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void attrf(struct xml_state *st, const char *name, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    attr(st, name, buf);
}

static void format_ctime(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}

static int finish(struct output *o, struct xml_state *st)
{
    check(st, xmlTextWriterFlush(st->w));
    if (fflush(o->fp) != 0 || ferror(o->fp))
        st->failed = true;
    return st->failed ? -1 : 0;
}

/*
 * The leading comment repeats the command line. A comment cannot contain
 * "--" and has no escapes, so nmap writes the second dash as the text
 * "&#45;"; do the same so that comments look like nmap's.
 */
static void write_comment(struct xml_state *st, const char *when, const char *args)
{
    char *clean = xml_clean(args);
    size_t n = clean ? strlen(clean) : 0;
    char *text = malloc(n * 5 + 128);
    if (!clean || !text) {
        free(clean);
        free(text);
        st->failed = true;
        return;
    }
    size_t len = (size_t)sprintf(text, " prtip %s scan initiated %s as: ", PRTIP_VERSION, when);
    for (size_t i = 0; i < n; i++) {
        if (clean[i] == '-' && i > 0 && clean[i - 1] == '-') {
            memcpy(text + len, "&#45;", 5);
            len += 5;
        } else {
            text[len++] = clean[i];
        }
    }
    memcpy(text + len, " ", 2);
    check(st, xmlTextWriterWriteComment(st->w, BAD_CAST text));
    free(text);
    free(clean);
}

static void write_scaninfo(struct xml_state *st, const struct scan *scan)
{
    /* nmap writes no scaninfo when no port is scanned (-sn, -sL). */
    for (size_t i = 0; i < scan->ntypes && !scan->disc.ping_only && !scan->disc.list_only; i++) {
        const struct scan_module *m = scan->types[i];
        if (!m)
            continue;
        size_t n = m->proto < PROTO_COUNT ? scan->ports.count[m->proto] : 0;
        char *ranges = ports_format_ranges(n ? scan->ports.ports[m->proto] : NULL, n);
        if (!ranges) {
            st->failed = true;
            return;
        }
        start(st, "scaninfo");
        attr(st, "type", m->xml_type);
        if (m->engine == SCAN_ENGINE_RAW && scan->raw.scanflags >= 0) {
            char flags[32];
            attr(st, "scanflags",
                 tcp_scanflags_format((uint8_t)scan->raw.scanflags, flags, sizeof(flags)));
        }
        attr(st, "protocol", port_proto_name(m->proto));
        attrf(st, "numservices", "%zu", n);
        attr(st, "services", ranges);
        end(st);
        nl(st);
        free(ranges);
    }
}

static int xml_open(struct output *o)
{
    struct xml_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    /* The writer borrows o->fp: closing the buffer flushes, never fcloses. */
    xmlOutputBufferPtr buf = xmlOutputBufferCreateFile(o->fp, NULL);
    st->w = buf ? xmlNewTextWriter(buf) : NULL;
    if (!st->w) {
        if (buf)
            xmlOutputBufferClose(buf);
        free(st);
        o->priv = NULL;
        return -1;
    }

    const struct scan *scan = o->scan;
    const char *args = scan->args ? scan->args : "prtip";
    time_t t0 = scan->summary.start.tv_sec ? scan->summary.start.tv_sec : time(NULL);
    char when[64];
    format_ctime(t0, when, sizeof(when));

    check(st, xmlTextWriterStartDocument(st->w, "1.0", "UTF-8", NULL));
    check(st, xmlTextWriterWriteDTD(st->w, BAD_CAST "nmaprun", NULL, NULL, NULL));
    nl(st);
    write_comment(st, when, args);
    nl(st);
    start(st, "nmaprun");
    attr(st, "scanner", "nmap"); /* the only value nmap.dtd allows */
    attr(st, "args", args);
    attrf(st, "start", "%lld", (long long)t0);
    attr(st, "startstr", when);
    attr(st, "version", PRTIP_VERSION);
    attr(st, "profile_name", "prtip");
    attr(st, "xmloutputversion", "1.05");
    nl(st);
    write_scaninfo(st, scan);
    start(st, "verbose");
    attrf(st, "level", "%d", scan->verbose);
    end(st);
    nl(st);
    start(st, "debugging");
    attrf(st, "level", "%d", scan->debug);
    end(st);
    nl(st);
    return finish(o, st);
}

static void write_hostnames(struct xml_state *st, const struct host_result *h)
{
    /* A list scan (-sL) host without names has no <hostnames> at all in
     * nmap's XML; every other host has the element, even empty. */
    if (h->status == HOST_UNKNOWN && !h->hostname && !h->rdns)
        return;
    start(st, "hostnames");
    nl(st);
    if (h->hostname) {
        start(st, "hostname");
        attr(st, "name", h->hostname);
        attr(st, "type", "user");
        end(st);
        nl(st);
    }
    if (h->rdns) {
        start(st, "hostname");
        attr(st, "name", h->rdns);
        attr(st, "type", "PTR");
        end(st);
        nl(st);
    }
    end(st);
    nl(st);
}

/* <extraports state count> with one <extrareasons> per (reason, protocol),
 * listing the ports in nmap's range form. */
static void write_extraports(struct xml_state *st, const struct host_result *h, unsigned hidden)
{
    size_t counts[PORT_STATE_COUNT];
    result_state_counts(h, counts);
    uint16_t *list = malloc((h->nports ? h->nports : 1) * sizeof(*list));
    if (!list) {
        st->failed = true;
        return;
    }
    for (int s = 0; s < PORT_STATE_COUNT; s++) {
        if (!(hidden & (1u << s)) || counts[s] == 0)
            continue;
        start(st, "extraports");
        attr(st, "state", port_state_name(s));
        attrf(st, "count", "%zu", counts[s]);
        nl(st);
        for (int r = 0; r < REASON_COUNT; r++) {
            for (int pr = 0; pr < PROTO_COUNT; pr++) {
                size_t n = 0;
                for (size_t i = 0; i < h->nports; i++) {
                    const struct port_result *p = &h->ports[i];
                    if (p->state == s && p->reason == r && p->proto == pr)
                        list[n++] = p->port;
                }
                if (n == 0)
                    continue;
                /* Ports arrive in scan order; the range form needs them sorted. */
                for (size_t i = 1; i < n; i++) {
                    uint16_t v = list[i];
                    size_t j = i;
                    for (; j > 0 && list[j - 1] > v; j--)
                        list[j] = list[j - 1];
                    list[j] = v;
                }
                char *ranges = ports_format_ranges(list, n);
                start(st, "extrareasons");
                attr(st, "reason", reason_name(r));
                attrf(st, "count", "%zu", n);
                attr(st, "proto", port_proto_name(pr));
                attr(st, "ports", ranges ? ranges : "");
                end(st);
                nl(st);
                if (!ranges)
                    st->failed = true;
                free(ranges);
            }
        }
        end(st);
        nl(st);
    }
    free(list);
}

/* nmap's host states; a timed-out host was up (it answered) but unfinished. */
static const char *host_state(const struct host_result *h)
{
    if (h->status == HOST_UP || h->timed_out)
        return "up";
    return h->status == HOST_DOWN ? "down" : "unknown";
}

static int xml_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct xml_state *st = o->priv;
    /* Down hosts only with -v; list-scan hosts (state unknown) always. */
    st->skip_host = h->status == HOST_DOWN && !h->timed_out && o->scan->verbose <= 0;
    st->in_ports = false;
    if (st->skip_host)
        return 0;

    start(st, "host");
    /* nmap stamps a host's times only when its ports were scanned. */
    if (!o->scan->disc.ping_only && !o->scan->disc.list_only) {
        attrf(st, "starttime", "%lld", (long long)h->start.tv_sec);
        attrf(st, "endtime", "%lld", (long long)h->end.tv_sec);
    }
    if (h->timed_out) {
        attr(st, "timedout", "true");
        attr(st, "comment", "Timed out");
    }
    start(st, "status");
    attr(st, "state", host_state(h));
    attr(st, "reason", reason_name(h->status_reason));
    attrf(st, "reason_ttl", "%u", h->status_ttl);
    end(st);
    nl(st);

    char addr[IPADDR_STRLEN];
    start(st, "address");
    attr(st, "addr", ipaddr_str(&h->addr, addr, sizeof(addr)));
    attr(st, "addrtype", h->addr.family == AF_INET6 ? "ipv6" : "ipv4");
    end(st);
    nl(st);
    if (h->have_mac) {
        char mac[18];
        snprintf(mac, sizeof(mac), "%02X:%02X:%02X:%02X:%02X:%02X", h->mac[0], h->mac[1], h->mac[2],
                 h->mac[3], h->mac[4], h->mac[5]);
        start(st, "address");
        attr(st, "addr", mac);
        attr(st, "addrtype", "mac");
        end(st);
        nl(st);
    }
    write_hostnames(st, h);

    /* A timed-out host's port list is incomplete: nmap omits it. */
    if (h->status == HOST_UP && !h->timed_out && h->nports > 0) {
        start(st, "ports");
        st->in_ports = true;
        write_extraports(st, h, hidden);
    }
    return st->failed ? -1 : 0;
}

static int xml_port(struct output *o, const struct host_result *h, const struct port_result *p)
{
    struct xml_state *st = o->priv;
    if (st->skip_host || !st->in_ports)
        return 0;
    start(st, "port");
    attr(st, "protocol", port_proto_name(p->proto));
    attrf(st, "portid", "%u", p->port);
    start(st, "state");
    attr(st, "state", port_state_name(p->state));
    attr(st, "reason", reason_name(p->reason));
    attrf(st, "reason_ttl", "%u", p->reason_ttl);
    end(st);
    start(st, "service");
    attr(st, "name", p->service ? p->service : "unknown");
    attr(st, "method", "table");
    attr(st, "conf", "3");
    end(st);
    end(st);
    nl(st);
    return st->failed ? -1 : 0;
}

static int xml_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct xml_state *st = o->priv;
    if (st->skip_host)
        return 0;
    if (st->in_ports) {
        end(st); /* </ports> */
        nl(st);
        st->in_ports = false;
    }
    if (h->srtt_us >= 0) {
        start(st, "times");
        attrf(st, "srtt", "%lld", (long long)h->srtt_us);
        attrf(st, "rttvar", "%lld", (long long)(h->rttvar_us >= 0 ? h->rttvar_us : 0));
        attrf(st, "to", "%lld", (long long)(h->timeout_us >= 0 ? h->timeout_us : 0));
        end(st);
        nl(st);
    }
    end(st); /* </host> */
    nl(st);
    return finish(o, st);
}

static int xml_close(struct output *o, const struct scan_summary *sum)
{
    struct xml_state *st = o->priv;
    if (!st)
        return -1;
    time_t t1 = sum->end.tv_sec ? sum->end.tv_sec : time(NULL);
    char when[64], summary[256];
    format_ctime(t1, when, sizeof(when));
    snprintf(summary, sizeof(summary),
             "prtip done at %s; %llu IP address%s (%llu host%s up) scanned in %.2f seconds", when,
             (unsigned long long)sum->hosts_total, sum->hosts_total == 1 ? "" : "es",
             (unsigned long long)sum->hosts_up, sum->hosts_up == 1 ? "" : "s", sum->elapsed_s);
    bool ok = !sum->interrupted && !sum->error;

    start(st, "runstats");
    start(st, "finished");
    attrf(st, "time", "%lld", (long long)t1);
    attr(st, "timestr", when);
    attr(st, "summary", summary);
    attrf(st, "elapsed", "%.2f", sum->elapsed_s);
    attr(st, "exit", ok ? "success" : "error");
    if (!ok)
        attr(st, "errormsg", sum->error ? sum->error : "interrupted");
    end(st);
    start(st, "hosts");
    attrf(st, "up", "%llu", (unsigned long long)sum->hosts_up);
    attrf(st, "down", "%llu", (unsigned long long)sum->hosts_down);
    attrf(st, "total", "%llu", (unsigned long long)sum->hosts_total);
    end(st);
    nl(st);
    end(st); /* </runstats> */
    nl(st);
    /* Closes </nmaprun> and anything a failed host left open. */
    check(st, xmlTextWriterEndDocument(st->w));
    int rc = finish(o, st);
    xmlFreeTextWriter(st->w);
    free(st);
    o->priv = NULL;
    return rc;
}

const struct output_module output_xml = {
    .name = "xml",
    .option = "-oX",
    .ext = "xml",
    .open = xml_open,
    .host_begin = xml_host_begin,
    .port = xml_port,
    .host_end = xml_host_end,
    .close = xml_close,
};
