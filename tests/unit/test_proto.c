// SPDX-License-Identifier: GPL-2.0
/* Control-channel codec: canned frames, every malformed class, round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"

/* USAGE request for contract 42, message serial 7. */
static const uint8_t usage_frame[] = {
	0x4d, 0x55, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x08,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
};

static struct mp_msg msg, msg2;
static uint8_t buf[MP_MAX_FRAME], buf2[MP_MAX_FRAME];

static void test_canned_usage(void **state)
{
	assert_int_equal(mp_frame_len(usage_frame, sizeof(usage_frame)), 28);
	assert_int_equal(mp_decode(usage_frame, sizeof(usage_frame), &msg), 0);
	assert_int_equal(msg.type, MP_T_USAGE);
	assert_int_equal(msg.serial, 7);
	assert_int_equal(msg.flags, 0);
	assert_true(mp_has(&msg, MP_A_SERIAL));
	assert_int_equal(msg.u[MP_A_SERIAL], 42);
	assert_int_equal(msg.present, 1ull << MP_A_SERIAL);
	/* Re-encoding gives the same bytes. */
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), 28);
	assert_memory_equal(buf, usage_frame, 28);
}

/* Copy the canned frame, let the caller mutate it, decode. */
static int decode_mut(size_t off, uint8_t val)
{
	uint8_t b[sizeof(usage_frame)];

	memcpy(b, usage_frame, sizeof(b));
	b[off] = val;
	return mp_decode(b, sizeof(b), &msg);
}

static void test_header_errors(void **state)
{
	assert_int_equal(mp_frame_len(usage_frame, 15), MP_E_SHORT);
	assert_int_equal(mp_decode(usage_frame, 0, &msg), MP_E_SHORT);
	assert_int_equal(mp_decode(usage_frame, 27, &msg), MP_E_SHORT);
	assert_int_equal(decode_mut(0, 0x4e), MP_E_MAGIC);
	assert_int_equal(decode_mut(1, 0x00), MP_E_MAGIC);
	assert_int_equal(decode_mut(2, 0x02), MP_E_VERSION);
	assert_int_equal(decode_mut(2, 0x00), MP_E_VERSION);
	assert_int_equal(decode_mut(3, 0x00), MP_E_TYPE);
	assert_int_equal(decode_mut(3, 0x3f), MP_E_TYPE);
	assert_int_equal(decode_mut(3, 0xff), MP_E_TYPE);
	assert_int_equal(decode_mut(5, 0x08), MP_E_FLAGS);
	assert_int_equal(decode_mut(4, 0x80), MP_E_FLAGS);
	assert_int_equal(decode_mut(6, 0x01), MP_E_RESERVED);
	assert_int_equal(decode_mut(7, 0x80), MP_E_RESERVED);
	/* Declared length over the maximum, or not matching the frame. */
	assert_int_equal(decode_mut(9, 0x40), MP_E_LENGTH);
	assert_int_equal(decode_mut(8, 0xff), MP_E_LENGTH);
	assert_int_equal(decode_mut(11, 0x10), MP_E_SHORT);
	assert_int_equal(decode_mut(11, 0x08), MP_E_LENGTH);
	/* A failed decode leaves no attribute behind. */
	assert_int_equal(msg.present, 0);
}

static void test_attr_errors(void **state)
{
	/* Attribute header truncated: length 12 -> 14 bytes of frame would
	 * need the decoder to read past; build explicitly. */
	uint8_t b[64];

	memcpy(b, usage_frame, 16);
	b[11] = 2; /* payload: 2 bytes, no room for a header */
	b[16] = 0;
	b[17] = 1;
	assert_int_equal(mp_decode(b, 18, &msg), MP_E_TRUNC);

	/* Value longer than the frame. */
	assert_int_equal(decode_mut(19, 0x0c), MP_E_TRUNC);
	assert_int_equal(decode_mut(18, 0xff), MP_E_TRUNC);
	/* u64 with a 4-byte value: fits the frame, wrong for the kind. */
	assert_int_equal(decode_mut(19, 0x04), MP_E_ATTR_LEN);
	/* Unknown attributes: 0, past the table, high bit. */
	assert_int_equal(decode_mut(17, 0x00), MP_E_ATTR_UNKNOWN);
	assert_int_equal(decode_mut(17, 0x7f), MP_E_ATTR_UNKNOWN);
	assert_int_equal(decode_mut(16, 0x80), MP_E_ATTR_UNKNOWN);
	/* Known but not allowed in USAGE (MP_A_TIME). */
	assert_int_equal(decode_mut(17, MP_A_TIME), MP_E_ATTR_NOTALLOWED);

	/* Non-zero padding after a u8. */
	mp_init(&msg2, MP_T_OFFER_GET, 0, 1);
	mp_set_u(&msg2, MP_A_PRIVACY, 1);
	int n = mp_encode(&msg2, b, sizeof(b));

	assert_int_equal(n, 24);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), 0);
	assert_int_equal(msg.u[MP_A_PRIVACY], 1);
	b[21] = 1;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_PAD);
	b[21] = 0;
	b[23] = 0x80;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_PAD);
	b[23] = 0;
	/* Enum out of range. */
	b[20] = 2;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
}

static void test_dup_missing_oneof(void **state)
{
	uint8_t b[64];

	/* Duplicate: two SERIAL attributes. */
	memcpy(b, usage_frame, 28);
	memcpy(b + 28, usage_frame + 16, 12);
	b[11] = 24;
	assert_int_equal(mp_decode(b, 40, &msg), MP_E_ATTR_DUP);

	/* Missing: USAGE without SERIAL. */
	memcpy(b, usage_frame, 16);
	b[11] = 0;
	assert_int_equal(mp_decode(b, 16, &msg), MP_E_ATTR_MISSING);

	/* BIND needs exactly one of receipt or password. */
	mp_init(&msg2, MP_T_BIND, 0, 3);
	assert_int_equal(mp_encode(&msg2, b, sizeof(b)), MP_E_ATTR_MISSING);
	mp_set_s(&msg2, MP_A_PASSWORD, "ABCD-EFGH");
	int n = mp_encode(&msg2, b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), 0);
	assert_string_equal(msg.s[MP_A_PASSWORD], "ABCD-EFGH");
	mp_set_bytes(&msg2, MP_A_RECEIPT, "xyz", 3);
	assert_int_equal(mp_encode(&msg2, b, sizeof(b)), MP_E_ATTR_NOTALLOWED);
	/* Hand-append a receipt to the valid password frame. */
	const uint8_t rc[] = {
		0x00, MP_A_RECEIPT, 0x00, 0x03, 'x', 'y', 'z', 0
	};

	memcpy(b + n, rc, sizeof(rc));
	b[11] = (uint8_t)(b[11] + sizeof(rc));
	assert_int_equal(mp_decode(b, (size_t)n + sizeof(rc), &msg),
			 MP_E_ATTR_NOTALLOWED);
}

