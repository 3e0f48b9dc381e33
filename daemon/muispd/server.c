// SPDX-License-Identifier: GPL-2.0
/*
 * muispd engine: the control channel (TLS 1.3, or plain TCP for ESP
 * tunnels, paper §5), the operator socket, contract establishment and
 * binding (§6), metering, warnings and commands (§7), settlement (§8) and
 * recovery, and the tunnel identity of client addresses from charon's
 * CHILD_SAs over VICI.  Single-threaded poll loop; every state change is
 * committed to the store (and pushed to the kernel) before the reply is
 * queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ike_watch.h"
#include "log.h"
#include "muispd.h"
#include "payment_online.h"

#define MAX_CONNS	2048
#define MAX_OFFERS	256
#define MAX_QUOTES	1024
#define WBUF_MAX	(256 * 1024)

enum conn_kind { K_USER, K_OP };
enum conn_state { C_DETECT, C_HANDSHAKE, C_OPEN, C_CLOSING };

struct conn {
	int fd;
	SSL *ssl;
	enum conn_kind kind;
	enum conn_state state;
	int want_write;		/* TLS needs POLLOUT to progress */
	char addr[64];
	uint8_t rbuf[MP_MAX_FRAME];
	size_t rlen;
	uint8_t *wbuf;
	size_t wlen, wcap;
};

struct live {
	struct contract_rec rec;
	uint64_t active_since;	/* usage time, "none" backend */
	uint64_t base_usage;
	/* receipt presented elsewhere (Fig 5): warn the bound address */
	int pending;
	char other[64];
	uint64_t warn_next;
	uint32_t warn_count;
	int unbind_on_load;	/* restored binding refused: no tunnel */
};

/* The old SA of a rekey, recorded as the address's previous SPI until
 * charon has destroyed it (it signals no event for that). */
struct prev_sa {
	char addr[64];
	uint32_t ike_id, child_id, spi;
};

struct offer {
	uint64_t serial, time, expiry;
	unsigned n;
	struct price items[MUISPD_MAX_PRICES];
};

struct quote {
	uint64_t serial, expiry, soft, hard, deposit;
	char addr[64];
	struct price item;
};

static struct {
	struct muispd_conf conf;
	struct store *st;
	struct kernel *k;
	struct receipt_keyring kr;
	SSL_CTX *tls;
	int lfd, ufd;
	struct conn *conns[MAX_CONNS];
	unsigned nconns;
	struct live *lives;
	unsigned nlives, caplives;
	struct offer offers[MAX_OFFERS];
	unsigned offer_next;
	struct quote quotes[MAX_QUOTES];
	unsigned quote_next;
	uint64_t next_ckpt;
	uint64_t bad_frames;
	/* charon over VICI (tunnel identities) */
	struct ike_watch *ike;
	uint64_t ike_retry;		/* next connection attempt */
	int ike_logged;			/* connection failure logged */
	int ike_syncing;		/* inside ike_watch_sync() */
	char (*dirty)[64];		/* addresses to check after a sync */
	unsigned ndirty, capdirty;
	struct prev_sa *prevs;
	unsigned nprevs, capprevs;
	volatile sig_atomic_t quit;
} S;

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

/* ---------- connections and output ---------- */

static void conn_free(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	free(c->wbuf);
	free(c);
}

static int queue(struct conn *c, const struct mp_msg *m)
{
	uint8_t buf[MP_MAX_FRAME];
	int n = mp_encode(m, buf, sizeof(buf));

	if (n < 0) {
		log_warnx("encode %s: %s", mp_type_name(m->type),
			  mp_strerror(n));
		return -1;
	}
	if (c->wlen + (size_t)n > WBUF_MAX) {
		log_warnx("%s: output queue full, closing", c->addr);
		c->state = C_CLOSING;
		c->wlen = 0;
		return -1;
	}
	if (c->wlen + (size_t)n > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		uint8_t *p;

		while (cap < c->wlen + (size_t)n)
			cap *= 2;
		p = realloc(c->wbuf, cap);
		if (!p)
			return -1;
		c->wbuf = p;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, (size_t)n);
	c->wlen += (size_t)n;
	return 0;
}

