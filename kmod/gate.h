/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gate logic as pure functions: header parsing from a linear buffer,
 * the LAN -> router service allow-list, prefix and walled-garden matching,
 * the per-packet limit arithmetic of a contract, and the order in which
 * each hook decides (muisp_gate_forward() and its siblings).  Compiled
 * into muisp.ko and into the host unit tests (tests/unit/test_gate.c), so
 * it includes only portable.h and the uAPI header.
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

/* Whose address in a packet is the client's. */
enum muisp_flow_dir {
	MUISP_DIR_UP = 0,	/* client (LAN) -> peer (WAN) */
	MUISP_DIR_DOWN = 1,	/* peer (WAN) -> client (LAN) */
};

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
	u8 ah;			/* IPv6: an AH header was walked (proto is
				 * the header after it)
				 */
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

/*
 * muisp_gate_parse() of an IPv4 datagram whose header the stack has checked
 * (version 4, ihl >= 5, ihl * 4 <= tot_len == the packet's length), without
 * checking it again: ip is the header, l4 the first l4_len bytes after it,
 * l4_len = min(tot_len - ihl * 4, 20).  Same result as muisp_gate_parse()
 * of the whole datagram (tests/unit/test_gate.c, tests/fuzz/fuzz_gate.c);
 * the forward path's parse (hooks.c), which reads no more than that.
 */
int muisp_gate_parse_v4_checked(const u8 *ip, const u8 *l4,
				unsigned int l4_len, struct muisp_pkt *p);
#define MUISP_PARSE_L4_MAX	20	/* the most parse_l4() reads: TCP */

/* Does the packet carry AH or ESP: is it IPsec's own traffic? */
static inline bool muisp_gate_ipsec(const struct muisp_pkt *p)
{
	return p->proto == MUISP_PROTO_AH || p->proto == MUISP_PROTO_ESP ||
	       p->ah;
}

/* Is this LAN -> router packet one of the always-allowed services? */
bool muisp_gate_local_service(const struct muisp_pkt *p, u16 control_port);

/* DNS to the router: TCP or UDP to port 53. */
static __always_inline bool muisp_gate_is_dns(const struct muisp_pkt *p)
{
	return (p->proto == MUISP_PROTO_UDP || p->proto == MUISP_PROTO_TCP) &&
	       p->has_ports && be16_to_cpu(p->dport) == 53;
}

/*
 * The DNS rate limiter of unpaid sources (MUISP_CONFIG_A_DNS_RATE): a
 * token bucket per source address in its GCRA form (virtual scheduling):
 * a way holds a source and tat, the theoretical arrival time of its next
 * packet.  A packet at now conforms if max(tat, now) - now is at most
 * (burst - 1) intervals (interval = 1 s / rate); it then moves tat one
 * interval on from max(tat, now).  A source sends its burst at once, then
 * rate packets a second; tat <= now means a full bucket, the same state
 * as a fresh one.
 *
 * A source hashes to a set of MUISP_DNS_WAYS ways: it uses the way that
 * holds it, else takes one that is free or full (a full bucket can change
 * hands without changing anything), else, when every way is busy with
 * another source, it shares the bucket nearest to full.  So memory is
 * bounded and a flooding source holds one way, while a quiet newcomer in
 * its set still gets a bucket of its own.
 */
#define MUISP_DNS_WAYS	2

struct muisp_dns_way {
	__be32 addr[4];
	u8 family;		/* 0: free */
	u8 pad[7];
	u64 tat;		/* ns, the caller's clock */
};

/*
 * Does a DNS packet from addr (family) at now_ns conform?  set: the
 * MUISP_DNS_WAYS ways addr hashes to, updated.  rate 0: always (no limit);
 * burst >= 1.
 */
bool muisp_gate_dns_limit(struct muisp_dns_way *set, const __be32 *addr,
			  u8 family, u64 now_ns, u32 rate, u32 burst);

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

