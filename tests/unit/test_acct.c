// SPDX-License-Identifier: GPL-2.0
/*
 * RADIUS accounting records (daemon/muispd/acct.c) on the in-process
 * muispd core (a temporary store, kernel "none", a fixed clock, an
 * accounting server configured but no sender): every way a session ends
 * goes through its real code path, and the record spooled is read back
 * from acct_spool and parsed with lib/radius.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "daemon/muispd/acct.h"
#include "daemon/muispd/dae.h"
#include "daemon/muispd/muispd.h"
#include "daemon/muispd/payment_radius.h"
#include "ike_watch.h"
#include "radius.h"
#include "tests/unit/muispd_fix.h"
#include "uapi/muisp.h"

struct fix {
	char dir[64];
	struct muispd *md;
	struct conn *op;
	uint32_t serial;
	int64_t seen; /* spool rows read so far (id) */
	/* alice_up's session */
	struct conn *c;
	struct mp_msg rcpt;
	char sid[48];
	uint64_t contract;
};

/* A spooled record, parsed. */
struct rec {
	char sid[48];
	int status;
	uint64_t ts;
	uint8_t b[RAD_MAX_LEN];
	struct rad_pkt p;
};

static void conf_acct(struct muispd_conf *conf, int acct)
{
	static const struct price prices[] = {
		{ MP_METRIC_BYTES, MP_METHOD_VOUCHER, 0, 1, 1000000 },
		{ MP_METRIC_BYTES, MP_METHOD_VOUCHER, 1, 1, 1000000 },
	};

	conf->warn_interval_s = 1;
	conf->warn_tries = 1;
	memcpy(conf->prices, prices, sizeof(prices));
	conf->nprices = 2;
	if (acct) {
		conf->radius.nacct = 1;
		snprintf(conf->radius.acct[0].addr,
			 sizeof(conf->radius.acct[0].addr), "127.0.0.1:9");
		snprintf(conf->radius.nas_identifier,
			 sizeof(conf->radius.nas_identifier), "hotspot-1");
		snprintf(conf->radius.nas_ip, sizeof(conf->radius.nas_ip),
			 "192.0.2.1");
		conf->radius.interim_s = 10;
		conf->radius.interim_min_s = 2;
		conf->radius.interim_jitter_s = 0;
		conf->radius.stop_wait_s = 0; /* no server: no flush */
	}
}

static int open_md(struct fix *f, const struct muispd_conf *conf, uint64_t now)
{
	if (muispd_fix_open(&f->md, conf, now))
		return -1;
	f->op = conn_new(f->md, -1, CONN_OP, "operator");
	return f->op ? 0 : -1;
}

static int setup_with(void **state, int acct)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct muispd_conf conf;

	if (!f)
		return -1;
	if (muispd_fix_conf(f->dir, sizeof(f->dir), "acct", &conf))
		return -1;
	conf_acct(&conf, acct);
	store_test_fail = kernel_test_fail_unbind = 0;
	kernel_test_refuse_bind = kernel_test_lost = 0;
	memset(&kernel_test_tunnel, 0, sizeof(kernel_test_tunnel));
	*state = f;
	return open_md(f, &conf, T0);
}

static int setup(void **state)
{
	return setup_with(state, 1);
}

static int setup_off(void **state)
{
	return setup_with(state, 0);
}

MUISPD_FIX_TEARDOWN

/* muispd gone without its clean stop (a crash: the store as it was) and
 * started again at now. */
static void crash(struct fix *f, uint64_t now)
{
	struct muispd_conf conf = f->md->conf;

	muispd_fix_close(f->md, NULL);
	assert_int_equal(open_md(f, &conf, now), 0);
}

/* ---------- the control channel ---------- */

static struct conn *user(struct fix *f, const char *addr)
{
	struct conn *c = conn_new(f->md, -1, CONN_USER, addr);

	assert_non_null(c);
	c->state = C_OPEN;
	return c;
}

/* Send m on c; the reply of type TYPE (or any with TYPE 0) in *out. */
static void call(struct fix *f, struct conn *c, struct mp_msg *m, uint8_t type,
		 struct mp_msg *out)
{
	muispd_fix_feed(f->md, c, m);
	do /* warnings (asynchronous) skipped */
		muispd_fix_next(c, out);
	while (out->flags & MP_F_ASYNC);
	if (type && out->type != type)
		fail_msg("reply %u, not %u: %s", out->type, type,
			 out->s[MP_A_MESSAGE]);
}

static void msg(struct fix *f, struct mp_msg *m, uint8_t type)
{
	mp_init(m, type, 0, ++f->serial);
}

