// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection billing records (Edell's "Billing Records"; docs/
 * DESIGN.md "Per-connection billing"): each connection the access
 * controller accepts (conn_hold.c) is a row of the store's conn_records.
 * The module meters the connection as one flow of the flow table; when
 * the flow ends (FIN, RST, the idle time-out, a flush) its flow record,
 * on the "flows" group, closes the row with the flow's counters, its end
 * and its cost at the contract's price.  Most connections are short: the
 * row waits conn-record-delay (30 s) for its end, so that it is written
 * once, whole; a connection still open then is written open, and its row
 * updated when it ends.  Writes wait for the next flush (records_flush()),
 * once a second, all in one transaction.  Rows are found by the
 * connection's 5-tuple in a hash of the open ones.
 *
 * At start the open rows come back: those whose flow the module still
 * has stay open; the others ended while muispd was away and are closed
 * as "lost" (their counters unknown, no cost).  A held connection's flow
 * without a row (muispd stopped before writing it) gets one, open.  `muispctl conn list`
 * (OP_CONN_LIST) shows them, open ones with the flow's counters so far.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "fnv.h"
#include "log.h"
#include "muispd.h"
#include "parse.h"

#define CONN_BUCKETS 4096 /* open rows' hash */
/* rows in one OP_CONN_LIST answer: the newest first */
#define CONN_LIST_MAX 1000
/* purchasing agents' running cost (CONN_COST), seconds apart */
#define CONN_COST_INTERVAL_S 5

struct conn_open {
	struct conn_open *next;
	/* not yet in the store, or (row set) its end not yet */
	struct conn_open *pend_next;
	int64_t row;	  /* 0 until it is */
	uint64_t since_s; /* monotonic: accepted then */
	uint32_t user;
	uint64_t start_ms;
	uint8_t family, proto;
	uint8_t host[16], peer[16];
	uint16_t hport, pport;
	uint8_t metric;
	uint64_t price, unit;
	uint64_t contract;
	/* ended before its row was written: the row is written whole */
	const char *end; /* the end's name, NULL while open */
	uint64_t end_ms, cost;
	uint64_t up_bytes, up_packets, down_bytes, down_packets;
};

struct conn_records {
	struct nl_follow follow; /* the "flows" group */
	struct conn_open *bucket[CONN_BUCKETS];
	unsigned nopen;
	uint32_t seed;
	uint64_t cost_next; /* monotonic s: the next running-cost walk */
	/* accepted, not yet written (records_flush()): newest first; how
	 * many, how many of them ended */
	struct conn_open *pending;
	unsigned npending, nended;
	/* written, and ended since: their end not yet written (out of the
	 * hash) */
	struct conn_open *closing;
	unsigned nclosing;
	/* the flush's statements, prepared once: a parse of the SQL costs
	 * as much as the rows of a quiet second */
	sqlite3_stmt *ins, *upd;
	uint64_t opened, closed, lost, store_errors;
};

static struct log_rl rl_rec = LOG_RL_INIT(5, 5);

static uint32_t hash_of(const struct conn_records *r, uint8_t family,
			uint8_t proto, const uint8_t *host, uint16_t hport,
			const uint8_t *peer, uint16_t pport)
{
	/* an IPv4 address is 4 bytes of the 16, the rest zero */
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t h = FNV1A_INIT ^ r->seed;

	h = fnv1a(h, &family, 1);
	h = fnv1a(h, &proto, 1);
	h = fnv1a(h, host, alen);
	h = fnv1a(h, peer, alen);
	h = fnv1a(h, &hport, 2);
	h = fnv1a(h, &pport, 2);
	return h % CONN_BUCKETS;
}

static struct conn_open **open_find(struct conn_records *r, uint8_t family,
				    uint8_t proto, const uint8_t *host,
				    uint16_t hport, const uint8_t *peer,
				    uint16_t pport)
{
	struct conn_open **pp;

	pp = &r->bucket[hash_of(r, family, proto, host, hport, peer, pport)];
	for (; *pp; pp = &(*pp)->next) {
		const struct conn_open *o = *pp;

		if (o->family == family && o->proto == proto &&
		    o->hport == hport && o->pport == pport &&
		    !memcmp(o->host, host, 16) && !memcmp(o->peer, peer, 16))
			return pp;
	}
	return NULL;
}

