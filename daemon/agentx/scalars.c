// SPDX-License-Identifier: GPL-2.0
/*
 * MUISP-MIB's scalars: every catalogue counter with a place in muispGlobal,
 * muispFlow or muispIpfix (lib/stats_defs.c, mib_group 1, 3, 8) from the
 * cache's counters snapshot, and the subagent's own muispCacheAge,
 * muispKernelPresent and muispSourceErrors.  A counter whose source did
 * not answer (no module, no muisp-ipfixd) reads 0: every object answers.
 */
#include <string.h>

#include "cache.h"
#include "oids.h"

enum { OWN_AGE = 1, OWN_KERNEL, OWN_ERRORS };

struct scalar {
	struct agentx *ax;
	const struct stats_def *def; /* NULL: one of OWN_* */
	int own;
};

static int scalar_handler(netsnmp_mib_handler *h,
			  netsnmp_handler_registration *reg,
			  netsnmp_agent_request_info *ri,
			  netsnmp_request_info *rq)
{
	const struct scalar *s = reg->my_reg_void;
	const struct stats_val *v;
	struct counter64 c;
	uint64_t x = 0;
	u_long u;
	long b;

	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	if (s->def) {
		v = stats_find(ax_cache_stats(s->ax), s->def->key);
		x = v ? v->value : 0;
	} else if (s->own == OWN_ERRORS) {
		x = s->ax->source_errors;
	}
	for (; rq; rq = rq->next) {
		if (s->own == OWN_AGE) {
			u = ax_cache_age_ms(s->ax);
			snmp_set_var_typed_value(rq->requestvb, ASN_UNSIGNED,
						 &u, sizeof(u));
		} else if (s->own == OWN_KERNEL) {
			b = s->ax->cache->kernel_present ? 1 :
							   2; /* TruthValue */
			snmp_set_var_typed_value(rq->requestvb, ASN_INTEGER, &b,
						 sizeof(b));
		} else if (s->def && s->def->type == STATS_GAUGE32) {
			u = x > UINT32_MAX ? UINT32_MAX : (u_long)x;
			snmp_set_var_typed_value(rq->requestvb, ASN_GAUGE, &u,
						 sizeof(u));
		} else {
			c.high = x >> 32;
			c.low = x & 0xffffffff;
			snmp_set_var_typed_value(rq->requestvb, ASN_COUNTER64,
						 &c, sizeof(c));
		}
	}
	return SNMP_ERR_NOERROR;
}

static int scalar(struct agentx *ax, const char *name, unsigned group,
		  unsigned arc, const struct stats_def *def, int own)
{
	oid o[] = { AX_OID_OBJECTS, group, arc };
	netsnmp_handler_registration *reg;
	netsnmp_mib_handler *first;
	struct scalar *s = calloc(1, sizeof(*s));

	reg = netsnmp_create_handler_registration(
		name, scalar_handler, o, OID_LENGTH(o), HANDLER_CAN_RONLY);
	if (!s || !reg) {
		free(s);
		return -1;
	}
	s->ax = ax;
	s->def = def;
	s->own = own;
	reg->my_reg_void = s;
	if (netsnmp_register_scalar(reg) != SNMPERR_SUCCESS)
		return -1;
	first = ax_cache_handler(ax, 0);
	if (!first || netsnmp_inject_handler(reg, first) != SNMPERR_SUCCESS)
		return -1;
	return 0;
}

int ax_register_scalars(struct agentx *ax)
{
	for (unsigned i = 0; i < stats_ndefs; i++) {
		const struct stats_def *d = &stats_defs[i];

		if (d->mib_group != AX_GRP_GLOBAL &&
		    d->mib_group != AX_GRP_FLOW && d->mib_group != AX_GRP_IPFIX)
			continue;
		if (scalar(ax, d->mib_name, d->mib_group, d->mib_arc, d, 0))
			return -1;
	}
	if (scalar(ax, "muispCacheAge", AX_GRP_GLOBAL, AX_GLOBAL_CACHE_AGE,
		   NULL, OWN_AGE) ||
	    scalar(ax, "muispKernelPresent", AX_GRP_GLOBAL,
		   AX_GLOBAL_KERNEL_PRESENT, NULL, OWN_KERNEL) ||
	    scalar(ax, "muispSourceErrors", AX_GRP_GLOBAL,
		   AX_GLOBAL_SOURCE_ERRORS, NULL, OWN_ERRORS))
		return -1;
	return 0;
}
