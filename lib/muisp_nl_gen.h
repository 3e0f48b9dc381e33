/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Do not edit: generated from include/uapi/muisp.yaml by scripts/nlspec.py;
 * change the spec and run `make nlspec`.
 *
 * The attribute tables of lib/muisp_nl_codec.c, its only includer (which
 * defines struct field, the K_* kinds, FIELD(), WIDE(), COUNTERS() and
 * SIZE_IS()): one table per attribute set, indexed by attribute type,
 * giving each attribute's kind and its member of struct muisp_nl_<set>
 * (lib/muisp_nl.h).  unspec and pad stay K_NONE: skipped.  A u32
 * attribute and its u64 widening (WIDE) share one u64 member.
 */

/* addr: struct muisp_nl_addr */
static const struct field addr_f[MUISP_ADDR_A_MAX + 1] = {
	[MUISP_ADDR_A_ID] = FIELD(K_U32, struct muisp_nl_addr, id),
	[MUISP_ADDR_A_ADDR] = FIELD(K_IP, struct muisp_nl_addr, addr),
	[MUISP_ADDR_A_STATE] = FIELD(K_U8, struct muisp_nl_addr, state),
	[MUISP_ADDR_A_CONTRACT_ID] = WIDE(K_W32, struct muisp_nl_addr,
					  contract_id,
					  MUISP_ADDR_A_CONTRACT_ID64),
	[MUISP_ADDR_A_CONTRACT_STATUS] =
		FIELD(K_U8, struct muisp_nl_addr, contract_status),
	[MUISP_ADDR_A_MAC] = FIELD(K_MAC, struct muisp_nl_addr, mac),
	[MUISP_ADDR_A_XFRM_REQID] =
		FIELD(K_U32, struct muisp_nl_addr, xfrm_reqid),
	[MUISP_ADDR_A_XFRM_IF_ID] =
		FIELD(K_U32, struct muisp_nl_addr, xfrm_if_id),
	[MUISP_ADDR_A_FLAGS] = FIELD(K_U32, struct muisp_nl_addr, flags),
	[MUISP_ADDR_A_XFRM_SPI] = FIELD(K_U32, struct muisp_nl_addr, xfrm_spi),
	[MUISP_ADDR_A_XFRM_SPI_PREV] =
		FIELD(K_U32, struct muisp_nl_addr, xfrm_spi_prev),
	[MUISP_ADDR_A_XFRM_PROTO] =
		FIELD(K_U8, struct muisp_nl_addr, xfrm_proto),
	[MUISP_ADDR_A_CONTRACT_ID64] = WIDE(K_W64, struct muisp_nl_addr,
					    contract_id,
					    MUISP_ADDR_A_CONTRACT_ID),
};
SIZE_IS(struct muisp_nl_addr, id, 4);
SIZE_IS(struct muisp_nl_addr, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_addr, state, 1);
SIZE_IS(struct muisp_nl_addr, contract_id, 8);
SIZE_IS(struct muisp_nl_addr, contract_status, 1);
SIZE_IS(struct muisp_nl_addr, mac, 6);
SIZE_IS(struct muisp_nl_addr, xfrm_reqid, 4);
SIZE_IS(struct muisp_nl_addr, xfrm_if_id, 4);
SIZE_IS(struct muisp_nl_addr, flags, 4);
SIZE_IS(struct muisp_nl_addr, xfrm_spi, 4);
SIZE_IS(struct muisp_nl_addr, xfrm_spi_prev, 4);
SIZE_IS(struct muisp_nl_addr, xfrm_proto, 1);

