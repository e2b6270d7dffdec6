/*
 * os_stage.h — the OS detection stage's job and its row in the stage table
 * (engine/plan/stages.h): wanted with -O or --os-passive, built from the configuration's
 * OS options into a narrow struct os_job.
 */
#ifndef PRTIP_DETECT_OS_STAGE_H
#define PRTIP_DETECT_OS_STAGE_H

#include "engine/plan/stages.h"

#include <stdbool.h>
#include <stdint.h>

/* What the stage needs from the configuration; strings borrowed from it. */
struct os_job {
    bool guess;          /* --osscan-guess */
    bool limit;          /* --osscan-limit */
    bool passive;        /* --os-passive: no probes, a guess from the SYN-ACK (os_passive.c) */
    int max_tries;       /* --max-os-tries */
    const char *db_path; /* --os-db, or NULL */
    const char *datadir; /* --datadir, or NULL */
    int verbose, debug;  /* what the outputs will print */
    int timing_level;    /* -T0..5 */
    uint64_t scan_delay_ms;
    bool udp_scanned; /* -sU ran: a missing U1 reply is then no reason */
};

void os_job_from_config(struct os_job *j, const struct config *cfg);

/* The stage's table row and its callbacks. create loads nmap-os-db (err
 * "FILE:LINE: ..." on a malformed file). */
extern const struct stage_module os_stage_module;
bool os_stage_wanted(const struct config *cfg);
void *os_stage_create(const struct config *cfg, volatile sig_atomic_t *stop, char *err,
                      size_t errlen);
void os_stage_destroy(void *state);

#endif
