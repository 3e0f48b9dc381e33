// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's EAP roaming relay (daemon/muispd/radrelay.c) on loopback
 * sockets and a real sd-event loop: "charon" (client sockets) sends
 * Access-Requests to the relay, fake servers answer with lib/radius.
 * Datagrams must pass byte for byte; replies go back by (Identifier,
 * Request Authenticator); the tap keeps verified Accepts; everything
 * hostile is dropped and counted.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/muispd/radrelay.h"

#define SECRET "s3cret-relay"

struct env {
	sd_event *ev;
	struct radrelay *rr;
	struct radius_conf conf;
	int srv[2];	/* fake servers */
	int cli, cli2;	/* "charon" */
	char relay[32]; /* the relay's ADDR:PORT */
	struct sockaddr_in relay_sa;
	uint64_t now_ms;
};

static uint64_t fake_now(void *arg)
{
	return ((struct env *)arg)->now_ms;
}

static int udp(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (void *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (void *)&a, &l), 0);
	if (port)
		*port = ntohs(a.sin_port);
	return fd;
}

static void server_conf(struct rad_server *s, uint16_t port, const char *secret)
{
	snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%u", port);
	s->seclen = strlen(secret);
	memcpy(s->secret, secret, s->seclen);
}

/* nsrv fake servers; the second with secret2 (NULL: SECRET). */
static struct env *env_new(unsigned nsrv, const char *secret2)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[200] = "";
	uint16_t port;
	int tmp;

	assert_non_null(e);
	assert_true(sd_event_new(&e->ev) >= 0);
	for (unsigned i = 0; i < 2; i++) {
		e->srv[i] = udp(&port);
		if (i < nsrv)
			server_conf(&e->conf.auth[i], port,
				    i && secret2 ? secret2 : SECRET);
	}
	e->conf.nauth = nsrv;
	e->cli = udp(NULL);
	e->cli2 = udp(NULL);
	tmp = udp(&port); /* a free port for the relay */
	close(tmp);
	snprintf(e->relay, sizeof(e->relay), "127.0.0.1:%u", port);
	e->relay_sa.sin_family = AF_INET;
	e->relay_sa.sin_port = htons(port);
	e->relay_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(radrelay_new(&e->rr, e->ev, e->relay, &e->conf, err,
				      sizeof(err)),
			 0);
	e->now_ms = 1000000;
	radrelay_set_clock(e->rr, fake_now, e);
	return e;
}

