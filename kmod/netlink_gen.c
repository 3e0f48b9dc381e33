// SPDX-License-Identifier: GPL-2.0
/*
 * Do not edit: generated from include/uapi/muisp.yaml by scripts/nlspec.py;
 * change the spec and run `make nlspec`.
 *
 * The family's per-op attribute policies, its genl_ops table and its
 * multicast groups.  kmod/netlink.c defines the handlers and the
 * struct genl_family that uses these.
 */
#include <net/netlink.h>
#include <net/genetlink.h>

#include "compat.h"
#include "netlink_gen.h"

/* display-hint ipv4-or-v6: an IPv4 or an IPv6 address, nothing else */
static int muisp_nl_validate_ip(const struct nlattr *attr,
				struct netlink_ext_ack *extack)
{
	if (nla_len(attr) != 4 && nla_len(attr) != 16) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

static struct netlink_range_validation config_idle_timeout_s_range = {
	.min = 1,
	.max = MUISP_MAX_IDLE_TIMEOUT_S,
};

static struct netlink_range_validation config_fin_timeout_s_range = {
	.min = 1,
	.max = MUISP_MAX_IDLE_TIMEOUT_S,
};

static struct netlink_range_validation config_max_flows_range = {
	.min = 1,
	.max = MUISP_MAX_MAX_FLOWS,
};

/* MUISP_CMD_ADDR_SET */
static const struct nla_policy
muisp_addr_set_nl_policy[MUISP_ADDR_A_MAX + 1] = {
	[MUISP_ADDR_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_ADDR_A_STATE] =
		NLA_POLICY_RANGE(NLA_U8, 1, MUISP_ADDR_STATE_MAX),
	[MUISP_ADDR_A_CONTRACT_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_ADDR_A_MAC] = NLA_POLICY_EXACT_LEN(6),
	[MUISP_ADDR_A_XFRM_REQID] = { .type = NLA_U32, },
	[MUISP_ADDR_A_XFRM_IF_ID] = { .type = NLA_U32, },
	[MUISP_ADDR_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __MUISP_ADDR_F_ALL),
	[MUISP_ADDR_A_XFRM_SPI] = { .type = NLA_U32, },
	[MUISP_ADDR_A_XFRM_SPI_PREV] = { .type = NLA_U32, },
	[MUISP_ADDR_A_XFRM_PROTO] = NLA_POLICY_RANGE(NLA_U8, 50, 51),
	[MUISP_ADDR_A_CONTRACT_ID64] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* MUISP_CMD_ADDR_GET */
static const struct nla_policy
muisp_addr_get_nl_policy[MUISP_ADDR_A_MAX + 1] = {
	[MUISP_ADDR_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
};

/* MUISP_CMD_ADDR_DEL */
static const struct nla_policy
muisp_addr_del_nl_policy[MUISP_ADDR_A_MAX + 1] = {
	[MUISP_ADDR_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
};

/* MUISP_CMD_CONTRACT_SET */
static const struct nla_policy
muisp_contract_set_nl_policy[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_CONTRACT_A_STATUS] =
		NLA_POLICY_RANGE(NLA_U8, 1, MUISP_CONTRACT_STATUS_MAX),
	[MUISP_CONTRACT_A_METRIC] =
		NLA_POLICY_RANGE(NLA_U8, 1, MUISP_METRIC_MAX),
	[MUISP_CONTRACT_A_SOFT_LIMIT] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_HARD_LIMIT] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_EXPIRES_S] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_UP_BYTES] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_UP_PACKETS] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_DOWN_BYTES] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_DOWN_PACKETS] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_ELAPSED_MS] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_USAGE_MS] = { .type = NLA_U64, },
	[MUISP_CONTRACT_A_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, __MUISP_CONTRACT_F_ALL),
	[MUISP_CONTRACT_A_ID64] = NLA_POLICY_MIN(NLA_U64, 1),
	[MUISP_CONTRACT_A_CONN_HOLD] = NLA_POLICY_MAX(NLA_U8, 2),
	[MUISP_CONTRACT_A_CONN_QUEUE] = { .type = NLA_U16, },
};

