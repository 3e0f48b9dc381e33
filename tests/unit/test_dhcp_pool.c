// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd address pool: FIFO order, quarantine (and its list),
 * exclusions, reservations, deadline heap, client hash, the offer count
 * and the hook called when an offer ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/dhcpd/pool.h"

#define A(x) (0xc0000200u + (x)) /* 192.0.2.x */

static struct pool p;

static struct client_key key(uint8_t n)
{
	struct client_key k = { .len = 3, .k = { 'H', 1, n } };

	return k;
}

static int setup(void **state)
{
	struct pool_range r[2] = { { A(10), A(13), 0 }, { A(20), A(21), 0 } };

	return pool_init(&p, r, 2);
}

static int teardown(void **state)
{
	pool_free(&p);
	return 0;
}

/* The FIFO as a list of last octets, 0-terminated. */
static void fifo(uint32_t *out)
{
	uint32_t i;
	int n = 0;

	for (i = pool_fifo_head(&p); i != POOL_NONE; i = p.a[i].next)
		out[n++] = p.a[i].addr - A(0);
	out[n] = 0;
}

#define assert_fifo(...)                                                \
	do {                                                            \
		uint32_t got_[16], want_[] = { __VA_ARGS__, 0 };        \
		fifo(got_);                                             \
		assert_memory_equal(got_, want_, sizeof(want_));        \
		assert_int_equal(p.nfree,                               \
				 sizeof(want_) / sizeof(want_[0]) - 1); \
	} while (0)

static void test_index(void **state)
{
	assert_int_equal(p.n, 6);
	assert_int_equal(pool_index(&p, A(10)), 0);
	assert_int_equal(pool_index(&p, A(13)), 3);
	assert_int_equal(pool_index(&p, A(20)), 4);
	assert_int_equal(pool_index(&p, A(21)), 5);
	assert_int_equal(pool_index(&p, A(14)), POOL_NONE);
	assert_int_equal(pool_index(&p, A(9)), POOL_NONE);
	assert_int_equal(pool_index(&p, A(22)), POOL_NONE);
}

static void test_fifo_order(void **state)
{
	struct client_key k1 = key(1), k2 = key(2), k3 = key(3);
	uint32_t i;

	assert_fifo(10, 11, 12, 13, 20, 21);
	i = pool_fifo_head(&p);
	pool_lease(&p, i, &k1, 0, 100);
	pool_lease(&p, pool_fifo_head(&p), &k2, 0, 100);
	pool_lease(&p, pool_fifo_head(&p), &k3, 0, 100);
	assert_fifo(13, 20, 21);
	/* Release 11, then 10: they queue behind the never-used ones. */
	pool_unallocate(&p, pool_index(&p, A(11)));
	pool_unallocate(&p, pool_index(&p, A(10)));
	assert_fifo(13, 20, 21, 11, 10);
	assert_true(p.a[pool_index(&p, A(11))].seq <
		    p.a[pool_index(&p, A(10))].seq);
	assert_int_equal(p.a[pool_index(&p, A(10))].state, ADDR_FREE);
	/* The last holder is remembered, but not in the hash. */
	assert_int_equal(pool_client_find(&p, &k1), POOL_NONE);
	assert_memory_equal(p.a[pool_index(&p, A(10))].key.k, k1.k, 3);
}

static void test_offer_expiry_returns_to_head(void **state)
{
	struct client_key k1 = key(1);
	uint32_t i = pool_fifo_head(&p);

	pool_offer(&p, i, &k1, 50);
	assert_int_equal(p.a[i].state, ADDR_OFFERED);
	assert_fifo(11, 12, 13, 20, 21);
	assert_int_equal(pool_client_find(&p, &k1), i);
	pool_unallocate(&p, i);
	assert_fifo(10, 11, 12, 13, 20, 21);
	assert_int_equal(p.a[i].seq, 0);
}

/* The rotation cursor walks the FIFO, wraps at the tail, and steps back
 * when its slot leaves: the next rotation is still that slot's successor. */
static void test_fifo_rotate(void **state)
{
	struct client_key k1 = key(1);

	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(10)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(11)));
	/* 11 leased, then 10 offered: the cursor goes before the head. */
	pool_lease(&p, pool_index(&p, A(11)), &k1, 0, 100);
	assert_int_equal(p.rot, pool_index(&p, A(10)));
	pool_offer(&p, pool_fifo_head(&p), &k1, 50);
	assert_int_equal(p.rot, POOL_NONE);
	assert_fifo(12, 13, 20, 21);
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(12)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(13)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(20)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(21)));
	/* The expired offer goes back to the head; after the tail, the
	 * rotation wraps to it. */
	pool_unallocate(&p, pool_index(&p, A(10)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(10)));
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(12)));
	/* An address offered without a hold loses that on leaving. */
	p.a[pool_index(&p, A(12))].unheld = 80;
	pool_quarantine(&p, pool_index(&p, A(12)), 90);
	assert_int_equal(p.a[pool_index(&p, A(12))].unheld, 0);
	assert_int_equal(pool_fifo_rotate(&p), pool_index(&p, A(13)));
}

