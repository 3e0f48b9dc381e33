/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemons' event loop: systemd's sd-event (libsystemd) with the parts
 * every muisp daemon needs set up the same way.
 *
 * - Signals: HUP, INT, TERM and USR1 are blocked and read from a signalfd
 *   by the loop; SIGPIPE is ignored.  TERM/INT end the loop, HUP reloads,
 *   USR1 is the daemon's own (see struct evloop_ops).
 * - systemd readiness (sd_notify(3), a no-op without $NOTIFY_SOCKET):
 *   READY=1 when the loop starts, RELOADING=1 (with MONOTONIC_USEC=) and
 *   READY=1 around a reload, STOPPING=1 on TERM/INT.
 * - Timers on CLOCK_MONOTONIC with 1 ms accuracy (sd-event's default is
 *   250 ms).
 *
 * File descriptors are plain sd_event_add_io() sources; deferred, post and
 * child-process sources are sd-event's own too.  One loop per process (the
 * thread's default sd_event).
 */
#ifndef MUISP_EVLOOP_H
#define MUISP_EVLOOP_H

#include <stdint.h>

#include <systemd/sd-event.h>

#define EVLOOP_USEC_PER_SEC  1000000ULL
#define EVLOOP_USEC_PER_MSEC 1000ULL

struct evloop_ops {
	/* SIGHUP; NULL: ignored.  0 applied, -1 kept the running config. */
	int (*reload)(void *arg);
	/* SIGUSR1; NULL: ignored. */
	void (*usr1)(void *arg);
	/* SIGTERM/SIGINT, before the loop ends; may be NULL. */
	void (*stopping)(void *arg);
};

/* sd_event_default(); block SIGHUP, SIGINT, SIGTERM, SIGUSR1 and ignore
 * SIGPIPE; add their signal sources.  TERM/INT: sd_notify "STOPPING=1",
 * ops->stopping, sd_event_exit(e, 0).  HUP: sd_notify "RELOADING=1" (with
 * MONOTONIC_USEC=), ops->reload, then "READY=1" (with a STATUS= line when
 * the reload was refused).  ops is copied.  0 or -errno. */
int evloop_new(sd_event **out, const struct evloop_ops *ops, void *arg);
/* sd_notify "READY=1", then sd_event_loop(); returns the exit code (<0:
 * -errno). */
int evloop_run(sd_event *e);
void evloop_free(sd_event *e);

/* CLOCK_MONOTONIC timer that first fires usec from now; period_usec > 0
 * re-arms it every period_usec after each call of cb (period_usec from the
 * loop iteration that called cb, unless cb disabled or moved the timer);
 * 0 = one-shot (left disabled after it fires; re-arm with
 * evloop_timer_set).  cb gets arg (for a periodic timer,
 * sd_event_source_get_userdata() is the wrapper's, not arg).  s may be
 * NULL: the timer then lives as long as the loop.  0 or -errno. */
int evloop_timer(sd_event *e, sd_event_source **s, uint64_t usec,
		 uint64_t period_usec, sd_event_time_handler_t cb, void *arg);
/* (Re)arm a timer to fire usec from now and enable it (one-shot).  0 or
 * -errno. */
int evloop_timer_set(sd_event_source *s, uint64_t usec);
/* Disable a timer (NULL is fine).  0 or -errno. */
int evloop_timer_stop(sd_event_source *s);

#endif
