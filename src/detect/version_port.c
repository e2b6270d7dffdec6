/*
 * version_port.c — one port's probe connections and their waits; the
 * order in which their answers count is version_resolve.c's. Answers are
 * accepted in nmap's order (nmap doc "Service and Application Version
 * Detection", "Technique Described"; nmap's service_scan.cc semantics).
 *
 * nmap sends a port's probes one after another: the NULL probe (TCP: only
 * connect and listen for a banner, totalwaitms 6 s), then the probes that
 * list the port, then the others by rarity; the first hard match wins, a
 * softmatch narrows the rest to that service, "ssl" restarts everything
 * through TLS, a connection closed without data on the NULL probe within
 * tcpwrappedms is "tcpwrapped". Most of nmap's time is those waits.
 *
 * Here up to job.port_conns of a port's probes run at once, each on its
 * own connection, and their outcomes are *resolved* strictly in plan order:
 * probe k's answer is accepted only once every probe before it ended
 * without a hard match, re-matched under any softmatch an earlier probe
 * gave — so the answer is the one nmap's sequence would give. The schedule
 * changes only the cost, so a TCP port runs few probes ahead (spec_window):
 * the NULL probe and the next one (usually the port-matched probe) at first,
 * more only as probes end or stay silent without settling the answer, and
 * one of nmap's SSL/TLS hellos at a time (each is a handshake for a TLS
 * server, and the next can only say what the first says). An ordinary
 * service then costs about the connections nmap's sequence costs (HTTP: the
 * NULL probe and GetRequest), and a silent one soon has job.port_conns.
 * What changes is how long the waits are:
 *   - the NULL probe waits its full totalwaitms for a banner, unless a
 *     later probe has already hard-matched: then, once it has waited
 *     null_grace (max(250 ms, 8 SRTT)) without a byte, it ends. A service
 *     that speaks first does so on accepting, and a service that answered
 *     a later probe's request is not one that would have spoken later;
 *   - any other probe waits max(1 s, 16 SRTT) for its reply (a reply is
 *     one round trip plus the service's work), never more than its
 *     totalwaitms, and is cut to the same grace when a later probe has
 *     hard-matched;
 *   - --version-timeout caps every wait.
 *   - a TLS handshake gets max(2 s, 16 SRTT) after the TCP connect (nmap:
 *     8 s for both); once two handshakes on a port failed or stalled, the
 *     port's remaining probes fail without a connection, as each of theirs
 *     would.
 * The probes after the NULL probe start a moment after it connected
 * (stagger: 4 SRTT, 100-250 ms; sshd re-executes itself before it greets): a service that greets at
 * once (ssh, ftp, smtp) is answered by its banner before anything else is sent to it, as with nmap;
 * the others lose only that moment. A probe that received data but no match keeps reading until its
 * wait ends, as nmap's does. Through TLS the probes after the first wait the same way for the
 * port's first handshake and resume its session, as nmap reuses one SSL session per service: the
 * server makes one full handshake (a signature) per port instead of one per probe.
 */
#include "core/addr.h"
#include "core/clock.h"
#include "core/log.h"
#include "detect/version_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NMAP_WAIT_MS       5000 /* nmap's DEFAULT_SERVICEWAITMS */
#define NMAP_WRAPPED_MS    2000 /* nmap's DEFAULT_TCPWRAPPEDMS */
#define NMAP_CONNECT_MS    5000 /* nmap's DEFAULT_CONNECT_TIMEOUT */
#define NMAP_CONNECT_SSLMS 8000 /* nmap's DEFAULT_CONNECT_SSL_TIMEOUT (connect + handshake) */
#define GRACE_MIN_MS       250
#define REPLY_WAIT_MIN_MS  1000
#define HANDSHAKE_MIN_MS   2000
#define TLS_FAILURES_MAX   2
#define STAGGER_MIN_MS     100
#define STAGGER_MAX_MS     250
#define SPEC_FIRST         2 /* a TCP port's connections at first (spec_window) */
#define SPEC_GROWTH        2 /* more for each probe that ended unsettled */

static void on_io(struct evloop *loop, int fd, uint32_t events, void *user);
static void on_timer(struct evloop *loop, struct evloop_timer *t, void *user);

static unsigned cap_ms(const struct vs *vs, uint64_t ms)
{
    if (vs->job.timeout_ms && ms > vs->job.timeout_ms)
        ms = vs->job.timeout_ms;
    return (unsigned)ms;
}

