// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd server: every message type and REQUEST state, addressing of
 * replies, FIFO reuse, exhaustion, DECLINE quarantine, expiry, restart
 * from the lease database, client-id vs chaddr, reservations, kernel
 * hand-off order, malformed-packet counters.  Real SQLite in a temp dir;
 * the socket and the kernel are recorders. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/dhcpd/server.h"
#include "log.h"
#include "test_dhcp_build.h"

#define T0 1000000

static char dir[64], dbpath[128];
static struct dhcp_conf *conf;
static struct server srv;
static struct leasedb *db;
static struct tpkt pk;
static struct dhcp_msg rm; /* last reply, parsed */

static struct reply sent[16];
static unsigned int nsent;
static struct {
	enum kaddr_op op;
	uint32_t addr;
	int committed;
} kcalls[512];
static unsigned int nk;

static int fake_send(struct server *s, const struct reply *r)
{
	assert_true(nsent < 16);
	sent[nsent++] = *r;
	return 0;
}

/* Records the kernel call and whether the lease row it concerns was
 * already committed (visible to a second connection). */
static int fake_kernel(void *ctx, enum kaddr_op op, uint32_t addr,
		       const uint8_t *mac)
{
	struct leasedb *other = leasedb_open(dbpath, LEASEDB_RDONLY);
	struct lease_rec r;

	assert_non_null(other);
	assert_true(nk < 512);
	kcalls[nk].op = op;
	kcalls[nk].addr = addr;
	kcalls[nk].committed = leasedb_get(other, addr, &r) == 0 &&
			       (op == KADDR_RELEASE ? r.state != LEASE_LEASED :
						      r.state == LEASE_LEASED);
	nk++;
	leasedb_close(other);
	return 0;
}

static const char base_conf[] = "kernel-sync yes\n"
				"quarantine-time 300\n"
				"offer-time 20\n"
				"interface lan0 {\n"
				"subnet 192.0.2.0/24\n"
				"server-id 192.0.2.1\n"
				"pool 192.0.2.100 192.0.2.103\n"
				"exclude 192.0.2.102\n"
				"router 192.0.2.1\n"
				"dns 192.0.2.1 192.0.2.2\n"
				"ntp 192.0.2.3\n"
				"domain-name hotspot.example\n"
				"lease-time 600\n"
				"host kiosk {\n"
				"hardware-address 02:00:00:00:00:50\n"
				"address 192.0.2.50\n"
				"}\n"
				"host byid {\n"
				"client-id 01:aa:bb\n"
				"address 192.0.2.101\n"
				"}\n"
				"}\n";

static void start(void)
{
	uint32_t ids[1] = { tip("192.0.2.1") };

	db = leasedb_open(dbpath, LEASEDB_CREATE);
	assert_non_null(db);
	memset(&srv, 0, sizeof(srv));
	srv.send = fake_send;
	srv.kops.update = fake_kernel;
	assert_int_equal(server_init(&srv, conf, ids, db, T0), 0);
}

static void stop(void)
{
	server_flush(&srv, T0);
	server_fini(&srv);
	leasedb_close(db);
	db = NULL;
}

