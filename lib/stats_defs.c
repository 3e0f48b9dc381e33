// SPDX-License-Identifier: GPL-2.0
/*
 * The named counters of the catalogue (lib/stats_cat.h): their JSON key in
 * `muispctl stats --json`, muispctl's column title, and their place in
 * MUISP-MIB (mibs/MUISP-MIB.txt).  Append only: keys and arcs are what
 * operators' scripts and NMS templates use.  Counters without a row here
 * (RADIUS, DHCP, other daemon counters) exist only in muispCounterTable.
 */
#include "stats_cat.h"

#define K(key, title, name, group, arc)                                     \
	{                                                                   \
		key, title, name, STATS_SRC_KERNEL, STATS_COUNTER64, group, \
			arc                                                 \
	}
#define KG(key, title, name, group, arc)                                      \
	{                                                                     \
		key, title, name, STATS_SRC_KERNEL, STATS_GAUGE32, group, arc \
	}
#define DROP(key, title, name, reason)                                         \
	{                                                                      \
		key, title, name, STATS_SRC_KERNEL, STATS_COUNTER64, 2, reason \
	}
#define IPFIX(key, title, name, arc)                                        \
	{                                                                   \
		key, title, name, STATS_SRC_IPFIXD, STATS_COUNTER64, 8, arc \
	}

const struct stats_def stats_defs[] = {
	/* muispGlobal (muispObjects.1); the order is muispctl's columns */
	K("up_packets", "up-packets", "muispUpPackets", 1, 1),
	K("up_bytes", "up-bytes", "muispUpOctets", 1, 2),
	K("down_packets", "down-packets", "muispDownPackets", 1, 3),
	K("down_bytes", "down-bytes", "muispDownOctets", 1, 4),
	K("local_packets", "local-packets", "muispLocalPackets", 1, 5),
	K("garden_packets", "garden-packets", "muispGardenPackets", 1, 6),
	/* muispFlow (muispObjects.3) */
	KG("flows", "flows", "muispFlowsActive", 3, 1),
	KG("max_flows", "max-flows", "muispFlowsMax", 3, 2),
	K("evictions", "evictions", "muispFlowEvictions", 3, 3),
	K("flow_records", "flow-records", "muispFlowRecords", 3, 4),
	K("records_lost", "records-lost", "muispFlowRecordsLost", 3, 5),
	K("events", "events", "muispEvents", 1, 8),
	K("events_lost", "events-lost", "muispEventsLost", 1, 9),
	KG("addrs", "addrs", "muispAddrs", 1, 10),
	KG("contracts", "contracts", "muispContracts", 1, 11),
	K("flows_unmetered", "unmetered-packets", "muispUnmeteredPackets", 1,
	  7),
	K("conn_held", "conn-held", "muispConnHeld", 1, 15),
	K("conn_requests", "conn-requests", "muispConnRequests", 1, 16),
	/* muispDropTable (muispObjects.2), indexed by enum muisp_drop_reason */
	DROP("drop_not_bound", "drop not-bound", "notBound", 1),
	DROP("drop_no_contract", "drop no-contract", "noContract", 2),
	DROP("drop_suspended", "drop suspended", "suspended", 3),
	DROP("drop_delinquent", "drop delinquent", "delinquent", 4),
	DROP("drop_hard_limit", "drop hard-limit", "hardLimit", 5),
	DROP("drop_expired", "drop expired", "expired", 6),
	DROP("drop_blocked", "drop blocked", "blocked", 7),
	DROP("drop_local", "drop local", "local", 8),
	DROP("drop_malformed", "drop malformed", "malformed", 9),
	DROP("drop_tunnel", "drop tunnel", "tunnel", 10),
	DROP("drop_dns", "drop dns", "dns", 11),
	DROP("drop_user_info", "drop user-info", "userInfo", 12),
	DROP("drop_agent_down", "drop agent-down", "agentDown", 13),
	DROP("drop_conn_refused", "drop conn-refused", "connRefused", 14),
	DROP("drop_conn_rate", "drop conn-rate", "connRate", 15),
	/* muispIpfix (muispObjects.8): muisp-ipfixd's exporter */
	IPFIX("ipfix_records_received", "ipfix records-received",
	      "muispIpfixRecordsReceived", 1),
	IPFIX("ipfix_records_exported", "ipfix records-exported",
	      "muispIpfixRecordsExported", 2),
	IPFIX("ipfix_records_lost_overrun", "ipfix records-lost-overrun",
	      "muispIpfixRecordsLostOverrun", 3),
	IPFIX("ipfix_records_lost_send", "ipfix records-lost-send",
	      "muispIpfixRecordsLostSend", 4),
	IPFIX("ipfix_messages_sent", "ipfix messages-sent",
	      "muispIpfixMessagesSent", 5),
	IPFIX("ipfix_templates_sent", "ipfix templates-sent",
	      "muispIpfixTemplatesSent", 6),
};

const unsigned int stats_ndefs = sizeof(stats_defs) / sizeof(stats_defs[0]);
