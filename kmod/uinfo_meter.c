// SPDX-License-Identifier: GPL-2.0
/*
 * The meter's side of the in-band User Information option (docs/DESIGN.md
 * "Per-user accounting"), run by FORWARD on a packet from the LAN that
 * carries IPv4 options or begins with an IPv6 Destination Options header,
 * before the gate sees it: the option is found, a registered agent's seal
 * is opened and its sequence number checked against the agent's replay
 * window, and the option is taken out, so nothing of it reaches the
 * uplink and the contract pays for the packet as it leaves.
 *
 * From an agent (agents.c) only a sealed User Information message that
 * opens under the agent's key and is new passes; anything else is dropped
 * (MUISP_DROP_USER_INFO), counted on the agent (forged, replayed) and
 * logged, at most 10 lines of each kind per 5 s and namespace; the
 * Accounting ID that opened goes to the gate, which charges the user's
 * own contract if the user has one (users.c).  From any other host the
 * option is taken out and its claim ignored: accounting stays per
 * address.  An option that cannot be taken out cleanly is
 * dropped whoever sent it: a malformed options area or ours twice, ours
 * beside an IPv4 option the forwarding path rewrites by offset (record
 * route, timestamp, source route, router alert, CIPSO: the offsets
 * ip_rcv() compiled would go stale), and an IPv6 GSO packet (GRO merges
 * only packets whose options are the same, so with a seal, replays).  Only
 * a Destination Options header right after the IPv6 header is looked in,
 * where an agent puts it.
 *
 * A datagram's fragments each carry the option (IPv4's copied bit, IPv6's
 * per-fragment headers): the first is checked as new, a later one passes
 * on the first's acceptance (muisp_uinfo_replay_seen()).  A datagram the
 * router reassembled (conntrack) is checked once, bound as a fragment.
 * Towards the LAN our option is taken out too: only the meter's own
 * Query may reach a host.
 *
 * Below, the inbound half (thesis §4.1.4, §4.1.6): agents' redirected
 * copies taken in PRE_ROUTING and the flows they name moved to their
 * users' contracts (the rollback), and the Query the meter puts in the
 * first packet down of a flow the host's address pays for.
 *
 * Runs in softirq under rcu_read_lock(); never sleeps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "muisp.h"
#include "flowtable.h"
#include "uinfo.h"

/*
 * Open an agent's message for the packet b describes and check its
 * number: new, or for a fragment after the first (later), that of a
 * first fragment accepted (muisp_uinfo_replay_seen()).  flags: the
 * message's, exactly (E; E and R for a redirected copy), but that a tag
 * may ask for an Acknowledgment (A).  Returns 0 with *opened and *user
 * set, or -EBADMSG.
 */
static int meter_open(struct muisp_net *mn, struct muisp_agent *a,
		      struct muisp_uinfo *m, struct muisp_uinfo_bind *b,
		      u16 flags, bool later, bool *opened, u32 *user)
{
	struct muisp_agent_key *k = rcu_dereference(a->k);
	u16 got = m->flags;
	bool fresh;

	if (!(flags & MUISP_UINFO_F_R))
		got &= ~MUISP_UINFO_F_A;
	/*
	 * redirected copies (R) are taken in PRE_ROUTING, never forwarded;
	 * the agent's numbers are below the meter's (uinfo.h)
	 */
	if (m->mt != MUISP_UINFO_UI || got != flags || !k ||
	    m->seq >= MUISP_UINFO_SEQ_METER ||
	    muisp_uinfo_open(k->aead, m, b)) {
		atomic64_inc(&a->forged);
		if (__ratelimit(&mn->log_forged))
			pr_info("netns %u agent %u: forged user information dropped\n",
				mn->net->ns.inum, a->id);
		return -EBADMSG;
	}
	spin_lock(&k->lock);
	fresh = later ? muisp_uinfo_replay_seen(&k->replay, m->seq) :
			muisp_uinfo_replay_check(&k->replay, m->seq);
	spin_unlock(&k->lock);
	if (!fresh) {
		atomic64_inc(&a->replayed);
		if (__ratelimit(&mn->log_replayed))
			pr_info("netns %u agent %u: replayed user information dropped (number %llu)\n",
				mn->net->ns.inum, a->id, m->seq);
		return -EBADMSG;
	}
	atomic64_inc(&a->opened);
	*opened = true;
	*user = m->user;
	return 0;
}

