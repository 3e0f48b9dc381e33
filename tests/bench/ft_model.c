// SPDX-License-Identifier: GPL-2.0
/* Host model of kmod/flowtable.c; see ft_model.h for what it covers. */
#include <assert.h>
#include <stdlib.h>
#include <netinet/in.h>

#include "ft_model.h"

static struct muisp_fti_tab *ftm_tab_alloc(u32 n, u32 nulls)
{
	struct muisp_fti_tab *t =
		aligned_alloc(64, (fti_tab_bytes(n) + 63) & ~(size_t)63);

	if (t)
		fti_tab_init(t, n, nulls);
	return t;
}

int ftm_init(struct ft_model *m, u32 max_flows, u32 idle_s, u32 fin_s,
	     const struct muisp_siphash_key *seed, ftm_export_fn export,
	     void *ctx)
{
	memset(m, 0, sizeof(*m));
	m->tab = ftm_tab_alloc(fti_size(0), 0);
	if (!m->tab)
		return -ENOMEM;
	m->seed = *seed;
	m->table_id = 1;
	m->max_flows = max_flows;
	m->idle_ns = (u64)idle_s * 1000000000ULL;
	m->fin_ns = (u64)fin_s * 1000000000ULL;
	m->export = export;
	m->ctx = ctx;
	return 0;
}

struct muisp_fti_tab *ftm_stripe_tab(struct ft_model *m, u32 s)
{
	return m->future && s < m->migrated ? m->future : m->tab;
}

int ftm_resize_begin(struct ft_model *m, u32 n)
{
	if (m->future)
		return -EBUSY;
	m->future = ftm_tab_alloc(n, m->tab->nulls ^ FTI_NULLS_ALT);
	if (!m->future)
		return -ENOMEM;
	m->migrated = 0;
	return 0;
}

void ftm_resize_step(struct ft_model *m, u32 nstripes)
{
	for (; nstripes && m->migrated < FTI_STRIPES; nstripes--)
		fti_migrate_stripe(m->tab, m->future, m->migrated++, &m->seed);
	if (m->migrated == FTI_STRIPES) {
		free(m->tab);
		m->tab = m->future;
		m->future = NULL;
		m->migrated = 0;
		m->resizes++;
	}
}

/* What the collector does: resize at once if the load asks for it. */
static void ftm_resize_if_needed(struct ft_model *m)
{
	u32 n;

	if (m->manual_resize || m->future)
		return;
	n = fti_resize_to(m->count, m->tab->n);
	if (n && !ftm_resize_begin(m, n))
		ftm_resize_step(m, FTI_STRIPES);
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
	u32 pos = fti_pos(muisp_flow_hash(key, &m->seed));
	unsigned int probes = 0;
	struct muisp_flow_entry *e;
	bool strayed;

	e = fti_find(m->tab, pos, key, m->table_id, &strayed, &probes);
	if (!e && m->future)
		e = fti_find(m->future, pos, key, m->table_id, &strayed,
			     &probes);
	m->lookups++;
	m->probes += probes;
	return e;
}

static struct muisp_flow_entry *
ftm_evict_scan(struct ft_model *m, struct muisp_fti_tab *t, u32 pos, u64 now)
{
	struct muisp_flow_entry *e, *victim = NULL;
	struct hlist_nulls_node *n;
	u32 i, b = fti_bucket(t, pos), seen = 0;
	u64 best = 0, score;

	for (i = 0; i < t->n && seen < FTM_EVICT_CANDIDATES &&
		    (i < FTM_EVICT_BUCKETS || !victim);
	     i++) {
		hlist_nulls_for_each_entry_rcu(e, n, &t->b[(b + i) % t->n],
					       node) {
			score = muisp_flow_evict_score(e, now, m->idle_ns,
						       m->fin_ns);
			if (!victim || score > best) {
				victim = e;
				best = score;
			}
			seen++;
		}
	}
	return victim;
}

static int ftm_evict_one(struct ft_model *m, u32 pos, u64 now)
{
	struct muisp_flow_entry *victim = ftm_evict_scan(m, m->tab, pos, now);

	if (!victim && m->future)
		victim = ftm_evict_scan(m, m->future, pos, now);
	if (!victim)
		return 0;
	ftm_end(m, victim, MUISP_FLOW_END_EVICTED);
	return 1;
}

const struct muisp_flow_payer *ftm_payer(struct ft_model *m, u64 id)
{
	u32 i;

	for (i = 0; i < m->npayers; i++)
		if (m->payers[i].id == id)
			return &m->payers[i];
	assert(m->npayers < FTM_PAYERS);
	m->payers[m->npayers].id = id;
	return &m->payers[m->npayers++];
}

