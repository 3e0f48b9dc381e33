// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod's users' leases (daemon/uinfod/lease.c): the DHCP client
 * state machine against replies made here as a server would make them
 * (lib/dhcp_msg's reply encoder), and the IPv4/UDP packets they travel
 * in (lib/udp4).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/uinfod/uinfod.h"
#include "udp4.h"

static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x10 };
static const uint8_t srv_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define SERVER 0xc0000201u /* 192.0.2.1 */
#define ADDR   0xc0000264u /* 192.0.2.100 */

static struct dhcp_msg req, rep;

/* tx's request parsed into req; its type. */
static uint8_t sent(const struct uinfod_lease_tx *tx)
{
	assert_true(tx->len >= 300);
	assert_int_equal(dhcp_parse(tx->buf, tx->len, BOOTREQUEST, &req),
			 DHCP_OK);
	return req.type;
}

/* The server's answer of type to the request tx holds, into rep. */
static void answer(const struct uinfod_lease_tx *tx, uint8_t type,
		   uint32_t yiaddr, uint32_t server, uint32_t lease_s)
{
	struct dhcp_out o;
	uint32_t y = htonl(yiaddr);
	size_t len;

	sent(tx);
	dhcp_out_init(&o, &req, DHCP_MIN_REPLY);
	memcpy(o.buf + 16, &y, 4);
	assert_int_equal(dhcp_out_put_u8(&o, OPT_MSG_TYPE, type), 0);
	if (server)
		assert_int_equal(dhcp_out_put_u32(&o, OPT_SERVER_ID, server),
				 0);
	if (lease_s) {
		assert_int_equal(dhcp_out_put_u32(&o, OPT_LEASE_TIME, lease_s),
				 0);
		assert_int_equal(
			dhcp_out_put_u32(&o, OPT_SUBNET_MASK, 0xffffff00u), 0);
		assert_int_equal(dhcp_out_put_u32(&o, OPT_ROUTER, SERVER), 0);
	}
	len = dhcp_out_finish(&o);
	assert_int_equal(dhcp_parse(o.buf, len, BOOTREPLY, &rep), DHCP_OK);
}

/* A lease for uid 1001 bound to ADDR at t = 1000 ms (lease 40 s). */
static void bound(struct uinfod_lease *l, struct uinfod_lease_tx *tx)
{
	uinfod_lease_init(l, 1001, mac);
	uinfod_lease_start(l, 0, 0x1234, tx);
	answer(tx, DHCPOFFER, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(l, &rep, srv_mac, 10, 0, tx),
			 UINFOD_LEASE_NONE);
	answer(tx, DHCPACK, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(l, &rep, srv_mac, 1000, 0, tx),
			 UINFOD_LEASE_GOT);
	assert_int_equal(l->state, UINFOD_LEASE_BOUND);
}

