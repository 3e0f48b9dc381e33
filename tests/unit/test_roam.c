// SPDX-License-Identifier: GPL-2.0
/*
 * Payment method roam (daemon/muispd/payment_radius.c): the
 * Access-Accept -> limits mapping (every attribute, absent, zero, huge,
 * Gigawords, wrong lengths), the limits on a contract, radius_auth, and
 * the method itself through radclient.c against a fake RADIUS server on
 * loopback (the request's attributes, Accept -> deposit, Reject with its
 * message made printable, Challenge, silence, a realm not configured).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "contract.h"
#include "daemon/muispd/muispd.h"
#include "daemon/muispd/payment_radius.h"
#include "daemon/muispd/radclient.h"
#include "proto.h"
#include "radius.h"

static struct rad_buf buf;
static struct rad_pkt pkt;

static void start(uint8_t code)
{
	rad_init(&buf, code, 7);
}

static const struct rad_pkt *done(void)
{
	assert_int_equal(rad_parse(buf.b, buf.len, &pkt), 0);
	return &pkt;
}

static void vsa32(uint32_t vendor, uint8_t t, uint32_t v)
{
	assert_int_equal(rad_put_vsa_u32(&buf, vendor, t, v), 0);
}

static void test_every_attribute(void **state)
{
	struct roam_auth a;

	start(RAD_ACCESS_ACCEPT);
	assert_int_equal(rad_put_str(&buf, RAD_USER_NAME, "u@partner.example"),
			 0);
	assert_int_equal(rad_put_u32(&buf, RAD_SESSION_TIMEOUT, 3600), 0);
	assert_int_equal(rad_put_u32(&buf, RAD_IDLE_TIMEOUT, 300), 0);
	vsa32(RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS, 50000000);
	assert_int_equal(rad_put_u32(&buf, RAD_ACCT_INTERIM_INTERVAL, 60), 0);
	assert_int_equal(rad_put_str(&buf, RAD_CLASS, "partner-bill-0001"), 0);
	assert_int_equal(rad_put_str(&buf, RAD_REPLY_MESSAGE, "welcome"), 0);
	assert_int_equal(rad_put_str(&buf, RAD_CLASS, "second"), 0);
	assert_int_equal(roam_accept_parse(done(), "u@partner.example", &a), 0);
	assert_string_equal(a.user_name, "u@partner.example");
	assert_string_equal(a.realm, "partner.example");
	assert_int_equal(a.session_timeout, 3600);
	assert_int_equal(a.idle_timeout, 300);
	assert_int_equal(a.interim, 60);
	assert_int_equal(a.quota, 50000000);
	/* both Class attributes, as TLVs, in order */
	assert_int_equal(a.class_len, 2 + 17 + 2 + 6);
	assert_int_equal(a.class_tlv[0], RAD_CLASS);
	assert_int_equal(a.class_tlv[1], 19);
	assert_memory_equal(a.class_tlv + 2, "partner-bill-0001", 17);
	assert_int_equal(a.class_tlv[19], RAD_CLASS);
	assert_int_equal(a.class_tlv[20], 8);
	assert_memory_equal(a.class_tlv + 21, "second", 6);
}

static void test_absent(void **state)
{
	struct roam_auth a;

	start(RAD_ACCESS_ACCEPT);
	assert_int_equal(roam_accept_parse(done(), "x@r.example", &a), 0);
	/* no User-Name in the Accept: the identity asked for */
	assert_string_equal(a.user_name, "x@r.example");
	assert_string_equal(a.realm, "r.example");
	assert_int_equal(a.session_timeout, 0);
	assert_int_equal(a.idle_timeout, 0);
	assert_int_equal(a.interim, 0);
	assert_int_equal(a.quota, 0);
	assert_int_equal(a.class_len, 0);
	/* not an Accept */
	start(RAD_ACCESS_REJECT);
	assert_int_equal(roam_accept_parse(done(), "x@r.example", &a), -1);
	start(RAD_ACCESS_CHALLENGE);
	assert_int_equal(roam_accept_parse(done(), "x@r.example", &a), -1);
}

