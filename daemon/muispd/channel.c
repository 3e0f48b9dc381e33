// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's control channel: the user's messages.  Establishment (paper
 * §6: offer, request and quote, deposit and receipt), binding by receipt
 * or password (including a receipt presented elsewhere, Fig 5), the
 * commands on a bound contract (§7: usage, start, suspend, extend,
 * terminate) and warning acknowledgements.  The user is the source
 * address of the channel, authenticated by its tunnel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "acct.h"
#include "log.h"
#include "muispd.h"

static unsigned load_pct(struct muispd *md)
{
	unsigned bound = 0;

	for (unsigned i = 0; i < md->nlives; i++)
		if (contract_is_bound(md->lives[i].rec.state))
			bound++;
	bound = bound * 100 / md->conf.load_capacity;
	return bound > 100 ? 100 : bound;
}

static int same_items(const struct price *a, const struct price *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i].metric != b[i].metric || a[i].method != b[i].method ||
		    a[i].privacy != b[i].privacy || a[i].price != b[i].price ||
		    a[i].unit != b[i].unit)
			return 0;
	return 1;
}

/*
 * The offer for these items: the one issued less than MUISPD_OFFER_REUSE
 * seconds ago with the same items, currency and filter, or a new one.
 * Offers are the same contract form for everyone and cost no disk write:
 * a flood of OFFER_GET makes at most one new offer per filter and price
 * list every few seconds, so the ring keeps every offer for its TTL.
 */
static struct offer *offer_for(struct muispd *md, const struct offer *want,
			       uint64_t now)
{
	struct offer *o;

	for (unsigned i = 0; i < MUISPD_MAX_OFFERS; i++) {
		o = &md->offers[i];
		if (o->serial && o->privacy == want->privacy &&
		    o->n == want->n && o->time <= now &&
		    now < o->time + MUISPD_OFFER_REUSE &&
		    !strcmp(o->currency, want->currency) &&
		    same_items(o->items, want->items, o->n))
			return o;
	}
	o = &md->offers[md->offer_next++ % MUISPD_MAX_OFFERS];
	*o = *want;
	/* Serials grow with the clock, so an offer made before a restart is
	 * not mistaken for a later one. */
	o->serial = md->offer_seq + 1 > now ? md->offer_seq + 1 : now;
	md->offer_seq = o->serial;
	o->time = now;
	o->expiry = now + md->conf.offer_ttl_s;
	return o;
}

static void h_offer_get(struct muispd *md, struct conn *c,
			const struct mp_msg *req)
{
	unsigned load = load_pct(md);
	uint64_t now = muispd_now(md);
	struct offer want, *o;
	struct mp_msg m;

	memset(&want, 0, sizeof(want));
	want.privacy = mp_has(req, MP_A_PRIVACY) ? (int)req->u[MP_A_PRIVACY] :
						   -1;
	snprintf(want.currency, sizeof(want.currency), "%s", md->conf.currency);
	for (unsigned i = 0; i < md->conf.nprices; i++) {
		struct price p = md->conf.prices[i];

		if (want.privacy >= 0 && p.privacy != want.privacy)
			continue;
		/* Prices may depend on load (§6 step 1). */
		if (load >= 80 && md->conf.load_surcharge_pct)
			p.price = contract_cost(
				p.price, 100,
				100 + md->conf.load_surcharge_pct);
		want.items[want.n++] = p;
	}
	o = offer_for(md, &want, now);
	mp_init(&m, MP_T_OFFER, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_OFFER_SERIAL, o->serial);
	mp_set_u(&m, MP_A_TIME, o->time);
	mp_set_u(&m, MP_A_EXPIRY, o->expiry);
	mp_set_s(&m, MP_A_CURRENCY, o->currency);
	mp_set_u(&m, MP_A_LOAD, load);
	for (unsigned i = 0; i < o->n; i++) {
		const struct price *p = &o->items[i];
		struct mp_item it;

		it.metric = p->metric;
		it.method = p->method;
		it.privacy = p->privacy;
		it.price = p->price;
		it.unit = p->unit;
		mp_add_item(&m, &it);
	}
	conn_queue(c, &m);
}

/*
 * The slot for a new quote of addr.  An address keeps at most
 * quotes-per-addr quotes (its oldest is replaced), so a flood from one
 * address cannot push other users' quotes out; otherwise a free or
 * expired slot, else the oldest quote of all.  Quotes whose deposit waits
 * for the provider stay.  NULL if every slot is busy.
 */
