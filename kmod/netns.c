// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state: struct muisp_net, created and destroyed with the
 * namespace (pernet_operations).  A namespace nobody configures costs the
 * struct, its per-CPU counters and empty tables, and no netfilter hook:
 * the hooks (muisp_hooks_set()), the flow table and the DNS rate limiter
 * come when a LAN interface is configured (muisp_gate_up()) and go when it
 * is unset (muisp_gate_down()), and the once-a-second clock runs only
 * while contracts or list entries exist.
 * Teardown order: unregister the hooks (.pre_exit), a grace period passes
 * (the pernet core), then stop the clock, destroy the flow table
 * (flushing its flows as records), and free the tables.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/ktime.h>
#include <linux/random.h>

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
	mn->clock_on = mn->ncontracts || mn->ngarden || mn->nblocks;
	if (mn->clock_on && !READ_ONCE(mn->dying))
		schedule_delayed_work(&mn->clock, HZ);
	mutex_unlock(&mn->lock);
}

/* Something that can expire was added: make sure the clock runs. */
void muisp_clock_arm(struct muisp_net *mn)
{
	lockdep_assert_held(&mn->lock);
	if (mn->clock_on || READ_ONCE(mn->dying))
		return;
	mn->clock_on = true;
	schedule_delayed_work(&mn->clock, HZ);
}

/*
 * A LAN interface is being configured: make the flow table (sized for
 * cfg's max_flows) and the DNS rate limiter, both charged to the caller's
 * memory cgroup.  Published before the caller sets the LAN.
 */
int muisp_gate_up(struct muisp_net *mn, const struct muisp_config *cfg)
{
	struct muisp_ft_params fp = {
		.idle_timeout_s = cfg->idle_timeout_s,
		.fin_timeout_s = cfg->fin_timeout_s,
		.max_flows = cfg->max_flows,
	};
	struct muisp_flowtable *ft;
	struct muisp_dns_limit *dns;
	unsigned int i;

	lockdep_assert_held(&mn->lock);
	if (rcu_access_pointer(mn->ft))
		return 0;
	dns = kvzalloc(sizeof(*dns), GFP_KERNEL_ACCOUNT);
	if (!dns)
		return -ENOMEM;
	get_random_bytes(&dns->key, sizeof(dns->key));
	for (i = 0; i < MUISP_DNS_SETS; i++)
		spin_lock_init(&dns->sets[i].lock);
	if (muisp_conn_up(mn)) {
		kvfree(dns);
		return -ENOMEM;
	}
	ft = muisp_ft_create(&fp, muisp_flow_export, mn);
	if (IS_ERR(ft)) {
		struct muisp_conn_gone gone;

		/* unpublished before any packet could see them: no grace */
		muisp_conn_down(mn, &gone);
		muisp_conn_free(&gone);
		kvfree(dns);
		return PTR_ERR(ft);
	}
	rcu_assign_pointer(mn->dns, dns);
	rcu_assign_pointer(mn->ft, ft);
	return 0;
}

/*
 * The LAN interface was unset (the caller cleared it first) or the
 * namespace goes: end every flow (records, reason FLUSH) and free both.
 */
void muisp_gate_down(struct muisp_net *mn)
{
	struct muisp_flowtable *ft;
	struct muisp_dns_limit *dns;
	struct muisp_conn_gone gone;
	struct muisp_ft_stats st;

	lockdep_assert_held(&mn->lock);
	ft = rcu_replace_pointer(mn->ft, NULL, lockdep_is_held(&mn->lock));
	dns = rcu_replace_pointer(mn->dns, NULL, lockdep_is_held(&mn->lock));
	muisp_conn_down(mn, &gone);
	if (!ft && !dns && !gone.answers)
		return;
	/* packets that found them are done with them */
	synchronize_rcu();
	muisp_conn_free(&gone);
	if (ft) {
		muisp_ft_stats(ft, &st);
		mn->evictions_gone += st.evictions;
		muisp_ft_destroy(ft);
	}
	kvfree(dns);
}

static int __net_init muisp_net_init(struct net *net)
{
	struct muisp_net *mn = muisp_net(net);
	int ret;

	mn->net = net;
	mutex_init(&mn->lock);
	mn->cfg.idle_timeout_s = MUISP_DEFAULT_IDLE_TIMEOUT_S;
	mn->cfg.fin_timeout_s = MUISP_DEFAULT_FIN_TIMEOUT_S;
	mn->cfg.max_flows = MUISP_DEFAULT_MAX_FLOWS;
	mn->cfg.usage_gap_s = MUISP_DEFAULT_USAGE_GAP_S;
	mn->cfg.control_port = MUISP_DEFAULT_CONTROL_PORT;
	mn->cfg.require_tunnel = MUISP_DEFAULT_REQUIRE_TUNNEL;
	mn->cfg.dns_rate = MUISP_DEFAULT_DNS_RATE;
	mn->cfg.dns_burst = MUISP_DEFAULT_DNS_BURST;
	mn->cfg.conn_rate = MUISP_DEFAULT_CONN_RATE;
	mn->cfg.conn_burst = MUISP_DEFAULT_CONN_BURST;
	muisp_contract_table_init(mn);
	muisp_lists_init(mn);
	INIT_DELAYED_WORK(&mn->clock, muisp_clock_work);

	ret = muisp_addr_table_init(mn);
	if (ret)
		goto err_addr;
	ret = muisp_agents_init(mn);
	if (ret)
		goto err_agents;
	ret = muisp_users_init(mn);
	if (ret)
		goto err_users;
	ret = muisp_tagger_init(mn);
	if (ret)
		goto err_tagger;
	mn->stats = alloc_percpu_gfp(struct muisp_pcpu_stats,
				     GFP_KERNEL_ACCOUNT);
	if (!mn->stats) {
		ret = -ENOMEM;
		goto err_stats;
	}
	pr_debug("netns %u created\n", net->ns.inum);
	return 0;

err_stats:
	muisp_tagger_destroy(mn);
err_tagger:
	muisp_users_destroy(mn);
err_users:
	muisp_agents_destroy(mn);
err_agents:
	muisp_addr_table_destroy(mn);
err_addr:
	muisp_lists_destroy(mn);
	muisp_contract_table_destroy(mn);
	return ret;
}

static void __net_exit muisp_net_pre_exit(struct net *net)
{
	struct muisp_net *mn = muisp_net(net);

	mutex_lock(&mn->lock);
	muisp_hooks_set(mn, 0);		/* unregistering cannot fail */
	mutex_unlock(&mn->lock);
}

static void __net_exit muisp_net_exit(struct net *net)
{
	struct muisp_net *mn = muisp_net(net);

	WRITE_ONCE(mn->dying, true);
	cancel_delayed_work_sync(&mn->clock);
	mutex_lock(&mn->lock);
	muisp_gate_down(mn);
	mutex_unlock(&mn->lock);
	muisp_lists_destroy(mn);
	muisp_tagger_destroy(mn);
	muisp_users_destroy(mn);
	muisp_agents_destroy(mn);
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
