// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl monitor [events|flows|conns|all] [count N]: print events, flow
 * records and held connections' requests (per-connection billing) as the
 * kernel multicasts them.  Text: one line each.  JSON: one object per
 * line, {"event":{...}}, {"flow":{...}} or {"conn":{...}}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "muispctl.h"

enum {
	E_TYPE,
	E_TIME,
	E_CONTRACT,
	E_STATUS,
	E_USED,
	E_LIMIT,
	E_ADDR,
	E_OLD,
	E_NEW
};
static const struct out_col ev_cols[] = {
	[E_TYPE] = { "type", "TYPE" },
	[E_TIME] = { "time_ms", "TIME" },
	[E_CONTRACT] = { "contract", "CONTRACT" },
	[E_STATUS] = { "status", "STATUS" },
	[E_USED] = { "used", "USED" },
	[E_LIMIT] = { "limit", "LIMIT" },
	[E_ADDR] = { "addr", "ADDRESS" },
	[E_OLD] = { "old_state", "OLD" },
	[E_NEW] = { "new_state", "NEW" },
};

struct mon {
	struct ctl *c;
	unsigned long long left; /* messages still to print; 0 = inf */
	int counted;
};

static int done(struct mon *m)
{
	fflush(m->c->out);
	if (m->counted && --m->left == 0)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static int on_event(const struct muisp_nl_event *e, void *arg)
{
	struct mon *m = arg;
	FILE *f = m->c->out;
	char tbuf[40], ip[MUISP_NL_IPSTRLEN], n1[12], n2[12];
	struct out_table *t;

	if (m->c->fmt == OUT_JSON) {
		t = out_new(ev_cols, sizeof(ev_cols) / sizeof(ev_cols[0]));
		if (!t || out_row(t) < 0) {
			out_free(t);
			return MNL_CB_ERROR;
		}
		out_str(t, E_TYPE, name_of(&event_names, e->type, n1));
		out_u64(t, E_TIME, e->time_ms);
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_CONTRACT_ID))
			out_u64(t, E_CONTRACT, e->contract_id);
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_STATUS))
			out_str(t, E_STATUS,
				name_of(&contract_status_names, e->status, n1));
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_USED))
			out_u64(t, E_USED, e->used);
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_LIMIT))
			out_u64(t, E_LIMIT, e->limit);
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_ADDR))
			out_str(t, E_ADDR, muisp_nl_ip_to_str(&e->addr, ip));
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_OLD_STATE))
			out_str(t, E_OLD,
				name_of(&addr_state_names, e->old_state, n1));
		if (MUISP_NL_HAS(e, MUISP_EVENT_A_NEW_STATE))
			out_str(t, E_NEW,
				name_of(&addr_state_names, e->new_state, n1));
		fputs("{\"event\":", f);
		out_print_json_obj(t, 0, f);
		fputs("}\n", f);
		out_free(t);
		return done(m);
	}
	fprintf(f, "%s %s", fmt_time_ms(e->time_ms, tbuf, sizeof(tbuf)),
		name_of(&event_names, e->type, n1));
	if (MUISP_NL_HAS(e, MUISP_EVENT_A_ADDR))
		fprintf(f, " %s %s -> %s", muisp_nl_ip_to_str(&e->addr, ip),
			name_of(&addr_state_names, e->old_state, n1),
			name_of(&addr_state_names, e->new_state, n2));
	if (MUISP_NL_HAS(e, MUISP_EVENT_A_CONTRACT_ID))
		fprintf(f, " contract %llu",
			(unsigned long long)e->contract_id);
	if (MUISP_NL_HAS(e, MUISP_EVENT_A_STATUS))
		fprintf(f, " status %s",
			name_of(&contract_status_names, e->status, n1));
	if (MUISP_NL_HAS(e, MUISP_EVENT_A_USED))
		fprintf(f, " used %llu", (unsigned long long)e->used);
	if (MUISP_NL_HAS(e, MUISP_EVENT_A_LIMIT))
		fprintf(f, " limit %llu", (unsigned long long)e->limit);
	fputc('\n', f);
	return done(m);
}

/* r as one JSON object line, {"key":{flow list's keys}} */
static int flow_json(struct mon *m, const char *key,
		     const struct muisp_nl_flow *r)
{
	struct out_table *t = out_new(flow_cols, flow_rec_ncols);

	if (!t || flow_row(t, r) < 0) {
		out_free(t);
		return MNL_CB_ERROR;
	}
	fprintf(m->c->out, "{\"%s\":", key);
	out_print_json_obj(t, 0, m->c->out);
	fputs("}\n", m->c->out);
	out_free(t);
	return done(m);
}

