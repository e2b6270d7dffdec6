/*
 * output.h — output formats as modules (after ZMap's output_modules) and the
 * result sink that fans host records out to every requested output.
 *
 * Adding a format is one file in src/output/ exporting a const struct
 * output_module and one line in output_modules.c.
 */
#ifndef PRTIP_OUTPUT_OUTPUT_H
#define PRTIP_OUTPUT_OUTPUT_H

#include "core/result.h"
#include "core/stream.h"

#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>

#define OUTPUT_MAX 8 /* requested outputs per scan */

/* One requested output: module and file path ("-" = stdout). */
struct output_request {
    const struct output_module *module;
    char *path;  /* owned */
    bool append; /* --append-output: add to the file (nmap: a whole new document) */
};

/* One open output: where it writes and the module's private state. */
struct output {
    const struct output_module *module;
    /* The scan-begin record (stream.h), owned by the output set: set before
     * open and valid until close returns. Modules read nothing else about
     * the scan — never the configuration — so a stored scan renders the same. */
    const struct scan_info *info;
    FILE *fp;
    const char *path; /* for messages: the file's path, or "standard output" */
    bool owns_fp;     /* false for stdout */
    void *priv;       /* module state, owned by the module */
    /* Written since the last flush, and the errno of a failed flush by the
     * flusher thread; both read and written under the stream's lock
     * (flockfile). */
    bool dirty;
    int flush_err;
};

/*
 * Callback contract. Every callback runs on the thread that feeds the
 * output set (the result stream's thread, stream.h) and returns 0, or -1 on
 * a write/allocation failure (the caller reports it once). open writes the
 * header from o->info at the stream's begin. A module writes as it goes and
 * flushes in host_end, so results survive a crash or Ctrl-C; close writes
 * the closing part (summary, </nmaprun>, end of JSON document) even when
 * the scan was interrupted (summary->interrupted).
 *
 * host_begin receives the complete host record and the mask of states that
 * are collapsed into "Not shown" (result_hidden_states); port is then called
 * for each port whose state is not hidden, in ascending (proto, port)
 * order; host_end closes the host. Down hosts come through host_begin /
 * host_end with no ports; modules print them as nmap does (only with -v
 * for normal/greppable/XML). Records are borrowed for the call.
 */
struct output_module {
    const char *name;   /* "normal", "grepable", "xml", "json" */
    const char *option; /* "-oN"; "" for a module no flag selects */
    const char *ext; /* file extension for -oA: "nmap", "gnmap", "xml", "json"; NULL = not in -oA */
    const char *summary; /* what the format is, for -h and the man page */
    int (*open)(struct output *o);
    int (*host_begin)(struct output *o, const struct host_result *h, unsigned hidden);
    int (*port)(struct output *o, const struct host_result *h, const struct port_result *p);
    int (*host_end)(struct output *o, const struct host_result *h, unsigned hidden);
    int (*close)(struct output *o, const struct scan_summary *sum);
    /* Optional (NULL = ignores them): a progress record (stream.h
     * task_event), between hosts, flushed by the module so that a program
     * reading the output live sees it at once. */
    int (*task)(struct output *o, const struct task_event *ev);
};

/* The terminal report's rendering of a progress record (task_text.c):
 * nmap's Initiating/Scanning/Completed and Discovered lines (verbose >= 1),
 * the Stats/Timing pair, notes; flushed. Returns 0, or -1 on a write error. */
int normal_task(struct output *o, const struct task_event *ev);

/* NULL-terminated registry, and lookup by option ("-oX") or name. */
extern const struct output_module *const output_modules[];
const struct output_module *output_module_find(const char *option_or_name);

/*
 * Hosts reach the files within this many ms: modules write into their
 * stream's buffer and the output set flushes every dirty stream on a thread
 * of its own at this period, and at close (so on every signal that ends a
 * scan). A write(2) per host per output was ~0.04 s of CPU on a /17 scan.
 */
#define OUTPUT_FLUSH_MS 50

/* The set of open outputs for a scan; implements the result sink. */
struct output_set {
    struct output outs[OUTPUT_MAX + 1]; /* +1: normal output on stdout */
    size_t n;
    int error;             /* first write error seen (errno), 0 if none */
    char failed[4096];     /* where it happened: a path or "standard output" */
    bool begun;            /* the modules' open ran (output_set_begin) */
    struct scan_info info; /* copy of the scan-begin record the outputs read */
    char errmsg[256];      /* why begin failed, for the sink's caller */
    /* The flusher (OUTPUT_FLUSH_MS), from begin to close. */
    pthread_t flusher;
    bool flushing;
    pthread_mutex_t fl_mu;
    pthread_cond_t fl_cv;
    bool fl_stop;
};

/*
 * Create every file of reqs[0..nreq) ("-" = stdout), plus normal output on
 * stdout unless one of them already writes to "-". Writes nothing yet, so
 * that a bad path fails before the scan starts and before any header
 * reaches stdout. Returns 0, or -1 with err naming the path ("cannot write
 * scan.xml: Permission denied"), set->error its errno, nothing left open.
 */
int output_set_open(struct output_set *set, const struct output_request *reqs, size_t nreq,
                    char *err, size_t errlen);

/* The same, with terminal false: only the requested files, no normal
 * output on stdout (prtip db export). */
int output_set_open_files(struct output_set *set, const struct output_request *reqs, size_t nreq,
                          bool terminal, char *err, size_t errlen);

/*
 * The stream's begin: keep a copy of info and write every output's header.
 * Returns 0, or -1 with err set ("cannot start xml output: ..."); the
 * outputs are then closed as with output_set_close.
 */
int output_set_begin(struct output_set *set, const struct scan_info *info, char *err,
                     size_t errlen);

/* Deliver one finished host to every output (host_begin, port..., host_end). */
void output_set_host(struct output_set *set, const struct host_result *h);

/* Deliver one progress record to every output whose module takes them. */
void output_set_task(struct output_set *set, const struct task_event *ev);

/* Write closing parts, flush and close every output. Returns 0, or -1 if any
 * write failed during the scan or now: set->failed and set->error then say
 * where and why first (a full disk fails every later write too), and the
 * other outputs were still written in full. Safe to call once, at any time
 * after open (used on Ctrl-C too); before begin it only closes the files. */
int output_set_close(struct output_set *set, const struct scan_summary *sum);

/* Whether an output's errno is the machine's state (descriptors, memory,
 * a full disk, I/O, a closed pipe: exit 2) rather than a bad path the user
 * gave (no such directory, permission denied: exit 1). */
bool output_error_is_runtime(int err);

/* A result_sink (stream.h) that feeds set: begin → output_set_begin (its
 * message in set->errmsg), host → output_set_host, task → output_set_task,
 * end → output_set_close. */
struct result_sink output_set_sink(struct output_set *set);

#endif
