/*
 * packet_udp.c — UDP probe templates (see packet_udp.h).
 */
#include "net/packet_udp.h"

#include "net/packet_internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int pkt_udp_template_init(struct pkt_udp_template *t, const struct pkt_udp_params *p)
{
    memset(t, 0, sizeof(*t));
    if (pkt_ip_settings_check(&p->ip, p->family) < 0 || p->ip.payload_len)
        return -1;
    struct pkt_ip_layout lay = {
        .family = p->family,
        .eth = p->eth,
        .dst_mac = p->dst_mac,
        .src_mac = p->src_mac,
        .ip = &p->ip,
        .proto = IPPROTO_UDP,
        .l4_len = 0, /* the payload, and so every length, is chosen per probe */
    };
    size_t l3, l4;
    t->ip_sum = pkt_lay_ip(t->frame, &lay, &l3, &l4);
    t->family = p->family;
    t->l3_off = (uint16_t)l3;
    t->l4_off = (uint16_t)l4;
    t->hdr_len = (uint16_t)(l4 + PKT_UDP_LEN);
    t->badsum = p->badsum;
    t->ip_id_fixed = p->ip.ip_id_fixed;
    t->ip_id = p->ip.ip_id;
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
        uint16_t id = pkt_ip_id(t->ip_id_fixed, t->ip_id, p->ip_id);
        addrs = pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
        pkt_put16(ip + 2, total);
        pkt_put16(ip + 4, id);
        memcpy(ip + 12, p->src.bytes, 4);
        memcpy(ip + 16, p->dst.bytes, 4);
        pkt_put16(ip + 10, (uint16_t)~pkt_fold((uint64_t)t->ip_sum + total + id + addrs));
    } else {
        addrs = pkt_addr_words(&p->src) + pkt_addr_words(&p->dst);
        pkt_put16(ip + 4, ulen);
        memcpy(ip + 8, p->src.bytes, 16);
        memcpy(ip + 24, p->dst.bytes, 16);
    }
    pkt_put16(udp, p->sport);
    pkt_put16(udp + 2, p->dport);
    pkt_put16(udp + 4, ulen);
    if (p->payload_len)
        memcpy(udp + PKT_UDP_LEN, p->payload, p->payload_len);
    /* Pseudo-header (addresses, protocol, length), then the header words
     * (the length a second time), then the payload. */
    uint64_t sum = (uint64_t)addrs + IPPROTO_UDP + ulen + p->sport + p->dport + ulen;
    if (p->payload_len)
        sum += pkt_csum_add(0, p->payload, p->payload_len);
    uint16_t csum = (uint16_t)~pkt_fold(sum);
    if (csum == 0)
        csum = 0xffff; /* RFC 768: zero is transmitted as all ones */
    if (t->badsum) {
        csum ^= 1;
        if (csum == 0) /* was 0x0001: 0 would read as "no checksum" */
            csum = 0x0003;
    }
    pkt_put16(udp + 6, csum);
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