static void open_insert(struct conn_records *r, struct conn_open *o)
{
	struct conn_open **b = &r->bucket[hash_of(
		r, o->family, o->proto, o->host, o->hport, o->peer, o->pport)];

	o->next = *b;
	*b = o;
	r->nopen++;
}

static sqlite3_stmt *prep(struct muispd *md, const char *sql)
{
	sqlite3 *db = store_db(md->st);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("conn records: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return s;
}

/* The store said no: counted, and logged with what it meant (what). */
static void store_failed(struct muispd *md, const char *what)
{
	md->crec->store_errors++;
	log_ratelimited(&rl_rec, LOG_WARNING, "conn records: %s: %s", what,
			sqlite3_errmsg(store_db(md->st)));
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An ended row's end: its columns end_ms, up_bytes, up_packets,
 * down_bytes, down_packets, cost, end_reason from parameter i on. */
static void bind_end(sqlite3_stmt *s, int i, const struct conn_open *o)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)o->end_ms);
	sqlite3_bind_int64(s, i + 1, (sqlite3_int64)o->up_bytes);
	sqlite3_bind_int64(s, i + 2, (sqlite3_int64)o->up_packets);
	sqlite3_bind_int64(s, i + 3, (sqlite3_int64)o->down_bytes);
	sqlite3_bind_int64(s, i + 4, (sqlite3_int64)o->down_packets);
	sqlite3_bind_int64(s, i + 5, (sqlite3_int64)o->cost);
	sqlite3_bind_text(s, i + 6, o->end, -1, SQLITE_STATIC);
}

/*
 * The rows due, in one transaction: those of ended connections, those
 * waiting conn-record-delay (or all), and the ends of rows written open.
 * Once a second (conn_records_tick()), all before the rows are listed and
 * at exit, and when RECORDS_READY_MAX are due or RECORDS_PENDING_MAX
 * wait.  Not at each acceptance, nor at each flow record: the store's
 * commit (a write, an fsync) would be in the way of the next held
 * connection, and flow records come a few at a time.  What a crash
 * leaves unwritten comes back at the next start (restore_open()): a
 * connection the module still meters without a row is written then, its
 * user unknown; a row written open whose end was lost is closed as
 * "lost".
 */
#define RECORDS_READY_MAX 256
/* how long a connection's SYN may be retransmitted (Linux: 6 retries,
 * 127 s) */
#define CONN_SYN_RETRY_S    130
#define RECORDS_PENDING_MAX 4096

/* Is pending row o to be written now (all: every one)? */
static int due(const struct muispd *md, const struct conn_open *o, int all)
{
	return all || o->end ||
	       o->since_s + md->conf.conn_record_delay_s <=
		       muispd_mono_ms(md) / 1000;
}

/* Statement *sp, prepared from sql the first time: NULL if it cannot. */
static sqlite3_stmt *stmt(struct muispd *md, sqlite3_stmt **sp, const char *sql)
{
	if (!*sp)
		*sp = prep(md, sql);
	return *sp;
}

static int insert_pending(struct muispd *md, int all)
{
	/* bound as they are (SQLITE_STATIC): rebound before each step */
	char host[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	struct conn_open *o;
	sqlite3_stmt *s;

	s = stmt(md, &md->crec->ins,
		 "INSERT INTO conn_records (proto, host, hport, peer,"
		 " pport, user, contract, metric, price, unit, start_ms,"
		 " end_ms, up_bytes, up_packets, down_bytes, down_packets,"
		 " cost, end_reason)"
		 " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	for (o = md->crec->pending; o && s; o = o->pend_next) {
		if (!due(md, o, all))
			continue;
		ip_ntop(o->family, o->host, host, sizeof(host));
		ip_ntop(o->family, o->peer, peer, sizeof(peer));
		sqlite3_reset(s);
		sqlite3_bind_int(s, 1, o->proto);
		sqlite3_bind_text(s, 2, host, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, o->hport);
		sqlite3_bind_text(s, 4, peer, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, o->pport);
		sqlite3_bind_int64(s, 6, o->user);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)o->contract);
		sqlite3_bind_int(s, 8, o->metric);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)o->price);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)o->unit);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)o->start_ms);
		if (o->end)
			bind_end(s, 12, o);
		else /* still open */
			for (int i = 12; i <= 18; i++)
				sqlite3_bind_null(s, i);
		if (sqlite3_step(s) != SQLITE_DONE)
			break;
		o->row = sqlite3_last_insert_rowid(store_db(md->st));
	}
	if (s) { /* the transaction can end; nothing points at this stack */
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return o || !s ? -1 : 0;
}

