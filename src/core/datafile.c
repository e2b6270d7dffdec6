#include "core/datafile.h"
#include "core/services.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

char *datafile_read_fd(int fd, size_t *len_out)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (cap - len < 2) {
            char *nbuf = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
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
    /* O_NONBLOCK: opening a FIFO put in place of a data file must not wait
     * for a writer; it is refused below like any file that is not regular. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (err && errlen)
            snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(e),
                     e == ENOENT ? " (install Debian package nmap-common)" : "");
        errno = e;
        return NULL;
    }
    struct stat st;
    int r = fstat(fd, &st);
    if (r < 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        bool irregular = r == 0;
        close(fd);
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", path,
                     irregular ? "not a regular file (a FIFO, device or directory?)" : strerror(e));
        errno = irregular ? EINVAL : e;
        return NULL;
    }
    errno = 0;
    char *text = datafile_read_fd(fd, len_out);
    int e = errno;
    close(fd);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    /* Fewer bytes than fstat promised: the file shrank while read (or the
     * filesystem is lying); more: it grew. Either way not the file whose
     * entries the caller would trust. */
    if ((uint64_t)*len_out != (uint64_t)st.st_size) {
        if (err && errlen)
            snprintf(err, errlen,
                     "cannot read %s: got %zu bytes of %lld (the file changed while read, or "
                     "is truncated)",
                     path, *len_out, (long long)st.st_size);
        free(text);
        errno = EIO;
        return NULL;
    }
    /* The parsers walk NUL-terminated lines: a NUL inside would end the
     * file there, silently. nmap's data files are text. */
    const char *nul = memchr(text, '\0', *len_out);
    if (nul) {
        unsigned long line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        if (err && errlen)
            snprintf(err, errlen, "%s:%lu: NUL byte in a text file (corrupt, or not %s?)", path,
                     line, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
        free(text);
        errno = EINVAL;
        return NULL;
    }
    return text;
}
