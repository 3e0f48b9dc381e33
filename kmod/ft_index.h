/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table's hash index, shared by muisp.ko (flowtable.c) and the
 * host model, unit tests and benchmark (tests/bench/ft_model.c): a bucket
 * array sized to the live flows, not to the cap, resized in place.
 *
 * Position.  A flow's position is the top 32 bits of its SipHash-1-3
 * (fti_pos()).  A table of n buckets maps position p to bucket
 * p * n / 2^32 (multiply and shift), so buckets cut the position range
 * into n ordered slices whatever n is: a resize keeps the order, and a
 * dump cursor that is a position stays valid across resizes.
 *
 * Stripes.  The top FTI_STRIPE_BITS bits of a position name its stripe,
 * the unit of locking.  n is a multiple of FTI_STRIPES, so every bucket
 * lies in one stripe in every size of the table: stripe s is buckets
 * [s * k, (s + 1) * k) with k = n / FTI_STRIPES.  A resize migrates one
 * stripe at a time under that stripe's lock.
 *
 * Load.  A resize sizes the table for a load of 1/FTI_LOAD_INV (about 1/6),
 * then the table grows once the load passes 1/FTI_LOAD_MAX_INV (1/5: a
 * hit costs <= 1.1 key compares on average) and shrinks once it falls
 * under 1/FTI_LOAD_MIN_INV (1/8: <= 64 bytes of buckets per flow), never
 * below FTI_MIN_BUCKETS.
 *
 * Nulls values: bucket b's end marker is t->nulls + b, and consecutive
 * tables alternate t->nulls between 0 and FTI_NULLS_ALT, so a lockless
 * walk that strayed into another chain (a recycled entry, or one moved by
 * a resize) ends on a marker that is not its own.
 *
 * Besides flow_core.h this needs nothing; the locking and RCU around it
 * are the caller's.
 */
#ifndef MUISP_FT_INDEX_H
#define MUISP_FT_INDEX_H

#include "flow_core.h"

#ifdef __KERNEL__
#include <linux/math64.h>
#else
static inline u64 div_u64(u64 a, u32 b)
{
	return a / b;
}
#endif

#define FTI_STRIPE_BITS		10
#define FTI_STRIPES		(1U << FTI_STRIPE_BITS)
#define FTI_STRIPE_SHIFT	(32 - FTI_STRIPE_BITS)	/* of a position */
#define FTI_MIN_BUCKETS		FTI_STRIPES
#define FTI_MAX_BUCKETS		(1U << 25)	/* 6 x MUISP_FT_MAX_MAX_FLOWS */
#define FTI_LOAD_INV		6	/* load right after a resize */
#define FTI_LOAD_MAX_INV	5	/* grow above this load */
#define FTI_LOAD_MIN_INV	8	/* shrink below this load */
#define FTI_CHAIN_MAX		16	/* longest chain before evicting */
#define FTI_CHAIN_MAX_GROWING	128	/* ... while a grow is pending */
#define FTI_NULLS_ALT		(1U << 30)

struct muisp_fti_tab {
	u32 n;			/* buckets, a multiple of FTI_STRIPES */
	u32 k;			/* buckets per stripe */
	u32 nulls;		/* 0 or FTI_NULLS_ALT */
	/* the heads start on their own cache line: n is read-only */
	struct hlist_nulls_head b[] __aligned(64);
};

static inline size_t fti_tab_bytes(u32 n)
{
	return offsetof(struct muisp_fti_tab, b) +
	       (size_t)n * sizeof(struct hlist_nulls_head);
}

/* Position of a flow hash (muisp_flow_hash()). */
static inline u32 fti_pos(u64 hash)
{
	return (u32)(hash >> 32);
}

static inline u32 fti_stripe(u32 pos)
{
	return pos >> FTI_STRIPE_SHIFT;
}

static inline u32 fti_bucket(const struct muisp_fti_tab *t, u32 pos)
{
	return (u32)(((u64)pos * t->n) >> 32);
}