static int update_closing(struct muispd *md)
{
	struct conn_open *o;
	sqlite3_stmt *s;

	s = stmt(md, &md->crec->upd,
		 "UPDATE conn_records SET end_ms = ?, up_bytes = ?,"
		 " up_packets = ?, down_bytes = ?, down_packets = ?,"
		 " cost = ?, end_reason = ? WHERE id = ?");
	for (o = md->crec->closing; o && s; o = o->pend_next) {
		sqlite3_reset(s);
		bind_end(s, 1, o);
		sqlite3_bind_int64(s, 8, o->row);
		if (sqlite3_step(s) != SQLITE_DONE)
			break;
	}
	if (s)
		sqlite3_reset(s);
	return o || !s ? -1 : 0;
}

static void records_flush(struct muispd *md, int all)
{
	struct conn_records *r = md->crec;
	struct conn_open *o, **pp;
	int any = 0;

	if (!r)
		return;
	for (o = r->pending; o && !any; o = o->pend_next)
		any = due(md, o, all);
	if (!any && !r->closing)
		return;
	if (store_begin(md->st)) {
		r->store_errors++;
		return; /* kept: the next flush tries again */
	}
	if ((any && insert_pending(md, all)) ||
	    (r->closing && update_closing(md)) || store_commit(md->st)) {
		store_rollback(md->st);
		for (o = r->pending; o; o = o->pend_next)
			o->row = 0;
		r->store_errors++;
		log_ratelimited(&rl_rec, LOG_WARNING,
				"conn records: %u rows and %u ends not "
				"written: %s",
				r->npending, r->nclosing,
				sqlite3_errmsg(store_db(md->st)));
		return;
	}
	/* those written are no longer pending; the ended ones are done
	 * with, the open stay (in the hash) */
	for (pp = &r->pending; (o = *pp);) {
		if (!o->row) {
			pp = &o->pend_next;
			continue;
		}
		*pp = o->pend_next;
		r->npending--;
		if (o->end) {
			r->nended--;
			r->closed++;
			free(o);
		}
	}
	while (r->closing) {
		o = r->closing;
		r->closing = o->pend_next;
		r->closed++;
		free(o);
	}
	r->nclosing = 0;
}

/* A row for connection a, begun at start_ms (wall clock). */
static void open_fill(struct conn_open *o, const struct conn_accepted *a,
		      uint64_t start_ms)
{
	o->family = a->family;
	o->proto = a->proto;
	memcpy(o->host, a->host, 16);
	memcpy(o->peer, a->peer, 16);
	o->hport = a->hport;
	o->pport = a->pport;
	o->user = a->user;
	o->start_ms = start_ms;
	o->metric = a->metric;
	o->price = a->price;
	o->unit = a->unit;
	o->contract = a->contract;
}

void conn_record_open(struct muispd *md, const struct conn_accepted *a)
{
	struct conn_records *r = md->crec;
	struct conn_open **pp, *o;

	if (!r)
		return;
	pp = open_find(r, a->family, a->proto, a->host, a->hport, a->peer,
		       a->pport);
	/* the same connection decided again: its SYN, back round the
	 * module's hook, found its answer's slot taken by another's (a
	 * direct-mapped table) and was held anew; a SYN is retransmitted
	 * for a minute or two at most */
	if (pp && (*pp)->since_s + CONN_SYN_RETRY_S > muispd_mono_ms(md) / 1000)
		return;
	/* the same 5-tuple later (its flow's record was lost): the new
	 * connection takes the old row's place in the hash */
	if (pp && !(*pp)->row) {
		records_flush(md, 1);
		pp = open_find(r, a->family, a->proto, a->host, a->hport,
			       a->peer, a->pport);
	}
	if (pp && (*pp)->row) {
		o = *pp;
		*pp = o->next;
		r->nopen--;
		free(o);
	}
	o = calloc(1, sizeof(*o));
	if (!o || r->nopen >= CONN_RECORDS_OPEN_MAX) {
		free(o);
		r->lost++;
		log_ratelimited(&rl_rec, LOG_WARNING,
				"conn records: %u open: a connection not "
				"recorded",
				r->nopen);
		return;
	}
	open_fill(o, a, real_ms());
	o->since_s = muispd_mono_ms(md) / 1000;
	open_insert(r, o);
	o->pend_next = r->pending;
	r->pending = o;
	r->opened++;
	/* a busy site: more would be lost to a crash, so all are written */
	if (++r->npending >= RECORDS_PENDING_MAX)
		records_flush(md, 1);
}