static int setup(void **state)
{
	char err[256];

	strcpy(dir, "/tmp/test_dhcp_server.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/l.db", dir);
	conf = calloc(1, sizeof(*conf));
	if (config_parse("t", base_conf, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	nsent = nk = 0;
	start();
	return 0;
}

static int teardown(void **state)
{
	char p[200];

	if (db)
		stop();
	free(conf);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	return system(p);
}

/* Send a packet, flush, parse the reply (if any).  Returns the number of
 * replies sent. */
static unsigned int run(int64_t now)
{
	unsigned int before = nsent;

	server_input(&srv, 0, pk.b, pk.len, now);
	server_flush(&srv, now);
	if (nsent > before) {
		struct reply *r = &sent[nsent - 1];

		r->buf[0] = BOOTREQUEST; /* parse as our own */
		assert_int_equal(dhcp_parse(r->buf, r->len, &rm), DHCP_OK);
		r->buf[0] = BOOTREPLY;
	}
	return nsent - before;
}

static uint32_t yiaddr(void)
{
	return ntohl(rm.yiaddr);
}

static void discover(uint8_t mac, uint8_t flags)
{
	tpkt_init(&pk, mac, 0x1000 + mac);
	pk.b[10] = flags;
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_end(&pk);
}

static void request_sel(uint8_t mac, const char *addr, const char *sid)
{
	tpkt_init(&pk, mac, 0x1000 + mac);
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, addr);
	tpkt_addr(&pk, 54, sid);
	tpkt_end(&pk);
}

static void simple(uint8_t mac, uint8_t type, const char *ciaddr)
{
	tpkt_init(&pk, mac, 0x1000 + mac);
	if (ciaddr)
		tpkt_ciaddr(&pk, ciaddr);
	tpkt_type(&pk, type);
	tpkt_addr(&pk, 54, "192.0.2.1");
	tpkt_end(&pk);
}

/* DISCOVER + REQUEST; returns the leased address. */
static uint32_t obtain(uint8_t mac, int64_t now)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in;

	discover(mac, 0);
	assert_int_equal(run(now), 1);
	assert_int_equal(rm.type, DHCPOFFER);
	in.s_addr = rm.yiaddr;
	inet_ntop(AF_INET, &in, a, sizeof(a));
	request_sel(mac, a, "192.0.2.1");
	assert_int_equal(run(now), 1);
	assert_int_equal(rm.type, DHCPACK);
	return yiaddr();
}

