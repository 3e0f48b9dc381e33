// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's live contracts (paper Figs 4-5): the outstanding set, state
 * machine steps with their usage-time bookkeeping, usage, limits and
 * expiry, warnings, binding, persistence (durable before replying), the
 * kernel push, settlement, the once-a-second tick, kernel events and
 * recovery at start-up.
 *
 * A settlement whose method asks a remote party first (the online
 * provider's capture) completes later: the contract stays in settlement
 * meanwhile, and the replies that depend on it (terminate, settle, a
 * command that found the contract at its limit) wait for the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "log.h"
#include "muispd.h"

struct live *live_find(struct muispd *md, uint64_t serial)
{
	for (unsigned i = 0; i < md->nlives; i++)
		if (md->lives[i].rec.serial == serial)
			return &md->lives[i];
	return NULL;
}

struct live *live_by_addr(struct muispd *md, const char *addr)
{
	for (unsigned i = 0; i < md->nlives; i++)
		if (contract_is_bound(md->lives[i].rec.state) &&
		    !strcmp(md->lives[i].rec.addr, addr))
			return &md->lives[i];
	return NULL;
}

struct live *live_add(struct muispd *md, const struct contract_rec *r)
{
	struct live *l;

	if (md->nlives == md->caplives) {
		unsigned cap = md->caplives ? md->caplives * 2 : 64;
		struct live *p = realloc(md->lives, cap * sizeof(*p));

		if (!p)
			return NULL;
		md->lives = p;
		md->caplives = cap;
	}
	l = &md->lives[md->nlives++];
	memset(l, 0, sizeof(*l));
	l->rec = *r;
	l->base_usage = r->usage;
	return l;
}

void live_remove(struct muispd *md, struct live *l)
{
	unsigned i = (unsigned)(l - md->lives);

	md->lives[i] = md->lives[--md->nlives];
}

/* Refresh the usage of l from the clock or the kernel, and the four
 * counters for accounting (l->ctr, same netlink GET). */
void session_usage_refresh(struct muispd *md, struct live *l, uint64_t now)
{
	struct contract_rec *r = &l->rec;
	uint64_t u = r->usage, k;

	switch (r->metric) {
	case MP_METRIC_ELAPSED:
		u = now > r->issued ? now - r->issued : 0;
		/* no GET for this metric: the counters only for a roaming
		 * Idle-Timeout (acct.c reads them when it needs them) */
		if (md->acct && l->acct.idle_s)
			kernel_contract_counters(md->k, r, l->ctr, &k);
		break;
	case MP_METRIC_USAGE_TIME:
		if (md->conf.use_kernel) {
			if (kernel_contract_counters(md->k, r, l->ctr, &k) == 0)
				u = k;
		} else {
			if (md->acct)
				kernel_contract_counters(md->k, r, l->ctr, &k);
			u = l->base_usage;
			if (r->state == CS_ACTIVE && l->active_since &&
			    now > l->active_since)
				u += now - l->active_since;
		}
		break;
	default:
		if (kernel_contract_counters(md->k, r, l->ctr, &k) == 0)
			u = k;
		break;
	}
	if (u > r->usage)
		r->usage = u;
}

static struct contract_fsm fsm_of(const struct contract_rec *r)
{
	struct contract_fsm f = {
		(enum contract_state)r->state,
		r->usage,
		r->soft,
		r->hard,
	};

	return f;
}

/* Step the state machine of l; keeps usage-time bookkeeping in line. */
int session_step(struct live *l, enum contract_event ev, uint64_t arg,
		 uint64_t now)
{
	struct contract_fsm in = fsm_of(&l->rec), out;
	int rc = contract_step(&in, ev, arg, &out);

	if (rc)
		return rc;
	if (in.state == CS_ACTIVE && out.state != CS_ACTIVE) {
		l->base_usage = l->rec.usage;
		l->active_since = 0;
	} else if (in.state != CS_ACTIVE && out.state == CS_ACTIVE) {
		l->base_usage = l->rec.usage;
		l->active_since = now;
	}
	l->rec.state = out.state;
	l->rec.soft = out.soft;
	log_debug("contract %llu: %s -> %s on %s",
		  (unsigned long long)l->rec.serial,
		  contract_state_name(in.state), contract_state_name(out.state),
		  contract_event_name(ev));
	return 0;
}

static void fill_status(struct mp_msg *m, const struct contract_rec *r)
{
	mp_set_u(m, MP_A_SERIAL, r->serial);
	mp_set_u(m, MP_A_STATE, (uint64_t)r->state);
	mp_set_u(m, MP_A_USAGE, r->usage);
	mp_set_u(m, MP_A_SOFT, r->soft);
	mp_set_u(m, MP_A_HARD, r->hard);
	mp_set_u(m, MP_A_EXPIRY, r->expiry);
	mp_set_u(m, MP_A_TIME, r->issued);
	mp_set_u(m, MP_A_METRIC, r->metric);
	mp_set_u(m, MP_A_METHOD, r->method);
	mp_set_u(m, MP_A_PRIVACY, r->privacy);
	mp_set_u(m, MP_A_AMOUNT, r->deposit);
	mp_set_u(m, MP_A_PRICE, r->price);
	mp_set_u(m, MP_A_UNIT, r->unit);
	mp_set_u(m, MP_A_KEY_ID, r->key_id);
	if (r->addr[0])
		mp_set_s(m, MP_A_ADDR, r->addr);
	if (r->room[0])
		mp_set_s(m, MP_A_ROOM, r->room);
	if (r->state == CS_EXTINGUISHED) {
		mp_set_u(m, MP_A_CHARGE, r->charge);
		mp_set_u(m, MP_A_REFUND, r->refund);
	}
}

void session_reply_status(struct conn *c, const struct mp_msg *req,
			  const struct contract_rec *r, uint8_t type,
			  uint16_t flags)
{
	struct mp_msg m;

	if (!c)
		return;
	mp_init(&m, type, (uint16_t)(MP_F_REPLY | flags), req->serial);
	fill_status(&m, r);
	if (type == MP_T_RECEIPT || (c->kind == CONN_OP && r->receipt_len))
		mp_set_bytes(&m, MP_A_RECEIPT, r->receipt, r->receipt_len);
	if (c->kind == CONN_OP && r->password[0])
		mp_set_s(&m, MP_A_PASSWORD, r->password);
	conn_queue(c, &m);
}

void session_send_warning(struct muispd *md, const char *addr,
			  const struct contract_rec *r, int w)
{
	struct mp_msg m;
	unsigned sent = 0;

	mp_init(&m, MP_T_WARNING, MP_F_ASYNC, 0);
	mp_set_u(&m, MP_A_SERIAL, r->serial);
	mp_set_u(&m, MP_A_WARNING, (uint64_t)w);
	mp_set_u(&m, MP_A_USAGE, r->usage);
	mp_set_u(&m, MP_A_SOFT, r->soft);
	mp_set_u(&m, MP_A_HARD, r->hard);
	mp_set_u(&m, MP_A_EXPIRY, r->expiry);
	mp_set_u(&m, MP_A_STATE, (uint64_t)r->state);
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];

		if (c->kind == CONN_USER && c->state == C_OPEN &&
		    !strcmp(c->addr, addr)) {
			conn_queue(c, &m);
			sent++;
		}
	}
	log_info("contract %llu: %s warning to %s (%u channel%s)",
		 (unsigned long long)r->serial, mp_warning_name(w), addr, sent,
		 sent == 1 ? "" : "s");
}