/* contract: struct muisp_nl_contract */
static const struct field contract_f[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = WIDE(K_W32, struct muisp_nl_contract, id,
				     MUISP_CONTRACT_A_ID64),
	[MUISP_CONTRACT_A_STATUS] =
		FIELD(K_U8, struct muisp_nl_contract, status),
	[MUISP_CONTRACT_A_METRIC] =
		FIELD(K_U8, struct muisp_nl_contract, metric),
	[MUISP_CONTRACT_A_SOFT_LIMIT] =
		FIELD(K_U64, struct muisp_nl_contract, soft_limit),
	[MUISP_CONTRACT_A_HARD_LIMIT] =
		FIELD(K_U64, struct muisp_nl_contract, hard_limit),
	[MUISP_CONTRACT_A_EXPIRES_S] =
		FIELD(K_U64, struct muisp_nl_contract, expires_s),
	[MUISP_CONTRACT_A_USED] = FIELD(K_U64, struct muisp_nl_contract, used),
	[MUISP_CONTRACT_A_UP_BYTES] =
		FIELD(K_U64, struct muisp_nl_contract, up_bytes),
	[MUISP_CONTRACT_A_UP_PACKETS] =
		FIELD(K_U64, struct muisp_nl_contract, up_packets),
	[MUISP_CONTRACT_A_DOWN_BYTES] =
		FIELD(K_U64, struct muisp_nl_contract, down_bytes),
	[MUISP_CONTRACT_A_DOWN_PACKETS] =
		FIELD(K_U64, struct muisp_nl_contract, down_packets),
	[MUISP_CONTRACT_A_ELAPSED_MS] =
		FIELD(K_U64, struct muisp_nl_contract, elapsed_ms),
	[MUISP_CONTRACT_A_USAGE_MS] =
		FIELD(K_U64, struct muisp_nl_contract, usage_ms),
	[MUISP_CONTRACT_A_NADDRS] =
		FIELD(K_U32, struct muisp_nl_contract, naddrs),
	[MUISP_CONTRACT_A_FLAGS] =
		FIELD(K_U32, struct muisp_nl_contract, flags),
	[MUISP_CONTRACT_A_ID64] =
		WIDE(K_W64, struct muisp_nl_contract, id, MUISP_CONTRACT_A_ID),
	[MUISP_CONTRACT_A_NUSERS] =
		FIELD(K_U32, struct muisp_nl_contract, nusers),
	[MUISP_CONTRACT_A_CONN_HOLD] =
		FIELD(K_U8, struct muisp_nl_contract, conn_hold),
	[MUISP_CONTRACT_A_CONN_QUEUE] =
		FIELD(K_U16, struct muisp_nl_contract, conn_queue),
};
SIZE_IS(struct muisp_nl_contract, id, 8);
SIZE_IS(struct muisp_nl_contract, status, 1);
SIZE_IS(struct muisp_nl_contract, metric, 1);
SIZE_IS(struct muisp_nl_contract, soft_limit, 8);
SIZE_IS(struct muisp_nl_contract, hard_limit, 8);
SIZE_IS(struct muisp_nl_contract, expires_s, 8);
SIZE_IS(struct muisp_nl_contract, used, 8);
SIZE_IS(struct muisp_nl_contract, up_bytes, 8);
SIZE_IS(struct muisp_nl_contract, up_packets, 8);
SIZE_IS(struct muisp_nl_contract, down_bytes, 8);
SIZE_IS(struct muisp_nl_contract, down_packets, 8);
SIZE_IS(struct muisp_nl_contract, elapsed_ms, 8);
SIZE_IS(struct muisp_nl_contract, usage_ms, 8);
SIZE_IS(struct muisp_nl_contract, naddrs, 4);
SIZE_IS(struct muisp_nl_contract, flags, 4);
SIZE_IS(struct muisp_nl_contract, nusers, 4);
SIZE_IS(struct muisp_nl_contract, conn_hold, 1);
SIZE_IS(struct muisp_nl_contract, conn_queue, 2);

