/*
 * xml_detect.c — the parts of nmap's XML (-oX) that the detection stages
 * fill, as nmap.dtd has them: <service> with its <cpe>s (-sV), <script>
 * with <elem>/<table> (ssl-cert's keys for TLS facts; scripts), and <os>
 * with <portused>, <osmatch>/<osclass>, <osfingerprint>, <uptime>,
 * <distance> and the three sequence elements (-O). The document around
 * them is xml.c's.
 */
#include "output/render.h"
#include "output/xml_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void write_cpes(struct xml_state *st, char *const *cpe, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xml_start(st, "cpe");
        char *clean = xml_clean(cpe[i]);
        if (!clean)
            st->failed = true;
        else
            xml_check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
        free(clean);
        xml_end(st);
    }
}

static void opt_attr(struct xml_state *st, const char *name, const char *value)
{
    if (value && *value)
        xml_attr(st, name, value);
}

/* <service name product version extrainfo tunnel method conf hostname
 * ostype devicetype><cpe>...</cpe></service>, nmap.dtd's attributes. */
void xml_write_service(struct xml_state *st, const struct port_result *p)
{
    const struct service_result *s = p->detail ? p->detail->service : NULL;
    /* A port nmap-services does not name gets no <service> from nmap (its
     * "unknown" is only the normal output's filler): parsers then report
     * no service rather than one called "unknown". */
    if (!s && !p->service)
        return;
    xml_start(st, "service");
    if (!s) {
        xml_attr(st, "name", p->service);
        xml_attr(st, "method", "table");
        xml_attr(st, "conf", "3");
        xml_end(st);
        return;
    }
    xml_attr(st, "name", s->name ? s->name : p->service ? p->service : "unknown");
    opt_attr(st, "product", s->product);
    opt_attr(st, "version", s->version);
    opt_attr(st, "extrainfo", s->extrainfo);
    opt_attr(st, "hostname", s->hostname);
    opt_attr(st, "ostype", s->ostype);
    opt_attr(st, "devicetype", s->devicetype);
    if (s->tunnel_ssl)
        xml_attr(st, "tunnel", "ssl");
    opt_attr(st, "servicefp", s->fingerprint);
    xml_attr(st, "method", s->method == SERVICE_METHOD_PROBED ? "probed" : "table");
    xml_attrf(st, "conf", "%u", s->conf > 10 ? 10 : s->conf);
    write_cpes(st, s->cpe, s->ncpe);
    xml_end(st);
}

static void write_elems(struct xml_state *st, const struct script_elem *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool table = e[i].value == NULL;
        xml_start(st, table ? "table" : "elem");
        if (e[i].key)
            xml_attr(st, "key", e[i].key);
        if (table) {
            write_elems(st, e[i].children, e[i].nchildren);
        } else {
            char *clean = xml_clean(e[i].value);
            if (!clean)
                st->failed = true;
            else
                xml_check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
            free(clean);
        }
        xml_end(st);
    }
}

void xml_write_script(struct xml_state *st, const struct script_output *s)
{
    xml_start(st, "script");
    xml_attr(st, "id", s->id ? s->id : "");
    xml_attr(st, "output", s->output ? s->output : "");
    write_elems(st, s->elems, s->nelems);
    xml_end(st);
}

static void elem_kv(struct xml_state *st, const char *key, const char *value)
{
    if (!value)
        return;
    xml_start(st, "elem");
    xml_attr(st, "key", key);
    char *clean = xml_clean(value);
    if (!clean)
        st->failed = true;
    else
        xml_check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
    free(clean);
    xml_end(st);
}

/* TLS facts as a script element (the DTD has no other place under <port>),
 * id "tls-info", keys documented in docs/OUTPUT.md. */
void xml_write_tls(struct xml_state *st, const struct tls_info *t)
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
    xml_start(st, "script");
    xml_attr(st, "id", "tls-info");
    xml_attr(st, "output", summary);
    elem_kv(st, "protocol", t->protocol);
    elem_kv(st, "cipher", t->cipher);
    elem_kv(st, "alpn", t->alpn);
    elem_kv(st, "subject", t->subject);
    elem_kv(st, "issuer", t->issuer);
    if (t->nsan) {
        xml_start(st, "table");
        xml_attr(st, "key", "san");
        for (size_t i = 0; i < t->nsan; i++) {
            xml_start(st, "elem");
            char *clean = xml_clean(t->san[i]);
            if (clean)
                xml_check(st, xmlTextWriterWriteString(st->w, BAD_CAST clean));
            else
                st->failed = true;
            free(clean);
            xml_end(st);
        }
        xml_end(st);
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
    xml_end(st);
}

