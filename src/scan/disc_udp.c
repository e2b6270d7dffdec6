/*
 * disc_udp.c — the UDP discovery probe, as nmap's -PU: an empty datagram
 * (nmap 7.93 sends none of nmap-payloads here) to each ping port, 40125 by default so
 * that it is likely closed. A closed port answers ICMP port unreachable
 * (port-unreach), an open one may answer (udp-response): either proves
 * the host. Other unreachables are filtered with their code's reason.
 */
#include "net/parse.h"
#include "scan/disc_modules.h"
#include "scan/probe_kind.h"
#include "scan/tcp_classify.h"

#include <netinet/in.h>

static enum scan_verdict classify_reply(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason)
{
    *state = PORT_UNKNOWN;
    *reason = REASON_UNKNOWN;
    if (reply->proto == IPPROTO_UDP && !reply->has_quote) {
        *state = PORT_OPEN;
        *reason = REASON_UDP_RESPONSE;
        return VERDICT_FINAL;
    }
    enum reason r;
    if (!reply->has_quote || !tcp_classify_icmp(reply, &r))
        return VERDICT_IGNORE;
    *state = r == REASON_PORT_UNREACH ? PORT_OPEN : PORT_FILTERED;
    *reason = r;
    return VERDICT_FINAL;
}

const struct scan_module disc_udp_ping = {
    .name = "udp_ping",
    .option = "-PU",
    .xml_type = "udp_ping",
    .proto = PROTO_UDP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .no_payloads = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_udp,
    .classify_reply = classify_reply,
};
