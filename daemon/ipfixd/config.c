// SPDX-License-Identifier: GPL-2.0
/* muisp-ipfixd.conf(5): see ipfixd.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ipfixd.h"
#include "parse.h"
#include "proto.h"

/* "A.B.C.D:PORT" or "[IPV6]:PORT" */
static int parse_collector(const char *s, struct ipfixd_collector *c,
			   const char **why)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	uint64_t port;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon) {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			*why = "expected ADDR:PORT (an IPv6 address in [])";
			return -1;
		}
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host)) {
		*why = "bad address";
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_uint(colon + 1, 65535, &port, why) < 0)
		return -1;
	if (!port) {
		*why = "port 0";
		return -1;
	}
	memset(&c->sa, 0, sizeof(c->sa));
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&c->sa;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			*why = "not an IPv6 address";
			return -1;
		}
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		c->salen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&c->sa;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			*why = "not an IPv4 address";
			return -1;
		}
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		c->salen = sizeof(*a);
	}
	snprintf(c->name, sizeof(c->name), "%s", s);
	return 0;
}

static int set_u32(struct conf *r, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (conf_nargs(r, 1) < 0 || conf_uint(r, 1, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int statement(struct conf *r, struct ipfixd_conf *c)
{
	const char *k = r->w[0], *why;
	uint64_t v;

	if (!strcmp(k, "ipfix-collector")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (c->ncoll == IPFIXD_MAX_COLLECTORS)
			return conf_err(r, 0, "ipfix-collector: at most %d",
					IPFIXD_MAX_COLLECTORS);
		if (strlen(r->w[1]) >= sizeof(c->coll[0].name))
			return conf_bad(r, 1, "too long");
		if (parse_collector(r->w[1], &c->coll[c->ncoll], &why) < 0)
			return conf_bad(r, 1, why);
		c->ncoll++;
		return 0;
	}
	if (!strcmp(k, "ipfix-domain-id"))
		return set_u32(r, 0, UINT32_MAX, &c->domain_id);
	if (!strcmp(k, "ipfix-mtu"))
		return set_u32(r, IPFIXD_MTU_MIN, IPFIXD_MTU_MAX, &c->mtu);
	if (!strcmp(k, "ipfix-flush-ms")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		/* a bare number is milliseconds; "1s" and the like too */
		if (strspn(r->w[1], "0123456789") == strlen(r->w[1]) ?
			    parse_uint(r->w[1], 60000, &v, &why) < 0 :
			    parse_duration_ms(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v < 1 || v > 60000)
			return conf_bad(r, 1, "not in 1..60000 ms");
		c->flush_ms = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "ipfix-template-refresh")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (parse_duration_s(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v > 86400)
			return conf_bad(r, 1, "more than a day");
		c->refresh_s = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "ipfix-template-every"))
		return set_u32(r, 0, 1000000, &c->every_msgs);
	if (!strcmp(k, "ipfix-rcvbuf")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (parse_size(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v < 65536 || v > (1u << 30))
			return conf_bad(r, 1, "not in 64Ki..1Gi");
		c->rcvbuf = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "socket")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (r->w[1][0] != '/')
			return conf_bad(r, 1, "need an absolute path");
		return conf_str(r, 1, c->socket, sizeof(c->socket));
	}
	return conf_err(r, 0, "unknown statement '%s'", k);
}

int ipfixd_config_parse(const char *name, const char *text,
			struct ipfixd_conf *c, char *err, size_t errlen)
{
	struct conf r;
	int k, rc = 0;

	memset(c, 0, sizeof(*c));
	c->domain_id = 1;
	c->mtu = 1400;
	c->flush_ms = 100;
	c->refresh_s = 60;
	c->every_msgs = 64;
	c->rcvbuf = 8u << 20;
	snprintf(c->socket, sizeof(c->socket), "%s", MP_IPFIXD_SOCKET);
	if (conf_init(&r, name, text, err, errlen) < 0)
		return -1;
	while ((k = conf_next(&r)) == CONF_WORDS) {
		if (statement(&r, c) < 0) {
			rc = -1;
			break;
		}
	}
	if (k == CONF_ERR)
		rc = -1;
	else if (k == CONF_CLOSE)
		rc = conf_err(&r, 0, "unexpected '}'");
	if (!rc && !c->ncoll)
		rc = conf_err(&r, 0, "no ipfix-collector");
	conf_fini(&r);
	return rc;
}

int ipfixd_config_load(const char *path, struct ipfixd_conf *c, char *err,
		       size_t errlen)
{
	char *text;
	int rc;

	if (conf_read(path, &text, err, errlen) < 0)
		return -1;
	rc = ipfixd_config_parse(path, text, c, err, errlen);
	free(text);
	return rc;
}
