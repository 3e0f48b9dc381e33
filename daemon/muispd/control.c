// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's operator socket: the operator's messages (types 128 and up,
 * AF_UNIX with a uid check, see conn.c), one handler per type in a
 * table.  Vouchers, offline contracts (§6: the desk takes the deposit and
 * hands out a password), the contract list, show, terminate and settle,
 * usage without the module (host tests), unbind, receipt keys (keys.c)
 * and room accounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "dae.h"
#include "log.h"
#include "muispd.h"
#include "radrelay.h"

static void op_voucher_issue(struct muispd *md, struct conn *c,
			     const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	uint64_t exp = mp_has(req, MP_A_EXPIRY) ? req->u[MP_A_EXPIRY] : 0;
	struct mp_msg m;
	char code[32];

	if (store_begin(md->st) ||
	    payment_voucher_issue(md->st, req->u[MP_A_AMOUNT], now, exp, code,
				  sizeof(code)) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		conn_error(c, req, MP_ERR_INTERNAL, "voucher");
		return;
	}
	mp_init(&m, MP_T_OP_VOUCHER, MP_F_REPLY, req->serial);
	mp_set_s(&m, MP_A_CODE, code);
	mp_set_u(&m, MP_A_BALANCE, req->u[MP_A_AMOUNT]);
	if (exp)
		mp_set_u(&m, MP_A_EXPIRY, exp);
	log_info("voucher issued, value %llu",
		 (unsigned long long)req->u[MP_A_AMOUNT]);
	eap_voucher_issued(md, code);
	conn_queue(c, &m);
}

static void op_voucher_show(struct muispd *md, struct conn *c,
			    const struct mp_msg *req)
{
	uint64_t bal, exp;
	struct mp_msg m;

	if (store_voucher_get(md->st, req->s[MP_A_CODE], &bal, &exp)) {
		conn_error(c, req, MP_ERR_UNKNOWN, "no such voucher");
		return;
	}
	mp_init(&m, MP_T_OP_VOUCHER, MP_F_REPLY, req->serial);
	mp_set_s(&m, MP_A_CODE, req->s[MP_A_CODE]);
	mp_set_u(&m, MP_A_BALANCE, bal);
	if (exp)
		mp_set_u(&m, MP_A_EXPIRY, exp);
	conn_queue(c, &m);
}

/* Offline establishment (§6): the desk takes the deposit (room account
 * or cash) and hands out a password. */
