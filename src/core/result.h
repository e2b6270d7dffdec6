/*
 * result.h — the result records that flow from the scan engines to the
 * output modules (SPEC "result stream"). A host record is complete when
 * emitted: every scanned port of that host is in it with its final state.
 */
#ifndef PRTIP_CORE_RESULT_H
#define PRTIP_CORE_RESULT_H

#include "core/addr.h"
#include "core/ports.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Port states exactly as nmap names them. */
enum port_state {
    PORT_UNKNOWN = 0,
    PORT_OPEN,
    PORT_CLOSED,
    PORT_FILTERED,
    PORT_UNFILTERED,
    PORT_OPEN_FILTERED,
    PORT_CLOSED_FILTERED,
    PORT_STATE_COUNT
};

/* "open", "closed", "filtered", "unfiltered", "open|filtered", "closed|filtered". */
const char *port_state_name(enum port_state s);

/* Why a state was decided; names as nmap's reason.cc prints them. */
enum reason {
    REASON_UNKNOWN = 0,
    REASON_SYN_ACK,
    REASON_RESET,
    REASON_CONN_REFUSED,
    REASON_NO_RESPONSE,
    REASON_HOST_UNREACH,
    REASON_NET_UNREACH,
    REASON_PORT_UNREACH,
    REASON_PROTO_UNREACH,
    REASON_ADMIN_PROHIBITED,
    REASON_HOST_PROHIBITED,
    REASON_NET_PROHIBITED,
    REASON_ECHO_REPLY,
    REASON_TIMESTAMP_REPLY,
    REASON_MASK_REPLY,
    REASON_ARP_RESPONSE,
    REASON_ND_RESPONSE,
    REASON_UDP_RESPONSE,
    REASON_USER_SET,
    REASON_LOCALHOST_RESPONSE,
    REASON_TIME_EXCEEDED,
    REASON_COUNT
};

/* "syn-ack", "reset", "conn-refused", "no-response", "host-unreach", ... */
const char *reason_name(enum reason r);

/*
 * What the coming stages find, in the shape nmap's XML carries it. Every
 * string and array below is owned by the record that holds it (malloc'd;
 * NULL = absent) and released by host_result_free; host_result_copy copies
 * all of it.
 */

/* How a service name was decided (nmap <service method=>). */
enum service_method { SERVICE_METHOD_TABLE = 0, SERVICE_METHOD_PROBED };

/* -sV's answer for one port: nmap-service-probes match fields ("p/ v/ i/
 * h/ o/ d/ cpe:/") after $-substitution. Follows nmap.dtd <service>. */
struct service_result {
    char *name;       /* "http", "ssh"; never NULL once filled */
    char *product;    /* p/ */
    char *version;    /* v/ */
    char *extrainfo;  /* i/ */
    char *hostname;   /* h/ */
    char *ostype;     /* o/ */
    char *devicetype; /* d/ */
    char **cpe;       /* "cpe:/a:openbsd:openssh:9.2p1", ncpe entries */
    size_t ncpe;
    enum service_method method;
    uint8_t conf;    /* nmap's confidence, 0-10 (3 = from the table, 10 = matched) */
    bool tunnel_ssl; /* found through TLS: nmap's tunnel="ssl" */
    /* Evidence (prtip's, JSON): the probe whose reply matched ("NULL",
     * "GetRequest") and the match/softmatch line in nmap-service-probes;
     * NULL/0 when nothing matched. */
    char *probe;
    uint32_t line;
    bool soft; /* the answer is a softmatch's (service only) */
    /* Why this answer is not the one nmap 7.93 would print (issue 11 point
     * 6: found through a modern TLS handshake after nmap's old hellos got
     * EOF), or NULL when it is nmap's. */
    char *differs;
    /* nmap's service fingerprint ("SF-Port80-TCP:V=7.93%I=7%D=...") for a
     * port that replied but matched nothing, or NULL. */
    char *fingerprint;
};

/* TLS session and certificate facts of a port that spoke TLS. Times are
 * Unix seconds (UTC); names are OpenSSL's one-line RFC 4514 forms. */
