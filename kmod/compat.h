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

/*
 * 6.2 gave the extended ack a buffer for a formatted message.  Before it
 * the ack reads the message through a pointer once the handler returned,
 * so the text goes to buf, MUISP_ERR_MSG_LEN bytes that outlive the
 * request (the namespace's, written under its lock; the last byte stays
 * NUL): a refusal in the same namespace meanwhile may overwrite the text
 * before this ack is built, nothing worse.  From 6.2 buf is not used.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define MUISP_ERR_MSG_LEN 40
#define MUISP_ERR_MSG_FMT(extack, buf, fmt, args...) do {		\
	struct netlink_ext_ack *__extack = (extack);			\
	char *__buf = (buf);						\
									\
	snprintf(__buf, MUISP_ERR_MSG_LEN - 1, fmt, ##args);		\
	if (__extack)							\
		__extack->_msg = __buf;					\
} while (0)
#else
#define MUISP_ERR_MSG_LEN 1
#define MUISP_ERR_MSG_FMT(extack, buf, fmt, args...)			\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##args)
#endif

#endif /* MUISP_COMPAT_H */
