/*
 * version_internal.h — private to the version stage (src/detect/version*.c):
 * the worker's state, one host, one port, one probe connection.
 *
 * Everything here belongs to the worker thread (it runs the event loop);
 * only struct vs's queue fields are shared with the stream thread, under
 * vs->mu.
 */
#ifndef PRTIP_DETECT_VERSION_INTERNAL_H
#define PRTIP_DETECT_VERSION_INTERNAL_H

#include "core/result.h"
#include "detect/svcdb.h"
#include "detect/version.h"
#include "engine/loop/evloop.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

/* A reply is kept up to this many bytes (nmap reads at most about this
 * much per probe too); more is read and dropped, so an endless stream costs
 * bounded memory and the probe's wait bounds the time. */
#define VS_REPLY_MAX 65536

/* How one probe connection ended. */
enum vp_end {
    VP_RUNNING = 0,
    VP_WAITING, /* not launched yet */
    VP_MATCHED, /* a hard match on what it read (before resolution) */
    VP_TIMEOUT, /* its wait ended */
    VP_EOF,     /* the peer closed (FIN) */
    VP_RESET,   /* reset, refused or another socket error */
    VP_TLSFAIL, /* the TLS handshake failed */
    VP_SKIPPED, /* narrowed away by a softmatch, or the port finished */
};

struct vport;

/* One probe (plan entry) on one connection (TCP, TLS over TCP, or a
 * connected UDP socket). */
struct vprobe {
    struct vport *port;
    size_t k; /* index in port->plan; SIZE_MAX for the TLS-facts connection */
    const struct svc_probe *probe;
    int fd;
    SSL *ssl;
    bool connected, handshaken, sent, registered;
    bool refused; /* UDP: ended by an ICMP port unreachable (ECONNREFUSED) */
    enum vp_end end;
    uint8_t *buf; /* reply bytes, len of them (at most VS_REPLY_MAX) */
    size_t len;
    int64_t t_start_us, t_conn_us, t_sent_us, t_end_us, deadline_us;
    struct evloop_timer timer;
    struct svc_answer ans; /* what its reply matched while reading */
    bool ans_narrowed;     /* ans was matched under port->soft */
    char ja3s[33];         /* facts connection: JA3S of the ServerHello */
};

/* One port being probed. */
struct vport {
    struct vhost *host;
    size_t idx; /* index in host->h.ports */
    enum svc_proto proto;
    uint16_t port;
    bool ssl;  /* probing through TLS (after an "ssl" answer) */
    bool done; /* answer decided (or given up) */
    /* The probes in nmap's order; each allocated on its own, since the
     * event loop holds pointers to them while the order may change (a
     * softmatch narrows and extends what follows it). */
    struct vprobe **probes;
    size_t nplan, cap_plan;
    size_t next_launch;            /* first plan entry not launched */
    size_t resolved;               /* entries [0, resolved) gave no hard match */
    unsigned running;              /* connections open for this port */
    unsigned misses;               /* probes of this plan that ended without a hard match */
    struct svc_answer soft;        /* the softmatch that narrowed the probes (found = one) */
    const struct vprobe *answered; /* the probe whose reply gave ans */
    bool later_hard;               /* a probe after the first unresolved one hard-matched */
    /* TCP: the other probes start only this long after the NULL probe
     * connected (µs, CLOCK_MONOTONIC; 0 = not connected yet), so that a
     * service that greets at once is not sent probes nmap would not send. */
    int64_t others_at_us;
    size_t hard_k;         /* with later_hard: the first such probe; nothing after it is launched */
    unsigned tls_failures; /* handshakes that failed or stalled on this port */
    /* The port's first resumable TLS session: later probes through TLS
     * offer it (nmap keeps svc->ssl_session likewise), so the server does
     * one full handshake per port, not one per probe. Owned. */
    SSL_SESSION *tls_session;
    struct svc_answer ans; /* the accepted answer */
    /* nmap's tcpwrapped: TCP, the NULL probe closed at once; UDP, every
     * probe was refused (or there was none to send), see vres_udp_wrapped. */
    bool tcpwrapped;
    bool udp_reply; /* a UDP probe was answered: open|filtered becomes open */
    /* TLS: facts from a dedicated handshake (ALPN offered, JA3S seen). */
    struct vprobe facts;
    bool facts_started;
    bool facts_pending; /* started, waiting for room under the caps (vport_pump) */
    /* Issue 11 point 6: nmap's SSLv3/TLS 1.0-era hellos got EOF and
     * nothing matched; a modern handshake is tried (trial), and when it
     * succeeds the probes run through it (modern_tls). The answer then
     * differs from nmap's on purpose, and says so. */
    bool trial, modern_tls;
    bool completed;       /* answer written into the record */
    struct tls_info *tls; /* owned until handed to the record */
    struct script_output *cert_script;
    /* The first reply of each probe that answered, for nmap's SF-Port
     * fingerprint when nothing matched. */
    struct vport *next_active;
};