struct tls_info {
    char *protocol; /* "TLSv1.3" */
    char *cipher;   /* IANA name, "TLS_AES_256_GCM_SHA384" */
    char *alpn;     /* negotiated ALPN protocol (h2, http/1.1 offered), NULL if none */
    char *sni;      /* server name sent (the host name the user typed), NULL if none */
    char *subject;  /* "CN=example.org,O=Example" */
    char *issuer;
    char **san; /* subjectAltName entries, "DNS:example.org", "IP Address:198.18.0.2" */
    size_t nsan;
    int64_t not_before, not_after;
    int64_t days_left;  /* whole days from the scan to not_after (negative: expired) */
    char *serial;       /* hex, uppercase, as openssl x509 -serial */
    char *sig_alg;      /* "sha256WithRSAEncryption" */
    char *sha256;       /* certificate fingerprint, 64 lowercase hex digits */
    char *spki_sha256;  /* SHA-256 of the SubjectPublicKeyInfo (DER), hex */
    char *sha1, *md5;   /* as nmap's ssl-cert prints them, hex */
    char *key_type;     /* "rsa", "ec" */
    uint32_t key_bits;  /* 0 if unknown */
    bool self_signed;   /* issuer equals subject and the signature verifies with its own key */
    uint32_t chain_len; /* certificates the server sent */
    char *ja3s;         /* JA3S of the ServerHello, 32 hex digits, NULL if not seen */
    char *pem;          /* the leaf certificate, PEM */
};

/*
 * One node of a script's structured output (nmap's <elem key=>text</elem>
 * and <table key=>...</table>). A leaf has value != NULL and no children; a
 * table has value == NULL and nchildren members. key is NULL for members of
 * a list-like table (nmap omits the key attribute there).
 */
struct script_elem {
    char *key;
    char *value;
    struct script_elem *children;
    size_t nchildren;
};

/* One script's result on a host or port (nmap <script id= output=>). */
struct script_output {
    char *id;                  /* "http-title" */
    char *output;              /* the text nmap prints in normal output */
    struct script_elem *elems; /* structured form, nelems top-level nodes */
    size_t nelems;
};

/* One OS class of an OS match (nmap <osclass>). */
struct os_class {
    char *type;       /* "general purpose" */
    char *vendor;     /* "Linux" */
    char *osfamily;   /* "Linux" */
    char *osgen;      /* "5.X", NULL if none */
    uint8_t accuracy; /* percent */
    char **cpe;       /* "cpe:/o:linux:linux_kernel:5", ncpe entries */
    size_t ncpe;
};

/* One OS guess scored against nmap-os-db (nmap <osmatch>). */
struct os_match {
    char *name;       /* the Fingerprint line's text */
    uint8_t accuracy; /* percent */
    uint32_t line;    /* line of the Fingerprint in nmap-os-db, 0 if unknown */
    struct os_class *classes;
    size_t nclasses;
};

/* How -O's verdict reads (nmap's printosscanoutput cases). */
enum os_verdict {
    OS_VERDICT_DETAILS = 0, /* perfect matches: "OS details: ..." */
    OS_VERDICT_GUESSES,     /* no perfect match: guesses, "No exact OS matches for host" */
    OS_VERDICT_NONE,        /* nothing over 85%: "No OS matches for host" */
    OS_VERDICT_TOOMANY,     /* "Too many fingerprints match this host ..." */
    OS_VERDICT_UNSUPPORTED, /* not run: IPv6 (nmap's IPv6 model is not available) */
};

/*
 * What OS detection (-O) found beyond the matches (host_result.os), in the
 * shape nmap's outputs print it (FingerPrintResults, Target::seq). Strings
 * owned (NULL = absent); ports -1 when none was used.
 */
struct os_report {
    enum os_verdict verdict;
    bool unreliable;   /* no open and closed TCP port: nmap's warning line */
    bool show_guesses; /* normal output lists host->os as "Aggressive OS guesses" */
    char *not_ideal;   /* why the fingerprint cannot be submitted, or NULL */
    /* "Device type", "Running" (guess: " (JUST GUESSING)") and "OS CPE". */
    char *device_types, *running, *os_cpe;
    bool running_guess;
    int32_t open_tcp, closed_tcp, closed_udp;
    int32_t distance;        /* hops, -1 unknown */
    int64_t lastboot;        /* uptime guess: boot time (Unix s), 0 none */
    int64_t uptime_s;        /* seconds up at the time of the scan */
    int32_t seq_index;       /* TCP sequence difficulty, -1 none */
    char *seq_values;        /* "2A1B3C,..." (hex ISNs) */
    char seq_difficulty[24]; /* "Good luck!" (nmap's seqidx2difficultystr) */
    char *ipid_class, *ipid_values;
    char *ts_class, *ts_values;
    /* --os-passive: os/nos were scored on O1, W1 and T1 alone, from the
     * port scan's SYN-ACK; outputs label them "passive" (docs/OUTPUT.md). */
    bool passive;
    char *note; /* a line for the OS section ("IPv6 OS detection is not supported") */
};

