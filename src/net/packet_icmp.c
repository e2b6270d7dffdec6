/*
 * packet_icmp.c — ICMP/ICMPv6 query probe templates (see packet_icmp.h).
 */
#include "net/packet_icmp.h"

#include "net/parse.h"

#include "net/packet_internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int pkt_icmp_reply_type(uint8_t request_type)
{
    switch (request_type) {
    case PKT_ICMP_ECHO:
        return PKT_ICMP_ECHOREPLY;
    case PKT_ICMP_TSTAMP:
        return PKT_ICMP_TSTAMPREPLY;
    case PKT_ICMP_MASKREQ:
        return PKT_ICMP_MASKREPLY;
    case PKT_ICMP6_ECHO:
        return PKT_ICMP6_ECHOREPLY;
    default:
        return -1;
    }
}

int pkt_icmp_template_init(struct pkt_icmp_template *t, const struct pkt_icmp_params *p)
{
    memset(t, 0, sizeof(*t));
    if (pkt_ip_settings_check(&p->ip, p->family) < 0)
        return -1;
    bool v6 = p->family == AF_INET6;
    size_t body; /* bytes after the 8-byte header */
    uint8_t type;
    switch (p->kind) {
    case PKT_ICMP_KIND_ECHO:
        body = p->ip.payload_len;
        type = v6 ? PKT_ICMP6_ECHO : PKT_ICMP_ECHO;
        break;
    case PKT_ICMP_KIND_TIMESTAMP:
        body = 12;
        type = PKT_ICMP_TSTAMP;
        break;
    case PKT_ICMP_KIND_NETMASK:
        body = 4;
        type = PKT_ICMP_MASKREQ;
        break;
    default:
        return -1;
    }
    if (v6 && p->kind != PKT_ICMP_KIND_ECHO)
        return -1;
    size_t l3 = p->eth ? PKT_ETH_LEN : 0;
    size_t l4 = l3 + (v6 ? PKT_IPV6_LEN : PKT_IPV4_LEN);
    if (body > PKT_MAX_FRAME || l4 + PKT_ICMP_HDR_LEN + body > PKT_MAX_FRAME)
        return -1;
    size_t icmp_len = PKT_ICMP_HDR_LEN + body;
    t->family = p->family;
    t->type = type;
    t->len = (uint16_t)(l4 + icmp_len);
    t->l3_off = (uint16_t)l3;
    t->l4_off = (uint16_t)l4;
    t->badsum = p->badsum;
    t->ip_id_fixed = p->ip.ip_id_fixed;
    t->ip_id = p->ip.ip_id;
    struct pkt_ip_layout lay = {
        .family = p->family,
        .eth = p->eth,
        .dst_mac = p->dst_mac,
        .src_mac = p->src_mac,
        .ip = &p->ip,
        .proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
        .l4_len = icmp_len,
    };
    t->ip_sum = pkt_lay_ip(t->frame, &lay, &l3, &l4);
    uint8_t *icmp = t->frame + l4;
    icmp[0] = type;
    /* icmp[1] code 0; [2..7] checksum, id, seq: per probe; timestamps and
     * mask stay zero */
    if (p->kind == PKT_ICMP_KIND_ECHO && body)
        memcpy(icmp + PKT_ICMP_HDR_LEN, p->ip.payload, body);
    t->icmp_sum = pkt_csum_add(0, icmp, icmp_len);
    if (v6) /* RFC 4443 §2.3: the pseudo-header's length and next header */
        t->icmp_sum += (uint32_t)icmp_len + IPPROTO_ICMPV6;
    return 0;
}

int pkt_icmp_patch(const struct pkt_icmp_template *t, uint8_t *buf, const struct pkt_icmp_probe *p)
{
    if (p->src.family != t->family || p->dst.family != t->family)
        return -1;
    uint8_t *ip = buf + t->l3_off;
    uint8_t *icmp = buf + t->l4_off;
    uint64_t sum = (uint64_t)t->icmp_sum + p->id + p->seq;
    if (t->family == AF_INET) {
        uint32_t addrs = pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
        uint16_t id = pkt_ip_id(t->ip_id_fixed, t->ip_id, p->ip_id);
        pkt_put16(ip + 4, id);
        memcpy(ip + 12, p->src.bytes, 4);
        memcpy(ip + 16, p->dst.bytes, 4);
        pkt_put16(ip + 10, (uint16_t)~pkt_fold((uint64_t)t->ip_sum + id + addrs));
    } else {
        memcpy(ip + 8, p->src.bytes, 16);
        memcpy(ip + 24, p->dst.bytes, 16);
        sum += pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
    }
    pkt_put16(icmp + 4, p->id);
    pkt_put16(icmp + 6, p->seq);
    uint16_t csum = (uint16_t)~pkt_fold(sum);
    if (t->badsum)
        csum ^= 1;
    pkt_put16(icmp + 2, csum);
    return t->len;
}

int pkt_icmp_make(const struct pkt_icmp_template *t, uint8_t *buf, size_t buflen,
                  const struct pkt_icmp_probe *p)
{
    if (buflen < t->len || p->src.family != t->family || p->dst.family != t->family)
        return -1;
    memcpy(buf, t->frame, t->len);
    return pkt_icmp_patch(t, buf, p);
}
