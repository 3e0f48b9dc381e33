/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muisp-agentx's cache (cache.c) as the handlers (tables.c, scalars.c)
 * and the unit tests see it: the rows of MUISP-MIB's tables, each starting
 * with the netsnmp_index that the table_container helper sorts on, and the
 * pure builders that turn the sources' answers into rows.
 */
#ifndef MUISP_AGENTX_CACHE_H
#define MUISP_AGENTX_CACHE_H

#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "agentx.h"
#include "leasedb.h"

/* MUISP-MIB: 1.3.6.1.4.1.<PEN>.1, muispObjects = .1 below it */
#define AX_MIB_ROOT 1, 3, 6, 1, 4, 1, 32473, 1
#define AX_OBJECTS  AX_MIB_ROOT, 1

/* InetAddressType */
enum { AX_INET_UNKNOWN = 0, AX_INET_V4 = 1, AX_INET_V6 = 2 };

/* muispContractTable (muispObjects.4): muispd's outstanding contracts
 * joined with the module's contract of the same id. */
struct ax_contract {
	netsnmp_index idx; /* the 8 octets of id, IMPLIED */
	oid o[8];
	uint64_t id;
	uint32_t state;	  /* muispd: enum contract_state */
	uint32_t kstatus; /* module: enum muisp_contract_status, 0 none */
	uint32_t method, metric;
	uint64_t usage, soft, hard, deposit;
	char currency[8]; /* muispd.conf currency: up to 7 */
	uint8_t addr_type, addr_len;
	uint8_t addr[16];
	uint64_t up_octets, up_packets, down_octets, down_packets;
	uint32_t expires;
};

/* muispAddrTable (muispObjects.5): the module's addresses. */
struct ax_addr {
	netsnmp_index idx; /* type, length, octets */
	oid o[2 + 16];
	uint8_t type, len;
	uint8_t addr[16];
	uint32_t state;	      /* enum muisp_addr_state */
	uint64_t contract_id; /* 0: not bound */
	uint32_t tunnel;      /* 0, IPPROTO_ESP, IPPROTO_AH */
	uint8_t mac[6];
};

/* muispUserTable (muispObjects.10): the module's users of multi-user
 * hosts, each bound to a contract, with that contract's counters. */
struct ax_user {
	netsnmp_index idx; /* type, length, octets, Accounting ID */
	oid o[2 + 16 + 1];
	uint8_t type, len;
	uint8_t addr[16];
	uint32_t user; /* the Accounting ID */
	uint64_t contract_id;
	uint64_t up_octets, up_packets, down_octets, down_packets;
};

/* muispPoolTable (muispObjects.6): muisp-dhcpd's pool gauges, by
 * interface (its pools table). */
struct ax_pool {
	netsnmp_index idx;
	oid o[1];
	char ifname[16];
	uint32_t size, leased, offered, quarantined, free;
};

/* muispCounterTable (muispObjects.7): every counter of the snapshot. */
struct ax_counter {
	netsnmp_index idx; /* length, then the key's octets */
	oid o[1 + STATS_KEY_MAX];
	uint64_t value;
};

/* A row of muispd's MP_T_OP_SNAPSHOT. */
struct ax_snaprow {
	uint64_t serial;
	uint32_t state, method, metric;
	uint64_t usage, soft, hard, expiry, deposit;
	char currency[8]; /* muispd.conf currency: up to 7 */
	char addr[64];
};

enum { AX_RELOAD_COUNTERS = 1, AX_RELOAD_TABLES = 2 };

struct ax_cache {
	struct stats_snap stats;
	uint64_t stats_ms;  /* CLOCK_MONOTONIC ms of the snapshot, 0 none */
	uint64_t tables_ms; /* of the tables, 0 never built */
	int kernel_present;
	struct ax_contract *contracts;
	unsigned ncontracts;
	struct ax_addr *addrs;
	unsigned naddrs;
	struct ax_user *users;
	unsigned nusers;
	struct ax_pool *pools;
	unsigned npools;
	int pools_ok; /* the lease database was read last time */
	struct ax_counter *counters;
	unsigned ncounters;
	/* tables.c: put the rows into the registered containers again:
	 * the counter table and/or the others (AX_RELOAD_*) */
	void (*reload)(struct agentx *ax, int what);
};

/* 8 sub-identifiers, most significant octet first; decode: 0, or -1 if
 * the index is not 8 sub-identifiers of 0..255. */
void ax_id_encode(uint64_t id, oid o[8]);
int ax_id_decode(const oid *o, size_t len, uint64_t *id);

/* A SNAP_ROW message into r: 0, or -1 if it is not one. */
int ax_snaprow_from_msg(const struct mp_msg *m, struct ax_snaprow *r);
/* Contract rows from muispd's rows and the module's contracts (either
 * in any order; k may be NULL): sorted by id.  *out malloc'd.  0, -1. */
int ax_contracts_build(const struct ax_snaprow *s, unsigned ns,
		       const struct muisp_nl_contract *k, unsigned nk,
		       struct ax_contract **out);
/* The module's columns of rows taken from old (sorted), by id: for a
 * module that did not answer this time. */
void ax_contracts_keep_kernel(struct ax_contract *rows, unsigned n,
			      const struct ax_contract *old, unsigned nold);
/* An address row from the module's entry: 0, or -1 (not IPv4/IPv6). */
int ax_addr_from_nl(const struct muisp_nl_addr *a, struct ax_addr *r);
void ax_addrs_sort(struct ax_addr *rows, unsigned n);
/* A user row from the module's binding, its index included (idx.oids
 * points at r->o): 0, or -1 (not IPv4/IPv6).  The counters are the
 * contract's, 0 when the module has no such contract. */
int ax_user_from_nl(const struct muisp_nl_user *u, struct ax_user *r);
/* Sorted in index order; each idx.oids set again (the rows moved). */
void ax_users_sort(struct ax_user *rows, unsigned n);
/* One row of muisp-dhcpd's pools table appended (index = its idx, the
 * interface's place in muisp-dhcpd.conf; rows in idx order).  0, or -1
 * ENOMEM, EINVAL (idx 0 or not above the previous row's). */
int ax_pools_add(struct ax_pool **pools, unsigned *n,
		 const struct leasedb_pool *g);
/* Counter rows of a snapshot, sorted by (length, key).  0, -1. */
int ax_counters_build(const struct stats_snap *s, struct ax_counter **out,
		      unsigned *n);

/* tables.c */
int ax_register_tables(struct agentx *ax);
/* scalars.c */
int ax_register_scalars(struct agentx *ax);
/* A handler put in front of every registration: the cache is refreshed
 * before the table_container helper looks at the rows. */
netsnmp_mib_handler *ax_cache_handler(struct agentx *ax, int tables);

#endif
