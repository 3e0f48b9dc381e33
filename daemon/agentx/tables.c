// SPDX-License-Identifier: GPL-2.0
/*
 * MUISP-MIB's tables on net-snmp's table_container helper (a sorted
 * netsnmp_container of rows that start with their netsnmp_index; the
 * iterator helper is 10x slower at 10,000 rows, measured):
 * muispDropTable, muispContractTable, muispAddrTable, muispPoolTable,
 * muispCounterTable and muispUserTable.  The rows are the cache's
 * (cache.c); after each refresh reload() empties the containers and
 * inserts the new rows.  A handler in front of the helper refreshes the
 * cache first, so the helper never holds a row of a replaced cache.
 *
 * Indexes: the contract id is OCTET STRING (SIZE(8)), its 8 octets with
 * no length sub-identifier (ASN_PRIV_IMPLIED_OCTET_STR: with
 * ASN_OCTET_STR the helper wants a length and GET fails while GETNEXT
 * works, measured); the counter name and the InetAddress are variable
 * length strings with their length first (muispUserTable: the
 * Accounting ID, one sub-identifier, after the InetAddress).
 */
#include <string.h>

#include "cache.h"
#include "log.h"
#include "oids.h"

struct cache_ref {
	struct agentx *ax;
	int tables;
};

static int cache_first(netsnmp_mib_handler *h,
		       netsnmp_handler_registration *reg,
		       netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	struct cache_ref *r = h->myvoid;

	ax_cache_refresh(r->ax, r->tables);
	return netsnmp_call_next_handler(h, reg, ri, rq);
}

netsnmp_mib_handler *ax_cache_handler(struct agentx *ax, int tables)
{
	netsnmp_mib_handler *h =
		netsnmp_create_handler("muispCache", cache_first);
	struct cache_ref *r = calloc(1, sizeof(*r));

	if (!h || !r) {
		free(r);
		return NULL;
	}
	r->ax = ax;
	r->tables = tables;
	h->myvoid = r;
	h->data_free = free;
	return h;
}

/* muispDropTable: one static row per drop reason of the catalogue. */
struct ax_drop {
	netsnmp_index idx;
	oid o[1];
	const struct stats_def *def;
};

static struct {
	netsnmp_container *drop, *contract, *addr, *pool, *counter, *user;
	struct ax_drop drops[16];
	unsigned ndrops;
	struct agentx *ax;
} T;

static void set_c64(netsnmp_variable_list *vb, uint64_t v)
{
	struct counter64 c = { v >> 32, v & 0xffffffff };

	snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

static void set_u32(netsnmp_variable_list *vb, u_char type, uint64_t v)
{
	u_long x = v > UINT32_MAX ? UINT32_MAX : (u_long)v;

	snmp_set_var_typed_value(vb, type, &x, sizeof(x));
}

static void set_int(netsnmp_variable_list *vb, long v)
{
	snmp_set_var_typed_value(vb, ASN_INTEGER, &v, sizeof(v));
}

static void set_str(netsnmp_variable_list *vb, const void *p, size_t len)
{
	snmp_set_var_typed_value(vb, ASN_OCTET_STR, p, len);
}

/* The value of one column of row; -1 when there is no such column. */
typedef int (*col_fn)(netsnmp_variable_list *vb, const void *row, unsigned col);

static int drop_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct ax_drop *d = row;
	const struct stats_val *v =
		stats_find(ax_cache_stats(T.ax), d->def->key);

	if (col != 2)
		return -1;
	set_c64(vb, v ? v->value : 0);
	return 0;
}

static int contract_col(netsnmp_variable_list *vb, const void *row,
			unsigned col)
{
	const struct ax_contract *c = row;
	char serial[24];

	switch (col) {
	case 2:
		snprintf(serial, sizeof(serial), "%llu",
			 (unsigned long long)c->id);
		set_str(vb, serial, strlen(serial));
		break;
	case 3:
		set_int(vb, c->state);
		break;
	case 4:
		set_int(vb, c->kstatus);
		break;
	case 5:
		set_int(vb, c->method);
		break;
	case 6:
		set_int(vb, c->metric);
		break;
	case 7:
		set_c64(vb, c->usage);
		break;
	case 8:
		set_c64(vb, c->soft);
		break;
	case 9:
		set_c64(vb, c->hard);
		break;
	case 10:
		set_c64(vb, c->deposit);
		break;
	case 11:
		set_str(vb, c->currency, strnlen(c->currency, 7));
		break;
	case 12:
		set_int(vb, c->addr_type);
		break;
	case 13:
		set_str(vb, c->addr, c->addr_len);
		break;
	case 14:
		set_c64(vb, c->up_octets);
		break;
	case 15:
		set_c64(vb, c->up_packets);
		break;
	case 16:
		set_c64(vb, c->down_octets);
		break;
	case 17:
		set_c64(vb, c->down_packets);
		break;
	case 18:
		set_u32(vb, ASN_UNSIGNED, c->expires);
		break;
	default:
		return -1;
	}
	return 0;
}