/* A command naming a contract, its STATUS (or STATEMENT) reply. */
static void cmd(struct fix *f, struct conn *c, uint8_t type, uint64_t serial,
		uint8_t want)
{
	struct mp_msg m, r;

	msg(f, &m, type);
	mp_set_u(&m, MP_A_SERIAL, serial);
	call(f, c, &m, want, &r);
}

/* A voucher, an offer, a quote for a bytes contract of privacy P with
 * hard limit HARD, the deposit: its reply (of type WANT; the receipt) in
 * *rcpt, the code in code. */
static uint64_t purchase(struct fix *f, struct conn *c, uint64_t hard,
			 uint8_t p, char *code, uint8_t want,
			 struct mp_msg *rcpt)
{
	struct mp_msg m, r;

	msg(f, &m, MP_T_OP_VOUCHER_ISSUE);
	mp_set_u(&m, MP_A_AMOUNT, 1000000);
	call(f, f->op, &m, MP_T_OP_VOUCHER, &r);
	strcpy(code, r.s[MP_A_CODE]);
	msg(f, &m, MP_T_OFFER_GET);
	call(f, c, &m, MP_T_OFFER, &r);
	msg(f, &m, MP_T_REQUEST);
	mp_set_u(&m, MP_A_OFFER_SERIAL, r.u[MP_A_OFFER_SERIAL]);
	mp_set_u(&m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&m, MP_A_PRIVACY, p);
	mp_set_u(&m, MP_A_SOFT, hard / 2);
	mp_set_u(&m, MP_A_HARD, hard);
	call(f, c, &m, MP_T_QUOTE, &r);
	msg(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, r.u[MP_A_SERIAL]);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_s(&m, MP_A_PAYMENT, code);
	call(f, c, &m, want, rcpt);
	return rcpt->u[MP_A_SERIAL];
}

/* Bought, bound at c's address and started: its serial.  START is a
 * limit event: an Interim at the next tick. */
static uint64_t buy_start(struct fix *f, struct conn *c, uint64_t hard,
			  char *code, struct mp_msg *rcpt)
{
	uint64_t serial = purchase(f, c, hard, 0, code, MP_T_RECEIPT, rcpt);

	cmd(f, c, MP_T_START, serial, MP_T_STATUS);
	return serial;
}

static void usage_add(struct fix *f, uint64_t serial, uint64_t n)
{
	struct mp_msg m, r;

	msg(f, &m, MP_T_OP_USAGE_ADD);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_USAGE, n);
	call(f, f->op, &m, 0, &r);
}

static void bind_receipt(struct fix *f, struct conn *c,
			 const struct mp_msg *rcpt, uint8_t want)
{
	struct mp_msg m, r;

	msg(f, &m, MP_T_BIND);
	mp_set_bytes(&m, MP_A_RECEIPT, rcpt->bytes, rcpt->bytes_len);
	call(f, c, &m, want, &r);
}

/* ---------- the spool ---------- */

/* The next spooled record after those seen: 0, or 1 none. */
static int next_rec(struct fix *f, struct rec *r)
{
	sqlite3_stmt *s;
	const void *a;
	size_t n;
	int rc;

	assert_int_equal(sqlite3_prepare_v2(store_db(f->md->st),
					    "SELECT id, sid, status, event_ts,"
					    " attrs FROM acct_spool WHERE"
					    " id > ? ORDER BY id LIMIT 1;",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, f->seen);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		assert_int_equal(rc, SQLITE_DONE);
		sqlite3_finalize(s);
		return 1;
	}
	memset(r, 0, sizeof(*r));
	f->seen = sqlite3_column_int64(s, 0);
	snprintf(r->sid, sizeof(r->sid), "%s", sqlite3_column_text(s, 1));
	r->status = sqlite3_column_int(s, 2);
	r->ts = (uint64_t)sqlite3_column_int64(s, 3);
	a = sqlite3_column_blob(s, 4);
	n = (size_t)sqlite3_column_bytes(s, 4);
	assert_true(n + RAD_HDR_LEN <= sizeof(r->b));
	/* the sender's header around the frozen attributes */
	r->b[0] = RAD_ACCT_REQUEST;
	r->b[2] = (uint8_t)((n + RAD_HDR_LEN) >> 8);
	r->b[3] = (uint8_t)(n + RAD_HDR_LEN);
	memcpy(r->b + RAD_HDR_LEN, a, n);
	sqlite3_finalize(s);
	assert_int_equal(rad_parse(r->b, n + RAD_HDR_LEN, &r->p), 0);
	return 0;
}

static uint32_t u32(const struct rec *r, uint8_t type)
{
	uint32_t v = 0;

	if (rad_find_u32(&r->p, type, &v))
		fail_msg("attribute %u missing", type);
	return v;
}

