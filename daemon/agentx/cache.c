// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx's cache: the counters (lib/stats_cat) when older than 1 s,
 * and the tables when older than cache-ttl, rebuilt on demand from
 * read-only sources: muispd's MP_T_OP_SNAPSHOT (its outstanding
 * contracts) joined with the module's CONTRACT_GET dump, the module's
 * ADDR_GET and USER_GET dumps, and muisp-dhcpd's lease database.  New
 * rows are built to the side and swapped in whole (one thread: between
 * two PDUs).  A source that fails keeps its previous rows and counts in
 * ax->source_errors.  The row builders are pure (tests/unit).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "log.h"
#include "notify.h"

#define AX_STATS_MS 1000 /* scalars: at most this old */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ax_id_encode(uint64_t id, oid o[8])
{
	for (int k = 0; k < 8; k++)
		o[k] = (oid)((id >> (56 - 8 * k)) & 0xff);
}

int ax_id_decode(const oid *o, size_t len, uint64_t *id)
{
	uint64_t v = 0;

	if (len != 8)
		return -1;
	for (size_t k = 0; k < 8; k++) {
		if (o[k] > 255)
			return -1;
		v = v << 8 | o[k];
	}
	*id = v;
	return 0;
}

int ax_snaprow_from_msg(const struct mp_msg *m, struct ax_snaprow *r)
{
	if (m->type != MP_T_OP_SNAP_ROW || !mp_has(m, MP_A_SERIAL))
		return -1;
	memset(r, 0, sizeof(*r));
	r->serial = m->u[MP_A_SERIAL];
	r->state = (uint32_t)m->u[MP_A_STATE];
	r->method = (uint32_t)m->u[MP_A_METHOD];
	r->metric = (uint32_t)m->u[MP_A_METRIC];
	r->usage = m->u[MP_A_USAGE];
	r->soft = m->u[MP_A_SOFT];
	r->hard = m->u[MP_A_HARD];
	r->expiry = m->u[MP_A_EXPIRY];
	r->deposit = m->u[MP_A_AMOUNT];
	if (mp_has(m, MP_A_CURRENCY))
		snprintf(r->currency, sizeof(r->currency), "%.7s",
			 m->s[MP_A_CURRENCY]);
	if (mp_has(m, MP_A_ADDR))
		snprintf(r->addr, sizeof(r->addr), "%.63s", m->s[MP_A_ADDR]);
	return 0;
}

