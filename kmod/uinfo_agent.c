// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's side of the in-band User Information option (docs/DESIGN.md
 * "The agent"), on a multi-user host: in POST_ROUTING, a packet leaving
 * through the agent's interface from a socket of a mapped local user gets
 * a sealed User Information message with that user's Accounting ID, for
 * the meter on the router (uinfo_meter.c) to open, account and take out.
 *
 * Which packets (MUISP_TAG_METHOD_*): every one (PACKET), or those that
 * begin a flow (FLOW): TCP's SYN, and any other packet while conntrack
 * calls its flow new (every one without conntrack), since the meter's
 * flow then carries the user's contract for the rest.
 *
 * Sealing binds the bytes the meter will see.  So the tag goes on after
 * source NAT (the hook's priority), a UDP checksum left to the device
 * (CHECKSUM_PARTIAL, in the bound bytes) is computed first, and an IPv4
 * datagram the stack will fragment (over the path MTU, DF clear) is
 * sealed as a fragment, as the meter will open each of its fragments.
 * While the key agreement is down (no key: closed), mapped users' packets
 * are dropped and counted as blocked, as the meter could not tell them
 * from the host's own (fail-closed, thesis §4.5.5); others still leave.
 * A blocked user's packets (the router's per-user block list, thesis
 * §3.6, pushed into the map) are dropped, keyed or closed, before any
 * tag, and counted as denied.
 * Multi-IP (thesis ch. 6): a user may have an address of their own,
 * which the router's per-address meter charges as it is.  Before the
 * blocked check, a full socket's packet from some user's address is
 * dropped unless the socket is that user's, and a packet of a user with
 * an address of its family unless it is from that address (both counted
 * as spoofed; the kernel's own packets, with no full socket or from its
 * control sockets, are not judged).  From their own address a user's
 * packets are not tagged, nor dropped while closed: the address names
 * them.  The map's entries with an address are also in an rhashtable by
 * it: one lookup per packet through the interface.  What comes in for a
 * user's address is judged in LOCAL_IN (uinfo_inbound.c).
 * COUNT (the standalone meter, thesis ch. 5(c)) tags nothing: a mapped
 * user's packet that would have been tagged, or that leaves from their
 * own address, is counted in their entry instead (muisp_tag_count()),
 * for the host's agent to read and report; closed, it is dropped as for
 * the other methods, so nothing the router's meter cannot pin on a user
 * leaves uncounted.  REPORT (out of band, packet-based, thesis ch. 5(a))
 * tags nothing either: each TCP or UDP packet it would have tagged (past
 * IPv6 Hop-by-Hop, Routing and Destination Options headers, as the
 * router's gate reads it: muisp_uinfo_l4_v6()) is reported on the
 * "reports" group (events.c) for the host's agent to tell the router,
 * which moves the flow to the user.
 * A packet that cannot be tagged as it is leaves untagged and is counted
 * as skipped, never dropped: a GSO packet (the seal binds one segment;
 * with PACKET and HYBRID a user's TCP socket stops building them, and
 * the MSS coming in leaves room for the tag: uinfo_inbound.c),
 * one too big for the path with DF set or over IPv6 (the host does not
 * fragment for us there: an IPv6 host's own fragments would carry the
 * option in the first only), an IPv6 packet that already begins with a
 * Hop-by-Hop or Destination Options header, an IPv4 header with no room
 * left, no memory.  It is then the host's, as it would be without agent.
 * An IPsec packet (AH, ESP) is not tagged: its inner packet was, on its
 * way through this hook into the SA (xfrm4_output()), and the meter opens
 * that one once the router has taken the SA's off.  The packets an SA
 * made (IPSKB_XFRM_TRANSFORMED: AH, ESP, ESP in UDP) pass as they are:
 * their inner packet was judged and tagged, and a tunnel's outer packet
 * has another source address than the user's own.
 *
 * Runs in the context of the packet's output (process or softirq) under
 * rcu_read_lock(); never sleeps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/skbuff.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/netfilter.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/sock.h>
#include <net/netfilter/nf_conntrack.h>

#include "muisp.h"
#include "uinfo.h"

static const struct rhashtable_params tag_addr_params = {
	.key_len = sizeof(struct muisp_addr_key),
	.key_offset = offsetof(struct muisp_tag_user, addr),
	.head_offset = offsetof(struct muisp_tag_user, node),
	.automatic_shrinking = true,
};

/*
 * The full socket that sent skb, NULL if none (a time-wait reply), and
 * its owner in the user namespace that owns the network namespace,
 * (uid_t)-1 if that cannot name it.
 */
static const struct sock *tag_sk(struct muisp_net *mn,
				 const struct sk_buff *skb, uid_t *uid)
{
	const struct sock *sk = skb_to_full_sk(skb);

	if (!sk || !sk_fullsock(sk))
		return NULL;
	*uid = from_kuid(mn->net->user_ns, sock_net_uid(mn->net, sk));
	return sk;
}

/*
 * An SA's packet (AH, ESP, or UDP-encapsulated ESP), made from an inner
 * packet that passed this hook on its way into the SA (xfrm_output()):
 * that one was judged and tagged, and from its own source address, which
 * a tunnel's outer packet does not have.
 */
static bool tag_outer(const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return IPCB(skb)->flags & IPSKB_XFRM_TRANSFORMED;
	return IP6CB(skb)->flags & IP6SKB_XFRM_TRANSFORMED;
}

/* The packet's source address, as the map's addresses are keyed. */
static void tag_src(const struct sk_buff *skb, u8 pf,
		    struct muisp_addr_key *key)
{
	memset(key, 0, sizeof(*key));
	if (pf == NFPROTO_IPV4) {
		key->family = MUISP_AF_INET;
		key->addr[0] = ip_hdr(skb)->saddr;
	} else {
		key->family = MUISP_AF_INET6;
		memcpy(key->addr, &ipv6_hdr(skb)->saddr, 16);
	}
}

/*
 * skb's IP bytes as they cross the wire, and in *segs its packets: a GSO
 * packet (a GRO one coming in) is gso_segs packets, each with the headers
 * (network and transport) that segmentation copies.
 */
unsigned int muisp_tag_wire_len(const struct sk_buff *skb, unsigned int *segs)
{
	unsigned int hdr, len = skb->len;

	*segs = 1;
	if (skb_is_gso(skb)) {
		const struct skb_shared_info *si = skb_shinfo(skb);

		*segs = max_t(unsigned int, si->gso_segs, 1);
		hdr = skb_transport_offset(skb);
		if (si->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
			hdr += tcp_hdrlen(skb);
		else if (si->gso_type & SKB_GSO_UDP_L4)
			hdr += sizeof(struct udphdr);
		len += (*segs - 1) * hdr;
	}
	return len;
}

/*
 * COUNT: skb's wire bytes less `less` (what the router's meter added
 * after it counted), in u's counters.  Under RCU, any context: per-CPU
 * adds, as the contracts' counters.
 */
void muisp_tag_count(const struct muisp_tag_user *u, const struct sk_buff *skb,
		     int dir, unsigned int less)
{
	unsigned int segs, len = muisp_tag_wire_len(skb, &segs);

	this_cpu_add(u->count->packets[dir], segs);
	this_cpu_add(u->count->bytes[dir], len - min(len, less));
}

/*
 * REPORT: tell the host's agent (the "reports" group) that u sent skb, a
 * TCP or UDP packet whose transport header is l4off bytes into it.  A
 * report that cannot be made counts as skipped: the router keeps the
 * flow on the host's address.
 */
static void tag_report(struct muisp_net *mn, const struct muisp_tag_user *u,
		       struct sk_buff *skb, u8 pf, u8 proto,
		       unsigned int l4off)
{
	struct muisp_tag_report r = { .uid = u->uid, .user = u->user,
				      .proto = proto };
	__be16 ports[2];
	const __be16 *p;

	if (pf == NFPROTO_IPV4) {
		const struct iphdr *ip = ip_hdr(skb);

		if (ip_is_fragment(ip))	/* not yet: POST_ROUTING is before */
			goto skip;
		r.family = MUISP_AF_INET;
		r.addr = &ip->saddr;
		r.peer = &ip->daddr;
	} else {
		r.family = MUISP_AF_INET6;
		r.addr = &ipv6_hdr(skb)->saddr;
		r.peer = &ipv6_hdr(skb)->daddr;
	}
	p = skb_header_pointer(skb, l4off, sizeof(ports), ports);
	if (!p)
		goto skip;
	r.port = p[0];
	r.peer_port = p[1];
	r.bytes = muisp_tag_wire_len(skb, &r.packets);
	if (muisp_tag_report_send(mn, &r)) {
		atomic64_inc(&mn->tag_reported);
		return;
	}
skip:
	atomic64_inc(&mn->tag_skipped);
}

/* The sums over every CPU of what u's uid was counted. */
void muisp_tag_counted(const struct muisp_tag_user *u,
		       struct muisp_tag_count *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct muisp_tag_count *c = per_cpu_ptr(u->count, cpu);

		for (i = 0; i < 2; i++) {
			sum->packets[i] += READ_ONCE(c->packets[i]);
			sum->bytes[i] += READ_ONCE(c->bytes[i]);
		}
	}
}

/*
 * Multi-IP: is skb, from uid's socket (u: its entry, NULL if not mapped),
 * from an address not theirs?  A user's address of the packet's family
 * is the only one they send from (then *own), and no one else sends
 * from it.  Under RCU.
 */
static bool tag_spoofed(struct muisp_net *mn, const struct sk_buff *skb,
			u8 pf, uid_t uid, const struct muisp_tag_user *u,
			bool *own)
{
	const struct muisp_tag_user *o;
	struct muisp_addr_key src;

	/* a host without Multi-IP users: nothing to look up, or to key */
	if (!(u && u->addr.family) && !atomic_read(&mn->tag_addrs.nelems))
		return false;
	tag_src(skb, pf, &src);
	if (u && u->addr.family == src.family) {
		*own = !memcmp(&u->addr, &src, sizeof(src));
		return !*own;
	}
	/* by uid, not entry: a SET may be replacing it */
	o = rhashtable_lookup(&mn->tag_addrs, &src, tag_addr_params);
	return o && (uid == (uid_t)-1 || o->uid != uid);
}

/*
 * Multi-IP: the entry of the user whose own address addr is (family
 * MUISP_AF_*), NULL if it is no one's.  Under RCU.
 */
const struct muisp_tag_user *muisp_tag_addr_user(struct muisp_net *mn,
						 u8 family, const void *addr)
{
	struct muisp_addr_key key = { .family = family };

	if (!atomic_read(&mn->tag_addrs.nelems))
		return NULL;
	memcpy(key.addr, addr, family == MUISP_AF_INET ? 4 : 16);
	return rhashtable_lookup(&mn->tag_addrs, &key, tag_addr_params);
}

/* FLOW: does the packet begin a flow (TCP SYN; others: conntrack new)? */
static bool tag_flow_start(const struct sk_buff *skb, u8 proto,
			   unsigned int l4off)
{
	enum ip_conntrack_info ctinfo;

	if (proto == IPPROTO_TCP) {
		struct tcphdr _th;
		const struct tcphdr *th;

		th = skb_header_pointer(skb, l4off, sizeof(_th), &_th);
		return th && th->syn;
	}
	return !nf_ct_get(skb, &ctinfo) || ctinfo == IP_CT_NEW;
}

/* ---- FLOW's flows, tagged until the meter acknowledges them ------------- */

#define TAG_FLOWS	4096		/* slots of muisp_tagger::flows */
#define TAG_FLOW_ACKED	BIT_ULL(32)

/*
 * The slot of a flow of this host (its local and remote address and
 * port), and in *entry what it holds for uid, unacknowledged: a check of
 * the flow's hash in the high 31 bits (never 0, so 0 is empty), bit 32
 * TAG_FLOW_ACKED, the uid below.  Direct-mapped: a flow that loses its
 * slot to another is tagged again until acknowledged again, so a lost
 * entry costs tags, never a user's packet left untagged.
 */
static u64 *tag_flow_slot(const struct muisp_tagger *t, u8 family,
			  const void *laddr, const void *raddr, __be16 lport,
			  __be16 rport, uid_t uid, u64 *entry)
{
	struct {
		u8 laddr[16], raddr[16];
		__be16 lport, rport;
		u32 family;
	} k = { .lport = lport, .rport = rport, .family = family };
	unsigned int alen = family == MUISP_AF_INET ? 4 : 16;
	u64 h;

	memcpy(k.laddr, laddr, alen);
	memcpy(k.raddr, raddr, alen);
	h = siphash(&k, sizeof(k), &t->flow_seed);
	*entry = ((h >> 33) | 1) << 33 | uid;
	return &t->flows[h & (TAG_FLOWS - 1)];
}

/*
 * FLOW, a UDP packet of uid's (TCP is tagged by its SYN, which a lost tag
 * loses too; other protocols while conntrack calls them new): tag it,
 * asking the meter for an Acknowledgment, unless the meter acknowledged
 * the flow as uid's.  The thesis's DUTRT (§4.1.6): its slot naming
 * another user (the ports reused by another user, or shared with one
 * through SO_REUSEADDR, whose packets conntrack calls established) is
 * taken over, and the flow tagged as this user's until acknowledged.
 */
static bool tag_until_acked(struct muisp_tagger *t, const struct sk_buff *skb,
			    u8 pf, unsigned int l4off, uid_t uid)
{
	const struct udphdr *uh;
	struct udphdr _uh;
	u64 *slot, e, was;

	uh = skb_header_pointer(skb, l4off, sizeof(_uh), &_uh);
	if (!uh)
		return true;
	if (pf == NFPROTO_IPV4)
		slot = tag_flow_slot(t, MUISP_AF_INET, &ip_hdr(skb)->saddr,
				     &ip_hdr(skb)->daddr, uh->source, uh->dest,
				     uid, &e);
	else
		slot = tag_flow_slot(t, MUISP_AF_INET6, &ipv6_hdr(skb)->saddr,
				     &ipv6_hdr(skb)->daddr, uh->source,
				     uh->dest, uid, &e);
	was = READ_ONCE(*slot);
	if (was == (e | TAG_FLOW_ACKED))
		return false;
	if (was != e)
		WRITE_ONCE(*slot, e);
	return true;
}

u64 *muisp_tag_flow_unacked(const struct muisp_tagger *t, u8 family,
			    const void *laddr, const void *raddr,
			    __be16 lport, __be16 rport, u64 *was)
{
	u64 *slot, e;

	if (!t->flows)
		return NULL;
	slot = tag_flow_slot(t, family, laddr, raddr, lport, rport, 0, &e);
	*was = READ_ONCE(*slot);
	/* this flow (the check), not acknowledged yet */
	return (*was & ~(u64)U32_MAX) == e ? slot : NULL;
}

bool muisp_tag_flow_ack(struct muisp_net *mn, u64 *slot, u64 was, u32 user)
{
	const struct muisp_tag_user *u = xa_load(&mn->tag_users, (u32)was);

	if (!u || u->user != user)
		return false;
	return cmpxchg(slot, was, was | TAG_FLOW_ACKED) == was;
}

/*
 * Seal m (a UI message with its Accounting ID, and R's address for a
 * redirected copy) for the packet b describes, at the setting's next
 * number; the option's bytes in opt.  Returns their length.
 */
int muisp_tagger_seal(struct muisp_tagger *t, u8 family, struct muisp_uinfo *m,
		      struct muisp_uinfo_bind *b, u8 *opt, unsigned int cap)
{
	u64 seq = atomic64_inc_return(&t->seq);

	/* the meter's numbers: out of reach (tag_first_seq()), but never */
	if (seq >= MUISP_UINFO_SEQ_METER ||
	    muisp_uinfo_seal(t->aead, m, b, seq))
		return -EINVAL;
	return muisp_uinfo_put(opt, cap, family, m);
}

/* The same for a packet of user's that leaves; flags: 0 or A. */
static int tag_seal(struct muisp_tagger *t, u8 family, u32 user, u16 flags,
		    struct muisp_uinfo_bind *b, u8 *opt, unsigned int cap)
{
	struct muisp_uinfo m = {
		.mt = MUISP_UINFO_UI,
		.flags = flags,
		.user = user,
	};

	return muisp_tagger_seal(t, family, &m, b, opt, cap);
}

/*
 * Room for grow bytes in front of the network header and, in front of
 * them, the link header's (else ip_finish_output2() reallocates the head
 * once more).  A UDP socket's skb has exactly the link header's room, so
 * most tagged packets lack it.  A new head (pskb_expand_head()) costs an
 * allocation, a copy of the packet and, with init_on_alloc (Debian's
 * default), zeroing the new head.  A linear skb whose head is ours alone
 * and has the tailroom (the slab's rounding nearly always leaves some)
 * instead moves back into it: one memmove, nothing allocated.
 */
static int tag_room(struct sk_buff *skb, const struct net_device *dev,
		    unsigned int grow)
{
	unsigned int need = grow + LL_RESERVED_SPACE(dev);
	unsigned int room = skb_headroom(skb), delta;
	u8 *from = skb->data;

	if (room >= need)
		return skb_cow_head(skb, need);	/* copies only a shared head */
	delta = need - room;
	if (skb_cloned(skb) || skb_is_nonlinear(skb) ||
	    skb_tailroom(skb) < delta)
		return skb_cow_head(skb, need);
	skb_put(skb, delta);
	memmove(from + delta, from, skb->len - delta);
	__skb_pull(skb, delta);
	skb_headers_offset_update(skb, delta);
	return 0;
}

static int tag_v4(struct muisp_tagger *t, struct sk_buff *skb,
		  const struct net_device *dev, u32 user, u16 flags)
{
	struct iphdr *ip = ip_hdr(skb);
	unsigned int hlen = ip->ihl * 4;
	struct muisp_uinfo_bind b;
	u8 l4buf[8], opt[MUISP_UINFO_MAX_LEN];
	const u8 *l4 = NULL;
	bool frag;
	int len;

	if (hlen - sizeof(*ip) + MUISP_TAG_V4_LEN > MUISP_UINFO_V4_OPTS_MAX)
		return -EMSGSIZE;
	frag = skb->len + MUISP_TAG_V4_LEN > ip_skb_dst_mtu(skb->sk, skb);
	if (frag && (ip->frag_off & htons(IP_DF)) && !skb->ignore_df)
		return -EMSGSIZE;
	if (!frag && !ip_is_fragment(ip)) {
		l4 = muisp_uinfo_l4(skb, skb_network_offset(skb) + hlen, l4buf);
		if (IS_ERR(l4))
			return PTR_ERR(l4);
		ip = ip_hdr(skb);
	}
	muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr, &ip->daddr,
			      ip->protocol, cpu_to_be32(ntohs(ip->id)), l4);
	len = tag_seal(t, MUISP_AF_INET, user, flags, &b, opt, sizeof(opt));
	if (len < 0)
		return len;
	if (tag_room(skb, dev, MUISP_TAG_V4_LEN))
		return -ENOMEM;
	return muisp_uinfo_push_v4(skb, opt, len);
}

