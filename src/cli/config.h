/*
 * config.h — struct config: what the user asked for, as the command line
 * (cli.h) parsed it. Nothing writes it after parsing: the plan
 * (engine/plan.h) reads it and starts each stage with a narrow job of the
 * stage's own type. Run state (the stop flag, the summary) lives beside
 * it, in main.c, never inside it.
 */
#ifndef PRTIP_CLI_CONFIG_H
#define PRTIP_CLI_CONFIG_H

#include "core/ports.h"
#include "core/rdns.h"
#include "core/services.h"
#include "core/targets.h"
#include "core/timing.h"
#include "engine/discovery/discovery.h"
#include "engine/raw/raw_engine.h"
#include "output/output.h"

#include <stdbool.h>
#include <stdint.h>

struct scan_module;

#define CONFIG_MAX_TYPES 8

/* -sV and its options, as typed; the version stage builds its own job from
 * them (detect/version.h). */
struct version_opts {
    bool enabled;        /* -sV (or -A) */
    int intensity;       /* --version-intensity 0-9 (--version-light 2, --version-all 9); 7 */
    bool trace;          /* --version-trace */
    bool all_ports;      /* --allports: probe the Exclude'd ports too */
    uint64_t timeout_ms; /* --version-timeout: cap on any one probe's wait, ms; 0 = none */
    char *db;            /* --versiondb FILE (owned); NULL = nmap-service-probes */
};

struct config {
    /* What to scan. */
    struct target_set *targets; /* owned */
    struct portset ports;       /* owned */
    struct services *services;  /* owned; nmap-services */
    const struct scan_module *types[CONFIG_MAX_TYPES];
    size_t ntypes;

    /* How. */
    struct timing timing;
    bool randomize_ports;  /* false with -r */
    bool skip_discovery;   /* -Pn */
    struct disc_opts disc; /* owned port lists */
    enum dns_mode dns;
    int family; /* 0, 4 (-4) or 6 (-6) */
    uint64_t seed;
    /* Set before cli_parse when the seed is already fixed (a --resume file
     * holds the seed the interrupted run used), as --seed would. */
    bool seed_fixed;
    struct raw_opts raw;
    struct version_opts version;
    /* May send raw packets: --privileged, --unprivileged, else euid 0.
     * Decides the default scan type and discovery, as nmap. */
    bool privileged;
    bool noninteractive; /* --noninteractive: no key-press reader (core/progress.h) */
    char *datadir;       /* --datadir, searched before the default (owned; NULL = none) */
    /* OS detection (nmap's -O options). */
    struct os_opts {
        bool enabled;  /* -O (or -A) */
        bool guess;    /* --osscan-guess / --fuzzy */
        bool limit;    /* --osscan-limit */
        bool passive;  /* --os-passive: a guess from the SYN scan's SYN-ACKs (issue 12.6) */
        int max_tries; /* --max-os-tries, default 5 */
        bool tries_set;
        char *db; /* --os-db FILE (owned), NULL = nmap-os-db from the data directory */
    } os;

    /* Reporting. */
    int verbose, debug;
    bool open_only;   /* --open */
    bool show_reason; /* --reason */
    struct output_request outputs[OUTPUT_MAX];
    /* XML stylesheet: --stylesheet PATH|URL or --webxml (owned; NULL = nmap.xsl
     * from the data directory), none with --no-stylesheet. The last of the
     * three given wins, as in nmap. */
    char *stylesheet;
    bool no_stylesheet;
    /* --packet-capture FILE: PCAPNG of every frame sent and received (owned;
     * NULL = none). */
    char *packet_capture;
    bool packet_trace; /* --packet-trace: nmap's SENT/RCVD line per frame */
    size_t noutputs;
    char *args; /* the command line as typed, for output headers (owned) */

    /* Storage (src/store): --db PATH|URL (owned), or --db-default (the
     * user's default SQLite file); --db-job NAME groups shards (owned). */
    char *db;
    bool db_default;
    char *db_job;
};

/* Zero c and set defaults (T3 timing, random port order, reverse DNS for up
 * hosts, ARP ping on local links). */
void config_init(struct config *c);

/* Release everything c owns. */
void config_free(struct config *c);

#endif
