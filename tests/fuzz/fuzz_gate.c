// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the module's packet-header parser (kmod/gate.c,
 * compiled for the host as in tests/unit/test_gate.c): every packet a LAN
 * host sends goes through muisp_gate_parse() before anything else.  The
 * parser sees at most MUISP_PARSE_WINDOW bytes, copied here into a buffer
 * of exactly that size so that ASan catches any read beyond the window.
 *
 * Input: byte 0 bit 0 the family (IPv4, IPv6), bit 1 "pkt_len from bytes
 * 1-2" (any visible/total pair the API allows; otherwise as hooks.c calls
 * it: the window holds min(packet, window) bytes and bytes 1-2 say how
 * much of the packet lies beyond a full window); then the packet.
 *
 * Checks: a parse that succeeds describes a datagram that fits the packet,
 * ports only for a first fragment of a port protocol, echo identifiers on
 * both ports, the addresses copied from where the header has them; the
 * same input parses the same way twice; the verdict helpers run on it; an
 * IPv4 datagram the stack would pass parses the same way through the
 * forward path's parse (muisp_gate_parse_v4_checked()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *buf, unsigned int pkt_len,
		  const struct muisp_pkt *p)
{
	static const struct muisp_tunnel_id id = {
		.spi = 0x1000,
		.spi_prev = 0x0fff,
		.proto = MUISP_PROTO_AH,
	};
	struct muisp_xfrm_seen x = {
		.spi = 0x1000,
		.proto = MUISP_PROTO_AH,
		.tunnel_mode = 1,
	};
	unsigned int min = p->family == MUISP_AF_INET ? 20 : 40;

	if (p->l3_len < min || p->l3_len > pkt_len)
		abort();
	if (p->has_ports &&
	    (p->fragment ||
	     (p->proto != MUISP_PROTO_TCP && p->proto != MUISP_PROTO_UDP &&
	      p->proto != MUISP_PROTO_UDPLITE && p->proto != MUISP_PROTO_SCTP)))
		abort();
	if (p->is_echo &&
	    (p->sport != p->dport ||
	     (p->proto != MUISP_PROTO_ICMP && p->proto != MUISP_PROTO_ICMPV6)))
		abort();
	if (p->tcp_flags && p->proto != MUISP_PROTO_TCP)
		abort();
	if (p->family == MUISP_AF_INET) {
		if (buf[9] != p->proto || memcmp(p->saddr, buf + 12, 4) ||
		    memcmp(p->daddr, buf + 16, 4) || p->saddr[1] || p->daddr[3])
			abort();
	} else if (memcmp(p->saddr, buf + 8, 16) ||
		   memcmp(p->daddr, buf + 24, 16)) {
		abort();
	}
	(void)muisp_gate_local_service(p, 4433);
	(void)muisp_gate_tunnel_ok(p, &id, NULL);
	if (muisp_gate_tunnel_ok(p, &id, &x) != true)
		abort();
	x.tunnel_mode = 0;
	if (muisp_gate_tunnel_ok(p, &id, &x))
		abort();
}

/*
 * The forward path's parse (muisp_gate_parse_v4_checked()) of a datagram
 * the stack would pass (version 4, ihl >= 5, ihl * 4 <= tot_len ==
 * pkt_len) gives what the whole parse gave (rc, *p); the transport bytes
 * are copied into a buffer of exactly their length for ASan.
 */
static void check_v4_checked(const uint8_t *buf, unsigned int buf_len,
			     unsigned int pkt_len, int rc,
			     const struct muisp_pkt *p)
{
	unsigned int ihl, tot, l4_len;
	struct muisp_pkt q;
	uint8_t *l4;

	if (buf_len < 20 || (buf[0] >> 4) != 4)
		return;
	ihl = (buf[0] & 0x0f) * 4u;
	tot = (unsigned int)buf[2] << 8 | buf[3];
	if (ihl < 20 || tot < ihl || tot != pkt_len)
		return;
	l4_len = tot - ihl < MUISP_PARSE_L4_MAX ? tot - ihl :
						  MUISP_PARSE_L4_MAX;
	if (buf_len < ihl + l4_len)
		return;
	l4 = malloc(l4_len ? l4_len : 1);
	if (!l4)
		return;
	memcpy(l4, buf + ihl, l4_len);
	if (muisp_gate_parse_v4_checked(buf, l4, l4_len, &q) != rc ||
	    (rc == 0 && memcmp(p, &q, sizeof(q))))
		abort();
	free(l4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct muisp_pkt p, q;
	unsigned int buf_len, pkt_len, extra;
	uint8_t family, *buf;
	int rc;

	if (size < 3)
		return 0;
	family = data[0] & 1 ? MUISP_AF_INET6 : MUISP_AF_INET;
	extra = (unsigned int)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	buf_len = size < MUISP_PARSE_WINDOW ? (unsigned int)size :
					      MUISP_PARSE_WINDOW;
	if (data[-3] & 2)
		pkt_len = extra;
	else if (buf_len < MUISP_PARSE_WINDOW)
		pkt_len = buf_len;
	else
		pkt_len = buf_len + extra;
	buf = malloc(buf_len ? buf_len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, buf_len);
	rc = muisp_gate_parse(buf, buf_len, pkt_len, family, &p);
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (muisp_gate_parse(buf, buf_len, pkt_len, family, &q) != rc ||
	    memcmp(&p, &q, sizeof(p)))
		abort();
	if (p.family != family)
		abort();
	if (rc == 0)
		check(buf, pkt_len, &p);
	if (family == MUISP_AF_INET)
		check_v4_checked(buf, buf_len, pkt_len, rc, &p);
	free(buf);
	return 0;
}
