// SPDX-License-Identifier: GPL-2.0
/*
 * The EAP roaming relay and its tap (radrelay.h, docs/DESIGN.md "EAP
 * roaming").  Two kinds of socket: one bound to radius-eap-relay, where
 * charon's eap-radius sends, and one connected socket per auth server
 * (the kernel then delivers replies from that server only).  Datagrams
 * pass unchanged; the relay only reads them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "radrelay.h"

enum {
	C_REQUESTS,
	C_RETRANSMITS,
	C_REPLIES,
	C_ACCEPTS,
	C_DROP_SOURCE,
	C_DROP_MALFORMED,
	C_DROP_CODE,
	C_DROP_AUTH,
	C_DROP_FULL,
	C_DROP_NOMATCH,
	C_DROP_SEND,
	C_TAP_BAD,
	C_TAP_EXPIRED,
	C_TAP_TAKEN,
	C__LAST
};

static const char *const counter_names[C__LAST] = {
	[C_REQUESTS] = "requests",
	[C_RETRANSMITS] = "retransmits",
	[C_REPLIES] = "replies",
	[C_ACCEPTS] = "accepts",
	[C_DROP_SOURCE] = "dropped_source",
	[C_DROP_MALFORMED] = "dropped_malformed",
	[C_DROP_CODE] = "dropped_code",
	[C_DROP_AUTH] = "dropped_authenticator",
	[C_DROP_FULL] = "dropped_full",
	[C_DROP_NOMATCH] = "dropped_nomatch",
	[C_DROP_SEND] = "dropped_send",
	[C_TAP_BAD] = "tap_bad",
	[C_TAP_EXPIRED] = "tap_expired",
	[C_TAP_TAKEN] = "tap_taken",
};

/* A request of charon's on its way to a server. */
struct pend {
	int used;
	uint8_t id, auth[RAD_AUTH_LEN];
	struct sockaddr_storage from;
	socklen_t fromlen;
	unsigned srv, tries;
	uint64_t t_ms;
	char user[254];
	char calling[64], conn[64];
	uint32_t nas_port;
	int have_port;
};

struct relay_srv {
	int fd;
	sd_event_source *src;
	struct radrelay *rr;
};

struct radrelay {
	sd_event *ev;
	int lfd;
	sd_event_source *lsrc;
	struct relay_srv srv[RADIUS_MAX_SERVERS];
	unsigned nsrv;
	uint8_t secret[RAD_SECRET_MAX];
	size_t seclen;
	int require_ma;
	struct pend pend[RADRELAY_PENDING];
	struct radrelay_accept acc[RADRELAY_ACCEPTS];
	unsigned nacc;
	uint64_t (*now_ms)(void *);
	void *now_arg;
	uint64_t c[C__LAST];
};

static int is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) &&
			a->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

static uint64_t loop_now_ms(void *arg)
{
	struct radrelay *rr = arg;
	uint64_t us = 0;

	sd_event_now(rr->ev, CLOCK_MONOTONIC, &us);
	return us / 1000;
}

void radrelay_set_clock(struct radrelay *rr, uint64_t (*now_ms)(void *),
			void *arg)
{
	rr->now_ms = now_ms;
	rr->now_arg = arg;
}

