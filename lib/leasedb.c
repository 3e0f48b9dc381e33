// SPDX-License-Identifier: GPL-2.0
/* SQLite lease store: see leasedb.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "leasedb.h"

/* Tables only ever added (CREATE TABLE IF NOT EXISTS at every read-write
 * open) keep the version: a reader that needs a newer table looks for it
 * (leasedb_foreach_pool). */
#define SCHEMA_VERSION 1

struct leasedb {
	sqlite3 *db;
	sqlite3_stmt *put, *get, *each;
	char err[256];
};

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS lease("
	" addr INTEGER PRIMARY KEY,"
	" state TEXT NOT NULL CHECK(state IN ('free','leased','quarantine')),"
	" hwaddr BLOB, client_key BLOB, hostname TEXT, iface TEXT,"
	" starts INTEGER NOT NULL DEFAULT 0, ends INTEGER NOT NULL DEFAULT 0,"
	" seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS stats(name TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
	"CREATE TABLE IF NOT EXISTS request(id INTEGER PRIMARY KEY,"
	" addr INTEGER NOT NULL, action TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pools(idx INTEGER PRIMARY KEY,"
	" iface TEXT NOT NULL, size INTEGER NOT NULL, leased INTEGER NOT NULL,"
	" offered INTEGER NOT NULL, quarantined INTEGER NOT NULL,"
	" free INTEGER NOT NULL);";

const char *lease_state_str(int state)
{
	switch (state) {
	case LEASE_FREE:
		return "free";
	case LEASE_LEASED:
		return "leased";
	case LEASE_QUARANTINE:
		return "quarantine";
	}
	return "?";
}

static int state_from_str(const unsigned char *s)
{
	if (!s)
		return -1;
	if (!strcmp((const char *)s, "leased"))
		return LEASE_LEASED;
	if (!strcmp((const char *)s, "quarantine"))
		return LEASE_QUARANTINE;
	if (!strcmp((const char *)s, "free"))
		return LEASE_FREE;
	return -1;
}

static int fail(struct leasedb *db, int err)
{
	snprintf(db->err, sizeof(db->err), "%s", sqlite3_errmsg(db->db));
	errno = err == SQLITE_BUSY || err == SQLITE_LOCKED ? EBUSY :
		err == SQLITE_FULL			   ? ENOSPC :
		err == SQLITE_READONLY			   ? EROFS :
		err == SQLITE_CANTOPEN			   ? ENOENT :
							     EIO;
	return -1;
}

const char *leasedb_errmsg(const struct leasedb *db)
{
	return db->err;
}

static int exec(struct leasedb *db, const char *sql)
{
	int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc);
}

static int prep(struct leasedb *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc);
}

struct leasedb *leasedb_open(const char *path, int flags)
{
	struct leasedb *db;
	int oflags, rc;

	db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	oflags = flags & LEASEDB_RDONLY ?
			 SQLITE_OPEN_READONLY :
			 SQLITE_OPEN_READWRITE |
				 (flags & LEASEDB_CREATE ? SQLITE_OPEN_CREATE :
							   0);
	rc = sqlite3_open_v2(path, &db->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto err;
	sqlite3_busy_timeout(db->db, 2000);
	if (!(flags & LEASEDB_RDONLY)) {
		if (exec(db, "PRAGMA journal_mode=WAL;"
			     "PRAGMA synchronous=FULL;") < 0 ||
		    exec(db, schema) < 0 ||
		    leasedb_set_meta(db, "schema", SCHEMA_VERSION) < 0)
			goto err_errno;
	}
	if (prep(db,
		 "INSERT OR REPLACE INTO lease(addr,state,hwaddr,"
		 "client_key,hostname,iface,starts,ends,seq) "
		 "VALUES(?,?,?,?,?,?,?,?,?)",
		 &db->put) < 0 &&
	    !(flags & LEASEDB_RDONLY))
		goto err_errno;
	if (prep(db,
		 "SELECT addr,state,hwaddr,client_key,hostname,iface,"
		 "starts,ends,seq FROM lease WHERE addr=?",
		 &db->get) < 0 ||
	    prep(db,
		 "SELECT addr,state,hwaddr,client_key,hostname,iface,"
		 "starts,ends,seq FROM lease ORDER BY addr",
		 &db->each) < 0)
		goto err_errno;
	return db;
err:
	errno = rc == SQLITE_CANTOPEN ? ENOENT : EIO;
err_errno : {
	int saved = errno;

	leasedb_close(db);
	errno = saved;
}
	return NULL;
}

void leasedb_close(struct leasedb *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->put);
	sqlite3_finalize(db->get);
	sqlite3_finalize(db->each);
	sqlite3_close(db->db);
	free(db);
}