static struct quote *quote_slot(struct muispd *md, const char *addr,
				uint64_t now)
{
	struct quote *fr = NULL, *own_old = NULL, *old = NULL;
	unsigned own = 0;

	for (unsigned i = 0; i < MUISPD_MAX_QUOTES; i++) {
		struct quote *q = &md->quotes[i];

		if (q->busy)
			continue;
		if (!q->serial || q->expiry <= now) {
			if (!fr)
				fr = q;
			continue;
		}
		if (!strcmp(q->addr, addr)) {
			own++;
			if (!own_old || q->made < own_old->made)
				own_old = q;
		}
		if (!old || q->made < old->made)
			old = q;
	}
	if (own >= md->conf.quotes_addr)
		return own_old;
	return fr ? fr : old;
}

/* 1 (and the error reply) if c's address has a contract bound. */
static int addr_bound(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	struct live *l = live_by_addr(md, c->addr);

	if (!l)
		return 0;
	conn_error(c, req, MP_ERR_STATE,
		   "address already bound to contract "
		   "%llu",
		   (unsigned long long)l->rec.serial);
	return 1;
}

static struct offer *offer_find(struct muispd *md, uint64_t serial,
				uint64_t now)
{
	for (unsigned i = 0; i < MUISPD_MAX_OFFERS; i++)
		if (md->offers[i].serial == serial &&
		    md->offers[i].expiry > now)
			return &md->offers[i];
	return NULL;
}

static void h_request(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	struct offer *o = offer_find(md, req->u[MP_A_OFFER_SERIAL], now);
	uint8_t metric = (uint8_t)req->u[MP_A_METRIC];
	uint8_t method = (uint8_t)req->u[MP_A_METHOD];
	uint8_t privacy =
		mp_has(req, MP_A_PRIVACY) ? (uint8_t)req->u[MP_A_PRIVACY] : 0;
	uint64_t soft = req->u[MP_A_SOFT], hard = req->u[MP_A_HARD];
	const struct payment_method *pm = payment_lookup(&md->pay, method);
	struct price *item = NULL;
	struct quote *q;
	struct mp_msg m;

	if (!o) {
		conn_error(c, req, MP_ERR_OFFER, "offer unknown or expired");
		return;
	}
	for (unsigned i = 0; i < o->n; i++)
		if (o->items[i].metric == metric &&
		    o->items[i].method == method &&
		    o->items[i].privacy == privacy)
			item = &o->items[i];
	if (!item || !pm) {
		conn_error(c, req, MP_ERR_OFFER, "option not offered");
		return;
	}
	if (pm->offline) {
		conn_error(c, req, MP_ERR_PAYMENT,
			   "%s is an offline method: "
			   "get a password from the operator",
			   pm->name);
		return;
	}
	if (!hard || soft > hard || !soft || hard > md->conf.max_hard[metric]) {
		conn_error(c, req, MP_ERR_LIMITS,
			   "need 0 < soft <= hard <= "
			   "%llu",
			   (unsigned long long)md->conf.max_hard[metric]);
		return;
	}
	if (addr_bound(md, c, req))
		return;
	q = quote_slot(md, c->addr, now);
	if (!q) {
		conn_error(c, req, MP_ERR_INTERNAL, "busy: try again");
		return;
	}
	memset(q, 0, sizeof(*q));
	/* The contract's serial, reserved in memory: recorded in the store
	 * with the contract (establish()), so a quote writes nothing. */
	q->serial = ++md->contract_seq;
	q->made = ++md->quote_seq;
	q->item = *item;
	q->soft = soft;
	q->hard = hard;
	q->deposit = contract_cost(item->price, item->unit, hard);
	q->expiry = now + md->conf.offer_ttl_s;
	snprintf(q->addr, sizeof(q->addr), "%s", c->addr);
	mp_init(&m, MP_T_QUOTE, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL, q->serial);
	mp_set_u(&m, MP_A_AMOUNT, q->deposit);
	mp_set_u(&m, MP_A_METRIC, metric);
	mp_set_u(&m, MP_A_METHOD, method);
	mp_set_u(&m, MP_A_PRIVACY, privacy);
	mp_set_u(&m, MP_A_SOFT, soft);
	mp_set_u(&m, MP_A_HARD, hard);
	mp_set_u(&m, MP_A_EXPIRY, now + md->conf.lifetime_s);
	mp_set_u(&m, MP_A_PRICE, item->price);
	mp_set_u(&m, MP_A_UNIT, item->unit);
	conn_queue(c, &m);
}

