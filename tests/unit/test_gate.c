// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/gate.c on the host: header parsing from canned packets, the LAN ->
 * router allow-list, prefix and walled-garden matching, the contract
 * limit arithmetic (hard limit never exceeded, soft limit switches after
 * the crossing packet), and the verdict order of the three hooks (gate.h)
 * with lookups that record what the gate asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/gate.h"

/* ---- canned packets ---- */

static unsigned int v4_udp(uint8_t *b, uint16_t sport, uint16_t dport,
			   unsigned int payload)
{
	unsigned int tot = 20 + 8 + payload;

	memset(b, 0, tot);
	b[0] = 0x45;
	b[2] = tot >> 8;
	b[3] = tot & 0xff;
	b[8] = 64;
	b[9] = MUISP_PROTO_UDP;
	b[12] = 192;
	b[13] = 0;
	b[14] = 2;
	b[15] = 10;
	b[16] = 198;
	b[17] = 51;
	b[18] = 100;
	b[19] = 2;
	b[20] = sport >> 8;
	b[21] = sport & 0xff;
	b[22] = dport >> 8;
	b[23] = dport & 0xff;
	b[24] = (8 + payload) >> 8;
	b[25] = (8 + payload) & 0xff;
	return tot;
}

static unsigned int v6_hdr(uint8_t *b, uint8_t nh, unsigned int plen)
{
	memset(b, 0, 40 + plen);
	b[0] = 0x60;
	b[4] = plen >> 8;
	b[5] = plen & 0xff;
	b[6] = nh;
	b[7] = 64;
	b[8] = 0x20;
	b[9] = 0x01;
	b[10] = 0x0d;
	b[11] = 0xb8;
	b[13] = 0x01;
	b[23] = 0x10;
	b[24] = 0x20;
	b[25] = 0x01;
	b[26] = 0x0d;
	b[27] = 0xb8;
	b[29] = 0x02;
	b[39] = 0x02;
	return 40 + plen;
}

static void test_parse_v4_udp(void **state)
{
	uint8_t b[256];
	struct muisp_pkt p;
	unsigned int n = v4_udp(b, 40000, 9000, 50);

	(void)state;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), 0);
	assert_int_equal(p.l3_len, 78);
	assert_int_equal(p.proto, MUISP_PROTO_UDP);
	assert_int_equal(be16_to_cpu(p.sport), 40000);
	assert_int_equal(be16_to_cpu(p.dport), 9000);
	assert_true(p.has_ports);
	assert_int_equal(be32_to_cpu(p.saddr[0]), 0xc000020a);
	assert_int_equal(be32_to_cpu(p.daddr[0]), 0xc6336402);
	assert_int_equal(p.saddr[1] | p.saddr[2] | p.saddr[3], 0);
}

static void test_parse_v4_malformed(void **state)
{
	uint8_t b[256];
	struct muisp_pkt p;
	unsigned int n = v4_udp(b, 1, 2, 10);

	(void)state;
	/* total length beyond the packet */
	assert_int_equal(muisp_gate_parse(b, n - 1, n - 1, MUISP_AF_INET, &p),
			 -EINVAL);
	/* IHL below 5 */
	b[0] = 0x44;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), -EINVAL);
	/* wrong version */
	b[0] = 0x65;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), -EINVAL);
	/* truncated UDP header in a first fragment */
	n = v4_udp(b, 1, 2, 0);
	b[2] = 0;
	b[3] = 24;
	assert_int_equal(muisp_gate_parse(b, 24, 24, MUISP_AF_INET, &p),
			 -EINVAL);
	/* too short for an IP header */
	assert_int_equal(muisp_gate_parse(b, 19, 19, MUISP_AF_INET, &p),
			 -EINVAL);
}

static void test_parse_v4_fragment_and_tcp(void **state)
{
	uint8_t b[256];
	struct muisp_pkt p;
	unsigned int n = v4_udp(b, 1, 2, 40);

	(void)state;
	b[6] = 0x00;
	b[7] = 0x10; /* offset 16 * 8: non-first fragment */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), 0);
	assert_true(p.fragment);
	assert_false(p.has_ports);

	n = v4_udp(b, 1, 2, 12); /* 20 + 20 bytes: room for TCP */
	b[9] = MUISP_PROTO_TCP;
	b[20 + 13] = 0x12; /* SYN|ACK */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), 0);
	assert_int_equal(p.tcp_flags, 0x12);
	assert_true(p.has_ports);
}

static void test_parse_icmp_echo(void **state)
{
	uint8_t b[256];
	struct muisp_pkt p;
	unsigned int n = v4_udp(b, 0, 0, 100);

	(void)state;
	b[9] = MUISP_PROTO_ICMP;
	b[20] = 8; /* echo request */
	b[24] = 0x12;
	b[25] = 0x34; /* identifier */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), 0);
	assert_true(p.is_echo);
	assert_int_equal(be16_to_cpu(p.sport), 0x1234);
	assert_int_equal(p.l3_len, 128);
	b[20] = 3; /* unreachable: no identifier */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET, &p), 0);
	assert_false(p.is_echo);
	assert_int_equal(p.icmp_type, 3);
}

/*
 * muisp_gate_parse_v4_checked() (the forward path's parse) of a datagram
 * the stack would pass gives what muisp_gate_parse() gives.
 */
static void assert_checked_same(const uint8_t *b, unsigned int tot)
{
	unsigned int ihl = (b[0] & 0x0f) * 4u, l4 = tot - ihl;
	struct muisp_pkt p, q;
	int rc;

	if (l4 > MUISP_PARSE_L4_MAX)
		l4 = MUISP_PARSE_L4_MAX;
	memset(&p, 0xa5, sizeof(p));
	memset(&q, 0x5a, sizeof(q));
	rc = muisp_gate_parse(
		b, tot < MUISP_PARSE_WINDOW ? tot : MUISP_PARSE_WINDOW, tot,
		MUISP_AF_INET, &p);
	assert_int_equal(muisp_gate_parse_v4_checked(b, b + ihl, l4, &q), rc);
	if (rc == 0)
		assert_memory_equal(&p, &q, sizeof(p));
}

