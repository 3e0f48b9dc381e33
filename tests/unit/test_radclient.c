// SPDX-License-Identifier: GPL-2.0
/*
 * daemon/muispd/radclient.c against fake RADIUS servers on loopback, in
 * the same sd-event loop (UDP sockets answering with rad_finish_reply):
 * identical retransmissions with doubling timeouts, failover with a
 * rebuilt packet, dead -> Status-Server -> back to the first server, the
 * window, bad replies ignored and counted, the Access-Request time-out.
 * Short timeouts (100 to 300 ms); the loop runs until a condition, bounded by a
 * deadline that fails the test.  Then the radius-* keys of muispd.conf
 * (config.c), secret files included.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/muispd/config.h"
#include "daemon/muispd/muispd.h"
#include "daemon/muispd/radclient.h"
#include "lib/radius.h"

#define SECRET "s3cret-test"
#define T_MS   200 /* radius timeout in these tests */
#define MAXREC 64

/* ---------- a fake server ---------- */

enum mode {
	ANSWER,	    /* verified reply with a Message-Authenticator */
	DROP,	    /* say nothing */
	HOLD,	    /* keep the requests until release() */
	BAD_SECRET, /* reply signed with another secret */
	NO_MA,	    /* reply without Message-Authenticator */
	GARBAGE,    /* 7 bytes */
};

struct rec {
	uint8_t b[RAD_MAX_LEN];
	size_t len;
	uint64_t at_us;
};

struct fake {
	int fd;
	sd_event_source *io;
	char addr[64];
	enum mode mode;
	int drop_first;	   /* DROP this many, then mode */
	int answer_status; /* answer Status-Server even when dropping */
	int acct;	   /* an accounting server (Status-Server reply) */
	unsigned nrec, nstatus;
	struct rec rec[MAXREC]; /* requests (not Status-Server) */
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fake_reply(struct fake *f, const uint8_t *req, size_t len,
		       enum mode how)
{
	struct rad_pkt p;
	struct rad_buf r;
	uint8_t code;

	assert_int_equal(rad_parse(req, len, &p), 0);
	if (how == GARBAGE) {
		sendto(f->fd, "garbage", 7, 0, (struct sockaddr *)&f->peer,
		       f->peerlen);
		return;
	}
	code = f->acct ? RAD_ACCT_RESPONSE : RAD_ACCESS_ACCEPT;
	rad_init(&r, code, p.id);
	assert_int_equal(
		rad_finish_reply(
			&r, p.auth,
			(const uint8_t *)(how == BAD_SECRET ? "wrong" : SECRET),
			how == BAD_SECRET ? 5 : strlen(SECRET), how != NO_MA),
		0);
	assert_int_equal(sendto(f->fd, r.b, r.len, 0,
				(struct sockaddr *)&f->peer, f->peerlen),
			 (ssize_t)r.len);
}

static int fake_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct fake *f = arg;
	uint8_t b[RAD_MAX_LEN];
	struct rad_pkt p;
	ssize_t n;

	for (;;) {
		f->peerlen = sizeof(f->peer);
		n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&f->peer,
			     &f->peerlen);
		if (n < 0)
			return 0;
		assert_int_equal(rad_parse(b, (size_t)n, &p), 0);
		if (p.code == RAD_STATUS_SERVER) {
			/* signed like an Access-Request (RFC 5997 §3) */
			assert_int_equal(rad_verify_access_request(
						 &p, (const uint8_t *)SECRET,
						 strlen(SECRET), 1),
					 0);
			f->nstatus++;
			if (f->answer_status)
				fake_reply(f, b, (size_t)n, ANSWER);
			continue;
		}
		assert_true(f->nrec < MAXREC);
		memcpy(f->rec[f->nrec].b, b, (size_t)n);
		f->rec[f->nrec].len = (size_t)n;
		f->rec[f->nrec].at_us = mono_us();
		f->nrec++;
		if (f->drop_first > 0) {
			f->drop_first--;
			continue;
		}
		if (f->mode != DROP && f->mode != HOLD)
			fake_reply(f, b, (size_t)n, f->mode);
	}
}

static void fake_open(struct fake *f, sd_event *ev, int v6, int acct)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	memset(f, 0, sizeof(*f));
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	f->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&ss, &len), 0);
	if (v6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
			  host, sizeof(host));
		snprintf(f->addr, sizeof(f->addr), "[%s]:%u", host,
			 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%u",
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	f->acct = acct;
	f->answer_status = 1;
	assert_true(sd_event_add_io(ev, &f->io, f->fd, EPOLLIN, fake_io, f) >=
		    0);
}

static void fake_close(struct fake *f)
{
	sd_event_source_disable_unref(f->io);
	close(f->fd);
}

/* Answer every request held so far. */
static void fake_release(struct fake *f, unsigned from)
{
	for (unsigned i = from; i < f->nrec; i++)
		fake_reply(f, f->rec[i].b, f->rec[i].len, ANSWER);
}

/* ---------- the client's side ---------- */

struct call {
	unsigned builds, done;
	int result;
	uint8_t reply_code;
	uint64_t now_seen; /* build's `now` */
	uint32_t event_ts; /* Delay-Time = now - event_ts */
	int fail_build;
	int order; /* done's rank */
	int *ranks;
};

static uint64_t wall = 1000000;

