// SPDX-License-Identifier: GPL-2.0
/*
 * Host microbenchmark of the muisp flow-table core (kmod/flow_core.c run
 * through the host model tests/bench/ft_model.c, see ft_model.h).
 *
 *   flowtable-bench probes [MAX_FLOWS]   mean key compares per lookup,
 *                                        table filled to MAX_FLOWS
 *   flowtable-bench sizes [MAX_FLOWS]    bytes per flow
 *   flowtable-bench hits N               N hit packets over 10k flows
 *                                        (run under callgrind with
 *                                        --toggle-collect=bench_hit_loop)
 *   flowtable-bench inserts N            N new flows (bench_insert_loop)
 *
 * Keys look like router traffic: 1000 LAN clients, each with flows to
 * random WAN peers and ports; the seed is random per run unless
 * FT_BENCH_SEED is set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <netinet/in.h>

#include "ft_model.h"
#include "tests/lib/bench.h"

#define NCLIENTS 1000

static void no_export(void *ctx, const struct muisp_flow_record *rec)
{
	(*(u64 *)ctx)++;
	(void)rec;
}

static u64 rng_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static struct muisp_flow_key *make_keys(u32 n)
{
	struct muisp_flow_key *k = calloc(n, sizeof(*k));
	u32 i, c, p;

	if (!k) {
		perror("calloc");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		c = htonl(0x0a000000 | (i % NCLIENTS));
		p = htonl((u32)rnd());
		muisp_flow_key_init(&k[i], AF_INET,
				    i % 3 ? IPPROTO_TCP : IPPROTO_UDP, &c, &p,
				    htons((u16)(32768 + i / NCLIENTS)),
				    htons((u16)(rnd() % 3 ? 443 : rnd())));
	}
	return k;
}

static void setup(struct ft_model *m, u32 max_flows, u64 *exported)
{
	struct muisp_siphash_key seed;
	const char *s = getenv("FT_BENCH_SEED");

	rng_state ^= s ? strtoull(s, NULL, 0) : (u64)time(NULL);
	seed.k[0] = rnd();
	seed.k[1] = rnd();
	if (ftm_init(m, max_flows, 1800, 10, &seed, no_export, exported)) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
}

static void fill(struct ft_model *m, const struct muisp_flow_key *k, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (ftm_account(m, &k[i], MUISP_DIR_UP, 60, MUISP_TCP_SYN, 1,
				1000) != 0) {
			fprintf(stderr, "insert failed\n");
			exit(1);
		}
}

static int cmd_probes(u32 max_flows)
{
	struct muisp_flow_key *k = make_keys(2 * max_flows);
	struct ft_model m;
	u64 exported = 0;
	u32 i, fillpct;
	double hit, miss;

	setup(&m, max_flows, &exported);
	printf("max_flows %u buckets %u (load factor at max %.3f)\n", max_flows,
	       m.nbuckets, (double)max_flows / m.nbuckets);
	for (fillpct = 25; fillpct <= 100; fillpct += 25) {
		u32 n = (u32)((u64)max_flows * fillpct / 100);

		fill(&m, k + m.count, n - m.count);
		m.lookups = m.probes = 0;
		for (i = 0; i < n; i++)
			if (!ftm_lookup(&m, &k[i]))
				return 1;
		hit = (double)m.probes / m.lookups;
		m.lookups = m.probes = 0;
		for (i = max_flows; i < max_flows + n; i++)
			if (ftm_lookup(&m, &k[i]))
				return 1;
		miss = (double)m.probes / m.lookups;
		printf("fill %3u%% flows %7u load %.3f: mean probes per hit "
		       "lookup %.4f, per miss %.4f\n",
		       fillpct, n, (double)n / m.nbuckets, hit, miss);
	}
	printf("full table, %u flows, load %.3f:\n", max_flows,
	       (double)max_flows / m.nbuckets);
	bench_result("flowtable.probes_per_hit_lookup", hit, "probes", "<= 1.1",
		     1, -1);
	bench_result("flowtable.probes_per_miss_lookup", miss, "probes", NULL,
		     1, -1);
	if (exported || m.evictions)
		return 1;
	ftm_destroy(&m);
	free(k);
	return 0;
}

static int cmd_sizes(u32 max_flows)
{
	u32 nb = muisp_flow_nbuckets(max_flows);

	printf("sizeof(struct muisp_flow_entry) %zu\n",
	       sizeof(struct muisp_flow_entry));
	printf("sizeof(struct muisp_flow_key) %zu\n",
	       sizeof(struct muisp_flow_key));
	printf("sizeof(struct muisp_flow_record) %zu\n",
	       sizeof(struct muisp_flow_record));
	bench_result("flowtable.entry_bytes",
		     (double)sizeof(struct muisp_flow_entry), "bytes", "<= 128",
		     1, -1);
	printf("bucket array: %u heads x %zu bytes, max_flows %u, full\n", nb,
	       sizeof(struct hlist_nulls_head), max_flows);
	bench_result("flowtable.bucket_bytes_per_flow",
		     (double)nb * sizeof(struct hlist_nulls_head) / max_flows,
		     "bytes/flow", NULL, 1, -1);
	return 0;
}

/* The measured loop: one ftm_account() per packet, every one a hit. */
__attribute__((noinline)) u64 bench_hit_loop(struct ft_model *m,
					     const struct muisp_flow_key *k,
					     u32 nflows, u32 n);
