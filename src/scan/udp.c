/*
 * udp.c — the UDP scan, -sU, as nmap's "UDP Scan (-sU)" chapter and
 * scan_engine_raw.cc read the replies:
 *   any UDP datagram from the probed port        open           udp-response
 *   ICMP port unreachable (v4 3/3, v6 1/4)       closed         port-unreach
 *   other ICMP unreachable (v4 3/0,1,2,9,10,13;  filtered       net-unreach, host-unreach,
 *     v6 1/0,1,3)                                               proto-unreach, *-prohibited
 *   silence after the retries                    open|filtered  no-response
 * Payloads per port come from scan/udp_payloads.h; pacing against ICMP
 * rate limits is the engine's (engine/raw_pace.h).
 */
#include "net/parse.h"
#include "scan/probe_kind.h"
#include "scan/scan_module.h"
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
    if (!tcp_classify_icmp(reply, &r)) /* the unreachable codes nmap reads, named */
        return VERDICT_IGNORE;
    *state = r == REASON_PORT_UNREACH ? PORT_CLOSED : PORT_FILTERED;
    *reason = r;
    return VERDICT_FINAL;
}

const struct scan_module scan_udp = {
    .name = "udp",
    .option = "-sU",
    .help = "UDP scan (with a raw TCP scan type in one run: -sS -sU)",
    .xml_type = "udp",
    .proto = PROTO_UDP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_OPEN_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_udp,
    .classify_reply = classify_reply,
};
