// SPDX-License-Identifier: GPL-2.0
/*
 * muisp flow table (see flowtable.h for the API and context rules).
 *
 * Layout: the hash index of ft_index.h -- an array of hlist_nulls heads
 * sized to the live flows (load between 1/8 and 1/5), keyed with
 * SipHash-1-3 under a per-table random seed, its 1024 stripes being
 * ranges of hash positions.  Writers (insert, delete) serialise on the
 * stripe's spinlock; the packet path finds entries under RCU only and then
 * takes the entry's own spinlock to update its counters.
 *
 * Resize: the collector (GC work) allocates a "future" array and moves
 * the flows into it one stripe at a time, under that stripe's lock; each
 * stripe points at the array that holds its flows (stripe->tab, changed
 * under its lock), so the locked paths always look in the right one.  The
 * packet path looks in ft->tab, then in ft->future while a resize is under
 * way; a miss there (a flow moving, or the arrays switching) only sends
 * the packet to the locked slow path, which looks again.  Once every
 * stripe has moved, ft->tab becomes the future array and the old one is
 * freed after an RCU grace period.  A new flow that finds the table over
 * its load kicks the collector.  Entries come from a
 * SLAB_TYPESAFE_BY_RCU cache, so they are freed at once and a reader
 * re-validates (same table, hence not dead; same key) under the entry
 * lock.
 *
 * Exactly-once export: an entry is ended only with its stripe lock and
 * entry lock held, by killing it (table id 0) and copying its counters; a
 * packet that finds the entry dead after taking the entry lock goes to the
 * locked slow path, where the dead entry is no longer linked, and is
 * counted in a new flow.  So every counted byte is in exactly one record.
 *
 * Memory: the table and its entries are charged to the memory cgroup of
 * the task that created the table (entries are allocated in softirq, so
 * that cgroup is made the active one around the allocation, as BPF maps
 * do).
 *
 * Dumps go in (hash position, flow id) order, which no resize changes:
 * muisp_ft_walk() resumes from the last (position, id) delivered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/in.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

#include "flowtable.h"

#include "ft_index.h"

#define FT_EVICT_BUCKETS	64	/* buckets probed for a victim */
#define FT_EVICT_CANDIDATES	8	/* ... or until this many flows seen */
#define FT_GC_INTERVAL		(HZ / 4)
#define FT_GC_SWEEP_RUNS	8	/* whole table every 8 runs (2 s) */
#define FT_BATCH		4	/* records exported per lock hold */
#define FT_KICKED		0	/* ft->flags: collector asked to resize */

struct ft_stripe {
	spinlock_t lock;	/* insert/unlink in the stripe's buckets */
	u64 seq;		/* flow-id sequence, under lock */
	struct muisp_fti_tab __rcu *tab;	/* holds the stripe's flows */
};

/*
 * The first cache line holds what every packet reads and nothing writes
 * after creation; count, written on every new or ended flow, has a line
 * of its own, so that inserts on one CPU do not evict the packet path's
 * line from the others.
 */
struct muisp_flowtable {
	struct muisp_fti_tab __rcu *tab;
	struct muisp_fti_tab __rcu *future;	/* while resizing */
	struct ft_stripe *stripes;	/* FTI_STRIPES */
	u16 table_id;		/* unique among live tables, never 0 */
	struct muisp_siphash_key seed;
	struct mem_cgroup *memcg;	/* charged for the entries */
	u32 max_flows;		/* READ_ONCE: changed by set_params */
	u64 idle_ns;
	u64 fin_ns;

	muisp_flow_export_fn export;
	void *export_ctx;

	atomic_t count ____cacheline_aligned_in_smp;
	unsigned long flags;	/* FT_KICKED */
	/* binding generation (muisp_ft_gen()): bumped by muisp_ft_unbind() */
	u32 bind_gen;

	struct delayed_work gc_work;
	u32 gc_next;		/* next stripe to sweep */
	bool dying;

	struct {
		atomic64_t inserts;
		atomic64_t expired_idle;
		atomic64_t expired_closed;
		atomic64_t evictions;
		atomic64_t flushed;
		atomic64_t rebinds;
		atomic64_t alloc_failures;
		atomic64_t full_drops;
		atomic64_t exported;
		atomic64_t resizes;
	} st;
};

static DEFINE_MUTEX(ft_cache_mutex);
/*
 * The flow table's clock, in nanoseconds: jiffies, which advance with the
 * tick as ktime_get_coarse_ns() does (the same resolution), for one load
 * and a multiplication on every packet instead of a seqcount read and a
 * timespec normalisation (about 30 instructions).
 */
static inline u64 ft_now(void)
{
	return jiffies64_to_nsecs(get_jiffies_64());
}

static struct kmem_cache *ft_cache;
static unsigned int ft_cache_users;
static s64 ft_mono_off;		/* CLOCK_MONOTONIC - ft_now(), see below */
static DEFINE_IDA(ft_ids);

/* Type-stable entries: the lock is set up once, when the slab page is. */
static void ft_entry_ctor(void *obj)
{
	struct muisp_flow_entry *e = obj;

	spin_lock_init(&e->lock);
	e->table_id = 0;	/* dead */
}

