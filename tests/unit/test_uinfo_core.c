// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/uinfo_core.c, the in-band User Information option:
 * each message's bytes on the wire (IPv4 option, IPv6 Destination Options
 * TLV), every malformed form refused, finding the option among others,
 * taking it out of an IPv4 header and putting it in (checksum, ihl,
 * tot_len, the other options kept), the IPv6 header built and stripped,
 * the seal (each bound field, the ICV, the key) and the replay window.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kmod/gate.h"
#include "uinfo_aead_host.h"

static const u8 v4src[4] = { 10, 77, 0, 100 }, v4dst[4] = { 192, 0, 2, 1 };
static const u8 v6addr[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

static struct muisp_uinfo msg(u16 mt, u16 flags, u8 addr_len, u32 user)
{
	struct muisp_uinfo m = {
		.mt = mt, .flags = flags, .addr_len = addr_len, .user = user
	};

	memcpy(m.addr, addr_len == 4 ? v4src : v6addr, addr_len);
	return m;
}

/* The plain User Information option, byte for byte, both families. */
static void test_wire_bytes(void **state)
{
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, 0, 0, 0x01020304), r;
	static const u8 v4[] = { 0x9e, 8, 0x00, 0x01, 1, 2, 3, 4 };
	static const u8 v6[] = { 0x3e, 6, 0x00, 0x01, 1, 2, 3, 4 };
	static const u8 q4[] = { 0x9e, 8, 0x80, 0x02, 10, 77, 0, 100 };
	u8 buf[64];

	(void)state;
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 8);
	assert_memory_equal(buf, v4, sizeof(v4));
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET6, &m),
			 8);
	assert_memory_equal(buf, v6, sizeof(v6));
	m = msg(MUISP_UINFO_QUERY, MUISP_UINFO_F_D, 4, 0);
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 8);
	assert_memory_equal(buf, q4, sizeof(q4));
	assert_int_equal(muisp_uinfo_get(q4, sizeof(q4), MUISP_AF_INET, &r), 8);
	assert_int_equal(r.mt, MUISP_UINFO_QUERY);
	assert_int_equal(r.flags, MUISP_UINFO_F_D);
	assert_memory_equal(r.addr, v4src, 4);
	/* a bare Query: type, length, flags */
	m = msg(MUISP_UINFO_QUERY, 0, 0, 0);
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 4);
	/* the sealed form: seq big-endian, then sealed id and ICV */
	m = msg(MUISP_UINFO_ACK, MUISP_UINFO_F_E, 0, 0);
	m.seq = 0x0102030405060708ULL;
	memset(m.sealed, 0xab, sizeof(m.sealed));
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 4 + MUISP_UINFO_SEALED_LEN);
	assert_int_equal(buf[1], 28);
	assert_int_equal(buf[2], 0x80);
	assert_int_equal(buf[3], 0x03);
	assert_int_equal(buf[4], 1);
	assert_int_equal(buf[11], 8);
	assert_int_equal(buf[12], 0xab);
}

