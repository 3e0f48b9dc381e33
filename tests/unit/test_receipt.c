// SPDX-License-Identifier: GPL-2.0
/* Receipts: known-answer HMAC, every one-byte change rejected, rotation,
 * the rotation schedule's arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "daemon/muispd/receipt.h"

/* HMAC-SHA-256 of the 112-byte body below under key 00..1f, computed with
 * `openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f`. */
static const uint8_t kat_mac[32] = {
	0x2e, 0x6b, 0x3d, 0x7f, 0xe5, 0xc8, 0xae, 0x43, 0x28, 0x93, 0x48,
	0xbe, 0x6b, 0x2b, 0x80, 0xb2, 0x5f, 0xcc, 0x00, 0x00, 0x2c, 0x12,
	0xab, 0x9a, 0x81, 0x65, 0xb4, 0xcb, 0x68, 0xc1, 0x72, 0x78,
};

static void kat_keyring(struct receipt_keyring *kr)
{
	struct receipt_key k = { .id = 7, .created = 1 };

	memset(kr, 0, sizeof(*kr));
	for (int i = 0; i < RECEIPT_KEY_LEN; i++)
		k.secret[i] = (uint8_t)i;
	assert_int_equal(receipt_keyring_add(kr, &k), 0);
}

static struct receipt sample(void)
{
	struct receipt r = {
		.serial = 1234,
		.issued = 1764000000,
		.expiry = 1764086400,
		.metric = 3,
		.method = 1,
		.privacy = 0,
		.soft = 1000000,
		.hard = 2000000,
		.deposit = 20,
		.price = 10,
		.unit = 1000000,
	};

	strcpy(r.payref, "V-ABCD");
	return r;
}

static void test_known_answer(void **state)
{
	struct receipt_keyring kr;
	struct receipt r = sample(), back;
	uint8_t b[RECEIPT_LEN];

	kat_keyring(&kr);
	assert_int_equal(receipt_sign(&kr, &r, b), 0);
	assert_int_equal(r.key_id, 7);
	assert_memory_equal(b, "MUR1\x00\x00\x00\x07", 8);
	assert_memory_equal(b + RECEIPT_MAC_OFF, kat_mac, 32);
	assert_int_equal(receipt_verify(&kr, b, sizeof(b), 1764000001, &back),
			 0);
	assert_int_equal(back.serial, 1234);
	assert_int_equal(back.hard, 2000000);
	assert_int_equal(back.deposit, 20);
	assert_string_equal(back.payref, "V-ABCD");
	assert_memory_equal(&back, &r, sizeof(r));
}

static void test_every_byte_flip(void **state)
{
	struct receipt_keyring kr;
	struct receipt r = sample(), back;
	uint8_t b[RECEIPT_LEN], t[RECEIPT_LEN];
	unsigned mac = 0, fmt = 0, key = 0;

	kat_keyring(&kr);
	assert_int_equal(receipt_sign(&kr, &r, b), 0);
	for (size_t i = 0; i < RECEIPT_LEN; i++) {
		memcpy(t, b, sizeof(t));
		t[i] ^= 0x01;
		int rc = receipt_verify(&kr, t, sizeof(t), 1764000001, &back);

		assert_true(rc < 0);
		assert_int_equal(back.serial, 0);
		if (rc == RECEIPT_E_MAC)
			mac++;
		else if (rc == RECEIPT_E_FORMAT)
			fmt++;
		else if (rc == RECEIPT_E_KEY)
			key++;
		else
			fail_msg("offset %zu: unexpected %d", i, rc);
	}
	/* magic 4 + reserved 5 + the metric/method/privacy fields whose
	 * flip leaves the range (metric 3->2 stays valid, method 1->0 and
	 * privacy 0->1...). Count exactly: */
	assert_int_equal(mac + fmt + key, RECEIPT_LEN);
	assert_int_equal(key, 4); /* key id bytes */
	assert_true(fmt >= 9);
	/* Wrong length. */
	assert_int_equal(receipt_verify(&kr, b, RECEIPT_LEN - 1, 0, &back),
			 RECEIPT_E_FORMAT);
	/* Unchanged still verifies. */
	assert_int_equal(receipt_verify(&kr, b, sizeof(b), 1764000001, &back),
			 0);
}

