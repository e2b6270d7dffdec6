/*
 * cli_nmap.c — the options of nmap 7.93's command line that prtip does not
 * have yet (cli_internal.h): one table, used both to accept the spelling
 * (so the user gets "not implemented yet" naming the option instead of
 * "unrecognized option") and for the reason printed with the refusal.
 *
 * The list is nmap's: `nmap --help` plus the long options of nmap.cc
 * (Reference Guide, "Options Summary"), minus what prtip implements. The
 * short options nmap has and prtip lacks (-D, -b, -f, -I, -M, -m, -q) are refused from cli.c's
 * short-option string.
 */
#include "cli/cli_internal.h"

#include <getopt.h>
#include <string.h>

/* Reasons, one per area: what is missing and what works today. */
#define R_DISC    "random targets are planned; list targets or use -iL"
#define R_IDLE    "the idle scan is planned; use -sS"
#define R_SCRIPT  "scripts (--script) are planned"
#define R_TRACE   "packet and route tracing are planned; use -d for the engines' decisions"
#define R_EVASION "evasion options are planned"
#define R_PORTS   "use --top-ports N or -p"
#define R_DNS                                                                                      \
    "needs a resolver that asks given servers; prtip asks the system resolver (--system-dns, the " \
    "default)"
#define R_MISC "not needed by prtip's engines yet"

const struct cli_missing cli_missing_opts[] = {
    /* Targets and discovery. */
    {"iR", required_argument, R_DISC},
    {"randomize-hosts", no_argument, "host order is randomized by the raw engine; not yet by -sT"},
    {"rH", no_argument, "host order is randomized by the raw engine; not yet by -sT"},
    {"resolve-all", no_argument, "prtip scans a name's first address (as nmap does by default)"},
    {"unique", no_argument, R_MISC},
    {"discovery-ignore-rst", no_argument, R_MISC},
    {"dns-servers", required_argument, R_DNS},
    /* Scan types and ports. */
    {"sI", required_argument, R_IDLE},
    {"port-ratio", required_argument, R_PORTS},
    {"servicedb", required_argument, "use --datadir DIR with your nmap-services in it"},
    /* Service and OS detection. */
    {"deprecated-xml-osclass", no_argument, "prtip writes nmap's current <osmatch><osclass> form"},
    /* Scripts. */
    {"script", required_argument, R_SCRIPT},
    {"script-args", required_argument, R_SCRIPT},
    {"script-args-file", required_argument, R_SCRIPT},
    {"script-trace", no_argument, R_SCRIPT},
    {"script-updatedb", no_argument, R_SCRIPT},
    {"script-help", required_argument, R_SCRIPT},
    {"script-timeout", required_argument, R_SCRIPT},
    /* Timing. */
    {"defeat-rst-ratelimit", no_argument, R_MISC},
    {"defeat-icmp-ratelimit", no_argument, R_MISC},
    {"nsock-engine", required_argument, "prtip's event loop is epoll only"},
    /* Evasion and spoofing. */
    {"mtu", required_argument, R_EVASION},
    {"ttl", required_argument, R_EVASION},
    {"badsum", no_argument, R_EVASION},
    {"adler32", no_argument, R_EVASION},
    {"data", required_argument, R_EVASION},
    {"data-string", required_argument, R_EVASION},
    {"data-length", required_argument, R_EVASION},
    {"ip-options", required_argument, R_EVASION},
    {"spoof-mac", required_argument, R_EVASION},
    {"proxies", required_argument, R_EVASION},
    {"proxy", required_argument, R_EVASION},
    {"ff", no_argument, R_EVASION},
    {"route-dst", required_argument, R_TRACE},
    /* Output. */
    {"traceroute", no_argument, R_TRACE},
    {"log-errors", no_argument, "errors already go to stderr; redirect it"},
    {"resume", required_argument, "main.c takes --resume FILE when it is the only option"},
    /* Misc. */
    {"release-memory", no_argument, R_MISC},
    {"nogcc", no_argument, R_MISC},
    {"thc", no_argument, R_MISC},
    /* prtip's own planned options (SPEC.md). */
    {NULL, 0, NULL},
};

const struct cli_missing *cli_missing_find(const char *name)
{
    for (const struct cli_missing *m = cli_missing_opts; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}
