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

/* One scanned port. service points into nmap-services data (NULL = unknown)
 * and outlives every record. */
struct port_result {
    uint16_t port;      /* host byte order */
    uint8_t proto;      /* enum port_proto */
    uint8_t state;      /* enum port_state */
    uint8_t reason;     /* enum reason */
    uint8_t reason_ttl; /* TTL/hop limit of the deciding reply, 0 if none */
    const char *service;
};

/* HOST_UNKNOWN is a host that was never probed: the list scan (-sL)
 * delivers every target so, with reason user-set, as nmap. */
enum host_status { HOST_UNKNOWN = 0, HOST_UP, HOST_DOWN };

/* One target with everything found about it. Owned by whoever created it;
 * host_result_free releases ports and rdns. */
struct host_result {
    struct ipaddr addr;
    const char *hostname;    /* name typed by the user, or NULL (not owned) */
    const char *other_addrs; /* other addresses of that name, or NULL (not owned) */
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
};

void host_result_init(struct host_result *h, const struct ipaddr *addr);
/* Append a port record; returns 0 or -1 on allocation failure. */
int host_result_add_port(struct host_result *h, const struct port_result *p);
void host_result_free(struct host_result *h);

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
