// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd frame witnesses (daemon/dhcpd/witness.c): the IPv4/UDP
 * parser's refusals, and pairing datagrams with frames: oldest first,
 * each frame used once, the whole payload compared, the ring's limit. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/dhcpd/io.h"
#include "daemon/dhcpd/witness.h"

static uint8_t pkt[2048];

/* An IPv4/UDP packet 10.0.0.<s> -> 10.0.0.1, 68 -> 67, payload n bytes
 * of value v; returns its length. */
static size_t build(uint8_t s, uint8_t v, size_t n)
{
	uint8_t pay[1600];

	memset(pay, v, n);
	return io_build_udp(pkt, sizeof(pkt), htonl(0x0a000000u + s),
			    htonl(0x0a000001u), 68, 67, pay, n);
}

static void test_parse(void **state)
{
	struct wit_frame f;
	size_t len = build(5, 0xab, 300);

	assert_int_equal(wit_parse(pkt, len, &f), 0);
	assert_int_equal(f.saddr, htonl(0x0a000005u));
	assert_int_equal(f.daddr, htonl(0x0a000001u));
	assert_int_equal(f.sport, 68);
	assert_int_equal(f.dport, 67);
	assert_int_equal(f.len, 300);
	assert_ptr_equal(f.payload, pkt + 28);
	/* Ethernet padding after the datagram is ignored. */
	assert_int_equal(wit_parse(pkt, len + 10, &f), 0);
	assert_int_equal(f.len, 300);
	/* Refused: short, IPv6, header length, total length past the
	 * buffer, a fragment (MF, offset), not UDP, UDP length. */
	assert_int_equal(wit_parse(pkt, 19, &f), -1);
	assert_int_equal(wit_parse(pkt, len - 1, &f), -1);
	pkt[0] = 0x65;
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[0] = 0x44;
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[0] = 0x45;
	pkt[6] = 0x20; /* MF */
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[6] = 0x00;
	pkt[7] = 0x01; /* offset 8 */
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[7] = 0x00;
	pkt[6] = 0x40; /* DF alone is fine */
	assert_int_equal(wit_parse(pkt, len, &f), 0);
	pkt[9] = 6;
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[9] = 17;
	pkt[24] = 0;
	pkt[25] = 7; /* UDP length below its header */
	assert_int_equal(wit_parse(pkt, len, &f), -1);
	pkt[24] = 0x10; /* past the IP datagram */
	assert_int_equal(wit_parse(pkt, len, &f), -1);
}

static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };

static void add(struct witness *w, uint8_t s, uint8_t v, size_t n,
		const uint8_t *mac)
{
	struct wit_frame f;

	assert_int_equal(wit_parse(pkt, build(s, v, n), &f), 0);
	wit_add(w, &f, mac);
}

static int take(struct witness *w, uint8_t s, uint8_t v, size_t n, uint8_t *mac)
{
	uint8_t pay[1600];

	memset(pay, v, n);
	return wit_take(w, htonl(0x0a000000u + s), htonl(0x0a000001u), 68, pay,
			n, mac);
}

static void test_pairing(void **state)
{
	struct witness *w = malloc(sizeof(*w));
	uint8_t mac[6];
	unsigned int i;

	wit_init(w);
	assert_int_equal(take(w, 5, 1, 300, mac), 0); /* empty ring */
	/* Two identical datagrams from two MACs: paired in order. */
	add(w, 5, 1, 300, m1);
	add(w, 5, 1, 300, m2);
	assert_int_equal(take(w, 5, 1, 300, mac), 1);
	assert_memory_equal(mac, m1, 6);
	assert_int_equal(take(w, 5, 1, 300, mac), 1);
	assert_memory_equal(mac, m2, 6);
	assert_int_equal(take(w, 5, 1, 300, mac), 0); /* used up */
	/* Source address, length and content must all agree. */
	add(w, 5, 2, 300, m1);
	assert_int_equal(take(w, 6, 2, 300, mac), 0);
	assert_int_equal(take(w, 5, 2, 299, mac), 0);
	assert_int_equal(take(w, 5, 3, 300, mac), 0);
	assert_int_equal(take(w, 5, 2, 300, mac), 1);
	/* Beyond the prefix kept verbatim: the hash of the rest. */
	add(w, 5, 4, 1000, m2);
	{
		uint8_t pay[1000];

		memset(pay, 4, sizeof(pay));
		pay[999] = 5;
		assert_int_equal(wit_take(w, htonl(0x0a000005u),
					  htonl(0x0a000001u), 68, pay, 1000,
					  mac),
				 0);
		pay[999] = 4;
		assert_int_equal(wit_take(w, htonl(0x0a000005u),
					  htonl(0x0a000001u), 68, pay, 1000,
					  mac),
				 1);
		assert_memory_equal(mac, m2, 6);
	}
	/* A frame never taken is pushed out once the ring wraps. */
	add(w, 7, 9, 300, m1);
	for (i = 0; i < WIT_SLOTS; i++)
		add(w, 8, (uint8_t)i, 300, m2);
	assert_int_equal(take(w, 7, 9, 300, mac), 0);
	assert_int_equal(w->evicted, 1);
	assert_int_equal(take(w, 8, WIT_SLOTS - 1, 300, mac), 1);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_pairing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
