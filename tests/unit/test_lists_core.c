// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/lists_core.c, the lookup set of the walled garden
 * and the block list: exact addresses, prefixes (overlapping: longest
 * live first), IPv4/IPv6, MACs, expiry, garden protocol/ports, the empty
 * set, rebuilds, and a cross-check against a linear scan with the gate's
 * own matching (muisp_gate_prefix_match(), muisp_gate_garden_match()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "kmod/lists_core.h"

#define MAXE 8192

/* A list as lists.c holds it: entries in order, each its own owner. */
struct tlist {
	struct muisp_garden_rule rule[MAXE];
	u8 mac[MAXE][6];
	struct muisp_lset_entry e[MAXE];
	u32 n;
	struct muisp_lset set;
	void *mem;
};

static struct tlist *tl_new(void)
{
	struct tlist *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

static void tl_free(struct tlist *t)
{
	free(t->mem);
	free(t);
}

static void addr_parse(const char *s, __be32 a[4], u8 *family)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1) {
		*family = MUISP_AF_INET;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	*family = MUISP_AF_INET6;
}

/* Entry i: "PREFIX/LEN" (block or garden), expiry. */
static u32 tl_add(struct tlist *t, bool garden, const char *pfx, u8 plen,
		  u64 expires_s)
{
	u32 i = t->n++;

	addr_parse(pfx, t->rule[i].prefix, &t->rule[i].family);
	t->rule[i].plen = plen;
	t->rule[i].expires_s = expires_s;
	t->e[i] = (struct muisp_lset_entry){
		.rule = &t->rule[i],
		.owner = &t->rule[i],
		.garden = garden,
	};
	return i;
}

static u32 tl_garden_port(struct tlist *t, const char *pfx, u8 plen, u8 proto,
			  u16 lo, u16 hi)
{
	u32 i = tl_add(t, true, pfx, plen, 0);

	t->rule[i].proto = proto;
	if (lo || hi) {
		t->rule[i].has_ports = 1;
		t->rule[i].port_min = lo;
		t->rule[i].port_max = hi;
	}
	return i;
}

static u32 tl_mac(struct tlist *t, const u8 *mac, u64 expires_s)
{
	u32 i = t->n++;

	memcpy(t->mac[i], mac, 6);
	t->rule[i].expires_s = expires_s;
	t->e[i] = (struct muisp_lset_entry){
		.rule = &t->rule[i],
		.mac = t->mac[i],
		.owner = &t->rule[i],
	};
	return i;
}

static void tl_build(struct tlist *t, u64 seed)
{
	free(t->mem);
	t->mem = malloc(muisp_lset_mem(t->n));
	assert_non_null(t->mem);
	assert_int_equal(
		muisp_lset_build(&t->set, t->mem, t->n, seed, t->e, t->n), 0);
	assert_int_equal(t->set.nrules, t->n);
}

/* Index of the entry that blocks, -1 if none. */
static int blk(struct tlist *t, const char *src, const char *dst, const u8 *mac,
	       u64 now)
{
	__be32 s[4], d[4];
	u8 f, fd;
	void *o;

	addr_parse(src, s, &f);
	if (dst)
		addr_parse(dst, d, &fd);
	o = muisp_lset_blocked(&t->set, s, dst ? d : NULL, mac, f, now);
	return o ? (int)((struct muisp_garden_rule *)o - t->rule) : -1;
}

static int gdn(struct tlist *t, const char *peer, u8 proto, bool has_ports,
	       u16 port, u64 now)
{
	__be32 p[4];
	u8 f;
	void *o;

	addr_parse(peer, p, &f);
	o = muisp_lset_garden(&t->set, p, f, proto, has_ports, port, now);
	return o ? (int)((struct muisp_garden_rule *)o - t->rule) : -1;
}

static const u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const u8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };

