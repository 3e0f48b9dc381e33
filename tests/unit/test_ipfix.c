// SPDX-License-Identifier: GPL-2.0
/*
 * lib/ipfix: byte-exact messages for known IPv4 and IPv6 flows (the bytes
 * come from tests/ipfix/ref.py, an independent struct-based encoder built
 * from the field table in docs/DESIGN.md "IPFIX message format"),
 * sequence numbers across messages and their wrap, the template refresh
 * schedule on a fixed clock, MTU packing (N records fit, N+1 is -ENOSPC
 * and leaves the message unchanged), a message moved to another buffer
 * mid-way, zero-packet directions skipped, every end reason mapped, bad
 * families refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lib/ipfix.h"

/* python3 tests/ipfix/ref.py: MSG_V4 = templates + options template +
 * both directions of flow_v4(); MSG_V6 = the up record of flow_v6(). */
static const uint8_t MSG_V4[330] = {
	0x00, 0x0a, 0x01, 0x4a, 0x69, 0x2e, 0xe1, 0x46, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x00, 0x9c, 0x01, 0x00, 0x00, 0x0f,
	0x00, 0x08, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x07, 0x00, 0x02,
	0x00, 0x0b, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x08, 0x00, 0x02, 0x00, 0x08, 0x00, 0x98, 0x00, 0x08,
	0x00, 0x99, 0x00, 0x08, 0x00, 0x88, 0x00, 0x01, 0x00, 0x3d, 0x00, 0x01,
	0x83, 0xe9, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9, 0x83, 0xea, 0x00, 0x04,
	0x00, 0x00, 0x7e, 0xd9, 0x83, 0xec, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
	0x01, 0x01, 0x00, 0x0f, 0x00, 0x1b, 0x00, 0x10, 0x00, 0x1c, 0x00, 0x10,
	0x00, 0x07, 0x00, 0x02, 0x00, 0x0b, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01,
	0x00, 0x06, 0x00, 0x01, 0x00, 0x01, 0x00, 0x08, 0x00, 0x02, 0x00, 0x08,
	0x00, 0x98, 0x00, 0x08, 0x00, 0x99, 0x00, 0x08, 0x00, 0x88, 0x00, 0x01,
	0x00, 0x3d, 0x00, 0x01, 0x83, 0xe9, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,
	0x83, 0xeb, 0x00, 0x10, 0x00, 0x00, 0x7e, 0xd9, 0x83, 0xec, 0x00, 0x08,
	0x00, 0x00, 0x7e, 0xd9, 0x00, 0x03, 0x00, 0x12, 0x01, 0x02, 0x00, 0x02,
	0x00, 0x01, 0x00, 0x90, 0x00, 0x04, 0x00, 0xa6, 0x00, 0x08, 0x01, 0x00,
	0x00, 0x8c, 0x0a, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x9c, 0x40,
	0x01, 0xbb, 0x06, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x9a,
	0xdf, 0x1f, 0xe2, 0x00, 0x00, 0x00, 0x01, 0x9a, 0xdf, 0x1f, 0xf6, 0xbc,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xc0, 0x00,
	0x02, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x01, 0xbb, 0x9c, 0x40, 0x06, 0x1b,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x5f, 0x90, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x01, 0x9a, 0xdf, 0x1f, 0xe2, 0x00,
	0x00, 0x00, 0x01, 0x9a, 0xdf, 0x1f, 0xf6, 0xbc, 0x03, 0x01, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
};
static const uint8_t MSG_V6[124] = {
	0x00, 0x0a, 0x00, 0x7c, 0x69, 0x2e, 0xe1, 0x47, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x6c, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x9c, 0x41, 0x00, 0x35, 0x11, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x01, 0x9a, 0xdf, 0x1f, 0xe2, 0x00, 0x00, 0x00,
	0x01, 0x9a, 0xdf, 0x1f, 0xf6, 0xbc, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x2a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x08,
};

#define FIRST_MS 1764680000000ULL
#define LAST_MS	 1764680005308ULL

static struct muisp_nl_flow flow_v4(void)
{
	struct muisp_nl_flow f = {
		.id = 7,
		.proto = 6,
		.client_port = 40000,
		.peer_port = 443,
		.up_bytes = 1500,
		.up_packets = 3,
		.down_bytes = 90000,
		.down_packets = 60,
		.first_ms = FIRST_MS,
		.last_ms = LAST_MS,
		.tcp_flags = 0x1b,
		.contract_id = 1ULL << 40,
		.end_reason = MUISP_FLOW_END_CLOSED,
	};

	f.client_addr.family = AF_INET;
	f.peer_addr.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.2", f.client_addr.a);
	inet_pton(AF_INET, "192.0.2.1", f.peer_addr.a);
	return f;
}