/* Persist l in its own transaction (with its accounting record). */
int session_persist(struct muispd *md, struct live *l)
{
	if (store_begin(md->st))
		return -1;
	if (store_contract_put(md->st, &l->rec) ||
	    acct_contract_put(md, &l->rec, l->acct_cause) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		return -1;
	}
	acct_persisted(md, l);
	return 0;
}

/* Push the contract's state to the kernel; restore: with the usage (the
 * four counters of the accounting checkpoint when there is one). */
int session_kpush(struct muispd *md, struct live *l, int restore)
{
	uint64_t ctr[KC_N];
	int have = restore && acct_restore_counters(md, l, ctr) == 0;

	return kernel_contract_push(md->k, &l->rec, l->rec.state, restore,
				    have ? ctr : NULL);
}

static struct log_rl rl_store = LOG_RL_INIT(10, 3);

/*
 * l changed on its own (a limit, an event, the tick): its state to the
 * module (kpush) and the store.  What fails is logged and retried by the
 * tick until it succeeds, so memory, module and store agree again.
 */
void session_save(struct muispd *md, struct live *l, int kpush)
{
	if (kpush) {
		l->kpush_due = session_kpush(md, l, 0) != 0;
		if (l->kpush_due)
			log_ratelimited(&rl_store, LOG_ERR,
					"contract %llu: the module did not "
					"take its state (%s); retried",
					(unsigned long long)l->rec.serial,
					contract_state_name(l->rec.state));
	}
	l->save_due = session_persist(md, l) != 0;
	if (l->save_due)
		log_ratelimited(&rl_store, LOG_ERR,
				"contract %llu: its state (%s) is not "
				"stored; retried",
				(unsigned long long)l->rec.serial,
				contract_state_name(l->rec.state));
}

