// SPDX-License-Identifier: GPL-2.0
/* Configuration parser and validator: see config.h, muisp-dhcpd.conf(5). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "leasedb.h"

#define MAX_TOKENS 16

struct parser {
	const char *name;
	int line;
	char *err;
	size_t errlen;
	struct dhcp_conf *c;
	struct conf_iface *ifc;		/* inside interface { } */
	struct conf_host *host;		/* inside host { } */
};

__attribute__((format(printf, 3, 4)))
static int perr(struct parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "false")) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* "aa:bb:cc" (or '-' separated) hex bytes. */
static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || n == max)
			return -1;
		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
		if (*s == ':' || *s == '-') {
			s++;
			if (!*s)
				return -1;
		} else if (*s) {
			return -1;
		}
	}
	*len = n;
	return n ? 0 : -1;
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
	return in_subnet(ifc, a) && a != ifc->net && a != (ifc->net | ~ifc->mask);
}

static int in_ranges(const struct pool_range *r, unsigned int n, uint32_t a)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a >= r[i].first && a <= r[i].last)
			return 1;
	return 0;
}

static int addr_list(struct parser *p, char **tok, int ntok, uint32_t *list,
		     unsigned int *n)
{
	int i;

	if (ntok < 2)
		return perr(p, p->line, "%s: expected at least one address",
			    tok[0]);
	if (ntok - 1 > CONF_MAX_LIST)
		return perr(p, p->line, "%s: at most %d addresses", tok[0],
			    CONF_MAX_LIST);
	for (i = 1; i < ntok; i++)
		if (parse_ip(tok[i], &list[i - 1]) < 0)
			return perr(p, p->line, "%s: bad IPv4 address '%s'",
				    tok[0], tok[i]);
	*n = (unsigned int)(ntok - 1);
	return 0;
}

static int nargs(struct parser *p, char **tok, int ntok, int want)
{
	if (ntok - 1 != want)
		return perr(p, p->line, "%s: expected %d argument%s, got %d",
			    tok[0], want, want == 1 ? "" : "s", ntok - 1);
	return 0;
}

static int stmt_global(struct parser *p, char **tok, int ntok)
{
	struct dhcp_conf *c = p->c;

	if (!strcmp(tok[0], "lease-db")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (tok[1][0] != '/' || strlen(tok[1]) >= sizeof(c->lease_db))
			return perr(p, p->line,
				    "lease-db: need an absolute path");
		strcpy(c->lease_db, tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "kernel-sync")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_bool(tok[1], &c->kernel_sync) < 0)
			return perr(p, p->line,
				    "kernel-sync: expected yes or no");
		return 0;
	}
	if (!strcmp(tok[0], "quarantine-time")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 31536000, &c->quarantine_time) < 0)
			return perr(p, p->line,
				    "quarantine-time: expected seconds (1..31536000)");
		return 0;
	}
	if (!strcmp(tok[0], "offer-time")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 3600, &c->offer_time) < 0)
			return perr(p, p->line,
				    "offer-time: expected seconds (1..3600)");
		return 0;
	}
	if (!strcmp(tok[0], "interface")) {
		struct conf_iface *ifc;
		unsigned int i;

		if (ntok != 3 || strcmp(tok[2], "{"))
			return perr(p, p->line,
				    "interface: expected 'interface NAME {'");
		if (strlen(tok[1]) >= IF_NAMESIZE)
			return perr(p, p->line,
				    "interface: name '%s' too long", tok[1]);
		for (i = 0; i < c->nifaces; i++)
			if (!strcmp(c->ifaces[i].name, tok[1]))
				return perr(p, p->line,
					    "interface %s: already defined at line %d",
					    tok[1], c->ifaces[i].line);
		if (c->nifaces == CONF_MAX_IFACES)
			return perr(p, p->line, "at most %d interfaces",
				    CONF_MAX_IFACES);
		ifc = &c->ifaces[c->nifaces++];
		memset(ifc, 0, sizeof(*ifc));
		strcpy(ifc->name, tok[1]);
		ifc->line = p->line;
		p->ifc = ifc;
		return 0;
	}
	return perr(p, p->line, "unknown keyword '%s'", tok[0]);
}

