// SPDX-License-Identifier: GPL-2.0
/* DHCP server state machine: see server.h. */
#include <arpa/inet.h>
#include <errno.h>
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
	[ST_NO_ADDRESS] = "pool_exhausted",
	[ST_EXPIRED] = "lease_expired",
	[ST_OFFER_EXPIRED] = "offer_expired",
	[ST_QUARANTINED] = "quarantined",
	[ST_IGNORED] = "ignored",
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

/* Replies */

static struct reply *reply_start(struct server *s, struct srv_iface *ifc,
				 const struct dhcp_msg *m, uint8_t type,
				 struct dhcp_out *o)
{
	struct reply *r;

	if (s->nout == SRV_MAX_PENDING)
		return NULL;
	r = &s->out[s->nout];
	memset(r, 0, offsetof(struct reply, buf));
	r->ifc = ifc;
	dhcp_out_init(o, m, dhcp_reply_max(m));
	dhcp_out_put_u8(o, OPT_MSG_TYPE, type);
	dhcp_out_put_u32(o, OPT_SERVER_ID, ifc->server_id);
	return r;
}

/* RFC 2131 section 4.1, "server to client" addressing. */
static void reply_dest(struct reply *r, const struct dhcp_msg *m, uint8_t type,
		       uint32_t yiaddr)
{
	r->dport = 68;
	if (m->giaddr) {
		r->dst = m->giaddr;
		r->dport = 67;
	} else if (type == DHCPNAK) {
		r->dst = htonl(INADDR_BROADCAST);
	} else if (m->ciaddr) {
		r->dst = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || m->htype != 1 ||
		   m->hlen != 6 || !yiaddr) {
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

static void send_lease_reply(struct server *s, struct srv_iface *ifc,
			     const struct dhcp_msg *m, uint8_t type,
			     uint32_t yiaddr)
{
	const struct conf_iface *c = ifc->conf;
	struct dhcp_out o;
	struct reply *r;
	uint32_t be = htonl(yiaddr);
	int err = 0;

	r = reply_start(s, ifc, m, type, &o);
	if (!r)
		return;
	memcpy(o.buf + 16, &be, 4);	   /* yiaddr */
	memcpy(o.buf + 12, &m->ciaddr, 4); /* ciaddr */
	err |= dhcp_out_put_u32(&o, OPT_LEASE_TIME, c->lease_time);
	err |= dhcp_out_put_u32(&o, OPT_T1, c->t1);
	err |= dhcp_out_put_u32(&o, OPT_T2, c->t2);
	err |= put_params(&o, c);
	reply_dest(r, m, type, yiaddr);
	count(s, type == DHCPOFFER ? ST_OFFER : ST_ACK);
	reply_finish(s, r, &o, err);
}

static void send_nak(struct server *s, struct srv_iface *ifc,
		     const struct dhcp_msg *m, const char *why)
{
	struct dhcp_out o;
	struct reply *r;
	char b[INET_ADDRSTRLEN], hw[49];

	hwstr(m, hw);
	log_info("%s: NAK to %s: %s (requested %s)", ifc->conf->name, hw, why,
		 ip(ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP) ?
				  dhcp_opt_addr(m, OPT_REQUESTED_IP) :
				  m->ciaddr),
		    b));
	r = reply_start(s, ifc, m, DHCPNAK, &o);
	if (!r)
		return;
	/* RFC 2131 4.3.2: a relayed NAK sets the broadcast bit. */
	if (m->giaddr)
		o.buf[10] |= 0x80;
	dhcp_out_put(&o, OPT_MESSAGE, why, strlen(why));
	reply_dest(r, m, DHCPNAK, 0);
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

static uint32_t host_slot(struct srv_iface *ifc, const struct dhcp_msg *m,
			  const struct client_key *k)
{
	const struct conf_host *h = find_host(ifc, m, k);

	return h ? pool_index(&ifc->pool, h->addr) : POOL_NONE;
}

static void do_discover(struct server *s, struct srv_iface *ifc,
			const struct dhcp_msg *m, const struct client_key *k,
			int64_t now)
{
	struct pool *p = &ifc->pool;
	uint32_t i, req;
	char hw[49], b[INET_ADDRSTRLEN];

	i = host_slot(ifc, m, k);
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
	if (i == POOL_NONE)
		i = pool_fifo_head(p);
	hwstr(m, hw);
	if (i == POOL_NONE) {
		count(s, ST_NO_ADDRESS);
		if (now != s->exhaust_logged) {
			s->exhaust_logged = now;
			log_warnx(
				"%s: pool exhausted: no address to offer to %s "
				"(%llu times so far)",
				ifc->conf->name, hw,
				(unsigned long long)s->st[ST_NO_ADDRESS]);
		}
		return;
	}
	if (p->a[i].state != ADDR_LEASED)
		pool_offer(p, i, k, now + s->conf->offer_time);
	log_debug("%s: OFFER %s to %s", ifc->conf->name, ip(p->a[i].addr, b),
		  hw);
	send_lease_reply(s, ifc, m, DHCPOFFER, p->a[i].addr);
}

static void ack(struct server *s, struct srv_iface *ifc,
		const struct dhcp_msg *m, const struct client_key *k,
		uint32_t i, int64_t now)
{
	struct pool_addr *a = &ifc->pool.a[i];
	int renew = a->state == ADDR_LEASED && key_eq(&a->key, k);
	char hw[49], b[INET_ADDRSTRLEN];

	pool_lease(&ifc->pool, i, k, renew ? a->starts : now,
		   now + ifc->conf->lease_time);
	note_client(a, m);
	if (persist(s, ifc, i) < 0)
		return; /* no ACK for a lease not on disk */
	kqueue(s, renew ? KADDR_RENEW : KADDR_NEW, a->addr,
	       m->htype == 1 && m->hlen == 6 ? m->chaddr : NULL);
	hwstr(m, hw);
	log_info("%s: ACK %s to %s%s%s (%s, until %lld)", ifc->conf->name,
		 ip(a->addr, b), hw, a->hostname[0] ? " " : "", a->hostname,
		 renew ? "renewed" : "new", (long long)a->deadline);
	send_lease_reply(s, ifc, m, DHCPACK, a->addr);
}

static void do_request(struct server *s, struct srv_iface *ifc,
		       const struct dhcp_msg *m, const struct client_key *k,
		       int64_t now)
{
	struct pool *p = &ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(m, OPT_SERVER_ID));
	uint32_t req = ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP));
	uint32_t ciaddr = ntohl(m->ciaddr);
	const struct conf_iface *c = ifc->conf;
	uint32_t i, j;

	i = pool_client_find(p, k);
	if (sid) {
		/* SELECTING */
		if (sid != ifc->server_id) {
			/* The client chose another server: free our offer. */
			if (i != POOL_NONE && p->a[i].state == ADDR_OFFERED)
				pool_unallocate(p, i);
			count(s, ST_IGNORED);
			return;
		}
		if (!req)
			req = ciaddr;
		if (i == POOL_NONE || p->a[i].addr != req ||
		    (p->a[i].state != ADDR_OFFERED &&
		     p->a[i].state != ADDR_LEASED)) {
			send_nak(s, ifc, m, "address not offered to you");
			return;
		}
		ack(s, ifc, m, k, i, now);
		return;
	}
	if (req && !m->ciaddr) {
		/* INIT-REBOOT */
		if ((req & c->mask) != c->net) {
			send_nak(s, ifc, m, "wrong network");
			return;
		}
		if (i != POOL_NONE && p->a[i].addr == req &&
		    (p->a[i].state == ADDR_LEASED ||
		     p->a[i].state == ADDR_OFFERED)) {
			ack(s, ifc, m, k, i, now);
			return;
		}
		j = pool_index(p, req);
		if (j == POOL_NONE) {
			send_nak(s, ifc, m, "address not served here");
			return;
		}
		if (j == host_slot(ifc, m, k) &&
		    (p->a[j].state == ADDR_RESERVED ||
		     p->a[j].state == ADDR_OFFERED)) {
			ack(s, ifc, m, k, j, now);
			return;
		}
		if (p->a[j].state != ADDR_FREE) {
			send_nak(s, ifc, m, "address not available");
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
			ack(s, ifc, m, k, i, now);
			return;
		}
		j = pool_index(p, ciaddr);
		if (j != POOL_NONE && (p->a[j].state == ADDR_LEASED ||
				       p->a[j].state == ADDR_OFFERED ||
				       p->a[j].state == ADDR_QUARANTINE)) {
			send_nak(s, ifc, m, "lease not yours");
			return;
		}
		count(s, ST_IGNORED);
		return;
	}
	count(s, ST_IGNORED);
}

