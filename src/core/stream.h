/*
 * stream.h — the result stream (SPEC "Architecture"): the one channel by
 * which every stage hands on what it found, and from which every output and
 * store reads. A scan's stream is
 *
 *     begin(scan_info)  host(host_result) ... host(host_result)  end(scan_summary)
 *
 * Order guarantees, for every sink:
 *   - begin comes first and exactly once, before any host; end comes last
 *     and exactly once, also after Ctrl-C or a runtime failure (then with
 *     summary->interrupted or summary->error set);
 *   - each target is delivered once per time it was listed (a target given
 *     twice is two records), complete: every port scanned for it is in the
 *     record with its final state, unless the record says interrupted or
 *     timed_out;
 *   - hosts come in completion order, not target order; a stage may hold a
 *     host while it works on it (version detection, OS detection) and pass
 *     it on later, so a sink must not assume any order between hosts. A
 *     stage that holds hosts passes every one of them on before it passes
 *     end on.
 *
 * Threads and ownership: all three callbacks of one sink are called from
 * one thread at a time (the thread that runs the stage feeding it; today
 * the main thread). The records passed in are borrowed for the duration of
 * the call: a sink that keeps anything copies it (host_result_copy,
 * scan_info_copy).
 *
 * Nothing here reads the configuration: outputs and stores render what the
 * records say, so a scan read back from a file or a database renders
 * through the same modules byte for byte.
 */
#ifndef PRTIP_CORE_STREAM_H
#define PRTIP_CORE_STREAM_H

#include "core/ports.h"
#include "core/result.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SCAN_INFO_MAX_TYPES 8

/* What the scan did with ports: a port scan, a ping scan (-sn, hosts
 * only), or a list scan (-sL, nothing sent). */
enum scan_mode { SCAN_MODE_PORTS = 0, SCAN_MODE_PING, SCAN_MODE_LIST };

/* One scan type of the run, as nmap's <scaninfo> describes it. */
struct scan_info_type {
    char type[16];         /* nmap's XML type: "syn", "connect", "udp", "fin", ... */
    char scanflags[32];    /* --scanflags as nmap prints it ("SYNFIN"); "" = none */
    enum port_proto proto; /* the protocol its ports are */
    size_t nservices;      /* ports scanned with it */
    char *services;        /* those ports in nmap's range form "1-1000,8080" (owned) */
};

/*
 * The scan-begin record: everything the outputs' headers say. Strings are
 * owned (scan_info_free releases them).
 */
struct scan_info {
    char *scanner;         /* "prtip" */
    char *version;         /* prtip's version, "0.1.0" */
    char *args;            /* the command line as typed */
    struct timespec start; /* wall clock */
    enum scan_mode mode;
    struct scan_info_type types[SCAN_INFO_MAX_TYPES]; /* empty unless SCAN_MODE_PORTS */
    size_t ntypes;
    /* How the user asked results to be shown; part of the record so that a
     * stored scan renders as it did live. */
    int verbose, debug; /* -v / -d levels */
    bool open_only;     /* --open */
    bool show_reason;   /* --reason */
    bool version_scan;  /* -sV ran: port tables carry nmap's VERSION column */
    /* href of the XML's <?xml-stylesheet?> line ("file:///usr/share/nmap/
     * nmap.xsl", a URL, a path as given to --stylesheet); NULL = no line
     * (--no-stylesheet). Owned. */
    char *stylesheet;
};

/* Zero info; scanner and version get prtip's. Returns 0, or -1 on
 * allocation failure. */
int scan_info_init(struct scan_info *info);

/* Release what info owns and zero it (safe to call twice). */
void scan_info_free(struct scan_info *info);

/* Deep copy into dst (uninitialised). Returns 0, or -1 with dst empty. */
int scan_info_copy(struct scan_info *dst, const struct scan_info *src);

/* Ports scanned for protocol p over every type (nmap's greppable "Ports
 * scanned" per protocol): the first type with that protocol, or NULL when
 * none scanned it. Borrowed from info. */
const struct scan_info_type *scan_info_proto(const struct scan_info *info, enum port_proto p);

/*
 * A progress record (nmap's task lines and <task*> elements): what a scan
 * engine is doing while it runs, between hosts. Optional in the stream: a
 * sink may ignore them, a stored scan may have none. Produced by the
 * progress module (core/progress.h) on the stream's thread.
 *
 *   TASK_BEGIN     a task starts: "Initiating SYN Stealth Scan at 04:14",
 *                  <taskbegin task time/>; nhosts, nports, target.
 *   TASK_PROGRESS  a status report (--stats-every, a key press): nmap's
 *                  "Stats: ..." line pair, <taskprogress .../>.
 *   TASK_END       the task finished: "Completed SYN Stealth Scan at 04:14,
 *                  2.52s elapsed (300 total ports)", <taskend .../>.
 *   TASK_OPEN_PORT a port was just found open: "Discovered open port
 *                  22/tcp on 198.18.0.2" (normal output on stdout, -v).
 *   TASK_NOTE      a line for the terminal only ("Verbosity Increased to 2.").
 *
 * Records only what happened; renderers decide what to print from it and
 * from verbose, the verbosity in force when it happened (a key press can
 * raise it mid-scan, so the scan-begin record's level is not enough).
 */
