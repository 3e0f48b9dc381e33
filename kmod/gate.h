/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gate logic as pure functions: header parsing from a linear buffer,
 * the LAN -> router service allow-list, prefix and walled-garden matching,
 * and the per-packet limit arithmetic of a contract.  Compiled into
 * muisp.ko and into the host unit tests (tests/unit/test_gate.c), so it
 * includes only portable.h and the uAPI header.
 */
#ifndef MUISP_GATE_H
#define MUISP_GATE_H

#include "portable.h"
#include "uapi/muisp.h"

#define MUISP_AF_INET	2	/* AF_INET on Linux */
#define MUISP_AF_INET6	10	/* AF_INET6 on Linux */

#define MUISP_PROTO_ICMP	1
#define MUISP_PROTO_TCP		6
#define MUISP_PROTO_UDP		17
#define MUISP_PROTO_ESP		50
#define MUISP_PROTO_AH		51
#define MUISP_PROTO_ICMPV6	58
#define MUISP_PROTO_SCTP	132
#define MUISP_PROTO_UDPLITE	136

/* How many bytes of a packet the parser may look at. */
#define MUISP_PARSE_WINDOW	128

/* Parsed view of one IP packet (addresses as 4 x __be32, v4 in word 0). */
struct muisp_pkt {
	__be32 saddr[4];
	__be32 daddr[4];
	u32 l3_len;		/* whole datagram, from the IP header */
	__be16 sport;		/* or ICMP echo identifier (both ports) */
	__be16 dport;
	u8 family;		/* MUISP_AF_INET / MUISP_AF_INET6 */
	u8 proto;		/* final next header */
	u8 tcp_flags;
	u8 icmp_type;
	u8 has_ports;		/* transport header was read */
	u8 is_echo;		/* ICMP(v6) echo request or reply */
	u8 fragment;		/* non-first fragment: no transport header */
	u8 pad;
};

/*
 * Parse the IP header at buf (buf_len bytes available, pkt_len the length
 * of the whole packet).  family: MUISP_AF_INET or MUISP_AF_INET6.
 * Returns 0, or -EINVAL for a malformed or truncated IP header or a
 * truncated TCP/UDP/ICMP header of a first fragment.  IPv6 extension
 * headers are skipped while they fit in the window; if the chain does
 * not fit, proto is the last header seen and has_ports is 0.
 */
int muisp_gate_parse(const u8 *buf, unsigned int buf_len,
		     unsigned int pkt_len, u8 family, struct muisp_pkt *p);

/* Is this LAN -> router packet one of the always-allowed services? */
bool muisp_gate_local_service(const struct muisp_pkt *p, u16 control_port);

/* The tunnel identity of a client address (MUISP_CONFIG_A_REQUIRE_TUNNEL). */
struct muisp_tunnel_id {
	u32 spi;		/* inbound SPI of the current SA; 0 = no tunnel */
	u32 spi_prev;		/* of the SA a rekey is replacing; 0 = none */
	u32 reqid;		/* 0 = not checked */
	u32 if_id;		/* 0 = not checked */
	u8 proto;		/* MUISP_PROTO_AH or MUISP_PROTO_ESP */
};

/* The transform that decapsulated a packet: last entry of its secpath. */
struct muisp_xfrm_seen {
	u32 spi;		/* host order */
	u32 reqid;
	u32 if_id;
	u8 proto;
	u8 tunnel_mode;
};

/*
 * May a packet from an address with tunnel identity id pass the LAN
 * ingress check?  x is the transform that decapsulated it, NULL if it
 * arrived outside any SA; then only the tunnel's own traffic passes (AH,
 * ESP, IKE, DHCP, IPv6 neighbour discovery and MLD).
 */
bool muisp_gate_tunnel_ok(const struct muisp_pkt *p,
			  const struct muisp_tunnel_id *id,
			  const struct muisp_xfrm_seen *x);

/* Prefix match: addresses as 4 x __be32 words, plen in bits. */
bool muisp_gate_prefix_match(const __be32 *addr, const __be32 *prefix,
			     u8 family, u8 plen);

/* Are all bits of prefix beyond plen zero (a canonical prefix)? */
bool muisp_gate_prefix_canonical(const __be32 *prefix, u8 family, u8 plen);

struct muisp_garden_rule {
	__be32 prefix[4];
	u64 expires_s;		/* 0 = never */
	u16 port_min;
	u16 port_max;		/* 0/0 with has_ports == 0: any port */
	u8 family;
	u8 plen;
	u8 proto;		/* 0 = any */
	u8 has_ports;
};

/*
 * Does a walled-garden rule let this packet through?  peer is the WAN
 * side address, peer_port the WAN side port (host order), now_s the
 * CLOCK_REALTIME second.
 */
bool muisp_gate_garden_match(const struct muisp_garden_rule *r,
			     const __be32 *peer, u8 family, u8 proto,
			     bool has_ports, u16 peer_port, u64 now_s);

/* Outcome of charging one packet's cost to a contract. */
enum muisp_charge {
	MUISP_CHARGE_PASS,		/* forward */
	MUISP_CHARGE_PASS_SOFT,		/* forward, then DELINQUENT */
	MUISP_CHARGE_PASS_HARD,		/* forward, then EXTINGUISHED */
	MUISP_CHARGE_DROP_SOFT,		/* already at soft limit: DELINQUENT */
	MUISP_CHARGE_DROP_HARD,		/* would exceed hard: EXTINGUISHED */
};

/*
 * Limit arithmetic for the counting metrics (bytes, packets, usage time):
 * "used" goes from old to old + cost.  soft/hard 0 = no limit.
 *  - old + cost > hard                        -> DROP_HARD
 *  - old >= soft (already past, not switched) -> DROP_SOFT
 *  - old + cost == hard                       -> PASS_HARD
 *  - old < soft <= old + cost                 -> PASS_SOFT
 *  - otherwise                                -> PASS
 * A cost of 0 never crosses anything unless a limit is already reached.
 */
enum muisp_charge muisp_gate_charge(u64 old, u64 cost, u64 soft, u64 hard);

/*
 * For the elapsed-time metric "used" grows with the clock: the packet is
 * judged against the value now.  Returns DROP_HARD if used >= hard,
 * DROP_SOFT if used >= soft, else PASS.
 */
enum muisp_charge muisp_gate_check_time(u64 used, u64 soft, u64 hard);

/*
 * Usage time: cost of a packet arriving gap_ms after the previous one of
 * the contract (first packet: prev_ms == 0) with the configured gap.
 */
static inline u64 muisp_gate_usage_cost(u64 prev_ms, u64 now_ms, u64 gap_ms)
{
	u64 d;

	if (!prev_ms || now_ms <= prev_ms)
		return 0;
	d = now_ms - prev_ms;
	return d < gap_ms ? d : 0;
}

/* Validate a requested contract status against limits and expiry. */
int muisp_gate_status_allowed(u8 status, u64 used, u64 soft, u64 hard,
			      u64 expires_s, u64 now_s);

#endif /* MUISP_GATE_H */
