// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's message handlers (channel.c, control.c, session.c) driven
 * through a struct muispd: a temporary SQLite store, the kernel backend
 * "none", no TLS, a fixed clock.  Requests are encoded into a test
 * connection's input and go through conn_input() and server_dispatch();
 * replies are taken from its output queue and decoded with mp_decode().
 * A remote payment method is played by the test (its calls end when the
 * test says so); the reload reads a configuration file written here.
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/muispd/config.h"
#include "daemon/muispd/muispd.h"
#include "tests/unit/muispd_fix.h"
#include "daemon/muispd/payment_online.h"
#include "ike_watch.h"
#include "log.h"
#include "tests/unit/vici_peer.h"
#include "uapi/muisp.h"

/* The remote method "online" as the test plays it: a call waits in
 * `pending` until finish() ends it. */
static struct {
	payment_done_fn done;
	void *arg;
	unsigned calls;
	char param[64];
	uint64_t refund;
} remote;

static void remote_call(payment_done_fn done, void *arg)
{
	assert_null(remote.done);
	remote.done = done;
	remote.arg = arg;
	remote.calls++;
}

static void remote_authorize(const struct payment_method *self,
			     const struct contract_rec *c, const char *param,
			     payment_done_fn done, void *arg)
{
	snprintf(remote.param, sizeof(remote.param), "%s", param);
	remote_call(done, arg);
}

static void remote_capture(const struct payment_method *self,
			   const struct contract_rec *c, uint64_t refund,
			   payment_done_fn done, void *arg)
{
	remote.refund = refund;
	remote_call(done, arg);
}

static void remote_cancel(const struct payment_method *self,
			  const struct contract_rec *c, const char *auth,
			  payment_done_fn done, void *arg)
{
	snprintf(remote.param, sizeof(remote.param), "void %s", auth);
	remote_call(done, arg);
}

static int remote_deposit(const struct payment_method *self, struct store *st,
			  struct contract_rec *c, const char *id, uint64_t now,
			  char *err, size_t errlen)
{
	snprintf(c->payref, sizeof(c->payref), "%s", id);
	return 0;
}

static int remote_refund(const struct payment_method *self, struct store *st,
			 const struct contract_rec *c, uint64_t refund,
			 uint64_t now, struct statement *s)
{
	if (refund)
		payment_statement_line(s, refund, 1, "released");
	return 0;
}

static const struct payment_method remote_method = {
	.id = MP_METHOD_ONLINE,
	.name = "online",
	.authorize = remote_authorize,
	.deposit = remote_deposit,
	.capture = remote_capture,
	.cancel = remote_cancel,
	.refund = remote_refund,
};

/* The remote party answers the call in flight. */
static void finish(int rc, const char *text)
{
	payment_done_fn done = remote.done;

	assert_non_null(done);
	remote.done = NULL;
	done(remote.arg, rc, text);
}

struct fix {
	char dir[64];
	struct muispd *md;
	struct conn *op;
	uint32_t serial; /* of the next request */
};

static struct conn *user(struct fix *f, const char *addr)
{
	struct conn *c = conn_new(f->md, -1, CONN_USER, addr);

	assert_non_null(c);
	c->state = C_OPEN; /* as after protocol detection */
	return c;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct muispd_conf conf;
	static const struct price prices[] = {
		{ MP_METRIC_BYTES, MP_METHOD_VOUCHER, 0, 10, 1000000 },
		{ MP_METRIC_USAGE_TIME, MP_METHOD_VOUCHER, 0, 100, 3600 },
		{ MP_METRIC_BYTES, MP_METHOD_ROOM, 0, 10, 1000000 },
		{ MP_METRIC_BYTES, MP_METHOD_VOUCHER, 1, 20, 1000000 },
		{ MP_METRIC_BYTES, MP_METHOD_ONLINE, 0, 10, 1000000 },
	};

	if (!f)
		return -1;
	if (muispd_fix_conf(f->dir, sizeof(f->dir), "muispd", &conf))
		return -1;
	conf.warn_interval_s = 1;
	conf.warn_tries = 2;
	memcpy(conf.prices, prices, sizeof(prices));
	conf.nprices = sizeof(prices) / sizeof(prices[0]);
	if (muispd_fix_open(&f->md, &conf, T0) ||
	    payment_register(&f->md->pay, &remote_method))
		return -1;
	memset(&remote, 0, sizeof(remote));
	store_test_fail = kernel_test_fail_unbind = 0;
	kernel_test_fail_flow_set = 0;
	kernel_test_flow_sets = kernel_test_flow_user = 0;
	kernel_test_usage_moves = 0;
	kernel_test_usage_errno = 0;
	memset(&kernel_test_tunnel, 0, sizeof(kernel_test_tunnel));
	f->op = conn_new(f->md, -1, CONN_OP, "operator");
	if (!f->op)
		return -1;
	*state = f;
	return 0;
}

MUISPD_FIX_TEARDOWN

/* m fed to c and read at once (no reply waits). */
static void send_msg(struct fix *f, struct conn *c, struct mp_msg *m)
{
	muispd_fix_feed(f->md, c, m);
	assert_int_equal(c->rlen, 0);
}

static void req(struct fix *f, struct mp_msg *m, uint8_t type)
{
	mp_init(m, type, 0, ++f->serial);
}

/* The reply to the last request: of type TYPE, nothing after it. */
static void reply(struct fix *f, struct conn *c, uint8_t type,
		  struct mp_msg *out)
{
	muispd_fix_next(c, out);
	if (out->type == MP_T_ERROR && type != MP_T_ERROR)
		fail_msg("error %llu: %s",
			 (unsigned long long)out->u[MP_A_ERROR],
			 out->s[MP_A_MESSAGE]);
	assert_int_equal(out->type, type);
	assert_true(out->flags & MP_F_REPLY);
	assert_int_equal(out->serial, f->serial);
	assert_int_equal(c->wlen, 0);
}

static void error(struct fix *f, struct conn *c, int err, const char *text)
{
	struct mp_msg m;

	reply(f, c, MP_T_ERROR, &m);
	assert_int_equal(m.u[MP_A_ERROR], err);
	if (text)
		assert_string_equal(m.s[MP_A_MESSAGE], text);
}

static void voucher(struct fix *f, uint64_t amount, char *code)
{
	struct mp_msg m;

	req(f, &m, MP_T_OP_VOUCHER_ISSUE);
	mp_set_u(&m, MP_A_AMOUNT, amount);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_VOUCHER, &m);
	assert_int_equal(m.u[MP_A_BALANCE], amount);
	strcpy(code, m.s[MP_A_CODE]);
	assert_int_equal(strlen(code), 19);
}

static uint64_t balance(struct fix *f, const char *code)
{
	struct mp_msg m;

	req(f, &m, MP_T_OP_VOUCHER_SHOW);
	mp_set_s(&m, MP_A_CODE, code);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_VOUCHER, &m);
	return m.u[MP_A_BALANCE];
}

static uint64_t offer(struct fix *f, struct conn *c, struct mp_msg *out)
{
	struct mp_msg m;

	req(f, &m, MP_T_OFFER_GET);
	send_msg(f, c, &m);
	reply(f, c, MP_T_OFFER, out);
	return out->u[MP_A_OFFER_SERIAL];
}

static void request_with(struct fix *f, struct conn *c, uint64_t offer_serial,
			 uint8_t metric, uint8_t method, uint64_t soft,
			 uint64_t hard)
{
	struct mp_msg m;

	req(f, &m, MP_T_REQUEST);
	mp_set_u(&m, MP_A_OFFER_SERIAL, offer_serial);
	mp_set_u(&m, MP_A_METRIC, metric);
	mp_set_u(&m, MP_A_METHOD, method);
	mp_set_u(&m, MP_A_SOFT, soft);
	mp_set_u(&m, MP_A_HARD, hard);
	send_msg(f, c, &m);
}

static void request(struct fix *f, struct conn *c, uint64_t offer_serial,
		    uint8_t metric, uint64_t soft, uint64_t hard)
{
	request_with(f, c, offer_serial, metric, MP_METHOD_VOUCHER, soft, hard);
}

/* OFFER_GET, REQUEST: the quote's serial and deposit. */
static uint64_t quote(struct fix *f, struct conn *c, uint8_t metric,
		      uint64_t soft, uint64_t hard, uint64_t *deposit)
{
	struct mp_msg m;

	request(f, c, offer(f, c, &m), metric, soft, hard);
	reply(f, c, MP_T_QUOTE, &m);
	*deposit = m.u[MP_A_AMOUNT];
	return m.u[MP_A_SERIAL];
}

static void deposit(struct fix *f, struct conn *c, uint64_t serial,
		    const char *code)
{
	struct mp_msg m;

	req(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_s(&m, MP_A_PAYMENT, code);
	send_msg(f, c, &m);
}

/* Buy a bytes contract with a new voucher: its receipt in *rcpt. */
static uint64_t buy(struct fix *f, struct conn *c, struct mp_msg *rcpt)
{
	char code[32];
	uint64_t serial, dep;

	voucher(f, 100, code);
	serial = quote(f, c, MP_METRIC_BYTES, 1000000, 2000000, &dep);
	deposit(f, c, serial, code);
	reply(f, c, MP_T_RECEIPT, rcpt);
	return serial;
}

/* muispd closed and opened again on its store at now; a new operator
 * connection. */
static void restart(struct fix *f, uint64_t now)
{
	struct muispd_conf conf = f->md->conf;

	muispd_close(f->md);
	muispd_init(f->md, &conf);
	f->md->clock = now;
	assert_int_equal(muispd_open(f->md), 0);
	f->op = conn_new(f->md, -1, CONN_OP, "operator");
	assert_non_null(f->op);
}

/* A request naming a contract; it may wait behind another. */
static void command(struct fix *f, struct conn *c, uint8_t type,
		    uint64_t serial)
{
	struct mp_msg m;

	req(f, &m, type);
	mp_set_u(&m, MP_A_SERIAL, serial);
	muispd_fix_feed(f->md, c, &m);
}

static void status(struct fix *f, struct conn *c, uint8_t type, uint64_t serial,
		   struct mp_msg *out)
{
	command(f, c, type, serial);
	reply(f, c, MP_T_STATUS, out);
	assert_int_equal(out->u[MP_A_SERIAL], serial);
}

static void bind_receipt(struct fix *f, struct conn *c,
			 const struct mp_msg *rcpt)
{
	struct mp_msg m;

	req(f, &m, MP_T_BIND);
	mp_set_bytes(&m, MP_A_RECEIPT, rcpt->bytes, rcpt->bytes_len);
	send_msg(f, c, &m);
}

static void statement_get(struct fix *f, struct conn *c,
			  const struct mp_msg *rcpt)
{
	struct mp_msg m;

	req(f, &m, MP_T_STATEMENT_GET);
	mp_set_bytes(&m, MP_A_RECEIPT, rcpt->bytes, rcpt->bytes_len);
	send_msg(f, c, &m);
}

static void usage_add(struct fix *f, uint64_t serial, uint64_t n,
		      struct mp_msg *out)
{
	struct mp_msg m;

	req(f, &m, MP_T_OP_USAGE_ADD);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_USAGE, n);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_STATUS, out);
}

/* OFFER_GET -> REQUEST -> DEPOSIT -> receipt -> BIND -> commands ->
 * TERMINATE -> statement, and the operator's view of each step. */
static void test_flow(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, w;
	char code[32];
	uint64_t serial, dep;

	voucher(f, 50, code);
	offer(f, c, &m);
	assert_string_equal(m.s[MP_A_CURRENCY], "EUR");
	assert_int_equal(m.u[MP_A_TIME], T0);
	assert_int_equal(m.u[MP_A_EXPIRY], T0 + 300);
	assert_int_equal(m.nitems, 5);
	assert_int_equal(m.items[0].metric, MP_METRIC_BYTES);
	assert_int_equal(m.items[0].price, 10);
	assert_int_equal(m.u[MP_A_LOAD], 0);

	serial = quote(f, c, MP_METRIC_BYTES, 1000000, 2000000, &dep);
	assert_int_equal(dep, 20);
	deposit(f, c, serial, code);
	reply(f, c, MP_T_RECEIPT, &m);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_int_equal(m.u[MP_A_STATE], CS_SUSPENDED);
	assert_string_equal(m.s[MP_A_ADDR], ALICE);
	assert_int_equal(m.bytes_len, RECEIPT_LEN);
	assert_int_equal(m.u[MP_A_EXPIRY], T0 + 86400);
	assert_int_equal(balance(f, code), 30);

	/* The receipt binds again from the same address (reconnect). */
	bind_receipt(f, c, &m);
	reply(f, c, MP_T_STATUS, &w);
	assert_int_equal(w.u[MP_A_STATE], CS_SUSPENDED);

	status(f, c, MP_T_START, serial, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_ACTIVE);
	/* Past the soft limit: delinquent, and the user is warned. */
	usage_add(f, serial, 1200000, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_DELINQUENT);
	muispd_fix_next(c, &w);
	assert_int_equal(w.type, MP_T_WARNING);
	assert_true(w.flags & MP_F_ASYNC);
	assert_int_equal(w.u[MP_A_WARNING], MP_WARN_SOFT_LIMIT);
	assert_int_equal(w.u[MP_A_USAGE], 1200000);
	assert_int_equal(c->wlen, 0);
	status(f, c, MP_T_USAGE, serial, &m);
	assert_int_equal(m.u[MP_A_USAGE], 1200000);
	/* Extend past the hard limit: refused; within: active again. */
	req(f, &m, MP_T_EXTEND);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_SOFT, 2000001);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_LIMITS, "extend not allowed while delinquent");
	req(f, &m, MP_T_EXTEND);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_SOFT, 1500000);
	send_msg(f, c, &m);
	reply(f, c, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_ACTIVE);
	assert_int_equal(m.u[MP_A_SOFT], 1500000);
	status(f, c, MP_T_SUSPEND, serial, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_SUSPENDED);

	/* 1200000 bytes at 10 per 1000000: charge 12, refund 8. */
	command(f, c, MP_T_TERMINATE, serial);
	reply(f, c, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_CHARGE], 12);
	assert_int_equal(m.u[MP_A_REFUND], 8);
	assert_int_equal(m.nlines, 3);
	assert_int_equal(m.lines[2].amount, 8);
	assert_int_equal(m.lines[2].credit, 1);
	assert_int_equal(balance(f, code), 38);
	assert_null(live_find(f->md, serial));

	/* The operator sees it extinguished; it no longer binds. */
	command(f, f->op, MP_T_OP_CONTRACT_SHOW, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_CHARGE], 12);
	assert_int_equal(m.bytes_len, RECEIPT_LEN);
	bind_receipt(f, c, &m);
	error(f, c, MP_ERR_EXPIRED, NULL);
	command(f, c, MP_T_USAGE, serial);
	error(f, c, MP_ERR_UNKNOWN, NULL);
}

/* Stale quotes and offers, wrong serials and addresses, bad payments. */
static void test_refusals(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg m;
	char code[32], buf[64];
	uint64_t serial, o, dep;

	voucher(f, 50, code);
	/* An offer expires after offer-ttl. */
	o = offer(f, c, &m);
	f->md->clock = T0 + 300;
	request(f, c, o, MP_METRIC_BYTES, 1, 2);
	error(f, c, MP_ERR_OFFER, "offer unknown or expired");
	/* Options and limits the offer does not allow. */
	o = offer(f, c, &m);
	request(f, c, o, MP_METRIC_PACKETS, 1, 2);
	error(f, c, MP_ERR_OFFER, "option not offered");
	request(f, c, o, MP_METRIC_BYTES, 3, 2);
	error(f, c, MP_ERR_LIMITS, NULL);
	request(f, c, o + 1000, MP_METRIC_BYTES, 1, 2);
	error(f, c, MP_ERR_OFFER, NULL);

	/* A quote expires after offer-ttl too. */
	serial = quote(f, c, MP_METRIC_BYTES, 1000000, 2000000, &dep);
	f->md->clock = T0 + 600;
	deposit(f, c, serial, code);
	error(f, c, MP_ERR_UNKNOWN, "no such quote");
	/* A quote is for the address that asked. */
	serial = quote(f, c, MP_METRIC_BYTES, 1000000, 2000000, &dep);
	deposit(f, b, serial, code);
	error(f, b, MP_ERR_UNKNOWN, "no such quote");
	/* Wrong serial, method, amount, voucher. */
	deposit(f, c, serial + 1, code);
	error(f, c, MP_ERR_UNKNOWN, "no such quote");
	req(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_ROOM);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PAYMENT, "method differs from the request");
	req(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&m, MP_A_AMOUNT, 19);
	mp_set_s(&m, MP_A_PAYMENT, code);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PAYMENT, "deposit is 20");
	deposit(f, c, serial, "AAAA-BBBB-CCCC-DDDD");
	error(f, c, MP_ERR_PAYMENT, "unknown voucher");
	assert_int_equal(balance(f, code), 50);
	/* A command on a contract that is not ours. */
	command(f, c, MP_T_START, 4242);
	snprintf(buf, sizeof(buf), "no contract 4242 bound to %s", ALICE);
	error(f, c, MP_ERR_UNKNOWN, buf);
	/* An offline method is for the operator. */
	o = offer(f, c, &m);
	request_with(f, c, o, MP_METRIC_BYTES, MP_METHOD_ROOM, 1, 2);
	error(f, c, MP_ERR_PAYMENT,
	      "room is an offline method: get a "
	      "password from the operator");
	assert_int_equal(f->md->nlives, 0);
}

/* An agent's hello: refused without agent-ca, then without TLS; a
 * keep-alive needs a session.  The keyed path (TLS, the exporter, the
 * module) runs in the VM scenario uinfo-keys. */
static void test_agent_refusals(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m;

	req(f, &m, MP_T_UINFO_HELLO);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PERM, "agents are not enabled here (agent-ca)");
	snprintf(f->md->conf.agent_ca, sizeof(f->md->conf.agent_ca),
		 "/nonexistent/agent-ca.pem");
	req(f, &m, MP_T_UINFO_HELLO);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_CERT, "an agent needs TLS");
	req(f, &m, MP_T_UINFO_KEEPALIVE);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_STATE, "no agent session (hello)");
	assert_int_equal(c->agent_key_id, 0);
	assert_int_equal(uinfo_silent(c, T0 + 3600), 0);
}

/* A TCP connection over loopback: the router's end in *srv, the host's
 * port in *sport, the router's in *dport; the host's end returned. */
