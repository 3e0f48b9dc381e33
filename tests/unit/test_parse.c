// SPDX-License-Identifier: GPL-2.0
/*
 * lib/parse: the value parsers of the daemons' configurations and the
 * tools' command lines -- every accepted form and every "why".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "muisp_nl.h"
#include "parse.h"
#include "proto.h"

static const char *why;

static void test_uint(void **state)
{
	uint64_t v;

	assert_int_equal(parse_uint("0", 10, &v, &why), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
		parse_uint("18446744073709551615", UINT64_MAX, &v, &why), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(
		parse_uint("18446744073709551616", UINT64_MAX, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_uint("11", 10, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_uint("-1", 10, &v, &why), -1);
	assert_string_equal(why, "not a decimal number");
	assert_int_equal(parse_uint("", 10, &v, &why), -1);
	assert_string_equal(why, "empty value");
	assert_int_equal(parse_uint("0x10", 100, &v, &why), -1);
	assert_int_equal(parse_uint_hex("0x10", 100, &v, &why), 0);
	assert_int_equal(v, 16);
	assert_int_equal(parse_uint_hex("0xC1234567", UINT32_MAX, &v, &why), 0);
	assert_int_equal(v, 0xc1234567);
	assert_int_equal(parse_uint_hex("42", 100, &v, &why), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_uint_hex("0x100000000", UINT32_MAX, &v, &why),
			 -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_uint_hex("0x", 100, &v, &why), -1);
	assert_int_equal(parse_uint_hex("0xg1", 100, &v, &why), -1);
	assert_int_equal(parse_uint_hex("0x65", 100, &v, &why), -1);
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "1500", 1500 },
		{ "1k", 1000 },
		{ "1K", 1000 },
		{ "1M", 1000000 },
		{ "2M", 2000000 },
		{ "1.5G", 1500000000 },
		{ "3T", 3000000000000ULL },
		{ "1Ki", 1024 },
		{ "2Mi", 2097152 },
		{ "1Gi", 1073741824 },
		{ "0.5Ki", 512 },
		{ "1.000M", 1000000 },
	};
	static const struct {
		const char *s;
		const char *why;
	} bad[] = {
		{ "", "not a number" },
		{ "M", "not a number" },
		{ "1X", "unknown unit" },
		{ "1m", "unknown unit" },
		{ "1.5", "not a whole number" },
		{ "1.0001k", "not a whole number" },
		{ "18446744073709551616", "too large" },
		{ "18446744073709552T", "too large" },
		{ "1 M", "unknown unit" },
		{ "-1", "not a number" },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		assert_int_equal(parse_size(ok[i].s, &v, &why), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse_size(bad[i].s, &v, &why), -1);
		assert_string_equal(why, bad[i].why);
	}
	assert_int_equal(parse_size("18446744073709551615", &v, &why), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_duration(void **state)
{
	uint64_t v;

	assert_int_equal(parse_duration_ms("30", &v, &why), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(parse_duration_ms("250ms", &v, &why), 0);
	assert_int_equal(v, 250);
	assert_int_equal(parse_duration_ms("1.5s", &v, &why), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(parse_duration_ms("30m", &v, &why), 0);
	assert_int_equal(v, 1800000);
	assert_int_equal(parse_duration_ms("2min", &v, &why), 0);
	assert_int_equal(v, 120000);
	assert_int_equal(parse_duration_ms("1h", &v, &why), 0);
	assert_int_equal(v, 3600000);
	assert_int_equal(parse_duration_ms("7d", &v, &why), 0);
	assert_int_equal(v, 604800000);
	assert_int_equal(parse_duration_ms("1.5ms", &v, &why), -1);
	assert_string_equal(why, "not a whole number");
	assert_int_equal(parse_duration_ms("1M", &v, &why), -1);
	assert_string_equal(why, "unknown unit");
	assert_int_equal(parse_duration_s("90", &v, &why), 0);
	assert_int_equal(v, 90);
	assert_int_equal(parse_duration_s("1.5m", &v, &why), 0);
	assert_int_equal(v, 90);
	assert_int_equal(parse_duration_s("1500ms", &v, &why), -1);
	assert_string_equal(why, "not a whole number of seconds");
}

static void test_addresses(void **state)
{
	struct muisp_nl_ip ip;
	uint8_t len, mac[6];

	assert_int_equal(parse_ip("192.0.2.10", &ip, &why), 0);
	assert_int_equal(ip.family, AF_INET);
	assert_memory_equal(ip.a, "\xc0\x00\x02\x0a", 4);
	assert_int_equal(parse_ip("2001:db8:1::10", &ip, &why), 0);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(parse_ip("192.0.2.300", &ip, &why), -1);
	assert_string_equal(why, "not an IPv4 or IPv6 address");
	assert_int_equal(parse_ip("192.0.2.0/24", &ip, &why), -1);

	assert_int_equal(parse_prefix("192.0.2.0/24", &ip, &len, &why), 0);
	assert_int_equal(len, 24);
	assert_int_equal(ip.family, AF_INET);
	assert_memory_equal(ip.a, "\xc0\x00\x02\x00", 4);
	assert_int_equal(parse_prefix("192.0.2.66", &ip, &len, &why), 0);
	assert_int_equal(len, 32);
	assert_int_equal(parse_prefix("0.0.0.0/0", &ip, &len, &why), 0);
	assert_int_equal(len, 0);
	assert_int_equal(parse_prefix("2001:db8:1::/64", &ip, &len, &why), 0);
	assert_int_equal(len, 64);
	assert_int_equal(parse_prefix("2001:db8:1::66", &ip, &len, &why), 0);
	assert_int_equal(len, 128);
	assert_int_equal(parse_prefix("192.0.2.1/24", &ip, &len, &why), -1);
	assert_string_equal(why, "host bits set beyond the prefix length");
	assert_int_equal(parse_prefix("2001:db8:1::1/127", &ip, &len, &why),
			 -1);
	assert_string_equal(why, "host bits set beyond the prefix length");
	assert_int_equal(parse_prefix("192.0.2.0/33", &ip, &len, &why), -1);
	assert_string_equal(why, "bad prefix length");
	assert_int_equal(parse_prefix("192.0.2.0/", &ip, &len, &why), -1);
	assert_int_equal(parse_prefix("x/8", &ip, &len, &why), -1);
	assert_string_equal(why, "not an IPv4 or IPv6 prefix");

	assert_int_equal(parse_mac("02:00:00:00:00:66", mac, &why), 0);
	assert_memory_equal(mac, "\x02\x00\x00\x00\x00\x66", 6);
	assert_int_equal(parse_mac("0A:bC:00:00:00:ff", mac, &why), 0);
	assert_memory_equal(mac, "\x0a\xbc\x00\x00\x00\xff", 6);
	assert_int_equal(parse_mac("02:00:00:00:00", mac, &why), -1);
	assert_int_equal(parse_mac("02:00:00:00:00:66:", mac, &why), -1);
	assert_int_equal(parse_mac("02-00-00-00-00-66", mac, &why), -1);
	assert_int_equal(parse_mac("2:0:0:0:0:66", mac, &why), -1);
	assert_int_equal(parse_mac("02:00:00:00:00:6g", mac, &why), -1);
	assert_string_equal(why, "not a MAC address (xx:xx:xx:xx:xx:xx)");
}

/* ip_ntop: inet_ntop's text, IPv4 without printf: every width of every
 * byte, and IPv6 and a short buffer handed to inet_ntop. */