/* A printable attribute value (0x20..0x7e) into a C string: 0 or -1. */
static int str_of(const uint8_t *v, size_t n, char *out, size_t cap)
{
	if (!n || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return -1;
	memcpy(out, v, n);
	out[n] = 0;
	return 0;
}

/* ---------- the tap ---------- */

static void tap_expire(struct radrelay *rr, uint64_t now)
{
	for (unsigned i = 0; i < rr->nacc;)
		if (rr->acc[i].at_ms + RADRELAY_KEEP_S * 1000ull <= now) {
			rr->acc[i] = rr->acc[--rr->nacc];
			rr->c[C_TAP_EXPIRED]++;
		} else {
			i++;
		}
}

static void tap(struct radrelay *rr, const struct pend *e,
		const struct rad_pkt *p, uint64_t now)
{
	struct radrelay_accept a;

	memset(&a, 0, sizeof(a));
	/* charon's User-Name is the EAP identity: user@realm */
	if (roam_accept_parse(p, e->user, &a.auth) || !a.auth.realm[0]) {
		rr->c[C_TAP_BAD]++;
		log_warnx("radius relay: an Access-Accept without a usable "
			  "user@realm: not kept");
		return;
	}
	a.nas_port = e->nas_port;
	a.have_port = e->have_port;
	memcpy(a.conn, e->conn, sizeof(a.conn));
	memcpy(a.calling, e->calling, sizeof(a.calling));
	a.at_ms = now;
	tap_expire(rr, now);
	if (rr->nacc == RADRELAY_ACCEPTS) { /* the oldest goes */
		unsigned old = 0;

		for (unsigned i = 1; i < rr->nacc; i++)
			if (rr->acc[i].at_ms < rr->acc[old].at_ms)
				old = i;
		rr->acc[old] = rr->acc[--rr->nacc];
		rr->c[C_TAP_EXPIRED]++;
	}
	rr->acc[rr->nacc++] = a;
	/* the request's name: printable (the Accept's may be anything) */
	log_info("radius relay: Access-Accept for %s (IKE_SA %u) kept", e->user,
		 a.nas_port);
}

int radrelay_take(struct radrelay *rr, uint32_t ike_id, const char *user,
		  struct radrelay_accept *out)
{
	unsigned i;

	tap_expire(rr, rr->now_ms(rr->now_arg));
	for (i = 0; i < rr->nacc; i++)
		if (rr->acc[i].have_port ?
			    rr->acc[i].nas_port == ike_id :
			    !strcmp(rr->acc[i].auth.user_name, user))
			break;
	if (i == rr->nacc)
		return -1;
	*out = rr->acc[i];
	rr->acc[i] = rr->acc[--rr->nacc];
	rr->c[C_TAP_TAKEN]++;
	return 0;
}

/* ---------- requests: charon -> server ---------- */

static struct pend *pend_find(struct radrelay *rr, const struct rad_pkt *p,
			      const struct sockaddr_storage *from, socklen_t fl)
{
	for (unsigned i = 0; i < RADRELAY_PENDING; i++) {
		struct pend *e = &rr->pend[i];

		if (e->used && e->id == p->id &&
		    !memcmp(e->auth, p->auth, RAD_AUTH_LEN) &&
		    e->fromlen == fl && !memcmp(&e->from, from, fl))
			return e;
	}
	return NULL;
}

static struct pend *pend_new(struct radrelay *rr, uint64_t now)
{
	for (unsigned i = 0; i < RADRELAY_PENDING; i++) {
		struct pend *e = &rr->pend[i];

		if (!e->used || e->t_ms + RADRELAY_EXPIRE_MS <= now) {
			memset(e, 0, sizeof(*e));
			return e;
		}
	}
	return NULL;
}

/* What the tap needs of the request. */
static void pend_fill(struct pend *e, const struct rad_pkt *p)
{
	const uint8_t *v;
	size_t n;
	uint32_t u;

	if (!rad_find(p, RAD_USER_NAME, &v, &n))
		str_of(v, n, e->user, sizeof(e->user));
	if (!rad_find(p, RAD_CALLING_STATION_ID, &v, &n))
		str_of(v, n, e->calling, sizeof(e->calling));
	if (!rad_find(p, RAD_NAS_PORT_ID, &v, &n))
		str_of(v, n, e->conn, sizeof(e->conn));
	if (!rad_find_u32(p, RAD_NAS_PORT, &u)) {
		e->nas_port = u;
		e->have_port = 1;
	}
}

int radrelay_request_input(struct radrelay *rr, const uint8_t *buf, size_t n,
			   const struct sockaddr_storage *from, socklen_t fl,
			   size_t *len)
{
	struct rad_pkt p;
	struct pend *e;
	uint64_t now;

	if (!is_loopback(from) || fl > sizeof(*from)) {
		rr->c[C_DROP_SOURCE]++;
		return -1;
	}
	if (rad_parse(buf, n, &p)) {
		rr->c[C_DROP_MALFORMED]++;
		return -1;
	}
	if (p.code != RAD_ACCESS_REQUEST) {
		rr->c[C_DROP_CODE]++;
		return -1;
	}
	/* only who holds the secret may use the relay */
	if (rad_verify_access_request(&p, rr->secret, rr->seclen, 1)) {
		rr->c[C_DROP_AUTH]++;
		return -1;
	}
	if (!rr->nsrv) {
		rr->c[C_DROP_SEND]++;
		return -1;
	}
	now = rr->now_ms(rr->now_arg);
	e = pend_find(rr, &p, from, fl);
	if (e) { /* charon's retransmission: every 2nd to the next server */
		rr->c[C_RETRANSMITS]++;
		if (++e->tries % 2 == 0)
			e->srv = (e->srv + 1) % rr->nsrv;
	} else {
		e = pend_new(rr, now);
		if (!e) {
			rr->c[C_DROP_FULL]++;
			return -1;
		}
		e->used = 1;
		e->id = p.id;
		memcpy(e->auth, p.auth, RAD_AUTH_LEN);
		memcpy(&e->from, from, fl);
		e->fromlen = fl;
		e->t_ms = now;
		pend_fill(e, &p);
		rr->c[C_REQUESTS]++;
	}
	*len = p.len;
	return (int)e->srv;
}

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct radrelay *rr = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t buf[RAD_MAX_LEN + 1];
	size_t len;
	ssize_t n;
	int srv;

	(void)s;
	(void)revents;
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (void *)&from, &fl);
	if (n < 0)
		return 0;
	srv = radrelay_request_input(rr, buf, (size_t)n, &from, fl, &len);
	if (srv >= 0 && send(rr->srv[srv].fd, buf, len, MSG_DONTWAIT) < 0)
		rr->c[C_DROP_SEND]++;
	return 0;
}

