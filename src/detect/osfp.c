/*
 * osfp.c — nmap's fingerprint tests computed from the replies of one try
 * (osfp.h). Every reply was checked by osprobe.c to be an IPv4 packet from
 * the target answering that probe; lengths are checked again here before
 * any field is read.
 */
#include "detect/osfp.h"

#include "core/bytes.h"
#include "core/clock.h"
#include "net/packet.h"

#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* A reply's IPv4 and TCP headers, or NULL/0 when it has none. */
struct tcp_view {
    const uint8_t *ip, *tcp;
    size_t tcplen; /* header + data */
    size_t thl;    /* TCP header length */
};

static bool view_tcp(const struct os_reply *r, struct tcp_view *v)
{
    if (!r->got || r->len < 20)
        return false;
    size_t hl = (size_t)(r->pkt[0] & 15) * 4;
    size_t tot = be16_get(r->pkt + 2);
    if (tot > r->len)
        tot = r->len;
    if (r->pkt[9] != IPPROTO_TCP || hl < 20 || tot < hl + 20)
        return false;
    v->ip = r->pkt;
    v->tcp = r->pkt + hl;
    v->tcplen = tot - hl;
    v->thl = (size_t)(v->tcp[12] >> 4) * 4;
    if (v->thl < 20 || v->thl > v->tcplen)
        v->thl = 20;
    return true;
}

/* nmap's option string: L (EOL, stops), N, M<mss>, W<wscale>, S (SACK
 * permitted), T<tsval!=0><tsecr!=0>; unknown options are skipped. */
static void opt_string(const struct tcp_view *v, char *out, size_t len, uint32_t *tsval,
                       bool *has_ts)
{
    size_t w = 0;
    out[0] = '\0';
    if (has_ts)
        *has_ts = false;
    const uint8_t *o = v->tcp + 20, *end = v->tcp + v->thl;
    while (o < end && w + 12 < len) {
        uint8_t kind = o[0];
        if (kind == 0) {
            w += (size_t)snprintf(out + w, len - w, "L");
            break;
        }
        if (kind == 1) {
            w += (size_t)snprintf(out + w, len - w, "N");
            o++;
            continue;
        }
        if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
            break;
        if (kind == 2 && o[1] == 4)
            w += (size_t)snprintf(out + w, len - w, "M%X", be16_get(o + 2));
        else if (kind == 3 && o[1] == 3)
            w += (size_t)snprintf(out + w, len - w, "W%X", o[2]);
        else if (kind == 4 && o[1] == 2)
            w += (size_t)snprintf(out + w, len - w, "S");
        else if (kind == 8 && o[1] == 10) {
            uint32_t tv = be32_get(o + 2), te = be32_get(o + 6);
            w += (size_t)snprintf(out + w, len - w, "T%d%d", tv != 0, te != 0);
            if (tsval)
                *tsval = tv;
            if (has_ts)
                *has_ts = true;
        }
        o += o[1];
    }
}

static void set_hex(struct os_obs *o, int t, const char *attr, unsigned long v)
{
    char b[16];
    snprintf(b, sizeof b, "%lX", v);
    os_obs_set(o, t, os_attr_find(t, attr, strlen(attr)), b);
}

static void set_str(struct os_obs *o, int t, const char *attr, const char *v)
{
    os_obs_set(o, t, os_attr_find(t, attr, strlen(attr)), v);
}

/* T (initial TTL from the distance) or TG (the TTL rounded up to 32, 64,
 * 128 or 255) as nmap prints exactly one of them. */
static void set_ttl(struct os_obs *o, int t, uint8_t ttl, int distance)
{
    if (distance >= 0) {
        set_hex(o, t, "T", (unsigned long)ttl + (unsigned long)(distance > 0 ? distance - 1 : 0));
        return;
    }
    unsigned g = ttl <= 32 ? 0x20 : ttl <= 64 ? 0x40 : ttl <= 128 ? 0x80 : 0xFF;
    set_hex(o, t, "TG", g);
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xEDB88320u & -(c & 1));
    }
    return ~c;
}

