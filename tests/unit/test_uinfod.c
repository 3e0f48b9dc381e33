// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-uinfod's key agreement (daemon/uinfod): the exporter's context
 * (lib/proto's mp_uinfo_context, muispd's too) against bytes written out
 * by hand, WELCOME's checks, the back-off, and the session (session.c)
 * against a TLS 1.3 server in a thread that plays muispd's part:
 * certificates made by lib/ca, the key the server exports with a context
 * built here byte by byte equal to the one handed to up(), keep-alives
 * both ways, and each way a session ends (closed, refused, silent, a bad
 * frame, a certificate that does not name the server, another CA,
 * nobody listening) with its reason, the back-off and a reconnection;
 * the router's owner queries (UINFO_OWNER_GET) about the agent's own
 * connection and a UDP socket of its own, answered from the kernel's
 * socket table; out of band, the HELLO says so (SCHEME).  Standalone,
 * the HELLO says SCHEME 2 and the records of a real spool (usage.c) go
 * as UINFO_USAGE after the WELCOME, oldest first, each deleted by its
 * ack; an ack for a record not in flight and an ERROR for one do not end
 * the session; the refused record goes again at the next kick (a
 * collection), the unacked one again after a reconnect; at most 64 are
 * in flight.  Out of band, packet-based, the HELLO says SCHEME 3 and the
 * UINFO_REPORTs sent through the session (uinfod_session_send_report())
 * arrive with every attribute, IPv4 and IPv6; none is sent before the
 * WELCOME; an ERROR for one does not end the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "ca.h"
#include "muisp_nl.h"
#include "daemon/uinfod/uinfod.h"

/* ---- the exporter's context, WELCOME, the back-off ---- */

static void test_context(void **state)
{
	static const uint8_t want[] = { 0x01, 0x02, 0x03, 0x04, '1', '9', '2',
					'.',  '0',  '.',  '2',	'.', '5' };
	uint8_t b[MP_UINFO_CONTEXT_MAX + 8];
	char addr[MP_STR_MAX + 2];

	(void)state;
	assert_int_equal(mp_uinfo_context(0x01020304, "192.0.2.5", b,
					  sizeof(b)),
			 sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	/* network order, no NUL after the text */
	memset(b, 0xee, sizeof(b));
	assert_int_equal(mp_uinfo_context(7, "2001:db8::1", b, sizeof(b)), 15);
	assert_memory_equal(b,
			    "\0\0\0\x07"
			    "2001:db8::1",
			    15);
	assert_int_equal(b[15], 0xee);
	/* exactly the room it needs, and one byte less */
	assert_int_equal(mp_uinfo_context(7, "10.0.0.1", b, 12), 12);
	assert_int_equal(mp_uinfo_context(7, "10.0.0.1", b, 11), 0);
	/* the longest address a WELCOME can carry fits the maximum */
	memset(addr, 'a', MP_STR_MAX);
	addr[MP_STR_MAX] = '\0';
	assert_int_equal(mp_uinfo_context(1, addr, b, MP_UINFO_CONTEXT_MAX),
			 MP_UINFO_CONTEXT_MAX);
	addr[MP_STR_MAX] = 'a';
	addr[MP_STR_MAX + 1] = '\0';
	assert_int_equal(mp_uinfo_context(1, addr, b, sizeof(b)), 0);
}

static void welcome_msg(struct mp_msg *m, uint32_t id, const char *addr,
			uint32_t interval)
{
	mp_init(m, MP_T_UINFO_WELCOME, MP_F_REPLY, 1);
	mp_set_u(m, MP_A_KEY_ID, id);
	mp_set_s(m, MP_A_ADDR, addr);
	mp_set_u(m, MP_A_INTERVAL, interval);
}

static void test_welcome_check(void **state)
{
	static struct mp_msg m;
	struct uinfod_welcome w;
	const char *why = NULL;

	(void)state;
	welcome_msg(&m, 42, "192.0.2.5", 10);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), 0);
	assert_int_equal(w.key_id, 42);
	assert_int_equal(w.interval, 10);
	assert_string_equal(w.addr, "192.0.2.5");
	welcome_msg(&m, 42, "2001:db8::5", 10);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), 0);
	assert_string_equal(w.addr, "2001:db8::5");

	welcome_msg(&m, 0, "192.0.2.5", 10);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), -1);
	assert_string_equal(why, "key id 0");
	welcome_msg(&m, 1, "host.example", 10);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), -1);
	assert_string_equal(why, "the address is not an IP address");
	welcome_msg(&m, 1, "192.0.2.5", 0);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), -1);
	assert_string_equal(why, "keep-alive interval 0");
	welcome_msg(&m, 1, "192.0.2.5", 10);
	m.flags = 0;
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), -1);
	assert_string_equal(why, "not a welcome");
	mp_init(&m, MP_T_UINFO_KEEPALIVE, MP_F_REPLY, 1);
	assert_int_equal(uinfod_welcome_check(&m, &w, &why), -1);
	assert_string_equal(why, "not a welcome");
}

static void test_backoff(void **state)
{
	uint64_t t = 0;
	unsigned int i;
	static const uint64_t want[] = { 1000,	2000,  4000,  8000,
					 16000, 30000, 30000, 30000 };

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		t = uinfod_backoff_next(t, 1000, 30000);
		assert_true(t == want[i]);
	}
	/* no overflow near the top, never above the cap */
	assert_true(uinfod_backoff_next(UINT64_MAX / 2 + 5, 1000, UINT64_MAX) ==
		    UINT64_MAX);
	assert_true(uinfod_backoff_next(0, 5000, 3000) == 3000);
	assert_true(uinfod_backoff_next(2000, 1000, 3000) == 3000);
}

/* ---- the session against a server in a thread ---- */

/* The session's blocked users: a set, in order, each once. */
static void test_blocks(void **state)
{
	static const uint32_t in[] = { 9, 3, 4000000000u, 3, 0, 7, 9 };
	static const uint32_t want[] = { 0, 3, 7, 9, 4000000000u };
	struct uinfod_blocks b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(uinfod_blocks_set(&b, in[i], 1), 0);
	assert_int_equal(b.n, 5);
	assert_memory_equal(b.ids, want, sizeof(want));
	assert_true(uinfod_blocks_has(&b, 7));
	assert_false(uinfod_blocks_has(&b, 8));
	assert_int_equal(uinfod_blocks_set(&b, 7, 0), 0);
	assert_int_equal(uinfod_blocks_set(&b, 8, 0), 0); /* not there */
	assert_int_equal(uinfod_blocks_set(&b, 4000000000u, 0), 0);
	assert_int_equal(uinfod_blocks_set(&b, 0, 0), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.ids[0], 3);
	assert_int_equal(b.ids[1], 9);
	for (uint32_t i = 100; i < 200; i++)
		assert_int_equal(uinfod_blocks_set(&b, 300 - i, 1), 0);
	assert_int_equal(b.n, 102);
	for (unsigned int i = 1; i < b.n; i++)
		assert_true(b.ids[i - 1] < b.ids[i]);
	uinfod_blocks_clear(&b);
	assert_false(uinfod_blocks_has(&b, 3));
	uinfod_blocks_free(&b);
	assert_null(b.ids);
}

static char dir[] = "/tmp/uinfod-test-XXXXXX";
static char path[16][256];
enum {
	CA,
	CA_KEY,
	SRV,
	SRV_KEY,
	HOST,
	HOST_KEY,
	NAMED,
	NAMED_KEY,
	OTHER,
	ECKEY
};

static const char *p(int i)
{
	return path[i];
}

enum mode {
	M_NORMAL,    /* welcome, keep-alives both ways, then close */
	M_ERROR,     /* an ERROR for the hello */
	M_SILENT,    /* welcome, then nothing */
	M_GARBAGE,   /* welcome, then a frame with a bad magic */
	M_TWICE,     /* welcome and close, twice (key ids 7 then 8) */
	M_HANDSHAKE, /* the handshake only (the client refuses it) */
	M_OWNER,     /* owner queries before and after the welcome */
	M_BLOCK,     /* blocked users before and after the welcome */
	M_USAGE,     /* standalone: records acked, refused, resent (twice) */
	M_WINDOW,    /* standalone: 70 records, at most 64 in flight */
	M_REPORT     /* out-of-band-packet: reports, one refused */
};

