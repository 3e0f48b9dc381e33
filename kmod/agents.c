// SPDX-License-Identifier: GPL-2.0
/*
 * The meter's agents (per-user accounting, docs/DESIGN.md): the multi-user
 * hosts whose User Information options this namespace opens, each with
 * the key the key agreement gave it (uinfo.h), or none while that
 * agreement is down: the agent is then closed, and the router forwards
 * nothing to or from the host (fail-closed, thesis §4.5.5): with no
 * agent to name its users, the host's address would pay for them.
 *
 * Found by address in an rhashtable (the packet path, under RCU) and by a
 * stable id in an xarray (ordered, resumable dumps), as addresses are
 * (addr.c).  An agent's key is a separate object behind an RCU pointer, so
 * a new key is published whole (tfm, generation, a fresh replay window);
 * the old one is freed after a grace period, in process context, since
 * freeing a crypto transform may sleep.  Changes hold the namespace lock;
 * the grace period is waited for after it is dropped
 * (muisp_agent_release()), so a rekey holds up no other request.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/slab.h>
#include <linux/rhashtable.h>
#include <linux/netlink.h>

#include "muisp.h"
#include "uinfo.h"

static const struct rhashtable_params agent_params = {
	.key_len = sizeof(struct muisp_addr_key),
	.key_offset = offsetof(struct muisp_agent, key),
	.head_offset = offsetof(struct muisp_agent, node),
	.automatic_shrinking = true,
};

int muisp_agents_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->agent_ids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	ratelimit_state_init(&mn->log_forged, 5 * HZ, 10);
	ratelimit_state_init(&mn->log_replayed, 5 * HZ, 10);
	return rhashtable_init(&mn->agents, &agent_params);
}

static void agent_key_free(struct muisp_agent_key *k)
{
	if (!k)
		return;
	muisp_uinfo_key_free(k->aead);
	kfree_sensitive(k);
}

static void agent_free(struct muisp_net *mn, struct muisp_agent *a)
{
	pr_debug("netns %u agent %u destroyed\n", mn->net->ns.inum, a->id);
	agent_key_free(rcu_dereference_protected(a->k, true));
	kfree(a);
}

static void agent_free_cb(void *ptr, void *arg)
{
	agent_free(arg, ptr);
}

/* The hooks are gone and a grace period has passed: free directly. */
void muisp_agents_destroy(struct muisp_net *mn)
{
	kfree(rcu_dereference_protected(mn->answers, true));
	rhashtable_free_and_destroy(&mn->agents, agent_free_cb, mn);
	xa_destroy(&mn->agent_ids);
}

/* Caller holds rcu_read_lock() or mn->lock. */
struct muisp_agent *muisp_agent_lookup(struct muisp_net *mn,
				       const struct muisp_addr_key *key)
{
	return rhashtable_lookup_fast(&mn->agents, key, agent_params);
}

static struct muisp_agent_key *agent_key_new(const u8 *material, u32 key_id,
					     struct netlink_ext_ack *extack)
{
	struct muisp_agent_key *k;

	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->aead = muisp_uinfo_key_nl(material, extack);
	if (IS_ERR(k->aead)) {
		int ret = PTR_ERR(k->aead);

		kfree(k);
		return ERR_PTR(ret);
	}
	k->key_id = key_id;
	spin_lock_init(&k->lock);
	/* the meter's nonce space (uinfo.h), past any earlier boot's */
	atomic64_set(&k->ack_seq, MUISP_UINFO_SEQ_METER | ktime_get_real_ns());
	return k;
}

/*
 * What a change unpublished, freed once no packet or dump can see it:
 * after a grace period, without the namespace lock (synchronize_rcu()
 * sleeps for it).
 */
void muisp_agent_release(struct muisp_net *mn, struct muisp_agent_gone *g)
{
	if (!g->key && !g->agent)
		return;
	synchronize_rcu();
	agent_key_free(g->key);
	if (g->agent)
		agent_free(mn, g->agent);
}

