// SPDX-License-Identifier: GPL-2.0
/*
 * Contracts: status, metric, limits, expiry and the usage charged in the
 * packet path (seed sections 6-7).
 *
 * Contracts live in an xarray indexed by their id (the receipt serial),
 * which gives RCU lookups for the packet path and ordered, resumable
 * dumps.  The index is an unsigned long: every 64-bit id on a 64-bit
 * kernel, ids below 2^32 on a 32-bit one (netlink.c refuses the others).
 * The counting metrics (bytes, packets, usage time) are charged through
 * per-CPU quota slices (quota.h): a packet writes only its CPU's share
 * of the contract, and the pool hands out slices that never let the sum
 * of charged usage pass the hard limit; the last bytes before a limit are
 * granted one packet at a time, exactly.  Status transitions (limits,
 * expiry, netlink) happen under the contract's spinlock, which also keeps
 * the elapsed-time clock consistent with the status.
 *
 * Readers (netlink dumps, events, the daemon's settlement through them)
 * sum the per-CPU counters: exact when no packet of the contract is in
 * flight; otherwise each CPU may add at most the packet it is charging
 * (between its quota step and its counter update) after the reader's
 * pass, so a reading is low by at most one packet per CPU, never high.
 * Usage used for limits is the pool's, which is exact.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/netlink.h>
#include <linux/percpu.h>

#include "muisp.h"
#include "flowtable.h"

/* every packet reads one line of the contract; the written ones are apart */
static_assert(offsetofend(struct muisp_contract, active_since_ms) <= 64);
#ifdef CONFIG_SMP
static_assert(offsetof(struct muisp_contract, lock) % SMP_CACHE_BYTES == 0);
static_assert(offsetof(struct muisp_contract, quota) % SMP_CACHE_BYTES == 0);
#endif

void muisp_contract_table_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->contracts, XA_FLAGS_ACCOUNT);
}

static void contract_free_rcu(struct rcu_head *head)
{
	struct muisp_contract *c = container_of(head, struct muisp_contract,
						rcu);

	free_percpu(c->pcpu);
	kfree(c);
}

