// SPDX-License-Identifier: GPL-2.0
/* The benchmark's AH frames (tests/bench/ah_frames.c): the layout and
 * checksums, the ICV against a known answer and against HMAC() over the
 * frame with the mutable fields zeroed here, the mutable fields left out of
 * the ICV and every immutable one in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/hmac.h>

#include "tests/bench/ah_frames.h"

static const struct ahf_spec spec = {
	.smac = { 2, 0, 0, 0, 1, 1 },
	.dmac = { 2, 0, 0, 0, 1, 2 },
	.outer_src = 0xc612000a, /* 198.18.0.10 */
	.outer_dst = 0xc613fffe, /* 198.19.255.254 */
	.inner_src = 0xc612000a,
	.inner_dst = 0xc63364c8, /* 198.51.100.200 */
	.sport = 10000,
	.dport = 9,
	.spi = 0x10000000,
	.seq = 1,
};

/* The ICV of that frame under ahf_key(0): HMAC-SHA-256 of its outer packet
 * with the mutable fields and the ICV zeroed, computed with `openssl dgst
 * -sha256 -mac HMAC -macopt hexkey:...` and truncated to 128 bits. */
static const uint8_t kat_icv[AHF_ICV_LEN] = {
	0x9e, 0x0d, 0xb4, 0x2c, 0xb8, 0x1c, 0x96, 0x91,
	0x2c, 0x28, 0x01, 0x74, 0xb8, 0x14, 0x06, 0xa5,
};

static uint8_t frame[AHF_FRAME_LEN];
static uint8_t *const ip = frame + AHF_ETH_LEN;
static EVP_MAC_CTX *mac0;

static int setup(void **state)
{
	uint8_t key[AHF_KEY_LEN];

	(void)state;
	ahf_key(0, key);
	mac0 = ahf_mac_new(key);
	if (!mac0 || ahf_build(frame, &spec, mac0))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_MAC_CTX_free(mac0);
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void test_layout(void **state)
{
	const uint8_t *ah = ip + AHF_OFF_AH, *in = ah + AHF_AH_LEN;
	const uint8_t *udp = in + AHF_IP_LEN;
	uint32_t pseudo;

	(void)state;
	assert_memory_equal(frame, spec.dmac, 6);
	assert_memory_equal(frame + 6, spec.smac, 6);
	assert_int_equal(get16(frame + 12), 0x0800);
	/* outer IPv4: AH from the client to the router, checksum right */
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), AHF_OUTER_LEN);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 51);
	assert_int_equal(get32(ip + 12), spec.outer_src);
	assert_int_equal(get32(ip + 16), spec.outer_dst);
	assert_int_equal(ahf_csum(ip, AHF_IP_LEN, 0), 0);
	/* AH: IPv4 inside, length in 32-bit words less 2, SPI, sequence */
	assert_int_equal(ah[0], 4);
	assert_int_equal((ah[1] + 2) * 4, 12 + AHF_ICV_LEN);
	assert_int_equal(get16(ah + 2), 0);
	assert_int_equal(get32(ah + 4), spec.spi);
	assert_int_equal(get32(ah + 8), spec.seq);
	/* inner IPv4/UDP: pktgen's 60-byte frame less Ethernet */
	assert_int_equal(AHF_ETH_LEN + AHF_INNER_LEN, 60);
	assert_int_equal(in[9], 17);
	assert_int_equal(get16(in + 2), AHF_INNER_LEN);
	assert_int_equal(get32(in + 12), spec.inner_src);
	assert_int_equal(get32(in + 16), spec.inner_dst);
	assert_int_equal(ahf_csum(in, AHF_IP_LEN, 0), 0);
	assert_int_equal(get16(udp), spec.sport);
	assert_int_equal(get16(udp + 2), spec.dport);
	assert_int_equal(get16(udp + 4), 8 + AHF_UDP_DATA);
	pseudo = (spec.inner_src >> 16) + (spec.inner_src & 0xffff) +
		 (spec.inner_dst >> 16) + (spec.inner_dst & 0xffff) + 17 + 8 +
		 AHF_UDP_DATA;
	assert_int_equal(ahf_csum(udp, 8 + AHF_UDP_DATA, pseudo), 0);
}

