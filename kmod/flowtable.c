// SPDX-License-Identifier: GPL-2.0
/*
 * muisp flow table (see flowtable.h for the API and context rules).
 *
 * Layout: a power-of-two array of hlist_nulls heads (nulls value = bucket
 * index), sized for a load factor <= 1/5 at max_flows, keyed with
 * SipHash-1-3 under a per-table random seed.  Writers (insert, delete)
 * serialise on a striped spinlock (stripe = bucket & stripe_mask); the
 * packet path finds entries under RCU only and then takes the entry's own
 * spinlock to update its counters.  Entries come from a
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
 * Chains are ordered by descending flow id (insert at head, id from a
 * per-stripe sequence), which is what lets muisp_ft_walk() resume from
 * (bucket, last id) across netlink messages.
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

#define FT_STRIPES_MAX		1024
#define FT_CHAIN_MAX		16	/* longest chain before evicting */
#define FT_EVICT_BUCKETS	64	/* buckets probed for a victim */
#define FT_EVICT_CANDIDATES	8	/* ... or until this many flows seen */
#define FT_GC_INTERVAL		(HZ / 4)
#define FT_GC_SWEEP_RUNS	8	/* whole table every 8 runs (2 s) */
#define FT_BATCH		4	/* records exported per lock hold */

struct ft_stripe {
	spinlock_t lock;	/* insert/unlink in the stripe's buckets */
	u64 seq;		/* flow-id sequence, under lock */
};

struct muisp_flowtable {
	struct hlist_nulls_head *buckets;
	struct ft_stripe *stripes;
	u32 nbuckets;
	u32 stripe_mask;
	u32 stripe_bits;
	u16 table_id;		/* unique among live tables, never 0 */
	struct muisp_siphash_key seed;
	struct mem_cgroup *memcg;	/* charged for the entries */

	atomic_t count;
	u32 max_flows;		/* READ_ONCE: changed by set_params */
	u64 idle_ns;
	u64 fin_ns;

	muisp_flow_export_fn export;
	void *export_ctx;

	struct delayed_work gc_work;
	u32 gc_next;
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
	} st;
};

static DEFINE_MUTEX(ft_cache_mutex);
static struct kmem_cache *ft_cache;
static unsigned int ft_cache_users;
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

static inline s64 ft_mono_to_real(void)
{
	return ktime_to_ns(ktime_mono_to_real(0));
}

static inline struct ft_stripe *ft_stripe(struct muisp_flowtable *ft, u32 b)
{
	return &ft->stripes[b & ft->stripe_mask];
}