static void reply_error(struct conn *c, const struct mp_msg *req, int err,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reply_error(struct conn *c, const struct mp_msg *req, int err,
			const char *fmt, ...)
{
	struct mp_msg m;
	char text[MP_STR_MAX + 1];
	va_list ap;

	mp_init(&m, MP_T_ERROR, MP_F_REPLY, req ? req->serial : 0);
	mp_set_u(&m, MP_A_ERROR, (uint64_t)err);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (text[0])
		mp_set_s(&m, MP_A_MESSAGE, text);
	if (req && mp_has(req, MP_A_SERIAL))
		mp_set_u(&m, MP_A_SERIAL, req->u[MP_A_SERIAL]);
	queue(c, &m);
}

/* ---------- live contracts ---------- */

static struct live *live_find(uint64_t serial)
{
	for (unsigned i = 0; i < S.nlives; i++)
		if (S.lives[i].rec.serial == serial)
			return &S.lives[i];
	return NULL;
}

static struct live *live_by_addr(const char *addr)
{
	for (unsigned i = 0; i < S.nlives; i++)
		if (contract_is_bound(S.lives[i].rec.state) &&
		    !strcmp(S.lives[i].rec.addr, addr))
			return &S.lives[i];
	return NULL;
}

static struct live *live_add(const struct contract_rec *r)
{
	struct live *l;

	if (S.nlives == S.caplives) {
		unsigned cap = S.caplives ? S.caplives * 2 : 64;
		struct live *p = realloc(S.lives, cap * sizeof(*p));

		if (!p)
			return NULL;
		S.lives = p;
		S.caplives = cap;
	}
	l = &S.lives[S.nlives++];
	memset(l, 0, sizeof(*l));
	l->rec = *r;
	l->base_usage = r->usage;
	return l;
}

static void live_remove(struct live *l)
{
	unsigned i = (unsigned)(l - S.lives);

	S.lives[i] = S.lives[--S.nlives];
}

/* Refresh the usage of l from the clock or the kernel. */
static void usage_refresh(struct live *l, uint64_t now)
{
	struct contract_rec *r = &l->rec;
	uint64_t u = r->usage;

	switch (r->metric) {
	case MP_METRIC_ELAPSED:
		u = now > r->issued ? now - r->issued : 0;
		break;
	case MP_METRIC_USAGE_TIME:
		if (S.conf.use_kernel) {
			uint64_t k;

			if (kernel_contract_usage(S.k, r, &k) == 0)
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

		if (kernel_contract_usage(S.k, r, &k) == 0)
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
static int step(struct live *l, enum contract_event ev, uint64_t arg,
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

static void reply_status(struct conn *c, const struct mp_msg *req,
			 const struct contract_rec *r, uint8_t type,
			 uint16_t flags)
{
	struct mp_msg m;

	mp_init(&m, type, (uint16_t)(MP_F_REPLY | flags), req->serial);
	fill_status(&m, r);
	if (type == MP_T_RECEIPT || (c->kind == K_OP && r->receipt_len))
		mp_set_bytes(&m, MP_A_RECEIPT, r->receipt, r->receipt_len);
	if (c->kind == K_OP && r->password[0])
		mp_set_s(&m, MP_A_PASSWORD, r->password);
	queue(c, &m);
}

static void send_warning(const char *addr, const struct contract_rec *r,
			 int w)
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
	for (unsigned i = 0; i < S.nconns; i++) {
		struct conn *c = S.conns[i];

		if (c->kind == K_USER && c->state == C_OPEN &&
		    !strcmp(c->addr, addr)) {
			queue(c, &m);
			sent++;
		}
	}
	log_info("contract %llu: %s warning to %s (%u channel%s)",
		 (unsigned long long)r->serial, mp_warning_name(w), addr, sent,
		 sent == 1 ? "" : "s");
}

/* Persist l in its own transaction. */
static int persist(struct live *l)
{
	if (store_begin(S.st))
		return -1;
	if (store_contract_put(S.st, &l->rec) || store_commit(S.st)) {
		store_rollback(S.st);
		return -1;
	}
	return 0;
}

/* Push the contract's state to the kernel. */
static int kpush(struct live *l, int restore)
{
	return kernel_contract_push(S.k, &l->rec, l->rec.state, restore);
}

/*
 * Settle l (payment plug-in) and extinguish it: full = deposit kept
 * (expiry, hard limit).  Removes l from the live set on success and
 * fills st.  On a payment failure the contract stays in settlement for
 * the operator to retry.
 */
static int settle(struct live *l, int full, const char *why, uint64_t now,
		  struct statement *stm)
{
	char addr[64];

	snprintf(addr, sizeof(addr), "%s", l->rec.addr);
	if (store_begin(S.st))
		return -1;
	if (payment_settle(S.st, &l->rec, full, why, now, stm)) {
		store_rollback(S.st);
		log_warnx("contract %llu: settlement failed",
			  (unsigned long long)l->rec.serial);
		if (l->rec.state == CS_IN_SETTLEMENT)
			persist(l);
		return -1;
	}
	l->rec.state = CS_EXTINGUISHED;
	l->rec.addr[0] = '\0';
	if (store_contract_put(S.st, &l->rec) || store_commit(S.st)) {
		store_rollback(S.st);
		return -1;
	}
	if (addr[0])
		kernel_addr_unbind(S.k, addr);
	kernel_contract_del(S.k, l->rec.serial);
	log_info("contract %llu: settled (%s): charge %llu refund %llu",
		 (unsigned long long)l->rec.serial, why,
		 (unsigned long long)stm->charge,
		 (unsigned long long)stm->refund);
	return 0;
}

/* Hard limit or expiry: warn, keep the deposit, extinguish (Fig 4). */
static void extinguish(struct live *l, enum contract_event ev, uint64_t now)
{
	struct statement stm;
	char addr[64];
	int w = ev == CE_HARD_LIMIT ? MP_WARN_HARD_LIMIT : MP_WARN_EXPIRY;
	struct contract_rec snap;

	snprintf(addr, sizeof(addr), "%s", l->rec.addr);
	if (step(l, ev, 0, now))
		return;
	/* step() made it EXTINGUISHED; settlement records the statement. */
	l->rec.state = CS_IN_SETTLEMENT;
	snap = l->rec;
	snap.state = CS_EXTINGUISHED;
	if (settle(l, 1, ev == CE_HARD_LIMIT ? "hard limit" : "expiry", now,
		   &stm) == 0) {
		if (addr[0])
			send_warning(addr, &snap, w);
		live_remove(l);
	}
}

/* Apply usage, limits and expiry for l; returns 1 if l was removed. */
static int check_limits(struct live *l, uint64_t now)
{
	struct contract_fsm f;
	int ev;

	if (l->rec.state == CS_IN_SETTLEMENT)
		return 0;
	usage_refresh(l, now);
	if (l->rec.expiry && now >= l->rec.expiry) {
		extinguish(l, CE_EXPIRE, now);
		return 1;
	}
	f = fsm_of(&l->rec);
	ev = contract_limit_event(&f);
	if (ev == CE_HARD_LIMIT) {
		extinguish(l, CE_HARD_LIMIT, now);
		return 1;
	}
	if (ev == CE_SOFT_LIMIT && step(l, CE_SOFT_LIMIT, 0, now) == 0) {
		kpush(l, 0);
		persist(l);
		send_warning(l->rec.addr, &l->rec, MP_WARN_SOFT_LIMIT);
	}
	return 0;
}

/* ---------- offers and establishment (§6) ---------- */

static unsigned load_pct(void)
{
	unsigned bound = 0;

	for (unsigned i = 0; i < S.nlives; i++)
		if (contract_is_bound(S.lives[i].rec.state))
			bound++;
	bound = bound * 100 / S.conf.load_capacity;
	return bound > 100 ? 100 : bound;
}

static void h_offer_get(struct conn *c, const struct mp_msg *req)
{
	struct offer *o = &S.offers[S.offer_next++ % MAX_OFFERS];
	unsigned load = load_pct();
	uint64_t now = now_s();
	struct mp_msg m;

	memset(o, 0, sizeof(*o));
	if (store_next_serial(S.st, "offer", &o->serial)) {
		reply_error(c, req, MP_ERR_INTERNAL, "store");
		return;
	}
	o->time = now;
	o->expiry = now + S.conf.offer_ttl_s;
	mp_init(&m, MP_T_OFFER, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_OFFER_SERIAL, o->serial);
	mp_set_u(&m, MP_A_TIME, o->time);
	mp_set_u(&m, MP_A_EXPIRY, o->expiry);
	mp_set_s(&m, MP_A_CURRENCY, S.conf.currency);
	mp_set_u(&m, MP_A_LOAD, load);
	for (unsigned i = 0; i < S.conf.nprices; i++) {
		struct price p = S.conf.prices[i];
		struct mp_item it;

		if (mp_has(req, MP_A_PRIVACY) &&
		    p.privacy != req->u[MP_A_PRIVACY])
			continue;
		/* Prices may depend on load (§6 step 1). */
		if (load >= 80 && S.conf.load_surcharge_pct)
			p.price = contract_cost(p.price,
						100, 100 + S.conf.load_surcharge_pct);
		o->items[o->n++] = p;
		it.metric = p.metric;
		it.method = p.method;
		it.privacy = p.privacy;
		it.price = p.price;
		it.unit = p.unit;
		mp_add_item(&m, &it);
	}
	queue(c, &m);
}

static struct offer *offer_find(uint64_t serial, uint64_t now)
{
	for (unsigned i = 0; i < MAX_OFFERS; i++)
		if (S.offers[i].serial == serial && S.offers[i].expiry > now)
			return &S.offers[i];
	return NULL;
}

static void h_request(struct conn *c, const struct mp_msg *req)
{
	uint64_t now = now_s();
	struct offer *o = offer_find(req->u[MP_A_OFFER_SERIAL], now);
	uint8_t metric = (uint8_t)req->u[MP_A_METRIC];
	uint8_t method = (uint8_t)req->u[MP_A_METHOD];
	uint8_t privacy = mp_has(req, MP_A_PRIVACY) ?
			  (uint8_t)req->u[MP_A_PRIVACY] : 0;
	uint64_t soft = req->u[MP_A_SOFT], hard = req->u[MP_A_HARD];
	const struct payment_method *pm = payment_method_get(method);
	struct price *item = NULL;
	struct quote *q;
	struct mp_msg m;
	struct live *bound;

	if (!o) {
		reply_error(c, req, MP_ERR_OFFER, "offer unknown or expired");
		return;
	}
	for (unsigned i = 0; i < o->n; i++)
		if (o->items[i].metric == metric &&
		    o->items[i].method == method &&
		    o->items[i].privacy == privacy)
			item = &o->items[i];
	if (!item || !pm) {
		reply_error(c, req, MP_ERR_OFFER, "option not offered");
		return;
	}
	if (pm->offline) {
		reply_error(c, req, MP_ERR_PAYMENT, "%s is an offline method: "
			    "get a password from the operator", pm->name);
		return;
	}
	if (!hard || soft > hard || !soft || hard > S.conf.max_hard[metric]) {
		reply_error(c, req, MP_ERR_LIMITS, "need 0 < soft <= hard <= "
			    "%llu", (unsigned long long)S.conf.max_hard[metric]);
		return;
	}
	bound = live_by_addr(c->addr);
	if (bound) {
		reply_error(c, req, MP_ERR_STATE, "address already bound to "
			    "contract %llu",
			    (unsigned long long)bound->rec.serial);
		return;
	}
	q = &S.quotes[S.quote_next++ % MAX_QUOTES];
	memset(q, 0, sizeof(*q));
	if (store_next_serial(S.st, "contract", &q->serial)) {
		reply_error(c, req, MP_ERR_INTERNAL, "store");
		return;
	}
	q->item = *item;
	q->soft = soft;
	q->hard = hard;
	q->deposit = contract_cost(item->price, item->unit, hard);
	q->expiry = now + S.conf.offer_ttl_s;
	snprintf(q->addr, sizeof(q->addr), "%s", c->addr);
	mp_init(&m, MP_T_QUOTE, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_SERIAL, q->serial);
	mp_set_u(&m, MP_A_AMOUNT, q->deposit);
	mp_set_u(&m, MP_A_METRIC, metric);
	mp_set_u(&m, MP_A_METHOD, method);
	mp_set_u(&m, MP_A_PRIVACY, privacy);
	mp_set_u(&m, MP_A_SOFT, soft);
	mp_set_u(&m, MP_A_HARD, hard);
	mp_set_u(&m, MP_A_EXPIRY, now + S.conf.lifetime_s);
	mp_set_u(&m, MP_A_PRICE, item->price);
	mp_set_u(&m, MP_A_UNIT, item->unit);
	queue(c, &m);
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

static int sign_receipt(struct contract_rec *r)
{
	struct receipt rc = {
		.serial = r->serial, .issued = r->issued, .expiry = r->expiry,
		.metric = r->metric, .method = r->method,
		.privacy = r->privacy, .soft = r->soft, .hard = r->hard,
		.deposit = r->deposit, .price = r->price, .unit = r->unit,
	};
	int err;

	mask_payref(r, rc.payref, sizeof(rc.payref));
	err = receipt_sign(&S.kr, &rc, r->receipt);
	if (err) {
		log_warnx("receipt %llu: %s", (unsigned long long)r->serial,
			  receipt_strerror(err));
		return -1;
	}
	r->key_id = rc.key_id;
	r->receipt_len = RECEIPT_LEN;
	return 0;
}

/* Bind l to addr in the kernel and the store; l is UNBOUND. */
static int do_bind(struct live *l, const char *addr, uint64_t now)
{
	struct contract_rec save = l->rec;
	uint64_t used;
	int restore;

	if (step(l, CE_BIND, 0, now))
		return MP_ERR_STATE;
	snprintf(l->rec.addr, sizeof(l->rec.addr), "%s", addr);
	/* Usage goes back into the module only if it lost the contract: a
	 * contract unbound when its SA or lease went away still counts
	 * there, and restoring would count its usage twice. */
	restore = kernel_contract_usage(S.k, &l->rec, &used) != 0;
	if (kpush(l, restore) || kernel_addr_bind(S.k, addr, l->rec.serial)) {
		int notunnel = errno == EPERM;

		l->rec = save;
		return notunnel ? MP_ERR_PERM : MP_ERR_INTERNAL;
	}
	if (persist(l)) {
		kernel_addr_unbind(S.k, addr);
		l->rec = save;
		return MP_ERR_INTERNAL;
	}
	log_info("contract %llu: bound to %s",
		 (unsigned long long)l->rec.serial, addr);
	return 0;
}

static void h_deposit(struct conn *c, const struct mp_msg *req)
{
	uint64_t now = now_s();
	struct quote *q = NULL;
	const struct payment_method *pm;
	struct contract_rec r;
	struct live *l;
	char err[160] = "";
	int rc;

	for (unsigned i = 0; i < MAX_QUOTES; i++)
		if (S.quotes[i].serial == req->u[MP_A_SERIAL] &&
		    S.quotes[i].expiry > now)
			q = &S.quotes[i];
	/* Online payment is bound to the tunnel it came through (§2.4). */
	if (!q || strcmp(q->addr, c->addr)) {
		reply_error(c, req, MP_ERR_UNKNOWN, "no such quote");
		return;
	}
	if (req->u[MP_A_METHOD] != q->item.method) {
		reply_error(c, req, MP_ERR_PAYMENT, "method differs from the "
			    "request");
		return;
	}
	if (mp_has(req, MP_A_AMOUNT) && req->u[MP_A_AMOUNT] != q->deposit) {
		reply_error(c, req, MP_ERR_PAYMENT, "deposit is %llu",
			    (unsigned long long)q->deposit);
		return;
	}
	if (live_by_addr(c->addr)) {
		reply_error(c, req, MP_ERR_STATE, "address already bound");
		return;
	}
	pm = payment_method_get(q->item.method);
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
	r.expiry = now + S.conf.lifetime_s;
	r.usage_at = now;

	if (store_begin(S.st)) {
		reply_error(c, req, MP_ERR_INTERNAL, "store");
		return;
	}
	if (pm->deposit(S.st, &r, mp_has(req, MP_A_PAYMENT) ?
			req->s[MP_A_PAYMENT] : NULL, now, err, sizeof(err))) {
		store_rollback(S.st);
		reply_error(c, req, MP_ERR_PAYMENT, "%s", err);
		return;
	}
	if (sign_receipt(&r)) {
		store_rollback(S.st);
		reply_error(c, req, MP_ERR_INTERNAL, "receipt");
		return;
	}
	/* Contract established and bound in step 4 (§6): suspended. */
	r.state = CS_SUSPENDED;
	snprintf(r.addr, sizeof(r.addr), "%s", c->addr);
	if (store_contract_put(S.st, &r) ||
	    kernel_contract_push(S.k, &r, r.state, 0) ||
	    kernel_addr_bind(S.k, c->addr, r.serial)) {
		int notunnel = errno == EPERM;

		store_rollback(S.st);
		kernel_contract_del(S.k, r.serial);
		if (notunnel)	/* require-tunnel; nothing was paid */
			reply_error(c, req, MP_ERR_PERM, "%s has no IPsec "
				    "tunnel: bring the tunnel up, then buy",
				    c->addr);
		else
			reply_error(c, req, MP_ERR_INTERNAL,
				    "establishment failed");
		return;
	}
	if (store_commit(S.st)) {
		store_rollback(S.st);
		kernel_addr_unbind(S.k, c->addr);
		kernel_contract_del(S.k, r.serial);
		reply_error(c, req, MP_ERR_INTERNAL, "store commit");
		return;
	}
	q->serial = 0;
	l = live_add(&r);
	if (!l) {
		reply_error(c, req, MP_ERR_INTERNAL, "memory");
		return;
	}
	log_info("contract %llu: established (%s %s, deposit %llu) for %s",
		 (unsigned long long)r.serial, mp_metric_name(r.metric),
		 pm->name, (unsigned long long)r.deposit, c->addr);
	(void)rc;
	reply_status(c, req, &l->rec, MP_T_RECEIPT, 0);
}

/* A receipt presented from another address while bound (Fig 5). */
static void elsewhere(struct conn *c, const struct mp_msg *req, struct live *l,
		      uint64_t now)
{
	if (!l->pending || strcmp(l->other, c->addr)) {
		l->pending = 1;
		snprintf(l->other, sizeof(l->other), "%s", c->addr);
		l->warn_count = 1;
		l->warn_next = now + S.conf.warn_interval_s;
		step(l, CE_ELSEWHERE, 0, now);
		send_warning(l->rec.addr, &l->rec, MP_WARN_ELSEWHERE);
	}
	reply_error(c, req, MP_ERR_ELSEWHERE, "bound to another address; it "
		    "has been warned, retry in %u s",
		    S.conf.warn_interval_s * S.conf.warn_tries);
}

static void h_bind(struct conn *c, const struct mp_msg *req)
{
	uint64_t now = now_s();
	struct live *l = NULL, *mine;
	struct contract_rec r;
	int by_password = mp_has(req, MP_A_PASSWORD);
	int rc;

	if (by_password) {
		for (unsigned i = 0; i < S.nlives; i++) {
			const char *pw = S.lives[i].rec.password;
			size_t n = strlen(pw);

			if (n && n == strlen(req->s[MP_A_PASSWORD]) &&
			    !CRYPTO_memcmp(pw, req->s[MP_A_PASSWORD], n))
				l = &S.lives[i];
		}
		if (!l) {
			reply_error(c, req, MP_ERR_PASSWORD, "password not "
				    "valid for an outstanding contract");
			return;
		}
	} else {
		struct receipt rcpt;

		rc = receipt_verify(&S.kr, req->bytes, req->bytes_len, now,
				    &rcpt);
		if (rc) {
			log_info("%s: receipt rejected: %s", c->addr,
				 receipt_strerror(rc));
			reply_error(c, req, MP_ERR_RECEIPT, "%s",
				    receipt_strerror(rc));
			return;
		}
		l = live_find(rcpt.serial);
		if (!l) {
			rc = store_contract_get(S.st, rcpt.serial, &r);
			if (rc == 0) {
				reply_error(c, req, MP_ERR_EXPIRED, "contract "
					    "%llu is %s",
					    (unsigned long long)r.serial,
					    contract_state_name(r.state));
				return;
			}
			if (rc < 0 || rcpt.metric != MP_METRIC_ELAPSED ||
			    now >= rcpt.expiry) {
				reply_error(c, req, MP_ERR_UNKNOWN, "contract "
					    "unknown");
				return;
			}
			/* §7: an elapsed-time contract recovers from its
			 * receipt alone. */
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
			memcpy(r.receipt, req->bytes, RECEIPT_LEN);
			r.receipt_len = RECEIPT_LEN;
			l = live_add(&r);
			if (!l || persist(l)) {
				reply_error(c, req, MP_ERR_INTERNAL, "store");
				return;
			}
			log_info("contract %llu: recovered from its receipt",
				 (unsigned long long)r.serial);
		} else if (l->rec.receipt_len != req->bytes_len ||
			   CRYPTO_memcmp(l->rec.receipt, req->bytes,
					 req->bytes_len)) {
			reply_error(c, req, MP_ERR_RECEIPT, "not the receipt "
				    "issued for this contract");
			return;
		}
	}
	if (check_limits(l, now)) {
		reply_error(c, req, MP_ERR_EXPIRED, "contract extinguished");
		return;
	}
	if (l->rec.state == CS_IN_SETTLEMENT) {
		reply_error(c, req, MP_ERR_STATE, "contract in settlement");
		return;
	}
	if (contract_is_bound(l->rec.state)) {
		if (strcmp(l->rec.addr, c->addr)) {
			/* A password binds only an unbound contract (§6). */
			if (by_password)
				reply_error(c, req, MP_ERR_STATE, "contract "
					    "already bound");
			else
				elsewhere(c, req, l, now);
			return;
		}
		/* Already bound here (reconnect). */
	} else {
		mine = live_by_addr(c->addr);
		if (mine) {
			reply_error(c, req, MP_ERR_STATE, "address already "
				    "bound to contract %llu",
				    (unsigned long long)mine->rec.serial);
			return;
		}
		rc = do_bind(l, c->addr, now);
		if (rc == MP_ERR_PERM) {
			reply_error(c, req, rc, "%s has no IPsec tunnel: bring "
				    "the tunnel up, then bind", c->addr);
			return;
		}
		if (rc) {
			reply_error(c, req, rc, "bind failed");
			return;
		}
	}
	reply_status(c, req, &l->rec, by_password ? MP_T_RECEIPT : MP_T_STATUS,
		     0);
}

/* The contract of a command: bound to the sender's address. */
static struct live *own(struct conn *c, const struct mp_msg *req)
{
	struct live *l = live_find(req->u[MP_A_SERIAL]);

	if (!l || !contract_is_bound(l->rec.state) ||
	    strcmp(l->rec.addr, c->addr)) {
		reply_error(c, req, MP_ERR_UNKNOWN, "no contract %llu bound "
			    "to %s", (unsigned long long)req->u[MP_A_SERIAL],
			    c->addr);
		return NULL;
	}
	return l;
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
	queue(c, &m);
}

static void terminate(struct conn *c, const struct mp_msg *req,
		      struct live *l, uint64_t now)
{
	struct statement stm;
	struct contract_rec snap;

	if (l->rec.state != CS_IN_SETTLEMENT) {
		if (check_limits(l, now)) {
			reply_error(c, req, MP_ERR_EXPIRED, "contract "
				    "extinguished");
			return;
		}
		if (step(l, CE_TERMINATE, 0, now)) {
			reply_error(c, req, MP_ERR_STATE, "cannot terminate");
			return;
		}
		if (persist(l)) {
			reply_error(c, req, MP_ERR_INTERNAL, "store");
			return;
		}
	}
	if (settle(l, 0, "terminated", now, &stm)) {
		reply_error(c, req, MP_ERR_INTERNAL, "settlement pending");
		return;
	}
	snap = l->rec;
	live_remove(l);
	reply_statement(c, req, &snap, &stm);
}

static void h_command(struct conn *c, const struct mp_msg *req)
{
	uint64_t now = now_s();
	struct live *l = own(c, req);
	int rc = 0;

	if (!l)
		return;
	if (req->type == MP_T_TERMINATE) {
		terminate(c, req, l, now);
		return;
	}
	if (check_limits(l, now)) {
		reply_error(c, req, MP_ERR_EXPIRED, "contract extinguished");
		return;
	}
	switch (req->type) {
	case MP_T_USAGE:
		break;
	case MP_T_START:
		rc = step(l, CE_START, 0, now);
		break;
	case MP_T_SUSPEND:
		rc = step(l, CE_SUSPEND, 0, now);
		break;
	case MP_T_EXTEND:
		rc = step(l, CE_EXTEND, req->u[MP_A_SOFT], now);
		break;
	default:
		return;
	}
	if (rc) {
		reply_error(c, req, rc == CONTRACT_E_LIMIT ? MP_ERR_LIMITS :
			    MP_ERR_STATE, "%s not allowed while %s",
			    mp_type_name(req->type),
			    contract_state_name(l->rec.state));
		return;
	}
	if (req->type != MP_T_USAGE) {
		if (kpush(l, 0) || persist(l)) {
			reply_error(c, req, MP_ERR_INTERNAL, "state change "
				    "failed");
			return;
		}
		/* Started at or past the soft limit (elapsed metric). */
		if (check_limits(l, now)) {
			reply_error(c, req, MP_ERR_EXPIRED, "contract "
				    "extinguished");
			return;
		}
	}
	reply_status(c, req, &l->rec, MP_T_STATUS, 0);
}

static void h_warning_ack(struct conn *c, const struct mp_msg *req)
{
	struct live *l = live_find(req->u[MP_A_SERIAL]);

	/* No reply: acks answer asynchronous warnings. */
	if (l && l->pending && !strcmp(l->rec.addr, c->addr) &&
	    req->u[MP_A_WARNING] == MP_WARN_ELSEWHERE) {
		l->pending = 0;
		log_info("contract %llu: %s answered, %s refused",
			 (unsigned long long)l->rec.serial, c->addr, l->other);
	}
}

/* ---------- operator ---------- */

static int list_cb(const struct contract_rec *r, void *arg)
{
	struct conn *c = arg;
	const struct live *l = live_find(r->serial);
	struct mp_msg req;

	mp_init(&req, MP_T_OP_CONTRACT_LIST, 0, 0);
	reply_status(c, &req, l ? &l->rec : r, MP_T_STATUS, MP_F_MORE);
	return 0;
}

static void h_op(struct conn *c, const struct mp_msg *req)
{
	uint64_t now = now_s();
	struct mp_msg m;
	struct live *l;
	struct statement stm;
	char code[32];

	switch (req->type) {
	case MP_T_OP_VOUCHER_ISSUE: {
		uint64_t exp = mp_has(req, MP_A_EXPIRY) ?
			       req->u[MP_A_EXPIRY] : 0;

		if (store_begin(S.st) ||
		    payment_voucher_issue(S.st, req->u[MP_A_AMOUNT], now, exp,
					  code, sizeof(code)) ||
		    store_commit(S.st)) {
			store_rollback(S.st);
			reply_error(c, req, MP_ERR_INTERNAL, "voucher");
			return;
		}
		mp_init(&m, MP_T_OP_VOUCHER, MP_F_REPLY, req->serial);
		mp_set_s(&m, MP_A_CODE, code);
		mp_set_u(&m, MP_A_BALANCE, req->u[MP_A_AMOUNT]);
		if (exp)
			mp_set_u(&m, MP_A_EXPIRY, exp);
		log_info("voucher issued, value %llu",
			 (unsigned long long)req->u[MP_A_AMOUNT]);
		queue(c, &m);
		return;
	}
	case MP_T_OP_VOUCHER_SHOW: {
		uint64_t bal, exp;

		if (store_voucher_get(S.st, req->s[MP_A_CODE], &bal, &exp)) {
			reply_error(c, req, MP_ERR_UNKNOWN, "no such voucher");
			return;
		}
		mp_init(&m, MP_T_OP_VOUCHER, MP_F_REPLY, req->serial);
		mp_set_s(&m, MP_A_CODE, req->s[MP_A_CODE]);
		mp_set_u(&m, MP_A_BALANCE, bal);
		if (exp)
			mp_set_u(&m, MP_A_EXPIRY, exp);
		queue(c, &m);
		return;
	}
	case MP_T_OP_CONTRACT_CREATE: {
		/* Offline establishment (§6): the desk takes the deposit
		 * (room account or cash) and hands out a password. */
		uint8_t metric = (uint8_t)req->u[MP_A_METRIC];
		uint8_t method = (uint8_t)req->u[MP_A_METHOD];
		const struct payment_method *pm = payment_method_get(method);
		const struct price *p = NULL;
		struct contract_rec r;
		char err[160];

		for (unsigned i = 0; i < S.conf.nprices; i++)
			if (S.conf.prices[i].metric == metric &&
			    S.conf.prices[i].method == method &&
			    S.conf.prices[i].privacy ==
			    (mp_has(req, MP_A_PRIVACY) ?
			     req->u[MP_A_PRIVACY] : 0))
				p = &S.conf.prices[i];
		if (!pm || !pm->offline || !p) {
			reply_error(c, req, MP_ERR_OFFER, "no offline price "
				    "for %s/%s", mp_metric_name(metric),
				    mp_method_name(method));
			return;
		}
		if (!req->u[MP_A_SOFT] || req->u[MP_A_SOFT] > req->u[MP_A_HARD] ||
		    req->u[MP_A_HARD] > S.conf.max_hard[metric]) {
			reply_error(c, req, MP_ERR_LIMITS, "bad limits");
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
			   now + S.conf.lifetime_s;
		r.usage_at = now;
		if (payment_code_generate(r.password, sizeof(r.password)) ||
		    store_begin(S.st)) {
			reply_error(c, req, MP_ERR_INTERNAL, "store");
			return;
		}
		if (store_next_serial(S.st, "contract", &r.serial) ||
		    pm->deposit(S.st, &r, mp_has(req, MP_A_ROOM) ?
				req->s[MP_A_ROOM] : NULL, now, err,
				sizeof(err)) ||
		    sign_receipt(&r) || store_contract_put(S.st, &r) ||
		    store_commit(S.st)) {
			store_rollback(S.st);
			reply_error(c, req, MP_ERR_PAYMENT, "could not create "
				    "the contract");
			return;
		}
		l = live_add(&r);
		if (!l) {
			reply_error(c, req, MP_ERR_INTERNAL, "memory");
			return;
		}
		log_info("contract %llu: offline (%s), deposit %llu",
			 (unsigned long long)r.serial, pm->name,
			 (unsigned long long)r.deposit);
		reply_status(c, req, &l->rec, MP_T_STATUS, 0);
		return;
	}
	case MP_T_OP_CONTRACT_LIST:
		store_contract_foreach(S.st, 0, list_cb, c);
		mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
		queue(c, &m);
		return;
	case MP_T_OP_CONTRACT_SHOW: {
		struct contract_rec r;

		l = live_find(req->u[MP_A_SERIAL]);
		if (l) {
			usage_refresh(l, now);
			reply_status(c, req, &l->rec, MP_T_STATUS, 0);
		} else if (store_contract_get(S.st, req->u[MP_A_SERIAL],
					      &r) == 0) {
			reply_status(c, req, &r, MP_T_STATUS, 0);
		} else {
			reply_error(c, req, MP_ERR_UNKNOWN, "no such contract");
		}
		return;
	}
	case MP_T_OP_CONTRACT_TERMINATE:
	case MP_T_OP_CONTRACT_SETTLE:
		l = live_find(req->u[MP_A_SERIAL]);
		if (!l) {
			reply_error(c, req, MP_ERR_UNKNOWN, "no outstanding "
				    "contract %llu",
				    (unsigned long long)req->u[MP_A_SERIAL]);
			return;
		}
		if (req->type == MP_T_OP_CONTRACT_SETTLE &&
		    l->rec.state != CS_IN_SETTLEMENT) {
			reply_error(c, req, MP_ERR_STATE, "not in settlement");
			return;
		}
		terminate(c, req, l, now);
		return;
	case MP_T_OP_USAGE_ADD:
		l = live_find(req->u[MP_A_SERIAL]);
		if (!l || S.conf.use_kernel ||
		    (l->rec.metric != MP_METRIC_BYTES &&
		     l->rec.metric != MP_METRIC_PACKETS)) {
			reply_error(c, req, MP_ERR_PERM, "usage-add needs "
				    "kernel=no and a bytes/packets contract");
			return;
		}
		/* Only an active contract is metered (§7). */
		if (l->rec.state == CS_ACTIVE &&
		    kernel_usage_add(S.k, l->rec.serial, req->u[MP_A_USAGE])) {
			reply_error(c, req, MP_ERR_INTERNAL, "usage");
			return;
		}
		{
			struct contract_rec snap = l->rec;

			if (check_limits(l, now)) {
				snap.state = CS_EXTINGUISHED;
				store_contract_get(S.st, snap.serial, &snap);
				reply_status(c, req, &snap, MP_T_STATUS, 0);
				return;
			}
		}
		reply_status(c, req, &l->rec, MP_T_STATUS, 0);
		return;
	case MP_T_OP_UNBIND:
		/* Lease or SA expired (Fig 4 unbind). */
		l = live_find(req->u[MP_A_SERIAL]);
		if (!l || step(l, CE_UNBIND, 0, now)) {
			reply_error(c, req, MP_ERR_STATE, "not bound");
			return;
		}
		kernel_addr_unbind(S.k, l->rec.addr);
		l->rec.addr[0] = '\0';
		l->pending = 0;
		kpush(l, 0);
		persist(l);
		reply_status(c, req, &l->rec, MP_T_STATUS, 0);
		return;
	case MP_T_OP_KEY_ROTATE: {
		struct receipt_key nk;
		const struct receipt_key *old = receipt_key_current(&S.kr);
		uint32_t old_id = old ? old->id : 0;
		uint64_t until = now + S.conf.lifetime_s;
		int64_t id;

		/* Old receipts verify until every contract they signed
		 * has expired. */
		for (unsigned i = 0; i < S.nlives; i++)
			if (S.lives[i].rec.key_id == old_id &&
			    S.lives[i].rec.expiry > until)
				until = S.lives[i].rec.expiry;
		id = receipt_keyring_rotate(&S.kr, now, until, &nk);
		if (id < 0 || store_begin(S.st)) {
			reply_error(c, req, MP_ERR_INTERNAL, "rotate");
			return;
		}
		for (unsigned i = 0; i < S.kr.n; i++)
			store_key_put(S.st, &S.kr.keys[i]);
		if (store_commit(S.st)) {
			store_rollback(S.st);
			reply_error(c, req, MP_ERR_INTERNAL, "store");
			return;
		}
		log_info("receipt key %u retired, key %lld current", old_id,
			 (long long)id);
		mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
		mp_set_u(&m, MP_A_KEY_ID, (uint64_t)id);
		queue(c, &m);
		return;
	}
	case MP_T_OP_ROOM_SHOW: {
		struct stmt_line lines[MP_MAX_LINES];
		unsigned n;
		int64_t bal;

		if (store_ledger_lines(S.st, req->s[MP_A_ROOM], lines,
				       MP_MAX_LINES, &n) ||
		    store_ledger_balance(S.st, req->s[MP_A_ROOM], &bal)) {
			reply_error(c, req, MP_ERR_INTERNAL, "ledger");
			return;
		}
		mp_init(&m, MP_T_STATEMENT, MP_F_REPLY, req->serial);
		mp_set_u(&m, MP_A_SERIAL, 0);
		mp_set_s(&m, MP_A_ROOM, req->s[MP_A_ROOM]);
		mp_set_u(&m, MP_A_BALANCE, (uint64_t)(bal < 0 ? 0 : bal));
		for (unsigned i = 0; i < n; i++)
			mp_add_line(&m, lines[i].desc, lines[i].amount,
				    lines[i].credit);
		queue(c, &m);
		return;
	}
	default:
		reply_error(c, req, MP_ERR_PROTO, "unexpected %s",
			    mp_type_name(req->type));
		return;
	}
	(void)stm;
}

static void dispatch(struct conn *c, const struct mp_msg *m)
{
	if (m->flags & (MP_F_REPLY | MP_F_ASYNC)) {
		reply_error(c, m, MP_ERR_PROTO, "replies are not requests");
		return;
	}
	if (m->type >= 128) {
		if (c->kind != K_OP)
			reply_error(c, m, MP_ERR_PERM, "operator only");
		else
			h_op(c, m);
		return;
	}
	switch (m->type) {
	case MP_T_OFFER_GET:
		h_offer_get(c, m);
		break;
	case MP_T_REQUEST:
		h_request(c, m);
		break;
	case MP_T_DEPOSIT:
		h_deposit(c, m);
		break;
	case MP_T_BIND:
		if (c->kind == K_OP)
			reply_error(c, m, MP_ERR_PERM, "bind needs an address");
		else
			h_bind(c, m);
		break;
	case MP_T_USAGE:
	case MP_T_START:
	case MP_T_SUSPEND:
	case MP_T_TERMINATE:
	case MP_T_EXTEND:
		h_command(c, m);
		break;
	case MP_T_WARNING_ACK:
		h_warning_ack(c, m);
		break;
	default:
		reply_error(c, m, MP_ERR_PROTO, "unexpected %s",
			    mp_type_name(m->type));
		break;
	}
}

/* ---------- I/O ---------- */

static void process_input(struct conn *c)
{
	static struct mp_msg m;
	size_t off = 0;

	while (c->state == C_OPEN) {
		int flen = mp_frame_len(c->rbuf + off, c->rlen - off);
		int rc;

		if (flen == MP_E_SHORT)
			break;
		if (flen < 0) {
			S.bad_frames++;
			log_info("%s: bad frame header: %s (%llu bad so far)",
				 c->addr, mp_strerror(flen),
				 (unsigned long long)S.bad_frames);
			reply_error(c, NULL, flen == MP_E_VERSION ?
				    MP_ERR_VERSION : MP_ERR_PROTO, "%s",
				    mp_strerror(flen));
			c->state = C_CLOSING;
			break;
		}
		if ((size_t)flen > c->rlen - off)
			break;
		rc = mp_decode(c->rbuf + off, (size_t)flen, &m);
		off += (size_t)flen;
		if (rc) {
			S.bad_frames++;
			log_info("%s: bad message: %s", c->addr,
				 mp_strerror(rc));
			reply_error(c, NULL, MP_ERR_PROTO, "%s",
				    mp_strerror(rc));
			continue;
		}
		dispatch(c, &m);
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

/* Returns -1 when the connection is finished. */
static int conn_read(struct conn *c)
{
	for (;;) {
		size_t room = sizeof(c->rbuf) - c->rlen;
		ssize_t n;

		if (!room)
			return -1;	/* a frame never exceeds the buffer */
		if (c->ssl) {
			int r;

			ERR_clear_error();	/* see conn_handshake() */
			r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)room);

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_READ)
					break;
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want_write = 1;
					break;
				}
				return -1;
			}
			n = r;
		} else {
			n = read(c->fd, c->rbuf + c->rlen, room);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0)
				return -1;
		}
		c->rlen += (size_t)n;
		process_input(c);
		if (c->state == C_CLOSING)
			break;
	}
	return 0;
}

static int conn_flush(struct conn *c)
{
	c->want_write = 0;
	while (c->wlen) {
		ssize_t n;

		if (c->ssl) {
			int r;

			ERR_clear_error();	/* see conn_handshake() */
			r = SSL_write(c->ssl, c->wbuf, (int)c->wlen);

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ) {
					c->want_write = 1;
					return 0;
				}
				return -1;
			}
			n = r;
		} else {
			n = write(c->fd, c->wbuf, c->wlen);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				c->want_write = 1;
				return 0;
			}
			if (n < 0)
				return -1;
		}
		memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
		c->wlen -= (size_t)n;
	}
	return 0;
}

