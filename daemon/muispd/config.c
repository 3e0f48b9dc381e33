// SPDX-License-Identifier: GPL-2.0
/*
 * muispd.conf: one setting per line, "key value...", '#' comments, read
 * with lib/conf; see muispd.conf(5).  The first error stops the parse:
 * "FILE:LINE: KEY: 'VALUE': what is wrong".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "muispd.h"
#include "parse.h"
#include "secret.h"

void conf_defaults(struct muispd_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "::");
	c->port = 4433;
	snprintf(c->socket, sizeof(c->socket), "%s", MP_OP_SOCKET);
	snprintf(c->database, sizeof(c->database),
		 "/var/lib/muisp/muispd/muispd.db");
	snprintf(c->cert, sizeof(c->cert), "/etc/muisp/router.crt");
	snprintf(c->key, sizeof(c->key), "/etc/muisp/router.key");
	c->use_kernel = 1;
	c->tls = 1;
	c->checkpoint_s = 10;
	snprintf(c->currency, sizeof(c->currency), "EUR");
	c->offer_ttl_s = 300;
	c->lifetime_s = 86400;
	c->expiry_warn_s = 300;
	c->warn_interval_s = 2;
	c->warn_tries = 3;
	c->load_capacity = 250;
	c->load_surcharge_pct = 0;
	c->key_rotate_s = 30 * 86400;
	c->key_retire_s = 2 * 86400;
	c->max_hard[MP_METRIC_ELAPSED] = 7 * 86400;
	c->max_hard[MP_METRIC_USAGE_TIME] = 7 * 86400;
	c->max_hard[MP_METRIC_BYTES] = 100ull << 30;
	c->max_hard[MP_METRIC_PACKETS] = 1ull << 32;
	c->handshake_timeout_s = 15;
	c->idle_timeout_s = 60;
	c->agent_keepalive_s = 10;
	c->agent_hold_queue = MUISPD_HOLD_QUEUE;
	c->agent_hold_max = 1024;
	c->agent_hold_timeout_s = 3;
	c->conn_queue = MUISPD_CONN_QUEUE;
	c->conn_hold_max = 1024;
	c->conn_hold_timeout_s = 5;
	c->conn_record_delay_s = 30;
	c->agent_report_rate = 1000;
	c->agent_report_burst = 2000;
	c->agent_usage_keep_days = 90;
	c->max_conns = 1024;
	c->max_conns_addr = 16;
	c->msg_rate = 20;
	c->msg_burst = 50;
	c->quotes_addr = 4;
	c->output_budget = 16ull << 20;
	c->provider_timeout_s = 5;
	snprintf(c->eap_conn, sizeof(c->eap_conn), "muisp-eap");
	snprintf(c->eap_roam_conn, sizeof(c->eap_roam_conn), "muisp-eap-roam");
	c->eap_metric = MP_METRIC_BYTES;
	c->register_idle_s = 7 * 86400;
	c->register_max = 1024;
	c->register_rate = 2;
	c->register_burst = 5;
	c->radius.timeout_ms = 3000;
	c->radius.retries = 3;
	c->radius.dead_s = 10;
	c->radius.window = 64;
	c->radius.auth_timeout_s = 10;
	c->radius.interim_s = 300;
	c->radius.interim_jitter_s = 30;
	c->radius.interim_min_s = 60;
	c->radius.spool_max = 100000;
	c->radius.keep_days = 400;
	c->radius.stop_wait_s = 5;
	c->radius.require_ma = 1;
	c->radius.dae_window_s = 300;
}

/* The settings that are one value of a plain type. */
enum kind { K_STR, K_BOOL, K_U16, K_U32, K_SIZE };

