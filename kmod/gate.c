// SPDX-License-Identifier: GPL-2.0
/*
 * Gate verdict helpers: pure functions, no kernel state (see gate.h).
 */
#include "gate.h"

#define IPV6_HDR_LEN	40
#define NEXTHDR_HOP	0
#define NEXTHDR_ROUTING	43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH	51
#define NEXTHDR_DEST	60

static u16 rd16(const u8 *b)
{
	return (u16)((b[0] << 8) | b[1]);
}

/*
 * buf_len: bytes of the datagram visible; short: the datagram continues
 * beyond them (window too small), so a cut header is not malformed.
 */
static __always_inline int parse_l4(const u8 *buf, unsigned int buf_len,
				    unsigned int off, bool short_window,
				    struct muisp_pkt *p)
{
	const u8 *l4 = buf + off;
	unsigned int avail = buf_len > off ? buf_len - off : 0;
	unsigned int need;

	switch (p->proto) {
	case MUISP_PROTO_TCP:
		need = 20;
		break;
	case MUISP_PROTO_UDP:
	case MUISP_PROTO_UDPLITE:
	case MUISP_PROTO_SCTP:
	case MUISP_PROTO_ICMP:
	case MUISP_PROTO_ICMPV6:
		need = 8;
		break;
	default:
		return 0;
	}
	if (avail < need)
		return short_window ? 0 : -EINVAL;