/* The smallest position that maps to bucket b (b < t->n). */
static inline u32 fti_bucket_pos(const struct muisp_fti_tab *t, u32 b)
{
	return (u32)div_u64(((u64)b << 32) + t->n - 1, t->n);
}

/* Is (pos, id) after (pos0, id0)?  The dump order: position, then id. */
static inline bool fti_after(u32 pos, u64 id, u32 pos0, u64 id0)
{
	return pos > pos0 || (pos == pos0 && id > id0);
}

/* Buckets for @count flows: load 1/FTI_LOAD_INV, a multiple of stripes. */
static inline u32 fti_size(u32 count)
{
	u64 n = (u64)(count ? count : 1) * FTI_LOAD_INV;

	n = (n + FTI_STRIPES - 1) & ~(u64)(FTI_STRIPES - 1);
	if (n < FTI_MIN_BUCKETS)
		n = FTI_MIN_BUCKETS;
	if (n > FTI_MAX_BUCKETS)
		n = FTI_MAX_BUCKETS;
	return (u32)n;
}

/* Over the load that asks for a grow (and a longer chain cap)? */
static inline bool fti_overloaded(u32 count, u32 n)
{
	return count > n / FTI_LOAD_MAX_INV && n < FTI_MAX_BUCKETS;
}

/* The size a table of n buckets holding @count flows should take, or 0. */
static inline u32 fti_resize_to(u32 count, u32 n)
{
	u32 want = fti_size(count);

	if (fti_overloaded(count, n) && want > n)
		return want;
	if (count < n / FTI_LOAD_MIN_INV && want < n)
		return want;
	return 0;
}

static inline void fti_tab_init(struct muisp_fti_tab *t, u32 n, u32 nulls)
{
	u32 i;

	t->n = n;
	t->k = n / FTI_STRIPES;
	t->nulls = nulls;
	for (i = 0; i < n; i++)
		INIT_HLIST_NULLS_HEAD(&t->b[i], nulls + i);
}

/*
 * Lockless (RCU) or locked lookup of @key at @pos in @t.  On a miss,
 * *strayed says whether the walk ended on another chain's marker (then
 * the miss proves nothing).
 */
static inline struct muisp_flow_entry *
fti_find(struct muisp_fti_tab *t, u32 pos, const struct muisp_flow_key *key,
	 u16 table_id, bool *strayed, unsigned int *probes)
{
	u32 b = fti_bucket(t, pos);
	struct muisp_flow_entry *e;
	unsigned long nulls;

	e = muisp_flow_chain_find(&t->b[b], key, table_id, &nulls, probes);
	*strayed = !e && nulls != t->nulls + b;
	return e;
}

/*
 * Move stripe @s's entries from @from to @to (same stripe, the buckets
 * their positions name there).  Caller holds the stripe's lock; lockless
 * readers may stray into @to's chains (they see a foreign marker) or miss
 * a moving entry, and then look again under the lock.  Returns the number
 * of entries moved.
 */
static inline unsigned int fti_migrate_stripe(struct muisp_fti_tab *from,
					      struct muisp_fti_tab *to, u32 s,
					      const struct muisp_siphash_key *seed)
{
	struct hlist_nulls_node *first;
	struct muisp_flow_entry *e;
	unsigned int moved = 0;
	u32 b, end = (s + 1) * from->k, pos;

	for (b = s * from->k; b < end; b++) {
		while (!is_a_nulls(first = from->b[b].first)) {
			e = hlist_nulls_entry(first, struct muisp_flow_entry,
					      node);
			pos = fti_pos(muisp_flow_hash(&e->key, seed));
			hlist_nulls_del_rcu(&e->node);
			hlist_nulls_add_head_rcu(&e->node,
						 &to->b[fti_bucket(to, pos)]);
			moved++;
		}
	}
	return moved;
}

#endif /* MUISP_FT_INDEX_H */