static const struct setting {
	const char *key;
	enum kind kind;
	size_t off, size; /* K_STR: capacity */
	uint32_t min, max;
} settings[] = {
#define F(f) \
	offsetof(struct muispd_conf, f), sizeof(((struct muispd_conf *)0)->f)
	{ "listen", K_STR, F(listen), 0, 0 },
	{ "port", K_U16, F(port), 1, 65535 },
	{ "socket", K_STR, F(socket), 0, 0 },
	{ "database", K_STR, F(database), 0, 0 },
	{ "cert", K_STR, F(cert), 0, 0 },
	{ "key", K_STR, F(key), 0, 0 },
	{ "kernel", K_BOOL, F(use_kernel), 0, 0 },
	{ "allow-plain", K_BOOL, F(allow_plain), 0, 0 },
	{ "tls", K_BOOL, F(tls), 0, 0 },
	{ "currency", K_STR, F(currency), 0, 0 },
	{ "checkpoint-interval", K_U32, F(checkpoint_s), 1, 3600 },
	{ "offer-ttl", K_U32, F(offer_ttl_s), 1, 86400 },
	{ "lifetime", K_U32, F(lifetime_s), 60, 365 * 86400 },
	{ "expiry-warning", K_U32, F(expiry_warn_s), 0, 365 * 86400 },
	{ "warn-interval", K_U32, F(warn_interval_s), 1, 600 },
	{ "warn-tries", K_U32, F(warn_tries), 1, 100 },
	{ "load-capacity", K_U32, F(load_capacity), 1, 1000000 },
	{ "load-surcharge", K_U32, F(load_surcharge_pct), 0, 1000 },
	{ "key-rotate-interval", K_U32, F(key_rotate_s), 0, 3650 * 86400 },
	{ "key-retire-after", K_U32, F(key_retire_s), 0, 3650 * 86400 },
	{ "lan", K_STR, F(lan), 0, 0 },
	{ "handshake-timeout", K_U32, F(handshake_timeout_s), 1, 3600 },
	{ "idle-timeout", K_U32, F(idle_timeout_s), 5, 86400 },
	{ "max-conns", K_U32, F(max_conns), 16, MUISPD_MAX_CONNS },
	{ "max-conns-per-addr", K_U32, F(max_conns_addr), 1, 1024 },
	{ "msg-rate", K_U32, F(msg_rate), 1, 100000 },
	{ "msg-burst", K_U32, F(msg_burst), 1, 100000 },
	{ "quotes-per-addr", K_U32, F(quotes_addr), 1, MUISPD_MAX_QUOTES },
	/* bytes, with k, M, Ki, Mi ... */
	{ "output-budget", K_SIZE, F(output_budget), 1, 0 },
	{ "online-provider-ca", K_STR, F(provider_ca), 0, 0 },
	{ "agent-ca", K_STR, F(agent_ca), 0, 0 },
	{ "agent-keepalive", K_U32, F(agent_keepalive_s), 1, 3600 },
	{ "agent-hold-queue", K_U32, F(agent_hold_queue), 0, 65535 },
	{ "agent-hold-max", K_U32, F(agent_hold_max), 1, 65536 },
	{ "agent-hold-timeout", K_U32, F(agent_hold_timeout_s), 1, 60 },
	{ "conn-queue", K_U32, F(conn_queue), 0, 65535 },
	{ "conn-hold-max", K_U32, F(conn_hold_max), 1, 65536 },
	{ "conn-hold-timeout", K_U32, F(conn_hold_timeout_s), 1, 60 },
	{ "conn-record-delay", K_U32, F(conn_record_delay_s), 0, 3600 },
	{ "agent-report-rate", K_U32, F(agent_report_rate), 1, 1000000 },
	{ "agent-report-burst", K_U32, F(agent_report_burst), 1, 1000000 },
	{ "agent-usage-keep", K_U32, F(agent_usage_keep_days), 0, 36500 },
	{ "online-provider-insecure", K_BOOL, F(provider_insecure), 0, 0 },
	{ "online-provider-timeout", K_U32, F(provider_timeout_s), 1, 60 },
	{ "eap", K_BOOL, F(eap), 0, 0 },
	{ "eap-connection", K_STR, F(eap_conn), 0, 0 },
	{ "radius-eap-relay", K_STR, F(eap_relay), 0, 0 },
	{ "eap-roam-connection", K_STR, F(eap_roam_conn), 0, 0 },
	{ "register-idle", K_U32, F(register_idle_s), 60, 365 * 86400 },
	{ "register-max", K_U32, F(register_max), 1, 65536 },
	{ "register-rate", K_U32, F(register_rate), 1, 1000 },
	{ "register-burst", K_U32, F(register_burst), 1, 1000 },
	/* RADIUS (radclient.h; the servers, secrets, addresses and realms
	 * below in set_radius) */
	{ "radius-nas-identifier", K_STR, F(radius.nas_identifier), 0, 0 },
	{ "radius-retries", K_U32, F(radius.retries), 0, 10 },
	{ "radius-dead-time", K_U32, F(radius.dead_s), 1, 300 },
	{ "radius-window", K_U32, F(radius.window), 1, 255 },
	{ "radius-auth-timeout", K_U32, F(radius.auth_timeout_s), 1, 300 },
	{ "radius-interim", K_U32, F(radius.interim_s), 1, 7 * 86400 },
	{ "radius-interim-jitter", K_U32, F(radius.interim_jitter_s), 0, 3600 },
	{ "radius-interim-min", K_U32, F(radius.interim_min_s), 1, 86400 },
	{ "radius-spool-max", K_U32, F(radius.spool_max), 100, 10000000 },
	{ "radius-keep", K_U32, F(radius.keep_days), 1, 36500 },
	{ "radius-stop-wait", K_U32, F(radius.stop_wait_s), 0, 300 },
	{ "radius-require-message-authenticator", K_BOOL, F(radius.require_ma),
	  0, 0 },
	{ "radius-dae-window", K_U32, F(radius.dae_window_s), 0, 86400 },
	{ "radius-dae-require-message-authenticator", K_BOOL,
	  F(radius.dae_require_ma), 0, 0 },
#undef F
};

