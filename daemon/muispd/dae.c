// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 5176 Disconnect-Request / CoA-Request listener (see dae.h and
 * docs/DESIGN.md "RADIUS Disconnect and CoA").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acct.h"
#include "dae.h"
#include "evloop.h"
#include "log.h"
#include "muispd.h"

#define DAE_PORT     3799
#define DAE_RX_BURST 64 /* datagrams read per wake-up */

/* The Error-Causes a NAK may carry, for the counters. */
static const uint32_t causes[] = {
	RAD_EC_UNSUPPORTED_ATTRIBUTE, RAD_EC_MISSING_ATTRIBUTE,
	RAD_EC_NAS_ID_MISMATCH,	      RAD_EC_INVALID_REQUEST,
	RAD_EC_UNSUPPORTED_SERVICE,   RAD_EC_INVALID_ATTRIBUTE_VALUE,
	RAD_EC_ADMIN_PROHIBITED,      RAD_EC_SESSION_NOT_FOUND,
	RAD_EC_RESOURCES_UNAVAILABLE, RAD_EC_MULTIPLE_SESSIONS,
};
#define NCAUSES (sizeof(causes) / sizeof(causes[0]))

static const char *const drop_names[__DAE_DROP_COUNT] = {
	[DAE_OK] = "ok",
	[DAE_DROP_CLIENT] = "unknown_client",
	[DAE_DROP_MALFORMED] = "malformed",
	[DAE_DROP_CODE] = "bad_code",
	[DAE_DROP_AUTH] = "bad_authenticator",
	[DAE_DROP_MA] = "bad_message_authenticator",
	[DAE_DROP_TIME] = "event_timestamp",
};

struct dae_cached {
	char src[64];
	uint16_t port;
	uint8_t id, auth[RAD_AUTH_LEN];
	uint64_t at; /* 0: empty */
	size_t len;
	uint8_t reply[RAD_MAX_LEN];
};

/* A Disconnect-Request waiting for a settlement (an online capture) to
 * end before its answer. */
struct dae_pending {
	struct sockaddr_storage ss;
	socklen_t sl;
	char src[64];
	uint16_t port;
	uint64_t since;
	struct dae_action a;
	size_t n;
	uint8_t req[RAD_MAX_LEN];
};

#define DAE_PENDING	 16
#define DAE_PENDING_S	 60	/* then NAK 506 */
#define DAE_PENDING_USEC 200000 /* looked at this often */

struct dae {
	int fd;
	sd_event_source *io, *timer;
	struct dae_pending *pending[DAE_PENDING];
	char listen[64];
	char nas_id[64];
	struct dae_cached *cache; /* DAE_CACHE entries, a ring */
	unsigned cache_next;
	struct {
		uint64_t rx[2], ack[2], nak[2]; /* [0] Disconnect, [1] CoA */
		uint64_t drop[__DAE_DROP_COUNT];
		uint64_t nak_cause[NCAUSES];
		uint64_t duplicate, send_error, ended;
	} n;
};

/* ---------- dae_decide: pure ---------- */

static int client_of(const struct radius_conf *conf, const char *src)
{
	unsigned char a[16], b[16];
	int fam = strchr(src, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, src, a) != 1)
		return -1;
	for (unsigned i = 0; i < conf->ndae && i < RADIUS_MAX_DAE_CLIENTS;
	     i++) {
		const char *c = conf->dae[i].addr;
		int cf = strchr(c, ':') ? AF_INET6 : AF_INET;

		if (cf == fam && inet_pton(cf, c, b) == 1 &&
		    !memcmp(a, b, fam == AF_INET ? 4 : 16))
			return (int)i;
	}
	return -1;
}

/* The identification a request carries (pointers into the packet). */
struct ident {
	const uint8_t *v[5]; /* User-Name, Calling-Station-Id, Session-Id,
			      * Multi-Session-Id, Framed-IP(v6) */
	size_t n[5];
	int v6; /* the address is Framed-IPv6-Address */
};

enum { ID_USER, ID_MAC, ID_SID, ID_MSID, ID_ADDR };

static int text_eq(const uint8_t *v, size_t n, const char *s)
{
	return s[0] && strlen(s) == n && !memcmp(v, s, n);
}

/* Hex digits of a MAC address, lower case: 12, else 0. */
static size_t mac_norm(const char *s, size_t n, char out[13])
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			if (k == 12)
				return 0;
			out[k++] = c;
		} else if (c != ':' && c != '-' && c != '.') {
			return 0;
		}
	}
	out[k] = '\0';
	return k == 12 ? k : 0;
}