static unsigned total_wait_ms(const struct svc_probe *p)
{
    unsigned ms = svc_probe_totalwaitms(p);
    return ms ? ms : NMAP_WAIT_MS;
}

unsigned vconn_wrapped_ms(const struct svc_probe *p)
{
    unsigned ms = svc_probe_tcpwrappedms(p);
    return ms ? ms : NMAP_WRAPPED_MS;
}

static int64_t srtt_ms(const struct vhost *vh)
{
    return vh->srtt_us > 0 ? vh->srtt_us / 1000 : 0;
}

static int64_t grace_us(const struct vs *vs, const struct vhost *vh)
{
    int64_t ms = 8 * srtt_ms(vh);
    if (ms < GRACE_MIN_MS)
        ms = GRACE_MIN_MS;
    return (int64_t)cap_ms(vs, (uint64_t)ms) * 1000;
}

/* How long probe pr waits for its reply once sent (µs). */
static int64_t reply_wait_us(const struct vs *vs, const struct vprobe *pr)
{
    const struct vport *vp = pr->port;
    uint64_t total = pr->probe ? total_wait_ms(pr->probe) : NMAP_WAIT_MS;
    bool null_probe = vp->proto == SVC_TCP && pr->k == 0;
    uint64_t ms = total;
    if (!null_probe) {
        uint64_t rtt = (uint64_t)(16 * srtt_ms(vp->host));
        ms = rtt > REPLY_WAIT_MIN_MS ? rtt : REPLY_WAIT_MIN_MS;
        if (ms > total)
            ms = total;
    }
    return (int64_t)cap_ms(vs, ms) * 1000;
}

bool vconn_is_null(const struct vprobe *pr)
{
    return pr->port->proto == SVC_TCP && pr->k == 0;
}

/* ---- connections ------------------------------------------------------- */

void vconn_close(struct vs *vs, struct vprobe *pr)
{
    evloop_timer_cancel(vs->loop, &pr->timer);
    if (pr->ssl) {
        if (pr->handshaken) /* TLS 1.3: a ticket may have come with the reply */
            vtls_keep_session(pr->ssl, &pr->port->tls_session);
        vtls_free(pr->ssl);
        pr->ssl = NULL;
    }
    if (pr->fd >= 0) {
        if (pr->registered)
            evloop_del(vs->loop, pr->fd);
        close(pr->fd);
        pr->fd = -1;
        pr->registered = false;
        pr->port->running--;
        pr->port->host->conns--;
        vs->conns--;
    }
}

void vconn_free(struct vprobe *pr)
{
    free(pr->buf);
    pr->buf = NULL;
    pr->len = 0;
    svc_answer_clear(&pr->ans);
}

static void arm(struct vs *vs, struct vprobe *pr, int64_t deadline_us)
{
    pr->deadline_us = deadline_us;
    if (evloop_timer_at(vs->loop, &pr->timer, deadline_us) < 0)
        pr->deadline_us = 0; /* out of memory: the port's end bounds it */
}

/* pr ended (how = its end state): close it and see what it decides. */
static void vp_end(struct vs *vs, struct vprobe *pr, enum vp_end how)
{
    struct vport *vp = pr->port;
    pr->end = how;
    pr->t_end_us = clock_mono_us();
    if (vp->ssl && !pr->handshaken && (how == VP_TLSFAIL || (how == VP_TIMEOUT && pr->connected)))
        vp->tls_failures++;
    vconn_close(vs, pr);
    if (pr->k == SIZE_MAX) { /* the TLS-facts connection, or UDP's snmp-info */
        if (vp->proto == SVC_UDP) {
            vhint_snmp_apply(vs, vp, pr->len ? pr->buf : NULL, pr->len);
            vres_complete(vs, vp);
        } else if (vp->trial)
            vres_trial_done(vs, vp, pr->handshaken);
        else
            vres_complete(vs, vp);
        evloop_defer(vs->loop, &vs->pump);
        return;
    }
    if (how != VP_SKIPPED && (how != VP_MATCHED || pr->ans.soft))
        vp->misses++; /* the answer is still open: widen the port's window */
    if (vs->job.trace && how != VP_SKIPPED && how != VP_MATCHED) {
        static const char *const why[] = {[VP_TIMEOUT] = "timed out",
                                          [VP_EOF] = "closed by peer",
                                          [VP_RESET] = "reset",
                                          [VP_TLSFAIL] = "TLS failed"};
        char a[64];
        ipaddr_str(&vp->host->h.addr, a, sizeof(a));
        vout_trace(vs, "Probe %s to %s:%u (%s%s): %s after %zu bytes", svc_probe_name(pr->probe), a,
                   vp->port, vp->ssl ? "ssl/" : "", vp->proto == SVC_TCP ? "tcp" : "udp",
                   how < sizeof(why) / sizeof(why[0]) && why[how] ? why[how] : "ended", pr->len);
    }
    vres_resolve(vs, vp);
    evloop_defer(vs->loop, &vs->pump);
}