/* flow: struct muisp_nl_flow */
static const struct field flow_f[MUISP_FLOW_A_MAX + 1] = {
	[MUISP_FLOW_A_ID] = FIELD(K_U64, struct muisp_nl_flow, id),
	[MUISP_FLOW_A_CLIENT_ADDR] =
		FIELD(K_IP, struct muisp_nl_flow, client_addr),
	[MUISP_FLOW_A_PEER_ADDR] = FIELD(K_IP, struct muisp_nl_flow, peer_addr),
	[MUISP_FLOW_A_PROTO] = FIELD(K_U8, struct muisp_nl_flow, proto),
	[MUISP_FLOW_A_CLIENT_PORT] =
		FIELD(K_U16, struct muisp_nl_flow, client_port),
	[MUISP_FLOW_A_PEER_PORT] =
		FIELD(K_U16, struct muisp_nl_flow, peer_port),
	[MUISP_FLOW_A_UP_BYTES] = FIELD(K_U64, struct muisp_nl_flow, up_bytes),
	[MUISP_FLOW_A_UP_PACKETS] =
		FIELD(K_U64, struct muisp_nl_flow, up_packets),
	[MUISP_FLOW_A_DOWN_BYTES] =
		FIELD(K_U64, struct muisp_nl_flow, down_bytes),
	[MUISP_FLOW_A_DOWN_PACKETS] =
		FIELD(K_U64, struct muisp_nl_flow, down_packets),
	[MUISP_FLOW_A_FIRST_MS] = FIELD(K_U64, struct muisp_nl_flow, first_ms),
	[MUISP_FLOW_A_LAST_MS] = FIELD(K_U64, struct muisp_nl_flow, last_ms),
	[MUISP_FLOW_A_TCP_FLAGS] = FIELD(K_U8, struct muisp_nl_flow, tcp_flags),
	[MUISP_FLOW_A_CONTRACT_ID] = WIDE(K_W32, struct muisp_nl_flow,
					  contract_id,
					  MUISP_FLOW_A_CONTRACT_ID64),
	[MUISP_FLOW_A_END_REASON] =
		FIELD(K_U8, struct muisp_nl_flow, end_reason),
	[MUISP_FLOW_A_CONTRACT_ID64] = WIDE(K_W64, struct muisp_nl_flow,
					    contract_id,
					    MUISP_FLOW_A_CONTRACT_ID),
	[MUISP_FLOW_A_SEQ] = FIELD(K_U64, struct muisp_nl_flow, seq),
	[MUISP_FLOW_A_VERDICT] = FIELD(K_U8, struct muisp_nl_flow, verdict),
};
SIZE_IS(struct muisp_nl_flow, id, 8);
SIZE_IS(struct muisp_nl_flow, client_addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_flow, peer_addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_flow, proto, 1);
SIZE_IS(struct muisp_nl_flow, client_port, 2);
SIZE_IS(struct muisp_nl_flow, peer_port, 2);
SIZE_IS(struct muisp_nl_flow, up_bytes, 8);
SIZE_IS(struct muisp_nl_flow, up_packets, 8);
SIZE_IS(struct muisp_nl_flow, down_bytes, 8);
SIZE_IS(struct muisp_nl_flow, down_packets, 8);
SIZE_IS(struct muisp_nl_flow, first_ms, 8);
SIZE_IS(struct muisp_nl_flow, last_ms, 8);
SIZE_IS(struct muisp_nl_flow, tcp_flags, 1);
SIZE_IS(struct muisp_nl_flow, contract_id, 8);
SIZE_IS(struct muisp_nl_flow, end_reason, 1);
SIZE_IS(struct muisp_nl_flow, seq, 8);
SIZE_IS(struct muisp_nl_flow, verdict, 1);

/* garden: struct muisp_nl_garden */
static const struct field garden_f[MUISP_GARDEN_A_MAX + 1] = {
	[MUISP_GARDEN_A_ID] = FIELD(K_U32, struct muisp_nl_garden, id),
	[MUISP_GARDEN_A_PREFIX] = FIELD(K_IP, struct muisp_nl_garden, prefix),
	[MUISP_GARDEN_A_PREFIX_LEN] =
		FIELD(K_U8, struct muisp_nl_garden, prefix_len),
	[MUISP_GARDEN_A_PROTO] = FIELD(K_U8, struct muisp_nl_garden, proto),
	[MUISP_GARDEN_A_PORT_MIN] =
		FIELD(K_U16, struct muisp_nl_garden, port_min),
	[MUISP_GARDEN_A_PORT_MAX] =
		FIELD(K_U16, struct muisp_nl_garden, port_max),
	[MUISP_GARDEN_A_EXPIRES_S] =
		FIELD(K_U64, struct muisp_nl_garden, expires_s),
	[MUISP_GARDEN_A_HITS] = FIELD(K_U64, struct muisp_nl_garden, hits),
};
SIZE_IS(struct muisp_nl_garden, id, 4);
SIZE_IS(struct muisp_nl_garden, prefix, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_garden, prefix_len, 1);
SIZE_IS(struct muisp_nl_garden, proto, 1);
SIZE_IS(struct muisp_nl_garden, port_min, 2);
SIZE_IS(struct muisp_nl_garden, port_max, 2);
SIZE_IS(struct muisp_nl_garden, expires_s, 8);
SIZE_IS(struct muisp_nl_garden, hits, 8);

