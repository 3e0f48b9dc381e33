// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's inbound side, in LOCAL_IN: the Multi-IP rule for what comes
 * in (thesis ch. 6; muisp_uinfo_inbound() below), and redirected copies
 * (docs/DESIGN.md "Redirected copies", thesis §4.1.4): a packet received
 * through the agent's interface for a socket of a mapped local user is
 * delivered as it is, and the meter is sent a copy that names the user.
 * The meter forwarded the packet before anyone could tell whose it was,
 * so it charged the host; the copy lets it move the flow, with what it
 * carried so far, to the user's own contract (uinfo_meter.c: the
 * thesis's rollback, §4.1.6).
 *
 * Which packets (MUISP_TAG_METHOD_*, the thesis's Table 4.1): PACKET
 * redirects every one; FLOW and HYBRID the first packet of a flow begun
 * from outside: TCP's SYN without ACK; another protocol's packet that
 * conntrack calls new and has not confirmed yet (it confirms as the
 * packet leaves LOCAL_IN, after this hook), or every one without
 * conntrack.  A flow the host began needs none: its first packet
 * out was tagged, and the meter's flow holds both directions.
 *
 * The copy (the thesis's R message): the packet's IP header with source
 * and destination rewritten, the host's address (the packet's
 * destination) to the first hop back towards the sender, which is the
 * meter when the meter is on the path (the thesis requires it to be the
 * first hop); a sealed User Information option with R set and the
 * packet's source in it; and the transport header's first 8 bytes.
 * Nothing of the payload: the meter needs the flow, not the data, so a
 * copy costs some 80 bytes whatever the packet's size.  The seal binds
 * what the tag on a sent packet binds, for the packet as received (its
 * addresses, protocol, IPv4 id and those 8 bytes) plus R's address, so
 * the copy of one packet cannot claim another's flow and a replayed copy
 * fails the meter's window (the copies share the tags' numbers).  TTL 1
 * and conntrack-untracked: it goes one hop and leaves no state here.
 *
 * Nothing is redirected for a user who is blocked (their packets do not
 * leave), who has an address of their own (Multi-IP: the meter charges
 * that address), a packet from a neighbour on the link (no router
 * between: the meter never saw it), while closed (no key), or when the
 * socket is unknown (no listener, a time-wait reply).  A copy that cannot
 * be made (no memory, no route) is counted as skipped; the packet is
 * still delivered and stays the host's at the meter.
 *
 * REPORT redirects nothing either: the host's agent reports the user's
 * packets out of band, and a flow's reply packets follow its flow at the
 * router.  COUNT (the standalone meter) redirects nothing: a TCP or UDP packet
 * delivered to a mapped user's socket (or to their own address's) is
 * counted in their entry (muisp_tag_count()), keyed; a blocked user's
 * too, since it reaches them.  Without the meter's Query, if it carries
 * one: the router's meter counted the packet before it added it.  What
 * has no socket stays uncounted, the host's, as the kernel answers it.
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
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/tcp.h>
#include <net/udp.h>
#include <net/netfilter/nf_conntrack.h>

#include "muisp.h"
#include "uinfo.h"

/* A received TCP or UDP packet, as the copy needs it. */
struct rdr_pkt {
	u8 proto;
	bool queried;			/* it carries the meter's Query */
	bool acked;			/* ... or its Acknowledgment, in msg */
	u8 added_len;			/* the bytes the meter added for either */
	u8 tcp_flags;			/* TCP's flags byte; 0 for UDP */
	unsigned int l4off;		/* from the network header */
	__be16 sport, dport;
	u8 l4[8];			/* the transport header's first 8 bytes */
	struct muisp_uinfo msg;		/* with acked */
};

/*
 * Is p one the setting's method redirects?  PACKET: every one.  FLOW and
 * HYBRID: the first packet of a flow begun from outside: a TCP SYN
 * without ACK; another protocol's packet that conntrack calls new and
 * has not confirmed (every one without conntrack).
 */