/* The module's cleanup of a settled (or not established) contract failed,
 * or of an address whose binding was rolled back: retried by the tick. */
void session_kretry(struct muispd *md, const char *addr, uint64_t serial)
{
	struct kretry *k;

	log_ratelimited(&rl_store, LOG_ERR,
			"contract %llu: the module did not %s; retried",
			(unsigned long long)serial,
			addr[0] ? "unbind its address" : "drop it");
	if (md->nkretry == md->capkretry) {
		unsigned cap = md->capkretry ? md->capkretry * 2 : 16;

		k = realloc(md->kretry, cap * sizeof(*k));
		if (!k)
			return;
		md->kretry = k;
		md->capkretry = cap;
	}
	k = &md->kretry[md->nkretry++];
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	k->serial = serial;
}

/* What failed earlier, again: contracts to save or push, the module's
 * cleanup.  An address bound again meanwhile is left alone. */
static void retry_due(struct muispd *md)
{
	for (unsigned i = 0; i < md->nlives; i++) {
		struct live *l = &md->lives[i];

		if (l->kpush_due && session_kpush(md, l, 0) == 0)
			l->kpush_due = 0;
		if (l->save_due && session_persist(md, l) == 0)
			l->save_due = 0;
	}
	for (unsigned i = 0; i < md->nkretry;) {
		struct kretry *k = &md->kretry[i];
		int rc = 0;

		if (k->addr[0] && !live_by_addr(md, k->addr))
			rc = kernel_addr_unbind(md->k, k->addr);
		if (rc == 0) {
			k->addr[0] = '\0';
			if (!live_find(md, k->serial))
				rc = kernel_contract_del(md->k, k->serial);
		}
		if (rc) {
			i++;
			continue;
		}
		md->kretry[i] = md->kretry[--md->nkretry];
	}
}

/* A settlement: what it settles, who waits for it. */
struct settle_op {
	struct muispd *md;
	const struct payment_method *pm;
	struct contract_rec rec; /* settled at this usage */
	int full;		 /* deposit kept */
	const char *why;
	uint64_t now;
	uint32_t acct_cause; /* l->acct_cause when it began */
	char addr[64];	     /* bound address when it began */
	int warn;	     /* to addr when settled, 0: none */
	struct held *held;   /* replies waiting */
	session_then_fn *then;
	unsigned nheld;
};

