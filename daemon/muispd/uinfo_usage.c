// SPDX-License-Identifier: GPL-2.0
/*
 * The standalone meter (thesis ch. 5(c), PROTOCOL.md §9 step 9): a
 * multi-user host's agent whose UINFO_HELLO says SCHEME standalone counts
 * its users' traffic itself and sends the router usage records over its
 * channel, UINFO_USAGE {SERIAL (the record's sequence number, >= 1,
 * growing per agent), USER, TIME .. END, bytes and packets sent and
 * received}.  muispd stores each in its database (agent_usage, one row
 * per host and sequence number) before it answers UINFO_USAGE_ACK
 * {SERIAL}; the agent deletes a record only once acked and sends the
 * unacked ones again after a reconnect, so a record stored already is
 * acked again and not stored twice.  A record not stored (the store
 * failed) is answered ERROR(INTERNAL): the agent keeps it.
 *
 * The host is named by the first address its certificate names (as
 * inet_ntop writes it: uinfo.c, c->agent_host), so a dual-stack host's
 * records are one host's whichever address its channel comes from.
 *
 * The operator's view (OP_AGENT_USAGE, `muispctl agent usage`): per host
 * and user, the first start, the last end and the sums, and the host's
 * highest sequence number stored.
 *
 * The user's contract (docs/DESIGN.md, "The standalone meter"): a
 * record stored is also moved, in the module, from the contract the
 * host's address is bound to to the one the user is bound to
 * (MUISP_CMD_USER_USAGE_MOVE, each count cut to what the host's contract
 * counted), so that the user's contract, its limits and its exports
 * (RADIUS, SNMP, muispctl) carry what the host counted for them.  The
 * record waits in agent_usage_move, written with it, until the module has
 * moved it; the module refuses a number it has moved already (EALREADY),
 * so a crash between the two moves nothing twice.  Records move in order
 * of host and number: one that fails for a reason that may pass (not
 * "the user or the host is bound to no contract", which leaves it the
 * host's) stops the pass, which the tick tries again
 * UINFO_USAGE_MOVE_RETRY_S later.
 *
 * Retention (agent-usage-keep, days, 0 forever): a record whose end (the
 * host's wall clock, seconds) is older is deleted, at start and then
 * once an hour from the tick, UINFO_USAGE_PRUNE_BATCH rows a second at
 * most while more are left, so that a backlog never stalls the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "muispd.h"
#include "store.h"

/* Rows of one OP_AGENT_USAGE answer at most: about 160 bytes each, so
 * that the answer fits in an operator's output queue (MUISPD_WBUF_OP). */
#define UINFO_USAGE_ROWS_MAX 4096

/* Pruning: rows deleted at most per call (a second); the interval
 * between runs; the wait after the store failed. */
#define UINFO_USAGE_PRUNE_BATCH	  10000
#define UINFO_USAGE_PRUNE_S	  3600
#define UINFO_USAGE_PRUNE_RETRY_S 60

/* Moves: records read from the store per pass (a second) at most; the
 * wait after a move that failed for a reason that may pass. */
#define UINFO_USAGE_MOVE_BATCH	 256
#define UINFO_USAGE_MOVE_RETRY_S 10

/* refusals and store failures; resent records; conflicting ones (each
 * its own, so that a run of resends hides no conflict) */
static struct log_rl rl_usage = LOG_RL_INIT(10, 5);
static struct log_rl rl_resent = LOG_RL_INIT(10, 5);
static struct log_rl rl_conflict = LOG_RL_INIT(10, 5);
/* pruning that failed (tried again a minute later): once an hour */
static struct log_rl rl_prune = LOG_RL_INIT(3600, 1);
/* records cut, left the host's, or not moved (tried again) */
static struct log_rl rl_cut = LOG_RL_INIT(10, 5);
static struct log_rl rl_unmoved = LOG_RL_INIT(10, 5);
static struct log_rl rl_move = LOG_RL_INIT(60, 2);

