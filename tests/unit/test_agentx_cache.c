// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx's cache builders (daemon/agentx/cache.c): the contract id
 * as an 8-octet IMPLIED index, muispd's SNAP_ROW into a row, the join
 * with the module's contracts (every column), the address, user, pool
 * and counter rows and their index order.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "daemon/agentx/cache.h"
#include "uapi/muisp.h"

static void test_id_index(void **state)
{
	oid a[8], b[8];
	uint64_t id;

	(void)state;
	ax_id_encode(0x0102030405060708ull, a);
	for (int k = 0; k < 8; k++)
		assert_int_equal(a[k], k + 1);
	assert_int_equal(ax_id_decode(a, 8, &id), 0);
	assert_true(id == 0x0102030405060708ull);
	ax_id_encode(UINT64_MAX, a);
	assert_int_equal(ax_id_decode(a, 8, &id), 0);
	assert_true(id == UINT64_MAX);
	/* index order is numeric order (big-endian, fixed length) */
	ax_id_encode(255, a);
	ax_id_encode(256, b);
	assert_true(snmp_oid_compare(a, 8, b, 8) < 0);
	ax_id_encode(1ull << 40, a);
	assert_true(snmp_oid_compare(b, 8, a, 8) < 0);
	/* not an id: a length, a sub-identifier above 255 */
	assert_int_equal(ax_id_decode(a, 7, &id), -1);
	assert_int_equal(ax_id_decode(a, 9, &id), -1);
	a[3] = 256;
	assert_int_equal(ax_id_decode(a, 8, &id), -1);
}

static void snap_msg(struct mp_msg *m, uint64_t serial, const char *addr)
{
	mp_init(m, MP_T_OP_SNAP_ROW, MP_F_REPLY | MP_F_MORE, 0);
	mp_set_u(m, MP_A_SERIAL, serial);
	mp_set_u(m, MP_A_STATE, 2);
	mp_set_u(m, MP_A_METHOD, MP_METHOD_CASH);
	mp_set_u(m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(m, MP_A_USAGE, 10 * serial);
	mp_set_u(m, MP_A_SOFT, 1000 + serial);
	mp_set_u(m, MP_A_HARD, 2000 + serial);
	mp_set_u(m, MP_A_EXPIRY, 1800000000ull + serial);
	mp_set_u(m, MP_A_AMOUNT, 20 + serial);
	mp_set_s(m, MP_A_CURRENCY, "EUR");
	if (addr)
		mp_set_s(m, MP_A_ADDR, addr);
}

static void test_snaprow(void **state)
{
	struct ax_snaprow r;
	struct mp_msg m;

	(void)state;
	snap_msg(&m, 7, "10.0.0.7");
	assert_int_equal(ax_snaprow_from_msg(&m, &r), 0);
	assert_true(r.serial == 7);
	assert_int_equal(r.state, 2);
	assert_int_equal(r.method, MP_METHOD_CASH);
	assert_int_equal(r.metric, MP_METRIC_BYTES);
	assert_true(r.usage == 70 && r.soft == 1007 && r.hard == 2007);
	assert_true(r.expiry == 1800000007ull && r.deposit == 27);
	assert_string_equal(r.currency, "EUR");
	assert_string_equal(r.addr, "10.0.0.7");
	/* a currency of up to 7 characters (muispd.conf's), no more */
	mp_set_s(&m, MP_A_CURRENCY, "ABCDEFGH");
	assert_int_equal(ax_snaprow_from_msg(&m, &r), 0);
	assert_string_equal(r.currency, "ABCDEFG");
	/* another type is not a row */
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, 1);
	assert_int_equal(ax_snaprow_from_msg(&m, &r), -1);
}

