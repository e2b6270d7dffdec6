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
 *
 * nmap's TCP flag letters come in the order S F R P A U E C ("SA", "RA",
 * "FPU" for a Xmas probe).
 */
#include "net/trace.h"

#include "core/addr.h"
#include "net/capture.h"
#include "net/packet.h"
#include "net/parse.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned ip_len(const struct pkt_info *pi, const uint8_t *d)
{
    const uint8_t *ip = d + pi->l3_off;
    return pi->family == AF_INET ? get16(ip + 2) : get16(ip + 4) + 40;
}

static void tcp_opts(FILE *out, const uint8_t *o, size_t n)
{
    const char *sep = "<";
    size_t i = 0;
    bool any = false;
    while (i < n) {
        uint8_t k = o[i];
        if (k == 0)
            break;
        if (k == 1) {
            fprintf(out, "%snop", sep);
            i++;
        } else {
            if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
                break;
            uint8_t l = o[i + 1];
            if (k == 2 && l == 4)
                fprintf(out, "%smss %u", sep, get16(o + i + 2));
            else if (k == 3 && l == 3)
                fprintf(out, "%swscale %u", sep, o[i + 2]);
            else if (k == 4)
                fprintf(out, "%ssackOK", sep);
            else if (k == 8 && l == 10)
                fprintf(out, "%stimestamp %u %u", sep,
                        (unsigned)(get16(o + i + 2) << 16 | get16(o + i + 4)),
                        (unsigned)(get16(o + i + 6) << 16 | get16(o + i + 8)));
            else
                fprintf(out, "%sopt%u", sep, k);
            i += l;
        }
        sep = ",";
        any = true;
    }
    if (any)
        fputc('>', out);
}

static const char *icmp_what(const struct pkt_info *pi, char *buf, size_t len)
{
    bool v4 = pi->proto == IPPROTO_ICMP;
    uint8_t t = pi->icmp_type, c = pi->icmp_code;
    if ((v4 && t == 8) || (!v4 && t == 128))
        snprintf(buf, len, "Echo request (type=%u/code=%u) id=%u seq=%u", t, c, pi->icmp_id,
                 pi->icmp_seq);
    else if ((v4 && t == 0) || (!v4 && t == 129))
        snprintf(buf, len, "Echo reply (type=%u/code=%u) id=%u seq=%u", t, c, pi->icmp_id,
                 pi->icmp_seq);
    else if (pi->has_quote && ((v4 && t == 3 && c == 3) || (!v4 && t == 1 && c == 4)))
        snprintf(buf, len, "Port %u unreachable (type=%u/code=%u)", pi->quote.dport, t, c);
    else if ((v4 && t == 3) || (!v4 && t == 1))
        snprintf(buf, len, "Destination unreachable (type=%u/code=%u)", t, c);
    else
        snprintf(buf, len, "type=%u/code=%u", t, c);
    return buf;
}

/* Write the line built in buf (a memstream's) in one locked piece. */
static void put_line(FILE *out, FILE *mem, char **buf, const size_t *len)
{
    /* (fclose settles *buf and *len) */
    if (fclose(mem) == 0 && *buf) {
        flockfile(out);
        fwrite(*buf, 1, *len, out);
        funlockfile(out);
    }
    free(*buf);
}

void trace_conn(FILE *out, double t_s, const struct ipaddr *dst, uint16_t port, int err)
{
    char a[IPADDR_STRLEN];
    char line[IPADDR_STRLEN + 160];
    int n = snprintf(line, sizeof line, "CONN (%.4fs) TCP localhost > %s:%u => %s\n", t_s,
                     ipaddr_str(dst, a, sizeof a), port, err == 0 ? "Connected" : strerror(err));
    if (n > 0) {
        flockfile(out);
        fwrite(line, 1, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, out);
        funlockfile(out);
    }
}

void trace_frame(FILE *out, double t_s, enum capture_dir dir, int link, const uint8_t *d,
                 size_t caplen, size_t wirelen, bool skip_tcp)
{
    struct pkt_info pi;
    int rc = link == CAPTURE_LINK_ETHERNET ? pkt_parse_eth_cap(d, caplen, wirelen, &pi)
             : link == CAPTURE_LINK_RAW    ? pkt_parse_ip_cap(d, caplen, wirelen, &pi)
                                           : -1;
    if (rc != PARSE_OK)
        return; /* ARP and the like: nmap prints those only with its ARP ping */
    if (skip_tcp && pi.proto == IPPROTO_TCP)
        return;
    char *buf = NULL;
    size_t blen = 0;
    FILE *line = open_memstream(&buf, &blen);
    if (!line)
        return;
    FILE *final_out = out;
    out = line;
    char s[IPADDR_STRLEN], a[IPADDR_STRLEN];
    ipaddr_str(&pi.src, s, sizeof s);
    ipaddr_str(&pi.dst, a, sizeof a);
    const char *verb = dir == CAPTURE_OUT ? "SENT" : "RCVD";
    fprintf(out, "%s (%.4fs) ", verb, t_s);
    unsigned ttl = pi.ttl, id = pi.ip_id, len = ip_len(&pi, d);
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
        fprintf(out, "TCP %s:%u > %s:%u %s ttl=%u id=%u iplen=%u  seq=%u win=%u ", s, pi.sport, a,
                pi.dport, fl, ttl, id, len, pi.seq, pi.window);
        if (pi.tcp_opt_len && pi.tcp_opt_off + pi.tcp_opt_len <= caplen)
            tcp_opts(out, d + pi.tcp_opt_off, pi.tcp_opt_len);
        break;
    }
    case IPPROTO_UDP:
        fprintf(out, "UDP %s:%u > %s:%u ttl=%u id=%u iplen=%u ", s, pi.sport, a, pi.dport, ttl, id,
                len);
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
        char w[96];
        fprintf(out, "%s [%s > %s %s ] IP [ttl=%u id=%u iplen=%u ]",
                pi.proto == IPPROTO_ICMP ? "ICMP" : "ICMPv6", s, a, icmp_what(&pi, w, sizeof w),
                ttl, id, len);
        break;
    }
    default:
        fprintf(out, "IP %s > %s proto=%u ttl=%u id=%u iplen=%u ", s, a, pi.proto, ttl, id, len);
        break;
    }
    fputc('\n', out);
    put_line(final_out, line, &buf, &blen);
}