static int tcp_pair(int *srv, uint16_t *sport, uint16_t *dport)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c;

	assert_true(l >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	*dport = ntohs(a.sin_port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	*srv = accept(l, NULL, NULL);
	assert_true(*srv >= 0);
	al = sizeof(a);
	assert_int_equal(getsockname(c, (struct sockaddr *)&a, &al), 0);
	*sport = ntohs(a.sin_port);
	close(l);
	return c;
}

/* The agent's channel: keyed for 127.0.0.1 (as after UINFO_HELLO). */
static struct conn *agent_conn(struct fix *f)
{
	struct conn *a = user(f, "127.0.0.1");

	a->agent_key_id = 1;
	f->md->agent_sessions++; /* as uinfo_hello() counts it */
	a->agent_interval = 10;
	a->agent_naddrs = 1;
	strcpy(a->agent_addrs[0], "127.0.0.1");
	a->identified = 1;
	return a;
}

/* A user connection of the agent's host, which sends OFFER_GET: the
 * request waits, the agent is asked about exactly this connection;
 * the host's end in *host (closed by the caller). */
static struct conn *asking(struct fix *f, struct conn *a, uint32_t *serial,
			   int *host)
{
	uint16_t sport, dport;
	struct conn *c;
	struct mp_msg m;
	int srv;

	*host = tcp_pair(&srv, &sport, &dport);
	c = conn_new(f->md, srv, CONN_USER, "127.0.0.1");
	assert_non_null(c);
	c->state = C_OPEN;
	req(f, &m, MP_T_OFFER_GET);
	muispd_fix_feed(f->md, c, &m);
	assert_int_equal(c->wlen, 0); /* held */
	assert_non_null(c->ask);
	muispd_fix_next(a, &m);
	assert_int_equal(m.type, MP_T_UINFO_OWNER_GET);
	assert_false(m.flags & MP_F_REPLY);
	assert_string_equal(m.s[MP_A_ADDR], "127.0.0.1");
	assert_string_equal(m.s[MP_A_PEER], "127.0.0.1");
	assert_int_equal(m.u[MP_A_SPORT], sport);
	assert_int_equal(m.u[MP_A_DPORT], dport);
	*serial = m.serial;
	return c;
}

/* The agent's answer to OWNER_GET serial: user (if has_user), or ERROR. */
static void owner(struct fix *f, struct conn *a, uint32_t serial, int has_user,
		  uint32_t user, int err)
{
	struct mp_msg m;

	mp_init(&m, err ? MP_T_ERROR : MP_T_UINFO_OWNER, MP_F_REPLY, serial);
	if (err) {
		mp_set_u(&m, MP_A_ERROR, (uint64_t)err);
		mp_set_s(&m, MP_A_MESSAGE, "no such connection");
	} else if (has_user) {
		mp_set_u(&m, MP_A_USER, user);
	}
	muispd_fix_feed(f->md, a, &m);
	assert_int_equal(a->wlen, 0); /* nothing answers an answer */
}

/* A user's connection from a host with an agent: the agent says who
 * opened it; a mapped user's purchase is bound to "ID@ADDRESS", usable
 * only from that user's connections; the host's own connection stays
 * the address's; an ERROR, silence and the agent's channel ending refuse
 * the request (BUSY) and close the connection. */
static void test_agent_owner(void **state)
{
	struct fix *f = *state;
	struct conn *a = agent_conn(f), *c, *h;
	struct mp_msg m, rc;
	uint32_t serial;
	uint64_t k;
	int host, host2;

	/* silent: more than 3 intervals (10 s) in whole seconds, so a frame
	 * at the end of a second is not cut a second early */
	assert_int_equal(uinfo_silent(a, a->last + 30), 0);
	assert_int_equal(uinfo_silent(a, a->last + 31), 1);
	/* user 7 opened it: the held OFFER_GET is answered, addr is 7's */
	c = asking(f, a, &serial, &host);
	owner(f, a, serial + 1, 1, 9, 0); /* no such question: ignored */
	assert_non_null(c->ask);
	owner(f, a, serial, 1, 7, 0);
	assert_null(c->ask);
	assert_string_equal(c->addr, "7@127.0.0.1");
	reply(f, c, MP_T_OFFER, &m);
	k = buy(f, c, &rc);
	assert_string_equal(rc.s[MP_A_ADDR], "7@127.0.0.1");
	req(f, &m, MP_T_OP_CONTRACT_SHOW);
	mp_set_u(&m, MP_A_SERIAL, k);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_string_equal(m.s[MP_A_ADDR], "7@127.0.0.1");
	/* the host's own connection (an unmapped user): the address */
	h = asking(f, a, &serial, &host2);
	owner(f, a, serial, 0, 0, 0);
	assert_string_equal(h->addr, "127.0.0.1");
	reply(f, h, MP_T_OFFER, &m);
	/* ... which may not use user 7's contract */
	command(f, h, MP_T_USAGE, k);
	reply(f, h, MP_T_ERROR, &m);
	command(f, c, MP_T_USAGE, k);
	reply(f, c, MP_T_STATUS, &m);
	/* the host's IPsec SA gone: user 7's contract is unbound with the
	 * host's (the module serves a user only while the host is served) */
	ikesync_unbind(f->md, "127.0.0.1", 0, f->md->clock);
	req(f, &m, MP_T_OP_CONTRACT_SHOW);
	mp_set_u(&m, MP_A_SERIAL, k);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_UNBOUND);
	assert_false(mp_has(&m, MP_A_ADDR));
	close(host2);
	close(host);
	/* the agent knows no such connection: refused, closed */
	c = asking(f, a, &serial, &host);
	owner(f, a, serial, 0, 0, MP_ERR_UNKNOWN);
	error(f, c, MP_ERR_BUSY, NULL);
	assert_int_equal(c->state, C_CLOSING);
	close(host);
	/* no answer within the time-out */
	c = asking(f, a, &serial, &host);
	f->md->clock += 4;
	conn_deadlines(f->md);
	assert_int_equal(c->wlen, 0);
	f->md->clock += 1;
	conn_deadlines(f->md);
	error(f, c, MP_ERR_BUSY, NULL);
	assert_int_equal(c->state, C_CLOSING);
	owner(f, a, serial, 1, 7, 0); /* late: ignored */
	close(host);
	/* the agent's channel ends while asked */
	c = asking(f, a, &serial, &host);
	uinfo_conn_gone(f->md, a);
	error(f, c, MP_ERR_BUSY, NULL);
	assert_int_equal(c->state, C_CLOSING);
	close(host);
	/* no agent keys the address any more: the address's, at once */
	c = user(f, "127.0.0.1");
	req(f, &m, MP_T_OFFER_GET);
	send_msg(f, c, &m);
	reply(f, c, MP_T_OFFER, &m);
	assert_string_equal(c->addr, "127.0.0.1");
	/* muispd closing with an agent asked and a question open (teardown:
	 * freeing the agent refuses the question, of a connection not yet
	 * freed or already gone) */
	a = agent_conn(f);
	c = asking(f, a, &serial, &host);
	close(host);
}

/* OP_USER_BLOCK for user@addr (blocked or allowed again): OP_OK's text,
 * or ERROR err. */
static void op_block(struct fix *f, const char *addr, uint32_t user,
		     int blocked, const char *reason, int err, char *text)
{
	struct mp_msg m;

	req(f, &m, MP_T_OP_USER_BLOCK);
	mp_set_s(&m, MP_A_ADDR, addr);
	mp_set_u(&m, MP_A_USER, user);
	mp_set_u(&m, MP_A_BLOCKED, (uint64_t)blocked);
	if (reason)
		mp_set_s(&m, MP_A_MESSAGE, reason);
	send_msg(f, f->op, &m);
	if (err) {
		error(f, f->op, err, NULL);
		return;
	}
	reply(f, f->op, MP_T_OP_OK, &m);
	strcpy(text, m.s[MP_A_MESSAGE]);
}

/* The block list as "ADDR USER PUSH REASON|..." */
static const char *blocks_list(struct fix *f, char *buf, size_t len)
{
	struct mp_msg m;
	size_t o = 0;

	buf[0] = '\0';
	req(f, &m, MP_T_OP_USER_BLOCK_LIST);
	send_msg(f, f->op, &m);
	for (;;) {
		muispd_fix_next(f->op, &m);
		assert_int_equal(m.serial, f->serial);
		if (m.type == MP_T_OP_OK)
			break;
		assert_int_equal(m.type, MP_T_OP_USER_BLOCK_ROW);
		assert_true(m.flags & MP_F_MORE);
		assert_int_equal(m.u[MP_A_TIME], f->md->clock);
		o += (size_t)snprintf(buf + o, len - o, "%s %u %u %s|",
				      m.s[MP_A_ADDR], (unsigned)m.u[MP_A_USER],
				      (unsigned)m.u[MP_A_PUSH],
				      m.s[MP_A_MESSAGE]);
		assert_true(o < len);
	}
	assert_int_equal(f->op->wlen, 0);
	return buf;
}

/* The UINFO_BLOCK agent a was sent next: its serial. */
static uint32_t pushed(struct conn *a, uint32_t user, int blocked)
{
	struct mp_msg m;

	muispd_fix_next(a, &m);
	assert_int_equal(m.type, MP_T_UINFO_BLOCK);
	assert_false(m.flags & MP_F_REPLY);
	assert_int_equal(m.u[MP_A_USER], user);
	assert_int_equal(m.u[MP_A_BLOCKED], blocked);
	return m.serial;
}

/* The agent's answer to a UINFO_BLOCK: applied, or an ERROR. */
static void block_answer(struct fix *f, struct conn *a, uint32_t serial,
			 uint32_t user, int err)
{
	struct mp_msg m;

	mp_init(&m, err ? MP_T_ERROR : MP_T_UINFO_BLOCKED, MP_F_REPLY, serial);
	if (err) {
		mp_set_u(&m, MP_A_ERROR, (uint64_t)err);
		mp_set_s(&m, MP_A_MESSAGE, "not applied");
	} else {
		mp_set_u(&m, MP_A_USER, user);
		mp_set_u(&m, MP_A_BLOCKED, 1);
	}
	muispd_fix_feed(f->md, a, &m);
	assert_int_equal(a->wlen, 0); /* nothing answers an answer */
	assert_int_equal(a->state, C_OPEN);
}

/*
 * The per-user block list: kept in the store, sent to the host's agent
 * at a new session (before WELCOME: uinfo_hello() calls
 * userblock_session()) and as it changes, its answers shown per row; a
 * blocked user's connections refused and closed; an ID blocked on
 * another of the agent's addresses is not allowed again at the agent.
 */
static void test_user_block(void **state)
{
	struct fix *f = *state;
	struct conn *a, *c, *c8;
	char text[MP_STR_MAX + 1], buf[1024];
	struct mp_msg m;
	uint32_t serial, s7, s8;
	int host, host8;

	/* no agent: kept for its next session */
	op_block(f, "127.0.0.1", 7, 1, "abuse report 12", 0, text);
	assert_string_equal(text, "7@127.0.0.1 blocked: its host has no "
				  "agent connected (sent when it connects)");
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 7 0 abuse report 12|");
	op_block(f, "127.0.0.1", 7, 0, NULL, 0, text);
	op_block(f, "127.0.0.1", 7, 0, NULL, MP_ERR_UNKNOWN, NULL);
	op_block(f, "alice", 7, 1, NULL, MP_ERR_PROTO, NULL);
	op_block(f, "0:0::7f00:1", 7, 1, NULL, 0, text); /* as ::127.0.0.1 */
	assert_string_equal(text, "7@::127.0.0.1 blocked: its host has no "
				  "agent connected (sent when it connects)");
	op_block(f, "::127.0.0.1", 7, 0, NULL, 0, text);
	op_block(f, "127.0.0.1", 7, 1, "abuse report 12", 0, text);
	/* kept: what a restarted muispd loads */
	userblock_close(f->md);
	assert_int_equal(userblock_open(f->md), 0);
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 7 0 abuse report 12|");
	/* a new session gets the list; user 8's connection is identified */
	a = agent_conn(f);
	userblock_session(f->md, a);
	s7 = pushed(a, 7, 1);
	assert_int_equal(a->wlen, 0);
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 7 1 abuse report 12|");
	block_answer(f, a, s7, 7, 0);
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 7 2 abuse report 12|");
	/* blocking it again: nothing sent, the reason replaced */
	op_block(f, "127.0.0.1", 7, 1, "report 13", 0, text);
	assert_string_equal(text, "7@127.0.0.1 blocked: its agent has it");
	assert_int_equal(a->wlen, 0);
	c8 = asking(f, a, &serial, &host8);
	owner(f, a, serial, 1, 8, 0);
	reply(f, c8, MP_T_OFFER, &m);
	/* user 7 is refused at their first request, closed */
	c = asking(f, a, &serial, &host);
	owner(f, a, serial, 1, 7, 0);
	error(f, c, MP_ERR_PERM, "7@127.0.0.1 is blocked by the operator");
	assert_int_equal(c->state, C_CLOSING);
	close(host);
	/* user 8 blocked while connected: sent at once, the channel closed;
	 * the agent fails to apply it: still sent, not applied */
	op_block(f, "127.0.0.1", 8, 1, NULL, 0, text);
	assert_string_equal(text, "8@127.0.0.1 blocked: sent to its agent");
	assert_int_equal(c8->state, C_CLOSING);
	close(host8);
	s8 = pushed(a, 8, 1);
	block_answer(f, a, s8, 8, MP_ERR_INTERNAL);
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 7 2 report 13|127.0.0.1 8 1 |");
	/* allowed again: sent; the answer needs no entry */
	op_block(f, "127.0.0.1", 7, 0, NULL, 0, text);
	assert_string_equal(text, "7@127.0.0.1 allowed again: sent to its "
				  "agent");
	serial = pushed(a, 7, 0);
	mp_init(&m, MP_T_UINFO_BLOCKED, MP_F_REPLY, serial);
	mp_set_u(&m, MP_A_USER, 7);
	mp_set_u(&m, MP_A_BLOCKED, 0);
	muispd_fix_feed(f->md, a, &m);
	assert_int_equal(a->wlen, 0);
	assert_string_equal(blocks_list(f, buf, sizeof(buf)),
			    "127.0.0.1 8 1 |");
	/* the agent keys a second address: an ID blocked on both stays
	 * blocked at the agent until allowed on both */
	a->agent_naddrs = 2;
	strcpy(a->agent_addrs[1], "::1");
	op_block(f, "::1", 8, 1, NULL, 0, text);
	pushed(a, 8, 1);
	op_block(f, "127.0.0.1", 8, 0, NULL, 0, text);
	assert_string_equal(text, "8@127.0.0.1 allowed again");
	assert_int_equal(a->wlen, 0);
	op_block(f, "::1", 8, 0, NULL, 0, text);
	pushed(a, 8, 0);
	/* at most USERBLOCK_HOST_MAX (512) users of one host */
	for (uint32_t u = 1; u <= 512; u++)
		op_block(f, "10.0.0.9", u, 1, NULL, 0, text);
	op_block(f, "10.0.0.9", 513, 1, NULL, MP_ERR_BUSY, NULL);
	op_block(f, "10.0.0.10", 513, 1, NULL, 0, text);
	uinfo_conn_gone(f->md, a);
}

/* A certificate whose subjectAltName is san (OpenSSL's config syntax). */
static X509 *cert_with_san(const char *san)
{
	X509 *x = X509_new();
	X509_EXTENSION *e;

	assert_non_null(x);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	return x;
}

/* The addresses an agent's session keys: the channel's first (as
 * inet_ntop writes it), then the certificate's other IP names in order,
 * each once, names of other kinds skipped, at most max, the count of all. */
static void test_agent_cert_addrs(void **state)
{
	char a[UINFO_ADDRS_MAX][INET6_ADDRSTRLEN];
	X509 *x;

	(void)state;
	x = cert_with_san(
		"IP:192.0.2.7, DNS:alice.example, "
		"IP:2001:db8:0:0::7, IP:192.0.2.7, "
		"email:a@example.org, IP:2001:db8::8, IP:2001:db8::7");
	assert_int_equal(uinfo_cert_addrs(x, "192.0.2.7", a, UINFO_ADDRS_MAX),
			 3);
	assert_string_equal(a[0], "192.0.2.7");
	assert_string_equal(a[1], "2001:db8::7");
	assert_string_equal(a[2], "2001:db8::8");
	/* the channel over IPv6, written the long way */
	assert_int_equal(uinfo_cert_addrs(x, "2001:0db8::0007", a, 2), 3);
	assert_string_equal(a[0], "2001:db8::7");
	assert_string_equal(a[1], "192.0.2.7");
	X509_free(x);
	/* no subjectAltName: the channel's address alone */
	x = X509_new();
	assert_int_equal(uinfo_cert_addrs(x, "192.0.2.9", a, 1), 1);
	assert_string_equal(a[0], "192.0.2.9");
	X509_free(x);
}

/* ---- the standalone meter (uinfo_usage.c, PROTOCOL.md §9 step 9) ---- */

/* A certificate of key signed by signer as issuer (NULL: self-signed, a
 * CA), subjectAltName san (NULL: none), valid from an hour ago. */
static X509 *test_cert(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer,
		       const char *cn, const char *san)
{
	static long serial;
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *e;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	assert_int_equal(X509_set_issuer_name(
				 x, issuer ? X509_get_subject_name(issuer) : n),
			 1);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
				issuer ? "critical,CA:FALSE" :
					 "critical,CA:TRUE");
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (san) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

/* The router's end of a TLS 1.3 session with an agent whose certificate
 * (from a CA the router trusts) names san: the handshake done in memory,
 * as muispd's own context would (the peer verified, the result kept for
 * UINFO_HELLO to read). */
static SSL *agent_tls(const char *san)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	X509 *ca, *crt;
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *srv, *cli;
	BIO *sb, *cb;
	int sdone = 0, cdone = 0;

	assert_non_null(ca_key);
	assert_non_null(key);
	assert_non_null(sctx);
	assert_non_null(cctx);
	ca = test_cert(ca_key, ca_key, NULL, "agent CA", NULL);
	crt = test_cert(key, ca_key, ca, "host", san);
	/* the router: the CA's own certificate will do as its name */
	SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
	assert_int_equal(SSL_CTX_use_certificate(sctx, ca), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(sctx, ca_key), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), ca),
			 1);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
	assert_int_equal(SSL_CTX_use_certificate(cctx, crt), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(cctx, key), 1);
	srv = SSL_new(sctx);
	cli = SSL_new(cctx);
	assert_non_null(srv);
	assert_non_null(cli);
	assert_int_equal(BIO_new_bio_pair(&sb, 0, &cb, 0), 1);
	SSL_set_bio(srv, sb, sb);
	SSL_set_bio(cli, cb, cb);
	SSL_set_accept_state(srv);
	SSL_set_connect_state(cli);
	for (int i = 0; i < 16 && !(sdone && cdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(cli) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(srv) == 1;
	}
	assert_true(sdone && cdone);
	assert_int_equal(SSL_get_verify_result(srv), X509_V_OK);
	SSL_free(cli);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx); /* srv holds it */
	X509_free(crt);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return srv;
}

/* A usage record of the host's user, sequence number seq, in *m: 2
 * packets sent, 3000 bytes and 4 packets received. */
static void usage_msg(struct fix *f, struct mp_msg *m, uint64_t seq,
		      uint32_t user, uint64_t start, uint64_t end,
		      uint64_t sent_bytes)
{
	req(f, m, MP_T_UINFO_USAGE);
	mp_set_u(m, MP_A_SERIAL, seq);
	mp_set_u(m, MP_A_USER, user);
	mp_set_u(m, MP_A_TIME, start);
	mp_set_u(m, MP_A_END, end);
	mp_set_u(m, MP_A_SENT_BYTES, sent_bytes);
	mp_set_u(m, MP_A_SENT_PKTS, 2);
	mp_set_u(m, MP_A_RECV_BYTES, 3000);
	mp_set_u(m, MP_A_RECV_PKTS, 4);
}