static void env_free(struct env *e)
{
	radrelay_free(e->rr);
	close(e->srv[0]);
	close(e->srv[1]);
	close(e->cli);
	close(e->cli2);
	sd_event_unref(e->ev);
	free(e);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Run the loop until fd has a datagram: 1, or 0 after ~0.5 s without
 * one (for "nothing arrives" the relay has by then handled every
 * datagram sent before: the loop runs until it is idle). */
static int pump_until(struct env *e, int fd)
{
	for (int i = 0; i < 50; i++) {
		while (sd_event_run(e->ev, 0) > 0)
			;
		if (readable(fd))
			return 1;
		sd_event_run(e->ev, 10000);
	}
	return readable(fd);
}

static uint64_t counter_v;
static const char *counter_want;

static void counter_cb(void *arg, const char *name, uint64_t v)
{
	(void)arg;
	if (!strcmp(name, counter_want))
		counter_v = v;
}

static uint64_t counter(struct env *e, const char *name)
{
	counter_v = ~0ull;
	counter_want = name;
	radrelay_counters(e->rr, "", counter_cb, NULL);
	assert_true(counter_v != ~0ull);
	return counter_v;
}

static const uint8_t eap_resp[] = { 2,	 1,   0,   22,	1,   'u', '@', 'p',
				    'a', 'r', 't', 'n', 'e', 'r', '.', 'e',
				    'x', 'a', 'm', 'p', 'l', 'e' };

static const char *req_user = "u@partner.example";

/* charon's Access-Request: EAP-Identity response, NAS-Port = IKE_SA. */
static void request(struct rad_buf *b, uint8_t id, uint32_t ike,
		    const char *secret)
{
	rad_init(b, RAD_ACCESS_REQUEST, id);
	assert_int_equal(rad_put_str(b, RAD_USER_NAME, req_user), 0);
	assert_int_equal(rad_put_u32(b, RAD_NAS_PORT_TYPE, 5), 0);
	assert_int_equal(rad_put_u32(b, RAD_NAS_PORT, ike), 0);
	assert_int_equal(rad_put_str(b, RAD_NAS_PORT_ID, "muisp-eap-roam"), 0);
	assert_int_equal(rad_put_str(b, RAD_CALLING_STATION_ID, "192.0.2.9"),
			 0);
	assert_int_equal(
		rad_put(b, RAD_EAP_MESSAGE, eap_resp, sizeof(eap_resp)), 0);
	assert_int_equal(rad_finish_access_request(b, (const void *)secret,
						   strlen(secret), NULL),
			 0);
}

static void send_relay(struct env *e, int fd, const void *b, size_t n)
{
	assert_int_equal(sendto(fd, b, n, 0, (void *)&e->relay_sa,
				sizeof(e->relay_sa)),
			 (ssize_t)n);
}

/* A datagram from fd (pumped), its sender into from. */
static size_t recv_one(struct env *e, int fd, uint8_t *buf,
		       struct sockaddr_in *from)
{
	socklen_t l = sizeof(*from);
	ssize_t n;

	assert_true(pump_until(e, fd));
	n = recvfrom(fd, buf, RAD_MAX_LEN, 0, (void *)from, &l);
	assert_true(n > 0);
	return (size_t)n;
}

/* The server's reply of `code` to req (parsed), signed with secret. */
static void reply(struct rad_buf *b, uint8_t code, const struct rad_pkt *req,
		  const char *secret, int accept_attrs)
{
	static const uint8_t eap_ok[] = { 3, 1, 0, 4 };
	uint8_t auth[RAD_AUTH_LEN];

	memcpy(auth, req->auth, RAD_AUTH_LEN);
	rad_init(b, code, req->id);
	if (accept_attrs) {
		assert_int_equal(rad_put_str(b, RAD_CLASS, "partner-bill-0001"),
				 0);
		assert_int_equal(rad_put_str(b, RAD_CLASS, "second"), 0);
		assert_int_equal(rad_put_u32(b, RAD_SESSION_TIMEOUT, 3600), 0);
		assert_int_equal(rad_put_u32(b, RAD_IDLE_TIMEOUT, 300), 0);
		assert_int_equal(rad_put_u32(b, RAD_ACCT_INTERIM_INTERVAL, 60),
				 0);
		assert_int_equal(rad_put_vsa_u32(b, RAD_VENDOR_CHILLISPOT,
						 RAD_CHILLI_MAX_TOTAL_OCTETS,
						 50000000),
				 0);
	}
	assert_int_equal(rad_put(b, RAD_EAP_MESSAGE, eap_ok, sizeof(eap_ok)),
			 0);
	assert_int_equal(rad_finish_reply(b, auth, (const void *)secret,
					  strlen(secret), 1),
			 0);
}

/* Request through, Accept back: both byte for byte; the tap keeps it. */
static void test_forward_unchanged(void **state)
{
	struct env *e = env_new(1, NULL);
	uint8_t got[RAD_MAX_LEN];
	struct sockaddr_in from;
	struct radrelay_accept a;
	struct rad_buf rq, rp;
	struct rad_pkt p;
	size_t n;

	(void)state;
	request(&rq, 42, 7, SECRET);
	send_relay(e, e->cli, rq.b, rq.len);
	n = recv_one(e, e->srv[0], got, &from);
	assert_int_equal(n, rq.len);
	assert_memory_equal(got, rq.b, n);
	assert_int_equal(rad_parse(got, n, &p), 0);

	reply(&rp, RAD_ACCESS_ACCEPT, &p, SECRET, 1);
	assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from,
			   sizeof(from)) > 0);
	n = recv_one(e, e->cli, got, &from);
	assert_int_equal(n, rp.len);
	assert_memory_equal(got, rp.b, n);
	assert_int_equal(from.sin_port, e->relay_sa.sin_port);
	assert_int_equal(counter(e, "requests"), 1);
	assert_int_equal(counter(e, "replies"), 1);
	assert_int_equal(counter(e, "accepts"), 1);

	/* the tap: by NAS-Port (the IKE_SA), once */
	assert_int_equal(radrelay_take(e->rr, 8, "u@partner.example", &a), -1);
	assert_int_equal(radrelay_take(e->rr, 7, "", &a), 0);
	assert_string_equal(a.auth.user_name, "u@partner.example");
	assert_string_equal(a.auth.realm, "partner.example");
	assert_int_equal(a.auth.session_timeout, 3600);
	assert_int_equal(a.auth.idle_timeout, 300);
	assert_int_equal(a.auth.interim, 60);
	assert_int_equal(a.auth.quota, 50000000);
	assert_int_equal(a.auth.class_len, 2 + 17 + 2 + 6);
	assert_memory_equal(a.auth.class_tlv, "\x19\x13partner-bill-0001", 19);
	assert_memory_equal(a.auth.class_tlv + 19, "\x19\x08second", 8);
	assert_string_equal(a.conn, "muisp-eap-roam");
	assert_string_equal(a.calling, "192.0.2.9");
	assert_true(a.have_port);
	assert_int_equal(radrelay_take(e->rr, 7, "", &a), -1);
	assert_int_equal(counter(e, "tap_taken"), 1);

	/* an identity without a realm: forwarded, not kept */
	req_user = "local-user";
	request(&rq, 43, 8, SECRET);
	req_user = "u@partner.example";
	send_relay(e, e->cli, rq.b, rq.len);
	n = recv_one(e, e->srv[0], got, &from);
	assert_int_equal(rad_parse(got, n, &p), 0);
	reply(&rp, RAD_ACCESS_ACCEPT, &p, SECRET, 1);
	assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from,
			   sizeof(from)) > 0);
	n = recv_one(e, e->cli, got, &from);
	assert_memory_equal(got, rp.b, rp.len);
	assert_int_equal(counter(e, "tap_bad"), 1);
	assert_int_equal(radrelay_take(e->rr, 8, "local-user", &a), -1);
	env_free(e);
}

