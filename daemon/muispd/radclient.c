// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's RADIUS client (radclient.h): requests queue in order, go to
 * the first server that is not dead, up to `window` in flight on it, each
 * with an Identifier from the server's 256-slot table.  A request is
 * built (the caller's build callback, then signed) when it is sent to a
 * server; retransmissions to that server are the same bytes, after
 * timeout, 2 x timeout, 4 x timeout ... (RFC 5080 §2.2.1, `retries`
 * retransmissions).  A request that exhausts them marks its server dead:
 * every request in flight there goes back to the queue, in order, and is
 * rebuilt (new Identifier, new Acct-Delay-Time) for the next server.  A
 * dead server is probed with Status-Server (RFC 5997) after dead_s,
 * doubling to 300 s with +-25 % jitter; once it answers, new requests go
 * to it again (the first alive server in configured order); with no
 * server alive and requests waiting, every second probe is the oldest
 * request itself (a server without Status-Server comes back too).  With
 * every server dead, requests wait; an Access-Request gives up after
 * auth_timeout_s (done with RADCLIENT_TIMEOUT).
 *
 * Replies are parsed and verified against the request's authenticator
 * and the server's secret (Message-Authenticator required in Access
 * replies when require_ma); one that does not verify is counted and
 * ignored, the request stays in flight.  One sd-event timer (the nearest
 * deadline), one io source per server socket, one defer source that
 * sends what was queued: done is never called from radclient_send.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "radclient.h"

#define USEC_PER_MS    1000ull
#define USEC_PER_S     1000000ull
#define RC_DEAD_MAX_S  300 /* longest interval between probes */
#define RC_NO_DEADLINE UINT64_MAX

struct rc_srv {
	struct radclient *rc;
	char addr[64];
	uint8_t secret[RAD_SECRET_MAX];
	size_t seclen;
	int fd;
	sd_event_source *io;
	struct radclient_req *slot[256];
	unsigned inflight;
	uint8_t next_id;
	int dead;
	uint64_t probe_at;  /* dead: next probe (monotonic us) */
	uint32_t backoff_s; /* dead: the interval before probe_at */
	unsigned nprobe;    /* probes since it died */
	int probing;	    /* a Status-Server in flight */
	uint8_t probe_id;
	uint8_t probe_auth[RAD_AUTH_LEN];
	uint64_t probe_due;
};

struct radclient_req {
	struct radclient *rc;
	struct radclient_req *prev, *next; /* queue or flight list */
	int in_flight;
	uint64_t seq; /* order of radclient_send */
	uint8_t code;
	char *password;
	radclient_build_fn build;
	radclient_done_fn done;
	void *arg;
	struct rc_srv *srv; /* in flight: where */
	uint8_t id;
	unsigned tries;	    /* transmissions to srv */
	uint64_t due;	    /* in flight: retransmit or give srv up */
	uint64_t give_up;   /* Access-Request: done(TIMEOUT), or none */
	struct rad_buf pkt; /* as sent to srv */
};

struct rc_list {
	struct radclient_req *head, *tail;
	unsigned n;
};

struct radclient {
	sd_event *ev;
	int acct;
	struct radius_conf conf; /* the servers of conf: acct or auth */
	struct rc_srv srv[RADIUS_MAX_SERVERS];
	unsigned nsrv;
	struct rc_list queue, flight;
	sd_event_source *timer, *kick;
	uint64_t (*now_fn)(void *);
	void *now_arg;
	uint64_t seq;
	uint32_t rnd;
	struct {
		uint64_t sent, retransmitted, acked, accepted, rejected,
			challenged, timeouts, gave_up, failovers, bad_replies,
			dead, probes, alive;
	} n;
};

/* ---------- helpers ---------- */

static uint64_t mono_us(struct radclient *rc)
{
	uint64_t t;
	struct timespec ts;

	if (sd_event_now(rc->ev, CLOCK_MONOTONIC, &t) >= 0)
		return t;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_S +
	       (uint64_t)ts.tv_nsec / USEC_PER_MS;
}

