// SPDX-License-Identifier: GPL-2.0
/*
 * A local user's own address by DHCP (the Multi-IP scheme's allocation at
 * login, thesis ch. 6; uinfod.h): RFC 2131's client state machine for
 * one lease, pure.  dhcp.c carries its messages on a packet socket and
 * tells it when users log in and out.
 *
 * Every user's client shares the host's MAC, so what tells their leases
 * apart is the client identifier (RFC 4361: IAID = the uid, DUID-LL of
 * the interface), which the router's server keys leases by, and the
 * transaction id, which tells the replies apart.
 */
#include <arpa/inet.h>
#include <string.h>

#include "uinfod.h"

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What we ask for (RFC 2132 option 55). */
static const uint8_t params[] = { OPT_SUBNET_MASK, OPT_ROUTER, OPT_LEASE_TIME,
				  OPT_SERVER_ID,   OPT_T1,     OPT_T2 };

const char *uinfod_lease_state_name(enum uinfod_lease_state s)
{
	static const char *const names[] = {
		[UINFOD_LEASE_IDLE] = "idle",
		[UINFOD_LEASE_SELECTING] = "selecting",
		[UINFOD_LEASE_REQUESTING] = "requesting",
		[UINFOD_LEASE_BOUND] = "bound",
		[UINFOD_LEASE_RENEWING] = "renewing",
		[UINFOD_LEASE_REBINDING] = "rebinding",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] :
								    "?";
}

void uinfod_lease_init(struct uinfod_lease *l, uint32_t uid,
		       const uint8_t mac[6])
{
	uint8_t *c = l->client_id;

	memset(l, 0, sizeof(*l));
	l->uid = uid;
	memcpy(l->mac, mac, 6);
	c[0] = 255; /* RFC 4361 section 6.1: IAID and DUID follow */
	c[1] = (uint8_t)(uid >> 24);
	c[2] = (uint8_t)(uid >> 16);
	c[3] = (uint8_t)(uid >> 8);
	c[4] = (uint8_t)uid;
	c[5] = 0; /* DUID-LL (RFC 8415 11.4): type 3, Ethernet (1), MAC */
	c[6] = 3;
	c[7] = 0;
	c[8] = 1;
	memcpy(c + 9, mac, 6);
	l->state = UINFOD_LEASE_IDLE;
	l->next = UINT64_MAX;
}

uint8_t uinfod_lease_plen(const struct uinfod_lease *l)
{
	uint32_t m = ntohl(l->mask);
	uint8_t n = 0;

	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	return n;
}

/* The next wait: 4 s, doubled up to 64 s, +-1 s (RFC 2131 4.1). */
static uint64_t backoff(struct uinfod_lease *l, uint32_t rnd)
{
	l->wait = !l->wait ? UINFOD_LEASE_RETRY_FIRST_MS :
		  l->wait * 2 > UINFOD_LEASE_RETRY_MAX_MS ?
			     UINFOD_LEASE_RETRY_MAX_MS :
			     l->wait * 2;
	return l->wait - 1000 + rnd % 2001;
}

/* A request of type with our identifier and wishes; ciaddr as given. */
static void request(const struct uinfod_lease *l, struct uinfod_lease_tx *tx,
		    uint8_t type, uint32_t ciaddr)
{
	struct dhcp_out o;
	int rc;

	dhcp_out_request(&o, l->xid, l->mac, ciaddr);
	rc = dhcp_out_put_u8(&o, OPT_MSG_TYPE, type);
	rc |= dhcp_out_put(&o, OPT_CLIENT_ID, l->client_id,
			   sizeof(l->client_id));
	if (type == DHCPREQUEST && !ciaddr) { /* SELECTING's answer */
		rc |= dhcp_out_put(&o, OPT_REQUESTED_IP, &l->addr, 4);
		rc |= dhcp_out_put(&o, OPT_SERVER_ID, &l->server, 4);
	}
	if (type == DHCPRELEASE)
		rc |= dhcp_out_put(&o, OPT_SERVER_ID, &l->server, 4);
	else
		rc |= dhcp_out_put(&o, OPT_PARAM_LIST, params, sizeof(params));
	/* nothing here can fail to fit 548 bytes */
	tx->len = rc ? 0 : dhcp_out_finish(&o);
	memcpy(tx->buf, o.buf, tx->len);
	tx->src = ciaddr;
	tx->dst = htonl(INADDR_BROADCAST);
	memcpy(tx->dst_mac, bcast_mac, 6);
}

/* To the server that gave the lease: RENEWING, RELEASE. */
static void to_server(const struct uinfod_lease *l, struct uinfod_lease_tx *tx)
{
	tx->dst = l->server;
	memcpy(tx->dst_mac, l->server_mac, 6);
}

