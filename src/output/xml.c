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
#include "output/render.h"
#include "output/xml_internal.h"

#include <libxml/encoding.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Is s UTF-8 whose every character XML 1.0 allows (its production Char:
 * no surrogates U+D800-U+DFFF, no U+FFFE/U+FFFF)? xmlCheckUTF8 accepts
 * encoded surrogates, which the parser then refuses (found by fuzz_output).
 * Control characters are left to the caller.
 */
static bool xml_utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, n, cp;
        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07;
        else
            return false;
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff)
            return false;
        s += n + 1;
    }
    return true;
}

/*
 * XML 1.0 cannot carry control characters at all (not even as character
 * references) and libxml2 expects UTF-8. Names and arguments come from the
 * user or from DNS, so replace what XML cannot hold with '?'. Everything
 * else is escaped by libxml2. Caller frees.
 */
char *xml_clean(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    bool utf8_ok = xml_utf8_ok((const unsigned char *)s);
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool bad = (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\0') || c == 0x7f ||
                   (!utf8_ok && c >= 0x80);
        out[i] = bad ? '?' : (char)c;
    }
    return out;
}

void xml_check(struct xml_state *st, int rc)
{
    if (rc < 0)
        st->failed = true;
}

void xml_nl(struct xml_state *st)
{
    xml_check(st, xmlTextWriterWriteRaw(st->w, BAD_CAST "\n"));
}

void xml_start(struct xml_state *st, const char *name)
{
    xml_check(st, xmlTextWriterStartElement(st->w, BAD_CAST name));
}

void xml_end(struct xml_state *st)
{
    xml_check(st, xmlTextWriterEndElement(st->w));
}

void xml_attr(struct xml_state *st, const char *name, const char *value)
{
    char *clean = xml_clean(value);
    if (!clean) {
        st->failed = true;
        return;
    }
    xml_check(st, xmlTextWriterWriteAttribute(st->w, BAD_CAST name, BAD_CAST clean));
    free(clean);
}

void xml_attrf(struct xml_state *st, const char *name, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    xml_attr(st, name, buf);
}

/* libxml2's buffer into o->fp; sync: fflush too (else the output set
 * flushes, output.c). */
static int finish_to(struct output *o, struct xml_state *st, bool sync)
{
    xml_check(st, xmlTextWriterFlush(st->w));
    if ((sync && fflush(o->fp) != 0) || ferror(o->fp)) {
        if (!st->err)
            st->err = errno ? errno : EIO;
        st->failed = true;
    }
    /* The caller reports errno: the write's own, not one from libxml2's
     * handling of it. */
    if (st->failed)
        errno = st->err ? st->err : EIO;
    return st->failed ? -1 : 0;
}

static int finish(struct output *o, struct xml_state *st)
{
    return finish_to(o, st, true);
}

/* libxml2's output callback: bytes go to the borrowed stream, and a failed
 * write keeps its errno for the one message the output set prints. */
static int xml_write(void *ctx, const char *buf, int len)
{
    struct xml_state *st = ctx;
    if (len > 0 && fwrite(buf, 1, (size_t)len, st->fp) != (size_t)len) {
        if (!st->err)
            st->err = errno ? errno : EIO;
        return -1;
    }
    return len;
}

/* libxml2 prints its own "I/O error : ..." lines on stderr; prtip reports a
 * failed output once, naming the file and the reason (output.c). */
static void xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
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
    xml_check(st, xmlTextWriterWriteComment(st->w, BAD_CAST text));
    free(text);
    free(clean);
}

static void write_scaninfo(struct xml_state *st, const struct scan_info *info)
{
    /* nmap writes no scaninfo when no port is scanned (-sn, -sL); the
     * begin record then has no types. */
    for (size_t i = 0; i < info->ntypes; i++) {
        const struct scan_info_type *t = &info->types[i];
        xml_start(st, "scaninfo");
        xml_attr(st, "type", t->type);
        if (t->scanflags[0])
            xml_attr(st, "scanflags", t->scanflags);
        xml_attr(st, "protocol", port_proto_name(t->proto));
        xml_attrf(st, "numservices", "%zu", t->nservices);
        xml_attr(st, "services", t->services ? t->services : "");
        xml_end(st);
        xml_nl(st);
    }
}

/* nmap's <?xml-stylesheet href="HREF" type="text/xsl"?> line after the
 * DOCTYPE, none when href is NULL (--no-stylesheet). The href is escaped
 * as an attribute value (nmap writes "&amp;" for "&"), which also keeps
 * "?>" out of the instruction. */