__attribute__((noinline)) u64 bench_hit_loop(struct ft_model *m,
					     const struct muisp_flow_key *k,
					     u32 nflows, u32 n)
{
	u64 now = 2000, errs = 0;
	u32 i, f = 0;

	for (i = 0; i < n; i++) {
		errs += ftm_account(m, &k[f], i & 1, 1000, MUISP_TCP_ACK, 1,
				    now) != 0;
		if (++f == nflows)
			f = 0;
	}
	return errs;
}

__attribute__((noinline)) u64
bench_insert_loop(struct ft_model *m, const struct muisp_flow_key *k, u32 n);
__attribute__((noinline)) u64
bench_insert_loop(struct ft_model *m, const struct muisp_flow_key *k, u32 n)
{
	u64 errs = 0;
	u32 i;

	for (i = 0; i < n; i++)
		errs += ftm_account(m, &k[i], MUISP_DIR_UP, 60, MUISP_TCP_SYN,
				    1, 2000) != 0;
	return errs;
}

static int cmd_hits(u32 n)
{
	const u32 nflows = 10000;
	struct muisp_flow_key *k = make_keys(nflows);
	struct ft_model m;
	u64 exported = 0, errs;

	setup(&m, MUISP_FT_DEFAULT_MAX_FLOWS, &exported);
	fill(&m, k, nflows);
	errs = bench_hit_loop(&m, k, nflows, n);
	printf("hits %u over %u flows: errors %llu, inserts %llu\n", n, nflows,
	       (unsigned long long)errs, (unsigned long long)m.inserts);
	ftm_destroy(&m);
	free(k);
	return errs || m.inserts != nflows;
}

static int cmd_inserts(u32 n)
{
	struct muisp_flow_key *k = make_keys(n);
	struct ft_model m;
	u64 exported = 0, errs;

	setup(&m, n, &exported);
	errs = bench_insert_loop(&m, k, n);
	printf("inserts %u: errors %llu, flows %u\n", n,
	       (unsigned long long)errs, m.count);
	ftm_destroy(&m);
	free(k);
	return errs != 0;
}

int main(int argc, char **argv)
{
	u32 arg = argc > 2 ? (u32)strtoul(argv[2], NULL, 0) : 0;

	if (argc >= 2 && !strcmp(argv[1], "probes"))
		return cmd_probes(arg ? arg : MUISP_FT_DEFAULT_MAX_FLOWS);
	if (argc >= 2 && !strcmp(argv[1], "sizes"))
		return cmd_sizes(arg ? arg : MUISP_FT_DEFAULT_MAX_FLOWS);
	if (argc >= 2 && !strcmp(argv[1], "hits"))
		return cmd_hits(arg ? arg : 100000);
	if (argc >= 2 && !strcmp(argv[1], "inserts"))
		return cmd_inserts(arg ? arg : 10000);
	fprintf(stderr, "usage: flowtable-bench probes|sizes|hits|inserts "
			"[N]\n");
	return 2;
}
