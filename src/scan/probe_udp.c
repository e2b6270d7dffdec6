/*
 * probe_udp.c — the UDP probe kind (-sU, -PU; see probe_kind.h): one
 * datagram with the port's payload (scan/udp_payloads.h), the empty one
 * for ports without. UDP echoes nothing but the ports, so the cookie rides
 * in the source port (log2(source ports) bits), and over IPv4 in the IP ID
 * too (16 more bits), which ICMP errors quote. Sources: RFC 768, RFC 792,
 * RFC 4443 (net/cookie.h).
 */
#include "scan/probe_kind.h"

#include "core/log.h"

#include <netinet/in.h>
#include <string.h>

static int udp_prepare(struct probe_tpl *t, const struct probe_setup *s)
{
    struct pkt_udp_params p;
    memset(&p, 0, sizeof(p));
    p.family = (uint8_t)s->family;
    p.eth = s->eth;
    if (s->eth) {
        memcpy(p.src_mac, s->src_mac, 6);
        memcpy(p.dst_mac, s->dst_mac, 6);
    }
    p.ip = *s->ip;
    if (pkt_udp_template_init(&t->u.udp, &p) < 0)
        return -1;
    t->frame_len = t->u.udp.hdr_len;
    t->tcp_flags = 0;
    t->src = s->ip->src;
    return 0;
}

static int udp_make(const struct probe_tpl *t, const struct probe_make *m, uint8_t *buf,
                    size_t buflen, bool loaded)
{
    if (buflen < t->u.udp.hdr_len)
        return -1;
    if (!loaded)
        memcpy(buf, t->u.udp.frame, t->u.udp.hdr_len);
    struct cookie_probe cp = cookie_probe_from_hash(m->cookie, m->hash);
    /* Every try of a probe has the same cookie (it covers the ports, not
     * the payload), so a reply to any payload validates. */
    static const struct udp_payload none = {NULL, 0};
    const struct udp_payload *pl = m->payload ? m->payload : &none;
    if (pkt_udp_frame_len(&t->u.udp, pl->len) < 0)
        pl = &none; /* over the MTU: warned about by udp_payloads() */
    struct pkt_udp_probe p = {
        .src = t->src,
        .dst = *m->dst,
        .sport = cp.sport,
        .dport = m->dport,
        .ip_id = cookie_udp_ip_id(&cp),
        .payload = pl->data,
        .payload_len = pl->len,
    };
    return pkt_udp_patch(&t->u.udp, buf, buflen, &p);
}

static size_t udp_payloads(const struct probe_tpl *t, const struct udp_payloads *db, uint16_t port,
                           const struct udp_payload **list, uint16_t *n)
{
    size_t k = 0, longest = t->u.udp.hdr_len;
    const struct udp_payload *pl = udp_payload_get_all(db, port, t->u.udp.family, &k);
    if (k == 0)
        k = 1; /* pl points at an empty payload: send the bare datagram */
    /* The slot fits the largest payload that fits a frame; a larger one is
     * sent empty (udp_make). */
    for (size_t i = 0; i < k; i++) {
        int len = pkt_udp_frame_len(&t->u.udp, pl[i].len);
        if (len < 0) {
            log_warn("raw", "UDP payload for port %u (%zu bytes) exceeds the MTU: sent empty", port,
                     pl[i].len);
            len = t->u.udp.hdr_len;
        }
        if ((size_t)len > longest)
            longest = (size_t)len;
    }
    *list = pl;
    *n = (uint16_t)(k < UDP_PAYLOADS_MAX_PER_PORT ? k : UDP_PAYLOADS_MAX_PER_PORT);
    return longest;
}

static bool udp_validate(const struct cookie_ctx *c, uint8_t tcp_flags, const struct pkt_info *r,
                         struct probe_match *m)
{
    (void)tcp_flags;
    bool direct = r->proto == IPPROTO_UDP && cookie_udp_valid(c, r);
    return probe_match_ported(c, IPPROTO_UDP, direct, r, m);
}

const struct probe_kind probe_udp = {
    .name = "udp",
    .order = 1,
    .ported = true,
    .port_cookie = true,
    .icmp_paced = true,
    .bpf_proto = "udp",
    .prepare = udp_prepare,
    .make = udp_make,
    .payloads = udp_payloads,
    .validate = udp_validate,
};