static int cmp_contract(const void *a, const void *b)
{
	uint64_t x = ((const struct ax_contract *)a)->id;
	uint64_t y = ((const struct ax_contract *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_nlc(const void *a, const void *b)
{
	uint64_t x = ((const struct muisp_nl_contract *)a)->id;
	uint64_t y = ((const struct muisp_nl_contract *)b)->id;

	return x < y ? -1 : x > y;
}

static void set_index(netsnmp_index *idx, oid *o, size_t len)
{
	idx->oids = o;
	idx->len = len;
}

static void kernel_cols(struct ax_contract *c,
			const struct muisp_nl_contract *k)
{
	c->kstatus = k->status;
	c->up_octets = k->up_bytes;
	c->up_packets = k->up_packets;
	c->down_octets = k->down_bytes;
	c->down_packets = k->down_packets;
}

int ax_contracts_build(const struct ax_snaprow *s, unsigned ns,
		       const struct muisp_nl_contract *k, unsigned nk,
		       struct ax_contract **out)
{
	struct ax_contract *v = calloc(ns ? ns : 1, sizeof(*v));
	struct muisp_nl_contract *ks = NULL;
	unsigned i;

	if (!v)
		return -1;
	if (nk) {
		ks = malloc(nk * sizeof(*ks));
		if (!ks) {
			free(v);
			return -1;
		}
		memcpy(ks, k, nk * sizeof(*ks));
		qsort(ks, nk, sizeof(*ks), cmp_nlc);
	}
	for (i = 0; i < ns; i++) {
		struct ax_contract *c = &v[i];
		const struct muisp_nl_contract *kc;
		struct muisp_nl_contract key = { .id = s[i].serial };

		c->id = s[i].serial;
		ax_id_encode(c->id, c->o);
		c->state = s[i].state;
		c->method = s[i].method;
		c->metric = s[i].metric;
		c->usage = s[i].usage;
		c->soft = s[i].soft;
		c->hard = s[i].hard;
		c->deposit = s[i].deposit;
		c->expires = s[i].expiry > UINT32_MAX ? UINT32_MAX :
							(uint32_t)s[i].expiry;
		memcpy(c->currency, s[i].currency, sizeof(c->currency));
		if (inet_pton(AF_INET, s[i].addr, c->addr) == 1) {
			c->addr_type = AX_INET_V4;
			c->addr_len = 4;
		} else if (inet_pton(AF_INET6, s[i].addr, c->addr) == 1) {
			c->addr_type = AX_INET_V6;
			c->addr_len = 16;
		}
		kc = ks ? bsearch(&key, ks, nk, sizeof(*ks), cmp_nlc) : NULL;
		if (kc)
			kernel_cols(c, kc);
	}
	free(ks);
	qsort(v, ns, sizeof(*v), cmp_contract);
	for (i = 0; i < ns; i++) /* after the sort: o moved */
		set_index(&v[i].idx, v[i].o, 8);
	*out = v;
	return 0;
}

void ax_contracts_keep_kernel(struct ax_contract *rows, unsigned n,
			      const struct ax_contract *old, unsigned nold)
{
	for (unsigned i = 0; i < n; i++) {
		const struct ax_contract *o = old ? bsearch(&rows[i], old, nold,
							    sizeof(*old),
							    cmp_contract) :
						    NULL;

		if (!o)
			continue;
		rows[i].kstatus = o->kstatus;
		rows[i].up_octets = o->up_octets;
		rows[i].up_packets = o->up_packets;
		rows[i].down_octets = o->down_octets;
		rows[i].down_packets = o->down_packets;
	}
}

int ax_addr_from_nl(const struct muisp_nl_addr *a, struct ax_addr *r)
{
	memset(r, 0, sizeof(*r));
	if (a->addr.family == AF_INET) {
		r->type = AX_INET_V4;
		r->len = 4;
	} else if (a->addr.family == AF_INET6) {
		r->type = AX_INET_V6;
		r->len = 16;
	} else {
		return -1;
	}
	memcpy(r->addr, a->addr.a, r->len);
	r->state = a->state;
	r->contract_id = a->state == MUISP_ADDR_STATE_BOUND ? a->contract_id :
							      0;
	r->tunnel = a->xfrm_spi ? a->xfrm_proto : 0;
	memcpy(r->mac, a->mac, sizeof(r->mac));
	return 0;
}

/* The index order of the table: type, length, octets. */
static int cmp_addr(const void *a, const void *b)
{
	const struct ax_addr *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, x->len);
}

void ax_addrs_sort(struct ax_addr *rows, unsigned n)
{
	qsort(rows, n, sizeof(*rows), cmp_addr);
	for (unsigned i = 0; i < n; i++) {
		struct ax_addr *r = &rows[i];

		r->o[0] = r->type;
		r->o[1] = r->len;
		for (unsigned k = 0; k < r->len; k++)
			r->o[2 + k] = r->addr[k];
		set_index(&r->idx, r->o, 2 + (size_t)r->len);
	}
}

int ax_user_from_nl(const struct muisp_nl_user *u, struct ax_user *r)
{
	memset(r, 0, sizeof(*r));
	if (u->addr.family == AF_INET) {
		r->type = AX_INET_V4;
		r->len = 4;
	} else if (u->addr.family == AF_INET6) {
		r->type = AX_INET_V6;
		r->len = 16;
	} else {
		return -1;
	}
	memcpy(r->addr, u->addr.a, r->len);
	r->user = u->user;
	r->contract_id = u->contract_id;
	/* the contract's counters: absent when the module has no contract
	 * of that id */
	if (MUISP_NL_HAS(u, MUISP_USER_A_UP_BYTES))
		r->up_octets = u->up_bytes;
	if (MUISP_NL_HAS(u, MUISP_USER_A_UP_PACKETS))
		r->up_packets = u->up_packets;
	if (MUISP_NL_HAS(u, MUISP_USER_A_DOWN_BYTES))
		r->down_octets = u->down_bytes;
	if (MUISP_NL_HAS(u, MUISP_USER_A_DOWN_PACKETS))
		r->down_packets = u->down_packets;
	/* the index: type, length, octets (InetAddress), Accounting ID */
	r->o[0] = r->type;
	r->o[1] = r->len;
	for (unsigned k = 0; k < r->len; k++)
		r->o[2 + k] = r->addr[k];
	r->o[2 + r->len] = r->user;
	set_index(&r->idx, r->o, 3 + (size_t)r->len);
	return 0;
}

static int cmp_user(const void *a, const void *b)
{
	const struct ax_user *x = a, *y = b;

	return snmp_oid_compare(x->o, x->idx.len, y->o, y->idx.len);
}

void ax_users_sort(struct ax_user *rows, unsigned n)
{
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_user);
	for (unsigned i = 0; i < n; i++)
		rows[i].idx.oids = rows[i].o;
}

int ax_pools_add(struct ax_pool **pools, unsigned *n,
		 const struct leasedb_pool *g)
{
	struct ax_pool *v, *p;

	/* idx is the table's index: rows come by idx, each once */
	if (!g->idx || (*n && (*pools)[*n - 1].o[0] >= g->idx)) {
		errno = EINVAL;
		return -1;
	}
	v = realloc(*pools, (*n + 1) * sizeof(*v));
	if (!v)
		return -1;
	*pools = v;
	for (unsigned k = 0; k < *n; k++) /* realloc moved the oids */
		set_index(&v[k].idx, v[k].o, 1);
	p = &v[(*n)++];
	memset(p, 0, sizeof(*p));
	p->o[0] = g->idx;
	set_index(&p->idx, p->o, 1);
	snprintf(p->ifname, sizeof(p->ifname), "%s", g->iface);
	p->size = g->size;
	p->leased = g->leased;
	p->offered = g->offered;
	p->quarantined = g->quarantined;
	p->free = g->free;
	return 0;
}

static int cmp_counter(const void *a, const void *b)
{
	const struct ax_counter *x = a, *y = b;

	return snmp_oid_compare(x->o, x->idx.len, y->o, y->idx.len);
}

int ax_counters_build(const struct stats_snap *s, struct ax_counter **out,
		      unsigned *n)
{
	struct ax_counter *v = calloc(s->n ? s->n : 1, sizeof(*v));
	unsigned m = 0;

	if (!v)
		return -1;
	for (unsigned i = 0; i < s->n; i++) {
		size_t len = strnlen(s->v[i].key, STATS_KEY_MAX - 1);
		struct ax_counter *c = &v[m];

		if (!len)
			continue;
		c->o[0] = len;
		for (size_t k = 0; k < len; k++)
			c->o[1 + k] = (unsigned char)s->v[i].key[k];
		c->idx.len = 1 + len;
		c->value = s->v[i].value;
		m++;
	}
	qsort(v, m, sizeof(*v), cmp_counter);
	for (unsigned i = 0; i < m; i++)
		v[i].idx.oids = v[i].o;
	*out = v;
	*n = m;
	return 0;
}

/* ---- the sources ---- */

struct snap_acc {
	struct ax_snaprow *v;
	unsigned n, cap;
};

/* muispd's outstanding contracts, page by page. */
static int fetch_snapshot(struct agentx *ax, struct snap_acc *a)
{
	uint64_t after = 0;
	struct mp_msg req, rep;

	do {
		mp_init(&req, MP_T_OP_SNAPSHOT, 0, 0);
		if (after)
			mp_set_u(&req, MP_A_SERIAL, after);
		if (opc_call(&ax->mpd, &req, &rep))
			return -1;
		while (rep.type == MP_T_OP_SNAP_ROW) {
			if (a->n == a->cap) {
				unsigned cap = a->cap ? 2 * a->cap : 1024;
				struct ax_snaprow *v =
					realloc(a->v, cap * sizeof(*v));

				if (!v)
					return -1;
				a->v = v;
				a->cap = cap;
			}
			if (ax_snaprow_from_msg(&rep, &a->v[a->n]) == 0)
				a->n++;
			if (!(rep.flags & MP_F_MORE))
				break;
			if (opc_next(&ax->mpd, &rep))
				return -1;
		}
		if (rep.type != MP_T_OP_OK) {
			errno = EPROTO;
			return -1;
		}
		after = mp_has(&rep, MP_A_SERIAL) ? rep.u[MP_A_SERIAL] : 0;
	} while (after);
	return 0;
}

struct nlc_acc {
	struct muisp_nl_contract *v;
	unsigned n, cap;
	int nomem;
};

/*
 * Room for one more row of size bytes in *v (n rows, room for *cap),
 * doubling from first: 0, or -1 with *nomem set.
 */
static int acc_room(void **v, unsigned n, unsigned *cap, size_t size,
		    unsigned first, int *nomem)
{
	unsigned c;
	void *nv;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : first;
	nv = realloc(*v, c * size);
	if (!nv) {
		*nomem = 1;
		return -1;
	}
	*v = nv;
	*cap = c;
	return 0;
}

static int nlc_cb(const struct muisp_nl_contract *o, void *arg)
{
	struct nlc_acc *a = arg;

	if (acc_room((void **)&a->v, a->n, &a->cap, sizeof(*a->v), 1024,
		     &a->nomem))
		return -1;
	a->v[a->n++] = *o;
	return 0;
}

static void nlc_reset(void *arg)
{
	((struct nlc_acc *)arg)->n = 0;
}

struct addr_acc {
	struct ax_addr *v;
	unsigned n, cap;
	int nomem;
};

static int addr_cb(const struct muisp_nl_addr *o, void *arg)
{
	struct addr_acc *a = arg;

	if (acc_room((void **)&a->v, a->n, &a->cap, sizeof(*a->v), 256,
		     &a->nomem))
		return -1;
	if (ax_addr_from_nl(o, &a->v[a->n]) == 0)
		a->n++;
	return 0;
}

static void addr_reset(void *arg)
{
	((struct addr_acc *)arg)->n = 0;
}

struct user_acc {
	struct ax_user *v;
	unsigned n, cap;
	int nomem;
};

static int user_cb(const struct muisp_nl_user *o, void *arg)
{
	struct user_acc *a = arg;

	if (acc_room((void **)&a->v, a->n, &a->cap, sizeof(*a->v), 256,
		     &a->nomem))
		return -1;
	if (ax_user_from_nl(o, &a->v[a->n]) == 0)
		a->n++;
	return 0;
}

static void user_reset(void *arg)
{
	((struct user_acc *)arg)->n = 0;
}

struct pool_acc {
	struct ax_pool *v;
	unsigned n;
};

static int pool_cb(const struct leasedb_pool *g, void *arg)
{
	struct pool_acc *a = arg;

	return ax_pools_add(&a->v, &a->n, g) ? 1 : 0;
}

static void source_failed(struct agentx *ax, const char *what)
{
	ax->source_errors++;
	log_debug("cache: %s did not answer; its previous rows stay", what);
}

/* The pools, with the counters (notify.c looks at them every
 * drop-rate-interval through ax_cache_pools()). */
static void refresh_pools(struct agentx *ax)
{
	struct ax_cache *c = ax->cache;
	struct pool_acc pa = { 0 };
	struct leasedb *db;

	if (!ax->conf.dhcpd_db[0])
		return;
	db = leasedb_open(ax->conf.dhcpd_db, LEASEDB_RDONLY);
	if (db && leasedb_foreach_pool(db, pool_cb, &pa) == 0) {
		free(c->pools);
		c->pools = pa.v;
		c->npools = pa.n;
		c->pools_ok = 1;
		pa.v = NULL;
	} else {
		c->pools_ok = 0;
		source_failed(ax, "the lease database");
	}
	if (db)
		leasedb_close(db);
	free(pa.v);
}

/* The module's family, opened when first needed (kernel yes): NULL
 * while the module is absent. */
static struct muisp_nl *module(struct agentx *ax)
{
	if (!ax->nl && ax->conf.kernel)
		ax->nl = muisp_nl_open(0);
	return ax->nl;
}

static void module_lost(struct agentx *ax)
{
	muisp_nl_close(ax->nl);
	ax->nl = NULL;
}

static void refresh_tables(struct agentx *ax)
{
	struct ax_cache *c = ax->cache;
	struct snap_acc sa = { 0 };
	struct nlc_acc ka = { 0 };
	struct addr_acc aa = { 0 };
	struct user_acc ua = { 0 };
	struct ax_contract *rows;
	int mpd_ok, k_ok = 0, a_ok = 0, u_ok = 0;

	mpd_ok = fetch_snapshot(ax, &sa) == 0;
	if (!mpd_ok)
		source_failed(ax, "muispd");
	if (module(ax)) {
		k_ok = muisp_nl_contract_dump(ax->nl, nlc_cb, nlc_reset, &ka) ==
			       0 &&
		       !ka.nomem;
		a_ok = muisp_nl_addr_dump(ax->nl, addr_cb, addr_reset, &aa) ==
			       0 &&
		       !aa.nomem;
		u_ok = muisp_nl_user_dump(ax->nl, user_cb, user_reset, &ua) ==
			       0 &&
		       !ua.nomem;
		if (!k_ok || !a_ok || !u_ok) {
			source_failed(ax, "the module");
			module_lost(ax);
		}
	}
	if (mpd_ok &&
	    ax_contracts_build(sa.v, sa.n, ka.v, k_ok ? ka.n : 0, &rows) == 0) {
		if (ax->conf.kernel && !k_ok)
			ax_contracts_keep_kernel(rows, sa.n, c->contracts,
						 c->ncontracts);
		free(c->contracts);
		c->contracts = rows;
		c->ncontracts = sa.n;
	}
	if (a_ok || !ax->conf.kernel) {
		ax_addrs_sort(aa.v, aa.n);
		free(c->addrs);
		c->addrs = aa.v;
		c->naddrs = aa.n;
		aa.v = NULL;
	}
	if (u_ok || !ax->conf.kernel) {
		ax_users_sort(ua.v, ua.n);
		free(c->users);
		c->users = ua.v;
		c->nusers = ua.n;
		ua.v = NULL;
	}
	free(ua.v);
	free(aa.v);
	free(ka.v);
	free(sa.v);
}

/* The values of the sources that failed this time, from the previous
 * snapshot. */
static void keep_failed(struct stats_snap *s, const struct stats_snap *old)
{
	for (unsigned i = 0; i < old->n; i++)
		if ((old->v[i].src & s->failed) &&
		    !stats_find(s, old->v[i].key))
			stats_add(s, old->v[i].src, old->v[i].key,
				  old->v[i].value);
	if (s->failed & STATS_SRC_KERNEL && old->present & STATS_SRC_KERNEL)
		s->kernel = old->kernel;
}

static void refresh_stats(struct agentx *ax, uint64_t now)
{
	struct ax_cache *c = ax->cache;
	struct stats_sources src = {
		.nl = module(ax),
		.muispd_socket = ax->conf.muispd_socket,
		.dhcpd_db = ax->conf.dhcpd_db,
		.ipfixd_socket = ax->conf.ipfixd_socket,
		.timeout_ms = (int)ax->conf.source_timeout_ms,
	};
	struct stats_snap s = { 0 };
	struct ax_counter *rows;
	unsigned n;

	if (stats_collect(&s, &src)) {
		stats_snap_free(&s);
		source_failed(ax, "counters (memory)");
		return;
	}
	for (unsigned f = s.failed; f; f &= f - 1)
		ax->source_errors++;
	keep_failed(&s, &c->stats);
	c->kernel_present = ax->nl && (s.present & STATS_SRC_KERNEL);
	if (ax->nl && (s.failed & STATS_SRC_KERNEL))
		module_lost(ax);
	else if (ax->conf.kernel && !ax->nl)
		ax->source_errors++; /* the module is absent */
	refresh_pools(ax);
	if (ax_counters_build(&s, &rows, &n)) {
		stats_snap_free(&s);
		return;
	}
	stats_snap_free(&c->stats);
	c->stats = s;
	free(c->counters);
	c->counters = rows;
	c->ncounters = n;
	c->stats_ms = now;
}

int ax_cache_init(struct agentx *ax)
{
	ax->cache = calloc(1, sizeof(*ax->cache));
	if (!ax->cache)
		return -1;
	opc_init(&ax->mpd, ax->conf.muispd_socket,
		 (int)ax->conf.source_timeout_ms);
	return 0;
}

void ax_cache_refresh(struct agentx *ax, int tables)
{
	struct ax_cache *c = ax->cache;
	uint64_t now = mono_ms();
	int changed = 0;

	if (!c)
		return;
	if (!c->stats_ms || now - c->stats_ms >= AX_STATS_MS) {
		refresh_stats(ax, now);
		changed = AX_RELOAD_COUNTERS;
	}
	if (tables &&
	    (!c->tables_ms || now - c->tables_ms >= ax->conf.cache_ttl_ms)) {
		uint64_t t0 = mono_ms();

		refresh_tables(ax);
		c->tables_ms = mono_ms();
		log_debug("cache: %u contracts, %u addresses, %u users, "
			  "%u pools in %llu ms",
			  c->ncontracts, c->naddrs, c->nusers, c->npools,
			  (unsigned long long)(c->tables_ms - t0));
		changed |= AX_RELOAD_TABLES;
	}
	if (changed && c->reload)
		c->reload(ax, changed);
}

void ax_cache_free(struct agentx *ax)
{
	struct ax_cache *c = ax->cache;

	if (!c)
		return;
	stats_snap_free(&c->stats);
	free(c->contracts);
	free(c->addrs);
	free(c->users);
	free(c->pools);
	free(c->counters);
	free(c);
	ax->cache = NULL;
	opc_close(&ax->mpd);
	if (ax->nl)
		module_lost(ax);
}

int ax_cache_pools(const struct agentx *ax, struct ax_pool_free *out,
		   unsigned int max)
{
	const struct ax_cache *c = ax->cache;
	unsigned i;

	if (!c || !c->pools_ok)
		return -1;
	for (i = 0; i < c->npools && i < max; i++) {
		snprintf(out[i].name, sizeof(out[i].name), "%s",
			 c->pools[i].ifname);
		out[i].size = c->pools[i].size;
		out[i].free = c->pools[i].free;
	}
	return (int)i;
}

const struct stats_snap *ax_cache_stats(const struct agentx *ax)
{
	return &ax->cache->stats;
}

uint32_t ax_cache_age_ms(const struct agentx *ax)
{
	const struct ax_cache *c = ax->cache;
	uint64_t t = c ? c->stats_ms : 0, now = mono_ms();

	if (!t)
		return UINT32_MAX;
	return now - t > UINT32_MAX ? UINT32_MAX : (uint32_t)(now - t);
}
