// SPDX-License-Identifier: GPL-2.0
/*
 * Payment method "roam" (payment_radius.h): a partner ISP's user buys
 * with user@realm and a password.  authorize sends an Access-Request
 * through muispd's auth radclient (the visited FreeRADIUS proxies it by
 * realm to the home server) and keeps the Accept in memory by contract
 * serial; deposit, inside establish()'s transaction, turns it into the
 * contract's limits before the receipt is signed and records it in
 * radius_auth (for accounting: User-Name, Class, interim, idle time-out);
 * the charge is owed by the partner, on the ledger "realm:REALM".
 *
 * The password lives only in the request in flight (wiped when it ends):
 * never logged, never stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <sqlite3.h>

#include "acct.h"
#include "contract.h"
#include "log.h"
#include "muispd.h"
#include "payment_radius.h"
#include "radclient.h"

#define ROAM_KEEP_S	  300 /* an Accept waits this long for deposit */
#define ROAM_REPLY_MAX	  200 /* Reply-Message shown to the user */
#define ROAM_PASSWORD_MAX 128 /* RFC 2865 §5.2 */
/* Password guessing through the partners' servers: an address with
 * ROAM_FAIL_MAX Access-Rejects within ROAM_FAIL_WINDOW_S is refused
 * here (MP_ERR_BUSY) until the window ends; an Accept clears it. */
#define ROAM_FAIL_MAX	   5
#define ROAM_FAIL_WINDOW_S 60
#define ROAM_FAIL_SLOTS	   64

struct rq;
struct accepted;

struct roam {
	struct payment_method m;
	struct roam *me; /* itself, writable (m comes const) */
	struct muispd *md;
	struct rq *rqs;	       /* Access-Requests in flight */
	struct accepted *accs; /* Accepts waiting for deposit */
	struct roam_fail {     /* Access-Rejects by address */
		char addr[64];
		uint64_t since; /* mono ms of the first in the window */
		unsigned n;
	} fails[ROAM_FAIL_SLOTS];
};

/* One Access-Request. */
struct rq {
	struct roam *ro;
	struct rq *next;
	struct radclient_req *req;
	sd_event_source *timer; /* radius-auth-timeout */
	uint64_t serial;
	char user[254], realm[64], addr[64];
	char password[ROAM_PASSWORD_MAX + 1];
	payment_done_fn done;
	void *arg;
};

struct accepted {
	struct accepted *next;
	uint64_t serial, until; /* mono ms */
	struct roam_auth a;
};

static struct roam *roam_of(const struct payment_method *m)
{
	return ((const struct roam *)m)->me;
}

static const char unreachable[] =
	"the roaming server did not answer; try again in a minute";

/* --- the Accept and the limits (pure; tests/unit/test_roam.c) --- */

static uint32_t vsa_u32(const struct rad_pkt *p, uint32_t vendor, uint8_t vtype,
			int *found)
{
	const uint8_t *v;
	size_t n;

	*found = 0;
	if (rad_find_vsa(p, vendor, vtype, &v, &n) || n != 4)
		return 0;
	*found = 1;
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	       (uint32_t)v[2] << 8 | v[3];
}

int roam_accept_parse(const struct rad_pkt *p, const char *identity,
		      struct roam_auth *out)
{
	const uint8_t *v;
	const char *at;
	size_t off = 0, n;
	uint8_t type;
	uint64_t chilli, mk, mkg;
	int fc, fm, fg;

