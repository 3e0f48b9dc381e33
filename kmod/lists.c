// SPDX-License-Identifier: GPL-2.0
/*
 * Walled garden (destinations reachable before payment, seed section 6
 * step 3) and the administrative block list (address, prefix or MAC).
 *
 * Each list is an RCU list walked by the packet path plus an xarray by
 * id for deletes and resumable dumps.  Lists are expected to be short
 * (tens to hundreds of entries): the packet path scans them linearly, and
 * they hold at most MUISP_MAX_GARDEN and MUISP_MAX_BLOCKS entries.
 * Expired entries stop matching at once (the packet path compares the
 * expiry) and are unlinked by the once-a-second clock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/rculist.h>
#include <linux/etherdevice.h>
#include <linux/err.h>
#include <linux/netlink.h>

#include "muisp.h"

void muisp_lists_init(struct muisp_net *mn)
{
	INIT_LIST_HEAD(&mn->garden);
	INIT_LIST_HEAD(&mn->blocks);
	xa_init_flags(&mn->garden_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&mn->block_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
}

static void list_unlink(struct muisp_net *mn, struct muisp_list_entry *e,
			bool garden)
{
	lockdep_assert_held(&mn->lock);
	list_del_rcu(&e->list);
	xa_erase(garden ? &mn->garden_ids : &mn->block_ids, e->id);
	if (garden) {
		mn->gen_garden++;
		mn->ngarden--;
	} else {
		mn->gen_block++;
		mn->nblocks--;
		if (e->is_mac)
			mn->nblocks_mac--;
	}
	kfree_rcu(e, rcu);
}

void muisp_lists_destroy(struct muisp_net *mn)
{
	struct muisp_list_entry *e, *tmp;

	mutex_lock(&mn->lock);
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
	int ret;

	lockdep_assert_held(&mn->lock);
	ret = xa_alloc(garden ? &mn->garden_ids : &mn->block_ids, &e->id, e,
		       xa_limit_31b, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(e);
		return ret;
	}
	list_add_tail_rcu(&e->list, garden ? &mn->garden : &mn->blocks);
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
	int ret;

	if (IS_ERR(e))
		return PTR_ERR(e);
	if (mac) {
		e->is_mac = 1;
		ether_addr_copy(e->mac, mac);
	}
	ret = list_add_entry(mn, e, false, id);
	if (!ret && mac)
		mn->nblocks_mac++;
	return ret;
}

int muisp_list_del(struct muisp_net *mn, bool garden, u32 id)
{
	struct muisp_list_entry *e;

	lockdep_assert_held(&mn->lock);
	e = xa_load(garden ? &mn->garden_ids : &mn->block_ids, id);
	if (!e)
		return -ENOENT;
	list_unlink(mn, e, garden);
	return 0;
}

void muisp_lists_expire(struct muisp_net *mn, u64 now_s)
{
	struct muisp_list_entry *e, *tmp;

	lockdep_assert_held(&mn->lock);
	list_for_each_entry_safe(e, tmp, &mn->garden, list)
		if (e->rule.expires_s && now_s >= e->rule.expires_s)
			list_unlink(mn, e, true);
	list_for_each_entry_safe(e, tmp, &mn->blocks, list)
		if (e->rule.expires_s && now_s >= e->rule.expires_s)
			list_unlink(mn, e, false);
}

static bool live(const struct muisp_list_entry *e, u64 now_s)
{
	return !e->rule.expires_s || now_s < e->rule.expires_s;
}

/* Packet path, under rcu_read_lock(). */
bool muisp_blocked(struct muisp_net *mn, const __be32 *addr, u8 family,
		   u64 now_s)
{
	struct muisp_list_entry *e;

	list_for_each_entry_rcu(e, &mn->blocks, list) {
		if (e->is_mac || e->rule.family != family || !live(e, now_s))
			continue;
		if (muisp_gate_prefix_match(addr, e->rule.prefix, family,
					    e->rule.plen)) {
			atomic64_inc(&e->hits);
			return true;
		}
	}
	return false;
}

bool muisp_blocked_mac(struct muisp_net *mn, const u8 *mac, u64 now_s)
{
	struct muisp_list_entry *e;

	if (!READ_ONCE(mn->nblocks_mac))
		return false;
	list_for_each_entry_rcu(e, &mn->blocks, list) {
		if (!e->is_mac || !live(e, now_s))
			continue;
		if (ether_addr_equal(e->mac, mac)) {
			atomic64_inc(&e->hits);
			return true;
		}
	}
	return false;
}

bool muisp_garden_allows(struct muisp_net *mn, const struct muisp_pkt *p,
			 int dir, u64 now_s)
{
	const __be32 *peer = dir ? p->saddr : p->daddr;
	u16 port = be16_to_cpu(dir ? p->sport : p->dport);
	struct muisp_list_entry *e;

	list_for_each_entry_rcu(e, &mn->garden, list) {
		if (muisp_gate_garden_match(&e->rule, peer, p->family,
					    p->proto, p->has_ports && !p->is_echo,
					    port, now_s)) {
			atomic64_inc(&e->hits);
			return true;
		}
	}
	return false;
}