enum task_kind { TASK_BEGIN = 0, TASK_PROGRESS, TASK_END, TASK_OPEN_PORT, TASK_NOTE };

struct task_event {
    enum task_kind kind;
    const char *task;          /* "SYN Stealth Scan", "Connect Scan", "UDP Scan" */
    struct timespec time;      /* wall clock of the event */
    int verbose;               /* verbosity in force (-v count, key v/V) */
    double elapsed_s;          /* PROGRESS: since the scan began; END: task's own time */
    double percent;            /* PROGRESS: 0..100 */
    double remaining_s;        /* PROGRESS: estimate, seconds */
    time_t etc;                /* PROGRESS: estimated completion, wall clock */
    unsigned hosts_done;       /* PROGRESS: hosts delivered so far */
    unsigned hosts_up;         /* PROGRESS: hosts known up */
    unsigned hosts_active;     /* PROGRESS: hosts still being scanned */
    size_t nhosts, nports;     /* BEGIN/END: hosts in the task, ports per host */
    const char *target;        /* BEGIN: the one host's address, NULL when several */
    const struct ipaddr *addr; /* OPEN_PORT */
    uint16_t port;             /* OPEN_PORT */
    enum port_proto proto;     /* OPEN_PORT */
    const char *text;          /* NOTE */
};

/*
 * A consumer of the stream: an output set, a store, or a stage that passes
 * records on enriched. Any callback may be NULL (nothing to do). begin and
 * end return 0, or -1 on a failure the sink reports itself; host cannot fail
 * the scan (a sink notes its own write errors and reports them at end).
 */
struct result_sink {
    int (*begin)(void *ctx, const struct scan_info *info);
    void (*host)(void *ctx, const struct host_result *host);
    int (*end)(void *ctx, const struct scan_summary *sum);
    /* Optional: a progress record (task_event), between begin and end. */
    void (*task)(void *ctx, const struct task_event *ev);
    void *ctx;
};

static inline int sink_begin(const struct result_sink *s, const struct scan_info *info)
{
    return s && s->begin ? s->begin(s->ctx, info) : 0;
}

static inline void sink_host(const struct result_sink *s, const struct host_result *h)
{
    if (s && s->host)
        s->host(s->ctx, h);
}

static inline void sink_task(const struct result_sink *s, const struct task_event *ev)
{
    if (s && s->task)
        s->task(s->ctx, ev);
}

static inline int sink_end(const struct result_sink *s, const struct scan_summary *sum)
{
    return s && s->end ? s->end(s->ctx, sum) : 0;
}

/*
 * Target order for sinks that print it (the outputs), in front of them
 * when hosts may come early (struct host_result early/order, the raw
 * engine's job->early): an early host is copied and held; a host that is
 * not early goes on at once, after the held hosts listed before it (by
 * order); end passes on the hosts still held, in order, then end. An
 * engine that delivers early delivers the rest in index order, so the
 * outputs see exactly the order they would without early hosts. Memory:
 * one host_result copy per early host until its turn. A copy that fails
 * (no memory) passes the host on at once: order is lost, never a host.
 * Threads as any sink. Free with order_sink_free after the stream's end.
 */
struct order_sink {
    struct result_sink next;
    struct host_result *held; /* sorted by order from held[first] on once sorted */
    size_t first, n, cap;
    bool sorted;
};

/* Make o (uninitialised) a sink feeding next (borrowed, must outlive o). */
struct result_sink order_sink(struct order_sink *o, const struct result_sink *next);

/* Release the hosts o still holds (after an end, none). */
void order_sink_free(struct order_sink *o);

/*
 * A stage after the port scan (version detection, OS detection, scripts):
 * a consumer of the stream that passes it on, enriched, to the next sink.
 * Stages compose by chaining: port scan -> stage -> stage -> outputs.
 *
 * Callbacks receive the stage's state and next, the sink downstream. A
 * NULL callback passes that event on unchanged. begin may pass on a
 * modified copy of info (a -sV stage sets version_scan); host may pass h on
 * at once (enriched copy or not) or keep a copy (host_result_copy) and
 * pass it on later, from host or end; end must pass on every host it still
 * holds before it passes end on. All three run on the stream's thread.
 */
struct stage_ops {
    const char *name; /* "version", "os", "scripts" */
    int (*begin)(void *state, const struct scan_info *info, const struct result_sink *next);
    void (*host)(void *state, const struct host_result *h, const struct result_sink *next);
    int (*end)(void *state, const struct scan_summary *sum, const struct result_sink *next);
};

/* One stage in a chain: its operations, its state (owned by whoever made
 * the stage) and the sink it feeds. */
struct stage {
    const struct stage_ops *ops;
    void *state;
    struct result_sink next;
};

/* The sink that feeds stage s (valid while s lives). Feeding it begin,
 * hosts and end runs the stage's callbacks, or passes events on where the
 * stage has none. Progress records (task) always pass straight on. */
struct result_sink stage_sink(struct stage *s);

#endif
