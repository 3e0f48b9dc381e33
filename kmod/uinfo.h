/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-user accounting in the module (docs/DESIGN.md "Per-user
 * accounting"): the keys that seal a User Information option's Accounting
 * ID (kmod/uinfo.c) over kmod/uinfo_core.c's wire format.
 */
#ifndef MUISP_UINFO_H
#define MUISP_UINFO_H

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include "uinfo_core.h"

/*
 * Might the received packet carry our option: IPv4 options, or an IPv6
 * Destination Options header first?  The IP header as ip_rcv() or
 * ipv6_rcv() checked and pulled it.  One compare for every other packet.
 */
static __always_inline bool muisp_uinfo_carried(const struct sk_buff *skb,
						u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return ip_hdr(skb)->ihl != 5;
	return ipv6_hdr(skb)->nexthdr == NEXTHDR_DEST;
}

/*
 * An IPv6 packet's transport past its Hop-by-Hop, Routing and Destination
 * Options headers, as the router's gate reads it (gate.c): *proto is the
 * header at *off (bytes into skb), and becomes the next one's, *off its
 * offset.  A user may add a routing header unprivileged (type 2,
 * IPV6_RTHDR), a sender outside any; naming the header instead of the
 * transport would leave the flow the host's.  It stops at a fragment
 * header (no ports in a later one; as on IPv4, none is taken) and at AH
 * (inbound, the packet comes round again without it; outbound, the SA's
 * packets are not judged).  False if the chain runs past the packet.
 */
static inline bool muisp_uinfo_l4_v6(const struct sk_buff *skb, u8 *proto,
				     unsigned int *off)
{
	unsigned int at = *off;
	u8 nh = *proto;

	while (nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING ||
	       nh == NEXTHDR_DEST) {
		struct ipv6_opt_hdr _h;
		const struct ipv6_opt_hdr *h;

		h = skb_header_pointer(skb, at, sizeof(_h), &_h);
		if (!h)
			return false;
		nh = h->nexthdr;
		at += ipv6_optlen(h);
	}
	*proto = nh;
	*off = at;
	return true;
}

/*
 * The transport header's first 8 bytes (at l4off, bytes into skb) as the
 * receiver will read them, for a seal: a checksum among them the stack
 * left to the device (CHECKSUM_PARTIAL) is computed now, or the far end
 * would bind other bytes.  NULL if the packet is shorter; ERR_PTR on
 * failure.  Headers may have moved: reload them.
 */
static inline const u8 *muisp_uinfo_l4(struct sk_buff *skb,
				       unsigned int l4off, u8 *buf)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL &&
	    skb_checksum_start_offset(skb) + skb->csum_offset < l4off + 8 &&
	    skb_checksum_help(skb))
		return ERR_PTR(-ENOMEM);
	return skb_header_pointer(skb, l4off, 8, buf);
}

/*
 * Sequence numbers under one agent's key and salt, in two nonce spaces
 * (AES-GCM must never see a nonce twice): the agent seals its tags and
 * copies below 2^63 (uinfo_agent.c), the meter its Acknowledgments with
 * bit 63 set (uinfo_meter.c).  Each side refuses the other's numbers.
 */
#define MUISP_UINFO_SEQ_METER	BIT_ULL(63)

/*
 * A message of ours (opt, len bytes) into the IPv4 header skb->data
 * starts with, in the room in front of it (the caller made it): the
 * agent's tag, the meter's Query.  0, or the error of
 * muisp_uinfo_insert_v4() (no room left among the options).
 */
static inline int muisp_uinfo_push_v4(struct sk_buff *skb, const u8 *opt,
				      int len)
{
	struct iphdr *ip = ip_hdr(skb);
	int grow = muisp_uinfo_insert_v4((u8 *)ip, ip->ihl * 4, opt, len);

	if (grow < 0)
		return grow;
	skb_push(skb, grow);
	skb_reset_network_header(skb);
	/* ip_fragment() keeps the copied options of this many bytes */
	IPCB(skb)->opt.optlen = ip_hdr(skb)->ihl * 4 - sizeof(*ip);
	return 0;
}

/*
 * Our Destination Options header (dh, dlen bytes, built with the packet's
 * next header by muisp_uinfo_build_v6()) right after the IPv6 header
 * skb->data starts with, in the room in front of it: the header moves
 * to the front, the transport stays where it is.
 */
static inline void muisp_uinfo_push_v6(struct sk_buff *skb, const u8 *dh,
				       unsigned int dlen)
{
	const unsigned int nh = sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6;

	skb_push(skb, dlen);
	memmove(skb->data, skb->data + dlen, nh);
	memcpy(skb->data + nh, dh, dlen);
	skb_reset_network_header(skb);
	ip6 = ipv6_hdr(skb);
	ip6->nexthdr = NEXTHDR_DEST;
	ip6->payload_len = htons(ntohs(ip6->payload_len) + dlen);
}

/*
 * Room the agent's tag (a sealed UI message) takes in a packet: the
 * option (type, length, flags, the sealed part), padded to 4 in IPv4; in
 * its own IPv6 header (next header, length), padded to 8.
 */
#define MUISP_TAG_OPT_LEN	(2 + 2 + MUISP_UINFO_SEALED_LEN)
#define MUISP_TAG_V4_LEN	ALIGN(MUISP_TAG_OPT_LEN, 4)
#define MUISP_TAG_V6_LEN	ALIGN(2 + MUISP_TAG_OPT_LEN, 8)

#define MUISP_UINFO_KEY_LEN	16	/* AES-128 */
#define MUISP_UINFO_SALT_LEN	4

/*
 * An agent's key: the kernel's synchronous gcm(aes), the architecture's
 * SIMD one where there is one (NULL otherwise; used when the FPU may be,
 * uinfo.c), and on every CPU a request and, buf_off bytes into it, a
 * buffer for the additional data, the id and the ICV (heap memory:
 * scatterlists may not point into a virtually mapped stack).  Made in
 * process context; used from any context.
 */
struct muisp_uinfo_key {
	struct crypto_aead *tfm;
	struct crypto_aead *simd;
	void * __percpu *scratch;
	unsigned int buf_off;
	u8 salt[MUISP_UINFO_SALT_LEN];
};

struct muisp_uinfo_key *muisp_uinfo_key_new(const u8 *key, const u8 *salt);
void muisp_uinfo_key_free(struct muisp_uinfo_key *k);
/*
 * The same from netlink's keying material (MUISP_AGENT_KEY_LEN bytes: the
 * key, then the salt), saying in extack why it could not be made.
 */
struct netlink_ext_ack;
struct muisp_uinfo_key *muisp_uinfo_key_nl(const u8 *material,
					   struct netlink_ext_ack *extack);

/* selftest/uinfo.c (MUISP_DEBUG=1): true if every self-test passed. */
bool muisp_uinfo_selftest(void);
/* selftest/answers.c (MUISP_DEBUG=1): true if every self-test passed. */
bool muisp_answers_selftest(void);

#endif /* MUISP_UINFO_H */
