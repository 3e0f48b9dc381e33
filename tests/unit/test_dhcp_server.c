// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd server: every message type and REQUEST state, addressing of
 * replies, FIFO reuse, exhaustion, DECLINE quarantine, expiry, restart
 * from the lease database, client-id vs chaddr, reservations, kernel
 * hand-off order, malformed-packet counters; and the hostile LAN: forged
 * RELEASE/DECLINE refused (Ethernet source, tunnel, binding), offers
 * reserved within per-source and per-pool bounds, quarantine cap, source
 * rate, relays, reply destinations.  Real SQLite in a temp dir; the
 * socket and the kernel are recorders, the kernel's entries a table. */
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

static struct reply sent[256];
static unsigned int nsent;
static struct {
	enum kaddr_op op;
	uint32_t addr;
	int committed;
} kcalls[512];
static unsigned int nk;

/* Where the next datagram comes from: made up from the packet by run()
 * (a frame from chaddr, from ciaddr, to the server or broadcast) unless a
 * test sets src_set. */
static struct srv_src src;
static int src_set;

/* The kernel's entries, for lookups: addr -> info. */
static struct {
	uint32_t addr;
	struct kaddr_info ki;
} kents[8];
static unsigned int nkents, nlookups;
static int lookup_fails;

static void kent(const char *a, int bound, int tunnel)
{
	kents[nkents].addr = tip(a);
	kents[nkents].ki.found = 1;
	kents[nkents].ki.bound = (uint8_t)bound;
	kents[nkents].ki.tunnel = (uint8_t)tunnel;
	nkents++;
}