static int matches(const struct ident *id, const struct dae_sess *s)
{
	char a[13], b[13];
	unsigned char ip[16];
	const char *dash;

	if (id->v[ID_USER] &&
	    !text_eq(id->v[ID_USER], id->n[ID_USER], s->user_name))
		return 0;
	if (id->v[ID_SID] && !text_eq(id->v[ID_SID], id->n[ID_SID], s->sid))
		return 0;
	if (id->v[ID_MSID]) {
		/* Acct-Multi-Session-Id: the Session-Id without "-BINDNO" */
		dash = strrchr(s->sid, '-');
		if (!dash || (size_t)(dash - s->sid) != id->n[ID_MSID] ||
		    memcmp(s->sid, id->v[ID_MSID], id->n[ID_MSID]))
			return 0;
	}
	if (id->v[ID_MAC] &&
	    (!mac_norm((const char *)id->v[ID_MAC], id->n[ID_MAC], a) ||
	     !mac_norm(s->mac, strlen(s->mac), b) || strcmp(a, b)))
		return 0;
	if (id->v[ID_ADDR] &&
	    (inet_pton(id->v6 ? AF_INET6 : AF_INET,
		       contract_payer_host(s->addr), ip) != 1 ||
	     memcmp(ip, id->v[ID_ADDR], id->n[ID_ADDR])))
		return 0;
	return 1;
}

struct match_ctx {
	const struct ident *id;
	struct dae_action *a;
	struct dae_sess first; /* the first match (a CoA's contract) */
	unsigned n;	       /* matches, may exceed DAE_MAX_MATCH */
};

static int match_one(void *arg, const struct dae_sess *s)
{
	struct match_ctx *m = arg;

	if (!matches(m->id, s))
		return 0;
	if (m->n == 0)
		m->first = *s;
	if (m->n < DAE_MAX_MATCH)
		m->a->serial[m->n] = s->serial;
	m->n++;
	return 0;
}

static uint32_t get_u32(const uint8_t *v)
{
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	       (uint32_t)v[2] << 8 | v[3];
}

/* A CoA's quota VSA: 0 none / applied to *q, or an Error-Cause. */
static uint32_t vsa_check(const uint8_t *v, size_t n, int *has_q, uint64_t *q,
			  int *has_mt, uint64_t *mt_lo, uint64_t *mt_hi)
{
	uint32_t vendor;

	if (n < 6 || v[5] < 2 || v[5] != n - 4)
		return n < 4 ? RAD_EC_INVALID_REQUEST :
			       RAD_EC_UNSUPPORTED_ATTRIBUTE;
	vendor = get_u32(v);
	if (vendor == RAD_VENDOR_CHILLISPOT &&
	    v[4] == RAD_CHILLI_MAX_TOTAL_OCTETS) {
		if (v[5] != 6)
			return RAD_EC_INVALID_REQUEST;
		if (*has_q)
			return RAD_EC_INVALID_REQUEST;
		*has_q = 1;
		*q = get_u32(v + 6);
		return 0;
	}
	if (vendor == RAD_VENDOR_MIKROTIK &&
	    (v[4] == RAD_MIKROTIK_TOTAL_LIMIT ||
	     v[4] == RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS)) {
		int bit = v[4] == RAD_MIKROTIK_TOTAL_LIMIT ? 1 : 2;

		if (v[5] != 6 || (*has_mt & bit))
			return RAD_EC_INVALID_REQUEST;
		*has_mt |= bit;
		*(bit == 1 ? mt_lo : mt_hi) = get_u32(v + 6);
		return 0;
	}
	return RAD_EC_UNSUPPORTED_ATTRIBUTE;
}

/* The first error wins: keep e if set. */
#define NAK(e, cause)                  \
	do {                           \
		if (!(e))              \
			(e) = (cause); \
	} while (0)

/* Authentication, framing, window: the drop reason or DAE_OK. */
static enum dae_drop screen(const struct dae_ctx *ctx, const char *src,
			    const uint8_t *pkt, size_t n, uint64_t now,
			    struct rad_pkt *p, int *client)
{
	const struct radius_conf *conf = ctx->conf;
	const struct rad_server *c;
	uint32_t ts;
	int r;

	*client = client_of(conf, src);
	if (*client < 0)
		return DAE_DROP_CLIENT;
	c = &conf->dae[*client];
	if (rad_parse(pkt, n, p) < 0)
		return DAE_DROP_MALFORMED;
	if (p->code != RAD_DISCONNECT_REQUEST && p->code != RAD_COA_REQUEST)
		return DAE_DROP_CODE;
	r = rad_verify_request(p, c->secret, c->seclen, conf->dae_require_ma);
	if (r == -1)
		return DAE_DROP_AUTH;
	if (r < 0)
		return DAE_DROP_MA;
	r = rad_find_u32(p, RAD_EVENT_TIMESTAMP, &ts);
	if (r == -2)
		return DAE_DROP_MALFORMED;
	if (r == 0 && conf->dae_window_s &&
	    (ts > now ? ts - now : now - ts) > conf->dae_window_s)
		return DAE_DROP_TIME;
	return DAE_OK;
}

