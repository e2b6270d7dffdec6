/*
 * osdb.h — nmap-os-db, loaded and compiled for scoring (issue 12 point 1),
 * and the observed fingerprint it is scored against.
 *
 * The database nmap's IPv4 OS detection runs on (nmap book, "TCP/IP
 * Fingerprinting Methods Supported by Nmap" and "Understanding an Nmap
 * Fingerprint"), read from the data directory at run time; prtip ships no
 * copy. A reference fingerprint holds expressions ("3B-47", "8|A", ">10",
 * "" ...); an observed one holds plain values. Scoring follows nmap's
 * osscan.cc semantics (compare_fingerprints, expr_match): an attribute
 * counts its MatchPoints only when both prints have it, and the accuracy is
 * the matched points over the counted points.
 *
 * Speed: every distinct (test, attribute, expression) of the file is kept
 * once; scoring first evaluates each distinct expression against the
 * observed value (about 20,000 of them), then sums points per print from
 * those results, so one observation against all ~5,700 prints costs about
 * a millisecond.
 *
 * Threads: a loaded database is immutable and may be shared by any number
 * of threads; os_db_match allocates its own scratch.
 */
#ifndef PRTIP_DETECT_OSDB_H
#define PRTIP_DETECT_OSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* nmap's thirteen test lines, in the order nmap prints them. */
enum os_test {
    OS_SEQ = 0,
    OS_OPS,
    OS_WIN,
    OS_ECN,
    OS_T1,
    OS_T2,
    OS_T3,
    OS_T4,
    OS_T5,
    OS_T6,
    OS_T7,
    OS_U1,
    OS_IE,
    OS_NTESTS
};

#define OS_MAX_ATTRS   11   /* T2-T7 and U1 have eleven */
#define OS_VAL_MAX     48   /* longest observed value + NUL ("M5B4NW7SLL..." is ~20) */
#define OS_MAX_MATCHES 36   /* nmap's MAX_FP_RESULTS */
#define OS_GUESS_FLOOR 0.85 /* nmap's OSSCAN_GUESS_THRESHOLD */

/* "SEQ", "OPS", ...; NULL out of range. */
const char *os_test_name(int test);
/* Attribute a of test ("SP", "R", ...); NULL out of range. */
const char *os_attr_name(int test, int attr);
int os_test_nattrs(int test);
/* Index of a test / attribute by name (len bytes), or -1. */
int os_test_find(const char *name, size_t len);
int os_attr_find(int test, const char *name, size_t len);

/*
 * An observed fingerprint: plain values, no expressions. present has bit t
 * when test t has a line at all; has[t] has bit a when attribute a has a
 * value (the empty string is a value: nmap's "Q=", "O="). Zero-initialise
 * (os_obs_clear) before filling.
 */
struct os_obs {
    uint16_t present;
    uint16_t has[OS_NTESTS];
    char val[OS_NTESTS][OS_MAX_ATTRS][OS_VAL_MAX];
};

void os_obs_clear(struct os_obs *o);
/* Set test/attr to val (NUL-terminated; cut at OS_VAL_MAX - 1 bytes) and
 * mark the test present. Out-of-range indices are ignored. */
void os_obs_set(struct os_obs *o, int test, int attr, const char *val);
/* Mark test present with no values yet (a test line "T2(R=N)" sets R). */
void os_obs_mark(struct os_obs *o, int test);
/* The value of test/attr, or NULL when it has none. */
const char *os_obs_get(const struct os_obs *o, int test, int attr);

/*
 * Parse a fingerprint as nmap prints it: the wrapped submission form
 * ("OS:SCAN(V=7.93%E=4...)OS:SEQ(SP=...)..." over lines starting "OS:") or
 * the plain one ("SEQ(SP=...)" one test per line), with or without the
 * SCAN line (ignored). For tests that have R and do not write it, R is Y
 * when any other attribute is given and N otherwise (nmap-os-db's lines,
 * unlike these, are read without implying R; docs/OS.md "Scoring"). A test given twice (nmap merges
 * several tries) keeps its first line. Returns 0, or -1 with err naming what is wrong.
 */
int os_obs_parse(const char *text, size_t len, struct os_obs *o, char *err, size_t errlen);