static int conn_detect(struct conn *c)
{
	uint8_t b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	if (b == 0x16 && S.tls) {
		c->ssl = SSL_new(S.tls);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
			return -1;
		c->state = C_HANDSHAKE;
		return 1;
	}
	/* Plain TCP only inside an ESP tunnel (§5). */
	if (S.conf.allow_plain || !S.conf.tls ||
	    kernel_tunnel_is_esp(S.k, c->addr)) {
		c->state = C_OPEN;
		return 1;
	}
	log_info("%s: plain control channel refused (no ESP tunnel)",
		 c->addr);
	c->state = C_OPEN;
	reply_error(c, NULL, MP_ERR_PERM, "use TLS: the tunnel does not "
		    "encrypt");
	c->state = C_CLOSING;
	return 0;
}

/*
 * OpenSSL's error queue is per thread, shared by every connection, and
 * SSL_get_error() reads it first: an error left there by one connection
 * (a client gone without close_notify: "unexpected eof while reading")
 * would turn another connection's would-block into SSL_ERROR_SSL and close
 * a healthy channel.  Every SSL_accept/SSL_read/SSL_write starts with an
 * empty queue.
 */
static int conn_handshake(struct conn *c)
{
	int r;

	ERR_clear_error();
	r = SSL_accept(c->ssl);

	if (r == 1) {
		c->state = C_OPEN;
		return 1;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = 1;
		return 0;
	default:
		log_info("%s: TLS handshake failed", c->addr);
		return -1;
	}
}

