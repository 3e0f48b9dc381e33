// SPDX-License-Identifier: GPL-2.0
/* The daemons' event loop on sd-event: see evloop.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "evloop.h"

#define EVLOOP_ACCURACY_USEC EVLOOP_USEC_PER_MSEC

static const int evloop_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1 };

/* What the signal sources call; shared by the four, freed with the last. */
struct evloop_sig {
	struct evloop_ops ops;
	void *arg;
	unsigned int refs;
};

struct evloop_periodic {
	sd_event_time_handler_t cb;
	void *arg;
	uint64_t period;
};

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * EVLOOP_USEC_PER_SEC +
	       (uint64_t)ts.tv_nsec / 1000;
}

static void evloop_sig_unref(void *userdata)
{
	struct evloop_sig *h = userdata;

	if (--h->refs == 0)
		free(h);
}

static void reload(struct evloop_sig *h)
{
	int r;

	if (!h->ops.reload)
		return;
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)mono_usec());
	r = h->ops.reload(h->arg);
	sd_notify(0, r < 0 ? "READY=1\nSTATUS=reload refused, running "
			     "configuration kept" :
			     "READY=1\nSTATUS=configuration reloaded");
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct evloop_sig *h = userdata;

	switch (si->ssi_signo) {
	case SIGHUP:
		reload(h);
		break;
	case SIGUSR1:
		if (h->ops.usr1)
			h->ops.usr1(h->arg);
		break;
	default: /* SIGTERM, SIGINT */
		sd_notify(0, "STOPPING=1");
		if (h->ops.stopping)
			h->ops.stopping(h->arg);
		return sd_event_exit(sd_event_source_get_event(s), 0);
	}
	return 0;
}

int evloop_new(sd_event **out, const struct evloop_ops *ops, void *arg)
{
	struct evloop_sig *h;
	sd_event *e = NULL;
	sigset_t mask;
	size_t i;
	int r;

	*out = NULL;
	sigemptyset(&mask);
	for (i = 0; i < sizeof(evloop_signals) / sizeof(evloop_signals[0]); i++)
		sigaddset(&mask, evloop_signals[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	r = sd_event_default(&e);
	if (r < 0)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h) {
		sd_event_unref(e);
		return -ENOMEM;
	}
	if (ops)
		h->ops = *ops;
	h->arg = arg;
	for (i = 0; i < sizeof(evloop_signals) / sizeof(evloop_signals[0]);
	     i++) {
		sd_event_source *s;

		r = sd_event_add_signal(e, &s, evloop_signals[i], on_signal, h);
		if (r < 0)
			break;
		h->refs++;
		sd_event_source_set_destroy_callback(s, evloop_sig_unref);
		/* The loop owns it from now on. */
		sd_event_source_set_floating(s, 1);
		sd_event_source_unref(s);
	}
	if (r < 0) {
		if (!h->refs)
			free(h);
		sd_event_unref(e);
		return r;
	}
	*out = e;
	return 0;
}

int evloop_run(sd_event *e)
{
	sd_notify(0, "READY=1");
	return sd_event_loop(e);
}

void evloop_free(sd_event *e)
{
	sd_event_unref(e);
}

static int periodic_fire(sd_event_source *s, uint64_t usec, void *userdata)
{
	const struct evloop_periodic *p = userdata;
	uint64_t t;
	int r, on;

	r = p->cb(s, usec, p->arg);
	if (r < 0)
		return r;
	/* Leave it alone if cb disabled it, made it one-shot or moved it. */
	if (sd_event_source_get_enabled(s, &on) < 0 || on != SD_EVENT_ON ||
	    sd_event_source_get_time(s, &t) < 0 || t != usec)
		return r;
	return sd_event_source_set_time_relative(s, p->period);
}

int evloop_timer(sd_event *e, sd_event_source **s, uint64_t usec,
		 uint64_t period_usec, sd_event_time_handler_t cb, void *arg)
{
	struct evloop_periodic *p;
	sd_event_source *src;
	int r;

	if (!period_usec) {
		r = sd_event_add_time_relative(e, &src, CLOCK_MONOTONIC, usec,
					       EVLOOP_ACCURACY_USEC, cb, arg);
		if (r < 0)
			return r;
	} else {
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		*p = (struct evloop_periodic){ cb, arg, period_usec };
		r = sd_event_add_time_relative(e, &src, CLOCK_MONOTONIC, usec,
					       EVLOOP_ACCURACY_USEC,
					       periodic_fire, p);
		if (r < 0) {
			free(p);
			return r;
		}
		sd_event_source_set_destroy_callback(src, free);
		r = sd_event_source_set_enabled(src, SD_EVENT_ON);
		if (r < 0) {
			sd_event_source_unref(src);
			return r;
		}
	}
	if (s) {
		*s = src;
	} else {
		sd_event_source_set_floating(src, 1);
		sd_event_source_unref(src);
	}
	return 0;
}

int evloop_timer_set(sd_event_source *s, uint64_t usec)
{
	int r = sd_event_source_set_time_relative(s, usec);

	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int evloop_timer_stop(sd_event_source *s)
{
	if (!s)
		return 0;
	return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}
