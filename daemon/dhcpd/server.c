// SPDX-License-Identifier: GPL-2.0
/* DHCP server state machine: see server.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

#define KQ_MAX (sizeof(((struct server *)0)->kq) / sizeof(struct kcall))

const char *const server_stat_names[ST__MAX] = {
	[ST_RX] = "rx",
	[ST_DISCOVER] = "rx_discover",
	[ST_REQUEST] = "rx_request",
	[ST_DECLINE] = "rx_decline",
	[ST_RELEASE] = "rx_release",
	[ST_INFORM] = "rx_inform",
	[ST_OFFER] = "tx_offer",
	[ST_ACK] = "tx_ack",
	[ST_NAK] = "tx_nak",
	[ST_OFFER_UNRESERVED] = "tx_offer_unreserved",
	[ST_NO_ADDRESS] = "pool_exhausted",
	[ST_EXPIRED] = "lease_expired",
	[ST_OFFER_EXPIRED] = "offer_expired",
	[ST_QUARANTINED] = "quarantined",
	[ST_QUARANTINE_EVICTED] = "quarantine_evicted",
	[ST_IGNORED] = "ignored",
	[ST_RELEASE_REFUSED_MAC] = "release_refused_mac",
	[ST_RELEASE_REFUSED_TUNNEL] = "release_refused_tunnel",
	[ST_RELEASE_REFUSED_BOUND] = "release_refused_bound",
	[ST_DECLINE_REFUSED_MAC] = "decline_refused_mac",
	[ST_DECLINE_REFUSED_NOT_ACKED] = "decline_refused_not_acked",
	[ST_DECLINE_REFUSED_BOUND] = "decline_refused_bound",
	[ST_REFUSED_KERNEL] = "refused_kernel_unknown",
	[ST_SOURCE_UNKNOWN] = "rx_source_unknown",
	[ST_DROP_TRUNCATED] = "drop_truncated",
	[ST_DROP_OVERSIZED] = "drop_oversized",
	[ST_DROP_BAD_MAGIC] = "drop_bad_magic",
	[ST_DROP_BAD_OP] = "drop_bad_op",
	[ST_DROP_BAD_HLEN] = "drop_bad_hlen",
	[ST_DROP_OPT_OVERFLOW] = "drop_option_overflow",
	[ST_DROP_BAD_OVERLOAD] = "drop_bad_overload",
	[ST_DROP_BAD_TYPE] = "drop_bad_msg_type",
	[ST_DROP_BAD_OPTLEN] = "drop_bad_option_length",
	[ST_DROP_NOT_SERVED] = "drop_not_served",
	[ST_DROP_RELAY] = "drop_relay",
	[ST_DROP_RATE] = "drop_rate_limited",
	[ST_DB_ERRORS] = "db_errors",
	[ST_KERNEL_ERRORS] = "kernel_errors",
	[ST_SEND_ERRORS] = "send_errors",
};

const char *kaddr_op_str(enum kaddr_op op)
{
	switch (op) {
	case KADDR_NEW:
		return "allocate";
	case KADDR_RENEW:
		return "renew";
	case KADDR_RELEASE:
		return "unallocate";
	}
	return "?";
}

static const enum srv_stat perr_stat[DHCP_ERR__MAX] = {
	[DHCP_ERR_TRUNCATED] = ST_DROP_TRUNCATED,
	[DHCP_ERR_OVERSIZED] = ST_DROP_OVERSIZED,
	[DHCP_ERR_BAD_MAGIC] = ST_DROP_BAD_MAGIC,
	[DHCP_ERR_BAD_OP] = ST_DROP_BAD_OP,
	[DHCP_ERR_BAD_HLEN] = ST_DROP_BAD_HLEN,
	[DHCP_ERR_OPT_OVERFLOW] = ST_DROP_OPT_OVERFLOW,
	[DHCP_ERR_BAD_OVERLOAD] = ST_DROP_BAD_OVERLOAD,
	[DHCP_ERR_BAD_TYPE] = ST_DROP_BAD_TYPE,
	[DHCP_ERR_BAD_OPTLEN] = ST_DROP_BAD_OPTLEN,
};

static void count(struct server *s, enum srv_stat st)
{
	s->st[st]++;
	s->stats_dirty = 1;
}

/* lib/log's limiter on the server's clock (tests drive it), not the
 * monotonic one log_ratelimited() reads. */
static void log_rl(struct log_rl *rl, int64_t now, const char *fmt, ...)
	MUISP_PRINTF(3, 4);