static bool rdr_wanted(const struct muisp_tagger *t, const struct sk_buff *skb,
		       const struct rdr_pkt *p)
{
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct;

	if (t->method == MUISP_TAG_METHOD_PACKET)
		return true;
	if (p->proto == IPPROTO_TCP)
		return (p->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN;
	ct = nf_ct_get(skb, &ctinfo);
	return !ct || (ctinfo == IP_CT_NEW && !nf_ct_is_confirmed(ct));
}

/*
 * The socket the packet goes to: the one early demux found, or looked up
 * as TCP and UDP do.  Returns its owner in the user namespace that owns
 * the network namespace, (uid_t)-1 if none (no socket, a time-wait one,
 * an owner the namespace cannot name).
 */
static uid_t rdr_owner(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		       const struct rdr_pkt *p, int dif)
{
	struct net *net = mn->net;
	struct sock *sk = skb->sk, *full;
	uid_t uid = (uid_t)-1;
	bool ref = false;

	if (!sk) {
		ref = true;
		if (pf == NFPROTO_IPV4) {
			const struct iphdr *ip = ip_hdr(skb);

			sk = p->proto == IPPROTO_TCP ?
			     inet_lookup(net, net->ipv4.tcp_death_row.hashinfo,
					 skb, p->l4off, ip->saddr, p->sport,
					 ip->daddr, p->dport, dif) :
			     udp4_lib_lookup(net, ip->saddr, p->sport,
					     ip->daddr, p->dport, dif);
		} else {
			const struct ipv6hdr *ip6 = ipv6_hdr(skb);

			sk = p->proto == IPPROTO_TCP ?
			     inet6_lookup(net, net->ipv4.tcp_death_row.hashinfo,
					  skb, p->l4off, &ip6->saddr, p->sport,
					  &ip6->daddr, p->dport, dif) :
			     udp6_lib_lookup(net, &ip6->saddr, p->sport,
					     &ip6->daddr, p->dport, dif);
		}
		if (!sk)
			return uid;
	}
	/* a handshake's request socket: its listener's */
	full = sk_to_full_sk(sk);
	if (full && sk_fullsock(full))
		uid = from_kuid(net->user_ns, sock_net_uid(net, full));
	if (ref)
		sock_gen_put(sk);
	return uid;
}

/* A copy's head: room for the link header and len bytes. */
static struct sk_buff *rdr_alloc(const struct dst_entry *dst, unsigned int len,
				 __be16 protocol)
{
	unsigned int ll = LL_RESERVED_SPACE(dst->dev);
	struct sk_buff *c = alloc_skb(ll + len, GFP_ATOMIC | __GFP_NOWARN);

	if (!c)
		return NULL;
	skb_reserve(c, ll);
	skb_reset_network_header(c);
	c->protocol = protocol;
	/* one hop, no state: conntrack leaves it alone */
	nf_ct_set(c, NULL, IP_CT_UNTRACKED);
	return c;
}

static int rdr_v4(struct muisp_net *mn, struct muisp_tagger *t,
		  struct sk_buff *skb, const struct rdr_pkt *p, u32 user)
{
	const struct iphdr *ip = ip_hdr(skb);
	struct muisp_uinfo m = {
		.mt = MUISP_UINFO_UI,
		.flags = MUISP_UINFO_F_R,
		.addr_len = 4,
		.user = user,
	};
	u8 opt[MUISP_UINFO_MAX_LEN];
	struct muisp_uinfo_bind b;
	struct flowi4 fl4 = { };
	unsigned int hlen;
	struct sk_buff *c;
	struct iphdr *ch;
	struct rtable *rt;
	int len;

	/* the first hop back to the sender: a router, or nobody to tell */
	fl4.daddr = ip->saddr;
	fl4.saddr = ip->daddr;
	fl4.flowi4_oif = t->ifindex;
	rt = ip_route_output_key(mn->net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (!rt->rt_uses_gateway || rt->rt_gw_family != AF_INET ||
	    rt->dst.dev->ifindex != t->ifindex) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	memcpy(m.addr, &ip->saddr, 4);
	muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr, &ip->daddr,
			      p->proto, cpu_to_be32(ntohs(ip->id)), p->l4);
	len = muisp_tagger_seal(t, MUISP_AF_INET, &m, &b, opt, sizeof(opt));
	hlen = sizeof(*ch) + ALIGN(len, 4);
	c = len < 0 ? NULL : rdr_alloc(&rt->dst, hlen + sizeof(p->l4),
				       htons(ETH_P_IP));
	if (!c) {
		ip_rt_put(rt);
		return len < 0 ? len : -ENOMEM;
	}
	ch = skb_put_zero(c, hlen);	/* the option padded with EOL */
	ch->version = 4;
	ch->ihl = hlen / 4;
	ch->tot_len = htons(hlen + sizeof(p->l4));
	ch->id = ip->id;		/* bound by the seal */
	ch->frag_off = htons(IP_DF);
	ch->ttl = 1;
	ch->protocol = p->proto;
	ch->saddr = ip->daddr;
	ch->daddr = rt->rt_gw4;
	memcpy(ch + 1, opt, len);
	skb_put_data(c, p->l4, sizeof(p->l4));
	skb_dst_set(c, &rt->dst);
	return ip_local_out(mn->net, NULL, c);	/* sets the checksum */
}

static int rdr_v6(struct muisp_net *mn, struct muisp_tagger *t,
		  struct sk_buff *skb, const struct rdr_pkt *p, u32 user)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	const struct ipv6hdr *ip6 = ipv6_hdr(skb);
	struct muisp_uinfo m = {
		.mt = MUISP_UINFO_UI,
		.flags = MUISP_UINFO_F_R,
		.addr_len = 16,
		.user = user,
	};
	u8 opt[MUISP_UINFO_MAX_LEN], dh[ALIGN(2 + MUISP_UINFO_MAX_LEN, 8)];
	struct muisp_uinfo_bind b;
	struct flowi6 fl6 = { };
	struct dst_entry *dst;
	struct ipv6hdr *ch;
	struct rt6_info *rt;
	struct sk_buff *c;
	int len, dlen;

	fl6.daddr = ip6->saddr;
	fl6.saddr = ip6->daddr;
	fl6.flowi6_oif = t->ifindex;
	dst = ip6_route_output(mn->net, NULL, &fl6);
	rt = container_of(dst, struct rt6_info, dst);
	if (dst->error || !(rt->rt6i_flags & RTF_GATEWAY) ||
	    dst->dev->ifindex != t->ifindex) {
		dst_release(dst);
		return -ENETUNREACH;
	}
	memcpy(m.addr, &ip6->saddr, 16);
	muisp_uinfo_bind_init(&b, MUISP_AF_INET6, &ip6->saddr, &ip6->daddr,
			      p->proto, 0, p->l4);
	len = muisp_tagger_seal(t, MUISP_AF_INET6, &m, &b, opt, sizeof(opt));
	dlen = len < 0 ? len :
	       muisp_uinfo_build_v6(dh, sizeof(dh), p->proto, opt, len);
	c = dlen < 0 ? NULL : rdr_alloc(dst, nh + dlen + sizeof(p->l4),
					htons(ETH_P_IPV6));
	if (!c) {
		dst_release(dst);
		return dlen < 0 ? dlen : -ENOMEM;
	}
	ch = skb_put_zero(c, nh);
	ip6_flow_hdr(ch, 0, 0);
	ch->payload_len = htons(dlen + sizeof(p->l4));
	ch->nexthdr = NEXTHDR_DEST;
	ch->hop_limit = 1;
	ch->saddr = ip6->daddr;
	ch->daddr = rt->rt6i_gateway;
	skb_put_data(c, dh, dlen);
	skb_put_data(c, p->l4, sizeof(p->l4));
	skb_dst_set(c, dst);
	return ip6_local_out(mn->net, NULL, c);
}

