// SPDX-License-Identifier: GPL-2.0
/* muispctl addr list|show|set|del */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "muispctl.h"

static const char *const attr_names[MUISP_ADDR_A_MAX + 1] = {
	[MUISP_ADDR_A_ADDR] = "address",
	[MUISP_ADDR_A_STATE] = "state",
	[MUISP_ADDR_A_CONTRACT_ID] = "contract",
	[MUISP_ADDR_A_MAC] = "mac",
	[MUISP_ADDR_A_XFRM_REQID] = "reqid",
	[MUISP_ADDR_A_XFRM_IF_ID] = "if-id",
	[MUISP_ADDR_A_FLAGS] = "excl",
	[MUISP_ADDR_A_XFRM_SPI] = "spi",
	[MUISP_ADDR_A_XFRM_SPI_PREV] = "spi-prev",
	[MUISP_ADDR_A_XFRM_PROTO] = "proto",
};

enum {
	C_ID,
	C_ADDR,
	C_STATE,
	C_CONTRACT,
	C_STATUS,
	C_MAC,
	C_PROTO,
	C_SPI,
	C_SPI_PREV,
	C_REQID,
	C_IFID
};
static const struct out_col cols[] = {
	[C_ID] = { "id", "ID" },
	[C_ADDR] = { "addr", "ADDRESS" },
	[C_STATE] = { "state", "STATE" },
	[C_CONTRACT] = { "contract", "CONTRACT" },
	[C_STATUS] = { "status", "STATUS" },
	[C_MAC] = { "mac", "MAC" },
	[C_PROTO] = { "xfrm_proto", "TUNNEL" },
	[C_SPI] = { "xfrm_spi", "SPI" },
	[C_SPI_PREV] = { "xfrm_spi_prev", "SPI_PREV" },
	[C_REQID] = { "xfrm_reqid", "REQID" },
	[C_IFID] = { "xfrm_if_id", "IF_ID" },
};

static int row(const struct muisp_nl_addr *a, void *arg)
{
	struct out_table *t = arg;
	char ip[MUISP_NL_IPSTRLEN], num[12], mac[18], spi[12];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_ID))
		out_u64(t, C_ID, a->id);
	out_str(t, C_ADDR, muisp_nl_ip_to_str(&a->addr, ip));
	out_str(t, C_STATE, name_of(&addr_state_names, a->state, num));
	if (a->contract_id)
		out_u64(t, C_CONTRACT, a->contract_id);
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_CONTRACT_STATUS))
		out_str(t, C_STATUS,
			name_of(&contract_status_names, a->contract_status,
				num));
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_MAC))
		out_str(t, C_MAC, fmt_mac(a->mac, mac));
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_PROTO))
		out_str(t, C_PROTO,
			a->xfrm_proto == IPPROTO_AH  ? "ah" :
			a->xfrm_proto == IPPROTO_ESP ? "esp" :
						       "?");
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_SPI)) {
		snprintf(spi, sizeof(spi), "0x%08x", a->xfrm_spi);
		out_str(t, C_SPI, spi);
	}
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_SPI_PREV)) {
		snprintf(spi, sizeof(spi), "0x%08x", a->xfrm_spi_prev);
		out_str(t, C_SPI_PREV, spi);
	}
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_REQID))
		out_u64(t, C_REQID, a->xfrm_reqid);
	if (MUISP_NL_HAS(a, MUISP_ADDR_A_XFRM_IF_ID))
		out_u64(t, C_IFID, a->xfrm_if_id);
	return MNL_CB_OK;
}

static struct out_table *table(void)
{
	return out_new(cols, sizeof(cols) / sizeof(cols[0]));
}

static int dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_addr_dump(c->nl, row, ctl_out_reset, t);
}

static int addr_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("addr list takes no arguments");
	return ctl_list(c, "addr list", cols, sizeof(cols) / sizeof(cols[0]),
			dump, NULL);
}

static int addr_show(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_addr a;
	struct muisp_nl_ip ip;
	struct out_table *t;
	const char *why;
	int rc = EXIT_OK;

	if (argc != 2)
		return cli_usage("addr show needs one ADDRESS");
	if (parse_ip(argv[1], &ip, &why) < 0)
		return cli_badarg("address", argv[1], why);
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_ADDR_A_MAX + 1;
	if (muisp_nl_addr_get(c->nl, &ip, &a) < 0)
		return ctl_nl_fail(c, "addr show");
	t = table();
	if (!t || row(&a, t) != MNL_CB_OK)
		rc = EXIT_FAIL;
	else
		out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return rc;
}

