// SPDX-License-Identifier: GPL-2.0
/* muispctl flow list|flush */
#include <string.h>

#include "muispctl.h"

static const char *const attr_names[MUISP_FLOW_A_MAX + 1] = {
	[MUISP_FLOW_A_CLIENT_ADDR] = "addr",
	[MUISP_FLOW_A_CONTRACT_ID] = "contract",
};

enum {
	C_ID,
	C_PROTO,
	C_CLIENT,
	C_CPORT,
	C_PEER,
	C_PPORT,
	C_UPB,
	C_UPP,
	C_DOWNB,
	C_DOWNP,
	C_FIRST,
	C_LAST,
	C_FLAGS,
	C_CONTRACT,
	C_END,
	C_SEQ, /* records only: not a column of flow list */
};
const struct out_col flow_cols[] = {
	[C_ID] = { "id", "ID" },
	[C_PROTO] = { "proto", "PROTO" },
	[C_CLIENT] = { "client", "CLIENT" },
	[C_CPORT] = { "client_port", "CPORT" },
	[C_PEER] = { "peer", "PEER" },
	[C_PPORT] = { "peer_port", "PPORT" },
	[C_UPB] = { "up_bytes", "UP_BYTES" },
	[C_UPP] = { "up_packets", "UP_PKTS" },
	[C_DOWNB] = { "down_bytes", "DOWN_BYTES" },
	[C_DOWNP] = { "down_packets", "DOWN_PKTS" },
	[C_FIRST] = { "first_ms", "FIRST" },
	[C_LAST] = { "last_ms", "LAST" },
	[C_FLAGS] = { "tcp_flags", "TCP" },
	[C_CONTRACT] = { "contract", "CONTRACT" },
	[C_END] = { "end", "END" },
	[C_SEQ] = { "seq", "SEQ" },
};
const unsigned int flow_ncols = C_SEQ;
const unsigned int flow_rec_ncols = C_SEQ + 1;

int flow_row(struct out_table *t, const struct muisp_nl_flow *f)
{
	char ip[MUISP_NL_IPSTRLEN], num[12], tbuf[40];

	if (out_row(t) < 0)
		return -1;
	out_u64(t, C_ID, f->id);
	out_str(t, C_PROTO, proto_name(f->proto, num));
	out_str(t, C_CLIENT, muisp_nl_ip_to_str(&f->client_addr, ip));
	out_u64(t, C_CPORT, f->client_port);
	out_str(t, C_PEER, muisp_nl_ip_to_str(&f->peer_addr, ip));
	out_u64(t, C_PPORT, f->peer_port);
	out_u64(t, C_UPB, f->up_bytes);
	out_u64(t, C_UPP, f->up_packets);
	out_u64(t, C_DOWNB, f->down_bytes);
	out_u64(t, C_DOWNP, f->down_packets);
	out_u64_as(t, C_FIRST, f->first_ms,
		   fmt_time_ms(f->first_ms, tbuf, sizeof(tbuf)));
	out_u64_as(t, C_LAST, f->last_ms,
		   fmt_time_ms(f->last_ms, tbuf, sizeof(tbuf)));
	if (MUISP_NL_HAS(f, MUISP_FLOW_A_TCP_FLAGS))
		out_u64_as(t, C_FLAGS, f->tcp_flags,
			   fmt_tcp_flags(f->tcp_flags, num));
	out_u64(t, C_CONTRACT, f->contract_id);
	if (MUISP_NL_HAS(f, MUISP_FLOW_A_END_REASON))
		out_str(t, C_END, name_of(&flow_end_names, f->end_reason, num));
	if (MUISP_NL_HAS(f, MUISP_FLOW_A_SEQ))
		out_u64(t, C_SEQ, f->seq); /* no such cell in a flow list */
	return 0;
}

static int row_cb(const struct muisp_nl_flow *f, void *arg)
{
	return flow_row(arg, f) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int dump(struct ctl *c, struct out_table *t, const void *filter)
{
	return muisp_nl_flow_dump(c->nl, filter, row_cb, ctl_out_reset, t);
}

static int flow_list(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_flow filter;
	const char *key, *val, *why;
	uint64_t v;
	int r;

	memset(&filter, 0, sizeof(filter));
	argc--;
	argv++;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (!strcmp(key, "addr")) {
			if (parse_ip(val, &filter.client_addr, &why) < 0)
				return cli_badarg("addr", val, why);
			MUISP_NL_SET(&filter, MUISP_FLOW_A_CLIENT_ADDR);
		} else if (!strcmp(key, "contract")) {
			if (parse_uint(val, UINT64_MAX, &v, &why) < 0)
				return cli_badarg("contract", val, why);
			filter.contract_id = v;
			MUISP_NL_SET(&filter, MUISP_FLOW_A_CONTRACT_ID);
		} else {
			return cli_usage("unknown flow list argument '%s'",
					 key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_FLOW_A_MAX + 1;
	/* no END for live flows */
	return ctl_list(c, "flow list", flow_cols, flow_ncols - 1, dump,
			&filter);
}

static int flow_flush(struct ctl *c, int argc, char **argv)
{
	const char *why;
	uint64_t v = 0;
	int rc = EXIT_OK;

	if (argc == 3 && !strcmp(argv[1], "contract")) {
		if (parse_uint(argv[2], UINT64_MAX, &v, &why) < 0)
			return cli_badarg("contract", argv[2], why);
	} else if (argc != 1) {
		return cli_usage("flow flush takes only [contract ID]");
	}
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_FLOW_A_MAX + 1;
	if (muisp_nl_flow_flush(c->nl, v) < 0)
		return ctl_nl_fail(c, "flow flush");
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "list", flow_list, "[addr ADDRESS] [contract ID]" },
	{ "flush", flow_flush, "[contract ID]" },
	{ NULL, NULL, NULL },
};

int cmd_flow(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}
