// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd wire format: canned packets, every drop class, overload,
 * RFC 3396 concatenation, encoder splitting and overload, UDP framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/dhcpd/io.h"
#include "dhcp_msg.h"
#include "udp4.h"
#include "test_dhcp_build.h"

static struct dhcp_msg m;
static struct tpkt p;
static struct dhcp_out o;

/* A DISCOVER as dhclient sends it, captured byte for byte (fields that
 * matter; zero padding elided by the builder). */
static void canned_discover(struct tpkt *t)
{
	static const uint8_t params[] = { 1,  28, 2,  3,  15,  6, 119,
					  12, 44, 47, 26, 121, 42 };
	static const uint8_t cid[] = { 1, 2, 0, 0, 0, 0, 7 };
	uint8_t mms[2] = { 0x02, 0x40 }; /* 576 */

	tpkt_init(t, 7, 0x11223344);
	t->b[10] = 0x80; /* broadcast flag */
	tpkt_type(t, 1);
	tpkt_opt(t, 61, cid, sizeof(cid));
	tpkt_opt(t, 57, mms, 2);
	tpkt_opt(t, 55, params, sizeof(params));
	tpkt_opt(t, 12, "alice", 5);
	tpkt_addr(t, 50, "192.0.2.100");
	tpkt_end(t);
}

static void test_canned_discover(void **state)
{
	const uint8_t *v;
	size_t len;

	canned_discover(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	assert_int_equal(m.type, DHCPDISCOVER);
	assert_int_equal(m.op, BOOTREQUEST);
	assert_int_equal(m.hlen, 6);
	assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(m.xid, 0x11223344);
	assert_int_equal(m.chaddr[0], 2);
	assert_int_equal(m.chaddr[5], 7);
	v = dhcp_opt(&m, OPT_HOSTNAME, &len);
	assert_non_null(v);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "alice", 5);
	v = dhcp_opt(&m, OPT_CLIENT_ID, &len);
	assert_int_equal(len, 7);
	assert_int_equal(v[0], 1);
	assert_int_equal(v[6], 7);
	v = dhcp_opt(&m, OPT_PARAM_LIST, &len);
	assert_int_equal(len, 13);
	assert_int_equal(ntohl(dhcp_opt_addr(&m, OPT_REQUESTED_IP)),
			 tip("192.0.2.100"));
	assert_int_equal(dhcp_opt_addr(&m, OPT_SERVER_ID), 0);
	assert_false(dhcp_has_opt(&m, OPT_SERVER_ID));
	assert_true(dhcp_has_opt(&m, OPT_MAX_MSG_SIZE));
	assert_int_equal(dhcp_reply_max(&m), 548);
	assert_int_equal(m.overload, 0);
}

static void test_every_type(void **state)
{
	uint8_t t;

	for (t = 1; t <= 8; t++) {
		tpkt_init(&p, 1, 1);
		tpkt_type(&p, t);
		tpkt_end(&p);
		assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
				 DHCP_OK);
		assert_int_equal(m.type, t);
	}
}

static void test_truncated(void **state)
{
	canned_discover(&p);
	assert_int_equal(dhcp_parse(p.b, 0, BOOTREQUEST, &m),
			 DHCP_ERR_TRUNCATED);
	assert_int_equal(dhcp_parse(p.b, 100, BOOTREQUEST, &m),
			 DHCP_ERR_TRUNCATED);
	assert_int_equal(dhcp_parse(p.b, 239, BOOTREQUEST, &m),
			 DHCP_ERR_TRUNCATED);
	/* Header + cookie only: parses, but there is no message type. */
	assert_int_equal(dhcp_parse(p.b, 240, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_TYPE);
	/* Cut in the middle of option 61's value. */
	assert_int_equal(dhcp_parse(p.b, 246, BOOTREQUEST, &m),
			 DHCP_ERR_OPT_OVERFLOW);
	/* Cut right after an option code. */
	assert_int_equal(dhcp_parse(p.b, 244, BOOTREQUEST, &m),
			 DHCP_ERR_OPT_OVERFLOW);
}

static void test_oversized(void **state)
{
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	p.len = DHCP_MAX_PACKET + 1;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_OVERSIZED);
	/* Exactly the limit is fine (PAD after END). */
	assert_int_equal(dhcp_parse(p.b, DHCP_MAX_PACKET, BOOTREQUEST, &m),
			 DHCP_OK);
}

