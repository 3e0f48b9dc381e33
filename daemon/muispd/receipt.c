// SPDX-License-Identifier: GPL-2.0
/* Receipt encoding and HMAC-SHA-256 (OpenSSL EVP_MAC): see receipt.h. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "proto.h"
#include "receipt.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int hmac(const uint8_t *key, const uint8_t *msg, size_t len,
		uint8_t mac[32])
{
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	size_t outl = 0;
	int ok = 0;

	if (!alg)
		return -1;
	ctx = EVP_MAC_CTX_new(alg);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, key, RECEIPT_KEY_LEN, params) &&
	    EVP_MAC_update(ctx, msg, len) &&
	    EVP_MAC_final(ctx, mac, &outl, 32) && outl == 32)
		ok = 1;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return ok ? 0 : -1;
}

static int fields_ok(const struct receipt *r)
{
	size_t n = strnlen(r->payref, RECEIPT_PAYREF_LEN + 1);

	if (n > RECEIPT_PAYREF_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (r->payref[i] < 0x20 || r->payref[i] > 0x7e)
			return 0;
	return r->metric >= 1 && r->metric <= 4 && r->method >= 1 &&
	       r->method < __MP_METHOD_LAST && r->privacy <= 1 &&
	       r->soft <= r->hard && r->unit > 0;
}

size_t receipt_len(const struct receipt *r)
{
	return r->has_holder ? RECEIPT2_LEN : RECEIPT_LEN;
}

static size_t mac_off(const struct receipt *r)
{
	return r->has_holder ? RECEIPT2_MAC_OFF : RECEIPT_MAC_OFF;
}

static void encode(const struct receipt *r, uint8_t *b)
{
	memset(b, 0, receipt_len(r));
	memcpy(b, r->has_holder ? "MUR2" : "MUR1", 4);
	put32(b + 4, r->key_id);
	put64(b + 8, r->serial);
	put64(b + 16, r->issued);
	put64(b + 24, r->expiry);
	b[32] = r->metric;
	b[33] = r->method;
	b[34] = r->privacy;
	put64(b + 40, r->soft);
	put64(b + 48, r->hard);
	put64(b + 56, r->deposit);
	put64(b + 64, r->price);
	put64(b + 72, r->unit);
	memcpy(b + 80, r->payref, strnlen(r->payref, RECEIPT_PAYREF_LEN));
	if (r->has_holder)
		memcpy(b + 112, r->holder, RECEIPT_HOLDER_LEN);
}

static int current_index(const struct receipt_keyring *kr)
{
	int best = -1;

	for (unsigned i = 0; i < kr->n; i++)
		if (!kr->keys[i].retired &&
		    (best < 0 || kr->keys[i].id > kr->keys[best].id))
			best = (int)i;
	return best;
}

const struct receipt_key *receipt_key_current(const struct receipt_keyring *kr)
{
	int i = current_index(kr);

	return i < 0 ? NULL : &kr->keys[i];
}

int receipt_sign(const struct receipt_keyring *kr, struct receipt *r,
		 uint8_t *out)
{
	const struct receipt_key *k = receipt_key_current(kr);

	if (!k)
		return RECEIPT_E_NOKEY;
	if (!fields_ok(r))
		return RECEIPT_E_FORMAT;
	r->key_id = k->id;
	encode(r, out);
	if (hmac(k->secret, out, mac_off(r), out + mac_off(r)))
		return RECEIPT_E_CRYPTO;
	return RECEIPT_OK;
}

int receipt_parse(const uint8_t *b, size_t len, struct receipt *r)
{
	memset(r, 0, sizeof(*r));
	if (len == RECEIPT2_LEN && !memcmp(b, "MUR2", 4))
		r->has_holder = 1;
	else if (len != RECEIPT_LEN || memcmp(b, "MUR1", 4))
		return RECEIPT_E_FORMAT;
	if (b[35] || get32(b + 36))
		return RECEIPT_E_FORMAT;
	r->key_id = get32(b + 4);
	r->serial = get64(b + 8);
	r->issued = get64(b + 16);
	r->expiry = get64(b + 24);
	r->metric = b[32];
	r->method = b[33];
	r->privacy = b[34];
	r->soft = get64(b + 40);
	r->hard = get64(b + 48);
	r->deposit = get64(b + 56);
	r->price = get64(b + 64);
	r->unit = get64(b + 72);
	memcpy(r->payref, b + 80, RECEIPT_PAYREF_LEN);
	r->payref[RECEIPT_PAYREF_LEN] = '\0';
	/* Padding after the string must be zero (one encoding only). */
	for (size_t i = strlen(r->payref); i < RECEIPT_PAYREF_LEN; i++)
		if (b[80 + i])
			return RECEIPT_E_FORMAT;
	if (r->has_holder)
		memcpy(r->holder, b + 112, RECEIPT_HOLDER_LEN);
	if (!fields_ok(r))
		return RECEIPT_E_FORMAT;
	return RECEIPT_OK;
}