/* argv: "set" ADDRESS KEY VALUE...; checked before touching the kernel. */
static int addr_set_args(int argc, char **argv, struct muisp_nl_addr *a)
{
	static const char *const flags[] = { "excl", NULL };
	const char *key, *val, *why;
	uint64_t v;
	int r, st;

	memset(a, 0, sizeof(*a));
	if (argc < 2)
		return cli_usage("addr set needs an ADDRESS");
	if (parse_ip(argv[1], &a->addr, &why) < 0)
		return cli_badarg("address", argv[1], why);
	MUISP_NL_SET(a, MUISP_ADDR_A_ADDR);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, flags, &key, &val)) == 0) {
		if (!strcmp(key, "state")) {
			st = name_lookup(&addr_state_names, val);
			if (st <= MUISP_ADDR_STATE_UNSPEC)
				return ctl_badname("state", val,
						   &addr_state_names);
			a->state = (uint8_t)st;
			MUISP_NL_SET(a, MUISP_ADDR_A_STATE);
		} else if (!strcmp(key, "contract")) {
			if (parse_uint(val, UINT64_MAX, &v, &why) < 0)
				return cli_badarg("contract", val, why);
			if (!v)
				return cli_badarg("contract", val,
						  "must be non-zero");
			a->contract_id = v;
			MUISP_NL_SET(a, MUISP_ADDR_A_CONTRACT_ID);
		} else if (!strcmp(key, "mac")) {
			if (parse_mac(val, a->mac, &why) < 0)
				return cli_badarg("mac", val, why);
			MUISP_NL_SET(a, MUISP_ADDR_A_MAC);
		} else if (!strcmp(key, "reqid") || !strcmp(key, "if-id")) {
			if (parse_uint(val, UINT32_MAX, &v, &why) < 0)
				return cli_badarg(key, val, why);
			if (key[0] == 'r') {
				a->xfrm_reqid = (uint32_t)v;
				MUISP_NL_SET(a, MUISP_ADDR_A_XFRM_REQID);
			} else {
				a->xfrm_if_id = (uint32_t)v;
				MUISP_NL_SET(a, MUISP_ADDR_A_XFRM_IF_ID);
			}
		} else if (!strcmp(key, "spi") || !strcmp(key, "spi-prev")) {
			if (parse_uint_hex(val, UINT32_MAX, &v, &why) < 0)
				return cli_badarg(key, val, why);
			if (!strcmp(key, "spi")) {
				a->xfrm_spi = (uint32_t)v;
				MUISP_NL_SET(a, MUISP_ADDR_A_XFRM_SPI);
			} else {
				a->xfrm_spi_prev = (uint32_t)v;
				MUISP_NL_SET(a, MUISP_ADDR_A_XFRM_SPI_PREV);
			}
		} else if (!strcmp(key, "tunnel")) {
			if (!strcmp(val, "ah"))
				a->xfrm_proto = IPPROTO_AH;
			else if (!strcmp(val, "esp"))
				a->xfrm_proto = IPPROTO_ESP;
			else
				return cli_badarg("tunnel", val,
						  "must be ah or esp");
			MUISP_NL_SET(a, MUISP_ADDR_A_XFRM_PROTO);
		} else if (!strcmp(key, "excl")) {
			a->flags |= MUISP_ADDR_F_EXCL;
			MUISP_NL_SET(a, MUISP_ADDR_A_FLAGS);
		} else {
			return cli_usage("unknown addr set argument '%s'", key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if (!MUISP_NL_HAS(a, MUISP_ADDR_A_STATE))
		return cli_usage("addr set needs 'state %s'",
				 name_list(&addr_state_names));
	if (a->state == MUISP_ADDR_STATE_BOUND &&
	    !MUISP_NL_HAS(a, MUISP_ADDR_A_CONTRACT_ID))
		return cli_usage("state bound needs 'contract ID'");
	if (a->state != MUISP_ADDR_STATE_BOUND &&
	    MUISP_NL_HAS(a, MUISP_ADDR_A_CONTRACT_ID))
		return cli_usage("'contract' is only valid with state bound");
	return EXIT_OK;
}

static int addr_set(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_addr a;
	int rc = addr_set_args(argc, argv, &a);

	if (rc != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_ADDR_A_MAX + 1;
	if (muisp_nl_addr_set(c->nl, &a) < 0)
		return ctl_nl_fail(c, "addr set");
	return EXIT_OK;
}

static int addr_del(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_ip ip;
	const char *why;
	int rc = EXIT_OK;

	if (argc != 2)
		return cli_usage("addr del needs one ADDRESS");
	if (parse_ip(argv[1], &ip, &why) < 0)
		return cli_badarg("address", argv[1], why);
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_ADDR_A_MAX + 1;
	if (muisp_nl_addr_del(c->nl, &ip) < 0)
		return ctl_nl_fail(c, "addr del");
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "list", addr_list, "" },
	{ "show", addr_show, "ADDRESS" },
	{ "set", addr_set,
	  "ADDRESS state unallocated|allocated|bound "
	  "[contract ID] [mac MAC] [reqid N] [if-id N] [excl]" },
	{ "del", addr_del, "ADDRESS" },
	{ NULL, NULL, NULL },
};

int cmd_addr(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}