/* ... fed to a. */
static void usage_send(struct fix *f, struct conn *a, uint64_t seq,
		       uint32_t user, uint64_t start, uint64_t end,
		       uint64_t sent_bytes)
{
	struct mp_msg m;

	usage_msg(f, &m, seq, user, start, end, sent_bytes);
	send_msg(f, a, &m);
}

/* ... and acked: the answer to it, with its sequence number. */
static void usage_acked(struct fix *f, struct conn *a, uint64_t seq,
			uint32_t user, uint64_t start, uint64_t end,
			uint64_t sent_bytes)
{
	struct mp_msg m;

	usage_send(f, a, seq, user, start, end, sent_bytes);
	reply(f, a, MP_T_UINFO_USAGE_ACK, &m);
	assert_int_equal(m.u[MP_A_SERIAL], seq);
}

/* OP_AGENT_USAGE (of host, NULL: all) as "HOST USER FIRST LAST SENT_B
 * SENT_P RECV_B RECV_P SEQ|..." */
static const char *usage_rows(struct fix *f, const char *host, char *buf,
			      size_t len)
{
	struct mp_msg m;
	size_t o = 0;

	buf[0] = '\0';
	req(f, &m, MP_T_OP_AGENT_USAGE);
	if (host)
		mp_set_s(&m, MP_A_ADDR, host);
	send_msg(f, f->op, &m);
	for (;;) {
		muispd_fix_next(f->op, &m);
		assert_int_equal(m.serial, f->serial);
		if (m.type == MP_T_OP_OK)
			break;
		assert_int_equal(m.type, MP_T_OP_AGENT_USAGE_ROW);
		assert_true(m.flags & MP_F_MORE);
		o += (size_t)snprintf(
			buf + o, len - o,
			"%s %u %llu %llu %llu %llu %llu %llu %llu|",
			m.s[MP_A_ADDR], (unsigned)m.u[MP_A_USER],
			(unsigned long long)m.u[MP_A_TIME],
			(unsigned long long)m.u[MP_A_END],
			(unsigned long long)m.u[MP_A_SENT_BYTES],
			(unsigned long long)m.u[MP_A_SENT_PKTS],
			(unsigned long long)m.u[MP_A_RECV_BYTES],
			(unsigned long long)m.u[MP_A_RECV_PKTS],
			(unsigned long long)m.u[MP_A_SERIAL]);
		assert_true(o < len);
	}
	assert_false(mp_has(&m, MP_A_MESSAGE));
	assert_int_equal(f->op->wlen, 0);
	return buf;
}

/* A standalone agent's hello (SCHEME 2) is keyed as in band, the session
 * marked standalone, its records named by the certificate's first
 * address (not the channel's); an in-band hello on the same channel
 * after it is not standalone any more; SCHEME 1 without a hold queue is
 * still refused. */
static void test_agent_standalone_hello(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, "127.0.0.1");
	char buf[512];
	struct mp_msg m;

	snprintf(f->md->conf.agent_ca, sizeof(f->md->conf.agent_ca),
		 "/nonexistent/agent-ca.pem");
	a->ssl = agent_tls("IP:192.0.2.7, IP:127.0.0.1");
	req(f, &m, MP_T_UINFO_HELLO);
	mp_set_u(&m, MP_A_SCHEME, MP_SCHEME_OUT_OF_BAND);
	send_msg(f, a, &m);
	error(f, a, MP_ERR_PERM, NULL); /* no agent-hold-queue here */
	req(f, &m, MP_T_UINFO_HELLO);
	mp_set_u(&m, MP_A_SCHEME, MP_SCHEME_STANDALONE);
	send_msg(f, a, &m);
	reply(f, a, MP_T_UINFO_WELCOME, &m);
	assert_true(m.u[MP_A_KEY_ID] >= 1);
	assert_string_equal(m.s[MP_A_ADDR], "127.0.0.1");
	assert_int_equal(a->agent_key_id, m.u[MP_A_KEY_ID]);
	assert_int_equal(a->agent_scheme, MP_SCHEME_STANDALONE);
	assert_int_equal(a->agent_naddrs, 2);
	assert_string_equal(a->agent_addrs[0], "127.0.0.1");
	assert_string_equal(a->agent_host, "192.0.2.7");
	assert_int_equal(f->md->agent_sessions, 1);
	/* its records: the certificate's first address's */
	usage_acked(f, a, 1, 7, T0, T0 + 60, 1000);
	assert_string_equal(usage_rows(f, NULL, buf, sizeof(buf)),
			    "192.0.2.7 7 1700000000 1700000060 1000 2 3000 4 "
			    "1|");
	/* in band again: no more records */
	req(f, &m, MP_T_UINFO_HELLO);
	send_msg(f, a, &m);
	reply(f, a, MP_T_UINFO_WELCOME, &m);
	assert_int_equal(a->agent_scheme, MP_SCHEME_IN_BAND);
	assert_int_equal(f->md->agent_sessions, 1);
	usage_send(f, a, 2, 7, T0, T0 + 60, 1000);
	error(f, a, MP_ERR_PERM, NULL);
	uinfo_conn_gone(f->md, a);
	assert_int_equal(f->md->agent_sessions, 0);
}

/*
 * UINFO_USAGE: refused without an agent session (STATE) and on one that
 * is not standalone (PERM), with sequence number 0 or an end before the
 * start (PROTO); stored and acked with its sequence number, the answers
 * in order when several come back to back; sent again (its ack lost),
 * acked again and stored once, even with other values (the first kept);
 * not stored (the store failed): ERROR(INTERNAL), stored when sent again;
 * kept across a restart.  OP_AGENT_USAGE: a row per host and user, by
 * host and user: the first start, the last end, the sums (saturated at
 * 2^64 - 1), the host's highest sequence number; one host's rows.
 */
static void test_agent_usage(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *a, *b;
	char buf[1024];
	struct mp_msg m, m2;
	int n;

	/* no session */
	usage_send(f, c, 1, 7, T0, T0 + 60, 1000);
	error(f, c, MP_ERR_STATE, "no agent session (hello)");
	usage_send(f, f->op, 1, 7, T0, T0 + 60, 1000);
	error(f, f->op, MP_ERR_STATE, "no agent session (hello)");
	/* in band */
	a = agent_conn(f);
	usage_send(f, a, 1, 7, T0, T0 + 60, 1000);
	error(f, a, MP_ERR_PERM, NULL);
	assert_int_equal(f->md->agent_usage.refused, 3);
	/* standalone (as uinfo_hello() leaves it) */
	a->agent_scheme = MP_SCHEME_STANDALONE;
	strcpy(a->agent_host, "127.0.0.1");
	usage_send(f, a, 0, 7, T0, T0 + 60, 1000);
	error(f, a, MP_ERR_PROTO, NULL);
	usage_send(f, a, 1, 7, T0, T0 - 1, 1000);
	error(f, a, MP_ERR_PROTO, NULL);
	assert_int_equal(f->md->agent_usage.refused, 5);
	assert_string_equal(usage_rows(f, NULL, buf, sizeof(buf)), "");
	usage_acked(f, a, 1, 7, T0, T0 + 60, 1000);
	usage_acked(f, a, 1, 7, T0, T0 + 60, 1000); /* its ack lost */
	usage_acked(f, a, 1, 8, T0, T0 + 60, 5);    /* not the one stored */
	assert_int_equal(f->md->agent_usage.stored, 1);
	assert_int_equal(f->md->agent_usage.dups, 2);
	assert_int_equal(f->md->agent_usage.conflicts, 1);
	assert_string_equal(usage_rows(f, NULL, buf, sizeof(buf)),
			    "127.0.0.1 7 1700000000 1700000060 1000 2 3000 4 "
			    "1|");
	/* a batch: two records back to back, answered in order */
	usage_send(f, a, 3, 8, T0 + 30, T0 + 90, 10);
	usage_msg(f, &m, 2, 7, T0 + 60, T0 + 120, UINT64_MAX);
	n = mp_encode(&m, a->rbuf, sizeof(a->rbuf));
	assert_true(n > 0);
	m.serial = ++f->serial;
	mp_set_u(&m, MP_A_SERIAL, 4);
	mp_set_u(&m, MP_A_USER, 9);
	n += mp_encode(&m, a->rbuf + n, sizeof(a->rbuf) - (size_t)n);
	a->rlen = (size_t)n;
	conn_input(f->md, a);
	assert_int_equal(a->rlen, 0);
	muispd_fix_next(a, &m2); /* seq 3's */
	assert_int_equal(m2.type, MP_T_UINFO_USAGE_ACK);
	assert_int_equal(m2.serial, f->serial - 2);
	assert_int_equal(m2.u[MP_A_SERIAL], 3);
	muispd_fix_next(a, &m2);
	assert_int_equal(m2.type, MP_T_UINFO_USAGE_ACK);
	assert_int_equal(m2.serial, f->serial - 1);
	assert_int_equal(m2.u[MP_A_SERIAL], 2);
	reply(f, a, MP_T_UINFO_USAGE_ACK, &m2);
	assert_int_equal(m2.u[MP_A_SERIAL], 4);
	/* user 7's sum of sent bytes: saturated */
	assert_string_equal(usage_rows(f, NULL, buf, sizeof(buf)),
			    "127.0.0.1 7 1700000000 1700000120 "
			    "18446744073709551615 4 6000 8 4|"
			    "127.0.0.1 8 1700000030 1700000090 10 2 3000 4 4|"
			    "127.0.0.1 9 1700000060 1700000120 "
			    "18446744073709551615 2 3000 4 4|");
	/* the store fails: not acked, kept by the agent and sent again */
	store_test_fail = 1;
	usage_send(f, a, 5, 7, T0 + 120, T0 + 180, 1);
	error(f, a, MP_ERR_INTERNAL,
	      "usage record 5 not stored: send it again");
	store_test_fail = 0;
	assert_int_equal(f->md->agent_usage.failed, 1);
	usage_acked(f, a, 5, 7, T0 + 120, T0 + 180, 1);
	/* a backlog longer than the address's burst: not counted against
	 * it (the clock stands still: no token comes back meanwhile) */
	for (uint64_t seq = 6; seq < 6 + 2 * f->md->conf.msg_burst; seq++)
		usage_acked(f, a, seq, 10, T0, T0 + 60, 1);
	assert_int_equal(a->state, C_OPEN);
	assert_int_equal(f->md->refused.rate, 0);
	assert_int_equal(f->md->agent_usage.stored,
			 5 + 2 * f->md->conf.msg_burst);
	/* another host (an IPv6 agent), before the first by name */
	b = agent_conn(f);
	b->agent_scheme = MP_SCHEME_STANDALONE;
	strcpy(b->agent_host, "::1");
	strcpy(b->agent_addrs[0], "::1");
	usage_acked(f, b, 1, 7, T0, T0 + 10, 1);
	assert_string_equal(usage_rows(f, "0:0::1", buf, sizeof(buf)),
			    "::1 7 1700000000 1700000010 1 2 3000 4 1|");
	assert_string_equal(usage_rows(f, "127.0.0.1", buf, sizeof(buf)),
			    "127.0.0.1 7 1700000000 1700000180 "
			    "18446744073709551615 6 9000 12 105|"
			    "127.0.0.1 8 1700000030 1700000090 10 2 3000 4 "
			    "105|"
			    "127.0.0.1 9 1700000060 1700000120 "
			    "18446744073709551615 2 3000 4 105|"
			    "127.0.0.1 10 1700000000 1700000060 100 200 300000 "
			    "400 105|");
	assert_string_equal(usage_rows(f, "192.0.2.1", buf, sizeof(buf)), "");
	/* over the session's own bucket (agent-report-burst; the clock
	 * stands still): refused BUSY, not stored, the channel kept */
	f->md->conf.agent_report_burst = 1;
	usage_acked(f, b, 2, 7, T0, T0 + 10, 1);
	usage_send(f, b, 3, 7, T0, T0 + 10, 1);
	error(f, b, MP_ERR_BUSY,
	      "usage records over agent-report-rate: send it again later");
	assert_int_equal(b->state, C_OPEN);
	f->md->conf.agent_report_burst = 2000;
	assert_string_equal(usage_rows(f, "::1", buf, sizeof(buf)),
			    "::1 7 1700000000 1700000010 2 4 6000 8 2|");
	/* all: by host ("127..." before "::1") and user */
	usage_rows(f, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "|127.0.0.1 10 1700000000 1700000060 100 "
				    "200 300000 400 105|"
				    "::1 7 1700000000 1700000010 2 4 6000 8 "
				    "2|"));
	assert_int_equal(strncmp(buf, "127.0.0.1 7 ", 12), 0);
	req(f, &m, MP_T_OP_AGENT_USAGE);
	mp_set_s(&m, MP_A_ADDR, "alice");
	send_msg(f, f->op, &m);
	error(f, f->op, MP_ERR_PROTO, "not an IP address: alice");
	/* agents may not ask, users neither */
	req(f, &m, MP_T_OP_AGENT_USAGE);
	send_msg(f, a, &m);
	error(f, a, MP_ERR_PERM, "operator only");
	/* kept: a restarted muispd has them, and knows a resent one */
	restart(f, T0 + 300);
	assert_string_equal(usage_rows(f, "::1", buf, sizeof(buf)),
			    "::1 7 1700000000 1700000010 2 4 6000 8 2|");
	a = agent_conn(f);
	a->agent_scheme = MP_SCHEME_STANDALONE;
	strcpy(a->agent_host, "127.0.0.1");
	usage_acked(f, a, 5, 7, T0 + 120, T0 + 180, 1);
	assert_int_equal(f->md->agent_usage.stored, 0);
	assert_int_equal(f->md->agent_usage.dups, 1);
	assert_int_equal(f->md->agent_usage.conflicts, 0);
	/* on a session that is not standalone they count as any message */
	a->agent_scheme = MP_SCHEME_IN_BAND;
	for (unsigned i = 0; i < f->md->conf.msg_burst; i++) {
		usage_send(f, a, 6, 7, T0, T0 + 60, 1);
		error(f, a, MP_ERR_PERM, NULL);
	}
	usage_msg(f, &m2, 6, 7, T0, T0 + 60, 1);
	muispd_fix_feed(f->md, a, &m2);
	muispd_fix_next(a, &m);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_PERM);
	assert_string_equal(m.s[MP_A_MESSAGE],
			    "too many requests from "
			    "127.0.0.1: at most 20 a second");
	assert_int_equal(a->state, C_CLOSING);
}

static int count_rec(const struct agent_usage_rec *r, void *arg)
{
	(void)r;
	(void)arg;
	return 0;
}

/* The records waiting to move to their users' contracts. */
static int unmoved(struct fix *f)
{
	return store_agent_usage_unmoved(f->md->st, 1000, count_rec, NULL);
}

/*
 * A record stored moves to its user's contract at once (the module
 * asked once) and waits no more; one the module cannot move yet (ENOMEM)
 * waits, and so do the records after it, not tried before it: the tick
 * tries them again, in order, UINFO_USAGE_MOVE_RETRY_S later; one moved
 * already (EALREADY) waits no more; one left waiting by a crash is moved
 * by the next muispd at start.
 */
static void test_agent_usage_move(void **state)
{
	struct fix *f = *state;
	struct conn *a = agent_conn(f);

	a->agent_scheme = MP_SCHEME_STANDALONE;
	strcpy(a->agent_host, "127.0.0.1");
	usage_acked(f, a, 1, 7, T0, T0 + 60, 1000);
	assert_int_equal(kernel_test_usage_moves, 1);
	assert_int_equal(f->md->agent_usage.moved, 1);
	assert_int_equal(unmoved(f), 0);
	/* the module cannot, for now: stored, acked, waiting */
	kernel_test_usage_errno = ENOMEM;
	usage_acked(f, a, 2, 7, T0 + 60, T0 + 120, 10);
	assert_int_equal(kernel_test_usage_moves, 2);
	usage_acked(f, a, 3, 8, T0 + 60, T0 + 120, 10);
	assert_int_equal(kernel_test_usage_moves, 2); /* behind record 2 */
	assert_int_equal(unmoved(f), 2);
	uinfo_usage_move(f->md, T0 + 5);
	assert_int_equal(kernel_test_usage_moves, 2); /* not yet */
	uinfo_usage_move(f->md, T0 + 10);
	assert_int_equal(kernel_test_usage_moves, 3); /* 2 again, only */
	kernel_test_usage_errno = 0;
	uinfo_usage_move(f->md, T0 + 15);
	assert_int_equal(kernel_test_usage_moves, 3);
	uinfo_usage_move(f->md, T0 + 20);
	assert_int_equal(kernel_test_usage_moves, 5);
	assert_int_equal(f->md->agent_usage.moved, 3);
	assert_int_equal(unmoved(f), 0);
	assert_false(f->md->agent_usage.move_left);
	/* moved before (a crash between the module and the store) */
	kernel_test_usage_errno = EALREADY;
	usage_acked(f, a, 4, 7, T0 + 120, T0 + 180, 1);
	assert_int_equal(kernel_test_usage_moves, 6);
	assert_int_equal(f->md->agent_usage.moved, 3);
	assert_int_equal(unmoved(f), 0);
	/* left waiting at a restart: moved by the next muispd at start */
	kernel_test_usage_errno = EIO;
	usage_acked(f, a, 5, 7, T0 + 180, T0 + 240, 1);
	assert_int_equal(unmoved(f), 1);
	kernel_test_usage_errno = 0;
	restart(f, T0 + 300);
	assert_int_equal(kernel_test_usage_moves, 8);
	assert_int_equal(f->md->agent_usage.moved, 1);
	assert_int_equal(unmoved(f), 0);
}

/* ---- standalone agents' records kept agent-usage-keep days ---- */

#define DAY 86400ull

/* A record of host's, its sequence number seq, ending at end, stored
 * directly (as uinfo_usage() would). */
static void usage_put(struct fix *f, const char *host, uint64_t seq,
		      uint64_t end)
{
	struct agent_usage_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "%s", host);
	r.seq = seq;
	r.user = 7;
	r.start = end > 60 ? end - 60 : 0;
	r.end = end;
	r.sent_bytes = 1;
	assert_int_equal(store_agent_usage_put(f->md->st, &r, NULL), 0);
}

/* n records of host's, seq first.., all ending at end, in one
 * transaction. */
static void usage_put_many(struct fix *f, const char *host, uint64_t first,
			   unsigned n, uint64_t end)
{
	assert_int_equal(store_begin(f->md->st), 0);
	for (unsigned i = 0; i < n; i++)
		usage_put(f, host, first + i, end);
	assert_int_equal(store_commit(f->md->st), 0);
}

struct usage_seqs {
	char buf[512];
	size_t o;
	unsigned n;
};

static int usage_seq_rec(const struct agent_usage_rec *r, void *arg)
{
	struct usage_seqs *u = arg;

	u->n++;
	if (u->o < sizeof(u->buf))
		u->o += (size_t)snprintf(u->buf + u->o, sizeof(u->buf) - u->o,
					 "%s/%llu ", r->host,
					 (unsigned long long)r->seq);
	if (u->o > sizeof(u->buf))
		u->o = sizeof(u->buf); /* cut: only the count is right */
	return 0;
}