	memset(out, 0, sizeof(*out));
	if (p->code != RAD_ACCESS_ACCEPT)
		return -1;
	/* RFC 2865 §5.1: the Accept's User-Name is the one to account */
	if (!rad_find(p, RAD_USER_NAME, &v, &n) && n &&
	    n < sizeof(out->user_name) && !memchr(v, 0, n))
		memcpy(out->user_name, v, n);
	else
		snprintf(out->user_name, sizeof(out->user_name), "%s",
			 identity);
	at = strrchr(identity, '@');
	snprintf(out->realm, sizeof(out->realm), "%s", at ? at + 1 : "");
	while (!rad_next(p, &off, &type, &v, &n)) {
		if (type != RAD_CLASS)
			continue;
		if (out->class_len + 2 + n > sizeof(out->class_tlv)) {
			log_warnx("roam %s: Class attributes over %zu bytes "
				  "dropped",
				  identity, sizeof(out->class_tlv));
			break;
		}
		out->class_tlv[out->class_len++] = RAD_CLASS;
		out->class_tlv[out->class_len++] = (uint8_t)(n + 2);
		memcpy(out->class_tlv + out->class_len, v, n);
		out->class_len += n;
	}
	/* integers of the wrong length are ignored, like absent ones */
	if (rad_find_u32(p, RAD_SESSION_TIMEOUT, &out->session_timeout))
		out->session_timeout = 0;
	if (rad_find_u32(p, RAD_IDLE_TIMEOUT, &out->idle_timeout))
		out->idle_timeout = 0;
	if (rad_find_u32(p, RAD_ACCT_INTERIM_INTERVAL, &out->interim))
		out->interim = 0;
	/* the byte quota: the smaller of the vendors' that are set (0 is no
	 * limit for both, as CoovaChilli and RouterOS read them) */
	chilli = vsa_u32(p, RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS,
			 &fc);
	mk = vsa_u32(p, RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, &fm);
	mkg = vsa_u32(p, RAD_VENDOR_MIKROTIK,
		      RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, &fg);
	mk += mkg << 32;
	if (fc && chilli)
		out->quota = chilli;
	if ((fm || fg) && mk && (!out->quota || mk < out->quota))
		out->quota = mk;
	return 0;
}

int roam_limits_apply(struct contract_rec *c, const struct roam_auth *a,
		      uint64_t now, char *err, size_t errlen)
{
	if (a->quota && c->metric != MP_METRIC_BYTES) {
		snprintf(err, errlen,
			 "your home ISP limits your bytes: buy a bytes "
			 "offer");
		return -1;
	}
	if (a->session_timeout) {
		uint64_t end = now + a->session_timeout;

		if (end < c->expiry)
			c->expiry = end;
		if (c->metric == MP_METRIC_ELAPSED &&
		    a->session_timeout < c->hard)
			c->hard = a->session_timeout;
	}
	if (a->quota && a->quota < c->hard)
		c->hard = a->quota;
	if (c->soft > c->hard)
		c->soft = c->hard;
	/* the partner owes at most what the limits can cost */
	c->deposit = contract_cost(c->price, c->unit, c->hard);
	return 0;
}

/* --- radius_auth --- */

int roam_auth_put(struct store *st, uint64_t serial, const struct roam_auth *a,
		  uint64_t now)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO radius_auth (serial, user_name, realm,"
		" class, session_timeout, idle_timeout, quota, interim, at)"
		" VALUES (?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)serial);
	sqlite3_bind_text(s, 2, a->user_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->realm, -1, SQLITE_STATIC);
	if (a->class_len)
		sqlite3_bind_blob(s, 4, a->class_tlv, (int)a->class_len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, a->session_timeout);
	sqlite3_bind_int64(s, 6, a->idle_timeout);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)a->quota);
	sqlite3_bind_int64(s, 8, a->interim);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)now);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void col_text(sqlite3_stmt *s, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

int roam_auth_get(struct store *st, uint64_t serial, struct roam_auth *out)
{
	static const char sql[] =
		"SELECT user_name, realm, class, session_timeout,"
		" idle_timeout, quota, interim FROM radius_auth"
		" WHERE serial = ?";
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)serial);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 2);

		col_text(s, 0, out->user_name, sizeof(out->user_name));
		col_text(s, 1, out->realm, sizeof(out->realm));
		if (n > 0 && (size_t)n <= sizeof(out->class_tlv)) {
			memcpy(out->class_tlv, sqlite3_column_blob(s, 2),
			       (size_t)n);
			out->class_len = (size_t)n;
		}
		out->session_timeout = (uint32_t)sqlite3_column_int64(s, 3);
		out->idle_timeout = (uint32_t)sqlite3_column_int64(s, 4);
		out->quota = (uint64_t)sqlite3_column_int64(s, 5);
		out->interim = (uint32_t)sqlite3_column_int64(s, 6);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 1 : -1;
	}
	sqlite3_finalize(s);
	return rc;
}