static int fake_lookup(void *ctx, uint32_t addr, struct kaddr_info *out)
{
	unsigned int i;

	nlookups++;
	if (lookup_fails) {
		errno = ENOBUFS;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	for (i = 0; i < nkents; i++)
		if (kents[i].addr == addr)
			*out = kents[i].ki;
	return 0;
}

static int fake_send(struct server *s, const struct reply *r)
{
	assert_true(nsent < 256);
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
				"relay 192.0.2.5\n"
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
	uint32_t ids[1] = { conf->ifaces[0].server_id };

	db = leasedb_open(dbpath, LEASEDB_CREATE);
	assert_non_null(db);
	memset(&srv, 0, sizeof(srv));
	srv.send = fake_send;
	srv.kops.update = fake_kernel;
	srv.kops.lookup = fake_lookup;
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
	nkents = nlookups = 0;
	lookup_fails = 0;
	src_set = 0;
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

/* The source of pk as a client would send it: a frame from chaddr; from
 * ciaddr to the server if it has one, else from 0.0.0.0 to broadcast. */
static const struct srv_src *pk_src(void)
{
	static struct srv_src d;

	if (src_set)
		return &src;
	memset(&d, 0, sizeof(d));
	d.has_mac = 1;
	memcpy(d.mac, pk.b + 28, 6);
	memcpy(&d.saddr, pk.b + 12, 4);
	d.daddr = d.saddr ? htonl(tip("192.0.2.1")) : htonl(0xffffffff);
	d.sport = 68;
	return &d;
}

static void input(int64_t now)
{
	server_input(&srv, 0, pk.b, pk.len, pk_src(), now);
}

/* Send a packet, flush, parse the reply (if any).  Returns the number of
 * replies sent. */
static unsigned int run(int64_t now)
{
	unsigned int before = nsent;

	input(now);
	server_flush(&srv, now);
	if (nsent > before) {
		struct reply *r = &sent[nsent - 1];

		assert_int_equal(dhcp_parse(r->buf, r->len, BOOTREPLY, &rm),
				 DHCP_OK);
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
	char a[INET_ADDRSTRLEN], sid[INET_ADDRSTRLEN];
	struct in_addr in;

	discover(mac, 0);
	assert_int_equal(run(now), 1);
	assert_int_equal(rm.type, DHCPOFFER);
	in.s_addr = rm.yiaddr;
	inet_ntop(AF_INET, &in, a, sizeof(a));
	in.s_addr = htonl(conf->ifaces[0].server_id);
	inet_ntop(AF_INET, &in, sid, sizeof(sid));
	request_sel(mac, a, sid);
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
	/* 192.0.2.77 is the client's word only: broadcast (issue 10: a
	 * reply never goes to an address the client chose). */
	assert_int_equal(sent[0].dst, htonl(0xffffffff));
	assert_int_equal(sent[0].dport, 68);
	assert_int_equal(sent[0].l2, 0);
	assert_int_equal(nk, 0);
	assert_int_equal(srv.ifaces[0].pool.nfree, 2);
	/* An address leased to it: unicast there. */
	assert_int_equal(obtain(7, T0), tip("192.0.2.100"));
	tpkt_init(&pk, 7, 0x5008);
	tpkt_ciaddr(&pk, "192.0.2.100");
	tpkt_type(&pk, DHCPINFORM);
	tpkt_end(&pk);
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[nsent - 1].dst, htonl(tip("192.0.2.100")));
	/* Another client naming that address: broadcast. */
	tpkt_init(&pk, 8, 0x5009);
	tpkt_ciaddr(&pk, "192.0.2.100");
	tpkt_type(&pk, DHCPINFORM);
	tpkt_end(&pk);
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[nsent - 1].dst, htonl(0xffffffff));
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

	server_input(&srv, 0, junk, sizeof(junk), pk_src(), T0);
	discover(1, 0);
	pk.b[239] = 0;
	input(T0);
	discover(1, 0);
	pk.b[pk.len - 1] = 12; /* END -> option w/o len */
	input(T0);
	discover(1, 0);
	server_input(&srv, 0, pk.b, 5000, pk_src(), T0);
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
	input(T0);
	assert_int_equal(srv.st[ST_DROP_NOT_SERVED], 1);
}

static void test_relay_reply(void **state)
{
	discover(1, 0);
	memcpy(pk.b + 24, "\xc0\x00\x02\x05", 4); /* giaddr 192.0.2.5 */
	/* from the relay agent (relay 192.0.2.5 in base_conf) */
	src_set = 1;
	src.saddr = htonl(tip("192.0.2.5"));
	src.daddr = htonl(tip("192.0.2.1"));
	src.sport = 67;
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

/* v[0]: the counter rx, v[1]: the gauge offers_held. */
static int stat_rx(const char *name, uint64_t v, void *arg)
{
	if (!strcmp(name, "rx"))
		((uint64_t *)arg)[0] = v;
	if (!strcmp(name, "offers_held"))
		((uint64_t *)arg)[1] = v;
	return 0;
}

static void test_stats_in_db(void **state)
{
	uint64_t v[2] = { 0, 99 };

	obtain(1, T0);
	server_write_stats(&srv, T0 + 1);
	assert_int_equal(leasedb_foreach_stat(db, stat_rx, v), 0);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 0);
	/* An offer held: the gauge counts it. */
	discover(2, 0);
	assert_int_equal(run(T0 + 1), 1);
	server_write_stats(&srv, T0 + 2);
	assert_int_equal(leasedb_foreach_stat(db, stat_rx, v), 0);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 1);
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
		srv.kops.lookup = fake_lookup;
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
		input(T0);
		tpkt_init(&pk, 1, i);
		pk.b[32] = (uint8_t)(i >> 8);
		pk.b[33] = (uint8_t)i;
		tpkt_type(&pk, DHCPREQUEST);
		tpkt_addr(&pk, 50, a);
		tpkt_addr(&pk, 54, "10.0.0.1");
		tpkt_end(&pk);
		input(T0);
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

/* ---- the hostile LAN (issue 10) ---- */

/* Start again on a fresh database with another configuration. */
static void reconf(const char *text)
{
	char err[256], p[512];

	stop();
	snprintf(p, sizeof(p), "rm -f %s %s-wal %s-shm", dbpath, dbpath,
		 dbpath);
	assert_int_equal(system(p), 0);
	if (config_parse("t", text, conf, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	start();
	nsent = nk = 0;
}

/* A frame from MAC 02:00:00:00:00:<mac>, IP saddr -> daddr. */
static void from(uint8_t mac, const char *saddr, const char *daddr)
{
	src_set = 1;
	memset(&src, 0, sizeof(src));
	src.has_mac = 1;
	src.mac[0] = 0x02;
	src.mac[5] = mac;
	src.saddr = htonl(tip(saddr));
	src.daddr = htonl(tip(daddr));
	src.sport = 68;
}

static int state_of(const char *a)
{
	const struct pool *p = &srv.ifaces[0].pool;

	return p->a[pool_index(p, tip(a))].state;
}

static void release_by(uint8_t mac, const char *addr)
{
	simple(mac, DHCPRELEASE, addr);
}

static void decline_by(uint8_t mac, const char *addr)
{
	tpkt_init(&pk, mac, 0x4000 + mac);
	tpkt_type(&pk, DHCPDECLINE);
	tpkt_addr(&pk, 50, addr);
	tpkt_addr(&pk, 54, "192.0.2.1");
	tpkt_end(&pk);
}

static int pool_row(const struct leasedb_pool *p, void *arg)
{
	struct leasedb_pool *out = arg;

	if (out->idx)
		return 1; /* one interface configured: one row */
	*out = *p;
	return 0;
}

/* Read the pools table; check lan0's row (idx 1) against the columns. */
static void pool_is(uint32_t leased, uint32_t offered, uint32_t quar,
		    uint32_t free_)
{
	struct leasedb_pool g = { 0 };

	assert_int_equal(leasedb_foreach_pool(db, pool_row, &g), 0);
	assert_int_equal(g.idx, 1);
	assert_string_equal(g.iface, "lan0");
	/* .100-.103 less .102 (excluded) and .101 (byid's reservation);
	 * kiosk's .50 is a reservation outside the range */
	assert_int_equal(g.size, 2);
	assert_int_equal(g.leased, leased);
	assert_int_equal(g.offered, offered);
	assert_int_equal(g.quarantined, quar);
	assert_int_equal(g.free, free_);
}

/* The pool gauges go to the database with the counters: in the flush's
 * transaction, at most once a second. */
static void test_pool_gauges_in_db(void **state)
{
	server_write_stats(&srv, T0);
	pool_is(0, 0, 0, 2);
	/* DISCOVER at T0 + 1 written, the REQUEST of the same second not */
	assert_int_equal(obtain(1, T0 + 1), tip("192.0.2.100"));
	pool_is(0, 1, 0, 1);
	assert_true(srv.stats_dirty);
	server_flush(&srv, T0 + 2);
	pool_is(1, 0, 0, 1);
	assert_false(srv.stats_dirty);
	/* a decline quarantines the address */
	decline_by(1, "192.0.2.100");
	assert_int_equal(run(T0 + 3), 0);
	pool_is(0, 0, 1, 1);
	/* the last free address offered: free 0 (pool exhausted) */
	discover(2, 0);
	assert_int_equal(run(T0 + 4), 1);
	assert_int_equal(yiaddr(), tip("192.0.2.103"));
	pool_is(0, 1, 1, 0);
	/* the offer expires (offer-time 20) */
	server_expire(&srv, T0 + 24);
	server_flush(&srv, T0 + 24);
	pool_is(0, 0, 1, 1);
	/* the quarantine ends (no counter moves): written all the same */
	server_expire(&srv, T0 + 3 + 300);
	server_flush(&srv, T0 + 3 + 300);
	pool_is(0, 0, 0, 2);
}

/* mallory (0x66) sends a RELEASE for alice's (1) lease with alice's
 * chaddr and ciaddr: refused unless the frame comes from alice. */
static void test_forged_release_refused(void **state)
{
	struct lease_rec r;

	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	nk = 0;
	release_by(1, "192.0.2.100");
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	from(0x66, "192.0.2.100", "192.0.2.1");
	assert_int_equal(run(T0 + 1), 0);
	/* A frame of unknown source proves nothing either. */
	from(1, "192.0.2.100", "192.0.2.1");
	src.has_mac = 0;
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_MAC], 3);
	assert_int_equal(srv.st[ST_SOURCE_UNKNOWN], 1);
	assert_int_equal(nk, 0);
	assert_int_equal(state_of("192.0.2.100"), ADDR_LEASED);
	assert_int_equal(leasedb_get(db, tip("192.0.2.100"), &r), 0);
	assert_int_equal(r.state, LEASE_LEASED);
	/* The kernel was asked each time (not bound: the MAC decides). */
	assert_int_equal(nlookups, 3);
	/* alice herself. */
	src_set = 0;
	assert_int_equal(run(T0 + 2), 0);
	assert_int_equal(nk, 1);
	assert_int_equal(kcalls[0].op, KADDR_RELEASE);
	assert_int_equal(state_of("192.0.2.100"), ADDR_FREE);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_MAC], 3);
}