static void test_ip_ntop(void **state)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint8_t v4[4], v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	(void)state;
	for (unsigned i = 0; i < 256; i++) {
		v4[0] = (uint8_t)i;
		v4[1] = (uint8_t)(255 - i);
		v4[2] = (uint8_t)(i * 7);
		v4[3] = (uint8_t)(i % 10);
		assert_ptr_equal(ip_ntop(AF_INET, v4, a, sizeof(a)), a);
		assert_non_null(inet_ntop(AF_INET, v4, b, sizeof(b)));
		assert_string_equal(a, b);
	}
	assert_string_equal(ip_ntop(AF_INET6, v6, a, sizeof(a)), "2001:db8::1");
	assert_null(
		ip_ntop(AF_INET, v4, a, 4)); /* no room: inet_ntop's ENOSPC */
}

static void test_ports_proto_bool(void **state)
{
	uint16_t lo, hi;
	uint8_t p;
	char buf[12];

	assert_int_equal(parse_ports("80", &lo, &hi, &why), 0);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	assert_int_equal(parse_ports("80-443", &lo, &hi, &why), 0);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 443);
	assert_int_equal(parse_ports("443-80", &lo, &hi, &why), -1);
	assert_string_equal(why, "range start above its end");
	assert_int_equal(parse_ports("1-65536", &lo, &hi, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(parse_ports("-80", &lo, &hi, &why), -1);
	assert_int_equal(parse_ports("http", &lo, &hi, &why), -1);

	assert_int_equal(parse_proto("tcp", &p, &why), 0);
	assert_int_equal(p, 6);
	assert_int_equal(parse_proto("UDP", &p, &why), 0);
	assert_int_equal(p, 17);
	assert_int_equal(parse_proto("icmpv6", &p, &why), 0);
	assert_int_equal(p, 58);
	assert_int_equal(parse_proto("any", &p, &why), 0);
	assert_int_equal(p, 0);
	assert_int_equal(parse_proto("132", &p, &why), 0);
	assert_int_equal(p, 132);
	assert_int_equal(parse_proto("256", &p, &why), -1);
	assert_string_equal(why, "not a protocol name or number 0-255");
	assert_int_equal(parse_proto("tcpp", &p, &why), -1);

	assert_int_equal(parse_bool("on", &p, &why), 0);
	assert_int_equal(p, 1);
	assert_int_equal(parse_bool("no", &p, &why), 0);
	assert_int_equal(p, 0);
	assert_int_equal(parse_bool("maybe", &p, &why), -1);
	assert_string_equal(why, "expected on or off");
	assert_string_equal(proto_name(6, buf), "tcp");
	assert_string_equal(proto_name(0, buf), "0");
	assert_string_equal(proto_name(99, buf), "99");
}

static void test_bool_forms(void **state)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	static const char *const bad[] = { "", "YES", "2", "y", "onn" };
	uint8_t v;
	size_t i;

	for (i = 0; i < 4; i++) {
		v = 7;
		assert_int_equal(parse_bool(yes[i], &v, &why), 0);
		assert_int_equal(v, 1);
		assert_int_equal(parse_bool(no[i], &v, &why), 0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(parse_bool(bad[i], &v, &why), -1);
		assert_string_equal(why, "expected on or off");
	}
}

static void test_ip4(void **state)
{
	uint32_t a = 0;

	assert_int_equal(parse_ip4("192.0.2.10", &a, &why), 0);
	assert_int_equal(a, 0xc000020a); /* host byte order */
	assert_int_equal(parse_ip4("0.0.0.0", &a, &why), 0);
	assert_int_equal(a, 0);
	assert_int_equal(parse_ip4("192.0.2.256", &a, &why), -1);
	assert_string_equal(why, "not an IPv4 address");
	assert_int_equal(parse_ip4("2001:db8::1", &a, &why), -1);
	assert_int_equal(parse_ip4("1.2.3", &a, &why), -1);
	assert_int_equal(parse_ip4("", &a, &why), -1);
}

static void test_hex_bytes(void **state)
{
	uint8_t b[8];
	size_t n = 0;

	assert_int_equal(parse_hex_bytes("01:aa:BB", b, sizeof(b), &n, &why),
			 0);
	assert_int_equal(n, 3);
	assert_memory_equal(b, "\x01\xaa\xbb", 3);
	assert_int_equal(parse_hex_bytes("02-00-00-00-00-66", b, 6, &n, &why),
			 0);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "\x02\x00\x00\x00\x00\x66", 6);
	assert_int_equal(parse_hex_bytes("ff", b, 1, &n, &why), 0);
	assert_int_equal(n, 1);
	/* Mixed separators are accepted as before (muisp-dhcpd.conf). */
	assert_int_equal(parse_hex_bytes("01-02:03", b, 8, &n, &why), 0);
	assert_int_equal(n, 3);
	assert_int_equal(parse_hex_bytes("01:02:03", b, 2, &n, &why), -1);
	assert_string_equal(why, "too many bytes");
	assert_int_equal(parse_hex_bytes("", b, 8, &n, &why), -1);
	assert_string_equal(why, "expected hex bytes (xx:xx:...)");
	assert_int_equal(parse_hex_bytes("01:", b, 8, &n, &why), -1);
	assert_int_equal(parse_hex_bytes("1:02", b, 8, &n, &why), -1);
	assert_int_equal(parse_hex_bytes("012", b, 8, &n, &why), -1);
	assert_int_equal(parse_hex_bytes("01:zz", b, 8, &n, &why), -1);
	assert_int_equal(parse_hex_bytes("01 02", b, 8, &n, &why), -1);
	assert_int_equal(n, 3); /* left alone by the failures */
}

