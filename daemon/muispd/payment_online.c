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
 * The calls never block: libcurl's multi interface runs them on the
 * daemon's sd-event loop (its sockets are io sources, its time-outs one
 * timer) and the result comes back through the caller's done function.
 * A call gives up when connecting takes 3 s or 3 s pass without a byte
 * (the provider is expected on the router's management network).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "evloop.h"
#include "log.h"
#include "payment.h"
#include "payment_online.h"

#define ONLINE_TIMEOUT_MS 3000
#define ONLINE_RESP_MAX	  4096

struct call;

/* The method's instance: its interface first, then its settings. */
struct online {
	struct payment_method m;
	struct online *me; /* itself, writable (m comes const) */
	char host[64];
	uint16_t port;
	char currency[8];
	sd_event *e;
	CURLM *multi;
	sd_event_source *timer; /* libcurl's time-out */
	struct call *calls;	/* in flight */
};

/* One HTTP exchange with the provider. */
struct call {
	struct online *o;
	struct call *next;
	CURL *easy;
	struct curl_slist *hdrs;
	int capture;			     /* 0: authorize */
	char payref[RECEIPT_PAYREF_LEN + 1]; /* capture: for the log */
	char url[128];
	char body[512];
	char resp[ONLINE_RESP_MAX];
	size_t rlen;
	int overflow; /* more than ONLINE_RESP_MAX */
	int status;   /* HTTP status, -1: no answer */
	payment_done_fn done;
	void *arg;
};

static struct online *online_of(const struct payment_method *m)
{
	return ((const struct online *)m)->me;
}

void payment_online_config(struct payment_method *m, const char *host,
			   uint16_t port, const char *currency)
{
	struct online *o = online_of(m);

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

/* ---------- libcurl on the loop ---------- */

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg);
static void reap(struct online *o);

/* CURLMOPT_SOCKETFUNCTION: a socket to watch (in, out) or forget. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct online *o = userp;
	sd_event_source *s = socketp;
	uint32_t ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			sd_event_source_set_enabled(s, SD_EVENT_OFF);
			sd_event_source_unref(s);
			curl_multi_assign(o->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (s)
		return sd_event_source_set_io_events(s, ev) < 0 ? -1 : 0;
	if (sd_event_add_io(o->e, &s, fd, ev, on_io, o) < 0)
		return -1;
	curl_multi_assign(o->multi, fd, s);
	return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct online *o = arg;
	int action = 0, running;

	if (revents & (EPOLLIN | EPOLLHUP))
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & EPOLLERR)
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(o->multi, fd, action, &running);
	reap(o);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct online *o = arg;
	int running;

	curl_multi_socket_action(o->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(o);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: call back in ms (-1: no time-out pending). */
static int on_timer(CURLM *multi, long ms, void *userp)
{
	struct online *o = userp;
	uint64_t usec = ms > 0 ? (uint64_t)ms * EVLOOP_USEC_PER_MSEC : 0;

	if (ms < 0)
		return evloop_timer_stop(o->timer) < 0 ? -1 : 0;
	if (!o->timer)
		return evloop_timer(o->e, &o->timer, usec, 0, on_timeout, o) <
				       0 ?
			       -1 :
			       0;
	return evloop_timer_set(o->timer, usec) < 0 ? -1 : 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct call *k = arg;
	size_t len = size * n;

	if (k->rlen + len >= sizeof(k->resp)) {
		k->overflow = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(k->resp + k->rlen, p, len);
	k->rlen += len;
	k->resp[k->rlen] = '\0';
	return len;
}

static void call_free(struct call *k)
{
	if (k->easy)
		curl_easy_cleanup(k->easy);
	curl_slist_free_all(k->hdrs);
	free(k);
}

/* The provider answered with HTTP status (-1: no answer): tell the
 * caller. */
static void call_end(struct call *k, int status)
{
	char id[24], reason[96], state[32];

	if (k->capture) {
		if (status != 200 ||
		    payment_json_str(k->resp, "status", state, sizeof(state)) ||
		    strcmp(state, "captured")) {
			log_warnx("payment provider: capture of %s failed "
				  "(HTTP %d)",
				  k->payref, status < 0 ? 0 : status);
			k->done(k->arg, -1, NULL);
			return;
		}
		k->done(k->arg, 0, NULL);
		return;
	}
	if (status < 0) {
		k->done(k->arg, -1, "payment provider unreachable");
		return;
	}
	if (status != 200 || payment_json_str(k->resp, "id", id, sizeof(id))) {
		char err[160];

		if (payment_json_str(k->resp, "reason", reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "HTTP %d", status);
		snprintf(err, sizeof(err), "declined by provider: %s", reason);
		k->done(k->arg, -1, err);
		return;
	}
	k->done(k->arg, 0, id);
}

/* Finished transfers: off the list, then their callers are told (which
 * may start new calls). */
static void reap(struct online *o)
{
	struct call *done = NULL, **tail = &done;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(o->multi, &left))) {
		struct call *k = NULL, **pp;
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&k);
		if (msg->data.result == CURLE_OK && !k->overflow)
			curl_easy_getinfo(msg->easy_handle,
					  CURLINFO_RESPONSE_CODE, &code);
		k->status = code > 0 ? (int)code : -1;
		curl_multi_remove_handle(o->multi, msg->easy_handle);
		for (pp = &o->calls; *pp && *pp != k; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = k->next;
		k->next = NULL;
		*tail = k;
		tail = &k->next;
	}
	while (done) {
		struct call *k = done;

		done = k->next;
		call_end(k, k->status);
		call_free(k);
	}
}

/* POST body to path; done later (or now when it cannot start). */
static void call_start(struct online *o, int capture, const char *path,
		       const char *body, const char *payref,
		       payment_done_fn done, void *arg)
{
	struct in_addr a;
	struct call *k = calloc(1, sizeof(*k));

	if (!k) {
		done(arg, -1, capture ? NULL : "payment provider unreachable");
		return;
	}
	k->o = o;
	k->capture = capture;
	k->done = done;
	k->arg = arg;
	snprintf(k->payref, sizeof(k->payref), "%s", payref ? payref : "");
	snprintf(k->body, sizeof(k->body), "%s", body);
	snprintf(k->url, sizeof(k->url), "http://%s:%u%s", o->host, o->port,
		 path);
	k->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (k->hdrs)
		k->hdrs = curl_slist_append(k->hdrs, "Expect:");
	k->easy = curl_easy_init();
	if (inet_pton(AF_INET, o->host, &a) != 1 || !k->hdrs || !k->easy ||
	    curl_easy_setopt(k->easy, CURLOPT_URL, k->url) ||
	    curl_easy_setopt(k->easy, CURLOPT_PROTOCOLS_STR, "http") ||
	    curl_easy_setopt(k->easy, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(k->easy, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->hdrs) ||
	    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, k->body) ||
	    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE,
			     (long)strlen(k->body)) ||
	    curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, k) ||
	    curl_easy_setopt(k->easy, CURLOPT_PRIVATE, k) ||
	    curl_easy_setopt(k->easy, CURLOPT_CONNECTTIMEOUT_MS,
			     (long)ONLINE_TIMEOUT_MS) ||
	    curl_easy_setopt(k->easy, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_LOW_SPEED_TIME,
			     (long)ONLINE_TIMEOUT_MS / 1000) ||
	    curl_multi_add_handle(o->multi, k->easy)) {
		call_end(k, -1);
		call_free(k);
		return;
	}
	k->next = o->calls;
	o->calls = k;
}

