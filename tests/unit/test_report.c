// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl report cdr|settlement (tools/muispctl/report.c) on a muispd
 * database made by muispd's own store_open() (the real schema) and filled
 * with SQL: the period overlap, the realm filter, 64-bit counters, Class
 * in hex, text/JSON/CSV, the sums per method and per realm, the database
 * path from muispd.conf, usage errors, and that nothing is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "daemon/muispd/store.h"
#include "tools/muispctl/muispctl.h"
#include "tests/unit/muispctl_run.h"

static char dir[64], dbpath[128], confpath[128];

/* out_txt starts with p */
#define STARTS(p) assert_memory_equal(out_txt, p, strlen(p))

#define DEC1 "1764547200" /* 2025-12-01T00:00:00Z */
#define JAN1 "1767225600" /* 2026-01-01T00:00:00Z */

static void sql(sqlite3 *db, const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
}

static int setup(void **state)
{
	struct store *st;
	sqlite3 *db;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/test_report.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/muispd.db", dir);
	snprintf(confpath, sizeof(confpath), "%s/muispd.conf", dir);
	assert_int_equal(store_open(dbpath, &st), 0);
	db = store_db(st);
	/* contracts: 42 voucher settled in December, 43 roam settled in
	 * November, 44 roam settled in December, 45 cash not settled */
#define C(serial, method, charge, refund, settled)                                 \
	"INSERT INTO contracts (serial, state, metric, method, privacy,"           \
	" soft, hard, deposit, price, unit, issued, expiry, usage, usage_at,"      \
	" addr, payref, room, key_id, charge, refund, settled_at) VALUES (" serial \
	", 3, 0, " method ", 0, 0, 0, 1000, 1, 1, 0, 0, 0, 0, '',"                 \
	" '', '', 1, " charge ", " refund ", " settled ");"
	sql(db, C("42", "1", "700", "300", "1764720000"));
	sql(db, C("43", "5", "10", "0", "1764460800"));
	sql(db, C("44", "5", "250", "0", "1764892800"));
	sql(db, C("45", "3", "0", "0", "0"));
#define S(sid, serial, bindno, user, realm, start, stop, cause, cls)         \
	"INSERT INTO acct_sessions (sid, serial, bindno, addr, mac,"         \
	" user_name, realm, class, started, base_ub, base_up, base_db,"      \
	" base_dp, ub, up, db, dp, interim, stopped, cause) VALUES ('" sid   \
	"', " serial ", " bindno ", '10.0.0.5', '02-00-00-00-00-01', '" user \
	"', '" realm "', " cls ", " start ", 100, 10, 200, 20,"              \
	" 5000000100, 17, 323, 29, 0, " stop ", " cause ");"
	sql(db, S("abcd0001-2a-1", "42", "1", "VCH1", "", "1764590400",
		  "1764594000", "1", "x'1905616263'"));
	sql(db, S("abcd0001-2a-2", "42", "2", "VCH1", "", "1764680000", "NULL",
		  "NULL", "NULL"));
	sql(db, S("abcd0001-2b-1", "43", "1", "u@partner.example",
		  "partner.example", "1764460000", "1764460060", "5", "NULL"));
	sql(db, S("abcd0001-2c-1", "44", "1", "u@partner.example",
		  "partner.example", "1764800000", "1764800100", "5", "NULL"));
	/* a session that ended exactly at the start of the period: out */
	sql(db, S("abcd0001-2d-1", "45", "1", "cash-45", "", "1764500000", DEC1,
		  "6", "NULL"));
	sql(db,
	    "INSERT INTO radius_auth (serial, user_name, realm,"
	    " session_timeout, idle_timeout, quota, interim, at) VALUES"
	    " (44, 'u@partner.example', 'partner.example', 0, 0, 0, 0, 0);");
	store_close(st);
	f = fopen(confpath, "w");
	assert_non_null(f);
	fprintf(f, "# muispd.conf\nport 4242\ndatabase %s\n", dbpath);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	unlink(confpath);
	assert_int_equal(rmdir(dir), 0);
	return 0;
}

