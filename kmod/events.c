// SPDX-License-Identifier: GPL-2.0
/*
 * Multicast notifications: contract and address events on the "events"
 * group, ended flows (flow records) on the "flows" group, the agent's
 * packet reports (method REPORT, uinfo_agent.c) on the "reports" group,
 * held connections (conn.c) on the "conns" group.  All may be sent from
 * softirq (limits crossed and evictions in the packet path), so
 * everything here is GFP_ATOMIC and runs inside an RCU read section that
 * the module's exit waits for before unregistering the family.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <net/genetlink.h>

#include "muisp.h"
#include "flowtable.h"

bool muisp_genl_live;

enum {
	MUISP_MCGRP_EVENTS_IDX,
	MUISP_MCGRP_FLOWS_IDX,
	MUISP_MCGRP_REPORTS_IDX,
	MUISP_MCGRP_CONNS_IDX,
};

static bool want(struct muisp_net *mn, unsigned int group)
{
	return READ_ONCE(muisp_genl_live) && !READ_ONCE(mn->dying) &&
	       genl_has_listeners(&muisp_genl_family, mn->net, group);
}

static void send(struct muisp_net *mn, struct sk_buff *skb,
		 unsigned int group, atomic64_t *lost)
{
	int ret = genlmsg_multicast_netns(&muisp_genl_family, mn->net, skb, 0,
					  group, GFP_ATOMIC);

	if (ret && ret != -ESRCH)
		atomic64_inc(lost);
}

/*
 * A message of cmd for group, under RCU: NULL if nobody listens, or
 * (counted in *lost) without memory.  Fill it, then msg_send().
 */
static struct sk_buff *msg_new(struct muisp_net *mn, unsigned int group,
			       u8 cmd, atomic64_t *lost, void **hdr)
{
	struct sk_buff *skb;

	if (!want(mn, group))
		return NULL;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	*hdr = skb ? genlmsg_put(skb, 0, 0, &muisp_genl_family, 0, cmd) : NULL;
	if (!*hdr) {
		kfree_skb(skb);
		atomic64_inc(lost);
		return NULL;
	}
	return skb;
}

/* Send what msg_new() began, unless filling it failed (err): lost. */
static void msg_send(struct muisp_net *mn, struct sk_buff *skb, void *hdr,
		     int err, unsigned int group, atomic64_t *lost)
{
	if (err) {
		nlmsg_free(skb);
		atomic64_inc(lost);
		return;
	}
	genlmsg_end(skb, hdr);
	send(mn, skb, group, lost);
}

static int put_addr(struct sk_buff *skb, int type, u8 family,
		    const __be32 *addr)
{
	return nla_put(skb, type, family == MUISP_AF_INET6 ||
		       family == AF_INET6 ? 16 : 4, addr);
}

static u64 real_ms(void)
{
	return ktime_get_real_ns() / NSEC_PER_MSEC;
}

/*
 * A contract id in replies and events: always the u64 form, and the u32
 * one for ids it can hold (readers that know only the u32 form).
 */
int muisp_put_contract_id(struct sk_buff *skb, int a32, int a64, int pad,
			  u64 id)
{
	if (id <= U32_MAX && nla_put_u32(skb, a32, id))
		return -EMSGSIZE;
	return nla_put_u64_64bit(skb, a64, id, pad);
}

void muisp_event_contract(struct muisp_net *mn, u8 type,
			  struct muisp_contract *c, u64 used, u64 limit)
{
	struct sk_buff *skb;
	void *hdr;

	atomic64_inc(&mn->events);
	rcu_read_lock();
	skb = msg_new(mn, MUISP_MCGRP_EVENTS_IDX, MUISP_CMD_EVENT,
		      &mn->events_lost, &hdr);
	if (skb)
		msg_send(mn, skb, hdr,
			 nla_put_u8(skb, MUISP_EVENT_A_TYPE, type) ||
			 nla_put_u64_64bit(skb, MUISP_EVENT_A_TIME_MS,
					   real_ms(), MUISP_EVENT_A_PAD) ||
			 muisp_put_contract_id(skb, MUISP_EVENT_A_CONTRACT_ID,
					       MUISP_EVENT_A_CONTRACT_ID64,
					       MUISP_EVENT_A_PAD, c->id) ||
			 nla_put_u8(skb, MUISP_EVENT_A_STATUS,
				    READ_ONCE(c->status)) ||
			 nla_put_u64_64bit(skb, MUISP_EVENT_A_USED, used,
					   MUISP_EVENT_A_PAD) ||
			 nla_put_u64_64bit(skb, MUISP_EVENT_A_LIMIT, limit,
					   MUISP_EVENT_A_PAD),
			 MUISP_MCGRP_EVENTS_IDX, &mn->events_lost);
	rcu_read_unlock();
}

