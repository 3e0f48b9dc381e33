// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl agent list|set|del: the multi-user hosts whose User Information
 * options the module, as their meter, opens (per-user accounting,
 * MUISP_CMD_AGENT_*).  A key is read from a file (never the command line,
 * which any user can list), and is never read back: list shows its
 * generation only.
 *
 * muispctl agent usage: what standalone agents counted per user, as
 * muispd stored their usage records (OP_AGENT_USAGE).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "muispctl.h"
#include "secret.h"

static const char *const agent_attrs[MUISP_AGENT_A_MAX + 1] = {
	[MUISP_AGENT_A_ADDR] = "address",
	[MUISP_AGENT_A_KEY] = "key",
	[MUISP_AGENT_A_KEY_ID] = "key-id",
	[MUISP_AGENT_A_HOLD_QUEUE] = "hold-queue",
	[MUISP_AGENT_A_SCHEME] = "scheme",
};

enum {
	A_ID,
	A_ADDR,
	A_STATE,
	A_SCHEME,
	A_KEY_ID,
	A_OPENED,
	A_FORGED,
	A_REPLAYED,
	A_BLOCKED,
	A_REDIRECTS,
	A_ROLLBACKS,
	A_QUERIES,
	A_ACKS,
	A_HOLD_QUEUE,
	A_HELD,
	A_ANSWERED
};
static const struct out_col agent_cols[] = {
	[A_ID] = { "id", "ID" },
	[A_ADDR] = { "addr", "ADDRESS" },
	[A_STATE] = { "state", "STATE" },
	[A_SCHEME] = { "scheme", "SCHEME" },
	[A_KEY_ID] = { "key_id", "KEY-ID" },
	[A_OPENED] = { "opened", "OPENED" },
	[A_FORGED] = { "forged", "FORGED" },
	[A_REPLAYED] = { "replayed", "REPLAYED" },
	[A_BLOCKED] = { "blocked", "BLOCKED" },
	[A_REDIRECTS] = { "redirects", "REDIRECTS" },
	[A_ROLLBACKS] = { "rollbacks", "ROLLBACKS" },
	[A_QUERIES] = { "queries", "QUERIES" },
	[A_ACKS] = { "acks", "ACKS" },
	[A_HOLD_QUEUE] = { "hold_queue", "HOLD-QUEUE" },
	[A_HELD] = { "held", "HELD" },
	[A_ANSWERED] = { "answered", "ANSWERED" },
};

static int agent_row(const struct muisp_nl_agent *a, void *arg)
{
	struct out_table *t = arg;
	char buf[MUISP_NL_IPSTRLEN], num[12];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, A_ID, a->id);
	out_str(t, A_ADDR, muisp_nl_ip_to_str(&a->addr, buf));
	if (MUISP_NL_HAS(a, MUISP_AGENT_A_KEY_ID)) {
		out_str(t, A_STATE, "keyed");
		out_u64(t, A_KEY_ID, a->key_id);
	} else {
		out_str(t, A_STATE, "closed");
	}
	out_str(t, A_SCHEME, name_of(&agent_scheme_names, a->scheme, num));
	out_u64(t, A_OPENED, a->opened);
	out_u64(t, A_FORGED, a->forged);
	out_u64(t, A_REPLAYED, a->replayed);
	out_u64(t, A_BLOCKED, a->blocked);
	out_u64(t, A_REDIRECTS, a->redirects);
	out_u64(t, A_ROLLBACKS, a->rollbacks);
	out_u64(t, A_QUERIES, a->queries);
	out_u64(t, A_ACKS, a->acks);
	if (MUISP_NL_HAS(a, MUISP_AGENT_A_HOLD_QUEUE)) { /* out of band */
		out_u64(t, A_HOLD_QUEUE, a->hold_queue);
		out_u64(t, A_HELD, a->held);
	}
	if (MUISP_NL_HAS(a, MUISP_AGENT_A_ANSWERED))
		out_u64(t, A_ANSWERED, a->answered);
	return MNL_CB_OK;
}

static int agent_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_agent_dump(c->nl, agent_row, ctl_out_reset, t);
}

static int agent_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage("agent list takes no arguments");
	return ctl_list(c, "agent list", agent_cols,
			sizeof(agent_cols) / sizeof(agent_cols[0]), agent_dump,
			NULL);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The key of agent set and tag set (tag.c): see muispctl.h. */
