// SPDX-License-Identifier: GPL-2.0
/*
 * Host microbenchmark of the block list and walled garden lookups: the
 * lookup set of kmod/lists_core.c against a model of the linear scans it
 * replaced (each list walked in order, the block list once for the
 * source, once for the destination and, with MAC entries, once for the
 * MAC), as a FORWARD packet from the LAN asks them.
 *
 *   lists-bench sizes                      set bytes per entry, chains
 *   lists-bench run IMPL LIST N CASE ITER  ITER lookups (run under
 *                                          callgrind with
 *                                          --toggle-collect=bench_loop)
 *   lists-bench build LIST N ITER          ITER rebuilds of the set
 *                                          (bench_build_loop)
 *
 * IMPL: set | scan.  LIST: addr (N /32 block entries), mixed (N block
 * entries over the lengths 12..32 and MACs), garden (N garden rules,
 * /24../32 with ports).  CASE: miss (no entry matches) | hit (an entry
 * matches; scan: spread evenly over the list, so the mean of its
 * positions).  Entries are seeded and repeat exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "kmod/lists_core.h"
#include "tests/lib/bench.h"

static u64 rng_state = 88172645463325252ULL;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (u32)(rng_state >> 16);
}

/* The replaced lists: an entry as lists.c held it, walked by pointer. */
struct scan_entry {
	struct scan_entry *next;
	u8 is_mac;
	u8 mac[6];
	struct muisp_garden_rule rule;
	u64 hits;
};

struct bench {
	struct muisp_garden_rule *rule;
	u8 (*mac)[6];
	struct muisp_lset_entry *e;
	struct scan_entry *scan; /* list order */
	struct muisp_lset set;
	u32 n;
	bool garden;
	/* queries: source, destination, MAC, port */
	__be32 (*src)[4];
	__be32 (*dst)[4];
	u8 (*qmac)[6];
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		perror("calloc");
		exit(1);
	}
	return p;
}

static u8 mixed_plen(u32 i)
{
	static const u8 plens[] = { 12, 16, 20, 24, 28, 32, 32, 32 };

	return plens[i % sizeof(plens)];
}

/* Entry i of LIST: block prefixes in 10.0.0.0/8, garden in 198.18/15. */
static void make_entry(struct bench *b, const char *list, u32 i)
{
	struct muisp_garden_rule *r = &b->rule[i];
	u32 a;
	u8 plen = 32;

	r->family = MUISP_AF_INET;
	if (!strcmp(list, "mixed")) {
		if (i % 16 == 15) {
			b->mac[i][0] = 0x02;
			memcpy(&b->mac[i][2], &i, 4);
			b->e[i] = (struct muisp_lset_entry){
				.rule = r,
				.mac = b->mac[i],
				.owner = r,
			};
			return;
		}
		plen = mixed_plen(i);
	}
	if (!strcmp(list, "garden")) {
		plen = i % 2 ? 32 : 24;
		a = 0xc6120000 | (i << 8 & 0x1ff00) | (i & 0xff);
		if (i % 3) {
			r->proto = MUISP_PROTO_TCP;
			r->has_ports = 1;
			r->port_min = 443;
			r->port_max = 443;
		}
	} else {
		a = 0x0a000000 | (i * 2654435761u >> 8 & 0xffffff);
	}
	r->plen = plen;
	r->prefix[0] = htonl(plen ? a & ~(0xffffffffu >> plen) : 0);
	b->e[i] = (struct muisp_lset_entry){
		.rule = r,
		.owner = r,
		.garden = !strcmp(list, "garden"),
	};
}