int leasedb_begin(struct leasedb *db)
{
	return exec(db, "BEGIN IMMEDIATE");
}

int leasedb_commit(struct leasedb *db)
{
	return exec(db, "COMMIT");
}

int leasedb_rollback(struct leasedb *db)
{
	return exec(db, "ROLLBACK");
}

int leasedb_put(struct leasedb *db, const struct lease_rec *r)
{
	sqlite3_stmt *st = db->put;
	int rc;

	if (!st) {
		errno = EROFS;
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, r->addr);
	sqlite3_bind_text(st, 2, lease_state_str(r->state), -1, SQLITE_STATIC);
	if (r->hwlen)
		sqlite3_bind_blob(st, 3, r->hw, r->hwlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (r->keylen)
		sqlite3_bind_blob(st, 4, r->key, r->keylen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, r->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->iface, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->starts);
	sqlite3_bind_int64(st, 8, r->ends);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)r->seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

static void row_to_rec(sqlite3_stmt *st, struct lease_rec *r)
{
	const void *b;
	int n;

	memset(r, 0, sizeof(*r));
	r->addr = (uint32_t)sqlite3_column_int64(st, 0);
	r->state = state_from_str(sqlite3_column_text(st, 1));
	b = sqlite3_column_blob(st, 2);
	n = sqlite3_column_bytes(st, 2);
	if (b && n > 0 && n <= (int)sizeof(r->hw)) {
		memcpy(r->hw, b, (size_t)n);
		r->hwlen = (uint8_t)n;
	}
	b = sqlite3_column_blob(st, 3);
	n = sqlite3_column_bytes(st, 3);
	if (b && n > 0 && n <= (int)sizeof(r->key)) {
		memcpy(r->key, b, (size_t)n);
		r->keylen = (uint16_t)n;
	}
	b = sqlite3_column_text(st, 4);
	if (b)
		snprintf(r->hostname, sizeof(r->hostname), "%s",
			 (const char *)b);
	b = sqlite3_column_text(st, 5);
	if (b)
		snprintf(r->iface, sizeof(r->iface), "%s", (const char *)b);
	r->starts = sqlite3_column_int64(st, 6);
	r->ends = sqlite3_column_int64(st, 7);
	r->seq = (uint64_t)sqlite3_column_int64(st, 8);
}

int leasedb_get(struct leasedb *db, uint32_t addr, struct lease_rec *r)
{
	int rc;

	sqlite3_reset(db->get);
	sqlite3_bind_int64(db->get, 1, addr);
	rc = sqlite3_step(db->get);
	if (rc == SQLITE_ROW) {
		row_to_rec(db->get, r);
		sqlite3_reset(db->get);
		return 0;
	}
	sqlite3_reset(db->get);
	if (rc == SQLITE_DONE) {
		errno = ENOENT;
		return -1;
	}
	return fail(db, rc);
}

int leasedb_foreach(struct leasedb *db, leasedb_cb cb, void *arg)
{
	struct lease_rec r;
	int rc, ret = 0;

	sqlite3_reset(db->each);
	while ((rc = sqlite3_step(db->each)) == SQLITE_ROW) {
		row_to_rec(db->each, &r);
		ret = cb(&r, arg);
		if (ret)
			break;
	}
	sqlite3_reset(db->each);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

static int query_int(struct leasedb *db, const char *sql, const char *key,
		     int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, sql, &st) < 0)
		return -1;
	if (key)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		errno = ENOENT;
		return -1;
	}
	return fail(db, rc);
}

uint64_t leasedb_max_seq(struct leasedb *db)
{
	int64_t v = 0;

	if (query_int(db, "SELECT COALESCE(MAX(seq),0) FROM lease", NULL, &v) <
	    0)
		return 0;
	return (uint64_t)v;
}

static int put_kv(struct leasedb *db, const char *sql, const char *key,
		  int64_t v)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db, sql, &st) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

int leasedb_set_meta(struct leasedb *db, const char *key, int64_t v)
{
	return put_kv(db, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)",
		      key, v);
}

int leasedb_get_meta(struct leasedb *db, const char *key, int64_t *v)
{
	return query_int(db, "SELECT value FROM meta WHERE key=?", key, v);
}

