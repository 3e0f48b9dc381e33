// SPDX-License-Identifier: GPL-2.0
/*
 * A blocking client of a daemon's operator socket (see opclient.h): one
 * connection, one request at a time, each answered in order.  Moved here
 * from muispctl (tools/muispctl/daemon.c), whose mpd_* now wrap it.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h" /* MUISP_PRINTF */
#include "opclient.h"

void opc_init(struct opclient *o, const char *path, int timeout_ms)
{
	const char *base = strrchr(path, '/');
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->timeout_ms = timeout_ms;
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".sock"))
		n -= 5;
	snprintf(o->name, sizeof(o->name), "%.*s", (int)n, base);
	if (!o->name[0])
		snprintf(o->name, sizeof(o->name), "the daemon");
	if (strlen(path) >= sizeof(o->path))
		snprintf(o->err, sizeof(o->err), "socket path too long");
	else
		memcpy(o->path, path, strlen(path) + 1);
}

static void set_err(struct opclient *o, const char *fmt, ...)
	MUISP_PRINTF(2, 3);

static void set_err(struct opclient *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
}

int opc_open(struct opclient *o)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	size_t len = strlen(o->path);
	int fd, e;

	if (o->fd >= 0)
		return 0;
	if (!len || len >= sizeof(su.sun_path)) {
		errno = o->err[0] || len ? ENAMETOOLONG : ENOENT;
		set_err(o, "%s not reachable at %s: %s", o->name, o->path,
			strerror(errno));
		return -1;
	}
	memcpy(su.sun_path, o->path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (o->timeout_ms > 0) {
		/* bounds connect() (a full backlog) and send() */
		struct timeval tv = { .tv_sec = o->timeout_ms / 1000,
				      .tv_usec = o->timeout_ms % 1000 * 1000 };

		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&su, sizeof(su)) < 0) {
		if (errno == EAGAIN)
			errno = ETIMEDOUT;
		goto fail;
	}
	o->fd = fd;
	o->seq = 0;
	o->replied = 0;
	o->closed = 0;
	o->err[0] = '\0';
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	set_err(o, "%s not reachable at %s: %s", o->name, o->path, strerror(e));
	return -1;
}

void opc_close(struct opclient *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

/* The connection is unusable: o->err, close, -1 with errno.  closed: the
 * daemon ended the connection. */
static int lost(struct opclient *o, int err, int closed, const char *fmt, ...)
	MUISP_PRINTF(4, 5);

static int lost(struct opclient *o, int err, int closed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	o->closed = closed;
	opc_close(o);
	errno = err;
	return -1;
}

/* Read exactly len bytes: 1, 0 when the daemon closed the connection
 * (end of file, or a reset: it closed with our request unread), -1 error
 * (errno; ETIMEDOUT after the reply time-out). */
static int read_full(int fd, int timeout_ms, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET && !got)
			return 0;
		if (n < 0)
			return -1;
		if (n == 0)
			return got ? (errno = EPROTO, -1) : 0;
		got += (size_t)n;
	}
	return 1;
}

/* The next frame that answers request `serial` (asynchronous frames are
 * skipped: operator sockets get none today). */