static void test_strings(void **state)
{
	uint8_t b[600];
	char longs[MP_STR_MAX + 2];
	int n;

	mp_init(&msg2, MP_T_ERROR, MP_F_REPLY, 9);
	mp_set_u(&msg2, MP_A_ERROR, MP_ERR_STATE);
	mp_set_s(&msg2, MP_A_MESSAGE, "no");
	n = mp_encode(&msg2, b, sizeof(b));
	assert_int_equal(n, 16 + 8 + 8);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), 0);
	assert_string_equal(msg.s[MP_A_MESSAGE], "no");
	/* Control character inside a string. */
	b[16 + 8 + 4] = '\n';
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
	b[16 + 8 + 4] = 0;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
	b[16 + 8 + 4] = 'n';
	/* Empty string. */
	b[16 + 8 + 3] = 0;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_LEN);
	/* Error code out of range. */
	b[16 + 8 + 3] = 2;
	b[16 + 7] = 0;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
	b[16 + 7] = __MP_ERR_LAST;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
	/* Longest string round-trips; one more is refused by the setter. */
	memset(longs, 'a', sizeof(longs));
	longs[MP_STR_MAX] = '\0';
	assert_int_equal(mp_set_s(&msg2, MP_A_MESSAGE, longs), 0);
	n = mp_encode(&msg2, b, sizeof(b));
	assert_true(n > 0);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), 0);
	assert_int_equal(strlen(msg.s[MP_A_MESSAGE]), MP_STR_MAX);
	longs[MP_STR_MAX] = 'a';
	longs[MP_STR_MAX + 1] = '\0';
	assert_int_equal(mp_set_s(&msg2, MP_A_MESSAGE, longs), -1);
	/* Wrong kinds are refused by setters. */
	assert_int_equal(mp_set_s(&msg2, MP_A_SERIAL, "x"), -1);
	assert_int_equal(mp_set_u(&msg2, MP_A_MESSAGE, 1), -1);
	assert_int_equal(mp_set_u(&msg2, 0, 1), -1);
	assert_int_equal(mp_set_u(&msg2, __MP_A_LAST, 1), -1);
}

static void fill_offer(struct mp_msg *m, unsigned nitems)
{
	mp_init(m, MP_T_OFFER, MP_F_REPLY, 77);
	mp_set_u(m, MP_A_OFFER_SERIAL, 1000);
	mp_set_u(m, MP_A_TIME, 1764000000);
	mp_set_u(m, MP_A_EXPIRY, 1764003600);
	mp_set_s(m, MP_A_CURRENCY, "EUR");
	mp_set_u(m, MP_A_LOAD, 35);
	for (unsigned i = 0; i < nitems; i++) {
		struct mp_item it = {
			.metric = (uint8_t)(1 + i % 4),
			.method = (uint8_t)(1 + i % 4),
			.privacy = (uint8_t)(i & 1),
			.price = 100 + i,
			.unit = 3600,
		};
		mp_add_item(m, &it);
	}
}

static void test_nested(void **state)
{
	int n;

	fill_offer(&msg2, 3);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.nitems, 3);
	assert_int_equal(msg.items[2].metric, 3);
	assert_int_equal(msg.items[2].price, 102);
	assert_int_equal(msg.items[1].privacy, 1);
	assert_memory_equal(&msg, &msg2, sizeof(msg));

	/* Item value out of range (metric 0 at the first item's metric). */
	uint8_t b[MP_MAX_FRAME];
	size_t first = 0;

	memcpy(b, buf, (size_t)n);
	for (size_t off = 16; off + 4 <= (size_t)n;) {
		unsigned t = (unsigned)(b[off] << 8 | b[off + 1]);
		unsigned l = (unsigned)(b[off + 2] << 8 | b[off + 3]);

		if (t == MP_A_OFFER_ITEM) {
			first = off;
			break;
		}
		off += (4 + l + 3) & ~3u;
	}
	assert_true(first > 0);
	/* first item: hdr(4) | metric hdr(4) value(1) */
	b[first + 8] = 0;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_VALUE);
	b[first + 8] = 1;
	/* Unknown attribute inside the item. */
	b[first + 5] = 9;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_UNKNOWN);
	/* Duplicate inside the item: METRIC twice (change METHOD's type). */
	b[first + 5] = MP_I_METRIC;
	b[first + 13] = MP_I_METRIC;
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_DUP);
	/* Missing inside the item: the item declares 12 bytes less, so its
	 * UNIT child falls outside it (the item is checked first). */
	memcpy(b, buf, (size_t)n);
	b[first + 3] = (uint8_t)(b[first + 3] - 12);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_ATTR_MISSING);
	/* 4 bytes less: the UNIT child runs past the item. */
	memcpy(b, buf, (size_t)n);
	b[first + 3] = (uint8_t)(b[first + 3] - 4);
	assert_int_equal(mp_decode(b, (size_t)n, &msg), MP_E_TRUNC);

	/* Too many items: 16 is fine, a hand-appended 17th is not. */
	fill_offer(&msg2, MP_MAX_ITEMS);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.nitems, MP_MAX_ITEMS);
	assert_int_equal(mp_add_item(&msg2, &msg2.items[0]), -1);
	size_t isz = (size_t)(4 + 8 + 8 + 8 + 12 + 12);

	/* Items precede CURRENCY and LOAD; find the first one again. */
	for (size_t off = 16; off + 4 <= (size_t)n;) {
		unsigned t = (unsigned)(buf[off] << 8 | buf[off + 1]);
		unsigned l = (unsigned)(buf[off + 2] << 8 | buf[off + 3]);

		if (t == MP_A_OFFER_ITEM) {
			first = off;
			break;
		}
		off += (4 + l + 3) & ~3u;
	}
	assert_int_equal(buf[first + 3], isz - 4);
	memcpy(buf + n, buf + first, isz);
	uint32_t plen = (uint32_t)(n - MP_HDR_LEN + (int)isz);

	buf[10] = (uint8_t)(plen >> 8);
	buf[11] = (uint8_t)plen;
	assert_int_equal(mp_frame_len(buf, (size_t)n + isz), n + (int)isz);
	assert_int_equal(mp_decode(buf, (size_t)n + isz, &msg), MP_E_TOOMANY);
}