/* An ICMP reply with its IPv4 header and the ICMP header's 8 bytes. */
static bool icmp_ok(const struct os_reply *r)
{
    if (!r->got || r->len < 20)
        return false;
    size_t hl = (size_t)(r->pkt[0] & 15) * 4;
    return hl >= 20 && r->len >= hl + 8;
}

/* U1's ICMP error with the whole quoted IPv4 header. */
static bool u1_ok(const struct os_reply *r)
{
    if (!icmp_ok(r))
        return false;
    size_t hl = (size_t)(r->pkt[0] & 15) * 4;
    if (r->len < hl + 8 + 20)
        return false;
    size_t qhl = (size_t)(r->pkt[hl + 8] & 15) * 4;
    return qhl >= 20 && r->len >= hl + 8 + qhl;
}

/* ECN and T1-T7 lines from one reply (nmap's makeTestResults for TCP). */
static void tcp_test(struct os_obs *o, int t, const struct os_target *tg, int probe, int distance)
{
    struct tcp_view v;
    if (!view_tcp(&tg->reply[probe], &v)) {
        set_str(o, t, "R", "N");
        return;
    }
    set_str(o, t, "R", "Y");
    set_str(o, t, "DF", be16_get(v.ip + 6) & 0x4000 ? "Y" : "N");
    set_ttl(o, t, v.ip[8], distance);
    uint8_t fl = v.tcp[13];
    char opts[OS_VAL_MAX];
    opt_string(&v, opts, sizeof opts, NULL, NULL);
    if (t != OS_T1) {
        set_hex(o, t, "W", be16_get(v.tcp + 14));
        set_str(o, t, "O", opts);
    }
    if (t == OS_ECN) {
        bool ece = fl & PKT_TCP_ECE, cwr = fl & PKT_TCP_CWR;
        set_str(o, t, "CC", ece && cwr ? "S" : ece ? "Y" : cwr ? "O" : "N");
    } else {
        uint32_t our_seq = probe < OSP_ECN ? tg->seq_base + (uint32_t)probe : tg->seq_base;
        uint32_t seq = be32_get(v.tcp + 4), ack = be32_get(v.tcp + 8);
        set_str(o, t, "S",
                seq == 0              ? "Z"
                : seq == tg->ack      ? "A"
                : seq == tg->ack + 1u ? "A+"
                                      : "O");
        set_str(o, t, "A",
                ack == 0              ? "Z"
                : ack == our_seq      ? "S"
                : ack == our_seq + 1u ? "S+"
                                      : "O");
        char f[8];
        size_t n = 0;
        static const struct {
            uint8_t bit;
            char c;
        } order[] = {{PKT_TCP_ECE, 'E'}, {PKT_TCP_URG, 'U'}, {PKT_TCP_ACK, 'A'}, {PKT_TCP_PSH, 'P'},
                     {PKT_TCP_RST, 'R'}, {PKT_TCP_SYN, 'S'}, {PKT_TCP_FIN, 'F'}};
        for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
            if (fl & order[k].bit)
                f[n++] = order[k].c;
        f[n] = '\0';
        set_str(o, t, "F", f);
        size_t dlen = v.tcplen > v.thl ? v.tcplen - v.thl : 0;
        set_hex(o, t, "RD", (fl & PKT_TCP_RST) && dlen ? crc32(v.tcp + v.thl, dlen) : 0);
    }
    char q[4];
    size_t qn = 0;
    if (v.tcp[12] & 0x0F)
        q[qn++] = 'R';
    if (!(fl & PKT_TCP_URG) && be16_get(v.tcp + 18))
        q[qn++] = 'U';
    q[qn] = '\0';
    set_str(o, t, "Q", q);
}