static void test_parse_v4_checked(void **state)
{
	static const uint8_t protos[] = {
		MUISP_PROTO_UDP,     MUISP_PROTO_TCP,  MUISP_PROTO_ICMP,
		MUISP_PROTO_UDPLITE, MUISP_PROTO_SCTP, MUISP_PROTO_ICMPV6,
		MUISP_PROTO_AH,	     47 /* GRE */,     0,
	};
	static const uint8_t icmp_types[] = { 0, 8, 3, 128 };
	static const uint16_t frags[] = { 0, 0x4000, 0x2000, 0x0001, 0x1fff };
	uint8_t b[256];
	unsigned int n = 0;

	(void)state;
	for (unsigned int pr = 0; pr < sizeof(protos); pr++)
		for (unsigned int ihl = 5; ihl <= 15; ihl += 5)
			for (unsigned int l4 = 0; l4 <= 140; l4++)
				for (unsigned int f = 0; f < 5; f++)
					for (unsigned int t = 0; t < 4; t++) {
						unsigned int tot = ihl * 4 + l4;

						if (tot > sizeof(b))
							continue;
						for (unsigned int i = 0;
						     i < tot; i++)
							b[i] = (uint8_t)(i * 37 +
									 l4);
						b[0] = 0x40 | ihl;
						b[2] = tot >> 8;
						b[3] = tot & 0xff;
						b[6] = frags[f] >> 8;
						b[7] = frags[f] & 0xff;
						b[9] = protos[pr];
						if (l4)
							b[ihl * 4] =
								icmp_types[t];
						assert_checked_same(b, tot);
						n++;
					}
	assert_true(n > 10000);
}

static void test_parse_v6_ext_headers(void **state)
{
	uint8_t b[512];
	struct muisp_pkt p;
	unsigned int n;

	(void)state;
	/* hop-by-hop (8 bytes) then UDP */
	n = v6_hdr(b, 0, 8 + 8 + 4);
	b[40] = MUISP_PROTO_UDP;
	b[41] = 0;
	b[48] = 0x1f;
	b[49] = 0x90; /* 8080 */
	b[50] = 0x00;
	b[51] = 0x35; /* 53 */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p), 0);
	assert_int_equal(p.proto, MUISP_PROTO_UDP);
	assert_int_equal(be16_to_cpu(p.sport), 8080);
	assert_int_equal(be16_to_cpu(p.dport), 53);
	assert_int_equal(p.l3_len, n);
	assert_int_equal(be32_to_cpu(p.daddr[3]), 2);

	/* a non-first fragment has no transport header */
	n = v6_hdr(b, 44, 8 + 16);
	b[40] = MUISP_PROTO_TCP;
	b[42] = 0x00;
	b[43] = 0x08; /* offset 1 */
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p), 0);
	assert_true(p.fragment);
	assert_int_equal(p.proto, MUISP_PROTO_TCP);
	assert_false(p.has_ports);

	/* a chain longer than the parse window: no ports, not malformed */
	n = v6_hdr(b, 60, 200 + 8);
	b[40] = MUISP_PROTO_UDP;
	b[41] = 24; /* (24 + 1) * 8 = 200 bytes */
	assert_int_equal(muisp_gate_parse(b, MUISP_PARSE_WINDOW, n,
					  MUISP_AF_INET6, &p),
			 0);
	assert_false(p.has_ports);

	/* the same chain pointing past the datagram is malformed */
	n = v6_hdr(b, 60, 16);
	b[41] = 24;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p),
			 -EINVAL);

	/* AH (12-byte ICV: length field 4) then UDP: the ports are read,
	 * and the packet is known to carry AH
	 */
	n = v6_hdr(b, MUISP_PROTO_AH, 24 + 8);
	b[40] = MUISP_PROTO_UDP;
	b[41] = 4;
	b[64] = 0x11;
	b[65] = 0x94; /* 4500 */
	b[66] = 0x11;
	b[67] = 0x94;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p), 0);
	assert_int_equal(p.proto, MUISP_PROTO_UDP);
	assert_true(p.ah);
	assert_int_equal(be16_to_cpu(p.dport), 4500);
	assert_true(muisp_gate_ipsec(&p));
	/* tunnel mode: the inner IPv6 packet follows AH */
	b[40] = 41;
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p), 0);
	assert_int_equal(p.proto, 41);
	assert_true(p.ah);
	assert_true(muisp_gate_local_service(&p, 4433));
	/* without AH, the same protocol is not IPsec */
	n = v6_hdr(b, 41, 40);
	assert_int_equal(muisp_gate_parse(b, n, n, MUISP_AF_INET6, &p), 0);
	assert_false(p.ah);
	assert_false(muisp_gate_ipsec(&p));
	assert_false(muisp_gate_local_service(&p, 4433));

	/* payload length beyond the packet */
	n = v6_hdr(b, MUISP_PROTO_UDP, 8);
	assert_int_equal(muisp_gate_parse(b, n - 1, n - 1, MUISP_AF_INET6, &p),
			 -EINVAL);
}

/* ---- router services ---- */

static struct muisp_pkt svc(uint8_t proto, uint16_t dport)
{
	struct muisp_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = MUISP_AF_INET;
	p.proto = proto;
	p.dport = cpu_to_be16(dport);
	p.has_ports = proto == MUISP_PROTO_TCP || proto == MUISP_PROTO_UDP;
	return p;
}

static void test_local_services(void **state)
{
	struct muisp_pkt p;

	(void)state;
	p = svc(MUISP_PROTO_UDP, 67);
	assert_true(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_UDP, 500);
	assert_true(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_UDP, 4500);
	assert_true(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_UDP, 53);
	assert_true(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_TCP, 53);
	assert_true(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_TCP, 4433);
	assert_true(muisp_gate_local_service(&p, 4433));
	assert_false(muisp_gate_local_service(&p, 0));
	assert_false(muisp_gate_local_service(&p, 8443));
	p = svc(MUISP_PROTO_ESP, 0);
	assert_true(muisp_gate_local_service(&p, 4433));
	/* not services: ssh, UDP 68 to the router, TCP 67, UDP 9999 */
	p = svc(MUISP_PROTO_TCP, 22);
	assert_false(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_UDP, 68);
	assert_false(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_TCP, 67);
	assert_false(muisp_gate_local_service(&p, 4433));
	p = svc(MUISP_PROTO_UDP, 9999);
	assert_false(muisp_gate_local_service(&p, 4433));
	/* ICMPv6 neighbour discovery yes, an unknown type no */
	p = svc(MUISP_PROTO_ICMPV6, 0);
	p.icmp_type = 135;
	assert_true(muisp_gate_local_service(&p, 4433));
	p.icmp_type = 200;
	assert_false(muisp_gate_local_service(&p, 4433));
	/* a UDP first fragment too short for ports is not a service */
	p = svc(MUISP_PROTO_UDP, 67);
	p.has_ports = 0;
	assert_false(muisp_gate_local_service(&p, 4433));
}

