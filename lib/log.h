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
#include <stdint.h>
#include <syslog.h> /* LOG_INFO ... for log_ratelimited() */

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

/*
 * Rate-limited logging, for lines that input from the network (the LAN)
 * can cause at will: bad frames, refused connections, floods.  One
 * struct log_rl per kind of line (usually a static at the call site):
 * at most `burst` lines per `interval` seconds are logged; the rest are
 * counted, and the first line logged after them says how many were
 * suppressed ("...; 1234 similar lines suppressed").  pri is a syslog
 * priority; LOG_DEBUG lines are logged only with -v, like log_debug().
 */
struct log_rl {
	uint32_t interval; /* seconds */
	uint32_t burst;	   /* lines per interval */
	uint64_t start;	   /* of the current interval (monotonic s) */
	uint32_t n;	   /* lines logged in it */
	uint64_t suppressed;
};

#define LOG_RL_INIT(interval_s, burst_n)                      \
	{                                                     \
		.interval = (interval_s), .burst = (burst_n), \
	}

void log_ratelimited(struct log_rl *rl, int pri, const char *fmt, ...)
	MUISP_PRINTF(3, 4);
/* The decision alone, at time now (seconds): 1 log the line (and
 * *suppressed lines were dropped since the last one logged), 0 drop it. */
int log_rl_allow(struct log_rl *rl, uint64_t now, uint64_t *suppressed);
/* Would log_ratelimited() log a line now?  1: build it and call it; 0:
 * it would not, and the line is counted as suppressed (for a hot path
 * whose line costs more to format than to skip). */
int log_rl_want(struct log_rl *rl);

__attribute__((noreturn)) void fatal(const char *fmt, ...) MUISP_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) MUISP_PRINTF(1, 2);

#endif
