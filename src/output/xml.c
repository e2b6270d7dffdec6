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

#include <libxml/encoding.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xml_state {
    xmlTextWriterPtr w;
    FILE *fp;       /* borrowed from the output */
    int err;        /* errno of the first failed write, 0 none */
    bool failed;    /* a libxml2 call failed; reported by the next callback */
    bool skip_host; /* current host is not written (down without -v) */
    bool in_ports;  /* <ports> is open */
};

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
static char *xml_clean(const char *s)
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

static int finish(struct output *o, struct xml_state *st)
{
    check(st, xmlTextWriterFlush(st->w));
    if (fflush(o->fp) != 0 || ferror(o->fp)) {
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
    check(st, xmlTextWriterWriteComment(st->w, BAD_CAST text));
    free(text);
    free(clean);
}

static void write_scaninfo(struct xml_state *st, const struct scan_info *info)
{
    /* nmap writes no scaninfo when no port is scanned (-sn, -sL); the
     * begin record then has no types. */
    for (size_t i = 0; i < info->ntypes; i++) {
        const struct scan_info_type *t = &info->types[i];
        start(st, "scaninfo");
        attr(st, "type", t->type);
        if (t->scanflags[0])
            attr(st, "scanflags", t->scanflags);
        attr(st, "protocol", port_proto_name(t->proto));
        attrf(st, "numservices", "%zu", t->nservices);
        attr(st, "services", t->services ? t->services : "");
        end(st);
        nl(st);
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
    check(st, xmlTextWriterWritePI(st->w, BAD_CAST "xml-stylesheet", BAD_CAST pi));
    free(pi);
    free(href);
    nl(st);
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

    check(st, xmlTextWriterStartDocument(st->w, "1.0", "UTF-8", NULL));
    check(st, xmlTextWriterWriteDTD(st->w, BAD_CAST "nmaprun", NULL, NULL, NULL));
    nl(st);
    write_stylesheet(st, info->stylesheet);
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
    write_scaninfo(st, info);
    start(st, "verbose");
    attrf(st, "level", "%d", info->verbose);
    end(st);
    nl(st);
    start(st, "debugging");
    attrf(st, "level", "%d", info->debug);
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

static void write_extrareason(void *ctx, enum reason r, enum port_proto proto, size_t n,
                              const char *ranges)
{
    struct xml_state *st = ctx;
    start(st, "extrareasons");
    attr(st, "reason", reason_name(r));
    attrf(st, "count", "%zu", n);
    attr(st, "proto", port_proto_name(proto));
    attr(st, "ports", ranges);
    end(st);
    nl(st);
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
        start(st, "extraports");
        attr(st, "state", port_state_name(s));
        attrf(st, "count", "%zu", counts[s]);
        nl(st);
        if (out_extrareasons(h, s, write_extrareason, st) < 0)
            st->failed = true;
        end(st);
        nl(st);
    }
}

static void write_cpes(struct xml_state *st, char *const *cpe, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        start(st, "cpe");
        char *clean = xml_clean(cpe[i]);
        if (!clean)
            st->failed = true;
        else
            check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
        free(clean);
        end(st);
    }
}

static void opt_attr(struct xml_state *st, const char *name, const char *value)
{
    if (value && *value)
        attr(st, name, value);
}

/* <service name product version extrainfo tunnel method conf hostname
 * ostype devicetype><cpe>...</cpe></service>, nmap.dtd's attributes. */
static void write_service(struct xml_state *st, const struct port_result *p)
{
    const struct service_result *s = p->detail ? p->detail->service : NULL;
    /* A port nmap-services does not name gets no <service> from nmap (its
     * "unknown" is only the normal output's filler): parsers then report
     * no service rather than one called "unknown". */
    if (!s && !p->service)
        return;
    start(st, "service");
    if (!s) {
        attr(st, "name", p->service);
        attr(st, "method", "table");
        attr(st, "conf", "3");
        end(st);
        return;
    }
    attr(st, "name", s->name ? s->name : p->service ? p->service : "unknown");
    opt_attr(st, "product", s->product);
    opt_attr(st, "version", s->version);
    opt_attr(st, "extrainfo", s->extrainfo);
    opt_attr(st, "hostname", s->hostname);
    opt_attr(st, "ostype", s->ostype);
    opt_attr(st, "devicetype", s->devicetype);
    if (s->tunnel_ssl)
        attr(st, "tunnel", "ssl");
    opt_attr(st, "servicefp", s->fingerprint);
    attr(st, "method", s->method == SERVICE_METHOD_PROBED ? "probed" : "table");
    attrf(st, "conf", "%u", s->conf > 10 ? 10 : s->conf);
    write_cpes(st, s->cpe, s->ncpe);
    end(st);
}

static void write_elems(struct xml_state *st, const struct script_elem *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool table = e[i].value == NULL;
        start(st, table ? "table" : "elem");
        if (e[i].key)
            attr(st, "key", e[i].key);
        if (table) {
            write_elems(st, e[i].children, e[i].nchildren);
        } else {
            char *clean = xml_clean(e[i].value);
            if (!clean)
                st->failed = true;
            else
                check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
            free(clean);
        }
        end(st);
    }
}