/* A packet whose header changed under a hardware checksum of it. */
static void meter_csum_changed(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

static int meter_v4(struct muisp_net *mn, struct sk_buff *skb, bool *opened,
		    u32 *user, bool *ack)
{
	const struct ip_options *io = &IPCB(skb)->opt;
	struct iphdr *ip = ip_hdr(skb);
	unsigned int hlen = ip->ihl * 4, olen = hlen - sizeof(*ip);
	struct muisp_uinfo_bind b;
	struct muisp_agent *a;
	struct muisp_uinfo m;
	const u8 *l4 = NULL;
	u8 l4buf[8];
	int off;

	/* ip_rcv() pulled the whole header and checked ihl */
	off = muisp_uinfo_find_v4((const u8 *)(ip + 1), olen);
	if (off == -ENOENT)
		return 0;
	if (off < 0 || muisp_uinfo_get((const u8 *)(ip + 1) + off, olen - off,
				       MUISP_AF_INET, &m) < 0 ||
	    io->srr || io->rr || io->ts || io->router_alert || io->cipso)
		return -EINVAL;
	a = muisp_agent_at(mn, MUISP_AF_INET, &ip->saddr);
	if (a) {
		/* a fragment, or a datagram reassembled here (conntrack) */
		if (!ip_is_fragment(ip) && !IPCB(skb)->frag_max_size)
			l4 = skb_header_pointer(skb, hlen, sizeof(l4buf), l4buf);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr,
				      &ip->daddr, ip->protocol,
				      cpu_to_be32(ntohs(ip->id)), l4);
		if (meter_open(mn, a, &m, &b, MUISP_UINFO_F_E,
			       ip->frag_off & htons(IP_OFFSET), opened, user))
			return -EBADMSG;
		*ack = m.flags & MUISP_UINFO_F_A;
	}

	if (skb_ensure_writable(skb, hlen))
		return -ENOMEM;
	ip = ip_hdr(skb);
	off = muisp_uinfo_strip_v4((u8 *)ip, hlen);
	if (off <= 0)		/* found above: cannot be */
		return -EINVAL;
	__skb_pull(skb, off);
	skb_reset_network_header(skb);
	/* ip_fragment() walks this many option bytes on later fragments */
	IPCB(skb)->opt.optlen = ip_hdr(skb)->ihl * 4 - sizeof(*ip);
	meter_csum_changed(skb);
	return 0;
}

