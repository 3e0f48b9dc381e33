// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod's usage spool (daemon/uinfod/usage.c), the standalone
 * scheme's: collections from dumps made here as the module would give
 * them, in a database in a temporary directory.  The first collection,
 * deltas, a counter going backwards (a reset: the values themselves), no
 * record for no traffic, records and baselines surviving a close and a
 * reopen (no double count), a uid the dump no longer has, a full spool
 * (nothing added, baselines kept, caught up after an ack), a collection
 * that fails half way (nothing of it kept), the order of usage_next and
 * usage_acked, and the sequence numbers of a spool made again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "muisp_nl.h"
#include "daemon/uinfod/uinfod.h"

extern unsigned int uinfod_usage_test_fail;

static char dir[] = "/tmp/uinfod-usage-XXXXXX";
static char db[300];
static int ndb;

/* A fresh database path for each test. */
static const char *fresh(void)
{
	snprintf(db, sizeof(db), "%s/usage-%d.db", dir, ++ndb);
	return db;
}

static struct muisp_nl_tag_user row(uint32_t uid, uint32_t user, uint64_t sb,
				    uint64_t sp, uint64_t rb, uint64_t rp)
{
	struct muisp_nl_tag_user u;

	memset(&u, 0, sizeof(u));
	u.uid = uid;
	u.user = user;
	u.sent_bytes = sb;
	u.sent_packets = sp;
	u.recv_bytes = rb;
	u.recv_packets = rp;
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_UID);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_USER);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_SENT_BYTES);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_SENT_PACKETS);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_RECV_BYTES);
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_RECV_PACKETS);
	return u;
}

static struct uinfod_usage *open_ok(const char *path, uint64_t max)
{
	char err[512] = "";
	struct uinfod_usage *sp =
		uinfod_usage_open(path, max, err, sizeof(err));

	if (!sp)
		fail_msg("open %s: %s", path, err);
	return sp;
}

/* Every record in order, at most max, into v: how many. */
static unsigned int all(struct uinfod_usage *sp, struct uinfod_usage_rec *v,
			unsigned int max)
{
	unsigned int n = 0;
	uint64_t after = 0;
	struct uinfod_usage_rec r;

	while (uinfod_usage_next(sp, after, &r) == 1) {
		assert_true(r.seq > after);
		if (n < max)
			v[n] = r;
		n++;
		after = r.seq;
	}
	return n;
}

static void rec_is(const struct uinfod_usage_rec *r, uint32_t user,
		   uint64_t start, uint64_t end, uint64_t sb, uint64_t sp,
		   uint64_t rb, uint64_t rp)
{
	assert_int_equal(r->user, user);
	assert_int_equal(r->start, start);
	assert_int_equal(r->end, end);
	assert_int_equal(r->sent_bytes, sb);
	assert_int_equal(r->sent_pkts, sp);
	assert_int_equal(r->recv_bytes, rb);
	assert_int_equal(r->recv_pkts, rp);
}

/* The first collection: what the module counted so far, one record per
 * user with traffic, from now to now; none for a user without. */
static void test_first(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 1500, 3, 9000, 8),
		row(1002, 8, 0, 0, 0, 0),
	};
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[4];
	struct uinfod_usage *sp = open_ok(fresh(), 100);

	(void)state;
	assert_int_equal(uinfod_usage_count(sp), 0);
	assert_int_equal(uinfod_usage_full(sp), 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1000, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.held, 0);
	assert_int_equal(uinfod_usage_count(sp), 1);
	assert_int_equal(all(sp, v, 4), 1);
	rec_is(&v[0], 7, 1000, 1000, 1500, 3, 9000, 8);
	assert_true(v[0].seq >= 1);
	/* an empty dump: nothing */
	assert_int_equal(uinfod_usage_collect(sp, NULL, 0, 1010, &res), 0);
	assert_int_equal(res.added, 0);
	assert_int_equal(uinfod_usage_count(sp), 1);
	uinfod_usage_close(sp);
}

/* Deltas against each user's baseline, each period from the last time
 * that user's baseline moved; no traffic, no record. */
