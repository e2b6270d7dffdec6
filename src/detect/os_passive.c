/*
 * os_passive.c — --os-passive (issue 12 point 6): an OS guess from the
 * SYN-ACK a SYN scan already got. With --os-passive the scan's SYN carries
 * nmap's first SEQ probe's options and window (scan/probe_tcp.c), so its
 * SYN-ACK is what nmap's O1, W1 and T1 lines describe; those three lines
 * are computed by the same code as -O's (osfp.c) and scored against the
 * same database. nmap's scoring (osscan.cc compare_fingerprints) counts
 * only tests and attributes present on both sides, so a print is judged on
 * these lines alone. A print that describes only some of them (OPS(R=N):
 * "no reply to SEQ") would then score 100% on T1 alone, so only prints
 * with all of O1, W1 and T1's attributes are candidates
 * (os_db_match_whole). Many prints still tie, and the guess is labelled
 * passive in every output (docs/OS.md, docs/OUTPUT.md).
 *
 * T1's TTL comes out as TG (the initial TTL guessed from the received
 * one): -O finds T from U1's hop count, which a SYN scan does not have.
 */
#include "detect/osreport.h"

#include "core/bytes.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSIVE_MAX 10 /* guesses kept, as nmap lists at most ten */

/*
 * Scoring one observation against every print costs about 0.7 ms; a range
 * holds few distinct stacks, so the guesses made for the last PASSIVE_CACHE
 * distinct O1/W1/T1 texts are kept (replaced round-robin), each as one
 * os_shared block that every host with those lines borrows: a host whose
 * lines were seen before costs a string compare and a reference, and the
 * copies made downstream (the outputs' order buffer, the store's queue)
 * share the block instead of copying a dozen matches with their classes.
 * Computing the lines costs a few microseconds more (the whole fingerprint
 * code, formatting): the texts of the last PASSIVE_CACHE distinct SYN-ACK
 * keys (synack_key) are kept too, so most hosts of a range cost two table
 * look-ups.
 */
#define PASSIVE_CACHE 64
#define SYNACK_KEY    64 /* bytes: 9 + at most 40 of options */
struct os_passive_cache {
    char key[PASSIVE_CACHE][512];
    struct os_shared *guess[PASSIVE_CACHE]; /* one reference each */
    size_t n, next;
    struct {
        uint8_t k[SYNACK_KEY];
        size_t len;
        char text[512];
    } pk[PASSIVE_CACHE];
    size_t npk, pk_next;
    /* Scratch reused for every host (~24 KB not zeroed per host): the
     * target only ever has SEQ1's fields set, the rest stays zero. */
    struct os_target t;
    struct os_obs o[2];
};

struct os_passive_cache *os_passive_cache_new(void)
{
    return calloc(1, sizeof(struct os_passive_cache));
}

void os_passive_cache_free(struct os_passive_cache *c)
{
    for (size_t i = 0; c && i < c->n; i++)
        os_shared_release(c->guess[i]);
    free(c);
}

/* O1, W1 and T1 of the try t into o (cleared first); all is scratch. */
static void passive_lines(const struct os_target *t, struct os_obs *all, struct os_obs *o)
{
    struct os_seq_info si;
    os_fp_compute(t, -1, all, &si);
    os_obs_clear(o);
    int o1 = os_attr_find(OS_OPS, "O1", 2), w1 = os_attr_find(OS_WIN, "W1", 2);
    const char *v;
    if (o1 >= 0 && (v = os_obs_get(all, OS_OPS, o1)))
        os_obs_set(o, OS_OPS, o1, v);
    if (w1 >= 0 && (v = os_obs_get(all, OS_WIN, w1)))
        os_obs_set(o, OS_WIN, w1, v);
    for (int a = 0; a < os_test_nattrs(OS_T1); a++)
        if ((v = os_obs_get(all, OS_T1, a)))
            os_obs_set(o, OS_T1, a, v);
}

