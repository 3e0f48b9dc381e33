// SPDX-License-Identifier: GPL-2.0
/*
 * The meter's side of per-user accounting's key agreement (PROTOCOL.md
 * §9, docs/DESIGN.md "The agent's key agreement"): a multi-user host's agent
 * (muisp-uinfod) opens a TLS control channel with a certificate from
 * agent-ca that names the host's address, and says UINFO_HELLO.  Both
 * ends then export the same key from the TLS session (RFC 5705), so no
 * key crosses the wire; muispd gives it to the module for the address
 * (MUISP_CMD_AGENT_SET) and answers UINFO_WELCOME with its key id and
 * the keep-alive interval.
 *
 * The session keys every address of the host the certificate names
 * (subjectAltName IP, the channel's own first, at most UINFO_ADDRS_MAX):
 * a dual-stack host's IPv4 and IPv6 addresses both, with one key.
 *
 * Who buys (per-user contracts): a user's connection from a host with an
 * agent is asked of that agent before its first request is handled
 * (UINFO_OWNER_GET: the connection's two ends; the agent looks the socket
 * up in its kernel's table, as Edell's useridd did).  A mapped user's
 * connection is then "ID@ADDRESS" (contract.h): what it buys is bound to
 * that user in the module (MUISP_CMD_USER_SET), not to the host's address,
 * and only that user's connections may use it.  Until the answer the
 * request is held and the connection's input waits; no answer within
 * UINFO_OWNER_TIMEOUT_S, an ERROR, or the agent's channel ending refuses
 * the request (BUSY) and closes the connection: a host with an agent
 * never buys for its address on a guess.
 *
 * Out of band (uinfo_hold.c: the router holds and asks; uinfo_report.c:
 * the host reports its users' packets) and standalone (uinfo_usage.c:
 * the host counts) sessions are keyed here too, by UINFO_HELLO's SCHEME.
 *
 * Fail-closed (thesis §4.5.5): when the agent's channel ends, or it is
 * silent for three intervals, the module's agent is closed (no key), and
 * the router forwards nothing to or from the host until it keys again;
 * the host's users would otherwise be charged to the host.  At start,
 * with agents enabled, every agent the module has is closed: muispd does
 * not know the sessions a previous instance had.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "muispd.h"
#include "uapi/muisp.h"

/* A silent agent is lost after this many keep-alive intervals. */
#define UINFO_SILENT_INTERVALS 3
/* An agent answers who owns a connection within this. */
#define UINFO_OWNER_TIMEOUT_S 5

/* A user's connection waiting for its agent to say who opened it. */
struct uinfo_ask {
	struct held h;	 /* the request that waits (conn_hold) */
	uint64_t agent;	 /* the agent's channel (conn id) */
	uint32_t serial; /* of the UINFO_OWNER_GET */
	uint64_t since;	 /* monotonic seconds */
};

static void uinfo_answered(struct muispd *md, struct conn *c, int has_user,
			   uint32_t user, const char *why);

static struct log_rl rl_agent = LOG_RL_INIT(10, 5);

/* The certificate the channel's TLS verified against agent-ca, naming
 * addr: 0, or -1 and why in buf. */
static int uinfo_cert_check(struct conn *c, char *buf, size_t len)
{
	const char *why = NULL;
	X509 *x;
	long v;

	if (!c->ssl)
		why = "an agent needs TLS";
	else if (!(x = SSL_get0_peer_certificate(c->ssl)))
		why = "an agent needs a certificate";
	else if ((v = SSL_get_verify_result(c->ssl)) != X509_V_OK)
		snprintf(buf, len, "certificate refused by agent-ca: %s",
			 X509_verify_cert_error_string(v));
	else if (X509_check_ip_asc(x, c->addr, 0) != 1)
		why = "certificate does not name this address";
	else
		return 0;
	if (why)
		snprintf(buf, len, "%s", why);
	return -1;
}

/* addr as inet_ntop writes it, in out: 0, or -1 if it is no address. */
int uinfo_canon(const char *addr, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[sizeof(struct in6_addr)];
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, addr, a) != 1 ||
	    !inet_ntop(af, a, out, INET6_ADDRSTRLEN))
		return -1;
	return 0;
}

/*
 * The addresses an agent's session keys: first (the channel's), then the
 * other IP addresses x's subjectAltName names, in its order, without
 * repeats, at most max in out.  Returns how many the certificate has room
 * for, so a caller sees when some were left out (> max).
 */