static void test_bad_header(void **state)
{
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	p.b[239] = 0x64;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_MAGIC);
	p.b[239] = 0x63;
	p.b[0] = 2;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_OP);
	p.b[0] = 1;
	p.b[2] = 17;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_HLEN);
	p.b[2] = 16;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
}

static void test_option_overflow(void **state)
{
	static const uint8_t over[] = { 12, 200, 'x', 'y' };

	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_raw(&p, over, sizeof(over));
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_OPT_OVERFLOW);
}

static void test_bad_type(void **state)
{
	uint8_t two[2] = { 1, 1 }, nine = 9, zero = 0;

	tpkt_init(&p, 1, 1);
	tpkt_opt(&p, 53, two, 2);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_TYPE);
	tpkt_init(&p, 1, 1);
	tpkt_opt(&p, 53, &nine, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_TYPE);
	tpkt_init(&p, 1, 1);
	tpkt_opt(&p, 53, &zero, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_TYPE);
}

static void test_bad_option_lengths(void **state)
{
	static const struct {
		uint8_t code, len;
	} bad[] = {
		{ 50, 3 }, { 50, 5 }, { 54, 2 }, { 54, 8 },
		{ 57, 1 }, { 57, 3 }, { 61, 1 }, { 61, 0 },
	};
	uint8_t zeros[8] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tpkt_init(&p, 1, 1);
		tpkt_type(&p, 3);
		tpkt_opt(&p, bad[i].code, zeros, bad[i].len);
		tpkt_end(&p);
		assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
				 DHCP_ERR_BAD_OPTLEN);
	}
}

static void test_end_and_pad(void **state)
{
	static const uint8_t junk[] = { 12, 250, 1 };

	tpkt_init(&p, 1, 1);
	tpkt_raw(&p, "\0\0\0", 3);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	/* After END nothing is parsed, not even an overflowing option. */
	tpkt_raw(&p, junk, sizeof(junk));
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	assert_false(dhcp_has_opt(&m, OPT_HOSTNAME));
	/* No END at all: accepted up to the end of the datagram. */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
}

static void test_split_option_concatenated(void **state)
{
	const uint8_t *v;
	size_t len;

	tpkt_init(&p, 1, 1);
	tpkt_opt(&p, 6, "\x0a\x00\x00\x01", 4);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 6, "\x0a\x00\x00\x02", 4);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	v = dhcp_opt(&m, 6, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
}

static void test_overload_both(void **state)
{
	const uint8_t *v;
	uint8_t ov = 3;
	size_t len;

	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 3);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_opt(&p, 12, "ab", 2);
	tpkt_end(&p);
	/* file: rest of the hostname, then a requested address */
	memcpy(p.b + DHCP_FILE_OFF,
	       "\x0c\x02"
	       "cd"
	       "\x32\x04\xc0\x00\x02\x05"
	       "\xff",
	       11);
	/* sname: the end of the hostname, a server id */
	memcpy(p.b + DHCP_SNAME_OFF,
	       "\x0c\x01"
	       "e"
	       "\x36\x04\xc0\x00\x02\x01"
	       "\xff",
	       10);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	assert_int_equal(m.overload, 3);
	v = dhcp_opt(&m, OPT_HOSTNAME, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(v, "abcde", 5); /* options, file, sname */
	assert_int_equal(ntohl(dhcp_opt_addr(&m, OPT_REQUESTED_IP)),
			 tip("192.0.2.5"));
	assert_int_equal(ntohl(dhcp_opt_addr(&m, OPT_SERVER_ID)),
			 tip("192.0.2.1"));
}

static void test_overload_file_only(void **state)
{
	uint8_t ov = 1;

	tpkt_init(&p, 1, 1);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_end(&p);
	/* The message type lives in the file field. */
	memcpy(p.b + DHCP_FILE_OFF, "\x35\x01\x01\xff", 4);
	/* sname is not overloaded: garbage there is ignored. */
	memcpy(p.b + DHCP_SNAME_OFF, "\x0c\xff", 2);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	assert_int_equal(m.type, DHCPDISCOVER);
}