/* The records stored (of host, NULL all) as "HOST/SEQ ...", only the
 * count when there are many. */
static const char *usage_seqs(struct fix *f, const char *host,
			      struct usage_seqs *u)
{
	int n;

	memset(u, 0, sizeof(*u));
	n = store_agent_usage_foreach(f->md->st, host, usage_seq_rec, u);
	assert_int_equal(n, u->n);
	return u->buf;
}

/* store_agent_usage_prune(): the records that end before the cut go,
 * at most max of them a call (a full batch: more may be left); one at
 * the cut, after it, or ending past INT64_MAX (kept negative) stays. */
static void test_agent_usage_prune_store(void **state)
{
	struct fix *f = *state;
	uint64_t cut = T0 - 90 * DAY;
	struct usage_seqs u;
	unsigned n = 99;

	usage_put(f, "192.0.2.7", 1, cut - DAY);
	usage_put(f, "192.0.2.7", 2, cut - 1);
	usage_put(f, "192.0.2.7", 3, cut);
	usage_put(f, "192.0.2.7", 4, T0);
	usage_put(f, "192.0.2.7", 5, UINT64_MAX);
	usage_put(f, "::1", 1, cut - 2 * DAY);
	usage_put(f, "::1", 2, 0);
	/* nothing is before 0 */
	assert_int_equal(store_agent_usage_prune(f->md->st, 0, 100, &n), 0);
	assert_int_equal(n, 0);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 7);
	assert_int_equal(unmoved(f), 7); /* stored as uinfo_usage() does */
	/* a batch of 2 of the 4 old ones: full */
	assert_int_equal(store_agent_usage_prune(f->md->st, cut, 2, &n), 0);
	assert_int_equal(n, 2);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 5);
	/* the rest: 2 of 2 (full: the caller asks again), then none */
	assert_int_equal(store_agent_usage_prune(f->md->st, cut, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_agent_usage_prune(f->md->st, cut, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(usage_seqs(f, NULL, &u),
			    "192.0.2.7/3 192.0.2.7/4 192.0.2.7/5 ");
	assert_int_equal(unmoved(f), 3); /* a record pruned does not move */
	/* a cut past INT64_MAX: all but the one ending there */
	assert_int_equal(
		store_agent_usage_prune(f->md->st, UINT64_MAX, 100, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(usage_seqs(f, NULL, &u), "192.0.2.7/5 ");
}

/*
 * uinfo_usage_prune() (agent-usage-keep, from the tick): not before it
 * is due (an hour after the last run); with keep 0 nothing goes; with
 * keep 90 days the records ending more than 90 days ago go, counted, one
 * ending at the cut stays; a backlog goes a batch (10000) a call, the
 * next due a second later while a batch was full, the run's count kept
 * until it ends; a store that fails deletes nothing and is tried again a
 * minute later; a clock set back does not stop it for longer than an
 * hour; at start, the records older than the cut are gone.
 */
static void test_agent_usage_prune(void **state)
{
	struct fix *f = *state;
	uint64_t t = T0 + 3600, t2 = t + 3600, t3 = t2 + 3600, t4;
	struct usage_seqs u;

	assert_int_equal(f->md->conf.agent_usage_keep_days, 90);
	/* muispd_open ran it: the next run an hour later */
	assert_int_equal(f->md->agent_usage.prune_at, t);
	usage_put(f, "192.0.2.7", 1, t - 90 * DAY - DAY);
	usage_put(f, "192.0.2.7", 2, t2 - 90 * DAY - 1);
	usage_put(f, "192.0.2.7", 3, t2 - 90 * DAY);
	usage_put(f, "192.0.2.7", 4, t);
	uinfo_usage_prune(f->md, t - 1); /* not due */
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 4);
	assert_int_equal(f->md->agent_usage.prune_at, t);
	/* kept forever */
	f->md->conf.agent_usage_keep_days = 0;
	uinfo_usage_prune(f->md, t);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 4);
	assert_int_equal(f->md->agent_usage.pruned, 0);
	assert_int_equal(f->md->agent_usage.prune_at, t + 3600);
	/* 90 days (a reload): from the next run */
	f->md->conf.agent_usage_keep_days = 90;
	uinfo_usage_prune(f->md, t2 - 1);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 4);
	uinfo_usage_prune(f->md, t2);
	assert_string_equal(usage_seqs(f, NULL, &u),
			    "192.0.2.7/3 192.0.2.7/4 ");
	assert_int_equal(f->md->agent_usage.pruned, 2);
	assert_int_equal(f->md->agent_usage.prune_run, 0);
	assert_int_equal(f->md->agent_usage.prune_at, t2 + 3600);

	/* a backlog: 10005 old ones, and seq 3 older than t3's cut too */
	usage_put_many(f, "198.51.100.9", 1, 10005, 1);
	uinfo_usage_prune(f->md, t3);
	assert_int_equal(f->md->agent_usage.pruned, 2 + 10000);
	assert_int_equal(f->md->agent_usage.prune_run, 10000);
	assert_int_equal(f->md->agent_usage.prune_at, t3 + 1);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 6 + 1);
	uinfo_usage_prune(f->md, t3); /* the same second: not again */
	assert_int_equal(f->md->agent_usage.pruned, 2 + 10000);
	uinfo_usage_prune(f->md, t3 + 1);
	assert_int_equal(f->md->agent_usage.pruned, 2 + 10006);
	assert_int_equal(f->md->agent_usage.prune_run, 0);
	assert_int_equal(f->md->agent_usage.prune_at, t3 + 1 + 3600);
	assert_string_equal(usage_seqs(f, NULL, &u), "192.0.2.7/4 ");

	/* the store fails: nothing deleted, again a minute later */
	t4 = t3 + 1 + 3600;
	usage_put(f, "192.0.2.7", 5, 1);
	store_test_fail = 1;
	uinfo_usage_prune(f->md, t4);
	store_test_fail = 0;
	assert_string_equal(usage_seqs(f, NULL, &u),
			    "192.0.2.7/4 192.0.2.7/5 ");
	assert_int_equal(f->md->agent_usage.pruned, 2 + 10006);
	assert_int_equal(f->md->agent_usage.prune_at, t4 + 60);
	uinfo_usage_prune(f->md, t4 + 59);
	usage_seqs(f, NULL, &u);
	assert_int_equal(u.n, 2);
	uinfo_usage_prune(f->md, t4 + 60);
	assert_string_equal(usage_seqs(f, NULL, &u), "192.0.2.7/4 ");
	assert_int_equal(f->md->agent_usage.pruned, 2 + 10006 + 1);
	assert_int_equal(f->md->agent_usage.prune_at, t4 + 60 + 3600);

	/* the clock set back two hours: due at once, not in three */
	usage_put(f, "192.0.2.7", 6, 1);
	uinfo_usage_prune(f->md, t4 + 60 - 7200);
	assert_string_equal(usage_seqs(f, NULL, &u), "192.0.2.7/4 ");
	assert_int_equal(f->md->agent_usage.prune_at, t4 + 60 - 7200 + 3600);

	/* at start: 200 days on, the records that ended before day 110 */
	usage_put(f, "192.0.2.7", 7, T0 + 150 * DAY);
	usage_put(f, "192.0.2.7", 8, T0 + 100 * DAY);
	restart(f, T0 + 200 * DAY);
	assert_string_equal(usage_seqs(f, NULL, &u), "192.0.2.7/7 ");
	assert_int_equal(f->md->agent_usage.pruned, 2);
	assert_int_equal(f->md->agent_usage.prune_at, T0 + 200 * DAY + 3600);
}

/* agent-usage-keep: 90 days unless set, 0 (forever) to 36500. */
static void test_agent_usage_keep_conf(void **state)
{
	static const char *const bad[] = { "agent-usage-keep 36501\n",
					   "agent-usage-keep -1\n",
					   "agent-usage-keep 30d\n",
					   "agent-usage-keep\n",
					   "agent-usage-keep 1 2\n" };
	struct muispd_conf c;
	char err[256];

	conf_defaults(&c);
	assert_int_equal(c.agent_usage_keep_days, 90);
	assert_int_equal(conf_parse("t.conf",
				    "price bytes voucher ah 10 1000000\n", &c,
				    err, sizeof(err)),
			 0);
	assert_int_equal(c.agent_usage_keep_days, 90);
	conf_defaults(&c);
	assert_int_equal(conf_parse("t.conf",
				    "price bytes voucher ah 10 1000000\n"
				    "agent-usage-keep 0\n",
				    &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.agent_usage_keep_days, 0);
	conf_defaults(&c);
	assert_int_equal(conf_parse("t.conf",
				    "price bytes voucher ah 10 1000000\n"
				    "agent-usage-keep 36500\n",
				    &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.agent_usage_keep_days, 36500);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text),
			 "price bytes voucher ah 10 1000000\n%s", bad[i]);
		conf_defaults(&c);
		err[0] = '\0';
		if (conf_parse("t.conf", text, &c, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		if (!strstr(err, "t.conf:2: agent-usage-keep"))
			fail_msg("'%s': error '%s'", bad[i], err);
		assert_int_equal(c.agent_usage_keep_days, 90);
	}
}

/* ---- out of band, packet-based (uinfo_report.c, PROTOCOL.md §9.10) ---- */

/* A report of user's packet from the host's addr:sport to 192.0.2.80:53
 * (UDP; peer instead when given), in *m. */
static void report_msg(struct fix *f, struct mp_msg *m, const char *addr,
		       uint16_t sport, const char *peer, uint32_t user)
{
	req(f, m, MP_T_UINFO_REPORT);
	mp_set_u(m, MP_A_PROTO, 17);
	mp_set_s(m, MP_A_ADDR, addr);
	mp_set_u(m, MP_A_SPORT, sport);
	mp_set_s(m, MP_A_PEER, peer ? peer : "192.0.2.80");
	mp_set_u(m, MP_A_DPORT, 53);
	mp_set_u(m, MP_A_USER, user);
	mp_set_u(m, MP_A_SENT_BYTES, 120);
	mp_set_u(m, MP_A_SENT_PKTS, 2);
}

/* ... fed to a: not answered. */
static void report_send(struct fix *f, struct conn *a, const char *addr,
			uint16_t sport, const char *peer, uint32_t user)
{
	struct mp_msg m;

	report_msg(f, &m, addr, sport, peer, user);
	send_msg(f, a, &m);
	assert_int_equal(a->wlen, 0);
}

/* ... refused: ERROR err (text, unless NULL) with the report's serial. */
static void report_refused(struct fix *f, struct conn *a, const char *addr,
			   const char *peer, uint32_t user, int err,
			   const char *text)
{
	struct mp_msg m;

	report_msg(f, &m, addr, 5000, peer, user);
	send_msg(f, a, &m);
	error(f, a, err, text);
}

/* An out-of-band packet-based agent's hello (SCHEME 3) is accepted
 * without a hold queue and keyed as in band, the session marked
 * packet-based (not held, not standalone); its reports of either of the
 * host's addresses move flows; an in-band hello after it ends that. */
static void test_agent_oob_packet_hello(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, "127.0.0.1");
	struct mp_msg m;

	snprintf(f->md->conf.agent_ca, sizeof(f->md->conf.agent_ca),
		 "/nonexistent/agent-ca.pem");
	assert_null(f->md->hold); /* no agent-hold-queue here */
	a->ssl = agent_tls("IP:192.0.2.7, IP:127.0.0.1");
	req(f, &m, MP_T_UINFO_HELLO);
	mp_set_u(&m, MP_A_SCHEME, MP_SCHEME_OUT_OF_BAND_PACKET);
	send_msg(f, a, &m);
	reply(f, a, MP_T_UINFO_WELCOME, &m);
	assert_true(m.u[MP_A_KEY_ID] >= 1);
	assert_string_equal(m.s[MP_A_ADDR], "127.0.0.1");
	assert_int_equal(m.u[MP_A_INTERVAL], 10);
	assert_int_equal(a->agent_key_id, m.u[MP_A_KEY_ID]);
	assert_int_equal(a->agent_scheme, MP_SCHEME_OUT_OF_BAND_PACKET);
	assert_int_equal(a->agent_naddrs, 2);
	assert_int_equal(f->md->agent_sessions, 1);
	/* reports of both its addresses */
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	report_send(f, a, "192.0.2.7", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 2);
	assert_int_equal(f->md->agent_report.moved, 2);
	/* keep-alives as any agent's */
	req(f, &m, MP_T_UINFO_KEEPALIVE);
	send_msg(f, a, &m);
	reply(f, a, MP_T_UINFO_KEEPALIVE, &m);
	/* in band again: no more reports */
	req(f, &m, MP_T_UINFO_HELLO);
	send_msg(f, a, &m);
	reply(f, a, MP_T_UINFO_WELCOME, &m);
	assert_int_equal(a->agent_scheme, MP_SCHEME_IN_BAND);
	report_refused(f, a, "127.0.0.1", NULL, 1001, MP_ERR_PERM, NULL);
	assert_int_equal(kernel_test_flow_sets, 2);
	uinfo_conn_gone(f->md, a);
	assert_int_equal(f->md->agent_sessions, 0);
}

/*
 * UINFO_REPORT: refused without an agent session (STATE), on a session
 * that is not packet-based (PERM), for an address not the host's (PERM),
 * malformed (PROTO: ADDR or PEER no address, of different families,
 * PROTO not TCP or UDP, USER 0); each ERROR carries its serial.  A good
 * report tells the module once (no answer); the same again is skipped
 * (cached) for 5 s, then told again; another user for the flow is told at
 * once; the module's refusal is counted, not answered, and the flow told
 * again on its next report.  Over the session's bucket reports are
 * dropped unread, the channel kept; they do not count against the
 * address's msg-rate (its other frames do).
 */
static void test_agent_report(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *a;
	unsigned sent = 0, burst = f->md->conf.msg_burst;
	struct mp_msg m;

	/* no session: a user's channel, the operator's */
	report_refused(f, c, ALICE, NULL, 1001, MP_ERR_STATE,
		       "no agent session (hello)");
	report_refused(f, f->op, ALICE, NULL, 1001, MP_ERR_STATE,
		       "no agent session (hello)");
	/* in band */
	a = agent_conn(f);
	report_refused(f, a, "127.0.0.1", NULL, 1001, MP_ERR_PERM,
		       "packet reports are an out-of-band packet-based "
		       "agent's (hello with scheme 3)");
	sent += 3;
	/* packet-based (as uinfo_hello() leaves it), dual-stack */
	a->agent_scheme = MP_SCHEME_OUT_OF_BAND_PACKET;
	a->agent_naddrs = 2;
	strcpy(a->agent_addrs[1], "2001:db8::7");
	report_refused(f, a, "127.0.0.2", NULL, 1001, MP_ERR_PERM,
		       "127.0.0.2 is not this host's: an agent reports only "
		       "its own host's flows");
	report_refused(f, a, "2001:db8::8", "2001:db8::1", 1001, MP_ERR_PERM,
		       NULL);
	report_refused(f, a, "alice", NULL, 1001, MP_ERR_PROTO,
		       "ADDR is not an IP address: alice");
	report_refused(f, a, "127.0.0.1", "2001:db8::1", 1001, MP_ERR_PROTO,
		       "PEER is not an IPv4 address as ADDR is: 2001:db8::1");
	report_refused(f, a, "2001:db8::7", "192.0.2.80", 1001, MP_ERR_PROTO,
		       NULL);
	report_refused(f, a, "127.0.0.1", "bob", 1001, MP_ERR_PROTO, NULL);
	report_refused(f, a, "127.0.0.1", NULL, 0, MP_ERR_PROTO,
		       "USER is an Accounting ID: at least 1");
	report_msg(f, &m, "127.0.0.1", 5000, NULL, 1001);
	mp_set_u(&m, MP_A_PROTO, 7);
	send_msg(f, a, &m);
	error(f, a, MP_ERR_PROTO,
	      "PROTO 7: only TCP (6) and UDP (17) are reported");
	sent += 8;
	assert_int_equal(f->md->agent_report.refused, 11);
	assert_int_equal(kernel_test_flow_sets, 0);
	/* a good one: the module told, nothing answered */
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 1);
	assert_int_equal(kernel_test_flow_user, 1001);
	assert_int_equal(f->md->agent_report.moved, 1);
	/* the same flow and user again: skipped */
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 1);
	assert_int_equal(f->md->agent_report.cached, 1);
	/* another flow (its port, or TCP) is told */
	report_send(f, a, "127.0.0.1", 40001, NULL, 1001);
	report_msg(f, &m, "127.0.0.1", 40000, NULL, 1001);
	mp_set_u(&m, MP_A_PROTO, 6);
	send_msg(f, a, &m);
	assert_int_equal(a->wlen, 0);
	assert_int_equal(kernel_test_flow_sets, 3);
	/* another user of the flow: told at once, and back */
	report_send(f, a, "127.0.0.1", 40000, NULL, 1002);
	assert_int_equal(kernel_test_flow_sets, 4);
	assert_int_equal(kernel_test_flow_user, 1002);
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 5);
	assert_int_equal(kernel_test_flow_user, 1001);
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 5);
	/* an IPv6 flow, its address written otherwise */
	report_send(f, a, "2001:db8:0::7", 40000, "2001:db8::1", 1001);
	report_send(f, a, "2001:db8::7", 40000, "2001:db8:0:0::1", 1001);
	assert_int_equal(kernel_test_flow_sets, 6);
	/* 5 s later the entry is stale: told again */
	f->md->clock += 4;
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 6);
	f->md->clock += 1;
	report_send(f, a, "127.0.0.1", 40000, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 7);
	sent += 11;
	assert_int_equal(f->md->agent_report.moved, 7);
	assert_int_equal(f->md->agent_report.cached, 4);
	/* the module refuses: counted, not answered, not cached */
	kernel_test_fail_flow_set = 1;
	report_send(f, a, "127.0.0.1", 40002, NULL, 1001);
	assert_int_equal(f->md->agent_report.failed, 1);
	kernel_test_fail_flow_set = 0;
	report_send(f, a, "127.0.0.1", 40002, NULL, 1001);
	assert_int_equal(kernel_test_flow_sets, 9);
	assert_int_equal(f->md->agent_report.moved, 8);
	sent += 2;
	/* not counted against msg-rate: more than its burst, and the
	 * clock stands still (no token comes back to the address) */
	for (unsigned i = 0; i < 2 * burst; i++)
		report_send(f, a, "127.0.0.1", (uint16_t)(41000 + i), NULL,
			    1001);
	sent += 2 * burst;
	assert_int_equal(a->state, C_OPEN);
	assert_int_equal(f->md->refused.rate, 0);
	assert_int_equal(f->md->agent_report.moved, 8 + 2 * burst);
	assert_int_equal(f->md->agent_report.dropped, 0);
	/* the session's own bucket: three now, then one a second; over
	 * it dropped unread, the channel kept */
	f->md->conf.agent_report_rate = 1;
	f->md->conf.agent_report_burst = 3;
	for (unsigned i = 0; i < 5; i++)
		report_send(f, a, "127.0.0.1", (uint16_t)(42000 + i), NULL,
			    1001);
	sent += 5;
	assert_int_equal(f->md->agent_report.dropped, 2);
	assert_int_equal(f->md->agent_report.moved, 11 + 2 * burst);
	assert_int_equal(a->state, C_OPEN);
	/* dropped unread: even one that would be refused */
	report_msg(f, &m, "127.0.0.9", 5000, NULL, 1001);
	send_msg(f, a, &m);
	assert_int_equal(a->wlen, 0);
	assert_int_equal(f->md->agent_report.dropped, 3);
	f->md->clock += 1;
	report_send(f, a, "127.0.0.1", 42005, NULL, 1001);
	report_send(f, a, "127.0.0.1", 42006, NULL, 1001);
	sent += 3;
	assert_int_equal(f->md->agent_report.moved, 12 + 2 * burst);
	assert_int_equal(f->md->agent_report.dropped, 4);
	/* every report read or dropped */
	assert_int_equal(f->md->agent_report.reports +
				 f->md->agent_report.dropped,
			 sent);
	assert_int_equal(f->md->agent_report.reports,
			 f->md->agent_report.moved +
				 f->md->agent_report.cached +
				 f->md->agent_report.refused +
				 f->md->agent_report.failed);
	/* its other frames count as before: the address's burst */
	for (unsigned i = 0; i < burst; i++) {
		req(f, &m, MP_T_UINFO_KEEPALIVE);
		send_msg(f, a, &m);
		reply(f, a, MP_T_UINFO_KEEPALIVE, &m);
	}
	req(f, &m, MP_T_UINFO_KEEPALIVE);
	muispd_fix_feed(f->md, a, &m);
	muispd_fix_next(a, &m);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_PERM);
	assert_int_equal(a->state, C_CLOSING);
	assert_int_equal(f->md->refused.rate, 1);
}

