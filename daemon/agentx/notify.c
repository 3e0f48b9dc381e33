// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx's notification decisions (notify.h): thresholds, re-arm and
 * edge cases, as pure functions of the looks they are given.
 */
#include <string.h>

#include "notify.h"

void ax_notify_setup(struct ax_notify *n, uint64_t drop_threshold,
		     uint32_t drop_interval_s, uint32_t pool_rearm)
{
	memset(n, 0, sizeof(*n));
	n->drop_threshold = drop_threshold;
	n->drop_interval_ms =
		(uint64_t)(drop_interval_s ? drop_interval_s : 1) * 1000;
	n->pool_rearm = pool_rearm;
	n->drop_armed = 1;
}

int ax_notify_from_event(const struct muisp_nl_event *ev, struct ax_trap *t)
{
	enum ax_trap_kind k;

	switch (ev->type) {
	case MUISP_EVENT_SOFT_LIMIT:
		k = AX_TRAP_SOFT_LIMIT;
		break;
	case MUISP_EVENT_HARD_LIMIT:
		k = AX_TRAP_HARD_LIMIT;
		break;
	case MUISP_EVENT_EXPIRED:
		k = AX_TRAP_EXPIRED;
		break;
	default:
		return 0;
	}
	if (!MUISP_NL_HAS(ev, MUISP_EVENT_A_CONTRACT_ID))
		return 0; /* no contract to name */
	memset(t, 0, sizeof(*t));
	t->kind = k;
	t->contract_id = ev->contract_id;
	t->used = MUISP_NL_HAS(ev, MUISP_EVENT_A_USED) ? ev->used : 0;
	t->limit = MUISP_NL_HAS(ev, MUISP_EVENT_A_LIMIT) ? ev->limit : 0;
	return 1;
}

static int pool_slot(struct ax_notify *n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n->npools; i++)
		if (!strncmp(n->pool[i].name, name, AX_POOL_NAME_MAX))
			return (int)i;
	return -1;
}

static unsigned int look_pools(struct ax_notify *n,
			       const struct ax_notify_in *in,
			       ax_trap_send_fn send, void *arg)
{
	unsigned int i, j, sent = 0;
	struct ax_trap t;

	for (i = 0; i < n->npools; i++)
		n->pool[i].seen = 0;
	for (i = 0; i < in->npools; i++) {
		const struct ax_pool_free *p = &in->pools[i];
		int s = pool_slot(n, p->name);

		if (s < 0) {
			if (n->npools == AX_NOTIFY_POOLS)
				continue;
			s = (int)n->npools++;
			memset(&n->pool[s], 0, sizeof(n->pool[s]));
			memcpy(n->pool[s].name, p->name, AX_POOL_NAME_MAX);
			n->pool[s].name[AX_POOL_NAME_MAX - 1] = 0;
			/* first sight: armed only if it has an address */
			n->pool[s].armed = p->size > 0 && p->free > 0;
			n->pool[s].seen = 1;
			continue;
		}
		n->pool[s].seen = 1;
		if (p->free > n->pool_rearm) {
			n->pool[s].armed = 1;
			continue;
		}
		if (p->free > 0 || p->size == 0 || !n->pool[s].armed)
			continue;
		n->pool[s].armed = 0;
		memset(&t, 0, sizeof(t));
		t.kind = AX_TRAP_POOL_EXHAUSTED;
		t.pool_index = i + 1;
		memcpy(t.pool_name, n->pool[s].name, AX_POOL_NAME_MAX);
		t.pool_size = p->size;
		send(&t, arg);
		sent++;
	}
	/* forget pools that are gone (a reload removed the interface) */
	for (i = j = 0; i < n->npools; i++)
		if (n->pool[i].seen)
			n->pool[j++] = n->pool[i];
	n->npools = j;
	return sent;
}

static unsigned int look_drops(struct ax_notify *n,
			       const struct ax_notify_in *in,
			       ax_trap_send_fn send, void *arg)
{
	uint64_t dt, rate;
	struct ax_trap t;

	if (!in->have_drops) {
		n->drop_base_valid = 0;
		return 0;
	}
	if (!n->drop_base_valid || in->drops < n->drop_base ||
	    in->now_ms < n->drop_base_ms) {
		n->drop_base_valid = 1;
		n->drop_base = in->drops;
		n->drop_base_ms = in->now_ms;
		return 0;
	}
	dt = in->now_ms - n->drop_base_ms;
	if (dt < n->drop_interval_ms)
		return 0;
	/* drops * 1000 cannot overflow for 2^54 drops; clamp beyond */
	rate = in->drops - n->drop_base;
	rate = rate > UINT64_MAX / 1000 ? UINT64_MAX / dt : rate * 1000 / dt;
	n->drop_rate = rate;
	n->drop_base = in->drops;
	n->drop_base_ms = in->now_ms;
	if (!n->drop_threshold)
		return 0;
	if (rate < n->drop_threshold / 2 + (n->drop_threshold & 1)) {
		n->drop_armed = 1; /* below half the threshold */
		return 0;
	}
	if (rate <= n->drop_threshold || !n->drop_armed)
		return 0;
	n->drop_armed = 0;
	memset(&t, 0, sizeof(t));
	t.kind = AX_TRAP_DROP_RATE;
	t.rate = rate;
	t.threshold = n->drop_threshold;
	send(&t, arg);
	return 1;
}

static unsigned int look_ipfix(struct ax_notify *n,
			       const struct ax_notify_in *in,
			       ax_trap_send_fn send, void *arg)
{
	int rose;
	struct ax_trap t;

	if (!in->have_ipfix) {
		n->ipfix_valid = 0;
		return 0;
	}
	rose = n->ipfix_valid && in->lost_overrun >= n->lost_overrun &&
	       in->lost_send >= n->lost_send &&
	       (in->lost_overrun > n->lost_overrun ||
		in->lost_send > n->lost_send);
	n->ipfix_valid = 1;
	n->lost_overrun = in->lost_overrun;
	n->lost_send = in->lost_send;
	if (!rose)
		return 0;
	memset(&t, 0, sizeof(t));
	t.kind = AX_TRAP_EXPORT_LOSS;
	t.lost_overrun = in->lost_overrun;
	t.lost_send = in->lost_send;
	send(&t, arg);
	return 1;
}

unsigned int ax_notify_look(struct ax_notify *n, const struct ax_notify_in *in,
			    ax_trap_send_fn send, void *arg)
{
	unsigned int sent = 0;

	if (in->have_pools)
		sent += look_pools(n, in, send, arg);
	sent += look_drops(n, in, send, arg);
	sent += look_ipfix(n, in, send, arg);
	return sent;
}