static uint64_t test_now(void *arg)
{
	return wall;
}

static int build(void *arg, struct rad_buf *p, uint64_t now)
{
	struct call *c = arg;

	c->builds++;
	c->now_seen = now;
	if (c->fail_build)
		return -1;
	if (p->b[0] == RAD_ACCESS_REQUEST)
		return rad_put_str(p, RAD_USER_NAME, "u@partner.example");
	if (rad_put_u32(p, RAD_ACCT_STATUS_TYPE, RAD_STATUS_INTERIM) ||
	    rad_put_str(p, RAD_ACCT_SESSION_ID, "0000beef-1-1") ||
	    rad_put_u32(p, RAD_ACCT_DELAY_TIME, (uint32_t)(now - c->event_ts)))
		return -1;
	return 0;
}

static int in_send; /* done must never run inside radclient_send */

static void done(void *arg, int result, const struct rad_pkt *reply)
{
	struct call *c = arg;

	assert_false(in_send);
	c->done++;
	c->result = result;
	c->reply_code = reply ? reply->code : 0;
	if (c->ranks)
		c->order = ++*c->ranks;
	if (result == RADCLIENT_REPLY)
		assert_non_null(reply);
	else
		assert_null(reply);
}

static struct radclient_req *send_req(struct radclient *rc, uint8_t code,
				      const char *pw, struct call *c)
{
	struct radclient_req *r;

	in_send = 1;
	r = radclient_send(rc, code, pw, build, done, c);
	in_send = 0;
	assert_non_null(r);
	assert_int_equal(c->done, 0);
	return r;
}

struct fix {
	sd_event *ev;
	struct radius_conf conf;
	struct fake srv[2];
	struct radclient *rc;
};

static void conf_init(struct radius_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = T_MS;
	c->retries = 2;
	c->dead_s = 1;
	c->window = 64;
	c->auth_timeout_s = 1;
	c->require_ma = 1;
}

static void add_server(struct radius_conf *c, int acct, const char *addr)
{
	struct rad_server *s = acct ? &c->acct[c->nacct++] :
				      &c->auth[c->nauth++];

	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	memcpy(s->secret, SECRET, strlen(SECRET));
	s->seclen = strlen(SECRET);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(sd_event_new(&f->ev) >= 0);
	conf_init(&f->conf);
	wall = 1000000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	radclient_free(f->rc);
	for (int i = 0; i < 2; i++)
		if (f->srv[i].io)
			fake_close(&f->srv[i]);
	sd_event_unref(f->ev);
	free(f);
	return 0;
}

/* Run the loop until *n is at least want; fail after ms. */
static void run_until(struct fix *f, const unsigned *n, unsigned want,
		      unsigned ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000;

	while (*n < want) {
		assert_true(mono_us() < end);
		assert_true(sd_event_run(f->ev, 10000) >= 0);
	}
}

/* Run the loop for ms, whatever happens (negative checks). */
static int stop_cb(sd_event_source *s, uint64_t usec, void *arg)
{
	*(int *)arg = 1;
	return 0;
}

static void run_for(struct fix *f, unsigned ms)
{
	sd_event_source *t;
	int fired = 0;
	uint64_t now;

	assert_true(sd_event_now(f->ev, CLOCK_MONOTONIC, &now) >= 0);
	assert_true(sd_event_add_time(f->ev, &t, CLOCK_MONOTONIC,
				      now + (uint64_t)ms * 1000, 1000, stop_cb,
				      &fired) >= 0);
	while (!fired)
		assert_true(sd_event_run(f->ev, (uint64_t)-1) >= 0);
	sd_event_source_unref(t);
}

static uint64_t counter;
static const char *counter_want;

static void counter_cb(void *arg, const char *name, uint64_t v)
{
	if (!strcmp(name, counter_want))
		counter = v;
	(*(unsigned *)arg)++;
}

static uint64_t ctr(struct radclient *rc, const char *name)
{
	char full[64];
	unsigned n = 0;

	snprintf(full, sizeof(full), "x.%s", name);
	counter = UINT64_MAX;
	counter_want = full;
	radclient_counters(rc, "x.", counter_cb, &n);
	assert_true(n > 5);
	assert_int_not_equal(counter, UINT64_MAX); /* the name exists */
	return counter;
}

static void run_until_ctr(struct fix *f, const char *name, uint64_t want,
			  unsigned ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000;

	while (ctr(f->rc, name) < want) {
		assert_true(mono_us() < end);
		assert_true(sd_event_run(f->ev, 10000) >= 0);
	}
}

/* Request i that server k received, parsed. */
static void rec_pkt(struct fix *f, int k, unsigned i, struct rad_pkt *p)
{
	assert_true(i < f->srv[k].nrec);
	assert_int_equal(rad_parse(f->srv[k].rec[i].b, f->srv[k].rec[i].len, p),
			 0);
}

/* Two accounting servers in that order, saying nothing (DROP). */
static void two_silent(struct fix *f)
{
	for (int k = 0; k < 2; k++) {
		fake_open(&f->srv[k], f->ev, 0, 1);
		f->srv[k].mode = DROP;
		f->srv[k].answer_status = 0;
		add_server(&f->conf, 1, f->srv[k].addr);
	}
}