static void list_push(struct rc_list *l, struct radclient_req *r)
{
	r->prev = l->tail;
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

/* Into the queue by seq: a request back from a dead server goes before
 * the ones sent after it. */
static void list_insert_ordered(struct rc_list *l, struct radclient_req *r)
{
	struct radclient_req *at = l->head;

	while (at && at->seq < r->seq)
		at = at->next;
	if (!at) {
		list_push(l, r);
		return;
	}
	r->next = at;
	r->prev = at->prev;
	if (at->prev)
		at->prev->next = r;
	else
		l->head = r;
	at->prev = r;
	l->n++;
}

static void list_del(struct rc_list *l, struct radclient_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

static uint64_t wall_now(void *arg)
{
	return (uint64_t)time(NULL);
}

/* xorshift32, seeded from getrandom: the probe jitter only. */
static uint32_t rc_rand(struct radclient *rc)
{
	uint32_t x = rc->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rc->rnd = x ? x : 0x9e3779b9u;
	return rc->rnd;
}

/* s seconds * (0.75 .. 1.25), in microseconds. */
static uint64_t jitter_us(struct radclient *rc, uint32_t s)
{
	uint64_t base = (uint64_t)s * USEC_PER_S;

	return base * 3 / 4 + (base / 2) * (rc_rand(rc) % 1001) / 1000;
}

int radclient_parse_addr(const char *s, struct sockaddr_storage *sa,
			 socklen_t *len, const char **why)
{
	char host[64];
	const char *colon, *p;
	unsigned long port;
	char *end;
	size_t hl;

	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		p = strchr(s, ']');
		if (!p || p[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		hl = (size_t)(p - s - 1);
		if (hl >= sizeof(host)) {
			*why = "address too long";
			return -1;
		}
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = p + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			*why = "expected IPV4:PORT or [IPV6]:PORT";
			return -1;
		}
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host)) {
			*why = "address too long";
			return -1;
		}
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || !port ||
	    port > 65535) {
		*why = "port not in 1..65535";
		return -1;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
			*why = "not a numeric IPv6 address";
			return -1;
		}
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)sa;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
			*why = "not a numeric IPv4 address";
			return -1;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

static void rc_arm(struct radclient *rc);
static void rc_pump(struct radclient *rc);
static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg);

/* ---------- servers ---------- */

static void srv_close(struct rc_srv *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	explicit_bzero(s->secret, sizeof(s->secret));
}

static int srv_open(struct radclient *rc, struct rc_srv *s,
		    const struct rad_server *c)
{
	struct sockaddr_storage sa;
	const char *why;
	socklen_t len;

	memset(s, 0, sizeof(*s));
	s->rc = rc;
	s->fd = -1;
	_Static_assert(sizeof(s->addr) == sizeof(c->addr), "addr");
	memcpy(s->addr, c->addr, sizeof(s->addr));
	s->addr[sizeof(s->addr) - 1] = '\0';
	s->seclen = c->seclen < sizeof(s->secret) ? c->seclen :
						    sizeof(s->secret);
	memcpy(s->secret, c->secret, s->seclen);
	if (getrandom(&s->next_id, 1, GRND_NONBLOCK) != 1)
		s->next_id = 0;
	if (radclient_parse_addr(c->addr, &sa, &len, &why) < 0) {
		log_warnx("radius server %s: %s", c->addr, why);
		return -1;
	}
	s->fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, len) < 0 ||
	    sd_event_add_io(rc->ev, &s->io, s->fd, EPOLLIN, on_io, s) < 0) {
		log_warn("radius server %s: socket", c->addr);
		return -1;
	}
	return 0;
}

static struct rc_srv *rc_current(struct radclient *rc)
{
	for (unsigned i = 0; i < rc->nsrv; i++)
		if (!rc->srv[i].dead)
			return &rc->srv[i];
	return NULL;
}

/* A free Identifier on s, rotating (a late reply to a freed one then
 * rarely meets a new request): 0, -1 none. */
static int srv_take_id(struct rc_srv *s, uint8_t *id)
{
	for (unsigned i = 0; i < 256; i++) {
		uint8_t c = (uint8_t)(s->next_id + i);

		if (!s->slot[c] && !(s->probing && s->probe_id == c)) {
			*id = c;
			s->next_id = (uint8_t)(c + 1);
			return 0;
		}
	}
	return -1;
}

/* ---------- requests ---------- */

static void req_free(struct radclient_req *r)
{
	if (r->password) {
		explicit_bzero(r->password, strlen(r->password));
		free(r->password);
	}
	explicit_bzero(&r->pkt, sizeof(r->pkt));
	free(r);
}

/* Off every list and out of its slot (not freed). */
static void req_unlink(struct radclient_req *r)
{
	struct radclient *rc = r->rc;

	if (r->in_flight) {
		r->srv->slot[r->id] = NULL;
		r->srv->inflight--;
		list_del(&rc->flight, r);
		r->in_flight = 0;
		r->srv = NULL;
	} else {
		list_del(&rc->queue, r);
	}
}

