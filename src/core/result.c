/*
 * result.c — names of port states and reasons, the host record's storage,
 * and the "Not shown" grouping that every output format shares.
 */
#include "core/result.h"

#include <stdlib.h>
#include <string.h>

const char *port_state_name(enum port_state s)
{
    static const char *const names[PORT_STATE_COUNT] = {
        [PORT_UNKNOWN] = "unknown",
        [PORT_OPEN] = "open",
        [PORT_CLOSED] = "closed",
        [PORT_FILTERED] = "filtered",
        [PORT_UNFILTERED] = "unfiltered",
        [PORT_OPEN_FILTERED] = "open|filtered",
        [PORT_CLOSED_FILTERED] = "closed|filtered",
    };
    return (unsigned)s < PORT_STATE_COUNT ? names[s] : "unknown";
}

const char *reason_name(enum reason r)
{
    /* Spelled as nmap's portreasons.cc prints them, so that tools parsing
     * nmap's reason="" attributes read ours unchanged. */
    static const char *const names[REASON_COUNT] = {
        [REASON_UNKNOWN] = "unknown",
        [REASON_SYN_ACK] = "syn-ack",
        [REASON_RESET] = "reset",
        [REASON_CONN_REFUSED] = "conn-refused",
        [REASON_NO_RESPONSE] = "no-response",
        [REASON_HOST_UNREACH] = "host-unreach",
        [REASON_NET_UNREACH] = "net-unreach",
        [REASON_PORT_UNREACH] = "port-unreach",
        [REASON_PROTO_UNREACH] = "proto-unreach",
        [REASON_ADMIN_PROHIBITED] = "admin-prohibited",
        [REASON_HOST_PROHIBITED] = "host-prohibited",
        [REASON_NET_PROHIBITED] = "net-prohibited",
        [REASON_ECHO_REPLY] = "echo-reply",
        [REASON_TIMESTAMP_REPLY] = "timestamp-reply",
        [REASON_MASK_REPLY] = "addressmask-reply",
        [REASON_ARP_RESPONSE] = "arp-response",
        [REASON_ND_RESPONSE] = "nd-response",
        [REASON_UDP_RESPONSE] = "udp-response",
        [REASON_USER_SET] = "user-set",
        [REASON_LOCALHOST_RESPONSE] = "localhost-response",
        [REASON_TIME_EXCEEDED] = "time-exceeded",
    };
    return (unsigned)r < REASON_COUNT ? names[r] : "unknown";
}

void host_result_init(struct host_result *h, const struct ipaddr *addr)
{
    memset(h, 0, sizeof(*h));
    if (addr)
        h->addr = *addr;
    h->srtt_us = -1;
    h->rttvar_us = -1;
    h->timeout_us = -1;
}

int host_result_add_port(struct host_result *h, const struct port_result *p)
{
    if (h->nports == h->cap) {
        /* Doubling keeps appends amortised O(1) for a 65535-port host. */
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct port_result *n = realloc(h->ports, cap * sizeof(*n));
        if (!n)
            return -1;
        h->ports = n;
        h->cap = cap;
    }
    h->ports[h->nports++] = *p;
    return 0;
}

void host_result_free(struct host_result *h)
{
    free(h->ports);
    free(h->rdns);
    h->ports = NULL;
    h->rdns = NULL;
    h->nports = h->cap = 0;
}

void result_state_counts(const struct host_result *h, size_t counts[])
{
    for (size_t s = 0; s < PORT_STATE_COUNT; s++)
        counts[s] = 0;
    for (size_t i = 0; i < h->nports; i++)
        if (h->ports[i].state < PORT_STATE_COUNT)
            counts[h->ports[i].state]++;
}

/*
 * nmap's PortList::isIgnoredState, state by state:
 * - open and unknown are never collapsed: they are what the user scans for;
 * - with -vvv open|filtered is shown too;
 * - with --open every state that cannot be open is collapsed; open|filtered
 *   and unfiltered stay subject to the count rule (an ACK scan's unfiltered
 *   port may be open), which is why nmap --open still lists them;
 * - otherwise a state is collapsed when it has more than 25 ports, times
 *   (verbose + 1) with -v.
 * nmap also widens the limit by 5 per -d level; the contract takes no debug
 * level because prtip's -d controls diagnostics, not the port table.
 */
unsigned result_hidden_states(const struct host_result *h, int verbose, bool open_only)
{
    size_t counts[PORT_STATE_COUNT];
    result_state_counts(h, counts);

    size_t max_per_state = 25 * (size_t)((verbose > 0 ? verbose : 0) + 1);
    unsigned hidden = 0;
    for (int s = 0; s < PORT_STATE_COUNT; s++) {
        if (s == PORT_OPEN || s == PORT_UNKNOWN || counts[s] == 0)
            continue;
        if (s == PORT_OPEN_FILTERED && verbose > 2)
            continue;
        bool can_be_open = s == PORT_OPEN_FILTERED || s == PORT_UNFILTERED;
        if ((open_only && !can_be_open) || counts[s] > max_per_state)
            hidden |= 1u << s;
    }
    return hidden;
}