static void test_deltas(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 100, 1, 200, 2),
		row(1002, 8, 0, 0, 0, 0),
	};
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[8];
	struct uinfod_usage *sp = open_ok(fresh(), 100);

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1000, &res), 0);
	assert_int_equal(res.added, 1);
	rows[0] = row(1001, 7, 150, 2, 200, 2);
	rows[1] = row(1002, 8, 40, 1, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1060, &res), 0);
	assert_int_equal(res.added, 2);
	/* the same counters again: no traffic, no record */
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1120, &res), 0);
	assert_int_equal(res.added, 0);
	rows[1] = row(1002, 8, 40, 1, 60, 1);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1180, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(uinfod_usage_count(sp), 4);
	assert_int_equal(all(sp, v, 8), 4);
	rec_is(&v[0], 7, 1000, 1000, 100, 1, 200, 2);
	rec_is(&v[1], 7, 1000, 1060, 50, 1, 0, 0);
	rec_is(&v[2], 8, 1000, 1060, 40, 1, 0, 0);
	rec_is(&v[3], 8, 1120, 1180, 0, 0, 60, 1);
	/* the clock went back: a period never ends before it starts */
	rows[0] = row(1001, 7, 151, 3, 200, 2);
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 900, &res), 0);
	assert_int_equal(all(sp, v, 8), 5);
	rec_is(&v[4], 7, 900, 900, 1, 1, 0, 0);
	uinfod_usage_close(sp);
}

/* A counter below its baseline: counting began again (the module
 * reloaded, the uid mapped again): the values are the delta. */
static void test_reset(void **state)
{
	struct muisp_nl_tag_user rows[] = { row(1001, 7, 5000, 50, 8000, 60) };
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[4];
	struct uinfod_usage *sp = open_ok(fresh(), 100);

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1000, &res), 0);
	/* reset, and more sent since than before in packets but not in
	 * bytes: all four are taken as they are */
	rows[0] = row(1001, 7, 700, 70, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1060, &res), 0);
	assert_int_equal(res.added, 1);
	/* then deltas from the new baseline */
	rows[0] = row(1001, 7, 900, 71, 10, 1);
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1120, &res), 0);
	/* reset to nothing: no traffic, the baseline goes down */
	rows[0] = row(1001, 7, 0, 0, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1180, &res), 0);
	assert_int_equal(res.added, 0);
	rows[0] = row(1001, 7, 30, 1, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1240, &res), 0);
	assert_int_equal(all(sp, v, 4), 4);
	rec_is(&v[0], 7, 1000, 1000, 5000, 50, 8000, 60);
	rec_is(&v[1], 7, 1000, 1060, 700, 70, 0, 0);
	rec_is(&v[2], 7, 1060, 1120, 200, 1, 10, 1);
	rec_is(&v[3], 7, 1180, 1240, 30, 1, 0, 0);
	uinfod_usage_close(sp);
}

/* A uid the dump no longer has is forgotten: mapped again, what it
 * counts is all new.  A row without a user is left alone. */
static void test_unmapped(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 100, 1, 0, 0),
		row(1002, 8, 100, 1, 0, 0),
	};
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[8];
	struct uinfod_usage *sp = open_ok(fresh(), 100);

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1000, &res), 0);
	assert_int_equal(res.added, 2);
	/* 1002 gone */
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1060, &res), 0);
	assert_int_equal(res.added, 0);
	/* back, counting from 0 and already past its old baseline */
	rows[1] = row(1002, 8, 300, 3, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1120, &res), 0);
	assert_int_equal(res.added, 1);
	/* no user named: no record, its baseline stays */
	rows[1].present &= ~(1ull << MUISP_TAG_USER_A_USER);
	rows[1].sent_bytes = 900;
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1180, &res), 0);
	assert_int_equal(res.added, 0);
	rows[1] = row(1002, 8, 1000, 4, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1240, &res), 0);
	assert_int_equal(all(sp, v, 8), 4);
	rec_is(&v[2], 8, 1060, 1120, 300, 3, 0, 0);
	rec_is(&v[3], 8, 1120, 1240, 700, 1, 0, 0);
	uinfod_usage_close(sp);
}

/* Closed and opened again (a restart): the records are there, the
 * baselines too, so the same counters make no record again; the
 * sequence goes on. */
static void test_reopen(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 100, 1, 200, 2),
		row(1002, 8, 10, 1, 0, 0),
	};
	const char *path = fresh();
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[8];
	struct uinfod_usage *sp = open_ok(path, 100);
	uint64_t last;

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1000, &res), 0);
	assert_int_equal(res.added, 2);
	assert_int_equal(all(sp, v, 8), 2);
	last = v[1].seq;
	assert_int_equal(uinfod_usage_acked(sp, last), 0);
	uinfod_usage_close(sp);

	sp = open_ok(path, 100);
	assert_int_equal(uinfod_usage_count(sp), 1);
	assert_int_equal(all(sp, v, 8), 1);
	rec_is(&v[0], 7, 1000, 1000, 100, 1, 200, 2);
	/* no double count */
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1060, &res), 0);
	assert_int_equal(res.added, 0);
	rows[1] = row(1002, 8, 25, 2, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1120, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(all(sp, v, 8), 2);
	/* from the last time 1002's baseline moved (1060: no traffic) */
	rec_is(&v[1], 8, 1060, 1120, 15, 1, 0, 0);
	/* the deleted record's number is not given again */
	assert_true(v[1].seq > last);
	uinfod_usage_close(sp);
}