static struct quote *quote_find(struct muispd *md, uint64_t serial)
{
	for (unsigned i = 0; i < MUISPD_MAX_QUOTES; i++)
		if (serial && md->quotes[i].serial == serial)
			return &md->quotes[i];
	return NULL;
}

/*
 * Step 4 (§6): in one transaction the method's deposit (param: the
 * user's code, or the remote method's authorisation), the signed receipt
 * and the contract, bound to addr in the kernel.  0 (r established, its
 * live entry in *out), or an MP_ERR_* with the reason in msg: nothing
 * was changed.
 */
static int establish(struct muispd *md, struct contract_rec *r,
		     const char *addr, const char *param, struct live **out,
		     char *msg, size_t msglen)
{
	const struct payment_method *pm = payment_lookup(&md->pay, r->method);
	struct quote *q;
	struct live *l;
	char err[160] = "";

	if (store_begin(md->st)) {
		snprintf(msg, msglen, "store");
		return MP_ERR_INTERNAL;
	}
	if (store_serial_note(md->st, "contract", r->serial)) {
		store_rollback(md->st);
		snprintf(msg, msglen, "store");
		return MP_ERR_INTERNAL;
	}
	if (pm->deposit(pm, md->st, r, param, r->issued, err, sizeof(err))) {
		store_rollback(md->st);
		snprintf(msg, msglen, "%s", err);
		return MP_ERR_PAYMENT;
	}
	if (session_sign_receipt(md, r)) {
		store_rollback(md->st);
		snprintf(msg, msglen, "receipt");
		return MP_ERR_INTERNAL;
	}
	/* Contract established and bound in step 4 (§6): suspended. */
	r->state = CS_SUSPENDED;
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	if (store_contract_put(md->st, r) || acct_contract_put(md, r, 0) ||
	    kernel_contract_push(md->k, r, r->state, 0, NULL) ||
	    kernel_addr_bind(md->k, addr, r->serial)) {
		int notunnel = errno == EPERM;

		store_rollback(md->st);
		kernel_contract_del(md->k, r->serial);
		if (!notunnel) {
			snprintf(msg, msglen, "establishment failed");
			return MP_ERR_INTERNAL;
		}
		/* require-tunnel; nothing was paid */
		snprintf(msg, msglen,
			 "%s has no IPsec tunnel: bring the tunnel up, then "
			 "buy",
			 addr);
		return MP_ERR_PERM;
	}
	if (store_commit(md->st)) {
		store_rollback(md->st);
		/* the module must not keep what the store does not */
		int ub = kernel_addr_unbind(md->k, addr);

		if (kernel_contract_del(md->k, r->serial) || ub)
			session_kretry(md, ub ? addr : "", r->serial);
		snprintf(msg, msglen, "store commit");
		return MP_ERR_INTERNAL;
	}
	q = quote_find(md, r->serial);
	if (q)
		q->serial = 0;
	l = live_add(md, r);
	if (!l) {
		snprintf(msg, msglen, "memory");
		return MP_ERR_INTERNAL;
	}
	log_info("contract %llu: established (%s %s, deposit %llu) for %s",
		 (unsigned long long)r->serial, mp_metric_name(r->metric),
		 pm->name, (unsigned long long)r->deposit, addr);
	*out = l;
	return 0;
}

/* A deposit waiting for the remote method's authorisation (and, when
 * the establishment after it failed, for its release). */
struct deposit_op {
	struct muispd *md;
	struct held h;
	struct contract_rec r;
	char addr[64];
	int err; /* the establishment's MP_ERR_* */
	char msg[200];
};

/* payment_done_fn of cancel: the user is told nothing was paid. */
static void voided(void *arg, int rc, const char *text)
{
	struct deposit_op *op = arg;
	struct muispd *md = op->md;

	conn_error(conn_held(md, &op->h), op->h.req, op->err,
		   "%s; nothing was paid: the authorisation %s", op->msg,
		   rc ? "is being released at the provider" :
			"was released by the provider");
	conn_unhold(md, &op->h);
	free(op);
}

/* payment_done_fn of authorize: establish, or the method's reason.  An
 * establishment that fails releases the authorisation first. */
