// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting spool's sender (daemon/muispd/acct_spool.c) on a real
 * sd-event loop and a temporary SQLite store, with the RADIUS client
 * played by the test: radclient_send() builds the packet at once (as the
 * real one does before its first transmission) and keeps the request
 * until the test answers it (an Accounting-Response, another code, or
 * RADCLIENT_TIMEOUT = every server failed), or, in "auto" mode, answers
 * it from a deferred event of the loop.  Records are spooled with SQL,
 * as acct.c's acct_spool_put does.  The clock is fixed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "daemon/muispd/acct.h"
#include "daemon/muispd/muispd.h"
#include "daemon/muispd/store.h"
#include "evloop.h"
#include "radius.h"

/* ---------- the client, played by the test ---------- */

#define MAXREQ 4096

struct radclient {
	int down; /* radclient_ready() says 0 */
	sd_event *ev;
	uint64_t (*now)(void *);
	void *now_arg;
};

struct radclient_req {
	radclient_build_fn build;
	radclient_done_fn done;
	void *arg;
	struct rad_buf pkt;
	int live;
	sd_event_source *defer;
};

/* every client answers every request from a deferred event */
static int auto_ack;
static struct radclient_req reqs[MAXREQ];
static unsigned nreqs; /* requests made */

/* What the server took: one line per Accounting-Response sent. */
struct rx {
	char sid[48];
	uint32_t status, ts, delay;
};
static struct rx got[MAXREQ];
static unsigned ngot;

int radclient_new(struct radclient **out, sd_event *ev,
		  const struct radius_conf *conf, int acct,
		  uint64_t (*now_fn)(void *), void *now_arg)
{
	struct radclient *rc = calloc(1, sizeof(*rc));

	assert_non_null(rc);
	assert_int_equal(acct, 1);
	rc->ev = ev;
	rc->now = now_fn;
	rc->now_arg = now_arg;
	*out = rc;
	return 0;
}

int radclient_reconf(struct radclient *rc, const struct radius_conf *conf)
{
	return 0;
}

void radclient_cancel(struct radclient_req *r)
{
	r->live = 0;
	r->defer = sd_event_source_disable_unref(r->defer);
}

void radclient_free(struct radclient *rc)
{
	for (unsigned i = 0; i < nreqs; i++)
		if (reqs[i].live)
			radclient_cancel(&reqs[i]);
	free(rc);
}

static void answer(struct radclient_req *r, int result, uint8_t code);

static int on_auto(sd_event_source *s, void *arg)
{
	answer(arg, RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	return 0;
}

struct radclient_req *radclient_send(struct radclient *rc, uint8_t code,
				     const char *password,
				     radclient_build_fn build,
				     radclient_done_fn done, void *arg)
{
	struct radclient_req *r;

	assert_int_equal(code, RAD_ACCT_REQUEST);
	assert_null(password);
	assert_true(nreqs < MAXREQ);
	r = &reqs[nreqs++];
	memset(r, 0, sizeof(*r));
	r->build = build;
	r->done = done;
	r->arg = arg;
	r->live = 1;
	rad_init(&r->pkt, code, (uint8_t)nreqs);
	assert_int_equal(build(arg, &r->pkt, rc->now(rc->now_arg)), 0);
	if (auto_ack)
		assert_true(sd_event_add_defer(rc->ev, &r->defer, on_auto, r) >=
			    0);
	return r;
}

int radclient_ready(const struct radclient *rc)
{
	return !rc->down;
}

unsigned radclient_pending(const struct radclient *rc)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nreqs; i++)
		n += reqs[i].live;
	return n;
}

void radclient_counters(const struct radclient *rc, const char *prefix,
			rad_counter_fn fn, void *arg)
{
}

/* ---------- the test's side ---------- */

static struct muispd md;
static char dbpath[64];

static uint32_t attr_u32(const struct rad_pkt *p, uint8_t type)
{
	uint32_t v = 0;

	assert_int_equal(rad_find_u32(p, type, &v), 0);
	return v;
}

