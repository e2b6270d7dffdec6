/*
 * packet.c — TCP probe templates and the Internet checksum (see packet.h).
 */
#include "net/packet.h"
#include "net/packet_internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    size_t i = 0;

    for (; i + 1 < len; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < len)
        acc += (uint32_t)p[i] << 8; /* odd byte, padded with zero (RFC 1071 §4.1) */
    return pkt_fold(acc);
}

uint16_t pkt_csum_fold(uint32_t sum)
{
    return (uint16_t)~pkt_fold(sum);
}

uint16_t pkt_ipv4_checksum(const uint8_t *hdr, size_t hlen)
{
    return pkt_csum_fold(pkt_csum_add(0, hdr, hlen));
}

uint32_t pkt_lay_ip(uint8_t *frame, const struct pkt_ip_layout *l, size_t *l3, size_t *l4)
{
    bool v6 = l->family == AF_INET6;
    *l3 = l->eth ? PKT_ETH_LEN : 0;
    *l4 = *l3 + (v6 ? PKT_IPV6_LEN : PKT_IPV4_LEN);
    if (l->eth) {
        memcpy(frame, l->dst_mac, 6);
        memcpy(frame + 6, l->src_mac, 6);
        pkt_put16(frame + 12, v6 ? PKT_ETHERTYPE_IPV6 : PKT_ETHERTYPE_IPV4);
    }
    uint8_t *ip = frame + *l3;
    const struct ip_settings *st = l->ip;
    if (!v6) {
        ip[0] = 0x45; /* version 4, IHL 5 words */
        ip[1] = st->tos;
        if (l->l4_len)
            pkt_put16(ip + 2, (uint16_t)(PKT_IPV4_LEN + l->l4_len));
        /* ip[4..5] identification: per probe */
        pkt_put16(ip + 6, st->dont_fragment ? 0x4000 : 0);
        ip[8] = st->ttl;
        ip[9] = l->proto;
        /* ip[10..11] checksum, ip[12..19] addresses: per probe */
        return pkt_csum_add(0, ip, PKT_IPV4_LEN);
    }
    /* version 6, traffic class, flow label 0 */
    ip[0] = (uint8_t)(0x60 | st->tos >> 4);
    ip[1] = (uint8_t)(st->tos << 4);
    if (l->l4_len)
        pkt_put16(ip + 4, (uint16_t)l->l4_len); /* payload length */
    ip[6] = l->proto;                           /* next header */
    ip[7] = st->ttl;                            /* hop limit */
    /* ip[8..39] addresses: per probe */
    return 0;
}

int pkt_ip_settings_check(const struct ip_settings *ip, int family)
{
    if (family != AF_INET && family != AF_INET6)
        return -1;
    if (ip->ip_options_len) /* RFC 791 options: threaded, not yet laid out */
        return -1;
    if (ip->src.family != 0 && ip->src.family != family)
        return -1;
    if ((ip->payload_len && !ip->payload) || ip->payload_len > PKT_MAX_FRAME)
        return -1;
    return 0;
}

/* Sum of the addresses of a pseudo-header: 4 or 16 bytes each. */
static uint32_t addr_sum(uint32_t sum, const struct ipaddr *src, const struct ipaddr *dst)
{
    size_t n = src->family == AF_INET6 ? 16 : 4;

    sum = pkt_csum_add(sum, src->bytes, n);
    return pkt_csum_add(sum, dst->bytes, n);
}

uint16_t pkt_l4_checksum(const struct ipaddr *src, const struct ipaddr *dst, uint8_t proto,
                         const uint8_t *seg, size_t len)
{
    /* Both pseudo-headers add up to: addresses + protocol + length (the
     * IPv6 one carries length as 32 bits and the protocol after 3 zero
     * bytes, which sums the same as the IPv4 layout). */
    uint32_t sum = addr_sum(0, src, dst);

    sum += proto;
    sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
    sum = pkt_csum_add(sum, seg, len);
    return pkt_csum_fold(sum);
}

uint16_t pkt_csum_update(uint16_t csum, const void *old_data, const void *new_data, size_t len)
{
    const uint8_t *o = old_data, *n = new_data;
    uint64_t acc = (uint16_t)~csum;

    for (size_t i = 0; i + 1 < len; i += 2) {
        uint16_t m = (uint16_t)(o[i] << 8 | o[i + 1]);
        uint16_t m2 = (uint16_t)(n[i] << 8 | n[i + 1]);
        acc += (uint16_t)~m;
        acc += m2;
    }
    return (uint16_t)~pkt_fold(acc);
}