/* Types that may appear once at most. */
static int single(uint8_t t)
{
	switch (t) {
	case RAD_USER_NAME:
	case RAD_NAS_IP_ADDRESS:
	case RAD_FRAMED_IP_ADDRESS:
	case RAD_FILTER_ID:
	case RAD_SESSION_TIMEOUT:
	case RAD_CALLING_STATION_ID:
	case RAD_NAS_IDENTIFIER:
	case RAD_ACCT_SESSION_ID:
	case RAD_ACCT_MULTI_SESSION_ID:
	case RAD_EVENT_TIMESTAMP:
	case RAD_NAS_IPV6_ADDRESS:
	case RAD_FRAMED_IPV6_ADDRESS:
		return 1;
	}
	return 0;
}

struct coa_req {
	const uint8_t *timeout, *filter;
	size_t filter_n;
	int has_q, has_mt;
	uint64_t q, mt_lo, mt_hi;
};

/* One attribute: its Error-Cause, or 0. */
static uint32_t attr_check(const struct dae_ctx *ctx, int coa, uint8_t t,
			   const uint8_t *v, size_t n, struct ident *id,
			   struct coa_req *cr)
{
	unsigned char ip[16];
	int slot = -1;

	switch (t) {
	case RAD_USER_NAME:
		slot = ID_USER;
		break;
	case RAD_CALLING_STATION_ID:
		slot = ID_MAC;
		break;
	case RAD_ACCT_SESSION_ID:
		slot = ID_SID;
		break;
	case RAD_ACCT_MULTI_SESSION_ID:
		slot = ID_MSID;
		break;
	case RAD_FRAMED_IP_ADDRESS:
	case RAD_FRAMED_IPV6_ADDRESS:
		if (n != (t == RAD_FRAMED_IP_ADDRESS ? 4u : 16u) ||
		    id->v[ID_ADDR])
			return RAD_EC_INVALID_REQUEST;
		id->v[ID_ADDR] = v;
		id->n[ID_ADDR] = n;
		id->v6 = t == RAD_FRAMED_IPV6_ADDRESS;
		return 0;
	case RAD_NAS_IDENTIFIER:
		if (!n)
			return RAD_EC_INVALID_REQUEST;
		return text_eq(v, n, ctx->nas_id) ? 0 : RAD_EC_NAS_ID_MISMATCH;
	case RAD_NAS_IP_ADDRESS:
	case RAD_NAS_IPV6_ADDRESS: {
		int v6 = t == RAD_NAS_IPV6_ADDRESS;

		if (n != (v6 ? 16u : 4u))
			return RAD_EC_INVALID_REQUEST;
		if (!ctx->nas_ip[0])
			return 0; /* not configured: nothing to compare */
		if (inet_pton(v6 ? AF_INET6 : AF_INET, ctx->nas_ip, ip) != 1 ||
		    memcmp(ip, v, n))
			return RAD_EC_NAS_ID_MISMATCH;
		return 0;
	}
	case RAD_EVENT_TIMESTAMP:
	case RAD_MESSAGE_AUTHENTICATOR:
	case RAD_PROXY_STATE:
	case RAD_REPLY_MESSAGE:
	case RAD_STATE:
		return 0; /* checked already, echoed, or shown to nobody */
	case RAD_SERVICE_TYPE:
		return RAD_EC_UNSUPPORTED_SERVICE; /* no Authorize Only */
	case RAD_SESSION_TIMEOUT:
		if (!coa)
			return RAD_EC_UNSUPPORTED_ATTRIBUTE;
		if (n != 4)
			return RAD_EC_INVALID_REQUEST;
		if (!get_u32(v))
			return RAD_EC_INVALID_ATTRIBUTE_VALUE;
		cr->timeout = v;
		return 0;
	case RAD_FILTER_ID:
		if (!coa)
			return RAD_EC_UNSUPPORTED_ATTRIBUTE;
		if (!n)
			return RAD_EC_INVALID_REQUEST;
		if (!text_eq(v, n, "suspend") && !text_eq(v, n, "resume"))
			return RAD_EC_INVALID_ATTRIBUTE_VALUE;
		cr->filter = v;
		cr->filter_n = n;
		return 0;
	case RAD_VENDOR_SPECIFIC:
		if (!coa)
			return RAD_EC_UNSUPPORTED_ATTRIBUTE;
		return vsa_check(v, n, &cr->has_q, &cr->q, &cr->has_mt,
				 &cr->mt_lo, &cr->mt_hi);
	default:
		return RAD_EC_UNSUPPORTED_ATTRIBUTE;
	}
	if (!n)
		return RAD_EC_INVALID_REQUEST; /* text: at least one octet */
	id->v[slot] = v;
	id->n[slot] = n;
	return 0;
}

