// SPDX-License-Identifier: GPL-2.0
/* muispctl contract list|show|set|del */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "muispctl.h"

static const char *const attr_names[MUISP_CONTRACT_A_MAX + 1] = {
	[MUISP_CONTRACT_A_ID] = "ID",
	[MUISP_CONTRACT_A_STATUS] = "status",
	[MUISP_CONTRACT_A_METRIC] = "metric",
	[MUISP_CONTRACT_A_SOFT_LIMIT] = "soft",
	[MUISP_CONTRACT_A_HARD_LIMIT] = "hard",
	[MUISP_CONTRACT_A_EXPIRES_S] = "expires",
	[MUISP_CONTRACT_A_UP_BYTES] = "up-bytes",
	[MUISP_CONTRACT_A_UP_PACKETS] = "up-packets",
	[MUISP_CONTRACT_A_DOWN_BYTES] = "down-bytes",
	[MUISP_CONTRACT_A_DOWN_PACKETS] = "down-packets",
	[MUISP_CONTRACT_A_ELAPSED_MS] = "elapsed",
	[MUISP_CONTRACT_A_USAGE_MS] = "usage",
	[MUISP_CONTRACT_A_FLAGS] = "excl/reset",
};

enum {
	C_ID, C_STATUS, C_METRIC, C_USED, C_SOFT, C_HARD, C_EXPIRES,
	C_UPB, C_UPP, C_DOWNB, C_DOWNP, C_ELAPSED, C_USAGE, C_NADDRS,
};
static const struct out_col cols[] = {
	[C_ID] = { "id", "ID" },
	[C_STATUS] = { "status", "STATUS" },
	[C_METRIC] = { "metric", "METRIC" },
	[C_USED] = { "used", "USED" },
	[C_SOFT] = { "soft_limit", "SOFT" },
	[C_HARD] = { "hard_limit", "HARD" },
	[C_EXPIRES] = { "expires_s", "EXPIRES" },
	[C_UPB] = { "up_bytes", "UP_BYTES" },
	[C_UPP] = { "up_packets", "UP_PKTS" },
	[C_DOWNB] = { "down_bytes", "DOWN_BYTES" },
	[C_DOWNP] = { "down_packets", "DOWN_PKTS" },
	[C_ELAPSED] = { "elapsed_ms", "ELAPSED_MS" },
	[C_USAGE] = { "usage_ms", "USAGE_MS" },
	[C_NADDRS] = { "naddrs", "ADDRS" },
};

static int row(const struct muisp_nl_contract *k, void *arg)
{
	struct out_table *t = arg;
	char num[12], tbuf[32];

	if (out_row(t) < 0)
		return MNL_CB_ERROR;
	out_u64(t, C_ID, k->id);
	out_str(t, C_STATUS, name_of(&contract_status_names, k->status, num));
	out_str(t, C_METRIC, name_of(&metric_names, k->metric, num));
	out_u64(t, C_USED, k->used);
	if (k->soft_limit)
		out_u64(t, C_SOFT, k->soft_limit);
	else
		out_u64_as(t, C_SOFT, 0, "none");
	if (k->hard_limit)
		out_u64(t, C_HARD, k->hard_limit);
	else
		out_u64_as(t, C_HARD, 0, "none");
	out_u64_as(t, C_EXPIRES, k->expires_s,
		   fmt_time_s(k->expires_s, tbuf, sizeof(tbuf)));
	out_u64(t, C_UPB, k->up_bytes);
	out_u64(t, C_UPP, k->up_packets);
	out_u64(t, C_DOWNB, k->down_bytes);
	out_u64(t, C_DOWNP, k->down_packets);
	out_u64(t, C_ELAPSED, k->elapsed_ms);
	out_u64(t, C_USAGE, k->usage_ms);
	if (MUISP_NL_HAS(k, MUISP_CONTRACT_A_NADDRS))
		out_u64(t, C_NADDRS, k->naddrs);
	return MNL_CB_OK;
}

static void reset(void *arg)
{
	out_reset(arg);
}

static struct out_table *table(void)
{
	return out_new(cols, sizeof(cols) / sizeof(cols[0]));
}

static void names(struct ctl *c)
{
	c->attr_names = attr_names;
	c->nattr_names = MUISP_CONTRACT_A_MAX + 1;
}

static int parse_id(const char *s, uint32_t *id)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, UINT32_MAX, &v, &why) < 0)
		return ctl_badarg("contract ID", s, why);
	if (!v)
		return ctl_badarg("contract ID", s, "must be non-zero");
	*id = (uint32_t)v;
	return EXIT_OK;
}

