// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's live contracts (paper Figs 4-5): the outstanding set, state
 * machine steps with their usage-time bookkeeping, usage, limits and
 * expiry, warnings, binding, persistence (durable before replying), the
 * kernel push, settlement, the once-a-second tick, kernel events and
 * recovery at start-up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Refresh the usage of l from the clock or the kernel. */
void session_usage_refresh(struct muispd *md, struct live *l, uint64_t now)
{
	struct contract_rec *r = &l->rec;
	uint64_t u = r->usage;

	switch (r->metric) {
	case MP_METRIC_ELAPSED:
		u = now > r->issued ? now - r->issued : 0;
		break;
	case MP_METRIC_USAGE_TIME:
		if (md->conf.use_kernel) {
			uint64_t k;

			if (kernel_contract_usage(md->k, r, &k) == 0)
				u = k;
		} else {
			u = l->base_usage;
			if (r->state == CS_ACTIVE && l->active_since &&
			    now > l->active_since)
				u += now - l->active_since;
		}
		break;
	default: {
		uint64_t k;

		if (kernel_contract_usage(md->k, r, &k) == 0)
			u = k;
		break;
	}
	}
	if (u > r->usage)
		r->usage = u;
}

static struct contract_fsm fsm_of(const struct contract_rec *r)
{
	struct contract_fsm f = {
		(enum contract_state)r->state, r->usage, r->soft, r->hard,
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

/* Persist l in its own transaction. */
int session_persist(struct muispd *md, struct live *l)
{
	if (store_begin(md->st))
		return -1;
	if (store_contract_put(md->st, &l->rec) || store_commit(md->st)) {
		store_rollback(md->st);
		return -1;
	}
	return 0;
}

/* Push the contract's state to the kernel. */
int session_kpush(struct muispd *md, struct live *l, int restore)
{
	return kernel_contract_push(md->k, &l->rec, l->rec.state, restore);
}

/*
 * Settle l (payment plug-in) and extinguish it: full = deposit kept
 * (expiry, hard limit).  Fills stm; the caller removes l from the live
 * set on success.  On a payment failure the contract stays in settlement
 * for the operator to retry.
 */
static int settle(struct muispd *md, struct live *l, int full,
		  const char *why, uint64_t now, struct statement *stm)
{
	const struct payment_method *pm = payment_lookup(&md->pay,
							 l->rec.method);
	char addr[64];

	snprintf(addr, sizeof(addr), "%s", l->rec.addr);
	if (store_begin(md->st))
		return -1;
	if (payment_settle(md->st, pm, &l->rec, full, why, now, stm)) {
		store_rollback(md->st);
		log_warnx("contract %llu: settlement failed",
			  (unsigned long long)l->rec.serial);
		if (l->rec.state == CS_IN_SETTLEMENT)
			session_persist(md, l);
		return -1;
	}
	l->rec.state = CS_EXTINGUISHED;
	l->rec.addr[0] = '\0';
	if (store_contract_put(md->st, &l->rec) || store_commit(md->st)) {
		store_rollback(md->st);
		return -1;
	}
	if (addr[0])
		kernel_addr_unbind(md->k, addr);
	kernel_contract_del(md->k, l->rec.serial);
	log_info("contract %llu: settled (%s): charge %llu refund %llu",
		 (unsigned long long)l->rec.serial, why,
		 (unsigned long long)stm->charge,
		 (unsigned long long)stm->refund);
	return 0;
}

/* Hard limit or expiry: warn, keep the deposit, extinguish (Fig 4). */
void session_extinguish(struct muispd *md, struct live *l,
			enum contract_event ev, uint64_t now)
{
	struct statement stm;
	char addr[64];
	int w = ev == CE_HARD_LIMIT ? MP_WARN_HARD_LIMIT : MP_WARN_EXPIRY;
	struct contract_rec snap;

