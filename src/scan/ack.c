/*
 * ack.c — the TCP ACK scan, -sA: maps firewall rules. RST unfiltered,
 * ICMP unreachable or silence filtered; never open or closed.
 * Replies are read by tcp_classify() (tcp_classify.h) as nmap does.
 */
#include "net/packet.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

static enum scan_verdict classify_reply(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason)
{
    return tcp_classify(reply, TCP_KIND_ACK, state, reason);
}

const struct scan_module scan_ack = {
    .name = "ack",
    .option = "-sA",
    .help = "TCP ACK scan",
    .xml_type = "ack",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = PKT_TCP_ACK,
    .classify_reply = classify_reply,
};
