// SPDX-License-Identifier: GPL-2.0
/* SQLite store for muispd: see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

struct store {
	sqlite3 *db;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS contracts ("
	" serial INTEGER PRIMARY KEY, state INTEGER NOT NULL,"
	" metric INTEGER NOT NULL, method INTEGER NOT NULL,"
	" privacy INTEGER NOT NULL, soft INTEGER NOT NULL,"
	" hard INTEGER NOT NULL, deposit INTEGER NOT NULL,"
	" price INTEGER NOT NULL, unit INTEGER NOT NULL,"
	" issued INTEGER NOT NULL, expiry INTEGER NOT NULL,"
	" usage INTEGER NOT NULL, usage_at INTEGER NOT NULL,"
	" addr TEXT NOT NULL, password TEXT, payref TEXT NOT NULL,"
	" room TEXT NOT NULL, key_id INTEGER NOT NULL, receipt BLOB,"
	" charge INTEGER NOT NULL, refund INTEGER NOT NULL,"
	" settled_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX IF NOT EXISTS contracts_pw ON contracts(password)"
	" WHERE password IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS vouchers (code TEXT PRIMARY KEY,"
	" balance INTEGER NOT NULL CHECK (balance >= 0),"
	" issued INTEGER NOT NULL, expiry INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS keys (id INTEGER PRIMARY KEY,"
	" secret BLOB NOT NULL, created INTEGER NOT NULL,"
	" retired INTEGER NOT NULL, verify_until INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY,"
	" room TEXT NOT NULL, serial INTEGER NOT NULL, descr TEXT NOT NULL,"
	" amount INTEGER NOT NULL, credit INTEGER NOT NULL,"
	" at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS statements (serial INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, descr TEXT NOT NULL, amount INTEGER NOT NULL,"
	" credit INTEGER NOT NULL, PRIMARY KEY (serial, seq));"
	"CREATE TABLE IF NOT EXISTS registrations (addr TEXT PRIMARY KEY,"
	" subject TEXT NOT NULL, fpr TEXT NOT NULL UNIQUE, keytype TEXT NOT NULL,"
	" der BLOB NOT NULL, not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL, created INTEGER NOT NULL,"
	" last_used INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS registrations_subject"
	" ON registrations(subject);"
	"CREATE TABLE IF NOT EXISTS reg_tombstones (fpr TEXT PRIMARY KEY,"
	" subject TEXT NOT NULL, addr TEXT NOT NULL,"
	" forgotten INTEGER NOT NULL, why TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS reg_tombstones_subject"
	" ON reg_tombstones(subject);"
	"CREATE INDEX IF NOT EXISTS reg_tombstones_forgotten"
	" ON reg_tombstones(forgotten);"
	/* RADIUS (acct.h, payment_radius.h): SQL in acct.c, acct_spool.c,
	 * payment_radius.c through store_db() */
	"CREATE TABLE IF NOT EXISTS acct_sessions (sid TEXT PRIMARY KEY,"
	" serial INTEGER NOT NULL, bindno INTEGER NOT NULL,"
	" addr TEXT NOT NULL, mac TEXT NOT NULL DEFAULT '',"
	" user_name TEXT NOT NULL, realm TEXT NOT NULL DEFAULT '',"
	" class BLOB, started INTEGER NOT NULL,"
	" base_ub INTEGER NOT NULL, base_up INTEGER NOT NULL,"
	" base_db INTEGER NOT NULL, base_dp INTEGER NOT NULL,"
	" ub INTEGER NOT NULL DEFAULT 0, up INTEGER NOT NULL DEFAULT 0,"
	" db INTEGER NOT NULL DEFAULT 0, dp INTEGER NOT NULL DEFAULT 0,"
	" interim INTEGER NOT NULL, stopped INTEGER, cause INTEGER,"
	" UNIQUE (serial, bindno));"
	"CREATE INDEX IF NOT EXISTS acct_sessions_open ON acct_sessions(serial)"
	" WHERE stopped IS NULL;"
	"CREATE INDEX IF NOT EXISTS acct_sessions_started"
	" ON acct_sessions(started);"
	"CREATE TABLE IF NOT EXISTS acct_spool (id INTEGER PRIMARY KEY,"
	" sid TEXT NOT NULL, status INTEGER NOT NULL,"
	" event_ts INTEGER NOT NULL, attrs BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS acct_spool_sid ON acct_spool(sid, id);"
	"CREATE TABLE IF NOT EXISTS acct_counters (serial INTEGER PRIMARY KEY,"
	" ub INTEGER NOT NULL, up INTEGER NOT NULL, db INTEGER NOT NULL,"
	" dp INTEGER NOT NULL, at INTEGER NOT NULL);"
	/* per-connection billing records (conn_records.c): written when a
	 * connection is accepted, closed when its flow ends */
	"CREATE TABLE IF NOT EXISTS conn_records (id INTEGER PRIMARY KEY,"
	" proto INTEGER NOT NULL, host TEXT NOT NULL, hport INTEGER NOT NULL,"
	" peer TEXT NOT NULL, pport INTEGER NOT NULL, user INTEGER NOT NULL,"
	" contract INTEGER NOT NULL, metric INTEGER NOT NULL,"
	" price INTEGER NOT NULL, unit INTEGER NOT NULL,"
	" start_ms INTEGER NOT NULL, end_ms INTEGER, up_bytes INTEGER,"
	" up_packets INTEGER, down_bytes INTEGER, down_packets INTEGER,"
	" cost INTEGER, end_reason TEXT);"
	"CREATE INDEX IF NOT EXISTS conn_records_open ON conn_records(end_ms)"
	" WHERE end_ms IS NULL;"
	/* the per-user block list (userblock.c) */
	"CREATE TABLE IF NOT EXISTS user_blocks (addr TEXT NOT NULL,"
	" user INTEGER NOT NULL, since INTEGER NOT NULL, reason TEXT NOT NULL,"
	" PRIMARY KEY (addr, user));"
	/* standalone agents' usage records (uinfo_usage.c): stored once
	 * per host and sequence number, however often the agent sends one */
	"CREATE TABLE IF NOT EXISTS agent_usage (host TEXT NOT NULL,"
	" seq INTEGER NOT NULL, user INTEGER NOT NULL, start INTEGER,"
	" end INTEGER, sent_bytes INTEGER, sent_pkts INTEGER,"
	" recv_bytes INTEGER, recv_pkts INTEGER, PRIMARY KEY (host, seq));"
	"CREATE INDEX IF NOT EXISTS agent_usage_user"
	" ON agent_usage(host, user, seq);"
	/* agent-usage-keep's pruning finds the old rows by it */
	"CREATE INDEX IF NOT EXISTS agent_usage_end ON agent_usage(end);"
	/* the records not yet moved to their users' contracts in the module
	 * (uinfo_usage.c): added with the record, deleted once moved */
	"CREATE TABLE IF NOT EXISTS agent_usage_move (host TEXT NOT NULL,"
	" seq INTEGER NOT NULL, PRIMARY KEY (host, seq));"
	"CREATE TABLE IF NOT EXISTS radius_auth (serial INTEGER PRIMARY KEY,"
	" user_name TEXT NOT NULL, realm TEXT NOT NULL, class BLOB,"
	" session_timeout INTEGER NOT NULL, idle_timeout INTEGER NOT NULL,"
	" quota INTEGER NOT NULL, interim INTEGER NOT NULL,"
	" at INTEGER NOT NULL);";