static void test_rotation(void **state)
{
	struct receipt_keyring kr;
	struct receipt_key nk;
	struct receipt r1 = sample(), r2 = sample(), back;
	uint8_t b1[RECEIPT_LEN], b2[RECEIPT_LEN];
	int64_t id;

	kat_keyring(&kr);
	assert_int_equal(receipt_sign(&kr, &r1, b1), 0);
	/* Rotate at t=100; key 7 verifies until t=500. */
	id = receipt_keyring_rotate(&kr, 100, 500, &nk);
	assert_int_equal(id, 8);
	assert_int_equal(kr.n, 2);
	assert_int_equal(receipt_key_current(&kr)->id, 8);
	assert_int_equal(receipt_sign(&kr, &r2, b2), 0);
	assert_int_equal(r2.key_id, 8);
	assert_memory_not_equal(b1 + RECEIPT_MAC_OFF, b2 + RECEIPT_MAC_OFF, 32);
	assert_int_equal(receipt_verify(&kr, b1, RECEIPT_LEN, 500, &back), 0);
	assert_int_equal(receipt_verify(&kr, b1, RECEIPT_LEN, 501, &back),
			 RECEIPT_E_KEY_EXPIRED);
	assert_int_equal(receipt_verify(&kr, b2, RECEIPT_LEN, 10000, &back), 0);
	/* A later rotation drops key 7 (past its time) and keeps 8. */
	id = receipt_keyring_rotate(&kr, 600, 900, &nk);
	assert_int_equal(id, 9);
	assert_int_equal(kr.n, 2);
	assert_int_equal(receipt_verify(&kr, b1, RECEIPT_LEN, 600, &back),
			 RECEIPT_E_KEY);
	assert_int_equal(receipt_verify(&kr, b2, RECEIPT_LEN, 900, &back), 0);
	/* Fill the ring: rotations with keys valid forever run out. */
	int rotations = 0;

	while (receipt_keyring_rotate(&kr, 700, 100000, &nk) > 0)
		rotations++;
	assert_int_equal(rotations, RECEIPT_MAX_KEYS - 2);
	assert_int_equal(kr.n, RECEIPT_MAX_KEYS);
}

/* The schedule's arithmetic (keys.c drives it). */
static void test_schedule(void **state)
{
	struct receipt_key k = { .id = 3, .created = 1000 };

	/* Rotation: created + interval; 0 = never; saturates. */
	assert_int_equal(receipt_rotate_at(&k, 0), 0);
	assert_int_equal(receipt_rotate_at(&k, 86400), 87400);
	k.created = UINT64_MAX - 5;
	assert_true(receipt_rotate_at(&k, 86400) == UINT64_MAX);
	k.created = 1000;

	/* Retirement: retire-after from the rotation, or the last
	 * outstanding contract's expiry, whichever is later. */
	assert_int_equal(receipt_retire_at(5000, 100, 0), 5100);
	assert_int_equal(receipt_retire_at(5000, 100, 5100), 5100);
	assert_int_equal(receipt_retire_at(5000, 100, 9000), 9000);
	assert_int_equal(receipt_retire_at(5000, 0, 0), 5000);
	assert_true(receipt_retire_at(UINT64_MAX - 1, 100, 0) == UINT64_MAX);

	/* States: current until rotated out, retiring up to and including
	 * verify_until (or forever without one), then retired. */
	assert_int_equal(receipt_key_state(&k, 1), RECEIPT_KEY_CURRENT);
	k.retired = 5000;
	k.verify_until = 9000;
	assert_int_equal(receipt_key_state(&k, 9000), RECEIPT_KEY_RETIRING);
	assert_int_equal(receipt_key_state(&k, 9001), RECEIPT_KEY_RETIRED);
	assert_string_equal(receipt_key_state_name(RECEIPT_KEY_RETIRED),
			    "retired");
	assert_string_equal(receipt_key_state_name(7), "unknown");

	/* Early retirement: retire-after passed and nothing outstanding. */
	assert_false(receipt_retire_early(&k, 5099, 100, 0));
	assert_true(receipt_retire_early(&k, 5100, 100, 0));
	assert_false(receipt_retire_early(&k, 5100, 100, 1));
	assert_false(receipt_retire_early(&k, 9000, 100, 0)); /* due anyway */
	assert_false(receipt_retire_early(&k, 9001, 100, 0)); /* retired */
	k.verify_until = 0; /* no limit: only contracts hold it */
	assert_true(receipt_retire_early(&k, 100000, 100, 0));
	k.retired = 0; /* the current key never retires early */
	assert_false(receipt_retire_early(&k, 100000, 100, 0));
}