/* MuispContractIdentifier: 8 octets, most significant first; none: "" */
static void set_contract_id(netsnmp_variable_list *vb, uint64_t id)
{
	oid s[8];
	u_char o[8];

	if (!id) {
		set_str(vb, "", 0);
		return;
	}
	ax_id_encode(id, s);
	for (int k = 0; k < 8; k++)
		o[k] = (u_char)s[k];
	set_str(vb, o, 8);
}

static int addr_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct ax_addr *a = row;

	switch (col) {
	case 3:
		set_int(vb, a->state);
		break;
	case 4:
		set_contract_id(vb, a->contract_id);
		break;
	case 5:
		set_int(vb, a->tunnel);
		break;
	case 6:
		set_str(vb, a->mac, 6);
		break;
	default:
		return -1;
	}
	return 0;
}

static int pool_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct ax_pool *p = row;

	switch (col) {
	case AX_POOL_COL_IFNAME:
		set_str(vb, p->ifname, strnlen(p->ifname, sizeof(p->ifname)));
		break;
	case AX_POOL_COL_SIZE:
		set_u32(vb, ASN_GAUGE, p->size);
		break;
	case AX_POOL_COL_LEASED:
		set_u32(vb, ASN_GAUGE, p->leased);
		break;
	case AX_POOL_COL_OFFERED:
		set_u32(vb, ASN_GAUGE, p->offered);
		break;
	case AX_POOL_COL_QUARANTINED:
		set_u32(vb, ASN_GAUGE, p->quarantined);
		break;
	case AX_POOL_COL_FREE:
		set_u32(vb, ASN_GAUGE, p->free);
		break;
	default:
		return -1;
	}
	return 0;
}

static int user_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct ax_user *u = row;

	switch (col) {
	case AX_USER_COL_CONTRACT_ID:
		set_contract_id(vb, u->contract_id);
		break;
	case AX_USER_COL_UP_OCTETS:
		set_c64(vb, u->up_octets);
		break;
	case AX_USER_COL_UP_PACKETS:
		set_c64(vb, u->up_packets);
		break;
	case AX_USER_COL_DOWN_OCTETS:
		set_c64(vb, u->down_octets);
		break;
	case AX_USER_COL_DOWN_PACKETS:
		set_c64(vb, u->down_packets);
		break;
	default:
		return -1;
	}
	return 0;
}

static int counter_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	if (col != 2)
		return -1;
	set_c64(vb, ((const struct ax_counter *)row)->value);
	return 0;
}

/* The table_container helper found the row (GETNEXT already moved to
 * it); only GET comes here. */
static int table_handler(netsnmp_mib_handler *h,
			 netsnmp_handler_registration *reg,
			 netsnmp_agent_request_info *ri,
			 netsnmp_request_info *rq)
{
	col_fn fn = (col_fn)(uintptr_t)reg->my_reg_void;

	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (; rq; rq = rq->next) {
		void *row = netsnmp_container_table_row_extract(rq);
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(rq);

		if (rq->processed)
			continue;
		if (!row || !ti) {
			netsnmp_set_request_error(ri, rq, SNMP_NOSUCHINSTANCE);
			continue;
		}
		if (fn(rq->requestvb, row, ti->colnum))
			netsnmp_set_request_error(ri, rq, SNMP_NOSUCHOBJECT);
	}
	return SNMP_ERR_NOERROR;
}

