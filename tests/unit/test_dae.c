// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 5176 Disconnect/CoA (daemon/muispd/dae.c) on a real muispd core in
 * process (temporary store, kernel backend "none", fixed clock), as
 * tests/unit/test_muispd.c builds it.  Contracts are bound through
 * session_bind(); their RADIUS sessions are acct_sessions rows written
 * here as accounting writes them.  Requests are built with lib/radius and
 * go through dae_handle() (and once through the real socket and loop).
 *
 * Every Error-Cause, every silent drop (no reply, its counter, the
 * contract intact), the duplicate cache, the Event-Timestamp window, a
 * live Disconnect and live CoAs.
 */
#include <setjmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "daemon/muispd/dae.h"
#include "daemon/muispd/muispd.h"
#include "tests/unit/muispd_fix.h"

#define SECRET "dae-secret"
#define SID_A  "5f3a9c01-2a-1"
#define SID_B  "5f3a9c01-2b-3"

struct fix {
	char dir[64];
	struct muispd *md;
	uint64_t alice, bob;
	uint8_t id;
};

static struct fix *F;

static void acct_row(struct fix *f, const char *sid, uint64_t serial,
		     const char *addr, const char *mac, const char *user)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO acct_sessions (sid, serial, bindno, addr, mac,"
		 " user_name, started, base_ub, base_up, base_db, base_dp,"
		 " interim) VALUES ('%s', %llu, %s, '%s', '%s', '%s', %llu,"
		 " 0, 0, 0, 0, 0)",
		 sid, (unsigned long long)serial, strrchr(sid, '-') + 1, addr,
		 mac, user, (unsigned long long)T0 - 100);
	assert_int_equal(sqlite3_exec(store_db(f->md->st), sql, NULL, NULL,
				      NULL),
			 SQLITE_OK);
}

/* A bytes contract bound to addr (soft 1 MB, hard 2 MB, expiry a day). */
static uint64_t contract(struct fix *f, uint8_t method, const char *addr)
{
	struct muispd *md = f->md;
	struct contract_rec r;
	struct live *l;

	memset(&r, 0, sizeof(r));
	r.serial = ++md->contract_seq;
	r.state = CS_UNBOUND;
	r.metric = MP_METRIC_BYTES;
	r.method = method;
	r.soft = 1000000;
	r.hard = 2000000;
	r.deposit = 20;
	r.price = 10;
	r.unit = 1000000;
	r.issued = r.usage_at = T0 - 100;
	r.expiry = T0 + 86400;
	snprintf(r.payref, sizeof(r.payref), "test");
	assert_int_equal(session_sign_receipt(md, &r), 0);
	assert_int_equal(store_begin(md->st), 0);
	assert_int_equal(store_serial_note(md->st, "contract", r.serial), 0);
	assert_int_equal(store_contract_put(md->st, &r), 0);
	assert_int_equal(store_commit(md->st), 0);
	l = live_add(md, &r);
	assert_non_null(l);
	assert_int_equal(session_bind(md, l, addr, T0), 0);
	assert_int_equal(session_step(l, CE_START, 0, T0), 0);
	assert_int_equal(session_persist(md, l), 0);
	return r.serial;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct muispd_conf conf;
	struct radius_conf *rc = &conf.radius;

	if (!f)
		return -1;
	if (muispd_fix_conf(f->dir, sizeof(f->dir), "dae", &conf))
		return -1;
	memset(rc, 0, sizeof(*rc));
	snprintf(rc->nas_identifier, sizeof(rc->nas_identifier), "muisp-nas");
	snprintf(rc->dae_listen, sizeof(rc->dae_listen), "127.0.0.1:0");
	snprintf(rc->dae[0].addr, sizeof(rc->dae[0].addr), "127.0.0.1");
	memcpy(rc->dae[0].secret, SECRET, strlen(SECRET));
	rc->dae[0].seclen = strlen(SECRET);
	snprintf(rc->dae[1].addr, sizeof(rc->dae[1].addr), "::1");
	memcpy(rc->dae[1].secret, "v6-secret", 9);
	rc->dae[1].seclen = 9;
	rc->ndae = 2;
	rc->dae_window_s = 300;
	if (muispd_fix_open(&f->md, &conf, T0) || dae_open(f->md))
		return -1;
	store_test_fail = 0;
	f->alice = contract(f, MP_METHOD_CASH, ALICE);
	acct_row(f, SID_A, f->alice, ALICE, "02-00-00-00-00-01", "alice");
	f->bob = contract(f, MP_METHOD_CASH, BOB);
	acct_row(f, SID_B, f->bob, BOB, "02-00-00-00-00-02",
		 "u@partner.example");
	F = f;
	*state = f;
	return 0;
}