static void test_contracts_join(void **state)
{
	struct ax_snaprow s[4];
	struct muisp_nl_contract k[3];
	struct ax_contract *rows, *old;
	struct mp_msg m;
	static const uint64_t ids[4] = { 300, 5, 70000, 6 };
	static const char *const addrs[4] = { "10.0.0.3", NULL, "2001:db8::1",
					      "bogus" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		snap_msg(&m, ids[i], addrs[i]);
		assert_int_equal(ax_snaprow_from_msg(&m, &s[i]), 0);
	}
	s[2].expiry = 1ull << 40; /* past Unsigned32: the largest */
	memset(k, 0, sizeof(k));
	k[0].id = 70000; /* in any order; 9 is the module's alone */
	k[0].status = MUISP_CONTRACT_STATUS_ACTIVE;
	k[0].up_bytes = 1;
	k[0].up_packets = 2;
	k[0].down_bytes = 3;
	k[0].down_packets = 4;
	k[1].id = 9;
	k[1].status = MUISP_CONTRACT_STATUS_ACTIVE;
	k[2].id = 5;
	k[2].status = MUISP_CONTRACT_STATUS_SUSPENDED;
	k[2].up_bytes = 50;
	assert_int_equal(ax_contracts_build(s, 4, k, 3, &rows), 0);
	/* sorted by id; each index is its own 8 octets */
	assert_true(rows[0].id == 5 && rows[1].id == 6 && rows[2].id == 300 &&
		    rows[3].id == 70000);
	for (int i = 0; i < 4; i++) {
		uint64_t id;

		assert_ptr_equal(rows[i].idx.oids, rows[i].o);
		assert_int_equal(rows[i].idx.len, 8);
		assert_int_equal(ax_id_decode(rows[i].o, 8, &id), 0);
		assert_true(id == rows[i].id);
		assert_string_equal(rows[i].currency, "EUR");
		assert_true(rows[i].soft == 1000 + rows[i].id);
		assert_true(rows[i].hard == 2000 + rows[i].id);
		assert_true(rows[i].usage == 10 * rows[i].id);
		assert_true(rows[i].deposit == 20 + rows[i].id);
		assert_int_equal(rows[i].state, 2);
		assert_int_equal(rows[i].method, MP_METHOD_CASH);
		assert_int_equal(rows[i].metric, MP_METRIC_BYTES);
	}
	/* the module's columns where it knows the contract, else 0 */
	assert_int_equal(rows[0].kstatus, MUISP_CONTRACT_STATUS_SUSPENDED);
	assert_true(rows[0].up_octets == 50);
	assert_int_equal(rows[1].kstatus, 0);
	assert_true(rows[1].up_octets == 0 && rows[1].down_packets == 0);
	assert_int_equal(rows[3].kstatus, MUISP_CONTRACT_STATUS_ACTIVE);
	assert_true(rows[3].up_octets == 1 && rows[3].up_packets == 2 &&
		    rows[3].down_octets == 3 && rows[3].down_packets == 4);
	/* addresses: IPv4, IPv6, none, not an address */
	assert_int_equal(rows[2].addr_type, AX_INET_V4);
	assert_int_equal(rows[2].addr_len, 4);
	assert_memory_equal(rows[2].addr, "\x0a\x00\x00\x03", 4);
	assert_int_equal(rows[3].addr_type, AX_INET_V6);
	assert_int_equal(rows[3].addr_len, 16);
	assert_int_equal(rows[3].addr[0], 0x20);
	assert_int_equal(rows[0].addr_type, AX_INET_UNKNOWN);
	assert_int_equal(rows[0].addr_len, 0);
	assert_int_equal(rows[1].addr_len, 0);
	/* expiry */
	assert_int_equal(rows[2].expires, 1800000300u);
	assert_int_equal(rows[3].expires, UINT32_MAX);

	/* the module did not answer: its columns from the previous rows */
	old = rows;
	assert_int_equal(ax_contracts_build(s, 4, NULL, 0, &rows), 0);
	assert_int_equal(rows[3].kstatus, 0);
	ax_contracts_keep_kernel(rows, 4, old, 4);
	assert_int_equal(rows[3].kstatus, MUISP_CONTRACT_STATUS_ACTIVE);
	assert_true(rows[3].down_packets == 4);
	assert_true(rows[0].up_octets == 50);
	assert_int_equal(rows[1].kstatus, 0);
	free(old);
	free(rows);

	/* no contracts at all */
	assert_int_equal(ax_contracts_build(s, 0, k, 3, &rows), 0);
	free(rows);
}