static void test_empty(void **state)
{
	struct tlist *t = tl_new();
	__be32 a[4] = { htonl(0x0a000001) };

	(void)state;
	assert_null(muisp_lset_blocked(NULL, a, a, mac_a, MUISP_AF_INET, 0));
	assert_null(muisp_lset_garden(NULL, a, MUISP_AF_INET, 6, true, 80, 0));
	assert_false(muisp_lset_has_blocks(NULL));
	assert_false(muisp_lset_has_garden(NULL));
	tl_build(t, 1);
	assert_false(muisp_lset_has_blocks(&t->set));
	assert_false(muisp_lset_has_garden(&t->set));
	assert_int_equal(blk(t, "10.0.0.1", "10.0.0.2", mac_a, 0), -1);
	assert_int_equal(gdn(t, "10.0.0.1", 6, true, 80, 0), -1);
	assert_int_equal(gdn(t, "2001:db8::1", 6, true, 80, 0), -1);
	tl_free(t);
}

static void test_exact_v4(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	tl_add(t, false, "10.0.0.1", 32, 0);
	tl_add(t, false, "198.51.100.7", 32, 0);
	tl_build(t, 7);
	assert_true(muisp_lset_has_blocks(&t->set));
	assert_false(muisp_lset_has_garden(&t->set));
	assert_int_equal(blk(t, "10.0.0.1", NULL, NULL, 0), 0);
	assert_int_equal(blk(t, "10.0.0.2", NULL, NULL, 0), -1);
	assert_int_equal(blk(t, "10.0.0.2", "198.51.100.7", NULL, 0), 1);
	assert_int_equal(blk(t, "10.0.0.2", "198.51.100.8", NULL, 0), -1);
	/* the source answers first */
	assert_int_equal(blk(t, "198.51.100.7", "10.0.0.1", NULL, 0), 1);
	/* a block entry is not a garden rule */
	assert_int_equal(gdn(t, "198.51.100.7", 1, false, 0, 0), -1);
	tl_free(t);
}

static void test_prefix_v4(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	tl_add(t, false, "10.0.0.0", 8, 0);
	tl_add(t, false, "192.0.2.128", 25, 0);
	tl_build(t, 3);
	assert_int_equal(blk(t, "10.255.1.2", NULL, NULL, 0), 0);
	assert_int_equal(blk(t, "11.0.0.1", NULL, NULL, 0), -1);
	assert_int_equal(blk(t, "192.0.2.200", NULL, NULL, 0), 1);
	assert_int_equal(blk(t, "192.0.2.127", NULL, NULL, 0), -1);
	assert_int_equal(t->set.nlens[MUISP_LSET_BLOCK4], 2);
	assert_int_equal(t->set.lens[MUISP_LSET_BLOCK4][0], 25);
	assert_int_equal(t->set.lens[MUISP_LSET_BLOCK4][1], 8);
	tl_free(t);

	/* /0 blocks every address of its family only */
	t = tl_new();
	tl_add(t, false, "0.0.0.0", 0, 0);
	tl_build(t, 3);
	assert_int_equal(blk(t, "203.0.113.9", NULL, NULL, 0), 0);
	assert_int_equal(blk(t, "2001:db8::1", NULL, NULL, 0), -1);
	tl_free(t);
}