/* Replies as requests, operator types from a user, a bind from the
 * operator, malformed frames. */
static void test_channel_rules(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m;
	uint8_t junk[MP_HDR_LEN] = { 0x4d, 0x55, 9 };

	req(f, &m, MP_T_OFFER_GET);
	m.flags = MP_F_REPLY;
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PROTO, "replies are not requests");
	req(f, &m, MP_T_OFFER_GET);
	m.flags = MP_F_ASYNC;
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PROTO, "replies are not requests");
	/* A reply type sent as a request. */
	req(f, &m, MP_T_ERROR);
	mp_set_u(&m, MP_A_ERROR, 1);
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PROTO, "unexpected error");

	/* Every operator type (past the decoder: no attributes needed). */
	for (int t = 128; t < 256; t++) {
		req(f, &m, (uint8_t)t);
		server_dispatch(f->md, c, &m);
		error(f, c, MP_ERR_PERM, "operator only");
	}
	assert_int_equal(f->md->nlives, 0);

	req(f, &m, MP_T_BIND);
	mp_set_s(&m, MP_A_PASSWORD, "x");
	send_msg(f, f->op, &m);
	error(f, f->op, MP_ERR_PERM, "bind needs an address");

	/* A frame with a bad version: error, connection closing. */
	c->rlen = sizeof(junk);
	memcpy(c->rbuf, junk, sizeof(junk));
	conn_input(f->md, c);
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_ERROR);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_VERSION);
	assert_int_equal(c->state, C_CLOSING);
	assert_int_equal(f->md->bad_frames, 1);
}

static uint64_t counter_of(const struct mp_msg *m, const char *name)
{
	for (unsigned i = 0; i < m->ncounters; i++)
		if (!strcmp(m->counters[i].name, name))
			return m->counters[i].value;
	fail_msg("no counter %s", name);
	return 0;
}

/* op-radius-stats: no counters without RADIUS; the clients' and the
 * spool's by name with it.  op-stats (lib/stats_cat, muisp-agentx): the
 * same counters, names and values (stats_cat makes them radius_NAME, the
 * keys of `muispctl stats`), nothing else. */
static void test_radius_stats(void **state)
{
	struct fix *f = *state;
	struct radius_conf rc;
	struct mp_msg m, r;

	req(f, &m, MP_T_OP_RADIUS_STATS);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_COUNTERS, &m);
	assert_int_equal(m.ncounters, 0);
	assert_false(m.flags & MP_F_MORE);
	req(f, &r, MP_T_OP_STATS);
	send_msg(f, f->op, &r);
	reply(f, f->op, MP_T_OP_COUNTERS, &r);
	assert_int_equal(r.ncounters, 0);

	rc = f->md->conf.radius;
	snprintf(rc.acct[0].addr, sizeof(rc.acct[0].addr), "127.0.0.1:9");
	memcpy(rc.acct[0].secret, "secret", 6);
	rc.acct[0].seclen = 6;
	rc.nacct = 1;
	rc.auth[0] = rc.acct[0];
	snprintf(rc.auth[1].addr, sizeof(rc.auth[1].addr), "[::1]:9");
	rc.nauth = 2;
	assert_int_equal(radclient_new(&f->md->rad_acct, f->md->ev, &rc, 1,
				       NULL, NULL),
			 0);
	assert_int_equal(radclient_new(&f->md->rad_auth, f->md->ev, &rc, 0,
				       NULL, NULL),
			 0);
	req(f, &m, MP_T_OP_RADIUS_STATS);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_COUNTERS, &m);
	assert_int_equal(counter_of(&m, "auth.servers"), 2);
	assert_int_equal(counter_of(&m, "acct.servers"), 1);
	assert_int_equal(counter_of(&m, "acct.sent"), 0);
	assert_int_equal(counter_of(&m, "auth.accepted"), 0);
	assert_int_equal(counter_of(&m, "spool.rows"), 0);
	req(f, &r, MP_T_OP_STATS);
	send_msg(f, f->op, &r);
	reply(f, f->op, MP_T_OP_COUNTERS, &r);
	assert_false(r.flags & MP_F_MORE);
	assert_true(m.ncounters > 5);
	assert_int_equal(r.ncounters, m.ncounters);
	for (unsigned i = 0; i < m.ncounters; i++) {
		assert_string_equal(r.counters[i].name, m.counters[i].name);
		assert_int_equal(r.counters[i].value, m.counters[i].value);
	}
}

/* MP_T_OP_SNAPSHOT: every outstanding contract once, in serial order, in
 * pages of CONTROL_SNAP_PAGE; OP_OK says where the next page begins. */
static unsigned snap_page(struct fix *f, uint64_t after, uint64_t *serials,
			  uint64_t *next)
{
	struct mp_msg m;
	unsigned n = 0;

	req(f, &m, MP_T_OP_SNAPSHOT);
	if (after)
		mp_set_u(&m, MP_A_SERIAL, after);
	send_msg(f, f->op, &m);
	for (;;) {
		muispd_fix_next(f->op, &m);
		if (m.type == MP_T_OP_OK)
			break;
		assert_int_equal(m.type, MP_T_OP_SNAP_ROW);
		assert_true(m.flags & MP_F_MORE);
		assert_int_equal(m.serial, 0);
		serials[n++] = m.u[MP_A_SERIAL];
	}
	assert_int_equal(m.serial, f->serial);
	assert_int_equal(f->op->wlen, 0);
	*next = m.u[MP_A_SERIAL];
	return n;
}

static void test_snapshot(void **state)
{
	struct fix *f = *state;
	enum { N = 2 * CONTROL_SNAP_PAGE + 345 };
	uint64_t *got = calloc(N + 10, sizeof(*got)), next, serial;
	struct contract_rec r;
	struct mp_msg m, rcpt;
	struct conn *c;
	struct live *l;
	unsigned n = 0, k;
	struct timespec t0, t1;

	assert_non_null(got);
	/* Empty: no rows, the end. */
	assert_int_equal(snap_page(f, 0, got, &next), 0);
	assert_int_equal(next, 0);

	/* A contract bought by a user (bound to it): every column. */
	c = user(f, ALICE);
	serial = buy(f, c, &rcpt);
	l = live_find(f->md, serial);
	assert_non_null(l);
	req(f, &m, MP_T_OP_SNAPSHOT);
	send_msg(f, f->op, &m);
	muispd_fix_next(f->op, &m);
	assert_int_equal(m.type, MP_T_OP_SNAP_ROW);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_int_equal(m.u[MP_A_STATE], CS_SUSPENDED); /* bound */
	assert_int_equal(m.u[MP_A_METHOD], MP_METHOD_VOUCHER);
	assert_int_equal(m.u[MP_A_METRIC], MP_METRIC_BYTES);
	assert_int_equal(m.u[MP_A_SOFT], 1000000);
	assert_int_equal(m.u[MP_A_HARD], 2000000);
	assert_int_equal(m.u[MP_A_USAGE], l->rec.usage);
	assert_int_equal(m.u[MP_A_AMOUNT], 20);
	assert_int_equal(m.u[MP_A_EXPIRY], l->rec.expiry);
	assert_true(l->rec.expiry > T0);
	assert_string_equal(m.s[MP_A_CURRENCY], "EUR");
	assert_string_equal(m.s[MP_A_ADDR], ALICE);
	assert_false(mp_has(&m, MP_A_PASSWORD)); /* not for the cache */
	assert_false(mp_has(&m, MP_A_RECEIPT));
	muispd_fix_next(f->op, &m);
	assert_int_equal(m.type, MP_T_OP_OK);
	assert_int_equal(m.u[MP_A_SERIAL], 0);

	/* Many, in no order in memory: pages in serial order, each once. */
	memset(&r, 0, sizeof(r));
	r.state = CS_ACTIVE;
	r.method = MP_METHOD_VOUCHER;
	r.metric = MP_METRIC_BYTES;
	snprintf(r.addr, sizeof(r.addr), "10.1.2.3");
	for (k = 0; k < N - 1; k++) {
		r.serial = 1000 + (k * 7919) % (N - 1);
		assert_non_null(live_add(f->md, &r));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = 0;
	do {
		unsigned p = snap_page(f, next, got + n, &next);

		assert_true(p <= CONTROL_SNAP_PAGE);
		assert_true(p == CONTROL_SNAP_PAGE || next == 0);
		n += p;
	} while (next);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("snapshot of %u contracts: %.1f ms\n", n,
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
			      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	assert_int_equal(n, N);
	assert_int_equal(got[0], serial);
	for (k = 1; k < N; k++)
		assert_int_equal(got[k], 1000 + k - 1);
	/* From a serial on: the rest only. */
	assert_int_equal(snap_page(f, 1000 + N - 5, got, &next), 3);
	assert_int_equal(got[0], 1000 + N - 4);
	assert_int_equal(next, 0);
	free(got);
}

/* Every operator request type has a handler; other types have none and
 * are refused. */
static void test_control_table(void **state)
{
	struct fix *f = *state;
	struct mp_msg m;
	unsigned handled = 0;

	for (int t = 0; t < 256; t++) {
		int reply_type =
			t == MP_T_OP_VOUCHER || t == MP_T_OP_OK ||
			t == MP_T_OP_KEY || t == MP_T_OP_REG ||
			t == MP_T_OP_COUNTERS || t == MP_T_OP_SNAP_ROW ||
			t == MP_T_OP_USER_BLOCK_ROW ||
			t == MP_T_OP_AGENT_USAGE_ROW || t == MP_T_OP_CONN_ROW;
		int op_request = t >= 128 && !reply_type &&
				 strcmp(mp_type_name(t), "unknown");

		if (op_request) {
			assert_non_null(control_handler(t));
			handled++;
		} else {
			assert_null(control_handler(t));
		}
	}
	assert_int_equal(handled, 21);
	req(f, &m, MP_T_OP_OK);
	send_msg(f, f->op, &m);
	error(f, f->op, MP_ERR_PROTO, "unexpected op-ok");
	req(f, &m, MP_T_OP_VOUCHER);
	mp_set_s(&m, MP_A_CODE, "x");
	mp_set_u(&m, MP_A_BALANCE, 1);
	send_msg(f, f->op, &m);
	error(f, f->op, MP_ERR_PROTO, "unexpected op-voucher");
	/* A type the table does not know, past the decoder. */
	mp_init(&m, 200, 0, ++f->serial);
	control_dispatch(f->md, f->op, &m);
	error(f, f->op, MP_ERR_PROTO, "unexpected unknown");
}

/* The operator's commands: offline contract, password bind, room
 * ledger, unbind, list, terminate, settle, key rotation. */
static void test_operator(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg m, rcpt;
	char pw[32];
	uint64_t serial, s2;
	unsigned n;

	req(f, &m, MP_T_OP_CONTRACT_CREATE);
	mp_set_u(&m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_ROOM);
	mp_set_u(&m, MP_A_SOFT, 1000000);
	mp_set_u(&m, MP_A_HARD, 2000000);
	mp_set_s(&m, MP_A_ROOM, "101");
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_STATUS, &m);
	serial = m.u[MP_A_SERIAL];
	assert_int_equal(m.u[MP_A_STATE], CS_UNBOUND);
	assert_string_equal(m.s[MP_A_ROOM], "101");
	strcpy(pw, m.s[MP_A_PASSWORD]);
	assert_int_equal(strlen(pw), 19);
	/* A voucher price is not an offline one. */
	req(f, &m, MP_T_OP_CONTRACT_CREATE);
	mp_set_u(&m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&m, MP_A_SOFT, 1);
	mp_set_u(&m, MP_A_HARD, 2);
	send_msg(f, f->op, &m);
	error(f, f->op, MP_ERR_OFFER, "no offline price for bytes/voucher");

	req(f, &m, MP_T_OP_ROOM_SHOW);
	mp_set_s(&m, MP_A_ROOM, "101");
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_BALANCE], 20);

	/* The password binds once, gives the receipt. */
	req(f, &m, MP_T_BIND);
	mp_set_s(&m, MP_A_PASSWORD, "WRONG");
	send_msg(f, c, &m);
	error(f, c, MP_ERR_PASSWORD, NULL);
	req(f, &m, MP_T_BIND);
	mp_set_s(&m, MP_A_PASSWORD, pw);
	send_msg(f, c, &m);
	reply(f, c, MP_T_RECEIPT, &rcpt);
	assert_int_equal(rcpt.u[MP_A_STATE], CS_SUSPENDED);
	assert_false(mp_has(&rcpt, MP_A_PASSWORD));
	req(f, &m, MP_T_BIND);
	mp_set_s(&m, MP_A_PASSWORD, pw);
	send_msg(f, b, &m);
	error(f, b, MP_ERR_STATE, "contract already bound");

	/* Unbind; the receipt binds again. */
	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_UNBOUND);
	assert_false(mp_has(&m, MP_A_ADDR));
	command(f, f->op, MP_T_OP_UNBIND, serial);
	error(f, f->op, MP_ERR_STATE, "not bound");
	bind_receipt(f, b, &rcpt);
	reply(f, b, MP_T_STATUS, &m);
	assert_string_equal(m.s[MP_A_ADDR], BOB);

	/* A second contract, then the list: both, then OK. */
	s2 = buy(f, c, &m);
	req(f, &m, MP_T_OP_CONTRACT_LIST);
	send_msg(f, f->op, &m);
	n = 0;
	for (;;) {
		muispd_fix_next(f->op, &m);
		if (m.type == MP_T_OP_OK)
			break;
		assert_int_equal(m.type, MP_T_STATUS);
		assert_true(m.flags & MP_F_MORE);
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(f->op->wlen, 0);

	/* settle is for contracts in settlement; terminate ends one. */
	command(f, f->op, MP_T_OP_CONTRACT_SETTLE, s2);
	error(f, f->op, MP_ERR_STATE, "not in settlement");
	command(f, f->op, MP_T_OP_CONTRACT_TERMINATE, s2);
	reply(f, f->op, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_REFUND], 20);
	command(f, f->op, MP_T_OP_CONTRACT_TERMINATE, s2);
	error(f, f->op, MP_ERR_UNKNOWN, NULL);

	/* Key rotation: the old receipt still binds. */
	req(f, &m, MP_T_OP_KEY_ROTATE);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_OK, &m);
	assert_int_equal(m.u[MP_A_KEY_ID], 2);
	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	bind_receipt(f, c, &rcpt);
	reply(f, c, MP_T_STATUS, &m);
	assert_string_equal(m.s[MP_A_ADDR], ALICE);
	/* A tampered receipt does not. */
	rcpt.bytes[50] ^= 0x55;
	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	bind_receipt(f, c, &rcpt);
	error(f, c, MP_ERR_RECEIPT, "receipt MAC mismatch");
}

/* OP_KEY_LIST: "ID:STATE" of each key, by id, into buf. */
static void key_list(struct fix *f, char *buf, size_t len)
{
	struct mp_msg m;
	size_t off = 0;

	req(f, &m, MP_T_OP_KEY_LIST);
	send_msg(f, f->op, &m);
	buf[0] = '\0';
	for (;;) {
		muispd_fix_next(f->op, &m);
		if (m.type == MP_T_OP_OK)
			break;
		assert_int_equal(m.type, MP_T_OP_KEY);
		assert_true(m.flags & MP_F_MORE);
		/* a current key has a rotation time, the others a limit */
		assert_int_equal(mp_has(&m, MP_A_EXPIRY),
				 m.u[MP_A_KEY_STATE] == RECEIPT_KEY_CURRENT);
		off += (size_t)snprintf(
			buf + off, len - off, "%s%llu:%s", off ? " " : "",
			(unsigned long long)m.u[MP_A_KEY_ID],
			receipt_key_state_name((unsigned)m.u[MP_A_KEY_STATE]));
		assert_true(off < len);
	}
	assert_int_equal(f->op->wlen, 0);
}

/* The rotation schedule: every key-rotate-interval from the current
 * key's creation; a retiring key verifies while a contract it signed is
 * outstanding and for key-retire-after at least, then its receipts are
 * refused; the schedule is the store's after a restart. */
/* The tick rotates key id out at due, not a second sooner. */
static void rotates_at(struct fix *f, uint64_t due, uint32_t id)
{
	keys_tick(f->md, due - 1);
	assert_int_equal(receipt_key_current(&f->md->kr)->id, id);
	f->md->clock = due;
	keys_tick(f->md, due);
	assert_int_equal(receipt_key_current(&f->md->kr)->id, id + 1);
}

#define RETIRED_1                                                          \
	"receipt key 1 is retired: the receipts it signed no longer bind " \
	"(their contracts have ended)"