/* w's reply waits for op (NULL w: nobody waits). */
static void settle_wait(struct settle_op *op, const struct session_waiter *w)
{
	struct held *h;
	session_then_fn *t;

	if (!w)
		return;
	h = realloc(op->held, (op->nheld + 1) * sizeof(*h));
	if (h)
		op->held = h;
	t = realloc(op->then, (op->nheld + 1) * sizeof(*t));
	if (t)
		op->then = t;
	if (!h || !t || conn_hold(w->c, w->req, &op->held[op->nheld])) {
		/* cannot wait: answered as a failure at once */
		w->then(op->md, w->c, w->req, -1, &op->rec, NULL);
		return;
	}
	op->then[op->nheld++] = w->then;
}

/*
 * The method was asked (rc 0 done, -1 failed): in one transaction the
 * refund, the statement and the contract extinguished; then the kernel.
 * On a failure the contract stays in settlement for the operator to
 * retry.
 */
static int settle_commit(struct muispd *md, struct settle_op *op,
			 struct live *l, int rc, struct statement *stm)
{
	memset(stm, 0, sizeof(*stm));
	if (store_begin(md->st))
		return -1;
	if (rc || payment_settle(md->st, op->pm, &op->rec, op->full, op->why,
				 op->now, stm)) {
		store_rollback(md->st);
		log_warnx("contract %llu: settlement failed",
			  (unsigned long long)op->rec.serial);
		if (l && l->rec.state == CS_IN_SETTLEMENT)
			session_save(md, l, 0);
		return -1;
	}
	op->rec.state = CS_EXTINGUISHED;
	op->rec.addr[0] = '\0';
	if (store_contract_put(md->st, &op->rec) ||
	    acct_contract_put(md, &op->rec, op->acct_cause) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		return -1;
	}
	if (op->addr[0] && kernel_addr_unbind(md->k, op->addr))
		session_kretry(md, op->addr, op->rec.serial);
	else if (kernel_contract_del(md->k, op->rec.serial))
		session_kretry(md, "", op->rec.serial);
	log_info("contract %llu: settled (%s): charge %llu refund %llu",
		 (unsigned long long)op->rec.serial, op->why,
		 (unsigned long long)stm->charge,
		 (unsigned long long)stm->refund);
	return 0;
}

/* payment_done_fn of the capture (or called at once without one). */
static void settle_done(void *arg, int rc, const char *text)
{
	struct settle_op *op = arg;
	struct muispd *md = op->md;
	struct live *l = live_find(md, op->rec.serial);
	struct statement stm;

	if (l)
		l->settle = NULL;
	rc = settle_commit(md, op, l, rc, &stm);
	if (rc == 0) {
		if (op->warn && op->addr[0])
			session_send_warning(md, op->addr, &op->rec, op->warn);
		if (l)
			live_remove(md, l);
	}
	for (unsigned i = 0; i < op->nheld; i++) {
		op->then[i](md, conn_held(md, &op->held[i]), op->held[i].req,
			    rc, &op->rec, rc == 0 ? &stm : NULL);
		conn_unhold(md, &op->held[i]);
	}
	free(op->held);
	free(op->then);
	free(op);
}

/*
 * Settle l (payment plug-in) and extinguish it: full = deposit kept
 * (expiry, hard limit), warn = the warning to its address once settled.
 * The method's capture, if it has one, runs first; w's reply (and any
 * other waiting for a settlement of l already in flight) comes when the
 * result is known.  l is removed from the live set when settled.
 */