/* ---------- replies: server -> charon ---------- */

int radrelay_reply_input(struct radrelay *rr, const uint8_t *buf, size_t n,
			 struct sockaddr_storage *to, socklen_t *tolen,
			 size_t *len)
{
	struct pend *e = NULL;
	struct rad_pkt p;
	uint64_t now;
	int need_ma;

	if (rad_parse(buf, n, &p)) {
		rr->c[C_DROP_MALFORMED]++;
		return -1;
	}
	if (p.code != RAD_ACCESS_ACCEPT && p.code != RAD_ACCESS_REJECT &&
	    p.code != RAD_ACCESS_CHALLENGE) {
		rr->c[C_DROP_CODE]++;
		return -1;
	}
	/* RFC 3579 §3.2: EAP replies carry a Message-Authenticator */
	need_ma = rr->require_ma || rad_count(&p, RAD_EAP_MESSAGE) > 0;
	now = rr->now_ms(rr->now_arg);
	for (unsigned i = 0; i < RADRELAY_PENDING && !e; i++)
		if (rr->pend[i].used && rr->pend[i].id == p.id &&
		    rr->pend[i].t_ms + RADRELAY_EXPIRE_MS > now &&
		    !rad_verify_reply(&p, rr->pend[i].auth, rr->secret,
				      rr->seclen, need_ma))
			e = &rr->pend[i];
	if (!e) {
		rr->c[C_DROP_NOMATCH]++;
		return -1;
	}
	rr->c[C_REPLIES]++;
	memcpy(to, &e->from, e->fromlen);
	*tolen = e->fromlen;
	*len = p.len;
	if (p.code == RAD_ACCESS_ACCEPT) {
		rr->c[C_ACCEPTS]++;
		tap(rr, e, &p, now);
	}
	e->used = 0;
	return 0;
}

static int on_reply(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct relay_srv *sv = arg;
	struct radrelay *rr = sv->rr;
	uint8_t buf[RAD_MAX_LEN + 1];
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	ssize_t n;

	(void)s;
	(void)revents;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return 0;
	if (!radrelay_reply_input(rr, buf, (size_t)n, &to, &tolen, &len) &&
	    sendto(rr->lfd, buf, len, MSG_DONTWAIT, (void *)&to, tolen) < 0)
		rr->c[C_DROP_SEND]++;
	return 0;
}

/* ---------- set-up ---------- */

static void servers_close(struct radrelay *rr)
{
	for (unsigned i = 0; i < rr->nsrv; i++) {
		sd_event_source_disable_unref(rr->srv[i].src);
		if (rr->srv[i].fd >= 0)
			close(rr->srv[i].fd);
	}
	rr->nsrv = 0;
}