static void test_addrs(void **state)
{
	struct muisp_nl_addr a;
	struct ax_addr r[3];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.addr.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::5", a.addr.a);
	a.state = MUISP_ADDR_STATE_ALLOCATED;
	a.contract_id = 99; /* not bound: not shown */
	assert_int_equal(ax_addr_from_nl(&a, &r[0]), 0);
	a.addr.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.9", a.addr.a);
	a.state = MUISP_ADDR_STATE_BOUND;
	a.contract_id = 0x0102030405060708ull;
	a.xfrm_spi = 0x1234;
	a.xfrm_proto = IPPROTO_ESP;
	memcpy(a.mac, "\x02\x00\x00\x00\x00\x09", 6);
	assert_int_equal(ax_addr_from_nl(&a, &r[1]), 0);
	inet_pton(AF_INET, "10.0.0.2", a.addr.a);
	a.xfrm_spi = 0; /* no SA: no tunnel */
	assert_int_equal(ax_addr_from_nl(&a, &r[2]), 0);
	a.addr.family = AF_UNIX;
	assert_int_equal(ax_addr_from_nl(&a, &r[2]), -1);
	inet_pton(AF_INET, "10.0.0.2", a.addr.a);
	a.addr.family = AF_INET;
	assert_int_equal(ax_addr_from_nl(&a, &r[2]), 0);

	ax_addrs_sort(r, 3);
	/* IPv4 (type 1) before IPv6 (type 2), then by address */
	assert_int_equal(r[0].type, AX_INET_V4);
	assert_int_equal(r[0].idx.len, 6);
	assert_int_equal(r[0].o[0], 1);
	assert_int_equal(r[0].o[1], 4);
	assert_int_equal(r[0].o[5], 2);
	assert_int_equal(r[0].tunnel, 0);
	assert_int_equal(r[1].o[5], 9);
	assert_int_equal(r[1].tunnel, IPPROTO_ESP);
	assert_true(r[1].contract_id == 0x0102030405060708ull);
	assert_int_equal(r[1].state, MUISP_ADDR_STATE_BOUND);
	assert_memory_equal(r[1].mac, "\x02\x00\x00\x00\x00\x09", 6);
	assert_int_equal(r[2].type, AX_INET_V6);
	assert_int_equal(r[2].idx.len, 18);
	assert_int_equal(r[2].o[1], 16);
	assert_int_equal(r[2].o[2], 0x20);
	assert_true(r[2].contract_id == 0);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(r[i].idx.oids, r[i].o);
}

static void nl_user(struct muisp_nl_user *u, int family, const char *addr,
		    uint32_t user, uint64_t contract_id)
{
	memset(u, 0, sizeof(*u));
	u->addr.family = (uint8_t)family;
	if (family == AF_INET || family == AF_INET6)
		assert_int_equal(inet_pton(family, addr, u->addr.a), 1);
	u->user = user;
	u->contract_id = contract_id;
	MUISP_NL_SET(u, MUISP_USER_A_ADDR);
	MUISP_NL_SET(u, MUISP_USER_A_USER);
	MUISP_NL_SET(u, MUISP_USER_A_CONTRACT_ID64);
}

/* the contract's counters, as the dump carries them */
static void nl_user_ctrs(struct muisp_nl_user *u, uint64_t base)
{
	u->contract_status = MUISP_CONTRACT_STATUS_ACTIVE;
	u->up_bytes = base + 1;
	u->up_packets = base + 2;
	u->down_bytes = base + 3;
	u->down_packets = base + 4;
	MUISP_NL_SET(u, MUISP_USER_A_CONTRACT_STATUS);
	MUISP_NL_SET(u, MUISP_USER_A_UP_BYTES);
	MUISP_NL_SET(u, MUISP_USER_A_UP_PACKETS);
	MUISP_NL_SET(u, MUISP_USER_A_DOWN_BYTES);
	MUISP_NL_SET(u, MUISP_USER_A_DOWN_PACKETS);
}