static inline u32 ft_bucket_of(struct muisp_flowtable *ft,
			       const struct muisp_flow_key *key)
{
	return muisp_flow_bucket(muisp_flow_hash(key, &ft->seed),
				 ft->nbuckets);
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
 * Make room for one flow: pick the best victim among the flows of the
 * FT_EVICT_BUCKETS buckets from @b -- or, if those are all empty, of the
 * buckets up to the first non-empty one -- stopping early after
 * FT_EVICT_CANDIDATES flows (timed out first, then closed, then least
 * recently seen) and end it.  Packet path: rcu_read_lock, BHs off, no
 * lock held.  Returns true if a flow was ended (by us or concurrently).
 */
static bool ft_evict_one(struct muisp_flowtable *ft, u32 b, u64 now)
{
	u64 idle_ns = READ_ONCE(ft->idle_ns), fin_ns = READ_ONCE(ft->fin_ns);
	struct muisp_flow_entry *e, *victim = NULL;
	struct muisp_flow_record rec;
	struct hlist_nulls_node *n;
	u64 best = 0, victim_id = 0, score;
	u32 i, seen = 0, vb = 0, bi;
	struct ft_stripe *s;

	/* at least FT_EVICT_BUCKETS buckets; beyond, until a first flow */
	for (i = 0; i < ft->nbuckets && seen < FT_EVICT_CANDIDATES &&
	     (i < FT_EVICT_BUCKETS || !victim); i++) {
		bi = (b + i) & (ft->nbuckets - 1);
		hlist_nulls_for_each_entry_rcu(e, n, &ft->buckets[bi], node) {
			spin_lock(&e->lock);
			if (e->table_id == ft->table_id) {
				score = muisp_flow_evict_score(e, now, idle_ns,
							       fin_ns);
				if (!victim || score > best) {
					victim = e;
					victim_id = e->id;
					best = score;
					vb = bi;
				}
				seen++;
			}
			spin_unlock(&e->lock);
		}
	}
	if (!victim)	/* the table emptied under us: room enough? */
		return atomic_read(&ft->count) <= READ_ONCE(ft->max_flows);

	s = ft_stripe(ft, vb);
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

/*
 * Slow path, packet context: the lookup missed, or found an entry that
 * was dead or must be replaced (contract changed, SYN on a closed flow).
 * Under the stripe lock: look again, end what must end, insert.
 */
static int ft_account_slow(struct muisp_flowtable *ft, u32 b,
			   const struct muisp_flow_key *key,
			   enum muisp_flow_dir dir, unsigned int len,
			   u8 tcp_flags, u64 contract_id, u64 now)
{
	struct muisp_flow_entry *e, *found = NULL, *ended[2], *victim;
	struct muisp_flow_record rec[2];
	struct hlist_nulls_node *n;
	struct ft_stripe *s = ft_stripe(ft, b);
	unsigned int nended = 0, chain = 0, i, reserved, max;
	struct mem_cgroup *memcg;
	u64 best, score, idle_ns, fin_ns;
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
		if (!ft_evict_one(ft, b, now)) {
			atomic_dec(&ft->count);
			atomic64_inc(&ft->st.full_drops);
			return -ENOSPC;
		}
		if (reserved > max + 1)
			ft_evict_one(ft, b, now);
	}

	idle_ns = READ_ONCE(ft->idle_ns);
	fin_ns = READ_ONCE(ft->fin_ns);
	spin_lock(&s->lock);
	hlist_nulls_for_each_entry(e, n, &ft->buckets[b], node) {
		chain++;
		if (!found && muisp_flow_key_equal(&e->key, key))
			found = e;
	}
	if (found) {
		spin_lock(&found->lock);
		if (found->contract_id == contract_id &&
		    !(key->proto == IPPROTO_TCP &&
		      muisp_flow_tcp_reopens(found->tcp_flags, tcp_flags))) {
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
			      found->contract_id != contract_id ?
			      MUISP_FLOW_END_REBIND : MUISP_FLOW_END_CLOSED);
		chain--;
	}
	if (chain >= FT_CHAIN_MAX) {
		/* hash flooding or bad luck: evict within the chain */
		victim = NULL;
		best = 0;
		hlist_nulls_for_each_entry(e, n, &ft->buckets[b], node) {
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
				      (++s->seq << ft->stripe_bits) |
				      (b & ft->stripe_mask),
				      contract_id, now);
		muisp_flow_entry_update(e, dir, len, tcp_flags, now);
		spin_unlock(&e->lock);
		hlist_nulls_add_head_rcu(&e->node, &ft->buckets[b]);
		atomic64_inc(&ft->st.inserts);
	}
	spin_unlock(&s->lock);

	for (i = 0; i < nended; i++)
		ft_end_finish(ft, ended[i], &rec[i]);
	return ret;
}

int muisp_ft_account(struct muisp_flowtable *ft,
		     const struct muisp_flow_key *key, enum muisp_flow_dir dir,
		     unsigned int len, u8 tcp_flags, u64 contract_id)
{
	u32 b = ft_bucket_of(ft, key);
	u64 now = ktime_get_coarse_ns();
	struct muisp_flow_entry *e;
	unsigned long nulls;

again:
	e = muisp_flow_chain_find(&ft->buckets[b], key, ft->table_id, &nulls,
				  NULL);
	if (likely(e)) {
		spin_lock(&e->lock);
		if (unlikely(e->table_id != ft->table_id ||
			     !muisp_flow_key_equal(&e->key, key) ||
			     e->contract_id != contract_id ||
			     (key->proto == IPPROTO_TCP &&
			      muisp_flow_tcp_reopens(e->tcp_flags,
						     tcp_flags)))) {
			spin_unlock(&e->lock);
			goto slow;
		}
		muisp_flow_entry_update(e, dir, len, tcp_flags, now);
		spin_unlock(&e->lock);
		return 0;
	}
	/* strayed into another chain through a recycled entry: look again */
	if (unlikely(nulls != b))
		goto again;
slow:
	return ft_account_slow(ft, b, key, dir, len, tcp_flags, contract_id,
			       now);
}

/*
 * End the entries of bucket @b for which @pred says so (process context).
 * Exports in batches outside the lock.  Returns the number ended.
 */
static unsigned int ft_sweep_bucket(struct muisp_flowtable *ft, u32 b,
				    enum muisp_flow_end (*pred)
				    (const struct muisp_flow_entry *e,
				     const void *arg),
				    const void *arg)
{
	struct muisp_flow_entry *e, *ended[FT_BATCH];
	struct muisp_flow_record rec[FT_BATCH];
	struct hlist_nulls_node *pos, *next;
	struct ft_stripe *s = ft_stripe(ft, b);
	unsigned int nended, total = 0, i;
	enum muisp_flow_end reason;
	s64 off;

	do {
		if (is_a_nulls(READ_ONCE(ft->buckets[b].first)))
			break;
		nended = 0;
		off = ft_mono_to_real();
		spin_lock_bh(&s->lock);
		for (pos = ft->buckets[b].first;
		     !is_a_nulls(pos) && nended < FT_BATCH; pos = next) {
			next = pos->next;
			e = hlist_nulls_entry(pos, struct muisp_flow_entry,
					      node);
			spin_lock(&e->lock);
			reason = pred(e, arg);
			if (reason == MUISP_FLOW_END_NONE) {
				spin_unlock(&e->lock);
				continue;
			}
			ended[nended] = e;
			ft_end_locked(ft, e, &rec[nended++], off, reason);
		}
		spin_unlock_bh(&s->lock);
		for (i = 0; i < nended; i++)
			ft_end_finish(ft, ended[i], &rec[i]);
		total += nended;
	} while (nended == FT_BATCH);
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
 * Lockless look at bucket @b: may one of its entries end by @pred?  Lets
 * the collector skip chains of live flows without taking the stripe lock
 * and every entry lock (at 10,000 live flows that was 3 % of a forwarding
 * CPU).  Racy reads are fine: last_ns only grows, so a stale value makes a
 * flow look older, never younger; a walk that strayed into another chain
 * through a recycled entry answers "maybe".
 */
static bool ft_chain_may_end(struct muisp_flowtable *ft, u32 b,
			     enum muisp_flow_end (*pred)
			     (const struct muisp_flow_entry *e,
			      const void *arg),
			     const void *arg)
{
	struct muisp_flow_entry *e;
	struct hlist_nulls_node *pos;
	bool maybe = false;

	rcu_read_lock();
	hlist_nulls_for_each_entry_rcu(e, pos, &ft->buckets[b], node) {
		if (pred(e, arg) != MUISP_FLOW_END_NONE) {
			maybe = true;
			break;
		}
	}
	if (!maybe && get_nulls_value(pos) != b)
		maybe = true;
	rcu_read_unlock();
	return maybe;
}

static void ft_gc_work(struct work_struct *work)
{
	struct muisp_flowtable *ft = container_of(to_delayed_work(work),
						  struct muisp_flowtable,
						  gc_work);
	u32 n = max_t(u32, ft->nbuckets / FT_GC_SWEEP_RUNS, 1);
	u32 b = ft->gc_next, i;
	struct ft_gc_arg a;

	if (atomic_read(&ft->count)) {
		a.idle_ns = READ_ONCE(ft->idle_ns);
		a.fin_ns = READ_ONCE(ft->fin_ns);
		for (i = 0; i < n; i++) {
			if (!(i & 1023)) {
				cond_resched();
				a.now = ktime_get_coarse_ns();
			}
			if (ft_chain_may_end(ft, b, ft_gc_pred, &a))
				ft_sweep_bucket(ft, b, ft_gc_pred, &a);
			b = (b + 1) & (ft->nbuckets - 1);
		}
		ft->gc_next = b;
	}
	if (!READ_ONCE(ft->dying))
		queue_delayed_work(system_power_efficient_wq, &ft->gc_work,
				   FT_GC_INTERVAL);
}

static enum muisp_flow_end ft_flush_pred(const struct muisp_flow_entry *e,
					 const void *arg)
{
	u64 contract_id = *(const u64 *)arg;

	if (!contract_id || e->contract_id == contract_id)
		return MUISP_FLOW_END_FLUSH;
	return MUISP_FLOW_END_NONE;
}

unsigned int muisp_ft_flush(struct muisp_flowtable *ft, u64 contract_id)
{
	unsigned int total = 0;
	u32 b;

	for (b = 0; b < ft->nbuckets; b++) {
		total += ft_sweep_bucket(ft, b, ft_flush_pred, &contract_id);
		if (!(b & 4095))
			cond_resched();
	}
	return total;
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
	u32 i, nstripes;
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
	ft->nbuckets = muisp_flow_nbuckets(p.max_flows);
	ft->buckets = kvmalloc_array(ft->nbuckets, sizeof(*ft->buckets),
				     GFP_KERNEL_ACCOUNT);
	if (!ft->buckets)
		goto err_id;
	for (i = 0; i < ft->nbuckets; i++)
		INIT_HLIST_NULLS_HEAD(&ft->buckets[i], i);
	nstripes = min_t(u32, ft->nbuckets, FT_STRIPES_MAX);
	ft->stripes = kvcalloc(nstripes, sizeof(*ft->stripes),
			       GFP_KERNEL_ACCOUNT);
	if (!ft->stripes)
		goto err_buckets;
	for (i = 0; i < nstripes; i++)
		spin_lock_init(&ft->stripes[i].lock);
	ft->stripe_mask = nstripes - 1;
	ft->stripe_bits = ilog2(nstripes);
	get_random_bytes(&ft->seed, sizeof(ft->seed));
	ft->memcg = get_mem_cgroup_from_mm(current->mm);
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
		 ft->table_id, ft->nbuckets, ft->max_flows);
	return ft;

err_buckets:
	kvfree(ft->buckets);
err_id:
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
	kvfree(ft->buckets);
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
	    e->contract_id != c->contract_id)
		return false;
	if ((c->filter & MUISP_FT_FILTER_CLIENT) &&
	    (e->key.family != c->family ||
	     memcmp(e->key.client_addr, c->client_addr,
		    sizeof(c->client_addr))))
		return false;
	return true;
}