static int set_plain(struct conf *r, const struct setting *s, char *base)
{
	uint64_t v;

	if (conf_nargs(r, 1) < 0)
		return -1;
	switch (s->kind) {
	case K_STR:
		return conf_str(r, 1, base + s->off, s->size);
	case K_BOOL:
		return conf_bool(r, 1, (int *)(void *)(base + s->off));
	case K_SIZE: {
		const char *why;

		if (parse_size(r->w[1], &v, &why) < 0)
			return conf_bad(r, 1, why);
		if (v < (1u << 20) || v > (4ull << 30))
			return conf_bad(r, 1, "between 1Mi and 4Gi bytes");
		*(uint64_t *)(void *)(base + s->off) = v;
		return 0;
	}
	case K_U16:
	case K_U32:
		if (conf_uint(r, 1, s->min, s->max, &v) < 0)
			return -1;
		if (s->kind == K_U16)
			*(uint16_t *)(void *)(base + s->off) = (uint16_t)v;
		else
			*(uint32_t *)(void *)(base + s->off) = (uint32_t)v;
		return 0;
	}
	return -1;
}

/* vici [unix://PATH | PATH | none]: charon's VICI socket; no value is
 * strongSwan's default, none (or no vici line) disables the tunnel
 * integration. */
static int set_vici(struct conf *r, struct muispd_conf *c)
{
	const char *a, *path;

	if (r->nw > 2)
		return conf_nargs(r, 1);
	a = r->nw == 2 ? r->w[1] : MUISPD_VICI_DEFAULT;
	if (!strcmp(a, "none")) {
		c->vici[0] = '\0';
		return 0;
	}
	path = !strncmp(a, "unix://", 7) ? a + 7 : a;
	if (path[0] != '/')
		return conf_bad(r, 1, "expected unix:///PATH, /PATH or none");
	if (strlen(path) >= 108) /* sun_path */
		return conf_bad(r, 1,
				"socket path too long (at most 107 "
				"characters)");
	if (r->nw == 1) {
		snprintf(c->vici, sizeof(c->vici), "%s", a);
		return 0;
	}
	return conf_str(r, 1, c->vici, sizeof(c->vici));
}

/*
 * online-provider https://HOST[:PORT] | http://HOST[:PORT] | IPV4 PORT:
 * the base URL of the payment provider (the last form, of earlier
 * versions, is http://IPV4:PORT).  Plain http needs
 * online-provider-insecure, https online-provider-ca (checked once the
 * whole file is read).
 */