struct sqlite3 *store_db(struct store *st)
{
	return st->db;
}

static int exec(struct store *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int store_open(const char *path, struct store **out)
{
	struct store *st = calloc(1, sizeof(*st));
	mode_t old;
	int rc;

	*out = NULL;
	if (!st)
		return -1;
	old = umask(077);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		log_warnx("store: open %s: %s", path,
			  st->db ? sqlite3_errmsg(st->db) : "out of memory");
		sqlite3_close(st->db);
		free(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (exec(st, "PRAGMA journal_mode=WAL;") ||
	    exec(st, "PRAGMA synchronous=FULL;") || exec(st, schema)) {
		sqlite3_close(st->db);
		free(st);
		return -1;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

#ifdef MUISP_TESTING
int store_test_fail; /* unit tests: transactions fail while set */
#endif

int store_begin(struct store *st)
{
#ifdef MUISP_TESTING
	if (store_test_fail) {
		log_warnx("store: BEGIN: injected failure");
		return -1;
	}
#endif
	return exec(st, "BEGIN IMMEDIATE;");
}

int store_commit(struct store *st)
{
	return exec(st, "COMMIT;");
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		exec(st, "ROLLBACK;");
}

static sqlite3_stmt *prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("store: prepare: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	return s;
}

/* Run a statement that returns no rows. */
static int done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("store: step: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int64_t i64(uint64_t v)
{
	return (int64_t)v;
}

/* Step s (prepared, or NULL: -1) with kind bound to ?1: its one integer
 * in *out.  s is finalized.  0, or -1 without a row. */
static int kind_u64(sqlite3_stmt *s, const char *kind, uint64_t *out)
{
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_next_serial(struct store *st, const char *kind, uint64_t *out)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO meta (k, v) VALUES (?, 1) "
				   "ON CONFLICT(k) DO UPDATE SET v = v + 1 "
				   "RETURNING v;");

	return kind_u64(s, kind, out);
}

/* The highest serial of a kind given out so far: the meta counter, and
 * for contracts the highest stored. */
int store_serial_last(struct store *st, const char *kind, uint64_t *out)
{
	sqlite3_stmt *s = prep(
		st, "SELECT max(coalesce((SELECT v FROM meta WHERE k = ?1), 0),"
		    " CASE WHEN ?1 = 'contract' THEN"
		    " coalesce((SELECT max(serial) FROM contracts), 0)"
		    " ELSE 0 END);");

	return kind_u64(s, kind, out);
}

/* Serial v of kind is taken (in the caller's transaction). */
int store_serial_note(struct store *st, const char *kind, uint64_t v)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO meta (k, v) VALUES (?, ?) "
				   "ON CONFLICT(k) DO UPDATE SET "
				   "v = max(v, excluded.v);");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, i64(v));
	return done(st, s);
}

#define CONTRACT_COLS                                                   \
	"serial, state, metric, method, privacy, soft, hard, "          \
	"deposit, price, unit, issued, expiry, usage, usage_at, addr, " \
	"password, payref, room, key_id, receipt, charge, refund, settled_at"

int store_contract_put(struct store *st, const struct contract_rec *c)
{
	sqlite3_stmt *s = prep(
		st,
		"INSERT INTO contracts (" CONTRACT_COLS
		") VALUES (?, ?, ?, ?, ?, ?, ?,"
		" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		" ?)"
		" ON CONFLICT(serial) DO UPDATE SET state = excluded.state, "
		"metric = excluded.metric, method = excluded.method, "
		"privacy = excluded.privacy, soft = excluded.soft, "
		"hard = excluded.hard, deposit = excluded.deposit, "
		"price = excluded.price, unit = excluded.unit, "
		"issued = excluded.issued, expiry = excluded.expiry, "
		"usage = excluded.usage, usage_at = excluded.usage_at, "
		"addr = excluded.addr, password = excluded.password, "
		"payref = excluded.payref, room = excluded.room, "
		"key_id = excluded.key_id, receipt = excluded.receipt, "
		"charge = excluded.charge, refund = excluded.refund, "
		"settled_at = excluded.settled_at;");
	int i = 1;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, i++, i64(c->serial));
	sqlite3_bind_int(s, i++, c->state);
	sqlite3_bind_int(s, i++, c->metric);
	sqlite3_bind_int(s, i++, c->method);
	sqlite3_bind_int(s, i++, c->privacy);
	sqlite3_bind_int64(s, i++, i64(c->soft));
	sqlite3_bind_int64(s, i++, i64(c->hard));
	sqlite3_bind_int64(s, i++, i64(c->deposit));
	sqlite3_bind_int64(s, i++, i64(c->price));
	sqlite3_bind_int64(s, i++, i64(c->unit));
	sqlite3_bind_int64(s, i++, i64(c->issued));
	sqlite3_bind_int64(s, i++, i64(c->expiry));
	sqlite3_bind_int64(s, i++, i64(c->usage));
	sqlite3_bind_int64(s, i++, i64(c->usage_at));
	sqlite3_bind_text(s, i++, c->addr, -1, SQLITE_TRANSIENT);
	if (c->password[0])
		sqlite3_bind_text(s, i++, c->password, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i++);
	sqlite3_bind_text(s, i++, c->payref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, c->room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, i++, c->key_id);
	if (c->receipt_len)
		sqlite3_bind_blob(s, i++, c->receipt, (int)c->receipt_len,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i++);
	sqlite3_bind_int64(s, i++, i64(c->charge));
	sqlite3_bind_int64(s, i++, i64(c->refund));
	sqlite3_bind_int64(s, i++, i64(c->settled_at));
	return done(st, s);
}