/* Every message muisp sends reads back as itself, in both families. */
static void test_round_trip(void **state)
{
	static const struct {
		u16 mt, flags;
	} ok[] = {
		{ MUISP_UINFO_UI, 0 },
		{ MUISP_UINFO_UI, MUISP_UINFO_F_E },
		{ MUISP_UINFO_UI, MUISP_UINFO_F_R },
		{ MUISP_UINFO_UI, MUISP_UINFO_F_E | MUISP_UINFO_F_R },
		{ MUISP_UINFO_UI, MUISP_UINFO_F_E | MUISP_UINFO_F_A },
		{ MUISP_UINFO_QUERY, 0 },
		{ MUISP_UINFO_QUERY, MUISP_UINFO_F_D },
		{ MUISP_UINFO_ACK, 0 },
		{ MUISP_UINFO_ACK, MUISP_UINFO_F_E },
	};
	static const u8 fams[] = { MUISP_AF_INET, MUISP_AF_INET6 };
	struct muisp_uinfo m, r;
	unsigned int i, f, alen;
	u8 buf[MUISP_UINFO_MAX_LEN];
	int len;

	(void)state;
	for (f = 0; f < 2; f++)
		for (i = 0; i < ARRAY_SIZE(ok); i++) {
			alen = (ok[i].mt == MUISP_UINFO_UI &&
				(ok[i].flags & MUISP_UINFO_F_R)) ||
					       (ok[i].mt == MUISP_UINFO_QUERY &&
						(ok[i].flags &
						 MUISP_UINFO_F_D)) ?
				       (fams[f] == MUISP_AF_INET ? 4 : 16) :
				       0;
			m = msg(ok[i].mt, ok[i].flags, alen,
				ok[i].mt != MUISP_UINFO_QUERY &&
						!(ok[i].flags &
						  MUISP_UINFO_F_E) ?
					0xfedcba98 :
					0);
			if (ok[i].mt != MUISP_UINFO_QUERY &&
			    (ok[i].flags & MUISP_UINFO_F_E)) {
				m.seq = 77 + i;
				memset(m.sealed, i, sizeof(m.sealed));
			}
			len = muisp_uinfo_put(buf, sizeof(buf), fams[f], &m);
			assert_true(len > 0);
			assert_int_equal(len, muisp_uinfo_len(&m));
			assert_true(len <= MUISP_UINFO_MAX_LEN);
			if (fams[f] == MUISP_AF_INET)
				assert_true(len <= MUISP_UINFO_V4_OPTS_MAX);
			assert_int_equal(muisp_uinfo_get(buf, len, fams[f], &r),
					 len);
			assert_memory_equal(&r, &m, sizeof(m));
			/* cut short anywhere: refused */
			while (--len >= 0)
				assert_int_equal(muisp_uinfo_get(buf, len,
								 fams[f], &r),
						 -EINVAL);
		}
}

/* Options that are not ours, or that lie about themselves. */
static void test_get_refuses(void **state)
{
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, 0, 0, 7), r;
	u8 buf[64], bad[64];
	int len, i;

	(void)state;
	len = muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m);
	assert_int_equal(len, 8);
	/* the other family's type, and an unknown family */
	assert_int_equal(muisp_uinfo_get(buf, len, MUISP_AF_INET6, &r),
			 -EINVAL);
	assert_int_equal(muisp_uinfo_get(buf, len, 3, &r), -EINVAL);
	/* length byte off by one either way */
	for (i = -1; i <= 1; i += 2) {
		memcpy(bad, buf, len);
		bad[1] += i;
		assert_int_equal(muisp_uinfo_get(bad, sizeof(bad),
						 MUISP_AF_INET, &r),
				 -EINVAL);
	}
	/* message types 0 and 4..4095, reserved bits, flags of another type */
	for (i = 0; i < 16; i++) {
		memcpy(bad, buf, len);
		bad[2] = 0;
		bad[3] = i == 0 ? 0 : 3 + i;
		assert_int_equal(muisp_uinfo_get(bad, len, MUISP_AF_INET, &r),
				 -EINVAL);
	}
	memcpy(bad, buf, len);
	bad[2] = 0x0f; /* a type above 255 */
	assert_int_equal(muisp_uinfo_get(bad, len, MUISP_AF_INET, &r), -EINVAL);
	memcpy(bad, buf, len);
	bad[2] = 0x10; /* a reserved bit */
	assert_int_equal(muisp_uinfo_get(bad, len, MUISP_AF_INET, &r), -EINVAL);
	memcpy(bad, buf, len);
	bad[2] = 0x40;
	bad[3] = MUISP_UINFO_ACK; /* R on an Ack */
	assert_int_equal(muisp_uinfo_get(bad, len, MUISP_AF_INET, &r), -EINVAL);
	memcpy(bad, buf, len);
	bad[2] = 0x20;
	bad[3] = MUISP_UINFO_ACK; /* A is a UI's only: on an Ack */
	assert_int_equal(muisp_uinfo_get(bad, len, MUISP_AF_INET, &r), -EINVAL);
	/* and the sender refuses what it could not read back */
	m = msg(MUISP_UINFO_ACK, MUISP_UINFO_F_R, 4, 1);
	assert_int_equal(muisp_uinfo_len(&m), 0);
	m = msg(MUISP_UINFO_UI, MUISP_UINFO_F_R, 0, 1);
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 -EINVAL);
	m = msg(MUISP_UINFO_UI, MUISP_UINFO_F_R, 16, 1);
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 -EINVAL);
	m = msg(MUISP_UINFO_UI, 0, 0, 1);
	assert_int_equal(muisp_uinfo_put(buf, 7, MUISP_AF_INET, &m), -ENOSPC);
	m.mt = 9;
	assert_int_equal(muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m),
			 -EINVAL);
}