MUISPD_FIX_TEARDOWN

/* ---- requests ---- */

static void start(struct rad_buf *b, uint8_t code)
{
	rad_init(b, code, ++F->id);
}

static void sign(struct rad_buf *b, int ma)
{
	assert_int_equal(rad_finish_request(b, (const uint8_t *)SECRET,
					    strlen(SECRET), ma),
			 0);
}

static struct sockaddr_in from(const char *ip, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return s;
}

/* Send b from 127.0.0.1: 1 and the reply parsed into *p (kept in *out),
 * or 0 (dropped). */
static int handle_from(const struct rad_buf *b, const char *ip,
		       struct rad_buf *out, struct rad_pkt *p)
{
	struct sockaddr_in s = from(ip, 40000);
	int r = dae_handle(F->md, b->b, b->len, &s, sizeof(s), out);

	if (r)
		assert_int_equal(rad_parse(out->b, out->len, p), 0);
	return r;
}

static int handle(const struct rad_buf *b, struct rad_buf *out,
		  struct rad_pkt *p)
{
	return handle_from(b, "127.0.0.1", out, p);
}

/* The reply is an ACK/NAK to b, signed, Error-Cause as given (0 none). */
static void answered(const struct rad_buf *b, const struct rad_pkt *p,
		     uint8_t code, uint32_t cause)
{
	uint32_t ec;

	assert_int_equal(p->code, code);
	assert_int_equal(p->id, b->b[1]);
	assert_int_equal(rad_verify_reply(p, b->b + 4, (const uint8_t *)SECRET,
					  strlen(SECRET), 0),
			 0);
	if (cause) {
		assert_int_equal(rad_find_u32(p, RAD_ERROR_CAUSE, &ec), 0);
		assert_int_equal(ec, cause);
	} else {
		assert_int_equal(rad_find_u32(p, RAD_ERROR_CAUSE, &ec), -1);
	}
}

/* A request of code with attributes added by fn; its reply's code and
 * Error-Cause. */
static void expect(const struct rad_buf *b, uint8_t code, uint32_t cause)
{
	struct rad_buf out;
	struct rad_pkt p;

	assert_int_equal(handle(b, &out, &p), 1);
	answered(b, &p, code, cause);
}

struct counter_ctx {
	const char *name;
	uint64_t v;
	int found;
};

static void counter_cb(void *arg, const char *name, uint64_t v)
{
	struct counter_ctx *c = arg;

	if (!strcmp(name, c->name)) {
		c->v = v;
		c->found++;
	}
}

static uint64_t counter(const char *name)
{
	struct counter_ctx c = { name, 0, 0 };

	dae_counters(F->md, counter_cb, &c);
	assert_int_equal(c.found, 1);
	return c.v;
}

/* Alice's contract as it was set up: bound, active, its limits. */
static void alice_intact(void)
{
	struct live *l = live_find(F->md, F->alice);
	struct contract_rec r;

	assert_non_null(l);
	assert_int_equal(l->rec.state, CS_ACTIVE);
	assert_string_equal(l->rec.addr, ALICE);
	assert_int_equal(l->rec.hard, 2000000);
	assert_int_equal(l->rec.expiry, T0 + 86400);
	assert_int_equal(store_contract_get(F->md->st, F->alice, &r), 0);
	assert_int_equal(r.state, CS_ACTIVE);
	assert_int_equal(r.hard, 2000000);
	assert_int_equal(r.expiry, T0 + 86400);
	assert_ptr_equal(live_by_addr(F->md, ALICE), l);
}

static void dm_sid(struct rad_buf *b, const char *sid, uint32_t ts)
{
	start(b, RAD_DISCONNECT_REQUEST);
	assert_int_equal(rad_put_str(b, RAD_ACCT_SESSION_ID, sid), 0);
	if (ts)
		assert_int_equal(rad_put_u32(b, RAD_EVENT_TIMESTAMP, ts), 0);
}

/* ---- tests ---- */

/* A Disconnect by Acct-Session-Id ends Alice's contract (settled,
 * unbound); its retransmission gets the same ACK and changes nothing;
 * after 30 s the same bytes are a new request: no session any more. */
