// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user contracts (docs/DESIGN.md, "Per-user contracts"): a user of a
 * multi-user host, named by the Accounting ID the host's agent seals into
 * its packets (uinfo_meter.c), bound to a contract of their own.  The
 * gate then charges and limits that user's packets on that contract, and
 * their flows carry it, so the flow records, the exports and the limits
 * are per user, not per host.
 *
 * A binding is found by <host address, Accounting ID> in an rhashtable
 * (the packet path, under RCU) and by a stable id in an xarray (ordered,
 * resumable dumps), as addresses are (addr.c), and is never changed in
 * place, but for the number of the last usage record moved to it.  A
 * contract counts the users bound to it (nusers) and cannot be deleted
 * while it has any.  A binding that changes or goes ends the
 * flows of the contract it had, with a new binding generation, so that no
 * packet is charged to it after the change (muisp_ft_unbind_contract()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/rhashtable.h>
#include <linux/netlink.h>

#include "muisp.h"
#include "flowtable.h"

static const struct rhashtable_params user_params = {
	.key_len = sizeof(struct muisp_user_key),
	.key_offset = offsetof(struct muisp_user, key),
	.head_offset = offsetof(struct muisp_user, node),
	.automatic_shrinking = true,
};

int muisp_users_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->user_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	return rhashtable_init(&mn->users, &user_params);
}

static void user_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* The hooks are gone and a grace period has passed: free directly. */
void muisp_users_destroy(struct muisp_net *mn)
{
	rhashtable_free_and_destroy(&mn->users, user_free, NULL);
	xa_destroy(&mn->user_ids);
}

/* Caller holds rcu_read_lock() or mn->lock. */
struct muisp_user *muisp_user_lookup(struct muisp_net *mn,
				     const struct muisp_user_key *key)
{
	return rhashtable_lookup_fast(&mn->users, key, user_params);
}

/* Its users' packets are no longer this contract's: end its flows. */
static void user_unbind(struct muisp_net *mn, struct muisp_contract *c,
			enum muisp_flow_end reason)
{
	struct muisp_flowtable *ft = muisp_ft(mn);

	c->nusers--;
	if (ft)
		muisp_ft_unbind_contract(ft, c->id, reason);
}

/*
 * Bind key's user to contract_id, or rebind it.  max: the most bindings
 * the caller may have.  *id: the binding's id.
 */
int muisp_user_set(struct muisp_net *mn, const struct muisp_user_key *key,
		   u64 contract_id, u32 max, u32 *id,
		   struct netlink_ext_ack *extack)
{
	struct muisp_contract *c, *old_c = NULL;
	struct muisp_user *old, *new;
	int ret;

	lockdep_assert_held(&mn->lock);
	c = muisp_contract_lookup(mn, contract_id);
	if (!c) {
		NL_SET_ERR_MSG(extack, "no such contract");
		return -ENOENT;
	}
	old = muisp_user_lookup(mn, key);
	if (old && old->contract_id == contract_id) {
		*id = old->id;
		return 0;
	}
	if (!old && mn->nusers >= max) {
		NL_SET_ERR_MSG(extack,
			       "user table full (MUISP_MAX_USERS; MUISP_USERNS_MAX_USERS without CAP_NET_ADMIN in the initial user namespace)");
		return -ENOSPC;
	}
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->key = *key;
	new->contract_id = contract_id;
	/* the records already moved stay moved, whatever the contract */
	new->usage_seq = old ? old->usage_seq : 0;

	if (old) {
		new->id = old->id;
		ret = rhashtable_replace_fast(&mn->users, &old->node,
					      &new->node, user_params);
		if (ret) {
			kfree(new);
			return ret;
		}
		xa_store(&mn->user_ids, new->id, new, GFP_KERNEL);
		old_c = muisp_contract_lookup(mn, old->contract_id);
		kfree_rcu(old, rcu);
	} else {
		ret = xa_alloc(&mn->user_ids, &new->id, new, xa_limit_32b,
			       GFP_KERNEL);
		if (ret) {
			kfree(new);
			return ret;
		}
		ret = rhashtable_insert_fast(&mn->users, &new->node,
					     user_params);
		if (ret) {
			xa_erase(&mn->user_ids, new->id);
			kfree_rcu(new, rcu);	/* a dump may have seen it */
			return ret;
		}
		mn->nusers++;
	}
	c->nusers++;
	/* the new binding is published: the old contract's flows end */
	if (!WARN_ON_ONCE(old && !old_c) && old_c)
		user_unbind(mn, old_c, MUISP_FLOW_END_REBIND);
	mn->gen_user++;
	*id = new->id;
	return 0;
}

int muisp_user_del(struct muisp_net *mn, const struct muisp_user_key *key)
{
	struct muisp_contract *c;
	struct muisp_user *u;

	lockdep_assert_held(&mn->lock);
	u = muisp_user_lookup(mn, key);
	if (!u)
		return -ENOENT;
	rhashtable_remove_fast(&mn->users, &u->node, user_params);
	xa_erase(&mn->user_ids, u->id);
	mn->nusers--;
	mn->gen_user++;
	c = muisp_contract_lookup(mn, u->contract_id);
	if (!WARN_ON_ONCE(!c))
		user_unbind(mn, c, MUISP_FLOW_END_FLUSH);
	kfree_rcu(u, rcu);
	return 0;
}

/*
 * A standalone agent's usage record numbered seq (thesis ch. 5(c)): what
 * the host counted for key's user, bytes and packets [MUISP_DIR_UP] sent,
 * [MUISP_DIR_DOWN] received, moves to the user's contract from the one
 * the host's address is bound to, each cut to what the host's contract has
 * counted (the router saw the host's traffic; the host only says whose it
 * was).  On return bytes and packets are what moved.  A record numbered
 * at most the last moved is refused (-EALREADY), so that muispd may ask
 * again after a crash without moving a record twice.
 */
int muisp_user_usage_move(struct muisp_net *mn,
			  const struct muisp_user_key *key, u64 seq,
			  u64 bytes[2], u64 packets[2],
			  struct netlink_ext_ack *extack)
{
	struct muisp_contract *hc, *uc;
	struct muisp_contract_ctrs t;
	struct muisp_addr *a;
	struct muisp_user *u;
	int i;

	lockdep_assert_held(&mn->lock);
	u = muisp_user_lookup(mn, key);
	if (!u) {
		NL_SET_ERR_MSG(extack, "that user of that address is not bound");
		return -ENOENT;
	}
	if (seq <= u->usage_seq) {
		NL_SET_ERR_MSG(extack, "that usage record was moved already");
		return -EALREADY;
	}
	a = muisp_addr_lookup(mn, &key->host);
	hc = a && a->contract_id ? muisp_contract_lookup(mn, a->contract_id) :
				   NULL;
	uc = muisp_contract_lookup(mn, u->contract_id);
	if (!hc || WARN_ON_ONCE(!uc)) {
		NL_SET_ERR_MSG(extack, "the host's address is bound to no contract");
		return -ENOENT;
	}
	if (hc == uc) {		/* the user pays with the host: nothing moves */
		memset(bytes, 0, 2 * sizeof(*bytes));
		memset(packets, 0, 2 * sizeof(*packets));
	} else {
		muisp_contract_counters(hc, &t, muisp_now_ms());
		for (i = 0; i < 2; i++) {
			bytes[i] = min(bytes[i], t.bytes[i]);
			packets[i] = min(packets[i], t.packets[i]);
		}
		muisp_contract_move(hc, uc, bytes, packets);
	}
	u->usage_seq = seq;
	return 0;
}