static void op_contract_create(struct muispd *md, struct conn *c,
			       const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	uint8_t metric = (uint8_t)req->u[MP_A_METRIC];
	uint8_t method = (uint8_t)req->u[MP_A_METHOD];
	uint64_t privacy = mp_has(req, MP_A_PRIVACY) ? req->u[MP_A_PRIVACY] : 0;
	const struct payment_method *pm = payment_lookup(&md->pay, method);
	const struct price *p = NULL;
	struct contract_rec r;
	struct live *l;
	char err[160];

	for (unsigned i = 0; i < md->conf.nprices; i++)
		if (md->conf.prices[i].metric == metric &&
		    md->conf.prices[i].method == method &&
		    md->conf.prices[i].privacy == privacy)
			p = &md->conf.prices[i];
	if (!pm || !pm->offline || !p) {
		conn_error(c, req, MP_ERR_OFFER, "no offline price for %s/%s",
			   mp_metric_name(metric), mp_method_name(method));
		return;
	}
	if (!req->u[MP_A_SOFT] || req->u[MP_A_SOFT] > req->u[MP_A_HARD] ||
	    req->u[MP_A_HARD] > md->conf.max_hard[metric]) {
		conn_error(c, req, MP_ERR_LIMITS, "bad limits");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.state = CS_UNBOUND;
	r.metric = metric;
	r.method = method;
	r.privacy = p->privacy;
	r.soft = req->u[MP_A_SOFT];
	r.hard = req->u[MP_A_HARD];
	r.price = p->price;
	r.unit = p->unit;
	r.deposit = contract_cost(p->price, p->unit, r.hard);
	r.issued = now;
	r.expiry = mp_has(req, MP_A_EXPIRY) ? req->u[MP_A_EXPIRY] :
					      now + md->conf.lifetime_s;
	r.usage_at = now;
	if (payment_code_generate(r.password, sizeof(r.password)) ||
	    store_begin(md->st)) {
		conn_error(c, req, MP_ERR_INTERNAL, "store");
		return;
	}
	r.serial = ++md->contract_seq;
	if (store_serial_note(md->st, "contract", r.serial) ||
	    pm->deposit(pm, md->st, &r,
			mp_has(req, MP_A_ROOM) ? req->s[MP_A_ROOM] : NULL, now,
			err, sizeof(err)) ||
	    session_sign_receipt(md, &r) || store_contract_put(md->st, &r) ||
	    acct_contract_put(md, &r, 0) || store_commit(md->st)) {
		store_rollback(md->st);
		conn_error(c, req, MP_ERR_PAYMENT,
			   "could not create the "
			   "contract");
		return;
	}
	l = live_add(md, &r);
	if (!l) {
		conn_error(c, req, MP_ERR_INTERNAL, "memory");
		return;
	}
	log_info("contract %llu: offline (%s), deposit %llu",
		 (unsigned long long)r.serial, pm->name,
		 (unsigned long long)r.deposit);
	session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

struct list_ctx {
	struct muispd *md;
	struct conn *c;
};

static int list_cb(const struct contract_rec *r, void *arg)
{
	struct list_ctx *x = arg;
	const struct live *l = live_find(x->md, r->serial);
	struct mp_msg req;

	mp_init(&req, MP_T_OP_CONTRACT_LIST, 0, 0);
	session_reply_status(x->c, &req, l ? &l->rec : r, MP_T_STATUS,
			     MP_F_MORE);
	return 0;
}

static void op_contract_list(struct muispd *md, struct conn *c,
			     const struct mp_msg *req)
{
	struct list_ctx x = { md, c };
	struct mp_msg m;

	store_contract_foreach(md->st, 0, list_cb, &x);
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}

static void op_contract_show(struct muispd *md, struct conn *c,
			     const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);
	struct contract_rec r;

	if (l) {
		session_usage_refresh(md, l, muispd_now(md));
		session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
	} else if (store_contract_get(md->st, req->u[MP_A_SERIAL], &r) == 0) {
		session_reply_status(c, req, &r, MP_T_STATUS, 0);
	} else {
		conn_error(c, req, MP_ERR_UNKNOWN, "no such contract");
	}
}

/* terminate: end an outstanding contract; settle: retry the settlement
 * of one whose refund failed. */
static void op_contract_end(struct muispd *md, struct conn *c,
			    const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);

	if (!l) {
		conn_error(c, req, MP_ERR_UNKNOWN,
			   "no outstanding contract "
			   "%llu",
			   (unsigned long long)req->u[MP_A_SERIAL]);
		return;
	}
	if (req->type == MP_T_OP_CONTRACT_SETTLE &&
	    l->rec.state != CS_IN_SETTLEMENT) {
		conn_error(c, req, MP_ERR_STATE, "not in settlement");
		return;
	}
	if (req->type != MP_T_OP_CONTRACT_SETTLE) /* settle: the stored one */
		l->acct_cause = RAD_TERM_ADMIN_RESET;
	session_terminate(md, c, req, l, muispd_now(md));
}

/* session_then_fn of usage-add: the contract as it now stands. */
static void then_usage_add(struct muispd *md, struct conn *c,
			   const struct mp_msg *req, int rc,
			   const struct contract_rec *r,
			   const struct statement *stm)
{
	struct contract_rec snap = *r;

	if (!c)
		return;
	snap.state = CS_EXTINGUISHED;
	store_contract_get(md->st, snap.serial, &snap);
	session_reply_status(c, req, &snap, MP_T_STATUS, 0);
}

static void op_usage_add(struct muispd *md, struct conn *c,
			 const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);
	struct session_waiter w = { c, req, then_usage_add };

	if (!l || md->conf.use_kernel ||
	    (l->rec.metric != MP_METRIC_BYTES &&
	     l->rec.metric != MP_METRIC_PACKETS)) {
		conn_error(c, req, MP_ERR_PERM,
			   "usage-add needs kernel=no "
			   "and a bytes/packets contract");
		return;
	}
	/* Only an active contract is metered (§7). */
	if (l->rec.state == CS_ACTIVE &&
	    kernel_usage_add(md->k, l->rec.serial, req->u[MP_A_USAGE])) {
		conn_error(c, req, MP_ERR_INTERNAL, "usage");
		return;
	}
	if (session_check_limits(md, l, muispd_now(md), &w))
		return;
	session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

