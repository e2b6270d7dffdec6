/*
 * datafile.h — reading nmap's data files (nmap-services, nmap-payloads,
 * later nmap-service-probes and nmap-os-db) whole, at run time, from the
 * directory services_datadir() names (Debian package nmap-common).
 */
#ifndef PRTIP_CORE_DATAFILE_H
#define PRTIP_CORE_DATAFILE_H

#include <stddef.h>

/* path when non-NULL, else services_datadir()/name written into buf (len
 * bytes). Returns the path to use. */
const char *datafile_path(const char *name, const char *path, char *buf, size_t len);

/*
 * Where to read data file name, searching as nmap does (Reference Guide,
 * "Runtime Data Files"): dir (--datadir) first when non-NULL and it holds a
 * readable name, else services_datadir() ($PRTIP_DATADIR, else
 * /usr/share/nmap). The path is written into buf (len bytes, cut short if
 * too small); returns buf.
 */
const char *datafile_find(const char *dir, const char *name, char *buf, size_t len);

/*
 * Read all of path into a NUL-terminated buffer the caller frees; *len_out
 * gets its length without the NUL. path must be a regular file: a FIFO or
 * device is refused without blocking (opened O_NONBLOCK, then fstat), and a
 * read that does not return exactly st_size bytes is an error (truncated, or
 * changed while read). Returns NULL with errno set (ENOENT when the file is
 * missing, for callers that can do without it) and a one-line err: "cannot
 * open PATH: No such file or directory (install Debian package
 * nmap-common)" or "cannot read PATH: ...".
 */
char *datafile_read(const char *path, size_t *len_out, char *err, size_t errlen);

/* All of fd read to end of file (blocking as fd does) into a NUL-terminated
 * buffer the caller frees, *len_out its length without the NUL (the data
 * may hold NUL bytes of its own). Returns NULL with errno set on a read
 * error or ENOMEM: never a short buffer taken for the whole. */
char *datafile_read_fd(int fd, size_t *len_out);

#endif