/*
 * The bytes of a SYN-ACK that its O1, W1 and T1 lines depend on, as
 * osfp.c reads them (view_tcp, opt_string, tcp_test with distance -1; keep
 * this in step with them): DF, the initial TTL guessed (TG), data offset
 * with the reserved bits, flags, window, whether the urgent pointer is
 * set, seq and ack in tcp_test's classes, the options with timestamp
 * values cut to zero / non-zero. Addresses, ports, IP ID, checksums,
 * sequence numbers and clocks differ per host and change none of the
 * lines. Writes at most SYNACK_KEY bytes to k; returns the length, or 0
 * for a packet this short cut leaves to the full computation (data after
 * the header, whose CRC is RD; headers view_tcp would read otherwise).
 */
static size_t synack_key(const struct os_synack *sa, uint8_t *k)
{
    const uint8_t *p = sa->pkt;
    if (sa->len < 20)
        return 0;
    size_t hl = (size_t)(p[0] & 15) * 4, tot = (size_t)p[2] << 8 | p[3];
    if (tot > sa->len)
        tot = sa->len;
    if (p[9] != IPPROTO_TCP || hl < 20 || tot < hl + 20)
        return 0;
    const uint8_t *tcp = p + hl;
    size_t tcplen = tot - hl, thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || thl != tcplen || 9 + thl - 20 > SYNACK_KEY)
        return 0;
    uint8_t ttl = p[8];
    uint32_t seq = be32_get(tcp + 4), ack = be32_get(tcp + 8);
    size_t n = 0;
    k[n++] = p[6] & 0x40;
    k[n++] = ttl <= 32 ? 0 : ttl <= 64 ? 1 : ttl <= 128 ? 2 : 3;
    k[n++] = tcp[12];
    k[n++] = tcp[13];
    k[n++] = tcp[14];
    k[n++] = tcp[15];
    k[n++] = (tcp[18] | tcp[19]) != 0;
    k[n++] = seq == 0 ? 0 : seq == sa->probe_ack ? 1 : seq == sa->probe_ack + 1u ? 2 : 3;
    k[n++] = ack == 0 ? 0 : ack == sa->probe_seq ? 1 : ack == sa->probe_seq + 1u ? 2 : 3;
    uint8_t *o = k + n, *end = o + (thl - 20);
    memcpy(o, tcp + 20, thl - 20);
    while (o < end) { /* opt_string's walk */
        if (o[0] == 0)
            break;
        if (o[0] == 1) {
            o++;
            continue;
        }
        if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
            break;
        if (o[0] == 8 && o[1] == 10) {
            uint8_t tv = be32_get(o + 2) != 0, te = be32_get(o + 6) != 0;
            memset(o + 2, 0, 8);
            o[5] = tv;
            o[9] = te;
        }
        o += o[1];
    }
    return n + (thl - 20);
}

/* The O1/W1/T1 lines of h's SYN-ACK into c->o, and as text (len bytes). */
static void passive_compute(struct os_passive_cache *c, const struct host_result *h, char *text,
                            size_t len)
{
    const struct os_synack *sa = h->os_synack;
    struct os_target *t = &c->t;
    struct os_obs *o = c->o;
    t->addr = h->addr;
    t->seq_base = sa->probe_seq;
    t->ack = sa->probe_ack;
    t->sent[OSP_SEQ1] = true;
    t->sends[OSP_SEQ1] = 1;
    t->reply[OSP_SEQ1].got = true;
    t->reply[OSP_SEQ1].len = sa->len;
    memcpy(t->reply[OSP_SEQ1].pkt, sa->pkt, sa->len);
    passive_lines(t, o + 1, o);
    os_obs_format(o, text, len);
}

/* The O1/W1/T1 text of h's SYN-ACK into text (len bytes): known from its
 * key, or computed (true: c->o holds the lines). */