static void test_zero_and_wrong_length(void **state)
{
	static const uint8_t two[2] = { 0, 9 };
	struct roam_auth a;

	start(RAD_ACCESS_ACCEPT);
	assert_int_equal(rad_put_u32(&buf, RAD_SESSION_TIMEOUT, 0), 0);
	vsa32(RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS, 0);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, 0);
	assert_int_equal(rad_put(&buf, RAD_IDLE_TIMEOUT, two, 2), 0);
	assert_int_equal(rad_put(&buf, RAD_USER_NAME, "", 0), 0);
	assert_int_equal(roam_accept_parse(done(), "z@r", &a), 0);
	/* 0 is no limit; a 2-byte integer is ignored; an empty User-Name
	 * is not taken */
	assert_int_equal(a.session_timeout, 0);
	assert_int_equal(a.quota, 0);
	assert_int_equal(a.idle_timeout, 0);
	assert_string_equal(a.user_name, "z@r");
	/* a VSA of the wrong length is no quota */
	start(RAD_ACCESS_ACCEPT);
	assert_int_equal(rad_put_vsa(&buf, RAD_VENDOR_CHILLISPOT,
				     RAD_CHILLI_MAX_TOTAL_OCTETS, two, 2),
			 0);
	assert_int_equal(roam_accept_parse(done(), "z@r", &a), 0);
	assert_int_equal(a.quota, 0);
}

static void test_huge_and_gigawords(void **state)
{
	struct roam_auth a;

	start(RAD_ACCESS_ACCEPT);
	assert_int_equal(rad_put_u32(&buf, RAD_SESSION_TIMEOUT, UINT32_MAX), 0);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, UINT32_MAX);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS,
	      UINT32_MAX);
	assert_int_equal(roam_accept_parse(done(), "h@r", &a), 0);
	assert_int_equal(a.session_timeout, UINT32_MAX);
	assert_true(a.quota == UINT64_MAX); /* 2^32 x (2^32-1) + 2^32-1 */

	/* 5 GiB + 5: Gigawords carry the high half */
	start(RAD_ACCESS_ACCEPT);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, 5);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 5);
	assert_int_equal(roam_accept_parse(done(), "h@r", &a), 0);
	assert_true(a.quota == (5ull << 32) + 5);
	/* Gigawords alone */
	start(RAD_ACCESS_ACCEPT);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 1);
	assert_int_equal(roam_accept_parse(done(), "h@r", &a), 0);
	assert_true(a.quota == 1ull << 32);
	/* both vendors: the smaller wins, whichever it is */
	start(RAD_ACCESS_ACCEPT);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 1);
	vsa32(RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS, 1000);
	assert_int_equal(roam_accept_parse(done(), "h@r", &a), 0);
	assert_int_equal(a.quota, 1000);
	start(RAD_ACCESS_ACCEPT);
	vsa32(RAD_VENDOR_CHILLISPOT, RAD_CHILLI_MAX_TOTAL_OCTETS, 1000);
	vsa32(RAD_VENDOR_MIKROTIK, RAD_MIKROTIK_TOTAL_LIMIT, 999);
	assert_int_equal(roam_accept_parse(done(), "h@r", &a), 0);
	assert_int_equal(a.quota, 999);
}

/* More Class than radius_auth keeps: whole attributes only. */
static void test_class_overflow(void **state)
{
	char v[201];
	struct roam_auth a;

	memset(v, 'c', 200);
	v[200] = '\0';
	start(RAD_ACCESS_ACCEPT);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rad_put_str(&buf, RAD_CLASS, v), 0);
	assert_int_equal(roam_accept_parse(done(), "c@r", &a), 0);
	assert_int_equal(a.class_len, 2 * 202);
	assert_int_equal(a.class_tlv[202], RAD_CLASS);
	assert_int_equal(a.class_tlv[203], 202);
}

static struct contract_rec bytes_rec(uint64_t soft, uint64_t hard)
{
	struct contract_rec c;

	memset(&c, 0, sizeof(c));
	c.serial = 9;
	c.metric = MP_METRIC_BYTES;
	c.method = MP_METHOD_ROAM;
	c.soft = soft;
	c.hard = hard;
	c.price = 2;
	c.unit = 1000000;
	c.deposit = contract_cost(c.price, c.unit, hard);
	c.issued = 1000;
	c.expiry = 1000 + 86400;
	return c;
}

