// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's TLS session with the router's muispd (uinfod.h), on the
 * daemon's sd-event loop, non-blocking throughout:
 *
 *   IDLE --retry timer--> CONNECTING (each address of the meter in turn)
 *   --> HANDSHAKE (TLS 1.3, the router's certificate checked against ca
 *   and server-name, ours presented) --> HELLO (UINFO_HELLO sent) -->
 *   UP (UINFO_WELCOME: the key exported and handed to ops->up()).
 *
 * Connect to WELCOME must take at most handshake_ms.  Up, a KEEPALIVE
 * goes every interval; one the router sends is answered; any frame
 * counts as heard, and nothing heard for UINFOD_SILENT_INTERVALS
 * intervals, a close, an error or an ERROR from the router ends the
 * session: ops->down(), then a new attempt after the back-off (1 s
 * doubling to retry-max; back to 1 s once a session came up).
 *
 * Up, the router may ask UINFO_OWNER_GET: who opened the host's end of a
 * TCP connection (a user's control channel).  The kernel's socket table
 * answers (lib/sockowner, sock_diag), the uid is mapped through the
 * configuration's users: UINFO_OWNER with the Accounting ID, without one
 * for a user not mapped (the host's own), or an ERROR.  Before WELCOME
 * the router gets ERROR(STATE).
 *
 * The router sends the users its operator blocks (UINFO_BLOCK): the
 * session's list before WELCOME, changes while up.  Each goes to
 * ops->block() and is answered UINFO_BLOCKED once applied; one that
 * cannot be is answered with an ERROR and ends the session (fail closed).
 *
 * Standalone (HELLO's SCHEME 2), once up the session sends the spool's
 * records oldest first (ops->usage_next()), one UINFO_USAGE each with a
 * serial of its own, at most UINFOD_USAGE_INFLIGHT unanswered.  Each
 * UINFO_USAGE_ACK names a record by its SERIAL: ops->usage_acked()
 * deletes it and the next goes; an ack for a record not in flight is
 * logged and ignored.  An ERROR answering a UINFO_USAGE does not end the
 * session: the record stays in the spool and sending stops until
 * uinfod_session_usage_kick() (main.c's next collection).  What is in
 * flight is memory only: a new session sends every record in the spool
 * again (the router stores each once by host and sequence number).
 *
 * Out of band, packet-based (HELLO's SCHEME 3), report.c sends
 * UINFO_REPORT through uinfod_session_send_report() while up: not
 * answered, dropped (-1) when the output queue has no room for it beside
 * the room kept for one frame of any size (answers, keep-alives).  The
 * router answers only a report it refuses, with an ERROR: the serials
 * of the last REPORT_SERIALS (16384) frames sent say which were reports,
 * and such an ERROR is logged (rate-limited) without ending the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "evloop.h"
#include "log.h"
#include "sockowner.h"
#include "uinfod.h"

/* What is queued for the router: a few small frames at most. */
#define OUT_MAX (4 * MP_MAX_FRAME)
/* The last frames sent whose serials say whether they were reports: an
 * ERROR for a report older than that ends the session as any other. */
#define REPORT_SERIALS 16384

enum state { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_HELLO, S_UP };

struct uinfod_session {
	sd_event *e;
	const struct uinfod_conf *conf;
	SSL_CTX *ctx;
	struct uinfod_timing t;
	struct uinfod_session_ops ops;
	void *arg;

	enum state state;
	struct addrinfo *ai_list, *ai; /* CONNECTING: the one tried */
	int fd;
	SSL *ssl;
	sd_event_source *io;
	uint32_t io_events;
	sd_event_source *retry;	    /* IDLE: the next attempt */
	sd_event_source *deadline;  /* handshake, then silence */
	sd_event_source *keepalive; /* UP: every interval */
	uint64_t backoff_ms;	    /* the last wait, 0: none yet */
	uint32_t serial, hello_serial;
	struct uinfod_welcome w;
	char why[256]; /* the attempt's last failure */

	/* standalone: the records sent and not answered, in the order sent
	 * (the frame's serial, the record's); the highest sent this round;
	 * stalled by an ERROR until kicked; waiting for room to send */
	struct {
		uint32_t serial;
		uint64_t seq;
	} fly[UINFOD_USAGE_INFLIGHT];
	unsigned int nfly;
	uint64_t usage_after;
	int usage_stalled, usage_wait_room;
	/* out-of-band-packet: bit serial % REPORT_SERIALS set when the
	 * frame with that serial, among the last REPORT_SERIALS, was a
	 * UINFO_REPORT */
	uint8_t report_serial[REPORT_SERIALS / 8];

	size_t rlen;
	uint8_t rbuf[MP_MAX_FRAME];
	size_t olen, wlen; /* queued; in the SSL_write being retried */
	uint8_t obuf[OUT_MAX];
	struct mp_msg msg, out; /* received, sent: large */
};

/* ---- the TLS context ---- */

static const char *ssl_why(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

struct ssl_ctx_st *uinfod_tls_ctx(const struct uinfod_conf *c, char *err,
				  size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	ERR_clear_error();
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		snprintf(err, errlen, "TLS: %s", ssl_why());
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_load_verify_locations(ctx, c->ca, NULL) != 1) {
		snprintf(err, errlen, "%s: cannot load the CA: %s", c->ca,
			 ssl_why());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		snprintf(err, errlen, "%s: cannot load the certificate: %s",
			 c->cert, ssl_why());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: cannot load the key: %s", c->key,
			 ssl_why());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: not the key of %s", c->key, c->cert);
		ERR_clear_error();
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* records without data (session tickets) return to the loop */
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* ---- tearing down, retrying ---- */

static void attempt(struct uinfod_session *s);

static void conn_close(struct uinfod_session *s)
{
	if (s->ssl) {
		/* a close_notify if it goes at once; never wait for one */
		if (s->state >= S_HELLO)
			SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	ERR_clear_error();
	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->ai_list)
		freeaddrinfo(s->ai_list);
	s->ai_list = s->ai = NULL;
	evloop_timer_stop(s->deadline);
	evloop_timer_stop(s->keepalive);
	s->rlen = s->olen = s->wlen = 0;
	explicit_bzero(&s->w, sizeof(s->w));
	/* a new session sends every record not acknowledged again */
	s->nfly = 0;
	s->usage_after = 0;
	s->usage_stalled = s->usage_wait_room = 0;
	memset(s->report_serial, 0, sizeof(s->report_serial));
}

static int on_retry(sd_event_source *src, uint64_t usec, void *arg)
{
	attempt(arg);
	return 0;
}

/* The session ends: close, tell, wait, try again. */
static void fail(struct uinfod_session *s, const char *fmt, ...)
	MUISP_PRINTF(2, 3);
static void fail(struct uinfod_session *s, const char *fmt, ...)
{
	int was_up = s->state == S_UP;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	conn_close(s);
	s->state = S_IDLE;
	s->backoff_ms = uinfod_backoff_next(s->backoff_ms, s->t.retry_first_ms,
					    s->t.retry_max_ms);
	if (evloop_timer_set(s->retry, s->backoff_ms * EVLOOP_USEC_PER_MSEC) <
	    0)
		fatalx("event loop: the retry timer");
	s->ops.down(s->arg, was_up, s->why, s->backoff_ms);
}

/* ---- output ---- */

static void io_events(struct uinfod_session *s, uint32_t ev)
{
	if (s->io && ev != s->io_events &&
	    sd_event_source_set_io_events(s->io, ev) >= 0)
		s->io_events = ev;
}

/* Write what is queued: 0 (the rest waits for the socket), -1 failed. */
static int flush_out(struct uinfod_session *s)
{
	while (s->olen) {
		int n, err;

		if (!s->wlen)
			s->wlen = s->olen; /* the same until it completes */
		ERR_clear_error();
		n = SSL_write(s->ssl, s->obuf, (int)s->wlen);
		if (n > 0) {
			memmove(s->obuf, s->obuf + n, s->olen - (size_t)n);
			s->olen -= (size_t)n;
			s->wlen = 0;
			continue;
		}
		err = SSL_get_error(s->ssl, n);
		if (err == SSL_ERROR_WANT_WRITE) {
			io_events(s, EPOLLIN | EPOLLOUT);
			return 0;
		}
		if (err == SSL_ERROR_WANT_READ)
			return 0;
		fail(s, "send: %s",
		     err == SSL_ERROR_SYSCALL && errno ? strerror(errno) :
							 ssl_why());
		return -1;
	}
	io_events(s, EPOLLIN);
	return 0;
}

/* Queue m and write: 0, or -1 (the session failed). */
static int send_msg(struct uinfod_session *s, const struct mp_msg *m)
{
	int n = mp_encode(m, s->obuf + s->olen, sizeof(s->obuf) - s->olen);

	if (n < 0) {
		fail(s, "%s: %s",
		     n == MP_E_NOSPACE ? "send queue full" : "encode",
		     mp_strerror(n));
		return -1;
	}
	s->olen += (size_t)n;
	return flush_out(s);
}

static int send_simple(struct uinfod_session *s, uint8_t type, uint16_t flags,
		       uint32_t serial)
{
	mp_init(&s->out, type, flags, serial);
	return send_msg(s, &s->out);
}

/* The serial of the next request the agent sends; report: it is a
 * UINFO_REPORT. */
static uint32_t next_serial(struct uinfod_session *s, int report)
{
	uint32_t v = ++s->serial, i = v % REPORT_SERIALS;
	uint8_t bit = (uint8_t)(1u << (i % 8));

	if (report)
		s->report_serial[i / 8] |= bit;
	else
		s->report_serial[i / 8] &= (uint8_t)~bit;
	return v;
}

/* Was the frame with serial v, among the last REPORT_SERIALS sent, a
 * UINFO_REPORT? */
static int was_report(const struct uinfod_session *s, uint32_t v)
{
	uint32_t i = v % REPORT_SERIALS;

	return s->serial - v < REPORT_SERIALS &&
	       (s->report_serial[i / 8] & (1u << (i % 8)));
}

/* ---- out-of-band-packet: the reports ---- */

static struct log_rl rl_report = LOG_RL_INIT(60, 5);

int uinfod_session_send_report(struct uinfod_session *s,
			       const struct uinfod_report_msg *m)
{
	char addr[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	size_t room;
	int n;

	if (s->state != S_UP ||
	    !inet_ntop(m->family, m->addr, addr, sizeof(addr)) ||
	    !inet_ntop(m->family, m->peer, peer, sizeof(peer)))
		return -1;
	/* room for one frame of any size kept: answers, keep-alives */
	room = sizeof(s->obuf) - s->olen;
	if (room <= MP_MAX_FRAME)
		return -1;
	/* the next serial, taken only if the frame goes */
	mp_init(&s->out, MP_T_UINFO_REPORT, 0, s->serial + 1);
	mp_set_u(&s->out, MP_A_PROTO, m->proto);
	mp_set_s(&s->out, MP_A_ADDR, addr);
	mp_set_u(&s->out, MP_A_SPORT, m->port);
	mp_set_s(&s->out, MP_A_PEER, peer);
	mp_set_u(&s->out, MP_A_DPORT, m->peer_port);
	mp_set_u(&s->out, MP_A_USER, m->user);
	mp_set_u(&s->out, MP_A_SENT_BYTES, m->bytes);
	mp_set_u(&s->out, MP_A_SENT_PKTS, m->packets);
	n = mp_encode(&s->out, s->obuf + s->olen, room - MP_MAX_FRAME);
	if (n < 0)
		return -1; /* no room (or not encodable): dropped */
	next_serial(s, 1);
	s->olen += (size_t)n;
	return flush_out(s);
}

/* ---- standalone: the usage records ---- */

static struct log_rl rl_usage = LOG_RL_INIT(10, 5);

/* The in-flight entry of record seq (by_serial 0) or of the frame with
 * serial (1), or -1. */
static int fly_find(const struct uinfod_session *s, uint64_t v, int by_serial)
{
	for (unsigned int i = 0; i < s->nfly; i++)
		if (by_serial ? s->fly[i].serial == v : s->fly[i].seq == v)
			return (int)i;
	return -1;
}

static void fly_drop(struct uinfod_session *s, unsigned int i)
{
	memmove(&s->fly[i], &s->fly[i + 1],
		(s->nfly - i - 1) * sizeof(*s->fly));
	s->nfly--;
}

/*
 * Send the spool's records while the session is up and standalone,
 * fewer than UINFOD_USAGE_INFLIGHT are unanswered, nothing stalls it and
 * the output queue has room for them and the answers the router may ask
 * meanwhile.  0, or -1 (the session failed).
 */
static int usage_pump(struct uinfod_session *s)
{
	struct uinfod_usage_rec r;
	int rc;

	if (s->state != S_UP || s->conf->scheme != MP_SCHEME_STANDALONE ||
	    !s->ops.usage_next)
		return 0;
	s->usage_wait_room = 0;
	while (!s->usage_stalled && s->nfly < UINFOD_USAGE_INFLIGHT) {
		if (sizeof(s->obuf) - s->olen < 2 * MP_MAX_FRAME) {
			s->usage_wait_room = 1; /* on_io() goes on */
			return 0;
		}
		rc = s->ops.usage_next(s->arg, s->usage_after, &r);
		if (rc < 0)
			s->usage_stalled = 1; /* the next kick tries again */
		if (rc <= 0)
			return 0;
		s->usage_after = r.seq;
		/* after a stall the spool is read again from the start:
		 * what is still in flight is not sent twice */
		if (fly_find(s, r.seq, 0) >= 0)
			continue;
		mp_init(&s->out, MP_T_UINFO_USAGE, 0, next_serial(s, 0));
		mp_set_u(&s->out, MP_A_SERIAL, r.seq);
		mp_set_u(&s->out, MP_A_USER, r.user);
		mp_set_u(&s->out, MP_A_TIME, r.start);
		mp_set_u(&s->out, MP_A_END, r.end);
		mp_set_u(&s->out, MP_A_SENT_BYTES, r.sent_bytes);
		mp_set_u(&s->out, MP_A_SENT_PKTS, r.sent_pkts);
		mp_set_u(&s->out, MP_A_RECV_BYTES, r.recv_bytes);
		mp_set_u(&s->out, MP_A_RECV_PKTS, r.recv_pkts);
		s->fly[s->nfly].serial = s->serial;
		s->fly[s->nfly].seq = r.seq;
		s->nfly++;
		if (send_msg(s, &s->out) < 0)
			return -1;
	}
	return 0;
}

/* UINFO_USAGE_ACK: the record stored; the next goes.  0, or -1 (the
 * session failed). */
static int usage_ack(struct uinfod_session *s, const struct mp_msg *m)
{
	uint64_t seq = m->u[MP_A_SERIAL];
	int i = fly_find(s, seq, 0);

	if (i < 0) {
		log_ratelimited(&rl_usage, LOG_WARNING,
				"meter: ack of usage record %llu, not in "
				"flight: ignored",
				(unsigned long long)seq);
		return 0;
	}
	fly_drop(s, (unsigned int)i);
	if (s->ops.usage_acked)
		s->ops.usage_acked(s->arg, seq);
	return usage_pump(s);
}

void uinfod_session_usage_kick(struct uinfod_session *s)
{
	if (s->state != S_UP)
		return;
	if (s->usage_stalled) {
		/* the records refused are older than those sent since */
		s->usage_stalled = 0;
		s->usage_after = 0;
	}
	usage_pump(s);
}

/* ---- the agreement ---- */

static int arm_silence(struct uinfod_session *s)
{
	uint64_t us = (uint64_t)UINFOD_SILENT_INTERVALS * s->w.interval *
		      EVLOOP_USEC_PER_SEC;

	return evloop_timer_set(s->deadline, us);
}

/* WELCOME: export the key, hand it over, go up.  0, or -1 (failed). */
static int welcome(struct uinfod_session *s)
{
	uint8_t key[MUISP_AGENT_KEY_LEN], ctx[MP_UINFO_CONTEXT_MAX];
	const char *why;
	size_t n;
	int rc;

	if (uinfod_welcome_check(&s->msg, &s->w, &why) < 0) {
		fail(s, "bad welcome: %s", why);
		return -1;
	}
	n = mp_uinfo_context(s->w.key_id, s->w.addr, ctx, sizeof(ctx));
	ERR_clear_error();
	if (!n || SSL_export_keying_material(
			  s->ssl, key, sizeof(key), MP_UINFO_LABEL,
			  strlen(MP_UINFO_LABEL), ctx, n, 1) != 1) {
		OPENSSL_cleanse(key, sizeof(key));
		fail(s, "key export: %s", ssl_why());
		return -1;
	}
	rc = s->ops.up(s->arg, key, &s->w);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		fail(s, "key id %u not installed", s->w.key_id);
		return -1;
	}
	s->state = S_UP;
	s->backoff_ms = 0;
	if (arm_silence(s) < 0 ||
	    evloop_timer_set(s->keepalive,
			     (uint64_t)s->w.interval * EVLOOP_USEC_PER_SEC) < 0)
		fatalx("event loop: the session's timers");
	return usage_pump(s);
}

/* An ERROR's text: "MESSAGE (ERROR NAME)", or the name alone. */
static const char *error_text(const struct mp_msg *m, char *buf, size_t len)
{
	const char *name = mp_error_name((int)m->u[MP_A_ERROR]);

	if (mp_has(m, MP_A_MESSAGE))
		snprintf(buf, len, "%s (%s)", m->s[MP_A_MESSAGE], name);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/* ---- the router's questions ---- */

/* Owner queries' answers: the router asks once per user connection. */
static struct log_rl rl_owner = LOG_RL_INIT(10, 20);

/* An ERROR answering the router's req: 0, or -1 (the session failed). */
static int send_error(struct uinfod_session *s, const struct mp_msg *req,
		      enum mp_error err, const char *text)
{
	mp_init(&s->out, MP_T_ERROR, MP_F_REPLY, req->serial);
	mp_set_u(&s->out, MP_A_ERROR, err);
	mp_set_s(&s->out, MP_A_MESSAGE, text);
	return send_msg(s, &s->out);
}

/* text as an address into a: its family, or 0 if it is none. */
static int addr_parse(const char *text, struct in6_addr *a)
{
	if (inet_pton(AF_INET, text, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, a) == 1)
		return AF_INET6;
	return 0;
}

/* UINFO_OWNER_GET: the owner of the host's end ADDR:SPORT of the
 * connection (PROTO, TCP if absent) to PEER:DPORT.  0, or -1 (the session
 * failed). */
static int owner_get(struct uinfod_session *s, const struct mp_msg *m)
{
	const char *host = m->s[MP_A_ADDR], *peer = m->s[MP_A_PEER];
	unsigned int hport = (unsigned int)m->u[MP_A_SPORT];
	unsigned int pport = (unsigned int)m->u[MP_A_DPORT];
	int proto = mp_has(m, MP_A_PROTO) ? (int)m->u[MP_A_PROTO] : IPPROTO_TCP;
	const struct uinfod_user *u;
	struct in6_addr la, ra;
	char conn[2 * MP_STR_MAX + 32];
	int af, raf, rc;
	uid_t uid;

	af = addr_parse(host, &la);
	raf = addr_parse(peer, &ra);
	snprintf(conn, sizeof(conn), "%s %s%s%s:%u -> %s%s%s:%u",
		 proto == IPPROTO_UDP ? "udp" :
		 proto == IPPROTO_TCP ? "tcp" :
					"other",
		 af == AF_INET6 ? "[" : "", host, af == AF_INET6 ? "]" : "",
		 hport, raf == AF_INET6 ? "[" : "", peer,
		 raf == AF_INET6 ? "]" : "", pport);
	if (s->state != S_UP) {
		log_ratelimited(&rl_owner, LOG_INFO,
				"owner of %s: asked before the welcome", conn);
		return send_error(s, m, MP_ERR_STATE, "no welcome yet");
	}
	if (!af || !raf || af != raf) {
		log_ratelimited(&rl_owner, LOG_INFO, "owner of %s: %s", conn,
				!af || !raf ? "not an address" :
					      "addresses of two families");
		return send_error(s, m, MP_ERR_PROTO,
				  !af || !raf ? "not an IP address" :
						"addresses of two families");
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		log_ratelimited(&rl_owner, LOG_INFO, "owner of %s: protocol %d",
				conn, proto);
		return send_error(s, m, MP_ERR_PROTO, "only TCP and UDP");
	}
	rc = sock_owner(proto, af, &la, (uint16_t)hport, &ra, (uint16_t)pport,
			&uid);
	if (rc == -ENOENT) {
		log_ratelimited(&rl_owner, LOG_INFO,
				"owner of %s: no such connection", conn);
		return send_error(s, m, MP_ERR_UNKNOWN, "no such connection");
	}
	if (rc < 0) {
		log_ratelimited(&rl_owner, LOG_WARNING,
				"owner of %s: the socket table: %s", conn,
				strerror(-rc));
		return send_error(s, m, MP_ERR_INTERNAL,
				  "the socket table cannot be read");
	}
	u = uinfod_config_user(s->conf, (uint32_t)uid);
	mp_init(&s->out, MP_T_UINFO_OWNER, MP_F_REPLY, m->serial);
	if (u) {
		mp_set_u(&s->out, MP_A_USER, u->id);
		log_ratelimited(&rl_owner, LOG_INFO,
				"owner of %s: uid %u, user %u", conn,
				(unsigned int)uid, u->id);
	} else {
		log_ratelimited(&rl_owner, LOG_INFO,
				"owner of %s: uid %u, not a mapped user (the "
				"host's own)",
				conn, (unsigned int)uid);
	}
	return send_msg(s, &s->out);
}

/* UINFO_BLOCK: the router blocks a user, or allows them again.  0, or -1
 * (the session failed). */
static int block(struct uinfod_session *s, const struct mp_msg *m)
{
	uint32_t id = (uint32_t)m->u[MP_A_USER];
	int blocked = m->u[MP_A_BLOCKED] != 0;

	if (s->state != S_HELLO && s->state != S_UP) /* not reached */
		return send_error(s, m, MP_ERR_STATE, "no session");
	if (!s->ops.block || s->ops.block(s->arg, id, blocked) < 0) {
		if (send_error(s, m, MP_ERR_INTERNAL, "not applied") == 0)
			fail(s, "user %u not %s", id,
			     blocked ? "blocked" : "allowed again");
		return -1;
	}
	mp_init(&s->out, MP_T_UINFO_BLOCKED, MP_F_REPLY, m->serial);
	mp_set_u(&s->out, MP_A_USER, id);
	mp_set_u(&s->out, MP_A_BLOCKED, blocked);
	return send_msg(s, &s->out);
}

/* One frame from the router: 0, or -1 (the session failed). */
static int on_frame(struct uinfod_session *s, const uint8_t *f, size_t len)
{
	struct mp_msg *m = &s->msg;
	char buf[MP_STR_MAX + 64];
	int rc = mp_decode(f, len, m), i;

	if (rc) {
		fail(s, "bad frame from the router: %s", mp_strerror(rc));
		return -1;
	}
	if (s->state == S_UP && arm_silence(s) < 0)
		fatalx("event loop: the silence timer");
	if (m->type == MP_T_UINFO_KEEPALIVE) {
		if (m->flags & MP_F_REPLY)
			return 0; /* heard */
		return send_simple(s, MP_T_UINFO_KEEPALIVE, MP_F_REPLY,
				   m->serial);
	}
	if (m->type == MP_T_UINFO_OWNER_GET && !(m->flags & MP_F_REPLY))
		return owner_get(s, m);
	if (m->type == MP_T_UINFO_BLOCK && !(m->flags & MP_F_REPLY))
		return block(s, m);
	if (m->type == MP_T_UINFO_USAGE_ACK && (m->flags & MP_F_REPLY) &&
	    s->state == S_UP)
		return usage_ack(s, m);
	if (m->type == MP_T_ERROR && s->state == S_UP &&
	    (i = fly_find(s, m->serial, 1)) >= 0) {
		/* a record not stored: kept, sent again after a kick */
		log_ratelimited(&rl_usage, LOG_WARNING,
				"meter: usage record %llu not stored: %s; "
				"kept, sent again at the next collection",
				(unsigned long long)s->fly[i].seq,
				error_text(m, buf, sizeof(buf)));
		fly_drop(s, (unsigned int)i);
		s->usage_stalled = 1;
		return 0;
	}
	if (m->type == MP_T_ERROR && s->state == S_UP &&
	    was_report(s, m->serial)) {
		/* fire-and-forget: the flow's next sums go anyway */
		log_ratelimited(&rl_report, LOG_WARNING,
				"meter: a report refused: %s",
				error_text(m, buf, sizeof(buf)));
		return 0;
	}
	if (m->type == MP_T_ERROR) {
		if (s->state == S_HELLO)
			fail(s, "refused by the router: %s",
			     error_text(m, buf, sizeof(buf)));
		else
			fail(s, "error from the router: %s",
			     error_text(m, buf, sizeof(buf)));
		return -1;
	}
	if (s->state == S_HELLO && m->type == MP_T_UINFO_WELCOME &&
	    m->serial == s->hello_serial)
		return welcome(s);
	log_debug("meter: %s ignored", mp_type_name(m->type));
	return 0;
}

/* Read and handle every frame there is: 0, or -1 (failed). */
static int read_in(struct uinfod_session *s)
{
	for (;;) {
		int n, err, flen;

		ERR_clear_error();
		n = SSL_read(s->ssl, s->rbuf + s->rlen,
			     (int)(sizeof(s->rbuf) - s->rlen));
		if (n <= 0) {
			err = SSL_get_error(s->ssl, n);
			if (err == SSL_ERROR_WANT_READ)
				return 0;
			if (err == SSL_ERROR_WANT_WRITE) {
				io_events(s, EPOLLIN | EPOLLOUT);
				return 0;
			}
			if (err == SSL_ERROR_ZERO_RETURN)
				fail(s, "the router closed the session");
			else if (err == SSL_ERROR_SYSCALL)
				fail(s, "connection %s",
				     errno ? strerror(errno) : "closed");
			else
				fail(s, "TLS: %s", ssl_why());
			return -1;
		}
		s->rlen += (size_t)n;
		while ((flen = mp_frame_len(s->rbuf, s->rlen)) > 0 &&
		       (size_t)flen <= s->rlen) {
			if (on_frame(s, s->rbuf, (size_t)flen) < 0)
				return -1;
			memmove(s->rbuf, s->rbuf + flen,
				s->rlen - (size_t)flen);
			s->rlen -= (size_t)flen;
		}
		if (flen < 0 && flen != MP_E_SHORT) {
			fail(s, "bad frame from the router: %s",
			     mp_strerror(flen));
			return -1;
		}
	}
}

/* ---- connecting ---- */

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *arg);

/* The TLS side of a connected socket. */
static int tls_start(struct uinfod_session *s)
{
	const char *name = s->conf->server_name;
	struct in6_addr a;
	int ip = inet_pton(AF_INET, name, &a) == 1 ||
		 inet_pton(AF_INET6, name, &a) == 1;

	ERR_clear_error();
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1)
		return -1;
	if (ip) {
		/* an address: the certificate must name it (IP SAN); no SNI */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl),
						  name) != 1)
			return -1;
	} else if (SSL_set_tlsext_host_name(s->ssl, name) != 1 ||
		   SSL_set1_host(s->ssl, name) != 1) {
		return -1;
	}
	s->state = S_HANDSHAKE;
	return 0;
}

/* Step the handshake: 0 (waiting or done), -1 (failed). */
static int handshake(struct uinfod_session *s)
{
	int n, err;
	long v;

	ERR_clear_error();
	n = SSL_connect(s->ssl);
	if (n == 1) {
		s->state = S_HELLO;
		s->hello_serial = next_serial(s, 0);
		io_events(s, EPOLLIN);
		log_debug("meter %s: TLS up, hello", s->conf->meter);
		mp_init(&s->out, MP_T_UINFO_HELLO, 0, s->hello_serial);
		/* out of band: the router holds the host's new flows and
		 * asks; standalone: this host counts and sends records */
		if (s->conf->scheme != MP_SCHEME_IN_BAND)
			mp_set_u(&s->out, MP_A_SCHEME, s->conf->scheme);
		return send_msg(s, &s->out);
	}
	err = SSL_get_error(s->ssl, n);
	if (err == SSL_ERROR_WANT_READ) {
		io_events(s, EPOLLIN);
		return 0;
	}
	if (err == SSL_ERROR_WANT_WRITE) {
		io_events(s, EPOLLOUT);
		return 0;
	}
	v = SSL_get_verify_result(s->ssl);
	if (v != X509_V_OK)
		fail(s, "TLS handshake: the router's certificate: %s",
		     X509_verify_cert_error_string(v));
	else if (err == SSL_ERROR_SYSCALL && !ERR_peek_error())
		fail(s, "TLS handshake: connection %s",
		     errno ? strerror(errno) : "closed");
	else
		fail(s, "TLS handshake: %s", ssl_why());
	return -1;
}

/* Connect to s->ai or the next address after it: 0 (in progress or
 * connected), -1 (none left: failed). */
static int connect_next(struct uinfod_session *s, int err)
{
	for (; s->ai; s->ai = s->ai->ai_next) {
		int r;

		s->fd = socket(s->ai->ai_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       s->ai->ai_protocol);
		if (s->fd < 0) {
			err = errno;
			continue;
		}
		if (connect(s->fd, s->ai->ai_addr, s->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			s->io_events = EPOLLOUT;
			r = sd_event_add_io(s->e, &s->io, s->fd, EPOLLOUT,
					    on_io, s);
			if (r < 0)
				fatalx("event loop: %s", strerror(-r));
			return 0;
		}
		err = errno;
		close(s->fd);
		s->fd = -1;
	}
	fail(s, "connect to %s port %u: %s", s->conf->meter, s->conf->port,
	     strerror(err ? err : ECONNREFUSED));
	return -1;
}

/* CONNECTING and the socket is writable: connected, or the next one. */
static int connected(struct uinfod_session *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		s->io = sd_event_source_disable_unref(s->io);
		close(s->fd);
		s->fd = -1;
		s->ai = s->ai->ai_next;
		return connect_next(s, err);
	}
	freeaddrinfo(s->ai_list);
	s->ai_list = s->ai = NULL;
	if (tls_start(s) < 0) {
		fail(s, "TLS: %s", ssl_why());
		return -1;
	}
	return handshake(s);
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct uinfod_session *s = arg;

	switch (s->state) {
	case S_CONNECTING:
		connected(s);
		break;
	case S_HANDSHAKE:
		handshake(s);
		break;
	case S_HELLO:
	case S_UP:
		if (flush_out(s) == 0 && read_in(s) == 0 && s->usage_wait_room)
			usage_pump(s); /* room again in the output queue */
		break;
	case S_IDLE:
		break;
	}
	return 0;
}

static int on_deadline(sd_event_source *src, uint64_t usec, void *arg)
{
	struct uinfod_session *s = arg;

	uint64_t ms = s->t.handshake_ms;
	char within[32];

	snprintf(within, sizeof(within), "%llu %s",
		 (unsigned long long)(ms % 1000 ? ms : ms / 1000),
		 ms % 1000 ? "ms" : "s");
	switch (s->state) {
	case S_UP:
		fail(s, "nothing heard for %u s",
		     UINFOD_SILENT_INTERVALS * s->w.interval);
		break;
	case S_CONNECTING:
		fail(s, "connect to %s port %u: no answer within %s",
		     s->conf->meter, s->conf->port, within);
		break;
	case S_HANDSHAKE:
		fail(s, "TLS handshake: not done within %s", within);
		break;
	case S_HELLO:
		fail(s, "no welcome within %s", within);
		break;
	case S_IDLE:
		break;
	}
	return 0;
}

static int on_keepalive(sd_event_source *src, uint64_t usec, void *arg)
{
	struct uinfod_session *s = arg;

	if (s->state != S_UP)
		return 0;
	if (evloop_timer_set(s->keepalive,
			     (uint64_t)s->w.interval * EVLOOP_USEC_PER_SEC) < 0)
		fatalx("event loop: the keep-alive timer");
	send_simple(s, MP_T_UINFO_KEEPALIVE, 0, next_serial(s, 0));
	return 0;
}

/* A new attempt: resolve the meter (a host name through the system's
 * resolver, which blocks the loop meanwhile), start connecting. */
static void attempt(struct uinfod_session *s)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG,
	};
	char port[8];
	int rc;

	s->state = S_CONNECTING;
	s->why[0] = '\0';
	if (evloop_timer_set(s->deadline,
			     s->t.handshake_ms * EVLOOP_USEC_PER_MSEC) < 0)
		fatalx("event loop: the handshake timer");
	snprintf(port, sizeof(port), "%u", s->conf->port);
	rc = getaddrinfo(s->conf->meter, port, &hints, &s->ai_list);
	if (rc) {
		s->ai_list = NULL;
		fail(s, "%s: %s", s->conf->meter,
		     rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return;
	}
	s->ai = s->ai_list;
	connect_next(s, 0);
}

/* ---- the session object ---- */

struct uinfod_session *
uinfod_session_new(sd_event *e, const struct uinfod_conf *c,
		   struct ssl_ctx_st *ctx, const struct uinfod_timing *t,
		   const struct uinfod_session_ops *ops, void *arg)
{
	struct uinfod_session *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return NULL;
	s->e = e;
	s->conf = c;
	s->ctx = ctx;
	s->t = *t;
	s->ops = *ops;
	s->arg = arg;
	s->fd = -1;
	r = evloop_timer(e, &s->retry, EVLOOP_USEC_PER_SEC, 0, on_retry, s);
	if (r >= 0)
		r = evloop_timer(e, &s->deadline, EVLOOP_USEC_PER_SEC, 0,
				 on_deadline, s);
	if (r >= 0)
		r = evloop_timer(e, &s->keepalive, EVLOOP_USEC_PER_SEC, 0,
				 on_keepalive, s);
	if (r < 0) {
		uinfod_session_free(s);
		errno = -r;
		return NULL;
	}
	evloop_timer_stop(s->retry);
	evloop_timer_stop(s->deadline);
	evloop_timer_stop(s->keepalive);
	attempt(s);
	return s;
}

int uinfod_session_is_up(const struct uinfod_session *s)
{
	return s->state == S_UP;
}

void uinfod_session_reset(struct uinfod_session *s, const char *why)
{
	if (s->state != S_IDLE)
		fail(s, "%s", why);
}

void uinfod_session_free(struct uinfod_session *s)
{
	if (!s)
		return;
	conn_close(s);
	sd_event_source_disable_unref(s->retry);
	sd_event_source_disable_unref(s->deadline);
	sd_event_source_disable_unref(s->keepalive);
	explicit_bzero(s, sizeof(*s));
	free(s);
}
