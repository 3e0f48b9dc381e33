// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks: PRE_ROUTING (the require-tunnel check on LAN ingress,
 * before conntrack and routing), FORWARD (the access gate) and LOCAL_IN
 * (LAN -> router), for IPv4 and IPv6.  Registered per namespace on demand
 * (muisp_hooks_set()): FORWARD and LOCAL_IN while a LAN interface is
 * configured, PRE_ROUTING while require-tunnel is on too, so a namespace
 * that does not use the gate pays no dispatch per packet; POST_ROUTING
 * and LOCAL_IN while the namespace is an agent (uinfo_agent.c,
 * uinfo_inbound.c), PRE_ROUTING's intake of redirected copies while a
 * LAN is set and agents are registered (uinfo_meter.c).  The order in
 * which each decides lives in gate.h as pure logic (host-tested); a hook
 * here only finds out whether the packet is its business, parses it once
 * (or reads only its IP header, where the gate needs no more), answers
 * the table lookups the gate asks for (each at most once) and carries out
 * the verdict: count, meter, drop.
 *
 * Runs in softirq under rcu_read_lock(); never sleeps.  Nothing is done
 * until a LAN interface is configured; the flow table and the DNS rate
 * limiter come and go with it (RCU pointers: a packet that still sees the
 * LAN while it is being unset finds them NULL and is not metered).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/etherdevice.h>
#include <linux/siphash.h>
#include <net/ipv6.h>
#include <net/xfrm.h>

#include "muisp.h"
#include "flowtable.h"
#include "lists_core.h"
#include "uinfo.h"

/*
 * FORWARD and LOCAL_IN: after the filter (0) and security (50) tables,
 * before source NAT (100) and conntrack's confirmation (INT_MAX).  Behind
 * NAPT a forwarded packet is seen here between the reverse translation of
 * a reply (PRE_ROUTING, -100) and the masquerade (POST_ROUTING, 100): with
 * the client's own address both ways, so metering stays per client, and a
 * drop here leaves nothing translated or tracked (docs/NAT.md).
 */
#define MUISP_HOOK_PRIO	(NF_IP_PRI_SECURITY + 10)

/* Did the packet come out of an SA (has its secpath a transform)? */
static bool decapsulated(const struct sk_buff *skb)
{
#ifdef CONFIG_XFRM
	const struct sec_path *sp = skb_sec_path(skb);

	return sp && sp->len;
#else
	return false;
#endif
}