int ftm_account(struct ft_model *m, const struct muisp_flow_key *key,
		enum muisp_flow_dir dir, unsigned int len, u8 tcp_flags,
		u64 contract_id, u64 now)
{
	const struct muisp_flow_payer *payer = ftm_payer(m, contract_id);
	u32 pos = fti_pos(muisp_flow_hash(key, &m->seed));
	u32 s = fti_stripe(pos);
	struct muisp_flow_entry *e, *victim;
	struct muisp_fti_tab *t;
	struct hlist_nulls_node *n;
	unsigned int chain = 0, cap;
	u64 best, score;
	bool strayed;
	u32 b;

	e = fti_find(ftm_stripe_tab(m, s), pos, key, m->table_id, &strayed,
		     NULL);
	if (e) {
		if (e->payer == payer &&
		    !(key->proto == IPPROTO_TCP &&
		      muisp_flow_tcp_reopens(e->tcp_flags, tcp_flags))) {
			spin_lock(&e->lock);
			muisp_flow_entry_update(e, dir, len, tcp_flags, now);
			spin_unlock(&e->lock);
			return 0;
		}
		ftm_end(m, e,
			e->payer != payer ? MUISP_FLOW_END_REBIND :
					    MUISP_FLOW_END_CLOSED);
	}
	if (m->count + 1 > m->max_flows) {
		if (!ftm_evict_one(m, pos, now)) {
			m->full_drops++;
			return -ENOSPC;
		}
		/* over a lowered cap: one more, to shrink to it */
		if (m->count + 1 > m->max_flows)
			ftm_evict_one(m, pos, now);
	}
	t = ftm_stripe_tab(m, s);
	b = fti_bucket(t, pos);
	hlist_nulls_for_each_entry_rcu(e, n, &t->b[b], node)
		chain++;
	cap = fti_overloaded(m->count + 1, t->n) ? FTI_CHAIN_MAX_GROWING :
						   FTI_CHAIN_MAX;
	if (chain >= cap) {
		victim = NULL;
		best = 0;
		hlist_nulls_for_each_entry_rcu(e, n, &t->b[b], node) {
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
			      (++m->stripe_seq[s] << FTI_STRIPE_BITS) | s,
			      payer, now);
	muisp_flow_entry_update(e, dir, len, tcp_flags, now);
	hlist_nulls_add_head_rcu(&e->node, &t->b[b]);
	m->count++;
	m->inserts++;
	if (fti_overloaded(m->count, t->n))
		ftm_resize_if_needed(m);
	return 0;
}

static unsigned int ftm_sweep(struct ft_model *m, u64 now, int flush,
			      u64 contract_id)
{
	struct hlist_nulls_node *pos, *next;
	struct muisp_flow_entry *e;
	struct muisp_fti_tab *t;
	enum muisp_flow_end r;
	unsigned int total = 0;
	u32 s, b;

	for (s = 0; s < FTI_STRIPES; s++) {
		t = ftm_stripe_tab(m, s);
		for (b = s * t->k; b < (s + 1) * t->k; b++) {
			for (pos = t->b[b].first; !is_a_nulls(pos);
			     pos = next) {
				next = pos->next;
				e = hlist_nulls_entry(
					pos, struct muisp_flow_entry, node);
				if (flush)
					r = !contract_id || e->payer->id ==
								    contract_id ?
						    MUISP_FLOW_END_FLUSH :
						    MUISP_FLOW_END_NONE;
				else
					r = muisp_flow_expired(
						e, now, m->idle_ns, m->fin_ns);
				if (r != MUISP_FLOW_END_NONE) {
					ftm_end(m, e, r);
					total++;
				}
			}
		}
	}
	return total;
}

unsigned int ftm_gc(struct ft_model *m, u64 now)
{
	unsigned int n = ftm_sweep(m, now, 0, 0);

	ftm_resize_if_needed(m);
	return n;
}

unsigned int ftm_flush(struct ft_model *m, u64 contract_id)
{
	return ftm_sweep(m, 0, 1, contract_id);
}

void ftm_destroy(struct ft_model *m)
{
	ftm_flush(m, 0);
	free(m->tab);
	free(m->future);
	m->tab = NULL;
	m->future = NULL;
}

/*
 * As muisp_ft_walk(): deliver, one at a time, the first flow after the
 * cursor in (position, id) order, found in the stripe's array of the
 * moment -- so the cursor survives a resize between calls.
 */
int ftm_walk(struct ft_model *m, struct ftm_cursor *c,
	     int (*fn)(void *arg, const struct muisp_flow_record *rec),
	     void *arg)
{
	struct muisp_flow_entry *e, *best;
	struct muisp_flow_record rec;
	struct hlist_nulls_node *n;
	struct muisp_fti_tab *t;
	u32 s, b, end, epos, bpos = 0;
	int ret;

	while (!c->done) {
		s = fti_stripe(c->pos);
		t = ftm_stripe_tab(m, s);
		end = (s + 1) * t->k;
		best = NULL;
		for (b = fti_bucket(t, c->pos); b < end && !best; b++) {
			hlist_nulls_for_each_entry_rcu(e, n, &t->b[b], node) {
				epos = fti_pos(
					muisp_flow_hash(&e->key, &m->seed));
				if (!fti_after(epos, e->id, c->pos, c->last_id))
					continue;
				if (!best ||
				    fti_after(bpos, best->id, epos, e->id)) {
					best = e;
					bpos = epos;
				}
			}
		}
		if (!best) {
			if (s == FTI_STRIPES - 1) {
				c->done = 1;
				break;
			}
			c->pos = (s + 1) << FTI_STRIPE_SHIFT;
			c->last_id = 0;
			continue;
		}
		muisp_flow_entry_record(best, &rec, 0, MUISP_FLOW_END_NONE);
		ret = fn(arg, &rec);
		if (ret)
			return ret;
		c->pos = bpos;
		c->last_id = rec.flow_id;
	}
	return 0;
}