/* A bound address (require-tunnel off): from alice's MAC and from her
 * address.  A tunnelled one: only out of the tunnel, whatever the MAC. */
static void test_release_bound_and_tunnelled(void **state)
{
	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	assert_int_equal(obtain(2, T0), tip("192.0.2.103"));
	kent("192.0.2.100", 1, 0);
	kent("192.0.2.103", 1, 1);
	nk = 0;
	/* Bound: alice's MAC, but from 0.0.0.0 (a forged broadcast). */
	release_by(1, "192.0.2.100");
	from(1, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_BOUND], 1);
	/* mallory's MAC from alice's address: the MAC fails first. */
	from(0x66, "192.0.2.100", "192.0.2.1");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_MAC], 1);
	assert_int_equal(state_of("192.0.2.100"), ADDR_LEASED);
	/* Tunnelled: in the clear from bob's own MAC, from 0.0.0.0. */
	release_by(2, "192.0.2.103");
	from(2, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	/* From the address, but broadcast: not the tunnel either. */
	from(2, "192.0.2.103", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	/* From another address to the server. */
	from(2, "192.0.2.66", "192.0.2.1");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_TUNNEL], 3);
	assert_int_equal(state_of("192.0.2.103"), ADDR_LEASED);
	assert_int_equal(nk, 0);
	/* Out of its SA: from the address to the server (the IP stack
	 * delivers that only through the SA); the frame's MAC is moot. */
	from(0x66, "192.0.2.103", "192.0.2.1");
	src.has_mac = 0;
	assert_int_equal(run(T0 + 2), 0);
	assert_int_equal(state_of("192.0.2.103"), ADDR_FREE);
	assert_int_equal(nk, 1);
	/* And the bound one from alice, from her address. */
	release_by(1, "192.0.2.100");
	from(1, "192.0.2.100", "192.0.2.1");
	assert_int_equal(run(T0 + 2), 0);
	assert_int_equal(state_of("192.0.2.100"), ADDR_FREE);
	assert_int_equal(nk, 2);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_TUNNEL], 3);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_BOUND], 1);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_MAC], 1);
}