unsigned uinfo_cert_addrs(X509 *x, const char *first,
			  char (*out)[INET6_ADDRSTRLEN], unsigned max)
{
	GENERAL_NAMES *gens =
		X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char a[INET6_ADDRSTRLEN];
	unsigned n = 0, want = 0;
	int i, j;

	if (max && !uinfo_canon(first, out[0]))
		n = want = 1;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_OCTET_STRING *ip;
		int len;

		if (g->type != GEN_IPADD)
			continue;
		ip = g->d.iPAddress;
		len = ASN1_STRING_length(ip);
		if ((len != 4 && len != 16) ||
		    !inet_ntop(len == 4 ? AF_INET : AF_INET6,
			       ASN1_STRING_get0_data(ip), a, sizeof(a)))
			continue;
		for (j = 0; j < (int)n && strcmp(out[j], a); j++)
			;
		if (j < (int)n)
			continue;
		want++;
		if (n < max)
			memcpy(out[n++], a, sizeof(a));
	}
	GENERAL_NAMES_free(gens);
	return want;
}

/* The agent channel keying addr, if any. */
struct conn *uinfo_agent_for(struct muispd *md, const char *addr)
{
	char a[INET6_ADDRSTRLEN];

	/* no walk of every connection on a router without agents */
	if (!md->agent_sessions || uinfo_canon(addr, a))
		return NULL;
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *o = md->conns[i];

		if (!o->agent_key_id || o->state == C_CLOSING)
			continue;
		for (unsigned j = 0; j < o->agent_naddrs; j++)
			if (!strcmp(o->agent_addrs[j], a))
				return o;
	}
	return NULL;
}

/* An agent channel other than c keying one of c's addresses, if any. */
static struct conn *uinfo_other(struct muispd *md, const struct conn *c)
{
	for (unsigned k = 0; k < c->agent_naddrs; k++) {
		struct conn *o = uinfo_agent_for(md, c->agent_addrs[k]);

		if (o && o != c)
			return o;
	}
	return NULL;
}

/* The module's hold queue for an agent of scheme: out of band's alone. */
static int uinfo_hold_queue(const struct muispd *md, int scheme)
{
	return scheme == MP_SCHEME_OUT_OF_BAND ?
		       (int)md->conf.agent_hold_queue :
		       -1;
}

/* c's agent addresses closed in the module (no key), their scheme kept. */
static void uinfo_close_addrs(struct muispd *md, struct conn *c)
{
	for (unsigned i = 0; i < c->agent_naddrs; i++)
		if (kernel_agent_set(md->k, c->agent_addrs[i], NULL, 0,
				     c->agent_scheme,
				     uinfo_hold_queue(md, c->agent_scheme)))
			log_warnx("%s: agent not closed in the module",
				  c->agent_addrs[i]);
	if (c->agent_key_id)
		md->agent_sessions--;
	c->agent_key_id = 0;
	c->agent_naddrs = 0;
}

/* Key ids grow with the clock, so a restarted muispd does not reuse one. */
static uint32_t uinfo_next_key_id(struct muispd *md)
{
	uint64_t now = muispd_now(md);
	uint32_t id = md->agent_key_seq + 1;

	if (now <= UINT32_MAX && (uint32_t)now > id)
		id = (uint32_t)now;
	if (!id)
		id = 1;
	md->agent_key_seq = id;
	return id;
}