void muisp_event_addr(struct muisp_net *mn, const struct muisp_addr_key *key,
		      u8 old_state, u8 new_state, u64 contract_id)
{
	struct sk_buff *skb;
	void *hdr;

	atomic64_inc(&mn->events);
	rcu_read_lock();
	skb = msg_new(mn, MUISP_MCGRP_EVENTS_IDX, MUISP_CMD_EVENT,
		      &mn->events_lost, &hdr);
	if (skb)
		msg_send(mn, skb, hdr,
			 nla_put_u8(skb, MUISP_EVENT_A_TYPE,
				    MUISP_EVENT_ADDR_STATE) ||
			 nla_put_u64_64bit(skb, MUISP_EVENT_A_TIME_MS,
					   real_ms(), MUISP_EVENT_A_PAD) ||
			 put_addr(skb, MUISP_EVENT_A_ADDR, key->family,
				  key->addr) ||
			 nla_put_u8(skb, MUISP_EVENT_A_OLD_STATE, old_state) ||
			 nla_put_u8(skb, MUISP_EVENT_A_NEW_STATE, new_state) ||
			 (contract_id &&
			  muisp_put_contract_id(skb, MUISP_EVENT_A_CONTRACT_ID,
						MUISP_EVENT_A_CONTRACT_ID64,
						MUISP_EVENT_A_PAD,
						contract_id)),
			 MUISP_MCGRP_EVENTS_IDX, &mn->events_lost);
	rcu_read_unlock();
}

/*
 * A new connection of a per-connection contract is held (conn.c): on
 * "conns", a group of its own, so that "events" listeners (muispd among
 * them) are not woken for each new connection.
 */
void muisp_event_conn(struct muisp_net *mn, const struct muisp_flow_key *key,
		      u64 contract_id)
{
	struct sk_buff *skb;
	void *hdr;

	atomic64_inc(&mn->events);
	rcu_read_lock();
	skb = msg_new(mn, MUISP_MCGRP_CONNS_IDX, MUISP_CMD_CONN_REQUEST,
		      &mn->events_lost, &hdr);
	if (skb)
		msg_send(mn, skb, hdr,
			 put_addr(skb, MUISP_FLOW_A_CLIENT_ADDR, key->family,
				  key->client_addr) ||
			 put_addr(skb, MUISP_FLOW_A_PEER_ADDR, key->family,
				  key->peer_addr) ||
			 nla_put_u8(skb, MUISP_FLOW_A_PROTO, key->proto) ||
			 nla_put_u16(skb, MUISP_FLOW_A_CLIENT_PORT,
				     be16_to_cpu(key->client_port)) ||
			 nla_put_u16(skb, MUISP_FLOW_A_PEER_PORT,
				     be16_to_cpu(key->peer_port)) ||
			 nla_put_u64_64bit(skb, MUISP_FLOW_A_FIRST_MS,
					   real_ms(), MUISP_FLOW_A_PAD) ||
			 muisp_put_contract_id(skb, MUISP_FLOW_A_CONTRACT_ID,
					       MUISP_FLOW_A_CONTRACT_ID64,
					       MUISP_FLOW_A_PAD, contract_id),
			 MUISP_MCGRP_CONNS_IDX, &mn->events_lost);
	rcu_read_unlock();
}

