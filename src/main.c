/* prtip — parse → plan → run → report. Everything else lives in modules. */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "cli/config.h"
#include "engine/plan/plan.h"
#include "engine/plan/stages.h"
#include "net/capture.h"
#include "output/output.h"
#include "output/resume.h"
#include "scan/scan_module.h"
#include "store/db_cmd.h"
#include "store/store.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one process-wide variable: the number of the first termination signal
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT), read by the engines as "stop now". */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (!stop_requested)
        stop_requested = sig;
}

/* Every signal that would end the run stops it instead, so that the results
 * found so far reach every output as complete documents; the exit status
 * is then 128 + the signal's number, as a shell reports a killed command.
 * A write to a closed pipe (stdout piped to head) is an error of that one
 * output (EPIPE), not a death that would cut the files short. */
static void catch_signals(void)
{
    static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        sigaddset(&sa.sa_mask, stops[i]);
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        sigaction(stops[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* --resume FILE (or --resume=FILE), alone on the command line as in nmap:
 * 1 and rs loaded when it is there, 0 when not, -1 on error (printed). */
static int resume_arg(int argc, char **argv, struct resume_state *rs)
{
    if (argc < 2 || strncmp(argv[1], "--resume", 8) != 0 ||
        (argv[1][8] != '\0' && argv[1][8] != '='))
        return 0;
    const char *file = argv[1][8] == '=' ? argv[1] + 9 : argc > 2 ? argv[2] : NULL;
    if (!file || !*file || argc > (argv[1][8] == '=' ? 2 : 3)) {
        log_error("cli", "--resume FILE must be the only option (the scan's options are in FILE)");
        return -1;
    }
    char err[512];
    if (resume_load(file, rs, err, sizeof(err)) < 0) {
        log_error("resume", "%s", err);
        return -1;
    }
    return 1;
}

/* On an interruption: the resume file, and how to continue. */
static void write_resume(const struct config *scan, const struct resume_state *rs, int argc,
                         char **argv, const struct scan_resume *sr, const struct resume_rec *rec)
{
    char *paths[OUTPUT_MAX];
    for (size_t i = 0; i < scan->noutputs; i++)
        paths[i] = scan->outputs[i].path;
    char used[4200], err[512];
    const struct scan_pos *pos = &sr->reached;
    /* A resumed nmap log is one of the outputs again: never overwrite it. */
    if (resume_write(rs->have_seed ? rs->path : NULL, paths, scan->noutputs, argv + 1, argc - 1,
                     scan->seed, scan->raw.shard, scan->raw.nshards, pos, sr->keeps_partial, rec,
                     used, sizeof(used), err, sizeof(err)) < 0)
        log_error("resume", "%s", err);
    else if (pos->valid && pos->pass == SCAN_POS_DONE)
        fprintf(stderr,
                "prtip: scan interrupted after the port scan; %zu complete and %zu partial hosts "
                "saved. Continue with: prtip --resume %s\n",
                rec->n, rec->nparts, used);
    else if (pos->valid)
        fprintf(stderr,
                "prtip: scan interrupted in pass %s%u; %zu complete and %zu partial hosts saved "
                "with the position. Continue with: prtip --resume %s\n",
                pos->pass == SCAN_POS_PACING ? "(UDP pacing) " : "",
                pos->pass == SCAN_POS_PACING ? 0 : pos->pass + 1, rec->n, rec->nparts, used);
    else if (sr->keeps_partial)
        fprintf(stderr,
                "prtip: scan interrupted; %zu complete and %zu partial hosts saved. Continue "
                "with: prtip --resume %s\n",
                rec->n, rec->nparts, used);
    else
        fprintf(stderr,
                "prtip: scan interrupted; %zu complete hosts saved. Continue with: "
                "prtip --resume %s\n",
                rec->n, used);
}

/* Stop the tap and write out the capture; true if writing it failed. */
static bool finish_capture(const struct config *scan)
{
    char cerr[256];
    capture_tap_stop();
    int64_t nframes = capture_close(cerr, sizeof(cerr));
    if (nframes < 0) {
        log_error("capture", "%s", cerr);
        return true;
    }
    if (scan->packet_capture && scan->verbose > 0)
        log_info("capture", "%lld frames written to %s", (long long)nframes, scan->packet_capture);
    return false;
}

int main(int argc, char **argv)
{
    /* "prtip db ...": the stored scans (list, show, export, query, ...). */
    if (argc > 1 && strcmp(argv[1], "db") == 0)
        return db_cmd_main(argc - 1, argv + 1);

    struct config scan;
    config_init(&scan);

    struct resume_state rs = {0};
    int resuming = resume_arg(argc, argv, &rs);
    if (resuming < 0) {
        config_free(&scan);
        return 1;
    }
    if (resuming) {
        argc = rs.argc;
        argv = rs.argv;
        scan.seed_fixed = rs.have_seed; /* a sharded run resumes with its own seed */
    }
    enum cli_result r = cli_parse(argc, argv, &scan);
    char err[512] = "";
    if (r == CLI_OK && resuming) {
        if (rs.have_seed)
            scan.seed = rs.seed; /* the order the interrupted run used */
        if (resume_apply(&rs, scan.targets, scan.services, err, sizeof(err)) < 0) {
            log_error("resume", "%s", err);
            r = CLI_ERROR;
        }
    }
    if (r != CLI_OK) {
        resume_free(&rs);
        config_free(&scan);
        return r == CLI_EXIT ? 0 : 1;
    }

    catch_signals();

    /* A connect scan's packets are the kernel's: a tap on the interfaces
     * sees them (capture.h). */
    if ((scan.packet_capture || scan.packet_trace) &&
        (capture_open(scan.packet_capture, scan.packet_trace, err, sizeof(err)) < 0 ||
         (!scan.raw.dry_run && scan.types[0]->engine != SCAN_ENGINE_RAW &&
          capture_tap_start(scan.targets, err, sizeof(err)) < 0))) {
        capture_close(NULL, 0);
        log_error("capture", "%s", err);
        config_free(&scan);
        return 2;
    }
    if (scan.raw.dry_run) {
        /* --dry-run prints the probes a scan would send and nothing else, so
         * its stdout can be diffed and counted. */
        int drc =
            plan_run(&scan, &stop_requested, &(struct result_sink){0}, NULL, err, sizeof(err));
        if (drc < 0)
            log_error("engine", "%s", err);
        capture_close(err, sizeof(err));
        config_free(&scan);
        return drc < 0 ? 2 : 0;
    }

    struct output_set outs;
    if (output_set_open(&outs, scan.outputs, scan.noutputs, err, sizeof(err)) < 0) {
        log_error("output", "%s", err);
        config_free(&scan);
        return output_error_is_runtime(outs.error) ? 2 : 1;
    }
    /* Run state lives here, beside the read-only configuration. */
    struct scan_summary sum = {0};
    struct scan_info info;
    struct result_sink outset = output_set_sink(&outs);
    struct order_sink ord;
    struct store_job sjob;
    struct store_run db;
    char dbpath[4096], shard[24];
    if (plan_store_job(&scan, &sjob, dbpath, sizeof(dbpath), shard, sizeof(shard), err,
                       sizeof(err)) < 0 ||
        store_run_open(&db, &sjob, err, sizeof(err)) < 0) {
        log_error("store", "%s", err);
        output_set_close(&outs, &sum);
        config_free(&scan);
        return 2;
    }
    /* Hosts may come early (raw_job.early): the outputs get them in target
     * order, the database as they come, so that its writer works while the
     * scan runs (a store behind the order buffer added +0.33/+0.59 s to the
     * /17 bench instead of +0.14/+0.22 s). The resume recorder sees what
     * they get. */
    struct result_sink outsink = order_sink(&ord, &outset);
    struct resume_rec rec;
    struct result_sink out = resume_rec_sink(&rec, store_run_sink(&db, &outsink), scan.os.enabled,
                                             scan.version.enabled, &stop_requested, scan.services);
    struct pipeline pl;
    if (plan_scan_info(&scan, &info, err, sizeof(err)) < 0 ||
        plan_pipeline(&pl, &scan, &stop_requested, &out, err, sizeof(err)) < 0) {
        log_error("plan", "%s", err);
        output_set_close(&outs, &sum);
        store_run_close(&db);
        config_free(&scan);
        return 2;
    }
    clock_gettime(CLOCK_REALTIME, &info.start);
    sum.start = info.start;
    int brc = sink_begin(&pl.head, &info);
    scan_info_free(&info);
    if (brc < 0) {
        log_error("output", "%s", outs.errmsg[0] ? outs.errmsg : "a stage failed to start");
        plan_pipeline_free(&pl);
        store_run_close(&db);
        config_free(&scan);
        return 2;
    }

    /* Hosts finished before the interruption reach the outputs first. */
    for (size_t i = 0; i < rs.nhosts; i++)
        sink_host(&out, &rs.hosts[i]);
    int64_t t0 = clock_mono_ns();
    /* The raw engine's position: where it starts (resuming) and stood. */
    struct scan_resume sr = {.from = rs.pos, .partial = rs.partial, .npartial = rs.npartial};
    int rc = plan_run_resume(&scan, &stop_requested, &pl.head, &sum, &sr, err, sizeof(err));
    int64_t t1 = clock_mono_ns();

    clock_gettime(CLOCK_REALTIME, &sum.end);
    sum.elapsed_s = (double)(t1 - t0) / 1e9;
    sum.interrupted = stop_requested != 0;
    for (size_t i = 0; i < rs.nhosts; i++) {
        sum.hosts_total++;
        if (rs.hosts[i].status == HOST_UP)
            sum.hosts_up++;
        else
            sum.hosts_down++;
    }
    if (rc < 0)
        sum.error = err;

    int wrc = sink_end(&pl.head, &sum);
    order_sink_free(&ord);
    /* A stage after the port scan (-sV) may have been the one Ctrl-C cut. */
    sum.interrupted = stop_requested != 0;
    plan_pipeline_free(&pl);
    /* After the stages' end: OS detection probes while the stream ends. */
    bool capture_failed = finish_capture(&scan);
    if (sum.interrupted)
        write_resume(&scan, &rs, argc, argv, &sr, &rec);
    resume_rec_free(&rec);
    resume_free(&rs);
    int status = 0;
    if (rc < 0) {
        log_error("engine", "%s", err);
        status = 2;
    } else if (wrc < 0) {
        /* A store reported its own failure, once, when it happened. */
        if (!store_run_outputs_failed(&db, wrc))
            ;
        else if (outs.error)
            log_error("output", "cannot write %s: %s", outs.failed, strerror(outs.error));
        else
            log_error("output", "writing results failed");
        status = 2;
    } else if (sum.interrupted) {
        status = 128 + stop_requested;
    }
    if (capture_failed && status == 0)
        status = 2;
    store_run_close(&db);
    config_free(&scan);
    return status;
}