int receipt_verify(const struct receipt_keyring *kr, const uint8_t *buf,
		   size_t len, uint64_t now, struct receipt *out)
{
	const struct receipt_key *k = NULL;
	uint8_t mac[32];
	struct receipt r;
	int rc = receipt_parse(buf, len, &r);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	for (unsigned i = 0; i < kr->n; i++)
		if (kr->keys[i].id == r.key_id)
			k = &kr->keys[i];
	if (!k)
		return RECEIPT_E_KEY;
	if (hmac(k->secret, buf, mac_off(&r), mac))
		return RECEIPT_E_CRYPTO;
	if (CRYPTO_memcmp(mac, buf + mac_off(&r), sizeof(mac)))
		return RECEIPT_E_MAC;
	if (k->retired && k->verify_until && now > k->verify_until)
		return RECEIPT_E_KEY_EXPIRED;
	*out = r;
	return RECEIPT_OK;
}

int receipt_holder_verify(const uint8_t key[RECEIPT_HOLDER_LEN],
			  const uint8_t *msg, size_t len,
			  const uint8_t sig[RECEIPT_SIG_LEN])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
						   RECEIPT_HOLDER_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = pk && ctx &&
		 EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		 EVP_DigestVerify(ctx, sig, RECEIPT_SIG_LEN, msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

int receipt_keyring_add(struct receipt_keyring *kr, const struct receipt_key *k)
{
	if (kr->n >= RECEIPT_MAX_KEYS)
		return -1;
	for (unsigned i = 0; i < kr->n; i++)
		if (kr->keys[i].id == k->id)
			return -1;
	kr->keys[kr->n++] = *k;
	return 0;
}

int receipt_key_generate(struct receipt_key *k, uint32_t id, uint64_t now)
{
	memset(k, 0, sizeof(*k));
	k->id = id;
	k->created = now;
	return RAND_bytes(k->secret, RECEIPT_KEY_LEN) == 1 ? 0 : -1;
}

int64_t receipt_keyring_rotate(struct receipt_keyring *kr, uint64_t now,
			       uint64_t verify_until,
			       struct receipt_key *newkey)
{
	uint32_t id = 1;
	unsigned i, j;
	int cur;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].id >= id)
			id = kr->keys[i].id + 1;
	/* Drop retired keys nothing can present any more. */
	for (i = j = 0; i < kr->n; i++) {
		const struct receipt_key *k = &kr->keys[i];

		if (k->retired && k->verify_until && k->verify_until < now)
			continue;
		kr->keys[j++] = *k;
	}
	kr->n = j;
	cur = current_index(kr);
	if (kr->n >= RECEIPT_MAX_KEYS)
		return -1;
	if (receipt_key_generate(newkey, id, now))
		return -1;
	if (cur >= 0) {
		kr->keys[cur].retired = now;
		kr->keys[cur].verify_until = verify_until > now ? verify_until :
								  now;
	}
	kr->keys[kr->n++] = *newkey;
	return id;
}

const char *receipt_strerror(int err)
{
	switch (err) {
	case RECEIPT_OK:
		return "ok";
	case RECEIPT_E_FORMAT:
		return "malformed receipt";
	case RECEIPT_E_KEY:
		return "unknown receipt key";
	case RECEIPT_E_KEY_EXPIRED:
		return "receipt key no longer valid";
	case RECEIPT_E_MAC:
		return "receipt MAC mismatch";
	case RECEIPT_E_CRYPTO:
		return "crypto failure";
	case RECEIPT_E_NOKEY:
		return "no signing key";
	default:
		return "unknown";
	}
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

enum receipt_key_state receipt_key_state(const struct receipt_key *k,
					 uint64_t now)
{
	if (!k->retired)
		return RECEIPT_KEY_CURRENT;
	if (!k->verify_until || now <= k->verify_until)
		return RECEIPT_KEY_RETIRING;
	return RECEIPT_KEY_RETIRED;
}

const char *receipt_key_state_name(unsigned int state)
{
	static const char *const n[] = { "current", "retiring", "retired" };

	return state < sizeof(n) / sizeof(n[0]) ? n[state] : "unknown";
}

uint64_t receipt_rotate_at(const struct receipt_key *k, uint64_t interval)
{
	return interval ? add_sat(k->created, interval) : 0;
}

uint64_t receipt_retire_at(uint64_t retired, uint64_t retire_after,
			   uint64_t last_expiry)
{
	uint64_t t = add_sat(retired, retire_after);

	return last_expiry > t ? last_expiry : t;
}

int receipt_retire_early(const struct receipt_key *k, uint64_t now,
			 uint64_t retire_after, unsigned int outstanding)
{
	return receipt_key_state(k, now) == RECEIPT_KEY_RETIRING &&
	       !outstanding && now >= add_sat(k->retired, retire_after) &&
	       (!k->verify_until || now < k->verify_until);
}
