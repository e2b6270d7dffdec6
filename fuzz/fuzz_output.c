/*
 * fuzz_output.c — libFuzzer harness for what the output formats do with
 * text they do not control: host names, reverse-DNS names, the command
 * line, the stylesheet href, service names and -sV fields, CPEs, script
 * output, TLS names and OS matches. Every module of output_modules[]
 * renders one host built from the input into memory; then the XML must be
 * well-formed (libxml2 reads it back), the JSON one document and NDJSON
 * one document per line (jansson reads them back). That is the XML and
 * JSON escaping (xml.c's xml_clean and libxml2's writer, json_text.c)
 * under every byte sequence, and no module may crash on any of it.
 *
 * Input: bytes 0-3 are choices (verbose and flags, host state and reason,
 * port state, reason and protocol; byte 0's top three bits pick one module,
 * 6 and 7 all of them: one module an execution is several times faster);
 * the rest is NUL-separated strings, in the order of the F_* list below
 * (missing ones are NULL).
 *
 *   fuzz_output -max_total_time=60 fuzz/corpus/output
 */
#include "output/output.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    F_ARGS,
    F_STYLESHEET,
    F_HOSTNAME,
    F_RDNS,
    F_PORT_SERVICE,
    F_NAME,
    F_PRODUCT,
    F_VERSION,
    F_EXTRAINFO,
    F_SVC_HOSTNAME,
    F_OSTYPE,
    F_CPE,
    F_SCRIPT_ID,
    F_SCRIPT_OUTPUT,
    F_ELEM_KEY,
    F_ELEM_VALUE,
    F_TLS_SUBJECT,
    F_TLS_SAN,
    F_OS_NAME,
    F_OS_VENDOR,
    F_OS_FINGERPRINT,
    F_COUNT
};

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The host record; strings the record owns are copies. */
static void build(struct host_result *h, const uint8_t *choice, const char *f[F_COUNT])
{
    struct ipaddr a = {.family = (choice[1] & 1) ? AF_INET6 : AF_INET};
    a.bytes[0] = (choice[1] & 1) ? 0xfd : 198;
    a.bytes[1] = (choice[1] & 1) ? 0 : 18;
    a.bytes[15] = a.bytes[3] = 2;
    host_result_init(h, &a);
    h->hostname = f[F_HOSTNAME];
    h->rdns = dup_or_null(f[F_RDNS]);
    h->status = (enum host_status)(choice[1] >> 1) % 3;
    h->status_reason = (enum reason)((choice[1] >> 3) % REASON_COUNT);
    h->end.tv_sec = 1717000000;
    h->srtt_us = h->rttvar_us = h->timeout_us = -1;

    struct port_result p = {.port = 80,
                            .proto = (uint8_t)(choice[3] % PROTO_COUNT),
                            .state = (uint8_t)(choice[2] % PORT_STATE_COUNT),
                            .reason = (uint8_t)((choice[2] >> 3) % REASON_COUNT),
                            .reason_ttl = 64,
                            .service = f[F_PORT_SERVICE]};
    if (host_result_add_port(h, &p) != 0)
        return;
    p.port = 443;
    p.state = PORT_OPEN;
    if (host_result_add_port(h, &p) != 0)
        return;
    struct port_detail *d = port_result_detail(&h->ports[1]);
    if (!d)
        return;
    if (f[F_NAME] && (d->service = calloc(1, sizeof(*d->service)))) {
        struct service_result *s = d->service;
        s->name = strdup(f[F_NAME]);
        s->product = dup_or_null(f[F_PRODUCT]);
        s->version = dup_or_null(f[F_VERSION]);
        s->extrainfo = dup_or_null(f[F_EXTRAINFO]);
        s->hostname = dup_or_null(f[F_SVC_HOSTNAME]);
        s->ostype = dup_or_null(f[F_OSTYPE]);
        s->method = SERVICE_METHOD_PROBED;
        s->conf = 10;
        s->tunnel_ssl = choice[3] & 0x10;
        if (f[F_CPE] && (s->cpe = calloc(1, sizeof(char *))))
            s->cpe[s->ncpe++] = strdup(f[F_CPE]);
    }
    if (f[F_SCRIPT_ID] && (d->scripts = calloc(1, sizeof(*d->scripts)))) {
        struct script_output *so = &d->scripts[d->nscripts++];
        so->id = strdup(f[F_SCRIPT_ID]);
        so->output = dup_or_null(f[F_SCRIPT_OUTPUT]);
        if (f[F_ELEM_VALUE] && (so->elems = calloc(1, sizeof(*so->elems)))) {
            so->elems[0].key = dup_or_null(f[F_ELEM_KEY]);
            so->elems[0].value = strdup(f[F_ELEM_VALUE]);
            so->nelems = 1;
        }
    }
    if (f[F_TLS_SUBJECT] && (d->tls = calloc(1, sizeof(*d->tls)))) {
        d->tls->protocol = strdup("TLSv1.3");
        d->tls->subject = strdup(f[F_TLS_SUBJECT]);
        d->tls->issuer = strdup(f[F_TLS_SUBJECT]);
        if (f[F_TLS_SAN] && (d->tls->san = calloc(1, sizeof(char *))))
            d->tls->san[d->tls->nsan++] = strdup(f[F_TLS_SAN]);
    }
    if (f[F_OS_NAME] && (h->os = calloc(1, sizeof(*h->os)))) {
        h->nos = 1;
        h->os->name = strdup(f[F_OS_NAME]);
        h->os->accuracy = 100;
        if (f[F_OS_VENDOR] && (h->os->classes = calloc(1, sizeof(*h->os->classes)))) {
            h->os->nclasses = 1;
            h->os->classes->vendor = strdup(f[F_OS_VENDOR]);
            h->os->classes->osfamily = strdup(f[F_OS_VENDOR]);
            h->os->classes->type = strdup("general purpose");
            h->os->classes->accuracy = 100;
        }
    }
    h->os_fingerprint = dup_or_null(f[F_OS_FINGERPRINT]);
}

