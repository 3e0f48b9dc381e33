// SPDX-License-Identifier: GPL-2.0
/* Store: open/close/reopen keeps everything; transactions roll back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/muispd/store.h"

static char dir[] = "/tmp/muisp-test-store-XXXXXX";
static char path[128];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/db", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return rmdir(dir);
}

static struct contract_rec rec(uint64_t serial)
{
	struct contract_rec c = {
		.serial = serial,
		.state = 1,
		.metric = 3,
		.method = 1,
		.soft = 1000,
		.hard = 2000,
		.deposit = 20,
		.price = 10,
		.unit = 1000,
		.issued = 100,
		.expiry = 86500,
		.usage = 5,
		.usage_at = 101,
		.key_id = 1,
		.receipt_len = RECEIPT_LEN,
	};

	snprintf(c.addr, sizeof(c.addr), "192.0.2.10");
	snprintf(c.payref, sizeof(c.payref), "V-%llu",
		 (unsigned long long)serial);
	memset(c.receipt, (int)serial, RECEIPT_LEN);
	return c;
}

static int count_cb(const struct contract_rec *c, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

static void test_reopen(void **state)
{
	struct store *st;
	struct contract_rec c = rec(1), d;
	struct receipt_key k = { .id = 3, .created = 9 };
	struct receipt_keyring kr;
	struct stmt_line lines[4] = {
		{ "deposit", 20, 0 }, { "refund to voucher", 17, 1 },
	}, got[4];
	uint64_t serial, bal, exp;
	int64_t rb;
	unsigned n, cnt;

	assert_int_equal(store_open(path, &st), 0);
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	assert_int_equal(store_next_serial(st, "contract", &serial), 0);
	assert_int_equal(serial, 1);
	assert_int_equal(store_next_serial(st, "contract", &serial), 0);
	assert_int_equal(serial, 2);
	assert_int_equal(store_next_serial(st, "offer", &serial), 0);
	assert_int_equal(serial, 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_contract_put(st, &c), 0);
	c = rec(2);
	snprintf(c.password, sizeof(c.password), "PW-2");
	c.state = 5;
	assert_int_equal(store_contract_put(st, &c), 0);
	memset(k.secret, 0xab, sizeof(k.secret));
	assert_int_equal(store_key_put(st, &k), 0);
	assert_int_equal(store_voucher_put(st, "V-1", 500, 1, 999), 0);
	assert_int_equal(store_ledger_add(st, "101", 2, "deposit", 40, 0, 5),
			 0);
	assert_int_equal(store_ledger_add(st, "101", 2, "adjust", 15, 1, 6), 0);
	assert_int_equal(store_statement_put(st, 1, lines, 2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_usage_checkpoint(st, 1, 777, 200), 0);
	store_close(st);

	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_contract_get(st, 1, &d), 0);
	c = rec(1);
	c.usage = 777;
	c.usage_at = 200;
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(store_contract_by_password(st, "PW-2", &d), 0);
	assert_int_equal(d.serial, 2);
	assert_int_equal(d.state, 5);
	assert_int_equal(store_contract_get(st, 3, &d), 1);
	assert_int_equal(store_contract_by_password(st, "nope", &d), 1);
	cnt = 0;
	assert_int_equal(store_contract_foreach(st, 1, count_cb, &cnt), 0);
	assert_int_equal(cnt, 1);
	cnt = 0;
	assert_int_equal(store_contract_foreach(st, 0, count_cb, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(store_keys_load(st, &kr), 0);
	assert_int_equal(kr.n, 1);
	assert_int_equal(kr.keys[0].id, 3);
	assert_memory_equal(kr.keys[0].secret, k.secret, RECEIPT_KEY_LEN);
	assert_int_equal(store_voucher_get(st, "V-1", &bal, &exp), 0);
	assert_int_equal(bal, 500);
	assert_int_equal(exp, 999);
	assert_int_equal(store_voucher_get(st, "V-2", &bal, &exp), 1);
	assert_int_equal(store_ledger_balance(st, "101", &rb), 0);
	assert_int_equal(rb, 25);
	assert_int_equal(store_statement_get(st, 1, got, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[1].desc, "refund to voucher");
	assert_int_equal(got[1].amount, 17);
	assert_int_equal(got[1].credit, 1);
	assert_int_equal(store_next_serial(st, "contract", &serial), 0);
	assert_int_equal(serial, 3);
	store_close(st);
}

static void test_rollback_and_constraints(void **state)
{
	struct store *st;
	struct contract_rec c = rec(10), d;
	uint64_t bal, exp, n0, n1;

	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_contract_count(st, &n0), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_contract_put(st, &c), 0);
	assert_int_equal(store_voucher_set(st, "V-1", 100), 0);
	store_rollback(st);
	assert_int_equal(store_contract_get(st, 10, &d), 1);
	assert_int_equal(store_contract_count(st, &n1), 0);
	assert_int_equal(n1, n0);
	assert_int_equal(store_voucher_get(st, "V-1", &bal, &exp), 0);
	assert_int_equal(bal, 500);
	/* Duplicate voucher code and unknown voucher are refused. */
	assert_int_equal(store_voucher_put(st, "V-1", 1, 1, 1), -1);
	assert_int_equal(store_voucher_set(st, "V-9", 1), -1);
	/* Two contracts cannot share a password. */
	c = rec(11);
	snprintf(c.password, sizeof(c.password), "PW-2");
	assert_int_equal(store_contract_put(st, &c), -1);
	store_close(st);
}