/* The transform that decapsulated skb (last of its secpath), if any. */
static bool xfrm_seen(const struct sk_buff *skb, struct muisp_xfrm_seen *seen)
{
#ifdef CONFIG_XFRM
	const struct sec_path *sp;
	const struct xfrm_state *x;

	if (!decapsulated(skb))
		return false;
	sp = skb_sec_path(skb);
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

/*
 * The packet path's locals are written before they are read; the kernel's
 * CONFIG_INIT_STACK_ALL_ZERO would zero them on every call (buf, the
 * packet and the context: some 40 stores per packet), so they are marked
 * __uninitialized.
 */
static int parse(struct sk_buff *skb, const struct nf_hook_state *state,
		 struct muisp_pkt *p)
{
	u8 buf[MUISP_PARSE_WINDOW] __uninitialized;
	unsigned int len = min_t(unsigned int, skb->len, sizeof(buf));
	const u8 *data = skb_header_pointer(skb, 0, len, buf);

	if (!data)
		return -EINVAL;
	return muisp_gate_parse(data, len, skb->len,
				state->pf == NFPROTO_IPV4 ? MUISP_AF_INET :
							    MUISP_AF_INET6,
				p);
}

/*
 * FORWARD's parse: an IPv4 header that checks out as ip_rcv() left it
 * (version, length, the packet trimmed to the datagram) is not checked
 * again; only the transport header is read after it
 * (muisp_gate_parse_v4_checked()).  Anything else, and IPv6, takes the
 * whole parse.
 */
static int parse_forward(struct sk_buff *skb,
			 const struct nf_hook_state *state, struct muisp_pkt *p)
{
	u8 buf[MUISP_PARSE_L4_MAX] __uninitialized;
	const struct iphdr *ip = ip_hdr(skb);
	unsigned int ihl, tot, len;
	const u8 *l4;

	if (state->pf != NFPROTO_IPV4)
		return parse(skb, state, p);
	ihl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (unlikely(ip->version != 4 || ihl < sizeof(*ip) || tot < ihl ||
		     tot != skb->len || skb_network_offset(skb)))
		return parse(skb, state, p);
	len = min_t(unsigned int, tot - ihl, sizeof(buf));
	l4 = skb_header_pointer(skb, ihl, len, buf);
	if (unlikely(!l4))
		return -EINVAL;
	return muisp_gate_parse_v4_checked((const u8 *)ip, l4, len, p);
}

/*
 * The IP header as ip_rcv() or ipv6_rcv() checked and pulled it: its
 * protocol (IPv6: the first next header), and with peek() the addresses
 * and the length, for muisp_gate_header_only().
 */
static u8 header_proto(const struct sk_buff *skb, u8 pf)
{
	return pf == NFPROTO_IPV4 ? ip_hdr(skb)->protocol :
				    ipv6_hdr(skb)->nexthdr;
}

static void peek(const struct sk_buff *skb, u8 pf, struct muisp_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ip = ip_hdr(skb);

		p->family = MUISP_AF_INET;
		p->proto = ip->protocol;
		p->saddr[0] = ip->saddr;
		p->daddr[0] = ip->daddr;
		p->l3_len = ntohs(ip->tot_len);
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		p->family = MUISP_AF_INET6;
		p->proto = ip6->nexthdr;
		memcpy(p->saddr, &ip6->saddr, sizeof(p->saddr));
		memcpy(p->daddr, &ip6->daddr, sizeof(p->daddr));
		p->l3_len = sizeof(*ip6) + ntohs(ip6->payload_len);
	}
}

/* The flow key of a packet: the client is the LAN side, either way. */
static void flow_key(struct muisp_flow_key *key, const struct muisp_pkt *p,
		     int dir)
{
	const __be32 *client = dir ? p->daddr : p->saddr;
	const __be32 *peer = dir ? p->saddr : p->daddr;
	__be16 cport = dir ? p->dport : p->sport;
	__be16 pport = dir ? p->sport : p->dport;

	if (p->is_echo) {
		cport = p->sport;
		pport = 0;
	} else if (!p->has_ports) {
		cport = 0;
		pport = 0;
	}
	/* struct muisp_pkt zeroes words 1..3 of an IPv4 address */
	muisp_flow_key_set(key, p->family == MUISP_AF_INET ? AF_INET :
			   AF_INET6, p->proto, client, peer, cport, pport);
}

/*
 * One packet, as the lookups the gate asks for see it.  FORWARD looks for
 * the packet's flow first: a live flow holds its contract (the payer), so
 * the address and contract lookups are made only for a flow's first
 * packet and after its binding changed, which ends the flow
 * (muisp_ft_unbind(); docs/DESIGN.md, "Flow-first lookup").
 */
struct hook_ctx {
	struct muisp_net *mn;
	const struct sk_buff *skb;
	const struct nf_hook_state *state;
	const struct muisp_pkt *p;	/* NULL: malformed */
	struct muisp_flowtable *ft;	/* FORWARD, while the LAN is set */
	struct muisp_ft_hint flow;	/* the packet's flow, if it has one */
	struct muisp_addr *a;		/* set by hook_addr() without a flow */
	struct muisp_contract *c;	/* set by hook_contract() */
	struct muisp_flow_key key;	/* with ft */
	u32 pos;			/* the key's hash position */
	u32 gen;			/* binding generation before a */
	u64 now_s;			/* 0 until a list needs it */
	int dir;
	bool decap;			/* came out of an SA (PRE_ROUTING) */
	bool tagged;			/* an agent's seal opened (FORWARD) */
	u32 user;			/* with tagged: its Accounting ID */
	/* a reported flow's first packet's agent, unanswered: uinfo_hold() */
	struct muisp_agent *unanswered;
	u16 hold_q;			/* MUISP_GATE_HOLD: the queue */
};

