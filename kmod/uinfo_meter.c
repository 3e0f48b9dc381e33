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
#include "uinfo.h"

/*
 * Open an agent's message for the packet b describes and check its
 * number: new, or for a fragment after the first (later), that of a
 * first fragment accepted (muisp_uinfo_replay_seen()).  Returns 0 with
 * *opened and *user set, or -EBADMSG.
 */
static int meter_open(struct muisp_net *mn, struct muisp_agent *a,
		      struct muisp_uinfo *m, struct muisp_uinfo_bind *b,
		      bool later, bool *opened, u32 *user)
{
	struct muisp_agent_key *k = rcu_dereference(a->k);
	bool fresh;

	/* redirected copies (R) are the meter's own, never forwarded */
	if (m->mt != MUISP_UINFO_UI || m->flags != MUISP_UINFO_F_E || !k ||
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

static struct muisp_agent *meter_agent(struct muisp_net *mn, u8 family,
				       const void *saddr)
{
	struct muisp_addr_key key = { .family = family };

	if (!READ_ONCE(mn->nagents))
		return NULL;
	memcpy(key.addr, saddr, family == MUISP_AF_INET ? 4 : 16);
	return muisp_agent_lookup(mn, &key);
}

/* A packet whose header changed under a hardware checksum of it. */
static void meter_csum_changed(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

static int meter_v4(struct muisp_net *mn, struct sk_buff *skb, bool *opened,
		    u32 *user)
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
	a = meter_agent(mn, MUISP_AF_INET, &ip->saddr);
	if (a) {
		/* a fragment, or a datagram reassembled here (conntrack) */
		if (!ip_is_fragment(ip) && !IPCB(skb)->frag_max_size)
			l4 = skb_header_pointer(skb, hlen, sizeof(l4buf), l4buf);
		muisp_uinfo_bind_init(&b, MUISP_AF_INET, &ip->saddr,
				      &ip->daddr, ip->protocol,
				      cpu_to_be32(ntohs(ip->id)), l4);
		if (meter_open(mn, a, &m, &b, ip->frag_off & htons(IP_OFFSET),
			       opened, user))
			return -EBADMSG;
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
		    u32 *user)
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
	a = meter_agent(mn, MUISP_AF_INET6, &ip6->saddr);
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
		if (meter_open(mn, a, &m, &b, later, opened, user))
			return -EBADMSG;
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
 * for the user's own contract (users.c).
 */
int muisp_uinfo_meter(struct muisp_net *mn, struct sk_buff *skb, u8 pf,
		      bool *opened, u32 *user)
{
	int ret;

	*opened = false;
	ret = pf == NFPROTO_IPV4 ? meter_v4(mn, skb, opened, user) :
				   meter_v6(mn, skb, opened, user);
	return ret ? MUISP_DROP_USER_INFO : 0;
}
