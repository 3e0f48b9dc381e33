/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Do not edit: generated from include/uapi/muisp.yaml by scripts/nlspec.py;
 * change the spec and run `make nlspec`.
 */
#ifndef MUISP_NETLINK_GEN_H
#define MUISP_NETLINK_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/muisp.h>

extern const struct genl_ops muisp_nl_ops[32];

enum {
	MUISP_NLGRP_EVENTS,
	MUISP_NLGRP_FLOWS,
	MUISP_NLGRP_REPORTS,
	MUISP_NLGRP_CONNS,
};

extern const struct genl_multicast_group muisp_nl_mcgrps[4];

int muisp_nl_flow_get_start(struct netlink_callback *cb);

int muisp_nl_addr_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_addr_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_addr_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int muisp_nl_addr_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_contract_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_contract_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_contract_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int muisp_nl_contract_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_flow_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int muisp_nl_flow_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_garden_add_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_garden_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_garden_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int muisp_nl_block_add_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_block_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_block_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int muisp_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_agent_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_agent_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_agent_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int muisp_nl_agent_flow_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_user_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_user_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_user_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int muisp_nl_tag_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_tag_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_tag_get_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_tag_user_set_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_tag_user_del_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_tag_user_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int muisp_nl_user_usage_move_doit(struct sk_buff *skb, struct genl_info *info);
int muisp_nl_conn_verdict_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* MUISP_NETLINK_GEN_H */