/* The server answers request r. */
static void answer(struct radclient_req *r, int result, uint8_t code)
{
	struct rad_pkt req, reply = { 0 };
	uint8_t b[RAD_HDR_LEN] = { code, 0, 0, RAD_HDR_LEN };

	assert_true(r->live);
	r->live = 0;
	r->defer = sd_event_source_disable_unref(r->defer);
	if (result == RADCLIENT_REPLY && code == RAD_ACCT_RESPONSE) {
		struct rx *x = &got[ngot++];
		const uint8_t *v;
		size_t n;

		r->pkt.b[2] = (uint8_t)(r->pkt.len >> 8);
		r->pkt.b[3] = (uint8_t)r->pkt.len;
		assert_int_equal(rad_parse(r->pkt.b, r->pkt.len, &req), 0);
		assert_int_equal(rad_find(&req, RAD_ACCT_SESSION_ID, &v, &n),
				 0);
		assert_true(n < sizeof(x->sid));
		memcpy(x->sid, v, n);
		x->sid[n] = 0;
		x->status = attr_u32(&req, RAD_ACCT_STATUS_TYPE);
		x->ts = attr_u32(&req, RAD_EVENT_TIMESTAMP);
		x->delay = attr_u32(&req, RAD_ACCT_DELAY_TIME);
		assert_int_equal(rad_count(&req, RAD_ACCT_DELAY_TIME), 1);
	}
	assert_int_equal(rad_parse(b, sizeof(b), &reply), 0);
	r->done(r->arg, result, result == RADCLIENT_REPLY ? &reply : NULL);
}

/* The live requests, oldest first. */
static unsigned live(struct radclient_req **out, unsigned cap)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nreqs && n < cap; i++)
		if (reqs[i].live)
			out[n++] = &reqs[i];
	return n;
}

static const char *req_sid(struct radclient_req *r, char *buf)
{
	struct rad_pkt p;
	const uint8_t *v;
	size_t n;

	r->pkt.b[2] = (uint8_t)(r->pkt.len >> 8);
	r->pkt.b[3] = (uint8_t)r->pkt.len;
	assert_int_equal(rad_parse(r->pkt.b, r->pkt.len, &p), 0);
	if (rad_find(&p, RAD_ACCT_SESSION_ID, &v, &n))
		n = 0;
	memcpy(buf, v, n);
	buf[n] = 0;
	return buf;
}

/* Run the loop until nothing is left to dispatch now. */
static void run(void)
{
	while (sd_event_run(md.ev, 0) > 0)
		;
}

/* Spool a record as acct_spool_put does: 0, or -1 refused by the cap. */
static int spool(const char *sid, uint8_t status, uint32_t ts)
{
	struct rad_buf b;
	sqlite3_stmt *s;

	if (!acct_spool_admit(&md, status))
		return -1;
	rad_init(&b, RAD_ACCT_REQUEST, 0); /* the attributes after it */
	assert_int_equal(rad_put_u32(&b, RAD_ACCT_STATUS_TYPE, status), 0);
	if (sid[0])
		assert_int_equal(rad_put_str(&b, RAD_ACCT_SESSION_ID, sid), 0);
	else
		assert_int_equal(rad_put_str(&b, RAD_ACCT_SESSION_ID, "on"), 0);
	assert_int_equal(rad_put_u32(&b, RAD_EVENT_TIMESTAMP, ts), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(md.st),
					    "INSERT INTO acct_spool (sid, "
					    "status, event_ts, attrs) VALUES "
					    "(?1, ?2, ?3, ?4);",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, sid, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, status);
	sqlite3_bind_int64(s, 3, ts);
	sqlite3_bind_blob(s, 4, b.b + RAD_HDR_LEN, (int)(b.len - RAD_HDR_LEN),
			  SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	return 0; /* no kick: the sender sees the INSERT */
}

static uint64_t now_cb(void *arg)
{
	return muispd_now(arg);
}

static unsigned commits, scans; /* scans: statements looking for heads */

static int on_commit(void *arg)
{
	commits++;
	return 0;
}

static void sender_open(void)
{
	assert_int_equal(acct_spool_open(&md), 0);
}

static int setup(void **state)
{
	int fd;

	memset(&md, 0, sizeof(md));
	md.clock = 1700000000;
	md.conf.radius.nacct = 1;
	md.conf.radius.window = 64;
	md.conf.radius.spool_max = 100000;
	snprintf(dbpath, sizeof(dbpath), "/tmp/test_spool.XXXXXX");
	fd = mkstemp(dbpath);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(dbpath, &md.st), 0);
	assert_true(sd_event_new(&md.ev) >= 0);
	assert_int_equal(radclient_new(&md.rad_acct, md.ev, &md.conf.radius, 1,
				       now_cb, &md),
			 0);
	sqlite3_commit_hook(store_db(md.st), on_commit, NULL);
	nreqs = ngot = commits = scans = 0;
	auto_ack = 0;
	sender_open();
	return 0;
}

