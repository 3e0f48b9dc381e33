// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-dhcpd's input path (server.c with pool.c and
 * source.c, no database): the input is a sequence of datagrams, each with
 * where it came from (Ethernet source, IP source and destination) and
 * what the kernel says of addresses, fed to server_input() with expiry in
 * between.  After each one the pool's structures and the per-source offer
 * accounting must agree with the slots' states, the bounds must hold
 * (offers per source, quarantines), and nothing may crash or leak.
 *
 * Record: flags (bit 0 frame MAC known, bit 1 from the chosen address,
 * bit 2 to the server, bits 3-4 kernel answer: found bound tunnel),
 * MAC byte, seconds to advance, length (1 byte, * 2), then the datagram.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/dhcpd/server.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text[] = "kernel-sync yes\n"
			   "offers-per-source 2\n"
			   "offer-share 50\n"
			   "quarantine-max 2\n"
			   "source-rate 50\n"
			   "offer-time 5\n"
			   "quarantine-time 20\n"
			   "interface lan0 {\n"
			   "subnet 192.0.2.0/24\n"
			   "server-id 192.0.2.1\n"
			   "pool 192.0.2.100 192.0.2.115\n"
			   "exclude 192.0.2.102\n"
			   "relay 192.0.2.5\n"
			   "lease-time 30\n"
			   "host kiosk {\n"
			   "hardware-address 02:00:00:00:00:50\n"
			   "address 192.0.2.50\n"
			   "}\n"
			   "}\n";

static struct dhcp_conf conf;
static struct server srv;
static uint8_t kflags;

static int nop_send(struct server *s, const struct reply *r)
{
	if (r->len > sizeof(r->buf) || (r->l2 && !r->dst))
		abort();
	return 0;
}

static int nop_update(void *ctx, enum kaddr_op op, uint32_t addr,
		      const uint8_t *mac)
{
	return 0;
}

static int fake_lookup(void *ctx, uint32_t addr, struct kaddr_info *out)
{
	memset(out, 0, sizeof(*out));
	if (kflags == 3)
		return -1;
	out->found = kflags != 0;
	out->bound = kflags == 1;
	out->tunnel = kflags == 2;
	return 0;
}

static void check(void)
{
	const struct srv_iface *ifc = &srv.ifaces[0];
	const struct pool *p = &ifc->pool;
	uint32_t i, nfifo = 0, noff = 0, nq = 0, charged = 0, q;
	uint64_t held = 0;

	for (i = p->head; i != POOL_NONE; i = p->a[i].next) {
		if (p->a[i].state != ADDR_FREE || ++nfifo > p->n)
			abort();
	}
	for (q = p->qhead; q != POOL_NONE; q = p->a[q].next)
		if (p->a[q].state != ADDR_QUARANTINE || ++nq > p->n)
			abort();
	if (nfifo != p->nfree || nq != p->nquar)
		abort();
	if (p->rot != POOL_NONE && !p->a[p->rot].in_fifo)
		abort();
	for (i = 0, nq = 0; i < p->n; i++) {
		const struct pool_addr *a = &p->a[i];

		if (a->state == ADDR_OFFERED) {
			noff++;
			if (a->charge != POOL_NONE)
				charged++;
		} else if (a->charge != POOL_NONE) {
			abort();
		}
		if (a->state == ADDR_QUARANTINE)
			nq++;
		if (a->state == ADDR_FREE && !a->in_fifo)
			abort();
		if (a->state != ADDR_FREE && a->unheld)
			abort();
	}
	if (noff != p->noffered || nq != p->nquar ||
	    p->nquar > conf.quarantine_max)
		abort();
	for (i = 0; i < ifc->src.n; i++) {
		held += ifc->src.e[i].offers;
		if (i != SRC_UNKNOWN &&
		    ifc->src.e[i].offers > conf.offers_per_source)
			abort();
	}
	if (held != charged)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	uint32_t ids[1] = { 0xc0000201 };
	int64_t now = 1000000;
	char err[256];

	if (!once) {
		/* to syslog, not the fuzzer's stderr (nothing listens) */
		log_init(0, LOG_LOCAL7);
		if (config_parse("f", text, &conf, err, sizeof(err)) < 0)
			abort();
		once = 1;
	}
	memset(&srv, 0, sizeof(srv));
	srv.send = nop_send;
	srv.kops.update = nop_update;
	srv.kops.lookup = fake_lookup;
	if (server_init(&srv, &conf, ids, NULL, now) < 0)
		abort();
	while (size >= 4) {
		struct srv_src src = { 0 };
		size_t len = (size_t)data[3] * 2;

		if (len > size - 4)
			len = size - 4;
		src.has_mac = data[0] & 1;
		src.mac[0] = 0x02;
		src.mac[5] = data[1];
		/* from a pool address or 0.0.0.0; to the server or all */
		src.saddr = data[0] & 2 ? htonl(0xc0000264 + (data[1] & 15)) :
					  0;
		src.daddr = data[0] & 4 ? htonl(0xc0000201) : 0xffffffff;
		src.sport = 68;
		kflags = (data[0] >> 3) & 3;
		now += data[2] & 0x3f;
		server_expire(&srv, now);
		server_input(&srv, 0, data + 4, len, &src, now);
		server_flush(&srv, now);
		check();
		data += 4 + len;
		size -= 4 + len;
	}
	server_fini(&srv);
	return 0;
}