static void test_key_schedule(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct receipt_keyring kr;
	struct mp_msg m, rcpt;
	uint64_t serial;
	char keys[128];

	f->md->conf.key_rotate_s = 100;
	f->md->conf.key_retire_s = 10;
	serial = buy(f, c, &rcpt);
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "1:current");
	/* Due at creation + 100: key 2; key 1 verifies until A expires. */
	rotates_at(f, T0 + 100, 1);
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "1:retiring 2:current");
	for (unsigned i = 0; i < f->md->kr.n; i++)
		if (f->md->kr.keys[i].id == 1)
			assert_true(f->md->kr.keys[i].verify_until ==
				    T0 + f->md->conf.lifetime_s);
	/* Past retire-after, but A is outstanding: its receipt binds. */
	f->md->clock = T0 + 150;
	keys_tick(f->md, f->md->clock);
	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	bind_receipt(f, c, &rcpt);
	reply(f, c, MP_T_STATUS, &m);
	/* A ends: key 1 retires at the next tick, its receipt is refused. */
	command(f, c, MP_T_TERMINATE, serial);
	reply(f, c, MP_T_STATEMENT, &m);
	keys_tick(f->md, f->md->clock);
	f->md->clock += 1;
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "1:retired 2:current");
	bind_receipt(f, c, &rcpt);
	error(f, c, MP_ERR_RECEIPT, RETIRED_1);

	/* Restart: the same keys; key 2 rotates at its creation + 100. */
	restart(f, T0 + 160);
	c = user(f, ALICE);
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "1:retired 2:current");
	rotates_at(f, T0 + 200, 2);
	/* Nothing outstanding under key 2: retiring for retire-after. */
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "2:retiring 3:current");
	bind_receipt(f, c, &rcpt);
	error(f, c, MP_ERR_RECEIPT, RETIRED_1);
	/* Key 1 left the store with the rotation. */
	assert_int_equal(store_keys_load(f->md->st, &kr), 0);
	assert_int_equal(kr.n, 2);
	f->md->clock = T0 + 211;
	keys_tick(f->md, f->md->clock);
	f->md->clock += 1;
	key_list(f, keys, sizeof(keys));
	assert_string_equal(keys, "2:retired 3:current");
	/* The operator rotates too; interval 0 stops the schedule. */
	req(f, &m, MP_T_OP_KEY_ROTATE);
	send_msg(f, f->op, &m);
	reply(f, f->op, MP_T_OP_OK, &m);
	assert_int_equal(m.u[MP_A_KEY_ID], 4);
	f->md->conf.key_rotate_s = 0;
	keys_tick(f->md, T0 + 100000);
	assert_int_equal(receipt_key_current(&f->md->kr)->id, 4);
}

/* A receipt presented elsewhere (Fig 5): the owner is warned; an ack
 * keeps the binding; unanswered warnings unbind the old address. */
static void test_elsewhere(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt);

	bind_receipt(f, b, &rcpt);
	error(f, b, MP_ERR_ELSEWHERE,
	      "bound to another address; it has "
	      "been warned, retry in 2 s");
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_WARNING);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_ELSEWHERE);
	/* The owner answers: no reply to the ack, the binding stays. */
	req(f, &m, MP_T_WARNING_ACK);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_WARNING, MP_WARN_ELSEWHERE);
	send_msg(f, c, &m);
	assert_int_equal(c->wlen, 0);
	f->md->clock += 5;
	session_tick(f->md, f->md->clock);
	assert_int_equal(c->wlen, 0);
	assert_string_equal(live_find(f->md, serial)->rec.addr, ALICE);

	/* Again, and this time nobody answers: warned, then unbound. */
	bind_receipt(f, b, &rcpt);
	error(f, b, MP_ERR_ELSEWHERE, NULL);
	muispd_fix_next(c, &m);
	f->md->clock += 1;
	session_tick(f->md, f->md->clock);
	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_ELSEWHERE);
	f->md->clock += 1;
	session_tick(f->md, f->md->clock);
	assert_int_equal(live_find(f->md, serial)->rec.state, CS_UNBOUND);
	bind_receipt(f, b, &rcpt);
	reply(f, b, MP_T_STATUS, &m);
	assert_string_equal(m.s[MP_A_ADDR], BOB);
}

/* Expiry and the hard limit settle on their own, deposit kept. */
static void test_limits(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt);

	status(f, c, MP_T_START, serial, &m);
	usage_add(f, serial, 2000000, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_CHARGE], 20);
	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_HARD_LIMIT);
	assert_null(live_find(f->md, serial));
	/* the holder of its receipt asks for the statement afterwards */
	statement_get(f, c, &rcpt);
	reply(f, c, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_CHARGE], 20);
	assert_int_equal(m.u[MP_A_REFUND], 0);
	assert_true(m.nlines > 0);
	statement_get(f, f->op, &rcpt);
	error(f, f->op, MP_ERR_PERM,
	      "the operator reads it with contract show");

	serial = buy(f, c, &rcpt);
	/* outstanding: no statement yet */
	statement_get(f, c, &rcpt);
	error(f, c, MP_ERR_STATE,
	      "contract 2 is outstanding: its statement comes when it ends");
	rcpt.bytes[rcpt.bytes_len - 1] ^= 1; /* its MAC fails */
	statement_get(f, c, &rcpt);
	reply(f, c, MP_T_ERROR, &m);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_RECEIPT);
	rcpt.bytes[rcpt.bytes_len - 1] ^= 1;
	f->md->clock += 86400;
	session_tick(f->md, f->md->clock);
	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_EXPIRY);
	assert_null(live_find(f->md, serial));
	command(f, f->op, MP_T_OP_CONTRACT_SHOW, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_REFUND], 0);
}

/* A restart restores the outstanding contracts with their usage. */
static void test_restore(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt);

	status(f, c, MP_T_START, serial, &m);
	usage_add(f, serial, 300000, &m);
	session_checkpoint_final(f->md);
	restart(f, T0 + 10);
	c = user(f, ALICE);
	assert_int_equal(f->md->nlives, 1);
	status(f, c, MP_T_USAGE, serial, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_ACTIVE);
	assert_int_equal(m.u[MP_A_USAGE], 300000);
}

/* OFFER_GET, REQUEST for the remote method, DEPOSIT: waits. */
static uint64_t remote_deposit_start(struct fix *f, struct conn *c)
{
	struct mp_msg m;
	uint64_t serial;

	request_with(f, c, offer(f, c, &m), MP_METRIC_BYTES, MP_METHOD_ONLINE,
		     1000000, 2000000);
	reply(f, c, MP_T_QUOTE, &m);
	serial = m.u[MP_A_SERIAL];
	req(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_ONLINE);
	mp_set_s(&m, MP_A_PAYMENT, "tok-good");
	send_msg(f, c, &m);
	assert_int_equal(c->wlen, 0);
	assert_int_equal(c->wait, 1);
	assert_non_null(remote.done);
	assert_string_equal(remote.param, "tok-good");
	return serial;
}

/*
 * A deposit with a remote method: the reply waits for the provider, the
 * channel's next request waits behind it, every other channel is served
 * meanwhile; a declined payment frees the quote again.
 */
static void test_remote_deposit(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg m, m2;
	uint64_t serial = remote_deposit_start(f, c);
	uint32_t deposit_req = f->serial;

	/* Alice's next request is not read yet ... */
	req(f, &m, MP_T_OFFER_GET);
	muispd_fix_feed(f->md, c, &m);
	assert_true(c->rlen > 0);
	assert_int_equal(c->wlen, 0);
	/* ... while Bob is served, and may not take her quote. */
	offer(f, b, &m2);
	deposit(f, b, serial, "x");
	error(f, b, MP_ERR_UNKNOWN, "no such quote");
	/* Declined: the reason, then her offer; the quote is hers again. */
	finish(-1, "declined by provider: insufficient funds");
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_ERROR);
	assert_int_equal(m.serial, deposit_req);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_PAYMENT);
	assert_string_equal(m.s[MP_A_MESSAGE],
			    "declined by provider: insufficient funds");
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_OFFER);
	assert_int_equal(c->wlen, 0);
	assert_int_equal(c->wait, 0);
	assert_int_equal(c->rlen, 0);

	req(f, &m, MP_T_DEPOSIT);
	mp_set_u(&m, MP_A_SERIAL, serial);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_ONLINE);
	mp_set_s(&m, MP_A_PAYMENT, "tok-good");
	send_msg(f, c, &m);
	deposit_req = f->serial;
	command(f, c, MP_T_USAGE, serial); /* waits behind */
	assert_true(c->rlen > 0);
	assert_int_equal(f->md->nlives, 0);
	finish(0, "tx-9");
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_RECEIPT);
	assert_int_equal(m.serial, deposit_req);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_string_equal(m.s[MP_A_ADDR], ALICE);
	reply(f, c, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_SERIAL], serial);
	assert_string_equal(live_find(f->md, serial)->rec.payref, "tx-9");
	assert_int_equal(remote.calls, 2);
}

/* c is told err and text (the void's outcome); contract serial is not
 * established. */
static void voided(struct fix *f, struct conn *c, int err, const char *text,
		   uint64_t serial)
{
	struct mp_msg m;

	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_ERROR], err);
	assert_string_equal(m.s[MP_A_MESSAGE], text);
	assert_null(live_find(f->md, serial));
}

/*
 * Authorised, but the establishment fails (the address got a contract
 * meanwhile): the authorisation is voided, and the user is told nothing
 * was paid once the provider confirms (or that it is being released).
 * The quote's serial was on disk before the provider heard of it.
 */
static void test_remote_void(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *c2 = user(f, ALICE);
	struct mp_msg m, rcpt;
	uint64_t serial = remote_deposit_start(f, c), noted;
	uint32_t deposit_req = f->serial;

	assert_int_equal(store_serial_last(f->md->st, "contract", &noted), 0);
	assert_int_equal(noted, serial);
	buy(f, c2, &rcpt);
	finish(0, "tx-3");
	assert_int_equal(remote.calls, 2);
	assert_string_equal(remote.param, "void tx-3");
	assert_int_equal(c->wlen, 0); /* the reply waits for the void */
	assert_int_equal(c->wait, 1);
	finish(0, NULL);
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_ERROR);
	assert_int_equal(m.serial, deposit_req);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_STATE);
	assert_string_equal(m.s[MP_A_MESSAGE],
			    "address already bound; nothing was paid: the "
			    "authorisation was released by the provider");
	assert_int_equal(c->wait, 0);
	assert_null(live_find(f->md, serial));

	/* Again, the provider does not confirm at once. */
	command(f, c2, MP_T_TERMINATE, rcpt.u[MP_A_SERIAL]);
	reply(f, c2, MP_T_STATEMENT, &m);
	serial = remote_deposit_start(f, c);
	buy(f, c2, &rcpt);
	finish(0, "tx-4");
	finish(-1, NULL);
	voided(f, c, MP_ERR_STATE,
	       "address already bound; nothing was paid: the "
	       "authorisation is being released at the provider",
	       serial);
}

/* The channel goes away while its deposit waits: the contract is still
 * established (the provider holds the money), nothing is sent. */
static void test_remote_deposit_gone(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	uint64_t serial = remote_deposit_start(f, c);

	conn_close(c);
	conn_service(f->md);
	assert_int_equal(f->md->nconns, 1); /* the operator's */
	finish(0, "tx-1");
	assert_non_null(live_find(f->md, serial));
	assert_string_equal(live_find(f->md, serial)->rec.addr, ALICE);
}

/*
 * Settlement with a remote method: the contract stays in settlement
 * until the capture is answered; terminate's and settle's replies come
 * then (failed: settlement pending; the operator's settle retries).
 */
static void test_remote_settlement(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct mp_msg m;
	uint64_t serial = remote_deposit_start(f, c);
	uint32_t term_req, settle_req;

	finish(0, "tx-5");
	reply(f, c, MP_T_RECEIPT, &m);
	status(f, c, MP_T_START, serial, &m);
	usage_add(f, serial, 500000, &m);

	command(f, c, MP_T_TERMINATE, serial);
	term_req = f->serial;
	assert_int_equal(c->wlen, 0);
	assert_int_equal(remote.refund, 15);
	assert_int_equal(live_find(f->md, serial)->rec.state, CS_IN_SETTLEMENT);
	offer(f, b, &m); /* others are served */
	/* The capture fails: settlement pending, still in settlement. */
	finish(-1, NULL);
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_ERROR);
	assert_int_equal(m.serial, term_req);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_INTERNAL);
	assert_string_equal(m.s[MP_A_MESSAGE], "settlement pending");
	assert_int_equal(c->wlen, 0);
	assert_int_equal(live_find(f->md, serial)->rec.state, CS_IN_SETTLEMENT);

	/* The operator settles; a second settle joins the first. */
	command(f, f->op, MP_T_OP_CONTRACT_SETTLE, serial);
	settle_req = f->serial;
	command(f, f->op, MP_T_OP_CONTRACT_SHOW, serial);
	assert_int_equal(f->op->wlen, 0); /* waits behind */
	assert_true(f->op->rlen > 0);
	assert_int_equal(remote.calls, 3);
	finish(0, NULL);
	muispd_fix_next(f->op, &m);
	assert_int_equal(m.type, MP_T_STATEMENT);
	assert_int_equal(m.serial, settle_req);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_int_equal(m.u[MP_A_CHARGE], 5);
	assert_int_equal(m.u[MP_A_REFUND], 15);
	assert_string_equal(m.lines[2].desc, "released");
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_null(live_find(f->md, serial));
}

/* The operator's settle while the user's terminate waits for the
 * capture: one capture, both answered with the statement. */
static void test_remote_settlement_joined(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m;
	uint64_t serial = remote_deposit_start(f, c);
	uint32_t first;

	finish(0, "tx-6");
	reply(f, c, MP_T_RECEIPT, &m);
	command(f, c, MP_T_TERMINATE, serial);
	first = f->serial;
	command(f, f->op, MP_T_OP_CONTRACT_SETTLE, serial);
	assert_int_equal(remote.calls, 2);
	assert_int_equal(c->wlen + f->op->wlen, 0);
	finish(0, NULL);
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_STATEMENT);
	assert_int_equal(m.serial, first);
	assert_int_equal(m.u[MP_A_REFUND], 20);
	assert_int_equal(c->wlen, 0);
	reply(f, f->op, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_REFUND], 20);
	assert_int_equal(remote.calls, 2);
}

static void write_conf(struct fix *f, const char *extra, unsigned price)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/conf", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp,
		"database %s/db\nsocket %s/sock\nkernel no\ntls no\n"
		"price bytes voucher ah %u 1000000\n%s",
		f->dir, f->dir, price, extra);
	fclose(fp);
}

/* SIGHUP's reload: run-time settings change, restart-only ones are
 * kept, a file with errors changes nothing. */
static void test_reload(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	char path[128];
	uint64_t serial = buy(f, c, &rcpt);

	snprintf(path, sizeof(path), "%s/conf", f->dir);
	f->md->conffile = path;
	write_conf(f,
		   "offer-ttl 60\nlisten 10.9.9.9\ncurrency CHF\n"
		   "online-provider 127.0.0.1 9\nonline-provider-insecure yes\n"
		   "agent-usage-keep 30\n",
		   12);
	assert_int_equal(server_reload(f->md), 0);
	assert_int_equal(f->md->conf.agent_usage_keep_days, 30);
	assert_int_equal(f->md->conf.nprices, 1);
	assert_int_equal(f->md->conf.prices[0].price, 12);
	assert_int_equal(f->md->conf.offer_ttl_s, 60);
	assert_string_equal(f->md->conf.listen, "::"); /* kept */
	assert_true(payment_online_enabled(f->md->online));
	offer(f, c, &m);
	assert_int_equal(m.nitems, 1);
	assert_int_equal(m.items[0].price, 12);
	assert_string_equal(m.s[MP_A_CURRENCY], "CHF");
	assert_int_equal(m.u[MP_A_EXPIRY], T0 + 60);
	/* The running contract keeps its price. */
	command(f, f->op, MP_T_OP_CONTRACT_SHOW, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_PRICE], 10);

	write_conf(f, "price bytes voucher ah\n", 14);
	assert_int_equal(server_reload(f->md), -1);
	assert_int_equal(f->md->conf.prices[0].price, 12);
	assert_string_equal(f->md->conf.currency, "CHF");
	f->md->conffile = "/nonexistent/muispd.conf";
	assert_int_equal(server_reload(f->md), -1);
	assert_int_equal(f->md->conf.offer_ttl_s, 60);
	offer(f, c, &m);
	assert_int_equal(m.items[0].price, 12);
}

/*
 * A store or module that fails: a soft limit reached while the store
 * fails is kept in memory and stored by the tick once it works again; a
 * checkpoint is retried; an unbind the module refuses is retried (the
 * contract stays bound meanwhile, in memory too); the module's cleanup
 * after a settlement is retried.
 */
static void test_store_failures(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE), *b = user(f, BOB);
	struct contract_rec r;
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt);
	struct live *l;

	status(f, c, MP_T_START, serial, &m);
	store_test_fail = 1;
	usage_add(f, serial, 1200000, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_DELINQUENT);
	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_SOFT_LIMIT);
	l = live_find(f->md, serial);
	assert_int_equal(l->save_due, 1);
	f->md->clock += 20;
	session_tick(f->md, f->md->clock);
	assert_int_equal(l->save_due, 1);
	assert_int_equal(f->md->next_ckpt, f->md->clock + 1);
	assert_int_equal(store_contract_get(f->md->st, serial, &r), 0);
	assert_int_equal(r.state, CS_ACTIVE); /* as last stored */
	store_test_fail = 0;
	f->md->clock += 1;
	session_tick(f->md, f->md->clock);
	assert_int_equal(l->save_due, 0);
	assert_int_equal(store_contract_get(f->md->st, serial, &r), 0);
	assert_int_equal(r.state, CS_DELINQUENT);
	assert_int_equal(r.usage, 1200000);
	assert_int_equal(r.usage_at, f->md->clock);

	/* Presented elsewhere, nobody answers, the module refuses to unbind:
	 * still alice's until it does. */
	bind_receipt(f, b, &rcpt);
	error(f, b, MP_ERR_ELSEWHERE, NULL);
	muispd_fix_next(c, &m);
	kernel_test_fail_unbind = 1;
	for (int i = 0; i < 4; i++) {
		f->md->clock += 1;
		session_tick(f->md, f->md->clock);
		while (c->wlen)
			muispd_fix_next(c, &m);
	}
	assert_string_equal(l->rec.addr, ALICE);
	assert_int_equal(l->rec.state, CS_DELINQUENT);
	kernel_test_fail_unbind = 0;
	f->md->clock += 1;
	session_tick(f->md, f->md->clock);
	assert_int_equal(l->rec.state, CS_UNBOUND);
	assert_string_equal(l->rec.addr, "");

	/* Bound again, terminated while the module refuses to unbind: the
	 * statement, and the cleanup retried. */
	bind_receipt(f, c, &rcpt);
	reply(f, c, MP_T_STATUS, &m);
	kernel_test_fail_unbind = 1;
	command(f, c, MP_T_TERMINATE, serial);
	reply(f, c, MP_T_STATEMENT, &m);
	assert_int_equal(f->md->nkretry, 1);
	session_tick(f->md, ++f->md->clock);
	assert_int_equal(f->md->nkretry, 1);
	kernel_test_fail_unbind = 0;
	session_tick(f->md, ++f->md->clock);
	assert_int_equal(f->md->nkretry, 0);

	/* A bind the store cannot keep is rolled back, and so is the
	 * module's binding: retried while the module refuses to unbind. */
	serial = buy(f, b, &rcpt);
	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	store_test_fail = 1;
	kernel_test_fail_unbind = 1;
	bind_receipt(f, b, &rcpt);
	error(f, b, MP_ERR_INTERNAL, NULL);
	l = live_find(f->md, serial);
	assert_int_equal(l->rec.state, CS_UNBOUND);
	assert_string_equal(l->rec.addr, "");
	assert_int_equal(f->md->nkretry, 1);
	store_test_fail = 0;
	session_tick(f->md, ++f->md->clock);
	assert_int_equal(f->md->nkretry, 1);
	kernel_test_fail_unbind = 0;
	session_tick(f->md, ++f->md->clock);
	assert_int_equal(f->md->nkretry, 0);
	assert_int_equal(l->rec.state, CS_UNBOUND);
}