/* What the connection cost: its usage in the contract's metric. */
static uint64_t cost_of(const struct conn_open *o,
			const struct muisp_nl_flow *f)
{
	uint64_t usage;

	switch (o->metric) {
	case MP_METRIC_BYTES:
		usage = f->up_bytes + f->down_bytes;
		break;
	case MP_METRIC_PACKETS:
		usage = f->up_packets + f->down_packets;
		break;
	default: /* time: the connection's seconds */
		usage = f->last_ms > f->first_ms ?
				(f->last_ms - f->first_ms + 999) / 1000 :
				0;
		break;
	}
	return contract_cost(o->price, o->unit, usage);
}

static const char *end_name(uint8_t reason)
{
	static const char *const n[] = {
		[MUISP_FLOW_END_IDLE] = "idle",
		[MUISP_FLOW_END_CLOSED] = "closed",
		[MUISP_FLOW_END_EVICTED] = "evicted",
		[MUISP_FLOW_END_FLUSH] = "flush",
		[MUISP_FLOW_END_REBIND] = "rebind",
	};

	return reason < sizeof(n) / sizeof(n[0]) && n[reason] ? n[reason] :
								"ended";
}

/* A flow record: the end of an open connection's flow closes its row,
 * at the next flush. */
static int on_record(const struct muisp_nl_flow *f, void *arg)
{
	struct muispd *md = arg;
	struct conn_records *r = md->crec;
	uint8_t family = f->client_addr.family;
	struct conn_open **pp, *o;

	pp = open_find(r, family, f->proto, f->client_addr.a, f->client_port,
		       f->peer_addr.a, f->peer_port);
	if (!pp)
		return MNL_CB_OK;
	o = *pp;
	*pp = o->next;
	r->nopen--;
	o->end = end_name(f->end_reason);
	o->end_ms = f->last_ms;
	o->cost = cost_of(o, f);
	o->up_bytes = f->up_bytes;
	o->up_packets = f->up_packets;
	o->down_bytes = f->down_bytes;
	o->down_packets = f->down_packets;
	/* the user's online feedback: the final figures */
	pagent_cost(md, o->contract, f, o->cost, 1, o->end);
	if (!o->row) { /* still waiting: written once, whole */
		if (++r->nended + r->nclosing >= RECORDS_READY_MAX)
			records_flush(md, 0);
		return MNL_CB_OK;
	}
	if (r->nclosing >= CONN_RECORDS_OPEN_MAX) { /* the store is failing */
		r->lost++;
		log_ratelimited(&rl_rec, LOG_WARNING,
				"conn records: %u ends not written: the end of "
				"row %lld dropped (closed as lost at the next "
				"start)",
				r->nclosing, (long long)o->row);
		free(o);
		return MNL_CB_OK;
	}
	o->pend_next = r->closing;
	r->closing = o;
	if (r->nended + ++r->nclosing >= RECORDS_READY_MAX)
		records_flush(md, 0);
	return MNL_CB_OK;
}

static void on_flows(struct muisp_nl *nl, void *arg)
{
	struct muispd *md = arg;

	for (unsigned k = 0; k < 256; k++) {
		if (muisp_nl_recv_events(nl, NULL, on_record, md) == 0)
			continue;
		if (errno == ENOBUFS) {
			md->crec->lost++;
			log_ratelimited(&rl_rec, LOG_WARNING,
					"conn records: flow records lost "
					"(socket overrun): those rows stay "
					"open until muispd restarts");
			continue;
		}
		break;
	}
}

/* Start-up: the open rows whose flow the module still has, and the
 * module's held connections that have no row. */
struct live_flows {
	struct muispd *md;
	struct conn_open **seen; /* the rows found, unlinked */
	unsigned nseen, cap;
	struct conn_open *found; /* connections without a row */
	unsigned nfound;
};

/* Flow f, which no row has, is a connection muispd held and accepted,
 * whose row was still waiting when the last run ended (a crash): its row
 * is written now, from what the module says; who the user was is lost. */
