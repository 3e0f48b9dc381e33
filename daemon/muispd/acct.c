// SPDX-License-Identifier: GPL-2.0
/*
 * RADIUS accounting records (acct.h): one session per binding, its
 * Start, Interim-Updates and Stop frozen into acct_spool in the store
 * transaction of the change that causes them; Accounting-On/Off and the
 * restart after a crash or a reboot.  The sender is acct_spool.c.
 *
 * Acct-Terminate-Cause: the caller sets live.acct_cause just before the
 * step that ends the binding (docs/DESIGN.md "RADIUS accounting" has the
 * table); a cause given while the contract waits in settlement is kept in
 * the open session's row, for a settlement retried after a restart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "acct.h"
#include "contract.h"
#include "log.h"
#include "muispd.h"
#include "payment_radius.h"
#include "radius.h"

#define ACCT_INTERIM_DEFAULT 300
#define ACCT_INTERIM_MIN     60
#define ACCT_KEEP_DEFAULT    400 /* days */

struct acct {
	uint32_t inst;	  /* meta acct_instance */
	char nas_id[64];  /* NAS-Identifier */
	uint64_t next_gc; /* sessions past radius-keep deleted */
	int off;	  /* clean stop recorded: nothing more */
};

static struct log_rl rl_acct = LOG_RL_INIT(10, 3);

static sqlite3_stmt *prep_db(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("acct: prepare: %s", sqlite3_errmsg(store_db(st)));
		return NULL;
	}
	return s;
}

static sqlite3_stmt *prep(struct muispd *md, const char *sql)
{
	return prep_db(md->st, sql);
}

/* Step a statement that returns no rows, finalize it: 0 or -1. */
static int done(struct muispd *md, sqlite3_stmt *s)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("acct: step: %s", sqlite3_errmsg(store_db(md->st)));
		return -1;
	}
	return 0;
}

static int64_t i64(uint64_t v)
{
	return (int64_t)v;
}

/* meta k: 0 and *v, 1 none, -1. */
static int meta_get(struct muispd *md, const char *k, uint64_t *v)
{
	sqlite3_stmt *s = prep(md, "SELECT v FROM meta WHERE k = ?;");
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int meta_set(struct muispd *md, const char *k, uint64_t v)
{
	sqlite3_stmt *s = prep(md,
			       "INSERT INTO meta (k, v) VALUES (?, ?) "
			       "ON CONFLICT(k) DO UPDATE SET v = excluded.v;");

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, i64(v));
	return done(md, s);
}

int acct_open(struct muispd *md)
{
	struct acct *a;
	uint64_t v;
	uint32_t r;
	int rc;

	if (!radius_acct_on(&md->conf.radius))
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	if (md->conf.radius.nas_identifier[0])
		snprintf(a->nas_id, sizeof(a->nas_id), "%s",
			 md->conf.radius.nas_identifier);
	else if (gethostname(a->nas_id, sizeof(a->nas_id) - 1))
		snprintf(a->nas_id, sizeof(a->nas_id), "muisp");
	rc = meta_get(md, "acct_instance", &v);
	if (rc == 1) {
		/* once per database: a reinstalled router repeats no id */
		do {
			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				goto fail;
		} while (!r);
		v = r;
		if (store_begin(md->st) || meta_set(md, "acct_instance", v) ||
		    store_commit(md->st)) {
			store_rollback(md->st);
			goto fail;
		}
		log_info("acct: instance %08x", r);
	} else if (rc) {
		goto fail;
	}
	a->inst = (uint32_t)v;
	md->acct = a;
	return 0;
fail:
	free(a);
	log_warnx("acct: cannot make the accounting instance");
	return -1;
}

void acct_close(struct muispd *md)
{
	free(md->acct);
	md->acct = NULL;
}

/* ---------- sessions ---------- */

#define SESS_COLS                                                            \
	"sid, serial, bindno, addr, mac, user_name, realm, class, started, " \
	"base_ub, base_up, base_db, base_dp, ub, up, db, dp, interim, "      \
	"coalesce(stopped, 0), coalesce(cause, 0)"