/* Our option among NOPs and others; EOL ends the walk; malformed areas. */
static void test_find_v4(void **state)
{
	u8 a[40] = { 1,	   1, 0x07, 3, 4,	   /* NOP NOP RR(3) */
		     0x9e, 8, 0,    1, 0, 0, 0, 5, /* ours at 5 */
		     0x44, 4, 5,    0 };	   /* TS */
	u8 b[40];

	(void)state;
	assert_int_equal(muisp_uinfo_find_v4(a, 17), 5);
	assert_int_equal(muisp_uinfo_find_v4(a, 40), 5);
	assert_int_equal(muisp_uinfo_find_v4(a, 4), -EINVAL); /* RR cut */
	assert_int_equal(muisp_uinfo_find_v4(a, 5), -ENOENT);
	memcpy(b, a, sizeof(b));
	b[0] = 0; /* EOL first: nothing after it counts */
	assert_int_equal(muisp_uinfo_find_v4(b, 40), -ENOENT);
	memcpy(b, a, sizeof(b));
	b[3] = 1; /* a length below 2 */
	assert_int_equal(muisp_uinfo_find_v4(b, 40), -EINVAL);
	memcpy(b, a, sizeof(b));
	b[6] = 36; /* ours overruns the area */
	assert_int_equal(muisp_uinfo_find_v4(b, 40), -EINVAL);
	memcpy(b, a, sizeof(b));
	memcpy(b + 13, a + 5, 8); /* ours twice */
	assert_int_equal(muisp_uinfo_find_v4(b, 21), -EINVAL);
	assert_int_equal(muisp_uinfo_find_v4(b, 0), -ENOENT);
}

/* An IPv4 header of hlen bytes: options opts (olen), payload after it. */
static unsigned int v4_header(u8 *ip, const u8 *opts, unsigned int olen)
{
	unsigned int hlen = 20 + ((olen + 3) & ~3U);

	memset(ip, 0, hlen);
	ip[0] = 0x40 | hlen / 4;
	ip[2] = 0;
	ip[3] = hlen + 100;
	ip[4] = 0x12;
	ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = MUISP_PROTO_UDP;
	memcpy(ip + 12, v4src, 4);
	memcpy(ip + 16, v4dst, 4);
	memcpy(ip + 20, opts, olen);
	ip[11] = 0;
	ip[10] = muisp_uinfo_ip_csum(ip, hlen) >> 8;
	ip[11] = muisp_uinfo_ip_csum(ip, hlen) & 0xff;
	return hlen;
}

/* Put ours into a header (with and without options) and take it out. */
static void test_v4_insert_strip(void **state)
{
	static const u8 none[1], ts[8] = { 0x44, 8, 9, 0, 0, 0, 0, 1 },
				 rr3[3] = { 0x07, 3, 4 };
	static const struct {
		const u8 *o;
		unsigned int len;
	} cases[] = {
		{ none, 0 },
		{ ts, 8 },
		{ rr3, 3 },
	};
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, MUISP_UINFO_F_E, 0, 0);
	u8 opt[MUISP_UINFO_MAX_LEN], pkt[200], orig[60];
	unsigned int c, hlen, nh;
	int olen, grow, shrink;

	(void)state;
	m.seq = 1;
	olen = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET, &m);
	assert_int_equal(olen, 28);
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		u8 *ip = pkt + 60;

		hlen = v4_header(ip, cases[c].o, cases[c].len);
		memcpy(orig, ip, hlen);
		grow = muisp_uinfo_insert_v4(ip, hlen, opt, olen);
		assert_true(grow >= olen && grow % 4 == 0);
		ip -= grow;
		nh = hlen + grow;
		assert_int_equal((ip[0] & 0xf) * 4, nh);
		assert_int_equal(ip[3], orig[3] + grow);
		assert_int_equal(muisp_uinfo_ip_csum(ip, nh), 0);
		/* the old options first, in their order, ours after them */
		assert_memory_equal(ip + 20, cases[c].o, cases[c].len);
		assert_int_equal(muisp_uinfo_find_v4(ip + 20, nh - 20),
				 (int)cases[c].len);
		assert_int_equal(muisp_uinfo_insert_v4(ip, nh, opt, olen),
				 -EEXIST);
		/* out again: the header it was, bar padding */
		shrink = muisp_uinfo_strip_v4(ip, nh);
		assert_int_equal(shrink, grow);
		ip += shrink;
		assert_int_equal(muisp_uinfo_ip_csum(ip, hlen), 0);
		assert_memory_equal(ip, orig, hlen);
		assert_int_equal(muisp_uinfo_strip_v4(ip, hlen), 0);
	}
	/* the area is 40 bytes at most */
	{
		u8 big[20], *ip = pkt + 60;

		memset(big, 1, sizeof(big)); /* 20 NOPs */
		hlen = v4_header(ip, big, sizeof(big));
		assert_int_equal(muisp_uinfo_insert_v4(ip, hlen, opt, olen),
				 -EMSGSIZE);
		/* nor past 65,535 bytes */
		hlen = v4_header(ip, none, 0);
		ip[2] = 0xff;
		ip[3] = 0xf0;
		assert_int_equal(muisp_uinfo_insert_v4(ip, hlen, opt, olen),
				 -EMSGSIZE);
		/* not a header: version, ihl, tot_len */
		hlen = v4_header(ip, none, 0);
		ip[0] = 0x65;
		assert_int_equal(muisp_uinfo_insert_v4(ip, hlen, opt, olen),
				 -EINVAL);
		assert_int_equal(muisp_uinfo_strip_v4(ip, hlen), -EINVAL);
		ip[0] = 0x46;
		assert_int_equal(muisp_uinfo_strip_v4(ip, hlen), -EINVAL);
		ip[0] = 0x45;
		ip[3] = 19;
		assert_int_equal(muisp_uinfo_strip_v4(ip, hlen), -EINVAL);
	}
}