static void log_rl(struct log_rl *rl, int64_t now, const char *fmt, ...)
{
	uint64_t dropped;
	char buf[512];
	va_list ap;

	if (!log_rl_allow(rl, (uint64_t)now, &dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (dropped)
		log_warnx("%s; %llu similar lines suppressed", buf,
			  (unsigned long long)dropped);
	else
		log_warnx("%s", buf);
}

static const char *ip(uint32_t host, char *b)
{
	struct in_addr a = { .s_addr = htonl(host) };

	return inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN);
}

static void client_key(const struct dhcp_msg *m, struct client_key *k)
{
	const uint8_t *v;
	size_t len;

	v = dhcp_opt(m, OPT_CLIENT_ID, &len);
	if (v) {
		if (len > CLIENT_KEY_MAX - 1)
			len = CLIENT_KEY_MAX - 1;
		k->k[0] = 'I';
		memcpy(k->k + 1, v, len);
		k->len = (uint8_t)(len + 1);
	} else {
		k->k[0] = 'H';
		k->k[1] = m->htype;
		memcpy(k->k + 2, m->chaddr, m->hlen);
		k->len = (uint8_t)(m->hlen + 2);
	}
}

static int key_eq(const struct client_key *a, const struct client_key *b)
{
	return a->len == b->len && !memcmp(a->k, b->k, a->len);
}

static void hwstr(const struct dhcp_msg *m, char *b)
{
	leasedb_fmt_hw(m->chaddr, m->hlen, b);
}

/* Static reservation matching this client, or NULL. */
static const struct conf_host *find_host(const struct srv_iface *ifc,
					 const struct dhcp_msg *m,
					 const struct client_key *k)
{
	const struct conf_iface *c = ifc->conf;
	unsigned int i;

	for (i = 0; i < c->nhosts; i++) {
		const struct conf_host *h = &c->hosts[i];

		if (h->id.len) {
			if (key_eq(&h->id, k))
				return h;
		} else if (h->hwlen && k->k[0] == 'H' && m->htype == 1 &&
			   m->hlen == 6 && !memcmp(h->hw, m->chaddr, 6)) {
			return h;
		}
	}
	return NULL;
}

/* Persistence */

static int db_txn(struct server *s)
{
	if (!s->db || s->in_txn)
		return 0;
	if (leasedb_begin(s->db) < 0) {
		log_warnx("lease db: begin: %s", leasedb_errmsg(s->db));
		count(s, ST_DB_ERRORS);
		return -1;
	}
	s->in_txn = 1;
	return 0;
}

static int persist(struct server *s, struct srv_iface *ifc, uint32_t i)
{
	const struct pool_addr *a = &ifc->pool.a[i];
	struct lease_rec r;

	if (!s->db)
		return 0;
	memset(&r, 0, sizeof(r));
	r.addr = a->addr;
	r.state = a->state == ADDR_LEASED     ? LEASE_LEASED :
		  a->state == ADDR_QUARANTINE ? LEASE_QUARANTINE :
						LEASE_FREE;
	r.hwlen = a->hwlen;
	memcpy(r.hw, a->hw, sizeof(r.hw));
	r.keylen = a->key.len;
	memcpy(r.key, a->key.k, a->key.len);
	snprintf(r.hostname, sizeof(r.hostname), "%s", a->hostname);
	snprintf(r.iface, sizeof(r.iface), "%s", ifc->conf->name);
	r.starts = a->starts;
	r.ends = a->deadline;
	r.seq = a->seq;
	if (db_txn(s) < 0)
		return -1;
	if (leasedb_put(s->db, &r) < 0) {
		log_warnx("lease db: write: %s", leasedb_errmsg(s->db));
		count(s, ST_DB_ERRORS);
		return -1;
	}
	s->stats_dirty = 1; /* the pool gauges changed */
	return 0;
}

static void kqueue(struct server *s, enum kaddr_op op, uint32_t addr,
		   const uint8_t *mac)
{
	struct kcall *k;

	if (!s->kops.update)
		return;
	if (s->nkq == KQ_MAX) {
		/* Cannot happen with SRV_MAX_PENDING inputs per batch, but
		 * never lose a hand-off: fall back to a full resync. */
		s->kernel_failed = 1;
		return;
	}
	k = &s->kq[s->nkq++];
	k->op = op;
	k->addr = addr;
	k->has_mac = mac != NULL;
	if (mac)
		memcpy(k->mac, mac, 6);
}

/* One message being handled: where it came from and who sent it. */
struct rx {
	struct srv_iface *ifc;
	const struct dhcp_msg *m;
	const struct srv_src *src;
	struct client_key k;
	uint32_t source; /* ifc->src entry its offers are charged to, or
			  * SRC_NONE (relayed: no Ethernet source of its own) */
	int64_t now;
};

/* Replies */

static struct reply *reply_start(struct server *s, const struct rx *x,
				 uint8_t type, struct dhcp_out *o)
{
	struct reply *r;

	if (s->nout == SRV_MAX_PENDING)
		return NULL;
	r = &s->out[s->nout];
	memset(r, 0, offsetof(struct reply, buf));
	r->ifc = x->ifc;
	dhcp_out_init(o, x->m, dhcp_reply_max(x->m));
	dhcp_out_put_u8(o, OPT_MSG_TYPE, type);
	dhcp_out_put_u32(o, OPT_SERVER_ID, x->ifc->server_id);
	return r;
}

/* Did the frame come from the chaddr the message names? */
static int from_chaddr(const struct rx *x)
{
	return x->src->has_mac && x->m->htype == 1 && x->m->hlen == 6 &&
	       !memcmp(x->src->mac, x->m->chaddr, 6);
}

/*
 * RFC 2131 section 4.1, "server to client" addressing, except that a
 * reply never goes to an address the client chose: giaddr only from a
 * configured relay (checked at input), ciaddr only when it is the
 * address leased to this client (yiaddr, the server's choice), unicast to
 * chaddr only when the frame came from chaddr; anything else broadcasts.
 */
static void reply_dest(struct reply *r, const struct rx *x, uint8_t type,
		       uint32_t yiaddr)
{
	const struct dhcp_msg *m = x->m;

	r->dport = 68;
	if (m->giaddr) {
		r->dst = m->giaddr;
		r->dport = 67;
	} else if (type == DHCPNAK) {
		r->dst = htonl(INADDR_BROADCAST);
	} else if (m->ciaddr && yiaddr && ntohl(m->ciaddr) == yiaddr) {
		r->dst = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || !yiaddr ||
		   !from_chaddr(x)) {
		r->dst = htonl(INADDR_BROADCAST);
	} else {
		r->dst = htonl(yiaddr);
		r->l2 = 1;
		memcpy(r->chaddr, m->chaddr, 6);
	}
}

static int put_list(struct dhcp_out *o, uint8_t code, const uint32_t *l,
		    unsigned int n)
{
	uint32_t be[CONF_MAX_LIST];
	unsigned int i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		be[i] = htonl(l[i]);
	return dhcp_out_put(o, code, be, n * 4);
}

static int put_params(struct dhcp_out *o, const struct conf_iface *c)
{
	int ret = 0;

	ret |= dhcp_out_put_u32(o, OPT_SUBNET_MASK, c->mask);
	ret |= dhcp_out_put_u32(o, OPT_BROADCAST, c->net | ~c->mask);
	ret |= put_list(o, OPT_ROUTER, c->routers, c->nrouters);
	ret |= put_list(o, OPT_DNS, c->dns, c->ndns);
	ret |= put_list(o, OPT_NTP, c->ntp, c->nntp);
	if (c->domain[0])
		ret |= dhcp_out_put(o, OPT_DOMAIN_NAME, c->domain,
				    strlen(c->domain));
	return ret;
}

static void reply_finish(struct server *s, struct reply *r, struct dhcp_out *o,
			 int err)
{
	if (err) {
		/* Our own options did not fit the client's size limit. */
		count(s, ST_SEND_ERRORS);
		return;
	}
	r->len = dhcp_out_finish(o);
	memcpy(r->buf, o->buf, r->len);
	s->nout++;
}

static void send_lease_reply(struct server *s, const struct rx *x, uint8_t type,
			     uint32_t yiaddr)
{
	const struct conf_iface *c = x->ifc->conf;
	struct dhcp_out o;
	struct reply *r;
	uint32_t be = htonl(yiaddr);
	int err = 0;

	r = reply_start(s, x, type, &o);
	if (!r)
		return;
	memcpy(o.buf + 16, &be, 4);	      /* yiaddr */
	memcpy(o.buf + 12, &x->m->ciaddr, 4); /* ciaddr */
	err |= dhcp_out_put_u32(&o, OPT_LEASE_TIME, c->lease_time);
	err |= dhcp_out_put_u32(&o, OPT_T1, c->t1);
	err |= dhcp_out_put_u32(&o, OPT_T2, c->t2);
	err |= put_params(&o, c);
	reply_dest(r, x, type, yiaddr);
	count(s, type == DHCPOFFER ? ST_OFFER : ST_ACK);
	reply_finish(s, r, &o, err);
}

static void send_nak(struct server *s, const struct rx *x, const char *why)
{
	const struct dhcp_msg *m = x->m;
	struct dhcp_out o;
	struct reply *r;
	char b[INET_ADDRSTRLEN], hw[49];

	hwstr(m, hw);
	log_info("%s: NAK to %s: %s (requested %s)", x->ifc->conf->name, hw,
		 why,
		 ip(ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP) ?
				  dhcp_opt_addr(m, OPT_REQUESTED_IP) :
				  m->ciaddr),
		    b));
	r = reply_start(s, x, DHCPNAK, &o);
	if (!r)
		return;
	/* RFC 2131 4.3.2: a relayed NAK sets the broadcast bit. */
	if (m->giaddr)
		o.buf[10] |= 0x80;
	dhcp_out_put(&o, OPT_MESSAGE, why, strlen(why));
	reply_dest(r, x, DHCPNAK, 0);
	count(s, ST_NAK);
	reply_finish(s, r, &o, 0);
}