static void col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* One session row from s (bound): 0, 1 none, -1.  s finalized. */
static int sess_row(sqlite3_stmt *s, struct acct_session *o)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *b;
		size_t n;

		memset(o, 0, sizeof(*o));
		col_text(s, 0, o->sid, sizeof(o->sid));
		o->serial = (uint64_t)sqlite3_column_int64(s, 1);
		o->bindno = (uint64_t)sqlite3_column_int64(s, 2);
		col_text(s, 3, o->addr, sizeof(o->addr));
		col_text(s, 4, o->mac, sizeof(o->mac));
		col_text(s, 5, o->user_name, sizeof(o->user_name));
		col_text(s, 6, o->realm, sizeof(o->realm));
		b = sqlite3_column_blob(s, 7);
		n = (size_t)sqlite3_column_bytes(s, 7);
		if (b && n <= sizeof(o->class_tlv)) {
			memcpy(o->class_tlv, b, n);
			o->class_len = n;
		}
		o->started = (uint64_t)sqlite3_column_int64(s, 8);
		for (int i = 0; i < 4; i++) {
			o->base[i] = (uint64_t)sqlite3_column_int64(s, 9 + i);
			o->last[i] = (uint64_t)sqlite3_column_int64(s, 13 + i);
		}
		o->interim = (uint64_t)sqlite3_column_int64(s, 17);
		o->stopped = (uint64_t)sqlite3_column_int64(s, 18);
		o->cause = (uint32_t)sqlite3_column_int64(s, 19);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int acct_session_open(struct store *st, uint64_t serial,
		      struct acct_session *out)
{
	sqlite3_stmt *s = prep_db(st, "SELECT " SESS_COLS " FROM acct_sessions"
				      " WHERE serial = ? AND stopped IS NULL"
				      " ORDER BY bindno DESC LIMIT 1;");

	if (s)
		sqlite3_bind_int64(s, 1, i64(serial));
	return sess_row(s, out);
}

int acct_session_get(struct store *st, const char *sid,
		     struct acct_session *out)
{
	sqlite3_stmt *s = prep_db(st, "SELECT " SESS_COLS
				      " FROM acct_sessions WHERE sid = ?;");

	if (s)
		sqlite3_bind_text(s, 1, sid, -1, SQLITE_TRANSIENT);
	return sess_row(s, out);
}

/* ---------- attributes ---------- */

static int put_u64_pair(struct rad_buf *p, uint8_t lo, uint8_t hi, uint64_t v)
{
	if (rad_put_u32(p, lo, (uint32_t)v))
		return -1;
	return v >> 32 ? rad_put_u32(p, hi, (uint32_t)(v >> 32)) : 0;
}

/* NAS-IP(v6)-Address and NAS-Identifier. */
static int put_nas(struct muispd *md, struct rad_buf *p)
{
	const char *ip = md->conf.radius.nas_ip;
	uint8_t a[16];

	if (ip[0] && inet_pton(AF_INET, ip, a) == 1) {
		if (rad_put(p, RAD_NAS_IP_ADDRESS, a, 4))
			return -1;
	} else if (ip[0] && inet_pton(AF_INET6, ip, a) == 1) {
		if (rad_put(p, RAD_NAS_IPV6_ADDRESS, a, 16))
			return -1;
	}
	return rad_put_str(p, RAD_NAS_IDENTIFIER, md->acct->nas_id);
}

/* Counters of s at ctr, as reported (since its Start). */
static uint64_t delta(const struct acct_session *s, const uint64_t *ctr, int i)
{
	return ctr[i] > s->base[i] ? ctr[i] - s->base[i] : 0;
}

/*
 * The frozen attributes of a session record (no Acct-Delay-Time, no
 * Message-Authenticator: the sender adds them) into p after its header.
 */
