// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl report cdr|settlement: Call Detail Records and the settlement
 * summary of a period from muispd's database (acct_sessions, contracts,
 * radius_auth; daemon/muispd/acct.h), opened read-only: the running
 * muispd (WAL) is not disturbed and nothing is written.  The path: the
 * --database option, else "database" in muispd.conf (--config, default
 * /etc/muisp/muispd.conf), else muispd's default.
 *
 * cdr: one row per RADIUS session (a binding of a contract to an address)
 * that overlaps [from, to): started before `to` and stopped after `from`
 * (or still open).  settlement: the contracts settled in [from, to), summed per
 * payment method and per roaming realm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "conf.h"
#include "muispctl.h"
#include "proto.h"

#define REPORT_CONF "/etc/muisp/muispd.conf"
#define REPORT_DB   "/var/lib/muisp/muispd/muispd.db"

struct report_opts {
	const char *database, *config, *realm;
	uint64_t from, to;
	enum out_fmt fmt;
	char dbbuf[256];
};

/* "YYYY-MM-DD" (00:00 UTC) or seconds since the epoch. */
static int parse_when(const char *s, uint64_t *v)
{
	struct tm tm = { 0 };
	const char *why;
	char *end;

	if (parse_uint(s, INT64_MAX, v, &why) == 0)
		return 0;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	*v = (uint64_t)timegm(&tm);
	return 0;
}

/* "database PATH" of muispd.conf; 0 found, 1 not there, -1 error. */
static int conf_database(const char *path, char *out, size_t cap)
{
	char err[300], *text = NULL;
	struct conf r;
	int k, found = 1;

	if (conf_read(path, &text, err, sizeof(err)) < 0)
		return errno == ENOENT ? 1 : (cli_warn("%s", err), -1);
	if (conf_init(&r, path, text, err, sizeof(err)) < 0) {
		free(text);
		cli_warn("%s", err);
		return -1;
	}
	free(text);
	while ((k = conf_next(&r)) == CONF_WORDS)
		if (!strcmp(r.w[0], "database") && r.nw == 2) {
			snprintf(out, cap, "%s", r.w[1]);
			found = 0;
		}
	if (k == CONF_ERR) {
		cli_warn("%s", err);
		found = -1;
	}
	conf_fini(&r);
	return found;
}

