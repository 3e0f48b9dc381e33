// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the flow-table algorithms on the host model (tests/bench/
 * ft_model.c, which runs kmod/flow_core.c): exact accounting with
 * exactly-once export, eviction policy and counter, chain cap, time-outs,
 * TCP re-open, contract rebind, resumable walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "tests/bench/ft_model.h"

#define NS   1000000000ULL
#define MAXF 4096

static const struct muisp_siphash_key seed = { .k = { 0xabcdef, 0x123 } };

#define MAXREC 32768

struct sink {
	unsigned int n;
	struct muisp_flow_record rec[MAXREC];
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void sink_export(void *ctx, const struct muisp_flow_record *rec)
{
	struct sink *s = ctx;

	assert_true(s->n < MAXREC);
	s->rec[s->n++] = *rec;
}

static void key_n(struct muisp_flow_key *k, u32 i, u8 proto)
{
	u32 c = htonl(0xc0000200 | (i % 200)), p = htonl(0xc6336402);

	assert_int_equal(muisp_flow_key_init(k, AF_INET, proto, &c, &p,
					     htons((u16)(1024 + i / 200)),
					     htons(80)),
			 0);
}

/*
 * Keys key_n(i, proto) for i from *next on whose positions fall in the
 * first 1/1024 of the range: one bucket while the table has 1024.
 */
static void same_bucket_key(struct muisp_flow_key *k, u32 *next, u8 proto)
{
	for (;; (*next)++) {
		key_n(k, *next, proto);
		if (fti_pos(muisp_flow_hash(k, &seed)) < (1U << 22))
			break;
	}
	(*next)++;
}

static u32 key_index(const struct muisp_flow_key *k)
{
	return (ntohl(k->client_addr[0]) & 0xff) +
	       200 * (u32)(ntohs(k->client_port) - 1024);
}

/* Random traffic over 1000 flows with GC, flush and rebinds: the records
 * plus nothing else account for every packet exactly once. */
static void test_exact_once_accounting(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	u64 sent_b[1000][2] = { { 0 } }, sent_p[1000][2] = { { 0 } };
	u64 got_b[1000][2] = { { 0 } }, got_p[1000][2] = { { 0 } };
	u32 contract[1000];
	u64 *ids = calloc(MAXREC, sizeof(u64));
	struct muisp_flow_key k;
	struct ft_model m;
	u64 now = 1000 * NS;
	unsigned int i, f, d;

	(void)state;
	assert_true(s && ids);
	srandom(7);
	for (i = 0; i < 1000; i++)
		contract[i] = 1 + i % 5;
	assert_int_equal(ftm_init(&m, 800, 30, 5, &seed, sink_export, s), 0);
	for (i = 0; i < 20000; i++) {
		f = (u32)random() % 1000;
		d = (u32)random() & 1;
		key_n(&k, f, IPPROTO_UDP);
		now += (u64)(random() % 100) * 1000000ULL;
		if (random() % 997 == 0)
			contract[f] += 10; /* rebind */
		assert_int_equal(
			ftm_account(&m, &k, d, 40 + f, 0, contract[f], now), 0);
		sent_b[f][d] += 40 + f;
		sent_p[f][d]++;
		if (i % 3000 == 0)
			ftm_gc(&m, now);
		if (i == 10000)
			ftm_flush(&m, 3);
	}
	assert_true(m.count <= 800);
	assert_true(m.evictions > 0);
	assert_true(m.rebinds > 0);
	assert_true(m.flushed > 0);
	ftm_destroy(&m);
	assert_int_equal(m.count, 0);
	assert_int_equal(m.exported, s->n);
	assert_int_equal(m.inserts, s->n);
	assert_int_equal(m.evictions + m.expired_idle + m.expired_closed +
				 m.flushed + m.rebinds,
			 s->n);
	for (i = 0; i < s->n; i++) {
		f = key_index(&s->rec[i].key);
		assert_true(f < 1000);
		for (d = 0; d < 2; d++) {
			got_b[f][d] += s->rec[i].bytes[d];
			got_p[f][d] += s->rec[i].packets[d];
		}
		ids[i] = s->rec[i].flow_id;
	}
	/* flow ids are unique: every flow exported once */
	qsort(ids, s->n, sizeof(u64), cmp_u64);
	for (i = 1; i < s->n; i++)
		assert_true(ids[i - 1] != ids[i]);
	for (f = 0; f < 1000; f++)
		for (d = 0; d < 2; d++) {
			assert_int_equal(got_b[f][d], sent_b[f][d]);
			assert_int_equal(got_p[f][d], sent_p[f][d]);
		}
	free(ids);
	free(s);
}

/* Flows of one bucket: the probe window covers them all, so the policy
 * is exact: timed-out, then closed, then least recently seen. */
static void test_eviction_policy(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct muisp_flow_key k[6];
	struct ft_model m;
	unsigned int i;
	u32 next = 0;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 6; i++)
		same_bucket_key(&k[i], &next, IPPROTO_TCP);
	assert_int_equal(ftm_init(&m, 3, 100, 10, &seed, sink_export, s), 0);
	assert_int_equal(m.tab->n, FTI_MIN_BUCKETS);
	assert_int_equal(ftm_account(&m, &k[0], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 1 * NS),
			 0);
	assert_int_equal(ftm_account(&m, &k[1], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 2 * NS),
			 0);
	assert_int_equal(ftm_account(&m, &k[1], MUISP_DIR_UP, 40, MUISP_TCP_RST,
				     1, 3 * NS),
			 0);
	assert_int_equal(ftm_account(&m, &k[2], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 4 * NS),
			 0);
	assert_int_equal(m.count, 3);
	/* full: the closed flow k1 goes first, though k0 is older */
	assert_int_equal(ftm_account(&m, &k[3], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 5 * NS),
			 0);
	assert_int_equal(s->n, 1);
	assert_true(muisp_flow_key_equal(&s->rec[0].key, &k[1]));
	assert_int_equal(s->rec[0].end_reason, MUISP_FLOW_END_EVICTED);
	assert_int_equal(s->rec[0].bytes[MUISP_DIR_UP], 100);
	assert_int_equal(s->rec[0].packets[MUISP_DIR_UP], 2);
	/* then least recently seen: k0 */
	assert_int_equal(ftm_account(&m, &k[4], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 6 * NS),
			 0);
	assert_int_equal(s->n, 2);
	assert_true(muisp_flow_key_equal(&s->rec[1].key, &k[0]));
	/* k2 refreshed: now k3 is the oldest */
	assert_int_equal(
		ftm_account(&m, &k[2], MUISP_DIR_DOWN, 60, 0, 1, 7 * NS), 0);
	assert_int_equal(ftm_account(&m, &k[5], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				     1, 8 * NS),
			 0);
	assert_int_equal(s->n, 3);
	assert_true(muisp_flow_key_equal(&s->rec[2].key, &k[3]));
	assert_int_equal(m.evictions, 3);
	assert_int_equal(m.count, 3);
	assert_int_equal(m.full_drops, 0);
	ftm_destroy(&m);
	assert_int_equal(s->n, 6);
	assert_int_equal(m.flushed, 3);
	free(s);
}