int muisp_ft_walk(struct muisp_flowtable *ft, struct muisp_ft_cursor *c,
		  int (*fn)(void *arg, const struct muisp_flow_record *rec),
		  void *arg)
{
	struct muisp_flow_record rec;
	struct muisp_flow_entry *e;
	struct hlist_nulls_node *n;
	s64 off = ft_mono_to_real();
	bool match;
	int ret = 0;
	u32 b;

	if (c->done)
		return 0;
	rcu_read_lock();
	for (b = c->bucket; b < ft->nbuckets; b++) {
		if (b != c->bucket) {
			c->bucket = b;
			c->last_id = 0;
		}
		if (!(b & 4095)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
restart:
		hlist_nulls_for_each_entry_rcu(e, n, &ft->buckets[b], node) {
			spin_lock_bh(&e->lock);
			/*
			 * chains are in descending id order; skip what was
			 * delivered, and entries recycled from elsewhere
			 */
			match = e->table_id == ft->table_id &&
				(!c->last_id || e->id < c->last_id) &&
				ft_walk_match(e, c) &&
				ft_bucket_of(ft, &e->key) == b;
			if (match)
				muisp_flow_entry_record(e, &rec, off,
							MUISP_FLOW_END_NONE);
			spin_unlock_bh(&e->lock);
			if (!match)
				continue;
			ret = fn(arg, &rec);
			if (ret)
				goto out;
			c->last_id = rec.flow_id;
		}
		if (get_nulls_value(n) != b)
			goto restart;
	}
	c->bucket = ft->nbuckets;
	c->last_id = 0;
	c->done = 1;
out:
	rcu_read_unlock();
	return ret;
}

void muisp_ft_stats(struct muisp_flowtable *ft, struct muisp_ft_stats *st)
{
	st->count = atomic_read(&ft->count);
	st->max_flows = READ_ONCE(ft->max_flows);
	st->buckets = ft->nbuckets;
	st->inserts = atomic64_read(&ft->st.inserts);
	st->expired_idle = atomic64_read(&ft->st.expired_idle);
	st->expired_closed = atomic64_read(&ft->st.expired_closed);
	st->evictions = atomic64_read(&ft->st.evictions);
	st->flushed = atomic64_read(&ft->st.flushed);
	st->rebinds = atomic64_read(&ft->st.rebinds);
	st->alloc_failures = atomic64_read(&ft->st.alloc_failures);
	st->full_drops = atomic64_read(&ft->st.full_drops);
	st->exported = atomic64_read(&ft->st.exported);
}

static_assert(sizeof(struct muisp_flow_entry) <= 128 ||
	      IS_ENABLED(CONFIG_DEBUG_SPINLOCK) ||
	      IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC));

#ifdef DEBUG
#include "selftest/flowtable.c"
#endif
