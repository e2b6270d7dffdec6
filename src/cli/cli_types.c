/*
 * cli_types.c — the options whose letters are table rows: scan types (-s,
 * scan_modules[]) and output formats (-o, output_modules[]). Nothing here
 * lists a letter of prtip's own: a new module in a table is a new option,
 * and the hints follow. The letters that are written out are nmap's that
 * prtip does not have, so that they get "not implemented yet" instead of
 * "unknown".
 */
#include "cli/cli_internal.h"
#include "output/output.h"
#include "scan/scan_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append text to buf (size len, NUL-terminated), cutting it short when full. */
static void append(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 < len)
        snprintf(buf + used, len - used, "%s", text);
}

/* "A, B, C or LAST": opts[0..n) then last, into buf. */
static const char *join_or(char *buf, size_t len, const char *const *opts, size_t n,
                           const char *last)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        append(buf, len, opts[i]);
        append(buf, len, i + 1 == n ? " or " : ", ");
    }
    append(buf, len, last);
    return buf;
}

const char *cli_output_options(char *buf, size_t len)
{
    const char *opts[OUTPUT_MAX + 16];
    size_t n = 0;
    for (size_t i = 0; output_modules[i] && n < sizeof(opts) / sizeof(opts[0]); i++)
        if (output_modules[i]->option[0])
            opts[n++] = output_modules[i]->option;
    return join_or(buf, len, opts, n, "-oA");
}

const char *cli_scan_options(char *buf, size_t len)
{
    const char *opts[32];
    size_t n = 0;
    for (size_t i = 0; scan_modules[i] && n + 1 < sizeof(opts) / sizeof(opts[0]); i++)
        opts[n++] = scan_modules[i]->option;
    opts[n++] = "-sn";
    return join_or(buf, len, opts, n, "-sL");
}

static int add_output(struct config *scan, const struct output_module *mod, const char *path)
{
    if (scan->noutputs >= OUTPUT_MAX) {
        cli_fail("too many output files: at most %d", OUTPUT_MAX);
        return -1;
    }
    /* Two formats in one file or on stdout would interleave into a
     * document no reader could parse. */
    for (size_t i = 0; i < scan->noutputs; i++)
        if (strcmp(scan->outputs[i].path, path) == 0) {
            if (strcmp(path, "-") == 0)
                cli_fail("%s - and %s -: only one format can go to standard output; give the "
                         "other a file name",
                         scan->outputs[i].module->option, mod->option);
            else
                cli_fail("%s %s and %s %s: two formats cannot share one file; give each its own",
                         scan->outputs[i].module->option, path, mod->option, path);
            return -1;
        }
    char *copy = strdup(path);
    if (!copy) {
        cli_fail("out of memory");
        return -1;
    }
    scan->outputs[scan->noutputs].module = mod;
    scan->outputs[scan->noutputs].path = copy;
    scan->noutputs++;
    return 0;
}

/* -oA <base>: every module with an -oA extension, as <base>.<ext>. */
static int add_all_outputs(struct config *scan, const char *base)
{
    if (strcmp(base, "-") == 0) {
        cli_fail("-oA -: cannot write several formats to standard output; give a base name");
        return -1;
    }
    for (size_t i = 0; output_modules[i]; i++) {
        const struct output_module *mod = output_modules[i];
        if (!mod->ext || !mod->option[0])
            continue;
        size_t len = strlen(base) + strlen(mod->ext) + 2;
        char *name = malloc(len);
        if (!name) {
            cli_fail("out of memory");
            return -1;
        }
        snprintf(name, len, "%s.%s", base, mod->ext);
        int rc = add_output(scan, mod, name);
        free(name);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int cli_parse_output(struct config *scan, char fmt, const char *path)
{
    char hint[160];
    if (path[0] == '\0') {
        cli_fail("-o%c needs a file name: use - for standard output", fmt);
        return -1;
    }
    if (fmt == 'A')
        return add_all_outputs(scan, path);
    char opt[4] = {'-', 'o', fmt, '\0'};
    const struct output_module *mod = fmt ? output_module_find(opt) : NULL;
    if (!mod) {
        /* nmap's formats prtip does not write (script kiddie, machine, XML
         * variant). */
        if (fmt && strchr("SMH", fmt))
            cli_fail("%s is not implemented yet: use %s", opt,
                     cli_output_options(hint, sizeof(hint)));
        else
            cli_fail("unknown output format '%s': use %s", opt,
                     cli_output_options(hint, sizeof(hint)));
        return -1;
    }
    return add_output(scan, mod, path);
}

/*
 * -s<letters>: "-sS" and nmap's combined forms ("-sSU"). As nmap, one TCP
 * scan type per run (repeating the same one is harmless), plus one UDP
 * type. "-sn" (no port scan) and "-sL" (list scan) are discovery modes, not
 * types; cli_resolve_discovery checks them against the types given.
 */
int cli_parse_scan_types(struct config *scan, struct pending *pd, const char *letters)
{
    static const char nmap_known[] = "ACFILMNOPRSUVWXYZn"; /* every scan letter nmap knows */
    char hint[160];
    if (letters[0] == '\0') {
        cli_fail("-s needs a scan type: %s", cli_scan_options(hint, sizeof(hint)));
        return -1;
    }
    for (const char *c = letters; *c; c++) {
        if (*c == 'V') { /* -sV: a stage after the port scan, not a scan type */
            scan->version.enabled = true;
            continue;
        }
        if (*c == 'n' || *c == 'L') {
            if (*c == 'n')
                scan->disc.ping_only = true;
            else
                scan->disc.list_only = true;
            continue;
        }
        char opt[4] = {'-', 's', *c, '\0'};
        const struct scan_module *mod = scan_module_find(opt);
        if (!mod) {
            if (strchr(nmap_known, *c))
                cli_fail("-s%c is not implemented yet: use %s", *c,
                         cli_scan_options(hint, sizeof(hint)));
            else
                cli_fail("unknown scan type '-s%c': see SCAN TECHNIQUES in prtip -h", *c);
            return -1;
        }
        if (mod->proto == PROTO_UDP)
            pd->udp_type = mod->option;
        bool dup = false;
        for (size_t i = 0; i < scan->ntypes; i++) {
            dup |= scan->types[i] == mod;
            if (scan->types[i] != mod && scan->types[i]->proto == mod->proto &&
                mod->proto == PROTO_TCP) {
                cli_fail("You specified more than one type of TCP scan. Please choose only one "
                         "of -sA, -b, -sT, -sF, -sI, -sM, -sN, -sS, -sW, and -sX");
                return -1;
            }
        }
        if (!dup && scan->ntypes < CONFIG_MAX_TYPES)
            scan->types[scan->ntypes++] = mod;
    }
    return 0;
}