int pkt_template_init(struct pkt_template *t, const struct pkt_tcp_params *p)
{
    size_t opt_len, tcp_len, ip_hlen, l3, l4, total;
    uint8_t *tcp;

    memset(t, 0, sizeof(*t));
    if (pkt_ip_settings_check(&p->ip, p->family) < 0)
        return -1;
    if (p->tcp_options_len > PKT_TCP_OPT_MAX || (p->tcp_options_len && !p->tcp_options))
        return -1;

    opt_len = (p->tcp_options_len + 3) & ~(size_t)3;
    tcp_len = PKT_TCP_LEN + opt_len + p->ip.payload_len;
    ip_hlen = p->family == AF_INET ? PKT_IPV4_LEN : PKT_IPV6_LEN;
    l3 = p->eth ? PKT_ETH_LEN : 0;
    l4 = l3 + ip_hlen;
    total = l4 + tcp_len;
    if (total > PKT_MAX_FRAME)
        return -1;

    t->family = p->family;
    t->len = (uint16_t)total;
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
        .proto = IPPROTO_TCP,
        .l4_len = tcp_len,
    };
    t->ip_sum = pkt_lay_ip(t->frame, &lay, &l3, &l4);

    tcp = t->frame + l4;
    /* tcp[0..11] ports, seq, ack: per probe */
    tcp[12] = (uint8_t)(((PKT_TCP_LEN + opt_len) / 4) << 4); /* data offset */
    tcp[13] = p->tcp_flags;
    pkt_put16(tcp + 14, p->window);
    /* tcp[16..17] checksum: per probe */
    pkt_put16(tcp + 18, p->urgent);
    if (p->tcp_options_len)
        memcpy(tcp + PKT_TCP_LEN, p->tcp_options, p->tcp_options_len);
    if (p->ip.payload_len)
        memcpy(tcp + PKT_TCP_LEN + opt_len, p->ip.payload, p->ip.payload_len);

    /* Pseudo-header protocol and length, then the constant TCP bytes. */
    t->tcp_sum = IPPROTO_TCP + (uint32_t)tcp_len;
    t->tcp_sum = pkt_csum_add(t->tcp_sum, tcp, tcp_len);
    return 0;
}

int pkt_patch(const struct pkt_template *t, uint8_t *buf, const struct pkt_tcp_probe *p)
{
    uint8_t *ip = buf + t->l3_off;
    uint8_t *tcp = buf + t->l4_off;
    uint64_t sum;
    uint32_t addrs;
    uint16_t csum;

    if (p->src.family != t->family || p->dst.family != t->family)
        return -1;

    /* Sums are taken from the integers, not re-read from buf: at most
     * 2 * 8 + 6 words, far from overflowing 64 bits. */
    if (t->family == AF_INET) {
        uint16_t id = pkt_ip_id(t->ip_id_fixed, t->ip_id, p->ip_id);
        addrs = pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
        pkt_put16(ip + 4, id);
        memcpy(ip + 12, p->src.bytes, 4);
        memcpy(ip + 16, p->dst.bytes, 4);
        pkt_put16(ip + 10, (uint16_t)~pkt_fold((uint64_t)t->ip_sum + id + addrs));
    } else {
        addrs = pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
        memcpy(ip + 8, p->src.bytes, 16);
        memcpy(ip + 24, p->dst.bytes, 16);
    }

    pkt_put16(tcp, p->sport);
    pkt_put16(tcp + 2, p->dport);
    put32(tcp + 4, p->seq);
    put32(tcp + 8, p->ack);
    sum = (uint64_t)t->tcp_sum + addrs + p->sport + p->dport + (p->seq >> 16) + (p->seq & 0xffff) +
          (p->ack >> 16) + (p->ack & 0xffff);
    csum = (uint16_t)~pkt_fold(sum);
    if (t->badsum)
        csum ^= 1; /* off by one in value: never congruent to the right sum */
    pkt_put16(tcp + 16, csum);
    return t->len;
}

int pkt_make(const struct pkt_template *t, uint8_t *buf, size_t buflen,
             const struct pkt_tcp_probe *p)
{
    if (buflen < t->len)
        return -1;
    if (p->src.family != t->family || p->dst.family != t->family)
        return -1;
    memcpy(buf, t->frame, t->len);
    return pkt_patch(t, buf, p);
}
