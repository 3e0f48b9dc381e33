// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's connections: the listeners, accepting, protocol detection
 * (first byte 0x16: TLS 1.3, otherwise plain TCP, allowed only inside an
 * ESP tunnel, paper §5), the TLS handshake, reading frames into the
 * dispatcher, the output queue of encoded replies, and requests whose
 * reply waits for a remote call (the connection's input waits behind
 * them, so replies keep the order of the requests).  Each connection is
 * an io source of the loop, reading only while no reply waits and
 * watching EPOLLOUT only while output is queued.
 *
 * The LAN is hostile (muispd.conf(5), "Limits"): a connection that has
 * not finished its TLS handshake in handshake-timeout, or received
 * nothing for idle-timeout while no reply of ours waits (a payer's
 * channel, which carries its warnings, excepted), is closed; each source
 * address holds at most max-conns-per-addr connections and spends a token
 * per connection and per message (msg-rate, msg-burst: over it, the
 * connection is closed; a standalone agent's usage records and a
 * packet-based agent's reports excepted, agent_unmetered(): the latter
 * spend their session's own bucket, uinfo_report.c); a full table closes
 * the connection idle the longest (not a payer's); the operator socket
 * has its own MUISPD_OP_CONNS; output queues are bounded per connection
 * and in all (output-budget); when descriptors run out, accepting pauses
 * for a second (a spare descriptor refuses the connection waiting)
 * instead of failing on every turn of the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "evloop.h"
#include "log.h"
#include "muispd.h"

static struct log_rl rl_refused = LOG_RL_INIT(10, 5);
static struct log_rl rl_bad = LOG_RL_INIT(10, 5);
static struct log_rl rl_tls = LOG_RL_INIT(10, 5);
static struct log_rl rl_closed = LOG_RL_INIT(10, 5);
static struct log_rl rl_fd = LOG_RL_INIT(10, 1);

void conn_free(struct conn *c)
{
	struct muispd *md = c->md;

	uinfo_conn_gone(md, c);
	uinfo_ask_free(c);
	if (c->kind == CONN_USER) {
		md->nuser--;
		if (c->src)
			c->src->conns--;
	} else {
		md->nop--;
	}
	md->wbytes -= c->wcap;
	if (c->io) {
		sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
		sd_event_source_unref(c->io);
	}
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->wbuf);
	free(c);
}

/*
 * c changed (output queued, closing, a reply held or released, an event
 * of its own): the post source looks at it after this event.  Only such
 * connections, not all of them: the loop dispatches one event at a time.
 */
static void conn_touch(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	c->next_dirty = c->md->dirty;
	c->md->dirty = c;
}

/* Done with c: it is flushed as far as it goes and freed after this
 * event. */
void conn_close(struct conn *c)
{
	c->state = C_CLOSING;
	conn_touch(c);
}

/* Queue m on c (NULL: the connection went away; nothing to do). */
int conn_queue(struct conn *c, const struct mp_msg *m)
{
	size_t cap_max = c && c->kind == CONN_OP ? MUISPD_WBUF_OP :
						   MUISPD_WBUF_USER;
	uint8_t buf[MP_MAX_FRAME];
	int n;

	if (!c)
		return -1;
	n = mp_encode(m, buf, sizeof(buf));
	if (n < 0) {
		log_warnx("encode %s: %s", mp_type_name(m->type),
			  mp_strerror(n));
		return -1;
	}
	if (c->wlen + (size_t)n > cap_max) {
		c->md->refused.output++;
		log_ratelimited(&rl_closed, LOG_WARNING,
				"%s: output queue full (it does not read), "
				"closed",
				c->addr);
		c->wlen = 0;
		conn_close(c);
		return -1;
	}
	if (c->wlen + (size_t)n > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 4096;
		uint8_t *p;

		while (cap < c->wlen + (size_t)n)
			cap *= 2;
		if (cap > cap_max)
			cap = cap_max;
		if (c->md->wbytes - c->wcap + cap > c->md->conf.output_budget) {
			c->md->refused.output++;
			log_ratelimited(&rl_closed, LOG_WARNING,
					"%s: output budget of all connections "
					"spent, closed",
					c->addr);
			c->wlen = 0;
			conn_close(c);
			return -1;
		}
		p = realloc(c->wbuf, cap);
		if (!p)
			return -1;
		c->md->wbytes += cap - c->wcap;
		c->wbuf = p;
		c->wcap = cap;
	}
	memcpy(c->wbuf + c->wlen, buf, (size_t)n);
	c->wlen += (size_t)n;
	conn_touch(c);
	return 0;
}

void conn_error(struct conn *c, const struct mp_msg *req, int err,
		const char *fmt, ...)
{
	struct mp_msg m;
	char text[MP_STR_MAX + 1];
	va_list ap;

	if (!c)
		return;
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
	conn_queue(c, &m);
}

/*
 * An agent's frame of this type that does not count against its
 * address's message rate: a keyed standalone session's usage records
 * (uinfo_usage.c: an interval's batch, or the backlog after a reconnect,
 * may be longer than the address's burst; each is answered only once
 * stored, which paces the agent) and a keyed packet-based session's
 * reports (uinfo_report.c: many, and not answered; they spend the
 * session's own bucket instead, agent-report-rate).  Every other frame
 * counts, the same types on any other channel too.
 */
static int agent_unmetered(const struct conn *c, uint8_t type)
{
	return c->agent_key_id &&
	       ((c->agent_scheme == MP_SCHEME_STANDALONE &&
		 type == MP_T_UINFO_USAGE) ||
		(c->agent_scheme == MP_SCHEME_OUT_OF_BAND_PACKET &&
		 type == MP_T_UINFO_REPORT));
}

/*
 * A purchasing agent's answer to a question the router asked (pagent.c):
 * not counted against its address's message rate either, or a user who
 * opens many connections at once would have their agent closed; the
 * questions are paced already (the module's conn-rate), and each allows
 * one answer, so an agent cannot send more unmetered than it was asked.
 */
static int pagent_answer_owed(struct conn *c, uint8_t type)
{
	if (!c->pagent_serial || type != MP_T_CONN_VERDICT || !c->pagent_owed)
		return 0;
	c->pagent_owed--;
	return 1;
}

/* Decode and dispatch the complete frames in c's input buffer, up to
 * one whose reply waits for a remote call. */
void conn_input(struct muispd *md, struct conn *c)
{
	/* md->rx, unless a handler's remote call ended and let another
	 * connection's input go on while that handler still reads it */
	struct mp_msg *m = md->rx_busy ? malloc(sizeof(*m)) : &md->rx;
	size_t off = 0;

	conn_touch(c);
	if (!m)
		return; /* read again at the next event */
	if (m == &md->rx)
		md->rx_busy = 1;
	c->in_input = 1;
	while (c->state == C_OPEN && !c->wait) {
		int flen = mp_frame_len(c->rbuf + off, c->rlen - off);
		int unmetered, rc;

		if (flen == MP_E_SHORT)
			break;
		unmetered = flen > 0 &&
			    (agent_unmetered(c, c->rbuf[off + 3]) ||
			     pagent_answer_owed(c, c->rbuf[off + 3]));
		if (c->src && !unmetered &&
		    !limits_take(c->src, muispd_mono_ms(md), md->conf.msg_rate,
				 md->conf.msg_burst)) {
			md->refused.rate++;
			log_ratelimited(&rl_refused, LOG_WARNING,
					"%s: more than %u messages a second, "
					"closed (%llu so far)",
					c->addr, md->conf.msg_rate,
					(unsigned long long)md->refused.rate);
			conn_error(c, NULL, MP_ERR_PERM,
				   "too many requests from %s: at most %u a "
				   "second",
				   c->addr, md->conf.msg_rate);
			c->state = C_CLOSING;
			break;
		}
		if (flen < 0) {
			md->bad_frames++;
			log_ratelimited(&rl_bad, LOG_INFO,
					"%s: bad frame header: %s (%llu bad so "
					"far)",
					c->addr, mp_strerror(flen),
					(unsigned long long)md->bad_frames);
			conn_error(c, NULL,
				   flen == MP_E_VERSION ? MP_ERR_VERSION :
							  MP_ERR_PROTO,
				   "%s", mp_strerror(flen));
			c->state = C_CLOSING;
			break;
		}
		if ((size_t)flen > c->rlen - off)
			break;
		/* a report over its session's bucket: dropped unread, the
		 * channel kept */
		if (unmetered && c->rbuf[off + 3] == MP_T_UINFO_REPORT &&
		    !uinfo_report_admit(md, c)) {
			off += (size_t)flen;
			continue;
		}
		rc = mp_decode(c->rbuf + off, (size_t)flen, m);
		off += (size_t)flen;
		if (rc) {
			md->bad_frames++;
			log_ratelimited(&rl_bad, LOG_INFO,
					"%s: bad message: %s (%llu bad so far)",
					c->addr, mp_strerror(rc),
					(unsigned long long)md->bad_frames);
			conn_error(c, NULL, MP_ERR_PROTO, "%s",
				   mp_strerror(rc));
			continue;
		}
		md->dispatch(md, c, m);
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	c->in_input = 0;
	if (m == &md->rx)
		md->rx_busy = 0;
	else
		free(m);
}

/* Returns -1 when the connection is finished. */
static int conn_read(struct muispd *md, struct conn *c)
{
	for (;;) {
		size_t room = sizeof(c->rbuf) - c->rlen;
		ssize_t n;

		if (!room)
			return -1; /* a frame never exceeds the buffer */
		if (c->ssl) {
			int r;

			ERR_clear_error(); /* see conn_handshake() */
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
		c->last = muispd_mono_ms(md) / 1000;
		conn_input(md, c);
		if (c->state == C_CLOSING || c->wait)
			break;
	}
	return 0;
}

int conn_flush(struct conn *c)
{
	c->want_write = 0;
	while (c->wlen) {
		ssize_t n;

		if (c->ssl) {
			int r;

			ERR_clear_error(); /* see conn_handshake() */
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
	/* All written: a large queue goes back to the budget. */
	if (c->wcap > 16384) {
		c->md->wbytes -= c->wcap;
		free(c->wbuf);
		c->wbuf = NULL;
		c->wcap = 0;
	}
	return 0;
}

static int conn_detect(struct muispd *md, struct conn *c)
{
	uint8_t b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	if (b == 0x16 && md->tls) {
		c->ssl = SSL_new(md->tls);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
			return -1;
		c->state = C_HANDSHAKE;
		return 1;
	}
	/* Plain TCP only inside an ESP tunnel (§5). */
	if (md->conf.allow_plain || !md->conf.tls ||
	    kernel_tunnel_is_esp(md->k, c->addr)) {
		c->state = C_OPEN;
		return 1;
	}
	log_ratelimited(&rl_refused, LOG_INFO,
			"%s: plain control channel refused (no ESP tunnel)",
			c->addr);
	c->state = C_OPEN;
	conn_error(c, NULL, MP_ERR_PERM,
		   "use TLS: the tunnel does not "
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
		log_ratelimited(&rl_tls, LOG_INFO, "%s: TLS handshake failed",
				c->addr);
		return -1;
	}
}

void conn_event(struct muispd *md, struct conn *c, uint32_t rev)
{
	int rc = 0;

	conn_touch(c);
	/* Gone; or hung up while a reply waits, when it is not read. */
	if ((rev & EPOLLERR) || ((rev & EPOLLHUP) && c->wait)) {
		int err = 0;
		socklen_t len = sizeof(err);

		/* a reset or a time-out, not a close: say which */
		if ((rev & EPOLLERR) && c->kind == CONN_USER &&
		    !getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) && err)
			log_ratelimited(&rl_closed, LOG_INFO,
					"%s: connection lost (%s)", c->addr,
					strerror(err));
		c->state = C_CLOSING;
		c->wlen = 0;
		return;
	}
	if (c->state == C_DETECT && (rev & (EPOLLIN | EPOLLHUP)))
		rc = conn_detect(md, c);
	if (rc >= 0 && c->state == C_HANDSHAKE)
		rc = conn_handshake(c);
	if (rc >= 0 && c->state == C_OPEN && !c->wait &&
	    (rev & (EPOLLIN | EPOLLHUP)))
		rc = conn_read(md, c);
	if (rc >= 0 && (c->wlen || c->want_write) && c->state != C_HANDSHAKE)
		rc = conn_flush(c);
	if (rc < 0) {
		c->state = C_CLOSING;
		c->wlen = 0;
	}
}

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct conn *c = arg;

	conn_event(c->md, c, revents);
	return 0;
}

/*
 * After every event (the loop's post source), for each connection touched
 * by it: flush what was queued, close it if it is done, and watch it for
 * what it waits for now.
 */
void conn_service(struct muispd *md)
{
	while (md->dirty) {
		struct conn *c = md->dirty;
		uint32_t ev = 0;

		md->dirty = c->next_dirty;
		c->dirty = 0;
		if (c->state == C_OPEN && c->wlen && conn_flush(c))
			c->state = C_CLOSING;
		if (c->state == C_CLOSING) {
			if (c->wlen)
				conn_flush(c);
			md->conns[c->idx] = md->conns[--md->nconns];
			md->conns[c->idx]->idx = c->idx;
			conn_free(c);
			continue;
		}
		if (!c->wait)
			ev |= EPOLLIN;
		if (c->wlen || c->want_write)
			ev |= EPOLLOUT;
		if (c->io)
			sd_event_source_set_io_events(c->io, ev);
	}
}

struct conn *conn_by_id(struct muispd *md, uint64_t id)
{
	for (unsigned i = 0; i < md->nconns; i++)
		if (md->conns[i]->id == id)
			return md->conns[i];
	return NULL;
}

/* The request req of c waits for a remote call: c's input stops behind
 * it.  0, or -1 (memory) with nothing held. */
int conn_hold(struct conn *c, const struct mp_msg *req, struct held *h)
{
	h->req = malloc(sizeof(*h->req));
	if (!h->req)
		return -1;
	*h->req = *req;
	h->conn = c->id;
	c->wait++;
	conn_touch(c);
	return 0;
}

/* The connection of a held request, NULL if it went away. */
struct conn *conn_held(struct muispd *md, const struct held *h)
{
	return conn_by_id(md, h->conn);
}

/* Its reply is queued: the input goes on (now, unless the connection's
 * own input is being read, which then goes on by itself).  TLS may hold
 * decrypted bytes the socket no longer signals: read them too. */
void conn_unhold(struct muispd *md, struct held *h)
{
	struct conn *c = conn_by_id(md, h->conn);

	free(h->req);
	h->req = NULL;
	if (!c || !c->wait)
		return;
	conn_touch(c);
	if (--c->wait || c->in_input || md->closing)
		return;
	conn_input(md, c);
	if (c->state == C_OPEN && !c->wait && c->ssl &&
	    SSL_pending(c->ssl) > 0 && conn_read(md, c) < 0) {
		c->state = C_CLOSING;
		c->wlen = 0;
	}
}

/*
 * A connection on fd (taken over), in md's table; NULL if it is full, or
 * the address holds its max-conns-per-addr already (counted).
 */
struct conn *conn_new(struct muispd *md, int fd, enum conn_kind kind,
		      const char *addr)
{
	uint64_t now_ms = muispd_mono_ms(md);
	struct src *src = NULL;
	struct conn *c;

	if (kind == CONN_USER) {
		if (md->nuser >= md->max_user) {
			md->refused.conns_full++;
			return NULL;
		}
		src = limits_src(&md->srcs, addr, 1, now_ms,
				 md->conf.msg_burst);
		if (!src || src->conns >= md->conf.max_conns_addr) {
			md->refused.conns_addr++;
			return NULL;
		}
	} else if (md->nop >= MUISPD_OP_CONNS) {
		log_warnx("operator socket: %u connections open, refused",
			  md->nop);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->md = md;
	c->id = ++md->conn_seq;
	c->fd = fd;
	c->kind = kind;
	c->state = kind == CONN_OP ? C_OPEN : C_DETECT;
	c->since = c->last = now_ms / 1000;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	if (md->ev && fd >= 0 &&
	    sd_event_add_io(md->ev, &c->io, fd, EPOLLIN, on_conn, c) < 0) {
		log_warnx("%s: cannot watch the connection", addr);
		free(c);
		return NULL;
	}
	c->src = src;
	if (src)
		src->conns++;
	if (kind == CONN_USER)
		md->nuser++;
	else
		md->nop++;
	c->idx = md->nconns;
	md->conns[md->nconns++] = c;
	return c;
}

/* Out of md's table and freed now (not after the event). */
static void conn_drop(struct muispd *md, struct conn *c)
{
	if (c->dirty) {
		struct conn **pp = &md->dirty;

		while (*pp != c)
			pp = &(*pp)->next_dirty;
		*pp = c->next_dirty;
	}
	md->conns[c->idx] = md->conns[--md->nconns];
	md->conns[c->idx]->idx = c->idx;
	conn_free(c);
}

/* 1 if addr has a contract bound: its channels carry its warnings. */
static int payer(struct muispd *md, struct conn *c, uint64_t now)
{
	if (!live_by_addr(md, c->addr))
		return 0;
	c->last = now; /* asked again after another idle-timeout */
	return 1;
}

/*
 * The user table is full: close a channel to make room for one from
 * address s.  Never one whose reply waits, nor a payer's.  The victim
 * is a channel of the address holding the most, its longest idle, so
 * that an address holding many channels cannot lock out one holding
 * few: such a channel goes at once, however fresh.  Among addresses
 * holding no more than the newcomer would, only a channel idle for a
 * second or more goes.  0, or -1 if none may go.
 */
static int conn_evict(struct muispd *md, const struct src *s)
{
	uint64_t now = muispd_mono_ms(md) / 1000;
	uint32_t mine = (s ? s->conns : 0) + 1;
	uint64_t pass = ++md->evict_pass;

	for (;;) {
		struct conn *v = NULL;

		for (unsigned i = 0; i < md->nconns; i++) {
			struct conn *c = md->conns[i];

			if (c->kind != CONN_USER || c->wait ||
			    c->agent_key_id || c->payer_pass == pass)
				continue;
			if (!v || c->src->conns > v->src->conns ||
			    (c->src->conns == v->src->conns &&
			     c->last < v->last))
				v = c;
		}
		if (!v || (v->src->conns <= mine && v->last >= now))
			return -1;
		if (payer(md, v, now)) {
			v->payer_pass = pass;
			continue;
		}
		md->refused.evicted++;
		log_ratelimited(&rl_closed, LOG_WARNING,
				"%s: connections full (%u), closed its "
				"channel idle for %llu s, one of %u "
				"(%llu so far)",
				v->addr, md->nuser,
				(unsigned long long)(now - v->last),
				v->src->conns,
				(unsigned long long)md->refused.evicted);
		conn_drop(md, v);
		return 0;
	}
}

/*
 * The tick: connections past their deadline are closed.  A handshake
 * (protocol detection, TLS) must end within handshake-timeout of the
 * accept; an open channel that received nothing for idle-timeout while
 * no reply of ours waits is closed, unless its address is a payer's.
 */
void conn_deadlines(struct muispd *md)
{
	uint64_t now_ms = muispd_mono_ms(md), now = now_ms / 1000;
	const struct muispd_conf *cf = &md->conf;

	for (unsigned i = 0; i < md->nconns; i++) {
		struct conn *c = md->conns[i];
		const char *why = NULL;

		if (c->kind != CONN_USER || c->state == C_CLOSING)
			continue;
		if (uinfo_ask_expired(md, c, now))
			continue; /* answered the request, closed */
		if ((c->state == C_DETECT || c->state == C_HANDSHAKE) &&
		    now >= c->since + cf->handshake_timeout_s) {
			md->refused.handshake++;
			why = "no handshake";
		} else if (c->agent_key_id) {
			/* keep-alives instead of idle-timeout */
			if (uinfo_silent(c, now))
				why = "agent silent";
		} else if (c->state == C_OPEN && !c->wait &&
			   now >= c->last + cf->idle_timeout_s &&
			   !payer(md, c, now)) {
			md->refused.idle++;
			why = "idle";
		}
		if (!why)
			continue;
		log_ratelimited(&rl_closed, LOG_INFO,
				"%s: %s for %llu s, closed (%llu handshakes, "
				"%llu idle so far)",
				c->addr, why,
				(unsigned long long)(now - (c->state == C_OPEN ?
								    c->last :
								    c->since)),
				(unsigned long long)md->refused.handshake,
				(unsigned long long)md->refused.idle);
		c->wlen = 0;
		conn_close(c);
	}
	limits_gc(&md->srcs, now_ms, cf->msg_rate, cf->msg_burst);
}

/* ss as text; an IPv4-mapped IPv6 address as IPv4 (dual-stack listener) */
void conn_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
				  (socklen_t)len);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf,
				  (socklen_t)len);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  buf, (socklen_t)len);
	}
}