static void trace_sending(const struct vs *vs, const struct vprobe *pr)
{
    const struct vport *vp = pr->port;
    if (!vs->job.trace || pr->k == SIZE_MAX)
        return;
    char a[64];
    ipaddr_str(&vp->host->h.addr, a, sizeof(a));
    vout_trace(vs, "Service scan sending probe %s to %s:%u (%s%s)", svc_probe_name(pr->probe), a,
               vp->port, vp->ssl ? "ssl/" : "", vp->proto == SVC_TCP ? "tcp" : "udp");
}

/* The NULL probe sends nothing: it listens for a banner from now on.
 * Returns 0, or -1 (pr ended). */
static int null_listen(struct vs *vs, struct vprobe *pr)
{
    char err[128];
    pr->sent = true;
    pr->t_sent_us = clock_mono_us();
    trace_sending(vs, pr);
    if (evloop_mod(vs->loop, pr->fd, EVLOOP_READ, err, sizeof(err)) < 0) {
        vp_end(vs, pr, VP_RESET);
        return -1;
    }
    arm(vs, pr, clock_mono_us() + reply_wait_us(vs, pr));
    return 0;
}

/* Send the payload (TCP after connect/handshake; UDP at once). */
static int vp_send(struct vs *vs, struct vprobe *pr)
{
    size_t plen = 0;
    const uint8_t *payload = pr->probe ? svc_probe_payload(pr->probe, &plen) : NULL;
    trace_sending(vs, pr);
    if (plen > 0) {
        long n;
        if (pr->ssl)
            n = vtls_write(pr->ssl, payload, plen);
        else
            n = send(pr->fd, payload, plen, MSG_NOSIGNAL);
        /* Probes are small: a socket just opened takes them whole. */
        if (n != (long)plen)
            return -1;
    }
    pr->sent = true;
    pr->t_sent_us = clock_mono_us();
    evloop_defer(vs->loop, &vs->pump); /* its grace may widen the window (spec_window) */
    char err[128];
    if (evloop_mod(vs->loop, pr->fd, EVLOOP_READ, err, sizeof(err)) < 0)
        return -1;
    arm(vs, pr, clock_mono_us() + reply_wait_us(vs, pr));
    return 0;
}

static int64_t stagger_us(const struct vhost *vh)
{
    int64_t ms = 4 * srtt_ms(vh);
    if (ms < STAGGER_MIN_MS)
        ms = STAGGER_MIN_MS;
    if (ms > STAGGER_MAX_MS)
        ms = STAGGER_MAX_MS;
    return ms * 1000;
}

static void sample_rtt(struct vhost *vh, int64_t us)
{
    if (us <= 0)
        return;
    vh->srtt_us = vh->srtt_us > 0 ? (7 * vh->srtt_us + us) / 8 : us;
}

/* A later probe hard-matched: the earlier ones still waiting in silence
 * need wait only the grace (see the file comment). */
static void cut_waits(struct vs *vs, struct vport *vp, size_t upto)
{
    int64_t now = clock_mono_us(), g = grace_us(vs, vp->host);
    for (size_t j = vp->resolved; j < upto && j < vp->nplan; j++) {
        struct vprobe *pr = vp->probes[j];
        if (pr->end != VP_RUNNING || pr->len > 0 || !pr->sent)
            continue;
        int64_t from = pr->t_conn_us ? pr->t_conn_us : pr->t_start_us;
        int64_t due = from + g < now ? now : from + g;
        if (pr->deadline_us == 0 || due < pr->deadline_us)
            arm(vs, pr, due);
    }
}

/* Data arrived on pr: keep it and see whether it matches now. Returns
 * true when pr ended (matched). */