static int contract_list(struct ctl *c, int argc, char **argv)
{
	struct out_table *t;
	int rc = EXIT_OK;

	if (argc > 1)
		return ctl_usage("contract list takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	t = table();
	if (!t)
		return EXIT_FAIL;
	if (muisp_nl_contract_dump(c->nl, row, reset, t) < 0)
		rc = ctl_nl_fail(c, "contract list");
	else
		out_print(t, c->out, c->fmt, OUT_LIST);
	out_free(t);
	return rc;
}

static int contract_show(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_contract k;
	struct out_table *t;
	uint32_t id;
	int rc = EXIT_OK;

	if (argc != 2)
		return ctl_usage("contract show needs one ID");
	if ((rc = parse_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_get(c->nl, id, &k) < 0)
		return ctl_nl_fail(c, "contract show");
	t = table();
	if (!t || row(&k, t) != MNL_CB_OK)
		rc = EXIT_FAIL;
	else
		out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return rc;
}

static int set_u64(struct muisp_nl_contract *k, unsigned int attr,
		   uint64_t *field, const char *key, const char *val, int time)
{
	const char *why;

	if ((time ? parse_duration_ms(val, field, &why) :
		    parse_size(val, field, &why)) < 0)
		return ctl_badarg(key, val, why);
	MUISP_NL_SET(k, attr);
	return EXIT_OK;
}

static int contract_set(struct ctl *c, int argc, char **argv)
{
	static const char *const flags[] = { "excl", "reset", NULL };
	struct muisp_nl_contract k;
	const char *key, *val, *why, *soft = NULL, *hard = NULL;
	int r, v, rc;

	memset(&k, 0, sizeof(k));
	if (argc < 2)
		return ctl_usage("contract set needs an ID");
	if ((rc = parse_id(argv[1], &k.id)) != EXIT_OK)
		return rc;
	MUISP_NL_SET(&k, MUISP_CONTRACT_A_ID);
	argc -= 2;
	argv += 2;
	while ((r = ctl_kv(&argc, &argv, flags, &key, &val)) == 0) {
		rc = EXIT_OK;
		if (!strcmp(key, "status")) {
			v = name_lookup(&contract_status_names, val);
			if (v == MUISP_CONTRACT_STATUS_EXTINGUISHED)
				return ctl_badarg("status", val,
					"set by the kernel only");
			if (v < 0)
				return ctl_badarg("status", val,
					"expected active|suspended|delinquent");
			k.status = (uint8_t)v;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_STATUS);
		} else if (!strcmp(key, "metric")) {
			v = name_lookup(&metric_names, val);
			if (v < 0)
				return ctl_badname("metric", val,
						   &metric_names);
			k.metric = (uint8_t)v;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_METRIC);
		} else if (!strcmp(key, "soft")) {
			soft = val;
		} else if (!strcmp(key, "hard")) {
			hard = val;
		} else if (!strcmp(key, "expires")) {
			if (parse_expiry(val, time(NULL), &k.expires_s,
					 &why) < 0)
				return ctl_badarg("expires", val, why);
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_EXPIRES_S);
		} else if (!strcmp(key, "up-bytes")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_UP_BYTES,
				     &k.up_bytes, key, val, 0);
		} else if (!strcmp(key, "up-packets")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_UP_PACKETS,
				     &k.up_packets, key, val, 0);
		} else if (!strcmp(key, "down-bytes")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_DOWN_BYTES,
				     &k.down_bytes, key, val, 0);
		} else if (!strcmp(key, "down-packets")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_DOWN_PACKETS,
				     &k.down_packets, key, val, 0);
		} else if (!strcmp(key, "elapsed")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_ELAPSED_MS,
				     &k.elapsed_ms, key, val, 1);
		} else if (!strcmp(key, "usage")) {
			rc = set_u64(&k, MUISP_CONTRACT_A_USAGE_MS,
				     &k.usage_ms, key, val, 1);
		} else if (!strcmp(key, "excl")) {
			k.flags |= MUISP_CONTRACT_F_EXCL;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_FLAGS);
		} else if (!strcmp(key, "reset")) {
			k.flags |= MUISP_CONTRACT_F_RESET_USAGE;
			MUISP_NL_SET(&k, MUISP_CONTRACT_A_FLAGS);
		} else {
			return ctl_usage("unknown contract set argument '%s'",
					 key);
		}
		if (rc != EXIT_OK)
			return rc;
	}
	if (r < 0)
		return EXIT_USAGE;

	if ((soft || hard) && !MUISP_NL_HAS(&k, MUISP_CONTRACT_A_METRIC)) {
		/* Limits are in the metric's unit: ask the kernel for it. */
		struct muisp_nl_contract cur;

		if (!ctl_nl(c, &rc))
			return rc;
		if (muisp_nl_contract_get(c->nl, k.id, &cur) < 0) {
			if (errno == ENOENT)
				return ctl_usage("contract %u does not exist: "
						 "give its 'metric'", k.id);
			return ctl_nl_fail(c, "contract set");
		}
		k.metric = cur.metric;
	}
	if (soft) {
		if (parse_limit(k.metric, soft, &k.soft_limit, &why) < 0)
			return ctl_badarg("soft", soft, why);
		MUISP_NL_SET(&k, MUISP_CONTRACT_A_SOFT_LIMIT);
	}
	if (hard) {
		if (parse_limit(k.metric, hard, &k.hard_limit, &why) < 0)
			return ctl_badarg("hard", hard, why);
		MUISP_NL_SET(&k, MUISP_CONTRACT_A_HARD_LIMIT);
	}
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_set(c->nl, &k) < 0)
		return ctl_nl_fail(c, "contract set");
	return EXIT_OK;
}

static int contract_del(struct ctl *c, int argc, char **argv)
{
	uint32_t id;
	int rc;

	if (argc != 2)
		return ctl_usage("contract del needs one ID");
	if ((rc = parse_id(argv[1], &id)) != EXIT_OK)
		return rc;
	if (!ctl_nl(c, &rc))
		return rc;
	names(c);
	if (muisp_nl_contract_del(c->nl, id) < 0)
		return ctl_nl_fail(c, "contract del");
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "list", contract_list, "" },
	{ "show", contract_show, "ID" },
	{ "set", contract_set, "ID [status active|suspended|delinquent] "
		"[metric elapsed-time|usage-time|bytes|packets] [soft LIMIT] "
		"[hard LIMIT] [expires never|+DURATION|@EPOCH|DATE] "
		"[up-bytes N] [up-packets N] [down-bytes N] [down-packets N] "
		"[elapsed DURATION] [usage DURATION] [excl] [reset]" },
	{ "del", contract_del, "ID" },
	{ NULL, NULL, NULL },
};

int cmd_contract(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}