/* block: struct muisp_nl_block */
static const struct field block_f[MUISP_BLOCK_A_MAX + 1] = {
	[MUISP_BLOCK_A_ID] = FIELD(K_U32, struct muisp_nl_block, id),
	[MUISP_BLOCK_A_PREFIX] = FIELD(K_IP, struct muisp_nl_block, prefix),
	[MUISP_BLOCK_A_PREFIX_LEN] =
		FIELD(K_U8, struct muisp_nl_block, prefix_len),
	[MUISP_BLOCK_A_MAC] = FIELD(K_MAC, struct muisp_nl_block, mac),
	[MUISP_BLOCK_A_EXPIRES_S] =
		FIELD(K_U64, struct muisp_nl_block, expires_s),
	[MUISP_BLOCK_A_HITS] = FIELD(K_U64, struct muisp_nl_block, hits),
};
SIZE_IS(struct muisp_nl_block, id, 4);
SIZE_IS(struct muisp_nl_block, prefix, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_block, prefix_len, 1);
SIZE_IS(struct muisp_nl_block, mac, 6);
SIZE_IS(struct muisp_nl_block, expires_s, 8);
SIZE_IS(struct muisp_nl_block, hits, 8);

/* config: struct muisp_nl_config */
static const struct field config_f[MUISP_CONFIG_A_MAX + 1] = {
	[MUISP_CONFIG_A_LAN_IFINDEX] =
		FIELD(K_U32, struct muisp_nl_config, lan_ifindex),
	[MUISP_CONFIG_A_IDLE_TIMEOUT_S] =
		FIELD(K_U32, struct muisp_nl_config, idle_timeout_s),
	[MUISP_CONFIG_A_FIN_TIMEOUT_S] =
		FIELD(K_U32, struct muisp_nl_config, fin_timeout_s),
	[MUISP_CONFIG_A_MAX_FLOWS] =
		FIELD(K_U32, struct muisp_nl_config, max_flows),
	[MUISP_CONFIG_A_CONTROL_PORT] =
		FIELD(K_U16, struct muisp_nl_config, control_port),
	[MUISP_CONFIG_A_USAGE_GAP_S] =
		FIELD(K_U32, struct muisp_nl_config, usage_gap_s),
	[MUISP_CONFIG_A_REQUIRE_TUNNEL] =
		FIELD(K_U8, struct muisp_nl_config, require_tunnel),
	[MUISP_CONFIG_A_DNS_RATE] =
		FIELD(K_U32, struct muisp_nl_config, dns_rate),
	[MUISP_CONFIG_A_DNS_BURST] =
		FIELD(K_U32, struct muisp_nl_config, dns_burst),
	[MUISP_CONFIG_A_CONN_RATE] =
		FIELD(K_U32, struct muisp_nl_config, conn_rate),
	[MUISP_CONFIG_A_CONN_BURST] =
		FIELD(K_U32, struct muisp_nl_config, conn_burst),
};
SIZE_IS(struct muisp_nl_config, lan_ifindex, 4);
SIZE_IS(struct muisp_nl_config, idle_timeout_s, 4);
SIZE_IS(struct muisp_nl_config, fin_timeout_s, 4);
SIZE_IS(struct muisp_nl_config, max_flows, 4);
SIZE_IS(struct muisp_nl_config, control_port, 2);
SIZE_IS(struct muisp_nl_config, usage_gap_s, 4);
SIZE_IS(struct muisp_nl_config, require_tunnel, 1);
SIZE_IS(struct muisp_nl_config, dns_rate, 4);
SIZE_IS(struct muisp_nl_config, dns_burst, 4);
SIZE_IS(struct muisp_nl_config, conn_rate, 4);
SIZE_IS(struct muisp_nl_config, conn_burst, 4);