static void do_decline(struct server *s, struct srv_iface *ifc,
		       const struct dhcp_msg *m, const struct client_key *k,
		       int64_t now)
{
	struct pool *p = &ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(m, OPT_SERVER_ID));
	uint32_t req = ntohl(dhcp_opt_addr(m, OPT_REQUESTED_IP));
	uint32_t i = pool_client_find(p, k);
	char b[INET_ADDRSTRLEN], hw[49];

	if (sid != ifc->server_id || i == POOL_NONE || p->a[i].addr != req ||
	    (p->a[i].state != ADDR_LEASED && p->a[i].state != ADDR_OFFERED)) {
		count(s, ST_IGNORED);
		return;
	}
	hwstr(m, hw);
	log_warnx("%s: %s declined %s (in use on the link?): quarantined "
		  "for %u s",
		  ifc->conf->name, hw, ip(req, b), s->conf->quarantine_time);
	pool_quarantine(p, i, now + s->conf->quarantine_time);
	p->a[i].starts = now;
	count(s, ST_QUARANTINED);
	if (persist(s, ifc, i) == 0)
		kqueue(s, KADDR_RELEASE, req, NULL);
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

static void do_release(struct server *s, struct srv_iface *ifc,
		       const struct dhcp_msg *m, const struct client_key *k,
		       int64_t now)
{
	struct pool *p = &ifc->pool;
	uint32_t sid = ntohl(dhcp_opt_addr(m, OPT_SERVER_ID));
	uint32_t i = pool_client_find(p, k);
	char b[INET_ADDRSTRLEN], hw[49];

	if ((sid && sid != ifc->server_id) || i == POOL_NONE ||
	    p->a[i].addr != ntohl(m->ciaddr) || p->a[i].state != ADDR_LEASED) {
		count(s, ST_IGNORED);
		return;
	}
	hwstr(m, hw);
	log_info("%s: %s released %s", ifc->conf->name, hw,
		 ip(p->a[i].addr, b));
	unallocate(s, ifc, i, now);
}