/* A registered agent's key went from was to k; NULL: closed. */
static void agent_count_closed(struct muisp_net *mn,
			       const struct muisp_agent_key *was,
			       const struct muisp_agent_key *k)
{
	WRITE_ONCE(mn->nagents_closed, mn->nagents_closed + !k - !was);
}

/* The agent names its users by scheme, holding on queue q (or -1). */
static void agent_set_scheme(struct muisp_net *mn, struct muisp_agent *a,
			     u8 scheme, int q)
{
	WRITE_ONCE(mn->nagents_oob, mn->nagents_oob +
		   muisp_agent_answered(scheme) -
		   muisp_agent_answered(a->scheme));
	WRITE_ONCE(a->scheme, scheme);
	WRITE_ONCE(a->hold_queue, q);
}

/*
 * Register the agent at key, or give it a new key.  material:
 * MUISP_AGENT_KEY_LEN bytes (key, salt), or NULL to close it.  scheme:
 * enum muisp_agent_scheme; hold_queue: the NFQUEUE number for an agent
 * that answers out of band, flow-based (and only for it), else -1.  max:
 * the most agents the caller may have.  *id: the agent's id.  A replaced
 * key goes to *gone.
 */
int muisp_agent_set(struct muisp_net *mn, const struct muisp_addr_key *key,
		    const u8 *material, u32 key_id, u8 scheme, int hold_queue,
		    u32 max, u32 *id, struct muisp_agent_gone *gone,
		    struct netlink_ext_ack *extack)
{
	struct muisp_agent_key *k = NULL;
	struct muisp_agent *a;
	int ret;

	BUILD_BUG_ON(MUISP_AGENT_KEY_LEN !=
		     MUISP_UINFO_KEY_LEN + MUISP_UINFO_SALT_LEN);
	lockdep_assert_held(&mn->lock);
	/* the hold is the flow-based scheme's, and that scheme holds */
	if (hold_queue >= 0 ? scheme != MUISP_AGENT_SCHEME_OUT_OF_BAND :
			      scheme == MUISP_AGENT_SCHEME_OUT_OF_BAND) {
		NL_SET_ERR_MSG(extack,
			       "a hold queue is for out-of-band (flow-based) agents, and they need one");
		return -EINVAL;
	}
	/* the first answered agent: muispd's answers get their table */
	if (muisp_agent_answered(scheme) && !rcu_access_pointer(mn->answers)) {
		struct muisp_hold_answers *h;

		h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
		if (!h)
			return -ENOMEM;
		spin_lock_init(&h->lock);
		get_random_bytes(&h->seed, sizeof(h->seed));
		rcu_assign_pointer(mn->answers, h);
	}
	a = muisp_agent_lookup(mn, key);
	if (!a && mn->nagents >= max) {
		NL_SET_ERR_MSG(extack,
			       "agent table full (MUISP_MAX_AGENTS; MUISP_USERNS_MAX_AGENTS without CAP_NET_ADMIN in the initial user namespace)");
		return -ENOSPC;
	}
	if (material) {
		k = agent_key_new(material, key_id, extack);
		if (IS_ERR(k))
			return PTR_ERR(k);
	}