/* Message handlers */

static void note_client(struct pool_addr *a, const struct dhcp_msg *m)
{
	const uint8_t *v;
	size_t len;

	a->hwlen = m->hlen;
	memset(a->hw, 0, sizeof(a->hw));
	memcpy(a->hw, m->chaddr, m->hlen);
	a->hostname[0] = '\0';
	v = dhcp_opt(m, OPT_HOSTNAME, &len);
	if (v) {
		size_t i, n = len < sizeof(a->hostname) - 1 ?
				      len :
				      sizeof(a->hostname) - 1;

		/* Printable only: it ends up in logs and muispctl. */
		for (i = 0; i < n; i++)
			a->hostname[i] =
				v[i] >= 0x21 && v[i] < 0x7f ? (char)v[i] : '_';
		a->hostname[n] = '\0';
	}
}

static uint32_t host_slot(const struct rx *x)
{
	const struct conf_host *h = find_host(x->ifc, x->m, &x->k);

	return h ? pool_index(&x->ifc->pool, h->addr) : POOL_NONE;
}

/*
 * May a free pool address be given to this client without an offer
 * reserved for it?  Only what do_discover would offer it: the FIFO head,
 * an address never used, the client's own previous one, or one offered
 * without a hold (to anyone) less than offer-time ago.
 */
static int takeable(const struct pool *p, uint32_t i,
		    const struct client_key *k, int64_t now)
{
	const struct pool_addr *a = &p->a[i];

	return a->state == ADDR_FREE &&
	       (i == pool_fifo_head(p) || !a->key.len || key_eq(&a->key, k) ||
		a->unheld > now);
}

/* The pool calls this when slot i stops being offered. */
static void offer_end(void *ctx, struct pool *p, uint32_t i)
{
	struct srv_iface *ifc = ctx;

	if (p->a[i].charge != POOL_NONE)
		src_offer_del(&ifc->src, p->a[i].charge);
}

/*
 * Reserve slot i for an offer?  Static reservations always are.  A pool
 * address is held only while the sender has fewer than offers-per-source
 * offers reserved, and while reserved offers stay within offer-share
 * percent (rounded up) of the addresses not leased; otherwise the offer
 * is made without holding the address (the first REQUEST for it wins).
 */
static int may_reserve(const struct server *s, const struct rx *x, uint32_t i)
{
	const struct dhcp_conf *c = s->conf;
	const struct pool *p = &x->ifc->pool;
	uint64_t unleased = (uint64_t)p->nfree + p->noffered;

	if (p->a[i].reserved)
		return 1;
	if (c->offers_per_source && x->source != SRC_NONE &&
	    x->ifc->src.e[x->source].offers >= c->offers_per_source)
		return 0;
	return p->noffered < (c->offer_share * unleased + 99) / 100;
}

static void do_discover(struct server *s, const struct rx *x)
{
	struct srv_iface *ifc = x->ifc;
	const struct dhcp_msg *m = x->m;
	const struct client_key *k = &x->k;
	struct pool *p = &ifc->pool;
	uint32_t i, req;
	int fifo = 0;
	char hw[49], b[INET_ADDRSTRLEN];

	i = host_slot(x);
	if (i != POOL_NONE) {
		struct pool_addr *a = &p->a[i];

		/* A reservation quarantined by a DECLINE stays unusable. */
		if (a->state == ADDR_QUARANTINE ||
		    ((a->state == ADDR_LEASED || a->state == ADDR_OFFERED) &&
		     !key_eq(&a->key, k)))
			i = POOL_NONE;
	}
	if (i == POOL_NONE)
		i = pool_client_find(p, k);
	if (i == POOL_NONE) {
		req = ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP));
		i = req ? pool_index(p, req) : POOL_NONE;
		/* The client's own previous address, or one never used;
		 * anything else would jump the FIFO. */
		if (i != POOL_NONE &&
		    !(p->a[i].state == ADDR_FREE &&
		      (!p->a[i].key.len || key_eq(&p->a[i].key, k))))
			i = POOL_NONE;
	}
	if (i == POOL_NONE) {
		i = pool_fifo_head(p);
		fifo = 1;
	}
	hwstr(m, hw);
	if (i == POOL_NONE) {
		count(s, ST_NO_ADDRESS);
		if (x->now != s->exhaust_logged) {
			s->exhaust_logged = x->now;
			log_warnx(
				"%s: pool exhausted: no address to offer to %s "
				"(%llu times so far)",
				ifc->conf->name, hw,
				(unsigned long long)s->st[ST_NO_ADDRESS]);
		}
		return;
	}
	if (p->a[i].state == ADDR_OFFERED) {
		/* Its own offer again: held a while longer. */
		pool_offer(p, i, k, x->now + s->conf->offer_time);
	} else if (p->a[i].state == ADDR_LEASED) {
		/* Its own lease: nothing to hold. */
	} else if (may_reserve(s, x, i)) {
		pool_offer(p, i, k, x->now + s->conf->offer_time);
		/* A static reservation is nobody's share of the pool. */
		if (!p->a[i].reserved && x->source != SRC_NONE) {
			p->a[i].charge = x->source;
			src_offer_add(&ifc->src, x->source);
		}
	} else {
		/*
		 * Not held: the first REQUEST for it wins.  Were each such
		 * offer the FIFO head, every client in flight during a
		 * DISCOVER flood would go after that one address and all
		 * but one be NAKed; rotating through the free addresses,
		 * clients get different ones until the rotation wraps
		 * (nfree such offers later).  A hash of the client key
		 * would collide for two clients in a few (birthday) and
		 * move as the FIFO changes.  Nothing more is held.
		 */
		if (fifo)
			i = pool_fifo_rotate(p);
		p->a[i].unheld = x->now + s->conf->offer_time;
		count(s, ST_OFFER_UNRESERVED);
		log_rl(&s->rl_unreserved, x->now,
		       "%s: offer of %s to %s made without reserving it: "
		       "%u offers held, %llu unreserved so far "
		       "(offers-per-source, offer-share)",
		       ifc->conf->name, ip(p->a[i].addr, b), hw, p->noffered,
		       (unsigned long long)s->st[ST_OFFER_UNRESERVED]);
	}
	log_debug("%s: OFFER %s to %s", ifc->conf->name, ip(p->a[i].addr, b),
		  hw);
	send_lease_reply(s, x, DHCPOFFER, p->a[i].addr);
}