static void test_statement_lines(void **state)
{
	int n;

	mp_init(&msg2, MP_T_STATEMENT, MP_F_REPLY, 5);
	mp_set_u(&msg2, MP_A_SERIAL, 12);
	mp_set_u(&msg2, MP_A_CHARGE, 300);
	mp_set_u(&msg2, MP_A_REFUND, 700);
	mp_add_line(&msg2, "deposit (voucher)", 1000, 0);
	mp_add_line(&msg2, "refund to voucher", 700, 1);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.nlines, 2);
	assert_string_equal(msg.lines[1].desc, "refund to voucher");
	assert_int_equal(msg.lines[1].credit, 1);
	assert_int_equal(msg.lines[0].credit, 0);
	assert_memory_equal(&msg, &msg2, sizeof(msg));
}

static void test_encoder_limits(void **state)
{
	uint8_t small[20];

	mp_init(&msg2, MP_T_USAGE, 0, 1);
	mp_set_u(&msg2, MP_A_SERIAL, 1);
	assert_int_equal(mp_encode(&msg2, small, 10), MP_E_NOSPACE);
	assert_int_equal(mp_encode(&msg2, small, sizeof(small)), MP_E_NOSPACE);
	mp_set_u(&msg2, MP_A_TIME, 1);
	assert_int_equal(mp_encode(&msg2, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	mp_init(&msg2, 200, 0, 1);
	assert_int_equal(mp_encode(&msg2, buf, sizeof(buf)), MP_E_TYPE);
	mp_init(&msg2, MP_T_USAGE, 0x100, 1);
	mp_set_u(&msg2, MP_A_SERIAL, 1);
	assert_int_equal(mp_encode(&msg2, buf, sizeof(buf)), MP_E_FLAGS);
	mp_init(&msg2, MP_T_REQUEST, 0, 1);
	mp_set_u(&msg2, MP_A_OFFER_SERIAL, 1);
	mp_set_u(&msg2, MP_A_METRIC, 9);
	mp_set_u(&msg2, MP_A_SOFT, 1);
	mp_set_u(&msg2, MP_A_HARD, 1);
	mp_set_u(&msg2, MP_A_METHOD, 1);
	assert_int_equal(mp_encode(&msg2, buf, sizeof(buf)), MP_E_ATTR_VALUE);
}

/* Every message type: a maximal valid message round-trips exactly. */
static void test_roundtrip_all_types(void **state)
{
	static const uint8_t types[] = {
		MP_T_OFFER_GET,
		MP_T_REQUEST,
		MP_T_DEPOSIT,
		MP_T_USAGE,
		MP_T_BIND,
		MP_T_START,
		MP_T_SUSPEND,
		MP_T_TERMINATE,
		MP_T_EXTEND,
		MP_T_WARNING_ACK,
		MP_T_STATEMENT_GET,
		MP_T_QUOTE,
		MP_T_RECEIPT,
		MP_T_STATUS,
		MP_T_ERROR,
		MP_T_WARNING,
		MP_T_OP_VOUCHER_ISSUE,
		MP_T_OP_VOUCHER_SHOW,
		MP_T_OP_VOUCHER,
		MP_T_OP_CONTRACT_CREATE,
		MP_T_OP_CONTRACT_LIST,
		MP_T_OP_CONTRACT_SHOW,
		MP_T_OP_CONTRACT_TERMINATE,
		MP_T_OP_CONTRACT_SETTLE,
		MP_T_OP_USAGE_ADD,
		MP_T_OP_KEY_ROTATE,
		MP_T_OP_ROOM_SHOW,
		MP_T_OP_UNBIND,
		MP_T_OP_OK,
		MP_T_OP_KEY_LIST,
		MP_T_OP_KEY,
		MP_T_OP_REG_LIST,
		MP_T_OP_REG,
		MP_T_OP_REG_FORGET,
		MP_T_OP_RADIUS_STATS,
		MP_T_OP_COUNTERS,
		MP_T_UINFO_HELLO,
		MP_T_UINFO_OWNER_GET,
		MP_T_UINFO_OWNER,
		MP_T_UINFO_BLOCK,
		MP_T_UINFO_BLOCKED,
		MP_T_OP_USER_BLOCK,
		MP_T_OP_USER_BLOCK_LIST,
		MP_T_OP_USER_BLOCK_ROW,
		MP_T_UINFO_USAGE,
		MP_T_UINFO_USAGE_ACK,
		MP_T_OP_AGENT_USAGE,
		MP_T_OP_AGENT_USAGE_ROW,
	};
	unsigned ok = 0;

	for (size_t i = 0; i < sizeof(types); i++) {
		int n, n2;

		uint8_t fixed[MP_FIX_MAX];

		memset(fixed, 0xa5 ^ i, sizeof(fixed));
		/* Add every attribute the type accepts, one at a time. */
		mp_init(&msg2, types[i], MP_F_REPLY, (uint32_t)i);
		for (int a = 1; a < __MP_A_LAST; a++) {
			struct mp_msg probe = msg2;

			if (a == MP_A_OFFER_ITEM || a == MP_A_LINE ||
			    a == MP_A_COUNTER)
				continue;
			if (mp_set_u(&probe, a,
				     a == MP_A_STATE ? 3 :
				     a == MP_A_ERROR ? 2 :
				     a == MP_A_LOAD  ? 50 :
						       1) &&
			    mp_set_s(&probe, a, "text 1") &&
			    mp_set_bytes(&probe, a, "\x01\x02\x03", 3) &&
			    mp_set_fix(&probe, a, fixed, mp_fix_len(a))) {
				/* 41, 42 (IDENTITY, SECRET) are another
				 * branch's until merged: a gap here */
				if (a > MP_A_LAST_USED && a < MP_A_COUNTER)
					continue;
				fail();
			}
			int rc = mp_encode(&probe, buf, sizeof(buf));

			if (rc > 0 || rc == MP_E_ATTR_MISSING)
				msg2 = probe;
		}
		n = mp_encode(&msg2, buf, sizeof(buf));
		assert_true(n >= MP_HDR_LEN);
		assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
		assert_memory_equal(&msg, &msg2, sizeof(msg));
		n2 = mp_encode(&msg, buf2, sizeof(buf2));
		assert_int_equal(n2, n);
		assert_memory_equal(buf, buf2, (size_t)n);
		ok++;
	}
	assert_int_equal(ok, sizeof(types));
}

/* Counters (OP_COUNTERS): nested name + value, round trip, at most
 * MP_MAX_COUNTERS, each exactly one name and one value. */
static void test_counters(void **state)
{
	char name[80];
	int n;

	mp_init(&msg2, MP_T_OP_COUNTERS, MP_F_REPLY, 9);
	assert_int_equal(mp_add_counter(&msg2, "acct.sent", 12), 0);
	assert_int_equal(mp_add_counter(&msg2, "auth.bad_replies", UINT64_MAX),
			 0);
	assert_int_equal(mp_add_counter(&msg2, "", 1), -1);
	assert_int_equal(mp_add_counter(&msg2, "tab\there", 1), -1);
	memset(name, 'n', sizeof(name));
	name[MP_COUNTER_NAME_MAX + 1] = '\0';
	assert_int_equal(mp_add_counter(&msg2, name, 1), -1);
	name[MP_COUNTER_NAME_MAX] = '\0';
	assert_int_equal(mp_add_counter(&msg2, name, 3), 0);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.ncounters, 3);
	assert_string_equal(msg.counters[0].name, "acct.sent");
	assert_int_equal(msg.counters[0].value, 12);
	assert_true(msg.counters[1].value == UINT64_MAX);
	assert_memory_equal(&msg, &msg2, sizeof(msg));
	/* an empty reply: no counters (RADIUS not configured) */
	mp_init(&msg2, MP_T_OP_COUNTERS, MP_F_REPLY, 9);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_int_equal(n, MP_HDR_LEN);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.ncounters, 0);
	/* full */
	for (int i = 0; i < MP_MAX_COUNTERS; i++) {
		snprintf(name, sizeof(name), "acct.counter_number_%d", i);
		assert_int_equal(mp_add_counter(&msg2, name, (uint64_t)i), 0);
	}
	assert_int_equal(mp_add_counter(&msg2, "one.more", 1), -1);
	n = mp_encode(&msg2, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg), 0);
	assert_int_equal(msg.ncounters, MP_MAX_COUNTERS);
	/* not in any other message, and NAME/VALUE not at the top */
	mp_init(&msg2, MP_T_OP_OK, MP_F_REPLY, 1);
	msg2.present |= 1ull << MP_A_COUNTER;
	msg2.ncounters = 1;
	assert_int_equal(mp_encode(&msg2, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	{
		/* hand-made nests: header, then one attribute */
		static const uint8_t hdr[16] = { 0x4d, 0x55, 1, 161, 0, 1 };
		static const uint8_t name_a[] = { 0, 44, 0, 1, 'a', 0, 0, 0 };
		static const uint8_t val_a[] = { 0, 45, 0, 8, 0, 0,
						 0, 0,	0, 0, 0, 7 };
		static const uint8_t bad_a[] = { 0, 1, 0, 8, 0, 0,
						 0, 0, 0, 0, 0, 7 };
		const struct {
			const uint8_t *a, *b;
			size_t al, bl;
			int rc;
		} cases[] = {
			{ name_a, val_a, 8, 12, 0 },
			{ name_a, NULL, 8, 0, MP_E_ATTR_MISSING },
			{ val_a, NULL, 12, 0, MP_E_ATTR_MISSING },
			{ name_a, name_a, 8, 8, MP_E_ATTR_DUP },
			{ val_a, val_a, 12, 12, MP_E_ATTR_DUP },
			{ name_a, bad_a, 8, 12, MP_E_ATTR_UNKNOWN },
		};
		uint8_t f[64];

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			size_t in = cases[i].al + cases[i].bl, len;

			memcpy(f, hdr, 16);
			f[16] = 0;
			f[17] = MP_A_COUNTER;
			f[18] = 0;
			f[19] = (uint8_t)in;
			memcpy(f + 20, cases[i].a, cases[i].al);
			if (cases[i].b)
				memcpy(f + 20 + cases[i].al, cases[i].b,
				       cases[i].bl);
			len = 20 + in;
			f[8] = f[9] = f[10] = 0;
			f[11] = (uint8_t)(len - 16);
			assert_int_equal(mp_decode(f, len, &msg), cases[i].rc);
		}
		/* MP_A_NAME alone at the top */
		memcpy(f, hdr, 16);
		memcpy(f + 16, name_a, 8);
		f[11] = 8;
		assert_int_equal(mp_decode(f, 24, &msg), MP_E_ATTR_NOTALLOWED);
	}
}