static void authorized(void *arg, int rc, const char *text)
{
	struct deposit_op *op = arg;
	struct muispd *md = op->md;
	struct conn *c = conn_held(md, &op->h);
	struct quote *q = quote_find(md, op->r.serial);
	const struct payment_method *pm =
		payment_lookup(&md->pay, op->r.method);
	char auth[RECEIPT_PAYREF_LEN + 1];
	struct live *l = NULL;

	if (q)
		q->busy = 0;
	if (rc) {
		conn_error(c, op->h.req, rc > 0 ? rc : MP_ERR_PAYMENT, "%s",
			   text);
		goto done;
	}
	snprintf(auth, sizeof(auth), "%s", text);
	if (live_by_addr(md, op->addr)) { /* meanwhile, elsewhere */
		op->err = MP_ERR_STATE;
		snprintf(op->msg, sizeof(op->msg), "address already bound");
	} else {
		/* the tunnel may have changed meanwhile */
		op->err = privacy_check(md, op->addr, op->r.privacy, "buy",
					op->msg, sizeof(op->msg));
		if (!op->err)
			op->err = establish(md, &op->r, op->addr, auth, &l,
					    op->msg, sizeof(op->msg));
	}
	if (!op->err) {
		if (c)
			session_reply_status(c, op->h.req, &l->rec,
					     MP_T_RECEIPT, 0);
		goto done;
	}
	log_info("contract %llu: not established (%s): voiding %s",
		 (unsigned long long)op->r.serial, op->msg, auth);
	if (pm && pm->cancel) {
		pm->cancel(pm, &op->r, auth, voided, op);
		return;
	}
	conn_error(c, op->h.req, op->err, "%s", op->msg);
done:
	conn_unhold(md, &op->h);
	free(op);
}

/* 1 (and the error reply) if c's tunnel is not the privacy bought. */
static int privacy_refused(struct muispd *md, struct conn *c,
			   const struct mp_msg *req, uint8_t privacy,
			   const char *what)
{
	char msg[200];
	int err = privacy_check(md, c->addr, privacy, what, msg, sizeof(msg));

	if (err)
		conn_error(c, req, err, "%s", msg);
	return err != 0;
}