/*
 * The first SYN-ACK a SYN scan got from a host, kept with --os-passive
 * (issue 12 point 6) for a guess from nmap's O1, W1 and T1 lines: the IP
 * packet as received (header first, at most OS_SYNACK_MAX bytes) and the
 * sequence and acknowledgment numbers of the SYN it answered (host order).
 */
#define OS_SYNACK_MAX 120
struct os_synack {
    uint32_t probe_seq, probe_ack;
    uint16_t len;
    uint8_t pkt[OS_SYNACK_MAX];
};

/* Findings beyond the port state; NULL in a port_result until a stage
 * (version detection, scripts) adds one. */
struct port_detail {
    /* The source of the ICMP error that decided the state when it was not
     * the target itself (a router or firewall on the way): nmap's
     * reason_ip, printed "admin-prohibited from 198.18.0.254 ttl 64". */
    bool have_reason_ip;
    struct ipaddr reason_ip;
    struct service_result *service; /* NULL: only the nmap-services name */
    struct tls_info *tls;           /* NULL: no TLS seen */
    struct script_output *scripts;
    size_t nscripts;
};

/*
 * One scanned port. service is the nmap-services name for the port (NULL =
 * unknown); it is borrowed and must outlive the record and every copy of it
 * (the nmap-services table, or a reader's string storage). detail is owned.
 * The record is kept small (16 bytes + detail pointer): a host can carry
 * 65,535 of them.
 */
struct port_result {
    uint16_t port;      /* host byte order */
    uint8_t proto;      /* enum port_proto */
    uint8_t state;      /* enum port_state */
    uint8_t reason;     /* enum reason */
    uint8_t reason_ttl; /* TTL/hop limit of the deciding reply, 0 if none */
    const char *service;
    struct port_detail *detail;
};

/* HOST_UNKNOWN is a host that was never probed: the list scan (-sL)
 * delivers every target so, with reason user-set, as nmap. */
enum host_status { HOST_UNKNOWN = 0, HOST_UP, HOST_DOWN };

/*
 * One target with everything found about it. Owned by whoever created it;
 * host_result_free releases what the record owns. hostname and other_addrs
 * are borrowed from the target set in records an engine builds, and owned
 * (owns_names) in records made by host_result_copy, so that a copy outlives
 * the scan that made it.
 */
struct host_result {
    struct ipaddr addr;
    const char *hostname;    /* name typed by the user, or NULL */
    const char *other_addrs; /* other addresses of that name, or NULL */
    char *rdns;              /* reverse DNS name, or NULL (owned) */
    enum host_status status;
    enum reason status_reason;
    uint8_t status_ttl;
    struct port_result *ports; /* every scanned port, in scan order */
    size_t nports, cap;
    int64_t srtt_us, rttvar_us, timeout_us; /* RTT estimate at the end, -1 if none */
    struct timespec start, end;             /* wall clock */
    uint8_t mac[6]; /* link-layer address from ARP/ND ping, valid when have_mac */
    bool have_mac;
    bool timed_out;   /* --host-timeout expired: ports may be incomplete */
    bool interrupted; /* Ctrl-C: ports found so far only */
    /* Ports of this host that were to be scanned but have no state (Ctrl-C
     * came first): they are absent from ports[] and must never be given a
     * state; outputs say the host is partial when this is non-zero. */
    uint32_t ports_unscanned;
    bool owns_names; /* hostname/other_addrs are owned (a copy) */
    /* OS detection (-O): matches best first, owned. */
    struct os_match *os;
    size_t nos;
    char *os_fingerprint;        /* nmap's fingerprint text when no match was perfect, or NULL */
    struct os_report *os_report; /* -O ran on this host (owned), or NULL */
    /* Non-NULL: os/nos, os_fingerprint and os_report are not owned but
     * borrowed from this immutable block, which many hosts share (one per
     * distinct SYN-ACK with --os-passive); it is released, not the fields. */
    struct os_shared *os_shared;
    /* --os-passive: the SYN-ACK the guess is made from (owned, NULL if the
     * scan got none); the guess itself goes to os/nos with os_report->passive. */
    struct os_synack *os_synack;
    /* Host scripts (nmap <hostscript>), owned. */
    struct script_output *scripts;
    size_t nscripts;
    /* The target's position in the list the engine scanned (raw engine),
     * and whether the host went out while the scan ran, ahead of targets
     * listed before it (raw_job.early): order_sink (core/stream.h) puts
     * such hosts back in target order for the outputs. */
    uint64_t order;
    bool early;
};

