// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user block list (thesis §3.6, docs/DESIGN.md "Blocked users"):
 * the operator blocks a user of a multi-user host, named as the host's
 * address and the user's Accounting ID (OP_USER_BLOCK, `muispctl user
 * block`).  A router sees only the host's address, so it is the host's
 * agent that drops the user's packets: muispd sends the host's blocks to
 * its agent before UINFO_WELCOME (so nothing of a blocked user is tagged
 * under the new key) and every change while the session lasts
 * (UINFO_BLOCK); the agent answers UINFO_BLOCKED once its module drops
 * them.  muispd also refuses a blocked user's control channel, so they
 * buy nothing.  The list is kept in the store: it outlives restarts and
 * is sent again to every new session.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "muispd.h"
#include "store.h"

/* Blocked users at most: as many as the module binds (MUISP_MAX_USERS),
 * and of one host address, so that a new session's list (a frame of
 * about 30 bytes each, two addresses for a dual-stack host) fits in a
 * channel's output queue (MUISPD_WBUF_USER) beside its WELCOME. */
#define USERBLOCK_MAX	   65536
#define USERBLOCK_HOST_MAX 512

struct ublock {
	char addr[INET6_ADDRSTRLEN]; /* the host, as inet_ntop writes it */
	uint32_t user;		     /* the Accounting ID */
	uint64_t since;		     /* blocked at, seconds since the epoch */
	char reason[MP_STR_MAX + 1];
	uint64_t agent;	 /* the agent channel it was sent on */
	uint32_t serial; /* ... as this UINFO_BLOCK */
	int applied;	 /* ... and the agent said it applied it */
};

static int ub_step(struct muispd *md, const char *sql, const struct ublock *b)
{
	sqlite3 *db = store_db(md->st);
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("user blocks: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(s, 1, b->addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, b->user);
	if (sqlite3_bind_parameter_count(s) > 2) {
		sqlite3_bind_int64(s, 3, (sqlite3_int64)b->since);
		sqlite3_bind_text(s, 4, b->reason, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("user blocks: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static struct ublock *ub_find(struct muispd *md, const char *addr,
			      uint32_t user)
{
	for (unsigned i = 0; i < md->nublocks; i++)
		if (md->ublocks[i].user == user &&
		    !strcmp(md->ublocks[i].addr, addr))
			return &md->ublocks[i];
	return NULL;
}

/* The users blocked on addr. */
static unsigned ub_count(struct muispd *md, const char *addr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < md->nublocks; i++)
		n += !strcmp(md->ublocks[i].addr, addr);
	return n;
}

/* A new entry at the end of the list, or NULL (full, no memory). */
static struct ublock *ub_add(struct muispd *md)
{
	if (md->nublocks >= USERBLOCK_MAX)
		return NULL;
	if (md->nublocks == md->capublocks) {
		unsigned cap = md->capublocks ? 2 * md->capublocks : 16;
		struct ublock *v = realloc(md->ublocks, cap * sizeof(*v));

		if (!v)
			return NULL;
		md->ublocks = v;
		md->capublocks = cap;
	}
	memset(&md->ublocks[md->nublocks], 0, sizeof(*md->ublocks));
	return &md->ublocks[md->nublocks++];
}

int userblock_open(struct muispd *md)
{
	sqlite3 *db = store_db(md->st);
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT addr, user, since, reason FROM "
			       "user_blocks ORDER BY since, addr, user;",
			       -1, &s, NULL) != SQLITE_OK) {
		log_warnx("user blocks: %s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *addr = (const char *)sqlite3_column_text(s, 0);
		const char *why = (const char *)sqlite3_column_text(s, 3);
		char a[INET6_ADDRSTRLEN];
		struct ublock *b;

		if (!addr || uinfo_canon(addr, a) || !(b = ub_add(md)))
			continue;
		memcpy(b->addr, a, sizeof(b->addr));
		b->user = (uint32_t)sqlite3_column_int64(s, 1);
		b->since = (uint64_t)sqlite3_column_int64(s, 2);
		snprintf(b->reason, sizeof(b->reason), "%s", why ? why : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("user blocks: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (md->nublocks)
		log_info("%u blocked user%s", md->nublocks,
			 md->nublocks == 1 ? "" : "s");
	return 0;
}

void userblock_close(struct muispd *md)
{
	free(md->ublocks);
	md->ublocks = NULL;
	md->nublocks = md->capublocks = 0;
}

/* Is the payer "ID@ADDRESS" blocked?  (A host address alone never is.) */
int userblock_is(struct muispd *md, const char *payer)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t user;

	if (!md->nublocks || !contract_payer_user(payer, &user) ||
	    uinfo_canon(contract_payer_host(payer), a))
		return 0;
	return ub_find(md, a, user) != NULL;
}

/* Tell agent channel a that user is blocked or not; b (blocking) keeps
 * the question's serial so that the answer finds it. */
static void ub_send(struct conn *a, uint32_t user, int blocked,
		    struct ublock *b)
{
	struct mp_msg m;

	mp_init(&m, MP_T_UINFO_BLOCK, 0, ++a->owner_seq);
	mp_set_u(&m, MP_A_USER, user);
	mp_set_u(&m, MP_A_BLOCKED, blocked ? 1 : 0);
	if (b) {
		b->agent = a->id;
		b->serial = a->owner_seq;
		b->applied = 0;
	}
	conn_queue(a, &m);
}

/* A new session on agent channel a (uinfo_hello(), before WELCOME):
 * every block of its addresses. */
void userblock_session(struct muispd *md, struct conn *a)
{
	for (unsigned i = 0; i < md->nublocks; i++)
		for (unsigned j = 0; j < a->agent_naddrs; j++)
			if (!strcmp(md->ublocks[i].addr, a->agent_addrs[j])) {
				ub_send(a, md->ublocks[i].user, 1,
					&md->ublocks[i]);
				break;
			}
}

/* An answer on agent channel a to a UINFO_BLOCK: 1 if it was one. */
int userblock_reply(struct muispd *md, struct conn *a, const struct mp_msg *m)
{
	for (unsigned i = 0; i < md->nublocks; i++) {
		struct ublock *b = &md->ublocks[i];

		if (b->agent != a->id || b->serial != m->serial)
			continue;
		if (m->type == MP_T_UINFO_BLOCKED && m->u[MP_A_BLOCKED] &&
		    m->u[MP_A_USER] == b->user) {
			b->applied = 1;
			log_info("%u@%s: blocked by the host's agent", b->user,
				 b->addr);
		} else {
			log_warnx("%u@%s: the host's agent did not block the "
				  "user: %.100s",
				  b->user, b->addr,
				  mp_has(m, MP_A_MESSAGE) ?
					  m->s[MP_A_MESSAGE] :
					  mp_type_name(m->type));
		}
		return 1;
	}
	/* an allow's answer (its entry is gone), or a late one */
	return m->type == MP_T_UINFO_BLOCKED;
}

/* The state of b's push, for the operator. */
static int ub_push(struct muispd *md, const struct ublock *b)
{
	const struct conn *a = uinfo_agent_for(md, b->addr);

	if (!a)
		return MP_PUSH_NO_AGENT;
	return b->agent == a->id && b->applied ? MP_PUSH_APPLIED : MP_PUSH_SENT;
}

/* Close the control channels of the payer "ID@ADDRESS" now blocked. */
static unsigned ub_close_conns(struct muispd *md, const struct ublock *b)
{
	char payer[sizeof(((struct conn *)0)->addr)];
	unsigned n = 0;

	snprintf(payer, sizeof(payer), "%u@%s", b->user, b->addr);
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];

		if (c->kind == CONN_USER && c->state != C_CLOSING &&
		    !strcmp(c->addr, payer)) {
			conn_close(c);
			n++;
		}
	}
	return n;
}

/* OP_USER_BLOCK, BLOCKED 0: user@addr allowed again; the text for the
 * operator in text, or -1 (refused, c told). */
static int ub_allow(struct muispd *md, struct conn *c, const struct mp_msg *req,
		    struct ublock *b, char *text, size_t len)
{
	struct conn *a = uinfo_agent_for(md, b->addr);
	uint32_t user = b->user;
	char addr[INET6_ADDRSTRLEN];

	if (ub_step(md,
		    "DELETE FROM user_blocks WHERE addr = ?1 AND user = ?2;",
		    b)) {
		conn_error(c, req, MP_ERR_INTERNAL, "user blocks");
		return -1;
	}
	memcpy(addr, b->addr, sizeof(addr));
	*b = md->ublocks[--md->nublocks];
	/* the agent blocks IDs: not while another of its host's addresses
	 * still blocks this one */
	for (unsigned j = 0; a && j < a->agent_naddrs; j++)
		if (ub_find(md, a->agent_addrs[j], user))
			a = NULL;
	if (a)
		ub_send(a, user, 0, NULL);
	log_info("%u@%s: allowed again by the operator", user, addr);
	snprintf(text, len, "%u@%s allowed again%s", user, addr,
		 a ? ": sent to its agent" : "");
	return 0;
}

/* OP_USER_BLOCK: block (BLOCKED 1) or allow again the user. */
void userblock_op(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	uint32_t user = (uint32_t)req->u[MP_A_USER];
	char text[MP_STR_MAX + 1];
	struct ublock nb, *b;
	struct conn *a;
	struct mp_msg m;

	memset(&nb, 0, sizeof(nb));
	if (uinfo_canon(req->s[MP_A_ADDR], nb.addr)) {
		conn_error(c, req, MP_ERR_PROTO, "not an IP address: %.100s",
			   req->s[MP_A_ADDR]);
		return;
	}
	nb.user = user;
	b = ub_find(md, nb.addr, user);
	if (!req->u[MP_A_BLOCKED]) {
		if (!b) {
			conn_error(c, req, MP_ERR_UNKNOWN,
				   "%u@%s is not blocked", user, nb.addr);
			return;
		}
		if (ub_allow(md, c, req, b, text, sizeof(text)))
			return;
		goto ok;
	}
	if (!b && md->nublocks >= USERBLOCK_MAX) {
		conn_error(c, req, MP_ERR_BUSY,
			   "the block list is full (%u users)", USERBLOCK_MAX);
		return;
	}
	if (!b && ub_count(md, nb.addr) >= USERBLOCK_HOST_MAX) {
		conn_error(c, req, MP_ERR_BUSY,
			   "%s has %u blocked users, the most a host may have",
			   nb.addr, USERBLOCK_HOST_MAX);
		return;
	}
	/* blocked again: a new reason, or the old one kept */
	nb.since = b ? b->since : muispd_now(md);
	snprintf(nb.reason, sizeof(nb.reason), "%s",
		 mp_has(req, MP_A_MESSAGE) ? req->s[MP_A_MESSAGE] :
		 b			   ? b->reason :
					     "");
	if (ub_step(md,
		    "INSERT OR REPLACE INTO user_blocks (addr, user, since, "
		    "reason) VALUES (?1, ?2, ?3, ?4);",
		    &nb)) {
		conn_error(c, req, MP_ERR_INTERNAL, "user blocks");
		return;
	}
	if (!b && !(b = ub_add(md))) { /* stored: the next start has it */
		conn_error(c, req, MP_ERR_INTERNAL, "out of memory");
		return;
	}
	if (!b->addr[0]) {
		*b = nb;
	} else {
		b->since = nb.since;
		memcpy(b->reason, nb.reason, sizeof(b->reason));
	}
	a = uinfo_agent_for(md, b->addr);
	if (a && b->agent != a->id) /* this session has not had it */
		ub_send(a, user, 1, b);
	log_info("%u@%s: blocked by the operator%s%s", user, b->addr,
		 b->reason[0] ? ": " : "", b->reason);
	snprintf(text, sizeof(text), "%u@%s blocked: %s", user, b->addr,
		 !a	    ? "its host has no agent connected (sent when it "
			      "connects)" :
		 b->applied ? "its agent has it" :
			      "sent to its agent");
	ub_close_conns(md, b);
ok:
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	mp_set_s(&m, MP_A_MESSAGE, text);
	conn_queue(c, &m);
}

/* OP_USER_BLOCK_LIST: a row per blocked user, then OP_OK. */
void userblock_op_list(struct muispd *md, struct conn *c,
		       const struct mp_msg *req)
{
	struct mp_msg m;

	for (unsigned i = 0; i < md->nublocks; i++) {
		const struct ublock *b = &md->ublocks[i];

		mp_init(&m, MP_T_OP_USER_BLOCK_ROW, MP_F_REPLY | MP_F_MORE,
			req->serial);
		mp_set_s(&m, MP_A_ADDR, b->addr);
		mp_set_u(&m, MP_A_USER, b->user);
		mp_set_u(&m, MP_A_TIME, b->since);
		mp_set_u(&m, MP_A_PUSH, (uint64_t)ub_push(md, b));
		if (b->reason[0])
			mp_set_s(&m, MP_A_MESSAGE, b->reason);
		if (conn_queue(c, &m))
			return; /* closed: it does not read */
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}
