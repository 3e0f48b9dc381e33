// SPDX-License-Identifier: GPL-2.0
/* Configuration parser and validator: see config.h, muisp-dhcpd.conf(5). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "leasedb.h"
#include "parse.h"

struct parser {
	struct conf r;
	struct dhcp_conf *c;
	struct conf_iface *ifc; /* inside interface { } */
	struct conf_host *host; /* inside host { } */
};

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *why;
	uint64_t v;

	if (parse_uint(s, max, &v, &why) < 0 || v < min)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int valid_domain(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

static const char *ipstr(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static int in_subnet(const struct conf_iface *ifc, uint32_t a)
{
	return (a & ifc->mask) == ifc->net;
}

static int usable(const struct conf_iface *ifc, uint32_t a)
{
	return in_subnet(ifc, a) && a != ifc->net &&
	       a != (ifc->net | ~ifc->mask);
}

static int in_ranges(const struct pool_range *r, unsigned int n, uint32_t a)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a >= r[i].first && a <= r[i].last)
			return 1;
	return 0;
}

static int addr_list(struct parser *p, uint32_t *list, unsigned int *n)
{
	char **tok = p->r.w;
	int ntok = p->r.nw, i;
	const char *why;

	if (ntok < 2)
		return conf_err(&p->r, 0, "%s: expected at least one address",
				tok[0]);
	if (ntok - 1 > CONF_MAX_LIST)
		return conf_err(&p->r, 0, "%s: at most %d addresses", tok[0],
				CONF_MAX_LIST);
	for (i = 1; i < ntok; i++)
		if (parse_ip4(tok[i], &list[i - 1], &why) < 0)
			return conf_err(&p->r, 0, "%s: bad IPv4 address '%s'",
					tok[0], tok[i]);
	*n = (unsigned int)(ntok - 1);
	return 0;
}

static int stmt_global(struct parser *p)
{
	char **tok = p->r.w;
	int ntok = p->r.nw;
	const char *why;
	struct dhcp_conf *c = p->c;

	if (!strcmp(tok[0], "lease-db")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (tok[1][0] != '/' || strlen(tok[1]) >= sizeof(c->lease_db))
			return conf_err(&p->r, 0,
					"lease-db: need an absolute path");
		strcpy(c->lease_db, tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "kernel-sync")) {
		uint8_t b;

		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_bool(tok[1], &b, &why) < 0)
			return conf_err(&p->r, 0,
					"kernel-sync: expected yes or no");
		c->kernel_sync = b;
		return 0;
	}
	if (!strcmp(tok[0], "quarantine-time")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 31536000, &c->quarantine_time) < 0)
			return conf_err(
				&p->r, 0,
				"quarantine-time: expected seconds (1..31536000)");
		return 0;
	}
	if (!strcmp(tok[0], "offer-time")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 3600, &c->offer_time) < 0)
			return conf_err(
				&p->r, 0,
				"offer-time: expected seconds (1..3600)");
		return 0;
	}
	if (!strcmp(tok[0], "offers-per-source") ||
	    !strcmp(tok[0], "quarantine-max") ||
	    !strcmp(tok[0], "source-rate")) {
		uint32_t *v = tok[0][0] == 'o' ? &c->offers_per_source :
			      tok[0][0] == 'q' ? &c->quarantine_max :
						 &c->source_rate;

		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 0, POOL_MAX_ADDRS, v) < 0)
			return conf_err(&p->r, 0,
					"%s: expected a number (0..%d, 0 = "
					"no limit)",
					tok[0], POOL_MAX_ADDRS);
		return 0;
	}
	if (!strcmp(tok[0], "offer-share")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 100, &c->offer_share) < 0)
			return conf_err(&p->r, 0,
					"offer-share: expected a percentage "
					"(1..100)");
		return 0;
	}
	if (!strcmp(tok[0], "interface")) {
		struct conf_iface *ifc;
		unsigned int i;

		if (ntok != 3 || strcmp(tok[2], "{"))
			return conf_err(
				&p->r, 0,
				"interface: expected 'interface NAME {'");
		if (strlen(tok[1]) >= IF_NAMESIZE)
			return conf_err(&p->r, 0,
					"interface: name '%s' too long",
					tok[1]);
		for (i = 0; i < c->nifaces; i++)
			if (!strcmp(c->ifaces[i].name, tok[1]))
				return conf_err(
					&p->r, 0,
					"interface %s: already defined at line %d",
					tok[1], c->ifaces[i].line);
		if (c->nifaces == CONF_MAX_IFACES)
			return conf_err(&p->r, 0, "at most %d interfaces",
					CONF_MAX_IFACES);
		ifc = &c->ifaces[c->nifaces++];
		memset(ifc, 0, sizeof(*ifc));
		strcpy(ifc->name, tok[1]);
		ifc->line = p->r.line;
		p->ifc = ifc;
		return conf_open(&p->r, "interface");
	}
	return conf_err(&p->r, 0, "unknown keyword '%s'", tok[0]);
}