static bool vp_got(struct vs *vs, struct vprobe *pr, const uint8_t *data, size_t n)
{
    struct vport *vp = pr->port;
    size_t room = VS_REPLY_MAX - pr->len;
    if (n > room)
        n = room;
    if (n == 0)
        return false;
    uint8_t *b = realloc(pr->buf, pr->len + n);
    if (!b)
        return false;
    pr->buf = b;
    memcpy(pr->buf + pr->len, data, n);
    pr->len += n;
    if (pr->k == SIZE_MAX) /* facts, or snmp-info (whose reply proves nothing to nmap) */
        return false;
    if (vp->proto == SVC_UDP)
        vp->udp_reply = true;
    svc_answer_clear(&pr->ans);
    const char *soft = vp->soft.found ? vp->soft.service : NULL;
    if (svc_match(vs->db, pr->probe, pr->buf, pr->len, soft, &pr->ans,
                  vs->job.trace ? vout_trace_rule : NULL, vs) < 0)
        return false;
    pr->ans_narrowed = soft != NULL;
    if (!pr->ans.found)
        return false;
    if (!pr->ans.soft && pr->k > vp->resolved) {
        if (!vp->later_hard || pr->k < vp->hard_k)
            vp->hard_k = pr->k;
        vp->later_hard = true;
        cut_waits(vs, vp, pr->k);
    }
    vp_end(vs, pr, VP_MATCHED);
    return true;
}

static void vp_read(struct vs *vs, struct vprobe *pr)
{
    uint8_t buf[16384];
    for (int i = 0; i < 64; i++) { /* bounded per event: a flood cannot hog the loop */
        long n;
        if (pr->ssl) {
            n = vtls_read(pr->ssl, buf, sizeof(buf));
            if (n == -2)
                return;
        } else {
            n = recv(pr->fd, buf, sizeof(buf), 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            if (n < 0 && pr->port->proto == SVC_UDP && errno == ECONNREFUSED) {
                pr->refused = true;
                vp_end(vs, pr, VP_RESET);
                return;
            }
        }
        if (n == 0 && pr->port->proto == SVC_TCP) {
            vp_end(vs, pr, VP_EOF);
            return;
        }
        if (n < 0) {
            vp_end(vs, pr, VP_RESET);
            return;
        }
        if (vp_got(vs, pr, buf, (size_t)n))
            return;
        if (pr->port->proto == SVC_UDP) { /* one datagram is the reply */
            if (pr->k == SIZE_MAX)
                vp_end(vs, pr, VP_EOF);
            return;
        }
    }
}

void vconn_drop_facts(struct vport *vp)
{
    if (vp->tls) {
        tls_info_free(vp->tls);
        free(vp->tls);
        vp->tls = NULL;
    }
    if (vp->cert_script) {
        script_output_free(vp->cert_script);
        free(vp->cert_script);
        vp->cert_script = NULL;
    }
}

static void on_io(struct evloop *loop, int fd, uint32_t events, void *user)
{
    struct vprobe *pr = user;
    struct vs *vs = evloop_ctx(loop);
    struct vport *vp = pr->port;
    char err[128];
    (void)fd;
    if (!pr->connected) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0) {
            vp_end(vs, pr, VP_RESET);
            return;
        }
        if (!(events & EVLOOP_WRITE))
            return;
        pr->connected = true;
        pr->t_conn_us = clock_mono_us();
        sample_rtt(vp->host, pr->t_conn_us - pr->t_start_us);
        if ((vconn_is_null(pr) && !vp->ssl) || (vp->ssl && vp->others_at_us == 0)) {
            vp->others_at_us = pr->t_conn_us + stagger_us(vp->host);
            evloop_defer(vs->loop, &vs->pump);
        }
        if (vp->ssl || pr->k == SIZE_MAX) {
            const char *sni = vp->host->h.hostname;
            int64_t hs = 16 * srtt_ms(vp->host);
            if (hs < HANDSHAKE_MIN_MS)
                hs = HANDSHAKE_MIN_MS;
            int64_t due = pr->t_conn_us + (int64_t)cap_ms(vs, (uint64_t)hs) * 1000;
            if (due < pr->deadline_us)
                arm(vs, pr, due);
            pr->ssl =
                vtls_new(vs->tls_ctx, pr->fd, sni, pr->k == SIZE_MAX, pr->ja3s, vp->tls_session);
            if (!pr->ssl) {
                vp_end(vs, pr, VP_TLSFAIL);
                return;
            }
        } else if (vp->proto == SVC_TCP) {
            if (vconn_is_null(pr)) {
                null_listen(vs, pr);
                return;
            }
            if (vp_send(vs, pr) < 0)
                vp_end(vs, pr, VP_RESET);
            return;
        }
    }
    if (pr->ssl && !pr->handshaken) {
        uint32_t want = 0;
        int rc = vtls_handshake(pr->ssl, &want);
        if (rc < 0) {
            vp_end(vs, pr, VP_TLSFAIL);
            return;
        }
        if (rc == 0) {
            if (evloop_mod(vs->loop, pr->fd, want, err, sizeof(err)) < 0)
                vp_end(vs, pr, VP_RESET);
            return;
        }
        pr->handshaken = true;
        if (vtls_keep_session(pr->ssl, &vp->tls_session))
            evloop_defer(vs->loop, &vs->pump); /* the probes waiting for it */
        if (pr->k == SIZE_MAX) {               /* the facts connection's word is final */
            struct tls_info *t = NULL;
            struct script_output *sc = NULL;
            if (vtls_facts(pr->ssl, vp->host->h.hostname, pr->ja3s, vs->job.verbose, &t, &sc) ==
                0) {
                vconn_drop_facts(vp);
                vp->tls = t;
                vp->cert_script = sc;
            }
            vp_end(vs, pr, VP_EOF);
            return;
        }
        if (!vp->tls) /* facts from the first handshake, in case the facts connection fails */
            vtls_facts(pr->ssl, vp->host->h.hostname, NULL, vs->job.verbose, &vp->tls,
                       &vp->cert_script);
        if (vconn_is_null(pr)) {
            /* TLS may hold application data already (a banner in the same
             * flight as the handshake's end). */
            if (null_listen(vs, pr) == 0)
                vp_read(vs, pr);
            return;
        }
        if (vp_send(vs, pr) < 0)
            vp_end(vs, pr, VP_RESET);
        return;
    }
    if (events & (EVLOOP_READ | EVLOOP_ERROR))
        vp_read(vs, pr);
}

