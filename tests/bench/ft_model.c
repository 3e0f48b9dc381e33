// SPDX-License-Identifier: GPL-2.0
/* Host model of kmod/flowtable.c; see ft_model.h for what it covers. */
#include <stdlib.h>
#include <netinet/in.h>

#include "ft_model.h"

int ftm_init(struct ft_model *m, u32 max_flows, u32 idle_s, u32 fin_s,
	     const struct muisp_siphash_key *seed, ftm_export_fn export,
	     void *ctx)
{
	u32 i, nstripes;

	memset(m, 0, sizeof(*m));
	m->nbuckets = muisp_flow_nbuckets(max_flows);
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	nstripes = m->nbuckets < FTM_STRIPES_MAX ? m->nbuckets :
						   FTM_STRIPES_MAX;
	m->stripe_seq = calloc(nstripes, sizeof(*m->stripe_seq));
	if (!m->buckets || !m->stripe_seq) {
		free(m->buckets);
		free(m->stripe_seq);
		return -ENOMEM;
	}
	for (i = 0; i < m->nbuckets; i++)
		INIT_HLIST_NULLS_HEAD(&m->buckets[i], i);
	m->stripe_mask = nstripes - 1;
	while ((1U << m->stripe_bits) < nstripes)
		m->stripe_bits++;
	m->seed = *seed;
	m->table_id = 1;
	m->max_flows = max_flows;
	m->idle_ns = (u64)idle_s * 1000000000ULL;
	m->fin_ns = (u64)fin_s * 1000000000ULL;
	m->export = export;
	m->ctx = ctx;
	return 0;
}

static void ftm_end(struct ft_model *m, struct muisp_flow_entry *e,
		    enum muisp_flow_end reason)
{
	struct muisp_flow_record rec;

	spin_lock(&e->lock);
	muisp_flow_entry_record(e, &rec, 0, reason);
	muisp_flow_entry_kill(e);
	spin_unlock(&e->lock);
	hlist_nulls_del_rcu(&e->node);
	free(e);
	m->count--;
	switch (reason) {
	case MUISP_FLOW_END_IDLE:
		m->expired_idle++;
		break;
	case MUISP_FLOW_END_CLOSED:
		m->expired_closed++;
		break;
	case MUISP_FLOW_END_EVICTED:
		m->evictions++;
		break;
	case MUISP_FLOW_END_FLUSH:
		m->flushed++;
		break;
	case MUISP_FLOW_END_REBIND:
		m->rebinds++;
		break;
	default:
		abort();
	}
	m->exported++;
	m->export(m->ctx, &rec);
}

struct muisp_flow_entry *ftm_lookup(struct ft_model *m,
				    const struct muisp_flow_key *key)
{
	u32 b = muisp_flow_bucket(muisp_flow_hash(key, &m->seed), m->nbuckets);
	unsigned int probes = 0;
	unsigned long nulls;
	struct muisp_flow_entry *e;

	e = muisp_flow_chain_find(&m->buckets[b], key, m->table_id, &nulls,
				  &probes);
	m->lookups++;
	m->probes += probes;
	return e;
}

static int ftm_evict_one(struct ft_model *m, u32 b, u64 now)
{
	struct muisp_flow_entry *e, *victim = NULL;
	struct hlist_nulls_node *n;
	u64 best = 0, score;
	u32 i, seen = 0;

	for (i = 0; i < m->nbuckets && seen < FTM_EVICT_CANDIDATES &&
		    (i < FTM_EVICT_BUCKETS || !victim);
	     i++) {
		hlist_nulls_for_each_entry_rcu(
			e, n, &m->buckets[(b + i) & (m->nbuckets - 1)], node) {
			score = muisp_flow_evict_score(e, now, m->idle_ns,
						       m->fin_ns);
			if (!victim || score > best) {
				victim = e;
				best = score;
			}
			seen++;
		}
	}
	if (!victim)
		return 0;
	ftm_end(m, victim, MUISP_FLOW_END_EVICTED);
	return 1;
}

