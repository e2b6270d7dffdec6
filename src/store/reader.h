/*
 * reader.h — private to src/store: a stored scan read back into the
 * stream's records, to feed the output modules (export, show, query) or
 * to compare. A "scan" here may be several rows of scans: the shards of
 * one job read as one scan.
 */
#ifndef PRTIP_STORE_READER_H
#define PRTIP_STORE_READER_H

#include "core/stream.h"
#include "store/codec.h"
#include "store/store.h"

/* One logical scan: the begin record, its hosts, the end record. */
struct stored_scan {
    int64_t ids[64]; /* the scans rows (shards) read, nids of them */
    size_t nids;
    char *job;   /* job name or NULL (owned) */
    char *state; /* "complete", "interrupted", "failed", "running" (owned; of the first row) */
    struct scan_info info;
    struct scan_summary sum;
    char *error; /* sum.error's storage (owned) */
    struct host_result *hosts;
    size_t nhosts, cap;
    struct codec_pool *pool; /* port service names the hosts borrow */
};

/*
 * Keep only ports for which keep(ctx, scan_id, host_seq, idx) is true, and
 * only hosts with at least one such port; NULL keeps all.
 */
typedef bool (*stored_keep_fn)(void *ctx, int64_t scan_id, int64_t host_seq, int64_t idx);

/*
 * Read the scan(s) ids[0..nids) (shards of one job, or one scan) into out.
 * Hosts come in the stored order; the shards of a job (nids > 1) are
 * merged per address, in address order. Returns 0, or
 * -1 with err set and out empty.
 */
int stored_scan_load(struct store *st, const int64_t *ids, size_t nids, stored_keep_fn keep,
                     void *ctx, struct stored_scan *out, char *err, size_t errlen);

/* Feed out's records to sink: begin, every host, end. Returns -1 if begin
 * or end did. */
int stored_scan_feed(const struct stored_scan *s, const struct result_sink *sink);

void stored_scan_free(struct stored_scan *s);

/*
 * Resolve a scan reference of the db commands: a number (a scan id; its
 * job's other shards join it), "job:NAME" or a job name, "latest",
 * "previous" (the one before latest with the same arguments, apart from
 * the output options), into the ids of the scans rows. Returns 0, or -1
 * with err ("no scan 42 in scans.db").
 */
int stored_scan_resolve(struct store *st, const char *ref, int64_t *ids, size_t *nids,
                        size_t maxids, char *err, size_t errlen);

#endif
