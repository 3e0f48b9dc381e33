// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for lib/radius.c: every datagram muispd reads from a
 * RADIUS server (replies) or a DM/CoA client (requests) goes through
 * rad_parse, the attribute walk, the VSA lookups and one of the verify
 * functions, under the fixed secret "fuzz-secret".
 *
 * Checks:
 *   - rad_parse accepts only a packet whose header length is within the
 *     input and 20..4096 and whose attributes tile it exactly; the walk
 *     then never fails and stays inside the packet;
 *   - one encoding: re-building the packet with rad_init + rad_put of
 *     every attribute gives the very bytes it came from (header and
 *     authenticator copied);
 *   - the VSA lookups return values inside the packet;
 *   - verifying never crashes; a packet we sign ourselves (the same
 *     attributes, as a request and as a reply) always verifies, and with
 *     its Message-Authenticator.
 * The seed corpus holds the known-answer packets of tests/unit/test_radius.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SEC[] = "fuzz-secret";
#define SECLEN (sizeof(SEC) - 1)

static void inside(const struct rad_pkt *p, const uint8_t *v, size_t n)
{
	if (v < p->b + RAD_HDR_LEN || v + n > p->b + p->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t vendors[] = { RAD_VENDOR_CHILLISPOT,
					    RAD_VENDOR_MIKROTIK };
	struct rad_buf b, s;
	struct rad_pkt p, q;
	const uint8_t *v;
	size_t off = 0, n;
	uint32_t u;
	uint8_t t;
	int r, has_ma = 0;
	char pw[200];

	if (rad_parse(data, size, &p) < 0)
		return 0;
	if (p.len < RAD_HDR_LEN || p.len > RAD_MAX_LEN || p.len > size ||
	    p.b != data || p.auth != data + 4)
		abort();

	rad_init(&b, p.code, p.id);
	rad_init(&s, p.code, p.id);
	while ((r = rad_next(&p, &off, &t, &v, &n)) == 0) {
		inside(&p, v, n);
		if (rad_put(&b, t, v, n) < 0)
			abort();
		if (t == RAD_MESSAGE_AUTHENTICATOR)
			has_ma = 1;
		else if (rad_put(&s, t, v, n) < 0)
			abort();
	}
	if (r != 1 || (off ? off : RAD_HDR_LEN) != p.len)
		abort();
	memcpy(b.b + 4, p.auth, RAD_AUTH_LEN);
	if (b.len != p.len || memcmp(b.b, p.b, p.len))
		abort();

	for (size_t i = 0; i < 2; i++)
		for (unsigned vt = 0; vt < 20; vt++)
			if (rad_find_vsa(&p, vendors[i], (uint8_t)vt, &v, &n) ==
			    0)
				inside(&p, v, n);
	if (rad_find(&p, RAD_USER_NAME, &v, &n) == 0)
		inside(&p, v, n);
	r = rad_find_u32(&p, RAD_EVENT_TIMESTAMP, &u);
	if (r != (rad_find(&p, RAD_EVENT_TIMESTAMP, &v, &n) < 0 ? -1 :
		  n == 4					? 0 :
								  -2))
		abort();
	(void)rad_count(&p, RAD_CLASS);

	(void)rad_verify_request(&p, SEC, SECLEN, has_ma);
	(void)rad_verify_reply(&p, data, SEC, SECLEN, 0);
	(void)rad_verify_access_request(&p, SEC, SECLEN, 1);
	if (rad_password_reveal(&p, SEC, SECLEN, pw, sizeof(pw)) == 0 &&
	    strlen(pw) > 128)
		abort();

	/* what we sign verifies (when it fits with its M-A) */
	b = s;
	if (rad_finish_request(&b, SEC, SECLEN, 1) == 0) {
		if (rad_parse(b.b, b.len, &q) < 0 ||
		    rad_verify_request(&q, SEC, SECLEN, 1) != 0)
			abort();
	}
	b = s;
	if (rad_finish_reply(&b, p.auth, SEC, SECLEN, 1) == 0) {
		if (rad_parse(b.b, b.len, &q) < 0 ||
		    rad_verify_reply(&q, p.auth, SEC, SECLEN, 1) != 0)
			abort();
	}
	return 0;
}