/* Why packets of a contract in this (not ACTIVE) status are dropped. */
u8 muisp_gate_status_reason(u8 status, u8 stop_reason);

/*
 * The verdict order, one function per hook.  The order is a function of
 * what the lookups answer and of nothing else: the hook passes its lookups
 * (struct muisp_gate_lookups), and each is made at most once and only when
 * the verdict depends on it, so a blocked packet is never charged and a
 * paying client's packet never walks the garden.  The functions are
 * inline so that in hooks.c, with a constant table of lookups, they
 * compile to direct calls in the order below; tests/unit/test_gate.c runs
 * them with recording fakes.
 *
 *  PRE_ROUTING, in on the LAN, require-tunnel on: malformed -> accept (the
 *    gate counts it later); the source's address entry has a tunnel
 *    identity -> the packet must come out of that SA, else drop (TUNNEL).
 *  FORWARD, in on the LAN ("up") or out through it ("down"): malformed ->
 *    block list -> the client's address entry: BOUND without a tunnel
 *    under require-tunnel drops (TUNNEL); BOUND to an ACTIVE contract: a
 *    new connection up of a per-connection contract is held (HOLD) or
 *    dropped (CONN_REFUSED, CONN_RATE), uncharged; else it is charged and
 *    passes unless a limit says no; anything else (not bound,
 *    no contract, not ACTIVE, a limit) may still pass through the walled
 *    garden, else drops with that reason.
 *  LOCAL_IN, in on the LAN: malformed -> block list -> router services
 *    (DNS only for a source BOUND to an ACTIVE contract, or, from any
 *    other, when short enough and within its rate, else drop DNS) ->
 *    source BOUND to an ACTIVE contract -> drop (LOCAL).
 */
enum muisp_gate_hook {
	MUISP_GATE_PRE_ROUTING,
	MUISP_GATE_FORWARD,
	MUISP_GATE_LOCAL_IN,
};

enum muisp_gate_action {
	MUISP_GATE_ACCEPT,	/* not the gate's business: pass untouched */
	MUISP_GATE_PASS,	/* forward, counted and metered (contract) */
	MUISP_GATE_LOCAL,	/* deliver to the router, counted as local */
	MUISP_GATE_GARDEN,	/* forward, counted as walled garden */
	MUISP_GATE_DROP,	/* drop, counted under the reason */
	MUISP_GATE_HOLD,	/* a new connection: to its contract's NFQUEUE */
};

/* What per-connection billing says of a packet up (kmod/conn.c). */
enum muisp_gate_conn {
	MUISP_GATE_CONN_GO,	/* charge it and go on */
	MUISP_GATE_CONN_HOLD,	/* a new connection: wait for the verdict */
	MUISP_GATE_CONN_REFUSED, /* muispd refused it */
	MUISP_GATE_CONN_RATE,	/* over the source's rate of new ones */
};

struct muisp_gate_verdict {
	u8 action;		/* enum muisp_gate_action */
	u8 reason;		/* DROP: enum muisp_drop_reason, else 0 */
};

static __always_inline struct muisp_gate_verdict muisp_gate_do(u8 action)
{
	return (struct muisp_gate_verdict){ .action = action };
}

static __always_inline struct muisp_gate_verdict muisp_gate_drop(u8 reason)
{
	return (struct muisp_gate_verdict){ MUISP_GATE_DROP, reason };
}

/* An address table entry, as the gate sees it. */
struct muisp_gate_addr {
	u8 state;		/* enum muisp_addr_state; 0: no entry */
	u8 tunnel;		/* the entry has a tunnel identity */
};

/* A contract, as the gate sees it. */
struct muisp_gate_contract {
	u8 status;		/* enum muisp_contract_status; 0: no contract */
	u8 stop_reason;		/* MUISP_DROP_* recorded when extinguished */
};

