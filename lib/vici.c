// SPDX-License-Identifier: GPL-2.0
/*
 * VICI client: message codec, packet framing, and a connection that queues
 * requests and never blocks (blocking helpers on top).  See vici.h for the
 * wire format and the rules of the connection.
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
	if (walk_msg(&w, 1, &msg->root) < 0) { /* cannot happen */
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

struct vici_req {
	struct vici_req *next;
	int type;	   /* VICI_CMD_REQUEST, VICI_EVENT_(UN)REGISTER */
	uint8_t *frame;	   /* the encoded packet */
	size_t flen, woff; /* bytes of it written */
	uint64_t sent;	   /* when it went in flight */
	vici_reply_cb cb;
	void *arg;
};

uint64_t vici_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct vici_conn *vici_conn_from_fd(int fd)
{
	struct vici_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->timeout_ms = 10000;
	return c;
}

static struct vici_conn *connect_uri(const char *uri, int flags)
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
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

struct vici_conn *vici_connect(const char *uri)
{
	return connect_uri(uri, 0);
}

struct vici_conn *vici_connect_async(const char *uri)
{
	return connect_uri(uri, SOCK_NONBLOCK);
}

static void free_reqs(struct vici_req *q)
{
	while (q) {
		struct vici_req *next = q->next;

		free(q->frame);
		free(q);
		q = next;
	}
}

static void conn_free(struct vici_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free_reqs(c->head);
	free(c->rbuf);
	free(c);
}

void vici_close(struct vici_conn *c)
{
	if (!c || c->closed)
		return;
	if (!c->depth) {
		conn_free(c);
		return;
	}
	/* inside a callback: the outermost vici call frees it */
	c->closed = 1;
	free_reqs(c->head);
	c->head = c->tail = NULL;
}

/* Entering a call that may run callbacks, and leaving it: the last one out
 * frees a connection closed meanwhile.  errno is kept. */
static void enter(struct vici_conn *c)
{
	c->depth++;
}

