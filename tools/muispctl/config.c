// SPDX-License-Identifier: GPL-2.0
/* muispctl config show|set, muispctl stats */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "muispctl.h"

static const char *const attr_names[MUISP_CONFIG_A_MAX + 1] = {
	[MUISP_CONFIG_A_LAN_IFINDEX] = "lan",
	[MUISP_CONFIG_A_IDLE_TIMEOUT_S] = "idle-timeout",
	[MUISP_CONFIG_A_FIN_TIMEOUT_S] = "fin-timeout",
	[MUISP_CONFIG_A_MAX_FLOWS] = "max-flows",
	[MUISP_CONFIG_A_CONTROL_PORT] = "control-port",
	[MUISP_CONFIG_A_USAGE_GAP_S] = "usage-gap",
	[MUISP_CONFIG_A_REQUIRE_TUNNEL] = "require-tunnel",
	[MUISP_CONFIG_A_DNS_RATE] = "dns-rate",
	[MUISP_CONFIG_A_DNS_BURST] = "dns-burst",
};

enum {
	C_LAN,
	C_LANIDX,
	C_IDLE,
	C_FIN,
	C_MAXF,
	C_PORT,
	C_GAP,
	C_TUNNEL,
	C_DNSRATE,
	C_DNSBURST
};
static const struct out_col cols[] = {
	[C_LAN] = { "lan", "lan" },
	[C_LANIDX] = { "lan_ifindex", "lan-ifindex" },
	[C_IDLE] = { "idle_timeout_s", "idle-timeout" },
	[C_FIN] = { "fin_timeout_s", "fin-timeout" },
	[C_MAXF] = { "max_flows", "max-flows" },
	[C_PORT] = { "control_port", "control-port" },
	[C_GAP] = { "usage_gap_s", "usage-gap" },
	[C_TUNNEL] = { "require_tunnel", "require-tunnel" },
	[C_DNSRATE] = { "dns_rate", "dns-rate" },
	[C_DNSBURST] = { "dns_burst", "dns-burst" },
};