static void test_quarantine(void **state)
{
	struct client_key k1 = key(1);
	uint32_t i = pool_index(&p, A(12));

	pool_offer(&p, i, &k1, 50);
	pool_lease(&p, i, &k1, 10, 100);
	pool_quarantine(&p, i, 600);
	assert_int_equal(p.a[i].state, ADDR_QUARANTINE);
	assert_int_equal(pool_client_find(&p, &k1), POOL_NONE);
	assert_fifo(10, 11, 13, 20, 21);
	assert_int_equal(pool_deadline_top(&p), i);
	assert_int_equal(p.a[i].deadline, 600);
	/* Quarantine over: back at the tail, not the head. */
	pool_unallocate(&p, i);
	assert_fifo(10, 11, 13, 20, 21, 12);
	assert_int_equal(pool_deadline_top(&p), POOL_NONE);
}

/* The quarantine list, oldest first; its links do not touch the FIFO's. */
static void test_quarantine_list(void **state)
{
	uint32_t a = pool_index(&p, A(12)), b = pool_index(&p, A(10)),
		 c = pool_index(&p, A(21));

	pool_quarantine(&p, a, 600);
	pool_quarantine(&p, b, 500); /* later, with an earlier deadline */
	pool_quarantine(&p, c, 700);
	assert_int_equal(p.nquar, 3);
	assert_int_equal(pool_quarantine_oldest(&p), a);
	assert_fifo(11, 13, 20);
	/* Ending one in the middle keeps the order of the rest. */
	pool_unallocate(&p, b);
	assert_int_equal(p.nquar, 2);
	assert_int_equal(pool_quarantine_oldest(&p), a);
	assert_fifo(11, 13, 20, 10);
	pool_unallocate(&p, a);
	assert_int_equal(pool_quarantine_oldest(&p), c);
	assert_fifo(11, 13, 20, 10, 12);
	/* Quarantined again: to the tail of the list. */
	pool_quarantine(&p, a, 800);
	pool_quarantine(&p, c, 900);
	assert_int_equal(pool_quarantine_oldest(&p), a);
	pool_exclude(&p, a);
	assert_int_equal(p.nquar, 1);
	assert_int_equal(pool_quarantine_oldest(&p), c);
	pool_lease(&p, c, &(struct client_key){ .len = 1, .k = { 'x' } }, 0,
		   100);
	assert_int_equal(p.nquar, 0);
	assert_int_equal(pool_quarantine_oldest(&p), POOL_NONE);
	assert_fifo(11, 13, 20, 10);
}

static uint32_t ended[16], nended;

static void on_end(void *ctx, struct pool *q, uint32_t i)
{
	assert_ptr_equal(ctx, &p);
	assert_ptr_equal(q, &p);
	assert_int_equal(q->a[i].state, ADDR_OFFERED);
	ended[nended++] = q->a[i].charge;
}

/* Every way out of OFFERED calls offer_end once, with the charge. */
static void test_offer_end_hook(void **state)
{
	struct client_key k1 = key(1), k2 = key(2);
	uint32_t i = pool_index(&p, A(10)), j = pool_index(&p, A(11)),
		 l = pool_index(&p, A(12)), m = pool_index(&p, A(13));

	p.offer_end = on_end;
	p.offer_end_ctx = &p;
	nended = 0;
	pool_offer(&p, i, &k1, 50);
	p.a[i].charge = 7;
	pool_offer(&p, i, &k1, 60); /* again: still one offer */
	assert_int_equal(p.noffered, 1);
	assert_int_equal(nended, 0);
	pool_lease(&p, i, &k1, 0, 100);
	pool_offer(&p, j, &k2, 50);
	p.a[j].charge = 8;
	pool_unallocate(&p, j);
	pool_offer(&p, l, &k2, 50);
	p.a[l].charge = 9;
	pool_quarantine(&p, l, 600);
	pool_offer(&p, m, &k2, 50);
	p.a[m].charge = 10;
	pool_exclude(&p, m);
	assert_int_equal(nended, 4);
	assert_int_equal(ended[0], 7);
	assert_int_equal(ended[1], 8);
	assert_int_equal(ended[2], 9);
	assert_int_equal(ended[3], 10);
	assert_int_equal(p.noffered, 0);
	assert_int_equal(p.a[i].charge, POOL_NONE);
	/* Leaving other states calls nothing. */
	pool_unallocate(&p, i);
	pool_unallocate(&p, l);
	assert_int_equal(nended, 4);
}