static void test_discover_offer_options(void **state)
{
	const uint8_t *v;
	size_t len;

	discover(1, 0x80);
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPOFFER);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
	assert_int_equal(rm.xid, 0x1001);
	assert_int_equal(rm.chaddr[5], 1);
	assert_int_equal(ntohl(dhcp_opt_addr(&rm, OPT_SERVER_ID)),
			 tip("192.0.2.1"));
	v = dhcp_opt(&rm, OPT_LEASE_TIME, &len);
	assert_memory_equal(v, "\x00\x00\x02\x58", 4); /* 600 */
	v = dhcp_opt(&rm, OPT_T1, &len);
	assert_memory_equal(v, "\x00\x00\x01\x2c", 4); /* 300 */
	v = dhcp_opt(&rm, OPT_T2, &len);
	assert_memory_equal(v, "\x00\x00\x02\x0d", 4); /* 525 */
	v = dhcp_opt(&rm, OPT_SUBNET_MASK, &len);
	assert_memory_equal(v, "\xff\xff\xff\x00", 4);
	v = dhcp_opt(&rm, OPT_ROUTER, &len);
	assert_memory_equal(v, "\xc0\x00\x02\x01", 4);
	v = dhcp_opt(&rm, OPT_DNS, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	v = dhcp_opt(&rm, OPT_NTP, &len);
	assert_memory_equal(v, "\xc0\x00\x02\x03", 4);
	v = dhcp_opt(&rm, OPT_DOMAIN_NAME, &len);
	assert_int_equal(len, 15);
	assert_memory_equal(v, "hotspot.example", 15);
	v = dhcp_opt(&rm, OPT_BROADCAST, &len);
	assert_memory_equal(v, "\xc0\x00\x02\xff", 4);
	/* Broadcast flag set: to 255.255.255.255 through the UDP socket. */
	assert_int_equal(sent[0].dst, htonl(0xffffffff));
	assert_int_equal(sent[0].dport, 68);
	assert_int_equal(sent[0].l2, 0);
	/* Offers are not leases: nothing on disk, nothing in the kernel. */
	assert_int_equal(nk, 0);
	assert_int_equal(srv.st[ST_OFFER], 1);
	/* Without the flag: unicast at layer 2 to chaddr. */
	discover(2, 0);
	assert_int_equal(run(T0), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.103")); /* .101 reserved,
							 * .102 excluded */
	assert_int_equal(sent[1].l2, 1);
	assert_int_equal(sent[1].dst, htonl(tip("192.0.2.103")));
	assert_int_equal(sent[1].chaddr[5], 2);
}

static void test_request_ack_durable_then_kernel(void **state)
{
	struct lease_rec r;

	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_NEW);
	assert_int_equal(kcalls[0].addr, tip("192.0.2.100"));
	assert_int_equal(kcalls[0].committed, 1);
	assert_int_equal(leasedb_get(db, tip("192.0.2.100"), &r), 0);
	assert_int_equal(r.state, LEASE_LEASED);
	assert_int_equal(r.ends, T0 + 600);
	assert_int_equal(r.hw[5], 1);
	assert_int_equal(srv.st[ST_ACK], 1);
	/* Same client discovers again: same address, still leased. */
	discover(1, 0);
	assert_int_equal(run(T0 + 10), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
}

static void test_selecting_other_server(void **state)
{
	discover(1, 0);
	run(T0);
	assert_int_equal(srv.ifaces[0].pool.nfree, 1); /* .103 */
	request_sel(1, "192.0.2.100", "192.0.2.9");
	assert_int_equal(run(T0), 0);
	assert_int_equal(srv.st[ST_IGNORED], 1);
	/* Our offer went back to the head of the FIFO. */
	assert_int_equal(srv.ifaces[0].pool.nfree, 2);
	discover(2, 0);
	run(T0);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
}

static void test_selecting_wrong_address_nak(void **state)
{
	discover(1, 0);
	run(T0);
	request_sel(1, "192.0.2.103", "192.0.2.1");
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPNAK);
	assert_int_equal(rm.yiaddr, 0);
	assert_false(dhcp_has_opt(&rm, OPT_LEASE_TIME));
	assert_true(dhcp_has_opt(&rm, OPT_MESSAGE));
	assert_int_equal(sent[1].dst, htonl(0xffffffff));
	assert_int_equal(srv.st[ST_NAK], 1);
	assert_int_equal(nk, 0);
}

static void init_reboot(uint8_t mac, const char *addr)
{
	tpkt_init(&pk, mac, 0x2000 + mac);
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, addr);
	tpkt_end(&pk);
}

static void test_init_reboot(void **state)
{
	obtain(1, T0);
	nk = 0;
	init_reboot(1, "192.0.2.100");
	assert_int_equal(run(T0 + 5), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(kcalls[0].op, KADDR_RENEW);
	/* Someone else's address. */
	init_reboot(2, "192.0.2.100");
	assert_int_equal(run(T0 + 5), 1);
	assert_int_equal(rm.type, DHCPNAK);
	/* Wrong network (client moved from another LAN). */
	init_reboot(2, "10.0.0.5");
	assert_int_equal(run(T0 + 5), 1);
	assert_int_equal(rm.type, DHCPNAK);
	/* Free address, but no record of this client: silent. */
	init_reboot(2, "192.0.2.103");
	assert_int_equal(run(T0 + 5), 0);
	/* Its reservation, never leased before: ACK. */
	init_reboot(0x50, "192.0.2.50");
	assert_int_equal(run(T0 + 5), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(yiaddr(), tip("192.0.2.50"));
}

static void test_renew_rebind(void **state)
{
	struct lease_rec r;

	obtain(1, T0);
	nk = 0;
	tpkt_init(&pk, 1, 0x3001);
	tpkt_ciaddr(&pk, "192.0.2.100");
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 300), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
	assert_int_equal(ntohl(rm.ciaddr), tip("192.0.2.100"));
	/* RFC 2131 4.1: ciaddr set, unicast there via UDP. */
	assert_int_equal(sent[nsent - 1].dst, htonl(tip("192.0.2.100")));
	assert_int_equal(sent[nsent - 1].l2, 0);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RENEW);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.ends, T0 + 300 + 600);
	assert_int_equal(r.starts, T0);
	/* Rebinding (broadcast, same packet) from another client: NAK. */
	tpkt_init(&pk, 2, 0x3002);
	tpkt_ciaddr(&pk, "192.0.2.100");
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 300), 1);
	assert_int_equal(rm.type, DHCPNAK);
	/* Renewing a free address we know nothing about: silent. */
	tpkt_init(&pk, 3, 0x3003);
	tpkt_ciaddr(&pk, "192.0.2.103");
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 300), 0);
}