static int config_show(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_config k;
	struct out_table *t;
	char ifname[IF_NAMESIZE];
	int rc = EXIT_OK;

	if (argc > 1)
		return cli_usage("config show takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	if (muisp_nl_config_get(c->nl, &k) < 0)
		return ctl_nl_fail(c, "config show");
	t = out_new(cols, sizeof(cols) / sizeof(cols[0]));
	if (!t || out_row(t) < 0) {
		out_free(t);
		return EXIT_FAIL;
	}
	if (k.lan_ifindex && if_indextoname(k.lan_ifindex, ifname))
		out_str(t, C_LAN, ifname);
	out_u64(t, C_LANIDX, k.lan_ifindex);
	out_u64(t, C_IDLE, k.idle_timeout_s);
	out_u64(t, C_FIN, k.fin_timeout_s);
	out_u64(t, C_MAXF, k.max_flows);
	out_u64(t, C_PORT, k.control_port);
	out_u64(t, C_GAP, k.usage_gap_s);
	out_bool(t, C_TUNNEL, k.require_tunnel);
	/* a module older than the DNS limit has neither */
	if (MUISP_NL_HAS(&k, MUISP_CONFIG_A_DNS_RATE))
		out_u64(t, C_DNSRATE, k.dns_rate);
	if (MUISP_NL_HAS(&k, MUISP_CONFIG_A_DNS_BURST))
		out_u64(t, C_DNSBURST, k.dns_burst);
	out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return EXIT_OK;
}

static int set_secs(const char *key, const char *val, uint32_t *field)
{
	const char *why;
	uint64_t v;

	if (parse_duration_s(val, &v, &why) < 0)
		return cli_badarg(key, val, why);
	if (v > UINT32_MAX)
		return cli_badarg(key, val, "too large");
	*field = (uint32_t)v;
	return EXIT_OK;
}

static int config_set(struct ctl *c, int argc, char **argv)
{
	struct muisp_nl_config k;
	const char *key, *val, *why;
	uint64_t v;
	int r, rc = EXIT_OK;

	memset(&k, 0, sizeof(k));
	argc--;
	argv++;
	if (!argc)
		return cli_usage("config set needs KEY VALUE pairs");
	while ((r = ctl_kv(&argc, &argv, NULL, &key, &val)) == 0) {
		rc = EXIT_OK;
		if (!strcmp(key, "lan")) {
			if (!strcmp(val, "none"))
				k.lan_ifindex = 0;
			else if (parse_uint(val, UINT32_MAX, &v, &why) == 0)
				k.lan_ifindex = (uint32_t)v;
			else if (!(k.lan_ifindex = if_nametoindex(val)))
				return cli_badarg("lan", val,
						  "no such interface");
			MUISP_NL_SET(&k, MUISP_CONFIG_A_LAN_IFINDEX);
		} else if (!strcmp(key, "idle-timeout")) {
			rc = set_secs(key, val, &k.idle_timeout_s);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_IDLE_TIMEOUT_S);
		} else if (!strcmp(key, "fin-timeout")) {
			rc = set_secs(key, val, &k.fin_timeout_s);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_FIN_TIMEOUT_S);
		} else if (!strcmp(key, "usage-gap")) {
			rc = set_secs(key, val, &k.usage_gap_s);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_USAGE_GAP_S);
		} else if (!strcmp(key, "max-flows")) {
			if (parse_size(val, &v, &why) < 0)
				return cli_badarg(key, val, why);
			if (v > UINT32_MAX)
				return cli_badarg(key, val, "too large");
			k.max_flows = (uint32_t)v;
			MUISP_NL_SET(&k, MUISP_CONFIG_A_MAX_FLOWS);
		} else if (!strcmp(key, "control-port")) {
			if (parse_uint(val, 65535, &v, &why) < 0)
				return cli_badarg(key, val, why);
			k.control_port = (uint16_t)v;
			MUISP_NL_SET(&k, MUISP_CONFIG_A_CONTROL_PORT);
		} else if (!strcmp(key, "require-tunnel")) {
			if (parse_bool(val, &k.require_tunnel, &why) < 0)
				return cli_badarg(key, val, why);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_REQUIRE_TUNNEL);
		} else if (!strcmp(key, "dns-rate")) {
			if (parse_uint(val, MUISP_MAX_DNS_RATE, &v, &why) < 0)
				return cli_badarg(key, val, why);
			k.dns_rate = (uint32_t)v;
			MUISP_NL_SET(&k, MUISP_CONFIG_A_DNS_RATE);
		} else if (!strcmp(key, "dns-burst")) {
			if (parse_uint(val, MUISP_MAX_DNS_BURST, &v, &why) < 0)
				return cli_badarg(key, val, why);
			if (!v)
				return cli_badarg(key, val, "must be non-zero");
			k.dns_burst = (uint32_t)v;
			MUISP_NL_SET(&k, MUISP_CONFIG_A_DNS_BURST);
		} else {
			return cli_usage("unknown config key '%s'", key);
		}
		if (rc != EXIT_OK)
			return rc;
	}
	if (r < 0)
		return EXIT_USAGE;
	if (!ctl_nl(c, &rc))
		return rc;
	c->attr_names = attr_names;
	c->nattr_names = MUISP_CONFIG_A_MAX + 1;
	if (muisp_nl_config_set(c->nl, &k) < 0)
		return ctl_nl_fail(c, "config set");
	return EXIT_OK;
}

static const struct ctl_verb verbs[] = {
	{ "show", config_show, "" },
	{ "set", config_set,
	  "[lan IFNAME|IFINDEX|none] [idle-timeout DURATION] "
	  "[fin-timeout DURATION] [max-flows N] [control-port PORT] "
	  "[usage-gap DURATION] [require-tunnel on|off] [dns-rate N] "
	  "[dns-burst N]" },
	{ NULL, NULL, NULL },
};

int cmd_config(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}

/* ---- stats ---- */