static void test_exchange(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;
	const uint8_t *v;
	size_t len;

	(void)state;
	uinfod_lease_init(&l, 1001, mac);
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	assert_int_equal(sent(&tx), DHCPDISCOVER);
	/* RFC 4361: 255, IAID = the uid, DUID-LL (3, Ethernet, the MAC) */
	v = dhcp_opt(&req, OPT_CLIENT_ID, &len);
	assert_non_null(v);
	assert_int_equal(len, 15);
	assert_memory_equal(v, "\xff\x00\x00\x03\xe9\x00\x03\x00\x01", 9);
	assert_memory_equal(v + 9, mac, 6);
	assert_memory_equal(req.chaddr, mac, 6);
	assert_int_equal(req.ciaddr, 0);
	assert_int_equal(tx.src, 0);
	assert_int_equal(tx.dst, htonl(INADDR_BROADCAST));
	assert_memory_equal(tx.dst_mac, bcast, 6);
	/* the first retransmission 4 s +-1 s later */
	assert_in_range(l.next, 3000, 5000);

	/* an OFFER: REQUEST for it, to its server, still broadcast */
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(sent(&tx), DHCPREQUEST);
	assert_int_equal(dhcp_opt_addr(&req, OPT_REQUESTED_IP), htonl(ADDR));
	assert_int_equal(dhcp_opt_addr(&req, OPT_SERVER_ID), htonl(SERVER));
	assert_int_equal(req.ciaddr, 0);
	assert_memory_equal(tx.dst_mac, bcast, 6);
	assert_int_equal(l.state, UINFOD_LEASE_REQUESTING);

	/* the ACK: bound, with the subnet, router and times */
	answer(&tx, DHCPACK, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 1000, 0, &tx),
			 UINFOD_LEASE_GOT);
	assert_int_equal(tx.len, 0);
	assert_int_equal(l.addr, htonl(ADDR));
	assert_int_equal(uinfod_lease_plen(&l), 24);
	assert_int_equal(l.router, htonl(SERVER));
	assert_int_equal(l.t1, 1000 + 20000);
	assert_int_equal(l.t2, 1000 + 35000);
	assert_int_equal(l.expiry, 1000 + 40000);
	assert_int_equal(l.next, l.t1);
	/* the same ACK again: nothing (bound) */
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 1001, 0, &tx),
			 UINFOD_LEASE_NONE);
}

