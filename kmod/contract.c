// SPDX-License-Identifier: GPL-2.0
/*
 * Contracts: status, metric, limits, expiry and the usage charged in the
 * packet path (seed sections 6-7).
 *
 * Contracts live in an xarray indexed by their id (the receipt serial),
 * which gives RCU lookups for the packet path and ordered, resumable
 * dumps.  The index is an unsigned long: every 64-bit id on a 64-bit
 * kernel, ids below 2^32 on a 32-bit one (netlink.c refuses the others).
 * "used" is reserved with a cmpxchg loop so concurrent CPUs never take a
 * contract past its hard limit; status transitions (limits, expiry,
 * netlink) happen under the contract's spinlock, which also keeps the
 * elapsed-time clock consistent with the status.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/netlink.h>

#include "muisp.h"
#include "flowtable.h"

void muisp_contract_table_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->contracts, XA_FLAGS_ACCOUNT);
}

void muisp_contract_table_destroy(struct muisp_net *mn)
{
	struct muisp_contract *c;
	unsigned long id;

	xa_for_each(&mn->contracts, id, c) {
		xa_erase(&mn->contracts, id);
		kfree_rcu(c, rcu);
	}
	xa_destroy(&mn->contracts);
}

struct muisp_contract *muisp_contract_lookup(struct muisp_net *mn, u64 id)
{
	if (id > ULONG_MAX)	/* 32-bit kernels */
		return NULL;
	return xa_load(&mn->contracts, (unsigned long)id);
}

u64 muisp_contract_elapsed_ms(struct muisp_contract *c, u64 now_ms)
{
	u64 base = READ_ONCE(c->elapsed_base_ms);
	u64 since = READ_ONCE(c->active_since_ms);

	if (since && now_ms > since)
		base += now_ms - since;
	return base;
}

u64 muisp_contract_used(struct muisp_contract *c, u64 now_ms)
{
	if (c->metric == MUISP_METRIC_ELAPSED_TIME)
		return muisp_contract_elapsed_ms(c, now_ms);
	return atomic64_read(&c->used);
}

/* Change status; caller holds c->lock.  Keeps the elapsed clock. */
static void set_status_locked(struct muisp_contract *c, u8 status, u64 now)
{
	lockdep_assert_held(&c->lock);
	if (c->status == status)
		return;
	if (c->status == MUISP_CONTRACT_STATUS_ACTIVE) {
		WRITE_ONCE(c->elapsed_base_ms,
			   muisp_contract_elapsed_ms(c, now));
		WRITE_ONCE(c->active_since_ms, 0);
	}
	if (status == MUISP_CONTRACT_STATUS_ACTIVE) {
		WRITE_ONCE(c->active_since_ms, now);
		/* usage time: a gap across a suspension is not charged */
		atomic64_set(&c->last_pkt_ms, 0);
	}
	WRITE_ONCE(c->status, status);
}

/*
 * Leave ACTIVE because of a limit or the expiry (packet path or clock).
 * Emits the event once: only the caller that makes the transition does.
 */
