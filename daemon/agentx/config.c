// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-agentx.conf (muisp-agentx.conf.5): one "key value" per line, read
 * with lib/conf; errors are "FILE:LINE: message".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentx.h"
#include "conf.h"
#include "leasedb.h"
#include "parse.h"
#include "proto.h"

#define AGENTX_SOCKET_DEFAULT "/run/agentx/master"

void ax_conf_defaults(struct ax_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->agentx_socket, "unix:" AGENTX_SOCKET_DEFAULT);
	strcpy(c->muispd_socket, MP_OP_SOCKET);
	strcpy(c->ipfixd_socket, MP_IPFIXD_SOCKET);
	strcpy(c->dhcpd_db, LEASEDB_DEFAULT_PATH);
	c->kernel = 1;
	c->cache_ttl_ms = 5000;
	c->source_timeout_ms = 500;
	c->ping_interval_s = 1;
	c->drop_rate_threshold = 0;
	c->drop_rate_interval_s = 10;
	c->pool_low_rearm = 1;
}

/* A path, or "none" (an empty string: the source is not asked). */
static int opt_path(struct conf *r, char *dst, size_t cap)
{
	if (conf_nargs(r, 1) < 0)
		return -1;
	if (!strcmp(r->w[1], "none")) {
		dst[0] = 0;
		return 0;
	}
	if (r->w[1][0] != '/')
		return conf_bad(r, 1, "not an absolute path (or none)");
	return conf_str(r, 1, dst, cap);
}

/* The master's socket: a path, or "unix:PATH".  No TCP: the subagent
 * opens no network socket (its unit allows AF_UNIX and AF_NETLINK). */
static int opt_agentx(struct conf *r, struct ax_conf *c)
{
	const char *v;

	if (conf_nargs(r, 1) < 0)
		return -1;
	v = r->w[1];
	if (!strncmp(v, "unix:", 5))
		v += 5;
	if (v[0] != '/')
		return conf_bad(r, 1,
				"not a unix socket path (/PATH or "
				"unix:/PATH)");
	if (strlen(v) + 5 >= sizeof(c->agentx_socket))
		return conf_bad(r, 1, "too long");
	snprintf(c->agentx_socket, sizeof(c->agentx_socket), "unix:%s", v);
	return 0;
}

/* A duration into *out (ms, or s when secs) within min..max of it. */
static int opt_duration(struct conf *r, int secs, uint64_t min, uint64_t max,
			uint32_t *out)
{
	const char *why = NULL;
	uint64_t v;
	char b[96];

	if (conf_nargs(r, 1) < 0)
		return -1;
	if ((secs ? parse_duration_s(r->w[1], &v, &why) :
		    parse_duration_ms(r->w[1], &v, &why)) < 0)
		return conf_bad(r, 1, why);
	if (v < min || v > max) {
		snprintf(b, sizeof(b), "not in %llu%s..%llu%s",
			 (unsigned long long)min, secs ? "s" : "ms",
			 (unsigned long long)max, secs ? "s" : "ms");
		return conf_bad(r, 1, b);
	}
	*out = (uint32_t)v;
	return 0;
}

static int statement(struct conf *r, struct ax_conf *c)
{
	const char *k = r->w[0];
	uint64_t v;

	if (!strcmp(k, "agentx-socket"))
		return opt_agentx(r, c);
	if (!strcmp(k, "muispd-socket"))
		return opt_path(r, c->muispd_socket, sizeof(c->muispd_socket));
	if (!strcmp(k, "ipfixd-socket"))
		return opt_path(r, c->ipfixd_socket, sizeof(c->ipfixd_socket));
	if (!strcmp(k, "dhcpd-db"))
		return opt_path(r, c->dhcpd_db, sizeof(c->dhcpd_db));
	if (!strcmp(k, "kernel"))
		return conf_nargs(r, 1) < 0 ? -1 : conf_bool(r, 1, &c->kernel);
	if (!strcmp(k, "cache-ttl"))
		return opt_duration(r, 0, 100, 3600000, &c->cache_ttl_ms);
	if (!strcmp(k, "source-timeout"))
		return opt_duration(r, 0, 10, 60000, &c->source_timeout_ms);
	if (!strcmp(k, "agentx-ping-interval"))
		return opt_duration(r, 1, 1, 3600, &c->ping_interval_s);
	if (!strcmp(k, "drop-rate-interval"))
		return opt_duration(r, 1, 1, 3600, &c->drop_rate_interval_s);
	if (!strcmp(k, "drop-rate-threshold")) {
		if (conf_nargs(r, 1) < 0 ||
		    conf_uint(r, 1, 0, UINT64_MAX / 1000, &v) < 0)
			return -1;
		c->drop_rate_threshold = v;
		return 0;
	}
	if (!strcmp(k, "pool-low-rearm")) {
		if (conf_nargs(r, 1) < 0 ||
		    conf_uint(r, 1, 0, UINT32_MAX, &v) < 0)
			return -1;
		c->pool_low_rearm = (uint32_t)v;
		return 0;
	}
	return conf_err(r, 0, "unknown keyword '%s'", k);
}

int ax_conf_parse(struct ax_conf *c, const char *name, const char *text,
		  char *err, size_t errlen)
{
	struct conf r;
	int k, ret = -1;

	ax_conf_defaults(c);
	if (conf_init(&r, name, text, err, errlen) < 0)
		return -1;
	while ((k = conf_next(&r)) != CONF_EOF) {
		if (k == CONF_ERR)
			goto out;
		if (k == CONF_CLOSE) {
			conf_err(&r, 0, "unexpected '}'");
			goto out;
		}
		if (statement(&r, c) < 0)
			goto out;
	}
	ret = 0;
out:
	conf_fini(&r);
	return ret;
}

int ax_conf_load(struct ax_conf *c, const char *file)
{
	const char *path = file ? file : AX_CONF_PATH;
	char err[512], *text;
	int ret;

	/* Only the default file may be absent: built-in defaults. */
	if (!file && access(path, F_OK) < 0 && errno == ENOENT) {
		ax_conf_defaults(c);
		return 0;
	}
	if (conf_read(path, &text, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	ret = ax_conf_parse(c, path, text, err, sizeof(err));
	free(text);
	if (ret < 0)
		fprintf(stderr, "%s\n", err);
	return ret;
}