	if (a) {		/* a new key: the old one after a grace period */
		const struct muisp_agent_key *was;

		was = rcu_dereference_protected(a->k,
						lockdep_is_held(&mn->lock));
		/* the same key set again must not seal a number again */
		if (k && was)
			atomic64_set(&k->ack_seq,
				     max_t(u64, atomic64_read(&k->ack_seq),
					   atomic64_read(&was->ack_seq) +
					   (1ULL << 32)));
		gone->key = rcu_replace_pointer(a->k, k,
						lockdep_is_held(&mn->lock));
		agent_count_closed(mn, gone->key, k);
		agent_set_scheme(mn, a, scheme, hold_queue);
		mn->gen_agent++;
		*id = a->id;
		return 0;
	}

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a) {
		ret = -ENOMEM;
		goto err_key;
	}
	a->key = *key;
	a->hold_queue = -1;
	RCU_INIT_POINTER(a->k, k);
	ret = xa_alloc(&mn->agent_ids, &a->id, a, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_agent;
	/* the first agent: the intake of redirected copies (hooks.c) */
	ret = muisp_hooks_set(mn, muisp_hooks_wanted(&mn->cfg,
						     mn->nagents + 1));
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot register the netfilter hooks");
		goto err_id;
	}
	ret = rhashtable_insert_fast(&mn->agents, &a->node, agent_params);
	if (ret) {
		muisp_hooks_set(mn, muisp_hooks_wanted(&mn->cfg, mn->nagents));
		goto err_id;
	}
	WRITE_ONCE(mn->nagents, mn->nagents + 1);
	if (!k)
		WRITE_ONCE(mn->nagents_closed, mn->nagents_closed + 1);
	agent_set_scheme(mn, a, scheme, hold_queue);
	mn->gen_agent++;
	*id = a->id;
	pr_debug("netns %u agent %u created\n", mn->net->ns.inum, a->id);
	return 0;

err_id:
	xa_erase(&mn->agent_ids, a->id);
	/* a dump may have seen it; rare (no memory): wait here */
	synchronize_rcu();
err_agent:
	kfree(a);
err_key:
	agent_key_free(k);
	return ret;
}

/* The agent leaves the tables; it goes to *gone. */
int muisp_agent_del(struct muisp_net *mn, const struct muisp_addr_key *key,
		    struct muisp_agent_gone *gone)
{
	struct muisp_agent *a;

	lockdep_assert_held(&mn->lock);
	a = muisp_agent_lookup(mn, key);
	if (!a)
		return -ENOENT;
	rhashtable_remove_fast(&mn->agents, &a->node, agent_params);
	xa_erase(&mn->agent_ids, a->id);
	WRITE_ONCE(mn->nagents, mn->nagents - 1);
	if (!rcu_access_pointer(a->k))
		WRITE_ONCE(mn->nagents_closed, mn->nagents_closed - 1);
	agent_set_scheme(mn, a, MUISP_AGENT_SCHEME_IN_BAND, -1);
	/* the last one: no intake (only unregisters, cannot fail) */
	muisp_hooks_set(mn, muisp_hooks_wanted(&mn->cfg, mn->nagents));
	mn->gen_agent++;
	gone->agent = a;
	return 0;
}

/*
 * The agent of the LAN host at addr (4 or 16 bytes as family says), under
 * RCU; NULL if none.  One compare while no agent is registered.
 */
struct muisp_agent *muisp_agent_at(struct muisp_net *mn, u8 family,
				   const void *addr)
{
	struct muisp_addr_key key = { .family = family };

	if (!READ_ONCE(mn->nagents))
		return NULL;
	memcpy(key.addr, addr, family == MUISP_AF_INET ? 4 : 16);
	return muisp_agent_lookup(mn, &key);
}

/* The agent's key generation, under RCU; 0 if it has none. */
u32 muisp_agent_key_id(const struct muisp_agent *a)
{
	const struct muisp_agent_key *k = rcu_dereference(a->k);

	return k ? k->key_id : 0;
}

/*
 * FORWARD, under RCU, while some agent is closed: is the LAN host at addr
 * (the source of a packet from the LAN, the destination of one to it) a
 * closed agent?  Then the packet is dropped, counted on the agent.
 */
bool muisp_agent_closed_drop(struct muisp_net *mn, u8 family,
			     const void *addr)
{
	struct muisp_agent *a = muisp_agent_at(mn, family, addr);

	if (!a || rcu_access_pointer(a->k))
		return false;
	atomic64_inc(&a->blocked);
	return true;
}