static uint32_t attr_u32(const struct rec *r, uint8_t type)
{
	struct rad_pkt p;
	uint32_t v = 0;

	assert_int_equal(rad_parse(r->b, r->len, &p), 0);
	assert_int_equal(rad_find_u32(&p, type, &v), 0);
	return v;
}

static void new_client(struct fix *f, int acct)
{
	assert_int_equal(radclient_new(&f->rc, f->ev, &f->conf, acct, test_now,
				       NULL),
			 0);
}

/* ---------- tests ---------- */

/* An Accounting-Request: MD5 authenticator, Message-Authenticator, the
 * build's attributes; the verified Accounting-Response completes it. */
static void test_acct_reply(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	struct rad_pkt p;

	fake_open(&f->srv[0], f->ev, 0, 1);
	add_server(&f->conf, 1, f->srv[0].addr);
	new_client(f, 1);
	c.event_ts = (uint32_t)wall - 3;
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	assert_int_equal(radclient_pending(f->rc), 1);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.reply_code, RAD_ACCT_RESPONSE);
	assert_int_equal(c.builds, 1);
	assert_int_equal(f->srv[0].nrec, 1);
	rec_pkt(f, 0, 0, &p);
	assert_int_equal(p.code, RAD_ACCT_REQUEST);
	assert_int_equal(rad_verify_request(&p, (const uint8_t *)SECRET,
					    strlen(SECRET), 1),
			 0);
	assert_int_equal(attr_u32(&f->srv[0].rec[0], RAD_ACCT_DELAY_TIME), 3);
	assert_int_equal(radclient_pending(f->rc), 0);
	assert_int_equal(ctr(f->rc, "sent"), 1);
	assert_int_equal(ctr(f->rc, "acked"), 1);
	assert_int_equal(ctr(f->rc, "retransmitted"), 0);
	assert_int_equal(ctr(f->rc, "bad_replies"), 0);
}

/* Over IPv6, and an Access-Request: the password is hidden with the
 * request's authenticator, Message-Authenticator present. */
static void test_access_ipv6(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	struct rad_pkt p;
	char pw[64];

	fake_open(&f->srv[0], f->ev, 1, 0);
	assert_non_null(strchr(f->srv[0].addr, '['));
	add_server(&f->conf, 0, f->srv[0].addr);
	new_client(f, 0);
	send_req(f->rc, RAD_ACCESS_REQUEST, "pass word", &c);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.reply_code, RAD_ACCESS_ACCEPT);
	rec_pkt(f, 0, 0, &p);
	assert_int_equal(rad_verify_access_request(&p, (const uint8_t *)SECRET,
						   strlen(SECRET), 1),
			 0);
	assert_int_equal(rad_password_reveal(&p, (const uint8_t *)SECRET,
					     strlen(SECRET), pw, sizeof(pw)),
			 0);
	assert_string_equal(pw, "pass word");
	assert_int_equal(ctr(f->rc, "accepted"), 1);
}

/* No answer to the first two: the same bytes again after T, then 2T. */
static void test_retransmit_identical(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	uint64_t g1, g2;

	fake_open(&f->srv[0], f->ev, 0, 1);
	f->srv[0].drop_first = 2;
	add_server(&f->conf, 1, f->srv[0].addr);
	f->conf.timeout_ms = 100;
	new_client(f, 1);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	wall += 5; /* a retransmission is not rebuilt */
	run_until(f, &c.done, 1, 3000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.builds, 1);
	assert_int_equal(f->srv[0].nrec, 3);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(f->srv[0].rec[i].len, f->srv[0].rec[0].len);
		assert_memory_equal(f->srv[0].rec[i].b, f->srv[0].rec[0].b,
				    f->srv[0].rec[0].len);
	}
	g1 = f->srv[0].rec[1].at_us - f->srv[0].rec[0].at_us;
	g2 = f->srv[0].rec[2].at_us - f->srv[0].rec[1].at_us;
	assert_true(g1 >= 95000);  /* T = 100 ms */
	assert_true(g2 >= 195000); /* 2T */
	assert_int_equal(ctr(f->rc, "retransmitted"), 2);
	assert_int_equal(ctr(f->rc, "sent"), 1);
	assert_int_equal(ctr(f->rc, "dead"), 0);
}

/* The first server never answers: after 1 + retries transmissions it is
 * dead and the request is rebuilt for the second (new authenticator, new
 * Delay-Time), which answers. */