/* stats: struct muisp_nl_stats */
static const struct field stats_f[MUISP_STATS_A_MAX + 1] = {
	[MUISP_STATS_A_DROPS] =
		COUNTERS(struct muisp_nl_stats, drops, drops_present),
	[MUISP_STATS_A_UP_PACKETS] =
		FIELD(K_U64, struct muisp_nl_stats, up_packets),
	[MUISP_STATS_A_UP_BYTES] =
		FIELD(K_U64, struct muisp_nl_stats, up_bytes),
	[MUISP_STATS_A_DOWN_PACKETS] =
		FIELD(K_U64, struct muisp_nl_stats, down_packets),
	[MUISP_STATS_A_DOWN_BYTES] =
		FIELD(K_U64, struct muisp_nl_stats, down_bytes),
	[MUISP_STATS_A_LOCAL_PACKETS] =
		FIELD(K_U64, struct muisp_nl_stats, local_packets),
	[MUISP_STATS_A_GARDEN_PACKETS] =
		FIELD(K_U64, struct muisp_nl_stats, garden_packets),
	[MUISP_STATS_A_FLOWS] = FIELD(K_U32, struct muisp_nl_stats, flows),
	[MUISP_STATS_A_MAX_FLOWS] =
		FIELD(K_U32, struct muisp_nl_stats, max_flows),
	[MUISP_STATS_A_EVICTIONS] =
		FIELD(K_U64, struct muisp_nl_stats, evictions),
	[MUISP_STATS_A_FLOW_RECORDS] =
		FIELD(K_U64, struct muisp_nl_stats, flow_records),
	[MUISP_STATS_A_RECORDS_LOST] =
		FIELD(K_U64, struct muisp_nl_stats, records_lost),
	[MUISP_STATS_A_EVENTS] = FIELD(K_U64, struct muisp_nl_stats, events),
	[MUISP_STATS_A_EVENTS_LOST] =
		FIELD(K_U64, struct muisp_nl_stats, events_lost),
	[MUISP_STATS_A_ADDRS] = FIELD(K_U32, struct muisp_nl_stats, addrs),
	[MUISP_STATS_A_CONTRACTS] =
		FIELD(K_U32, struct muisp_nl_stats, contracts),
	[MUISP_STATS_A_FLOWS_UNMETERED] =
		FIELD(K_U64, struct muisp_nl_stats, flows_unmetered),
	[MUISP_STATS_A_CONN_HELD] =
		FIELD(K_U64, struct muisp_nl_stats, conn_held),
	[MUISP_STATS_A_CONN_REQUESTS] =
		FIELD(K_U64, struct muisp_nl_stats, conn_requests),
};
SIZE_IS(struct muisp_nl_stats, drops[0], 8);
SIZE_IS(struct muisp_nl_stats, drops_present, 8);
SIZE_IS(struct muisp_nl_stats, up_packets, 8);
SIZE_IS(struct muisp_nl_stats, up_bytes, 8);
SIZE_IS(struct muisp_nl_stats, down_packets, 8);
SIZE_IS(struct muisp_nl_stats, down_bytes, 8);
SIZE_IS(struct muisp_nl_stats, local_packets, 8);
SIZE_IS(struct muisp_nl_stats, garden_packets, 8);
SIZE_IS(struct muisp_nl_stats, flows, 4);
SIZE_IS(struct muisp_nl_stats, max_flows, 4);
SIZE_IS(struct muisp_nl_stats, evictions, 8);
SIZE_IS(struct muisp_nl_stats, flow_records, 8);
SIZE_IS(struct muisp_nl_stats, records_lost, 8);
SIZE_IS(struct muisp_nl_stats, events, 8);
SIZE_IS(struct muisp_nl_stats, events_lost, 8);
SIZE_IS(struct muisp_nl_stats, addrs, 4);
SIZE_IS(struct muisp_nl_stats, contracts, 4);
SIZE_IS(struct muisp_nl_stats, flows_unmetered, 8);
SIZE_IS(struct muisp_nl_stats, conn_held, 8);
SIZE_IS(struct muisp_nl_stats, conn_requests, 8);

/* event: struct muisp_nl_event */
static const struct field event_f[MUISP_EVENT_A_MAX + 1] = {
	[MUISP_EVENT_A_TYPE] = FIELD(K_U8, struct muisp_nl_event, type),
	[MUISP_EVENT_A_TIME_MS] = FIELD(K_U64, struct muisp_nl_event, time_ms),
	[MUISP_EVENT_A_CONTRACT_ID] = WIDE(K_W32, struct muisp_nl_event,
					   contract_id,
					   MUISP_EVENT_A_CONTRACT_ID64),
	[MUISP_EVENT_A_STATUS] = FIELD(K_U8, struct muisp_nl_event, status),
	[MUISP_EVENT_A_USED] = FIELD(K_U64, struct muisp_nl_event, used),
	[MUISP_EVENT_A_LIMIT] = FIELD(K_U64, struct muisp_nl_event, limit),
	[MUISP_EVENT_A_ADDR] = FIELD(K_IP, struct muisp_nl_event, addr),
	[MUISP_EVENT_A_OLD_STATE] =
		FIELD(K_U8, struct muisp_nl_event, old_state),
	[MUISP_EVENT_A_NEW_STATE] =
		FIELD(K_U8, struct muisp_nl_event, new_state),
	[MUISP_EVENT_A_CONTRACT_ID64] = WIDE(K_W64, struct muisp_nl_event,
					     contract_id,
					     MUISP_EVENT_A_CONTRACT_ID),
};
SIZE_IS(struct muisp_nl_event, type, 1);
SIZE_IS(struct muisp_nl_event, time_ms, 8);
SIZE_IS(struct muisp_nl_event, contract_id, 8);
SIZE_IS(struct muisp_nl_event, status, 1);
SIZE_IS(struct muisp_nl_event, used, 8);
SIZE_IS(struct muisp_nl_event, limit, 8);
SIZE_IS(struct muisp_nl_event, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_event, old_state, 1);
SIZE_IS(struct muisp_nl_event, new_state, 1);

