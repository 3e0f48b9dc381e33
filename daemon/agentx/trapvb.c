// SPDX-License-Identifier: GPL-2.0
/*
 * The varbinds of each notification (MUISP-MIB's NOTIFICATION-TYPEs, in
 * their OBJECTS order), after snmpTrapOID.0: net-snmp's variable lists
 * only, no agent, so that tests/unit/test_agentx_trapvb.c checks them.
 */
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "notify.h"
#include "oids.h"

static const oid trap_oid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

const char *ax_trap_name(enum ax_trap_kind k)
{
	switch (k) {
	case AX_TRAP_SOFT_LIMIT:
		return "muispSoftLimit";
	case AX_TRAP_HARD_LIMIT:
		return "muispHardLimit";
	case AX_TRAP_EXPIRED:
		return "muispExpired";
	case AX_TRAP_POOL_EXHAUSTED:
		return "muispPoolExhausted";
	case AX_TRAP_DROP_RATE:
		return "muispDropRate";
	case AX_TRAP_EXPORT_LOSS:
		return "muispExportLoss";
	}
	return "?";
}

static int add(netsnmp_variable_list **v, const oid *o, size_t len, u_char type,
	       const void *val, size_t vlen)
{
	return snmp_varlist_add_variable(v, o, len, type, val, vlen) ? 0 : -1;
}

static int add_c64(netsnmp_variable_list **v, const oid *o, size_t len,
		   uint64_t x)
{
	struct counter64 c = { .high = (u_long)(x >> 32),
			       .low = (u_long)(x & 0xffffffffu) };

	return add(v, o, len, ASN_COUNTER64, &c, sizeof(c));
}

netsnmp_variable_list *ax_trap_varbinds(const struct ax_trap *t)
{
	oid toid[] = { AX_OID_NOTIFICATIONS, (oid)t->kind };
	oid no[] = { AX_OID_NOTIFY_OBJECTS, 0, 0 };
	oid po[] = { AX_OID_POOL_ENTRY, 0, 0 };
	oid xo[] = { AX_OID_IPFIX, 0, 0 };
	const size_t nlen = OID_LENGTH(no), plen = OID_LENGTH(po),
		     xlen = OID_LENGTH(xo);
	netsnmp_variable_list *v = NULL;
	uint8_t id[8];
	u_long size;
	int i, r;

	r = add(&v, trap_oid_oid, OID_LENGTH(trap_oid_oid), ASN_OBJECT_ID, toid,
		sizeof(toid));
	switch (t->kind) {
	case AX_TRAP_SOFT_LIMIT:
	case AX_TRAP_HARD_LIMIT:
	case AX_TRAP_EXPIRED:
		for (i = 0; i < 8; i++)
			id[i] = (uint8_t)(t->contract_id >> (56 - 8 * i));
		no[nlen - 2] = AX_NOTIFY_CONTRACT_ID;
		r |= add(&v, no, nlen, ASN_OCTET_STR, id, sizeof(id));
		no[nlen - 2] = AX_NOTIFY_USED;
		r |= add_c64(&v, no, nlen, t->used);
		no[nlen - 2] = AX_NOTIFY_LIMIT;
		r |= add_c64(&v, no, nlen, t->limit);
		break;
	case AX_TRAP_POOL_EXHAUSTED:
		po[plen - 1] = t->pool_index;
		po[plen - 2] = AX_POOL_COL_IFNAME;
		r |= add(&v, po, plen, ASN_OCTET_STR, t->pool_name,
			 strnlen(t->pool_name, sizeof(t->pool_name)));
		po[plen - 2] = AX_POOL_COL_SIZE;
		size = t->pool_size;
		r |= add(&v, po, plen, ASN_GAUGE, &size, sizeof(size));
		break;
	case AX_TRAP_DROP_RATE:
		no[nlen - 2] = AX_NOTIFY_RATE;
		r |= add_c64(&v, no, nlen, t->rate);
		no[nlen - 2] = AX_NOTIFY_THRESHOLD;
		r |= add_c64(&v, no, nlen, t->threshold);
		break;
	case AX_TRAP_EXPORT_LOSS:
		xo[xlen - 2] = AX_IPFIX_LOST_OVERRUN;
		r |= add_c64(&v, xo, xlen, t->lost_overrun);
		xo[xlen - 2] = AX_IPFIX_LOST_SEND;
		r |= add_c64(&v, xo, xlen, t->lost_send);
		break;
	}
	if (r) {
		snmp_free_varbind(v);
		return NULL;
	}
	return v;
}