static void flow_found(struct live_flows *l, const struct muisp_nl_flow *f)
{
	struct muispd *md = l->md;
	struct live *c = live_find(md, f->contract_id);
	struct conn_accepted a = { 0 };
	struct conn_open *o;

	/* held: every TCP connection of muispd's contracts, UDP's too with
	 * tcp-udp (enum muisp_conn_hold) */
	if (!c ||
	    (f->proto != IPPROTO_TCP &&
	     (f->proto != IPPROTO_UDP ||
	      md->conf.conn_billing != MUISP_CONN_HOLD_TCP_UDP)) ||
	    l->md->crec->nopen + l->nfound >= CONN_RECORDS_OPEN_MAX)
		return;
	o = calloc(1, sizeof(*o));
	if (!o)
		return;
	a.family = f->client_addr.family;
	a.proto = f->proto;
	memcpy(a.host, f->client_addr.a, 16);
	memcpy(a.peer, f->peer_addr.a, 16);
	a.hport = f->client_port;
	a.pport = f->peer_port;
	a.contract = c->rec.serial;
	a.metric = c->rec.metric;
	a.price = c->rec.price;
	a.unit = c->rec.unit;
	open_fill(o, &a, f->first_ms); /* its user unknown */
	o->pend_next = l->found;
	l->found = o;
	l->nfound++;
}

static int flow_seen(const struct muisp_nl_flow *f, void *arg)
{
	struct live_flows *l = arg;
	struct conn_open **pp, *o, **v;

	pp = open_find(l->md->crec, f->client_addr.family, f->proto,
		       f->client_addr.a, f->client_port, f->peer_addr.a,
		       f->peer_port);
	if (!pp) {
		flow_found(l, f);
		return MNL_CB_OK;
	}
	if (l->nseen == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		v = realloc(l->seen, l->cap * sizeof(*v));
		if (!v)
			return MNL_CB_ERROR;
		l->seen = v;
	}
	o = *pp;
	*pp = o->next;
	l->md->crec->nopen--;
	l->seen[l->nseen++] = o;
	return MNL_CB_OK;
}

/* The rows left open by the last run: back in the hash, or closed as
 * lost if the module has no flow for them any more. */
static void restore_open(struct muispd *md)
{
	struct conn_records *r = md->crec;
	struct live_flows l = { md, NULL, 0, 0, NULL, 0 };
	struct muisp_nl_ip ip;
	sqlite3_stmt *s;
	unsigned nlost = 0;
	const char *why;

	s = prep(md, "SELECT id, proto, host, hport, peer, pport, metric,"
		     " price, unit, contract FROM conn_records"
		     " WHERE end_ms IS NULL");
	if (!s)
		return;
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct conn_open *o = calloc(1, sizeof(*o));

		if (!o)
			break;
		o->row = sqlite3_column_int64(s, 0);
		o->proto = (uint8_t)sqlite3_column_int(s, 1);
		if (parse_ip((const char *)sqlite3_column_text(s, 2), &ip,
			     &why)) {
			free(o);
			continue;
		}
		o->family = ip.family;
		memcpy(o->host, ip.a, 16);
		o->hport = (uint16_t)sqlite3_column_int(s, 3);
		if (parse_ip((const char *)sqlite3_column_text(s, 4), &ip,
			     &why)) {
			free(o);
			continue;
		}
		memcpy(o->peer, ip.a, 16);
		o->pport = (uint16_t)sqlite3_column_int(s, 5);
		o->metric = (uint8_t)sqlite3_column_int(s, 6);
		o->price = (uint64_t)sqlite3_column_int64(s, 7);
		o->unit = (uint64_t)sqlite3_column_int64(s, 8);
		o->contract = (uint64_t)sqlite3_column_int64(s, 9);
		open_insert(r, o);
	}
	sqlite3_finalize(s);
	/* those the module meters still: kept apart during the walk */
	if (kernel_flow_walk(md->k, flow_seen, &l) < 0)
		log_warnx("conn records: the module's flows unreadable: %u "
			  "open rows kept open",
			  r->nopen);
	else if (r->nopen) { /* the rows left: their flows are gone */
		int tx = store_begin(md->st) == 0;

		s = prep(md, "UPDATE conn_records SET end_ms = start_ms,"
			     " end_reason = 'lost' WHERE id = ?");
		for (unsigned i = 0; i < CONN_BUCKETS; i++) {
			while (r->bucket[i]) {
				struct conn_open *o = r->bucket[i];

				r->bucket[i] = o->next;
				r->nopen--;
				if (s) {
					sqlite3_reset(s);
					sqlite3_bind_int64(s, 1, o->row);
					if (sqlite3_step(s) != SQLITE_DONE)
						store_failed(md, "a lost row");
				}
				free(o);
				nlost++;
			}
		}
		sqlite3_finalize(s);
		if (tx && store_commit(md->st)) {
			store_rollback(md->st);
			store_failed(md, "lost rows not closed");
		}
	}
	for (unsigned i = 0; i < l.nseen; i++)
		open_insert(r, l.seen[i]);
	free(l.seen);
	/* written at once (since_s 0: due), open */
	while (l.found) {
		struct conn_open *o = l.found;

		l.found = o->pend_next;
		open_insert(r, o);
		o->pend_next = r->pending;
		r->pending = o;
		r->npending++;
		r->opened++;
	}
	records_flush(md, 1);
	log_info("conn records: %u connections still open (%u of them "
		 "without a row, written now, their users unknown), %u ended "
		 "while muispd was away (lost)",
		 r->nopen, l.nfound, nlost);
}