/* One lookup of the block list's set for all the packet's addresses. */
static __always_inline bool hook_blocked(void *ctx, bool dst, bool use_mac)
{
	struct hook_ctx *x = ctx;
	const struct muisp_lset *s = rcu_dereference(x->mn->lset);
	const struct muisp_pkt *p = x->p;

	if (!muisp_lset_has_blocks(s))
		return false;
	return muisp_lists_blocked(s, p->saddr, dst ? p->daddr : NULL,
				   use_mac && s->nkind[MUISP_LSET_BLOCK_MAC] ?
				   src_mac(x->skb, x->state->in) : NULL,
				   p->family, &x->now_s);
}

/*
 * The contract of a user of the source, a multi-user host, whose agent's
 * seal the packet carried (uinfo_meter.c), if the user has one of their
 * own (users.c).  Read after the binding generation, as an address is.
 */
static struct muisp_contract *hook_user_contract(struct hook_ctx *x)
{
	struct muisp_user_key key = { .user = x->user };
	struct muisp_user *u;

	if (!READ_ONCE(x->mn->nusers))
		return NULL;
	memcpy(key.host.addr, x->p->saddr, sizeof(key.host.addr));
	key.host.family = x->p->family;
	u = muisp_user_lookup(x->mn, &key);
	return u ? muisp_contract_lookup(x->mn, u->contract_id) : NULL;
}

/*
 * The client's address entry.  A live flow stands for it: the flow was
 * begun under a binding to an active contract that passed the tunnel
 * check (require-tunnel on ends every flow), and a change of the binding
 * ends it.  A user's packet with a contract of their own is gated on
 * that contract with the host address's tunnel identity; its flow is
 * still looked up, to be counted in (or ended, if another contract's).
 */
static __always_inline struct muisp_gate_addr hook_addr(void *ctx)
{
	struct hook_ctx *x = ctx;
	struct muisp_contract *uc = NULL;
	struct muisp_addr_key key;

	if (x->ft) {
		x->gen = muisp_ft_gen(x->ft);
		x->pos = muisp_ft_pos(x->ft, &x->key);
	}
	if (unlikely(x->tagged))
		uc = hook_user_contract(x);
	if (x->ft) {
		const struct muisp_flow_payer *payer;

		payer = muisp_ft_find(x->ft, x->pos, &x->key,
				      x->p->tcp_flags, &x->flow);
		if (payer && likely(!uc)) {
			x->c = container_of(payer, struct muisp_contract,
					    payer);
			return (struct muisp_gate_addr){
				.state = MUISP_ADDR_STATE_BOUND,
				.tunnel = 1,
			};
		}
	}
	/* the one place the address key of a packet is built */
	memcpy(key.addr, x->dir ? x->p->daddr : x->p->saddr,
	       sizeof(key.addr));
	key.family = x->p->family;
	memset(key.pad, 0, sizeof(key.pad));
	x->a = muisp_addr_lookup(x->mn, &key);
	if (!x->a)
		return (struct muisp_gate_addr){ 0 };
	if (uc) {
		x->c = uc;
		return (struct muisp_gate_addr){
			.state = MUISP_ADDR_STATE_BOUND,
			.tunnel = !!x->a->tun.spi,
		};
	}
	return (struct muisp_gate_addr){
		.state = x->a->state,
		.tunnel = !!x->a->tun.spi,
	};
}

static struct muisp_gate_contract hook_contract(void *ctx)
{
	struct hook_ctx *x = ctx;

	if (!x->c)	/* not the flow's payer, nor the user's contract */
		x->c = muisp_contract_lookup(x->mn, x->a->contract_id);
	if (!x->c)
		return (struct muisp_gate_contract){ 0 };
	return (struct muisp_gate_contract){
		.status = READ_ONCE(x->c->status),
		.stop_reason = READ_ONCE(x->c->drop_reason),
	};
}

/* A packet up of an ACTIVE contract: a new connection to hold? */
static u8 hook_conn(void *ctx)
{
	struct hook_ctx *x = ctx;

	if (likely(x->flow.e) || unlikely(!x->ft))
		return MUISP_GATE_CONN_GO;
	return muisp_conn_check(x->mn, x->c, x->p, &x->key, &x->hold_q);
}