/* ---- prefixes and the garden ---- */

static void v6(__be32 *a, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
	a[0] = cpu_to_be32(w0);
	a[1] = cpu_to_be32(w1);
	a[2] = cpu_to_be32(w2);
	a[3] = cpu_to_be32(w3);
}

static void test_tunnel(void **state)
{
	const struct muisp_tunnel_id id = {
		.spi = 0xc0000001,
		.spi_prev = 0xc0000002,
		.reqid = 7,
		.proto = MUISP_PROTO_AH,
	};
	struct muisp_xfrm_seen x = {
		.spi = 0xc0000001,
		.reqid = 7,
		.proto = MUISP_PROTO_AH,
		.tunnel_mode = 1,
	};
	struct muisp_xfrm_seen y;
	struct muisp_tunnel_id any = id;
	struct muisp_pkt p = svc(MUISP_PROTO_TCP, 80);

	(void)state;
	/* through the address's SA, or the one a rekey is replacing */
	assert_true(muisp_gate_tunnel_ok(&p, &id, &x));
	y = x;
	y.spi = 0xc0000002;
	assert_true(muisp_gate_tunnel_ok(&p, &id, &y));
	/* another SA (another client's, or one set up from a spoofed address) */
	y = x;
	y.spi = 0xc0000003;
	assert_false(muisp_gate_tunnel_ok(&p, &id, &y));
	y = x;
	y.proto = MUISP_PROTO_ESP;
	assert_false(muisp_gate_tunnel_ok(&p, &id, &y));
	y = x;
	y.reqid = 8;
	assert_false(muisp_gate_tunnel_ok(&p, &id, &y));
	any.reqid = 0; /* reqid not recorded: not checked */
	assert_true(muisp_gate_tunnel_ok(&p, &any, &y));
	y = x;
	y.tunnel_mode = 0;
	assert_false(muisp_gate_tunnel_ok(&p, &id, &y));
	y = x;
	y.if_id = 3;
	assert_true(muisp_gate_tunnel_ok(&p, &id, &y));
	any = id;
	any.if_id = 4;
	assert_false(muisp_gate_tunnel_ok(&p, &any, &y));
	/* no previous SA: an SPI of 0 never matches the empty slot */
	any = id;
	any.spi_prev = 0;
	y = x;
	y.spi = 0;
	assert_false(muisp_gate_tunnel_ok(&p, &any, &y));

	/* outside any SA only the tunnel's own traffic passes */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_AH, 0);
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_ESP, 0);
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(41, 0); /* IPv6 in IPv6 behind an AH header */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p.ah = 1;
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_UDP, 500);
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_UDP, 4500);
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_UDP, 67);
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_UDP, 53); /* DNS goes through the tunnel */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_UDP, 500);
	p.has_ports = 0; /* a UDP fragment: no ports, no pass */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_TCP, 4433); /* control channel: tunnel only */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_ICMP, 0);
	p.icmp_type = 8;
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
	p = svc(MUISP_PROTO_ICMPV6, 0);
	p.icmp_type = 135; /* neighbour solicitation */
	assert_true(muisp_gate_tunnel_ok(&p, &id, NULL));
	p.icmp_type = 128; /* echo request */
	assert_false(muisp_gate_tunnel_ok(&p, &id, NULL));
}

static void test_prefix(void **state)
{
	__be32 a[4], p[4];

	(void)state;
	v6(a, 0xc0000263, 0, 0, 0); /* 192.0.2.99 */
	v6(p, 0xc0000200, 0, 0, 0); /* 192.0.2.0 */
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET, 24));
	assert_false(muisp_gate_prefix_match(a, p, MUISP_AF_INET, 32));
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET, 25));
	assert_false(muisp_gate_prefix_match(a, p, MUISP_AF_INET, 26));
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET, 0));
	assert_true(muisp_gate_prefix_canonical(p, MUISP_AF_INET, 24));
	assert_false(muisp_gate_prefix_canonical(a, MUISP_AF_INET, 24));
	assert_false(muisp_gate_prefix_canonical(p, MUISP_AF_INET, 33));

	v6(a, 0x20010db8, 0x00020000, 0, 0x5);
	v6(p, 0x20010db8, 0x00020000, 0, 0);
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 64));
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 125));
	assert_false(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 126));
	assert_false(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 128));
	v6(p, 0x20010db8, 0x00030000, 0, 0);
	assert_false(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 48 + 16));
	assert_true(muisp_gate_prefix_match(a, p, MUISP_AF_INET6, 46));
	assert_true(muisp_gate_prefix_canonical(p, MUISP_AF_INET6, 48));
	assert_false(muisp_gate_prefix_canonical(p, MUISP_AF_INET6, 47));
}

static void test_garden(void **state)
{
	struct muisp_garden_rule r;
	__be32 peer[4];

	(void)state;
	memset(&r, 0, sizeof(r));
	v6(r.prefix, 0xc6336400, 0, 0, 0); /* 198.51.100.0/24 */
	r.family = MUISP_AF_INET;
	r.plen = 24;
	r.proto = MUISP_PROTO_TCP;
	r.has_ports = 1;
	r.port_min = 443;
	r.port_max = 443;
	r.expires_s = 1000;
	v6(peer, 0xc6336402, 0, 0, 0);

	assert_true(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					    MUISP_PROTO_TCP, true, 443, 999));
	/* expiry: the entry stops at its second */
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					     MUISP_PROTO_TCP, true, 443, 1000));
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					     MUISP_PROTO_TCP, true, 444, 10));
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					     MUISP_PROTO_UDP, true, 443, 10));
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					     MUISP_PROTO_TCP, false, 443, 10));
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET6,
					     MUISP_PROTO_TCP, true, 443, 10));
	v6(peer, 0xc6336502, 0, 0, 0);
	assert_false(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					     MUISP_PROTO_TCP, true, 443, 10));
	/* any protocol, any port, never expires */
	r.proto = 0;
	r.has_ports = 0;
	r.expires_s = 0;
	v6(peer, 0xc6336402, 0, 0, 0);
	assert_true(muisp_gate_garden_match(&r, peer, MUISP_AF_INET,
					    MUISP_PROTO_ICMP, false, 0,
					    UINT64_MAX));
}

/* ---- contract limits ---- */