/* The spool at its maximum: no record added, those users' baselines
 * kept, "full"; once an ack makes room, the next collection records
 * everything they were owed, from their baseline's time. */
static void test_full(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 100, 1, 0, 0),
		row(1002, 8, 200, 2, 0, 0),
		row(1003, 9, 300, 3, 0, 0),
	};
	struct uinfod_usage_result res;
	struct uinfod_usage_rec v[8];
	struct uinfod_usage *sp = open_ok(fresh(), 2);

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 3, 1000, &res), 1);
	assert_int_equal(res.added, 2);
	assert_int_equal(res.held, 1);
	assert_int_equal(uinfod_usage_count(sp), 2);
	assert_int_equal(uinfod_usage_full(sp), 1);
	/* more traffic, still full: nothing added, nothing moved; a user
	 * without new traffic is not held */
	rows[0] = row(1001, 7, 100, 1, 0, 0);
	rows[1] = row(1002, 8, 250, 3, 0, 0);
	rows[2] = row(1003, 9, 350, 4, 0, 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 3, 1060, &res), 1);
	assert_int_equal(res.added, 0);
	assert_int_equal(res.held, 2);
	assert_int_equal(all(sp, v, 8), 2);
	rec_is(&v[0], 7, 1000, 1000, 100, 1, 0, 0);
	rec_is(&v[1], 8, 1000, 1000, 200, 2, 0, 0);
	/* one acked: room for one */
	assert_int_equal(uinfod_usage_acked(sp, v[0].seq), 0);
	assert_int_equal(uinfod_usage_full(sp), 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 3, 1120, &res), 1);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.held, 1);
	assert_int_equal(all(sp, v, 8), 2);
	rec_is(&v[1], 8, 1000, 1120, 50, 1, 0, 0);
	/* both acked: the rest, all of it, since 1003 was first seen */
	assert_int_equal(uinfod_usage_acked(sp, v[0].seq), 0);
	assert_int_equal(uinfod_usage_acked(sp, v[1].seq), 0);
	assert_int_equal(uinfod_usage_collect(sp, rows, 3, 1180, &res), 0);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.held, 0);
	assert_int_equal(all(sp, v, 8), 1);
	rec_is(&v[0], 9, 1000, 1180, 350, 4, 0, 0);
	assert_int_equal(uinfod_usage_full(sp), 0);
	uinfod_usage_close(sp);
}

/* A collection that fails half way keeps nothing of it: not the records
 * made before the failure, not a baseline; the next takes it all. */
static void test_atomic(void **state)
{
	struct muisp_nl_tag_user rows[] = {
		row(1001, 7, 100, 1, 0, 0),
		row(1002, 8, 200, 2, 0, 0),
	};
	const char *path = fresh();
	struct uinfod_usage_result res = { 9, 9 };
	struct uinfod_usage_rec v[4];
	struct uinfod_usage *sp = open_ok(path, 100);

	(void)state;
	uinfod_usage_test_fail = 2; /* the second record */
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1000, &res), -1);
	assert_int_equal(uinfod_usage_test_fail, 0);
	assert_int_equal(res.added, 0);
	assert_int_equal(uinfod_usage_count(sp), 0);
	assert_int_equal(all(sp, v, 4), 0);
	uinfod_usage_close(sp);
	sp = open_ok(path, 100);
	assert_int_equal(uinfod_usage_count(sp), 0);
	rows[0].sent_bytes = 110;
	assert_int_equal(uinfod_usage_collect(sp, rows, 2, 1060, &res), 0);
	assert_int_equal(res.added, 2);
	assert_int_equal(all(sp, v, 4), 2);
	/* no "last" was kept either: the first collection's time */
	rec_is(&v[0], 7, 1060, 1060, 110, 1, 0, 0);
	rec_is(&v[1], 8, 1060, 1060, 200, 2, 0, 0);
	uinfod_usage_close(sp);
}

