// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting spool's sender (acct.h; PLAN in docs/DESIGN.md
 * "RADIUS"): reads acct_spool, sends through md->rad_acct, deletes a row
 * once its Accounting-Response is verified.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "acct.h"
#include "log.h"
#include "muispd.h"

struct spool {
	struct muispd *md;
	uint64_t sent, acked, dropped_superseded, dropped_full;
};

int acct_spool_open(struct muispd *md)
{
	struct spool *sp;

	if (md->spool)
		return 0;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -1;
	sp->md = md;
	md->spool = sp;
	return 0;
}

void acct_spool_close(struct muispd *md)
{
	free(md->spool);
	md->spool = NULL;
}

void acct_spool_kick(struct muispd *md)
{
	(void)md;
}

static int count_oldest(struct store *st, uint64_t *n, uint64_t *oldest)
{
	sqlite3_stmt *s = NULL;
	int r = -1;

	*n = *oldest = 0;
	if (!st || sqlite3_prepare_v2(store_db(st),
				      "SELECT count(*), min(event_ts)"
				      " FROM acct_spool;",
				      -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = (uint64_t)sqlite3_column_int64(s, 0);
		*oldest = (uint64_t)sqlite3_column_int64(s, 1);
		r = 0;
	}
out:
	sqlite3_finalize(s);
	return r;
}

uint64_t acct_spool_pending(struct muispd *md)
{
	uint64_t n, oldest;

	if (count_oldest(md->st, &n, &oldest))
		return 0;
	return n;
}

void acct_spool_counters(struct muispd *md, rad_counter_fn fn, void *arg)
{
	struct spool *sp = md->spool;
	uint64_t n = 0, oldest = 0, now = muispd_now(md);

	count_oldest(md->st, &n, &oldest);
	fn(arg, "spool.rows", n);
	fn(arg, "spool.oldest_age", n && now > oldest ? now - oldest : 0);
	if (!sp)
		return;
	fn(arg, "spool.sent", sp->sent);
	fn(arg, "spool.acked", sp->acked);
	fn(arg, "spool.dropped_superseded", sp->dropped_superseded);
	fn(arg, "spool.dropped_full", sp->dropped_full);
}
