// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the in-band User Information option
 * (kmod/uinfo_core.c): the meter reads it from any packet a LAN host
 * sends, and strips it before forwarding.  Inputs are copied into buffers
 * of exactly their size, so ASan catches a read or write past them.
 *
 * Input: byte 0 selects what the rest is (bit 0: IPv4 header / IPv6
 * Destination Options header; bit 1: also try to open it as sealed); the
 * rest is the header (an IPv4 header: its ihl says how long).
 *
 * Checks: an option read is the one found and writes back as the same
 * bytes; a stripped IPv4 header is a valid header (ihl, tot_len, checksum)
 * without our option, shrunk by a multiple of 4 and keeping the other
 * options; putting ours back in and stripping again gives the same
 * header; a stripped IPv6 header has no option of ours left; a forged
 * seal never opens.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/gate.h"
#include "tests/unit/uinfo_aead_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static struct muisp_uinfo_key key = {
	.key = "0123456789abcdef",
	.salt = { 9, 9, 9, 9 },
};

/* Read ours at off, write it back: the same bytes. */
static void check_option(const u8 *area, unsigned int len, int off, u8 fam,
			 bool try_open)
{
	struct muisp_uinfo m;
	struct muisp_uinfo_bind b;
	u8 out[MUISP_UINFO_MAX_LEN];
	u8 a[16] = { 0 };
	int n;

	n = muisp_uinfo_get(area + off, len - off, fam, &m);
	if (n < 0)
		return;
	CHECK(n == (int)muisp_uinfo_len(&m));
	CHECK(muisp_uinfo_put(out, sizeof(out), fam, &m) == n);
	CHECK(!memcmp(out, area + off, n));
	if (try_open && (m.flags & MUISP_UINFO_F_E) &&
	    muisp_uinfo_has_user(&m)) {
		muisp_uinfo_bind_init(&b, fam, a, a, 17, 0, NULL);
		/* 2^-96: a fuzzer does not find a valid ICV */
		CHECK(muisp_uinfo_open(&key, &m, &b) == -EBADMSG);
	}
}

static void fuzz_v4(const u8 *data, unsigned int size, bool try_open)
{
	u8 *buf, *ip, opt[MUISP_UINFO_MAX_LEN], again[60];
	unsigned int hlen, nh;
	int off, shrink, grow, n;
	struct muisp_uinfo m;

	if (size < 20)
		return;
	hlen = (data[0] & 0xf) * 4;
	if (hlen < 20 || hlen > size)
		hlen = size < 60 ? size : 60;
	/* room in front, as an skb's headroom */
	buf = malloc(40 + hlen);
	ip = buf + 40;
	memcpy(ip, data, hlen);
	off = muisp_uinfo_find_v4(ip + 20, hlen - 20);
	if (off >= 0)
		check_option(ip + 20, hlen - 20, off, MUISP_AF_INET, try_open);
	shrink = muisp_uinfo_strip_v4(ip, hlen);
	if (shrink > 0) {
		CHECK(off >= 0 && shrink % 4 == 0 && shrink <= (int)hlen - 20);
		ip += shrink;
		nh = hlen - shrink;
		CHECK((ip[0] >> 4) == 4 && (ip[0] & 0xf) * 4U == nh);
		CHECK(muisp_uinfo_ip_csum(ip, nh) == 0);
		CHECK(muisp_uinfo_find_v4(ip + 20, nh - 20) == -ENOENT);
		CHECK(muisp_uinfo_strip_v4(ip, nh) == 0);
		/* ours back in (a plain UI), then out again: the same header */
		memcpy(again, ip, nh);
		m = (struct muisp_uinfo){ .mt = MUISP_UINFO_UI, .user = 7 };
		n = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET, &m);
		grow = muisp_uinfo_insert_v4(ip, nh, opt, n);
		if (grow >= 0) {
			ip -= grow;
			CHECK(muisp_uinfo_ip_csum(ip, nh + grow) == 0);
			CHECK(muisp_uinfo_strip_v4(ip, nh + grow) == grow);
			ip += grow;
			CHECK(!memcmp(ip, again, nh));
		} else {
			CHECK(grow == -EMSGSIZE);
		}
	} else if (shrink == 0) {
		CHECK(off == -ENOENT);
	}
	free(buf);
}

static void fuzz_v6(const u8 *data, unsigned int size, bool try_open)
{
	unsigned int len;
	int off, r;
	u8 *hdr;

	if (size < 8)
		return;
	len = (data[1] + 1U) * 8;
	if (len > size)
		len = size & ~7U;
	hdr = malloc(len);
	memcpy(hdr, data, len);
	off = muisp_uinfo_find_v6(hdr, len);
	if (off >= 0)
		check_option(hdr, len, off, MUISP_AF_INET6, try_open);
	r = muisp_uinfo_strip_v6(hdr, len);
	CHECK(r == off ||
	      (off >= 0 && r % 8 == 0 && r >= 0 && (unsigned int)r <= len));
	if (off >= 0 && (unsigned int)r < len) /* shrunk: still a header */
		CHECK(muisp_uinfo_find_v6(hdr + r, len - r) == -ENOENT);
	free(hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	if (data[0] & 1)
		fuzz_v6(data + 1, size - 1, data[0] & 2);
	else
		fuzz_v4(data + 1, size - 1, data[0] & 2);
	return 0;
}