static void test_cdr(void **state)
{
	assert_int_equal(run("report", "cdr", "--from", "2025-12-01", "--to",
			     "2026-01-01", "--json", "--database", dbpath,
			     NULL),
			 EXIT_OK);
	STARTS("[{\"sid\":\"abcd0001-2a-1\",\"multi_sid\":\"abcd0001-2a\","
	       "\"serial\":42,\"user\":\"VCH1\",\"realm\":null,"
	       "\"method\":\"voucher\",\"addr\":\"10.0.0.5\","
	       "\"mac\":\"02-00-00-00-00-01\",\"start\":1764590400,"
	       "\"stop\":1764594000,\"session_time\":3600,"
	       "\"in_octets\":5000000000,\"out_octets\":123,"
	       "\"in_packets\":7,\"out_packets\":9,\"cause\":1,"
	       "\"class\":\"1905616263\"},"
	       "{\"sid\":\"abcd0001-2a-2\",\"multi_sid\":\"abcd0001-2a\","
	       "\"serial\":42,\"user\":\"VCH1\",\"realm\":null,"
	       "\"method\":\"voucher\",\"addr\":\"10.0.0.5\","
	       "\"mac\":\"02-00-00-00-00-01\",\"start\":1764680000,"
	       "\"stop\":null,\"session_time\":");
	assert_non_null(strstr(
		out_txt, "\"in_octets\":5000000000,\"out_octets\":123,"
			 "\"in_packets\":7,\"out_packets\":9,\"cause\":null,"
			 "\"class\":null},{\"sid\":\"abcd0001-2c-1\","));
	assert_null(strstr(out_txt, "2b-1")); /* November */
	assert_null(strstr(out_txt, "2d-1")); /* stopped at from */
	/* the realm filter, epoch seconds, the path from muispd.conf */
	assert_int_equal(run("report", "cdr", "--from", DEC1, "--to", JAN1,
			     "--realm", "partner.example", "--csv", "--config",
			     confpath, NULL),
			 EXIT_OK);
	assert_string_equal(
		out_txt,
		"sid,multi_sid,serial,user,realm,method,addr,mac,start,stop,"
		"session_time,in_octets,out_octets,in_packets,out_packets,"
		"cause,class\r\n"
		"abcd0001-2c-1,abcd0001-2c,44,u@partner.example,"
		"partner.example,roam,10.0.0.5,02-00-00-00-00-01,1764800000,"
		"1764800100,100,5000000000,123,7,9,5,\r\n");
	/* text: times and causes for people */
	assert_int_equal(run("report", "cdr", "--from", "2025-11-29", "--to",
			     "2025-12-01", "--database", dbpath, NULL),
			 EXIT_OK);
	assert_non_null(strstr(out_txt, "2025-11-29T23:46:40Z"));
	assert_non_null(strstr(out_txt, "Session-Timeout"));
	assert_non_null(strstr(out_txt, "Admin-Reset"));
	assert_null(strstr(out_txt, "2a-1"));
}

static void test_settlement(void **state)
{
	assert_int_equal(run("-j", "report", "settlement", "--from",
			     "2025-12-01", "--to", "2026-01-01", "--database",
			     dbpath, NULL),
			 EXIT_OK);
	STARTS("[{\"by\":\"method\",\"name\":\"voucher\",\"contracts\":1,"
	       "\"sessions\":2,\"in_octets\":10000000000,"
	       "\"out_octets\":246,\"octets\":10000000246,\"seconds\":");
	/* the open session's seconds run to now: the rest of the line */
	assert_non_null(strstr(
		out_txt,
		",\"charge\":700,\"refund\":300},"
		"{\"by\":\"method\",\"name\":\"roam\",\"contracts\":1,"
		"\"sessions\":1,\"in_octets\":5000000000,\"out_octets\":123,"
		"\"octets\":5000000123,\"seconds\":100,\"charge\":250,"
		"\"refund\":0},"
		"{\"by\":\"realm\",\"name\":\"partner.example\","
		"\"contracts\":1,\"sessions\":1,\"in_octets\":5000000000,"
		"\"out_octets\":123,\"octets\":5000000123,\"seconds\":100,"
		"\"charge\":250,\"refund\":0}]\n"));
	/* November: the other roaming contract alone */
	assert_int_equal(run("report", "settlement", "--from", "2025-11-01",
			     "--to", "2025-12-01", "--csv", "--database",
			     dbpath, NULL),
			 EXIT_OK);
	assert_string_equal(out_txt,
			    "by,name,contracts,sessions,in_octets,out_octets,"
			    "octets,seconds,charge,refund\r\n"
			    "method,roam,1,1,5000000000,123,5000000123,60,10,"
			    "0\r\n"
			    "realm,partner.example,1,1,5000000000,123,"
			    "5000000123,60,10,0\r\n");
}

static void test_errors(void **state)
{
	struct stat before, after;
	char missing[160];

	USAGE_ERR("invalid --from 'yesterday': expected YYYY-MM-DD or "
		  "seconds since the epoch",
		  "report", "cdr", "--from", "yesterday");
	USAGE_ERR("--from must be before --to (try --help)", "report",
		  "settlement", "--from", "2026-01-01", "--to", "2025-12-01");
	USAGE_ERR("unknown option '--realm' (try --help)", "report",
		  "settlement", "--realm", "x");
	USAGE_ERR("'--to' needs a value (try --help)", "report", "cdr", "--to");
	/* no database: an error, and none is created */
	snprintf(missing, sizeof(missing), "%s/none.db", dir);
	assert_int_equal(run("report", "cdr", "--database", missing, NULL),
			 EXIT_FAIL);
	assert_non_null(strstr(err_txt, "none.db"));
	assert_int_equal(access(missing, F_OK), -1);
	/* read-only: the file is not written */
	assert_int_equal(stat(dbpath, &before), 0);
	assert_int_equal(run("report", "cdr", "--database", dbpath, NULL),
			 EXIT_OK);
	assert_int_equal(stat(dbpath, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtime, after.st_mtime);
	/* help */
	assert_int_equal(run("report", "help", NULL), EXIT_OK);
	assert_non_null(strstr(out_txt, "muispctl report settlement"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cdr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settlement, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
