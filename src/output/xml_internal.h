/*
 * xml_internal.h — what the two halves of the XML output share: xml.c (the
 * document, hosts, ports, run statistics) and xml_detect.c (what the
 * detection stages add: <service>, <script>, ssl-cert's elements, <os>).
 * All of it runs on the output's thread, on one xml_state.
 */
#ifndef PRTIP_OUTPUT_XML_INTERNAL_H
#define PRTIP_OUTPUT_XML_INTERNAL_H

#include "core/result.h"
#include "output/render.h"

#include <libxml/xmlwriter.h>
#include <stdbool.h>
#include <stdio.h>

struct xml_state {
    xmlTextWriterPtr w;
    FILE *fp;       /* borrowed from the output */
    int err;        /* errno of the first failed write, 0 none */
    bool failed;    /* a libxml2 call failed; reported by the next callback */
    bool skip_host; /* current host is not written (down without -v) */
    bool in_ports;  /* <ports> is open */
};

/* xml_clean (render.h): what XML 1.0 cannot hold replaced by '?'. */

/* Writer steps: each records a libxml2 failure in st->failed instead of
 * returning it, so a host is written straight through and checked once. */
void xml_check(struct xml_state *st, int rc);
void xml_nl(struct xml_state *st);
void xml_start(struct xml_state *st, const char *name);
void xml_end(struct xml_state *st);
void xml_attr(struct xml_state *st, const char *name, const char *value);
void xml_attrf(struct xml_state *st, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* xml_detect.c: the elements of nmap.dtd that -sV, -O and scripts fill. */
void xml_write_service(struct xml_state *st, const struct port_result *p);
void xml_write_tls(struct xml_state *st, const struct tls_info *t);
void xml_write_script(struct xml_state *st, const struct script_output *s);
void xml_write_os(struct xml_state *st, const struct host_result *h);

#endif
