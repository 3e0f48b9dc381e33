// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl user list|bind|unbind: per-user contracts (MUISP_CMD_USER_*).
 * A user of a multi-user host (an agent: agent.c), named by the
 * Accounting ID its User Information options carry, is bound to a
 * contract of their own; the module gates and charges that user's
 * packets on it instead of the host address's contract.
 *
 * muispctl user block|allow|blocked: the per-user block list, kept by
 * muispd (OP_USER_BLOCK*) and sent to the host's agent, which drops the
 * user's packets (the router sees only the host's address).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
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

/* ---- the block list (muispd) ---- */

enum { B_ADDR, B_USER, B_SINCE, B_AGENT, B_REASON };
static const struct out_col block_cols[] = {
	[B_ADDR] = { "addr", "ADDRESS" },    [B_USER] = { "user", "USER" },
	[B_SINCE] = { "since_s", "SINCE" },  [B_AGENT] = { "agent", "AGENT" },
	[B_REASON] = { "reason", "REASON" },
};

/* enum mp_push as the operator reads it */
static const char *const push_names[__MP_PUSH_LAST] = {
	[MP_PUSH_NO_AGENT] = "not-connected",
	[MP_PUSH_SENT] = "sent",
	[MP_PUSH_APPLIED] = "applied",
};

static int block_row(struct out_table *t, const struct mp_msg *m)
{
	char b[32];

	if (out_row(t) < 0 || out_str(t, B_ADDR, m->s[MP_A_ADDR]) < 0 ||
	    out_u64(t, B_USER, m->u[MP_A_USER]) < 0 ||
	    out_u64_as(t, B_SINCE, m->u[MP_A_TIME],
		       fmt_time_s(m->u[MP_A_TIME], b, sizeof(b))) < 0 ||
	    out_str(t, B_AGENT, push_names[m->u[MP_A_PUSH]]) < 0 ||
	    out_str(t, B_REASON, m->s[MP_A_MESSAGE]) < 0)
		return -1;
	return 0;
}

static int user_blocked(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage("user blocked takes no arguments");
	return mpd_list(c, "user blocked", MP_T_OP_USER_BLOCK_LIST,
			MP_T_OP_USER_BLOCK_ROW, block_cols,
			sizeof(block_cols) / sizeof(block_cols[0]), block_row);
}

/* block ADDRESS USER [reason TEXT] | allow ADDRESS USER */
static int user_block_set(struct ctl *c, int argc, char **argv, int blocked)
{
	const char *what = blocked ? "user block" : "user allow";
	struct mp_msg req, rep;
	struct muisp_nl_ip ip;
	char addr[INET6_ADDRSTRLEN];
	uint32_t user;
	int rc;

	if (argc != 3 && !(blocked && argc == 5 && !strcmp(argv[3], "reason")))
		return cli_usage(blocked ? "user block needs an ADDRESS and a "
					   "USER [reason TEXT]" :
					   "user allow needs an ADDRESS and a "
					   "USER");
	rc = parse_pair(argv + 1, &ip, &user);
	if (rc != EXIT_OK)
		return rc;
	if (argc == 5 && strlen(argv[4]) > MP_STR_MAX)
		return cli_badarg("reason", argv[4], "too long");
	if (!inet_ntop(ip.family, ip.a, addr, sizeof(addr)))
		return cli_badarg("address", argv[1], "not an address");
	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	mp_init(&req, MP_T_OP_USER_BLOCK, 0, 0);
	mp_set_s(&req, MP_A_ADDR, addr);
	mp_set_u(&req, MP_A_USER, user);
	mp_set_u(&req, MP_A_BLOCKED, blocked ? 1 : 0);
	if (argc == 5 && argv[4][0])
		mp_set_s(&req, MP_A_MESSAGE, argv[4]);
	rc = mpd_call(c, what, &req, &rep);
	if (rc != EXIT_OK)
		return rc;
	if (rep.type != MP_T_OP_OK || !mp_has(&rep, MP_A_MESSAGE))
		return mpd_fail(what, &rep);
	fprintf(c->out, "%s\n", rep.s[MP_A_MESSAGE]);
	return EXIT_OK;
}

static int user_block(struct ctl *c, int argc, char **argv)
{
	return user_block_set(c, argc, argv, 1);
}

static int user_allow(struct ctl *c, int argc, char **argv)
{
	return user_block_set(c, argc, argv, 0);
}

static const struct ctl_verb user_verbs[] = {
	{ "list", user_list, "" },
	{ "bind", user_bind, "ADDRESS USER CONTRACT" },
	{ "unbind", user_unbind, "ADDRESS USER" },
	{ "block", user_block, "ADDRESS USER [reason TEXT]" },
	{ "allow", user_allow, "ADDRESS USER" },
	{ "blocked", user_blocked, "" },
	{ NULL, NULL, NULL },
};

int cmd_user(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, user_verbs, argc, argv);
}