/* agent: struct muisp_nl_agent */
static const struct field agent_f[MUISP_AGENT_A_MAX + 1] = {
	[MUISP_AGENT_A_ID] = FIELD(K_U32, struct muisp_nl_agent, id),
	[MUISP_AGENT_A_ADDR] = FIELD(K_IP, struct muisp_nl_agent, addr),
	[MUISP_AGENT_A_KEY] =
		BYTES(struct muisp_nl_agent, key, MUISP_AGENT_KEY_LEN),
	[MUISP_AGENT_A_KEY_ID] = FIELD(K_U32, struct muisp_nl_agent, key_id),
	[MUISP_AGENT_A_OPENED] = FIELD(K_U64, struct muisp_nl_agent, opened),
	[MUISP_AGENT_A_FORGED] = FIELD(K_U64, struct muisp_nl_agent, forged),
	[MUISP_AGENT_A_REPLAYED] =
		FIELD(K_U64, struct muisp_nl_agent, replayed),
	[MUISP_AGENT_A_BLOCKED] = FIELD(K_U64, struct muisp_nl_agent, blocked),
	[MUISP_AGENT_A_REDIRECTS] =
		FIELD(K_U64, struct muisp_nl_agent, redirects),
	[MUISP_AGENT_A_ROLLBACKS] =
		FIELD(K_U64, struct muisp_nl_agent, rollbacks),
	[MUISP_AGENT_A_QUERIES] = FIELD(K_U64, struct muisp_nl_agent, queries),
	[MUISP_AGENT_A_HOLD_QUEUE] =
		FIELD(K_U16, struct muisp_nl_agent, hold_queue),
	[MUISP_AGENT_A_HELD] = FIELD(K_U64, struct muisp_nl_agent, held),
	[MUISP_AGENT_A_ANSWERED] =
		FIELD(K_U64, struct muisp_nl_agent, answered),
	[MUISP_AGENT_A_PROTO] = FIELD(K_U8, struct muisp_nl_agent, proto),
	[MUISP_AGENT_A_PORT] = FIELD(K_U16, struct muisp_nl_agent, port),
	[MUISP_AGENT_A_PEER] = FIELD(K_IP, struct muisp_nl_agent, peer),
	[MUISP_AGENT_A_PEER_PORT] =
		FIELD(K_U16, struct muisp_nl_agent, peer_port),
	[MUISP_AGENT_A_USER] = FIELD(K_U32, struct muisp_nl_agent, user),
	[MUISP_AGENT_A_SCHEME] = FIELD(K_U8, struct muisp_nl_agent, scheme),
	[MUISP_AGENT_A_ACKS] = FIELD(K_U64, struct muisp_nl_agent, acks),
};
SIZE_IS(struct muisp_nl_agent, id, 4);
SIZE_IS(struct muisp_nl_agent, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_agent, key, MUISP_AGENT_KEY_LEN);
SIZE_IS(struct muisp_nl_agent, key_id, 4);
SIZE_IS(struct muisp_nl_agent, opened, 8);
SIZE_IS(struct muisp_nl_agent, forged, 8);
SIZE_IS(struct muisp_nl_agent, replayed, 8);
SIZE_IS(struct muisp_nl_agent, blocked, 8);
SIZE_IS(struct muisp_nl_agent, redirects, 8);
SIZE_IS(struct muisp_nl_agent, rollbacks, 8);
SIZE_IS(struct muisp_nl_agent, queries, 8);
SIZE_IS(struct muisp_nl_agent, hold_queue, 2);
SIZE_IS(struct muisp_nl_agent, held, 8);
SIZE_IS(struct muisp_nl_agent, answered, 8);
SIZE_IS(struct muisp_nl_agent, proto, 1);
SIZE_IS(struct muisp_nl_agent, port, 2);
SIZE_IS(struct muisp_nl_agent, peer, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_agent, peer_port, 2);
SIZE_IS(struct muisp_nl_agent, user, 4);
SIZE_IS(struct muisp_nl_agent, scheme, 1);
SIZE_IS(struct muisp_nl_agent, acks, 8);