static int build(struct muispd *md, const struct acct_session *s,
		 uint8_t status, uint64_t ts, const uint64_t *ctr,
		 uint32_t cause, int roam, struct rad_buf *p)
{
	char multi[32];
	uint8_t a[16];
	int rc = 0;

	rad_init(p, RAD_ACCT_REQUEST, 0);
	snprintf(multi, sizeof(multi), "%08x-%llx", md->acct->inst,
		 (unsigned long long)s->serial);
	rc |= rad_put_u32(p, RAD_ACCT_STATUS_TYPE, status);
	rc |= rad_put_str(p, RAD_ACCT_SESSION_ID, s->sid);
	rc |= rad_put_str(p, RAD_ACCT_MULTI_SESSION_ID, multi);
	if (s->user_name[0])
		rc |= rad_put_str(p, RAD_USER_NAME, s->user_name);
	rc |= put_nas(md, p);
	rc |= rad_put_u32(p, RAD_NAS_PORT_TYPE, 5); /* Virtual */
	/* a user of a host: the host's address */
	if (inet_pton(AF_INET, contract_payer_host(s->addr), a) == 1)
		rc |= rad_put(p, RAD_FRAMED_IP_ADDRESS, a, 4);
	else if (inet_pton(AF_INET6, contract_payer_host(s->addr), a) == 1)
		rc |= rad_put(p, RAD_FRAMED_IPV6_ADDRESS, a, 16);
	if (s->mac[0])
		rc |= rad_put_str(p, RAD_CALLING_STATION_ID, s->mac);
	if (s->class_len)
		rc |= rad_put_raw(p, s->class_tlv, s->class_len);
	rc |= rad_put_u32(p, RAD_EVENT_TIMESTAMP, (uint32_t)ts);
	rc |= rad_put_u32(p, RAD_ACCT_AUTHENTIC, roam ? 1 : 2);
	if (status != RAD_STATUS_START) {
		rc |= put_u64_pair(p, RAD_ACCT_INPUT_OCTETS,
				   RAD_ACCT_INPUT_GIGAWORDS,
				   delta(s, ctr, KC_UB));
		rc |= put_u64_pair(p, RAD_ACCT_OUTPUT_OCTETS,
				   RAD_ACCT_OUTPUT_GIGAWORDS,
				   delta(s, ctr, KC_DB));
		rc |= rad_put_u32(p, RAD_ACCT_INPUT_PACKETS,
				  (uint32_t)delta(s, ctr, KC_UP));
		rc |= rad_put_u32(p, RAD_ACCT_OUTPUT_PACKETS,
				  (uint32_t)delta(s, ctr, KC_DP));
		rc |= rad_put_u32(p, RAD_ACCT_SESSION_TIME,
				  (uint32_t)(ts > s->started ? ts - s->started :
							       0));
	}
	if (status == RAD_STATUS_STOP)
		rc |= rad_put_u32(p, RAD_ACCT_TERMINATE_CAUSE, cause);
	return rc ? -1 : 0;
}

/* 0 spooled, 1 refused (an Interim, the spool full), -1. */
static int spool(struct muispd *md, const struct acct_session *s,
		 uint8_t status, uint64_t ts, const uint64_t *ctr,
		 uint32_t cause, int roam)
{
	struct rad_buf p;

	if (!acct_spool_admit(md, status))
		return 1;

	if (build(md, s, status, ts, ctr, cause, roam, &p)) {
		log_warnx("acct: %s: record does not fit", s->sid);
		return -1;
	}
	return acct_spool_put(md->st, s->sid, status, ts, p.b + RAD_HDR_LEN,
			      p.len - RAD_HDR_LEN);
}

int acct_spool_put(struct store *st, const char *sid, uint8_t status,
		   uint64_t event_ts, const uint8_t *attrs, size_t len)
{
	sqlite3_stmt *q = prep_db(st, "INSERT INTO acct_spool (sid, status,"
				      " event_ts, attrs) VALUES (?, ?, ?, ?);");
	int rc;

	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, sid, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, status);
	sqlite3_bind_int64(q, 3, i64(event_ts));
	sqlite3_bind_blob(q, 4, attrs, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		log_warnx("acct: spool: %s", sqlite3_errmsg(store_db(st)));
		return -1;
	}
	return 0;
}

/* ---------- Start, Stop ---------- */

/* The contract's counters now: one GET at a session's start or end
 * (never per tick); the live contract's cache when the module does not
 * know it. */
static void counters_now(struct muispd *md, const struct contract_rec *rec,
			 uint64_t *ctr)
{
	struct live *l = live_find(md, rec->serial);
	uint64_t used;

	if (kernel_contract_counters(md->k, rec, ctr, &used) == 0) {
		if (l)
			memcpy(l->ctr, ctr, sizeof(l->ctr));
		return;
	}
	if (l)
		memcpy(ctr, l->ctr, sizeof(l->ctr));
	else
		memset(ctr, 0, KC_N * sizeof(*ctr));
}

/* The roaming Accept of a contract: 1 roaming (ra filled), 0 not. */
static int roam_of(struct muispd *md, uint64_t serial, struct roam_auth *ra)
{
	memset(ra, 0, sizeof(*ra));
	return roam_auth_get(md->st, serial, ra) == 0;
}

static void user_name(const struct contract_rec *rec,
		      const struct roam_auth *ra, int roam, char *out,
		      size_t cap)
{
	char user[16], pass[16];

	if (roam) {
		snprintf(out, cap, "%s", ra->user_name);
		return;
	}
	/* a user of a multi-user host: the payer, "ID@ADDRESS" */
	if (contract_payer_user(rec->addr, &(uint32_t){ 0 })) {
		snprintf(out, cap, "%s", rec->addr);
		return;
	}
	switch (rec->method) {
	case MP_METHOD_VOUCHER:
		/* the code's first half; the second is a secret */
		if (!contract_eap_creds(rec->payref, user, sizeof(user), pass,
					sizeof(pass))) {
			snprintf(out, cap, "%s", user);
			explicit_bzero(pass, sizeof(pass));
			return;
		}
		snprintf(out, cap, "voucher-%llu",
			 (unsigned long long)rec->serial);
		return;
	case MP_METHOD_ROOM:
		snprintf(out, cap, "%s", rec->room);
		return;
	case MP_METHOD_CASH:
		snprintf(out, cap, "cash-%llu",
			 (unsigned long long)rec->serial);
		return;
	case MP_METHOD_ONLINE:
		snprintf(out, cap, "online-%llu",
			 (unsigned long long)rec->serial);
		return;
	default:
		snprintf(out, cap, "contract-%llu",
			 (unsigned long long)rec->serial);
	}
}

