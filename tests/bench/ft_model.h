/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host model of the muisp flow table (kmod/flowtable.c), single-threaded.
 *
 * It runs the module's own flow_core code -- entry layout, SipHash-1-3
 * key hash, bucket index, hlist_nulls chain lookup, per-packet update,
 * time-out and eviction decisions -- over the same bucket array (power of
 * two, nulls value = bucket index, load factor <= 1/5) and follows the
 * same algorithms as flowtable.c: insert at the chain head with ids from a
 * per-stripe sequence, cap eviction over up to 64 buckets, chain cap 16,
 * resumable walk in descending id order.  What it leaves out is what
 * needs the kernel: RCU, the stripe and entry spinlocks (stand-ins), the
 * slab cache (malloc) and the clock (the caller passes "now").
 */
#ifndef MUISP_FT_MODEL_H
#define MUISP_FT_MODEL_H

#include "kmod/flow_core.h"

#define FTM_STRIPES_MAX	     1024
#define FTM_CHAIN_MAX	     16
#define FTM_EVICT_BUCKETS    64
#define FTM_EVICT_CANDIDATES 8

typedef void (*ftm_export_fn)(void *ctx, const struct muisp_flow_record *rec);

struct ftm_cursor {
	u32 bucket;
	u64 last_id;
	int done;
};

struct ft_model {
	struct hlist_nulls_head *buckets;
	u64 *stripe_seq;
	u32 nbuckets, stripe_mask, stripe_bits;
	u16 table_id;
	struct muisp_siphash_key seed;
	u32 count, max_flows;
	u64 idle_ns, fin_ns;
	ftm_export_fn export;
	void *ctx;
	/* statistics, as struct muisp_ft_stats */
	u64 inserts, expired_idle, expired_closed, evictions, flushed, rebinds;
	u64 full_drops, exported;
	/* instrumentation: key compares on the lookup of each packet */
	u64 lookups, probes;
};

int ftm_init(struct ft_model *m, u32 max_flows, u32 idle_s, u32 fin_s,
	     const struct muisp_siphash_key *seed, ftm_export_fn export,
	     void *ctx);
/* Ends every flow (FLUSH) and frees everything. */
void ftm_destroy(struct ft_model *m);
int ftm_account(struct ft_model *m, const struct muisp_flow_key *key,
		enum muisp_flow_dir dir, unsigned int len, u8 tcp_flags,
		u64 contract_id, u64 now_ns);
/* Lookup only (no insert): the entry or NULL; counts probes. */
struct muisp_flow_entry *ftm_lookup(struct ft_model *m,
				    const struct muisp_flow_key *key);
unsigned int ftm_gc(struct ft_model *m, u64 now_ns);
unsigned int ftm_flush(struct ft_model *m, u64 contract_id);
int ftm_walk(struct ft_model *m, struct ftm_cursor *c,
	     int (*fn)(void *arg, const struct muisp_flow_record *rec),
	     void *arg);

#endif
