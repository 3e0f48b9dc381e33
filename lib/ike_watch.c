// SPDX-License-Identifier: GPL-2.0
/*
 * ike_watch: CHILD_SA lifecycle from charon's VICI events.
 *
 * Events (strongSwan vici README):
 *   child-updown { up = yes|no; <ike> { ...; child-sas { <c> { ... } } } }
 *   child-rekey  { <ike> { ...; child-sas { <c> { old {..} new {..} } } } }
 *   ike-updown   { up = yes|no; <ike> { uniqueid, remote-host, ... } }
 *   list-sa      { <ike> { ...; child-sas { <c> { ... } } } }  (sync)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_watch.h"

/*
 * An operation: a few requests queued together on the connection, one
 * result.  Registering the events is three registrations; a sync or a probe
 * is "register list-sa, list-sas, unregister list-sa" queued as one run,
 * so no two list-sa registrations ever overlap (charon keeps one entry per
 * registration and would send each list-sa twice).  Requests are answered
 * in order, so the list-sa events that arrive belong to the oldest
 * operation whose list-sas is not answered yet.
 */
enum op_kind { OP_REGISTER, OP_SYNC, OP_PROBE };

struct ike_op {
	struct ike_op *next;
	struct ike_watch *w;
	enum op_kind kind;
	int pending;		   /* its requests not answered yet */
	int err;		   /* the first error */
	int listed;		   /* its list-sas was answered */
	int count;		   /* sync: SAs reported; probe: found */
	uint32_t child_id, spi_in; /* probe */
	ike_watch_done_cb cb;	   /* NULL: finish silently */
	void *arg;
};

struct ike_watch {
	struct vici_conn *conn;
	struct ike_watch_ops ops;
	void *arg;
	struct ike_watch_stats st;
	struct ike_op *op_head, *op_tail; /* in the order queued */
	int depth;	       /* ike_watch calls running callbacks */
	int closed;	       /* ike_watch_close() deferred */
	struct ike_child *sas; /* CHILD_SAs up, unordered */
	size_t nsas, capsas;
};

static int same_addr(const struct ike_child *c, int family, const void *addr)
{
	if (c->family != family)
		return 0;
	if (family == AF_INET)
		return memcmp(&c->addr.v4, addr, sizeof(c->addr.v4)) == 0;
	return memcmp(&c->addr.v6, addr, sizeof(c->addr.v6)) == 0;
}

static struct ike_child *sa_by_id(struct ike_watch *w, uint32_t uniqueid)
{
	size_t i;

	for (i = 0; i < w->nsas; i++)
		if (w->sas[i].uniqueid == uniqueid)
			return &w->sas[i];
	return NULL;
}

static void sa_put(struct ike_watch *w, const struct ike_child *c)
{
	struct ike_child *e = sa_by_id(w, c->uniqueid);

	if (!e) {
		if (w->nsas == w->capsas) {
			size_t cap = w->capsas ? w->capsas * 2 : 16;
			struct ike_child *n = realloc(w->sas, cap * sizeof(*n));

			if (!n)
				return; /* table is advisory; events still go out */
			w->sas = n;
			w->capsas = cap;
		}
		e = &w->sas[w->nsas++];
	}
	*e = *c;
}

static void sa_del(struct ike_watch *w, uint32_t uniqueid)
{
	struct ike_child *e = sa_by_id(w, uniqueid);

	if (e)
		*e = w->sas[--w->nsas];
}

size_t ike_watch_count(const struct ike_watch *w)
{
	return w->nsas;
}

size_t ike_watch_find(const struct ike_watch *w, int family, const void *addr,
		      struct ike_child *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < w->nsas; i++) {
		if (family != AF_UNSPEC && !same_addr(&w->sas[i], family, addr))
			continue;
		if (n < max)
			out[n] = w->sas[i];
		n++;
	}
	return n;
}