static void test_release_goes_to_fifo_tail(void **state)
{
	struct lease_rec r;

	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	nk = 0;
	simple(1, DHCPRELEASE, "192.0.2.100");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RELEASE);
	assert_int_equal(kcalls[0].committed, 1);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.state, LEASE_FREE);
	assert_int_equal(r.seq, 1);
	/* A new client gets the never-used .103 first, then .100. */
	assert_int_equal(obtain(2, T0 + 2), tip("192.0.2.103"));
	assert_int_equal(obtain(3, T0 + 2), tip("192.0.2.100"));
	/* A release for someone else's lease is ignored. */
	simple(9, DHCPRELEASE, "192.0.2.100");
	run(T0 + 3);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.state, LEASE_LEASED);
}

static void test_exhaustion(void **state)
{
	obtain(1, T0);
	obtain(2, T0);
	discover(3, 0);
	assert_int_equal(run(T0), 0);
	assert_int_equal(srv.st[ST_NO_ADDRESS], 1);
	/* The reserved .101 was not handed out. */
	assert_int_equal(
		srv.ifaces[0]
			.pool
			.a[pool_index(&srv.ifaces[0].pool, tip("192.0.2.101"))]
			.state,
		ADDR_RESERVED);
}

static void test_decline_quarantine(void **state)
{
	struct lease_rec r;
	int64_t next;

	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	nk = 0;
	tpkt_init(&pk, 1, 0x4001);
	tpkt_type(&pk, DHCPDECLINE);
	tpkt_addr(&pk, 50, "192.0.2.100");
	tpkt_addr(&pk, 54, "192.0.2.1");
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_QUARANTINED], 1);
	assert_int_equal(kcalls[0].op, KADDR_RELEASE);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.state, LEASE_QUARANTINE);
	assert_int_equal(r.ends, T0 + 1 + 300);
	/* The same client retries: it gets the next address. */
	assert_int_equal(obtain(1, T0 + 2), tip("192.0.2.103"));
	discover(2, 0);
	assert_int_equal(run(T0 + 3), 0); /* quarantined: exhausted */
	next = server_next_deadline(&srv);
	assert_int_equal(next, T0 + 301);
	server_expire(&srv, T0 + 301);
	server_flush(&srv, T0 + 301);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.state, LEASE_FREE);
	discover(2, 0);
	assert_int_equal(run(T0 + 302), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
}

static void test_inform(void **state)
{
	tpkt_init(&pk, 7, 0x5007);
	tpkt_ciaddr(&pk, "192.0.2.77");
	tpkt_type(&pk, DHCPINFORM);
	tpkt_end(&pk);
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(rm.yiaddr, 0);
	assert_false(dhcp_has_opt(&rm, OPT_LEASE_TIME));
	assert_true(dhcp_has_opt(&rm, OPT_DNS));
	assert_int_equal(sent[0].dst, htonl(tip("192.0.2.77")));
	assert_int_equal(nk, 0);
	assert_int_equal(srv.ifaces[0].pool.nfree, 2);
}