static int ft_cache_get(void)
{
	int ret = 0;

	mutex_lock(&ft_cache_mutex);
	if (!ft_cache_users) {
		ft_cache = kmem_cache_create("muisp_flow",
					     sizeof(struct muisp_flow_entry),
					     0, SLAB_HWCACHE_ALIGN |
					     SLAB_TYPESAFE_BY_RCU |
					     SLAB_ACCOUNT,
					     ft_entry_ctor);
		if (!ft_cache)
			ret = -ENOMEM;
		else
			pr_debug("flow cache created\n");
		WRITE_ONCE(ft_mono_off, ktime_get_coarse_ns() - ft_now());
	}
	if (!ret)
		ft_cache_users++;
	mutex_unlock(&ft_cache_mutex);
	return ret;
}

static void ft_cache_put(void)
{
	mutex_lock(&ft_cache_mutex);
	if (!--ft_cache_users) {
		/* no call_rcu of ours is pending, but be explicit */
		rcu_barrier();
		kmem_cache_destroy(ft_cache);
		ft_cache = NULL;
		pr_debug("flow cache destroyed\n");
	}
	mutex_unlock(&ft_cache_mutex);
}

/*
 * Add to an ft_now() time to make it CLOCK_REALTIME.  Jiffies and the
 * monotonic clock advance together, so their difference is taken once,
 * when the first table is made: read afresh every time, the two clocks'
 * ticks would make it jitter by a tick, and one flow would report two
 * different start times (a live dump, then its end record).  The wall
 * clock's offset is the timekeeper's own, which moves only when the clock
 * is set.
 */
static inline s64 ft_mono_to_real(void)
{
	return ktime_to_ns(ktime_mono_to_real(READ_ONCE(ft_mono_off)));
}

static inline u32 ft_pos_of(struct muisp_flowtable *ft,
			    const struct muisp_flow_key *key)
{
	return fti_pos(muisp_flow_hash(key, &ft->seed));
}

/* The array holding stripe s's flows; s->lock held. */
static inline struct muisp_fti_tab *ft_stripe_tab(struct ft_stripe *s)
{
	return rcu_dereference_protected(s->tab, lockdep_is_held(&s->lock));
}

/* Only the collector (or create/destroy) replaces ft->tab. */
static inline struct muisp_fti_tab *ft_tab_owned(struct muisp_flowtable *ft)
{
	return rcu_dereference_protected(ft->tab, 1);
}

/* Ask the collector for a resize soon (packet path). */
static void ft_kick(struct muisp_flowtable *ft)
{
	if (!test_and_set_bit(FT_KICKED, &ft->flags) &&
	    !READ_ONCE(ft->dying))
		mod_delayed_work(system_power_efficient_wq, &ft->gc_work, 0);
}