static void test_charge_bytes(void **state)
{
	(void)state;
	/* no limits */
	assert_int_equal(muisp_gate_charge(0, 1500, 0, 0), MUISP_CHARGE_PASS);
	/* hard 1000: 9 x 100 pass, the 10th reaches it exactly */
	assert_int_equal(muisp_gate_charge(800, 100, 0, 1000),
			 MUISP_CHARGE_PASS);
	assert_int_equal(muisp_gate_charge(900, 100, 0, 1000),
			 MUISP_CHARGE_PASS_HARD);
	assert_int_equal(muisp_gate_charge(1000, 100, 0, 1000),
			 MUISP_CHARGE_DROP_HARD);
	/* a packet that would overshoot is dropped, never partly counted */
	assert_int_equal(muisp_gate_charge(950, 100, 0, 1000),
			 MUISP_CHARGE_DROP_HARD);
	/* soft 500: the crossing packet passes, then delinquent */
	assert_int_equal(muisp_gate_charge(450, 100, 500, 1000),
			 MUISP_CHARGE_PASS_SOFT);
	assert_int_equal(muisp_gate_charge(400, 100, 500, 1000),
			 MUISP_CHARGE_PASS_SOFT);
	assert_int_equal(muisp_gate_charge(300, 100, 500, 1000),
			 MUISP_CHARGE_PASS);
	assert_int_equal(muisp_gate_charge(500, 100, 500, 1000),
			 MUISP_CHARGE_DROP_SOFT);
	/* soft == hard: the hard limit wins */
	assert_int_equal(muisp_gate_charge(900, 100, 1000, 1000),
			 MUISP_CHARGE_PASS_HARD);
	/* zero cost (usage time, first packet) crosses nothing */
	assert_int_equal(muisp_gate_charge(499, 0, 500, 1000),
			 MUISP_CHARGE_PASS);
	/* overflow is beyond any hard limit */
	assert_int_equal(muisp_gate_charge(UINT64_MAX - 1, 10, 0, 5),
			 MUISP_CHARGE_DROP_HARD);
}

static void test_hard_limit_never_exceeded(void **state)
{
	uint64_t used = 0, passed = 0;
	unsigned int i, len;

	(void)state;
	/* mixed sizes against a hard limit of 10000 bytes */
	for (i = 0; i < 1000; i++) {
		enum muisp_charge r;

		len = 40 + (i * 7919) % 1460;
		r = muisp_gate_charge(used, len, 0, 10000);
		if (r == MUISP_CHARGE_PASS || r == MUISP_CHARGE_PASS_HARD) {
			used += len;
			passed++;
		}
		assert_true(used <= 10000);
	}
	assert_true(passed > 0);
	/* packets limit 10: exactly 10 pass */
	used = 0;
	passed = 0;
	for (i = 0; i < 15; i++) {
		enum muisp_charge r = muisp_gate_charge(used, 1, 0, 10);

		if (r == MUISP_CHARGE_PASS || r == MUISP_CHARGE_PASS_HARD) {
			used++;
			passed++;
		}
		if (passed == 10 && i == 9)
			assert_int_equal(r, MUISP_CHARGE_PASS_HARD);
	}
	assert_int_equal(passed, 10);
}

static void test_time_and_status(void **state)
{
	(void)state;
	assert_int_equal(muisp_gate_check_time(999, 0, 1000),
			 MUISP_CHARGE_PASS);
	assert_int_equal(muisp_gate_check_time(1000, 0, 1000),
			 MUISP_CHARGE_DROP_HARD);
	assert_int_equal(muisp_gate_check_time(500, 500, 1000),
			 MUISP_CHARGE_DROP_SOFT);
	assert_int_equal(muisp_gate_usage_cost(0, 5000, 60000), 0);
	assert_int_equal(muisp_gate_usage_cost(1000, 1250, 60000), 250);
	assert_int_equal(muisp_gate_usage_cost(1000, 61000, 60000), 0);
	assert_int_equal(muisp_gate_usage_cost(1000, 900, 60000), 0);

	assert_int_equal(muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_ACTIVE,
						   10, 100, 200, 0, 5),
			 0);
	assert_int_equal(muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_ACTIVE,
						   100, 100, 200, 0, 5),
			 -ERANGE);
	assert_int_equal(muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_ACTIVE,
						   10, 0, 10, 0, 5),
			 -ERANGE);
	assert_int_equal(muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_ACTIVE,
						   0, 0, 0, 5, 5),
			 -ERANGE);
	assert_int_equal(muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_ACTIVE,
						   0, 0, 0, 6, 5),
			 0);
	assert_int_equal(
		muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_SUSPENDED, 999,
					  1, 2, 1, 5),
		0);
	assert_int_equal(
		muisp_gate_status_allowed(MUISP_CONTRACT_STATUS_EXTINGUISHED, 0,
					  0, 0, 0, 5),
		-EINVAL);
	assert_int_equal(muisp_gate_status_allowed(0, 0, 0, 0, 0, 5), -EINVAL);
}

/* ---- the DNS rate limit of unpaid sources ---- */

#define MS 1000000ULL /* ns */

static bool dns(struct muisp_dns_way *set, uint32_t a, uint64_t now_ms)
{
	__be32 addr[4] = { htonl(a), 0, 0, 0 };

	return muisp_gate_dns_limit(set, addr, MUISP_AF_INET, now_ms * MS, 10,
				    3);
}

