/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-ins for the few kernel list/lock/compiler facilities that
 * kmod/flow_core.h uses (hlist_nulls, spinlock_t, READ_ONCE, __aligned),
 * with the kernel's names and memory layout.  Single-threaded: the locks
 * only count, the _rcu list operations are the plain ones.  Included by
 * kmod/flow_core.h when not building the kernel.
 */
#ifndef MUISP_KERNEL_SHIM_H
#define MUISP_KERNEL_SHIM_H

#ifdef __KERNEL__
#error "host-only header"
#endif

#include <sys/socket.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

typedef struct { int slock; } spinlock_t;
static inline void spin_lock(spinlock_t *l) { l->slock++; }
static inline void spin_unlock(spinlock_t *l) { l->slock--; }
static inline void spin_lock_init(spinlock_t *l) { l->slock = 0; }

struct hlist_nulls_node {
	struct hlist_nulls_node *next, **pprev;
};

struct hlist_nulls_head {
	struct hlist_nulls_node *first;
};

#define NULLS_MARKER(v) ((struct hlist_nulls_node *)(1UL | (((unsigned long)(v)) << 1)))
#define INIT_HLIST_NULLS_HEAD(h, v) ((h)->first = NULLS_MARKER(v))

static inline int is_a_nulls(const struct hlist_nulls_node *p)
{
	return ((unsigned long)p & 1);
}

static inline unsigned long get_nulls_value(const struct hlist_nulls_node *p)
{
	return (unsigned long)p >> 1;
}

static inline void hlist_nulls_add_head_rcu(struct hlist_nulls_node *n,
					    struct hlist_nulls_head *h)
{
	struct hlist_nulls_node *first = h->first;

	n->next = first;
	n->pprev = &h->first;
	h->first = n;
	if (!is_a_nulls(first))
		first->pprev = &n->next;
}

static inline void hlist_nulls_del_rcu(struct hlist_nulls_node *n)
{
	struct hlist_nulls_node *next = n->next;

	*n->pprev = next;
	if (!is_a_nulls(next))
		next->pprev = n->pprev;
	n->pprev = NULL;	/* the kernel poisons pprev; next stays valid */
}

#define hlist_nulls_entry(ptr, type, member) container_of(ptr, type, member)
#define hlist_nulls_for_each_entry_rcu(tpos, pos, head, member)		\
	for ((pos) = (head)->first;						\
	     !is_a_nulls(pos) &&						\
		((tpos) = hlist_nulls_entry(pos, __typeof__(*(tpos)), member), 1); \
	     (pos) = (pos)->next)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif

/*
 * For kmod/quota.h: 64-bit atomics (GCC builtins, so host tests may run
 * threads as CPUs), a spin_lock_irqsave() that excludes (unlike the
 * counting spin_lock() above; the two are not mixed on one lock while
 * threads run) and MUISP_HOST_NR_CPUS per-CPU slots in an array.
 */
#include <sched.h>

/* a benchmark may count locked operations by address (tests/bench) */
#ifndef MUISP_HOST_LOCKED_OP
#define MUISP_HOST_LOCKED_OP(a) ((void)(a))
#endif
typedef struct { int64_t counter; } atomic64_t;
#define atomic64_read(a)	__atomic_load_n(&(a)->counter, __ATOMIC_RELAXED)
#define atomic64_set(a, v)	__atomic_store_n(&(a)->counter, (v), __ATOMIC_RELAXED)
#define atomic64_try_cmpxchg(a, o, n) \
	(MUISP_HOST_LOCKED_OP(a), \
	 __atomic_compare_exchange_n(&(a)->counter, (int64_t *)(o), (n), false, \
				     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
#define atomic64_xchg(a, v) \
	(MUISP_HOST_LOCKED_OP(a), __atomic_exchange_n(&(a)->counter, (v), __ATOMIC_SEQ_CST))
#define atomic64_add(v, a) \
	(MUISP_HOST_LOCKED_OP(a), (void)__atomic_fetch_add(&(a)->counter, (v), __ATOMIC_RELAXED))
#define atomic64_add_return(v, a) \
	(MUISP_HOST_LOCKED_OP(a), __atomic_add_fetch(&(a)->counter, (v), __ATOMIC_SEQ_CST))
#define atomic64_inc(a)		atomic64_add(1, a)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define cpu_relax()		sched_yield()
#define spin_lock_irqsave(l, f) \
	do { (f) = 0; MUISP_HOST_LOCKED_OP(l); while (__atomic_exchange_n(&(l)->slock, 1, __ATOMIC_ACQUIRE)) sched_yield(); } while (0)
#define spin_unlock_irqrestore(l, f) \
	do { (void)(f); __atomic_store_n(&(l)->slock, 0, __ATOMIC_RELEASE); } while (0)
#define lockdep_assert_held(l)	((void)(l))
#define __acquires(x)
#define __releases(x)
#define lockdep_assert_irqs_disabled() do { } while (0)
#define __percpu
#define MUISP_HOST_NR_CPUS	64
#define nr_cpu_ids		MUISP_HOST_NR_CPUS
#define per_cpu_ptr(p, cpu)	(&(p)[cpu])
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < MUISP_HOST_NR_CPUS; (cpu)++)
#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned_in_smp __aligned(SMP_CACHE_BYTES)

#endif /* MUISP_KERNEL_SHIM_H */