/* Replies that do not answer this lease are ignored, in every field. */
static void test_not_ours(void **state)
{
	struct uinfod_lease l, other;
	struct uinfod_lease_tx tx, otx;

	(void)state;
	uinfod_lease_init(&l, 1001, mac);
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	/* another user's exchange: same MAC, another xid and identifier */
	uinfod_lease_init(&other, 1002, mac);
	uinfod_lease_start(&other, 0, 0x5678, &otx);
	answer(&otx, DHCPOFFER, ADDR, SERVER, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(tx.len, 0);
	assert_int_equal(l.state, UINFOD_LEASE_SELECTING);
	/* our xid, another's identifier echoed (RFC 6842) */
	answer(&otx, DHCPOFFER, ADDR, SERVER, 0);
	memcpy(&rep.xid, &l.xid, 4);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	/* our exchange, another chaddr */
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	rep.chaddr[5] ^= 1;
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	/* an OFFER without a server, an ACK or NAK while selecting */
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	answer(&tx, DHCPOFFER, ADDR, 0, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	answer(&tx, DHCPACK, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	answer(&tx, DHCPNAK, 0, SERVER, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(l.state, UINFOD_LEASE_SELECTING);

	/* requesting: an ACK for another address, one without a lease
	 * time, a NAK from another server */
	uinfod_lease_start(&l, 0, 0x1234, &tx);
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	uinfod_lease_input(&l, &rep, srv_mac, 10, 0, &otx); /* the REQUEST */
	answer(&otx, DHCPACK, ADDR + 1, SERVER, 40);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 20, 0, &tx),
			 UINFOD_LEASE_NONE);
	answer(&otx, DHCPACK, ADDR, SERVER, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 20, 0, &tx),
			 UINFOD_LEASE_NONE);
	answer(&otx, DHCPNAK, 0, SERVER + 1, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 20, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(l.state, UINFOD_LEASE_REQUESTING);
	/* the NAK of the server asked: selecting again, nothing lost */
	answer(&otx, DHCPNAK, 0, SERVER, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 20, 7, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(sent(&tx), DHCPDISCOVER);
	assert_int_equal(l.state, UINFOD_LEASE_SELECTING);
}

static void test_retransmit(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;
	uint64_t now = 0;
	unsigned int i;

	(void)state;
	uinfod_lease_init(&l, 1001, mac);
	uinfod_lease_start(&l, 0, 1000 << 8, &tx); /* rnd: exactly 4 s */
	assert_int_equal(l.next, 4000);
	/* early: nothing */
	assert_int_equal(uinfod_lease_timer(&l, 3999, 1000, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(tx.len, 0);
	/* 4, 8, 16, 32, 64, 64 s */
	for (i = 0; i < 6; i++) {
		static const uint64_t wait[] = { 8000,	16000, 32000,
						 64000, 64000, 64000 };

		now = l.next;
		uinfod_lease_timer(&l, now, 1000, &tx);
		assert_int_equal(sent(&tx), DHCPDISCOVER);
		assert_int_equal(l.next - now, wait[i]);
	}
	/* requesting gives up after UINFOD_LEASE_REQUESTS requests */
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	uinfod_lease_input(&l, &rep, srv_mac, now, 1000, &tx);
	for (i = 1; i < UINFOD_LEASE_REQUESTS; i++) {
		now = l.next;
		uinfod_lease_timer(&l, now, 1000, &tx);
		assert_int_equal(sent(&tx), DHCPREQUEST);
	}
	now = l.next;
	uinfod_lease_timer(&l, now, 1000, &tx);
	assert_int_equal(sent(&tx), DHCPDISCOVER);
	assert_int_equal(l.state, UINFOD_LEASE_SELECTING);
}

static void test_renew_rebind_expire(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;
	uint64_t now;

	(void)state;
	bound(&l, &tx);
	/* T1: REQUEST from the address to the server, unicast */
	now = l.t1;
	assert_int_equal(uinfod_lease_timer(&l, now, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(sent(&tx), DHCPREQUEST);
	assert_int_equal(l.state, UINFOD_LEASE_RENEWING);
	assert_int_equal(req.ciaddr, htonl(ADDR));
	assert_false(dhcp_has_opt(&req, OPT_REQUESTED_IP));
	assert_false(dhcp_has_opt(&req, OPT_SERVER_ID));
	assert_int_equal(tx.src, htonl(ADDR));
	assert_int_equal(tx.dst, htonl(SERVER));
	assert_memory_equal(tx.dst_mac, srv_mac, 6);
	/* next try: half the time left to T2 */
	assert_int_equal(l.next, now + (l.t2 - now) / 2);
	answer(&tx, DHCPACK, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, now + 5, 0, &tx),
			 UINFOD_LEASE_RENEWED);
	assert_int_equal(l.expiry, now + 5 + 40000);

	/* no answer to T1's and past T2: rebinding, broadcast */
	now = l.t1;
	uinfod_lease_timer(&l, now, 0, &tx);
	now = l.t2;
	uinfod_lease_timer(&l, now, 0, &tx);
	assert_int_equal(sent(&tx), DHCPREQUEST);
	assert_int_equal(l.state, UINFOD_LEASE_REBINDING);
	assert_int_equal(req.ciaddr, htonl(ADDR));
	assert_int_equal(tx.dst, htonl(INADDR_BROADCAST));
	assert_memory_equal(tx.dst_mac, bcast, 6);
	/* rebinding: a NAK from any server loses the address */
	answer(&tx, DHCPNAK, 0, SERVER + 9, 0);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, now + 1, 3, &tx),
			 UINFOD_LEASE_LOST);
	assert_int_equal(sent(&tx), DHCPDISCOVER);
	assert_int_equal(l.addr, 0);

	/* nothing heard until the lease ends: lost, selecting again */
	bound(&l, &tx);
	now = l.expiry - 1;
	uinfod_lease_timer(&l, l.t1, 0, &tx);
	uinfod_lease_timer(&l, l.t2, 0, &tx);
	assert_true(l.next <= l.expiry);
	assert_int_equal(uinfod_lease_timer(&l, l.expiry, 0, &tx),
			 UINFOD_LEASE_LOST);
	assert_int_equal(sent(&tx), DHCPDISCOVER);
	assert_int_equal(l.state, UINFOD_LEASE_SELECTING);
	(void)now;
}

static void test_stop(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;

	(void)state;
	bound(&l, &tx);
	assert_int_equal(uinfod_lease_stop(&l, &tx), UINFOD_LEASE_LOST);
	assert_int_equal(sent(&tx), DHCPRELEASE);
	assert_int_equal(req.ciaddr, htonl(ADDR));
	assert_int_equal(dhcp_opt_addr(&req, OPT_SERVER_ID), htonl(SERVER));
	assert_int_equal(tx.dst, htonl(SERVER));
	assert_memory_equal(tx.dst_mac, srv_mac, 6);
	assert_int_equal(l.state, UINFOD_LEASE_IDLE);
	assert_int_equal(l.next, UINT64_MAX);
	/* idle: replies ignored, a stop sends nothing */
	answer(&tx, DHCPACK, ADDR, SERVER, 40);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 1, 0, &tx),
			 UINFOD_LEASE_NONE);
	assert_int_equal(uinfod_lease_stop(&l, &tx), UINFOD_LEASE_NONE);
	assert_int_equal(tx.len, 0);
	/* stopped while selecting: nothing to release */
	uinfod_lease_start(&l, 0, 1, &tx);
	assert_int_equal(uinfod_lease_stop(&l, &tx), UINFOD_LEASE_NONE);
	assert_int_equal(tx.len, 0);
}

/* An infinite lease is never renewed; a short one is taken as
 * UINFOD_LEASE_MIN_S. */
static void test_lease_times(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;

	(void)state;
	uinfod_lease_init(&l, 7, mac);
	uinfod_lease_start(&l, 0, 1, &tx);
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	uinfod_lease_input(&l, &rep, srv_mac, 1, 0, &tx);
	answer(&tx, DHCPACK, ADDR, SERVER, UINT32_MAX);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 1, 0, &tx),
			 UINFOD_LEASE_GOT);
	assert_int_equal(l.next, UINT64_MAX);
	assert_int_equal(l.expiry, UINT64_MAX);

	uinfod_lease_start(&l, 0, 1, &tx);
	answer(&tx, DHCPOFFER, ADDR, SERVER, 0);
	uinfod_lease_input(&l, &rep, srv_mac, 1, 0, &tx);
	answer(&tx, DHCPACK, ADDR, SERVER, 1);
	assert_int_equal(uinfod_lease_input(&l, &rep, srv_mac, 1, 0, &tx),
			 UINFOD_LEASE_GOT);
	assert_int_equal(l.lease_s, UINFOD_LEASE_MIN_S);
	assert_int_equal(l.expiry, 1 + UINFOD_LEASE_MIN_S * 1000);
	assert_int_equal(l.t1, 1 + UINFOD_LEASE_MIN_S * 1000 / 2);
}

