// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only: a module whose init raises a kernel WARNING, so
 * the self-test can prove the harness fails a run on a kernel warning, and
 * whose freeze_s parameter stops every CPU of the guest for that many
 * seconds, so it can prove that the host's watchdog ends a wedged guest
 * (nothing inside it can report any more).  Never built into muisp.ko and
 * never installed.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/stop_machine.h>
#include <linux/bug.h>

static bool warn = true;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "raise a WARNING on load (default 1)");

static int freeze_fn(void *arg)
{
	unsigned int ms = *(unsigned int *)arg * 1000, i;

	for (i = 0; i < ms; i++)
		mdelay(1);
	return 0;
}

static int freeze_set(const char *val, const struct kernel_param *kp)
{
	unsigned int s;
	int ret = kstrtouint(val, 0, &s);

	if (ret)
		return ret;
	/* every other CPU spins with interrupts off until freeze_fn returns */
	return stop_machine(freeze_fn, &s, NULL);
}

static const struct kernel_param_ops freeze_ops = { .set = freeze_set };
module_param_cb(freeze_s, &freeze_ops, NULL, 0200);
MODULE_PARM_DESC(freeze_s, "stop every CPU for N seconds");

static int __init warnmod_init(void)
{
	WARN(warn, "muisp harness self-test warning\n");
	return 0;
}

static void __exit warnmod_exit(void)
{
}

module_init(warnmod_init);
module_exit(warnmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("muisp VM harness self-test: WARN on load, freeze on demand");
