/*
 * cli_os.c — nmap's OS detection options (nmap(1) "OS Detection"): -O,
 * --osscan-limit, --osscan-guess (--fuzzy), --max-os-tries, and prtip's
 * --os-db FILE and --os-passive (issue 12 point 6: a guess from the SYN
 * scan's own SYN-ACKs, whose SYN then carries nmap's SEQ1 options and
 * window), into struct config's os member.
 */
#include "cli/cli_internal.h"
#include "scan/scan_module.h"

#include <stdlib.h>
#include <string.h>

int cli_os_option(struct config *scan, const char *name, const char *arg)
{
    if (strcmp(name, "O") == 0) {
        if (arg && *arg) {
            cli_fail("invalid -O%s: -O takes no argument (nmap's -O)", arg);
            return -1;
        }
        scan->os.enabled = true;
    } else if (strcmp(name, "osscan-guess") == 0 || strcmp(name, "fuzzy") == 0) {
        scan->os.guess = true;
    } else if (strcmp(name, "os-passive") == 0) {
        scan->os.passive = true;
    } else if (strcmp(name, "osscan-limit") == 0) {
        scan->os.limit = true;
    } else if (strcmp(name, "max-os-tries") == 0) {
        long v;
        if (cli_parse_long("--max-os-tries", arg, 1, 50, &v) < 0)
            return -1;
        scan->os.max_tries = (int)v;
        scan->os.tries_set = true;
    } else if (strcmp(name, "os-db") == 0) {
        if (!*arg) {
            cli_fail("invalid --os-db '': give an nmap-os-db file");
            return -1;
        }
        return cli_set_string(&scan->os.db, arg);
    }
    return 0;
}

int cli_os_check(const struct config *scan)
{
    const struct os_opts *o = &scan->os;
    if (o->passive) {
        bool syn = false;
        for (size_t i = 0; i < scan->ntypes; i++)
            syn = syn || strcmp(scan->types[i]->name, "syn") == 0;
        if (o->enabled) {
            cli_fail("--os-passive and -O together: -O already fingerprints every up host; drop "
                     "one of them");
            return -1;
        }
        if (!syn) {
            cli_fail("--os-passive reads the SYN-ACKs of a SYN scan: add -sS (this scan sends "
                     "no SYN probes)");
            return -1;
        }
        if (o->guess || o->limit || o->tries_set) {
            cli_fail("%s only applies to OS detection: add -O instead of --os-passive",
                     o->guess   ? "--osscan-guess"
                     : o->limit ? "--osscan-limit"
                                : "--max-os-tries");
            return -1;
        }
        return 0;
    }
    if (!o->enabled) {
        const char *lone = o->guess       ? "--osscan-guess"
                           : o->limit     ? "--osscan-limit"
                           : o->tries_set ? "--max-os-tries"
                           : o->db        ? "--os-db"
                                          : NULL;
        if (lone) {
            cli_fail("%s only applies to OS detection: add -O", lone);
            return -1;
        }
        return 0;
    }
    if (!scan->privileged) {
        /* nmap's own words for the same refusal. */
        cli_fail("TCP/IP fingerprinting (for OS scan) requires root privileges.");
        return -1;
    }
    return 0;
}