void uinfo_hello(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	uint8_t key[MUISP_AGENT_KEY_LEN], ctx[MP_UINFO_CONTEXT_MAX];
	char why[160];
	unsigned i = 0;
	struct conn *old;
	struct mp_msg m;
	uint32_t id = 0;
	size_t n;
	int scheme, oob;

	if (!md->conf.agent_ca[0]) {
		conn_error(c, req, MP_ERR_PERM,
			   "agents are not enabled here (agent-ca)");
		return;
	}
	/* standalone (the host counts per user, uinfo_usage.c) and out of
	 * band packet-based (the host reports its users' packets,
	 * uinfo_report.c) are keyed as in band: no hold queue */
	scheme = mp_has(req, MP_A_SCHEME) ? (int)req->u[MP_A_SCHEME] :
					    MP_SCHEME_IN_BAND;
	oob = scheme == MP_SCHEME_OUT_OF_BAND;
	if (oob && !md->hold) {
		conn_error(c, req, MP_ERR_PERM,
			   "out-of-band agents are not enabled here (no "
			   "agent-hold-queue: see the router's log)");
		return;
	}
	if (uinfo_cert_check(c, why, sizeof(why))) {
		log_ratelimited(&rl_agent, LOG_WARNING, "%s: agent refused: %s",
				c->addr, why);
		conn_error(c, req, MP_ERR_CERT, "%s", why);
		return;
	}
	/* a second hello on a keyed channel: its addresses start over, so
	 * none stays keyed past a failure below without a session */
	if (c->agent_key_id)
		uinfo_close_addrs(md, c);
	n = uinfo_cert_addrs(SSL_get0_peer_certificate(c->ssl), c->addr,
			     c->agent_addrs, UINFO_ADDRS_MAX);
	c->agent_naddrs = n < UINFO_ADDRS_MAX ? n : UINFO_ADDRS_MAX;
	if (n > UINFO_ADDRS_MAX)
		log_warnx("%s: the agent's certificate names %zu addresses: "
			  "the first %u keyed",
			  c->addr, n, UINFO_ADDRS_MAX);
	/* the host's name for its usage records: its certificate's first
	 * address, whichever of them this channel comes from (it names
	 * this one, so it names one) */
	if (!uinfo_cert_addrs(SSL_get0_peer_certificate(c->ssl), "",
			      &c->agent_host, 1))
		memcpy(c->agent_host, c->agent_addrs[0], sizeof(c->agent_host));
	/* the newest session wins: an old one may be a dead agent's */
	while ((old = uinfo_other(md, c))) {
		log_info("%s: agent's earlier channel (%s) replaced", c->addr,
			 old->addr);
		uinfo_close_addrs(md, old);
		conn_close(old);
	}
	id = uinfo_next_key_id(md);
	n = mp_uinfo_context(id, c->addr, ctx, sizeof(ctx));
	if (!n ||
	    SSL_export_keying_material(c->ssl, key, sizeof(key), MP_UINFO_LABEL,
				       strlen(MP_UINFO_LABEL), ctx, n, 1) != 1)
		goto fail;
	for (i = 0; i < c->agent_naddrs; i++)
		if (kernel_agent_set(md->k, c->agent_addrs[i], key, id, scheme,
				     uinfo_hold_queue(md, scheme)))
			goto fail;
	OPENSSL_cleanse(key, sizeof(key));
	c->agent_key_id = id;
	c->agent_scheme = scheme;
	/* a new session's reports start with a full bucket */
	bucket_fill(&c->agent_reports, muispd_mono_ms(md),
		    md->conf.agent_report_burst);
	md->agent_sessions++;
	c->agent_interval = md->conf.agent_keepalive_s;
	if (oob)
		snprintf(why, sizeof(why),
			 ", out of band: its new flows held until it names "
			 "their user");
	else if (scheme == MP_SCHEME_OUT_OF_BAND_PACKET)
		snprintf(why, sizeof(why),
			 ", out of band, packet-based: the host reports its "
			 "users' packets");
	else if (scheme == MP_SCHEME_STANDALONE)
		snprintf(why, sizeof(why),
			 ", standalone: the host counts per user (its "
			 "records as %s)",
			 c->agent_host);
	else
		why[0] = '\0';
	log_info("%s: agent keyed (key id %u) for %u address%s%s", c->addr, id,
		 c->agent_naddrs, c->agent_naddrs == 1 ? "" : "es", why);
	/* the host's blocked users first: the agent applies them before it
	 * tags anything under the key WELCOME gives */
	userblock_session(md, c);
	mp_init(&m, MP_T_UINFO_WELCOME, MP_F_REPLY, req->serial);
	mp_set_u(&m, MP_A_KEY_ID, id);
	mp_set_s(&m, MP_A_ADDR, c->addr);
	mp_set_u(&m, MP_A_INTERVAL, c->agent_interval);
	conn_queue(c, &m);
	return;
fail:
	OPENSSL_cleanse(key, sizeof(key));
	log_warnx("%s: agent key %u not installed", c->addr, id);
	conn_error(c, req, MP_ERR_INTERNAL, "key not installed");
	/* the addresses keyed before the failure are closed again (an old
	 * session's were closed above) */
	c->agent_naddrs = i;
	uinfo_close_addrs(md, c);
}