	switch (p->proto) {
	case MUISP_PROTO_TCP:
		p->sport = cpu_to_be16(rd16(l4));
		p->dport = cpu_to_be16(rd16(l4 + 2));
		p->tcp_flags = l4[13];
		p->has_ports = 1;
		break;
	case MUISP_PROTO_UDP:
	case MUISP_PROTO_UDPLITE:
	case MUISP_PROTO_SCTP:
		p->sport = cpu_to_be16(rd16(l4));
		p->dport = cpu_to_be16(rd16(l4 + 2));
		p->has_ports = 1;
		break;
	case MUISP_PROTO_ICMP:
	case MUISP_PROTO_ICMPV6:
		p->icmp_type = l4[0];
		if ((p->proto == MUISP_PROTO_ICMP &&
		     (l4[0] == 8 || l4[0] == 0)) ||
		    (p->proto == MUISP_PROTO_ICMPV6 &&
		     (l4[0] == 128 || l4[0] == 129))) {
			p->is_echo = 1;
			/* the identifier names the flow on both sides */
			p->sport = cpu_to_be16(rd16(l4 + 4));
			p->dport = p->sport;
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The fields of an IPv4 header already checked; false for a fragment other
 * than the first (no transport header).
 */
static __always_inline bool v4_header(const u8 *ip, struct muisp_pkt *p)
{
	p->l3_len = rd16(ip + 2);
	p->proto = ip[9];
	memcpy(&p->saddr[0], ip + 12, 4);
	memcpy(&p->daddr[0], ip + 16, 4);
	if (rd16(ip + 6) & 0x1fff) {
		p->fragment = 1;
		return false;
	}
	return true;
}

static int parse_v4(const u8 *buf, unsigned int buf_len,
		    unsigned int pkt_len, struct muisp_pkt *p)
{
	unsigned int ihl, tot;

	if (buf_len < 20 || (buf[0] >> 4) != 4)
		return -EINVAL;
	ihl = (buf[0] & 0x0f) * 4u;
	tot = rd16(buf + 2);
	if (ihl < 20 || tot < ihl || tot > pkt_len || buf_len < ihl)
		return -EINVAL;
	if (!v4_header(buf, p))
		return 0;
	return parse_l4(buf, buf_len < tot ? buf_len : tot, ihl, buf_len < tot,
			p);
}

int muisp_gate_parse_v4_checked(const u8 *ip, const u8 *l4,
				unsigned int l4_len, struct muisp_pkt *p)
{
	*p = (struct muisp_pkt){ .family = MUISP_AF_INET };
	if (!v4_header(ip, p))
		return 0;
	return parse_l4(l4, l4_len, 0, false, p);
}

/* The extension header chain leaves the visible bytes. */
static int ext_cut(struct muisp_pkt *p, u8 nh, unsigned int end,
		   unsigned int tot)
{
	if (end >= tot)
		return -EINVAL;	/* beyond the datagram itself */
	p->proto = nh;		/* beyond the parse window: no ports */
	return 0;
}

static int parse_v6(const u8 *buf, unsigned int buf_len,
		    unsigned int pkt_len, struct muisp_pkt *p)
{
	unsigned int off = IPV6_HDR_LEN, tot, end;
	u8 nh;

	if (buf_len < IPV6_HDR_LEN || (buf[0] >> 4) != 6)
		return -EINVAL;
	tot = IPV6_HDR_LEN + rd16(buf + 4);
	if (tot > pkt_len)
		return -EINVAL;
	p->l3_len = tot;
	memcpy(p->saddr, buf + 8, 16);
	memcpy(p->daddr, buf + 24, 16);
	end = buf_len < tot ? buf_len : tot;
	nh = buf[6];
	for (;;) {
		switch (nh) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			if (off + 8 > end)
				return ext_cut(p, nh, end, tot);
			nh = buf[off];
			off += (buf[off + 1] + 1u) * 8u;
			continue;
		case NEXTHDR_AUTH:
			if (off + 8 > end)
				return ext_cut(p, nh, end, tot);
			p->ah = 1;
			nh = buf[off];
			off += (buf[off + 1] + 2u) * 4u;
			continue;
		case NEXTHDR_FRAGMENT:
			if (off + 8 > end)
				return ext_cut(p, nh, end, tot);
			if (rd16(buf + off + 2) & 0xfff8) {
				p->proto = buf[off];
				p->fragment = 1;
				return 0;
			}
			nh = buf[off];
			off += 8;
			continue;
		default:
			break;
		}
		break;
	}
	p->proto = nh;
	if (off > tot)
		return -EINVAL;	/* extension header beyond the datagram */
	if (off > end)
		return 0;	/* chain longer than the window: no ports */
	return parse_l4(buf, end, off, end < tot, p);
}

int muisp_gate_parse(const u8 *buf, unsigned int buf_len,
		     unsigned int pkt_len, u8 family, struct muisp_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	if (buf_len > pkt_len)
		buf_len = pkt_len;
	if (family == MUISP_AF_INET)
		return parse_v4(buf, buf_len, pkt_len, p);
	if (family == MUISP_AF_INET6)
		return parse_v6(buf, buf_len, pkt_len, p);
	return -EINVAL;
}

bool muisp_gate_local_service(const struct muisp_pkt *p, u16 control_port)
{
	u16 dport = be16_to_cpu(p->dport);

	if (muisp_gate_ipsec(p))
		return true;		/* the IPsec tunnel itself */
	switch (p->proto) {
	case MUISP_PROTO_UDP:
		if (!p->has_ports)
			return false;
		return dport == 67 ||	/* DHCP server */
		       dport == 547 ||	/* DHCPv6 server */
		       dport == 500 ||	/* IKE */
		       dport == 4500 ||	/* IKE NAT-T */
		       dport == 53;	/* DNS */
	case MUISP_PROTO_TCP:
		if (!p->has_ports)
			return false;
		return dport == 53 || (control_port && dport == control_port);
	case MUISP_PROTO_ICMP:
		/* echo request and errors about the router's own packets */
		return p->icmp_type == 8 || p->icmp_type == 3 ||
		       p->icmp_type == 11;
	case MUISP_PROTO_ICMPV6:
		/* errors 1..4, echo request, MLD 130..132, ND 133..137, MLDv2 */
		return (p->icmp_type >= 1 && p->icmp_type <= 4) ||
		       p->icmp_type == 128 ||
		       (p->icmp_type >= 130 && p->icmp_type <= 137) ||
		       p->icmp_type == 143;
	default:
		return false;
	}
}

bool muisp_gate_tunnel_ok(const struct muisp_pkt *p,
			  const struct muisp_tunnel_id *id,
			  const struct muisp_xfrm_seen *x)
{
	u16 dport = be16_to_cpu(p->dport);

	if (x)
		return x->tunnel_mode && x->proto == id->proto && x->spi &&
		       (x->spi == id->spi || x->spi == id->spi_prev) &&
		       (!id->reqid || x->reqid == id->reqid) &&
		       (!id->if_id || x->if_id == id->if_id);
	if (muisp_gate_ipsec(p))
		return true;
	switch (p->proto) {
	case MUISP_PROTO_UDP:
		return p->has_ports && (dport == 500 || dport == 4500 ||
					dport == 67 || dport == 547);
	case MUISP_PROTO_ICMPV6:
		return (p->icmp_type >= 130 && p->icmp_type <= 137) ||
		       p->icmp_type == 143;
	default:
		return false;
	}
}

static unsigned int family_words(u8 family)
{
	return family == MUISP_AF_INET6 ? 4 : 1;
}

bool muisp_gate_prefix_match(const __be32 *addr, const __be32 *prefix,
			     u8 family, u8 plen)
{
	unsigned int i, n = family_words(family);

	for (i = 0; i < n && plen; i++) {
		u32 mask = plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> plen);

		if ((be32_to_cpu(addr[i]) ^ be32_to_cpu(prefix[i])) & mask)
			return false;
		plen = plen >= 32 ? plen - 32 : 0;
	}
	return true;
}

bool muisp_gate_prefix_canonical(const __be32 *prefix, u8 family, u8 plen)
{
	unsigned int i, n = family_words(family);

	if (plen > n * 32)
		return false;
	for (i = 0; i < n; i++) {
		u32 keep;

		if (plen >= 32)
			keep = 0xffffffffu;
		else if (plen)
			keep = ~(0xffffffffu >> plen);
		else
			keep = 0;
		if (be32_to_cpu(prefix[i]) & ~keep)
			return false;
		plen = plen >= 32 ? plen - 32 : 0;
	}
	return true;
}

bool muisp_gate_garden_match(const struct muisp_garden_rule *r,
			     const __be32 *peer, u8 family, u8 proto,
			     bool has_ports, u16 peer_port, u64 now_s)
{
	if (r->family != family)
		return false;
	if (r->expires_s && now_s >= r->expires_s)
		return false;
	if (r->proto && r->proto != proto)
		return false;
	if (r->has_ports) {
		if (!has_ports)
			return false;
		if (peer_port < r->port_min || peer_port > r->port_max)
			return false;
	}
	return muisp_gate_prefix_match(peer, r->prefix, family, r->plen);
}

enum muisp_charge muisp_gate_charge(u64 old, u64 cost, u64 soft, u64 hard)
{
	u64 new = old + cost;

