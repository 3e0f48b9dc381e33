// SPDX-License-Identifier: GPL-2.0
/*
 * VICI client: message codec, packet framing and a blocking/poll-loop
 * connection.  See vici.h for the wire format.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vici.h"

int vici_packet_named(int type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	    type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

/* ---- message parsing ------------------------------------------------ */

/*
 * One walk validates (pass 0: count nodes and string bytes) or builds
 * (pass 1, on input already validated, into the arena).
 */
struct walk {
	const uint8_t *p, *end;
	size_t nnodes, strbytes;
	/* build state */
	struct vici_node *nodes;
	char *strs;
	size_t ni;
};

static int take_name(struct walk *w, const uint8_t **s, size_t *len)
{
	if (w->p >= w->end)
		return -1;
	*len = *w->p++;
	if ((size_t)(w->end - w->p) < *len)
		return -1;
	*s = w->p;
	w->p += *len;
	return 0;
}

static int take_value(struct walk *w, const uint8_t **s, size_t *len)
{
	if (w->end - w->p < 2)
		return -1;
	*len = ((size_t)w->p[0] << 8) | w->p[1];
	w->p += 2;
	if ((size_t)(w->end - w->p) < *len)
		return -1;
	*s = w->p;
	w->p += *len;
	return 0;
}

static const char *put_str(struct walk *w, const uint8_t *s, size_t len)
{
	char *d = w->strs;

	if (len)
		memcpy(d, s, len);
	d[len] = '\0';
	w->strs += len + 1;
	return d;
}

/* Append node N to parent P (keeping a tail pointer per open container). */
static void link_child(struct vici_node *parent, struct vici_node **tail,
		       struct vici_node *n)
{
	if (*tail)
		(*tail)->next = n;
	else
		parent->child = n;
	*tail = n;
}

static int walk_msg(struct walk *w, int build, struct vici_node *root)
{
	struct vici_node *stack[VICI_MAX_DEPTH + 2], *tails[VICI_MAX_DEPTH + 2];
	struct vici_node *list = NULL, *list_tail = NULL;
	int depth = 0, in_list = 0;

	stack[0] = root;
	tails[0] = NULL;
	while (w->p < w->end) {
		const uint8_t *name = NULL, *val = NULL;
		size_t nlen = 0, vlen = 0;
		struct vici_node *n = NULL;
		uint8_t t = *w->p++;

		if (in_list && t != VICI_LIST_ITEM && t != VICI_LIST_END)
			return -1;
		switch (t) {
		case VICI_SECTION_START:
			if (take_name(w, &name, &nlen) < 0 ||
			    depth >= VICI_MAX_DEPTH)
				return -1;
			break;
		case VICI_SECTION_END:
			if (depth == 0)
				return -1;
			break;
		case VICI_KEY_VALUE:
			if (take_name(w, &name, &nlen) < 0 ||
			    take_value(w, &val, &vlen) < 0)
				return -1;
			break;
		case VICI_LIST_START:
			if (take_name(w, &name, &nlen) < 0)
				return -1;
			break;
		case VICI_LIST_ITEM:
			if (!in_list || take_value(w, &val, &vlen) < 0)
				return -1;
			break;
		case VICI_LIST_END:
			if (!in_list)
				return -1;
			break;
		default:
			return -1;
		}
		if (t == VICI_SECTION_END) {
			depth--;
			continue;
		}
		if (t == VICI_LIST_END) {
			list = NULL;
			in_list = 0;
			continue;
		}
		if (!build) {
			if (++w->nnodes > VICI_MAX_NODES)
				return -1;
			w->strbytes += nlen + 1 + vlen + 1;
			if (t == VICI_SECTION_START)
				depth++;
			else if (t == VICI_LIST_START)
				in_list = 1;
			continue;
		}
		n = &w->nodes[w->ni++];
		memset(n, 0, sizeof(*n));
		n->name = put_str(w, name, nlen);
		n->nlen = nlen;
		n->value = put_str(w, val, vlen);
		n->vlen = vlen;
		switch (t) {
		case VICI_SECTION_START:
			n->type = VICI_NODE_SECTION;
			link_child(stack[depth], &tails[depth], n);
			depth++;
			stack[depth] = n;
			tails[depth] = NULL;
			break;
		case VICI_KEY_VALUE:
			n->type = VICI_NODE_KV;
			link_child(stack[depth], &tails[depth], n);
			break;
		case VICI_LIST_START:
			n->type = VICI_NODE_LIST;
			link_child(stack[depth], &tails[depth], n);
			list = n;
			list_tail = NULL;
			in_list = 1;
			break;
		case VICI_LIST_ITEM:
			n->type = VICI_NODE_ITEM;
			link_child(list, &list_tail, n);
			break;
		}
	}
	return depth == 0 && !in_list ? 0 : -1;
}