static void test_disconnect_live(void **state)
{
	struct rad_buf b, out, out2;
	struct rad_pkt p;
	struct contract_rec r;

	(void)state;
	dm_sid(&b, SID_A, (uint32_t)T0);
	sign(&b, 1);
	assert_int_equal(handle(&b, &out, &p), 1);
	answered(&b, &p, RAD_DISCONNECT_ACK, 0);
	/* the request had a Message-Authenticator: so has the reply */
	assert_int_equal(rad_verify_reply(&p, b.b + 4, (const uint8_t *)SECRET,
					  strlen(SECRET), 1),
			 0);
	assert_null(live_find(F->md, F->alice));
	assert_null(live_by_addr(F->md, ALICE));
	assert_int_equal(store_contract_get(F->md->st, F->alice, &r), 0);
	assert_int_equal(r.state, CS_EXTINGUISHED);
	assert_string_equal(r.addr, "");
	assert_non_null(live_find(F->md, F->bob)); /* not named */
	assert_int_equal(counter("dae.disconnect_acks"), 1);
	assert_int_equal(counter("dae.contracts_ended"), 1);

	/* retransmission within 30 s: the same ACK, byte for byte */
	F->md->clock = T0 + 29;
	assert_int_equal(handle(&b, &out2, &p), 1);
	assert_int_equal(out2.len, out.len);
	assert_memory_equal(out2.b, out.b, out.len);
	assert_int_equal(counter("dae.duplicates"), 1);
	assert_int_equal(counter("dae.disconnect_requests"), 1);
	/* from another port it is another request */
	{
		struct sockaddr_in s = from("127.0.0.1", 40001);

		assert_int_equal(
			dae_handle(F->md, b.b, b.len, &s, sizeof(s), &out2), 1);
		assert_int_equal(rad_parse(out2.b, out2.len, &p), 0);
		answered(&b, &p, RAD_DISCONNECT_NAK, RAD_EC_SESSION_NOT_FOUND);
	}
	/* after 30 s: processed again, the session is gone */
	F->md->clock = T0 + 31;
	assert_int_equal(handle(&b, &out2, &p), 1);
	answered(&b, &p, RAD_DISCONNECT_NAK, RAD_EC_SESSION_NOT_FOUND);
	assert_int_equal(counter("dae.duplicates"), 1);
	assert_int_equal(counter("dae.nak_503"), 2);
	assert_int_equal(counter("dae.contracts_ended"), 1);
}

/* Identification by each attribute, all present must match. */
static void test_matching(void **state)
{
	static const uint8_t alice_ip[4] = { 10, 0, 0, 2 };
	struct rad_buf b;

	(void)state;
	/* User-Name + a MAC written another way: a CoA that changes
	 * nothing (Filter-Id resume on an active contract) */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_USER_NAME, "alice");
	rad_put_str(&b, RAD_CALLING_STATION_ID, "02:00:00:00:00:01");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	/* the same with Bob's MAC: both must match */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_USER_NAME, "alice");
	rad_put_str(&b, RAD_CALLING_STATION_ID, "02-00-00-00-00-02");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_SESSION_NOT_FOUND);
	/* Acct-Multi-Session-Id = the Session-Id without -BINDNO */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_MULTI_SESSION_ID, "5f3a9c01-2a");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_MULTI_SESSION_ID, "5f3a9c01-2");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_SESSION_NOT_FOUND);
	/* Framed-IP-Address = the bound address */
	start(&b, RAD_COA_REQUEST);
	rad_put(&b, RAD_FRAMED_IP_ADDRESS, alice_ip, 4);
	rad_put_str(&b, RAD_USER_NAME, "alice");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	start(&b, RAD_COA_REQUEST);
	rad_put(&b, RAD_FRAMED_IP_ADDRESS, alice_ip, 4);
	rad_put_str(&b, RAD_USER_NAME, "u@partner.example");
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_SESSION_NOT_FOUND);
	/* our NAS-Identifier is fine */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_NAS_IDENTIFIER, "muisp-nas");
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	alice_intact();
	assert_int_equal(counter("dae.coa_acks"), 4);
	assert_int_equal(counter("dae.coa_naks"), 3);
}