static void write_stylesheet(struct xml_state *st, const char *href_text)
{
    if (!href_text)
        return;
    /* --stylesheet is typed by the user: no control characters or broken
     * UTF-8 into the document (found by fuzz_output). */
    char *href = xml_clean(href_text);
    size_t len = href ? strlen(href) * 6 + 32 : 0; /* "&quot;" is the longest escape */
    char *pi = href ? malloc(len) : NULL, *q = pi;
    if (!pi) {
        free(href);
        st->failed = true;
        return;
    }
    q += sprintf(q, "href=\"");
    for (const char *c = href; *c; c++) {
        const char *e = *c == '&'   ? "&amp;"
                        : *c == '<' ? "&lt;"
                        : *c == '>' ? "&gt;"
                        : *c == '"' ? "&quot;"
                                    : NULL;
        if (e)
            q += sprintf(q, "%s", e);
        else
            *q++ = *c;
    }
    sprintf(q, "\" type=\"text/xsl\"");
    xml_check(st, xmlTextWriterWritePI(st->w, BAD_CAST "xml-stylesheet", BAD_CAST pi));
    free(pi);
    free(href);
    xml_nl(st);
}

static int xml_open(struct output *o)
{
    struct xml_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -1;
    o->priv = st;
    st->fp = o->fp;
    /* Per thread in libxml2: the output set's callbacks share one thread. */
    xmlSetGenericErrorFunc(NULL, xml_quiet);
    /* The writer borrows o->fp: closing the buffer flushes, never fcloses. */
    xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(xml_write, NULL, st, NULL);
    st->w = buf ? xmlNewTextWriter(buf) : NULL;
    if (!st->w) {
        if (buf)
            xmlOutputBufferClose(buf);
        free(st);
        o->priv = NULL;
        return -1;
    }

    const struct scan_info *info = o->info;
    const char *args = info->args ? info->args : "prtip";
    time_t t0 = out_start_time(info);
    char when[64];
    out_ctime(t0, when, sizeof(when));

    xml_check(st, xmlTextWriterStartDocument(st->w, "1.0", "UTF-8", NULL));
    xml_check(st, xmlTextWriterWriteDTD(st->w, BAD_CAST "nmaprun", NULL, NULL, NULL));
    xml_nl(st);
    write_stylesheet(st, info->stylesheet);
    write_comment(st, when, args);
    xml_nl(st);
    xml_start(st, "nmaprun");
    xml_attr(st, "scanner", "nmap"); /* the only value nmap.dtd allows */
    xml_attr(st, "args", args);
    xml_attrf(st, "start", "%lld", (long long)t0);
    xml_attr(st, "startstr", when);
    xml_attr(st, "version", PRTIP_VERSION);
    xml_attr(st, "profile_name", "prtip");
    xml_attr(st, "xmloutputversion", "1.05");
    xml_nl(st);
    write_scaninfo(st, info);
    xml_start(st, "verbose");
    xml_attrf(st, "level", "%d", info->verbose);
    xml_end(st);
    xml_nl(st);
    xml_start(st, "debugging");
    xml_attrf(st, "level", "%d", info->debug);
    xml_end(st);
    xml_nl(st);
    return finish(o, st);
}

static void write_hostnames(struct xml_state *st, const struct host_result *h)
{
    /* A list scan (-sL) host without names has no <hostnames> at all in
     * nmap's XML; every other host has the element, even empty. */
    if (h->status == HOST_UNKNOWN && !h->hostname && !h->rdns)
        return;
    xml_start(st, "hostnames");
    xml_nl(st);
    if (h->hostname) {
        xml_start(st, "hostname");
        xml_attr(st, "name", h->hostname);
        xml_attr(st, "type", "user");
        xml_end(st);
        xml_nl(st);
    }
    if (h->rdns) {
        xml_start(st, "hostname");
        xml_attr(st, "name", h->rdns);
        xml_attr(st, "type", "PTR");
        xml_end(st);
        xml_nl(st);
    }
    xml_end(st);
    xml_nl(st);
}

static void write_extrareason(void *ctx, enum reason r, enum port_proto proto, size_t n,
                              const char *ranges)
{
    struct xml_state *st = ctx;
    xml_start(st, "extrareasons");
    xml_attr(st, "reason", reason_name(r));
    xml_attrf(st, "count", "%zu", n);
    xml_attr(st, "proto", port_proto_name(proto));
    xml_attr(st, "ports", ranges);
    xml_end(st);
    xml_nl(st);
}