/* The end of r: unlinked, freed, then done (which may send more). */
static void req_complete(struct radclient_req *r, int result,
			 const struct rad_pkt *reply)
{
	radclient_done_fn done = r->done;
	void *arg = r->arg;

	req_unlink(r);
	req_free(r);
	done(arg, result, reply);
}

static void req_transmit(struct radclient *rc, struct radclient_req *r,
			 uint64_t now)
{
	uint64_t t = (uint64_t)rc->conf.timeout_ms * USEC_PER_MS;

	if (send(r->srv->fd, r->pkt.b, r->pkt.len, 0) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS && errno != ECONNREFUSED)
		log_debug("radius %s: send: %s", r->srv->addr, strerror(errno));
	/* timeout, then doubling: T, 2T, 4T ... */
	r->due = now + (t << (r->tries < 16 ? r->tries : 16));
	r->tries++;
}

/* Build r for s (a new Identifier, the callback's attributes as of now,
 * signed with s's secret) and send it.  0, -1 the callback gave up. */
static int req_start(struct radclient *rc, struct radclient_req *r,
		     struct rc_srv *s, uint64_t now)
{
	uint8_t id;
	int k;

	if (srv_take_id(s, &id) < 0)
		return 1; /* cannot happen: window <= 255 */
	rad_init(&r->pkt, r->code, id);
	if (r->build(r->arg, &r->pkt, rc->now_fn(rc->now_arg)) < 0)
		return -1;
	if (r->code == RAD_ACCESS_REQUEST)
		k = rad_finish_access_request(&r->pkt, s->secret, s->seclen,
					      r->password);
	else
		k = rad_finish_request(&r->pkt, s->secret, s->seclen, 1);
	if (k < 0) {
		log_warnx("radius: a request does not fit in a packet");
		return -1;
	}
	list_del(&rc->queue, r);
	list_push(&rc->flight, r);
	r->in_flight = 1;
	r->srv = s;
	r->id = id;
	r->tries = 0;
	s->slot[id] = r;
	s->inflight++;
	rc->n.sent++;
	req_transmit(rc, r, now);
	return 0;
}

/* Send queued requests to the first alive server, up to the window. */
static void rc_pump(struct radclient *rc)
{
	uint64_t now = mono_us(rc);
	struct rc_srv *s;
	int k;

	while (rc->queue.head) {
		s = rc_current(rc);
		if (!s || s->inflight >= rc->conf.window)
			break;
		k = req_start(rc, rc->queue.head, s, now);
		if (k > 0)
			break;
		if (k < 0)
			req_complete(rc->queue.head, RADCLIENT_TIMEOUT, NULL);
	}
	rc_arm(rc);
}

/* ---------- dead servers and probes ---------- */

static void srv_probe_failed(struct radclient *rc, struct rc_srv *s,
			     uint64_t now);

/* s did not answer a request (a probe with a request, when already
 * dead): its requests go back to the queue. */
static void srv_dead(struct radclient *rc, struct rc_srv *s, uint64_t now)
{
	struct radclient_req *r, *nx;

	if (s->dead) {
		srv_probe_failed(rc, s, now);
	} else {
		s->dead = 1;
		s->probing = 0;
		s->nprobe = 0;
		s->backoff_s = rc->conf.dead_s ? rc->conf.dead_s : 1;
		s->probe_at = now + jitter_us(rc, s->backoff_s);
		rc->n.dead++;
		log_warnx("radius %s server %s: no answer, marked dead",
			  rc->acct ? "accounting" : "authentication", s->addr);
	}
	for (r = rc->flight.head; r; r = nx) {
		nx = r->next;
		if (r->srv != s)
			continue;
		req_unlink(r);
		list_insert_ordered(&rc->queue, r);
		rc->n.failovers++;
	}
}

/*
 * Probe a dead server: Status-Server (RFC 5997); every second probe, when
 * no server is alive and requests wait, the oldest request instead (a
 * server without Status-Server comes back too).  Until the next probe
 * time, at the current interval.
 */