static int has(const struct rec *r, uint8_t type)
{
	const uint8_t *v;
	size_t n;

	return rad_find(&r->p, type, &v, &n) == 0;
}

static void str_is(const struct rec *r, uint8_t type, const char *want)
{
	const uint8_t *v;
	size_t n;

	assert_int_equal(rad_find(&r->p, type, &v, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

/* The next record is STATUS (of sid, "" any); returned in *r. */
static void expect(struct fix *f, int status, const char *sid, struct rec *r)
{
	if (next_rec(f, r))
		fail_msg("no record (status %d expected)", status);
	assert_int_equal(r->status, status);
	assert_int_equal(u32(r, RAD_ACCT_STATUS_TYPE), status);
	assert_int_equal(u32(r, RAD_EVENT_TIMESTAMP), r->ts);
	/* frozen: the sender adds these */
	assert_false(has(r, RAD_ACCT_DELAY_TIME));
	assert_false(has(r, RAD_MESSAGE_AUTHENTICATOR));
	if (status == RAD_STATUS_ACCT_ON || status == RAD_STATUS_ACCT_OFF) {
		assert_string_equal(r->sid, "");
		str_is(r, RAD_NAS_IDENTIFIER, "hotspot-1");
		return;
	}
	if (sid && sid[0])
		assert_string_equal(r->sid, sid);
	str_is(r, RAD_ACCT_SESSION_ID, r->sid);
}

static void none_left(struct fix *f)
{
	struct rec r;

	if (!next_rec(f, &r))
		fail_msg("unexpected record: status %d of '%s'", r.status,
			 r.sid);
}

/* A Stop of sid with CAUSE: its record. */
static void expect_stop(struct fix *f, const char *sid, uint32_t cause,
			struct rec *r)
{
	expect(f, RAD_STATUS_STOP, sid, r);
	assert_int_equal(u32(r, RAD_ACCT_TERMINATE_CAUSE), cause);
	assert_true(has(r, RAD_ACCT_SESSION_TIME));
	assert_true(has(r, RAD_ACCT_INPUT_OCTETS));
}

/* The Start of the contract's open session: its id in sid, the record
 * in *r. */
static void start_rec(struct fix *f, uint64_t serial, const char *addr,
		      char *sid, struct rec *r)
{
	struct acct_session s;
	uint32_t a;

	assert_int_equal(acct_session_open(f->md->st, serial, &s), 0);
	expect(f, RAD_STATUS_START, s.sid, r);
	assert_string_equal(s.addr, addr);
	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	assert_int_equal(u32(r, RAD_FRAMED_IP_ADDRESS), ntohl(a));
	assert_false(has(r, RAD_ACCT_TERMINATE_CAUSE));
	assert_false(has(r, RAD_ACCT_INPUT_OCTETS));
	strcpy(sid, s.sid);
}

static void expect_start(struct fix *f, uint64_t serial, const char *addr,
			 char *sid)
{
	struct rec r;

	start_rec(f, serial, addr, sid, &r);
}

/* Skip to the last record seen (setup's Accounting-On, etc.). */
static void skip_all(struct fix *f)
{
	struct rec r;

	while (!next_rec(f, &r))
		;
}

/* Spool read to its end, then a contract bought, bound at c's address
 * and started: its serial, its session's id in sid (checked Start). */
static uint64_t session_up(struct fix *f, struct conn *c, uint64_t hard,
			   char *sid, struct mp_msg *rcpt)
{
	char code[32];
	uint64_t serial;

	skip_all(f);
	serial = buy_start(f, c, hard, code, rcpt);
	expect_start(f, serial, c->addr, sid);
	return serial;
}

/* The opening of most tests: alice connected, her contract (hard limit
 * hard) bought, bound and started (f->c, f->rcpt, f->sid, f->contract). */
static struct fix *alice_up(void **state, uint64_t hard)
{
	struct fix *f = *state;

	f->c = user(f, ALICE);
	f->contract = session_up(f, f->c, hard, f->sid, &f->rcpt);
	return f;
}

/* ---------- tests ---------- */

/* Buy, bind, use, terminate: Accounting-On at the first start, Start
 * with the session's attributes, Stop with the counters and cause 1. */
static void test_start_stop(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct acct_session s;
	struct mp_msg rcpt;
	struct rec r;
	char code[32], sid[48], want[48], multi[32], user1[16];
	uint64_t serial;

	expect(f, RAD_STATUS_ACCT_ON, "", &r);
	none_left(f);
	serial = buy_start(f, c, 10000000, code, &rcpt);
	start_rec(f, serial, ALICE, sid, &r);
	/* INST-SERIALHEX-BINDNO; Multi: INST-SERIALHEX */
	assert_int_equal(acct_session_get(f->md->st, sid, &s), 0);
	snprintf(want, sizeof(want), "%.8s-%llx-1", sid,
		 (unsigned long long)serial);
	assert_string_equal(sid, want);
	snprintf(multi, sizeof(multi), "%.8s-%llx", sid,
		 (unsigned long long)serial);
	str_is(&r, RAD_ACCT_MULTI_SESSION_ID, multi);
	/* voucher: the code's first half, never the second */
	snprintf(user1, sizeof(user1), "%.9s", code);
	str_is(&r, RAD_USER_NAME, user1);
	assert_null(memmem(r.b, sizeof(r.b), code + 10, 9));
	assert_int_equal(u32(&r, RAD_NAS_PORT_TYPE), 5);
	assert_int_equal(u32(&r, RAD_ACCT_AUTHENTIC), 2);
	assert_int_equal(u32(&r, RAD_NAS_IP_ADDRESS), 0xc0000201);
	str_is(&r, RAD_NAS_IDENTIFIER, "hotspot-1");
	assert_false(has(&r, RAD_CALLING_STATION_ID)); /* kernel no */
	assert_int_equal(r.ts, T0);

	usage_add(f, serial, 123456);
	f->md->clock = T0 + 5;
	cmd(f, c, MP_T_TERMINATE, serial, MP_T_STATEMENT);
	expect_stop(f, sid, RAD_TERM_USER_REQUEST, &r);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 123456);
	assert_int_equal(u32(&r, RAD_ACCT_OUTPUT_OCTETS), 0);
	assert_int_equal(u32(&r, RAD_ACCT_SESSION_TIME), 5);
	assert_false(has(&r, RAD_ACCT_INPUT_GIGAWORDS));
	assert_int_equal(r.ts, T0 + 5);
	none_left(f);
	assert_int_equal(acct_session_get(f->md->st, sid, &s), 0);
	assert_int_equal(s.stopped, T0 + 5);
	assert_int_equal(s.cause, RAD_TERM_USER_REQUEST);
	assert_int_equal(acct_session_open(f->md->st, serial, &s), 1);
}

/* A user of a multi-user host (their agent named the connection
 * "7@ADDRESS", uinfo.c): User-Name is that user, Framed-IP-Address the
 * host's address. */
static void test_host_user(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct acct_session s;
	struct mp_msg rcpt;
	struct rec r;
	char code[32];
	uint64_t serial;
	uint32_t a;

	snprintf(c->addr, sizeof(c->addr), "7@%s", ALICE);
	c->identified = 1;
	skip_all(f);
	serial = buy_start(f, c, 10000000, code, &rcpt);
	assert_int_equal(acct_session_open(f->md->st, serial, &s), 0);
	expect(f, RAD_STATUS_START, s.sid, &r);
	assert_string_equal(s.addr, "7@" ALICE);
	str_is(&r, RAD_USER_NAME, "7@" ALICE);
	assert_int_equal(inet_pton(AF_INET, ALICE, &a), 1);
	assert_int_equal(u32(&r, RAD_FRAMED_IP_ADDRESS), ntohl(a));
}

/* An establishment rolled back (the module refuses the address): its
 * Start rolls back with it. */
static void test_rollback(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg r;
	char code[32];

	skip_all(f);
	kernel_test_refuse_bind = 1;
	purchase(f, c, 2000000, 0, code, MP_T_ERROR, &r);
	assert_int_equal(r.u[MP_A_ERROR], MP_ERR_PERM);
	kernel_test_refuse_bind = 0;
	none_left(f);
	assert_int_equal(f->md->nlives, 0);
}

/* The operator's terminate (6) and unbind (6), then a rebind: a new
 * session of the same contract (bindno 2, same Multi-Session-Id). */
static void test_operator(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct rec r;
	char sid2[48];

	cmd(f, f->op, MP_T_OP_UNBIND, f->contract, MP_T_STATUS);
	expect_stop(f, f->sid, RAD_TERM_ADMIN_RESET, &r);
	none_left(f);
	bind_receipt(f, f->c, &f->rcpt, MP_T_STATUS);
	expect_start(f, f->contract, ALICE, sid2);
	assert_string_not_equal(f->sid, sid2);
	assert_int_equal(strlen(sid2), strlen(f->sid));
	assert_int_equal(sid2[strlen(sid2) - 1], '2');
	cmd(f, f->op, MP_T_OP_CONTRACT_TERMINATE, f->contract, MP_T_STATEMENT);
	expect_stop(f, sid2, RAD_TERM_ADMIN_RESET, &r);
	none_left(f);
}

/* Hard limit (5) and expiry (5), through usage and the tick. */
static void test_limits(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg rcpt;
	struct rec r;
	char code[32], sid[48], sid2[48];
	uint64_t s1, s2;

	s1 = session_up(f, a, 2000000, sid, &rcpt);
	/* the soft limit: an Interim at the next tick */
	usage_add(f, s1, 1500000);
	f->md->clock++;
	session_tick(f->md, f->md->clock);
	expect(f, RAD_STATUS_INTERIM, sid, &r);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 1500000);
	{
		struct mp_msg m, rep;

		msg(f, &m, MP_T_EXTEND);
		mp_set_u(&m, MP_A_SERIAL, s1);
		mp_set_u(&m, MP_A_SOFT, 1900000);
		call(f, a, &m, MP_T_STATUS, &rep);
	}
	usage_add(f, s1, 600000); /* past the hard limit */
	expect_stop(f, sid, RAD_TERM_SESSION_TIMEOUT, &r);
	none_left(f);

	s2 = buy_start(f, b, 2000000, code, &rcpt);
	expect_start(f, s2, BOB, sid2);
	f->md->clock = live_find(f->md, s2)->rec.expiry;
	session_tick(f->md, f->md->clock);
	expect_stop(f, sid2, RAD_TERM_SESSION_TIMEOUT, &r);
	none_left(f);
}

/* Lease gone (2), the receipt used elsewhere and the old address silent
 * (2, then a Start on the new address), the SA of the other protocol
 * (3). */
static void test_unbinds(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	struct kernel_event ev = { .type = KEV_ADDR_RELEASED };
	struct tun_entry e = { .exists = 1, .state = MUISP_ADDR_STATE_BOUND };
	struct mp_msg rcpt, m, rep;
	struct rec r;
	char sid[48], sid2[48];
	uint64_t serial;

	serial = session_up(f, a, 10000000, sid, &rcpt);
	snprintf(ev.addr, sizeof(ev.addr), "%s", ALICE);
	session_kernel_event(&ev, f->md);
	expect_stop(f, sid, RAD_TERM_LOST_CARRIER, &r);
	none_left(f);

	bind_receipt(f, a, &rcpt, MP_T_STATUS);
	expect_start(f, serial, ALICE, sid);
	/* Fig 5: BOB presents the receipt, ALICE does not answer */
	msg(f, &m, MP_T_BIND);
	mp_set_bytes(&m, MP_A_RECEIPT, rcpt.bytes, rcpt.bytes_len);
	call(f, b, &m, 0, &rep);
	for (int i = 0; i < 4 && live_find(f->md, serial)->rec.addr[0]; i++)
		session_tick(f->md, ++f->md->clock);
	expect_stop(f, sid, RAD_TERM_LOST_CARRIER, &r);
	none_left(f);
	bind_receipt(f, b, &rcpt, MP_T_STATUS);
	expect_start(f, serial, BOB, sid2);

	e.contract = serial;
	e.id.proto = IPPROTO_ESP; /* bought AH */
	e.id.spi = 0x200;
	privacy_enforce(f->md, BOB, &e, 0);
	expect_stop(f, sid2, RAD_TERM_LOST_SERVICE, &r);
	none_left(f);
}

/* EAP (a device without muisp-client): its IKE_SA up makes a contract
 * on the voucher, bound and started (Start, User-Name the code's first
 * half); the IKE_SA down ends it: 1. */
static void test_eap(void **state)
{
	struct fix *f = *state;
	struct ike_child ch = { .ike_uniqueid = 9 };
	struct mp_msg m, r;
	struct rec rec;
	struct live *l;
	char code[32], sid[48], user1[16];

	skip_all(f);
	f->md->conf.eap = 1;
	snprintf(f->md->conf.eap_conn, sizeof(f->md->conf.eap_conn), "eap");
	kernel_test_tunnel.proto = IPPROTO_ESP;
	kernel_test_tunnel.spi = 0xc0ffee;
	msg(f, &m, MP_T_OP_VOUCHER_ISSUE);
	mp_set_u(&m, MP_A_AMOUNT, 50);
	call(f, f->op, &m, MP_T_OP_VOUCHER, &r);
	strcpy(code, r.s[MP_A_CODE]);
	snprintf(user1, sizeof(user1), "%.9s", code);
	snprintf(ch.ike_name, sizeof(ch.ike_name), "eap");
	snprintf(ch.remote_eap_id, sizeof(ch.remote_eap_id), "%s", user1);
	eap_child_up(f->md, &ch, ALICE);
	l = live_by_addr(f->md, ALICE);
	assert_non_null(l);
	start_rec(f, l->rec.serial, ALICE, sid, &rec);
	str_is(&rec, RAD_USER_NAME, user1);
	f->md->clock += 3;
	eap_child_down(f->md, &ch, ALICE);
	expect_stop(f, sid, RAD_TERM_USER_REQUEST, &rec);
	assert_int_equal(u32(&rec, RAD_ACCT_SESSION_TIME), 3);
	none_left(f);
}

/* A roaming contract (its Accept in radius_auth, as payment_radius.c
 * records it in the establishment's transaction): User-Name the Accept's,
 * its Class TLVs echoed in order, Acct-Authentic RADIUS, its
 * Acct-Interim-Interval; without traffic for its Idle-Timeout it ends: 4. */
static void test_roam_idle(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct roam_auth ra = { .idle_timeout = 5, .interim = 3 };
	static const uint8_t cls[] = { RAD_CLASS, 5,	     'a', 'b',
				       'c',	  RAD_CLASS, 3,	  'z' };
	struct mp_msg rcpt;
	struct rec r;
	char code[32], sid[48];
	uint64_t serial = f->md->contract_seq + 1, t;
	const uint8_t *v;
	size_t off = 0, n;
	uint8_t type;
	unsigned k = 0;

	skip_all(f);
	snprintf(ra.user_name, sizeof(ra.user_name), "u@partner.example");
	snprintf(ra.realm, sizeof(ra.realm), "partner.example");
	memcpy(ra.class_tlv, cls, sizeof(cls));
	ra.class_len = sizeof(cls);
	assert_int_equal(store_begin(f->md->st), 0);
	assert_int_equal(roam_auth_put(f->md->st, serial, &ra, T0), 0);
	assert_int_equal(store_commit(f->md->st), 0);
	assert_int_equal(buy_start(f, c, 10000000, code, &rcpt), serial);
	t = f->md->clock;
	start_rec(f, serial, ALICE, sid, &r);
	str_is(&r, RAD_USER_NAME, "u@partner.example");
	assert_int_equal(u32(&r, RAD_ACCT_AUTHENTIC), 1);
	while (rad_next(&r.p, &off, &type, &v, &n) == 0)
		if (type == RAD_CLASS) {
			assert_memory_equal(v - 2, cls + (k ? 5 : 0), n + 2);
			k++;
		}
	assert_int_equal(k, 2);
	usage_add(f, serial, 10);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, sid, &r); /* START's */
	assert_int_equal(rad_count(&r.p, RAD_CLASS), 2);
	session_tick(f->md, ++f->md->clock);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, sid, &r); /* the Accept's 3 s */
	assert_int_equal(r.ts, t + 3);
	session_tick(f->md, ++f->md->clock);
	session_tick(f->md, ++f->md->clock);
	none_left(f);
	/* idle since t + 1 (the counters last seen changing): the Stop,
	 * no Interim due in that second */
	session_tick(f->md, ++f->md->clock);
	expect_stop(f, sid, RAD_TERM_IDLE_TIMEOUT, &r);
	assert_int_equal(r.ts, t + 6);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 10);
	assert_int_equal(rad_count(&r.p, RAD_CLASS), 2);
	none_left(f);
	assert_null(live_find(f->md, serial));
}

