// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod.conf(5): one statement a line, read with lib/conf; errors
 * are "FILE:LINE: message", the first one only.  Logins are looked up
 * here (getpwnam), so a check (-n) sees the uids the daemon would map.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "parse.h"
#include "uinfod.h"

/* Not to be exhausted by a configuration: the module's own limit. */
#define UINFOD_MAX_USERS MUISP_MAX_USERS

static int lookup_pw(const char *login, uint32_t *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(login);
	if (pw) {
		*uid = (uint32_t)pw->pw_uid;
		return 0;
	}
	/* not found: no error, or one of those POSIX allows for it */
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF ||
	    errno == EPERM)
		return 1;
	return -1;
}

/* A literal IPv4 or IPv6 address. */
static int is_ip(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ||
	       inet_pton(AF_INET6, s, &a) == 1;
}

/* A host name as a resolver takes it: labels of letters, digits and '-'
 * separated by dots. */
static int is_host(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > 253 || *s == '.' || *s == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return 0;
		if (ch == '.' && (s[i + 1] == '.' || s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

static int opt_path(struct conf *r, char *dst, size_t cap)
{
	if (conf_nargs(r, 1) < 0)
		return -1;
	if (r->w[1][0] != '/')
		return conf_bad(r, 1, "need an absolute path");
	return conf_str(r, 1, dst, cap);
}

static int opt_meter(struct conf *r, struct uinfod_conf *c)
{
	uint64_t v;

	if (r->nw < 2 || r->nw > 3)
		return conf_err(r, 0,
				"meter: expected an ADDRESS and an optional "
				"PORT, got %d arguments",
				r->nw - 1);
	if (strlen(r->w[1]) > UINFOD_NAME_MAX)
		return conf_bad(r, 1, "too long");
	if (!is_ip(r->w[1]) && !is_host(r->w[1]))
		return conf_bad(r, 1, "not an address or a host name");
	if (r->nw == 3) {
		if (conf_uint(r, 2, 1, 65535, &v) < 0)
			return -1;
		c->port = (uint16_t)v;
	}
	return conf_str(r, 1, c->meter, sizeof(c->meter));
}

/* "address ADDR[/LEN]" or "address dhcp" (words i, i + 1) into u: 0, or
 * -1. */
static int user_addr(struct conf *r, int i, struct uinfod_user *u)
{
	const char *s = r->w[i + 1], *slash = strchr(s, '/'), *why;
	char buf[INET6_ADDRSTRLEN];
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t len;
	int af;

	if (strcmp(r->w[i], "address"))
		return conf_bad(r, i, "expected 'address'");
	if (!strcmp(s, "dhcp")) { /* leased while they are logged in */
		u->dhcp = 1;
		return 0;
	}
	if (n >= sizeof(buf))
		return conf_bad(r, i + 1, "not an IPv4 or IPv6 address");
	memcpy(buf, s, n);
	buf[n] = '\0';
	af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, u->addr) != 1)
		return conf_bad(r, i + 1, "not an IPv4 or IPv6 address");
	u->family = (uint8_t)af;
	u->plen = af == AF_INET ? 32 : 128;
	if (slash) {
		if (parse_uint(slash + 1, u->plen, &len, &why) < 0)
			return conf_bad(r, i + 1, "bad prefix length");
		u->plen = (uint8_t)len;
	}
	return 0;
}

static int opt_user(struct conf *r, struct uinfod_conf *c,
		    uinfod_lookup_fn lookup)
{
	struct uinfod_user nu = { 0 }, *u;
	const char *s, *why;
	uint32_t uid;
	uint64_t v;
	int k;

	if (r->nw != 5 && conf_nargs(r, 2) < 0)
		return -1;
	if (r->nw == 5 && user_addr(r, 3, &nu) < 0)
		return -1;
	s = r->w[1];
	/* digits (or a sign) are a uid, anything else a login */
	if (s[strspn(s, "0123456789")] == '\0' || *s == '-' || *s == '+') {
		if (parse_uint(s, UINT32_MAX, &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v == UINT32_MAX)
			return conf_bad(r, 1, "not a uid ((uid_t)-1)");
		uid = (uint32_t)v;
	} else {
		k = lookup(s, &uid);
		if (k > 0)
			return conf_bad(r, 1, "no such user");
		if (k < 0)
			return conf_err(r, 0, "user: '%s': cannot look up: %s",
					s, strerror(errno));
		if (uid == UINT32_MAX)
			return conf_bad(r, 1, "not a uid ((uid_t)-1)");
	}
	if (conf_uint(r, 2, 1, UINT32_MAX, &v) < 0)
		return -1;
	if (c->nusers == UINFOD_MAX_USERS)
		return conf_err(r, 0, "user: at most %u users",
				UINFOD_MAX_USERS);
	if (!(c->nusers & (c->nusers + 1))) { /* 0, 1, 3, 7, ...: grow */
		u = realloc(c->users, sizeof(*u) * (2 * c->nusers + 2));
		if (!u)
			return conf_err(r, 0, "user: out of memory");
		c->users = u;
	}
	u = &c->users[c->nusers++];
	*u = nu;
	u->uid = uid;
	u->id = (uint32_t)v;
	u->line = r->line;
	return 0;
}

static int statement(struct conf *r, struct uinfod_conf *c,
		     uinfod_lookup_fn lookup)
{
	const char *k = r->w[0], *why;
	uint64_t v;

	if (!strcmp(k, "meter"))
		return opt_meter(r, c);
	if (!strcmp(k, "ca"))
		return opt_path(r, c->ca, sizeof(c->ca));
	if (!strcmp(k, "cert"))
		return opt_path(r, c->cert, sizeof(c->cert));
	if (!strcmp(k, "key"))
		return opt_path(r, c->key, sizeof(c->key));
	if (!strcmp(k, "server-name")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (!is_ip(r->w[1]) && !is_host(r->w[1]))
			return conf_bad(r, 1, "not an address or a host name");
		return conf_str(r, 1, c->server_name, sizeof(c->server_name));
	}
	if (!strcmp(k, "interface")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (strchr(r->w[1], '/'))
			return conf_bad(r, 1, "not an interface name");
		return conf_str(r, 1, c->interface, sizeof(c->interface));
	}
	if (!strcmp(k, "method")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (parse_tag_method(r->w[1], &c->method, &why) < 0)
			return conf_bad(r, 1, why);
		c->method_line = r->line;
		return 0;
	}
	if (!strcmp(k, "scheme")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		/* the control channel's SCHEME numbers them as the module */
		if (parse_agent_scheme(r->w[1], &c->scheme, &why) < 0)
			return conf_bad(r, 1, why);
		c->scheme_line = r->line;
		return 0;
	}
	if (!strcmp(k, "retry-max")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (parse_duration_s(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v < 1 || v > UINFOD_RETRY_MAX_LIMIT)
			return conf_bad(r, 1, "not in 1..3600 s");
		c->retry_max = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "usage-interval")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (parse_duration_s(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v < 1 || v > UINFOD_USAGE_INTERVAL_MAX)
			return conf_bad(r, 1, "not in 1..3600 s");
		c->usage_interval = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "usage-spool"))
		return opt_path(r, c->usage_spool, sizeof(c->usage_spool));
	if (!strcmp(k, "usage-spool-max")) {
		if (conf_nargs(r, 1) < 0 ||
		    conf_uint(r, 1, 1, UINFOD_USAGE_SPOOL_LIMIT, &v) < 0)
			return -1;
		c->usage_spool_max = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "user"))
		return opt_user(r, c, lookup);
	return conf_err(r, 0, "unknown statement '%s'", k);
}

static int by_uid(const void *a, const void *b)
{
	const struct uinfod_user *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->line - y->line;
}

static int by_id(const void *a, const void *b)
{
	const struct uinfod_user *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line - y->line;
}

/* The repetition (of the key by) that comes first in the file, in the
 * array sorted by cmp: its index, with the earlier entry at index - 1;
 * 0 for none. */
static unsigned int first_dup(struct uinfod_conf *c,
			      int (*cmp)(const void *, const void *),
			      int by_uid_key)
{
	unsigned int i, best = 0;

	qsort(c->users, c->nusers, sizeof(*c->users), cmp);
	for (i = 1; i < c->nusers; i++) {
		const struct uinfod_user *u = &c->users[i], *p = u - 1;

		if ((by_uid_key ? u->uid == p->uid : u->id == p->id) &&
		    (!best || u->line < c->users[best].line))
			best = i;
	}
	return best;
}

/*
 * No uid mapped twice, no Accounting ID given twice: the repetition that
 * comes first in the file is the error, at its line.  Leaves c->users
 * sorted by uid.
 */
static int check_dups(struct conf *r, struct uinfod_conf *c)
{
	struct uinfod_user id_dup = { 0 }, id_first = { 0 };
	unsigned int i;

	if (c->nusers < 2)
		return 0;
	i = first_dup(c, by_id, 0);
	if (i) {
		id_dup = c->users[i];
		id_first = c->users[i - 1];
	}
	i = first_dup(c, by_uid, 1);
	if (i && (!id_dup.line || c->users[i].line <= id_dup.line))
		return conf_err(r, c->users[i].line,
				"user: uid %u already mapped on line %d",
				c->users[i].uid, c->users[i - 1].line);
	if (id_dup.line)
		return conf_err(r, id_dup.line,
				"user: Accounting ID %u already given to uid "
				"%u on line %d",
				id_dup.id, id_first.uid, id_first.line);
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct uinfod_user *x = *(const struct uinfod_user *const *)a;
	const struct uinfod_user *y = *(const struct uinfod_user *const *)b;
	int d = x->family - y->family;

	if (!d)
		d = memcmp(x->addr, y->addr, sizeof(x->addr));
	return d ? d : x->line - y->line;
}

/* No address given to two users: the repetition first in the file is
 * the error.  c->users stays as it is. */
static int check_addr_dups(struct conf *r, const struct uinfod_conf *c)
{
	const struct uinfod_user **v, *dup = NULL, *first = NULL;
	char text[INET6_ADDRSTRLEN];
	unsigned int i, n = 0;

	for (i = 0; i < c->nusers; i++)
		n += c->users[i].family != 0;
	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return conf_err(r, 0, "user: out of memory");
	for (i = n = 0; i < c->nusers; i++)
		if (c->users[i].family)
			v[n++] = &c->users[i];
	qsort(v, n, sizeof(*v), by_addr);
	for (i = 1; i < n; i++)
		if (v[i]->family == v[i - 1]->family &&
		    !memcmp(v[i]->addr, v[i - 1]->addr, sizeof(v[i]->addr)) &&
		    (!dup || v[i]->line < dup->line)) {
			dup = v[i];
			first = v[i - 1];
		}
	free(v);
	if (!dup)
		return 0;
	inet_ntop(dup->family, dup->addr, text, sizeof(text));
	return conf_err(r, dup->line,
			"user: address %s already given to uid %u on line %d",
			text, first->uid, first->line);
}

static int check_required(struct conf *r, const struct uinfod_conf *c)
{
	static const struct {
		const char *name;
		size_t off;
	} req[] = {
		{ "meter", offsetof(struct uinfod_conf, meter) },
		{ "ca", offsetof(struct uinfod_conf, ca) },
		{ "cert", offsetof(struct uinfod_conf, cert) },
		{ "key", offsetof(struct uinfod_conf, key) },
		{ "interface", offsetof(struct uinfod_conf, interface) },
	};
	unsigned int i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!((const char *)c)[req[i].off])
			return conf_err(r, 0, "no %s", req[i].name);
	if (!c->nusers)
		return conf_err(r, 0, "no user");
	return 0;
}