static void test_dns_limit(void **state)
{
	struct muisp_dns_way set[MUISP_DNS_WAYS];
	__be32 v6[4] = { htonl(0xc000020a), 0, 0, htonl(1) };
	__be32 v4[4] = { htonl(0xc000020a), 0, 0, 0 };
	unsigned int i, n;
	uint64_t t;

	(void)state;
	memset(set, 0, sizeof(set));
	/* rate 0: no limit, nothing recorded */
	for (i = 0; i < 1000; i++)
		assert_true(
			muisp_gate_dns_limit(set, v4, MUISP_AF_INET, 5, 0, 1));
	assert_int_equal(set[0].family, 0);
	assert_int_equal(set[1].family, 0);

	/* 10/s, burst 3: three at once, then one each 100 ms */
	for (i = 0; i < 3; i++)
		assert_true(dns(set, 1, 1000));
	assert_false(dns(set, 1, 1000));
	assert_false(dns(set, 1, 1099));
	assert_true(dns(set, 1, 1100));
	assert_false(dns(set, 1, 1100));
	/* a flood of one packet a millisecond for 10 s: burst + rate x 10 s */
	memset(set, 0, sizeof(set));
	for (n = 0, t = 5000; t < 15000; t++)
		n += dns(set, 1, t);
	assert_int_equal(n, 3 + 100 - 1);

	/* meanwhile a second source has a bucket of its own */
	for (i = 0; i < 3; i++)
		assert_true(dns(set, 2, 14999));
	assert_false(dns(set, 2, 14999));
	/* a third, with both ways busy, shares the fuller bucket: empty */
	assert_false(dns(set, 3, 14999));
	/* once the first source is quiet its bucket fills and changes
	 * hands: the newcomer gets the whole burst */
	for (i = 0; i < 3; i++)
		assert_true(dns(set, 3, 16000));
	assert_false(dns(set, 3, 16000));
	/* source 1 is gone from the set: a fresh bucket when it returns
	 * (source 2's way is full again by now) */
	for (i = 0; i < 3; i++)
		assert_true(dns(set, 1, 20000));

	/* an IPv6 address is not the IPv4 one with the same first word */
	memset(set, 0, sizeof(set));
	for (i = 0; i < 3; i++)
		assert_true(muisp_gate_dns_limit(set, v4, MUISP_AF_INET, MS, 10,
						 3));
	assert_false(muisp_gate_dns_limit(set, v4, MUISP_AF_INET, MS, 10, 3));
	assert_true(muisp_gate_dns_limit(set, v6, MUISP_AF_INET6, MS, 10, 3));
	v6[3] = 0;
	assert_true(muisp_gate_dns_limit(set, v6, MUISP_AF_INET6, MS, 10, 3));
	/* burst 1: strictly one per interval */
	memset(set, 0, sizeof(set));
	assert_true(muisp_gate_dns_limit(set, v4, MUISP_AF_INET, MS, 1000, 1));
	assert_false(muisp_gate_dns_limit(set, v4, MUISP_AF_INET, MS, 1000, 1));
	assert_true(
		muisp_gate_dns_limit(set, v4, MUISP_AF_INET, 2 * MS, 1000, 1));

	/* DNS is TCP or UDP to port 53, nothing else */
	{
		struct muisp_pkt p = svc(MUISP_PROTO_UDP, 53);

		assert_true(muisp_gate_is_dns(&p));
		p = svc(MUISP_PROTO_TCP, 53);
		assert_true(muisp_gate_is_dns(&p));
		p = svc(MUISP_PROTO_UDP, 5353);
		assert_false(muisp_gate_is_dns(&p));
		p = svc(MUISP_PROTO_SCTP, 53);
		assert_false(muisp_gate_is_dns(&p));
		p = svc(MUISP_PROTO_UDP, 53);
		p.has_ports = 0; /* a fragment */
		assert_false(muisp_gate_is_dns(&p));
	}
}

/* ---- verdict order ---- */

/*
 * What the tables hold for one packet, and the lookups the gate made, one
 * letter each in order: B block list, A address entry, C contract,
 * H per-connection billing, $ charge, T tunnel check, G garden, D the DNS
 * rate limit.
 */
struct world {
	bool blocked;
	struct muisp_gate_addr addr;
	struct muisp_gate_contract contract;
	uint8_t conn; /* enum muisp_gate_conn */
	uint8_t charge;
	bool tunnel_ok;
	bool garden;
	bool dns_over; /* the source's DNS bucket is empty */
	char asked[8];
	unsigned int n;
	bool block_dst, block_mac;
};

static void asked(struct world *w, char c)
{
	assert_true(w->n < sizeof(w->asked) - 1);
	w->asked[w->n++] = c;
}

static bool w_blocked(void *ctx, bool dst, bool mac)
{
	struct world *w = ctx;

	asked(w, 'B');
	w->block_dst = dst;
	w->block_mac = mac;
	return w->blocked;
}

static struct muisp_gate_addr w_addr(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'A');
	return w->addr;
}

static struct muisp_gate_contract w_contract(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'C');
	/* the gate asks only for the contract of a bound entry */
	assert_int_equal(w->addr.state, MUISP_ADDR_STATE_BOUND);
	return w->contract;
}

static uint8_t w_conn(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'H');
	assert_int_equal(w->contract.status, MUISP_CONTRACT_STATUS_ACTIVE);
	return w->conn;
}

static uint8_t w_charge(void *ctx)
{
	struct world *w = ctx;

	asked(w, '$');
	assert_int_equal(w->contract.status, MUISP_CONTRACT_STATUS_ACTIVE);
	return w->charge;
}

static bool w_tunnel_ok(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'T');
	assert_true(w->addr.tunnel);
	return w->tunnel_ok;
}

static bool w_garden(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'G');
	return w->garden;
}

static bool w_dns_ok(void *ctx)
{
	struct world *w = ctx;

	asked(w, 'D');
	/* only a source that is not paying is rate-limited */
	assert_false(w->addr.state == MUISP_ADDR_STATE_BOUND &&
		     w->contract.status == MUISP_CONTRACT_STATUS_ACTIVE);
	return !w->dns_over;
}

static const struct muisp_gate_lookups fakes = {
	.blocked = w_blocked,
	.addr = w_addr,
	.contract = w_contract,
	.charge = w_charge,
	.tunnel_ok = w_tunnel_ok,
	.garden = w_garden,
	.dns_ok = w_dns_ok,
};

/* The same with per-connection billing (kmod/conn.c). */
static const struct muisp_gate_lookups fakes_conn = {
	.blocked = w_blocked,
	.addr = w_addr,
	.contract = w_contract,
	.conn = w_conn,
	.charge = w_charge,
	.tunnel_ok = w_tunnel_ok,
	.garden = w_garden,
	.dns_ok = w_dns_ok,
};

#define BOUND(tun)                                               \
	{                                                        \
		.state = MUISP_ADDR_STATE_BOUND, .tunnel = (tun) \
	}
#define ALLOCATED                                   \
	{                                           \
		.state = MUISP_ADDR_STATE_ALLOCATED \
	}
#define UNALLOCATED                                   \
	{                                             \
		.state = MUISP_ADDR_STATE_UNALLOCATED \
	}
#define STATUS(s, why)                                                    \
	{                                                                 \
		.status = MUISP_CONTRACT_STATUS_##s, .stop_reason = (why) \
	}
#define NO_CONTRACT \
	{           \
		0   \
	}

/* One packet through a hook: what the tables hold, what must happen. */
struct order_case {
	const char *what;
	struct world w;
	bool malformed;
	bool require_tunnel;
	int dir;	/* FORWARD */
	bool decap;	/* PRE_ROUTING: came out of an SA */
	uint8_t proto;	/* LOCAL_IN, PRE_ROUTING: the packet ... */
	uint16_t dport; /* ... its port ... */
	uint32_t len;	/* ... and its length (0: 100 bytes) */
	enum muisp_gate_action verdict;
	uint8_t reason; /* if DROP */
	const char *asked;
};

