/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-off of address states to the muisp kernel address table (seed
 * Fig. 5) over the "muisp" generic netlink family (lib/muisp_nl):
 *
 *   KADDR_NEW      a lease was granted to a (new) client: ADDR_SET
 *                  ALLOCATED, replacing whatever entry was there (a stale
 *                  binding of a previous holder must not survive)
 *   KADDR_RENEW    a lease was renewed, or re-asserted at start: create the
 *                  entry as ALLOCATED if missing or UNALLOCATED, but leave
 *                  an ALLOCATED or BOUND entry alone (renewing must not
 *                  unbind the holder's contract)
 *   KADDR_RELEASE  release, expiry or decline: ADDR_SET UNALLOCATED; an
 *                  address bound to a contract is thereby unbound, and the
 *                  kernel announces it (MUISP_EVENT_ADDR_STATE with the
 *                  contract id) to the contract daemon
 *
 * and reads an entry back (KADDR lookup, ADDR_GET): whether the address is
 * bound to a contract and whether it has a tunnel identity (an IPsec SA
 * recorded by muispd), which decide who may release or decline it.
 *
 * struct kernel_ops lets the server run against a recorder in unit tests
 * and against nothing when `kernel-sync no`.
 */
#ifndef MUISP_DHCPD_KERNEL_H
#define MUISP_DHCPD_KERNEL_H

#include <stdint.h>

enum kaddr_op { KADDR_NEW, KADDR_RENEW, KADDR_RELEASE };
/* Defined in server.c (no netlink dependency). */
const char *kaddr_op_str(enum kaddr_op op);

/* What the kernel's entry of an address says (kernel_ops.lookup). */
struct kaddr_info {
	uint8_t found;	/* 0: no entry */
	uint8_t bound;	/* state BOUND (to a contract) */
	uint8_t tunnel; /* has a tunnel identity (XFRM SPI) */
};

struct kernel_ops {
	/* addr in host order; mac may be NULL.  0 or -1 with errno. */
	int (*update)(void *ctx, enum kaddr_op op, uint32_t addr,
		      const uint8_t *mac);
	/* The entry of addr (host order): 0 (found 0 if there is none), or
	 * -1 with errno if the kernel could not be asked. */
	int (*lookup)(void *ctx, uint32_t addr, struct kaddr_info *out);
	void *ctx;
};

/*
 * Netlink backend.  kernel_nl_open() returns NULL with errno ENOENT when
 * the family is not registered (module not loaded).  kernel_nl_ops()
 * fills ops for an open handle.
 */
struct kernel_nl;
struct kernel_nl *kernel_nl_open(void);
void kernel_nl_close(struct kernel_nl *k);
void kernel_nl_ops(struct kernel_nl *k, struct kernel_ops *ops);

#endif
