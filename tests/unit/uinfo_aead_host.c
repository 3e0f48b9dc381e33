// SPDX-License-Identifier: GPL-2.0
/*
 * muisp_uinfo_aead() with OpenSSL (uinfo_aead_host.h): AES-128-GCM, nonce
 * salt | seq (RFC 4106's construction), 12-byte ICV.
 */
#include <openssl/evp.h>

#include "uinfo_aead_host.h"

int muisp_uinfo_aead(struct muisp_uinfo_key *key, bool seal, u64 seq,
		     const struct muisp_uinfo_bind *aad, u8 id[4],
		     u8 icv[MUISP_UINFO_ICV_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	u8 iv[12];
	int n, ok, i;

	if (!c)
		return -ENOMEM;
	key->calls++;
	memcpy(iv, key->salt, 4);
	for (i = 11; i >= 4; i--, seq >>= 8)
		iv[i] = seq & 0xff;
	ok = EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, seal) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, key->key, iv, seal) &&
	     (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
					  MUISP_UINFO_ICV_LEN, icv)) &&
	     EVP_CipherUpdate(c, NULL, &n, (const u8 *)aad, sizeof(*aad)) &&
	     EVP_CipherUpdate(c, id, &n, id, 4) &&
	     EVP_CipherFinal_ex(c, id + n, &n) &&
	     (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					   MUISP_UINFO_ICV_LEN, icv));
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}