/* RFC 5176: a Disconnect-Request (decided by dae_decide) ends the
 * contract: 6; a CoA that suspends: an Interim at the next tick. */
static void test_dae(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct dae_action a = { .code = RAD_COA_REQUEST, .nmatch = 1 };
	struct rec r;

	snprintf(f->md->conf.radius.dae_listen,
		 sizeof(f->md->conf.radius.dae_listen), "127.0.0.1:0");
	assert_int_equal(dae_open(f->md), 0);
	assert_non_null(f->md->dae);
	a.serial[0] = f->contract;
	a.filter = DAE_FILTER_SUSPEND;
	f->md->clock++;
	assert_int_equal(dae_apply(f->md, &a, f->md->clock), 0);
	assert_int_equal(live_find(f->md, f->contract)->rec.state,
			 CS_SUSPENDED);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r);
	none_left(f);
	memset(&a, 0, sizeof(a));
	a.code = RAD_DISCONNECT_REQUEST;
	a.nmatch = 1;
	a.serial[0] = f->contract;
	assert_int_equal(dae_apply(f->md, &a, f->md->clock), 0);
	expect_stop(f, f->sid, RAD_TERM_ADMIN_RESET, &r);
	none_left(f);
	assert_null(live_find(f->md, f->contract));
}