/* What a hook looks up for the gate; ctx is the hook's. */
struct muisp_gate_lookups {
	/* A live block entry matches the source address, the destination
	 * address if dst, the source MAC if mac.
	 */
	bool (*blocked)(void *ctx, bool dst, bool mac);
	/* The entry of the client address (the source "up", the destination
	 * "down").
	 */
	struct muisp_gate_addr (*addr)(void *ctx);
	/* The contract that entry is bound to (only asked if BOUND). */
	struct muisp_gate_contract (*contract)(void *ctx);
	/* Per-connection billing of a packet up (only asked if ACTIVE, before
	 * the charge): enum muisp_gate_conn.  NULL: none.
	 */
	u8 (*conn)(void *ctx);
	/* Charge the packet to it (only asked if ACTIVE): 0 or MUISP_DROP_*. */
	u8 (*charge)(void *ctx);
	/* muisp_gate_tunnel_ok() for the entry (only asked if it has a
	 * tunnel identity).
	 */
	bool (*tunnel_ok)(void *ctx);
	/* A live walled-garden rule lets the packet through. */
	bool (*garden)(void *ctx);
	/* muisp_gate_dns_limit() for the source (only asked for DNS from a
	 * source that is not paying).
	 */
	bool (*dns_ok)(void *ctx);
};

/*
 * Is a packet the gate's business?  lan, in, out: interface indexes (0:
 * LAN not configured, no input or no output interface).  Returns -1 if
 * not, else the packet's enum muisp_flow_dir.
 */
static __always_inline int muisp_gate_dir(enum muisp_gate_hook hook, u32 lan,
					  u32 in, u32 out, bool require_tunnel)
{
	if (!lan)
		return -1;
	switch (hook) {
	case MUISP_GATE_PRE_ROUTING:
		return in == lan && require_tunnel ? MUISP_DIR_UP : -1;
	case MUISP_GATE_FORWARD:
		if (in == lan)
			return MUISP_DIR_UP;
		return out == lan ? MUISP_DIR_DOWN : -1;
	case MUISP_GATE_LOCAL_IN:
		return in == lan ? MUISP_DIR_UP : -1;
	}
	return -1;
}

/*
 * May PRE_ROUTING or LOCAL_IN judge a packet by its IP header alone, as
 * the stack has checked it (the addresses and the protocol; IPv6: the
 * first next header), without the parse?  The tunnel's own packets (AH,
 * ESP) pass PRE_ROUTING whoever sends them and are a local service at
 * LOCAL_IN once the block list has passed their source; a packet that came
 * out of an SA is judged at PRE_ROUTING by its source and the SA.  None of
 * that needs ports, so with require-tunnel on a client's packet is parsed
 * once, at FORWARD, not at each of its four hook passes.
 */
static __always_inline bool muisp_gate_header_only(enum muisp_gate_hook hook,
						   u8 proto, bool decapsulated)
{
	bool ipsec = proto == MUISP_PROTO_AH || proto == MUISP_PROTO_ESP;

	if (hook == MUISP_GATE_PRE_ROUTING)
		return ipsec || decapsulated;
	return hook == MUISP_GATE_LOCAL_IN && ipsec;
}

/*
 * p: the packet (parsed, or its IP header as muisp_gate_header_only()
 * allows), NULL if malformed; decapsulated: it came out of an SA.
 */
static __always_inline struct muisp_gate_verdict
muisp_gate_pre_routing(const struct muisp_pkt *p, bool decapsulated,
		       const struct muisp_gate_lookups *l, void *ctx)
{
	if (!p)		/* FORWARD or LOCAL_IN counts it */
		return muisp_gate_do(MUISP_GATE_ACCEPT);
	/* the tunnel's own, from anyone (muisp_gate_tunnel_ok()) */
	if (!decapsulated && muisp_gate_ipsec(p))
		return muisp_gate_do(MUISP_GATE_ACCEPT);
	if (!l->addr(ctx).tunnel || l->tunnel_ok(ctx))
		return muisp_gate_do(MUISP_GATE_ACCEPT);
	return muisp_gate_drop(MUISP_DROP_TUNNEL);
}

