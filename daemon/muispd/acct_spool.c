// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting spool's sender (acct.h; docs/DESIGN.md "RADIUS").
 *
 * acct.c commits records into acct_spool in the transaction of the state
 * change that causes them; an update hook on the INSERT (or
 * acct_spool_kick) schedules a pass (a deferred event: at most one per
 * loop iteration, after the event that wrote the rows), which
 *   1. deletes the rows acknowledged since the last pass, in one
 *      transaction;
 *   2. sends, through md->rad_acct (radclient.c: retransmission, failover,
 *      dead servers), the oldest record of every session that has none in
 *      flight, up to radius-window requests: first the next record of
 *      each session just acknowledged (an indexed lookup), then, when new
 *      rows came or heads were left, those of the others, oldest first
 *      (a scan of the index).  Accounting-On and -Off (sid '') are
 *      barriers: one is sent only when it is the oldest row, alone, and
 *      nothing newer goes before its ack.
 * A packet is the frozen attributes plus Acct-Delay-Time = now -
 * Event-Timestamp (radclient adds the header, authenticator and
 * Message-Authenticator).  When every server failed (RADCLIENT_TIMEOUT)
 * the record stays and one record at a time is tried again every second
 * while radclient_ready() says a server may take it; the first ack opens
 * the window again.  In-flight state is memory only: after a restart
 * every row is sent again with a fresh Delay-Time (the dedup key
 * Acct-Session-Id, Status-Type, Event-Timestamp is unchanged).
 *
 * The cap radius-spool-max (acct_spool_admit, before acct_spool_put):
 * past it the oldest Interim whose session has a newer Interim or its
 * Stop queued is deleted (Interims are cumulative); when none is left a
 * new Interim is refused; Start, Stop, On and Off are never dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sqlite3.h>

#include "acct.h"
#include "evloop.h"
#include "log.h"
#include "muispd.h"

#define SPOOL_RETRY_MS 1000 /* all servers failed: try again */
/* room for the frozen attributes: the header, Acct-Delay-Time and a
 * Message-Authenticator are added */
#define SPOOL_ATTRS_MAX (RAD_MAX_LEN - RAD_HDR_LEN - 6 - RAD_MA_LEN)

struct flight {
	struct spool *sp;
	struct radclient_req *req;
	int64_t id;
	char sid[48];
	uint8_t status;
	uint64_t event_ts;
	size_t len;
	uint8_t attrs[RAD_MAX_LEN];
};

struct ack {
	int64_t id;
	char sid[48];
};

struct spool {
	struct muispd *md;
	sd_event_source *defer; /* a pass, once per loop iteration */
	sd_event_source *timer; /* retry after every server failed */
	struct flight **fl;
	unsigned nfl;
	struct ack *acked; /* rows to delete */
	unsigned nacked, capacked;
	int scan;	  /* look for sessions with nothing in flight */
	int failing;	  /* the last request failed: one at a time */
	uint64_t hold_ms; /* failing: nothing sent before (monotonic) */
	uint64_t rows;	  /* rows in acct_spool (estimate, see admit) */
	struct log_rl rl_full;
	uint64_t sent, acked_n, failed, dropped_superseded, dropped_full,
		dropped_invalid;
};

static void spool_pass(struct spool *sp);

/* ---------- SQL ---------- */