/*
 * The meter's message, if our option is at off in opt (avail bytes): a
 * Query, or an Acknowledgment (into p->msg).  Returns whether it is one.
 */
static bool rdr_msg(struct rdr_pkt *p, const u8 *opt, unsigned int avail,
		    u8 family, int off)
{
	if (off < 0 ||
	    muisp_uinfo_get(opt + off, avail - off, family, &p->msg) <= 0)
		return false;
	p->queried = p->msg.mt == MUISP_UINFO_QUERY;
	p->acked = p->msg.mt == MUISP_UINFO_ACK;
	return p->queried || p->acked;
}

/*
 * The packet's transport tuple, if it is a whole TCP or UDP packet for
 * this host (not a fragment: the host reassembles before LOCAL_IN when
 * conntrack is loaded, and a fragment has no ports), and whether the
 * meter's Query came with it (in the IPv4 options; in a Destination
 * Options header right after the IPv6 header, where the meter puts it).
 * The Query stays: a receiver skips the option.  IPv6's transport is
 * found past Hop-by-Hop, Routing and Destination Options headers, as the
 * router's gate keys the flow (muisp_uinfo_l4_v6()).
 */
static bool rdr_parse(struct sk_buff *skb, u8 pf, struct rdr_pkt *p)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	unsigned int off;
	const u8 *l4;

	if (skb->pkt_type != PACKET_HOST)
		return false;
	p->queried = false;
	p->acked = false;
	p->added_len = 0;
	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ip = ip_hdr(skb);
		unsigned int olen = ip_hdrlen(skb) - sizeof(*ip);
		const u8 *opts = (const u8 *)(ip + 1);

		if (ip_is_fragment(ip))
			return false;
		p->proto = ip->protocol;
		p->l4off = ip_hdrlen(skb);
		/* ip_rcv() pulled the whole header; the meter puts its
		 * message only where there was no option
		 */
		if (olen && rdr_msg(p, opts, olen, MUISP_AF_INET,
				    muisp_uinfo_find_v4(opts, olen)))
			p->added_len = olen;
	} else {
		p->proto = ipv6_hdr(skb)->nexthdr;
		p->l4off = nh;
		if (p->proto == NEXTHDR_DEST) {
			unsigned int dlen;
			const u8 *hdr;

			if (!pskb_may_pull(skb, skb_network_offset(skb) + nh + 2))
				return false;
			hdr = skb_network_header(skb) + nh;
			dlen = (hdr[1] + 1) * 8;
			if (!pskb_may_pull(skb, skb_network_offset(skb) + nh + dlen))
				return false;
			hdr = skb_network_header(skb) + nh;
			/* ... and on IPv6 in a header of its own */
			if (rdr_msg(p, hdr, dlen, MUISP_AF_INET6,
				    muisp_uinfo_find_v6(hdr, dlen)))
				p->added_len = dlen;
			p->proto = hdr[0];
			p->l4off = nh + dlen;
		}
		off = skb_network_offset(skb) + p->l4off;
		if (!muisp_uinfo_l4_v6(skb, &p->proto, &off))
			return false;
		p->l4off = off - skb_network_offset(skb);
	}
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return false;
	l4 = skb_header_pointer(skb, skb_network_offset(skb) + p->l4off,
				sizeof(p->l4), p->l4);
	if (!l4)
		return false;
	if (l4 != p->l4)
		memcpy(p->l4, l4, sizeof(p->l4));
	p->sport = *(const __be16 *)p->l4;
	p->dport = *(const __be16 *)(p->l4 + 2);
	p->tcp_flags = 0;
	if (p->proto == IPPROTO_TCP) {
		/* the flags byte, after the ports, sequence and ack numbers */
		const u8 *flags;
		u8 buf;

		flags = skb_header_pointer(skb, skb_network_offset(skb) +
					   p->l4off + 13, 1, &buf);
		if (!flags)
			return false;
		p->tcp_flags = *flags;
	}
	return true;
}