/* nmap's IP ID classification of n samples (get_ipid_sequence_16). */
static enum os_ipid_class ipid_class(const uint32_t *ids, int n)
{
    if (n < 2)
        return OS_IPID_UNKNOWN;
    uint32_t d[8];
    bool allzero = true;
    for (int i = 1; i < n; i++) {
        if (ids[i - 1] || ids[i])
            allzero = false;
        d[i - 1] = ids[i] - ids[i - 1];
        if (n > 2 && d[i - 1] > 20000)
            return OS_IPID_RD;
    }
    if (allzero)
        return OS_IPID_ZERO;
    bool constant = true, bi = true, incr = true;
    for (int i = 0; i < n - 1; i++) {
        d[i] &= 0xFFFF;
        if (d[i])
            constant = false;
    }
    if (constant)
        return OS_IPID_CONSTANT;
    for (int i = 0; i < n - 1; i++)
        if (d[i] > 1000 && (d[i] % 256 != 0 || d[i] >= 25600))
            return OS_IPID_RPI;
    for (int i = 0; i < n - 1; i++) {
        if (d[i] % 256 != 0 || d[i] > 5120)
            bi = false;
        if (d[i] > 9)
            incr = false;
    }
    if (bi)
        return OS_IPID_BROKEN_INCR;
    if (incr)
        return OS_IPID_INCR;
    return OS_IPID_UNKNOWN;
}

static void set_ipid(struct os_obs *o, const char *attr, enum os_ipid_class c, uint32_t first)
{
    switch (c) {
    case OS_IPID_CONSTANT:
        set_hex(o, OS_SEQ, attr, first);
        break;
    case OS_IPID_ZERO:
        set_str(o, OS_SEQ, attr, "Z");
        break;
    case OS_IPID_INCR:
        set_str(o, OS_SEQ, attr, "I");
        break;
    case OS_IPID_BROKEN_INCR:
        set_str(o, OS_SEQ, attr, "BI");
        break;
    case OS_IPID_RPI:
        set_str(o, OS_SEQ, attr, "RI");
        break;
    case OS_IPID_RD:
        set_str(o, OS_SEQ, attr, "RD");
        break;
    default:
        break; /* unknown class: the attribute is omitted */
    }
}