/*
 * Write o's test lines as nmap prints them ("SEQ(SP=101%GCD=1%...)\n" per
 * present test, attributes in nmap's order, a test with no values as
 * "NAME()"... never produced by prtip since R is always set). Returns the
 * length written (truncated to len - 1, NUL-terminated), as snprintf.
 */
size_t os_obs_format(const struct os_obs *o, char *buf, size_t len);

/*
 * nmap's comparison of one observed value against one reference expression
 * (osscan.cc expr_match), for the unit tests and for callers that hold a
 * single expression. expr is NUL-terminated. Semantics, alternative by
 * alternative (split on '|'): when val is entirely hex (the empty string
 * counts, as 0), "<N"/">N" compare numerically and an alternative while a
 * '-' is still ahead in the expression is read as a range "A-B" (inclusive;
 * an alternative that is not one then fails); otherwise an alternative
 * followed by '|' matches when it is a prefix of val (so an empty one
 * matches anything) and the last matches when equal to val.
 */
bool os_expr_match(const char *val, const char *expr);

struct os_db;

/* One Class line of a print and its CPE lines. gen is NULL when empty. */
struct os_db_class {
    const char *vendor, *family, *gen, *type;
    const char *const *cpe;
    size_t ncpe;
};

/*
 * Load path (nmap-os-db). Every line is checked: a malformed line (unknown
 * test or attribute, missing '(' or ')', bad MatchPoints, a Class without
 * its four fields, a CPE before any Class, a Fingerprint before
 * MatchPoints) fails the load with err = "FILE:LINE: what is wrong". The
 * open error names the file and the Debian package nmap-common. Returns 0
 * with *out set (free with os_db_free), or -1.
 */
int os_db_load(const char *path, struct os_db **out, char *err, size_t errlen);
/* Same on an in-memory file; name is used in messages. buf need not be
 * NUL-terminated. For tests and the fuzz harness. */
int os_db_load_buf(const char *name, const char *buf, size_t len, struct os_db **out, char *err,
                   size_t errlen);
void os_db_free(struct os_db *db);

/* Number of Fingerprint entries. */
size_t os_db_count(const struct os_db *db);
/* Entry i's name (the Fingerprint line's text), its line in the file, its
 * classes. i < os_db_count(); results borrowed from db. */
const char *os_db_name(const struct os_db *db, size_t i);
uint32_t os_db_line(const struct os_db *db, size_t i);
size_t os_db_nclasses(const struct os_db *db, size_t i);
struct os_db_class os_db_class(const struct os_db *db, size_t i, size_t k);
/* MatchPoints of test/attr (0 when the file gives none). */
int os_db_points(const struct os_db *db, int test, int attr);
/* Distinct (test, attribute, expression) triples the file holds. */
size_t os_db_distinct_exprs(const struct os_db *db);

/* nmap's overall result of matching (FingerPrintResults::overall_results). */
enum os_outcome { OS_SUCCESS = 0, OS_NOMATCHES, OS_TOOMANYMATCHES };

/*
 * The best prints for one observation, as nmap's match_fingerprint keeps
 * them: accuracy >= threshold (or 1.0) to enter, best first (equal
 * accuracies keep file order), one entry per OS name (the best of that
 * name), at most OS_MAX_MATCHES; once the list is full a newcomer must beat
 * the last by 0.00001. A 37th perfect match gives OS_TOOMANYMATCHES.
 */
struct os_matches {
    enum os_outcome outcome;
    size_t n, nperfect;
    uint32_t print[OS_MAX_MATCHES]; /* entry index in the database */
    double acc[OS_MAX_MATCHES];     /* 0..1 */
};

/* Score o against every print (threshold: OS_GUESS_FLOOR as nmap). Returns
 * 0, or -1 on allocation failure. */
int os_db_match(const struct os_db *db, const struct os_obs *o, double threshold,
                struct os_matches *out);

/* As os_db_match, but a print is a candidate only when it has a value for
 * every attribute o has (MatchPoints > 0): for a partial observation
 * (--os-passive's O1/W1/T1), a print that says nothing about a line, or
 * says it got no reply (OPS(R=N)), is not scored on the rest alone. */
int os_db_match_whole(const struct os_db *db, const struct os_obs *o, double threshold,
                      struct os_matches *out);

/* Accuracy of o against entry i alone (0..1; 0 when nothing is comparable). */
double os_db_compare(const struct os_db *db, size_t i, const struct os_obs *o);

#endif