/* Fixed-length binary attributes: exact lengths, their message types,
 * round trips; the message a receipt's holder signs. */
static void test_fixed(void **state)
{
	uint8_t key[32], sig[64], wire[MP_MAX_FRAME], out[128];
	struct mp_msg m, back;
	int n;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	memset(sig, 0x77, sizeof(sig));
	assert_int_equal(mp_fix_len(MP_A_HOLDER_KEY), 32);
	assert_int_equal(mp_fix_len(MP_A_CHALLENGE), 32);
	assert_int_equal(mp_fix_len(MP_A_SIGNATURE), 64);
	assert_int_equal(mp_fix_len(MP_A_RECEIPT), 0);
	assert_null(mp_fix(&m, MP_A_SERIAL));

	mp_init(&m, MP_T_DEPOSIT, 0, 9);
	mp_set_u(&m, MP_A_SERIAL, 5);
	mp_set_u(&m, MP_A_METHOD, MP_METHOD_VOUCHER);
	assert_int_equal(mp_set_fix(&m, MP_A_HOLDER_KEY, key, 31), -1);
	assert_int_equal(mp_set_fix(&m, MP_A_RECEIPT, key, 32), -1);
	assert_int_equal(mp_set_fix(&m, MP_A_HOLDER_KEY, key, 32), 0);
	n = mp_encode(&m, wire, sizeof(wire));
	assert_true(n > 0);
	assert_int_equal(mp_decode(wire, (size_t)n, &back), 0);
	assert_true(mp_has(&back, MP_A_HOLDER_KEY));
	assert_memory_equal(mp_fix(&back, MP_A_HOLDER_KEY), key, 32);
	/* 31 bytes said on the wire (its last byte zero: padding) */
	assert_int_equal(wire[MP_HDR_LEN + 12 + 8 + 1], MP_A_HOLDER_KEY);
	wire[MP_HDR_LEN + 12 + 8 + 3] = 31;
	wire[n - 1] = 0;
	assert_int_equal(mp_decode(wire, (size_t)n, &back), MP_E_ATTR_LEN);

	/* BIND takes a challenge and a signature; not a holder key */
	mp_init(&m, MP_T_BIND, 0, 10);
	mp_set_bytes(&m, MP_A_RECEIPT, "r", 1);
	mp_set_fix(&m, MP_A_CHALLENGE, key, 32);
	mp_set_fix(&m, MP_A_SIGNATURE, sig, 64);
	n = mp_encode(&m, wire, sizeof(wire));
	assert_true(n > 0);
	assert_int_equal(mp_decode(wire, (size_t)n, &back), 0);
	assert_memory_equal(mp_fix(&back, MP_A_SIGNATURE), sig, 64);
	assert_memory_equal(&back, &m, sizeof(m));
	mp_set_fix(&m, MP_A_HOLDER_KEY, key, 32);
	assert_int_equal(mp_encode(&m, wire, sizeof(wire)),
			 MP_E_ATTR_NOTALLOWED);
	/* ERROR carries the challenge */
	mp_init(&m, MP_T_ERROR, MP_F_REPLY, 10);
	mp_set_u(&m, MP_A_ERROR, MP_ERR_PROOF);
	mp_set_fix(&m, MP_A_CHALLENGE, key, 32);
	n = mp_encode(&m, wire, sizeof(wire));
	assert_int_equal(mp_decode(wire, (size_t)n, &back), 0);
	assert_string_equal(mp_error_name(MP_ERR_PROOF),
			    "proof of the receipt's holder key needed");

	assert_int_equal(mp_bind_message(key, (const uint8_t *)"RCPT", 4, out,
					 sizeof(out)),
			 13 + 32 + 4);
	assert_memory_equal(out, "muisp-bind-v1", 13);
	assert_memory_equal(out + 13, key, 32);
	assert_memory_equal(out + 45, "RCPT", 4);
	assert_int_equal(mp_bind_message(key, out, 100, out, 48), 0);
}

