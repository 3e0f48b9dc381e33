/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receipts (paper §6 step 4): a fixed big-endian layout holding the
 * contract's serial number, date and time, expiration, metric and limits
 * and payment parameters, authenticated with HMAC-SHA-256 under a router
 * key named by a key id.
 *
 *	0  "MUR1"            4  key id (u32)        8  serial (u64)
 *	16 issued (u64)      24 expiry (u64)
 *	32 metric, method, privacy, 0 (u8 each)     36 reserved u32 = 0
 *	40 soft  48 hard  56 deposit  64 price  72 unit (u64 each)
 *	80 payment reference (32 bytes, printable, NUL padded)
 *	112 HMAC-SHA-256 over bytes 0..111
 *
 * A receipt whose buyer committed to a key (the DEPOSIT's HOLDER_KEY) is
 * "MUR2", 176 bytes: the same up to byte 111, then 112 the holder's
 * Ed25519 public key (32 bytes) and 144 HMAC-SHA-256 over bytes 0..143.
 * Binding it anywhere but where it is bound needs the holder's signature
 * (receipt_holder_verify) over a challenge of the daemon: the key is in
 * the MAC'd receipt, so a copied receipt alone is no use (PROTOCOL.md).
 *
 * Keys rotate: new receipts use the current key; a retired key still
 * verifies until its verify_until time (the latest expiry of the contracts
 * it signed), then receipts under it are refused.
 */
#ifndef MUISP_RECEIPT_H
#define MUISP_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#define RECEIPT_LEN	   144 /* MUR1 */
#define RECEIPT_MAC_OFF	   112
#define RECEIPT2_LEN	   176 /* MUR2: with the holder's key */
#define RECEIPT2_MAC_OFF   144
#define RECEIPT_MAX_LEN	   RECEIPT2_LEN
#define RECEIPT_HOLDER_LEN 32 /* Ed25519 public key */
#define RECEIPT_SIG_LEN	   64 /* Ed25519 signature */
#define RECEIPT_PAYREF_LEN 32
#define RECEIPT_KEY_LEN	   32
#define RECEIPT_MAX_KEYS   8

struct receipt {
	uint32_t key_id;
	uint64_t serial, issued, expiry;
	uint8_t metric, method, privacy;
	uint64_t soft, hard, deposit, price, unit;
	char payref[RECEIPT_PAYREF_LEN + 1];
	int has_holder; /* MUR2 */
	uint8_t holder[RECEIPT_HOLDER_LEN];
};

struct receipt_key {
	uint32_t id;
	uint8_t secret[RECEIPT_KEY_LEN];
	uint64_t created;
	uint64_t retired;      /* 0 while current */
	uint64_t verify_until; /* 0 = no limit (current key) */
};

struct receipt_keyring {
	unsigned n;
	struct receipt_key keys[RECEIPT_MAX_KEYS];
};

enum receipt_err {
	RECEIPT_OK = 0,
	RECEIPT_E_FORMAT = -1, /* length, magic, reserved bytes, fields */
	RECEIPT_E_KEY = -2,    /* unknown key id */
	RECEIPT_E_KEY_EXPIRED = -3,
	RECEIPT_E_MAC = -4,
	RECEIPT_E_CRYPTO = -5,
	RECEIPT_E_NOKEY = -6, /* no current key to sign with */
};

/* Sign r with the current key (r->key_id is set); out gets
 * receipt_len(r) bytes (RECEIPT_LEN, or RECEIPT2_LEN with a holder). */
int receipt_sign(const struct receipt_keyring *kr, struct receipt *r,
		 uint8_t *out);
size_t receipt_len(const struct receipt *r);
/* Verify and parse.  now selects which retired keys still verify. */
int receipt_verify(const struct receipt_keyring *kr, const uint8_t *buf,
		   size_t len, uint64_t now, struct receipt *out);
/* Parse without verifying (the client shows its own receipts). */
int receipt_parse(const uint8_t *buf, size_t len, struct receipt *out);

/* 0 if sig is the holder key's Ed25519 signature of msg, -1 if not. */
int receipt_holder_verify(const uint8_t key[RECEIPT_HOLDER_LEN],
			  const uint8_t *msg, size_t len,
			  const uint8_t sig[RECEIPT_SIG_LEN]);

const struct receipt_key *receipt_key_current(const struct receipt_keyring *kr);
/* Add a key (the current one when retired == 0).  -1 when full. */
int receipt_keyring_add(struct receipt_keyring *kr,
			const struct receipt_key *k);
/*
 * Rotate: retire the current key at `now`, keeping it valid for
 * verification until `verify_until`; drop retired keys whose
 * verify_until has passed; add a new random key with id old + 1.
 * Returns the new key id, or -1.
 */
int64_t receipt_keyring_rotate(struct receipt_keyring *kr, uint64_t now,
			       uint64_t verify_until,
			       struct receipt_key *newkey);
int receipt_key_generate(struct receipt_key *k, uint32_t id, uint64_t now);
const char *receipt_strerror(int err);

/*
 * The rotation schedule (muispd.conf key-rotate-interval and
 * key-retire-after, driven by muispd's keys.c).  Times in seconds since
 * the epoch; every sum saturates at UINT64_MAX.
 *
 * A key is current (it signs), retiring (rotated out, still verifies
 * until verify_until; 0: without a limit) or retired (refused).
 */
enum receipt_key_state {
	RECEIPT_KEY_CURRENT = 0,
	RECEIPT_KEY_RETIRING = 1,
	RECEIPT_KEY_RETIRED = 2,
};
enum receipt_key_state receipt_key_state(const struct receipt_key *k,
					 uint64_t now);
const char *receipt_key_state_name(unsigned int state);
/* When the current key k is to be rotated out: created + interval; 0
 * when interval is 0 (never).  A key older than that is rotated at once
 * (a router that was down rotates once, not once per interval missed). */
uint64_t receipt_rotate_at(const struct receipt_key *k, uint64_t interval);
/* The latest a key rotated out at `retired` may verify: retire_after
 * later, or when the last outstanding contract it signed expires
 * (last_expiry), whichever is later. */
uint64_t receipt_retire_at(uint64_t retired, uint64_t retire_after,
			   uint64_t last_expiry);
/* Whether a retiring key may retire before its verify_until: at least
 * retire_after since it was rotated out and no outstanding contract
 * signed by it (outstanding: how many are, and not yet expired). */
int receipt_retire_early(const struct receipt_key *k, uint64_t now,
			 uint64_t retire_after, unsigned int outstanding);

#endif