static sqlite3_stmt *prep(struct muispd *md, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_db(md->st), sql, -1, &s, NULL) !=
	    SQLITE_OK) {
		log_warnx("acct spool: %s: %s", sql,
			  sqlite3_errmsg(store_db(md->st)));
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* One integer (NULL: dflt): 0 or -1. */
static int one_int(sqlite3_stmt *s, int64_t dflt, int64_t *out)
{
	int r = -1;

	if (!s)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out = sqlite3_column_type(s, 0) == SQLITE_NULL ?
			       dflt :
			       sqlite3_column_int64(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

static int count_rows(struct muispd *md, uint64_t *n)
{
	int64_t v;

	if (one_int(prep(md, "SELECT count(*) FROM acct_spool;"), 0, &v))
		return -1;
	*n = (uint64_t)v;
	return 0;
}

static int in_flight(const struct spool *sp, int64_t id, const char *sid)
{
	for (unsigned i = 0; i < sp->nfl; i++)
		if (sp->fl[i]->id == id ||
		    (sid && !strcmp(sp->fl[i]->sid, sid)))
			return 1;
	return 0;
}

/* Delete the acknowledged rows in one transaction: 0 (sp->acked still
 * lists them, for their successors) or -1 (kept for the next pass). */
static int delete_acked(struct spool *sp)
{
	struct muispd *md = sp->md;
	sqlite3_stmt *s;
	unsigned i;

	if (!sp->nacked)
		return 0;
	if (!sqlite3_get_autocommit(store_db(md->st)))
		return -1; /* someone's transaction is open: later */
	if (store_begin(md->st))
		return -1;
	s = prep(md, "DELETE FROM acct_spool WHERE id = ?1;");
	if (!s)
		goto fail;
	for (i = 0; i < sp->nacked; i++) {
		sqlite3_bind_int64(s, 1, sp->acked[i].id);
		if (sqlite3_step(s) != SQLITE_DONE)
			break;
		if (sqlite3_changes(store_db(md->st)) && sp->rows)
			sp->rows--;
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (i < sp->nacked || store_commit(md->st))
		goto fail;
	return 0;
fail:
	log_warnx("acct spool: deleting %u acknowledged records failed: "
		  "%s (retried)",
		  sp->nacked, sqlite3_errmsg(store_db(md->st)));
	store_rollback(md->st);
	count_rows(md, &sp->rows);
	return -1;
}

/* ---------- sending ---------- */

static uint64_t now_cb(void *arg)
{
	return muispd_now(arg);
}

static int build(void *arg, struct rad_buf *p, uint64_t now)
{
	struct flight *f = arg;
	uint64_t delay = now > f->event_ts ? now - f->event_ts : 0;

	if (delay > UINT32_MAX)
		delay = UINT32_MAX;
	if (rad_put_raw(p, f->attrs, f->len) ||
	    rad_put_u32(p, RAD_ACCT_DELAY_TIME, (uint32_t)delay))
		return -1;
	return 0;
}

static void flight_remove(struct spool *sp, struct flight *f)
{
	for (unsigned i = 0; i < sp->nfl; i++)
		if (sp->fl[i] == f) {
			sp->fl[i] = sp->fl[--sp->nfl];
			break;
		}
	free(f);
}

static void schedule(struct spool *sp)
{
	if (sp->defer)
		sd_event_source_set_enabled(sp->defer, SD_EVENT_ONESHOT);
}

static void fail_later(struct spool *sp)
{
	sp->failing = 1;
	sp->scan = 1;
	sp->hold_ms = muispd_mono_ms(sp->md) + SPOOL_RETRY_MS;
	if (sp->timer)
		evloop_timer_set(sp->timer,
				 SPOOL_RETRY_MS * EVLOOP_USEC_PER_MSEC);
}

static void done(void *arg, int result, const struct rad_pkt *reply)
{
	struct flight *f = arg;
	struct spool *sp = f->sp;

	if (result == RADCLIENT_REPLY && reply &&
	    reply->code == RAD_ACCT_RESPONSE) {
		if (sp->nacked == sp->capacked) {
			unsigned cap = sp->capacked ? 2 * sp->capacked : 64;
			struct ack *a = realloc(sp->acked, cap * sizeof(*a));

			if (!a) { /* sent again after a restart: allowed */
				flight_remove(sp, f);
				return;
			}
			sp->acked = a;
			sp->capacked = cap;
		}
		sp->acked[sp->nacked].id = f->id;
		memcpy(sp->acked[sp->nacked++].sid, f->sid, sizeof(f->sid));
		sp->acked_n++;
		sp->failing = 0;
		schedule(sp);
	} else {
		static struct log_rl rl = LOG_RL_INIT(60, 1);

		sp->failed++;
		if (result == RADCLIENT_REPLY)
			log_ratelimited(&rl, LOG_WARNING,
					"acct spool: code %u in reply to an "
					"Accounting-Request (%s): kept",
					reply ? reply->code : 0, f->sid);
		else
			log_ratelimited(&rl, LOG_WARNING,
					"acct spool: no accounting server "
					"answered; %llu records kept",
					(unsigned long long)sp->rows);
		fail_later(sp);
	}
	flight_remove(sp, f);
}

static int send_row(struct spool *sp, sqlite3_stmt *s)
{
	const void *blob = sqlite3_column_blob(s, 4);
	size_t len = (size_t)sqlite3_column_bytes(s, 4);
	const char *sid = (const char *)sqlite3_column_text(s, 1);
	struct flight *f, **fl;

	if (len > SPOOL_ATTRS_MAX) { /* acct.c makes none: never sendable */
		static struct log_rl rl = LOG_RL_INIT(60, 1);
		sqlite3_stmt *d = prep(sp->md, "DELETE FROM acct_spool"
					       " WHERE id = ?1;");

		log_ratelimited(&rl, LOG_WARNING,
				"acct spool: record %lld of %s too long "
				"(%zu bytes of attributes), dropped",
				(long long)sqlite3_column_int64(s, 0),
				sid ? sid : "", len);
		if (d) {
			sqlite3_bind_int64(d, 1, sqlite3_column_int64(s, 0));
			if (sqlite3_step(d) == SQLITE_DONE)
				sp->dropped_invalid++;
			sqlite3_finalize(d);
		}
		sp->scan = 1; /* the session's next record: another pass */
		schedule(sp);
		return 0;
	}
	fl = realloc(sp->fl, (sp->nfl + 1) * sizeof(*fl));
	if (!fl)
		return -1;
	sp->fl = fl;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->sp = sp;
	f->id = sqlite3_column_int64(s, 0);
	snprintf(f->sid, sizeof(f->sid), "%s", sid ? sid : "");
	f->status = (uint8_t)sqlite3_column_int(s, 2);
	f->event_ts = (uint64_t)sqlite3_column_int64(s, 3);
	f->len = len;
	if (len)
		memcpy(f->attrs, blob, len);
	sp->fl[sp->nfl++] = f;
	f->req = radclient_send(sp->md->rad_acct, RAD_ACCT_REQUEST, NULL, build,
				done, f);
	if (!f->req) {
		flight_remove(sp, f);
		return -1;
	}
	sp->sent++;
	return 0;
}

static unsigned window(const struct spool *sp)
{
	unsigned w = sp->md->conf.radius.window;

	return sp->failing || !w ? 1 : w;
}

#define ROW_COLS "id, sid, status, event_ts, attrs"

/* The next record of the session of an acknowledged one (its new head,
 * older than the barrier): sent if there is one.  0, or -1 (stop). */
static int send_successor(struct spool *sp, const struct ack *a,
			  int64_t barrier)
{
	sqlite3_stmt *s;
	int r = 0;

	s = prep(sp->md, "SELECT " ROW_COLS " FROM acct_spool WHERE sid = ?1"
			 " AND id < ?2 ORDER BY id LIMIT 1;");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, a->sid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, barrier);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    !in_flight(sp, sqlite3_column_int64(s, 0), a->sid) &&
	    send_row(sp, s)) {
		fail_later(sp);
		r = -1;
	}
	sqlite3_finalize(s);
	return r;
}

/* The head of every session with nothing in flight, older than the
 * barrier, oldest first (SQLite takes the bare columns from the row of
 * min(id)), until the window is full.  sp->scan stays set when heads may
 * be left. */
static void send_heads(struct spool *sp, int64_t barrier)
{
	struct muispd *md = sp->md;
	int64_t limit = (int64_t)window(sp) + sp->nfl, n = 0;
	sqlite3_stmt *s;

	s = prep(md, "SELECT min(id), sid, status, event_ts, attrs"
		     " FROM acct_spool WHERE sid <> '' AND id < ?1"
		     " GROUP BY sid ORDER BY 1 LIMIT ?2;");
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, barrier);
	sqlite3_bind_int64(s, 2, limit);
	sp->scan = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		n++;
		if (in_flight(sp, sqlite3_column_int64(s, 0),
			      (const char *)sqlite3_column_text(s, 1)))
			continue;
		if (sp->nfl >= window(sp) || !radclient_ready(md->rad_acct)) {
			sp->scan = 1;
			break;
		}
		if (send_row(sp, s)) {
			fail_later(sp);
			break;
		}
	}
	if (n == limit)
		sp->scan = 1;
	sqlite3_finalize(s);
}