/* A CoA's changes to its one contract s, checked: 0 or an Error-Cause. */
static uint32_t coa_changes(const struct coa_req *cr, const struct dae_sess *s,
			    uint64_t now, struct dae_action *a)
{
	int paid = s->method != MP_METHOD_ROAM;

	if (cr->timeout) {
		a->set_expiry = 1;
		a->expiry =
			(s->started ? s->started : now) + get_u32(cr->timeout);
		/* a paid contract's expiry is in its receipt: only earlier */
		if (paid && s->expiry && a->expiry > s->expiry)
			return RAD_EC_ADMIN_PROHIBITED;
	}
	if (cr->has_q || cr->has_mt) {
		if (s->metric != MP_METRIC_BYTES)
			return RAD_EC_UNSUPPORTED_ATTRIBUTE;
		a->set_hard = 1;
		/* both: the smaller, as an Access-Accept's quota is read */
		a->hard = cr->mt_lo | cr->mt_hi << 32;
		if (cr->has_q && (!cr->has_mt || cr->q < a->hard))
			a->hard = cr->q;
		if (!a->hard)
			return RAD_EC_INVALID_ATTRIBUTE_VALUE;
		if (paid && a->hard > s->hard)
			return RAD_EC_ADMIN_PROHIBITED;
	}
	if (cr->filter) {
		int suspend = text_eq(cr->filter, cr->filter_n, "suspend");

		if (s->state == (suspend ? CS_SUSPENDED : CS_ACTIVE))
			return 0; /* already so */
		if (s->state != (suspend ? CS_ACTIVE : CS_SUSPENDED))
			return RAD_EC_INVALID_ATTRIBUTE_VALUE;
		a->filter = suspend ? DAE_FILTER_SUSPEND : DAE_FILTER_RESUME;
	}
	return 0;
}

void dae_decide(const struct dae_ctx *ctx, const char *src, const uint8_t *pkt,
		size_t n, uint64_t now, struct dae_action *a)
{
	struct coa_req cr = { 0 };
	struct ident id = { 0 };
	struct match_ctx m = { &id, a, { 0 }, 0 };
	unsigned char seen[256] = { 0 };
	struct rad_pkt p;
	size_t off = 0, vn;
	const uint8_t *v;
	uint32_t e = 0;
	uint8_t t;
	int coa;

	memset(a, 0, sizeof(*a));
	a->drop = screen(ctx, src, pkt, n, now, &p, &a->client);
	if (a->drop != DAE_OK)
		return;
	a->code = p.code;
	coa = p.code == RAD_COA_REQUEST;
	while (rad_next(&p, &off, &t, &v, &vn) == 0) {
		if (single(t) && seen[t]++)
			NAK(e, RAD_EC_INVALID_REQUEST);
		NAK(e, attr_check(ctx, coa, t, v, vn, &id, &cr));
	}
	if (!e && !id.v[ID_USER] && !id.v[ID_MAC] && !id.v[ID_SID] &&
	    !id.v[ID_MSID] && !id.v[ID_ADDR])
		e = RAD_EC_MISSING_ATTRIBUTE;
	if (!e && ctx->ops->each(ctx->ops->arg, match_one, &m) < 0)
		e = RAD_EC_RESOURCES_UNAVAILABLE;
	if (!e && !m.n)
		e = RAD_EC_SESSION_NOT_FOUND;
	if (!e && (m.n > DAE_MAX_MATCH || (coa && m.n > 1)))
		e = RAD_EC_MULTIPLE_SESSIONS;
	if (!e && coa)
		e = coa_changes(&cr, &m.first, now, a);
	if (e) {
		a->error = e;
		a->nmatch = 0;
		a->set_expiry = a->set_hard = 0;
		a->filter = DAE_FILTER_NONE;
		return;
	}
	a->nmatch = m.n;
}

int dae_reply(const struct dae_action *a, const uint8_t *pkt, size_t n,
	      const uint8_t *sec, size_t seclen, struct rad_buf *out)
{
	struct rad_pkt p;
	size_t off = 0, vn;
	const uint8_t *v;
	uint8_t t, code;

	if (rad_parse(pkt, n, &p) < 0)
		return -1;
	code = (uint8_t)(p.code + (a->error ? 2 : 1)); /* ACK / NAK */
	rad_init(out, code, p.id);
	if (a->error && rad_put_u32(out, RAD_ERROR_CAUSE, a->error) < 0)
		return -1;
	/* RFC 5176 §3.1, §3.3: Proxy-State and State back unchanged */
	while (rad_next(&p, &off, &t, &v, &vn) == 0)
		if ((t == RAD_PROXY_STATE || t == RAD_STATE) &&
		    rad_put(out, t, v, vn) < 0)
			return -1;
	return rad_finish_reply(out, p.auth, sec, seclen,
				rad_count(&p, RAD_MESSAGE_AUTHENTICATOR) > 0);
}

