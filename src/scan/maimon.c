/*
 * maimon.c — Uriel Maimon's scan, -sM (FIN/ACK; Phrack 49): RST
 * closed, ICMP unreachable filtered, silence open|filtered.
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

const struct scan_module scan_maimon = {
    .name = "maimon",
    .option = "-sM",
    .help = "TCP Maimon scan",
    .xml_type = "maimon",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_OPEN_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .tcp_flags = PKT_TCP_FIN | PKT_TCP_ACK,
    .classify_reply = classify_reply,
};
