// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd Ethernet sources (daemon/dhcpd/source.c): one entry per
 * MAC, the shared unknown entry, reuse of idle entries only (least
 * recently used first), offers held, the token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/dhcpd/source.h"

static const uint8_t *mac(uint16_t n)
{
	static uint8_t m[8][6];
	static unsigned int k;
	uint8_t *r = m[k++ % 8];

	r[0] = 0x02;
	r[1] = r[2] = r[3] = 0;
	r[4] = (uint8_t)(n >> 8);
	r[5] = (uint8_t)n;
	return r;
}

static void test_entries(void **state)
{
	static const uint8_t zero[6];
	struct src_table t;
	uint32_t a, b;

	assert_int_equal(src_init(&t, 16), 0);
	a = src_get(&t, mac(1));
	b = src_get(&t, mac(2));
	assert_int_not_equal(a, SRC_UNKNOWN);
	assert_int_not_equal(a, b);
	assert_int_equal(src_get(&t, mac(1)), a);
	assert_memory_equal(t.e[a].mac, mac(1), 6);
	/* No MAC, or an all-zero one: the unknown source. */
	assert_int_equal(src_get(&t, NULL), SRC_UNKNOWN);
	assert_int_equal(src_get(&t, zero), SRC_UNKNOWN);
	assert_int_equal(t.n, 3);
	src_free(&t);
}

/* A full table reuses the least recently used entry holding no offer;
 * entries holding offers are never reused. */
static void test_reuse(void **state)
{
	struct src_table t;
	uint32_t e[4], f;

	assert_int_equal(src_init(&t, 4), 0); /* unknown + 3 */
	e[1] = src_get(&t, mac(1));
	e[2] = src_get(&t, mac(2));
	e[3] = src_get(&t, mac(3));
	src_offer_add(&t, e[1]);
	src_get(&t, mac(2)); /* 2 used more recently than 3 */
	f = src_get(&t, mac(4));
	assert_int_equal(f, e[3]); /* 3: idle and least recently used */
	assert_memory_equal(t.e[f].mac, mac(4), 6);
	assert_int_equal(t.e[f].offers, 0);
	/* 3 comes back as a new entry (reusing 2's). */
	assert_int_equal(src_get(&t, mac(3)), e[2]);
	assert_int_equal(src_get(&t, mac(1)), e[1]); /* kept: it holds one */
	/* Every entry busy: a new MAC counts as unknown. */
	src_offer_add(&t, e[2]);
	src_offer_add(&t, e[3]);
	assert_int_equal(src_get(&t, mac(9)), SRC_UNKNOWN);
	/* An offer ended: that entry is idle again, reusable. */
	src_offer_del(&t, e[1]);
	assert_int_equal(src_get(&t, mac(9)), e[1]);
	src_offer_add(&t, e[1]);
	assert_int_equal(src_get(&t, mac(1)), SRC_UNKNOWN);
	/* The unknown entry holds offers like any other, and stays. */
	src_offer_add(&t, SRC_UNKNOWN);
	src_offer_add(&t, SRC_UNKNOWN);
	src_offer_del(&t, SRC_UNKNOWN);
	assert_int_equal(t.e[SRC_UNKNOWN].offers, 1);
	src_offer_del(&t, SRC_UNKNOWN);
	src_offer_del(&t, SRC_UNKNOWN); /* never below 0 */
	assert_int_equal(t.e[SRC_UNKNOWN].offers, 0);
	src_free(&t);
}

static void test_bucket(void **state)
{
	struct src_table t;
	unsigned int n, ok;
	uint32_t a;

	assert_int_equal(src_init(&t, 8), 0);
	a = src_get(&t, mac(1));
	/* rate 3: bursts of 6. */
	for (n = ok = 0; n < 10; n++)
		ok += (unsigned int)src_take(&t, a, 3, 100);
	assert_int_equal(ok, 6);
	/* One second: three more. */
	for (n = ok = 0; n < 10; n++)
		ok += (unsigned int)src_take(&t, a, 3, 101);
	assert_int_equal(ok, 3);
	/* Idle two seconds or more: a full bucket, not more. */
	for (n = ok = 0; n < 10; n++)
		ok += (unsigned int)src_take(&t, a, 3, 200);
	assert_int_equal(ok, 6);
	/* The clock went back: a full bucket, no underflow. */
	for (n = ok = 0; n < 10; n++)
		ok += (unsigned int)src_take(&t, a, 3, 50);
	assert_int_equal(ok, 6);
	/* rate 0: no limit. */
	for (n = ok = 0; n < 1000; n++)
		ok += (unsigned int)src_take(&t, a, 0, 50);
	assert_int_equal(ok, 1000);
	src_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
