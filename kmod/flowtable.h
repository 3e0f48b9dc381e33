/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp flow table: exact per-flow metering on the packet path.
 *
 * One table per network namespace.  A flow is keyed by (family, l4 proto,
 * client address, peer address, client port, peer port) oriented so that
 * the LAN client is always the "client" side, whatever the direction of
 * the packet; the caller says which way the packet goes (enum
 * muisp_flow_dir).  Every flow that ends -- idle time-out, TCP close,
 * eviction, flush or destroy -- is handed exactly once to the export
 * callback as a struct muisp_flow_record, so no usage is ever lost.
 *
 * Context rules:
 *  - muisp_ft_find/account(): softirq (netfilter hook) with
 *    rcu_read_lock() held; never sleep.
 *  - muisp_ft_create/destroy/set_params/flush/unbind/walk/stats: process
 *    context, under the caller's config mutex (walk/stats need not be).
 *  - The export callback may be called in atomic context (softirq, from
 *    an eviction in muisp_ft_account()) or in process context (GC work,
 *    flush, destroy), with no flow-table lock held.  It must not sleep and
 *    must not call back into the same table.
 */
#ifndef MUISP_FLOWTABLE_H
#define MUISP_FLOWTABLE_H

#include "flow_core.h"

struct muisp_flowtable;

/* Export of an ended flow; see context rules above. */
typedef void (*muisp_flow_export_fn)(void *ctx,
				     const struct muisp_flow_record *rec);

/* Defaults and limits: MUISP_FT_DEFAULT_*, MUISP_FT_MAX_* in flow_core.h */

/*
 * Table parameters.  A zero field means "default" in muisp_ft_create()
 * and "unchanged" in muisp_ft_set_params().
 *  idle_timeout_s: a flow with no packet for this long ends (IDLE).
 *  fin_timeout_s:  the same for a closed TCP flow (RST seen, or FIN seen in
 *                  both directions); must be <= idle_timeout_s.
 *  max_flows:      cap on live flows (the bucket array follows the live
 *                  flows, not the cap: see ft_index.h).  At the
 *                  cap a new flow ends one flow (EVICTED: timed-out first,
 *                  then closed TCP, then least recently seen, among the
 *                  flows of the next 64 buckets); over a lowered cap it
 *                  ends two, so the table shrinks to the cap.
 */
struct muisp_ft_params {
	u32 idle_timeout_s;
	u32 fin_timeout_s;
	u32 max_flows;
};

struct muisp_ft_stats {
	u64 count;		/* live flows now */
	u64 max_flows;		/* current cap */
	u64 buckets;		/* size of the bucket array now */
	u64 inserts;		/* flows created */
	u64 expired_idle;	/* ended by idle time-out */
	u64 expired_closed;	/* fin_timeout after FIN/RST, or SYN reuse */
	u64 evictions;		/* ended to make room (cap or chain cap) */
	u64 flushed;		/* ended by flush or destroy */
	u64 rebinds;		/* ended because the contract id changed */
	u64 alloc_failures;	/* kmem_cache_alloc(GFP_ATOMIC) failed */
	u64 full_drops;		/* no room and no victim: not metered */
	u64 exported;		/* records handed to the export callback */
	u64 resizes;		/* bucket array resizes */
};

/*
 * Resumable dump position plus an optional filter.  Zero it (or call
 * muisp_ft_cursor_init()) before the first muisp_ft_walk(), then set the
 * filter fields; keep it between calls (it fits in
 * netlink_callback::ctx, 48 bytes).
 */
#define MUISP_FT_FILTER_CONTRACT	BIT(0)  /* contract_id matches */
#define MUISP_FT_FILTER_CLIENT		BIT(1)  /* family+client_addr */

struct muisp_ft_cursor {
	u32 pos;		/* hash position of the last flow delivered */
	u32 filter;		/* MUISP_FT_FILTER_* */
	u64 last_id;		/* its flow_id, or 0: none delivered at pos */
	u64 contract_id;	/* with MUISP_FT_FILTER_CONTRACT */
	u8 family;		/* with MUISP_FT_FILTER_CLIENT */
	u8 done;		/* set once the walk has completed */
	u8 pad[2];
	__be32 client_addr[4];	/* with MUISP_FT_FILTER_CLIENT */
};

static inline void muisp_ft_cursor_init(struct muisp_ft_cursor *c)
{
	memset(c, 0, sizeof(*c));
}

/*
 * Returns the table or an ERR_PTR (-EINVAL bad params, -ENOMEM, -ENOSPC
 * when 65,535 tables are live).  @params may be NULL for defaults.
 * Starts the idle GC.  Process context: the table and its entries are
 * charged to the calling task's memory cgroup.
 */
struct muisp_flowtable *muisp_ft_create(const struct muisp_ft_params *params,
					muisp_flow_export_fn export,
					void *ctx);

/*
 * Stops the GC, exports every remaining flow with reason FLUSH, and frees
 * the table after an RCU grace period.  The caller must have stopped
 * calling muisp_ft_account() (hooks unregistered) before.
 */
void muisp_ft_destroy(struct muisp_flowtable *ft);

/* 0 or -EINVAL; zero fields keep their value. */
int muisp_ft_set_params(struct muisp_flowtable *ft,
			const struct muisp_ft_params *params);
void muisp_ft_get_params(struct muisp_flowtable *ft,
			 struct muisp_ft_params *params);