static int stmt_host(struct parser *p)
{
	char **tok = p->r.w;
	const char *why;
	struct conf_host *h = p->host;
	size_t len;

	if (!strcmp(tok[0], "hardware-address")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_hex_bytes(tok[1], h->hw, 6, &len, &why) < 0 ||
		    len != 6)
			return conf_err(
				&p->r, 0,
				"hardware-address: expected aa:bb:cc:dd:ee:ff");
		h->hwlen = 6;
		return 0;
	}
	if (!strcmp(tok[0], "client-id")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_hex_bytes(tok[1], h->id.k + 1, 255, &len, &why) < 0 ||
		    len < 2)
			return conf_err(
				&p->r, 0,
				"client-id: expected at least 2 hex bytes (01:aa:bb:...)");
		h->id.k[0] = 'I';
		h->id.len = (uint8_t)(len + 1);
		return 0;
	}
	if (!strcmp(tok[0], "address")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_ip4(tok[1], &h->addr, &why) < 0)
			return conf_err(&p->r, 0,
					"address: bad IPv4 address '%s'",
					tok[1]);
		return 0;
	}
	return conf_err(&p->r, 0, "unknown keyword '%s' in host block", tok[0]);
}

static int stmt_iface(struct parser *p)
{
	char **tok = p->r.w;
	int ntok = p->r.nw;
	const char *why;
	struct conf_iface *ifc = p->ifc;

	if (!strcmp(tok[0], "subnet")) {
		char *slash;
		uint32_t plen;

		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		slash = strchr(tok[1], '/');
		if (!slash)
			return conf_err(&p->r, 0,
					"subnet: expected A.B.C.D/LEN");
		*slash = '\0';
		if (parse_ip4(tok[1], &ifc->net, &why) < 0 ||
		    parse_u32(slash + 1, 8, 30, &plen) < 0)
			return conf_err(
				&p->r, 0,
				"subnet: expected A.B.C.D/LEN with LEN 8..30");
		ifc->prefix = plen;
		ifc->mask = plen ? ~0u << (32 - plen) : 0;
		if (ifc->net & ~ifc->mask)
			return conf_err(&p->r, 0,
					"subnet: host bits set in %s/%u",
					tok[1], plen);
		return 0;
	}
	if (!strcmp(tok[0], "server-id")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_ip4(tok[1], &ifc->server_id, &why) < 0)
			return conf_err(&p->r, 0,
					"server-id: bad IPv4 address '%s'",
					tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "pool") || !strcmp(tok[0], "exclude")) {
		int pool = tok[0][0] == 'p';
		struct pool_range *r;
		unsigned int *n = pool ? &ifc->nranges : &ifc->nexcl;

		if (ntok != 3 && (pool || ntok != 2))
			return conf_err(
				&p->r, 0,
				pool ? "pool: expected 'pool FIRST LAST'" :
				       "exclude: expected 'exclude FIRST [LAST]'");
		if (*n == CONF_MAX_RANGES)
			return conf_err(&p->r, 0,
					"%s: at most %d per interface", tok[0],
					CONF_MAX_RANGES);
		r = pool ? &ifc->ranges[*n] : &ifc->excl[*n];
		if (parse_ip4(tok[1], &r->first, &why) < 0)
			return conf_err(&p->r, 0, "%s: bad IPv4 address '%s'",
					tok[0], tok[1]);
		r->last = r->first;
		if (ntok == 3 && parse_ip4(tok[2], &r->last, &why) < 0)
			return conf_err(&p->r, 0, "%s: bad IPv4 address '%s'",
					tok[0], tok[2]);
		if (r->last < r->first)
			return conf_err(&p->r, 0, "%s: %s is before %s", tok[0],
					tok[ntok - 1], tok[1]);
		r->base = (uint32_t)p->r.line; /* for later messages */
		(*n)++;
		return 0;
	}
	if (!strcmp(tok[0], "router"))
		return addr_list(p, ifc->routers, &ifc->nrouters);
	if (!strcmp(tok[0], "dns"))
		return addr_list(p, ifc->dns, &ifc->ndns);
	if (!strcmp(tok[0], "ntp"))
		return addr_list(p, ifc->ntp, &ifc->nntp);
	if (!strcmp(tok[0], "relay")) {
		uint32_t l[CONF_MAX_LIST];
		unsigned int n, i;

		if (addr_list(p, l, &n) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (ifc->nrelays == CONF_MAX_LIST)
				return conf_err(&p->r, 0,
						"relay: at most %d per "
						"interface",
						CONF_MAX_LIST);
			ifc->relays[ifc->nrelays++] = l[i];
		}
		return 0;
	}
	if (!strcmp(tok[0], "domain-name")) {
		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (!valid_domain(tok[1]))
			return conf_err(&p->r, 0,
					"domain-name: invalid name '%s'",
					tok[1]);
		strcpy(ifc->domain, tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "lease-time") || !strcmp(tok[0], "renew-time") ||
	    !strcmp(tok[0], "rebind-time")) {
		uint32_t *v = tok[0][0] == 'l' ? &ifc->lease_time :
			      tok[0][2] == 'n' ? &ifc->t1 :
						 &ifc->t2;

		if (conf_nargs(&p->r, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 0x7fffffff, v) < 0)
			return conf_err(&p->r, 0,
					"%s: expected seconds (1..2147483647)",
					tok[0]);
		return 0;
	}
	if (!strcmp(tok[0], "host")) {
		struct conf_host *h;

		if (ntok != 3 || strcmp(tok[2], "{"))
			return conf_err(&p->r, 0,
					"host: expected 'host NAME {'");
		if (ifc->nhosts == CONF_MAX_HOSTS)
			return conf_err(&p->r, 0,
					"at most %d hosts per interface",
					CONF_MAX_HOSTS);
		h = &ifc->hosts[ifc->nhosts++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", tok[1]);
		h->line = p->r.line;
		p->host = h;
		return conf_open(&p->r, "host");
	}
	return conf_err(&p->r, 0, "unknown keyword '%s' in interface block",
			tok[0]);
}

