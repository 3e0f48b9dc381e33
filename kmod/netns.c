// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state: struct muisp_net, created and destroyed with the
 * namespace (pernet_operations).  Teardown order: unregister the hooks
 * (.pre_exit), a grace period passes (the pernet core), then stop the
 * clock, destroy the flow table (flushing its flows as records), and free
 * the tables.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/ktime.h>

#include "muisp.h"
#include "flowtable.h"

unsigned int muisp_net_id __read_mostly;

static void muisp_clock_work(struct work_struct *work)
{
	struct muisp_net *mn = container_of(to_delayed_work(work),
					    struct muisp_net, clock);

	mutex_lock(&mn->lock);
	muisp_contract_clock(mn);
	muisp_lists_expire(mn, ktime_get_real_seconds());
	mutex_unlock(&mn->lock);
	if (!READ_ONCE(mn->dying))
		schedule_delayed_work(&mn->clock, HZ);
}

static int __net_init muisp_net_init(struct net *net)
{
	struct muisp_net *mn = muisp_net(net);
	struct muisp_ft_params fp = {
		.idle_timeout_s = MUISP_DEFAULT_IDLE_TIMEOUT_S,
		.fin_timeout_s = MUISP_DEFAULT_FIN_TIMEOUT_S,
		.max_flows = MUISP_DEFAULT_MAX_FLOWS,
	};
	int ret;

	mn->net = net;
	mutex_init(&mn->lock);
	mn->cfg.idle_timeout_s = MUISP_DEFAULT_IDLE_TIMEOUT_S;
	mn->cfg.fin_timeout_s = MUISP_DEFAULT_FIN_TIMEOUT_S;
	mn->cfg.max_flows = MUISP_DEFAULT_MAX_FLOWS;
	mn->cfg.usage_gap_s = MUISP_DEFAULT_USAGE_GAP_S;
	mn->cfg.control_port = MUISP_DEFAULT_CONTROL_PORT;
	mn->cfg.require_tunnel = MUISP_DEFAULT_REQUIRE_TUNNEL;
	muisp_contract_table_init(mn);
	muisp_lists_init(mn);
	INIT_DELAYED_WORK(&mn->clock, muisp_clock_work);

	ret = muisp_addr_table_init(mn);
	if (ret)
		goto err_addr;
	mn->stats = alloc_percpu(struct muisp_pcpu_stats);
	if (!mn->stats) {
		ret = -ENOMEM;
		goto err_stats;
	}
	mn->ft = muisp_ft_create(&fp, muisp_flow_export, mn);
	if (IS_ERR(mn->ft)) {
		ret = PTR_ERR(mn->ft);
		mn->ft = NULL;
		goto err_ft;
	}
	ret = muisp_hooks_register(net);
	if (ret)
		goto err_hooks;
	schedule_delayed_work(&mn->clock, HZ);
	pr_debug("netns %u created\n", net->ns.inum);
	return 0;

err_hooks:
	muisp_ft_destroy(mn->ft);
	mn->ft = NULL;
err_ft:
	free_percpu(mn->stats);
err_stats:
	muisp_addr_table_destroy(mn);
err_addr:
	muisp_lists_destroy(mn);
	muisp_contract_table_destroy(mn);
	return ret;
}

static void __net_exit muisp_net_pre_exit(struct net *net)
{
	muisp_hooks_unregister(net);
}

static void __net_exit muisp_net_exit(struct net *net)
{
	struct muisp_net *mn = muisp_net(net);

	WRITE_ONCE(mn->dying, true);
	cancel_delayed_work_sync(&mn->clock);
	muisp_ft_destroy(mn->ft);
	mn->ft = NULL;
	muisp_lists_destroy(mn);
	muisp_addr_table_destroy(mn);
	mutex_lock(&mn->lock);
	muisp_contract_table_destroy(mn);
	mutex_unlock(&mn->lock);
	free_percpu(mn->stats);
	pr_debug("netns %u destroyed\n", net->ns.inum);
}

static struct pernet_operations muisp_net_ops = {
	.init = muisp_net_init,
	.pre_exit = muisp_net_pre_exit,
	.exit = muisp_net_exit,
	.id = &muisp_net_id,
	.size = sizeof(struct muisp_net),
};

int muisp_netns_init(void)
{
	return register_pernet_subsys(&muisp_net_ops);
}

void muisp_netns_exit(void)
{
	unregister_pernet_subsys(&muisp_net_ops);
}
