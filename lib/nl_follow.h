/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_follow: a daemon's membership of one multicast group of the muisp
 * family that survives the module being unloaded and loaded again
 * (muisp-ipfixd's "flows", muisp-agentx's "events").
 *
 * When muisp.ko goes away the kernel drops every member of its groups
 * without a word, and a new module registers the family (and its groups)
 * anew, maybe with other ids.  So besides the group's handle this keeps
 * a handle on the generic-netlink controller's "notify" group: on
 * CTRL_CMD_DELFAMILY "muisp" the group's handle is closed (warning), on
 * CTRL_CMD_NEWFAMILY "muisp" the family is resolved again and the group
 * joined again (warning, "reload N").  While the family is absent (also at
 * start-up) a timer retries every retry_s seconds as well, so a missed
 * notification costs at most that long.
 *
 * The caller's on_data(nl, arg) runs when the group's socket is readable
 * (it reads with muisp_nl_recv_events() until EAGAIN); on_change(up, arg)
 * (may be NULL) after the group was left (up 0) or joined (up 1).
 * Needs lib/evloop (sd-event), lib/log and lib/muisp_nl.
 */
#ifndef MUISP_NL_FOLLOW_H
#define MUISP_NL_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "muisp_nl.h"

struct nl_follow {
	/* set by the caller */
	sd_event *e;
	const char *group; /* the group's name */
	const char *what;  /* for messages: "flow records", "events" */
	int rcvbuf;	   /* bytes, 0: the default */
	unsigned int retry_s;
	void (*on_data)(struct muisp_nl *nl, void *arg);
	void (*on_change)(bool up, void *arg);
	void *arg;
	/* state */
	struct muisp_nl *nl, *ctrl;
	sd_event_source *io, *ctrl_io, *retry;
	bool was_up;	  /* joined at least once */
	bool warned;	  /* the "cannot join" warning was logged */
	uint64_t reloads; /* joined again after the family went away */
};

/* Watch the controller and join the group if the family is there (else
 * warn once and wait for it).  0, or -1 if the loop refused a source. */
int nl_follow_start(struct nl_follow *f);
void nl_follow_stop(struct nl_follow *f);
/* The group's handle is open and joined. */
static inline bool nl_follow_up(const struct nl_follow *f)
{
	return f->nl != NULL;
}

#endif
