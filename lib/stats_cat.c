// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of every source in one snapshot (see stats_cat.h): the
 * module over netlink, muispd and muisp-ipfixd over their operator
 * sockets (lib/opclient), muisp-dhcpd's lease database read-only
 * (lib/leasedb).  `muispctl stats` prints what this collects and
 * muisp-agentx serves it, so both show the same numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leasedb.h"
#include "opclient.h"
#include "stats_cat.h"

#define STATS_TIMEOUT_MS 5000

/* The value of the module's scalar KEY (the drops are the stats_defs[]
 * entries of group 2, indexed by reason): 0, or -1 for a key it has
 * not. */
static int kernel_scalar(const struct muisp_nl_stats *k, const char *key,
			 uint64_t *v)
{
	const struct {
		const char *key;
		uint64_t v;
	} f[] = {
		{ "up_packets", k->up_packets },
		{ "up_bytes", k->up_bytes },
		{ "down_packets", k->down_packets },
		{ "down_bytes", k->down_bytes },
		{ "local_packets", k->local_packets },
		{ "garden_packets", k->garden_packets },
		{ "flows", k->flows },
		{ "max_flows", k->max_flows },
		{ "evictions", k->evictions },
		{ "flow_records", k->flow_records },
		{ "records_lost", k->records_lost },
		{ "events", k->events },
		{ "events_lost", k->events_lost },
		{ "addrs", k->addrs },
		{ "contracts", k->contracts },
		{ "flows_unmetered", k->flows_unmetered },
		{ "conn_held", k->conn_held },
		{ "conn_requests", k->conn_requests },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(f[i].key, key)) {
			*v = f[i].v;
			return 0;
		}
	return -1;
}

#define DROP_GROUP 2 /* muispDropTable */

/* The catalogue index of key, or stats_ndefs. */
static unsigned int def_of(const char *key)
{
	unsigned int i;

	for (i = 0; i < stats_ndefs; i++)
		if (!strcmp(stats_defs[i].key, key))
			break;
	return i;
}

/* Where v sorts: catalogue entries by their index, the others after. */
static unsigned int rank(const struct stats_val *v)
{
	return def_of(v->key);
}

/* Append or replace KEY (prefix + name, mangled) with TITLE (tprefix +
 * name when the catalogue has none). */
static int add(struct stats_snap *s, enum stats_src src, const char *prefix,
	       const char *name, const char *tprefix, uint64_t value)
{
	char key[STATS_KEY_MAX];
	struct stats_val *v;
	unsigned int i, d, at;
	int n;

	n = snprintf(key, sizeof(key), "%s%s", prefix, name);
	if (n < 1 || (size_t)n >= sizeof(key))
		return 0; /* too long for the MIB's index: left out */
	for (char *p = key; *p; p++)
		if (*p == '.' || *p == '-')
			*p = '_';
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key)) {
			s->v[i].value = value;
			s->v[i].src = (uint8_t)src;
			return 0;
		}
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 64;

		v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	d = def_of(key);
	at = s->n;
	if (d < stats_ndefs) /* before the first that ranks after it */
		for (at = 0; at < s->n && rank(&s->v[at]) < d; at++)
			;
	memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*v));
	v = &s->v[at];
	memset(v, 0, sizeof(*v));
	memcpy(v->key, key, (size_t)n + 1);
	if (d < stats_ndefs)
		snprintf(v->title, sizeof(v->title), "%s", stats_defs[d].title);
	else
		snprintf(v->title, sizeof(v->title), "%s%s", tprefix, name);
	v->value = value;
	v->src = (uint8_t)src;
	s->n++;
	return 0;
}

int stats_add(struct stats_snap *s, enum stats_src src, const char *key,
	      uint64_t value)
{
	return add(s, src, "", key, "", value);
}

/* "radius_" -> "radius " */
static void title_prefix(const char *prefix, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", prefix);
	n = strlen(buf);
	if (n && buf[n - 1] == '_')
		buf[n - 1] = ' ';
}

int stats_add_counters(struct stats_snap *s, enum stats_src src,
		       const char *prefix, const struct mp_counter *c,
		       unsigned int n)
{
	char tprefix[STATS_KEY_MAX];
	unsigned int i;

	title_prefix(prefix, tprefix, sizeof(tprefix));
	for (i = 0; i < n; i++)
		if (add(s, src, prefix, c[i].name, tprefix, c[i].value))
			return -1;
	return 0;
}

int stats_add_kernel(struct stats_snap *s, const struct muisp_nl_stats *k)
{
	unsigned int i;

	for (i = 0; i < stats_ndefs; i++) {
		const struct stats_def *d = &stats_defs[i];
		uint64_t v = 0;

		if (d->src != STATS_SRC_KERNEL)
			continue;
		if (d->mib_group == DROP_GROUP) {
			if (d->mib_arc > MUISP_DROP_MAX ||
			    !(k->drops_present & (1ULL << d->mib_arc)))
				continue;
			v = k->drops[d->mib_arc];
		} else if (kernel_scalar(k, d->key, &v) < 0) {
			continue; /* no such field in this build */
		}
		if (add(s, STATS_SRC_KERNEL, "", d->key, "", v))
			return -1;
	}
	return 0;
}