static bool passive_text(struct os_passive_cache *c, const struct host_result *h, char *text,
                         size_t len)
{
    uint8_t k[SYNACK_KEY];
    size_t kn = synack_key(h->os_synack, k);
    for (size_t i = 0; kn && i < c->npk; i++)
        if (c->pk[i].len == kn && memcmp(c->pk[i].k, k, kn) == 0) {
            snprintf(text, len, "%s", c->pk[i].text);
            return false;
        }
    passive_compute(c, h, text, len);
    if (kn && strlen(text) < sizeof c->pk[0].text) {
        size_t at = c->npk < PASSIVE_CACHE ? c->npk++ : c->pk_next++ % PASSIVE_CACHE;
        memcpy(c->pk[at].k, k, kn);
        c->pk[at].len = kn;
        strcpy(c->pk[at].text, text);
    }
    return true;
}

/* The guess for h's lines (whose text is key; in c->o when computed) into
 * h's OS fields: 0 or -1 (h unchanged). */
static int guess(struct host_result *h, const struct os_db *db, struct os_passive_cache *c,
                 const char *key, bool computed)
{
    struct os_matches m;
    if (!computed) {
        char again[1024];
        passive_compute(c, h, again, sizeof again);
    }
    if (os_db_match_whole(db, c->o, OS_GUESS_FLOOR, &m) < 0)
        return -1;
    struct os_report *r = calloc(1, sizeof *r);
    struct os_match *ms = NULL;
    char *fp = strdup(key);
    size_t count = 0;
    int rc = r && fp ? 0 : -1;
    if (rc == 0) {
        r->passive = true;
        r->open_tcp = r->closed_tcp = r->closed_udp = r->distance = r->seq_index = -1;
        r->verdict = m.outcome == OS_TOOMANYMATCHES ? OS_VERDICT_TOOMANY
                     : m.n == 0                     ? OS_VERDICT_NONE
                                                    : OS_VERDICT_GUESSES;
        /* nmap's -O rule: the perfect matches when there are any ("OS
         * details"), else the guesses within 10 points of the best. */
        while (count < PASSIVE_MAX && count < m.n &&
               (m.nperfect ? m.acc[count] == 1.0 : m.acc[count] > m.acc[0] - 0.10))
            count++;
        ms = count ? calloc(count, sizeof *ms) : NULL;
        rc = count && !ms ? -1 : 0;
        if (rc == 0 && m.n > 0)
            rc = os_report_classes(db, &m, true, r);
        for (size_t i = 0; rc == 0 && i < count; i++)
            rc = os_match_fill(&ms[i], db, m.print[i], m.acc[i]);
    }
    return os_report_give(h, ms, count, fp, r, rc);
}

int os_passive_fill(struct host_result *h, const struct os_db *db, struct os_passive_cache *cache)
{
    if (!h->os_synack)
        return 0;
    /* Without a cache (no memory for one): scratch for this host only. */
    struct os_passive_cache *own = cache ? NULL : calloc(1, sizeof *own);
    struct os_passive_cache *c = cache ? cache : own;
    if (!c)
        return -1;
    char text[1024];
    bool computed = passive_text(c, h, text, sizeof text);
    bool fits = cache && strlen(text) < sizeof c->key[0];
    for (size_t i = 0; fits && i < c->n; i++)
        if (strcmp(c->key[i], text) == 0) {
            os_shared_attach(h, c->guess[i]);
            return 0;
        }
    int rc = guess(h, db, c, text, computed);
    struct os_shared *sh = rc == 0 && fits ? os_shared_new(h) : NULL;
    if (sh) { /* else h keeps its own copy */
        size_t at = c->n < PASSIVE_CACHE ? c->n++ : c->next++ % PASSIVE_CACHE;
        os_shared_release(c->guess[at]); /* NULL until the slot is reused */
        strcpy(c->key[at], text);
        c->guess[at] = sh;
    }
    free(own);
    return rc;
}
