// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the flow table's hash index (kmod/ft_index.h): position to
 * bucket and stripe, sizing and load bounds, and -- on the host model
 * (tests/bench/ft_model.c) -- a resize interleaved with inserts, ends,
 * lookups and dumps: no flow lost, duplicated or delivered twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "tests/bench/ft_model.h"

#define NS    1000000000ULL
#define NKEYS 20000

static const struct muisp_siphash_key seed = { .k = { 0x5eed, 0xf10e } };

static void key_n(struct muisp_flow_key *k, u32 i)
{
	u32 c = htonl(0x0a000000 | (i % 1000)), p = htonl(0xcb007101 + i);

	assert_int_equal(muisp_flow_key_init(k, AF_INET, IPPROTO_TCP, &c, &p,
					     htons((u16)(1024 + i / 1000)),
					     htons(443)),
			 0);
}

/* Every size cuts positions into ordered buckets, each inside a stripe. */
static void test_position_bucket_stripe(void **state)
{
	static const u32 sizes[] = { 1024, 2048, 3072, 7168, 61440, 1U << 25 };
	struct muisp_fti_tab t;
	u32 i, j, pos, b, prev;
	u64 x = 88172645463325252ULL;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		t.n = sizes[i];
		t.k = t.n / FTI_STRIPES;
		assert_int_equal(fti_bucket(&t, 0), 0);
		assert_int_equal(fti_bucket(&t, 0xffffffffU), t.n - 1);
		prev = 0;
		for (j = 0; j < 100000; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pos = (u32)x;
			b = fti_bucket(&t, pos);
			assert_true(b < t.n);
			assert_int_equal(b / t.k, fti_stripe(pos));
			/* the bucket's first position maps to it, the one
			 * before to the bucket before */
			assert_int_equal(fti_bucket(&t, fti_bucket_pos(&t, b)),
					 b);
			assert_true(fti_bucket_pos(&t, b) <= pos);
			if (b)
				assert_int_equal(
					fti_bucket(&t,
						   fti_bucket_pos(&t, b) - 1),
					b - 1);
			/* monotone */
			pos = (u32)(j * 42949u);
			assert_true(fti_bucket(&t, pos) >= prev);
			prev = fti_bucket(&t, pos);
		}
	}
}

static void test_sizing(void **state)
{
	u32 c, n;

	(void)state;
	assert_int_equal(fti_size(0), FTI_MIN_BUCKETS);
	assert_int_equal(fti_size(100), FTI_MIN_BUCKETS);
	assert_int_equal(fti_size(10000), 60416);
	assert_int_equal(fti_size(0xffffffffU), FTI_MAX_BUCKETS);
	assert_true(fti_size(MUISP_FT_MAX_MAX_FLOWS) <= FTI_MAX_BUCKETS);
	for (c = 1; c < 5000000; c = c * 5 / 4 + 1) {
		n = fti_size(c);
		assert_int_equal(n % FTI_STRIPES, 0);
		/* right after a resize the load is within bounds ... */
		assert_int_equal(fti_resize_to(c, n), 0);
		if (c >= FTI_MIN_BUCKETS / FTI_LOAD_INV)
			assert_true((u64)n <=
				    (u64)c * FTI_LOAD_INV + FTI_STRIPES);
		/* ... and a table leaves them only by resizing */
		assert_true(fti_resize_to(n / FTI_LOAD_MAX_INV + 1, n) > n ||
			    n == FTI_MAX_BUCKETS);
		if (n > FTI_MIN_BUCKETS)
			assert_true(fti_resize_to(n / FTI_LOAD_MIN_INV - 1, n) <
				    n);
	}
	assert_int_equal(fti_resize_to(0, FTI_MIN_BUCKETS), 0);
}

struct sink {
	unsigned int n;
	u64 bytes[NKEYS];
};

static u32 key_index(const struct muisp_flow_key *k)
{
	return ntohl(k->peer_addr[0]) - 0xcb007101;
}

static void sink_export(void *ctx, const struct muisp_flow_record *rec)
{
	struct sink *s = ctx;
	u32 i = key_index(&rec->key);

	assert_true(i < NKEYS);
	s->bytes[i] += rec->bytes[0];
	s->n++;
}

/* Grow and shrink while flows come, go and count packets: each flow stays
 * found exactly once, and the records account for every byte. */