/*
 * Send what may go now: an On/Off alone when it is the oldest row; else
 * the successors of the records just acknowledged (an indexed lookup
 * each: a busy spool drains without scanning it), then, if something may
 * have changed (new rows, a failure, heads left last time), the heads of
 * the other sessions.
 */
static void send_more(struct spool *sp, const struct ack *acked,
		      unsigned nacked)
{
	struct muispd *md = sp->md;
	int64_t barrier, oldest;
	unsigned i = 0;
	sqlite3_stmt *s;

	if (!md->rad_acct || sp->nfl >= window(sp) ||
	    (sp->failing && muispd_mono_ms(md) < sp->hold_ms))
		goto out;
	if (!radclient_ready(md->rad_acct)) {
		fail_later(sp); /* look again in a while */
		goto out;
	}
	if (one_int(prep(md, "SELECT min(id) FROM acct_spool WHERE sid = '';"),
		    INT64_MAX, &barrier) ||
	    one_int(prep(md, "SELECT min(id) FROM acct_spool;"), INT64_MAX,
		    &oldest))
		goto out;
	if (oldest == INT64_MAX) {
		sp->scan = 0;
		i = nacked; /* empty */
		goto out;
	}
	if (barrier == oldest) { /* On/Off: alone */
		if (sp->nfl)
			goto out;
		s = prep(md,
			 "SELECT " ROW_COLS " FROM acct_spool WHERE id = ?1;");
		if (!s)
			goto out;
		sqlite3_bind_int64(s, 1, barrier);
		if (sqlite3_step(s) == SQLITE_ROW && send_row(sp, s))
			fail_later(sp);
		sqlite3_finalize(s);
		goto out;
	}
	for (; i < nacked; i++) {
		if (!acked[i].sid[0]) { /* a barrier went: everything newer */
			sp->scan = 1;
			continue;
		}
		if (sp->nfl >= window(sp) || !radclient_ready(md->rad_acct) ||
		    send_successor(sp, &acked[i], barrier))
			break;
	}
	if (i == nacked && sp->scan && sp->nfl < window(sp))
		send_heads(sp, barrier);
out:
	if (i < nacked)
		sp->scan = 1; /* successors not looked at */
}

