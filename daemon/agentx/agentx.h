/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-agentx: the AgentX subagent that serves MUISP-MIB
 * (mibs/MUISP-MIB.txt) under the operator's snmpd.  One thread on one
 * sd-event loop; net-snmp's sockets and alarms are driven from it
 * (snmploop.c).  Every object is answered from a cache (cache.c) that is
 * rebuilt at most once per cache-ttl, on demand, from read-only sources:
 * the module (genl), muispd (operator socket, MP_T_OP_SNAPSHOT and
 * MP_T_OP_STATS), muisp-dhcpd's lease database, and muisp-ipfixd's
 * counters.  Files: main.c (start, signals), config.c, snmploop.c,
 * cache.c (sources -> struct ax_cache), tables.c and scalars.c (net-snmp
 * handlers), notify.c (trap decisions, pure) and trap.c (sending them),
 * oids.h (every MUISP-MIB arc used).
 */
#ifndef MUISP_AGENTX_H
#define MUISP_AGENTX_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "muisp_nl.h"
#include "nl_follow.h"
#include "opclient.h"
#include "stats_cat.h"

#define AX_CONF_PATH "/etc/muisp/muisp-agentx.conf"

/* muisp-agentx.conf (muisp-agentx.conf.5). */
struct ax_conf {
	char agentx_socket[108]; /* "unix:/run/agentx/master" or "tcp:..." */
	char muispd_socket[108];
	char ipfixd_socket[108];
	char dhcpd_db[256];
	int kernel;		    /* read the module (default 1) */
	uint32_t cache_ttl_ms;	    /* tables rebuilt when older (5000) */
	uint32_t source_timeout_ms; /* per daemon reply (500) */
	uint32_t ping_interval_s;   /* AgentX ping; reconnect (1..) */
	/* notifications */
	uint64_t drop_rate_threshold; /* drops/s, 0 = off */
	uint32_t drop_rate_interval_s;
	uint32_t pool_low_rearm; /* free addresses to re-arm */
};

struct ax_cache; /* cache.c */

struct agentx {
	struct ax_conf conf;
	sd_event *ev;
	struct muisp_nl *nl;	 /* NULL: no module (kernel no) */
	struct nl_follow events; /* the events group, for trap.c */
	struct opclient mpd, ipfixd;
	struct ax_cache *cache;
	uint64_t source_errors; /* muispSourceErrors */
};

/* config.c: defaults, then FILE (NULL: AX_CONF_PATH; absent is fine only
 * for the default path).  0, or -1 after printing FILE:LINE: reason. */
int ax_conf_load(struct ax_conf *c, const char *file);
/* The defaults (muisp-agentx.conf.5), and the pure parser under them:
 * 0, or -1 with "NAME:LINE: reason" in err. */
void ax_conf_defaults(struct ax_conf *c);
int ax_conf_parse(struct ax_conf *c, const char *name, const char *text,
		  char *err, size_t errlen);

/* snmploop.c: net-snmp as a subagent on ax->ev.  ax_snmp_init() before
 * registering objects, ax_snmp_start() after. */
int ax_snmp_init(struct agentx *ax);
int ax_snmp_start(struct agentx *ax);
void ax_snmp_stop(struct agentx *ax);

/* tables.c + scalars.c: register every MUISP-MIB object. */
int ax_register_objects(struct agentx *ax);

/* cache.c.  The cache is fresh enough for a request: the scalars when
 * older than 1 s, and the tables as well when TABLES and older than
 * cache-ttl.  Failing sources keep their previous values and count in
 * ax->source_errors.  The cache is replaced whole (one thread: between
 * two PDUs). */
int ax_cache_init(struct agentx *ax);
void ax_cache_refresh(struct agentx *ax, int tables);
void ax_cache_free(struct agentx *ax);
/* The counters snapshot of the cache (scalars, counter table, notify). */
const struct stats_snap *ax_cache_stats(const struct agentx *ax);
/* Milliseconds since the cache was built (muispCacheAge). */
uint32_t ax_cache_age_ms(const struct agentx *ax);
/* The pools of the last refresh, muispPoolTable order (notify.h's struct:
 * interface name, size, free), at most max: their number, or -1 when
 * dhcpd's database could not be read.  The scalars' refresh (tables 0)
 * reads them too: notify.c looks every drop-rate-interval. */
struct ax_pool_free;
int ax_cache_pools(const struct agentx *ax, struct ax_pool_free *out,
		   unsigned int max);

/* trap.c (decisions in notify.c, notify.h): traps.  ax_notify_init()
 * joins the module's events group (ax->events, lib/nl_follow: waits
 * while the module is absent, joins again after a reload) and starts a
 * look every drop-rate-interval.
 * ax_notify_event() for each module event (soft/hard limit, expiry);
 * ax_notify_check() after each cache refresh (pool exhausted, drop rate,
 * export loss). */
int ax_notify_init(struct agentx *ax);
void ax_notify_event(struct agentx *ax, const struct muisp_nl_event *ev);
void ax_notify_check(struct agentx *ax);
void ax_notify_stop(struct agentx *ax);

#endif