/* A live flow: if it is an open connection whose payer has a purchasing
 * agent, the agent hears its running cost. */
static int flow_cost(const struct muisp_nl_flow *f, void *arg)
{
	struct muispd *md = arg;
	struct conn_open **pp;

	pp = open_find(md->crec, f->client_addr.family, f->proto,
		       f->client_addr.a, f->client_port, f->peer_addr.a,
		       f->peer_port);
	if (pp && pagent_for(md, (*pp)->contract))
		pagent_cost(md, (*pp)->contract, f, cost_of(*pp, f), 0, NULL);
	return MNL_CB_OK;
}

/* Every CONN_COST_INTERVAL_S while purchasing agents listen: one walk of
 * the module's flows for their connections' running cost. */
void conn_records_tick(struct muispd *md, uint64_t now_s)
{
	struct conn_records *r = md->crec;
	int any = 0;

	records_flush(md, 0);
	if (!r || !r->nopen || now_s < r->cost_next)
		return;
	r->cost_next = now_s + CONN_COST_INTERVAL_S;
	for (unsigned i = 0; i < md->nconns && !any; i++)
		any = md->conns[i] && md->conns[i]->pagent_serial;
	if (any && kernel_flow_walk(md->k, flow_cost, md) < 0)
		log_ratelimited(&rl_rec, LOG_WARNING,
				"conn records: the module's flows unreadable");
}

int conn_records_open(struct muispd *md)
{
	struct conn_records *r;
	struct nl_follow *f;

	if (md->crec || !md->conf.conn_billing || !md->conf.use_kernel)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->seed = (uint32_t)random();
	md->crec = r;
	restore_open(md);
	f = &r->follow;
	f->e = md->ev;
	f->group = MUISP_GENL_MCGRP_FLOWS;
	f->what = "flow records (connection billing)";
	f->rcvbuf = 4 << 20;
	f->retry_s = 5;
	f->on_data = on_flows;
	f->arg = md;
	if (md->ev && nl_follow_start(f) < 0) {
		conn_records_close(md);
		return -1;
	}
	return 0;
}

void conn_records_close(struct muispd *md)
{
	struct conn_records *r = md->crec;

	if (!r)
		return;
	records_flush(md, 1);
	sqlite3_finalize(r->ins);
	sqlite3_finalize(r->upd);
	if (md->ev)
		nl_follow_stop(&r->follow);
	while (r->pending) { /* not written: the store failed */
		struct conn_open *o = r->pending;

		r->pending = o->pend_next;
		if (o->end)
			free(o); /* the open ones are in the hash */
	}
	while (r->closing) { /* their ends not written: lost at the start */
		struct conn_open *o = r->closing;

		r->closing = o->pend_next;
		free(o);
	}
	for (unsigned i = 0; i < CONN_BUCKETS; i++)
		while (r->bucket[i]) {
			struct conn_open *o = r->bucket[i];

			r->bucket[i] = o->next;
			free(o);
		}
	free(r);
	md->crec = NULL;
}

