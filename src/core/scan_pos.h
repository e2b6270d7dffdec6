/*
 * scan_pos.h — where a stateless (raw engine) port scan stood when a
 * signal stopped it, and what --resume hands back to it (output/resume.h
 * keeps it in the resume file; engine/raw reads and fills it). masscan's
 * paused.conf is the model: the index reached in the permutation, per
 * sender, and the retry pass; prtip adds the host group (nmap's timing
 * options run the walk group by group) and the answers of the hosts that
 * were not complete, so that those are not probed again either.
 */
#ifndef PRTIP_CORE_SCAN_POS_H
#define PRTIP_CORE_SCAN_POS_H

#include "core/result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCAN_POS_MAX_SENDERS 16
/* pass value: every pass was over; the UDP pacing (raw_pace.h) ran. */
#define SCAN_POS_PACING 1000u
/* pass value: the port scan was over (a later stage, -sV or -O, was cut):
 * nothing is sent again; the answers are in the partial hosts. */
#define SCAN_POS_DONE 1001u

struct scan_pos {
    bool valid;        /* false: no position (not a raw scan of the targets as given) */
    uint32_t pass;     /* retry pass reached (0 = the first), or SCAN_POS_PACING */
    uint64_t group;    /* host group reached (--max-hostgroup etc.); 0 without groups */
    uint64_t pending;  /* probes sent in pass 0 and not answered at the stop */
    uint32_t nsenders; /* sender threads; pos[t] counts sender t's own walk */
    uint64_t pos[SCAN_POS_MAX_SENDERS]; /* positions walked in that pass (or group) */
};

/*
 * The raw engine's side of --resume (struct raw_job.resume, borrowed,
 * written by the engine on the calling thread). from and partial are read
 * when from.valid; reached is filled when the scan stopped on a signal
 * before its end (left invalid otherwise).
 */
struct scan_resume {
    struct scan_pos from;
    /* Hosts answered in part before the stop: their answered ports count
     * as answered (not probed again) and are merged into their records. */
    const struct host_result *partial;
    size_t npartial;
    struct scan_pos reached;
    /* Set by an engine that takes partial hosts' answers (the connect
     * engine always, by address; the raw engine with a position): the
     * resume file then keeps the partial hosts. */
    bool keeps_partial;
};

#endif
