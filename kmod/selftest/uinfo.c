// SPDX-License-Identifier: GPL-2.0
/*
 * User Information self-tests, #included at the end of uinfo.c when the
 * module is built with MUISP_DEBUG=1 (-DDEBUG) and run by muisp_init(),
 * which fails the load if they fail: the kernel's gcm(aes) seals the
 * known answer that Python's cryptography computed (uinfo_kat.h, also
 * checked against OpenSSL by tests/unit/test_uinfo_core.c), opens it, and
 * refuses it changed, with the architecture's SIMD gcm(aes) where there
 * is one and again with the generic one; the wire code puts an option into an IPv4 header and
 * takes it out again.  Logs "user information self-tests: pass"; the VM
 * scenario ft-selftest looks for it.
 */

static void utst_check(bool ok, const char *what, int line, int *ret)
{
	if (ok || *ret)
		return;
	pr_err("user information self-test failed: %s (line %d)\n", what,
	       line);
	*ret = -EIO;
}

#define UTST_CHECK(cond) utst_check(!!(cond), #cond, __LINE__, &ret)

static const u8 utst_src[4] = { 10, 77, 0, 100 }, utst_dst[4] = { 192, 0, 2, 1 };

static void utst_bind(struct muisp_uinfo_bind *b)
{
	static const u8 l4[8] = { 0x04, 0x00, 0x00, 0x35, 0, 20, 0xbe, 0xef };

	muisp_uinfo_bind_init(b, MUISP_AF_INET, utst_src, utst_dst,
			      MUISP_PROTO_UDP, cpu_to_be32(0x1234), l4);
}

/* The known answer and its refusals, with whichever transform k picks. */
static int utst_seal_with(struct muisp_uinfo_key *k)
{
	static const u8 kat[4 + MUISP_UINFO_ICV_LEN] = {
#include "../uinfo_kat.h"
	};
	struct muisp_uinfo m = { .mt = MUISP_UINFO_UI, .user = 0xa11ce }, r;
	struct muisp_uinfo_bind b;
	int ret = 0;

	utst_bind(&b);
	UTST_CHECK(!muisp_uinfo_seal(k, &m, &b, 5));
	UTST_CHECK(!memcmp(m.sealed, kat, sizeof(kat)));
	r = m;
	r.user = 0;
	utst_bind(&b);
	UTST_CHECK(!muisp_uinfo_open(k, &r, &b) && r.user == 0xa11ce);
	/* another packet (its id), another number, a changed ICV */
	r = m;
	utst_bind(&b);
	b.id = cpu_to_be32(0x1235);
	UTST_CHECK(muisp_uinfo_open(k, &r, &b) == -EBADMSG);
	r = m;
	r.seq = 6;
	utst_bind(&b);
	UTST_CHECK(muisp_uinfo_open(k, &r, &b) == -EBADMSG);
	r = m;
	r.sealed[4 + MUISP_UINFO_ICV_LEN - 1] ^= 0x80;
	utst_bind(&b);
	UTST_CHECK(muisp_uinfo_open(k, &r, &b) == -EBADMSG);
	return ret;
}

static int utst_seal(void)
{
	static const u8 salt[4] = { 1, 2, 3, 4 };
	struct muisp_uinfo_key *k;
	struct crypto_aead *simd;
	const char *name;
	int ret;

	k = muisp_uinfo_key_new("0123456789abcdef", salt);
	if (IS_ERR(k)) {
		pr_err("user information self-test: no gcm(aes) (%ld)\n",
		       PTR_ERR(k));
		return PTR_ERR(k);
	}
	/* process context: the SIMD one if there is one, then the generic */
	ret = utst_seal_with(k);
	name = uinfo_tfm_name(k->simd ?: k->tfm);
	simd = k->simd;
	if (!ret && simd) {
		k->simd = NULL;
		ret = utst_seal_with(k);
		name = uinfo_tfm_name(k->tfm);
		k->simd = simd;
	}
	if (ret)
		pr_err("user information self-test failed with %s\n", name);
	muisp_uinfo_key_free(k);
	return ret;
}

static int utst_wire(void)
{
	struct muisp_uinfo m = { .mt = MUISP_UINFO_UI, .user = 7 }, r;
	u8 pkt[100] = { 0 }, *ip = pkt + 40, orig[20], opt[MUISP_UINFO_MAX_LEN];
	int len, grow, ret = 0;

	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = MUISP_PROTO_UDP;
	memcpy(ip + 12, utst_src, 4);
	memcpy(ip + 16, utst_dst, 4);
	ip[10] = muisp_uinfo_ip_csum(ip, 20) >> 8;
	ip[11] = muisp_uinfo_ip_csum(ip, 20) & 0xff;
	memcpy(orig, ip, 20);
	len = muisp_uinfo_put(opt, sizeof(opt), MUISP_AF_INET, &m);
	UTST_CHECK(len == 8);
	grow = muisp_uinfo_insert_v4(ip, 20, opt, len);
	UTST_CHECK(grow == 8);
	if (ret)
		return ret;
	ip -= grow;
	UTST_CHECK(ip[0] == 0x47 && ip[3] == 48 && !muisp_uinfo_ip_csum(ip, 28));
	UTST_CHECK(muisp_uinfo_find_v4(ip + 20, 8) == 0);
	UTST_CHECK(muisp_uinfo_get(ip + 20, 8, MUISP_AF_INET, &r) == 8 &&
		   r.user == 7);
	UTST_CHECK(muisp_uinfo_strip_v4(ip, 28) == 8);
	UTST_CHECK(!memcmp(ip + 8, orig, 20));
	return ret;
}

bool muisp_uinfo_selftest(void)
{
	int ret = utst_seal();

	ret = ret ?: utst_wire();
	if (ret) {
		pr_err("user information self-tests: FAIL (%d)\n", ret);
		return false;
	}
	pr_info("user information self-tests: pass\n");
	return true;
}