static void setup(struct bench *b, const char *list, u32 n)
{
	struct scan_entry **tail = &b->scan;
	void *mem;
	u32 i;

	memset(b, 0, sizeof(*b));
	b->n = n;
	b->garden = !strcmp(list, "garden");
	b->rule = xcalloc(n, sizeof(*b->rule));
	b->mac = xcalloc(n, sizeof(*b->mac));
	b->e = xcalloc(n, sizeof(*b->e));
	for (i = 0; i < n; i++) {
		struct scan_entry *s = xcalloc(1, sizeof(*s));

		make_entry(b, list, i);
		s->rule = b->rule[i];
		if (b->e[i].mac) {
			s->is_mac = 1;
			memcpy(s->mac, b->mac[i], 6);
		}
		*tail = s;
		tail = &s->next;
	}
	mem = xcalloc(1, muisp_lset_mem(n));
	if (muisp_lset_build(&b->set, mem, n, (u64)rnd() << 32 | rnd(), b->e,
			     n)) {
		fprintf(stderr, "build failed\n");
		exit(1);
	}
}

/*
 * Queries: miss -- LAN source 100.64.x.y, WAN destination 203.0.113.x
 * and a MAC no entry has; hit -- the source (or the garden's peer) inside
 * entry k, k spread evenly over the list.
 */
static void make_queries(struct bench *b, bool hit, u32 iter)
{
	u32 k, i;

	b->src = xcalloc(iter, sizeof(*b->src));
	b->dst = xcalloc(iter, sizeof(*b->dst));
	b->qmac = xcalloc(iter, sizeof(*b->qmac));
	for (k = 0; k < iter; k++) {
		b->src[k][0] = htonl(0x64400000 | (rnd() & 0x3fffff));
		b->dst[k][0] = htonl(0xcb007100 | (rnd() & 0xff));
		b->qmac[k][0] = 0x06;
		b->qmac[k][5] = (u8)k;
		if (!hit || !b->n)
			continue;
		i = (u32)((u64)k * b->n / iter);
		while (b->e[i].mac) /* hit an address: the common case */
			i = (i + 1) % b->n;
		if (b->garden) {
			b->dst[k][0] = b->rule[i].prefix[0] | htonl(1);
			if (b->rule[i].plen == 32)
				b->dst[k][0] = b->rule[i].prefix[0];
		} else {
			b->src[k][0] = b->rule[i].prefix[0];
		}
	}
}

/* The replaced code, as lists.c had it (muisp_blocked(), ...). */
static bool scan_live(const struct scan_entry *e, u64 now_s)
{
	return !e->rule.expires_s || now_s < e->rule.expires_s;
}

static bool scan_blocked(struct scan_entry *head, const __be32 *addr, u8 family,
			 u64 now_s)
{
	struct scan_entry *e;

	for (e = head; e; e = e->next) {
		if (e->is_mac || e->rule.family != family ||
		    !scan_live(e, now_s))
			continue;
		if (muisp_gate_prefix_match(addr, e->rule.prefix, family,
					    e->rule.plen)) {
			e->hits++;
			return true;
		}
	}
	return false;
}

static bool scan_blocked_mac(struct scan_entry *head, u32 nmac, const u8 *mac,
			     u64 now_s)
{
	struct scan_entry *e;

	if (!nmac)
		return false;
	for (e = head; e; e = e->next) {
		if (!e->is_mac || !scan_live(e, now_s))
			continue;
		if (!memcmp(e->mac, mac, 6)) {
			e->hits++;
			return true;
		}
	}
	return false;
}

static bool scan_garden(struct scan_entry *head, const __be32 *peer, u64 now_s)
{
	struct scan_entry *e;

	for (e = head; e; e = e->next)
		if (muisp_gate_garden_match(&e->rule, peer, MUISP_AF_INET,
					    MUISP_PROTO_TCP, true, 443,
					    now_s)) {
			e->hits++;
			return true;
		}
	return false;
}

/* The measured loop: ITER lookups as FORWARD asks them ("up"). */
__attribute__((noinline)) u64 bench_loop(struct bench *b, bool scan, u32 nmac,
					 u32 iter);
