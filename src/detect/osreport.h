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

#endif