static int parse_u32(const char *s, int base, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* Optional numeric key: absent is 0, malformed is an error. */
static int opt_u32(const struct vici_node *sa, const char *key, int base,
		   uint32_t *out)
{
	const char *v = vici_find_str(sa, key);

	*out = 0;
	if (!v)
		return 0;
	return parse_u32(v, base, out);
}

/* "192.0.2.10/32" or "2001:db8::10/128" as one host?  1 yes, 0 no. */
static int host_ts(const char *ts, struct ike_child *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint32_t plen;

	if (strlen(ts) >= sizeof(buf))
		return 0;
	strcpy(buf, ts);
	slash = strchr(buf, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (parse_u32(slash + 1, 10, &plen) < 0)
		return 0;
	if (plen == 32 && inet_pton(AF_INET, buf, &c->addr.v4) == 1) {
		c->family = AF_INET;
	} else if (plen == 128 && inet_pton(AF_INET6, buf, &c->addr.v6) == 1) {
		c->family = AF_INET6;
	} else {
		return 0;
	}
	copy_str(c->addr_str, sizeof(c->addr_str), buf);
	return 1;
}

static int host_addr(const char *s, struct ike_child *c)
{
	if (inet_pton(AF_INET, s, &c->addr.v4) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &c->addr.v6) == 1)
		c->family = AF_INET6;
	else
		return -1;
	copy_str(c->addr_str, sizeof(c->addr_str), s);
	return 0;
}

int ike_child_parse(const struct vici_node *ike, const struct vici_node *sa,
		    struct ike_child *c)
{
	const struct vici_node *ts, *it;
	const char *proto, *mode, *host;

	memset(c, 0, sizeof(*c));
	if (!ike || !sa || sa->type != VICI_NODE_SECTION)
		return -1;
	copy_str(c->ike_name, sizeof(c->ike_name), ike->name);
	if (opt_u32(ike, "uniqueid", 10, &c->ike_uniqueid) < 0)
		return -1;
	copy_str(c->child_name, sizeof(c->child_name),
		 vici_find_str(sa, "name") ? vici_find_str(sa, "name") :
					     sa->name);
	if (parse_u32(vici_find_str(sa, "uniqueid"), 10, &c->uniqueid) < 0 ||
	    parse_u32(vici_find_str(sa, "reqid"), 10, &c->reqid) < 0 ||
	    c->reqid == 0)
		return -1;
	proto = vici_find_str(sa, "protocol");
	if (proto && strcmp(proto, "AH") == 0)
		c->proto = IPPROTO_AH;
	else if (proto && strcmp(proto, "ESP") == 0)
		c->proto = IPPROTO_ESP;
	else
		return -1;
	mode = vici_find_str(sa, "mode");
	c->tunnel = mode && strcmp(mode, "TUNNEL") == 0;
	if (parse_u32(vici_find_str(sa, "spi-in"), 16, &c->spi_in) < 0 ||
	    parse_u32(vici_find_str(sa, "spi-out"), 16, &c->spi_out) < 0)
		return -1;
	if (opt_u32(sa, "if-id-in", 16, &c->if_id_in) < 0 ||
	    opt_u32(sa, "if-id-out", 16, &c->if_id_out) < 0 ||
	    opt_u32(sa, "mark-in", 16, &c->mark_in) < 0 ||
	    opt_u32(sa, "mark-out", 16, &c->mark_out) < 0 ||
	    opt_u32(sa, "integ-keysize", 10, &c->integ_keysize) < 0 ||
	    opt_u32(sa, "encr-keysize", 10, &c->encr_keysize) < 0)
		return -1;
	copy_str(c->integ_alg, sizeof(c->integ_alg),
		 vici_find_str(sa, "integ-alg"));
	copy_str(c->encr_alg, sizeof(c->encr_alg),
		 vici_find_str(sa, "encr-alg"));
	host = vici_find_str(ike, "remote-host");
	copy_str(c->remote_host, sizeof(c->remote_host), host);
	copy_str(c->remote_id, sizeof(c->remote_id),
		 vici_find_str(ike, "remote-id"));
	copy_str(c->remote_eap_id, sizeof(c->remote_eap_id),
		 vici_find_str(ike, "remote-eap-id"));
	/* the client address: a single-host remote TS, else the IKE peer */
	ts = vici_node_get(sa, "remote-ts");
	if (ts && ts->type == VICI_NODE_LIST)
		for (it = ts->child; it; it = it->next)
			if (host_ts(it->value, c))
				return 0;
	if (host && host_addr(host, c) == 0)
		return 0;
	return -1;
}

int ike_child_format(const struct ike_child *c, char *buf, size_t len)
{
	return snprintf(buf, len,
			"addr %s reqid %u proto %s mode %s spi_in 0x%08x "
			"spi_out 0x%08x ike %s/%u child %s/%u integ %s/%u "
			"encr %s remote %s id %s",
			c->addr_str, c->reqid,
			c->proto == IPPROTO_AH ? "AH" : "ESP",
			c->tunnel ? "tunnel" : "transport", c->spi_in,
			c->spi_out, c->ike_name, c->ike_uniqueid, c->child_name,
			c->uniqueid, c->integ_alg[0] ? c->integ_alg : "-",
			c->integ_keysize, c->encr_alg[0] ? c->encr_alg : "-",
			c->remote_host, c->remote_id[0] ? c->remote_id : "-");
}

/* Every CHILD_SA section under every IKE_SA section of MSG: an event
 * (SYNC NULL) or the listing of a sync. */
static void each_child(struct ike_watch *w, const struct vici_msg *msg, int up,
		       struct ike_op *sync)
{
	const struct vici_node *ike, *sas, *sa;
	struct ike_child c;

	for (ike = msg->root.child; ike && !w->closed; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		sas = vici_node_get(ike, "child-sas");
		if (!sas || sas->type != VICI_NODE_SECTION) {
			if (!sync) /* list-sa may have none */
				w->st.malformed++;
			continue;
		}
		for (sa = sas->child; sa && !w->closed; sa = sa->next) {
			const char *state = vici_find_str(sa, "state");

			if (sync && (!state || strcmp(state, "INSTALLED") != 0))
				continue;
			if (ike_child_parse(ike, sa, &c) < 0) {
				w->st.malformed++;
				continue;
			}
			if (up) {
				sa_put(w, &c);
				w->st.child_up++;
				if (sync)
					sync->count++;
				if (w->ops.child_up)
					w->ops.child_up(w->arg, &c);
			} else {
				sa_del(w, c.uniqueid);
				w->st.child_down++;
				if (w->ops.child_down)
					w->ops.child_down(w->arg, &c);
			}
		}
	}
}

static void handle_rekey(struct ike_watch *w, const struct vici_msg *msg)
{
	const struct vici_node *ike, *sas, *sa;
	struct ike_child o, n;

	for (ike = msg->root.child; ike && !w->closed; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		sas = vici_node_get(ike, "child-sas");
		if (!sas || sas->type != VICI_NODE_SECTION) {
			w->st.malformed++;
			continue;
		}
		for (sa = sas->child; sa && !w->closed; sa = sa->next) {
			if (ike_child_parse(ike, vici_node_get(sa, "old"), &o) <
				    0 ||
			    ike_child_parse(ike, vici_node_get(sa, "new"), &n) <
				    0) {
				w->st.malformed++;
				continue;
			}
			sa_del(w, o.uniqueid);
			sa_put(w, &n);
			w->st.child_rekey++;
			if (w->ops.child_rekey)
				w->ops.child_rekey(w->arg, &o, &n);
		}
	}
}

/* list-sa answering a probe: any CHILD_SA section, in any state, with
 * the unique id and inbound SPI asked for. */
static void probe_scan(struct ike_op *op, const struct vici_msg *msg)
{
	const struct vici_node *ike, *sas, *sa;
	uint32_t id, spi;

	for (ike = msg->root.child; ike; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		sas = vici_node_get(ike, "child-sas");
		if (!sas || sas->type != VICI_NODE_SECTION)
			continue;
		for (sa = sas->child; sa; sa = sa->next)
			if (sa->type == VICI_NODE_SECTION &&
			    parse_u32(vici_find_str(sa, "uniqueid"), 10, &id) ==
				    0 &&
			    parse_u32(vici_find_str(sa, "spi-in"), 16, &spi) ==
				    0 &&
			    id == op->child_id && spi == op->spi_in)
				op->count = 1;
	}
}

static void handle_ike(struct ike_watch *w, const struct vici_msg *msg, int up)
{
	const struct vici_node *ike;
	uint32_t id;

	for (ike = msg->root.child; ike && !w->closed; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		if (parse_u32(vici_find_str(ike, "uniqueid"), 10, &id) < 0) {
			w->st.malformed++;
			continue;
		}
		w->st.ike_updown++;
		if (w->ops.ike_updown)
			w->ops.ike_updown(w->arg, ike->name, id, up,
					  vici_find_str(ike, "remote-host"));
	}
}

/* Entering a call that may run callbacks, and leaving it: the last one out
 * frees a watcher closed meanwhile.  errno is kept. */
static void w_enter(struct ike_watch *w)
{
	w->depth++;
}

static void w_free(struct ike_watch *w)
{
	struct ike_op *op = w->op_head;

	while (op) {
		struct ike_op *next = op->next;

		free(op);
		op = next;
	}
	free(w->sas);
	free(w);
}

static void w_leave(struct ike_watch *w)
{
	int e = errno;

	if (--w->depth == 0 && w->closed)
		w_free(w);
	errno = e;
}

/* The operation whose list-sas is in flight or next: list-sa is ours. */
static struct ike_op *listing_op(struct ike_watch *w)
{
	struct ike_op *op;

	for (op = w->op_head; op; op = op->next)
		if (op->kind != OP_REGISTER && !op->listed)
			return op;
	return NULL;
}

static void handle(struct ike_watch *w, const char *name,
		   const struct vici_msg *msg)
{
	struct ike_op *op;
	const char *up;

	w->st.events++;
	if (w->ops.event)
		w->ops.event(w->arg, name, msg);
	if (w->closed)
		return;
	if (!msg) {
		w->st.malformed++;
		return;
	}
	up = vici_find_str(&msg->root, "up");
	op = strcmp(name, "list-sa") == 0 ? listing_op(w) : NULL;
	if (strcmp(name, "child-updown") == 0)
		each_child(w, msg, up && strcmp(up, "yes") == 0, NULL);
	else if (op && op->kind == OP_SYNC)
		each_child(w, msg, 1, op);
	else if (op && op->kind == OP_PROBE)
		probe_scan(op, msg);
	else if (strcmp(name, "child-rekey") == 0)
		handle_rekey(w, msg);
	else if (strcmp(name, "ike-updown") == 0)
		handle_ike(w, msg, up && strcmp(up, "yes") == 0);
	else
		w->st.ignored++;
}

void ike_watch_handle(struct ike_watch *w, const char *name,
		      const struct vici_msg *msg)
{
	w_enter(w);
	handle(w, name, msg);
	w_leave(w);
}

static void on_event(void *arg, const char *name, const struct vici_msg *msg)
{
	ike_watch_handle(arg, name, msg);
}

struct ike_watch *ike_watch_new(struct vici_conn *conn,
				const struct ike_watch_ops *ops, void *arg)
{
	struct ike_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->conn = conn;
	if (ops)
		w->ops = *ops;
	w->arg = arg;
	vici_set_event_cb(conn, on_event, w);
	return w;
}

void ike_watch_close(struct ike_watch *w)
{
	if (!w || w->closed)
		return;
	w->closed = 1;
	vici_close(w->conn); /* deferred too inside its callbacks */
	w->conn = NULL;
	if (!w->depth)
		w_free(w);
}

/* ---- operations ------------------------------------------------------ */

static struct ike_op *op_new(struct ike_watch *w, enum op_kind kind,
			     ike_watch_done_cb cb, void *arg)
{
	struct ike_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->w = w;
	op->kind = kind;
	op->cb = cb;
	op->arg = arg;
	if (w->op_tail)
		w->op_tail->next = op;
	else
		w->op_head = op;
	w->op_tail = op;
	return op;
}

static void op_unlink(struct ike_watch *w, struct ike_op *op)
{
	struct ike_op **pp, *prev = NULL;

	for (pp = &w->op_head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != op)
			continue;
		*pp = op->next;
		if (w->op_tail == op)
			w->op_tail = prev;
		return;
	}
}

