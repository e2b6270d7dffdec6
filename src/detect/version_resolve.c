/*
 * version_resolve.c — a port's probes in nmap's order and the answer they
 * give (nmap's ServiceNFO::nextProbe and servicescan_read_handler
 * semantics): the plan, its narrowing by a softmatch, accepting outcomes
 * strictly in plan order however they arrived (version_port.c runs the
 * connections), "ssl" restarting the port through TLS, tcpwrapped, and the
 * modern-TLS retry where nmap's old hellos got nothing (issue 11 point 6).
 */
#include "core/addr.h"
#include "core/clock.h"
#include "detect/version_internal.h"

#include <stdlib.h>
#include <string.h>

static void drop_probe(struct vs *vs, struct vprobe *pr)
{
    vconn_close(vs, pr);
    vconn_free(pr);
    free(pr);
}

void vres_drop_probes(struct vs *vs, struct vport *vp)
{
    for (size_t j = 0; j < vp->nplan; j++)
        drop_probe(vs, vp->probes[j]);
    free(vp->probes);
    vp->probes = NULL;
    vp->nplan = vp->cap_plan = vp->next_launch = vp->resolved = 0;
}

static struct vprobe *new_probe(struct vport *vp, const struct svc_probe *p)
{
    struct vprobe *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return NULL;
    pr->port = vp;
    pr->probe = p;
    pr->fd = -1;
    pr->end = VP_WAITING;
    vconn_timer_init(pr);
    return pr;
}

/* Append to the port's order; returns 0 or -1. */
static int plan_append(struct vport *vp, struct vprobe *pr)
{
    if (vp->nplan == vp->cap_plan) {
        size_t cap = vp->cap_plan ? 2 * vp->cap_plan : 32;
        struct vprobe **v = realloc(vp->probes, cap * sizeof(*v));
        if (!v)
            return -1;
        vp->probes = v;
        vp->cap_plan = cap;
    }
    pr->k = vp->nplan;
    vp->probes[vp->nplan++] = pr;
    return 0;
}

/* Plan the port's probes (again, after "ssl"), nmap's nextProbe order.
 * Returns 0 or -1. */
int vres_plan_port(struct vs *vs, struct vport *vp)
{
    vres_drop_probes(vs, vp);
    svc_answer_clear(&vp->soft);
    vp->later_hard = false;
    vp->others_at_us = 0;
    vp->misses = 0;
    const struct svc_probe *p = NULL;
    while ((p = svc_db_next(vs->db, vp->proto, vp->port, vp->ssl, vs->job.intensity, NULL, p))) {
        struct vprobe *pr = new_probe(vp, p);
        if (!pr || plan_append(vp, pr) < 0) {
            free(pr);
            return -1;
        }
    }
    return 0;
}

/* A softmatch on the probe at vp->resolved said the service: what follows
 * is what nmap's nextProbe gives from there under the softmatch — fewer
 * probes, and some a higher rarity kept out before. Probes already running
 * or done that stay keep their state; the others are dropped. */
static void narrow(struct vs *vs, struct vport *vp)
{
    size_t r = vp->resolved, old_n = vp->nplan;
    struct vprobe **old = malloc((old_n - r) * sizeof(*old) + 1);
    if (!old)
        return;
    memcpy(old, vp->probes + r + 1, (old_n - r - 1) * sizeof(*old));
    size_t nold = old_n - r - 1;
    vp->nplan = r + 1;
    const struct svc_probe *p = vp->probes[r]->probe;
    while ((p = svc_db_next(vs->db, vp->proto, vp->port, vp->ssl, vs->job.intensity,
                            vp->soft.service, p))) {
        struct vprobe *pr = NULL;
        for (size_t i = 0; i < nold && !pr; i++)
            if (old[i] && old[i]->probe == p) {
                pr = old[i];
                old[i] = NULL;
            }
        if (!pr)
            pr = new_probe(vp, p);
        if (!pr || plan_append(vp, pr) < 0) {
            free(pr);
            break;
        }
    }
    for (size_t i = 0; i < nold; i++)
        if (old[i])
            drop_probe(vs, old[i]);
    free(old);
    /* Launch order follows the new order: start again after the first
     * entry not launched yet. */
    vp->next_launch = r + 1;
}