static void test_users(void **state)
{
	struct muisp_nl_user u;
	struct ax_user r[4], bad;

	(void)state;
	/* an IPv6 host: index 2.16.<16 octets>.user */
	nl_user(&u, AF_INET6, "2001:db8::5", 4000000000u,
		0x0102030405060708ull);
	nl_user_ctrs(&u, 1ull << 40);
	assert_int_equal(ax_user_from_nl(&u, &r[0]), 0);
	assert_int_equal(r[0].type, AX_INET_V6);
	assert_int_equal(r[0].len, 16);
	assert_ptr_equal(r[0].idx.oids, r[0].o);
	assert_int_equal(r[0].idx.len, 2 + 16 + 1);
	assert_int_equal(r[0].o[0], 2);
	assert_int_equal(r[0].o[1], 16);
	assert_int_equal(r[0].o[2], 0x20);
	assert_int_equal(r[0].o[3], 0x01);
	assert_int_equal(r[0].o[4], 0x0d);
	assert_int_equal(r[0].o[5], 0xb8);
	for (int k = 6; k < 17; k++)
		assert_int_equal(r[0].o[k], 0);
	assert_int_equal(r[0].o[17], 5);
	assert_int_equal(r[0].o[18], 4000000000u); /* Unsigned32: as is */
	assert_int_equal(r[0].user, 4000000000u);
	assert_true(r[0].contract_id == 0x0102030405060708ull);
	/* the contract's counters, each in its column */
	assert_true(r[0].up_octets == (1ull << 40) + 1);
	assert_true(r[0].up_packets == (1ull << 40) + 2);
	assert_true(r[0].down_octets == (1ull << 40) + 3);
	assert_true(r[0].down_packets == (1ull << 40) + 4);

	/* IPv4 hosts: index 1.4.a.b.c.d.user */
	nl_user(&u, AF_INET, "10.0.0.9", 7, 42);
	nl_user_ctrs(&u, 100);
	assert_int_equal(ax_user_from_nl(&u, &r[1]), 0);
	assert_int_equal(r[1].type, AX_INET_V4);
	assert_int_equal(r[1].len, 4);
	assert_int_equal(r[1].idx.len, 2 + 4 + 1);
	{
		static const oid want[] = { 1, 4, 10, 0, 0, 9, 7 };

		assert_int_equal(snmp_oid_compare(r[1].o, r[1].idx.len, want,
						  OID_LENGTH(want)),
				 0);
	}
	assert_memory_equal(r[1].addr, "\x0a\x00\x00\x09", 4);
	assert_true(r[1].contract_id == 42);
	assert_true(r[1].up_octets == 101 && r[1].up_packets == 102 &&
		    r[1].down_octets == 103 && r[1].down_packets == 104);
	/* another user of the same host, and a user of a lower address;
	 * a contract the module does not have: no counters, 0 */
	nl_user(&u, AF_INET, "10.0.0.9", 3, 43);
	assert_int_equal(ax_user_from_nl(&u, &r[2]), 0);
	assert_true(r[2].up_octets == 0 && r[2].up_packets == 0 &&
		    r[2].down_octets == 0 && r[2].down_packets == 0);
	nl_user(&u, AF_INET, "10.0.0.10", 1, 44);
	nl_user_ctrs(&u, 0);
	assert_int_equal(ax_user_from_nl(&u, &r[3]), 0);
	/* not IPv4 or IPv6: no row */
	nl_user(&u, AF_UNIX, NULL, 1, 45);
	assert_int_equal(ax_user_from_nl(&u, &bad), -1);

	/* index order: IPv4 before IPv6, by address, then by user */
	ax_users_sort(r, 4);
	assert_true(r[0].contract_id == 43 && r[0].o[6] == 3);
	assert_true(r[1].contract_id == 42 && r[1].o[6] == 7);
	assert_true(r[2].contract_id == 44 && r[2].o[5] == 10);
	assert_int_equal(r[3].type, AX_INET_V6);
	for (int i = 0; i < 4; i++) {
		assert_ptr_equal(r[i].idx.oids, r[i].o);
		if (i)
			assert_true(snmp_oid_compare(r[i - 1].o,
						     r[i - 1].idx.len, r[i].o,
						     r[i].idx.len) < 0);
	}
	ax_users_sort(r, 0);
}