static void settle(struct muispd *md, struct live *l, int full, const char *why,
		   uint64_t now, int warn, const struct session_waiter *w)
{
	struct settle_op *op = l->settle;
	uint64_t charge, refund;

	if (op) {
		settle_wait(op, w);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		if (w)
			w->then(md, w->c, w->req, -1, &l->rec, NULL);
		return;
	}
	op->md = md;
	op->pm = payment_lookup(&md->pay, l->rec.method);
	op->rec = l->rec;
	op->full = full;
	op->why = why;
	op->now = now;
	op->warn = warn;
	op->acct_cause = l->acct_cause;
	snprintf(op->addr, sizeof(op->addr), "%s", l->rec.addr);
	l->settle = op;
	settle_wait(op, w);
	if (op->pm && op->pm->capture) {
		contract_settle_amounts(op->rec.deposit, op->rec.price,
					op->rec.unit, op->rec.usage, full,
					&charge, &refund);
		op->pm->capture(op->pm, &op->rec, refund, settle_done, op);
		return;
	}
	settle_done(op, 0, NULL);
}

/* session_then_fn: a request that found its contract extinguished. */
void session_then_extinguished(struct muispd *md, struct conn *c,
			       const struct mp_msg *req, int rc,
			       const struct contract_rec *r,
			       const struct statement *stm)
{
	conn_error(c, req, MP_ERR_EXPIRED, "contract extinguished");
}

/* Hard limit or expiry: keep the deposit, extinguish, warn (Fig 4).  w's
 * reply comes when that is done. */
void session_extinguish(struct muispd *md, struct live *l,
			enum contract_event ev, uint64_t now,
			const struct session_waiter *w)
{
	int warn = ev == CE_HARD_LIMIT ? MP_WARN_HARD_LIMIT : MP_WARN_EXPIRY;

	l->acct_cause = RAD_TERM_SESSION_TIMEOUT; /* any limit, or expiry */
	if (session_step(l, ev, 0, now)) {
		if (w)
			w->then(md, w->c, w->req, -1, &l->rec, NULL);
		return;
	}
	/* step() made it EXTINGUISHED; settlement records the statement. */
	l->rec.state = CS_IN_SETTLEMENT;
	settle(md, l, 1, ev == CE_HARD_LIMIT ? "hard limit" : "expiry", now,
	       warn, w);
}

/*
 * Apply usage, limits and expiry for l.  Returns 1 if l reached its
 * expiry or hard limit: it is (being) settled, and w's reply (if w) comes
 * from w->then; 0 otherwise.
 */
int session_check_limits(struct muispd *md, struct live *l, uint64_t now,
			 const struct session_waiter *w)
{
	struct contract_fsm f;
	int ev;

	if (l->rec.state == CS_IN_SETTLEMENT)
		return 0;
	session_usage_refresh(md, l, now);
	if (l->rec.expiry && now >= l->rec.expiry) {
		session_extinguish(md, l, CE_EXPIRE, now, w);
		return 1;
	}
	/* Once, ahead: the contract ends at its expiry, used up or not. */
	if (l->rec.expiry && md->conf.expiry_warn_s && !l->expiry_warned &&
	    contract_is_bound(l->rec.state) &&
	    l->rec.expiry - now <= md->conf.expiry_warn_s) {
		l->expiry_warned = 1;
		session_send_warning(md, l->rec.addr, &l->rec, MP_WARN_EXPIRY);
	}
	f = fsm_of(&l->rec);
	ev = contract_limit_event(&f);
	if (ev == CE_HARD_LIMIT) {
		session_extinguish(md, l, CE_HARD_LIMIT, now, w);
		return 1;
	}
	if (ev == CE_SOFT_LIMIT &&
	    session_step(l, CE_SOFT_LIMIT, 0, now) == 0) {
		session_save(md, l, 1);
		acct_interim_soon(md, l->rec.serial);
		session_send_warning(md, l->rec.addr, &l->rec,
				     MP_WARN_SOFT_LIMIT);
	}
	return 0;
}