static int overlaps(const struct pool_range *a, const struct pool_range *b)
{
	return a->first <= b->last && b->first <= a->last;
}

static int check_host(struct parser *p, struct conf_iface *ifc,
		      struct conf_host *h)
{
	char b[INET_ADDRSTRLEN];
	unsigned int i;

	if (!h->addr)
		return conf_err(&p->r, h->line, "host %s: missing address",
				h->name);
	if (!h->hwlen && !h->id.len)
		return conf_err(&p->r, h->line,
				"host %s: needs hardware-address or client-id",
				h->name);
	if (!usable(ifc, h->addr))
		return conf_err(
			&p->r, h->line,
			"host %s: address %s is not a host of the subnet",
			h->name, ipstr(h->addr, b));
	if (h->addr == ifc->server_id)
		return conf_err(&p->r, h->line,
				"host %s: address %s is the server's", h->name,
				ipstr(h->addr, b));
	if (in_ranges(ifc->excl, ifc->nexcl, h->addr))
		return conf_err(&p->r, h->line,
				"host %s: address %s is excluded", h->name,
				ipstr(h->addr, b));
	for (i = 0; i < ifc->nhosts && &ifc->hosts[i] != h; i++) {
		const struct conf_host *o = &ifc->hosts[i];

		if (o->addr == h->addr)
			return conf_err(
				&p->r, h->line,
				"host %s: address %s already reserved for %s (line %d)",
				h->name, ipstr(h->addr, b), o->name, o->line);
		if (h->hwlen && o->hwlen && !memcmp(o->hw, h->hw, 6) &&
		    !h->id.len && !o->id.len)
			return conf_err(
				&p->r, h->line,
				"host %s: hardware-address already used by %s (line %d)",
				h->name, o->name, o->line);
		if (h->id.len && o->id.len && h->id.len == o->id.len &&
		    !memcmp(h->id.k, o->id.k, h->id.len))
			return conf_err(
				&p->r, h->line,
				"host %s: client-id already used by %s (line %d)",
				h->name, o->name, o->line);
	}
	return 0;
}

