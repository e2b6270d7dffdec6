/*
 * osdb_internal.h — the compiled form of nmap-os-db shared by the reader
 * (osdb.c) and the scorer (osmatch.c). Not for other modules: they use
 * osdb.h.
 *
 * Strings live in one pool (offsets, so the pool may grow while loading).
 * A "slot" is test * OS_MAX_ATTRS + attribute (< 143, one byte).
 */
#ifndef PRTIP_DETECT_OSDB_INTERNAL_H
#define PRTIP_DETECT_OSDB_INTERNAL_H

#include "detect/osdb.h"

#define OS_NONE UINT32_MAX

/* A distinct (slot, expression) of the file. */
struct os_uexpr {
    uint32_t str; /* pool offset of the NUL-terminated expression */
    uint8_t slot;
};

/* One attribute of one print: which distinct expression, in which slot. */
struct os_ref {
    uint32_t expr;
    uint8_t slot;
};

struct os_cls {
    uint32_t vendor, family, gen, type; /* pool offsets; gen may be OS_NONE */
    uint32_t cpe_first, ncpe;
};

struct os_print {
    uint32_t name, line;
    uint32_t cls_first, ncls;
    uint32_t ref_first, nref;
};

struct os_db {
    int points[OS_NTESTS][OS_MAX_ATTRS];
    char *pool;
    size_t pool_len, pool_cap;
    struct os_print *prints;
    size_t nprints, prints_cap;
    struct os_cls *cls;
    size_t ncls, cls_cap;
    uint32_t *cpes; /* pool offsets */
    size_t ncpe, cpes_cap;
    const char **cpe_ptrs; /* the same as pointers, once loaded */
    struct os_ref *refs;
    size_t nrefs, refs_cap;
    struct os_uexpr *ux;
    size_t nux, ux_cap;
    uint32_t *ht; /* building only: open addressing over ux, id + 1 */
    size_t ht_cap;
};

/* A value inside a test line, not NUL-terminated. */
struct os_span {
    const char *s;
    size_t len;
    bool set;
};

/* Whether test has the R attribute (ECN, T1-T7, U1, IE). */
bool os_test_has_r(int test);

/*
 * Split one test line s..end ("T1(R=Y%DF=N%...)") as nmap reads it: the
 * test's index in *test and its attributes in vals (by attribute index);
 * "OPS(R=N)" for a test without R gives no values. With imply_r, a test
 * that has R but does not write it gets R=Y when any other attribute is
 * given and N otherwise (an observed line). Reference lines of nmap-os-db
 * are read with imply_r false: nmap 7.93 compares only the attributes a
 * reference line writes, so the many U1(...) and IE(...) lines that leave R
 * out never score R (osscan.cc, compare_fingerprints/AVal_match walk the
 * written attributes of both sides). Returns 0, or -1 with why set.
 */
int os_split_test(const char *s, const char *end, bool imply_r, int *test,
                  struct os_span vals[OS_MAX_ATTRS], char *why, size_t whylen);

#endif