static void test_failover_rebuild(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	struct rad_pkt pa, pb;

	two_silent(f);
	f->srv[1].mode = ANSWER;
	f->conf.retries = 1;
	f->conf.dead_s = 60;
	new_client(f, 1);
	c.event_ts = (uint32_t)wall;
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until(f, &f->srv[0].nrec, 1, 2000);
	wall += 7;
	run_until(f, &c.done, 1, 3000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(f->srv[0].nrec, 2); /* 1 + retries */
	assert_int_equal(f->srv[1].nrec, 1);
	assert_int_equal(c.builds, 2);
	assert_int_equal(attr_u32(&f->srv[0].rec[0], RAD_ACCT_DELAY_TIME), 0);
	assert_int_equal(attr_u32(&f->srv[1].rec[0], RAD_ACCT_DELAY_TIME), 7);
	rec_pkt(f, 0, 0, &pa);
	rec_pkt(f, 1, 0, &pb);
	assert_memory_not_equal(pa.auth, pb.auth, RAD_AUTH_LEN);
	assert_int_equal(ctr(f->rc, "failovers"), 1);
	assert_int_equal(ctr(f->rc, "dead"), 1);
	assert_int_equal(ctr(f->rc, "timeouts"), 1);
	assert_int_equal(ctr(f->rc, "servers_up"), 1);
	/* the next request goes straight to the second */
	memset(&c, 0, sizeof(c));
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(f->srv[0].nrec, 2);
	assert_int_equal(f->srv[1].nrec, 2);
}

/* The first server silent, the second answers: the first is dead; once
 * it answers Status-Server again, new requests go to it. */
static void test_dead_probe_back(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 }, c2 = { 0 };

	two_silent(f);
	f->srv[1].mode = ANSWER;
	f->conf.retries = 0;
	f->conf.dead_s = 1;
	new_client(f, 1);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(f->srv[1].nrec, 1);
	assert_int_equal(ctr(f->rc, "dead"), 1);
	assert_int_equal(ctr(f->rc, "servers_up"), 1);
	/* the first probe (1 s +- 25 %) is not answered, the next one is */
	run_until(f, &f->srv[0].nstatus, 1, 3000);
	assert_int_equal(ctr(f->rc, "alive"), 0);
	f->srv[0].mode = ANSWER;
	f->srv[0].answer_status = 1;
	run_until_ctr(f, "alive", 1, 4000);
	assert_int_equal(f->srv[0].nstatus, 2);
	assert_int_equal(f->srv[0].nrec, 1); /* only the first try */
	assert_int_equal(ctr(f->rc, "servers_up"), 2);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c2);
	run_until(f, &c2.done, 1, 2000);
	assert_int_equal(f->srv[0].nrec, 2);
	assert_int_equal(f->srv[1].nrec, 1);
	assert_int_equal(ctr(f->rc, "probes"), 2);
}

/* The only server, dead, and it ignores Status-Server: the request waits
 * (accounting); the second probe is the request itself, rebuilt (a new
 * Identifier), and its answer brings the server back. */
static void test_dead_probe_request(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	struct rad_pkt p0, p1;

	fake_open(&f->srv[0], f->ev, 0, 1);
	f->srv[0].mode = DROP;
	f->srv[0].answer_status = 0;
	add_server(&f->conf, 1, f->srv[0].addr);
	f->conf.retries = 0;
	f->conf.dead_s = 1;
	new_client(f, 1);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until_ctr(f, "dead", 1, 2000);
	assert_int_equal(radclient_ready(f->rc), 0);
	run_until(f, &f->srv[0].nstatus, 1, 3000); /* unanswered */
	assert_int_equal(c.done, 0);
	assert_int_equal(radclient_pending(f->rc), 1);
	f->srv[0].mode = ANSWER; /* but still no Status-Server */
	run_until(f, &c.done, 1, 5000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(f->srv[0].nstatus, 1);
	assert_int_equal(f->srv[0].nrec, 2);
	assert_int_equal(c.builds, 2);
	rec_pkt(f, 0, 0, &p0);
	rec_pkt(f, 0, 1, &p1);
	assert_int_not_equal(p0.id, p1.id);
	assert_int_equal(ctr(f->rc, "alive"), 1);
	assert_int_equal(ctr(f->rc, "probes"), 2);
	assert_int_equal(radclient_ready(f->rc), 1);
}

/* A window of 2: the third request waits until a reply frees a place;
 * replies complete the requests in order. */
static void test_window(void **state)
{
	struct fix *f = *state;
	struct call c[5];
	int rank = 0;

	memset(c, 0, sizeof(c));
	fake_open(&f->srv[0], f->ev, 0, 1);
	f->srv[0].mode = HOLD;
	add_server(&f->conf, 1, f->srv[0].addr);
	f->conf.window = 2;
	f->conf.timeout_ms = 2000;
	new_client(f, 1);
	assert_int_equal(radclient_ready(f->rc), 1);
	for (int i = 0; i < 5; i++) {
		c[i].ranks = &rank;
		send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c[i]);
	}
	assert_int_equal(radclient_ready(f->rc), 0);
	run_until(f, &f->srv[0].nrec, 2, 2000);
	run_for(f, 100);
	assert_int_equal(f->srv[0].nrec, 2);
	assert_int_equal(radclient_pending(f->rc), 5);
	assert_int_equal(ctr(f->rc, "sent"), 2);
	f->srv[0].mode = ANSWER;
	fake_release(&f->srv[0], 0);
	run_until(f, &c[4].done, 1, 2000);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(c[i].done, 1);
		assert_int_equal(c[i].order, i + 1);
	}
	assert_int_equal(f->srv[0].nrec, 5);
	assert_int_equal(ctr(f->rc, "retransmitted"), 0);
	assert_int_equal(radclient_ready(f->rc), 1);
}

/* A reply signed with another secret, a datagram that is no RADIUS and an
 * Access-Accept without Message-Authenticator are ignored and counted;
 * the request completes with the good reply to its retransmission. */
