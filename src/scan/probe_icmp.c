/*
 * probe_icmp.c — the ICMP query probe kinds (see probe_kind.h): echo (-PE;
 * ICMPv6 echo over IPv6), timestamp (-PP) and address mask (-PM), IPv4
 * only for the last two. Three rows of one implementation that differ in
 * their message (struct icmp_row). The cookie rides in the identifier and
 * sequence number (32 bits, echoed by the reply) and the IPv4 IP ID, from
 * cookie_icmp_probe(), a hash of (source, target, request type) with no
 * port. Sources: RFC 792, RFC 950 appendix I, RFC 4443 §4.1 (net/cookie.h).
 */
#include "scan/probe_kind.h"

#include <netinet/in.h>
#include <string.h>

/* What distinguishes the rows. */
struct icmp_row {
    enum pkt_icmp_kind msg;
    uint8_t request4; /* request type over IPv4 */
    int request6;     /* over IPv6, or -1: none */
};

static const struct icmp_row ECHO = {PKT_ICMP_KIND_ECHO, PKT_ICMP_ECHO, PKT_ICMP6_ECHO};
static const struct icmp_row TSTAMP = {PKT_ICMP_KIND_TIMESTAMP, PKT_ICMP_TSTAMP, -1};
static const struct icmp_row MASK = {PKT_ICMP_KIND_NETMASK, PKT_ICMP_MASKREQ, -1};

/* The request type row sends over family, or -1. */
static int request_type(const struct icmp_row *row, int family)
{
    return family == AF_INET6 ? row->request6 : family == AF_INET ? row->request4 : -1;
}

static int icmp_prepare_row(struct probe_tpl *t, const struct probe_setup *s,
                            const struct icmp_row *row)
{
    struct pkt_icmp_params p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)s->family;
    p.eth = s->eth;
    if (s->eth) {
        memcpy(p.src_mac, s->src_mac, 6);
        memcpy(p.dst_mac, s->dst_mac, 6);
    }
    p.ip = *s->ip;
    p.kind = row->msg;
    if (pkt_icmp_template_init(&t->u.icmp, &p) < 0)
        return -1;
    t->frame_len = t->u.icmp.len;
    t->tcp_flags = 0;
    t->src = s->ip->src;
    t->icmp_type = t->u.icmp.type;
    return 0;
}

static int icmp_make(const struct probe_tpl *t, const struct probe_make *m, uint8_t *buf,
                     size_t buflen, bool loaded)
{
    if (buflen < t->u.icmp.len)
        return -1;
    if (!loaded)
        memcpy(buf, t->u.icmp.frame, t->u.icmp.len);
    struct cookie_icmp ci = cookie_icmp_probe(m->cookie, &t->src, m->dst, t->icmp_type);
    struct pkt_icmp_probe p = {
        .src = t->src,
        .dst = *m->dst,
        .id = ci.id,
        .seq = ci.seq,
        .ip_id = ci.ip_id,
    };
    return pkt_icmp_patch(&t->u.icmp, buf, &p);
}

/* A query reply (r->src the target) or an error quoting our request. */
static bool icmp_validate_row(const struct cookie_ctx *c, const struct pkt_info *r,
                              struct probe_match *m, const struct icmp_row *row)
{
    if (r->has_quote) {
        const struct pkt_quote *q = &r->quote;
        int type = request_type(row, q->family);
        if ((q->proto != IPPROTO_ICMP && q->proto != IPPROTO_ICMPV6) || type < 0 ||
            q->icmp_type != type || !cookie_icmp_valid(c, r))
            return false;
        m->target = &q->dst;
    } else {
        if (r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6)
            return false;
        int type = request_type(row, r->family);
        if (type < 0 || !cookie_icmp_reply_valid(c, (uint8_t)type, r))
            return false;
        m->target = &r->src;
    }
    m->port = 0;
    return true;
}

/* One prepare and validate per row (the callbacks take no row argument). */
#define ICMP_ROW(fn, row)                                                                          \
    static int fn##_prepare(struct probe_tpl *t, const struct probe_setup *s)                      \
    {                                                                                              \
        return icmp_prepare_row(t, s, &(row));                                                     \
    }                                                                                              \
    static bool fn##_validate(const struct cookie_ctx *c, uint8_t tcp_flags,                       \
                              const struct pkt_info *r, struct probe_match *m)                     \
    {                                                                                              \
        (void)tcp_flags;                                                                           \
        return icmp_validate_row(c, r, m, &(row));                                                 \
    }

ICMP_ROW(echo, ECHO)
ICMP_ROW(tstamp, TSTAMP)
ICMP_ROW(mask, MASK)

const struct probe_kind probe_icmp_echo = {
    .name = "icmp_echo",
    .order = 2,
    .label = "icmp",
    .prepare = echo_prepare,
    .make = icmp_make,
    .validate = echo_validate,
};

const struct probe_kind probe_icmp_timestamp = {
    .name = "icmp_timestamp",
    .order = 2,
    .ipv4_only = true,
    .label = "icmp",
    .prepare = tstamp_prepare,
    .make = icmp_make,
    .validate = tstamp_validate,
};

const struct probe_kind probe_icmp_netmask = {
    .name = "icmp_netmask",
    .order = 2,
    .ipv4_only = true,
    .label = "icmp",
    .prepare = mask_prepare,
    .make = icmp_make,
    .validate = mask_validate,
};
