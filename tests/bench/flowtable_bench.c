// SPDX-License-Identifier: GPL-2.0
/*
 * Host microbenchmark of the muisp flow-table core (kmod/flow_core.c and
 * the hash index kmod/ft_index.h run through the host model
 * tests/bench/ft_model.c, see ft_model.h).
 *
 *   flowtable-bench scale FLOWS          FLOWS flows inserted (the index
 *                                        growing as in the module): bytes
 *                                        of buckets per flow, mean key
 *                                        compares per hit / miss lookup
 *   flowtable-bench sizes                entry, key and record sizes
 *   flowtable-bench hits N [FLOWS]       N hit packets over FLOWS flows
 *                                        (10k; run under callgrind with
 *                                        --toggle-collect=bench_hit_loop)
 *   flowtable-bench inserts N            N new flows (bench_insert_loop),
 *                                        the index growing as it goes
 *   flowtable-bench inserts-pregrown N   the same into an array already
 *                                        sized for N (packet path only)
 *
 * Figures go out as tests/lib/bench.h lines.
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

/* "1k", "10k", "1M": the figure names' suffix */
static const char *flows_name(u32 n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%uM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

static int cmd_scale(u32 nflows)
{
	struct muisp_flow_key *k = make_keys(2 * nflows);
	double hit, miss, bpf, worst = 0, cur;
	char name[96], sfx[16];
	struct ft_model m;
	u64 exported = 0;
	u32 i;

	setup(&m, nflows, &exported);
	for (i = 0; i < nflows; i++) {
		fill(&m, k + i, 1);
		/* the most bytes per flow seen while growing to nflows */
		cur = (double)fti_tab_bytes(m.tab->n) / m.count;
		if (m.count >= FTI_MIN_BUCKETS && cur > worst)
			worst = cur;
	}
	for (i = 0; i < nflows; i++)
		if (!ftm_lookup(&m, &k[i]))
			return 1;
	hit = (double)m.probes / m.lookups;
	m.lookups = m.probes = 0;
	for (i = nflows; i < 2 * nflows; i++)
		if (ftm_lookup(&m, &k[i]))
			return 1;
	miss = (double)m.probes / m.lookups;
	bpf = (double)fti_tab_bytes(m.tab->n) / nflows;
	flows_name(nflows, sfx, sizeof(sfx));
	printf("%u flows: %u buckets (load %.3f, %u resizes), %.1f bytes of "
	       "buckets per flow (most while growing: %.1f), probes per hit "
	       "%.4f, per miss %.4f\n",
	       nflows, m.tab->n, (double)nflows / m.tab->n,
	       (unsigned int)m.resizes, bpf, worst, hit, miss);
	snprintf(name, sizeof(name), "flowtable.bucket_bytes_per_flow_%s", sfx);
	bench_result(name, bpf, "B", "<= 64", 1, -1);
	snprintf(name, sizeof(name), "flowtable.probes_per_hit_%s", sfx);
	bench_result(name, hit, "probes", "<= 1.1", 1, -1);
	snprintf(name, sizeof(name), "flowtable.probes_per_miss_%s", sfx);
	bench_result(name, miss, "probes", NULL, 1, -1);
	if (exported || m.evictions)
		return 1;
	ftm_destroy(&m);
	free(k);
	return 0;
}

static int cmd_sizes(void)
{
	printf("sizeof(struct muisp_flow_entry) %zu\n",
	       sizeof(struct muisp_flow_entry));
	printf("sizeof(struct muisp_flow_key) %zu\n",
	       sizeof(struct muisp_flow_key));
	printf("sizeof(struct muisp_flow_record) %zu\n",
	       sizeof(struct muisp_flow_record));
	bench_result("flowtable.entry_bytes", sizeof(struct muisp_flow_entry),
		     "B", "<= 128", 1, -1);
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

static int cmd_hits(u32 n, u32 nflows)
{
	struct muisp_flow_key *k = make_keys(nflows);
	struct ft_model m;
	u64 exported = 0, errs;

	setup(&m, nflows, &exported);
	fill(&m, k, nflows);
	errs = bench_hit_loop(&m, k, nflows, n);
	printf("hits %u over %u flows: errors %llu, inserts %llu\n", n, nflows,
	       (unsigned long long)errs, (unsigned long long)m.inserts);
	ftm_destroy(&m);
	free(k);
	return errs || m.inserts != nflows;
}

/*
 * pregrown: the array already sized for n (manual resize), so the loop
 * counts only what a new flow costs the packet path; otherwise the
 * resizes (the module's collector work) are counted in too.
 */
static int cmd_inserts(u32 n, int pregrown)
{
	struct muisp_flow_key *k = make_keys(n);
	struct ft_model m;
	u64 exported = 0, errs;

	setup(&m, n, &exported);
	if (pregrown) {
		m.manual_resize = 1;
		if (ftm_resize_begin(&m, fti_size(n)))
			return 1;
		ftm_resize_step(&m, FTI_STRIPES);
	}
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
	u32 arg2 = argc > 3 ? (u32)strtoul(argv[3], NULL, 0) : 0;

	if (argc >= 2 && !strcmp(argv[1], "scale"))
		return cmd_scale(arg ? arg : 10000);
	if (argc >= 2 && !strcmp(argv[1], "sizes"))
		return cmd_sizes();
	if (argc >= 2 && !strcmp(argv[1], "hits"))
		return cmd_hits(arg ? arg : 100000, arg2 ? arg2 : 10000);
	if (argc >= 2 && !strcmp(argv[1], "inserts"))
		return cmd_inserts(arg ? arg : 10000, 0);
	if (argc >= 2 && !strcmp(argv[1], "inserts-pregrown"))
		return cmd_inserts(arg ? arg : 10000, 1);
	fprintf(stderr, "usage: flowtable-bench scale [FLOWS] | sizes | "
			"hits [N [FLOWS]] | inserts[-pregrown] [N]\n");
	return 2;
}