static int tag_v6(struct muisp_tagger *t, struct sk_buff *skb,
		  const struct net_device *dev, u32 user, u16 flags)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6 = ipv6_hdr(skb);
	u8 l4buf[8], opt[MUISP_UINFO_MAX_LEN], dh[MUISP_TAG_V6_LEN];
	struct muisp_uinfo_bind b;
	const u8 *l4;
	int len, dlen;

	/* the meter looks right after the IPv6 header, where no other is */
	if (ip6->nexthdr == NEXTHDR_HOP || ip6->nexthdr == NEXTHDR_DEST ||
	    ip6->nexthdr == NEXTHDR_FRAGMENT)
		return -EINVAL;
	if (skb->len + MUISP_TAG_V6_LEN > ip6_skb_dst_mtu(skb))
		return -EMSGSIZE;
	l4 = muisp_uinfo_l4(skb, skb_network_offset(skb) + nh, l4buf);
	if (IS_ERR(l4))
		return PTR_ERR(l4);
	ip6 = ipv6_hdr(skb);
	muisp_uinfo_bind_init(&b, MUISP_AF_INET6, &ip6->saddr, &ip6->daddr,
			      ip6->nexthdr, 0, l4);
	len = tag_seal(t, MUISP_AF_INET6, user, flags, &b, opt, sizeof(opt));
	if (len < 0)
		return len;
	dlen = muisp_uinfo_build_v6(dh, sizeof(dh), ip6->nexthdr, opt, len);
	if (dlen < 0)
		return dlen;
	if (tag_room(skb, dev, dlen))
		return -ENOMEM;
	muisp_uinfo_push_v6(skb, dh, dlen);
	return 0;
}