static void discover(struct uinfod_lease *l, uint64_t now, uint32_t rnd,
		     struct uinfod_lease_tx *tx)
{
	l->state = UINFOD_LEASE_SELECTING;
	l->xid = rnd;
	l->addr = l->mask = l->router = l->server = 0;
	l->t1 = l->t2 = l->expiry = UINT64_MAX;
	l->wait = 0;
	l->tries = 0;
	request(l, tx, DHCPDISCOVER, 0);
	l->next = now + backoff(l, rnd >> 8);
}

void uinfod_lease_start(struct uinfod_lease *l, uint64_t now, uint32_t rnd,
			struct uinfod_lease_tx *tx)
{
	discover(l, now, rnd, tx);
}

static int had_address(const struct uinfod_lease *l)
{
	return l->state >= UINFOD_LEASE_BOUND;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Bound by an ACK: the times from its options (RFC 2131 4.4.5 defaults
 * for T1 and T2, each at most the next). */
static void bind_lease(struct uinfod_lease *l, const struct dhcp_msg *m,
		       uint32_t lease_s, uint64_t now)
{
	uint32_t t1 = lease_s / 2, t2 = (uint32_t)((uint64_t)lease_s * 7 / 8);
	const uint8_t *v;
	size_t len;

	v = dhcp_opt(m, OPT_T1, &len);
	if (v && len == 4)
		t1 = get32(v);
	v = dhcp_opt(m, OPT_T2, &len);
	if (v && len == 4)
		t2 = get32(v);
	if (t2 > lease_s)
		t2 = lease_s;
	if (t1 > t2)
		t1 = t2;
	l->lease_s = lease_s;
	l->state = UINFOD_LEASE_BOUND;
	l->wait = 0;
	if (lease_s == UINT32_MAX) {
		l->t1 = l->t2 = l->expiry = l->next = UINT64_MAX;
		return;
	}
	l->t1 = now + (uint64_t)t1 * 1000;
	l->t2 = now + (uint64_t)t2 * 1000;
	l->expiry = now + (uint64_t)lease_s * 1000;
	l->next = l->t1;
}

/* Does m answer this lease's exchange? */
static int ours(const struct uinfod_lease *l, const struct dhcp_msg *m)
{
	const uint8_t *v;
	size_t len;

	if (l->state == UINFOD_LEASE_IDLE || m->xid != l->xid ||
	    m->htype != 1 || m->hlen != 6 || memcmp(m->chaddr, l->mac, 6))
		return 0;
	/* RFC 6842: a server that echoes the identifier echoes ours */
	v = dhcp_opt(m, OPT_CLIENT_ID, &len);
	return !v ||
	       (len == sizeof(l->client_id) && !memcmp(v, l->client_id, len));
}

static enum uinfod_lease_event on_ack(struct uinfod_lease *l,
				      const struct dhcp_msg *m,
				      const uint8_t src_mac[6], uint64_t now)
{
	uint32_t server = dhcp_opt_addr(m, OPT_SERVER_ID), lease_s;
	int renewal = had_address(l);
	const uint8_t *v;
	size_t len;

	v = dhcp_opt(m, OPT_LEASE_TIME, &len);
	if (!m->yiaddr || !v || len != 4)
		return UINFOD_LEASE_NONE; /* RFC 2131 table 3: both required */
	if (l->state == UINFOD_LEASE_REQUESTING &&
	    (m->yiaddr != l->addr || (server && server != l->server)))
		return UINFOD_LEASE_NONE; /* not what we asked for */
	if (l->state == UINFOD_LEASE_RENEWING && server && server != l->server)
		return UINFOD_LEASE_NONE;
	lease_s = get32(v);
	if (lease_s < UINFOD_LEASE_MIN_S)
		lease_s = UINFOD_LEASE_MIN_S;
	if (server)
		l->server = server;
	memcpy(l->server_mac, src_mac, 6);
	l->mask = dhcp_opt_addr(m, OPT_SUBNET_MASK);
	if (!l->mask) /* RFC 2131 says a client may assume: the whole */
		l->mask = htonl(0xffffffffu);
	l->router = 0;
	v = dhcp_opt(m, OPT_ROUTER, &len);
	if (v && len >= 4) /* the first of the list */
		memcpy(&l->router, v, 4);
	bind_lease(l, m, lease_s, now);
	if (renewal && m->yiaddr == l->addr)
		return UINFOD_LEASE_RENEWED;
	l->addr = m->yiaddr;
	return UINFOD_LEASE_GOT;
}

enum uinfod_lease_event uinfod_lease_input(struct uinfod_lease *l,
					   const struct dhcp_msg *m,
					   const uint8_t src_mac[6],
					   uint64_t now, uint32_t rnd,
					   struct uinfod_lease_tx *tx)
{
	int had = had_address(l);

	tx->len = 0;
	if (!ours(l, m))
		return UINFOD_LEASE_NONE;
	switch (m->type) {
	case DHCPOFFER:
		if (l->state != UINFOD_LEASE_SELECTING || !m->yiaddr ||
		    !dhcp_opt_addr(m, OPT_SERVER_ID))
			return UINFOD_LEASE_NONE;
		l->addr = m->yiaddr;
		l->server = dhcp_opt_addr(m, OPT_SERVER_ID);
		l->state = UINFOD_LEASE_REQUESTING;
		l->wait = 0;
		l->tries = 1;
		request(l, tx, DHCPREQUEST, 0);
		l->next = now + backoff(l, rnd);
		return UINFOD_LEASE_NONE;
	case DHCPACK:
		if (l->state == UINFOD_LEASE_SELECTING ||
		    l->state == UINFOD_LEASE_BOUND)
			return UINFOD_LEASE_NONE;
		return on_ack(l, m, src_mac, now);
	case DHCPNAK:
		if (l->state == UINFOD_LEASE_SELECTING ||
		    l->state == UINFOD_LEASE_BOUND)
			return UINFOD_LEASE_NONE;
		/* from the server asked (any, rebinding) */
		if (l->state != UINFOD_LEASE_REBINDING &&
		    dhcp_opt_addr(m, OPT_SERVER_ID) != l->server)
			return UINFOD_LEASE_NONE;
		discover(l, now, rnd, tx);
		return had ? UINFOD_LEASE_LOST : UINFOD_LEASE_NONE;
	default:
		return UINFOD_LEASE_NONE;
	}
}

/* Renewing or rebinding: the next try after half the time left to
 * until, at least UINFOD_LEASE_RENEW_MIN_MS, never past until. */
static uint64_t half_left(uint64_t now, uint64_t until)
{
	uint64_t half = until > now ? (until - now) / 2 : 0;

	if (half < UINFOD_LEASE_RENEW_MIN_MS)
		half = UINFOD_LEASE_RENEW_MIN_MS;
	return now + half < until ? now + half : until;
}

enum uinfod_lease_event uinfod_lease_timer(struct uinfod_lease *l, uint64_t now,
					   uint32_t rnd,
					   struct uinfod_lease_tx *tx)
{
	tx->len = 0;
	if (now < l->next)
		return UINFOD_LEASE_NONE;
	if (had_address(l) && now >= l->expiry) {
		discover(l, now, rnd, tx);
		return UINFOD_LEASE_LOST;
	}
	switch (l->state) {
	case UINFOD_LEASE_IDLE:
		l->next = UINT64_MAX;
		break;
	case UINFOD_LEASE_SELECTING:
		request(l, tx, DHCPDISCOVER, 0);
		l->next = now + backoff(l, rnd);
		break;
	case UINFOD_LEASE_REQUESTING:
		if (l->tries >= UINFOD_LEASE_REQUESTS) {
			discover(l, now, rnd, tx);
			break;
		}
		l->tries++;
		request(l, tx, DHCPREQUEST, 0);
		l->next = now + backoff(l, rnd);
		break;
	case UINFOD_LEASE_BOUND:
	case UINFOD_LEASE_RENEWING:
		if (now < l->t2) {
			l->state = UINFOD_LEASE_RENEWING;
			request(l, tx, DHCPREQUEST, l->addr);
			to_server(l, tx);
			l->next = half_left(now, l->t2);
			break;
		}
		/* past T2 */
		__attribute__((fallthrough));
	case UINFOD_LEASE_REBINDING:
		l->state = UINFOD_LEASE_REBINDING;
		request(l, tx, DHCPREQUEST, l->addr);
		l->next = half_left(now, l->expiry);
		break;
	}
	return UINFOD_LEASE_NONE;
}

enum uinfod_lease_event uinfod_lease_stop(struct uinfod_lease *l,
					  struct uinfod_lease_tx *tx)
{
	int had = had_address(l);

	tx->len = 0;
	if (had) {
		request(l, tx, DHCPRELEASE, l->addr);
		to_server(l, tx);
	}
	l->state = UINFOD_LEASE_IDLE;
	l->next = UINT64_MAX;
	l->t1 = l->t2 = l->expiry = UINT64_MAX;
	return had ? UINFOD_LEASE_LOST : UINFOD_LEASE_NONE;
}