/* Each way to be dropped: no reply, its counter, nothing changed. */
static void test_silent_drops(void **state)
{
	struct rad_buf b, out;
	struct rad_pkt p;
	uint8_t ma[18] = { RAD_MESSAGE_AUTHENTICATOR, 18 };

	(void)state;
	/* unknown client */
	dm_sid(&b, SID_A, 0);
	sign(&b, 1);
	assert_int_equal(handle_from(&b, "127.0.0.9", &out, &p), 0);
	assert_int_equal(counter("dae.drop_unknown_client"), 1);
	/* the right client with another client's secret */
	{
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
					   .sin6_port = htons(1) };

		s6.sin6_addr = in6addr_loopback;
		assert_int_equal(dae_handle(F->md, b.b, b.len, &s6, sizeof(s6),
					    &out),
				 0);
		assert_int_equal(counter("dae.drop_bad_authenticator"), 1);
	}
	/* bad secret */
	dm_sid(&b, SID_A, 0);
	assert_int_equal(rad_finish_request(&b, (const uint8_t *)"wrong", 5, 1),
			 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_bad_authenticator"), 2);
	/* one bit of a good request changed */
	dm_sid(&b, SID_A, 0);
	sign(&b, 0);
	b.b[b.len - 1] ^= 1;
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_bad_authenticator"), 3);
	/* malformed: truncated, attribute length 1, length field > datagram */
	dm_sid(&b, SID_A, 0);
	sign(&b, 0);
	b.len -= 1;
	assert_int_equal(handle(&b, &out, &p), 0);
	b.len = 10;
	assert_int_equal(handle(&b, &out, &p), 0);
	start(&b, RAD_DISCONNECT_REQUEST);
	rad_put_raw(&b, "\x01\x01", 2);
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_malformed"), 3);
	/* an Event-Timestamp of 3 octets */
	start(&b, RAD_DISCONNECT_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put(&b, RAD_EVENT_TIMESTAMP, "\x65\x53\xf1", 3);
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_malformed"), 4);
	/* codes other than 40 and 43: an Accounting-Request, a CoA-ACK */
	start(&b, RAD_ACCT_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	start(&b, RAD_COA_ACK);
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_bad_code"), 2);
	/* a wrong Message-Authenticator (the authenticator right) */
	dm_sid(&b, SID_A, 0);
	rad_put_raw(&b, ma, sizeof(ma));
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	/* malformed Message-Authenticator (10 octets) */
	dm_sid(&b, SID_A, 0);
	rad_put_raw(&b, ma, 10);
	b.b[b.len - 9] = 10;
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_bad_message_authenticator"), 2);
	/* required and missing */
	F->md->conf.radius.dae_require_ma = 1;
	dm_sid(&b, SID_A, 0);
	sign(&b, 0);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_bad_message_authenticator"), 3);
	F->md->conf.radius.dae_require_ma = 0;
	/* Event-Timestamp outside the window, either side */
	dm_sid(&b, SID_A, (uint32_t)(T0 - 301));
	sign(&b, 1);
	assert_int_equal(handle(&b, &out, &p), 0);
	dm_sid(&b, SID_A, (uint32_t)(T0 + 301));
	sign(&b, 1);
	assert_int_equal(handle(&b, &out, &p), 0);
	assert_int_equal(counter("dae.drop_event_timestamp"), 2);

	alice_intact();
	assert_int_equal(counter("dae.disconnect_requests"), 0);
	assert_int_equal(counter("dae.disconnect_acks"), 0);
	assert_int_equal(counter("dae.contracts_ended"), 0);

	/* just inside the window (and no window at all): accepted */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_EVENT_TIMESTAMP, (uint32_t)(T0 - 300));
	sign(&b, 1);
	expect(&b, RAD_COA_ACK, 0);
	F->md->conf.radius.dae_window_s = 0;
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_EVENT_TIMESTAMP, 1);
	sign(&b, 1);
	expect(&b, RAD_COA_ACK, 0);
	alice_intact();
}