void host_result_init(struct host_result *h, const struct ipaddr *addr);
/* Append a port record (detail ownership moves into h); returns 0 or -1 on
 * allocation failure. */
int host_result_add_port(struct host_result *h, const struct port_result *p);
/* Release everything h owns and leave it empty (safe to call twice). */
void host_result_free(struct host_result *h);
/* Release only h's OS findings (os/nos, os_fingerprint, os_report) and
 * leave them empty: for a stage that replaces them, or that lent the rest
 * of a shallow copy. */
void host_result_free_os(struct host_result *h);

/*
 * OS findings shared by many hosts, read-only once made: a range scanned
 * with --os-passive has a few distinct SYN-ACKs and so a few distinct
 * guesses, each of them a dozen matches with classes and CPEs, which every
 * host copy (the outputs' order buffer, the store's queue) would otherwise
 * duplicate.
 *
 * os_shared_new moves h's OS findings (os/nos, os_fingerprint, os_report;
 * h must not borrow them already) into a new block holding one reference
 * for the caller, and leaves h borrowing them: h's release drops h's own
 * reference. NULL on allocation failure (h unchanged).
 * os_shared_attach releases h's OS findings and makes h borrow s's (one
 * more reference). os_shared_release drops one reference; the last frees
 * the findings. Any thread: the count is atomic and the findings are never
 * written after os_shared_new.
 */
struct os_shared *os_shared_new(struct host_result *h);
void os_shared_attach(struct host_result *h, struct os_shared *s);
void os_shared_release(struct os_shared *s);

/*
 * Deep copy: dst (uninitialised) becomes an independent record equal to
 * src, owning copies of every string, port, detail, OS match and script
 * output (hostname/other_addrs too; port service names stay borrowed, see
 * struct port_result; shared OS findings, os_shared, are borrowed too). Returns 0, or -1 on
 * allocation failure with dst empty (nothing to free). Any thread; src is only read.
 */
int host_result_copy(struct host_result *dst, const struct host_result *src);

/* The detail of p, allocated (zeroed) on first use. NULL on allocation
 * failure. For stages that add findings to a port. */
struct port_detail *port_result_detail(struct port_result *p);

/* Release what a finding owns (the struct itself is not freed). */
void service_result_free(struct service_result *s);
void tls_info_free(struct tls_info *t);
void script_output_free(struct script_output *s);
void script_elem_free(struct script_elem *e);
void os_match_free(struct os_match *m);
void os_report_free(struct os_report *r);

/* Totals for the closing summary line and runstats. */
struct scan_summary {
    uint64_t hosts_total, hosts_up, hosts_down;
    struct timespec start, end; /* wall clock */
    double elapsed_s;
    bool interrupted;
    const char *error; /* runtime failure message, or NULL */
};

/*
 * The port-state grouping that nmap's outputs share ("Not shown: 998 closed
 * tcp ports (conn-refused)"): a state is hidden when it has more than
 * 25 ports (25 * (verbose + 1) with -v), never for open, and, with --open,
 * every state that cannot be open is hidden. Returns a bitmask of hidden
 * states (1u << state). Follows nmap's PortList::isIgnoredState.
 */
unsigned result_hidden_states(const struct host_result *h, int verbose, bool open_only);

/* Count of ports in each state; counts[] has PORT_STATE_COUNT entries. */
void result_state_counts(const struct host_result *h, size_t counts[]);

#endif