static void contract_stop(struct muisp_net *mn, struct muisp_contract *c,
			  u8 status, u8 reason, u8 event, u64 now)
{
	unsigned long flags;
	bool changed = false;
	u64 used, limit;

	spin_lock_irqsave(&c->lock, flags);
	if (c->status == MUISP_CONTRACT_STATUS_ACTIVE ||
	    (status == MUISP_CONTRACT_STATUS_EXTINGUISHED &&
	     c->status != MUISP_CONTRACT_STATUS_EXTINGUISHED)) {
		set_status_locked(c, status, now);
		c->drop_reason = reason;
		changed = true;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (!changed)
		return;
	used = muisp_contract_used(c, now);
	switch (event) {
	case MUISP_EVENT_SOFT_LIMIT:
		limit = READ_ONCE(c->soft);
		break;
	case MUISP_EVENT_HARD_LIMIT:
		limit = READ_ONCE(c->hard);
		break;
	default:
		limit = READ_ONCE(c->expires_s);
		break;
	}
	muisp_event_contract(mn, event, c, used, limit);
}

/*
 * Move the contract's last-packet time to @now and return the usage time
 * the gap since the previous packet costs.  A busy contract sends many
 * packets per jiffy: a plain read then spares the locked exchange.
 */
static u64 contract_touch(struct muisp_net *mn, struct muisp_contract *c,
			  u64 now)
{
	u64 prev = atomic64_read(&c->last_pkt_ms);

	if (prev == now)
		return 0;
	prev = atomic64_xchg(&c->last_pkt_ms, now);
	return muisp_gate_usage_cost(prev, now,
				     READ_ONCE(mn->cfg.usage_gap_s) * 1000ULL);
}

int muisp_contract_charge(struct muisp_net *mn, struct muisp_contract *c,
			  int dir, unsigned int len)
{
	u64 expires, soft, hard, now, cost, old;
	enum muisp_charge res;

	now = muisp_now_ms();
	expires = READ_ONCE(c->expires_s);
	if (expires && ktime_get_real_seconds() >= expires) {
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
			      MUISP_DROP_EXPIRED, MUISP_EVENT_EXPIRED, now);
		return MUISP_DROP_EXPIRED;
	}
	soft = READ_ONCE(c->soft);
	hard = READ_ONCE(c->hard);

	switch (c->metric) {
	case MUISP_METRIC_ELAPSED_TIME:
		res = muisp_gate_check_time(muisp_contract_elapsed_ms(c, now),
					    soft, hard);
		goto verdict;
	case MUISP_METRIC_USAGE_TIME:
		cost = contract_touch(mn, c, now);
		break;
	case MUISP_METRIC_PACKETS:
		cost = 1;
		break;
	default:
		cost = len;
		break;
	}

	old = atomic64_read(&c->used);
	do {
		res = muisp_gate_charge(old, cost, soft, hard);
		if (res == MUISP_CHARGE_DROP_HARD ||
		    res == MUISP_CHARGE_DROP_SOFT)
			goto verdict;
	} while (!atomic64_try_cmpxchg(&c->used, &old, old + cost));
	if (c->metric == MUISP_METRIC_USAGE_TIME)
		atomic64_add(cost, &c->usage_ms);

verdict:
	switch (res) {
	case MUISP_CHARGE_DROP_HARD:
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
			      MUISP_DROP_HARD_LIMIT, MUISP_EVENT_HARD_LIMIT, now);
		return MUISP_DROP_HARD_LIMIT;
	case MUISP_CHARGE_DROP_SOFT:
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_DELINQUENT,
			      MUISP_DROP_DELINQUENT, MUISP_EVENT_SOFT_LIMIT, now);
		return MUISP_DROP_DELINQUENT;
	default:
		break;
	}
	atomic64_add(len, &c->bytes[dir]);
	atomic64_inc(&c->packets[dir]);
	if (c->metric != MUISP_METRIC_USAGE_TIME) {
		/* usage time is reported for every metric */
		cost = contract_touch(mn, c, now);
		if (cost)
			atomic64_add(cost, &c->usage_ms);
	}
	if (res == MUISP_CHARGE_PASS_HARD)
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
			      MUISP_DROP_HARD_LIMIT, MUISP_EVENT_HARD_LIMIT, now);
	else if (res == MUISP_CHARGE_PASS_SOFT)
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_DELINQUENT,
			      MUISP_DROP_DELINQUENT, MUISP_EVENT_SOFT_LIMIT, now);
	return 0;
}

/* Recompute "used" from the counters after a restore or reset. */
static void contract_resync_used(struct muisp_contract *c)
{
	u64 v;

	switch (c->metric) {
	case MUISP_METRIC_BYTES:
		v = atomic64_read(&c->bytes[0]) + atomic64_read(&c->bytes[1]);
		break;
	case MUISP_METRIC_PACKETS:
		v = atomic64_read(&c->packets[0]) +
		    atomic64_read(&c->packets[1]);
		break;
	case MUISP_METRIC_USAGE_TIME:
		v = atomic64_read(&c->usage_ms);
		break;
	default:
		v = 0;
		break;
	}
	atomic64_set(&c->used, v);
}

/* max: the most contracts the caller may have in the table */
int muisp_contract_set(struct muisp_net *mn,
		       const struct muisp_contract_req *req, u32 max,
		       struct netlink_ext_ack *extack)
{
	struct muisp_contract *c, *fresh = NULL;
	u64 now = muisp_now_ms(), soft, hard, expires;
	unsigned long flags;
	u8 status;
	int ret, i;