static void ack(struct server *s, const struct rx *x, uint32_t i)
{
	struct srv_iface *ifc = x->ifc;
	const struct dhcp_msg *m = x->m;
	struct pool *p = &ifc->pool;
	struct pool_addr *a = &p->a[i];
	int renew = a->state == ADDR_LEASED && key_eq(&a->key, &x->k);
	char hw[49], b[INET_ADDRSTRLEN];
	uint32_t j;

	/* An offer it holds elsewhere is not needed any more. */
	j = pool_client_find(p, &x->k);
	if (j != POOL_NONE && j != i && p->a[j].state == ADDR_OFFERED)
		pool_unallocate(p, j);
	pool_lease(p, i, &x->k, renew ? a->starts : x->now,
		   x->now + ifc->conf->lease_time);
	note_client(a, m);
	if (persist(s, ifc, i) < 0)
		return; /* no ACK for a lease not on disk */
	kqueue(s, renew ? KADDR_RENEW : KADDR_NEW, a->addr,
	       m->htype == 1 && m->hlen == 6 ? m->chaddr : NULL);
	hwstr(m, hw);
	log_info("%s: ACK %s to %s%s%s (%s, until %lld)", ifc->conf->name,
		 ip(a->addr, b), hw, a->hostname[0] ? " " : "", a->hostname,
		 renew ? "renewed" : "new", (long long)a->deadline);
	send_lease_reply(s, x, DHCPACK, a->addr);
}

static void do_request(struct server *s, const struct rx *x)
{
	const struct dhcp_msg *m = x->m;
	const struct client_key *k = &x->k;
	struct pool *p = &x->ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(m, OPT_SERVER_ID));
	uint32_t req = ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP));
	uint32_t ciaddr = ntohl(m->ciaddr);
	const struct conf_iface *c = x->ifc->conf;
	uint32_t i, j;

	i = pool_client_find(p, k);
	if (sid) {
		/* SELECTING */
		if (sid != x->ifc->server_id) {
			/* The client chose another server: free our offer. */
			if (i != POOL_NONE && p->a[i].state == ADDR_OFFERED)
				pool_unallocate(p, i);
			count(s, ST_IGNORED);
			return;
		}
		if (!req)
			req = ciaddr;
		if (i != POOL_NONE && p->a[i].addr == req &&
		    (p->a[i].state == ADDR_OFFERED ||
		     p->a[i].state == ADDR_LEASED)) {
			ack(s, x, i);
			return;
		}
		/* An offer made without reserving the address (or one
		 * that expired meanwhile): still to be had if nobody took
		 * it and it is one the client could have been offered. */
		j = pool_index(p, req);
		if (i == POOL_NONE && j != POOL_NONE &&
		    takeable(p, j, k, x->now)) {
			ack(s, x, j);
			return;
		}
		send_nak(s, x, "address not offered to you");
		return;
	}
	if (req && !m->ciaddr) {
		/* INIT-REBOOT */
		if ((req & c->mask) != c->net) {
			send_nak(s, x, "wrong network");
			return;
		}
		if (i != POOL_NONE && p->a[i].addr == req &&
		    (p->a[i].state == ADDR_LEASED ||
		     p->a[i].state == ADDR_OFFERED)) {
			ack(s, x, i);
			return;
		}
		j = pool_index(p, req);
		if (j == POOL_NONE) {
			send_nak(s, x, "address not served here");
			return;
		}
		if (j == host_slot(x) && (p->a[j].state == ADDR_RESERVED ||
					  p->a[j].state == ADDR_OFFERED)) {
			ack(s, x, j);
			return;
		}
		if (p->a[j].state != ADDR_FREE) {
			send_nak(s, x, "address not available");
			return;
		}
		/* RFC 2131 4.3.2: no record of this client: stay silent. */
		count(s, ST_IGNORED);
		return;
	}
	if (m->ciaddr) {
		/* RENEWING (unicast) or REBINDING (broadcast) */
		if (i != POOL_NONE && p->a[i].addr == ciaddr &&
		    p->a[i].state == ADDR_LEASED) {
			ack(s, x, i);
			return;
		}
		j = pool_index(p, ciaddr);
		if (j != POOL_NONE && (p->a[j].state == ADDR_LEASED ||
				       p->a[j].state == ADDR_OFFERED ||
				       p->a[j].state == ADDR_QUARANTINE)) {
			send_nak(s, x, "lease not yours");
			return;
		}
		count(s, ST_IGNORED);
		return;
	}
	count(s, ST_IGNORED);
}