void uinfo_keepalive(struct muispd *md, struct conn *c,
		     const struct mp_msg *req)
{
	struct mp_msg m;

	(void)md;
	if (!c->agent_key_id) {
		conn_error(c, req, MP_ERR_STATE, "no agent session (hello)");
		return;
	}
	mp_init(&m, MP_T_UINFO_KEEPALIVE, MP_F_REPLY, req->serial);
	conn_queue(c, &m);
}

/* 1 if c is an agent's channel silent too long (conn_deadlines()): by
 * the interval it was told, whatever a reload changed since. */
int uinfo_silent(const struct conn *c, uint64_t now)
{
	/* whole seconds: ">" so that a frame heard at the end of a second
	 * is not called silent a second early (just over 2 intervals) */
	return c->agent_key_id &&
	       now > c->last + UINFO_SILENT_INTERVALS *
				       (uint64_t)c->agent_interval;
}

/* The questions asked of agent channel a fail: it is going. */
static void uinfo_asks_fail(struct muispd *md, const struct conn *a)
{
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];

		if (c->ask && c->ask->agent == a->id)
			uinfo_answered(md, c, 0, 0, "its channel ended");
	}
}

/* c is going (conn_free()): if it was an agent's, the agent is closed
 * and the connections waiting for its answers are refused. */
void uinfo_conn_gone(struct muispd *md, struct conn *c)
{
	if (c->owner_seq) { /* it was asked (even if since replaced) */
		uinfo_asks_fail(md, c);
		uinfo_hold_agent_gone(md, c);
		conn_hold_agent_gone(md, c);
	}
	if (!c->agent_key_id)
		return;
	uinfo_close_addrs(md, c);
	log_warnx("%s: agent's channel ended: the host's traffic is blocked "
		  "until it keys again",
		  c->addr);
}

/* Start-up, with agents enabled: close every agent a previous instance
 * left keyed. */
int uinfo_start(struct muispd *md)
{
	unsigned n = 0;

	if (!md->conf.agent_ca[0])
		return 0;
	if (kernel_agents_close(md->k, &n))
		return -1;
	if (n)
		log_info("%u agents closed until they key again", n);
	return uinfo_hold_open(md);
}

/* The router's end of c (as text) and both ports: 0, or -1. */
static int uinfo_ends(const struct conn *c, char *peer, size_t len,
		      uint16_t *sport, uint16_t *dport)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);

	if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *)&l, &ll) ||
	    getpeername(c->fd, (struct sockaddr *)&r, &rl) ||
	    l.ss_family != r.ss_family ||
	    (l.ss_family != AF_INET && l.ss_family != AF_INET6))
		return -1;
	conn_addr_str(&l, peer, len);
	/* sin_port and sin6_port are at the same offset */
	*dport = ntohs(((const struct sockaddr_in *)&l)->sin_port);
	*sport = ntohs(((const struct sockaddr_in *)&r)->sin_port);
	return 0;
}

/*
 * Ask agent channel a who owns the host's end host:hport of the flow to
 * peer:pport (proto: IPPROTO_UDP, or 0 for TCP, the default the message
 * leaves out).  Returns the question's serial, for the answer.
 */
uint32_t uinfo_owner_get(struct conn *a, const char *host, uint16_t hport,
			 const char *peer, uint16_t pport, int proto)
{
	struct mp_msg m;

	mp_init(&m, MP_T_UINFO_OWNER_GET, 0, ++a->owner_seq);
	mp_set_s(&m, MP_A_ADDR, host);
	mp_set_u(&m, MP_A_SPORT, hport);
	mp_set_s(&m, MP_A_PEER, peer);
	mp_set_u(&m, MP_A_DPORT, pport);
	if (proto)
		mp_set_u(&m, MP_A_PROTO, (uint64_t)proto);
	conn_queue(a, &m);
	return a->owner_seq;
}

/*
 * Before c's first request (req): if c comes from a host with an agent,
 * ask the agent which local user opened it and hold req until it says.
 * 1: req is held (or was refused); 0: go on, c is its address's.
 */
