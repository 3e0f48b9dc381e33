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
static sd_event_source *ev_io, *ev_retry, *look_timer;
static struct ax_pool_free pools[AX_NOTIFY_POOLS];

static const oid trap_oid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static void add_c64(netsnmp_variable_list **v, const oid *o, size_t len,
		    uint64_t x)
{
	struct counter64 c = { .high = (u_long)(x >> 32),
			       .low = (u_long)(x & 0xffffffffu) };

	snmp_varlist_add_variable(v, o, len, ASN_COUNTER64, (u_char *)&c,
				  sizeof(c));
}

static const char *kind_name(enum ax_trap_kind k)
{
	switch (k) {
	case AX_TRAP_SOFT_LIMIT:
		return "muispSoftLimit";
	case AX_TRAP_HARD_LIMIT:
		return "muispHardLimit";
	case AX_TRAP_EXPIRED:
		return "muispExpired";
	case AX_TRAP_POOL_EXHAUSTED:
		return "muispPoolExhausted";
	case AX_TRAP_DROP_RATE:
		return "muispDropRate";
	case AX_TRAP_EXPORT_LOSS:
		return "muispExportLoss";
	}
	return "?";
}

/* The sender notify.c is given: the varbinds of PLAN13 section 4.4. */
static void send_trap(const struct ax_trap *t, void *arg)
{
	oid toid[] = { AX_OID_NOTIFICATIONS, (oid)t->kind };
	oid no[] = { AX_OID_NOTIFY_OBJECTS, 0, 0 };
	oid po[] = { AX_OID_POOL_ENTRY, 0, 0 };
	oid xo[] = { AX_OID_IPFIX, 0, 0 };
	netsnmp_variable_list *v = NULL;
	const size_t nlen = OID_LENGTH(no), plen = OID_LENGTH(po);
	uint8_t id[8];
	u_long size;
	int i;

	(void)arg;
	snmp_varlist_add_variable(&v, trap_oid_oid, OID_LENGTH(trap_oid_oid),
				  ASN_OBJECT_ID, (u_char *)toid, sizeof(toid));
	switch (t->kind) {
	case AX_TRAP_SOFT_LIMIT:
	case AX_TRAP_HARD_LIMIT:
	case AX_TRAP_EXPIRED:
		for (i = 0; i < 8; i++)
			id[i] = (uint8_t)(t->contract_id >> (56 - 8 * i));
		no[nlen - 2] = AX_NOTIFY_CONTRACT_ID;
		snmp_varlist_add_variable(&v, no, nlen, ASN_OCTET_STR, id,
					  sizeof(id));
		no[nlen - 2] = AX_NOTIFY_USED;
		add_c64(&v, no, nlen, t->used);
		no[nlen - 2] = AX_NOTIFY_LIMIT;
		add_c64(&v, no, nlen, t->limit);
		log_info("%s: contract %llu, used %llu of %llu",
			 kind_name(t->kind), (unsigned long long)t->contract_id,
			 (unsigned long long)t->used,
			 (unsigned long long)t->limit);
		break;
	case AX_TRAP_POOL_EXHAUSTED:
		po[plen - 1] = t->pool_index;
		po[plen - 2] = AX_POOL_COL_IFNAME;
		snmp_varlist_add_variable(&v, po, plen, ASN_OCTET_STR,
					  (const u_char *)t->pool_name,
					  strnlen(t->pool_name,
						  sizeof(t->pool_name)));
		po[plen - 2] = AX_POOL_COL_SIZE;
		size = t->pool_size;
		snmp_varlist_add_variable(&v, po, plen, ASN_GAUGE,
					  (u_char *)&size, sizeof(size));
		log_info("%s: pool %s (%u addresses) has no free address",
			 kind_name(t->kind), t->pool_name, t->pool_size);
		break;
	case AX_TRAP_DROP_RATE:
		no[nlen - 2] = AX_NOTIFY_RATE;
		add_c64(&v, no, nlen, t->rate);
		no[nlen - 2] = AX_NOTIFY_THRESHOLD;
		add_c64(&v, no, nlen, t->threshold);
		log_info("%s: %llu drops/s over the threshold %llu",
			 kind_name(t->kind), (unsigned long long)t->rate,
			 (unsigned long long)t->threshold);
		break;
	case AX_TRAP_EXPORT_LOSS:
		xo[OID_LENGTH(xo) - 2] = AX_IPFIX_LOST_OVERRUN;
		add_c64(&v, xo, OID_LENGTH(xo), t->lost_overrun);
		xo[OID_LENGTH(xo) - 2] = AX_IPFIX_LOST_SEND;
		add_c64(&v, xo, OID_LENGTH(xo), t->lost_send);
		log_info("%s: ipfixd lost %llu records (overrun) and %llu "
			 "(send)",
			 kind_name(t->kind),
			 (unsigned long long)t->lost_overrun,
			 (unsigned long long)t->lost_send);
		break;
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

static void events_close(struct agentx *ax)
{
	ev_io = sd_event_source_disable_unref(ev_io);
	muisp_nl_close(ax->nl_events);
	ax->nl_events = NULL;
}

static void events_open(struct agentx *ax);

static int on_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	(void)s;
	(void)usec;
	events_open(arg);
	return 0;
}

static void events_retry(struct agentx *ax)
{
	if (!ev_retry) {
		if (evloop_timer(ax->ev, &ev_retry,
				 EVENTS_RETRY_S * EVLOOP_USEC_PER_SEC, 0,
				 on_retry, ax) < 0)
			log_warnx("events: cannot arm the retry timer");
		return;
	}
	evloop_timer_set(ev_retry, EVENTS_RETRY_S * EVLOOP_USEC_PER_SEC);
}

static int on_events(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	static struct log_rl rl = LOG_RL_INIT(60, 3);
	struct agentx *ax = arg;

	(void)s;
	(void)fd;
	(void)revents;
	for (;;) {
		if (muisp_nl_recv_events(ax->nl_events, on_event_cb, NULL,
					 ax) == 0)
			continue;
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			/* the kernel dropped events (it counts them in
			 * events_lost, muispEventsLost); go on */
			log_ratelimited(&rl, LOG_WARNING,
					"events: overrun, some notifications "
					"were lost");
			continue;
		}
		log_warn("events: receive; reopening in %d s", EVENTS_RETRY_S);
		events_close(ax);
		events_retry(ax);
		return 0;
	}
}

