/*
 * services.h — nmap-services: port/protocol to service name, and the
 * open-frequency ranking behind --top-ports, -F and the default 1000 ports.
 *
 * The file comes from Debian's nmap-common (/usr/share/nmap/nmap-services) and
 * is read at run time, never copied. Format: "name<TAB>port/proto<TAB>freq".
 */
#ifndef PRTIP_CORE_SERVICES_H
#define PRTIP_CORE_SERVICES_H

#include <stddef.h>
#include <stdint.h>

struct services; /* opaque */

/* Directory holding nmap's data files: $PRTIP_DATADIR if set, else
 * /usr/share/nmap. Returned string is static. */
const char *services_datadir(void);

/*
 * Load path (NULL = services_datadir()/nmap-services). Returns NULL with a
 * one-line message in err on failure; a missing file names the file and
 * the Debian package: "cannot open /usr/share/nmap/nmap-services: No such file
 * or directory (install Debian package nmap-common)". Malformed lines are
 * skipped, as nmap does.
 */
struct services *services_load(const char *path, char *err, size_t errlen);
/*
 * The same parse over len bytes of nmap-services text already in memory
 * (copied; data need not be NUL-terminated). name stands for the file in
 * messages. For the fuzz harness and tests; services_load reads the file
 * and parses it so.
 */
struct services *services_parse(const char *data, size_t len, const char *name, char *err,
                                size_t errlen);
void services_free(struct services *s);

/* Service name for port (host order) and proto (IPPROTO_TCP/UDP/SCTP), or NULL
 * when unknown. The string is owned by s. */
const char *services_name(const struct services *s, uint16_t port, int proto);

/*
 * The n most frequently open ports of proto, most frequent first (ties by
 * port number). Writes at most max entries to out and returns how many were
 * written (fewer if the file lists fewer). For --top-ports, -F (100) and
 * the default scan (1000).
 */
size_t services_top(const struct services *s, int proto, size_t n, uint16_t *out, size_t max);

/*
 * Ports of proto whose service name matches pattern (fnmatch(3) glob, as
 * nmap's "-p http*"), ignoring case as nmap does. Calls fn for each in
 * ascending port order; returns how many matched.
 */
size_t services_match(const struct services *s, const char *pattern, int proto,
                      void (*fn)(uint16_t port, void *arg), void *arg);

#endif