/* Count and log a RELEASE or DECLINE refused: not from the holder. */
static void refuse(struct server *s, const struct rx *x, enum srv_stat st,
		   uint32_t addr, const char *why)
{
	char b[INET_ADDRSTRLEN], hw[49], mac[49];

	count(s, st);
	hwstr(x->m, hw);
	if (x->src->has_mac)
		leasedb_fmt_hw(x->src->mac, 6, mac);
	else
		strcpy(mac, "unknown");
	log_rl(&s->rl_refused, x->now,
	       "%s: %s of %s for %s (frame from %s) refused: %s",
	       x->ifc->conf->name,
	       x->m->type == DHCPDECLINE ? "DECLINE" : "RELEASE", ip(addr, b),
	       hw, mac, why);
}

/*
 * Does this RELEASE (decline 0) or DECLINE of leased slot i demonstrably
 * come from the address's holder?  The client key already matched (the
 * caller checked); what the key cannot prove is asked of the kernel's
 * entry and of where the datagram came from:
 *  - a DECLINE never ends a bound or tunnelled address (its holder is
 *    using it), and must come in a frame from chaddr, the lease's MAC;
 *  - a RELEASE of an address with a tunnel identity must come out of
 *    its SA: from the address itself, to the server.  The IP stack hands
 *    such a datagram to us only if it came out of that SA (muisp.ko's
 *    PRE_ROUTING check of the SPI; the IPsec inbound policy); anything
 *    in the clear (from 0.0.0.0, another source, a broadcast) is refused;
 *  - any other RELEASE must come in a frame from chaddr, the lease's
 *    MAC, and for a bound address (require-tunnel off: whoever sends
 *    from the address is its holder, as for the gate) from the address.
 * The kernel's entry is read at the time (kernel-sync no: none); if it
 * cannot be read, refuse: the lease ends by itself.
 */
static int from_holder(struct server *s, const struct rx *x, uint32_t i)
{
	const struct pool_addr *a = &x->ifc->pool.a[i];
	int decline = x->m->type == DHCPDECLINE;
	struct kaddr_info ki = { 0 };
	int mac_ok;

	if (s->conf->kernel_sync &&
	    (!s->kops.lookup ||
	     s->kops.lookup(s->kops.ctx, a->addr, &ki) < 0)) {
		refuse(s, x, ST_REFUSED_KERNEL, a->addr,
		       "its kernel entry cannot be read");
		return 0;
	}
	mac_ok = from_chaddr(x) && a->hwlen == 6 &&
		 !memcmp(a->hw, x->m->chaddr, 6);
	if (decline) {
		if (ki.bound || ki.tunnel) {
			refuse(s, x, ST_DECLINE_REFUSED_BOUND, a->addr,
			       ki.bound ? "bound to a contract" :
					  "it has a tunnel");
			return 0;
		}
		if (!mac_ok) {
			refuse(s, x, ST_DECLINE_REFUSED_MAC, a->addr,
			       "not from the lease's Ethernet address");
			return 0;
		}
		return 1;
	}
	if (ki.tunnel) {
		if (x->src->saddr != htonl(a->addr) ||
		    x->src->daddr != htonl(x->ifc->server_id)) {
			refuse(s, x, ST_RELEASE_REFUSED_TUNNEL, a->addr,
			       "not out of the address's tunnel");
			return 0;
		}
		return 1;
	}
	if (!mac_ok) {
		refuse(s, x, ST_RELEASE_REFUSED_MAC, a->addr,
		       "not from the lease's Ethernet address");
		return 0;
	}
	if (ki.bound && x->src->saddr != htonl(a->addr)) {
		refuse(s, x, ST_RELEASE_REFUSED_BOUND, a->addr,
		       "bound, and not sent from the address");
		return 0;
	}
	return 1;
}

static void unallocate(struct server *s, struct srv_iface *ifc, uint32_t i,
		       int64_t now)
{
	struct pool_addr *a = &ifc->pool.a[i];

	pool_unallocate(&ifc->pool, i);
	a->deadline = now;
	if (persist(s, ifc, i) == 0)
		kqueue(s, KADDR_RELEASE, a->addr, NULL);
}

/* Leave room for `room` more quarantines: end the oldest ones. */
static void quarantine_room(struct server *s, struct srv_iface *ifc,
			    int64_t now, uint32_t room)
{
	struct pool *p = &ifc->pool;
	uint32_t max = s->conf->quarantine_max, q;
	char b[INET_ADDRSTRLEN];

	while (max && (uint64_t)p->nquar + room > max &&
	       (q = pool_quarantine_oldest(p)) != POOL_NONE) {
		count(s, ST_QUARANTINE_EVICTED);
		log_rl(&s->rl_quarantine, now,
		       "%s: quarantine full (quarantine-max %u): %s "
		       "quarantined since %lld ends early",
		       ifc->conf->name, s->conf->quarantine_max,
		       ip(p->a[q].addr, b), (long long)p->a[q].starts);
		pool_unallocate(p, q);
		p->a[q].deadline = now;
		persist(s, ifc, q);
	}
}

static void do_decline(struct server *s, const struct rx *x)
{
	struct srv_iface *ifc = x->ifc;
	struct pool *p = &ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(x->m, OPT_SERVER_ID));
	uint32_t req = ntohl(dhcp_opt_addr(x->m, OPT_REQUESTED_IP));
	uint32_t i = pool_client_find(p, &x->k);
	char b[INET_ADDRSTRLEN], hw[49];

	if (sid != ifc->server_id || i == POOL_NONE || p->a[i].addr != req ||
	    (p->a[i].state != ADDR_LEASED && p->a[i].state != ADDR_OFFERED)) {
		count(s, ST_IGNORED);
		return;
	}
	/* Only an address ACKed to this client can be found in use after
	 * the fact (RFC 2131 4.4.1: the client checks after the ACK). */
	if (p->a[i].state != ADDR_LEASED) {
		refuse(s, x, ST_DECLINE_REFUSED_NOT_ACKED, req,
		       "offered, never ACKed");
		return;
	}
	if (!from_holder(s, x, i))
		return;
	hwstr(x->m, hw);
	log_rl(&s->rl_decline, x->now,
	       "%s: %s declined %s (in use on the link?): quarantined "
	       "for %u s",
	       ifc->conf->name, hw, ip(req, b), s->conf->quarantine_time);
	quarantine_room(s, ifc, x->now, 1);
	pool_quarantine(p, i, x->now + s->conf->quarantine_time);
	p->a[i].starts = x->now;
	count(s, ST_QUARANTINED);
	if (persist(s, ifc, i) == 0)
		kqueue(s, KADDR_RELEASE, req, NULL);
}