static void write_script(struct xml_state *st, const struct script_output *s)
{
    start(st, "script");
    attr(st, "id", s->id ? s->id : "");
    attr(st, "output", s->output ? s->output : "");
    write_elems(st, s->elems, s->nelems);
    end(st);
}

static void elem_kv(struct xml_state *st, const char *key, const char *value)
{
    if (!value)
        return;
    start(st, "elem");
    attr(st, "key", key);
    char *clean = xml_clean(value);
    if (!clean)
        st->failed = true;
    else
        check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
    free(clean);
    end(st);
}

/* TLS facts as a script element (the DTD has no other place under <port>),
 * id "tls-info", keys documented in docs/OUTPUT.md. */
static void write_tls(struct xml_state *st, const struct tls_info *t)
{
    char nb[32] = "", na[32] = "", bits[16] = "";
    struct tm tm;
    time_t b = (time_t)t->not_before, a = (time_t)t->not_after;
    if (t->not_before && gmtime_r(&b, &tm))
        strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%S", &tm);
    if (t->not_after && gmtime_r(&a, &tm))
        strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%S", &tm);
    if (t->key_bits)
        snprintf(bits, sizeof(bits), "%u", t->key_bits);
    char summary[512];
    snprintf(summary, sizeof(summary), "%s%s%s%s%s", t->protocol ? t->protocol : "",
             t->subject ? "; Subject: " : "", t->subject ? t->subject : "",
             t->sha256 ? "; SHA-256: " : "", t->sha256 ? t->sha256 : "");
    start(st, "script");
    attr(st, "id", "tls-info");
    attr(st, "output", summary);
    elem_kv(st, "protocol", t->protocol);
    elem_kv(st, "cipher", t->cipher);
    elem_kv(st, "alpn", t->alpn);
    elem_kv(st, "subject", t->subject);
    elem_kv(st, "issuer", t->issuer);
    if (t->nsan) {
        start(st, "table");
        attr(st, "key", "san");
        for (size_t i = 0; i < t->nsan; i++) {
            start(st, "elem");
            char *clean = xml_clean(t->san[i]);
            if (clean)
                check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
            else
                st->failed = true;
            free(clean);
            end(st);
        }
        end(st);
    }
    elem_kv(st, "notBefore", *nb ? nb : NULL);
    elem_kv(st, "notAfter", *na ? na : NULL);
    elem_kv(st, "key_type", t->key_type);
    elem_kv(st, "key_bits", *bits ? bits : NULL);
    elem_kv(st, "sha256", t->sha256);
    char days[24], chain[16];
    snprintf(days, sizeof(days), "%lld", (long long)t->days_left);
    snprintf(chain, sizeof(chain), "%u", t->chain_len);
    elem_kv(st, "sni", t->sni);
    elem_kv(st, "serial", t->serial);
    elem_kv(st, "sig_alg", t->sig_alg);
    elem_kv(st, "spki_sha256", t->spki_sha256);
    elem_kv(st, "days_left", t->not_after ? days : NULL);
    elem_kv(st, "self_signed", t->subject ? (t->self_signed ? "true" : "false") : NULL);
    elem_kv(st, "chain_len", chain);
    elem_kv(st, "ja3s", t->ja3s);
    end(st);
}

/* <os><osmatch name accuracy line><osclass ...><cpe/></osclass></osmatch>
 * <osfingerprint/></os> */
static void portused(struct xml_state *st, const char *state, const char *proto, int32_t port)
{
    if (port <= 0)
        return;
    start(st, "portused");
    attr(st, "state", state);
    attr(st, "proto", proto);
    attrf(st, "portid", "%d", port);
    end(st);
    nl(st);
}

/* nmap's elements after <os>: <uptime>, <distance>, <tcpsequence>,
 * <ipidsequence>, <tcptssequence> (output.cc printosscanoutput). */
static void write_os_extras(struct xml_state *st, const struct os_report *r)
{
    if (r->lastboot) {
        char when[64];
        out_ctime((time_t)r->lastboot, when, sizeof when);
        start(st, "uptime");
        attrf(st, "seconds", "%lld", (long long)r->uptime_s);
        attr(st, "lastboot", when);
        end(st);
        nl(st);
    }
    if (r->distance != -1) {
        start(st, "distance");
        attrf(st, "value", "%d", r->distance);
        end(st);
        nl(st);
    }
    if (r->seq_index >= 0 && r->seq_values) {
        start(st, "tcpsequence");
        attrf(st, "index", "%d", r->seq_index);
        attr(st, "difficulty", r->seq_difficulty);
        attr(st, "values", r->seq_values);
        end(st);
        nl(st);
    }
    if (r->ipid_class && r->ipid_values) {
        start(st, "ipidsequence");
        attr(st, "class", r->ipid_class);
        attr(st, "values", r->ipid_values);
        end(st);
        nl(st);
    }
    if (r->ts_class) {
        start(st, "tcptssequence");
        attr(st, "class", r->ts_class);
        opt_attr(st, "values", r->ts_values);
        end(st);
        nl(st);
    }
}

