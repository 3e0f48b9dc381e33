// SPDX-License-Identifier: GPL-2.0
/* muispctl config show|set, muispctl stats */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "leasedb.h" /* LEASEDB_DEFAULT_PATH */
#include "muispctl.h"
#include "stats_cat.h"

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
	[MUISP_CONFIG_A_CONN_RATE] = "conn-rate",
	[MUISP_CONFIG_A_CONN_BURST] = "conn-burst",
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
	C_DNSBURST,
	C_CONNRATE,
	C_CONNBURST
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
	[C_CONNRATE] = { "conn_rate", "conn-rate" },
	[C_CONNBURST] = { "conn_burst", "conn-burst" },
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
	if (MUISP_NL_HAS(&k, MUISP_CONFIG_A_CONN_RATE))
		out_u64(t, C_CONNRATE, k.conn_rate);
	if (MUISP_NL_HAS(&k, MUISP_CONFIG_A_CONN_BURST))
		out_u64(t, C_CONNBURST, k.conn_burst);
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

/* A rate (0: no limit) or a burst (1 at least) up to max. */
static int set_limit(const char *key, const char *val, uint64_t max, int burst,
		     uint32_t *field)
{
	const char *why;
	uint64_t v;

	if (parse_uint(val, max, &v, &why) < 0)
		return cli_badarg(key, val, why);
	if (burst && !v)
		return cli_badarg(key, val, "must be non-zero");
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
			rc = set_limit(key, val, MUISP_MAX_DNS_RATE, 0,
				       &k.dns_rate);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_DNS_RATE);
		} else if (!strcmp(key, "dns-burst")) {
			rc = set_limit(key, val, MUISP_MAX_DNS_BURST, 1,
				       &k.dns_burst);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_DNS_BURST);
		} else if (!strcmp(key, "conn-rate")) {
			rc = set_limit(key, val, MUISP_MAX_CONN_RATE, 0,
				       &k.conn_rate);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_CONN_RATE);
		} else if (!strcmp(key, "conn-burst")) {
			rc = set_limit(key, val, MUISP_MAX_CONN_BURST, 1,
				       &k.conn_burst);
			MUISP_NL_SET(&k, MUISP_CONFIG_A_CONN_BURST);
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
	  "[dns-burst N] [conn-rate N] [conn-burst N]" },
	{ NULL, NULL, NULL },
};

int cmd_config(struct ctl *c, int argc, char **argv)
{
	return ctl_dispatch(c, verbs, argc, argv);
}

/* ---- stats: lib/stats_cat, the numbers muisp-agentx serves too ---- */

static const char *stats_db;	 /* --db, else LEASEDB_DEFAULT_PATH */
static const char *stats_ipfixd; /* --ipfixd, else MP_IPFIXD_SOCKET */

unsigned int stats_cols(const struct stats_snap *s, struct out_col *sc)
{
	static const uint8_t after[] = { STATS_SRC_DHCPD, STATS_SRC_IPFIXD,
					 STATS_SRC_MUISPD };
	unsigned int i, j, n = 0;

	/* the module's, every one (a drop reason it does not report is a
	 * null cell), as muispctl always printed them */
	for (i = 0; i < stats_ndefs; i++)
		if (stats_defs[i].src == STATS_SRC_KERNEL) {
			sc[n].key = stats_defs[i].key;
			sc[n++].title = stats_defs[i].title;
		}
	for (j = 0; j < sizeof(after); j++)
		for (i = 0; i < s->n; i++)
			if (s->v[i].src == after[j]) {
				sc[n].key = s->v[i].key;
				sc[n++].title = s->v[i].title;
			}
	return n;
}

/* The snapshot as one record of sc: an exit code. */
static int stats_print(struct ctl *c, const struct stats_snap *s,
		       const struct out_col *sc, unsigned int n)
{
	struct out_table *t = out_new(sc, n);
	const struct stats_val *v;
	unsigned int i;
	int rc = EXIT_FAIL;

	if (t && out_row(t) == 0) {
		for (i = 0; i < n; i++) {
			v = stats_find(s, sc[i].key);
			if (v && out_u64(t, i, v->value) < 0)
				break;
		}
		if (i == n) {
			out_print(t, c->out, c->fmt, OUT_RECORD);
			rc = EXIT_OK;
		}
	}
	out_free(t);
	return rc;
}