static void test_overload_errors(void **state)
{
	uint8_t ov = 1, bad = 4, two[2] = { 1, 1 };

	/* An option in the file field overflows the field. */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_end(&p);
	p.b[DHCP_FILE_OFF + 126] = 12;
	p.b[DHCP_FILE_OFF + 127] = 5;
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_OPT_OVERFLOW);
	/* Option 52 inside the overloaded field. */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_end(&p);
	memcpy(p.b + DHCP_FILE_OFF, "\x34\x01\x02\xff", 4);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_OVERLOAD);
	/* Bad value, bad length, twice. */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 52, &bad, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_OVERLOAD);
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 52, two, 2);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_OVERLOAD);
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_opt(&p, 52, &ov, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m),
			 DHCP_ERR_BAD_OVERLOAD);
}

static void test_perr_names(void **state)
{
	assert_string_equal(dhcp_perr_str(DHCP_ERR_OPT_OVERFLOW),
			    "option-overflow");
	assert_string_equal(dhcp_perr_str(DHCP_ERR__MAX), "unknown");
}

/* Encode a reply, flip it to a request and parse it back. */
static size_t reparse(struct dhcp_out *out)
{
	size_t len = dhcp_out_finish(out);

	out->buf[0] = BOOTREQUEST;
	assert_int_equal(dhcp_parse(out->buf, len, BOOTREQUEST, &m), DHCP_OK);
	return len;
}

static void test_encode_basic(void **state)
{
	const uint8_t *v;
	size_t len;

	canned_discover(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	dhcp_out_init(&o, &m, dhcp_reply_max(&m));
	assert_int_equal(o.buf[0], BOOTREPLY);
	assert_memory_equal(o.buf + 4, p.b + 4, 4);    /* xid */
	assert_memory_equal(o.buf + 28, p.b + 28, 16); /* chaddr */
	assert_int_equal(o.buf[10], 0x80);	       /* flags */
	assert_int_equal(dhcp_out_put_u8(&o, OPT_MSG_TYPE, DHCPOFFER), 0);
	assert_int_equal(dhcp_out_put_u32(&o, OPT_LEASE_TIME, 3600), 0);
	assert_int_equal(dhcp_out_put(&o, OPT_DOMAIN_NAME, "ex.net", 6), 0);
	assert_int_equal(dhcp_out_put(&o, OPT_END, "", 0), -1);
	assert_int_equal(dhcp_out_put(&o, OPT_OVERLOAD, "\x01", 1), -1);
	len = reparse(&o);
	assert_int_equal(len, 300); /* padded to BOOTP minimum */
	assert_int_equal(m.type, DHCPOFFER);
	assert_int_equal(m.overload, 0);
	v = dhcp_opt(&m, OPT_LEASE_TIME, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "\x00\x00\x0e\x10", 4);
}

static void test_encode_long_option_split(void **state)
{
	uint8_t big[600];
	const uint8_t *v;
	size_t len, i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	dhcp_out_init(&o, &m, DHCP_DEFAULT_REPLY);
	dhcp_out_put_u8(&o, OPT_MSG_TYPE, DHCPACK);
	assert_int_equal(dhcp_out_put(&o, 224, big, sizeof(big)), 0);
	/* 255 + 255 + 90 in three instances */
	assert_int_equal(o.buf[243], 224);
	assert_int_equal(o.buf[244], 255);
	assert_int_equal(o.buf[243 + 257], 224);
	assert_int_equal(o.buf[243 + 257 + 1], 255);
	assert_int_equal(o.buf[243 + 514 + 1], 90);
	reparse(&o);
	v = dhcp_opt(&m, 224, &len);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(v, big, sizeof(big));
}

static void test_encode_overload(void **state)
{
	uint8_t val[200];
	const uint8_t *v;
	size_t len;
	int i;

	memset(val, 0xab, sizeof(val));
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	assert_int_equal(dhcp_parse(p.b, p.len, BOOTREQUEST, &m), DHCP_OK);
	/* 548 bytes: 308 of options field, minus 4 reserved */
	dhcp_out_init(&o, &m, 548);
	dhcp_out_put_u8(&o, OPT_MSG_TYPE, DHCPACK);
	assert_int_equal(dhcp_out_put(&o, 224, val, 200), 0);
	assert_int_equal(o.overload, 0);
	/* Does not fit the options field any more: goes to file. */
	assert_int_equal(dhcp_out_put(&o, 225, val, 100), 0);
	assert_int_equal(o.overload, 1);
	/* file has 127 - 102 left: 40 bytes go to sname. */
	assert_int_equal(dhcp_out_put(&o, 226, val, 40), 0);
	assert_int_equal(o.overload, 3);
	/* Nothing more fits anywhere. */
	assert_int_equal(dhcp_out_put(&o, 227, val, 60), -1);
	reparse(&o);
	assert_int_equal(m.overload, 3);
	for (i = 224; i <= 226; i++) {
		v = dhcp_opt(&m, (uint8_t)i, &len);
		assert_non_null(v);
		assert_int_equal(len, i == 224 ? 200 : i == 225 ? 100 : 40);
		assert_int_equal(v[0], 0xab);
	}
	assert_false(dhcp_has_opt(&m, 227));
	assert_int_equal(m.type, DHCPACK);
}

static void test_reply_max(void **state)
{
	uint8_t mms[2];

	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_end(&p);
	dhcp_parse(p.b, p.len, BOOTREQUEST, &m);
	assert_int_equal(dhcp_reply_max(&m), DHCP_DEFAULT_REPLY);
	mms[0] = 0x05;
	mms[1] = 0xdc; /* 1500 */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 57, mms, 2);
	dhcp_parse(p.b, p.len, BOOTREQUEST, &m);
	assert_int_equal(dhcp_reply_max(&m), 1472);
	mms[0] = 0;
	mms[1] = 10; /* nonsense: clamp to 548 */
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 57, mms, 2);
	dhcp_parse(p.b, p.len, BOOTREQUEST, &m);
	assert_int_equal(dhcp_reply_max(&m), 548);
	mms[0] = 0xff;
	mms[1] = 0xff;
	tpkt_init(&p, 1, 1);
	tpkt_type(&p, 1);
	tpkt_opt(&p, 57, mms, 2);
	dhcp_parse(p.b, p.len, BOOTREQUEST, &m);
	assert_int_equal(dhcp_reply_max(&m), 1472);
}