static struct muisp_nl_flow flow_v6(void)
{
	struct muisp_nl_flow f = {
		.id = 8,
		.proto = 17,
		.client_port = 40001,
		.peer_port = 53,
		.up_bytes = 120,
		.up_packets = 1,
		.first_ms = FIRST_MS,
		.last_ms = LAST_MS,
		.contract_id = 42,
		.end_reason = MUISP_FLOW_END_IDLE,
	};

	f.client_addr.family = AF_INET6;
	f.peer_addr.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", f.client_addr.a);
	inet_pton(AF_INET6, "2001:db8:1::1", f.peer_addr.a);
	return f;
}

static void test_v4_message(void **state)
{
	(void)state;
	uint8_t buf[1400];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v4();

	memset(buf, 0xa5, sizeof(buf));
	ipfix_msg_init(&m, buf, sizeof(buf), 7, 0, 1764680006);
	assert_int_equal(ipfix_put_templates(&m), 0);
	assert_int_equal(m.len, IPFIX_HDR_LEN + IPFIX_TEMPLATES_LEN);
	assert_int_equal(ipfix_put_flow(&m, &f), 2);
	assert_int_equal(ipfix_msg_finish(&m), sizeof(MSG_V4));
	assert_memory_equal(buf, MSG_V4, sizeof(MSG_V4));
	assert_int_equal(ipfix_msg_next_seq(&m), 2);
}

static void test_v6_message(void **state)
{
	(void)state;
	uint8_t buf[1400];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v6();

	ipfix_msg_init(&m, buf, sizeof(buf), 7, 2, 1764680007);
	/* down has 0 packets: one record only */
	assert_int_equal(ipfix_flow_len(&m, &f), 4 + IPFIX_REC_IPV6_LEN);
	assert_int_equal(ipfix_put_flow(&m, &f), 1);
	assert_int_equal(ipfix_msg_finish(&m), sizeof(MSG_V6));
	assert_memory_equal(buf, MSG_V6, sizeof(MSG_V6));
	assert_int_equal(ipfix_msg_next_seq(&m), 3);
}

/* A direction with 0 packets is not sent; a flow with none sends nothing. */
static void test_zero_packets(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v4();

	ipfix_msg_init(&m, buf, sizeof(buf), 1, 0, 0);
	f.up_packets = 0;
	f.up_bytes = 0;
	assert_int_equal(ipfix_put_flow(&m, &f), 1);
	/* the one record is the down record: flowDirection 1, peer first */
	size_t rec = IPFIX_HDR_LEN + 4;

	assert_memory_equal(buf + rec, "\xc0\x00\x02\x01", 4);
	assert_int_equal(buf[rec + 47], IPFIX_DIR_DOWN);
	f.down_packets = 0;
	assert_int_equal(ipfix_flow_len(&m, &f), 0);
	assert_int_equal(ipfix_put_flow(&m, &f), 0);
	assert_int_equal(m.records, 1);
	assert_int_equal(ipfix_msg_finish(&m),
			 IPFIX_HDR_LEN + 4 + IPFIX_REC_IPV4_LEN);
}

/* Header sequence numbers: records before the message, mod 2^32. */
static void test_sequence(void **state)
{
	(void)state;
	uint8_t buf[1400];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v4();
	uint32_t seq = UINT32_MAX - 2;
	static const uint32_t want[] = { UINT32_MAX - 2, 1, 5 };

	for (int i = 0; i < 3; i++) {
		ipfix_msg_init(&m, buf, sizeof(buf), 9, seq, 100);
		if (i == 0)
			assert_int_equal(ipfix_put_templates(&m), 0);
		for (int k = 0; k < 2; k++)
			assert_int_equal(ipfix_put_flow(&m, &f), 2);
		ipfix_msg_finish(&m);
		uint32_t hdr = (uint32_t)buf[8] << 24 | buf[9] << 16 |
			       buf[10] << 8 | buf[11];

		assert_int_equal(hdr, want[i]);
		/* template records do not count */
		assert_int_equal(m.records, 4);
		seq = ipfix_msg_next_seq(&m);
	}
	assert_int_equal(seq, 9);
	/* options records are data records: they count */
	ipfix_msg_init(&m, buf, sizeof(buf), 9, seq, 100);
	assert_int_equal(ipfix_put_loss(&m, 1, 5), 0);
	assert_int_equal(ipfix_msg_next_seq(&m), 10);
}