/*
 * The packet path, in softirq with rcu_read_lock() held (netfilter hook).
 * A flow is keyed by @key at hash position @pos (muisp_ft_pos()) and
 * charged to @payer, the contract the client address was bound to when
 * the flow began (docs/DESIGN.md, "Flow-first lookup").
 *
 * muisp_ft_find(): the payer of the live flow of @key, if this packet
 * continues it (not a SYN re-opening a closed TCP flow), with the flow in
 * *@hint; else NULL.  Nothing stays locked: the hint is for
 * muisp_ft_account() within the same RCU read section, which counts the
 * packet in that flow if it is still the same flow of the same payer.
 *
 * muisp_ft_account(): meter one packet: @len is the L3 length (IP header
 * included) counted for @dir, @tcp_flags the TCP flag byte (0 for other
 * protocols), @gen the binding generation read (muisp_ft_gen()) before
 * the caller looked up the binding that gave @payer, @hint from
 * muisp_ft_find() or NULL.  A flow of another payer ends (REBIND), so each
 * record belongs to one contract; a flow inserted under a stale
 * generation ends at once (REBIND), so none outlives its binding.  But
 * if @payer is the one muisp_ft_find() gave and the flow was repaid since
 * (muisp_ft_repay(), in another context), the packet is still that
 * flow's: it counts in it, @hint->payer says whose the flow is now, and
 * MUISP_FT_REPAID tells the caller to move what it charged @payer for
 * the packet there.  Otherwise returns 0, -ENOMEM (allocation failed) or
 * -ENOSPC (table full, no victim); on error the packet is not metered and
 * stats say so.
 */
struct muisp_ft_hint {
	struct muisp_flow_entry *e;	/* NULL: none */
	const struct muisp_flow_payer *payer;	/* its payer when found */
	u64 id;				/* its flow id when found */
	u64 down;			/* and its packets down so far */
};

#define MUISP_FT_REPAID	1

u32 muisp_ft_pos(struct muisp_flowtable *ft, const struct muisp_flow_key *key);
u32 muisp_ft_gen(struct muisp_flowtable *ft);
const struct muisp_flow_payer *muisp_ft_find(struct muisp_flowtable *ft,
					     u32 pos,
					     const struct muisp_flow_key *key,
					     u8 tcp_flags,
					     struct muisp_ft_hint *hint);
int muisp_ft_account(struct muisp_flowtable *ft, u32 pos,
		     const struct muisp_flow_key *key, enum muisp_flow_dir dir,
		     unsigned int len, u8 tcp_flags,
		     const struct muisp_flow_payer *payer, u32 gen,
		     struct muisp_ft_hint *hint);

/*
 * The live flow of @key at @pos was charged to the wrong payer: it is
 * @payer's from now on, with what it carried so far (the thesis's
 * rollback: uinfo_meter.c moves that much between the contracts).
 * Softirq or process context, under RCU.  @gen as muisp_ft_account()'s:
 * read before the binding that gave @payer.  Returns the payer it had,
 * with its counters so far in @bytes and @packets ([MUISP_DIR_UP],
 * [MUISP_DIR_DOWN]); NULL if there is no such flow, it is @payer's
 * already, or a binding changed meanwhile (the flow stays as it is).
 */
const struct muisp_flow_payer *muisp_ft_repay(struct muisp_flowtable *ft,
					      u32 pos,
					      const struct muisp_flow_key *key,
					      const struct muisp_flow_payer *payer,
					      u32 gen, u64 bytes[2],
					      u64 packets[2]);

/*
 * A binding changed (process context, under the caller's config mutex,
 * after the new binding is published): the flows of @client (@family
 * AF_INET or AF_INET6), or of every client if @client is NULL, end with
 * @reason, and the binding generation moves on.  Returns the number
 * ended.  A payer may be freed once no binding leads to it and this has
 * returned (after an RCU grace period, as the packet path may hold it).
 */
unsigned int muisp_ft_unbind(struct muisp_flowtable *ft, u8 family,
			     const __be32 *client, enum muisp_flow_end reason);

/*
 * The same for the flows of the contract @contract_id (a user's binding
 * changed: users.c), whoever their client address.
 */
unsigned int muisp_ft_unbind_contract(struct muisp_flowtable *ft,
				      u64 contract_id,
				      enum muisp_flow_end reason);

/*
 * End (and export, reason FLUSH) every flow of @contract_id, or all flows
 * if 0.  Process context.  Returns the number of flows ended.
 */
unsigned int muisp_ft_flush(struct muisp_flowtable *ft, u64 contract_id);

/*
 * Deliver a snapshot of each live flow matching the cursor's filter to
 * @fn (called under rcu_read_lock(), no other lock held; must not sleep).
 * If @fn returns non-zero the walk stops and that value is returned; the
 * same flow is offered again by the next call.  Returns 0 once every
 * flow has been visited (and then sets c->done).  Flows go in (hash
 * position, flow id) order, which a resize of the table does not change,
 * so flows that exist for the whole dump are delivered exactly once;
 * flows created or ended during it may or may not be.  Process context.
 */
int muisp_ft_walk(struct muisp_flowtable *ft, struct muisp_ft_cursor *c,
		  int (*fn)(void *arg, const struct muisp_flow_record *rec),
		  void *arg);

void muisp_ft_stats(struct muisp_flowtable *ft, struct muisp_ft_stats *st);

#ifdef DEBUG
/* selftest/flowtable.c: true if every flow-table self-test passed. */
bool muisp_ft_selftest(void);
#endif

#endif /* MUISP_FLOWTABLE_H */