static uint16_t fold(const uint8_t *b, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_udp_frame(void **state)
{
	uint8_t out[600], payload[301], pseudo[12];
	uint32_t src = htonl(tip("192.0.2.1")), dst = htonl(tip("192.0.2.100"));
	size_t len, i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	len = udp4_build(out, sizeof(out), src, dst, 67, 68, payload,
			 sizeof(payload));
	assert_int_equal(len, 20 + 8 + 301);
	assert_int_equal(out[0], 0x45);
	assert_int_equal(out[2] << 8 | out[3], 329);
	assert_int_equal(out[9], 17);
	assert_int_equal(fold(out, 20, 0), 0xffff); /* IP checksum */
	assert_int_equal(out[20] << 8 | out[21], 67);
	assert_int_equal(out[22] << 8 | out[23], 68);
	assert_int_equal(out[24] << 8 | out[25], 309);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = out[24];
	pseudo[11] = out[25];
	assert_int_equal(fold(out + 20, 309, fold(pseudo, 12, 0)), 0xffff);
	assert_memory_equal(out + 28, payload, sizeof(payload));
	assert_int_equal(udp4_build(out, 100, src, dst, 67, 68, payload,
				    sizeof(payload)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canned_discover),
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_option_overflow),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_bad_option_lengths),
		cmocka_unit_test(test_end_and_pad),
		cmocka_unit_test(test_split_option_concatenated),
		cmocka_unit_test(test_overload_both),
		cmocka_unit_test(test_overload_file_only),
		cmocka_unit_test(test_overload_errors),
		cmocka_unit_test(test_perr_names),
		cmocka_unit_test(test_encode_basic),
		cmocka_unit_test(test_encode_long_option_split),
		cmocka_unit_test(test_encode_overload),
		cmocka_unit_test(test_reply_max),
		cmocka_unit_test(test_udp_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
