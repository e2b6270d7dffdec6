/*
 * scaninfo.c — the scan-begin record (core/stream.h) from the
 * configuration: the one place that turns what the user asked for into
 * what the outputs' headers say.
 */
#include "core/datafile.h"
#include "engine/plan/plan.h"
#include "scan/probe_kind.h"
#include "scan/scan_module.h"
#include "scan/tcp_classify.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * nmap's <?xml-stylesheet?> href (NmapOps::XSLStyleSheet): what
 * --stylesheet/--webxml gave, none with --no-stylesheet, else nmap.xsl from
 * the data directory as a file:// URL (the default directory's when no
 * directory holds it, as nmap falls back to NMAPDATADIR). *out is owned by
 * the caller; returns 0, or -1 when out of memory.
 */
static int stylesheet_href(const struct config *scan, char **out)
{
    *out = NULL;
    if (scan->no_stylesheet)
        return 0;
    if (scan->stylesheet)
        return (*out = strdup(scan->stylesheet)) ? 0 : -1;
    char path[PATH_MAX], abs[PATH_MAX];
    datafile_find(scan->datadir, "nmap.xsl", path, sizeof(path));
    /* A relative data directory ($PRTIP_DATADIR=share) would make a URL
     * that resolves against nothing: make it absolute when the file is there. */
    const char *p = path[0] != '/' && realpath(path, abs) ? abs : path;
    size_t len = strlen("file://") + strlen(p) + 1;
    if (!(*out = malloc(len)))
        return -1;
    snprintf(*out, len, "file://%s", p);
    return 0;
}

int plan_scan_info(const struct config *scan, struct scan_info *info, char *err, size_t errlen)
{
    if (scan_info_init(info) < 0)
        goto oom;
    if (scan->args && !(info->args = strdup(scan->args)))
        goto oom;
    info->mode = scan->disc.list_only   ? SCAN_MODE_LIST
                 : scan->disc.ping_only ? SCAN_MODE_PING
                                        : SCAN_MODE_PORTS;
    info->verbose = scan->verbose;
    info->debug = scan->debug;
    info->open_only = scan->open_only;
    info->show_reason = scan->show_reason;
    if (stylesheet_href(scan, &info->stylesheet) < 0)
        goto oom;
    if (info->mode != SCAN_MODE_PORTS)
        return 0; /* nmap describes no scan types when no port is scanned */

    for (size_t i = 0; i < scan->ntypes && info->ntypes < SCAN_INFO_MAX_TYPES; i++) {
        const struct scan_module *m = scan->types[i];
        if (!m || m->proto >= PROTO_COUNT)
            continue;
        struct scan_info_type *t = &info->types[info->ntypes];
        snprintf(t->type, sizeof(t->type), "%s", m->xml_type);
        t->proto = m->proto;
        if (m->engine == SCAN_ENGINE_RAW && probe_kind_or_tcp(m->probe) == &probe_tcp &&
            scan->raw.scanflags >= 0)
            tcp_scanflags_format((uint8_t)scan->raw.scanflags, t->scanflags, sizeof(t->scanflags));
        t->nservices = scan->ports.count[m->proto];
        t->services =
            ports_format_ranges(t->nservices ? scan->ports.ports[m->proto] : NULL, t->nservices);
        info->ntypes++; /* counted before the check: scan_info_free frees it */
        if (!t->services)
            goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory describing the scan");
    scan_info_free(info);
    return -1;
}