/* Lease or SA expired (Fig 4 unbind). */
static void op_unbind(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);
	struct live save;

	if (l) {
		save = *l;
		l->acct_cause = RAD_TERM_ADMIN_RESET;
	}
	if (!l || session_step(l, CE_UNBIND, 0, muispd_now(md))) {
		conn_error(c, req, MP_ERR_STATE, "not bound");
		return;
	}
	if (kernel_addr_unbind(md->k, l->rec.addr)) {
		*l = save; /* still bound there */
		conn_error(c, req, MP_ERR_INTERNAL,
			   "the module did not unbind %s", l->rec.addr);
		return;
	}
	l->rec.addr[0] = '\0';
	l->pending = 0;
	session_save(md, l, 1);
	session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

static void op_room_show(struct muispd *md, struct conn *c,
			 const struct mp_msg *req)
{
	struct stmt_line lines[MP_MAX_LINES];
	struct mp_msg m;
	unsigned n;
	int64_t bal;

	if (store_ledger_lines(md->st, req->s[MP_A_ROOM], lines, MP_MAX_LINES,
			       &n) ||
	    store_ledger_balance(md->st, req->s[MP_A_ROOM], &bal)) {
		conn_error(c, req, MP_ERR_INTERNAL, "ledger");
		return;
	}
	mp_init(&m, MP_T_STATEMENT, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL, 0);
	mp_set_s(&m, MP_A_ROOM, req->s[MP_A_ROOM]);
	mp_set_u(&m, MP_A_BALANCE, (uint64_t)(bal < 0 ? 0 : bal));
	for (unsigned i = 0; i < n; i++)
		mp_add_line(&m, lines[i].desc, lines[i].amount,
			    lines[i].credit);
	conn_queue(c, &m);
}

/* RADIUS counters by name (MP_T_OP_COUNTERS; MP_F_MORE when they need
 * more than one message).  None without RADIUS. */
struct counters_out {
	struct conn *c;
	uint32_t serial;
	struct mp_msg m;
};

static void counter_put(void *arg, const char *name, uint64_t v)
{
	struct counters_out *x = arg;

	if (x->m.ncounters == MP_MAX_COUNTERS) {
		x->m.flags |= MP_F_MORE;
		conn_queue(x->c, &x->m);
		mp_init(&x->m, MP_T_OP_COUNTERS, MP_F_REPLY, x->serial);
	}
	if (mp_add_counter(&x->m, name, v))
		log_debug("counter '%s' not sent: bad name", name);
}

static void op_radius_stats(struct muispd *md, struct conn *c,
			    const struct mp_msg *req)
{
	struct counters_out *x = malloc(sizeof(*x));

	if (!x) {
		conn_error(c, req, MP_ERR_INTERNAL, "memory");
		return;
	}
	x->c = c;
	x->serial = req->serial;
	mp_init(&x->m, MP_T_OP_COUNTERS, MP_F_REPLY, req->serial);
	radclient_counters(md->rad_auth, "auth.", counter_put, x);
	radclient_counters(md->rad_acct, "acct.", counter_put, x);
	if (md->rad_acct)
		acct_spool_counters(md, counter_put, x);
	dae_counters(md, counter_put, x); /* none without the listener */
	radrelay_counters(md->relay, "eap_relay.", counter_put, x);
	conn_hold_counters(md, counter_put, x);
	conn_records_counters(md, counter_put, x);
	conn_queue(c, &x->m);
	free(x);
}

/* The SNMP cache's view of the outstanding contracts (muisp-agentx): one
 * MP_T_OP_SNAP_ROW (MORE) per contract in serial order, then OP_OK.  A
 * page is at most CONTROL_SNAP_PAGE rows with a serial above the
 * request's MP_A_SERIAL (0: from the start); OP_OK's MP_A_SERIAL is the
 * last serial sent when more may follow, 0 at the end.  So one request
 * costs a bounded time of the loop and a bounded part of the output
 * buffer, whatever the number of contracts. */
static int snap_cmp(const void *a, const void *b)
{
	uint64_t x = (*(const struct live *const *)a)->rec.serial;
	uint64_t y = (*(const struct live *const *)b)->rec.serial;

	return x < y ? -1 : x > y;
}