static uint32_t interval_of(struct muispd *md, const struct roam_auth *ra,
			    int roam)
{
	const struct radius_conf *c = &md->conf.radius;
	uint32_t iv = roam && ra->interim ? ra->interim :
		      c->interim_s	  ? c->interim_s :
					    ACCT_INTERIM_DEFAULT;
	uint32_t min = c->interim_min_s ? c->interim_min_s : ACCT_INTERIM_MIN;

	return iv < min ? min : iv;
}

/* A per-session jitter in [0, radius-interim-jitter], fixed by its id. */
static uint32_t jitter_of(struct muispd *md, const char *sid)
{
	uint32_t h = 2166136261u, j = md->conf.radius.interim_jitter_s;

	for (const char *p = sid; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return j ? h % (j + 1) : 0;
}

static void mac_of(struct muispd *md, const char *addr, char *out, size_t cap)
{
	struct kernel_addr ka;

	out[0] = '\0';
	if (kernel_addr_get(md->k, addr, &ka) == 0 && ka.has_mac)
		snprintf(out, cap, "%02X-%02X-%02X-%02X-%02X-%02X", ka.mac[0],
			 ka.mac[1], ka.mac[2], ka.mac[3], ka.mac[4], ka.mac[5]);
}

void acct_calling_station_id(struct muispd *md, const char *addr, char *out,
			     size_t cap)
{
	mac_of(md, addr, out, cap);
}

int acct_session_id_first(const struct muispd *md, uint64_t serial, char *out,
			  size_t cap)
{
	if (!md->acct)
		return -1;
	snprintf(out, cap, "%08x-%llx-1", md->acct->inst,
		 (unsigned long long)serial);
	return 0;
}

static int start(struct muispd *md, const struct contract_rec *rec,
		 uint64_t now)
{
	struct acct_session s;
	struct roam_auth ra;
	int roam = roam_of(md, rec->serial, &ra);
	struct live *l = live_find(md, rec->serial);
	uint64_t ctr[KC_N];
	sqlite3_stmt *q;
	int rc;

	memset(&s, 0, sizeof(s));
	s.serial = rec->serial;
	q = prep(md, "SELECT coalesce(max(bindno), 0) + 1 FROM acct_sessions"
		     " WHERE serial = ?;");
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, i64(rec->serial));
	rc = sqlite3_step(q);
	s.bindno = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return -1;
	snprintf(s.sid, sizeof(s.sid), "%08x-%llx-%llu", md->acct->inst,
		 (unsigned long long)s.serial, (unsigned long long)s.bindno);
	snprintf(s.addr, sizeof(s.addr), "%s", rec->addr);
	mac_of(md, rec->addr, s.mac, sizeof(s.mac));
	user_name(rec, &ra, roam, s.user_name, sizeof(s.user_name));
	if (roam) {
		snprintf(s.realm, sizeof(s.realm), "%s", ra.realm);
		if (ra.class_len <= sizeof(s.class_tlv)) {
			memcpy(s.class_tlv, ra.class_tlv, ra.class_len);
			s.class_len = ra.class_len;
		}
	}
	s.started = now;
	counters_now(md, rec, ctr);
	memcpy(s.base, ctr, sizeof(s.base));
	memcpy(s.last, ctr, sizeof(s.last));
	s.interim = now + interval_of(md, &ra, roam) + jitter_of(md, s.sid);
	q = prep(md, "INSERT INTO acct_sessions (sid, serial, bindno, addr,"
		     " mac, user_name, realm, class, started, base_ub, base_up,"
		     " base_db, base_dp, ub, up, db, dp, interim)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		     " ?12, ?13, ?10, ?11, ?12, ?13, ?14);");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, s.sid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, i64(s.serial));
	sqlite3_bind_int64(q, 3, i64(s.bindno));
	sqlite3_bind_text(q, 4, s.addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, s.mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, s.user_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, s.realm, -1, SQLITE_STATIC);
	if (s.class_len)
		sqlite3_bind_blob(q, 8, s.class_tlv, (int)s.class_len,
				  SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, i64(s.started));
	for (int i = 0; i < KC_N; i++)
		sqlite3_bind_int64(q, 10 + i, i64(s.base[i]));
	sqlite3_bind_int64(q, 14, i64(s.interim));
	if (done(md, q) || spool(md, &s, RAD_STATUS_START, now, ctr, 0, roam))
		return -1;
	if (l) {
		l->acct.last_interim = 0;
		l->acct.soon = 0;
		l->acct.due = s.interim;
		l->acct.idle_s = roam ? ra.idle_timeout : 0;
		l->acct.idle_since = now;
		l->acct.idle_sum = ctr[0] + ctr[1] + ctr[2] + ctr[3];
	}
	return 0;
}