static int teardown(void **state)
{
	acct_spool_close(&md);
	radclient_free(md.rad_acct); /* muispd_close's */
	store_close(md.st);
	sd_event_unref(md.ev);
	unlink(dbpath);
	return 0;
}

static uint64_t counter_v;
static const char *counter_want;

static void counter_cb(void *arg, const char *name, uint64_t v)
{
	if (!strcmp(name, counter_want))
		counter_v = v;
}

static uint64_t counter(const char *name)
{
	counter_v = UINT64_MAX;
	counter_want = name;
	acct_spool_counters(&md, counter_cb, NULL);
	assert_true(counter_v != UINT64_MAX);
	return counter_v;
}

/* ---------- tests ---------- */

/* One record in flight per session, sessions in parallel, in order;
 * acknowledged rows deleted; Delay-Time from the Event-Timestamp. */
static void test_order(void **state)
{
	struct radclient_req *l[8];
	char a[48], b[48];

	spool("s-a", RAD_STATUS_START, 1699999990);
	spool("s-a", RAD_STATUS_INTERIM, 1699999995);
	spool("s-a", RAD_STATUS_STOP, 1699999998);
	spool("s-b", RAD_STATUS_START, 1699999999);
	spool("s-b", RAD_STATUS_STOP, 1700000000);
	run();
	assert_int_equal(live(l, 8), 2);
	assert_string_equal(req_sid(l[0], a), "s-a");
	assert_string_equal(req_sid(l[1], b), "s-b");
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(got[0].status, RAD_STATUS_START);
	assert_int_equal(got[0].delay, 10);
	assert_int_equal(acct_spool_pending(&md), 4);
	assert_int_equal(live(l, 8), 2); /* s-b's Start, s-a's Interim */
	assert_string_equal(req_sid(l[0], a), "s-b");
	assert_string_equal(req_sid(l[1], b), "s-a");
	answer(l[1], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(got[1].status, RAD_STATUS_INTERIM);
	assert_int_equal(live(l, 8), 2);
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	answer(l[1], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(live(l, 8), 1);
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(live(l, 8), 0);
	assert_int_equal(ngot, 5);
	assert_int_equal(acct_spool_pending(&md), 0);
	assert_int_equal(counter("spool.sent"), 5);
	assert_int_equal(counter("spool.acked"), 5);
	/* per session in order */
	assert_int_equal(got[3].status, RAD_STATUS_STOP); /* s-a */
	assert_string_equal(got[3].sid, "s-a");
	assert_string_equal(got[4].sid, "s-b");
	assert_int_equal(got[4].status, RAD_STATUS_STOP);
	assert_int_equal(got[4].delay, 0);
}

/* Accounting-On/Off: sent alone after everything older is acked,
 * nothing newer before their ack. */
static void test_barriers(void **state)
{
	struct radclient_req *l[8];
	char s[48];

	spool("s-a", RAD_STATUS_STOP, 1699999990);
	spool("", RAD_STATUS_ACCT_ON, 1699999991);
	spool("s-b", RAD_STATUS_START, 1699999992);
	spool("s-c", RAD_STATUS_START, 1699999993);
	spool("", RAD_STATUS_ACCT_OFF, 1699999994);
	spool("s-d", RAD_STATUS_START, 1699999995);
	run();
	assert_int_equal(live(l, 8), 1);
	assert_string_equal(req_sid(l[0], s), "s-a");
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(live(l, 8), 1);
	assert_string_equal(req_sid(l[0], s), "on");
	/* an unanswered barrier holds everything newer */
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(got[1].status, RAD_STATUS_ACCT_ON);
	assert_int_equal(live(l, 8), 2);
	assert_string_equal(req_sid(l[0], s), "s-b");
	assert_string_equal(req_sid(l[1], s), "s-c");
	answer(l[1], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(live(l, 8), 1); /* Off waits for s-b */
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(live(l, 8), 1);
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(got[4].status, RAD_STATUS_ACCT_OFF);
	assert_int_equal(live(l, 8), 1);
	assert_string_equal(req_sid(l[0], s), "s-d");
}

/* Acks of one loop iteration: one transaction; the window. */
static void test_batch_window(void **state)
{
	struct radclient_req *l[200];
	char sid[48];
	unsigned n;

	md.conf.radius.window = 40;
	for (unsigned i = 0; i < 100; i++) {
		snprintf(sid, sizeof(sid), "s-%u", i);
		spool(sid, RAD_STATUS_START, 1699999000 + i);
	}
	run();
	n = live(l, 200);
	assert_int_equal(n, 40);
	commits = 0;
	for (unsigned i = 0; i < n; i++)
		answer(l[i], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(commits, 1);
	assert_int_equal(acct_spool_pending(&md), 60);
	assert_int_equal(live(l, 200), 40);
	/* the oldest first */
	assert_string_equal(req_sid(l[0], sid), "s-40");
	assert_string_equal(req_sid(l[39], sid), "s-79");
}

static int on_trace(unsigned type, void *ctx, void *p, void *x)
{
	if (strstr(sqlite3_sql(p), "GROUP BY sid"))
		scans++;
	return 0;
}

/* A busy spool drains by indexed lookups of the next record of the
 * sessions just acknowledged, not by scanning the spool for every ack. */
static void test_drain_cost(void **state)
{
	struct radclient_req *l[8];
	char sid[48];
	unsigned n, passes = 0;

	md.conf.radius.window = 5;
	for (unsigned k = 0; k < 40; k++)
		for (unsigned i = 0; i < 5; i++) {
			snprintf(sid, sizeof(sid), "s-%u", i);
			spool(sid, k ? RAD_STATUS_INTERIM : RAD_STATUS_START,
			      1699990000 + k * 60);
		}
	sqlite3_trace_v2(store_db(md.st), SQLITE_TRACE_STMT, on_trace, NULL);
	run();
	while ((n = live(l, 8)) > 0) {
		assert_true(n == 5 || ngot >= 200); /* the window stays full */
		for (unsigned j = 0; j < n; j++)
			answer(l[j], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
		run();
		passes++;
		if (passes == 20) /* a new session meanwhile */
			spool("s-new", RAD_STATUS_START, 1700000000);
	}
	sqlite3_trace_v2(store_db(md.st), 0, NULL, NULL);
	assert_int_equal(ngot, 201);
	assert_int_equal(acct_spool_pending(&md), 0);
	/* the first pass, the new session's, the end */
	assert_true(scans <= 4);
	for (unsigned i = 1; i < ngot; i++) /* per session in order */
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(got[i].sid, got[j].sid))
				assert_true(got[j].ts < got[i].ts);
}

/* A record that cannot fit a packet (none is made) is dropped, counted,
 * and blocks nothing. */
static void test_too_long(void **state)
{
	struct radclient_req *l[8];
	static uint8_t big[RAD_MAX_LEN];
	sqlite3_stmt *s;
	char sid[48];

	spool("s-a", RAD_STATUS_START, 1699999990);
	assert_int_equal(sqlite3_prepare_v2(store_db(md.st),
					    "INSERT INTO acct_spool (sid, "
					    "status, event_ts, attrs) VALUES "
					    "('s-b', 1, 1699999991, ?1);",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(s, 1, big, RAD_MAX_LEN - RAD_HDR_LEN, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	spool("s-b", RAD_STATUS_STOP, 1699999992);
	run();
	assert_int_equal(counter("spool.dropped_invalid"), 1);
	assert_int_equal(live(l, 8), 2);
	assert_string_equal(req_sid(l[0], sid), "s-a");
	assert_string_equal(req_sid(l[1], sid), "s-b");
	answer(l[1], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	assert_int_equal(got[0].status, RAD_STATUS_STOP);
}

/* Every server failed: the record stays, one at a time is tried again
 * once a second; the first ack opens the window.  Another reply code is
 * not an ack. */
static void test_timeout(void **state)
{
	struct radclient_req *l[8];
	char s[48];

	spool("s-a", RAD_STATUS_START, 1699999990);
	spool("s-b", RAD_STATUS_START, 1699999991);
	spool("s-c", RAD_STATUS_START, 1699999992);
	run();
	assert_int_equal(live(l, 8), 3);
	answer(l[0], RADCLIENT_TIMEOUT, 0);
	answer(l[1], RADCLIENT_REPLY, RAD_ACCESS_REJECT);
	answer(l[2], RADCLIENT_TIMEOUT, 0);
	run();
	assert_int_equal(live(l, 8), 0); /* held for a second */
	assert_int_equal(acct_spool_pending(&md), 3);
	assert_int_equal(counter("spool.failed"), 3);
	md.clock++;
	acct_spool_kick(&md);
	run();
	assert_int_equal(live(l, 8), 1);
	assert_string_equal(req_sid(l[0], s), "s-a");
	answer(l[0], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	run();
	assert_int_equal(got[0].delay, 11); /* fresh Delay-Time */
	assert_int_equal(live(l, 8), 2);
	/* no server ready: nothing sent */
	md.rad_acct->down = 1;
	answer(l[0], RADCLIENT_TIMEOUT, 0);
	answer(l[1], RADCLIENT_TIMEOUT, 0);
	md.clock += 5;
	acct_spool_kick(&md);
	run();
	assert_int_equal(live(l, 8), 0);
	md.rad_acct->down = 0;
	md.clock += 1;
	acct_spool_kick(&md);
	run();
	assert_int_equal(live(l, 8), 1);
}

/* The cap: superseded Interims go first, Start/Stop/On/Off never; new
 * Interims refused when nothing can go. */
static void test_cap(void **state)
{
	struct radclient_req *l[8];

	md.rad_acct->down = 1; /* nothing leaves */
	md.conf.radius.spool_max = 5;
	assert_int_equal(spool("s-a", RAD_STATUS_START, 1699999000), 0);
	assert_int_equal(spool("s-a", RAD_STATUS_INTERIM, 1699999060), 0);
	assert_int_equal(spool("s-b", RAD_STATUS_START, 1699999001), 0);
	assert_int_equal(spool("s-a", RAD_STATUS_INTERIM, 1699999120), 0);
	assert_int_equal(spool("s-b", RAD_STATUS_INTERIM, 1699999061), 0);
	assert_int_equal(acct_spool_pending(&md), 5);
	/* full: s-a's first Interim is superseded by its second */
	assert_int_equal(spool("s-b", RAD_STATUS_INTERIM, 1699999121), 0);
	assert_int_equal(acct_spool_pending(&md), 5);
	assert_int_equal(counter("spool.dropped_superseded"), 1);
	/* then s-b's first Interim */
	assert_int_equal(spool("s-b", RAD_STATUS_STOP, 1699999130), 0);
	assert_int_equal(counter("spool.dropped_superseded"), 2);
	assert_int_equal(acct_spool_pending(&md), 5);
	/* left: a Start, a Interim(120), b Start, b Interim(121), b Stop:
	 * s-b's Interim is superseded by its Stop */
	assert_int_equal(spool("s-a", RAD_STATUS_INTERIM, 1699999180), 0);
	assert_int_equal(counter("spool.dropped_superseded"), 3);
	/* a Start, a I120, b Start, b Stop, a I180: a I120 superseded */
	assert_int_equal(spool("s-c", RAD_STATUS_START, 1699999181), 0);
	assert_int_equal(counter("spool.dropped_superseded"), 4);
	/* a Start, b Start, b Stop, a I180, c Start: nothing can go; an
	 * Interim is refused, a Stop or a Start is not */
	assert_int_equal(spool("s-c", RAD_STATUS_INTERIM, 1699999240), -1);
	assert_int_equal(counter("spool.dropped_full"), 1);
	assert_int_equal(spool("s-c", RAD_STATUS_STOP, 1699999250), 0);
	assert_int_equal(spool("", RAD_STATUS_ACCT_OFF, 1699999251), 0);
	assert_int_equal(acct_spool_pending(&md), 7);
	assert_int_equal(counter("spool.rows"), 7);
	assert_int_equal(counter("spool.oldest_age"), 1000);
	/* what is left arrives complete, in order */
	md.rad_acct->down = 0;
	md.clock++;
	acct_spool_kick(&md);
	for (int i = 0; i < 20 && live(l, 8) + acct_spool_pending(&md); i++) {
		unsigned n;

		run();
		n = live(l, 8);
		for (unsigned j = 0; j < n; j++)
			answer(l[j], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	}
	run();
	assert_int_equal(ngot, 7);
	assert_int_equal(got[6].status, RAD_STATUS_ACCT_OFF);
	assert_int_equal(acct_spool_pending(&md), 0);
}

/* A 10-minute outage on a fixed clock: 20 sessions with an Interim a
 * minute; every send fails (all servers dead) and is retried; the
 * sender is restarted (a crash) in the middle with a record in flight;
 * the server comes back: every record arrives exactly once, in order
 * per session, Start first and Stop last, Delay-Time = now - event. */
static void test_outage(void **state)
{
	struct radclient_req *l[64];
	char sid[48];
	unsigned nrec = 0, tries = 0;
	uint64_t t0 = md.clock;

	for (unsigned i = 0; i < 20; i++) {
		snprintf(sid, sizeof(sid), "s-%02u", i);
		spool(sid, RAD_STATUS_START, (uint32_t)md.clock);
		nrec++;
	}
	for (uint64_t t = 1; t <= 600; t++) {
		unsigned n;

		md.clock = t0 + t;
		if (t % 60 == 0)
			for (unsigned i = 0; i < 20; i++) {
				snprintf(sid, sizeof(sid), "s-%02u", i);
				spool(sid,
				      t == 600 ? RAD_STATUS_STOP :
						 RAD_STATUS_INTERIM,
				      (uint32_t)md.clock);
				nrec++;
			}
		acct_spool_kick(&md);
		run();
		n = live(l, 64);
		assert_true(n <= (t == 1 || t == 301 ? 20u : 1u));
		for (unsigned j = 0; j < n; j++, tries++)
			answer(l[j], RADCLIENT_TIMEOUT, 0);
		if (t == 300) { /* kill -9: memory lost, rows kept */
			acct_spool_close(&md);
			sender_open();
		}
	}
	assert_int_equal(ngot, 0);
	assert_true(tries >= 550); /* retried about once a second */
	assert_int_equal(acct_spool_pending(&md), nrec);
	assert_int_equal(counter("spool.oldest_age"), 600);
	/* the server is back; a crash with records in flight on the way */
	md.clock++;
	acct_spool_kick(&md);
	for (int i = 0; i < 1000 && (live(l, 64) || acct_spool_pending(&md));
	     i++) {
		unsigned n;

		run();
		n = live(l, 64);
		if (i == 5) {
			acct_spool_close(&md);
			sender_open();
			continue;
		}
		for (unsigned j = 0; j < n; j++)
			answer(l[j], RADCLIENT_REPLY, RAD_ACCT_RESPONSE);
	}
	assert_int_equal(acct_spool_pending(&md), 0);
	assert_int_equal(ngot, nrec);
	for (unsigned i = 0; i < 20; i++) {
		uint32_t last = 0;
		unsigned k = 0;

		snprintf(sid, sizeof(sid), "s-%02u", i);
		for (unsigned j = 0; j < ngot; j++) {
			if (strcmp(got[j].sid, sid))
				continue;
			assert_true(got[j].ts > last || k == 0);
			assert_int_equal(got[j].status,
					 k == 0	 ? RAD_STATUS_START :
					 k == 10 ? RAD_STATUS_STOP :
						   RAD_STATUS_INTERIM);
			assert_int_equal(got[j].delay,
					 (uint32_t)md.clock - got[j].ts);
			last = got[j].ts;
			k++;
		}
		assert_int_equal(k, 11);
	}
}

/* The clean stop's flush runs the loop until the spool is empty; and
 * after the daemon's loop ended, on a loop of its own. */
static void test_flush(void **state)
{
	char sid[48];

	auto_ack = 1;
	md.clock = 0; /* real time: the deadline passes if it never ends */
	for (unsigned i = 0; i < 30; i++) {
		snprintf(sid, sizeof(sid), "s-%u", i % 7);
		spool(sid, i % 7 == i ? RAD_STATUS_START : RAD_STATUS_INTERIM,
		      1699999000 + i);
	}
	spool("", RAD_STATUS_ACCT_OFF, 1699999100);
	assert_int_equal(acct_spool_flush(&md, muispd_mono_ms(&md) + 5000), 0);
	assert_int_equal(ngot, 31);
	assert_int_equal(got[30].status, RAD_STATUS_ACCT_OFF);
	/* the loop has ended (SIGTERM) */
	spool("s-x", RAD_STATUS_STOP, 1699999200);
	assert_true(sd_event_exit(md.ev, 0) >= 0);
	assert_true(sd_event_loop(md.ev) >= 0);
	assert_int_equal(sd_event_get_state(md.ev), SD_EVENT_FINISHED);
	auto_ack = 1;
	assert_int_equal(acct_spool_flush(&md, muispd_mono_ms(&md) + 5000), 0);
	assert_int_equal(ngot, 32);
	assert_string_equal(got[31].sid, "s-x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_barriers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drain_cost, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