static void test_names(void **state)
{
	assert_int_equal(mp_metric_parse("bytes"), MP_METRIC_BYTES);
	assert_int_equal(mp_method_parse("voucher"), MP_METHOD_VOUCHER);
	assert_int_equal(mp_method_parse("nope"), -1);
	assert_string_equal(mp_metric_name(MP_METRIC_ELAPSED), "elapsed");
	assert_string_equal(mp_type_name(MP_T_BIND), "bind");
	assert_string_equal(mp_type_name(3), "deposit");
	assert_string_equal(mp_type_name(250), "unknown");
	assert_string_equal(mp_strerror(MP_E_PAD), "non-zero padding");
	assert_string_equal(mp_warning_name(MP_WARN_ELSEWHERE),
			    "presented-elsewhere");
}

/* The agent's exporter context: key id in network order, then the
 * address's text, no NUL; 0 when it does not fit. */
static void test_uinfo_context(void **state)
{
	uint8_t ctx[MP_UINFO_CONTEXT_MAX], small[8];
	char longaddr[MP_STR_MAX + 2];

	(void)state;
	assert_int_equal(mp_uinfo_context(0x01020304u, "10.0.0.2", ctx,
					  sizeof(ctx)),
			 12);
	assert_memory_equal(ctx,
			    "\x01\x02\x03\x04"
			    "10.0.0.2",
			    12);
	assert_int_equal(mp_uinfo_context(1, "10.0.0.2", small, sizeof(small)),
			 0);
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = 0;
	assert_int_equal(mp_uinfo_context(1, longaddr, ctx, sizeof(ctx)), 0);
	assert_string_equal(MP_UINFO_LABEL, "EXPORTER-muisp-uinfo-v1");
}

/* UINFO_OWNER_GET needs both ends (ports 1..65535); UINFO_OWNER's USER
 * is optional (none: the host's own); neither takes the other's. */
static void test_uinfo_owner(void **state)
{
	int n;

	(void)state;
	mp_init(&msg, MP_T_UINFO_OWNER_GET, 0, 5);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	mp_set_u(&msg, MP_A_SPORT, 40000);
	mp_set_s(&msg, MP_A_PEER, "10.77.0.1");
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_u(&msg, MP_A_DPORT, 65536);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) < 0);
	mp_set_u(&msg, MP_A_DPORT, 4433);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_SPORT], 40000);
	assert_int_equal(msg2.u[MP_A_DPORT], 4433);
	assert_string_equal(msg2.s[MP_A_PEER], "10.77.0.1");
	mp_set_u(&msg, MP_A_SPORT, 0);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) < 0);
	mp_init(&msg, MP_T_UINFO_OWNER, MP_F_REPLY, 5);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	mp_set_u(&msg, MP_A_USER, 4000000000u);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_USER], 4000000000u);
	mp_set_u(&msg, MP_A_SPORT, 1);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) < 0);
	assert_string_equal(mp_type_name(MP_T_UINFO_OWNER_GET),
			    "uinfo-owner-get");
}

/* Out of band: UINFO_HELLO may carry SCHEME (an enum mp_scheme: 0 .. 3),
 * UINFO_OWNER_GET PROTO (6 TCP, the default, absent; 17 UDP); out of
 * range is refused both ways, and neither goes in the other's type. */