static void on_timer(struct evloop *loop, struct evloop_timer *t, void *user)
{
    struct vprobe *pr = user;
    (void)t;
    vp_end(evloop_ctx(loop), pr, VP_TIMEOUT);
}

/* Open pr's connection. Returns 0, or -1 (pr ended as VP_RESET). */
int vconn_launch(struct vs *vs, struct vprobe *pr)
{
    struct vport *vp = pr->port;
    struct vhost *vh = vp->host;
    if (vp->ssl && vp->tls_failures >= TLS_FAILURES_MAX && pr->k != SIZE_MAX) {
        pr->t_start_us = clock_mono_us();
        vp_end(vs, pr, VP_TLSFAIL);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = ipaddr_to_sockaddr(&vh->h.addr, vp->port, &ss);
    int type = vp->proto == SVC_TCP ? SOCK_STREAM : SOCK_DGRAM;
    pr->t_start_us = clock_mono_us();
    pr->end = VP_RUNNING;
    pr->fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (pr->fd < 0) {
        pr->end = VP_RESET;
        pr->t_end_us = pr->t_start_us;
        return -1;
    }
    vp->running++;
    vh->conns++;
    vs->conns++;
    char err[128];
    int rc = connect(pr->fd, (struct sockaddr *)&ss, sl);
    if (rc < 0 && errno != EINPROGRESS) {
        vp_end(vs, pr, VP_RESET);
        return -1;
    }
    uint32_t interest = vp->proto == SVC_TCP ? EVLOOP_WRITE : EVLOOP_READ;
    if (evloop_add(vs->loop, pr->fd, interest, on_io, pr, err, sizeof(err)) < 0) {
        vp_end(vs, pr, VP_RESET);
        return -1;
    }
    pr->registered = true;
    if (vp->proto == SVC_UDP) {
        pr->connected = true;
        pr->t_conn_us = pr->t_start_us;
        if (vp_send(vs, pr) < 0) {
            vp_end(vs, pr, VP_RESET);
            return -1;
        }
        return 0;
    }
    unsigned ms = vp->ssl ? NMAP_CONNECT_SSLMS : NMAP_CONNECT_MS;
    arm(vs, pr, pr->t_start_us + (int64_t)cap_ms(vs, ms) * 1000);
    return 0;
}

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
        evloop_timer_init(&vp->facts.timer, on_timer, &vp->facts);
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
    int64_t g = grace_us(vs, vp->host);
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
    int64_t g = grace_us(vs, vp->host);
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

void vconn_timer_init(struct vprobe *pr)
{
    evloop_timer_init(&pr->timer, on_timer, pr);
}

void vport_init(struct vs *vs)
{
    evloop_task_init(&vs->pump, pump_task, vs);
    evloop_timer_init(&vs->pump_timer, pump_timer, vs);
}