static void events_open(struct agentx *ax)
{
	static int warned;
	int r;

	ax->nl_events = muisp_nl_open(MUISP_NL_NONBLOCK);
	if (!ax->nl_events ||
	    muisp_nl_join(ax->nl_events, MUISP_GENL_MCGRP_EVENTS) < 0) {
		if (!warned++)
			log_warn("events: cannot join the muisp family's "
				 "events group (is muisp.ko loaded?); no "
				 "limit or expiry notifications; retrying "
				 "every %d s",
				 EVENTS_RETRY_S);
		muisp_nl_close(ax->nl_events);
		ax->nl_events = NULL;
		events_retry(ax);
		return;
	}
	muisp_nl_set_rcvbuf(ax->nl_events, EVENTS_RCVBUF);
	r = sd_event_add_io(ax->ev, &ev_io, muisp_nl_fd(ax->nl_events), EPOLLIN,
			    on_events, ax);
	if (r < 0) {
		log_warnx("events: event loop: %s", strerror(-r));
		events_close(ax);
		events_retry(ax);
		return;
	}
	warned = 0;
	log_info("events: joined the module's events group");
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
	if (ax->conf.kernel)
		events_open(ax);
	/* a first look now takes the bases; then one per interval */
	if (evloop_timer(ax->ev, &look_timer, 0, period, on_look, ax) < 0) {
		log_warnx("event loop: notification timer");
		return -1;
	}
	return 0;
}

void ax_notify_stop(struct agentx *ax)
{
	events_close(ax);
	ev_retry = sd_event_source_disable_unref(ev_retry);
	look_timer = sd_event_source_disable_unref(look_timer);
}