/* nmap's TLS probes (SSLv3/TLS 1.0 hellos) ended with EOF or a reset
 * without a byte: a server that takes only modern TLS does that. */
static bool old_hellos_refused(const struct vport *vp)
{
    bool any = false;
    for (size_t j = 0; j < vp->nplan; j++) {
        const struct vprobe *pr = vp->probes[j];
        if (!vconn_is_hello(pr->probe))
            continue;
        if (pr->end == VP_SKIPPED || pr->end == VP_WAITING)
            continue;
        if (pr->len > 0 || (pr->end != VP_EOF && pr->end != VP_RESET))
            return false;
        any = true;
    }
    return any;
}

static void start_facts(struct vs *vs, struct vport *vp);
void vres_finish(struct vs *vs, struct vport *vp);

void vres_trial_done(struct vs *vs, struct vport *vp, bool ok)
{
    vp->trial = false;
    if (vs->job.trace) {
        char a[64];
        ipaddr_str(&vp->host->h.addr, a, sizeof(a));
        vout_trace(vs, "%s:%u: a modern TLS handshake %s%s", a, vp->port,
                   ok ? "succeeded: probing through it (an answer nmap 7.93 would not give)"
                      : "failed too",
                   ok ? "" : ": nmap's answer stands");
    }
    if (ok) {
        vp->ssl = true;
        vp->modern_tls = true;
        if (vres_plan_port(vs, vp) == 0)
            return;
    }
    vconn_drop_facts(vp);
    vres_finish(vs, vp);
}

/* Nothing matched. Where nmap's old hellos were refused, try a modern
 * handshake first (point 6); else the answer is nmap's "no match". */
bool vres_udp_wrapped(const struct vport *vp)
{
    if (vp->proto != SVC_UDP || vp->udp_reply)
        return false;
    for (size_t k = 0; k < vp->nplan; k++)
        if (!vp->probes[k]->refused)
            return false;
    return true;
}

static void no_match(struct vs *vs, struct vport *vp)
{
    if (vres_udp_wrapped(vp))
        vp->tcpwrapped = true;
    if (vp->proto == SVC_TCP && !vp->ssl && !vp->facts_started && vs->tls_ctx &&
        old_hellos_refused(vp)) {
        vp->trial = true;
        start_facts(vs, vp);
        return;
    }
    vres_finish(vs, vp);
}

void vres_finish(struct vs *vs, struct vport *vp)
{
    vp->done = true;
    for (size_t j = 0; j < vp->nplan; j++) {
        struct vprobe *pr = vp->probes[j];
        vconn_close(vs, pr);
        if (pr->end == VP_RUNNING || pr->end == VP_WAITING)
            pr->end = VP_SKIPPED;
    }
    vres_complete(vs, vp);
}

/* The answer is decided and any facts connection has ended: write it. */
static void start_facts(struct vs *vs, struct vport *vp);

void vres_complete(struct vs *vs, struct vport *vp)
{
    if (!vp->done || vp->completed || vp->facts.fd >= 0 || vp->facts_pending)
        return;
    /* UDP: nmap's snmp-info has its word after the probes (version_hint.c);
     * the facts slot (TLS only on TCP) carries its exchange. */
    if (vp->proto == SVC_UDP && !vp->facts_started && vhint_snmp_wanted(vs, vp)) {
        start_facts(vs, vp);
        return;
    }
    vp->completed = true;
    vout_port(vs, vp);
    struct vhost *vh = vp->host;
    if (--vh->open_ports == 0 && !vh->in_setup)
        vs_host_done(vs, vh);
}