static unsigned int chain_len(struct muisp_fti_tab *t, u32 b)
{
	struct hlist_nulls_node *n;
	struct muisp_flow_entry *e;
	unsigned int chain = 0;

	hlist_nulls_for_each_entry_rcu(e, n, &t->b[b], node)
		chain++;
	return chain;
}

/* Flooding one bucket: chains stop at 16, or at 128 while the table is
 * over its load (a grow pending), evicting within the chain. */
static void test_chain_cap(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct muisp_flow_key k;
	struct ft_model m;
	unsigned int i;
	u32 next = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ftm_init(&m, 100000, 10000, 10, &seed, sink_export, s),
			 0);
	m.manual_resize = 1; /* as a collector that has not run yet */
	for (i = 0; i < 40; i++) {
		same_bucket_key(&k, &next, IPPROTO_UDP);
		assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 100, 0, 1,
					     (1 + i) * NS),
				 0);
		assert_true(chain_len(m.tab, 0) <= FTI_CHAIN_MAX);
	}
	assert_int_equal(chain_len(m.tab, 0), FTI_CHAIN_MAX);
	assert_int_equal(m.count, FTI_CHAIN_MAX);
	assert_int_equal(m.evictions, 40 - FTI_CHAIN_MAX);
	/* the oldest went first */
	assert_int_equal(s->n, m.evictions);
	assert_true(s->rec[0].first_ns == 1 * NS);
	/* over the load (count > n / 5): the chain may grow to 128 */
	for (i = 0; m.count <= m.tab->n / FTI_LOAD_MAX_INV; i++) {
		key_n(&k, 1000000 + i, IPPROTO_TCP);
		assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 1, 0, 1,
					     100 * NS),
				 0);
	}
	for (i = 0; i < 300; i++) {
		same_bucket_key(&k, &next, IPPROTO_UDP);
		assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 100, 0, 1,
					     (200 + i) * NS),
				 0);
		assert_true(chain_len(m.tab, 0) <= FTI_CHAIN_MAX_GROWING);
	}
	assert_int_equal(chain_len(m.tab, 0), FTI_CHAIN_MAX_GROWING);
	/* the collector grows the table: the chain spreads out */
	m.manual_resize = 0;
	assert_int_equal(ftm_gc(&m, 600 * NS), 0);
	assert_true(m.tab->n > FTI_MIN_BUCKETS);
	assert_true(chain_len(m.tab, 0) < FTI_CHAIN_MAX_GROWING);
	ftm_destroy(&m);
	assert_int_equal(m.exported, s->n);
	free(s);
}

