// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the certificate a client registers (MP_T_REGISTER,
 * daemon/muispd/regcert.c): the DER bytes come from the network before
 * any tunnel.  The clock is fixed (2027-01-15); the seed corpus holds a
 * self-signed RSA-2048 certificate valid then, an EC one and a 1024-bit
 * RSA one.
 *
 * Checks:
 *   - a refusal says why and leaves nothing filled;
 *   - an accepted certificate has what the rules promise: a printable
 *     subject, the SHA-256 of exactly these bytes, an RSA key of 2048 to
 *     8192 bits, valid at the clock;
 *   - the verdict does not depend on anything but the bytes (twice the
 *     same).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon/muispd/register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct reg_cert zero;
	struct reg_cert c, d;
	char msg[200] = "", msg2[200] = "", hex[65];
	unsigned char md[32];
	unsigned mdlen = 0;
	int rc = reg_check(data, size, NOW, &c, msg, sizeof(msg)), bits;

	if (rc != reg_check(data, size, NOW, &d, msg2, sizeof(msg2)) ||
	    memcmp(&c, &d, sizeof(c)) || strcmp(msg, msg2))
		abort();
	if (rc) {
		if (rc != -1 || !msg[0] || memcmp(&c, &zero, sizeof(c)))
			abort();
		return 0;
	}
	if (!c.subject[0] || strlen(c.subject) > 255)
		abort();
	for (const char *p = c.subject; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	if (size > REG_DER_MAX ||
	    !EVP_Digest(data, size, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, c.fpr))
		abort();
	if (sscanf(c.key, "RSA-%d", &bits) != 1 || bits < REG_RSA_MIN ||
	    bits > REG_RSA_MAX)
		abort();
	if (c.not_before > NOW + REG_SKEW_S || c.not_after <= NOW)
		abort();
	return 0;
}