/* Stop s at now with ctr: the record and the row. */
static int stop_with(struct muispd *md, struct acct_session *s,
		     const uint64_t *ctr, uint32_t cause, uint64_t now)
{
	struct roam_auth ra;
	int roam = roam_of(md, s->serial, &ra);
	sqlite3_stmt *q;

	if (spool(md, s, RAD_STATUS_STOP, now, ctr, cause, roam))
		return -1;
	q = prep(md, "UPDATE acct_sessions SET ub = ?, up = ?, db = ?, dp = ?,"
		     " stopped = ?, cause = ? WHERE sid = ?;");
	if (!q)
		return -1;
	for (int i = 0; i < KC_N; i++)
		sqlite3_bind_int64(q, 1 + i, i64(ctr[i]));
	sqlite3_bind_int64(q, 5, i64(now));
	sqlite3_bind_int64(q, 6, cause);
	sqlite3_bind_text(q, 7, s->sid, -1, SQLITE_STATIC);
	return done(md, q);
}

static int counters_del(struct muispd *md, uint64_t serial)
{
	sqlite3_stmt *q =
		prep(md, "DELETE FROM acct_counters WHERE serial = ?;");

	if (q)
		sqlite3_bind_int64(q, 1, i64(serial));
	return done(md, q);
}

static int bound(const struct contract_rec *rec)
{
	return rec->addr[0] && rec->state != CS_UNBOUND &&
	       contract_is_outstanding(rec->state);
}

int acct_contract_put(struct muispd *md, const struct contract_rec *rec,
		      uint32_t cause)
{
	uint64_t now = muispd_now(md);
	struct acct_session s;
	uint64_t ctr[KC_N];
	int rc;

	if (!md->acct || md->acct->off)
		return 0;
	rc = acct_session_open(md->st, rec->serial, &s);
	if (rc < 0)
		return -1;
	if (rc == 0 && bound(rec) && !strcmp(s.addr, rec->addr)) {
		sqlite3_stmt *q;

		/* still this session; a terminate's cause is kept for the
		 * Stop at the settlement (maybe after a restart) */
		if (!cause || rec->state != CS_IN_SETTLEMENT ||
		    cause == s.cause)
			return 0;
		q = prep(md,
			 "UPDATE acct_sessions SET cause = ? WHERE sid = ?;");
		if (q) {
			sqlite3_bind_int64(q, 1, cause);
			sqlite3_bind_text(q, 2, s.sid, -1, SQLITE_STATIC);
		}
		return done(md, q);
	}
	if (rc == 0) {
		counters_now(md, rec, ctr);
		if (!cause)
			cause = s.cause ? s.cause : RAD_TERM_LOST_SERVICE;
		if (stop_with(md, &s, ctr, cause, now))
			return -1;
	}
	if (!contract_is_outstanding(rec->state) &&
	    counters_del(md, rec->serial))
		return -1;
	if (bound(rec) && start(md, rec, now))
		return -1;
	/* the sender's pass is deferred to the next loop iteration: after
	 * the caller's commit (or rollback) */
	if (rc == 0 || bound(rec))
		acct_spool_kick(md);
	return 0;
}

void acct_persisted(struct muispd *md, struct live *l)
{
	(void)md;
	if (l->rec.state != CS_IN_SETTLEMENT)
		l->acct_cause = 0;
}

/* ---------- counters checkpoint and restore ---------- */

/* l->ctr is the tick's, except for elapsed-time contracts, whose usage
 * needs no GET: read when a record or the checkpoint needs them. */
static void ctr_fresh(struct muispd *md, struct live *l)
{
	uint64_t used;

	if (l->rec.metric == MP_METRIC_ELAPSED && !l->acct.idle_s)
		kernel_contract_counters(md->k, &l->rec, l->ctr, &used);
}

