/*
 * trace.c — --packet-trace's lines, in nmap's format (Reference Guide,
 * "Debugging": --packet-trace; checked against nmap 7.93's output):
 *
 *   SENT (0.0324s) TCP 198.18.0.1:57676 > 198.18.0.2:80 S ttl=55 id=12558
 *        iplen=44  seq=3963367655 win=1024 <mss 1460>
 *   RCVD (0.0324s) TCP 198.18.0.2:80 > 198.18.0.1:57676 RA ttl=64 id=0
 *        iplen=40  seq=0 win=0
 *   SENT (0.0426s) UDP 198.18.0.1:34799 > 198.18.0.2:53 ttl=42 id=57014
 *        iplen=40
 *   RCVD (0.0426s) ICMP [198.18.0.2 > 198.18.0.1 Port 53 unreachable
 *        (type=3/code=3) ] IP [ttl=64 id=47163 iplen=68 ]
 *
 * (each one line; wrapped here). The two spaces before seq= are nmap's.
 * IPv6 replaces nmap's IPv4 fields "ttl= id= iplen= " with "hopl= flow=
 * payloadlen=" (no trailing space), and ICMPv6 prints as
 *
 *   SENT (0.0111s) ICMPv6 (58) fd00::1 > fd00::2 (type=128/code=0) hopl=255
 *        flow=0 payloadlen=8
 *
 * ARP and neighbour discovery, as nmap's ARP/ND ping prints them:
 *
 *   SENT (0.0126s) ARP who-has 198.18.0.2 tell 198.18.0.1
 *   RCVD (0.0127s) ARP reply 198.18.0.2 is-at F2:40:60:EF:7E:8A
 *   RCVD (0.0345s) neighbor advertisement fd00::2 > fd00::1 fd00::2 is at
 *        a2:e4:b7:4c:0b:e1
 *
 * nmap's TCP flag letters come in the order S F R P A U E C ("SA", "RA",
 * "FPU" for a Xmas probe).
 */
#include "net/trace.h"

#include "core/addr.h"
#include "core/bytes.h"
#include "net/capture.h"
#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned ip_len(const struct pkt_info *pi, const uint8_t *d)
{
    const uint8_t *ip = d + pi->l3_off;
    return pi->family == AF_INET ? be16_get(ip + 2) : be16_get(ip + 4) + 40;
}

/* One trace line, built on the stack and written whole (put_text): a
 * line never interleaves with another thread's. Text past the buffer is cut
 * (a line is under 400 bytes: 40 bytes of TCP options at most). */
struct tline {
    char buf[1024];
    size_t len;
};

