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

int64_t vconn_grace_us(const struct vs *vs, const struct vhost *vh)
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
    int64_t now = clock_mono_us(), g = vconn_grace_us(vs, vp->host);
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

void vconn_timer_init(struct vprobe *pr)
{
    evloop_timer_init(&pr->timer, on_timer, pr);
}