/* A settlement that failed keeps the terminate's cause in the open
 * session's row: the retry after a restart stops with it. */
static void test_settle_retry(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct acct_session s;
	struct live *l;
	struct rec r;

	/* the operator's terminate, its settlement failed: stored in
	 * settlement, as settle_commit's failure leaves it */
	l = live_find(f->md, f->contract);
	l->acct_cause = RAD_TERM_ADMIN_RESET;
	assert_int_equal(session_step(l, CE_TERMINATE, 0, f->md->clock), 0);
	assert_int_equal(session_persist(f->md, l), 0);
	assert_int_equal(acct_session_open(f->md->st, f->contract, &s), 0);
	assert_int_equal(s.cause, RAD_TERM_ADMIN_RESET);
	assert_null(s.stopped ? "stopped" : NULL);
	none_left(f);
	crash(f, f->md->clock + 1);
	none_left(f);
	cmd(f, f->op, MP_T_OP_CONTRACT_SETTLE, f->contract, MP_T_STATEMENT);
	expect_stop(f, f->sid, RAD_TERM_ADMIN_RESET, &r);
	none_left(f);
}

/* A restored binding the module refuses (no tunnel after a reboot): 11. */
static void test_refused_on_load(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct rec r;

	kernel_test_lost = 1; /* the module lost it: restored at load ... */
	kernel_test_refuse_bind = 1; /* ... and refuses the address */
	crash(f, f->md->clock + 1);
	kernel_test_refuse_bind = kernel_test_lost = 0;
	expect_stop(f, f->sid, RAD_TERM_NAS_REBOOT, &r);
	/* no session went on: Accounting-On; the contract is unbound */
	expect(f, RAD_STATUS_ACCT_ON, "", &r);
	none_left(f);
	assert_int_equal(live_find(f->md, f->contract)->rec.state, CS_UNBOUND);
}