static int stmt_host(struct parser *p, char **tok, int ntok)
{
	struct conf_host *h = p->host;
	size_t len;

	if (!strcmp(tok[0], "hardware-address")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_hex(tok[1], h->hw, 6, &len) < 0 || len != 6)
			return perr(p, p->line,
				    "hardware-address: expected aa:bb:cc:dd:ee:ff");
		h->hwlen = 6;
		return 0;
	}
	if (!strcmp(tok[0], "client-id")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_hex(tok[1], h->id.k + 1, 255, &len) < 0 || len < 2)
			return perr(p, p->line,
				    "client-id: expected at least 2 hex bytes (01:aa:bb:...)");
		h->id.k[0] = 'I';
		h->id.len = (uint8_t)(len + 1);
		return 0;
	}
	if (!strcmp(tok[0], "address")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_ip(tok[1], &h->addr) < 0)
			return perr(p, p->line,
				    "address: bad IPv4 address '%s'", tok[1]);
		return 0;
	}
	return perr(p, p->line, "unknown keyword '%s' in host block", tok[0]);
}

static int stmt_iface(struct parser *p, char **tok, int ntok)
{
	struct conf_iface *ifc = p->ifc;

	if (!strcmp(tok[0], "subnet")) {
		char *slash;
		uint32_t plen;

		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		slash = strchr(tok[1], '/');
		if (!slash)
			return perr(p, p->line, "subnet: expected A.B.C.D/LEN");
		*slash = '\0';
		if (parse_ip(tok[1], &ifc->net) < 0 ||
		    parse_u32(slash + 1, 8, 30, &plen) < 0)
			return perr(p, p->line,
				    "subnet: expected A.B.C.D/LEN with LEN 8..30");
		ifc->prefix = plen;
		ifc->mask = plen ? ~0u << (32 - plen) : 0;
		if (ifc->net & ~ifc->mask)
			return perr(p, p->line,
				    "subnet: host bits set in %s/%u", tok[1],
				    plen);
		return 0;
	}
	if (!strcmp(tok[0], "server-id")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_ip(tok[1], &ifc->server_id) < 0)
			return perr(p, p->line,
				    "server-id: bad IPv4 address '%s'", tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "pool") || !strcmp(tok[0], "exclude")) {
		int pool = tok[0][0] == 'p';
		struct pool_range *r;
		unsigned int *n = pool ? &ifc->nranges : &ifc->nexcl;

		if (ntok != 3 && (pool || ntok != 2))
			return perr(p, p->line, pool ?
				    "pool: expected 'pool FIRST LAST'" :
				    "exclude: expected 'exclude FIRST [LAST]'");
		if (*n == CONF_MAX_RANGES)
			return perr(p, p->line, "%s: at most %d per interface",
				    tok[0], CONF_MAX_RANGES);
		r = pool ? &ifc->ranges[*n] : &ifc->excl[*n];
		if (parse_ip(tok[1], &r->first) < 0)
			return perr(p, p->line, "%s: bad IPv4 address '%s'",
				    tok[0], tok[1]);
		r->last = r->first;
		if (ntok == 3 && parse_ip(tok[2], &r->last) < 0)
			return perr(p, p->line, "%s: bad IPv4 address '%s'",
				    tok[0], tok[2]);
		if (r->last < r->first)
			return perr(p, p->line, "%s: %s is before %s", tok[0],
				    tok[ntok - 1], tok[1]);
		r->base = (uint32_t)p->line;	/* for later messages */
		(*n)++;
		return 0;
	}
	if (!strcmp(tok[0], "router"))
		return addr_list(p, tok, ntok, ifc->routers, &ifc->nrouters);
	if (!strcmp(tok[0], "dns"))
		return addr_list(p, tok, ntok, ifc->dns, &ifc->ndns);
	if (!strcmp(tok[0], "ntp"))
		return addr_list(p, tok, ntok, ifc->ntp, &ifc->nntp);
	if (!strcmp(tok[0], "domain-name")) {
		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (!valid_domain(tok[1]))
			return perr(p, p->line,
				    "domain-name: invalid name '%s'", tok[1]);
		strcpy(ifc->domain, tok[1]);
		return 0;
	}
	if (!strcmp(tok[0], "lease-time") || !strcmp(tok[0], "renew-time") ||
	    !strcmp(tok[0], "rebind-time")) {
		uint32_t *v = tok[0][0] == 'l' ? &ifc->lease_time :
			      tok[0][2] == 'n' ? &ifc->t1 : &ifc->t2;

		if (nargs(p, tok, ntok, 1) < 0)
			return -1;
		if (parse_u32(tok[1], 1, 0x7fffffff, v) < 0)
			return perr(p, p->line,
				    "%s: expected seconds (1..2147483647)",
				    tok[0]);
		return 0;
	}
	if (!strcmp(tok[0], "host")) {
		struct conf_host *h;

		if (ntok != 3 || strcmp(tok[2], "{"))
			return perr(p, p->line, "host: expected 'host NAME {'");
		if (ifc->nhosts == CONF_MAX_HOSTS)
			return perr(p, p->line, "at most %d hosts per interface",
				    CONF_MAX_HOSTS);
		h = &ifc->hosts[ifc->nhosts++];
		memset(h, 0, sizeof(*h));
		snprintf(h->name, sizeof(h->name), "%s", tok[1]);
		h->line = p->line;
		p->host = h;
		return 0;
	}
	return perr(p, p->line, "unknown keyword '%s' in interface block",
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
		return perr(p, h->line, "host %s: missing address", h->name);
	if (!h->hwlen && !h->id.len)
		return perr(p, h->line,
			    "host %s: needs hardware-address or client-id",
			    h->name);
	if (!usable(ifc, h->addr))
		return perr(p, h->line,
			    "host %s: address %s is not a host of the subnet",
			    h->name, ipstr(h->addr, b));
	if (h->addr == ifc->server_id)
		return perr(p, h->line,
			    "host %s: address %s is the server's", h->name,
			    ipstr(h->addr, b));
	if (in_ranges(ifc->excl, ifc->nexcl, h->addr))
		return perr(p, h->line, "host %s: address %s is excluded",
			    h->name, ipstr(h->addr, b));
	for (i = 0; i < ifc->nhosts && &ifc->hosts[i] != h; i++) {
		const struct conf_host *o = &ifc->hosts[i];

		if (o->addr == h->addr)
			return perr(p, h->line,
				    "host %s: address %s already reserved for %s (line %d)",
				    h->name, ipstr(h->addr, b), o->name,
				    o->line);
		if (h->hwlen && o->hwlen && !memcmp(o->hw, h->hw, 6) &&
		    !h->id.len && !o->id.len)
			return perr(p, h->line,
				    "host %s: hardware-address already used by %s (line %d)",
				    h->name, o->name, o->line);
		if (h->id.len && o->id.len && h->id.len == o->id.len &&
		    !memcmp(h->id.k, o->id.k, h->id.len))
			return perr(p, h->line,
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
		return perr(p, ifc->line, "interface %s: missing subnet",
			    ifc->name);
	if (ifc->server_id && !usable(ifc, ifc->server_id))
		return perr(p, ifc->line,
			    "interface %s: server-id %s is not a host of the subnet",
			    ifc->name, ipstr(ifc->server_id, b));
	if (!ifc->nranges && !ifc->nhosts)
		return perr(p, ifc->line,
			    "interface %s: no pool and no host: nothing to serve",
			    ifc->name);
	for (i = 0; i < ifc->nranges; i++) {
		struct pool_range *r = &ifc->ranges[i];
		int line = (int)r->base;

		if (!usable(ifc, r->first) || !usable(ifc, r->last))
			return perr(p, line,
				    "pool %s %s: not inside the hosts of %s/%u",
				    ipstr(r->first, b), ipstr(r->last, b2),
				    ipstr(ifc->net, b3), ifc->prefix);
		if (ifc->server_id && r->first <= ifc->server_id &&
		    ifc->server_id <= r->last)
			return perr(p, line,
				    "pool contains the server-id %s (exclude it or move the pool)",
				    ipstr(ifc->server_id, b));
		for (j = 0; j < i; j++)
			if (overlaps(r, &ifc->ranges[j]))
				return perr(p, line,
					    "pool overlaps the pool of line %u",
					    ifc->ranges[j].base);
		total += (uint64_t)r->last - r->first + 1;
	}
	if (total > POOL_MAX_ADDRS)
		return perr(p, ifc->line,
			    "interface %s: pools hold %llu addresses, at most %d",
			    ifc->name, (unsigned long long)total,
			    POOL_MAX_ADDRS);
	for (i = 0; i < ifc->nexcl; i++) {
		struct pool_range *r = &ifc->excl[i];

		for (j = 0; j < ifc->nranges; j++)
			if (overlaps(r, &ifc->ranges[j]))
				break;
		if (j == ifc->nranges)
			return perr(p, (int)r->base,
				    "exclude %s: not inside any pool",
				    ipstr(r->first, b));
	}
	for (i = 0; i < ifc->nhosts; i++)
		if (check_host(p, ifc, &ifc->hosts[i]) < 0)
			return -1;
	if (!ifc->lease_time)
		ifc->lease_time = 3600;
	if (ifc->lease_time < CONF_MIN_LEASE)
		return perr(p, ifc->line,
			    "interface %s: lease-time must be at least %d s",
			    ifc->name, CONF_MIN_LEASE);
	if (!ifc->t1)
		ifc->t1 = ifc->lease_time / 2;
	if (!ifc->t2)
		ifc->t2 = (uint32_t)((uint64_t)ifc->lease_time * 7 / 8);
	if (!(ifc->t1 < ifc->t2 && ifc->t2 < ifc->lease_time))
		return perr(p, ifc->line,
			    "interface %s: need renew-time < rebind-time < lease-time (%u, %u, %u)",
			    ifc->name, ifc->t1, ifc->t2, ifc->lease_time);
	for (i = 0; i < ifc->nrouters; i++)
		if (!in_subnet(ifc, ifc->routers[i]))
			return perr(p, ifc->line,
				    "interface %s: router %s is not on the subnet",
				    ifc->name, ipstr(ifc->routers[i], b));
	return 0;
}

static int tokenize(char *s, char **tok)
{
	int n = 0;
	char *h = strchr(s, '#');

	if (h)
		*h = '\0';
	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n == MAX_TOKENS)
			return -1;
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

int config_parse(const char *name, const char *text, struct dhcp_conf *c,
		 char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen,
			    .c = c };
	char *copy, *line, *next, *tok[MAX_TOKENS];
	unsigned int i;
	int ntok, ret = -1;

	memset(c, 0, sizeof(*c));
	strcpy(c->lease_db, LEASEDB_DEFAULT_PATH);
	c->kernel_sync = 1;
	c->quarantine_time = 600;
	c->offer_time = 30;
	if (err && errlen)
		err[0] = '\0';
	copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	for (line = copy; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		p.line++;
		ntok = tokenize(line, tok);
		if (ntok < 0) {
			perr(&p, p.line, "too many words");
			goto out;
		}
		if (ntok == 0)
			continue;
		if (!strcmp(tok[0], "}")) {
			if (ntok != 1) {
				perr(&p, p.line, "'}' must be alone on its line");
				goto out;
			}
			if (p.host)
				p.host = NULL;
			else if (p.ifc)
				p.ifc = NULL;
			else {
				perr(&p, p.line, "'}' without an open block");
				goto out;
			}
			continue;
		}
		if ((p.host ? stmt_host(&p, tok, ntok) :
		     p.ifc ? stmt_iface(&p, tok, ntok) :
		     stmt_global(&p, tok, ntok)) < 0)
			goto out;
	}
	if (p.host || p.ifc) {
		perr(&p, p.host ? p.host->line : p.ifc->line,
		     "%s block not closed", p.host ? "host" : "interface");
		goto out;
	}
	if (!c->nifaces) {
		perr(&p, p.line, "no interface block");
		goto out;
	}
	for (i = 0; i < c->nifaces; i++)
		if (check_iface(&p, &c->ifaces[i]) < 0)
			goto out;
	ret = 0;
out:
	free(copy);
	return ret;
}

int config_load(const char *path, struct dhcp_conf *c, char *err,
		size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 24) || !(nb = realloc(buf, cap))) {
				snprintf(err, errlen, "%s: too large", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		return -1;
	}
	ret = config_parse(path, buf, c, err, errlen);
	free(buf);
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