static int check_iface(struct parser *p, struct conf_iface *ifc)
{
	char b[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN], b3[INET_ADDRSTRLEN];
	uint64_t total = 0;
	unsigned int i, j;

	if (!ifc->mask)
		return conf_err(&p->r, ifc->line,
				"interface %s: missing subnet", ifc->name);
	if (ifc->server_id && !usable(ifc, ifc->server_id))
		return conf_err(
			&p->r, ifc->line,
			"interface %s: server-id %s is not a host of the subnet",
			ifc->name, ipstr(ifc->server_id, b));
	if (!ifc->nranges && !ifc->nhosts)
		return conf_err(
			&p->r, ifc->line,
			"interface %s: no pool and no host: nothing to serve",
			ifc->name);
	for (i = 0; i < ifc->nranges; i++) {
		struct pool_range *r = &ifc->ranges[i];
		int line = (int)r->base;

		if (!usable(ifc, r->first) || !usable(ifc, r->last))
			return conf_err(
				&p->r, line,
				"pool %s %s: not inside the hosts of %s/%u",
				ipstr(r->first, b), ipstr(r->last, b2),
				ipstr(ifc->net, b3), ifc->prefix);
		if (ifc->server_id && r->first <= ifc->server_id &&
		    ifc->server_id <= r->last)
			return conf_err(
				&p->r, line,
				"pool contains the server-id %s (exclude it or move the pool)",
				ipstr(ifc->server_id, b));
		for (j = 0; j < i; j++)
			if (overlaps(r, &ifc->ranges[j]))
				return conf_err(
					&p->r, line,
					"pool overlaps the pool of line %u",
					ifc->ranges[j].base);
		total += (uint64_t)r->last - r->first + 1;
	}
	if (total > POOL_MAX_ADDRS)
		return conf_err(
			&p->r, ifc->line,
			"interface %s: pools hold %llu addresses, at most %d",
			ifc->name, (unsigned long long)total, POOL_MAX_ADDRS);
	for (i = 0; i < ifc->nexcl; i++) {
		struct pool_range *r = &ifc->excl[i];

		for (j = 0; j < ifc->nranges; j++)
			if (overlaps(r, &ifc->ranges[j]))
				break;
		if (j == ifc->nranges)
			return conf_err(&p->r, (int)r->base,
					"exclude %s: not inside any pool",
					ipstr(r->first, b));
	}
	for (i = 0; i < ifc->nhosts; i++)
		if (check_host(p, ifc, &ifc->hosts[i]) < 0)
			return -1;
	if (!ifc->lease_time)
		ifc->lease_time = 3600;
	if (ifc->lease_time < CONF_MIN_LEASE)
		return conf_err(
			&p->r, ifc->line,
			"interface %s: lease-time must be at least %d s",
			ifc->name, CONF_MIN_LEASE);
	if (!ifc->t1)
		ifc->t1 = ifc->lease_time / 2;
	if (!ifc->t2)
		ifc->t2 = (uint32_t)((uint64_t)ifc->lease_time * 7 / 8);
	if (!(ifc->t1 < ifc->t2 && ifc->t2 < ifc->lease_time))
		return conf_err(
			&p->r, ifc->line,
			"interface %s: need renew-time < rebind-time < lease-time (%u, %u, %u)",
			ifc->name, ifc->t1, ifc->t2, ifc->lease_time);
	for (i = 0; i < ifc->nrouters; i++)
		if (!in_subnet(ifc, ifc->routers[i]))
			return conf_err(
				&p->r, ifc->line,
				"interface %s: router %s is not on the subnet",
				ifc->name, ipstr(ifc->routers[i], b));
	/* A relay agent's giaddr is on the subnet it relays for, which
	 * must be the interface's (the only subnet served there). */
	for (i = 0; i < ifc->nrelays; i++)
		if (!usable(ifc, ifc->relays[i]) ||
		    ifc->relays[i] == ifc->server_id)
			return conf_err(
				&p->r, ifc->line,
				"interface %s: relay %s is not a host of the "
				"subnet other than the server",
				ifc->name, ipstr(ifc->relays[i], b));
	return 0;
}