/* The packets they travel in: built, parsed, checksums checked. */
static void test_udp4(void **state)
{
	struct uinfod_lease l;
	struct uinfod_lease_tx tx;
	struct udp4_frame f;
	uint8_t pkt[28 + DHCP_MIN_REPLY];
	size_t n;

	(void)state;
	bound(&l, &tx);
	uinfod_lease_timer(&l, l.t1, 0, &tx);
	n = udp4_build(pkt, sizeof(pkt), tx.src, tx.dst, 68, 67, tx.buf,
		       tx.len);
	assert_int_equal(n, 28 + tx.len);
	assert_int_equal(udp4_parse(pkt, n, &f), 0);
	assert_int_equal(f.saddr, htonl(ADDR));
	assert_int_equal(f.daddr, htonl(SERVER));
	assert_int_equal(f.sport, 68);
	assert_int_equal(f.dport, 67);
	assert_int_equal(f.len, tx.len);
	assert_true(udp4_sums_ok(pkt, &f, 1));
	pkt[28 + 40] ^= 1; /* the payload */
	assert_false(udp4_sums_ok(pkt, &f, 1));
	assert_true(udp4_sums_ok(pkt, &f, 0)); /* the UDP sum not looked at */
	pkt[28 + 40] ^= 1;
	/* no UDP checksum: accepted */
	pkt[26] = pkt[27] = 0;
	assert_true(udp4_sums_ok(pkt, &f, 1));
	pkt[8] ^= 1; /* the TTL: the header's sum */
	assert_false(udp4_sums_ok(pkt, &f, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_renew_rebind_expire),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_lease_times),
		cmocka_unit_test(test_udp4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