/* Every Error-Cause, and the contract unchanged after each NAK. */
static void test_error_causes(void **state)
{
	static const uint8_t ip3[3] = { 10, 0, 0 },
			     nas_ip[4] = { 192, 0, 2, 1 };
	struct rad_buf b;

	(void)state;
	/* 401: a CoA attribute in a Disconnect; an attribute we do not act
	 * on; a VSA of another vendor */
	dm_sid(&b, SID_A, 0);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 60);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_UNSUPPORTED_ATTRIBUTE);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_str(&b, 88 /* Framed-Pool */, "x");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_UNSUPPORTED_ATTRIBUTE);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_vsa_u32(&b, 9, 1, 5);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_UNSUPPORTED_ATTRIBUTE);
	/* 402: nothing identifies a session */
	start(&b, RAD_DISCONNECT_REQUEST);
	rad_put_u32(&b, RAD_EVENT_TIMESTAMP, (uint32_t)T0);
	rad_put_str(&b, RAD_NAS_IDENTIFIER, "muisp-nas");
	sign(&b, 1);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_MISSING_ATTRIBUTE);
	/* 403: another NAS-Identifier; a NAS-IP-Address not ours */
	dm_sid(&b, SID_A, 0);
	rad_put_str(&b, RAD_NAS_IDENTIFIER, "other-nas");
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_NAS_ID_MISMATCH);
	snprintf(F->md->conf.radius.nas_ip, sizeof(F->md->conf.radius.nas_ip),
		 "192.0.2.2");
	dm_sid(&b, SID_A, 0);
	rad_put(&b, RAD_NAS_IP_ADDRESS, nas_ip, 4);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_NAS_ID_MISMATCH);
	/* 404: a 3-octet address, an empty User-Name, a name twice */
	dm_sid(&b, SID_A, 0);
	rad_put(&b, RAD_FRAMED_IP_ADDRESS, ip3, 3);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_INVALID_REQUEST);
	dm_sid(&b, SID_A, 0);
	rad_put(&b, RAD_USER_NAME, "", 0);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_INVALID_REQUEST);
	dm_sid(&b, SID_A, 0);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_INVALID_REQUEST);
	/* 405: Service-Type (Authorize Only) */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_SERVICE_TYPE, 17);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_UNSUPPORTED_SERVICE);
	/* 407: Session-Timeout 0, an unknown filter, a quota of 0 */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 0);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_INVALID_ATTRIBUTE_VALUE);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_str(&b, RAD_FILTER_ID, "throttle");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_INVALID_ATTRIBUTE_VALUE);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS,
			0);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_INVALID_ATTRIBUTE_VALUE);
	/* 501: raising a paid (cash) contract's limit or expiry */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS,
			3000000);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_ADMIN_PROHIBITED);
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 2 * 86400);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_ADMIN_PROHIBITED);
	/* ... a lowering and a raising together: nothing applied */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 600);
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK,
			RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 1);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_ADMIN_PROHIBITED);
	/* 503: an unknown session */
	dm_sid(&b, "5f3a9c01-ff-1", 0);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_SESSION_NOT_FOUND);
	/* 508: a CoA naming both contracts (a User-Name both sessions
	 * carry) */
	{
		char sql[] = "UPDATE acct_sessions SET user_name = 'shared'";

		assert_int_equal(sqlite3_exec(store_db(F->md->st), sql, NULL,
					      NULL, NULL),
				 SQLITE_OK);
	}
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_USER_NAME, "shared");
	rad_put_str(&b, RAD_FILTER_ID, "suspend");
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_MULTIPLE_SESSIONS);
	/* 506: the store refuses the change */
	store_test_fail = 1;
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_str(&b, RAD_FILTER_ID, "suspend");
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 600);
	sign(&b, 0);
	expect(&b, RAD_COA_NAK, RAD_EC_RESOURCES_UNAVAILABLE);
	dm_sid(&b, SID_A, 0);
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_NAK, RAD_EC_RESOURCES_UNAVAILABLE);
	store_test_fail = 0;

	alice_intact();
	assert_int_equal(counter("dae.contracts_ended"), 0);
	assert_int_equal(counter("dae.nak_401"), 3);
	assert_int_equal(counter("dae.nak_402"), 1);
	assert_int_equal(counter("dae.nak_403"), 2);
	assert_int_equal(counter("dae.nak_404"), 3);
	assert_int_equal(counter("dae.nak_405"), 1);
	assert_int_equal(counter("dae.nak_407"), 3);
	assert_int_equal(counter("dae.nak_501"), 3);
	assert_int_equal(counter("dae.nak_503"), 1);
	assert_int_equal(counter("dae.nak_506"), 2);
	assert_int_equal(counter("dae.nak_508"), 1);

	/* a Disconnect may end both (every match) */
	start(&b, RAD_DISCONNECT_REQUEST);
	rad_put_str(&b, RAD_USER_NAME, "shared");
	sign(&b, 0);
	expect(&b, RAD_DISCONNECT_ACK, 0);
	assert_int_equal(F->md->nlives, 0);
	assert_int_equal(counter("dae.contracts_ended"), 2);
}

/* CoA on live contracts: expiry, hard limit (lowered on a voucher,
 * raised on a roaming contract), suspend and resume; Proxy-State and
 * State echoed in order. */
