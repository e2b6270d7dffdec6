/*
 * osreport.h — from scored tries to what nmap prints (issue 12 point 4):
 * the verdict, the matches nmap lists, the classification lines ("Device
 * type", "Running", "OS CPE"), the reason a fingerprint is not ideal, and
 * the merged fingerprint in nmap's OS:SCAN(...) form. Follows nmap's
 * output.cc printosscanoutput/printosclassificationoutput and
 * FingerPrintResults (populateClassification, OmitSubmissionFP).
 */
#ifndef PRTIP_DETECT_OSREPORT_H
#define PRTIP_DETECT_OSREPORT_H

#include "core/result.h"
#include "detect/osdb.h"
#include "detect/osfp.h"

/* One try of one host, scored. */
struct os_try {
    struct os_target tgt;
    struct os_obs obs;
    struct os_seq_info si;
    struct os_matches m;
    int distance;
    char dist_method; /* 'D', 'I' or 0 */
};

/* What the verdict depends on beyond the tries. */
struct os_report_opts {
    bool guess;         /* --osscan-guess */
    int verbose, debug; /* -v / -d levels */
    int timing_level;   /* -T */
    uint64_t scan_delay_ms;
    bool udp_scanned;         /* a UDP scan ran (-sU) */
    int open_tcp, closed_tcp; /* ports the scan found, -1 none */
};

/* nmap's OmitSubmissionFP reason for try t, or NULL (static string). */
const char *os_not_ideal(const struct os_try *t, const struct os_report_opts *o, char *buf,
                         size_t len);

/* The fingerprint of tries[0..n) merged as nmap prints it (distinct test
 * lines, SCAN line first); wrapped in 75-column "OS:" lines when wrap.
 * Returns a malloc'd string ending in "\n", or NULL. */
char *os_fingerprint_text(const struct os_try *tries, size_t n, const struct os_try *best,
                          const struct host_result *h, const struct os_report_opts *o, bool good,
                          bool wrap);

/*
 * Fill h->os, h->os_fingerprint and h->os_report from the tries (best is
 * the one with the highest top accuracy, as nmap keeps). Returns 0, or -1
 * on allocation failure (h keeps what it had).
 */
int os_report_fill(struct host_result *h, const struct os_db *db, const struct os_try *tries,
                   size_t n, size_t best, const struct os_report_opts *o);

/* One <osmatch> from print (index in db) at accuracy acc (0..1): name,
 * accuracy, line, classes (all owned by om; on -1, allocation failure,
 * om holds what was made, for os_match_free). */
int os_match_fill(struct os_match *om, const struct os_db *db, uint32_t print, double acc);

/*
 * The end of making OS findings: when rc is 0, they replace h's (h owns ms,
 * count entries, fp and r from then on) and 0 is returned; else they are
 * freed (any may be NULL, ms entries partly filled) and -1 is returned,
 * h unchanged.
 */
int os_report_give(struct host_result *h, struct os_match *ms, size_t count, char *fp,
                   struct os_report *r, int rc);

/* r's "Device type", "Running" (guess: JUST GUESSING form) and "OS CPE"
 * lines from the matches m, as nmap's printosscanoutput. 0 or -1. */
int os_report_classes(const struct os_db *db, const struct os_matches *m, bool guess,
                      struct os_report *r);

/*
 * --os-passive (issue 12 point 6): nmap's O1, W1 and T1 lines from
 * h->os_synack (the SYN scan's first SYN-ACK, whose SYN carried SEQ1's
 * options and window), scored against db on those lines only, into h->os
 * (the perfect matches, else guesses within 10 points of the best; ten at
 * most), h->os_fingerprint (the three lines) and h->os_report (passive
 * set). No-op without os_synack.
 * cache (os_passive_cache_new; NULL = none) keeps the guesses of recent
 * distinct observations, and h then borrows the cached guess (h->os_shared,
 * see core/result.h) instead of owning a copy; one thread at a time.
 * Returns 0, or -1 on allocation failure (h unchanged).
 */
struct os_passive_cache;
int os_passive_fill(struct host_result *h, const struct os_db *db, struct os_passive_cache *cache);
/* NULL on allocation failure (then pass NULL: no cache). */
struct os_passive_cache *os_passive_cache_new(void);
void os_passive_cache_free(struct os_passive_cache *c);

#endif