/* Reject and Challenge pass, the tap keeps nothing; an Accept kept
 * longer than RADRELAY_KEEP_S is gone. */
static void test_reject_challenge_expiry(void **state)
{
	static const uint8_t codes[] = { RAD_ACCESS_CHALLENGE,
					 RAD_ACCESS_REJECT, RAD_ACCESS_ACCEPT };
	struct env *e = env_new(1, NULL);
	uint8_t got[RAD_MAX_LEN];
	struct radrelay_accept a;
	struct sockaddr_in from;
	struct rad_buf rq, rp;
	struct rad_pkt p;
	size_t n;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		request(&rq, (uint8_t)(10 + i), 9, SECRET);
		send_relay(e, e->cli, rq.b, rq.len);
		n = recv_one(e, e->srv[0], got, &from);
		assert_int_equal(rad_parse(got, n, &p), 0);
		reply(&rp, codes[i], &p, SECRET, 0);
		assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from,
				   sizeof(from)) > 0);
		n = recv_one(e, e->cli, got, &from);
		assert_memory_equal(got, rp.b, rp.len);
		if (i < 2)
			assert_int_equal(radrelay_take(e->rr, 9, "", &a), -1);
	}
	assert_int_equal(counter(e, "replies"), 3);
	assert_int_equal(counter(e, "accepts"), 1);
	e->now_ms += RADRELAY_KEEP_S * 1000ull;
	assert_int_equal(radrelay_take(e->rr, 9, "", &a), -1);
	assert_int_equal(counter(e, "tap_expired"), 1);
	env_free(e);
}

/* Two requests with one Identifier (two charon sockets): each reply
 * goes to the request whose authenticator it verifies against, in
 * whatever order the server answers. */