/* usage_next: the oldest after a number; usage_acked deletes one, any
 * order, once. */
static void test_next_acked(void **state)
{
	struct muisp_nl_tag_user rows[] = { row(1001, 7, 0, 0, 0, 0) };
	struct uinfod_usage_rec r, v[8];
	struct uinfod_usage *sp = open_ok(fresh(), 100);
	uint64_t seq[5];

	(void)state;
	for (int i = 0; i < 5; i++) {
		rows[0].sent_bytes = (uint64_t)(i + 1) * 10;
		assert_int_equal(uinfod_usage_collect(sp, rows, 1,
						      1000 + 60 * (uint64_t)i,
						      NULL),
				 0);
	}
	assert_int_equal(all(sp, v, 8), 5);
	for (int i = 0; i < 5; i++) {
		seq[i] = v[i].seq;
		assert_int_equal(v[i].sent_bytes, 10);
		assert_int_equal(v[i].end, 1000 + 60 * (uint64_t)i);
		if (i)
			assert_true(seq[i] > seq[i - 1]);
	}
	/* the oldest first, then after a number */
	assert_int_equal(uinfod_usage_next(sp, 0, &r), 1);
	assert_true(r.seq == seq[0]);
	assert_int_equal(uinfod_usage_next(sp, seq[1], &r), 1);
	assert_true(r.seq == seq[2]);
	assert_int_equal(uinfod_usage_next(sp, seq[2] - 1, &r), 1);
	assert_true(r.seq == seq[2]);
	assert_int_equal(uinfod_usage_next(sp, seq[4], &r), 0);
	assert_int_equal(uinfod_usage_next(sp, UINT64_MAX, &r), 0);
	/* acks in another order than sent */
	assert_int_equal(uinfod_usage_acked(sp, seq[2]), 0);
	assert_int_equal(uinfod_usage_acked(sp, seq[0]), 0);
	assert_int_equal(uinfod_usage_count(sp), 3);
	assert_int_equal(uinfod_usage_acked(sp, seq[2]), 1); /* again */
	assert_int_equal(uinfod_usage_acked(sp, 0), 1);
	assert_int_equal(uinfod_usage_acked(sp, UINT64_MAX), 1);
	assert_int_equal(uinfod_usage_count(sp), 3);
	assert_int_equal(uinfod_usage_next(sp, 0, &r), 1);
	assert_true(r.seq == seq[1]);
	assert_int_equal(uinfod_usage_next(sp, seq[1], &r), 1);
	assert_true(r.seq == seq[3]);
	assert_int_equal(all(sp, v, 8), 3);
	assert_int_equal(uinfod_usage_acked(sp, seq[1]), 0);
	assert_int_equal(uinfod_usage_acked(sp, seq[3]), 0);
	assert_int_equal(uinfod_usage_acked(sp, seq[4]), 0);
	assert_int_equal(uinfod_usage_count(sp), 0);
	assert_int_equal(uinfod_usage_next(sp, 0, &r), 0);
	uinfod_usage_close(sp);
}

/* A new spool's numbers start from the clock (times 2^16): one made again
 * after its file was lost goes on above the old one's. */
static void test_sequence(void **state)
{
	struct muisp_nl_tag_user rows[] = { row(1001, 7, 1, 1, 0, 0) };
	struct uinfod_usage_rec r;
	const char *path = fresh();
	uint64_t t0 = (uint64_t)time(NULL), first;
	struct uinfod_usage *sp = open_ok(path, 100);
	char err[512], none[320];

	(void)state;
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1000, NULL), 0);
	assert_int_equal(uinfod_usage_next(sp, 0, &r), 1);
	first = r.seq;
	assert_true(first > t0 << 16);
	assert_true(first <= ((uint64_t)time(NULL) << 16) + 1);
	uinfod_usage_close(sp);
	/* opened again: the same sequence */
	sp = open_ok(path, 100);
	rows[0].sent_bytes = 2;
	assert_int_equal(uinfod_usage_collect(sp, rows, 1, 1060, NULL), 0);
	assert_int_equal(uinfod_usage_next(sp, first, &r), 1);
	assert_true(r.seq == first + 1);
	uinfod_usage_close(sp);
	/* a directory that is not there */
	snprintf(none, sizeof(none), "%s/none/usage.db", dir);
	assert_null(uinfod_usage_open(none, 100, err, sizeof(err)));
	assert_non_null(strstr(err, "/none/usage.db: "));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_next_acked),
		cmocka_unit_test(test_sequence),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