static void test_limits(void **state)
{
	struct roam_auth a = { .session_timeout = 3600, .quota = 50000000 };
	struct contract_rec c = bytes_rec(90000000, 100000000);
	char err[128];

	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), 0);
	assert_int_equal(c.expiry, 1000 + 3600);
	assert_int_equal(c.hard, 50000000);
	assert_int_equal(c.soft, 50000000);
	assert_int_equal(c.deposit, 100); /* 50 MB at 2 per MB */

	/* within the quota and the time: unchanged */
	c = bytes_rec(1000000, 2000000);
	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), 0);
	assert_int_equal(c.hard, 2000000);
	assert_int_equal(c.soft, 1000000);
	assert_int_equal(c.expiry, 1000 + 3600);
	assert_int_equal(c.deposit, 4);

	/* huge Session-Timeout and quota: nothing shrinks, no overflow */
	a.session_timeout = UINT32_MAX;
	a.quota = UINT64_MAX;
	c = bytes_rec(1000000, 2000000);
	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), 0);
	assert_int_equal(c.expiry, 1000 + 86400);
	assert_int_equal(c.hard, 2000000);

	/* nothing in the Accept: nothing changes */
	memset(&a, 0, sizeof(a));
	c = bytes_rec(1000000, 2000000);
	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), 0);
	assert_int_equal(c.expiry, 1000 + 86400);
	assert_int_equal(c.hard, 2000000);
	assert_int_equal(c.soft, 1000000);

	/* elapsed: the hard limit is the Session-Timeout too */
	a.session_timeout = 600;
	c = bytes_rec(3000, 7200);
	c.metric = MP_METRIC_ELAPSED;
	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), 0);
	assert_int_equal(c.hard, 600);
	assert_int_equal(c.soft, 600);
	assert_int_equal(c.expiry, 1600);

	/* a quota on a contract that meters no bytes is refused */
	a.quota = 1000;
	c = bytes_rec(3000, 7200);
	c.metric = MP_METRIC_USAGE_TIME;
	assert_int_equal(roam_limits_apply(&c, &a, 1000, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bytes"));
}

static char dir[] = "/tmp/muisp-test-roam-XXXXXX";

static void test_radius_auth(void **state)
{
	struct roam_auth a, b;
	struct store *st;
	char path[128];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db", dir);
	assert_int_equal(store_open(path, &st), 0);
	memset(&a, 0, sizeof(a));
	snprintf(a.user_name, sizeof(a.user_name), "u@partner.example");
	snprintf(a.realm, sizeof(a.realm), "partner.example");
	a.class_tlv[0] = RAD_CLASS;
	a.class_tlv[1] = 5;
	memcpy(a.class_tlv + 2, "\x00\xff\x01", 3); /* binary Class */
	a.class_len = 5;
	a.session_timeout = 3600;
	a.idle_timeout = 300;
	a.interim = 60;
	a.quota = UINT64_MAX >> 1;
	assert_int_equal(roam_auth_get(st, 42, &b), 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(roam_auth_put(st, 42, &a, 1000), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(roam_auth_get(st, 42, &b), 0);
	assert_string_equal(b.user_name, a.user_name);
	assert_string_equal(b.realm, a.realm);
	assert_int_equal(b.class_len, 5);
	assert_memory_equal(b.class_tlv, a.class_tlv, 5);
	assert_int_equal(b.session_timeout, 3600);
	assert_int_equal(b.idle_timeout, 300);
	assert_int_equal(b.interim, 60);
	assert_true(b.quota == UINT64_MAX >> 1);
	assert_int_equal(roam_auth_get(st, 43, &b), 1);
	/* no Class: NULL, read back as none */
	a.class_len = 0;
	assert_int_equal(roam_auth_put(st, 43, &a, 1000), 0);
	assert_int_equal(roam_auth_get(st, 43, &b), 0);
	assert_int_equal(b.class_len, 0);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* ---------- the method against a fake server ---------- */

#define SECRET "roam-test-secret"

enum reply { ACCEPT, REJECT, CHALLENGE, SILENT };

static struct {
	sd_event *ev;
	struct muispd md;
	const struct payment_method *m;
	int fd;
	sd_event_source *io;
	enum reply reply;
	unsigned nreq;
	struct rad_buf req; /* the last request */
	char pw[64];	    /* its password, revealed */
	int done, rc;
	char text[300];
} F;

static int fake_io(sd_event_source *src, int fd, uint32_t revents, void *arg)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	struct rad_pkt p;
	struct rad_buf r;
	ssize_t n;
	static const uint8_t msg[] = "account\x01suspended\n";

	n = recvfrom(fd, F.req.b, sizeof(F.req.b), 0, (struct sockaddr *)&peer,
		     &plen);
	if (n <= 0)
		return 0;
	F.req.len = (size_t)n;
	assert_int_equal(rad_parse(F.req.b, F.req.len, &p), 0);
	if (p.code == RAD_STATUS_SERVER) /* a probe of a silent server */
		return 0;
	assert_int_equal(p.code, RAD_ACCESS_REQUEST);
	/* signed with a Message-Authenticator (BLAST-RADIUS) */
	assert_int_equal(rad_verify_access_request(&p, (const uint8_t *)SECRET,
						   strlen(SECRET), 1),
			 0);
	assert_int_equal(rad_password_reveal(&p, (const uint8_t *)SECRET,
					     strlen(SECRET), F.pw,
					     sizeof(F.pw)),
			 0);
	F.nreq++;
	if (F.reply == SILENT)
		return 0;
	rad_init(&r,
		 F.reply == ACCEPT ? RAD_ACCESS_ACCEPT :
		 F.reply == REJECT ? RAD_ACCESS_REJECT :
				     RAD_ACCESS_CHALLENGE,
		 p.id);
	if (F.reply == ACCEPT) {
		assert_int_equal(rad_put_u32(&r, RAD_SESSION_TIMEOUT, 600), 0);
		assert_int_equal(rad_put_vsa_u32(&r, RAD_VENDOR_CHILLISPOT,
						 RAD_CHILLI_MAX_TOTAL_OCTETS,
						 1500000),
				 0);
		assert_int_equal(rad_put_str(&r, RAD_CLASS, "bill-7"), 0);
		assert_int_equal(rad_put_u32(&r, RAD_IDLE_TIMEOUT, 120), 0);
	} else if (F.reply == REJECT) {
		assert_int_equal(rad_put(&r, RAD_REPLY_MESSAGE, msg,
					 sizeof(msg) - 1),
				 0);
	} else {
		assert_int_equal(rad_put_str(&r, RAD_STATE, "st"), 0);
	}
	assert_int_equal(rad_finish_reply(&r, p.auth, (const uint8_t *)SECRET,
					  strlen(SECRET), 1),
			 0);
	assert_int_equal(sendto(fd, r.b, r.len, 0, (struct sockaddr *)&peer,
				plen),
			 (ssize_t)r.len);
	return 0;
}

static uint64_t now_fn(void *arg)
{
	return 1764000000;
}

static int method_setup(void **state)
{
	struct radius_conf *c = &F.md.conf.radius;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	memset(&F, 0, sizeof(F));
	assert_true(sd_event_new(&F.ev) >= 0);
	F.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(F.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(F.fd, (struct sockaddr *)&a, &alen), 0);
	assert_true(sd_event_add_io(F.ev, &F.io, F.fd, EPOLLIN, fake_io,
				    NULL) >= 0);
	snprintf(c->auth[0].addr, sizeof(c->auth[0].addr), "127.0.0.1:%u",
		 ntohs(a.sin_port));
	memcpy(c->auth[0].secret, SECRET, strlen(SECRET));
	c->auth[0].seclen = strlen(SECRET);
	c->nauth = 1;
	c->timeout_ms = 50;
	c->retries = 1;
	c->dead_s = 1;
	c->window = 16;
	c->auth_timeout_s = 1;
	c->require_ma = 1;
	snprintf(c->nas_identifier, sizeof(c->nas_identifier), "nas-t");
	snprintf(c->realms[0], sizeof(c->realms[0]), "partner.example");
	c->nrealms = 1;
	F.md.ev = F.ev;
	assert_int_equal(
		radclient_new(&F.md.rad_auth, F.ev, c, 0, now_fn, NULL), 0);
	F.m = payment_roam_new(&F.md);
	assert_non_null(F.m);
	*state = &F;
	return 0;
}

static int method_teardown(void **state)
{
	payment_roam_free(F.m);
	radclient_free(F.md.rad_auth);
	sd_event_source_disable_unref(F.io);
	close(F.fd);
	sd_event_unref(F.ev);
	return 0;
}

static void done_cb(void *arg, int rc, const char *text)
{
	F.done++;
	F.rc = rc;
	snprintf(F.text, sizeof(F.text), "%s", text ? text : "");
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* authorize c with param; the loop runs until done (at most 3 s). */
static void authorize(struct contract_rec *c, const char *param)
{
	uint64_t end = mono_ms() + 3000;

	F.done = 0;
	F.m->authorize(F.m, c, param, done_cb, NULL);
	while (!F.done) {
		assert_true(mono_ms() < end);
		assert_true(sd_event_run(F.ev, 10000) >= 0);
	}
	assert_int_equal(F.done, 1);
}

static void test_method_accept(void **state)
{
	struct contract_rec c = bytes_rec(1000000, 2000000);
	struct roam_auth a;
	struct rad_pkt p;
	struct statement stm;
	struct store *st;
	const uint8_t *v;
	size_t n;
	uint32_t u;
	char path[128], err[160];
	int64_t bal;

	snprintf(c.addr, sizeof(c.addr), "10.1.2.3");
	F.reply = ACCEPT;
	authorize(&c, "u@partner.example\npass word");
	assert_int_equal(F.rc, 0);
	assert_string_equal(F.text, "roam:partner.example");
	/* the request */
	assert_int_equal(rad_parse(F.req.b, F.req.len, &p), 0);
	assert_int_equal(rad_find(&p, RAD_USER_NAME, &v, &n), 0);
	assert_int_equal(n, 17);
	assert_memory_equal(v, "u@partner.example", 17);
	assert_string_equal(F.pw, "pass word");
	assert_int_equal(rad_find_u32(&p, RAD_SERVICE_TYPE, &u), 0);
	assert_int_equal(u, 2);
	assert_int_equal(rad_find_u32(&p, RAD_NAS_PORT_TYPE, &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(rad_find(&p, RAD_FRAMED_IP_ADDRESS, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(v, "\x0a\x01\x02\x03", 4);
	assert_int_equal(rad_find(&p, RAD_NAS_IDENTIFIER, &v, &n), 0);
	assert_memory_equal(v, "nas-t", 5);
	/* no accounting here: no Acct-Session-Id to announce */
	assert_int_equal(rad_find(&p, RAD_ACCT_SESSION_ID, &v, &n), -1);

	/* deposit applies the Accept and records it */
	snprintf(path, sizeof(path), "/tmp/muisp-test-roamm-%d.db", getpid());
	unlink(path);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(
		F.m->deposit(F.m, st, &c, F.text, 1000, err, sizeof(err)), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(c.hard, 1500000);
	assert_int_equal(c.soft, 1000000);
	assert_int_equal(c.expiry, 1600);
	assert_int_equal(c.deposit, 3);
	assert_string_equal(c.payref, "roam:partner.example");
	assert_string_equal(c.room, "realm:partner.example");
	assert_int_equal(roam_auth_get(st, c.serial, &a), 0);
	assert_int_equal(a.idle_timeout, 120);
	assert_int_equal(a.class_len, 8);
	assert_memory_equal(a.class_tlv + 2, "bill-7", 6);
	assert_int_equal(store_ledger_balance(st, c.room, &bal), 0);
	assert_int_equal(bal, 3);
	/* settlement: 1 MB used at 2 per MB: the partner owes 2 */
	c.usage = 1000000;
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(payment_settle(st, F.m, &c, 0, "", 1100, &stm), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(stm.charge, 2);
	assert_int_equal(store_ledger_balance(st, c.room, &bal), 0);
	assert_int_equal(bal, 2);
	assert_non_null(strstr(stm.lines[stm.n - 1].desc,
			       "roaming via partner.example"));
	/* the Accept was used: a second deposit has none */
	assert_int_equal(store_begin(st), 0);
	c.serial = 10;
	assert_int_equal(F.m->deposit(F.m, st, &c, "roam:partner.example", 1000,
				      err, sizeof(err)),
			 -1);
	store_rollback(st);
	store_close(st);
	unlink(path);
}

static void test_method_refusals(void **state)
{
	struct contract_rec c = bytes_rec(1000000, 2000000);
	char err[160];

	/* Reject: the Reply-Message, made printable */
	F.reply = REJECT;
	authorize(&c, "bad@partner.example\nx");
	assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	assert_string_equal(F.text, "account suspended");
	/* Challenge: EAP is needed */
	F.reply = CHALLENGE;
	authorize(&c, "u@partner.example\nx");
	assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	assert_non_null(strstr(F.text, "EAP"));
	/* no Accept kept for either */
	assert_int_equal(F.m->deposit(F.m, NULL, &c, "roam:partner.example",
				      1000, err, sizeof(err)),
			 -1);
	/* a realm not configured: refused before any packet */
	F.nreq = 0;
	authorize(&c, "u@elsewhere.example\nx");
	assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	assert_non_null(strstr(F.text, "not a roaming partner"));
	assert_int_equal(F.nreq, 0);
	/* malformed credentials */
	authorize(&c, "nobody\nx");
	assert_int_equal(F.rc, -1);
	authorize(&c, "u@partner.example\n");
	assert_int_equal(F.rc, -1);
	authorize(&c, "@partner.example\nx");
	assert_int_equal(F.rc, -1);
	/* the realm is after the last @, as FreeRADIUS's suffix realm */
	authorize(&c, "u@partner.example@elsewhere.example\nx");
	assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	assert_non_null(strstr(F.text, "elsewhere.example is not"));
	assert_int_equal(F.nreq, 0);
	/* silence: unreachable */
	F.reply = SILENT;
	authorize(&c, "u@partner.example\nx");
	assert_int_equal(F.rc, MP_ERR_ROAM_UNREACHABLE);
	assert_true(F.nreq >= 1);
}

/* Password guessing: 5 Rejects for an address within a minute, then it is
 * refused here without a packet; others are not; an Accept clears. */
static void test_method_throttle(void **state)
{
	struct contract_rec c = bytes_rec(1000000, 2000000);
	unsigned n;

	snprintf(c.addr, sizeof(c.addr), "10.9.9.9");
	F.reply = REJECT;
	for (int i = 0; i < 5; i++) {
		authorize(&c, "u@partner.example\nguess");
		assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	}
	n = F.nreq;
	assert_int_equal(n, 5);
	authorize(&c, "u@partner.example\nguess");
	assert_int_equal(F.rc, MP_ERR_BUSY);
	assert_non_null(strstr(F.text, "too many refused roaming logins"));
	assert_int_equal(F.nreq, n);
	/* another address is asked for */
	snprintf(c.addr, sizeof(c.addr), "10.9.9.10");
	for (int i = 0; i < 4; i++) {
		authorize(&c, "u@partner.example\nguess");
		assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	}
	assert_int_equal(F.nreq, n + 4);
	/* its Accept clears its count: 4 more Rejects are still asked */
	F.reply = ACCEPT;
	authorize(&c, "u@partner.example\npw");
	assert_int_equal(F.rc, 0);
	F.reply = REJECT;
	for (int i = 0; i < 4; i++) {
		authorize(&c, "u@partner.example\nguess");
		assert_int_equal(F.rc, MP_ERR_ROAM_REJECT);
	}
	assert_int_equal(F.nreq, n + 9);
}

/* Accept, then cancel (the establishment failed): the Accept is gone. */
static void test_method_cancel(void **state)
{
	struct contract_rec c = bytes_rec(1000000, 2000000);
	char err[160];

	F.reply = ACCEPT;
	authorize(&c, "u@partner.example\npw");
	assert_int_equal(F.rc, 0);
	F.done = 0;
	F.m->cancel(F.m, &c, F.text, done_cb, NULL);
	assert_int_equal(F.done, 1);
	assert_int_equal(F.rc, 0);
	assert_int_equal(F.m->deposit(F.m, NULL, &c, "roam:partner.example",
				      1000, err, sizeof(err)),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_attribute),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_zero_and_wrong_length),
		cmocka_unit_test(test_huge_and_gigawords),
		cmocka_unit_test(test_class_overflow),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_radius_auth),
		cmocka_unit_test_setup_teardown(test_method_accept,
						method_setup, method_teardown),
		cmocka_unit_test_setup_teardown(test_method_refusals,
						method_setup, method_teardown),
		cmocka_unit_test_setup_teardown(test_method_cancel,
						method_setup, method_teardown),
		cmocka_unit_test_setup_teardown(test_method_throttle,
						method_setup, method_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
