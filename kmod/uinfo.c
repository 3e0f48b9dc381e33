// SPDX-License-Identifier: GPL-2.0
/*
 * The User Information seal in the kernel (uinfo.h): AES-128-GCM through
 * the crypto API, synchronous, with per-CPU requests so that sealing and
 * opening never allocate or sleep and may run in a netfilter hook.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/bottom_half.h>
#include <linux/scatterlist.h>
#include <linux/netlink.h>
#include <crypto/aead.h>

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
	kfree_sensitive(k);
}

struct muisp_uinfo_key *muisp_uinfo_key_new(const u8 *key, const u8 *salt)
{
	struct muisp_uinfo_key *k;
	size_t size;
	int cpu, ret;

	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return ERR_PTR(-ENOMEM);
	/* CRYPTO_ALG_ASYNC in the mask: a synchronous implementation */
	k->tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(k->tfm)) {
		ret = PTR_ERR(k->tfm);
		goto err;
	}
	ret = crypto_aead_setkey(k->tfm, key, MUISP_UINFO_KEY_LEN);
	if (!ret)
		ret = crypto_aead_setauthsize(k->tfm, MUISP_UINFO_ICV_LEN);
	if (ret)
		goto err;
	memcpy(k->salt, salt, MUISP_UINFO_SALT_LEN);
	k->scratch = alloc_percpu_gfp(void *, GFP_KERNEL_ACCOUNT);
	if (!k->scratch) {
		ret = -ENOMEM;
		goto err;
	}
	/* the request, then the buffer the scatterlist points at */
	size = ALIGN(sizeof(struct aead_request) +
		     crypto_aead_reqsize(k->tfm), 8) + UINFO_BUF_LEN;
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
	buf = (u8 *)req + ALIGN(sizeof(struct aead_request) +
				crypto_aead_reqsize(k->tfm), 8);
	memcpy(buf, aad, alen);
	memcpy(buf + alen, id, 4);
	if (!seal)
		memcpy(buf + alen + 4, icv, MUISP_UINFO_ICV_LEN);
	sg_init_one(&sg, buf, UINFO_BUF_LEN);
	aead_request_set_tfm(req, k->tfm);
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