int acct_checkpoint(struct muispd *md, struct live *l, uint64_t now)
{
	sqlite3_stmt *q;

	if (!md->acct)
		return 0;
	ctr_fresh(md, l);
	q = prep(md, "INSERT OR REPLACE INTO acct_counters (serial, ub, up, db,"
		     " dp, at) VALUES (?, ?, ?, ?, ?, ?);");
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, i64(l->rec.serial));
	for (int i = 0; i < KC_N; i++)
		sqlite3_bind_int64(q, 2 + i, i64(l->ctr[i]));
	sqlite3_bind_int64(q, 6, i64(now));
	return done(md, q);
}

int acct_restore_counters(struct muispd *md, struct live *l, uint64_t *ctr)
{
	const struct contract_rec *r = &l->rec;
	uint64_t sum;
	sqlite3_stmt *q;
	int rc;

	if (!md->acct)
		return 1;
	q = prep(md,
		 "SELECT ub, up, db, dp FROM acct_counters WHERE serial = ?;");
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, i64(r->serial));
	rc = sqlite3_step(q);
	for (int i = 0; rc == SQLITE_ROW && i < KC_N; i++)
		ctr[i] = (uint64_t)sqlite3_column_int64(q, i);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 1 : -1;
	/* the module's "used" is their sum: it must be the contract's
	 * usage (a usage checkpointed later than the counters goes to
	 * Input; one below them cannot be split) */
	if (r->metric == MP_METRIC_BYTES || r->metric == MP_METRIC_PACKETS) {
		int u = r->metric == MP_METRIC_BYTES ? KC_UB : KC_UP;
		int d = r->metric == MP_METRIC_BYTES ? KC_DB : KC_DP;

		sum = ctr[u] + ctr[d];
		if (sum > r->usage)
			return 1;
		ctr[u] += r->usage - sum;
	}
	memcpy(l->ctr, ctr, sizeof(l->ctr));
	return 0;
}

/* ---------- Interim-Update, idle time-out ---------- */

void acct_interim_soon(struct muispd *md, uint64_t serial)
{
	struct live *l = md->acct ? live_find(md, serial) : NULL;

	if (l)
		l->acct.soon = 1;
}

static int interim(struct muispd *md, struct live *l, uint64_t now)
{
	struct acct_session s;
	struct roam_auth ra;
	int roam, rc = acct_session_open(md->st, l->rec.serial, &s);
	uint64_t next;
	sqlite3_stmt *q;

	if (rc)
		return rc < 0 ? -1 : 0;
	if (!l->acct.due) { /* first look (made before live_add, restart) */
		roam = roam_of(md, s.serial, &ra);
		l->acct.idle_s = roam ? ra.idle_timeout : 0;
		l->acct.idle_since = now;
		l->acct.idle_sum =
			l->ctr[0] + l->ctr[1] + l->ctr[2] + l->ctr[3];
	}
	l->acct.due = s.interim;
	if (!l->acct.soon && s.interim > now)
		return 0;
	/* the dedup key: at most one Interim a second (a second one goes
	 * with the next) */
	if (now <= l->acct.last_interim || now <= s.started)
		return 0;
	roam = roam_of(md, s.serial, &ra);
	next = s.interim;
	if (next <= now) {
		uint32_t iv = interval_of(md, &ra, roam);

		next = s.interim + iv;
		if (next <= now)
			next = now + iv;
	}
	ctr_fresh(md, l);
	rc = spool(md, &s, RAD_STATUS_INTERIM, now, l->ctr, 0, roam);
	if (rc < 0)
		return -1;
	if (rc) { /* refused (spool full): the next one is cumulative */
		l->acct.soon = 0;
		l->acct.due = next;
		return 0;
	}
	q = prep(md, "UPDATE acct_sessions SET ub = ?, up = ?, db = ?, dp = ?,"
		     " interim = ? WHERE sid = ?;");
	if (!q)
		return -1;
	for (int i = 0; i < KC_N; i++)
		sqlite3_bind_int64(q, 1 + i, i64(l->ctr[i]));
	sqlite3_bind_int64(q, 5, i64(next));
	sqlite3_bind_text(q, 6, s.sid, -1, SQLITE_STATIC);
	if (done(md, q))
		return -1;
	l->acct.soon = 0;
	l->acct.due = next;
	l->acct.last_interim = now;
	return 1;
}

