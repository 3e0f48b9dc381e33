// SPDX-License-Identifier: GPL-2.0
/* muispctl block|garden list|add|del: the two rule lists of the gate. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "muispctl.h"

static int parse_entry_id(const char *s, uint32_t *id)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, UINT32_MAX, &v, &why) < 0)
		return cli_badarg("ID", s, why);
	*id = (uint32_t)v;
	return EXIT_OK;
}

static void prefix_str(const struct muisp_nl_ip *ip, uint8_t len, char *buf,
		       size_t n)
{
	char a[MUISP_NL_IPSTRLEN];

	snprintf(buf, n, "%s/%u", muisp_nl_ip_to_str(ip, a), len);
}

/* ---- block ---- */

static const char *const block_attrs[MUISP_BLOCK_A_MAX + 1] = {
	[MUISP_BLOCK_A_ID] = "ID",
	[MUISP_BLOCK_A_PREFIX] = "prefix",
	[MUISP_BLOCK_A_PREFIX_LEN] = "prefix length",
	[MUISP_BLOCK_A_MAC] = "mac",
	[MUISP_BLOCK_A_EXPIRES_S] = "expires",
};

enum { B_ID, B_PREFIX, B_MAC, B_EXPIRES, B_HITS };
static const struct out_col block_cols[] = {
	[B_ID] = { "id", "ID" },       [B_PREFIX] = { "prefix", "PREFIX" },
	[B_MAC] = { "mac", "MAC" },    [B_EXPIRES] = { "expires_s", "EXPIRES" },
	[B_HITS] = { "hits", "HITS" },
};

static int block_row(const struct muisp_nl_block *b, void *arg)
{
	struct out_table *t = arg;
	char buf[64];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, B_ID, b->id);
	if (MUISP_NL_HAS(b, MUISP_BLOCK_A_PREFIX)) {
		prefix_str(&b->prefix, b->prefix_len, buf, sizeof(buf));
		out_str(t, B_PREFIX, buf);
	}
	if (MUISP_NL_HAS(b, MUISP_BLOCK_A_MAC))
		out_str(t, B_MAC, fmt_mac(b->mac, buf));
	out_u64_as(t, B_EXPIRES, b->expires_s,
		   fmt_time_s(b->expires_s, buf, sizeof(buf)));
	out_u64(t, B_HITS, b->hits);
	return MNL_CB_OK;
}

static int block_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_block_dump(c->nl, block_row, ctl_out_reset, t);
}

static int block_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("block list takes no arguments");
	return ctl_list(c, "block list", block_cols,
			sizeof(block_cols) / sizeof(block_cols[0]), block_dump,
			NULL);
}

static int block_add(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_block b;
	const char *key, *val, *why, *mwhy;
	uint32_t id = 0;
	int r, rc = EXIT_OK;

	memset(&b, 0, sizeof(b));
	if (argc < 2)
		return cli_usage("block add needs an ADDRESS, PREFIX or MAC");
	if (parse_mac(argv[1], b.mac, &mwhy) == 0) {
		MUISP_NL_SET(&b, MUISP_BLOCK_A_MAC);
	} else if (parse_prefix(argv[1], &b.prefix, &b.prefix_len, &why) == 0) {
		MUISP_NL_SET(&b, MUISP_BLOCK_A_PREFIX);
		MUISP_NL_SET(&b, MUISP_BLOCK_A_PREFIX_LEN);
	} else {
		return cli_badarg("block target", argv[1],
				  strchr(argv[1], '/') ?
					  why :
					  "not an address, prefix or MAC");
	}
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (strcmp(key, "expires"))
			return cli_usage("unknown block add argument '%s'",
					 key);
		if (parse_expiry(val, time(NULL), &b.expires_s, &why) < 0)
			return cli_badarg("expires", val, why);
		MUISP_NL_SET(&b, MUISP_BLOCK_A_EXPIRES_S);
	}
	if (r < 0)
		return EXIT_USAGE;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = block_attrs;
	c->nattr_names = MUISP_BLOCK_A_MAX + 1;
	if (muisp_nl_block_add(c->nl, &b, &id) < 0)
		return ctl_nl_fail(c, "block add");
	return ctl_print_id(c, id);
}

