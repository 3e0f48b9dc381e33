/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one catalogue of muisp's counters (issue 13 item 4: `muispctl stats`
 * and MUISP-MIB give the same numbers for the same moment).
 *
 * A snapshot is a flat list of (key, value) taken from up to four sources
 * in one call: the module (STATS_GET), muispd (MP_T_OP_STATS on its
 * operator socket), muisp-dhcpd (the stats table of its lease database,
 * read-only) and muisp-ipfixd (MP_T_OP_STATS on its socket).  The key is
 * the JSON key `muispctl stats --json` prints ("up_packets",
 * "drop_not_bound", "radius_acct_sent", "dhcp_malformed_short",
 * "ipfix_records_lost_overrun"); MUISP-MIB's muispCounterTable is indexed
 * by the same key, and the named scalars (muispGlobal, muispFlow,
 * muispIpfix, muispDropTable) are the entries of stats_defs[] with a
 * MIB arc.  tests/mib/catalogue.sh checks that the three agree.
 */
#ifndef MUISP_STATS_CAT_H
#define MUISP_STATS_CAT_H

#include <stdint.h>

#include "muisp_nl.h"
#include "proto.h"

#define STATS_KEY_MAX 64 /* with the NUL; MIB index SIZE(1..63) */

enum stats_src {
	STATS_SRC_KERNEL = 1 << 0,
	STATS_SRC_MUISPD = 1 << 1,
	STATS_SRC_DHCPD = 1 << 2,
	STATS_SRC_IPFIXD = 1 << 3,
};

/* SMI type of a named scalar. */
enum stats_type {
	STATS_COUNTER64, /* monotonic */
	STATS_GAUGE32,	 /* a level: flows, max_flows, addrs, contracts */
};

/* A counter with a fixed name and place in the MIB.  mib_group is the arc
 * under muispObjects (1 = muispGlobal, 3 = muispFlow, 8 = muispIpfix;
 * 2 = muispDropTable, whose index is mib_arc = enum muisp_drop_reason),
 * mib_arc the object's arc in that group; mib_name its MIB descriptor
 * (in muispDropTable: the muispDropReason enumeration label).  The table
 * is lib/stats_defs.c. */
struct stats_def {
	const char *key;   /* JSON key */
	const char *title; /* muispctl's text column title */
	const char *mib_name;
	uint8_t src; /* enum stats_src */
	uint8_t type;
	uint8_t mib_group;
	uint16_t mib_arc;
};
extern const struct stats_def stats_defs[];
extern const unsigned int stats_ndefs;

struct stats_val {
	char key[STATS_KEY_MAX];
	/* muispctl's text label: the catalogue's title, else the daemon's
	 * own name after the prefix's word ("radius auth.sent") */
	char title[STATS_KEY_MAX];
	uint64_t value;
	uint8_t src; /* enum stats_src */
};

struct stats_snap {
	unsigned int present;	      /* STATS_SRC_* that answered */
	unsigned int failed;	      /* STATS_SRC_* asked that did not */
	struct muisp_nl_stats kernel; /* as the module sent it (present) */
	struct stats_val *v; /* catalogue order, then each source's own */
	unsigned int n, cap;
	uint64_t taken_ms; /* CLOCK_MONOTONIC when collected */
};

/* Where to look; a NULL or empty source is not asked.  The keys:
 *   module     the catalogue's (stats_defs[]), every scalar; a drop
 *              reason only when the module reports it
 *   muispd     "radius_" + its MP_T_OP_STATS names (today the RADIUS
 *              counters of `muispctl stats radius`)
 *   dhcpd      "dhcp_addrs_leased", "dhcp_addrs_quarantine",
 *              "dhcp_addrs_free" (addresses by state, as `muispctl lease
 *              stats` counts them), then "dhcp_" + each name of the lease
 *              database's stats table but "updated" (a time, not a
 *              counter)
 *   ipfixd     "ipfix_" + its MP_T_OP_STATS names
 * An older muispd or ipfixd that refuses MP_T_OP_STATS counts as failed.
 */
struct stats_sources {
	struct muisp_nl *nl;	   /* the module's family, open */
	const char *muispd_socket; /* MP_OP_SOCKET */
	const char *dhcpd_db;	   /* the lease database */
	const char *ipfixd_socket; /* MP_IPFIXD_SOCKET */
	int timeout_ms;		   /* per daemon reply; 0: 5 s */
};

/* Fill s (any previous content is dropped: s must be zeroed or a
 * snapshot) from every source given; a source that fails is left out and
 * its bit set in s->failed (never fatal; then errno is the module's error
 * if STATS_SRC_KERNEL failed, for a caller that reports it).  0, or -1
 * ENOMEM. */
int stats_collect(struct stats_snap *s, const struct stats_sources *src);
/* Pure builders stats_collect uses (unit-tested): append the module's
 * counters / a daemon's counters with PREFIX ("radius_", "ipfix_") / one
 * value.  Keys get '.' and '-' turned into '_'; a key the catalogue has
 * takes its place in catalogue order (and its title), the others follow
 * in the order added; a key added again replaces the value; a key longer
 * than STATS_KEY_MAX - 1 is left out.  0, or -1 ENOMEM. */
int stats_add_kernel(struct stats_snap *s, const struct muisp_nl_stats *k);
int stats_add_counters(struct stats_snap *s, enum stats_src src,
		       const char *prefix, const struct mp_counter *c,
		       unsigned int n);
int stats_add(struct stats_snap *s, enum stats_src src, const char *key,
	      uint64_t value);
/* The value of KEY, or NULL. */
const struct stats_val *stats_find(const struct stats_snap *s, const char *key);
void stats_snap_free(struct stats_snap *s);

#endif
