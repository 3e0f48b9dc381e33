// SPDX-License-Identifier: GPL-2.0
/*
 * Online payment plug-in: talks HTTPS + JSON to a separate payment
 * provider process (§1: muISP binds payments made by independently
 * implemented processes instead of embedding payment protocols).
 *
 *   POST /authorize {"token":T,"amount":N,"currency":C,"reference":R}
 *        200 {"status":"authorized","id":ID,"amount":N,"reference":R}
 *        | 402 {"status":"declined","reason":...}
 *   POST /capture   {"id":ID,"amount":CHARGE}
 *        200 {"status":"captured","id":ID,"amount":CHARGE,...}
 *   POST /void      {"reference":R[,"id":ID]}
 *        200 {"status":"voided","reference":R}
 *
 * Authorisation holds the deposit (like a card authorisation, §6 step 3);
 * settlement captures the charge and the provider releases the rest (§8
 * "a settlement transaction for the value of the actual usage").  A void
 * releases a hold that will not be used: the bind after it failed, or the
 * provider's answer never came or was not valid (then muispd cannot know
 * whether it holds money, so it voids by reference: the provider must
 * treat a void as final for that reference, an authorisation arriving
 * after it included).  Voids are retried until the provider confirms.
 *
 * The provider is spoken to over TLS with its CA pinned (online-provider-
 * ca: that CA alone, no system store), plain HTTP only with
 * online-provider-insecure (tests).  Every 200 is checked: its status
 * must say what was asked and echo the amount and reference or id;
 * anything else is a failure.
 *
 * The calls never block: libcurl's multi interface runs them on the
 * daemon's sd-event loop (its sockets are io sources, its time-outs one
 * timer) and the result comes back through the caller's done function.
 * A call gives up when connecting takes online-provider-timeout, that
 * long passes without a byte, or four times that in all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "evloop.h"
#include "log.h"
#include "payment.h"
#include "payment_online.h"

#define ONLINE_RESP_MAX	  4096
#define ONLINE_VOID_RETRY 10 /* s between the tries of a void */
#define ONLINE_VOID_TRIES 60

struct call;

/* The method's instance: its interface first, then its settings. */
struct online {
	struct payment_method m;
	struct online *me; /* itself, writable (m comes const) */
	char url[256];	   /* https://host[:port], "" none */
	char ca[256];	   /* the provider's CA (PEM), pinned */
	int insecure;	   /* http:// allowed */
	uint32_t timeout_ms;
	char currency[8];
	sd_event *e;
	CURLM *multi;
	sd_event_source *timer; /* libcurl's time-out */
	struct call *calls;	/* in flight */
	struct call *later;	/* voids waiting for their next try */
};

enum call_kind { CALL_AUTHORIZE, CALL_CAPTURE, CALL_VOID };

/* One HTTP exchange with the provider. */
struct call {
	struct online *o;
	struct call *next;
	CURL *easy;
	struct curl_slist *hdrs;
	enum call_kind kind;
	uint64_t amount;		 /* authorize, capture: echoed */
	char ref[32];			 /* the contract's reference */
	char id[RECEIPT_PAYREF_LEN + 1]; /* capture, void: authorisation */
	char url[300];
	char body[512];
	char resp[ONLINE_RESP_MAX];
	size_t rlen;
	int overflow; /* more than ONLINE_RESP_MAX */
	int status;   /* HTTP status, -1: no answer */
	char err[CURL_ERROR_SIZE];
	unsigned tries;	       /* void */
	sd_event_source *wait; /* void: until the next try */
	payment_done_fn done;  /* NULL: nobody waits (a retried void) */
	void *arg;
};

static void call_free(struct call *k);

static struct online *online_of(const struct payment_method *m)
{
	return ((const struct online *)m)->me;
}

void payment_online_config(struct payment_method *m,
			   const struct payment_online_conf *c)
{
	struct online *o = online_of(m);

	/* Voids waiting for another try belong to the provider holding the
	 * money: another one cannot release it. */
	while (strcmp(o->url, c->url) && o->later) {
		struct call *k = o->later;

		o->later = k->next;
		log_warnx("payment provider changed: %s not voided at %s: "
			  "release it there by hand",
			  k->ref, o->url);
		call_free(k);
	}
	snprintf(o->url, sizeof(o->url), "%s", c->url);
	snprintf(o->ca, sizeof(o->ca), "%s", c->ca);
	o->insecure = c->insecure;
	o->timeout_ms = c->timeout_s ? c->timeout_s * 1000 : 5000;
	snprintf(o->currency, sizeof(o->currency), "%s", c->currency);
}

int payment_online_enabled(const struct payment_method *m)
{
	return online_of(m)->url[0] != '\0';
}

