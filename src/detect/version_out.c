/*
 * version_out.c — a port's -sV answer into its record (struct
 * service_result, tls_info, the ssl-cert script), as nmap's
 * PortList::setServiceProbeResults decides it: a hard match or a softmatch
 * is "probed" with confidence 10, tcpwrapped "probed" with 8, anything else
 * keeps the nmap-services name, "table" with 3. And --version-trace.
 */
#include "core/addr.h"
#include "detect/version_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * nmap's service fingerprint (nmap doc "Service and Application Version
 * Detection", "Community Contributions"): what an unrecognised service
 * answered, in the form nmap asks users to submit, so they still can.
 * "SF-Port<port>-<TCP|UDP>:V=7.93[%T=SSL]%I=<intensity>%D=<month>/<day>
 * %Time=<hex Unix time>%P=<platform>" then per probe that got data, in the
 * order sent, %r(<probe>,<length in hex>,"<first 900 bytes, escaped>"),
 * then ";". Escapes: letters and digits as they are; NUL as \0 (\x00
 * before a digit); \ ? " [ ] ( ) . * + $ ^ | behind a backslash; other
 * punctuation as it is; \r \n \t; everything else \xHH. Lines wrap at
 * 74 characters, the next starting "SF:". Stops growing past 2200.
 */
#define FP_WRAP     74
#define FP_RESP_MAX 900
#define FP_MAX      2200
#define FP_VERSION  "7.93"
#if defined(__x86_64__)
#define FP_PLATFORM "x86_64-pc-linux-gnu"
#elif defined(__aarch64__)
#define FP_PLATFORM "aarch64-unknown-linux-gnu"
#else
#define FP_PLATFORM "unknown-linux-gnu"
#endif

struct fp {
    char *s;
    size_t len, cap, line;
    bool failed;
};

static void fp_char(struct fp *f, char c)
{
    if (f->len + 8 >= f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 1024;
        char *n = realloc(f->s, cap);
        if (!n) {
            f->failed = true;
            return;
        }
        f->s = n;
        f->cap = cap;
    }
    if (f->line == FP_WRAP) {
        memcpy(f->s + f->len, "\nSF:", 4);
        f->len += 4;
        f->line = 3;
    }
    f->s[f->len++] = c;
    f->s[f->len] = '\0';
    f->line++;
}

static void fp_str(struct fp *f, const char *s)
{
    while (*s && !f->failed)
        fp_char(f, *s++);
}

static void fp_record(struct fp *f, const struct vport *vp, const struct vprobe *pr)
{
    if (f->len > FP_MAX)
        return;
    char buf[256];
    if (f->len == 0) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        snprintf(buf, sizeof(buf), "SF-Port%u-%s:V=%s%s%%I=%d%%D=%d/%d%%Time=%X%%P=%s", vp->port,
                 vp->proto == SVC_TCP ? "TCP" : "UDP", FP_VERSION, vp->ssl ? "%T=SSL" : "",
                 vp->host->vs->job.intensity, tm.tm_mon + 1, tm.tm_mday, (unsigned)now,
                 FP_PLATFORM);
        fp_str(f, buf);
    }
    snprintf(buf, sizeof(buf), "%%r(%s,%zX,\"", svc_probe_name(pr->probe), pr->len);
    fp_str(f, buf);
    size_t used = pr->len < FP_RESP_MAX ? pr->len : FP_RESP_MAX;
    for (size_t i = 0; i < used; i++) {
        unsigned char c = pr->buf[i];
        if (isalnum(c)) {
            fp_char(f, (char)c);
        } else if (c == 0) {
            fp_str(f, i + 1 < used && isdigit(pr->buf[i + 1]) ? "\\x00" : "\\0");
        } else if (strchr("\\?\"[]().*+$^|", c)) {
            fp_char(f, '\\');
            fp_char(f, (char)c);
        } else if (ispunct(c)) {
            fp_char(f, (char)c);
        } else if (c == '\r') {
            fp_str(f, "\\r");
        } else if (c == '\n') {
            fp_str(f, "\\n");
        } else if (c == '\t') {
            fp_str(f, "\\t");
        } else {
            snprintf(buf, sizeof(buf), "\\x%02x", c);
            fp_str(f, buf);
        }
    }
    fp_str(f, "\")");
}

/* The fingerprint of vp's replies, or NULL when none had data. */
static char *fingerprint(const struct vport *vp)
{
    struct fp f = {0};
    for (size_t k = 0; k < vp->nplan; k++) {
        const struct vprobe *pr = vp->probes[k];
        if (pr->len > 0 && pr->end != VP_SKIPPED)
            fp_record(&f, vp, pr);
    }
    if (f.len)
        fp_char(&f, ';');
    if (f.failed) {
        free(f.s);
        return NULL;
    }
    return f.s;
}

