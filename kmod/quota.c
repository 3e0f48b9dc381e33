// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU quota slices: refills, the exact tail and limit changes (see
 * quota.h for the design and the protocol).  Built into muisp.ko and into
 * host unit tests and benchmarks.
 */
#include "quota.h"

void muisp_quota_init(struct muisp_quota *q, unsigned int ncpus, u64 used,
		      u64 soft, u64 hard)
{
	u8 shift = 1;

	while (shift < 31 && (1U << shift) < 2 * ncpus)
		shift++;
	atomic64_set(&q->granted, used);
	atomic64_set(&q->refilling, 0);
	q->soft = soft;
	q->hard = hard;
	q->shift = shift;
	q->tail = 1;	/* the first limit change or charge decides */
	spin_lock_init(&q->lock);
}

/*
 * The slice a refill may take at @g for a packet of @cost: 0 if none (the
 * tail).  A slice stays below the next limit, so only the exact path ever
 * reaches a limit.
 */
static u64 quota_slice(const struct muisp_quota *q, u64 soft, u64 hard, u64 g,
		       u64 cost, const struct muisp_quota_par *par)
{
	u64 b, s;

	if (soft && g < soft)
		b = soft;
	else if (hard)
		b = hard;
	else
		return max_t(u64, cost, par->slice_max);
	if ((soft && g >= soft) || g >= b)
		return 0;
	s = min_t(u64, (b - g) >> q->shift, par->slice_max);
	if (s < cost || s < par->slice_min)
		return 0;
	return s;
}

/* Lock held: stop refills, wait for those under way, reclaim the slices. */
static void quota_drain(struct muisp_quota *q,
			struct muisp_quota_cpu __percpu *slots)
{
	s64 back = 0;
	int cpu;

	lockdep_assert_held(&q->lock);
	WRITE_ONCE(q->tail, 1);
	/* pairs with the one in muisp_quota_refill(): one sees the other */
	smp_mb();
	while (atomic64_read(&q->refilling))
		cpu_relax();
	for_each_possible_cpu(cpu)
		back += atomic64_xchg(&per_cpu_ptr(slots, cpu)->left, 0);
	if (back)
		atomic64_add(-back, &q->granted);
}

/* Lock held, drained: leave the tail if a minimal slice fits again. */
static void quota_settle(struct muisp_quota *q,
			 const struct muisp_quota_par *par)
{
	u64 g = atomic64_read(&q->granted);

	if (!quota_slice(q, q->soft, q->hard, g, 1, par))
		return;
	/* publishes the limits to refills that see the tail left */
	smp_store_release(&q->tail, 0);
}

static enum muisp_charge quota_exact(struct muisp_quota *q,
				     struct muisp_quota_cpu __percpu *slots, u64 cost,
				     const struct muisp_quota_par *par)
{
	enum muisp_charge res;
	unsigned long flags;
	u64 used;

	spin_lock_irqsave(&q->lock, flags);
	quota_drain(q, slots);
	used = atomic64_read(&q->granted);
	res = muisp_gate_charge(used, cost, q->soft, q->hard);
	if (res == MUISP_CHARGE_PASS || res == MUISP_CHARGE_PASS_SOFT ||
	    res == MUISP_CHARGE_PASS_HARD)
		atomic64_add(cost, &q->granted);
	quota_settle(q, par);
	spin_unlock_irqrestore(&q->lock, flags);
	return res;
}

enum muisp_charge muisp_quota_refill(struct muisp_quota *q,
				     struct muisp_quota_cpu __percpu *slots,
				     struct muisp_quota_cpu *mine, u64 cost,
				     const struct muisp_quota_par *par)
{
	s64 g;
	u64 s;

	if (READ_ONCE(q->tail))
		return quota_exact(q, slots, cost, par);
	/* a full barrier, paired with the one in quota_drain() */
	atomic64_add_return(1, &q->refilling);
	/* acquire: the limits stored before the tail was left */
	if (!smp_load_acquire(&q->tail)) {
		u64 soft = READ_ONCE(q->soft), hard = READ_ONCE(q->hard);

		g = atomic64_read(&q->granted);
		for (;;) {
			s = quota_slice(q, soft, hard, g, cost, par);
			if (!s)
				break;
			if (atomic64_try_cmpxchg(&q->granted, &g, g + s)) {
				/* this packet from the new slice, the rest kept */
				atomic64_add(s - cost, &mine->left);
				/* ordered: the slice is in place before */
				atomic64_add_return(-1, &q->refilling);
				return MUISP_CHARGE_PASS;
			}
		}
	}
	atomic64_add_return(-1, &q->refilling);
	return quota_exact(q, slots, cost, par);
}

void muisp_quota_hold(struct muisp_quota *q,
		      struct muisp_quota_cpu __percpu *slots)
	__acquires(&q->lock)
{
	/* the caller keeps interrupts off until muisp_quota_release() */
	lockdep_assert_irqs_disabled();
	spin_lock(&q->lock);
	quota_drain(q, slots);
}

void muisp_quota_release(struct muisp_quota *q, u64 delta, u64 soft, u64 hard,
			 const struct muisp_quota_par *par)
	__releases(&q->lock)
{
	lockdep_assert_held(&q->lock);
	if (delta)
		atomic64_add(delta, &q->granted);
	WRITE_ONCE(q->soft, soft);
	WRITE_ONCE(q->hard, hard);
	quota_settle(q, par);
	spin_unlock(&q->lock);
}
