// SPDX-License-Identifier: GPL-2.0
/* A muisp multicast group across module reloads: see nl_follow.h. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include <linux/genetlink.h>

#include "evloop.h"
#include "log.h"
#include "nl_follow.h"

#define CTRL_RCVBUF (256 * 1024)

static void follow_retry(struct nl_follow *f);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct nl_follow *f = arg;

	(void)s;
	(void)fd;
	(void)revents;
	if (f->nl)
		f->on_data(f->nl, f->arg);
	return 0;
}

static void follow_down(struct nl_follow *f, const char *why)
{
	if (!f->nl)
		return;
	f->io = sd_event_source_disable_unref(f->io);
	muisp_nl_close(f->nl);
	f->nl = NULL;
	log_warnx("muisp module %s: left its \"%s\" group; no %s until it "
		  "is back",
		  why, f->group, f->what);
	if (f->on_change)
		f->on_change(false, f->arg);
}

/* Open the family and join the group; 0, or -1 (errno) if it is absent. */
static int follow_up(struct nl_follow *f)
{
	struct muisp_nl *nl = muisp_nl_open(MUISP_NL_NONBLOCK);
	int r;

	if (!nl)
		return -1;
	if (muisp_nl_join(nl, f->group) < 0) {
		int saved = errno;

		muisp_nl_close(nl);
		errno = saved;
		return -1;
	}
	if (f->rcvbuf && muisp_nl_set_rcvbuf(nl, f->rcvbuf) < 0)
		log_warn("\"%s\" group: receive buffer of %d bytes", f->group,
			 f->rcvbuf);
	r = sd_event_add_io(f->e, &f->io, muisp_nl_fd(nl), EPOLLIN, on_io, f);
	if (r < 0) {
		muisp_nl_close(nl);
		errno = -r;
		return -1;
	}
	f->nl = nl;
	evloop_timer_stop(f->retry);
	if (f->was_up) {
		f->reloads++;
		log_warnx("muisp module is back (reload %llu): joined its "
			  "\"%s\" group again, %s resume",
			  (unsigned long long)f->reloads, f->group, f->what);
	} else {
		log_info("joined the muisp module's \"%s\" group", f->group);
	}
	f->was_up = true;
	if (f->on_change)
		f->on_change(true, f->arg);
	return 0;
}

static void try_up(struct nl_follow *f)
{
	if (f->nl)
		return;
	if (follow_up(f) == 0) {
		f->warned = false;
		return;
	}
	if (!f->warned)
		log_warn("cannot join the muisp module's \"%s\" group (is "
			 "muisp.ko loaded?); no %s; waiting for it",
			 f->group, f->what);
	f->warned = true;
	follow_retry(f);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)s;
	(void)usec;
	try_up(arg);
	return 0;
}

static void follow_retry(struct nl_follow *f)
{
	uint64_t t = (uint64_t)f->retry_s * EVLOOP_USEC_PER_SEC;

	if (f->retry) {
		evloop_timer_set(f->retry, t);
		return;
	}
	if (evloop_timer(f->e, &f->retry, t, 0, on_retry, f) < 0)
		log_warnx("\"%s\" group: cannot arm the retry timer", f->group);
}

static int ctrl_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_follow *f = arg;
	struct muisp_nl_family fam;
	int cmd = muisp_nl_parse_ctrl(nlh, MUISP_NL_FAMILY, &fam);

	if (cmd == CTRL_CMD_DELFAMILY) {
		follow_down(f, "unloaded");
	} else if (cmd == CTRL_CMD_NEWFAMILY) {
		/* the registration we joined (it came between joining
		 * "notify" and opening the family): nothing to do */
		if (f->nl && fam.id == muisp_nl_family_id(f->nl))
			return MNL_CB_OK;
		/* a new family without the old one's DELFAMILY (missed):
		 * the old membership is void all the same */
		follow_down(f, "registered anew");
		try_up(f);
	}
	return MNL_CB_OK; /* a malformed one is skipped */
}

static int on_ctrl(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct nl_follow *f = arg;

	(void)s;
	(void)fd;
	(void)revents;
	for (;;) {
		if (muisp_nl_recv(f->ctrl, ctrl_cb, f) == 0)
			continue;
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			/* notifications lost: check the family afresh */
			log_warnx("netlink controller: overrun; joining the "
				  "\"%s\" group again",
				  f->group);
			follow_down(f, "state unknown");
			try_up(f);
			continue;
		}
		log_warn("netlink controller: receive");
		return 0;
	}
}

int nl_follow_start(struct nl_follow *f)
{
	int r;

	f->ctrl = muisp_nl_open_family("nlctrl", MUISP_NL_NONBLOCK);
	if (!f->ctrl || muisp_nl_join(f->ctrl, "notify") < 0) {
		/* only the retry timer then: a reload is not seen */
		log_warn("netlink controller: cannot join \"notify\"; a "
			 "module reload will not be followed");
		muisp_nl_close(f->ctrl);
		f->ctrl = NULL;
	} else {
		muisp_nl_set_rcvbuf(f->ctrl, CTRL_RCVBUF);
		r = sd_event_add_io(f->e, &f->ctrl_io, muisp_nl_fd(f->ctrl),
				    EPOLLIN, on_ctrl, f);
		if (r < 0) {
			log_warnx("event loop: %s", strerror(-r));
			return -1;
		}
	}
	/* after joining "notify": a family registered from now on is seen */
	try_up(f);
	return 0;
}

void nl_follow_stop(struct nl_follow *f)
{
	f->io = sd_event_source_disable_unref(f->io);
	f->ctrl_io = sd_event_source_disable_unref(f->ctrl_io);
	f->retry = sd_event_source_disable_unref(f->retry);
	muisp_nl_close(f->nl);
	muisp_nl_close(f->ctrl);
	f->nl = f->ctrl = NULL;
}