unsigned payment_online_pending(const struct payment_method *m)
{
	const struct online *o = online_of(m);
	unsigned n = 0;

	for (const struct call *k = o->calls; k; k = k->next)
		n++;
	for (const struct call *k = o->later; k; k = k->next)
		n++;
	return n;
}

/* Where the value of "key" starts in a flat JSON object; NULL if absent. */
static const char *json_value(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p++ != ':')
		return NULL;
	while (*p == ' ')
		p++;
	return p;
}

/* JSON string value of "key" in a flat object; -1 if absent or odd. */
int payment_json_str(const char *json, const char *key, char *out, size_t cap)
{
	const char *p = json_value(json, key), *e;

	if (!p || *p++ != '"')
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

/* JSON unsigned integer value of "key" in a flat object; -1 if absent,
 * not a plain decimal number or over 2^63. */
int payment_json_u64(const char *json, const char *key, uint64_t *out)
{
	const char *p = json_value(json, key);
	uint64_t v = 0;
	int n = 0;

	if (!p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (v > (INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!n || (n > 1 && p[-n] == '0') ||
	    !(*p == ',' || *p == '}' || *p == ' '))
		return -1;
	*out = v;
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
	if (k->wait) {
		sd_event_source_set_enabled(k->wait, SD_EVENT_OFF);
		sd_event_source_unref(k->wait);
	}
	free(k);
}

static void call_start(struct call *k, const char *path);
static void void_later(struct call *k);
static struct log_rl rl_provider = LOG_RL_INIT(10, 5);

/* A void of reference ref (and authorisation id, if known), in the
 * background: nobody waits for it; retried until confirmed. */
static void void_start(struct online *o, const char *ref, const char *id,
		       payment_done_fn done, void *arg)
{
	struct call *k = calloc(1, sizeof(*k));

	if (!k) {
		log_warnx("payment provider: no memory to void %s: release "
			  "it at the provider by hand",
			  ref);
		if (done)
			done(arg, -1, NULL);
		return;
	}
	k->o = o;
	k->kind = CALL_VOID;
	k->done = done;
	k->arg = arg;
	snprintf(k->ref, sizeof(k->ref), "%s", ref);
	snprintf(k->id, sizeof(k->id), "%s", id ? id : "");
	if (k->id[0])
		snprintf(k->body, sizeof(k->body),
			 "{\"reference\":\"%s\",\"id\":\"%s\"}", k->ref, k->id);
	else
		snprintf(k->body, sizeof(k->body), "{\"reference\":\"%s\"}",
			 k->ref);
	call_start(k, "/void");
}

/* 1 if a 200's body says `state` and echoes what k asked. */
static int answer_ok(const struct call *k, const char *state, const char *key,
		     const char *want)
{
	char got[64], v[RECEIPT_PAYREF_LEN + 1];
	uint64_t amount;

	if (k->status != 200 ||
	    payment_json_str(k->resp, "status", got, sizeof(got)) ||
	    strcmp(got, state) ||
	    payment_json_str(k->resp, key, v, sizeof(v)) || strcmp(v, want))
		return 0;
	if (k->kind == CALL_VOID)
		return 1;
	return payment_json_u64(k->resp, "amount", &amount) == 0 &&
	       amount == k->amount;
}

/* The provider answered (k->status; -1: no answer): tell the caller.
 * Returns 1 when k lives on (a void to try again). */
static int call_end(struct call *k)
{
	char id[RECEIPT_PAYREF_LEN + 1], reason[96], err[160];
	int st = k->status;

	switch (k->kind) {
	case CALL_CAPTURE:
		if (!answer_ok(k, "captured", "id", k->id)) {
			log_warnx("payment provider: capture of %s failed (%s)",
				  k->id,
				  st < 0 ? (k->err[0] ? k->err : "no answer") :
				  st == 200 ? "answer not valid" :
					      "HTTP error");
			k->done(k->arg, -1, NULL);
			return 0;
		}
		k->done(k->arg, 0, NULL);
		return 0;
	case CALL_VOID:
		if (answer_ok(k, "voided", "reference", k->ref)) {
			log_info("payment provider: %s voided", k->ref);
			if (k->done)
				k->done(k->arg, 0, NULL);
			return 0;
		}
		log_ratelimited(&rl_provider, LOG_WARNING,
				"payment provider: void of %s failed (%s); "
				"try %u of %u",
				k->ref,
				st < 0 ? (k->err[0] ? k->err : "no answer") :
					 "refused",
				k->tries + 1, ONLINE_VOID_TRIES);
		if (k->done)
			k->done(k->arg, -1, NULL);
		k->done = NULL;
		if (++k->tries >= ONLINE_VOID_TRIES) {
			log_warnx("payment provider: %s still held after %u "
				  "voids: release it at the provider by hand",
				  k->ref, k->tries);
			return 0;
		}
		void_later(k);
		return 1;
	case CALL_AUTHORIZE:
		break;
	}
	if (st == 200 && answer_ok(k, "authorized", "reference", k->ref) &&
	    payment_json_str(k->resp, "id", id, sizeof(id)) == 0 &&
	    payment_printable(id, RECEIPT_PAYREF_LEN)) {
		k->done(k->arg, 0, id);
		return 0;
	}
	if (st >= 400 && st < 500) { /* the provider said no: nothing held */
		if (payment_json_str(k->resp, "reason", reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "HTTP %d", st);
		snprintf(err, sizeof(err), "declined by provider: %s", reason);
		k->done(k->arg, -1, err);
		return 0;
	}
	/* No answer, a server error or a 200 that does not authorise what
	 * was asked: whether it holds money is unknown, so void it. */
	if (st < 0) {
		log_ratelimited(&rl_provider, LOG_WARNING,
				"payment provider: no answer to authorize %s "
				"(%s)",
				k->ref, k->err[0] ? k->err : "time-out");
		snprintf(err, sizeof(err), "payment provider unreachable");
	} else {
		log_ratelimited(&rl_provider, LOG_WARNING,
				"payment provider: answer to authorize %s not "
				"valid (HTTP %d)",
				k->ref, st);
		snprintf(err, sizeof(err),
			 "payment provider's answer not valid: nothing was "
			 "paid");
	}
	k->done(k->arg, -1, err);
	if (payment_json_str(k->resp, "id", id, sizeof(id)) ||
	    !payment_printable(id, RECEIPT_PAYREF_LEN))
		id[0] = '\0';
	void_start(k->o, k->ref, id, NULL, NULL);
	return 0;
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
		else if (!k->err[0])
			snprintf(k->err, sizeof(k->err), "%s",
				 curl_easy_strerror(msg->data.result));
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
		k->next = NULL;
		if (!call_end(k))
			call_free(k);
	}
}

/* POST k->body to path; k ends later (or now when it cannot start). */
static void call_start(struct call *k, const char *path)
{
	struct online *o = k->o;
	long tmo = (long)o->timeout_ms;
	int tls = !strncmp(o->url, "https://", 8);

	if (k->easy) { /* a void tried again */
		curl_easy_cleanup(k->easy);
		k->easy = NULL;
	}
	curl_slist_free_all(k->hdrs);
	k->rlen = 0;
	k->resp[0] = '\0';
	k->overflow = 0;
	k->err[0] = '\0';
	snprintf(k->url, sizeof(k->url), "%s%s", o->url, path);
	k->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (k->hdrs)
		k->hdrs = curl_slist_append(k->hdrs, "Expect:");
	k->easy = curl_easy_init();
	if (!o->url[0] || (!tls && !o->insecure) || !k->hdrs || !k->easy ||
	    curl_easy_setopt(k->easy, CURLOPT_URL, k->url) ||
	    curl_easy_setopt(k->easy, CURLOPT_PROTOCOLS_STR,
			     tls ? "https" : "http") ||
	    curl_easy_setopt(k->easy, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(k->easy, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, k->err) ||
	    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->hdrs) ||
	    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, k->body) ||
	    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE,
			     (long)strlen(k->body)) ||
	    curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, k) ||
	    curl_easy_setopt(k->easy, CURLOPT_PRIVATE, k) ||
	    curl_easy_setopt(k->easy, CURLOPT_CONNECTTIMEOUT_MS, tmo) ||
	    curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, 4 * tmo) ||
	    curl_easy_setopt(k->easy, CURLOPT_LOW_SPEED_LIMIT, 1L) ||
	    curl_easy_setopt(k->easy, CURLOPT_LOW_SPEED_TIME,
			     tmo < 1000 ? 1L : tmo / 1000) ||
	    (tls && (curl_easy_setopt(k->easy, CURLOPT_CAINFO, o->ca) ||
		     curl_easy_setopt(k->easy, CURLOPT_CAPATH, NULL) ||
		     curl_easy_setopt(k->easy, CURLOPT_SSL_VERIFYPEER, 1L) ||
		     curl_easy_setopt(k->easy, CURLOPT_SSL_VERIFYHOST, 2L) ||
		     curl_easy_setopt(k->easy, CURLOPT_SSLVERSION,
				      (long)CURL_SSLVERSION_TLSv1_2))) ||
	    curl_multi_add_handle(o->multi, k->easy)) {
		if (!k->err[0])
			snprintf(k->err, sizeof(k->err), "%s",
				 !o->url[0] ? "no provider" :
				 (!tls && !o->insecure) ?
					      "plain http refused" :
					      "cannot start the call");
		k->status = -1;
		if (!call_end(k))
			call_free(k);
		return;
	}
	k->next = o->calls;
	o->calls = k;
}