static void test_resize_during_churn(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	u64 *sent = calloc(NKEYS, sizeof(u64));
	struct muisp_flow_key k;
	struct ft_model m;
	u32 i, live, round, next = 0, n;

	(void)state;
	assert_true(s && sent);
	assert_int_equal(ftm_init(&m, NKEYS, 1000, 10, &seed, sink_export, s),
			 0);
	m.manual_resize = 1;
	for (round = 0; round < 4; round++) {
		/* rounds 0, 1 grow, 2, 3 shrink */
		n = round < 2 ? fti_size(4000 * (round + 2)) :
				fti_size(1000 * (4 - round));
		assert_int_equal(ftm_resize_begin(&m, n), 0);
		assert_int_equal(ftm_resize_begin(&m, n), -EBUSY);
		while (m.future) {
			ftm_resize_step(&m, 37);
			for (i = 0; i < 200 && round < 2; i++, next++) {
				key_n(&k, next);
				assert_int_equal(ftm_account(&m, &k, 0, 10, 0,
							     1, 1 * NS),
						 0);
				sent[next] += 10;
			}
			/* every flow so far: found, counted once more */
			for (i = 0; i < next; i += 7) {
				key_n(&k, i);
				if (!ftm_lookup(&m, &k))
					continue; /* ended by a flush */
				assert_int_equal(ftm_account(&m, &k, 0, 1, 0, 1,
							     2 * NS),
						 0);
				sent[i] += 1;
			}
			/* end some: flush by contract after a rebind */
			for (i = round * 1000; i < round * 1000 + 50; i++) {
				key_n(&k, i);
				if (ftm_lookup(&m, &k)) {
					assert_int_equal(ftm_account(&m, &k, 0,
								     0, 0, 2,
								     3 * NS),
							 0);
				}
			}
			ftm_flush(&m, 2);
		}
		assert_int_equal(m.tab->n, n);
		/* each live flow exactly once, in its stripe's buckets */
		live = 0;
		for (i = 0; i < m.tab->n; i++) {
			struct hlist_nulls_node *p;
			struct muisp_flow_entry *e;

			hlist_nulls_for_each_entry_rcu(e, p, &m.tab->b[i],
						       node) {
				assert_int_equal(
					fti_bucket(m.tab,
						   fti_pos(muisp_flow_hash(
							   &e->key, &seed))),
					i);
				live++;
			}
		}
		assert_int_equal(live, m.count);
		assert_int_equal(m.count + m.exported, m.inserts);
	}
	assert_int_equal(m.resizes, 4);
	assert_int_equal(m.evictions, 0);
	ftm_destroy(&m);
	for (i = 0; i < next; i++)
		assert_int_equal(s->bytes[i], sent[i]);
	free(sent);
	free(s);
}

struct walk_ctx {
	unsigned int budget, n;
	u64 ids[NKEYS * 2];
};

static int walk_fn(void *arg, const struct muisp_flow_record *rec)
{
	struct walk_ctx *w = arg;

	if (!w->budget)
		return 1;
	w->budget--;
	assert_true(w->n < NKEYS * 2);
	w->ids[w->n++] = rec->flow_id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* A dump split over many messages while the table grows, then shrinks,
 * between and across them: each flow present throughout comes once. */
static void test_walk_across_resize(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct walk_ctx *w = calloc(1, sizeof(*w));
	u64 *stable = calloc(3000, sizeof(u64));
	struct ftm_cursor c = { 0 };
	struct muisp_flow_key k;
	struct ft_model m;
	u32 i, calls = 0, next = 3000;
	int ret;

	(void)state;
	assert_true(s && w && stable);
	assert_int_equal(ftm_init(&m, NKEYS, 1000, 10, &seed, sink_export, s),
			 0);
	m.manual_resize = 1;
	for (i = 0; i < 3000; i++) {
		key_n(&k, i);
		ftm_account(&m, &k, 0, 1, 0, 1, 1 * NS);
		stable[i] = ftm_lookup(&m, &k)->id;
	}
	do {
		w->budget = 11;
		ret = ftm_walk(&m, &c, walk_fn, w);
		calls++;
		if (calls == 20)
			ftm_resize_begin(&m, fti_size(12000));
		if (calls == 120)
			ftm_resize_begin(&m, FTI_MIN_BUCKETS);
		if (m.future)
			ftm_resize_step(&m, 29);
		/* churn: new flows that may or may not be delivered */
		if (next < NKEYS) {
			key_n(&k, next++);
			ftm_account(&m, &k, 0, 1, 0, 1, 1 * NS);
		}
	} while (ret);
	assert_int_equal(c.done, 1);
	assert_int_equal(m.resizes, 2);
	assert_true(calls > 270);
	qsort(w->ids, w->n, sizeof(u64), cmp_u64);
	for (i = 1; i < w->n; i++)
		assert_true(w->ids[i - 1] != w->ids[i]);
	/* the 3000 flows present throughout: all delivered */
	for (i = 0; i < 3000; i++)
		assert_non_null(bsearch(&stable[i], w->ids, w->n, sizeof(u64),
					cmp_u64));
	ftm_destroy(&m);
	assert_int_equal(s->n, m.inserts);
	free(stable);
	free(w);
	free(s);
}

/* The load bounds as the table follows the live flows up and down. */
static void test_follows_live_flows(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct muisp_flow_key k;
	struct ft_model m;
	u32 i;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ftm_init(&m, NKEYS, 100, 10, &seed, sink_export, s),
			 0);
	for (i = 0; i < NKEYS; i++) {
		key_n(&k, i);
		ftm_account(&m, &k, 0, 1, 0, 1, (i < 2000 ? 500 : 1) * NS);
		if (m.count >= FTI_MIN_BUCKETS) {
			assert_true(m.count * FTI_LOAD_MAX_INV <= m.tab->n);
			assert_true(m.count * FTI_LOAD_MIN_INV >= m.tab->n);
		}
	}
	assert_true(m.resizes > 5);
	/* 64 bytes of buckets per flow at most */
	assert_true(fti_tab_bytes(m.tab->n) <= 64 * (size_t)m.count + 64);
	/* all but 2000 idle out: the collector shrinks the table */
	assert_int_equal(ftm_gc(&m, 200 * NS), NKEYS - 2000);
	assert_int_equal(m.tab->n, fti_size(2000));
	ftm_destroy(&m);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_position_bucket_stripe),
		cmocka_unit_test(test_sizing),
		cmocka_unit_test(test_resize_during_churn),
		cmocka_unit_test(test_walk_across_resize),
		cmocka_unit_test(test_follows_live_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