static void test_uinfo_scheme_proto(void **state)
{
	int n;

	(void)state;
	/* a plain HELLO is still one */
	mp_init(&msg, MP_T_UINFO_HELLO, 0, 1);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_int_equal(n, MP_HDR_LEN);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_false(mp_has(&msg2, MP_A_SCHEME));
	mp_set_u(&msg, MP_A_SCHEME, MP_SCHEME_OUT_OF_BAND);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_int_equal(n, MP_HDR_LEN + 8);
	/* type 53, length 1, the value, padding */
	assert_memory_equal(buf + MP_HDR_LEN, "\x00\x35\x00\x01\x01\0\0\0", 8);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.type, MP_T_UINFO_HELLO);
	assert_true(mp_has(&msg2, MP_A_SCHEME));
	assert_int_equal(msg2.u[MP_A_SCHEME], 1);
	assert_int_equal(msg2.present, 1ull << MP_A_SCHEME);
	/* 2 is standalone: accepted as received, and as encoded */
	buf[MP_HDR_LEN + 4] = 2;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_SCHEME], MP_SCHEME_STANDALONE);
	mp_set_u(&msg, MP_A_SCHEME, MP_SCHEME_STANDALONE);
	assert_int_equal(mp_encode(&msg, buf2, sizeof(buf2)), n);
	assert_memory_equal(buf, buf2, (size_t)n);
	/* 3 is out of band, packet-based: accepted both ways too */
	assert_int_equal(MP_SCHEME_OUT_OF_BAND_PACKET, 3);
	buf[MP_HDR_LEN + 4] = 3;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_SCHEME], MP_SCHEME_OUT_OF_BAND_PACKET);
	mp_set_u(&msg, MP_A_SCHEME, MP_SCHEME_OUT_OF_BAND_PACKET);
	assert_int_equal(mp_encode(&msg, buf2, sizeof(buf2)), n);
	assert_memory_equal(buf, buf2, (size_t)n);
	/* 4 is no scheme: refused as received, and as encoded */
	buf[MP_HDR_LEN + 4] = 4;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), MP_E_ATTR_VALUE);
	buf[MP_HDR_LEN + 4] = 0xff;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_SCHEME, 4);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_SCHEME, __MP_SCHEME_LAST);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_SCHEME, MP_SCHEME_IN_BAND);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	/* only in a HELLO */
	mp_init(&msg, MP_T_UINFO_KEEPALIVE, 0, 1);
	mp_set_u(&msg, MP_A_SCHEME, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);

	/* OWNER_GET without PROTO validates as before, and with UDP's */
	mp_init(&msg, MP_T_UINFO_OWNER_GET, 0, 9);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	mp_set_u(&msg, MP_A_SPORT, 5353);
	mp_set_s(&msg, MP_A_PEER, "192.0.2.53");
	mp_set_u(&msg, MP_A_DPORT, 53);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_false(mp_has(&msg2, MP_A_PROTO));
	mp_set_u(&msg, MP_A_PROTO, 17);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_true(mp_has(&msg2, MP_A_PROTO));
	assert_int_equal(msg2.u[MP_A_PROTO], 17);
	assert_int_equal(msg2.u[MP_A_SPORT], 5353);
	assert_string_equal(msg2.s[MP_A_PEER], "192.0.2.53");
	assert_memory_equal(&msg, &msg2, sizeof(msg));
	/* the PROTO attribute is the last one: its value at n - 4 */
	assert_int_equal(buf[n - 8 + 1], MP_A_PROTO);
	assert_int_equal(buf[n - 4], 17);
	buf[n - 4] = 5;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), MP_E_ATTR_VALUE);
	buf[n - 4] = 18;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), MP_E_ATTR_VALUE);
	buf[n - 4] = 6;
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_PROTO], 6);
	mp_set_u(&msg, MP_A_PROTO, 5);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_PROTO, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_PROTO, 132);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	/* nor in the answer */
	mp_init(&msg, MP_T_UINFO_OWNER, MP_F_REPLY, 9);
	mp_set_u(&msg, MP_A_PROTO, 17);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
}

/* The per-user block list: UINFO_BLOCK and its answer need USER and
 * BLOCKED (0 or 1); OP_USER_BLOCK names the host; a row's PUSH is an
 * enum mp_push. */
/* Per-connection billing: the ask, the signed verdict's bytes, the cost. */
static void test_conn_ask(void **state)
{
	uint8_t chal[32], a[MP_CONN_MSG_MAX], b[MP_CONN_MSG_MAX];
	size_t na, nb;
	int n;

	(void)state;
	memset(chal, 0x5a, sizeof(chal));
	mp_init(&msg, MP_T_CONN_ASK, 0, 9);
	mp_set_u(&msg, MP_A_SERIAL, 42);
	mp_set_u(&msg, MP_A_PROTO, 6);
	mp_set_s(&msg, MP_A_ADDR, "192.0.2.10");
	mp_set_u(&msg, MP_A_SPORT, 40000);
	mp_set_s(&msg, MP_A_PEER, "198.51.100.2");
	mp_set_u(&msg, MP_A_DPORT, 443);
	mp_set_u(&msg, MP_A_METRIC, MP_METRIC_BYTES);
	mp_set_u(&msg, MP_A_PRICE, 1000);
	mp_set_u(&msg, MP_A_UNIT, 1000000);
	mp_set_s(&msg, MP_A_CURRENCY, "EUR");
	/* the challenge is required: nothing to sign without it */
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	assert_int_equal(mp_conn_message(&msg, 1, a, sizeof(a)), 0);
	mp_set_fix(&msg, MP_A_CHALLENGE, chal, sizeof(chal));
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	/* both ends build the same bytes from what they sent and received */
	na = mp_conn_message(&msg, 1, a, sizeof(a));
	nb = mp_conn_message(&msg2, 1, b, sizeof(b));
	assert_int_equal(na, 13 + 32 + 31 + 4 + 11 + 13);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_memory_equal(a, "muisp-conn-v1", 13);
	/* the verdict, the port and the price are signed */
	nb = mp_conn_message(&msg2, 0, b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_not_equal(a, b, na);
	mp_set_u(&msg2, MP_A_PRICE, 999);
	nb = mp_conn_message(&msg2, 1, b, sizeof(b));
	assert_memory_not_equal(a, b, na);
	assert_int_equal(mp_conn_message(&msg, 1, a, 10), 0);
	/* the answer: a verdict and a signature */
	mp_init(&msg, MP_T_CONN_VERDICT, MP_F_REPLY, 9);
	mp_set_u(&msg, MP_A_VERDICT, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	memset(a, 1, 64);
	mp_set_fix(&msg, MP_A_SIGNATURE, a, 64);
	mp_set_u(&msg, MP_A_VERDICT, 2);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_VERDICT, 1);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	/* the running cost; END once it ended */
	mp_init(&msg, MP_T_CONN_COST, MP_F_ASYNC, 0);
	mp_set_u(&msg, MP_A_SERIAL, 42);
	mp_set_u(&msg, MP_A_PROTO, 6);
	mp_set_s(&msg, MP_A_ADDR, "192.0.2.10");
	mp_set_u(&msg, MP_A_SPORT, 40000);
	mp_set_s(&msg, MP_A_PEER, "198.51.100.2");
	mp_set_u(&msg, MP_A_DPORT, 443);
	mp_set_u(&msg, MP_A_TIME, 1700000000);
	mp_set_u(&msg, MP_A_SENT_BYTES, 2000);
	mp_set_u(&msg, MP_A_SENT_PKTS, 5);
	mp_set_u(&msg, MP_A_RECV_BYTES, 300);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_u(&msg, MP_A_RECV_PKTS, 4);
	mp_set_u(&msg, MP_A_CHARGE, 3);
	mp_set_u(&msg, MP_A_END, 1700000010);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_CHARGE], 3);
}