static uint32_t mod_diff(uint32_t a, uint32_t b)
{
    uint32_t x = a - b, y = b - a;
    return x < y ? x : y;
}

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void seq_test(struct os_obs *o, const struct os_target *t, struct os_seq_info *si)
{
    int64_t sent[6];
    bool ts_ok = true, ts_zero = false;
    int n = 0;
    for (int p = OSP_SEQ1; p < OSP_ECN; p++) {
        struct tcp_view v;
        if (!view_tcp(&t->reply[p], &v) ||
            (v.tcp[13] & (PKT_TCP_SYN | PKT_TCP_ACK)) != (PKT_TCP_SYN | PKT_TCP_ACK))
            continue;
        si->seqs[n] = be32_get(v.tcp + 4);
        si->ipids[n] = be16_get(v.ip + 4);
        uint32_t tsval = 0;
        bool has_ts;
        char opts[OS_VAL_MAX];
        opt_string(&v, opts, sizeof opts, &tsval, &has_ts);
        if (!has_ts)
            ts_ok = false;
        else if (tsval == 0)
            ts_zero = true;
        si->timestamps[n] = tsval;
        sent[n] = t->reply[p].sent_us;
        n++;
    }
    si->responses = n;
    si->index = -1;
    if (n >= 4) {
        uint32_t diffs[5], g = 0;
        double rates[5], avg = 0;
        for (int i = 0; i < n - 1; i++) {
            diffs[i] = mod_diff(si->seqs[i + 1], si->seqs[i]);
            g = gcd(g, diffs[i]);
            double dt = (double)(sent[i + 1] - sent[i]);
            rates[i] = dt > 0 ? diffs[i] * 1000000.0 / dt : 0;
            avg += rates[i];
        }
        avg /= n - 1;
        unsigned isr = 0, sp = 0;
        if (g) {
            double div = g > 9 ? g : 1, sd = 0;
            for (int i = 0; i < n - 1; i++) {
                double r = rates[i] / div - avg / div;
                sd += r * r;
            }
            sd = sqrt(sd / (n - 2));
            sp = sd <= 1 ? 0 : (unsigned)(log(sd) / log(2.0) * 8 + 0.5);
            isr = avg < 1 ? 0 : (unsigned)(log(avg) / log(2.0) * 8 + 0.5);
        }
        si->index = (int)sp;
        set_hex(o, OS_SEQ, "SP", sp);
        set_hex(o, OS_SEQ, "GCD", g);
        set_hex(o, OS_SEQ, "ISR", isr);
    }
    /* TI from the SEQ replies (3 or more), CI from T5-T7 (2 or more), II
     * from both echo replies. */
    si->ipid_class = n >= 3 ? ipid_class(si->ipids, n) : OS_IPID_UNKNOWN;
    if (n >= 3)
        set_ipid(o, "TI", si->ipid_class, si->ipids[0]);
    uint32_t ci[3];
    int nc = 0;
    for (int p = OSP_T2 + 3; p <= OSP_T2 + 5; p++) {
        struct tcp_view v;
        if (view_tcp(&t->reply[p], &v))
            ci[nc++] = be16_get(v.ip + 4);
    }
    if (nc >= 2)
        set_ipid(o, "CI", ipid_class(ci, nc), ci[0]);
    enum os_ipid_class iic = OS_IPID_UNKNOWN;
    uint32_t ii[2];
    if (icmp_ok(&t->reply[OSP_IE1]) && icmp_ok(&t->reply[OSP_IE2])) {
        ii[0] = be16_get(t->reply[OSP_IE1].pkt + 4);
        ii[1] = be16_get(t->reply[OSP_IE2].pkt + 4);
        iic = ipid_class(ii, 2);
        set_ipid(o, "II", iic, ii[0]);
    }
    /* SS: do ICMP and TCP share one incrementing counter? */
    bool tinc = si->ipid_class == OS_IPID_INCR || si->ipid_class == OS_IPID_BROKEN_INCR ||
                si->ipid_class == OS_IPID_RPI;
    bool iinc = iic == OS_IPID_INCR || iic == OS_IPID_BROKEN_INCR || iic == OS_IPID_RPI;
    if (n >= 3 && tinc && iinc) {
        uint32_t avg = (si->ipids[n - 1] - si->ipids[0]) / (uint32_t)(n - 1);
        set_str(o, OS_SEQ, "SS", ii[0] < si->ipids[n - 1] + 3 * avg ? "S" : "O");
    }
    /* TS: the timestamp clock's rate. */
    si->ts_class = OS_TS_UNKNOWN;
    si->lastboot = 0;
    if (n >= 1 && !ts_ok) {
        si->ts_class = OS_TS_UNSUPPORTED;
        set_str(o, OS_SEQ, "TS", "U");
    } else if (n >= 1 && ts_zero) {
        si->ts_class = OS_TS_ZERO;
        set_str(o, OS_SEQ, "TS", "0");
    } else if (n >= 2) {
        double hz = 0;
        for (int i = 0; i < n - 1; i++) {
            double dt = (double)(sent[i + 1] - sent[i]) / 1e6;
            if (dt > 0)
                hz += mod_diff(si->timestamps[i + 1], si->timestamps[i]) / dt / (n - 1);
        }
        time_t now = time(NULL);
        time_t sent0 = now - (time_t)((clock_mono_us() - sent[0]) / 1000000);
        unsigned div = 0;
        if (hz > 0 && hz < 5.66) {
            si->ts_class = OS_TS_2HZ;
            div = 2;
        } else if (hz > 70 && hz < 150) {
            si->ts_class = OS_TS_100HZ;
            div = 100;
        } else if (hz > 724 && hz < 1448) {
            si->ts_class = OS_TS_1000HZ;
            div = 1000;
        } else if (hz > 0) {
            si->ts_class = OS_TS_OTHER;
            /* A rate past UINT_MAX Hz is no clock (replies forged or
             * mangled): no boot time from it, and no out-of-range cast. */
            div = hz < (double)UINT_MAX ? (unsigned)(0.5 + hz) : 0;
        }
        if (div)
            si->lastboot = sent0 - (time_t)(si->timestamps[0] / div);
        if (si->lastboot && sent0 - si->lastboot > 63072000)
            si->lastboot = 0; /* up two years? probably lying (nmap) */
        unsigned tsv = hz <= 5.66              ? 1
                       : hz > 70 && hz <= 150  ? 7
                       : hz > 150 && hz <= 350 ? 8
                                               : (unsigned)(0.5 + log(hz) / log(2.0));
        set_hex(o, OS_SEQ, "TS", tsv);
    }
}

