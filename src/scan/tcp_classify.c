/*
 * tcp_classify.c — reply classification common to the raw TCP scans, after
 * nmap's scan_engine_raw.cc; see tcp_classify.h for the table.
 */
#include "scan/tcp_classify.h"
#include "net/packet.h"
#include "net/parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

bool tcp_classify_icmp(const struct pkt_info *reply, enum reason *reason)
{
    if (!reply->has_quote)
        return false;
    if (reply->family == AF_INET && reply->proto == IPPROTO_ICMP &&
        reply->icmp_type == PKT_ICMP_UNREACH) {
        switch (reply->icmp_code) {
        case 0:
            *reason = REASON_NET_UNREACH;
            return true;
        case 1:
            *reason = REASON_HOST_UNREACH;
            return true;
        case 2:
            *reason = REASON_PROTO_UNREACH;
            return true;
        case 3:
            *reason = REASON_PORT_UNREACH;
            return true;
        case 9:
            *reason = REASON_NET_PROHIBITED;
            return true;
        case 10:
            *reason = REASON_HOST_PROHIBITED;
            return true;
        case 13:
            *reason = REASON_ADMIN_PROHIBITED;
            return true;
        default:
            return false;
        }
    }
    if (reply->family == AF_INET6 && reply->proto == IPPROTO_ICMPV6 &&
        reply->icmp_type == PKT_ICMP6_UNREACH) {
        switch (reply->icmp_code) {
        case 0: /* no route to destination */
            *reason = REASON_NET_UNREACH;
            return true;
        case 1: /* communication administratively prohibited */
            *reason = REASON_ADMIN_PROHIBITED;
            return true;
        case 3: /* address unreachable */
            *reason = REASON_HOST_UNREACH;
            return true;
        case 4: /* port unreachable */
            *reason = REASON_PORT_UNREACH;
            return true;
        default:
            return false;
        }
    }
    return false;
}

/* A TCP segment from the target, in nmap's order of tests. */
static enum scan_verdict classify_tcp(uint8_t flags, uint16_t window, enum tcp_scan_kind kind,
                                      enum port_state *state, enum reason *reason)
{
    const uint8_t synack = PKT_TCP_SYN | PKT_TCP_ACK;
    if (kind == TCP_KIND_SYN && (flags & synack) == synack) {
        *state = PORT_OPEN;
        *reason = REASON_SYN_ACK;
        return VERDICT_FINAL;
    }
    if (flags & PKT_TCP_RST) {
        *reason = REASON_RESET;
        if (kind == TCP_KIND_WINDOW)
            *state = window > 0 ? PORT_OPEN : PORT_CLOSED;
        else if (kind == TCP_KIND_ACK)
            *state = PORT_UNFILTERED;
        else
            *state = PORT_CLOSED;
        return VERDICT_FINAL;
    }
    if (kind == TCP_KIND_SYN && (flags & PKT_TCP_SYN)) {
        /* Simultaneous open / split handshake: nmap says open. */
        *state = PORT_OPEN;
        *reason = REASON_SYN_ACK;
        return VERDICT_FINAL;
    }
    return VERDICT_IGNORE;
}

enum scan_verdict tcp_classify(const struct pkt_info *reply, enum tcp_scan_kind kind,
                               enum port_state *state, enum reason *reason)
{
    *state = PORT_UNKNOWN;
    *reason = REASON_UNKNOWN;
    if (reply->family != AF_INET && reply->family != AF_INET6)
        return VERDICT_IGNORE;
    if (reply->proto == IPPROTO_TCP) {
        enum scan_verdict v = classify_tcp(reply->tcp_flags, reply->window, kind, state, reason);
        if (v != VERDICT_FINAL) {
            *state = PORT_UNKNOWN;
            *reason = REASON_UNKNOWN;
        }
        return v;
    }
    enum reason r;
    if (tcp_classify_icmp(reply, &r)) {
        *state = PORT_FILTERED;
        *reason = r;
        return VERDICT_FINAL;
    }
    return VERDICT_IGNORE;
}

int tcp_scanflags_parse(const char *text, uint8_t *flags, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"URG", PKT_TCP_URG}, {"ACK", PKT_TCP_ACK}, {"PSH", PKT_TCP_PSH}, {"RST", PKT_TCP_RST},
        {"SYN", PKT_TCP_SYN}, {"FIN", PKT_TCP_FIN}, {"ECE", PKT_TCP_ECE}, {"CWR", PKT_TCP_CWR},
        {"ALL", 0xff},        {"NONE", 0},
    };
    static const char hint[] = "use a number 0-255 (e.g. 0x29) or flag names such as SYNFIN or "
                               "URGPSHFIN, from URG ACK PSH RST SYN FIN ECE CWR";

    if (text[0] >= '0' && text[0] <= '9') {
        bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        const char *digits = hex ? text + 2 : text;
        char *end;
        errno = 0;
        unsigned long v = strtoul(digits, &end, hex ? 16 : 10);
        /* strtoul would accept a sign or blanks after "0x": digits only. */
        bool ok =
            digits[0] != '\0' && *end == '\0' && errno == 0 && v <= 255 &&
            ((digits[0] >= '0' && digits[0] <= '9') || (hex && strchr("abcdefABCDEF", digits[0])));
        if (!ok) {
            snprintf(err, errlen, "bad --scanflags '%s': %s", text, hint);
            return -1;
        }
        *flags = (uint8_t)v;
        return 0;
    }

    unsigned bits = 0;
    size_t nnames = 0;
    const char *p = text;
    while (*p) {
        if (strchr(",|+", *p) && nnames > 0 && p[1] != '\0' && !strchr(",|+", p[1])) {
            p++;
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            size_t len = strlen(names[i].name);
            if (strncasecmp(p, names[i].name, len) == 0) {
                bits |= names[i].bits;
                p += len;
                nnames++;
                break;
            }
        }
        if (i == sizeof(names) / sizeof(names[0])) {
            snprintf(err, errlen, "bad --scanflags '%s': unknown flag at '%s': %s", text, p, hint);
            return -1;
        }
    }
    if (nnames == 0) {
        snprintf(err, errlen, "bad --scanflags '%s': %s", text, hint);
        return -1;
    }
    *flags = (uint8_t)bits;
    return 0;
}

const char *tcp_scanflags_format(uint8_t flags, char *buf, size_t len)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } order[] = {
        {PKT_TCP_CWR, "CWR"}, {PKT_TCP_ECE, "ECE"}, {PKT_TCP_URG, "URG"}, {PKT_TCP_ACK, "ACK"},
        {PKT_TCP_PSH, "PSH"}, {PKT_TCP_RST, "RST"}, {PKT_TCP_SYN, "SYN"}, {PKT_TCP_FIN, "FIN"},
    };
    size_t n = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if ((flags & order[i].bit) && n + 4 <= len)
            n += (size_t)snprintf(buf + n, len - n, "%s", order[i].name);
    return buf;
}