	lockdep_assert_held(&mn->lock);
	c = muisp_contract_lookup(mn, req->id);
	if (c && (req->flags & MUISP_CONTRACT_F_EXCL)) {
		NL_SET_ERR_MSG(extack, "contract exists");
		return -EEXIST;
	}
	if (!c) {
		if (!req->metric) {
			NL_SET_ERR_MSG(extack, "a new contract needs a metric");
			return -EINVAL;
		}
		if (mn->ncontracts >= max) {
			NL_SET_ERR_MSG(extack,
				       "contract table full (MUISP_MAX_CONTRACTS; MUISP_USERNS_MAX_CONTRACTS without CAP_NET_ADMIN in the initial user namespace)");
			return -ENOSPC;
		}
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh)
			return -ENOMEM;
		fresh->id = req->id;
		fresh->metric = req->metric;
		fresh->status = MUISP_CONTRACT_STATUS_SUSPENDED;
		spin_lock_init(&fresh->lock);
		c = fresh;
	} else if (req->metric && req->metric != c->metric) {
		NL_SET_ERR_MSG(extack, "the metric of a contract cannot change");
		return -EINVAL;
	}

	soft = req->has_soft ? req->soft : READ_ONCE(c->soft);
	hard = req->has_hard ? req->hard : READ_ONCE(c->hard);
	expires = req->has_expires ? req->expires_s : READ_ONCE(c->expires_s);
	if (soft && hard && soft > hard) {
		NL_SET_ERR_MSG(extack, "soft limit above hard limit");
		ret = -EINVAL;
		goto err;
	}

	spin_lock_irqsave(&c->lock, flags);
	if (req->flags & MUISP_CONTRACT_F_RESET_USAGE) {
		for (i = 0; i < 2; i++) {
			atomic64_set(&c->bytes[i], 0);
			atomic64_set(&c->packets[i], 0);
		}
		atomic64_set(&c->usage_ms, 0);
		c->elapsed_base_ms = 0;
		if (c->active_since_ms)
			c->active_since_ms = now;
	}
	if (req->has_ctr[0])
		atomic64_set(&c->bytes[0], req->ctr[0]);
	if (req->has_ctr[1])
		atomic64_set(&c->packets[0], req->ctr[1]);
	if (req->has_ctr[2])
		atomic64_set(&c->bytes[1], req->ctr[2]);
	if (req->has_ctr[3])
		atomic64_set(&c->packets[1], req->ctr[3]);
	if (req->has_ctr[4]) {
		WRITE_ONCE(c->elapsed_base_ms, req->ctr[4]);
		if (c->active_since_ms)
			WRITE_ONCE(c->active_since_ms, now);
	}
	if (req->has_ctr[5])
		atomic64_set(&c->usage_ms, req->ctr[5]);
	contract_resync_used(c);

	status = req->status;
	if (status) {
		ret = muisp_gate_status_allowed(status,
						muisp_contract_used(c, now),
						soft, hard, expires,
						ktime_get_real_seconds());
		if (ret) {
			spin_unlock_irqrestore(&c->lock, flags);
			if (ret == -ERANGE)
				NL_SET_ERR_MSG(extack,
					       "limit reached or expired: extend first");
			else
				NL_SET_ERR_MSG(extack,
					       "status cannot be requested");
			/*
			 * Counters already restored on an existing contract
			 * are kept: they describe usage, not a decision.
			 */
			goto err;
		}
	}
	WRITE_ONCE(c->soft, soft);
	WRITE_ONCE(c->hard, hard);
	WRITE_ONCE(c->expires_s, expires);
	if (status) {
		set_status_locked(c, status, now);
		c->drop_reason = 0;
	}
	spin_unlock_irqrestore(&c->lock, flags);

	if (fresh) {
		ret = xa_insert(&mn->contracts, (unsigned long)fresh->id, fresh,
				GFP_KERNEL_ACCOUNT);
		if (ret)
			goto err;
		mn->ncontracts++;
		muisp_clock_arm(mn);
	}
	mn->gen_contract++;
	return 0;
err:
	kfree(fresh);
	return ret;
}

int muisp_contract_del(struct muisp_net *mn, u64 id,
		       struct netlink_ext_ack *extack)
{
	struct muisp_flowtable *ft = muisp_ft(mn);
	struct muisp_contract *c;

	lockdep_assert_held(&mn->lock);
	c = muisp_contract_lookup(mn, id);
	if (!c) {
		NL_SET_ERR_MSG(extack, "no such contract");
		return -ENOENT;
	}
	if (c->naddrs) {
		NL_SET_ERR_MSG(extack, "contract is bound to an address");
		return -EBUSY;
	}
	xa_erase(&mn->contracts, (unsigned long)id);
	mn->ncontracts--;
	mn->gen_contract++;
	if (ft)
		muisp_ft_flush(ft, id);
	kfree_rcu(c, rcu);
	return 0;
}

/*
 * Once a second (net lock held): time limits and expiry take effect even
 * without traffic, so their events are timely.
 */
void muisp_contract_clock(struct muisp_net *mn)
{
	u64 now = muisp_now_ms(), real = ktime_get_real_seconds();
	struct muisp_contract *c;
	unsigned long id;

	lockdep_assert_held(&mn->lock);
	xa_for_each(&mn->contracts, id, c) {
		enum muisp_charge res;
		u64 exp;

		if (READ_ONCE(c->status) != MUISP_CONTRACT_STATUS_ACTIVE)
			continue;
		exp = READ_ONCE(c->expires_s);
		if (exp && real >= exp) {
			contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
				      MUISP_DROP_EXPIRED, MUISP_EVENT_EXPIRED,
				      now);
			continue;
		}
		if (c->metric != MUISP_METRIC_ELAPSED_TIME &&
		    c->metric != MUISP_METRIC_USAGE_TIME)
			continue;
		res = muisp_gate_check_time(muisp_contract_used(c, now),
					    READ_ONCE(c->soft),
					    READ_ONCE(c->hard));
		if (res == MUISP_CHARGE_DROP_HARD)
			contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
				      MUISP_DROP_HARD_LIMIT,
				      MUISP_EVENT_HARD_LIMIT, now);
		else if (res == MUISP_CHARGE_DROP_SOFT)
			contract_stop(mn, c, MUISP_CONTRACT_STATUS_DELINQUENT,
				      MUISP_DROP_DELINQUENT,
				      MUISP_EVENT_SOFT_LIMIT, now);
	}
}
