// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for receipts (daemon/muispd/receipt.c): the bytes a
 * client presents in BIND (muispd verifies them) and the files
 * muisp-client reads back.  The keyring is fixed: key 7 current (secret
 * 00..1f, as in tests/unit/test_receipt.c) and key 3 retired at 100,
 * verifiable until 500; the seed corpus holds receipts signed with both.
 *
 * Checks:
 *   - parse and verify agree on malformed input (same error, nothing
 *     returned);
 *   - one encoding only: whatever parses re-encodes (signed under its own
 *     key id) to the very bytes it came from up to the MAC (112 of a MUR1
 *     receipt, 144 of a MUR2 one with the holder's key), and that
 *     re-encoding verifies to the same fields;
 *   - verify accepts only a receipt whose MAC is the key's MAC of its
 *     body (re-signing it gives the same 144 bytes), under a known key id,
 *     and key 3 only until its verify_until;
 *   - the error for a well-formed receipt is the one its key id and MAC
 *     call for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/muispd/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct receipt_keyring kr;

static void keyring_init(void)
{
	struct receipt_key cur = { .id = 7, .created = 1 };
	struct receipt_key old = {
		.id = 3,
		.created = 1,
		.retired = 100,
		.verify_until = 500,
	};

	for (int i = 0; i < RECEIPT_KEY_LEN; i++) {
		cur.secret[i] = (uint8_t)i;
		old.secret[i] = 0x33;
	}
	if (receipt_keyring_add(&kr, &old) || receipt_keyring_add(&kr, &cur))
		abort();
}

/* Sign r under a keyring whose only key is the one with r's key id (or
 * a key of that id with a secret of its own when the id is unknown). */
static void resign(const struct receipt *r, uint8_t out[RECEIPT_MAX_LEN])
{
	struct receipt_keyring one = { 0 };
	struct receipt_key k = { .id = r->key_id, .created = 1 };
	struct receipt copy = *r;

	for (unsigned i = 0; i < kr.n; i++)
		if (kr.keys[i].id == r->key_id)
			memcpy(k.secret, kr.keys[i].secret, RECEIPT_KEY_LEN);
	if (receipt_keyring_add(&one, &k) ||
	    receipt_sign(&one, &copy, out) != RECEIPT_OK ||
	    copy.key_id != r->key_id)
		abort();
}

static int same_fields(const struct receipt *a, const struct receipt *b)
{
	return a->key_id == b->key_id && a->serial == b->serial &&
	       a->issued == b->issued && a->expiry == b->expiry &&
	       a->metric == b->metric && a->method == b->method &&
	       a->privacy == b->privacy && a->soft == b->soft &&
	       a->hard == b->hard && a->deposit == b->deposit &&
	       a->price == b->price && a->unit == b->unit &&
	       !strcmp(a->payref, b->payref) &&
	       a->has_holder == b->has_holder &&
	       !memcmp(a->holder, b->holder, sizeof(a->holder));
}

static int verify_at(const uint8_t *data, size_t size, uint64_t now,
		     struct receipt *out)
{
	int rc = receipt_verify(&kr, data, size, now, out);

	if (rc && (out->serial || out->key_id || out->payref[0]))
		abort(); /* a refused receipt returns nothing */
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct receipt r, back, v;
	uint8_t enc[RECEIPT_MAX_LEN];
	size_t len, mac_off;
	int rc, known, mac_ok;

	if (!kr.n)
		keyring_init();
	rc = receipt_parse(data, size, &r);
	if (rc) {
		if (rc != RECEIPT_E_FORMAT)
			abort();
		if (verify_at(data, size, 400, &v) != rc ||
		    verify_at(data, size, 1000, &v) != rc)
			abort();
		return 0;
	}
	/* MUR1, or MUR2 with the holder's key */
	len = receipt_len(&r);
	mac_off = r.has_holder ? RECEIPT2_MAC_OFF : RECEIPT_MAC_OFF;
	if (size != len || strlen(r.payref) > RECEIPT_PAYREF_LEN)
		abort();
	resign(&r, enc);
	if (memcmp(enc, data, mac_off))
		abort(); /* a second encoding of the same receipt */
	if (receipt_parse(enc, len, &back) || !same_fields(&r, &back))
		abort();

	known = r.key_id == 7 || r.key_id == 3;
	mac_ok = known && !memcmp(enc, data, len);
	rc = verify_at(data, size, 400, &v);
	if (!known && rc != RECEIPT_E_KEY)
		abort();
	if (known && !mac_ok && rc != RECEIPT_E_MAC)
		abort();
	if (mac_ok && (rc || !same_fields(&r, &v)))
		abort();
	rc = verify_at(data, size, 1000, &v);
	if (mac_ok && rc != (r.key_id == 3 ? RECEIPT_E_KEY_EXPIRED : 0))
		abort();
	if (known && !mac_ok && rc != RECEIPT_E_MAC)
		abort();
	/* The re-encoding, signed with a known key, always verifies. */
	if (known && (verify_at(enc, len, 400, &v) || !same_fields(&r, &v)))
		abort();
	return 0;
}