static int block_del(struct ctl *c, int argc, char **argv)
{
	uint32_t id = 0;
	int rc;

	if (argc != 2)
		return cli_usage("block del needs one ID");
	if ((rc = parse_entry_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = block_attrs;
	c->nattr_names = MUISP_BLOCK_A_MAX + 1;
	if (muisp_nl_block_del(c->nl, id) < 0)
		return ctl_nl_fail(c, "block del");
	return EXIT_OK;
}

static const struct ctl_verb block_verbs[] = {
	{ "list", block_list, "" },
	{ "add", block_add,
	  "ADDRESS|PREFIX|MAC [expires never|+DURATION|"
	  "@EPOCH|DATE]" },
	{ "del", block_del, "ID" },
	{ NULL, NULL, NULL },
};

int cmd_block(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, block_verbs, argc, argv);
}

/* ---- garden ---- */

static const char *const garden_attrs[MUISP_GARDEN_A_MAX + 1] = {
	[MUISP_GARDEN_A_ID] = "ID",
	[MUISP_GARDEN_A_PREFIX] = "prefix",
	[MUISP_GARDEN_A_PREFIX_LEN] = "prefix length",
	[MUISP_GARDEN_A_PROTO] = "proto",
	[MUISP_GARDEN_A_PORT_MIN] = "port",
	[MUISP_GARDEN_A_PORT_MAX] = "port",
	[MUISP_GARDEN_A_EXPIRES_S] = "expires",
};

enum { G_ID, G_PREFIX, G_PROTO, G_PMIN, G_PMAX, G_EXPIRES, G_HITS };
static const struct out_col garden_cols[] = {
	[G_ID] = { "id", "ID" },
	[G_PREFIX] = { "prefix", "PREFIX" },
	[G_PROTO] = { "proto", "PROTO" },
	[G_PMIN] = { "port_min", "PORT_MIN" },
	[G_PMAX] = { "port_max", "PORT_MAX" },
	[G_EXPIRES] = { "expires_s", "EXPIRES" },
	[G_HITS] = { "hits", "HITS" },
};

static int garden_row(const struct muisp_nl_garden *g, void *arg)
{
	struct out_table *t = arg;
	char buf[64];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, G_ID, g->id);
	prefix_str(&g->prefix, g->prefix_len, buf, sizeof(buf));
	out_str(t, G_PREFIX, buf);
	out_str(t, G_PROTO, g->proto ? proto_name(g->proto, buf) : "any");
	if (MUISP_NL_HAS(g, MUISP_GARDEN_A_PORT_MIN) &&
	    MUISP_NL_HAS(g, MUISP_GARDEN_A_PORT_MAX) &&
	    (g->port_min || g->port_max)) {
		out_u64(t, G_PMIN, g->port_min);
		out_u64(t, G_PMAX, g->port_max);
	}
	out_u64_as(t, G_EXPIRES, g->expires_s,
		   fmt_time_s(g->expires_s, buf, sizeof(buf)));
	out_u64(t, G_HITS, g->hits);
	return MNL_CB_OK;
}

static int garden_dump(struct ctl *c, struct out_table *t, const void *arg)
{
	(void)arg;
	return muisp_nl_garden_dump(c->nl, garden_row, ctl_out_reset, t);
}

static int garden_list(struct ctl *c, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("garden list takes no arguments");
	return ctl_list(c, "garden list", garden_cols,
			sizeof(garden_cols) / sizeof(garden_cols[0]),
			garden_dump, NULL);
}

static int garden_add(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_garden g;
	const char *key, *val, *why;
	uint32_t id = 0;
	int r, rc = EXIT_OK;

	memset(&g, 0, sizeof(g));
	if (argc < 2)
		return cli_usage("garden add needs a PREFIX");
	if (parse_prefix(argv[1], &g.prefix, &g.prefix_len, &why) < 0)
		return cli_badarg("prefix", argv[1], why);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PREFIX);
	MUISP_NL_SET(&g, MUISP_GARDEN_A_PREFIX_LEN);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		if (!strcmp(key, "proto")) {
			if (parse_proto(val, &g.proto, &why) < 0)
				return cli_badarg("proto", val, why);
			MUISP_NL_SET(&g, MUISP_GARDEN_A_PROTO);
		} else if (!strcmp(key, "port")) {
			if (parse_ports(val, &g.port_min, &g.port_max, &why) <
			    0)
				return cli_badarg("port", val, why);
			MUISP_NL_SET(&g, MUISP_GARDEN_A_PORT_MIN);
			MUISP_NL_SET(&g, MUISP_GARDEN_A_PORT_MAX);
		} else if (!strcmp(key, "expires")) {
			if (parse_expiry(val, time(NULL), &g.expires_s, &why) <
			    0)
				return cli_badarg("expires", val, why);
			MUISP_NL_SET(&g, MUISP_GARDEN_A_EXPIRES_S);
		} else {
			return cli_usage("unknown garden add argument '%s'",
					 key);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if (MUISP_NL_HAS(&g, MUISP_GARDEN_A_PORT_MIN) &&
	    g.proto != IPPROTO_TCP && g.proto != IPPROTO_UDP &&
	    g.proto != IPPROTO_SCTP && g.proto != IPPROTO_UDPLITE)
		return cli_usage("'port' needs proto tcp, udp, sctp or "
				 "udplite");
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = garden_attrs;
	c->nattr_names = MUISP_GARDEN_A_MAX + 1;
	if (muisp_nl_garden_add(c->nl, &g, &id) < 0)
		return ctl_nl_fail(c, "garden add");
	return ctl_print_id(c, id);
}

static int garden_del(struct ctl *c, int argc, char **argv)
{
	uint32_t id = 0;
	int rc;

	if (argc != 2)
		return cli_usage("garden del needs one ID");
	if ((rc = parse_entry_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = garden_attrs;
	c->nattr_names = MUISP_GARDEN_A_MAX + 1;
	if (muisp_nl_garden_del(c->nl, id) < 0)
		return ctl_nl_fail(c, "garden del");
	return EXIT_OK;
}

static const struct ctl_verb garden_verbs[] = {
	{ "list", garden_list, "" },
	{ "add", garden_add,
	  "PREFIX [proto NAME|NUM] [port P|LO-HI] "
	  "[expires never|+DURATION|@EPOCH|DATE]" },
	{ "del", garden_del, "ID" },
	{ NULL, NULL, NULL },
};

int cmd_garden(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, garden_verbs, argc, argv);
}
