// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/quota.c (per-CPU quota slices): the limits hit
 * exactly, one byte over refused, the soft limit crossed once, limit
 * changes and restores, slots that hold slices while others reach the
 * limit, and threads standing for CPUs charging one pool at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <pthread.h>
#include <cmocka.h>

#include "kmod/quota.h"

#define NCPU 4

static const struct muisp_quota_par par = {
	.slice_min = 4096,
	.slice_max = 1 << 16,
};

/* host_shim.h: the slots of MUISP_HOST_NR_CPUS CPUs, NCPU of them used */
struct pool {
	struct muisp_quota q;
	struct muisp_quota_cpu slot[MUISP_HOST_NR_CPUS];
};

static void pool_init(struct pool *p, u64 soft, u64 hard)
{
	memset(p, 0, sizeof(*p));
	muisp_quota_init(&p->q, NCPU, 0, soft, hard);
}

static enum muisp_charge charge(struct pool *p, unsigned int cpu, u64 cost)
{
	return muisp_quota_charge(&p->q, p->slot, &p->slot[cpu], cost, &par);
}

static bool passed(enum muisp_charge r)
{
	return r == MUISP_CHARGE_PASS || r == MUISP_CHARGE_PASS_SOFT ||
	       r == MUISP_CHARGE_PASS_HARD;
}

static u64 unused(struct pool *p)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < NCPU; i++)
		n += atomic64_read(&p->slot[i].left);
	return n;
}

static void test_shift_from_cpus(void **state)
{
	struct muisp_quota q;

	(void)state;
	muisp_quota_init(&q, 1, 0, 0, 0);
	assert_int_equal(q.shift, 1);
	muisp_quota_init(&q, 4, 0, 0, 0);
	assert_int_equal(q.shift, 3);
	muisp_quota_init(&q, 5, 0, 0, 0);
	assert_int_equal(q.shift, 4);
}

static void test_no_limit_fast_path(void **state)
{
	struct pool p;
	u64 i;

	(void)state;
	pool_init(&p, 0, 0);
	/* the first charge decides (tail), then one slice for many */
	assert_int_equal(charge(&p, 0, 1500), MUISP_CHARGE_PASS);
	assert_int_equal(charge(&p, 0, 1500), MUISP_CHARGE_PASS);
	assert_int_equal(p.q.tail, 0);
	assert_int_equal(muisp_quota_granted(&p.q), 1500 + par.slice_max);
	for (i = 0; i < 40; i++)
		assert_int_equal(charge(&p, 0, 1500), MUISP_CHARGE_PASS);
	/* 42 packets of 1500 B: one slice of 64 KiB */
	assert_int_equal(muisp_quota_granted(&p.q), 1500 + par.slice_max);
	assert_int_equal(muisp_quota_granted(&p.q) - unused(&p), 42 * 1500);
	assert_int_equal(charge(&p, 1, 0), MUISP_CHARGE_PASS);
}

static void test_hard_limit_hit_exactly(void **state)
{
	struct pool p;
	u64 total = 0;
	int i;

	(void)state;
	pool_init(&p, 0, 100000);
	for (i = 0; i < 99; i++) {
		assert_int_equal(charge(&p, i % NCPU, 1000), MUISP_CHARGE_PASS);
		total += 1000;
		assert_true(muisp_quota_granted(&p.q) <= 100000);
	}
	assert_int_equal(charge(&p, 0, 1000), MUISP_CHARGE_PASS_HARD);
	total += 1000;
	assert_int_equal(total, 100000);
	assert_int_equal(muisp_quota_granted(&p.q), 100000);
	assert_int_equal(unused(&p), 0);
	assert_int_equal(charge(&p, 1, 1), MUISP_CHARGE_DROP_HARD);
	assert_int_equal(muisp_quota_granted(&p.q), 100000);
}

static void test_one_byte_over_refused(void **state)
{
	struct pool p;

	(void)state;
	pool_init(&p, 0, 10000);
	assert_int_equal(charge(&p, 0, 9999), MUISP_CHARGE_PASS);
	assert_int_equal(charge(&p, 1, 2), MUISP_CHARGE_DROP_HARD);
	assert_int_equal(charge(&p, 2, 2), MUISP_CHARGE_DROP_HARD);
	assert_int_equal(muisp_quota_granted(&p.q), 9999);
	assert_int_equal(charge(&p, 3, 1), MUISP_CHARGE_PASS_HARD);
	assert_int_equal(charge(&p, 0, 1), MUISP_CHARGE_DROP_HARD);
	assert_int_equal(muisp_quota_granted(&p.q), 10000);
}