/* IPv6: the header built around ours, found, and stripped either way. */
static void test_v6(void **state)
{
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, MUISP_UINFO_F_R, 16, 42), r;
	u8 opt[MUISP_UINFO_MAX_LEN], hdr[64], two[64];
	int olen, len, off;

	(void)state;
	olen = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET6, &m);
	assert_int_equal(olen, 24);
	len = muisp_uinfo_build_v6(hdr, sizeof(hdr), MUISP_PROTO_TCP, opt,
				   olen);
	assert_int_equal(len, 32); /* 2 + 24, padded to 8 */
	assert_int_equal(hdr[0], MUISP_PROTO_TCP);
	assert_int_equal(hdr[1], 3);
	assert_int_equal(hdr[26], 1); /* PadN of 4 */
	assert_int_equal(hdr[27], 4);
	off = muisp_uinfo_find_v6(hdr, len);
	assert_int_equal(off, 2);
	assert_int_equal(muisp_uinfo_get(hdr + off, len - off, MUISP_AF_INET6,
					 &r),
			 olen);
	assert_int_equal(r.user, 42);
	assert_int_equal(muisp_uinfo_build_v6(hdr, 31, 6, opt, olen), -ENOSPC);
	/* alone: the caller removes the whole header */
	memcpy(two, hdr, len);
	assert_int_equal(muisp_uinfo_strip_v6(two, len), len);
	assert_memory_equal(two, hdr, len);
	/* before another option: ours goes, the header shrinks by 24 */
	memcpy(two, hdr, len);
	two[1] = 4;	/* 40 bytes */
	two[26] = 0x1e; /* someone else's 6-byte option */
	two[27] = 4;
	memset(two + 28, 0x5a, 4);
	two[32] = 1; /* PadN to 40 */
	two[33] = 6;
	memset(two + 34, 0, 6);
	assert_int_equal(muisp_uinfo_find_v6(two, 40), 2);
	assert_int_equal(muisp_uinfo_strip_v6(two, 40), 24);
	assert_int_equal(muisp_uinfo_find_v6(two + 24, 16), -ENOENT);
	assert_int_equal(two[24], MUISP_PROTO_TCP);
	assert_int_equal(two[25], 1);	 /* 16 bytes */
	assert_int_equal(two[26], 0x1e); /* where it was: its alignment */
	assert_int_equal(two[32], 1);
	assert_int_equal(muisp_uinfo_strip_v6(two + 24, 16), -ENOENT);
	/* after another: 26 bytes of padding left, 24 go, PadN of 2 stays */
	two[0] = MUISP_PROTO_UDP;
	two[1] = 3; /* 32 bytes */
	two[2] = 0x1e;
	two[3] = 2;
	two[4] = 0xab;
	two[5] = 0xcd;
	memcpy(two + 6, opt, olen);
	two[30] = 1; /* PadN of 2 */
	two[31] = 0;
	assert_int_equal(muisp_uinfo_strip_v6(two, 32), 24);
	assert_int_equal(muisp_uinfo_find_v6(two + 24, 8), -ENOENT);
	{
		const u8 want[8] = {
			MUISP_PROTO_UDP, 0, 0x1e, 2, 0xab, 0xcd, 1, 0
		};

		assert_memory_equal(two + 24, want, 8);
	}
	/* malformed: length field against the buffer, overrun, twice */
	assert_int_equal(muisp_uinfo_find_v6(hdr, 24), -EINVAL);
	hdr[3] = 40;
	assert_int_equal(muisp_uinfo_find_v6(hdr, len), -EINVAL);
	hdr[3] = olen - 2;
	memcpy(two, hdr, 2);
	two[1] = 6;
	memcpy(two + 2, opt, olen);
	memcpy(two + 2 + olen, opt, olen);
	assert_int_equal(muisp_uinfo_find_v6(two, 56), -EINVAL);
}