/* ---------- the method ---------- */

static int token_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(t[i] == '-' || t[i] == '_' ||
		      (t[i] >= '0' && t[i] <= '9') ||
		      (t[i] >= 'a' && t[i] <= 'z') ||
		      (t[i] >= 'A' && t[i] <= 'Z')))
			return 0;
	return 1;
}

static void online_authorize(const struct payment_method *self,
			     const struct contract_rec *c, const char *token,
			     payment_done_fn done, void *arg)
{
	struct online *o = online_of(self);
	char body[512];

	if (!payment_online_enabled(self)) {
		done(arg, -1, "no payment provider configured");
		return;
	}
	if (!token_ok(token)) {
		done(arg, -1, "payment token missing or malformed");
		return;
	}
	snprintf(body, sizeof(body),
		 "{\"token\":\"%s\",\"amount\":%llu,"
		 "\"currency\":\"%s\",\"reference\":\"muisp-%llu\"}",
		 token, (unsigned long long)c->deposit, o->currency,
		 (unsigned long long)c->serial);
	call_start(o, 0, "/authorize", body, NULL, done, arg);
}

/* The authorisation's reference (authorize's answer) is the payref. */
static int online_deposit(const struct payment_method *self, struct store *st,
			  struct contract_rec *c, const char *id, uint64_t now,
			  char *err, size_t errlen)
{
	if (!id || !*id) {
		snprintf(err, errlen, "not authorised");
		return -1;
	}
	snprintf(c->payref, sizeof(c->payref), "%s", id);
	return 0;
}

static void online_capture(const struct payment_method *self,
			   const struct contract_rec *c, uint64_t refund,
			   payment_done_fn done, void *arg)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"amount\":%llu}",
		 c->payref, (unsigned long long)(c->deposit - refund));
	call_start(online_of(self), 1, "/capture", body, c->payref, done, arg);
}

/* After the capture: the provider released the rest. */
static int online_refund(const struct payment_method *self, struct store *st,
			 const struct contract_rec *c, uint64_t refund,
			 uint64_t now, struct statement *s)
{
	if (refund)
		payment_statement_line(s, refund, 1,
				       "authorisation %s: "
				       "released",
				       c->payref);
	return 0;
}

struct payment_method *payment_online_new(sd_event *e)
{
	struct online *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->me = o;
	o->m.id = MP_METHOD_ONLINE;
	o->m.name = "online";
	o->m.authorize = online_authorize;
	o->m.deposit = online_deposit;
	o->m.capture = online_capture;
	o->m.refund = online_refund;
	snprintf(o->currency, sizeof(o->currency), "EUR");
	o->e = sd_event_ref(e);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		sd_event_unref(o->e);
		free(o);
		return NULL;
	}
	o->multi = curl_multi_init();
	if (!o->multi ||
	    curl_multi_setopt(o->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(o->multi, CURLMOPT_SOCKETDATA, o) ||
	    curl_multi_setopt(o->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(o->multi, CURLMOPT_TIMERDATA, o)) {
		payment_online_free(&o->m);
		return NULL;
	}
	return &o->m;
}

/* Calls still in flight end now, failed. */
void payment_online_free(struct payment_method *m)
{
	struct online *o;

	if (!m)
		return;
	o = online_of(m);
	while (o->calls) {
		struct call *k = o->calls;

		o->calls = k->next;
		curl_multi_remove_handle(o->multi, k->easy);
		k->done(k->arg, -1,
			k->capture ? NULL : "payment provider unreachable");
		call_free(k);
	}
	if (o->multi)
		curl_multi_cleanup(o->multi);
	sd_event_source_unref(o->timer);
	sd_event_unref(o->e);
	curl_global_cleanup();
	free(o);
}