/* Reboot: the module lost the contract (it gets the checkpoint back):
 * Stop NAS-Reboot with the checkpoint's counters, Accounting-On, a new
 * session from there. */
static void test_reboot(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct rec r;
	char sid2[48];

	usage_add(f, f->contract, 4000);
	f->md->next_ckpt = 0; /* checkpoint now */
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r); /* START's */
	kernel_test_lost = 1;
	crash(f, f->md->clock + 100);
	kernel_test_lost = 0;
	expect_stop(f, f->sid, RAD_TERM_NAS_REBOOT, &r);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 4000);
	expect(f, RAD_STATUS_ACCT_ON, "", &r);
	expect_start(f, f->contract, ALICE, sid2);
	assert_string_not_equal(f->sid, sid2);
	none_left(f);
}

/* A crash: no Accounting-On (it would close the live sessions at the
 * server), the session goes on under the same id, its Stop counts from
 * its Start. */
static void test_crash(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct rec r;

	usage_add(f, f->contract, 1000);
	f->md->next_ckpt = 0;
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r); /* START's */
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 1000);
	crash(f, f->md->clock + 3);
	none_left(f);
	f->c = user(f, ALICE);
	usage_add(f, f->contract, 500);
	cmd(f, f->c, MP_T_TERMINATE, f->contract, MP_T_STATEMENT);
	expect_stop(f, f->sid, RAD_TERM_USER_REQUEST, &r);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 1500);
	assert_int_equal(u32(&r, RAD_ACCT_SESSION_TIME), 4);
	none_left(f);
}