/* Not a drop reason: muisp_gate_conn_charge() holds the packet. */
#define MUISP_GATE_WHY_HOLD	0xff

/*
 * An ACTIVE contract's packet up: per-connection billing first, then the
 * charge; 0, MUISP_GATE_WHY_HOLD or a drop reason.
 */
static __always_inline u8
muisp_gate_conn_charge(const struct muisp_gate_lookups *l, void *ctx)
{
	switch (l->conn(ctx)) {
	case MUISP_GATE_CONN_HOLD:
		return MUISP_GATE_WHY_HOLD;
	case MUISP_GATE_CONN_REFUSED:
		return MUISP_DROP_CONN_REFUSED;
	case MUISP_GATE_CONN_RATE:
		return MUISP_DROP_CONN_RATE;
	default:
		return l->charge(ctx);
	}
}

static __always_inline struct muisp_gate_verdict
muisp_gate_forward(const struct muisp_pkt *p, int dir, bool require_tunnel,
		   const struct muisp_gate_lookups *l, void *ctx)
{
	struct muisp_gate_contract c;
	struct muisp_gate_addr a;
	u8 why = MUISP_DROP_NOT_BOUND;

	if (!p)
		return muisp_gate_drop(MUISP_DROP_MALFORMED);
	if (l->blocked(ctx, true, dir == MUISP_DIR_UP))
		return muisp_gate_drop(MUISP_DROP_BLOCKED);
	a = l->addr(ctx);
	if (a.state == MUISP_ADDR_STATE_BOUND) {
		/* bound before require-tunnel was switched on */
		if (!a.tunnel && require_tunnel)
			return muisp_gate_drop(MUISP_DROP_TUNNEL);
		c = l->contract(ctx);
		if (!c.status)
			why = MUISP_DROP_NO_CONTRACT;
		else if (c.status != MUISP_CONTRACT_STATUS_ACTIVE)
			why = muisp_gate_status_reason(c.status, c.stop_reason);
		else if (dir == MUISP_DIR_UP && l->conn)
			why = muisp_gate_conn_charge(l, ctx);
		else
			why = l->charge(ctx);
		if (why == MUISP_GATE_WHY_HOLD)
			return muisp_gate_do(MUISP_GATE_HOLD);
		if (!why)
			return muisp_gate_do(MUISP_GATE_PASS);
	}
	if (l->garden(ctx))
		return muisp_gate_do(MUISP_GATE_GARDEN);
	return muisp_gate_drop(why);
}

/* The client address is BOUND to an ACTIVE contract. */
static __always_inline bool
muisp_gate_paying(const struct muisp_gate_lookups *l, void *ctx)
{
	return l->addr(ctx).state == MUISP_ADDR_STATE_BOUND &&
	       l->contract(ctx).status == MUISP_CONTRACT_STATUS_ACTIVE;
}

static __always_inline struct muisp_gate_verdict
muisp_gate_local_in(const struct muisp_pkt *p, u16 control_port,
		    const struct muisp_gate_lookups *l, void *ctx)
{
	if (!p)
		return muisp_gate_drop(MUISP_DROP_MALFORMED);
	if (l->blocked(ctx, false, true))
		return muisp_gate_drop(MUISP_DROP_BLOCKED);
	if (muisp_gate_local_service(p, control_port)) {
		if (!muisp_gate_is_dns(p) || muisp_gate_paying(l, ctx))
			return muisp_gate_do(MUISP_GATE_LOCAL);
		/* unpaid DNS: a way out if unbounded (tunnels over DNS) */
		if (p->l3_len > MUISP_DNS_MAX_LEN || !l->dns_ok(ctx))
			return muisp_gate_drop(MUISP_DROP_DNS);
		return muisp_gate_do(MUISP_GATE_LOCAL);
	}
	if (muisp_gate_paying(l, ctx))
		return muisp_gate_do(MUISP_GATE_LOCAL);
	return muisp_gate_drop(MUISP_DROP_LOCAL);
}

#endif /* MUISP_GATE_H */
