// SPDX-License-Identifier: GPL-2.0
/*
 * muisp: access gate, flow metering and contract limits for a micro-ISP
 * access router.  This file only orders module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "muisp.h"
#include "flowtable.h"
#include "uinfo.h"

static int __init muisp_init(void)
{
	int ret;

#ifdef DEBUG
	/* MUISP_DEBUG=1 builds: the self-tests run first, or nothing loads */
	if (!muisp_ft_selftest() || !muisp_contract_selftest() ||
	    !muisp_uinfo_selftest() || !muisp_answers_selftest())
		return -ENOTRECOVERABLE;
#endif
	ret = muisp_netns_init();
	if (ret < 0)
		goto err_netns;
	ret = muisp_genl_init();
	if (ret < 0)
		goto err_genl;
	pr_debug("created\n");
	return 0;

err_genl:
	muisp_netns_exit();
err_netns:
	return ret;
}

static void __exit muisp_exit(void)
{
	muisp_genl_exit();
	muisp_netns_exit();
	/* RCU callbacks queued by the tables (kfree_rcu, flow table) */
	rcu_barrier();
	pr_debug("destroyed\n");
}

module_init(muisp_init);
module_exit(muisp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("muisp micro-ISP access gate and metering");
MODULE_AUTHOR("muisp developers");
MODULE_VERSION(MUISP_VERSION);
MODULE_ALIAS_GENL_FAMILY(MUISP_GENL_NAME);
