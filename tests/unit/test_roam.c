// SPDX-License-Identifier: GPL-2.0
/*
 * Payment method roam (daemon/muispd/payment_radius.c): the
 * Access-Accept -> limits mapping (every attribute, absent, zero, huge,
 * Gigawords, wrong lengths), the limits on a contract, and radius_auth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "contract.h"
#include "daemon/muispd/payment_radius.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
