// SPDX-License-Identifier: GPL-2.0
/*
 * Online payment plug-in: talks HTTP/1.1 + JSON to a separate payment
 * provider process (§1: muISP binds payments made by independently
 * implemented processes instead of embedding payment protocols).
 *
 *   POST /authorize {"token":T,"amount":N,"currency":C,"reference":R}
 *        200 {"status":"authorized","id":ID}   | 402 {"status":"declined",...}
 *   POST /capture   {"id":ID,"amount":CHARGE}
 *        200 {"status":"captured","id":ID,"released":REST}
 *
 * Authorisation holds the deposit (like a card authorisation, §6 step 3);
 * settlement captures the charge and the provider releases the rest (§8
 * "a settlement transaction for the value of the actual usage").
 *
 * Calls are synchronous with a short time-out: the provider is expected
 * on the router's management network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "payment.h"
#include "payment_online.h"

/* The method's instance: its interface first, then its settings. */
struct online {
	struct payment_method m;
	char host[64];
	uint16_t port;
	char currency[8];
	int timeout_ms;
};

/* The instance of the method's interface (its first member). */
static const struct online *online_of(const struct payment_method *m)
{
	return (const struct online *)m;
}

static int online_deposit(const struct payment_method *self,
			  struct store *st, struct contract_rec *c,
			  const char *token, uint64_t now, char *err,
			  size_t errlen);
static int online_refund(const struct payment_method *self,
			 struct store *st, const struct contract_rec *c,
			 uint64_t refund, uint64_t now, struct statement *s);

struct payment_method *payment_online_new(void)
{
	struct online *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->m.id = MP_METHOD_ONLINE;
	o->m.name = "online";
	o->m.deposit = online_deposit;
	o->m.refund = online_refund;
	snprintf(o->currency, sizeof(o->currency), "EUR");
	o->timeout_ms = 3000;
	return &o->m;
}

void payment_online_free(struct payment_method *m)
{
	free(m);
}

void payment_online_config(struct payment_method *m, const char *host,
			   uint16_t port, const char *currency)
{
	struct online *o = (struct online *)m;

	snprintf(o->host, sizeof(o->host), "%s", host);
	o->port = port;
	snprintf(o->currency, sizeof(o->currency), "%s", currency);
}

int payment_online_enabled(const struct payment_method *m)
{
	return online_of(m)->port != 0;
}

/* JSON string value of "key" in a flat object; -1 if absent or odd. */
int payment_json_str(const char *json, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		return -1;
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return -1;
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= cap)
		return -1;
	for (const char *q = p; q < e; q++)
		if (*q < 0x20 || *q > 0x7e || *q == '\\')
			return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

static int io_wait(int fd, short ev, int ms)
{
	struct pollfd pfd = { fd, ev, 0 };
	int r = poll(&pfd, 1, ms);

	return r == 1 ? 0 : -1;
}

/* POST body to path; status code and response body.  -1 on I/O error. */
static int post(const struct online *o, const char *path, const char *body,
		int *status, char *resp, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[1024], buf[4096];
	size_t got = 0;
	int fd, n;

	if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1)
		return -1;
	sa.sin_port = htons(o->port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    (errno != EINPROGRESS || io_wait(fd, POLLOUT, o->timeout_ms)))
		goto fail;
	n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s", path, o->host, strlen(body),
		     body);
	if (n < 0 || (size_t)n >= sizeof(req))
		goto fail;
	for (int off = 0; off < n;) {
		ssize_t w;

		if (io_wait(fd, POLLOUT, o->timeout_ms))
			goto fail;
		w = write(fd, req + off, (size_t)(n - off));
		if (w <= 0)
			goto fail;
		off += (int)w;
	}
	for (;;) {
		ssize_t r;

		if (got + 1 >= sizeof(buf) || io_wait(fd, POLLIN, o->timeout_ms))
			goto fail;
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	{
		const char *b = strstr(buf, "\r\n\r\n");

		snprintf(resp, cap, "%s", b ? b + 4 : "");
	}
	return 0;
fail:
	close(fd);
	return -1;
}

static int token_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(t[i] == '-' || t[i] == '_' || (t[i] >= '0' && t[i] <= '9') ||
		      (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
			return 0;
	return 1;
}

static int online_deposit(const struct payment_method *self,
			  struct store *st, struct contract_rec *c,
			  const char *token, uint64_t now, char *err,
			  size_t errlen)
{
	const struct online *o = online_of(self);
	char body[512], resp[1024], id[24], reason[96];
	int status = 0;

	if (!payment_online_enabled(self)) {
		snprintf(err, errlen, "no payment provider configured");
		return -1;
	}
	if (!token_ok(token)) {
		snprintf(err, errlen, "payment token missing or malformed");
		return -1;
	}
	snprintf(body, sizeof(body), "{\"token\":\"%s\",\"amount\":%llu,"
		 "\"currency\":\"%s\",\"reference\":\"muisp-%llu\"}", token,
		 (unsigned long long)c->deposit, o->currency,
		 (unsigned long long)c->serial);
	if (post(o, "/authorize", body, &status, resp, sizeof(resp))) {
		snprintf(err, errlen, "payment provider unreachable");
		return -1;
	}
	if (status != 200 || payment_json_str(resp, "id", id, sizeof(id))) {
		if (payment_json_str(resp, "reason", reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "HTTP %d", status);
		snprintf(err, errlen, "declined by provider: %s", reason);
		return -1;
	}
	snprintf(c->payref, sizeof(c->payref), "%s", id);
	return 0;
}

static int online_refund(const struct payment_method *self,
			 struct store *st, const struct contract_rec *c,
			 uint64_t refund, uint64_t now, struct statement *s)
{
	const struct online *o = online_of(self);
	char body[256], resp[1024], state[32];
	int status = 0;

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"amount\":%llu}",
		 c->payref, (unsigned long long)(c->deposit - refund));
	if (post(o, "/capture", body, &status, resp, sizeof(resp)) ||
	    status != 200 ||
	    payment_json_str(resp, "status", state, sizeof(state)) ||
	    strcmp(state, "captured")) {
		log_warnx("payment provider: capture of %s failed (HTTP %d)",
			  c->payref, status);
		return -1;
	}
	if (refund)
		payment_statement_line(s, refund, 1, "authorisation %s: "
				       "released", c->payref);
	return 0;
}
