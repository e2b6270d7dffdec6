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

#include <stdlib.h>
#include <string.h>

#define PASSIVE_MAX 10 /* guesses kept, as nmap lists at most ten */

/*
 * Scoring one observation against every print costs about 0.7 ms; a range
 * holds few distinct stacks, so the matches of the last PASSIVE_CACHE
 * distinct O1/W1/T1 texts are kept (replaced round-robin) and a host whose
 * lines were seen before costs a string compare.
 */
#define PASSIVE_CACHE 64
struct os_passive_cache {
    char key[PASSIVE_CACHE][512];
    struct os_matches m[PASSIVE_CACHE];
    size_t n, next;
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
    free(c);
}

/* Matches of o (whose text is key) from c or scored now; 0 or -1. */
static int cached_match(struct os_passive_cache *c, const struct os_db *db, const struct os_obs *o,
                        const char *key, struct os_matches *m)
{
    bool fits = c && strlen(key) < sizeof c->key[0];
    for (size_t i = 0; fits && i < c->n; i++)
        if (strcmp(c->key[i], key) == 0) {
            *m = c->m[i];
            return 0;
        }
    if (os_db_match_whole(db, o, OS_GUESS_FLOOR, m) < 0)
        return -1;
    if (fits) {
        size_t at = c->n < PASSIVE_CACHE ? c->n++ : c->next++ % PASSIVE_CACHE;
        strcpy(c->key[at], key);
        c->m[at] = *m;
    }
    return 0;
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

int os_passive_fill(struct host_result *h, const struct os_db *db, struct os_passive_cache *cache)
{
    const struct os_synack *sa = h->os_synack;
    if (!sa)
        return 0;
    struct os_target *t = cache ? &cache->t : calloc(1, sizeof *t);
    struct os_obs *o = cache ? cache->o : calloc(2, sizeof *o); /* the lines kept, then scratch */
    struct os_report *r = calloc(1, sizeof *r);
    struct os_matches m;
    struct os_match *ms = NULL;
    char *fp = NULL, text[1024];
    size_t count = 0;
    int rc = t && o && r ? 0 : -1;
    if (rc == 0) {
        t->addr = h->addr;
        t->seq_base = sa->probe_seq;
        t->ack = sa->probe_ack;
        t->sent[OSP_SEQ1] = true;
        t->sends[OSP_SEQ1] = 1;
        t->reply[OSP_SEQ1].got = true;
        t->reply[OSP_SEQ1].len = sa->len;
        memcpy(t->reply[OSP_SEQ1].pkt, sa->pkt, sa->len);
        passive_lines(t, o + 1, o);
        os_obs_format(o, text, sizeof text);
        rc = cached_match(cache, db, o, text, &m);
    }
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
        fp = strdup(text);
        ms = count ? calloc(count, sizeof *ms) : NULL;
        rc = !fp || (count && !ms) ? -1 : 0;
        if (rc == 0 && m.n > 0)
            rc = os_report_classes(db, &m, true, r);
        for (size_t i = 0; rc == 0 && i < count; i++)
            rc = os_match_fill(&ms[i], db, m.print[i], m.acc[i]);
    }
    if (rc == 0) {
        for (size_t i = 0; i < h->nos; i++)
            os_match_free(&h->os[i]);
        free(h->os);
        free(h->os_fingerprint);
        if (h->os_report)
            os_report_free(h->os_report);
        free(h->os_report);
        h->os = ms;
        h->nos = count;
        h->os_fingerprint = fp;
        h->os_report = r;
    } else {
        for (size_t i = 0; ms && i < count; i++)
            os_match_free(&ms[i]);
        free(ms);
        free(fp);
        if (r)
            os_report_free(r);
        free(r);
    }
    if (!cache) {
        free(t);
        free(o);
    }
    return rc;
}