/* Clean stop: Stop (10) for every open session, Accounting-Off; the next
 * start: Accounting-On and a new session per bound contract. */
static void test_clean_stop(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg rcpt;
	struct rec r;
	char code[32], sa[48], sb[48], sa2[48];
	uint64_t s1, s2;

	s1 = session_up(f, a, 10000000, sa, &rcpt);
	s2 = buy_start(f, b, 10000000, code, &rcpt);
	expect_start(f, s2, BOB, sb);
	f->md->clock += 7;
	acct_stop_service(f->md);
	expect_stop(f, sa, RAD_TERM_NAS_REQUEST, &r);
	assert_int_equal(u32(&r, RAD_ACCT_SESSION_TIME), 7);
	expect_stop(f, sb, RAD_TERM_NAS_REQUEST, &r);
	expect(f, RAD_STATUS_ACCT_OFF, "", &r);
	none_left(f);
	/* nothing after the Off */
	cmd(f, f->op, MP_T_OP_UNBIND, s2, MP_T_STATUS);
	none_left(f);
	crash(f, f->md->clock + 1);
	expect(f, RAD_STATUS_ACCT_ON, "", &r);
	expect_start(f, s1, ALICE, sa2);
	assert_string_not_equal(sa, sa2);
	none_left(f);
}

/* Counters above 4 GiB: Octets the low 32 bits, Gigawords the high. */
static void test_gigawords(void **state)
{
	struct fix *f = alice_up(state, 60ull << 30);
	struct rec r;
	uint64_t big = (5ull << 32) + 12345;

	usage_add(f, f->contract, big);
	cmd(f, f->c, MP_T_TERMINATE, f->contract, MP_T_STATEMENT);
	expect_stop(f, f->sid, RAD_TERM_USER_REQUEST, &r);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), (uint32_t)big);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_GIGAWORDS), 5);
	assert_false(has(&r, RAD_ACCT_OUTPUT_GIGAWORDS));
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_PACKETS), 0);
}

