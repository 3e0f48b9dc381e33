// SPDX-License-Identifier: GPL-2.0
/* Logging: see log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_fg = 1;
static int log_verbose;
static const char *log_proc;

void log_init(int foreground, int syslog_facility)
{
	log_fg = foreground;
	if (!log_fg)
		openlog(program_invocation_short_name, LOG_PID | LOG_NDELAY,
			syslog_facility);
	tzset();
}

void log_procinit(const char *procname)
{
	log_proc = procname;
}

void log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int log_getverbose(void)
{
	return log_verbose;
}

void vlog(int pri, const char *fmt, va_list ap)
{
	int saved = errno;

	if (log_fg) {
		if (log_proc)
			fprintf(stderr, "%s: ", log_proc);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else {
		vsyslog(pri, fmt, ap);
	}
	errno = saved;
}

static void logit(int pri, const char *fmt, ...) MUISP_PRINTF(2, 3);
static void logit(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void vwarn_errno(int pri, const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[1024];

	if (!fmt) {
		logit(pri, "%s", strerror(saved));
	} else {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		logit(pri, "%s: %s", buf, strerror(saved));
	}
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

int log_rl_allow(struct log_rl *rl, uint64_t now, uint64_t *suppressed)
{
	*suppressed = 0;
	if (!rl->start || now >= rl->start + rl->interval || now < rl->start) {
		rl->start = now ? now : 1;
		rl->n = 0;
	}
	if (rl->n >= rl->burst) {
		rl->suppressed++;
		return 0;
	}
	rl->n++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return 1;
}

/* log_ratelimited()'s clock: monotonic seconds, never 0 */
static uint64_t rl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec + 1;
}

int log_rl_want(struct log_rl *rl)
{
	uint64_t now = rl_now();

	if (!rl->start || now >= rl->start + rl->interval || now < rl->start ||
	    rl->n < rl->burst)
		return 1;
	rl->suppressed++;
	return 0;
}

void log_ratelimited(struct log_rl *rl, int pri, const char *fmt, ...)
{
	int saved = errno;
	uint64_t dropped;
	char buf[1024];
	va_list ap;

	if (pri == LOG_DEBUG && log_verbose < 1)
		return;
	if (!log_rl_allow(rl, rl_now(), &dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (dropped)
		logit(pri, "%s; %llu similar lines suppressed", buf,
		      (unsigned long long)dropped);
	else
		logit(pri, "%s", buf);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
