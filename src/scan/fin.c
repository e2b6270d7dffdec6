/*
 * fin.c — the TCP FIN scan, -sF: RST closed, ICMP unreachable filtered,
 * silence open|filtered (RFC 793 p. 65: a closed port resets).
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

const struct scan_module scan_fin = {
    .name = "fin",
    .option = "-sF",
    .help = "TCP FIN scan",
    .xml_type = "fin",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_OPEN_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = PKT_TCP_FIN,
    .classify_reply = classify_reply,
};