/* The kernel's entry cannot be read: refuse (the lease ends by itself);
 * kernel-sync no: there is no entry to ask for. */
static void test_release_kernel_unknown(void **state)
{
	static const char nosync[] =
		"kernel-sync no\n"
		"interface lan0 {\nsubnet 192.0.2.0/24\nserver-id 192.0.2.1\n"
		"pool 192.0.2.100 192.0.2.103\n}\n";

	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	lookup_fails = 1;
	release_by(1, "192.0.2.100");
	assert_int_equal(run(T0 + 1), 0);
	decline_by(1, "192.0.2.100");
	assert_int_equal(run(T0 + 1), 0);
	srv.kops.lookup = NULL; /* module away */
	release_by(1, "192.0.2.100");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_REFUSED_KERNEL], 3);
	assert_int_equal(state_of("192.0.2.100"), ADDR_LEASED);
	reconf(nosync);
	srv.kops.lookup = NULL;
	srv.kops.update = NULL;
	assert_int_equal(obtain(1, T0), tip("192.0.2.100"));
	release_by(1, "192.0.2.100");
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_RELEASE_REFUSED_MAC], 1);
	src_set = 0;
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(state_of("192.0.2.100"), ADDR_FREE);
	assert_int_equal(srv.st[ST_REFUSED_KERNEL], 0);
}

/* DECLINE: only of an address ACKed to that client, from its MAC, never
 * of a bound or tunnelled one. */
static void test_decline_rules(void **state)
{
	/* After an OFFER only: refused, nothing quarantined. */
	discover(1, 0);
	assert_int_equal(run(T0), 1);
	decline_by(1, "192.0.2.100");
	assert_int_equal(run(T0), 0);
	assert_int_equal(srv.st[ST_DECLINE_REFUSED_NOT_ACKED], 1);
	assert_int_equal(srv.st[ST_QUARANTINED], 0);
	assert_int_equal(state_of("192.0.2.100"), ADDR_OFFERED);
	assert_int_equal(nlookups, 0);
	/* ACKed, but the frame is mallory's. */
	request_sel(1, "192.0.2.100", "192.0.2.1");
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPACK);
	decline_by(1, "192.0.2.100");
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_DECLINE_REFUSED_MAC], 1);
	/* Bound, or tunnelled: never, even from alice's own MAC. */
	kent("192.0.2.100", 1, 0);
	src_set = 0;
	assert_int_equal(run(T0 + 1), 0);
	kents[0].ki.bound = 0;
	kents[0].ki.tunnel = 1;
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_DECLINE_REFUSED_BOUND], 2);
	assert_int_equal(srv.st[ST_QUARANTINED], 0);
	assert_int_equal(state_of("192.0.2.100"), ADDR_LEASED);
	/* Merely allocated, from alice: quarantined. */
	kents[0].ki.tunnel = 0;
	assert_int_equal(run(T0 + 1), 0);
	assert_int_equal(srv.st[ST_QUARANTINED], 1);
	assert_int_equal(state_of("192.0.2.100"), ADDR_QUARANTINE);
	assert_int_equal(srv.st[ST_DECLINE], 5);
}