/* A lowered cap is reached as new flows arrive: each evicts two. */
static void test_lowered_cap(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct muisp_flow_key k;
	struct ft_model m;
	unsigned int i;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ftm_init(&m, 100, 100, 10, &seed, sink_export, s), 0);
	for (i = 0; i < 100; i++) {
		key_n(&k, i, IPPROTO_UDP);
		assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 10, 0, 1,
					     (1 + i) * NS),
				 0);
	}
	assert_int_equal(m.count, 100);
	m.max_flows = 50; /* as muisp_ft_set_params() */
	for (i = 100; i < 150; i++) {
		key_n(&k, i, IPPROTO_UDP);
		assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 10, 0, 1,
					     (1 + i) * NS),
				 0);
		assert_int_equal(m.count, 100 - (i - 99));
	}
	assert_int_equal(m.count, 50);
	assert_int_equal(m.evictions, 100);
	/* at the cap now: one for one */
	key_n(&k, 150, IPPROTO_UDP);
	assert_int_equal(ftm_account(&m, &k, MUISP_DIR_UP, 10, 0, 1, 200 * NS),
			 0);
	assert_int_equal(m.count, 50);
	assert_int_equal(m.evictions, 101);
	assert_int_equal(s->n, 101);
	ftm_destroy(&m);
	free(s);
}

static void test_timeouts_and_reopen(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct muisp_flow_key a, b, c;
	struct ft_model m;

	(void)state;
	assert_non_null(s);
	key_n(&a, 1, IPPROTO_TCP);
	key_n(&b, 2, IPPROTO_TCP);
	key_n(&c, 3, IPPROTO_UDP);
	assert_int_equal(ftm_init(&m, 100, 60, 5, &seed, sink_export, s), 0);
	ftm_account(&m, &a, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 1, 100 * NS);
	ftm_account(&m, &a, MUISP_DIR_DOWN, 60, MUISP_TCP_SYN | MUISP_TCP_ACK,
		    1, 100 * NS);
	ftm_account(&m, &a, MUISP_DIR_UP, 52, MUISP_TCP_FIN | MUISP_TCP_ACK, 1,
		    101 * NS);
	ftm_account(&m, &a, MUISP_DIR_DOWN, 52, MUISP_TCP_FIN | MUISP_TCP_ACK,
		    1, 102 * NS);
	ftm_account(&m, &b, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 1, 100 * NS);
	ftm_account(&m, &b, MUISP_DIR_UP, 60, MUISP_TCP_FIN, 1, 101 * NS);
	ftm_account(&m, &c, MUISP_DIR_UP, 1000, 0, 1, 100 * NS);
	ftm_account(&m, &c, MUISP_DIR_DOWN, 500, 0, 1, 130 * NS);
	/* closed flow a ends 5 s after its last packet, not before */
	assert_int_equal(ftm_gc(&m, 106 * NS), 0);
	assert_int_equal(ftm_gc(&m, 107 * NS), 1);
	assert_int_equal(s->rec[0].end_reason, MUISP_FLOW_END_CLOSED);
	assert_int_equal(s->rec[0].packets[0], 2);
	assert_int_equal(s->rec[0].packets[1], 2);
	assert_int_equal(s->rec[0].bytes[0], 112);
	/* half-closed b and active c follow the idle time-out */
	assert_int_equal(ftm_gc(&m, 160 * NS), 0);
	assert_int_equal(ftm_gc(&m, 161 * NS), 1);
	assert_int_equal(s->rec[1].end_reason, MUISP_FLOW_END_IDLE);
	assert_true(muisp_flow_key_equal(&s->rec[1].key, &b));
	assert_int_equal(ftm_gc(&m, 189 * NS), 0);
	assert_int_equal(ftm_gc(&m, 190 * NS), 1);
	assert_int_equal(s->rec[2].bytes[0], 1000);
	assert_int_equal(s->rec[2].bytes[1], 500);
	assert_int_equal(s->rec[2].first_ns, 100 * NS);
	assert_int_equal(s->rec[2].last_ns, 130 * NS);
	/* a new SYN on a RST-closed 5-tuple starts a new flow */
	ftm_account(&m, &a, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 1, 200 * NS);
	ftm_account(&m, &a, MUISP_DIR_DOWN, 40, MUISP_TCP_RST, 1, 200 * NS);
	ftm_account(&m, &a, MUISP_DIR_DOWN, 40, MUISP_TCP_ACK, 1, 201 * NS);
	assert_int_equal(s->n, 3);
	ftm_account(&m, &a, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 1, 202 * NS);
	assert_int_equal(s->n, 4);
	assert_int_equal(s->rec[3].end_reason, MUISP_FLOW_END_CLOSED);
	assert_int_equal(s->rec[3].packets[1], 2);
	assert_int_equal(m.count, 1);
	assert_int_equal(m.expired_closed, 2);
	assert_int_equal(m.expired_idle, 2);
	ftm_destroy(&m);
	assert_int_equal(s->rec[4].packets[0], 1);
	assert_int_equal(s->rec[4].end_reason, MUISP_FLOW_END_FLUSH);
	free(s);
}

