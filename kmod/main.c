// SPDX-License-Identifier: GPL-2.0
/*
 * muisp: access gate, flow metering and contract limits for a micro-ISP
 * access router.  This file only orders module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

static int __init muisp_init(void)
{
	pr_debug("created\n");
	return 0;
}

static void __exit muisp_exit(void)
{
	pr_debug("destroyed\n");
}

module_init(muisp_init);
module_exit(muisp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("muisp micro-ISP access gate and metering");
MODULE_AUTHOR("muisp developers");