static void spool_pass(struct spool *sp)
{
	if (delete_acked(sp)) {
		/* acknowledged rows must go before anything is sent (they
		 * would be heads again): in a while */
		if (sp->timer)
			evloop_timer_set(sp->timer,
					 SPOOL_RETRY_MS * EVLOOP_USEC_PER_MSEC);
		return;
	}
	send_more(sp, sp->acked, sp->nacked);
	sp->nacked = 0;
}

/* A row inserted into acct_spool (acct_spool_put, in some transaction):
 * a pass once the event that wrote it is over (a rolled-back row is
 * simply not found). */
static void on_update(void *arg, int op, const char *db, const char *table,
		      sqlite3_int64 rowid)
{
	struct spool *sp = arg;

	if (op == SQLITE_INSERT && !strcmp(table, "acct_spool")) {
		sp->scan = 1;
		schedule(sp);
	}
}

static int on_defer(sd_event_source *s, void *arg)
{
	spool_pass(arg);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct spool *sp = arg;

	sp->scan = 1;
	spool_pass(sp);
	return 0;
}

/* ---------- the API (acct.h) ---------- */

int acct_spool_open(struct muispd *md)
{
	struct spool *sp;

	if (md->spool)
		return 0;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -1;
	sp->md = md;
	sp->rl_full = (struct log_rl)LOG_RL_INIT(60, 1);
	md->spool = sp;
	if (count_rows(md, &sp->rows))
		goto fail;
	if (!md->ev)
		return 0; /* no loop: records are only spooled */
	if (sd_event_add_defer(md->ev, &sp->defer, on_defer, sp) < 0 ||
	    evloop_timer(md->ev, &sp->timer,
			 SPOOL_RETRY_MS * EVLOOP_USEC_PER_MSEC, 0, on_timer,
			 sp) < 0)
		goto fail;
	sqlite3_update_hook(store_db(md->st), on_update, sp);
	sp->scan = 1;
	schedule(sp); /* what the last run left */
	if (sp->rows)
		log_info("acct spool: %llu records to send",
			 (unsigned long long)sp->rows);
	return 0;
fail:
	log_warnx("acct spool: cannot start the sender");
	acct_spool_close(md);
	return -1;
}

/* Forget what is in flight (the rows stay, sent again later). */
static void forget_flights(struct spool *sp)
{
	while (sp->nfl) {
		struct flight *f = sp->fl[sp->nfl - 1];

		radclient_cancel(f->req);
		flight_remove(sp, f);
	}
}

void acct_spool_close(struct muispd *md)
{
	struct spool *sp = md->spool;

	if (!sp)
		return;
	if (md->st) {
		sqlite3_update_hook(store_db(md->st), NULL, NULL);
		delete_acked(sp);
	}
	forget_flights(sp);
	sd_event_source_disable_unref(sp->defer);
	sd_event_source_disable_unref(sp->timer);
	free(sp->fl);
	free(sp->acked);
	free(sp);
	md->spool = NULL;
}

void acct_spool_kick(struct muispd *md)
{
	if (md->spool)
		schedule(md->spool);
}