int ctl_read_key(const char *what, const char *path,
		 uint8_t key[MUISP_AGENT_KEY_LEN])
{
	uint8_t buf[4 * MUISP_AGENT_KEY_LEN];
	char why[SECRET_WHY_LEN];
	size_t digits = 0, i;
	long n;
	int rc;

	n = secret_read(path, 1, buf, sizeof(buf), why);
	if (n < 0)
		return cli_fail("%s: key file %s: %s", what, path, why);
	for (i = 0; i < (size_t)n; i++) {
		int v = hexval(buf[i]);

		if (v < 0) {
			if (strchr(" \t\r\n", buf[i]))
				continue;
			break;
		}
		if (digits == 2 * MUISP_AGENT_KEY_LEN) {
			i = (size_t)n + 1; /* too many digits */
			break;
		}
		key[digits / 2] =
			(uint8_t)(digits % 2 ? key[digits / 2] | v : v << 4);
		digits++;
	}
	if (i != (size_t)n || digits != 2 * MUISP_AGENT_KEY_LEN)
		rc = cli_usage("key file %s: expected %d hex digits (the "
			       "AES-128 key, then the 4-byte salt)",
			       path, 2 * MUISP_AGENT_KEY_LEN);
	else
		rc = EXIT_OK;
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int agent_set(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_agent a;
	const char *key, *val, *why, *file = NULL;
	uint32_t id = 0;
	uint64_t v;
	int r, rc = EXIT_OK;

	memset(&a, 0, sizeof(a));
	if (argc < 2)
		return cli_usage("agent set needs an ADDRESS");
	if (parse_ip(argv[1], &a.addr, &why) < 0)
		return cli_badarg("address", argv[1], why);
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (!strcmp(key, "key-id")) {
			if (parse_uint(val, UINT32_MAX, &v, &why) < 0)
				return cli_badarg("key-id", val, why);
			if (!v)
				return cli_badarg("key-id", val,
						  "must be at least 1");
			a.key_id = (uint32_t)v;
			MUISP_NL_SET(&a, MUISP_AGENT_A_KEY_ID);
		} else if (!strcmp(key, "key-file")) {
			file = val;
		} else if (!strcmp(key, "hold-queue")) {
			if (parse_uint(val, UINT16_MAX, &v, &why) < 0)
				return cli_badarg("hold-queue", val, why);
			a.hold_queue = (uint16_t)v;
			MUISP_NL_SET(&a, MUISP_AGENT_A_HOLD_QUEUE);
		} else if (!strcmp(key, "scheme")) {
			int s = name_lookup(&agent_scheme_names, val);

			if (s < 0)
				return ctl_badname("scheme", val,
						   &agent_scheme_names);
			a.scheme = (uint8_t)s;
			MUISP_NL_SET(&a, MUISP_AGENT_A_SCHEME);
		} else {
			return cli_usage("unknown agent set argument '%s'",
					 key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if (!file || !MUISP_NL_HAS(&a, MUISP_AGENT_A_KEY_ID))
		return cli_usage("agent set needs key-id N and key-file FILE");
	rc = ctl_read_key("agent set", file, a.key);
	if (rc != EXIT_OK)
		goto out;
	MUISP_NL_SET(&a, MUISP_AGENT_A_KEY);
	if (!ctl_nl(c, &rc))
		goto out;
	c->attr_names = agent_attrs;
	c->nattr_names = MUISP_AGENT_A_MAX + 1;
	if (muisp_nl_agent_set(c->nl, &a, &id) < 0)
		rc = ctl_nl_fail(c, "agent set");
	else
		rc = ctl_print_id(c, id);
out:
	explicit_bzero(a.key, sizeof(a.key));
	return rc;
}

/* Without a key: closed, as muispd leaves an agent whose session ended. */
static int agent_close(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_agent a;
	const char *why;
	uint32_t id = 0;
	int rc = EXIT_OK;

	memset(&a, 0, sizeof(a));
	if (argc != 2)
		return cli_usage("agent close needs one ADDRESS");
	if (parse_ip(argv[1], &a.addr, &why) < 0)
		return cli_badarg("address", argv[1], why);
	MUISP_NL_SET(&a, MUISP_AGENT_A_ADDR);
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = agent_attrs;
	c->nattr_names = MUISP_AGENT_A_MAX + 1;
	if (muisp_nl_agent_set(c->nl, &a, &id) < 0)
		return ctl_nl_fail(c, "agent close");
	return ctl_print_id(c, id);
}

static int agent_del(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_ip ip;
	const char *why;
	int rc = EXIT_OK;

	if (argc != 2)
		return cli_usage("agent del needs one ADDRESS");
	if (parse_ip(argv[1], &ip, &why) < 0)
		return cli_badarg("address", argv[1], why);
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = agent_attrs;
	c->nattr_names = MUISP_AGENT_A_MAX + 1;
	if (muisp_nl_agent_del(c->nl, &ip) < 0)
		return ctl_nl_fail(c, "agent del");
	return EXIT_OK;
}

/* ---- standalone agents' usage records (muispd) ---- */

enum {
	G_HOST,
	G_USER,
	G_FIRST,
	G_LAST,
	G_SENT_BYTES,
	G_SENT_PACKETS,
	G_RECV_BYTES,
	G_RECV_PACKETS
};
static const struct out_col usage_cols[] = {
	[G_HOST] = { "host", "HOST" },
	[G_USER] = { "user", "USER" },
	[G_FIRST] = { "first_s", "FIRST" },
	[G_LAST] = { "last_s", "LAST" },
	[G_SENT_BYTES] = { "sent_bytes", "SENT_BYTES" },
	[G_SENT_PACKETS] = { "sent_packets", "SENT_PKTS" },
	[G_RECV_BYTES] = { "recv_bytes", "RECV_BYTES" },
	[G_RECV_PACKETS] = { "recv_packets", "RECV_PKTS" },
};

static int usage_row(struct out_table *t, const struct mp_msg *m)
{
	char b1[32], b2[32];

	if (out_row(t) < 0 || out_str(t, G_HOST, m->s[MP_A_ADDR]) < 0 ||
	    out_u64(t, G_USER, m->u[MP_A_USER]) < 0 ||
	    out_u64_as(t, G_FIRST, m->u[MP_A_TIME],
		       fmt_time_s(m->u[MP_A_TIME], b1, sizeof(b1))) < 0 ||
	    out_u64_as(t, G_LAST, m->u[MP_A_END],
		       fmt_time_s(m->u[MP_A_END], b2, sizeof(b2))) < 0 ||
	    out_u64(t, G_SENT_BYTES, m->u[MP_A_SENT_BYTES]) < 0 ||
	    out_u64(t, G_SENT_PACKETS, m->u[MP_A_SENT_PKTS]) < 0 ||
	    out_u64(t, G_RECV_BYTES, m->u[MP_A_RECV_BYTES]) < 0 ||
	    out_u64(t, G_RECV_PACKETS, m->u[MP_A_RECV_PKTS]) < 0)
		return -1;
	return 0;
}

/* usage [ADDRESS]: per host (that one) and user, what its records add
 * up to */
static int agent_usage(struct ctl *c, int argc, char **argv)
{
	char addr[INET6_ADDRSTRLEN];
	struct muisp_nl_ip ip;
	struct mp_msg req;
	const char *why;

	if (argc > 2)
		return cli_usage("agent usage takes at most an ADDRESS");
	mp_init(&req, MP_T_OP_AGENT_USAGE, 0, 0);
	if (argc == 2) {
		if (parse_ip(argv[1], &ip, &why) < 0)
			return cli_badarg("address", argv[1], why);
		if (!inet_ntop(ip.family, ip.a, addr, sizeof(addr)))
			return cli_badarg("address", argv[1], "not an address");
		mp_set_s(&req, MP_A_ADDR, addr);
	}
	return mpd_list_req(c, "agent usage", &req, MP_T_OP_AGENT_USAGE_ROW,
			    usage_cols,
			    sizeof(usage_cols) / sizeof(usage_cols[0]),
			    usage_row);
}

static const struct ctl_verb agent_verbs[] = {
	{ "list", agent_list, "" },
	{ "set", agent_set,
	  "ADDRESS key-id N key-file FILE|- [scheme NAME] [hold-queue N]" },
	{ "close", agent_close, "ADDRESS" },
	{ "del", agent_del, "ADDRESS" },
	{ "usage", agent_usage, "[ADDRESS]" },
	{ NULL, NULL, NULL },
};

int cmd_agent(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, agent_verbs, argc, argv);
}