static void srv_probe(struct radclient *rc, struct rc_srv *s, uint64_t now)
{
	struct rad_buf p;

	s->probe_at = now + jitter_us(rc, s->backoff_s);
	if (++s->nprobe % 2 == 0 && !rc_current(rc) && rc->queue.head) {
		rc->n.probes++;
		if (req_start(rc, rc->queue.head, s, now) < 0)
			req_complete(rc->queue.head, RADCLIENT_TIMEOUT, NULL);
		return;
	}
	if (srv_take_id(s, &s->probe_id) < 0)
		return;
	rad_init(&p, RAD_STATUS_SERVER, s->probe_id);
	if (rc->conf.nas_identifier[0])
		rad_put_str(&p, RAD_NAS_IDENTIFIER, rc->conf.nas_identifier);
	if (rad_finish_access_request(&p, s->secret, s->seclen, NULL) < 0)
		return;
	memcpy(s->probe_auth, p.b + 4, RAD_AUTH_LEN);
	s->probing = 1;
	s->probe_due = now + (uint64_t)rc->conf.timeout_ms * USEC_PER_MS;
	rc->n.probes++;
	(void)send(s->fd, p.b, p.len, 0);
}

static void srv_probe_failed(struct radclient *rc, struct rc_srv *s,
			     uint64_t now)
{
	s->probing = 0;
	s->backoff_s = s->backoff_s * 2 > RC_DEAD_MAX_S ? RC_DEAD_MAX_S :
							  s->backoff_s * 2;
	s->probe_at = now + jitter_us(rc, s->backoff_s);
}

static void srv_alive(struct radclient *rc, struct rc_srv *s)
{
	s->dead = 0;
	s->probing = 0;
	rc->n.alive++;
	log_info("radius %s server %s: answers again",
		 rc->acct ? "accounting" : "authentication", s->addr);
}

/* ---------- timer ---------- */

static void rc_arm(struct radclient *rc)
{
	uint64_t due = RC_NO_DEADLINE;
	struct radclient_req *r;

	for (r = rc->flight.head; r; r = r->next) {
		if (r->due < due)
			due = r->due;
		if (r->give_up && r->give_up < due)
			due = r->give_up;
	}
	for (r = rc->queue.head; r && !rc->acct; r = r->next)
		if (r->give_up && r->give_up < due)
			due = r->give_up;
	for (unsigned i = 0; i < rc->nsrv; i++) {
		struct rc_srv *s = &rc->srv[i];

		if (s->dead && s->probing && s->probe_due < due)
			due = s->probe_due;
		if (s->dead && !s->probing && !s->inflight && s->probe_at < due)
			due = s->probe_at;
	}
	if (due == RC_NO_DEADLINE) {
		sd_event_source_set_enabled(rc->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(rc->timer, due);
	sd_event_source_set_enabled(rc->timer, SD_EVENT_ONESHOT);
}

/* One expired deadline handled (1), or none left (0). */
static int rc_expire_one(struct radclient *rc, uint64_t now)
{
	struct radclient_req *r;

	for (r = rc->flight.head; r; r = r->next)
		if (r->give_up && r->give_up <= now)
			goto give_up;
	for (r = rc->queue.head; r && !rc->acct; r = r->next)
		if (r->give_up && r->give_up <= now)
			goto give_up;
	for (r = rc->flight.head; r; r = r->next) {
		if (r->due > now)
			continue;
		if (r->tries <= rc->conf.retries) {
			rc->n.retransmitted++;
			req_transmit(rc, r, now);
		} else {
			rc->n.timeouts++;
			srv_dead(rc, r->srv, now);
		}
		return 1;
	}
	for (unsigned i = 0; i < rc->nsrv; i++) {
		struct rc_srv *s = &rc->srv[i];

		if (!s->dead)
			continue;
		if (s->probing && s->probe_due <= now) {
			srv_probe_failed(rc, s, now);
			return 1;
		}
		if (!s->probing && !s->inflight && s->probe_at <= now) {
			srv_probe(rc, s, now);
			return 1;
		}
	}
	return 0;
give_up:
	rc->n.gave_up++;
	req_complete(r, RADCLIENT_TIMEOUT, NULL);
	return 1;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *arg)
{
	struct radclient *rc = arg;
	uint64_t now = mono_us(rc);

	while (rc_expire_one(rc, now))
		;
	rc_pump(rc);
	return 0;
}

static int on_kick(sd_event_source *src, void *arg)
{
	rc_pump(arg);
	return 0;
}

/* ---------- replies ---------- */

static int reply_code_ok(uint8_t req, uint8_t rep)
{
	if (req == RAD_ACCT_REQUEST)
		return rep == RAD_ACCT_RESPONSE;
	return rep == RAD_ACCESS_ACCEPT || rep == RAD_ACCESS_REJECT ||
	       rep == RAD_ACCESS_CHALLENGE;
}

static void on_reply(struct radclient *rc, struct rc_srv *s, const uint8_t *b,
		     size_t n)
{
	int need_ma = !rc->acct && rc->conf.require_ma;
	struct radclient_req *r;
	struct rad_pkt p;

	if (rad_parse(b, n, &p) < 0)
		goto bad;
	if (s->probing && p.id == s->probe_id) {
		/* Status-Server: Access-Accept (auth port) or
		 * Accounting-Response (acct port), RFC 5997 §3 */
		if (rad_verify_reply(&p, s->probe_auth, s->secret, s->seclen,
				     need_ma) < 0 ||
		    !reply_code_ok(rc->acct ? RAD_ACCT_REQUEST :
					      RAD_ACCESS_REQUEST,
				   p.code))
			goto bad;
		srv_alive(rc, s);
		return;
	}
	r = s->slot[p.id];
	if (!r || !reply_code_ok(r->code, p.code) ||
	    rad_verify_reply(&p, r->pkt.b + 4, s->secret, s->seclen, need_ma) <
		    0)
		goto bad;
	if (p.code == RAD_ACCT_RESPONSE)
		rc->n.acked++;
	else if (p.code == RAD_ACCESS_ACCEPT)
		rc->n.accepted++;
	else if (p.code == RAD_ACCESS_REJECT)
		rc->n.rejected++;
	else
		rc->n.challenged++;
	if (s->dead) /* a probe with a request */
		srv_alive(rc, s);
	req_complete(r, RADCLIENT_REPLY, &p);
	return;
bad:
	rc->n.bad_replies++;
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct rc_srv *s = arg;
	struct radclient *rc = s->rc;
	uint8_t buf[RAD_MAX_LEN + 1];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue; /* ICMP unreachable: a loss */
			break;
		}
		on_reply(rc, s, buf, (size_t)n);
		if (s->fd != fd) /* a done callback reconfigured */
			break;
	}
	rc_pump(rc);
	return 0;
}

