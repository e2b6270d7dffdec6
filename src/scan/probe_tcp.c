/*
 * probe_tcp.c — the TCP probe kind (-sS, -sA, -sF, -sN, -sX, -sM, -sW, -PS,
 * -PA; see probe_kind.h): one segment with the module's flags, nmap's MSS
 * option when SYN is set, window 1024 (nmap's SEQ1 options and window 1
 * with --os-passive). The cookie rides in the source port
 * and sequence number (and, for probes with ACK, the acknowledgment number,
 * which the RST echoes); the IPv4 IP ID carries 16 more of its bits.
 * Sources: RFC 9293 §3.1, §3.10.7 (net/cookie.h).
 */
#include "scan/probe_kind.h"

#include <netinet/in.h>
#include <string.h>

static int tcp_prepare(struct probe_tpl *t, const struct probe_setup *s)
{
    struct pkt_tcp_params p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)s->family;
    p.eth = s->eth;
    if (s->eth) {
        memcpy(p.src_mac, s->src_mac, 6);
        memcpy(p.dst_mac, s->dst_mac, 6);
    }
    p.ip = *s->ip;
    p.tcp_flags = s->tcp_flags;
    p.window = 1024; /* nmap's SYN-scan window */
    if ((s->tcp_flags & PKT_TCP_SYN) && s->os_seq1) {
        p.window = 1; /* nmap's SEQ1 */
        p.tcp_options = (const uint8_t *)PKT_TCP_OPT_NMAP_SEQ1;
        p.tcp_options_len = PKT_TCP_OPT_NMAP_SEQ1_LEN;
    } else if (s->tcp_flags & PKT_TCP_SYN) {
        p.tcp_options = (const uint8_t *)PKT_TCP_OPT_MSS1460;
        p.tcp_options_len = 4;
    }
    if (pkt_template_init(&t->u.tcp, &p) < 0)
        return -1;
    t->frame_len = t->u.tcp.len;
    t->tcp_flags = s->tcp_flags;
    t->src = s->ip->src;
    return 0;
}

static int tcp_make(const struct probe_tpl *t, const struct probe_make *m, uint8_t *buf,
                    size_t buflen, bool loaded)
{
    if (buflen < t->u.tcp.len)
        return -1;
    if (!loaded)
        memcpy(buf, t->u.tcp.frame, t->u.tcp.len);
    struct cookie_probe cp = cookie_probe_from_hash(m->cookie, m->hash);
    struct pkt_tcp_probe p = {
        .src = t->src,
        .dst = *m->dst,
        .sport = cp.sport,
        .dport = m->dport,
        .seq = cp.seq,
        /* A SYN carries ack 0 as every stack's does; ACK probes carry
         * the cookie that the RST's seq will echo. */
        .ack = t->tcp_flags & PKT_TCP_ACK ? cp.ack : 0,
        .ip_id = (uint16_t)(cp.ack >> 16),
    };
    return pkt_patch(&t->u.tcp, buf, &p);
}

static bool tcp_validate(const struct cookie_ctx *c, uint8_t tcp_flags, const struct pkt_info *r,
                         struct probe_match *m)
{
    bool direct = r->proto == IPPROTO_TCP && cookie_tcp_valid(c, tcp_flags, 0, r);
    return probe_match_ported(c, IPPROTO_TCP, direct, r, m);
}

const struct probe_kind probe_tcp = {
    .name = "tcp",
    .order = 0,
    .ported = true,
    .port_cookie = true,
    .bpf_proto = "tcp",
    .prepare = tcp_prepare,
    .make = tcp_make,
    .validate = tcp_validate,
};