/* quarantine-max: the oldest quarantine ends first, also at start. */
static void test_quarantine_cap(void **state)
{
	static const char q1[] =
		"quarantine-max 2\n"
		"interface lan0 {\nsubnet 192.0.2.0/24\nserver-id 192.0.2.1\n"
		"pool 192.0.2.100 192.0.2.104\n}\n";
	struct lease_rec r;
	const char *order[3] = { "192.0.2.100", "192.0.2.101", "192.0.2.102" };
	unsigned int n;

	reconf(q1);
	for (n = 0; n < 3; n++) {
		assert_int_equal(obtain(1, T0 + n), tip(order[n]));
		decline_by(1, order[n]);
		assert_int_equal(run(T0 + n), 0);
	}
	assert_int_equal(srv.st[ST_QUARANTINED], 3);
	assert_int_equal(srv.st[ST_QUARANTINE_EVICTED], 1);
	assert_int_equal(srv.ifaces[0].pool.nquar, 2);
	/* .100, the oldest, is free again, last in the FIFO. */
	assert_int_equal(state_of("192.0.2.100"), ADDR_FREE);
	assert_int_equal(srv.ifaces[0].pool.tail,
			 pool_index(&srv.ifaces[0].pool, tip("192.0.2.100")));
	assert_int_equal(leasedb_get(db, tip("192.0.2.100"), &r), 0);
	assert_int_equal(r.state, LEASE_FREE);
	assert_int_equal(state_of("192.0.2.101"), ADDR_QUARANTINE);
	assert_int_equal(state_of("192.0.2.102"), ADDR_QUARANTINE);
	/* The cap lowered to 1 across a restart: .101 (older) ends. */
	stop();
	conf->quarantine_max = 1;
	start();
	server_flush(&srv, T0 + 10);
	assert_int_equal(srv.ifaces[0].pool.nquar, 1);
	assert_int_equal(state_of("192.0.2.101"), ADDR_FREE);
	assert_int_equal(state_of("192.0.2.102"), ADDR_QUARANTINE);
	assert_int_equal(leasedb_get(db, tip("192.0.2.101"), &r), 0);
	assert_int_equal(r.state, LEASE_FREE);
}

static const char big_pool[] =
	"offers-per-source 2\n"
	"source-rate 0\n"
	"interface lan0 {\nsubnet 10.0.0.0/16\nserver-id 10.0.0.1\n"
	"pool 10.0.1.1 10.0.1.40\n}\n";

/* A DISCOVER from chaddr 02:00:00:00:<hi>:<lo> in a frame from MAC
 * 02:00:00:00:00:<mac>. */
static unsigned int discover_as(uint16_t chaddr, uint8_t mac, int64_t now)
{
	tpkt_init(&pk, 0, 0x7000 + chaddr);
	pk.b[32] = (uint8_t)(chaddr >> 8);
	pk.b[33] = (uint8_t)chaddr;
	tpkt_type(&pk, DHCPDISCOVER);
	tpkt_end(&pk);
	from(mac, "0.0.0.0", "255.255.255.255");
	return run(now);
}

static uint32_t src_offers(uint8_t mac)
{
	uint8_t m[6] = { 0x02, 0, 0, 0, 0, mac };

	return srv.ifaces[0].src.e[src_get(&srv.ifaces[0].src, m)].offers;
}

/* offers-per-source: mallory's MAC holds two offers; the rest of her
 * DISCOVERs (any chaddr) are answered without holding an address. */
static void test_offers_per_source(void **state)
{
	struct pool *p;
	unsigned int n;

	reconf(big_pool);
	p = &srv.ifaces[0].pool;
	for (n = 0; n < 10; n++) {
		assert_int_equal(discover_as((uint16_t)(0x6600 + n), 0x66, T0),
				 1);
		/* Held: .1 and .2; then not held, each the next free. */
		assert_int_equal(yiaddr(), tip("10.0.1.1") + n);
	}
	assert_int_equal(p->noffered, 2);
	assert_int_equal(p->nfree, 38);
	assert_int_equal(src_offers(0x66), 2);
	assert_int_equal(srv.st[ST_OFFER], 10);
	assert_int_equal(srv.st[ST_OFFER_UNRESERVED], 8);
	/* A walk-in from its own MAC: held for it. */
	assert_int_equal(discover_as(0x0a0a, 0x0a, T0), 1);
	assert_int_equal(yiaddr(), tip("10.0.1.3"));
	assert_int_equal(p->noffered, 3);
	assert_int_equal(src_offers(0x0a), 1);
	/* One of mallory's unreserved offers (10.0.1.3) is gone now: her
	 * REQUEST for it is refused; one for the head is granted. */
	tpkt_init(&pk, 0, 0x7609);
	pk.b[32] = 0x66;
	pk.b[33] = 0x09;
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, "10.0.1.3");
	tpkt_addr(&pk, 54, "10.0.0.1");
	tpkt_end(&pk);
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPNAK);
	tpkt_init(&pk, 0, 0x7609);
	pk.b[32] = 0x66;
	pk.b[33] = 0x09;
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, "10.0.1.4");
	tpkt_addr(&pk, 54, "10.0.0.1");
	tpkt_end(&pk);
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(yiaddr(), tip("10.0.1.4"));
	/* A lease ends no offer: still two held by mallory. */
	assert_int_equal(src_offers(0x66), 2);
	/* Offers expire: the sources hold none, the addresses go back. */
	server_expire(&srv, T0 + 30);
	assert_int_equal(p->noffered, 0);
	assert_int_equal(src_offers(0x66), 0);
	assert_int_equal(src_offers(0x0a), 0);
	assert_int_equal(p->nfree, 39);
	assert_int_equal(srv.st[ST_OFFER_EXPIRED], 3);
	/* ... and mallory may hold two again. */
	assert_int_equal(discover_as(0x6620, 0x66, T0 + 31), 1);
	assert_int_equal(p->noffered, 1);
}