static int meter_v6(struct muisp_net *mn, struct sk_buff *skb, bool *opened,
		    u32 *user, bool *ack)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6;
	struct muisp_uinfo_bind b;
	struct muisp_agent *a;
	struct muisp_uinfo m;
	unsigned int dlen;
	u8 l4buf[8], *hdr, proto;
	const u8 *l4 = NULL;
	bool later = false;
	int off, ret;

	if (!pskb_may_pull(skb, nh + 2))
		return -EINVAL;
	dlen = (skb->data[nh + 1] + 1) * 8;
	if (!pskb_may_pull(skb, nh + dlen))
		return -EINVAL;
	hdr = skb->data + nh;
	off = muisp_uinfo_find_v6(hdr, dlen);
	if (off == -ENOENT)
		return 0;
	if (off < 0 || muisp_uinfo_get(hdr + off, dlen - off, MUISP_AF_INET6,
				       &m) < 0 || skb_is_gso(skb))
		return -EINVAL;
	ip6 = ipv6_hdr(skb);
	a = muisp_agent_at(mn, MUISP_AF_INET6, &ip6->saddr);
	if (a) {
		proto = hdr[0];
		if (proto == NEXTHDR_FRAGMENT) {
			struct frag_hdr fbuf;
			const struct frag_hdr *fh;

			fh = skb_header_pointer(skb, nh + dlen, sizeof(fbuf),
						&fbuf);
			if (!fh)
				return -EINVAL;
			proto = fh->nexthdr;
			later = fh->frag_off & htons(IP6_OFFSET);
		} else if (!IP6CB(skb)->frag_max_size) {  /* not reassembled */
			l4 = skb_header_pointer(skb, nh + dlen, sizeof(l4buf),
						l4buf);
		}
		/* id 0: reassembly (conntrack) drops the fragment header */
		muisp_uinfo_bind_init(&b, MUISP_AF_INET6, &ip6->saddr,
				      &ip6->daddr, proto, 0, l4);
		if (meter_open(mn, a, &m, &b, MUISP_UINFO_F_E, later, opened,
			       user))
			return -EBADMSG;
		*ack = m.flags & MUISP_UINFO_F_A;
	}

	if (skb_ensure_writable(skb, nh + dlen))
		return -ENOMEM;
	hdr = skb->data + nh;
	proto = hdr[0];
	ret = muisp_uinfo_strip_v6(hdr, dlen);
	if (ret < 0)		/* found above: cannot be */
		return -EINVAL;
	/* the header shrank by ret bytes, or goes whole (ret == dlen) */
	memmove(skb->data + ret, skb->data, nh);
	__skb_pull(skb, ret);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, nh);
	ip6 = ipv6_hdr(skb);
	if (ret == dlen)
		ip6->nexthdr = proto;
	ip6->payload_len = htons(ntohs(ip6->payload_len) - ret);
	meter_csum_changed(skb);
	return 0;
}

/*
 * A packet from the LAN with IPv4 options or an IPv6 Destination Options
 * header first (hooks.c: muisp_forward()).  Returns 0 (the packet goes
 * on, without our option) or the drop reason.  *opened says whether an
 * agent's seal opened, *user is then its Accounting ID: the gate looks
 * for the user's own contract (users.c); *ack whether the tag asked for
 * an Acknowledgment (muisp_uinfo_ack_arm()).
 */
int muisp_uinfo_meter(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		      bool *opened, u32 *user, bool *ack)
{
	int ret;

	*opened = false;
	*ack = false;
	ret = pf == NFPROTO_IPV4 ? meter_v4(mn, skb, opened, user, ack) :
				   meter_v6(mn, skb, opened, user, ack);
	return ret ? MUISP_DROP_USER_INFO : 0;
}

/* ---- redirected copies (thesis §4.1.4, §4.1.6): PRE_ROUTING ------------- */

/*
 * What a redirected copy says: the flow of the received packet it copies
 * (the host the client, the original sender the peer) is the user's.  If
 * the user has a contract of their own and the meter's flow was charged
 * to another (the host's, before anything named the user), the flow
 * moves to the user's contract with what it has carried so far: the
 * thesis's rollback, made on the flow, so the flow's record, the
 * contracts' counters and their limits all agree.  A contract that is
 * not active takes nothing: the flow stays where the gate put it.
 */
static bool uinfo_move(struct muisp_net *mn, struct muisp_flowtable *ft,
		       const struct muisp_agent *a,
		       const struct muisp_flow_key *key, u32 pos, u32 gen,
		       u32 user)
{
	struct muisp_user_key ukey = { .host = a->key, .user = user };
	const struct muisp_flow_payer *was;
	struct muisp_contract *uc;
	struct muisp_user *u;
	u64 bytes[2], packets[2];

	u = READ_ONCE(mn->nusers) ? muisp_user_lookup(mn, &ukey) : NULL;
	uc = u ? muisp_contract_lookup(mn, u->contract_id) : NULL;
	if (!uc || READ_ONCE(uc->status) != MUISP_CONTRACT_STATUS_ACTIVE)
		return false;
	was = muisp_ft_repay(ft, pos, key, &uc->payer, gen, bytes, packets);
	if (!was)
		return false;
	muisp_contract_move(container_of(was, struct muisp_contract, payer),
			    uc, bytes, packets);
	return true;
}