static void test_user_block(void **state)
{
	int n;

	(void)state;
	mp_init(&msg, MP_T_UINFO_BLOCK, 0, 7);
	mp_set_u(&msg, MP_A_USER, 7001);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_u(&msg, MP_A_BLOCKED, 2);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_BLOCKED, 1);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_USER], 7001);
	assert_int_equal(msg2.u[MP_A_BLOCKED], 1);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100"); /* the agent's own host */
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	mp_init(&msg, MP_T_UINFO_BLOCKED, MP_F_REPLY, 7);
	mp_set_u(&msg, MP_A_USER, 7001);
	mp_set_u(&msg, MP_A_BLOCKED, 0);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	mp_init(&msg, MP_T_OP_USER_BLOCK, 0, 1);
	mp_set_u(&msg, MP_A_USER, 7001);
	mp_set_u(&msg, MP_A_BLOCKED, 1);
	mp_set_s(&msg, MP_A_MESSAGE, "abuse report 12");
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	mp_init(&msg, MP_T_OP_USER_BLOCK_ROW, MP_F_REPLY | MP_F_MORE, 1);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	mp_set_u(&msg, MP_A_USER, 7001);
	mp_set_u(&msg, MP_A_TIME, 1700000000);
	mp_set_u(&msg, MP_A_PUSH, __MP_PUSH_LAST);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	mp_set_u(&msg, MP_A_PUSH, MP_PUSH_APPLIED);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.u[MP_A_PUSH], MP_PUSH_APPLIED);
	assert_string_equal(mp_type_name(MP_T_UINFO_BLOCK), "uinfo-block");
}

/* A standalone agent's usage record with every attribute it needs. */
static void usage_record(struct mp_msg *m, uint32_t serial, uint64_t seq)
{
	mp_init(m, MP_T_UINFO_USAGE, 0, serial);
	mp_set_u(m, MP_A_SERIAL, seq);
	mp_set_u(m, MP_A_USER, 7001);
	mp_set_u(m, MP_A_TIME, 1700000000);
	mp_set_u(m, MP_A_END, 1700000060);
	mp_set_u(m, MP_A_SENT_BYTES, UINT64_MAX);
	mp_set_u(m, MP_A_SENT_PKTS, 12);
	mp_set_u(m, MP_A_RECV_BYTES, 0);
	mp_set_u(m, MP_A_RECV_PKTS, 34);
}

/* The standalone meter (SCHEME 2): UINFO_USAGE round trip, each of its
 * eight attributes required and nothing else allowed, its answer
 * UINFO_USAGE_ACK with SERIAL; OP_AGENT_USAGE's optional host, its rows. */
static void test_uinfo_usage(void **state)
{
	static const int need[] = {
		MP_A_SERIAL,	 MP_A_USER,	  MP_A_TIME,
		MP_A_END,	 MP_A_SENT_BYTES, MP_A_SENT_PKTS,
		MP_A_RECV_BYTES, MP_A_RECV_PKTS,
	};
	int n, n2;

	(void)state;
	assert_int_equal(MP_A_END, 55);
	assert_int_equal(MP_A_RECV_PKTS, 59);
	assert_int_equal(MP_T_UINFO_USAGE, 17);
	assert_int_equal(MP_T_UINFO_USAGE_ACK, 75);
	assert_int_equal(MP_T_OP_AGENT_USAGE, 149);
	assert_int_equal(MP_T_OP_AGENT_USAGE_ROW, 150);
	usage_record(&msg, 3, 42);
	n = mp_encode(&msg, buf, sizeof(buf));
	/* eight attributes: USER a u32 (8 bytes), the others u64 (12) */
	assert_int_equal(n, MP_HDR_LEN + 8 + 7 * 12);
	assert_int_equal(buf[3], MP_T_UINFO_USAGE);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_memory_equal(&msg, &msg2, sizeof(msg));
	assert_true(msg2.u[MP_A_SENT_BYTES] == UINT64_MAX);
	assert_int_equal(msg2.u[MP_A_END], 1700000060);
	n2 = mp_encode(&msg2, buf2, sizeof(buf2));
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, (size_t)n);
	/* the last attribute is RECV_PKTS (59): without it, missing */
	assert_int_equal(buf[n - 12 + 1], MP_A_RECV_PKTS);
	buf[11] -= 12; /* the header's length */
	assert_int_equal(mp_decode(buf, (size_t)n - 12, &msg2),
			 MP_E_ATTR_MISSING);
	/* each one missing is refused, by the encoder too */
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		usage_record(&msg, 3, 42);
		msg.present &= ~(1ull << need[i]);
		assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
				 MP_E_ATTR_MISSING);
	}
	/* SERIAL 0 and END before TIME are muispd's to refuse, not the
	 * codec's */
	usage_record(&msg, 3, 0);
	mp_set_u(&msg, MP_A_END, 1);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	/* nothing else */
	usage_record(&msg, 3, 42);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	/* the new attributes only where they belong */
	mp_init(&msg, MP_T_UINFO_KEEPALIVE, 0, 1);
	mp_set_u(&msg, MP_A_END, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	/* the answer: SERIAL, the record's sequence number */
	mp_init(&msg, MP_T_UINFO_USAGE_ACK, MP_F_REPLY, 3);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_u(&msg, MP_A_SERIAL, 42);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_int_equal(n, MP_HDR_LEN + 12);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_int_equal(msg2.type, MP_T_UINFO_USAGE_ACK);
	assert_int_equal(msg2.serial, 3);
	assert_int_equal(msg2.u[MP_A_SERIAL], 42);
	mp_set_u(&msg, MP_A_USER, 7001);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	/* the operator's view: a host, or all */
	mp_init(&msg, MP_T_OP_AGENT_USAGE, 0, 1);
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_int_equal(n, MP_HDR_LEN);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_string_equal(msg2.s[MP_A_ADDR], "10.77.0.100");
	mp_init(&msg, MP_T_OP_AGENT_USAGE_ROW, MP_F_REPLY | MP_F_MORE, 1);
	usage_record(&msg2, 0, 42);
	msg.present = msg2.present;
	memcpy(msg.u, msg2.u, sizeof(msg.u));
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_MISSING);
	mp_set_s(&msg, MP_A_ADDR, "10.77.0.100");
	n = mp_encode(&msg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_memory_equal(&msg, &msg2, sizeof(msg));
	assert_string_equal(mp_type_name(MP_T_UINFO_USAGE), "uinfo-usage");
	assert_string_equal(mp_type_name(MP_T_UINFO_USAGE_ACK),
			    "uinfo-usage-ack");
	assert_string_equal(mp_type_name(MP_T_OP_AGENT_USAGE),
			    "op-agent-usage");
	assert_string_equal(mp_type_name(MP_T_OP_AGENT_USAGE_ROW),
			    "op-agent-usage-row");
}