int acct_spool_admit(struct muispd *md, uint8_t status)
{
	struct spool *sp = md->spool;
	uint32_t max = md->conf.radius.spool_max;
	sqlite3_stmt *s;
	int dropped = 0;

	if (!sp || !max)
		return 1;
	if (sp->rows >= max && count_rows(md, &sp->rows))
		return 1; /* cannot tell: keep the record */
	if (sp->rows < max) {
		sp->rows++;
		return 1;
	}
	/* the oldest Interim superseded by a newer Interim or the Stop */
	s = prep(md, "SELECT a.id FROM acct_spool a WHERE a.status = 3"
		     " AND EXISTS (SELECT 1 FROM acct_spool b WHERE"
		     " b.sid = a.sid AND b.id > a.id AND b.status IN (2, 3))"
		     " ORDER BY a.id LIMIT ?1;");
	if (s) {
		sqlite3_bind_int64(s, 1, (int64_t)sp->nfl + 1);
		while (!dropped && sqlite3_step(s) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);
			sqlite3_stmt *d;

			if (in_flight(sp, id, NULL))
				continue;
			d = prep(md, "DELETE FROM acct_spool WHERE id = ?1;");
			if (!d)
				break;
			sqlite3_bind_int64(d, 1, id);
			dropped = sqlite3_step(d) == SQLITE_DONE;
			sqlite3_finalize(d);
		}
		sqlite3_finalize(s);
	}
	if (dropped) {
		sp->dropped_superseded++;
		return 1; /* one out, one in: rows unchanged */
	}
	if (status != RAD_STATUS_INTERIM) {
		sp->rows++;
		return 1;
	}
	sp->dropped_full++;
	log_ratelimited(&sp->rl_full, LOG_WARNING,
			"acct spool full (%llu records, radius-spool-max "
			"%u): Interim-Update refused",
			(unsigned long long)sp->rows, max);
	return 0;
}

uint64_t acct_spool_pending(struct muispd *md)
{
	uint64_t n;

	if (!md->st || count_rows(md, &n))
		return 0;
	return n;
}

int acct_spool_flush(struct muispd *md, uint64_t deadline_ms)
{
	struct spool *sp = md->spool;
	sd_event *e = md->ev, *own = NULL;
	int r = 0;

	if (!sp || !md->rad_acct)
		return -1;
	if (e && sd_event_get_state(e) == SD_EVENT_FINISHED) {
		/* the daemon's loop has ended (SIGTERM): a loop of our own,
		 * with a client on it */
		struct radclient *rc = NULL;

		if (sd_event_new(&own) < 0 ||
		    radclient_new(&rc, own, &md->conf.radius, 1, now_cb, md)) {
			sd_event_unref(own);
			return -1;
		}
		/* the old client goes; muispd_close frees the new one */
		forget_flights(sp);
		radclient_free(md->rad_acct);
		md->rad_acct = rc;
		sd_event_source_disable_unref(sp->defer);
		sd_event_source_disable_unref(sp->timer);
		sp->defer = sp->timer = NULL;
		if (sd_event_add_defer(own, &sp->defer, on_defer, sp) < 0 ||
		    evloop_timer(own, &sp->timer,
				 SPOOL_RETRY_MS * EVLOOP_USEC_PER_MSEC, 0,
				 on_timer, sp) < 0)
			r = -1;
		e = own;
	}
	sp->failing = 0;
	sp->scan = 1;
	spool_pass(sp);
	while (!r && e && (sp->nfl || sp->nacked || acct_spool_pending(md))) {
		uint64_t now = muispd_mono_ms(md);

		if (now >= deadline_ms)
			break;
		if (sd_event_run(e, (deadline_ms - now) *
					    EVLOOP_USEC_PER_MSEC) < 0)
			r = -1;
	}
	delete_acked(sp);
	if (own)
		sd_event_unref(own);
	return r ? -1 :
		   (int)(acct_spool_pending(md) > INT32_MAX ?
				 INT32_MAX :
				 acct_spool_pending(md));
}

void acct_spool_counters(struct muispd *md, rad_counter_fn fn, void *arg)
{
	struct spool *sp = md->spool;
	int64_t oldest = 0;
	uint64_t n = acct_spool_pending(md), now = muispd_now(md);

	if (md->st)
		one_int(prep(md, "SELECT min(event_ts) FROM acct_spool;"), 0,
			&oldest);
	fn(arg, "spool.rows", n);
	fn(arg, "spool.oldest_age",
	   n && now > (uint64_t)oldest ? now - (uint64_t)oldest : 0);
	fn(arg, "spool.sent", sp ? sp->sent : 0);
	fn(arg, "spool.acked", sp ? sp->acked_n : 0);
	fn(arg, "spool.failed", sp ? sp->failed : 0);
	fn(arg, "spool.dropped_superseded", sp ? sp->dropped_superseded : 0);
	fn(arg, "spool.dropped_full", sp ? sp->dropped_full : 0);
	fn(arg, "spool.dropped_invalid", sp ? sp->dropped_invalid : 0);
}