/* A CPU keeps a slice it does not use: the others still reach the limit. */
static void test_idle_slice_reclaimed(void **state)
{
	struct pool p;
	u64 total = 0;
	enum muisp_charge r;
	unsigned int cpu = 1;

	(void)state;
	pool_init(&p, 0, 1 << 20);
	assert_true(passed(charge(&p, 0, 1))); /* first: exact */
	assert_true(passed(charge(&p, 0, 1))); /* takes a slice */
	total += 2;
	assert_true(atomic64_read(&p.slot[0].left) > 0);
	for (;;) {
		r = charge(&p, cpu, 1500);
		if (!passed(r))
			break;
		total += 1500;
		assert_true(total <= 1 << 20);
		cpu = cpu % (NCPU - 1) + 1; /* CPUs 1..3 */
	}
	assert_int_equal(r, MUISP_CHARGE_DROP_HARD);
	/* refused only when the exact usage leaves no room */
	assert_true(total + 1500 > 1 << 20);
	assert_int_equal(atomic64_read(&p.slot[0].left), 0);
	assert_int_equal(muisp_quota_granted(&p.q), total);
	/* the rest, byte by byte, from any CPU */
	while ((r = charge(&p, 0, 1)) == MUISP_CHARGE_PASS)
		total++;
	assert_int_equal(r, MUISP_CHARGE_PASS_HARD);
	assert_int_equal(total + 1, 1 << 20);
}

static void test_soft_limit_once(void **state)
{
	struct pool p;
	u64 total = 0;
	enum muisp_charge r;
	int soft_seen = 0, i;

	(void)state;
	pool_init(&p, 500000, 1000000);
	for (i = 0; total < 500000; i++) {
		r = charge(&p, i % NCPU, 1499);
		assert_true(passed(r));
		if (r == MUISP_CHARGE_PASS_SOFT) {
			soft_seen++;
			/* the packet that crosses the soft limit, exactly */
			assert_true(total < 500000 && total + 1499 >= 500000);
		}
		total += 1499;
	}
	assert_int_equal(soft_seen, 1);
	assert_int_equal(muisp_quota_granted(&p.q), total);
	/* past the soft limit: refused until the limits change */
	assert_int_equal(charge(&p, 2, 1), MUISP_CHARGE_DROP_SOFT);
	assert_int_equal(charge(&p, 3, 1), MUISP_CHARGE_DROP_SOFT);
}