/* Mask a payment reference for the receipt: vouchers keep 4 chars. */
static void mask_payref(const struct contract_rec *r, char *out, size_t cap)
{
	size_t n = strlen(r->payref);

	if (r->method == MP_METHOD_VOUCHER && n > 4)
		snprintf(out, cap, "voucher ...%s", r->payref + n - 4);
	else
		snprintf(out, cap, "%s", r->payref);
}

int session_sign_receipt(struct muispd *md, struct contract_rec *r)
{
	struct receipt rc = {
		.serial = r->serial,
		.issued = r->issued,
		.expiry = r->expiry,
		.metric = r->metric,
		.method = r->method,
		.privacy = r->privacy,
		.soft = r->soft,
		.hard = r->hard,
		.deposit = r->deposit,
		.price = r->price,
		.unit = r->unit,
	};
	int err;

	mask_payref(r, rc.payref, sizeof(rc.payref));
	rc.has_holder = r->has_holder;
	memcpy(rc.holder, r->holder, sizeof(rc.holder));
	err = receipt_sign(&md->kr, &rc, r->receipt);
	if (err) {
		log_warnx("receipt %llu: %s", (unsigned long long)r->serial,
			  receipt_strerror(err));
		return -1;
	}
	r->key_id = rc.key_id;
	r->receipt_len = receipt_len(&rc);
	return 0;
}

/* Bind l to addr in the kernel and the store; l is UNBOUND.  0 or an
 * MP_ERR_*. */
int session_bind(struct muispd *md, struct live *l, const char *addr,
		 uint64_t now)
{
	struct contract_rec save = l->rec;
	uint64_t used;
	int restore;

	if (privacy_check(md, addr, l->rec.privacy, "bind", NULL, 0))
		return MP_ERR_PRIVACY;
	if (session_step(l, CE_BIND, 0, now))
		return MP_ERR_STATE;
	snprintf(l->rec.addr, sizeof(l->rec.addr), "%s", addr);
	/* Usage goes back into the module only if it lost the contract: a
	 * contract unbound when its SA or lease went away still counts
	 * there, and restoring would count its usage twice. */
	restore = kernel_contract_usage(md->k, &l->rec, &used) != 0;
	if (session_kpush(md, l, restore) ||
	    kernel_addr_bind(md->k, addr, l->rec.serial)) {
		int notunnel = errno == EPERM;

		l->rec = save;
		return notunnel ? MP_ERR_PERM : MP_ERR_INTERNAL;
	}
	if (session_persist(md, l)) {
		if (kernel_addr_unbind(md->k, addr))
			session_kretry(md, addr, l->rec.serial);
		l->rec = save;
		return MP_ERR_INTERNAL;
	}
	log_info("contract %llu: bound to %s",
		 (unsigned long long)l->rec.serial, addr);
	return 0;
}

void session_reply_statement(struct conn *c, const struct mp_msg *req,
			     const struct contract_rec *r,
			     const struct statement *stm)
{
	struct mp_msg m;

	mp_init(&m, MP_T_STATEMENT, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL, r->serial);
	mp_set_u(&m, MP_A_STATE, (uint64_t)r->state);
	mp_set_u(&m, MP_A_USAGE, r->usage);
	mp_set_u(&m, MP_A_METHOD, r->method);
	mp_set_u(&m, MP_A_AMOUNT, r->deposit);
	mp_set_u(&m, MP_A_CHARGE, stm->charge);
	mp_set_u(&m, MP_A_REFUND, stm->refund);
	for (unsigned i = 0; i < stm->n; i++)
		mp_add_line(&m, stm->lines[i].desc, stm->lines[i].amount,
			    stm->lines[i].credit);
	conn_queue(c, &m);
}

/* session_then_fn of terminate and settle: the statement, or settlement
 * pending when the method failed. */
static void then_terminated(struct muispd *md, struct conn *c,
			    const struct mp_msg *req, int rc,
			    const struct contract_rec *r,
			    const struct statement *stm)
{
	if (rc)
		conn_error(c, req, MP_ERR_INTERNAL, "settlement pending");
	else if (c)
		session_reply_statement(c, req, r, stm);
}

