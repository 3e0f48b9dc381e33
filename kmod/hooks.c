// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks, registered in every network namespace:
 *
 *  PRE_ROUTING (IPv4, IPv6), with require-tunnel on: LAN packets from an
 *    address that has a tunnel identity must come out of that IPsec SA
 *    (or be the tunnel's own AH/ESP/IKE/DHCP/ND traffic); spoofed ones are
 *    dropped here, counted as TUNNEL, before conntrack and routing.
 *  FORWARD (IPv4, IPv6): the access gate.  A packet entering on the LAN
 *    interface is "up" (the client is its source), one leaving through it
 *    "down" (the client is its destination); anything else is not ours.
 *    Order: block list -> client bound to an ACTIVE contract (charge the
 *    contract, meter the flow) -> walled garden -> drop, counted by reason.
 *  LOCAL_IN (IPv4, IPv6): LAN -> router.  Block list -> always-allowed
 *    services (DHCP, IKE/IPsec, DNS, control port, ICMP basics) -> clients
 *    of ACTIVE contracts -> drop.
 *
 * Runs in softirq under rcu_read_lock(); never sleeps.  Nothing is done
 * until a LAN interface is configured.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/if_arp.h>
#include <linux/etherdevice.h>
#include <net/xfrm.h>

#include "muisp.h"
#include "flowtable.h"

#define MUISP_HOOK_PRIO	(NF_IP_PRI_SECURITY + 10)

/* The transform that decapsulated skb (last of its secpath), if any. */
static bool xfrm_seen(const struct sk_buff *skb, struct muisp_xfrm_seen *seen)
{
#ifdef CONFIG_XFRM
	const struct sec_path *sp = skb_sec_path(skb);
	const struct xfrm_state *x;

	if (!sp || !sp->len)
		return false;
	x = sp->xvec[sp->len - 1];
	seen->spi = ntohl(x->id.spi);
	seen->proto = x->id.proto;
	seen->reqid = x->props.reqid;
	seen->if_id = x->if_id;
	seen->tunnel_mode = x->props.mode == XFRM_MODE_TUNNEL;
	return true;
#else
	return false;
#endif
}

static const u8 *src_mac(const struct sk_buff *skb,
			 const struct net_device *in)
{
	if (!in || in->type != ARPHRD_ETHER || !skb_mac_header_was_set(skb) ||
	    skb_mac_header_len(skb) < ETH_HLEN)
		return NULL;
	return eth_hdr(skb)->h_source;
}

static int parse(struct sk_buff *skb, const struct nf_hook_state *state,
		 struct muisp_pkt *p)
{
	u8 buf[MUISP_PARSE_WINDOW];
	unsigned int len = min_t(unsigned int, skb->len, sizeof(buf));
	const u8 *data = skb_header_pointer(skb, 0, len, buf);

	if (!data)
		return -EINVAL;
	return muisp_gate_parse(data, len, skb->len,
				state->pf == NFPROTO_IPV4 ? MUISP_AF_INET :
							    MUISP_AF_INET6,
				p);
}

static unsigned int drop(struct muisp_net *mn, int reason)
{
	muisp_drop_count(mn, reason);
	return NF_DROP;
}

static void meter(struct muisp_net *mn, const struct muisp_pkt *p, int dir,
		  u32 contract_id)
{
	const __be32 *client = dir ? p->daddr : p->saddr;
	const __be32 *peer = dir ? p->saddr : p->daddr;
	__be16 cport = dir ? p->dport : p->sport;
	__be16 pport = dir ? p->sport : p->dport;
	struct muisp_flow_key key;

	if (p->is_echo) {
		cport = p->sport;
		pport = 0;
	} else if (!p->has_ports) {
		cport = 0;
		pport = 0;
	}
	muisp_flow_key_init(&key, p->family == MUISP_AF_INET ? AF_INET :
			    AF_INET6, p->proto, client, peer, cport, pport);
	if (muisp_ft_account(mn->ft, &key, dir, p->l3_len, p->tcp_flags,
			     contract_id))
		this_cpu_inc(mn->stats->unmetered);
}

/*
 * LAN ingress, before routing and conntrack: a packet with the source
 * address of an entry that has a tunnel identity must have come out of that
 * SA, or be the tunnel's own traffic (muisp_gate_tunnel_ok()).  The kernel's
 * XFRM forward policy check would drop most spoofed packets too, but later
 * and without saying why; here they are counted by reason before anything
 * else (conntrack, routing, metering) spends work on them.
 */
static unsigned int muisp_pre_routing(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct muisp_net *mn = muisp_net(state->net);
	u32 lan = READ_ONCE(mn->cfg.lan_ifindex);
	struct muisp_xfrm_seen seen;
	struct muisp_addr_key key;
	struct muisp_addr *a;
	struct muisp_pkt p;

	if (!lan || !state->in || state->in->ifindex != lan ||
	    !READ_ONCE(mn->cfg.require_tunnel))
		return NF_ACCEPT;
	if (parse(skb, state, &p))
		return NF_ACCEPT;	/* counted as MALFORMED by the gate */
	memset(&key, 0, sizeof(key));
	memcpy(key.addr, p.saddr, sizeof(key.addr));
	key.family = p.family;
	a = muisp_addr_lookup(mn, &key);
	if (!a || !a->tun.spi)
		return NF_ACCEPT;
	if (muisp_gate_tunnel_ok(&p, &a->tun,
				 xfrm_seen(skb, &seen) ? &seen : NULL))
		return NF_ACCEPT;
	return drop(mn, MUISP_DROP_TUNNEL);
}

static unsigned int muisp_forward(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct muisp_net *mn = muisp_net(state->net);
	u32 lan = READ_ONCE(mn->cfg.lan_ifindex);
	struct muisp_contract *c;
	struct muisp_addr_key key;
	struct muisp_addr *a;
	struct muisp_pkt p;
	int dir, reason;
	u64 now_s;

	if (!lan)
		return NF_ACCEPT;
	if (state->in && state->in->ifindex == lan)
		dir = MUISP_DIR_UP;
	else if (state->out && state->out->ifindex == lan)
		dir = MUISP_DIR_DOWN;
	else
		return NF_ACCEPT;
	if (parse(skb, state, &p))
		return drop(mn, MUISP_DROP_MALFORMED);

	now_s = ktime_get_real_seconds();
	if (!list_empty(&mn->blocks)) {
		const u8 *mac = dir == MUISP_DIR_UP ?
				src_mac(skb, state->in) : NULL;

		if (muisp_blocked(mn, p.saddr, p.family, now_s) ||
		    muisp_blocked(mn, p.daddr, p.family, now_s) ||
		    (mac && muisp_blocked_mac(mn, mac, now_s)))
			return drop(mn, MUISP_DROP_BLOCKED);
	}

	memset(&key, 0, sizeof(key));
	memcpy(key.addr, dir ? p.daddr : p.saddr, sizeof(key.addr));
	key.family = p.family;
	a = muisp_addr_lookup(mn, &key);
	reason = MUISP_DROP_NOT_BOUND;
	if (a && a->state == MUISP_ADDR_STATE_BOUND) {
		c = muisp_contract_lookup(mn, a->contract_id);
		/* bound before require-tunnel was switched on */
		if (!a->tun.spi && READ_ONCE(mn->cfg.require_tunnel))
			return drop(mn, MUISP_DROP_TUNNEL);
		if (!c)
			reason = MUISP_DROP_NO_CONTRACT;
		else
			reason = muisp_contract_charge(mn, c, dir, p.l3_len);
		if (!reason) {
			struct muisp_pcpu_stats *st = this_cpu_ptr(mn->stats);

			st->packets[dir]++;
			st->bytes[dir] += p.l3_len;
			meter(mn, &p, dir, c->id);
			return NF_ACCEPT;
		}
	}
	if (!list_empty(&mn->garden) &&
	    muisp_garden_allows(mn, &p, dir, now_s)) {
		this_cpu_inc(mn->stats->garden);
		return NF_ACCEPT;
	}
	return drop(mn, reason);
}

static unsigned int muisp_local_in(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct muisp_net *mn = muisp_net(state->net);
	u32 lan = READ_ONCE(mn->cfg.lan_ifindex);
	struct muisp_contract *c;
	struct muisp_addr_key key;
	struct muisp_addr *a;
	struct muisp_pkt p;
	u64 now_s;

	if (!lan || !state->in || state->in->ifindex != lan)
		return NF_ACCEPT;
	if (parse(skb, state, &p))
		return drop(mn, MUISP_DROP_MALFORMED);
	if (!list_empty(&mn->blocks)) {
		const u8 *mac = src_mac(skb, state->in);

		now_s = ktime_get_real_seconds();
		if (muisp_blocked(mn, p.saddr, p.family, now_s) ||
		    (mac && muisp_blocked_mac(mn, mac, now_s)))
			return drop(mn, MUISP_DROP_BLOCKED);
	}
	if (muisp_gate_local_service(&p, READ_ONCE(mn->cfg.control_port)))
		goto accept;

	memset(&key, 0, sizeof(key));
	memcpy(key.addr, p.saddr, sizeof(key.addr));
	key.family = p.family;
	a = muisp_addr_lookup(mn, &key);
	if (a && a->state == MUISP_ADDR_STATE_BOUND) {
		c = muisp_contract_lookup(mn, a->contract_id);
		if (c && READ_ONCE(c->status) == MUISP_CONTRACT_STATUS_ACTIVE)
			goto accept;
	}
	return drop(mn, MUISP_DROP_LOCAL);
accept:
	this_cpu_inc(mn->stats->local);
	return NF_ACCEPT;
}

static const struct nf_hook_ops muisp_nf_ops[] = {
	{
		.hook = muisp_pre_routing,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_RAW + 1,
	},
	{
		.hook = muisp_pre_routing,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_RAW + 1,
	},
	{
		.hook = muisp_forward,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = MUISP_HOOK_PRIO,
	},
	{
		.hook = muisp_forward,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = MUISP_HOOK_PRIO,
	},
	{
		.hook = muisp_local_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = MUISP_HOOK_PRIO,
	},
	{
		.hook = muisp_local_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = MUISP_HOOK_PRIO,
	},
};

int muisp_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, muisp_nf_ops,
				     ARRAY_SIZE(muisp_nf_ops));
}

/* Hooks may still run until the next grace period. */
void muisp_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, muisp_nf_ops, ARRAY_SIZE(muisp_nf_ops));
}
