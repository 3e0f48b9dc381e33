// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for muisp-uinfod's users' leases (lease.c) as the LAN
 * feeds them: the first byte picks the state a lease is driven to (by
 * well-formed server replies), the rest is a reply as the packet socket
 * reads it (lib/udp4, then lib/dhcp_msg as BOOTREPLY) with the lease's
 * xid and chaddr written in, so that the state machine sees it.  Whatever
 * it is, the lease stays consistent: its state one of the six, an
 * address exactly while it is bound (or renewing, rebinding), its times
 * ordered, anything to send a request of ours, LOST only from an
 * address, GOT only with one.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/uinfod/uinfod.h"
#include "udp4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x10 };
static struct dhcp_msg m, req;
static uint8_t pkt[65536];

/* A well-formed answer of type to tx's request, into m. */
static void answer(const struct uinfod_lease_tx *tx, uint8_t type)
{
	struct dhcp_out o;
	uint32_t y = htonl(0xc0000264u);
	size_t len;

	if (dhcp_parse(tx->buf, tx->len, BOOTREQUEST, &req) != DHCP_OK)
		abort();
	dhcp_out_init(&o, &req, DHCP_MIN_REPLY);
	memcpy(o.buf + 16, &y, 4);
	dhcp_out_put_u8(&o, OPT_MSG_TYPE, type);
	dhcp_out_put_u32(&o, OPT_SERVER_ID, 0xc0000201u);
	dhcp_out_put_u32(&o, OPT_LEASE_TIME, 40);
	len = dhcp_out_finish(&o);
	if (dhcp_parse(o.buf, len, BOOTREPLY, &m) != DHCP_OK)
		abort();
}

static void check(const struct uinfod_lease *l, enum uinfod_lease_event ev,
		  int had, const struct uinfod_lease_tx *tx)
{
	int has = l->state >= UINFOD_LEASE_BOUND;

	if (l->state > UINFOD_LEASE_REBINDING)
		abort();
	if (has && (!l->addr || l->t1 > l->t2 || l->t2 > l->expiry))
		abort();
	if ((ev == UINFOD_LEASE_LOST && !had) ||
	    (ev == UINFOD_LEASE_GOT && !has) ||
	    (ev == UINFOD_LEASE_RENEWED && !(had && has)))
		abort();
	if (tx->len &&
	    (dhcp_parse(tx->buf, tx->len, BOOTREQUEST, &req) != DHCP_OK ||
	     req.xid != l->xid))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;
	enum uinfod_lease_event ev;
	struct udp4_frame f;
	unsigned int to;
	int had;

	if (size < 1 || size - 1 > sizeof(pkt))
		return 0;
	to = data[0] % 4; /* selecting, requesting, bound, renewing */
	uinfod_lease_init(&l, 1001, mac);
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	if (to >= 1) {
		answer(&tx, DHCPOFFER);
		uinfod_lease_input(&l, &m, mac, 1, 0, &tx);
	}
	if (to >= 2) {
		answer(&tx, DHCPACK);
		if (uinfod_lease_input(&l, &m, mac, 2, 0, &tx) !=
		    UINFOD_LEASE_GOT)
			abort();
	}
	if (to >= 3)
		uinfod_lease_timer(&l, l.t1, 0, &tx);

	memcpy(pkt, data + 1, size - 1);
	if (udp4_parse(pkt, size - 1, &f) < 0)
		return 0;
	udp4_sums_ok(pkt, &f, data[0] & 4);
	/* the exchange's xid and our chaddr, so that it gets in */
	if (f.len >= 34) {
		memcpy((uint8_t *)(uintptr_t)f.payload + 4, &l.xid, 4);
		memcpy((uint8_t *)(uintptr_t)f.payload + 28, mac, 6);
	}
	if (dhcp_parse(f.payload, f.len, BOOTREPLY, &m) != DHCP_OK)
		return 0;
	had = l.state >= UINFOD_LEASE_BOUND;
	ev = uinfod_lease_input(&l, &m, mac, 3, 7, &tx);
	check(&l, ev, had, &tx);
	had = l.state >= UINFOD_LEASE_BOUND;
	ev = uinfod_lease_timer(&l, l.next, 9, &tx);
	check(&l, ev, had, &tx);
	return 0;
}