static void intake_learn(struct muisp_net *mn, struct muisp_agent *a,
			 u8 proto, const u8 *peer, const u8 *l4, u32 user)
{
	struct muisp_flowtable *ft = rcu_dereference(mn->ft);
	struct muisp_flow_key key;
	__be32 paddr[4] = { };
	u32 gen, pos;

	atomic64_inc(&a->redirects);
	if (!ft || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return;
	memcpy(paddr, peer, a->key.family == MUISP_AF_INET ? 4 : 16);
	/* the copied packet came in: the host's port is its destination */
	muisp_flow_key_set(&key, a->key.family, proto, a->key.addr, paddr,
			   *(const __be16 *)(l4 + 2), *(const __be16 *)l4);
	/* the generation before the binding, as hooks.c reads them */
	gen = muisp_ft_gen(ft);
	pos = muisp_ft_pos(ft, &key);
	if (uinfo_move(mn, ft, a, &key, pos, gen, user))
		atomic64_inc(&a->rollbacks);
}

static struct muisp_hold_answer *answer_slot(struct muisp_hold_answers *h,
					     const struct muisp_flow_key *key)
{
	return &h->slot[siphash(key, sizeof(*key), &h->seed) &
			(MUISP_HOLD_ANSWERS - 1)];
}

/* Is the flow of key answered in h?  Then true, with *user. */
bool muisp_hold_answer_get(struct muisp_hold_answers *h,
			   const struct muisp_flow_key *key, u32 *user)
{
	struct muisp_hold_answer *s = answer_slot(h, key);
	bool found = false;

	spin_lock(&h->lock);
	if (s->expires && time_before(jiffies, s->expires) &&
	    muisp_flow_key_equal(&s->key, key)) {
		*user = s->user;
		found = true;
	}
	spin_unlock(&h->lock);
	return found;
}

/*
 * FORWARD, under RCU (hooks.c, uinfo_hold()): has muispd said whose the
 * flow of key is?  Then true, with *user (0: the host's own).
 */
bool muisp_uinfo_answer(struct muisp_net *mn, const struct muisp_flow_key *key,
			u32 *user)
{
	struct muisp_hold_answers *h = rcu_dereference(mn->answers);

	return h && muisp_hold_answer_get(h, key, user);
}

/*
 * Keep muispd's answer for key (user; held: for a held packet, which
 * muispd sends round the hook at once).  A report's answer never takes
 * the slot of another flow's held answer while that is fresh: a host
 * reporting flows that never come would otherwise make held packets miss
 * theirs.  False if the answer was not kept so.  BH off.
 */
bool muisp_hold_answer_put(struct muisp_hold_answers *h,
			   const struct muisp_flow_key *key, u32 user, bool held)
{
	struct muisp_hold_answer *s = answer_slot(h, key);
	bool kept = false;

	spin_lock(&h->lock);
	if (held || !s->held || !s->expires ||
	    !time_before(jiffies, s->expires) ||
	    muisp_flow_key_equal(&s->key, key)) {
		s->key = *key;
		s->user = user;
		s->held = held;
		s->expires = (jiffies + MUISP_HOLD_ANSWER_S * HZ) | 1;
		kept = true;
	}
	spin_unlock(&h->lock);
	return kept;
}

/*
 * FORWARD, under RCU, after a packet-based agent's packet that found
 * neither a flow nor an answer began its flow as the host's (hooks.c):
 * an answer stored meanwhile, whose move ran before the flow was in the
 * table, moves it now.  Either this looks after the answer was stored
 * (the slot's lock orders them) or muisp_uinfo_flow_set()'s move comes
 * after this look, and so after the flow was inserted.  Moving twice is
 * harmless: the second finds the flow the user's already.
 */
void muisp_uinfo_answer_late(struct muisp_net *mn, struct muisp_flowtable *ft,
			     const struct muisp_agent *a,
			     const struct muisp_flow_key *key)
{
	u32 user;

	if (muisp_uinfo_answer(mn, key, &user) && user)
		uinfo_move(mn, ft, a, key, muisp_ft_pos(ft, key),
			   muisp_ft_gen(ft), user);
}

/*
 * The out-of-band answer (muispd, MUISP_CMD_AGENT_FLOW_SET): the flow the
 * host begins from port to peer:peer_port is user's (0: the host's own).
 * Kept for MUISP_HOLD_ANSWER_S, for the packets muispd held, which it
 * sends round the FORWARD hook again, or for the first packet of a flow
 * whose report (thesis ch. 5(a)) arrived before it: that packet begins the
 * flow on the user's contract (hooks.c).  A flow the table already has
 * (begun before the agent answered, or the usual order of a packet and
 * its report) moves to the user's contract, as a redirected copy's does.
 * Process context.
 */
int muisp_uinfo_flow_set(struct muisp_net *mn,
			 const struct muisp_addr_key *host, u8 proto,
			 u16 port, const void *peer, u16 peer_port, u32 user,
			 struct netlink_ext_ack *extack)
{
	struct muisp_hold_answers *h;
	struct muisp_flowtable *ft;
	struct muisp_flow_key key;
	struct muisp_agent *a;
	int ret = 0;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG(extack, "only TCP and UDP flows are held");
		return -EINVAL;
	}
	/* the host began it: its port is the source, as the hook keys it */
	muisp_flow_key_set(&key, host->family, proto, host->addr, peer,
			   htons(port), htons(peer_port));
	/* the hooks run in softirq: keep them off this CPU's locks */
	local_bh_disable();
	rcu_read_lock();
	a = muisp_agent_lookup(mn, host);
	h = rcu_dereference(mn->answers);
	if (!a) {
		NL_SET_ERR_MSG(extack, "no agent has that address");
		ret = -ENOENT;
		goto out;
	}
	if (muisp_agent_answered(READ_ONCE(a->scheme)) && h) {
		muisp_hold_answer_put(h, &key, user,
				      READ_ONCE(a->hold_queue) >= 0);
		atomic64_inc(&a->answered);
	}
	ft = rcu_dereference(mn->ft);
	if (ft && user)
		uinfo_move(mn, ft, a, &key, muisp_ft_pos(ft, &key),
			   muisp_ft_gen(ft), user);
out:
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

/*
 * The copy's message, if it is a redirected one (UI with R): 1, with *m
 * read and *a its sender's agent (NULL if the sender is none); 0 if the
 * packet is anything else, left to the rest of the stack.
 */
static int intake_find(struct muisp_net *mn, u8 family, const u8 *opts,
		       unsigned int len, int off, const void *saddr,
		       struct muisp_uinfo *m, struct muisp_agent **a)
{
	if (off < 0 || muisp_uinfo_get(opts + off, len - off, family, m) < 0 ||
	    m->mt != MUISP_UINFO_UI || !(m->flags & MUISP_UINFO_F_R))
		return 0;
	*a = muisp_agent_at(mn, family, saddr);
	return 1;
}

/* Returns 1 (a copy, taken), 0 (not one), or -EBADMSG (drop it). */
static int intake_v4(struct muisp_net *mn, struct sk_buff *skb)
{
	const struct iphdr *ip = ip_hdr(skb);
	unsigned int hlen = ip->ihl * 4, olen = hlen - sizeof(*ip);
	const u8 *opts = (const u8 *)(ip + 1), *l4;
	struct muisp_uinfo_bind b;
	struct muisp_agent *a;
	struct muisp_uinfo m;
	bool opened = false;
	u8 l4buf[8];
	u32 user;

	/* ip_rcv() pulled the whole header and checked ihl */
	if (!intake_find(mn, MUISP_AF_INET, opts, olen,
			 muisp_uinfo_find_v4(opts, olen), &ip->saddr, &m, &a))
		return 0;
	l4 = skb_header_pointer(skb, hlen, sizeof(l4buf), l4buf);
	if (!a || !l4 || m.addr_len != 4 || ip_is_fragment(ip))
		return -EBADMSG;
	/* sealed for the packet it copies: from R's address to the host */
	muisp_uinfo_bind_init(&b, MUISP_AF_INET, m.addr, &ip->saddr,
			      ip->protocol, cpu_to_be32(ntohs(ip->id)), l4);
	if (meter_open(mn, a, &m, &b, MUISP_UINFO_F_E | MUISP_UINFO_F_R, false,
		       &opened, &user))
		return -EBADMSG;
	intake_learn(mn, a, ip->protocol, m.addr, l4, user);
	return 1;
}

static int intake_v6(struct muisp_net *mn, struct sk_buff *skb)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	const struct ipv6hdr *ip6;
	struct muisp_uinfo_bind b;
	struct muisp_agent *a;
	struct muisp_uinfo m;
	const u8 *hdr, *l4;
	bool opened = false;
	unsigned int dlen;
	u8 l4buf[8];
	u32 user;

	if (!pskb_may_pull(skb, nh + 2))
		return 0;
	dlen = (skb->data[nh + 1] + 1) * 8;
	if (!pskb_may_pull(skb, nh + dlen))
		return 0;
	ip6 = ipv6_hdr(skb);
	hdr = skb->data + nh;
	if (!intake_find(mn, MUISP_AF_INET6, hdr, dlen,
			 muisp_uinfo_find_v6(hdr, dlen), &ip6->saddr, &m, &a))
		return 0;
	l4 = skb_header_pointer(skb, nh + dlen, sizeof(l4buf), l4buf);
	if (!a || !l4 || m.addr_len != 16)
		return -EBADMSG;
	muisp_uinfo_bind_init(&b, MUISP_AF_INET6, m.addr, &ip6->saddr, hdr[0],
			      0, l4);
	if (meter_open(mn, a, &m, &b, MUISP_UINFO_F_E | MUISP_UINFO_F_R, false,
		       &opened, &user))
		return -EBADMSG;
	intake_learn(mn, a, hdr[0], m.addr, l4, user);
	return 1;
}