static void h_deposit(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	const char *param = mp_has(req, MP_A_PAYMENT) ? req->s[MP_A_PAYMENT] :
							NULL;
	struct quote *q = NULL;
	const struct payment_method *pm;
	struct deposit_op *op;
	struct contract_rec r;

	for (unsigned i = 0; i < MUISPD_MAX_QUOTES; i++)
		if (md->quotes[i].serial == req->u[MP_A_SERIAL] &&
		    md->quotes[i].expiry > now && !md->quotes[i].busy)
			q = &md->quotes[i];
	/* Online payment is bound to the tunnel it came through (§2.4). */
	if (!q || strcmp(q->addr, c->addr)) {
		conn_error(c, req, MP_ERR_UNKNOWN, "no such quote");
		return;
	}
	if (req->u[MP_A_METHOD] != q->item.method) {
		conn_error(c, req, MP_ERR_PAYMENT,
			   "method differs from the "
			   "request");
		return;
	}
	if (mp_has(req, MP_A_AMOUNT) && req->u[MP_A_AMOUNT] != q->deposit) {
		conn_error(c, req, MP_ERR_PAYMENT, "deposit is %llu",
			   (unsigned long long)q->deposit);
		return;
	}
	if (live_by_addr(md, c->addr)) {
		conn_error(c, req, MP_ERR_STATE, "address already bound");
		return;
	}
	if (privacy_refused(md, c, req, q->item.privacy, "buy"))
		return;
	pm = payment_lookup(&md->pay, q->item.method);
	/* roam: the home ISP's credentials, only in a roam deposit */
	if (q->item.method == MP_METHOD_ROAM ?
		    !(mp_has(req, MP_A_IDENTITY) && mp_has(req, MP_A_SECRET)) :
		    mp_has(req, MP_A_IDENTITY) || mp_has(req, MP_A_SECRET)) {
		conn_error(c, req, MP_ERR_PROTO,
			   "identity and secret go with method roam only, "
			   "and roam needs both");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.serial = q->serial;
	r.state = CS_UNBOUND;
	r.metric = q->item.metric;
	r.method = q->item.method;
	r.privacy = q->item.privacy;
	r.soft = q->soft;
	r.hard = q->hard;
	r.deposit = q->deposit;
	r.price = q->item.price;
	r.unit = q->item.unit;
	r.issued = now;
	r.expiry = now + md->conf.lifetime_s;
	r.usage_at = now;
	/* The buyer's key goes into the receipt (MUR2): binding it on
	 * another address needs the key's signature (holder_proof()). */
	if (mp_has(req, MP_A_HOLDER_KEY)) {
		r.has_holder = 1;
		memcpy(r.holder, mp_fix(req, MP_A_HOLDER_KEY),
		       sizeof(r.holder));
	}
	if (!pm->authorize) {
		struct live *l;
		char msg[200];
		int err =
			establish(md, &r, c->addr, param, &l, msg, sizeof(msg));

		if (err)
			conn_error(c, req, err, "%s", msg);
		else
			session_reply_status(c, req, &l->rec, MP_T_RECEIPT, 0);
		return;
	}
	/*
	 * A remote method: the reply (and c's next requests) wait for it;
	 * the quote is taken meanwhile.  Its serial is on disk first: it
	 * names the authorisation at the provider ("muisp-SERIAL"), which
	 * must never name another contract after a restart.
	 */
	if (store_begin(md->st) ||
	    store_serial_note(md->st, "contract", r.serial) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		conn_error(c, req, MP_ERR_INTERNAL, "store");
		return;
	}
	op = calloc(1, sizeof(*op));
	if (!op || conn_hold(c, req, &op->h)) {
		free(op);
		conn_error(c, req, MP_ERR_INTERNAL, "memory");
		return;
	}
	op->md = md;
	op->r = r;
	snprintf(op->addr, sizeof(op->addr), "%s", c->addr);
	/* the method may name the address (roam: Framed-IP-Address);
	 * establish() sets it again */
	snprintf(op->r.addr, sizeof(op->r.addr), "%s", c->addr);
	q->busy = 1;
	if (q->item.method == MP_METHOD_ROAM) {
		char cred[2 * MP_STR_MAX + 2];

		snprintf(cred, sizeof(cred), "%s\n%s", req->s[MP_A_IDENTITY],
			 req->s[MP_A_SECRET]);
		/* the held copy keeps no password (op may be gone after
		 * authorize: done can run inside it) */
		explicit_bzero(op->h.req->s[MP_A_SECRET], MP_STR_MAX + 1);
		pm->authorize(pm, &op->r, cred, authorized, op);
		explicit_bzero(cred, sizeof(cred));
		return;
	}
	pm->authorize(pm, &op->r, param, authorized, op);
}

/* A receipt presented from another address while bound (Fig 5). */
static void elsewhere(struct muispd *md, struct conn *c,
		      const struct mp_msg *req, struct live *l, uint64_t now)
{
	if (!l->pending || strcmp(l->other, c->addr)) {
		l->pending = 1;
		snprintf(l->other, sizeof(l->other), "%s", c->addr);
		l->warn_count = 1;
		l->warn_next = now + md->conf.warn_interval_s;
		session_step(l, CE_ELSEWHERE, 0, now);
		session_send_warning(md, l->rec.addr, &l->rec,
				     MP_WARN_ELSEWHERE);
	}
	conn_error(c, req, MP_ERR_ELSEWHERE,
		   "bound to another address; it "
		   "has been warned, retry in %u s",
		   md->conf.warn_interval_s * md->conf.warn_tries);
}

/* The outstanding contract a password opens, or NULL. */
static struct live *by_password(struct muispd *md, const char *pw)
{
	struct live *l = NULL;

	for (unsigned i = 0; i < md->nlives; i++) {
		const char *p = md->lives[i].rec.password;
		size_t n = strlen(p);

		if (n && n == strlen(pw) && !CRYPTO_memcmp(p, pw, n))
			l = &md->lives[i];
	}
	return l;
}

static struct log_rl rl_proof = LOG_RL_INIT(10, 5);

/*
 * A MUR2 receipt (its buyer committed to a key) binds anywhere but where
 * it is bound only with the key's signature of a challenge this
 * connection got from us: a copied receipt alone is no use.  1 proven;
 * 0 after the error reply, PROOF with a fresh challenge (one signature
 * per challenge, valid for a minute).
 */
static int holder_proof(struct muispd *md, struct conn *c,
			const struct mp_msg *req, const struct receipt *rc)
{
	uint8_t msg[MP_BIND_LABEL_LEN + 32 + RECEIPT_MAX_LEN];
	uint64_t now = muispd_mono_ms(md) / 1000;
	const char *why = "sign the challenge with the receipt's holder key";
	struct mp_msg m;

	if (mp_has(req, MP_A_SIGNATURE) && mp_has(req, MP_A_CHALLENGE)) {
		int ok = c->chal_until && now < c->chal_until &&
			 !CRYPTO_memcmp(c->challenge,
					mp_fix(req, MP_A_CHALLENGE), 32);
		size_t n = mp_bind_message(c->challenge, req->bytes,
					   req->bytes_len, msg, sizeof(msg));

		c->chal_until = 0; /* one try */
		if (ok && n &&
		    !receipt_holder_verify(rc->holder, msg, n,
					   mp_fix(req, MP_A_SIGNATURE)))
			return 1;
		why = ok ? "the signature is not the receipt's holder's" :
			   "challenge unknown or stale";
		log_ratelimited(&rl_proof, LOG_WARNING,
				"%s: contract %llu: %s, refused", c->addr,
				(unsigned long long)rc->serial, why);
	}
	if (RAND_bytes(c->challenge, sizeof(c->challenge)) != 1) {
		conn_error(c, req, MP_ERR_INTERNAL, "random");
		return 0;
	}
	c->chal_until = now + 60;
	mp_init(&m, MP_T_ERROR, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_ERROR, MP_ERR_PROOF);
	mp_set_s(&m, MP_A_MESSAGE, why);
	mp_set_fix(&m, MP_A_CHALLENGE, c->challenge, sizeof(c->challenge));
	conn_queue(c, &m);
	return 0;
}

/*
 * The outstanding contract of a presented receipt, or NULL after the
 * error reply.  §7: an elapsed-time contract the store does not know is
 * recovered from its receipt alone.
 */
static struct live *by_receipt(struct muispd *md, struct conn *c,
			       const struct mp_msg *req, uint64_t now)
{
	struct receipt rcpt;
	struct contract_rec r;
	struct live *l;
	int rc;

	rc = receipt_verify(&md->kr, req->bytes, req->bytes_len, now, &rcpt);
	if (rc) {
		log_info("%s: receipt rejected: %s", c->addr,
			 receipt_strerror(rc));
		keys_refuse(md, c, req, rc);
		return NULL;
	}
	l = live_find(md, rcpt.serial);
	if (rcpt.has_holder &&
	    !(l && contract_is_bound(l->rec.state) &&
	      !strcmp(l->rec.addr, c->addr)) &&
	    !holder_proof(md, c, req, &rcpt))
		return NULL;
	if (l) {
		if (l->rec.receipt_len != req->bytes_len ||
		    CRYPTO_memcmp(l->rec.receipt, req->bytes, req->bytes_len)) {
			conn_error(c, req, MP_ERR_RECEIPT,
				   "not the receipt "
				   "issued for this contract");
			return NULL;
		}
		return l;
	}
	rc = store_contract_get(md->st, rcpt.serial, &r);
	if (rc == 0) {
		conn_error(c, req, MP_ERR_EXPIRED, "contract %llu is %s",
			   (unsigned long long)r.serial,
			   contract_state_name(r.state));
		return NULL;
	}
	if (rc < 0 || rcpt.metric != MP_METRIC_ELAPSED || now >= rcpt.expiry) {
		conn_error(c, req, MP_ERR_UNKNOWN, "contract unknown");
		return NULL;
	}
	memset(&r, 0, sizeof(r));
	r.serial = rcpt.serial;
	r.state = CS_UNBOUND;
	r.metric = rcpt.metric;
	r.method = rcpt.method;
	r.privacy = rcpt.privacy;
	r.soft = rcpt.soft;
	r.hard = rcpt.hard;
	r.deposit = rcpt.deposit;
	r.price = rcpt.price;
	r.unit = rcpt.unit;
	r.issued = rcpt.issued;
	r.expiry = rcpt.expiry;
	r.key_id = rcpt.key_id;
	snprintf(r.payref, sizeof(r.payref), "%s", rcpt.payref);
	r.has_holder = rcpt.has_holder;
	memcpy(r.holder, rcpt.holder, sizeof(r.holder));
	memcpy(r.receipt, req->bytes, req->bytes_len);
	r.receipt_len = req->bytes_len;
	l = live_add(md, &r);
	if (!l || session_persist(md, l)) {
		conn_error(c, req, MP_ERR_INTERNAL, "store");
		return NULL;
	}
	log_info("contract %llu: recovered from its receipt",
		 (unsigned long long)r.serial);
	return l;
}

static void h_bind(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	int pw = mp_has(req, MP_A_PASSWORD);
	struct session_waiter ext = { c, req, session_then_extinguished };
	struct live *l;
	int rc;

	if (c->kind == CONN_OP) {
		conn_error(c, req, MP_ERR_PERM, "bind needs an address");
		return;
	}
	if (pw) {
		l = by_password(md, req->s[MP_A_PASSWORD]);
		if (!l) {
			conn_error(c, req, MP_ERR_PASSWORD,
				   "password not "
				   "valid for an outstanding contract");
			return;
		}
	} else {
		l = by_receipt(md, c, req, now);
		if (!l)
			return;
	}
	if (session_check_limits(md, l, now, &ext))
		return;
	if (l->rec.state == CS_IN_SETTLEMENT) {
		conn_error(c, req, MP_ERR_STATE, "contract in settlement");
		return;
	}
	if (contract_is_bound(l->rec.state)) {
		if (strcmp(l->rec.addr, c->addr)) {
			/* A password binds only an unbound contract (§6). */
			if (pw)
				conn_error(c, req, MP_ERR_STATE,
					   "contract "
					   "already bound");
			else
				elsewhere(md, c, req, l, now);
			return;
		}
		/* Already bound here (reconnect). */
	} else {
		if (addr_bound(md, c, req) ||
		    privacy_refused(md, c, req, l->rec.privacy, "bind"))
			return;
		rc = session_bind(md, l, c->addr, now);
		if (rc == MP_ERR_PERM) {
			conn_error(c, req, rc,
				   "%s has no IPsec tunnel: bring "
				   "the tunnel up, then bind",
				   c->addr);
			return;
		}
		if (rc) {
			conn_error(c, req, rc, "bind failed");
			return;
		}
	}
	session_reply_status(c, req, &l->rec, pw ? MP_T_RECEIPT : MP_T_STATUS,
			     0);
}

/* The contract of a command: bound to the sender's address. */
static struct live *own(struct muispd *md, struct conn *c,
			const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);

	if (!l || !contract_is_bound(l->rec.state) ||
	    strcmp(l->rec.addr, c->addr)) {
		conn_error(c, req, MP_ERR_UNKNOWN,
			   "no contract %llu bound "
			   "to %s",
			   (unsigned long long)req->u[MP_A_SERIAL], c->addr);
		return NULL;
	}
	return l;
}