enum {
	S_UPP,
	S_UPB,
	S_DOWNP,
	S_DOWNB,
	S_LOCAL,
	S_GARDEN,
	S_FLOWS,
	S_MAXF,
	S_EVICT,
	S_RECS,
	S_RECLOST,
	S_EVENTS,
	S_EVLOST,
	S_ADDRS,
	S_CONTRACTS,
	S_UNMETERED,
	S_DROPS
};
#define S_NCOLS (S_DROPS + MUISP_DROP_MAX) /* drops 1..MAX */

/* Column i of the RADIUS counters: key PREFIXNAME with '.' -> '_',
 * title TPREFIXNAME. */
struct rad_cols {
	char (*key)[MP_COUNTER_NAME_MAX + 8], (*title)[MP_COUNTER_NAME_MAX + 8];
};

static int rad_cols_fill(struct rad_cols *rc, struct out_col *out,
			 const struct mp_counter *k, unsigned n,
			 const char *kprefix, const char *tprefix)
{
	rc->key = calloc(n + 1, sizeof(*rc->key));
	rc->title = calloc(n + 1, sizeof(*rc->title));
	if (!rc->key || !rc->title)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		snprintf(rc->key[i], sizeof(rc->key[i]), "%s%s", kprefix,
			 k[i].name);
		for (char *p = rc->key[i]; *p; p++)
			if (*p == '.' || *p == '-')
				*p = '_';
		snprintf(rc->title[i], sizeof(rc->title[i]), "%s%s", tprefix,
			 k[i].name);
		out[i].key = rc->key[i];
		out[i].title = rc->title[i];
	}
	return 0;
}

static void rad_cols_free(struct rad_cols *rc)
{
	free(rc->key);
	free(rc->title);
}

/* muispd's RADIUS counters when it answers (none: not reachable or no
 * RADIUS): the module's stats get them as more columns. */
static void stats_radius_quiet(struct ctl *c, struct mp_counter **k,
			       unsigned *n)
{
	*k = NULL;
	*n = 0;
	if (mpd_open(c) < 0)
		return;
	if (mpd_counters(c, "stats", k, n) != EXIT_OK) {
		*k = NULL;
		*n = 0;
	}
}

/* muispctl stats radius: muispd's counters only (no module needed). */
static int stats_radius(struct ctl *c, int argc, char **argv)
{
	struct mp_counter *k;
	struct out_col *rc_cols;
	struct rad_cols rcols = { 0 };
	struct out_table *t = NULL;
	unsigned n;
	int rc;

	if (argc > 1)
		return cli_usage("stats radius takes no arguments");
	if (mpd_open(c) < 0)
		return mpd_open_fail(c, errno);
	rc = mpd_counters(c, "stats radius", &k, &n);
	if (rc != EXIT_OK)
		return rc;
	if (!n) {
		if (c->fmt == OUT_JSON)
			fputs("{}\n", c->out);
		free(k);
		return EXIT_OK;
	}
	rc_cols = calloc(n, sizeof(*rc_cols));
	if (rc_cols && rad_cols_fill(&rcols, rc_cols, k, n, "", "") == 0)
		t = out_new(rc_cols, n);
	rc = EXIT_FAIL;
	if (t && out_row(t) == 0) {
		for (unsigned i = 0; i < n; i++)
			out_u64(t, i, k[i].value);
		out_print(t, c->out, c->fmt, OUT_RECORD);
		rc = EXIT_OK;
	}
	out_free(t);
	rad_cols_free(&rcols);
	free(rc_cols);
	free(k);
	return rc;
}