static void test_overlapping(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	/* list order: short first, so a linear scan would answer 0 */
	tl_add(t, false, "10.0.0.0", 8, 0);    /* 0 */
	tl_add(t, false, "10.1.0.0", 16, 100); /* 1: expires at 100 */
	tl_add(t, false, "10.1.2.0", 24, 50);  /* 2: expires at 50 */
	tl_add(t, false, "10.1.2.3", 32, 0);   /* 3 */
	tl_build(t, 11);
	/* the most specific live entry answers */
	assert_int_equal(blk(t, "10.1.2.3", NULL, NULL, 10), 3);
	assert_int_equal(blk(t, "10.1.2.4", NULL, NULL, 10), 2);
	assert_int_equal(blk(t, "10.1.2.4", NULL, NULL, 50), 1);
	assert_int_equal(blk(t, "10.1.2.4", NULL, NULL, 100), 0);
	assert_int_equal(blk(t, "10.1.9.9", NULL, NULL, 99), 1);
	assert_int_equal(blk(t, "10.9.9.9", NULL, NULL, 0), 0);
	tl_free(t);

	/* garden: a longer prefix for another port does not hide a shorter
	 * one for any port
	 */
	t = tl_new();
	tl_garden_port(t, "198.51.100.0", 24, 0, 0, 0); /* 0 */
	tl_garden_port(t, "198.51.100.10", 32, MUISP_PROTO_TCP, 443,
		       443); /* 1 */
	tl_build(t, 5);
	assert_int_equal(gdn(t, "198.51.100.10", MUISP_PROTO_TCP, true, 443, 0),
			 1);
	assert_int_equal(gdn(t, "198.51.100.10", MUISP_PROTO_TCP, true, 80, 0),
			 0);
	assert_int_equal(gdn(t, "198.51.100.10", MUISP_PROTO_ICMP, false, 0, 0),
			 0);
	assert_int_equal(gdn(t, "198.51.101.10", MUISP_PROTO_TCP, true, 443, 0),
			 -1);
	tl_free(t);
}

static void test_duplicates_in_list_order(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	tl_add(t, false, "192.0.2.0", 24, 20); /* 0 */
	tl_add(t, false, "192.0.2.0", 24, 0);  /* 1 */
	tl_add(t, false, "192.0.2.0", 24, 30); /* 2 */
	tl_build(t, 9);
	assert_int_equal(t->set.ngroups, 1);
	assert_int_equal(blk(t, "192.0.2.1", NULL, NULL, 10), 0);
	assert_int_equal(blk(t, "192.0.2.1", NULL, NULL, 20), 1);
	tl_free(t);
}

static void test_v6(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	tl_add(t, false, "2001:db8::1", 128, 0);	/* 0 */
	tl_add(t, false, "2001:db8:1::", 48, 0);	/* 1 */
	tl_add(t, false, "2001:db8:1:2::", 64, 0);	/* 2 */
	tl_add(t, false, "2001:db8:1:2:8000::", 65, 0); /* 3 */
	tl_add(t, false, "10.0.0.1", 32, 0);		/* 4 */
	tl_build(t, 13);
	assert_int_equal(blk(t, "2001:db8::1", NULL, NULL, 0), 0);
	assert_int_equal(blk(t, "2001:db8::2", NULL, NULL, 0), -1);
	assert_int_equal(blk(t, "2001:db8:1:ffff::1", NULL, NULL, 0), 1);
	assert_int_equal(blk(t, "2001:db8:1:2::1", NULL, NULL, 0), 2);
	assert_int_equal(blk(t, "2001:db8:1:2:ffff::1", NULL, NULL, 0), 3);
	assert_int_equal(blk(t, "2001:db9::", "2001:db8:1::5", NULL, 0), 1);
	/* an IPv6 address whose first word equals a v4 entry */
	assert_int_equal(blk(t, "a00:1::", NULL, NULL, 0), -1);
	assert_int_equal(blk(t, "10.0.0.1", NULL, NULL, 0), 4);
	/* v6 garden */
	tl_garden_port(t, "2001:db8:ff::", 56, MUISP_PROTO_UDP, 53, 53); /* 5 */
	tl_build(t, 13);
	assert_int_equal(
		gdn(t, "2001:db8:ff:0:1::9", MUISP_PROTO_UDP, true, 53, 0), 5);
	assert_int_equal(
		gdn(t, "2001:db8:ff:0:1::9", MUISP_PROTO_UDP, false, 0, 0), -1);
	assert_int_equal(
		gdn(t, "2001:db8:ff:0:1::9", MUISP_PROTO_TCP, true, 53, 0), -1);
	assert_int_equal(
		gdn(t, "2001:db8:1:2::1", MUISP_PROTO_UDP, true, 53, 0), -1);
	tl_free(t);
}

