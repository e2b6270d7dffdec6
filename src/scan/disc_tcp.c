/*
 * disc_tcp.c — TCP discovery probes, as nmap's -PS and -PA: a SYN or a bare
 * ACK to each ping port. Either answer proves the host: SYN/ACK (syn-ack)
 * or RST (reset), whatever the port's state. Classified as the SYN and ACK
 * scans read replies (tcp_classify.h), then a closed/unfiltered port is
 * just as good a sign of life as an open one.
 */
#include "net/packet.h"
#include "scan/disc_modules.h"
#include "scan/probe_kind.h"
#include "scan/tcp_classify.h"

static enum scan_verdict ping_result(enum scan_verdict v, enum port_state *state, enum reason *r)
{
    if (v == VERDICT_FINAL && (*r == REASON_SYN_ACK || *r == REASON_RESET))
        *state = PORT_OPEN; /* "answered": discovery reads the reason only */
    return v;
}

static enum scan_verdict syn_classify(const struct pkt_info *reply, enum port_state *state,
                                      enum reason *reason)
{
    return ping_result(tcp_classify(reply, TCP_KIND_SYN, state, reason), state, reason);
}

static enum scan_verdict ack_classify(const struct pkt_info *reply, enum port_state *state,
                                      enum reason *reason)
{
    return ping_result(tcp_classify(reply, TCP_KIND_ACK, state, reason), state, reason);
}

const struct scan_module disc_syn_ping = {
    .name = "syn_ping",
    .option = "-PS",
    .xml_type = "syn_ping",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_tcp,
    .tcp_flags = PKT_TCP_SYN,
    .classify_reply = syn_classify,
};

const struct scan_module disc_ack_ping = {
    .name = "ack_ping",
    .option = "-PA",
    .xml_type = "ack_ping",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_tcp,
    .tcp_flags = PKT_TCP_ACK,
    .classify_reply = ack_classify,
};
