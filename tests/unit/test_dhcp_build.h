/* SPDX-License-Identifier: GPL-2.0 */
/* Builders of DHCP requests for the muisp-dhcpd unit tests. */
#ifndef TEST_DHCP_BUILD_H
#define TEST_DHCP_BUILD_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct tpkt {
	uint8_t b[4200];
	size_t len;
};

/* BOOTREQUEST with chaddr 02:00:00:00:00:<mac>, xid, magic cookie. */
static inline void tpkt_init(struct tpkt *p, uint8_t mac, uint32_t xid)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 1;
	p->b[1] = 1;
	p->b[2] = 6;
	memcpy(p->b + 4, &xid, 4);
	p->b[28] = 0x02;
	p->b[33] = mac;
	p->b[236] = 0x63;
	p->b[237] = 0x82;
	p->b[238] = 0x53;
	p->b[239] = 0x63;
	p->len = 240;
}

static inline void tpkt_raw(struct tpkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static inline void tpkt_opt(struct tpkt *p, uint8_t code, const void *v,
			    uint8_t n)
{
	p->b[p->len++] = code;
	p->b[p->len++] = n;
	memcpy(p->b + p->len, v, n);
	p->len += n;
}

static inline void tpkt_type(struct tpkt *p, uint8_t t)
{
	tpkt_opt(p, 53, &t, 1);
}

static inline void tpkt_addr(struct tpkt *p, uint8_t code, const char *a)
{
	struct in_addr in;

	inet_pton(AF_INET, a, &in);
	tpkt_opt(p, code, &in.s_addr, 4);
}

static inline void tpkt_ciaddr(struct tpkt *p, const char *a)
{
	struct in_addr in;

	inet_pton(AF_INET, a, &in);
	memcpy(p->b + 12, &in.s_addr, 4);
}

static inline void tpkt_end(struct tpkt *p)
{
	p->b[p->len++] = 255;
}

static inline uint32_t tip(const char *a)
{
	struct in_addr in;

	inet_pton(AF_INET, a, &in);
	return ntohl(in.s_addr);
}

#endif