/* offer-share: with random MACs no per-source bound helps; reserved
 * offers stay within half of the unleased addresses, the rest of the
 * pool stays free, and a walk-in gets an address from it. */
static void test_offer_share(void **state)
{
	static const char share[] =
		"offers-per-source 0\n"
		"source-rate 0\n"
		"interface lan0 {\nsubnet 10.0.0.0/16\nserver-id 10.0.0.1\n"
		"pool 10.0.1.1 10.0.1.10\n}\n";
	struct pool *p;
	unsigned int n;

	reconf(share);
	p = &srv.ifaces[0].pool;
	for (n = 0; n < 50; n++)
		assert_int_equal(discover_as((uint16_t)(0x100 + n),
					     (uint8_t)(0x80 + n), T0),
				 1);
	assert_int_equal(p->noffered, 5);
	assert_int_equal(p->nfree, 5);
	assert_int_equal(srv.st[ST_OFFER_UNRESERVED], 45);
	/* The walk-in: offered the FIFO head without holding it, and the
	 * REQUEST that follows gets it. */
	assert_int_equal(obtain(0x0a, T0 + 1), tip("10.0.1.6"));
	assert_int_equal(srv.st[ST_OFFER_UNRESERVED], 46);
	assert_int_equal(srv.st[ST_NAK], 0);
	/* Leased: 9 unleased left, still at most 5 held. */
	for (n = 0; n < 10; n++)
		discover_as((uint16_t)(0x200 + n), (uint8_t)(0x40 + n), T0 + 1);
	assert_int_equal(p->noffered, 5);
	assert_int_equal(p->nfree, 4);
}

/* The attack of docs/SOAK.md: a flood of DISCOVERs from random MACs and
 * chaddrs holds the offer-share; walk-ins in flight at the same time, and
 * the flood going on between their DISCOVERs, are offered different
 * addresses without a hold, and every one's REQUEST is ACKed (all would go
 * after the FIFO head, and all but one be NAKed, were those offers the
 * head).  Fewer than nfree (20) offers are made between the first
 * walk-in's and the last's: the rotation does not wrap. */
