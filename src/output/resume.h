/*
 * resume.h — continuing an interrupted scan (--resume FILE), after
 * masscan's paused.conf and nmap's --resume.
 *
 * When a scan stops on a signal, a resume file is written (BASE.resume
 * next to the -oA base, else prtip.resume): a text file (format 2, first
 * line "prtip-resume 2") with the prtip version, the arguments one per
 * line, the seed and shard actually used, a checksum over those, for a raw
 * port scan of the targets as given the position its walk had reached
 * ("position": retry pass, host group, each sender's index in the
 * permutation, probes still awaited), and one JSON line per host: "host"
 * for a complete host (every port it was to have got its final state),
 * "part" for a host answered in part (its answered ports; raw position
 * only). `prtip --resume FILE` parses the same arguments with the same
 * seed, excludes the complete hosts from the targets so that nothing of
 * them is probed again, replays their records through the outputs first,
 * hands the position and the partial hosts to the raw engine (which
 * starts its walk where it stood and takes those answers as received),
 * and runs the rest: at the end every output holds the whole scan, each
 * host once. nmap's own -oN / -oG logs are accepted too (connect and
 * discovery scans): their "as:" header line gives the arguments and their
 * host lines the complete hosts. A format-1 file (per host only) is
 * refused with that reason.
 *
 * Granularity: probes for a raw port scan of the targets as given (-Pn
 * with no target found by ARP/ND, or --disable-arp-ping); hosts otherwise (connect scans, raw
 * scans of the hosts discovery found): a host is complete or scanned
 * again from its first port. -sV and -O results are stored (service
 * fields per port; OS matches, fingerprint and report in the database's
 * column shapes, store/codec.h) for the hosts that reached the outputs
 * before the stop (a host the stop caught in -sV or -O, or that they had
 * not started, is partial: its port answers only, the detection runs
 * again). A host with TLS facts or script output is partial too (those
 * are not stored).
 */
#ifndef PRTIP_OUTPUT_RESUME_H
#define PRTIP_OUTPUT_RESUME_H

#include "core/result.h"
#include "core/scan_pos.h"
#include "core/services.h"
#include "core/stream.h"
#include "core/targets.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* A loaded resume file. */
struct resume_state {
    char **argv; /* argv[0] = "prtip", then the original arguments (owned) */
    int argc;
    uint64_t seed;             /* the seed the scan used: set it after parsing argv */
    bool have_seed;            /* false for nmap logs (their order is nmap's own) */
    struct host_result *hosts; /* complete hosts, owned (host_result_free each) */
    size_t nhosts;
    struct host_result *partial; /* hosts answered in part (with a position), owned */
    size_t npartial;
    struct scan_pos pos; /* the raw engine's position; pos.valid false: none */
    char *path;          /* the file, to be rewritten on a further interruption (owned) */
};

/*
 * Read path: a prtip resume file, or an nmap -oN/-oG log (nmap's --resume
 * form). Returns 0, or -1 with err giving the reason the file is refused
 * (not a resume file, written by another prtip version, arguments edited,
 * a malformed host line with its line number).
 */
int resume_load(const char *path, struct resume_state *rs, char *err, size_t errlen);
void resume_free(struct resume_state *rs);

/*
 * After cli_parse of rs->argv: exclude rs's hosts from targets (they are
 * not probed again) and give their ports their nmap-services names from
 * services. Returns 0 or -1 with err.
 */
int resume_apply(struct resume_state *rs, struct target_set *targets,
                 const struct services *services, char *err, size_t errlen);

/* A recorded host: an owned copy; a host whose ports carry nothing but
 * their state, reason, TTL and nmap-services name is kept without its
 * port records, as runs of consecutive ports (8 bytes a run instead of 24
 * a port: a -p- host of closed ports is one run, not 1.5 MiB). */
struct resume_port_run {
    uint16_t first, count;
    uint8_t proto, state, reason, ttl;
};
struct resume_entry {
    struct host_result h;         /* ports/nports empty when runs is set */
    struct resume_port_run *runs; /* owned, or NULL: h has its ports */
    uint32_t nruns, nports;
};

/* Records complete hosts passing to the outputs (a sink in front of next). */
struct resume_rec {
    struct result_sink next;
    /* Copies, not JSON: turning every host of a /17 into JSON on the
     * chance of a stop cost ~11% of the scan's CPU; a copy is cheap and
     * becomes JSON only when the file is written. */
    struct resume_entry *lines; /* each complete host */
    size_t n, cap;
    struct resume_entry *parts; /* each host answered in part */
    size_t nparts, pcap;
    /* The services table whose names the engines gave the ports (NULL:
     * none); a port named otherwise keeps its host a whole copy. */
    const struct services *services;
    bool os; /* -O: complete only when it came out of -O before the stop */
    bool sv; /* -sV: complete only when it came out of -sV before the stop */
    /* The run's stop flag: a host reported down after it was raised may
     * just not have been probed yet (discovery cut short): not complete. */
    volatile sig_atomic_t *stop;
    bool oom;
};
/* rec must outlive the returned sink; next is where hosts go on to. */
struct result_sink resume_rec_sink(struct resume_rec *rec, struct result_sink next, bool os,
                                   bool sv, volatile sig_atomic_t *stop,
                                   const struct services *services);
void resume_rec_free(struct resume_rec *rec);

/*
 * Write the resume file: path, or when NULL the default for outputs
 * (BASE.resume for -oA BASE, else prtip.resume). args: the original
 * arguments without argv[0] and without --resume; seed and shard as used;
 * pos the raw engine's position (NULL or invalid: none); parts: keep the
 * partial hosts (an engine takes them: struct scan_resume.keeps_partial;
 * else they are left out and scanned again whole).
 * Returns 0 (and the path written in used), or -1 with err.
 */
int resume_write(const char *path, char *const outputs[], size_t noutputs, char *const args[],
                 int nargs, uint64_t seed, uint32_t shard, uint32_t nshards,
                 const struct scan_pos *pos, bool parts, const struct resume_rec *rec, char *used,
                 size_t usedlen, char *err, size_t errlen);

#endif