static void test_mapping_by_authenticator(void **state)
{
	struct env *e = env_new(1, NULL);
	uint8_t got[RAD_MAX_LEN], g1[RAD_MAX_LEN], g2[RAD_MAX_LEN];
	struct sockaddr_in from, srvfrom;
	struct rad_buf rq1, rq2, rp;
	struct rad_pkt p1, p2, p;
	size_t n1, n2, n;

	(void)state;
	request(&rq1, 5, 1, SECRET);
	request(&rq2, 5, 2, SECRET);
	assert_memory_not_equal(rq1.b + 4, rq2.b + 4, RAD_AUTH_LEN);
	send_relay(e, e->cli, rq1.b, rq1.len);
	n1 = recv_one(e, e->srv[0], g1, &srvfrom);
	send_relay(e, e->cli2, rq2.b, rq2.len);
	n2 = recv_one(e, e->srv[0], g2, &srvfrom);
	assert_int_equal(rad_parse(g1, n1, &p1), 0);
	assert_int_equal(rad_parse(g2, n2, &p2), 0);

	/* the second first */
	reply(&rp, RAD_ACCESS_REJECT, &p2, SECRET, 0);
	assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&srvfrom,
			   sizeof(srvfrom)) > 0);
	n = recv_one(e, e->cli2, got, &from);
	assert_int_equal(rad_parse(got, n, &p), 0);
	assert_int_equal(rad_verify_reply(&p, rq2.b + 4, (const void *)SECRET,
					  strlen(SECRET), 1),
			 0);
	assert_false(readable(e->cli));
	reply(&rp, RAD_ACCESS_CHALLENGE, &p1, SECRET, 0);
	assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&srvfrom,
			   sizeof(srvfrom)) > 0);
	n = recv_one(e, e->cli, got, &from);
	assert_int_equal(rad_parse(got, n, &p), 0);
	assert_int_equal(p.code, RAD_ACCESS_CHALLENGE);
	assert_int_equal(rad_verify_reply(&p, rq1.b + 4, (const void *)SECRET,
					  strlen(SECRET), 1),
			 0);
	/* a duplicate of an answered reply matches nothing any more */
	assert_true(sendto(e->srv[0], rp.b, rp.len, 0, (void *)&srvfrom,
			   sizeof(srvfrom)) > 0);
	assert_false(pump_until(e, e->cli));
	assert_int_equal(counter(e, "dropped_nomatch"), 1);
	env_free(e);
}

/* charon's retransmissions (same bytes) are forwarded again, every
 * second one to the next server; a server with another secret than the
 * first is not used. */
static void test_retransmit_failover(void **state)
{
	struct env *e = env_new(2, NULL);
	uint8_t got[RAD_MAX_LEN];
	struct sockaddr_in from;
	struct rad_buf rq;
	size_t n;

	(void)state;
	request(&rq, 77, 3, SECRET);
	for (unsigned i = 0; i < 3; i++)
		send_relay(e, e->cli, rq.b, rq.len);
	for (unsigned i = 0; i < 2; i++) {
		n = recv_one(e, e->srv[0], got, &from);
		assert_memory_equal(got, rq.b, n);
	}
	n = recv_one(e, e->srv[1], got, &from);
	assert_int_equal(n, rq.len);
	assert_memory_equal(got, rq.b, n);
	assert_int_equal(counter(e, "requests"), 1);
	assert_int_equal(counter(e, "retransmits"), 2);
	env_free(e);

	e = env_new(2, "another-secret");
	for (unsigned i = 0; i < 3; i++)
		send_relay(e, e->cli, rq.b, rq.len);
	for (unsigned i = 0; i < 3; i++)
		recv_one(e, e->srv[0], got, &from);
	assert_false(pump_until(e, e->srv[1]));
	env_free(e);
}

