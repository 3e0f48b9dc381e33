// SPDX-License-Identifier: GPL-2.0
/*
 * The standalone scheme's usage spool (uinfod.h; thesis ch. 5(c)): the
 * module counts what each mapped uid sends and receives (method COUNT),
 * and every usage-interval main.c hands its dump here.  The spool, an
 * SQLite database (WAL, synchronous=FULL: what it says survives a
 * crash), keeps
 *
 *   baseline  per uid, the counters as last recorded, and when
 *   meta      "last": the last collection's time
 *   record    the records not yet acknowledged by the router, by seq
 *
 * A collection is one transaction: the records of the deltas and the
 * baselines they move commit together, so a crash neither counts a delta
 * twice nor loses one (the module keeps counting; the next collection
 * takes the delta from the baseline that committed).  Records beyond the
 * spool's maximum are not made and their users' baselines not moved, so
 * nothing is lost while the spool is full: the first collection after
 * the router acknowledged some records it holds makes them.
 *
 * Nothing here talks to the kernel or the router: the unit tests give it
 * dumps of their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "muisp_nl.h"
#include "uinfod.h"

struct uinfod_usage {
	sqlite3 *db;
	char path[UINFOD_PATH_MAX];
	uint64_t max, count;
	sqlite3_stmt *base_get, *base_put, *base_del, *base_each;
	sqlite3_stmt *meta_get, *meta_put;
	sqlite3_stmt *rec_add, *rec_next, *rec_del;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS baseline (uid INTEGER PRIMARY KEY,"
	" sent_bytes INTEGER NOT NULL, sent_pkts INTEGER NOT NULL,"
	" recv_bytes INTEGER NOT NULL, recv_pkts INTEGER NOT NULL,"
	" at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER);"
	"CREATE TABLE IF NOT EXISTS record (seq INTEGER PRIMARY KEY"
	" AUTOINCREMENT, user INTEGER NOT NULL, start INTEGER NOT NULL,"
	" end INTEGER NOT NULL, sent_bytes INTEGER NOT NULL,"
	" sent_pkts INTEGER NOT NULL, recv_bytes INTEGER NOT NULL,"
	" recv_pkts INTEGER NOT NULL);";

/* The counters of a baseline or a delta, in the records' order. */
enum { C_SENT_BYTES, C_SENT_PKTS, C_RECV_BYTES, C_RECV_PKTS, NCOUNTERS };

static void row_counters(const struct muisp_nl_tag_user *u,
			 uint64_t v[NCOUNTERS])
{
	v[C_SENT_BYTES] = u->sent_bytes;
	v[C_SENT_PKTS] = u->sent_packets;
	v[C_RECV_BYTES] = u->recv_bytes;
	v[C_RECV_PKTS] = u->recv_packets;
}

/* SQLite's integers are signed: u64 stored as their bits. */
static sqlite3_int64 i64(uint64_t v)
{
	sqlite3_int64 r;

	memcpy(&r, &v, sizeof(r));
	return r;
}

static uint64_t u64(sqlite3_int64 v)
{
	uint64_t r;

	memcpy(&r, &v, sizeof(r));
	return r;
}

