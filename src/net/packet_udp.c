/*
 * packet_udp.c — UDP probe templates (see packet_udp.h).
 */
#include "net/packet_udp.h"

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

int pkt_udp_template_init(struct pkt_udp_template *t, const struct pkt_udp_params *p)
{
    memset(t, 0, sizeof(*t));
    if (p->family != AF_INET && p->family != AF_INET6)
        return -1;
    size_t l3 = p->eth ? PKT_ETH_LEN : 0;
    size_t l4 = l3 + (p->family == AF_INET ? PKT_IPV4_LEN : PKT_IPV6_LEN);
    t->family = p->family;
    t->l3_off = (uint16_t)l3;
    t->l4_off = (uint16_t)l4;
    t->hdr_len = (uint16_t)(l4 + PKT_UDP_LEN);
    t->badsum = p->badsum;
    if (p->eth) {
        memcpy(t->frame, p->dst_mac, 6);
        memcpy(t->frame + 6, p->src_mac, 6);
        put16(t->frame + 12, p->family == AF_INET ? PKT_ETHERTYPE_IPV4 : PKT_ETHERTYPE_IPV6);
    }
    uint8_t *ip = t->frame + l3;
    if (p->family == AF_INET) {
        ip[0] = 0x45;
        ip[1] = p->tos;
        /* ip[2..5] total length and ID, ip[10..19] checksum and addresses: per probe */
        put16(ip + 6, p->dont_fragment ? 0x4000 : 0);
        ip[8] = p->ttl;
        ip[9] = IPPROTO_UDP;
        t->ip_sum = pkt_csum_add(0, ip, PKT_IPV4_LEN);
    } else {
        ip[0] = (uint8_t)(0x60 | p->tos >> 4);
        ip[1] = (uint8_t)(p->tos << 4);
        /* ip[4..5] payload length, ip[8..39] addresses: per probe */
        ip[6] = IPPROTO_UDP;
        ip[7] = p->ttl;
    }
    /* The UDP header is all per probe. */
    return 0;
}

int pkt_udp_frame_len(const struct pkt_udp_template *t, size_t payload_len)
{
    if (payload_len > PKT_MAX_FRAME || t->hdr_len + payload_len > PKT_MAX_FRAME)
        return -1;
    return (int)(t->hdr_len + payload_len);
}

int pkt_udp_patch(const struct pkt_udp_template *t, uint8_t *buf, size_t buflen,
                  const struct pkt_udp_probe *p)
{
    if (p->src.family != t->family || p->dst.family != t->family)
        return -1;
    if (p->payload_len && !p->payload)
        return -1;
    int len = pkt_udp_frame_len(t, p->payload_len);
    if (len < 0 || (size_t)len > buflen)
        return -1;
    uint8_t *ip = buf + t->l3_off;
    uint8_t *udp = buf + t->l4_off;
    uint16_t ulen = (uint16_t)(PKT_UDP_LEN + p->payload_len);
    uint32_t addrs;

    if (t->family == AF_INET) {
        uint16_t total = (uint16_t)(PKT_IPV4_LEN + ulen);
        addrs = addr_words(&p->src, 4) + addr_words(&p->dst, 4);
        put16(ip + 2, total);
        put16(ip + 4, p->ip_id);
        memcpy(ip + 12, p->src.bytes, 4);
        memcpy(ip + 16, p->dst.bytes, 4);
        put16(ip + 10, (uint16_t)~fold((uint64_t)t->ip_sum + total + p->ip_id + addrs));
    } else {
        addrs = addr_words(&p->src, 16) + addr_words(&p->dst, 16);
        put16(ip + 4, ulen);
        memcpy(ip + 8, p->src.bytes, 16);
        memcpy(ip + 24, p->dst.bytes, 16);
    }
    put16(udp, p->sport);
    put16(udp + 2, p->dport);
    put16(udp + 4, ulen);
    if (p->payload_len)
        memcpy(udp + PKT_UDP_LEN, p->payload, p->payload_len);
    /* Pseudo-header (addresses, protocol, length), then the header words
     * (the length a second time), then the payload. */
    uint64_t sum = (uint64_t)addrs + IPPROTO_UDP + ulen + p->sport + p->dport + ulen;
    if (p->payload_len)
        sum += pkt_csum_add(0, p->payload, p->payload_len);
    uint16_t csum = (uint16_t)~fold(sum);
    if (csum == 0)
        csum = 0xffff; /* RFC 768: zero is transmitted as all ones */
    if (t->badsum) {
        csum ^= 1;
        if (csum == 0) /* was 0x0001: 0 would read as "no checksum" */
            csum = 0x0003;
    }
    put16(udp + 6, csum);
    return len;
}

int pkt_udp_make(const struct pkt_udp_template *t, uint8_t *buf, size_t buflen,
                 const struct pkt_udp_probe *p)
{
    int len = pkt_udp_frame_len(t, p->payload_len);
    if (len < 0 || (size_t)len > buflen || p->src.family != t->family || p->dst.family != t->family)
        return -1;
    memcpy(buf, t->frame, t->hdr_len);
    return pkt_udp_patch(t, buf, buflen, p);
}