/* a + b, UINT64_MAX when it would wrap: a sum of counters taken as they
 * came (an agent's u64 are not checked) */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int usage_same(const struct agent_usage_rec *a,
		      const struct agent_usage_rec *b)
{
	return a->user == b->user && a->start == b->start && a->end == b->end &&
	       a->sent_bytes == b->sent_bytes && a->sent_pkts == b->sent_pkts &&
	       a->recv_bytes == b->recv_bytes && a->recv_pkts == b->recv_pkts;
}

static void usage_refuse(struct muispd *md, struct conn *c,
			 const struct mp_msg *req, int err, const char *why)
{
	md->agent_usage.refused++;
	log_ratelimited(&rl_usage, LOG_WARNING,
			"%s: usage record %llu refused: %s (%llu refused so "
			"far)",
			c->addr, (unsigned long long)req->u[MP_A_SERIAL], why,
			(unsigned long long)md->agent_usage.refused);
	conn_error(c, req, err, "%s", why);
}

/*
 * Record r moved to its user's contract in the module, or left the
 * host's for good: 0 (and no longer waiting); -1 not moved for a reason
 * that may pass (it waits).
 */
static int usage_move(struct muispd *md, const struct agent_usage_rec *r)
{
	const uint64_t usage[4] = { r->sent_bytes, r->sent_pkts, r->recv_bytes,
				    r->recv_pkts };
	uint64_t moved[4];
	const char *why;
	int rc;

	rc = kernel_user_usage_move(md->k, r->host, r->user, r->seq, usage,
				    moved);
	why = rc ? kernel_ext_msg(md->k) : "";
	if (!rc) {
		md->agent_usage.moved++;
		if (memcmp(usage, moved, sizeof(moved))) {
			md->agent_usage.cut++;
			log_ratelimited(
				&rl_cut, LOG_WARNING,
				"%s: usage record %llu: user %u's counts cut "
				"to what the host's contract counted (sent "
				"%llu of %llu bytes, received %llu of %llu; "
				"%llu records cut so far)",
				r->host, (unsigned long long)r->seq, r->user,
				(unsigned long long)moved[0],
				(unsigned long long)usage[0],
				(unsigned long long)moved[2],
				(unsigned long long)usage[2],
				(unsigned long long)md->agent_usage.cut);
		}
	} else if (errno == EALREADY) {
		/* moved before a crash, or by another muispd's request */
	} else if ((errno == ENOENT || errno == EINVAL) && why[0]) {
		/* the module's own refusal: it will not move later either */
		md->agent_usage.unmoved++;
		log_ratelimited(&rl_unmoved, LOG_INFO,
				"%s: usage record %llu of user %u stays on the "
				"host's contract: %s (%llu so far)",
				r->host, (unsigned long long)r->seq, r->user,
				why,
				(unsigned long long)md->agent_usage.unmoved);
	} else {
		log_ratelimited(&rl_move, LOG_WARNING,
				"%s: usage record %llu of user %u not moved to "
				"the user's contract: %s%s%s (again in %u s)",
				r->host, (unsigned long long)r->seq, r->user,
				strerror(errno), why[0] ? ": " : "", why,
				UINFO_USAGE_MOVE_RETRY_S);
		return -1;
	}
	/* a record moved but still waiting is refused (EALREADY) next time */
	return store_agent_usage_moved(md->st, r->host, r->seq);
}

/* A pass over the waiting records: it stops at the first that fails. */
struct move_pass {
	struct muispd *md;
	int failed;
};

static int usage_move_cb(const struct agent_usage_rec *r, void *arg)
{
	struct move_pass *p = arg;

	p->failed = usage_move(p->md, r) != 0;
	return p->failed;
}

/*
 * The records waiting to move, in order, UINFO_USAGE_MOVE_BATCH at most:
 * at start (muispd_open, once the module has the contracts again), then
 * from the tick (once a second) while some may be left.
 */
