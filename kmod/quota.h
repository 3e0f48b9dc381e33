/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU quota slices for a contract's hard and soft limits.
 *
 * The shared pool counts what has been handed out ("granted"): usage
 * charged, plus the unused rest of every CPU's slice.  A CPU charges a
 * packet from its own slice (one uncontended operation on its own cache
 * line, no write to a shared line).  When the slice runs out it takes a
 * new one from the pool with one cmpxchg; a slice is at most 1/2^shift
 * (shift: log2 of twice the CPU count, rounded up) of what remains below
 * the next limit and never reaches it, so far from a limit refills are
 * rare and the fast path never decides a limit.
 *
 * Near a limit (no slice of at least slice_min fits) the pool enters the
 * tail: refills stop, and each charge takes the pool's lock, reclaims
 * every CPU's unused slice and then judges the packet exactly with
 * muisp_gate_charge() against the usage charged so far.  So the sum of
 * charged usage never passes the hard limit, reaches it exactly when the
 * traffic does, and PASS_SOFT / PASS_HARD / DROP_* are decided once, on
 * the exact figure.  The tail is left when the next limit is far again
 * (after a limit change).
 *
 * Protocol between lock-free refills and the tail (store-buffer pattern):
 * a refill increments "refilling" (full barrier), then reads "tail" with
 * acquire; the tail's entry sets "tail", a full barrier, then waits for
 * "refilling" to reach 0 before reclaiming.  One of the two sees the
 * other: either the refill backs off, or its slice is in the CPU's slot
 * before the reclaim reads it.  The limits used by refills are the
 * pool's copies, written only while the tail is set and published by the
 * release that clears it.
 *
 * Shared with host unit tests and benchmarks (portable.h): host_shim.h
 * maps the atomics to GCC builtins and the per-CPU slots to an array of
 * MUISP_HOST_NR_CPUS.
 */
#ifndef MUISP_QUOTA_H
#define MUISP_QUOTA_H

#include "portable.h"
#include "gate.h"

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/percpu.h>
#include <linux/cache.h>
#else
#include "host_shim.h"
#endif

/* One CPU's slot: the unused rest of its slice (reclaimed by others). */
struct muisp_quota_cpu {
	atomic64_t left;
};

/* Sizes of slices, in the metric's unit. */
struct muisp_quota_par {
	u64 slice_min;		/* smaller slices: the tail (exact, locked) */
	u64 slice_max;		/* and what a CPU takes with no limit near */
};

/* The contracts' slice sizes per metric (contract.c) */
#define MUISP_QUOTA_BYTES_MIN		4096
#define MUISP_QUOTA_BYTES_MAX		(1 << 20)
#define MUISP_QUOTA_PACKETS_MIN		4
#define MUISP_QUOTA_PACKETS_MAX		1024
#define MUISP_QUOTA_USAGE_MS_MIN	100
#define MUISP_QUOTA_USAGE_MS_MAX	60000

/*
 * The pool: written on refills and in the tail only, so it lives on its
 * own cache line, apart from what every packet reads.
 */
struct muisp_quota {
	atomic64_t granted;	/* charged + unused slices (+ in flight) */
	atomic64_t refilling;	/* refills between their check and grant */
	u64 soft, hard;		/* limits the charges use; 0 none */
	u32 tail;		/* 1: no refills, every charge exact */
	u8 shift;		/* slice <= remaining >> shift */
	spinlock_t lock;	/* the tail and limit changes */
} ____cacheline_aligned_in_smp;

/* ncpus: CPUs that may charge (nr_cpu_ids); limits 0 = none. */
void muisp_quota_init(struct muisp_quota *q, unsigned int ncpus, u64 used,
		      u64 soft, u64 hard);

enum muisp_charge muisp_quota_refill(struct muisp_quota *q,
				     struct muisp_quota_cpu __percpu *slots,
				     struct muisp_quota_cpu *mine, u64 cost,
				     const struct muisp_quota_par *par);

/*
 * Charge @cost on the CPU owning @mine: from its slice when it can
 * (PASS, no shared write), else through the pool.  Never sleeps; the
 * caller has BH (or preemption) off, so a refill is not preempted while
 * counted in "refilling".
 */
static inline enum muisp_charge
muisp_quota_charge(struct muisp_quota *q, struct muisp_quota_cpu __percpu *slots,
		   struct muisp_quota_cpu *mine, u64 cost,
		   const struct muisp_quota_par *par)
{
	s64 left = atomic64_read(&mine->left);

	if (!cost)
		return MUISP_CHARGE_PASS;
	while ((u64)left >= cost) {
		if (atomic64_try_cmpxchg(&mine->left, &left, left - cost))
			return MUISP_CHARGE_PASS;
	}
	return muisp_quota_refill(q, slots, mine, cost, par);
}

/*
 * Limit changes and counter restores: muisp_quota_hold() takes the lock,
 * enters the tail and reclaims every slice; then granted is the usage
 * charged (exact, in-flight packets included).  muisp_quota_release()
 * adds @delta (the change the caller made to the usage counters, modulo
 * 2^64), installs the limits, leaves the tail if the next limit is far
 * and drops the lock.  The kernel caller holds its own lock with
 * interrupts off around both (the pool's lock nests inside).
 */
void muisp_quota_hold(struct muisp_quota *q,
		      struct muisp_quota_cpu __percpu *slots)
	__acquires(&q->lock);
void muisp_quota_release(struct muisp_quota *q, u64 delta, u64 soft, u64 hard,
			 const struct muisp_quota_par *par)
	__releases(&q->lock);

/* Usage granted so far, for tests and self-tests (not exact while busy). */
static inline u64 muisp_quota_granted(struct muisp_quota *q)
{
	return atomic64_read(&q->granted);
}

#endif /* MUISP_QUOTA_H */