/* One of OP's requests is answered (ERR 0 or an errno worth reporting);
 * after the last one, its result goes out. */
static void op_step(struct ike_op *op, int err)
{
	struct ike_watch *w = op->w;

	if (err && !op->err)
		op->err = err;
	if (--op->pending || w->closed)
		return; /* a closed watcher frees its ops */
	op_unlink(w, op);
	if (op->cb)
		op->cb(op->arg, op->err ? -op->err : op->count);
	free(op);
}

/* vici reply callbacks: a registration, the list-sas, the unregistration
 * (whose failure changes nothing: the listing is complete). */
static void op_reply(void *arg, int err, struct vici_msg *msg)
{
	struct ike_op *op = arg;
	struct ike_watch *w = op->w;

	vici_msg_free(msg);
	w_enter(w);
	op_step(op, err);
	w_leave(w);
}

static void op_listed(void *arg, int err, struct vici_msg *msg)
{
	struct ike_op *op = arg;

	op->listed = 1;
	op_reply(arg, err, msg);
}

static void op_unreg(void *arg, int err, struct vici_msg *msg)
{
	op_reply(arg, 0, msg);
}

/* Account a request queued (R 0) for OP, or fail (R -1). */
static int op_req(struct ike_op *op, int r)
{
	if (r == 0)
		op->pending++;
	return r;
}