/* ---------- the control channel's limits (conn.c, limits.c) ---------- */

/* A listening socket on 127.0.0.1 (its port in *port). */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A client from source address src, connected to port (accept pending). */
static int client_from(const char *src, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, b = a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, src, &b.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&b, sizeof(b)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static struct conn *conn_of(struct fix *f, const char *addr, unsigned nth)
{
	for (unsigned i = 0; i < f->md->nconns; i++)
		if (!strcmp(f->md->conns[i]->addr, addr) && !nth--)
			return f->md->conns[i];
	return NULL;
}

static unsigned conns_of(struct fix *f, const char *addr)
{
	unsigned n = 0;

	while (conn_of(f, addr, n))
		n++;
	return n;
}

#define MALLORY "127.0.0.66"

/* fd, the client of connection c, asks for the offer: c's last input
 * is now. */
static void offer_from(struct fix *f, struct conn *c, int fd)
{
	uint8_t buf[MP_MAX_FRAME];
	struct mp_msg m;
	int len;

	mp_init(&m, MP_T_OFFER_GET, 0, 7);
	len = mp_encode(&m, buf, sizeof(buf));
	assert_int_equal(write(fd, buf, (size_t)len), len);
	conn_event(f->md, c, EPOLLIN);
	assert_int_equal(c->state, C_OPEN);
	assert_int_equal(c->wlen, 0); /* the offer went out */
	len = (int)read(fd, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(mp_decode(buf, (size_t)len, &m), 0);
	assert_int_equal(m.type, MP_T_OFFER);
	assert_int_equal(c->last, f->md->clock);
}

/*
 * Accepting: at most max-conns-per-addr from one address; a full table
 * closes at once a channel of an address holding more than the newcomer
 * would (the attacker's flood cannot lock a walk-in out, however fresh),
 * else the channel idle the longest, never one just active; the
 * operator's connections are apart from the users'.
 */
static void test_conn_caps(void **state)
{
	struct fix *f = *state;
	int cl[8], n = 0, lfd;
	uint16_t port;

	lfd = listener(&port);
	f->md->max_user = 3;
	f->md->conf.max_conns_addr = 2;
	for (int i = 0; i < 3; i++) {
		cl[n++] = client_from(MALLORY, port);
		conn_accept(f->md, lfd, CONN_USER);
	}
	assert_int_equal(conns_of(f, MALLORY), 2);
	assert_int_equal(f->md->refused.conns_addr, 1);
	cl[n++] = client_from("127.0.0.3", port); /* bob, cl[3] */
	conn_accept(f->md, lfd, CONN_USER);
	assert_int_equal(f->md->nuser, 3);
	/* Full, everyone connected just now: mallory holds two, so alice
	 * gets one of them at once. */
	cl[n++] = client_from("127.0.0.2", port); /* alice, cl[4] */
	conn_accept(f->md, lfd, CONN_USER);
	assert_int_equal(f->md->refused.evicted, 1);
	assert_int_equal(f->md->refused.conns_full, 0);
	assert_int_equal(conns_of(f, MALLORY), 1);
	assert_int_equal(conns_of(f, "127.0.0.2"), 1);
	assert_int_equal(conns_of(f, "127.0.0.3"), 1);
	/* Full of one channel an address, all fresh: refused. */
	cl[n++] = client_from("127.0.0.4", port);
	conn_accept(f->md, lfd, CONN_USER);
	assert_int_equal(f->md->refused.conns_full, 1);
	assert_int_equal(conns_of(f, "127.0.0.4"), 0);
	/* Later: alice, then bob active, mallory idle since she came;
	 * carol gets mallory's slot. */
	f->md->clock += 2;
	offer_from(f, conn_of(f, "127.0.0.2", 0), cl[4]);
	f->md->clock += 3;
	offer_from(f, conn_of(f, "127.0.0.3", 0), cl[3]);
	cl[n++] = client_from("127.0.0.4", port);
	conn_accept(f->md, lfd, CONN_USER);
	assert_int_equal(conns_of(f, "127.0.0.4"), 1);
	assert_int_equal(conns_of(f, MALLORY), 0);
	assert_int_equal(conns_of(f, "127.0.0.2"), 1);
	assert_int_equal(conns_of(f, "127.0.0.3"), 1);
	assert_int_equal(f->md->refused.evicted, 2);
	assert_int_equal(f->md->nuser, 3);
	/* The operator has its own room. */
	assert_int_equal(f->md->nop, 1);
	assert_non_null(conn_new(f->md, -1, CONN_OP, "operator"));
	assert_int_equal(f->md->nop, 2);
	for (int i = 0; i < n; i++)
		close(cl[i]);
	close(lfd);
}

/* Each address spends a token per message: over msg-burst (no time to
 * refill) the connection is told and closed; others are unaffected; the
 * bucket fills again with time. */
static void test_conn_rate(void **state)
{
	struct fix *f = *state;
	struct conn *x = user(f, MALLORY), *c = user(f, ALICE);
	struct mp_msg m;
	unsigned burst = f->md->conf.msg_burst;

	for (unsigned i = 0; i < burst; i++)
		offer(f, x, &m);
	req(f, &m, MP_T_OFFER_GET);
	muispd_fix_feed(f->md, x, &m);
	muispd_fix_next(x, &m); /* an error of no request: it was not read */
	assert_int_equal(m.type, MP_T_ERROR);
	assert_int_equal(m.u[MP_A_ERROR], MP_ERR_PERM);
	assert_string_equal(m.s[MP_A_MESSAGE], "too many requests from " MALLORY
					       ": at most 20 a second");
	assert_int_equal(x->state, C_CLOSING);
	assert_int_equal(f->md->refused.rate, 1);
	offer(f, c, &m);
	conn_service(f->md);
	f->md->clock += 3; /* 60 tokens */
	x = user(f, MALLORY);
	for (unsigned i = 0; i < burst; i++)
		offer(f, x, &m);
	assert_int_equal(x->state, C_OPEN);
}

/* The tick's deadlines: no handshake in handshake-timeout, or nothing
 * received in idle-timeout: closed; a payer's channel stays. */
static void test_conn_deadlines(void **state)
{
	struct fix *f = *state;
	struct conn *h = user(f, MALLORY), *i = user(f, "127.0.0.67");
	struct conn *c = user(f, ALICE);
	struct mp_msg rcpt;

	h->state = C_HANDSHAKE;
	buy(f, c, &rcpt);
	f->md->clock += f->md->conf.handshake_timeout_s - 1;
	conn_deadlines(f->md);
	assert_int_equal(h->state, C_HANDSHAKE);
	f->md->clock += 1;
	conn_deadlines(f->md);
	assert_int_equal(h->state, C_CLOSING);
	assert_int_equal(f->md->refused.handshake, 1);
	assert_int_equal(i->state, C_OPEN);
	f->md->clock = T0 + f->md->conf.idle_timeout_s;
	conn_deadlines(f->md);
	assert_int_equal(i->state, C_CLOSING);
	assert_int_equal(c->state, C_OPEN); /* alice holds a contract */
	assert_int_equal(c->last, T0 + f->md->conf.idle_timeout_s);
	assert_int_equal(f->md->refused.idle, 1);
	conn_service(f->md);
	assert_int_equal(f->md->nuser, 1);
}

/*
 * Offers and quotes cost no disk write: one offer serves a flood of
 * OFFER_GETs (a new one only after MUISPD_OFFER_REUSE seconds), a quote
 * reserves its contract serial in memory (recorded with the contract),
 * and an address keeps at most quotes-per-addr quotes, so a flood does
 * not push another user's quote out.
 */
static void test_offer_quote_memory(void **state)
{
	struct fix *f = *state;
	struct conn *x = user(f, MALLORY), *c = user(f, ALICE);
	uint64_t o1, o2, last, mine, dep, serial;
	struct mp_msg m;
	char code[32];

	voucher(f, 100, code);
	o1 = offer(f, c, &m);
	for (int i = 0; i < 10; i++)
		assert_int_equal(offer(f, x, &m), o1);
	assert_int_equal(f->md->offer_next, 1);
	mine = quote(f, c, MP_METRIC_BYTES, 1000000, 2000000, &dep);
	f->md->clock += MUISPD_OFFER_REUSE;
	o2 = offer(f, x, &m);
	assert_true(o2 > o1);
	for (int i = 0; i < 30; i++) {
		request(f, x, o2, MP_METRIC_BYTES, 10, 20);
		reply(f, x, MP_T_QUOTE, &m);
		f->md->clock += i % 2; /* within the rate */
	}
	last = m.u[MP_A_SERIAL];
	assert_int_equal(last, mine + 30);
	serial = 0;
	for (unsigned i = 0; i < MUISPD_MAX_QUOTES; i++)
		if (f->md->quotes[i].serial &&
		    !strcmp(f->md->quotes[i].addr, MALLORY))
			serial++;
	assert_int_equal(serial, f->md->conf.quotes_addr);
	/* Nothing was written for them. */
	assert_int_equal(store_serial_last(f->md->st, "contract", &serial), 0);
	assert_int_equal(serial, 0);
	deposit(f, c, mine, code);
	reply(f, c, MP_T_RECEIPT, &m);
	assert_int_equal(m.u[MP_A_SERIAL], mine);
	assert_int_equal(store_serial_last(f->md->st, "contract", &serial), 0);
	assert_int_equal(serial, mine);
	/* A restart goes on after the highest contract. */
	restart(f, T0 + 100);
	c = user(f, BOB);
	assert_int_equal(quote(f, c, MP_METRIC_BYTES, 10, 20, &dep), mine + 1);
}

/* ---------- registration (register.c) ---------- */

/* A self-signed RSA certificate for CN with KEY, DER into m. */
static void reg_msg(struct fix *f, struct mp_msg *m, const char *cn,
		    EVP_PKEY *key)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const void *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T0 - 60);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)T0 + 30 * 86400);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	req(f, m, MP_T_REGISTER);
	assert_int_equal(mp_set_bytes(m, MP_A_CERT, der, (size_t)n), 0);
	OPENSSL_free(der);
	X509_free(x);
}

static uint64_t regs(struct fix *f)
{
	uint64_t n = 0;

	assert_int_equal(store_reg_count(f->md->st, "-", "-", &n), 0);
	return n;
}

static void test_register(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	EVP_PKEY *ka = EVP_RSA_gen(2048), *kb = EVP_RSA_gen(2048);
	struct mp_msg *m = calloc(1, sizeof(*m)), *r = calloc(1, sizeof(*r));
	struct reg_rec *rec = calloc(1, sizeof(*rec));

	assert_true(ka && kb && m && r && rec);
	/* charon not connected: stored, loaded when muispd connects */
	reg_msg(f, m, "anon-a", ka);
	send_msg(f, a, m);
	reply(f, a, MP_T_REGISTERED, r);
	assert_string_equal(r->s[MP_A_MESSAGE],
			    "registered CN=anon-a: charon is not connected: "
			    "loaded when muispd connects to it");
	assert_int_equal(r->u[MP_A_EXPIRY], T0 + 7 * 86400);
	assert_int_equal(store_reg_by_subject(f->md->st, "CN=anon-a", rec), 0);
	assert_string_equal(rec->addr, ALICE);
	assert_int_equal(regs(f), 1);
	/* a new certificate from the same address replaces the old */
	reg_msg(f, m, "anon-a2", ka);
	send_msg(f, a, m);
	reply(f, a, MP_T_REGISTERED, r);
	assert_int_equal(store_reg_by_subject(f->md->st, "CN=anon-a", rec), 1);
	assert_int_equal(regs(f), 1);
	/* another client's subject with another key */
	reg_msg(f, m, "anon-a2", kb);
	send_msg(f, b, m);
	error(f, b, MP_ERR_CERT,
	      "certificate refused: subject CN=anon-a2 is registered by "
	      "another client");
	/* what the checks refuse is said */
	req(f, m, MP_T_REGISTER);
	mp_set_bytes(m, MP_A_CERT, "\x30\x03\x02\x01\x01", 5);
	send_msg(f, b, m);
	error(f, b, MP_ERR_CERT,
	      "certificate refused: not a DER X.509 certificate");
	/* the total cap */
	f->md->conf.register_max = 1;
	reg_msg(f, m, "anon-b", kb);
	send_msg(f, b, m);
	error(f, b, MP_ERR_BUSY,
	      "the router holds all the registrations it may (1): try "
	      "again later");
	f->md->conf.register_max = 1024;
	/* the operator's socket has no client address */
	send_msg(f, f->op, m);
	error(f, f->op, MP_ERR_PERM,
	      "registration comes from a client's address");
	/* the rate per address: the burst (5), then busy; the clock stands */
	for (unsigned i = 2; i < f->md->conf.register_burst; i++) {
		reg_msg(f, m, "anon-a2", ka);
		send_msg(f, a, m);
		reply(f, a, MP_T_REGISTERED, r);
	}
	send_msg(f, a, m);
	error(f, a, MP_ERR_BUSY,
	      "too many registrations from " ALICE " (2 a minute): try "
	      "again later");
	assert_int_equal(f->md->reg.busy, 2);
	/* a use refreshes the registration; unused past register-idle, it
	 * is forgotten */
	f->md->clock += 6 * 86400;
	register_sa_up(f->md, "CN=anon-a2");
	f->md->clock += 2 * 86400;
	register_tick(f->md, f->md->clock);
	assert_int_equal(regs(f), 1);
	f->md->clock += 6 * 86400;
	register_tick(f->md, f->md->clock);
	assert_int_equal(regs(f), 0);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	free(m);
	free(r);
	free(rec);
}

static const struct ike_watch_ops no_ops;

/* charon (the peer) answers the command it got. */
static void charon_replies(struct fix *f, int peer, const char *ok,
			   const char *errmsg)
{
	struct vici_builder b;

	vici_builder_init(&b);
	vici_add_kv_str(&b, "success", ok);
	if (errmsg)
		vici_add_kv_str(&b, "errmsg", errmsg);
	assert_int_equal(vici_builder_finish(&b), 0);
	frame_out(peer, VICI_CMD_RESPONSE, NULL, &b);
	vici_builder_reset(&b);
	assert_true(ike_watch_process(f->md->ike.w, POLLIN) >= 0);
}

/* charon (the peer) got load-cert for a PEM certificate: answer it. */
static void charon_answers(struct fix *f, int peer, const char *ok,
			   const char *errmsg)
{
	static uint8_t buf[8192];
	struct vici_packet pkt;
	struct vici_msg *m;
	const char *data;

	assert_true(ike_watch_process(f->md->ike.w, POLLOUT) >= 0);
	assert_int_equal(frame_in(peer, &pkt, buf, sizeof(buf)),
			 VICI_CMD_REQUEST);
	assert_string_equal(pkt.name, "load-cert");
	m = vici_msg_parse(pkt.msg, pkt.msglen);
	assert_non_null(m);
	assert_string_equal(vici_find_str(&m->root, "type"), "X509");
	assert_string_equal(vici_find_str(&m->root, "flag"), "NONE");
	data = vici_find_str(&m->root, "data");
	assert_non_null(data);
	assert_memory_equal(data, "-----BEGIN CERTIFICATE-----", 27);
	vici_msg_free(m);
	charon_replies(f, peer, ok, errmsg);
}

/* With charon connected, REGISTERED waits for its load-cert; a refusal
 * or silence is an error; every registration is loaded again when
 * muispd connects to charon anew. */
static void test_register_charon(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	EVP_PKEY *k = EVP_RSA_gen(2048);
	struct mp_msg *m = calloc(1, sizeof(*m)), *r = calloc(1, sizeof(*r));
	int peer;

	assert_true(k && m && r);
	f->md->ike.w = ike_watch_new(conn_pair(&peer), &no_ops, NULL);
	assert_non_null(f->md->ike.w);
	f->md->ike.ready = 1;
	reg_msg(f, m, "anon-a", k);
	muispd_fix_feed(f->md, a, m);
	assert_int_equal(a->wlen, 0); /* waits for charon */
	charon_answers(f, peer, "yes", NULL);
	reply(f, a, MP_T_REGISTERED, r);
	assert_string_equal(r->s[MP_A_MESSAGE],
			    "registered CN=anon-a: charon trusts it");
	/* charon refuses */
	reg_msg(f, m, "anon-b", k);
	muispd_fix_feed(f->md, b, m);
	assert_int_equal(b->wlen, 0);
	charon_answers(f, peer, "no", "parsing certificate failed");
	error(f, b, MP_ERR_INTERNAL,
	      "the router's charon did not take the certificate: try again");
	/* charon silent: the tick gives up after 15 s */
	reg_msg(f, m, "anon-b2", k);
	muispd_fix_feed(f->md, b, m);
	f->md->clock += 14;
	register_tick(f->md, f->md->clock);
	assert_int_equal(b->wlen, 0);
	f->md->clock += 1;
	register_tick(f->md, f->md->clock);
	error(f, b, MP_ERR_INTERNAL,
	      "the router's charon did not answer: try again");
	charon_answers(f, peer, "yes", NULL); /* late: nobody waits */
	assert_int_equal(b->wlen, 0);
	assert_int_equal(f->md->reg.nops, 0);
	/* connected anew: both registrations stored are loaded again */
	register_charon_ready(f->md);
	assert_int_equal(f->md->reg.queued, 2);
	charon_answers(f, peer, "yes", NULL);
	charon_answers(f, peer, "no", "no");
	assert_int_equal(f->md->reg.answered, 2);
	assert_int_equal(f->md->reg.loaded, 1);
	assert_quiet(peer);
	close(peer);
	EVP_PKEY_free(k);
	free(m);
	free(r);
}

/* charon reports CHILD_SA CHILD of IKE_SA IKE up for REMOTE_ID at
 * ADDR: into ike_watch's table (the ops are not called). */
static void charon_child_up(struct fix *f, const char *ike, const char *child,
			    const char *remote_id, const char *addr)
{
	struct vici_builder b;
	struct vici_msg *m;

	vici_builder_init(&b);
	vici_add_kv_str(&b, "up", "yes");
	vici_section_begin(&b, "muisp");
	vici_add_kv_str(&b, "uniqueid", ike);
	vici_add_kv_str(&b, "state", "ESTABLISHED");
	vici_add_kv_str(&b, "remote-host", addr);
	vici_add_kv_str(&b, "remote-id", remote_id);
	vici_section_begin(&b, "child-sas");
	vici_section_begin(&b, "muisp-1");
	vici_add_kv_str(&b, "name", "muisp");
	vici_add_kv_str(&b, "uniqueid", child);
	vici_add_kv_str(&b, "reqid", child);
	vici_add_kv_str(&b, "state", "INSTALLED");
	vici_add_kv_str(&b, "mode", "TUNNEL");
	vici_add_kv_str(&b, "protocol", "AH");
	vici_add_kv_str(&b, "spi-in", "c1a2b3c4");
	vici_add_kv_str(&b, "spi-out", "0badf00d");
	vici_list_begin(&b, "remote-ts");
	vici_list_item_str(&b, addr);
	vici_list_end(&b);
	vici_section_end(&b);
	vici_section_end(&b);
	vici_section_end(&b);
	assert_int_equal(vici_builder_finish(&b), 0);
	m = vici_msg_parse(b.buf, b.len);
	assert_non_null(m);
	ike_watch_handle(f->md->ike.w, "child-updown", m);
	vici_msg_free(m);
	vici_builder_reset(&b);
}