/* <extraports state count> with one <extrareasons> per (reason, protocol),
 * listing the ports in nmap's range form; states and reasons in nmap 7.93's
 * order (render.h), which parsers such as libnmap keep. */
static void write_extraports(struct xml_state *st, const struct host_result *h, unsigned hidden)
{
    int order[PORT_STATE_COUNT];
    size_t counts[PORT_STATE_COUNT];
    size_t n = out_hidden_order(h, hidden, order, counts);
    for (size_t i = 0; i < n; i++) {
        int s = order[i];
        xml_start(st, "extraports");
        xml_attr(st, "state", port_state_name(s));
        xml_attrf(st, "count", "%zu", counts[s]);
        xml_nl(st);
        if (out_extrareasons(h, s, write_extrareason, st) < 0)
            st->failed = true;
        xml_end(st);
        xml_nl(st);
    }
}

static int xml_host_begin(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct xml_state *st = o->priv;
    /* Down hosts only with -v; list-scan hosts (state unknown) always. */
    st->skip_host = h->status == HOST_DOWN && !h->timed_out && o->info->verbose <= 0;
    st->in_ports = false;
    if (st->skip_host)
        return 0;

    char note[96] = "";
    if (out_host_partial(h)) {
        /* nmap.dtd has no element for a host cut short; its host comment
         * attribute and an XML comment carry the marker validly. */
        out_partial_note(h, note, sizeof(note));
        char text[sizeof(note) + 48];
        snprintf(text, sizeof(text), " host interrupted: %s; they have no state ", note);
        xml_check(st, xmlTextWriterWriteComment(st->w, BAD_CAST text));
        xml_nl(st);
    }
    xml_start(st, "host");
    /* nmap stamps a host's times only when its ports were scanned. */
    if (o->info->mode == SCAN_MODE_PORTS) {
        xml_attrf(st, "starttime", "%lld", (long long)h->start.tv_sec);
        xml_attrf(st, "endtime", "%lld", (long long)h->end.tv_sec);
    }
    if (h->timed_out) {
        xml_attr(st, "timedout", "true");
        xml_attr(st, "comment", "Timed out");
    } else if (note[0]) {
        xml_attrf(st, "comment", "Interrupted: %s", note);
    }
    xml_start(st, "status");
    xml_attr(st, "state", out_host_state(h));
    xml_attr(st, "reason", reason_name(h->status_reason));
    xml_attrf(st, "reason_ttl", "%u", h->status_ttl);
    xml_end(st);
    xml_nl(st);

    char addr[IPADDR_STRLEN];
    xml_start(st, "address");
    xml_attr(st, "addr", ipaddr_str(&h->addr, addr, sizeof(addr)));
    xml_attr(st, "addrtype", h->addr.family == AF_INET6 ? "ipv6" : "ipv4");
    xml_end(st);
    xml_nl(st);
    if (h->have_mac) {
        char mac[MAC_STRLEN];
        mac_str(h->mac, false, mac);
        xml_start(st, "address");
        xml_attr(st, "addr", mac);
        xml_attr(st, "addrtype", "mac");
        xml_end(st);
        xml_nl(st);
    }
    write_hostnames(st, h);

    /* A timed-out host's port list is incomplete: nmap omits it. */
    if (h->status == HOST_UP && !h->timed_out && h->nports > 0) {
        xml_start(st, "ports");
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
    xml_start(st, "port");
    xml_attr(st, "protocol", port_proto_name(p->proto));
    xml_attrf(st, "portid", "%u", p->port);
    xml_start(st, "state");
    xml_attr(st, "state", port_state_name(p->state));
    xml_attr(st, "reason", reason_name(p->reason));
    xml_attrf(st, "reason_ttl", "%u", p->reason_ttl);
    if (p->detail && p->detail->have_reason_ip) {
        char a[IPADDR_STRLEN];
        xml_attr(st, "reason_ip", ipaddr_str(&p->detail->reason_ip, a, sizeof(a)));
    }
    xml_end(st);
    xml_write_service(st, p);
    if (p->detail && p->detail->tls)
        xml_write_tls(st, p->detail->tls);
    for (size_t i = 0; p->detail && i < p->detail->nscripts; i++)
        xml_write_script(st, &p->detail->scripts[i]);
    xml_end(st);
    xml_nl(st);
    return st->failed ? -1 : 0;
}

static int xml_host_end(struct output *o, const struct host_result *h, unsigned hidden)
{
    struct xml_state *st = o->priv;
    if (st->skip_host)
        return 0;
    if (st->in_ports) {
        xml_end(st); /* </ports> */
        xml_nl(st);
        st->in_ports = false;
    }
    if (h->status == HOST_UP && !h->timed_out) {
        xml_write_os(st, h);
        if (h->nscripts) {
            xml_start(st, "hostscript");
            for (size_t i = 0; i < h->nscripts; i++)
                xml_write_script(st, &h->scripts[i]);
            xml_end(st);
            xml_nl(st);
        }
    }
    if (h->srtt_us >= 0) {
        xml_start(st, "times");
        xml_attrf(st, "srtt", "%lld", (long long)h->srtt_us);
        xml_attrf(st, "rttvar", "%lld", (long long)(h->rttvar_us >= 0 ? h->rttvar_us : 0));
        xml_attrf(st, "to", "%lld", (long long)(h->timeout_us >= 0 ? h->timeout_us : 0));
        xml_end(st);
        xml_nl(st);
    }
    xml_end(st); /* </host> */
    xml_nl(st);
    return finish_to(o, st, false);
}

static int xml_close(struct output *o, const struct scan_summary *sum)
{
    struct xml_state *st = o->priv;
    if (!st)
        return -1;
    time_t t1 = out_end_time(sum);
    char when[64], totals[160], summary[256];
    out_ctime(t1, when, sizeof(when));
    out_totals(sum, totals, sizeof(totals));
    snprintf(summary, sizeof(summary), "prtip done at %s; %s", when, totals);
    bool ok = !sum->interrupted && !sum->error;

    xml_start(st, "runstats");
    xml_start(st, "finished");
    xml_attrf(st, "time", "%lld", (long long)t1);
    xml_attr(st, "timestr", when);
    xml_attr(st, "summary", summary);
    xml_attrf(st, "elapsed", "%.2f", sum->elapsed_s);
    xml_attr(st, "exit", ok ? "success" : "error");
    if (!ok)
        xml_attr(st, "errormsg", sum->error ? sum->error : "interrupted");
    xml_end(st);
    xml_start(st, "hosts");
    xml_attrf(st, "up", "%llu", (unsigned long long)sum->hosts_up);
    xml_attrf(st, "down", "%llu", (unsigned long long)sum->hosts_down);
    xml_attrf(st, "total", "%llu", (unsigned long long)sum->hosts_total);
    xml_end(st);
    xml_nl(st);
    xml_end(st); /* </runstats> */
    xml_nl(st);
    /* Closes </nmaprun> and anything a failed host left open. */
    xml_check(st, xmlTextWriterEndDocument(st->w));
    int rc = finish(o, st);
    xmlFreeTextWriter(st->w);
    free(st);
    o->priv = NULL;
    return rc;
}

/*
 * nmap's task elements, each on a line of its own between hosts (nmap.dtd
 * allows them there): taskbegin/taskend only with -v, as nmap's
 * ScanProgressMeter writes them; taskprogress whenever a report is printed
 * (--stats-every, a key press). Flushed at once: python3-libnmap reads -oX -
 * line by line for its progress.
 */
static int xml_task(struct output *o, const struct task_event *ev)
{
    struct xml_state *st = o->priv;
    if (!st)
        return 0;
    switch (ev->kind) {
    case TASK_BEGIN:
    case TASK_END:
        if (ev->verbose < 1)
            return 0;
        xml_start(st, ev->kind == TASK_BEGIN ? "taskbegin" : "taskend");
        xml_attr(st, "task", ev->task);
        xml_attrf(st, "time", "%lld", (long long)ev->time.tv_sec);
        if (ev->kind == TASK_END)
            xml_attrf(st, "extrainfo", "%zu total %s", ev->nports * ev->nhosts,
                      ev->nports ? "ports" : "hosts");
        break;
    case TASK_PROGRESS:
        xml_start(st, "taskprogress");
        xml_attr(st, "task", ev->task);
        xml_attrf(st, "time", "%lld", (long long)ev->time.tv_sec);
        xml_attrf(st, "percent", "%.2f", ev->percent);
        xml_attrf(st, "remaining", "%.0f", ev->remaining_s);
        xml_attrf(st, "etc", "%lld", (long long)ev->etc);
        break;
    default:
        return 0;
    }
    xml_end(st);
    xml_nl(st);
    return finish(o, st);
}

const struct output_module output_xml = {
    .name = "xml",
    .option = "-oX",
    .ext = "xml",
    .summary = "nmap's XML, valid against nmap.dtd",
    .open = xml_open,
    .host_begin = xml_host_begin,
    .port = xml_port,
    .host_end = xml_host_end,
    .close = xml_close,
    .task = xml_task,
};