static void row_contract(sqlite3_stmt *s, struct contract_rec *c)
{
	int i = 0;
	int n;

	memset(c, 0, sizeof(*c));
	c->serial = (uint64_t)sqlite3_column_int64(s, i++);
	c->state = sqlite3_column_int(s, i++);
	c->metric = (uint8_t)sqlite3_column_int(s, i++);
	c->method = (uint8_t)sqlite3_column_int(s, i++);
	c->privacy = (uint8_t)sqlite3_column_int(s, i++);
	c->soft = (uint64_t)sqlite3_column_int64(s, i++);
	c->hard = (uint64_t)sqlite3_column_int64(s, i++);
	c->deposit = (uint64_t)sqlite3_column_int64(s, i++);
	c->price = (uint64_t)sqlite3_column_int64(s, i++);
	c->unit = (uint64_t)sqlite3_column_int64(s, i++);
	c->issued = (uint64_t)sqlite3_column_int64(s, i++);
	c->expiry = (uint64_t)sqlite3_column_int64(s, i++);
	c->usage = (uint64_t)sqlite3_column_int64(s, i++);
	c->usage_at = (uint64_t)sqlite3_column_int64(s, i++);
	col_text(s, i++, c->addr, sizeof(c->addr));
	col_text(s, i++, c->password, sizeof(c->password));
	col_text(s, i++, c->payref, sizeof(c->payref));
	col_text(s, i++, c->room, sizeof(c->room));
	c->key_id = (uint32_t)sqlite3_column_int64(s, i++);
	n = sqlite3_column_bytes(s, i);
	if (n > 0 && n <= (int)sizeof(c->receipt)) {
		struct receipt rc;

		memcpy(c->receipt, sqlite3_column_blob(s, i), (size_t)n);
		c->receipt_len = (size_t)n;
		/* the buyer's key is in the receipt (MUR2), not a column */
		if (!receipt_parse(c->receipt, c->receipt_len, &rc) &&
		    rc.has_holder) {
			c->has_holder = 1;
			memcpy(c->holder, rc.holder, sizeof(c->holder));
		}
	}
	i++;
	c->charge = (uint64_t)sqlite3_column_int64(s, i++);
	c->refund = (uint64_t)sqlite3_column_int64(s, i++);
	c->settled_at = (uint64_t)sqlite3_column_int64(s, i++);
}