static void test_bad_reply(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };

	fake_open(&f->srv[0], f->ev, 0, 0);
	add_server(&f->conf, 0, f->srv[0].addr);
	f->conf.timeout_ms = 150;
	f->conf.retries = 3;
	f->conf.auth_timeout_s = 10;
	new_client(f, 0);
	f->srv[0].mode = BAD_SECRET;
	send_req(f->rc, RAD_ACCESS_REQUEST, "pw", &c);
	run_until(f, &f->srv[0].nrec, 1, 2000);
	run_until_ctr(f, "bad_replies", 1, 2000);
	assert_int_equal(c.done, 0);
	f->srv[0].mode = GARBAGE;
	run_until(f, &f->srv[0].nrec, 2, 2000);
	run_until_ctr(f, "bad_replies", 2, 2000);
	f->srv[0].mode = NO_MA;
	run_until(f, &f->srv[0].nrec, 3, 2000);
	run_until_ctr(f, "bad_replies", 3, 2000);
	assert_int_equal(c.done, 0);
	f->srv[0].mode = ANSWER;
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.reply_code, RAD_ACCESS_ACCEPT);
	assert_int_equal(ctr(f->rc, "bad_replies"), 3);
	assert_int_equal(ctr(f->rc, "accepted"), 1);
}

/* Without radius-require-message-authenticator, an Accept without one is
 * taken. */
static void test_ma_not_required(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };

	fake_open(&f->srv[0], f->ev, 0, 0);
	add_server(&f->conf, 0, f->srv[0].addr);
	f->conf.require_ma = 0;
	new_client(f, 0);
	f->srv[0].mode = NO_MA;
	send_req(f->rc, RAD_ACCESS_REQUEST, "pw", &c);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(ctr(f->rc, "bad_replies"), 0);
}

/* Every server silent: an Access-Request gives up after auth-timeout. */
static void test_auth_timeout(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	uint64_t t0 = mono_us(), dt;

	fake_open(&f->srv[0], f->ev, 0, 0);
	f->srv[0].mode = DROP;
	add_server(&f->conf, 0, f->srv[0].addr);
	f->conf.retries = 1;
	f->conf.dead_s = 30;
	new_client(f, 0);
	send_req(f->rc, RAD_ACCESS_REQUEST, "pw", &c);
	run_until(f, &c.done, 1, 3000);
	dt = mono_us() - t0;
	assert_int_equal(c.result, RADCLIENT_TIMEOUT);
	assert_true(dt >= 950000 && dt < 2000000); /* auth-timeout 1 s */
	assert_int_equal(ctr(f->rc, "gave_up"), 1);
	assert_int_equal(ctr(f->rc, "dead"), 1);
	assert_int_equal(radclient_pending(f->rc), 0);
}

/* A build that gives up: done(TIMEOUT), after radclient_send returned;
 * a cancelled request never completes. */
static void test_build_fail_cancel(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 }, c2 = { 0 };
	struct radclient_req *r;

	fake_open(&f->srv[0], f->ev, 0, 1);
	f->srv[0].mode = HOLD;
	add_server(&f->conf, 1, f->srv[0].addr);
	new_client(f, 1);
	c.fail_build = 1;
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	r = send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c2);
	run_until(f, &f->srv[0].nrec, 1, 2000);
	assert_int_equal(c.done, 1);
	assert_int_equal(c.result, RADCLIENT_TIMEOUT);
	radclient_cancel(r);
	assert_int_equal(radclient_pending(f->rc), 0);
	fake_release(&f->srv[0], 0); /* a reply to nothing: counted */
	run_until_ctr(f, "bad_replies", 1, 2000);
	assert_int_equal(c2.done, 0);
}

/* Reconfiguration: a request in flight restarts on the new server. */
static void test_reconf(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };
	struct radius_conf nc;

	fake_open(&f->srv[0], f->ev, 0, 1);
	fake_open(&f->srv[1], f->ev, 0, 1);
	f->srv[0].mode = HOLD;
	add_server(&f->conf, 1, f->srv[0].addr);
	f->conf.timeout_ms = 2000;
	new_client(f, 1);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until(f, &f->srv[0].nrec, 1, 2000);
	conf_init(&nc);
	add_server(&nc, 1, f->srv[1].addr);
	assert_int_equal(radclient_reconf(f->rc, &nc), 0);
	run_until(f, &c.done, 1, 2000);
	assert_int_equal(f->srv[1].nrec, 1);
	assert_int_equal(c.builds, 2);
	/* a bad address keeps the old servers */
	conf_init(&nc);
	add_server(&nc, 1, "example.org:1813");
	assert_int_equal(radclient_reconf(f->rc, &nc), -1);
	assert_int_equal(ctr(f->rc, "servers"), 1);
}

/* ---------- against a real FreeRADIUS (tests/radius/radclient.sh) ----------
 * Only when MUISP_FR_PID (its process), MUISP_FR_HOST and MUISP_FR_SECRET
 * are set: the visited server of tests/radius/fr.sh. */

static void fr_conf(struct fix *f, int acct)
{
	struct rad_server *s = acct ? &f->conf.acct[f->conf.nacct++] :
				      &f->conf.auth[f->conf.nauth++];

	snprintf(s->addr, sizeof(s->addr), "%s:%s", getenv("MUISP_FR_HOST"),
		 acct ? "1813" : "1812");
	s->seclen = strlen(getenv("MUISP_FR_SECRET"));
	memcpy(s->secret, getenv("MUISP_FR_SECRET"), s->seclen);
	f->conf.timeout_ms = 300;
	f->conf.auth_timeout_s = 10;
}

static const char *fr_user;

