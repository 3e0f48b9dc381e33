// SPDX-License-Identifier: GPL-2.0
/*
 * TEMPORARY (h-agentx skeleton): stand-ins for h-tables' cache.c, tables.c
 * and scalars.c so that the daemon builds and answers muispCacheAge.
 * Deleted when h-tables' files are merged.
 */
#include <string.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx.h"
#include "leasedb.h"
#include "notify.h"
#include "oids.h"

static struct stats_snap snap;
static uint64_t built_ms;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int ax_cache_init(struct agentx *ax)
{
	(void)ax;
	built_ms = mono_ms();
	return 0;
}

void ax_cache_refresh(struct agentx *ax, int tables)
{
	(void)ax;
	(void)tables;
	built_ms = mono_ms();
}

void ax_cache_free(struct agentx *ax)
{
	(void)ax;
}

const struct stats_snap *ax_cache_stats(const struct agentx *ax)
{
	(void)ax;
	return &snap;
}

uint32_t ax_cache_age_ms(const struct agentx *ax)
{
	(void)ax;
	return (uint32_t)(mono_ms() - built_ms);
}

struct pools_arg {
	struct ax_pool_free *p;
	unsigned int n, max;
};

static int pool_cb(const struct lease_rec *r, void *arg)
{
	struct pools_arg *a = arg;
	unsigned int i;

	for (i = 0; i < a->n; i++)
		if (!strncmp(a->p[i].name, r->iface, AX_POOL_NAME_MAX))
			break;
	if (i == a->n) {
		if (a->n == a->max)
			return 0;
		memset(&a->p[i], 0, sizeof(a->p[i]));
		snprintf(a->p[i].name, AX_POOL_NAME_MAX, "%s", r->iface);
		a->n++;
	}
	a->p[i].size++;
	if (r->state == LEASE_FREE)
		a->p[i].free++;
	return 0;
}

int ax_cache_pools(const struct agentx *ax, struct ax_pool_free *out,
		   unsigned int max)
{
	struct pools_arg a = { out, 0, max };
	struct leasedb *db;
	int r;

	if (!ax->conf.dhcpd_db[0])
		return -1;
	db = leasedb_open(ax->conf.dhcpd_db, LEASEDB_RDONLY);
	if (!db)
		return -1;
	r = leasedb_foreach(db, pool_cb, &a);
	leasedb_close(db);
	return r ? -1 : (int)a.n;
}

static int cache_age(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		     netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	u_long v;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	v = ax_cache_age_ms(reg->my_reg_void);
	snmp_set_var_typed_value(rq->requestvb, ASN_UNSIGNED, (u_char *)&v,
				 sizeof(v));
	return SNMP_ERR_NOERROR;
}

int ax_register_objects(struct agentx *ax)
{
	static const oid o[] = { AX_OID_GLOBAL, AX_GLOBAL_CACHE_AGE };
	netsnmp_handler_registration *reg;

	reg = netsnmp_create_handler_registration("muispCacheAge", cache_age, o,
						  OID_LENGTH(o),
						  HANDLER_CAN_RONLY);
	if (!reg)
		return -1;
	reg->my_reg_void = ax;
	return netsnmp_register_scalar(reg) == SNMPERR_SUCCESS ? 0 : -1;
}

/* lib/stats_cat.c is h-stats'; until it is merged */
const struct stats_val *stats_find(const struct stats_snap *s, const char *key)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	return NULL;
}