static char *render(const struct output_module *m, const struct scan_info *info,
                    const struct host_result *h, size_t *len)
{
    char *buf = NULL;
    FILE *fp = open_memstream(&buf, len);
    if (!fp)
        return NULL;
    struct output o = {.module = m, .info = info, .fp = fp};
    if (m->open(&o) == 0) {
        unsigned hidden = result_hidden_states(h, info->verbose, info->open_only);
        m->host_begin(&o, h, hidden);
        for (size_t j = 0; j < h->nports; j++)
            if (!(hidden & (1u << h->ports[j].state)))
                m->port(&o, h, &h->ports[j]);
        m->host_end(&o, h, hidden);
        struct scan_summary sum = {.hosts_total = 1, .hosts_up = h->status == HOST_UP};
        m->close(&o, &sum);
    }
    fclose(fp);
    return buf;
}

static void check(const struct output_module *m, const char *buf, size_t len)
{
    if (strcmp(m->name, "xml") == 0) {
        xmlDocPtr doc = xmlReadMemory(buf, (int)len, "fuzz.xml", NULL, XML_PARSE_NONET);
        if (!doc)
            __builtin_trap(); /* not well-formed XML */
        xmlFreeDoc(doc);
    } else if (strcmp(m->name, "json") == 0) {
        json_error_t e;
        json_t *j = json_loadb(buf, len, 0, &e);
        if (!j)
            __builtin_trap();
        json_decref(j);
    } else if (strcmp(m->name, "ndjson") == 0) {
        for (const char *line = buf; line < buf + len;) {
            const char *nl = memchr(line, '\n', (size_t)(buf + len - line));
            size_t n = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
            json_error_t e;
            json_t *j = json_loadb(line, n, 0, &e);
            if (!j)
                __builtin_trap(); /* every line one JSON document */
            json_decref(j);
            line += n + 1;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        xmlSetGenericErrorFunc(NULL, quiet);
        ready = true;
    }
    if (size < 4 || size > 4096)
        return 0;
    char *text = malloc(size - 4 + 1);
    if (!text)
        return 0;
    memcpy(text, data + 4, size - 4);
    text[size - 4] = '\0';
    const char *f[F_COUNT] = {NULL};
    const char *end = text + (size - 4);
    const char *s = text;
    for (int i = 0; i < F_COUNT && s < end; i++) {
        f[i] = s;
        s += strlen(s) + 1;
    }

    struct scan_info info;
    memset(&info, 0, sizeof(info));
    info.args = (char *)f[F_ARGS];
    info.stylesheet = (char *)f[F_STYLESHEET];
    info.verbose = data[0] % 4;
    info.show_reason = data[0] & 4;
    info.open_only = data[0] & 8;
    info.version_scan = data[0] & 16;
    info.mode = SCAN_MODE_PORTS;
    info.ntypes = 1;
    strcpy(info.types[0].type, "syn");
    info.types[0].proto = PROTO_TCP;
    info.types[0].nservices = 2;
    info.types[0].services = (char *)"80,443";

    struct host_result h;
    build(&h, data, f);
    size_t pick = data[0] >> 5;
    for (size_t i = 0; output_modules[i]; i++) {
        if (pick < 6 && i != pick)
            continue;
        size_t len = 0;
        char *buf = render(output_modules[i], &info, &h, &len);
        if (buf)
            check(output_modules[i], buf, len);
        free(buf);
    }
    host_result_free(&h);
    free(text);
    return 0;
}