static void do_release(struct server *s, const struct rx *x)
{
	struct srv_iface *ifc = x->ifc;
	struct pool *p = &ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(x->m, OPT_SERVER_ID));
	uint32_t i = pool_client_find(p, &x->k);
	char b[INET_ADDRSTRLEN], hw[49];

	if ((sid && sid != ifc->server_id) || i == POOL_NONE ||
	    p->a[i].addr != ntohl(x->m->ciaddr) ||
	    p->a[i].state != ADDR_LEASED) {
		count(s, ST_IGNORED);
		return;
	}
	if (!from_holder(s, x, i))
		return;
	hwstr(x->m, hw);
	log_info("%s: %s released %s", ifc->conf->name, hw,
		 ip(p->a[i].addr, b));
	unallocate(s, ifc, i, x->now);
}

static void do_inform(struct server *s, const struct rx *x)
{
	const struct pool *p = &x->ifc->pool;
	uint32_t ciaddr = ntohl(x->m->ciaddr), i, own = 0;
	struct dhcp_out o;
	struct reply *r;
	int err;

	if (!ciaddr) {
		count(s, ST_IGNORED);
		return;
	}
	/* Unicast only to an address leased to this client. */
	i = pool_client_find(p, &x->k);
	if (i != POOL_NONE && p->a[i].addr == ciaddr &&
	    p->a[i].state == ADDR_LEASED)
		own = ciaddr;
	r = reply_start(s, x, DHCPACK, &o);
	if (!r)
		return;
	memcpy(o.buf + 12, &x->m->ciaddr, 4);
	err = put_params(&o, x->ifc->conf);
	reply_dest(r, x, DHCPACK, own);
	count(s, ST_ACK);
	reply_finish(s, r, &o, err);
}

static int is_relay(const struct conf_iface *c, uint32_t be)
{
	uint32_t a = ntohl(be);
	unsigned int i;

	for (i = 0; i < c->nrelays; i++)
		if (c->relays[i] == a)
			return 1;
	return 0;
}

void server_input(struct server *s, unsigned int idx, const uint8_t *buf,
		  size_t len, const struct srv_src *src, int64_t now)
{
	static struct dhcp_msg m; /* 12 KiB: keep it off the stack */
	struct srv_iface *ifc = &s->ifaces[idx];
	struct rx x = { .ifc = ifc, .m = &m, .src = src, .now = now };
	enum dhcp_perr e;
	char b[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN], hw[49];

	count(s, ST_RX);
	if (!src->has_mac)
		count(s, ST_SOURCE_UNKNOWN);
	e = dhcp_parse(buf, len, BOOTREQUEST, &m);
	if (e != DHCP_OK) {
		count(s, perr_stat[e]);
		if (now != s->drop_logged) {
			s->drop_logged = now;
			log_warnx("%s: dropped %zu-byte datagram: %s (%llu so "
				  "far)",
				  ifc->conf->name, len, dhcp_perr_str(e),
				  (unsigned long long)s->st[perr_stat[e]]);
		}
		return;
	}
	if (m.giaddr) {
		/* Relayed requests are served only for the interface's
		 * subnet, and only from the configured relay agents: a
		 * giaddr is where the replies go. */
		if ((ntohl(m.giaddr) & ifc->conf->mask) != ifc->conf->net) {
			count(s, ST_DROP_NOT_SERVED);
			return;
		}
		if (!is_relay(ifc->conf, m.giaddr) ||
		    !is_relay(ifc->conf, src->saddr)) {
			count(s, ST_DROP_RELAY);
			log_rl(&s->rl_relay, now,
			       "%s: relayed datagram (giaddr %s) from %s: "
			       "not a configured relay; dropped "
			       "(%llu so far)",
			       ifc->conf->name, ip(ntohl(m.giaddr), b),
			       ip(ntohl(src->saddr), b2),
			       (unsigned long long)s->st[ST_DROP_RELAY]);
			return;
		}
		x.source = SRC_NONE;
	} else {
		x.source = src_get(&ifc->src, src->has_mac ? src->mac : NULL);
		if (!src_take(&ifc->src, x.source, s->conf->source_rate, now)) {
			count(s, ST_DROP_RATE);
			if (src->has_mac)
				leasedb_fmt_hw(src->mac, 6, hw);
			log_rl(&s->rl_rate, now,
			       "%s: %s sends more than %u messages a second "
			       "(source-rate): dropped (%llu so far)",
			       ifc->conf->name,
			       src->has_mac ? hw : "an unknown source",
			       s->conf->source_rate,
			       (unsigned long long)s->st[ST_DROP_RATE]);
			return;
		}
	}
	client_key(&m, &x.k);
	switch (m.type) {
	case DHCPDISCOVER:
		count(s, ST_DISCOVER);
		do_discover(s, &x);
		break;
	case DHCPREQUEST:
		count(s, ST_REQUEST);
		do_request(s, &x);
		break;
	case DHCPDECLINE:
		count(s, ST_DECLINE);
		do_decline(s, &x);
		break;
	case DHCPRELEASE:
		count(s, ST_RELEASE);
		do_release(s, &x);
		break;
	case DHCPINFORM:
		count(s, ST_INFORM);
		do_inform(s, &x);
		break;
	default:
		/* OFFER/ACK/NAK from a client: not for a server. */
		count(s, ST_IGNORED);
		break;
	}
}

int server_flush(struct server *s, int64_t now)
{
	unsigned int i;
	int ret = 0;

	if (s->in_txn) {
		if (s->stats_dirty && now != s->stats_written)
			server_write_stats(s, now);
		s->in_txn = 0;
		if (leasedb_commit(s->db) < 0) {
			log_warnx("lease db: commit: %s; %u replies dropped",
				  leasedb_errmsg(s->db), s->nout);
			count(s, ST_DB_ERRORS);
			leasedb_rollback(s->db);
			s->nout = 0;
			s->nkq = 0;
			return -1;
		}
	}
	for (i = 0; i < s->nkq; i++) {
		const struct kcall *k = &s->kq[i];
		char b[INET_ADDRSTRLEN];

		log_debug("kernel: %s %s", kaddr_op_str(k->op), ip(k->addr, b));
		if (s->kops.update(s->kops.ctx, k->op, k->addr,
				   k->has_mac ? k->mac : NULL) < 0) {
			log_warn("kernel: %s %s", kaddr_op_str(k->op),
				 ip(k->addr, b));
			count(s, ST_KERNEL_ERRORS);
			if (k->op != KADDR_RELEASE)
				s->kernel_failed = 1;
		}
	}
	s->nkq = 0;
	for (i = 0; i < s->nout; i++)
		if (s->send(s, &s->out[i]) < 0)
			count(s, ST_SEND_ERRORS);
	s->nout = 0;
	if (s->stats_dirty && now != s->stats_written)
		server_write_stats(s, now);
	return ret;
}