static void test_exclude_and_reserve(void **state)
{
	struct client_key k1 = key(1);
	uint32_t x = pool_index(&p, A(11)), r = pool_index(&p, A(20));

	pool_exclude(&p, x);
	pool_reserve(&p, r);
	assert_fifo(10, 12, 13, 21);
	assert_int_equal(p.a[x].state, ADDR_EXCLUDED);
	assert_int_equal(p.a[r].state, ADDR_RESERVED);
	pool_lease(&p, r, &k1, 0, 100);
	assert_int_equal(pool_client_find(&p, &k1), r);
	pool_unallocate(&p, r);
	assert_int_equal(p.a[r].state, ADDR_RESERVED);
	assert_fifo(10, 12, 13, 21);
	/* An excluded address that was leased (config changed) never
	 * enters the FIFO when its lease ends. */
	pool_lease(&p, x, &k1, 0, 100);
	pool_unallocate(&p, x);
	assert_int_equal(p.a[x].state, ADDR_EXCLUDED);
	assert_fifo(10, 12, 13, 21);
}

static void test_heap_order_and_rekey(void **state)
{
	struct client_key k[6];
	uint32_t i, order[6];
	int64_t dl[6] = { 500, 100, 300, 200, 600, 400 };
	int n;

	for (i = 0; i < 6; i++) {
		k[i] = key((uint8_t)(i + 1));
		pool_lease(&p, i, &k[i], 0, dl[i]);
	}
	assert_int_equal(p.nheap, 6);
	assert_int_equal(pool_deadline_top(&p), 1);
	/* Renewal re-keys in place: slot 1 now last. */
	pool_lease(&p, 1, &k[1], 0, 700);
	assert_int_equal(p.nheap, 6);
	assert_int_equal(pool_deadline_top(&p), 3);
	pool_deadline_clear(&p, 2);
	for (n = 0; (i = pool_deadline_top(&p)) != POOL_NONE; n++) {
		order[n] = i;
		pool_deadline_clear(&p, i);
	}
	assert_int_equal(n, 5);
	assert_int_equal(order[0], 3); /* 200 */
	assert_int_equal(order[1], 5); /* 400 */
	assert_int_equal(order[2], 0); /* 500 */
	assert_int_equal(order[3], 4); /* 600 */
	assert_int_equal(order[4], 1); /* 700 */
}

/* Random operations against a brute-force model of the minimum. */
static void test_heap_random(void **state)
{
	struct pool big;
	struct pool_range r = { 1, 512, 0 };
	uint32_t seed = 12345, i, j;
	int64_t model[512];
	int step;

	assert_int_equal(pool_init(&big, &r, 1), 0);
	for (i = 0; i < 512; i++)
		model[i] = -1;
	for (step = 0; step < 20000; step++) {
		int64_t best = -1;
		uint32_t top;

		seed = seed * 1103515245u + 12345u;
		i = (seed >> 8) % 512;
		if ((seed >> 4) % 3) {
			int64_t d = (seed >> 12) % 100000;

			pool_deadline_set(&big, i, d);
			model[i] = d;
		} else {
			pool_deadline_clear(&big, i);
			model[i] = -1;
		}
		for (j = 0; j < 512; j++)
			if (model[j] >= 0 && (best < 0 || model[j] < best))
				best = model[j];
		top = pool_deadline_top(&big);
		if (best < 0) {
			assert_int_equal(top, POOL_NONE);
		} else {
			assert_int_not_equal(top, POOL_NONE);
			assert_int_equal(big.a[top].deadline, best);
		}
	}
	pool_free(&big);
}

static void test_client_hash(void **state)
{
	struct client_key k1 = key(1), k2 = key(2);
	struct client_key id = { .len = 4, .k = { 'I', 1, 2, 3 } };

	pool_offer(&p, 0, &k1, 10);
	pool_offer(&p, 1, &k2, 10);
	pool_offer(&p, 2, &id, 10);
	assert_int_equal(pool_client_find(&p, &k1), 0);
	assert_int_equal(pool_client_find(&p, &k2), 1);
	assert_int_equal(pool_client_find(&p, &id), 2);
	/* A client moving to another slot leaves the old one unhashed. */
	pool_lease(&p, 3, &k1, 0, 100);
	assert_int_equal(pool_client_find(&p, &k1), 3);
	pool_unallocate(&p, 1);
	assert_int_equal(pool_client_find(&p, &k2), POOL_NONE);
	assert_int_equal(pool_client_find(&p, &id), 2);
}

static void test_limits(void **state)
{
	struct pool q;
	struct pool_range huge = { 0x0a000000, 0x0a010000, 0 }; /* 65537 */

	assert_int_equal(pool_init(&q, &huge, 1), -1);
	huge.last = 0x0a00ffff;
	assert_int_equal(pool_init(&q, &huge, 1), 0);
	assert_int_equal(q.nfree, 65536);
	pool_free(&q);
	assert_string_equal(addr_state_str(ADDR_QUARANTINE), "quarantine");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fifo_rotate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_offer_expiry_returns_to_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offer_end_hook, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exclude_and_reserve, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_heap_order_and_rekey,
						setup, teardown),
		cmocka_unit_test(test_heap_random),
		cmocka_unit_test_setup_teardown(test_client_hash, setup,
						teardown),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
