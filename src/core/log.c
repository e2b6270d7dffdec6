#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

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

void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
{
    if (level > max_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (level <= LOG_WARN)
        fprintf(stderr, "prtip: %s%s\n", level == LOG_WARN ? "warning: " : "", buf);
    else
        fprintf(stderr, "prtip: [%s] %s\n", subsys, buf);
}
