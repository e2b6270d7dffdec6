/*
 * cli.h — nmap-compatible command line: parses argv into a struct config.
 * Options follow nmap's spelling ("Options Summary" of nmap(1)), including
 * its single-dash long forms (-sT, -oX, -Pn, -T4, -iL).
 */
#ifndef PRTIP_CLI_CLI_H
#define PRTIP_CLI_CLI_H

#include "cli/config.h"

#include <stdio.h>

enum cli_result {
    CLI_OK = 0,   /* scan is configured; run it */
    CLI_EXIT = 1, /* -h or -V was handled; exit 0 */
    CLI_ERROR = 2 /* bad usage; message printed; exit 1 */
};

/*
 * Parse argc/argv into scan (initialised by scan_init). Loads nmap-services,
 * builds the target set and port set, applies the -T template then the
 * explicit timing options. On error prints one line "prtip: <what>: <hint>"
 * to stderr and returns CLI_ERROR. A scan with no targets is an error
 * ("no targets specified"), never a default target.
 */
enum cli_result cli_parse(int argc, char **argv, struct config *scan);

/* nmap-style usage text (-h); the scan type, output and discovery probe
 * lines are printed from their tables. */
void cli_usage(FILE *fp);

/* The -V text: prtip's version, the nmap release whose options and output
 * it follows (in nmap's "Nmap version" line, for programs that drive
 * nmap), compiler, platform, scan types and output formats from their
 * tables, and the data file directory. */
void cli_print_version(FILE *fp);

/*
 * The man page's lists of discovery probes, scan types and output formats
 * (roff, each between ".\" BEGIN <what>" and ".\" END <what>" comment
 * lines), printed from the tables for the hidden --help-man-lists option.
 * docs/prtip.1 holds this text verbatim; a test keeps the two equal.
 */
void cli_man_lists(FILE *fp);

#endif