int config_parse(const char *name, const char *text, struct dhcp_conf *c,
		 char *err, size_t errlen)
{
	struct parser p = { .c = c };
	unsigned int i;
	int k, ret = -1;

	memset(c, 0, sizeof(*c));
	strcpy(c->lease_db, LEASEDB_DEFAULT_PATH);
	c->kernel_sync = 1;
	c->quarantine_time = 600;
	c->offer_time = 30;
	c->offers_per_source = CONF_DEF_OFFERS_PER_SOURCE;
	c->offer_share = CONF_DEF_OFFER_SHARE;
	c->quarantine_max = CONF_DEF_QUARANTINE_MAX;
	c->source_rate = CONF_DEF_SOURCE_RATE;
	if (conf_init(&p.r, name, text, err, errlen) < 0)
		return -1;
	while ((k = conf_next(&p.r)) != CONF_EOF) {
		if (k == CONF_ERR)
			goto out;
		if (k == CONF_CLOSE) {
			if (p.host)
				p.host = NULL;
			else
				p.ifc = NULL;
			continue;
		}
		if ((p.host ? stmt_host(&p) :
		     p.ifc  ? stmt_iface(&p) :
			      stmt_global(&p)) < 0)
			goto out;
	}
	if (!c->nifaces) {
		conf_err(&p.r, 0, "no interface block");
		goto out;
	}
	for (i = 0; i < c->nifaces; i++)
		if (check_iface(&p, &c->ifaces[i]) < 0)
			goto out;
	ret = 0;
out:
	conf_fini(&p.r);
	return ret;
}

int config_load(const char *path, struct dhcp_conf *c, char *err, size_t errlen)
{
	char *text;
	int ret;

	if (conf_read(path, &text, err, errlen) < 0)
		return -1;
	ret = config_parse(path, text, c, err, errlen);
	free(text);
	return ret;
}

unsigned int config_pool_ranges(const struct conf_iface *ifc,
				struct pool_range *out, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < ifc->nranges && n < max; i++)
		out[n++] = (struct pool_range){ ifc->ranges[i].first,
						ifc->ranges[i].last, 0 };
	for (i = 0; i < ifc->nhosts && n < max; i++) {
		uint32_t a = ifc->hosts[i].addr;

		if (!in_ranges(ifc->ranges, ifc->nranges, a))
			out[n++] = (struct pool_range){ a, a, 0 };
	}
	return n;
}
