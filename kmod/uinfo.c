// SPDX-License-Identifier: GPL-2.0
/*
 * The User Information seal in the kernel (uinfo.h): AES-128-GCM through
 * the crypto API, synchronous, with per-CPU requests so that sealing and
 * opening never allocate or sleep and may run in a netfilter hook.
 *
 * Two transforms per key.  The synchronous "gcm(aes)" the API gives is
 * the generic template over the architecture's AES: GHASH in C, some
 * 3,000 instructions a seal (docs/PERFORMANCE.md).  The architecture's
 * own GCM (AES-NI with PCLMULQDQ on x86) needs the FPU, so it is
 * registered only as an internal algorithm ("__gcm(aes)") behind an
 * asynchronous wrapper that defers to a thread when the FPU may not be
 * used.  We call the internal one directly when crypto_simd_usable(),
 * as that wrapper does, and the generic one otherwise: same key, same
 * bytes (the self-test seals its known answer with each).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/bottom_half.h>
#include <linux/scatterlist.h>
#include <linux/netlink.h>
#include <crypto/aead.h>
#include <crypto/internal/simd.h>
#include <asm/simd.h>

#include "uinfo.h"

#define UINFO_BUF_LEN	(sizeof(struct muisp_uinfo_bind) + 4 + \
			 MUISP_UINFO_ICV_LEN)

void muisp_uinfo_key_free(struct muisp_uinfo_key *k)
{
	int cpu;

	if (!k)
		return;
	if (k->scratch) {
		for_each_possible_cpu(cpu)
			kfree_sensitive(*per_cpu_ptr(k->scratch, cpu));
		free_percpu(k->scratch);
	}
	if (!IS_ERR_OR_NULL(k->tfm))
		crypto_free_aead(k->tfm);
	if (k->simd)
		crypto_free_aead(k->simd);
	kfree_sensitive(k);
}

/*
 * No architecture GCM in this kernel (or its module not loaded): asked
 * once per load of this module, so that a router keying thousands of
 * agents does not run modprobe for each.
 */
static bool uinfo_no_simd;