/* A packet-based agent's report of a user's flow, every attribute. */
static void report_msg(struct mp_msg *m, uint32_t serial)
{
	mp_init(m, MP_T_UINFO_REPORT, 0, serial);
	mp_set_u(m, MP_A_PROTO, 17);
	mp_set_s(m, MP_A_ADDR, "10.77.0.100");
	mp_set_u(m, MP_A_SPORT, 5353);
	mp_set_s(m, MP_A_PEER, "192.0.2.53");
	mp_set_u(m, MP_A_DPORT, 53);
	mp_set_u(m, MP_A_USER, 1001);
	mp_set_u(m, MP_A_SENT_BYTES, UINT64_MAX);
	mp_set_u(m, MP_A_SENT_PKTS, 3);
}

/* Out of band, packet-based (SCHEME 3): UINFO_REPORT (18) round trip,
 * each of its eight attributes required, nothing else allowed; PROTO
 * and the ports in their ranges (PROTO 6 or 17 and USER >= 1 are
 * muispd's to check); no answer type of its own. */
static void test_uinfo_report(void **state)
{
	static const int need[] = {
		MP_A_PROTO, MP_A_ADDR, MP_A_SPORT,	MP_A_PEER,
		MP_A_DPORT, MP_A_USER, MP_A_SENT_BYTES, MP_A_SENT_PKTS,
	};
	int n, n2;

	(void)state;
	assert_int_equal(MP_T_UINFO_REPORT, 18);
	report_msg(&msg, 7);
	n = mp_encode(&msg, buf, sizeof(buf));
	/* ADDR and PEER (4 + 12 each, padded), SPORT, DPORT, USER (u32: 8
	 * each), PROTO (u8: 8), the two u64 (12 each) */
	assert_int_equal(n, MP_HDR_LEN + 2 * 16 + 3 * 8 + 8 + 2 * 12);
	assert_int_equal(buf[3], MP_T_UINFO_REPORT);
	assert_int_equal(mp_decode(buf, (size_t)n, &msg2), 0);
	assert_memory_equal(&msg, &msg2, sizeof(msg));
	assert_true(msg2.u[MP_A_SENT_BYTES] == UINT64_MAX);
	assert_int_equal(msg2.u[MP_A_PROTO], 17);
	assert_string_equal(msg2.s[MP_A_PEER], "192.0.2.53");
	n2 = mp_encode(&msg2, buf2, sizeof(buf2));
	assert_int_equal(n2, n);
	assert_memory_equal(buf, buf2, (size_t)n);
	/* the last attribute is SENT_PKTS (57): without it, missing */
	assert_int_equal(buf[n - 12 + 1], MP_A_SENT_PKTS);
	buf[11] -= 12; /* the header's length */
	assert_int_equal(mp_decode(buf, (size_t)n - 12, &msg2),
			 MP_E_ATTR_MISSING);
	/* each one missing is refused, by the encoder too */
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		report_msg(&msg, 7);
		msg.present &= ~(1ull << need[i]);
		assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
				 MP_E_ATTR_MISSING);
	}
	/* the codec's ranges */
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_SPORT, 0);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_DPORT, 65536);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_PROTO, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)), MP_E_ATTR_VALUE);
	/* TCP; USER 0 and PROTO 7 are muispd's to refuse, not the codec's */
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_PROTO, 6);
	mp_set_u(&msg, MP_A_USER, 0);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	mp_set_u(&msg, MP_A_PROTO, 7);
	assert_true(mp_encode(&msg, buf, sizeof(buf)) > 0);
	/* nothing else */
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_RECV_BYTES, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	report_msg(&msg, 7);
	mp_set_u(&msg, MP_A_SERIAL, 1);
	assert_int_equal(mp_encode(&msg, buf, sizeof(buf)),
			 MP_E_ATTR_NOTALLOWED);
	assert_string_equal(mp_type_name(MP_T_UINFO_REPORT), "uinfo-report");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canned_usage),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_attr_errors),
		cmocka_unit_test(test_dup_missing_oneof),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_statement_lines),
		cmocka_unit_test(test_encoder_limits),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_uinfo_context),
		cmocka_unit_test(test_uinfo_owner),
		cmocka_unit_test(test_uinfo_scheme_proto),
		cmocka_unit_test(test_user_block),
		cmocka_unit_test(test_conn_ask),
		cmocka_unit_test(test_uinfo_usage),
		cmocka_unit_test(test_uinfo_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