/* Queueing OP failed: it finishes silently once what was queued is
 * answered (only ENOMEM can stop a run midway).  -1 with errno. */
static int op_abort(struct ike_watch *w, struct ike_op *op)
{
	int e = errno;

	op->cb = NULL;
	if (!op->pending) {
		op_unlink(w, op);
		free(op);
	}
	errno = e;
	return -1;
}

int ike_watch_register_async(struct ike_watch *w, ike_watch_done_cb ready,
			     void *ready_arg)
{
	static const char *const events[] = {
		"ike-updown",
		"child-updown",
		"child-rekey",
	};
	struct ike_op *op = op_new(w, OP_REGISTER, ready, ready_arg);
	size_t i;

	if (!op)
		return -1;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (op_req(op, vici_register_async(w->conn, events[i], op_reply,
						   op)) < 0)
			return op_abort(w, op);
	return 0;
}

/* Queue "register list-sa, list-sas FILTER, unregister list-sa" for OP. */
static int op_list(struct ike_watch *w, struct ike_op *op,
		   const struct vici_builder *filter)
{
	if (op_req(op, vici_register_async(w->conn, "list-sa", op_reply, op)) <
		    0 ||
	    op_req(op, vici_command_async(w->conn, "list-sas", filter,
					  op_listed, op)) < 0 ||
	    op_req(op,
		   vici_unregister_async(w->conn, "list-sa", op_unreg, op)) < 0)
		return op_abort(w, op);
	return 0;
}