static int on_void_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	struct call *k = arg;
	struct online *o = k->o;
	struct call **pp;

	for (pp = &o->later; *pp && *pp != k; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = k->next;
	k->next = NULL;
	call_start(k, "/void");
	return 0;
}

/* k (a void that failed) again in ONLINE_VOID_RETRY seconds. */
static void void_later(struct call *k)
{
	struct online *o = k->o;

	if (!k->wait && evloop_timer(o->e, &k->wait,
				     ONLINE_VOID_RETRY * EVLOOP_USEC_PER_SEC, 0,
				     on_void_retry, k) < 0) {
		log_warnx("payment provider: cannot retry the void of %s: "
			  "release it at the provider by hand",
			  k->ref);
		call_free(k);
		return;
	}
	if (k->wait)
		evloop_timer_set(k->wait,
				 ONLINE_VOID_RETRY * EVLOOP_USEC_PER_SEC);
	k->next = o->later;
	o->later = k;
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

static struct call *call_new(struct online *o, enum call_kind kind,
			     const struct contract_rec *c, payment_done_fn done,
			     void *arg)
{
	struct call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->o = o;
	k->kind = kind;
	k->done = done;
	k->arg = arg;
	snprintf(k->ref, sizeof(k->ref), "muisp-%llu",
		 (unsigned long long)c->serial);
	return k;
}

static void online_authorize(const struct payment_method *self,
			     const struct contract_rec *c, const char *token,
			     payment_done_fn done, void *arg)
{
	struct online *o = online_of(self);
	struct call *k;

	if (!payment_online_enabled(self)) {
		done(arg, -1, "no payment provider configured");
		return;
	}
	if (!token_ok(token)) {
		done(arg, -1, "payment token missing or malformed");
		return;
	}
	k = call_new(o, CALL_AUTHORIZE, c, done, arg);
	if (!k) {
		done(arg, -1, "payment provider unreachable");
		return;
	}
	k->amount = c->deposit;
	snprintf(k->body, sizeof(k->body),
		 "{\"token\":\"%s\",\"amount\":%llu,"
		 "\"currency\":\"%s\",\"reference\":\"%s\"}",
		 token, (unsigned long long)c->deposit, o->currency, k->ref);
	call_start(k, "/authorize");
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
	struct call *k = call_new(online_of(self), CALL_CAPTURE, c, done, arg);

	if (!k) {
		done(arg, -1, NULL);
		return;
	}
	k->amount = c->deposit - refund;
	snprintf(k->id, sizeof(k->id), "%s", c->payref);
	snprintf(k->body, sizeof(k->body), "{\"id\":\"%s\",\"amount\":%llu}",
		 c->payref, (unsigned long long)k->amount);
	call_start(k, "/capture");
}

/* The authorisation auth of c will not be used: void it (retried in the
 * background until the provider confirms; done tells the first try). */
static void online_cancel(const struct payment_method *self,
			  const struct contract_rec *c, const char *auth,
			  payment_done_fn done, void *arg)
{
	char ref[32];

	snprintf(ref, sizeof(ref), "muisp-%llu", (unsigned long long)c->serial);
	void_start(online_of(self), ref, auth, done, arg);
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
	o->m.cancel = online_cancel;
	o->m.refund = online_refund;
	o->timeout_ms = 5000;
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

/* Calls still in flight end now, failed; voids not yet confirmed are
 * logged for the operator. */
void payment_online_free(struct payment_method *m)
{
	struct online *o;

	if (!m)
		return;
	o = online_of(m);
	while (o->calls || o->later) {
		struct call *k = o->calls ? o->calls : o->later;

		if (k == o->calls) {
			o->calls = k->next;
			curl_multi_remove_handle(o->multi, k->easy);
		} else {
			o->later = k->next;
		}
		if (k->kind == CALL_VOID)
			log_warnx("payment provider: %s not voided yet: "
				  "release it at the provider by hand",
				  k->ref);
		if (k->done)
			k->done(k->arg, -1,
				k->kind == CALL_AUTHORIZE ?
					"payment provider unreachable" :
					NULL);
		call_free(k);
	}
	if (o->multi)
		curl_multi_cleanup(o->multi);
	sd_event_source_unref(o->timer);
	sd_event_unref(o->e);
	curl_global_cleanup();
	free(o);
}