/* End l at the user's or the operator's request (or retry a settlement
 * that failed) and reply with the statement once settled; c NULL: nobody
 * waits for a reply (eap.c: the IKE_SA went down). */
void session_terminate(struct muispd *md, struct conn *c,
		       const struct mp_msg *req, struct live *l, uint64_t now)
{
	struct session_waiter ext_w = { c, req, session_then_extinguished };
	struct session_waiter done_w = { c, req, then_terminated };
	const struct session_waiter *ext = c ? &ext_w : NULL;
	const struct session_waiter *done = c ? &done_w : NULL;

	if (l->rec.state != CS_IN_SETTLEMENT) {
		if (session_check_limits(md, l, now, ext))
			return;
		if (session_step(l, CE_TERMINATE, 0, now)) {
			conn_error(c, req, MP_ERR_STATE, "cannot terminate");
			return;
		}
		if (session_persist(md, l)) {
			conn_error(c, req, MP_ERR_INTERNAL, "store");
			return;
		}
	}
	settle(md, l, 0, "terminated", now, 0, done);
}

/* Metering, limits, warnings of a receipt presented elsewhere (Fig 5)
 * and usage checkpoints: once a second. */
void session_tick(struct muispd *md, uint64_t now)
{
	retry_due(md);
	for (unsigned i = 0; i < md->nlives;) {
		struct live *l = &md->lives[i];
		uint64_t serial = l->rec.serial;

		if (session_check_limits(md, l, now, NULL) &&
		    (i >= md->nlives || md->lives[i].rec.serial != serial))
			continue; /* removed: slot i holds another */
		if (l->pending && now >= l->warn_next) {
			if (l->warn_count >= md->conf.warn_tries &&
			    kernel_addr_unbind(md->k, l->rec.addr)) {
				/* still bound in the module: again later */
				log_ratelimited(
					&rl_store, LOG_ERR,
					"contract %llu: cannot unbind "
					"%s (%s); retried",
					(unsigned long long)l->rec.serial,
					l->rec.addr, strerror(errno));
				l->warn_next = now + 1;
			} else if (l->warn_count >= md->conf.warn_tries) {
				/* Fig 5: no answer, the user recovered on
				 * another address; unbind the old one. */
				log_info("contract %llu: %s did not answer, "
					 "unbound",
					 (unsigned long long)l->rec.serial,
					 l->rec.addr);
				l->acct_cause = RAD_TERM_LOST_CARRIER;
				session_step(l, CE_NO_ANSWER, 0, now);
				l->rec.addr[0] = '\0';
				l->pending = 0;
				session_save(md, l, 1);
			} else {
				l->warn_count++;
				l->warn_next = now + md->conf.warn_interval_s;
				session_send_warning(md, l->rec.addr, &l->rec,
						     MP_WARN_ELSEWHERE);
			}
		}
		i++;
	}
	acct_tick(md, now); /* the counters are fresh: Interims */
	if (now >= md->next_ckpt && md->nlives) {
		int rc = store_begin(md->st);

		for (unsigned i = 0; !rc && i < md->nlives; i++)
			rc = store_usage_checkpoint(md->st,
						    md->lives[i].rec.serial,
						    md->lives[i].rec.usage,
						    now) ||
			     acct_checkpoint(md, &md->lives[i], now);
		if (!rc)
			rc = store_commit(md->st);
		if (rc) {
			/* the usage stays in memory: next second again */
			store_rollback(md->st);
			log_ratelimited(&rl_store, LOG_ERR,
					"usage checkpoint of %u contracts "
					"failed; retried",
					md->nlives);
			md->next_ckpt = now + 1;
		} else {
			md->next_ckpt = now + md->conf.checkpoint_s;
		}
	}
}

