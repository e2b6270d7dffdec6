/*
 * version_sched.c — which of a port's probe connections run when, and the
 * hosts they belong to: a host's ports are planned (version_resolve.c) and
 * started here, and vport_pump launches waiting probes under the caps
 * (job.max_conns, host_conns, port_conns: nmap's service-scan parallelism)
 * breadth first across hosts, each TCP port only a few probes ahead of the
 * answer (spec_window; version_port.c's header says why the schedule
 * changes only the cost, never the answer).
 */
#include "core/clock.h"
#include "core/log.h"
#include "detect/version_internal.h"

#include <stdlib.h>
#include <string.h>

#define SPEC_FIRST  2 /* a TCP port's connections at first (spec_window) */
#define SPEC_GROWTH 2 /* more for each probe that ended unsettled */

/* ---- hosts ------------------------------------------------------------------ */

/* --host-timeout: what was found so far goes on, the host marked. */
static void host_timeout(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct vhost *vh = user;
    struct vs *vs = evloop_ctx(loop);
    (void)t;
    vport_abort_host(vs, vh);
    vh->h.timed_out = true;
    vh->h.interrupted = false;
    vs_host_done(vs, vh);
}

void vport_host_init(struct vhost *vh)
{
    evloop_timer_init(&vh->timeout, host_timeout, vh);
}

size_t vport_setup_host(struct vs *vs, struct vhost *vh)
{
    size_t n = 0;
    for (size_t i = 0; i < vh->h.nports; i++)
        if (vs_wants_port(&vh->h.ports[i]))
            n++;
    if (n == 0)
        return 0;
    vh->ports = calloc(n, sizeof(*vh->ports));
    if (!vh->ports)
        return 0;
    vh->srtt_us = vh->h.srtt_us > 0 ? vh->h.srtt_us : -1;
    vh->start_us = clock_mono_us();
    if (vs->job.host_timeout_ms) {
        /* nmap's host timeout runs through the port scan and -sV alike: what
         * the port scan used of it (its start to end) is gone. */
        int64_t used = ((int64_t)vh->h.end.tv_sec - vh->h.start.tv_sec) * 1000 +
                       (vh->h.end.tv_nsec - vh->h.start.tv_nsec) / 1000000;
        int64_t left = (int64_t)vs->job.host_timeout_ms;
        if (vh->h.start.tv_sec > 0 && used > 0)
            left = left > used ? left - used : 1;
        evloop_timer_in_ms(vs->loop, &vh->timeout, left);
    }
    size_t m = 0;
    for (size_t i = 0; i < vh->h.nports; i++) {
        const struct port_result *p = &vh->h.ports[i];
        if (!vs_wants_port(p))
            continue;
        enum svc_proto proto = p->proto == PROTO_TCP ? SVC_TCP : SVC_UDP;
        if (!vs->job.all_ports && svc_db_excluded(vs->db, proto, p->port))
            continue;
        struct vport *vp = &vh->ports[m];
        vp->host = vh;
        vp->idx = i;
        vp->proto = proto;
        vp->port = p->port;
        vp->facts.fd = -1;
        vconn_timer_init(&vp->facts);
        if (vres_plan_port(vs, vp) < 0) {
            vres_drop_probes(vs, vp);
            continue;
        }
        m++;
    }
    vh->nports = m;
    vh->open_ports = m;
    /* A port with nothing to send completes here; when all do, the caller
     * (on_wake) hands the host over, once. */
    vh->in_setup = true;
    for (size_t i = 0; i < m; i++)
        if (vh->ports[i].nplan == 0) { /* nothing to send: nmap's "no match" */
            vh->ports[i].done = true;
            vh->ports[i].tcpwrapped = vres_udp_wrapped(&vh->ports[i]); /* UDP: nmap's quirk */
            vres_complete(vs, &vh->ports[i]);
        }
    vh->in_setup = false;
    return vh->open_ports > 0 ? m : 0;
}

/* Whether probe pr is one of nmap's SSL/TLS hellos (SSLSessionReq,
 * TLSSessionReq, SSLv23SessionReq): on a TLS server each costs a handshake,
 * and while one waits another can only say the same thing sooner. */