static void test_coa_live(void **state)
{
	struct rad_buf b, out;
	struct rad_pkt p;
	struct contract_rec r;
	struct live *l;
	size_t off = 0, n;
	const uint8_t *v;
	uint8_t t;
	unsigned k = 0;

	(void)state;
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_PROXY_STATE, "first");
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 600);
	rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS,
			500000);
	rad_put_str(&b, RAD_FILTER_ID, "suspend");
	rad_put_str(&b, RAD_STATE, "st");
	rad_put_str(&b, RAD_PROXY_STATE, "second");
	sign(&b, 1);
	assert_int_equal(handle(&b, &out, &p), 1);
	answered(&b, &p, RAD_COA_ACK, 0);
	while (rad_next(&p, &off, &t, &v, &n) == 0) {
		static const char *const want[] = { "first", "st", "second" };

		if (t == RAD_MESSAGE_AUTHENTICATOR)
			continue;
		assert_true(k < 3);
		assert_int_equal(t, k == 1 ? RAD_STATE : RAD_PROXY_STATE);
		assert_int_equal(n, strlen(want[k]));
		assert_memory_equal(v, want[k], n);
		k++;
	}
	assert_int_equal(k, 3);
	l = live_find(F->md, F->alice);
	assert_non_null(l);
	/* the session started at T0 - 100 */
	assert_int_equal(l->rec.expiry, T0 - 100 + 600);
	assert_int_equal(l->rec.hard, 500000);
	assert_int_equal(l->rec.soft, 500000);
	assert_int_equal(l->rec.state, CS_SUSPENDED);
	assert_int_equal(store_contract_get(F->md->st, F->alice, &r), 0);
	assert_int_equal(r.expiry, T0 + 500);
	assert_int_equal(r.hard, 500000);
	assert_int_equal(r.state, CS_SUSPENDED);
	/* resume */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_A);
	rad_put_str(&b, RAD_FILTER_ID, "resume");
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	assert_int_equal(live_find(F->md, F->alice)->rec.state, CS_ACTIVE);

	/* Bob's limit lowered by Mikrotik-Total-Limit(-Gigawords) */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_USER_NAME, "u@partner.example");
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT,
			1500000);
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK,
			RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 0);
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	l = live_find(F->md, F->bob);
	assert_int_equal(l->rec.hard, 1500000);
	assert_int_equal(l->rec.soft, 1000000);
	assert_int_equal(l->rec.expiry, T0 + 86400);
	assert_int_equal(store_contract_get(F->md->st, F->bob, &r), 0);
	assert_int_equal(r.hard, 1500000);

	/* a Session-Timeout already past: extinguished at once */
	start(&b, RAD_COA_REQUEST);
	rad_put_str(&b, RAD_ACCT_SESSION_ID, SID_B);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 50);
	sign(&b, 0);
	expect(&b, RAD_COA_ACK, 0);
	assert_null(live_find(F->md, F->bob));
	assert_int_equal(store_contract_get(F->md->st, F->bob, &r), 0);
	assert_int_equal(r.state, CS_EXTINGUISHED);
	assert_int_equal(counter("dae.coa_acks"), 4);
}

/* The real socket on the loop: a datagram in, the ACK out. */
static void test_socket(void **state)
{
	struct muispd *md = F->md;
	struct sockaddr_in to = from("127.0.0.1", 0), me;
	socklen_t tl = sizeof(to);
	struct rad_buf b, rep;
	struct rad_pkt p;
	struct pollfd pf;
	int s, probe;
	ssize_t n;

	(void)state;
	/* a free port, then the listener moved there by a reload */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(probe >= 0);
	assert_int_equal(bind(probe, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&to, &tl), 0);
	close(probe);
	snprintf(md->conf.radius.dae_listen, sizeof(md->conf.radius.dae_listen),
		 "127.0.0.1:%u", ntohs(to.sin_port));
	assert_int_equal(dae_reconf(md), 0);
	/* a listen address that does not parse keeps the old socket */
	snprintf(md->conf.radius.dae_listen, sizeof(md->conf.radius.dae_listen),
		 "nonsense:x");
	assert_int_equal(dae_reconf(md), -1);
	snprintf(md->conf.radius.dae_listen, sizeof(md->conf.radius.dae_listen),
		 "127.0.0.1:%u", ntohs(to.sin_port));

	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	me = from("127.0.0.1", 0);
	assert_int_equal(bind(s, (struct sockaddr *)&me, sizeof(me)), 0);
	dm_sid(&b, SID_A, (uint32_t)T0);
	sign(&b, 1);
	assert_int_equal(sendto(s, b.b, b.len, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)b.len);
	/* the loop reads it (the datagram is queued: no waiting) */
	assert_true(sd_event_run(md->ev, 2000000) > 0);
	pf.fd = s;
	pf.events = POLLIN;
	assert_int_equal(poll(&pf, 1, 2000), 1);
	n = recv(s, rep.b, sizeof(rep.b), 0);
	assert_true(n > 0);
	assert_int_equal(rad_parse(rep.b, (size_t)n, &p), 0);
	answered(&b, &p, RAD_DISCONNECT_ACK, 0);
	assert_null(live_find(md, F->alice));
	close(s);
	/* no listen address: closed */
	md->conf.radius.dae_listen[0] = '\0';
	assert_int_equal(dae_reconf(md), 0);
	assert_null(md->dae);
}

/* ---- a Disconnect waiting for an online capture ---- */

static struct {
	payment_done_fn done;
	void *arg;
} capture;

static void held_capture(const struct payment_method *self,
			 const struct contract_rec *c, uint64_t refund,
			 payment_done_fn done, void *arg)
{
	capture.done = done;
	capture.arg = arg;
}