static int on_unpause(sd_event_source *s, uint64_t usec, void *arg)
{
	struct muispd *md = arg;

	if (md->lsrc)
		sd_event_source_set_enabled(md->lsrc, SD_EVENT_ON);
	if (md->usrc)
		sd_event_source_set_enabled(md->usrc, SD_EVENT_ON);
	if (md->spare_fd < 0)
		md->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

/*
 * accept() failed for want of descriptors or memory: the connection
 * waiting is refused through the spare descriptor, and the listener
 * rests a second, so a full process does not spin on a listener that
 * stays readable (and logs once in a while, not once a turn).
 */
static void accept_starved(struct muispd *md, int lfd, int err)
{
	sd_event_source *src = lfd == md->ufd ? md->usrc : md->lsrc;

	md->refused.emfile++;
	log_ratelimited(&rl_fd, LOG_WARNING,
			"accept: %s: new connections refused for a second "
			"(%llu times so far)",
			strerror(err), (unsigned long long)md->refused.emfile);
	if (md->spare_fd >= 0) {
		int fd;

		close(md->spare_fd);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		md->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (!src || !md->ev)
		return;
	sd_event_source_set_enabled(src, SD_EVENT_OFF);
	if (!md->lpause)
		evloop_timer(md->ev, &md->lpause, EVLOOP_USEC_PER_SEC, 0,
			     on_unpause, md);
	else
		evloop_timer_set(md->lpause, EVLOOP_USEC_PER_SEC);
}

void conn_accept(struct muispd *md, int lfd, enum conn_kind kind)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	char addr[64] = "";

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			accept_starved(md, lfd, errno);
		else if (errno != EAGAIN && errno != EINTR &&
			 errno != ECONNABORTED)
			log_ratelimited(&rl_fd, LOG_WARNING, "accept: %s",
					strerror(errno));
		return;
	}
	if (kind == CONN_OP) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			log_warnx("operator socket: uid refused");
			close(fd);
			return;
		}
		snprintf(addr, sizeof(addr), "operator");
	} else {
		uint64_t now_ms = muispd_mono_ms(md);
		struct src *s;
		int one = 1;

		conn_addr_str(&ss, addr, sizeof(addr));
		/* A connection costs its address a token, as a message. */
		s = limits_src(&md->srcs, addr, 1, now_ms, md->conf.msg_burst);
		if (!s || !limits_take(s, now_ms, md->conf.msg_rate,
				       md->conf.msg_burst)) {
			md->refused.rate++;
			log_ratelimited(&rl_refused, LOG_WARNING,
					"%s: connecting too often, refused "
					"(%llu over the rate so far)",
					addr,
					(unsigned long long)md->refused.rate);
			close(fd);
			return;
		}
		if (md->nuser >= md->max_user && conn_evict(md, s) < 0) {
			md->refused.conns_full++;
			log_ratelimited(&rl_refused, LOG_WARNING,
					"%s: %u connections, every one busy: "
					"refused",
					addr, md->nuser);
			close(fd);
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (!conn_new(md, fd, kind, addr)) {
		if (kind == CONN_USER)
			log_ratelimited(
				&rl_refused, LOG_WARNING,
				"%s: more than %u connections from "
				"one address, refused (%llu so far)",
				addr, md->conf.max_conns_addr,
				(unsigned long long)md->refused.conns_addr);
		close(fd);
	}
}

/*
 * Descriptors for max-conns user and MUISPD_OP_CONNS operator channels
 * plus MUISPD_FD_RESERVE for everything else: the soft RLIMIT_NOFILE is
 * raised as far as the hard one allows, and max-conns lowered to what
 * fits (with a warning).
 */
void conn_fd_budget(struct muispd *md)
{
	rlim_t need = (rlim_t)md->conf.max_conns + MUISPD_OP_CONNS +
		      MUISPD_FD_RESERVE;
	struct rlimit rl;

	md->max_user = md->conf.max_conns;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= need)
		return;
	need = rl.rlim_cur > MUISPD_OP_CONNS + MUISPD_FD_RESERVE + 16 ?
		       rl.rlim_cur - MUISPD_OP_CONNS - MUISPD_FD_RESERVE :
		       16;
	log_warnx("max-conns %u does not fit %llu descriptors "
		  "(LimitNOFILE): %llu",
		  md->conf.max_conns, (unsigned long long)rl.rlim_cur,
		  (unsigned long long)need);
	md->max_user = (uint32_t)need;
}