/* MTU packing: exactly N flows fit, the N+1st is -ENOSPC, no change. */
static void test_mtu_packing(void **state)
{
	(void)state;
	uint8_t buf[1400], copy[1400];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v4();
	/* 1400 = 16 + 4 + 10 * (2 * 68) + 20: ten flows, not eleven */
	int n = 0;

	ipfix_msg_init(&m, buf, sizeof(buf), 1, 0, 0);
	while (ipfix_put_flow(&m, &f) == 2)
		n++;
	assert_int_equal(n, 10);
	size_t len = m.len;

	memcpy(copy, buf, len);
	assert_int_equal(ipfix_put_flow(&m, &f), -ENOSPC);
	assert_int_equal(ipfix_put_templates(&m), -ENOSPC);
	assert_int_equal(m.len, len);
	assert_int_equal(m.records, 20);
	assert_memory_equal(buf, copy, len);
	/* one record (down only) still fits: 20 bytes free < 68, no */
	f.up_packets = 0;
	assert_int_equal(ipfix_put_flow(&m, &f), -ENOSPC);
	assert_int_equal(ipfix_msg_finish(&m), 16 + 4 + 10 * 136);

	/* Exactly full: a cap of header + set + 2 records takes one flow. */
	ipfix_msg_init(&m, buf, 16 + 4 + 136, 1, 0, 0);
	f = flow_v4();
	assert_int_equal(ipfix_put_flow(&m, &f), 2);
	assert_int_equal(ipfix_put_flow(&m, &f), -ENOSPC);
	assert_int_equal(ipfix_msg_finish(&m), 156);
	/* one byte less: the flow does not fit (both or nothing) */
	ipfix_msg_init(&m, buf, 16 + 4 + 135, 1, 0, 0);
	assert_int_equal(ipfix_put_flow(&m, &f), -ENOSPC);
	assert_int_equal(m.records, 0);
	assert_int_equal(ipfix_msg_finish(&m), 16);

	/* A v6 flow after v4 records opens a new set (4 more bytes). */
	ipfix_msg_init(&m, buf, sizeof(buf), 1, 0, 0);
	struct muisp_nl_flow g = flow_v6();

	assert_int_equal(ipfix_put_flow(&m, &f), 2);
	assert_int_equal(ipfix_flow_len(&m, &g), 4 + IPFIX_REC_IPV6_LEN);
	assert_int_equal(ipfix_put_flow(&m, &g), 1);
	assert_int_equal(ipfix_flow_len(&m, &g), IPFIX_REC_IPV6_LEN);
	assert_int_equal(ipfix_msg_finish(&m), 16 + 4 + 136 + 4 + 104);
	/* set lengths: 4 + 136 at 16, 4 + 104 at 156 */
	assert_memory_equal(buf + 16, "\x01\x00\x00\x8c", 4);
	assert_memory_equal(buf + 156, "\x01\x01\x00\x6c", 4);

	/* Too small for even the header: nothing, and no write. */
	memset(buf, 0, sizeof(buf));
	ipfix_msg_init(&m, buf, 15, 1, 0, 0);
	assert_int_equal(ipfix_put_flow(&m, &f), -ENOSPC);
	assert_int_equal(ipfix_put_loss(&m, 1, 1), -ENOSPC);
	assert_int_equal(ipfix_msg_finish(&m), 0);
	assert_int_equal(buf[0], 0);
	/* Over 65535: clamped to what the header can say. */
	ipfix_msg_init(&m, buf, 1 << 20, 1, 0, 0);
	assert_int_equal(m.cap, IPFIX_MAX_LEN);
}

/* The bytes may move to another buffer mid-message (ipfixd's queue). */
static void test_move(void **state)
{
	(void)state;
	uint8_t a[1400], b[1400], direct[1400];
	struct ipfix_msg m, d;
	struct muisp_nl_flow f = flow_v4(), g = flow_v6();

	ipfix_msg_init(&d, direct, sizeof(direct), 3, 10, 20);
	ipfix_put_templates(&d);
	ipfix_put_flow(&d, &f);
	ipfix_put_flow(&d, &f);
	ipfix_put_flow(&d, &g);
	size_t len = ipfix_msg_finish(&d);

	ipfix_msg_init(&m, a, sizeof(a), 3, 10, 20);
	ipfix_put_templates(&m);
	ipfix_put_flow(&m, &f);
	memset(b, 0xee, sizeof(b));
	memcpy(b, a, m.len);
	memset(a, 0, sizeof(a));
	m.buf = b;
	assert_int_equal(ipfix_put_flow(&m, &f), 2);
	assert_int_equal(ipfix_put_flow(&m, &g), 1);
	assert_int_equal(ipfix_msg_finish(&m), len);
	assert_memory_equal(b, direct, len);
}

