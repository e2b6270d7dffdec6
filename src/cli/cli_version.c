/*
 * cli_version.c — nmap's service/version detection options (nmap(1)
 * "Service and Version Detection"): --version-intensity, --version-light,
 * --version-all, --version-trace, --allports, prtip's --version-timeout and
 * --versiondb, into struct config's version member; and, once the whole
 * line is read, their need for -sV (or -A) and a port scan. -sV itself is
 * a -s letter (cli_types.c), -A a short option (cli.c).
 */
#include "cli/cli_internal.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

int cli_version_option(struct config *scan, struct pending *pd, const char *name, const char *arg)
{
    pd->version_opt = name;
    if (strcmp(name, "version-intensity") == 0) {
        long v;
        if (cli_parse_long("--version-intensity", arg, 0, 9, &v) < 0)
            return -1;
        scan->version.intensity = (int)v;
    } else if (strcmp(name, "version-light") == 0) {
        scan->version.intensity = 2;
    } else if (strcmp(name, "version-all") == 0) {
        scan->version.intensity = 9;
    } else if (strcmp(name, "version-trace") == 0) {
        scan->version.trace = true;
    } else if (strcmp(name, "allports") == 0) {
        scan->version.all_ports = true;
    } else if (strcmp(name, "version-timeout") == 0) {
        return cli_parse_positive_time("--version-timeout", arg, &scan->version.timeout_ms);
    } else if (strcmp(name, "versiondb") == 0) {
        if (!*arg) {
            cli_fail("invalid --versiondb '': give the path of an nmap-service-probes file");
            return -1;
        }
        return cli_set_string(&scan->version.db, arg);
    }
    return 0;
}

int cli_version_check(const struct config *scan, const struct pending *pd)
{
    if (pd->version_opt && !scan->version.enabled) {
        cli_fail("--%s applies to service detection: add -sV (or -A)", pd->version_opt);
        return -1;
    }
    if (!scan->version.enabled)
        return 0;
    const char *opt = pd->aggressive ? "-A" : "-sV";
    if (scan->disc.ping_only || scan->disc.list_only) {
        cli_fail("%s needs a port scan: drop %s or the -sn/-sL", opt,
                 scan->disc.ping_only ? "-sn" : "-sL");
        return -1;
    }
    if (scan->raw.dry_run) {
        cli_fail("--dry-run prints the port scan's probes only: drop %s or --dry-run", opt);
        return -1;
    }
    if (pd->aggressive) /* said once, so -A is never taken for more than it does */
        log_warn("cli", "-A runs service and OS detection (-sV -O) only: default scripts "
                        "(-sC) and --traceroute are not implemented yet");
    return 0;
}