struct vici_msg *vici_msg_parse(const uint8_t *buf, size_t len)
{
	struct walk w = { .p = buf, .end = buf + len };
	struct vici_msg *msg;
	void *arena;

	if (len && !buf) {
		errno = EINVAL;
		return NULL;
	}
	if (walk_msg(&w, 0, NULL) < 0) {
		errno = EBADMSG;
		return NULL;
	}
	msg = calloc(1, sizeof(*msg));
	arena = malloc(w.nnodes * sizeof(struct vici_node) + w.strbytes + 1);
	if (!msg || !arena) {
		free(msg);
		free(arena);
		errno = ENOMEM;
		return NULL;
	}
	msg->arena = arena;
	msg->nnodes = w.nnodes;
	msg->root.type = VICI_NODE_SECTION;
	msg->root.name = "";
	msg->root.value = "";
	w.nodes = arena;
	w.strs = (char *)arena + w.nnodes * sizeof(struct vici_node);
	w.p = buf;
	w.ni = 0;
	if (walk_msg(&w, 1, &msg->root) < 0) {	/* cannot happen */
		vici_msg_free(msg);
		errno = EBADMSG;
		return NULL;
	}
	return msg;
}

void vici_msg_free(struct vici_msg *msg)
{
	if (!msg)
		return;
	free(msg->arena);
	free(msg);
}

