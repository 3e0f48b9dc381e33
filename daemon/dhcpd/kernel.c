// SPDX-License-Identifier: GPL-2.0
/* Kernel address-table hand-off over generic netlink: see kernel.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "uapi/muisp.h"
#include "muisp_nl.h"
#include "kernel.h"
#include "log.h"

struct kernel_nl {
	struct muisp_nl *nl;
};

struct kernel_nl *kernel_nl_open(void)
{
	struct kernel_nl *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->nl = muisp_nl_open(0);
	if (!k->nl) {
		int saved = errno;

		free(k);
		errno = saved;
		return NULL;
	}
	return k;
}

void kernel_nl_close(struct kernel_nl *k)
{
	if (!k)
		return;
	muisp_nl_close(k->nl);
	free(k);
}

static int addr_set(struct kernel_nl *k, uint32_t addr, uint8_t state,
		    const uint8_t *mac, uint32_t flags)
{
	struct nlmsghdr *nlh;
	uint32_t be = htonl(addr);

	nlh = muisp_nl_msg(k->nl, MUISP_CMD_ADDR_SET, NLM_F_ACK);
	mnl_attr_put(nlh, MUISP_ADDR_A_ADDR, 4, &be);
	mnl_attr_put_u8(nlh, MUISP_ADDR_A_STATE, state);
	if (mac)
		mnl_attr_put(nlh, MUISP_ADDR_A_MAC, 6, mac);
	if (flags)
		mnl_attr_put_u32(nlh, MUISP_ADDR_A_FLAGS, flags);
	return muisp_nl_request(k->nl, nlh, NULL, NULL);
}

static int get_entry(struct kernel_nl *k, uint32_t addr,
		     struct muisp_nl_addr *a)
{
	struct muisp_nl_ip ip = { .family = AF_INET };
	uint32_t be = htonl(addr);

	memcpy(ip.a, &be, 4);
	memset(a, 0, sizeof(*a));
	return muisp_nl_addr_get(k->nl, &ip, a);
}

static int addr_get_state(struct kernel_nl *k, uint32_t addr, int *state)
{
	struct muisp_nl_addr a;

	*state = -1;
	if (get_entry(k, addr, &a) < 0)
		return -1;
	if (!MUISP_NL_HAS(&a, MUISP_ADDR_A_STATE)) {
		errno = EPROTO;
		return -1;
	}
	*state = a.state;
	return 0;
}

static int nl_lookup(void *ctx, uint32_t addr, struct kaddr_info *out)
{
	struct kernel_nl *k = ctx;
	struct muisp_nl_addr a;

	memset(out, 0, sizeof(*out));
	if (get_entry(k, addr, &a) < 0)
		return errno == ENOENT ? 0 : -1;
	out->found = 1;
	out->bound = a.state == MUISP_ADDR_STATE_BOUND;
	out->tunnel = MUISP_NL_HAS(&a, MUISP_ADDR_A_XFRM_SPI) && a.xfrm_spi;
	return 0;
}

static int nl_update(void *ctx, enum kaddr_op op, uint32_t addr,
		     const uint8_t *mac)
{
	struct kernel_nl *k = ctx;
	int state;

	switch (op) {
	case KADDR_NEW:
		return addr_set(k, addr, MUISP_ADDR_STATE_ALLOCATED, mac, 0);
	case KADDR_RENEW:
		if (addr_set(k, addr, MUISP_ADDR_STATE_ALLOCATED, mac,
			     MUISP_ADDR_F_EXCL) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		/* The entry exists: keep ALLOCATED/BOUND as they are.  A
		 * contract daemon binding between GET and SET is not lost:
		 * we only overwrite UNALLOCATED. */
		if (addr_get_state(k, addr, &state) < 0)
			return -1;
		log_debug("kernel: renew %u.%u.%u.%u: entry exists, state %d%s",
			  addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
			  addr & 0xff, state,
			  state == MUISP_ADDR_STATE_UNALLOCATED ?
				  " -> allocated" :
				  " (kept)");
		if (state == MUISP_ADDR_STATE_UNALLOCATED)
			return addr_set(k, addr, MUISP_ADDR_STATE_ALLOCATED,
					mac, 0);
		return 0;
	case KADDR_RELEASE:
		return addr_set(k, addr, MUISP_ADDR_STATE_UNALLOCATED, NULL, 0);
	}
	errno = EINVAL;
	return -1;
}

void kernel_nl_ops(struct kernel_nl *k, struct kernel_ops *ops)
{
	ops->update = nl_update;
	ops->lookup = nl_lookup;
	ops->ctx = k;
}
