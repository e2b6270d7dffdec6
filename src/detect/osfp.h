/*
 * osfp.h — the fingerprint from one try's replies (issue 12 point 3):
 * nmap's tests SEQ (SP, GCD, ISR, TI, CI, II, SS, TS), OPS, WIN, ECN,
 * T1-T7, U1 and IE, computed as nmap's osscan2.cc computes them (nmap book,
 * "TCP/IP Fingerprinting Methods Supported by Nmap"), and the sequence
 * facts nmap prints with -v (TCP sequence prediction, IP ID sequence
 * generation, uptime guess).
 */
#ifndef PRTIP_DETECT_OSFP_H
#define PRTIP_DETECT_OSFP_H

#include "detect/osdb.h"
#include "detect/osprobe.h"

#include <stdint.h>
#include <time.h>

/* nmap's IP ID sequence classes (ipidclass2ascii). */
enum os_ipid_class {
    OS_IPID_UNKNOWN = 0,
    OS_IPID_INCR,
    OS_IPID_BROKEN_INCR,
    OS_IPID_RPI,
    OS_IPID_RD,
    OS_IPID_CONSTANT,
    OS_IPID_ZERO,
};

/* nmap's TCP timestamp classes (tsseqclass2ascii). */
enum os_ts_class {
    OS_TS_UNKNOWN = 0,
    OS_TS_ZERO,
    OS_TS_2HZ,
    OS_TS_100HZ,
    OS_TS_1000HZ,
    OS_TS_OTHER,
    OS_TS_UNSUPPORTED,
};

/* What the SEQ train said, for nmap's -v lines and XML elements. */
struct os_seq_info {
    int responses; /* SEQ probes answered */
    uint32_t seqs[6], ipids[6], timestamps[6];
    int index; /* TCP sequence prediction difficulty (SP), -1 when not computed */
    enum os_ipid_class ipid_class;
    enum os_ts_class ts_class;
    time_t lastboot; /* uptime guess: boot time, 0 when none */
};

/* Network distance in hops as nmap finds it: 1 when the host is on-link
 * (DC=D), else from U1's quoted TTL (DC=I), else -1. *method gets 'D',
 * 'I' or 0. */
int os_distance(const struct os_target *t, char *method);

/* The hop count U1's quoted TTL gives, or -1 without a U1 reply. nmap
 * prints T (the initial TTL) only when it has this count, TG otherwise,
 * even for an on-link host. */
int os_u1_distance(const struct os_target *t);

/* Fill o (cleared first) and si from t's replies. distance: os_u1_distance()
 * (T values need it; -1 gives TG instead, as nmap). */
void os_fp_compute(const struct os_target *t, int distance, struct os_obs *o,
                   struct os_seq_info *si);

/* "All zeros", "Incremental", ...; "Busy server or unknown class". */
const char *os_ipid_class_name(enum os_ipid_class c);
/* "zero timestamp", "2HZ", "100HZ", "1000HZ", "other", "none returned
 * (unsupported)", "unknown class". */
const char *os_ts_class_name(enum os_ts_class c);
/* nmap's seqidx2difficultystr: "Trivial joke", ..., "Good luck!". */
const char *os_seq_difficulty(int index);

#endif