static void write_os(struct xml_state *st, const struct host_result *h)
{
    const struct os_report *r = h->os_report;
    if (r && r->verdict == OS_VERDICT_UNSUPPORTED)
        return;
    if (h->nos == 0 && !h->os_fingerprint && !r)
        return;
    start(st, "os");
    nl(st);
    if (r) {
        portused(st, "open", "tcp", r->open_tcp);
        portused(st, "closed", "tcp", r->closed_tcp);
        portused(st, "closed", "udp", r->closed_udp);
    }
    for (size_t i = 0; i < h->nos; i++) {
        const struct os_match *m = &h->os[i];
        start(st, "osmatch");
        attr(st, "name", m->name ? m->name : "");
        attrf(st, "accuracy", "%u", m->accuracy);
        attrf(st, "line", "%u", m->line);
        nl(st);
        for (size_t k = 0; k < m->nclasses; k++) {
            const struct os_class *c = &m->classes[k];
            start(st, "osclass");
            opt_attr(st, "type", c->type);
            attr(st, "vendor", c->vendor ? c->vendor : "");
            attr(st, "osfamily", c->osfamily ? c->osfamily : "");
            opt_attr(st, "osgen", c->osgen);
            attrf(st, "accuracy", "%u", c->accuracy);
            write_cpes(st, c->cpe, c->ncpe);
            end(st);
            nl(st);
        }
        end(st);
        nl(st);
    }
    if (h->os_fingerprint) {
        start(st, "osfingerprint");
        attr(st, "fingerprint", h->os_fingerprint);
        end(st);
        nl(st);
    }
    end(st);
    nl(st);
    if (r)
        write_os_extras(st, r);
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
        check(st, xmlTextWriterWriteComment(st->w, BAD_CAST text));
        nl(st);
    }
    start(st, "host");
    /* nmap stamps a host's times only when its ports were scanned. */
    if (o->info->mode == SCAN_MODE_PORTS) {
        attrf(st, "starttime", "%lld", (long long)h->start.tv_sec);
        attrf(st, "endtime", "%lld", (long long)h->end.tv_sec);
    }
    if (h->timed_out) {
        attr(st, "timedout", "true");
        attr(st, "comment", "Timed out");
    } else if (note[0]) {
        attrf(st, "comment", "Interrupted: %s", note);
    }
    start(st, "status");
    attr(st, "state", out_host_state(h));
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
        out_mac(h->mac, mac, sizeof(mac));
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
    if (p->detail && p->detail->have_reason_ip) {
        char a[IPADDR_STRLEN];
        attr(st, "reason_ip", ipaddr_str(&p->detail->reason_ip, a, sizeof(a)));
    }
    end(st);
    write_service(st, p);
    if (p->detail && p->detail->tls)
        write_tls(st, p->detail->tls);
    for (size_t i = 0; p->detail && i < p->detail->nscripts; i++)
        write_script(st, &p->detail->scripts[i]);
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
    if (h->status == HOST_UP && !h->timed_out) {
        write_os(st, h);
        if (h->nscripts) {
            start(st, "hostscript");
            for (size_t i = 0; i < h->nscripts; i++)
                write_script(st, &h->scripts[i]);
            end(st);
            nl(st);
        }
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
    time_t t1 = out_end_time(sum);
    char when[64], totals[160], summary[256];
    out_ctime(t1, when, sizeof(when));
    out_totals(sum, totals, sizeof(totals));
    snprintf(summary, sizeof(summary), "prtip done at %s; %s", when, totals);
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
        start(st, ev->kind == TASK_BEGIN ? "taskbegin" : "taskend");
        attr(st, "task", ev->task);
        attrf(st, "time", "%lld", (long long)ev->time.tv_sec);
        if (ev->kind == TASK_END)
            attrf(st, "extrainfo", "%zu total %s", ev->nports * ev->nhosts,
                  ev->nports ? "ports" : "hosts");
        break;
    case TASK_PROGRESS:
        start(st, "taskprogress");
        attr(st, "task", ev->task);
        attrf(st, "time", "%lld", (long long)ev->time.tv_sec);
        attrf(st, "percent", "%.2f", ev->percent);
        attrf(st, "remaining", "%.0f", ev->remaining_s);
        attrf(st, "etc", "%lld", (long long)ev->etc);
        break;
    default:
        return 0;
    }
    end(st);
    nl(st);
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