/* user: struct muisp_nl_user */
static const struct field user_f[MUISP_USER_A_MAX + 1] = {
	[MUISP_USER_A_ID] = FIELD(K_U32, struct muisp_nl_user, id),
	[MUISP_USER_A_ADDR] = FIELD(K_IP, struct muisp_nl_user, addr),
	[MUISP_USER_A_USER] = FIELD(K_U32, struct muisp_nl_user, user),
	[MUISP_USER_A_CONTRACT_ID] = WIDE(K_W32, struct muisp_nl_user,
					  contract_id,
					  MUISP_USER_A_CONTRACT_ID64),
	[MUISP_USER_A_CONTRACT_STATUS] =
		FIELD(K_U8, struct muisp_nl_user, contract_status),
	[MUISP_USER_A_CONTRACT_ID64] = WIDE(K_W64, struct muisp_nl_user,
					    contract_id,
					    MUISP_USER_A_CONTRACT_ID),
	[MUISP_USER_A_UP_BYTES] = FIELD(K_U64, struct muisp_nl_user, up_bytes),
	[MUISP_USER_A_UP_PACKETS] =
		FIELD(K_U64, struct muisp_nl_user, up_packets),
	[MUISP_USER_A_DOWN_BYTES] =
		FIELD(K_U64, struct muisp_nl_user, down_bytes),
	[MUISP_USER_A_DOWN_PACKETS] =
		FIELD(K_U64, struct muisp_nl_user, down_packets),
	[MUISP_USER_A_USAGE_SEQ] =
		FIELD(K_U64, struct muisp_nl_user, usage_seq),
};
SIZE_IS(struct muisp_nl_user, id, 4);
SIZE_IS(struct muisp_nl_user, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_user, user, 4);
SIZE_IS(struct muisp_nl_user, contract_id, 8);
SIZE_IS(struct muisp_nl_user, contract_status, 1);
SIZE_IS(struct muisp_nl_user, up_bytes, 8);
SIZE_IS(struct muisp_nl_user, up_packets, 8);
SIZE_IS(struct muisp_nl_user, down_bytes, 8);
SIZE_IS(struct muisp_nl_user, down_packets, 8);
SIZE_IS(struct muisp_nl_user, usage_seq, 8);

/* tag: struct muisp_nl_tag */
static const struct field tag_f[MUISP_TAG_A_MAX + 1] = {
	[MUISP_TAG_A_IFINDEX] = FIELD(K_U32, struct muisp_nl_tag, ifindex),
	[MUISP_TAG_A_KEY] =
		BYTES(struct muisp_nl_tag, key, MUISP_AGENT_KEY_LEN),
	[MUISP_TAG_A_KEY_ID] = FIELD(K_U32, struct muisp_nl_tag, key_id),
	[MUISP_TAG_A_METHOD] = FIELD(K_U8, struct muisp_nl_tag, method),
	[MUISP_TAG_A_TAGGED] = FIELD(K_U64, struct muisp_nl_tag, tagged),
	[MUISP_TAG_A_SKIPPED] = FIELD(K_U64, struct muisp_nl_tag, skipped),
	[MUISP_TAG_A_BLOCKED] = FIELD(K_U64, struct muisp_nl_tag, blocked),
	[MUISP_TAG_A_DENIED] = FIELD(K_U64, struct muisp_nl_tag, denied),
	[MUISP_TAG_A_SPOOFED] = FIELD(K_U64, struct muisp_nl_tag, spoofed),
	[MUISP_TAG_A_REDIRECTED] =
		FIELD(K_U64, struct muisp_nl_tag, redirected),
	[MUISP_TAG_A_QUERIED] = FIELD(K_U64, struct muisp_nl_tag, queried),
	[MUISP_TAG_A_CLAMPED] = FIELD(K_U64, struct muisp_nl_tag, clamped),
	[MUISP_TAG_A_REPORTED] = FIELD(K_U64, struct muisp_nl_tag, reported),
	[MUISP_TAG_A_ACKED] = FIELD(K_U64, struct muisp_nl_tag, acked),
	[MUISP_TAG_A_ACK_FORGED] =
		FIELD(K_U64, struct muisp_nl_tag, ack_forged),
};
SIZE_IS(struct muisp_nl_tag, ifindex, 4);
SIZE_IS(struct muisp_nl_tag, key, MUISP_AGENT_KEY_LEN);
SIZE_IS(struct muisp_nl_tag, key_id, 4);
SIZE_IS(struct muisp_nl_tag, method, 1);
SIZE_IS(struct muisp_nl_tag, tagged, 8);
SIZE_IS(struct muisp_nl_tag, skipped, 8);
SIZE_IS(struct muisp_nl_tag, blocked, 8);
SIZE_IS(struct muisp_nl_tag, denied, 8);
SIZE_IS(struct muisp_nl_tag, spoofed, 8);
SIZE_IS(struct muisp_nl_tag, redirected, 8);
SIZE_IS(struct muisp_nl_tag, queried, 8);
SIZE_IS(struct muisp_nl_tag, clamped, 8);
SIZE_IS(struct muisp_nl_tag, reported, 8);
SIZE_IS(struct muisp_nl_tag, acked, 8);
SIZE_IS(struct muisp_nl_tag, ack_forged, 8);