static int no_refund(const struct payment_method *self, struct store *st,
		     const struct contract_rec *c, uint64_t refund,
		     uint64_t now, struct statement *s)
{
	return 0;
}

static const struct payment_method held_online = {
	.id = MP_METHOD_ONLINE,
	.name = "online",
	.capture = held_capture,
	.refund = no_refund,
};

/* The ACK comes once the capture answered and the contract is settled
 * (unbound); meanwhile a retransmission gets nothing and changes nothing;
 * a capture that fails gives NAK 506. */
static void test_disconnect_settling(void **state)
{
	struct muispd *md = F->md;
	struct sockaddr_in me = from("127.0.0.1", 0);
	socklen_t ml = sizeof(me);
	struct rad_buf b, out;
	struct rad_pkt p;
	struct contract_rec r;
	uint64_t carol, dave;
	ssize_t n;
	int s;

	(void)state;
	assert_int_equal(payment_register(&md->pay, &held_online), 0);
	carol = contract(F, MP_METHOD_ONLINE, "10.0.0.7");
	acct_row(F, "5f3a9c01-2c-1", carol, "10.0.0.7", "", "carol");
	dave = contract(F, MP_METHOD_ONLINE, "10.0.0.8");
	acct_row(F, "5f3a9c01-2d-1", dave, "10.0.0.8", "", "dave");
	/* the client's own socket: the late answer goes there */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&me, &ml), 0);

	memset(&capture, 0, sizeof(capture));
	dm_sid(&b, "5f3a9c01-2c-1", 0);
	sign(&b, 1);
	assert_int_equal(dae_handle(md, b.b, b.len, &me, sizeof(me), &out), 0);
	assert_non_null(capture.done);
	assert_int_equal(live_find(md, carol)->rec.state, CS_IN_SETTLEMENT);
	/* retransmitted while settling: nothing, no second settlement */
	assert_int_equal(dae_handle(md, b.b, b.len, &me, sizeof(me), &out), 0);
	assert_int_equal(counter("dae.duplicates"), 1);
	dae_settled(md);
	assert_true(recv(s, out.b, sizeof(out.b), 0) < 0);
	assert_int_equal(counter("dae.disconnect_acks"), 0);
	/* the provider answers: settled, then the ACK */
	capture.done(capture.arg, 0, NULL);
	assert_null(live_find(md, carol));
	assert_int_equal(store_contract_get(md->st, carol, &r), 0);
	assert_int_equal(r.state, CS_EXTINGUISHED);
	dae_settled(md);
	n = recv(s, out.b, sizeof(out.b), 0);
	assert_true(n > 0);
	assert_int_equal(rad_parse(out.b, (size_t)n, &p), 0);
	answered(&b, &p, RAD_DISCONNECT_ACK, 0);
	assert_int_equal(counter("dae.disconnect_acks"), 1);
	/* now the retransmission gets that ACK */
	assert_int_equal(dae_handle(md, b.b, b.len, &me, sizeof(me), &out), 1);
	assert_int_equal(out.len, (size_t)n);

	/* a capture that fails: the contract stays in settlement, NAK 506 */
	memset(&capture, 0, sizeof(capture));
	dm_sid(&b, "5f3a9c01-2d-1", 0);
	sign(&b, 0);
	assert_int_equal(dae_handle(md, b.b, b.len, &me, sizeof(me), &out), 0);
	capture.done(capture.arg, -1, "declined");
	assert_int_equal(live_find(md, dave)->rec.state, CS_IN_SETTLEMENT);
	dae_settled(md);
	n = recv(s, out.b, sizeof(out.b), 0);
	assert_true(n > 0);
	assert_int_equal(rad_parse(out.b, (size_t)n, &p), 0);
	answered(&b, &p, RAD_DISCONNECT_NAK, RAD_EC_RESOURCES_UNAVAILABLE);
	close(s);
}

/* ---- dae_decide alone, on a fake session table ---- */

struct table {
	struct dae_sess s[DAE_MAX_MATCH + 2];
	unsigned n;
	int fail;
};

static int table_each(void *arg, int (*fn)(void *, const struct dae_sess *),
		      void *fnarg)
{
	struct table *t = arg;

	if (t->fail)
		return -1;
	for (unsigned i = 0; i < t->n; i++)
		if (fn(fnarg, &t->s[i]))
			break;
	return 0;
}