/* POST_ROUTING (hooks.c), while the agent's role is set. */
unsigned int muisp_uinfo_tag(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct muisp_net *mn = priv;
	struct muisp_tagger *t = rcu_dereference(mn->tagger);
	const struct muisp_tag_user *u = NULL;
	const struct sock *sk;
	unsigned int l4off;
	bool own = false;
	u16 flags = 0;
	uid_t uid;
	u8 proto;
	int ret;

	if (!t || !state->out || state->out->ifindex != t->ifindex ||
	    tag_outer(skb, state->pf))
		return NF_ACCEPT;
	sk = tag_sk(mn, skb, &uid);
	if (!sk)
		return NF_ACCEPT;
	/* not "nobody" for an owner the namespace cannot name: no one */
	if (uid != (uid_t)-1)
		u = xa_load(&mn->tag_users, uid);
	/* not the kernel's own (its control sockets': ICMP, RST, ACK) */
	if (!sk->sk_kern_sock &&
	    tag_spoofed(mn, skb, state->pf, uid, u, &own)) {
		atomic64_inc(&mn->tag_spoofed);
		return NF_DROP;
	}
	if (!u)
		return NF_ACCEPT;
	if (u->blocked) {	/* the router's block list: keyed or closed */
		atomic64_inc(&mn->tag_denied);
		return NF_DROP;
	}
	if (t->method == MUISP_TAG_METHOD_COUNT && (own || t->aead)) {
		muisp_tag_count(u, skb, MUISP_TAG_SENT, 0);
		return NF_ACCEPT;
	}
	if (own)		/* the address names the user, keyed or not */
		return NF_ACCEPT;
	if (!t->aead) {		/* closed: the meter could not charge them */
		atomic64_inc(&mn->tag_blocked);
		return NF_DROP;
	}
	if (state->pf == NFPROTO_IPV4) {
		proto = ip_hdr(skb)->protocol;
		l4off = skb_network_offset(skb) + ip_hdrlen(skb);
	} else {
		proto = ipv6_hdr(skb)->nexthdr;
		l4off = skb_network_offset(skb) + sizeof(struct ipv6hdr);
	}
	/* an SA's own packet: its inner packet was tagged on the way in */
	if (proto == IPPROTO_AH || proto == IPPROTO_ESP)
		return NF_ACCEPT;
	/* what a report names, and what FLOW sees begin */
	if (state->pf == NFPROTO_IPV6 &&
	    !muisp_uinfo_l4_v6(skb, &proto, &l4off) &&
	    t->method == MUISP_TAG_METHOD_REPORT) {
		atomic64_inc(&mn->tag_skipped);
		return NF_ACCEPT;
	}
	if (t->method == MUISP_TAG_METHOD_REPORT) {
		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
			tag_report(mn, u, skb, state->pf, proto, l4off);
		return NF_ACCEPT;
	}
	/* PACKET and HYBRID tag every packet they can */
	if (t->method == MUISP_TAG_METHOD_FLOW) {
		if (proto == IPPROTO_UDP && t->flows) {
			if (!tag_until_acked(t, skb, state->pf, l4off, uid))
				return NF_ACCEPT;
			flags = MUISP_UINFO_F_A;
		} else if (!tag_flow_start(skb, proto, l4off)) {
			return NF_ACCEPT;
		}
	}
	/*
	 * One seal per segment, so with PACKET and HYBRID the user's TCP
	 * socket builds no GSO packets from now on, as a TCP-MD5 socket
	 * (sk_gso_disable()); and as sk_setup_caps() would have done had
	 * it been so at connect(), one segment per packet (TCP sizes its
	 * packets by sk_gso_max_segs).  Its own packet: TCP sends with the
	 * socket locked (not a listener's, through a handshake's request
	 * socket, nor the kernel's).
	 */
	if (t->method != MUISP_TAG_METHOD_FLOW && proto == IPPROTO_TCP &&
	    skb->sk == sk && !sk->sk_kern_sock && !sk->sk_gso_disabled) {
		sk_gso_disable(skb->sk);
		skb->sk->sk_gso_max_segs = 1;
	}
	if (skb_is_gso(skb))
		ret = -EMSGSIZE;
	else if (state->pf == NFPROTO_IPV4)
		ret = tag_v4(t, skb, state->out, u->user, flags);
	else
		ret = tag_v6(t, skb, state->out, u->user, flags);
	if (ret)
		atomic64_inc(&mn->tag_skipped);
	else
		atomic64_inc(&mn->tag_tagged);
	return NF_ACCEPT;
}