/* Interims at the interval (10 s here, with no jitter), and limit events:
 * never two of one session in one second (the dedup key). */
static void test_interim(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct rec r;
	uint64_t t;

	t = f->md->clock;
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r); /* START's */
	assert_int_equal(r.ts, t + 1);
	for (int i = 2; i < 10; i++)
		session_tick(f->md, ++f->md->clock);
	none_left(f);
	usage_add(f, f->contract, 77);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r);
	assert_int_equal(r.ts, t + 10);
	assert_int_equal(u32(&r, RAD_ACCT_INPUT_OCTETS), 77);
	assert_int_equal(u32(&r, RAD_ACCT_SESSION_TIME), 10);
	/* the same second again, with a limit event: nothing more */
	acct_interim_soon(f->md, f->contract);
	session_tick(f->md, f->md->clock);
	none_left(f);
	/* the next second: the event's Interim */
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r);
	assert_int_equal(r.ts, t + 11);
	/* a suspend: one more the next second, then the interval */
	cmd(f, f->c, MP_T_SUSPEND, f->contract, MP_T_STATUS);
	cmd(f, f->c, MP_T_START, f->contract, MP_T_STATUS);
	session_tick(f->md, f->md->clock);
	none_left(f);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r);
	for (int i = 0; i < 7; i++)
		session_tick(f->md, ++f->md->clock);
	none_left(f);
	session_tick(f->md, ++f->md->clock);
	expect(f, RAD_STATUS_INTERIM, f->sid, &r);
	assert_int_equal(r.ts, t + 20);
	none_left(f);
}

/* The ids are the store's: the same after a reopen; the instance is made
 * once per database. */
static void test_ids_stable(void **state)
{
	struct fix *f = alice_up(state, 10000000);
	struct acct_session s, s2;

	assert_int_equal(acct_session_open(f->md->st, f->contract, &s), 0);
	crash(f, f->md->clock + 1);
	assert_int_equal(acct_session_open(f->md->st, f->contract, &s2), 0);
	assert_string_equal(s.sid, s2.sid);
	assert_int_equal(s.started, s2.started);
	assert_memory_equal(s.base, s2.base, sizeof(s.base));
	assert_string_equal(s2.user_name, s.user_name);
	f->c = user(f, ALICE);
	cmd(f, f->op, MP_T_OP_UNBIND, f->contract, MP_T_STATUS);
	bind_receipt(f, f->c, &f->rcpt, MP_T_STATUS);
	assert_int_equal(acct_session_open(f->md->st, f->contract, &s2), 0);
	assert_int_equal(strncmp(s.sid, s2.sid, 8), 0); /* the instance */
	assert_int_equal(s2.bindno, 2);
}

/* No accounting server: nothing written, md->acct NULL. */
static void test_off(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg rcpt;
	struct acct_session s;
	struct rec r;
	char code[32];
	uint64_t serial;

	assert_null(f->md->acct);
	serial = buy_start(f, c, 10000000, code, &rcpt);
	usage_add(f, serial, 100);
	for (int i = 0; i < 20; i++)
		session_tick(f->md, ++f->md->clock);
	acct_stop_service(f->md);
	cmd(f, c, MP_T_TERMINATE, serial, MP_T_STATEMENT);
	assert_int_equal(next_rec(f, &r), 1);
	assert_int_equal(acct_session_open(f->md->st, serial, &s), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MUISPD_FIX_TEST(test_start_stop),
		MUISPD_FIX_TEST(test_host_user),
		MUISPD_FIX_TEST(test_rollback),
		MUISPD_FIX_TEST(test_operator),
		MUISPD_FIX_TEST(test_limits),
		MUISPD_FIX_TEST(test_unbinds),
		MUISPD_FIX_TEST(test_eap),
		MUISPD_FIX_TEST(test_dae),
		MUISPD_FIX_TEST(test_roam_idle),
		MUISPD_FIX_TEST(test_settle_retry),
		MUISPD_FIX_TEST(test_refused_on_load),
		MUISPD_FIX_TEST(test_reboot),
		MUISPD_FIX_TEST(test_crash),
		MUISPD_FIX_TEST(test_clean_stop),
		MUISPD_FIX_TEST(test_gigawords),
		MUISPD_FIX_TEST(test_interim),
		MUISPD_FIX_TEST(test_ids_stable),
		cmocka_unit_test_setup_teardown(test_off, setup_off, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
