/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-band User Information option (Zhang, ch. 4; docs/DESIGN.md
 * "Per-user accounting"): its three messages on the wire, where they sit
 * in an IPv4 header or an IPv6 Destination Options header, taking one out
 * of a header or putting one in, and the seal that binds a user's
 * Accounting ID to one packet.  Pure byte work on linear buffers, compiled
 * into muisp.ko and into the host unit tests and fuzz target
 * (tests/unit/test_uinfo_core.c, tests/fuzz/fuzz_uinfo.c).
 *
 * One message, after the option's type and length bytes:
 *
 *   | Flags (16): bit 15 E (UI, Ack) or D (Query), bit 14 R (UI),
 *   |             bit 13 A (UI: acknowledge me), bit 12 zero,
 *   |             bits 11-0 the Message Type                       |
 *   | address, 4 or 16 bytes: UI with R (the original source of a
 *   |   redirected inbound packet), Query with D (the original
 *   |   destination of a bounced outbound packet)                    |
 *   | UI, Ack: E = 0: the Accounting ID (32 bits)
 *   |          E = 1: seq (64) | sealed Accounting ID (32) | ICV (96) |
 *
 * IPv4: option type 0x9e (RFC 4727's experimental number 30 with the
 * copied bit, so every fragment carries it); its length byte counts the
 * whole option.  IPv6: Destination Options type 0x3e (RFC 4727's
 * experimental type, high bits 001: skip if unknown, may change en
 * route); its length byte counts the data after the two TLV bytes.
 */
#ifndef MUISP_UINFO_CORE_H
#define MUISP_UINFO_CORE_H

#include "portable.h"
#include "gate.h"		/* MUISP_AF_*, MUISP_PROTO_* */

#define MUISP_UINFO_V4_TYPE	0x9e
#define MUISP_UINFO_V6_TYPE	0x3e

enum muisp_uinfo_mt {
	MUISP_UINFO_UI = 1,	/* User Information */
	MUISP_UINFO_QUERY = 2,	/* Query User Information */
	MUISP_UINFO_ACK = 3,	/* UI Acknowledgment */
};

#define MUISP_UINFO_F_E		0x8000	/* UI, Ack: the Accounting ID is sealed */
#define MUISP_UINFO_F_D		0x8000	/* Query: carries the destination */
#define MUISP_UINFO_F_R		0x4000	/* UI: redirected, carries the source */
/*
 * UI: the agent tags the flow until the meter acknowledges it (the flow
 * method's "tag until acked", thesis §4.1.6): muisp's own use of the
 * first reserved bit.  Inside the seal's additional data, so no one on
 * the way can set or clear it.
 */
#define MUISP_UINFO_F_A		0x2000
#define MUISP_UINFO_F_RSV	0x1000	/* must be zero */
#define MUISP_UINFO_MT_MASK	0x0fff

#define MUISP_UINFO_ICV_LEN	12	/* AES-GCM's 96-bit tag (RFC 4106) */
#define MUISP_UINFO_SEALED_LEN	(8 + 4 + MUISP_UINFO_ICV_LEN)
#define MUISP_UINFO_MAX_LEN	(4 + 16 + MUISP_UINFO_SEALED_LEN)
#define MUISP_UINFO_V4_OPTS_MAX	40	/* an IPv4 header's whole options area */

/* One message, decoded. */
struct muisp_uinfo {
	u16 mt;			/* enum muisp_uinfo_mt */
	u16 flags;		/* MUISP_UINFO_F_* */
	u8 addr_len;		/* 0, 4 or 16: with R (UI) or D (Query) */
	u8 addr[16];
	u32 user;		/* E = 0: the Accounting ID */
	u64 seq;		/* E = 1: the seal's sequence number */
	u8 sealed[4 + MUISP_UINFO_ICV_LEN];	/* E = 1: as on the wire */
};

/* Does the message carry an Accounting ID (UI, Ack)? */
static inline bool muisp_uinfo_has_user(const struct muisp_uinfo *m)
{
	return m->mt == MUISP_UINFO_UI || m->mt == MUISP_UINFO_ACK;
}

/*
 * The option's length on the wire, type and length bytes included; 0 if
 * the message is not one muisp sends (unknown type, reserved flags, an
 * address of the wrong length).
 */
