// SPDX-License-Identifier: GPL-2.0
/*
 * Client address table (seed Fig. 5): unallocated / allocated / bound.
 *
 * Entries are found by address in an rhashtable (packet path, RCU) and by
 * a stable id in an xarray (ordered, resumable dumps).  An entry is never
 * modified in place: a change publishes a new copy with
 * rhashtable_replace_fast() and frees the old one after a grace period, so
 * the packet path always sees a consistent (state, contract) pair.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/rhashtable.h>
#include <linux/netlink.h>

#include "muisp.h"
#include "flowtable.h"

/* Inline compare (the default is an out-of-line memcmp per packet). */
static int addr_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct muisp_addr_key *k = arg->key;
	const struct muisp_addr_key *o = &((const struct muisp_addr *)obj)->key;
	__be32 d = (k->addr[0] ^ o->addr[0]) | (k->addr[1] ^ o->addr[1]) |
		   (k->addr[2] ^ o->addr[2]) | (k->addr[3] ^ o->addr[3]);

	/* any bit set: different (the byte order does not matter) */
	return ((__force u32)d | (k->family ^ o->family)) != 0;
}

static const struct rhashtable_params addr_params = {
	.key_len = sizeof(struct muisp_addr_key),
	.key_offset = offsetof(struct muisp_addr, key),
	.head_offset = offsetof(struct muisp_addr, node),
	.obj_cmpfn = addr_cmp,
	.automatic_shrinking = true,
};

int muisp_addr_table_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->addr_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	return rhashtable_init(&mn->addrs, &addr_params);
}

static void addr_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* Hooks are gone and a grace period has passed: free directly. */
void muisp_addr_table_destroy(struct muisp_net *mn)
{
	rhashtable_free_and_destroy(&mn->addrs, addr_free, NULL);
	xa_destroy(&mn->addr_ids);
}

/* Caller holds rcu_read_lock() or mn->lock. */
struct muisp_addr *muisp_addr_lookup(struct muisp_net *mn,
				     const struct muisp_addr_key *key)
{
	return rhashtable_lookup_fast(&mn->addrs, key, addr_params);
}

static void contract_ref(struct muisp_net *mn, u64 id, int delta)
{
	struct muisp_contract *c;

	if (!id)
		return;
	c = muisp_contract_lookup(mn, id);
	if (!WARN_ON_ONCE(!c))
		c->naddrs += delta;
}

/*
 * What a flow of the address stands for (hooks.c): bound to this
 * contract, with or without a tunnel identity.  NULL: not bound.
 */
static bool addr_binding_same(const struct muisp_addr *old,
			      const struct muisp_addr *new)
{
	bool was = old && old->state == MUISP_ADDR_STATE_BOUND;
	bool is = new && new->state == MUISP_ADDR_STATE_BOUND;

	if (!was)
		return true;	/* the address had no flows */
	return is && old->contract_id == new->contract_id &&
	       !old->tun.spi == !new->tun.spi;
}

/*
 * The address's binding changed (the new one is published): its flows
 * end at once -- REBIND if it is bound to another contract, else FLUSH --
 * so that no packet is charged to the old contract after this returns.
 */
static void addr_unbind(struct muisp_net *mn, const struct muisp_addr *old,
			const struct muisp_addr *new)
{
	struct muisp_flowtable *ft = muisp_ft(mn);

	if (!ft || addr_binding_same(old, new))
		return;
	muisp_ft_unbind(ft, old->key.family == MUISP_AF_INET ? AF_INET :
			AF_INET6, old->key.addr,
			new && new->state == MUISP_ADDR_STATE_BOUND &&
			new->contract_id != old->contract_id ?
			MUISP_FLOW_END_REBIND : MUISP_FLOW_END_FLUSH);
}

/* max: the most addresses the caller may have in the table */
int muisp_addr_set(struct muisp_net *mn, const struct muisp_addr *tmpl,
		   u32 flags, u32 max, struct netlink_ext_ack *extack)
{
	const struct muisp_tunnel_id *tun;
	struct muisp_addr *old, *new;
	u8 old_state = MUISP_ADDR_STATE_UNSPEC;
	u64 old_contract = 0;
	int ret;

	lockdep_assert_held(&mn->lock);
	if (tmpl->state == MUISP_ADDR_STATE_BOUND &&
	    !muisp_contract_lookup(mn, tmpl->contract_id)) {
		NL_SET_ERR_MSG(extack, "no such contract");
		return -ENOENT;
	}
	old = muisp_addr_lookup(mn, &tmpl->key);
	if (old && (flags & MUISP_ADDR_F_EXCL)) {
		NL_SET_ERR_MSG(extack, "address exists");
		return -EEXIST;
	}
	if (!old && mn->naddrs >= max) {
		NL_SET_ERR_MSG(extack,
			       "address table full (MUISP_MAX_ADDRS; MUISP_USERNS_MAX_ADDRS without CAP_NET_ADMIN in the initial user namespace)");
		return -ENOSPC;
	}
	tun = flags & MUISP_ADDR_SET_TUNNEL ? &tmpl->tun :
	      old ? &old->tun : &tmpl->tun;
	if (tmpl->state == MUISP_ADDR_STATE_BOUND && !tun->spi &&
	    READ_ONCE(mn->cfg.require_tunnel)) {
		NL_SET_ERR_MSG(extack,
			       "require-tunnel is on: the address has no tunnel");
		return -EPERM;
	}
	new = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	if (new->state != MUISP_ADDR_STATE_BOUND)
		new->contract_id = 0;
	new->tun = *tun;

	if (old) {
		old_state = old->state;
		old_contract = old->contract_id;
		new->id = old->id;
		ret = rhashtable_replace_fast(&mn->addrs, &old->node,
					      &new->node, addr_params);
		if (ret) {
			kfree(new);
			return ret;
		}
		xa_store(&mn->addr_ids, new->id, new, GFP_KERNEL);
		addr_unbind(mn, old, new);
		kfree_rcu(old, rcu);
	} else {
		ret = xa_alloc(&mn->addr_ids, &new->id, new, xa_limit_32b,
			       GFP_KERNEL);
		if (ret) {
			kfree(new);
			return ret;
		}
		ret = rhashtable_insert_fast(&mn->addrs, &new->node,
					     addr_params);
		if (ret) {
			xa_erase(&mn->addr_ids, new->id);
			kfree_rcu(new, rcu);	/* a dump may have seen it */
			return ret;
		}
		mn->naddrs++;
	}
	contract_ref(mn, old_contract, -1);
	contract_ref(mn, new->contract_id, 1);
	mn->gen_addr++;
	if (old_state != new->state || old_contract != new->contract_id)
		muisp_event_addr(mn, &new->key, old_state, new->state,
				 new->contract_id ?: old_contract);
	return 0;
}

int muisp_addr_del(struct muisp_net *mn, const struct muisp_addr_key *key)
{
	struct muisp_addr *a;

	lockdep_assert_held(&mn->lock);
	a = muisp_addr_lookup(mn, key);
	if (!a)
		return -ENOENT;
	rhashtable_remove_fast(&mn->addrs, &a->node, addr_params);
	xa_erase(&mn->addr_ids, a->id);
	addr_unbind(mn, a, NULL);
	mn->naddrs--;
	mn->gen_addr++;
	contract_ref(mn, a->contract_id, -1);
	muisp_event_addr(mn, &a->key, a->state, MUISP_ADDR_STATE_UNSPEC,
			 a->contract_id);
	kfree_rcu(a, rcu);
	return 0;
}