static int recv_reply(struct opclient *o, uint32_t serial, struct mp_msg *rep)
{
	uint8_t buf[MP_MAX_FRAME];
	int flen, r;

	if (o->fd < 0)
		return lost(o, ENOTCONN, 0, "not connected to %s", o->name);
	for (;;) {
		r = read_full(o->fd, o->timeout_ms, buf, MP_HDR_LEN);
		if (r == 0)
			return lost(o, ECONNRESET, 1,
				    "%s closed the connection", o->name);
		if (r < 0)
			return lost(o, errno, 0, "reading %s's reply: %s",
				    o->name, strerror(errno));
		flen = mp_frame_len(buf, MP_HDR_LEN);
		if (flen < 0)
			return lost(o, EPROTO, 0, "bad reply from %s: %s",
				    o->name, mp_strerror(flen));
		if (flen > MP_HDR_LEN) {
			r = read_full(o->fd, o->timeout_ms, buf + MP_HDR_LEN,
				      (size_t)flen - MP_HDR_LEN);
			if (r <= 0) {
				int e = r ? errno : EPROTO;

				return lost(o, e, 0, "reading %s's reply: %s",
					    o->name, strerror(e));
			}
		}
		r = mp_decode(buf, (size_t)flen, rep);
		if (r)
			return lost(o, EPROTO, 0, "bad reply from %s: %s",
				    o->name, mp_strerror(r));
		o->replied = 1;
		if (rep->flags & MP_F_ASYNC)
			continue;
		/* Daemons send the items of a list with serial 0. */
		if (!(rep->flags & MP_F_REPLY) ||
		    (rep->serial != serial &&
		     !(rep->serial == 0 && (rep->flags & MP_F_MORE))))
			return lost(o, EPROTO, 0, "%s answered %s out of turn",
				    o->name, mp_type_name(rep->type));
		return 0;
	}
}

int opc_call(struct opclient *o, struct mp_msg *req, struct mp_msg *rep)
{
	uint8_t buf[MP_MAX_FRAME];
	size_t off = 0;
	int n;

	if (opc_open(o) < 0)
		return -1;
	req->serial = ++o->seq;
	n = mp_encode(req, buf, sizeof(buf));
	if (n < 0) {
		set_err(o, "cannot encode the request: %s", mp_strerror(n));
		errno = EINVAL;
		return -1;
	}
	while (off < (size_t)n) {
		ssize_t w =
			send(o->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return lost(o, errno, 1, "%s closed the connection",
				    o->name);
		if (w < 0 && errno == EAGAIN)
			return lost(o, ETIMEDOUT, 0, "sending to %s: %s",
				    o->name, strerror(ETIMEDOUT));
		if (w < 0)
			return lost(o, errno, 0, "sending to %s: %s", o->name,
				    strerror(errno));
		off += (size_t)w;
	}
	return recv_reply(o, req->serial, rep);
}

int opc_next(struct opclient *o, struct mp_msg *rep)
{
	return recv_reply(o, o->seq, rep);
}

int opc_counters(struct opclient *o, uint8_t type, struct mp_counter **out,
		 unsigned *n)
{
	struct mp_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
	struct mp_counter *v = NULL, *nv;
	unsigned cnt = 0;
	int r = -1;

	*out = NULL;
	*n = 0;
	if (!req || !rep) {
		set_err(o, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		goto out;
	}
	mp_init(req, type, 0, 0);
	for (r = opc_call(o, req, rep); r == 0; r = opc_next(o, rep)) {
		if (rep->type == MP_T_ERROR) {
			set_err(o, "%s: %s", o->name,
				mp_has(rep, MP_A_MESSAGE) ?
					rep->s[MP_A_MESSAGE] :
					mp_error_name((int)rep->u[MP_A_ERROR]));
			errno = EPROTO;
			r = -1;
			break;
		}
		if (rep->type != MP_T_OP_COUNTERS) {
			set_err(o, "unexpected %s reply from %s",
				mp_type_name(rep->type), o->name);
			errno = EPROTO;
			r = -1;
			break;
		}
		nv = realloc(v, (cnt + rep->ncounters + 1) * sizeof(*v));
		if (!nv) {
			set_err(o, "%s", strerror(ENOMEM));
			errno = ENOMEM;
			r = -1;
			break;
		}
		v = nv;
		memcpy(v + cnt, rep->counters, rep->ncounters * sizeof(*v));
		cnt += rep->ncounters;
		if (!(rep->flags & MP_F_MORE))
			break;
	}
out:
	free(req);
	free(rep);
	if (r < 0) {
		int e = errno;

		free(v);
		errno = e;
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}