/*
 * The standalone scheme counts (method count, implied: a method said
 * with it is refused), and count is the standalone scheme's alone; the
 * same for the out-of-band-packet scheme, which reports (method
 * report).  The error is at the method's line.
 */
static int check_method(struct conf *r, struct uinfod_conf *c)
{
	if (c->scheme == MP_SCHEME_STANDALONE) {
		if (c->method_line)
			return conf_err(r, c->method_line,
					"method: not with the standalone "
					"scheme (line %d), which counts "
					"(method count is implied): remove it",
					c->scheme_line);
		c->method = MUISP_TAG_METHOD_COUNT;
		return 0;
	}
	if (c->scheme == MP_SCHEME_OUT_OF_BAND_PACKET) {
		if (c->method_line)
			return conf_err(r, c->method_line,
					"method: not with the "
					"out-of-band-packet scheme (line %d), "
					"which reports (method report is "
					"implied): remove it",
					c->scheme_line);
		c->method = MUISP_TAG_METHOD_REPORT;
		return 0;
	}
	if (c->method == MUISP_TAG_METHOD_COUNT)
		return conf_err(r, c->method_line,
				"method: count is the standalone scheme's: "
				"say scheme standalone");
	if (c->method == MUISP_TAG_METHOD_REPORT)
		return conf_err(r, c->method_line,
				"method: report is the out-of-band-packet "
				"scheme's: say scheme out-of-band-packet");
	return 0;
}