static void u1_test(struct os_obs *o, const struct os_target *t, int distance)
{
    const struct os_reply *r = &t->reply[OSP_U1];
    if (!u1_ok(r)) {
        set_str(o, OS_U1, "R", "N");
        return;
    }
    const uint8_t *ip = r->pkt;
    size_t hl = (size_t)(ip[0] & 15) * 4;
    const uint8_t *ic = ip + hl, *q = ic + 8;
    size_t qhl = (size_t)(q[0] & 15) * 4; /* u1_ok checked it */
    set_str(o, OS_U1, "R", "Y");
    set_str(o, OS_U1, "DF", be16_get(ip + 6) & 0x4000 ? "Y" : "N");
    set_ttl(o, OS_U1, ip[8], distance);
    set_hex(o, OS_U1, "IPL", be16_get(ip + 2));
    set_hex(o, OS_U1, "UN", be32_get(ic + 4));
    uint16_t ripl = be16_get(q + 2);
    if (ripl == 328)
        set_str(o, OS_U1, "RIPL", "G");
    else
        set_hex(o, OS_U1, "RIPL", ripl);
    uint16_t rid = be16_get(q + 4);
    if (rid == 0x1042)
        set_str(o, OS_U1, "RID", "G");
    else
        set_hex(o, OS_U1, "RID", rid);
    /* The quoted header's checksum: zero, intact (as we sent it, with the
     * TTL the target saw) or changed. */
    uint8_t hdr[60];
    size_t avail = r->len - hl - 8;
    if (be16_get(q + 10) == 0) {
        set_str(o, OS_U1, "RIPCK", "Z");
    } else if (qhl <= sizeof hdr && avail >= qhl) {
        memcpy(hdr, q, qhl);
        set_str(o, OS_U1, "RIPCK", pkt_ipv4_checksum(hdr, qhl) == 0 ? "G" : "I");
    } else {
        set_str(o, OS_U1, "RIPCK", "I");
    }
    const uint8_t *qu = q + qhl;
    size_t qulen = avail - qhl;
    if (qulen >= 8) {
        uint16_t ruck = be16_get(qu + 6);
        if (ruck == t->u1_sum)
            set_str(o, OS_U1, "RUCK", "G");
        else
            set_hex(o, OS_U1, "RUCK", ruck);
        bool intact = true;
        for (size_t i = 8; i < qulen && i < 308; i++)
            if (qu[i] != 'C')
                intact = false;
        set_str(o, OS_U1, "RUD", intact ? "G" : "I");
    }
}

static void ie_test(struct os_obs *o, const struct os_target *t, int distance)
{
    const struct os_reply *a = &t->reply[OSP_IE1], *b = &t->reply[OSP_IE2];
    if (!icmp_ok(a) || !icmp_ok(b)) {
        set_str(o, OS_IE, "R", "N");
        return;
    }
    size_t ha = (size_t)(a->pkt[0] & 15) * 4, hb = (size_t)(b->pkt[0] & 15) * 4;
    bool dfa = be16_get(a->pkt + 6) & 0x4000, dfb = be16_get(b->pkt + 6) & 0x4000;
    set_str(o, OS_IE, "R", "Y");
    set_str(o, OS_IE, "DFI", !dfa && !dfb ? "N" : dfa && !dfb ? "S" : dfa && dfb ? "Y" : "O");
    set_ttl(o, OS_IE, a->pkt[8], distance);
    uint8_t ca = a->pkt[ha + 1], cb = b->pkt[hb + 1];
    if (ca == 0 && cb == 0)
        set_str(o, OS_IE, "CD", "Z");
    else if (ca == 9 && cb == 0)
        set_str(o, OS_IE, "CD", "S");
    else if (ca == cb)
        set_hex(o, OS_IE, "CD", ca);
    else
        set_str(o, OS_IE, "CD", "O");
}