static const char *colour(int i)
{
	static const char *const names[] = { "none", "red", "green", "blue" };

	return names[i];
}

static void test_expected(void **state)
{
	char buf[64], small[16];

	assert_string_equal(parse_expected(buf, sizeof(buf), colour, 1, 4),
			    "expected red, green or blue");
	assert_string_equal(parse_expected(buf, sizeof(buf), colour, 1, 3),
			    "expected red or green");
	assert_string_equal(parse_expected(buf, sizeof(buf), colour, 2, 3),
			    "expected green");
	/* Cut, never past the buffer. */
	assert_string_equal(parse_expected(small, sizeof(small), colour, 0, 4),
			    "expected none, ");
}

static void test_tag_method(void **state)
{
	uint8_t m = 99;

	assert_int_equal(parse_tag_method("packet", &m, &why), 0);
	assert_int_equal(m, MUISP_TAG_METHOD_PACKET);
	assert_int_equal(parse_tag_method("flow", &m, &why), 0);
	assert_int_equal(m, MUISP_TAG_METHOD_FLOW);
	assert_int_equal(parse_tag_method("hybrid", &m, &why), 0);
	assert_int_equal(m, MUISP_TAG_METHOD_HYBRID);
	assert_int_equal(parse_tag_method("flow", &m, &why), 0);
	assert_int_equal(parse_tag_method("FLOW", &m, &why), -1);
	assert_string_equal(why,
			    "expected packet, flow, hybrid, count or report");
	assert_int_equal(parse_tag_method("", &m, &why), -1);
	assert_int_equal(parse_tag_method("1", &m, &why), -1);
	assert_int_equal(m, MUISP_TAG_METHOD_FLOW); /* left alone */
	assert_null(tag_method_name_v[MUISP_TAG_METHOD_UNSPEC]);
}

/* the module's schemes, numbered as the control channel's SCHEME */
static void test_agent_scheme(void **state)
{
	uint8_t v = 99;

	(void)state;
	for (unsigned int i = 0; i < AGENT_SCHEME_NAMES; i++) {
		assert_int_equal(parse_agent_scheme(agent_scheme_name_v[i], &v,
						    &why),
				 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(v, MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET);
	assert_string_equal(agent_scheme_name_v[MP_SCHEME_STANDALONE],
			    "standalone");
	assert_int_equal(parse_agent_scheme("out-of-band-", &v, &why), -1);
	assert_int_equal(parse_agent_scheme("IN-BAND", &v, &why), -1);
	assert_int_equal(parse_agent_scheme("", &v, &why), -1);
	assert_string_equal(why, "not in-band, out-of-band, "
				 "out-of-band-packet or standalone");
	assert_int_equal(v, MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET); /* kept */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ip_ntop),
		cmocka_unit_test(test_ports_proto_bool),
		cmocka_unit_test(test_bool_forms),
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_hex_bytes),
		cmocka_unit_test(test_expected),
		cmocka_unit_test(test_tag_method),
		cmocka_unit_test(test_agent_scheme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