/* ---------- API ---------- */

static int rc_servers(struct radclient *rc, const struct radius_conf *conf)
{
	const struct rad_server *list = rc->acct ? conf->acct : conf->auth;
	unsigned n = rc->acct ? conf->nacct : conf->nauth;

	rc->nsrv = 0;
	for (unsigned i = 0; i < n && i < RADIUS_MAX_SERVERS; i++) {
		if (srv_open(rc, &rc->srv[i], &list[i]) < 0) {
			srv_close(&rc->srv[i]);
			for (unsigned j = 0; j < i; j++)
				srv_close(&rc->srv[j]);
			return -1;
		}
		rc->nsrv = i + 1;
	}
	rc->conf = *conf;
	if (rc->conf.window < 1)
		rc->conf.window = 1;
	if (rc->conf.window > 255) /* a free Identifier for a probe */
		rc->conf.window = 255;
	return 0;
}

int radclient_new(struct radclient **out, sd_event *ev,
		  const struct radius_conf *conf, int acct,
		  uint64_t (*now_fn)(void *), void *now_arg)
{
	struct radclient *rc = calloc(1, sizeof(*rc));

	*out = NULL;
	if (!rc)
		return -1;
	rc->ev = sd_event_ref(ev);
	rc->acct = acct ? 1 : 0;
	rc->now_fn = now_fn ? now_fn : wall_now;
	rc->now_arg = now_arg;
	if (getrandom(&rc->rnd, sizeof(rc->rnd), GRND_NONBLOCK) !=
		    sizeof(rc->rnd) ||
	    !rc->rnd)
		rc->rnd = (uint32_t)time(NULL) | 1;
	if (sd_event_add_time(ev, &rc->timer, CLOCK_MONOTONIC, RC_NO_DEADLINE,
			      USEC_PER_MS, on_timer, rc) < 0 ||
	    sd_event_source_set_enabled(rc->timer, SD_EVENT_OFF) < 0 ||
	    sd_event_add_defer(ev, &rc->kick, on_kick, rc) < 0 ||
	    sd_event_source_set_enabled(rc->kick, SD_EVENT_OFF) < 0 ||
	    rc_servers(rc, conf) < 0) {
		radclient_free(rc);
		return -1;
	}
	*out = rc;
	return 0;
}

