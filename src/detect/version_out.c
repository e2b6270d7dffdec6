/*
 * version_out.c — a port's -sV answer into its record (struct
 * service_result, tls_info, the ssl-cert script), as nmap's
 * PortList::setServiceProbeResults decides it: a hard match or a softmatch
 * is "probed" with confidence 10, tcpwrapped "probed" with 8, anything else
 * keeps the nmap-services name, "table" with 3. And --version-trace.
 */
#include "core/addr.h"
#include "detect/version_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    } else if (p->service || vp->ssl) {
        s->name = strdup(p->service ? p->service : "unknown");
        s->method = SERVICE_METHOD_TABLE;
        s->conf = 3;
        rc = s->name ? 0 : -1;
    } else {
        free(s); /* nmap names nothing: no <service> */
        s = NULL;
    }
    if (s)
        s->tunnel_ssl = vp->ssl && !vp->tcpwrapped;
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