/* ---------- muispd: sessions, applying ---------- */

static int lives_each(void *arg, int (*fn)(void *, const struct dae_sess *),
		      void *fnarg)
{
	struct muispd *md = arg;
	struct acct_session as;

	for (unsigned i = 0; i < md->nlives; i++) {
		const struct contract_rec *r = &md->lives[i].rec;
		struct dae_sess s = {
			.serial = r->serial,
			.state = r->state,
			.metric = r->metric,
			.method = r->method,
			.usage = r->usage,
			.soft = r->soft,
			.hard = r->hard,
			.expiry = r->expiry,
		};
		int rc;

		if (!contract_is_bound(r->state))
			continue;
		snprintf(s.addr, sizeof(s.addr), "%s", r->addr);
		/* its open RADIUS session (none without accounting) */
		rc = acct_session_open(md->st, r->serial, &as);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			snprintf(s.sid, sizeof(s.sid), "%s", as.sid);
			snprintf(s.user_name, sizeof(s.user_name), "%s",
				 as.user_name);
			snprintf(s.mac, sizeof(s.mac), "%s", as.mac);
			s.started = as.started;
		}
		if (fn(fnarg, &s))
			break;
	}
	return 0;
}

static void end_one(struct muispd *md, uint64_t serial, uint64_t now,
		    uint32_t *err)
{
	struct live *l = live_find(md, serial);
	struct contract_rec save, st;

	if (!l || !contract_is_bound(l->rec.state))
		return; /* ended meanwhile (an earlier match's settlement) */
	save = l->rec;
	l->acct_cause = RAD_TERM_ADMIN_RESET;
	session_terminate(md, NULL, NULL, l, now);
	l = live_find(md, serial);
	if (l && !l->settle &&
	    (store_contract_get(md->st, serial, &st) ||
	     contract_is_bound(st.state))) {
		/* the store refused the step: still bound, as stored */
		l->rec = save;
		l->acct_cause = 0;
		*err = RAD_EC_RESOURCES_UNAVAILABLE;
		return;
	}
	md->dae->n.ended++;
	log_info("contract %llu: ended by a RADIUS Disconnect-Request",
		 (unsigned long long)serial);
}

static uint32_t coa_apply(struct muispd *md, const struct dae_action *a,
			  uint64_t now)
{
	struct live *l = live_find(md, a->serial[0]);
	struct contract_rec save;
	int rc = 0;

	if (!l || !contract_is_bound(l->rec.state))
		return RAD_EC_SESSION_NOT_FOUND;
	save = l->rec;
	if (a->set_expiry)
		l->rec.expiry = a->expiry;
	if (a->set_hard) {
		l->rec.hard = a->hard;
		if (l->rec.soft > a->hard)
			l->rec.soft = a->hard;
	}
	if (a->filter)
		rc = session_step(l,
				  a->filter == DAE_FILTER_SUSPEND ? CE_SUSPEND :
								    CE_START,
				  0, now);
	if (rc || session_kpush(md, l, 0) || session_persist(md, l)) {
		l->rec = save;
		if (session_kpush(md, l, 0))
			l->kpush_due = 1; /* the tick pushes it again */
		return rc ? RAD_EC_INVALID_ATTRIBUTE_VALUE :
			    RAD_EC_RESOURCES_UNAVAILABLE;
	}
	log_info("contract %llu: changed by a RADIUS CoA-Request%s%s%s",
		 (unsigned long long)l->rec.serial,
		 a->set_expiry ? " (expiry)" : "",
		 a->set_hard ? " (hard limit)" : "",
		 a->filter == DAE_FILTER_SUSPEND ? " (suspended)" :
		 a->filter == DAE_FILTER_RESUME	 ? " (resumed)" :
						   "");
	/* a limit lowered below the usage, an expiry in the past */
	session_check_limits(md, l, now, NULL);
	return 0;
}

uint32_t dae_apply(struct muispd *md, const struct dae_action *a, uint64_t now)
{
	uint32_t err = 0;

	if (a->drop != DAE_OK || a->error)
		return a->error;
	if (a->code == RAD_DISCONNECT_REQUEST) {
		for (unsigned i = 0; i < a->nmatch && i < DAE_MAX_MATCH; i++)
			end_one(md, a->serial[i], now, &err);
		return err;
	}
	err = coa_apply(md, a, now);
	if (!err)
		acct_interim_soon(md, a->serial[0]);
	return err;
}

/* ---------- the socket ---------- */