static void ft_count_end(struct muisp_flowtable *ft, enum muisp_flow_end r)
{
	switch (r) {
	case MUISP_FLOW_END_IDLE:
		atomic64_inc(&ft->st.expired_idle);
		break;
	case MUISP_FLOW_END_CLOSED:
		atomic64_inc(&ft->st.expired_closed);
		break;
	case MUISP_FLOW_END_EVICTED:
		atomic64_inc(&ft->st.evictions);
		break;
	case MUISP_FLOW_END_FLUSH:
		atomic64_inc(&ft->st.flushed);
		break;
	case MUISP_FLOW_END_REBIND:
		atomic64_inc(&ft->st.rebinds);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

/*
 * End an entry: stripe lock and entry lock held.  Snapshots the record,
 * marks the entry dead, drops the entry lock and unlinks it.  The caller
 * finishes with ft_end_finish() after dropping the stripe lock.
 */
static void ft_end_locked(struct muisp_flowtable *ft,
			  struct muisp_flow_entry *e,
			  struct muisp_flow_record *rec, s64 off,
			  enum muisp_flow_end reason)
	__releases(&e->lock)
{
	muisp_flow_entry_record(e, rec, off, reason);
	muisp_flow_entry_kill(e);
	spin_unlock(&e->lock);
	hlist_nulls_del_rcu(&e->node);
}

/* Free the entry, account for it and export its record (no lock held). */
static void ft_end_finish(struct muisp_flowtable *ft,
			  struct muisp_flow_entry *e,
			  const struct muisp_flow_record *rec)
{
	kmem_cache_free(ft_cache, e);
	atomic_dec(&ft->count);
	ft_count_end(ft, rec->end_reason);
	atomic64_inc(&ft->st.exported);
	ft->export(ft->export_ctx, rec);
}

/*
 * Candidate victim among the flows of the FT_EVICT_BUCKETS buckets of @t
 * from position @pos -- or, if those are all empty, of the buckets up to
 * the first non-empty one -- stopping early after FT_EVICT_CANDIDATES
 * flows: timed out first, then closed, then least recently seen.  Returns
 * it (its id in *vid, its stripe in *vs) or NULL.
 */
static struct muisp_flow_entry *ft_evict_scan(struct muisp_flowtable *ft,
					      struct muisp_fti_tab *t, u32 pos,
					      u64 now, u64 *vid, u32 *vs)
{
	u64 idle_ns = READ_ONCE(ft->idle_ns), fin_ns = READ_ONCE(ft->fin_ns);
	struct muisp_flow_entry *e, *victim = NULL;
	u32 i, seen = 0, bi, b = fti_bucket(t, pos);
	struct hlist_nulls_node *n;
	u64 best = 0, score;

	/* at least FT_EVICT_BUCKETS buckets; beyond, until a first flow */
	for (i = 0; i < t->n && seen < FT_EVICT_CANDIDATES &&
	     (i < FT_EVICT_BUCKETS || !victim); i++) {
		bi = b + i < t->n ? b + i : b + i - t->n;
		hlist_nulls_for_each_entry_rcu(e, n, &t->b[bi], node) {
			spin_lock(&e->lock);
			if (e->table_id == ft->table_id) {
				score = muisp_flow_evict_score(e, now, idle_ns,
							       fin_ns);
				if (!victim || score > best) {
					victim = e;
					*vid = e->id;
					best = score;
					*vs = bi / t->k;
				}
				seen++;
			}
			spin_unlock(&e->lock);
		}
	}
	return victim;
}

/*
 * Make room for one flow: end the best victim near position @pos (in the
 * current array, or in the future one if a resize emptied the window).
 * Packet path: rcu_read_lock, BHs off, no lock held.  Returns true if a
 * flow was ended (by us or concurrently).
 */
static bool ft_evict_one(struct muisp_flowtable *ft, u32 pos, u64 now)
{
	struct muisp_flow_entry *victim;
	struct muisp_flow_record rec;
	struct muisp_fti_tab *f;
	u64 victim_id = 0;
	struct ft_stripe *s;
	u32 vs = 0;

	victim = ft_evict_scan(ft, rcu_dereference(ft->tab), pos, now,
			       &victim_id, &vs);
	f = rcu_dereference(ft->future);
	if (!victim && f)
		victim = ft_evict_scan(ft, f, pos, now, &victim_id, &vs);
	if (!victim)	/* the table emptied under us: room enough? */
		return atomic_read(&ft->count) <= READ_ONCE(ft->max_flows);

	s = &ft->stripes[vs];
	spin_lock(&s->lock);
	spin_lock(&victim->lock);
	if (victim->table_id != ft->table_id || victim->id != victim_id) {
		/* ended concurrently: that made room too */
		spin_unlock(&victim->lock);
		spin_unlock(&s->lock);
		return true;
	}
	ft_end_locked(ft, victim, &rec, ft_mono_to_real(),
		      MUISP_FLOW_END_EVICTED);
	spin_unlock(&s->lock);
	ft_end_finish(ft, victim, &rec);
	return true;
}

/* e->lock held: does this packet re-open a closed TCP flow? */
static bool ft_reopens(const struct muisp_flow_entry *e,
		       const struct muisp_flow_key *key, u8 tcp_flags)
{
	return key->proto == IPPROTO_TCP &&
	       muisp_flow_tcp_reopens(e->tcp_flags, tcp_flags);
}

/*
 * Slow path, packet context: the lookup missed, or found an entry that
 * was dead or must be replaced (contract changed, SYN on a closed flow).
 * Under the stripe lock: look again, end what must end, insert.
 */
static int ft_account_slow(struct muisp_flowtable *ft, u32 pos,
			   const struct muisp_flow_key *key,
			   enum muisp_flow_dir dir, unsigned int len,
			   u8 tcp_flags,
			   const struct muisp_flow_payer *payer, u32 gen,
			   u64 now)
{
	struct muisp_flow_entry *e, *found = NULL, *ended[3], *victim;
	struct muisp_flow_record rec[3];
	struct hlist_nulls_node *n;
	struct ft_stripe *s = &ft->stripes[fti_stripe(pos)];
	unsigned int nended = 0, chain = 0, i, reserved, max, cap;
	struct hlist_nulls_head *head;
	struct muisp_fti_tab *t;
	struct mem_cgroup *memcg;
	u64 best, score, idle_ns, fin_ns;
	bool kick;
	s64 off = 0;
	int ret = 0;

	/*
	 * Reserve room first: eviction takes other stripe locks.  Over the
	 * cap by more than this flow (max_flows was lowered), end one more,
	 * so that the table shrinks to the new cap as flows arrive.
	 */
	reserved = atomic_inc_return(&ft->count);
	max = READ_ONCE(ft->max_flows);
	if (reserved > max) {
		if (!ft_evict_one(ft, pos, now)) {
			atomic_dec(&ft->count);
			atomic64_inc(&ft->st.full_drops);
			return -ENOSPC;
		}
		if (reserved > max + 1)
			ft_evict_one(ft, pos, now);
	}

	idle_ns = READ_ONCE(ft->idle_ns);
	fin_ns = READ_ONCE(ft->fin_ns);
	spin_lock(&s->lock);
	t = ft_stripe_tab(s);
	head = &t->b[fti_bucket(t, pos)];
	hlist_nulls_for_each_entry(e, n, head, node) {
		chain++;
		if (!found && muisp_flow_key_equal(&e->key, key))
			found = e;
	}
	if (found) {
		spin_lock(&found->lock);
		if (found->payer == payer &&
		    !ft_reopens(found, key, tcp_flags)) {
			/* inserted concurrently: just count */
			muisp_flow_entry_update(found, dir, len, tcp_flags,
						now);
			spin_unlock(&found->lock);
			spin_unlock(&s->lock);
			atomic_dec(&ft->count);
			return 0;
		}
		off = ft_mono_to_real();
		ended[nended] = found;
		ft_end_locked(ft, found, &rec[nended++], off,
			      found->payer != payer ?
			      MUISP_FLOW_END_REBIND : MUISP_FLOW_END_CLOSED);
		chain--;
	}
	/* over the load, a grow is pending: chains may be longer meanwhile */
	kick = fti_overloaded(reserved, t->n);
	cap = kick ? FTI_CHAIN_MAX_GROWING : FTI_CHAIN_MAX;
	if (chain >= cap) {
		/* hash flooding or bad luck: evict within the chain */
		victim = NULL;
		best = 0;
		hlist_nulls_for_each_entry(e, n, head, node) {
			spin_lock(&e->lock);
			score = muisp_flow_evict_score(e, now, idle_ns, fin_ns);
			spin_unlock(&e->lock);
			if (!victim || score > best) {
				victim = e;
				best = score;
			}
		}
		if (!off)
			off = ft_mono_to_real();
		spin_lock(&victim->lock);
		ended[nended] = victim;
		ft_end_locked(ft, victim, &rec[nended++], off,
			      MUISP_FLOW_END_EVICTED);
	}

	memcg = set_active_memcg(ft->memcg);
	e = kmem_cache_alloc(ft_cache, GFP_ATOMIC | __GFP_NOWARN);
	set_active_memcg(memcg);
	if (unlikely(!e)) {
		atomic_dec(&ft->count);
		atomic64_inc(&ft->st.alloc_failures);
		ret = -ENOMEM;
	} else {
		spin_lock(&e->lock);
		muisp_flow_entry_init(e, key, ft->table_id,
				      (++s->seq << FTI_STRIPE_BITS) |
				      fti_stripe(pos),
				      payer, now);
		muisp_flow_entry_update(e, dir, len, tcp_flags, now);
		atomic64_inc(&ft->st.inserts);
		if (unlikely(gen != READ_ONCE(ft->bind_gen))) {
			/*
			 * The binding the caller found changed meanwhile and
			 * muisp_ft_unbind() may have swept this stripe
			 * already: the flow ends at once with its one packet,
			 * so nothing outlives the binding (or its payer).
			 */
			if (!off)
				off = ft_mono_to_real();
			muisp_flow_entry_record(e, &rec[nended], off,
						MUISP_FLOW_END_REBIND);
			muisp_flow_entry_kill(e);
			ended[nended++] = e;
		} else {
			hlist_nulls_add_head_rcu(&e->node, head);
		}
		spin_unlock(&e->lock);
	}
	spin_unlock(&s->lock);

	for (i = 0; i < nended; i++)
		ft_end_finish(ft, ended[i], &rec[i]);
	if (kick)
		ft_kick(ft);
	return ret;
}

u32 muisp_ft_pos(struct muisp_flowtable *ft, const struct muisp_flow_key *key)
{
	return ft_pos_of(ft, key);
}

u32 muisp_ft_gen(struct muisp_flowtable *ft)
{
	/* pairs with the release in muisp_ft_unbind() */
	return smp_load_acquire(&ft->bind_gen);
}

/* The live entry of key at pos, unlocked (RCU), or NULL. */
static struct muisp_flow_entry *ft_find(struct muisp_flowtable *ft, u32 pos,
					const struct muisp_flow_key *key)
{
	struct muisp_flow_entry *e;
	struct muisp_fti_tab *f;
	bool strayed;

again:
	e = fti_find(rcu_dereference(ft->tab), pos, key, ft->table_id,
		     &strayed, NULL);
	if (likely(e))
		return e;
	/* strayed into another chain (recycled or moved entry) */
	if (strayed)
		goto again;
	/* resizing: the flow may have moved already */
	f = rcu_dereference(ft->future);
	return f ? fti_find(f, pos, key, ft->table_id, &strayed, NULL) : NULL;
}

/* e->lock held: still the live flow of key, and no TCP re-open? */
static bool ft_entry_valid(struct muisp_flowtable *ft,
			   const struct muisp_flow_entry *e,
			   const struct muisp_flow_key *key, u8 tcp_flags)
{
	return e->table_id == ft->table_id &&
	       muisp_flow_key_equal(&e->key, key) &&
	       !ft_reopens(e, key, tcp_flags);
}

const struct muisp_flow_payer *muisp_ft_find(struct muisp_flowtable *ft,
					     u32 pos,
					     const struct muisp_flow_key *key,
					     u8 tcp_flags,
					     struct muisp_ft_hint *hint)
{
	const struct muisp_flow_payer *payer = NULL;
	struct muisp_flow_entry *e = ft_find(ft, pos, key);

	hint->e = NULL;
	if (!e)
		return NULL;
	spin_lock(&e->lock);
	if (likely(ft_entry_valid(ft, e, key, tcp_flags))) {
		payer = e->payer;
		hint->e = e;
		hint->payer = payer;
		hint->id = e->id;
		hint->down = e->packets[MUISP_DIR_DOWN];
	}
	spin_unlock(&e->lock);
	return payer;
}

int muisp_ft_account(struct muisp_flowtable *ft, u32 pos,
		     const struct muisp_flow_key *key, enum muisp_flow_dir dir,
		     unsigned int len, u8 tcp_flags,
		     const struct muisp_flow_payer *payer, u32 gen,
		     struct muisp_ft_hint *hint)
{
	u64 now = ft_now();
	struct muisp_flow_entry *e;
	int ret = 0;

	if (hint && hint->e) {
		/*
		 * Still the flow muisp_ft_find() saw (ids are not reused
		 * within a table)?  Then its key is the packet's; only its
		 * TCP state may have moved on.
		 */
		e = hint->e;
		spin_lock(&e->lock);
		if (likely(e->table_id == ft->table_id && e->id == hint->id &&
			   !ft_reopens(e, key, tcp_flags))) {
			if (likely(e->payer == payer))
				goto update;
			/*
			 * The caller took @payer from this flow, and a
			 * report moved the flow meanwhile: the packet is
			 * the flow's, and ending the flow would undo the
			 * move (the REBIND below is for a packet judged on
			 * another contract, a tagged one).
			 */
			if (hint->payer == payer) {
				hint->payer = e->payer;
				ret = MUISP_FT_REPAID;
				goto update;
			}
		}
		spin_unlock(&e->lock);
		goto slow;
	}
	e = ft_find(ft, pos, key);
	if (unlikely(!e))
		goto slow;
	spin_lock(&e->lock);
	if (unlikely(!ft_entry_valid(ft, e, key, tcp_flags) ||
		     e->payer != payer)) {
		spin_unlock(&e->lock);
		goto slow;
	}
update:
	muisp_flow_entry_update(e, dir, len, tcp_flags, now);
	spin_unlock(&e->lock);
	return ret;
slow:
	return ft_account_slow(ft, pos, key, dir, len, tcp_flags, payer, gen,
			       now);
}

const struct muisp_flow_payer *muisp_ft_repay(struct muisp_flowtable *ft,
					      u32 pos,
					      const struct muisp_flow_key *key,
					      const struct muisp_flow_payer *payer,
					      u32 gen, u64 bytes[2],
					      u64 packets[2])
{
	const struct muisp_flow_payer *was = NULL;
	struct muisp_flow_entry *e = ft_find(ft, pos, key);

	if (!e)
		return NULL;
	spin_lock(&e->lock);
	/*
	 * Under the entry's lock: a muisp_ft_unbind*() that moved the
	 * generation on has swept this entry already (and we see the new
	 * generation), or will sweep it after us and see the new payer.
	 */
	if (e->table_id == ft->table_id && muisp_flow_key_equal(&e->key, key) &&
	    e->payer != payer && gen == READ_ONCE(ft->bind_gen)) {
		was = e->payer;
		e->payer = payer;
		memcpy(bytes, e->bytes, sizeof(e->bytes));
		memcpy(packets, e->packets, sizeof(e->packets));
	}
	spin_unlock(&e->lock);
	return was;
}

typedef enum muisp_flow_end (*ft_pred_fn)(const struct muisp_flow_entry *e,
					  const void *arg);

/*
 * End the entries of stripe @si for which @pred says so, from the bucket
 * holding position @pos to the end of the stripe, or only that bucket if
 * @one (process context).  Exports in batches outside the lock; between
 * batches a resize may move the stripe, so the place to go on from is
 * kept as a position.  Returns the number ended.
 */
static unsigned int ft_sweep(struct muisp_flowtable *ft, u32 si, u32 pos,
			     bool one, ft_pred_fn pred, const void *arg)
{
	struct muisp_flow_entry *e, *ended[FT_BATCH];
	struct muisp_flow_record rec[FT_BATCH];
	struct ft_stripe *s = &ft->stripes[si];
	struct hlist_nulls_node *n, *next;
	unsigned int nended, total = 0, i;
	enum muisp_flow_end reason;
	struct muisp_fti_tab *t;
	u32 b, end;
	bool more;
	s64 off;

	do {
		nended = 0;
		off = ft_mono_to_real();
		spin_lock_bh(&s->lock);
		t = ft_stripe_tab(s);
		b = fti_bucket(t, pos);
		end = one ? b + 1 : (si + 1) * t->k;
		for (; b < end; b++) {
			for (n = t->b[b].first;
			     !is_a_nulls(n) && nended < FT_BATCH; n = next) {
				next = n->next;
				e = hlist_nulls_entry(n,
						      struct muisp_flow_entry,
						      node);
				spin_lock(&e->lock);
				reason = pred(e, arg);
				if (reason == MUISP_FLOW_END_NONE) {
					spin_unlock(&e->lock);
					continue;
				}
				ended[nended] = e;
				ft_end_locked(ft, e, &rec[nended++], off,
					      reason);
			}
			if (nended == FT_BATCH)
				break;	/* this bucket again, next batch */
		}
		more = b < end;
		if (more)
			pos = fti_bucket_pos(t, b);
		spin_unlock_bh(&s->lock);
		for (i = 0; i < nended; i++)
			ft_end_finish(ft, ended[i], &rec[i]);
		total += nended;
	} while (more);
	return total;
}

struct ft_gc_arg {
	u64 now, idle_ns, fin_ns;
};

static enum muisp_flow_end ft_gc_pred(const struct muisp_flow_entry *e,
				      const void *arg)
{
	const struct ft_gc_arg *a = arg;

	return muisp_flow_expired(e, a->now, a->idle_ns, a->fin_ns);
}

/*
 * Lockless look at bucket @b of @t: may one of its entries end by @pred?
 * Lets the collector skip chains of live flows without taking the stripe
 * lock and every entry lock (at 10,000 live flows that was 3 % of a
 * forwarding CPU).  Racy reads are fine: last_ns only grows, so a stale
 * value makes a flow look older, never younger; a walk that strayed into
 * another chain through a recycled entry answers "maybe".
 */
static bool ft_chain_may_end(struct muisp_fti_tab *t, u32 b, ft_pred_fn pred,
			     const void *arg)
{
	struct muisp_flow_entry *e;
	struct hlist_nulls_node *pos;

	hlist_nulls_for_each_entry_rcu(e, pos, &t->b[b], node)
		if (pred(e, arg) != MUISP_FLOW_END_NONE)
			return true;
	return get_nulls_value(pos) != t->nulls + b;
}

static struct muisp_fti_tab *ft_tab_alloc(struct muisp_flowtable *ft, u32 n,
					  u32 nulls)
{
	struct muisp_fti_tab *t;
	struct mem_cgroup *memcg;

	memcg = set_active_memcg(ft->memcg);
	t = kvmalloc(fti_tab_bytes(n), GFP_KERNEL_ACCOUNT);
	set_active_memcg(memcg);
	if (t)
		fti_tab_init(t, n, nulls);
	return t;
}

/*
 * Collector: resize the bucket array if the load asks for it, moving one
 * stripe at a time into the future array under the stripe's lock.  Only
 * the collector replaces ft->tab, so it reads it without RCU.
 */
static void ft_resize(struct muisp_flowtable *ft)
{
	struct muisp_fti_tab *old = ft_tab_owned(ft), *new;
	struct ft_stripe *s;
	u32 n, i;

	n = fti_resize_to(atomic_read(&ft->count), old->n);
	if (!n)
		return;
	new = ft_tab_alloc(ft, n, old->nulls ^ FTI_NULLS_ALT);
	if (!new) {
		/* keep the old one; no kicks until the next periodic run */
		set_bit(FT_KICKED, &ft->flags);
		return;
	}
	rcu_assign_pointer(ft->future, new);
	for (i = 0; i < FTI_STRIPES; i++) {
		s = &ft->stripes[i];
		spin_lock_bh(&s->lock);
		fti_migrate_stripe(old, new, i, &ft->seed);
		rcu_assign_pointer(s->tab, new);
		spin_unlock_bh(&s->lock);
		if (!(i & 63))
			cond_resched();
	}
	rcu_assign_pointer(ft->tab, new);
	RCU_INIT_POINTER(ft->future, NULL);
	atomic64_inc(&ft->st.resizes);
	pr_debug("flow table %u: %u buckets (was %u) for %d flows\n",
		 ft->table_id, new->n, old->n, atomic_read(&ft->count));
	/* lockless readers of the old array, and walks that strayed */
	synchronize_rcu();
	kvfree(old);
}

static void ft_gc_work(struct work_struct *work)
{
	struct muisp_flowtable *ft = container_of(to_delayed_work(work),
						  struct muisp_flowtable,
						  gc_work);
	u32 n = FTI_STRIPES / FT_GC_SWEEP_RUNS, si = ft->gc_next, i, b, end;
	struct muisp_fti_tab *t;
	struct ft_gc_arg a;

	clear_bit(FT_KICKED, &ft->flags);
	ft_resize(ft);
	if (atomic_read(&ft->count)) {
		a.idle_ns = READ_ONCE(ft->idle_ns);
		a.fin_ns = READ_ONCE(ft->fin_ns);
		t = ft_tab_owned(ft);	/* no resize but ours */
		for (i = 0; i < n; i++, si = (si + 1) % FTI_STRIPES) {
			cond_resched();
			a.now = ft_now();
			end = (si + 1) * t->k;
			for (b = si * t->k; b < end; b++) {
				rcu_read_lock();
				if (!ft_chain_may_end(t, b, ft_gc_pred, &a)) {
					rcu_read_unlock();
					continue;
				}
				rcu_read_unlock();
				ft_sweep(ft, si, fti_bucket_pos(t, b), true,
					 ft_gc_pred, &a);
			}
		}
		ft->gc_next = si;
	}
	if (!READ_ONCE(ft->dying))
		queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
				   FT_GC_INTERVAL);
}

/* Every stripe, ending what pred says (process context). */
static unsigned int ft_sweep_all(struct muisp_flowtable *ft, ft_pred_fn pred,
				 const void *arg)
{
	unsigned int total = 0;
	u32 si;

	for (si = 0; si < FTI_STRIPES; si++) {
		total += ft_sweep(ft, si, si << FTI_STRIPE_SHIFT, false, pred,
				  arg);
		if (!(si & 63))
			cond_resched();
	}
	return total;
}

/* Under the entry lock of a live entry: its payer is alive. */
static enum muisp_flow_end ft_flush_pred(const struct muisp_flow_entry *e,
					 const void *arg)
{
	u64 contract_id = *(const u64 *)arg;

	if (!contract_id || e->payer->id == contract_id)
		return MUISP_FLOW_END_FLUSH;
	return MUISP_FLOW_END_NONE;
}

unsigned int muisp_ft_flush(struct muisp_flowtable *ft, u64 contract_id)
{
	return ft_sweep_all(ft, ft_flush_pred, &contract_id);
}

struct ft_unbind_arg {
	const struct muisp_ft_cursor *who;	/* filter: the client, or none */
	enum muisp_flow_end reason;
};

static bool ft_walk_match(const struct muisp_flow_entry *e,
			  const struct muisp_ft_cursor *c);

static enum muisp_flow_end ft_unbind_pred(const struct muisp_flow_entry *e,
					  const void *arg)
{
	const struct ft_unbind_arg *a = arg;

	return ft_walk_match(e, a->who) ? a->reason : MUISP_FLOW_END_NONE;
}

/* muisp_ft_unbind() and muisp_ft_unbind_contract(): who is the filter. */
static unsigned int ft_unbind(struct muisp_flowtable *ft,
			      const struct muisp_ft_cursor *who,
			      enum muisp_flow_end reason)
{
	struct ft_unbind_arg a = { .who = who, .reason = reason };

	/*
	 * The release orders the caller's new binding before the new
	 * generation: a packet that reads this generation (acquire) finds
	 * the new binding.  One that read the old one and inserts a flow
	 * after the sweep below passed its stripe sees the new generation
	 * under the stripe lock and ends that flow at once.
	 */
	smp_store_release(&ft->bind_gen, ft->bind_gen + 1);	/* see above */
	return ft_sweep_all(ft, ft_unbind_pred, &a);
}

unsigned int muisp_ft_unbind(struct muisp_flowtable *ft, u8 family,
			     const __be32 *client, enum muisp_flow_end reason)
{
	struct muisp_ft_cursor who;

	muisp_ft_cursor_init(&who);
	if (client) {
		who.filter = MUISP_FT_FILTER_CLIENT;
		who.family = family;
		memcpy(who.client_addr, client, sizeof(who.client_addr));
	}
	return ft_unbind(ft, &who, reason);
}

unsigned int muisp_ft_unbind_contract(struct muisp_flowtable *ft,
				      u64 contract_id,
				      enum muisp_flow_end reason)
{
	struct muisp_ft_cursor who;

	muisp_ft_cursor_init(&who);
	who.filter = MUISP_FT_FILTER_CONTRACT;
	who.contract_id = contract_id;
	return ft_unbind(ft, &who, reason);
}

static int ft_check_params(const struct muisp_ft_params *p)
{
	if (p->idle_timeout_s > MUISP_FT_MAX_IDLE_S ||
	    p->fin_timeout_s > MUISP_FT_MAX_IDLE_S ||
	    p->max_flows > MUISP_FT_MAX_MAX_FLOWS)
		return -EINVAL;
	if (p->fin_timeout_s > p->idle_timeout_s)
		return -EINVAL;
	return 0;
}

struct muisp_flowtable *muisp_ft_create(const struct muisp_ft_params *params,
					muisp_flow_export_fn export, void *ctx)
{
	struct muisp_ft_params p = {
		.idle_timeout_s = MUISP_FT_DEFAULT_IDLE_S,
		.fin_timeout_s = MUISP_FT_DEFAULT_FIN_S,
		.max_flows = MUISP_FT_DEFAULT_MAX_FLOWS,
	};
	struct muisp_flowtable *ft;
	struct muisp_fti_tab *t;
	u32 i;
	int ret;

	if (!export)
		return ERR_PTR(-EINVAL);
	if (params) {
		if (params->idle_timeout_s)
			p.idle_timeout_s = params->idle_timeout_s;
		if (params->fin_timeout_s)
			p.fin_timeout_s = params->fin_timeout_s;
		else if (p.fin_timeout_s > p.idle_timeout_s)
			p.fin_timeout_s = p.idle_timeout_s;
		if (params->max_flows)
			p.max_flows = params->max_flows;
	}
	ret = ft_check_params(&p);
	if (ret)
		return ERR_PTR(ret);

	ret = ft_cache_get();
	if (ret)
		return ERR_PTR(ret);
	ret = -ENOMEM;
	ft = kzalloc(sizeof(*ft), GFP_KERNEL_ACCOUNT);
	if (!ft)
		goto err_cache;
	ret = ida_alloc_range(&ft_ids, 1, U16_MAX, GFP_KERNEL);
	if (ret < 0)
		goto err_ft;
	ft->table_id = ret;
	ret = -ENOMEM;
	ft->memcg = get_mem_cgroup_from_mm(current->mm);
	/* sized for the flows there are, grown by the collector */
	t = ft_tab_alloc(ft, fti_size(0), 0);
	if (!t)
		goto err_memcg;
	RCU_INIT_POINTER(ft->tab, t);
	ft->stripes = kvcalloc(FTI_STRIPES, sizeof(*ft->stripes),
			       GFP_KERNEL_ACCOUNT);
	if (!ft->stripes)
		goto err_tab;
	for (i = 0; i < FTI_STRIPES; i++) {
		spin_lock_init(&ft->stripes[i].lock);
		RCU_INIT_POINTER(ft->stripes[i].tab, t);
	}
	get_random_bytes(&ft->seed, sizeof(ft->seed));
	atomic_set(&ft->count, 0);
	ft->max_flows = p.max_flows;
	ft->idle_ns = (u64)p.idle_timeout_s * NSEC_PER_SEC;
	ft->fin_ns = (u64)p.fin_timeout_s * NSEC_PER_SEC;
	ft->export = export;
	ft->export_ctx = ctx;
	INIT_DELAYED_WORK(&ft->gc_work, ft_gc_work);
	queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
			   FT_GC_INTERVAL);
	pr_debug("flow table %u created: %u buckets, max %u flows\n",
		 ft->table_id, t->n, ft->max_flows);
	return ft;

err_tab:
	kvfree(t);
err_memcg:
	mem_cgroup_put(ft->memcg);
	ida_free(&ft_ids, ft->table_id);
err_ft:
	kfree(ft);
err_cache:
	ft_cache_put();
	return ERR_PTR(ret);
}

