// SPDX-License-Identifier: GPL-2.0
/* Payment methods and settlement against a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <systemd/sd-event.h>

#include "contract.h"
#include "daemon/muispd/payment.h"
#include "daemon/muispd/payment_online.h"
#include "proto.h"

static char dir[] = "/tmp/muisp-test-pay-XXXXXX";
static char path[128];
static struct store *st;
/* The daemon's registry: the shipped methods and one online instance. */
static struct payment_registry reg;
static struct payment_method *online;
static sd_event *loop; /* the online method's calls run on it */

#define payment_method_get(id) payment_lookup(&reg, (id))
/* m's deposit for c (err is the caller's). */
#define deposit(m, c, param, now) \
	(m)->deposit((m), st, (c), (param), (now), err, sizeof(err))
/* Settle c with its own method. */
#define settle(c, full, why, now, s)                                     \
	payment_settle(st, payment_method_get((c)->method), (c), (full), \
		       (why), (now), (s))

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/db", dir);
	if (sd_event_new(&loop) < 0)
		return -1;
	online = payment_online_new(loop);
	if (!online || payment_register(&reg, &payment_voucher) ||
	    payment_register(&reg, &payment_room) ||
	    payment_register(&reg, &payment_cash) ||
	    payment_register(&reg, online))
		return -1;
	return store_open(path, &st);
}

static int teardown(void **state)
{
	char p[160];

	store_close(st);
	payment_online_free(online);
	sd_event_unref(loop);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return rmdir(dir);
}

/* bytes contract: 10 per 1 MB, hard 2 MB -> deposit 20. */
static struct contract_rec bytes_contract(uint64_t serial, int method)
{
	struct contract_rec c = {
		.serial = serial,
		.state = CS_UNBOUND,
		.metric = MP_METRIC_BYTES,
		.method = (uint8_t)method,
		.soft = 1000000,
		.hard = 2000000,
		.price = 10,
		.unit = 1000000,
		.issued = 1000,
		.expiry = 90000,
	};

	c.deposit = contract_cost(c.price, c.unit, c.hard);
	return c;
}

static void test_voucher(void **state)
{
	const struct payment_method *m = payment_method_get(MP_METHOD_VOUCHER);
	struct contract_rec c = bytes_contract(1, MP_METHOD_VOUCHER);
	struct statement s;
	char code[32], err[128];
	uint64_t bal, exp;
	uint64_t debit = 0, credit = 0;

	assert_non_null(m);
	assert_int_equal(m->offline, 0);
	assert_int_equal(c.deposit, 20);
	assert_int_equal(
		payment_voucher_issue(st, 50, 1000, 0, code, sizeof(code)), 0);
	assert_int_equal(strlen(code), 19);
	assert_int_equal(code[4], '-');
	assert_int_equal(deposit(m, &c, code, 1001), 0);
	assert_string_equal(c.payref, code);
	assert_int_equal(store_voucher_get(st, code, &bal, &exp), 0);
	assert_int_equal(bal, 30);
	/* A second contract of 20 fits, a third does not. */
	struct contract_rec c2 = bytes_contract(2, MP_METHOD_VOUCHER);

	assert_int_equal(deposit(m, &c2, code, 1001), 0);
	struct contract_rec c3 = bytes_contract(3, MP_METHOD_VOUCHER);

	assert_int_equal(deposit(m, &c3, code, 1001), -1);
	assert_string_equal(err, "voucher balance 10 below deposit 20");
	assert_int_equal(deposit(m, &c3, "NOPE", 1001), -1);
	assert_string_equal(err, "unknown voucher");
	assert_int_equal(deposit(m, &c3, "", 1001), -1);

	/* Used 300000 bytes: charge ceil(3) = 3, refund 17 to the voucher. */
	c.usage = 300000;
	assert_int_equal(settle(&c, 0, NULL, 2000, &s), 0);
	assert_int_equal(s.charge, 3);
	assert_int_equal(s.refund, 17);
	assert_int_equal(c.charge, 3);
	assert_int_equal(c.refund, 17);
	assert_int_equal(c.settled_at, 2000);
	assert_int_equal(store_voucher_get(st, code, &bal, &exp), 0);
	assert_int_equal(bal, 10 + 17);
	assert_int_equal(s.n, 3);
	for (unsigned i = 0; i < s.n; i++)
		*(s.lines[i].credit ? &credit : &debit) += s.lines[i].amount;
	assert_int_equal(debit - credit, 3);
	/* The statement is stored. */
	struct stmt_line got[8];
	unsigned n;

	assert_int_equal(store_statement_get(st, 1, got, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[2].amount, 17);
	assert_int_equal(got[2].credit, 1);

	/* Hard limit: deposit kept, nothing back. */
	c2.usage = 2000000;
	assert_int_equal(settle(&c2, 1, "hard limit", 2000, &s), 0);
	assert_int_equal(s.charge, 20);
	assert_int_equal(s.refund, 0);
	assert_int_equal(store_voucher_get(st, code, &bal, &exp), 0);
	assert_int_equal(bal, 27);
	assert_string_equal(s.lines[1].desc, "deposit retained: hard limit");

	/* Expired voucher. */
	assert_int_equal(payment_voucher_issue(st, 50, 1000, 1500, code,
					       sizeof(code)),
			 0);
	assert_int_equal(deposit(m, &c3, code, 1501), -1);
	assert_string_equal(err, "voucher expired");
}

static void test_room_and_cash(void **state)
{
	const struct payment_method *room = payment_method_get(MP_METHOD_ROOM);
	const struct payment_method *cash = payment_method_get(MP_METHOD_CASH);
	struct contract_rec c = bytes_contract(10, MP_METHOD_ROOM);
	struct statement s;
	char err[128];
	int64_t bal;

	assert_non_null(room);
	assert_non_null(cash);
	assert_int_equal(room->offline, 1);
	assert_null(payment_method_get(MP_METHOD_ONLINE + 1));
	assert_int_equal(deposit(room, &c, "", 1), -1);
	assert_int_equal(deposit(room, &c, "101", 1), 0);
	assert_int_equal(store_ledger_balance(st, "101", &bal), 0);
	assert_int_equal(bal, 20);
	c.usage = 1000001; /* 11 */
	assert_int_equal(settle(&c, 0, NULL, 5, &s), 0);
	assert_int_equal(s.charge, 11);
	assert_int_equal(store_ledger_balance(st, "101", &bal), 0);
	assert_int_equal(bal, 11);
	assert_string_equal(s.lines[2].desc, "adjustment to room 101");

	struct contract_rec d = bytes_contract(11, MP_METHOD_CASH);

	assert_int_equal(deposit(cash, &d, NULL, 1), 0);
	d.usage = 0;
	assert_int_equal(settle(&d, 0, NULL, 5, &s), 0);
	assert_int_equal(s.refund, 20);
	assert_string_equal(s.lines[2].desc, "cash refund due at the desk");
}

/*
 * Online plug-in against a real HTTP peer: a forked child plays the
 * provider for `n` requests, checks each request line and body, answers
 * with canned JSON, and exits 0 only if every request was as expected.
 */
struct exch {
	const char *want_path, *want_body, *reply;
};

/* A listening socket on a free port of 127.0.0.1; url names it. */
static int listen_local(char *url, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, len, "http://127.0.0.1:%u", ntohs(sa.sin_port));
	return lfd;
}