/* --- Access-Requests --- */

static void accepted_drop(struct roam *ro, uint64_t serial)
{
	uint64_t now = muispd_mono_ms(ro->md);

	for (struct accepted **pp = &ro->accs; *pp;) {
		struct accepted *x = *pp;

		if (x->serial == serial || x->until < now) {
			*pp = x->next;
			free(x);
		} else {
			pp = &x->next;
		}
	}
}

/* x (allocated, x->a filled) waits for the deposit of contract serial. */
static void accepted_keep(struct roam *ro, uint64_t serial, struct accepted *x)
{
	accepted_drop(ro, serial);
	x->serial = serial;
	x->until = muispd_mono_ms(ro->md) + ROAM_KEEP_S * 1000;
	x->next = ro->accs;
	ro->accs = x;
}

static struct accepted *accepted_find(struct roam *ro, uint64_t serial)
{
	for (struct accepted *x = ro->accs; x; x = x->next)
		if (x->serial == serial)
			return x;
	return NULL;
}

static void rq_free(struct rq *k)
{
	for (struct rq **pp = &k->ro->rqs; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	if (k->req)
		radclient_cancel(k->req);
	sd_event_source_disable_unref(k->timer);
	explicit_bzero(k->password, sizeof(k->password));
	free(k);
}

/* The end of a request: the caller hears rc/text, k is gone. */
static void rq_end(struct rq *k, int rc, const char *text)
{
	payment_done_fn done = k->done;
	void *arg = k->arg;
	char t[ROAM_REPLY_MAX + 64];

	snprintf(t, sizeof(t), "%s", text);
	rq_free(k);
	done(arg, rc, t);
}

/* Printable ASCII of a Reply-Message, at most ROAM_REPLY_MAX bytes. */
static void reply_text(const struct rad_pkt *p, char *out, size_t cap)
{
	const uint8_t *v;
	size_t n, o = 0;

	out[0] = '\0';
	if (rad_find(p, RAD_REPLY_MESSAGE, &v, &n))
		return;
	for (size_t i = 0; i < n && o + 1 < cap && o < ROAM_REPLY_MAX; i++)
		out[o++] = v[i] >= 0x20 && v[i] <= 0x7e ? (char)v[i] : ' ';
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The slot of addr (add: a free or the oldest one, reset). */
static struct roam_fail *fail_slot(struct roam *ro, const char *addr, int add)
{
	uint64_t now = muispd_mono_ms(ro->md);
	struct roam_fail *old = &ro->fails[0];

	for (unsigned i = 0; i < ROAM_FAIL_SLOTS; i++) {
		struct roam_fail *f = &ro->fails[i];

		if (f->n && now - f->since >= ROAM_FAIL_WINDOW_S * 1000)
			f->n = 0; /* window over */
		if (f->n && !strcmp(f->addr, addr))
			return f;
		if (!f->n || (old->n && f->since < old->since))
			old = f;
	}
	if (!add)
		return NULL;
	snprintf(old->addr, sizeof(old->addr), "%s", addr);
	old->since = now;
	old->n = 0;
	return old;
}

/* Seconds addr must still wait, 0 none. */
static unsigned fail_wait(struct roam *ro, const char *addr)
{
	struct roam_fail *f = fail_slot(ro, addr, 0);
	uint64_t end;

	if (!f || f->n < ROAM_FAIL_MAX)
		return 0;
	end = f->since + ROAM_FAIL_WINDOW_S * 1000;
	return (unsigned)((end - muispd_mono_ms(ro->md) + 999) / 1000);
}

static void rq_reply(void *arg, int result, const struct rad_pkt *p)
{
	struct rq *k = arg;
	struct roam *ro = k->ro;
	char msg[ROAM_REPLY_MAX + 64], ref[RECEIPT_PAYREF_LEN + 1];
	struct roam_fail *f;
	struct accepted *x;

	k->req = NULL; /* radclient is done with it */
	if (result != RADCLIENT_REPLY) {
		log_warnx("roam %s (contract %llu): no answer from the RADIUS "
			  "servers",
			  k->user, (unsigned long long)k->serial);
		rq_end(k, MP_ERR_ROAM_UNREACHABLE, unreachable);
		return;
	}
	switch (p->code) {
	case RAD_ACCESS_ACCEPT:
		x = calloc(1, sizeof(*x));
		if (!x || roam_accept_parse(p, k->user, &x->a)) {
			free(x);
			rq_end(k, -1, "memory");
			return;
		}
		accepted_keep(ro, k->serial, x);
		log_info("roam %s (contract %llu): accepted (session-timeout "
			 "%u, quota %llu, idle %u, interim %u, class %zu "
			 "bytes)",
			 k->user, (unsigned long long)k->serial,
			 x->a.session_timeout, (unsigned long long)x->a.quota,
			 x->a.idle_timeout, x->a.interim, x->a.class_len);
		f = fail_slot(ro, k->addr, 0);
		if (f)
			f->n = 0;
		snprintf(ref, sizeof(ref), "roam:%.27s", k->realm);
		rq_end(k, 0, ref);
		return;
	case RAD_ACCESS_REJECT:
		fail_slot(ro, k->addr, 1)->n++;
		reply_text(p, msg, sizeof(msg));
		log_info("roam %s (contract %llu): rejected%s%s", k->user,
			 (unsigned long long)k->serial, msg[0] ? ": " : "",
			 msg);
		if (!msg[0])
			snprintf(msg, sizeof(msg),
				 "your home ISP refused the login");
		rq_end(k, MP_ERR_ROAM_REJECT, msg);
		return;
	case RAD_ACCESS_CHALLENGE:
		log_info("roam %s (contract %llu): Access-Challenge refused",
			 k->user, (unsigned long long)k->serial);
		rq_end(k, MP_ERR_ROAM_REJECT,
		       "your home ISP asks for EAP: use the IKEv2 profile");
		return;
	default:
		log_warnx("roam %s: unexpected RADIUS code %u", k->user,
			  p->code);
		rq_end(k, MP_ERR_ROAM_REJECT, "unexpected RADIUS answer");
	}
}

static int rq_timeout(sd_event_source *s, uint64_t usec, void *arg)
{
	struct rq *k = arg;

	log_warnx("roam %s (contract %llu): no answer within "
		  "radius-auth-timeout",
		  k->user, (unsigned long long)k->serial);
	rq_end(k, MP_ERR_ROAM_UNREACHABLE, unreachable);
	return 0;
}

static int put_nas(struct rad_buf *p, const struct radius_conf *rc)
{
	char host[64] = "";
	struct in_addr a4;
	struct in6_addr a6;

	if (rc->nas_identifier[0])
		snprintf(host, sizeof(host), "%s", rc->nas_identifier);
	else if (gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "muisp");
	if (rad_put_str(p, RAD_NAS_IDENTIFIER, host))
		return -1;
	if (inet_pton(AF_INET, rc->nas_ip, &a4) == 1)
		return rad_put(p, RAD_NAS_IP_ADDRESS, &a4, 4);
	if (inet_pton(AF_INET6, rc->nas_ip, &a6) == 1)
		return rad_put(p, RAD_NAS_IPV6_ADDRESS, &a6, 16);
	return 0;
}

static int rq_build(void *arg, struct rad_buf *p, uint64_t now)
{
	struct rq *k = arg;
	struct muispd *md = k->ro->md;
	struct in_addr a4;
	struct in6_addr a6;
	char s[64];

	if (rad_put_str(p, RAD_USER_NAME, k->user) ||
	    rad_put_u32(p, RAD_SERVICE_TYPE, 2) ||  /* Framed */
	    rad_put_u32(p, RAD_NAS_PORT_TYPE, 5) || /* Virtual */
	    put_nas(p, &md->conf.radius))
		return -1;
	if (inet_pton(AF_INET, contract_payer_host(k->addr), &a4) == 1) {
		if (rad_put(p, RAD_FRAMED_IP_ADDRESS, &a4, 4))
			return -1;
	} else if (inet_pton(AF_INET6, contract_payer_host(k->addr), &a6) ==
		   1) {
		if (rad_put(p, RAD_FRAMED_IPV6_ADDRESS, &a6, 16))
			return -1;
	}
	if (md->k) {
		acct_calling_station_id(md, k->addr, s, sizeof(s));
		if (s[0] && rad_put_str(p, RAD_CALLING_STATION_ID, s))
			return -1;
	}
	/* the session to come (accounting on): the home can match them */
	if (!acct_session_id_first(md, k->serial, s, sizeof(s)) &&
	    rad_put_str(p, RAD_ACCT_SESSION_ID, s))
		return -1;
	return 0;
}

/* A configured partner realm (radius-roam-realms)? */
static int realm_known(const struct radius_conf *rc, const char *realm)
{
	for (unsigned i = 0; i < rc->nrealms; i++)
		if (!strcasecmp(rc->realms[i], realm))
			return 1;
	return 0;
}

/*
 * param: "IDENTITY\nSECRET" (channel.c joins MP_A_IDENTITY and
 * MP_A_SECRET: protocol strings hold no newline).
 */
static void roam_authorize(const struct payment_method *self,
			   const struct contract_rec *c, const char *param,
			   payment_done_fn done, void *arg)
{
	struct roam *ro = roam_of(self);
	struct muispd *md = ro->md;
	const char *nl = param ? strchr(param, '\n') : NULL, *at;
	size_t ulen;
	char msg[160];
	unsigned wait;
	struct rq *k;

	if (!nl || nl == param || !nl[1]) {
		done(arg, -1,
		     "roam needs an identity user@realm and a "
		     "password");
		return;
	}
	ulen = (size_t)(nl - param);
	at = memrchr(param, '@', ulen); /* suffix realm: the last @ */
	if (!at || at == param || at + 1 == nl || ulen >= sizeof(k->user) ||
	    strlen(nl + 1) > ROAM_PASSWORD_MAX) {
		done(arg, -1,
		     "identity must be user@realm (at most 253 "
		     "characters), password at most 128");
		return;
	}
	/* "roam:" + realm is the receipt's payref */
	snprintf(msg, sizeof(msg), "%.*s", (int)(nl - at - 1), at + 1);
	if (strlen(msg) + 5 > RECEIPT_PAYREF_LEN ||
	    !realm_known(&md->conf.radius, msg)) {
		log_info("roam: realm %s not configured (radius-roam-realms)",
			 msg);
		snprintf(msg, sizeof(msg),
			 "realm %.*s is not a roaming partner here",
			 (int)(nl - at - 1) > 64 ? 64 : (int)(nl - at - 1),
			 at + 1);
		done(arg, MP_ERR_ROAM_REJECT, msg);
		return;
	}
	wait = fail_wait(ro, c->addr);
	if (wait) {
		log_info("roam: %s refused: %d refused logins within %d s",
			 c->addr, ROAM_FAIL_MAX, ROAM_FAIL_WINDOW_S);
		snprintf(msg, sizeof(msg),
			 "too many refused roaming logins from %.64s: try "
			 "again in %u s",
			 c->addr, wait);
		done(arg, MP_ERR_BUSY, msg);
		return;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		done(arg, -1, "memory");
		return;
	}
	k->ro = ro;
	k->serial = c->serial;
	k->done = done;
	k->arg = arg;
	memcpy(k->user, param, ulen);
	snprintf(k->realm, sizeof(k->realm), "%.*s", (int)(nl - at - 1),
		 at + 1);
	snprintf(k->addr, sizeof(k->addr), "%s", c->addr);
	snprintf(k->password, sizeof(k->password), "%s", nl + 1);
	k->next = ro->rqs;
	ro->rqs = k;
	if (!md->rad_auth) {
		rq_end(k, MP_ERR_ROAM_UNREACHABLE,
		       "roaming is not configured here (no "
		       "radius-auth-server)");
		return;
	}
	if (md->ev && md->conf.radius.auth_timeout_s &&
	    sd_event_add_time_relative(
		    md->ev, &k->timer, CLOCK_MONOTONIC,
		    (uint64_t)md->conf.radius.auth_timeout_s * 1000000, 0,
		    rq_timeout, k) < 0) {
		rq_end(k, -1, "timer");
		return;
	}
	k->req = radclient_send(md->rad_auth, RAD_ACCESS_REQUEST, k->password,
				rq_build, rq_reply, k);
	if (!k->req) {
		rq_end(k, MP_ERR_ROAM_UNREACHABLE, unreachable);
		return;
	}
	log_info("roam %s (contract %llu): Access-Request sent", k->user,
		 (unsigned long long)k->serial);
}

/* param: "roam:REALM", authorize's answer; the Accept by serial. */
static int roam_deposit(const struct payment_method *self, struct store *st,
			struct contract_rec *c, const char *param, uint64_t now,
			char *err, size_t errlen)
{
	struct roam *ro = roam_of(self);
	struct accepted *x = accepted_find(ro, c->serial);

	if (!param || strncmp(param, "roam:", 5) || !x) {
		snprintf(err, errlen, "not authorised by a home ISP");
		return -1;
	}
	if (roam_limits_apply(c, &x->a, now, err, errlen))
		return -1;
	snprintf(c->payref, sizeof(c->payref), "%s", param);
	snprintf(c->room, sizeof(c->room), "realm:%s", param + 5);
	if (store_ledger_add(st, c->room, c->serial, "roaming deposit",
			     c->deposit, 0, now) ||
	    roam_auth_put(st, c->serial, &x->a, now)) {
		snprintf(err, errlen, "store");
		return -1;
	}
	return 0;
}

int payment_roam_accepted(const struct payment_method *m, uint64_t serial,
			  const struct roam_auth *a, char *err, size_t errlen)
{
	struct roam *ro = roam_of(m);
	struct accepted *x;

	if (!realm_known(&ro->md->conf.radius, a->realm)) {
		snprintf(err, errlen,
			 "realm %s is not a roaming partner here "
			 "(radius-roam-realms)",
			 a->realm);
		return -1;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "memory");
		return -1;
	}
	x->a = *a;
	accepted_keep(ro, serial, x);
	return 0;
}

/* Nothing is held at the partner: forget the Accept. */
static void roam_cancel(const struct payment_method *self,
			const struct contract_rec *c, const char *auth,
			payment_done_fn done, void *arg)
{
	accepted_drop(roam_of(self), c->serial);
	done(arg, 0, "");
}

/* The partner owes the charge: the residual back on its ledger. */
static int roam_refund(const struct payment_method *self, struct store *st,
		       const struct contract_rec *c, uint64_t refund,
		       uint64_t now, struct statement *s)
{
	const char *realm = strncmp(c->room, "realm:", 6) ? c->room :
							    c->room + 6;

	if (refund && store_ledger_add(st, c->room, c->serial,
				       "roaming adjustment", refund, 1, now))
		return -1;
	payment_statement_line(
		s, 0, 0, "roaming via %s: billed by your home ISP", realm);
	return 0;
}

const struct payment_method *payment_roam_new(struct muispd *md)
{
	struct roam *ro = calloc(1, sizeof(*ro));

	if (!ro)
		return NULL;
	ro->me = ro;
	ro->md = md;
	ro->m.id = MP_METHOD_ROAM;
	ro->m.name = "roam";
	ro->m.authorize = roam_authorize;
	ro->m.deposit = roam_deposit;
	ro->m.cancel = roam_cancel;
	ro->m.refund = roam_refund;
	return &ro->m;
}

/* Requests in flight end as unreachable (before md->rad_auth goes). */
void payment_roam_free(const struct payment_method *m)
{
	struct roam *ro;

	if (!m)
		return;
	ro = roam_of(m);
	while (ro->rqs)
		rq_end(ro->rqs, MP_ERR_ROAM_UNREACHABLE, "muispd is stopping");
	while (ro->accs) {
		struct accepted *x = ro->accs;

		ro->accs = x->next;
		free(x);
	}
	free(ro);
}
