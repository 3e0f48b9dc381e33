// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd lease store: round trip, durability across close/reopen and
 * across a process that dies without closing, uncommitted transactions,
 * operator release requests, stats and meta, pool gauges (and a database
 * from before the pools table). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "leasedb.h"

static char dir[] = "/tmp/test_dhcp_leasedb.XXXXXX";
static char path[256];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_dhcp_leasedb.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/l.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/l.db", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/l.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/l.db-shm", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static struct lease_rec rec(uint32_t addr, int state, uint64_t seq)
{
	struct lease_rec r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.state = state;
	r.hwlen = 6;
	memcpy(r.hw, "\x02\x00\x00\x00\x00\x07", 6);
	r.keylen = 8;
	memcpy(r.key, "I\x01\x02\x00\x00\x00\x00\x07", 8);
	strcpy(r.hostname, "alice");
	strcpy(r.iface, "lan0");
	r.starts = 1000;
	r.ends = 4600;
	r.seq = seq;
	return r;
}

static void test_roundtrip_reopen(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	struct lease_rec in = rec(0xc0000264, LEASE_LEASED, 0), out;

	assert_non_null(db);
	assert_int_equal(leasedb_begin(db), 0);
	assert_int_equal(leasedb_put(db, &in), 0);
	assert_int_equal(leasedb_commit(db), 0);
	leasedb_close(db);

	db = leasedb_open(path, LEASEDB_RDONLY);
	assert_non_null(db);
	assert_int_equal(leasedb_get(db, 0xc0000264, &out), 0);
	assert_int_equal(out.addr, in.addr);
	assert_int_equal(out.state, LEASE_LEASED);
	assert_int_equal(out.hwlen, 6);
	assert_memory_equal(out.hw, in.hw, 6);
	assert_int_equal(out.keylen, 8);
	assert_memory_equal(out.key, in.key, 8);
	assert_string_equal(out.hostname, "alice");
	assert_string_equal(out.iface, "lan0");
	assert_int_equal(out.starts, 1000);
	assert_int_equal(out.ends, 4600);
	assert_int_equal(leasedb_get(db, 0xc0000265, &out), -1);
	assert_int_equal(errno, ENOENT);
	/* Read-only handles cannot write. */
	assert_int_equal(leasedb_put(db, &in), -1);
	leasedb_close(db);
}

static void test_uncommitted_is_lost(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	struct lease_rec a = rec(1, LEASE_LEASED, 0),
			 b = rec(2, LEASE_LEASED, 0);
	struct lease_rec out;

	assert_int_equal(leasedb_put(db, &a), 0); /* autocommit */
	assert_int_equal(leasedb_begin(db), 0);
	assert_int_equal(leasedb_put(db, &b), 0);
	leasedb_close(db); /* no commit */
	db = leasedb_open(path, LEASEDB_CREATE);
	assert_int_equal(leasedb_get(db, 1, &out), 0);
	assert_int_equal(leasedb_get(db, 2, &out), -1);
	leasedb_close(db);
}

/* A child commits and dies with _exit() (no close, no checkpoint): the
 * committed rows are there for the next process. */