bool vconn_is_hello(const struct svc_probe *p)
{
    const char *name = svc_probe_name(p);
    return strcmp(name, "SSLSessionReq") == 0 || strcmp(name, "TLSSessionReq") == 0 ||
           strcmp(name, "SSLv23SessionReq") == 0;
}

/* How many of a TCP port's probe connections may be open at once: the NULL
 * probe and one more (the port-matched probe, issue 11 point 3's example),
 * and two more for each probe that ended without settling the answer or is
 * still silent a grace after it was sent (a service that answers it has
 * done so by then; *due gets when the next one would be, else stays 0). An
 * ordinary service answers the first or second probe, so it costs about
 * the connections nmap's sequence costs; one that answers little soon has
 * the whole job.port_conns, which is what bounds a silent port's time. The
 * NULL probe's silence does not count: most services are silent on it. A
 * port no probe lists (ports, or sslports through TLS) starts two wider. */
static unsigned spec_window(const struct vs *vs, const struct vport *vp, int64_t now, int64_t *due)
{
    if (vp->proto != SVC_TCP)
        return vs->job.port_conns;
    unsigned w = SPEC_FIRST + SPEC_GROWTH * vp->misses;
    if (vp->nplan > 1 && !svc_probe_lists_port(vp->probes[1]->probe, vp->port, vp->ssl))
        w += SPEC_GROWTH; /* no probe lists the port: which one answers is a guess */
    int64_t g = vconn_grace_us(vs, vp->host);
    for (size_t j = vp->resolved; j < vp->next_launch && w < vs->job.port_conns; j++) {
        const struct vprobe *pr = vp->probes[j];
        if (vconn_is_null(pr) || pr->end != VP_RUNNING || !pr->sent || pr->len > 0)
            continue;
        if (now >= pr->t_sent_us + g)
            w += SPEC_GROWTH; /* a likely miss */
        else if (*due == 0 || pr->t_sent_us + g < *due)
            *due = pr->t_sent_us + g;
    }
    return w < vs->job.port_conns ? w : vs->job.port_conns;
}

/* An SSL/TLS hello waits while another of the port's hellos is under way:
 * connecting, answering, or sent less than a grace ago (a TLS server
 * answers a hello at once; one silent longer is likely no TLS server, and
 * holding the hellos behind it would only hold the plan). *due gets when
 * the wait may end by time. */
static bool hello_busy(const struct vs *vs, const struct vport *vp, int64_t now, int64_t *due)
{
    size_t k = vp->next_launch;
    if (vp->ssl || !vconn_is_hello(vp->probes[k]->probe))
        return false;
    int64_t g = vconn_grace_us(vs, vp->host);
    bool busy = false;
    for (size_t j = vp->resolved; j < k; j++) {
        const struct vprobe *pr = vp->probes[j];
        if (pr->end != VP_RUNNING || !vconn_is_hello(pr->probe))
            continue;
        if (!pr->sent || pr->len > 0) {
            busy = true;
        } else if (now < pr->t_sent_us + g) {
            busy = true;
            if (*due == 0 || pr->t_sent_us + g < *due)
                *due = pr->t_sent_us + g;
        }
    }
    return busy;
}

/* Whether vp may launch its next probe now; else *wake gets the earliest
 * time it may (0: it waits for an event, not a time). */
static bool may_launch(const struct vs *vs, const struct vport *vp, int64_t now, int64_t *wake)
{
    if (vp->later_hard && vp->next_launch > vp->hard_k)
        return false; /* the answer is known unless an earlier probe says otherwise */
    int64_t due = 0;  /* the TLS-facts connection is not one of the plan's */
    if (vp->running - (vp->facts.fd >= 0 ? 1u : 0u) >= spec_window(vs, vp, now, &due)) {
        if (due && (*wake == 0 || due < *wake))
            *wake = due;
        return false; /* a connection's end pumps, or the wake */
    }
    if (vp->proto != SVC_TCP || vp->next_launch == 0)
        return true;
    due = 0;
    if (hello_busy(vs, vp, now, &due)) {
        if (due && (*wake == 0 || due < *wake))
            *wake = due;
        return false; /* its end pumps, or the wake */
    }
    if (vp->ssl && (vp->tls_session || vp->tls_failures))
        return true;      /* resume the first handshake's session, or it will not come */
    if (vp->resolved > 0) /* the NULL probe is over */
        return true;
    if (vp->others_at_us == 0)
        return false; /* not connected yet: its connect event pumps */
    if (now >= vp->others_at_us)
        return true;
    if (*wake == 0 || vp->others_at_us < *wake)
        *wake = vp->others_at_us;
    return false;
}