static void test_unheld_offers_spread(void **state)
{
	static const char share[] =
		"offers-per-source 0\n"
		"source-rate 0\n"
		"interface lan0 {\nsubnet 10.0.0.0/16\nserver-id 10.0.0.1\n"
		"pool 10.0.1.1 10.0.1.40\n}\n";
	enum { N = 10 };
	char a[N][INET_ADDRSTRLEN];
	uint32_t got[N], used[2], i, nused;
	struct in_addr in;
	struct pool *p;
	unsigned int n, j;

	reconf(share);
	p = &srv.ifaces[0].pool;
	for (n = 0; n < 40; n++)
		assert_int_equal(discover_as((uint16_t)(0x100 + n),
					     (uint8_t)(0x80 + n), T0),
				 1);
	assert_int_equal(p->noffered, 20);
	assert_int_equal(srv.st[ST_OFFER_UNRESERVED], 20);
	for (n = 0; n < N; n++) {
		if (n)
			assert_int_equal(discover_as((uint16_t)(0x400 + n),
						     (uint8_t)(0xe0 + n), T0),
					 1);
		discover((uint8_t)(0x0a + n), 0);
		from((uint8_t)(0x0a + n), "0.0.0.0", "255.255.255.255");
		assert_int_equal(run(T0), 1);
		assert_int_equal(rm.type, DHCPOFFER);
		in.s_addr = rm.yiaddr;
		inet_ntop(AF_INET, &in, a[n], sizeof(a[n]));
	}
	assert_int_equal(p->noffered, 20);
	assert_int_equal(srv.st[ST_OFFER_UNRESERVED], 20 + 2 * N - 1);
	/* Their REQUESTs, the last walk-in first. */
	for (n = N; n-- > 0;) {
		request_sel((uint8_t)(0x0a + n), a[n], "10.0.0.1");
		from((uint8_t)(0x0a + n), "0.0.0.0", "255.255.255.255");
		assert_int_equal(run(T0 + 1), 1);
		assert_int_equal(rm.type, DHCPACK);
		got[n] = yiaddr();
		assert_int_equal(state_of(a[n]), ADDR_LEASED);
		for (j = n + 1; j < N; j++)
			assert_int_not_equal(got[n], got[j]);
	}
	assert_int_equal(srv.st[ST_ACK], N);
	assert_int_equal(srv.st[ST_NAK], 0);
	/* Still no more held than before: the flood's 20. */
	assert_int_equal(p->noffered, 20);
	/* The flood's offers end; its next DISCOVERs hold 15 of the 30
	 * unleased addresses and rotate through the 15 free, some used
	 * before (held for the flood until now).  Such an address, not the
	 * head, is to be had for offer-time after it was offered, not
	 * later. */
	server_expire(&srv, T0 + 30);
	for (n = 0; n < 40; n++)
		discover_as((uint16_t)(0x600 + n), (uint8_t)(0x80 + n),
			    T0 + 31);
	assert_int_equal(p->noffered, 15);
	for (i = 0, nused = 0; i < p->n && nused < 2; i++)
		if (p->a[i].state == ADDR_FREE && p->a[i].key.len &&
		    i != pool_fifo_head(p))
			used[nused++] = i;
	assert_int_equal(nused, 2);
	for (n = 0; n < 2; n++) {
		assert_int_equal(p->a[used[n]].unheld, T0 + 61);
		in.s_addr = htonl(p->a[used[n]].addr);
		inet_ntop(AF_INET, &in, a[n], sizeof(a[n]));
		request_sel((uint8_t)(0x30 + n), a[n], "10.0.0.1");
		from((uint8_t)(0x30 + n), "0.0.0.0", "255.255.255.255");
		assert_int_equal(run(n ? T0 + 61 : T0 + 31), 1);
		assert_int_equal(rm.type, n ? DHCPNAK : DHCPACK);
	}
}

/* source-rate: a source's messages beyond its bucket are dropped. */
static void test_source_rate(void **state)
{
	static const char rate[] =
		"source-rate 2\n"
		"interface lan0 {\nsubnet 10.0.0.0/16\nserver-id 10.0.0.1\n"
		"pool 10.0.1.1 10.0.1.40\n}\n";
	unsigned int n, answered = 0;

	reconf(rate);
	for (n = 0; n < 6; n++)
		answered += discover_as((uint16_t)n, 0x66, T0);
	/* A burst of 2 * rate, then nothing this second. */
	assert_int_equal(answered, 4);
	assert_int_equal(srv.st[ST_DROP_RATE], 2);
	assert_int_equal(srv.st[ST_DISCOVER], 4);
	/* Another source is not affected. */
	assert_int_equal(discover_as(0x0a0a, 0x0a, T0), 1);
	/* A second later: two more. */
	answered = 0;
	for (n = 0; n < 3; n++)
		answered += discover_as((uint16_t)(0x10 + n), 0x66, T0 + 1);
	assert_int_equal(answered, 2);
	assert_int_equal(srv.st[ST_DROP_RATE], 3);
	/* Malformed datagrams are counted by reason, not rate-limited. */
	for (n = 0; n < 5; n++) {
		uint8_t junk[10] = { 0 };

		server_input(&srv, 0, junk, sizeof(junk), &src, T0 + 1);
	}
	assert_int_equal(srv.st[ST_DROP_TRUNCATED], 5);
	assert_int_equal(srv.st[ST_DROP_RATE], 3);
}

/* giaddr: only from a configured relay, as giaddr and as IP source. */
static void test_relay_refused(void **state)
{
	discover(1, 0);
	memcpy(pk.b + 24, "\xc0\x00\x02\x0a", 4); /* giaddr alice's .10 */
	from(0x66, "192.0.2.66", "192.0.2.1");
	assert_int_equal(run(T0), 0);
	/* The relay's address as giaddr, sent by someone else. */
	memcpy(pk.b + 24, "\xc0\x00\x02\x05", 4);
	assert_int_equal(run(T0), 0);
	assert_int_equal(srv.st[ST_DROP_RELAY], 2);
	assert_int_equal(srv.st[ST_DISCOVER], 0);
	assert_int_equal(srv.st[ST_OFFER], 0);
	assert_int_equal(srv.ifaces[0].pool.noffered, 0);
	/* None configured: every relayed datagram is dropped. */
	reconf("interface lan0 {\nsubnet 192.0.2.0/24\nserver-id 192.0.2.1\n"
	       "pool 192.0.2.100 192.0.2.103\n}\n");
	discover(1, 0);
	memcpy(pk.b + 24, "\xc0\x00\x02\x05", 4);
	from(0x05, "192.0.2.5", "192.0.2.1");
	assert_int_equal(run(T0), 0);
	assert_int_equal(srv.st[ST_DROP_RELAY], 1);
}