int ftm_account(struct ft_model *m, const struct muisp_flow_key *key,
		enum muisp_flow_dir dir, unsigned int len, u8 tcp_flags,
		u64 contract_id, u64 now)
{
	u32 b = muisp_flow_bucket(muisp_flow_hash(key, &m->seed), m->nbuckets);
	struct muisp_flow_entry *e, *victim;
	struct hlist_nulls_node *n;
	unsigned int chain = 0;
	unsigned long nulls;
	u64 best, score;

	e = muisp_flow_chain_find(&m->buckets[b], key, m->table_id, &nulls,
				  NULL);
	if (e) {
		if (e->contract_id == contract_id &&
		    !(key->proto == IPPROTO_TCP &&
		      muisp_flow_tcp_reopens(e->tcp_flags, tcp_flags))) {
			spin_lock(&e->lock);
			muisp_flow_entry_update(e, dir, len, tcp_flags, now);
			spin_unlock(&e->lock);
			return 0;
		}
		ftm_end(m, e,
			e->contract_id != contract_id ? MUISP_FLOW_END_REBIND :
							MUISP_FLOW_END_CLOSED);
	}
	if (m->count + 1 > m->max_flows) {
		if (!ftm_evict_one(m, b, now)) {
			m->full_drops++;
			return -ENOSPC;
		}
		/* over a lowered cap: one more, to shrink to it */
		if (m->count + 1 > m->max_flows)
			ftm_evict_one(m, b, now);
	}
	hlist_nulls_for_each_entry_rcu(e, n, &m->buckets[b], node)
		chain++;
	if (chain >= FTM_CHAIN_MAX) {
		victim = NULL;
		best = 0;
		hlist_nulls_for_each_entry_rcu(e, n, &m->buckets[b], node) {
			score = muisp_flow_evict_score(e, now, m->idle_ns,
						       m->fin_ns);
			if (!victim || score > best) {
				victim = e;
				best = score;
			}
		}
		ftm_end(m, victim, MUISP_FLOW_END_EVICTED);
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	spin_lock_init(&e->lock);
	muisp_flow_entry_init(e, key, m->table_id,
			      (++m->stripe_seq[b & m->stripe_mask]
			       << m->stripe_bits) |
				      (b & m->stripe_mask),
			      contract_id, now);
	muisp_flow_entry_update(e, dir, len, tcp_flags, now);
	hlist_nulls_add_head_rcu(&e->node, &m->buckets[b]);
	m->count++;
	m->inserts++;
	return 0;
}

static unsigned int ftm_sweep(struct ft_model *m, u64 now, int flush,
			      u64 contract_id)
{
	struct hlist_nulls_node *pos, *next;
	struct muisp_flow_entry *e;
	enum muisp_flow_end r;
	unsigned int total = 0;
	u32 b;

	for (b = 0; b < m->nbuckets; b++) {
		for (pos = m->buckets[b].first; !is_a_nulls(pos); pos = next) {
			next = pos->next;
			e = hlist_nulls_entry(pos, struct muisp_flow_entry,
					      node);
			if (flush)
				r = !contract_id || e->contract_id ==
							    contract_id ?
					    MUISP_FLOW_END_FLUSH :
					    MUISP_FLOW_END_NONE;
			else
				r = muisp_flow_expired(e, now, m->idle_ns,
						       m->fin_ns);
			if (r != MUISP_FLOW_END_NONE) {
				ftm_end(m, e, r);
				total++;
			}
		}
	}
	return total;
}

unsigned int ftm_gc(struct ft_model *m, u64 now)
{
	return ftm_sweep(m, now, 0, 0);
}

unsigned int ftm_flush(struct ft_model *m, u64 contract_id)
{
	return ftm_sweep(m, 0, 1, contract_id);
}

void ftm_destroy(struct ft_model *m)
{
	ftm_flush(m, 0);
	free(m->buckets);
	free(m->stripe_seq);
	m->buckets = NULL;
	m->stripe_seq = NULL;
}

int ftm_walk(struct ft_model *m, struct ftm_cursor *c,
	     int (*fn)(void *arg, const struct muisp_flow_record *rec),
	     void *arg)
{
	struct muisp_flow_record rec;
	struct muisp_flow_entry *e;
	struct hlist_nulls_node *n;
	int ret;
	u32 b;

	if (c->done)
		return 0;
	for (b = c->bucket; b < m->nbuckets; b++) {
		if (b != c->bucket) {
			c->bucket = b;
			c->last_id = 0;
		}
		hlist_nulls_for_each_entry_rcu(e, n, &m->buckets[b], node) {
			if (c->last_id && e->id >= c->last_id)
				continue;
			muisp_flow_entry_record(e, &rec, 0,
						MUISP_FLOW_END_NONE);
			ret = fn(arg, &rec);
			if (ret)
				return ret;
			c->last_id = rec.flow_id;
		}
	}
	c->bucket = m->nbuckets;
	c->last_id = 0;
	c->done = 1;
	return 0;
}