bool vport_room(const struct vs *vs, const struct vport *vp)
{
    return vp->running < vs->job.port_conns && vp->host->conns < vs->job.host_conns &&
           vs->conns < vs->job.max_conns;
}

/* Launch as many waiting probes as the caps allow, breadth first: pass d
 * lets every port of every active host have d connections, so when the
 * global cap binds (many hosts) each port's first probes, the ones whose
 * answer counts first, run before any port's speculative later ones, and
 * all hosts progress together instead of the first few running whole
 * plans while the rest wait. A pass runs only if the last one left a port
 * held back by its depth. */
void vport_pump(struct vs *vs)
{
    int64_t now = clock_mono_us(), wake = 0;
    bool held = true;
    for (unsigned depth = 1; held && depth <= vs->job.port_conns; depth++) {
        held = false;
        for (size_t i = 0; i < vs->nactive && vs->conns < vs->job.max_conns; i++) {
            struct vhost *vh = vs->active[i];
            for (size_t j = 0; j < vh->nports && vh->conns < vs->job.host_conns; j++) {
                struct vport *vp = &vh->ports[j];
                /* A held TLS-facts or snmp-info connection first: its port's
                 * answer waits for it. */
                if (vp->facts_pending && vport_room(vs, vp)) {
                    vp->facts_pending = false;
                    vconn_launch(vs, &vp->facts); /* a failure ends and completes the port */
                    if (i >= vs->nactive || vs->active[i] != vh)
                        return;
                }
                while (!vp->done && vp->next_launch < vp->nplan && vport_room(vs, vp) &&
                       may_launch(vs, vp, now, &wake)) {
                    if (vp->running >= depth) {
                        held = true;
                        break;
                    }
                    struct vprobe *pr = vp->probes[vp->next_launch++];
                    if (pr->end != VP_WAITING)
                        continue;
                    vconn_launch(vs, pr); /* a failure ends and resolves pr */
                    if (i >= vs->nactive || vs->active[i] != vh)
                        return; /* the host finished and left the list */
                }
            }
        }
    }
    if (wake && (!evloop_timer_armed(&vs->pump_timer) || wake < vs->pump_timer.due_us))
        evloop_timer_at(vs->loop, &vs->pump_timer, wake);
}

static void pump_task(struct evloop *loop, void *user)
{
    (void)loop;
    vport_pump(user);
}

static void pump_timer(struct evloop *loop, struct evloop_timer *t, void *user)
{
    (void)loop;
    (void)t;
    vport_pump(user);
}

void vport_abort_host(struct vs *vs, struct vhost *vh)
{
    for (size_t j = 0; j < vh->nports; j++) {
        struct vport *vp = &vh->ports[j];
        vconn_close(vs, &vp->facts);
        vp->facts_pending = false;
        if (!vp->done) {
            vh->h.interrupted = true; /* its -sV answers are partial */
            vp->done = true;
            for (size_t k = 0; k < vp->nplan; k++)
                vconn_close(vs, vp->probes[k]);
            if (vp->soft.found) {
                vp->ans = vp->soft;
                memset(&vp->soft, 0, sizeof(vp->soft));
            }
        }
        if (!vp->completed) {
            vp->completed = true;
            vout_port(vs, vp);
        }
    }
}

void vport_free_host(struct vhost *vh)
{
    for (size_t j = 0; j < vh->nports; j++) {
        struct vport *vp = &vh->ports[j];
        for (size_t k = 0; k < vp->nplan; k++) {
            vconn_free(vp->probes[k]);
            free(vp->probes[k]);
        }
        vconn_free(&vp->facts);
        free(vp->probes);
        svc_answer_clear(&vp->ans);
        svc_answer_clear(&vp->soft);
        vconn_drop_facts(vp);
        vtls_session_free(vp->tls_session);
        vp->tls_session = NULL;
    }
    free(vh->ports);
    vh->ports = NULL;
    vh->nports = 0;
}

void vport_init(struct vs *vs)
{
    evloop_task_init(&vs->pump, pump_task, vs);
    evloop_timer_init(&vs->pump_timer, pump_timer, vs);
}
