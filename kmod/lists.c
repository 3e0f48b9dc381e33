// SPDX-License-Identifier: GPL-2.0
/*
 * Walled garden (destinations reachable before payment, seed section 6
 * step 3) and the administrative block list (address, prefix or MAC).
 *
 * Each list is a list of entries in the order they were added (changed
 * only under the namespace lock) plus an xarray by id for deletes and
 * resumable dumps (read under RCU).  The packet path sees neither: it
 * asks an immutable lookup set of both lists (lists_core.h: a hash of
 * the addresses, prefixes and MACs, probed longest prefix first), which
 * every change rebuilds under the lock and publishes with RCU, the old
 * one freed after a grace period.  So a lookup costs one hash probe per
 * prefix length present, however long the lists (at most MUISP_MAX_GARDEN
 * and MUISP_MAX_BLOCKS entries; a set takes at most 72 bytes per entry
 * besides the entries), and a change costs a rebuild, linear in the
 * lists' length.  A change that cannot allocate its set fails with
 * -ENOMEM and changes nothing.
 *
 * Expired entries stop matching at once (the lookup compares the expiry)
 * and are removed by the once-a-second clock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/etherdevice.h>
#include <linux/err.h>
#include <linux/netlink.h>

#include "muisp.h"
#include "lists_core.h"

/* A published set: mn->lset points at set. */
struct muisp_lists {
	struct rcu_head rcu;
	struct muisp_lset set;
	/* then the set's arrays: muisp_lset_mem(set.cap) bytes */
};

/* A change to the lists, as the next set is built from them. */
struct lists_change {
	struct muisp_list_entry *add;	/* not linked yet */
	bool add_garden;
	struct muisp_list_entry *del;	/* leaves */
	u64 expire_s;			/* entries expired at: leave; 0 none */
};

static bool expired(const struct muisp_list_entry *e, u64 now_s)
{
	return now_s && e->rule.expires_s && now_s >= e->rule.expires_s;
}

static bool leaves(const struct muisp_list_entry *e,
		   const struct lists_change *c)
{
	return e == c->del || expired(e, c->expire_s);
}

static void set_free(struct muisp_lset *s)
{
	if (s)
		kvfree_rcu(container_of(s, struct muisp_lists, set), rcu);
}

static int set_feed(struct muisp_lset *s, struct list_head *head,
		    bool garden, const struct lists_change *c)
{
	struct muisp_list_entry *e;
	int ret;

	list_for_each_entry(e, head, list) {
		if (leaves(e, c))
			continue;
		ret = muisp_lset_add(s, &(struct muisp_lset_entry){
			.rule = &e->rule,
			.mac = e->is_mac ? e->mac : NULL,
			.owner = e,
			.garden = garden,
		});
		if (ret)
			return ret;
	}
	if (c->add && c->add_garden == garden)
		return muisp_lset_add(s, &(struct muisp_lset_entry){
			.rule = &c->add->rule,
			.mac = c->add->is_mac ? c->add->mac : NULL,
			.owner = c->add,
			.garden = garden,
		});
	return 0;
}

/*
 * Build the set of the lists after change c and publish it; NULL (nothing
 * to look up) when they would be empty.  Returns 0 or -ENOMEM (nothing
 * published).
 */
static int set_publish(struct muisp_net *mn, const struct lists_change *c)
{
	struct muisp_lset *old = rcu_dereference_protected(mn->lset,
					lockdep_is_held(&mn->lock));
	u32 cap = mn->ngarden + mn->nblocks + !!c->add;
	struct muisp_lists *l = NULL;
	int pass, ret = 0;

	lockdep_assert_held(&mn->lock);
	if (cap) {
		l = kvmalloc(sizeof(*l) + muisp_lset_mem(cap),
			     GFP_KERNEL_ACCOUNT);
		if (!l)
			return -ENOMEM;
		muisp_lset_init(&l->set, l + 1, cap, get_random_u64());
		for (pass = 1; pass <= 2 && !ret; pass++) {
			ret = set_feed(&l->set, &mn->garden, true, c) ?:
			      set_feed(&l->set, &mn->blocks, false, c);
			if (pass == 1)
				muisp_lset_layout(&l->set);
		}
		/* the lists hold at most cap entries */
		if (WARN_ON_ONCE(ret)) {
			kvfree(l);
			return ret;
		}
		if (!l->set.nrules) {
			kvfree(l);
			l = NULL;
		}
	}
	rcu_assign_pointer(mn->lset, l ? &l->set : NULL);
	set_free(old);
	return 0;
}