/* At exit: usage of every contract checkpointed. */
void session_checkpoint_final(struct muispd *md)
{
	uint64_t now = muispd_now(md);

	for (unsigned i = 0; i < md->nlives; i++)
		session_usage_refresh(md, &md->lives[i], now);
	md->next_ckpt = 0;
	session_tick(md, now);
}

/* An event of the module (kernel_events() callback; arg is md). */
void session_kernel_event(const struct kernel_event *ev, void *arg)
{
	struct muispd *md = arg;
	uint64_t now = muispd_now(md);
	struct live *l;

	if (ev->type == KEV_ADDR_RELEASED) {
		/* Lease or SA expired on a bound address (Fig 4 unbind). */
		l = live_by_addr(md, ev->addr);
		if (l)
			l->acct_cause = RAD_TERM_LOST_CARRIER;
		if (l && session_step(l, CE_UNBIND, 0, now) == 0) {
			l->rec.addr[0] = '\0';
			l->pending = 0;
			session_save(md, l, 0);
		}
		return;
	}
	l = live_find(md, ev->serial);
	if (!l)
		return;
	/* The module refuses the packet that would cross the hard limit, so
	 * the usage it reports can stay below the limit: its hard-limit event
	 * is final (the contract is extinguished in the kernel already). */
	if (ev->type == KEV_HARD_LIMIT && l->rec.state != CS_IN_SETTLEMENT) {
		session_usage_refresh(md, l, now);
		session_extinguish(md, l, CE_HARD_LIMIT, now, NULL);
		return;
	}
	session_check_limits(md, l, now, NULL);
}

struct load_ctx {
	struct muispd *md;
	uint64_t now;
};

static int load_cb(const struct contract_rec *r, void *arg)
{
	struct load_ctx *x = arg;
	struct muispd *md = x->md;
	struct live *l = live_add(md, r);

	if (!l)
		return -1;
	if (r->state == CS_ACTIVE)
		l->active_since = x->now;
	/* Crash or reboot: the kernel keeps its counters across a daemon
	 * crash; after a reboot it gets the last checkpoint back. */
	if (contract_is_bound(r->state)) {
		uint64_t used;

		if (kernel_contract_usage(md->k, r, &used) != 0) {
			l->klost = kernel_can_lose(md->k);
			if (!md->conf.use_kernel && r->usage &&
			    (r->metric == MP_METRIC_BYTES ||
			     r->metric == MP_METRIC_PACKETS))
				kernel_usage_add(md->k, r->serial, r->usage);
			session_kpush(md, l, 1);
			if (kernel_addr_bind(md->k, r->addr, r->serial) &&
			    errno == EPERM)
				l->unbind_on_load = 1;
		}
	}
	return 0;
}

/*
 * A restored binding the module refused because the address has no
 * tunnel (require-tunnel; reboot or module reload: the SA that paid is
 * gone): the contract is outstanding-unbound and the client binds again
 * from its receipt once it has a tunnel (Fig 5).
 */
static void unbind_refused(struct muispd *md, uint64_t now)
{
	for (unsigned i = 0; i < md->nlives; i++) {
		struct live *l = &md->lives[i];

		if (!l->unbind_on_load || session_step(l, CE_UNBIND, 0, now))
			continue;
		log_info("contract %llu: %s has no IPsec tunnel any more, "
			 "unbound",
			 (unsigned long long)l->rec.serial, l->rec.addr);
		l->unbind_on_load = 0;
		l->acct_cause = RAD_TERM_NAS_REBOOT;
		l->rec.addr[0] = '\0';
		session_save(md, l, 1);
	}
}

/* Restore the outstanding contracts from the store (start-up). */
int session_load(struct muispd *md, uint64_t now)
{
	struct load_ctx x = { md, now };

	if (store_contract_foreach(md->st, 1, load_cb, &x))
		return -1;
	unbind_refused(md, now);
	return 0;
}
