/*
 * version.h — the version-detection stage (-sV, issue 11): a row of the
 * stage table (engine/plan/stages.h) that takes host records with open
 * ports from the port scan and passes them on with each open (and UDP
 * open|filtered) port's service_result, tls_info and ssl-cert script.
 *
 * What is sent and what a reply means is nmap-service-probes, through
 * detect/svcdb.h. This stage decides when: connections on its own event
 * loop (engine/loop/evloop.h) in a worker thread, TLS through OpenSSL on
 * the same loop, and the order in which answers are accepted, which is
 * nmap's (nmap doc "Service and Application Version Detection",
 * "Technique Described"), however many probes are in flight.
 *
 * Files: version.c (the stage: job, worker thread, hand-over of hosts),
 * version_port.c (a port's probe connections: scheduling, waits, reads),
 * version_resolve.c (the plan and accepting answers in nmap's order),
 * version_tls.c (OpenSSL: handshakes, TLS facts, ssl-cert, JA3S),
 * version_out.c (answers into records, the SF-Port fingerprint, the trace).
 */
#ifndef PRTIP_DETECT_VERSION_H
#define PRTIP_DETECT_VERSION_H

#include "engine/plan/stages.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The stage's narrow job, built from struct config by the stage row's
 * create (version_job_from_config).
 *
 * Waits, all in ms: nmap's per-probe totalwaitms and tcpwrappedms are the
 * upper bounds; timeout_ms (--version-timeout, 0 = none) caps every wait.
 */
struct version_job {
    char dbpath[4096]; /* nmap-service-probes to load */
    /* nselib/data/enterprise_numbers.txt (snmp-info's vendor names); a
     * missing file gives "unknown", as the script says then. */
    char enterprise_path[4096];
    int intensity;       /* 0-9 */
    bool trace;          /* --version-trace: probes and matches on stderr */
    bool all_ports;      /* --allports: ignore Exclude */
    uint64_t timeout_ms; /* cap on any one wait; 0 = none */
    /* --host-timeout: a host still being probed this long after it reached
     * the stage is passed on as it stands, timed_out (nmap counts -sV in
     * the host's time too; the port scan's share is not known here). */
    uint64_t host_timeout_ms;
    int verbose, debug;  /* ssl-cert's text follows nmap's verbosity */
    unsigned max_conns;  /* probe connections in flight, all hosts */
    unsigned host_conns; /* probe connections in flight per host */
    unsigned port_conns; /* probe connections in flight per port */
    volatile sig_atomic_t *stop;
};

/* The row of stage_modules[] (engine/plan/stages.c). */
extern const struct stage_module version_stage;

/*
 * Fill job from cfg (-sV options, verbosity, the data directory). Returns 0,
 * or -1 with err set ("--versiondb FILE: ..." when the file cannot be read,
 * naming Debian's nmap-common for the default).
 */
int version_job_from_config(struct version_job *job, const struct config *cfg,
                            volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