int ike_watch_sync_async(struct ike_watch *w, ike_watch_done_cb done, void *arg)
{
	struct ike_op *op = op_new(w, OP_SYNC, done, arg);

	return op ? op_list(w, op, NULL) : -1;
}

int ike_watch_syncing(const struct ike_watch *w)
{
	const struct ike_op *op;

	for (op = w->op_head; op; op = op->next)
		if (op->kind == OP_SYNC && op->cb)
			return 1;
	return 0;
}

int ike_watch_child_listed_async(struct ike_watch *w, uint32_t ike_id,
				 uint32_t child_id, uint32_t spi_in,
				 ike_watch_done_cb cb, void *arg)
{
	struct vici_builder b;
	struct ike_op *op;
	int r, e;

	vici_builder_init(&b);
	/* blocking (no "noblock"): a busy IKE_SA is waited for, not
	 * skipped, so "not listed" really means gone */
	vici_add_kvf(&b, "ike-id", "%u", ike_id);
	if (vici_builder_finish(&b) < 0 ||
	    !(op = op_new(w, OP_PROBE, cb, arg))) {
		e = errno;
		vici_builder_reset(&b);
		errno = e;
		return -1;
	}
	op->child_id = child_id;
	op->spi_in = spi_in;
	r = op_list(w, op, &b);
	e = errno;
	vici_builder_reset(&b);
	errno = e;
	return r;
}

/* ---- the event loop's side -------------------------------------------- */

int ike_watch_fd(const struct ike_watch *w)
{
	return vici_fd(w->conn);
}

int ike_watch_events(const struct ike_watch *w)
{
	return vici_events(w->conn);
}

