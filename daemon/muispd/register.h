/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-service registration of a client's self-signed certificate
 * (MP_T_REGISTER, register.c): the checks, pure and host-tested, and the
 * record muispd keeps in its store and loads into charon.
 */
#ifndef MUISPD_REGISTER_H
#define MUISPD_REGISTER_H

#include <stddef.h>
#include <stdint.h>

#define REG_DER_MAX  4096 /* == MP_CERT_MAX */
#define REG_RSA_MIN  2048
#define REG_RSA_MAX  8192
#define REG_SKEW_S   300  /* notBefore may be this far in the future */
#define REG_TOMB_MAX 4096 /* tombstones of forgotten registrations kept */

/* What reg_check() found in an accepted certificate. */
struct reg_cert {
	char subject[256]; /* as charon prints it: "CN=anon-..., O=..." */
	char fpr[65];	   /* SHA-256 of the DER, lower-case hex */
	char key[24];	   /* "RSA-3072" */
	uint64_t not_before, not_after;
};

/* A registration: one per client address. */
struct reg_rec {
	char addr[64];
	struct reg_cert c;
	uint8_t der[REG_DER_MAX];
	size_t der_len;
	uint64_t created, last_used;
};

/*
 * Check DER (LEN bytes) as a client's certificate at time NOW: one whole
 * DER X.509 certificate of at most REG_DER_MAX bytes, self-signed (issuer
 * = subject) with a valid signature by its own key, an RSA key of
 * REG_RSA_MIN..REG_RSA_MAX bits (what the router's charon verifies: see
 * muispd.8), valid at NOW (notBefore up to REG_SKEW_S ahead), a
 * printable subject of at most 255 characters.  0 with OUT filled, or -1
 * with the reason in MSG.
 */
int reg_check(const uint8_t *der, size_t len, uint64_t now,
	      struct reg_cert *out, char *msg, size_t msglen);

#endif