static struct muisp_uinfo_key test_key = {
	.key = "0123456789abcdef",
	.salt = { 1, 2, 3, 4 },
};

static void bind_v4(struct muisp_uinfo_bind *b)
{
	static const u8 l4[8] = { 0x04, 0x00, 0x00, 0x35, 0, 20, 0xbe, 0xef };

	muisp_uinfo_bind_init(b, MUISP_AF_INET, v4src, v4dst, MUISP_PROTO_UDP,
			      cpu_to_be32(0x1234), l4);
}

/* Sealed and opened; a change to any bound byte, or the key, refused. */
static void test_seal(void **state)
{
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, 0, 0, 0xa11ce), w, r;
	struct muisp_uinfo_bind b, c;
	struct muisp_uinfo_key other = test_key;
	u8 buf[MUISP_UINFO_MAX_LEN];
	unsigned int i, j;
	int len;

	(void)state;
	bind_v4(&b);
	assert_int_equal(muisp_uinfo_seal(&test_key, &m, &b, 5), 0);
	assert_true(m.flags & MUISP_UINFO_F_E);
	len = muisp_uinfo_put(buf, sizeof(buf), MUISP_AF_INET, &m);
	assert_int_equal(len, 28);
	/* the id is not on the wire in the clear */
	for (i = 4; i + 3 <= (unsigned int)len; i++)
		assert_false(buf[i] == 0x0a && buf[i + 1] == 0x11 &&
			     buf[i + 2] == 0xce);
	assert_int_equal(muisp_uinfo_get(buf, len, MUISP_AF_INET, &w), len);
	assert_int_equal(w.user, 0);
	bind_v4(&c);
	assert_int_equal(muisp_uinfo_open(&test_key, &w, &c), 0);
	assert_int_equal(w.user, 0xa11ce);
	/* every bound byte: the packet's fields */
	for (i = 0; i < sizeof(b); i++) {
		if (i >= offsetof(struct muisp_uinfo_bind, mt_flags) &&
		    i < offsetof(struct muisp_uinfo_bind, id))
			continue; /* the option's: set by open */
		if (i >= offsetof(struct muisp_uinfo_bind, addr))
			continue;
		for (j = 0; j < 8; j++) {
			r = w;
			bind_v4(&c);
			((u8 *)&c)[i] ^= 1 << j;
			assert_int_equal(muisp_uinfo_open(&test_key, &r, &c),
					 -EBADMSG);
		}
	}
	/* the option's: sequence number, sealed id, ICV, flags */
	for (i = 0; i < (unsigned int)len; i++) {
		u8 bad[MUISP_UINFO_MAX_LEN];

		if (i < 2)
			continue;
		memcpy(bad, buf, len);
		bad[i] ^= 0x01;
		if (muisp_uinfo_get(bad, len, MUISP_AF_INET, &r) != len)
			continue; /* flags no longer ours: refused anyway */
		bind_v4(&c);
		assert_int_not_equal(muisp_uinfo_open(&test_key, &r, &c), 0);
	}
	other.key[3] ^= 4;
	r = w;
	bind_v4(&c);
	assert_int_equal(muisp_uinfo_open(&other, &r, &c), -EBADMSG);
	other = test_key;
	other.salt[0] ^= 1;
	assert_int_equal(muisp_uinfo_open(&other, &r, &c), -EBADMSG);
	/* not sealed, or nothing to seal */
	r = msg(MUISP_UINFO_UI, 0, 0, 1);
	assert_int_equal(muisp_uinfo_open(&test_key, &r, &c), -EINVAL);
	r = msg(MUISP_UINFO_QUERY, 0, 0, 0);
	assert_int_equal(muisp_uinfo_seal(&test_key, &r, &c, 1), -EINVAL);
	/* the same id at the next number: another ciphertext */
	r = msg(MUISP_UINFO_UI, 0, 0, 0xa11ce);
	bind_v4(&c);
	assert_int_equal(muisp_uinfo_seal(&test_key, &r, &c, 6), 0);
	assert_memory_not_equal(r.sealed, m.sealed, 4);
}