int64_t server_next_deadline(const struct server *s)
{
	int64_t best = -1;
	unsigned int i;

	for (i = 0; i < s->nifaces; i++) {
		const struct pool *p = &s->ifaces[i].pool;
		uint32_t top = pool_deadline_top(p);

		if (top != POOL_NONE && (best < 0 || p->a[top].deadline < best))
			best = p->a[top].deadline;
	}
	return best;
}

int64_t server_expire(struct server *s, int64_t now)
{
	unsigned int n;

	for (n = 0; n < s->nifaces; n++) {
		struct srv_iface *ifc = &s->ifaces[n];
		struct pool *p = &ifc->pool;
		uint32_t i;
		char b[INET_ADDRSTRLEN];

		while ((i = pool_deadline_top(p)) != POOL_NONE &&
		       p->a[i].deadline <= now) {
			/* Leave room in the kernel queue: the caller flushes
			 * and calls again (the next deadline is <= now). */
			if (s->nkq >= KQ_MAX - 1)
				return server_next_deadline(s);
			struct pool_addr *a = &p->a[i];

			switch (a->state) {
			case ADDR_OFFERED:
				count(s, ST_OFFER_EXPIRED);
				pool_unallocate(p, i);
				break;
			case ADDR_LEASED:
				count(s, ST_EXPIRED);
				log_info("%s: lease of %s expired",
					 ifc->conf->name, ip(a->addr, b));
				unallocate(s, ifc, i, now);
				break;
			case ADDR_QUARANTINE:
				log_info("%s: quarantine of %s over",
					 ifc->conf->name, ip(a->addr, b));
				pool_unallocate(p, i);
				a->deadline = now;
				persist(s, ifc, i);
				break;
			default:
				pool_deadline_clear(p, i);
				break;
			}
		}
	}
	return server_next_deadline(s);
}

int server_admin_release(struct server *s, uint32_t addr, int64_t now)
{
	unsigned int n;
	char b[INET_ADDRSTRLEN];

	for (n = 0; n < s->nifaces; n++) {
		struct srv_iface *ifc = &s->ifaces[n];
		uint32_t i = pool_index(&ifc->pool, addr);

		if (i == POOL_NONE)
			continue;
		if (ifc->pool.a[i].state != ADDR_LEASED)
			break;
		log_info("%s: %s released by the operator", ifc->conf->name,
			 ip(addr, b));
		unallocate(s, ifc, i, now);
		return 0;
	}
	errno = ENOENT;
	return -1;
}

int server_kernel_resync(struct server *s)
{
	unsigned int n;
	uint32_t i;
	int ret = 0;

	if (!s->kops.update)
		return 0;
	for (n = 0; n < s->nifaces; n++) {
		struct pool *p = &s->ifaces[n].pool;

		for (i = 0; i < p->n; i++) {
			struct pool_addr *a = &p->a[i];

			if (a->state != ADDR_LEASED)
				continue;
			if (s->kops.update(s->kops.ctx, KADDR_RENEW, a->addr,
					   a->hwlen == 6 ? a->hw : NULL) < 0) {
				count(s, ST_KERNEL_ERRORS);
				ret = -1;
				break;
			}
		}
	}
	s->kernel_failed = ret < 0;
	return ret;
}

/* Start-up: rebuild the pools from the database. */

/* Slots to queue in an order the database does not keep: released ones
 * by release sequence (the FIFO), quarantined ones by start. */
struct load_list {
	struct {
		uint64_t key;
		unsigned int ifc;
		uint32_t i;
	} * v;
	size_t n, cap;
};

struct load_ctx {
	struct server *s;
	int64_t now;
	struct load_list freed, quar;
	int err;
};

static int load_push(struct load_list *l, uint64_t key, unsigned int ifc,
		     uint32_t i)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		void *nb = realloc(l->v, nc * sizeof(*l->v));

		if (!nb)
			return -1;
		l->v = nb;
		l->cap = nc;
	}
	l->v[l->n].key = key;
	l->v[l->n].ifc = ifc;
	l->v[l->n++].i = i;
	return 0;
}

static int load_row(const struct lease_rec *r, void *arg)
{
	struct load_ctx *l = arg;
	struct server *s = l->s;
	unsigned int n;
	char b[INET_ADDRSTRLEN];

	for (n = 0; n < s->nifaces; n++) {
		struct srv_iface *ifc = &s->ifaces[n];
		struct pool *p = &ifc->pool;
		uint32_t i = pool_index(p, r->addr);
		struct pool_addr *a;
		struct client_key k;

		if (i == POOL_NONE)
			continue;
		a = &p->a[i];
		k.len = (uint8_t)(r->keylen < CLIENT_KEY_MAX ?
					  r->keylen :
					  CLIENT_KEY_MAX - 1);
		memcpy(k.k, r->key, k.len);
		a->hwlen = r->hwlen > 16 ? 16 : r->hwlen;
		memcpy(a->hw, r->hw, a->hwlen);
		snprintf(a->hostname, sizeof(a->hostname), "%s", r->hostname);
		a->seq = r->seq;
		if (r->seq >= p->next_seq)
			p->next_seq = r->seq + 1;
		switch (r->state) {
		case LEASE_LEASED:
			pool_lease(p, i, &k, r->starts, r->ends);
			break;
		case LEASE_QUARANTINE:
			pool_quarantine(p, i, r->ends);
			a->starts = r->starts;
			if (load_push(&l->quar, (uint64_t)r->starts, n, i) < 0)
				goto nomem;
			break;
		default:
			a->key = k; /* last holder */
			if (a->excluded || a->reserved || !r->seq)
				break;
			if (load_push(&l->freed, r->seq, n, i) < 0)
				goto nomem;
			break;
		}
		return 0;
	}
	if (r->state == LEASE_LEASED)
		log_warnx("lease db: lease of %s is outside every pool; "
			  "ignored (it ends at %lld)",
			  ip(r->addr, b), (long long)r->ends);
	return 0;
nomem:
	l->err = ENOMEM;
	return 1;
}