static struct log_rl rl_drop = LOG_RL_INIT(10, 5);

static int cause_index(uint32_t e)
{
	for (unsigned i = 0; i < NCAUSES; i++)
		if (causes[i] == e)
			return (int)i;
	return -1;
}

static int src_text(const void *sa, unsigned len, char *out, size_t cap,
		    uint16_t *port)
{
	const struct sockaddr_in *s4 = sa;
	const struct sockaddr_in6 *s6 = sa;

	if (len >= sizeof(*s4) && s4->sin_family == AF_INET) {
		*port = ntohs(s4->sin_port);
		return inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)cap) ?
			       0 :
			       -1;
	}
	if (len >= sizeof(*s6) && s6->sin6_family == AF_INET6) {
		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12,
					 out, (socklen_t)cap) ?
				       0 :
				       -1;
		return inet_ntop(AF_INET6, &s6->sin6_addr, out,
				 (socklen_t)cap) ?
			       0 :
			       -1;
	}
	return -1;
}

static struct dae_cached *cache_find(struct dae *d, const char *src,
				     uint16_t port, const uint8_t *pkt,
				     uint64_t now)
{
	for (unsigned i = 0; i < DAE_CACHE; i++) {
		struct dae_cached *c = &d->cache[i];

		if (c->at && now - c->at < DAE_CACHE_S && c->port == port &&
		    c->id == pkt[1] &&
		    !memcmp(c->auth, pkt + 4, RAD_AUTH_LEN) &&
		    !strcmp(c->src, src))
			return c;
	}
	return NULL;
}

static void cache_put(struct dae *d, const char *src, uint16_t port,
		      const uint8_t *pkt, const struct rad_buf *reply,
		      uint64_t now)
{
	struct dae_cached *c = &d->cache[d->cache_next];

	d->cache_next = (d->cache_next + 1) % DAE_CACHE;
	snprintf(c->src, sizeof(c->src), "%s", src);
	c->port = port;
	c->id = pkt[1];
	memcpy(c->auth, pkt + 4, RAD_AUTH_LEN);
	c->at = now;
	c->len = reply->len;
	memcpy(c->reply, reply->b, reply->len);
}

/* The ACK/NAK of a decided request: counted, logged, remembered.  1, or
 * 0 when it cannot be built. */
static int answer(struct muispd *md, const struct dae_action *a,
		  const uint8_t *pkt, size_t n, const char *addr, uint16_t port,
		  struct rad_buf *out)
{
	struct dae *d = md->dae;
	const struct rad_server *cl = &md->conf.radius.dae[a->client];
	const char *what = a->code == RAD_COA_REQUEST ? "CoA-Request" :
							"Disconnect-Request";
	int ci;

	if (dae_reply(a, pkt, n, cl->secret, cl->seclen, out) < 0)
		return 0;
	if (a->error) {
		d->n.nak[a->code == RAD_COA_REQUEST]++;
		ci = cause_index(a->error);
		if (ci >= 0)
			d->n.nak_cause[ci]++;
		log_info("radius dae: %s from %s: NAK, Error-Cause %u", what,
			 addr, a->error);
	} else {
		d->n.ack[a->code == RAD_COA_REQUEST]++;
		log_info("radius dae: %s from %s: ACK", what, addr);
	}
	cache_put(d, addr, port, pkt, out, muispd_now(md));
	return 1;
}

/* A contract of a's still settling (its method's capture in flight). */
static int settling(struct muispd *md, const struct dae_action *a)
{
	for (unsigned i = 0; i < a->nmatch && i < DAE_MAX_MATCH; i++) {
		const struct live *l = live_find(md, a->serial[i]);

		if (l && l->settle)
			return 1;
	}
	return 0;
}

static struct dae_pending **pending_find(struct dae *d, const char *src,
					 uint16_t port, const uint8_t *pkt)
{
	for (unsigned i = 0; i < DAE_PENDING; i++) {
		struct dae_pending *p = d->pending[i];

		if (p && p->port == port && p->req[1] == pkt[1] &&
		    !memcmp(p->req + 4, pkt + 4, RAD_AUTH_LEN) &&
		    !strcmp(p->src, src))
			return &d->pending[i];
	}
	return NULL;
}

/* Keep the request until its settlement ends: 1, or 0 when there is no
 * room (answered at once). */