/*
 * PRE_ROUTING, before conntrack, while a LAN is set and agents are
 * registered (hooks.c): a packet from the LAN carrying a redirected User
 * Information message is an agent's copy of a packet it received
 * (uinfo_inbound.c), addressed to its first hop, this router.  It is the
 * meter's alone: opened, learnt from and consumed here, so no conntrack
 * entry, filter rule or socket ever sees it.  One that does not open, or
 * from a host that is no agent, is dropped as user-info.  Every other
 * packet costs one compare (no IP options, no Destination Options).
 */
unsigned int muisp_uinfo_intake(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct muisp_net *mn = priv;
	int ret;

	if (likely(!muisp_uinfo_carried(skb, state->pf)) || !state->in ||
	    state->in->ifindex != READ_ONCE(mn->cfg.lan_ifindex))
		return NF_ACCEPT;
	ret = state->pf == NFPROTO_IPV4 ? intake_v4(mn, skb) :
					  intake_v6(mn, skb);
	if (!ret)
		return NF_ACCEPT;
	if (ret < 0) {
		muisp_drop_count(mn, MUISP_DROP_USER_INFO);
		return NF_DROP;
	}
	consume_skb(skb);
	return NF_STOLEN;
}

/* ---- the meter's Query (thesis §4.1.6): FORWARD, towards the LAN -------- */

