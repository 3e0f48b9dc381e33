/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MUISP-MIB's object identifiers as muisp-agentx uses them: one place for
 * every arc (mibs/MUISP-MIB.txt is the text; docs/PLAN layout: the MIB
 * root is 1.3.6.1.4.1.MUISP_PEN.1).  Written as comma lists so that they
 * can be spliced into an oid array:
 *
 *	static const oid o[] = { AX_OID_GLOBAL, 12 };	-- muispCacheAge
 *
 * Scalars get their instance ".0" where they are registered.
 */
#ifndef MUISP_AGENTX_OIDS_H
#define MUISP_AGENTX_OIDS_H

/* 32473: RFC 5612's documentation PEN, the placeholder (lib/ipfix.h
 * MUISP_PEN, one line of the MIB). */
#define AX_OID_ROOT 1, 3, 6, 1, 4, 1, 32473, 1 /* muispMIB */

#define AX_OID_NOTIFICATIONS AX_OID_ROOT, 0 /* muispNotifications */
#define AX_OID_OBJECTS	     AX_OID_ROOT, 1 /* muispObjects */

/* muispObjects.N: the groups (stats_defs' mib_group is N) */
#define AX_GRP_GLOBAL	      1
#define AX_GRP_DROP_TABLE     2
#define AX_GRP_FLOW	      3
#define AX_GRP_CONTRACT_TABLE 4
#define AX_GRP_ADDR_TABLE     5
#define AX_GRP_POOL_TABLE     6
#define AX_GRP_COUNTER_TABLE  7
#define AX_GRP_IPFIX	      8
#define AX_GRP_NOTIFY_OBJECTS 9
#define AX_GRP_USER_TABLE     10

#define AX_OID_GLOBAL	      AX_OID_OBJECTS, AX_GRP_GLOBAL
#define AX_OID_DROP_TABLE     AX_OID_OBJECTS, AX_GRP_DROP_TABLE
#define AX_OID_FLOW	      AX_OID_OBJECTS, AX_GRP_FLOW
#define AX_OID_CONTRACT_TABLE AX_OID_OBJECTS, AX_GRP_CONTRACT_TABLE
#define AX_OID_ADDR_TABLE     AX_OID_OBJECTS, AX_GRP_ADDR_TABLE
#define AX_OID_POOL_TABLE     AX_OID_OBJECTS, AX_GRP_POOL_TABLE
#define AX_OID_COUNTER_TABLE  AX_OID_OBJECTS, AX_GRP_COUNTER_TABLE
#define AX_OID_IPFIX	      AX_OID_OBJECTS, AX_GRP_IPFIX
#define AX_OID_NOTIFY_OBJECTS AX_OID_OBJECTS, AX_GRP_NOTIFY_OBJECTS
#define AX_OID_USER_TABLE     AX_OID_OBJECTS, AX_GRP_USER_TABLE

/* muispGlobal scalars that are not catalogue counters (the counters'
 * arcs are stats_defs[].mib_arc) */
#define AX_GLOBAL_CACHE_AGE	 12 /* muispCacheAge, Unsigned32 ms */
#define AX_GLOBAL_KERNEL_PRESENT 13 /* muispKernelPresent, TruthValue */
#define AX_GLOBAL_SOURCE_ERRORS	 14 /* muispSourceErrors, Counter64 */

/* Tables: the entry is .1, columns below it (muispXxxEntry.COL) */
#define AX_OID_POOL_ENTRY	AX_OID_POOL_TABLE, 1
#define AX_POOL_COL_IFNAME	2 /* muispPoolIfName, DisplayString */
#define AX_POOL_COL_SIZE	3 /* muispPoolSize, Gauge32 */
#define AX_POOL_COL_LEASED	4
#define AX_POOL_COL_OFFERED	5
#define AX_POOL_COL_QUARANTINED 6
#define AX_POOL_COL_FREE	7

/* muispUserEntry: INDEX muispUserAddrType (.1), muispUserAddr (.2),
 * muispUserId (.3, Unsigned32: the Accounting ID), not-accessible */
#define AX_USER_COL_CONTRACT_ID	 4 /* MuispContractIdentifier */
#define AX_USER_COL_UP_OCTETS	 5 /* Counter64 */
#define AX_USER_COL_UP_PACKETS	 6
#define AX_USER_COL_DOWN_OCTETS	 7
#define AX_USER_COL_DOWN_PACKETS 8

/* muispIpfix scalars */
#define AX_IPFIX_LOST_OVERRUN 3 /* muispIpfixRecordsLostOverrun */
#define AX_IPFIX_LOST_SEND    4 /* muispIpfixRecordsLostSend */

/* muispNotifyObjects (accessible-for-notify, sent with instance .0) */
#define AX_NOTIFY_USED	      1 /* muispNotifyUsed, CounterBasedGauge64 */
#define AX_NOTIFY_LIMIT	      2 /* muispNotifyLimit */
#define AX_NOTIFY_RATE	      3 /* muispNotifyRate (drops/s) */
#define AX_NOTIFY_THRESHOLD   4 /* muispNotifyThreshold (drops/s) */
#define AX_NOTIFY_CONTRACT_ID 5 /* muispNotifyContractId, OCTET STRING(8) */

/* muispNotifications.N (notify.h enum ax_trap_kind has the same values) */
#define AX_TRAP_OID_SOFT_LIMIT	   1 /* muispSoftLimit */
#define AX_TRAP_OID_HARD_LIMIT	   2 /* muispHardLimit */
#define AX_TRAP_OID_EXPIRED	   3 /* muispExpired */
#define AX_TRAP_OID_POOL_EXHAUSTED 4 /* muispPoolExhausted */
#define AX_TRAP_OID_DROP_RATE	   5 /* muispDropRate */
#define AX_TRAP_OID_EXPORT_LOSS	   6 /* muispExportLoss */

#endif