int muisp_flow_fill(struct sk_buff *skb, const struct muisp_flow_record *rec,
		    bool with_reason)
{
	const struct muisp_flow_key *k = &rec->key;

	if (nla_put_u64_64bit(skb, MUISP_FLOW_A_ID, rec->flow_id,
			      MUISP_FLOW_A_PAD) ||
	    put_addr(skb, MUISP_FLOW_A_CLIENT_ADDR, k->family, k->client_addr) ||
	    put_addr(skb, MUISP_FLOW_A_PEER_ADDR, k->family, k->peer_addr) ||
	    nla_put_u8(skb, MUISP_FLOW_A_PROTO, k->proto) ||
	    nla_put_u16(skb, MUISP_FLOW_A_CLIENT_PORT, be16_to_cpu(k->client_port)) ||
	    nla_put_u16(skb, MUISP_FLOW_A_PEER_PORT, be16_to_cpu(k->peer_port)) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_UP_BYTES,
			      rec->bytes[MUISP_DIR_UP], MUISP_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_UP_PACKETS,
			      rec->packets[MUISP_DIR_UP], MUISP_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_DOWN_BYTES,
			      rec->bytes[MUISP_DIR_DOWN], MUISP_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_DOWN_PACKETS,
			      rec->packets[MUISP_DIR_DOWN], MUISP_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_FIRST_MS,
			      rec->first_ns / NSEC_PER_MSEC, MUISP_FLOW_A_PAD) ||
	    nla_put_u64_64bit(skb, MUISP_FLOW_A_LAST_MS,
			      rec->last_ns / NSEC_PER_MSEC, MUISP_FLOW_A_PAD) ||
	    muisp_put_contract_id(skb, MUISP_FLOW_A_CONTRACT_ID,
				  MUISP_FLOW_A_CONTRACT_ID64, MUISP_FLOW_A_PAD,
				  rec->contract_id))
		return -EMSGSIZE;
	if (k->proto == IPPROTO_TCP &&
	    nla_put_u8(skb, MUISP_FLOW_A_TCP_FLAGS,
		       rec->tcp_flags[0] | rec->tcp_flags[1]))
		return -EMSGSIZE;
	if (with_reason &&
	    nla_put_u8(skb, MUISP_FLOW_A_END_REASON, rec->end_reason))
		return -EMSGSIZE;
	return 0;
}

/* Flow-table export callback: any context, never sleeps. */
void muisp_flow_export(void *ctx, const struct muisp_flow_record *rec)
{
	struct muisp_net *mn = ctx;
	/* its number: concurrent exports never share one, gaps mean loss */
	u64 seq = atomic64_inc_return(&mn->records);
	struct sk_buff *skb;
	void *hdr;

	rcu_read_lock();
	/* NULL as well on unload or namespace teardown: nobody can listen */
	skb = msg_new(mn, MUISP_MCGRP_FLOWS_IDX, MUISP_CMD_FLOW_RECORD,
		      &mn->records_lost, &hdr);
	if (skb)
		msg_send(mn, skb, hdr,
			 muisp_flow_fill(skb, rec, true) ||
			 nla_put_u64_64bit(skb, MUISP_FLOW_A_SEQ, seq,
					   MUISP_FLOW_A_PAD),
			 MUISP_MCGRP_FLOWS_IDX, &mn->records_lost);
	rcu_read_unlock();
}

/*
 * The agent's report of a packet a mapped user sends (POST_ROUTING, any
 * context).  True if it was sent (or nobody listens: nothing to lose).
 */
bool muisp_tag_report_send(struct muisp_net *mn,
			   const struct muisp_tag_report *r)
{
	struct sk_buff *skb;
	bool ok = true;
	void *hdr;
	int ret;

	rcu_read_lock();
	if (!want(mn, MUISP_MCGRP_REPORTS_IDX))
		goto out;
	ok = false;
	/* seven scalars, two addresses */
	skb = genlmsg_new(7 * nla_total_size(sizeof(u32)) +
			  2 * nla_total_size(16), GFP_ATOMIC);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &muisp_genl_family, 0,
			  MUISP_CMD_TAG_REPORT);
	if (!hdr ||
	    nla_put_u32(skb, MUISP_TAG_REPORT_A_UID, r->uid) ||
	    nla_put_u32(skb, MUISP_TAG_REPORT_A_USER, r->user) ||
	    nla_put_u8(skb, MUISP_TAG_REPORT_A_PROTO, r->proto) ||
	    put_addr(skb, MUISP_TAG_REPORT_A_ADDR, r->family, r->addr) ||
	    nla_put_u16(skb, MUISP_TAG_REPORT_A_PORT, ntohs(r->port)) ||
	    put_addr(skb, MUISP_TAG_REPORT_A_PEER, r->family, r->peer) ||
	    nla_put_u16(skb, MUISP_TAG_REPORT_A_PEER_PORT,
			ntohs(r->peer_port)) ||
	    nla_put_u32(skb, MUISP_TAG_REPORT_A_BYTES, r->bytes) ||
	    nla_put_u32(skb, MUISP_TAG_REPORT_A_PACKETS, r->packets)) {
		nlmsg_free(skb);
		goto out;
	}
	genlmsg_end(skb, hdr);
	ret = genlmsg_multicast_netns(&muisp_genl_family, mn->net, skb, 0,
				      MUISP_MCGRP_REPORTS_IDX, GFP_ATOMIC);
	ok = !ret || ret == -ESRCH;
out:
	rcu_read_unlock();
	return ok;
}
