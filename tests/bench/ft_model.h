/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host model of the muisp flow table (kmod/flowtable.c), single-threaded.
 *
 * It runs the module's own flow_core code -- entry layout, SipHash-1-3
 * key hash, hlist_nulls chain lookup, per-packet update, time-out and
 * eviction decisions -- over the module's own hash index (kmod/ft_index.h:
 * bucket array sized to the live flows, 1024 position stripes, resize
 * migrating one stripe at a time into a future array) and follows the
 * same algorithms as flowtable.c: ids from a per-stripe sequence, cap
 * eviction over up to 64 buckets, chain cap 16 (128 while over the load),
 * walk in (position, id) order.  What it leaves out is what needs the
 * kernel: RCU, the stripe and entry spinlocks (stand-ins), the slab cache
 * (malloc), the clock (the caller passes "now") and the collector: a table
 * over its load grows at once inside ftm_account() (the module kicks its
 * collector, which grows it within a run), and ftm_gc() shrinks it.  With
 * manual_resize set, only ftm_resize_begin()/ftm_resize_step() resize, so
 * tests can interleave a resize with inserts, ends and walks.
 */
#ifndef MUISP_FT_MODEL_H
#define MUISP_FT_MODEL_H

#include "kmod/ft_index.h"

#define FTM_EVICT_BUCKETS    64
#define FTM_EVICT_CANDIDATES 8
#define FTM_PAYERS	     1024

typedef void (*ftm_export_fn)(void *ctx, const struct muisp_flow_record *rec);

struct ftm_cursor {
	u32 pos;
	u64 last_id;
	int done;
};

struct ft_model {
	struct muisp_fti_tab *tab;
	struct muisp_fti_tab *future; /* during a resize */
	u32 migrated;		      /* stripes moved into future */
	int manual_resize;
	u64 stripe_seq[FTI_STRIPES];
	u16 table_id;
	struct muisp_siphash_key seed;
	u32 count, max_flows;
	u64 idle_ns, fin_ns;
	ftm_export_fn export;
	void *ctx;
	/* statistics, as struct muisp_ft_stats */
	u64 inserts, expired_idle, expired_closed, evictions, flushed, rebinds;
	u64 full_drops, exported, resizes;
	/* instrumentation: key compares on the lookup of each packet */
	u64 lookups, probes;
	/* the contracts flows are charged to, by id (ftm_payer()) */
	struct muisp_flow_payer payers[FTM_PAYERS];
	u32 npayers;
};

/* The payer of contract id (the module's flows hold the contract). */
const struct muisp_flow_payer *ftm_payer(struct ft_model *m, u64 id);

int ftm_init(struct ft_model *m, u32 max_flows, u32 idle_s, u32 fin_s,
	     const struct muisp_siphash_key *seed, ftm_export_fn export,
	     void *ctx);
/* Ends every flow (FLUSH) and frees everything. */
void ftm_destroy(struct ft_model *m);
int ftm_account(struct ft_model *m, const struct muisp_flow_key *key,
		enum muisp_flow_dir dir, unsigned int len, u8 tcp_flags,
		u64 contract_id, u64 now_ns);
/* Lookup only (no insert), as the packet path: the entry or NULL. */
struct muisp_flow_entry *ftm_lookup(struct ft_model *m,
				    const struct muisp_flow_key *key);
/* The array that holds stripe s's flows now. */
struct muisp_fti_tab *ftm_stripe_tab(struct ft_model *m, u32 s);
/* Start a resize to n buckets (no resize under way); 0 or -ENOMEM. */
int ftm_resize_begin(struct ft_model *m, u32 n);
/* Migrate up to nstripes more stripes; finishes the resize after the last. */
void ftm_resize_step(struct ft_model *m, u32 nstripes);
/* Time-outs, then a shrink or grow if the load asks for one. */
unsigned int ftm_gc(struct ft_model *m, u64 now_ns);
unsigned int ftm_flush(struct ft_model *m, u64 contract_id);
int ftm_walk(struct ft_model *m, struct ftm_cursor *c,
	     int (*fn)(void *arg, const struct muisp_flow_record *rec),
	     void *arg);

#endif