/* Connected sockets to the auth servers sharing the first one's secret. */
static int servers_open(struct radrelay *rr, const struct radius_conf *conf,
			char *err, size_t errlen)
{
	servers_close(rr);
	memset(rr->pend, 0, sizeof(rr->pend));
	if (!conf->nauth) {
		snprintf(err, errlen,
			 "radius-eap-relay: no radius-auth-server");
		return -1;
	}
	rr->seclen = conf->auth[0].seclen;
	memcpy(rr->secret, conf->auth[0].secret, rr->seclen);
	rr->require_ma = conf->require_ma;
	for (unsigned i = 0; i < conf->nauth; i++) {
		const struct rad_server *a = &conf->auth[i];
		struct relay_srv *sv = &rr->srv[rr->nsrv];
		struct sockaddr_storage sa;
		const char *why;
		socklen_t len;

		if (a->seclen != rr->seclen ||
		    memcmp(a->secret, rr->secret, rr->seclen)) {
			log_warnx("radius-eap-relay: %s has another secret "
				  "than the first server: not used",
				  a->addr);
			continue;
		}
		if (radclient_parse_addr(a->addr, &sa, &len, &why)) {
			snprintf(err, errlen, "radius-eap-relay: server %s: %s",
				 a->addr, why);
			return -1;
		}
		sv->rr = rr;
		sv->fd = socket(sa.ss_family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (sv->fd < 0 || connect(sv->fd, (void *)&sa, len) ||
		    sd_event_add_io(rr->ev, &sv->src, sv->fd, EPOLLIN, on_reply,
				    sv) < 0) {
			snprintf(err, errlen,
				 "radius-eap-relay: socket to "
				 "%s: %s",
				 a->addr, strerror(errno));
			if (sv->fd >= 0)
				close(sv->fd);
			return -1;
		}
		rr->nsrv++;
	}
	return 0;
}

int radrelay_new(struct radrelay **out, sd_event *ev, const char *listen,
		 const struct radius_conf *conf, char *err, size_t errlen)
{
	struct radrelay *rr = calloc(1, sizeof(*rr));
	struct sockaddr_storage sa;
	const char *why;
	socklen_t len;

	if (!rr) {
		snprintf(err, errlen, "radius-eap-relay: out of memory");
		return -1;
	}
	rr->ev = ev;
	rr->lfd = -1;
	radrelay_set_clock(rr, loop_now_ms, rr);
	if (radclient_parse_addr(listen, &sa, &len, &why) ||
	    !is_loopback(&sa)) {
		snprintf(err, errlen,
			 "radius-eap-relay %s: expected a loopback ADDR:PORT",
			 listen);
		goto fail;
	}
	if (servers_open(rr, conf, err, errlen))
		goto fail;
	rr->lfd = socket(sa.ss_family,
			 SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rr->lfd < 0 || bind(rr->lfd, (void *)&sa, len) ||
	    sd_event_add_io(ev, &rr->lsrc, rr->lfd, EPOLLIN, on_request, rr) <
		    0) {
		snprintf(err, errlen, "radius-eap-relay %s: %s", listen,
			 strerror(errno));
		goto fail;
	}
	*out = rr;
	return 0;
fail:
	radrelay_free(rr);
	return -1;
}

void radrelay_reconf(struct radrelay *rr, const struct radius_conf *conf)
{
	char err[160];

	if (servers_open(rr, conf, err, sizeof(err)))
		log_warnx("%s", err);
}

void radrelay_free(struct radrelay *rr)
{
	if (!rr)
		return;
	servers_close(rr);
	sd_event_source_disable_unref(rr->lsrc);
	if (rr->lfd >= 0)
		close(rr->lfd);
	explicit_bzero(rr->secret, sizeof(rr->secret));
	free(rr);
}

void radrelay_counters(const struct radrelay *rr, const char *prefix,
		       rad_counter_fn fn, void *arg)
{
	char name[96];

	if (!rr)
		return;
	for (unsigned i = 0; i < C__LAST; i++) {
		snprintf(name, sizeof(name), "%s%s", prefix, counter_names[i]);
		fn(arg, name, rr->c[i]);
	}
}
