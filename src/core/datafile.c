#include "core/datafile.h"
#include "core/services.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *datafile_path(const char *name, const char *path, char *buf, size_t len)
{
    if (path)
        return path;
    snprintf(buf, len, "%s/%s", services_datadir(), name);
    return buf;
}

const char *datafile_find(const char *dir, const char *name, char *buf, size_t len)
{
    if (dir && *dir) {
        snprintf(buf, len, "%s/%s", dir, name);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    snprintf(buf, len, "%s/%s", services_datadir(), name);
    return buf;
}

/* All of fd, NUL-terminated; NULL with errno set. */
static char *read_all(int fd, size_t *len_out)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - len < 2) {
            char *nbuf = realloc(buf, cap * 2);
            if (!nbuf) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = nbuf;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

char *datafile_read(const char *path, size_t *len_out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (err && errlen)
            snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(e),
                     e == ENOENT ? " (install Debian package nmap-common)" : "");
        errno = e;
        return NULL;
    }
    char *text = read_all(fd, len_out);
    int e = errno;
    close(fd);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        errno = e;
    }
    return text;
}