static void test_options_record(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct ipfix_msg m;

	ipfix_msg_init(&m, buf, sizeof(buf), 7, 0, 1);
	assert_int_equal(ipfix_put_templates(&m), 0);
	assert_int_equal(ipfix_put_loss(&m, 0x01020304, 0x1122334455667788), 0);
	assert_int_equal(ipfix_msg_finish(&m), 16 + IPFIX_TEMPLATES_LEN + 16);
	assert_memory_equal(buf + 16 + IPFIX_TEMPLATES_LEN,
			    "\x01\x02\x00\x10\x01\x02\x03\x04"
			    "\x11\x22\x33\x44\x55\x66\x77\x88",
			    16);
}

static void test_bad_family(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct ipfix_msg m;
	struct muisp_nl_flow f = flow_v4();

	ipfix_msg_init(&m, buf, sizeof(buf), 7, 0, 1);
	f.peer_addr.family = AF_INET6;
	assert_int_equal(ipfix_put_flow(&m, &f), -EINVAL);
	assert_int_equal(ipfix_put_record(&m, &f, IPFIX_DIR_UP), -EINVAL);
	f.client_addr.family = f.peer_addr.family = 0;
	assert_int_equal(ipfix_put_flow(&m, &f), -EINVAL);
	assert_int_equal(ipfix_flow_len(&m, &f), 0);
	assert_int_equal(m.len, IPFIX_HDR_LEN);
}

static void test_end_reasons(void **state)
{
	(void)state;
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_IDLE),
			 IPFIX_END_IDLE_TIMEOUT);
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_CLOSED),
			 IPFIX_END_OF_FLOW_DETECTED);
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_EVICTED),
			 IPFIX_END_LACK_OF_RESOURCES);
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_FLUSH),
			 IPFIX_END_FORCED_END);
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_REBIND),
			 IPFIX_END_FORCED_END);
	assert_int_equal(ipfix_end_reason(MUISP_FLOW_END_UNSPEC),
			 IPFIX_END_FORCED_END);
	assert_int_equal(ipfix_end_reason(200), IPFIX_END_FORCED_END);
	/* every value the kernel may send maps to a registry value 1..5 */
	for (int e = 0; e <= MUISP_FLOW_END_MAX; e++) {
		uint8_t r = ipfix_end_reason((uint8_t)e);

		assert_true(r >= 1 && r <= 5);
	}
}

/*
 * Refresh on a fixed clock: interval 60 s, every 4th message.  Messages
 * at t = 0, 1, 2, 3, 4 (4th: count), then one every 30 s (time).
 */
static void test_refresh(void **state)
{
	(void)state;
	struct ipfix_refresh r;
	static const struct {
		uint64_t t;
		bool due;
	} steps[] = {
		{ 0, true }, /* first message */
		{ 1, false },  { 2, false },
		{ 3, false },  { 4, true }, /* 4th message since: count */
		{ 5, false },  { 35, false },
		{ 64, true }, /* 60 s since t=4: time (3rd message) */
		{ 65, false }, { 123, false },
		{ 124, true }, /* exactly 60 s */
		{ 100, true }, /* clock stepped back */
	};

	ipfix_refresh_init(&r, 60, 4);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool due = ipfix_refresh_due(&r, steps[i].t);

		if (due != steps[i].due)
			fail_msg("step %zu t=%llu: due %d", i,
				 (unsigned long long)steps[i].t, due);
		ipfix_refresh_sent(&r, steps[i].t, due);
	}

	/* Count only (interval 0); every message (1); never again (0, 0). */
	ipfix_refresh_init(&r, 0, 2);
	assert_true(ipfix_refresh_due(&r, 0));
	ipfix_refresh_sent(&r, 0, true);
	assert_false(ipfix_refresh_due(&r, 100000));
	ipfix_refresh_sent(&r, 100000, false);
	assert_true(ipfix_refresh_due(&r, 100000));
	ipfix_refresh_init(&r, 0, 1);
	ipfix_refresh_sent(&r, 0, true);
	assert_true(ipfix_refresh_due(&r, 0));
	ipfix_refresh_init(&r, 0, 0);
	ipfix_refresh_sent(&r, 0, true);
	for (int i = 0; i < 1000; i++)
		ipfix_refresh_sent(&r, (uint64_t)i * 1000, false);
	assert_false(ipfix_refresh_due(&r, 1000000));
	/* reset: a new collector gets them in the next message */
	ipfix_refresh_reset(&r);
	assert_true(ipfix_refresh_due(&r, 1000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_message),
		cmocka_unit_test(test_v6_message),
		cmocka_unit_test(test_zero_packets),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_mtu_packing),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_options_record),
		cmocka_unit_test(test_bad_family),
		cmocka_unit_test(test_end_reasons),
		cmocka_unit_test(test_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