/* ---- the setting and the map of users (netlink, under mn->lock) -------- */

int muisp_tagger_init(struct muisp_net *mn)
{
	xa_init_flags(&mn->tag_users, XA_FLAGS_ACCOUNT);
	return rhashtable_init(&mn->tag_addrs, &tag_addr_params);
}

static void tagger_free(struct muisp_tagger *t)
{
	if (!t)
		return;
	muisp_uinfo_key_free(t->aead);
	kvfree(t->flows);
	kfree_sensitive(t);
}

/* An entry and its counters, once no packet sees them. */
static void tag_user_free_rcu(struct rcu_head *head)
{
	struct muisp_tag_user *u = container_of(head, struct muisp_tag_user,
						rcu);

	free_percpu(u->count);
	kfree(u);
}

/* Hooks gone, a grace period passed (netns exit): free directly. */
void muisp_tagger_destroy(struct muisp_net *mn)
{
	struct muisp_tag_user *u;
	unsigned long uid;

	tagger_free(rcu_dereference_protected(mn->tagger, true));
	rhashtable_destroy(&mn->tag_addrs);	/* the entries are the map's */
	xa_for_each(&mn->tag_users, uid, u) {
		free_percpu(u->count);
		kfree(u);
	}
	xa_destroy(&mn->tag_users);
}