void muisp_lists_init(struct muisp_net *mn)
{
	INIT_LIST_HEAD(&mn->garden);
	INIT_LIST_HEAD(&mn->blocks);
	xa_init_flags(&mn->garden_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&mn->block_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	RCU_INIT_POINTER(mn->lset, NULL);
}

/* After the set without e is published (or none is). */
static void list_unlink(struct muisp_net *mn, struct muisp_list_entry *e,
			bool garden)
{
	lockdep_assert_held(&mn->lock);
	list_del(&e->list);
	xa_erase(garden ? &mn->garden_ids : &mn->block_ids, e->id);
	if (garden) {
		mn->gen_garden++;
		mn->ngarden--;
	} else {
		mn->gen_block++;
		mn->nblocks--;
	}
	kfree_rcu(e, rcu);
}

void muisp_lists_destroy(struct muisp_net *mn)
{
	struct muisp_list_entry *e, *tmp;

	mutex_lock(&mn->lock);
	set_free(rcu_dereference_protected(mn->lset,
					   lockdep_is_held(&mn->lock)));
	RCU_INIT_POINTER(mn->lset, NULL);
	list_for_each_entry_safe(e, tmp, &mn->garden, list)
		list_unlink(mn, e, true);
	list_for_each_entry_safe(e, tmp, &mn->blocks, list)
		list_unlink(mn, e, false);
	mutex_unlock(&mn->lock);
	xa_destroy(&mn->garden_ids);
	xa_destroy(&mn->block_ids);
}

static int list_add_entry(struct muisp_net *mn, struct muisp_list_entry *e,
			  bool garden, u32 *id)
{
	struct xarray *ids = garden ? &mn->garden_ids : &mn->block_ids;
	struct lists_change c = { .add = e, .add_garden = garden };
	int ret;

	lockdep_assert_held(&mn->lock);
	ret = xa_alloc(ids, &e->id, e, xa_limit_31b, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(e);
		return ret;
	}
	ret = set_publish(mn, &c);
	if (ret) {
		xa_erase(ids, e->id);
		kfree_rcu(e, rcu);	/* a dump may have seen it */
		return ret;
	}
	list_add_tail(&e->list, garden ? &mn->garden : &mn->blocks);
	if (garden) {
		mn->gen_garden++;
		mn->ngarden++;
	} else {
		mn->gen_block++;
		mn->nblocks++;
	}
	muisp_clock_arm(mn);
	*id = e->id;
	return 0;
}

/*
 * A new entry for rule r, unless the list already holds max entries (the
 * most the caller may have in it): ERR_PTR(-ENOSPC).
 */
static struct muisp_list_entry *list_entry_new(struct muisp_net *mn,
					       bool garden, u32 max,
					       const struct muisp_garden_rule *r,
					       struct netlink_ext_ack *extack)
{
	struct muisp_list_entry *e;

	lockdep_assert_held(&mn->lock);
	if (garden && mn->ngarden >= max) {
		NL_SET_ERR_MSG(extack,
			       "walled garden full (MUISP_MAX_GARDEN; MUISP_USERNS_MAX_GARDEN without CAP_NET_ADMIN in the initial user namespace)");
		return ERR_PTR(-ENOSPC);
	}
	if (!garden && mn->nblocks >= max) {
		NL_SET_ERR_MSG(extack,
			       "block list full (MUISP_MAX_BLOCKS; MUISP_USERNS_MAX_BLOCKS without CAP_NET_ADMIN in the initial user namespace)");
		return ERR_PTR(-ENOSPC);
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->rule = *r;
	return e;
}

int muisp_garden_add(struct muisp_net *mn, const struct muisp_garden_rule *r,
		     u32 max, u32 *id, struct netlink_ext_ack *extack)
{
	struct muisp_list_entry *e = list_entry_new(mn, true, max, r, extack);

	if (IS_ERR(e))
		return PTR_ERR(e);
	return list_add_entry(mn, e, true, id);
}

int muisp_block_add(struct muisp_net *mn, const struct muisp_garden_rule *r,
		    const u8 *mac, u32 max, u32 *id,
		    struct netlink_ext_ack *extack)
{
	struct muisp_list_entry *e = list_entry_new(mn, false, max, r, extack);

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (mac) {
		e->is_mac = 1;
		ether_addr_copy(e->mac, mac);
	}
	return list_add_entry(mn, e, false, id);
}

int muisp_list_del(struct muisp_net *mn, bool garden, u32 id)
{
	struct muisp_list_entry *e;
	struct lists_change c = {};
	int ret;

	lockdep_assert_held(&mn->lock);
	e = xa_load(garden ? &mn->garden_ids : &mn->block_ids, id);
	if (!e)
		return -ENOENT;
	c.del = e;
	ret = set_publish(mn, &c);
	if (ret)
		return ret;
	list_unlink(mn, e, garden);
	return 0;
}

/* Remove the entries expired at now_s; if no set can be built, next time. */
void muisp_lists_expire(struct muisp_net *mn, u64 now_s)
{
	struct lists_change c = { .expire_s = now_s };
	struct muisp_list_entry *e, *tmp;
	bool any = false;

	lockdep_assert_held(&mn->lock);
	list_for_each_entry(e, &mn->garden, list)
		any |= expired(e, now_s);
	list_for_each_entry(e, &mn->blocks, list)
		any |= expired(e, now_s);
	if (!any || set_publish(mn, &c))
		return;
	list_for_each_entry_safe(e, tmp, &mn->garden, list)
		if (expired(e, now_s))
			list_unlink(mn, e, true);
	list_for_each_entry_safe(e, tmp, &mn->blocks, list)
		if (expired(e, now_s))
			list_unlink(mn, e, false);
}

/* The time, read once per packet and only if a rule can expire. */
static u64 set_now(const struct muisp_lset *s, u64 *now_s)
{
	if (!s->expiring)
		return 0;
	if (!*now_s)
		*now_s = ktime_get_real_seconds();
	return *now_s;
}

/* Packet path, under rcu_read_lock(); s: rcu_dereference(mn->lset). */
bool muisp_lists_blocked(const struct muisp_lset *s, const __be32 *src,
			 const __be32 *dst, const u8 *mac, u8 family,
			 u64 *now_s)
{
	struct muisp_list_entry *e;

	e = muisp_lset_blocked(s, src, dst, mac, family, set_now(s, now_s));
	if (!e)
		return false;
	atomic64_inc(&e->hits);
	return true;
}

bool muisp_lists_garden(const struct muisp_lset *s, const struct muisp_pkt *p,
			int dir, u64 *now_s)
{
	struct muisp_list_entry *e;

	e = muisp_lset_garden(s, dir ? p->saddr : p->daddr, p->family,
			      p->proto, p->has_ports && !p->is_echo,
			      be16_to_cpu(dir ? p->sport : p->dport),
			      set_now(s, now_s));
	if (!e)
		return false;
	atomic64_inc(&e->hits);
	return true;
}