static int set_provider(struct conf *r, struct muispd_conf *c)
{
	const char *u = r->w[1], *host;
	uint64_t v;

	if (r->nw == 3) {
		const char *why;
		uint32_t ip;

		if (parse_ip4(r->w[1], &ip, &why) < 0)
			return conf_bad(r, 1, why);
		if (conf_uint(r, 2, 1, 65535, &v) < 0)
			return -1;
		snprintf(c->provider_url, sizeof(c->provider_url),
			 "http://%s:%llu", r->w[1], (unsigned long long)v);
		return 0;
	}
	if (conf_nargs(r, 1) < 0)
		return -1;
	if (!strncmp(u, "https://", 8))
		host = u + 8;
	else if (!strncmp(u, "http://", 7))
		host = u + 7;
	else
		return conf_bad(r, 1, "expected https://HOST[:PORT]");
	if (!*host || *host == '/' || *host == ':')
		return conf_bad(r, 1, "no host");
	for (const char *p = u; *p; p++)
		if (*p <= 0x20 || *p > 0x7e || *p == '"' || *p == '\\' ||
		    *p == '?' || *p == '#' || *p == '@')
			return conf_bad(r, 1, "not a plain URL");
	if (u[strlen(u) - 1] == '/')
		return conf_bad(r, 1, "no path: the base URL only");
	return conf_str(r, 1, c->provider_url, sizeof(c->provider_url));
}

/* price METRIC METHOD ah|esp PRICE UNIT */
static int set_price(struct conf *r, struct muispd_conf *c)
{
	struct price p;
	uint64_t v;
	char buf[80];
	int m;

	if (r->nw != 6)
		return conf_err(r, 0,
				"price: expected 'price METRIC METHOD "
				"ah|esp PRICE UNIT'");
	if (c->nprices >= MUISPD_MAX_PRICES)
		return conf_err(r, 0, "price: at most %d price lines",
				MUISPD_MAX_PRICES);
	m = mp_metric_parse(r->w[1]);
	if (m < 0)
		return conf_bad(r, 1,
				parse_expected(buf, sizeof(buf), mp_metric_name,
					       1, __MP_METRIC_LAST));
	p.metric = (uint8_t)m;
	m = mp_method_parse(r->w[2]);
	if (m < 0)
		return conf_bad(r, 2,
				parse_expected(buf, sizeof(buf), mp_method_name,
					       1, __MP_METHOD_LAST));
	p.method = (uint8_t)m;
	if (!strcmp(r->w[3], "ah"))
		p.privacy = 0;
	else if (!strcmp(r->w[3], "esp"))
		p.privacy = 1;
	else
		return conf_bad(r, 3, "expected ah or esp");
	if (conf_uint(r, 4, 0, INT64_MAX, &p.price) < 0 ||
	    conf_uint(r, 5, 1, INT64_MAX, &v) < 0)
		return -1;
	p.unit = v;
	c->prices[c->nprices++] = p;
	return 0;
}

/* eap-offer METRIC [HARD]: what a device without muisp-client buys with
 * its voucher (price METRIC voucher esp), and up to which hard limit (no
 * HARD: as much as the voucher's balance buys). */
static int set_eap_offer(struct conf *r, struct muispd_conf *c)
{
	char buf[80];
	uint64_t v = 0;
	int m;

	if (r->nw < 2 || r->nw > 3)
		return conf_err(r, 0, "eap-offer: expected METRIC [HARD]");
	m = mp_metric_parse(r->w[1]);
	if (m < 0)
		return conf_bad(r, 1,
				parse_expected(buf, sizeof(buf), mp_metric_name,
					       1, __MP_METRIC_LAST));
	if (r->nw == 3 && conf_uint(r, 2, 1, INT64_MAX, &v) < 0)
		return -1;
	c->eap_metric = (uint8_t)m;
	c->eap_hard = v;
	return 0;
}

/* ---------- RADIUS (radclient.h) ---------- */

/*
 * A shared secret from a file (lib/secret.h: regular, not open to group
 * or others, owned by root or by us), one line of 1..RAD_SECRET_MAX bytes
 * (a final newline is not part of it).  The secret never goes into a
 * message.
 */