static int defer(struct muispd *md, const struct dae_action *a,
		 const uint8_t *pkt, size_t n, const void *src, unsigned srclen,
		 const char *addr, uint16_t port)
{
	struct dae *d = md->dae;
	struct dae_pending *p;
	unsigned i;

	for (i = 0; i < DAE_PENDING && d->pending[i]; i++)
		;
	if (i == DAE_PENDING || srclen > sizeof(p->ss) || n > sizeof(p->req))
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	memcpy(&p->ss, src, srclen);
	p->sl = srclen;
	snprintf(p->src, sizeof(p->src), "%s", addr);
	p->port = port;
	p->since = muispd_now(md);
	p->a = *a;
	p->n = n;
	memcpy(p->req, pkt, n);
	d->pending[i] = p;
	if (d->timer)
		evloop_timer_set(d->timer, DAE_PENDING_USEC);
	log_info("radius dae: Disconnect-Request from %s: answered once "
		 "settled",
		 addr);
	return 1;
}

void dae_settled(struct muispd *md)
{
	struct dae *d = md->dae;
	uint64_t now = muispd_now(md);
	struct rad_buf out;
	unsigned left = 0;

	if (!d)
		return;
	for (unsigned i = 0; i < DAE_PENDING; i++) {
		struct dae_pending *p = d->pending[i];
		int failed = 0;

		if (!p)
			continue;
		if (settling(md, &p->a) && now - p->since < DAE_PENDING_S) {
			left++;
			continue;
		}
		/* the settlement failed (or never ended): still in
		 * settlement, still bound in the module */
		for (unsigned k = 0; k < p->a.nmatch; k++)
			if (live_find(md, p->a.serial[k]))
				failed = 1;
		if (failed)
			p->a.error = RAD_EC_RESOURCES_UNAVAILABLE;
		p->a.client = client_of(&md->conf.radius, p->src);
		if (p->a.client >= 0 &&
		    answer(md, &p->a, p->req, p->n, p->src, p->port, &out) &&
		    sendto(d->fd, out.b, out.len, MSG_DONTWAIT,
			   (struct sockaddr *)&p->ss, p->sl) < 0)
			d->n.send_error++;
		free(p);
		d->pending[i] = NULL;
	}
	if (left && d->timer)
		evloop_timer_set(d->timer, DAE_PENDING_USEC);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	dae_settled(arg);
	return 0;
}

int dae_handle(struct muispd *md, const uint8_t *pkt, size_t n, const void *src,
	       unsigned srclen, struct rad_buf *out)
{
	struct dae *d = md->dae;
	const struct dae_ops ops = { md, lives_each };
	const struct dae_ctx ctx = { &md->conf.radius, d->nas_id,
				     md->conf.radius.nas_ip, &ops };
	uint64_t now = muispd_now(md);
	struct dae_cached *hit;
	struct dae_action a;
	char addr[64];
	uint16_t port;

	if (src_text(src, srclen, addr, sizeof(addr), &port) < 0) {
		d->n.drop[DAE_DROP_CLIENT]++;
		return 0;
	}
	if (n >= RAD_HDR_LEN) {
		hit = cache_find(d, addr, port, pkt, now);
		if (hit) {
			d->n.duplicate++;
			out->len = hit->len;
			memcpy(out->b, hit->reply, hit->len);
			return 1;
		}
		if (pending_find(d, addr, port, pkt)) {
			d->n.duplicate++; /* answered once settled */
			return 0;
		}
	}
	dae_decide(&ctx, addr, pkt, n, now, &a);
	if (a.drop != DAE_OK) {
		d->n.drop[a.drop]++;
		log_ratelimited(&rl_drop, LOG_WARNING,
				"radius dae: dropped a datagram from %s: %s",
				addr, drop_names[a.drop]);
		return 0;
	}
	d->n.rx[a.code == RAD_COA_REQUEST]++;
	if (!a.error)
		a.error = dae_apply(md, &a, now);
	if (!a.error && a.code == RAD_DISCONNECT_REQUEST && settling(md, &a) &&
	    defer(md, &a, pkt, n, src, srclen, addr, port))
		return 0; /* answered by dae_settled() */
	return answer(md, &a, pkt, n, addr, port, out);
}

static int on_datagram(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct muispd *md = arg;
	static uint8_t buf[RAD_MAX_LEN + 1];
	static struct rad_buf out;
	struct sockaddr_storage ss;

	for (unsigned i = 0; i < DAE_RX_BURST && md->dae; i++) {
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		if (dae_handle(md, buf, (size_t)n, &ss, sl, &out) &&
		    sendto(fd, out.b, out.len, MSG_DONTWAIT,
			   (struct sockaddr *)&ss, sl) < 0)
			md->dae->n.send_error++;
	}
	return 0;
}

