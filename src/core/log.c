#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Written once before threads start, read-only afterwards. */
static enum log_level max_level = LOG_WARN;

void log_set_level(enum log_level level)
{
    max_level = level;
}

enum log_level log_get_level(void)
{
    return max_level;
}

char *log_escape(char *out, size_t outlen, const char *in)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (!outlen)
        return out;
    for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
        char e[5] = {(char)*c, 0};
        if (*c == '\n' || *c == '\r' || *c == '\t') {
            e[0] = '\\';
            e[1] = *c == '\n' ? 'n' : *c == '\r' ? 'r' : 't';
        } else if (*c < 0x20 || *c == 0x7f) {
            e[0] = '\\', e[1] = 'x', e[2] = hex[*c >> 4], e[3] = hex[*c & 15];
        }
        size_t n = strlen(e);
        if (o + n >= outlen)
            break;
        memcpy(out + o, e, n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap)
{
    if (level > max_level)
        return;
    char buf[2048], line[8192];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    log_escape(line, sizeof(line), buf);
    if (level <= LOG_WARN)
        fprintf(stderr, "prtip: %s%s\n", level == LOG_WARN ? "warning: " : "", line);
    else
        fprintf(stderr, "prtip: [%s] %s\n", subsys, line);
}

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, subsys, fmt, ap);
    va_end(ap);
}