static void leave(struct vici_conn *c)
{
	int e = errno;

	if (--c->depth == 0 && c->closed)
		conn_free(c);
	errno = e;
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

/*
 * The connection is lost: every queued request fails with ERR, oldest
 * first (unless a callback closes the connection).  Only called inside
 * enter()/leave().  Returns -1 with errno ERR.
 */
static int lose(struct vici_conn *c, int err)
{
	struct vici_req *q = c->head;

	if (!c->error)
		c->error = err;
	c->head = c->tail = NULL;
	while (q) {
		struct vici_req *next = q->next;

		if (!c->closed && q->cb)
			q->cb(q->arg, err, NULL);
		free(q->frame);
		free(q);
		q = next;
	}
	errno = err;
	return -1;
}

/* Write what the socket takes of the request in flight.  0, or -1 with
 * errno on a socket error. */
static int flush(struct vici_conn *c)
{
	struct vici_req *q = c->head;

	while (q && q->woff < q->flen) {
		ssize_t n;

		if (c->fd < 0) {
			q->woff = q->flen; /* no socket: discarded */
			break;
		}
		n = send(c->fd, q->frame + q->woff, q->flen - q->woff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		q->woff += (size_t)n;
	}
	return 0;
}

/* The head of the queue goes in flight: its deadline starts. */
static void start_head(struct vici_conn *c)
{
	if (c->head && !c->head->sent)
		c->head->sent = vici_now() | 1; /* never 0 */
}

static int queue(struct vici_conn *c, int type, const char *name,
		 const struct vici_builder *req, vici_reply_cb cb, void *arg)
{
	struct vici_req *q;

	if (req && (req->error || req->depth || req->in_list)) {
		errno = EINVAL;
		return -1;
	}
	if (c->error || c->closed) {
		errno = EPIPE;
		return -1;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	if (vici_packet_encode(type, name, req ? req->buf : NULL,
			       req ? req->len : 0, &q->frame, &q->flen) < 0) {
		free(q);
		return -1;
	}
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	start_head(c);
	/* a socket error shows again in vici_process(), which may run the
	 * callbacks this function must not */
	flush(c);
	return 0;
}

int vici_command_async(struct vici_conn *c, const char *cmd,
		       const struct vici_builder *req, vici_reply_cb cb,
		       void *arg)
{
	return queue(c, VICI_CMD_REQUEST, cmd, req, cb, arg);
}

int vici_register_async(struct vici_conn *c, const char *event,
			vici_reply_cb cb, void *arg)
{
	return queue(c, VICI_EVENT_REGISTER, event, NULL, cb, arg);
}

int vici_unregister_async(struct vici_conn *c, const char *event,
			  vici_reply_cb cb, void *arg)
{
	return queue(c, VICI_EVENT_UNREGISTER, event, NULL, cb, arg);
}

int vici_events(const struct vici_conn *c)
{
	if (c->error || c->closed)
		return 0;
	if (c->head && c->head->woff < c->head->flen)
		return POLLIN | POLLOUT;
	return POLLIN;
}

uint64_t vici_next_deadline(const struct vici_conn *c)
{
	uint64_t ms;

	if (!c->head || !c->head->sent || c->error || c->closed)
		return 0;
	ms = c->timeout_ms > 0 ? (uint64_t)c->timeout_ms : 0;
	return c->head->sent + ms * 1000;
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

/* Room for LEN more bytes in rbuf.  0 or -1/ENOMEM. */
static int reserve(struct vici_conn *c, size_t len)
{
	size_t cap = c->rcap ? c->rcap : 4096;
	uint8_t *nb;

	if (c->rlen + len <= c->rcap)
		return 0;
	while (cap < c->rlen + len)
		cap *= 2;
	nb = realloc(c->rbuf, cap);
	if (!nb)
		return -1;
	c->rbuf = nb;
	c->rcap = cap;
	return 0;
}

/* Does packet type T answer request Q (fully written)? */
static int answers(const struct vici_req *q, int t)
{
	if (!q || q->woff < q->flen)
		return 0;
	if (q->type == VICI_CMD_REQUEST)
		return t == VICI_CMD_RESPONSE || t == VICI_CMD_UNKNOWN;
	return t == VICI_EVENT_CONFIRM || t == VICI_EVENT_UNKNOWN;
}

/* Complete the request in flight with packet PKT; the next one goes out. */
static void answer(struct vici_conn *c, const struct vici_packet *pkt,
		   struct vici_msg *msg, int err)
{
	struct vici_req *q = c->head;

	c->head = q->next;
	if (!c->head)
		c->tail = NULL;
	/* the next request goes out before the next frame is looked at; a
	 * socket error shows again in process_frames() */
	start_head(c);
	flush(c);
	if (pkt->type == VICI_CMD_UNKNOWN || pkt->type == VICI_EVENT_UNKNOWN)
		err = ENOENT;
	if (q->cb)
		q->cb(q->arg, err, msg);
	else
		vici_msg_free(msg);
	free(q->frame);
	free(q);
}

/*
 * Handle the complete frames in rbuf.  Each is consumed before its
 * callback runs, so a callback may queue requests or close the
 * connection.  Returns the number of events dispatched, or -1 (lost).
 */
static int process_frames(struct vici_conn *c)
{
	const uint8_t *data;
	size_t len;
	int r = 0, nev = 0;

	while (!c->closed && (r = head_frame(c, &data, &len)) == 1) {
		struct vici_packet pkt;
		struct vici_msg *msg = NULL;
		int err = 0;

		if (vici_packet_decode(data, len, &pkt) < 0) {
			c->bad_frames++;
			consume(c, len);
			continue;
		}
		if (pkt.type == VICI_EVENT || pkt.type == VICI_CMD_RESPONSE) {
			msg = vici_msg_parse(pkt.msg, pkt.msglen);
			if (!msg) {
				c->bad_frames++;
				err = errno;
			}
		}
		if (pkt.type == VICI_EVENT) {
			consume(c, len); /* pkt.name is a copy */
			c->events++;
			nev++;
			if (c->event_cb)
				c->event_cb(c->event_arg, pkt.name, msg);
			vici_msg_free(msg);
		} else if (answers(c->head, pkt.type)) {
			consume(c, len);
			answer(c, &pkt, msg, err);
		} else {
			/* nobody asked: a response too many, or of the
			 * wrong kind */
			vici_msg_free(msg);
			consume(c, len);
			c->bad_frames++;
		}
	}
	if (c->closed)
		return nev;
	if (r < 0)
		return lose(c, EBADMSG);
	if (flush(c) < 0) /* the next request, if one went in flight */
		return lose(c, errno);
	return nev;
}

static int feed(struct vici_conn *c, const uint8_t *data, size_t len)
{
	if (reserve(c, len) < 0)
		return lose(c, ENOMEM);
	if (len)
		memcpy(c->rbuf + c->rlen, data, len);
	c->rlen += len;
	return process_frames(c);
}

/* One read and what it completes.  Events dispatched, or -1 (lost). */
static int read_some(struct vici_conn *c)
{
	ssize_t n;

	if (c->fd < 0)
		return 0;
	if (reserve(c, 16384) < 0)
		return lose(c, ENOMEM);
	n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return lose(c, errno);
	}
	if (n == 0)
		return lose(c, EPIPE);
	c->rlen += (size_t)n;
	return process_frames(c);
}

static int io(struct vici_conn *c, int revents)
{
	if (revents & POLLNVAL)
		return lose(c, EBADF);
	if ((revents & POLLOUT) && flush(c) < 0)
		return lose(c, errno);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		return read_some(c);
	return 0;
}

/* Refuse to run inside a callback or on a lost connection. */
static int usable(const struct vici_conn *c)
{
	if (c->depth) {
		errno = EDEADLK;
		return 0;
	}
	if (c->error) {
		errno = c->error;
		return 0;
	}
	return 1;
}

/* The return value of a call that ran callbacks, then leave(). */
static int done(struct vici_conn *c, int r)
{
	if (c->closed)
		r = 0;
	leave(c);
	return r;
}

int vici_process(struct vici_conn *c, int revents)
{
	if (!usable(c))
		return -1;
	enter(c);
	return done(c, io(c, revents));
}

int vici_dispatch(struct vici_conn *c)
{
	return vici_process(c, POLLIN);
}

int vici_feed(struct vici_conn *c, const uint8_t *data, size_t len)
{
	if (!usable(c))
		return -1;
	enter(c);
	return done(c, feed(c, data, len));
}

int vici_expire(struct vici_conn *c, uint64_t now)
{
	uint64_t d;

	if (!usable(c))
		return -1;
	d = vici_next_deadline(c);
	if (!d || now < d)
		return 0;
	enter(c);
	return done(c, lose(c, ETIMEDOUT));
}

int vici_wait(struct vici_conn *c, const int *isdone)
{
	int r = 0;

	if (c->depth) {
		errno = EDEADLK;
		return -1;
	}
	enter(c);
	while (!*isdone && !c->closed) {
		struct pollfd pfd = { .fd = c->fd, .events = vici_events(c) };
		uint64_t d = vici_next_deadline(c), now = vici_now();

		if (c->error) {
			errno = c->error;
			r = -1;
			break;
		}
		if (!d || c->fd < 0) { /* nothing will ever come */
			errno = EINVAL;
			r = -1;
			break;
		}
		if (now >= d) {
			lose(c, ETIMEDOUT);
			continue;
		}
		if (poll(&pfd, 1, (int)((d - now + 999) / 1000)) < 0) {
			if (errno != EINTR)
				lose(c, errno);
			continue;
		}
		if (pfd.revents)
			io(c, pfd.revents);
	}
	if (c->closed && !*isdone) {
		errno = ECANCELED;
		r = -1;
	}
	leave(c);
	return r;
}

/* What the blocking helpers wait for. */
struct result {
	int done, err;
	struct vici_msg *msg;
};

static void on_result(void *arg, int err, struct vici_msg *msg)
{
	struct result *r = arg;

	r->done = 1;
	r->err = err;
	r->msg = msg;
}

static int wait_result(struct vici_conn *c, struct result *r)
{
	if (vici_wait(c, &r->done) < 0)
		return -1;
	if (r->err) {
		errno = r->err;
		return -1;
	}
	return 0;
}

struct vici_msg *vici_command(struct vici_conn *c, const char *cmd,
			      const struct vici_builder *req)
{
	struct result r = { 0 };

	/* checked before queueing: R lives on this stack */
	if (c->depth) {
		errno = EDEADLK;
		return NULL;
	}
	if (vici_command_async(c, cmd, req, on_result, &r) < 0 ||
	    wait_result(c, &r) < 0)
		return NULL;
	return r.msg;
}

static int event_request(struct vici_conn *c, int type, const char *event)
{
	struct result r = { 0 };

	if (c->depth) {
		errno = EDEADLK;
		return -1;
	}
	if (queue(c, type, event, NULL, on_result, &r) < 0)
		return -1;
	return wait_result(c, &r);
}

int vici_register(struct vici_conn *c, const char *event)
{
	return event_request(c, VICI_EVENT_REGISTER, event);
}

int vici_unregister(struct vici_conn *c, const char *event)
{
	return event_request(c, VICI_EVENT_UNREGISTER, event);
}