int uinfod_config_parse(const char *name, const char *text,
			struct uinfod_conf *c, uinfod_lookup_fn lookup,
			char *err, size_t errlen)
{
	struct conf r;
	int k, rc = 0;

	memset(c, 0, sizeof(*c));
	c->port = MUISP_DEFAULT_CONTROL_PORT;
	c->method = MUISP_TAG_METHOD_PACKET;
	c->retry_max = UINFOD_RETRY_MAX_S;
	c->usage_interval = UINFOD_USAGE_INTERVAL_S;
	c->usage_spool_max = UINFOD_USAGE_SPOOL_MAX;
	snprintf(c->usage_spool, sizeof(c->usage_spool), "%s",
		 UINFOD_USAGE_SPOOL);
	if (conf_init(&r, name, text, err, errlen) < 0)
		return -1;
	while ((k = conf_next(&r)) == CONF_WORDS) {
		if (statement(&r, c, lookup ? lookup : lookup_pw) < 0) {
			rc = -1;
			break;
		}
	}
	if (k == CONF_ERR)
		rc = -1;
	else if (k == CONF_CLOSE)
		rc = conf_err(&r, 0, "unexpected '}'");
	if (!rc)
		rc = check_required(&r, c);
	if (!rc)
		rc = check_dups(&r, c);
	if (!rc)
		rc = check_addr_dups(&r, c);
	if (!rc && c->scheme == MP_SCHEME_OUT_OF_BAND)
		for (unsigned int i = 0; i < c->nusers && !rc; i++)
			if (c->users[i].family || c->users[i].dhcp)
				rc = conf_err(&r, c->users[i].line,
					      "a user's own address needs the "
					      "in-band scheme (line %d says "
					      "out-of-band): the module keeps "
					      "it theirs",
					      c->scheme_line);
	if (!rc)
		rc = check_method(&r, c);
	if (!rc && !c->server_name[0])
		memcpy(c->server_name, c->meter, sizeof(c->server_name));
	conf_fini(&r);
	return rc;
}

int uinfod_config_load(const char *path, struct uinfod_conf *c, char *err,
		       size_t errlen)
{
	char *text;
	int rc;

	memset(c, 0, sizeof(*c));
	if (conf_read(path, &text, err, errlen) < 0)
		return -1;
	rc = uinfod_config_parse(path, text, c, NULL, err, errlen);
	free(text);
	return rc;
}

void uinfod_config_free(struct uinfod_conf *c)
{
	free(c->users);
	c->users = NULL;
	c->nusers = 0;
}

const struct uinfod_user *uinfod_config_user(const struct uinfod_conf *c,
					     uint32_t uid)
{
	unsigned int lo = 0, hi = c->nusers;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (c->users[mid].uid == uid)
			return &c->users[mid];
		if (c->users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