/*
 * Room for grow bytes more: the packet still within the route's MTU (a
 * router must not fragment what the sender may not know it sent too big,
 * and IPv6 routers never do), and in front of the IP header, with the
 * link header's in front of them.
 */
static bool query_room(struct sk_buff *skb, unsigned int grow)
{
	const struct dst_entry *dst = skb_dst(skb);

	return dst && !skb_is_gso(skb) && skb->len + grow <= dst_mtu(dst) &&
	       !skb_cow_head(skb, grow + LL_RESERVED_SPACE(dst->dev));
}

/*
 * The meter's message m (a Query, a sealed Acknowledgment) into a packet
 * to the LAN: IPv4, into a header with no option (none the forwarding
 * path rewrites by offset beside ours, and the agent finds ours alone);
 * IPv6, in a Destination Options header of its own in front of TCP or
 * UDP, where the agent reads the transport header right after it.
 */
static bool meter_msg_fits(struct sk_buff *skb, u8 pf)
{
	u8 nh;

	if (pf == NFPROTO_IPV4)
		return ip_hdr(skb)->ihl == 5;
	nh = ipv6_hdr(skb)->nexthdr;
	return nh == IPPROTO_TCP || nh == IPPROTO_UDP;
}

static int meter_push_v4(struct sk_buff *skb, const struct muisp_uinfo *m)
{
	u8 opt[MUISP_UINFO_MAX_LEN];
	int len, ret;

	len = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET, m);
	if (len < 0)
		return len;
	if (!query_room(skb, ALIGN(len, 4)))
		return -EMSGSIZE;
	ret = muisp_uinfo_push_v4(skb, opt, len);
	if (!ret)
		meter_csum_changed(skb);
	return ret;
}