/* "ADDR:PORT", "[V6]:PORT", or ADDR alone (port 3799); port 0: any. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon, *end;
	unsigned long port = DAE_PORT;
	char *e;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			colon = NULL; /* a bare IPv6 address */
		snprintf(host, sizeof(host), "%.*s",
			 colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &e, 10);
		if (errno || *e || !colon[1] || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int open_socket(struct muispd *md, const char *listen, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (parse_listen(listen, &ss, &len) < 0) {
		log_warnx("radius-dae-listen %s: not ADDR[:PORT]", listen);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
		log_warn("radius-dae-listen %s", listen);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

static int watch(struct muispd *md)
{
	struct dae *d = md->dae;

	if (!md->ev)
		return 0; /* tests: dae_handle() directly */
	if (!d->timer && (evloop_timer(md->ev, &d->timer, DAE_PENDING_USEC, 0,
				       on_timer, md) < 0 ||
			  evloop_timer_stop(d->timer) < 0)) {
		log_warnx("radius-dae-listen: cannot add a timer");
		return -1;
	}
	if (sd_event_add_io(md->ev, &d->io, d->fd, EPOLLIN, on_datagram, md) <
	    0) {
		log_warnx("radius-dae-listen: cannot watch the socket");
		return -1;
	}
	return 0;
}

int dae_open(struct muispd *md)
{
	const struct radius_conf *conf = &md->conf.radius;
	struct dae *d;

	if (!conf->dae_listen[0] || md->dae)
		return 0;
	d = calloc(1, sizeof(*d));
	if (d)
		d->cache = calloc(DAE_CACHE, sizeof(*d->cache));
	if (!d || !d->cache) {
		free(d);
		return -1;
	}
	d->fd = -1;
	if (conf->nas_identifier[0])
		snprintf(d->nas_id, sizeof(d->nas_id), "%s",
			 conf->nas_identifier);
	else if (gethostname(d->nas_id, sizeof(d->nas_id) - 1) < 0)
		d->nas_id[0] = '\0';
	snprintf(d->listen, sizeof(d->listen), "%s", conf->dae_listen);
	md->dae = d;
	if (open_socket(md, d->listen, &d->fd) < 0 || watch(md) < 0) {
		dae_close(md);
		return -1;
	}
	log_info("radius dae: listening on %s, %u client%s", d->listen,
		 conf->ndae, conf->ndae == 1 ? "" : "s");
	return 0;
}

void dae_close(struct muispd *md)
{
	struct dae *d = md->dae;

	if (!d)
		return;
	if (d->io) {
		sd_event_source_set_enabled(d->io, SD_EVENT_OFF);
		sd_event_source_unref(d->io);
	}
	if (d->timer) {
		sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		sd_event_source_unref(d->timer);
	}
	if (d->fd >= 0)
		close(d->fd);
	for (unsigned i = 0; i < DAE_PENDING; i++)
		free(d->pending[i]); /* unanswered: the client retries */
	free(d->cache);
	free(d);
	md->dae = NULL;
}

int dae_reconf(struct muispd *md)
{
	struct dae *d = md->dae;
	const struct radius_conf *conf = &md->conf.radius;
	int fd;

	if (!d)
		return dae_open(md);
	if (!conf->dae_listen[0]) {
		dae_close(md);
		return 0;
	}
	if (conf->nas_identifier[0])
		snprintf(d->nas_id, sizeof(d->nas_id), "%s",
			 conf->nas_identifier);
	if (!strcmp(conf->dae_listen, d->listen))
		return 0;
	if (open_socket(md, conf->dae_listen, &fd) < 0)
		return -1; /* the old socket stays */
	if (d->io) {
		sd_event_source_set_enabled(d->io, SD_EVENT_OFF);
		d->io = sd_event_source_unref(d->io);
	}
	close(d->fd);
	d->fd = fd;
	snprintf(d->listen, sizeof(d->listen), "%s", conf->dae_listen);
	return watch(md);
}

void dae_counters(struct muispd *md, rad_counter_fn fn, void *arg)
{
	struct dae *d = md->dae;
	char name[64];

	if (!d)
		return;
	fn(arg, "dae.disconnect_requests", d->n.rx[0]);
	fn(arg, "dae.disconnect_acks", d->n.ack[0]);
	fn(arg, "dae.disconnect_naks", d->n.nak[0]);
	fn(arg, "dae.coa_requests", d->n.rx[1]);
	fn(arg, "dae.coa_acks", d->n.ack[1]);
	fn(arg, "dae.coa_naks", d->n.nak[1]);
	fn(arg, "dae.contracts_ended", d->n.ended);
	fn(arg, "dae.duplicates", d->n.duplicate);
	fn(arg, "dae.send_errors", d->n.send_error);
	for (unsigned i = 1; i < __DAE_DROP_COUNT; i++) {
		snprintf(name, sizeof(name), "dae.drop_%s", drop_names[i]);
		fn(arg, name, d->n.drop[i]);
	}
	for (unsigned i = 0; i < NCAUSES; i++) {
		snprintf(name, sizeof(name), "dae.nak_%u", causes[i]);
		fn(arg, name, d->n.nak_cause[i]);
	}
}
