// SPDX-License-Identifier: GPL-2.0
/*
 * Contract charge: locked operations per packet on shared cache lines,
 * before (one set of atomics per contract, as contract.c charged until
 * the per-CPU quota) and after (kmod/quota.c slices, per-CPU counters).
 * Packets go round-robin over NCPU CPUs; the clock advances 1 ms every
 * PKTS_PER_MS packets (the usage-time touch, the same in both).
 *
 *   quota-bench ops            locked-operation counts (BENCH lines)
 *   quota-bench old|new N      N charges, for callgrind (bench_*_loop)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bench_locked_op(const void *p);
#define MUISP_HOST_LOCKED_OP(a) bench_locked_op(a)
#include "kmod/quota.c"
#include "tests/lib/bench.h"

#define NCPU	    4
#define PKT_LEN	    1500
#define PKTS_PER_MS 100

/* the contract as contract.c kept it: shared atomics */
struct old_contract {
	atomic64_t used, bytes[2], packets[2], usage_ms, last_pkt_ms;
	u64 soft, hard;
};

/* the contract now: a pool, per-CPU slots and counters */
struct new_cpu {
	struct muisp_quota_cpu q;
	u64 bytes[2], packets[2], usage_ms;
};

struct new_contract {
	struct muisp_quota quota;
	atomic64_t last_pkt_ms;
	struct muisp_quota_cpu slot[MUISP_HOST_NR_CPUS];
	struct new_cpu cpu[NCPU];
};

static const struct muisp_quota_par par = {
	MUISP_QUOTA_BYTES_MIN,
	MUISP_QUOTA_BYTES_MAX,
};

static struct old_contract oc;
static struct new_contract nc;
static u64 shared_ops, local_ops;

static void bench_locked_op(const void *p)
{
	const char *a = p;

	if (a >= (const char *)nc.slot &&
	    a < (const char *)(nc.slot + MUISP_HOST_NR_CPUS))
		local_ops++;
	else
		shared_ops++;
}

static u64 touch(atomic64_t *last, u64 now)
{
	u64 prev = atomic64_read(last);

	if (prev == now)
		return 0;
	prev = atomic64_xchg(last, now);
	return muisp_gate_usage_cost(prev, now, 60000);
}

static int old_charge(int dir, unsigned int len, u64 now)
{
	s64 old = atomic64_read(&oc.used);
	enum muisp_charge res;
	u64 t;

	do {
		res = muisp_gate_charge(old, len, oc.soft, oc.hard);
		if (res == MUISP_CHARGE_DROP_HARD ||
		    res == MUISP_CHARGE_DROP_SOFT)
			return -1;
	} while (!atomic64_try_cmpxchg(&oc.used, &old, old + len));
	atomic64_add(len, &oc.bytes[dir]);
	atomic64_inc(&oc.packets[dir]);
	t = touch(&oc.last_pkt_ms, now);
	if (t)
		atomic64_add(t, &oc.usage_ms);
	return res == MUISP_CHARGE_PASS_HARD ? 1 : 0;
}

static int new_charge(unsigned int cpu, int dir, unsigned int len, u64 now)
{
	struct new_cpu *p = &nc.cpu[cpu];
	enum muisp_charge res;

	res = muisp_quota_charge(&nc.quota, nc.slot, &nc.slot[cpu], len, &par);
	if (res == MUISP_CHARGE_DROP_HARD || res == MUISP_CHARGE_DROP_SOFT)
		return -1;
	/* this_cpu_add() in the kernel: no lock prefix */
	p->bytes[dir] += len;
	p->packets[dir]++;
	p->usage_ms += touch(&nc.last_pkt_ms, now);
	return res == MUISP_CHARGE_PASS_HARD ? 1 : 0;
}

static void setup(u64 hard)
{
	memset(&oc, 0, sizeof(oc));
	memset(&nc, 0, sizeof(nc));
	oc.hard = hard;
	muisp_quota_init(&nc.quota, NCPU, 0, 0, 0);
	muisp_quota_hold(&nc.quota, nc.slot);
	muisp_quota_release(&nc.quota, 0, 0, hard, &par);
}

/* charges until the hard limit (or n packets); returns packets passed */
static __attribute__((noinline)) u64 bench_old_loop(u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		if (old_charge(i & 1, PKT_LEN, 1 + i / PKTS_PER_MS))
			break;
	return i;
}

static __attribute__((noinline)) u64 bench_new_loop(u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		if (new_charge(i % NCPU, i & 1, PKT_LEN, 1 + i / PKTS_PER_MS))
			break;
	return i;
}

static void ops(const char *what, u64 hard, u64 n)
{
	char name[96];
	u64 pkts;

	setup(hard);
	shared_ops = local_ops = 0;
	pkts = bench_old_loop(n);
	snprintf(name, sizeof(name),
		 "quota.shared_locked_ops_per_pkt.%s.before", what);
	bench_result(name, (double)shared_ops / pkts, "ops/pkt", NULL, 1, -1);

	setup(hard);
	shared_ops = local_ops = 0;
	pkts = bench_new_loop(n);
	snprintf(name, sizeof(name), "quota.shared_locked_ops_per_pkt.%s.after",
		 what);
	bench_result(name, (double)shared_ops / pkts, "ops/pkt", NULL, 1, -1);
	snprintf(name, sizeof(name), "quota.local_locked_ops_per_pkt.%s.after",
		 what);
	bench_result(name, (double)local_ops / pkts, "ops/pkt", NULL, 1, -1);
	printf("  %s: %llu packets, usage %llu of hard %llu\n", what,
	       (unsigned long long)pkts,
	       (unsigned long long)atomic64_read(&nc.quota.granted),
	       (unsigned long long)hard);
}

int main(int argc, char **argv)
{
	u64 n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;

	if (argc > 1 && !strcmp(argv[1], "old")) {
		setup(0);
		return bench_old_loop(n) != n;
	}
	if (argc > 1 && !strcmp(argv[1], "new")) {
		setup(0);
		return bench_new_loop(n) != n;
	}
	printf("contract charge, %d CPUs round-robin, %d B packets, 1 ms per %d packets\n",
	       NCPU, PKT_LEN, PKTS_PER_MS);
	/* no limit near: slices of 1 MiB */
	ops("no_limit", 0, n);
	/* charged to a 1 GB hard limit, the exact tail included */
	ops("to_hard_1GB", 1000000000, ~0ULL);
	/* a 10 MB hard limit: the tail is a larger share */
	ops("to_hard_10MB", 10000000, ~0ULL);
	return 0;
}
