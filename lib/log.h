/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging for muisp daemons and tools, after OpenBSD's log.c: log_warn()
 * appends strerror(errno), log_warnx() does not; fatal()/fatalx() exit.
 * Daemons log to syslog unless started in the foreground (-d), where
 * everything goes to stderr.  errno is preserved by every call.
 */
#ifndef MUISP_LOG_H
#define MUISP_LOG_H

#include <stdarg.h>

#define MUISP_PRINTF(f, a) __attribute__((format(printf, f, a)))

void log_init(int foreground, int syslog_facility);
void log_procinit(const char *procname);
void log_setverbose(int verbose);
int log_getverbose(void);

void log_warn(const char *fmt, ...) MUISP_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) MUISP_PRINTF(1, 2);
void log_info(const char *fmt, ...) MUISP_PRINTF(1, 2);
void log_debug(const char *fmt, ...) MUISP_PRINTF(1, 2);
void vlog(int pri, const char *fmt, va_list ap) MUISP_PRINTF(2, 0);

__attribute__((noreturn)) void fatal(const char *fmt, ...) MUISP_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) MUISP_PRINTF(1, 2);

#endif
