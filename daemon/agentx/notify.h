/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-agentx's notification decisions (notify.c): pure, no net-snmp and
 * no socket, so that tests/unit/test_agentx_notify.c drives them with a
 * fake sender.  trap.c feeds them (module events, the cache after each
 * refresh) and sends what they decide with net-snmp's send_v2trap().
 *
 * - Module events: soft-limit, hard-limit and expired give one trap each
 *   (muispSoftLimit, muispHardLimit, muispExpired) with the contract id,
 *   used and limit; other events none.
 * - Pool exhausted: a pool whose free count goes to 0 after it was above
 *   0 gives one muispPoolExhausted; the pool is re-armed when its free
 *   count rises above pool-low-rearm.  A pool first seen empty is not
 *   armed (it was not "exhausted now"); a pool of size 0 never traps.
 * - Drop rate: the kernel's drops (every reason summed) per second over
 *   at least drop-rate-interval; above drop-rate-threshold gives one
 *   muispDropRate, re-armed when the rate falls below half the threshold.
 *   Threshold 0: off.  A counter that went backwards (module reloaded)
 *   starts a new interval.
 * - Export loss: muisp-ipfixd's lost records (overrun + send) rising since
 *   the previous look gives one muispExportLoss per look; the first look,
 *   and counters that went backwards (ipfixd restarted), only take the
 *   new base.
 */
#ifndef MUISP_AGENTX_NOTIFY_H
#define MUISP_AGENTX_NOTIFY_H

#include <stdint.h>

#include "muisp_nl.h"

#define AX_POOL_NAME_MAX 16 /* an interface name with its NUL */
#define AX_NOTIFY_POOLS	 64

/* Values are the notification's arc under muispNotifications (oids.h). */
enum ax_trap_kind {
	AX_TRAP_SOFT_LIMIT = 1,
	AX_TRAP_HARD_LIMIT = 2,
	AX_TRAP_EXPIRED = 3,
	AX_TRAP_POOL_EXHAUSTED = 4,
	AX_TRAP_DROP_RATE = 5,
	AX_TRAP_EXPORT_LOSS = 6,
};

/* One notification to send; the members of its kind are set. */
struct ax_trap {
	enum ax_trap_kind kind;
	/* SOFT_LIMIT, HARD_LIMIT, EXPIRED */
	uint64_t contract_id, used, limit;
	/* POOL_EXHAUSTED: index in muispPoolTable (1-based) */
	uint32_t pool_index;
	char pool_name[AX_POOL_NAME_MAX];
	uint32_t pool_size;
	/* DROP_RATE: drops/s */
	uint64_t rate, threshold;
	/* EXPORT_LOSS: ipfixd's counters now */
	uint64_t lost_overrun, lost_send;
};

typedef void (*ax_trap_send_fn)(const struct ax_trap *t, void *arg);

/* A pool as the cache has it (muispPoolTable order). */
struct ax_pool_free {
	char name[AX_POOL_NAME_MAX];
	uint32_t size, free;
};

/* What one look at the sources found. */
struct ax_notify_in {
	uint64_t now_ms; /* CLOCK_MONOTONIC */
	int have_pools;	 /* dhcpd's database was read */
	const struct ax_pool_free *pools;
	unsigned int npools;
	int have_drops; /* the module answered */
	uint64_t drops; /* sum over every drop reason */
	int have_ipfix; /* muisp-ipfixd answered */
	uint64_t lost_overrun, lost_send;
};

struct ax_notify {
	/* settings (ax_notify_setup) */
	uint64_t drop_threshold;
	uint64_t drop_interval_ms;
	uint32_t pool_rearm;
	/* pools by name (reordering a reload does is harmless) */
	struct {
		char name[AX_POOL_NAME_MAX];
		int armed;
		int seen; /* in the last look */
	} pool[AX_NOTIFY_POOLS];
	unsigned int npools;
	/* drop rate: the start of the current interval */
	int drop_base_valid;
	uint64_t drop_base, drop_base_ms;
	int drop_armed;
	uint64_t drop_rate; /* the last rate measured (drops/s) */
	/* export loss */
	int ipfix_valid;
	uint64_t lost_overrun, lost_send;
};

void ax_notify_setup(struct ax_notify *n, uint64_t drop_threshold,
		     uint32_t drop_interval_s, uint32_t pool_rearm);
/* The trap a module event gives: 1 (t filled) or 0 (none). */
int ax_notify_from_event(const struct muisp_nl_event *ev, struct ax_trap *t);
/* One look: send(t, arg) for each trap due.  Returns the number sent. */
unsigned int ax_notify_look(struct ax_notify *n, const struct ax_notify_in *in,
			    ax_trap_send_fn send, void *arg);

#endif