/* M_REPORT: the user whose UINFO_BLOCK makes the agent's test ops send
 * reports through the session. */
#define REPORT_USER 4343

/* A UINFO_REPORT as the server read it. */
struct report_seen {
	uint32_t serial;
	uint16_t flags;
	uint64_t present;
	uint64_t proto, sport, dport, user, bytes, pkts;
	char addr[MP_STR_MAX + 1], peer[MP_STR_MAX + 1];
};
#define REPORT_SEEN 8

/* M_USAGE: the user whose UINFO_BLOCK the agent's test ops take for a
 * collection (a record added, the session kicked). */
#define KICK_USER 4242

/* A UINFO_USAGE as the server read it. */
struct usage_seen {
	uint32_t serial;
	uint16_t flags;
	uint64_t present;
	uint64_t seq, user, time, end, sb, sp, rb, rp;
};
#define USAGE_SEEN 96

/* A UINFO_OWNER_GET's answer, as the server read it. */
struct owner_ans {
	uint8_t type;
	uint16_t flags;
	uint32_t serial;
	int has_user;
	uint32_t user, error, blocked;
	char message[MP_STR_MAX + 1];
};
#define OWNER_QUERIES 8

/* M_OWNER: the port of the test's UDP socket on 127.0.0.1 (set before
 * the server starts). */
static uint16_t owner_udp_port;

struct srv {
	enum mode mode;
	const char *cert, *key;
	int lfd;
	uint16_t port;
	pthread_t th;
	/* results, read after the join */
	long client_verify;
	int client_cert;
	int hellos, keepalives, reply_seen, sessions;
	int hello_scheme; /* the last HELLO's SCHEME, -1 without */
	uint8_t key_out[2][MUISP_AGENT_KEY_LEN];
	struct owner_ans ans[OWNER_QUERIES];
	int nans;
	/* standalone: the records received, those received where none was
	 * due, the sessions played through */
	struct usage_seen useen[USAGE_SEEN];
	int nuseen, usage_unexpected, usage_done;
	/* out-of-band-packet: the reports received; the BLOCKED answers
	 * seen among them; played through */
	struct report_seen rseen[REPORT_SEEN];
	int nrseen, report_blocked, report_done;
};