unsigned int muisp_uinfo_len(const struct muisp_uinfo *m);

/*
 * Write m as an option of family's kind (MUISP_AF_INET: IPv4 option,
 * MUISP_AF_INET6: Destination Options TLV) at buf.  Returns its length,
 * -EINVAL for a message muisp_uinfo_len() refuses, -ENOSPC if it does not
 * fit in cap bytes.
 */
int muisp_uinfo_put(u8 *buf, unsigned int cap, u8 family,
		    const struct muisp_uinfo *m);

/*
 * Read the option at opt (avail bytes from its type byte to the end of
 * the options area) into m.  Returns its length, or -EINVAL if it is not
 * ours, is cut short, or its length disagrees with its flags.
 */
int muisp_uinfo_get(const u8 *opt, unsigned int avail, u8 family,
		    struct muisp_uinfo *m);

/*
 * Find our option in an IPv4 header's options area (opts, len bytes:
 * ihl * 4 - 20).  Returns its offset in opts, -ENOENT if there is none,
 * -EINVAL if the area is malformed (an option overruns it, a length below
 * 2), or carries ours twice or shorter than any message (4 bytes).
 */
int muisp_uinfo_find_v4(const u8 *opts, unsigned int len);

/*
 * Find our option in an IPv6 Destination Options header (hdr, len bytes:
 * the whole header, (hdr[1] + 1) * 8).  Same returns as
 * muisp_uinfo_find_v4(), offsets from the header's start.
 */
int muisp_uinfo_find_v6(const u8 *hdr, unsigned int len);

/*
 * Take our option out of the IPv4 header at ip (hlen = ihl * 4 bytes):
 * the header, without it and padded again to a multiple of 4 bytes, is
 * rewritten to end where it ended (at ip + hlen), with ihl, tot_len and
 * the checksum set.  Returns how many bytes it shrank (the caller drops
 * that many from the front), 0 if it carried no option of ours, -EINVAL
 * as muisp_uinfo_find_v4().
 */
int muisp_uinfo_strip_v4(u8 *ip, unsigned int hlen);

/*
 * Put option opt (len bytes, from muisp_uinfo_put()) into the IPv4 header
 * at ip (hlen = ihl * 4 bytes), which must have room for the grown header
 * before it: the new header is written to start at ip - grow, where grow
 * (returned) is len rounded up to 4, with ihl, tot_len and the checksum
 * set.  The existing options keep their order, ours comes last.  Returns
 * -EEXIST if the header already carries ours, -EMSGSIZE if the options
 * area would pass 40 bytes or the datagram 65,535, -EINVAL for a
 * malformed header.
 */
int muisp_uinfo_insert_v4(u8 *ip, unsigned int hlen, const u8 *opt,
			  unsigned int len);

/*
 * Take our option out of the Destination Options header at hdr (len
 * bytes, as muisp_uinfo_find_v6()).  Its bytes and the padding around them
 * lose whole multiples of 8 bytes, so that under 8 bytes of padding stay
 * (RFC 8200's purpose of padding; Linux drops a header with more) and
 * every other option keeps its offset modulo 8 (its alignment); the
 * header is rewritten to end where it ended (at hdr + len), with its
 * length field set.  Returns how many bytes it shrank (a multiple of 8;
 * the caller drops that many from the front), or len if nothing but
 * padding would be left: the header is left as it was and the caller
 * removes it whole (its next header in hdr[0]).  -ENOENT if there is
 * none, -EINVAL as muisp_uinfo_find_v6().
 */
int muisp_uinfo_strip_v6(u8 *hdr, unsigned int len);

/*
 * Build a Destination Options header holding only option opt (len bytes)
 * at buf: next header nexthdr, padded to a multiple of 8.  Returns its
 * length, -ENOSPC if cap is too small.
 */
int muisp_uinfo_build_v6(u8 *buf, unsigned int cap, u8 nexthdr,
			 const u8 *opt, unsigned int len);

/* The IPv4 header checksum of ip (hlen bytes, its checksum field zero). */
u16 muisp_uinfo_ip_csum(const u8 *ip, unsigned int hlen);

