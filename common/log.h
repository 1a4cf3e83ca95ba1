/*
 * Logging for every Tessera program: stderr in the foreground, syslog
 * otherwise.  log_warn() and fatal() append strerror(errno); the *x forms
 * do not.
 */
#ifndef TSR_LOG_H
#define TSR_LOG_H

#include <stdarg.h>

#define TSR_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_init(const char *ident, int foreground, int verbose);
void log_setverbose(int verbose);
int log_getverbose(void);
void log_warn(const char *fmt, ...) TSR_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) TSR_PRINTF(1, 2);
void log_info(const char *fmt, ...) TSR_PRINTF(1, 2);
void log_debug(const char *fmt, ...) TSR_PRINTF(1, 2);
void vlog(int priority, const char *fmt, va_list ap) TSR_PRINTF(2, 0);
__attribute__((noreturn)) void fatal(const char *fmt, ...) TSR_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) TSR_PRINTF(1, 2);

/*
 * For a library's log callback: at verbosity minverbose or more, logs
 * "prefix: message" as debug, without the library's trailing newline.
 */
void log_lib(int minverbose, const char *prefix, const char *fmt, va_list ap)
    TSR_PRINTF(3, 0);

/*
 * Copy src into dst (size dstsz) with every byte outside printable ASCII
 * replaced by a \xNN escape, so untrusted strings can be logged safely.
 * Always NUL-terminates; truncates with "..." when dst is too small.
 */
char *log_escape(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