__attribute__((format(printf, 2, 3))) static void tl_printf(struct tline *l, const char *fmt, ...)
{
    if (l->len >= sizeof l->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len = l->len + (size_t)n < sizeof l->buf ? l->len + (size_t)n : sizeof l->buf - 1;
}

static void tcp_opts(struct tline *out, const uint8_t *o, size_t n)
{
    const char *sep = "<";
    size_t i = 0;
    bool any = false;
    while (i < n) {
        uint8_t k = o[i];
        if (k == 0)
            break;
        if (k == 1) {
            tl_printf(out, "%snop", sep);
            i++;
        } else {
            if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
                break;
            uint8_t l = o[i + 1];
            if (k == 2 && l == 4)
                tl_printf(out, "%smss %u", sep, be16_get(o + i + 2));
            else if (k == 3 && l == 3)
                tl_printf(out, "%swscale %u", sep, o[i + 2]);
            else if (k == 4)
                tl_printf(out, "%ssackOK", sep);
            else if (k == 8 && l == 10)
                tl_printf(out, "%stimestamp %u %u", sep, be32_get(o + i + 2), be32_get(o + i + 6));
            else
                tl_printf(out, "%sopt%u", sep, k);
            i += l;
        }
        sep = ",";
        any = true;
    }
    if (any)
        tl_printf(out, ">");
}

/*
 * An ICMP (IPv4) message as nmap's packet trace names it: "NAME
 * (type=T/code=C) FIELDS", FIELDS empty or "id=.. seq=.." and the like
 * (nmap's words per type and code, RFC 792/950). icmp points at the ICMP
 * header, n bytes of it captured.
 */
static const char *icmp_what(const struct pkt_info *pi, const uint8_t *icmp, size_t n, char *buf,
                             size_t len)
{
    uint8_t t = pi->icmp_type, c = pi->icmp_code;
    char name[96] = "Unknown type", fields[96] = "", q[IPADDR_STRLEN] = "?";
    if (pi->has_quote)
        ipaddr_str(&pi->quote.dst, q, sizeof q);
    bool more = n >= 8;
    switch (t) {
    case 0:
    case 8:
    case 15:
    case 16:
        snprintf(name, sizeof name, "%s %s", t == 0 || t == 8 ? "Echo" : "Information",
                 t == 8 || t == 15 ? "request" : "reply");
        if (more)
            snprintf(fields, sizeof fields, "id=%u seq=%u", be16_get(icmp + 4), be16_get(icmp + 6));
        break;
    case 3: {
        static const char *const fixed[16] = {
            [4] = "Fragmentation required",
            [5] = "Source route failed",
            [8] = "Source host isolated",
            [13] = "Communication administratively prohibited by filtering",
            [14] = "Host precedence violation",
            [15] = "Precedence cutoff in effect"};
        static const char *const with_dst[16] = {
            [0] = "Network %s unreachable",
            [1] = "Host %s unreachable",
            [6] = "Destination network %s unknown",
            [7] = "Destination host %s unknown",
            [9] = "Destination network %s administratively prohibited",
            [10] = "Destination host %s administratively prohibited",
            [11] = "Network %s unreachable for TOS",
            [12] = "Host %s unreachable for TOS"};
        if (c == 2 && pi->has_quote)
            snprintf(name, sizeof name, "Protocol %u unreachable", pi->quote.proto);
        else if (c == 3 && pi->has_quote &&
                 (pi->quote.proto == IPPROTO_TCP || pi->quote.proto == IPPROTO_UDP))
            snprintf(name, sizeof name, "Port %u unreachable", pi->quote.dport);
        else if (c == 3)
            snprintf(name, sizeof name, "Port unreachable");
        else if (c < 16 && with_dst[c])
            snprintf(name, sizeof name, with_dst[c], q);
        else if (c < 16 && fixed[c])
            snprintf(name, sizeof name, "%s", fixed[c]);
        else
            snprintf(name, sizeof name, "Destination unreachable (unknown code)");
        if (c == 4 && more)
            snprintf(fields, sizeof fields, "Next-Hop-MTU=%u", be16_get(icmp + 6));
        break;
    }
    case 4:
        snprintf(name, sizeof name, "Source quench");
        break;
    case 5:
        snprintf(name, sizeof name, "%s",
                 c == 0   ? "Network redirect"
                 : c == 1 ? "Host redirect"
                          : "Redirect (unknown code)");
        if (more)
            snprintf(fields, sizeof fields, "addr=%u.%u.%u.%u", icmp[4], icmp[5], icmp[6], icmp[7]);
        break;
    case 11:
        snprintf(name, sizeof name, "%s",
                 c == 0   ? "TTL=0 during transit"
                 : c == 1 ? "TTL=0 during reassembly"
                          : "TTL exceeded (unknown code)");
        break;
    case 12:
        snprintf(name, sizeof name, "Parameter problem (%s)",
                 c == 0   ? "pointer indicates error"
                 : c == 1 ? "option missing"
                 : c == 2 ? "bad length"
                          : "unknown code");
        if (more)
            snprintf(fields, sizeof fields, "pointer=%u", icmp[4]);
        break;
    case 13:
    case 14:
        snprintf(name, sizeof name, "Timestamp %s", t == 13 ? "request" : "reply");
        if (n >= 20)
            snprintf(fields, sizeof fields, "id=%u seq=%u orig=%u recv=%u trans=%u",
                     be16_get(icmp + 4), be16_get(icmp + 6), be32_get(icmp + 8),
                     be32_get(icmp + 12), be32_get(icmp + 16));
        break;
    case 17:
    case 18:
        snprintf(name, sizeof name, "Address mask %s", t == 17 ? "request" : "reply");
        if (n >= 12)
            snprintf(fields, sizeof fields, "id=%u seq=%u mask=%u.%u.%u.%u", be16_get(icmp + 4),
                     be16_get(icmp + 6), icmp[8], icmp[9], icmp[10], icmp[11]);
        break;
    default:
        break;
    }
    snprintf(buf, len, "%s (type=%u/code=%u) %s", name, t, c, fields);
    return buf;
}

/* Write a finished line in one locked piece, so that it never lands inside
 * another thread's line. */
static void put_text(FILE *out, const char *line)
{
    flockfile(out);
    fputs(line, out);
    funlockfile(out);
}

void trace_conn(FILE *out, double t_s, const struct ipaddr *dst, uint16_t port, int err)
{
    char a[IPADDR_STRLEN];
    char line[IPADDR_STRLEN + 160];
    snprintf(line, sizeof line, "CONN (%.4fs) TCP localhost > %s:%u => %s\n", t_s,
             ipaddr_str(dst, a, sizeof a), port, err == 0 ? "Connected" : strerror(err));
    put_text(out, line);
}

/* An Ethernet ARP request or reply (RFC 826, IPv4 over Ethernet) as
 * nmap's line into line (len bytes); false for anything else. */
static bool arp_line(const uint8_t *d, size_t caplen, const char *verb, double t_s, char *line,
                     size_t len)
{
    if (caplen < 14 + 28 || be16_get(d + 12) != 0x0806)
        return false;
    const uint8_t *a = d + 14;
    if (be16_get(a) != 1 || be16_get(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
        return false;
    char spa[IPADDR_STRLEN], tpa[IPADDR_STRLEN], mac[MAC_STRLEN];
    struct ipaddr x = {.family = AF_INET};
    memcpy(x.bytes, a + 14, 4);
    ipaddr_str(&x, spa, sizeof spa);
    memcpy(x.bytes, a + 24, 4);
    ipaddr_str(&x, tpa, sizeof tpa);
    const uint8_t *m = a + 8;
    switch (be16_get(a + 6)) {
    case 1:
        snprintf(line, len, "%s (%.4fs) ARP who-has %s tell %s\n", verb, t_s, tpa, spa);
        return true;
    case 2:
        snprintf(line, len, "%s (%.4fs) ARP reply %s is-at %s\n", verb, t_s, spa,
                 mac_str(m, false, mac));
        return true;
    default:
        return false;
    }
}

/* A received neighbour advertisement (RFC 4861 4.4) with its target
 * link-layer address option, as nmap's ND ping prints it; false else. */
static bool na_line(const struct pkt_info *pi, const uint8_t *d, size_t caplen, double t_s,
                    char *line, size_t len)
{
    size_t off = pi->l3_off + 40; /* ND messages carry no extension headers */
    if (pi->proto != IPPROTO_ICMPV6 || pi->icmp_type != 136 ||
        d[pi->l3_off + 6] != IPPROTO_ICMPV6 || caplen < off + 24)
        return false;
    const uint8_t *na = d + off, *end = d + caplen;
    struct ipaddr tgt = {.family = AF_INET6};
    memcpy(tgt.bytes, na + 8, 16);
    for (const uint8_t *o = na + 24; o + 8 <= end && o[1]; o += o[1] * 8) {
        if (o[0] != 2 || o[1] != 1)
            continue;
        char s[IPADDR_STRLEN], a[IPADDR_STRLEN], t[IPADDR_STRLEN];
        char mac[MAC_STRLEN];
        snprintf(line, len, "RCVD (%.4fs) neighbor advertisement %s > %s %s is at %s\n", t_s,
                 ipaddr_str(&pi->src, s, sizeof s), ipaddr_str(&pi->dst, a, sizeof a),
                 ipaddr_str(&tgt, t, sizeof t), mac_str(o + 2, true, mac));
        return true;
    }
    return false;
}

void trace_frame(FILE *out, double t_s, enum capture_dir dir, int link, const uint8_t *d,
                 size_t caplen, size_t wirelen, bool skip_tcp)
{
    const char *verb = dir == CAPTURE_OUT ? "SENT" : "RCVD";
    char text[256];
    struct pkt_info pi;
    int rc = link == CAPTURE_LINK_ETHERNET ? pkt_parse_eth_cap(d, caplen, wirelen, &pi)
             : link == CAPTURE_LINK_RAW    ? pkt_parse_ip_cap(d, caplen, wirelen, &pi)
                                           : -1;
    if (rc != PARSE_OK) {
        if (link == CAPTURE_LINK_ETHERNET && arp_line(d, caplen, verb, t_s, text, sizeof text))
            put_text(out, text);
        return;
    }
    if (skip_tcp && pi.proto == IPPROTO_TCP)
        return;
    if (dir != CAPTURE_OUT && na_line(&pi, d, caplen, t_s, text, sizeof text)) {
        put_text(out, text);
        return;
    }
    struct tline line = {.len = 0}, *l = &line;
    char s[IPADDR_STRLEN], a[IPADDR_STRLEN];
    ipaddr_str(&pi.src, s, sizeof s);
    ipaddr_str(&pi.dst, a, sizeof a);
    tl_printf(l, "%s (%.4fs) ", verb, t_s);
    unsigned ttl = pi.ttl, id = pi.ip_id, len = ip_len(&pi, d);
    /* nmap's IP fields: IPv4 "ttl= id= iplen= ", IPv6 "hopl= flow= payloadlen=". */
    char ipf[64];
    const uint8_t *ip = d + pi.l3_off;
    if (pi.family == AF_INET6)
        snprintf(ipf, sizeof ipf, "hopl=%u flow=%x payloadlen=%u", ttl,
                 (unsigned)(ip[1] & 15) << 16 | be16_get(ip + 2), be16_get(ip + 4));
    else
        snprintf(ipf, sizeof ipf, "ttl=%u id=%u iplen=%u ", ttl, id, len);
    switch (pi.proto) {
    case IPPROTO_TCP: {
        static const struct {
            uint8_t bit;
            char c;
        } order[] = {{PKT_TCP_SYN, 'S'}, {PKT_TCP_FIN, 'F'}, {PKT_TCP_RST, 'R'},
                     {PKT_TCP_PSH, 'P'}, {PKT_TCP_ACK, 'A'}, {PKT_TCP_URG, 'U'},
                     {PKT_TCP_ECE, 'E'}, {PKT_TCP_CWR, 'C'}};
        char fl[9];
        size_t n = 0;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
            if (pi.tcp_flags & order[i].bit)
                fl[n++] = order[i].c;
        fl[n] = '\0';
        tl_printf(l, "TCP %s:%u > %s:%u %s %s seq=%u win=%u ", s, pi.sport, a, pi.dport, fl, ipf,
                  pi.seq, pi.window);
        if (pi.tcp_opt_len && pi.tcp_opt_off + pi.tcp_opt_len <= caplen)
            tcp_opts(l, d + pi.tcp_opt_off, pi.tcp_opt_len);
        break;
    }
    case IPPROTO_UDP:
        tl_printf(l, "UDP %s:%u > %s:%u %s", s, pi.sport, a, pi.dport, ipf);
        break;
    case IPPROTO_ICMPV6:
        tl_printf(l, "ICMPv6 (%u) %s > %s (type=%u/code=%u) %s", IPPROTO_ICMPV6, s, a, pi.icmp_type,
                  pi.icmp_code, ipf);
        break;
    case IPPROTO_ICMP: {
        char w[256];
        size_t n = caplen > pi.l4_off ? caplen - pi.l4_off : 0;
        tl_printf(l, "ICMP [%s > %s %s] IP [%s]", s, a,
                  icmp_what(&pi, d + pi.l4_off, n, w, sizeof w), ipf);
        break;
    }
    default:
        tl_printf(l, "IP %s > %s proto=%u %s", s, a, pi.proto, ipf);
        break;
    }
    tl_printf(l, "\n");
    if (line.len == sizeof line.buf - 1) /* cut: still one line */
        line.buf[line.len - 1] = '\n';
    put_text(out, line.buf);
}