/*
 * A known answer, so that the kernel's gcm(aes) (kmod/uinfo.c's self-test
 * carries the same bytes) and OpenSSL are shown to agree.
 */
static void test_seal_known_answer(void **state)
{
	static const u8 want[4 + MUISP_UINFO_ICV_LEN] = {
#include "kmod/uinfo_kat.h"
	};
	struct muisp_uinfo m = msg(MUISP_UINFO_UI, 0, 0, 0xa11ce);
	struct muisp_uinfo_bind b;

	(void)state;
	bind_v4(&b);
	assert_int_equal(muisp_uinfo_seal(&test_key, &m, &b, 5), 0);
	assert_memory_equal(m.sealed, want, sizeof(want));
}

/* The replay window: new, repeated, reordered within 64, too old. */
static void test_replay(void **state)
{
	struct muisp_uinfo_replay w = { 0 };
	unsigned int i;

	(void)state;
	assert_false(muisp_uinfo_replay_check(&w, 0));
	assert_true(muisp_uinfo_replay_check(&w, 1));
	assert_false(muisp_uinfo_replay_check(&w, 1));
	assert_true(muisp_uinfo_replay_check(&w, 3));
	assert_true(muisp_uinfo_replay_check(&w, 2)); /* late, in window */
	assert_false(muisp_uinfo_replay_check(&w, 2));
	assert_true(muisp_uinfo_replay_check(&w, 66));
	assert_false(muisp_uinfo_replay_check(&w, 3)); /* 63 behind, seen */
	assert_true(muisp_uinfo_replay_check(&w, 4));  /* 62 behind, new */
	assert_false(muisp_uinfo_replay_check(&w, 2)); /* 64 behind: old */
	assert_true(muisp_uinfo_replay_check(&w, 1000));
	for (i = 937; i < 1000; i++)
		assert_true(muisp_uinfo_replay_check(&w, i));
	for (i = 936; i <= 1000; i++)
		assert_false(muisp_uinfo_replay_check(&w, i));
	assert_true(muisp_uinfo_replay_check(&w, ~0ULL));
	assert_false(muisp_uinfo_replay_check(&w, ~0ULL));
}

/* A later fragment's number: accepted before, still in the window. */
static void test_replay_seen(void **state)
{
	struct muisp_uinfo_replay w = { 0 };

	(void)state;
	assert_false(muisp_uinfo_replay_seen(&w, 0));
	assert_false(muisp_uinfo_replay_seen(&w, 1)); /* nothing accepted */
	assert_true(muisp_uinfo_replay_check(&w, 5));
	assert_true(muisp_uinfo_replay_seen(&w, 5));
	assert_true(muisp_uinfo_replay_seen(&w, 5));  /* does not consume it */
	assert_false(muisp_uinfo_replay_seen(&w, 4)); /* in window, not seen */
	assert_false(muisp_uinfo_replay_seen(&w, 6)); /* ahead of the window */
	assert_true(muisp_uinfo_replay_check(&w, 68));
	assert_true(muisp_uinfo_replay_seen(&w, 5)); /* 63 behind */
	assert_true(muisp_uinfo_replay_check(&w, 69));
	assert_false(muisp_uinfo_replay_seen(&w, 5)); /* 64 behind: gone */
	assert_true(muisp_uinfo_replay_check(&w, ~0ULL));
	assert_true(muisp_uinfo_replay_seen(&w, ~0ULL));
	assert_false(muisp_uinfo_replay_seen(&w, 69));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_get_refuses),
		cmocka_unit_test(test_find_v4),
		cmocka_unit_test(test_v4_insert_strip),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_seal_known_answer),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