void muisp_ft_destroy(struct muisp_flowtable *ft)
{
	if (!ft)
		return;
	WRITE_ONCE(ft->dying, true);
	cancel_delayed_work_sync(&ft->gc_work);
	muisp_ft_flush(ft, 0);
	WARN_ON_ONCE(atomic_read(&ft->count));
	/* a walker or late reader may still look at the bucket array */
	synchronize_rcu();
	pr_debug("flow table %u destroyed\n", ft->table_id);
	/* every entry of the table is dead (id 0): the id may be reused */
	ida_free(&ft_ids, ft->table_id);
	mem_cgroup_put(ft->memcg);
	kvfree(ft->stripes);
	kvfree(rcu_dereference_protected(ft->tab, 1));
	kfree(ft);
	ft_cache_put();
}

int muisp_ft_set_params(struct muisp_flowtable *ft,
			const struct muisp_ft_params *params)
{
	struct muisp_ft_params p;
	int ret;

	muisp_ft_get_params(ft, &p);
	if (params->idle_timeout_s)
		p.idle_timeout_s = params->idle_timeout_s;
	if (params->fin_timeout_s)
		p.fin_timeout_s = params->fin_timeout_s;
	if (params->max_flows)
		p.max_flows = params->max_flows;
	ret = ft_check_params(&p);
	if (ret)
		return ret;
	WRITE_ONCE(ft->idle_ns, (u64)p.idle_timeout_s * NSEC_PER_SEC);
	WRITE_ONCE(ft->fin_ns, (u64)p.fin_timeout_s * NSEC_PER_SEC);
	WRITE_ONCE(ft->max_flows, p.max_flows);
	return 0;
}