static void test_expiry(void **state)
{
	struct lease_rec r;

	obtain(1, T0);
	nk = 0;
	/* An unanswered offer expires back to the head. */
	discover(2, 0);
	run(T0 + 10);
	assert_int_equal(server_next_deadline(&srv), T0 + 30);
	assert_int_equal(server_expire(&srv, T0 + 30), T0 + 600);
	assert_int_equal(srv.st[ST_OFFER_EXPIRED], 1);
	assert_int_equal(server_expire(&srv, T0 + 599), T0 + 600);
	assert_int_equal(srv.st[ST_EXPIRED], 0);
	assert_int_equal(server_expire(&srv, T0 + 600), -1);
	server_flush(&srv, T0 + 600);
	assert_int_equal(srv.st[ST_EXPIRED], 1);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RELEASE);
	assert_int_equal(kcalls[0].addr, tip("192.0.2.100"));
	assert_int_equal(kcalls[0].committed, 1);
	leasedb_get(db, tip("192.0.2.100"), &r);
	assert_int_equal(r.state, LEASE_FREE);
	/* Renewing an expired lease: silent (no record, free). */
	tpkt_init(&pk, 1, 0x3001);
	tpkt_ciaddr(&pk, "192.0.2.100");
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 601), 0);
}

static void test_restart_keeps_leases_and_fifo(void **state)
{
	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	assert_int_equal(obtain(2, T0), tip("192.0.2.103"));
	simple(2, DHCPRELEASE, "192.0.2.103");
	run(T0 + 1);
	simple(1, DHCPRELEASE, "192.0.2.100");
	run(T0 + 2);
	assert_int_equal(obtain(3, T0 + 3), tip("192.0.2.103"));
	stop();
	start();
	/* Client 3 still holds .103, and renews it. */
	tpkt_init(&pk, 3, 0x3003);
	tpkt_ciaddr(&pk, "192.0.2.103");
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_end(&pk);
	assert_int_equal(run(T0 + 10), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(server_next_deadline(&srv), T0 + 610);
	/* FIFO order survived: .100 is next. */
	assert_int_equal(obtain(4, T0 + 11), tip("192.0.2.100"));
	/* A lease that ended while down expires at the first pass. */
	stop();
	start();
	nk = 0;
	server_expire(&srv, T0 + 2000);
	server_flush(&srv, T0 + 2000);
	assert_int_equal(srv.st[ST_EXPIRED], 2);
	assert_int_equal(nk, 2);
}

static void test_client_id_beats_chaddr(void **state)
{
	static const uint8_t id1[] = { 0xff, 1, 2, 3 }, id2[] = { 0xff, 9, 9 };
	uint32_t a, b;

	/* Same chaddr, different client ids: two clients. */
	tpkt_init(&pk, 1, 1);
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_opt(&pk, 61, id1, sizeof(id1));
	tpkt_end(&pk);
	run(T0);
	a = yiaddr();
	tpkt_init(&pk, 1, 2);
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_opt(&pk, 61, id2, sizeof(id2));
	tpkt_end(&pk);
	run(T0);
	b = yiaddr();
	assert_int_not_equal(a, b);
	/* Same client id from another NIC: the same client. */
	tpkt_init(&pk, 5, 3);
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_opt(&pk, 61, id1, sizeof(id1));
	tpkt_end(&pk);
	run(T0);
	assert_int_equal(yiaddr(), a);
}

static void test_reservations(void **state)
{
	static const uint8_t id[] = { 0x01, 0xaa, 0xbb };

	discover(0x50, 0);
	run(T0);
	assert_int_equal(yiaddr(), tip("192.0.2.50"));
	tpkt_init(&pk, 0x33, 1);
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_opt(&pk, 61, id, sizeof(id));
	tpkt_end(&pk);
	run(T0);
	assert_int_equal(yiaddr(), tip("192.0.2.101"));
}

static void discover_req(uint8_t mac, const char *want)
{
	tpkt_init(&pk, mac, 0x1000 + mac);
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_addr(&pk, 50, want);
	tpkt_end(&pk);
}

static void test_requested_address_respects_fifo(void **state)
{
	/* FIFO after this: .103 (never used), .100 (released by 2). */
	assert_int_equal(obtain(2, T0), tip("192.0.2.100"));
	simple(2, DHCPRELEASE, "192.0.2.100");
	run(T0);
	/* Another client asking for .100 does not jump the queue. */
	discover_req(3, "192.0.2.100");
	assert_int_equal(run(T0), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.103"));
	/* The former holder asking for it gets it back. */
	discover_req(2, "192.0.2.100");
	assert_int_equal(run(T0), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
	/* A never-used address may be asked for by anyone. */
	stop();
	start(); /* offers are forgotten */
	discover_req(4, "192.0.2.103");
	assert_int_equal(run(T0), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.103"));
	/* An excluded one may not: FIFO head instead. */
	discover_req(5, "192.0.2.102");
	assert_int_equal(run(T0), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.100"));
}

static void test_malformed_counted(void **state)
{
	uint8_t junk[10] = { 0 };

	server_input(&srv, 0, junk, sizeof(junk), T0);
	discover(1, 0);
	pk.b[239] = 0;
	server_input(&srv, 0, pk.b, pk.len, T0);
	discover(1, 0);
	pk.b[pk.len - 1] = 12; /* END -> option w/o len */
	server_input(&srv, 0, pk.b, pk.len, T0);
	discover(1, 0);
	server_input(&srv, 0, pk.b, 5000, T0);
	server_flush(&srv, T0);
	assert_int_equal(nsent, 0);
	assert_int_equal(srv.st[ST_RX], 4);
	assert_int_equal(srv.st[ST_DROP_TRUNCATED], 1);
	assert_int_equal(srv.st[ST_DROP_BAD_MAGIC], 1);
	assert_int_equal(srv.st[ST_DROP_OPT_OVERFLOW], 1);
	assert_int_equal(srv.st[ST_DROP_OVERSIZED], 1);
	assert_int_equal(srv.st[ST_DISCOVER], 0);
	/* Relayed from a foreign subnet. */
	discover(1, 0);
	memcpy(pk.b + 24, "\x0a\x00\x00\x01", 4);
	server_input(&srv, 0, pk.b, pk.len, T0);
	assert_int_equal(srv.st[ST_DROP_NOT_SERVED], 1);
}

static void test_relay_reply(void **state)
{
	discover(1, 0);
	memcpy(pk.b + 24, "\xc0\x00\x02\x05", 4); /* giaddr 192.0.2.5 */
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[0].dst, htonl(tip("192.0.2.5")));
	assert_int_equal(sent[0].dport, 67);
	assert_int_equal(ntohl(rm.giaddr), tip("192.0.2.5"));
}

static void test_admin_release(void **state)
{
	struct lease_rec r;

	obtain(1, T0);
	nk = 0;
	assert_int_equal(server_admin_release(&srv, tip("192.0.2.100"), T0 + 5),
			 0);
	assert_int_equal(server_admin_release(&srv, tip("192.0.2.100"), T0 + 5),
			 -1);
	server_flush(&srv, T0 + 5);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RELEASE);
	assert_int_equal(leasedb_get(db, tip("192.0.2.100"), &r), 0);
	assert_int_equal(r.state, LEASE_FREE);
	assert_int_equal(r.seq, 1);
}

static int stat_rx(const char *name, uint64_t v, void *arg)
{
	if (!strcmp(name, "rx"))
		*(uint64_t *)arg = v;
	return 0;
}

static void test_stats_in_db(void **state)
{
	uint64_t rx = 0;

	obtain(1, T0);
	server_write_stats(&srv, T0 + 1);
	assert_int_equal(leasedb_foreach_stat(db, stat_rx, &rx), 0);
	assert_int_equal(rx, 2);
}

/* 200 leases ending in the same second: every one is handed to the
 * kernel, in batches that fit the queue. */
static void test_mass_expiry(void **state)
{
	static const char big[] =
		"interface lan0 {\nsubnet 10.0.0.0/16\nserver-id 10.0.0.1\n"
		"pool 10.0.1.1 10.0.1.200\nlease-time 60\n}\n";
	char err[256];
	unsigned int i, passes = 0;
	int64_t next;

	stop();
	assert_int_equal(config_parse("big", big, conf, err, sizeof(err)), 0);
	{
		uint32_t ids[1] = { tip("10.0.0.1") };

		db = leasedb_open(dbpath, LEASEDB_CREATE);
		memset(&srv, 0, sizeof(srv));
		srv.send = fake_send;
		srv.kops.update = fake_kernel;
		assert_int_equal(server_init(&srv, conf, ids, db, T0), 0);
	}
	for (i = 0; i < 200; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.0.1.%u", i + 1);
		tpkt_init(&pk, 1, i);
		pk.b[32] = (uint8_t)(i >> 8);
		pk.b[33] = (uint8_t)i;
		tpkt_type(&pk, DHCPDISCOVER);
		tpkt_end(&pk);
		server_input(&srv, 0, pk.b, pk.len, T0);
		tpkt_init(&pk, 1, i);
		pk.b[32] = (uint8_t)(i >> 8);
		pk.b[33] = (uint8_t)i;
		tpkt_type(&pk, DHCPREQUEST);
		tpkt_addr(&pk, 50, a);
		tpkt_addr(&pk, 54, "10.0.0.1");
		tpkt_end(&pk);
		server_input(&srv, 0, pk.b, pk.len, T0);
		nsent = 0;
		server_flush(&srv, T0);
		nsent = 0;
	}
	assert_int_equal(srv.st[ST_ACK], 200);
	assert_int_equal(nk, 200);
	nk = 0;
	next = server_expire(&srv, T0 + 60);
	while (next >= 0 && next <= T0 + 60) {
		server_flush(&srv, T0 + 60);
		passes++;
		next = server_expire(&srv, T0 + 60);
	}
	server_flush(&srv, T0 + 60);
	assert_int_equal(next, -1);
	assert_true(passes >= 1);
	assert_int_equal(srv.st[ST_EXPIRED], 200);
	assert_int_equal(nk, 200);
	for (i = 0; i < 200; i++) {
		assert_int_equal(kcalls[i].op, KADDR_RELEASE);
		assert_int_equal(kcalls[i].committed, 1);
	}
	assert_int_equal(srv.kernel_failed, 0);
	assert_int_equal(srv.ifaces[0].pool.nfree, 200);
}

static void test_kernel_failure_flags_resync(void **state)
{
	srv.kops.update = NULL;
	obtain(1, T0); /* hand-off off: no calls */
	assert_int_equal(nk, 0);
	srv.kops.update = fake_kernel;
	assert_int_equal(server_kernel_resync(&srv), 0);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RENEW);
	assert_int_equal(kcalls[0].addr, tip("192.0.2.100"));
	assert_int_equal(srv.kernel_failed, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_discover_offer_options),
		T(test_request_ack_durable_then_kernel),
		T(test_selecting_other_server),
		T(test_selecting_wrong_address_nak),
		T(test_init_reboot),
		T(test_renew_rebind),
		T(test_release_goes_to_fifo_tail),
		T(test_exhaustion),
		T(test_decline_quarantine),
		T(test_inform),
		T(test_expiry),
		T(test_restart_keeps_leases_and_fifo),
		T(test_client_id_beats_chaddr),
		T(test_reservations),
		T(test_requested_address_respects_fifo),
		T(test_malformed_counted),
		T(test_relay_reply),
		T(test_admin_release),
		T(test_stats_in_db),
		T(test_kernel_failure_flags_resync),
		T(test_mass_expiry),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