/* Replies never go to an address the client chose. */
static void test_reply_not_to_chosen_address(void **state)
{
	/* DISCOVER with a ciaddr (alice's .10): not sent there. */
	discover(1, 0);
	tpkt_ciaddr(&pk, "192.0.2.10");
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[0].dst, htonl(tip("192.0.2.100")));
	assert_int_equal(sent[0].l2, 1);
	/* SELECTING with a ciaddr: the ACK is not sent there either. */
	request_sel(1, "192.0.2.100", "192.0.2.1");
	tpkt_ciaddr(&pk, "192.0.2.10");
	assert_int_equal(run(T0), 1);
	assert_int_equal(rm.type, DHCPACK);
	assert_int_equal(sent[1].dst, htonl(tip("192.0.2.100")));
	assert_int_equal(sent[1].l2, 1);
	/* ciaddr off the subnet (the WAN): likewise. */
	discover(2, 0);
	tpkt_ciaddr(&pk, "198.51.100.2");
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[2].dst, htonl(tip("192.0.2.103")));
	/* A frame not from chaddr: no unicast to chaddr, broadcast. */
	discover(3, 0);
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0), 0); /* pool exhausted meanwhile */
	src_set = 0;
	simple(1, DHCPRELEASE, "192.0.2.100");
	assert_int_equal(run(T0), 0);
	discover(3, 0);
	from(0x66, "0.0.0.0", "255.255.255.255");
	assert_int_equal(run(T0), 1);
	assert_int_equal(sent[nsent - 1].dst, htonl(0xffffffff));
	assert_int_equal(sent[nsent - 1].l2, 0);
}

/* Every way an offer ends gives its source's count back. */
static void test_offer_accounting(void **state)
{
	struct pool *p;
	unsigned int n;

	reconf(big_pool);
	p = &srv.ifaces[0].pool;
	/* Offered, then leased. */
	assert_int_equal(discover_as(1, 0x11, T0), 1);
	assert_int_equal(src_offers(0x11), 1);
	tpkt_init(&pk, 0, 0x7001);
	pk.b[33] = 1;
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, "10.0.1.1");
	tpkt_addr(&pk, 54, "10.0.0.1");
	tpkt_end(&pk);
	assert_int_equal(run(T0), 1);
	assert_int_equal(src_offers(0x11), 0);
	/* Offered, then another server chosen. */
	assert_int_equal(discover_as(2, 0x11, T0), 1);
	tpkt_init(&pk, 0, 0x7002);
	pk.b[33] = 2;
	tpkt_type(&pk, DHCPREQUEST);
	tpkt_addr(&pk, 50, "10.0.1.2");
	tpkt_addr(&pk, 54, "10.0.0.9");
	tpkt_end(&pk);
	assert_int_equal(run(T0), 0);
	assert_int_equal(src_offers(0x11), 0);
	/* Offered twice to one client (re-offer): one held. */
	assert_int_equal(discover_as(3, 0x11, T0), 1);
	assert_int_equal(discover_as(3, 0x11, T0), 1);
	assert_int_equal(src_offers(0x11), 1);
	assert_int_equal(p->noffered, 1);
	/* Unknown sources share one entry. */
	for (n = 0; n < 3; n++) {
		discover_as((uint16_t)(0x30 + n), 0x22, T0);
		src.has_mac = 0;
	}
	server_expire(&srv, T0 + 100);
	assert_int_equal(p->noffered, 0);
	for (n = 0; n < srv.ifaces[0].src.n; n++)
		assert_int_equal(srv.ifaces[0].src.e[n].offers, 0);
	assert_int_equal(p->nfree, 39);
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
		T(test_pool_gauges_in_db),
		T(test_kernel_failure_flags_resync),
		T(test_mass_expiry),
		T(test_forged_release_refused),
		T(test_release_bound_and_tunnelled),
		T(test_release_kernel_unknown),
		T(test_decline_rules),
		T(test_quarantine_cap),
		T(test_offers_per_source),
		T(test_offer_share),
		T(test_unheld_offers_spread),
		T(test_source_rate),
		T(test_relay_refused),
		T(test_reply_not_to_chosen_address),
		T(test_offer_accounting),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