const struct stats_val *stats_find(const struct stats_snap *s, const char *key)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}

void stats_snap_free(struct stats_snap *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- the sources ---- */

/* A daemon's MP_T_OP_STATS.  0 (answered), 1 (did not), -1 ENOMEM. */
static int from_daemon(struct stats_snap *s, enum stats_src src,
		       const char *path, const char *name, const char *prefix,
		       int timeout_ms)
{
	struct mp_counter *c;
	struct opclient o;
	unsigned int n;
	int r;

	opc_init(&o, path, timeout_ms);
	snprintf(o.name, sizeof(o.name), "%s", name);
	r = opc_counters(&o, MP_T_OP_STATS, &c, &n);
	opc_close(&o);
	if (r)
		return errno == ENOMEM ? -1 : 1;
	r = stats_add_counters(s, src, prefix, c, n);
	free(c);
	return r;
}

struct dhcp_acc {
	struct stats_snap *s;
	uint64_t by_state[LEASE_QUARANTINE + 1];
	int err;
};

static int dhcp_count(const struct lease_rec *r, void *arg)
{
	struct dhcp_acc *a = arg;

	if (r->state >= LEASE_FREE && r->state <= LEASE_QUARANTINE)
		a->by_state[r->state]++;
	return 0;
}

static int dhcp_stat(const char *name, uint64_t v, void *arg)
{
	struct dhcp_acc *a = arg;

	if (!name || !strcmp(name, "updated"))
		return 0;
	if (add(a->s, STATS_SRC_DHCPD, "dhcp_", name, "dhcp ", v)) {
		a->err = ENOMEM;
		return 1;
	}
	return 0;
}

/* muisp-dhcpd's lease database.  0, 1 (not readable), -1 ENOMEM. */
static int from_leasedb(struct stats_snap *s, const char *path)
{
	static const struct {
		int state;
		const char *name;
	} by_state[] = {
		{ LEASE_LEASED, "addrs_leased" },
		{ LEASE_QUARANTINE, "addrs_quarantine" },
		{ LEASE_FREE, "addrs_free" },
	};
	struct dhcp_acc a = { .s = s };
	struct leasedb *db = leasedb_open(path, LEASEDB_RDONLY);
	unsigned int i, n0 = s->n;
	int r = 0;

	if (!db)
		return 1;
	if (leasedb_foreach(db, dhcp_count, &a) != 0) {
		r = 1;
		goto out;
	}
	for (i = 0; i < sizeof(by_state) / sizeof(by_state[0]); i++)
		if (add(s, STATS_SRC_DHCPD, "dhcp_", by_state[i].name, "dhcp ",
			a.by_state[by_state[i].state])) {
			r = -1;
			goto out;
		}
	if (leasedb_foreach_stat(db, dhcp_stat, &a) != 0)
		r = a.err ? -1 : 1;
out:
	leasedb_close(db);
	if (r > 0) { /* nothing half-read */
		for (i = n0; i < s->n;)
			if (s->v[i].src == STATS_SRC_DHCPD)
				memmove(&s->v[i], &s->v[i + 1],
					(--s->n - i) * sizeof(s->v[0]));
			else
				i++;
	}
	return r;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Record what a source did: r 0 answered, 1 failed, -1 out of memory. */
static int took(struct stats_snap *s, enum stats_src src, int r)
{
	if (r == 0)
		s->present |= src;
	else
		s->failed |= src;
	return r < 0 ? -1 : 0;
}

int stats_collect(struct stats_snap *s, const struct stats_sources *src)
{
	int tmo = src->timeout_ms > 0 ? src->timeout_ms : STATS_TIMEOUT_MS;
	int kerr = 0, r = 0;

	s->n = 0;
	s->present = s->failed = 0;
	memset(&s->kernel, 0, sizeof(s->kernel));
	s->taken_ms = mono_ms();
	if (src->nl) {
		if (muisp_nl_stats_get(src->nl, &s->kernel) == 0) {
			r |= took(s, STATS_SRC_KERNEL,
				  stats_add_kernel(s, &s->kernel));
		} else {
			kerr = errno;
			memset(&s->kernel, 0, sizeof(s->kernel));
			took(s, STATS_SRC_KERNEL, 1);
		}
	}
	if (!r && src->muispd_socket && *src->muispd_socket)
		r |= took(s, STATS_SRC_MUISPD,
			  from_daemon(s, STATS_SRC_MUISPD, src->muispd_socket,
				      "muispd", "radius_", tmo));
	if (!r && src->dhcpd_db && *src->dhcpd_db)
		r |= took(s, STATS_SRC_DHCPD, from_leasedb(s, src->dhcpd_db));
	if (!r && src->ipfixd_socket && *src->ipfixd_socket)
		r |= took(s, STATS_SRC_IPFIXD,
			  from_daemon(s, STATS_SRC_IPFIXD, src->ipfixd_socket,
				      "muisp-ipfixd", "ipfix_", tmo));
	if (r) {
		errno = ENOMEM;
		return -1;
	}
	if (s->failed & STATS_SRC_KERNEL)
		errno = kerr;
	return 0;
}
