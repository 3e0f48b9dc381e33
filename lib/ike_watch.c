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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_watch.h"

struct ike_watch {
	struct vici_conn *conn;
	struct ike_watch_ops ops;
	void *arg;
	struct ike_watch_stats st;
	int syncing;
	int synced;
	struct {		/* ike_watch_child_listed() in progress */
		int active, found;
		uint32_t child_id, spi_in;
	} probe;
	struct ike_child *sas;	/* CHILD_SAs up, unordered */
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
				return;	/* table is advisory; events still go out */
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
		if (!same_addr(&w->sas[i], family, addr))
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
			c->spi_out, c->ike_name, c->ike_uniqueid,
			c->child_name, c->uniqueid,
			c->integ_alg[0] ? c->integ_alg : "-", c->integ_keysize,
			c->encr_alg[0] ? c->encr_alg : "-", c->remote_host,
			c->remote_id[0] ? c->remote_id : "-");
}

/* Every CHILD_SA section under every IKE_SA section of MSG. */
static void each_child(struct ike_watch *w, const struct vici_msg *msg, int up)
{
	const struct vici_node *ike, *sas, *sa;
	struct ike_child c;

	for (ike = msg->root.child; ike; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		sas = vici_node_get(ike, "child-sas");
		if (!sas || sas->type != VICI_NODE_SECTION) {
			if (!w->syncing)	/* list-sa may have none */
				w->st.malformed++;
			continue;
		}
		for (sa = sas->child; sa; sa = sa->next) {
			const char *state = vici_find_str(sa, "state");

			if (w->syncing && (!state ||
					   strcmp(state, "INSTALLED") != 0))
				continue;
			if (ike_child_parse(ike, sa, &c) < 0) {
				w->st.malformed++;
				continue;
			}
			if (up) {
				sa_put(w, &c);
				w->st.child_up++;
				if (w->syncing)
					w->synced++;
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

	for (ike = msg->root.child; ike; ike = ike->next) {
		if (ike->type != VICI_NODE_SECTION)
			continue;
		sas = vici_node_get(ike, "child-sas");
		if (!sas || sas->type != VICI_NODE_SECTION) {
			w->st.malformed++;
			continue;
		}
		for (sa = sas->child; sa; sa = sa->next) {
			if (ike_child_parse(ike, vici_node_get(sa, "old"),
					    &o) < 0 ||
			    ike_child_parse(ike, vici_node_get(sa, "new"),
					    &n) < 0) {
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

/* list-sa answering ike_watch_child_listed(): any CHILD_SA section, in
 * any state, with the unique id and inbound SPI asked for. */
static void probe_scan(struct ike_watch *w, const struct vici_msg *msg)
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
			    parse_u32(vici_find_str(sa, "uniqueid"), 10,
				      &id) == 0 &&
			    parse_u32(vici_find_str(sa, "spi-in"), 16,
				      &spi) == 0 &&
			    id == w->probe.child_id && spi == w->probe.spi_in)
				w->probe.found = 1;
	}
}

static void handle_ike(struct ike_watch *w, const struct vici_msg *msg, int up)
{
	const struct vici_node *ike;
	uint32_t id;

	for (ike = msg->root.child; ike; ike = ike->next) {
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

void ike_watch_handle(struct ike_watch *w, const char *name,
		      const struct vici_msg *msg)
{
	const char *up;

	w->st.events++;
	if (w->ops.event)
		w->ops.event(w->arg, name, msg);
	if (!msg) {
		w->st.malformed++;
		return;
	}
	up = vici_find_str(&msg->root, "up");
	if (strcmp(name, "child-updown") == 0)
		each_child(w, msg, up && strcmp(up, "yes") == 0);
	else if (strcmp(name, "list-sa") == 0 && w->syncing)
		each_child(w, msg, 1);
	else if (strcmp(name, "list-sa") == 0 && w->probe.active)
		probe_scan(w, msg);
	else if (strcmp(name, "child-rekey") == 0)
		handle_rekey(w, msg);
	else if (strcmp(name, "ike-updown") == 0)
		handle_ike(w, msg, up && strcmp(up, "yes") == 0);
	else
		w->st.ignored++;
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

struct ike_watch *ike_watch_open(const char *uri,
				 const struct ike_watch_ops *ops, void *arg)
{
	static const char *const events[] = {
		"ike-updown", "child-updown", "child-rekey",
	};
	struct vici_conn *conn;
	struct ike_watch *w;
	size_t i;
	int e;

	conn = vici_connect(uri);
	if (!conn)
		return NULL;
	w = ike_watch_new(conn, ops, arg);
	if (!w) {
		vici_close(conn);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (vici_register(conn, events[i]) < 0) {
			e = errno;
			ike_watch_close(w);
			errno = e;
			return NULL;
		}
	}
	return w;
}

void ike_watch_close(struct ike_watch *w)
{
	if (!w)
		return;
	vici_close(w->conn);
	free(w->sas);
	free(w);
}

int ike_watch_fd(const struct ike_watch *w)
{
	return vici_fd(w->conn);
}

int ike_watch_dispatch(struct ike_watch *w)
{
	return vici_dispatch(w->conn);
}

int ike_watch_sync(struct ike_watch *w)
{
	struct vici_msg *res;
	int e;

	if (vici_register(w->conn, "list-sa") < 0)
		return -1;
	w->syncing = 1;
	w->synced = 0;
	res = vici_command(w->conn, "list-sas", NULL);
	e = errno;
	w->syncing = 0;
	vici_unregister(w->conn, "list-sa");
	if (!res) {
		errno = e;
		return -1;
	}
	vici_msg_free(res);
	return w->synced;
}

int ike_watch_child_listed(struct ike_watch *w, uint32_t ike_id,
			   uint32_t child_id, uint32_t spi_in)
{
	struct vici_builder b;
	struct vici_msg *res;
	int e;

	if (vici_register(w->conn, "list-sa") < 0)
		return -1;
	vici_builder_init(&b);
	/* blocking (no "noblock"): a busy IKE_SA is waited for, not
	 * skipped, so "not listed" really means gone */
	vici_add_kvf(&b, "ike-id", "%u", ike_id);
	if (vici_builder_finish(&b) < 0) {
		e = errno;
		vici_builder_reset(&b);
		vici_unregister(w->conn, "list-sa");
		errno = e;
		return -1;
	}
	w->probe.active = 1;
	w->probe.found = 0;
	w->probe.child_id = child_id;
	w->probe.spi_in = spi_in;
	res = vici_command(w->conn, "list-sas", &b);
	e = errno;
	w->probe.active = 0;
	vici_builder_reset(&b);
	vici_unregister(w->conn, "list-sa");
	if (!res) {
		errno = e;
		return -1;
	}
	vici_msg_free(res);
	return w->probe.found;
}

const struct ike_watch_stats *ike_watch_stats(const struct ike_watch *w)
{
	return &w->st;
}

struct vici_conn *ike_watch_conn(struct ike_watch *w)
{
	return w->conn;
}