/* MUISP_CMD_CONTRACT_GET */
static const struct nla_policy
muisp_contract_get_nl_policy[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_CONTRACT_A_ID64] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* MUISP_CMD_CONTRACT_DEL */
static const struct nla_policy
muisp_contract_del_nl_policy[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_CONTRACT_A_ID64] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* MUISP_CMD_FLOW_GET */
static const struct nla_policy
muisp_flow_get_nl_policy[MUISP_FLOW_A_MAX + 1] = {
	[MUISP_FLOW_A_CLIENT_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_FLOW_A_CONTRACT_ID] = { .type = NLA_U32, },
	[MUISP_FLOW_A_CONTRACT_ID64] = { .type = NLA_U64, },
};

/* MUISP_CMD_FLOW_DEL */
static const struct nla_policy
muisp_flow_del_nl_policy[MUISP_FLOW_A_MAX + 1] = {
	[MUISP_FLOW_A_CONTRACT_ID] = { .type = NLA_U32, },
	[MUISP_FLOW_A_CONTRACT_ID64] = { .type = NLA_U64, },
};

/* MUISP_CMD_GARDEN_ADD */
static const struct nla_policy
muisp_garden_add_nl_policy[MUISP_GARDEN_A_MAX + 1] = {
	[MUISP_GARDEN_A_PREFIX] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_GARDEN_A_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[MUISP_GARDEN_A_PROTO] = { .type = NLA_U8, },
	[MUISP_GARDEN_A_PORT_MIN] = { .type = NLA_U16, },
	[MUISP_GARDEN_A_PORT_MAX] = { .type = NLA_U16, },
	[MUISP_GARDEN_A_EXPIRES_S] = { .type = NLA_U64, },
};