static void op_snapshot(struct muispd *md, struct conn *c,
			const struct mp_msg *req)
{
	uint64_t after = mp_has(req, MP_A_SERIAL) ? req->u[MP_A_SERIAL] : 0;
	struct live **v = malloc((md->nlives + 1) * sizeof(*v));
	unsigned n = 0, i;
	struct mp_msg m;

	if (!v) {
		conn_error(c, req, MP_ERR_INTERNAL, "memory");
		return;
	}
	for (i = 0; i < md->nlives; i++)
		if (md->lives[i].rec.serial > after)
			v[n++] = &md->lives[i];
	qsort(v, n, sizeof(*v), snap_cmp);
	for (i = 0; i < n && i < CONTROL_SNAP_PAGE; i++) {
		const struct contract_rec *r = &v[i]->rec;

		mp_init(&m, MP_T_OP_SNAP_ROW, MP_F_REPLY | MP_F_MORE, 0);
		mp_set_u(&m, MP_A_SERIAL, r->serial);
		mp_set_u(&m, MP_A_STATE, (uint64_t)r->state);
		mp_set_u(&m, MP_A_METHOD, r->method);
		mp_set_u(&m, MP_A_METRIC, r->metric);
		mp_set_u(&m, MP_A_USAGE, r->usage);
		mp_set_u(&m, MP_A_SOFT, r->soft);
		mp_set_u(&m, MP_A_HARD, r->hard);
		mp_set_u(&m, MP_A_EXPIRY, r->expiry);
		mp_set_u(&m, MP_A_AMOUNT, r->deposit);
		if (md->conf.currency[0])
			mp_set_s(&m, MP_A_CURRENCY, md->conf.currency);
		if (r->addr[0])
			mp_set_s(&m, MP_A_ADDR, r->addr);
		if (conn_queue(c, &m))
			break; /* closed: it does not read */
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL,
		 n > CONTROL_SNAP_PAGE ? v[CONTROL_SNAP_PAGE - 1]->rec.serial :
					 0);
	free(v);
	if (i == n || i == CONTROL_SNAP_PAGE)
		conn_queue(c, &m);
}

static const struct {
	uint8_t type;
	control_fn fn;
} handlers[] = {
	{ MP_T_OP_VOUCHER_ISSUE, op_voucher_issue },
	{ MP_T_OP_VOUCHER_SHOW, op_voucher_show },
	{ MP_T_OP_CONTRACT_CREATE, op_contract_create },
	{ MP_T_OP_CONTRACT_LIST, op_contract_list },
	{ MP_T_OP_CONTRACT_SHOW, op_contract_show },
	{ MP_T_OP_CONTRACT_TERMINATE, op_contract_end },
	{ MP_T_OP_CONTRACT_SETTLE, op_contract_end },
	{ MP_T_OP_USAGE_ADD, op_usage_add },
	{ MP_T_OP_KEY_ROTATE, keys_op_rotate },
	{ MP_T_OP_KEY_LIST, keys_op_list },
	{ MP_T_OP_ROOM_SHOW, op_room_show },
	{ MP_T_OP_UNBIND, op_unbind },
	{ MP_T_OP_REG_LIST, register_op_list },
	{ MP_T_OP_REG_FORGET, register_op_forget },
	{ MP_T_OP_USER_BLOCK, userblock_op },
	{ MP_T_OP_USER_BLOCK_LIST, userblock_op_list },
	{ MP_T_OP_AGENT_USAGE, uinfo_usage_op },
	{ MP_T_OP_CONN_LIST, conn_records_op },
	{ MP_T_OP_RADIUS_STATS, op_radius_stats },
	{ MP_T_OP_SNAPSHOT, op_snapshot },
	/* muispd's counters for lib/stats_cat: today the RADIUS ones */
	{ MP_T_OP_STATS, op_radius_stats },
};

/* The handler of an operator request type, NULL for any other type
 * (replies such as MP_T_OP_VOUCHER and MP_T_OP_OK included). */
control_fn control_handler(int type)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == type)
			return handlers[i].fn;
	return NULL;
}

/* An operator message from the operator socket. */
void control_dispatch(struct muispd *md, struct conn *c, const struct mp_msg *m)
{
	control_fn fn = control_handler(m->type);

	if (!fn) {
		conn_error(c, m, MP_ERR_PROTO, "unexpected %s",
			   mp_type_name(m->type));
		return;
	}
	fn(md, c, m);
}