static u8 hook_charge(void *ctx)
{
	struct hook_ctx *x = ctx;

	return muisp_contract_charge(x->mn, x->c, x->dir, x->p->l3_len);
}

static bool hook_tunnel_ok(void *ctx)
{
	struct hook_ctx *x = ctx;
	struct muisp_xfrm_seen seen;

	return muisp_gate_tunnel_ok(x->p, &x->a->tun,
				    xfrm_seen(x->skb, &seen) ? &seen : NULL);
}

static bool hook_garden(void *ctx)
{
	struct hook_ctx *x = ctx;
	const struct muisp_lset *s = rcu_dereference(x->mn->lset);

	return muisp_lset_has_garden(s) &&
	       muisp_lists_garden(s, x->p, x->dir, &x->now_s);
}

/* DNS from an unpaid source to the router: within its rate? */
static bool hook_dns_ok(void *ctx)
{
	struct hook_ctx *x = ctx;
	struct muisp_net *mn = x->mn;
	u32 rate = READ_ONCE(mn->cfg.dns_rate);
	struct muisp_dns_limit *d;
	struct muisp_dns_set *set;
	bool ok;

	if (!rate)
		return true;
	d = rcu_dereference(mn->dns);
	if (unlikely(!d))	/* the LAN is being unset */
		return true;
	set = &d->sets[siphash(x->p->saddr, sizeof(x->p->saddr), &d->key) &
		       (MUISP_DNS_SETS - 1)];
	spin_lock(&set->lock);
	ok = muisp_gate_dns_limit(set->way, x->p->saddr, x->p->family,
				  ktime_get_coarse_ns(), rate,
				  READ_ONCE(mn->cfg.dns_burst));
	spin_unlock(&set->lock);
	return ok;
}

/* Constant, so the gate's calls through it compile to direct calls. */
static const struct muisp_gate_lookups hook_lookups = {
	.blocked = hook_blocked,
	.addr = hook_addr,
	.contract = hook_contract,
	.conn = hook_conn,
	.charge = hook_charge,
	.tunnel_ok = hook_tunnel_ok,
	.garden = hook_garden,
	.dns_ok = hook_dns_ok,
};

/*
 * Is the packet the gate's business?  If so (returns true), parse it into
 * *p, or read only its IP header where that is enough, and set up *x for
 * the lookups.
 */
static __always_inline bool hook_start(struct hook_ctx *x,
				       struct muisp_net *mn,
				       struct sk_buff *skb,
				       const struct nf_hook_state *state,
				       enum muisp_gate_hook hook,
				       struct muisp_pkt *p)
{
	x->dir = muisp_gate_dir(hook, READ_ONCE(mn->cfg.lan_ifindex),
				state->in ? state->in->ifindex : 0,
				state->out ? state->out->ifindex : 0,
				hook == MUISP_GATE_PRE_ROUTING &&
				READ_ONCE(mn->cfg.require_tunnel));
	if (x->dir < 0)
		return false;
	x->mn = mn;
	x->skb = skb;
	x->state = state;
	x->now_s = 0;
	x->tagged = false;
	x->unanswered = NULL;
	x->ft = NULL;
	x->flow.e = NULL;
	x->c = NULL;
	/* only PRE_ROUTING judges by the SA (muisp_gate_pre_routing()) */
	x->decap = hook == MUISP_GATE_PRE_ROUTING && decapsulated(skb);
	if (hook != MUISP_GATE_FORWARD) {
		if (muisp_gate_header_only(hook, header_proto(skb, state->pf),
					   x->decap)) {
			peek(skb, state->pf, p);
			x->p = p;
			return true;
		}
		x->p = parse(skb, state, p) ? NULL : p;
		return true;
	}
	x->p = parse_forward(skb, state, p) ? NULL : p;
	if (x->p) {
		x->ft = rcu_dereference(mn->ft);
		if (x->ft)
			flow_key(&x->key, p, x->dir);
	}
	return true;
}