/* MUISP_CMD_GARDEN_DEL */
static const struct nla_policy
muisp_garden_del_nl_policy[MUISP_GARDEN_A_MAX + 1] = {
	[MUISP_GARDEN_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MUISP_CMD_GARDEN_GET: takes no attribute */
static const struct nla_policy
muisp_garden_get_nl_policy[MUISP_GARDEN_A_MAX + 1] = { };

/* MUISP_CMD_BLOCK_ADD */
static const struct nla_policy
muisp_block_add_nl_policy[MUISP_BLOCK_A_MAX + 1] = {
	[MUISP_BLOCK_A_PREFIX] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_BLOCK_A_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[MUISP_BLOCK_A_MAC] = NLA_POLICY_EXACT_LEN(6),
	[MUISP_BLOCK_A_EXPIRES_S] = { .type = NLA_U64, },
};

/* MUISP_CMD_BLOCK_DEL */
static const struct nla_policy
muisp_block_del_nl_policy[MUISP_BLOCK_A_MAX + 1] = {
	[MUISP_BLOCK_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* MUISP_CMD_BLOCK_GET: takes no attribute */
static const struct nla_policy
muisp_block_get_nl_policy[MUISP_BLOCK_A_MAX + 1] = { };

/* MUISP_CMD_CONFIG_GET: takes no attribute */
static const struct nla_policy
muisp_config_get_nl_policy[MUISP_CONFIG_A_MAX + 1] = { };

/* MUISP_CMD_CONFIG_SET */
static const struct nla_policy
muisp_config_set_nl_policy[MUISP_CONFIG_A_MAX + 1] = {
	[MUISP_CONFIG_A_LAN_IFINDEX] = { .type = NLA_U32, },
	[MUISP_CONFIG_A_IDLE_TIMEOUT_S] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &config_idle_timeout_s_range),
	[MUISP_CONFIG_A_FIN_TIMEOUT_S] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &config_fin_timeout_s_range),
	[MUISP_CONFIG_A_MAX_FLOWS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &config_max_flows_range),
	[MUISP_CONFIG_A_CONTROL_PORT] = { .type = NLA_U16, },
	[MUISP_CONFIG_A_USAGE_GAP_S] =
		NLA_POLICY_RANGE(NLA_U32, 1, MUISP_MAX_USAGE_GAP_S),
	[MUISP_CONFIG_A_REQUIRE_TUNNEL] = NLA_POLICY_MAX(NLA_U8, 1),
	[MUISP_CONFIG_A_DNS_RATE] = NLA_POLICY_MAX(NLA_U32, MUISP_MAX_DNS_RATE),
	[MUISP_CONFIG_A_DNS_BURST] =
		NLA_POLICY_RANGE(NLA_U32, 1, MUISP_MAX_DNS_BURST),
	[MUISP_CONFIG_A_CONN_RATE] =
		NLA_POLICY_MAX(NLA_U32, MUISP_MAX_CONN_RATE),
	[MUISP_CONFIG_A_CONN_BURST] =
		NLA_POLICY_RANGE(NLA_U32, 1, MUISP_MAX_CONN_BURST),
};

/* MUISP_CMD_STATS_GET: takes no attribute */
static const struct nla_policy
muisp_stats_get_nl_policy[MUISP_STATS_A_MAX + 1] = { };

/* MUISP_CMD_AGENT_SET */
static const struct nla_policy
muisp_agent_set_nl_policy[MUISP_AGENT_A_MAX + 1] = {
	[MUISP_AGENT_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_AGENT_A_KEY] = NLA_POLICY_EXACT_LEN(MUISP_AGENT_KEY_LEN),
	[MUISP_AGENT_A_KEY_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_AGENT_A_HOLD_QUEUE] = { .type = NLA_U16, },
	[MUISP_AGENT_A_SCHEME] = NLA_POLICY_MAX(NLA_U8, 3),
};

/* MUISP_CMD_AGENT_DEL */
static const struct nla_policy
muisp_agent_del_nl_policy[MUISP_AGENT_A_MAX + 1] = {
	[MUISP_AGENT_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
};

/* MUISP_CMD_AGENT_GET: takes no attribute */
static const struct nla_policy
muisp_agent_get_nl_policy[MUISP_AGENT_A_MAX + 1] = { };

/* MUISP_CMD_AGENT_FLOW_SET */
static const struct nla_policy
muisp_agent_flow_set_nl_policy[MUISP_AGENT_A_MAX + 1] = {
	[MUISP_AGENT_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_AGENT_A_PROTO] = { .type = NLA_U8, },
	[MUISP_AGENT_A_PORT] = { .type = NLA_U16, },
	[MUISP_AGENT_A_PEER] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_AGENT_A_PEER_PORT] = { .type = NLA_U16, },
	[MUISP_AGENT_A_USER] = { .type = NLA_U32, },
};

/* MUISP_CMD_USER_SET */
static const struct nla_policy
muisp_user_set_nl_policy[MUISP_USER_A_MAX + 1] = {
	[MUISP_USER_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_USER_A_USER] = { .type = NLA_U32, },
	[MUISP_USER_A_CONTRACT_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_USER_A_CONTRACT_ID64] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* MUISP_CMD_USER_DEL */
static const struct nla_policy
muisp_user_del_nl_policy[MUISP_USER_A_MAX + 1] = {
	[MUISP_USER_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_USER_A_USER] = { .type = NLA_U32, },
};

/* MUISP_CMD_USER_GET: takes no attribute */
static const struct nla_policy
muisp_user_get_nl_policy[MUISP_USER_A_MAX + 1] = { };

/* MUISP_CMD_TAG_SET */
static const struct nla_policy muisp_tag_set_nl_policy[MUISP_TAG_A_MAX + 1] = {
	[MUISP_TAG_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_TAG_A_KEY] = NLA_POLICY_EXACT_LEN(MUISP_AGENT_KEY_LEN),
	[MUISP_TAG_A_KEY_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MUISP_TAG_A_METHOD] = NLA_POLICY_RANGE(NLA_U8, 1, 5),
};

/* MUISP_CMD_TAG_DEL: takes no attribute */
static const struct nla_policy muisp_tag_del_nl_policy[MUISP_TAG_A_MAX + 1] = { };

/* MUISP_CMD_TAG_GET: takes no attribute */
static const struct nla_policy muisp_tag_get_nl_policy[MUISP_TAG_A_MAX + 1] = { };

/* MUISP_CMD_TAG_USER_SET */
static const struct nla_policy
muisp_tag_user_set_nl_policy[MUISP_TAG_USER_A_MAX + 1] = {
	[MUISP_TAG_USER_A_UID] = { .type = NLA_U32, },
	[MUISP_TAG_USER_A_USER] = { .type = NLA_U32, },
	[MUISP_TAG_USER_A_BLOCKED] = NLA_POLICY_MAX(NLA_U8, 1),
	[MUISP_TAG_USER_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
};

/* MUISP_CMD_TAG_USER_DEL */
static const struct nla_policy
muisp_tag_user_del_nl_policy[MUISP_TAG_USER_A_MAX + 1] = {
	[MUISP_TAG_USER_A_UID] = { .type = NLA_U32, },
};

/* MUISP_CMD_TAG_USER_GET: takes no attribute */
static const struct nla_policy
muisp_tag_user_get_nl_policy[MUISP_TAG_USER_A_MAX + 1] = { };

/* MUISP_CMD_USER_USAGE_MOVE */
static const struct nla_policy
muisp_user_usage_move_nl_policy[MUISP_USER_A_MAX + 1] = {
	[MUISP_USER_A_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_USER_A_USER] = { .type = NLA_U32, },
	[MUISP_USER_A_UP_BYTES] = { .type = NLA_U64, },
	[MUISP_USER_A_UP_PACKETS] = { .type = NLA_U64, },
	[MUISP_USER_A_DOWN_BYTES] = { .type = NLA_U64, },
	[MUISP_USER_A_DOWN_PACKETS] = { .type = NLA_U64, },
	[MUISP_USER_A_USAGE_SEQ] = NLA_POLICY_MIN(NLA_U64, 1),
};

/* MUISP_CMD_CONN_VERDICT */
static const struct nla_policy
muisp_conn_verdict_nl_policy[MUISP_FLOW_A_MAX + 1] = {
	[MUISP_FLOW_A_CLIENT_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_FLOW_A_PEER_ADDR] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip, 16),
	[MUISP_FLOW_A_PROTO] = { .type = NLA_U8, },
	[MUISP_FLOW_A_CLIENT_PORT] = { .type = NLA_U16, },
	[MUISP_FLOW_A_PEER_PORT] = { .type = NLA_U16, },
	[MUISP_FLOW_A_VERDICT] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
};

/*
 * An op's policy holds what its do and its dump take together; a mode
 * that takes less refuses the rest here instead of ignoring it.
 */
static int muisp_nl_only(struct nlattr **tb, unsigned int maxattr, u64 ok,
			 bool dump, struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 1; tb && i <= maxattr; i++) {
		if (!tb[i] || (ok & BIT_ULL(i)))
			continue;
		if (dump)
			NL_SET_ERR_MSG_ATTR(extack, tb[i],
					    "not accepted with NLM_F_DUMP");
		else
			NL_SET_ERR_MSG_ATTR(extack, tb[i],
					    "only accepted with NLM_F_DUMP");
		return -EINVAL;
	}
	return 0;
}

static int muisp_nl_addr_get_dump_start(struct netlink_callback *cb)
{
	return muisp_nl_only(MUISP_DUMP_ATTRS(cb), MUISP_ADDR_A_MAX, 0, true,
			     cb->extack);
}

static int muisp_nl_contract_get_dump_start(struct netlink_callback *cb)
{
	return muisp_nl_only(MUISP_DUMP_ATTRS(cb), MUISP_CONTRACT_A_MAX, 0,
			     true, cb->extack);
}

static int muisp_nl_flow_get_do_checked(struct sk_buff *skb,
					struct genl_info *info)
{
	int ret;

	ret = muisp_nl_only(info->attrs, MUISP_FLOW_A_MAX, 0, false,
			    info->extack);
	if (ret)
		return ret;
	return muisp_nl_flow_get_doit(skb, info);
}

const struct genl_ops muisp_nl_ops[32] = {
	{
		.cmd		= MUISP_CMD_ADDR_SET,
		.doit		= muisp_nl_addr_set_doit,
		.policy		= muisp_addr_set_nl_policy,
		.maxattr	= MUISP_ADDR_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_ADDR_GET,
		.doit		= muisp_nl_addr_get_doit,
		.start		= muisp_nl_addr_get_dump_start,
		.dumpit		= muisp_nl_addr_get_dumpit,
		.policy		= muisp_addr_get_nl_policy,
		.maxattr	= MUISP_ADDR_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_ADDR_DEL,
		.doit		= muisp_nl_addr_del_doit,
		.policy		= muisp_addr_del_nl_policy,
		.maxattr	= MUISP_ADDR_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONTRACT_SET,
		.doit		= muisp_nl_contract_set_doit,
		.policy		= muisp_contract_set_nl_policy,
		.maxattr	= MUISP_CONTRACT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONTRACT_GET,
		.doit		= muisp_nl_contract_get_doit,
		.start		= muisp_nl_contract_get_dump_start,
		.dumpit		= muisp_nl_contract_get_dumpit,
		.policy		= muisp_contract_get_nl_policy,
		.maxattr	= MUISP_CONTRACT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONTRACT_DEL,
		.doit		= muisp_nl_contract_del_doit,
		.policy		= muisp_contract_del_nl_policy,
		.maxattr	= MUISP_CONTRACT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_FLOW_GET,
		.doit		= muisp_nl_flow_get_do_checked,
		.start		= muisp_nl_flow_get_start,
		.dumpit		= muisp_nl_flow_get_dumpit,
		.policy		= muisp_flow_get_nl_policy,
		.maxattr	= MUISP_FLOW_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_FLOW_DEL,
		.doit		= muisp_nl_flow_del_doit,
		.policy		= muisp_flow_del_nl_policy,
		.maxattr	= MUISP_FLOW_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_GARDEN_ADD,
		.doit		= muisp_nl_garden_add_doit,
		.policy		= muisp_garden_add_nl_policy,
		.maxattr	= MUISP_GARDEN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_GARDEN_DEL,
		.doit		= muisp_nl_garden_del_doit,
		.policy		= muisp_garden_del_nl_policy,
		.maxattr	= MUISP_GARDEN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_GARDEN_GET,
		.dumpit		= muisp_nl_garden_get_dumpit,
		.policy		= muisp_garden_get_nl_policy,
		.maxattr	= MUISP_GARDEN_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_BLOCK_ADD,
		.doit		= muisp_nl_block_add_doit,
		.policy		= muisp_block_add_nl_policy,
		.maxattr	= MUISP_BLOCK_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_BLOCK_DEL,
		.doit		= muisp_nl_block_del_doit,
		.policy		= muisp_block_del_nl_policy,
		.maxattr	= MUISP_BLOCK_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_BLOCK_GET,
		.dumpit		= muisp_nl_block_get_dumpit,
		.policy		= muisp_block_get_nl_policy,
		.maxattr	= MUISP_BLOCK_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONFIG_GET,
		.doit		= muisp_nl_config_get_doit,
		.policy		= muisp_config_get_nl_policy,
		.maxattr	= MUISP_CONFIG_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONFIG_SET,
		.doit		= muisp_nl_config_set_doit,
		.policy		= muisp_config_set_nl_policy,
		.maxattr	= MUISP_CONFIG_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_STATS_GET,
		.doit		= muisp_nl_stats_get_doit,
		.policy		= muisp_stats_get_nl_policy,
		.maxattr	= MUISP_STATS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_AGENT_SET,
		.doit		= muisp_nl_agent_set_doit,
		.policy		= muisp_agent_set_nl_policy,
		.maxattr	= MUISP_AGENT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_AGENT_DEL,
		.doit		= muisp_nl_agent_del_doit,
		.policy		= muisp_agent_del_nl_policy,
		.maxattr	= MUISP_AGENT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_AGENT_GET,
		.dumpit		= muisp_nl_agent_get_dumpit,
		.policy		= muisp_agent_get_nl_policy,
		.maxattr	= MUISP_AGENT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_AGENT_FLOW_SET,
		.doit		= muisp_nl_agent_flow_set_doit,
		.policy		= muisp_agent_flow_set_nl_policy,
		.maxattr	= MUISP_AGENT_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_USER_SET,
		.doit		= muisp_nl_user_set_doit,
		.policy		= muisp_user_set_nl_policy,
		.maxattr	= MUISP_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_USER_DEL,
		.doit		= muisp_nl_user_del_doit,
		.policy		= muisp_user_del_nl_policy,
		.maxattr	= MUISP_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_USER_GET,
		.dumpit		= muisp_nl_user_get_dumpit,
		.policy		= muisp_user_get_nl_policy,
		.maxattr	= MUISP_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_SET,
		.doit		= muisp_nl_tag_set_doit,
		.policy		= muisp_tag_set_nl_policy,
		.maxattr	= MUISP_TAG_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_DEL,
		.doit		= muisp_nl_tag_del_doit,
		.policy		= muisp_tag_del_nl_policy,
		.maxattr	= MUISP_TAG_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_GET,
		.doit		= muisp_nl_tag_get_doit,
		.policy		= muisp_tag_get_nl_policy,
		.maxattr	= MUISP_TAG_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_USER_SET,
		.doit		= muisp_nl_tag_user_set_doit,
		.policy		= muisp_tag_user_set_nl_policy,
		.maxattr	= MUISP_TAG_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_USER_DEL,
		.doit		= muisp_nl_tag_user_del_doit,
		.policy		= muisp_tag_user_del_nl_policy,
		.maxattr	= MUISP_TAG_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_TAG_USER_GET,
		.dumpit		= muisp_nl_tag_user_get_dumpit,
		.policy		= muisp_tag_user_get_nl_policy,
		.maxattr	= MUISP_TAG_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_USER_USAGE_MOVE,
		.doit		= muisp_nl_user_usage_move_doit,
		.policy		= muisp_user_usage_move_nl_policy,
		.maxattr	= MUISP_USER_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= MUISP_CMD_CONN_VERDICT,
		.doit		= muisp_nl_conn_verdict_doit,
		.policy		= muisp_conn_verdict_nl_policy,
		.maxattr	= MUISP_FLOW_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
};

const struct genl_multicast_group muisp_nl_mcgrps[4] = {
	[MUISP_NLGRP_EVENTS] = {
		.name		= MUISP_GENL_MCGRP_EVENTS,
		.flags		= GENL_MCAST_CAP_NET_ADMIN,
	},
	[MUISP_NLGRP_FLOWS] = {
		.name		= MUISP_GENL_MCGRP_FLOWS,
		.flags		= GENL_MCAST_CAP_NET_ADMIN,
	},
	[MUISP_NLGRP_REPORTS] = {
		.name		= MUISP_GENL_MCGRP_REPORTS,
		.flags		= GENL_MCAST_CAP_NET_ADMIN,
	},
	[MUISP_NLGRP_CONNS] = {
		.name		= MUISP_GENL_MCGRP_CONNS,
		.flags		= GENL_MCAST_CAP_NET_ADMIN,
	},
};