static int cmp_seq(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

int server_init(struct server *s, struct dhcp_conf *conf,
		const uint32_t *server_ids, struct leasedb *db, int64_t now)
{
	struct pool_range ranges[CONF_MAX_RANGES + CONF_MAX_HOSTS];
	struct load_ctx l = { .s = s, .now = now };
	unsigned int n, j, nr;
	size_t f;

	s->conf = conf;
	s->db = db;
	s->nifaces = 0;
	s->rl_refused = s->rl_relay = s->rl_rate = s->rl_unreserved =
		s->rl_quarantine = s->rl_decline =
			(struct log_rl)LOG_RL_INIT(1, 1);
	if (!s->out) {
		s->out = calloc(SRV_MAX_PENDING, sizeof(*s->out));
		if (!s->out)
			return -1;
	}
	for (n = 0; n < conf->nifaces; n++) {
		struct srv_iface *ifc = &s->ifaces[n];
		struct conf_iface *c = &conf->ifaces[n];

		ifc->conf = c;
		ifc->server_id = server_ids[n];
		nr = config_pool_ranges(c, ranges,
					sizeof(ranges) / sizeof(ranges[0]));
		if (pool_init(&ifc->pool, ranges, nr) < 0)
			return -1;
		s->nifaces++;
		ifc->pool.offer_end = offer_end;
		ifc->pool.offer_end_ctx = ifc;
		if (src_init(&ifc->src, SRC_MAX) < 0)
			return -1;
		for (j = 0; j < c->nexcl; j++) {
			uint32_t a;

			for (a = c->excl[j].first;; a++) {
				uint32_t i = pool_index(&ifc->pool, a);

				if (i != POOL_NONE)
					pool_exclude(&ifc->pool, i);
				if (a == c->excl[j].last)
					break;
			}
		}
		for (j = 0; j < c->nhosts; j++)
			pool_reserve(&ifc->pool,
				     pool_index(&ifc->pool, c->hosts[j].addr));
		/* The server's own address is never handed out. */
		j = pool_index(&ifc->pool, ifc->server_id);
		if (j != POOL_NONE)
			pool_exclude(&ifc->pool, j);
	}
	if (db) {
		int ret = leasedb_foreach(db, load_row, &l);

		if (ret > 0 || (ret == 0 && l.err)) {
			errno = l.err ? l.err : EIO;
			ret = -1;
		}
		if (ret == 0) {
			/* Released addresses re-enter the FIFO in release
			 * order, behind every never-used one; quarantines
			 * line up oldest first. */
			if (l.freed.n)
				qsort(l.freed.v, l.freed.n, sizeof(*l.freed.v),
				      cmp_seq);
			for (f = 0; f < l.freed.n; f++)
				pool_fifo_push_tail(
					&s->ifaces[l.freed.v[f].ifc].pool,
					l.freed.v[f].i);
			if (l.quar.n)
				qsort(l.quar.v, l.quar.n, sizeof(*l.quar.v),
				      cmp_seq);
			for (f = 0; f < l.quar.n; f++) {
				struct pool *p =
					&s->ifaces[l.quar.v[f].ifc].pool;
				uint32_t i = l.quar.v[f].i;

				pool_quarantine(p, i, p->a[i].deadline);
			}
		}
		free(l.freed.v);
		free(l.quar.v);
		if (ret < 0)
			return -1;
		/* A quarantine-max lowered since: end the oldest. */
		for (n = 0; n < s->nifaces; n++)
			if (s->ifaces[n].pool.nquar > conf->quarantine_max)
				quarantine_room(s, &s->ifaces[n], now, 0);
	}
	return 0;
}

void server_fini(struct server *s)
{
	unsigned int n;

	for (n = 0; n < s->nifaces; n++) {
		pool_free(&s->ifaces[n].pool);
		src_free(&s->ifaces[n].src);
	}
	s->nifaces = 0;
	free(s->out);
	s->out = NULL;
}

/* Offers held reserved now, every interface (a gauge, not a counter). */
static uint64_t offers_held(const struct server *s)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < s->nifaces; i++)
		n += s->ifaces[i].pool.noffered;
	return n;
}

void server_pool_gauges(const struct server *s, unsigned int n,
			struct leasedb_pool *g)
{
	const struct srv_iface *ifc = &s->ifaces[n];
	const struct pool *p = &ifc->pool;
	uint32_t i;

	memset(g, 0, sizeof(*g));
	g->idx = n + 1;
	snprintf(g->iface, sizeof(g->iface), "%s", ifc->conf->name);
	for (i = 0; i < p->n; i++) {
		const struct pool_addr *a = &p->a[i];

		if (a->reserved || a->excluded)
			continue;
		switch (a->state) {
		case ADDR_FREE:
			g->free++;
			break;
		case ADDR_OFFERED:
			g->offered++;
			break;
		case ADDR_LEASED:
			g->leased++;
			break;
		case ADDR_QUARANTINE:
			g->quarantined++;
			break;
		default:
			continue;
		}
		g->size++;
	}
}

void server_write_stats(struct server *s, int64_t now)
{
	struct leasedb_pool g[CONF_MAX_IFACES];
	int own = 0;
	unsigned int i;

	if (!s->db)
		return;
	if (!s->in_txn) {
		if (leasedb_begin(s->db) < 0)
			return;
		own = 1;
	}
	for (i = 0; i < ST__MAX; i++)
		leasedb_put_stat(s->db, server_stat_names[i], s->st[i]);
	leasedb_put_stat(s->db, "offers_held", offers_held(s));
	leasedb_put_stat(s->db, "updated", (uint64_t)now);
	for (i = 0; i < s->nifaces; i++)
		server_pool_gauges(s, i, &g[i]);
	leasedb_put_pools(s->db, g, s->nifaces);
	if (own && leasedb_commit(s->db) < 0)
		leasedb_rollback(s->db);
	s->stats_dirty = 0;
	s->stats_written = now;
}

void server_log_stats(const struct server *s)
{
	char line[2048];
	size_t o = 0;
	unsigned int i;

	for (i = 0; i < ST__MAX; i++) {
		int n;

		if (!s->st[i])
			continue;
		n = snprintf(line + o, sizeof(line) - o, " %s=%llu",
			     server_stat_names[i],
			     (unsigned long long)s->st[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - o)
			break;
		o += (size_t)n;
	}
	line[o] = '\0';
	log_info("stats:%s offers_held=%llu", line,
		 (unsigned long long)offers_held(s));
}