static int meter_push_v6(struct sk_buff *skb, const struct muisp_uinfo *m)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	u8 opt[MUISP_UINFO_MAX_LEN], dh[ALIGN(2 + MUISP_UINFO_MAX_LEN, 8)];
	struct ipv6hdr *ip6 = ipv6_hdr(skb);
	int len, dlen;

	len = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET6, m);
	dlen = len < 0 ? len :
	       muisp_uinfo_build_v6(dh, sizeof(dh), ip6->nexthdr, opt, len);
	if (dlen < 0)
		return dlen;
	if (!query_room(skb, dlen))
		return -EMSGSIZE;
	muisp_uinfo_push_v6(skb, dh, dlen);
	skb_set_transport_header(skb, nh + dlen);
	meter_csum_changed(skb);
	return 0;
}

static int meter_push(struct sk_buff *skb, u8 pf, const struct muisp_uinfo *m)
{
	if (!meter_msg_fits(skb, pf))
		return -EINVAL;
	return pf == NFPROTO_IPV4 ? meter_push_v4(skb, m) :
				    meter_push_v6(skb, m);
}

/*
 * FORWARD, a packet to the LAN that passed and is the first one down of
 * a flow the host's address pays for (hooks.c): if the host is an agent
 * whose key is set, the packet carries a Query (no address: it is for
 * the host), asking the agent whose the flow is.  The agent answers with
 * a redirected copy when a mapped user's socket takes the packet
 * (uinfo_inbound.c), and the copy moves the flow (intake_learn()).  So a
 * flow the meter begins under the host, from outside or after its entry
 * ended while the host's socket lived on, is asked about once, whatever
 * the agent's method.  A packet with no room for it (over the route's
 * MTU with it, GSO, other IPv4 options, an IPv6 extension header) goes
 * as it is.  The receiver skips the option (RFC 1812; RFC 8200's 00 type
 * bits) if no agent takes it out.
 */
void muisp_uinfo_query(struct muisp_net *mn, struct sk_buff *skb, u8 pf)
{
	static const struct muisp_uinfo query = { .mt = MUISP_UINFO_QUERY };
	struct muisp_agent *a;

	a = pf == NFPROTO_IPV4 ?
	    muisp_agent_at(mn, MUISP_AF_INET, &ip_hdr(skb)->daddr) :
	    muisp_agent_at(mn, MUISP_AF_INET6, &ipv6_hdr(skb)->daddr);
	/* out of band or standalone, nothing would answer a Query */
	if (!a || !rcu_access_pointer(a->k) ||
	    READ_ONCE(a->scheme) != MUISP_AGENT_SCHEME_IN_BAND)
		return;
	if (!meter_push(skb, pf, &query))
		atomic64_inc(&a->queries);
}

/* ---- the meter's Acknowledgment (thesis §4.1.6): FORWARD ---------------- */

/*
 * A tag that asked for an Acknowledgment (A: the flow method's "tag until
 * acked", uinfo_agent.c) opened and its packet, from the agent's host,
 * passed: the agent's key notes the flow (its hash position pos in the
 * flow table) and the user the tag named, for the flow's next packet
 * down (muisp_uinfo_ack()).  Direct-mapped by pos: a collision loses the
 * older note, whose agent tags on and is noted again.
 */