static int stats_show(struct ctl *c, int argc, char **argv)
{
	static const struct out_col fixed[S_DROPS] = {
		[S_UPP] = { "up_packets", "up-packets" },
		[S_UPB] = { "up_bytes", "up-bytes" },
		[S_DOWNP] = { "down_packets", "down-packets" },
		[S_DOWNB] = { "down_bytes", "down-bytes" },
		[S_LOCAL] = { "local_packets", "local-packets" },
		[S_GARDEN] = { "garden_packets", "garden-packets" },
		[S_FLOWS] = { "flows", "flows" },
		[S_MAXF] = { "max_flows", "max-flows" },
		[S_EVICT] = { "evictions", "evictions" },
		[S_RECS] = { "flow_records", "flow-records" },
		[S_RECLOST] = { "records_lost", "records-lost" },
		[S_EVENTS] = { "events", "events" },
		[S_EVLOST] = { "events_lost", "events-lost" },
		[S_ADDRS] = { "addrs", "addrs" },
		[S_CONTRACTS] = { "contracts", "contracts" },
		[S_UNMETERED] = { "flows_unmetered", "unmetered-packets" },
	};
	static char keys[MUISP_DROP_MAX][32], titles[MUISP_DROP_MAX][32];
	struct rad_cols rcols = { 0 };
	struct out_col *cols_;
	struct muisp_nl_stats s;
	struct mp_counter *rad;
	struct out_table *t;
	unsigned int i, nrad;
	int rc = EXIT_OK;
	char num[12];

	if (argc > 1)
		return cli_usage("stats takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	if (muisp_nl_stats_get(c->nl, &s) < 0)
		return ctl_nl_fail(c, "stats");
	/* then muispd's RADIUS counters, if it answers with any */
	stats_radius_quiet(c, &rad, &nrad);
	cols_ = calloc(S_NCOLS + nrad, sizeof(*cols_));
	if (!cols_ || rad_cols_fill(&rcols, cols_ + S_NCOLS, rad, nrad,
				    "radius_", "radius ") < 0) {
		rad_cols_free(&rcols);
		free(cols_);
		free(rad);
		return EXIT_FAIL;
	}
	memcpy(cols_, fixed, sizeof(fixed));
	for (i = 1; i <= MUISP_DROP_MAX; i++) {
		const char *n = name_of(&drop_names, i, num);
		char *p;

		snprintf(keys[i - 1], sizeof(keys[0]), "drop_%s", n);
		for (p = keys[i - 1]; *p; p++)
			if (*p == '-')
				*p = '_';
		snprintf(titles[i - 1], sizeof(titles[0]), "drop %s", n);
		cols_[S_DROPS + i - 1].key = keys[i - 1];
		cols_[S_DROPS + i - 1].title = titles[i - 1];
	}
	t = out_new(cols_, S_NCOLS + nrad);
	if (!t || out_row(t) < 0) {
		out_free(t);
		rad_cols_free(&rcols);
		free(cols_);
		free(rad);
		return EXIT_FAIL;
	}
	out_u64(t, S_UPP, s.up_packets);
	out_u64(t, S_UPB, s.up_bytes);
	out_u64(t, S_DOWNP, s.down_packets);
	out_u64(t, S_DOWNB, s.down_bytes);
	out_u64(t, S_LOCAL, s.local_packets);
	out_u64(t, S_GARDEN, s.garden_packets);
	out_u64(t, S_FLOWS, s.flows);
	out_u64(t, S_MAXF, s.max_flows);
	out_u64(t, S_EVICT, s.evictions);
	out_u64(t, S_RECS, s.flow_records);
	out_u64(t, S_RECLOST, s.records_lost);
	out_u64(t, S_EVENTS, s.events);
	out_u64(t, S_EVLOST, s.events_lost);
	out_u64(t, S_ADDRS, s.addrs);
	out_u64(t, S_CONTRACTS, s.contracts);
	out_u64(t, S_UNMETERED, s.flows_unmetered);
	for (i = 1; i <= MUISP_DROP_MAX; i++)
		if (s.drops_present & (1ULL << i))
			out_u64(t, S_DROPS + i - 1, s.drops[i]);
	for (i = 0; i < nrad; i++)
		out_u64(t, S_NCOLS + i, rad[i].value);
	out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	rad_cols_free(&rcols);
	free(cols_);
	free(rad);
	return EXIT_OK;
}

static const struct ctl_verb stats_verbs[] = {
	{ "show", stats_show, "" },
	{ "radius", stats_radius, "" },
	{ NULL, NULL, NULL },
};

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, stats_verbs, argc, argv);
}