static sqlite3 *open_db(struct report_opts *o)
{
	sqlite3 *db = NULL;

	if (!o->database) {
		int r = conf_database(o->config, o->dbbuf, sizeof(o->dbbuf));

		if (r < 0)
			return NULL;
		o->database = r == 0 ? o->dbbuf : REPORT_DB;
	}
	if (sqlite3_open_v2(o->database, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		cli_warn("muispd database %s: %s (--database PATH)",
			 o->database,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

/* Options after the verb; EXIT_OK or the usage error. */
static int report_args(struct ctl *c, int argc, char **argv, int realm_ok,
		       struct report_opts *o)
{
	static const char *const flags[] = { "--json", "--csv", NULL };
	const char *k, *v;
	int r;

	memset(o, 0, sizeof(*o));
	o->config = REPORT_CONF;
	o->to = INT64_MAX;
	o->fmt = c->fmt;
	argc--;
	argv++;
	while ((r = ctl_kv(&argc, &argv, flags, &k, &v)) == 0) {
		if (!strcmp(k, "--json")) {
			o->fmt = OUT_JSON;
		} else if (!strcmp(k, "--csv")) {
			o->fmt = OUT_CSV;
		} else if (!strcmp(k, "--from") || !strcmp(k, "--to")) {
			if (parse_when(v, k[2] == 'f' ? &o->from : &o->to))
				return cli_badarg(k, v,
						  "expected YYYY-MM-DD or "
						  "seconds since the epoch");
		} else if (!strcmp(k, "--realm") && realm_ok) {
			o->realm = v;
		} else if (!strcmp(k, "--database")) {
			o->database = v;
		} else if (!strcmp(k, "--config")) {
			o->config = v;
		} else {
			return cli_usage("unknown option '%s'", k);
		}
	}
	if (r < 0)
		return EXIT_USAGE;
	if (o->from >= o->to)
		return cli_usage("--from must be before --to");
	return EXIT_OK;
}

/*
 * A report: its SQL (?1 from, ?2 to, ?3 now, ?4 the realm or NULL) and a
 * row printer.
 */
struct report {
	const char *verb;
	int realm_ok; /* --realm */
	const char *sql;
	const struct out_col *cols;
	unsigned int ncols;
	int (*row)(struct out_table *t, sqlite3_stmt *s, uint64_t now);
};

static int report_run(struct ctl *c, int argc, char **argv,
		      const struct report *rep)
{
	uint64_t now = (uint64_t)time(NULL);
	struct out_table *t = NULL;
	sqlite3_stmt *s = NULL;
	struct report_opts o;
	sqlite3 *db;
	int rc, r;

	rc = report_args(c, argc, argv, rep->realm_ok, &o);
	if (rc != EXIT_OK)
		return rc;
	db = open_db(&o);
	if (!db)
		return EXIT_FAIL;
	rc = EXIT_FAIL;
	if (sqlite3_prepare_v2(db, rep->sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, (int64_t)o.from);
	sqlite3_bind_int64(s, 2, (int64_t)o.to);
	sqlite3_bind_int64(s, 3, (int64_t)now);
	if (o.realm)
		sqlite3_bind_text(s, 4, o.realm, -1, SQLITE_STATIC);
	t = out_new(rep->cols, rep->ncols);
	if (!t)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (rep->row(t, s, now))
			goto out;
	if (r != SQLITE_DONE)
		goto out;
	rc = out_print(t, c->out, o.fmt, OUT_LIST) ? EXIT_FAIL : EXIT_OK;
out:
	if (rc != EXIT_OK && sqlite3_errcode(db) != SQLITE_OK)
		cli_warn("report %s: %s: %s", rep->verb, o.database,
			 sqlite3_errmsg(db));
	out_free(t);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

/* ---------- cdr ---------- */

enum {
	R_SID,
	R_MSID,
	R_SERIAL,
	R_USER,
	R_REALM,
	R_METHOD,
	R_ADDR,
	R_MAC,
	R_START,
	R_STOP,
	R_TIME,
	R_IN_OCT,
	R_OUT_OCT,
	R_IN_PKT,
	R_OUT_PKT,
	R_CAUSE,
	R_CLASS,
};
static const struct out_col cdr_cols[] = {
	[R_SID] = { "sid", "SESSION" },
	[R_MSID] = { "multi_sid", "MULTI-SESSION" },
	[R_SERIAL] = { "serial", "SERIAL" },
	[R_USER] = { "user", "USER" },
	[R_REALM] = { "realm", "REALM" },
	[R_METHOD] = { "method", "METHOD" },
	[R_ADDR] = { "addr", "ADDRESS" },
	[R_MAC] = { "mac", "MAC" },
	[R_START] = { "start", "START" },
	[R_STOP] = { "stop", "STOP" },
	[R_TIME] = { "session_time", "SECONDS" },
	[R_IN_OCT] = { "in_octets", "IN-OCTETS" },
	[R_OUT_OCT] = { "out_octets", "OUT-OCTETS" },
	[R_IN_PKT] = { "in_packets", "IN-PKTS" },
	[R_OUT_PKT] = { "out_packets", "OUT-PKTS" },
	[R_CAUSE] = { "cause", "CAUSE" },
	[R_CLASS] = { "class", "CLASS" },
};

/* Acct-Terminate-Cause names (RFC 2866 §5.10) muisp sends. */
static const char *cause_name(uint64_t v)
{
	static const char *const n[] = {
		[1] = "User-Request",	 [2] = "Lost-Carrier",
		[3] = "Lost-Service",	 [4] = "Idle-Timeout",
		[5] = "Session-Timeout", [6] = "Admin-Reset",
		[10] = "NAS-Request",	 [11] = "NAS-Reboot",
	};

	return v < sizeof(n) / sizeof(n[0]) ? n[v] : NULL;
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

static const char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? (const char *)v : "";
}

static int cdr_row(struct out_table *t, sqlite3_stmt *s, uint64_t now)
{
	const uint8_t *cls = sqlite3_column_blob(s, 14);
	size_t ncls = (size_t)sqlite3_column_bytes(s, 14);
	const char *sid = col_str(s, 0), *dash = strrchr(sid, '-');
	uint64_t start = col_u64(s, 7), stop = col_u64(s, 8), cause;
	const char *m;
	char tbuf[32];
	int r = out_row(t);

	r |= out_str(t, R_SID, sid);
	if (dash)
		r |= out_strf(t, R_MSID, "%.*s", (int)(dash - sid), sid);
	r |= out_u64(t, R_SERIAL, col_u64(s, 1));
	r |= out_str(t, R_USER, col_str(s, 2));
	if (*col_str(s, 3))
		r |= out_str(t, R_REALM, col_str(s, 3));
	m = sqlite3_column_type(s, 4) == SQLITE_NULL ?
		    NULL :
		    mp_method_name(sqlite3_column_int(s, 4));
	if (m)
		r |= out_str(t, R_METHOD, m);
	r |= out_str(t, R_ADDR, col_str(s, 5));
	if (*col_str(s, 6))
		r |= out_str(t, R_MAC, col_str(s, 6));
	r |= out_u64_as(t, R_START, start, fmt_time_s(start, tbuf, 32));
	if (sqlite3_column_type(s, 8) != SQLITE_NULL)
		r |= out_u64_as(t, R_STOP, stop, fmt_time_s(stop, tbuf, 32));
	else
		stop = now; /* open: so far */
	r |= out_u64(t, R_TIME, stop > start ? stop - start : 0);
	for (unsigned i = 0; i < 4; i++) /* in: from the user */
		r |= out_u64(t, R_IN_OCT + i, col_u64(s, 9 + (int)i));
	if (sqlite3_column_type(s, 13) != SQLITE_NULL) {
		cause = col_u64(s, 13);
		r |= cause_name(cause) ?
			     out_u64_as(t, R_CAUSE, cause, cause_name(cause)) :
			     out_u64(t, R_CAUSE, cause);
	}
	if (cls && ncls) {
		char *hex = malloc(2 * ncls + 1);

		if (!hex)
			return -1;
		for (size_t i = 0; i < ncls; i++)
			snprintf(hex + 2 * i, 3, "%02x", cls[i]);
		r |= out_str(t, R_CLASS, hex);
		free(hex);
	}
	return r ? -1 : 0;
}

static int report_cdr(struct ctl *c, int argc, char **argv)
{
	static const struct report rep = {
		"cdr",
		1,
		"SELECT s.sid, s.serial, s.user_name, s.realm, c.method,"
		" s.addr, s.mac, s.started, s.stopped,"
		" s.ub - s.base_ub, s.db - s.base_db,"
		" s.up - s.base_up, s.dp - s.base_dp, s.cause, s.class"
		" FROM acct_sessions s"
		" LEFT JOIN contracts c ON c.serial = s.serial"
		" WHERE s.started < ?2"
		" AND (s.stopped IS NULL OR s.stopped > ?1)"
		" AND (?4 IS NULL OR s.realm = ?4)"
		" ORDER BY s.started, s.serial, s.bindno;",
		cdr_cols,
		sizeof(cdr_cols) / sizeof(cdr_cols[0]),
		cdr_row,
	};

	return report_run(c, argc, argv, &rep);
}

/* ---------- settlement ---------- */

enum {
	T_BY,
	T_NAME,
	T_CONTRACTS,
	T_SESSIONS,
	T_IN_OCT,
	T_OUT_OCT,
	T_OCT,
	T_SECONDS,
	T_CHARGE,
	T_REFUND,
};
static const struct out_col set_cols[] = {
	[T_BY] = { "by", "BY" },
	[T_NAME] = { "name", "NAME" },
	[T_CONTRACTS] = { "contracts", "CONTRACTS" },
	[T_SESSIONS] = { "sessions", "SESSIONS" },
	[T_IN_OCT] = { "in_octets", "IN-OCTETS" },
	[T_OUT_OCT] = { "out_octets", "OUT-OCTETS" },
	[T_OCT] = { "octets", "OCTETS" },
	[T_SECONDS] = { "seconds", "SECONDS" },
	[T_CHARGE] = { "charge", "CHARGE" },
	[T_REFUND] = { "refund", "REFUND" },
};

/* The contracts settled in [?1, ?2) with their sessions' sums and their
 * roaming realm (radius_auth, else a session's); ?3: now, for an open
 * session's seconds.  Grouped by method, then by realm. */
#define SETTLED                                                             \
	"WITH c AS (SELECT serial, method, charge, refund FROM contracts"   \
	" WHERE settled_at > 0 AND settled_at >= ?1 AND settled_at < ?2),"  \
	" s AS (SELECT serial, count(*) AS n,"                              \
	" sum(ub - base_ub) AS i, sum(db - base_db) AS o,"                  \
	" sum(max(coalesce(stopped, ?3) - started, 0)) AS secs,"            \
	" max(realm) AS realm FROM acct_sessions"                           \
	" WHERE serial IN (SELECT serial FROM c) GROUP BY serial),"         \
	" j AS (SELECT c.method AS method, coalesce((SELECT realm FROM"     \
	" radius_auth a WHERE a.serial = c.serial), s.realm, '') AS realm," \
	" coalesce(s.n, 0) AS n, coalesce(s.i, 0) AS i,"                    \
	" coalesce(s.o, 0) AS o, coalesce(s.secs, 0) AS secs,"              \
	" c.charge AS charge, c.refund AS refund"                           \
	" FROM c LEFT JOIN s ON s.serial = c.serial)"
#define SUMS                                                        \
	"count(*), sum(n), sum(i), sum(o), sum(secs), sum(charge)," \
	" sum(refund)"

static int settlement_row(struct out_table *t, sqlite3_stmt *s, uint64_t now)
{
	int realm = sqlite3_column_int(s, 0);
	const char *name = realm ? col_str(s, 1) :
				   mp_method_name(sqlite3_column_int(s, 1));
	int e = out_row(t);

	e |= out_str(t, T_BY, realm ? "realm" : "method");
	e |= name ? out_str(t, T_NAME, name) :
		    out_u64(t, T_NAME, col_u64(s, 1));
	e |= out_u64(t, T_CONTRACTS, col_u64(s, 2));
	e |= out_u64(t, T_SESSIONS, col_u64(s, 3));
	e |= out_u64(t, T_IN_OCT, col_u64(s, 4));
	e |= out_u64(t, T_OUT_OCT, col_u64(s, 5));
	e |= out_u64(t, T_OCT, col_u64(s, 4) + col_u64(s, 5));
	e |= out_u64(t, T_SECONDS, col_u64(s, 6));
	e |= out_u64(t, T_CHARGE, col_u64(s, 7));
	e |= out_u64(t, T_REFUND, col_u64(s, 8));
	return e ? -1 : 0;
}

static int report_settlement(struct ctl *c, int argc, char **argv)
{
	static const struct report rep = {
		"settlement",
		0,
		SETTLED " SELECT 0, method, " SUMS " FROM j GROUP BY method"
			" UNION ALL SELECT 1, realm, " SUMS " FROM j"
			" WHERE realm <> '' GROUP BY realm ORDER BY 1, 2;",
		set_cols,
		sizeof(set_cols) / sizeof(set_cols[0]),
		settlement_row,
	};

	return report_run(c, argc, argv, &rep);
}

static const struct ctl_verb verbs[] = {
	{ "cdr", report_cdr,
	  "[--from WHEN] [--to WHEN] [--realm REALM] [--json|--csv] "
	  "[--database PATH] [--config PATH]" },
	{ "settlement", report_settlement,
	  "[--from WHEN] [--to WHEN] [--json|--csv] [--database PATH] "
	  "[--config PATH]" },
	{ NULL, NULL, NULL },
};

int cmd_report(struct ctl *c, int argc, char **argv)
{
	if (argc > 1 && ctl_is_help(argv[1])) {
		ctl_usage_of("report", verbs, stdout);
		printf("WHEN: YYYY-MM-DD (00:00 UTC) or seconds since the "
		       "epoch; --to is excluded\n");
		return EXIT_OK;
	}
	return ctl_dispatch(c, verbs, argc, argv);
}