void muisp_contract_table_destroy(struct muisp_net *mn)
{
	struct muisp_contract *c;
	unsigned long id;

	xa_for_each(&mn->contracts, id, c) {
		xa_erase(&mn->contracts, id);
		call_rcu(&c->rcu, contract_free_rcu);
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

/* The usage a counting metric charges, from the counters. */
static u64 contract_metric_usage(u8 metric,
				 const struct muisp_contract_ctrs *t)
{
	switch (metric) {
	case MUISP_METRIC_BYTES:
		return t->bytes[0] + t->bytes[1];
	case MUISP_METRIC_PACKETS:
		return t->packets[0] + t->packets[1];
	case MUISP_METRIC_USAGE_TIME:
		return t->usage_ms;
	default:
		return 0;
	}
}

u64 muisp_contract_counters(struct muisp_contract *c,
			    struct muisp_contract_ctrs *out, u64 now_ms)
{
	int cpu, i;

	for (i = 0; i < 2; i++) {
		out->bytes[i] = READ_ONCE(c->base_bytes[i]);
		out->packets[i] = READ_ONCE(c->base_packets[i]);
	}
	out->usage_ms = READ_ONCE(c->base_usage_ms);
	for_each_possible_cpu(cpu) {
		struct muisp_contract_cpu *p = per_cpu_ptr(c->pcpu, cpu);

		for (i = 0; i < 2; i++) {
			out->bytes[i] += READ_ONCE(p->bytes[i]);
			out->packets[i] += READ_ONCE(p->packets[i]);
		}
		out->usage_ms += READ_ONCE(p->usage_ms);
	}
	if (c->metric == MUISP_METRIC_ELAPSED_TIME)
		return muisp_contract_elapsed_ms(c, now_ms);
	return contract_metric_usage(c->metric, out);
}

u64 muisp_contract_used(struct muisp_contract *c, u64 now_ms)
{
	struct muisp_contract_ctrs t;

	return muisp_contract_counters(c, &t, now_ms);
}

/*
 * Slice sizes per metric: far from a limit a CPU refills once per
 * slice_max; within slice_min << shift of one, charges are exact.
 */
static const struct muisp_quota_par contract_quota_par[] = {
	[MUISP_METRIC_BYTES] = { MUISP_QUOTA_BYTES_MIN, MUISP_QUOTA_BYTES_MAX },
	[MUISP_METRIC_PACKETS] = { MUISP_QUOTA_PACKETS_MIN,
				   MUISP_QUOTA_PACKETS_MAX },
	[MUISP_METRIC_USAGE_TIME] = { MUISP_QUOTA_USAGE_MS_MIN,
				      MUISP_QUOTA_USAGE_MS_MAX },
	[MUISP_METRIC_ELAPSED_TIME] = { .slice_min = 1, .slice_max = 1 },
};

static const struct muisp_quota_par *contract_par(const struct muisp_contract *c)
{
	return &contract_quota_par[c->metric < ARRAY_SIZE(contract_quota_par) ?
				   c->metric : MUISP_METRIC_BYTES];
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
	struct muisp_contract_cpu *p;
	u64 expires, now, cost, touch;
	enum muisp_charge res;

	now = muisp_now_ms();
	expires = READ_ONCE(c->expires_s);
	if (expires && ktime_get_real_seconds() >= expires) {
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
			      MUISP_DROP_EXPIRED, MUISP_EVENT_EXPIRED, now);
		return MUISP_DROP_EXPIRED;
	}
	/*
	 * The packet path runs with BH off (never preempted inside a quota
	 * refill, which quota_drain() waits for); were the caller moved to
	 * another CPU, the slot's quota is atomic and the counters are
	 * this_cpu ops, so the sums would still be right.
	 */
	p = raw_cpu_ptr(c->pcpu);
	touch = 0;

	switch (c->metric) {
	case MUISP_METRIC_ELAPSED_TIME:
		cost = 0;
		break;
	case MUISP_METRIC_USAGE_TIME:
		cost = contract_touch(mn, c, now);
		touch = cost;
		break;
	case MUISP_METRIC_PACKETS:
		cost = 1;
		break;
	default:
		cost = len;
		break;
	}
	if (c->metric == MUISP_METRIC_ELAPSED_TIME)
		res = muisp_gate_check_time(muisp_contract_elapsed_ms(c, now),
					    READ_ONCE(c->soft),
					    READ_ONCE(c->hard));
	else
		res = muisp_quota_charge(&c->quota, &c->pcpu->q, &p->q, cost,
					 contract_par(c));

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
	this_cpu_add(c->pcpu->bytes[dir], len);
	this_cpu_inc(c->pcpu->packets[dir]);
	/* usage time is reported for every metric */
	if (c->metric != MUISP_METRIC_USAGE_TIME)
		touch = contract_touch(mn, c, now);
	if (touch)
		this_cpu_add(c->pcpu->usage_ms, touch);
	if (res == MUISP_CHARGE_PASS_HARD)
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_EXTINGUISHED,
			      MUISP_DROP_HARD_LIMIT, MUISP_EVENT_HARD_LIMIT, now);
	else if (res == MUISP_CHARGE_PASS_SOFT)
		contract_stop(mn, c, MUISP_CONTRACT_STATUS_DELINQUENT,
			      MUISP_DROP_DELINQUENT, MUISP_EVENT_SOFT_LIMIT, now);
	return 0;
}

/*
 * Set a counter to @v: base absorbs the per-CPU sum already counted.
 * Returns the change, modulo 2^64.  c->lock held.
 */
static u64 contract_ctr_set(u64 *base, u64 now_sum, u64 v)
{
	u64 old = *base;

	WRITE_ONCE(*base, v - (now_sum - old));
	return *base - old;
}

/*
 * Add d to c's counters (sub: take it away) and its quota's usage, in
 * the metric's unit.  Any context; c->lock and the quota's lock nest as
 * in muisp_contract_set().
 */
static void contract_shift(struct muisp_contract *c,
			   const struct muisp_contract_ctrs *d, bool sub)
{
	unsigned long flags;
	u64 delta;
	int i;

	spin_lock_irqsave(&c->lock, flags);
	muisp_quota_hold(&c->quota, &c->pcpu->q);
	for (i = 0; i < 2; i++) {
		WRITE_ONCE(c->base_bytes[i], sub ?
			   c->base_bytes[i] - d->bytes[i] :
			   c->base_bytes[i] + d->bytes[i]);
		WRITE_ONCE(c->base_packets[i], sub ?
			   c->base_packets[i] - d->packets[i] :
			   c->base_packets[i] + d->packets[i]);
	}
	delta = contract_metric_usage(c->metric, d);
	muisp_quota_release(&c->quota, sub ? -delta : delta,
			    READ_ONCE(c->soft), READ_ONCE(c->hard),
			    contract_par(c));
	spin_unlock_irqrestore(&c->lock, flags);
}