static int ssl_read_full(SSL *ssl, uint8_t *b, size_t len)
{
	size_t got = 0;

	while (got < len) {
		int n = SSL_read(ssl, b + got, (int)(len - got));

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int srv_recv(SSL *ssl, struct mp_msg *m)
{
	uint8_t b[MP_MAX_FRAME];
	int flen;

	if (ssl_read_full(ssl, b, MP_HDR_LEN) < 0)
		return -1;
	flen = mp_frame_len(b, MP_HDR_LEN);
	if (flen < MP_HDR_LEN ||
	    ssl_read_full(ssl, b + MP_HDR_LEN, (size_t)flen - MP_HDR_LEN) < 0)
		return -1;
	return mp_decode(b, (size_t)flen, m) ? -1 : 0;
}

static void srv_send(SSL *ssl, const struct mp_msg *m)
{
	uint8_t b[MP_MAX_FRAME];
	int n = mp_encode(m, b, sizeof(b));

	if (n > 0)
		SSL_write(ssl, b, n);
}

static int verify_later(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* Send the router's question q and read the answer into s->ans, the
 * agent's keep-alives skipped.  0, or -1. */
static int srv_ask(struct srv *s, SSL *ssl, const struct mp_msg *q)
{
	static struct mp_msg a;
	struct owner_ans *o;

	if (s->nans >= OWNER_QUERIES)
		return -1;
	srv_send(ssl, q);
	do {
		if (srv_recv(ssl, &a) < 0)
			return -1;
	} while (a.type == MP_T_UINFO_KEEPALIVE);
	o = &s->ans[s->nans++];
	o->type = a.type;
	o->flags = a.flags;
	o->serial = a.serial;
	o->has_user = mp_has(&a, MP_A_USER);
	o->user = (uint32_t)a.u[MP_A_USER];
	o->blocked = (uint32_t)a.u[MP_A_BLOCKED];
	o->error = (uint32_t)a.u[MP_A_ERROR];
	snprintf(o->message, sizeof(o->message), "%s", a.s[MP_A_MESSAGE]);
	return 0;
}

/* M_OWNER: ask the owner of host:hport -> peer:dport (serial), of
 * protocol proto (0: no PROTO, TCP). */
static int srv_owner_p(struct srv *s, SSL *ssl, uint32_t serial,
		       const char *host, uint32_t hport, const char *peer,
		       uint32_t dport, int proto)
{
	static struct mp_msg q;

	mp_init(&q, MP_T_UINFO_OWNER_GET, 0, serial);
	mp_set_s(&q, MP_A_ADDR, host);
	mp_set_u(&q, MP_A_SPORT, hport);
	mp_set_s(&q, MP_A_PEER, peer);
	mp_set_u(&q, MP_A_DPORT, dport);
	if (proto)
		mp_set_u(&q, MP_A_PROTO, (uint64_t)proto);
	return srv_ask(s, ssl, &q);
}

static int srv_owner(struct srv *s, SSL *ssl, uint32_t serial, const char *host,
		     uint32_t hport, const char *peer, uint32_t dport)
{
	return srv_owner_p(s, ssl, serial, host, hport, peer, dport, 0);
}

/* M_BLOCK: UINFO_BLOCK serial for user. */
static int srv_block(struct srv *s, SSL *ssl, uint32_t serial, uint32_t user,
		     int blocked)
{
	static struct mp_msg q;

	mp_init(&q, MP_T_UINFO_BLOCK, 0, serial);
	mp_set_u(&q, MP_A_USER, user);
	mp_set_u(&q, MP_A_BLOCKED, (uint64_t)blocked);
	return srv_ask(s, ssl, &q);
}

/* M_OWNER: the queries, fd the agent's connection: its own first. */
static int srv_owner_queries(struct srv *s, SSL *ssl, int fd, int welcomed)
{
	struct sockaddr_in h, r;
	socklen_t hl = sizeof(h), rl = sizeof(r);
	char host[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&h, &hl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&r, &rl) < 0 ||
	    !inet_ntop(AF_INET, &h.sin_addr, host, sizeof(host)) ||
	    !inet_ntop(AF_INET, &r.sin_addr, peer, sizeof(peer)))
		return -1;
	if (!welcomed)
		return srv_owner(s, ssl, 50, host, ntohs(h.sin_port), peer,
				 ntohs(r.sin_port));
	/* the agent's own connection; a port nobody has; two families;
	 * no address */
	if (srv_owner(s, ssl, 51, host, ntohs(h.sin_port), peer,
		      ntohs(r.sin_port)) < 0 ||
	    srv_owner(s, ssl, 52, host, 1, peer, ntohs(r.sin_port)) < 0 ||
	    srv_owner(s, ssl, 53, host, ntohs(h.sin_port), "::1",
		      ntohs(r.sin_port)) < 0 ||
	    srv_owner(s, ssl, 54, "host.test", ntohs(h.sin_port), peer,
		      ntohs(r.sin_port)) < 0)
		return -1;
	/* out of band: a datagram flow from the UDP socket (as UDP, and
	 * as TCP: nobody's); a protocol the agent does not look up */
	if (srv_owner_p(s, ssl, 55, "127.0.0.1", owner_udp_port, "192.0.2.53",
			53, IPPROTO_UDP) < 0 ||
	    srv_owner_p(s, ssl, 56, "127.0.0.1", owner_udp_port, "192.0.2.53",
			53, IPPROTO_TCP) < 0 ||
	    srv_owner_p(s, ssl, 57, "127.0.0.1", owner_udp_port, "192.0.2.53",
			53, 16) < 0)
		return -1;
	return 0;
}

/* Standalone: read n UINFO_USAGE into s->useen, the agent's keep-alives
 * skipped; with blocked, then the UINFO_BLOCKED a UINFO_BLOCK asked for.
 * 0, or -1. */
static int srv_usage_read(struct srv *s, SSL *ssl, int n, int blocked)
{
	static struct mp_msg m;

	while (n > 0 || blocked) {
		struct usage_seen *u;

		if (srv_recv(ssl, &m) < 0)
			return -1;
		if (m.type == MP_T_UINFO_KEEPALIVE)
			continue;
		if (m.type == MP_T_UINFO_BLOCKED && blocked && !n) {
			blocked = 0;
			continue;
		}
		if (m.type != MP_T_UINFO_USAGE || !n || s->nuseen == USAGE_SEEN)
			return -1;
		u = &s->useen[s->nuseen++];
		u->serial = m.serial;
		u->flags = m.flags;
		u->present = m.present;
		u->seq = m.u[MP_A_SERIAL];
		u->user = m.u[MP_A_USER];
		u->time = m.u[MP_A_TIME];
		u->end = m.u[MP_A_END];
		u->sb = m.u[MP_A_SENT_BYTES];
		u->sp = m.u[MP_A_SENT_PKTS];
		u->rb = m.u[MP_A_RECV_BYTES];
		u->rp = m.u[MP_A_RECV_PKTS];
		n--;
	}
	return 0;
}

/* UINFO_USAGE_ACK for record seq, answering the frame serial. */
static void srv_usage_ack(SSL *ssl, uint32_t serial, uint64_t seq)
{
	static struct mp_msg a;

	mp_init(&a, MP_T_UINFO_USAGE_ACK, MP_F_REPLY, serial);
	mp_set_u(&a, MP_A_SERIAL, seq);
	srv_send(ssl, &a);
}

/* A keep-alive of the server's answered: whatever the agent sent before
 * the answer is in, and acks sent before it are handled.  A UINFO_USAGE
 * meanwhile is counted as unexpected.  0, or -1. */
static int srv_roundtrip(struct srv *s, SSL *ssl)
{
	static struct mp_msg m;

	mp_init(&m, MP_T_UINFO_KEEPALIVE, 0, 99);
	srv_send(ssl, &m);
	for (;;) {
		if (srv_recv(ssl, &m) < 0)
			return -1;
		if (m.type == MP_T_UINFO_KEEPALIVE && (m.flags & MP_F_REPLY) &&
		    m.serial == 99)
			return 0;
		if (m.type == MP_T_UINFO_USAGE)
			s->usage_unexpected++;
		else if (m.type != MP_T_UINFO_KEEPALIVE)
			return -1;
	}
}

/*
 * M_USAGE, the first session: three records; the first acked, an ack for
 * a record never sent, an ERROR for the third: the session goes on, and
 * nothing more is sent until a collection (a UINFO_BLOCK of KICK_USER):
 * then the third again and the new one, not the second (in flight).
 * The second session: the second record again, the only one left.
 * M_WINDOW: 64 sent, the rest one by one as acks come.
 */
static int srv_usage(struct srv *s, SSL *ssl)
{
	static struct mp_msg m;
	int i;

	if (s->mode == M_USAGE && s->sessions == 1) {
		if (srv_usage_read(s, ssl, 3, 0) < 0)
			return -1;
		srv_usage_ack(ssl, s->useen[0].serial, s->useen[0].seq);
		srv_usage_ack(ssl, 12345, 999);
		mp_init(&m, MP_T_ERROR, MP_F_REPLY, s->useen[2].serial);
		mp_set_u(&m, MP_A_ERROR, MP_ERR_INTERNAL);
		mp_set_s(&m, MP_A_MESSAGE, "usage record not stored");
		srv_send(ssl, &m);
		if (srv_roundtrip(s, ssl) < 0)
			return -1;
		mp_init(&m, MP_T_UINFO_BLOCK, 0, 70);
		mp_set_u(&m, MP_A_USER, KICK_USER);
		mp_set_u(&m, MP_A_BLOCKED, 1);
		srv_send(ssl, &m);
		if (srv_usage_read(s, ssl, 2, 1) < 0)
			return -1;
		srv_usage_ack(ssl, s->useen[3].serial, s->useen[3].seq);
		srv_usage_ack(ssl, s->useen[4].serial, s->useen[4].seq);
		if (srv_roundtrip(s, ssl) < 0)
			return -1;
	} else if (s->mode == M_USAGE) {
		if (srv_usage_read(s, ssl, 1, 0) < 0)
			return -1;
		srv_usage_ack(ssl, s->useen[5].serial, s->useen[5].seq);
		if (srv_roundtrip(s, ssl) < 0)
			return -1;
	} else {
		if (srv_usage_read(s, ssl, 64, 0) < 0 ||
		    srv_roundtrip(s, ssl) < 0)
			return -1;
		srv_usage_ack(ssl, s->useen[0].serial, s->useen[0].seq);
		if (srv_usage_read(s, ssl, 1, 0) < 0 ||
		    srv_roundtrip(s, ssl) < 0)
			return -1;
		for (i = 1; i < 65; i++)
			srv_usage_ack(ssl, s->useen[i].serial, s->useen[i].seq);
		if (srv_usage_read(s, ssl, 5, 0) < 0)
			return -1;
		for (i = 65; i < 70; i++)
			srv_usage_ack(ssl, s->useen[i].serial, s->useen[i].seq);
		if (srv_roundtrip(s, ssl) < 0)
			return -1;
	}
	s->usage_done++;
	return 0;
}

/* M_REPORT: read frames until n UINFO_REPORTs and a UINFO_BLOCKED are
 * in, the agent's keep-alives skipped.  0, or -1. */
static int srv_report_read(struct srv *s, SSL *ssl, int n)
{
	static struct mp_msg m;
	int blocked = 1;

	while (n > 0 || blocked) {
		struct report_seen *r;

		if (srv_recv(ssl, &m) < 0)
			return -1;
		if (m.type == MP_T_UINFO_KEEPALIVE)
			continue;
		if (m.type == MP_T_UINFO_BLOCKED && blocked) {
			s->report_blocked++;
			blocked = 0;
			continue;
		}
		if (m.type != MP_T_UINFO_REPORT || !n ||
		    s->nrseen == REPORT_SEEN)
			return -1;
		r = &s->rseen[s->nrseen++];
		r->serial = m.serial;
		r->flags = m.flags;
		r->present = m.present;
		r->proto = m.u[MP_A_PROTO];
		r->sport = m.u[MP_A_SPORT];
		r->dport = m.u[MP_A_DPORT];
		r->user = m.u[MP_A_USER];
		r->bytes = m.u[MP_A_SENT_BYTES];
		r->pkts = m.u[MP_A_SENT_PKTS];
		snprintf(r->addr, sizeof(r->addr), "%s", m.s[MP_A_ADDR]);
		snprintf(r->peer, sizeof(r->peer), "%s", m.s[MP_A_PEER]);
		n--;
	}
	return 0;
}

/*
 * M_REPORT: a UINFO_BLOCK of REPORT_USER makes the agent send two
 * reports (then answer BLOCKED); the first is refused with an ERROR, and
 * the session goes on: a keep-alive answered, and another UINFO_BLOCK
 * makes it send one more.
 */
static int srv_report(struct srv *s, SSL *ssl)
{
	static struct mp_msg m;

	mp_init(&m, MP_T_UINFO_BLOCK, 0, 80);
	mp_set_u(&m, MP_A_USER, REPORT_USER);
	mp_set_u(&m, MP_A_BLOCKED, 1);
	srv_send(ssl, &m);
	if (srv_report_read(s, ssl, 2) < 0)
		return -1;
	mp_init(&m, MP_T_ERROR, MP_F_REPLY, s->rseen[0].serial);
	mp_set_u(&m, MP_A_ERROR, MP_ERR_BUSY);
	mp_set_s(&m, MP_A_MESSAGE, "too many reports");
	srv_send(ssl, &m);
	if (srv_roundtrip(s, ssl) < 0)
		return -1;
	mp_init(&m, MP_T_UINFO_BLOCK, 0, 81);
	mp_set_u(&m, MP_A_USER, REPORT_USER);
	mp_set_u(&m, MP_A_BLOCKED, 0);
	srv_send(ssl, &m);
	if (srv_report_read(s, ssl, 1) < 0 || srv_roundtrip(s, ssl) < 0)
		return -1;
	s->report_done++;
	return 0;
}

/* The key as muispd exports it, the context written out here. */
static void srv_export(SSL *ssl, uint32_t id, uint8_t *key)
{
	uint8_t ctx[64] = { (uint8_t)(id >> 24), (uint8_t)(id >> 16),
			    (uint8_t)(id >> 8), (uint8_t)id };

	memcpy(ctx + 4, "127.0.0.1", 9);
	assert_int_equal(SSL_export_keying_material(
				 ssl, key, MUISP_AGENT_KEY_LEN,
				 "EXPORTER-muisp-uinfo-v1", 23, ctx, 13, 1),
			 1);
}

/* One connection; 0 after a session the mode plays through. */
static int srv_one(struct srv *s, SSL_CTX *ctx, uint32_t id)
{
	static struct mp_msg m, out;
	struct timeval tv = { .tv_sec = 10 };
	struct pollfd pfd = { s->lfd, POLLIN, 0 };
	int fd, rc = -1;
	SSL *ssl;

	if (poll(&pfd, 1, 10000) != 1)
		return -1;
	fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto out;
	s->client_cert = SSL_get0_peer_certificate(ssl) != NULL;
	s->client_verify = SSL_get_verify_result(ssl);
	if (s->mode == M_HANDSHAKE)
		goto out;
	if (srv_recv(ssl, &m) < 0 || m.type != MP_T_UINFO_HELLO || m.flags ||
	    (m.present & ~(1ull << MP_A_SCHEME)))
		goto out;
	s->hellos++;
	s->hello_scheme = mp_has(&m, MP_A_SCHEME) ? (int)m.u[MP_A_SCHEME] : -1;
	if (s->mode == M_OWNER && srv_owner_queries(s, ssl, fd, 0) < 0)
		goto out;
	/* the session's list, before the welcome */
	if (s->mode == M_BLOCK && (srv_block(s, ssl, 60, 5, 1) < 0 ||
				   srv_block(s, ssl, 61, 6, 1) < 0))
		goto out;
	if (s->mode == M_ERROR) {
		mp_init(&out, MP_T_ERROR, MP_F_REPLY, m.serial);
		mp_set_u(&out, MP_A_ERROR, MP_ERR_CERT);
		mp_set_s(&out, MP_A_MESSAGE,
			 "certificate does not name this address");
		srv_send(ssl, &out);
		while (srv_recv(ssl, &m) == 0)
			;
		rc = 0;
		goto out;
	}
	srv_export(ssl, id, s->key_out[s->sessions]);
	mp_init(&out, MP_T_UINFO_WELCOME, MP_F_REPLY, m.serial);
	mp_set_u(&out, MP_A_KEY_ID, id);
	mp_set_s(&out, MP_A_ADDR, "127.0.0.1");
	mp_set_u(&out, MP_A_INTERVAL, 1);
	srv_send(ssl, &out);
	s->sessions++;
	if (s->mode == M_GARBAGE) {
		static const uint8_t junk[MP_HDR_LEN] = { 0x12, 0x34 };

		SSL_write(ssl, junk, sizeof(junk));
	}
	if (s->mode == M_NORMAL) {
		mp_init(&out, MP_T_UINFO_KEEPALIVE, 0, 99);
		srv_send(ssl, &out);
	}
	if (s->mode == M_TWICE) {
		rc = 0;
		goto out;
	}
	if (s->mode == M_USAGE || s->mode == M_WINDOW) {
		rc = srv_usage(s, ssl);
		goto out;
	}
	if (s->mode == M_REPORT) {
		rc = srv_report(s, ssl);
		goto out;
	}
	if (s->mode == M_OWNER) {
		rc = srv_owner_queries(s, ssl, fd, 1);
		goto out;
	}
	/* a change, then one the agent cannot apply: it ends the session */
	if (s->mode == M_BLOCK) {
		if (srv_block(s, ssl, 62, 5, 0) < 0 ||
		    srv_block(s, ssl, 63, 9, 1) < 0)
			goto out;
		while (srv_recv(ssl, &m) == 0)
			;
		rc = 0;
		goto out;
	}
	while (srv_recv(ssl, &m) == 0) {
		if (m.type == MP_T_UINFO_KEEPALIVE && !(m.flags & MP_F_REPLY)) {
			s->keepalives++;
			if (s->mode == M_NORMAL) {
				mp_init(&out, MP_T_UINFO_KEEPALIVE, MP_F_REPLY,
					m.serial);
				srv_send(ssl, &out);
			}
		} else if (m.type == MP_T_UINFO_KEEPALIVE && m.serial == 99) {
			s->reply_seen++;
		} else {
			goto out; /* nothing else is expected */
		}
		if (s->mode == M_NORMAL && s->reply_seen && s->keepalives >= 2)
			break;
	}
	rc = 0;
out:
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	return rc;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_use_certificate_chain_file(ctx, s->cert);
	SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM);
	/* as muispd's agent-ca: asked for, checked after the handshake */
	SSL_CTX_load_verify_locations(ctx, p(CA), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_later);
	if (srv_one(s, ctx, 7) == 0 &&
	    (s->mode == M_TWICE || s->mode == M_USAGE))
		srv_one(s, ctx, 8);
	SSL_CTX_free(ctx);
	return NULL;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void srv_start(struct srv *s, enum mode mode, int named)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->cert = p(named ? NAMED : SRV);
	s->key = p(named ? NAMED_KEY : SRV_KEY);
	s->client_verify = -1;
	s->hello_scheme = -2; /* no HELLO */
	s->lfd = listener(&s->port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_join(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* What the session told. */
struct obs {
	int ups, downs, refuse;
	uint32_t refuse_block; /* the user block() refuses */
	int nblocks;
	uint32_t block[8][3]; /* id, blocked, ups then */
	int was_up[8];
	char why[8][256];
	uint64_t retry[8];
	uint32_t key_id[4];
	uint8_t key[4][MUISP_AGENT_KEY_LEN];
	/* standalone: the spool the session reads, the session (kicked by
	 * a block of KICK_USER after a record is added), the acks */
	struct uinfod_usage *sp;
	struct uinfod_session *s;
	int nacked;
	uint64_t acked[80];
	uint64_t fed_sent, fed_pkts, fed_now; /* uid 1001's counters, when */
	/* out-of-band-packet: what uinfod_session_send_report() returned,
	 * in up() (before the session is up) and in block() */
	int try_report, report_in_up;
	int nreport_rc, report_rc[8];
};

/* M_REPORT's reports: an IPv4 TCP flow, an IPv6 UDP flow, and (the
 * second time) another. */
static const struct uinfod_report_msg report_msgs[3] = {
	{ .proto = IPPROTO_TCP,
	  .family = AF_INET,
	  .port = 40000,
	  .peer_port = 443,
	  .user = 7,
	  .addr = { 192, 0, 2, 50 },
	  .peer = { 198, 51, 100, 7 },
	  .bytes = 4552,
	  .packets = 4 },
	{ .proto = IPPROTO_UDP,
	  .family = AF_INET6,
	  .port = 5353,
	  .peer_port = 53,
	  .user = 4294967295u,
	  .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x50 },
	  .peer = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 },
	  .bytes = 10000000000ull,
	  .packets = 1 },
	{ .proto = IPPROTO_TCP,
	  .family = AF_INET,
	  .port = 40001,
	  .peer_port = 80,
	  .user = 8,
	  .addr = { 192, 0, 2, 50 },
	  .peer = { 198, 51, 100, 8 },
	  .bytes = 60,
	  .packets = 1 },
};

/*
 * A collection into o's spool that makes one record: uid 1001, mapped to
 * user, sent bytes more (and a packet) than at the last; its first
 * record has 7 bytes and a packet received.  0, or -1.
 */
static int add_record(struct obs *o, uint32_t user, uint64_t sent)
{
	struct muisp_nl_tag_user u;

	memset(&u, 0, sizeof(u));
	u.uid = 1001;
	u.user = user;
	MUISP_NL_SET(&u, MUISP_TAG_USER_A_USER);
	o->fed_sent += sent;
	o->fed_pkts++;
	o->fed_now = o->fed_now ? o->fed_now + 60 : 1000;
	u.sent_bytes = o->fed_sent;
	u.sent_packets = o->fed_pkts;
	u.recv_bytes = 7;
	u.recv_packets = 1;
	return uinfod_usage_collect(o->sp, &u, 1, o->fed_now, NULL);
}

static int t_up(void *arg, const uint8_t key[MUISP_AGENT_KEY_LEN],
		const struct uinfod_welcome *w)
{
	struct obs *o = arg;

	if (o->ups < 4) {
		memcpy(o->key[o->ups], key, MUISP_AGENT_KEY_LEN);
		o->key_id[o->ups] = w->key_id;
	}
	assert_string_equal(w->addr, "127.0.0.1");
	assert_int_equal(w->interval, 1);
	/* the key is being installed: the session is not up yet */
	if (o->try_report && o->s)
		o->report_in_up =
			uinfod_session_send_report(o->s, &report_msgs[0]);
	o->ups++;
	return o->refuse ? -1 : 0;
}

static void t_down(void *arg, int was_up, const char *why, uint64_t retry_ms)
{
	struct obs *o = arg;

	if (o->downs < 8) {
		o->was_up[o->downs] = was_up;
		snprintf(o->why[o->downs], sizeof(o->why[0]), "%s", why);
		o->retry[o->downs] = retry_ms;
	}
	o->downs++;
}

static int t_block(void *arg, uint32_t id, int blocked)
{
	struct obs *o = arg;

	if (o->nblocks < 8) {
		o->block[o->nblocks][0] = id;
		o->block[o->nblocks][1] = (uint32_t)blocked;
		o->block[o->nblocks][2] = (uint32_t)o->ups;
	}
	o->nblocks++;
	if (id == KICK_USER && o->sp && o->s) {
		/* as main.c's collection: a record more, then a kick */
		assert_int_equal(add_record(o, 8, 2000), 0);
		uinfod_session_usage_kick(o->s);
	}
	if (id == REPORT_USER && o->s) {
		/* as report.c: reports through the session, up */
		int first = blocked ? 0 : 2, last = blocked ? 1 : 2;

		for (int i = first; i <= last && o->nreport_rc < 8; i++)
			o->report_rc[o->nreport_rc++] =
				uinfod_session_send_report(o->s,
							   &report_msgs[i]);
	}
	return id == o->refuse_block ? -1 : 0;
}

static int t_usage_next(void *arg, uint64_t after, struct uinfod_usage_rec *r)
{
	struct obs *o = arg;

	return o->sp ? uinfod_usage_next(o->sp, after, r) : 0;
}

static void t_usage_acked(void *arg, uint64_t seq)
{
	struct obs *o = arg;

	if (o->nacked < 80)
		o->acked[o->nacked] = seq;
	o->nacked++;
	assert_int_equal(uinfod_usage_acked(o->sp, seq), 0);
}

static const struct uinfod_session_ops ops = { t_up, t_down, t_block,
					       t_usage_next, t_usage_acked };
static const struct uinfod_timing timing = { 50, 200, 5000 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct client {
	struct uinfod_conf conf;
	SSL_CTX *ctx;
	sd_event *e;
	struct uinfod_session *s;
	struct obs o;
};

static void client_start(struct client *c, uint16_t port, const char *name,
			 const char *ca)
{
	char err[512];

	memset(c, 0, sizeof(*c));
	snprintf(c->conf.meter, sizeof(c->conf.meter), "127.0.0.1");
	snprintf(c->conf.server_name, sizeof(c->conf.server_name), "%s", name);
	c->conf.port = port;
	snprintf(c->conf.ca, sizeof(c->conf.ca), "%s", ca);
	snprintf(c->conf.cert, sizeof(c->conf.cert), "%s", p(HOST));
	snprintf(c->conf.key, sizeof(c->conf.key), "%s", p(HOST_KEY));
	c->ctx = uinfod_tls_ctx(&c->conf, err, sizeof(err));
	if (!c->ctx)
		fail_msg("%s", err);
	assert_int_equal(sd_event_new(&c->e), 0);
}

static void client_go_t(struct client *c, const struct uinfod_timing *t)
{
	c->s = uinfod_session_new(c->e, &c->conf, c->ctx, t, &ops, &c->o);
	assert_non_null(c->s);
}

static void client_go(struct client *c)
{
	client_go_t(c, &timing);
}

/* Run the loop until the session went down n times; the time it took. */
static uint64_t run_downs(struct client *c, int n, uint64_t max_ms)
{
	uint64_t t0 = now_ms();

	while (c->o.downs < n && now_ms() - t0 < max_ms)
		assert_true(sd_event_run(c->e, 50000) >= 0);
	if (c->o.downs < n)
		fail_msg("%d downs after %llu ms, want %d", c->o.downs,
			 (unsigned long long)max_ms, n);
	return now_ms() - t0;
}

static void client_end(struct client *c)
{
	uinfod_session_free(c->s);
	SSL_CTX_free(c->ctx);
	sd_event_unref(c->e);
}

/* The key agreed, equal to the server's; keep-alives both ways; the
 * server's close is the meter lost. */
static void test_session_keyed(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_NORMAL, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	run_downs(&c, 1, 8000);
	assert_int_equal(c.o.ups, 1);
	assert_true(uinfod_session_is_up(c.s) == 0);
	client_end(&c);
	srv_join(&s);

	assert_int_equal(c.o.key_id[0], 7);
	assert_memory_equal(c.o.key[0], s.key_out[0], MUISP_AGENT_KEY_LEN);
	assert_memory_not_equal(c.o.key[0], (uint8_t[MUISP_AGENT_KEY_LEN]){ 0 },
				MUISP_AGENT_KEY_LEN);
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "the router closed the session");
	assert_true(c.o.retry[0] == 50);
	/* the server saw our certificate, good for muispd's check */
	assert_int_equal(s.client_cert, 1);
	assert_int_equal(s.client_verify, X509_V_OK);
	assert_int_equal(s.hellos, 1);
	assert_int_equal(s.hello_scheme, -1); /* in band: no SCHEME */
	assert_true(s.keepalives >= 2);
	assert_int_equal(s.reply_seen, 1);
}

/* Out of band, the HELLO says so (SCHEME 1), and the session is keyed
 * as in band; in band said explicitly, no SCHEME. */
static void test_session_scheme(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_NORMAL, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	c.conf.scheme = MP_SCHEME_OUT_OF_BAND;
	client_go(&c);
	run_downs(&c, 1, 8000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(s.hellos, 1);
	assert_int_equal(s.hello_scheme, MP_SCHEME_OUT_OF_BAND);
	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.key_id[0], 7);
	assert_memory_equal(c.o.key[0], s.key_out[0], MUISP_AGENT_KEY_LEN);
	assert_string_equal(c.o.why[0], "the router closed the session");

	srv_start(&s, M_TWICE, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	c.conf.scheme = MP_SCHEME_IN_BAND;
	client_go(&c);
	run_downs(&c, 2, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(s.hellos, 2);
	assert_int_equal(s.hello_scheme, -1);
}

static void test_session_refused(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_ERROR, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(c.o.ups, 0);
	assert_int_equal(c.o.was_up[0], 0);
	assert_string_equal(c.o.why[0],
			    "refused by the router: certificate does not name "
			    "this address (certificate refused)");
}

/* Nothing heard for three intervals (3 s): lost. */
static void test_session_silent(void **state)
{
	struct client c;
	struct srv s;
	uint64_t ms;

	(void)state;
	srv_start(&s, M_SILENT, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	ms = run_downs(&c, 1, 8000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "nothing heard for 3 s");
	assert_true(ms >= 2900);
	/* it kept asking meanwhile */
	assert_true(s.keepalives >= 2);
}

static void test_session_garbage(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_GARBAGE, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.was_up[0], 1);
	assert_int_equal(strncmp(c.o.why[0], "bad frame from the router: ", 27),
			 0);
}

/* up() refusing the key ends the attempt: not up, retried. */
static void test_session_not_installed(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_TWICE, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	c.o.refuse = 1;
	client_go(&c);
	run_downs(&c, 2, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(c.o.ups, 2);
	assert_int_equal(c.o.was_up[0], 0);
	assert_string_equal(c.o.why[0], "key id 7 not installed");
	assert_string_equal(c.o.why[1], "key id 8 not installed");
	/* not up: the back-off grows */
	assert_true(c.o.retry[0] == 50 && c.o.retry[1] == 100);
}

/* Lost and back: a new key, and the back-off starts again. */
static void test_session_reconnect(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_TWICE, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	run_downs(&c, 2, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(c.o.ups, 2);
	assert_int_equal(c.o.key_id[0], 7);
	assert_int_equal(c.o.key_id[1], 8);
	assert_memory_equal(c.o.key[0], s.key_out[0], MUISP_AGENT_KEY_LEN);
	assert_memory_equal(c.o.key[1], s.key_out[1], MUISP_AGENT_KEY_LEN);
	assert_memory_not_equal(c.o.key[0], c.o.key[1], MUISP_AGENT_KEY_LEN);
	assert_int_equal(c.o.was_up[0], 1);
	assert_int_equal(c.o.was_up[1], 1);
	assert_true(c.o.retry[0] == 50 && c.o.retry[1] == 50);
}

/* The module came back (main.c's on_module()): a reset ends an up
 * session at once, as the meter lost, with the reason given; waiting to
 * try again, it does nothing more. */
static void test_session_reset(void **state)
{
	struct client c;
	struct srv s;
	uint64_t t0;

	(void)state;
	srv_start(&s, M_NORMAL, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	client_go(&c);
	t0 = now_ms();
	while (!uinfod_session_is_up(c.s) && now_ms() - t0 < 8000)
		assert_true(sd_event_run(c.e, 50000) >= 0);
	assert_true(uinfod_session_is_up(c.s));
	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.downs, 0);
	uinfod_session_reset(c.s, "the muisp module was loaded again");
	assert_int_equal(c.o.downs, 1);
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "the muisp module was loaded again");
	assert_true(c.o.retry[0] == 50);
	assert_false(uinfod_session_is_up(c.s));
	uinfod_session_reset(c.s, "again");
	assert_int_equal(c.o.downs, 1);
	client_end(&c);
	srv_join(&s);
}

/* The router asks who owns the agent's own connection: this process,
 * mapped (USER) or not (no USER); a port nobody has is unknown; addresses
 * of two families, or no address, are the router's mistake; asked before
 * the welcome, too early.  Out of band, a UDP socket's flow (PROTO 17)
 * is answered likewise, the same ports as TCP are nobody's, and a
 * protocol other than TCP and UDP is refused.  Each answer carries the
 * question's serial, and none ends the session. */
static void test_session_owner(void **state)
{
	struct sockaddr_in ua = { .sin_family = AF_INET };
	socklen_t ulen = sizeof(ua);
	int mapped, ufd;

	(void)state;
	/* this process's UDP socket, bound and not connected */
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(ufd >= 0);
	ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ufd, (struct sockaddr *)&ua, sizeof(ua)), 0);
	assert_int_equal(getsockname(ufd, (struct sockaddr *)&ua, &ulen), 0);
	owner_udp_port = ntohs(ua.sin_port);
	for (mapped = 1; mapped >= 0; mapped--) {
		/* the other way round: someone else mapped, not us */
		struct uinfod_user u = { .uid = (uint32_t)geteuid() +
						(mapped ? 0 : 1),
					 .id = mapped ? 77 : 78,
					 .line = 1 };
		struct client c;
		struct srv s;
		const struct owner_ans *a = s.ans;

		srv_start(&s, M_OWNER, 0);
		client_start(&c, s.port, "127.0.0.1", p(CA));
		c.conf.users = &u;
		c.conf.nusers = 1;
		client_go(&c);
		run_downs(&c, 1, 8000);
		client_end(&c);
		srv_join(&s);

		assert_int_equal(c.o.ups, 1);
		assert_string_equal(c.o.why[0],
				    "the router closed the session");
		assert_int_equal(s.nans, 8);
		/* before the welcome */
		assert_int_equal(a[0].type, MP_T_ERROR);
		assert_int_equal(a[0].flags, MP_F_REPLY);
		assert_int_equal(a[0].serial, 50);
		assert_int_equal(a[0].error, MP_ERR_STATE);
		/* its own connection */
		assert_int_equal(a[1].type, MP_T_UINFO_OWNER);
		assert_int_equal(a[1].flags, MP_F_REPLY);
		assert_int_equal(a[1].serial, 51);
		if (mapped) {
			assert_int_equal(a[1].has_user, 1);
			assert_int_equal(a[1].user, 77);
		} else {
			assert_int_equal(a[1].has_user, 0);
		}
		/* nobody's port */
		assert_int_equal(a[2].type, MP_T_ERROR);
		assert_int_equal(a[2].serial, 52);
		assert_int_equal(a[2].error, MP_ERR_UNKNOWN);
		assert_string_equal(a[2].message, "no such connection");
		/* 127.0.0.1 and ::1 */
		assert_int_equal(a[3].type, MP_T_ERROR);
		assert_int_equal(a[3].serial, 53);
		assert_int_equal(a[3].error, MP_ERR_PROTO);
		assert_string_equal(a[3].message, "addresses of two families");
		/* a host name */
		assert_int_equal(a[4].type, MP_T_ERROR);
		assert_int_equal(a[4].serial, 54);
		assert_int_equal(a[4].error, MP_ERR_PROTO);
		/* the UDP socket's flow */
		assert_int_equal(a[5].type, MP_T_UINFO_OWNER);
		assert_int_equal(a[5].flags, MP_F_REPLY);
		assert_int_equal(a[5].serial, 55);
		if (mapped) {
			assert_int_equal(a[5].has_user, 1);
			assert_int_equal(a[5].user, 77);
		} else {
			assert_int_equal(a[5].has_user, 0);
		}
		/* the same ends as TCP: no such connection */
		assert_int_equal(a[6].type, MP_T_ERROR);
		assert_int_equal(a[6].serial, 56);
		assert_int_equal(a[6].error, MP_ERR_UNKNOWN);
		assert_string_equal(a[6].message, "no such connection");
		/* neither TCP nor UDP */
		assert_int_equal(a[7].type, MP_T_ERROR);
		assert_int_equal(a[7].flags, MP_F_REPLY);
		assert_int_equal(a[7].serial, 57);
		assert_int_equal(a[7].error, MP_ERR_PROTO);
		assert_string_equal(a[7].message, "only TCP and UDP");
	}
	close(ufd);
}

/* The router's blocked users: the list before WELCOME (block() before
 * up()), a change while up, each answered UINFO_BLOCKED as applied; one
 * block() refuses is answered with an ERROR and ends the session. */
static void test_session_block(void **state)
{
	static const uint32_t want[4][3] = {
		{ 5, 1, 0 }, { 6, 1, 0 }, { 5, 0, 1 }, { 9, 1, 1 }
	};
	struct client c;
	struct srv s;
	const struct owner_ans *a = s.ans;

	(void)state;
	srv_start(&s, M_BLOCK, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	c.o.refuse_block = 9;
	client_go(&c);
	run_downs(&c, 1, 8000);
	client_end(&c);
	srv_join(&s);

	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "user 9 not blocked");
	assert_int_equal(c.o.nblocks, 4);
	assert_memory_equal(c.o.block, want, sizeof(want));
	assert_int_equal(s.nans, 4);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(a[i].type, MP_T_UINFO_BLOCKED);
		assert_int_equal(a[i].flags, MP_F_REPLY);
		assert_int_equal(a[i].serial, 60 + i);
		assert_int_equal(a[i].user, want[i][0]);
		assert_int_equal(a[i].blocked, want[i][1]);
	}
	assert_int_equal(a[3].type, MP_T_ERROR);
	assert_int_equal(a[3].serial, 63);
	assert_int_equal(a[3].error, MP_ERR_INTERNAL);
}

/* A standalone client: the spool, fresh, in the test's directory. */
static void usage_client(struct client *c, const char *name)
{
	char db[300], err[512];

	snprintf(db, sizeof(db), "%s/%s", dir, name);
	c->conf.scheme = MP_SCHEME_STANDALONE;
	c->o.sp = uinfod_usage_open(db, 1000, err, sizeof(err));
	if (!c->o.sp)
		fail_msg("%s", err);
}

static void usage_is(const struct usage_seen *u, uint64_t seq, uint32_t user,
		     uint64_t start, uint64_t end, uint64_t sent, uint64_t recv)
{
	const uint64_t want =
		(1ull << MP_A_SERIAL) | (1ull << MP_A_USER) |
		(1ull << MP_A_TIME) | (1ull << MP_A_END) |
		(1ull << MP_A_SENT_BYTES) | (1ull << MP_A_SENT_PKTS) |
		(1ull << MP_A_RECV_BYTES) | (1ull << MP_A_RECV_PKTS);

	assert_int_equal(u->flags, 0); /* a request */
	assert_true(u->present == want);
	assert_true(u->seq == seq);
	assert_int_equal(u->user, user);
	assert_int_equal(u->time, start);
	assert_int_equal(u->end, end);
	assert_int_equal(u->sb, sent);
	assert_int_equal(u->sp, 1);
	assert_int_equal(u->rb, recv ? 7 : 0);
	assert_int_equal(u->rp, recv ? 1 : 0);
}

/*
 * Standalone: the HELLO says SCHEME 2; the spool's records go after the
 * WELCOME, oldest first, with their attributes; each ack deletes its
 * record, an ack for a record not in flight is ignored, an ERROR keeps
 * the record and stops sending (the session goes on) until a collection
 * kicks it; the record unacked when the session ends goes again in the
 * next, and only it.
 */
static void test_session_usage(void **state)
{
	struct uinfod_usage_rec r[3];
	struct client c;
	struct srv s;
	uint64_t after = 0;

	(void)state;
	srv_start(&s, M_USAGE, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	usage_client(&c, "usage.db");
	assert_int_equal(add_record(&c.o, 7, 100), 0);
	assert_int_equal(add_record(&c.o, 7, 200), 0);
	assert_int_equal(add_record(&c.o, 9, 300), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(uinfod_usage_next(c.o.sp, after, &r[i]), 1);
		after = r[i].seq;
	}
	client_go(&c);
	c.o.s = c.s;
	run_downs(&c, 2, 10000);
	client_end(&c);
	srv_join(&s);

	assert_int_equal(s.hellos, 2);
	assert_int_equal(s.hello_scheme, MP_SCHEME_STANDALONE);
	assert_int_equal(s.usage_done, 2);
	assert_int_equal(c.o.ups, 2);
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "the router closed the session");
	assert_int_equal(s.nuseen, 6);
	/* the first session: the three, in order */
	usage_is(&s.useen[0], r[0].seq, 7, 1000, 1000, 100, 1);
	usage_is(&s.useen[1], r[1].seq, 7, 1000, 1060, 200, 0);
	usage_is(&s.useen[2], r[2].seq, 9, 1060, 1120, 300, 0);
	/* each frame a serial of its own */
	for (int i = 1; i < 5; i++)
		assert_true(s.useen[i].serial != s.useen[i - 1].serial);
	/* after the ERROR and the stray ack nothing until the kick; then
	 * the refused one again and the new one, not the second */
	assert_int_equal(s.usage_unexpected, 0);
	usage_is(&s.useen[3], r[2].seq, 9, 1060, 1120, 300, 0);
	usage_is(&s.useen[4], r[2].seq + 1, 8, 1120, 1180, 2000, 0);
	/* the second session: the one never answered, alone */
	usage_is(&s.useen[5], r[1].seq, 7, 1000, 1060, 200, 0);
	/* each ack deleted its record, the stray one nothing */
	assert_int_equal(c.o.nacked, 4);
	assert_true(c.o.acked[0] == r[0].seq);
	assert_true(c.o.acked[1] == r[2].seq);
	assert_true(c.o.acked[2] == r[2].seq + 1);
	assert_true(c.o.acked[3] == r[1].seq);
	assert_int_equal(uinfod_usage_count(c.o.sp), 0);
	uinfod_usage_close(c.o.sp);
}

/* Standalone: at most 64 records unanswered; each ack lets one more go,
 * in order, until the spool is empty. */
static void test_session_usage_window(void **state)
{
	struct uinfod_usage_rec first;
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_WINDOW, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	usage_client(&c, "window.db");
	for (int i = 0; i < 70; i++)
		assert_int_equal(add_record(&c.o, 7, 10), 0);
	assert_int_equal(uinfod_usage_next(c.o.sp, 0, &first), 1);
	client_go(&c);
	c.o.s = c.s;
	run_downs(&c, 1, 10000);
	client_end(&c);
	srv_join(&s);

	assert_int_equal(s.usage_done, 1);
	assert_int_equal(s.usage_unexpected, 0); /* never a 65th */
	assert_int_equal(s.nuseen, 70);
	for (int i = 0; i < 70; i++)
		assert_true(s.useen[i].seq == first.seq + (uint64_t)i);
	assert_int_equal(c.o.nacked, 70);
	assert_int_equal(uinfod_usage_count(c.o.sp), 0);
	uinfod_usage_close(c.o.sp);
}

/* Report i as the server saw it: every attribute, as report_msgs[k]
 * says, with the addresses as text. */
static void report_is(const struct report_seen *r, int k, const char *addr,
		      const char *peer)
{
	const uint64_t want = (1ull << MP_A_PROTO) | (1ull << MP_A_ADDR) |
			      (1ull << MP_A_SPORT) | (1ull << MP_A_PEER) |
			      (1ull << MP_A_DPORT) | (1ull << MP_A_USER) |
			      (1ull << MP_A_SENT_BYTES) |
			      (1ull << MP_A_SENT_PKTS);
	const struct uinfod_report_msg *m = &report_msgs[k];

	assert_int_equal(r->flags, 0); /* a request, not answered */
	assert_true(r->present == want);
	assert_int_equal(r->proto, m->proto);
	assert_string_equal(r->addr, addr);
	assert_int_equal(r->sport, m->port);
	assert_string_equal(r->peer, peer);
	assert_int_equal(r->dport, m->peer_port);
	assert_int_equal(r->user, m->user);
	assert_true(r->bytes == m->bytes);
	assert_true(r->pkts == m->packets);
}

/*
 * Out of band, packet-based: the HELLO says SCHEME 3 and the key is
 * agreed as in band; before the session is up (in up()) a report is
 * refused; up, the reports sent through the session arrive with every
 * attribute (IPv4 and IPv6, the largest user and a count above 2^32),
 * each with a serial of its own; an ERROR for one is logged and the
 * session goes on (another report gets through; it ends only when the
 * router closes it); down, a report is refused again.
 */
static void test_session_report(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_REPORT, 0);
	client_start(&c, s.port, "127.0.0.1", p(CA));
	c.conf.scheme = MP_SCHEME_OUT_OF_BAND_PACKET;
	c.conf.method = MUISP_TAG_METHOD_REPORT;
	c.o.try_report = 1;
	c.o.report_in_up = 99;
	client_go(&c);
	c.o.s = c.s;
	run_downs(&c, 1, 10000);
	assert_int_equal(uinfod_session_send_report(c.s, &report_msgs[2]), -1);
	client_end(&c);
	srv_join(&s);

	assert_int_equal(s.hellos, 1);
	assert_int_equal(s.hello_scheme, MP_SCHEME_OUT_OF_BAND_PACKET);
	assert_int_equal(s.hello_scheme, 3);
	assert_int_equal(c.o.ups, 1);
	assert_int_equal(c.o.key_id[0], 7);
	assert_memory_equal(c.o.key[0], s.key_out[0], MUISP_AGENT_KEY_LEN);
	assert_int_equal(c.o.report_in_up, -1);
	assert_int_equal(s.report_done, 1);
	assert_int_equal(s.report_blocked, 2);
	assert_int_equal(s.usage_unexpected, 0);
	/* the ERROR did not end it: the router's close did */
	assert_int_equal(c.o.was_up[0], 1);
	assert_string_equal(c.o.why[0], "the router closed the session");
	assert_int_equal(c.o.nreport_rc, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(c.o.report_rc[i], 0);
	assert_int_equal(s.nrseen, 3);
	report_is(&s.rseen[0], 0, "192.0.2.50", "198.51.100.7");
	report_is(&s.rseen[1], 1, "2001:db8::50", "2001:db8::1");
	report_is(&s.rseen[2], 2, "192.0.2.50", "198.51.100.8");
	assert_true(s.rseen[0].serial != s.rseen[1].serial);
	assert_true(s.rseen[1].serial != s.rseen[2].serial);
	assert_true(s.rseen[0].serial != 0);
}

/* The router's certificate must name server-name: an address (IP SAN),
 * or a host name (SNI and the DNS name). */
static void test_session_names(void **state)
{
	struct client c;
	struct srv s;

	(void)state;
	srv_start(&s, M_HANDSHAKE, 0);
	client_start(&c, s.port, "192.0.2.9", p(CA));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_string_equal(c.o.why[0], "TLS handshake: the router's "
					"certificate: IP address mismatch");

	srv_start(&s, M_HANDSHAKE, 1);
	client_start(&c, s.port, "other.test", p(CA));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_string_equal(c.o.why[0], "TLS handshake: the router's "
					"certificate: hostname mismatch");

	/* the right host name: through to the hello */
	srv_start(&s, M_ERROR, 1);
	client_start(&c, s.port, "router.test", p(CA));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_int_equal(s.hellos, 1);
	assert_int_equal(strncmp(c.o.why[0], "refused by the router: ", 23), 0);

	/* another CA */
	srv_start(&s, M_HANDSHAKE, 0);
	client_start(&c, s.port, "127.0.0.1", p(OTHER));
	client_go(&c);
	run_downs(&c, 1, 5000);
	client_end(&c);
	srv_join(&s);
	assert_string_equal(c.o.why[0],
			    "TLS handshake: the router's certificate: "
			    "self-signed certificate in certificate chain");
}

/* Nobody listening: refused, retried at 50, 100, 200, 200 ms. */
static void test_session_no_listener(void **state)
{
	struct client c;
	uint16_t port;
	int fd = listener(&port);

	(void)state;
	close(fd);
	client_start(&c, port, "127.0.0.1", p(CA));
	client_go(&c);
	run_downs(&c, 4, 5000);
	client_end(&c);
	assert_int_equal(c.o.ups, 0);
	assert_int_equal(c.o.was_up[0], 0);
	assert_true(strstr(c.o.why[0], "connect to 127.0.0.1 port ") != NULL);
	assert_true(strstr(c.o.why[0], ": Connection refused") != NULL);
	assert_true(c.o.retry[0] == 50 && c.o.retry[1] == 100 &&
		    c.o.retry[2] == 200 && c.o.retry[3] == 200);
}

/* A server that takes the connection and never answers: the attempt
 * ends at the handshake's deadline. */
static void test_session_stalled(void **state)
{
	static const struct uinfod_timing quick = { 50, 200, 300 };
	struct client c;
	uint16_t port;
	int fd = listener(&port); /* the kernel accepts; nobody reads */
	uint64_t ms;

	(void)state;
	client_start(&c, port, "127.0.0.1", p(CA));
	client_go_t(&c, &quick);
	ms = run_downs(&c, 1, 5000);
	client_end(&c);
	close(fd);
	assert_int_equal(c.o.was_up[0], 0);
	assert_string_equal(c.o.why[0],
			    "TLS handshake: not done within 300 ms");
	assert_true(ms >= 250);
}

/* The client's own files: each refusal names its file. */
static void test_tls_ctx_errors(void **state)
{
	struct uinfod_conf conf;
	char err[512];

	(void)state;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.ca, sizeof(conf.ca), "%s/none.pem", dir);
	snprintf(conf.cert, sizeof(conf.cert), "%s", p(HOST));
	snprintf(conf.key, sizeof(conf.key), "%s", p(HOST_KEY));
	assert_null(uinfod_tls_ctx(&conf, err, sizeof(err)));
	assert_true(strstr(err, "none.pem: cannot load the CA: ") != NULL);
	snprintf(conf.ca, sizeof(conf.ca), "%s", p(CA));
	/* another RSA key: OpenSSL refuses it as it loads it */
	snprintf(conf.key, sizeof(conf.key), "%s", p(SRV_KEY));
	assert_null(uinfod_tls_ctx(&conf, err, sizeof(err)));
	assert_true(strstr(err, "server.key: cannot load the key: ") != NULL);
	/* a key of another type loads, then fails the pair's check */
	snprintf(conf.key, sizeof(conf.key), "%s", p(ECKEY));
	assert_null(uinfod_tls_ctx(&conf, err, sizeof(err)));
	assert_true(strstr(err, "ec.key: not the key of ") != NULL);
	snprintf(conf.cert, sizeof(conf.cert), "%s", p(HOST_KEY));
	assert_null(uinfod_tls_ctx(&conf, err, sizeof(err)));
	assert_true(strstr(err, "host.key: cannot load the certificate: ") !=
		    NULL);
}

/* A P-256 key (lib/ca's are RSA), for a key of another type. */
static int write_ec_key(const char *out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *f = fopen(out, "w");
	int ok = k && f &&
		 PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);

	if (f && fclose(f) != 0)
		ok = 0;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static int setup(void **state)
{
	static const char *const names[] = {
		[CA] = "ca/ca.pem",	  [CA_KEY] = "ca/ca.key",
		[SRV] = "server.pem",	  [SRV_KEY] = "server.key",
		[HOST] = "host.pem",	  [HOST_KEY] = "host.key",
		[NAMED] = "named.pem",	  [NAMED_KEY] = "named.key",
		[OTHER] = "other/ca.pem", [ECKEY] = "ec.key",
	};
	struct muisp_ca_err e = { "" };
	char d[300];
	unsigned int i;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
	snprintf(d, sizeof(d), "%s/ca", dir);
	if (mkdir(d, 0700) < 0 || muisp_ca_init(d, "Test CA", 1, 0, &e) < 0)
		goto fail;
	snprintf(d, sizeof(d), "%s/other", dir);
	if (mkdir(d, 0700) < 0 || muisp_ca_init(d, "Other CA", 1, 0, &e) < 0 ||
	    muisp_ca_issue(p(CA), p(CA_KEY), "127.0.0.1", MUISP_CA_ROUTER, NULL,
			   1, p(SRV), p(SRV_KEY), 0, &e) < 0 ||
	    muisp_ca_issue(p(CA), p(CA_KEY), "router.test", MUISP_CA_ROUTER,
			   NULL, 1, p(NAMED), p(NAMED_KEY), 0, &e) < 0 ||
	    /* the host's, as muispd's agent-ca check wants it: for TLS
	     * client authentication, naming the host's address */
	    muisp_ca_issue(p(CA), p(CA_KEY), "127.0.0.1", MUISP_CA_CLIENT, NULL,
			   1, p(HOST), p(HOST_KEY), 0, &e) < 0)
		goto fail;
	if (write_ec_key(p(ECKEY)) < 0) {
		snprintf(e.msg, sizeof(e.msg), "%s", p(ECKEY));
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", e.msg);
	return -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_welcome_check),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_tls_ctx_errors),
		cmocka_unit_test(test_session_keyed),
		cmocka_unit_test(test_session_scheme),
		cmocka_unit_test(test_session_refused),
		cmocka_unit_test(test_session_silent),
		cmocka_unit_test(test_session_garbage),
		cmocka_unit_test(test_session_not_installed),
		cmocka_unit_test(test_session_reconnect),
		cmocka_unit_test(test_session_reset),
		cmocka_unit_test(test_session_owner),
		cmocka_unit_test(test_session_block),
		cmocka_unit_test(test_session_usage),
		cmocka_unit_test(test_session_usage_window),
		cmocka_unit_test(test_session_report),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_session_names),
		cmocka_unit_test(test_session_no_listener),
		cmocka_unit_test(test_session_stalled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