static void conn_event(struct conn *c, short rev)
{
	int rc = 0;

	if (rev & (POLLERR | POLLNVAL)) {
		c->state = C_CLOSING;
		c->wlen = 0;
		return;
	}
	if (c->state == C_DETECT && (rev & (POLLIN | POLLHUP)))
		rc = conn_detect(c);
	if (rc >= 0 && c->state == C_HANDSHAKE)
		rc = conn_handshake(c);
	if (rc >= 0 && c->state == C_OPEN && (rev & (POLLIN | POLLHUP)))
		rc = conn_read(c);
	if (rc >= 0 && (c->wlen || c->want_write) && c->state != C_HANDSHAKE)
		rc = conn_flush(c);
	if (rc < 0) {
		c->state = C_CLOSING;
		c->wlen = 0;
	}
}

static void accept_one(int lfd, enum conn_kind kind)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0) {
		if (errno != EAGAIN)
			log_warn("accept");
		return;
	}
	if (S.nconns >= MAX_CONNS) {
		log_warnx("too many connections");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->kind = kind;
	if (kind == K_OP) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			log_warnx("operator socket: uid refused");
			close(fd);
			free(c);
			return;
		}
		c->state = C_OPEN;
		snprintf(c->addr, sizeof(c->addr), "operator");
	} else {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->state = C_DETECT;
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
				inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12],
					  c->addr, sizeof(c->addr));
			else
				inet_ntop(AF_INET6, &s6->sin6_addr, c->addr,
					  sizeof(c->addr));
		} else {
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&ss)->sin_addr,
				  c->addr, sizeof(c->addr));
		}
	}
	S.conns[S.nconns++] = c;
}