/*
 * A mapped user's TCP handshake coming in (SYN, or SYN-ACK to their
 * connect()) while the method tags every packet sent (PACKET, HYBRID):
 * the peer's MSS is lowered so that the user's full-size segments, tag
 * included, still fit the interface's MTU (thesis §4.5.2).  Without it
 * they would leave untagged: DF is set, and on IPv6 no host fragments
 * for us.  As xt_TCPMSS does it: the option rewritten in place, the
 * checksum adjusted by the difference (the packet's sum, CHECKSUM_COMPLETE,
 * does not change).  Returns whether it lowered it.
 */
static bool rdr_clamp_mss(struct sk_buff *skb, u8 pf, const struct rdr_pkt *p,
			  unsigned int mtu)
{
	unsigned int off = skb_network_offset(skb) + p->l4off, len, i;
	unsigned int max = mtu - sizeof(struct tcphdr) -
			   (pf == NFPROTO_IPV4 ?
			    sizeof(struct iphdr) + MUISP_TAG_V4_LEN :
			    sizeof(struct ipv6hdr) + MUISP_TAG_V6_LEN);
	struct tcphdr *th;
	u16 mss;
	u8 *opt;

	if (!pskb_may_pull(skb, off + sizeof(*th)))
		return false;
	len = __tcp_hdrlen((const struct tcphdr *)(skb->data + off));
	if (len <= sizeof(*th) || skb_ensure_writable(skb, off + len))
		return false;
	th = (struct tcphdr *)(skb->data + off);
	opt = (u8 *)(th + 1);
	len -= sizeof(*th);
	for (i = 0; i < len && opt[i] != TCPOPT_EOL;) {
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return false;
		if (opt[i] == TCPOPT_MSS && opt[i + 1] == TCPOLEN_MSS) {
			mss = get_unaligned_be16(opt + i + 2);
			if (mss <= max)
				return false;
			put_unaligned_be16(max, opt + i + 2);
			inet_proto_csum_replace2(&th->check, skb, htons(mss),
						 htons(max), false);
			return true;
		}
		i += opt[i + 1];
	}
	return false;
}

