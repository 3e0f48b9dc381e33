// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl user list|bind|unbind: per-user contracts (MUISP_CMD_USER_*).
 * A user of a multi-user host (an agent: agent.c), named by the
 * Accounting ID its User Information options carry, is bound to a
 * contract of their own; the module gates and charges that user's
 * packets on it instead of the host address's contract.
 */
#include <stdio.h>
#include <string.h>

#include "muispctl.h"

static const char *const user_attrs[MUISP_USER_A_MAX + 1] = {
	[MUISP_USER_A_ADDR] = "address",
	[MUISP_USER_A_USER] = "user",
	[MUISP_USER_A_CONTRACT_ID] = "contract",
	[MUISP_USER_A_CONTRACT_ID64] = "contract",
};

enum {
	U_ID,
	U_ADDR,
	U_USER,
	U_CONTRACT,
	U_STATUS,
	U_UP_BYTES,
	U_UP_PACKETS,
	U_DOWN_BYTES,
	U_DOWN_PACKETS
};
static const struct out_col user_cols[] = {
	[U_ID] = { "id", "ID" },
	[U_ADDR] = { "addr", "ADDRESS" },
	[U_USER] = { "user", "USER" },
	[U_CONTRACT] = { "contract", "CONTRACT" },
	[U_STATUS] = { "status", "STATUS" },
	[U_UP_BYTES] = { "up_bytes", "UP_BYTES" },
	[U_UP_PACKETS] = { "up_packets", "UP_PKTS" },
	[U_DOWN_BYTES] = { "down_bytes", "DOWN_BYTES" },
	[U_DOWN_PACKETS] = { "down_packets", "DOWN_PKTS" },
};

static int user_row(const struct muisp_nl_user *u, void *arg)
{
	struct out_table *t = arg;
	char buf[MUISP_NL_IPSTRLEN], num[12];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, U_ID, u->id);
	out_str(t, U_ADDR, muisp_nl_ip_to_str(&u->addr, buf));
	out_u64(t, U_USER, u->user);
	out_u64(t, U_CONTRACT, u->contract_id);
	if (MUISP_NL_HAS(u, MUISP_USER_A_CONTRACT_STATUS))
		out_str(t, U_STATUS,
			name_of(&contract_status_names, u->contract_status,
				num));
	if (MUISP_NL_HAS(u, MUISP_USER_A_UP_BYTES)) {
		out_u64(t, U_UP_BYTES, u->up_bytes);
		out_u64(t, U_UP_PACKETS, u->up_packets);
		out_u64(t, U_DOWN_BYTES, u->down_bytes);
		out_u64(t, U_DOWN_PACKETS, u->down_packets);
	}
	return MNL_CB_OK;
}

static int user_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_user_dump(c->nl, user_row, ctl_out_reset, t);
}

static int user_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage("user list takes no arguments");
	return ctl_list(c, "user list", user_cols,
			sizeof(user_cols) / sizeof(user_cols[0]), user_dump,
			NULL);
}

/* ADDRESS USER (argv[0], argv[1]): the host's address and the user's
 * Accounting ID, an unsigned 32-bit number. */
static int parse_pair(char **argv, struct muisp_nl_ip *ip, uint32_t *user)
{
	const char *why;
	uint64_t v;

	if (parse_ip(argv[0], ip, &why) < 0)
		return cli_badarg("address", argv[0], why);
	if (parse_uint(argv[1], UINT32_MAX, &v, &why) < 0)
		return cli_badarg("user", argv[1], why);
	*user = (uint32_t)v;
	return EXIT_OK;
}

static int user_bind(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_user u;
	const char *why;
	uint32_t id = 0;
	uint64_t v;
	int rc;

	memset(&u, 0, sizeof(u));
	if (argc != 4)
		return cli_usage("user bind needs an ADDRESS, a USER and a "
				 "CONTRACT");
	rc = parse_pair(argv + 1, &u.addr, &u.user);
	if (rc != EXIT_OK)
		return rc;
	if (parse_uint(argv[3], UINT64_MAX, &v, &why) < 0)
		return cli_badarg("contract", argv[3], why);
	if (!v)
		return cli_badarg("contract", argv[3], "must be non-zero");
	u.contract_id = v;
	MUISP_NL_SET(&u, MUISP_USER_A_ADDR);
	MUISP_NL_SET(&u, MUISP_USER_A_USER);
	/* the codec sends CONTRACT_ID64 for an id beyond 32 bits */
	MUISP_NL_SET(&u, MUISP_USER_A_CONTRACT_ID);
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = user_attrs;
	c->nattr_names = MUISP_USER_A_MAX + 1;
	if (muisp_nl_user_set(c->nl, &u, &id) < 0)
		return ctl_nl_fail(c, "user bind");
	return ctl_print_id(c, id);
}

static int user_unbind(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_ip ip;
	uint32_t user;
	int rc;

	if (argc != 3)
		return cli_usage("user unbind needs an ADDRESS and a USER");
	rc = parse_pair(argv + 1, &ip, &user);
	if (rc != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = user_attrs;
	c->nattr_names = MUISP_USER_A_MAX + 1;
	if (muisp_nl_user_del(c->nl, &ip, user) < 0)
		return ctl_nl_fail(c, "user unbind");
	return EXIT_OK;
}

static const struct ctl_verb user_verbs[] = {
	{ "list", user_list, "" },
	{ "bind", user_bind, "ADDRESS USER CONTRACT" },
	{ "unbind", user_unbind, "ADDRESS USER" },
	{ NULL, NULL, NULL },
};

int cmd_user(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, user_verbs, argc, argv);
}