struct walk_ctx {
	unsigned int budget; /* records accepted before "skb full" */
	unsigned int n;
	u64 ids[MAXF];
	u32 contract[MAXF];
};

static int walk_fn(void *arg, const struct muisp_flow_record *rec)
{
	struct walk_ctx *w = arg;

	if (!w->budget)
		return 1;
	w->budget--;
	assert_true(w->n < MAXF);
	w->contract[w->n] = rec->contract_id;
	w->ids[w->n++] = rec->flow_id;
	return 0;
}

/* A dump split over many "messages", with flows created and ended
 * between them: each flow alive for the whole dump comes exactly once. */
static void test_walk_resume(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct walk_ctx *w = calloc(1, sizeof(*w));
	u64 *stable = calloc(MAXF, sizeof(u64));
	struct ftm_cursor c = { 0 };
	struct hlist_nulls_node *n;
	struct muisp_flow_entry *e;
	struct muisp_flow_key k;
	struct ft_model m;
	unsigned int i, nstable = 0, calls = 0, next = 1000, found;
	int ret;
	u32 sb = 0;

	(void)state;
	assert_true(s && w && stable);
	assert_int_equal(ftm_init(&m, 3000, 100, 10, &seed, sink_export, s), 0);
	/* a chain of 12: resumes mid-chain */
	for (i = 0; i < 256; i++) {
		if (i < 12)
			same_bucket_key(&k, &sb, IPPROTO_TCP);
		else
			key_n(&k, i, IPPROTO_UDP);
		/* contract 9 flows will be flushed during the dump */
		ftm_account(&m, &k, MUISP_DIR_UP, 100, 0, i % 4 ? 1 : 9,
			    1 * NS);
	}
	for (i = 0; i < m.tab->n; i++)
		hlist_nulls_for_each_entry_rcu(e, n, &m.tab->b[i], node)
			if (e->payer->id == 1)
				stable[nstable++] = e->id;
	assert_int_equal(m.evictions, 0);
	assert_int_equal(nstable, 192);
	do {
		w->budget = 7;
		ret = ftm_walk(&m, &c, walk_fn, w);
		calls++;
		/* churn between messages */
		key_n(&k, next++, IPPROTO_UDP);
		ftm_account(&m, &k, MUISP_DIR_UP, 1, 0, 2, 2 * NS);
		if (calls == 5)
			ftm_flush(&m, 9);
	} while (ret);
	assert_true(calls > 30);
	assert_int_equal(c.done, 1);
	/* no duplicates */
	qsort(w->ids, w->n, sizeof(u64), cmp_u64);
	for (i = 1; i < w->n; i++)
		assert_true(w->ids[i - 1] != w->ids[i]);
	/* every stable flow delivered */
	for (i = 0; i < nstable; i++) {
		found = bsearch(&stable[i], w->ids, w->n, sizeof(u64),
				cmp_u64) != NULL;
		assert_true(found);
	}
	/* a finished walk stays finished */
	w->budget = 100;
	found = w->n;
	assert_int_equal(ftm_walk(&m, &c, walk_fn, w), 0);
	assert_int_equal(w->n, found);
	ftm_destroy(&m);
	free(stable);
	free(w);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_once_accounting),
		cmocka_unit_test(test_eviction_policy),
		cmocka_unit_test(test_chain_cap),
		cmocka_unit_test(test_lowered_cap),
		cmocka_unit_test(test_timeouts_and_reopen),
		cmocka_unit_test(test_walk_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