/*
 * Where a new setting's numbers start: AES-GCM must never see a nonce
 * (salt, number) twice under one key, and the operator may set the same
 * key again, here or after a reboot.  So numbers never go back: past the
 * last setting's, with room for the packets still sealing under it, and
 * past the wall clock in nanoseconds, which no earlier boot's numbers
 * reached (fewer than 10^9 packets a second).  The meter's window takes
 * any number above the last.
 */
static u64 tag_first_seq(struct muisp_net *mn)
{
	struct muisp_tagger *old;
	u64 seq = ktime_get_real_ns();

	old = rcu_dereference_protected(mn->tagger, lockdep_is_held(&mn->lock));
	if (old)
		seq = max_t(u64, seq, atomic64_read(&old->seq) + (1ULL << 32));
	return seq;
}

/*
 * Publish a new setting (t NULL: none); the hooks follow.  Returns the
 * old one in *old, for muisp_tagger_release() after the lock.
 */
int muisp_tagger_publish(struct muisp_net *mn, struct muisp_tagger *t,
			 struct muisp_tagger **old)
{
	struct muisp_config cfg;
	int ret;

	lockdep_assert_held(&mn->lock);
	if (t)
		atomic64_set(&t->seq, tag_first_seq(mn));
	cfg = mn->cfg;
	cfg.tag_ifindex = t ? t->ifindex : 0;
	ret = muisp_hooks_set(mn, muisp_hooks_wanted(&cfg, mn->nagents));
	if (ret)
		return ret;
	WRITE_ONCE(mn->cfg.tag_ifindex, cfg.tag_ifindex);
	*old = rcu_replace_pointer(mn->tagger, t, lockdep_is_held(&mn->lock));
	return 0;
}