uint64_t ike_watch_next_deadline(const struct ike_watch *w)
{
	return vici_next_deadline(w->conn);
}

/* Blocking functions are not for callbacks: they would stall the loop
 * (and a waiter on the stack would be left behind). */
static int may_block(const struct ike_watch *w)
{
	if (w->depth) {
		errno = EDEADLK;
		return 0;
	}
	return 1;
}

/* vici_process(REVENTS), or vici_expire(NOW) when REVENTS < 0, for the
 * watcher: 0 if a callback closed it. */
static int drive(struct ike_watch *w, int revents, uint64_t now)
{
	int r;

	if (!may_block(w))
		return -1;
	w_enter(w);
	if (revents >= 0)
		r = vici_process(w->conn, revents);
	else
		r = vici_expire(w->conn, now);
	if (w->closed)
		r = 0;
	w_leave(w);
	return r;
}

int ike_watch_process(struct ike_watch *w, int revents)
{
	return drive(w, revents, 0);
}

int ike_watch_dispatch(struct ike_watch *w)
{
	return drive(w, POLLIN, 0);
}

int ike_watch_expire(struct ike_watch *w, uint64_t now)
{
	return drive(w, -1, now);
}

/* ---- blocking ----------------------------------------------------------- */

struct waiter {
	int done, result;
};

static void on_done(void *arg, int result)
{
	struct waiter *wt = arg;

	wt->done = 1;
	wt->result = result;
}

/*
 * Run the connection until the operation that reports to WT is done.  Its
 * result, or -1 with errno (ECANCELED: a callback closed the watcher,
 * which is gone).
 */
static int wait_op(struct ike_watch *w, struct waiter *wt)
{
	w_enter(w);
	vici_wait(w->conn, &wt->done);
	w_leave(w);
	if (!wt->done)
		return -1;
	if (wt->result < 0) {
		errno = -wt->result;
		return -1;
	}
	return wt->result;
}

/* A watcher on CONN (NULL: the connect failed) with its registrations
 * queued, or NULL with errno (CONN closed). */
static struct ike_watch *start(struct vici_conn *conn,
			       const struct ike_watch_ops *ops, void *arg,
			       ike_watch_done_cb ready, void *ready_arg)
{
	struct ike_watch *w;
	int e;

	if (!conn)
		return NULL;
	w = ike_watch_new(conn, ops, arg);
	if (!w) {
		vici_close(conn);
		errno = ENOMEM;
		return NULL;
	}
	if (ike_watch_register_async(w, ready, ready_arg) < 0) {
		e = errno;
		ike_watch_close(w);
		errno = e;
		return NULL;
	}
	return w;
}

struct ike_watch *ike_watch_open_async(const char *uri,
				       const struct ike_watch_ops *ops,
				       void *arg, ike_watch_done_cb ready,
				       void *ready_arg)
{
	return start(vici_connect_async(uri), ops, arg, ready, ready_arg);
}

struct ike_watch *ike_watch_open(const char *uri,
				 const struct ike_watch_ops *ops, void *arg)
{
	struct waiter wt = { 0 };
	struct ike_watch *w;
	int e;

	w = start(vici_connect(uri), ops, arg, on_done, &wt);
	if (w && wait_op(w, &wt) < 0) {
		e = errno;
		if (e != ECANCELED) /* else a callback closed it */
			ike_watch_close(w);
		errno = e;
		return NULL;
	}
	return w;
}

int ike_watch_sync(struct ike_watch *w)
{
	struct waiter wt = { 0 };

	if (!may_block(w) || ike_watch_sync_async(w, on_done, &wt) < 0)
		return -1;
	return wait_op(w, &wt);
}

int ike_watch_child_listed(struct ike_watch *w, uint32_t ike_id,
			   uint32_t child_id, uint32_t spi_in)
{
	struct waiter wt = { 0 };

	if (!may_block(w) ||
	    ike_watch_child_listed_async(w, ike_id, child_id, spi_in, on_done,
					 &wt) < 0)
		return -1;
	return wait_op(w, &wt);
}

const struct ike_watch_stats *ike_watch_stats(const struct ike_watch *w)
{
	return &w->st;
}

struct vici_conn *ike_watch_conn(struct ike_watch *w)
{
	return w->conn;
}