static void do_inform(struct server *s, struct srv_iface *ifc,
		      const struct dhcp_msg *m)
{
	struct dhcp_out o;
	struct reply *r;
	int err;

	if (!m->ciaddr) {
		count(s, ST_IGNORED);
		return;
	}
	r = reply_start(s, ifc, m, DHCPACK, &o);
	if (!r)
		return;
	memcpy(o.buf + 12, &m->ciaddr, 4);
	err = put_params(&o, ifc->conf);
	reply_dest(r, m, DHCPACK, 0);
	count(s, ST_ACK);
	reply_finish(s, r, &o, err);
}

void server_input(struct server *s, unsigned int idx, const uint8_t *buf,
		  size_t len, int64_t now)
{
	static struct dhcp_msg m; /* 12 KiB: keep it off the stack */
	struct srv_iface *ifc = &s->ifaces[idx];
	struct client_key k;
	enum dhcp_perr e;

	count(s, ST_RX);
	e = dhcp_parse(buf, len, &m);
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
	/* Relayed requests are served only for the interface's subnet. */
	if (m.giaddr && (ntohl(m.giaddr) & ifc->conf->mask) != ifc->conf->net) {
		count(s, ST_DROP_NOT_SERVED);
		return;
	}
	client_key(&m, &k);
	switch (m.type) {
	case DHCPDISCOVER:
		count(s, ST_DISCOVER);
		do_discover(s, ifc, &m, &k, now);
		break;
	case DHCPREQUEST:
		count(s, ST_REQUEST);
		do_request(s, ifc, &m, &k, now);
		break;
	case DHCPDECLINE:
		count(s, ST_DECLINE);
		do_decline(s, ifc, &m, &k, now);
		break;
	case DHCPRELEASE:
		count(s, ST_RELEASE);
		do_release(s, ifc, &m, &k, now);
		break;
	case DHCPINFORM:
		count(s, ST_INFORM);
		do_inform(s, ifc, &m);
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

struct load_ctx {
	struct server *s;
	int64_t now;
	struct {
		uint64_t seq;
		unsigned int ifc;
		uint32_t i;
	} * freed;
	size_t nfreed, cap;
	int err;
};

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
			break;
		default:
			a->key = k; /* last holder */
			if (a->excluded || a->reserved || !r->seq)
				break;
			if (l->nfreed == l->cap) {
				size_t nc = l->cap ? l->cap * 2 : 256;
				void *nb = realloc(l->freed,
						   nc * sizeof(*l->freed));

				if (!nb) {
					l->err = ENOMEM;
					return 1;
				}
				l->freed = nb;
				l->cap = nc;
			}
			l->freed[l->nfreed].seq = r->seq;
			l->freed[l->nfreed].ifc = n;
			l->freed[l->nfreed++].i = i;
			break;
		}
		return 0;
	}
	if (r->state == LEASE_LEASED)
		log_warnx("lease db: lease of %s is outside every pool; "
			  "ignored (it ends at %lld)",
			  ip(r->addr, b), (long long)r->ends);
	return 0;
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
		if (leasedb_foreach(db, load_row, &l) < 0) {
			free(l.freed);
			return -1;
		}
		if (l.err) {
			free(l.freed);
			errno = l.err;
			return -1;
		}
		/* Released addresses re-enter the FIFO in release order,
		 * behind every never-used one. */
		if (l.nfreed)
			qsort(l.freed, l.nfreed, sizeof(*l.freed), cmp_seq);
		for (f = 0; f < l.nfreed; f++)
			pool_fifo_push_tail(&s->ifaces[l.freed[f].ifc].pool,
					    l.freed[f].i);
		free(l.freed);
	}
	return 0;
}

void server_fini(struct server *s)
{
	unsigned int n;

	for (n = 0; n < s->nifaces; n++)
		pool_free(&s->ifaces[n].pool);
	s->nifaces = 0;
	free(s->out);
	s->out = NULL;
}

void server_write_stats(struct server *s, int64_t now)
{
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
	leasedb_put_stat(s->db, "updated", (uint64_t)now);
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
	log_info("stats:%s", o ? line : " (none)");
}