/* ---------- periodic work ---------- */

static void tick(uint64_t now)
{
	for (unsigned i = 0; i < S.nlives;) {
		struct live *l = &S.lives[i];

		if (check_limits(l, now))
			continue;	/* removed: slot i holds another */
		if (l->pending && now >= l->warn_next) {
			if (l->warn_count >= S.conf.warn_tries) {
				/* Fig 5: no answer, the user recovered on
				 * another address; unbind the old one. */
				log_info("contract %llu: %s did not answer, "
					 "unbound", (unsigned long long)
					 l->rec.serial, l->rec.addr);
				kernel_addr_unbind(S.k, l->rec.addr);
				step(l, CE_NO_ANSWER, 0, now);
				l->rec.addr[0] = '\0';
				l->pending = 0;
				kpush(l, 0);
				persist(l);
			} else {
				l->warn_count++;
				l->warn_next = now + S.conf.warn_interval_s;
				send_warning(l->rec.addr, &l->rec,
					     MP_WARN_ELSEWHERE);
			}
		}
		i++;
	}
	if (now >= S.next_ckpt) {
		S.next_ckpt = now + S.conf.checkpoint_s;
		if (!S.nlives || store_begin(S.st))
			return;
		for (unsigned i = 0; i < S.nlives; i++)
			store_usage_checkpoint(S.st, S.lives[i].rec.serial,
					       S.lives[i].rec.usage, now);
		if (store_commit(S.st))
			store_rollback(S.st);
	}
}