void conn_records_counters(const struct muispd *md,
			   void (*put)(void *arg, const char *name, uint64_t v),
			   void *arg)
{
	const struct conn_records *r = md->crec;

	if (!r)
		return;
	put(arg, "conn.records_opened", r->opened);
	put(arg, "conn.records_closed", r->closed);
	put(arg, "conn.records_open", r->nopen);
	put(arg, "conn.records_lost", r->lost);
	put(arg, "conn.records_store_errors", r->store_errors);
}

/* OP_CONN_LIST [ADDR] [USER]: the newest rows first, at most
 * CONN_LIST_MAX; an open one has no END. */
void conn_records_op(struct muispd *md, struct conn *c,
		     const struct mp_msg *req)
{
	sqlite3_stmt *s;
	struct mp_msg m;
	int has_addr = mp_has(req, MP_A_ADDR),
	    has_user = mp_has(req, MP_A_USER);

	records_flush(md, 1);
	s = prep(md, "SELECT proto, host, hport, peer, pport, user, contract,"
		     " price, unit, metric, start_ms, end_ms, up_bytes,"
		     " up_packets, down_bytes, down_packets, cost, end_reason"
		     " FROM conn_records WHERE (?1 IS NULL OR host = ?1)"
		     " AND (?2 IS NULL OR user = ?2) ORDER BY id DESC"
		     " LIMIT ?3");
	if (!s) {
		conn_error(c, req, MP_ERR_INTERNAL, "the store");
		return;
	}
	if (has_addr)
		sqlite3_bind_text(s, 1, req->s[MP_A_ADDR], -1, SQLITE_STATIC);
	if (has_user)
		sqlite3_bind_int64(s, 2, (sqlite3_int64)req->u[MP_A_USER]);
	sqlite3_bind_int(s, 3, CONN_LIST_MAX);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int open = sqlite3_column_type(s, 11) == SQLITE_NULL;

		mp_init(&m, MP_T_OP_CONN_ROW, MP_F_REPLY | MP_F_MORE,
			req->serial);
		mp_set_u(&m, MP_A_PROTO, (uint64_t)sqlite3_column_int(s, 0));
		mp_set_s(&m, MP_A_ADDR,
			 (const char *)sqlite3_column_text(s, 1));
		mp_set_u(&m, MP_A_SPORT, (uint64_t)sqlite3_column_int(s, 2));
		mp_set_s(&m, MP_A_PEER,
			 (const char *)sqlite3_column_text(s, 3));
		mp_set_u(&m, MP_A_DPORT, (uint64_t)sqlite3_column_int(s, 4));
		mp_set_u(&m, MP_A_USER, (uint64_t)sqlite3_column_int64(s, 5));
		mp_set_u(&m, MP_A_SERIAL, (uint64_t)sqlite3_column_int64(s, 6));
		mp_set_u(&m, MP_A_PRICE, (uint64_t)sqlite3_column_int64(s, 7));
		mp_set_u(&m, MP_A_UNIT, (uint64_t)sqlite3_column_int64(s, 8));
		mp_set_u(&m, MP_A_METRIC, (uint64_t)sqlite3_column_int(s, 9));
		mp_set_u(&m, MP_A_TIME,
			 (uint64_t)sqlite3_column_int64(s, 10) / 1000);
		if (!open && sqlite3_column_type(s, 12) != SQLITE_NULL) {
			mp_set_u(&m, MP_A_END,
				 (uint64_t)sqlite3_column_int64(s, 11) / 1000);
			mp_set_u(&m, MP_A_SENT_BYTES,
				 (uint64_t)sqlite3_column_int64(s, 12));
			mp_set_u(&m, MP_A_SENT_PKTS,
				 (uint64_t)sqlite3_column_int64(s, 13));
			mp_set_u(&m, MP_A_RECV_BYTES,
				 (uint64_t)sqlite3_column_int64(s, 14));
			mp_set_u(&m, MP_A_RECV_PKTS,
				 (uint64_t)sqlite3_column_int64(s, 15));
			mp_set_u(&m, MP_A_CHARGE,
				 (uint64_t)sqlite3_column_int64(s, 16));
		}
		if (!open)
			mp_set_s(&m, MP_A_MESSAGE,
				 (const char *)sqlite3_column_text(s, 17));
		if (conn_queue(c, &m))
			break;
	}
	sqlite3_finalize(s);
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}