/* One host under detection: its record (a copy, enriched in place). */
struct vhost {
    struct vs *vs;
    struct host_result h;
    struct vport *ports;
    size_t nports;
    size_t open_ports; /* ports not done */
    bool in_setup;     /* vport_setup_host runs: its caller hands the host over */
    unsigned conns;    /* connections open */
    int64_t srtt_us;   /* from the port scan, else from our connects; -1 unknown */
    int64_t start_us;
    struct evloop_timer timeout; /* --host-timeout */
    struct vhost *next;          /* queue link */
};

/* The stage's state. */
struct vs {
    struct version_job job;
    struct svc_db *db;
    char db_err[512];
    bool db_failed;
    SSL_CTX *tls_ctx;
    struct evloop *loop;
    pthread_t thread;
    bool thread_started;
    struct evloop_task pump;
    struct evloop_timer pump_timer;      /* the next port whose others_at_us comes */
    struct evloop_task flush;            /* hands finished hosts over */
    struct vhost *done_head, *done_tail; /* finished, not handed over yet */

    /* Shared with the stream thread, under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct vhost *in_head, *in_tail;   /* handed in, not started */
    struct vhost *out_head, *out_tail; /* finished, to pass on */
    size_t in_flight;                  /* handed in and not yet passed on */
    bool closing;                      /* no more hosts will come */
    bool worker_done;

    /* Worker only. */
    struct vhost **active;
    size_t nactive, cap_active;
    unsigned conns;
    /* snmp-info's enterprise names (version_hint.c), read on first use. */
    bool ent_loaded;
    char *ent_names;
    size_t ent_len;
};

/* version.c: every port of vh is done; hand the record back (worker). The
 * hand-over happens in a deferred task, once the callbacks that may still
 * hold pointers into vh have returned (the stream thread frees it). */
void vs_host_done(struct vs *vs, struct vhost *vh);
/* The ports -sV probes: open TCP, open and open|filtered UDP (nmap). */
bool vs_wants_port(const struct port_result *p);

/* version_port.c */
/* Start probing every port of host that -sV concerns (open TCP, open and
 * open|filtered UDP); returns the number of ports started. */
size_t vport_setup_host(struct vs *vs, struct vhost *vh);
/* Initialise a new vhost's timer (before it is queued). */
void vport_host_init(struct vhost *vh);
/* Launch what the caps allow across the active hosts. */
void vport_pump(struct vs *vs);
/* Whether one more connection to vp's host fits under the caps. */
bool vport_room(const struct vs *vs, const struct vport *vp);
/* Close every connection (Ctrl-C or the end). */
void vport_abort_host(struct vs *vs, struct vhost *vh);
void vport_free_host(struct vhost *vh);
/* Set up the pump task. */
void vport_init(struct vs *vs);

/* version_port.c: one probe's connection (see the file comment). */
int vconn_launch(struct vs *vs, struct vprobe *pr); /* 0, or -1: pr ended */
void vconn_close(struct vs *vs, struct vprobe *pr); /* close, uncount; idempotent */
void vconn_free(struct vprobe *pr);                 /* reply bytes and answer */
void vconn_drop_facts(struct vport *vp);            /* TLS facts not handed on */
void vconn_timer_init(struct vprobe *pr);
/* The grace a host's probes get before a silence counts (µs): max(250 ms,
 * 8 SRTT), capped by --version-timeout. */
int64_t vconn_grace_us(const struct vs *vs, const struct vhost *vh);
bool vconn_is_null(const struct vprobe *pr);          /* the TCP NULL probe */
bool vconn_is_hello(const struct svc_probe *p);       /* nmap's SSL/TLS hello probes */
unsigned vconn_wrapped_ms(const struct svc_probe *p); /* tcpwrappedms or nmap's 2000 */