__attribute__((noinline)) u64 bench_loop(struct bench *b, bool scan, u32 nmac,
					 u32 iter)
{
	u64 found = 0, now = 1000;
	u32 k;

	for (k = 0; k < iter; k++) {
		if (b->garden && scan)
			found += scan_garden(b->scan, b->dst[k], now);
		else if (b->garden)
			found += !!muisp_lset_garden(&b->set, b->dst[k],
						     MUISP_AF_INET,
						     MUISP_PROTO_TCP, true, 443,
						     now);
		else if (scan)
			found += b->scan && (scan_blocked(b->scan, b->src[k],
							  MUISP_AF_INET, now) ||
					     scan_blocked(b->scan, b->dst[k],
							  MUISP_AF_INET, now) ||
					     scan_blocked_mac(b->scan, nmac,
							      b->qmac[k], now));
		else
			found += muisp_lset_has_blocks(&b->set) &&
				 !!muisp_lset_blocked(&b->set, b->src[k],
						      b->dst[k], b->qmac[k],
						      MUISP_AF_INET, now);
	}
	return found;
}

/* The measured rebuild: ITER sets built from the same entries. */
__attribute__((noinline)) u64 bench_build_loop(struct bench *b, void *mem,
					       u32 iter);
__attribute__((noinline)) u64 bench_build_loop(struct bench *b, void *mem,
					       u32 iter)
{
	u64 groups = 0;
	u32 k;

	for (k = 0; k < iter; k++) {
		if (muisp_lset_build(&b->set, mem, b->n, k, b->e, b->n))
			return 0;
		groups += b->set.ngroups;
	}
	return groups;
}

static int cmd_build(const char *list, u32 n, u32 iter)
{
	struct bench b;
	void *mem;

	setup(&b, list, n);
	mem = xcalloc(1, muisp_lset_mem(n));
	return !bench_build_loop(&b, mem, iter);
}

static int cmd_run(const char *impl, const char *list, u32 n, const char *what,
		   u32 iter)
{
	bool hit = !strcmp(what, "hit"), scan = !strcmp(impl, "scan");
	struct bench b;
	u32 i, nmac = 0;
	u64 found;

	setup(&b, list, n);
	make_queries(&b, hit, iter);
	for (i = 0; i < n; i++)
		nmac += !!b.e[i].mac;
	found = bench_loop(&b, scan, nmac, iter);
	printf("%s %s n=%u %s: %llu of %u found\n", impl, list, n, what,
	       (unsigned long long)found, iter);
	/* a wrong answer measures nothing */
	return found != (hit && n ? iter : 0);
}

static int cmd_sizes(void)
{
	static const u32 ns[] = { 16, 256, 4096, 8192 };
	unsigned int j;
	struct bench b;

	for (j = 0; j < ARRAY_SIZE(ns); j++) {
		setup(&b, "mixed", ns[j]);
		printf("%u entries: %zu bytes (%.1f per entry), %u groups, "
		       "longest chain %u\n",
		       ns[j], sizeof(b.set) + muisp_lset_mem(ns[j]),
		       (double)(sizeof(b.set) + muisp_lset_mem(ns[j])) / ns[j],
		       b.set.ngroups, muisp_lset_max_chain(&b.set));
		if (ns[j] == 4096) {
			bench_result("lists.set_bytes_per_entry.4096",
				     (double)(sizeof(b.set) +
					      muisp_lset_mem(ns[j])) /
					     ns[j],
				     "bytes/entry", "<= 72", 1, -1);
			bench_result("lists.max_chain.4096",
				     muisp_lset_max_chain(&b.set), "groups",
				     NULL, 1, -1);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "sizes"))
		return cmd_sizes();
	if (argc == 5 && !strcmp(argv[1], "build"))
		return cmd_build(argv[2], (u32)atoi(argv[3]),
				 (u32)atoi(argv[4]));
	if (argc == 7 && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], argv[3], (u32)atoi(argv[4]), argv[5],
			       (u32)atoi(argv[6]));
	fprintf(stderr, "usage: lists-bench sizes | run set|scan "
			"addr|mixed|garden N miss|hit ITER\n");
	return 2;
}
