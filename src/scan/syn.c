/*
 * syn.c — the TCP SYN (half-open) scan, -sS: SYN/ACK open, RST closed,
 * ICMP unreachable or silence filtered.
 * Replies are read by tcp_classify() (tcp_classify.h) as nmap does.
 */
#include "net/packet.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

static enum scan_verdict classify_reply(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason)
{
    return tcp_classify(reply, TCP_KIND_SYN, state, reason);
}

const struct scan_module scan_syn = {
    .name = "syn",
    .option = "-sS",
    .help = "TCP SYN scan",
    .xml_type = "syn",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = PKT_TCP_SYN,
    .classify_reply = classify_reply,
};