const struct vici_node *vici_node_get(const struct vici_node *n,
				      const char *name)
{
	const struct vici_node *c;

	if (!n || (n->type != VICI_NODE_SECTION && n->type != VICI_NODE_LIST))
		return NULL;
	for (c = n->child; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *vici_find_str(const struct vici_node *n, const char *path)
{
	char part[256];
	const char *dot;
	size_t len;

	while (n && (dot = strchr(path, '.'))) {
		len = (size_t)(dot - path);
		if (len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		n = vici_node_get(n, part);
		if (n && n->type != VICI_NODE_SECTION)
			return NULL;
		path = dot + 1;
	}
	n = vici_node_get(n, path);
	return n && n->type == VICI_NODE_KV ? n->value : NULL;
}

size_t vici_node_count(const struct vici_node *n)
{
	const struct vici_node *c;
	size_t i = 0;

	if (!n)
		return 0;
	for (c = n->child; c; c = c->next)
		i++;
	return i;
}

static void dump_value(const struct vici_node *n, FILE *fp)
{
	size_t i;

	for (i = 0; i < n->vlen; i++) {
		unsigned char ch = (unsigned char)n->value[i];

		if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, fp);
		else
			fprintf(fp, "\\x%02x", ch);
	}
}

void vici_msg_dump(const struct vici_node *n, FILE *fp, int indent)
{
	const struct vici_node *c;

	for (c = n->child; c; c = c->next) {
		fprintf(fp, "%*s", indent * 2, "");
		switch (c->type) {
		case VICI_NODE_SECTION:
			fprintf(fp, "%s {\n", c->name);
			vici_msg_dump(c, fp, indent + 1);
			fprintf(fp, "%*s}\n", indent * 2, "");
			break;
		case VICI_NODE_LIST:
			fprintf(fp, "%s [\n", c->name);
			vici_msg_dump(c, fp, indent + 1);
			fprintf(fp, "%*s]\n", indent * 2, "");
			break;
		case VICI_NODE_KV:
			fprintf(fp, "%s = ", c->name);
			dump_value(c, fp);
			fputc('\n', fp);
			break;
		case VICI_NODE_ITEM:
			dump_value(c, fp);
			fputc('\n', fp);
			break;
		}
	}
}

/* ---- building ---------------------------------------------------------- */

void vici_builder_init(struct vici_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void vici_builder_reset(struct vici_builder *b)
{
	free(b->buf);
	vici_builder_init(b);
}

static void b_fail(struct vici_builder *b, int err)
{
	if (!b->error)
		b->error = err;
}

static void b_put(struct vici_builder *b, const void *p, size_t len)
{
	if (b->error)
		return;
	if (b->len + len > VICI_MAX_FRAME) {
		b_fail(b, EMSGSIZE);
		return;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *nb;

		while (cap < b->len + len)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb) {
			b_fail(b, ENOMEM);
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	if (len)
		memcpy(b->buf + b->len, p, len);
	b->len += len;
}

static void b_u8(struct vici_builder *b, uint8_t v)
{
	b_put(b, &v, 1);
}

static void b_name(struct vici_builder *b, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > 255) {
		b_fail(b, EINVAL);
		return;
	}
	b_u8(b, (uint8_t)len);
	b_put(b, name, len);
}

static void b_value(struct vici_builder *b, const void *val, size_t vlen)
{
	uint8_t l[2];

	if (vlen > 0xffff || (vlen && !val)) {
		b_fail(b, EINVAL);
		return;
	}
	l[0] = (uint8_t)(vlen >> 8);
	l[1] = (uint8_t)vlen;
	b_put(b, l, 2);
	b_put(b, val, vlen);
}

void vici_section_begin(struct vici_builder *b, const char *name)
{
	if (b->in_list || b->depth >= VICI_MAX_DEPTH)
		b_fail(b, EINVAL);
	b_u8(b, VICI_SECTION_START);
	b_name(b, name);
	b->depth++;
}

void vici_section_end(struct vici_builder *b)
{
	if (b->in_list || b->depth == 0)
		b_fail(b, EINVAL);
	b_u8(b, VICI_SECTION_END);
	b->depth--;
}

void vici_add_kv(struct vici_builder *b, const char *key, const void *val,
		 size_t vlen)
{
	if (b->in_list)
		b_fail(b, EINVAL);
	b_u8(b, VICI_KEY_VALUE);
	b_name(b, key);
	b_value(b, val, vlen);
}

void vici_add_kv_str(struct vici_builder *b, const char *key, const char *val)
{
	vici_add_kv(b, key, val, strlen(val));
}

void vici_add_kvf(struct vici_builder *b, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		b_fail(b, EINVAL);
		return;
	}
	vici_add_kv(b, key, buf, (size_t)n);
}

void vici_list_begin(struct vici_builder *b, const char *name)
{
	if (b->in_list)
		b_fail(b, EINVAL);
	b_u8(b, VICI_LIST_START);
	b_name(b, name);
	b->in_list = 1;
}

void vici_list_item(struct vici_builder *b, const void *val, size_t vlen)
{
	if (!b->in_list)
		b_fail(b, EINVAL);
	b_u8(b, VICI_LIST_ITEM);
	b_value(b, val, vlen);
}

void vici_list_item_str(struct vici_builder *b, const char *val)
{
	vici_list_item(b, val, strlen(val));
}

void vici_list_end(struct vici_builder *b)
{
	if (!b->in_list)
		b_fail(b, EINVAL);
	b_u8(b, VICI_LIST_END);
	b->in_list = 0;
}

int vici_builder_finish(struct vici_builder *b)
{
	if (!b->error && (b->depth || b->in_list))
		b->error = EINVAL;
	if (b->error) {
		errno = b->error;
		return -1;
	}
	return 0;
}

/* ---- packets ----------------------------------------------------------- */

int vici_packet_encode(int type, const char *name, const uint8_t *msg,
		       size_t msglen, uint8_t **out, size_t *outlen)
{
	size_t nlen = 0, len, off = 0;
	uint8_t *p;

	if (type < VICI_CMD_REQUEST || type > VICI_EVENT) {
		errno = EINVAL;
		return -1;
	}
	if (vici_packet_named(type)) {
		nlen = name ? strlen(name) : 0;
		if (nlen == 0 || nlen > 255) {
			errno = EINVAL;
			return -1;
		}
	}
	len = 1 + (vici_packet_named(type) ? 1 + nlen : 0) + msglen;
	if (len > VICI_MAX_FRAME) {
		errno = EMSGSIZE;
		return -1;
	}
	p = malloc(4 + len);
	if (!p)
		return -1;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	off = 4;
	p[off++] = (uint8_t)type;
	if (vici_packet_named(type)) {
		p[off++] = (uint8_t)nlen;
		memcpy(p + off, name, nlen);
		off += nlen;
	}
	if (msglen)
		memcpy(p + off, msg, msglen);
	*out = p;
	*outlen = 4 + len;
	return 0;
}

int vici_packet_decode(const uint8_t *data, size_t len, struct vici_packet *pkt)
{
	size_t off = 1, nlen;

	memset(pkt, 0, sizeof(*pkt));
	if (len < 1 || data[0] > VICI_EVENT) {
		errno = EBADMSG;
		return -1;
	}
	pkt->type = data[0];
	if (vici_packet_named(pkt->type)) {
		if (len < 2) {
			errno = EBADMSG;
			return -1;
		}
		nlen = data[1];
		off = 2;
		if (len - off < nlen) {
			errno = EBADMSG;
			return -1;
		}
		memcpy(pkt->name, data + off, nlen);
		pkt->name[nlen] = '\0';
		off += nlen;
	}
	pkt->msg = data + off;
	pkt->msglen = len - off;
	return 0;
}

/* ---- connection -------------------------------------------------------- */

struct vici_conn *vici_conn_from_fd(int fd)
{
	struct vici_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->timeout_ms = 10000;
	return c;
}

struct vici_conn *vici_connect(const char *uri)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = uri;
	struct vici_conn *c;
	int fd, e;

	if (!uri)
		path = "/var/run/charon.vici";
	else if (strncmp(uri, "unix://", 7) == 0)
		path = uri + 7;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	c = vici_conn_from_fd(fd);
	if (!c) {
		close(fd);
		errno = ENOMEM;
	}
	return c;
}

void vici_close(struct vici_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	free(c);
}

int vici_fd(const struct vici_conn *c)
{
	return c->fd;
}

void vici_set_event_cb(struct vici_conn *c, vici_event_cb cb, void *arg)
{
	c->event_cb = cb;
	c->event_arg = arg;
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_packet(struct vici_conn *c, int type, const char *name,
		       const struct vici_builder *req)
{
	uint8_t *frame;
	size_t flen;
	int r, e;

	if (vici_packet_encode(type, name, req ? req->buf : NULL,
			       req ? req->len : 0, &frame, &flen) < 0)
		return -1;
	r = send_all(c->fd, frame, flen);
	e = errno;
	free(frame);
	errno = e;
	return r;
}

/*
 * Is a complete frame at the head of rbuf?  1 and its data, 0 if more
 * bytes are needed, -1/EBADMSG if the announced length is over the limit.
 */
static int head_frame(struct vici_conn *c, const uint8_t **data, size_t *len)
{
	uint32_t n;

	if (c->rlen < 4)
		return 0;
	n = ((uint32_t)c->rbuf[0] << 24) | ((uint32_t)c->rbuf[1] << 16) |
	    ((uint32_t)c->rbuf[2] << 8) | c->rbuf[3];
	if (n > VICI_MAX_FRAME) {
		errno = EBADMSG;
		return -1;
	}
	if (c->rlen - 4 < n)
		return 0;
	*data = c->rbuf + 4;
	*len = n;
	return 1;
}

static void consume(struct vici_conn *c, size_t len)
{
	memmove(c->rbuf, c->rbuf + 4 + len, c->rlen - 4 - len);
	c->rlen -= 4 + len;
}

static int append(struct vici_conn *c, const uint8_t *data, size_t len)
{
	if (c->rlen + len > c->rcap) {
		size_t cap = c->rcap ? c->rcap : 4096;
		uint8_t *nb;

		while (cap < c->rlen + len)
			cap *= 2;
		nb = realloc(c->rbuf, cap);
		if (!nb)
			return -1;
		c->rbuf = nb;
		c->rcap = cap;
	}
	memcpy(c->rbuf + c->rlen, data, len);
	c->rlen += len;
	return 0;
}

static void dispatch_event(struct vici_conn *c, const struct vici_packet *pkt)
{
	struct vici_msg *msg = vici_msg_parse(pkt->msg, pkt->msglen);

	c->events++;
	if (!msg)
		c->bad_frames++;
	if (c->event_cb)
		c->event_cb(c->event_arg, pkt->name, msg);
	vici_msg_free(msg);
}

/*
 * Process complete frames.  With WANT (a bitmask of packet types) set,
 * stop at the first packet of a wanted type and return 1 with it in *out
 * (the caller consumes it with *outlen); events are dispatched, anything
 * else is counted and dropped.  Returns the number of events dispatched
 * when WANT is 0, -1 on a fatal framing error.
 */
static int process(struct vici_conn *c, unsigned want, struct vici_packet *out,
		   size_t *outlen)
{
	const uint8_t *data;
	size_t len;
	int r, nev = 0;

	while ((r = head_frame(c, &data, &len)) == 1) {
		struct vici_packet pkt;

		if (vici_packet_decode(data, len, &pkt) < 0) {
			c->bad_frames++;
		} else if (want & (1u << pkt.type)) {
			*out = pkt;
			*outlen = len;
			return 1;
		} else if (pkt.type == VICI_EVENT) {
			dispatch_event(c, &pkt);
			nev++;
		} else {
			c->bad_frames++;
		}
		consume(c, len);
	}
	if (r < 0)
		return -1;
	return want ? 0 : nev;
}

int vici_feed(struct vici_conn *c, const uint8_t *data, size_t len)
{
	if (append(c, data, len) < 0)
		return -1;
	return process(c, 0, NULL, NULL);
}

int vici_dispatch(struct vici_conn *c)
{
	uint8_t buf[8192];
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -1;
	}
	if (n == 0) {
		errno = EPIPE;
		return -1;
	}
	return vici_feed(c, buf, (size_t)n);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait for a packet of a type in WANT; events are dispatched meanwhile. */
static int wait_for(struct vici_conn *c, unsigned want, struct vici_packet *pkt,
		    size_t *len)
{
	long deadline = now_ms() + c->timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		uint8_t buf[8192];
		long left;
		ssize_t n;
		int r;

		r = process(c, want, pkt, len);
		if (r != 0)
			return r;
		left = deadline - now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		if (append(c, buf, (size_t)n) < 0)
			return -1;
	}
}

struct vici_msg *vici_command(struct vici_conn *c, const char *cmd,
			      const struct vici_builder *req)
{
	struct vici_packet pkt;
	struct vici_msg *msg = NULL;
	size_t len;

	if (req && (req->error || req->depth || req->in_list)) {
		errno = EINVAL;
		return NULL;
	}
	if (send_packet(c, VICI_CMD_REQUEST, cmd, req) < 0)
		return NULL;
	if (wait_for(c, 1u << VICI_CMD_RESPONSE | 1u << VICI_CMD_UNKNOWN,
		     &pkt, &len) < 0)
		return NULL;
	if (pkt.type == VICI_CMD_UNKNOWN)
		errno = ENOENT;
	else if (!(msg = vici_msg_parse(pkt.msg, pkt.msglen)))
		c->bad_frames++;
	consume(c, len);
	return msg;
}

static int event_request(struct vici_conn *c, int type, const char *event)
{
	struct vici_packet pkt;
	size_t len;

	if (send_packet(c, type, event, NULL) < 0)
		return -1;
	if (wait_for(c, 1u << VICI_EVENT_CONFIRM | 1u << VICI_EVENT_UNKNOWN,
		     &pkt, &len) < 0)
		return -1;
	consume(c, len);
	if (pkt.type == VICI_EVENT_UNKNOWN) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int vici_register(struct vici_conn *c, const char *event)
{
	return event_request(c, VICI_EVENT_REGISTER, event);
}

int vici_unregister(struct vici_conn *c, const char *event)
{
	return event_request(c, VICI_EVENT_UNREGISTER, event);
}
