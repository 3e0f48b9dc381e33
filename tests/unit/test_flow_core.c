// SPDX-License-Identifier: GPL-2.0
/* Unit tests for kmod/flow_core.c (flow key, hash, decisions). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "kmod/flow_core.h"

#define NS 1000000000ULL

static const struct muisp_siphash_key ref_key = {
	/* bytes 00..0f, little-endian words (SipHash paper test key) */
	.k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL },
};

static void test_siphash_reference_vectors(void **state)
{
	u8 msg[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)i;
	/* SipHash-2-4, from the reference implementation's vectors.h */
	assert_int_equal(muisp_siphash(msg, 0, &ref_key, 2, 4),
			 0x726fdb47dd0e0e31ULL);
	assert_int_equal(muisp_siphash(msg, 15, &ref_key, 2, 4),
			 0xa129ca6149be45e5ULL);
}

static void make_key(struct muisp_flow_key *k, u32 i)
{
	u32 c = htonl(0xc0000200 | (i & 0xff));
	u32 p = htonl(0xc6336400 + (i >> 8));

	assert_int_equal(muisp_flow_key_init(k, AF_INET, IPPROTO_TCP, &c, &p,
					     htons((u16)(1024 + i)),
					     htons(443)),
			 0);
}

static void test_flow_hash_is_siphash13(void **state)
{
	struct muisp_siphash_key seed = { .k = { 0x1234, 0xfeedface } };
	struct muisp_flow_key k;
	u32 i;
	u8 packed[16], a6[16];

	(void)state;
	for (i = 0; i < 1000; i++) {
		make_key(&k, i * 7919);
		muisp_flow_key_pack_v4(&k, packed);
		assert_memory_equal(packed, k.client_addr, 4);
		assert_memory_equal(packed + 4, k.peer_addr, 4);
		assert_memory_equal(packed + 8, &k.client_port, 2);
		assert_memory_equal(packed + 10, &k.peer_port, 2);
		assert_int_equal(packed[12], AF_INET);
		assert_int_equal(packed[13], IPPROTO_TCP);
		assert_int_equal(muisp_flow_hash(&k, &seed),
				 muisp_siphash(packed, 16, &seed, 1, 3));
		memset(a6, (int)i, sizeof(a6));
		assert_int_equal(muisp_flow_key_init(&k, AF_INET6, IPPROTO_UDP,
						     a6, a6, htons(1), 0),
				 0);
		assert_int_equal(muisp_flow_hash(&k, &seed),
				 muisp_siphash(&k, sizeof(k), &seed, 1, 3));
	}
	/* the seed matters */
	make_key(&k, 1);
	seed.k[0]++;
	assert_int_not_equal(muisp_flow_hash(&k, &seed),
			     muisp_siphash(&k, sizeof(k), &ref_key, 1, 3));
}

static void test_key_init_v4(void **state)
{
	struct muisp_flow_key k;
	u8 c[4] = { 192, 0, 2, 10 }, p[4] = { 198, 51, 100, 2 };
	unsigned int i;

	(void)state;
	memset(&k, 0xa5, sizeof(k));
	assert_int_equal(muisp_flow_key_init(&k, AF_INET, IPPROTO_UDP, c, p,
					     htons(5000), htons(53)),
			 0);
	assert_memory_equal(k.client_addr, c, 4);
	assert_memory_equal(k.peer_addr, p, 4);
	for (i = 1; i < 4; i++) {
		assert_int_equal(k.client_addr[i], 0);
		assert_int_equal(k.peer_addr[i], 0);
	}
	assert_int_equal(k.client_port, htons(5000));
	assert_int_equal(k.peer_port, htons(53));
	assert_int_equal(k.family, AF_INET);
	assert_int_equal(k.proto, IPPROTO_UDP);
	assert_int_equal(k.pad[0], 0);
	assert_int_equal(k.pad[1], 0);
	/* nothing else is set: exactly 8+2+2+1+1 non-zero-able bytes */
	assert_int_equal(sizeof(k), 40);
}

static void test_key_init_v6_and_bad_family(void **state)
{
	struct muisp_flow_key k;
	u8 c[16], p[16];

	(void)state;
	memset(c, 0x11, sizeof(c));
	memset(p, 0x22, sizeof(p));
	assert_int_equal(muisp_flow_key_init(&k, AF_INET6, IPPROTO_ICMPV6, c, p,
					     htons(77), 0),
			 0);
	assert_memory_equal(k.client_addr, c, 16);
	assert_memory_equal(k.peer_addr, p, 16);
	assert_int_equal(k.client_port, htons(77));
	assert_int_equal(k.peer_port, 0);
	assert_int_equal(muisp_flow_key_init(&k, AF_UNIX, 0, c, p, 0, 0),
			 -EAFNOSUPPORT);
}

