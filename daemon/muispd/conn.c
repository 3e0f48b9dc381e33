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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "muispd.h"

void conn_free(struct conn *c)
{
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
	if (c->wlen + (size_t)n > MUISPD_WBUF_MAX) {
		log_warnx("%s: output queue full, closing", c->addr);
		c->wlen = 0;
		conn_close(c);
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
		int rc;

		if (flen == MP_E_SHORT)
			break;
		if (flen < 0) {
			md->bad_frames++;
			log_info("%s: bad frame header: %s (%llu bad so far)",
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
		rc = mp_decode(c->rbuf + off, (size_t)flen, m);
		off += (size_t)flen;
		if (rc) {
			md->bad_frames++;
			log_info("%s: bad message: %s", c->addr,
				 mp_strerror(rc));
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
	log_info("%s: plain control channel refused (no ESP tunnel)", c->addr);
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
		log_info("%s: TLS handshake failed", c->addr);
		return -1;
	}
}

void conn_event(struct muispd *md, struct conn *c, uint32_t rev)
{
	int rc = 0;

	conn_touch(c);
	/* Gone; or hung up while a reply waits, when it is not read. */
	if ((rev & EPOLLERR) || ((rev & EPOLLHUP) && c->wait)) {
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

/* A connection on fd (taken over), in md's table; NULL if full. */
struct conn *conn_new(struct muispd *md, int fd, enum conn_kind kind,
		      const char *addr)
{
	struct conn *c;

	if (md->nconns >= MUISPD_MAX_CONNS) {
		log_warnx("too many connections");
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
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	if (md->ev && fd >= 0 &&
	    sd_event_add_io(md->ev, &c->io, fd, EPOLLIN, on_conn, c) < 0) {
		log_warnx("%s: cannot watch the connection", addr);
		free(c);
		return NULL;
	}
	c->idx = md->nconns;
	md->conns[md->nconns++] = c;
	return c;
}

static void peer_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
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

void conn_accept(struct muispd *md, int lfd, enum conn_kind kind)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	char addr[64] = "";

	if (fd < 0) {
		if (errno != EAGAIN)
			log_warn("accept");
		return;
	}
	if (md->nconns >= MUISPD_MAX_CONNS) {
		log_warnx("too many connections");
		close(fd);
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
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		peer_addr(&ss, addr, sizeof(addr));
	}
	if (!conn_new(md, fd, kind, addr))
		close(fd);
}

int conn_listen(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr_un su;
	int one = 1;

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

/* A TLS 1.3 server context with conf's certificate and key, or NULL
 * (logged). */
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
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

/* Connections keep a reference to the context they started with. */
void conn_tls_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}