static pid_t provider(int lfd, const struct exch *ex, int n)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (int i = 0; i < n; i++) {
		char buf[4096] = "";
		size_t got = 0;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(10);
		/* read until the body is complete (Content-Length) */
		for (;;) {
			ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
			char *h, *cl;

			if (r <= 0)
				_exit(11);
			got += (size_t)r;
			buf[got] = 0;
			h = strstr(buf, "\r\n\r\n");
			cl = strstr(buf, "Content-Length: ");
			if (h && cl && strlen(h + 4) >= (size_t)atoi(cl + 16))
				break;
		}
		char line[128];

		snprintf(line, sizeof(line), "POST %s HTTP/1.1\r\n",
			 ex[i].want_path);
		if (strncmp(buf, line, strlen(line)))
			_exit(20 + i);
		if (strcmp(strstr(buf, "\r\n\r\n") + 4, ex[i].want_body))
			_exit(30 + i);
		dprintf(fd, "%s", ex[i].reply);
		close(fd);
	}
	_exit(0);
}

/* The end of a remote call, and the loop run until it came. */
struct result {
	int done, rc;
	char text[160];
};

static void on_done(void *arg, int rc, const char *text)
{
	struct result *r = arg;

	r->done++;
	r->rc = rc;
	snprintf(r->text, sizeof(r->text), "%s", text ? text : "");
}

static int wait_done(struct result *r)
{
	while (!r->done)
		assert_true(sd_event_run(loop, 10 * 1000000ull) >= 0);
	assert_int_equal(r->done, 1);
	return r->rc;
}

static int authorize(const struct payment_method *m, struct contract_rec *c,
		     const char *token, struct result *r)
{
	memset(r, 0, sizeof(*r));
	m->authorize(m, c, token, on_done, r);
	return wait_done(r);
}

static int capture(const struct payment_method *m, struct contract_rec *c,
		   struct result *r)
{
	uint64_t charge, refund;

	contract_settle_amounts(c->deposit, c->price, c->unit, c->usage, 0,
				&charge, &refund);
	memset(r, 0, sizeof(*r));
	m->capture(m, c, refund, on_done, r);
	return wait_done(r);
}

