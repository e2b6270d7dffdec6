/*
 * fuzz_packet.c — libFuzzer harness for the received-frame parser
 * (net/parse.h) and the reply validation that consumes its output
 * (net/cookie.h). Every input goes through both entry points, Ethernet and
 * IP, whole and as a capture cut short of a longer frame (the _cap entry
 * points); on success the reported offsets must lie inside the input. The same
 * bytes also drive a build -> parse round trip of a TCP probe (net/packet.h)
 * and --packet-trace's line printer (net/trace.h: ARP, ND and per-type ICMP
 * fields read past what the parser checked), both directions and links.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_packet.c \
 *       src/net/{packet,packet_icmp,parse,cookie}.c src/core/addr.c src/core/siphash.c \
 *       -o fuzz_packet
 *   ./fuzz_packet fuzz/corpus/packet -max_total_time=30
 */
#include "net/cookie.h"
#include "net/packet.h"
#include "net/parse.h"
#include "net/trace.h"

#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const uint8_t *data, size_t size, const struct pkt_info *r, int rc)
{
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t probe_flags[] = {0x02, 0x01, 0x00, 0x29, 0x10, 0x11};
    struct cookie_ctx c;

    if (rc != PARSE_OK)
        return;
    if (r->l3_off > size || r->l4_off > size || r->payload_off > size ||
        r->payload_len > size - r->payload_off || r->tcp_opt_off > size ||
        r->tcp_opt_len > size - r->tcp_opt_off)
        abort();
    /* Touch every reported byte so ASan checks the ranges. */
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < r->payload_len; i++)
        sink ^= data[r->payload_off + i];
    for (uint32_t i = 0; i < r->tcp_opt_len; i++)
        sink ^= data[r->tcp_opt_off + i];
    (void)sink;

    if (cookie_init(&c, key, 40000, 1 + (size & 0xff)) != 0)
        abort();
    for (size_t i = 0; i < sizeof(probe_flags); i++)
        (void)cookie_tcp_valid(&c, probe_flags[i], size, r);
    (void)cookie_icmp_valid(&c, r);
    if (r->proto == 6 || r->proto == 17) /* the checksum over the reported segment */
        (void)pkt_l4_checksum(&r->src, &r->dst, r->proto, data + r->l4_off, size - r->l4_off);
}

/* Build a probe from fields taken out of the input, parse it back, and
 * check that every field and both checksums survive the round trip. */
static void roundtrip(const uint8_t *data, size_t size)
{
    static struct pkt_template t;
    struct pkt_tcp_params p = {0};
    struct pkt_tcp_probe pr = {0};
    struct pkt_info r;
    uint8_t frame[PKT_MAX_FRAME];
    int n, rc;

    if (size < 48)
        return;
    p.family = (data[0] & 1) ? AF_INET6 : AF_INET;
    p.eth = (data[0] & 2) != 0;
    p.badsum = (data[0] & 4) != 0;
    p.ip.ttl = data[1];
    p.tcp_flags = data[2];
    p.window = (uint16_t)(data[3] << 8 | data[4]);
    p.tcp_options = data + 48;
    p.tcp_options_len = data[5] % (PKT_TCP_OPT_MAX + 1);
    if (p.tcp_options_len > size - 48)
        p.tcp_options_len = size - 48;
    p.ip.payload = data + 48;
    p.ip.payload_len = size - 48 - p.tcp_options_len;
    pr.src.family = pr.dst.family = p.family;
    memcpy(pr.src.bytes, data + 6, p.family == AF_INET6 ? 16 : 4);
    memcpy(pr.dst.bytes, data + 22, p.family == AF_INET6 ? 16 : 4);
    pr.sport = (uint16_t)(data[38] << 8 | data[39]);
    pr.dport = (uint16_t)(data[40] << 8 | data[41]);
    pr.seq = (uint32_t)data[42] << 24 | (uint32_t)data[43] << 8 | data[44];
    pr.ack = (uint32_t)data[45] << 16 | data[46];
    pr.ip_id = data[47];
    if (pkt_template_init(&t, &p) != 0)
        return; /* too large: fine */
    n = pkt_make(&t, frame, sizeof(frame), &pr);
    if (n != t.len)
        abort();
    rc = p.eth ? pkt_parse_eth(frame, (size_t)n, &r) : pkt_parse_ip(frame, (size_t)n, &r);
    if (rc != PARSE_OK || !ipaddr_equal(&r.src, &pr.src) || !ipaddr_equal(&r.dst, &pr.dst) ||
        r.sport != pr.sport || r.dport != pr.dport || r.seq != pr.seq || r.ack != pr.ack ||
        r.tcp_flags != p.tcp_flags || r.window != p.window || r.ttl != p.ip.ttl ||
        r.payload_len != p.ip.payload_len || r.l4_off != t.l4_off)
        abort();
    if (p.family == AF_INET && pkt_ipv4_checksum(frame + r.l3_off, PKT_IPV4_LEN) != 0)
        abort();
    if ((pkt_l4_checksum(&r.src, &r.dst, 6, frame + r.l4_off, (size_t)n - r.l4_off) == 0) ==
        p.badsum)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pkt_info r;
    /* An exact-size copy, so that any overread is past a heap allocation. */
    uint8_t *buf = malloc(size ? size : 1);

    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    check(buf, size, &r, pkt_parse_eth(buf, size, &r));
    if (r.truncated)
        abort(); /* nothing was cut: a short packet is an error, not a cut one */
    check(buf, size, &r, pkt_parse_ip(buf, size, &r));
    if (r.truncated)
        abort();
    /* The same bytes as the first part of a longer frame (a snaplen cut):
     * the wire length comes from the input so both sides of every
     * declared-length check are reached. */
    size_t wire = size + (size ? (size_t)data[size - 1] * 8 : 0);
    check(buf, size, &r, pkt_parse_eth_cap(buf, size, wire, &r));
    check(buf, size, &r, pkt_parse_ip_cap(buf, size, wire, &r));
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        abort();
    for (int dir = CAPTURE_IN; dir <= CAPTURE_OUT; dir++) {
        trace_frame(null, 0.5, (enum capture_dir)dir, CAPTURE_LINK_ETHERNET, buf, size, wire,
                    false);
        trace_frame(null, 0.5, (enum capture_dir)dir, CAPTURE_LINK_RAW, buf, size, wire, dir == 1);
    }
    free(buf);
    roundtrip(data, size);
    return 0;
}