/* Hostile datagrams: nothing forwarded, each counted. */
static void test_hostile(void **state)
{
	static const uint8_t junk[] = { 1, 2, 0, 200, 9 };
	struct env *e = env_new(1, NULL);
	uint8_t got[RAD_MAX_LEN];
	struct sockaddr_in from;
	struct rad_buf rq, rp;
	struct rad_pkt p;
	int other;
	size_t n;

	(void)state;
	/* requests: malformed, wrong secret, no Message-Authenticator, an
	 * Accounting-Request */
	send_relay(e, e->cli, junk, sizeof(junk));
	request(&rq, 1, 1, "wrong-secret");
	send_relay(e, e->cli, rq.b, rq.len);
	rad_init(&rq, RAD_ACCESS_REQUEST, 2);
	assert_int_equal(rad_put_str(&rq, RAD_USER_NAME, "u@partner.example"),
			 0);
	memset(rq.b + 4, 0x5a, RAD_AUTH_LEN);
	rq.b[2] = 0;
	rq.b[3] = (uint8_t)rq.len;
	send_relay(e, e->cli, rq.b, rq.len);
	rad_init(&rq, RAD_ACCT_REQUEST, 3);
	assert_int_equal(rad_put_u32(&rq, RAD_ACCT_STATUS_TYPE, 1), 0);
	assert_int_equal(rad_finish_request(&rq, (const void *)SECRET,
					    strlen(SECRET), 1),
			 0);
	send_relay(e, e->cli, rq.b, rq.len);
	assert_false(pump_until(e, e->srv[0]));
	assert_int_equal(counter(e, "dropped_malformed"), 1);
	assert_int_equal(counter(e, "dropped_authenticator"), 2);
	assert_int_equal(counter(e, "dropped_code"), 1);
	assert_int_equal(counter(e, "requests"), 0);

	/* replies: signed with another secret, without the
	 * Message-Authenticator an EAP reply needs, for an unknown id,
	 * junk, from a host that is not the server */
	request(&rq, 4, 4, SECRET);
	send_relay(e, e->cli, rq.b, rq.len);
	n = recv_one(e, e->srv[0], got, &from);
	assert_int_equal(rad_parse(got, n, &p), 0);
	reply(&rp, RAD_ACCESS_ACCEPT, &p, "another-secret", 1);
	sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from, sizeof(from));
	rad_init(&rp, RAD_ACCESS_ACCEPT, p.id);
	assert_int_equal(rad_put(&rp, RAD_EAP_MESSAGE, "\3\1\0\4", 4), 0);
	assert_int_equal(rad_finish_reply(&rp, p.auth, (const void *)SECRET,
					  strlen(SECRET), 0),
			 0);
	sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from, sizeof(from));
	p.id ^= 1;
	reply(&rp, RAD_ACCESS_ACCEPT, &p, SECRET, 1);
	p.id ^= 1;
	sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from, sizeof(from));
	sendto(e->srv[0], junk, sizeof(junk), 0, (void *)&from, sizeof(from));
	other = udp(NULL); /* the connected socket ignores it */
	reply(&rp, RAD_ACCESS_ACCEPT, &p, SECRET, 1);
	sendto(other, rp.b, rp.len, 0, (void *)&from, sizeof(from));
	assert_false(pump_until(e, e->cli));
	assert_int_equal(counter(e, "dropped_nomatch"), 3);
	assert_int_equal(counter(e, "dropped_malformed"), 2);
	/* the request is still pending: the right reply goes through */
	sendto(e->srv[0], rp.b, rp.len, 0, (void *)&from, sizeof(from));
	n = recv_one(e, e->cli, got, &from);
	assert_memory_equal(got, rp.b, rp.len);
	assert_int_equal(counter(e, "accepts"), 1);
	close(other);
	env_free(e);
}

/* More requests than slots: the rest is dropped until one expires. */
static void test_full(void **state)
{
	struct env *e = env_new(1, NULL);
	uint8_t got[RAD_MAX_LEN];
	struct sockaddr_in from;
	struct rad_buf rq;

	(void)state;
	for (unsigned i = 0; i < RADRELAY_PENDING; i++) {
		request(&rq, (uint8_t)i, i, SECRET);
		send_relay(e, e->cli, rq.b, rq.len);
		recv_one(e, e->srv[0], got, &from);
	}
	request(&rq, 0, 999, SECRET); /* id 0 again, a new authenticator */
	send_relay(e, e->cli, rq.b, rq.len);
	assert_false(pump_until(e, e->srv[0]));
	assert_int_equal(counter(e, "requests"), RADRELAY_PENDING);
	assert_int_equal(counter(e, "dropped_full"), 1);
	e->now_ms += RADRELAY_EXPIRE_MS;
	send_relay(e, e->cli, rq.b, rq.len);
	recv_one(e, e->srv[0], got, &from);
	env_free(e);
}

/* Configuration refused: a relay address that is not the loopback, no
 * auth server. */
static void test_config(void **state)
{
	struct radius_conf c;
	struct radrelay *rr = NULL;
	char err[200];
	sd_event *ev;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(sd_event_new(&ev) >= 0);
	assert_int_equal(radrelay_new(&rr, ev, "127.0.0.1:18120", &c, err,
				      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no radius-auth-server"));
	server_conf(&c.auth[0], 1812, SECRET);
	c.nauth = 1;
	assert_int_equal(radrelay_new(&rr, ev, "192.0.2.1:18120", &c, err,
				      sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "loopback"));
	assert_int_equal(
		radrelay_new(&rr, ev, "127.0.0.1", &c, err, sizeof(err)), -1);
	assert_null(strstr(err, SECRET));
	sd_event_unref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_unchanged),
		cmocka_unit_test(test_reject_challenge_expiry),
		cmocka_unit_test(test_mapping_by_authenticator),
		cmocka_unit_test(test_retransmit_failover),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