/*
 * The packet's flow was moved to a user's contract (a report, out of band:
 * uinfo_meter.c) after the gate charged x->c, the flow's payer then, for
 * it; the packet counted in the flow all the same, so its charge follows.
 */
static void hook_repaid(struct hook_ctx *x)
{
	u64 bytes[2] = { }, packets[2] = { };

	bytes[x->dir] = x->p->l3_len;
	packets[x->dir] = 1;
	muisp_contract_move(x->c, container_of(x->flow.payer,
					       struct muisp_contract, payer),
			    bytes, packets);
}

/* Count the packet in its flow, or begin one (FORWARD, passed). */
static void hook_meter(struct hook_ctx *x)
{
	const struct muisp_pkt *p = x->p;
	int ret;

	if (unlikely(!x->ft)) {	/* the LAN is being unset */
		this_cpu_inc(x->mn->stats->unmetered);
		return;
	}
	ret = muisp_ft_account(x->ft, x->pos, &x->key, x->dir, p->l3_len,
			       p->tcp_flags, &x->c->payer, x->gen, &x->flow);
	if (unlikely(ret == MUISP_FT_REPAID))
		hook_repaid(x);
	else if (unlikely(ret))
		this_cpu_inc(x->mn->stats->unmetered);
}

static __always_inline unsigned int hook_verdict(struct hook_ctx *x,
						 struct muisp_gate_verdict v)
{
	struct muisp_net *mn = x->mn;

	if (v.action == MUISP_GATE_PASS) {
		this_cpu_inc(mn->stats->packets[x->dir]);
		this_cpu_add(mn->stats->bytes[x->dir], x->p->l3_len);
		hook_meter(x);
		return NF_ACCEPT;
	}
	switch (v.action) {
	case MUISP_GATE_LOCAL:
		this_cpu_inc(mn->stats->local);
		return NF_ACCEPT;
	case MUISP_GATE_GARDEN:
		this_cpu_inc(mn->stats->garden);
		return NF_ACCEPT;
	case MUISP_GATE_DROP:
		muisp_drop_count(mn, v.reason);
		return NF_DROP;
	case MUISP_GATE_HOLD:
		/* no bypass: nobody bound, or the queue full, drops it */
		return NF_QUEUE_NR(x->hold_q);
	default:
		return NF_ACCEPT;
	}
}

/*
 * A packet with the source address of an entry that has a tunnel identity
 * must have come out of that SA, or be the tunnel's own traffic
 * (muisp_gate_tunnel_ok()).  The kernel's XFRM forward policy check would
 * drop most spoofed packets too, but later and without saying why; here
 * they are counted by reason before anything else (conntrack, routing,
 * metering) spends work on them.
 */
static unsigned int muisp_pre_routing(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct muisp_pkt p __uninitialized;
	struct hook_ctx x __uninitialized;

	if (!hook_start(&x, priv, skb, state, MUISP_GATE_PRE_ROUTING, &p))
		return NF_ACCEPT;
	return hook_verdict(&x, muisp_gate_pre_routing(x.p, x.decap,
						       &hook_lookups, &x));
}

/*
 * IPv4 options or an IPv6 Destination Options header first, from or to
 * the LAN: maybe a User Information option, the meter's to open and take
 * out (uinfo_meter.c) before the gate sees the packet.  Towards the LAN
 * only the meter's own Query may reach a host, so one from outside is
 * taken out too.  The IP header as ip_rcv() or ipv6_rcv() checked and
 * pulled it.
 */
static __always_inline bool uinfo_wanted(struct muisp_net *mn,
					 const struct sk_buff *skb,
					 const struct nf_hook_state *state)
{
	int lan;

	if (likely(!muisp_uinfo_carried(skb, state->pf)))
		return false;
	lan = READ_ONCE(mn->cfg.lan_ifindex);
	return (state->in && state->in->ifindex == lan) ||
	       (state->out && state->out->ifindex == lan);
}

/*
 * Passed towards the LAN: the first packet down of a flow that a contract
 * without users pays for (an address's, not a user's), to a host that
 * may be an agent?  Then the meter asks whose it is (muisp_uinfo_query()).
 * One compare per packet while no agent is registered.
 */
