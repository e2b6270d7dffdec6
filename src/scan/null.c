/*
 * null.c — the TCP NULL scan, -sN (no flags): RST closed, ICMP
 * unreachable filtered, silence open|filtered.
 * Replies are read by tcp_classify() (tcp_classify.h) as nmap does.
 */
#include "net/packet.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

static enum scan_verdict classify_reply(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason)
{
    return tcp_classify(reply, TCP_KIND_STEALTH, state, reason);
}

const struct scan_module scan_null = {
    .name = "null",
    .option = "-sN",
    .help = "TCP Null scan",
    .xml_type = "null",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_OPEN_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = 0,
    .classify_reply = classify_reply,
};