static void test_durable_across_crash(void **state)
{
	struct lease_rec out;
	struct leasedb *db;
	pid_t pid;
	int st, i;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct leasedb *c = leasedb_open(path, LEASEDB_CREATE);

		if (!c)
			_exit(1);
		for (i = 0; i < 100; i++) {
			struct lease_rec r =
				rec((uint32_t)(100 + i), LEASE_LEASED, 0);

			if (leasedb_begin(c) || leasedb_put(c, &r) ||
			    leasedb_commit(c))
				_exit(2);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	db = leasedb_open(path, LEASEDB_CREATE);
	assert_non_null(db);
	for (i = 0; i < 100; i++)
		assert_int_equal(leasedb_get(db, (uint32_t)(100 + i), &out), 0);
	leasedb_close(db);
}

static int collect(const struct lease_rec *r, void *arg)
{
	uint32_t *v = arg;

	v[++v[0]] = r->addr;
	return 0;
}

static void test_foreach_order_and_seq(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	struct lease_rec r;
	uint32_t got[8] = { 0 };

	assert_int_equal(leasedb_max_seq(db), 0);
	r = rec(30, LEASE_FREE, 7);
	leasedb_put(db, &r);
	r = rec(10, LEASE_QUARANTINE, 0);
	leasedb_put(db, &r);
	r = rec(20, LEASE_FREE, 3);
	leasedb_put(db, &r);
	assert_int_equal(leasedb_foreach(db, collect, got), 0);
	assert_int_equal(got[0], 3);
	assert_int_equal(got[1], 10);
	assert_int_equal(got[2], 20);
	assert_int_equal(got[3], 30);
	assert_int_equal(leasedb_max_seq(db), 7);
	/* Replace, not duplicate. */
	r = rec(20, LEASE_LEASED, 3);
	leasedb_put(db, &r);
	got[0] = 0;
	leasedb_foreach(db, collect, got);
	assert_int_equal(got[0], 3);
	assert_int_equal(leasedb_get(db, 20, &r), 0);
	assert_int_equal(r.state, LEASE_LEASED);
	leasedb_close(db);
}

static int sum_stats(const char *name, uint64_t v, void *arg)
{
	uint64_t *s = arg;

	if (!strcmp(name, "rx") || !strcmp(name, "drop_truncated"))
		*s += v;
	return 0;
}

static void test_stats_meta(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	uint64_t sum = 0;
	int64_t v;

	assert_int_equal(leasedb_put_stat(db, "rx", 40), 0);
	assert_int_equal(leasedb_put_stat(db, "drop_truncated", 2), 0);
	assert_int_equal(leasedb_put_stat(db, "rx", 41), 0);
	assert_int_equal(leasedb_foreach_stat(db, sum_stats, &sum), 0);
	assert_int_equal(sum, 43);
	assert_int_equal(leasedb_get_meta(db, "schema", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(leasedb_set_meta(db, "pid", 1234), 0);
	assert_int_equal(leasedb_get_meta(db, "pid", &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(leasedb_get_meta(db, "nope", &v), -1);
	leasedb_close(db);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1++;
}

static void take(uint32_t addr, void *arg)
{
	uint32_t *v = arg;

	v[++v[0]] = addr;
}

static void test_release_requests(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	struct lease_rec r = rec(50, LEASE_LEASED, 0);
	uint32_t got[4] = { 0 };
	sigset_t set, old;

	leasedb_put(db, &r);
	r = rec(51, LEASE_FREE, 9);
	leasedb_put(db, &r);
	/* Not leased: refused. */
	assert_int_equal(leasedb_request_release(db, 51), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(leasedb_request_release(db, 52), -1);
	/* No daemon (pid 0): applied in place, last in the FIFO. */
	leasedb_set_meta(db, "pid", 0);
	assert_int_equal(leasedb_request_release(db, 50), 0);
	assert_int_equal(leasedb_get(db, 50, &r), 0);
	assert_int_equal(r.state, LEASE_FREE);
	assert_int_equal(r.seq, 10);
	/* A running "daemon" (us): queued and signalled. */
	r = rec(50, LEASE_LEASED, 0);
	leasedb_put(db, &r);
	leasedb_set_meta(db, "pid", getpid());
	signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	assert_int_equal(leasedb_request_release(db, 50), 1);
	sigprocmask(SIG_SETMASK, &old, NULL); /* delivered here */
	assert_int_equal(got_usr1, 1);
	assert_int_equal(leasedb_get(db, 50, &r), 0);
	assert_int_equal(r.state, LEASE_LEASED); /* daemon's job */
	assert_int_equal(leasedb_take_requests(db, take, got), 0);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 50);
	got[0] = 0;
	assert_int_equal(leasedb_take_requests(db, take, got), 0);
	assert_int_equal(got[0], 0);
	signal(SIGUSR1, SIG_DFL);
	leasedb_close(db);
}

struct pools_seen {
	struct leasedb_pool p[4];
	unsigned int n;
};

static int pool_seen(const struct leasedb_pool *p, void *arg)
{
	struct pools_seen *s = arg;

	if (s->n == 4)
		return 7;
	s->p[s->n++] = *p;
	return 0;
}

static void test_pools(void **state)
{
	struct leasedb *db = leasedb_open(path, LEASEDB_CREATE);
	struct leasedb_pool v[3] = {
		{ 2, "lan1", 4, 1, 1, 1, 1 },
		{ 1, "lan0", 250, 10, 0, 0, 240 },
		{ 3, "a-very-long-nam", 0, 0, 0, 0, 0 },
	};
	struct pools_seen s = { 0 };

	assert_non_null(db);
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(leasedb_begin(db), 0);
	assert_int_equal(leasedb_put_pools(db, v, 3), 0);
	assert_int_equal(leasedb_commit(db), 0);
	leasedb_close(db);

	/* a reader: by idx, every column */
	db = leasedb_open(path, LEASEDB_RDONLY);
	assert_non_null(db);
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.p[0].idx, 1);
	assert_string_equal(s.p[0].iface, "lan0");
	assert_int_equal(s.p[0].size, 250);
	assert_int_equal(s.p[0].leased, 10);
	assert_int_equal(s.p[0].free, 240);
	assert_int_equal(s.p[1].idx, 2);
	assert_string_equal(s.p[1].iface, "lan1");
	assert_int_equal(s.p[1].size, 4);
	assert_int_equal(s.p[1].leased, 1);
	assert_int_equal(s.p[1].offered, 1);
	assert_int_equal(s.p[1].quarantined, 1);
	assert_int_equal(s.p[1].free, 1);
	assert_string_equal(s.p[2].iface, "a-very-long-nam");
	/* a non-zero callback return stops the walk and is returned */
	s.n = 4;
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 7);
	/* readers cannot write */
	assert_int_equal(leasedb_put_pools(db, v, 1), -1);
	leasedb_close(db);

	/* a put replaces every row (an interface left the configuration) */
	db = leasedb_open(path, LEASEDB_CREATE);
	assert_int_equal(leasedb_put_pools(db, &v[0], 1), 0);
	s.n = 0;
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.p[0].iface, "lan1");
	assert_int_equal(leasedb_put_pools(db, NULL, 0), 0);
	s.n = 0;
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 0);
	leasedb_close(db);
}

/* A database written before the pools table: readers see no pool, a
 * read-write open adds the table and keeps the leases. */
static void test_pools_old_db(void **state)
{
	struct pools_seen s = { 0 };
	struct leasedb_pool v = { 1, "lan0", 3, 1, 0, 0, 2 };
	struct lease_rec r;
	struct leasedb *db;
	sqlite3 *q;

	assert_int_equal(sqlite3_open(path, &q), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(q,
			     "CREATE TABLE lease(addr INTEGER PRIMARY KEY,"
			     " state TEXT NOT NULL, hwaddr BLOB,"
			     " client_key BLOB, hostname TEXT, iface TEXT,"
			     " starts INTEGER NOT NULL DEFAULT 0,"
			     " ends INTEGER NOT NULL DEFAULT 0,"
			     " seq INTEGER NOT NULL DEFAULT 0);"
			     "CREATE TABLE stats(name TEXT PRIMARY KEY,"
			     " value INTEGER NOT NULL);"
			     "CREATE TABLE meta(key TEXT PRIMARY KEY,"
			     " value INTEGER);"
			     "CREATE TABLE request(id INTEGER PRIMARY KEY,"
			     " addr INTEGER NOT NULL, action TEXT NOT NULL);"
			     "INSERT INTO meta VALUES('schema',1);"
			     "INSERT INTO lease(addr,state,iface) "
			     "VALUES(3232235786,'leased','lan0');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(q);

	db = leasedb_open(path, LEASEDB_RDONLY);
	assert_non_null(db);
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 0);
	leasedb_close(db);

	db = leasedb_open(path, LEASEDB_CREATE);
	assert_non_null(db);
	assert_int_equal(leasedb_get(db, 3232235786u, &r), 0);
	assert_int_equal(r.state, LEASE_LEASED);
	assert_int_equal(leasedb_put_pools(db, &v, 1), 0);
	assert_int_equal(leasedb_foreach_pool(db, pool_seen, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.p[0].size, 3);
	leasedb_close(db);
}

static void test_open_errors_and_fmt(void **state)
{
	char hw[49];

	assert_null(leasedb_open("/nonexistent/dir/x.db", LEASEDB_CREATE));
	assert_null(leasedb_open(path, LEASEDB_RDONLY)); /* absent */
	leasedb_fmt_hw((const uint8_t *)"\x02\x00\xab\x00\x00\x07", 6, hw);
	assert_string_equal(hw, "02:00:ab:00:00:07");
	leasedb_fmt_hw(NULL, 0, hw);
	assert_string_equal(hw, "");
	assert_string_equal(lease_state_str(LEASE_QUARANTINE), "quarantine");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_reopen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_is_lost, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_durable_across_crash,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_order_and_seq,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_meta, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pools_old_db, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_errors_and_fmt, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