static struct crypto_aead *uinfo_tfm_new(const char *name, u32 type,
					 const u8 *key)
{
	/* CRYPTO_ALG_ASYNC in the mask: a synchronous implementation */
	struct crypto_aead *tfm = crypto_alloc_aead(name, type,
						    type | CRYPTO_ALG_ASYNC);
	int ret;

	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_aead_setkey(tfm, key, MUISP_UINFO_KEY_LEN);
	if (!ret)
		ret = crypto_aead_setauthsize(tfm, MUISP_UINFO_ICV_LEN);
	if (ret) {
		crypto_free_aead(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/* The internal SIMD gcm(aes) for key, or NULL (use the generic one). */
static struct crypto_aead *uinfo_simd_new(const u8 *key)
{
	struct crypto_aead *tfm;

	if (READ_ONCE(uinfo_no_simd))
		return NULL;
	tfm = uinfo_tfm_new("__gcm(aes)", CRYPTO_ALG_INTERNAL, key);
	if (PTR_ERR_OR_ZERO(tfm) == -ENOENT)
		WRITE_ONCE(uinfo_no_simd, true);
	return IS_ERR(tfm) ? NULL : tfm;
}

static const char *uinfo_tfm_name(struct crypto_aead *tfm)
{
	return crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm));
}

struct muisp_uinfo_key *muisp_uinfo_key_new(const u8 *key, const u8 *salt)
{
	struct muisp_uinfo_key *k;
	size_t size;
	int cpu, ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->tfm = uinfo_tfm_new("gcm(aes)", 0, key);
	if (IS_ERR(k->tfm)) {
		ret = PTR_ERR(k->tfm);
		goto err;
	}
	k->simd = uinfo_simd_new(key);
	pr_info_once("user information seals: %s, else %s\n",
		     k->simd ? uinfo_tfm_name(k->simd) : "no SIMD gcm(aes)",
		     uinfo_tfm_name(k->tfm));
	memcpy(k->salt, salt, MUISP_UINFO_SALT_LEN);
	k->scratch = alloc_percpu_gfp(void *, GFP_KERNEL_ACCOUNT);
	if (!k->scratch) {
		ret = -ENOMEM;
		goto err;
	}
	/* the request (either transform's), then the scatterlist's buffer */
	k->buf_off = ALIGN(sizeof(struct aead_request) +
			   max(crypto_aead_reqsize(k->tfm),
			       k->simd ? crypto_aead_reqsize(k->simd) : 0), 8);
	size = k->buf_off + UINFO_BUF_LEN;
	for_each_possible_cpu(cpu) {
		void *p = kzalloc_node(size, GFP_KERNEL_ACCOUNT,
				       cpu_to_node(cpu));

		if (!p) {
			ret = -ENOMEM;
			goto err;
		}
		*per_cpu_ptr(k->scratch, cpu) = p;
	}
	return k;
err:
	muisp_uinfo_key_free(k);
	return ERR_PTR(ret);
}

struct muisp_uinfo_key *muisp_uinfo_key_nl(const u8 *material,
					   struct netlink_ext_ack *extack)
{
	struct muisp_uinfo_key *k;

	k = muisp_uinfo_key_new(material, material + MUISP_UINFO_KEY_LEN);
	if (PTR_ERR_OR_ZERO(k) == -ENOENT)
		NL_SET_ERR_MSG(extack,
			       "no gcm(aes) in this kernel (CONFIG_CRYPTO_GCM)");
	else if (IS_ERR(k))
		NL_SET_ERR_MSG(extack, "cannot set up the key");
	return k;
}

int muisp_uinfo_aead(struct muisp_uinfo_key *k, bool seal, u64 seq,
		     const struct muisp_uinfo_bind *aad, u8 id[4],
		     u8 icv[MUISP_UINFO_ICV_LEN])
{
	const unsigned int alen = sizeof(*aad);
	struct crypto_aead *tfm;
	struct aead_request *req;
	struct scatterlist sg;
	__be64 be_seq = cpu_to_be64(seq);
	u8 iv[12], *buf;
	int ret;

	memcpy(iv, k->salt, MUISP_UINFO_SALT_LEN);
	memcpy(iv + MUISP_UINFO_SALT_LEN, &be_seq, sizeof(be_seq));
	/* this CPU's request and buffer: no softirq may take them meanwhile */
	local_bh_disable();
	req = *this_cpu_ptr(k->scratch);
	buf = (u8 *)req + k->buf_off;
	/* the FPU: not inside another kernel_fpu_begin(), nor a hard IRQ */
	tfm = k->simd && crypto_simd_usable() ? k->simd : k->tfm;
	memcpy(buf, aad, alen);
	memcpy(buf + alen, id, 4);
	if (!seal)
		memcpy(buf + alen + 4, icv, MUISP_UINFO_ICV_LEN);
	sg_init_one(&sg, buf, UINFO_BUF_LEN);
	aead_request_set_tfm(req, tfm);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, alen);
	if (seal) {
		aead_request_set_crypt(req, &sg, &sg, 4, iv);
		ret = crypto_aead_encrypt(req);
	} else {
		aead_request_set_crypt(req, &sg, &sg, 4 + MUISP_UINFO_ICV_LEN,
				       iv);
		ret = crypto_aead_decrypt(req);
	}
	if (!ret) {
		memcpy(id, buf + alen, 4);
		if (seal)
			memcpy(icv, buf + alen + 4, MUISP_UINFO_ICV_LEN);
	}
	memzero_explicit(buf + alen, 4);
	local_bh_enable();
	return ret == -EBADMSG || !ret ? ret : -EIO;
}

#ifdef DEBUG
#include "selftest/uinfo.c"
#endif
