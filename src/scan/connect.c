/*
 * connect.c — the TCP connect scan (-sT): nmap's mapping of connect(2)
 * outcomes to port states (scan_engine_connect.cc, handleConnectResult).
 */
#include "scan/scan_module.h"

#include <errno.h>

static enum scan_verdict classify_connect(int err, enum port_state *state, enum reason *reason)
{
    switch (err) {
    case 0:
        *state = PORT_OPEN;
        *reason = REASON_SYN_ACK;
        return VERDICT_FINAL;
    case ECONNRESET:
        /* Linux reports an RST in SYN_SENT as ECONNREFUSED; ECONNRESET only
         * comes from a connection that had completed the handshake and was
         * then reset (tcpwrapped services, full accept queues with
         * tcp_abort_on_overflow). Something answered the SYN with SYN-ACK,
         * so the port is open. */
        *state = PORT_OPEN;
        *reason = REASON_SYN_ACK;
        return VERDICT_FINAL;
    case ECONNREFUSED:
        *state = PORT_CLOSED;
        *reason = REASON_CONN_REFUSED;
        return VERDICT_FINAL;
    case EHOSTUNREACH:
        *state = PORT_FILTERED;
        *reason = REASON_HOST_UNREACH;
        return VERDICT_FINAL;
    case ENETUNREACH:
    case ENETDOWN:
        *state = PORT_FILTERED;
        *reason = REASON_NET_UNREACH;
        return VERDICT_FINAL;
    case ENOPROTOOPT: /* ICMP protocol unreachable, as icmp_err_convert maps it */
        *state = PORT_FILTERED;
        *reason = REASON_PROTO_UNREACH;
        return VERDICT_FINAL;
    case EACCES:
    case EPERM:
        /* A local firewall rule rejected the SYN before it left. */
        *state = PORT_FILTERED;
        *reason = REASON_ADMIN_PROHIBITED;
        return VERDICT_FINAL;
    case ETIMEDOUT:
    case EHOSTDOWN:
        /* The kernel gave up on its own SYN retransmissions (nmap treats
         * EHOSTDOWN the same way). */
        *state = PORT_FILTERED;
        *reason = REASON_NO_RESPONSE;
        return VERDICT_FINAL;
    case EADDRNOTAVAIL: /* ephemeral ports exhausted */
    case EAGAIN:
    case ENOBUFS:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case EINTR:
        /* Local resource shortage: the target said nothing. */
        *state = PORT_UNKNOWN;
        *reason = REASON_UNKNOWN;
        return VERDICT_RETRY;
    default:
        *state = PORT_FILTERED;
        *reason = REASON_UNKNOWN;
        return VERDICT_FINAL;
    }
}

const struct scan_module scan_connect = {
    .name = "connect",
    .option = "-sT",
    .help = "TCP connect() scan",
    .xml_type = "connect",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_CONNECT,
    .needs_root = false,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .classify_connect = classify_connect,
};