static void test_mac(void **state)
{
	struct tlist *t = tl_new();
	const u8 mac_c[6] = { 0x02, 0, 0, 0, 0, 0xcc };

	(void)state;
	tl_mac(t, mac_a, 0);  /* 0 */
	tl_mac(t, mac_b, 40); /* 1 */
	tl_build(t, 17);
	assert_int_equal(t->set.nkind[MUISP_LSET_BLOCK_MAC], 2);
	assert_int_equal(blk(t, "10.0.0.1", NULL, mac_a, 0), 0);
	assert_int_equal(blk(t, "10.0.0.1", NULL, mac_b, 39), 1);
	assert_int_equal(blk(t, "10.0.0.1", NULL, mac_b, 40), -1);
	assert_int_equal(blk(t, "10.0.0.1", NULL, mac_c, 0), -1);
	/* no MAC given (not ethernet, or not asked) */
	assert_int_equal(blk(t, "10.0.0.1", NULL, NULL, 0), -1);
	/* an address entry answers before the MAC */
	tl_add(t, false, "10.0.0.1", 32, 0); /* 2 */
	tl_build(t, 17);
	assert_int_equal(blk(t, "10.0.0.1", NULL, mac_a, 0), 2);
	assert_int_equal(blk(t, "2001:db8::1", NULL, mac_a, 0), 0);
	tl_free(t);
}

static void test_garden_rules(void **state)
{
	struct tlist *t = tl_new();

	(void)state;
	tl_garden_port(t, "203.0.113.5", 32, MUISP_PROTO_TCP, 80, 80);	 /* 0 */
	tl_garden_port(t, "203.0.113.5", 32, MUISP_PROTO_TCP, 443, 443); /* 1 */
	tl_garden_port(t, "203.0.113.5", 32, MUISP_PROTO_UDP, 0, 0);	 /* 2 */
	t->rule[1].expires_s = 100;
	tl_build(t, 21);
	assert_true(t->set.expiring);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_TCP, true, 80, 0),
			 0);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_TCP, true, 443, 99),
			 1);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_TCP, true, 443, 100),
			 -1);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_TCP, true, 22, 0),
			 -1);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_UDP, true, 5000, 0),
			 2);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_UDP, false, 0, 0),
			 2);
	assert_int_equal(gdn(t, "203.0.113.5", MUISP_PROTO_ICMP, false, 0, 0),
			 -1);
	/* garden rules do not block */
	assert_int_equal(blk(t, "203.0.113.5", "203.0.113.5", NULL, 0), -1);
	tl_free(t);
}

static void test_rebuild(void **state)
{
	struct tlist *t = tl_new();
	struct muisp_lset_entry stray;
	struct muisp_garden_rule r = { .family = MUISP_AF_INET, .plen = 32 };

	(void)state;
	tl_add(t, false, "10.0.0.1", 32, 0);
	tl_build(t, 1);
	assert_int_equal(blk(t, "10.0.0.1", NULL, NULL, 0), 0);
	assert_false(t->set.expiring);
	/* the entry replaced: a new set from the new list */
	tl_add(t, false, "10.0.0.2", 32, 5);
	t->e[0] = t->e[1];
	t->n = 1;
	tl_build(t, 2);
	assert_int_equal(blk(t, "10.0.0.1", NULL, NULL, 0), -1);
	assert_int_equal(blk(t, "10.0.0.2", NULL, NULL, 0), 1);
	assert_true(t->set.expiring);
	/* cap: one rule too many */
	muisp_lset_init(&t->set, t->mem, 1, 3);
	assert_int_equal(muisp_lset_add(&t->set, &t->e[0]), 0);
	assert_int_equal(muisp_lset_add(&t->set, &t->e[0]), -ENOSPC);
	/* pass 2 with an entry pass 1 did not see */
	muisp_lset_layout(&t->set);
	stray = (struct muisp_lset_entry){ .rule = &r, .owner = &r };
	assert_int_equal(muisp_lset_add(&t->set, &stray), -EINVAL);
	assert_int_equal(muisp_lset_add(&t->set, &t->e[0]), 0);
	assert_int_equal(blk(t, "10.0.0.2", NULL, NULL, 0), 1);
	tl_free(t);
}