void muisp_ft_get_params(struct muisp_flowtable *ft,
			 struct muisp_ft_params *p)
{
	p->idle_timeout_s = (u32)div_u64(READ_ONCE(ft->idle_ns), NSEC_PER_SEC);
	p->fin_timeout_s = (u32)div_u64(READ_ONCE(ft->fin_ns), NSEC_PER_SEC);
	p->max_flows = READ_ONCE(ft->max_flows);
}

static bool ft_walk_match(const struct muisp_flow_entry *e,
			  const struct muisp_ft_cursor *c)
{
	if ((c->filter & MUISP_FT_FILTER_CONTRACT) &&
	    e->payer->id != c->contract_id)
		return false;
	if ((c->filter & MUISP_FT_FILTER_CLIENT) &&
	    (e->key.family != c->family ||
	     memcmp(e->key.client_addr, c->client_addr,
		    sizeof(c->client_addr))))
		return false;
	return true;
}

/*
 * The first flow of stripe @si after the cursor in (position, id) order
 * that matches its filter, snapshot into @rec; its position in *pos.
 * Returns false if there is none.
 */
static bool ft_walk_next(struct muisp_flowtable *ft, u32 si,
			 const struct muisp_ft_cursor *c,
			 struct muisp_flow_record *rec, u32 *pos, s64 off)
{
	struct muisp_flow_entry *e, *best = NULL;
	struct ft_stripe *s = &ft->stripes[si];
	struct hlist_nulls_node *n;
	struct muisp_fti_tab *t;
	u32 b, end, epos;