void muisp_uinfo_ack_arm(struct muisp_net *mn, u8 family, const void *host,
			 u32 pos, u32 user)
{
	struct muisp_agent *a = muisp_agent_at(mn, family, host);
	struct muisp_agent_key *k = a ? rcu_dereference(a->k) : NULL;

	if (k && user)
		WRITE_ONCE(k->ack[pos % MUISP_AGENT_ACKS],
			   (u64)pos << 32 | user);
}

/*
 * Seal m (an Acknowledgment naming its user) for skb under k; skb has
 * room for a message of the meter's (meter_msg_fits()).
 */
static int ack_seal(struct muisp_agent_key *k, struct sk_buff *skb, u8 pf,
		    struct muisp_uinfo *m)
{
	struct muisp_uinfo_bind b;
	const u8 *l4;
	u8 l4buf[8];

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ip = ip_hdr(skb);

		if (ip_is_fragment(ip))
			return -EINVAL;
		l4 = muisp_uinfo_l4(skb, skb_network_offset(skb) + sizeof(*ip),
				    l4buf);
		if (IS_ERR_OR_NULL(l4))
			return -EINVAL;
		ip = ip_hdr(skb);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr,
				      &ip->daddr, ip->protocol,
				      cpu_to_be32(ntohs(ip->id)), l4);
	} else {
		const struct ipv6hdr *ip6;

		l4 = muisp_uinfo_l4(skb, skb_network_offset(skb) +
				    sizeof(*ip6), l4buf);
		if (IS_ERR_OR_NULL(l4))
			return -EINVAL;
		ip6 = ipv6_hdr(skb);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET6, &ip6->saddr,
				      &ip6->daddr, ip6->nexthdr, 0, l4);
	}
	return muisp_uinfo_seal(k->aead, m, &b,
				atomic64_inc_return(&k->ack_seq));
}

/*
 * FORWARD, a packet to the LAN that passed, of the flow at hash position
 * pos (hooks.c: its first packet down, then its 2nd, 4th, 8th ...): if
 * the host is an in-band agent with an Acknowledgment due for the flow
 * (muisp_uinfo_ack_arm()), the packet carries it: an Acknowledgment
 * message (E; type 3) naming the user, sealed under the agent's key in
 * the meter's numbers (MUISP_UINFO_SEQ_METER) for this packet.  The
 * agent then stops tagging the flow (uinfo_inbound.c).  A packet with
 * no room for it (as for the Query) leaves it due, for a later packet.
 */
void muisp_uinfo_ack(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		     u32 pos)
{
	struct muisp_uinfo m = { .mt = MUISP_UINFO_ACK };
	struct muisp_agent_key *k;
	struct muisp_agent *a;
	u64 *slot, due;

	a = pf == NFPROTO_IPV4 ?
	    muisp_agent_at(mn, MUISP_AF_INET, &ip_hdr(skb)->daddr) :
	    muisp_agent_at(mn, MUISP_AF_INET6, &ipv6_hdr(skb)->daddr);
	if (!a || READ_ONCE(a->scheme) != MUISP_AGENT_SCHEME_IN_BAND)
		return;
	k = rcu_dereference(a->k);
	/* a packet with no room leaves the note where it is */
	if (!k || !meter_msg_fits(skb, pf))
		return;
	slot = &k->ack[pos % MUISP_AGENT_ACKS];
	due = READ_ONCE(*slot);
	if (!due || due >> 32 != pos || cmpxchg(slot, due, 0) != due)
		return;
	m.user = (u32)due;
	if (ack_seal(k, skb, pf, &m) ||
	    (pf == NFPROTO_IPV4 ? meter_push_v4(skb, &m) :
				  meter_push_v6(skb, &m))) {
		cmpxchg(slot, 0, due);	/* due still, unless noted anew */
		return;
	}
	atomic64_inc(&a->acks);
}

#ifdef DEBUG
#include "selftest/answers.c"
#endif