static int read_secret(struct conf *r, int i, struct rad_server *sv)
{
	uint8_t buf[2 * RAD_SECRET_MAX];
	char why[SECRET_WHY_LEN], msg[SECRET_WHY_LEN + 16];
	long n;

	if (conf_str(r, i, sv->secret_file, sizeof(sv->secret_file)) < 0)
		return -1;
	n = secret_read(r->w[i], 0, buf, sizeof(buf), why);
	if (n >= 0)
		n = secret_one_line(buf, (size_t)n, RAD_SECRET_MAX, why);
	if (n < 0) {
		snprintf(msg, sizeof(msg), "secret: %s", why);
		return conf_bad(r, i, msg);
	}
	memcpy(sv->secret, buf, (size_t)n);
	sv->seclen = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int numeric_ip(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* radius-auth-server / radius-acct-server ADDR:PORT SECRETFILE,
 * repeatable: failover order.  radius-dae-client ADDR SECRETFILE. */
static int set_radius_server(struct conf *r, struct rad_server *list,
			     unsigned *n, unsigned max, int dae)
{
	struct sockaddr_storage sa;
	struct rad_server *sv;
	const char *why;
	socklen_t len;

	if (conf_nargs(r, 2) < 0)
		return -1;
	if (*n >= max)
		return conf_err(r, 0, "%s: at most %u", r->w[0], max);
	if (dae ? !numeric_ip(r->w[1]) :
		  radclient_parse_addr(r->w[1], &sa, &len, &why) < 0)
		return conf_bad(r, 1,
				dae ? "expected a numeric IPv4 or IPv6 "
				      "address" :
				      why);
	sv = &list[*n];
	memset(sv, 0, sizeof(*sv));
	if (conf_str(r, 1, sv->addr, sizeof(sv->addr)) < 0 ||
	    read_secret(r, 2, sv) < 0) {
		explicit_bzero(sv, sizeof(*sv));
		return -1;
	}
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(list[i].addr, sv->addr)) {
			explicit_bzero(sv, sizeof(*sv));
			return conf_bad(r, 1, "listed twice");
		}
	(*n)++;
	return 0;
}

/* radius-roam-realms REALM...: repeatable, up to RADIUS_MAX_REALMS. */
static int set_realms(struct conf *r, struct radius_conf *rc)
{
	if (r->nw < 2)
		return conf_err(r, 0, "%s: expected REALM...", r->w[0]);
	for (int i = 1; i < r->nw; i++) {
		const char *p = r->w[i];

		if (rc->nrealms >= RADIUS_MAX_REALMS)
			return conf_err(r, 0, "%s: at most %d realms", r->w[0],
					RADIUS_MAX_REALMS);
		for (; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' ||
			      *p == '-'))
				return conf_bad(r, i,
						"a realm is letters, digits, "
						"'.' and '-'");
		if (r->w[i][0] == '.' || r->w[i][0] == '-')
			return conf_bad(r, i, "not a domain name");
		if (conf_str(r, i, rc->realms[rc->nrealms],
			     sizeof(rc->realms[0])) < 0)
			return -1;
		rc->nrealms++;
	}
	return 0;
}

/* The radius-* keys that are not one plain value: 1 not one of them. */
static int set_radius(struct conf *r, struct radius_conf *rc)
{
	const char *k = r->w[0];
	struct sockaddr_storage sa;
	const char *why;
	socklen_t len;
	uint64_t v;

	if (!strcmp(k, "radius-auth-server"))
		return set_radius_server(r, rc->auth, &rc->nauth,
					 RADIUS_MAX_SERVERS, 0);
	if (!strcmp(k, "radius-acct-server"))
		return set_radius_server(r, rc->acct, &rc->nacct,
					 RADIUS_MAX_SERVERS, 0);
	if (!strcmp(k, "radius-dae-client"))
		return set_radius_server(r, rc->dae, &rc->ndae,
					 RADIUS_MAX_DAE_CLIENTS, 1);
	if (!strcmp(k, "radius-roam-realms"))
		return set_realms(r, rc);
	if (!strcmp(k, "radius-timeout")) {
		/* seconds; kept in ms (the tests use less) */
		if (conf_nargs(r, 1) < 0 || conf_uint(r, 1, 1, 60, &v) < 0)
			return -1;
		rc->timeout_ms = (uint32_t)v * 1000;
		return 0;
	}
	if (!strcmp(k, "radius-nas-ip")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (!numeric_ip(r->w[1]))
			return conf_bad(r, 1,
					"expected a numeric IPv4 or IPv6 "
					"address");
		return conf_str(r, 1, rc->nas_ip, sizeof(rc->nas_ip));
	}
	if (!strcmp(k, "radius-dae-listen")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		if (radclient_parse_addr(r->w[1], &sa, &len, &why) < 0)
			return conf_bad(r, 1, why);
		return conf_str(r, 1, rc->dae_listen, sizeof(rc->dae_listen));
	}
	return 1;
}