static void on_kernel_event(const struct kernel_event *ev, void *arg)
{
	uint64_t now = now_s();
	struct live *l;

	if (ev->type == KEV_ADDR_RELEASED) {
		/* Lease or SA expired on a bound address (Fig 4 unbind). */
		l = live_by_addr(ev->addr);
		if (l && step(l, CE_UNBIND, 0, now) == 0) {
			l->rec.addr[0] = '\0';
			l->pending = 0;
			persist(l);
		}
		return;
	}
	l = live_find(ev->serial);
	if (!l)
		return;
	/* The module refuses the packet that would cross the hard limit, so
	 * the usage it reports can stay below the limit: its hard-limit event
	 * is final (the contract is extinguished in the kernel already). */
	if (ev->type == KEV_HARD_LIMIT && l->rec.state != CS_IN_SETTLEMENT) {
		usage_refresh(l, now);
		extinguish(l, CE_HARD_LIMIT, now);
		return;
	}
	check_limits(l, now);
}

/* ---------- IPsec tunnels: charon's CHILD_SAs over VICI ---------- */

/*
 * muispd records in the module's address entry which SA authenticates the
 * address (tunnel.h has the rules), from ike_watch's events: an SA up
 * records it, a rekey moves it (old SPI kept as previous until charon has
 * destroyed the old SA, which muispd asks about once a second because
 * charon signals nothing), an SA down (deletion or expiry) clears it and
 * unbinds the address's contract.  On every (re)connection the SAs are
 * listed again and every address that has SAs or an identity is checked,
 * so what changed while muispd or charon was away is caught up.
 */

#define IKE_RETRY_S	2

static void ike_lost(const char *why);

static int child_addr(const struct ike_child *c, char *buf, size_t len)
{
	return inet_ntop(c->family, &c->addr, buf, (socklen_t)len) ? 0 : -1;
}

static void sa_of(const struct ike_child *c, struct tun_sa *s)
{
	s->proto = (uint8_t)c->proto;
	s->spi = c->spi_in;
	s->reqid = c->reqid;
}

/* The tunnel-mode CHILD_SAs charon has up for addr: count and *out (to
 * free), or -1 when they cannot be known. */
static long live_sas(const char *addr, struct tun_sa **out)
{
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct ike_child *cs;
	uint8_t bin[16];
	size_t n, m = 0;

	*out = NULL;
	if (!S.ike || inet_pton(fam, addr, bin) != 1)
		return -1;
	n = ike_watch_find(S.ike, fam, bin, NULL, 0);
	if (!n)
		return 0;
	cs = calloc(n, sizeof(*cs));
	*out = calloc(n, sizeof(**out));
	if (!cs || !*out) {
		free(cs);
		free(*out);
		*out = NULL;
		return -1;
	}
	n = ike_watch_find(S.ike, fam, bin, cs, n);
	for (size_t i = 0; i < n; i++)
		if (cs[i].tunnel)
			sa_of(&cs[i], &(*out)[m++]);
	free(cs);
	return (long)m;
}

