/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel lines muisp.ko is built for (Debian's 6.1
 * and 6.12).  Out of tree, the version check is how a module learns them.
 */
#ifndef MUISP_COMPAT_H
#define MUISP_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/* 6.2 moved a dump's parsed attributes into struct genl_info. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define MUISP_DUMP_ATTRS(cb) (genl_dumpit_info(cb)->attrs)
#else
#define MUISP_DUMP_ATTRS(cb) (genl_dumpit_info(cb)->info.attrs)
#endif

#endif /* MUISP_COMPAT_H */