static int fr_build_auth(void *arg, struct rad_buf *p, uint64_t now)
{
	struct call *c = arg;

	c->builds++;
	if (rad_put_str(p, RAD_USER_NAME, fr_user) ||
	    rad_put_str(p, RAD_NAS_IDENTIFIER, "radclient-test"))
		return -1;
	return 0;
}

/* FreeRADIUS answers an Accounting-Request (Accounting-Response). */
static void test_fr_acct(void **state)
{
	struct fix *f = *state;
	struct call c = { 0 };

	fr_conf(f, 1);
	new_client(f, 1);
	c.event_ts = (uint32_t)wall;
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until(f, &c.done, 1, 5000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.reply_code, RAD_ACCT_RESPONSE);
	assert_int_equal(ctr(f->rc, "bad_replies"), 0);
}

/* Access-Requests: a local user accepted (the Accept carries the
 * Message-Authenticator we require), a wrong password rejected, a roaming
 * user accepted through the proxy to the home server, a refused one. */
static void test_fr_auth(void **state)
{
	struct fix *f = *state;
	static const struct {
		const char *user, *pass;
		uint8_t code;
	} cases[] = {
		{ "local1", "localpw", RAD_ACCESS_ACCEPT },
		{ "local1", "wrong", RAD_ACCESS_REJECT },
		{ "u@partner.example", "roampw", RAD_ACCESS_ACCEPT },
		{ "bad@partner.example", "x", RAD_ACCESS_REJECT },
	};

	fr_conf(f, 0);
	new_client(f, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct call c = { 0 };

		fr_user = cases[i].user;
		in_send = 1;
		assert_non_null(radclient_send(f->rc, RAD_ACCESS_REQUEST,
					       cases[i].pass, fr_build_auth,
					       done, &c));
		in_send = 0;
		run_until(f, &c.done, 1, 8000);
		assert_int_equal(c.result, RADCLIENT_REPLY);
		if (c.reply_code != cases[i].code)
			fail_msg("%s: reply %u", fr_user, c.reply_code);
	}
	assert_int_equal(ctr(f->rc, "bad_replies"), 0);
	assert_int_equal(ctr(f->rc, "accepted"), 2);
	assert_int_equal(ctr(f->rc, "rejected"), 2);
}

/* FreeRADIUS stopped (SIGSTOP): its server is marked dead, the record
 * waits; continued, it answers the Status-Server probe, then the rebuilt
 * record. */
static void test_fr_probe(void **state)
{
	struct fix *f = *state;
	pid_t pid = (pid_t)atoi(getenv("MUISP_FR_PID"));
	struct call c = { 0 };

	assert_true(pid > 1);
	fr_conf(f, 1);
	f->conf.timeout_ms = 100;
	f->conf.retries = 1;
	f->conf.dead_s = 1;
	new_client(f, 1);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	send_req(f->rc, RAD_ACCT_REQUEST, NULL, &c);
	run_until_ctr(f, "dead", 1, 2000);
	assert_int_equal(c.done, 0);
	assert_int_equal(kill(pid, SIGCONT), 0);
	run_until(f, &c.done, 1, 5000);
	assert_int_equal(c.result, RADCLIENT_REPLY);
	assert_int_equal(c.reply_code, RAD_ACCT_RESPONSE);
	assert_int_equal(c.builds, 2);
	assert_int_equal(ctr(f->rc, "alive"), 1);
	assert_true(ctr(f->rc, "probes") >= 1);
}

/* ---------- radius-* keys of muispd.conf ---------- */

static char tdir[] = "/tmp/test_radclient.XXXXXX";

static const char *secret_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static const char base[] = "price elapsed voucher ah 200 3600\n";

/* Parse base + text: 0 or -1 with err. */
static int parse(const char *text, struct muispd_conf *c, char *err,
		 size_t errlen)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", base, text);
	conf_defaults(c);
	return conf_parse("t.conf", buf, c, err, errlen);
}