static int on_record(const struct muisp_nl_flow *r, void *arg)
{
	struct mon *m = arg;
	FILE *f = m->c->out;
	char tbuf[40], ip1[MUISP_NL_IPSTRLEN], ip2[MUISP_NL_IPSTRLEN];
	char n1[12], n2[12];

	if (m->c->fmt == OUT_JSON)
		return flow_json(m, "flow", r);
	fprintf(f,
		"%s flow %llu %s %s:%u -> %s:%u up %llu/%llu "
		"down %llu/%llu contract %llu end %s\n",
		fmt_time_ms(r->last_ms, tbuf, sizeof(tbuf)),
		(unsigned long long)r->id, proto_name(r->proto, n1),
		muisp_nl_ip_to_str(&r->client_addr, ip1), r->client_port,
		muisp_nl_ip_to_str(&r->peer_addr, ip2), r->peer_port,
		(unsigned long long)r->up_packets,
		(unsigned long long)r->up_bytes,
		(unsigned long long)r->down_packets,
		(unsigned long long)r->down_bytes,
		(unsigned long long)r->contract_id,
		name_of(&flow_end_names, r->end_reason, n2));
	return done(m);
}

/* MUISP_CMD_CONN_REQUEST: a new connection held for a verdict. */
static int on_conn(const struct muisp_nl_flow *r, void *arg)
{
	struct mon *m = arg;
	FILE *f = m->c->out;
	char tbuf[40], ip1[MUISP_NL_IPSTRLEN], ip2[MUISP_NL_IPSTRLEN];
	char n1[12];

	if (m->c->fmt == OUT_JSON)
		return flow_json(m, "conn", r);
	fprintf(f, "%s conn %s %s:%u -> %s:%u contract %llu held\n",
		fmt_time_ms(r->first_ms, tbuf, sizeof(tbuf)),
		proto_name(r->proto, n1),
		muisp_nl_ip_to_str(&r->client_addr, ip1), r->client_port,
		muisp_nl_ip_to_str(&r->peer_addr, ip2), r->peer_port,
		(unsigned long long)r->contract_id);
	return done(m);
}

static int monitor(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl *nl;
	struct mon m = { c, 0, 0 };
	const char *why;
	int events = 1, flows = 1, conns = 1, i, rc = EXIT_OK;
	uint64_t v;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "events")) {
			events = 1;
			flows = conns = 0;
		} else if (!strcmp(argv[i], "flows")) {
			events = conns = 0;
			flows = 1;
		} else if (!strcmp(argv[i], "conns")) {
			events = flows = 0;
			conns = 1;
		} else if (!strcmp(argv[i], "all")) {
			events = flows = conns = 1;
		} else if (!strcmp(argv[i], "count") && i + 1 < argc) {
			i++;
			if (parse_uint(argv[i], UINT64_MAX, &v, &why) < 0 || !v)
				return cli_badarg("count", argv[i],
						  "expected a positive number");
			m.left = v;
			m.counted = 1;
		} else {
			return cli_usage("unknown monitor argument '%s'",
					 argv[i]);
		}
	}
	/* A handle of its own: groups joined on it cannot carry requests. */
	if (!ctl_nl(c, &rc))
		return rc;
	nl = muisp_nl_open(0);
	if (!nl)
		return ctl_nl_fail(c, "monitor");
	muisp_nl_set_rcvbuf(nl, 4 << 20);
	if ((events && muisp_nl_join(nl, MUISP_GENL_MCGRP_EVENTS) < 0) ||
	    (flows && muisp_nl_join(nl, MUISP_GENL_MCGRP_FLOWS) < 0) ||
	    (conns && muisp_nl_join(nl, MUISP_GENL_MCGRP_CONNS) < 0)) {
		rc = ctl_nl_fail(c, "monitor: join multicast group");
		muisp_nl_close(nl);
		return rc;
	}
	cli_warn("monitoring%s%s%s", events ? " events" : "",
		 flows ? " flows" : "", conns ? " conns" : "");
	for (;;) {
		int r = muisp_nl_recv_all(nl, on_event, on_record, on_conn, &m);

		if (m.counted && m.left == 0)
			break;
		if (r < 0 && errno == ENOBUFS) {
			cli_warn("monitor: messages lost "
				 "(receive buffer overrun)");
			continue;
		}
		if (r < 0) {
			rc = ctl_nl_fail(c, "monitor");
			break;
		}
	}
	muisp_nl_close(nl);
	return rc;
}

int cmd_monitor(struct ctl *c, int argc, char **argv)
{
	/* "monitor", "monitor events count 3": no verb, the rest are
	 * arguments; only "help" is special. */
	if (argc > 1 && ctl_is_help(argv[1])) {
		printf("usage: muispctl monitor [events|flows|conns|all] "
		       "[count N]\n");
		return EXIT_OK;
	}
	return monitor(c, argc, argv);
}