static void sess(struct table *t, uint8_t method, const char *addr,
		 const char *user)
{
	struct dae_sess *s = &t->s[t->n];

	memset(s, 0, sizeof(*s));
	s->serial = 100 + t->n;
	s->state = CS_ACTIVE;
	s->metric = MP_METRIC_BYTES;
	s->method = method;
	s->soft = 1000;
	s->hard = 2000;
	s->expiry = T0 + 3600;
	s->started = T0 - 10;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	snprintf(s->sid, sizeof(s->sid), "0badcafe-%x-1", t->n);
	snprintf(s->user_name, sizeof(s->user_name), "%s", user);
	t->n++;
}

static void test_decide_pure(void **state)
{
	static struct table t;
	struct radius_conf conf;
	const struct dae_ops ops = { &t, table_each };
	const struct dae_ctx ctx = { &conf, "nas", "", &ops };
	uint8_t v6[16];
	struct dae_action a;
	struct rad_buf b;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.dae[0].addr, sizeof(conf.dae[0].addr), "192.0.2.7");
	memcpy(conf.dae[0].secret, SECRET, strlen(SECRET));
	conf.dae[0].seclen = strlen(SECRET);
	conf.ndae = 1;
	sess(&t, MP_METHOD_ROAM, "10.0.0.5", "u@partner.example");
	sess(&t, MP_METHOD_CASH, "2001:db8::5", "cash-2");

	/* a roaming contract's limits may be raised: quota from
	 * Mikrotik-Total-Limit + Gigawords, expiry from its Start */
	rad_init(&b, RAD_COA_REQUEST, 1);
	rad_put_str(&b, RAD_USER_NAME, "u@partner.example");
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, 7);
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK,
			RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 5);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 86400);
	sign(&b, 0);
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.drop, DAE_OK);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.nmatch, 1);
	assert_int_equal(a.serial[0], 100);
	assert_true(a.set_hard && a.set_expiry);
	assert_int_equal(a.hard, (5ull << 32) + 7);
	assert_int_equal(a.expiry, T0 - 10 + 86400);
	/* ChilliSpot and Mikrotik together: the smaller */
	rad_init(&b, RAD_COA_REQUEST, 4);
	rad_put_str(&b, RAD_USER_NAME, "u@partner.example");
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, 7);
	rad_put_vsa_u32(&b, RAD_VENDOR_MIKROTIK,
			RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 1);
	rad_put_vsa_u32(&b, RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS,
			3000);
	sign(&b, 0);
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.hard, 3000);
	/* the same on the cash contract (by Framed-IPv6-Address): 501 */
	rad_init(&b, RAD_COA_REQUEST, 2);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", v6), 1);
	rad_put(&b, RAD_FRAMED_IPV6_ADDRESS, v6, 16);
	rad_put_u32(&b, RAD_SESSION_TIMEOUT, 86400);
	sign(&b, 0);
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.error, RAD_EC_ADMIN_PROHIBITED);
	assert_int_equal(a.nmatch, 0);
	assert_false(a.set_expiry);
	/* the sessions cannot be read: 506 */
	t.fail = 1;
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.error, RAD_EC_RESOURCES_UNAVAILABLE);
	t.fail = 0;
	/* a Disconnect of every session of a name: up to 64, then 508 */
	t.n = 0;
	for (unsigned i = 0; i < DAE_MAX_MATCH; i++)
		sess(&t, MP_METHOD_CASH, "10.0.1.1", "many");
	rad_init(&b, RAD_DISCONNECT_REQUEST, 3);
	rad_put_str(&b, RAD_USER_NAME, "many");
	sign(&b, 0);
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.error, 0);
	assert_int_equal(a.nmatch, DAE_MAX_MATCH);
	assert_int_equal(a.serial[DAE_MAX_MATCH - 1], 100 + DAE_MAX_MATCH - 1);
	sess(&t, MP_METHOD_CASH, "10.0.1.1", "many");
	dae_decide(&ctx, "192.0.2.7", b.b, b.len, T0, &a);
	assert_int_equal(a.error, RAD_EC_MULTIPLE_SESSIONS);
	/* an IPv6 source is not the IPv4 client */
	dae_decide(&ctx, "::ffff:192.0.2.8", b.b, b.len, T0, &a);
	assert_int_equal(a.drop, DAE_DROP_CLIENT);
	dae_decide(&ctx, "not an address", b.b, b.len, T0, &a);
	assert_int_equal(a.drop, DAE_DROP_CLIENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MUISPD_FIX_TEST(test_disconnect_live),
		MUISPD_FIX_TEST(test_matching),
		MUISPD_FIX_TEST(test_silent_drops),
		MUISPD_FIX_TEST(test_error_causes),
		MUISPD_FIX_TEST(test_coa_live),
		MUISPD_FIX_TEST(test_socket),
		MUISPD_FIX_TEST(test_disconnect_settling),
		cmocka_unit_test(test_decide_pure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