static void check_case(const struct order_case *oc, const struct world *w,
		       struct muisp_gate_verdict v)
{
	if (v.action != oc->verdict || v.reason != oc->reason ||
	    strcmp(w->asked, oc->asked))
		fail_msg(
			"%s: verdict %d reason %d asked \"%s\"; expected %d %d \"%s\"",
			oc->what, v.action, v.reason, w->asked, oc->verdict,
			oc->reason, oc->asked);
}

static const struct order_case forward_cases[] = {
	{ "malformed",
	  { .addr = BOUND(1), .contract = STATUS(ACTIVE, 0), .garden = 1 },
	  .malformed = 1,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_MALFORMED,
	  .asked = "" },
	/* the block list overrides a paying client and the garden */
	{ "blocked, bound and active",
	  { .blocked = 1,
	    .addr = BOUND(1),
	    .contract = STATUS(ACTIVE, 0),
	    .garden = 1 },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	{ "blocked, down",
	  { .blocked = 1 },
	  .dir = MUISP_DIR_DOWN,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	{ "blocked, garden",
	  { .blocked = 1, .garden = 1 },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	/* bound and active: charged, metered, the garden not walked */
	{ "bound, active",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0) },
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BAC$" },
	{ "bound, active, down",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0) },
	  .dir = MUISP_DIR_DOWN,
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BAC$" },
	{ "bound, active, garden too",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0), .garden = 1 },
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BAC$" },
	/* a limit stops the packet; the garden may still let it through */
	{ "hard limit",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .charge = MUISP_DROP_HARD_LIMIT },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_HARD_LIMIT,
	  .asked = "BAC$G" },
	{ "soft limit",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .charge = MUISP_DROP_DELINQUENT },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DELINQUENT,
	  .asked = "BAC$G" },
	{ "expired while active",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .charge = MUISP_DROP_EXPIRED },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_EXPIRED,
	  .asked = "BAC$G" },
	{ "hard limit, garden",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .charge = MUISP_DROP_HARD_LIMIT,
	    .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BAC$G" },
	/* not ACTIVE: never charged, dropped by status unless garden */
	{ "suspended",
	  { .addr = BOUND(0), .contract = STATUS(SUSPENDED, 0) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_SUSPENDED,
	  .asked = "BACG" },
	{ "delinquent",
	  { .addr = BOUND(0), .contract = STATUS(DELINQUENT, 0) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DELINQUENT,
	  .asked = "BACG" },
	{ "extinguished by its hard limit",
	  { .addr = BOUND(0),
	    .contract = STATUS(EXTINGUISHED, MUISP_DROP_HARD_LIMIT) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_HARD_LIMIT,
	  .asked = "BACG" },
	{ "extinguished by its expiry",
	  { .addr = BOUND(0),
	    .contract = STATUS(EXTINGUISHED, MUISP_DROP_EXPIRED) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_EXPIRED,
	  .asked = "BACG" },
	{ "extinguished, no reason recorded",
	  { .addr = BOUND(0), .contract = STATUS(EXTINGUISHED, 0) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_HARD_LIMIT,
	  .asked = "BACG" },
	{ "delinquent, garden",
	  { .addr = BOUND(0), .contract = STATUS(DELINQUENT, 0), .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BACG" },
	{ "bound to a missing contract",
	  { .addr = BOUND(0), .contract = NO_CONTRACT },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_NO_CONTRACT,
	  .asked = "BACG" },
	{ "bound to a missing contract, garden",
	  { .addr = BOUND(0), .contract = NO_CONTRACT, .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BACG" },
	/* unbound: the walled garden or NOT_BOUND */
	{ "no entry",
	  { 0 },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_NOT_BOUND,
	  .asked = "BAG" },
	{ "no entry, garden",
	  { .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BAG" },
	{ "no entry, garden, down",
	  { .garden = 1 },
	  .dir = MUISP_DIR_DOWN,
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BAG" },
	{ "allocated",
	  { .addr = ALLOCATED, .contract = STATUS(ACTIVE, 0) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_NOT_BOUND,
	  .asked = "BAG" },
	{ "allocated, garden",
	  { .addr = ALLOCATED, .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BAG" },
	{ "unallocated",
	  { .addr = UNALLOCATED },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_NOT_BOUND,
	  .asked = "BAG" },
	/* require-tunnel: a bound entry without a tunnel identity */
	{ "require-tunnel, bound without tunnel",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0), .garden = 1 },
	  .require_tunnel = 1,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_TUNNEL,
	  .asked = "BA" },
	{ "require-tunnel, bound with tunnel",
	  { .addr = BOUND(1), .contract = STATUS(ACTIVE, 0) },
	  .require_tunnel = 1,
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BAC$" },
	{ "require-tunnel, unbound without tunnel",
	  { .addr = ALLOCATED, .garden = 1 },
	  .require_tunnel = 1,
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BAG" },
	{ "require-tunnel, blocked",
	  { .blocked = 1, .addr = BOUND(0) },
	  .require_tunnel = 1,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
};

static void test_order_forward(void **state)
{
	struct muisp_pkt p = svc(MUISP_PROTO_TCP, 443);
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(forward_cases); i++) {
		const struct order_case *oc = &forward_cases[i];
		struct world w = oc->w;

		check_case(oc, &w,
			   muisp_gate_forward(oc->malformed ? NULL : &p,
					      oc->dir, oc->require_tunnel,
					      &fakes, &w));
		/* both addresses are looked up, the MAC only "up" */
		if (w.n && w.asked[0] == 'B') {
			assert_true(w.block_dst);
			assert_int_equal(w.block_mac, oc->dir == MUISP_DIR_UP);
		}
	}
}

/*
 * Per-connection billing: asked only of an ACTIVE contract's packet up,
 * before the charge; a held packet is neither charged nor walks the
 * garden, a refused one may still pass through the garden.
 */
static const struct order_case conn_cases[] = {
	{ "new connection, go",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0) },
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BACH$" },
	{ "new connection, held",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_HOLD,
	    .garden = 1 },
	  .verdict = MUISP_GATE_HOLD,
	  .asked = "BACH" },
	{ "refused",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_REFUSED },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_CONN_REFUSED,
	  .asked = "BACHG" },
	{ "refused, garden",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_REFUSED,
	    .garden = 1 },
	  .verdict = MUISP_GATE_GARDEN,
	  .asked = "BACHG" },
	{ "over the source's rate",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_RATE },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_CONN_RATE,
	  .asked = "BACHG" },
	{ "down: not asked",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_HOLD },
	  .dir = MUISP_DIR_DOWN,
	  .verdict = MUISP_GATE_PASS,
	  .asked = "BAC$" },
	{ "suspended: not asked",
	  { .addr = BOUND(0),
	    .contract = STATUS(SUSPENDED, 0),
	    .conn = MUISP_GATE_CONN_HOLD },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_SUSPENDED,
	  .asked = "BACG" },
	{ "held, hard limit not asked",
	  { .addr = BOUND(0),
	    .contract = STATUS(ACTIVE, 0),
	    .conn = MUISP_GATE_CONN_HOLD,
	    .charge = MUISP_DROP_HARD_LIMIT },
	  .verdict = MUISP_GATE_HOLD,
	  .asked = "BACH" },
};

static void test_order_conn(void **state)
{
	struct muisp_pkt p = svc(MUISP_PROTO_TCP, 443);
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(conn_cases); i++) {
		const struct order_case *oc = &conn_cases[i];
		struct world w = oc->w;

		check_case(oc, &w,
			   muisp_gate_forward(&p, oc->dir, oc->require_tunnel,
					      &fakes_conn, &w));
	}
}

static const struct order_case local_in_cases[] = {
	{ "malformed",
	  { 0 },
	  .malformed = 1,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_MALFORMED,
	  .asked = "" },
	/* the block list overrides the router's services and clients */
	{ "blocked DHCP",
	  { .blocked = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 67,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	{ "blocked, bound and active",
	  { .blocked = 1, .addr = BOUND(1), .contract = STATUS(ACTIVE, 0) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	/* services, for anyone, with no table looked up */
	{ "DHCP",
	  { 0 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 67,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "B" },
	{ "IKE",
	  { 0 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 500,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "B" },
	/* DNS: a paying source as any service; any other within its rate */
	{ "DNS, no entry",
	  { 0 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 53,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAD" },
	{ "DNS, no entry, over its rate",
	  { .dns_over = 1, .garden = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DNS,
	  .asked = "BAD" },
	{ "DNS, no entry, too long",
	  { 0 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 53,
	  .len = MUISP_DNS_MAX_LEN + 1,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DNS,
	  .asked = "BA" },
	{ "DNS, no entry, longest",
	  { 0 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .len = MUISP_DNS_MAX_LEN,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAD" },
	{ "DNS, allocated, over its rate",
	  { .addr = ALLOCATED, .dns_over = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DNS,
	  .asked = "BAD" },
	{ "DNS, suspended, over its rate",
	  { .addr = BOUND(1), .contract = STATUS(SUSPENDED, 0), .dns_over = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_DNS,
	  .asked = "BACD" },
	{ "DNS, bound and active: no limit",
	  { .addr = BOUND(1), .contract = STATUS(ACTIVE, 0), .dns_over = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAC" },
	{ "DNS, bound and active, long",
	  { .addr = BOUND(1), .contract = STATUS(ACTIVE, 0) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 53,
	  .len = 1500,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAC" },
	{ "DNS, blocked",
	  { .blocked = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 53,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	{ "DHCP, no entry, DNS bucket empty: not DNS",
	  { .dns_over = 1 },
	  .proto = MUISP_PROTO_UDP,
	  .dport = 67,
	  .len = 1500,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "B" },
	{ "control port",
	  { 0 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 4433,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "B" },
	{ "ESP",
	  { 0 },
	  .proto = MUISP_PROTO_ESP,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "B" },
	/* the tunnel of a blocked client is blocked too */
	{ "AH, blocked",
	  { .blocked = 1, .addr = BOUND(1), .contract = STATUS(ACTIVE, 0) },
	  .proto = MUISP_PROTO_AH,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_BLOCKED,
	  .asked = "B" },
	/* anything else: clients of ACTIVE contracts only, no garden */
	{ "ssh, bound and active",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAC" },
	{ "ssh, suspended",
	  { .addr = BOUND(0), .contract = STATUS(SUSPENDED, 0), .garden = 1 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BAC" },
	{ "ssh, delinquent",
	  { .addr = BOUND(0), .contract = STATUS(DELINQUENT, 0) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BAC" },
	{ "ssh, extinguished",
	  { .addr = BOUND(0),
	    .contract = STATUS(EXTINGUISHED, MUISP_DROP_HARD_LIMIT) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BAC" },
	{ "ssh, missing contract",
	  { .addr = BOUND(0) },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BAC" },
	{ "ssh, allocated",
	  { .addr = ALLOCATED, .garden = 1 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BA" },
	{ "ssh, no entry",
	  { .garden = 1 },
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_LOCAL,
	  .asked = "BA" },
	/* no require-tunnel rule here: PRE_ROUTING did it */
	{ "require-tunnel, bound without tunnel",
	  { .addr = BOUND(0), .contract = STATUS(ACTIVE, 0) },
	  .require_tunnel = 1,
	  .proto = MUISP_PROTO_TCP,
	  .dport = 22,
	  .verdict = MUISP_GATE_LOCAL,
	  .asked = "BAC" },
};

static void test_order_local_in(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(local_in_cases); i++) {
		const struct order_case *oc = &local_in_cases[i];
		struct muisp_pkt p = svc(oc->proto, oc->dport);
		struct world w = oc->w;

		p.l3_len = oc->len ? oc->len : 100;
		check_case(oc, &w,
			   muisp_gate_local_in(oc->malformed ? NULL : &p, 4433,
					       &fakes, &w));
		/* the source and its MAC; the destination is the router */
		if (w.n) {
			assert_false(w.block_dst);
			assert_true(w.block_mac);
		}
	}
}

static const struct order_case pre_routing_cases[] = {
	{ "malformed",
	  { .addr = BOUND(1) },
	  .malformed = 1,
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "" },
	{ "no entry", { 0 }, .verdict = MUISP_GATE_ACCEPT, .asked = "A" },
	{ "entry without tunnel",
	  { .addr = BOUND(0) },
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "A" },
	{ "through its SA",
	  { .addr = BOUND(1), .tunnel_ok = 1 },
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "AT" },
	{ "allocated, through its SA",
	  { .addr = { .state = MUISP_ADDR_STATE_ALLOCATED, .tunnel = 1 },
	    .tunnel_ok = 1 },
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "AT" },
	{ "spoofed",
	  { .addr = BOUND(1) },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_TUNNEL,
	  .asked = "AT" },
	{ "spoofed, allocated",
	  { .addr = { .state = MUISP_ADDR_STATE_ALLOCATED, .tunnel = 1 } },
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_TUNNEL,
	  .asked = "AT" },
	/* neither the block list nor the garden is looked at here */
	{ "blocked, garden",
	  { .blocked = 1, .garden = 1, .addr = BOUND(1), .tunnel_ok = 1 },
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "AT" },
	/* the tunnel's own packets, from anyone: nothing looked up */
	{ "AH",
	  { .addr = BOUND(1) },
	  .proto = MUISP_PROTO_AH,
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "" },
	{ "ESP, no entry",
	  { 0 },
	  .proto = MUISP_PROTO_ESP,
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "" },
	/* out of an SA: that SA decides, whatever the protocol */
	{ "decapsulated, through its SA",
	  { .addr = BOUND(1), .tunnel_ok = 1 },
	  .decap = 1,
	  .verdict = MUISP_GATE_ACCEPT,
	  .asked = "AT" },
	{ "decapsulated AH, another SA",
	  { .addr = BOUND(1) },
	  .decap = 1,
	  .proto = MUISP_PROTO_AH,
	  .verdict = MUISP_GATE_DROP,
	  .reason = MUISP_DROP_TUNNEL,
	  .asked = "AT" },
};

static void test_order_pre_routing(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(pre_routing_cases); i++) {
		const struct order_case *oc = &pre_routing_cases[i];
		struct muisp_pkt p = oc->proto ? svc(oc->proto, oc->dport) :
						 svc(MUISP_PROTO_TCP, 443);
		struct world w = oc->w;

		check_case(oc, &w,
			   muisp_gate_pre_routing(oc->malformed ? NULL : &p,
						  oc->decap, &fakes, &w));
	}
}

/*
 * Which packets PRE_ROUTING and LOCAL_IN judge by the IP header alone:
 * exactly those for which the whole parse would not change the verdict
 * (test_order_pre_routing and test_order_local_in with proto AH/ESP).
 */
static void test_header_only(void **state)
{
	const uint8_t protos[] = { MUISP_PROTO_AH,
				   MUISP_PROTO_ESP,
				   MUISP_PROTO_TCP,
				   MUISP_PROTO_UDP,
				   MUISP_PROTO_ICMPV6,
				   4,
				   41 };
	unsigned int i, d;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		bool ipsec = protos[i] == MUISP_PROTO_AH ||
			     protos[i] == MUISP_PROTO_ESP;

		for (d = 0; d < 2; d++) {
			assert_int_equal(
				muisp_gate_header_only(MUISP_GATE_PRE_ROUTING,
						       protos[i], d),
				ipsec || d);
			assert_int_equal(
				muisp_gate_header_only(MUISP_GATE_LOCAL_IN,
						       protos[i], d),
				ipsec);
			/* FORWARD always parses: it meters by ports */
			assert_false(muisp_gate_header_only(MUISP_GATE_FORWARD,
							    protos[i], d));
		}
	}
}

/* Which packets are a hook's business, and which way they go. */
static void test_order_dir(void **state)
{
	const uint32_t lan = 3, wan = 4;

	(void)state;
	/* nothing before a LAN interface is configured */
	assert_int_equal(muisp_gate_dir(MUISP_GATE_FORWARD, 0, 3, 4, 1), -1);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_LOCAL_IN, 0, 3, 0, 1), -1);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_PRE_ROUTING, 0, 3, 0, 1),
			 -1);
	/* FORWARD: in on the LAN is up, out through it down */
	assert_int_equal(muisp_gate_dir(MUISP_GATE_FORWARD, lan, lan, wan, 0),
			 MUISP_DIR_UP);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_FORWARD, lan, wan, lan, 0),
			 MUISP_DIR_DOWN);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_FORWARD, lan, wan, 5, 0),
			 -1);
	/* LOCAL_IN (router services): only from the LAN */
	assert_int_equal(muisp_gate_dir(MUISP_GATE_LOCAL_IN, lan, lan, 0, 0),
			 MUISP_DIR_UP);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_LOCAL_IN, lan, wan, 0, 0),
			 -1);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_LOCAL_IN, lan, 0, 0, 0), -1);
	/* PRE_ROUTING: from the LAN, and only with require-tunnel on */
	assert_int_equal(muisp_gate_dir(MUISP_GATE_PRE_ROUTING, lan, lan, 0, 1),
			 MUISP_DIR_UP);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_PRE_ROUTING, lan, lan, 0, 0),
			 -1);
	assert_int_equal(muisp_gate_dir(MUISP_GATE_PRE_ROUTING, lan, wan, 0, 1),
			 -1);

	/* the status a contract is dropped for */
	assert_int_equal(
		muisp_gate_status_reason(MUISP_CONTRACT_STATUS_SUSPENDED, 0),
		MUISP_DROP_SUSPENDED);
	assert_int_equal(
		muisp_gate_status_reason(MUISP_CONTRACT_STATUS_DELINQUENT, 0),
		MUISP_DROP_DELINQUENT);
	assert_int_equal(
		muisp_gate_status_reason(MUISP_CONTRACT_STATUS_EXTINGUISHED,
					 MUISP_DROP_EXPIRED),
		MUISP_DROP_EXPIRED);
	assert_int_equal(
		muisp_gate_status_reason(MUISP_CONTRACT_STATUS_EXTINGUISHED, 0),
		MUISP_DROP_HARD_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4_udp),
		cmocka_unit_test(test_parse_v4_malformed),
		cmocka_unit_test(test_parse_v4_fragment_and_tcp),
		cmocka_unit_test(test_parse_icmp_echo),
		cmocka_unit_test(test_parse_v4_checked),
		cmocka_unit_test(test_parse_v6_ext_headers),
		cmocka_unit_test(test_local_services),
		cmocka_unit_test(test_tunnel),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_garden),
		cmocka_unit_test(test_charge_bytes),
		cmocka_unit_test(test_order_conn),
		cmocka_unit_test(test_hard_limit_never_exceeded),
		cmocka_unit_test(test_time_and_status),
		cmocka_unit_test(test_order_dir),
		cmocka_unit_test(test_order_forward),
		cmocka_unit_test(test_order_local_in),
		cmocka_unit_test(test_dns_limit),
		cmocka_unit_test(test_order_pre_routing),
		cmocka_unit_test(test_header_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