static void test_online(void **state)
{
	const struct payment_method *m = payment_method_get(MP_METHOD_ONLINE);
	struct contract_rec c = bytes_contract(20, MP_METHOD_ONLINE);
	struct payment_online_conf oc = {
		.url = "", .ca = "", .timeout_s = 3, .currency = "EUR"
	};
	struct statement s;
	struct result r;
	char err[128], url[64];
	int lfd, wst;
	pid_t pid;
	static const struct exch ok[] = {
		{ "/authorize",
		  "{\"token\":\"tok-good\",\"amount\":20,"
		  "\"currency\":\"EUR\",\"reference\":\"muisp-20\"}",
		  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
		  "{\"status\": \"authorized\", \"id\": \"tx-77\", "
		  "\"amount\": 20, \"reference\": \"muisp-20\"}" },
		{ "/capture", "{\"id\":\"tx-77\",\"amount\":5}",
		  "HTTP/1.1 200 OK\r\n\r\n"
		  "{\"status\":\"captured\",\"id\":\"tx-77\",\"amount\":5}" },
		{ "/authorize",
		  "{\"token\":\"tok-poor\",\"amount\":20,"
		  "\"currency\":\"EUR\",\"reference\":\"muisp-21\"}",
		  "HTTP/1.1 402 Payment Required\r\n\r\n"
		  "{\"status\":\"declined\",\"reason\":\"insufficient funds\"}" },
	};

	assert_non_null(m);
	assert_int_equal(m->offline, 0);
	assert_non_null(m->authorize);
	assert_non_null(m->capture);
	/* Not configured: declined without any I/O. */
	assert_int_equal(authorize(m, &c, "tok-good", &r), -1);
	assert_string_equal(r.text, "no payment provider configured");

	lfd = listen_local(url, sizeof(url));
	oc.url = url;
	oc.insecure = 1;
	payment_online_config(online, &oc);
	pid = provider(lfd, ok, 3);

	assert_int_equal(authorize(m, &c, "bad token!", &r), -1);
	assert_string_equal(r.text, "payment token missing or malformed");
	assert_int_equal(authorize(m, &c, "tok-good", &r), 0);
	assert_string_equal(r.text, "tx-77");
	/* The deposit records the authorisation. */
	assert_int_equal(deposit(m, &c, r.text, 1), 0);
	assert_string_equal(c.payref, "tx-77");
	assert_int_equal(deposit(m, &c, NULL, 1), -1);
	c.usage = 450000; /* ceil(4.5) = 5 */
	assert_int_equal(capture(m, &c, &r), 0);
	assert_int_equal(settle(&c, 0, NULL, 2, &s), 0);
	assert_int_equal(s.charge, 5);
	assert_int_equal(s.refund, 15);
	assert_string_equal(s.lines[2].desc, "authorisation tx-77: released");
	struct contract_rec d = bytes_contract(21, MP_METHOD_ONLINE);

	assert_int_equal(authorize(m, &d, "tok-poor", &r), -1);
	assert_string_equal(r.text, "declined by provider: insufficient funds");
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	close(lfd);
	/* Provider gone: the calls fail cleanly. */
	assert_int_equal(authorize(m, &d, "tok-good", &r), -1);
	assert_string_equal(r.text, "payment provider unreachable");
	assert_int_equal(capture(m, &c, &r), -1);
	oc.url = "";
	payment_online_config(online, &oc);
}

/* The loop runs until the method has no call left (background voids). */
static void settle_calls(void)
{
	while (payment_online_pending(online))
		assert_true(sd_event_run(loop, 10 * 1000000ull) >= 0);
}

static void on_cancel(void *arg, int rc, const char *text)
{
	on_done(arg, rc, text);
}

/*
 * Answers are checked: a 200 must authorise (capture) exactly what was
 * asked, echoing amount and reference (id); otherwise the call fails
 * and an authorisation it may have made is voided.  A cancel voids.
 */
