// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's self-service registration (docs/PROTOCOL.md, MP_T_REGISTER):
 * a client hands its self-signed certificate over the TLS control channel
 * (the router proved its name; the client has no tunnel yet), muispd
 * checks it (reg_check, regcert.c), keeps one per source address in the
 * store and makes the router's charon trust it over VICI (load-cert) before
 * answering, so the client's IKE_AUTH that follows succeeds.
 *
 * Why load-cert (docs/DESIGN.md): in strongSwan 5.9 a certificate loaded
 * either way (load-cert, or a load-conn's remote "certs") lands in vici's
 * one credential set, trusted, and only clear-creds (which also drops the
 * router's own key) takes it out; the "muisp" connection accepts any
 * certificate charon trusts.  So a registration that is retired (unused
 * for register-idle, expired, or forgotten by the operator) leaves a
 * tombstone (fingerprint, subject, when and why; the newest REG_TOMB_MAX
 * kept): it is not reloaded when muispd reconnects to charon, so gone
 * from charon at its next start, and until then muispd terminates every
 * IKE_SA whose remote identity is a tombstone's subject, at once and
 * whenever one comes up (register_child_up).  Registering the
 * certificate or subject again clears its tombstone; one replaced by a
 * new certificate from the same address leaves one too.
 *
 * Registrations are loaded into charon whenever muispd's VICI connection
 * is (re)established (ikesync.c calls register_charon_ready); an IKE
 * CHILD_SA whose remote identity is a registration's subject refreshes
 * its last use (register_sa_up).  Per source address a token bucket
 * (limits.c, on a clock of minutes) bounds the rate; register-max bounds
 * the total.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acct.h"
#include "ike_watch.h"
#include "log.h"
#include "muispd.h"
#include "register.h"

/* charon answers load-cert within this, or the client gets an error */
#define REG_OP_TIMEOUT_S 15

/* ---------- charon ---------- */

/* A registration waiting for charon's answer to its load-cert. */
struct reg_op {
	uint64_t id;
	uint64_t since; /* s */
	struct held h;
	char subject[256];
	uint64_t expiry;
};

static struct reg_op *op_find(struct muispd *md, uint64_t id)
{
	for (unsigned i = 0; i < md->reg.nops; i++)
		if (md->reg.ops[i].id == id)
			return &md->reg.ops[i];
	return NULL;
}

static void op_remove(struct muispd *md, struct reg_op *op)
{
	unsigned i = (unsigned)(op - md->reg.ops);

	md->reg.ops[i] = md->reg.ops[--md->reg.nops];
}

static void reply_registered(struct conn *c, const struct mp_msg *req,
			     const char *subject, uint64_t expiry,
			     const char *how)
{
	struct mp_msg m;
	char text[MP_STR_MAX + 1];

	if (!c)
		return;
	mp_init(&m, MP_T_REGISTERED, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_EXPIRY, expiry);
	snprintf(text, sizeof(text), "registered %.160s: %s", subject, how);
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	mp_set_s(&m, MP_A_MESSAGE, text);
	conn_queue(c, &m);
}

static void on_loaded(void *arg, int err, struct vici_msg *res)
{
	struct muispd *md = arg;
	uint64_t id = md->reg.load_ids ? md->reg.load_ids[0] : 0;
	const char *ok = res ? vici_find_str(&res->root, "success") : NULL;
	const char *why = res ? vici_find_str(&res->root, "errmsg") : NULL;
	int good = !err && ok && !strcmp(ok, "yes");
	struct reg_op *op;

	/* answers come in the order of the requests */
	if (md->reg.nload) {
		memmove(md->reg.load_ids, md->reg.load_ids + 1,
			(md->reg.nload - 1) * sizeof(*md->reg.load_ids));
		md->reg.nload--;
	}
	if (err)
		why = strerror(err);
	if (!good)
		log_warnx("registration: charon refused a certificate: %s",
			  why ? why : "no reason");
	vici_msg_free(res);
	if (!id) { /* the reload: said when complete */
		md->reg.loaded += good;
		if (++md->reg.answered == md->reg.queued)
			log_info("registration: %u of %u certificates loaded "
				 "into charon",
				 md->reg.loaded, md->reg.queued);
		return;
	}
	op = op_find(md, id);
	if (!op)
		return;
	if (good)
		reply_registered(conn_held(md, &op->h), op->h.req, op->subject,
				 op->expiry, "charon trusts it");
	else
		conn_error(conn_held(md, &op->h), op->h.req, MP_ERR_INTERNAL,
			   "the router's charon did not take the "
			   "certificate: try again");
	conn_unhold(md, &op->h);
	op_remove(md, op);
}

/* Queue load-cert for DER; the answer goes to op ID (0: none).  0; -1
 * when charon is not connected or the request cannot be queued (the
 * connection is made again); -2 when DER does not convert (skipped). */
static int charon_load(struct muispd *md, const uint8_t *der, size_t len,
		       uint64_t id)
{
	const unsigned char *p = der;
	struct vici_builder b;
	X509 *x = NULL;
	BIO *bio = NULL;
	char *pem;
	long pemlen;
	uint64_t *ids;
	int rc = -1;

	if (!md->ike.w || !md->ike.ready)
		return -1;
	if (md->reg.nload == md->reg.capload) {
		unsigned cap = md->reg.capload ? md->reg.capload * 2 : 16;

		ids = realloc(md->reg.load_ids, cap * sizeof(*ids));
		if (!ids)
			return -1;
		md->reg.load_ids = ids;
		md->reg.capload = cap;
	}
	x = d2i_X509(NULL, &p, (long)len);
	bio = BIO_new(BIO_s_mem());
	if (!x || !bio || PEM_write_bio_X509(bio, x) != 1) {
		rc = -2;
		goto out;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	vici_builder_init(&b);
	vici_add_kv_str(&b, "type", "X509");
	vici_add_kv_str(&b, "flag", "NONE");
	vici_add_kv(&b, "data", pem, (size_t)pemlen);
	if (vici_builder_finish(&b) == 0 &&
	    vici_command_async(ike_watch_conn(md->ike.w), "load-cert", &b,
			       on_loaded, md) == 0) {
		md->reg.load_ids[md->reg.nload++] = id;
		rc = 0;
	}
	vici_builder_reset(&b);
out:
	BIO_free(bio);
	X509_free(x);
	return rc;
}

static int load_one(const struct reg_rec *r, void *arg)
{
	struct muispd *md = arg;
	int rc = charon_load(md, r->der, r->der_len, 0);

	if (rc == -2) {
		log_warnx("registration of %s: unreadable in the store, "
			  "skipped",
			  r->addr);
		return 0;
	}
	if (rc) {
		md->ike.failed = "load-cert";
		return 1;
	}
	md->reg.queued++;
	return 0;
}

/* muispd is (again) connected to charon: every registration is loaded.
 * charon's load-cert is idempotent (an equal certificate is kept once). */
void register_charon_ready(struct muispd *md)
{
	md->reg.queued = md->reg.answered = md->reg.loaded = 0;
	md->reg.nload = 0; /* a new connection: nothing is outstanding */
	if (store_reg_foreach(md->st, load_one, md) < 0)
		log_warnx("registration: cannot read the store");
	if (md->reg.queued)
		log_info("registration: loading %u certificates into charon",
			 md->reg.queued);
}

/* An IKE CHILD_SA came up (or was rekeyed) for REMOTE_ID. */
void register_sa_up(struct muispd *md, const char *remote_id)
{
	if (remote_id && *remote_id &&
	    store_reg_touch(md->st, remote_id, muispd_now(md)) < 0)
		log_warnx("registration: cannot record the use of %s",
			  remote_id);
}

/* ---------- forgotten registrations ---------- */

/*
 * charon keeps trusting a forgotten certificate until it restarts (see
 * the top): muispd ends every IKE_SA whose remote identity is the
 * subject of a tombstone (and not registered again).  1 if C's IKE_SA
 * is refused (terminate sent, or sent before), else 0.
 */
static int refuse_child(struct muispd *md, const struct ike_child *c)
{
	char why[160];
	unsigned i;

	if (!c->remote_id[0] ||
	    store_reg_tombstone(md->st, c->remote_id, why, sizeof(why)))
		return 0;
	for (i = 0; i < REG_ENDED_MAX; i++)
		if (md->reg.ended[i] == c->ike_uniqueid)
			return 1;
	if (ikesync_terminate(md, c->ike_uniqueid))
		return 0;
	md->reg.ended[md->reg.nended++ % REG_ENDED_MAX] = c->ike_uniqueid;
	md->reg.terminated++;
	log_info("registration of %.160s was forgotten (%s): register again; "
		 "IKE_SA %u from %s terminated",
		 c->remote_id, why, c->ike_uniqueid, c->remote_host);
	return 1;
}

/* A CHILD_SA up, listed after (re)connecting, or rekeyed: its use is
 * recorded, or its IKE_SA is ended if its certificate was forgotten.
 * (From charon's callbacks: the terminate goes out after them.) */
void register_child_up(struct muispd *md, const struct ike_child *c)
{
	if (!refuse_child(md, c))
		register_sa_up(md, c->remote_id);
}

/* Every IKE_SA up of a forgotten certificate ends now: how many were
 * not ended before. */
static unsigned refuse_all(struct muispd *md)
{
	uint64_t before = md->reg.terminated;
	struct ike_child *cs;
	size_t n;

	if (!md->ike.w || !md->ike.ready)
		return 0;
	n = ike_watch_find(md->ike.w, AF_UNSPEC, NULL, NULL, 0);
	cs = n ? calloc(n, sizeof(*cs)) : NULL;
	if (!cs)
		return 0;
	n = ike_watch_find(md->ike.w, AF_UNSPEC, NULL, cs, n);
	for (size_t i = 0; i < n; i++)
		refuse_child(md, &cs[i]);
	free(cs);
	ikesync_arm(md);
	return (unsigned)(md->reg.terminated - before);
}

/* ---------- the message ---------- */

void register_handle(struct muispd *md, struct conn *c,
		     const struct mp_msg *req)
{
	const struct muispd_conf *cf = &md->conf;
	uint64_t now = muispd_now(md), t = muispd_mono_ms(md) / 60;
	struct reg_rec *r = NULL, *other = NULL;
	char msg[200];
	uint64_t n = 0, expiry;
	struct reg_op *op;
	struct src *s;
	int rc;

	if (c->kind != CONN_USER) {
		conn_error(c, req, MP_ERR_PERM,
			   "registration comes from a client's address");
		return;
	}
	/* tokens on a clock of minutes: register-rate a minute */
	s = limits_src(&md->reg.srcs, c->addr, 1, t, cf->register_burst);
	if (!s || !limits_take(s, t, cf->register_rate, cf->register_burst)) {
		md->reg.busy++;
		conn_error(c, req, MP_ERR_BUSY,
			   "too many registrations from %s (%u a minute): "
			   "try again later",
			   c->addr, cf->register_rate);
		return;
	}
	r = calloc(1, sizeof(*r));
	other = calloc(1, sizeof(*other));
	if (!r || !other) {
		conn_error(c, req, MP_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (reg_check(req->cert, req->cert_len, now, &r->c, msg, sizeof(msg))) {
		md->reg.refused++;
		log_info("registration from %s refused: %s", c->addr, msg);
		conn_error(c, req, MP_ERR_CERT, "certificate refused: %s", msg);
		goto out;
	}
	/* IKE identifies the host: a user's connection registers for it */
	snprintf(r->addr, sizeof(r->addr), "%s", contract_payer_host(c->addr));
	memcpy(r->der, req->cert, req->cert_len);
	r->der_len = req->cert_len;
	r->created = r->last_used = now;
	/* another client's subject: its identity in IKE is not this one's */
	rc = store_reg_by_subject(md->st, r->c.subject, other);
	if (rc < 0)
		goto internal;
	if (rc == 0 && strcmp(other->addr, r->addr) &&
	    strcmp(other->c.fpr, r->c.fpr)) {
		md->reg.refused++;
		conn_error(c, req, MP_ERR_CERT,
			   "certificate refused: subject %.120s is registered "
			   "by another client",
			   r->c.subject);
		goto out;
	}
	if (store_reg_count(md->st, r->addr, r->c.fpr, &n))
		goto internal;
	if (n >= cf->register_max) {
		md->reg.busy++;
		log_warnx("registration from %s refused: %llu registrations "
			  "(register-max)",
			  c->addr, (unsigned long long)n);
		conn_error(c, req, MP_ERR_BUSY,
			   "the router holds all the registrations it may "
			   "(%u): try again later",
			   cf->register_max);
		goto out;
	}
	if (store_begin(md->st) || store_reg_put(md->st, r) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		goto internal;
	}
	log_info("registration: %s %s sha256 %s %s", r->addr, r->c.subject,
		 r->c.fpr, r->c.key);
	refuse_all(md); /* the SAs of a certificate it replaced */
	expiry = now + cf->register_idle_s;
	if (expiry > r->c.not_after)
		expiry = r->c.not_after;
	if (!md->ike.w || !md->ike.ready) {
		reply_registered(c, req, r->c.subject, expiry,
				 "charon is not connected: loaded when "
				 "muispd connects to it");
		goto out;
	}
	if (md->reg.nops == md->reg.capops) {
		unsigned cap = md->reg.capops ? md->reg.capops * 2 : 8;

		op = realloc(md->reg.ops, cap * sizeof(*op));
		if (!op)
			goto internal;
		md->reg.ops = op;
		md->reg.capops = cap;
	}
	op = &md->reg.ops[md->reg.nops];
	memset(op, 0, sizeof(*op));
	op->id = ++md->reg.op_seq;
	op->since = now;
	op->expiry = expiry;
	snprintf(op->subject, sizeof(op->subject), "%s", r->c.subject);
	md->reg.accepted++;
	if (charon_load(md, r->der, r->der_len, op->id)) {
		md->ike.failed = "load-cert"; /* connect again, load all */
		reply_registered(c, req, r->c.subject, expiry,
				 "charon is not connected: loaded when "
				 "muispd connects to it");
		goto out;
	}
	/* the reply waits for charon's (on_loaded), or the tick's */
	if (conn_hold(c, req, &op->h)) {
		reply_registered(c, req, r->c.subject, expiry,
				 "charon is loading it");
		goto out;
	}
	md->reg.nops++;
	goto out;
internal:
	conn_error(c, req, MP_ERR_INTERNAL, "registration failed");
out:
	free(r);
	free(other);
}

/* ---------- life cycle ---------- */

int register_open(struct muispd *md)
{
	return limits_init(&md->reg.srcs,
			   (uint32_t)muispd_mono_ms(md) ^ 0x5245u);
}

/* Unused for register-idle, or expired: forgotten (deleted; charon keeps
 * trusting the certificate until it restarts: see the top).  Requests
 * charon never answered (the connection went away) fail.  Once a
 * second, from the tick. */
void register_tick(struct muispd *md, uint64_t now)
{
	uint64_t before = now > md->conf.register_idle_s ?
				  now - md->conf.register_idle_s :
				  0;
	unsigned n = 0;

	for (unsigned i = 0; i < md->reg.nops;) {
		struct reg_op *op = &md->reg.ops[i];

		if (md->ike.w && now < op->since + REG_OP_TIMEOUT_S) {
			i++;
			continue;
		}
		conn_error(conn_held(md, &op->h), op->h.req, MP_ERR_INTERNAL,
			   "the router's charon did not answer: try again");
		conn_unhold(md, &op->h);
		op_remove(md, op);
	}
	limits_gc(&md->reg.srcs, muispd_mono_ms(md) / 60,
		  md->conf.register_rate, md->conf.register_burst);
	if (now < md->reg.next_gc)
		return;
	md->reg.next_gc = now + 60;
	if (store_reg_expire(md->st, before, now, &n) < 0) {
		log_warnx("registration: cannot expire registrations");
		return;
	}
	if (!n)
		return;
	log_info("registration: %u unused or expired registrations "
		 "forgotten",
		 n);
	refuse_all(md);
}

/* ---------- the operator ---------- */

/* OP_REG_LIST: one OP_REG (flag MORE) per registration, oldest use
 * first, then OP_OK. */
struct list_arg {
	struct muispd *md;
	struct conn *c;
	const struct mp_msg *req;
};

static int list_one(const struct reg_rec *r, void *arg)
{
	const struct list_arg *a = arg;
	uint64_t until = r->last_used + a->md->conf.register_idle_s;
	struct mp_msg m;

	mp_init(&m, MP_T_OP_REG, MP_F_REPLY | MP_F_MORE, a->req->serial);
	mp_set_s(&m, MP_A_ADDR, r->addr);
	mp_set_s(&m, MP_A_SUBJECT, r->c.subject);
	mp_set_s(&m, MP_A_KEY_TYPE, r->c.key);
	mp_set_u(&m, MP_A_TIME, r->created);
	mp_set_u(&m, MP_A_LAST_USED, r->last_used);
	mp_set_u(&m, MP_A_EXPIRY,
		 until < r->c.not_after ? until : r->c.not_after);
	conn_queue(a->c, &m);
	return 0;
}

void register_op_list(struct muispd *md, struct conn *c,
		      const struct mp_msg *req)
{
	struct list_arg a = { md, c, req };
	struct mp_msg m;

	if (store_reg_foreach(md->st, list_one, &a) < 0) {
		conn_error(c, req, MP_ERR_INTERNAL, "registrations");
		return;
	}
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}

/* OP_REG_FORGET: the registration of an address or a subject is
 * forgotten now, and its IKE_SA ended. */
void register_op_forget(struct muispd *md, struct conn *c,
			const struct mp_msg *req)
{
	const char *key = mp_has(req, MP_A_ADDR) ? req->s[MP_A_ADDR] :
						   req->s[MP_A_SUBJECT];
	struct reg_rec *r = calloc(1, sizeof(*r));
	char text[MP_STR_MAX + 1];
	unsigned n = 0, ended;
	struct mp_msg m;
	int rc;

	if (!r) {
		conn_error(c, req, MP_ERR_INTERNAL, "out of memory");
		return;
	}
	rc = store_reg_by_key(md->st, key, r);
	if (rc == 1) {
		conn_error(c, req, MP_ERR_UNKNOWN, "no registration of %.200s",
			   key);
		goto out;
	}
	if (rc < 0 || store_begin(md->st) ||
	    store_reg_forget(md->st, key, muispd_now(md), &n) ||
	    store_commit(md->st)) {
		store_rollback(md->st);
		conn_error(c, req, MP_ERR_INTERNAL, "registration");
		goto out;
	}
	log_info("registration: %s %s forgotten by the operator", r->addr,
		 r->c.subject);
	if (live_by_addr(md, r->addr)) /* its SA goes down: ikesync_unbind */
		live_by_addr(md, r->addr)->acct_cause = RAD_TERM_ADMIN_RESET;
	ended = refuse_all(md);
	snprintf(text, sizeof(text),
		 "forgot %.160s of %.60s: %u IKE_SA%s ended", r->c.subject,
		 r->addr, ended, ended == 1 ? "" : "s");
	mp_init(&m, MP_T_OP_OK, MP_F_REPLY, req->serial);
	mp_set_s(&m, MP_A_MESSAGE, text);
	conn_queue(c, &m);
out:
	free(r);
}

void register_close(struct muispd *md)
{
	for (unsigned i = 0; i < md->reg.nops; i++)
		free(md->reg.ops[i].h.req);
	free(md->reg.ops);
	free(md->reg.load_ids);
	limits_free(&md->reg.srcs);
	memset(&md->reg, 0, sizeof(md->reg));
}