/* conn-billing, conn-fail, conn-default, conn-accept-*: 0, -1, or 1 if k
 * is none of them. */
static int set_conn(struct conf *r, struct muispd_conf *c)
{
	static const char *const modes[] = { "none", "tcp", "tcp-udp" };
	const char *k = r->w[0], *why;
	struct muisp_nl_ip ip;
	uint64_t v;
	uint8_t len;
	int i;

	if (!strcmp(k, "conn-billing")) {
		if (conf_nargs(r, 1) < 0)
			return -1;
		for (i = 0; i < 3; i++)
			if (!strcmp(r->w[1], modes[i]))
				break;
		if (i == 3)
			return conf_bad(r, 1, "none, tcp or tcp-udp");
		c->conn_billing = i;
		return 0;
	}
	if (!strcmp(k, "conn-fail") || !strcmp(k, "conn-default")) {
		int fail = k[5] == 'f';
		const char *yes = fail ? "open" : "accept";

		if (conf_nargs(r, 1) < 0)
			return -1;
		if (strcmp(r->w[1], yes) &&
		    strcmp(r->w[1], fail ? "closed" : "refuse"))
			return conf_bad(r, 1,
					fail ? "open or closed" :
					       "accept or refuse");
		*(fail ? &c->conn_fail_open : &c->conn_default_accept) =
			!strcmp(r->w[1], yes);
		return 0;
	}
	if (strncmp(k, "conn-accept-", 12))
		return 1;
	if (r->nw < 2)
		return conf_err(r, 0, "%s: nothing to accept", k);
	for (i = 1; i < r->nw; i++) {
		if (!strcmp(k + 12, "port")) {
			if (c->nconn_ports == CONN_ACCEPT_MAX)
				return conf_bad(r, i, "too many ports");
			if (conf_uint(r, i, 1, 65535, &v) < 0)
				return -1;
			c->conn_ports[c->nconn_ports++] = (uint16_t)v;
		} else if (!strcmp(k + 12, "user")) {
			if (c->nconn_users == CONN_ACCEPT_MAX)
				return conf_bad(r, i, "too many users");
			if (conf_uint(r, i, 1, UINT32_MAX, &v) < 0)
				return -1;
			c->conn_users[c->nconn_users++] = (uint32_t)v;
		} else if (!strcmp(k + 12, "host")) {
			struct conn_prefix *p = &c->conn_hosts[c->nconn_hosts];

			if (c->nconn_hosts == CONN_ACCEPT_MAX)
				return conf_bad(r, i, "too many hosts");
			if (parse_prefix(r->w[i], &ip, &len, &why) < 0)
				return conf_bad(r, i, why);
			p->ip = ip;
			p->len = len;
			c->nconn_hosts++;
		} else {
			return conf_err(r, 0, "unknown keyword '%s'", k);
		}
	}
	return 0;
}