static const char *fmt_id(const struct tun_id *id, char *buf, size_t len)
{
	char prev[24] = "";

	if (!id->spi)
		return "none";
	if (id->spi_prev)
		snprintf(prev, sizeof(prev), " spi-prev 0x%08x", id->spi_prev);
	snprintf(buf, len, "%s spi 0x%08x%s reqid %u",
		 id->proto == IPPROTO_ESP ? "esp" : "ah", id->spi, prev,
		 id->reqid);
	return buf;
}

/* The SA of a bound address is gone: its contract becomes unbound. */
static void tun_unbind(const char *addr, uint32_t contract, uint64_t now)
{
	struct live *l = live_find(contract);

	if (!l || !contract_is_bound(l->rec.state) ||
	    strcmp(l->rec.addr, addr) || step(l, CE_UNBIND, 0, now))
		return;
	l->rec.addr[0] = '\0';
	l->pending = 0;
	kpush(l, 0);
	persist(l);
	log_info("contract %llu: unbound from %s: its IPsec SA is gone",
		 (unsigned long long)l->rec.serial, addr);
}

typedef int (*tun_edit_fn)(struct tun_id *id, const void *arg);

struct rekey_arg {
	struct tun_sa o, n;
};

static int edit_rekey(struct tun_id *id, const void *arg)
{
	const struct rekey_arg *r = arg;

	return tun_rekey(id, &r->o, &r->n);
}

static int edit_prev_gone(struct tun_id *id, const void *arg)
{
	return tun_prev_gone(id, *(const uint32_t *)arg);
}

static struct prev_sa *prev_find(const char *addr, uint32_t spi)
{
	for (unsigned i = 0; i < S.nprevs; i++)
		if (S.prevs[i].spi == spi && !strcmp(S.prevs[i].addr, addr))
			return &S.prevs[i];
	return NULL;
}

/* After a sync: a previous SPI muispd does not follow (it was restarted,
 * or the old SA went down meanwhile) is dropped. */
static int edit_prev_unfollowed(struct tun_id *id, const void *arg)
{
	if (!id->spi_prev || prev_find(arg, id->spi_prev))
		return 0;
	return tun_prev_gone(id, id->spi_prev);
}

static void prev_add(const char *addr, const struct ike_child *o)
{
	struct prev_sa *p = prev_find(addr, o->spi_in);

	if (!p) {
		if (S.nprevs == S.capprevs) {
			unsigned cap = S.capprevs ? S.capprevs * 2 : 16;
			struct prev_sa *n = realloc(S.prevs, cap * sizeof(*n));

			if (!n)
				return;	/* cleared at the next sync */
			S.prevs = n;
			S.capprevs = cap;
		}
		p = &S.prevs[S.nprevs++];
	}
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	p->ike_id = o->ike_uniqueid;
	p->child_id = o->uniqueid;
	p->spi = o->spi_in;
}

static int prev_del(const char *addr, uint32_t spi)
{
	struct prev_sa *p = prev_find(addr, spi);

	if (!p)
		return 0;
	*p = S.prevs[--S.nprevs];
	return 1;
}

/*
 * Bring the module's entry for addr in line with charon's SAs for it;
 * EDIT (may be NULL) is applied to the recorded identity first.  Returns
 * the identity now recorded in *now_id (when not NULL).
 */
static void tun_sync_addr(const char *addr, tun_edit_fn edit, const void *arg,
			  struct tun_id *now_id)
{
	struct kernel_addr ka, w;
	struct tun_plan p;
	struct tun_sa *live;
	struct tun_id id;
	char b1[64], b2[64];
	long n;

	if (now_id)
		memset(now_id, 0, sizeof(*now_id));
	if (!S.ike || kernel_addr_get(S.k, addr, &ka) < 0)
		return;
	id = ka.e.id;
	if (edit)
		edit(&id, arg);
	n = live_sas(addr, &live);
	if (n < 0)
		return;
	tun_plan(&ka.e, &id, live, (size_t)n, &p);
	free(live);
	if (p.ambiguous)
		log_warnx("%s: %ld CHILD_SAs claim the address: %s", addr, n,
			  p.e.id.spi ? "the bound one stays its SA" :
			  "no SA recorded until one is left");
	if (!p.write) {
		if (now_id)
			*now_id = ka.e.id;
		return;
	}
	w = ka;
	w.e = p.e;
	if (kernel_addr_tunnel(S.k, addr, &w))
		return;
	if (now_id)
		*now_id = p.e.id;
	log_info("%s: tunnel %s -> %s (%s%s)", addr,
		 fmt_id(&ka.e.id, b1, sizeof(b1)),
		 fmt_id(&p.e.id, b2, sizeof(b2)),
		 ka.e.exists ? "" : "new, ",
		 tun_state_name(p.e.state));
	if (p.lost)
		tun_unbind(addr, ka.e.contract, now_s());
}

static void dirty_add(const char *addr, void *arg)
{
	for (unsigned i = 0; i < S.ndirty; i++)
		if (!strcmp(S.dirty[i], addr))
			return;
	if (S.ndirty == S.capdirty) {
		unsigned cap = S.capdirty ? S.capdirty * 2 : 64;
		char (*n)[64] = realloc(S.dirty, cap * sizeof(*n));

		if (!n)
			return;
		S.dirty = n;
		S.capdirty = cap;
	}
	snprintf(S.dirty[S.ndirty++], sizeof(S.dirty[0]), "%s", addr);
}