/* Free what muisp_tagger_publish() replaced, once no packet sees it. */
void muisp_tagger_release(struct muisp_tagger *old)
{
	if (!old)
		return;
	synchronize_rcu();	/* freeing the transform may sleep */
	tagger_free(old);
}

struct muisp_tagger *muisp_tagger_new(u32 ifindex, const u8 *material,
				      u32 key_id, u8 method,
				      struct netlink_ext_ack *extack)
{
	struct muisp_tagger *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	/* no key: closed until the key agreement gives one */
	if (material) {
		t->aead = muisp_uinfo_key_nl(material, extack);
		if (IS_ERR(t->aead)) {
			int ret = PTR_ERR(t->aead);

			kfree(t);
			return ERR_PTR(ret);
		}
	}
	if (method == MUISP_TAG_METHOD_FLOW) {
		t->flows = kvcalloc(TAG_FLOWS, sizeof(*t->flows),
				    GFP_KERNEL_ACCOUNT);
		if (!t->flows) {
			tagger_free(t);
			return ERR_PTR(-ENOMEM);
		}
		get_random_bytes(&t->flow_seed, sizeof(t->flow_seed));
	}
	t->ifindex = ifindex;
	t->key_id = key_id;
	t->method = method;
	return t;
}

/*
 * Map tmpl->uid as tmpl says (uid, user, blocked, addr), replacing its
 * entry whole but for its counters, which the new entry takes on.  max:
 * the most users the caller may map.
 */