/* muispctl stats radius: muispd's RADIUS counters only (no module
 * needed), their own names. */
static int stats_radius(struct ctl *c, int argc, char **argv)
{
	struct stats_snap s = { 0 };
	struct out_col *sc;
	struct mp_counter *k;
	unsigned n, i;
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
	rc = EXIT_FAIL;
	sc = calloc(n, sizeof(*sc));
	if (sc && stats_add_counters(&s, STATS_SRC_MUISPD, "", k, n) == 0) {
		for (i = 0; i < s.n; i++) {
			sc[i].key = s.v[i].key;
			sc[i].title = s.v[i].title;
		}
		rc = stats_print(c, &s, sc, s.n);
	}
	free(sc);
	stats_snap_free(&s);
	free(k);
	return rc;
}

static int stats_show(struct ctl *c, int argc, char **argv)
{
	struct stats_sources src = {
		.muispd_socket = ctl_daemon_path(c),
		.dhcpd_db = stats_db,
		.ipfixd_socket = stats_ipfixd,
		.timeout_ms = MPD_REPLY_TIMEOUT_MS,
	};
	struct stats_snap s = { 0 };
	struct out_col *sc = NULL;
	int rc = EXIT_OK;

	if (argc > 1)
		return cli_usage("stats takes no arguments");
	if (!ctl_nl(c, &rc))
		return rc;
	src.nl = c->nl;
	if (stats_collect(&s, &src) < 0) {
		cli_warn("stats: %s", strerror(errno));
		rc = EXIT_FAIL;
	} else if (s.failed & STATS_SRC_KERNEL) {
		rc = ctl_nl_fail(c, "stats");
	} else {
		/* then muisp-dhcpd's, muisp-ipfixd's and muispd's counters,
		 * from those that answer */
		sc = calloc(stats_ndefs + s.n, sizeof(*sc));
		rc = sc ? stats_print(c, &s, sc, stats_cols(&s, sc)) :
			  EXIT_FAIL;
	}
	free(sc);
	stats_snap_free(&s);
	return rc;
}

static const struct ctl_verb stats_verbs[] = {
	{ "show", stats_show, "" },
	{ "radius", stats_radius, "" },
	{ NULL, NULL, NULL },
};

/* One PATH option: --NAME PATH or --NAME=PATH.  1 taken (argc/argv
 * moved past it), 0 not this option, -1 after printing the usage error
 * (*rc). */
static int path_opt(const char *name, const char **val, int *argc, char ***argv,
		    int *rc)
{
	size_t len = strlen(name);
	char **a = *argv;

	if (*argc < 2 || strncmp(a[1], name, len))
		return 0;
	if (a[1][len] == '=') {
		*val = a[1] + len + 1;
		a[1] = a[0];
		(*argc)--;
		(*argv)++;
	} else if (!a[1][len]) {
		if (*argc < 3) {
			*rc = cli_usage("'%s' needs a value", name);
			return -1;
		}
		*val = a[2];
		a[2] = a[0];
		*argc -= 2;
		*argv += 2;
	} else {
		return 0;
	}
	if (!**val) {
		*rc = cli_badarg(name, *val, "empty path");
		return -1;
	}
	return 1;
}

/* argv: "stats" [--db PATH] [--ipfixd PATH] [VERB ARGS...] */
int cmd_stats(struct ctl *c, int argc, char **argv)
{
	int r, rc = EXIT_OK;

	stats_db = LEASEDB_DEFAULT_PATH;
	stats_ipfixd = MP_IPFIXD_SOCKET;
	do {
		r = path_opt("--db", &stats_db, &argc, &argv, &rc);
		if (!r)
			r = path_opt("--ipfixd", &stats_ipfixd, &argc, &argv,
				     &rc);
		if (r < 0)
			return rc;
	} while (r);
	if (argc > 1 && ctl_is_help(argv[1])) {
		ctl_usage_of("stats [--db PATH] [--ipfixd PATH]", stats_verbs,
			     stdout);
		printf("PATH: muisp-dhcpd's lease-db (default %s), "
		       "muisp-ipfixd's socket (default %s)\n",
		       LEASEDB_DEFAULT_PATH, MP_IPFIXD_SOCKET);
		return EXIT_OK;
	}
	return ctl_dispatch(c, stats_verbs, argc, argv);
}
