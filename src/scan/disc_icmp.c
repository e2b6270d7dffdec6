/*
 * disc_icmp.c — ICMP discovery probes, as nmap's -PE, -PP and -PM:
 *   echo request (RFC 792; ICMPv6 echo, RFC 4443 §4.1, over IPv6)  → echo-reply
 *   timestamp request (RFC 792 type 13, IPv4 only)                 → timestamp-reply
 *   address mask request (RFC 950 type 17, IPv4 only)              → addressmask-reply
 * The reply must be the matching reply type (the cookie in id/seq was
 * checked by the engine). An unreachable quoting the probe is filtered
 * with its code's reason; anything else decides nothing.
 */
#include "net/packet_icmp.h"
#include "net/parse.h"
#include "scan/disc_modules.h"
#include "scan/probe_kind.h"
#include "scan/tcp_classify.h"

#include <netinet/in.h>
#include <sys/socket.h>

static enum scan_verdict classify_icmp(const struct pkt_info *reply, uint8_t want4, uint8_t want6,
                                       enum reason why, enum port_state *state, enum reason *reason)
{
    *state = PORT_UNKNOWN;
    *reason = REASON_UNKNOWN;
    bool v6 = reply->family == AF_INET6;
    bool icmp = reply->proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    if (icmp && !reply->has_quote && reply->icmp_type == (v6 ? want6 : want4) &&
        reply->icmp_code == 0) {
        *state = PORT_OPEN;
        *reason = why;
        return VERDICT_FINAL;
    }
    enum reason r;
    if (!reply->has_quote || !tcp_classify_icmp(reply, &r))
        return VERDICT_IGNORE;
    *state = PORT_FILTERED;
    *reason = r;
    return VERDICT_FINAL;
}

static enum scan_verdict echo_classify(const struct pkt_info *reply, enum port_state *state,
                                       enum reason *reason)
{
    return classify_icmp(reply, PKT_ICMP_ECHOREPLY, PKT_ICMP6_ECHOREPLY, REASON_ECHO_REPLY, state,
                         reason);
}

/* 0 never matches an ICMPv6 reply type here: IPv6 has no such query, and
 * the engine sends none over IPv6. */
static enum scan_verdict ts_classify(const struct pkt_info *reply, enum port_state *state,
                                     enum reason *reason)
{
    return classify_icmp(reply, PKT_ICMP_TSTAMPREPLY, 0, REASON_TIMESTAMP_REPLY, state, reason);
}

static enum scan_verdict mask_classify(const struct pkt_info *reply, enum port_state *state,
                                       enum reason *reason)
{
    return classify_icmp(reply, PKT_ICMP_MASKREPLY, 0, REASON_MASK_REPLY, state, reason);
}

const struct scan_module disc_icmp_echo = {
    .name = "icmp_echo",
    .option = "-PE",
    .xml_type = "icmp_echo",
    .proto = PROTO_TCP, /* no port list: one entry, port 0 */
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_icmp_echo,
    .classify_reply = echo_classify,
};

const struct scan_module disc_icmp_timestamp = {
    .name = "icmp_timestamp",
    .option = "-PP",
    .xml_type = "icmp_timestamp",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_icmp_timestamp,
    .classify_reply = ts_classify,
};

const struct scan_module disc_icmp_netmask = {
    .name = "icmp_netmask",
    .option = "-PM",
    .xml_type = "icmp_netmask",
    .proto = PROTO_TCP,
    .engine = SCAN_ENGINE_RAW,
    .needs_root = true,
    .silence_state = PORT_FILTERED,
    .silence_reason = REASON_NO_RESPONSE,
    .probe = &probe_icmp_netmask,
    .classify_reply = mask_classify,
};