/* tag-user: struct muisp_nl_tag_user */
static const struct field tag_user_f[MUISP_TAG_USER_A_MAX + 1] = {
	[MUISP_TAG_USER_A_UID] = FIELD(K_U32, struct muisp_nl_tag_user, uid),
	[MUISP_TAG_USER_A_USER] = FIELD(K_U32, struct muisp_nl_tag_user, user),
	[MUISP_TAG_USER_A_BLOCKED] =
		FIELD(K_U8, struct muisp_nl_tag_user, blocked),
	[MUISP_TAG_USER_A_ADDR] = FIELD(K_IP, struct muisp_nl_tag_user, addr),
	[MUISP_TAG_USER_A_SENT_BYTES] =
		FIELD(K_U64, struct muisp_nl_tag_user, sent_bytes),
	[MUISP_TAG_USER_A_SENT_PACKETS] =
		FIELD(K_U64, struct muisp_nl_tag_user, sent_packets),
	[MUISP_TAG_USER_A_RECV_BYTES] =
		FIELD(K_U64, struct muisp_nl_tag_user, recv_bytes),
	[MUISP_TAG_USER_A_RECV_PACKETS] =
		FIELD(K_U64, struct muisp_nl_tag_user, recv_packets),
};
SIZE_IS(struct muisp_nl_tag_user, uid, 4);
SIZE_IS(struct muisp_nl_tag_user, user, 4);
SIZE_IS(struct muisp_nl_tag_user, blocked, 1);
SIZE_IS(struct muisp_nl_tag_user, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_tag_user, sent_bytes, 8);
SIZE_IS(struct muisp_nl_tag_user, sent_packets, 8);
SIZE_IS(struct muisp_nl_tag_user, recv_bytes, 8);
SIZE_IS(struct muisp_nl_tag_user, recv_packets, 8);

/* tag-report: struct muisp_nl_tag_report */
static const struct field tag_report_f[MUISP_TAG_REPORT_A_MAX + 1] = {
	[MUISP_TAG_REPORT_A_UID] =
		FIELD(K_U32, struct muisp_nl_tag_report, uid),
	[MUISP_TAG_REPORT_A_USER] =
		FIELD(K_U32, struct muisp_nl_tag_report, user),
	[MUISP_TAG_REPORT_A_PROTO] =
		FIELD(K_U8, struct muisp_nl_tag_report, proto),
	[MUISP_TAG_REPORT_A_ADDR] =
		FIELD(K_IP, struct muisp_nl_tag_report, addr),
	[MUISP_TAG_REPORT_A_PORT] =
		FIELD(K_U16, struct muisp_nl_tag_report, port),
	[MUISP_TAG_REPORT_A_PEER] =
		FIELD(K_IP, struct muisp_nl_tag_report, peer),
	[MUISP_TAG_REPORT_A_PEER_PORT] =
		FIELD(K_U16, struct muisp_nl_tag_report, peer_port),
	[MUISP_TAG_REPORT_A_BYTES] =
		FIELD(K_U32, struct muisp_nl_tag_report, bytes),
	[MUISP_TAG_REPORT_A_PACKETS] =
		FIELD(K_U32, struct muisp_nl_tag_report, packets),
};
SIZE_IS(struct muisp_nl_tag_report, uid, 4);
SIZE_IS(struct muisp_nl_tag_report, user, 4);
SIZE_IS(struct muisp_nl_tag_report, proto, 1);
SIZE_IS(struct muisp_nl_tag_report, addr, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_tag_report, port, 2);
SIZE_IS(struct muisp_nl_tag_report, peer, sizeof(struct muisp_nl_ip));
SIZE_IS(struct muisp_nl_tag_report, peer_port, 2);
SIZE_IS(struct muisp_nl_tag_report, bytes, 4);
SIZE_IS(struct muisp_nl_tag_report, packets, 4);
