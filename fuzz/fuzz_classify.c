/*
 * fuzz_classify.c — libFuzzer harness for reply validation and
 * classification: every probe kind's validate (scan/probe_kind.h: the
 * cookie checks and the mapping back to the probed target and port) and
 * every scan and discovery module's classify_reply (tcp_classify.c and the
 * UDP/ICMP modules), on received frames.
 *
 * Input: byte 0 = flags; the rest is a frame (bit 0: from the Ethernet
 * header, else from the IP header). Bit 1 "answers": before validation the
 * parsed reply's cookie fields are set to what our probe to it would have
 * carried (cookie_probe, cookie_icmp_probe), plus a small offset from byte
 * 0's high bits, so that the accepting paths are reached as often as the
 * refusing ones. Invariants: an accepted reply maps to an address inside
 * the reply record of its family, and a port for ported kinds only; a
 * classification is FINAL with a real state and reason, or IGNORE with
 * PORT_UNKNOWN/REASON_UNKNOWN, never RETRY (that is connect's).
 *
 *   fuzz_classify -max_total_time=60 fuzz/corpus/classify
 */
#include "net/cookie.h"
#include "net/parse.h"
#include "scan/disc_modules.h"
#include "scan/probe_kind.h"
#include "scan/scan_module.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const struct scan_module *const disc[] = {&disc_icmp_echo,    &disc_icmp_timestamp,
                                                 &disc_icmp_netmask, &disc_syn_ping,
                                                 &disc_ack_ping,     &disc_udp_ping};

/* Make r answer our probe (see the header comment); delta skews it. */
static void answer(const struct cookie_ctx *c, struct pkt_info *r, uint8_t delta, uint8_t type)
{
    if (r->has_quote) {
        struct pkt_quote *q = &r->quote;
        struct cookie_probe p = cookie_probe(c, &q->src, &q->dst, q->dport);
        q->sport = p.sport;
        q->seq = p.seq + (delta & 1);
        if (q->proto == IPPROTO_UDP && q->family == AF_INET)
            q->ip_id = cookie_udp_ip_id(&p);
        struct cookie_icmp ic = cookie_icmp_probe(c, &q->src, &q->dst, q->icmp_type);
        q->icmp_id = ic.id;
        q->icmp_seq = ic.seq;
        return;
    }
    struct cookie_probe p = cookie_probe(c, &r->dst, &r->src, r->sport);
    r->dport = p.sport;
    if (delta & 2)
        r->seq = p.ack; /* an RST to a probe with ACK */
    else
        r->ack = p.seq + (delta >> 2);
    struct cookie_icmp ic = cookie_icmp_probe(c, &r->dst, &r->src, type);
    r->icmp_id = ic.id;
    r->icmp_seq = ic.seq;
}

static void classify(const struct scan_module *m, const struct pkt_info *r)
{
    if (!m->classify_reply)
        return;
    enum port_state state;
    enum reason reason;
    enum scan_verdict v = m->classify_reply(r, &state, &reason);
    if (v == VERDICT_FINAL) {
        if (state == PORT_UNKNOWN || state >= PORT_STATE_COUNT || reason >= REASON_COUNT)
            __builtin_trap();
    } else if (v != VERDICT_IGNORE) {
        __builtin_trap();
    }
}

static void check_module(const struct cookie_ctx *c, const struct scan_module *m,
                         const struct pkt_info *parsed, uint8_t flags)
{
    const struct probe_kind *k = probe_kind_or_tcp(m->probe);
    struct pkt_info r = *parsed;
    if (flags & 2) {
        static const uint8_t icmp_types[] = {8, 13, 17, 128};
        uint8_t type = r.family == AF_INET6 ? 128 : icmp_types[(flags >> 2) % 3];
        answer(c, &r, (uint8_t)(flags >> 4), type);
    }
    struct probe_match match;
    if (!k->validate(c, m->tcp_flags, &r, &match))
        return;
    if (!match.target || match.target->family != r.family ||
        (const char *)match.target < (const char *)&r ||
        (const char *)match.target >= (const char *)(&r + 1) || (!k->ported && match.port))
        __builtin_trap();
    classify(m, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[16] = {0x70, 0x72, 0x74, 0x69, 0x70, 1, 2,  3,
                                    4,    5,    6,    7,    8,    9, 10, 11};
    static struct cookie_ctx c;
    static bool ready;
    if (!ready) {
        if (cookie_init(&c, key, 40000, 256) != 0)
            abort();
        ready = true;
    }
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    size_t len = size - 1;
    uint8_t *buf = malloc(len ? len : 1); /* exact size: ASan sees overreads */
    if (!buf)
        return 0;
    memcpy(buf, data + 1, len);
    struct pkt_info r;
    int rc = (flags & 1) ? pkt_parse_eth(buf, len, &r) : pkt_parse_ip(buf, len, &r);
    free(buf);
    if (rc != PARSE_OK)
        return 0;
    for (size_t i = 0; scan_modules[i]; i++)
        if (scan_modules[i]->engine == SCAN_ENGINE_RAW)
            check_module(&c, scan_modules[i], &r, flags);
    for (size_t i = 0; i < sizeof disc / sizeof disc[0]; i++)
        check_module(&c, disc[i], &r, flags);
    /* Classification alone, as if validation had passed: the modules must
     * cope with any parsed reply, not only the ones validate lets through. */
    for (size_t i = 0; scan_modules[i]; i++)
        classify(scan_modules[i], &r);
    for (size_t i = 0; i < sizeof disc / sizeof disc[0]; i++)
        classify(disc[i], &r);
    return 0;
}
