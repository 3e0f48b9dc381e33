// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection billing (Edell, McKeown and Varaiya, "Billing users for
 * TCP"; docs/DESIGN.md "Per-connection billing"): the module is their
 * billing gateway.  A contract with a conn-hold mode (muispd sets it)
 * sends the first packet of each new connection from the LAN (TCP, and
 * UDP with TCP_UDP) to its NFQUEUE, uncharged, instead of forwarding it,
 * and announces the connection once (MUISP_CMD_CONN_REQUEST) on the events
 * group.  muispd's access controller decides and says so
 * (MUISP_CMD_CONN_VERDICT), then sends the held packets round the FORWARD
 * hook again (NF_REPEAT): accepted, they are charged and begin the flow
 * in the one flow table, whose later packets both ways are found there
 * and never held; refused, they are dropped.
 *
 * What is remembered of a connection while it is asked about is a slot in
 * a direct-mapped table of answers (struct muisp_hold_answers, the
 * out-of-band hold's kind): "asked" while the question is open, so a
 * retransmitted SYN is queued beside the first without a second request,
 * then the verdict, for MUISP_HOLD_ANSWER_S.  New connections are limited
 * per source (conn-rate, conn-burst: the DNS limiter's buckets), so one
 * host cannot fill the queue that all share; the queue's own length is
 * muispd's to set (the NFQUEUE's maxlen), and a full queue, or none bound,
 * drops in the kernel: fail-closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/random.h>

#include "muisp.h"
#include "flowtable.h"
#include "gate.h"

/* An answer slot's value besides enum muisp_conn_verdict: asked, open. */
#define CONN_ASKED	(MUISP_CONN_MAX + 1)

int muisp_conn_up(struct muisp_net *mn)
{
	struct muisp_hold_answers *h;
	struct muisp_dns_limit *rl;
	unsigned int i;

	lockdep_assert_held(&mn->lock);
	if (rcu_access_pointer(mn->conn_answers))
		return 0;
	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	rl = kvzalloc(sizeof(*rl), GFP_KERNEL_ACCOUNT);
	if (!h || !rl) {
		kfree(h);
		kvfree(rl);
		return -ENOMEM;
	}
	spin_lock_init(&h->lock);
	get_random_bytes(&h->seed, sizeof(h->seed));
	get_random_bytes(&rl->key, sizeof(rl->key));
	for (i = 0; i < MUISP_DNS_SETS; i++)
		spin_lock_init(&rl->sets[i].lock);
	rcu_assign_pointer(mn->conn_rate, rl);
	rcu_assign_pointer(mn->conn_answers, h);
	return 0;
}

/* Unpublish; the caller frees what this returns after a grace period. */
void muisp_conn_down(struct muisp_net *mn, struct muisp_conn_gone *gone)
{
	lockdep_assert_held(&mn->lock);
	gone->answers = rcu_replace_pointer(mn->conn_answers, NULL,
					    lockdep_is_held(&mn->lock));
	gone->rate = rcu_replace_pointer(mn->conn_rate, NULL,
					 lockdep_is_held(&mn->lock));
}

void muisp_conn_free(struct muisp_conn_gone *gone)
{
	kfree(gone->answers);
	kvfree(gone->rate);
}

/* A new connection of the source saddr: within its rate? */
static bool conn_rate_ok(struct muisp_net *mn, const struct muisp_pkt *p)
{
	u32 rate = READ_ONCE(mn->cfg.conn_rate);
	struct muisp_dns_limit *rl;
	struct muisp_dns_set *set;
	bool ok;

	if (!rate)
		return true;
	rl = rcu_dereference(mn->conn_rate);
	if (unlikely(!rl))
		return true;
	set = &rl->sets[siphash(p->saddr, sizeof(p->saddr), &rl->key) &
			(MUISP_DNS_SETS - 1)];
	spin_lock(&set->lock);
	ok = muisp_gate_dns_limit(set->way, p->saddr, p->family,
				  ktime_get_coarse_ns(), rate,
				  READ_ONCE(mn->cfg.conn_burst));
	spin_unlock(&set->lock);
	return ok;
}

/*
 * FORWARD, under RCU, from the gate (hooks.c) for a packet up of contract
 * c that begins no flow, before it is charged: go on, hold it in *queue,
 * or drop it (refused, or over the source's rate).
 */
enum muisp_gate_conn muisp_conn_check(struct muisp_net *mn,
				      const struct muisp_contract *c,
				      const struct muisp_pkt *p,
				      const struct muisp_flow_key *key,
				      u16 *queue)
{
	u8 hold = READ_ONCE(c->conn_hold);
	struct muisp_hold_answers *h;
	u32 said;

	if (likely(hold == MUISP_CONN_HOLD_NONE) || !p->has_ports ||
	    (p->proto != IPPROTO_TCP &&
	     (p->proto != IPPROTO_UDP || hold != MUISP_CONN_HOLD_TCP_UDP)))
		return MUISP_GATE_CONN_GO;
	h = rcu_dereference(mn->conn_answers);
	if (unlikely(!h))	/* the LAN is being unset: nothing meters */
		return MUISP_GATE_CONN_GO;
	if (muisp_hold_answer_get(h, key, &said)) {
		if (said == MUISP_CONN_ACCEPT)
			return MUISP_GATE_CONN_GO;
		if (said == MUISP_CONN_REFUSE)
			return MUISP_GATE_CONN_REFUSED;
		/* asked already: a retransmission waits beside the first */
	} else {
		if (!conn_rate_ok(mn, p))
			return MUISP_GATE_CONN_RATE;
		muisp_hold_answer_put(h, key, CONN_ASKED, false);
		this_cpu_inc(mn->stats->conn_requests);
		muisp_event_conn(mn, key, c->id);
	}
	this_cpu_inc(mn->stats->conn_held);
	*queue = READ_ONCE(c->conn_queue);
	return MUISP_GATE_CONN_HOLD;
}

/* MUISP_CMD_CONN_VERDICT: muispd's word on the connection of key. */
int muisp_conn_verdict(struct muisp_net *mn, const struct muisp_flow_key *key,
		       u8 verdict, struct netlink_ext_ack *extack)
{
	struct muisp_hold_answers *h;
	int ret = 0;

	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG(extack, "only TCP and UDP connections are held");
		return -EINVAL;
	}
	/* the hooks take the slots' lock in softirq */
	local_bh_disable();
	rcu_read_lock();
	h = rcu_dereference(mn->conn_answers);
	if (h)
		muisp_hold_answer_put(h, key, verdict, true);
	rcu_read_unlock();
	local_bh_enable();
	if (!h) {
		NL_SET_ERR_MSG(extack, "no LAN interface is set");
		ret = -ENETDOWN;
	}
	return ret;
}