void uinfo_usage_move(struct muispd *md, uint64_t now)
{
	struct move_pass p = { md, 0 };
	int n;

	if (!md->agent_usage.move_left ||
	    (now < md->agent_usage.move_at &&
	     md->agent_usage.move_at - now <= UINFO_USAGE_MOVE_RETRY_S))
		return;
	n = store_agent_usage_unmoved(md->st, UINFO_USAGE_MOVE_BATCH,
				      usage_move_cb, &p);
	if (n < 0 || p.failed) {
		md->agent_usage.move_at = now + UINFO_USAGE_MOVE_RETRY_S;
		return;
	}
	md->agent_usage.move_left = n == UINFO_USAGE_MOVE_BATCH;
}

/* UINFO_USAGE on an agent's channel: stored (once), then acked. */
void uinfo_usage(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	struct agent_usage_rec r, old;
	struct mp_msg m;
	int rc;

	if (!c->agent_key_id) {
		usage_refuse(md, c, req, MP_ERR_STATE,
			     "no agent session (hello)");
		return;
	}
	if (c->agent_scheme != MP_SCHEME_STANDALONE) {
		usage_refuse(md, c, req, MP_ERR_PERM,
			     "usage records are a standalone agent's (hello "
			     "with scheme 2)");
		return;
	}
	if (!req->u[MP_A_SERIAL]) {
		usage_refuse(md, c, req, MP_ERR_PROTO,
			     "a record's sequence number (SERIAL) is at least "
			     "1");
		return;
	}
	if (req->u[MP_A_END] < req->u[MP_A_TIME]) {
		usage_refuse(md, c, req, MP_ERR_PROTO,
			     "the record ends (END) before it starts (TIME)");
		return;
	}
	/* records skip msg-rate (conn.c) but not the session's own bucket,
	 * which bounds the writes a host can make: the agent keeps the
	 * record and sends it again at its next collection */
	if (!bucket_take(&c->agent_reports, muispd_mono_ms(md),
			 md->conf.agent_report_rate,
			 md->conf.agent_report_burst)) {
		usage_refuse(md, c, req, MP_ERR_BUSY,
			     "usage records over agent-report-rate: send it "
			     "again later");
		return;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "%s", c->agent_host);
	r.seq = req->u[MP_A_SERIAL];
	r.user = (uint32_t)req->u[MP_A_USER];
	r.start = req->u[MP_A_TIME];
	r.end = req->u[MP_A_END];
	r.sent_bytes = req->u[MP_A_SENT_BYTES];
	r.sent_pkts = req->u[MP_A_SENT_PKTS];
	r.recv_bytes = req->u[MP_A_RECV_BYTES];
	r.recv_pkts = req->u[MP_A_RECV_PKTS];
	rc = -1;
	if (!store_begin(md->st)) {
		rc = store_agent_usage_put(md->st, &r, &old);
		if (rc < 0 || store_commit(md->st)) {
			store_rollback(md->st);
			rc = -1;
		}
	}
	if (rc < 0) {
		md->agent_usage.failed++;
		log_ratelimited(&rl_usage, LOG_WARNING,
				"%s: usage record %llu of %s not stored (%llu "
				"so far): the agent keeps it",
				c->addr, (unsigned long long)r.seq, r.host,
				(unsigned long long)md->agent_usage.failed);
		conn_error(c, req, MP_ERR_INTERNAL,
			   "usage record %llu not stored: send it again",
			   (unsigned long long)r.seq);
		return;
	}
	if (rc == 0) {
		md->agent_usage.stored++;
		log_debug("%s: usage record %llu of %s: user %u, %llu..%llu",
			  c->addr, (unsigned long long)r.seq, r.host, r.user,
			  (unsigned long long)r.start,
			  (unsigned long long)r.end);
		/* at once, unless earlier ones wait: they move first */
		if (md->agent_usage.move_left || usage_move(md, &r)) {
			if (!md->agent_usage.move_left)
				md->agent_usage.move_at =
					muispd_now(md) +
					UINFO_USAGE_MOVE_RETRY_S;
			md->agent_usage.move_left = 1;
		}
	} else if (usage_same(&r, &old)) {
		/* the ack was lost: the agent sent it again */
		md->agent_usage.dups++;
		log_ratelimited(&rl_resent, LOG_INFO,
				"%s: usage record %llu of %s stored already "
				"(%llu resent so far)",
				c->addr, (unsigned long long)r.seq, r.host,
				(unsigned long long)md->agent_usage.dups);
	} else {
		/* the agent lost its sequence (its state wiped?): the first
		 * record stays, the operator is told */
		md->agent_usage.dups++;
		md->agent_usage.conflicts++;
		log_ratelimited(&rl_conflict, LOG_WARNING,
				"%s: usage record %llu of %s differs from the "
				"one stored under that number (user %u, "
				"%llu..%llu): the first kept (%llu so far)",
				c->addr, (unsigned long long)r.seq, r.host,
				old.user, (unsigned long long)old.start,
				(unsigned long long)old.end,
				(unsigned long long)md->agent_usage.conflicts);
	}
	mp_init(&m, MP_T_UINFO_USAGE_ACK, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL, r.seq);
	conn_queue(c, &m);
}