/* Multi-IP: the user whose own address the packet is for, if any. */
static const struct muisp_tag_user *rdr_addressee(struct muisp_net *mn,
						  const struct sk_buff *skb,
						  u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return muisp_tag_addr_user(mn, MUISP_AF_INET,
					   &ip_hdr(skb)->daddr);
	return muisp_tag_addr_user(mn, MUISP_AF_INET6, &ipv6_hdr(skb)->daddr);
}

/*
 * The meter's Acknowledgment (thesis §4.1.6; uinfo_meter.c), for FLOW's
 * UDP flows: sealed by the meter under the agent's key in its own numbers
 * (MUISP_UINFO_SEQ_METER), for this packet as the meter forwarded it
 * (addresses, protocol, IPv4 id, the transport header's first 8 bytes).
 * Looked at only for a flow the agent tags and the meter has not
 * acknowledged, so that no one's Acknowledgments for anything else cost
 * an open.  One that opens ends the flow's tags if they are for the user
 * it names (muisp_tag_flow_ack()), counted as acked.  One that does not
 * is counted as forged and changes nothing: the packet is delivered as
 * any other, which its sender could have sent without it.  No replay
 * window: an Acknowledgment binds its packet, and naming a flow's user
 * twice acknowledges it once.
 */
static void rdr_ack(struct muisp_net *mn, struct muisp_tagger *t,
		    const struct sk_buff *skb, u8 pf, struct rdr_pkt *p)
{
	struct muisp_uinfo_bind b;
	u64 *slot, was;

	if (!t->aead || p->proto != IPPROTO_UDP)
		return;
	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ip = ip_hdr(skb);

		slot = muisp_tag_flow_unacked(t, MUISP_AF_INET, &ip->daddr,
					      &ip->saddr, p->dport, p->sport,
					      &was);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr,
				      &ip->daddr, p->proto,
				      cpu_to_be32(ntohs(ip->id)), p->l4);
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		slot = muisp_tag_flow_unacked(t, MUISP_AF_INET6, &ip6->daddr,
					      &ip6->saddr, p->dport, p->sport,
					      &was);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET6, &ip6->saddr,
				      &ip6->daddr, p->proto, 0, p->l4);
	}
	if (!slot)
		return;
	if (p->msg.flags != MUISP_UINFO_F_E ||
	    p->msg.seq < MUISP_UINFO_SEQ_METER ||
	    muisp_uinfo_open(t->aead, &p->msg, &b)) {
		atomic64_inc(&mn->tag_ack_forged);
		return;
	}
	if (muisp_tag_flow_ack(mn, slot, was, p->msg.user))
		atomic64_inc(&mn->tag_acked);
}

