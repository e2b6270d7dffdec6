/*
 * import.h — nmap's XML output (nmap.dtd; nmap's or prtip's -oX) read back
 * into the result stream's records (db_import.c), for prtip db import.
 */
#ifndef PRTIP_STORE_IMPORT_H
#define PRTIP_STORE_IMPORT_H

#include "core/services.h"
#include "core/stream.h"

#include <stddef.h>

/*
 * Parse buf (len bytes of an XML document; name for messages, e.g. the
 * file) and feed its scan to sink: begin (nmaprun, scaninfo, verbose),
 * one host per <host>, end (runstats; none = interrupted). Ports folded
 * into <extraports> are expanded from their <extrareasons ports=> lists
 * and named from svc (nmap-services; NULL = unnamed). Records passed to
 * sink are borrowed for the call. No network access (XML_PARSE_NONET),
 * no external entities. Returns 0 with *nhosts set, or -1 with err
 * ("scan.xml:12: not an XML file: ...", "not nmap XML output"). Any
 * thread; libxml2 must be usable from it.
 */
int store_import_xml(const char *buf, size_t len, const char *name, struct services *svc,
                     const struct result_sink *sink, size_t *nhosts, char *err, size_t errlen);

#endif