static void h_command(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	uint64_t now = muispd_now(md);
	struct live *l = own(md, c, req);
	struct session_waiter ext = { c, req, session_then_extinguished };
	int rc = 0;

	if (!l)
		return;
	if (req->type == MP_T_TERMINATE) {
		l->acct_cause = RAD_TERM_USER_REQUEST;
		session_terminate(md, c, req, l, now);
		return;
	}
	if (session_check_limits(md, l, now, &ext))
		return;
	switch (req->type) {
	case MP_T_USAGE:
		break;
	case MP_T_START:
		rc = session_step(l, CE_START, 0, now);
		break;
	case MP_T_SUSPEND:
		rc = session_step(l, CE_SUSPEND, 0, now);
		break;
	case MP_T_EXTEND:
		rc = session_step(l, CE_EXTEND, req->u[MP_A_SOFT], now);
		break;
	default:
		return;
	}
	if (rc) {
		conn_error(c, req,
			   rc == CONTRACT_E_LIMIT ? MP_ERR_LIMITS :
						    MP_ERR_STATE,
			   "%s not allowed while %s", mp_type_name(req->type),
			   contract_state_name(l->rec.state));
		return;
	}
	if (req->type != MP_T_USAGE) {
		if (session_kpush(md, l, 0) || session_persist(md, l)) {
			conn_error(c, req, MP_ERR_INTERNAL,
				   "state change "
				   "failed");
			return;
		}
		acct_interim_soon(md, l->rec.serial); /* extend, start .. */
		/* Started at or past the soft limit (elapsed metric). */
		if (session_check_limits(md, l, now, &ext))
			return;
	}
	session_reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

static void h_warning_ack(struct muispd *md, struct conn *c,
			  const struct mp_msg *req)
{
	struct live *l = live_find(md, req->u[MP_A_SERIAL]);

	/* No reply: acks answer asynchronous warnings. */
	if (l && l->pending && !strcmp(l->rec.addr, c->addr) &&
	    req->u[MP_A_WARNING] == MP_WARN_ELSEWHERE) {
		l->pending = 0;
		log_info("contract %llu: %s answered, %s refused",
			 (unsigned long long)l->rec.serial, c->addr, l->other);
	}
}

/*
 * The statement of an ended contract, for the holder of its receipt (a
 * contract the hard limit or its expiry ended has nobody to send it to
 * at the time).  A MUR2 receipt also needs the holder's proof, as BIND
 * does: a copied receipt shows nobody's statement.
 */
static void h_statement_get(struct muispd *md, struct conn *c,
			    const struct mp_msg *req)
{
	struct statement stm = { 0 };
	struct receipt rcpt;
	struct contract_rec r;
	int rc;

	if (c->kind == CONN_OP) {
		conn_error(c, req, MP_ERR_PERM,
			   "the operator reads it with contract show");
		return;
	}
	rc = receipt_verify(&md->kr, req->bytes, req->bytes_len, muispd_now(md),
			    &rcpt);
	if (rc) {
		keys_refuse(md, c, req, rc);
		return;
	}
	if (rcpt.has_holder && !holder_proof(md, c, req, &rcpt))
		return;
	if (live_find(md, rcpt.serial)) {
		conn_error(c, req, MP_ERR_STATE,
			   "contract %llu is outstanding: its statement "
			   "comes when it ends",
			   (unsigned long long)rcpt.serial);
		return;
	}
	if (store_contract_get(md->st, rcpt.serial, &r) ||
	    r.receipt_len != req->bytes_len ||
	    CRYPTO_memcmp(r.receipt, req->bytes, req->bytes_len) ||
	    store_statement_get(md->st, r.serial, stm.lines, PAY_MAX_LINES,
				&stm.n)) {
		conn_error(c, req, MP_ERR_UNKNOWN,
			   "no statement of contract %llu",
			   (unsigned long long)rcpt.serial);
		return;
	}
	stm.charge = r.charge;
	stm.refund = r.refund;
	session_reply_statement(c, req, &r, &stm);
}

typedef void (*channel_fn)(struct muispd *md, struct conn *c,
			   const struct mp_msg *req);

static const channel_fn handlers[] = {
	[MP_T_OFFER_GET] = h_offer_get,
	[MP_T_REQUEST] = h_request,
	[MP_T_DEPOSIT] = h_deposit,
	[MP_T_BIND] = h_bind,
	[MP_T_USAGE] = h_command,
	[MP_T_START] = h_command,
	[MP_T_SUSPEND] = h_command,
	[MP_T_TERMINATE] = h_command,
	[MP_T_EXTEND] = h_command,
	[MP_T_WARNING_ACK] = h_warning_ack,
	[MP_T_STATEMENT_GET] = h_statement_get,
	[MP_T_UINFO_HELLO] = uinfo_hello,
	[MP_T_UINFO_KEEPALIVE] = uinfo_keepalive,
	[MP_T_UINFO_USAGE] = uinfo_usage,
	[MP_T_UINFO_REPORT] = uinfo_report,
	[MP_T_CONN_AGENT_HELLO] = pagent_hello,
};

/* A user message (types below 128) from a user or operator connection. */
void channel_dispatch(struct muispd *md, struct conn *c, const struct mp_msg *m)
{
	channel_fn fn = m->type < sizeof(handlers) / sizeof(handlers[0]) ?
				handlers[m->type] :
				NULL;

	if (m->type == MP_T_REGISTER)
		fn = register_handle; /* register.c: needs no tunnel */
	if (!fn) {
		conn_error(c, m, MP_ERR_PROTO, "unexpected %s",
			   mp_type_name(m->type));
		return;
	}
	/* from a multi-user host: which of its users asks (uinfo.c); the
	 * agent's own messages and REGISTER (IKE's, the host's) need not */
	if (c->kind == CONN_USER && !c->identified &&
	    m->type != MP_T_REGISTER && m->type != MP_T_UINFO_HELLO &&
	    m->type != MP_T_UINFO_KEEPALIVE && m->type != MP_T_UINFO_USAGE &&
	    m->type != MP_T_UINFO_REPORT && uinfo_identify(md, c, m))
		return; /* held until the agent answers */
	fn(md, c, m);
}

/* The establishment of a contract muispd makes itself (eap.c). */
int channel_establish(struct muispd *md, struct contract_rec *r,
		      const char *addr, const char *param, struct live **out,
		      char *msg, size_t msglen)
{
	return establish(md, r, addr, param, out, msg, msglen);
}