int muisp_tag_user_set(struct muisp_net *mn, const struct muisp_tag_user *tmpl,
		       u32 max, struct netlink_ext_ack *extack)
{
	struct muisp_tag_user *u, *old, *o = NULL;
	bool same;
	int ret;

	lockdep_assert_held(&mn->lock);
	old = xa_load(&mn->tag_users, tmpl->uid);
	if (!old && mn->ntag_users >= max) {
		NL_SET_ERR_MSG(extack,
			       "user map full (MUISP_MAX_USERS; MUISP_USERNS_MAX_USERS without CAP_NET_ADMIN in the initial user namespace)");
		return -ENOSPC;
	}
	if (tmpl->addr.family)
		o = rhashtable_lookup_fast(&mn->tag_addrs, &tmpl->addr,
					   tag_addr_params);
	if (o && o->uid != tmpl->uid) {
		MUISP_ERR_MSG_FMT(extack, mn->tag_msg,
				  "uid %u has that address", o->uid);
		return -EEXIST;
	}
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	u->count = old ? old->count :
			 alloc_percpu_gfp(struct muisp_tag_count,
					  GFP_KERNEL_ACCOUNT);
	if (!u->count) {
		kfree(u);
		return -ENOMEM;
	}
	u->addr = tmpl->addr;
	u->uid = tmpl->uid;
	u->user = tmpl->user;
	u->blocked = tmpl->blocked;

	/* the address first: only a new uid's slot may fail to allocate */
	same = old && o == old;
	if (same)
		ret = rhashtable_replace_fast(&mn->tag_addrs, &old->node,
					      &u->node, tag_addr_params);
	else if (u->addr.family)
		ret = rhashtable_insert_fast(&mn->tag_addrs, &u->node,
					     tag_addr_params);
	else
		ret = 0;
	if (ret) {
		if (!old)
			free_percpu(u->count);
		kfree(u);
		return ret;
	}
	old = xa_store(&mn->tag_users, u->uid, u, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		if (u->addr.family)
			rhashtable_remove_fast(&mn->tag_addrs, &u->node,
					       tag_addr_params);
		/* a packet may have seen it; only a new uid's counters are its */
		if (xa_load(&mn->tag_users, u->uid))
			kfree_rcu(u, rcu);
		else
			call_rcu(&u->rcu, tag_user_free_rcu);
		return xa_err(old);
	}
	if (old) {
		if (old->addr.family && !same)
			rhashtable_remove_fast(&mn->tag_addrs, &old->node,
					       tag_addr_params);
		kfree_rcu(old, rcu);	/* its counters are u's now */
	} else {
		mn->ntag_users++;
	}
	mn->gen_tag_user++;
	return 0;
}

int muisp_tag_user_del(struct muisp_net *mn, u32 uid)
{
	struct muisp_tag_user *u;

	lockdep_assert_held(&mn->lock);
	u = xa_erase(&mn->tag_users, uid);
	if (!u)
		return -ENOENT;
	if (u->addr.family)
		rhashtable_remove_fast(&mn->tag_addrs, &u->node,
				       tag_addr_params);
	mn->ntag_users--;
	mn->gen_tag_user++;
	call_rcu(&u->rcu, tag_user_free_rcu);
	return 0;
}