	snprintf(addr, sizeof(addr), "%s", l->rec.addr);
	if (session_step(l, ev, 0, now))
		return;
	/* step() made it EXTINGUISHED; settlement records the statement. */
	l->rec.state = CS_IN_SETTLEMENT;
	snap = l->rec;
	snap.state = CS_EXTINGUISHED;
	if (settle(md, l, 1, ev == CE_HARD_LIMIT ? "hard limit" : "expiry",
		   now, &stm) == 0) {
		if (addr[0])
			session_send_warning(md, addr, &snap, w);
		live_remove(md, l);
	}
}

/* Apply usage, limits and expiry for l; returns 1 if l was removed. */
int session_check_limits(struct muispd *md, struct live *l, uint64_t now)
{
	struct contract_fsm f;
	int ev;

	if (l->rec.state == CS_IN_SETTLEMENT)
		return 0;
	session_usage_refresh(md, l, now);
	if (l->rec.expiry && now >= l->rec.expiry) {
		session_extinguish(md, l, CE_EXPIRE, now);
		return 1;
	}
	f = fsm_of(&l->rec);
	ev = contract_limit_event(&f);
	if (ev == CE_HARD_LIMIT) {
		session_extinguish(md, l, CE_HARD_LIMIT, now);
		return 1;
	}
	if (ev == CE_SOFT_LIMIT &&
	    session_step(l, CE_SOFT_LIMIT, 0, now) == 0) {
		session_kpush(md, l, 0);
		session_persist(md, l);
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
		.serial = r->serial, .issued = r->issued, .expiry = r->expiry,
		.metric = r->metric, .method = r->method,
		.privacy = r->privacy, .soft = r->soft, .hard = r->hard,
		.deposit = r->deposit, .price = r->price, .unit = r->unit,
	};
	int err;

	mask_payref(r, rc.payref, sizeof(rc.payref));
	err = receipt_sign(&md->kr, &rc, r->receipt);
	if (err) {
		log_warnx("receipt %llu: %s", (unsigned long long)r->serial,
			  receipt_strerror(err));
		return -1;
	}
	r->key_id = rc.key_id;
	r->receipt_len = RECEIPT_LEN;
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
		kernel_addr_unbind(md->k, addr);
		l->rec = save;
		return MP_ERR_INTERNAL;
	}
	log_info("contract %llu: bound to %s",
		 (unsigned long long)l->rec.serial, addr);
	return 0;
}

static void reply_statement(struct conn *c, const struct mp_msg *req,
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

/* End l at the user's or the operator's request (or retry a settlement
 * that failed) and reply with the statement. */
void session_terminate(struct muispd *md, struct conn *c,
		       const struct mp_msg *req, struct live *l,
		       uint64_t now)
{
	struct statement stm;
	struct contract_rec snap;

	if (l->rec.state != CS_IN_SETTLEMENT) {
		if (session_check_limits(md, l, now)) {
			conn_error(c, req, MP_ERR_EXPIRED, "contract "
				   "extinguished");
			return;
		}
		if (session_step(l, CE_TERMINATE, 0, now)) {
			conn_error(c, req, MP_ERR_STATE, "cannot terminate");
			return;
		}
		if (session_persist(md, l)) {
			conn_error(c, req, MP_ERR_INTERNAL, "store");
			return;
		}
	}
	if (settle(md, l, 0, "terminated", now, &stm)) {
		conn_error(c, req, MP_ERR_INTERNAL, "settlement pending");
		return;
	}
	snap = l->rec;
	live_remove(md, l);
	reply_statement(c, req, &snap, &stm);
}

/* Metering, limits, warnings of a receipt presented elsewhere (Fig 5)
 * and usage checkpoints: once a second. */
void session_tick(struct muispd *md, uint64_t now)
{
	for (unsigned i = 0; i < md->nlives;) {
		struct live *l = &md->lives[i];

		if (session_check_limits(md, l, now))
			continue;	/* removed: slot i holds another */
		if (l->pending && now >= l->warn_next) {
			if (l->warn_count >= md->conf.warn_tries) {
				/* Fig 5: no answer, the user recovered on
				 * another address; unbind the old one. */
				log_info("contract %llu: %s did not answer, "
					 "unbound", (unsigned long long)
					 l->rec.serial, l->rec.addr);
				kernel_addr_unbind(md->k, l->rec.addr);
				session_step(l, CE_NO_ANSWER, 0, now);
				l->rec.addr[0] = '\0';
				l->pending = 0;
				session_kpush(md, l, 0);
				session_persist(md, l);
			} else {
				l->warn_count++;
				l->warn_next = now + md->conf.warn_interval_s;
				session_send_warning(md, l->rec.addr, &l->rec,
						     MP_WARN_ELSEWHERE);
			}
		}
		i++;
	}
	if (now >= md->next_ckpt) {
		md->next_ckpt = now + md->conf.checkpoint_s;
		if (!md->nlives || store_begin(md->st))
			return;
		for (unsigned i = 0; i < md->nlives; i++)
			store_usage_checkpoint(md->st, md->lives[i].rec.serial,
					       md->lives[i].rec.usage, now);
		if (store_commit(md->st))
			store_rollback(md->st);
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
		if (l && session_step(l, CE_UNBIND, 0, now) == 0) {
			l->rec.addr[0] = '\0';
			l->pending = 0;
			session_persist(md, l);
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
		session_extinguish(md, l, CE_HARD_LIMIT, now);
		return;
	}
	session_check_limits(md, l, now);
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
			 "unbound", (unsigned long long)l->rec.serial,
			 l->rec.addr);
		l->unbind_on_load = 0;
		l->rec.addr[0] = '\0';
		session_kpush(md, l, 0);
		session_persist(md, l);
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