/* <os><osmatch name accuracy line><osclass ...><cpe/></osclass></osmatch>
 * <osfingerprint/></os> */
static void portused(struct xml_state *st, const char *state, const char *proto, int32_t port)
{
    if (port <= 0)
        return;
    xml_start(st, "portused");
    xml_attr(st, "state", state);
    xml_attr(st, "proto", proto);
    xml_attrf(st, "portid", "%d", port);
    xml_end(st);
    xml_nl(st);
}

/* nmap's elements after <os>: <uptime>, <distance>, <tcpsequence>,
 * <ipidsequence>, <tcptssequence> (output.cc printosscanoutput). */
static void write_os_extras(struct xml_state *st, const struct os_report *r)
{
    if (r->lastboot) {
        char when[64];
        out_ctime((time_t)r->lastboot, when, sizeof when);
        xml_start(st, "uptime");
        xml_attrf(st, "seconds", "%lld", (long long)r->uptime_s);
        xml_attr(st, "lastboot", when);
        xml_end(st);
        xml_nl(st);
    }
    if (r->distance != -1) {
        xml_start(st, "distance");
        xml_attrf(st, "value", "%d", r->distance);
        xml_end(st);
        xml_nl(st);
    }
    if (r->seq_index >= 0 && r->seq_values) {
        xml_start(st, "tcpsequence");
        xml_attrf(st, "index", "%d", r->seq_index);
        xml_attr(st, "difficulty", r->seq_difficulty);
        xml_attr(st, "values", r->seq_values);
        xml_end(st);
        xml_nl(st);
    }
    if (r->ipid_class && r->ipid_values) {
        xml_start(st, "ipidsequence");
        xml_attr(st, "class", r->ipid_class);
        xml_attr(st, "values", r->ipid_values);
        xml_end(st);
        xml_nl(st);
    }
    if (r->ts_class) {
        xml_start(st, "tcptssequence");
        xml_attr(st, "class", r->ts_class);
        opt_attr(st, "values", r->ts_values);
        xml_end(st);
        xml_nl(st);
    }
}

void xml_write_os(struct xml_state *st, const struct host_result *h)
{
    const struct os_report *r = h->os_report;
    if (r && r->verdict == OS_VERDICT_UNSUPPORTED)
        return;
    if (h->nos == 0 && !h->os_fingerprint && !r)
        return;
    bool passive = r && r->passive;
    if (passive) {
        /* nmap.dtd has no element for a passive guess: a comment before
         * <os> labels it (docs/OUTPUT.md); a comment may not hold "--". */
        xml_check(st, xmlTextWriterWriteComment(
                          st->w, BAD_CAST " prtip os-passive: guesses from the SYN scan's SYN-ACK "
                                          "(O1, W1 and T1 only), not from nmap's OS probes "));
        xml_nl(st);
    }
    xml_start(st, "os");
    xml_nl(st);
    if (r && !passive) {
        portused(st, "open", "tcp", r->open_tcp);
        portused(st, "closed", "tcp", r->closed_tcp);
        portused(st, "closed", "udp", r->closed_udp);
    }
    for (size_t i = 0; i < h->nos; i++) {
        const struct os_match *m = &h->os[i];
        xml_start(st, "osmatch");
        xml_attr(st, "name", m->name ? m->name : "");
        xml_attrf(st, "accuracy", "%u", m->accuracy);
        xml_attrf(st, "line", "%u", m->line);
        xml_nl(st);
        for (size_t k = 0; k < m->nclasses; k++) {
            const struct os_class *c = &m->classes[k];
            xml_start(st, "osclass");
            opt_attr(st, "type", c->type);
            xml_attr(st, "vendor", c->vendor ? c->vendor : "");
            xml_attr(st, "osfamily", c->osfamily ? c->osfamily : "");
            opt_attr(st, "osgen", c->osgen);
            xml_attrf(st, "accuracy", "%u", c->accuracy);
            write_cpes(st, c->cpe, c->ncpe);
            xml_end(st);
            xml_nl(st);
        }
        xml_end(st);
        xml_nl(st);
    }
    if (h->os_fingerprint) {
        xml_start(st, "osfingerprint");
        xml_attr(st, "fingerprint", h->os_fingerprint);
        xml_end(st);
        xml_nl(st);
    }
    xml_end(st);
    xml_nl(st);
    if (r)
        write_os_extras(st, r);
}