static __always_inline bool uinfo_query_wanted(const struct hook_ctx *x,
					       struct muisp_gate_verdict v)
{
	return unlikely(READ_ONCE(x->mn->nagents)) &&
	       x->dir == MUISP_DIR_DOWN && v.action == MUISP_GATE_PASS &&
	       (!x->flow.e || !x->flow.down) && !READ_ONCE(x->c->nusers);
}

/*
 * Passed towards the LAN while some agent is registered: a packet down of
 * a flow that may have an Acknowledgment due (muisp_uinfo_ack()): the
 * flow's first, and then its 2nd, 4th, 8th ... packet down, so that one
 * noted later (a tag the agent sent again) or lost on the way is still
 * sent, at a lookup per doubling of a long flow.  One compare per packet
 * while no agent is registered.
 */
static __always_inline bool uinfo_ack_wanted(const struct hook_ctx *x,
					     struct muisp_gate_verdict v)
{
	return unlikely(READ_ONCE(x->mn->nagents)) && x->ft &&
	       x->dir == MUISP_DIR_DOWN && v.action == MUISP_GATE_PASS &&
	       (!x->flow.e || !(x->flow.down & (x->flow.down - 1)));
}

/*
 * From the LAN, before the gate: a TCP or UDP packet of a host whose agent
 * answers out of band (thesis ch. 5) that begins no flow the table has?
 * If muispd has already said whose the flow is (an answer: uinfo_meter.c),
 * it is gated and counted as the user's, like a tagged packet, and begins
 * the flow; a flow's later packets are found in the table.  Flow-based,
 * the packet otherwise goes to the agent's NFQUEUE, uncounted, where
 * muispd asks the agent, records the answer (MUISP_CMD_AGENT_FLOW_SET)
 * and sends the packet round this hook again (NF_REPEAT); no listener on
 * the queue drops it (no bypass): the host's users are never charged to
 * the host on a guess.  Packet-based, the answer is a report that beat
 * its packet here (the packet waited on the host, for a neighbour, say);
 * without one the packet goes on as the host's (x->unanswered), until its
 * report moves the flow.  Returns the queue, or -1 to go on.
 */