/* The control port on the LAN: conf's lan interface, else the module's
 * (kernel yes), unless lan any. */
static int bind_lan(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;
	char ifname[IF_NAMESIZE] = "";

	if (!strcmp(conf->lan, "any"))
		return 0;
	if (conf->lan[0])
		snprintf(ifname, sizeof(ifname), "%s", conf->lan);
	else if (!conf->use_kernel)
		return 0;
	else if (kernel_lan_ifname(md->k, ifname, sizeof(ifname)) != 0) {
		log_warnx("the module has no LAN interface: set 'lan IFNAME' "
			  "in muispd.conf (or 'lan any'), or configure the "
			  "module first (muispctl config set lan IFNAME)");
		return -1;
	}
	if (setsockopt(md->lfd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname))) {
		log_warn("listen: bind to the LAN interface %s", ifname);
		return -1;
	}
	log_info("control port on the LAN interface %s only", ifname);
	return 0;
}

int conn_listen(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr_un su;
	int one = 1;

	md->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	memset(&s6, 0, sizeof(s6));
	memset(&s4, 0, sizeof(s4));
	if (inet_pton(AF_INET6, conf->listen, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(conf->port);
		md->lfd = socket(AF_INET6,
				 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (md->lfd >= 0) {
			int zero = 0;

			setsockopt(md->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		}
	} else if (inet_pton(AF_INET, conf->listen, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(conf->port);
		md->lfd = socket(AF_INET,
				 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	} else {
		log_warnx("listen: bad address %s", conf->listen);
		return -1;
	}
	if (md->lfd < 0)
		return -1;
	setsockopt(md->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_lan(md))
		return -1;
	if ((s6.sin6_family ?
		     bind(md->lfd, (struct sockaddr *)&s6, sizeof(s6)) :
		     bind(md->lfd, (struct sockaddr *)&s4, sizeof(s4))) ||
	    listen(md->lfd, 512)) {
		log_warn("listen %s port %u", conf->listen, conf->port);
		return -1;
	}
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	snprintf(su.sun_path, sizeof(su.sun_path), "%s", conf->socket);
	unlink(conf->socket);
	md->ufd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (md->ufd < 0)
		return -1;
	{
		mode_t old = umask(077);
		int rc = bind(md->ufd, (struct sockaddr *)&su, sizeof(su));

		umask(old);
		if (rc || listen(md->ufd, 16)) {
			log_warn("operator socket %s", conf->socket);
			return -1;
		}
	}
	return 0;
}

/* The handshake goes on whatever the client's certificate: only an
 * agent needs one, and uinfo.c reads the verdict at its hello. */
static int verify_later(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* A TLS 1.3 server context with conf's certificate and key, or NULL
 * (logged).  With agent-ca, clients are asked for a certificate. */
struct ssl_ctx_st *conn_tls_new(const struct muispd_conf *conf)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, conf->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, conf->key, SSL_FILETYPE_PEM) !=
		    1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_warnx("TLS: cannot use %s / %s: %s", conf->cert, conf->key,
			  ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (conf->agent_ca[0]) {
		if (SSL_CTX_load_verify_locations(ctx, conf->agent_ca, NULL) !=
		    1) {
			log_warnx("TLS: cannot use agent-ca %s: %s",
				  conf->agent_ca,
				  ERR_reason_error_string(ERR_get_error()));
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_later);
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

/* Connections keep a reference to the context they started with. */
void conn_tls_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}