/* charon (the peer) got terminate for IKE_SA IKE_ID: answer it. */
static void charon_terminates(struct fix *f, int peer, const char *ike_id)
{
	static uint8_t buf[4096];
	struct vici_packet pkt;
	struct vici_msg *m;

	assert_true(ike_watch_process(f->md->ike.w, POLLOUT) >= 0);
	assert_int_equal(frame_in(peer, &pkt, buf, sizeof(buf)),
			 VICI_CMD_REQUEST);
	assert_string_equal(pkt.name, "terminate");
	m = vici_msg_parse(pkt.msg, pkt.msglen);
	assert_non_null(m);
	assert_string_equal(vici_find_str(&m->root, "ike-id"), ike_id);
	vici_msg_free(m);
	charon_replies(f, peer, "yes", NULL);
}

static int tombstone(struct fix *f, const char *subject, const char *why)
{
	char got[160] = "";
	int rc = store_reg_tombstone(f->md->st, subject, got, sizeof(got));

	if (why)
		assert_memory_equal(got, why, strlen(why));
	return rc;
}

/* A forgotten registration (by the operator, idle, replaced) leaves a
 * tombstone: its IKE_SAs are terminated over VICI (at once, and any
 * that comes up later), it is not loaded into charon again, and
 * registering the certificate again clears it. */
static void test_register_forget(void **state)
{
	struct fix *f = *state;
	struct conn *a = user(f, ALICE), *b = user(f, BOB);
	EVP_PKEY *ka = EVP_RSA_gen(2048), *kb = EVP_RSA_gen(2048);
	struct mp_msg *m = calloc(1, sizeof(*m)), *r = calloc(1, sizeof(*r));
	struct ike_child c = { .ike_uniqueid = 6 };
	uint64_t n = 0;
	int peer;

	assert_true(ka && kb && m && r);
	f->md->ike.w = ike_watch_new(conn_pair(&peer), &no_ops, NULL);
	assert_non_null(f->md->ike.w);
	f->md->ike.ready = 1;
	reg_msg(f, m, "anon-a", ka);
	muispd_fix_feed(f->md, a, m);
	charon_answers(f, peer, "yes", NULL);
	reply(f, a, MP_T_REGISTERED, r);
	charon_child_up(f, "5", "50", "CN=anon-a", ALICE);
	/* the operator's list */
	req(f, m, MP_T_OP_REG_LIST);
	send_msg(f, f->op, m);
	muispd_fix_next(f->op, r);
	assert_int_equal(r->type, MP_T_OP_REG);
	assert_true(r->flags & MP_F_MORE);
	assert_string_equal(r->s[MP_A_ADDR], ALICE);
	assert_string_equal(r->s[MP_A_SUBJECT], "CN=anon-a");
	assert_string_equal(r->s[MP_A_KEY_TYPE], "RSA-2048");
	assert_int_equal(r->u[MP_A_TIME], T0);
	assert_int_equal(r->u[MP_A_LAST_USED], T0);
	assert_int_equal(r->u[MP_A_EXPIRY], T0 + 7 * 86400);
	reply(f, f->op, MP_T_OP_OK, r);
	/* forgotten by the operator: the IKE_SA up is ended at once */
	req(f, m, MP_T_OP_REG_FORGET);
	mp_set_s(m, MP_A_SUBJECT, "CN=nobody");
	send_msg(f, f->op, m);
	error(f, f->op, MP_ERR_UNKNOWN, "no registration of CN=nobody");
	assert_int_equal(tombstone(f, "CN=anon-a", NULL), 1);
	req(f, m, MP_T_OP_REG_FORGET);
	mp_set_s(m, MP_A_ADDR, ALICE);
	send_msg(f, f->op, m);
	charon_terminates(f, peer, "5");
	reply(f, f->op, MP_T_OP_OK, r);
	assert_string_equal(r->s[MP_A_MESSAGE],
			    "forgot CN=anon-a of " ALICE ": 1 IKE_SA ended");
	assert_int_equal(regs(f), 0);
	assert_int_equal(tombstone(f, "CN=anon-a",
				   "by the operator at 2023-11-14 22:13:20 "
				   "UTC"),
			 0);
	/* charon still trusts it: a new IKE_SA of it is ended, once */
	snprintf(c.remote_id, sizeof(c.remote_id), "CN=anon-a");
	snprintf(c.remote_host, sizeof(c.remote_host), ALICE);
	register_child_up(f->md, &c);
	charon_terminates(f, peer, "6");
	register_child_up(f->md, &c);
	assert_true(ike_watch_process(f->md->ike.w, POLLOUT) >= 0);
	assert_quiet(peer);
	assert_int_equal(f->md->reg.terminated, 2);
	/* connected anew: the forgotten certificate is not loaded */
	register_charon_ready(f->md);
	assert_int_equal(f->md->reg.queued, 0);
	/* unused past register-idle: forgotten the same way */
	reg_msg(f, m, "anon-b", kb);
	muispd_fix_feed(f->md, b, m);
	charon_answers(f, peer, "yes", NULL);
	reply(f, b, MP_T_REGISTERED, r);
	charon_child_up(f, "9", "90", "CN=anon-b", BOB);
	f->md->clock += 8 * 86400;
	register_tick(f->md, f->md->clock);
	charon_terminates(f, peer, "9"); /* 5 was ended already */
	assert_quiet(peer);
	assert_int_equal(regs(f), 0);
	assert_int_equal(tombstone(f, "CN=anon-b",
				   "idle since 2023-11-14 22:13:20 UTC"),
			 0);
	assert_int_equal(store_reg_tomb_count(f->md->st, &n), 0);
	assert_int_equal(n, 2);
	/* registered again: the tombstone goes, its SAs are welcome */
	reg_msg(f, m, "anon-a", ka);
	muispd_fix_feed(f->md, a, m);
	charon_answers(f, peer, "yes", NULL);
	reply(f, a, MP_T_REGISTERED, r);
	assert_int_equal(tombstone(f, "CN=anon-a", NULL), 1);
	c.ike_uniqueid = 7;
	register_child_up(f->md, &c);
	assert_true(ike_watch_process(f->md->ike.w, POLLOUT) >= 0);
	assert_quiet(peer);
	assert_int_equal(store_reg_tomb_count(f->md->st, &n), 0);
	assert_int_equal(n, 1);
	/* replaced by another certificate: its SA ends */
	charon_child_up(f, "7", "70", "CN=anon-a", ALICE);
	reg_msg(f, m, "anon-a3", ka);
	muispd_fix_feed(f->md, a, m);
	charon_terminates(f, peer, "7");
	charon_answers(f, peer, "yes", NULL);
	reply(f, a, MP_T_REGISTERED, r);
	assert_int_equal(tombstone(f, "CN=anon-a",
				   "replaced at 2023-11-22 22:13:20 UTC"),
			 0);
	assert_quiet(peer);
	close(peer);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	free(m);
	free(r);
}

/* Tombstones are bounded: beyond REG_TOMB_MAX the oldest go. */
static void test_register_tomb_cap(void **state)
{
	struct fix *f = *state;
	struct reg_rec *r = calloc(1, sizeof(*r));
	uint64_t n = 0;
	unsigned k;

	assert_non_null(r);
	r->der_len = 1;
	assert_int_equal(store_begin(f->md->st), 0);
	for (unsigned i = 0; i < REG_TOMB_MAX + 2; i++) {
		snprintf(r->addr, sizeof(r->addr), "10.1.%u.%u", i / 256,
			 i % 256);
		snprintf(r->c.subject, sizeof(r->c.subject), "CN=t%u", i);
		snprintf(r->c.fpr, sizeof(r->c.fpr), "%064u", i);
		r->created = r->last_used = T0 + i;
		assert_int_equal(store_reg_put(f->md->st, r), 0);
		assert_int_equal(
			store_reg_forget(f->md->st, r->addr, T0 + i, &k), 0);
		assert_int_equal(k, 1);
	}
	assert_int_equal(store_commit(f->md->st), 0);
	assert_int_equal(store_reg_tomb_count(f->md->st, &n), 0);
	assert_int_equal(n, REG_TOMB_MAX);
	assert_int_equal(tombstone(f, "CN=t0", NULL), 1);
	assert_int_equal(tombstone(f, "CN=t1", NULL), 1);
	assert_int_equal(tombstone(f, "CN=t2", "by the operator at "), 0);
	free(r);
}

/* The privacy rule: the recorded SA's protocol is the one bought; an
 * address without an SA is not known, so not refused. */
static void test_privacy_rule(void **state)
{
	static const struct {
		uint8_t privacy, proto;
		uint32_t spi;
		int mismatch;
	} t[] = {
		{ 0, IPPROTO_AH, 0x100, 0 },
		{ 0, IPPROTO_ESP, 0x100, 1 },
		{ 1, IPPROTO_ESP, 0x100, 0 },
		{ 1, IPPROTO_AH, 0x100, 1 },
		{ 0, 0, 0, 0 },
		{ 1, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tun_id id = { .proto = t[i].proto, .spi = t[i].spi };

		assert_int_equal(privacy_mismatch(t[i].privacy, &id),
				 t[i].mismatch);
	}
	assert_string_equal(privacy_name(0), "AH");
	assert_string_equal(privacy_name(1), "ESP");
	assert_string_equal(mp_error_name(MP_ERR_PRIVACY),
			    "the tunnel is not the privacy bought");
}

static void tunnel_is(uint8_t proto)
{
	kernel_test_tunnel.proto = proto;
	kernel_test_tunnel.spi = proto ? 0xc0ffee : 0;
}

/* A bytes contract by voucher with privacy P: REQUEST and DEPOSIT. */
static void buy_privacy(struct fix *f, struct conn *c, uint8_t p,
			const char *code)
{
	struct mp_msg m;
	uint64_t o = offer(f, c, &m);

	req(f, &m, MP_T_REQUEST);
	mp_set_u(&m, MP_A_OFFER_SERIAL, o);
	mp_set_u(&m, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	mp_set_u(&m, MP_A_PRIVACY, p);
	mp_set_u(&m, MP_A_SOFT, 1000000);
	mp_set_u(&m, MP_A_HARD, 2000000);
	send_msg(f, c, &m);
	reply(f, c, MP_T_QUOTE, &m);
	deposit(f, c, m.u[MP_A_SERIAL], code);
}

/* Buying and binding through a tunnel of the other protocol: refused
 * with the reason, nothing paid; the right tunnel binds. */
static void test_privacy_bind(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	char code[32];
	uint64_t serial;

	voucher(f, 100, code);
	tunnel_is(IPPROTO_ESP);
	buy_privacy(f, c, 0, code);
	error(f, c, MP_ERR_PRIVACY,
	      "bought AH, but the tunnel of " ALICE " is ESP: bring up an AH "
	      "tunnel, then buy");
	assert_int_equal(balance(f, code), 100);
	tunnel_is(IPPROTO_AH);
	buy_privacy(f, c, 1, code);
	error(f, c, MP_ERR_PRIVACY,
	      "bought ESP, but the tunnel of " ALICE " is AH: bring up an "
	      "ESP tunnel, then buy");
	assert_int_equal(balance(f, code), 100);
	/* No SA known (no vici): not checked. */
	tunnel_is(0);
	buy_privacy(f, c, 1, code);
	reply(f, c, MP_T_RECEIPT, &rcpt);
	serial = rcpt.u[MP_A_SERIAL];
	assert_int_equal(balance(f, code), 60);

	command(f, f->op, MP_T_OP_UNBIND, serial);
	reply(f, f->op, MP_T_STATUS, &m);
	tunnel_is(IPPROTO_AH);
	bind_receipt(f, c, &rcpt);
	error(f, c, MP_ERR_PRIVACY,
	      "bought ESP, but the tunnel of " ALICE " is AH: bring up an "
	      "ESP tunnel, then bind");
	assert_int_equal(live_find(f->md, serial)->rec.state, CS_UNBOUND);
	tunnel_is(IPPROTO_ESP);
	bind_receipt(f, c, &rcpt);
	reply(f, c, MP_T_STATUS, &m);
	assert_int_equal(m.u[MP_A_STATE], CS_SUSPENDED);
	assert_string_equal(m.s[MP_A_ADDR], ALICE);
}

/* An SA change leaves a bound address with an SA of the other protocol:
 * the contract is unbound (kept, usage and all), not settled. */
static void test_privacy_enforce(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt); /* AH */
	struct tun_entry e = {
		.exists = 1,
		.state = MUISP_ADDR_STATE_BOUND,
		.contract = serial,
		.id = { .proto = IPPROTO_AH, .spi = 0x200 },
	};
	struct live *l;

	status(f, c, MP_T_START, serial, &m);
	usage_add(f, serial, 300000, &m);
	privacy_enforce(f->md, ALICE, &e, 0);
	l = live_find(f->md, serial);
	assert_int_equal(l->rec.state, CS_ACTIVE);
	/* Another address's entry naming it: not this binding. */
	e.id.proto = IPPROTO_ESP;
	privacy_enforce(f->md, BOB, &e, 0);
	assert_int_equal(l->rec.state, CS_ACTIVE);
	/* Lost already: the reason is logged, nothing changes. */
	e.state = MUISP_ADDR_STATE_UNALLOCATED;
	e.contract = 0;
	privacy_enforce(f->md, ALICE, &e, serial);
	assert_int_equal(l->rec.state, CS_ACTIVE);
	/* Rekeyed to ESP: unbound, outstanding, its usage kept. */
	e.state = MUISP_ADDR_STATE_BOUND;
	e.contract = serial;
	privacy_enforce(f->md, ALICE, &e, 0);
	assert_int_equal(l->rec.state, CS_UNBOUND);
	assert_string_equal(l->rec.addr, "");
	assert_int_equal(l->rec.usage, 300000);
	command(f, c, MP_T_USAGE, serial);
	error(f, c, MP_ERR_UNKNOWN, NULL);
	/* Settled later: the usage charged as usual (3 of 20). */
	command(f, f->op, MP_T_OP_CONTRACT_TERMINATE, serial);
	reply(f, f->op, MP_T_STATEMENT, &m);
	assert_int_equal(m.u[MP_A_CHARGE], 3);
	assert_int_equal(m.u[MP_A_REFUND], 17);
}

/* The tunnel changes while a remote deposit waits: refused, voided. */
static void test_privacy_remote(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	uint64_t serial;

	tunnel_is(IPPROTO_AH);
	serial = remote_deposit_start(f, c);
	tunnel_is(IPPROTO_ESP);
	finish(0, "tx-9");
	assert_string_equal(remote.param, "void tx-9");
	finish(0, NULL);
	voided(f, c, MP_ERR_PRIVACY,
	       "bought AH, but the tunnel of " ALICE " is ESP: bring up an AH "
	       "tunnel, then buy; nothing was paid: the authorisation was "
	       "released by the provider",
	       serial);
}

/* The expiry warning comes expiry-warning seconds ahead, once, to a bound
 * contract; at the expiry itself the contract is settled and warned. */
static void test_expiry_warning(void **state)
{
	struct fix *f = *state;
	struct conn *c = user(f, ALICE);
	struct mp_msg m, rcpt;
	uint64_t serial = buy(f, c, &rcpt), expiry = T0 + 86400;

	status(f, c, MP_T_START, serial, &m);
	session_tick(f->md, expiry - 301);
	assert_int_equal(c->wlen, 0);
	session_tick(f->md, expiry - 300);
	muispd_fix_next(c, &m);
	assert_int_equal(m.type, MP_T_WARNING);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_EXPIRY);
	assert_int_equal(m.u[MP_A_STATE], CS_ACTIVE);
	assert_int_equal(m.u[MP_A_EXPIRY], expiry);
	session_tick(f->md, expiry - 1);
	assert_int_equal(c->wlen, 0);
	session_tick(f->md, expiry);
	muispd_fix_next(c, &m);
	assert_int_equal(m.u[MP_A_WARNING], MP_WARN_EXPIRY);
	assert_int_equal(m.u[MP_A_STATE], CS_EXTINGUISHED);
	assert_null(live_find(f->md, serial));

	/* expiry-warning 0: only at the expiry. */
	f->md->conf.expiry_warn_s = 0;
	serial = buy(f, c, &rcpt);
	session_tick(f->md, T0 + 86399);
	assert_int_equal(c->wlen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MUISPD_FIX_TEST(test_flow),
		MUISPD_FIX_TEST(test_store_failures),
		MUISPD_FIX_TEST(test_conn_caps),
		MUISPD_FIX_TEST(test_conn_rate),
		MUISPD_FIX_TEST(test_conn_deadlines),
		MUISPD_FIX_TEST(test_offer_quote_memory),
		MUISPD_FIX_TEST(test_refusals),
		MUISPD_FIX_TEST(test_agent_refusals),
		cmocka_unit_test(test_agent_cert_addrs),
		MUISPD_FIX_TEST(test_agent_owner),
		MUISPD_FIX_TEST(test_user_block),
		MUISPD_FIX_TEST(test_agent_standalone_hello),
		MUISPD_FIX_TEST(test_agent_usage),
		MUISPD_FIX_TEST(test_agent_usage_move),
		MUISPD_FIX_TEST(test_agent_usage_prune_store),
		MUISPD_FIX_TEST(test_agent_usage_prune),
		cmocka_unit_test(test_agent_usage_keep_conf),
		MUISPD_FIX_TEST(test_agent_oob_packet_hello),
		MUISPD_FIX_TEST(test_agent_report),
		MUISPD_FIX_TEST(test_channel_rules),
		MUISPD_FIX_TEST(test_control_table),
		MUISPD_FIX_TEST(test_radius_stats),
		MUISPD_FIX_TEST(test_snapshot),
		MUISPD_FIX_TEST(test_operator),
		MUISPD_FIX_TEST(test_key_schedule),
		MUISPD_FIX_TEST(test_elsewhere),
		MUISPD_FIX_TEST(test_limits),
		MUISPD_FIX_TEST(test_restore),
		MUISPD_FIX_TEST(test_remote_deposit),
		MUISPD_FIX_TEST(test_remote_void),
		MUISPD_FIX_TEST(test_remote_deposit_gone),
		MUISPD_FIX_TEST(test_remote_settlement),
		MUISPD_FIX_TEST(test_remote_settlement_joined),
		MUISPD_FIX_TEST(test_reload),
		MUISPD_FIX_TEST(test_register),
		MUISPD_FIX_TEST(test_register_forget),
		MUISPD_FIX_TEST(test_register_tomb_cap),
		MUISPD_FIX_TEST(test_register_charon),
		cmocka_unit_test(test_privacy_rule),
		MUISPD_FIX_TEST(test_privacy_bind),
		MUISPD_FIX_TEST(test_privacy_enforce),
		MUISPD_FIX_TEST(test_privacy_remote),
		MUISPD_FIX_TEST(test_expiry_warning),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