/* One (host, user) of the operator's view. */
struct usage_row {
	uint32_t user;
	uint64_t first, last;
	uint64_t sent_bytes, sent_pkts, recv_bytes, recv_pkts;
};

/* OP_AGENT_USAGE's walk: the rows of the current host, sent when the
 * next host begins (each carries the host's highest sequence number). */
struct usage_walk {
	struct conn *c;
	uint32_t serial; /* the request's */
	char host[64];
	uint64_t host_seq;
	struct usage_row *rows;
	unsigned n, cap;
	unsigned sent;
	int full;   /* UINFO_USAGE_ROWS_MAX sent, more left */
	int closed; /* the connection went (it does not read) */
	int nomem;
};

/* The current host's rows to w->c. */
static int usage_flush(struct usage_walk *w)
{
	struct mp_msg m;

	for (unsigned i = 0; i < w->n; i++) {
		const struct usage_row *u = &w->rows[i];

		if (w->sent == UINFO_USAGE_ROWS_MAX) {
			w->full = 1;
			break;
		}
		mp_init(&m, MP_T_OP_AGENT_USAGE_ROW, MP_F_REPLY | MP_F_MORE,
			w->serial);
		mp_set_s(&m, MP_A_ADDR, w->host);
		mp_set_u(&m, MP_A_SERIAL, w->host_seq);
		mp_set_u(&m, MP_A_USER, u->user);
		mp_set_u(&m, MP_A_TIME, u->first);
		mp_set_u(&m, MP_A_END, u->last);
		mp_set_u(&m, MP_A_SENT_BYTES, u->sent_bytes);
		mp_set_u(&m, MP_A_SENT_PKTS, u->sent_pkts);
		mp_set_u(&m, MP_A_RECV_BYTES, u->recv_bytes);
		mp_set_u(&m, MP_A_RECV_PKTS, u->recv_pkts);
		if (conn_queue(w->c, &m)) {
			w->closed = 1;
			break;
		}
		w->sent++;
	}
	w->n = 0;
	w->host_seq = 0;
	return w->full || w->closed;
}

static int usage_walk_rec(const struct agent_usage_rec *r, void *arg)
{
	struct usage_walk *w = arg;
	struct usage_row *u;

	if (strcmp(w->host, r->host)) {
		if (usage_flush(w))
			return 1;
		snprintf(w->host, sizeof(w->host), "%s", r->host);
	}
	if (r->seq > w->host_seq)
		w->host_seq = r->seq;
	u = w->n ? &w->rows[w->n - 1] : NULL;
	if (!u || u->user != r->user) {
		if (w->n == w->cap) {
			unsigned cap = w->cap ? 2 * w->cap : 64;
			struct usage_row *v =
				realloc(w->rows, cap * sizeof(*v));

			if (!v) {
				w->nomem = 1;
				return 1;
			}
			w->rows = v;
			w->cap = cap;
		}
		u = &w->rows[w->n++];
		memset(u, 0, sizeof(*u));
		u->user = r->user;
		u->first = r->start;
		u->last = r->end;
	}
	if (r->start < u->first)
		u->first = r->start;
	if (r->end > u->last)
		u->last = r->end;
	u->sent_bytes = sat_add(u->sent_bytes, r->sent_bytes);
	u->sent_pkts = sat_add(u->sent_pkts, r->sent_pkts);
	u->recv_bytes = sat_add(u->recv_bytes, r->recv_bytes);
	u->recv_pkts = sat_add(u->recv_pkts, r->recv_pkts);
	return 0;
}