static void start_facts(struct vs *vs, struct vport *vp)
{
    struct vprobe *pr = &vp->facts;
    vp->facts_started = true;
    pr->port = vp;
    pr->k = SIZE_MAX;
    pr->probe = vp->proto == SVC_UDP ? vhint_snmp_probe(vs->db) : NULL;
    if (!vport_room(vs, vp)) { /* the caps hold it too: the pump launches it */
        vp->facts_pending = true;
        evloop_defer(vs->loop, &vs->pump);
        return;
    }
    vconn_launch(vs, pr);
}

/* Accept an answer (ans is moved). "ssl" restarts the port through TLS. */
static void accept_answer(struct vs *vs, struct vport *vp, struct svc_answer *ans)
{
    if (!vp->ssl && vp->proto == SVC_TCP && ans->service && strcmp(ans->service, "ssl") == 0 &&
        vs->tls_ctx) {
        svc_answer_clear(ans);
        vp->ssl = true;
        if (vs->job.trace) {
            char a[64];
            ipaddr_str(&vp->host->h.addr, a, sizeof(a));
            vout_trace(vs, "%s:%u speaks TLS: probing again through an SSL tunnel", a, vp->port);
        }
        if (vres_plan_port(vs, vp) < 0) {
            vres_finish(vs, vp);
            return;
        }
        if (!vp->facts_started)
            start_facts(vs, vp);
        return;
    }
    svc_answer_clear(&vp->ans);
    vp->ans = *ans;
    memset(ans, 0, sizeof(*ans));
    vres_finish(vs, vp);
}

void vres_resolve(struct vs *vs, struct vport *vp)
{
    while (!vp->done && vp->resolved < vp->nplan) {
        struct vprobe *pr = vp->probes[vp->resolved];
        if (pr->end == VP_SKIPPED) {
            vp->resolved++;
            continue;
        }
        if (pr->end == VP_RUNNING || pr->end == VP_WAITING)
            return;
        /* Matched under the softmatch in force now, as nmap would have. */
        const char *soft = vp->soft.found ? vp->soft.service : NULL;
        if (pr->len > 0 && (!pr->ans.found || pr->ans_narrowed != (soft != NULL))) {
            svc_answer_clear(&pr->ans);
            if (svc_match(vs->db, pr->probe, pr->buf, pr->len, soft, &pr->ans,
                          vs->job.trace ? vout_trace_rule : NULL, vs) < 0)
                memset(&pr->ans, 0, sizeof(pr->ans));
            pr->ans_narrowed = soft != NULL;
        }
        if (pr->ans.found && !pr->ans.soft) {
            size_t k = vp->resolved;
            vp->resolved++;
            struct svc_answer a = pr->ans;
            memset(&pr->ans, 0, sizeof(pr->ans));
            if (vp->soft.found) { /* nmap's processMatch: the softmatch's fields stay */
                struct svc_answer m = {0};
                if (svc_answer_merge(&m, &vp->soft) == 0 && svc_answer_merge(&m, &a) == 0) {
                    svc_answer_clear(&a);
                    a = m;
                } else {
                    svc_answer_clear(&m);
                }
            }
            accept_answer(vs, vp, &a);
            (void)k;
            continue; /* done, or after "ssl" the new plan starts resolving */
        }
        if (vconn_is_null(pr) && pr->len == 0 && (pr->end == VP_EOF || pr->end == VP_RESET) &&
            pr->connected &&
            pr->t_end_us - pr->t_conn_us < (int64_t)vconn_wrapped_ms(pr->probe) * 1000) {
            vp->tcpwrapped = true;
            vres_finish(vs, vp);
            return;
        }
        if (pr->ans.found && pr->ans.soft && !vp->soft.found) {
            vp->soft = pr->ans;
            memset(&pr->ans, 0, sizeof(pr->ans));
            narrow(vs, vp);
        }
        vp->resolved++;
        /* Later probes that matched while this one waited: their wait is
         * over only if a later one hard-matched; nothing else to do. */
    }
    if (!vp->done && vp->resolved >= vp->nplan) {
        if (vp->soft.found) {
            struct svc_answer a = vp->soft;
            memset(&vp->soft, 0, sizeof(vp->soft));
            accept_answer(vs, vp, &a);
        } else {
            no_match(vs, vp);
        }
    }
}
