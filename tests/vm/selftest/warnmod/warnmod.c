// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only: a module whose init raises a kernel WARNING, so
 * the self-test can prove the harness fails a run on a kernel warning.
 * Never built into muisp.ko and never installed.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init warnmod_init(void)
{
	WARN(1, "muisp harness self-test warning\n");
	return 0;
}

static void __exit warnmod_exit(void)
{
}

module_init(warnmod_init);
module_exit(warnmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("muisp VM harness self-test: WARN on load");