static void test_online_checks(void **state)
{
	const struct payment_method *m = payment_method_get(MP_METHOD_ONLINE);
	struct payment_online_conf oc = {
		.insecure = 1, .ca = "", .timeout_s = 3, .currency = "EUR"
	};
	struct contract_rec c = bytes_contract(30, MP_METHOD_ONLINE);
	struct contract_rec d = bytes_contract(31, MP_METHOD_ONLINE);
	struct contract_rec e = bytes_contract(32, MP_METHOD_ONLINE);
	struct result r;
	char url[64];
	int lfd, wst;
	pid_t pid;
#define OK200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
	static const struct exch ex[] = {
		{ "/authorize",
		  "{\"token\":\"tok-good\",\"amount\":20,"
		  "\"currency\":\"EUR\",\"reference\":\"muisp-30\"}",
		  OK200 "{\"status\":\"authorized\",\"id\":\"tx-8\","
			"\"amount\":19,\"reference\":\"muisp-30\"}" },
		{ "/void", "{\"reference\":\"muisp-30\",\"id\":\"tx-8\"}",
		  OK200 "{\"status\":\"voided\",\"reference\":\"muisp-30\"}" },
		{ "/authorize",
		  "{\"token\":\"tok-good\",\"amount\":20,"
		  "\"currency\":\"EUR\",\"reference\":\"muisp-31\"}",
		  OK200 "{\"status\":\"pending\",\"id\":\"tx-9\","
			"\"amount\":20,\"reference\":\"muisp-31\"}" },
		{ "/void", "{\"reference\":\"muisp-31\",\"id\":\"tx-9\"}",
		  OK200 "{\"status\":\"voided\",\"reference\":\"muisp-31\"}" },
		{ "/authorize",
		  "{\"token\":\"tok-good\",\"amount\":20,"
		  "\"currency\":\"EUR\",\"reference\":\"muisp-32\"}",
		  OK200 "{\"status\":\"authorized\",\"id\":\"tx-10\","
			"\"amount\":20,\"reference\":\"muisp-32\"}" },
		{ "/capture", "{\"id\":\"tx-10\",\"amount\":0}",
		  OK200 "{\"status\":\"captured\",\"id\":\"tx-10\","
			"\"amount\":2}" },
		{ "/void", "{\"reference\":\"muisp-32\",\"id\":\"tx-10\"}",
		  OK200 "{\"status\":\"voided\",\"reference\":\"muisp-32\"}" },
	};

	lfd = listen_local(url, sizeof(url));
	oc.url = url;
	payment_online_config(online, &oc);
	pid = provider(lfd, ex, 7);

	/* the amount is not the deposit */
	assert_int_equal(authorize(m, &c, "tok-good", &r), -1);
	assert_string_equal(r.text, "payment provider's answer not valid: "
				    "nothing was paid");
	settle_calls();
	/* a 200 that does not say authorized */
	assert_int_equal(authorize(m, &d, "tok-good", &r), -1);
	assert_string_equal(r.text, "payment provider's answer not valid: "
				    "nothing was paid");
	settle_calls();
	/* authorized; a capture answered with another amount fails */
	assert_int_equal(authorize(m, &e, "tok-good", &r), 0);
	assert_string_equal(r.text, "tx-10");
	snprintf(e.payref, sizeof(e.payref), "tx-10");
	assert_int_equal(capture(m, &e, &r), -1);
	/* the establishment failed: cancel voids it, confirmed */
	memset(&r, 0, sizeof(r));
	m->cancel(m, &e, "tx-10", on_cancel, &r);
	assert_int_equal(wait_done(&r), 0);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	close(lfd);
	/* a void the provider does not confirm is tried again later */
	memset(&r, 0, sizeof(r));
	m->cancel(m, &c, NULL, on_cancel, &r);
	assert_int_equal(wait_done(&r), -1);
	assert_int_equal(payment_online_pending(online), 1);
	oc.url = "";
	payment_online_config(online, &oc);
}

static void test_json_u64(void **state)
{
	uint64_t v;

	assert_int_equal(payment_json_u64("{\"amount\": 20}", "amount", &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(
		payment_json_u64("{\"amount\":0,\"x\":1}", "amount", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(payment_json_u64("{\"amount\":\"20\"}", "amount", &v),
			 -1);
	assert_int_equal(payment_json_u64("{\"amount\":-1}", "amount", &v), -1);
	assert_int_equal(payment_json_u64("{\"amount\":2.5}", "amount", &v),
			 -1);
	assert_int_equal(payment_json_u64("{\"amount\":020}", "amount", &v),
			 -1);
	assert_int_equal(payment_json_u64("{\"amount\":99999999999999999999}",
					  "amount", &v),
			 -1);
	assert_int_equal(payment_json_u64("{}", "amount", &v), -1);
}

static void test_json(void **state)
{
	char v[16];

	assert_int_equal(
		payment_json_str("{\"id\" : \"a-1\"}", "id", v, sizeof(v)), 0);
	assert_string_equal(v, "a-1");
	assert_int_equal(payment_json_str("{\"id\":1}", "id", v, sizeof(v)),
			 -1);
	assert_int_equal(payment_json_str("{\"id\":\"a\\\"b\"}", "id", v,
					  sizeof(v)),
			 -1);
	assert_int_equal(payment_json_str("{\"id\":\"0123456789abcdefX\"}",
					  "id", v, sizeof(v)),
			 -1);
	assert_int_equal(payment_json_str("{}", "id", v, sizeof(v)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_voucher),
		cmocka_unit_test(test_room_and_cash),
		cmocka_unit_test(test_online),
		cmocka_unit_test(test_online_checks),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_u64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