static int exec(struct uinfod_usage *sp, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(sp->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("usage spool %s: %s: %s", sp->path, sql,
			  err ? err : sqlite3_errmsg(sp->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int failed(struct uinfod_usage *sp, const char *what)
{
	log_warnx("usage spool %s: %s: %s", sp->path, what,
		  sqlite3_errmsg(sp->db));
	return -1;
}

/* A statement that returns no row, run and reset: 0, or -1 (logged). */
static int step_done(struct uinfod_usage *sp, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : failed(sp, what);
}

static const struct {
	size_t off;
	const char *sql;
} stmts[] = {
	{ offsetof(struct uinfod_usage, base_get),
	  "SELECT sent_bytes, sent_pkts, recv_bytes, recv_pkts, at"
	  " FROM baseline WHERE uid = ?;" },
	{ offsetof(struct uinfod_usage, base_put),
	  "INSERT OR REPLACE INTO baseline (uid, sent_bytes, sent_pkts,"
	  " recv_bytes, recv_pkts, at) VALUES (?, ?, ?, ?, ?, ?);" },
	{ offsetof(struct uinfod_usage, base_del),
	  "DELETE FROM baseline WHERE uid = ?;" },
	{ offsetof(struct uinfod_usage, base_each),
	  "SELECT uid FROM baseline ORDER BY uid;" },
	{ offsetof(struct uinfod_usage, meta_get),
	  "SELECT v FROM meta WHERE k = ?;" },
	{ offsetof(struct uinfod_usage, meta_put),
	  "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?);" },
	{ offsetof(struct uinfod_usage, rec_add),
	  "INSERT INTO record (user, start, end, sent_bytes, sent_pkts,"
	  " recv_bytes, recv_pkts) VALUES (?, ?, ?, ?, ?, ?, ?);" },
	{ offsetof(struct uinfod_usage, rec_next),
	  "SELECT seq, user, start, end, sent_bytes, sent_pkts, recv_bytes,"
	  " recv_pkts FROM record WHERE seq > ? ORDER BY seq LIMIT 1;" },
	{ offsetof(struct uinfod_usage, rec_del),
	  "DELETE FROM record WHERE seq = ?;" },
};

#define STMT(sp, i) ((sqlite3_stmt **)((char *)(sp) + stmts[i].off))

void uinfod_usage_close(struct uinfod_usage *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		sqlite3_finalize(*STMT(sp, i));
	sqlite3_close(sp->db);
	free(sp);
}

/* One integer a query returns: 1 (in *v), 0 no row, -1. */
static int query_int(struct uinfod_usage *sp, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &s, NULL) != SQLITE_OK)
		return failed(sp, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(sp, sql);
	return rc == SQLITE_ROW;
}

/*
 * A new spool's sequence starts at the clock's seconds times 2^16: a
 * spool made again after its file was lost goes on above the numbers
 * the router already stored for this host (which the router would take
 * for resends and drop), unless the lost one made more than 65536
 * records a second of its life.
 */
static int seed_sequence(struct uinfod_usage *sp)
{
	char sql[160];
	int64_t v;
	int rc = query_int(
		sp, "SELECT seq FROM sqlite_sequence WHERE name = 'record';",
		&v);

	if (rc)
		return rc < 0 ? -1 : 0;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO sqlite_sequence (name, seq) VALUES ('record', "
		 "%lld);",
		 (long long)((int64_t)time(NULL) << 16));
	return exec(sp, sql);
}

struct uinfod_usage *uinfod_usage_open(const char *path, uint64_t max,
				       char *err, size_t errlen)
{
	struct uinfod_usage *sp = calloc(1, sizeof(*sp));
	int64_t n = 0;
	mode_t old;
	int rc;

	if (!sp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	snprintf(sp->path, sizeof(sp->path), "%s", path);
	sp->max = max;
	old = umask(077);
	rc = sqlite3_open_v2(path, &sp->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 sp->db ? sqlite3_errmsg(sp->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(sp->db, 5000);
	if (exec(sp, "PRAGMA journal_mode=WAL;") ||
	    exec(sp, "PRAGMA synchronous=FULL;") ||
	    exec(sp, "BEGIN IMMEDIATE;") || exec(sp, schema) ||
	    seed_sequence(sp) || exec(sp, "COMMIT;")) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(sp->db));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (sqlite3_prepare_v2(sp->db, stmts[i].sql, -1, STMT(sp, i),
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path,
				 sqlite3_errmsg(sp->db));
			goto fail;
		}
	if (query_int(sp, "SELECT COUNT(*) FROM record;", &n) < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(sp->db));
		goto fail;
	}
	sp->count = (uint64_t)n;
	return sp;
fail:
	uinfod_usage_close(sp);
	return NULL;
}

uint64_t uinfod_usage_count(const struct uinfod_usage *sp)
{
	return sp->count;
}

int uinfod_usage_full(const struct uinfod_usage *sp)
{
	return sp->count >= sp->max;
}

/* meta's "last": 1 (in *v), 0 none, -1. */
static int last_get(struct uinfod_usage *sp, uint64_t *v)
{
	sqlite3_stmt *s = sp->meta_get;
	int rc;

	sqlite3_bind_text(s, 1, "last", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = u64(sqlite3_column_int64(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(sp, "the last collection");
	return rc == SQLITE_ROW;
}

/* uid's baseline: 1 (v, *at), 0 none, -1. */
static int base_get(struct uinfod_usage *sp, uint32_t uid,
		    uint64_t v[NCOUNTERS], uint64_t *at)
{
	sqlite3_stmt *s = sp->base_get;
	int rc;

	sqlite3_bind_int64(s, 1, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < NCOUNTERS; i++)
			v[i] = u64(sqlite3_column_int64(s, i));
		*at = u64(sqlite3_column_int64(s, NCOUNTERS));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(sp, "a baseline");
	return rc == SQLITE_ROW;
}

static int base_put(struct uinfod_usage *sp, uint32_t uid,
		    const uint64_t v[NCOUNTERS], uint64_t at)
{
	sqlite3_stmt *s = sp->base_put;

	sqlite3_bind_int64(s, 1, uid);
	for (int i = 0; i < NCOUNTERS; i++)
		sqlite3_bind_int64(s, 2 + i, i64(v[i]));
	sqlite3_bind_int64(s, 2 + NCOUNTERS, i64(at));
	return step_done(sp, s, "a baseline");
}

#ifdef MUISP_TESTING
/* unit tests: the record this many adds from now fails (0: none) */
unsigned int uinfod_usage_test_fail;
#endif

static int rec_add(struct uinfod_usage *sp, uint32_t user, uint64_t start,
		   uint64_t end, const uint64_t d[NCOUNTERS])
{
	sqlite3_stmt *s = sp->rec_add;

#ifdef MUISP_TESTING
	if (uinfod_usage_test_fail && !--uinfod_usage_test_fail) {
		log_warnx("usage spool %s: a record: injected failure",
			  sp->path);
		return -1;
	}
#endif
	sqlite3_bind_int64(s, 1, user);
	sqlite3_bind_int64(s, 2, i64(start));
	sqlite3_bind_int64(s, 3, i64(end));
	for (int i = 0; i < NCOUNTERS; i++)
		sqlite3_bind_int64(s, 4 + i, i64(d[i]));
	return step_done(sp, s, "a record");
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The baselines of uids not in present (sorted, n) forgotten. */
static int base_forget(struct uinfod_usage *sp, const uint32_t *present,
		       size_t n)
{
	sqlite3_stmt *s = sp->base_each;
	uint32_t *gone = NULL;
	size_t ngone = 0, cap = 0;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint32_t uid = (uint32_t)sqlite3_column_int64(s, 0);

		if (n && bsearch(&uid, present, n, sizeof(*present), by_u32))
			continue;
		if (ngone == cap) {
			size_t c = cap ? 2 * cap : 16;
			uint32_t *v = realloc(gone, c * sizeof(*v));

			if (!v) {
				log_warnx("usage spool %s: out of memory",
					  sp->path);
				ret = -1;
				break;
			}
			gone = v;
			cap = c;
		}
		gone[ngone++] = uid;
	}
	sqlite3_reset(s);
	if (!ret && rc != SQLITE_DONE)
		ret = failed(sp, "the baselines");
	for (size_t i = 0; !ret && i < ngone; i++) {
		sqlite3_bind_int64(sp->base_del, 1, gone[i]);
		ret = step_done(sp, sp->base_del, "a baseline");
	}
	free(gone);
	return ret;
}

int uinfod_usage_collect(struct uinfod_usage *sp,
			 const struct muisp_nl_tag_user *rows, size_t n,
			 uint64_t now, struct uinfod_usage_result *res)
{
	struct uinfod_usage_result r = { 0, 0 };
	uint64_t last = now, count = sp->count;
	uint32_t *present = NULL;
	int rc;

	if (res)
		*res = r;
	if (n) {
		present = malloc(n * sizeof(*present));
		if (!present) {
			log_warnx("usage spool %s: out of memory", sp->path);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			present[i] = rows[i].uid;
		qsort(present, n, sizeof(*present), by_u32);
	}
	if (exec(sp, "BEGIN IMMEDIATE;")) {
		free(present);
		return -1;
	}
	rc = last_get(sp, &last);
	if (rc < 0)
		goto fail;
	if (!rc || last > now) /* the first, or the clock went back */
		last = now;
	for (size_t i = 0; i < n; i++) {
		const struct muisp_nl_tag_user *u = &rows[i];
		uint64_t v[NCOUNTERS], b[NCOUNTERS], d[NCOUNTERS], start = last;
		int any = 0, reset = 0;

		/* the module names each mapped uid's user */
		if (!MUISP_NL_HAS(u, MUISP_TAG_USER_A_USER) || !u->user)
			continue;
		row_counters(u, v);
		rc = base_get(sp, u->uid, b, &start);
		if (rc < 0)
			goto fail;
		if (!rc)
			memset(b, 0, sizeof(b));
		if (start > now)
			start = now;
		/* a counter below its baseline: counting began again (the
		 * module reloaded, the uid mapped again), for all four */
		for (int k = 0; k < NCOUNTERS; k++)
			reset |= v[k] < b[k];
		for (int k = 0; k < NCOUNTERS; k++) {
			d[k] = reset ? v[k] : v[k] - b[k];
			any |= d[k] != 0;
		}
		if (any) {
			if (count >= sp->max) {
				r.held++; /* kept for when there is room */
				/* a new uid's period starts now all the same */
				if (!rc && base_put(sp, u->uid, b, start) < 0)
					goto fail;
				continue;
			}
			if (rec_add(sp, u->user, start, now, d) < 0)
				goto fail;
			count++;
			r.added++;
		}
		if (base_put(sp, u->uid, v, now) < 0)
			goto fail;
	}
	if (base_forget(sp, present, n) < 0)
		goto fail;
	sqlite3_bind_text(sp->meta_put, 1, "last", -1, SQLITE_STATIC);
	sqlite3_bind_int64(sp->meta_put, 2, i64(now));
	if (step_done(sp, sp->meta_put, "the last collection") < 0 ||
	    exec(sp, "COMMIT;"))
		goto fail;
	free(present);
	sp->count = count;
	if (res)
		*res = r;
	return r.held ? 1 : 0;
fail:
	if (!sqlite3_get_autocommit(sp->db))
		exec(sp, "ROLLBACK;");
	free(present);
	return -1;
}

int uinfod_usage_next(struct uinfod_usage *sp, uint64_t after,
		      struct uinfod_usage_rec *r)
{
	sqlite3_stmt *s = sp->rec_next;
	int rc;

	/* seq fits in 63 bits: AUTOINCREMENT's */
	sqlite3_bind_int64(
		s, 1, after > INT64_MAX ? INT64_MAX : (sqlite3_int64)after);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->seq = u64(sqlite3_column_int64(s, 0));
		r->user = (uint32_t)sqlite3_column_int64(s, 1);
		r->start = u64(sqlite3_column_int64(s, 2));
		r->end = u64(sqlite3_column_int64(s, 3));
		r->sent_bytes = u64(sqlite3_column_int64(s, 4));
		r->sent_pkts = u64(sqlite3_column_int64(s, 5));
		r->recv_bytes = u64(sqlite3_column_int64(s, 6));
		r->recv_pkts = u64(sqlite3_column_int64(s, 7));
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return failed(sp, "the next record");
	return rc == SQLITE_ROW;
}

int uinfod_usage_acked(struct uinfod_usage *sp, uint64_t seq)
{
	sqlite3_stmt *s = sp->rec_del;

	if (seq > INT64_MAX)
		return 1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	if (step_done(sp, s, "an acknowledged record") < 0)
		return -1;
	if (!sqlite3_changes(sp->db))
		return 1;
	if (sp->count)
		sp->count--;
	return 0;
}