/* OP_AGENT_USAGE [ADDR]: a row per host (or the one host) and user, by
 * host and user, then OP_OK (MESSAGE when rows were left out). */
void uinfo_usage_op(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	char host[INET6_ADDRSTRLEN], text[MP_STR_MAX + 1];
	struct usage_walk w;
	struct mp_msg m;
	int rc;

	if (mp_has(req, MP_A_ADDR) && uinfo_canon(req->s[MP_A_ADDR], host)) {
		conn_error(c, req, MP_ERR_PROTO, "not an IP address: %.100s",
			   req->s[MP_A_ADDR]);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.serial = req->serial;
	rc = store_agent_usage_foreach(md->st,
				       mp_has(req, MP_A_ADDR) ? host : NULL,
				       usage_walk_rec, &w);
	if (rc >= 0 && !w.nomem)
		usage_flush(&w);
	free(w.rows);
	if (w.closed)
		return;
	if (rc < 0 || w.nomem) {
		/* rows sent so far: the ERROR ends the list */
		conn_error(c, req, MP_ERR_INTERNAL, "agent usage: %s",
			   w.nomem ? "out of memory" : "the store failed");
		return;
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	if (w.full) {
		snprintf(text, sizeof(text),
			 "the first %u rows only: name a host for its own",
			 UINFO_USAGE_ROWS_MAX);
		mp_set_s(&m, MP_A_MESSAGE, text);
	}
	conn_queue(c, &m);
}

/* Records older than agent-usage-keep deleted: at start (muispd_open)
 * and from the tick (once a second), which comes back within a second
 * while a batch was full and an hour after a run ended.  A run's count
 * is logged when it ends. */
void uinfo_usage_prune(struct muispd *md, uint64_t now)
{
	uint64_t keep = (uint64_t)md->conf.agent_usage_keep_days * 86400;
	unsigned n = 0;
	int rc;

	/* (a due time further than that: the clock went back) */
	if (now < md->agent_usage.prune_at &&
	    md->agent_usage.prune_at - now <= UINFO_USAGE_PRUNE_S)
		return;
	md->agent_usage.prune_at = now + UINFO_USAGE_PRUNE_S;
	if (!keep || now <= keep)
		return; /* kept forever, or nothing can be that old */
	rc = store_begin(md->st);
	if (!rc) {
		rc = store_agent_usage_prune(md->st, now - keep,
					     UINFO_USAGE_PRUNE_BATCH, &n);
		if (rc || store_commit(md->st)) {
			store_rollback(md->st);
			rc = -1;
		}
	}
	if (rc) {
		md->agent_usage.prune_at = now + UINFO_USAGE_PRUNE_RETRY_S;
		log_ratelimited(&rl_prune, LOG_WARNING,
				"agent usage: records older than %u days not "
				"pruned: the store failed; again in %u s",
				md->conf.agent_usage_keep_days,
				UINFO_USAGE_PRUNE_RETRY_S);
		return;
	}
	md->agent_usage.pruned += n;
	md->agent_usage.prune_run += n;
	if (n == UINFO_USAGE_PRUNE_BATCH) {
		md->agent_usage.prune_at = now + 1; /* more may be left */
		return;
	}
	if (md->agent_usage.prune_run)
		log_info("agent usage: %llu records older than %u days pruned",
			 (unsigned long long)md->agent_usage.prune_run,
			 md->conf.agent_usage_keep_days);
	md->agent_usage.prune_run = 0;
}