int os_u1_distance(const struct os_target *t)
{
    const struct os_reply *r = &t->reply[OSP_U1];
    if (!u1_ok(r))
        return -1;
    size_t hl = (size_t)(r->pkt[0] & 15) * 4;
    return t->ttl - r->pkt[hl + 8 + 8] + 1;
}

int os_distance(const struct os_target *t, char *method)
{
    if (t->direct) {
        *method = 'D';
        return 1;
    }
    const struct os_reply *r = &t->reply[OSP_U1];
    if (u1_ok(r)) {
        size_t hl = (size_t)(r->pkt[0] & 15) * 4;
        uint8_t qttl = r->pkt[hl + 8 + 8];
        *method = 'I';
        return t->ttl - qttl + 1;
    }
    *method = 0;
    return -1;
}

void os_fp_compute(const struct os_target *t, int distance, struct os_obs *o,
                   struct os_seq_info *si)
{
    os_obs_clear(o);
    memset(si, 0, sizeof *si);
    si->index = -1;
    seq_test(o, t, si);
    bool any_seq = false;
    for (int p = OSP_SEQ1; p < OSP_ECN; p++)
        any_seq |= t->sent[p];
    if (any_seq) {
        os_obs_mark(o, OS_OPS);
        os_obs_mark(o, OS_WIN);
        for (int p = OSP_SEQ1; p < OSP_ECN; p++) {
            struct tcp_view v;
            if (!view_tcp(&t->reply[p], &v))
                continue;
            char opts[OS_VAL_MAX], name[4];
            opt_string(&v, opts, sizeof opts, NULL, NULL);
            snprintf(name, sizeof name, "O%d", p + 1);
            set_str(o, OS_OPS, name, opts);
            snprintf(name, sizeof name, "W%d", p + 1);
            set_hex(o, OS_WIN, name, be16_get(v.tcp + 14));
        }
        tcp_test(o, OS_T1, t, OSP_SEQ1, distance);
    }
    if (t->sent[OSP_ECN])
        tcp_test(o, OS_ECN, t, OSP_ECN, distance);
    for (int k = 0; k < 6; k++)
        if (t->sent[OSP_T2 + k])
            tcp_test(o, OS_T2 + k, t, OSP_T2 + k, distance);
    if (t->sent[OSP_U1])
        u1_test(o, t, distance);
    if (t->sent[OSP_IE1])
        ie_test(o, t, distance);
}

const char *os_ipid_class_name(enum os_ipid_class c)
{
    switch (c) {
    case OS_IPID_CONSTANT:
        return "Duplicated ipid (!)";
    case OS_IPID_INCR:
        return "Incremental";
    case OS_IPID_BROKEN_INCR:
        return "Broken little-endian incremental";
    case OS_IPID_RD:
        return "Randomized";
    case OS_IPID_RPI:
        return "Random positive increments";
    case OS_IPID_ZERO:
        return "All zeros";
    default:
        return "Busy server or unknown class";
    }
}

const char *os_ts_class_name(enum os_ts_class c)
{
    switch (c) {
    case OS_TS_ZERO:
        return "zero timestamp";
    case OS_TS_2HZ:
        return "2HZ";
    case OS_TS_100HZ:
        return "100HZ";
    case OS_TS_1000HZ:
        return "1000HZ";
    case OS_TS_OTHER:
        return "other";
    case OS_TS_UNSUPPORTED:
        return "none returned (unsupported)";
    default:
        return "unknown class";
    }
}

const char *os_seq_difficulty(int idx)
{
    return idx < 3    ? "Trivial joke"
           : idx < 6  ? "Easy"
           : idx < 11 ? "Medium"
           : idx < 12 ? "Formidable"
           : idx < 16 ? "Worthy challenge"
                      : "Good luck!";
}