	if (new < old)		/* overflow: treat as beyond any limit */
		return hard ? MUISP_CHARGE_DROP_HARD : MUISP_CHARGE_PASS;
	if (hard && (new > hard || old >= hard))
		return MUISP_CHARGE_DROP_HARD;
	if (soft && old >= soft)
		return MUISP_CHARGE_DROP_SOFT;
	if (hard && new == hard && cost)
		return MUISP_CHARGE_PASS_HARD;
	if (soft && new >= soft && cost)
		return MUISP_CHARGE_PASS_SOFT;
	return MUISP_CHARGE_PASS;
}

enum muisp_charge muisp_gate_check_time(u64 used, u64 soft, u64 hard)
{
	if (hard && used >= hard)
		return MUISP_CHARGE_DROP_HARD;
	if (soft && used >= soft)
		return MUISP_CHARGE_DROP_SOFT;
	return MUISP_CHARGE_PASS;
}

int muisp_gate_status_allowed(u8 status, u64 used, u64 soft, u64 hard,
			      u64 expires_s, u64 now_s)
{
	switch (status) {
	case MUISP_CONTRACT_STATUS_ACTIVE:
		if ((hard && used >= hard) || (soft && used >= soft))
			return -ERANGE;
		if (expires_s && now_s >= expires_s)
			return -ERANGE;
		return 0;
	case MUISP_CONTRACT_STATUS_SUSPENDED:
	case MUISP_CONTRACT_STATUS_DELINQUENT:
		return 0;
	default:
		return -EINVAL;
	}
}

u8 muisp_gate_status_reason(u8 status, u8 stop_reason)
{
	switch (status) {
	case MUISP_CONTRACT_STATUS_DELINQUENT:
		return MUISP_DROP_DELINQUENT;
	case MUISP_CONTRACT_STATUS_EXTINGUISHED:
		return stop_reason ?: MUISP_DROP_HARD_LIMIT;
	default:
		return MUISP_DROP_SUSPENDED;
	}
}

static bool dns_way_is(const struct muisp_dns_way *w, const __be32 *addr,
		       u8 family)
{
	return w->family == family && !memcmp(w->addr, addr, sizeof(w->addr));
}

bool muisp_gate_dns_limit(struct muisp_dns_way *set, const __be32 *addr,
			  u8 family, u64 now_ns, u32 rate, u32 burst)
{
	struct muisp_dns_way *w = NULL;
	u64 interval, t;
	unsigned int i;

	if (!rate)
		return true;
	for (i = 0; i < MUISP_DNS_WAYS && !w; i++)
		if (dns_way_is(&set[i], addr, family))
			w = &set[i];
	for (i = 0; i < MUISP_DNS_WAYS && !w; i++) {
		if (!set[i].family || set[i].tat <= now_ns) {
			w = &set[i];
			memcpy(w->addr, addr, sizeof(w->addr));
			w->family = family;
			w->tat = now_ns;
		}
	}
	if (!w) {
		/* every way busy with another source: share the fullest */
		w = &set[0];
		for (i = 1; i < MUISP_DNS_WAYS; i++)
			if (set[i].tat < w->tat)
				w = &set[i];
	}
	/* 10^9 fits in 32 bits: no 64-bit division on 32-bit kernels */
	interval = 1000000000U / rate;
	t = w->tat > now_ns ? w->tat : now_ns;
	if (t - now_ns > (u64)(burst - 1) * interval)
		return false;
	w->tat = t + interval;
	return true;
}
