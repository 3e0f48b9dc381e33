// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx's notifications: the module's events group (soft limit,
 * hard limit, expiry) and a look at the cache every drop-rate-interval
 * (pool exhausted, drop rate, export loss).  What to send is decided in
 * notify.c (pure); here it becomes an SNMPv2 trap through the master
 * (send_v2trap(): snmpd adds sysUpTime.0 and sends it to its trap2sink /
 * informsink / trapsess destinations).  While the master is down a trap
 * is lost (net-snmp keeps no queue); the log says it was due.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx.h"
#include "evloop.h"
#include "log.h"
#include "notify.h"
#include "oids.h"

#define EVENTS_RETRY_S 10
#define EVENTS_RCVBUF  (1 << 20)

static struct ax_notify N;
static sd_event_source *look_timer;
static struct ax_pool_free pools[AX_NOTIFY_POOLS];

/* The sender notify.c is given. */
static void send_trap(const struct ax_trap *t, void *arg)
{
	netsnmp_variable_list *v;

	(void)arg;
	switch (t->kind) {
	case AX_TRAP_SOFT_LIMIT:
	case AX_TRAP_HARD_LIMIT:
	case AX_TRAP_EXPIRED:
		log_info("%s: contract %llu, used %llu, limit %llu",
			 ax_trap_name(t->kind),
			 (unsigned long long)t->contract_id,
			 (unsigned long long)t->used,
			 (unsigned long long)t->limit);
		break;
	case AX_TRAP_POOL_EXHAUSTED:
		log_info("%s: pool %s (%u addresses) has no free address",
			 ax_trap_name(t->kind), t->pool_name, t->pool_size);
		break;
	case AX_TRAP_DROP_RATE:
		log_info("%s: %llu drops/s over the threshold %llu",
			 ax_trap_name(t->kind), (unsigned long long)t->rate,
			 (unsigned long long)t->threshold);
		break;
	case AX_TRAP_EXPORT_LOSS:
		log_info("%s: ipfixd lost %llu records (overrun) and %llu "
			 "(send)",
			 ax_trap_name(t->kind),
			 (unsigned long long)t->lost_overrun,
			 (unsigned long long)t->lost_send);
		break;
	}
	v = ax_trap_varbinds(t);
	if (!v) {
		log_warnx("%s: out of memory", ax_trap_name(t->kind));
		return;
	}
	send_v2trap(v);
	snmp_free_varbind(v);
}

/* ---- the module's events ---- */

static int on_event_cb(const struct muisp_nl_event *o, void *arg)
{
	ax_notify_event(arg, o);
	return MNL_CB_OK;
}

static void on_events(struct muisp_nl *nl, void *arg)
{
	static struct log_rl rl = LOG_RL_INIT(60, 3);
	struct agentx *ax = arg;

	for (;;) {
		if (muisp_nl_recv_events(nl, on_event_cb, NULL, ax) == 0)
			continue;
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == ENOBUFS) {
			/* the kernel dropped events (it counts them in
			 * events_lost, muispEventsLost); go on */
			log_ratelimited(&rl, LOG_WARNING,
					"events: overrun, some notifications "
					"were lost");
			continue;
		}
		/* the module's own socket: nothing else can fail here; the
		 * family's going away comes from nl_follow */
		log_warn("events: receive");
		return;
	}
}

void ax_notify_event(struct agentx *ax, const struct muisp_nl_event *ev)
{
	struct ax_trap t;

	(void)ax;
	if (ax_notify_from_event(ev, &t))
		send_trap(&t, NULL);
}

/* ---- looks at the cache ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ax_notify_check(struct agentx *ax)
{
	const struct stats_snap *s = ax_cache_stats(ax);
	const struct stats_val *o, *l;
	struct ax_notify_in in;
	unsigned int i;
	int np;

	memset(&in, 0, sizeof(in));
	in.now_ms = now_ms();
	np = ax_cache_pools(ax, pools, AX_NOTIFY_POOLS);
	if (np >= 0) {
		in.have_pools = 1;
		in.pools = pools;
		in.npools = (unsigned int)np;
	}
	if (s && (s->present & STATS_SRC_KERNEL)) {
		in.have_drops = 1;
		for (i = 0; i <= MUISP_DROP_MAX; i++)
			in.drops += s->kernel.drops[i];
	}
	if (s && (s->present & STATS_SRC_IPFIXD)) {
		o = stats_find(s, "ipfix_records_lost_overrun");
		l = stats_find(s, "ipfix_records_lost_send");
		in.have_ipfix = o || l;
		in.lost_overrun = o ? o->value : 0;
		in.lost_send = l ? l->value : 0;
	}
	ax_notify_look(&N, &in, send_trap, NULL);
}

static int on_look(sd_event_source *s, uint64_t usec, void *arg)
{
	struct agentx *ax = arg;

	(void)s;
	(void)usec;
	ax_cache_refresh(ax, 0);
	ax_notify_check(ax);
	return 0;
}

int ax_notify_init(struct agentx *ax)
{
	uint64_t period =
		(uint64_t)ax->conf.drop_rate_interval_s * EVLOOP_USEC_PER_SEC;

	ax_notify_setup(&N, ax->conf.drop_rate_threshold,
			ax->conf.drop_rate_interval_s, ax->conf.pool_low_rearm);
	if (ax->conf.kernel) {
		ax->events.e = ax->ev;
		ax->events.group = MUISP_GENL_MCGRP_EVENTS;
		ax->events.what = "limit or expiry notifications";
		ax->events.rcvbuf = EVENTS_RCVBUF;
		ax->events.retry_s = EVENTS_RETRY_S;
		ax->events.on_data = on_events;
		ax->events.arg = ax;
		if (nl_follow_start(&ax->events) < 0)
			return -1;
	}
	/* a first look now takes the bases; then one per interval */
	if (evloop_timer(ax->ev, &look_timer, 0, period, on_look, ax) < 0) {
		log_warnx("event loop: notification timer");
		return -1;
	}
	return 0;
}

void ax_notify_stop(struct agentx *ax)
{
	nl_follow_stop(&ax->events);
	look_timer = sd_event_source_disable_unref(look_timer);
}