static void test_no_key_bad_fields(void **state)
{
	struct receipt_keyring kr;
	struct receipt r = sample();
	uint8_t b[RECEIPT_LEN];

	memset(&kr, 0, sizeof(kr));
	assert_int_equal(receipt_sign(&kr, &r, b), RECEIPT_E_NOKEY);
	kat_keyring(&kr);
	r.soft = r.hard + 1;
	assert_int_equal(receipt_sign(&kr, &r, b), RECEIPT_E_FORMAT);
	r = sample();
	r.payref[0] = '\t';
	assert_int_equal(receipt_sign(&kr, &r, b), RECEIPT_E_FORMAT);
	r = sample();
	r.metric = 0;
	assert_int_equal(receipt_sign(&kr, &r, b), RECEIPT_E_FORMAT);
	struct receipt_key dup = kr.keys[0];

	assert_int_equal(receipt_keyring_add(&kr, &dup), -1);
	assert_string_equal(receipt_strerror(RECEIPT_E_MAC),
			    "receipt MAC mismatch");
}

/*
 * MUR2: the holder's key inside the MAC; every one-byte change (key
 * included) is refused; a MUR1 length with MUR2 magic (and the reverse)
 * is malformed.  The holder's Ed25519 signature verifies, another key's
 * or another message's does not.
 */
static void test_holder(void **state)
{
	struct receipt_keyring kr;
	struct receipt r = sample(), back;
	uint8_t b[RECEIPT2_LEN], t[RECEIPT2_LEN], pub[32], sig[64];
	size_t plen = sizeof(pub), slen = sizeof(sig);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	static const uint8_t msg[] = "muisp-bind-v1 challenge and receipt";

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &plen), 1);
	kat_keyring(&kr);
	r.has_holder = 1;
	memcpy(r.holder, pub, sizeof(pub));
	assert_int_equal(receipt_len(&r), RECEIPT2_LEN);
	assert_int_equal(receipt_sign(&kr, &r, b), 0);
	assert_memory_equal(b, "MUR2", 4);
	assert_memory_equal(b + 112, pub, 32);
	assert_int_equal(receipt_verify(&kr, b, sizeof(b), 1764000001, &back),
			 0);
	assert_memory_equal(&back, &r, sizeof(r));
	for (size_t i = 0; i < sizeof(b); i++) {
		memcpy(t, b, sizeof(b));
		t[i] ^= 0x01;
		assert_int_not_equal(
			receipt_verify(&kr, t, sizeof(t), 0, &back), 0);
	}
	assert_int_equal(receipt_verify(&kr, b, RECEIPT_LEN, 0, &back),
			 RECEIPT_E_FORMAT);
	r.has_holder = 0;
	assert_int_equal(receipt_sign(&kr, &r, t), 0);
	memcpy(t, "MUR2", 4);
	assert_int_equal(receipt_verify(&kr, t, RECEIPT_LEN, 0, &back),
			 RECEIPT_E_FORMAT);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen, msg, sizeof(msg)), 1);
	assert_int_equal(slen, 64);
	assert_int_equal(receipt_holder_verify(pub, msg, sizeof(msg), sig), 0);
	assert_int_equal(receipt_holder_verify(pub, msg, sizeof(msg) - 1, sig),
			 -1);
	sig[10] ^= 0x40;
	assert_int_equal(receipt_holder_verify(pub, msg, sizeof(msg), sig), -1);
	sig[10] ^= 0x40;
	pub[3] ^= 1;
	assert_int_equal(receipt_holder_verify(pub, msg, sizeof(msg), sig), -1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_every_byte_flip),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_no_key_bad_fields),
		cmocka_unit_test(test_holder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