static u64 rng = 0x2545f4914f6cdd1dULL;

static u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(rng >> 16);
}

/* Random lists against a linear scan with the gate's matching. */
static void test_cross_check(void **state)
{
	struct tlist *t = tl_new();
	static const u8 plens[] = { 8, 16, 20, 24, 28, 32, 32, 32 };
	u32 i, k, round;

	(void)state;
	for (round = 0; round < 4; round++) {
		t->n = 0;
		for (i = 0; i < 4096; i++) {
			struct muisp_garden_rule *r;
			bool garden = rnd() & 1;
			u32 a = htonl(0x0a000000 | (rnd() & 0xffff));
			char s[INET_ADDRSTRLEN];
			u8 plen = plens[rnd() % ARRAY_SIZE(plens)];

			inet_ntop(AF_INET, &a, s, sizeof(s));
			k = tl_add(t, garden, s, plen, rnd() % 4 ? 0 : 50);
			r = &t->rule[k];
			r->prefix[0] &= htonl(0xffffffffu << (32 - plen));
			if (garden && rnd() % 2) {
				r->proto = MUISP_PROTO_TCP;
				r->has_ports = 1;
				r->port_min = rnd() % 4;
				r->port_max = r->port_min + rnd() % 2;
			}
		}
		tl_build(t, rnd());
		assert_true(muisp_lset_max_chain(&t->set) <= 8);
		for (k = 0; k < 20000; k++) {
			__be32 a[4] = { htonl(0x0a000000 | (rnd() & 0xffff)) };
			u64 now = rnd() % 2 ? 10 : 60;
			u16 port = rnd() % 6;
			int best_b = -1, best_g = -1;
			struct muisp_garden_rule *r;
			void *ob, *og;

			for (i = 0; i < t->n; i++) {
				r = &t->rule[i];
				if (t->e[i].garden) {
					if (muisp_gate_garden_match(
						    r, a, MUISP_AF_INET,
						    MUISP_PROTO_TCP, true, port,
						    now) &&
					    (best_g < 0 ||
					     r->plen > t->rule[best_g].plen))
						best_g = (int)i;
				} else if ((!r->expires_s ||
					    now < r->expires_s) &&
					   muisp_gate_prefix_match(
						   a, r->prefix, MUISP_AF_INET,
						   r->plen) &&
					   (best_b < 0 ||
					    r->plen > t->rule[best_b].plen)) {
					best_b = (int)i;
				}
			}
			ob = muisp_lset_blocked(&t->set, a, NULL, NULL,
						MUISP_AF_INET, now);
			og = muisp_lset_garden(&t->set, a, MUISP_AF_INET,
					       MUISP_PROTO_TCP, true, port,
					       now);
			/* the first of the most specific, in list order */
			assert_ptr_equal(ob,
					 best_b < 0 ? NULL : &t->rule[best_b]);
			assert_ptr_equal(og,
					 best_g < 0 ? NULL : &t->rule[best_g]);
		}
	}
	tl_free(t);
}

static void test_memory_bound(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct muisp_lset_rule), 24);
	assert_int_equal(sizeof(struct muisp_lset_group), 32);
	assert_true(muisp_lset_mem(MAXE) <= 72 * MAXE);
	assert_true(muisp_lset_mem(1) <= 72 + 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_exact_v4),
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_overlapping),
		cmocka_unit_test(test_duplicates_in_list_order),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_garden_rules),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_cross_check),
		cmocka_unit_test(test_memory_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