static int get_one(struct store *st, sqlite3_stmt *s, struct contract_rec *c)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		row_contract(s, c);
	else if (rc != SQLITE_DONE)
		log_warnx("store: step: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_contract_get(struct store *st, uint64_t serial,
		       struct contract_rec *c)
{
	sqlite3_stmt *s = prep(st, "SELECT " CONTRACT_COLS
				   " FROM contracts WHERE serial = ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(serial));
	return get_one(st, s, c);
}

int store_contract_by_password(struct store *st, const char *pw,
			       struct contract_rec *c)
{
	sqlite3_stmt *s = prep(st, "SELECT " CONTRACT_COLS
				   " FROM contracts WHERE password = ?;");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, pw, -1, SQLITE_TRANSIENT);
	return get_one(st, s, c);
}

int store_usage_checkpoint(struct store *st, uint64_t serial, uint64_t usage,
			   uint64_t at)
{
	sqlite3_stmt *s = prep(st, "UPDATE contracts SET usage = ?, "
				   "usage_at = ? WHERE serial = ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(usage));
	sqlite3_bind_int64(s, 2, i64(at));
	sqlite3_bind_int64(s, 3, i64(serial));
	return done(st, s);
}

int store_contract_foreach(struct store *st, int outstanding,
			   int (*fn)(const struct contract_rec *, void *),
			   void *arg)
{
	sqlite3_stmt *s = prep(
		st, outstanding ? "SELECT " CONTRACT_COLS " FROM contracts "
				  "WHERE state <> 5 ORDER BY serial;" :
				  "SELECT " CONTRACT_COLS " FROM contracts "
				  "ORDER BY serial;");
	struct contract_rec c;
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_contract(s, &c);
		if (fn(&c, arg))
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The single integer a prepared query s answers (count(*)): 0 or -1. */
static int one_count(sqlite3_stmt *s, uint64_t *n)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_contract_count(struct store *st, uint64_t *n)
{
	return one_count(prep(st, "SELECT count(*) FROM contracts;"), n);
}

int store_voucher_put(struct store *st, const char *code, uint64_t balance,
		      uint64_t issued, uint64_t expiry)
{
	sqlite3_stmt *s = prep(st, "INSERT INTO vouchers (code, balance, "
				   "issued, expiry) VALUES (?, ?, ?, ?);");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, i64(balance));
	sqlite3_bind_int64(s, 3, i64(issued));
	sqlite3_bind_int64(s, 4, i64(expiry));
	return done(st, s);
}

int store_voucher_get(struct store *st, const char *code, uint64_t *balance,
		      uint64_t *expiry)
{
	sqlite3_stmt *s = prep(st, "SELECT balance, expiry FROM vouchers "
				   "WHERE code = ?;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*balance = (uint64_t)sqlite3_column_int64(s, 0);
		*expiry = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_voucher_set(struct store *st, const char *code, uint64_t balance)
{
	sqlite3_stmt *s = prep(st, "UPDATE vouchers SET balance = ? "
				   "WHERE code = ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(balance));
	sqlite3_bind_text(s, 2, code, -1, SQLITE_TRANSIENT);
	if (done(st, s))
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : -1;
}

/* The vouchers usable as EAP credentials (eap.c): a balance, not
 * expired. */
int store_voucher_foreach(struct store *st, uint64_t now,
			  int (*fn)(const char *code, void *arg), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT code FROM vouchers WHERE "
				   "balance > 0 AND (expiry = 0 OR "
				   "expiry >= ?) ORDER BY code;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(now));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(s, 0), arg))
			break;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The voucher whose code's first half (9 characters, then '-') is USER,
 * an EAP username (contract_eap_creds). */
int store_voucher_by_eap_user(struct store *st, const char *user, char *code,
			      size_t cap)
{
	sqlite3_stmt *s = prep(st, "SELECT code FROM vouchers WHERE "
				   "substr(code, 1, 10) = ?1 || '-' "
				   "ORDER BY code LIMIT 1;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, user, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(code, cap, "%s",
			 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_key_put(struct store *st, const struct receipt_key *k)
{
	sqlite3_stmt *s = prep(st, "INSERT OR REPLACE INTO keys (id, secret, "
				   "created, retired, verify_until) "
				   "VALUES (?, ?, ?, ?, ?);");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, k->id);
	sqlite3_bind_blob(s, 2, k->secret, RECEIPT_KEY_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, i64(k->created));
	sqlite3_bind_int64(s, 4, i64(k->retired));
	sqlite3_bind_int64(s, 5, i64(k->verify_until));
	return done(st, s);
}

int store_key_delete(struct store *st, uint32_t id)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM keys WHERE id = ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return done(st, s);
}

int store_keys_load(struct store *st, struct receipt_keyring *kr)
{
	sqlite3_stmt *s = prep(st, "SELECT id, secret, created, retired, "
				   "verify_until FROM keys ORDER BY id DESC;");
	struct receipt_key k;
	int rc;

	memset(kr, 0, sizeof(*kr));
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		k.id = (uint32_t)sqlite3_column_int64(s, 0);
		if (sqlite3_column_bytes(s, 1) != RECEIPT_KEY_LEN) {
			log_warnx("store: key %u has a bad secret", k.id);
			continue;
		}
		memcpy(k.secret, sqlite3_column_blob(s, 1), RECEIPT_KEY_LEN);
		k.created = (uint64_t)sqlite3_column_int64(s, 2);
		k.retired = (uint64_t)sqlite3_column_int64(s, 3);
		k.verify_until = (uint64_t)sqlite3_column_int64(s, 4);
		if (receipt_keyring_add(kr, &k))
			log_warnx("store: too many keys, %u ignored", k.id);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_ledger_add(struct store *st, const char *room, uint64_t serial,
		     const char *desc, uint64_t amount, int credit, uint64_t at)
{
	sqlite3_stmt *s =
		prep(st, "INSERT INTO ledger (room, serial, descr, "
			 "amount, credit, at) VALUES (?, ?, ?, ?, ?, ?);");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, i64(serial));
	sqlite3_bind_text(s, 3, desc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, i64(amount));
	sqlite3_bind_int(s, 5, credit ? 1 : 0);
	sqlite3_bind_int64(s, 6, i64(at));
	return done(st, s);
}

int store_ledger_balance(struct store *st, const char *room, int64_t *bal)
{
	sqlite3_stmt *s = prep(st,
			       "SELECT coalesce(sum(CASE credit WHEN 0 "
			       "THEN amount ELSE -amount END), 0) FROM ledger "
			       "WHERE room = ?;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, room, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*bal = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int lines_query(sqlite3_stmt *s, struct stmt_line *lines, unsigned max,
		       unsigned *n)
{
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		struct stmt_line *l = &lines[(*n)++];

		col_text(s, 0, l->desc, sizeof(l->desc));
		l->amount = (uint64_t)sqlite3_column_int64(s, 1);
		l->credit = sqlite3_column_int(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_ledger_lines(struct store *st, const char *room,
		       struct stmt_line *lines, unsigned max, unsigned *n)
{
	sqlite3_stmt *s = prep(st, "SELECT descr, amount, credit FROM ledger "
				   "WHERE room = ? ORDER BY id;");

	*n = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, room, -1, SQLITE_TRANSIENT);
	return lines_query(s, lines, max, n);
}

int store_statement_put(struct store *st, uint64_t serial,
			const struct stmt_line *lines, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		sqlite3_stmt *s = prep(st, "INSERT INTO statements (serial, "
					   "seq, descr, amount, credit) "
					   "VALUES (?, ?, ?, ?, ?);");

		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, i64(serial));
		sqlite3_bind_int(s, 2, (int)i);
		sqlite3_bind_text(s, 3, lines[i].desc, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, i64(lines[i].amount));
		sqlite3_bind_int(s, 5, lines[i].credit ? 1 : 0);
		if (done(st, s))
			return -1;
	}
	return 0;
}

int store_statement_get(struct store *st, uint64_t serial,
			struct stmt_line *lines, unsigned max, unsigned *n)
{
	sqlite3_stmt *s = prep(st, "SELECT descr, amount, credit FROM "
				   "statements WHERE serial = ? ORDER BY seq;");

	*n = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(serial));
	return lines_query(s, lines, max, n);
}

/* ---------- registrations ---------- */

#define REG_COLS                                                    \
	"addr, subject, fpr, keytype, der, not_before, not_after, " \
	"created, last_used"

/* "2026-12-02 13:00:00 UTC" in SQL, of the column or parameter T */
#define REG_SQL_TIME(t) "strftime('%Y-%m-%d %H:%M:%S UTC', " t ", 'unixepoch')"

/*
 * The registrations matching WHERE become tombstones (reason WHY, an SQL
 * expression) at ?3 and are deleted; ?1 (KEY) and ?2 (BEFORE) are bound
 * for WHERE.  The tombstones beyond REG_TOMB_MAX, oldest first, go.
 */
static int reg_bury(struct store *st, const char *where, const char *why,
		    const char *key, uint64_t before, uint64_t now, unsigned *n)
{
	char q[3][640];

	snprintf(q[0], sizeof(q[0]),
		 "INSERT OR REPLACE INTO reg_tombstones (fpr, subject, addr, "
		 "forgotten, why) SELECT fpr, subject, addr, ?3, %s FROM "
		 "registrations WHERE %s;",
		 why, where);
	snprintf(q[1], sizeof(q[1]), "DELETE FROM registrations WHERE %s;",
		 where);
	snprintf(q[2], sizeof(q[2]),
		 "DELETE FROM reg_tombstones WHERE rowid IN (SELECT rowid "
		 "FROM reg_tombstones ORDER BY forgotten, rowid LIMIT "
		 "max(0, (SELECT count(*) FROM reg_tombstones) - %d));",
		 REG_TOMB_MAX);
	*n = 0;
	for (int i = 0; i < 3; i++) {
		sqlite3_stmt *s = prep(st, q[i]);
		int np = s ? sqlite3_bind_parameter_count(s) : 0;

		if (!s)
			return -1;
		if (np >= 1)
			sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
		if (np >= 2)
			sqlite3_bind_int64(s, 2, i64(before));
		if (np >= 3)
			sqlite3_bind_int64(s, 3, i64(now));
		if (done(st, s))
			return -1;
		if (i == 1)
			*n = (unsigned)sqlite3_changes(st->db);
	}
	return 0;
}

int store_reg_put(struct store *st, const struct reg_rec *r)
{
	sqlite3_stmt *s;
	unsigned n;

	/* the address's other certificate: replaced (a tombstone) */
	if (reg_bury(st, "addr = ?1", "'replaced at ' || " REG_SQL_TIME("?3"),
		     r->addr, 0, r->created, &n))
		return -1;
	s = prep(st, "DELETE FROM registrations WHERE addr = ? OR fpr = ?;");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, r->c.fpr, -1, SQLITE_TRANSIENT);
	if (done(st, s))
		return -1;
	/* registered again: its tombstones go */
	s = prep(st, "DELETE FROM reg_tombstones WHERE fpr = ? OR "
		     "subject = ?;");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->c.fpr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, r->c.subject, -1, SQLITE_TRANSIENT);
	if (done(st, s))
		return -1;
	s = prep(st, "INSERT INTO registrations (" REG_COLS
		     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, r->c.subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, r->c.fpr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, r->c.key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 5, r->der, (int)r->der_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, i64(r->c.not_before));
	sqlite3_bind_int64(s, 7, i64(r->c.not_after));
	sqlite3_bind_int64(s, 8, i64(r->created));
	sqlite3_bind_int64(s, 9, i64(r->last_used));
	return done(st, s);
}

/* One row of REG_COLS into r: 0, or -1 if the blob does not fit. */
static int reg_row(sqlite3_stmt *s, struct reg_rec *r)
{
	int n = sqlite3_column_bytes(s, 4);

	memset(r, 0, sizeof(*r));
	col_text(s, 0, r->addr, sizeof(r->addr));
	col_text(s, 1, r->c.subject, sizeof(r->c.subject));
	col_text(s, 2, r->c.fpr, sizeof(r->c.fpr));
	col_text(s, 3, r->c.key, sizeof(r->c.key));
	if (n <= 0 || n > REG_DER_MAX)
		return -1;
	memcpy(r->der, sqlite3_column_blob(s, 4), (size_t)n);
	r->der_len = (size_t)n;
	r->c.not_before = (uint64_t)sqlite3_column_int64(s, 5);
	r->c.not_after = (uint64_t)sqlite3_column_int64(s, 6);
	r->created = (uint64_t)sqlite3_column_int64(s, 7);
	r->last_used = (uint64_t)sqlite3_column_int64(s, 8);
	return 0;
}

/* The first row of S (prepared, ?1 = KEY) into r: 0, 1 none, -1. */
static int reg_one(sqlite3_stmt *s, const char *key, struct reg_rec *r)
{
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = reg_row(s, r) ? SQLITE_ERROR : SQLITE_ROW;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_reg_by_subject(struct store *st, const char *subject,
			 struct reg_rec *r)
{
	sqlite3_stmt *s = prep(st, "SELECT " REG_COLS " FROM registrations "
				   "WHERE subject = ? LIMIT 1;");

	return reg_one(s, subject, r);
}

int store_reg_by_key(struct store *st, const char *key, struct reg_rec *r)
{
	sqlite3_stmt *s = prep(st, "SELECT " REG_COLS " FROM registrations "
				   "WHERE addr = ?1 OR subject = ?1 LIMIT 1;");

	return reg_one(s, key, r);
}

int store_reg_count(struct store *st, const char *addr, const char *fpr,
		    uint64_t *n)
{
	sqlite3_stmt *s = prep(st, "SELECT count(*) FROM registrations "
				   "WHERE addr != ? AND fpr != ?;");

	if (s) {
		sqlite3_bind_text(s, 1, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, fpr, -1, SQLITE_TRANSIENT);
	}
	return one_count(s, n);
}

int store_reg_touch(struct store *st, const char *subject, uint64_t now)
{
	sqlite3_stmt *s = prep(st,
			       "UPDATE registrations SET last_used = ? "
			       "WHERE subject = ? AND last_used + 60 <= ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, i64(now));
	sqlite3_bind_text(s, 2, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, i64(now));
	return done(st, s);
}

int store_reg_expire(struct store *st, uint64_t before, uint64_t now,
		     unsigned *n)
{
	return reg_bury(
		st, "last_used < ?2 OR not_after <= ?3",
		"CASE WHEN not_after <= ?3 THEN 'expired ' || " REG_SQL_TIME(
			"not_after") " ELSE 'idle since ' || " REG_SQL_TIME("last_used") " END",
		"", before, now, n);
}

int store_reg_forget(struct store *st, const char *key, uint64_t now,
		     unsigned *n)
{
	return reg_bury(st, "addr = ?1 OR subject = ?1",
			"'by the operator at ' || " REG_SQL_TIME("?3"), key, 0,
			now, n);
}

int store_reg_tombstone(struct store *st, const char *subject, char *why,
			size_t len)
{
	sqlite3_stmt *s = prep(st, "SELECT why FROM reg_tombstones WHERE "
				   "subject = ?1 AND NOT EXISTS (SELECT 1 FROM "
				   "registrations WHERE subject = ?1) "
				   "ORDER BY forgotten DESC LIMIT 1;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, subject, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		col_text(s, 0, why, len);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_reg_tomb_count(struct store *st, uint64_t *n)
{
	return one_count(prep(st, "SELECT count(*) FROM reg_tombstones;"), n);
}

int store_reg_foreach(struct store *st,
		      int (*fn)(const struct reg_rec *, void *), void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " REG_COLS " FROM registrations "
				   "ORDER BY last_used;");
	struct reg_rec *r = malloc(sizeof(*r));
	int rc, n = 0;

	if (!s || !r) {
		sqlite3_finalize(s);
		free(r);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (reg_row(s, r))
			continue;
		n++;
		if (fn(r, arg))
			break;
	}
	sqlite3_finalize(s);
	free(r);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

#define AGENT_USAGE_COLS                                                   \
	"host, seq, user, start, end, sent_bytes, sent_pkts, recv_bytes, " \
	"recv_pkts"

static void agent_usage_row(sqlite3_stmt *s, struct agent_usage_rec *r)
{
	memset(r, 0, sizeof(*r));
	col_text(s, 0, r->host, sizeof(r->host));
	r->seq = (uint64_t)sqlite3_column_int64(s, 1);
	r->user = (uint32_t)sqlite3_column_int64(s, 2);
	r->start = (uint64_t)sqlite3_column_int64(s, 3);
	r->end = (uint64_t)sqlite3_column_int64(s, 4);
	r->sent_bytes = (uint64_t)sqlite3_column_int64(s, 5);
	r->sent_pkts = (uint64_t)sqlite3_column_int64(s, 6);
	r->recv_bytes = (uint64_t)sqlite3_column_int64(s, 7);
	r->recv_pkts = (uint64_t)sqlite3_column_int64(s, 8);
}

int store_agent_usage_put(struct store *st, const struct agent_usage_rec *r,
			  struct agent_usage_rec *old)
{
	sqlite3_stmt *s = prep(st, "INSERT OR IGNORE INTO agent_usage "
				   "(" AGENT_USAGE_COLS ") VALUES "
				   "(?, ?, ?, ?, ?, ?, ?, ?, ?);");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, i64(r->seq));
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->user);
	sqlite3_bind_int64(s, 4, i64(r->start));
	sqlite3_bind_int64(s, 5, i64(r->end));
	sqlite3_bind_int64(s, 6, i64(r->sent_bytes));
	sqlite3_bind_int64(s, 7, i64(r->sent_pkts));
	sqlite3_bind_int64(s, 8, i64(r->recv_bytes));
	sqlite3_bind_int64(s, 9, i64(r->recv_pkts));
	if (done(st, s))
		return -1;
	if (sqlite3_changes(st->db)) {
		/* to be moved, as the record is stored */
		s = prep(st, "INSERT INTO agent_usage_move (host, seq) "
			     "VALUES (?, ?);");
		if (!s)
			return -1;
		sqlite3_bind_text(s, 1, r->host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, i64(r->seq));
		return done(st, s) ? -1 : 0;
	}
	if (!old)
		return 1;
	s = prep(st, "SELECT " AGENT_USAGE_COLS " FROM agent_usage "
		     "WHERE host = ? AND seq = ?;");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, i64(r->seq));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		agent_usage_row(s, old);
	else
		log_warnx("store: agent usage: %s",
			  rc == SQLITE_DONE ? "the record stored is gone" :
					      sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : -1;
}

/* fn for each row of s (AGENT_USAGE_COLS), finalized: the count, or -1 */
static int agent_usage_each(struct store *st, sqlite3_stmt *s,
			    int (*fn)(const struct agent_usage_rec *, void *),
			    void *arg)
{
	struct agent_usage_rec r;
	int rc, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		agent_usage_row(s, &r);
		n++;
		if (fn(&r, arg))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		log_warnx("store: agent usage: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

int store_agent_usage_foreach(struct store *st, const char *host,
			      int (*fn)(const struct agent_usage_rec *, void *),
			      void *arg)
{
	sqlite3_stmt *s = prep(st, host ? "SELECT " AGENT_USAGE_COLS
					  " FROM agent_usage WHERE host = ?"
					  " ORDER BY host, user, seq;" :
					  "SELECT " AGENT_USAGE_COLS
					  " FROM agent_usage"
					  " ORDER BY host, user, seq;");

	if (!s)
		return -1;
	if (host)
		sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	return agent_usage_each(st, s, fn, arg);
}

int store_agent_usage_unmoved(struct store *st, unsigned max,
			      int (*fn)(const struct agent_usage_rec *, void *),
			      void *arg)
{
	sqlite3_stmt *s = prep(st, "SELECT " AGENT_USAGE_COLS
				   " FROM agent_usage_move"
				   " JOIN agent_usage USING (host, seq)"
				   " ORDER BY host, seq LIMIT ?;");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	return agent_usage_each(st, s, fn, arg);
}

int store_agent_usage_moved(struct store *st, const char *host, uint64_t seq)
{
	sqlite3_stmt *s = prep(st, "DELETE FROM agent_usage_move"
				   " WHERE host = ? AND seq = ?;");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, i64(seq));
	return done(st, s);
}

int store_agent_usage_prune(struct store *st, uint64_t before, unsigned max,
			    unsigned *n)
{
	/* end as the u64 it was: one above INT64_MAX (negative here) is not
	 * old */
	sqlite3_stmt *s = prep(st, "DELETE FROM agent_usage WHERE rowid IN"
				   " (SELECT rowid FROM agent_usage"
				   " WHERE end >= 0 AND end < ? LIMIT ?);");

	*n = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, before > INT64_MAX ? INT64_MAX : i64(before));
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	if (done(st, s))
		return -1;
	*n = (unsigned)sqlite3_changes(st->db);
	if (!*n)
		return 0;
	/* a record pruned is not moved any more */
	s = prep(st, "DELETE FROM agent_usage_move WHERE NOT EXISTS"
		     " (SELECT 1 FROM agent_usage u WHERE"
		     " u.host = agent_usage_move.host AND"
		     " u.seq = agent_usage_move.seq);");
	return s && !done(st, s) ? 0 : -1;
}