/*
 * What a seal binds a user's Accounting ID to: the fields of the packet
 * that no hop between agent and meter changes (seed §4.4's digest), in a
 * fixed layout that is the AEAD's additional data together with the
 * option's flags and address.  l4: the transport header's first 8 bytes
 * (ports, and TCP's sequence number or UDP's length and checksum) when the
 * packet is not a fragment; an IPv4 fragment binds its datagram by id
 * instead, an IPv6 fragment only by addresses and protocol (its number
 * still used once: muisp_uinfo_replay_seen()).
 */
struct muisp_uinfo_bind {
	u8 family;
	u8 proto;		/* the transport protocol */
	u8 l4_len;		/* 0 (fragment, or none) or 8 */
	u8 mt_flags[2];		/* the option's Flags field, as on the wire */
	u8 addr_len;
	u8 pad[2];
	__be32 id;		/* IPv4 identification; 0 for IPv6 */
	u8 saddr[16];		/* IPv4 in the first 4 bytes, the rest zero */
	u8 daddr[16];
	u8 l4[8];
	u8 addr[16];		/* the option's address (R, D), or zero */
};

/*
 * Start b for one packet: its family, addresses (4 or 16 bytes each), the
 * transport protocol, the datagram's id (IPv4: the 16-bit identification
 * as a 32-bit number; IPv6: 0, since a router that reassembles drops the
 * fragment header) and l4, the transport header's first 8 bytes, or NULL
 * for a fragment (or a datagram reassembled on the way) or a shorter
 * transport header.  The option's part is filled by muisp_uinfo_seal()
 * and muisp_uinfo_open().
 */
void muisp_uinfo_bind_init(struct muisp_uinfo_bind *b, u8 family,
			   const void *saddr, const void *daddr, u8 proto,
			   __be32 id, const u8 *l4);

/*
 * The Accounting ID seal: AES-128-GCM as ESP uses it (RFC 4106): nonce =
 * salt (4) | seq (8), ICV 12 bytes, additional data struct
 * muisp_uinfo_bind.  The platform provides it: the kernel's AEAD
 * (kmod/uinfo.c) or OpenSSL (tests/unit/uinfo_aead_host.c); key is its
 * own state.
 * Returns 0, or -EBADMSG when opening finds the ICV wrong.
 */
struct muisp_uinfo_key;
int muisp_uinfo_aead(struct muisp_uinfo_key *key, bool seal, u64 seq,
		     const struct muisp_uinfo_bind *aad, u8 id[4],
		     u8 icv[MUISP_UINFO_ICV_LEN]);

/*
 * Seal m's Accounting ID (m->user) for the packet b describes, under key
 * at sequence number seq: sets E, m->seq and m->sealed.  b's mt_flags and
 * addr are filled from m here.
 */
int muisp_uinfo_seal(struct muisp_uinfo_key *key, struct muisp_uinfo *m,
		     struct muisp_uinfo_bind *b, u64 seq);

/*
 * Open a sealed m (E set) for the packet b describes: sets m->user.
 * Returns 0, -EBADMSG if the seal is not this packet's under key, -EINVAL
 * if m is not sealed.
 */
int muisp_uinfo_open(struct muisp_uinfo_key *key, struct muisp_uinfo *m,
		     struct muisp_uinfo_bind *b);

/*
 * Replay window over an agent's sequence numbers, as IPsec's (RFC 4303
 * §3.4.3): the highest seen and a bitmap of the 64 below it.  Checked
 * only after the seal opened, so a forged number cannot move it.
 */
struct muisp_uinfo_replay {
	u64 top;		/* highest accepted; 0: none yet */
	u64 bits;		/* bit i: top - i accepted */
};

/* Accept seq (true), or refuse it as replayed or too old (false). */
bool muisp_uinfo_replay_check(struct muisp_uinfo_replay *w, u64 seq);

/*
 * Was seq accepted, and is it still in the window?  A fragment after a
 * datagram's first carries the option the first carried (the copied bit;
 * IPv6's per-fragment headers), so it is let through on its first
 * fragment's acceptance rather than refused as a replay.
 */
bool muisp_uinfo_replay_seen(const struct muisp_uinfo_replay *w, u64 seq);

#endif /* MUISP_UINFO_CORE_H */