static void refused(const char *text, const char *why)
{
	struct muispd_conf c;
	char err[512];

	if (parse(text, &c, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(err, why))
		fail_msg("'%s': error '%s' lacks '%s'", text, err, why);
	assert_null(strstr(err, "topsecret"));
}

static void test_conf_defaults(void **state)
{
	struct muispd_conf c;
	char err[256];

	assert_int_equal(parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.radius.timeout_ms, 3000);
	assert_int_equal(c.radius.retries, 3);
	assert_int_equal(c.radius.dead_s, 10);
	assert_int_equal(c.radius.window, 64);
	assert_int_equal(c.radius.auth_timeout_s, 10);
	assert_int_equal(c.radius.interim_s, 300);
	assert_int_equal(c.radius.interim_jitter_s, 30);
	assert_int_equal(c.radius.interim_min_s, 60);
	assert_int_equal(c.radius.spool_max, 100000);
	assert_int_equal(c.radius.keep_days, 400);
	assert_int_equal(c.radius.stop_wait_s, 5);
	assert_int_equal(c.radius.require_ma, 1);
	assert_int_equal(c.radius.dae_window_s, 300);
	assert_int_equal(c.radius.dae_require_ma, 0);
	assert_int_equal(c.radius.nauth + c.radius.nacct + c.radius.ndae, 0);
	assert_false(radius_acct_on(&c.radius));
}

static void test_conf_values(void **state)
{
	struct muispd_conf c;
	char err[512];

	assert_int_equal(parse("radius-nas-identifier hotspot-1\n"
			       "radius-nas-ip 192.0.2.1\n"
			       "radius-timeout 5\n"
			       "radius-retries 0\n"
			       "radius-dead-time 20\n"
			       "radius-window 255\n"
			       "radius-auth-timeout 7\n"
			       "radius-interim 2\n"
			       "radius-interim-jitter 0\n"
			       "radius-interim-min 2\n"
			       "radius-spool-max 1000\n"
			       "radius-keep 30\n"
			       "radius-stop-wait 0\n"
			       "radius-require-message-authenticator no\n"
			       "radius-dae-listen [::]:3799\n"
			       "radius-dae-window 0\n"
			       "radius-dae-require-message-authenticator yes\n"
			       "radius-roam-realms partner.example b-2.org\n"
			       "radius-roam-realms third.example\n",
			       &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.radius.nas_identifier, "hotspot-1");
	assert_string_equal(c.radius.nas_ip, "192.0.2.1");
	assert_int_equal(c.radius.timeout_ms, 5000);
	assert_int_equal(c.radius.retries, 0);
	assert_int_equal(c.radius.dead_s, 20);
	assert_int_equal(c.radius.window, 255);
	assert_int_equal(c.radius.auth_timeout_s, 7);
	assert_int_equal(c.radius.interim_s, 2);
	assert_int_equal(c.radius.interim_jitter_s, 0);
	assert_int_equal(c.radius.interim_min_s, 2);
	assert_int_equal(c.radius.spool_max, 1000);
	assert_int_equal(c.radius.keep_days, 30);
	assert_int_equal(c.radius.stop_wait_s, 0);
	assert_int_equal(c.radius.require_ma, 0);
	assert_string_equal(c.radius.dae_listen, "[::]:3799");
	assert_int_equal(c.radius.dae_window_s, 0);
	assert_int_equal(c.radius.dae_require_ma, 1);
	assert_int_equal(c.radius.nrealms, 3);
	assert_string_equal(c.radius.realms[1], "b-2.org");
	assert_string_equal(c.radius.realms[2], "third.example");
	assert_int_equal(
		parse("radius-nas-ip 2001:db8::1\n", &c, err, sizeof(err)), 0);

	refused("radius-timeout 0\n", "not in 1..60");
	refused("radius-timeout 61\n", "not in 1..60");
	refused("radius-retries 11\n", "radius-retries");
	refused("radius-dead-time 0\n", "radius-dead-time");
	refused("radius-window 0\n", "radius-window");
	refused("radius-window 256\n", "radius-window");
	refused("radius-auth-timeout 0\n", "radius-auth-timeout");
	refused("radius-interim 0\n", "radius-interim");
	refused("radius-interim 30\n", "below radius-interim-min");
	refused("radius-interim-jitter 3601\n", "radius-interim-jitter");
	refused("radius-interim-min 0\n", "radius-interim-min");
	refused("radius-spool-max 99\n", "radius-spool-max");
	refused("radius-keep 0\n", "radius-keep");
	refused("radius-stop-wait 301\n", "radius-stop-wait");
	refused("radius-require-message-authenticator maybe\n",
		"radius-require-message-authenticator");
	refused("radius-dae-window -1\n", "radius-dae-window");
	refused("radius-dae-require-message-authenticator 2\n",
		"radius-dae-require-message-authenticator");
	refused("radius-nas-ip hotspot\n", "numeric");
	refused("radius-nas-ip\n", "expected 1 argument");
	refused("radius-dae-listen 0.0.0.0\n", "IPV4:PORT");
	refused("radius-dae-listen 0.0.0.0:0\n", "port");
	refused("radius-roam-realms\n", "expected REALM");
	refused("radius-roam-realms bad/realm\n", "letters, digits");
	refused("radius-roam-realms .x\n", "not a domain name");
	refused("radius-roam-realms a b c d e f g h i j k l m n o\n"
		"radius-roam-realms p q\n",
		"at most 16");
	refused("radius-nosuch 1\n", "unknown keyword");
}

static void test_conf_servers(void **state)
{
	struct muispd_conf c;
	char text[1024], err[512];
	const char *p;

	p = secret_file("good", "topsecret\n", 0600);
	snprintf(text, sizeof(text),
		 "radius-auth-server 10.0.0.5:1812 %s\n"
		 "radius-acct-server 10.0.0.5:1813 %s\n"
		 "radius-acct-server [2001:db8::5]:1813 %s\n"
		 "radius-dae-client 10.0.0.5 %s\n"
		 "radius-dae-client 2001:db8::5 %s\n",
		 p, p, p, p, p);
	assert_int_equal(parse(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.radius.nauth, 1);
	assert_int_equal(c.radius.nacct, 2);
	assert_int_equal(c.radius.ndae, 2);
	assert_true(radius_acct_on(&c.radius));
	assert_string_equal(c.radius.acct[1].addr, "[2001:db8::5]:1813");
	assert_string_equal(c.radius.acct[1].secret_file, p);
	assert_int_equal(c.radius.acct[1].seclen, 9);
	assert_memory_equal(c.radius.acct[1].secret, "topsecret", 9);
	assert_string_equal(c.radius.dae[1].addr, "2001:db8::5");
	/* without the final newline too, 128 bytes at most */
	p = secret_file("nonl", "topsecret", 0400);
	snprintf(text, sizeof(text), "radius-acct-server 10.0.0.5:1813 %s\n",
		 p);
	assert_int_equal(parse(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.radius.acct[0].seclen, 9);
	{
		char big[131];

		memset(big, 'x', 128);
		strcpy(big + 128, "\n");
		p = secret_file("128", big, 0600);
		snprintf(text, sizeof(text),
			 "radius-acct-server 10.0.0.5:1813 %s\n", p);
		assert_int_equal(parse(text, &c, err, sizeof(err)), 0);
		assert_int_equal(c.radius.acct[0].seclen, 128);
		memset(big, 'x', 129);
		big[129] = '\0';
		p = secret_file("129", big, 0600);
		snprintf(text, sizeof(text),
			 "radius-acct-server 10.0.0.5:1813 %s\n", p);
		refused(text, "1 to 128 bytes");
	}

#define SERVER_REFUSED(file, why)                                          \
	do {                                                               \
		snprintf(text, sizeof(text),                               \
			 "radius-acct-server 10.0.0.5:1813 %s\n", (file)); \
		refused(text, why);                                        \
	} while (0)
	SERVER_REFUSED(secret_file("g", "topsecret\n", 0640),
		       "secret: group or others may access it (mode 0640): "
		       "chmod 600 it");
	SERVER_REFUSED(secret_file("o", "topsecret\n", 0604),
		       "group or others may access it (mode 0604)");
	SERVER_REFUSED(secret_file("empty", "", 0600), "1 to 128 bytes");
	SERVER_REFUSED(secret_file("nl", "\n", 0600), "1 to 128 bytes");
	SERVER_REFUSED(secret_file("two", "topsecret\nmore\n", 0600),
		       "one line");
	SERVER_REFUSED(secret_file("cr", "topsecret\r\n", 0600), "one line");
	SERVER_REFUSED(tdir, "not a regular file");
	SERVER_REFUSED("/nonexistent/secret", "No such file");
	if (geteuid() == 0) {
		p = secret_file("other", "topsecret\n", 0600);
		assert_int_equal(chown(p, 65534, 65534), 0);
		SERVER_REFUSED(p, "owned by another user");
	}
#undef SERVER_REFUSED
	p = secret_file("good", "topsecret\n", 0600);
	snprintf(text, sizeof(text), "radius-auth-server 10.0.0.5 %s\n", p);
	refused(text, "IPV4:PORT");
	snprintf(text, sizeof(text), "radius-auth-server ::1:1812 %s\n", p);
	refused(text, "IPV4:PORT");
	snprintf(text, sizeof(text),
		 "radius-auth-server radius.example:1812 %s\n", p);
	refused(text, "numeric IPv4");
	snprintf(text, sizeof(text), "radius-auth-server [::1:1812 %s\n", p);
	refused(text, "[IPV6]:PORT");
	snprintf(text, sizeof(text), "radius-auth-server [zz]:1812 %s\n", p);
	refused(text, "numeric IPv6");
	snprintf(text, sizeof(text), "radius-auth-server 10.0.0.5:65536 %s\n",
		 p);
	refused(text, "port not in 1..65535");
	snprintf(text, sizeof(text), "radius-auth-server 10.0.0.5:1812\n");
	refused(text, "expected 2 arguments");
	snprintf(text, sizeof(text), "radius-dae-client 10.0.0.5:3799 %s\n", p);
	refused(text, "numeric IPv4 or IPv6");
	snprintf(text, sizeof(text),
		 "radius-acct-server 10.0.0.5:1813 %s\n"
		 "radius-acct-server 10.0.0.5:1813 %s\n",
		 p, p);
	refused(text, "listed twice");
	snprintf(text, sizeof(text),
		 "radius-acct-server 10.0.0.1:1813 %s\n"
		 "radius-acct-server 10.0.0.2:1813 %s\n"
		 "radius-acct-server 10.0.0.3:1813 %s\n"
		 "radius-acct-server 10.0.0.4:1813 %s\n"
		 "radius-acct-server 10.0.0.5:1813 %s\n",
		 p, p, p, p, p);
	refused(text, "at most 4");
}

static int conf_setup(void **state)
{
	assert_non_null(mkdtemp(tdir));
	return 0;
}

static int conf_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest client[] = {
		cmocka_unit_test_setup_teardown(test_acct_reply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_access_ipv6, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_identical,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_rebuild, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dead_probe_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dead_probe_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_reply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ma_not_required, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_auth_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_build_fail_cancel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconf, setup, teardown),
	};
	const struct CMUnitTest conf[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_conf_servers),
	};
	const struct CMUnitTest fr[] = {
		cmocka_unit_test_setup_teardown(test_fr_acct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fr_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fr_probe, setup, teardown),
	};
	int n;

	/* tests/radius/radclient.sh: against FreeRADIUS only */
	if (getenv("MUISP_FR_PID") && getenv("MUISP_FR_HOST") &&
	    getenv("MUISP_FR_SECRET"))
		return cmocka_run_group_tests_name("radclient freeradius", fr,
						   NULL, NULL);
	n = cmocka_run_group_tests_name("radclient", client, NULL, NULL);
	return n + cmocka_run_group_tests_name("radius conf", conf, conf_setup,
					       conf_teardown);
}