static int uinfo_hold(struct hook_ctx *x)
{
	const struct muisp_pkt *p = x->p;
	struct muisp_ft_hint hint;
	struct muisp_agent *a;
	int q;

	if (!x->ft || !p->has_ports ||
	    (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return -1;
	a = muisp_agent_at(x->mn, p->family, p->saddr);
	if (!a || !muisp_agent_answered(READ_ONCE(a->scheme)))
		return -1;
	/* a live flow is known: the gate's own lookup will find it again */
	if (muisp_ft_find(x->ft, muisp_ft_pos(x->ft, &x->key), &x->key,
			  p->tcp_flags, &hint))
		return -1;
	if (muisp_uinfo_answer(x->mn, &x->key, &x->user)) {
		/* the host's own user: its address pays, as untagged */
		x->tagged = x->user != 0;
		return -1;
	}
	q = READ_ONCE(a->hold_queue);
	if (q >= 0)
		atomic64_inc(&a->held);
	else
		x->unanswered = a;
	return q;
}

/*
 * Some agent is closed (agents.c): is this packet from or to the LAN host
 * of one?  One compare per packet otherwise.
 */
static bool agent_closed(struct muisp_net *mn, const struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	int lan = READ_ONCE(mn->cfg.lan_ifindex);
	u8 family = state->pf == NFPROTO_IPV4 ? MUISP_AF_INET : MUISP_AF_INET6;
	bool from;

	if (likely(!READ_ONCE(mn->nagents_closed)))
		return false;
	if (state->in && state->in->ifindex == lan)
		from = true;
	else if (state->out && state->out->ifindex == lan)
		from = false;
	else
		return false;
	if (state->pf == NFPROTO_IPV4)
		return muisp_agent_closed_drop(mn, family,
					       from ? &ip_hdr(skb)->saddr :
						      &ip_hdr(skb)->daddr);
	return muisp_agent_closed_drop(mn, family,
				       from ? &ipv6_hdr(skb)->saddr :
					      &ipv6_hdr(skb)->daddr);
}

static unsigned int muisp_forward(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct muisp_pkt p __uninitialized;
	struct hook_ctx x __uninitialized;
	struct muisp_gate_verdict v;
	unsigned int verdict;
	bool tagged = false, ack = false;
	u32 user = 0;
	int reason;

	if (unlikely(agent_closed(priv, skb, state))) {
		muisp_drop_count(priv, MUISP_DROP_AGENT_DOWN);
		return NF_DROP;
	}
	if (unlikely(uinfo_wanted(priv, skb, state))) {
		reason = muisp_uinfo_meter(priv, skb, state->pf, &tagged,
					   &user, &ack);
		if (reason) {
			muisp_drop_count(priv, reason);
			return NF_DROP;
		}
	}
	if (!hook_start(&x, priv, skb, state, MUISP_GATE_FORWARD, &p))
		return NF_ACCEPT;
	x.tagged = tagged;
	x.user = user;
	if (unlikely(READ_ONCE(x.mn->nagents_oob)) && x.p &&
	    x.dir == MUISP_DIR_UP && !tagged) {
		int q = uinfo_hold(&x);

		if (q >= 0)
			return NF_QUEUE_NR(q);
	}
	v = muisp_gate_forward(x.p, x.dir, READ_ONCE(x.mn->cfg.require_tunnel),
			       &hook_lookups, &x);
	verdict = hook_verdict(&x, v);
	if (uinfo_query_wanted(&x, v))
		muisp_uinfo_query(priv, skb, state->pf);
	/* the flow method's tag asked for an Acknowledgment: noted */
	if (unlikely(ack) && x.ft && v.action == MUISP_GATE_PASS &&
	    verdict == NF_ACCEPT)
		muisp_uinfo_ack_arm(x.mn, x.p->family, x.p->saddr, x.pos, user);
	else if (uinfo_ack_wanted(&x, v) && verdict == NF_ACCEPT)
		muisp_uinfo_ack(priv, skb, state->pf, x.pos);
	/* an answer stored since uinfo_hold() looked finds the flow here */
	if (unlikely(x.unanswered) && verdict == NF_ACCEPT)
		muisp_uinfo_answer_late(x.mn, x.ft, x.unanswered, &x.key);
	return verdict;
}

static unsigned int muisp_local_in(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct muisp_pkt p __uninitialized;
	struct hook_ctx x __uninitialized;

	if (!hook_start(&x, priv, skb, state, MUISP_GATE_LOCAL_IN, &p))
		return NF_ACCEPT;
	return hook_verdict(&x, muisp_gate_local_in(x.p,
				READ_ONCE(x.mn->cfg.control_port),
				&hook_lookups, &x));
}

/* MUISP_HOOKS_PRE */
static const struct nf_hook_ops muisp_pre_ops[] = {
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
};

/* MUISP_HOOKS_GATE */
static const struct nf_hook_ops muisp_gate_ops[] = {
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

/*
 * MUISP_HOOKS_TAG: after source NAT, so the seal binds what leaves; a
 * received packet after the filter and conntrack, before conntrack
 * confirms its flow (uinfo_inbound.c reads "first packet" from that).
 */
static const struct nf_hook_ops muisp_tag_ops[] = {
	{
		.hook = muisp_uinfo_tag,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	},
	{
		.hook = muisp_uinfo_tag,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
	},
	{
		.hook = muisp_uinfo_inbound,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = MUISP_HOOK_PRIO,
	},
	{
		.hook = muisp_uinfo_inbound,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = MUISP_HOOK_PRIO,
	},
};

/*
 * MUISP_HOOKS_INTAKE: an agent's redirected copy is taken before
 * conntrack tracks it or a filter judges it (uinfo_meter.c).
 */
static const struct nf_hook_ops muisp_intake_ops[] = {
	{
		.hook = muisp_uinfo_intake,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = muisp_uinfo_intake,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
};

/*
 * Each set's place in mn->hook_ops: a namespace registers copies whose
 * priv is its struct muisp_net, handed to every hook call, so the packet
 * path needs no net_generic() lookup (and its RCU read section) per hook.
 */
static const struct {
	unsigned int bit;
	const struct nf_hook_ops *ops;
	unsigned int n;
	unsigned int at;
} muisp_hook_sets[] = {
	{ MUISP_HOOKS_PRE, muisp_pre_ops, ARRAY_SIZE(muisp_pre_ops), 0 },
	{ MUISP_HOOKS_GATE, muisp_gate_ops, ARRAY_SIZE(muisp_gate_ops),
	  ARRAY_SIZE(muisp_pre_ops) },
	{ MUISP_HOOKS_TAG, muisp_tag_ops, ARRAY_SIZE(muisp_tag_ops),
	  ARRAY_SIZE(muisp_pre_ops) + ARRAY_SIZE(muisp_gate_ops) },
	{ MUISP_HOOKS_INTAKE, muisp_intake_ops, ARRAY_SIZE(muisp_intake_ops),
	  ARRAY_SIZE(muisp_pre_ops) + ARRAY_SIZE(muisp_gate_ops) +
	  ARRAY_SIZE(muisp_tag_ops) },
};

static_assert(ARRAY_SIZE(muisp_pre_ops) + ARRAY_SIZE(muisp_gate_ops) +
	      ARRAY_SIZE(muisp_tag_ops) + ARRAY_SIZE(muisp_intake_ops) ==
	      MUISP_NHOOK_OPS);

/* Set i's registered copies in mn. */
static struct nf_hook_ops *hook_set_ops(struct muisp_net *mn, unsigned int i)
{
	return &mn->hook_ops[muisp_hook_sets[i].at];
}

/*
 * The hooks a configuration needs: the gate's only with a LAN interface,
 * the agent's only while its role is set, the intake of redirected
 * copies only with a LAN and nagents agents registered.
 */
unsigned int muisp_hooks_wanted(const struct muisp_config *cfg, u32 nagents)
{
	unsigned int want = cfg->tag_ifindex ? MUISP_HOOKS_TAG : 0;

	if (!cfg->lan_ifindex)
		return want;
	return want | MUISP_HOOKS_GATE |
	       (cfg->require_tunnel ? MUISP_HOOKS_PRE : 0) |
	       (nagents ? MUISP_HOOKS_INTAKE : 0);
}

/*
 * Register the sets in want that are not registered, unregister those
 * registered and not in want (MUISP_HOOKS_*).  Process context, under
 * mn->lock, never from a hook.  On an error nothing has changed: what this
 * call registered is unregistered again.  A hook unregistered here may
 * still run until the next grace period (its body reads the configuration
 * and lets the packet be); a packet that was already past the hook's place
 * when it was registered is through once synchronize_net() returns.
 */
int muisp_hooks_set(struct muisp_net *mn, unsigned int want)
{
	unsigned int add = want & ~mn->hooks, del = mn->hooks & ~want;
	unsigned int i, j;
	int ret;

	lockdep_assert_held(&mn->lock);
	for (i = 0; i < ARRAY_SIZE(muisp_hook_sets); i++) {
		struct nf_hook_ops *ops = hook_set_ops(mn, i);

		if (!(add & muisp_hook_sets[i].bit))
			continue;
		for (j = 0; j < muisp_hook_sets[i].n; j++) {
			ops[j] = muisp_hook_sets[i].ops[j];
			ops[j].priv = mn;
		}
		ret = nf_register_net_hooks(mn->net, ops, muisp_hook_sets[i].n);
		if (ret)
			goto undo;
	}
	for (i = 0; i < ARRAY_SIZE(muisp_hook_sets); i++)
		if (del & muisp_hook_sets[i].bit)
			nf_unregister_net_hooks(mn->net, hook_set_ops(mn, i),
						muisp_hook_sets[i].n);
	mn->hooks = want;
	return 0;

undo:
	for (j = 0; j < i; j++)
		if (add & muisp_hook_sets[j].bit)
			nf_unregister_net_hooks(mn->net, hook_set_ops(mn, j),
						muisp_hook_sets[j].n);
	return ret;
}