void muisp_contract_move(struct muisp_contract *from,
			 struct muisp_contract *to, const u64 bytes[2],
			 const u64 packets[2])
{
	struct muisp_contract_ctrs d = { };
	int i;

	for (i = 0; i < 2; i++) {
		d.bytes[i] = bytes[i];
		d.packets[i] = packets[i];
	}
	contract_shift(from, &d, true);
	contract_shift(to, &d, false);
}

/* max: the most contracts the caller may have in the table */
int muisp_contract_set(struct muisp_net *mn,
		       const struct muisp_contract_req *req, u32 max,
		       struct netlink_ext_ack *extack)
{
	struct muisp_contract *c, *fresh = NULL;
	u64 now = muisp_now_ms(), soft, hard, expires, delta, used;
	struct muisp_contract_ctrs t, d = { };
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
		fresh->pcpu = alloc_percpu_gfp(struct muisp_contract_cpu,
					       GFP_KERNEL_ACCOUNT);
		if (!fresh->pcpu) {
			kfree(fresh);
			return -ENOMEM;
		}
		muisp_quota_init(&fresh->quota, nr_cpu_ids, 0, 0, 0);
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
	/* the slices come back: the pool's usage is exact until released */
	muisp_quota_hold(&c->quota, &c->pcpu->q);
	muisp_contract_counters(c, &t, now);
	if (req->flags & MUISP_CONTRACT_F_RESET_USAGE) {
		for (i = 0; i < 2; i++) {
			d.bytes[i] += contract_ctr_set(&c->base_bytes[i],
						       t.bytes[i], 0);
			d.packets[i] += contract_ctr_set(&c->base_packets[i],
							 t.packets[i], 0);
			t.bytes[i] = 0;
			t.packets[i] = 0;
		}
		d.usage_ms += contract_ctr_set(&c->base_usage_ms, t.usage_ms, 0);
		t.usage_ms = 0;
		c->elapsed_base_ms = 0;
		if (c->active_since_ms)
			c->active_since_ms = now;
	}
	for (i = 0; i < 2; i++) {
		/* ctr[]: up bytes, up packets, down bytes, down packets */
		if (req->has_ctr[2 * i])
			d.bytes[i] += contract_ctr_set(&c->base_bytes[i],
						       t.bytes[i],
						       req->ctr[2 * i]);
		if (req->has_ctr[2 * i + 1])
			d.packets[i] += contract_ctr_set(&c->base_packets[i],
							 t.packets[i],
							 req->ctr[2 * i + 1]);
	}
	if (req->has_ctr[4]) {
		WRITE_ONCE(c->elapsed_base_ms, req->ctr[4]);
		if (c->active_since_ms)
			WRITE_ONCE(c->active_since_ms, now);
	}
	if (req->has_ctr[5])
		d.usage_ms += contract_ctr_set(&c->base_usage_ms, t.usage_ms,
					       req->ctr[5]);
	delta = contract_metric_usage(c->metric, &d);
	if (c->metric == MUISP_METRIC_ELAPSED_TIME)
		used = muisp_contract_elapsed_ms(c, now);
	else
		used = muisp_quota_granted(&c->quota) + delta;

	status = req->status;
	if (status) {
		ret = muisp_gate_status_allowed(status, used, soft, hard,
						expires,
						ktime_get_real_seconds());
		if (ret) {
			muisp_quota_release(&c->quota, delta, READ_ONCE(c->soft),
					    READ_ONCE(c->hard), contract_par(c));
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
	muisp_quota_release(&c->quota, delta, soft, hard, contract_par(c));
	WRITE_ONCE(c->soft, soft);
	WRITE_ONCE(c->hard, hard);
	WRITE_ONCE(c->expires_s, expires);
	/* the queue before the mode: a hook that sees the mode has both */
	if (req->has_conn_queue)
		WRITE_ONCE(c->conn_queue, req->conn_queue);
	if (req->has_conn_hold)
		WRITE_ONCE(c->conn_hold, req->conn_hold);
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
	if (fresh) {
		free_percpu(fresh->pcpu);
		kfree(fresh);
	}
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
	if (c->nusers) {
		NL_SET_ERR_MSG(extack, "contract is bound to a user");
		return -EBUSY;
	}
	xa_erase(&mn->contracts, (unsigned long)id);
	mn->ncontracts--;
	mn->gen_contract++;
	if (ft)
		muisp_ft_flush(ft, id);
	call_rcu(&c->rcu, contract_free_rcu);
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

#ifdef DEBUG
#include "selftest/contract.c"
#endif