int leasedb_put_stat(struct leasedb *db, const char *name, uint64_t v)
{
	return put_kv(db,
		      "INSERT OR REPLACE INTO stats(name,value) "
		      "VALUES(?,?)",
		      name, (int64_t)v);
}

int leasedb_foreach_stat(struct leasedb *db, leasedb_stat_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (prep(db, "SELECT name,value FROM stats ORDER BY name", &st) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = cb((const char *)sqlite3_column_text(st, 0),
			 (uint64_t)sqlite3_column_int64(st, 1), arg);
		if (ret)
			break;
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

int leasedb_put_pools(struct leasedb *db, const struct leasedb_pool *v,
		      unsigned int n)
{
	sqlite3_stmt *st;
	unsigned int i;
	int rc = SQLITE_DONE;

	if (exec(db, "DELETE FROM pools") < 0 ||
	    prep(db, "INSERT INTO pools VALUES(?,?,?,?,?,?,?)", &st) < 0)
		return -1;
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v[i].idx);
		sqlite3_bind_text(st, 2, v[i].iface,
				  (int)strnlen(v[i].iface, sizeof(v[i].iface)),
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, v[i].size);
		sqlite3_bind_int64(st, 4, v[i].leased);
		sqlite3_bind_int64(st, 5, v[i].offered);
		sqlite3_bind_int64(st, 6, v[i].quarantined);
		sqlite3_bind_int64(st, 7, v[i].free);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

static uint32_t col_u32(sqlite3_stmt *st, int c)
{
	sqlite3_int64 v = sqlite3_column_int64(st, c);

	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int leasedb_foreach_pool(struct leasedb *db, leasedb_pool_cb cb, void *arg)
{
	struct leasedb_pool p;
	sqlite3_stmt *st;
	int64_t have;
	int rc, ret = 0;

	if (query_int(db,
		      "SELECT count(*) FROM sqlite_master "
		      "WHERE type='table' AND name='pools'",
		      NULL, &have) < 0)
		return -1;
	if (!have)
		return 0;
	if (prep(db,
		 "SELECT idx,iface,size,leased,offered,quarantined,free "
		 "FROM pools ORDER BY idx",
		 &st) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);

		memset(&p, 0, sizeof(p));
		p.idx = col_u32(st, 0);
		snprintf(p.iface, sizeof(p.iface), "%s",
			 t ? (const char *)t : "");
		p.size = col_u32(st, 2);
		p.leased = col_u32(st, 3);
		p.offered = col_u32(st, 4);
		p.quarantined = col_u32(st, 5);
		p.free = col_u32(st, 6);
		ret = cb(&p, arg);
		if (ret)
			break;
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : fail(db, rc);
}

static int daemon_pid(struct leasedb *db, pid_t *pid)
{
	int64_t v;

	if (leasedb_get_meta(db, "pid", &v) < 0 || v <= 0)
		return -1;
	if (kill((pid_t)v, 0) < 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

int leasedb_request_release(struct leasedb *db, uint32_t addr)
{
	struct lease_rec r;
	sqlite3_stmt *st;
	pid_t pid;
	int rc;

	if (leasedb_get(db, addr, &r) < 0)
		return -1;
	if (r.state != LEASE_LEASED) {
		errno = ENOENT;
		return -1;
	}
	if (daemon_pid(db, &pid) < 0) {
		/* No daemon: release in place, queued last in the FIFO. */
		r.state = LEASE_FREE;
		r.seq = leasedb_max_seq(db) + 1;
		r.ends = (int64_t)time(NULL);
		return leasedb_put(db, &r);
	}
	if (prep(db, "INSERT INTO request(addr,action) VALUES(?,'release')",
		 &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, addr);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(db, rc);
	if (kill(pid, SIGUSR1) < 0)
		return -1;
	return 1;
}

int leasedb_take_requests(struct leasedb *db, leasedb_req_cb cb, void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (prep(db,
		 "SELECT addr FROM request WHERE action='release' "
		 "ORDER BY id",
		 &st) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb((uint32_t)sqlite3_column_int64(st, 0), arg);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(db, rc);
	return exec(db, "DELETE FROM request");
}

void leasedb_fmt_hw(const uint8_t *hw, unsigned int len, char *buf)
{
	unsigned int i, o = 0;

	buf[0] = '\0';
	if (len > 16)
		len = 16;
	for (i = 0; i < len; i++)
		o += (unsigned int)snprintf(buf + o, 49 - o,
					    i ? ":%02x" : "%02x", hw[i]);
}