int radclient_reconf(struct radclient *rc, const struct radius_conf *conf)
{
	struct rc_srv old[RADIUS_MAX_SERVERS];
	unsigned nold = rc->nsrv;
	struct radclient_req *r;

	memcpy(old, rc->srv, sizeof(old));
	memset(rc->srv, 0, sizeof(rc->srv));
	if (rc_servers(rc, conf) < 0) {
		memcpy(rc->srv, old, sizeof(old));
		rc->nsrv = nold;
		return -1;
	}
	/* everything in flight restarts on the new first server */
	while ((r = rc->flight.head)) {
		list_del(&rc->flight, r);
		r->in_flight = 0;
		r->srv = NULL;
		list_insert_ordered(&rc->queue, r);
	}
	for (unsigned i = 0; i < nold; i++)
		srv_close(&old[i]);
	sd_event_source_set_enabled(rc->kick, SD_EVENT_ONESHOT);
	rc_arm(rc);
	return 0;
}

void radclient_free(struct radclient *rc)
{
	struct radclient_req *r;

	if (!rc)
		return;
	while ((r = rc->flight.head)) {
		req_unlink(r);
		req_free(r);
	}
	while ((r = rc->queue.head)) {
		req_unlink(r);
		req_free(r);
	}
	for (unsigned i = 0; i < rc->nsrv; i++)
		srv_close(&rc->srv[i]);
	rc->timer = sd_event_source_disable_unref(rc->timer);
	rc->kick = sd_event_source_disable_unref(rc->kick);
	sd_event_unref(rc->ev);
	explicit_bzero(&rc->conf, sizeof(rc->conf));
	free(rc);
}

struct radclient_req *radclient_send(struct radclient *rc, uint8_t code,
				     const char *password,
				     radclient_build_fn build,
				     radclient_done_fn done, void *arg)
{
	struct radclient_req *r;

	if (!rc || !rc->nsrv) {
		errno = ENOENT;
		return NULL;
	}
	if (code != RAD_ACCESS_REQUEST && code != RAD_ACCT_REQUEST) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (password && code == RAD_ACCESS_REQUEST) {
		r->password = strdup(password);
		if (!r->password) {
			free(r);
			return NULL;
		}
	}
	r->rc = rc;
	r->seq = ++rc->seq;
	r->code = code;
	r->build = build;
	r->done = done;
	r->arg = arg;
	if (code == RAD_ACCESS_REQUEST && !rc->acct)
		r->give_up = mono_us(rc) +
			     (uint64_t)rc->conf.auth_timeout_s * USEC_PER_S;
	list_push(&rc->queue, r);
	sd_event_source_set_enabled(rc->kick, SD_EVENT_ONESHOT);
	return r;
}

void radclient_cancel(struct radclient_req *r)
{
	struct radclient *rc;

	if (!r)
		return;
	rc = r->rc;
	req_unlink(r);
	req_free(r);
	sd_event_source_set_enabled(rc->kick, SD_EVENT_ONESHOT);
}

int radclient_ready(const struct radclient *rc)
{
	for (unsigned i = 0; rc && i < rc->nsrv; i++)
		if (!rc->srv[i].dead)
			return rc->srv[i].inflight + rc->queue.n <
			       rc->conf.window;
	return 0;
}

unsigned radclient_pending(const struct radclient *rc)
{
	return rc ? rc->queue.n + rc->flight.n : 0;
}

void radclient_counters(const struct radclient *rc, const char *prefix,
			rad_counter_fn fn, void *arg)
{
	char name[64];
	unsigned up = 0;

#define C(label, v)                                                  \
	do {                                                         \
		snprintf(name, sizeof(name), "%s%s", prefix, label); \
		fn(arg, name, (v));                                  \
	} while (0)
	if (!rc)
		return;
	for (unsigned i = 0; i < rc->nsrv; i++)
		up += !rc->srv[i].dead;
	C("servers", rc->nsrv);
	C("servers_up", up);
	C("pending", rc->queue.n + rc->flight.n);
	C("sent", rc->n.sent);
	C("retransmitted", rc->n.retransmitted);
	if (rc->acct) {
		C("acked", rc->n.acked);
	} else {
		C("accepted", rc->n.accepted);
		C("rejected", rc->n.rejected);
		C("challenged", rc->n.challenged);
	}
	C("timeouts", rc->n.timeouts);
	C("gave_up", rc->n.gave_up);
	C("failovers", rc->n.failovers);
	C("bad_replies", rc->n.bad_replies);
	C("dead", rc->n.dead);
	C("probes", rc->n.probes);
	C("alive", rc->n.alive);
#undef C
}