/* Devices without muisp-client: the vouchers loaded into charon (a
 * balance, not expired) and the voucher of an EAP username. */
struct codes {
	char list[4][32];
	int n;
};

static int collect(const char *code, void *arg)
{
	struct codes *c = arg;

	if (c->n < 4)
		snprintf(c->list[c->n], sizeof(c->list[0]), "%s", code);
	c->n++;
	return 0;
}

static void test_voucher_eap(void **state)
{
	struct codes c = { .n = 0 };
	struct store *st;
	char code[32];

	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_voucher_put(st, "AAAA-BBBB-CCCC-DDDD", 5, 1, 0),
			 0);
	assert_int_equal(store_voucher_put(st, "AAAA-BBBC-CCCC-DDDD", 0, 1, 0),
			 0);
	assert_int_equal(store_voucher_put(st, "EEEE-FFFF-GGGG-HHHH", 5, 1, 50),
			 0);
	assert_int_equal(
		store_voucher_put(st, "JJJJ-KKKK-LLLL-MMMM", 5, 1, 200), 0);
	/* at time 100: not the empty one, not the expired one (V-1 from
	 * test_reopen expired at 999: listed) */
	assert_int_equal(store_voucher_foreach(st, 100, collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.list[0], "AAAA-BBBB-CCCC-DDDD");
	assert_string_equal(c.list[1], "JJJJ-KKKK-LLLL-MMMM");
	assert_string_equal(c.list[2], "V-1");
	assert_int_equal(store_voucher_by_eap_user(st, "AAAA-BBBB", code,
						   sizeof(code)),
			 0);
	assert_string_equal(code, "AAAA-BBBB-CCCC-DDDD");
	assert_int_equal(store_voucher_by_eap_user(st, "AAAA-BBBC", code,
						   sizeof(code)),
			 0);
	assert_string_equal(code, "AAAA-BBBC-CCCC-DDDD");
	/* only a whole first half names a voucher */
	assert_int_equal(
		store_voucher_by_eap_user(st, "AAAA", code, sizeof(code)), 1);
	assert_int_equal(store_voucher_by_eap_user(st, "AAAA-BBB", code,
						   sizeof(code)),
			 1);
	assert_int_equal(store_voucher_by_eap_user(st, "ZZZZ-ZZZZ", code,
						   sizeof(code)),
			 1);
	store_close(st);
}

/* A MUR2 receipt's holder key comes back from the stored receipt (it is
 * not a column of its own); a MUR1 receipt has none. */
static void test_holder_reload(void **state)
{
	struct store *st;
	struct receipt_keyring kr = { 0 };
	struct receipt_key k = { .id = 4, .created = 1 };
	struct contract_rec c = rec(20), d;
	/* (the store keeps the receipt's bytes as they are) */
	struct receipt r = { .serial = 20,
			     .issued = 7,
			     .expiry = 70,
			     .metric = 1,
			     .method = 1,
			     .soft = 5,
			     .hard = 9,
			     .deposit = 3,
			     .price = 1,
			     .unit = 3,
			     .has_holder = 1 };

	memset(k.secret, 0x5c, sizeof(k.secret));
	memset(r.holder, 0xc3, sizeof(r.holder));
	assert_int_equal(receipt_keyring_add(&kr, &k), 0);
	assert_int_equal(receipt_sign(&kr, &r, c.receipt), 0);
	c.receipt_len = receipt_len(&r);
	assert_int_equal(c.receipt_len, RECEIPT2_LEN);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_contract_put(st, &c), 0);
	store_close(st);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_contract_get(st, 20, &d), 0);
	assert_int_equal(d.receipt_len, RECEIPT2_LEN);
	assert_int_equal(d.has_holder, 1);
	assert_memory_equal(d.holder, r.holder, sizeof(r.holder));
	assert_int_equal(store_contract_get(st, 1, &d), 0);
	assert_int_equal(d.has_holder, 0);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_rollback_and_constraints),
		cmocka_unit_test(test_holder_reload),
		cmocka_unit_test(test_voucher_eap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