int uinfo_identify(struct muispd *md, struct conn *c, const struct mp_msg *req)
{
	struct conn *a = uinfo_agent_for(md, c->addr);
	char peer[INET6_ADDRSTRLEN];
	uint16_t sport, dport;
	struct uinfo_ask *ask;

	if (!a) {
		/* an agent's host whose agent is not connected: closed */
		int known = md->conf.agent_ca[0] ?
				    kernel_agent_known(md->k, c->addr) :
				    0;

		if (known) {
			conn_error(c, req, MP_ERR_BUSY,
				   "the agent of your host is %s: try again",
				   known < 0 ? "unknown" : "not connected");
			return 1;
		}
		c->identified = 1;
		return 0;
	}
	ask = calloc(1, sizeof(*ask));
	if (!ask || uinfo_ends(c, peer, sizeof(peer), &sport, &dport) ||
	    conn_hold(c, req, &ask->h)) {
		free(ask);
		conn_error(c, req, MP_ERR_INTERNAL,
			   "cannot ask the host's agent who you are");
		return 1;
	}
	ask->agent = a->id;
	ask->serial = uinfo_owner_get(a, c->addr, sport, peer, dport, 0);
	ask->since = muispd_mono_ms(md) / 1000;
	c->ask = ask;
	return 1;
}

/*
 * c's question answered: user (if has_user) opened it, or why it cannot
 * be known (why: the request is refused and c closed).  The held request
 * then goes on, and c's input after it.
 */
static void uinfo_answered(struct muispd *md, struct conn *c, int has_user,
			   uint32_t user, const char *why)
{
	struct uinfo_ask *ask = c->ask;
	char payer[sizeof(c->addr)];

	c->ask = NULL;
	if (why) {
		log_ratelimited(&rl_agent, LOG_WARNING,
				"%s: the host's agent did not say who opened "
				"the connection (%s): refused",
				c->addr, why);
		conn_error(c, ask->h.req, MP_ERR_BUSY,
			   "the agent of your host did not say who you are "
			   "(%s): try again",
			   why);
		conn_close(c);
	} else {
		c->identified = 1;
		if (has_user) {
			/* c->addr is an address here: at most 45 characters */
			snprintf(payer, sizeof(payer), "%u@%.*s", user,
				 INET6_ADDRSTRLEN, c->addr);
			memcpy(c->addr, payer, sizeof(c->addr));
		}
		log_info("%s: connection opened by %s", c->addr,
			 has_user ? "a user of the host" : "the host");
		if (has_user && userblock_is(md, c->addr)) {
			/* the agent drops their packets; this is the
			 * router's own word, for a connection it let by */
			conn_error(c, ask->h.req, MP_ERR_PERM,
				   "%s is blocked by the operator", c->addr);
			conn_close(c);
		} else {
			md->dispatch(md, c, ask->h.req);
		}
	}
	conn_unhold(md, &ask->h);
	free(ask);
}

/* The user connection whose question (agent a, serial) this answers. */
static struct conn *uinfo_asker(struct muispd *md, const struct conn *a,
				uint32_t serial)
{
	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];

		if (c->ask && c->ask->agent == a->id &&
		    c->ask->serial == serial)
			return c;
	}
	return NULL;
}

/* A reply on an agent's channel: UINFO_OWNER or UINFO_BLOCKED, or an
 * ERROR to OWNER_GET or BLOCK. */
void uinfo_reply(struct muispd *md, struct conn *a, const struct mp_msg *m)
{
	struct conn *c = uinfo_asker(md, a, m->serial);
	char why[80];

	if (!c && (uinfo_hold_reply(md, a, m) || conn_hold_reply(md, a, m)))
		return;
	if (!c && userblock_reply(md, a, m))
		return;
	if (!c) /* late (timed out) or for no question: nothing to do */
		return;
	if (m->type == MP_T_UINFO_OWNER) {
		uinfo_answered(md, c, mp_has(m, MP_A_USER),
			       (uint32_t)m->u[MP_A_USER], NULL);
		return;
	}
	snprintf(why, sizeof(why), "%.60s",
		 m->type == MP_T_ERROR && mp_has(m, MP_A_MESSAGE) ?
			 m->s[MP_A_MESSAGE] :
			 mp_type_name(m->type));
	uinfo_answered(md, c, 0, 0, why);
}

/* conn_deadlines(): 1 if c's question went unanswered too long (c is
 * then refused and closing). */
int uinfo_ask_expired(struct muispd *md, struct conn *c, uint64_t now)
{
	if (!c->ask || now < c->ask->since + UINFO_OWNER_TIMEOUT_S)
		return 0;
	uinfo_answered(md, c, 0, 0, "no answer");
	return 1;
}

/* c is going: its question with it. */
void uinfo_ask_free(struct conn *c)
{
	if (!c->ask)
		return;
	free(c->ask->h.req);
	free(c->ask);
	c->ask = NULL;
}
