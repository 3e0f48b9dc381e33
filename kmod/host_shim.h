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

#endif /* MUISP_KERNEL_SHIM_H */