/* A roaming session without traffic for its Idle-Timeout ends (4). */
static void idle_check(struct muispd *md, uint64_t now)
{
	for (unsigned i = 0; i < md->nlives; i++) {
		struct live *l = &md->lives[i];
		uint64_t sum = l->ctr[0] + l->ctr[1] + l->ctr[2] + l->ctr[3];

		if (!l->acct.idle_s || !contract_is_bound(l->rec.state))
			continue;
		if (sum != l->acct.idle_sum) {
			l->acct.idle_sum = sum;
			l->acct.idle_since = now;
			continue;
		}
		if (now - l->acct.idle_since < l->acct.idle_s)
			continue;
		log_info("contract %llu: idle for %u s (roaming Idle-Timeout)",
			 (unsigned long long)l->rec.serial, l->acct.idle_s);
		l->acct.idle_s = 0;
		l->acct_cause = RAD_TERM_IDLE_TIMEOUT;
		session_terminate(md, NULL, NULL, l, now);
		return; /* the set changed: the others next second */
	}
}

/* Sessions stopped more than radius-keep days ago: once an hour. */
static void gc(struct muispd *md, uint64_t now)
{
	uint32_t days = md->conf.radius.keep_days ? md->conf.radius.keep_days :
						    ACCT_KEEP_DEFAULT;
	sqlite3_stmt *q;

	if (now < md->acct->next_gc)
		return;
	md->acct->next_gc = now + 3600;
	q = prep(md, "DELETE FROM acct_sessions WHERE stopped IS NOT NULL"
		     " AND stopped < ?;");
	if (q)
		sqlite3_bind_int64(q, 1, i64(now - (uint64_t)days * 86400));
	done(md, q);
}

/* An Interim may be due for l (its row says exactly). */
static int maybe_due(const struct live *l, uint64_t now)
{
	return bound(&l->rec) && !l->settle &&
	       (l->acct.soon || !l->acct.due || l->acct.due <= now);
}

void acct_tick(struct muispd *md, uint64_t now)
{
	unsigned i, n = 0;
	int rc = 0;

	if (!md->acct || md->acct->off)
		return;
	idle_check(md, now);
	for (i = 0; i < md->nlives && !n; i++)
		n = maybe_due(&md->lives[i], now);
	if (n) { /* one transaction for all that are due */
		rc = store_begin(md->st);
		for (i = 0; i < md->nlives && !rc; i++)
			if (maybe_due(&md->lives[i], now))
				rc = interim(md, &md->lives[i], now) < 0;
		if (rc || store_commit(md->st)) {
			store_rollback(md->st);
			/* nothing moved: the rows again next second */
			for (i = 0; i < md->nlives; i++) {
				md->lives[i].acct.due = 0;
				if (md->lives[i].acct.last_interim == now)
					md->lives[i].acct.last_interim = 0;
			}
			log_ratelimited(&rl_acct, LOG_ERR,
					"acct: interim records not stored; "
					"retried");
			return;
		}
		acct_spool_kick(md);
	}
	gc(md, now);
}

/* ---------- service start and stop ---------- */

struct open_ctx {
	struct acct_session *v;
	unsigned n, cap;
};

