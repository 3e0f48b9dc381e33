// SPDX-License-Identifier: GPL-2.0
/*
 * muispd.conf: one setting per line, "key value...", '#' comments.  See
 * muispd.conf(5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "muispd.h"

void conf_defaults(struct muispd_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "::");
	c->port = 4433;
	snprintf(c->socket, sizeof(c->socket), "%s", MP_OP_SOCKET);
	snprintf(c->database, sizeof(c->database),
		 "/var/lib/muisp/muispd.db");
	snprintf(c->cert, sizeof(c->cert), "/etc/muisp/router.crt");
	snprintf(c->key, sizeof(c->key), "/etc/muisp/router.key");
	c->use_kernel = 1;
	c->tls = 1;
	c->checkpoint_s = 10;
	snprintf(c->currency, sizeof(c->currency), "EUR");
	c->offer_ttl_s = 300;
	c->lifetime_s = 86400;
	c->warn_interval_s = 2;
	c->warn_tries = 3;
	c->load_capacity = 250;
	c->load_surcharge_pct = 0;
	c->max_hard[MP_METRIC_ELAPSED] = 7 * 86400;
	c->max_hard[MP_METRIC_USAGE_TIME] = 7 * 86400;
	c->max_hard[MP_METRIC_BYTES] = 100ull << 30;
	c->max_hard[MP_METRIC_PACKETS] = 1ull << 32;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *v)
{
	if (!v || strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int line(struct muispd_conf *c, char *l)
{
	char *argv[8];
	int argc = 0;
	uint64_t v;
	char *save = NULL;

	for (char *t = strtok_r(l, " \t\r\n", &save); t && argc < 8;
	     t = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = t;
	if (!argc)
		return 0;
	const char *k = argv[0], *a = argc > 1 ? argv[1] : NULL;

	if (!strcmp(k, "listen"))
		return set_str(c->listen, sizeof(c->listen), a);
	if (!strcmp(k, "port")) {
		if (parse_u64(a, 1, 65535, &v))
			return -1;
		c->port = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "socket"))
		return set_str(c->socket, sizeof(c->socket), a);
	if (!strcmp(k, "database"))
		return set_str(c->database, sizeof(c->database), a);
	if (!strcmp(k, "cert"))
		return set_str(c->cert, sizeof(c->cert), a);
	if (!strcmp(k, "key"))
		return set_str(c->key, sizeof(c->key), a);
	if (!strcmp(k, "kernel"))
		return parse_bool(a, &c->use_kernel);
	if (!strcmp(k, "allow-plain"))
		return parse_bool(a, &c->allow_plain);
	if (!strcmp(k, "tls"))
		return parse_bool(a, &c->tls);
	if (!strcmp(k, "vici")) {
		/* vici [unix://PATH | PATH | none]: charon's VICI socket;
		 * no value is strongSwan's default, none (or no vici line)
		 * disables the tunnel integration */
		const char *path;

		if (argc > 2)
			return -1;
		if (!a)
			a = MUISPD_VICI_DEFAULT;
		if (!strcmp(a, "none")) {
			c->vici[0] = '\0';
			return 0;
		}
		path = !strncmp(a, "unix://", 7) ? a + 7 : a;
		if (path[0] != '/' || strlen(path) >= 108)	/* sun_path */
			return -1;
		return set_str(c->vici, sizeof(c->vici), a);
	}
	if (!strcmp(k, "currency"))
		return set_str(c->currency, sizeof(c->currency), a);
#define U32(name, field, min, max)					\
	if (!strcmp(k, name)) {						\
		if (parse_u64(a, min, max, &v))				\
			return -1;					\
		c->field = (uint32_t)v;					\
		return 0;						\
	}
	U32("checkpoint-interval", checkpoint_s, 1, 3600)
	U32("offer-ttl", offer_ttl_s, 1, 86400)
	U32("lifetime", lifetime_s, 60, 365 * 86400)
	U32("warn-interval", warn_interval_s, 1, 600)
	U32("warn-tries", warn_tries, 1, 100)
	U32("load-capacity", load_capacity, 1, 1000000)
	U32("load-surcharge", load_surcharge_pct, 0, 1000)
#undef U32
	if (!strcmp(k, "online-provider")) {
		/* online-provider IPV4 PORT */
		if (argc != 3 || set_str(c->provider_host,
					 sizeof(c->provider_host), a) ||
		    parse_u64(argv[2], 1, 65535, &v))
			return -1;
		c->provider_port = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "max-hard")) {
		int m = a ? mp_metric_parse(a) : -1;

		if (m < 0 || argc != 3 || parse_u64(argv[2], 1, INT64_MAX, &v))
			return -1;
		c->max_hard[m] = v;
		return 0;
	}
	if (!strcmp(k, "price")) {
		/* price METRIC METHOD ah|esp PRICE UNIT */
		struct price p;
		int m, me;

		if (argc != 6 || c->nprices >= MUISPD_MAX_PRICES)
			return -1;
		m = mp_metric_parse(argv[1]);
		me = mp_method_parse(argv[2]);
		if (m < 0 || me < 0)
			return -1;
		p.metric = (uint8_t)m;
		p.method = (uint8_t)me;
		if (!strcmp(argv[3], "ah"))
			p.privacy = 0;
		else if (!strcmp(argv[3], "esp"))
			p.privacy = 1;
		else
			return -1;
		if (parse_u64(argv[4], 0, INT64_MAX, &p.price) ||
		    parse_u64(argv[5], 1, INT64_MAX, &p.unit))
			return -1;
		c->prices[c->nprices++] = p;
		return 0;
	}
	return -1;
}

int conf_load(const char *path, struct muispd_conf *c)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	int lineno = 0, errors = 0;

	if (!f) {
		log_warn("%s", path);
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		char *hash = strchr(buf, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		if (line(c, buf)) {
			log_warnx("%s:%d: bad setting", path, lineno);
			errors++;
		}
	}
	fclose(f);
	if (!c->nprices) {
		log_warnx("%s: no price lines: nothing to offer", path);
		errors++;
	}
	return errors ? -1 : 0;
}