void vout_trace(const struct vs *vs, const char *fmt, ...)
{
    (void)vs;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

void vout_trace_rule(void *ctx, const char *line)
{
    vout_trace(ctx, "  %s", line);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int fill_answer(struct service_result *s, const struct svc_answer *a)
{
    s->name = strdup(a->service ? a->service : "unknown");
    s->product = dup_or_null(a->product);
    s->version = dup_or_null(a->version);
    s->extrainfo = dup_or_null(a->extrainfo);
    s->hostname = dup_or_null(a->hostname);
    s->ostype = dup_or_null(a->ostype);
    s->devicetype = dup_or_null(a->devicetype);
    s->probe = a->probe ? strdup(svc_probe_name(a->probe)) : NULL;
    s->line = a->line;
    s->soft = a->soft;
    s->method = SERVICE_METHOD_PROBED;
    s->conf = 10;
    if (a->ncpe) {
        s->cpe = calloc(a->ncpe, sizeof(*s->cpe));
        if (!s->cpe)
            return -1;
        for (size_t i = 0; i < a->ncpe; i++)
            if ((s->cpe[s->ncpe] = strdup(a->cpe[i])) != NULL)
                s->ncpe++;
    }
    return s->name ? 0 : -1;
}

int vout_port(struct vs *vs, struct vport *vp)
{
    struct port_result *p = &vp->host->h.ports[vp->idx];
    struct port_detail *d = port_result_detail(p);
    if (!d)
        return -1;
    if (vp->proto == SVC_UDP && vp->udp_reply && p->state == PORT_OPEN_FILTERED) {
        /* nmap: a reply to a version probe proves the port open. */
        p->state = PORT_OPEN;
        p->reason = REASON_UDP_RESPONSE;
    }
    struct service_result *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    int rc = 0;
    if (vp->ans.found) {
        rc = fill_answer(s, &vp->ans);
    } else if (vp->tcpwrapped) {
        s->name = strdup("tcpwrapped");
        s->method = SERVICE_METHOD_PROBED;
        s->conf = 8;
        rc = s->name ? 0 : -1;
    } else {
        char *fp = fingerprint(vp);
        if (p->service || vp->ssl || fp) {
            s->name = strdup(p->service ? p->service : "unknown");
            s->method = SERVICE_METHOD_TABLE;
            s->conf = 3;
            s->fingerprint = fp;
            rc = s->name ? 0 : -1;
        } else {
            free(s); /* nmap names nothing: no <service> */
            s = NULL;
        }
    }
    if (s)
        s->tunnel_ssl = vp->ssl && !vp->tcpwrapped;
    if (s && vp->modern_tls)
        s->differs = strdup("nmap 7.93's SSLv3/TLS 1.0 hellos got EOF; found through a modern TLS "
                            "handshake");
    if (d->service) {
        service_result_free(d->service);
        free(d->service);
    }
    d->service = s;
    if (vp->tls) {
        if (d->tls) {
            tls_info_free(d->tls);
            free(d->tls);
        }
        d->tls = vp->tls;
        vp->tls = NULL;
    }
    if (vp->cert_script) {
        struct script_output *v = realloc(d->scripts, (d->nscripts + 1) * sizeof(*v));
        if (v) {
            d->scripts = v;
            d->scripts[d->nscripts++] = *vp->cert_script;
            free(vp->cert_script);
            vp->cert_script = NULL;
        }
    }
    if (vs->job.trace) {
        char a[64];
        ipaddr_str(&vp->host->h.addr, a, sizeof(a));
        if (s && s->method == SERVICE_METHOD_PROBED)
            vout_trace(vs,
                       "Service scan %s (probe %s, line %u): %s:%u is %s%s. Version: |%s|%s|%s|",
                       vp->tcpwrapped ? "tcpwrapped"
                       : s->soft      ? "softmatch"
                                      : "match",
                       s->probe ? s->probe : "-", s->line, a, vp->port, s->tunnel_ssl ? "ssl/" : "",
                       s->name, s->product ? s->product : "", s->version ? s->version : "",
                       s->extrainfo ? s->extrainfo : "");
        else
            vout_trace(vs, "Service scan: no match for %s:%u (%s)", a, vp->port,
                       vp->proto == SVC_TCP ? "tcp" : "udp");
    }
    return rc;
}
