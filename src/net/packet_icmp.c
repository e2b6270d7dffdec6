/*
 * packet_icmp.c — ICMP/ICMPv6 query probe templates (see packet_icmp.h).
 */
#include "net/packet_icmp.h"

#include "net/parse.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static uint32_t addr_words(const struct ipaddr *a, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < n; i += 2)
        sum += (uint32_t)a->bytes[i] << 8 | a->bytes[i + 1];
    return sum;
}

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
    if (p->family != AF_INET && p->family != AF_INET6)
        return -1;
    bool v6 = p->family == AF_INET6;
    size_t body; /* bytes after the 8-byte header */
    uint8_t type;
    switch (p->kind) {
    case PKT_ICMP_KIND_ECHO:
        if (p->payload_len && !p->payload)
            return -1;
        body = p->payload_len;
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
    if (p->eth) {
        memcpy(t->frame, p->dst_mac, 6);
        memcpy(t->frame + 6, p->src_mac, 6);
        put16(t->frame + 12, v6 ? PKT_ETHERTYPE_IPV6 : PKT_ETHERTYPE_IPV4);
    }
    uint8_t *ip = t->frame + l3;
    if (!v6) {
        ip[0] = 0x45;
        ip[1] = p->tos;
        put16(ip + 2, (uint16_t)(PKT_IPV4_LEN + icmp_len));
        put16(ip + 6, p->dont_fragment ? 0x4000 : 0);
        ip[8] = p->ttl;
        ip[9] = IPPROTO_ICMP;
        t->ip_sum = pkt_csum_add(0, ip, PKT_IPV4_LEN);
    } else {
        ip[0] = (uint8_t)(0x60 | p->tos >> 4);
        ip[1] = (uint8_t)(p->tos << 4);
        put16(ip + 4, (uint16_t)icmp_len);
        ip[6] = IPPROTO_ICMPV6;
        ip[7] = p->ttl;
    }
    uint8_t *icmp = t->frame + l4;
    icmp[0] = type;
    /* icmp[1] code 0; [2..7] checksum, id, seq: per probe; timestamps and
     * mask stay zero */
    if (p->kind == PKT_ICMP_KIND_ECHO && body)
        memcpy(icmp + PKT_ICMP_HDR_LEN, p->payload, body);
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
        uint32_t addrs = addr_words(&p->src, 4) + addr_words(&p->dst, 4);
        put16(ip + 4, p->ip_id);
        memcpy(ip + 12, p->src.bytes, 4);
        memcpy(ip + 16, p->dst.bytes, 4);
        put16(ip + 10, (uint16_t)~fold((uint64_t)t->ip_sum + p->ip_id + addrs));
    } else {
        memcpy(ip + 8, p->src.bytes, 16);
        memcpy(ip + 24, p->dst.bytes, 16);
        sum += addr_words(&p->src, 16) + addr_words(&p->dst, 16);
    }
    put16(icmp + 4, p->id);
    put16(icmp + 6, p->seq);
    uint16_t csum = (uint16_t)~fold(sum);
    if (t->badsum)
        csum ^= 1;
    put16(icmp + 2, csum);
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