/*
 * LOCAL_IN (hooks.c), while the agent's role is set, keyed or closed.
 * Before any copy, the Multi-IP rule for what comes in (thesis ch. 6): a
 * packet for a user's own address goes to that user's sockets only; one
 * that another's socket would take (root's or another user's wildcard
 * listener) is dropped and counted as spoofed.  With no socket the
 * kernel answers it (a port unreachable, a reset), as it does for the
 * host's own address.
 */
unsigned int muisp_uinfo_inbound(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct muisp_net *mn = priv;
	struct muisp_tagger *t = rcu_dereference(mn->tagger);
	const struct muisp_tag_user *u, *own;
	bool copy, clamp, count, tagging;
	struct rdr_pkt p;
	uid_t uid;
	int ret;

	if (!t || !state->in || state->in->ifindex != t->ifindex)
		return NF_ACCEPT;
	own = rdr_addressee(mn, skb, state->pf);
	if ((!own && !t->aead) || !rdr_parse(skb, state->pf, &p))
		return NF_ACCEPT;
	if (p.queried)
		atomic64_inc(&mn->tag_queried);
	if (p.acked)
		rdr_ack(mn, t, skb, state->pf, &p);
	/* COUNT (the standalone meter) counts what its socket's owner gets */
	count = t->method == MUISP_TAG_METHOD_COUNT;
	/* COUNT and REPORT put no option in anything: no copy, no room */
	tagging = !count && t->method != MUISP_TAG_METHOD_REPORT;
	/* asked by the meter, or the method's own choice */
	copy = !own && tagging && (p.queried || rdr_wanted(t, skb, &p));
	clamp = !own && tagging && (p.tcp_flags & TCPHDR_SYN) &&
		t->method != MUISP_TAG_METHOD_FLOW;
	if (!own && !copy && !clamp && !count)
		return NF_ACCEPT;
	uid = rdr_owner(mn, skb, state->pf, &p, state->in->ifindex);
	if (own) {	/* the address names the user: no copy either */
		if (uid == (uid_t)-1)
			return NF_ACCEPT;
		if (uid == own->uid) {
			if (count)
				muisp_tag_count(own, skb, MUISP_TAG_RECV,
						p.added_len);
			return NF_ACCEPT;
		}
		atomic64_inc(&mn->tag_spoofed);
		return NF_DROP;
	}
	if (uid == (uid_t)-1)
		return NF_ACCEPT;
	u = xa_load(&mn->tag_users, uid);
	if (u && count) {	/* delivered to them, blocked or not */
		muisp_tag_count(u, skb, MUISP_TAG_RECV, p.added_len);
		return NF_ACCEPT;
	}
	if (!u || u->blocked || u->addr.family)
		return NF_ACCEPT;
	if (clamp && rdr_clamp_mss(skb, state->pf, &p, state->in->mtu))
		atomic64_inc(&mn->tag_clamped);
	if (!copy)
		return NF_ACCEPT;
	ret = state->pf == NFPROTO_IPV4 ? rdr_v4(mn, t, skb, &p, u->user) :
					  rdr_v6(mn, t, skb, &p, u->user);
	if (ret == -ENETUNREACH)	/* from the link: the meter never saw it */
		return NF_ACCEPT;
	/* NET_XMIT_CN: sent, the queue is congested */
	atomic64_inc(net_xmit_eval(ret) ? &mn->tag_skipped :
					  &mn->tag_redirected);
	return NF_ACCEPT;
}
