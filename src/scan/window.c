/*
 * window.c — the TCP Window scan, -sW: an ACK scan that reads the window
 * of the reset (positive: open, zero: closed); ICMP unreachable or silence
 * filtered.
 * Replies are read by tcp_classify() (tcp_classify.h) as nmap does.
 */
#include "net/packet.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

static enum scan_verdict classify_reply(const struct pkt_info *reply, enum port_state *state,
                                        enum reason *reason)
{
    return tcp_classify(reply, TCP_KIND_WINDOW, state, reason);
}

const struct scan_module scan_window = {
    .name = "window",
    .option = "-sW",
    .help = "TCP Window scan",
    .xml_type = "window",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = PKT_TCP_ACK,
    .classify_reply = classify_reply,
};