/* idx1..idx3: the index's types (0: none further); columns from mincol */
static netsnmp_container *table(struct agentx *ax, const char *name,
				const oid *o, size_t olen, col_fn fn,
				unsigned mincol, unsigned maxcol, int tables,
				u_char idx1, u_char idx2, u_char idx3)
{
	netsnmp_handler_registration *reg;
	netsnmp_table_registration_info *ti;
	netsnmp_container *c;
	netsnmp_mib_handler *first;
	int rc = 0;

	reg = netsnmp_create_handler_registration(name, table_handler, o, olen,
						  HANDLER_CAN_RONLY);
	ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	c = netsnmp_container_find("table_container");
	if (!reg || !ti || !c)
		return NULL;
	c->container_name = strdup(name);
	/* rows are unique by construction: no look-up per insert */
	CONTAINER_SET_OPTIONS(c, CONTAINER_KEY_ALLOW_DUPLICATES, rc);
	if (rc < 0)
		log_debug("%s: container options %d", name, rc);
	reg->my_reg_void = (void *)(uintptr_t)fn;
	netsnmp_table_helper_add_indexes(ti, idx1, idx2, idx3, 0);
	ti->min_column = mincol;
	ti->max_column = maxcol;
	if (netsnmp_container_table_register(
		    reg, ti, c, TABLE_CONTAINER_KEY_NETSNMP_INDEX) !=
	    SNMPERR_SUCCESS)
		return NULL;
	first = ax_cache_handler(ax, tables);
	if (!first || netsnmp_inject_handler(reg, first) != SNMPERR_SUCCESS)
		return NULL;
	return c;
}

static void fill(netsnmp_container *c, void *rows, size_t size, unsigned n)
{
	if (!c)
		return;
	CONTAINER_CLEAR(c, NULL, NULL);
	for (unsigned i = 0; i < n; i++)
		CONTAINER_INSERT(c, (char *)rows + i * size);
}

static void reload(struct agentx *ax, int what)
{
	struct ax_cache *k = ax->cache;

	/* the pools come with the counters (notify.c looks at them) */
	if (what & AX_RELOAD_COUNTERS) {
		fill(T.counter, k->counters, sizeof(*k->counters),
		     k->ncounters);
		fill(T.pool, k->pools, sizeof(*k->pools), k->npools);
	}
	if (what & AX_RELOAD_TABLES) {
		fill(T.contract, k->contracts, sizeof(*k->contracts),
		     k->ncontracts);
		fill(T.addr, k->addrs, sizeof(*k->addrs), k->naddrs);
		fill(T.user, k->users, sizeof(*k->users), k->nusers);
	}
}

int ax_register_tables(struct agentx *ax)
{
	static const oid drop[] = { AX_OID_DROP_TABLE };
	static const oid contract[] = { AX_OID_CONTRACT_TABLE };
	static const oid addr[] = { AX_OID_ADDR_TABLE };
	static const oid pool[] = { AX_OID_POOL_TABLE };
	static const oid counter[] = { AX_OID_COUNTER_TABLE };
	static const oid user[] = { AX_OID_USER_TABLE };

	T.ax = ax;
	T.drop = table(ax, "muispDropTable", drop, OID_LENGTH(drop), drop_col,
		       2, 2, 0, ASN_INTEGER, 0, 0);
	T.contract = table(ax, "muispContractTable", contract,
			   OID_LENGTH(contract), contract_col, 2, 18, 1,
			   ASN_PRIV_IMPLIED_OCTET_STR, 0, 0);
	T.addr = table(ax, "muispAddrTable", addr, OID_LENGTH(addr), addr_col,
		       2, 6, 1, ASN_INTEGER, ASN_OCTET_STR, 0);
	T.pool = table(ax, "muispPoolTable", pool, OID_LENGTH(pool), pool_col,
		       2, AX_POOL_COL_FREE, 0, ASN_UNSIGNED, 0, 0);
	T.counter = table(ax, "muispCounterTable", counter, OID_LENGTH(counter),
			  counter_col, 2, 2, 0, ASN_OCTET_STR, 0, 0);
	T.user = table(ax, "muispUserTable", user, OID_LENGTH(user), user_col,
		       AX_USER_COL_CONTRACT_ID, AX_USER_COL_DOWN_PACKETS, 1,
		       ASN_INTEGER, ASN_OCTET_STR, ASN_UNSIGNED);
	if (!T.drop || !T.contract || !T.addr || !T.pool || !T.counter ||
	    !T.user)
		return -1;
	for (unsigned i = 0; i < stats_ndefs; i++) {
		struct ax_drop *d = &T.drops[T.ndrops];

		if (stats_defs[i].mib_group != AX_GRP_DROP_TABLE ||
		    T.ndrops == sizeof(T.drops) / sizeof(T.drops[0]))
			continue;
		d->def = &stats_defs[i];
		d->o[0] = stats_defs[i].mib_arc;
		d->idx.oids = d->o;
		d->idx.len = 1;
		CONTAINER_INSERT(T.drop, d);
		T.ndrops++;
	}
	ax->cache->reload = reload;
	return 0;
}

int ax_register_objects(struct agentx *ax)
{
	if (ax_register_tables(ax) || ax_register_scalars(ax))
		return -1;
	return 0;
}