/* version_resolve.c: the port's plan and answer, in nmap's order. */
int vres_plan_port(struct vs *vs, struct vport *vp); /* (re)plan; 0 or -1 */
void vres_drop_probes(struct vs *vs, struct vport *vp);
void vres_resolve(struct vs *vs, struct vport *vp);             /* accept outcomes in order */
void vres_finish(struct vs *vs, struct vport *vp);              /* answer decided: close the rest */
void vres_complete(struct vs *vs, struct vport *vp);            /* write it once facts are in */
void vres_trial_done(struct vs *vs, struct vport *vp, bool ok); /* modern TLS retry ended */
/* UDP: no probe answered or timed out, each one drew an ICMP port
 * unreachable (or none was sent). nmap 7.93 then says "tcpwrapped"
 * (probed, conf 8) and leaves the port's state alone: its service scan ends
 * a port that way unless a probe timed out or read data (measured against
 * nmap in tests/compat/test_version_udp_refused.sh). */
bool vres_udp_wrapped(const struct vport *vp);

/* version_tls.c */
SSL_CTX *vtls_ctx_new(char *err, size_t errlen);
void vtls_ctx_free(SSL_CTX *ctx);
/* A client SSL on fd; sni may be NULL; facts = offer ALPN and record the
 * ServerHello for JA3S (always a full handshake); otherwise resume (may be
 * NULL) is offered for resumption (not taken over). NULL on failure. */
SSL *vtls_new(SSL_CTX *ctx, int fd, const char *sni, bool facts, char ja3s[33],
              SSL_SESSION *resume);
/* Keep ssl's session in *keep if *keep is NULL and the session can be
 * resumed (TLS 1.3: once a ticket arrived). Returns true if it kept it. */
bool vtls_keep_session(SSL *ssl, SSL_SESSION **keep);
void vtls_session_free(SSL_SESSION *s);
void vtls_free(SSL *ssl);
/* JA3S (Salesforce: md5 of "version,cipher,ext-ext-...", decimal) of a
 * ServerHello handshake message (msg: type 2, 3-byte length, body; RFC 8446
 * 4.1.3), len bytes of untrusted input. Writes 32 hex digits and a NUL to
 * out. Returns 0, or -1 (not a ServerHello, or cut short: out = ""). */
int vtls_ja3s(const uint8_t *msg, size_t len, char out[33]);
/* Drive the handshake: 1 done, 0 wants more (*want = EVLOOP_READ/WRITE),
 * -1 failed. */
int vtls_handshake(SSL *ssl, uint32_t *want);
/* TLS facts and nmap's ssl-cert script from a finished handshake. Returns
 * 0, or -1 (allocation or no certificate). */
int vtls_facts(SSL *ssl, const char *sni, const char *ja3s, int verbose, struct tls_info **tls,
               struct script_output **script);
/* Read/write through TLS: bytes, 0 on EOF, -1 error, -2 would block. */
long vtls_read(SSL *ssl, void *buf, size_t len);
long vtls_write(SSL *ssl, const void *buf, size_t len);

/* version_hint.c: nmap's version-category scripts that rewrite an answer
 * (see the file comment); today snmp-info. */
struct snmp_engine {
    uint32_t enterprise; /* IANA enterprise number of the engine ID */
    bool rfc3411;        /* the ID's first bit was set (RFC 3411 5 format) */
    int64_t boots, time; /* snmpEngineBoots, snmpEngineTime (s) */
};
/* Decode an SNMPv3 report (len bytes of untrusted input, any content) as
 * snmp-info does: version 3, msgID 0x4a69, USM, then the engine ID (at
 * least 4 bytes; 5 with the RFC 3411 bit), boots and time. 0 with *out
 * filled, or -1 (not such a report: the script says nothing). */
int vhint_snmpv3_engine(const uint8_t *msg, size_t len, struct snmp_engine *out);
/* nmap-service-probes' SNMPv3GetRequest probe (the script sends the same
 * bytes), or NULL when the probe file has none. */
const struct svc_probe *vhint_snmp_probe(const struct svc_db *db);
/* snmp-info's portrule on vp, whose answer is decided: UDP, 161 or named
 * snmp, intensity 7+, and the probe exists. */
bool vhint_snmp_wanted(const struct vs *vs, const struct vport *vp);
/* The script's rewrite of vp->ans from the agent's reply (NULL/0: none). */
void vhint_snmp_apply(struct vs *vs, struct vport *vp, const uint8_t *reply, size_t len);

/* version_out.c */
/* Put vp's answer into its port record. */
int vout_port(struct vs *vs, struct vport *vp);
/* --version-trace line (stderr), printf-style. */
void vout_trace(const struct vs *vs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* svc_match's trace callback (ctx = struct vs). */
void vout_trace_rule(void *ctx, const char *line);

#endif