static int statement(struct conf *r, struct muispd_conf *c)
{
	const char *k = r->w[0];
	char buf[80];
	uint64_t v;
	size_t i;
	int m;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(k, settings[i].key))
			return set_plain(r, &settings[i], (char *)c);
	if (!strcmp(k, "vici"))
		return set_vici(r, c);
	if (!strcmp(k, "price"))
		return set_price(r, c);
	if (!strcmp(k, "online-provider"))
		return set_provider(r, c);
	if (!strcmp(k, "eap-offer"))
		return set_eap_offer(r, c);
	if (!strncmp(k, "conn-", 5)) {
		int kc = set_conn(r, c);

		if (kc <= 0)
			return kc;
	}
	if (!strncmp(k, "radius-", 7)) {
		int k7 = set_radius(r, &c->radius);

		if (k7 <= 0)
			return k7;
	}
	if (!strcmp(k, "max-hard")) {
		/* max-hard METRIC N */
		if (conf_nargs(r, 2) < 0)
			return -1;
		m = mp_metric_parse(r->w[1]);
		if (m < 0)
			return conf_bad(r, 1,
					parse_expected(buf, sizeof(buf),
						       mp_metric_name, 1,
						       __MP_METRIC_LAST));
		if (conf_uint(r, 2, 1, INT64_MAX, &v) < 0)
			return -1;
		c->max_hard[m] = v;
		return 0;
	}
	return conf_err(r, 0, "unknown keyword '%s'", k);
}

static const struct price *eap_price_of(const struct muispd_conf *c,
					uint8_t method)
{
	for (unsigned i = 0; i < c->nprices; i++)
		if (c->prices[i].metric == c->eap_metric &&
		    c->prices[i].method == method && c->prices[i].privacy == 1)
			return &c->prices[i];
	return NULL;
}

const struct price *eap_price(const struct muispd_conf *c)
{
	return eap_price_of(c, MP_METHOD_VOUCHER);
}

const struct price *eap_roam_price(const struct muispd_conf *c)
{
	return eap_price_of(c, MP_METHOD_ROAM);
}

int conf_parse(const char *name, const char *text, struct muispd_conf *c,
	       char *err, size_t errlen)
{
	struct conf r;
	int k, ret = -1;

	if (conf_init(&r, name, text, err, errlen) < 0)
		return -1;
	while ((k = conf_next(&r)) == CONF_WORDS)
		if (statement(&r, c) < 0)
			goto out;
	if (k == CONF_ERR)
		goto out;
	if (!c->nprices) {
		snprintf(err, errlen, "%s: no price lines: nothing to offer",
			 name);
		goto out;
	}
	if (c->eap && !eap_price(c)) {
		snprintf(err, errlen,
			 "%s: eap: no line 'price %s voucher esp PRICE UNIT': "
			 "nothing for EAP clients to buy",
			 name, mp_metric_name(c->eap_metric));
		goto out;
	}
	if (c->eap_relay[0] && !c->radius.nauth) {
		snprintf(err, errlen,
			 "%s: radius-eap-relay: no radius-auth-server to "
			 "relay to",
			 name);
		goto out;
	}
	if (c->eap_relay[0] && !eap_roam_price(c)) {
		snprintf(err, errlen,
			 "%s: radius-eap-relay: no line 'price %s roam esp "
			 "PRICE UNIT': nothing for EAP roamers to buy",
			 name, mp_metric_name(c->eap_metric));
		goto out;
	}
	if (!strncmp(c->provider_url, "http://", 7) && !c->provider_insecure) {
		snprintf(err, errlen,
			 "%s: online-provider: plain http needs "
			 "online-provider-insecure yes (tests only); use "
			 "https:// and online-provider-ca",
			 name);
		goto out;
	}
	if (!strncmp(c->provider_url, "https://", 8) && !c->provider_ca[0]) {
		snprintf(err, errlen,
			 "%s: online-provider: https needs online-provider-ca "
			 "FILE (the provider's CA, pinned)",
			 name);
		goto out;
	}
	if (c->radius.interim_s < c->radius.interim_min_s) {
		snprintf(err, errlen,
			 "%s: radius-interim: %u is below radius-interim-min "
			 "%u",
			 name, c->radius.interim_s, c->radius.interim_min_s);
		goto out;
	}
	ret = 0;
out:
	conf_fini(&r);
	return ret;
}

int conf_load(const char *path, struct muispd_conf *c)
{
	char err[512], *text;
	int ret;

	if (conf_read(path, &text, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	ret = conf_parse(path, text, c, err, sizeof(err));
	free(text);
	if (ret < 0)
		log_warnx("%s", err);
	return ret;
}