static void on_child_up(void *arg, const struct ike_child *c)
{
	char addr[64];

	if (child_addr(c, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u up for %s: %s spi 0x%08x reqid %u",
		  c->uniqueid, addr, c->proto == IPPROTO_ESP ? "esp" : "ah",
		  c->spi_in, c->reqid);
	if (S.ike_syncing)
		dirty_add(addr, NULL);
	else
		tun_sync_addr(addr, NULL, NULL, NULL);
}

static void on_child_down(void *arg, const struct ike_child *c)
{
	uint32_t spi = c->spi_in;
	char addr[64];

	if (child_addr(c, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u down for %s: spi 0x%08x", c->uniqueid,
		  addr, spi);
	prev_del(addr, spi);	/* an IKE_SA going down lists its old SAs */
	if (S.ike_syncing)
		dirty_add(addr, NULL);
	else
		tun_sync_addr(addr, edit_prev_gone, &spi, NULL);
}

static void on_child_rekey(void *arg, const struct ike_child *o,
			   const struct ike_child *n)
{
	struct rekey_arg r;
	struct tun_id now;
	char addr[64];

	if (child_addr(n, addr, sizeof(addr)))
		return;
	log_debug("vici: CHILD_SA %u rekeyed to %u for %s: spi 0x%08x -> "
		  "0x%08x", o->uniqueid, n->uniqueid, addr, o->spi_in,
		  n->spi_in);
	sa_of(o, &r.o);
	sa_of(n, &r.n);
	/* Applied at once, also during a sync: the identity must move
	 * before the old SA looks gone. */
	tun_sync_addr(addr, edit_rekey, &r, &now);
	if (now.spi == n->spi_in && now.spi_prev == o->spi_in)
		prev_add(addr, o);
}

/* Is each old SA still there?  Clear the previous SPI of those gone. */
static void tun_probe_prevs(void)
{
	struct prev_sa *snap;
	unsigned n = S.nprevs;

	if (!S.ike || !n)
		return;
	/* callbacks run during the probes may change the list */
	snap = malloc(n * sizeof(*snap));
	if (!snap)
		return;
	memcpy(snap, S.prevs, n * sizeof(*snap));
	for (unsigned i = 0; i < n && S.ike; i++) {
		int r = ike_watch_child_listed(S.ike, snap[i].ike_id,
					       snap[i].child_id, snap[i].spi);

		if (r < 0) {
			ike_lost("list-sas");
			break;
		}
		if (r == 0 && prev_del(snap[i].addr, snap[i].spi)) {
			log_debug("vici: old SA 0x%08x of %s is gone",
				  snap[i].spi, snap[i].addr);
			tun_sync_addr(snap[i].addr, edit_prev_gone,
				      &snap[i].spi, NULL);
		}
	}
	free(snap);
}

static void ike_lost(const char *why)
{
	log_warnx("vici: connection to charon lost (%s), reconnecting", why);
	ike_watch_close(S.ike);
	S.ike = NULL;
	S.ike_retry = now_s() + 1;
}

/* Connect to charon if configured and not connected, then resync. */
static void ike_connect(uint64_t now)
{
	static const struct ike_watch_ops ops = {
		.child_up = on_child_up,
		.child_down = on_child_down,
		.child_rekey = on_child_rekey,
	};
	int n;

	if (S.ike || !S.conf.vici[0] || !S.conf.use_kernel ||
	    now < S.ike_retry)
		return;
	S.ike_retry = now + IKE_RETRY_S;
	S.ike = ike_watch_open(S.conf.vici, &ops, NULL);
	if (!S.ike) {
		if (!S.ike_logged)
			log_warn("vici: cannot reach charon at %s (retrying "
				 "every %d s)", S.conf.vici, IKE_RETRY_S);
		S.ike_logged = 1;
		return;
	}
	S.ike_logged = 0;
	ike_watch_conn(S.ike)->timeout_ms = 3000;
	S.ndirty = 0;
	S.ike_syncing = 1;
	n = ike_watch_sync(S.ike);
	S.ike_syncing = 0;
	if (n < 0) {
		ike_lost("list-sas");
		return;
	}
	/* every address with SAs (listed above) or with an identity */
	kernel_addr_tunnels(S.k, dirty_add, NULL);
	for (unsigned i = 0; i < S.ndirty && S.ike; i++)
		tun_sync_addr(S.dirty[i], edit_prev_unfollowed, S.dirty[i],
			      NULL);
	log_info("vici: connected to charon at %s: %d CHILD_SAs up, %u "
		 "addresses checked", S.conf.vici, n, S.ndirty);
	S.ndirty = 0;
}

/* ---------- start-up and loop ---------- */

static int load_cb(const struct contract_rec *r, void *arg)
{
	struct live *l = live_add(r);
	uint64_t now = *(uint64_t *)arg;

	if (!l)
		return -1;
	if (r->state == CS_ACTIVE)
		l->active_since = now;
	/* Crash or reboot: the kernel keeps its counters across a daemon
	 * crash; after a reboot it gets the last checkpoint back. */
	if (contract_is_bound(r->state)) {
		uint64_t used;

		if (kernel_contract_usage(S.k, r, &used) != 0) {
			if (!S.conf.use_kernel && r->usage &&
			    (r->metric == MP_METRIC_BYTES ||
			     r->metric == MP_METRIC_PACKETS))
				kernel_usage_add(S.k, r->serial, r->usage);
			kpush(l, 1);
			if (kernel_addr_bind(S.k, r->addr, r->serial) &&
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
static void unbind_refused(uint64_t now)
{
	for (unsigned i = 0; i < S.nlives; i++) {
		struct live *l = &S.lives[i];

		if (!l->unbind_on_load || step(l, CE_UNBIND, 0, now))
			continue;
		log_info("contract %llu: %s has no IPsec tunnel any more, "
			 "unbound", (unsigned long long)l->rec.serial,
			 l->rec.addr);
		l->unbind_on_load = 0;
		l->rec.addr[0] = '\0';
		kpush(l, 0);
		persist(l);
	}
}

static int open_listeners(void)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr_un su;
	int one = 1;

	memset(&s6, 0, sizeof(s6));
	memset(&s4, 0, sizeof(s4));
	if (inet_pton(AF_INET6, S.conf.listen, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(S.conf.port);
		S.lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
		if (S.lfd >= 0) {
			int zero = 0;

			setsockopt(S.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		}
	} else if (inet_pton(AF_INET, S.conf.listen, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(S.conf.port);
		S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
	} else {
		log_warnx("listen: bad address %s", S.conf.listen);
		return -1;
	}
	if (S.lfd < 0)
		return -1;
	setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if ((s6.sin6_family ?
	     bind(S.lfd, (struct sockaddr *)&s6, sizeof(s6)) :
	     bind(S.lfd, (struct sockaddr *)&s4, sizeof(s4))) ||
	    listen(S.lfd, 512)) {
		log_warn("listen %s port %u", S.conf.listen, S.conf.port);
		return -1;
	}
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	snprintf(su.sun_path, sizeof(su.sun_path), "%s", S.conf.socket);
	unlink(S.conf.socket);
	S.ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (S.ufd < 0)
		return -1;
	{
		mode_t old = umask(077);
		int rc = bind(S.ufd, (struct sockaddr *)&su, sizeof(su));

		umask(old);
		if (rc || listen(S.ufd, 16)) {
			log_warn("operator socket %s", S.conf.socket);
			return -1;
		}
	}
	return 0;
}

static int tls_init(void)
{
	if (!S.conf.tls)
		return 0;
	S.tls = SSL_CTX_new(TLS_server_method());
	if (!S.tls ||
	    !SSL_CTX_set_min_proto_version(S.tls, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(S.tls, S.conf.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(S.tls, S.conf.key,
					SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(S.tls) != 1) {
		log_warnx("TLS: cannot use %s / %s: %s", S.conf.cert,
			  S.conf.key, ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	SSL_CTX_set_mode(S.tls, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return 0;
}

int server_init(const struct muispd_conf *conf)
{
	uint64_t now = now_s();

	memset(&S, 0, sizeof(S));
	S.conf = *conf;
	S.lfd = S.ufd = -1;
	if (tls_init())
		return -1;
	if (conf->provider_port)
		payment_online_config(conf->provider_host,
				      conf->provider_port, conf->currency);
	if (store_open(conf->database, &S.st))
		return -1;
	if (store_keys_load(S.st, &S.kr))
		return -1;
	if (!receipt_key_current(&S.kr)) {
		struct receipt_key k;
		int64_t id = receipt_keyring_rotate(&S.kr, now, 0, &k);

		if (id < 0 || store_key_put(S.st, &k))
			return -1;
		log_info("receipt key %lld created", (long long)id);
	}
	if (kernel_open(conf->use_kernel, &S.k))
		return -1;
	if (store_contract_foreach(S.st, 1, load_cb, &now))
		return -1;
	unbind_refused(now);
	if (conf->vici[0] && !conf->use_kernel)
		log_warnx("vici %s ignored: no kernel module (kernel no)",
			  conf->vici);
	log_info("%u outstanding contracts restored", S.nlives);
	S.next_ckpt = now + conf->checkpoint_s;
	return open_listeners();
}

void server_shutdown(void)
{
	S.quit = 1;
}

static void final_checkpoint(void)
{
	uint64_t now = now_s();

	for (unsigned i = 0; i < S.nlives; i++)
		usage_refresh(&S.lives[i], now);
	S.next_ckpt = 0;
	tick(now);
}

int server_run(void)
{
	static struct pollfd pfd[MAX_CONNS + 4];
	uint64_t now, next_tick = 0;

	ike_connect(now_s());
	while (!S.quit) {
		unsigned n = 0, base;
		int kfd = kernel_event_fd(S.k);
		int ifd = S.ike ? ike_watch_fd(S.ike) : -1;

		pfd[n].fd = S.lfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = S.ufd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = kfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = ifd;
		pfd[n++].events = POLLIN;
		base = n;
		for (unsigned i = 0; i < S.nconns; i++) {
			struct conn *c = S.conns[i];

			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->wlen || c->want_write)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
		if (poll(pfd, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return -1;
		}
		if (pfd[0].revents & POLLIN)
			accept_one(S.lfd, K_USER);
		if (pfd[1].revents & POLLIN)
			accept_one(S.ufd, K_OP);
		/* POLLERR is a pending ENOBUFS: the read clears it. */
		if (kfd >= 0 && (pfd[2].revents & (POLLIN | POLLERR)))
			kernel_events(S.k, on_kernel_event, NULL);
		/* charon: events, or the socket closed (charon stopped) */
		if (ifd >= 0 && S.ike &&
		    (pfd[3].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    ike_watch_dispatch(S.ike) < 0)
			ike_lost(strerror(errno));
		/* Connections: index i still matches pfd[base + i] because
		 * new ones were appended after the snapshot. */
		for (unsigned i = 0; i < n - base; i++)
			if (pfd[base + i].revents)
				conn_event(S.conns[i], pfd[base + i].revents);
		/* Metering, warnings and checkpoints once a second, however
		 * busy the channel is. */
		now = now_s();
		if (now >= next_tick) {
			tick(now);
			ike_connect(now);
			tun_probe_prevs();
			next_tick = now + 1;
		}
		/* Flush replies and warnings queued by others' events. */
		for (unsigned i = 0; i < S.nconns;) {
			struct conn *c = S.conns[i];

			if (c->state == C_OPEN && c->wlen && conn_flush(c))
				c->state = C_CLOSING;
			if (c->state == C_CLOSING) {
				if (c->wlen)
					conn_flush(c);
				conn_free(c);
				S.conns[i] = S.conns[--S.nconns];
				continue;
			}
			i++;
		}
	}
	final_checkpoint();
	for (unsigned i = 0; i < S.nconns; i++)
		conn_free(S.conns[i]);
	S.nconns = 0;
	close(S.lfd);
	close(S.ufd);
	unlink(S.conf.socket);
	ike_watch_close(S.ike);
	S.ike = NULL;
	free(S.dirty);
	free(S.prevs);
	kernel_close(S.k);
	store_close(S.st);
	SSL_CTX_free(S.tls);
	free(S.lives);
	return 0;
}