static void test_pools(void **state)
{
	/* muisp-dhcpd's pools table, by idx (configuration order) */
	static const struct leasedb_pool rows[] = {
		{ 1, "eth1", 4, 2, 0, 1, 1 },
		{ 2, "br0", 250, 1, 3, 0, 246 },
		{ 4, "eth0", 1, 0, 0, 0, 1 },
	};
	const struct leasedb_pool back = { 3, "lan9", 1, 0, 0, 0, 1 };
	const struct leasedb_pool zero = { 0, "lan9", 1, 0, 0, 0, 1 };
	struct ax_pool *p = NULL;
	unsigned n = 0;

	(void)state;
	assert_int_equal(ax_pools_add(&p, &n, &zero), -1);
	assert_int_equal(errno, EINVAL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(ax_pools_add(&p, &n, &rows[i]), 0);
	/* an index not above the last: refused, nothing added */
	assert_int_equal(ax_pools_add(&p, &n, &back), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(n, 3);
	/* in the table's order, not by name; the index is idx */
	assert_string_equal(p[0].ifname, "eth1");
	assert_string_equal(p[1].ifname, "br0");
	assert_string_equal(p[2].ifname, "eth0");
	assert_int_equal(p[0].o[0], 1);
	assert_int_equal(p[1].o[0], 2);
	assert_int_equal(p[2].o[0], 4);
	for (unsigned i = 0; i < n; i++) {
		assert_ptr_equal(p[i].idx.oids, p[i].o);
		assert_int_equal(p[i].idx.len, 1);
	}
	assert_int_equal(p[0].size, 4);
	assert_int_equal(p[0].leased, 2);
	assert_int_equal(p[0].quarantined, 1);
	assert_int_equal(p[0].free, 1);
	assert_int_equal(p[0].offered, 0);
	assert_int_equal(p[1].size, 250);
	assert_int_equal(p[1].offered, 3);
	assert_int_equal(p[1].free, 246);
	assert_int_equal(p[2].free, 1);
	free(p);
}

static void test_counters(void **state)
{
	struct stats_snap s = { 0 };
	struct ax_counter *c;
	unsigned n;

	(void)state;
	assert_int_equal(stats_add(&s, STATS_SRC_KERNEL, "up_packets", 5), 0);
	assert_int_equal(stats_add(&s, STATS_SRC_MUISPD, "radius_acct_sent",
				   UINT64_MAX),
			 0);
	assert_int_equal(stats_add(&s, STATS_SRC_KERNEL, "flows", 2), 0);
	assert_int_equal(stats_add(&s, STATS_SRC_KERNEL, "addrs", 3), 0);
	assert_int_equal(ax_counters_build(&s, &c, &n), 0);
	assert_int_equal(n, 4);
	/* index: length, then the octets: shorter keys first */
	assert_int_equal(c[0].o[0], 5);
	for (int k = 0; k < 5; k++)
		assert_int_equal(c[0].o[1 + k], "addrs"[k]);
	assert_true(c[0].value == 3);
	assert_int_equal(c[1].o[0], 5); /* "flows" after "addrs" */
	assert_true(c[1].value == 2);
	assert_int_equal(c[2].o[0], 10); /* up_packets */
	assert_true(c[2].value == 5);
	assert_int_equal(c[3].o[0], 16);
	assert_int_equal(c[3].idx.len, 17);
	assert_true(c[3].value == UINT64_MAX);
	for (unsigned i = 0; i < n; i++)
		assert_ptr_equal(c[i].idx.oids, c[i].o);
	free(c);
	stats_snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_index),
		cmocka_unit_test(test_snaprow),
		cmocka_unit_test(test_contracts_join),
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