static void test_limit_change_and_restore(void **state)
{
	struct pool p;
	int i;

	(void)state;
	pool_init(&p, 0, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(charge(&p, i % NCPU, 50), MUISP_CHARGE_PASS);
	assert_true(unused(&p) > 0);
	/* a hard limit 1000 above the usage: slices come back */
	muisp_quota_hold(&p.q, p.slot);
	assert_int_equal(unused(&p), 0);
	assert_int_equal(muisp_quota_granted(&p.q), 5000);
	muisp_quota_release(&p.q, 0, 0, 6000, &par);
	for (i = 0; i < 19; i++)
		assert_int_equal(charge(&p, i % NCPU, 50), MUISP_CHARGE_PASS);
	assert_int_equal(charge(&p, 1, 50), MUISP_CHARGE_PASS_HARD);
	assert_int_equal(charge(&p, 1, 1), MUISP_CHARGE_DROP_HARD);
	/* usage reset (delta -6000, modulo 2^64) and a larger limit */
	muisp_quota_hold(&p.q, p.slot);
	muisp_quota_release(&p.q, (u64)-6000, 0, 1 << 30, &par);
	assert_int_equal(muisp_quota_granted(&p.q), 0);
	assert_int_equal(charge(&p, 0, 1000), MUISP_CHARGE_PASS);
	assert_int_equal(charge(&p, 0, 1000), MUISP_CHARGE_PASS);
	assert_int_equal(p.q.tail, 0);
	/* limit lowered below the usage: the next packet is refused */
	muisp_quota_hold(&p.q, p.slot);
	assert_int_equal(muisp_quota_granted(&p.q), 2000);
	muisp_quota_release(&p.q, 0, 0, 1500, &par);
	assert_int_equal(charge(&p, 3, 1), MUISP_CHARGE_DROP_HARD);
}

/* Slices never reach a limit: the fast path cannot decide one. */
static void test_slices_stay_below_limits(void **state)
{
	struct pool p;
	u64 g, prev = 0;
	int i;

	(void)state;
	pool_init(&p, 300000, 1000000);
	for (i = 0; i < 5000; i++) {
		enum muisp_charge r = charge(&p, i % NCPU, 100);

		g = muisp_quota_granted(&p.q);
		if (r == MUISP_CHARGE_PASS && prev < 300000)
			assert_true(g - unused(&p) < 300000);
		prev = g - unused(&p);
		if (r != MUISP_CHARGE_PASS)
			break;
	}
	assert_int_equal(prev, 300000);
}

/* Threads stand for CPUs: each charges its own slot, all one pool. */
struct worker {
	struct pool *p;
	unsigned int cpu;
	unsigned int seed;
	u64 charged;
	u64 pass_hard, pass_soft, cross_cost, refills;
	bool done;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	bool small = false;

	for (;;) {
		u64 cost = small ? 1 : 1 + rand_r(&w->seed) % 1500;
		enum muisp_charge r = charge(w->p, w->cpu, cost);

		switch (r) {
		case MUISP_CHARGE_PASS_SOFT:
			w->pass_soft++;
			w->cross_cost = cost;
			/* fall through */
		case MUISP_CHARGE_PASS:
			w->charged += cost;
			break;
		case MUISP_CHARGE_PASS_HARD:
			w->charged += cost;
			w->pass_hard++;
			return NULL;
		case MUISP_CHARGE_DROP_SOFT:
			return NULL;
		case MUISP_CHARGE_DROP_HARD:
			if (small)
				return NULL;
			small = true; /* fill the last bytes one by one */
			break;
		}
	}
}

static void run_workers(struct pool *p, struct worker *w)
{
	pthread_t t[NCPU];
	unsigned int i;

	for (i = 0; i < NCPU; i++) {
		w[i] = (struct worker){ .p = p, .cpu = i, .seed = 7 + i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]),
				 0);
	}
	for (i = 0; i < NCPU; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

static void test_concurrent_cpus_end_at_hard(void **state)
{
	struct worker w[NCPU];
	struct pool p;
	u64 total, hards;
	unsigned int i, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		pool_init(&p, 0, 3000000 + round * 7919);
		run_workers(&p, w);
		total = hards = 0;
		for (i = 0; i < NCPU; i++) {
			total += w[i].charged;
			hards += w[i].pass_hard;
		}
		assert_int_equal(total, p.q.hard); /* never past, ends at it */
		assert_int_equal(hards, 1);	   /* one PASS_HARD */
		assert_int_equal(muisp_quota_granted(&p.q), total);
		assert_int_equal(unused(&p), 0);
	}
}

static void test_concurrent_cpus_soft_once(void **state)
{
	struct worker w[NCPU];
	struct pool p;
	u64 total, softs, cross;
	unsigned int i, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		pool_init(&p, 2000000 + round * 104729, 4000000);
		run_workers(&p, w);
		total = softs = cross = 0;
		for (i = 0; i < NCPU; i++) {
			total += w[i].charged;
			softs += w[i].pass_soft;
			cross += w[i].cross_cost;
		}
		assert_int_equal(softs, 1);
		/* the crossing packet was the last: total - it < soft <= total */
		assert_true(total >= p.q.soft && total - cross < p.q.soft);
		assert_int_equal(muisp_quota_granted(&p.q), total);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_from_cpus),
		cmocka_unit_test(test_no_limit_fast_path),
		cmocka_unit_test(test_hard_limit_hit_exactly),
		cmocka_unit_test(test_one_byte_over_refused),
		cmocka_unit_test(test_idle_slice_reclaimed),
		cmocka_unit_test(test_soft_limit_once),
		cmocka_unit_test(test_limit_change_and_restore),
		cmocka_unit_test(test_slices_stay_below_limits),
		cmocka_unit_test(test_concurrent_cpus_end_at_hard),
		cmocka_unit_test(test_concurrent_cpus_soft_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
