// SPDX-License-Identifier: GPL-2.0
/* muispctl conn list: per-connection billing records (muispd) */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "daemon.h"
#include "muispctl.h"

enum {
	N_PROTO,
	N_HOST,
	N_HPORT,
	N_PEER,
	N_PPORT,
	N_USER,
	N_CONTRACT,
	N_START,
	N_END,
	N_STATE,
	N_UP_BYTES,
	N_UP_PACKETS,
	N_DOWN_BYTES,
	N_DOWN_PACKETS,
	N_PRICE,
	N_UNIT,
	N_COST
};
static const struct out_col conn_cols[] = {
	[N_PROTO] = { "proto", "PROTO" },
	[N_HOST] = { "host", "HOST" },
	[N_HPORT] = { "host_port", "HPORT" },
	[N_PEER] = { "peer", "PEER" },
	[N_PPORT] = { "peer_port", "PPORT" },
	[N_USER] = { "user", "USER" },
	[N_CONTRACT] = { "contract", "CONTRACT" },
	[N_START] = { "start_s", "START" },
	[N_END] = { "end_s", "END" },
	[N_STATE] = { "state", "STATE" },
	[N_UP_BYTES] = { "up_bytes", "UP_BYTES" },
	[N_UP_PACKETS] = { "up_packets", "UP_PKTS" },
	[N_DOWN_BYTES] = { "down_bytes", "DOWN_BYTES" },
	[N_DOWN_PACKETS] = { "down_packets", "DOWN_PKTS" },
	[N_PRICE] = { "price", "PRICE" },
	[N_UNIT] = { "unit", "UNIT" },
	[N_COST] = { "cost", "COST" },
};

static int conn_row(struct out_table *t, const struct mp_msg *m)
{
	char b1[32], b2[32];
	int ended = mp_has(m, MP_A_END);

	if (out_row(t) < 0 ||
	    out_str(t, N_PROTO,
		    m->u[MP_A_PROTO] == IPPROTO_UDP ? "udp" : "tcp") < 0 ||
	    out_str(t, N_HOST, m->s[MP_A_ADDR]) < 0 ||
	    out_u64(t, N_HPORT, m->u[MP_A_SPORT]) < 0 ||
	    out_str(t, N_PEER, m->s[MP_A_PEER]) < 0 ||
	    out_u64(t, N_PPORT, m->u[MP_A_DPORT]) < 0 ||
	    out_u64(t, N_USER, m->u[MP_A_USER]) < 0 ||
	    out_u64(t, N_CONTRACT, m->u[MP_A_SERIAL]) < 0 ||
	    out_u64_as(t, N_START, m->u[MP_A_TIME],
		       fmt_time_s(m->u[MP_A_TIME], b1, sizeof(b1))) < 0 ||
	    (ended &&
	     out_u64_as(t, N_END, m->u[MP_A_END],
			fmt_time_s(m->u[MP_A_END], b2, sizeof(b2))) < 0) ||
	    out_str(t, N_STATE, ended ? m->s[MP_A_MESSAGE] : "open") < 0 ||
	    out_u64(t, N_PRICE, m->u[MP_A_PRICE]) < 0 ||
	    out_u64(t, N_UNIT, m->u[MP_A_UNIT]) < 0)
		return -1;
	/* a connection that ended while muispd was away: no counters */
	if (mp_has(m, MP_A_SENT_BYTES) &&
	    (out_u64(t, N_UP_BYTES, m->u[MP_A_SENT_BYTES]) < 0 ||
	     out_u64(t, N_UP_PACKETS, m->u[MP_A_SENT_PKTS]) < 0 ||
	     out_u64(t, N_DOWN_BYTES, m->u[MP_A_RECV_BYTES]) < 0 ||
	     out_u64(t, N_DOWN_PACKETS, m->u[MP_A_RECV_PKTS]) < 0 ||
	     out_u64(t, N_COST, m->u[MP_A_CHARGE]) < 0))
		return -1;
	return 0;
}

/* list [ADDRESS] [user ID]: the newest first */
static int conn_list(struct ctl *c, int argc, char **argv)
{
	char addr[INET6_ADDRSTRLEN];
	struct muisp_nl_ip ip;
	struct mp_msg req;
	const char *why;
	uint64_t v;
	int i = 1;

	mp_init(&req, MP_T_OP_CONN_LIST, 0, 0);
	if (i < argc && strcmp(argv[i], "user")) {
		if (parse_ip(argv[i], &ip, &why) < 0)
			return cli_badarg("address", argv[i], why);
		if (!inet_ntop(ip.family, ip.a, addr, sizeof(addr)))
			return cli_badarg("address", argv[i], "not an address");
		mp_set_s(&req, MP_A_ADDR, addr);
		i++;
	}
	if (i < argc) {
		if (strcmp(argv[i], "user") || i + 1 >= argc)
			return cli_usage("conn list [ADDRESS] [user ID]");
		if (parse_uint(argv[i + 1], UINT32_MAX, &v, &why) < 0)
			return cli_badarg("user", argv[i + 1], why);
		mp_set_u(&req, MP_A_USER, v);
		i += 2;
	}
	if (i < argc)
		return cli_usage("conn list [ADDRESS] [user ID]");
	return mpd_list_req(c, "conn list", &req, MP_T_OP_CONN_ROW, conn_cols,
			    sizeof(conn_cols) / sizeof(conn_cols[0]), conn_row);
}

static const struct ctl_verb conn_verbs[] = {
	{ "list", conn_list, "[ADDRESS] [user ID]" },
	{ NULL, NULL, NULL },
};

int cmd_conn(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, conn_verbs, argc, argv);
}