static void test_icv_known_answer(void **state)
{
	(void)state;
	assert_memory_equal(ip + AHF_OFF_ICV, kat_icv, AHF_ICV_LEN);
}

/* The ICV in the frame against HMAC() over a copy zeroed here. */
static void test_icv_independent(void **state)
{
	uint8_t key[AHF_KEY_LEN], copy[AHF_OUTER_LEN], md[32];
	unsigned int mdlen = 0;

	(void)state;
	ahf_key(0, key);
	memcpy(copy, ip, sizeof(copy));
	copy[1] = copy[6] = copy[7] = copy[8] = copy[10] = copy[11] = 0;
	memset(copy + AHF_OFF_ICV, 0, AHF_ICV_LEN);
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), copy, sizeof(copy),
			     md, &mdlen));
	assert_int_equal(mdlen, 32);
	assert_memory_equal(ip + AHF_OFF_ICV, md, AHF_ICV_LEN);
	/* the frame's mutable fields were not zero: zeroing them mattered */
	assert_int_not_equal(ip[8], 0);
	assert_int_not_equal(get16(ip + 6), 0);
	assert_int_not_equal(get16(ip + 10), 0);
}

/* Recomputed after one byte at OFF of the outer packet changed: the same
 * ICV as in the frame or not. */
static int icv_same_after(unsigned int off)
{
	uint8_t copy[AHF_OUTER_LEN], icv[AHF_ICV_LEN];

	memcpy(copy, ip, sizeof(copy));
	copy[off] ^= 0x5a;
	assert_int_equal(ahf_icv(mac0, copy, sizeof(copy), icv), 0);
	return !memcmp(icv, ip + AHF_OFF_ICV, AHF_ICV_LEN);
}

static void test_mutable_fields(void **state)
{
	unsigned int off;

	(void)state;
	for (off = 0; off < AHF_OUTER_LEN; off++) {
		int mutable =
			off == 1 || off == 6 || off == 7 || off == 8 ||
			off == 10 || off == 11 ||
			(off >= AHF_OFF_ICV && off < AHF_OFF_ICV + AHF_ICV_LEN);

		if (icv_same_after(off) != mutable)
			fail_msg("byte %u: %s the ICV", off,
				 mutable ? "changes" : "does not change");
	}
}

static void test_keys(void **state)
{
	uint8_t k0[AHF_KEY_LEN], k1[AHF_KEY_LEN], icv[AHF_ICV_LEN];
	EVP_MAC_CTX *mac1;

	(void)state;
	ahf_key(0, k0);
	ahf_key(1, k1);
	assert_memory_not_equal(k0, k1, AHF_KEY_LEN);
	mac1 = ahf_mac_new(k1);
	assert_non_null(mac1);
	assert_int_equal(ahf_icv(mac1, ip, AHF_OUTER_LEN, icv), 0);
	assert_memory_not_equal(icv, ip + AHF_OFF_ICV, AHF_ICV_LEN);
	/* the keyed context is copied per packet, never consumed */
	assert_int_equal(ahf_icv(mac0, ip, AHF_OUTER_LEN, icv), 0);
	assert_memory_equal(icv, ip + AHF_OFF_ICV, AHF_ICV_LEN);
	EVP_MAC_CTX_free(mac1);
	/* too short to hold the ICV */
	assert_int_equal(ahf_icv(mac0, ip, AHF_OFF_ICV + 1, icv), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_icv_known_answer),
		cmocka_unit_test(test_icv_independent),
		cmocka_unit_test(test_mutable_fields),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