/* The packet path's key (addresses in the key's own layout) is the same. */
static void test_key_set_matches_init(void **state)
{
	struct muisp_flow_key a, b;
	__be32 c4[4] = { htonl(0xc0000205) }, p4[4] = { htonl(0xc6336402) };
	__be32 c6[4] = { htonl(0x20010db8), 0, 0, htonl(1) };
	__be32 p6[4] = { htonl(0x20010db8), htonl(1), 0, htonl(2) };

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(muisp_flow_key_init(&a, AF_INET, IPPROTO_TCP, c4, p4,
					     htons(1024), htons(80)),
			 0);
	muisp_flow_key_set(&b, AF_INET, IPPROTO_TCP, c4, p4, htons(1024),
			   htons(80));
	assert_memory_equal(&a, &b, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(muisp_flow_key_init(&a, AF_INET6, IPPROTO_UDP, c6, p6,
					     htons(53), htons(5353)),
			 0);
	muisp_flow_key_set(&b, AF_INET6, IPPROTO_UDP, c6, p6, htons(53),
			   htons(5353));
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_key_equal_every_byte(void **state)
{
	struct muisp_flow_key a, b;
	unsigned int i;

	(void)state;
	make_key(&a, 42);
	b = a;
	assert_true(muisp_flow_key_equal(&a, &b));
	for (i = 0; i < sizeof(a); i++) {
		b = a;
		((u8 *)&b)[i] ^= 0x01;
		assert_false(muisp_flow_key_equal(&a, &b));
		((u8 *)&b)[i] ^= 0x81;
		assert_false(muisp_flow_key_equal(&a, &b));
	}
}

/* Sequential, highly structured keys must still spread evenly. */
static void test_hash_distribution(void **state)
{
	const u32 nb = 4096, n = 16 * 4096;
	struct muisp_siphash_key seed = { .k = { 42, 4242 } };
	struct muisp_flow_key k;
	u32 *cnt = calloc(nb, sizeof(*cnt));
	double chi = 0, exp = (double)n / nb, z;
	u32 i, maxc = 0;

	(void)state;
	assert_non_null(cnt);
	for (i = 0; i < n; i++) {
		make_key(&k, i);
		/* the index takes the top bits (ft_index.h) */
		cnt[(muisp_flow_hash(&k, &seed) >> 32) * nb >> 32]++;
	}
	for (i = 0; i < nb; i++) {
		chi += (cnt[i] - exp) * (cnt[i] - exp) / exp;
		if (cnt[i] > maxc)
			maxc = cnt[i];
	}
	/* chi-square with 4095 dof: mean 4095, sd ~90.5; allow 5 sd */
	z = (chi - (nb - 1)) / sqrt(2.0 * (nb - 1));
	assert_true(fabs(z) < 5.0);
	/* Poisson(16): P(X >= 45) ~ 1e-9 per bucket */
	assert_true(maxc < 45);
	free(cnt);
}

static void entry_with_flags(struct muisp_flow_entry *e, u8 up, u8 down,
			     u64 last)
{
	static const struct muisp_flow_payer payer = { 7 };
	struct muisp_flow_key k;

	make_key(&k, 1);
	muisp_flow_entry_init(e, &k, 1, 1, &payer, last);
	e->tcp_flags[MUISP_DIR_UP] = up;
	e->tcp_flags[MUISP_DIR_DOWN] = down;
}

static void test_tcp_state(void **state)
{
	u8 fl[2];

	(void)state;
	fl[0] = MUISP_TCP_SYN | MUISP_TCP_ACK;
	fl[1] = MUISP_TCP_SYN | MUISP_TCP_ACK;
	assert_false(muisp_flow_tcp_closed(fl));
	fl[0] |= MUISP_TCP_FIN; /* half-closed */
	assert_false(muisp_flow_tcp_closed(fl));
	assert_false(muisp_flow_tcp_reopens(fl, MUISP_TCP_SYN));
	fl[1] |= MUISP_TCP_FIN; /* both FINs */
	assert_true(muisp_flow_tcp_closed(fl));
	assert_true(muisp_flow_tcp_reopens(fl, MUISP_TCP_SYN));
	assert_false(muisp_flow_tcp_reopens(fl, MUISP_TCP_SYN | MUISP_TCP_ACK));
	assert_false(muisp_flow_tcp_reopens(fl, MUISP_TCP_ACK));
	assert_false(muisp_flow_tcp_reopens(fl, MUISP_TCP_SYN | MUISP_TCP_RST));
	fl[0] = 0;
	fl[1] = MUISP_TCP_RST; /* RST either way */
	assert_true(muisp_flow_tcp_closed(fl));
	fl[0] = MUISP_TCP_RST;
	fl[1] = 0;
	assert_true(muisp_flow_tcp_closed(fl));
}

static void test_update_counts_and_flags(void **state)
{
	struct muisp_flow_entry e;

	(void)state;
	entry_with_flags(&e, 0, 0, 100);
	muisp_flow_entry_update(&e, MUISP_DIR_UP, 60, 0x02 | 0x08 | 0x40, 150);
	muisp_flow_entry_update(&e, MUISP_DIR_DOWN, 1500, 0x12, 160);
	muisp_flow_entry_update(&e, MUISP_DIR_DOWN, 1400, 0x11, 155);
	assert_int_equal(e.bytes[MUISP_DIR_UP], 60);
	assert_int_equal(e.packets[MUISP_DIR_UP], 1);
	assert_int_equal(e.bytes[MUISP_DIR_DOWN], 2900);
	assert_int_equal(e.packets[MUISP_DIR_DOWN], 2);
	/* PSH (0x08) and ECE (0x40) are not kept */
	assert_int_equal(e.tcp_flags[MUISP_DIR_UP], MUISP_TCP_SYN);
	assert_int_equal(e.tcp_flags[MUISP_DIR_DOWN],
			 MUISP_TCP_SYN | MUISP_TCP_ACK | MUISP_TCP_FIN);
	/* last seen never moves backwards */
	assert_int_equal(e.last_ns, 160);
	assert_int_equal(e.first_ns, 100);
}

static void test_expiry_decisions(void **state)
{
	const u64 idle = 1800 * NS, fin = 10 * NS, t0 = 5000 * NS;
	struct muisp_flow_entry e;

	(void)state;
	entry_with_flags(&e, MUISP_TCP_SYN, MUISP_TCP_SYN, t0);
	assert_int_equal(muisp_flow_expired(&e, t0 + idle - 1, idle, fin),
			 MUISP_FLOW_END_NONE);
	assert_int_equal(muisp_flow_expired(&e, t0 + idle, idle, fin),
			 MUISP_FLOW_END_IDLE);
	/* "now" read before a concurrent update: not expired */
	assert_int_equal(muisp_flow_expired(&e, t0 - 1, idle, fin),
			 MUISP_FLOW_END_NONE);
	assert_int_equal(muisp_flow_timeout_ns(&e, idle, fin), idle);
	/* half-closed keeps the idle time-out */
	e.tcp_flags[0] |= MUISP_TCP_FIN;
	assert_int_equal(muisp_flow_expired(&e, t0 + fin, idle, fin),
			 MUISP_FLOW_END_NONE);
	/* closed: fin_timeout */
	e.tcp_flags[1] |= MUISP_TCP_FIN;
	assert_int_equal(muisp_flow_timeout_ns(&e, idle, fin), fin);
	assert_int_equal(muisp_flow_expired(&e, t0 + fin - 1, idle, fin),
			 MUISP_FLOW_END_NONE);
	assert_int_equal(muisp_flow_expired(&e, t0 + fin, idle, fin),
			 MUISP_FLOW_END_CLOSED);
}

static void test_evict_order(void **state)
{
	const u64 idle = 100 * NS, fin = 10 * NS, now = 1000 * NS;
	struct muisp_flow_entry old_live, new_live, closed, expired;

	(void)state;
	entry_with_flags(&old_live, 0, 0, now - 90 * NS);
	entry_with_flags(&new_live, 0, 0, now - 1 * NS);
	entry_with_flags(&closed, MUISP_TCP_FIN, MUISP_TCP_FIN, now - 2 * NS);
	entry_with_flags(&expired, 0, 0, now - 200 * NS);
	/* timed out > closed > least recently seen > recently seen */
	assert_true(muisp_flow_evict_score(&expired, now, idle, fin) >
		    muisp_flow_evict_score(&closed, now, idle, fin));
	assert_true(muisp_flow_evict_score(&closed, now, idle, fin) >
		    muisp_flow_evict_score(&old_live, now, idle, fin));
	assert_true(muisp_flow_evict_score(&old_live, now, idle, fin) >
		    muisp_flow_evict_score(&new_live, now, idle, fin));
	/* an expired closed flow outranks a merely closed one */
	closed.last_ns = now - 20 * NS;
	assert_true(muisp_flow_evict_score(&closed, now, idle, fin) >
		    muisp_flow_evict_score(&old_live, now, idle, fin));
}

static void test_record_snapshot(void **state)
{
	struct muisp_flow_entry e;
	struct muisp_flow_record r;

	(void)state;
	entry_with_flags(&e, 0, 0, 10 * NS);
	e.id = 0x1234567890ULL;
	muisp_flow_entry_update(&e, MUISP_DIR_UP, 100, MUISP_TCP_RST, 12 * NS);
	muisp_flow_entry_record(&e, &r, 1700000000LL * (s64)NS,
				MUISP_FLOW_END_CLOSED);
	assert_true(muisp_flow_key_equal(&r.key, &e.key));
	assert_int_equal(r.bytes[0], 100);
	assert_int_equal(r.bytes[1], 0);
	assert_int_equal(r.packets[0], 1);
	assert_int_equal(r.packets[1], 0);
	assert_int_equal(r.first_ns, 1700000010ULL * NS);
	assert_int_equal(r.last_ns, 1700000012ULL * NS);
	assert_int_equal(r.flow_id, 0x1234567890ULL);
	assert_int_equal(r.contract_id, 7);
	assert_int_equal(r.tcp_flags[0], MUISP_TCP_RST);
	assert_int_equal(r.end_reason, MUISP_FLOW_END_CLOSED);
}

static void test_entry_layout(void **state)
{
	(void)state;
	/* the target: <= 128 bytes, lookup fields in the first cache line */
	assert_int_equal(sizeof(struct muisp_flow_entry), 128);
	assert_true(offsetof(struct muisp_flow_entry, key) +
			    sizeof(struct muisp_flow_key) <=
		    64);
	assert_true(offsetof(struct muisp_flow_entry, table_id) + 4 <= 64);
	assert_true(offsetof(struct muisp_flow_entry, lock) + 4 <= 64);
	assert_int_equal(offsetof(struct muisp_flow_entry, key) % 8, 0);
}

static void test_chain_find_and_nulls(void **state)
{
	struct hlist_nulls_head head;
	struct muisp_flow_entry e[5];
	struct muisp_flow_key k, miss;
	unsigned long nulls = 0;
	unsigned int probes, i;

	(void)state;
	memset(&k, 0, sizeof(k));
	INIT_HLIST_NULLS_HEAD(&head, 77);
	assert_null(muisp_flow_chain_find(&head, &k, 1, &nulls, NULL));
	assert_int_equal(nulls, 77);
	for (i = 0; i < 5; i++) {
		make_key(&k, i);
		spin_lock_init(&e[i].lock);
		muisp_flow_entry_init(&e[i], &k, 1, i + 1, 0, 0);
		hlist_nulls_add_head_rcu(&e[i].node, &head);
	}
	/* chain order is newest first: e[4] e[3] ... e[0] */
	make_key(&k, 4);
	probes = 0;
	assert_ptr_equal(muisp_flow_chain_find(&head, &k, 1, &nulls, &probes),
			 &e[4]);
	assert_int_equal(probes, 1);
	make_key(&k, 0);
	probes = 0;
	assert_ptr_equal(muisp_flow_chain_find(&head, &k, 1, &nulls, &probes),
			 &e[0]);
	assert_int_equal(probes, 5);
	/* another table's entry with the same key is not ours */
	nulls = 0;
	assert_null(muisp_flow_chain_find(&head, &k, 2, &nulls, NULL));
	assert_int_equal(nulls, 77);
	make_key(&miss, 99);
	probes = 0;
	assert_null(muisp_flow_chain_find(&head, &miss, 1, &nulls, &probes));
	assert_int_equal(probes, 5);
	/* unlink the middle one; the rest stay reachable */
	hlist_nulls_del_rcu(&e[2].node);
	make_key(&k, 2);
	assert_null(muisp_flow_chain_find(&head, &k, 1, &nulls, NULL));
	make_key(&k, 1);
	assert_ptr_equal(muisp_flow_chain_find(&head, &k, 1, &nulls, NULL),
			 &e[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_flow_hash_is_siphash13),
		cmocka_unit_test(test_key_init_v4),
		cmocka_unit_test(test_key_init_v6_and_bad_family),
		cmocka_unit_test(test_key_set_matches_init),
		cmocka_unit_test(test_key_equal_every_byte),
		cmocka_unit_test(test_hash_distribution),
		cmocka_unit_test(test_tcp_state),
		cmocka_unit_test(test_update_counts_and_flags),
		cmocka_unit_test(test_expiry_decisions),
		cmocka_unit_test(test_evict_order),
		cmocka_unit_test(test_record_snapshot),
		cmocka_unit_test(test_entry_layout),
		cmocka_unit_test(test_chain_find_and_nulls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
