/* log.h — leveled, subsystem-tagged diagnostics on stderr (ZMap's log_*). */
#ifndef PRTIP_CORE_LOG_H
#define PRTIP_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
    LOG_ERROR = 0, /* always shown */
    LOG_WARN = 1,  /* always shown */
    LOG_INFO = 2,  /* -v */
    LOG_DEBUG = 3, /* -d */
    LOG_TRACE = 4, /* -dd */
};

/* Set the highest level printed. Called once by main before any thread starts;
 * the level is a process-wide constant afterwards. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Print "prtip: [subsys] message\n" on stderr when level is enabled.
 * Errors print without the tag so that user-facing one-liners stay short.
 * Control bytes in the message are escaped (log_escape): always one line. */
void log_msg(enum log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* log_msg with a va_list. */
void log_vmsg(enum log_level level, const char *subsys, const char *fmt, va_list ap);

/* Copy in to out (size outlen, always NUL-terminated, cut short when full)
 * with every control byte written as an escape (\n, \r, \t, \xHH), so
 * that a message quoting the user's text (a target with a newline, a line
 * of a file) stays one line on the terminal. Returns out. */
char *log_escape(char *out, size_t outlen, const char *in);

#define log_error(sub, ...) log_msg(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_msg(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  log_msg(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LOG_DEBUG, sub, __VA_ARGS__)
#define log_trace(sub, ...) log_msg(LOG_TRACE, sub, __VA_ARGS__)

#endif