	spin_lock_bh(&s->lock);
	t = ft_stripe_tab(s);
	end = (si + 1) * t->k;
	/* buckets are in position order: the first with one is the one */
	for (b = fti_bucket(t, c->pos); b < end && !best; b++) {
		hlist_nulls_for_each_entry(e, n, &t->b[b], node) {
			/* linked, so live; key and ids fixed while linked */
			if (!ft_walk_match(e, c))
				continue;
			epos = ft_pos_of(ft, &e->key);
			if (!fti_after(epos, e->id, c->pos, c->last_id))
				continue;
			if (!best || fti_after(*pos, best->id, epos, e->id)) {
				best = e;
				*pos = epos;
			}
		}
	}
	if (best) {
		spin_lock(&best->lock);
		muisp_flow_entry_record(best, rec, off, MUISP_FLOW_END_NONE);
		spin_unlock(&best->lock);
	}
	spin_unlock_bh(&s->lock);
	return best;
}

int muisp_ft_walk(struct muisp_flowtable *ft, struct muisp_ft_cursor *c,
		  int (*fn)(void *arg, const struct muisp_flow_record *rec),
		  void *arg)
{
	struct muisp_flow_record rec;
	s64 off = ft_mono_to_real();
	u32 si, pos = 0;
	int ret;

	while (!c->done) {
		si = fti_stripe(c->pos);
		if (!ft_walk_next(ft, si, c, &rec, &pos, off)) {
			if (si == FTI_STRIPES - 1) {
				c->done = 1;
				break;
			}
			c->pos = (si + 1) << FTI_STRIPE_SHIFT;
			c->last_id = 0;
			if (!(si & 63))
				cond_resched();
			continue;
		}
		rcu_read_lock();
		ret = fn(arg, &rec);
		rcu_read_unlock();
		if (ret)
			return ret;
		c->pos = pos;
		c->last_id = rec.flow_id;
	}
	return 0;
}

void muisp_ft_stats(struct muisp_flowtable *ft, struct muisp_ft_stats *st)
{
	st->count = atomic_read(&ft->count);
	st->max_flows = READ_ONCE(ft->max_flows);
	rcu_read_lock();
	st->buckets = rcu_dereference(ft->tab)->n;
	rcu_read_unlock();
	st->inserts = atomic64_read(&ft->st.inserts);
	st->expired_idle = atomic64_read(&ft->st.expired_idle);
	st->expired_closed = atomic64_read(&ft->st.expired_closed);
	st->evictions = atomic64_read(&ft->st.evictions);
	st->flushed = atomic64_read(&ft->st.flushed);
	st->rebinds = atomic64_read(&ft->st.rebinds);
	st->alloc_failures = atomic64_read(&ft->st.alloc_failures);
	st->full_drops = atomic64_read(&ft->st.full_drops);
	st->exported = atomic64_read(&ft->st.exported);
	st->resizes = atomic64_read(&ft->st.resizes);
}

static_assert(sizeof(struct muisp_flow_entry) <= 128 ||
	      IS_ENABLED(CONFIG_DEBUG_SPINLOCK) ||
	      IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC));

#ifdef DEBUG
#include "selftest/flowtable.c"
#endif