/* Every open session (few: one per bound contract). */
static int open_sessions(struct muispd *md, struct open_ctx *x)
{
	sqlite3_stmt *q = prep(md, "SELECT sid FROM acct_sessions WHERE"
				   " stopped IS NULL ORDER BY serial;");
	char sid[48];
	int rc;

	if (!q)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (x->n == x->cap) {
			unsigned cap = x->cap ? 2 * x->cap : 16;
			void *p = realloc(x->v, cap * sizeof(*x->v));

			if (!p)
				break;
			x->v = p;
			x->cap = cap;
		}
		col_text(q, 0, sid, sizeof(sid));
		if (acct_session_get(md->st, sid, &x->v[x->n]) == 0)
			x->n++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Accounting-On / -Off: no session, Acct-Session-Id the instance. */
static int on_off(struct muispd *md, uint8_t status, uint64_t now)
{
	struct rad_buf p;
	char inst[16];
	int rc = 0;

	snprintf(inst, sizeof(inst), "%08x", md->acct->inst);
	rad_init(&p, RAD_ACCT_REQUEST, 0);
	rc |= rad_put_u32(&p, RAD_ACCT_STATUS_TYPE, status);
	rc |= rad_put_str(&p, RAD_ACCT_SESSION_ID, inst);
	rc |= put_nas(md, &p);
	rc |= rad_put_u32(&p, RAD_EVENT_TIMESTAMP, (uint32_t)now);
	rc |= rad_put_u32(&p, RAD_ACCT_AUTHENTIC, 2);
	if (rc)
		return -1;
	return acct_spool_put(md->st, "", status, now, p.b + RAD_HDR_LEN,
			      p.len - RAD_HDR_LEN);
}

/*
 * After session_load.  Open sessions whose contract the module still
 * has (a muispd crash) go on, no Accounting-On (it would close them at
 * the server).  Those it lost (reboot, module reloaded) stop with
 * NAS-Reboot at the checkpointed counters it got back.  Accounting-On
 * after a clean stop, at the first start, or when no session went on;
 * then a Start for every bound contract without an open session.
 */
int acct_start_service(struct muispd *md)
{
	struct open_ctx x = { 0 };
	uint64_t now = muispd_now(md), clean = 0;
	unsigned went_on = 0, stopped = 0, started = 0;
	int first, rc, lost = 0, on;

	if (!md->acct)
		return 0;
	rc = meta_get(md, "acct_clean", &clean);
	if (rc < 0 || open_sessions(md, &x) || store_begin(md->st))
		goto fail;
	first = rc == 1;
	for (unsigned i = 0; i < x.n; i++) {
		struct acct_session *s = &x.v[i];
		struct live *l = live_find(md, s->serial);
		uint64_t ctr[KC_N];

		if (l && !l->klost && bound(&l->rec) &&
		    !strcmp(l->rec.addr, s->addr)) {
			went_on++;
			continue;
		}
		if (l)
			counters_now(md, &l->rec, ctr);
		else
			memcpy(ctr, s->last, sizeof(ctr));
		if (stop_with(md, s, ctr, RAD_TERM_NAS_REBOOT, now))
			goto fail_tx;
		stopped++;
	}
	for (unsigned i = 0; i < md->nlives; i++)
		lost |= md->lives[i].klost;
	/* not after a crash: the server would close the live sessions */
	on = clean || first || (!went_on && (stopped || lost));
	if (on && on_off(md, RAD_STATUS_ACCT_ON, now))
		goto fail_tx;
	for (unsigned i = 0; i < md->nlives; i++) {
		struct live *l = &md->lives[i];
		struct acct_session s;

		l->klost = 0;
		if (!bound(&l->rec))
			continue;
		rc = acct_session_open(md->st, l->rec.serial, &s);
		if (rc < 0 || (rc == 1 && start(md, &l->rec, now)))
			goto fail_tx;
		started += rc == 1;
	}
	if (meta_set(md, "acct_clean", 0) || store_commit(md->st))
		goto fail_tx;
	log_info("acct: %s; %u sessions go on, %u stopped (NAS-Reboot), "
		 "%u started",
		 on ? "Accounting-On" : "after a crash, no Accounting-On",
		 went_on, stopped, started);
	free(x.v);
	acct_spool_kick(md);
	return 0;
fail_tx:
	store_rollback(md->st);
fail:
	free(x.v);
	log_warnx("acct: start of the accounting service failed");
	return -1;
}

/*
 * Clean stop: every open session stops (NAS-Request), then
 * Accounting-Off, in one transaction; nothing is recorded after it.  The
 * sender delivers them for at most radius-stop-wait (from server_run,
 * after the loop: acct_spool_flush runs a loop of its own); the rest
 * stays spooled for the next start.
 */
void acct_stop_service(struct muispd *md)
{
	struct open_ctx x = { 0 };
	uint64_t now = muispd_now(md);
	uint32_t wait = md->conf.radius.stop_wait_s; /* 0: none */
	struct acct *a = md->acct;
	int left;

	if (!a || a->off)
		return;
	for (unsigned i = 0; i < md->nlives; i++)
		session_usage_refresh(md, &md->lives[i], now);
	if (open_sessions(md, &x) || store_begin(md->st))
		goto fail;
	for (unsigned i = 0; i < x.n; i++) {
		struct live *l = live_find(md, x.v[i].serial);
		uint64_t ctr[KC_N];

		if (l)
			counters_now(md, &l->rec, ctr);
		else
			memcpy(ctr, x.v[i].last, sizeof(ctr));
		if (stop_with(md, &x.v[i], ctr, RAD_TERM_NAS_REQUEST, now))
			goto fail_tx;
	}
	if (on_off(md, RAD_STATUS_ACCT_OFF, now) ||
	    meta_set(md, "acct_clean", 1) || store_commit(md->st))
		goto fail_tx;
	a->off = 1;
	log_info("acct: %u sessions stopped, Accounting-Off", x.n);
	free(x.v);
	if (!wait || !md->spool)
		return;
	left = acct_spool_flush(md, muispd_mono_ms(md) + (uint64_t)wait * 1000);
	if (left)
		log_warnx(
			"acct: %d records not delivered: kept in the spool for "
			"the next start",
			left);
	return;
fail_tx:
	store_rollback(md->st);
fail:
	free(x.v);
	log_warnx("acct: the clean stop's records are not stored (the next "
		  "start sees a crash)");
}
